"""Benchmark: ``corridor-geo batch`` (Dask) against the same scenarios run one after another.

A planner with N scenario files can run them with ``corridor-geo batch`` (a local Dask
cluster of worker processes, the network loaded once per worker) or one ``run`` after
the other. This script times, on the same scenario files (default: ``scenarios/*.yaml``,
each copied ``--copies`` times under new names, so that there is work for every worker):

* **sequential in one process** — :func:`corridor_geo.scenario.run_scenario` per file,
  in this process, after one warm-up run (the network and the corridor are then cached
  per process, the best a loop in a notebook can do);
* **sequential, one process per file** — ``corridor-geo run`` per file (what a shell
  loop does: every run imports the package and loads the network again);
* **batch** — :func:`corridor_geo.batch.run_batch` with ``--workers`` worker processes,
  cluster start-up and shutdown included (``--force``: nothing is skipped).

Every side writes the same outputs (checked: the same files with the same bytes in each
scenario's folder; ``run.log``, whose lines carry clock times, and the ``summary.json``
and ``batch.json`` records aside). Ratios are *sequential ÷ batch*, above 1 when the
batch is faster. Sides run interleaved ``--repeat`` times (A B C A B C ...); min and
median are printed.

Run::

    python benchmarks/bench_batch.py [--copies 2] [--workers 2] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _scenarios(folder: Path, copies: int) -> list[Path]:
    out = []
    for src in sorted((ROOT / "scenarios").glob("*.yaml")):
        for k in range(copies):
            dst = folder / f"{src.stem}_{k}.yaml"
            # the scenario files name their data relative to themselves: none do today
            shutil.copyfile(src, dst)
            out.append(dst)
    return out


def _in_process(paths: list[Path], out: Path) -> None:
    from corridor_geo.scenario import run_scenario

    for p in paths:
        run_scenario(p, out=out / p.stem, progress=False)


def _per_process(paths: list[Path], out: Path) -> None:
    exe = Path(sys.executable).with_name("corridor-geo")
    # a LocalCluster's nannies write their pre-spawn environment into this process's
    # os.environ (distributed's MALLOC_TRIM_THRESHOLD_ among it); a shell loop has none
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    for p in paths:
        subprocess.run([str(exe), "-q", "run", str(p), "--out", str(out / p.stem)],
                       check=True, stdout=subprocess.DEVNULL, env=env)


def _batch(paths: list[Path], out: Path, workers: int) -> None:
    from corridor_geo.batch import run_batch

    report = run_batch(paths, out=out, n_workers=workers, force=True, progress=False)
    if not report.ok:
        raise SystemExit(f"batch failed: {report.to_dict()}")


def _outputs(folder: Path) -> dict[str, bytes]:
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*"))
            if f.is_file() and f.name not in {"summary.json", "batch.json", "run.log"}
            and not f.name.startswith(".")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=2, help="copies of each scenario file")
    ap.add_argument("--workers", type=int, default=2, help="batch worker processes")
    ap.add_argument("--repeat", type=int, default=2, help="interleaved runs of each side")
    args = ap.parse_args()

    import corridor_geo
    from corridor_geo import settings

    settings.progress = False
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        (tmpd / "in").mkdir()
        paths = _scenarios(tmpd / "in", args.copies)
        _in_process(paths[:1], tmpd / "warm")  # warm this process's caches once
        sides = {
            "sequential, one process": lambda o: _in_process(paths, o),
            "sequential, `corridor-geo run` per file": lambda o: _per_process(paths, o),
            f"batch, {args.workers} workers": lambda o: _batch(paths, o, args.workers),
        }
        times: dict[str, list[float]] = {k: [] for k in sides}
        outputs: dict[str, dict[str, bytes]] = {}
        for r in range(args.repeat):
            for name, fn in sides.items():
                out = tmpd / f"out_{r}_{len(times[name])}_{abs(hash(name))}"
                t0 = time.perf_counter()
                fn(out)
                times[name].append(time.perf_counter() - t0)
                outputs.setdefault(name, _outputs(out))
        first = next(iter(outputs.values()))
        same = all(o == first for o in outputs.values())

    print(f"corridor_geo {corridor_geo.__version__}, Python {sys.version.split()[0]}")
    print(f"{len(paths)} scenario runs ({args.copies} copies of each file in scenarios/), "
          f"{args.repeat} interleaved repeats; same output files on every side: {same}")
    base = f"batch, {args.workers} workers"
    bmin, bmed = min(times[base]), statistics.median(times[base])
    print(f"{'side':44s} {'min s':>8s} {'median s':>9s} {'÷ batch (min)':>14s} "
          f"{'÷ batch (median)':>17s}")
    for name, ts in times.items():
        print(f"{name:44s} {min(ts):8.1f} {statistics.median(ts):9.1f} "
              f"{min(ts) / bmin:14.2f} {statistics.median(ts) / bmed:17.2f}")
    if not same:
        raise SystemExit("the sides wrote different outputs")


if __name__ == "__main__":
    main()
