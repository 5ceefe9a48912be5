"""A deterministic corridor-scale drive network made by tiling a real OSM extract.

The Futian–Nanshan drive network (``osm/shenzhen_futian_nanshan_drive_2024-10.osm.pbf``
in the shared data, ~5,800 nodes) is copied onto a ``cols × rows`` grid of tiles laid
side by side from the corridor's south-west corner (112.9E, 22.4N); each copy is shifted
by whole multiples of the extract's width/height in degrees. Node ids become
``tile * 10**12 + osmid``. Adjacent tiles are joined by ``links`` two-way connector
edges per shared side: the ``links`` nodes of the extract's largest strongly connected
component nearest to that side (e.g. largest longitude for the east side), sorted by
the other coordinate, are paired with the opposite side's nodes of the neighbour tile;
a connector is class ``primary`` with its great-circle length at 60 km/h. Nothing
random is involved: the same extract gives the same graph.

Used by ``bench_routing.py`` and by other benchmarks (catchments)::

    from _tiled import build_tiled_network, write_graphml
    net = build_tiled_network(min_nodes=300_000)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from corridor_geo import settings
from corridor_geo.graph import load_network
from corridor_geo.network import Network, haversine_m
from corridor_geo.routing import components

BASE = "osm/shenzhen_futian_nanshan_drive_2024-10.osm.pbf"
ORIGIN = (112.9, 22.4)  # south-west corner of the corridor extent


def base_network() -> Network:
    """The real extract the tiles copy (read through corridor_geo's cache)."""
    path = settings.shared_data_dir() / BASE
    if not path.exists():
        raise SystemExit(f"shared extract {BASE} not found under {settings.shared_data_dir()}")
    return load_network(path, network_type="drive")


def _side_nodes(base: Network, main: np.ndarray, side: str, links: int) -> np.ndarray:
    lon, lat = base.lon[main], base.lat[main]
    key = {"east": -lon, "west": lon, "north": -lat, "south": lat}[side]
    pick = main[np.argsort(key, kind="stable")[:links]]
    other = base.lat if side in ("east", "west") else base.lon
    return pick[np.argsort(other[pick], kind="stable")]


def build_tiled_network(*, min_nodes: int = 300_000, links: int = 8,
                        base: Network | None = None) -> Network:
    """Tile the Futian–Nanshan drive network until it has at least *min_nodes* nodes.

    Parameters
    ----------
    min_nodes
        Smallest node count wanted; the grid is ``cols × rows`` with ``cols = rows + 1``.
    links
        Connector edges per shared tile side.
    base
        The network to tile (default :func:`base_network`).
    """
    base = base if base is not None else base_network()
    n_tiles = math.ceil(min_nodes / base.n_nodes)
    rows = max(1, math.floor(math.sqrt(n_tiles)))
    cols = math.ceil(n_tiles / rows)
    w = float(base.lon.max() - base.lon.min()) + 0.002
    h = float(base.lat.max() - base.lat.min()) + 0.002
    x0 = ORIGIN[0] - float(base.lon.min())
    y0 = ORIGIN[1] - float(base.lat.min())
    n = base.n_nodes
    t = cols * rows
    tile = np.arange(t)
    dx = x0 + (tile % cols) * w
    dy = y0 + (tile // cols) * h
    lon = (base.lon[None, :] + dx[:, None]).ravel()
    lat = (base.lat[None, :] + dy[:, None]).ravel()
    osmid = (base.osmid[None, :] + (tile[:, None] * 10**12)).ravel()
    src = (base.source[None, :].astype(np.int64) + tile[:, None] * n).ravel()
    tgt = (base.target[None, :].astype(np.int64) + tile[:, None] * n).ravel()
    cnt = np.diff(base.geom_offsets)
    glon = (base.geom_lon[None, :] + dx[:, None]).ravel()
    glat = (base.geom_lat[None, :] + dy[:, None]).ravel()
    labels, sizes = components(base)
    main = np.flatnonzero(labels == np.argmax(sizes))
    east, west = _side_nodes(base, main, "east", links), _side_nodes(base, main, "west", links)
    north, south = _side_nodes(base, main, "north", links), _side_nodes(base, main, "south", links)
    cu, cv = [], []
    for k in range(t):
        c, r = k % cols, k // cols
        if c + 1 < cols:
            cu.append(k * n + east)
            cv.append((k + 1) * n + west)
        if r + 1 < rows:
            cu.append(k * n + north)
            cv.append((k + cols) * n + south)
    cu_a, cv_a = np.concatenate(cu), np.concatenate(cv)
    cu_a, cv_a = np.concatenate([cu_a, cv_a]), np.concatenate([cv_a, cu_a])  # two-way
    clen = haversine_m(lon[cu_a], lat[cu_a], lon[cv_a], lat[cv_a])
    k = len(cu_a)
    offs = np.concatenate([[0], np.cumsum(np.concatenate([np.tile(cnt, t), np.full(k, 2)]))])
    return Network.from_edges(
        osmid=osmid, lon=lon, lat=lat,
        source=np.concatenate([src, cu_a]), target=np.concatenate([tgt, cv_a]),
        length_m=np.concatenate([np.tile(base.length_m, t), clen]),
        travel_time_s=np.concatenate([np.tile(base.travel_time_s, t), clen / (60 / 3.6)]),
        highway=np.concatenate([np.tile(np.asarray(base.highway, dtype=object), t),
                                np.full(k, "primary", dtype=object)]),
        name=np.concatenate([np.tile(np.asarray(base.name, dtype=object), t),
                             np.full(k, "", dtype=object)]),
        way_id=np.concatenate([np.tile(base.way_id, t), np.full(k, -1)]),
        oneway=np.concatenate([np.tile(base.oneway, t), np.zeros(k, bool)]),
        maxspeed_kmh=np.concatenate([np.tile(base.maxspeed_kmh, t), np.full(k, np.nan)]),
        geom_offsets=offs,
        geom_lon=np.concatenate([glon, np.column_stack([lon[cu_a], lon[cv_a]]).ravel()]),
        geom_lat=np.concatenate([glat, np.column_stack([lat[cu_a], lat[cv_a]]).ravel()]),
        mode="drive",
        meta={"source": f"tiled {cols}x{rows} of {BASE}", "network_type": "drive",
              "tiles": [cols, rows], "links_per_side": links},
    )


def write_graphml(net: Network, path: str | Path) -> Path:
    """Write *net* as osmnx GraphML (via :meth:`Network.to_osmnx`)."""
    import osmnx as ox

    path = Path(path)
    ox.save_graphml(net.to_osmnx(), path)
    return path
