"""The default drive model against published drive times that are not used to fit it.

``tests/fixtures/published_drive_times.csv`` holds published "by car" figures (source
page per row, ``quality`` from ``guide`` to ``soft``) between places the package
resolves: stations, platforms and nodes by name, districts by id (a district is its
representative point; city-to-city figures are taken between the city governments).
None of them is a row of the calibration set
(``../shared/reference/observed_times_public.csv``) and no parameter is fitted to them:
they are a check for the drive network (expressways, speeds).

Each row is compared, like ``corridor-geo validate-times``, with the modelled *driving*
time (connectors to the street network + network route, no parking) and must be within
±25 % (the issue-11 target for drive rows), except the rows in ``KNOWN_MISSES`` with the
reason; those are strict xfails, so an improvement shows up. The summary (mean |error|,
share within ±25 %, bias) is printed by ``scripts/calibrate_times.py
tests/fixtures/published_drive_times.csv``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from _tables import calibration_rows, read_rows

from corridor_geo.validate import read_observed, validate_times

FIXTURE = Path(__file__).parent / "fixtures" / "published_drive_times.csv"
TOLERANCE_PCT = 25.0

# (from, to, minutes) -> why the default model misses the published figure by > 25 %
# (figures measured on the default network `default-6`; on `default-4`/`default-5` two
# Baiyun airport rows and Guangzhou -> Songshan Lake missed too: no airport expressway
# S41, and Songshan Lake reached Guangzhou and Shenzhen's west only by the Changhu)
KNOWN_MISSES = {
    ("dist_sz_nanshan", "松山湖", "35"): "a 2016 trip at about 100 km/h over Nanguang - Longda "
    "- Hugang - Guanshen ('50-odd km'); the model drives the same course in 52.6 min "
    "(default-21, with the Hugang link as an expressway)",
    ("深圳站", "深圳北站", "30"): "the model is faster: 15.9 km in 21.9 min (default-5; "
    "default-4 26.0 min) against a taxi's 'half an hour in normal traffic' (soft); the "
    "calibration reference routes at free-flow class speeds, without signals",
    ("dist_dg_centre", "松山湖", "35"): "the model is faster: 22.3 min (default-4: 26.7 km in "
    "24.4 min, 66 km/h on Dongguan urban roads) against 20 km in 30-40 min with town "
    "traffic (soft)",
    ("dist_dg_centre", "dist_gz_nansha", "82"): "a measured opening-day trip over Nancheng "
    "and Shatian arterials and the Nansha Bridge with a toll-gate queue: 48 km in 82 min "
    "(35 km/h); the model drives it in 40.0 min",
    # rows added on `default-12` (figures measured then)
    ("dist_sz_pingshan", "dist_sz_luohu", "20"): "an opening-day slogan for the Pingyan tunnel "
    "('20 min to Luohu'), no route or distance: 28.5 km crow-fly, i.e. 86 km/h on the straight "
    "line; the model drives 34 km over the tunnel, Yanba and East Coastal in 37.3 min (the "
    "2016 estimate for the same corridor to Futian, 40 km / 40 min, is within 6 %)",
    ("dist_gz_tianhe", "白云机场南", "60"): "a typical figure with traffic ('from 1 hour' before "
    "the second airport expressway): the model drives 37 km over the airport expressway in "
    "40.2 min, in line with the no-traffic guide table (Guangzhou East station -> airport 38 "
    "min, modelled 34.3)",
    ("滨海湾", "虎门站", "30"): "the model is faster: 8 km crow-fly, driven as 23 km of Yanjiang "
    "and Panguan at 90 km/h in 18.1 min, against a press 'about 30 minutes' for the new area "
    "as a whole (soft); like the other short Dongguan rows, town roads and traffic are not in "
    "the free-flow figure",
}


def _rows() -> list[dict[str, str]]:
    return read_rows(FIXTURE)


@cache
def _scored() -> tuple[pd.DataFrame, dict[str, Any]]:
    from corridor_geo.corridor import load_corridor

    return validate_times(load_corridor(), FIXTURE)


def _key(r: dict[str, str]) -> tuple[str, str, str]:
    return (r["from"], r["to"], r["minutes"])


def test_fixture_rows_cite_a_source_and_are_not_calibration_rows():
    taken = {(r["from"], r["to"]) for r in calibration_rows() if r.get("mode") == "drive"}
    rows = _rows()
    assert 15 <= len(rows) <= 30
    assert len({_key(r) for r in rows}) == len(rows)
    for r in rows:
        assert r["mode"] == "drive", r
        assert r["used_for"] == "held_out", r
        assert r["quality"] in ("guide", "navigation", "secondary", "soft"), r
        assert r["source"].strip(), r
        assert r["kind"].strip(), r
        assert (r["from"], r["to"]) not in taken, r  # no calibration pair, either way
        assert (r["to"], r["from"]) not in taken, r
        if r["distance_km"]:
            assert float(r["distance_km"]) > 0
    assert set(KNOWN_MISSES) <= {_key(r) for r in rows}
    # the package reads the table as drive rows
    assert set(read_observed(FIXTURE)["mode"]) == {"drive"}


def _params() -> list[Any]:
    out = []
    for i, r in enumerate(_rows()):
        k = _key(r)
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[k])] \
            if k in KNOWN_MISSES else []
        out.append(pytest.param(i, id=f"{r['from']}-{r['to']}-{r['minutes']}", marks=marks))
    return out


@pytest.mark.parametrize("i", _params())
def test_published_drive_time_within_25_percent(i):
    rows, _ = _scored()
    row = rows.iloc[i]
    assert row["comparison"] == "driving"  # like for like: no parking
    assert abs(row["error_pct"]) <= TOLERANCE_PCT, \
        f"modelled {row['modelled_min']:.1f} vs published {row['observed_min']:.0f} min"


def test_published_drive_summary(capsys):
    """Mean |error|, share within ±25 % and bias over every row (misses included)."""
    rows, s = _scored()
    assert s["drive_n"] == len(_rows()) == s["n_driving"]
    within = int((rows["error_pct"].abs() <= TOLERANCE_PCT).sum())
    assert within >= len(rows) - len(KNOWN_MISSES)
    with capsys.disabled():
        print(f"\npublished drive times (driving, no parking): n={s['drive_n']}, mean |error| "
              f"{s['drive_mape_pct']:.1f} %, within ±25 % {s['drive_within_25_pct']:.0f} %, "
              f"bias {s['drive_bias_pct']:+.1f} %")
    # 27.7 % / 53 % / +14.4 % on `default-4` when the table was made (door to door with
    # parking: 35.2 % / 42 % / +30.2 %); a regression beyond 30 % fails
    assert s["drive_mape_pct"] <= 30.0
