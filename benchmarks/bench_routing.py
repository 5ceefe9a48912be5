"""Benchmark: corridor_geo's network cache and routing vs osmnx GraphML + networkx.

One run prints every figure recorded in benchmarks/README.md::

    /work/venv/bin/python benchmarks/bench_routing.py [--min-nodes 300000] [--repeat 3]
        [--workdir DIR] [--skip-graphml]

Every side of every comparison runs ``--repeat`` times, interleaved, reported as min and
median.

1. builds the tiled corridor-scale drive network (benchmarks/_tiled.py), writes it to
   corridor_geo's cache format and to osmnx GraphML;
2. first-call setup of a loaded network, each part as its own row: CSR matrix,
   strongly connected components (island check), snapping KD-tree;
3. load time: ``corridor_geo.cache.read_network`` vs ``osmnx.load_graphml``, and load +
   first one-to-all query (setup included);
4. routing, warm: one origin to all nodes, and 17 origins with a 90-minute cutoff:
   ``corridor_geo.routing.travel_times`` vs raw ``scipy.sparse.csgraph.dijkstra`` on the
   same CSR, networkx on osmnx's MultiDiGraph (GraphML), a lean weighted networkx
   ``DiGraph``, igraph and rustworkx (when installed: ``pip install corridor_geo[bench]``)
   — all times asserted equal;
5. memory: peak RSS growth (Linux VmHWM after resetting it with /proc/self/clear_refs)
   while loading each format and running one Dijkstra, each in a fresh subprocess.
"""

from __future__ import annotations

import argparse
import statistics
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


def _interleaved(fns: dict, repeat: int) -> tuple[dict[str, list[float]], dict]:
    """Run every function *repeat* times, interleaved (A B C A B C ...)."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    out: dict = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            out[name] = fn()
            times[name].append(time.perf_counter() - t)
    return times, out


def _once(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _table(title: str, what: str, times: dict[str, list[float]], base: str, *,
           notes: dict[str, str] | None = None) -> None:
    """Print min and median per row and each row's ratio to *base* (base time / row time)."""
    print(f"\n{title}\n  compares: {what}")
    print(f"  {'':<46} {'min s':>9} {'median s':>9} {'runs':>4}   {base} ÷ row (min, median)")
    b = times[base]
    for name, ts in times.items():
        med = statistics.median(b) / statistics.median(ts)
        r = "" if name == base else f"{min(b) / min(ts):8.1f}× {med:8.1f}×"
        note = f"  [{notes[name]}]" if notes and name in notes else ""
        print(f"  {name:<46} {min(ts):9.3f} {statistics.median(ts):9.3f} {len(ts):>4}   "
              f"{r}{note}")


def _peers(net) -> dict:
    """The same weighted directed graph in each peer library that is installed."""
    import networkx as nx

    src, dst = np.asarray(net.source), np.asarray(net.target)
    w = np.asarray(net.travel_time_s, dtype=np.float64)
    # lean baseline: a weighted DiGraph keyed by node index, cheapest parallel edge kept
    order = np.lexsort((w, dst, src))
    first = np.r_[True, (np.diff(src[order]) != 0) | (np.diff(dst[order]) != 0)]
    keep = order[first]
    dg = nx.DiGraph()
    dg.add_nodes_from(range(net.n_nodes))
    dg.add_weighted_edges_from(zip(src[keep].tolist(), dst[keep].tolist(), w[keep].tolist(),
                                   strict=True), weight="w")
    out = {"networkx DiGraph (lean, weighted)": dg}
    try:
        import igraph as ig

        g = ig.Graph(n=net.n_nodes, edges=np.column_stack([src, dst]).tolist(), directed=True)
        g.es["w"] = w.tolist()
        out["igraph"] = g
    except ImportError:
        print("igraph not installed: row skipped (pip install corridor_geo[bench])")
    try:
        import rustworkx as rx

        rg = rx.PyDiGraph(multigraph=True)
        rg.add_nodes_from(range(net.n_nodes))
        rg.add_edges_from(list(zip(src.tolist(), dst.tolist(), w.tolist(), strict=True)))
        out["rustworkx"] = rg
    except ImportError:
        print("rustworkx not installed: row skipped (pip install corridor_geo[bench])")
    return out


