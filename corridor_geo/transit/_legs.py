"""Access and egress legs of transit trips (shared by matrices and transit catchments).

Private to :mod:`corridor_geo.transit`: every street search goes through
:func:`corridor_geo.routing.shortest_times` on the layers of a
:class:`~corridor_geo.transit.multimodal.MultimodalNetwork`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyproj import Geod

from corridor_geo.routing import path_from_predecessors, shortest_times
from corridor_geo.transit.multimodal import MultimodalNetwork, StreetLayer

__all__ = ["LEG_MODES", "TRANSIT_MODES", "Legs", "Point", "access_legs", "connector_s",
           "geodesic_m", "layer_times", "leg_geometry", "station_walk_sources"]

_GEOD = Geod(ellps="WGS84")

#: The transit modes and how each end of a trip is reached: ``(access, egress)`` leg
#: modes. ``"transit"`` is walk + rail + walk (no car at either end);
#: ``"park_and_ride"`` is drive + park, rail, walk. The one table read by matrices
#: (:func:`~corridor_geo.transit.travel_time_matrix`) and transit catchments
#: (:func:`~corridor_geo.transit.transit_node_times`).
LEG_MODES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "transit": (("walk",), ("walk",)),
    "park_and_ride": (("drive",), ("walk",)),
}
#: Names of the transit modes (keys of :data:`LEG_MODES`).
TRANSIT_MODES: tuple[str, ...] = tuple(LEG_MODES)


@dataclass(frozen=True)
class Point:
    """A resolved place or ad-hoc point: id and WGS84 coordinates."""

    id: str
    lon: float
    lat: float


@dataclass
class Legs:
    """Cost of reaching every station from every point (or back) by the best method."""

    minutes: np.ndarray          # (n_p, n_s), penalties included
    travel_min: np.ndarray       # (n_p, n_s), moving time only
    method: np.ndarray           # (n_p, n_s) str
    ctx: dict[str, Any]          # what is needed to rebuild the geometry


def geodesic_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Geodesic distance (m, WGS84 ellipsoid), broadcasting the inputs."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(*(np.asarray(a, float)
                                                   for a in (lon1, lat1, lon2, lat2)))
    return np.asarray(_GEOD.inv(lon1, lat1, lon2, lat2)[2], float)


def connector_s(layer: StreetLayer, dist_m: Any, circuity: float) -> np.ndarray:
    """Seconds on the straight connector (× circuity) between a point and its snapped node."""
    return np.asarray(dist_m, float) * circuity / layer.connector_ms


def station_walk_sources(mm: MultimodalNetwork, layer: StreetLayer
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where a walk from each station exit joins *layer*: node, connector seconds, usable.

    The walk egress rule of matrices in the form a catchment's multi-source search
    needs: a station within ``layer.max_snap_m`` of the layer joins it by the connector
    of :func:`layer_times`; one farther away by the walk fallback (straight line ×
    ``walk_circuity`` at ``walk_kmh``) to its nearest node, usable while that walk is
    within ``max_walk_km`` — as an egress leg of a matrix would be.
    """
    p = mm.params
    st = mm.stations
    node, dist = layer.snap(st["lon"].to_numpy(float), st["lat"].to_numpy(float))
    dist = np.asarray(dist, float)
    covered = dist <= layer.max_snap_m
    sec = np.where(covered, connector_s(layer, dist, p.walk_circuity),
                   dist * p.walk_circuity / (p.walk_kmh / 3.6))
    usable = covered | (dist * p.walk_circuity <= p.max_walk_km * 1000.0)
    return np.asarray(node, np.int64), sec, usable


def layer_times(layer: StreetLayer, plon: np.ndarray, plat: np.ndarray, tlon: np.ndarray,
                 tlat: np.ndarray, *, reverse: bool, circuity: float,
                 fallback_ms: float | None = None) -> dict[str, Any]:
    """Seconds from each point to each target through *layer* (inf where not covered).

    With *fallback_ms*, ``sec_joined`` also gives, for ends beyond the snap distance, the
    time with a straight-line × circuity connector at that fallback speed to the nearest
    node (used by drive trips: a sparse major-road network should carry the long part).
    """
    pn, pd_ = layer.snap(plon, plat)
    tn, td = layer.snap(tlon, tlat)
    uniq, inv = np.unique(pn, return_inverse=True)
    dist, pred = shortest_times(layer.graph, uniq, reverse=reverse, return_predecessors=True)
    d = dist[inv][:, tn]
    cov_p, cov_t = pd_ <= layer.max_snap_m, td <= layer.max_snap_m
    conn_p = connector_s(layer, pd_, circuity)
    conn_t = connector_s(layer, td, circuity)
    sec = conn_p[:, None] + d + conn_t[None, :]
    cov = cov_p[:, None] & cov_t[None, :]
    out = {"sec": np.where(cov, sec, np.inf), "covered": cov, "pred": pred, "inv": inv,
           "pn": pn, "tn": tn, "pd": pd_, "td": td}
    if fallback_ms is not None:
        jp = np.where(cov_p, conn_p, pd_ * circuity / fallback_ms)
        jt = np.where(cov_t, conn_t, td * circuity / fallback_ms)
        out["sec_joined"] = jp[:, None] + d + jt[None, :]
    return out


