"""The rail model against published timetable times that are not used to fit it.

``tests/fixtures/published_rail_times.csv`` holds published scheduled times (source per
row) that are *not* in the calibration set (``../shared/reference/observed_times_public.csv``);
rows marked ``used_for = held_out`` fit no parameter. Two rows each fixed one parameter
and are left out of the held-out figures: the 2007 Guangshen non-stop (the
conventional-rail running margin) and the 2021 fastest Guangzhou East - Shenzhen Airport
(the effective speed of the Suishen trains' connection over the Guangshen line,
``rail_speed_limits.csv``).
Each held-out row must be matched within 20 % by the service the model reports for the
pair (fastest, or the all-stops service for stopping rows), except the rows listed in
``KNOWN_MISSES`` with the reason; those are strict xfails, so a fix shows up.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from _tables import calibration_rows, read_rows

from corridor_geo.corridor import load_corridor
from corridor_geo.rail import RAIL_MODES, RailService, build_services, link_specs_from_corridor

FIXTURE = Path(__file__).parent / "fixtures" / "published_rail_times.csv"
TOLERANCE = 0.20
# rows that fixed one parameter each (not scored): used_for value -> what it fixed
FIT_ROWS = {
    "fit_conventional_margin": "ModeProfile.running_margin of conventional_rail",
    "fit_suishen_connection": "rail_speed_limits.csv, guangshen_railway+suishen_icr "
                              "Shipai - Xintang South (70 km/h effective, 2019-2023)",
}

# (from, to, year, minutes) -> why the model misses the published figure by more than 20 %
KNOWN_MISSES = {
    ("常平东", "小金口", "2016", "70"): "first train on the opening day (70 min); with the "
    "opening's published 2-min stops and 160 km/h cap the model gives 54 min (the trains "
    "ran at 90-140 km/h per a second report); the 2020 calibration row for this run is 53",
    ("小金口", "常平东", "2016", "69"): "first train C7902 on the opening day (69 min); "
    "same reason as the 70-min row",
    ("道滘", "小金口", "2020", "74"): "the published fastest run is 74 min towards Xiaojinkou "
    "but 59 min the other way (calibration row); the eastbound train's stops are not "
    "published, and running the 59-min pattern westbound only would leave the all-stops "
    "train (+32 %)",
}


def _rows() -> list[dict[str, str]]:
    return read_rows(FIXTURE)


@cache
def _network(year: int) -> tuple[object, list[RailService]]:
    c = load_corridor(as_of=year)
    return c, build_services(link_specs_from_corridor(c, modes=RAIL_MODES, as_of=year))


def modelled(row: dict[str, str]) -> tuple[float, str]:
    """In-vehicle minutes of the service the model reports for the row, and its id."""
    c, services = _network(int(row["year"]))
    a = c.resolve(row["from"], districts=False)  # type: ignore[attr-defined]
    b = c.resolve(row["to"], districts=False)  # type: ignore[attr-defined]
    cands = [(abs(s.stops.index(a) - s.stops.index(b)), s.in_vehicle_min(a, b), s.id)
             for s in services if a in s.stops and b in s.stops]
    assert cands, f"no service stops at both {a} and {b} in {row['year']}"
    stopping = any(k in row["kind"] for k in ("all-stops", "stopping", "站站停"))
    _, t, sid = max(cands, key=lambda x: (x[0], -x[1])) if stopping else min(
        cands, key=lambda x: x[1])
    return t, sid


def _held_out() -> list[dict[str, str]]:
    return [r for r in _rows() if r["used_for"] == "held_out"]


def test_fixture_rows_cite_a_source_and_are_not_calibration_rows():
    taken = {(r["from"], r["to"], r["minutes"], r.get("year", "")) for r in calibration_rows()}
    rows = _rows()
    assert len(rows) >= 15
    for r in rows:
        assert r["source"].strip(), r
        assert r["used_for"] in FIT_ROWS or r["used_for"] == "held_out", r
        assert (r["from"], r["to"], r["minutes"], r["year"]) not in taken, r


@pytest.mark.parametrize("row", [
    pytest.param(r, id=f"{r['from']}-{r['to']}-{r['year']}-{r['minutes']}",
                 marks=[pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[k])]
                 if (k := (r["from"], r["to"], r["year"], r["minutes"])) in KNOWN_MISSES else [])
    for r in _held_out()])
def test_held_out_published_time_within_20_percent(row):
    t, sid = modelled(row)
    obs = float(row["minutes"])
    assert abs(t - obs) / obs <= TOLERANCE, f"{sid}: modelled {t:.1f} vs published {obs}"


def test_held_out_summary():
    """Mean |error| over every held-out row (misses included) stays below its recorded level."""
    errs = []
    for r in _held_out():
        t, _ = modelled(r)
        errs.append(abs(t - float(r["minutes"])) / float(r["minutes"]))
    within = sum(e <= TOLERANCE for e in errs)
    assert within >= len(errs) - len(KNOWN_MISSES)
    # 14.0 % over the 21 held-out rows when the table was made (28.8 % before the express
    # patterns and the year-dependent speeds); 9.8 % over 24 rows after the per-line
    # dwell, the Suishen connection and the XRL Futian section (docs/rail_model.md);
    # 10.3 % over 28 rows with the Ganzhou-Shenzhen, West Kowloon - Humen and Daojiao -
    # Yinping rows and the XRL's Humen stop in 2011-2014; 10.1 % with the Shiziyang
    # tunnel's cap on its own gap (Nansha North - Humen); 9.7 % with the Futian trains
    # calling at Humen until 2016-01-09; 7.3 % with the Ganzhou-Shenzhen fast train
    # (Shenzhen North - Huizhou North non-stop); a regression beyond 11 % fails
    assert sum(errs) / len(errs) <= 0.11


def test_guangshen_semi_fast_pattern_matches_its_timetable():
    """C7095 (2023): Guangzhou East 9:27 - Shenzhen 10:51, stops Dongguan, Changping, Zhangmutou."""
    _, services = _network(2023)
    svc = next(s for s in services if s.id == "guangshen_railway/express_3stop_2023")
    t = svc.in_vehicle_min("st_gz_east", "st_shenzhen")
    assert abs(t - 84) / 84 <= TOLERANCE


def test_ganshen_fast_train_matches_the_published_huizhou_shenzhen_time():
    """Southern Daily 2021-12-10: after the opening, Huizhou - Shenzhen about half an hour."""
    _, services = _network(2022)
    best = min((s.in_vehicle_min("st_sz_north", "st_huizhou_north"), s.id) for s in services
               if s.link_id == "ganshen_hsr"
               and {"st_sz_north", "st_huizhou_north"} <= set(s.stops))
    assert best[1] == "ganshen_hsr/fast"
    assert abs(best[0] - 30) / 30 <= TOLERANCE
    # the listed-stops train still calls at Guangmingcheng, Dongguan South and Zhongkai
    slow = next(s for s in services if s.id == "ganshen_hsr/all")
    assert slow.in_vehicle_min("st_sz_north", "st_huizhou_north") > 40


def test_guangshen_speed_follows_the_year():
    """200 km/h until the 2011 speed cut, 160 km/h in 2011-2024, 200 again from 2025."""
    def nonstop_or_fastest(year):
        _, services = _network(year)
        return min(s.in_vehicle_min("st_gz_east", "st_shenzhen") for s in services
                   if s.link_id == "guangshen_railway" and {"st_gz_east", "st_shenzhen"}
                   <= set(s.stops) and len(s.stops) == 3)
    # the same one-stop pattern is slower under the 160 km/h cap than at 200 km/h
    assert nonstop_or_fastest(2021) > nonstop_or_fastest(2025) + 5


def test_suishen_express_years():
    _, s2019 = _network(2019)
    _, s2024 = _network(2024)
    ex = next(s for s in s2019 if s.id == "suishen_icr/gz_east_express")
    assert ex.stops == ("st_gz_east", "st_shipai", "st_xintang_south", "st_dongguan_west",
                        "st_humen", "st_sz_airport")
    assert ex.in_vehicle_min("st_gz_east", "st_sz_airport") < next(
        s for s in s2019 if s.id == "suishen_icr/gz_east_through").in_vehicle_min(
        "st_gz_east", "st_sz_airport") - 20
    assert all(s.id != "suishen_icr/gz_east_express" for s in s2024)


def test_shenzhen_north_futian_is_not_a_4_minute_run():
    """The XRL's Shenzhen North - Futian section runs at its published pace (about 11 min)."""
    _, services = _network(2019)
    t = min(s.in_vehicle_min("st_sz_north", "st_futian") for s in services
            if {"st_sz_north", "st_futian"} <= set(s.stops))
    assert 9 <= t <= 12
    # the fastest West Kowloon - Shenzhen North trains pass Futian (23 min, calibration row)
    wk = next(s for s in services if s.id == "gsh_xrl/wk_szn_nonstop")
    assert wk.stops == ("st_sz_north", "st_hk_west_kowloon")


