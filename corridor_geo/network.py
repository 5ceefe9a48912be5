"""The array-based street network: :class:`Network`.

A :class:`Network` is a directed graph stored as flat numpy arrays in CSR order (edges
sorted by source node), built for fast shortest paths with :mod:`scipy.sparse.csgraph`
and a small memory footprint. It converts to and from an osmnx ``MultiDiGraph``.

Examples
--------
>>> from corridor_geo.graph import load_network
>>> net = load_network("map.osm", network_type="walk")  # doctest: +SKIP
>>> net.n_nodes, net.n_edges  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely

from corridor_geo import settings
from corridor_geo._args import check_path
from corridor_geo._io import (
    dumps_json,
    file_kind,
    file_sha256,
    open_regular,
    output_dir,
    read_input,
)
from corridor_geo._repr import summary_html
from corridor_geo.errors import ArgumentError, CacheError, CorridorGeoError, DataValidationError

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = ["FORMAT_VERSION", "MODES", "Network", "csr_from_edges", "haversine_m", "read_network",
           "save_network"]

#: Network types (modes) a Network can have.
MODES = ("drive", "walk", "bike")

#: Earth radius used for lengths, the same as osmnx's ``great_circle`` default.
EARTH_RADIUS_M = 6_371_009.0

_TO_METRIC = pyproj.Transformer.from_crs(settings.WGS84, settings.METRIC_CRS, always_xy=True)


def csr_from_edges(
    source: Any, target: Any, weight: Any, n_nodes: int, *, attributes: Any = ()
) -> tuple[sp.csr_array, list[sp.csr_array]]:
    """Build a routing matrix from edge arrays (the one CSR construction of the package).

    Self-loops and edges with a non-finite weight are dropped (they never shorten a
    path); of parallel edges the cheapest is kept. Zero weights are kept as explicit
    entries (``scipy.sparse.csgraph`` treats them as edges).

    Parameters
    ----------
    source, target
        Node index per edge.
    weight
        Cost per edge (non-negative).
    n_nodes
        Number of nodes (the matrix is ``n_nodes × n_nodes``).
    attributes
        Further arrays per edge (e.g. lengths); each is returned as a matrix with the
        same sparsity, holding the value of the edge kept.

    Returns
    -------
    tuple
        ``(weight matrix, [attribute matrices])``.

    Examples
    --------
    >>> m, (length,) = csr_from_edges([0, 0, 1], [1, 1, 1], [5.0, 3.0, 1.0], 2,
    ...                               attributes=[[50.0, 30.0, 10.0]])
    >>> m.toarray().tolist(), length.toarray().tolist()
    ([[0.0, 3.0], [0.0, 0.0]], [[0.0, 30.0], [0.0, 0.0]])
    """
    src = np.asarray(source, dtype=np.int64)
    tgt = np.asarray(target, dtype=np.int64)
    w = np.asarray(weight, dtype=np.float64)
    attrs = [np.asarray(a, dtype=np.float64) for a in attributes]
    if not (src.shape == tgt.shape == w.shape) or any(a.shape != w.shape for a in attrs):
        raise CorridorGeoError("source, target, weight and attributes must have one value per "
                               f"edge (shapes {src.shape}, {tgt.shape}, {w.shape})")
    keep = (src != tgt) & np.isfinite(w)
    if (w[keep] < 0).any():
        raise CorridorGeoError(f"edge weights must be non-negative, got {float(w[keep].min())}")
    src, tgt, w = src[keep], tgt[keep], w[keep]
    order = np.lexsort((w, tgt, src))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (src[order][1:] != src[order][:-1]) | (tgt[order][1:] != tgt[order][:-1])
    sel = order[first]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(src[sel], minlength=n_nodes), out=indptr[1:])
    idx, ptr = tgt[sel].astype(np.int32), indptr.astype(np.int32)
    shape = (n_nodes, n_nodes)
    mat = sp.csr_array((w[sel], idx, ptr), shape=shape)
    return mat, [sp.csr_array((a[keep][sel], idx, ptr), shape=shape) for a in attrs]


def haversine_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance in metres (the same formula and radius as osmnx).

    Examples
    --------
    >>> round(float(haversine_m(114.0, 22.5, 114.0, 22.6)), 1)
    11119.5
    """
    y1, y2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dy = y2 - y1
    dx = np.deg2rad(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dy / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(dx / 2) ** 2
    h = np.minimum(1.0, h)
    return cast(np.ndarray, 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h)))


