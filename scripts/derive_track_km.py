"""Derive station-to-station track distances from OpenStreetMap railway geometry.

Writes ``geodata/rail_track_km.csv``: for every pair of consecutive stops of every rail
link in ``geodata/link_stops.csv`` (and the cross-link connections of through services
in ``geodata/services.csv``), the length of the shortest path between the two stations
on the OpenStreetMap railway graph shipped in the PyPI package ``scgraph-data``
(module ``scgraph_data.world_railways``; the package is MIT, the data are
© OpenStreetMap contributors, ODbL 1.0 — see SOURCES.md).

Why this source: it is the only railway *geometry* available offline here (the
``../shared/data/rail`` lines are simplified to ~3.5 km between vertices and may only
draw maps), it is installable by the project's own dependency files, and the derived
figures are facts per station pair (a distance), so only the attribution is kept.

Steps (each documented in the code below):

1. Load the world railway graph (nodes = (lat, lon) rounded to 0.001°, arcs weighted
   in km) and keep the arcs with both ends in a box 0.3° around all rail stations.
2. Project each station onto its nearest arc (local equirectangular metres), splitting
   the arc there; the perpendicular distance is the *snap* distance (reported, not
   added to the length).
3. For each consecutive stop pair of a link, Dijkstra (scipy.sparse.csgraph) between
   the two projected points gives ``track_km``; ``geodesic_km`` (WGS84, pyproj) is
   reported next to it.
4. A pair is flagged (``flag`` column) when a station snaps farther than
   ``MAX_SNAP_M`` from any railway (line missing from the graph), or when the path is
   more than ``MAX_RATIO`` × the geodesic (the path leaves the line), or shorter than
   ``MIN_RATIO`` × the geodesic (both stations snapped to the same stretch). Flagged pairs keep
   the measured figure but ``corridor_geo.rail`` falls back to geodesic × circuity for
   them (``method`` column says which).
5. The per-line sums are compared with the published lengths in
   ``geodata/line_lengths.csv`` by the data check (``corridor_geo.data`` /
   ``tests/test_rail_data.py``): more than 5 % off needs a recorded reason.

Run from the repository root: ``python scripts/derive_track_km.py`` (deterministic; the
output is sorted and rounded to 0.01 km).
"""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Geod
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

ROOT = Path(__file__).resolve().parents[1]
GEODATA = ROOT / "geodata"
OUT = GEODATA / "rail_track_km.csv"
RAIL_MODES = {"high_speed_rail", "intercity_rail", "conventional_rail"}
MAX_SNAP_M = 1500.0
MAX_RATIO = 1.6
MIN_RATIO = 0.9
MARGIN_DEG = 0.3
_GEOD = Geod(ellps="WGS84")


