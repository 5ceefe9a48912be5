"""Fit the effective speed and stop time of the 2025 intercity lines to a real timetable.

The Guangzhou East Ring (``gz_east_ring_icr``), Pazhou-Lianhuashan (``palian_icr``) and
Foshan-Dongguan (``foguan_icr``) intercity lines run far slower than their design speed
and 1-min stops give (the East Ring's all-stops train takes "about 90 min" for 57.8 km).
No posted speeds or dwell times are published for them. This script fits, on the
December 2025 timetable of the Pearl River Delta intercity trains, two values per group
of lines: a whole-link effective speed (``geodata/rail_speed_limits.csv``) and the
effective dwell of the all-stops trains (``geodata/services.csv``, ``dwell_min``).

The timetable is not part of the repository: it is the Markdown tables in
``data/车次信息/`` of github.com/Fo-mal-Haut/MetroPlan (commit 890688d, 2025-12-07),
compiled from 12306; pass the folder holding them. For every pair of stations in those
tables that the model knows, the fastest scheduled time and the median time of the
trains stopping at every station between the two are compared with the model's fastest
service and its all-stops service. The score of a setting is the mean of |error| over
fastest and all-stops times of the pairs on the fitted lines. Rows of
``tests/fixtures/published_rail_times.csv`` on these lines are printed for each setting
(held out: not used in the score).

Usage::

    python scripts/fit_intercity_timetable.py PATH/TO/车次信息
    python scripts/fit_intercity_timetable.py PATH/TO/车次信息 --report [--year 2026]

``--report`` only scores the current data: mean |error| of fastest and all-stops times,
the share of pairs within 20 % and the bias per line (``--year``: the as-of year of the
model, default 2025; the December 2025 tables describe the state that continues into
2026, when the patterns that ended in 2025 are gone).
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEODATA = ROOT / "geodata"
RING = ("gz_east_ring_icr", "palian_icr")  # fitted together: one operator, opened together
RING_ALL = ("gz_east_ring_icr/all", "palian_icr/all")
FOGUAN = "foguan_icr"


def read_timetable(path: Path) -> list[list[tuple[str, int]]]:
    """Return the stops and minutes after midnight of every train of one Markdown table."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    head = next(i for i, r in enumerate(rows) if r and r[0].startswith("车站"))
    stations = [r for r in rows[head + 1:] if r and r[0] and set(r[0]) - set("-: ")]
    trains = []
    for j in range(1, len(rows[head])):
        stops, day = [], 0
        for r in stations:
            m = re.fullmatch(r"(\d\d):(\d\d)", r[j] if j < len(r) else "")
            if m:
                t = int(m[1]) * 60 + int(m[2]) + day
                if stops and t < stops[-1][1] - 600:  # past midnight
                    day += 1440
                    t += 1440
                stops.append((r[0], t))
        if len(stops) >= 2:
            trains.append(stops)
    return trains


def pair_times(folder: Path) -> dict[tuple[str, str], tuple[int, float]]:
    """(from, to) station names -> (fastest minutes, median minutes of all-stops trains)."""
    times: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    for path in sorted(folder.glob("*.md")):
        trains = read_timetable(path)
        order: list[str] = []
        for stops in trains:  # station order of the table
            order += [s for s, _ in stops if s not in order]
        pos = {s: i for i, s in enumerate(order)}
        for stops in trains:
            names = {s for s, _ in stops}
            for (a, ta), (b, tb) in itertools.combinations(stops, 2):
                every = all(s in names for s in order[pos[a]:pos[b] + 1])
                fast, slow = times.setdefault((a, b), ([], []))
                fast.append(tb - ta)
                if every:
                    slow.append(tb - ta)
    return {k: (min(f), statistics.median(s) if s else float("nan"))
            for k, (f, s) in times.items()}


def variant(caps: dict[str, float], dwell: dict[str, float]) -> Path:
    """Return a copy of geodata/ with these whole-link caps and all-stops dwells."""
    folder = Path(tempfile.mkdtemp()) / "geodata"
    shutil.copytree(GEODATA, folder)
    p = folder / "rail_speed_limits.csv"
    rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
    rows = [r for r in rows if not (r[0] in caps and r[1] == r[2] == "*")]
    rows += [[link, "*", "*", str(kmh), "", "", "fit", "low", ""] for link, kmh in caps.items()]
    _write(p, rows)
    p = folder / "services.csv"
    rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
    col = rows[0].index("dwell_min")
    for r in rows[1:]:
        if r[0] in dwell:
            r[col] = str(dwell[r[0]])
    _write(p, rows)
    return folder