def _peer_one(name: str, g, o: int, n: int, cutoff: float | None) -> np.ndarray:
    """Times from node index *o* to all nodes (inf where unreached) with peer *name*."""
    t = np.full(n, np.inf)
    if name.startswith("networkx"):
        import networkx as nx

        d = nx.single_source_dijkstra_path_length(g, o, cutoff=cutoff, weight="w")
        t[np.fromiter(d.keys(), np.int64, len(d))] = np.fromiter(d.values(), float, len(d))
    elif name == "igraph":
        t[:] = np.asarray(g.distances(source=[o], weights="w")[0])  # no cutoff in igraph
    elif name == "rustworkx":
        import rustworkx as rx

        d = rx.digraph_dijkstra_shortest_path_lengths(g, o, edge_cost_fn=float)  # no cutoff
        t[np.fromiter(d.keys(), np.int64, len(d))] = np.fromiter(d.values(), float, len(d))
        t[o] = 0.0
    if cutoff is not None:
        t[t > cutoff] = np.inf
    return t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-nodes", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3,
                    help="interleaved runs of every side of every comparison")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep the written files here and reuse them on the next run")
    ap.add_argument("--skip-graphml", action="store_true",
                    help="skip the osmnx GraphML rows (writing ~1-2 min, loading ~1 min a run)")
    ap.add_argument("--memory-child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        _memory_child(*args.memory_child)
        return

    import networkx as nx
    import osmnx as ox
    from _tiled import build_tiled_network, write_graphml
    from scipy.sparse.csgraph import dijkstra

    from corridor_geo.cache import read_network, save_network
    from corridor_geo.routing import components, snap_points, travel_times

    rep = args.repeat
    with tempfile.TemporaryDirectory(prefix="bench_routing_") as tmp_:
        tmp = args.workdir or Path(tmp_)
        t_build, net = _once(lambda: build_tiled_network(min_nodes=args.min_nodes))
        print(f"tiled network: {net.n_nodes:,} nodes, {net.n_edges:,} edges "
              f"({net.meta['tiles'][0]}x{net.meta['tiles'][1]} tiles), built in {t_build:.1f} s; "
              f"{rep} interleaved runs of every side")
        cache_dir = Path(tmp) / "net"
        graphml = Path(tmp) / "net.graphml"
        t_save, _ = _once(lambda: save_network(net, cache_dir))
        if not args.skip_graphml and not graphml.exists():
            t_gml, _ = _once(lambda: write_graphml(net, graphml))
            print(f"written: corridor_geo cache {t_save:.2f} s, GraphML {t_gml:.1f} s "
                  f"({graphml.stat().st_size / 2**20:.0f} MB)")

        # 0. first-call setup of a loaded network, each part on its own
        setup: dict[str, list[float]] = {"CSR matrix": [], "strongly connected components": [],
                                         "snapping KD-tree": []}
        for _ in range(rep):
            fresh = read_network(cache_dir)
            setup["CSR matrix"].append(_once(lambda f=fresh: f.csr("travel_time_s"))[0])
            setup["strongly connected components"].append(_once(lambda f=fresh: components(f))[0])
            setup["snapping KD-tree"].append(_once(lambda f=fresh: snap_points(
                f, [float(f.lon[0])], [float(f.lat[0])], max_distance_m=1e9))[0])
        print("\nfirst-call setup of a loaded network (cached on it afterwards; included in "
              "'load + first query' below, excluded from the warm query rows)")
        for k, v in setup.items():
            print(f"  {k:<46} {min(v):9.3f} {statistics.median(v):9.3f} {len(v):>4}")

        labels, sizes = components(net)
        main_cc = np.flatnonzero(labels == np.argmax(sizes))
        origin = int(main_cc[len(main_cc) // 2])

        # 1. load, then the first one-to-all query on the freshly loaded graph (setup
        # included): both timed in each run, so "load + first query" is their sum
        def ours_load():
            t0 = time.perf_counter()
            f = read_network(cache_dir)
            t1 = time.perf_counter()
            travel_times(f, [origin])
            return t1 - t0, time.perf_counter() - t1

        def osmnx_load():
            t0 = time.perf_counter()
            g = ox.load_graphml(graphml)
            t1 = time.perf_counter()
            nx.single_source_dijkstra_path_length(g, int(net.osmid[origin]), weight="travel_time")
            return t1 - t0, time.perf_counter() - t1

        fns = {"corridor_geo": ours_load}
        if not args.skip_graphml:
            fns["osmnx"] = osmnx_load
        loads: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
        for _ in range(rep):
            for name, fn in fns.items():
                loads[name].append(fn())
        if not args.skip_graphml:
            _table("load the network", "the same graph from each library's own file format",
                   {"osmnx load_graphml": [a for a, _ in loads["osmnx"]],
                    "corridor_geo read_network": [a for a, _ in loads["corridor_geo"]]},
                   "osmnx load_graphml")
            _table("load + first one-to-all query", "load, then the first query on the fresh "
                   "graph (corridor_geo: CSR + SCC island check built in that query)",
                   {"osmnx load_graphml + networkx query": [a + b for a, b in loads["osmnx"]],
                    "corridor_geo read_network + travel_times": [
                        a + b for a, b in loads["corridor_geo"]]},
                   "osmnx load_graphml + networkx query")
            g_multi = ox.load_graphml(graphml)
        else:
            g_multi = None
        loaded = read_network(cache_dir)
        csr = loaded.csr("travel_time_s")
        components(loaded)
        peers = _peers(loaded)
        n = loaded.n_nodes

        # 2. one origin to all nodes; 17 origins with a 90-minute cutoff
        origins = main_cc[np.linspace(0, len(main_cc) - 1, 17).astype(int)]
        cutoff = 90 * 60.0
        for title, srcs, cut in (("one origin -> all nodes", [origin], None),
                                 ("17 origins, 90-min cutoff", list(origins), cutoff)):
            fns = {"corridor_geo travel_times": lambda s=srcs, c=cut: travel_times(
                       loaded, s, cutoff_s=c),
                   "raw scipy csgraph.dijkstra": lambda s=srcs, c=cut: dijkstra(
                       csr, directed=True, indices=s, limit=np.inf if c is None else c)}
            if g_multi is not None:
                def multi(s=srcs, c=cut):
                    return [nx.single_source_dijkstra_path_length(
                        g_multi, int(loaded.osmid[o]), cutoff=c, weight="travel_time")
                        for o in s]
                fns["networkx MultiDiGraph (osmnx GraphML)"] = multi
            for name, g in peers.items():
                fns[name] = lambda s=srcs, c=cut, nm=name, gg=g: np.vstack(
                    [_peer_one(nm, gg, int(o), n, c) for o in s])
            t, out = _interleaved(fns, rep)
            ours = np.atleast_2d(out["corridor_geo travel_times"])
            reached = int(np.isfinite(ours).sum())
            for name, res in out.items():  # every side gives the same times
                if name == "networkx MultiDiGraph (osmnx GraphML)":
                    for row, r in zip(ours, res, strict=True):
                        np.testing.assert_allclose(row[loaded.node_index(list(r))],
                                                   list(r.values()), rtol=1e-12)
                        assert np.isfinite(row).sum() == len(r)
                else:
                    np.testing.assert_allclose(np.atleast_2d(res), ours, rtol=1e-9)
            base = ("networkx MultiDiGraph (osmnx GraphML)" if g_multi is not None
                    else "networkx DiGraph (lean, weighted)")
            _table(f"{title} ({reached / len(srcs):,.0f} nodes reached per origin; warm: "
                   "setup excluded)", "the same shortest-path times (asserted equal) from "
                   "each library", t, base,
                   notes={"igraph": "no cutoff option: searches the whole graph",
                          "rustworkx": "no cutoff option: searches the whole graph",
                          "corridor_geo travel_times": "scipy + input checks + island check",
                          "raw scipy csgraph.dijkstra": "one single-source search per "
                          "origin, in one call"})
            ours_t = t["corridor_geo travel_times"]
            for label, names in (("lean networkx DiGraph", ["networkx DiGraph (lean, weighted)"]),
                                 ("strongest peer", [k for k in ("igraph", "rustworkx")
                                                     if k in t])):
                if not names:
                    continue
                best = min(names, key=lambda k: statistics.median(t[k]))
                print(f"  corridor_geo travel_times vs {label} ({best}): "
                      f"{min(t[best]) / min(ours_t):.1f}× (min) / "
                      f"{statistics.median(t[best]) / statistics.median(ours_t):.1f}× (median)")
        g_multi = None  # free the networkx graphs before the memory runs
        peers = None

        # 3. memory, each loader in a fresh process
        def child(kind: str, path: Path) -> float:
            out = subprocess.run([sys.executable, __file__, "--memory-child", kind, str(path)],
                                 check=True, capture_output=True, text=True)
            print(f"  [{kind} child] {out.stdout.strip()!r}")
            return float(out.stdout.strip().splitlines()[-1])

        if not args.skip_graphml:
            m_ours = child("cache", cache_dir)
            m_nx = child("graphml", graphml)
            print(f"\npeak memory of the loaded network (+ one Dijkstra), one run each: "
                  f"corridor_geo {m_ours:.0f} MB, networkx/osmnx {m_nx:.0f} MB -> "
                  f"{100 * m_ours / m_nx:.1f}% (target <= 25%)")


if __name__ == "__main__":
    main()
