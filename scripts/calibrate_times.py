"""Calibrate the rail model's general parameters on observed times; print modelled vs observed.

Usage (from the repository root)::

    python scripts/calibrate_times.py [OBSERVED_CSV] [--fit] [--held-out]
    python scripts/calibrate_times.py tests/fixtures/published_drive_times.csv

``OBSERVED_CSV`` defaults to ``../shared/reference/observed_times_public.csv``
(columns ``from,to,minutes[,year][,mode][,kind]``, see ``corridor_geo.validate``).

``mode=drive`` rows are printed in a table of their own: per row the modelled
door-to-door drive time (parking ``park_min`` included, as in the matrix), the
*driving* time it contains (connectors + network route, no parking) and the error of
each against the observed figure; then mean |error|, share within ±25 % and bias for
both. Published "by car" figures are driving times, so ``driving`` is the like-for-like
comparison (the one ``corridor-geo validate-times`` uses unless ``--drive-parking``).
Each row also shows the straight line between its two points (``crow_km``, geodesic)
and the speed over it that the observed and the modelled driving times imply: an
observed time needing 65-75 km/h over the straight line (Songshan Lake - Qianhai 40 min,
- Shenzhen North 30 min) asks for about 90 km/h door to door on roads 1.2-1.4 times as
long, faster than the typical expressway speeds. Nothing is fitted on drive rows here
(the drive model is calibrated against full-OSM routing, ``scripts/calibrate_drive.py``).

Without ``--fit`` it prints, per rail row, the modelled in-vehicle time of the
current default parameters (``corridor_geo.rail.RailParameters()``) next to the
observed one, and the bias per line; ``--held-out`` adds the same table for the
published times of ``tests/fixtures/published_rail_times.csv`` that fit nothing (and,
apart, the few rows that fixed one parameter each). With ``--fit`` it first searches a small grid of
*general* parameters — per rail mode: the timetable allowance ``running_margin``, the
acceleration/braking rates (one factor on both) and the dwell per stop — minimising
the mean absolute percentage error of the rail rows plus a penalty on rows worse than
20 %, and prints the best combination. Nothing per pair is fitted: every parameter
applies to every run of that mode (documented in ``docs/rail_model.md``). Copy the
printed values into ``corridor_geo/rail.py`` (``_default_modes``) by hand. A second
stage fits, for the lines of :data:`LINE_FITS` (the XRL), the line's own allowance and
the effective speed of its one fitted section, on that line's rows only; copy those
into ``geodata/rail_margins.csv`` and ``geodata/rail_speed_limits.csv``.

The fit is deterministic (exhaustive grid, ties broken by grid order).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corridor_geo._rail_tables import RailTables, load_rail_tables  # noqa: E402
from corridor_geo.corridor import load_corridor  # noqa: E402
from corridor_geo.distance import distance_matrix  # noqa: E402
from corridor_geo.rail import (  # noqa: E402
    RAIL_MODES,
    RailParameters,
    build_services,
    link_specs_from_corridor,
)
from corridor_geo.validate import read_observed, validate_times  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "reference" / "observed_times_public.csv"
HELD_OUT = ROOT / "tests" / "fixtures" / "published_rail_times.csv"
GRID = {
    "running_margin": [0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35],
    "rate_factor": [0.6, 0.8, 1.0],
    "dwell_min": [1.0, 1.5, 2.0, 2.5],
}
FIT_MODES = ("high_speed_rail", "intercity_rail")
#: Per-line stage of ``--fit``, after the modes: a line with several calibration rows of
#: its own gets its own timetable allowance (``geodata/rail_margins.csv``) instead of its
#: mode's, fitted together with the effective speed of one section whose published limit
#: is not its travel speed (``geodata/rail_speed_limits.csv``, a ``fitted`` row). The XRL
#: has three rows; the high-speed mode's margin is otherwise held by the one Ganzhou -
#: Shenzhen opening-day row, whose train's stops are not known (docs/rail_model.md).
@dataclasses.dataclass(frozen=True)
class LineFit:
    """Grid of one line's allowance and of the effective speed of one of its sections."""

    margin: tuple[float, ...]
    section: tuple[str, str]
    section_kmh: tuple[float, ...]


LINE_FITS = {
    "gsh_xrl": LineFit(margin=(0.15, 0.20, 0.25, 0.30, 0.35, 0.40),
                       section=("st_sz_north", "st_futian"),
                       section_kmh=(60.0, 65.0, 70.0, 75.0, 80.0, 85.0, 90.0, 100.0)),
}


def _rows(path: Path) -> pd.DataFrame:
    obs = read_observed(path)
    return obs[(obs["mode"].isna()) | (obs["mode"] == "rail")].reset_index(drop=True)