def test_xrl_humen_is_served_by_a_one_stop_pattern():
    """Guangzhou South - Humen and Humen - Shenzhen North do not need the all-stops train."""
    _, services = _network(2016)
    allst = next(s for s in services if s.id == "gsh_xrl/all")
    hm = next(s for s in services if s.id == "gsh_xrl/humen")
    assert hm.stops == ("st_gz_south", "st_humen", "st_sz_north", "st_futian")
    for a, b in (("st_gz_south", "st_humen"), ("st_humen", "st_sz_north")):
        assert hm.in_vehicle_min(a, b) < allst.in_vehicle_min(a, b) - 4


def test_guanhui_dwell_comes_from_the_data():
    """2-min stops on the Dongguan-Huizhou patterns (services.csv), 1 min elsewhere."""
    _, services = _network(2020)
    by_id = {s.id: s for s in services}
    assert by_id["guanhui_icr/all"].dwell_min == 2
    assert by_id["guanhui_icr/express"].dwell_min == 2
    assert by_id["suishen_icr/gz_east_through"].dwell_min == 1


def test_suishen_connection_limit_applies_only_while_through_running():
    """The effective speed on Shipai - Xintang South slows the 2019-2023 through trains."""
    _, services = _network(2021)
    ex = next(s for s in services if s.id == "suishen_icr/gz_east_express")
    k = ex.stops.index("st_shipai")
    assert ex.seg_km[k] == pytest.approx(25.3, abs=0.1)  # track km, rail_track_km.csv
    assert ex.seg_min[k] > 20  # about 23 min; 13 min at the line speeds
    _, s2024 = _network(2024)
    assert all("st_shipai" not in s.stops for s in s2024 if s.link_id == "suishen_icr")


