"""Routing on a :class:`~corridor_geo.network.Network`: shortest paths, snapping, islands.

* :func:`travel_times` — many-source Dijkstra (``scipy.sparse.csgraph.dijkstra``) with an
  optional cutoff; one row per origin, ``inf`` where a node is not reached.
* :func:`snap_points` — nearest network node by a KD-tree on EPSG:4547 coordinates,
  with a maximum snap distance (:class:`~corridor_geo.errors.SnapError` beyond it).
  By default points snap only to the largest strongly connected component, so a
  snapped origin can always reach, and be reached from, the bulk of the network.
* islands — :func:`components` labels strongly connected components; an origin on a
  component smaller than ``island_max_nodes`` nodes (other than the largest) is an
  island: :func:`travel_times` warns (:class:`IslandWarning`) or, with
  ``on_island="raise"``, raises :class:`~corridor_geo.errors.UnreachableError`.
* :func:`shortest_path` and :func:`path_geometry` — node path and its drawn geometry.

Examples
--------
>>> snapped = snap_points(net, [114.05], [22.54], max_distance_m=500)  # doctest: +SKIP
>>> t = travel_times(net, snapped.node, cutoff_s=3600)  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
import pyproj
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from corridor_geo import settings
from corridor_geo.errors import CorridorGeoError, SnapError, UnreachableError
from corridor_geo.network import Network

__all__ = [
    "IslandWarning",
    "SnapResult",
    "components",
    "island_origins",
    "path_geometry",
    "shortest_path",
    "snap_points",
    "travel_times",
]

_TO_METRIC = pyproj.Transformer.from_crs(settings.WGS84, settings.METRIC_CRS, always_xy=True)
#: Default largest size (nodes) of a strongly connected component counted as an island.
ISLAND_MAX_NODES = 100


class IslandWarning(UserWarning):
    """An origin lies on a small strongly connected component (an island)."""


class SnapResult(NamedTuple):
    """Result of :func:`snap_points`: node index and snap distance (m) per point."""

    node: np.ndarray
    distance_m: np.ndarray


def components(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Strongly connected components: (label per node, size per label). Cached on *net*.

    Examples
    --------
    >>> labels, sizes = components(net)  # doctest: +SKIP
    """
    got = net._cache.get("scc")
    if got is None:
        _, labels = connected_components(net.csr("length_m"), directed=True, connection="strong")
        got = (labels, np.bincount(labels))
        net._cache["scc"] = got
    return got


def island_origins(net: Network, nodes: Any, *, island_max_nodes: int = ISLAND_MAX_NODES
                   ) -> np.ndarray:
    """Boolean mask: which *nodes* lie on an island (a small, non-largest SCC).

    Examples
    --------
    >>> island_origins(net, [0, 1])  # doctest: +SKIP
    array([False, False])
    """
    idx = _check_nodes(net, nodes)
    labels, sizes = components(net)
    lab = labels[idx]
    return (lab != np.argmax(sizes)) & (sizes[lab] <= island_max_nodes)


def _check_nodes(net: Network, nodes: Any) -> np.ndarray:
    idx = np.atleast_1d(np.asarray(nodes))
    if idx.dtype.kind not in "iu":
        raise CorridorGeoError(f"origins must be node indices (integers), got dtype {idx.dtype}")
    bad = (idx < 0) | (idx >= net.n_nodes)
    if bad.any():
        raise CorridorGeoError(
            f"node index {int(idx[bad][0])} is out of range (network has {net.n_nodes} nodes)"
        )
    return idx.astype(np.int64)


def travel_times(
    net: Network,
    origins: Any,
    *,
    cutoff_s: float | None = None,
    weight: str | np.ndarray = "travel_time_s",
    on_island: Literal["warn", "raise", "ignore"] = "warn",
    island_max_nodes: int = ISLAND_MAX_NODES,
) -> np.ndarray:
    """Shortest travel times from each origin to every node.

    Parameters
    ----------
    net
        The network.
    origins
        Node indices (e.g. ``snap_points(...).node``).
    cutoff_s
        Stop searching beyond this cost; nodes farther away are ``inf``.
    weight
        ``"travel_time_s"`` (default), ``"length_m"`` or one weight per edge.
    on_island
        What to do when an origin lies on an island (a strongly connected component
        other than the largest with at most *island_max_nodes* nodes).
    island_max_nodes
        Size threshold of an island.

    Returns
    -------
    numpy.ndarray
        ``(n_origins, n_nodes)`` float64; ``inf`` where unreached.

    Examples
    --------
    >>> t = travel_times(net, [0, 10], cutoff_s=5400)  # doctest: +SKIP
    """
    idx = _check_nodes(net, origins)
    if cutoff_s is not None and not cutoff_s >= 0:
        raise CorridorGeoError(f"cutoff_s must be a non-negative number, got {cutoff_s!r}")
    if on_island != "ignore" and len(idx):
        bad = island_origins(net, idx, island_max_nodes=island_max_nodes)
        if bad.any():
            labels, sizes = components(net)
            first = int(idx[bad][0])
            msg = (f"origin node {first} (osmid {int(net.osmid[first])}) lies on an island of "
                   f"{int(sizes[labels[first]])} nodes cut off from the main network "
                   f"({int(sizes.max())} nodes); {int(bad.sum())} origin(s) affected")
            if on_island == "raise":
                raise UnreachableError(msg)
            warnings.warn(msg, IslandWarning, stacklevel=2)
    if not len(idx):
        return np.zeros((0, net.n_nodes))
    limit = np.inf if cutoff_s is None else float(cutoff_s)
    out = dijkstra(net.csr(weight), directed=True, indices=idx, limit=limit)
    return np.atleast_2d(out)


