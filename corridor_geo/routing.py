"""The routing core: one graph type, one snapping rule, one Dijkstra entry point.

Every analysis routes through this module (catchments, the multimodal network, matrices,
transit catchments):

* :class:`Graph` — a routing graph (CSR travel times in seconds and lengths in metres,
  node coordinates) built with :func:`~corridor_geo.network.csr_from_edges`, the one CSR
  construction. :meth:`Graph.from_network` makes a layer of a street network;
  :meth:`Graph.from_edges` joins layers (e.g. streets + expressway links + interchange
  nodes) into one graph; :meth:`Graph.edges` gives a layer's edges back to be joined.
* :func:`shortest_times` — the one Dijkstra entry point (``scipy.sparse.csgraph``):
  one row per source, or multi-source searches (``groups``) with a starting cost per
  source (``initial_s``), an optional cutoff, reverse searches and predecessors.
* :func:`travel_times` — :func:`shortest_times` on a
  :class:`~corridor_geo.network.Network` with island checks; one row per origin, ``inf``
  where a node is not reached.
* :func:`snap_points` — nearest node of a Network or Graph by a KD-tree on EPSG:4547 coordinates,
  with a maximum snap distance (:class:`~corridor_geo.errors.SnapError` beyond it).
  By default points snap only to the largest strongly connected component, so a
  snapped origin can always reach, and be reached from, the bulk of the network.
* islands — :func:`components` labels strongly connected components; an origin on a
  component smaller than ``island_max_nodes`` nodes (other than the largest) is an
  island: :func:`travel_times` warns (:class:`IslandWarning`) or, with
  ``on_island="raise"``, raises :class:`~corridor_geo.errors.UnreachableError`.
* :func:`shortest_path` and :func:`path_geometry` — node path and its drawn geometry;
  :func:`path_from_predecessors` reads a path out of :func:`shortest_times`' predecessors.

Examples
--------
>>> snapped = snap_points(net, [114.05], [22.54], max_distance_m=500)  # doctest: +SKIP
>>> t = travel_times(net, snapped.node, cutoff_s=3600)  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, overload

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from corridor_geo import settings
from corridor_geo._args import check_number, describe
from corridor_geo.errors import ArgumentError, CorridorGeoError, SnapError, UnreachableError
from corridor_geo.network import Network, csr_from_edges

__all__ = [
    "Graph",
    "IslandWarning",
    "SnapResult",
    "components",
    "csr_from_edges",
    "island_origins",
    "path_from_predecessors",
    "path_geometry",
    "shortest_path",
    "shortest_times",
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


@dataclass(eq=False)
class Graph:
    """A routing graph: one layer (e.g. streets) or several joined (streets + links).

    Build with :meth:`from_network` or :meth:`from_edges` (both through
    :func:`~corridor_geo.network.csr_from_edges`: cheapest of parallel edges kept,
    self-loops and non-finite weights dropped).

    Attributes
    ----------
    time
        CSR matrix of edge travel times (s), ``n_nodes × n_nodes``.
    length
        CSR matrix of the same edges' lengths (m), same sparsity as *time*.
    lon, lat
        Node coordinates (WGS84).
    x, y
        Node coordinates in ``settings.METRIC_CRS``.
    n_snap
        Points snap to the first *n_snap* nodes only (the street nodes of a joined
        graph; nodes added by other layers, e.g. interchanges, are reached by edges).
    name
        Label of the graph (``"drive"``, ``"walk"``, ``"rail"``...).

    Examples
    --------
    >>> g = Graph.from_edges([0, 1], [1, 2], [60.0, 30.0], [500.0, 250.0],
    ...                      lon=[114.0, 114.005, 114.0075], lat=[22.5, 22.5, 22.5])
    >>> shortest_times(g, [0]).tolist()
    [[0.0, 60.0, 90.0]]
    """

    time: sp.csr_array
    length: sp.csr_array
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    n_snap: int
    name: str = ""
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.time.shape[0])

    @classmethod
    def from_edges(cls, source: Any, target: Any, time_s: Any, length_m: Any, *, lon: Any,
                   lat: Any, n_snap: int | None = None, name: str = "") -> Graph:
        """Graph of edge arrays (one value per edge) over nodes at *lon*, *lat*.

        Parameters
        ----------
        source, target
            Node indices per edge.
        time_s, length_m
            Travel time (s) and length (m) per edge; of parallel edges the fastest is kept
            with its length.
        lon, lat
            Node coordinates (WGS84); their length is the number of nodes.
        n_snap
            Snap only to the first *n_snap* nodes (default: all).
        name
            Label.

        Returns
        -------
        Graph
        """
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
        n = len(lon_a)
        time, (length,) = csr_from_edges(source, target, time_s, n, attributes=[length_m])
        x, y = _TO_METRIC.transform(lon_a, lat_a)
        return cls(time, length, lon_a, lat_a, np.asarray(x, np.float64),
                   np.asarray(y, np.float64), n if n_snap is None else int(n_snap), name)

    @classmethod
    def from_network(cls, net: Network, *, time_s: Any = None, symmetric: bool = False,
                     name: str | None = None) -> Graph:
        """Make the layer of a street network.

        Parameters
        ----------
        net
            The :class:`~corridor_geo.network.Network`.
        time_s
            Travel time per edge (default ``net.travel_time_s``), e.g. a walking time.
        symmetric
            Add every edge in both directions (walking ignores one-way rules).
        name
            Label (default ``net.mode``).

        Returns
        -------
        Graph

        Examples
        --------
        >>> walk = Graph.from_network(net, time_s=net.length_m / 1.33,  # doctest: +SKIP
        ...                           symmetric=True, name="walk")
        """
        src = np.asarray(net.source, dtype=np.int64)
        tgt = np.asarray(net.target, dtype=np.int64)
        length = np.asarray(net.length_m, dtype=np.float64)
        t = np.asarray(net.travel_time_s if time_s is None else time_s, dtype=np.float64)
        if symmetric:
            src, tgt = np.concatenate([src, tgt]), np.concatenate([tgt, src])
            length, t = np.concatenate([length, length]), np.concatenate([t, t])
        time, (lmat,) = csr_from_edges(src, tgt, t, net.n_nodes, attributes=[length])
        return cls(time, lmat, np.asarray(net.lon, np.float64), np.asarray(net.lat, np.float64),
                   np.asarray(net.x, np.float64), np.asarray(net.y, np.float64), net.n_nodes,
                   net.mode if name is None else name)

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(source, target, time_s, length_m)`` of the edges, to join with other layers.

        Examples
        --------
        >>> g = Graph.from_edges([0], [1], [6.0], [50.0], lon=[114.0, 114.1], lat=[22.5, 22.5])
        >>> [a.tolist() for a in g.edges()]
        [[0], [1], [6.0], [50.0]]
        """
        t, ln = self.time, self.length  # same sparsity (built together)
        row = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(t.indptr))
        return (row, np.asarray(t.indices, np.int64), np.asarray(t.data, np.float64),
                np.asarray(ln.data, np.float64))

    def reversed_time(self) -> sp.csr_array:
        """CSR of the reversed edges (for searches towards a node). Cached."""
        got = self._cache.get("reversed")
        if got is None:
            got = self._cache["reversed"] = sp.csr_array(self.time.T.tocsr())
        return got


