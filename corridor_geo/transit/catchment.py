"""Transit catchments: door-to-node times by walk, or by a transit mode's chain.

Examples
--------
>>> t = transit_node_times(mm, walk_net, [113.89], [22.925], cutoff_s=5400)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor_geo.errors import ArgumentError
from corridor_geo.network import Network
from corridor_geo.routing import shortest_times, snap_points
from corridor_geo.settings import SNAP_MAX_M
from corridor_geo.transit._legs import (
    LEG_MODES,
    TRANSIT_MODES,
    Point,
    access_legs,
    geodesic_m,
    station_walk_sources,
)
from corridor_geo.transit.multimodal import MultimodalNetwork, StreetLayer, walk_layer

__all__ = ["TransitTimes", "transit_node_times", "transit_times"]


@dataclass(frozen=True)
class TransitTimes:
    """Door-to-network transit times of some origins (:func:`transit_times`).

    Attributes
    ----------
    nodes
        Seconds to every node of the walk network, shape ``(n_points, n_nodes)``,
        ``inf`` where not reached (what :func:`transit_node_times` returns).
    station_lon, station_lat
        WGS84 coordinates of the stations of the multimodal network, shape ``(n_s,)``.
    stations
        Seconds from each origin to the exit of each station, alighting there (the time
        of a matrix trip whose destination is the station itself), shape
        ``(n_points, n_s)``, ``inf`` where no rail trip arrives within the cutoff.
    """

    nodes: np.ndarray
    station_lon: np.ndarray
    station_lat: np.ndarray
    stations: np.ndarray


def transit_node_times(mm: MultimodalNetwork, net: Network, lon: Any, lat: Any, *,
                       mode: str = "transit", cutoff_s: float | None = None,
                       snap_max_m: float = SNAP_MAX_M) -> np.ndarray:
    """Seconds by a transit mode from each point to every node of a walk network.

    A node's time is the best of

    (a) walking there directly: the walk catchment's own times (from the point's
        nearest node of *net* within *snap_max_m*, over ``net.travel_time_s``), so a
        transit catchment always contains the walking catchment of the same origin;
    (b) the chain of :func:`~corridor_geo.transit.travel_time_matrix` for *mode*, with
        the same access and egress rules (``_legs.LEG_MODES``): access to a station
        (``"transit"``: walk; ``"park_and_ride"``: car and park), station entry, wait,
        in-vehicle, transfers, station exit, then a walk from the alighting station of
        at most ``max_walk_km`` (the matrix's longest egress walk). Every walk of the
        chain is over *net* as the walk layer
        (:func:`~corridor_geo.transit.multimodal.walk_layer`) joined by the same
        connectors as in matrices; from a station farther than the walk snap distance
        from *net*, also the matrix's straight-line walk.

    So a node's time is never above the matrix's time to the node's point, and a node
    reached by (b) lies within ``max_walk_km`` of a station.

    It is what transit catchments are built from (:func:`corridor_geo.catchments.catchments`
    with ``mode="transit"`` or ``"park_and_ride"``).

    Parameters
    ----------
    mm
        The :class:`~corridor_geo.transit.MultimodalNetwork`.
    net
        A walk :class:`~corridor_geo.network.Network` (its ``travel_time_s`` at walking
        speed), e.g. ``load_network("default", network_type="walk")``.
    lon, lat
        Origin coordinates (WGS84), arrays of equal length.
    mode
        ``"transit"`` or ``"park_and_ride"``.
    cutoff_s
        Times above this are ``inf``.
    snap_max_m
        A point farther than this from *net* has no direct walk (a); its chain (b)
        starts with the access leg's fallback.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_points, net.n_nodes)``, ``inf`` where not reached.

    Examples
    --------
    >>> t = transit_node_times(mm, walk_net, [113.89], [22.925], cutoff_s=5400)  # doctest: +SKIP
    """
    return transit_times(mm, net, lon, lat, mode=mode, cutoff_s=cutoff_s,
                         snap_max_m=snap_max_m).nodes


def transit_times(mm: MultimodalNetwork, net: Network, lon: Any, lat: Any, *,
                  mode: str = "transit", cutoff_s: float | None = None,
                  snap_max_m: float = SNAP_MAX_M) -> TransitTimes:
    """Seconds by a transit mode from each point to every walk node and every station.

    The node times are those of :func:`transit_node_times`. The station times are what
    a matrix trip to the station itself takes (alighting there: no egress walk), so a
    catchment can place each alighting station on its map at that time, rather than at
    its nearest walk node's time plus the walk back.

    Parameters
    ----------
    mm, net, lon, lat, mode, cutoff_s, snap_max_m
        As for :func:`transit_node_times`.

    Returns
    -------
    TransitTimes
        Node times, station coordinates and station times.

    Examples
    --------
    >>> tt = transit_times(mm, walk_net, [113.89], [22.925], cutoff_s=5400)  # doctest: +SKIP
    >>> tt.nodes.shape, tt.stations.shape  # doctest: +SKIP
    ((1, 3364), (1, 107))
    """
    if mode not in LEG_MODES:
        raise ArgumentError(f"unknown transit mode {mode!r}; expected one of "
                            f"{', '.join(TRANSIT_MODES)}")
    lon = np.atleast_1d(np.asarray(lon, float))
    lat = np.atleast_1d(np.asarray(lat, float))
    pts = [Point(f"p{i}", float(a), float(b))
           for i, (a, b) in enumerate(zip(lon, lat, strict=True))]
    k = len(pts)
    # (a) the walk catchment's times: nearest node, then the network's own walk times
    snapped = snap_points(net, lon, lat, max_distance_m=np.inf)
    o_node = np.asarray(snapped.node, np.int64)
    ok = np.asarray(snapped.distance_m, float) <= snap_max_m
    direct = np.full((k, net.n_nodes), np.inf)
    if ok.any():
        direct[ok] = shortest_times(net, o_node[ok], cutoff_s=cutoff_s)
    st = mm.stations
    s_lon = st["lon"].to_numpy(float)
    s_lat = st["lat"].to_numpy(float)
    if not len(st):
        return TransitTimes(direct, s_lon, s_lat, np.full((k, 0), np.inf))
    # (b) the chain: one multi-source search per origin from every alighting station
    layer = walk_layer(net, mm.params)
    acc = access_legs(mm, pts, egress=False, mode=mode, walk=layer).minutes   # (o, s)
    arrive = np.min(acc[:, :, None] + mm.rail_station_minutes[None, :, :], axis=1)
    arrive = arrive + st["exit_min"].to_numpy(float)[None, :]
    at_station = arrive * 60.0
    if cutoff_s is not None:
        at_station = np.where(at_station <= cutoff_s, at_station, np.inf)
    out = direct.copy()
    _station_walks(out, mm, layer, at_station, cutoff_s=cutoff_s)
    _straight_egress(out, mm, net, layer, at_station, s_lon, s_lat, cutoff_s=cutoff_s)
    return TransitTimes(out, s_lon, s_lat, at_station)


def _station_walks(out: np.ndarray, mm: MultimodalNetwork, layer: StreetLayer,
                   at_station: np.ndarray, *, cutoff_s: float | None) -> None:
    """Lower *out* (in place) by the walk from each alighting station over the network.

    The walk obeys the matrix's egress rule: joined to the network by the station's
    connector (or the straight-line fallback, :func:`station_walk_sources`) and no
    longer than ``max_walk_km`` in all, so the catchment does not walk on from a station
    where the matrix would find no trip. The walks do not depend on the origin: one
    bounded search per station, then per origin the minimum over stations of arrival
    plus walk.
    """
    p = mm.params
    cap_s = p.max_walk_km * 1000.0 / (p.walk_kmh / 3.6)  # the longest walk, in seconds
    s_node, s_conn, usable = station_walk_sources(mm, layer)
    si = np.flatnonzero(usable & (s_conn <= cap_s) & np.isfinite(at_station).any(axis=0))
    if not si.size:
        return
    walk_s = shortest_times(layer.graph, s_node[si], cutoff_s=cap_s)
    walk_s = walk_s + s_conn[si, None]
    walk_s[walk_s > cap_s] = np.inf
    for o in range(out.shape[0]):
        a = at_station[o, si]
        f = np.flatnonzero(np.isfinite(a))
        if not f.size:
            continue
        chain = np.min(a[f, None] + walk_s[f], axis=0)
        if cutoff_s is not None:
            chain[chain > cutoff_s] = np.inf
        np.minimum(out[o], chain, out=out[o])


def _straight_egress(out: np.ndarray, mm: MultimodalNetwork, net: Network, layer: StreetLayer,
                     at_station: np.ndarray, s_lon: np.ndarray, s_lat: np.ndarray, *,
                     cutoff_s: float | None) -> None:
    """Lower *out* (in place) by the matrix's walk fallback from stations off the network.

    A matrix egress leg from a station farther than ``layer.max_snap_m`` from the walk
    layer is a straight line × ``walk_circuity`` at ``walk_kmh`` to the destination, up
    to ``max_walk_km`` (:func:`~corridor_geo.transit._legs.access_legs`); the chain
    above walks from such a station to its nearest node first and on over the network,
    which is longer. Each node within that walk of such a station gets the straight
    walk's time too.
    """
    p = mm.params
    _, dist = layer.snap(s_lon, s_lat)
    off = np.flatnonzero((np.asarray(dist, float) > layer.max_snap_m)
                         & np.isfinite(at_station).any(axis=0))
    if not off.size:
        return
    nlon, nlat = np.asarray(net.lon, float), np.asarray(net.lat, float)
    reach_m = p.max_walk_km * 1000.0 / p.walk_circuity
    for s in off:
        # a box in degrees around the station first (1 deg latitude > 110 km), then the
        # geodesic distance on the nodes inside it
        dlat = reach_m / 110_000.0
        dlon = dlat / max(np.cos(np.radians(s_lat[s])), 1e-6)
        cand = np.flatnonzero((np.abs(nlat - s_lat[s]) <= dlat)
                              & (np.abs(nlon - s_lon[s]) <= dlon))
        if not cand.size:
            continue
        g = geodesic_m(s_lon[s], s_lat[s], nlon[cand], nlat[cand])
        near = g <= reach_m
        cand, walk_s = cand[near], g[near] * p.walk_circuity / (p.walk_kmh / 3.6)
        t = at_station[:, s, None] + walk_s[None, :]
        if cutoff_s is not None:
            t = np.where(t <= cutoff_s, t, np.inf)
        out[:, cand] = np.minimum(out[:, cand], t)