def _read(name: str) -> list[dict[str, str]]:
    with (GEODATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _pairs() -> list[tuple[str, str, str]]:
    """(link_id, from, to) for consecutive stops of rail links + through connections."""
    modes = {r["id"]: r["mode"] for r in _read("links.csv")}
    by_link: dict[str, list[tuple[int, str]]] = {}
    for r in _read("link_stops.csv"):
        if modes.get(r["link_id"]) in RAIL_MODES:
            by_link.setdefault(r["link_id"], []).append((int(r["seq"]), r["stop_id"]))
    out = []
    for lid, stops in sorted(by_link.items()):
        seq = [s for _, s in sorted(stops)]
        out += [(lid, a, b) for a, b in itertools.pairwise(seq)]
    # through services: the connection between the last stop on one link and the first
    # stop on the next (e.g. Shipai on the Guangshen railway -> Xintang South)
    members = {lid: {s for _, s in v} for lid, v in by_link.items()}
    services = GEODATA / "services.csv"
    if services.exists():
        for r in _read("services.csv"):
            links = r["link_ids"].split(";")
            if len(links) < 2 or r["stops"] == "*":
                continue
            stops = r["stops"].split(";")
            for a, b in itertools.pairwise(stops):
                if not any(a in members[lk] and b in members[lk] for lk in links):
                    out.append(("+".join(links), a, b))
    return sorted(set(out))


def _load_graph(stations: dict[str, tuple[float, float]]) -> tuple[Any, Any]:
    """Step 1: the railway arcs inside the stations' box (node ids kept, weights km)."""
    from scgraph_data.world_railways import world_railways_geograph as g

    lons = [p[0] for p in stations.values()]
    lats = [p[1] for p in stations.values()]
    lo0, lo1 = min(lons) - MARGIN_DEG, max(lons) + MARGIN_DEG
    la0, la1 = min(lats) - MARGIN_DEG, max(lats) + MARGIN_DEG
    nodes = np.asarray(g.nodes, dtype=float)  # (lat, lon)
    inside = ((nodes[:, 0] >= la0) & (nodes[:, 0] <= la1)
              & (nodes[:, 1] >= lo0) & (nodes[:, 1] <= lo1))
    keep = np.flatnonzero(inside)
    index = {int(n): k for k, n in enumerate(keep)}
    arcs = set()
    for n in keep:
        for m, w in g.graph[int(n)].items():
            if int(m) in index and int(m) != int(n):
                a, b = sorted((index[int(n)], index[int(m)]))
                arcs.add((a, b, float(w)))
    arcs_arr = np.array(sorted(arcs), dtype=float)
    return nodes[keep], arcs_arr


def _project(lon: float, lat: float, nodes: np.ndarray,
             arcs: np.ndarray) -> tuple[int, float, float]:
    """Step 2: nearest arc, position t along it (0..1) and perpendicular distance (m)."""
    k = 111_320.0
    cx = math.cos(math.radians(lat))
    ax = (nodes[arcs[:, 0].astype(int), 1] - lon) * k * cx
    ay = (nodes[arcs[:, 0].astype(int), 0] - lat) * k
    bx = (nodes[arcs[:, 1].astype(int), 1] - lon) * k * cx
    by = (nodes[arcs[:, 1].astype(int), 0] - lat) * k
    dx, dy = bx - ax, by - ay
    ll = dx * dx + dy * dy
    t = np.where(ll > 0, -(ax * dx + ay * dy) / np.where(ll > 0, ll, 1), 0.0).clip(0, 1)
    px, py = ax + t * dx, ay + t * dy
    d = np.hypot(px, py)
    i = int(np.argmin(d))
    return i, float(t[i]), float(d[i])


def main() -> None:
    """Derive the distances and write ``geodata/rail_track_km.csv``."""
    stations = {r["id"]: (float(r["lon"]), float(r["lat"])) for r in _read("stations.csv")}
    pairs = _pairs()
    used = sorted({s for _, a, b in pairs for s in (a, b)})
    nodes, arcs = _load_graph({s: stations[s] for s in used})
    n0 = len(nodes)
    proj = {s: _project(*stations[s], nodes, arcs) for s in used}
    # Step 2 (cont.): one virtual node per station, joined to the ends of its arc
    src, dst, wt = list(arcs[:, 0]), list(arcs[:, 1]), list(arcs[:, 2])
    vid = {s: n0 + k for k, s in enumerate(used)}
    for s, (i, t, _) in proj.items():
        a, b, w = arcs[i]
        src += [vid[s], vid[s]]
        dst += [a, b]
        wt += [max(t * w, 1e-6), max((1 - t) * w, 1e-6)]
    # stations on the same arc: direct connection along it
    by_arc: dict[int, list[str]] = {}
    for s, (i, _, _) in proj.items():
        by_arc.setdefault(i, []).append(s)
    for i, ss in by_arc.items():
        for x in range(len(ss)):
            for y in range(x + 1, len(ss)):
                w = abs(proj[ss[x]][1] - proj[ss[y]][1]) * arcs[i][2]
                src.append(vid[ss[x]])
                dst.append(vid[ss[y]])
                wt.append(max(w, 1e-6))
    n = n0 + len(used)
    mat = coo_matrix((wt, (np.array(src, int), np.array(dst, int))), shape=(n, n)).tocsr()
    # Step 3: Dijkstra from every station used
    origins = sorted({a for _, a, _ in pairs})
    dist = dijkstra(mat, directed=False, indices=[vid[s] for s in origins])
    row = {s: k for k, s in enumerate(origins)}
    out = []
    for lid, a, b in pairs:
        km = float(dist[row[a], vid[b]])
        geo = _GEOD.inv(*stations[a], *stations[b])[2] / 1000.0
        snap_a, snap_b = proj[a][2], proj[b][2]
        flags = []
        if snap_a > MAX_SNAP_M or snap_b > MAX_SNAP_M:
            flags.append(f"station farther than {MAX_SNAP_M:.0f} m from the OSM railway graph")
        if not math.isfinite(km):
            flags.append("no path on the OSM railway graph")
        elif geo > 0 and km / geo > MAX_RATIO:
            flags.append(f"path longer than {MAX_RATIO} x geodesic (leaves the line)")
        elif km < MIN_RATIO * geo:
            flags.append(f"path shorter than {MIN_RATIO} x geodesic (both stations snapped "
                         "to the same stretch of track)")
        out.append({
            "link_id": lid, "from_stop": a, "to_stop": b,
            "track_km": f"{km:.2f}" if math.isfinite(km) else "",
            "geodesic_km": f"{geo:.2f}",
            "snap_from_m": f"{snap_a:.0f}", "snap_to_m": f"{snap_b:.0f}",
            "method": "geodesic_circuity" if flags else "osm_rail_graph",
            "flag": "; ".join(flags),
        })
    cols = ["link_id", "from_stop", "to_stop", "track_km", "geodesic_km", "snap_from_m",
            "snap_to_m", "method", "flag"]
    tmp = OUT.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    tmp.replace(OUT)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(out)} pairs, "
          f"{sum(r['method'] != 'osm_rail_graph' for r in out)} flagged")


if __name__ == "__main__":
    main()