def _adjacency(g: Network | Graph) -> sp.csr_array:
    return g.csr("length_m") if isinstance(g, Network) else g.time


def components(net: Network | Graph) -> tuple[np.ndarray, np.ndarray]:
    """Strongly connected components: (label per node, size per label). Cached on *net*.

    Examples
    --------
    >>> labels, sizes = components(net)  # doctest: +SKIP
    """
    got = net._cache.get("scc")
    if got is None:
        _, labels = connected_components(_adjacency(net), directed=True, connection="strong")
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
    island: np.ndarray = (lab != np.argmax(sizes)) & (sizes[lab] <= island_max_nodes)
    return island


def _check_nodes(net: Network | Graph | sp.csr_array, nodes: Any, *, what: str = "origins"
                 ) -> np.ndarray:
    idx = np.atleast_1d(np.asarray(nodes))
    n = int(net.shape[0]) if isinstance(net, sp.csr_array) else net.n_nodes
    if idx.dtype.kind not in "iu":
        if idx.size == 0:
            return idx.astype(np.int64)
        raise CorridorGeoError(f"{what} must be node indices (integers), got dtype {idx.dtype}")
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        raise CorridorGeoError(
            f"node index {int(idx[bad][0])} is out of range (network has {n} nodes)"
        )
    return idx.astype(np.int64)


