"""Transit catchments: door-to-node times by walk, or by a transit mode's chain.

Examples
--------
>>> t = transit_node_times(mm, walk_net, [113.89], [22.925], cutoff_s=5400)  # doctest: +SKIP
"""

from __future__ import annotations

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
    station_walk_sources,
)
from corridor_geo.transit.multimodal import MultimodalNetwork, walk_layer

__all__ = ["transit_node_times"]


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
        in-vehicle, transfers, station exit, then a walk from the alighting station.
        Every walk of the chain is over *net* as the walk layer
        (:func:`~corridor_geo.transit.multimodal.walk_layer`) joined by the same
        connectors as in matrices.

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
    if not len(st):
        return direct
    # (b) the chain: one multi-source search per origin from every alighting station
    layer = walk_layer(net, mm.params)
    acc = access_legs(mm, pts, egress=False, mode=mode, walk=layer).minutes   # (o, s)
    arrive = np.min(acc[:, :, None] + mm.rail_station_minutes[None, :, :], axis=1)
    arrive = arrive + st["exit_min"].to_numpy(float)[None, :]
    s_node, s_conn, usable = station_walk_sources(mm, layer)
    sec = arrive * 60.0 + s_conn[None, :]
    oi, si = np.nonzero(usable[None, :] & np.isfinite(sec))
    if not len(oi):
        return direct
    chain = shortest_times(layer.graph, s_node[si], groups=oi, initial_s=sec[oi, si],
                           cutoff_s=cutoff_s)
    out = direct.copy()
    out[: chain.shape[0]] = np.minimum(direct[: chain.shape[0]], chain)
    return out