def snap_points(
    net: Network,
    lon: Any,
    lat: Any,
    *,
    max_distance_m: float = 1000.0,
    labels: Sequence[Any] | None = None,
    main_component: bool = True,
) -> SnapResult:
    """Snap WGS84 points to their nearest network node.

    Distances are planar in EPSG:4547 (scale error < 0.03 % across the corridor).

    Parameters
    ----------
    net
        The network.
    lon, lat
        Point coordinates (WGS84 degrees), scalars or arrays.
    max_distance_m
        Largest allowed snap distance; a point farther from the network raises.
    labels
        Names of the points, used in error messages (default: their position).
    main_component
        Snap only to nodes of the largest strongly connected component (default), so
        that no point lands on an island.

    Returns
    -------
    SnapResult
        ``node`` (int64 indices) and ``distance_m`` (float64).

    Raises
    ------
    SnapError
        Naming the first point beyond *max_distance_m* and its distance.

    Examples
    --------
    >>> res = snap_points(net, [114.0579], [22.5431], max_distance_m=300,
    ...                   labels=["Futian"])  # doctest: +SKIP
    """
    from scipy.spatial import cKDTree

    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    if lon_a.shape != lat_a.shape:
        raise CorridorGeoError(f"lon and lat differ in shape: {lon_a.shape} vs {lat_a.shape}")
    if not (np.isfinite(lon_a).all() and np.isfinite(lat_a).all()):
        raise CorridorGeoError("lon/lat must be finite numbers")
    if labels is not None and len(labels) != len(lon_a):
        raise CorridorGeoError(f"{len(labels)} labels for {len(lon_a)} points")
    key = f"kdtree:{main_component}"
    got = net._cache.get(key)
    if got is None:
        if main_component:
            comp, sizes = components(net)
            cand = np.flatnonzero(comp == np.argmax(sizes))
        else:
            cand = np.arange(net.n_nodes)
        got = (cKDTree(np.column_stack([net.x[cand], net.y[cand]])), cand)
        net._cache[key] = got
    tree, cand = got
    px, py = _TO_METRIC.transform(lon_a, lat_a)
    dist, pos = tree.query(np.column_stack([px, py]))
    far = dist > max_distance_m
    if far.any():
        i = int(np.flatnonzero(far)[0])
        name = labels[i] if labels is not None else f"#{i}"
        raise SnapError(
            f"point {name} ({lon_a[i]:.6f}, {lat_a[i]:.6f}) is {dist[i]:,.0f} m from the "
            f"nearest network node (max_distance_m={max_distance_m:g}); "
            f"{int(far.sum())} point(s) too far"
        )
    return SnapResult(node=cand[pos].astype(np.int64), distance_m=np.asarray(dist, np.float64))


def shortest_path(
    net: Network, origin: int, target: int, *, weight: str | np.ndarray = "travel_time_s"
) -> list[int]:
    """Node indices of a shortest path from *origin* to *target*.

    Raises
    ------
    UnreachableError
        When *target* cannot be reached from *origin*.

    Examples
    --------
    >>> path = shortest_path(net, 0, 42)  # doctest: +SKIP
    """
    o, t = (int(v) for v in _check_nodes(net, [origin, target]))
    dist, pred = dijkstra(net.csr(weight), directed=True, indices=o, return_predecessors=True)
    if not np.isfinite(dist[t]):
        raise UnreachableError(f"node {t} (osmid {int(net.osmid[t])}) cannot be reached from "
                               f"node {o} (osmid {int(net.osmid[o])})")
    path = [t]
    while path[-1] != o:
        path.append(int(pred[path[-1]]))
    return path[::-1]


def path_geometry(net: Network, path: Sequence[int], *,
                  weight: str | np.ndarray = "travel_time_s") -> shapely.LineString:
    """WGS84 LineString of a node path, following each cheapest edge's geometry.

    Examples
    --------
    >>> line = path_geometry(net, shortest_path(net, 0, 42))  # doctest: +SKIP
    """
    if len(path) < 2:
        i = int(path[0]) if len(path) else 0
        return shapely.LineString([(net.lon[i], net.lat[i])] * 2)
    parts = []
    for k, (u, v) in enumerate(itertools.pairwise(path)):
        e = net.edge_index(int(u), int(v), weight=weight)
        a, b = int(net.geom_offsets[e]), int(net.geom_offsets[e + 1])
        xy = np.column_stack([net.geom_lon[a:b], net.geom_lat[a:b]])
        parts.append(xy if k == 0 else xy[1:])
    return shapely.LineString(np.vstack(parts))
