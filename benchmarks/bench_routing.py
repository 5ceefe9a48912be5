"""Benchmark: corridor_geo's network cache and routing vs osmnx GraphML + networkx.

One run prints every figure recorded in benchmarks/README.md::

    /work/venv/bin/python benchmarks/bench_routing.py [--min-nodes 300000]

1. builds the tiled corridor-scale drive network (benchmarks/_tiled.py), writes it to
   corridor_geo's cache format and to osmnx GraphML;
2. load time: ``corridor_geo.cache.read_network`` vs ``osmnx.load_graphml``;
3. routing: one origin to all nodes, and 17 origins with a 90-minute cutoff, with
   ``corridor_geo.routing.travel_times`` vs networkx Dijkstra on the GraphML graph
   (times asserted equal);
4. memory: peak RSS growth (Linux VmHWM after resetting it with /proc/self/clear_refs)
   while loading each format and running one Dijkstra, each in a fresh subprocess.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{key} not in /proc/self/status")


def _start_measure() -> float:
    """Current RSS, after resetting the peak-RSS mark (Linux: clear_refs 5)."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def _peak_since(before: float) -> float:
    return _status_mb("VmHWM") - before


def _memory_child(kind: str, path: str) -> None:
    if kind == "cache":
        from corridor_geo.cache import read_network
        from corridor_geo.routing import travel_times

        before = _start_measure()
        net = read_network(path)
        net.csr("travel_time_s")  # include the routing matrix
        travel_times(net, [0], on_island="ignore")
    else:
        import networkx as nx
        import osmnx as ox

        before = _start_measure()
        g = ox.load_graphml(path)
        nx.single_source_dijkstra_path_length(g, next(iter(g.nodes)), weight="travel_time")
    print(f"{_peak_since(before):.1f}")


def _timed(fn, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-nodes", type=int, default=300_000)
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep the written files here and reuse them on the next run")
    ap.add_argument("--memory-child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        _memory_child(*args.memory_child)
        return

    import networkx as nx
    import osmnx as ox
    from _tiled import build_tiled_network, write_graphml

    from corridor_geo.cache import read_network, save_network
    from corridor_geo.routing import components, travel_times

    with tempfile.TemporaryDirectory(prefix="bench_routing_") as tmp_:
        tmp = args.workdir or Path(tmp_)
        t_build, net = _timed(lambda: build_tiled_network(min_nodes=args.min_nodes))
        print(f"tiled network: {net.n_nodes:,} nodes, {net.n_edges:,} edges "
              f"({net.meta['tiles'][0]}x{net.meta['tiles'][1]} tiles), built in {t_build:.1f} s")
        cache_dir = Path(tmp) / "net"
        graphml = Path(tmp) / "net.graphml"
        t_save, _ = _timed(lambda: save_network(net, cache_dir))
        if not graphml.exists():
            t_gml, _ = _timed(lambda: write_graphml(net, graphml))
            print(f"written: corridor_geo cache {t_save:.2f} s, GraphML {t_gml:.1f} s "
                  f"({graphml.stat().st_size / 2**20:.0f} MB)")

        # 1. load
        t_load, loaded = _timed(lambda: read_network(cache_dir), repeat=3)
        t_ox, g = _timed(lambda: ox.load_graphml(graphml))
        print(f"load: corridor_geo {t_load:.3f} s, osmnx.load_graphml {t_ox:.1f} s "
              f"-> {t_ox / t_load:.0f}x faster (target >= 20x)")

        # 2. routing
        labels, sizes = components(loaded)
        main = np.flatnonzero(labels == np.argmax(sizes))
        origin = int(main[len(main) // 2])
        t_one, ours = _timed(lambda: travel_times(loaded, [origin]), repeat=3)
        t_nx1, ref = _timed(lambda: nx.single_source_dijkstra_path_length(
            g, int(loaded.osmid[origin]), weight="travel_time"))
        idx = loaded.node_index(list(ref))
        np.testing.assert_allclose(ours[0, idx], list(ref.values()), rtol=1e-12)
        assert np.isfinite(ours[0]).sum() == len(ref)
        print(f"one origin -> all {net.n_nodes:,} nodes ({len(ref):,} reached): corridor_geo "
              f"{t_one:.3f} s, networkx {t_nx1:.2f} s -> {t_nx1 / t_one:.0f}x (same times)")
        origins = main[np.linspace(0, len(main) - 1, 17).astype(int)]
        cutoff = 90 * 60.0
        t_17, ours17 = _timed(lambda: travel_times(loaded, origins, cutoff_s=cutoff), repeat=3)

        def nx17():
            return [nx.single_source_dijkstra_path_length(
                g, int(loaded.osmid[o]), cutoff=cutoff, weight="travel_time") for o in origins]

        t_nx17, ref17 = _timed(nx17)
        reached = 0
        for row, r in zip(ours17, ref17, strict=True):
            np.testing.assert_allclose(row[loaded.node_index(list(r))], list(r.values()),
                                       rtol=1e-12)
            assert np.isfinite(row).sum() == len(r)
            reached += len(r)
        print(f"17 origins, 90-min cutoff ({reached / 17:,.0f} nodes reached on average): "
              f"corridor_geo {t_17:.3f} s, networkx {t_nx17:.2f} s -> {t_nx17 / t_17:.0f}x "
              "(same times)")
        g = None  # free the networkx graph before the memory runs

        # 3. memory, each loader in a fresh process
        def child(kind: str, path: Path) -> float:
            out = subprocess.run([sys.executable, __file__, "--memory-child", kind, str(path)],
                                 check=True, capture_output=True, text=True)
            print(f"  [{kind} child] {out.stdout.strip()!r}")
            return float(out.stdout.strip().splitlines()[-1])

        m_ours = child("cache", cache_dir)
        m_nx = child("graphml", graphml)
        print(f"peak memory of the loaded network (+ one Dijkstra): corridor_geo {m_ours:.0f} MB, "
              f"networkx/osmnx {m_nx:.0f} MB -> {100 * m_ours / m_nx:.1f}% (target <= 25%)")


if __name__ == "__main__":
    main()
