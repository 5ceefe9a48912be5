"""Benchmark: origin × destination matrices — corridor_geo CCH vs pandana CH vs raw scipy.

One run prints every figure recorded in benchmarks/README.md ("Many-to-many")::

    /work/venv/bin/python benchmarks/bench_matrix.py [--min-nodes 300000] [--size 200] [--repeat 3]

On the tiled corridor-scale graph (benchmarks/_tiled.py), with *size* origins and *size*
destinations drawn (seeded) from its largest strongly connected component:

* preprocessing, each timed once from scratch: corridor_geo's CCH topology
  (``pyroutingkit`` nested dissection, disk cache off) + first customization;
  pandana ``Network(...)`` (its contraction hierarchy); ``ch-router`` plain CH build
  when installed;
* the matrix, every side timed *repeat* times, interleaved, min and median:
  ``travel_times(net, O, targets=D, method="ch")``, the same with ``method="dijkstra"``
  (chunked, never origins × all nodes), pandana ``shortest_path_lengths`` over the
  size² pairs, raw ``scipy.sparse.csgraph.dijkstra(csr, indices=O)[:, D]`` (allocates
  origins × all nodes), ch-router point-to-point queries;
* re-customization after a speed change (every ``primary``/``secondary`` edge 40 %
  slower): ``_ch.customize`` on the existing topology vs a fresh preprocess;
* exactness: the largest difference of each method from scipy, in seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _once(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-nodes", type=int, default=300_000)
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-scipy", action="store_true", help="skip the raw scipy baseline")
    ap.add_argument("--recustomize-only", action="store_true",
                    help="only the CCH preprocessing and the re-customization rows")
    ap.add_argument("--with-ch-router", action="store_true",
                    help="also time ch-router (RoutingKit plain CH, point-to-point queries)")
    args = ap.parse_args()

    from _tiled import build_tiled_network
    from scipy.sparse.csgraph import dijkstra

    from corridor_geo import _ch
    from corridor_geo.routing import components, travel_times

    net = build_tiled_network(min_nodes=args.min_nodes)
    csr = net.csr("travel_time_s")
    components(net)
    print(f"tiled network: {net.n_nodes:,} nodes, {net.n_edges:,} edges, "
          f"{csr.nnz:,} routing arcs")
    labels, sizes = components(net)
    main_ = np.flatnonzero(labels == np.argmax(sizes))
    rng = np.random.default_rng(42)
    orig = np.sort(rng.choice(main_, args.size, replace=False))
    dest = np.sort(rng.choice(main_, args.size, replace=False))
    k = args.size

    # ---------------------------------------------------------------- preprocessing
    import pyroutingkit as prk

    tail, head, _ = _ch._arcs(net)
    arc_w = _ch._arc_weights(net, "travel_time_s")  # = csr.data on this graph (all finite)

    def cch_pre():
        topo = prk.CCHTopology()
        topo.build(tail, head, net.lat.astype(np.float32), net.lon.astype(np.float32),
                   net.n_nodes)
        q = _ch.quantum(net)
        m = prk.CCHMetric(topo)
        m.customize(_ch._int_weights(arc_w, q))
        return topo, m, q

    t_cch_pre, (topo, m, q) = _once(cch_pre)
    net._cache["ch_topology"] = topo
    net._cache["ch_metric:travel_time_s"] = (m, q)
    print(f"preprocess: corridor_geo CCH (topology + customization) {t_cch_pre:.1f} s; "
          f"quantum {q:.3g} s")

    peers = {}
    if args.recustomize_only:
        _recustomize(net, topo, t_cch_pre, orig, dest, args.repeat)
        return
    try:
        import pandana
        import pandas as pd

        ids = np.arange(net.n_nodes)
        edge_w = pd.DataFrame({"t": arc_w})

        def pd_pre():
            return pandana.Network(pd.Series(net.lon, index=ids), pd.Series(net.lat, index=ids),
                                   pd.Series(tail.astype(np.int64)),
                                   pd.Series(head.astype(np.int64)), edge_w, twoway=False)

        t_pd_pre, pnet = _once(pd_pre)
        print(f"preprocess: pandana {pandana.__version__} Network (CH) {t_pd_pre:.1f} s")
        oa, da = np.repeat(orig, k), np.tile(dest, k)
        peers["pandana"] = lambda: np.asarray(
            pnet.shortest_path_lengths(oa, da, imp_name="t"), dtype=np.float64).reshape(k, k)
    except ImportError as exc:
        print(f"pandana not installed ({exc}); baseline skipped")
    try:
        if not args.with_ch_router:
            raise ImportError("not asked for")
        import routingkit_ch as rkc

        wi = np.rint(arc_w * 1000).astype(np.uint32)
        t_rk_pre, ch = _once(lambda: rkc.ContractionHierarchy.build(net.n_nodes, tail, head, wi))
        print(f"preprocess: ch-router (RoutingKit plain CH, ms weights) {t_rk_pre:.1f} s")
        query = rkc.CHQuery(ch)

        def rk_matrix():
            out = np.empty((k, k))
            for i, o in enumerate(orig.tolist()):
                for j, d in enumerate(dest.tolist()):
                    out[i, j] = query.reset().add_source(o).add_target(d).run().get_distance()
            return out / 1000.0

        peers["ch-router (p2p)"] = rk_matrix
    except ImportError:
        pass

    # ---------------------------------------------------------------- matrix
    sides = {
        "corridor_geo CCH": lambda: travel_times(net, orig, targets=dest, method="ch"),
        "corridor_geo Dijkstra (targets)":
            lambda: travel_times(net, orig, targets=dest, method="dijkstra"),
        **peers,
    }
    if not args.no_scipy:
        sides["raw scipy dijkstra"] = lambda: dijkstra(csr, directed=True, indices=orig)[:, dest]
    times: dict[str, list[float]] = {s: [] for s in sides}
    results = {}
    for _ in range(args.repeat):
        for name, fn in sides.items():  # interleaved
            t, out = _once(fn)
            times[name].append(t)
            results[name] = out
    ref = results.get("raw scipy dijkstra", results["corridor_geo Dijkstra (targets)"])
    base = min(times["corridor_geo CCH"])
    print(f"\n{k} x {k} matrix, {args.repeat} interleaved runs each (min / median), "
          "largest |difference| from scipy:")
    for name in sides:
        ts = times[name]
        diff = np.abs(results[name] - ref)
        print(f"  {name:34s} {min(ts):8.3f} s / {statistics.median(ts):8.3f} s   "
              f"x{min(ts) / base:7.1f} of CCH   max diff {np.nanmax(diff):.2e} s")
    if "pandana" in times:
        r = min(times["pandana"]) / base
        print(f"CCH vs pandana (min): {r:.1f}x faster (target > 1x)")
    _recustomize(net, topo, t_cch_pre, orig, dest, args.repeat)


def _recustomize(net, topo, t_cch_pre: float, orig, dest, repeat: int) -> None:
    """Re-customization after a speed change vs the fresh preprocess timed before."""
    from scipy.sparse.csgraph import dijkstra

    from corridor_geo import _ch
    from corridor_geo.routing import travel_times

    hw = np.asarray(net.highway)
    slow = np.where(np.isin(hw, ["primary", "secondary"]), 1 / 0.6, 1.0)
    changed = net.with_travel_times(net.travel_time_s * slow)
    assert changed._cache["ch_topology"] is topo  # the copy keeps the topology
    t_recust = []
    fresh = changed
    for _ in range(repeat):
        fresh = net.with_travel_times(net.travel_time_s * slow)
        # what a scenario pays: quantum (scaled bound) + customization on the kept topology
        t, _ = _once(lambda f=fresh: _ch.metric(f, "travel_time_s"))
        t_recust.append(t)
    got = travel_times(fresh, orig, targets=dest, method="ch")
    want = dijkstra(fresh.csr("travel_time_s"), directed=True, indices=orig[:20])[:, dest]
    print(f"\nspeed change (primary/secondary 40 % slower): re-customization "
          f"{min(t_recust):.3f} s / {statistics.median(t_recust):.3f} s (min / median of "
          f"{repeat}) vs fresh preprocess {t_cch_pre:.1f} s -> "
          f"{t_cch_pre / min(t_recust):.0f}x (target >= 5x); max diff from scipy "
          f"{np.abs(got[:20] - want).max():.2e} s", flush=True)


if __name__ == "__main__":
    main()