def _categorical(values: Any) -> pd.Categorical:
    if isinstance(values, pd.Categorical):
        return values
    arr = np.asarray(values, dtype=object)
    arr = np.where(pd.isna(arr), "", arr).astype(str)
    return pd.Categorical(arr, categories=np.unique(arr))


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_arrays(*, lon: np.ndarray, lat: np.ndarray, source: np.ndarray,
                  target: np.ndarray, length_m: np.ndarray, travel_time_s: np.ndarray,
                  where: str, indptr: np.ndarray | None = None,
                  geom_offsets: np.ndarray | None = None, geom_lon: np.ndarray | None = None,
                  geom_lat: np.ndarray | None = None, osmid: np.ndarray | None = None) -> None:
    """Raise DataValidationError naming the first bad node or edge (see Network.validate)."""
    from corridor_geo.errors import DataValidationError

    n, m = len(lon), len(source)

    def node_name(i: int) -> str:
        return f"node {int(osmid[i])}" if osmid is not None and len(osmid) == n else f"node {i}"

    if len(lat) != n or (osmid is not None and len(osmid) != n):
        raise DataValidationError("node arrays have different lengths", path=where)
    for what, arr, lo, hi in (("longitude", lon, -180.0, 180.0),
                              ("latitude", lat, -90.0, 90.0)):
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(arr) | (arr < lo) | (arr > hi)
        if bad.any():
            i = _first_bad(bad)
            raise DataValidationError(
                f"{node_name(i)} has {what} {float(arr[i])!r}; expected a finite number in "
                f"[{lo:g}, {hi:g}] (WGS84 degrees)", path=where)
    if len(target) != m or len(length_m) != m or len(travel_time_s) != m:
        raise DataValidationError("edge arrays have different lengths", path=where)
    if m:
        bad = (source < 0) | (source >= n) | (target < 0) | (target >= n)
        if bad.any():
            e = _first_bad(bad)
            raise DataValidationError(
                f"edge {e} joins node indices {int(source[e])} -> {int(target[e])}; expected "
                f"indices 0..{n - 1}", path=where)
    for what, arr in (("length", length_m), ("travel time", travel_time_s)):
        arr = np.asarray(arr, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            e = _first_bad(bad)
            raise DataValidationError(
                f"edge {e} ({node_name(int(source[e]))} -> {node_name(int(target[e]))}) has "
                f"{what} {float(arr[e])!r}; expected a finite number >= 0 (a speed of 0, "
                "negative or NaN gives such times)", path=where)
    if indptr is not None:
        ip = np.asarray(indptr, dtype=np.int64)
        if (len(ip) != n + 1 or (n + 1 and (ip[0] != 0 or ip[-1] != m))
                or (np.diff(ip) < 0).any()
                or (m and (np.repeat(np.arange(n), np.diff(ip).clip(0)) != source).any())):
            raise DataValidationError("edge order (CSR pointer) does not match the edges",
                                      path=where)
    if geom_offsets is not None and geom_lon is not None and geom_lat is not None:
        offs = np.asarray(geom_offsets, dtype=np.int64)
        c = len(geom_lon)
        if (len(offs) != m + 1 or len(geom_lat) != c or (m + 1 and offs[0] != 0)
                or (m and offs[-1] != c) or (np.diff(offs) < 0).any()):
            raise DataValidationError("edge geometry offsets are inconsistent", path=where)
        with np.errstate(invalid="ignore"):
            bad = (~np.isfinite(geom_lon) | ~np.isfinite(geom_lat) | (np.abs(geom_lon) > 180)
                   | (np.abs(geom_lat) > 90))
        if bad.any():
            raise DataValidationError(
                f"edge geometry vertex {_first_bad(bad)} is not a finite WGS84 coordinate",
                path=where)


def _osmnx_edges(g: Any, index: dict[Any, int], lon: np.ndarray, lat: np.ndarray,
                 projected: bool) -> tuple[list[Any], ...]:
    """Edge lists of an osmnx graph (see :meth:`Network.from_osmnx`)."""
    from corridor_geo import speeds as _speeds

    src, tgt, length, ttime, hw, nm, way, ow, ms = ([] for _ in range(9))
    offs, glon, glat = [0], [], []
    for u, v, d in g.edges(data=True):
        iu, iv = index[u], index[v]
        src.append(iu)
        tgt.append(iv)
        geom = d.get("geometry")
        if geom is not None and not projected:
            xy = np.asarray(geom.coords)
            cx, cy = xy[:, 0], xy[:, 1]
        else:
            cx, cy = np.array([lon[iu], lon[iv]]), np.array([lat[iu], lat[iv]])
        glon.extend(cx.tolist())
        glat.extend(cy.tolist())
        offs.append(offs[-1] + len(cx))
        ln = d.get("length")
        length.append(float(ln) if ln is not None else
                      float(haversine_m(cx[:-1], cy[:-1], cx[1:], cy[1:]).sum()))
        tt = d.get("travel_time")
        ttime.append(np.nan if tt is None else float(tt))
        h = d.get("highway", "")
        hw.append(str(h[0] if isinstance(h, list) else h))
        n_ = d.get("name", "")
        nm.append(str(n_[0] if isinstance(n_, list) else (n_ or "")))
        w = d.get("osmid", -1)
        w = w[0] if isinstance(w, list) else w
        try:
            way.append(int(w))
        except (TypeError, ValueError):
            way.append(-1)
        o = d.get("oneway", False)
        ow.append(o in (True, "True", "true", "yes", "1"))
        ms.append(_speeds.parse_maxspeed(d.get("maxspeed")))
    return src, tgt, length, ttime, hw, nm, way, ow, ms, offs, glon, glat


@dataclass(eq=False)
class Network:
    """A directed street network in CSR order.

    Build one with :func:`corridor_geo.graph.load_network`, :meth:`from_osmnx` or
    :meth:`from_edges`; do not fill the fields by hand.

    Attributes
    ----------
    osmid, lon, lat, x, y
        Node arrays (length ``n_nodes``): OSM id (int64; scgraph node index for the
        default network), WGS84 coordinates, and ``METRIC_CRS`` (EPSG:4547) coordinates.
    indptr
        CSR row pointer (``n_nodes + 1``, int32): the edges leaving node ``i`` are
        ``indptr[i]:indptr[i+1]``.
    source, target
        Edge end nodes (int32 node indices), sorted by source then target.
    length_m, travel_time_s
        Edge length (metres, along the geometry) and travel time (seconds).
    highway, name
        Road class and road name per edge (``pandas.Categorical`` of str, ``""`` unknown).
    way_id
        OSM way id per edge (int64, -1 unknown). ``oneway`` (bool) whether the way is
        one-way; ``maxspeed_kmh`` the parsed OSM speed limit (NaN when absent).
    geom_offsets, geom_lon, geom_lat
        Ragged edge geometries: edge ``e`` runs through the vertices
        ``geom_offsets[e]:geom_offsets[e+1]``. :attr:`geometry` builds shapely
        LineStrings from them on first use.
    mode
        ``"drive"``, ``"walk"`` or ``"bike"``.
    meta
        Provenance: source, source hash, OSM date, network type, speed-model version.

    Examples
    --------
    >>> net = Network.from_osmnx(g, mode="drive")  # doctest: +SKIP
    >>> net.csr("length_m")  # doctest: +SKIP
    """

    osmid: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    indptr: np.ndarray
    source: np.ndarray
    target: np.ndarray
    length_m: np.ndarray
    travel_time_s: np.ndarray
    highway: pd.Categorical
    name: pd.Categorical
    way_id: np.ndarray
    oneway: np.ndarray
    maxspeed_kmh: np.ndarray
    geom_offsets: np.ndarray
    geom_lon: np.ndarray
    geom_lat: np.ndarray
    mode: str = "drive"
    meta: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ basics
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.osmid)

    @property
    def n_edges(self) -> int:
        """Number of directed edges (parallel edges included)."""
        return len(self.source)

    def _summary(self) -> list[tuple[str, object]]:
        return [("mode", self.mode), ("nodes", self.n_nodes), ("edges", self.n_edges),
                ("source", self.meta.get("source")), ("OSM date", self.meta.get("osm_date")),
                ("memory (MB)", self.nbytes / 1e6)]

    def __repr__(self) -> str:
        return (f"Network(mode={self.mode!r}, n_nodes={self.n_nodes}, n_edges={self.n_edges}, "
                f"source={self.meta.get('source')!r})")

    def _repr_html_(self) -> str:
        return summary_html("Network", self._summary())

    def validate(self, *, where: str = "network") -> Network:
        """Check the arrays; raise :class:`~corridor_geo.errors.DataValidationError` if bad.

        Checks that coordinates are finite and within WGS84 ranges, edge end points
        and the CSR pointer are valid node indices, lengths and travel times are finite
        and not negative, and the ragged geometry offsets are consistent. Called on
        every construction (:meth:`from_edges`) and cache read, so that bad values never
        reach the routing code (negative weights abort scipy's C++ Dijkstra).

        Parameters
        ----------
        where
            The file or source named in the error message.

        Returns
        -------
        Network
            *self*, for chaining.

        Examples
        --------
        >>> net.validate(where="futian.graphml")  # doctest: +SKIP
        """
        _check_arrays(
            lon=self.lon, lat=self.lat, source=self.source, target=self.target,
            length_m=self.length_m, travel_time_s=self.travel_time_s, indptr=self.indptr,
            geom_offsets=self.geom_offsets, geom_lon=self.geom_lon, geom_lat=self.geom_lat,
            osmid=self.osmid, where=where,
        )
        return self

    @property
    def nbytes(self) -> int:
        """Approximate memory held by the arrays (bytes, without lazy caches)."""
        total = 0
        for name in ("osmid", "lon", "lat", "x", "y", "indptr", "source", "target", "length_m",
                     "travel_time_s", "way_id", "oneway", "maxspeed_kmh", "geom_offsets",
                     "geom_lon", "geom_lat"):
            total += getattr(self, name).nbytes
        for cat in (self.highway, self.name):
            total += cat.codes.nbytes + sum(len(c) for c in cat.categories) * 4
        return int(total)

    @property
    def geometry(self) -> np.ndarray:
        """Edge geometries as a shapely LineString array (WGS84), built on first use."""
        geom = self._cache.get("geometry")
        if geom is None:
            coords = np.column_stack([self.geom_lon, self.geom_lat])
            counts = np.diff(self.geom_offsets)
            idx = np.repeat(np.arange(self.n_edges), counts)
            geom = shapely.linestrings(coords, indices=idx) if self.n_edges else np.array([])
            self._cache["geometry"] = geom
        return geom

    def edge_index(self, u: int, v: int, *,
                   weight: str | np.ndarray = "travel_time_s") -> int:
        """Index of the cheapest edge from node index *u* to node index *v*.

        Raises
        ------
        KeyError
            When there is no such edge.
        """
        lo, hi = int(self.indptr[u]), int(self.indptr[u + 1])
        cand = lo + np.flatnonzero(self.target[lo:hi] == v)
        if not len(cand):
            raise KeyError(f"no edge from node {u} to node {v}")
        w = self._weight_array(weight)
        return int(cand[np.argmin(w[cand])])

    # ------------------------------------------------------------------ CSR
    def _weight_array(self, weight: str | np.ndarray) -> np.ndarray:
        if isinstance(weight, str):
            if weight not in ("travel_time_s", "length_m"):
                raise CorridorGeoError(
                    f"unknown edge weight {weight!r}; expected 'travel_time_s' or 'length_m' "
                    "or an array with one value per edge"
                )
            return np.asarray(getattr(self, weight), dtype=np.float64)
        try:
            w = np.asarray(weight, dtype=np.float64)
        except (TypeError, ValueError):
            raise ArgumentError("weight must be 'travel_time_s', 'length_m' or an array of "
                                f"numbers, one per edge; got {type(weight).__name__}") from None
        if w.shape != (self.n_edges,):
            raise CorridorGeoError(
                f"weight array has shape {w.shape}, expected ({self.n_edges},) (one per edge)"
            )
        return w

    def csr(self, weight: str | np.ndarray = "travel_time_s") -> sp.csr_array:
        """Sparse adjacency matrix for routing (``n_nodes × n_nodes``).

        Built by :func:`csr_from_edges`: parallel edges are reduced to the cheapest one;
        self-loops are dropped (they never shorten a path). Explicit zero weights are
        kept as edges.

        Parameters
        ----------
        weight
            ``"travel_time_s"``, ``"length_m"`` or an array of one weight per edge.

        Examples
        --------
        >>> from scipy.sparse.csgraph import dijkstra
        >>> d = dijkstra(net.csr("length_m"), indices=[0])  # doctest: +SKIP
        """
        key = f"csr:{weight}" if isinstance(weight, str) else None
        if key and key in self._cache:
            return self._cache[key]
        mat, _ = csr_from_edges(self.source, self.target, self._weight_array(weight),
                                self.n_nodes)
        if key:
            self._cache[key] = mat
        return mat

    def node_index(self, osmids: Any) -> np.ndarray:
        """Node indices of OSM node ids (``KeyError`` naming the first unknown id).

        Examples
        --------
        >>> net.node_index([123456789])  # doctest: +SKIP
        """
        ids = np.atleast_1d(np.asarray(osmids, dtype=np.int64))
        order = self._cache.get("osmid_order")
        if order is None:
            order = np.argsort(self.osmid, kind="stable")
            self._cache["osmid_order"] = order
        pos = np.searchsorted(self.osmid, ids, sorter=order)
        pos = np.minimum(pos, len(order) - 1)
        idx = order[pos]
        bad = self.osmid[idx] != ids
        if bad.any():
            raise KeyError(f"node id {int(ids[bad][0])} is not in the network")
        return idx

    # ------------------------------------------------------------------ copies
    def copy(self) -> Network:
        """Shallow copy sharing the arrays (caches dropped)."""
        new = copy.copy(self)
        new.meta = dict(self.meta)
        new._cache = {}
        # caches of the arc structure only (not of weights): geometry, and the
        # contraction-hierarchy topology (corridor_geo._ch), so a copy with new travel
        # times re-customizes the hierarchy instead of rebuilding it
        for key in ("geometry", "ch_arcs", "ch_topology", "ch_bound_ref", "scc"):
            if key in self._cache:
                new._cache[key] = self._cache[key]
        return new

    def with_travel_times(self, travel_time_s: Any) -> Network:
        """Return a copy whose edges have the given travel times (seconds).

        Parameters
        ----------
        travel_time_s
            One non-negative value per edge, in edge order.

        Examples
        --------
        >>> slower = net.with_travel_times(net.travel_time_s * 1.5)  # doctest: +SKIP
        """
        arr = np.asarray(travel_time_s, dtype=np.float64)
        if arr.shape != (self.n_edges,):
            raise CorridorGeoError(
                f"travel_time_s has shape {arr.shape}, expected ({self.n_edges},)"
            )
        if np.isnan(arr).any() or (arr < 0).any():
            raise CorridorGeoError("travel times must be non-negative numbers (no NaN)")
        new = self.copy()
        new.travel_time_s = arr
        return new

    # ------------------------------------------------------------------ building
    @classmethod
    def from_edges(
        cls,
        *,
        osmid: Any,
        lon: Any,
        lat: Any,
        source: Any,
        target: Any,
        length_m: Any,
        travel_time_s: Any,
        highway: Any,
        name: Any,
        way_id: Any | None = None,
        oneway: Any | None = None,
        maxspeed_kmh: Any | None = None,
        geom_offsets: Any | None = None,
        geom_lon: Any | None = None,
        geom_lat: Any | None = None,
        mode: str = "drive",
        meta: Mapping[str, Any] | None = None,
    ) -> Network:
        """Assemble a network from node and (unsorted) edge arrays.

        Edges are sorted by (source, target) with a stable sort. Without geometry
        arrays each edge is the straight segment between its nodes.

        Examples
        --------
        >>> net = Network.from_edges(osmid=[1, 2], lon=[114.0, 114.01], lat=[22.5, 22.5],
        ...     source=[0], target=[1], length_m=[1028.0], travel_time_s=[74.0],
        ...     highway=["primary"], name=[""])
        >>> net.n_edges
        1
        """
        if mode not in MODES:
            raise CorridorGeoError(f"unknown network type {mode!r}; expected one of {MODES}")
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        src = np.asarray(source, dtype=np.int64)
        tgt = np.asarray(target, dtype=np.int64)
        n, m = len(lon), len(src)
        if m and (src.min() < 0 or tgt.min() < 0 or src.max() >= n or tgt.max() >= n):
            raise CorridorGeoError("edge end points must be node indices 0..n_nodes-1")
        where = str((meta or {}).get("source") or "network")
        _check_arrays(lon=lon, lat=lat, source=src, target=tgt,
                      length_m=np.asarray(length_m, dtype=np.float64),
                      travel_time_s=np.asarray(travel_time_s, dtype=np.float64), where=where,
                      osmid=np.asarray(osmid, dtype=np.int64))
        if geom_offsets is None:
            geom_offsets = np.arange(0, 2 * m + 1, 2, dtype=np.int64)
            geom_lon = np.column_stack([lon[src], lon[tgt]]).ravel()
            geom_lat = np.column_stack([lat[src], lat[tgt]]).ravel()
        offs = np.asarray(geom_offsets, dtype=np.int64)
        glon = np.asarray(geom_lon, dtype=np.float64)
        glat = np.asarray(geom_lat, dtype=np.float64)
        order = np.lexsort((tgt, src))
        # reorder ragged geometry
        counts = np.diff(offs)[order]
        new_offs = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(counts, out=new_offs[1:])
        take = (np.repeat(offs[:-1][order] - new_offs[:-1], counts)
                + np.arange(int(new_offs[-1]), dtype=np.int64))
        x, y = _TO_METRIC.transform(lon, lat)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])

        def edge(a: Any, dtype: Any, fill: Any) -> np.ndarray:
            if a is None:
                return np.full(m, fill, dtype=dtype)
            return np.asarray(a, dtype=dtype)[order]

        hw = _categorical(highway)
        nm = _categorical(name)
        return cls(
            osmid=np.asarray(osmid, dtype=np.int64),
            lon=lon, lat=lat,
            x=np.asarray(x, dtype=np.float64), y=np.asarray(y, dtype=np.float64),
            indptr=indptr.astype(np.int32),
            source=src[order].astype(np.int32), target=tgt[order].astype(np.int32),
            length_m=edge(length_m, np.float64, np.nan),
            travel_time_s=edge(travel_time_s, np.float64, np.nan),
            highway=pd.Categorical.from_codes(hw.codes[order], hw.categories),
            name=pd.Categorical.from_codes(nm.codes[order], nm.categories),
            way_id=edge(way_id, np.int64, -1),
            oneway=edge(oneway, bool, False),
            maxspeed_kmh=edge(maxspeed_kmh, np.float64, np.nan),
            geom_offsets=new_offs, geom_lon=glon[take], geom_lat=glat[take],
            mode=mode, meta=dict(meta or {}),
        ).validate(where=where)

    # ------------------------------------------------------------------ osmnx
    def to_osmnx(self) -> nx.MultiDiGraph:
        """Convert to an osmnx-style ``MultiDiGraph`` (unprojected, ``crs="epsg:4326"``).

        Nodes are keyed by ``osmid`` with ``x``/``y`` = lon/lat; edges carry ``osmid``
        (way id), ``length`` (m), ``travel_time`` (s), ``speed_kph``, ``highway``,
        ``name``, ``oneway``, ``maxspeed`` and ``geometry`` (when the edge bends).

        Examples
        --------
        >>> import networkx as nx
        >>> g = net.to_osmnx()  # doctest: +SKIP
        >>> nx.shortest_path_length(g, u, v, weight="travel_time")  # doctest: +SKIP
        """
        import networkx as nx

        g = nx.MultiDiGraph(crs="epsg:4326", created_with="corridor_geo",
                            mode=self.mode, source=str(self.meta.get("source", "")))
        ids = self.osmid.tolist()
        g.add_nodes_from(
            (i, {"x": lo, "y": la})
            for i, lo, la in zip(ids, self.lon.tolist(), self.lat.tolist(), strict=True)
        )
        geoms = self.geometry
        npts = np.diff(self.geom_offsets)
        hw = np.asarray(self.highway)
        nm = np.asarray(self.name)
        with np.errstate(divide="ignore", invalid="ignore"):
            kph = self.length_m / self.travel_time_s * 3.6
        src, tgt = self.source.tolist(), self.target.tolist()
        for e in range(self.n_edges):
            attrs: dict[str, Any] = {
                "osmid": int(self.way_id[e]),
                "length": float(self.length_m[e]),
                "travel_time": float(self.travel_time_s[e]),
                "speed_kph": float(kph[e]),
                "highway": str(hw[e]),
                "oneway": bool(self.oneway[e]),
            }
            if nm[e]:
                attrs["name"] = str(nm[e])
            if math.isfinite(self.maxspeed_kmh[e]):
                attrs["maxspeed"] = f"{self.maxspeed_kmh[e]:g}"
            if npts[e] > 2:
                attrs["geometry"] = geoms[e]
            g.add_edge(ids[src[e]], ids[tgt[e]], **attrs)
        return g

    @classmethod
    def from_osmnx(
        cls,
        g: nx.MultiDiGraph,  # osmnx's G
        *,
        mode: str = "drive",
        speeds: Mapping[str, float] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Network:
        """Build a Network from an osmnx ``MultiDiGraph`` (unprojected or projected).

        Uses the edge attributes ``length`` (computed along the geometry when
        missing), ``travel_time`` (computed with :mod:`corridor_geo.speeds` when
        missing), ``highway``, ``name``, ``maxspeed``, ``oneway``, ``osmid`` and
        ``geometry``. List-valued attributes (from osmnx simplification) take their
        first element; ``maxspeed`` lists are averaged.

        Parameters
        ----------
        g
            The graph. Projected graphs must keep ``lon``/``lat`` node attributes.
        mode
            Network type of the result.
        speeds
            Overrides of the default speed table, used where ``travel_time`` is missing.
        meta
            Provenance recorded in :attr:`meta`.

        Examples
        --------
        >>> import osmnx as ox
        >>> net = Network.from_osmnx(ox.graph_from_xml("map.osm"), mode="drive")  # doctest: +SKIP
        """
        from corridor_geo import speeds as _speeds

        if mode not in MODES:
            raise CorridorGeoError(f"unknown network type {mode!r}; expected one of {MODES}")
        crs = str(g.graph.get("crs", "epsg:4326")).lower()
        projected = crs not in ("epsg:4326", "wgs84", "+proj=longlat +datum=wgs84 +no_defs")
        node_ids = list(g.nodes)
        try:
            osmid = np.array(node_ids, dtype=np.int64)
        except (TypeError, ValueError, OverflowError):
            osmid = np.arange(len(node_ids), dtype=np.int64)
        index = {k: i for i, k in enumerate(node_ids)}
        kx, ky = ("lon", "lat") if projected else ("x", "y")
        try:
            lon = np.array([g.nodes[k][kx] for k in node_ids], dtype=np.float64)
            lat = np.array([g.nodes[k][ky] for k in node_ids], dtype=np.float64)
        except KeyError as exc:
            raise CorridorGeoError(
                f"graph nodes need {kx!r}/{ky!r} coordinates (WGS84); missing {exc}"
            ) from None
        except (TypeError, ValueError) as exc:
            raise DataValidationError(f"node coordinates {kx!r}/{ky!r} must be numbers ({exc})",
                                      path=str((meta or {}).get("source") or "graph")) from None
        where = str((meta or {}).get("source") or "graph")
        try:
            edges = _osmnx_edges(g, index, lon, lat, projected)
        except (TypeError, ValueError, AttributeError, IndexError) as exc:
            raise DataValidationError(f"edge attribute cannot be used: {exc}",
                                      path=where) from None
        src, tgt, length, ttime, hw, nm, way, ow, ms, offs, glon, glat = edges
        length_a = np.array(length, dtype=np.float64)
        ttime_a = np.array(ttime, dtype=np.float64)
        missing = np.isnan(ttime_a)
        if missing.any():
            kmh = _speeds.edge_speeds_kmh(np.array(hw, dtype=str), np.array(ms), mode=mode,
                                          table=speeds)
            ttime_a = np.where(missing, length_a / (kmh / 3.6), ttime_a)
        info = {"source": "osmnx", "network_type": mode}
        info.update(meta or {})
        return cls.from_edges(
            osmid=osmid, lon=lon, lat=lat, source=np.array(src, dtype=np.int64),
            target=np.array(tgt, dtype=np.int64), length_m=length_a, travel_time_s=ttime_a,
            highway=np.array(hw, dtype=object), name=np.array(nm, dtype=object),
            way_id=np.array(way, dtype=np.int64), oneway=np.array(ow, dtype=bool),
            maxspeed_kmh=np.array(ms, dtype=np.float64), geom_offsets=np.array(offs),
            geom_lon=np.array(glon), geom_lat=np.array(glat), mode=mode, meta=info,
        )

    # ------------------------------------------------------------------ GeoDataFrames
    # ------------------------------------------------------------------ GeoDataFrames
    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """Nodes as a GeoDataFrame (index ``osmid``; ``node``, ``lon``, ``lat``, ``x``, ``y``).

        Examples
        --------
        >>> net.nodes_gdf().head()  # doctest: +SKIP
        """
        import geopandas as gpd

        return gpd.GeoDataFrame(
            {"node": np.arange(self.n_nodes), "lon": self.lon, "lat": self.lat,
             "x": self.x, "y": self.y},
            geometry=shapely.points(self.lon, self.lat),
            index=pd.Index(self.osmid, name="osmid"), crs=settings.WGS84,
        )

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """Edges as a GeoDataFrame (``u``, ``v`` osmids; node indices; attributes; geometry).

        Examples
        --------
        >>> net.edges_gdf().plot()  # doctest: +SKIP
        """
        import geopandas as gpd

        return gpd.GeoDataFrame(
            {"u": self.osmid[self.source], "v": self.osmid[self.target],
             "source": self.source, "target": self.target, "length_m": self.length_m,
             "travel_time_s": self.travel_time_s, "highway": self.highway, "name": self.name,
             "way_id": self.way_id, "oneway": self.oneway, "maxspeed_kmh": self.maxspeed_kmh},
            geometry=self.geometry, crs=settings.WGS84,
        )

    # ------------------------------------------------------------------ persistence
    def save(self, directory: Any, *, overwrite: bool = False) -> None:
        """Write the network to *directory* (npz + metadata JSON, atomically).

        A non-empty folder corridor_geo did not write is refused unless *overwrite*
        (see :func:`corridor_geo.cache.save_network`).

        Examples
        --------
        >>> net.save("futian_drive")  # doctest: +SKIP
        """
        save_network(self, directory, overwrite=overwrite)

    @classmethod
    def load(cls, directory: Any) -> Network:
        """Read a network written by :meth:`save` (raises ``CacheError`` when corrupt).

        Examples
        --------
        >>> net = Network.load("futian_drive")  # doctest: +SKIP
        """
        return read_network(directory)


# --------------------------------------------------------------------------- persistence
# The on-disk format of a network (used by Network.save/load and corridor_geo.cache):
# a folder with ``arrays.npz`` (no pickle) and ``meta.json``.

#: Version of the on-disk layout; a different version is treated as stale.
FORMAT_VERSION = 2

_NODE = ("osmid", "lon", "lat", "x", "y")
_EDGE = ("source", "target", "length_m", "travel_time_s", "way_id", "oneway", "maxspeed_kmh")
_CATS = ("highway", "name")



def save_network(net: Network, directory: str | os.PathLike[str], *,
                 overwrite: bool = False) -> Path:
    """Write *net* to *directory* atomically, as an output folder.

    Parameters
    ----------
    net
        The network.
    directory
        Target folder: created, or replaced as a whole when corridor_geo wrote it
        (see :func:`corridor_geo._io.check_output_dir`).
    overwrite
        Write into a non-empty folder corridor_geo did not write (its other files are
        kept).

    Returns
    -------
    Path
        The folder.

    Examples
    --------
    >>> save_network(net, "cache/futian_drive")  # doctest: +SKIP
    """
    if not isinstance(net, Network):
        raise ArgumentError(f"net must be a Network (load_network()), got {type(net).__name__}")
    directory = Path(check_path(directory, name="directory"))
    with output_dir(directory, overwrite=overwrite) as tmp:
        write_network_arrays(net, tmp)
    return directory


def write_network_arrays(net: Network, folder: Path, *, key: str | None = None) -> None:
    """Write ``arrays.npz`` and ``meta.json`` (with the arrays' SHA-256) into *folder*."""
    arrays: dict[str, np.ndarray] = {}
    for name in (*_NODE, "indptr", *_EDGE, "geom_offsets", "geom_lon", "geom_lat"):
        arrays[name] = np.ascontiguousarray(getattr(net, name))
    for name in _CATS:
        cat: pd.Categorical = getattr(net, name)
        arrays[f"{name}_codes"] = cat.codes.astype(np.int32)
        cats = np.asarray(cat.categories, dtype=str)
        arrays[f"{name}_categories"] = cats if len(cats) else np.zeros(0, dtype="U1")
    with (folder / "arrays.npz").open("wb") as fh:
        np.savez(fh, allow_pickle=False, **arrays)
    meta = {
        "format_version": FORMAT_VERSION,
        "n_nodes": net.n_nodes,
        "n_edges": net.n_edges,
        "n_coords": len(net.geom_lon),
        "mode": net.mode,
        "meta": net.meta,
        "arrays_sha256": file_sha256(folder / "arrays.npz"),
    }
    if key is not None:
        meta["cache_key"] = key
    (folder / "meta.json").write_text(dumps_json(meta), encoding="utf-8")


#: Largest ``meta.json`` read (bytes); corridor_geo writes a few kB.
_META_MAX_BYTES = 16 << 20
#: dtype kinds each array of ``arrays.npz`` may have (``i``/``u`` integer, ``f`` float,
#: ``b`` bool, ``U`` str); every array is one-dimensional.
_KINDS = {**dict.fromkeys(("osmid", "indptr", "source", "target", "way_id", "geom_offsets",
                           "highway_codes", "name_codes"), "iu"),
          **dict.fromkeys(("lon", "lat", "x", "y", "length_m", "travel_time_s", "maxspeed_kmh",
                           "geom_lon", "geom_lat"), "f"),
          "oneway": "b", "highway_categories": "U", "name_categories": "U"}


def _read_meta(directory: Path) -> dict[str, Any]:
    """Read and check ``meta.json`` of a network folder (a regular file of bounded size)."""
    try:
        st = directory.stat()
    except FileNotFoundError:
        raise CacheError(f"network folder {directory}: no such folder") from None
    except OSError as exc:
        raise CacheError(f"network folder {directory}: cannot open the folder "
                         f"({exc.strerror or exc})") from None
    if not stat.S_ISDIR(st.st_mode):
        raise CacheError(f"network folder {directory}: is {file_kind(st.st_mode)}; expected a "
                         "folder holding meta.json and arrays.npz (network build --out)")
    try:
        raw = read_input(directory / "meta.json", max_bytes=_META_MAX_BYTES, what="file")
        meta = json.loads(raw.decode("utf-8"))
    except DataValidationError as exc:  # missing, a FIFO or device, too big
        hint = ("" if (directory / "meta.json").exists() else
                "; expected a folder written by 'corridor-geo network build SOURCE --out "
                "FOLDER' (or save_network())")
        raise CacheError(f"network folder {directory}: {exc}{hint}") from None
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, nested too deep
        raise CacheError(f"network folder {directory}: cannot read meta.json "
                         f"({' '.join(str(exc).split())[:200]})") from None
    where = f"network folder {directory}: meta.json"
    if not isinstance(meta, dict):
        raise CacheError(f"{where} is not an object")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CacheError(f"network folder {directory}: format version "
                         f"{meta.get('format_version')!r} (expected {FORMAT_VERSION})")
    for name in ("n_nodes", "n_edges", "n_coords"):
        v = meta.get(name)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise CacheError(f"{where}: {name} is {v!r}; expected a count (integer >= 0)")
    meta.setdefault("mode", "drive")
    if meta["mode"] not in MODES:
        raise CacheError(f"{where}: mode is {meta['mode']!r}; expected one of "
                         f"{', '.join(MODES)}")
    if not isinstance(meta.get("meta") or {}, dict):
        raise CacheError(f"{where}: 'meta' is {type(meta.get('meta')).__name__}; expected an "
                         "object")
    return meta


def _read_arrays(directory: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Read ``arrays.npz`` (a regular file whose hash matches *meta*; members stored).

    The file is opened once (without blocking, regular files only), hashed and loaded
    from the same descriptor. Its members must be stored uncompressed, as
    :func:`write_network_arrays` writes them, so that loading reads no more than the
    file holds (a compressed member could inflate without limit).
    """
    path = directory / "arrays.npz"
    try:
        with open_regular(path) as fh:
            h = hashlib.sha256()
            while block := fh.read(1 << 20):
                h.update(block)
            if h.hexdigest() != meta.get("arrays_sha256"):
                raise CacheError(f"network folder {directory}: arrays.npz does not match the "
                                 "content hash recorded in meta.json (altered or corrupt)")
            fh.seek(0)
            with zipfile.ZipFile(fh) as zf:
                packed = [i.filename for i in zf.infolist()
                          if i.compress_type != zipfile.ZIP_STORED]
            if packed:
                raise CacheError(f"network folder {directory}: arrays.npz member {packed[0]} is "
                                 "compressed; expected the uncompressed arrays corridor_geo "
                                 "writes")
            fh.seek(0)
            with np.load(fh, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
    except DataValidationError as exc:  # a FIFO or device
        raise CacheError(f"network folder {directory}: {exc}") from None
    except OSError as exc:
        raise CacheError(f"network folder {directory}: cannot read arrays.npz "
                         f"({exc.strerror or exc})") from None
    except (ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise CacheError(f"network folder {directory}: arrays.npz is corrupt "
                         f"({' '.join(str(exc).split())[:200]})") from None
    for name, kinds in _KINDS.items():
        arr = arrays.get(name)
        if arr is not None and (arr.ndim != 1 or arr.dtype.kind not in kinds):
            raise CacheError(f"network folder {directory}: arrays.npz array {name} has shape "
                             f"{arr.shape} and type {arr.dtype}; expected a one-dimensional "
                             f"{'/'.join(_KIND_NAMES[k] for k in kinds)} array")
    return arrays


_KIND_NAMES = {"i": "integer", "u": "unsigned integer", "f": "float", "b": "bool", "U": "str"}


def read_network(directory: str | os.PathLike[str], *, key: str | None = None,
                 mode: str | None = None) -> Network:
    """Read a network written by :func:`save_network`.

    The SHA-256 of ``arrays.npz`` must match the one recorded in ``meta.json`` and the
    arrays must pass :meth:`Network.validate` (finite, non-negative weights; valid
    coordinates and indices).

    Parameters
    ----------
    directory
        The folder.
    key
        When given, the cache key the entry must have been built for.
    mode
        When given, the network type the entry must hold.

    Raises
    ------
    CacheError
        When the folder is missing a file, a file is truncated, corrupt or altered
        (content hash), the format version differs, the arrays are inconsistent or
        invalid, or the entry was built for another key or mode.

    Examples
    --------
    >>> net = read_network("cache/futian_drive")  # doctest: +SKIP
    """
    directory = Path(check_path(directory, name="directory"))
    meta = _read_meta(directory)
    if key is not None and meta.get("cache_key") != key:
        raise CacheError(f"network folder {directory}: built for key {meta.get('cache_key')!r}, "
                         f"not {key!r}")
    if mode is not None and meta.get("mode") != mode:
        raise CacheError(f"network folder {directory}: holds a {meta.get('mode')!r} network, "
                         f"not {mode!r}")
    arrays = _read_arrays(directory, meta)
    need = [*_NODE, "indptr", *_EDGE, "geom_offsets", "geom_lon", "geom_lat",
            *(f"{c}_codes" for c in _CATS), *(f"{c}_categories" for c in _CATS)]
    missing = [k for k in need if k not in arrays]
    if missing:
        raise CacheError(f"network folder {directory}: arrays.npz lacks {', '.join(missing)}")
    n, m, c = meta["n_nodes"], meta["n_edges"], meta["n_coords"]
    sizes_ok = (
        all(len(arrays[k]) == n for k in _NODE)
        and len(arrays["indptr"]) == n + 1
        and all(len(arrays[k]) == m for k in (*_EDGE, *(f"{c_}_codes" for c_ in _CATS)))
        and len(arrays["geom_offsets"]) == m + 1
        and len(arrays["geom_lon"]) == c == len(arrays["geom_lat"])
        and (m == 0 or int(arrays["geom_offsets"][-1]) == c)
    )
    if not sizes_ok:
        raise CacheError(f"network folder {directory}: array sizes do not match meta.json")
    try:
        cats = {
            name: pd.Categorical.from_codes(arrays[f"{name}_codes"],
                                            categories=pd.Index(arrays[f"{name}_categories"]))
            for name in _CATS
        }
    except (ValueError, TypeError) as exc:
        raise CacheError(f"network folder {directory}: bad category arrays ({exc})") from None
    net = Network(
        **{k: arrays[k] for k in (*_NODE, "indptr", *_EDGE,
                                  "geom_offsets", "geom_lon", "geom_lat")},
        highway=cats["highway"], name=cats["name"],
        mode=str(meta["mode"]), meta=dict(meta["meta"] or {}),
    )
    try:
        net.validate(where=str(directory))
    except CorridorGeoError as exc:
        raise CacheError(f"network folder {directory}: invalid arrays ({exc})") from None
    return net
