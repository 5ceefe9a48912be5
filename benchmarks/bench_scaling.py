"""Benchmark: how routing and catchments grow with network size (tiled graphs).

    /work/venv/bin/python benchmarks/bench_scaling.py [--sizes 50000 150000 325000 1000000]

For each size, the tiled corridor graph of ``benchmarks/_tiled.py`` with at least that many
nodes, built in a fresh subprocess (so memory does not carry over), and timed there:

* one-to-all: ``routing.travel_times(net, [origin])`` (min / median of 3, after the
  first-call setup — CSR and strongly connected components — timed as its own row);
* 17-origin catchments: ``catchments.catchments`` with 17 origins snapped from a lon/lat
  lattice (as ``bench_catchments.py``), bands 15/30/45/60/90 min, grid method, once;
* 200 × 200 matrix (origins and destinations seeded from the largest SCC):
  ``travel_times(..., targets=..., method="ch")`` (min / median of 3) with the CCH
  preprocessing (topology + customization) timed once on its own, and
  ``method="dijkstra"`` once;

then a table with seconds and the growth exponent between consecutive sizes
(``log(t2/t1) / log(n2/n1)``; 1.0 = linear in nodes) and microseconds per node.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

BANDS = (15, 30, 45, 60, 90)


def _timed(fn, repeat: int = 1) -> tuple[list[float], object]:
    out, ts = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return ts, out


def child(min_nodes: int, *, with_catchments: bool = True) -> dict:
    import shapely
    from _tiled import build_tiled_network
    from bench_catchments import pick_origins

    from corridor_geo import _ch
    from corridor_geo.catchments import catchments
    from corridor_geo.routing import components, travel_times

    net = build_tiled_network(min_nodes=min_nodes)
    row: dict = {"nodes": net.n_nodes, "edges": net.n_edges}
    t_setup, _ = _timed(lambda: (net.csr("travel_time_s"), components(net)))
    row["setup"] = t_setup
    labels, sizes = components(net)
    main = np.flatnonzero(labels == np.argmax(sizes))
    origin = int(main[len(main) // 2])
    row["one_to_all"], _ = _timed(lambda: travel_times(net, [origin]), repeat=3)

    nodes = pick_origins(net, 17)
    pts = [(float(net.lon[i]), float(net.lat[i])) for i in nodes]
    land = shapely.box(net.lon.min() - 0.1, net.lat.min() - 0.1,
                       net.lon.max() + 0.1, net.lat.max() + 0.1)
    if with_catchments:
        row["catchments_17"], _ = _timed(lambda: catchments(pts, network=net, land=land,
                                                            bands=BANDS))

    rng = np.random.default_rng(42)
    o = np.sort(rng.choice(main, 200, replace=False))
    d = np.sort(rng.choice(main, 200, replace=False))
    def preprocess():
        _ch.topology(net, use_disk=False)  # built from scratch, not read from the cache
        return _ch.metric(net, "travel_time_s")

    row["cch_preprocess"], _ = _timed(preprocess)
    row["matrix_cch"], got = _timed(lambda: travel_times(net, o, targets=d, method="ch"),
                                    repeat=3)
    row["matrix_dijkstra"], ref = _timed(
        lambda: travel_times(net, o, targets=d, method="dijkstra"))
    fin = np.isfinite(ref)
    row["max_diff_s"] = float(np.abs(np.asarray(got)[fin] - np.asarray(ref)[fin]).max())
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[50_000, 150_000, 325_000, 1_000_000])
    ap.add_argument("--no-catchments", action="store_true", help="routing rows only")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        row = child(args.child, with_catchments=not args.no_catchments)
        print("ROW " + json.dumps(row), flush=True)
        return
    rows = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(size),
                              *(["--no-catchments"] if args.no_catchments else [])],
                             check=True, capture_output=True, text=True)
        row = json.loads(next(line[4:] for line in out.stdout.splitlines()
                              if line.startswith("ROW ")))
        rows.append(row)
        print(f"{row['nodes']:>9,} nodes: " + ", ".join(
            f"{k} {min(v):.3f} s" for k, v in row.items() if isinstance(v, list))
            + f", CCH max diff {row['max_diff_s']:.1e} s", flush=True)

    keys = [k for k in ("setup", "one_to_all", "catchments_17", "cch_preprocess", "matrix_cch",
                        "matrix_dijkstra") if k in rows[0]]
    print("\n| measure | " + " | ".join(f"{r['nodes']:,} nodes" for r in rows)
          + " | growth exponent per step | µs per node (largest) |")
    print("|---|" + "---:|" * len(rows) + "---|---:|")
    for k in keys:
        ts = [min(r[k]) for r in rows]
        med = [statistics.median(r[k]) for r in rows]
        exps = [math.log(ts[i + 1] / ts[i]) / math.log(rows[i + 1]["nodes"] / rows[i]["nodes"])
                for i in range(len(rows) - 1)]
        cells = [f"{t:.3f}" + (f" (med {m:.3f})" if len(rows[0][k]) > 1 else "")
                 for t, m in zip(ts, med, strict=True)]
        print(f"| {k} | " + " | ".join(cells) + " | "
              + ", ".join(f"{e:.2f}" for e in exps)
              + f" | {1e6 * ts[-1] / rows[-1]['nodes']:.2f} |")


if __name__ == "__main__":
    main()
