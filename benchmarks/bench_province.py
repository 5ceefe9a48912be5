"""Benchmark: the whole pipeline on a province-sized synthetic OSM file.

    /work/venv/bin/python benchmarks/make_province_pbf.py --out /tmp/province.osm.pbf
    /work/venv/bin/python benchmarks/bench_province.py /tmp/province.osm.pbf \\
        [--bbox W S E N] [--steps build reload catchments matrix] [--workdir /tmp/pw]

Every step runs in its own process against a fresh cache folder (``--workdir``/cache)
and is reported with its wall time and its peak resident memory (``ru_maxrss`` of that
process, from ``os.wait4``):

1. ``build`` — ``corridor-geo network build PBF [--bbox ...]`` (stream the file, build
   the graph, write the cache);
2. ``reload`` — the same command again (cache hit), and, inside one process,
   ``load_network(PBF)`` timed on its own (what a script pays after the imports);
3. ``catchments`` — ``corridor-geo catchments --origins <the 10 core platforms>
   --bands 15,30,45,60 --network PBF --out DIR``, and the size of the map it writes;
4. ``matrix`` — a 40 × 40 drive matrix (the curated platforms and nodes that have a
   point, topped up to 40 with points of an 8 × 5 lattice over the network, snapped)
   with ``travel_times(targets=...)``: Dijkstra, and CCH including its preprocessing.

For memory proportional to the kept ways and not to the file, run ``build`` on two file
sizes with the same ``--bbox`` (the smaller file's extent) and compare the peaks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

print = partial(print, flush=True)  # noqa: A001 - progress in a log file as it happens

CORES = ["core_gz_pazhou", "core_gz_utown_iic", "core_gz_science_city", "core_gz_knowledge_city",
         "core_dg_songshan_lake", "core_dg_binhaiwan", "core_sz_airport_new_town",
         "core_sz_hitech_zone", "core_sz_banxuegang", "core_sz_bio_valley"]


CPU: dict[str, float] = {}


def run(cmd: list[str], env: dict[str, str], label: str) -> tuple[float, float, str]:
    """Run *cmd*; return wall seconds, peak RSS (MB) of the process, and its output.

    The process's CPU time (user + system) is kept in ``CPU[label]``: on a shared
    machine it is closer than the wall time to what the step takes on an idle one.
    """
    t = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.read().decode() if p.stdout else ""
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    CPU[label] = usage.ru_utime + usage.ru_stime
    if code != 0:
        raise SystemExit(f"{label} failed ({code}):\n{out[-3000:]}")
    return wall, usage.ru_maxrss / 1024, out


def _child_reload(pbf: str) -> None:
    from corridor_geo.graph import load_network

    t, c = time.perf_counter(), time.process_time()
    net = load_network(pbf)
    print(json.dumps({"load_s": time.perf_counter() - t, "load_cpu_s": time.process_time() - c,
                      "nodes": net.n_nodes}))


def _child_matrix(pbf: str) -> None:
    import numpy as np

    from corridor_geo import _ch
    from corridor_geo.data import read_geodata
    from corridor_geo.graph import load_network
    from corridor_geo.routing import snap_points, travel_times

    net = load_network(pbf)
    places = read_geodata().places
    px, py = np.asarray(places.geometry.x), np.asarray(places.geometry.y)
    located = np.isfinite(px) & np.isfinite(py)  # unlocated nodes have no point
    lon, lat = list(px[located][:40]), list(py[located][:40])
    lo0, lo1 = np.percentile(net.lon, [5, 95])
    la0, la1 = np.percentile(net.lat, [5, 95])
    gx, gy = np.meshgrid(np.linspace(lo0, lo1, 8), np.linspace(la0, la1, 5))
    lon += list(gx.ravel()[: 40 - len(lon)])
    lat += list(gy.ravel()[: 40 - len(lat)])
    pts = snap_points(net, lon, lat, max_distance_m=5000).node
    t = time.perf_counter()
    dij = travel_times(net, pts, targets=pts, method="dijkstra")
    t_dij = time.perf_counter() - t
    t = time.perf_counter()
    _ch.metric(net)
    t_pre = time.perf_counter() - t
    t = time.perf_counter()
    ch = travel_times(net, pts, targets=pts, method="ch")
    t_ch = time.perf_counter() - t
    fin = np.isfinite(dij)
    print(json.dumps({"points": len(pts), "dijkstra_s": t_dij, "ch_preprocess_s": t_pre,
                      "ch_query_s": t_ch, "reachable_pairs": int(fin.sum()),
                      "max_diff_s": float(np.abs(ch[fin] - dij[fin]).max()),
                      "same_unreachable": bool((np.isinf(ch) == np.isinf(dij)).all())}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pbf", type=Path, nargs="?")
    ap.add_argument("--bbox", type=float, nargs=4, default=None)
    ap.add_argument("--steps", nargs="+", default=["build", "reload", "catchments", "matrix"])
    ap.add_argument("--snap-max", type=float, default=6000.0,
                    help="catchments --snap-max: the tiles leave gaps (sea, the border "
                         "strip of the extract) where some cores fall")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/corridor_geo_province"))
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        {"reload": _child_reload, "matrix": _child_matrix}[args.child[0]](args.child[1])
        return
    pbf = str(args.pbf.resolve())
    args.workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, CORRIDOR_GEO_CACHE_DIR=str(args.workdir / "cache"))
    cli = [sys.executable, "-c", "from corridor_geo.cli import main; main()"]
    print(f"file: {pbf} ({Path(pbf).stat().st_size / 2**20:.1f} MB)")
    bbox = [str(v) for v in args.bbox] if args.bbox else []
    if "build" in args.steps:
        import shutil

        shutil.rmtree(args.workdir / "cache", ignore_errors=True)
        wall, mem, out = run([*cli, "-q", "network", "build", pbf,
                              *(["--bbox", *bbox] if bbox else [])], env, "build")
        summary = json.loads(out[out.index("{"):])
        print(f"build: {wall:.1f} s (CPU {CPU['build']:.1f} s), peak {mem:,.0f} MB -> "
              f"{summary['n_nodes']:,} nodes, "
              f"{summary['n_edges']:,} edges, {summary['length_km']:,.0f} km, classes "
              f"{len(summary['highway'])}")
    if "reload" in args.steps:
        wall, mem, _ = run([*cli, "-q", "network", "build", pbf,
                            *(["--bbox", *bbox] if bbox else [])], env, "reload")
        _, m2, out = run([sys.executable, __file__, "--child", "reload", pbf], env,
                         "reload-child")
        got = json.loads(out.strip().splitlines()[-1])
        print(f"cached reload: CLI {wall:.2f} s (CPU {CPU['reload']:.2f} s, peak {mem:,.0f} MB); "
              "load_network "
              f"{got['load_s']:.2f} s in-process (CPU {got['load_cpu_s']:.2f} s, peak "
              f"{m2:,.0f} MB)")
    if "catchments" in args.steps:
        out_dir = args.workdir / "catchments"
        wall, mem, out = run([*cli, "-q", "catchments", "--origins", *CORES, "--bands",
                              "15,30,45,60", "--network", pbf, "--snap-max", str(args.snap_max),
                              "--out", str(out_dir)],
                             env, "catchments")
        size = (out_dir / "map.html").stat().st_size / 2**20
        print(f"catchments, 10 cores x 15/30/45/60 min: {wall:.1f} s (CPU "
              f"{CPU['catchments']:.1f} s), peak {mem:,.0f} MB; "
              f"map.html {size:.2f} MB")
        print(out[-2500:])
    if "matrix" in args.steps:
        wall, mem, out = run([sys.executable, __file__, "--child", "matrix", pbf], env, "matrix")
        got = json.loads(out.strip().splitlines()[-1])
        print(f"matrix {got['points']} x {got['points']}: process {wall:.1f} s (CPU "
              f"{CPU['matrix']:.1f} s), peak "
              f"{mem:,.0f} MB; Dijkstra {got['dijkstra_s']:.2f} s, CCH preprocess "
              f"{got['ch_preprocess_s']:.1f} s + query {got['ch_query_s']:.3f} s; max diff "
              f"{got['max_diff_s']:.1e} s, same unreachable pairs: {got['same_unreachable']}")


if __name__ == "__main__":
    main()
