"""Transit catchments: door-to-node times by walk + rail + walk.

Examples
--------
>>> t = transit_node_times(mm, walk_net, [113.89], [22.925], cutoff_s=5400)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np

from corridor_geo.network import Network
from corridor_geo.routing import shortest_times
from corridor_geo.transit._legs import Point, access_legs
from corridor_geo.transit.multimodal import MultimodalNetwork, StreetLayer

__all__ = ["transit_node_times"]


def transit_node_times(mm: MultimodalNetwork, net: Network, lon: Any, lat: Any, *,
                       cutoff_s: float | None = None) -> np.ndarray:
    """Seconds by transit from each point to every node of a walk network.

    A node's time is the best of (a) walking there directly over *net*, and (b) the
    transit chain of :func:`travel_time_matrix` — access to a station (walk, or car and
    park), station entry, wait, in-vehicle, transfers, station exit — followed by a
    walk from the alighting station over *net*. It is what a transit catchment is
    built from (:func:`corridor_geo.catchments.catchments` with ``mode="transit"``).

    Parameters
    ----------
    mm
        The :class:`~corridor_geo.multimodal.MultimodalNetwork`.
    net
        A walk :class:`~corridor_geo.network.Network` (its ``travel_time_s`` at walking
        speed), e.g. ``load_network("default", network_type="walk")``.
    lon, lat
        Origin coordinates (WGS84), arrays of equal length.
    cutoff_s
        Times above this are ``inf``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_points, net.n_nodes)``, ``inf`` where not reached.

    Examples
    --------
    >>> t = transit_node_times(mm, walk_net, [113.89], [22.925], cutoff_s=5400)  # doctest: +SKIP
    """
    lon = np.atleast_1d(np.asarray(lon, float))
    lat = np.atleast_1d(np.asarray(lat, float))
    pts = [Point(f"p{i}", float(a), float(b))
           for i, (a, b) in enumerate(zip(lon, lat, strict=True))]
    p = mm.params
    walk_ms = p.walk_kmh / 3.6
    layer = StreetLayer.from_network(net, name="walk", time_s=None,
                                     max_snap_m=p.max_snap_walk_m,
                                     connector_kmh=p.walk_kmh, symmetric=False)
    k = len(pts)
    # origin i is one multi-source search: from its own node (a direct walk) and from
    # every alighting station's node with its arrival time
    o_node, o_dist = layer.snap(lon, lat)
    nodes, groups = [o_node], [np.arange(k)]
    costs = [o_dist * p.walk_circuity / walk_ms]
    st = mm.stations
    if len(st):
        acc = access_legs(mm, pts, egress=False).minutes                     # (o, s)
        arrive = np.min(acc[:, :, None] + mm.rail_station_minutes[None, :, :], axis=1)
        arrive = arrive + st["exit_min"].to_numpy(float)[None, :]
        s_node, s_dist = layer.snap(st["lon"].to_numpy(float), st["lat"].to_numpy(float))
        sec = arrive * 60.0 + (s_dist * p.walk_circuity / walk_ms)[None, :]
        use = (s_dist <= p.max_snap_walk_m)[None, :] & np.isfinite(sec)
        oi, si = np.nonzero(use)
        nodes.append(s_node[si])
        groups.append(oi)
        costs.append(sec[oi, si])
    return shortest_times(layer.graph, np.concatenate(nodes), groups=np.concatenate(groups),
                          initial_s=np.concatenate(costs), cutoff_s=cutoff_s)