def _matrix(graph: Network | Graph | sp.csr_array, weight: str | np.ndarray,
            reverse: bool) -> sp.csr_array:
    if isinstance(graph, Network):
        m = graph.csr(weight)
        return sp.csr_array(m.T.tocsr()) if reverse else m
    if isinstance(graph, Graph):
        if not (isinstance(weight, str) and weight == "travel_time_s"):
            raise CorridorGeoError("a Graph routes on its travel times only "
                                   "(weight='travel_time_s')")
        return graph.reversed_time() if reverse else graph.time
    return sp.csr_array(graph.T.tocsr()) if reverse else graph


@overload
def shortest_times(graph: Network | Graph | sp.csr_array, sources: Any, *,
                   cutoff_s: float | None = ..., initial_s: Any = ..., groups: Any = ...,
                   reverse: bool = ..., weight: str | np.ndarray = ...,
                   return_predecessors: Literal[False] = ...) -> np.ndarray: ...


@overload
def shortest_times(graph: Network | Graph | sp.csr_array, sources: Any, *,
                   cutoff_s: float | None = ..., initial_s: Any = ..., groups: Any = ...,
                   reverse: bool = ..., weight: str | np.ndarray = ...,
                   return_predecessors: Literal[True]) -> tuple[np.ndarray, np.ndarray]: ...


