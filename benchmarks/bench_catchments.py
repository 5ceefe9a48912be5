"""Benchmark: catchments for 17 origins × 5 bands on the corridor-scale tiled network.

corridor_geo (``catchments``, grid method; also its ``buffer`` method) against the
osmnx example-notebook method on the same graph in the same run: per origin and band
``networkx.ego_graph(G, origin, radius=band, distance="travel_time")``, then reached
nodes buffered by 50 m and reached edges by 25 m, unioned (``make_iso_polys`` without
infill). The baseline is given projected node coordinates and builds edges as straight
segments from a dict (faster than the notebook's per-edge ``nodes_gdf.loc`` lookups).
Graph building/conversion is not timed on either side.

Run:  python benchmarks/bench_catchments.py [--min-nodes 300000] [--origins 17] [--with-buffer]
Prints the wall time of both, the ratio, and the area of every band for both.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

BANDS = (15, 30, 45, 60, 90)


def pick_origins(net, k: int) -> np.ndarray:
    """k nodes spread over the network: snapped from a regular lon/lat lattice."""
    from corridor_geo.routing import snap_points

    cols = int(np.ceil(np.sqrt(k)))
    rows = int(np.ceil(k / cols))
    lo0, lo1 = np.percentile(net.lon, [10, 90])
    la0, la1 = np.percentile(net.lat, [10, 90])
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-nodes", type=int, default=300_000)
    ap.add_argument("--origins", type=int, default=17)
    ap.add_argument("--with-buffer", action="store_true",
                    help="also time corridor_geo's buffer method (as slow as the baseline)")
    args = ap.parse_args()

    from _tiled import build_tiled_network

    from corridor_geo.catchments import catchments

    net = build_tiled_network(min_nodes=args.min_nodes)
    nodes = pick_origins(net, args.origins)
    print(f"network: {net.n_nodes:,} nodes, {net.n_edges:,} edges; {nodes.size} origins × "
          f"bands {BANDS} min")
    origins = [(float(net.lon[i]), float(net.lat[i])) for i in nodes]
    # the tiles are copies of a real extract laid on a lattice: no real coastline, so the
    # land is the network's bounding box for every method
    land = shapely.box(net.lon.min() - 0.1, net.lat.min() - 0.1,
                       net.lon.max() + 0.1, net.lat.max() + 0.1)

    t0 = time.perf_counter()
    grid = catchments(origins, network=net, land=land, bands=BANDS)
    t_grid = time.perf_counter() - t0
    t_buf = float("nan")
    buf = grid.assign(area_km2=np.nan)
    if args.with_buffer:
        t0 = time.perf_counter()
        buf = catchments(origins, network=net, land=land, bands=BANDS, method="buffer")
        t_buf = time.perf_counter() - t0

    graph = net.to_osmnx()
    xy = {int(k): (float(x), float(y)) for k, x, y in zip(net.osmid, net.x, net.y, strict=True)}
    print(f"corridor_geo grid: {t_grid:.2f} s; now the osmnx notebook method...", flush=True)
    t0 = time.perf_counter()
    base = {}
    for k, i in enumerate(nodes, 1):
        base[int(net.osmid[i])] = osmnx_notebook(graph, int(net.osmid[i]), BANDS, xy)
        print(f"  osmnx notebook: origin {k}/{nodes.size} done, "
              f"{time.perf_counter() - t0:.1f} s so far", flush=True)
    t_base = time.perf_counter() - t0

    # rows of `grid` are sorted by origin id = f"point_{lon}_{lat}"; map back to nodes
    key = {f"point_{net.lon[i]:.6f}_{net.lat[i]:.6f}": int(net.osmid[i]) for i in nodes}
    print(f"\n{'origin':>28} {'band':>4} {'grid km²':>10} {'cg buffer km²':>14} "
          f"{'osmnx km²':>10}")
    for (_, g), (_, b) in zip(grid.iterrows(), buf.iterrows(), strict=True):
        ref = base[key[g.origin_id]][BANDS.index(g.band_min)].area / 1e6
        print(f"{g.origin_id:>28} {g.band_min:>4} {g.area_km2:>10.1f} {b.area_km2:>14.1f} "
              f"{ref:>10.1f}")
    print(f"\ncorridor_geo grid:   {t_grid:8.2f} s")
    if args.with_buffer:
        print(f"corridor_geo buffer: {t_buf:8.2f} s")
    print(f"osmnx notebook:      {t_base:8.2f} s")
    print(f"speed-up grid vs osmnx notebook:   {t_base / t_grid:6.1f}×  (target ≥ 10×)")
    if args.with_buffer:
        print(f"speed-up buffer vs osmnx notebook: {t_base / t_buf:6.1f}×")


if __name__ == "__main__":
    main()
