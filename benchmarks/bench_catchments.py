"""Benchmark: catchments on the corridor-scale tiled network (issue 16 acceptance figures).

Three comparisons, each printed with what it compares; every timed pair is run the same
number of times on both sides, interleaved (A B A B ...), and reported as min and median:

1. **Grid method, same polygons** (``--repeat`` runs, default 3): today's grid method
   (per-network pair index built per tile and cached on the network, bands traced from
   the raster) against the grid method as it was before issue 16
   (``tests/_grid_reference.py``, a frozen copy: pairs recomputed per call, bands as
   ``union_all`` of cell boxes). Both give the same cells per band (checked here, and
   by ``tests/test_catchments.py``). Today's method is timed cold (first call on the
   network: the grid index is built) and warm (index cached). First-call network setup
   (CSR matrix, strongly connected components, snapping KD-tree) is its own row.
2. **Scaling with the reached area fixed** (``--scaling``): the same origins and bands
   (≤ 30 min, reaching the same nodes) on the ~325k-node and the ~1M-node tiled graphs.
3. **Against the osmnx isochrone notebook** on a subsample of origins (``--osmnx-origins``,
   default 2; 0 skips; it takes ~3 min per origin on 325k nodes): like for like is
   corridor_geo's ``method="buffer"`` (the same buffered-street polygons) against the
   notebook; the grid against the notebook is a *different* method (the grid's areas
   are ~3× larger) and is printed only for reference.

Run::

    python benchmarks/bench_catchments.py [--min-nodes 300000] [--origins 17] [--repeat 3]
        [--osmnx-origins 2] [--scaling] [--scaling-nodes 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))  # the frozen pre-issue-16 grid method

BANDS = (15, 30, 45, 60, 90)
SCALING_BANDS = (10, 20, 30)


def pick_origins(net, k: int, lo: float = 10, hi: float = 90) -> np.ndarray:
    """k nodes spread over the network: snapped from a regular lon/lat lattice."""
    from corridor_geo.routing import snap_points

    cols = int(np.ceil(np.sqrt(k)))
    rows = int(np.ceil(k / cols))
    lo0, lo1 = np.percentile(net.lon, [lo, hi])
    la0, la1 = np.percentile(net.lat, [lo, hi])
    lon, lat = np.meshgrid(np.linspace(lo0, lo1, cols), np.linspace(la0, la1, rows))
    snapped = snap_points(net, lon.ravel()[:k], lat.ravel()[:k], max_distance_m=20_000)
    return np.unique(np.asarray(snapped.node))


def osmnx_notebook(graph, centre, bands, xy) -> list:
    """The osmnx isochrone notebook's make_iso_polys (no infill), one polygon per band."""
    import networkx as nx

    out = []
    for band in bands:
        sub = nx.ego_graph(graph, centre, radius=band * 60.0, distance="travel_time")
        pts = shapely.points([xy[n] for n in sub.nodes])
        lines = shapely.linestrings([[xy[u], xy[v]] for u, v in sub.edges()]) \
            if sub.number_of_edges() else np.zeros(0, dtype=object)
        parts = np.concatenate([shapely.buffer(pts, 50.0), shapely.buffer(lines, 25.0)])
        out.append(shapely.union_all(parts))
    return out