def test_guangshen_trains_stop_in_dongguan_before_2021():
    """Until 2021 the Guangshen EMUs stopped 3-4 times in Dongguan (hkcd 2021-04-09)."""
    _, services = _network(2019)
    fastest = min(s.in_vehicle_min("st_gz_east", "st_dongguan") for s in services
                  if {"st_gz_east", "st_dongguan"} <= set(s.stops))
    assert fastest < 35


def test_xrl_trains_call_at_humen_until_2016():
    """Opening timetable of 2011-12-26: all 36 train pairs stop at Humen (China Daily);
    the Futian trains of 2015-12-30 to 2016-01-09 also called there (hk.on.cc)."""
    for year in (2011, 2015):
        _, services = _network(year)
        through = [s for s in services if s.link_id == "gsh_xrl"
                   and {"st_gz_south", "st_sz_north"} <= set(s.stops)]
        assert through, year
        assert all("st_humen" in s.stops for s in through), year
    _, s2016 = _network(2016)
    assert any("st_humen" not in s.stops for s in s2016 if s.link_id == "gsh_xrl"
               and {"st_gz_south", "st_sz_north"} <= set(s.stops))


def test_west_kowloon_humen_without_a_change_from_2018():
    """The 2018 cross-boundary trains call at Humen, Shenzhen North and Futian."""
    _, services = _network(2018)
    direct = {s.id: s.in_vehicle_min("st_hk_west_kowloon", "st_humen") for s in services
              if {"st_hk_west_kowloon", "st_humen"} <= set(s.stops)}
    assert set(direct) == {"gsh_xrl/all", "gsh_xrl/cross_boundary_humen"}
    # no Guangmingcheng stop; still slower than West Kowloon - Shenzhen North non-stop
    # (23 min) plus Shenzhen North - Humen, because it calls at Futian
    assert 40 < direct["gsh_xrl/cross_boundary_humen"] < direct["gsh_xrl/all"] - 3