def _held_out_rows(path: Path, *, used_for: str) -> pd.DataFrame:
    """Rows of the published-times table: ``used_for == "held_out"`` or the fit rows."""
    obs = read_observed(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    keep = (raw["used_for"] == "held_out") if used_for == "held_out" else \
        (raw["used_for"] != "held_out")
    return obs[keep.to_numpy()].reset_index(drop=True)


class _Model:
    """Corridors and link specs per year, cached; services rebuilt per parameter set."""

    def __init__(self, obs: pd.DataFrame) -> None:
        self.obs = obs
        self.specs = {}
        self.ids = []
        for r in obs.itertuples(index=False):
            y = None if pd.isna(r.year) else int(r.year)
            if y not in self.specs:
                c = load_corridor(as_of=y)
                self.specs[y] = (c, link_specs_from_corridor(c, modes=RAIL_MODES, as_of=y))
            c = self.specs[y][0]
            # observed times name stations: "福田" is Futian station, not the district
            self.ids.append((y, c.resolve(r[0], districts=False),
                             c.resolve(r[1], districts=False), bool(r.all_stops)))

    def times(self, params: RailParameters,
              tables: RailTables | None = None) -> list[tuple[float, str, str]]:
        svcs = {y: build_services(s, params=params, tables=tables)
                for y, (_, s) in self.specs.items()}
        out = []
        for y, a, b, stopping in self.ids:
            cands = [(abs(s.stops.index(a) - s.stops.index(b)), s.in_vehicle_min(a, b), s)
                     for s in svcs[y] if a in s.stops and b in s.stops and a != b]
            if not cands:
                out.append((float("nan"), "", ""))
                continue
            if stopping:
                _, t, s = max(cands, key=lambda c: (c[0], -c[1]))
            else:
                _, t, s = min(cands, key=lambda c: c[1])
            out.append((t, s.id, s.link_id))
        return out


def _params(base: RailParameters, values: dict[str, dict[str, float]]) -> RailParameters:
    modes = dict(base.modes)
    for mode, v in values.items():
        p = modes[mode]
        modes[mode] = p.model_copy(update={
            "running_margin": v["running_margin"],
            "accel_ms2": p.accel_ms2 * v["rate_factor"],
            "brake_ms2": p.brake_ms2 * v["rate_factor"],
            "dwell_min": v["dwell_min"]})
    return base.model_copy(update={"modes": modes})


def _with_section_kmh(tables: RailTables, link: str, a: str, b: str,
                     kmh: float) -> RailTables:
    """*tables* with the cap of one section replaced by *kmh* (every year)."""
    caps = dict(tables.speed_limit_years)
    caps.pop((link, b, a), None)
    caps[(link, a, b)] = ((None, None, kmh),)
    return dataclasses.replace(tables, speed_limit_years=caps)


def fit_lines(obs: pd.DataFrame, model: _Model, params: RailParameters) -> None:
    """Per-line stage of ``--fit`` (:data:`LINE_FITS`): print each line's best values."""
    tables = load_rail_tables()
    lines = [x[2] for x in model.times(params)]
    for line, spec in LINE_FITS.items():
        rows = [i for i, ln in enumerate(lines) if ln == line]
        if len(rows) < 2:
            print(f"{line}: {len(rows)} calibration row(s), not fitted per line")
            continue
        sub = obs.iloc[rows].reset_index(drop=True)
        sub_model = _Model(sub)
        a, b = spec.section
        best: tuple[float, float, float] = (float("inf"), 0.0, 0.0)
        for kmh in spec.section_kmh:
            t = _with_section_kmh(tables, line, a, b, kmh)
            for m in spec.margin:
                p = params.model_copy(update={"margin_by_link": {line: m}})
                score = _score(sub, sub_model.times(p, t))
                if score < best[0]:
                    best = (score, m, kmh)
        print(f"best {line} ({len(rows)} rows): running_margin {best[1]} "
              f"(geodata/rail_margins.csv), {a} - {b} {best[2]:g} km/h "
              f"(geodata/rail_speed_limits.csv) (score {best[0]:.3f})")


def _score(obs: pd.DataFrame, t: list[tuple[float, str, str]]) -> float:
    m = np.array([x[0] for x in t])
    err = np.abs(m - obs["observed_min"].to_numpy()) / obs["observed_min"].to_numpy()
    if not np.isfinite(err).all():
        return float("inf")
    return float(err.mean() + 2.0 * np.clip(err - 0.20, 0, None).sum())


def report(obs: pd.DataFrame, t: list[tuple[float, str, str]], title: str) -> None:
    """Print the per-row table, the bias per line and the summary."""
    df = obs[["from", "to", "year", "observed_min"]].copy()
    df["kind"] = np.where(obs["all_stops"], "stopping", "fastest")
    df["service"] = [x[1] for x in t]
    df["line"] = [x[2] for x in t]
    df["modelled_min"] = [x[0] for x in t]
    df["error_pct"] = 100 * (df["modelled_min"] - df["observed_min"]) / df["observed_min"]
    print(f"\n== {title}")
    with pd.option_context("display.width", 200, "display.max_rows", None):
        print(df.round(1).to_string(index=False))
        g = df.groupby("line")["error_pct"]
        print("\nbias per line (%):")
        print(pd.DataFrame({"n": g.size(), "bias_pct": g.mean(),
                            "mape_pct": g.apply(lambda x: x.abs().mean())}).round(1)
              .to_string())
    e = df["error_pct"].abs()
    print(f"\nrail rows: mean |error| {e.mean():.1f} %, worst {e.max():.1f} %, "
          f"rows within 20 %: {(e <= 20).sum()}/{len(e)}")


def drive_report(path: Path) -> pd.DataFrame | None:
    """Print the drive rows of *path*: door to door and driving, per row and summarised."""
    obs = read_observed(path)
    obs = obs[obs["mode"] == "drive"].reset_index(drop=True)
    if obs.empty:
        return None
    c = load_corridor()
    driving, s_drv = validate_times(c, obs)
    door, s_door = validate_times(c, obs, drive_parking=True)
    df = driving[["from", "to", "year", "observed_min"]].copy()
    df["door_to_door_min"] = door["modelled_min"]
    df["door_err_pct"] = door["error_pct"]
    df["driving_min"] = driving["modelled_min"]
    df["driving_err_pct"] = driving["error_pct"]
    # what an observed time asks of any route: the speed over the straight line (geodesic,
    # WGS84 ellipsoid) between the two resolved points
    # (planned links too: a drive row may name a station of a line not open yet)
    ends = list(dict.fromkeys([*driving["from_id"], *driving["to_id"]]))
    km = distance_matrix(load_corridor(include_planned=True), ids=ends,
                         include_self=True).set_index(
        ["from_id", "to_id"])["distance_km"]
    df["crow_km"] = km.loc[list(zip(driving["from_id"], driving["to_id"],
                                     strict=True))].to_numpy()
    df["observed_crow_kmh"] = df["crow_km"] / (df["observed_min"] / 60.0)
    df["driving_crow_kmh"] = df["crow_km"] / (df["driving_min"] / 60.0)
    print("\n== drive rows (door to door includes parking; driving = connectors + network;"
          " *_crow_kmh: straight-line km per hour)")
    with pd.option_context("display.width", 250, "display.max_rows", None):
        print(df.round(1).to_string(index=False))
    for what, s in (("door to door", s_door), ("driving", s_drv)):
        print(f"{what:>12}: n={s['drive_n']}, mean |error| {s['drive_mape_pct']:.1f} %, "
              f"within ±25 % {s['drive_within_25_pct']:.0f} %, bias {s['drive_bias_pct']:+.1f} %, "
              f"worst {s['drive_worst_pct']:+.1f} %")
    return df


def _report_file(path: Path, params: RailParameters, title: str, *,
                 used_for: str | None = None) -> None:
    obs = _rows(path) if used_for is None else _held_out_rows(path, used_for=used_for)
    if len(obs):
        report(obs, _Model(obs).times(params), title)


def main() -> None:
    """Print modelled vs observed per row (after an optional grid fit)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("observed", nargs="?", default=str(DEFAULT))
    ap.add_argument("--fit", action="store_true", help="search the parameter grid first")
    ap.add_argument("--held-out", action="store_true",
                    help=f"also print the published times of {HELD_OUT.relative_to(ROOT)}: "
                    "the held-out rows and, apart, the rows that fixed a parameter")
    args = ap.parse_args()
    obs = _rows(Path(args.observed))
    drive_report(Path(args.observed))
    if obs.empty:
        return
    model = _Model(obs)
    base = RailParameters()
    report(obs, model.times(base), "current defaults")
    if args.held_out:
        _report_file(HELD_OUT, base, "held-out published times (current defaults)",
                     used_for="held_out")
        _report_file(HELD_OUT, base, "published times that fixed a parameter (not scored)",
                     used_for="fit")
    if not args.fit:
        return
    keys = list(GRID)
    combos = [dict(zip(keys, v, strict=True)) for v in itertools.product(*GRID.values())]
    best = (float("inf"), None)
    # modes are fitted one after the other (rows of one mode barely depend on the other)
    chosen: dict[str, dict[str, float]] = {}
    for mode in FIT_MODES:
        best = (float("inf"), None)
        for v in combos:
            s = _score(obs, model.times(_params(base, {**chosen, mode: v})))
            if s < best[0]:
                best = (s, v)
        chosen[mode] = best[1]  # type: ignore[assignment]
        print(f"best {mode}: {best[1]} (score {best[0]:.3f})")
    fitted = _params(base, chosen)
    for mode in FIT_MODES:
        p = fitted.modes[mode]
        print(f"{mode}: accel {p.accel_ms2:.2f} m/s2, brake {p.brake_ms2:.2f} m/s2, "
              f"dwell {p.dwell_min} min, running_margin {p.running_margin}")
    report(obs, model.times(fitted), "fitted")
    fit_lines(obs, model, fitted)


if __name__ == "__main__":
    main()
