"""Benchmark: peak memory of ``network build`` against the size of the OSM file.

    /work/venv/bin/python benchmarks/bench_build_memory.py SMALL.osm.pbf BIG.osm.pbf \\
        [--bbox W S E N] [--workdir DIR]

Shows that the build's memory follows the ways it keeps, not the file it streams. Both
files are built with the same clip box (default: the small file's extent, so that both
keep the same network), each case in fresh processes on a fresh cache:

* the CLI, ``corridor-geo network build FILE --bbox ...``: wall, CPU and peak RSS of the
  whole process (``ru_maxrss`` from ``os.wait4``);
* the same build in one process, phase by phase (``_osm.read_osm_file`` →
  ``build_edges`` → largest component → ``Network.from_edges`` → cache write), with the
  peak RSS of each phase (Linux ``VmHWM``, reset through ``/proc/self/clear_refs``
  before the phase) and what the phase keeps: ways, way-node references and distinct
  nodes read; graph nodes and edges. The peak divided by the kept references should be
  the same for both files; the file's size shows only in the CPU time of the read.

Run it on a quiet machine: the CPU times are what the build costs; peak memory does not
depend on the load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from functools import partial
from pathlib import Path


def _mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(key)


def _reset() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS


def _phases(pbf: str, bbox: list[float], out: str) -> None:
    """One build, phase by phase (runs in its own process)."""
    from corridor_geo import _osm
    from corridor_geo.cache import save_network
    from corridor_geo.graph import _build_from_osm_file
    from corridor_geo.network import Network

    path = Path(pbf)
    res: dict = {"rss_after_imports_mb": _mb("VmRSS")}

    def phase(name: str, fn):
        _reset()
        t, c = time.perf_counter(), time.process_time()
        got = fn()
        res[name] = {"peak_mb": _mb("VmHWM"), "rss_after_mb": _mb("VmRSS"),
                     "wall_s": time.perf_counter() - t, "cpu_s": time.process_time() - c}
        return got

    raw = phase("read_osm_file", lambda: _osm.read_osm_file(
        path, network_type="drive", bbox=tuple(bbox)))
    res["kept_ways"] = len(raw.way_ids)
    res["kept_refs"] = len(raw.refs)
    res["kept_nodes_read"] = len(raw.node_ids)
    import shapely

    clip = shapely.box(*bbox)
    arrays = phase("build_edges", partial(_osm.build_edges, raw, network_type="drive",
                                          polygon=clip))
    phase("largest_component", partial(_osm.largest_component, arrays))
    arrays = raw = None
    net = phase("whole _build_from_osm_file", lambda: _build_from_osm_file(
        path, network_type="drive", clip=clip, speeds=None, retain_all=False, progress=False))
    assert isinstance(net, Network)
    res["graph_nodes"], res["graph_edges"] = net.n_nodes, net.n_edges
    phase("save_network (cache write)", lambda: save_network(net, Path(out)))
    res["process_peak_mb"] = max(v["peak_mb"] for v in res.values() if isinstance(v, dict))
    print("RESULT " + json.dumps(res))


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    t = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.read().decode() if p.stdout else ""
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed:\n{out[-3000:]}")
    return time.perf_counter() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, out


def _count_nodes(pbf: str) -> int:
    import osmium

    class H(osmium.SimpleHandler):
        n = 0

        def node(self, _n) -> None:
            H.n += 1

    H().apply_file(pbf)
    return H.n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--bbox", type=float, nargs=4, default=None,
                    help="clip box for both files (default: the first file's extent)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/corridor_geo_build_memory"))
    ap.add_argument("--phases-child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phases_child:
        pbf, bbox, out = args.phases_child
        _phases(pbf, json.loads(bbox), out)
        return
    import osmium

    bbox = args.bbox
    if bbox is None:
        box = osmium.io.Reader(str(args.files[0]), osmium.osm.osm_entity_bits.NOTHING) \
            .header().box()
        bbox = [box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat]
    print(f"clip box for every file: {bbox}")
    cli = [sys.executable, "-c", "from corridor_geo.cli import main; main()"]
    rows = []
    for f in args.files:
        f = f.resolve()
        cache = args.workdir / f.stem / "cache"
        shutil.rmtree(cache, ignore_errors=True)
        env = dict(os.environ, CORRIDOR_GEO_CACHE_DIR=str(cache))
        wall, cpu, peak, out = _run([*cli, "-q", "network", "build", str(f), "--bbox",
                                     *map(str, bbox)], env)
        summ = json.loads(out[out.index("{"):])
        shutil.rmtree(args.workdir / f.stem / "phases", ignore_errors=True)
        _, cpu2, _, out2 = _run([sys.executable, __file__, "--phases-child", str(f),
                                     json.dumps(bbox), str(args.workdir / f.stem / "phases")],
                                    env)
        ph = json.loads(next(ln[7:] for ln in out2.splitlines() if ln.startswith("RESULT ")))
        row = {"file": f.name, "mb": f.stat().st_size / 2**20, "osm_nodes": _count_nodes(str(f)),
               "cli_wall": wall, "cli_cpu": cpu, "cli_peak": peak,
               "graph": (summ["n_nodes"], summ["n_edges"]), "phases": ph}
        rows.append(row)
        print(f"\n{f.name} ({row['mb']:.1f} MB, {row['osm_nodes']:,} OSM nodes): CLI build "
              f"{wall:.1f} s wall, CPU {cpu:.1f} s, peak RSS {peak:,.0f} MB -> "
              f"{summ['n_nodes']:,} nodes, {summ['n_edges']:,} edges")
        print(f"  kept: {ph['kept_ways']:,} ways, {ph['kept_refs']:,} way-node refs, "
              f"{ph['kept_nodes_read']:,} distinct nodes; graph {ph['graph_nodes']:,} nodes, "
              f"{ph['graph_edges']:,} edges; RSS after imports "
              f"{ph['rss_after_imports_mb']:.0f} MB")
        for k, v in ph.items():
            if isinstance(v, dict):
                print(f"  {k:<28} peak {v['peak_mb']:7,.0f} MB, RSS after "
                      f"{v['rss_after_mb']:7,.0f} MB, {v['wall_s']:6.1f} s (CPU "
                      f"{v['cpu_s']:.1f} s)")
        # (the process's ru_maxrss is no use here: clear_refs resets it with VmHWM)
        print(f"  phases process: largest phase peak {ph['process_peak_mb']:,.0f} MB, "
              f"CPU {cpu2:.1f} s")
    if len(rows) == 2:
        a, b = rows
        ka, kb = a["phases"]["kept_refs"], b["phases"]["kept_refs"]
        print(f"\nfile size x{b['mb'] / a['mb']:.2f}, OSM nodes x"
              f"{b['osm_nodes'] / a['osm_nodes']:.2f}, kept refs x{kb / ka:.3f}: CLI peak "
              f"x{b['cli_peak'] / a['cli_peak']:.3f} ({a['cli_peak']:,.0f} -> "
              f"{b['cli_peak']:,.0f} MB), per kept ref {a['cli_peak'] * 2**20 / ka:.0f} -> "
              f"{b['cli_peak'] * 2**20 / kb:.0f} bytes; CLI CPU x{b['cli_cpu'] / a['cli_cpu']:.2f}")


if __name__ == "__main__":
    main()
