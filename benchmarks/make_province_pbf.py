"""Write a synthetic province-sized ``.osm.pbf`` by tiling the real Futian–Nanshan extract.

    /work/venv/bin/python benchmarks/make_province_pbf.py --out /tmp/province.osm.pbf \\
        [--cols 12 --rows 8] [--links 8]

The shared extract ``osm/shenzhen_futian_nanshan_drive_2024-10.osm.pbf`` (33,558 nodes,
4,671 ways, every drive street class of a real city) is copied ``cols × rows`` times
onto a grid laid like ``benchmarks/_tiled.py``: from the corridor's south-west corner
(112.9E, 22.4N), each copy shifted by whole multiples of the extract's width/height
(+0.002°), so that the default 12 × 8 grid (3.2 million nodes) covers all ten core
platforms. Every copy gets new ids (node ``id + tile·10**11``, way ``id + tile·10**10``)
and keeps its tags (highway, name, maxspeed, oneway, junction) and timestamps. Adjacent
tiles are joined by ``links`` two-way ``highway=primary`` connector ways per shared
side, between the ``links`` nodes of the extract's largest strongly connected drive
component nearest to that side (as in ``_tiled.py``).

The output is written with pyosmium (nodes, then ways, ids ascending) to a temporary
file next to ``--out`` and renamed. It is derived from OpenStreetMap data (ODbL,
© OpenStreetMap contributors): keep it OUTSIDE the repository (the script refuses a path
inside it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parents[1]
NODE_STEP = 10**11  # > largest node id of the extract (1.2e10)
WAY_STEP = 10**10  # > largest way id (1.3e9)
CONNECTOR_WAY0 = 9 * 10**17


def _read_source(path: Path):
    import osmium

    nodes: list[tuple[int, float, float, dict]] = []
    ways: list[tuple[int, list[int], dict, object]] = []
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            nodes.append((obj.id, obj.location.lon, obj.location.lat,
                          {t.k: t.v for t in obj.tags}))
        elif obj.is_way():
            ways.append((obj.id, [n.ref for n in obj.nodes], {t.k: t.v for t in obj.tags},
                         obj.timestamp))
    nodes.sort(key=lambda n: n[0])
    ways.sort(key=lambda w: w[0])
    return nodes, ways


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="output .osm.pbf (outside the repo)")
    ap.add_argument("--cols", type=int, default=12)
    ap.add_argument("--rows", type=int, default=8)
    ap.add_argument("--links", type=int, default=8)
    args = ap.parse_args()
    out = args.out.resolve()
    if REPO in out.parents:
        raise SystemExit(f"{out} is inside the repository; write derived OSM data elsewhere")
    if not out.name.endswith(".osm.pbf"):
        raise SystemExit("--out must end with .osm.pbf")

    import osmium
    from _tiled import BASE, ORIGIN, _side_nodes, base_network

    from corridor_geo import settings
    from corridor_geo.routing import components

    t0 = time.perf_counter()
    src = settings.shared_data_dir() / BASE
    nodes, ways = _read_source(src)
    base = base_network()
    labels, sizes = components(base)
    main_ = np.flatnonzero(labels == np.argmax(sizes))
    side = {s: base.osmid[_side_nodes(base, main_, s, args.links)]
            for s in ("east", "west", "north", "south")}
    lon = np.array([n[1] for n in nodes])
    lat = np.array([n[2] for n in nodes])
    w = float(lon.max() - lon.min()) + 0.002
    h = float(lat.max() - lat.min()) + 0.002
    x0, y0 = ORIGIN[0] - float(lon.min()), ORIGIN[1] - float(lat.min())
    cols, rows = args.cols, args.rows
    n_tiles = cols * rows
    loc = {n[0]: (n[1], n[2]) for n in nodes}

    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.osm.pbf")
    header = osmium.io.Header()
    header.add_box(osmium.osm.Box(x0 + float(lon.min()), y0 + float(lat.min()),
                                  x0 + float(lon.min()) + cols * w,
                                  y0 + float(lat.min()) + rows * h))
    header.set("generator", "corridor_geo benchmarks/make_province_pbf.py")
    n_nodes = n_ways = 0
    try:
        with osmium.SimpleWriter(str(tmp), header=header, overwrite=True) as wr:
            for t in range(n_tiles):
                dx, dy = x0 + (t % cols) * w, y0 + (t // cols) * h
                off = t * NODE_STEP
                for nid, nlon, nlat, tags in nodes:
                    wr.add_node(osmium.osm.mutable.Node(
                        id=nid + off, location=(nlon + dx, nlat + dy), tags=tags, version=1))
                n_nodes += len(nodes)
            for t in range(n_tiles):
                off, woff = t * NODE_STEP, t * WAY_STEP
                for wid, refs, tags, stamp in ways:
                    wr.add_way(osmium.osm.mutable.Way(
                        id=wid + woff, nodes=[r + off for r in refs], tags=tags, version=1,
                        timestamp=stamp))
                n_ways += len(ways)
            k = 0
            for t in range(n_tiles):
                c, r = t % cols, t // cols
                pairs = []
                if c + 1 < cols:
                    pairs.append((side["east"], t, side["west"], t + 1))
                if r + 1 < rows:
                    pairs.append((side["north"], t, side["south"], t + cols))
                for a_ids, ta, b_ids, tb in pairs:
                    for a, b in zip(a_ids.tolist(), b_ids.tolist(), strict=True):
                        if a not in loc or b not in loc:
                            continue
                        wr.add_way(osmium.osm.mutable.Way(
                            id=CONNECTOR_WAY0 + k,
                            nodes=[a + ta * NODE_STEP, b + tb * NODE_STEP],
                            tags={"highway": "primary", "name": "tile connector"}, version=1))
                        k += 1
            n_ways += k
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"wrote {out}: {cols}x{rows} tiles, {n_nodes:,} nodes, {n_ways:,} ways "
          f"({k:,} connectors), {out.stat().st_size / 2**20:.1f} MB in "
          f"{time.perf_counter() - t0:.0f} s; bbox "
          f"({x0 + lon.min():.4f}, {y0 + lat.min():.4f}, {x0 + lon.min() + cols * w:.4f}, "
          f"{y0 + lat.min() + rows * h:.4f})")


if __name__ == "__main__":
    main()