def _write(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def model_errors(folder: Path, pairs: dict[tuple[str, str], tuple[int, float]],
                 lines: dict[tuple[str, str], str] | None = None, *, year: int = 2025
                 ) -> tuple[dict[tuple[str, str], tuple[str, float, float]], dict[str, float]]:
    """Per pair: line, % error of fastest and of all-stops; and the held-out rows' times."""
    from corridor_geo.corridor import load_corridor
    from corridor_geo.errors import UnknownIdError
    from corridor_geo.transit import MultimodalNetwork
    from corridor_geo.validate import _stopping

    # a corridor loaded from a folder runs that folder's rail tables
    c = load_corridor(geodata_dir=folder).at_year(year)
    mm = MultimodalNetwork.build(c, street=False, walk=False, as_of=year)
    out = {}
    ids: dict[str, str | None] = {}
    for (a, b), (fast, slow) in pairs.items():
        for s in (a, b):
            if s not in ids:
                try:
                    ids[s] = c.resolve(s, districts=False)
                except UnknownIdError:
                    ids[s] = None
        ia, ib = ids[a], ids[b]
        if ia is None or ib is None:
            continue
        f = mm.fastest_in_vehicle(ia, ib)
        s = _stopping(mm, ia, ib)
        if f is None or s is None:
            continue
        line = lines[a, b] if lines else f[1].link_id
        out[a, b] = (line, 100 * (f[0] - fast) / fast, 100 * (s[0] - slow) / slow)
    held = {}
    published = ROOT / "tests" / "fixtures" / "published_rail_times.csv"
    with published.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["year"] == str(min(year, 2025)) and r["used_for"] == "held_out":
                ia = c.resolve(r["from"], districts=False)
                ib = c.resolve(r["to"], districts=False)
                got = (_stopping(mm, ia, ib) if "all-stops" in r["kind"]
                       else mm.fastest_in_vehicle(ia, ib))
                if got is not None and got[1].link_id in RING:
                    held[f"{r['from']}-{r['to']} {r['minutes']}"] = round(got[0], 1)
    return out, held


def score(errors: dict[tuple[str, str], tuple[str, float, float]], lines: tuple[str, ...]
          ) -> tuple[float, int]:
    """Mean |error| (%) over fastest and all-stops times of the pairs on *lines*."""
    vals = [abs(e) for line, ef, ea in errors.values() if line in lines for e in (ef, ea)
            if e == e]
    return sum(vals) / len(vals), len(vals) // 2


def report(pairs: dict[tuple[str, str], tuple[int, float]], *, year: int) -> int:
    """Print how far the current data are from the timetable, overall and per line."""
    errs, _ = model_errors(variant({}, {}), pairs, year=year)
    by_line: dict[str, list[tuple[float, float]]] = {}
    for line, ef, ea in errs.values():
        by_line.setdefault(line, []).append((ef, ea))
    by_line["all"] = [(ef, ea) for _, ef, ea in errs.values()]
    print(f"{len(pairs)} timetable pairs, {len(errs)} on modelled services, as of {year}")
    print(f"{'line':<20} {'pairs':>5} {'fastest |err| %':>16} {'within 20 %':>12} "
          f"{'bias %':>7} {'all-stops |err| %':>18} {'bias %':>7}")
    for line in sorted(by_line, key=lambda k: (k == "all", k)):
        rows = by_line[line]
        fast = [ef for ef, _ in rows]
        slow = [ea for _, ea in rows if ea == ea]
        print(f"{line:<20} {len(rows):>5} {statistics.mean(map(abs, fast)):>16.2f} "
              f"{100 * sum(abs(e) <= 20 for e in fast) / len(fast):>12.1f} "
              f"{statistics.mean(fast):>+7.1f} "
              f"{statistics.mean(map(abs, slow)) if slow else float('nan'):>18.2f} "
              f"{statistics.mean(slow) if slow else float('nan'):>+7.1f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Print the score of each setting on the timetable, best first."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("timetable", type=Path, help="folder with the MetroPlan *.md tables")
    ap.add_argument("--report", action="store_true",
                    help="only score the current data, per line (no fit)")
    ap.add_argument("--year", type=int, default=2025, help="as-of year of the model")
    args = ap.parse_args(argv)
    if not args.timetable.is_dir():
        ap.error(f"{args.timetable}: not a folder")
    pairs = pair_times(args.timetable)
    if args.report:
        return report(pairs, year=args.year)
    base, held = model_errors(variant({}, {}), pairs)
    lines = {k: v[0] for k, v in base.items()}  # each pair keeps its line across settings
    print(f"{len(pairs)} timetable pairs, {len(base)} on modelled services")
    for name, group in (("East Ring + Pazhou-Lianhuashan", RING), ("Foshan-Dongguan", (FOGUAN,))):
        s, n = score(base, group)
        print(f"current data, {name}: mean |error| {s:.1f} % over {n} pairs")
    print("\nEast Ring + Pazhou-Lianhuashan: effective speed (km/h) x all-stops dwell (min)")
    results = []
    for kmh, dwell in itertools.product((100, 110, 120, 130, 140), (2, 2.5, 3, 3.5, 4)):
        errs, held = model_errors(variant(dict.fromkeys(RING, kmh), dict.fromkeys(RING_ALL, dwell)),
                                  pairs, lines)
        results.append((score(errs, RING)[0], kmh, dwell, held))
    for s, kmh, dwell, held in sorted(results)[:8]:
        print(f"  {kmh:>4} km/h  dwell {dwell:<4} score {s:5.2f} %   held out: {held}")
    # the Foshan-Dongguan trains run through onto the Dongguan-Huizhou line: the score is
    # over the pairs of both lines
    print("\nFoshan-Dongguan: effective speed (km/h); score over both through-run lines")
    both = (FOGUAN, "guanhui_icr")
    for kmh in (70, 80, 90, 100, 110, 120, 140, 160, 180):
        errs, _ = model_errors(variant({FOGUAN: kmh}, {}), pairs, lines)
        print(f"  {kmh:>4} km/h  score {score(errs, both)[0]:5.2f} %  (Foshan-Dongguan pairs "
              f"{score(errs, (FOGUAN,))[0]:5.2f} %, Dongguan-Huizhou "
              f"{score(errs, ('guanhui_icr',))[0]:5.2f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