def access_legs(mm: MultimodalNetwork, pts: Sequence[Point], *, egress: bool,
                mode: str = "transit", walk: StreetLayer | None = None) -> Legs:
    """Minutes from each point to each station entry (or from each exit, *egress*).

    The legs allowed are those of *mode* (:data:`LEG_MODES`); a walk leg goes over
    *walk* (default ``mm.walk``) where both ends are covered, else straight line ×
    circuity, and never longer than ``max_walk_km``; a car leg over ``mm.drive`` plus
    parking (access) or pick-up (egress), never longer than ``max_drive_leg_km``.
    """
    p = mm.params
    wlayer = mm.walk if walk is None else walk
    st = mm.stations
    n_p, n_s = len(pts), len(st)
    plon = np.array([q.lon for q in pts])
    plat = np.array([q.lat for q in pts])
    slon, slat = st["lon"].to_numpy(float), st["lat"].to_numpy(float)
    geo_m = geodesic_m(plon[:, None], plat[:, None], slon[None, :], slat[None, :])
    station_pen = (st["exit_min"] if egress else st["entry_min"]).to_numpy(float)
    is_rail = (st["kind"] == "station").to_numpy()
    best = np.full((n_p, n_s), np.inf)
    travel = np.full((n_p, n_s), np.inf)
    method = np.full((n_p, n_s), "", dtype=object)
    ctx: dict[str, Any] = {"geo_m": geo_m}
    modes = LEG_MODES[mode][1 if egress else 0]
    cands: list[tuple[str, np.ndarray, float]] = []
    if "walk" in modes:
        wfall = geo_m * p.walk_circuity / (p.walk_kmh / 3.6) / 60.0
        if wlayer is not None:
            res = layer_times(wlayer, plon, plat, slon, slat, reverse=egress,
                               circuity=p.walk_circuity)
            ctx["walk"] = res
            wnet = res["sec"] / 60.0
            walk_t = np.where(res["covered"], wnet, wfall)
            wmeth = np.where(res["covered"], "walk_network", "walk_fallback")
        else:
            walk_t, wmeth = wfall, np.full((n_p, n_s), "walk_fallback", dtype=object)
        walk_t = np.where(walk_t * (p.walk_kmh / 60.0) <= p.max_walk_km, walk_t, np.inf)
        cands.append(("walk", walk_t, 0.0))
        ctx["walk_method"] = wmeth
    if "drive" in modes:
        dfall = geo_m * p.drive_circuity / (p.drive_fallback_kmh / 3.6) / 60.0
        if mm.drive is not None:
            res = layer_times(mm.drive, plon, plat, slon, slat, reverse=egress,
                               circuity=p.drive_circuity)
            ctx["drive"] = res
            drive = np.where(res["covered"], res["sec"] / 60.0, dfall)
            dmeth = np.where(res["covered"], "drive_network", "drive_fallback")
        else:
            drive, dmeth = dfall, np.full((n_p, n_s), "drive_fallback", dtype=object)
        drive = np.where(geo_m <= p.max_drive_leg_km * 1000.0, drive, np.inf)
        cands.append(("drive", drive, p.pickup_min if egress else p.park_min))
        ctx["drive_method"] = dmeth
    for name, t, pen in cands:
        tot = t + pen
        better = tot < best
        best = np.where(better, tot, best)
        travel = np.where(better, t, travel)
        method = np.where(better, ctx[f"{name}_method"], method)
    at = geo_m < 1.0
    best = np.where(at, 0.0, best)
    travel = np.where(at, 0.0, travel)
    method = np.where(at, "at_station", method)
    best = np.where(is_rail[None, :], best + station_pen[None, :], np.inf)
    return Legs(best, travel, method, ctx)


def leg_geometry(mm: MultimodalNetwork, legs: Legs, pt: Point, i_p: int, i_s: int, *,
                  egress: bool, walk: StreetLayer | None = None
                  ) -> tuple[list[tuple[float, float]], float]:
    """Coordinates from the point to the station (or back) and the distance in km."""
    st = mm.stations
    s_xy = (float(st["lon"].iat[i_s]), float(st["lat"].iat[i_s]))
    meth = legs.method[i_p, i_s]
    p = mm.params
    if meth == "at_station":
        return [s_xy], 0.0
    kind = meth.split("_")[0]
    if meth.endswith("_network"):
        res = legs.ctx[kind]
        layer: StreetLayer = (walk or mm.walk) if kind == "walk" else mm.drive  # type: ignore[assignment]
        pred = res["pred"][res["inv"][i_p]]
        nodes = path_from_predecessors(pred, int(res["tn"][i_s]))
        if egress:
            nodes = nodes[::-1]
        a, b = np.asarray(nodes[:-1]), np.asarray(nodes[1:])
        km = float(np.asarray(layer.length[a, b]).sum()) / 1000.0 if len(a) else 0.0
        circ = p.walk_circuity if kind == "walk" else p.drive_circuity
        km += (res["pd"][i_p] + res["td"][i_s]) * circ / 1000.0
        coords = [(float(layer.lon[n]), float(layer.lat[n])) for n in nodes]
        path = [(pt.lon, pt.lat), *coords, s_xy]
        return (path[::-1] if egress else path), km
    circ = p.walk_circuity if kind == "walk" else p.drive_circuity
    km = float(legs.ctx["geo_m"][i_p, i_s]) * circ / 1000.0
    path = [(pt.lon, pt.lat), s_xy]
    return (path[::-1] if egress else path), km