def shortest_times(
    graph: Network | Graph | sp.csr_array,
    sources: Any,
    *,
    cutoff_s: float | None = None,
    initial_s: Any = None,
    groups: Any = None,
    reverse: bool = False,
    weight: str | np.ndarray = "travel_time_s",
    return_predecessors: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Compute costs from sources to every node (the one Dijkstra entry point).

    Parameters
    ----------
    graph
        A :class:`Graph`, a :class:`~corridor_geo.network.Network` (routed on *weight*)
        or a CSR matrix of non-negative edge costs.
    sources
        Source node indices.
    cutoff_s
        Costs above this are ``inf`` (and the search stops there).
    initial_s
        Cost already spent at each source (default 0), e.g. the time to reach it.
    groups
        Group label per source (integers ``0..k-1``): the sources of one group form one
        multi-source search and one output row (its cost at a node is the minimum over
        the group's sources of ``initial_s`` + path). Default: one row per source.
    reverse
        Search along reversed edges (costs *to* the sources).
    weight
        Edge weight of a Network (``"travel_time_s"``, ``"length_m"`` or an array).
    return_predecessors
        Also return the predecessor of each node on its shortest path (``-9999`` for a
        source and for unreached nodes), for :func:`path_from_predecessors`.

    Returns
    -------
    numpy.ndarray or tuple
        ``(n_rows, n_nodes)`` float64 costs (``inf`` where unreached), and with
        *return_predecessors* the ``(n_rows, n_nodes)`` int32 predecessors.

    Examples
    --------
    >>> g = Graph.from_edges([0, 1, 2], [1, 2, 0], [10.0, 10.0, 10.0], [1.0] * 3,
    ...                      lon=[114.0, 114.1, 114.2], lat=[22.5] * 3)
    >>> shortest_times(g, [0, 1]).tolist()
    [[0.0, 10.0, 20.0], [20.0, 0.0, 10.0]]
    >>> shortest_times(g, [0, 1], groups=[0, 0], initial_s=[0.0, 5.0]).tolist()
    [[0.0, 5.0, 15.0]]
    >>> shortest_times(g, [0], cutoff_s=15).tolist()
    [[0.0, 10.0, inf]]
    """
    mat = _matrix(graph, weight, reverse)
    n = int(mat.shape[0])
    idx = _check_nodes(mat, sources)
    check_number(cutoff_s, name="cutoff_s", minimum=0, allow_none=True, allow_inf=True)
    limit = np.inf if cutoff_s is None else float(cutoff_s)
    if initial_s is None and groups is None:
        if not len(idx):
            empty = np.zeros((0, n))
            return (empty, np.zeros((0, n), np.int32)) if return_predecessors else empty
        got = dijkstra(mat, directed=True, indices=idx, limit=limit,
                       return_predecessors=return_predecessors)
        if return_predecessors:
            return np.atleast_2d(got[0]), np.atleast_2d(got[1])
        return np.atleast_2d(got)
    # super-source k per group, linked to its sources with their initial cost
    grp = np.arange(len(idx)) if groups is None else np.asarray(groups, dtype=np.int64)
    init = np.zeros(len(idx)) if initial_s is None else np.asarray(initial_s, np.float64)
    if grp.shape != idx.shape or init.shape != idx.shape:
        raise CorridorGeoError(f"groups and initial_s need one value per source ({len(idx)})")
    if len(grp) and grp.min() < 0:
        raise CorridorGeoError("groups must be integers 0..k-1")
    k = int(grp.max()) + 1 if len(grp) else 0
    if not k:
        empty = np.zeros((0, n))
        return (empty, np.zeros((0, n), np.int32)) if return_predecessors else empty
    coo = mat.tocoo()
    both, _ = csr_from_edges(np.concatenate([np.asarray(coo.row, np.int64), n + grp]),
                             np.concatenate([np.asarray(coo.col, np.int64), idx]),
                             np.concatenate([np.asarray(coo.data, np.float64), init]), n + k)
    got = dijkstra(both, directed=True, indices=n + np.arange(k), limit=limit,
                   return_predecessors=return_predecessors)
    dist = np.atleast_2d(got[0] if return_predecessors else got)[:, :n]
    if cutoff_s is not None:
        dist = np.where(dist <= limit, dist, np.inf)
    if not return_predecessors:
        return dist
    pred = np.atleast_2d(got[1])[:, :n].copy()
    pred[pred >= n] = -9999
    return dist, pred


def path_from_predecessors(predecessors: np.ndarray, target: int) -> list[int]:
    """Node path from the source of a predecessor row to *target* (source first).

    Examples
    --------
    >>> g = Graph.from_edges([0, 1], [1, 2], [1.0, 1.0], [1.0, 1.0], lon=[114.0] * 3,
    ...                      lat=[22.5] * 3)
    >>> _, pred = shortest_times(g, [0], return_predecessors=True)
    >>> path_from_predecessors(pred[0], 2)
    [0, 1, 2]
    """
    out = [int(target)]
    while predecessors[out[-1]] >= 0:
        out.append(int(predecessors[out[-1]]))
    return out[::-1]


def _require_network(net: Any) -> None:
    if not hasattr(net, "n_nodes"):
        raise ArgumentError(f"expected a Network (load_network()), got {describe(net)}")


def travel_times(
    net: Network,
    origins: Any,
    *,
    cutoff_s: float | None = None,
    weight: str | np.ndarray = "travel_time_s",
    on_island: Literal["warn", "raise", "ignore"] = "warn",
    island_max_nodes: int = ISLAND_MAX_NODES,
    targets: Any | None = None,
    method: Literal["auto", "ch", "dijkstra"] = "auto",
) -> np.ndarray:
    """Shortest travel times from each origin to every node, or to the given *targets*.

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
    targets
        Node indices of the destinations: the result is then ``(n_origins, n_targets)``
        and nothing of size origins × all nodes is allocated (origin × destination
        matrices). ``None`` (default): every node (one-to-all, Dijkstra).
    method
        With *targets* only: ``"ch"`` — customizable contraction hierarchies (needs
        the optional ``pyroutingkit``; weights rounded to a power-of-two quantum of
        ~1e-5 s, see :mod:`corridor_geo._ch`), ``"dijkstra"`` (:func:`shortest_times`
        in chunks, from the targets on reversed edges when they are fewer), or
        ``"auto"`` (CH when both sides have at least 100 distinct nodes and
        pyroutingkit is installed).

    Returns
    -------
    numpy.ndarray
        ``(n_origins, n_nodes)`` — or ``(n_origins, n_targets)`` — float64; ``inf``
        where unreached.

    Examples
    --------
    >>> t = travel_times(net, [0, 10], cutoff_s=5400)  # doctest: +SKIP
    >>> od = travel_times(net, [0, 10], targets=[5, 6, 7])  # doctest: +SKIP
    """
    _require_network(net)
    idx = _check_nodes(net, origins)
    tidx = None if targets is None else _check_nodes(net, targets, what="targets")
    check_number(cutoff_s, name="cutoff_s", minimum=0, allow_none=True, allow_inf=True)
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
    if tidx is not None:
        from corridor_geo._ch import od_times

        return od_times(net, idx, tidx, weight=weight, cutoff_s=cutoff_s, method=method)
    return shortest_times(net, idx, cutoff_s=cutoff_s, weight=weight)


def snap_points(
    net: Network | Graph,
    lon: Any,
    lat: Any,
    *,
    max_distance_m: float = 1000.0,
    labels: Sequence[Any] | None = None,
    main_component: bool = True,
) -> SnapResult:
    """Snap WGS84 points to their nearest network node: the one snapping rule.

    Distances are planar in EPSG:4547 (scale error < 0.03 % across the corridor).

    Parameters
    ----------
    net
        The :class:`~corridor_geo.network.Network` or :class:`Graph` (whose first
        ``n_snap`` nodes are the candidates).
    lon, lat
        Point coordinates (WGS84 degrees), scalars or arrays.
    max_distance_m
        Largest allowed snap distance; a point farther from the network raises
        (``math.inf``: never; callers with a fallback compare ``distance_m`` themselves).
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
    _require_network(net)
    try:
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    except (TypeError, ValueError):
        raise ArgumentError(f"lon and lat must be numbers or arrays of numbers, got "
                            f"{type(lon).__name__} and {type(lat).__name__}") from None
    check_number(max_distance_m, name="max_distance_m", minimum=0, allow_inf=True)
    if lon_a.shape != lat_a.shape:
        raise CorridorGeoError(f"lon and lat differ in shape: {lon_a.shape} vs {lat_a.shape}")
    if not (np.isfinite(lon_a).all() and np.isfinite(lat_a).all()):
        raise CorridorGeoError("lon/lat must be finite numbers")
    bad = np.flatnonzero((np.abs(lon_a) > 180) | (np.abs(lat_a) > 90))
    if len(bad):
        i = int(bad[0])
        raise ArgumentError(
            f"point #{i} ({lon_a[i]:.10g}, {lat_a[i]:.10g}) is not a WGS84 lon/lat pair "
            f"({len(bad)} such point(s)); expected degrees, lon first (swapped, or metres "
            "of a projected CRS such as EPSG:4547?)")
    if labels is not None and len(labels) != len(lon_a):
        raise CorridorGeoError(f"{len(labels)} labels for {len(lon_a)} points")
    key = f"kdtree:{main_component}"
    got = net._cache.get(key)
    if got is None:
        n_cand = net.n_snap if isinstance(net, Graph) else net.n_nodes
        if main_component:
            comp, sizes = components(net)
            cand = np.flatnonzero(comp[:n_cand] == np.argmax(sizes))
        else:
            cand = np.arange(n_cand)
        got = (cKDTree(np.column_stack([net.x[cand], net.y[cand]])), cand)
        net._cache[key] = got
    tree, cand = got
    px, py = _TO_METRIC.transform(lon_a, lat_a)
    dist, pos = tree.query(np.column_stack([px, py]))
    far = dist > max_distance_m
    if far.any() and not math.isinf(max_distance_m):
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
    dist, pred = shortest_times(net, [o], weight=weight, return_predecessors=True)
    if not np.isfinite(dist[0, t]):
        raise UnreachableError(f"node {t} (osmid {int(net.osmid[t])}) cannot be reached from "
                               f"node {o} (osmid {int(net.osmid[o])})")
    return path_from_predecessors(pred[0], t)


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