def interleaved(fns: dict[str, Callable[[], object]], repeat: int,
                before: dict[str, Callable[[], None]] | None = None
                ) -> tuple[dict[str, list[float]], dict[str, object]]:
    """Run each function *repeat* times, interleaved; *before[name]* runs untimed first."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    out: dict[str, object] = {}
    for r in range(repeat):
        for name, fn in fns.items():
            if before and name in before:
                before[name]()
            t0 = time.perf_counter()
            out[name] = fn()
            times[name].append(time.perf_counter() - t0)
            print(f"    run {r + 1}/{repeat} {name}: {times[name][-1]:.2f} s", flush=True)
    return times, out


def fmt(ts: list[float]) -> str:
    return f"{min(ts):8.2f} {statistics.median(ts):8.2f}"


def row(label: str, ts: list[float], base: list[float] | None = None) -> None:
    ratio = ""
    if base is not None:
        med = statistics.median(base) / statistics.median(ts)
        ratio = f"   {min(base) / min(ts):6.1f}× {med:6.1f}×"
    print(f"  {label:<52} {fmt(ts)}{ratio}   (n={len(ts)})")


def header(title: str, what: str) -> None:
    print(f"\n{title}\n  compares: {what}")
    print(f"  {'':<52} {'min s':>8} {'median s':>8}   {'ratio min':>7} {'median':>7}")


def land_box(net):
    # the tiles are copies of a real extract laid on a lattice: no real coastline, so the
    # land is the network's bounding box for every method
    return shapely.box(net.lon.min() - 0.1, net.lat.min() - 0.1,
                       net.lon.max() + 0.1, net.lat.max() + 0.1)


def grid_runs(net, origins, bands, repeat: int, *, check: bool = True):
    """Old vs new grid method on *net*; returns the timing dict."""
    import _grid_reference as ref

    import corridor_geo.catchments as cmod

    land = land_box(net)
    kw = {"network": net, "land": land, "bands": bands}
    new_grid = cmod._grid_method

    def old():
        cmod._grid_method = ref.grid_method
        try:
            return cmod.catchments(origins, **kw)
        finally:
            cmod._grid_method = new_grid

    def clear_index():
        net._cache.pop("catchment_grid", None)

    # network setup every method shares (CSR, SCC, KD-tree) happens outside the timings
    cmod.catchments(origins[:1], **kw)
    times, out = interleaved(
        {"before issue 16 (reference)": old,
         "now, cold (grid index built)": lambda: cmod.catchments(origins, **kw),
         "now, warm (grid index cached)": lambda: cmod.catchments(origins, **kw)},
        repeat, before={"now, cold (grid index built)": clear_index})
    if check:
        a, b = out["before issue 16 (reference)"], out["now, warm (grid index cached)"]
        np.testing.assert_allclose(b.area_km2, a.area_km2, rtol=1e-9)
        assert list(a.n_nodes_reached) == list(b.n_nodes_reached)
        sym = [x.symmetric_difference(y).area / max(x.area, 1e-12)
               for x, y in zip(a.geometry, b.geometry, strict=True)]
        print(f"    same polygons: areas equal to 1e-9 in all {len(a)} bands, largest "
              f"symmetric difference {max(sym):.1e} of the area (WGS84 round trip)")
    return times, out


def setup_rows(net_factory) -> dict[str, float]:
    """First-call network setup on a freshly built network (one run each)."""
    from corridor_geo.routing import components, snap_points

    net = net_factory()
    out = {}
    t0 = time.perf_counter()
    net.csr("travel_time_s")
    out["CSR matrix (travel_time_s)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    components(net)
    out["strongly connected components"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    snap_points(net, [float(net.lon[0])], [float(net.lat[0])], max_distance_m=1e9)
    out["snapping KD-tree (main component)"] = time.perf_counter() - t0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-nodes", type=int, default=300_000)
    ap.add_argument("--origins", type=int, default=17)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--osmnx-origins", type=int, default=2,
                    help="origins (a subsample of --origins) for the osmnx notebook baseline "
                         "and corridor_geo's buffer method; 0 skips (~3 min per origin)")
    ap.add_argument("--scaling", action="store_true",
                    help="also time the grid method at ~1M nodes with the reached area fixed")
    ap.add_argument("--scaling-nodes", type=int, default=1_000_000)
    ap.add_argument("--skip-grid", action="store_true",
                    help="skip the old-vs-new grid comparison (e.g. to run the osmnx part alone)")
    args = ap.parse_args()

    from _tiled import build_tiled_network


    net = build_tiled_network(min_nodes=args.min_nodes)
    nodes = pick_origins(net, args.origins)
    origins = [(float(net.lon[i]), float(net.lat[i])) for i in nodes]
    print(f"network: {net.n_nodes:,} nodes, {net.n_edges:,} edges; {nodes.size} origins × "
          f"bands {BANDS} min; {args.repeat} interleaved runs per side")

    # ---------------------------------------------------------------- 1. setup
    setup = setup_rows(lambda: build_tiled_network(min_nodes=args.min_nodes))
    print("\nfirst-call network setup (built once per network, shared by every method; "
          "one run each)")
    for k, v in setup.items():
        print(f"  {k:<52} {v:8.2f}")

    # ---------------------------------------------------------------- 2. grid old vs new
    grid = None
    if not args.skip_grid:
        grid = _grid_section(net, nodes, origins, args.repeat)
    if args.scaling:
        _scaling_section(net, args)
    if args.osmnx_origins > 0:
        _osmnx_section(net, nodes, args)
    if grid is not None:
        print(f"\ngrid areas per band over the {nodes.size} origins, km² (min / mean / max):")
        for bd in BANDS:
            a = grid.loc[grid.band_min == bd, "area_km2"]
            print(f"  {bd:>3} min: {a.min():,.0f} / {a.mean():,.0f} / {a.max():,.0f}")


def _grid_section(net, nodes, origins, repeat):
    header(f"grid method, {nodes.size} origins × {len(BANDS)} bands, end to end "
           "(catchments(), setup above excluded)",
           "SAME polygons (same cells per band): grid method before issue 16 vs now")
    times, out = grid_runs(net, origins, BANDS, repeat)
    base = times["before issue 16 (reference)"]
    row("grid method before issue 16 (reference)", base)
    row("grid now, first call (builds the grid index)", times["now, cold (grid index built)"],
        base)
    row("grid now, grid index cached on the network", times["now, warm (grid index cached)"],
        base)
    index = next(iter(net._cache["catchment_grid"].values()))
    print(f"  grid index: {len(index.tiles)} tiles, {index.nbytes / 2**20:,.0f} MiB "
          f"({index.grid.nx} × {index.grid.ny} cells of {index.grid.cell:g} m)")
    return out["now, warm (grid index cached)"]


def _scaling_section(net, args):
    from _tiled import build_tiled_network

    nodes = pick_origins(net, args.origins)
    header(f"scaling: the same {nodes.size} origins × bands {SCALING_BANDS} min "
           "(reached area fixed) on two network sizes",
           "grid before issue 16 vs now, at each size")
    big = build_tiled_network(min_nodes=args.scaling_nodes)
    # origins in the middle of the smaller network; their 30-minute reach stays in
    # tiles that both networks have at the same place
    mid = pick_origins(net, args.origins, lo=35, hi=65)
    pts = [(float(net.lon[i]), float(net.lat[i])) for i in mid]
    res = {}
    for g in (net, big):
        print(f"  {g.n_nodes:,} nodes:")
        t, o = grid_runs(g, pts, SCALING_BANDS, args.repeat)
        res[g.n_nodes] = (t, o)
    (n0, (t0, o0)), (n1, (t1, o1)) = res.items()
    w = "now, warm (grid index cached)"
    same = list(o0[w].n_nodes_reached) == list(o1[w].n_nodes_reached)
    print(f"  nodes reached per origin and band equal on both networks: {same}")
    for name in t0:
        a, b = statistics.median(t0[name]), statistics.median(t1[name])
        print(f"  {name:<40} {n0:>9,}: {a:6.2f} s  {n1:>9,}: {b:6.2f} s  "
              f"time × {b / a:4.2f} for nodes × {n1 / n0:4.2f} "
              f"(exponent {np.log(b / a) / np.log(n1 / n0):.2f})")
    big = None


def _osmnx_section(net, nodes, args):
    import corridor_geo.catchments as cmod

    sub = nodes[np.linspace(0, nodes.size - 1, args.osmnx_origins).astype(int)]
    sub_pts = [(float(net.lon[i]), float(net.lat[i])) for i in sub]
    land = land_box(net)
    graph = net.to_osmnx()
    xy = {int(k): (float(x), float(y))
          for k, x, y in zip(net.osmid, net.x, net.y, strict=True)}
    header(f"against the osmnx isochrone notebook, {sub.size} of the {nodes.size} origins "
           f"× {len(BANDS)} bands (subsampled: ~3 min per origin), one run per side, "
           "interleaved per origin",
           "LIKE FOR LIKE: corridor_geo method='buffer' vs the notebook (same "
           "buffered-street polygons); grid vs notebook is a DIFFERENT method")
    t_buf, t_nb, t_grid = [], [], []
    areas = []
    for k, (i, pt) in enumerate(zip(sub, sub_pts, strict=True), 1):
        t0 = time.perf_counter()
        b = cmod.catchments([pt], network=net, land=land, bands=BANDS, method="buffer")
        t_buf.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = osmnx_notebook(graph, int(net.osmid[i]), BANDS, xy)
        t_nb.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        g = cmod.catchments([pt], network=net, land=land, bands=BANDS)
        t_grid.append(time.perf_counter() - t0)
        print(f"    origin {k}/{sub.size}: buffer {t_buf[-1]:.1f} s, notebook "
              f"{t_nb[-1]:.1f} s, grid (index cached) {t_grid[-1]:.2f} s", flush=True)
        areas += [(bd, ga, ba, r.area / 1e6) for bd, ga, ba, r in
                  zip(BANDS, g.area_km2, b.area_km2, ref, strict=True)]
    print("  per origin (the notebook is per origin too):")
    row("osmnx notebook (networkx ego_graph + buffer union)", t_nb)
    row("corridor_geo method='buffer' (like for like)", t_buf, t_nb)
    row("corridor_geo grid, index cached (different method)", t_grid, t_nb)
    d = max(abs(ba - ra) for _, _, ba, ra in areas)
    print(f"  buffer vs notebook areas: largest difference {d:.2f} km² over "
          f"{len(areas)} bands")
    print(f"\n  {'band':>4} {'grid km²':>10} {'buffer km²':>11} {'notebook km²':>13}")
    for bd, ga, ba, ra in areas:
        print(f"  {bd:>4} {ga:>10.1f} {ba:>11.1f} {ra:>13.1f}")


if __name__ == "__main__":
    main()
