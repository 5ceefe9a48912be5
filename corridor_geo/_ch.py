"""Origin × destination travel times: customizable contraction hierarchies or Dijkstra.

Backend of :func:`corridor_geo.routing.travel_times` when ``targets`` are given. The
result is always ``(n_origins, n_targets)``; nothing of size origins × all nodes is
ever allocated (Dijkstra runs in chunks of origins, or of targets on the reversed graph
when there are fewer targets).

Two methods:

``"ch"``
    Customizable contraction hierarchies (CCH, Dibbelt/Strasser/Wagner) through
    ``pyroutingkit`` (RoutingKit's C++ CCH). The *topology* (nested-dissection order
    and chordal supergraph) depends only on which arcs exist: it is built once per
    graph, kept on the network and saved under ``settings.cache_dir()/cch`` keyed by a
    hash of the arcs, so later processes load it instead of rebuilding (only when its
    files still have the SHA-256 recorded when it was saved, for this pyroutingkit
    version: RoutingKit trusts the indices it loads, and a garbled file crashed the
    interpreter). A *metric* —
    one set of arc weights — is a customization of it (~0.1 s at 325k nodes), so a
    scenario that changes speeds re-customizes instead of re-preprocessing. The
    many-to-many query is RoutingKit's bucket algorithm in C++.

    RoutingKit weights are 32-bit integers: every arc weight (seconds) is rounded to a
    multiple of a quantum ``q = 2**-k`` s, with ``k`` as large as possible such that no
    shortest path can overflow (see :func:`quantum`; ~2e-5 s on the corridor
    graphs). The times are then the exact shortest-path times of the rounded weights —
    what Dijkstra returns on those weights, bit for bit — and differ from Dijkstra on
    the unrounded weights by at most ``q/2`` per edge of the path (measured: < 1 ms on
    the real extracts and the 325k-node tiled graph).
``"dijkstra"``
    :func:`corridor_geo.routing.shortest_times` (the one Dijkstra entry point) from the
    origins (or from the targets on the reversed graph when they are fewer), in chunks,
    keeping only the target columns.

``"auto"`` picks ``"ch"`` when ``pyroutingkit`` is installed and both sides have at
least :data:`CH_MIN_SIDE` distinct nodes (then the hierarchy pays for its preprocessing
even when built from scratch), else ``"dijkstra"``. The choice depends only on the
sizes, never on what happens to be cached, so the same call gives the same numbers.

Why pyroutingkit: among the PyPI CH packages with a CPython 3.11 x86-64 wheel
(``pyroutingkit``, ``ch-router``, ``pandana``; ``fast-paths`` and ``routingkit-cch``
have none), it is the only *customizable* one and the fastest measured on the tiled
325k-node graph (``benchmarks/bench_matrix.py``): 200 × 200 in ~0.2 s, preprocessing
~15 s, re-customization ~0.1 s; ``ch-router`` (plain CH) needs ~30 s preprocessing and
has no many-to-many call; pandana preprocesses with its own CH and answers pairs one
by one.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from corridor_geo import settings
from corridor_geo.errors import CorridorGeoError
from corridor_geo.network import Network

__all__ = ["CH_MIN_SIDE", "METHODS", "available", "od_times", "quantum"]

#: Methods of :func:`od_times`.
METHODS = ("auto", "ch", "dijkstra")
#: ``method="auto"`` uses the hierarchy when origins and targets both have at least
#: this many distinct nodes. At 325k nodes the CCH topology costs about as much as
#: 200-300 one-to-all Dijkstras; with it cached on disk it is far cheaper.
CH_MIN_SIDE = 100
#: Dijkstra works on at most this many (search × node) float64 cells at a time (128 MB).
CHUNK_CELLS = 16_000_000
#: RoutingKit's "no arc / unreachable" weight (``pyroutingkit.INF_WEIGHT``).
INF_WEIGHT = 2**31 - 1


def available() -> bool:
    """Return True when ``pyroutingkit`` can be imported."""
    try:
        import pyroutingkit  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------- arcs
def _weighted_csr(net: Network, weight: str | np.ndarray) -> sp.csr_array:
    return net.csr(weight)


def _arcs(net: Network) -> tuple[np.ndarray, np.ndarray, str]:
    """Tail and head (uint32) of the hierarchy's arcs, and a hash of them (topology key).

    One arc per distinct (source, target) pair of the network's edges, self-loops left
    out, whatever the weights: the same topology serves every metric, and an arc whose
    weight is infinite (a closed road) gets RoutingKit's infinity.
    """
    got = net._cache.get("ch_arcs")
    if got is None:
        keep = np.flatnonzero(net.source != net.target)
        s, t = net.source[keep], net.target[keep]  # edges are sorted by (source, target)
        first = np.ones(len(s), dtype=bool)
        first[1:] = (s[1:] != s[:-1]) | (t[1:] != t[:-1])
        starts = np.flatnonzero(first)
        tail, head = s[starts].astype(np.uint32), t[starts].astype(np.uint32)
        h = hashlib.sha256()
        h.update(b"corridor_geo-cch-1")
        h.update(np.int64(net.n_nodes).tobytes())
        h.update(np.ascontiguousarray(tail).tobytes())
        h.update(np.ascontiguousarray(head).tobytes())
        got = (tail, head, h.hexdigest()[:24], keep, starts)
        net._cache["ch_arcs"] = got
    return got[0], got[1], got[2]


def _arc_weights(net: Network, weight: str | np.ndarray) -> np.ndarray:
    """Weight of each hierarchy arc: the cheapest of its parallel edges (may be inf)."""
    _arcs(net)
    _, _, _, keep, starts = net._cache["ch_arcs"]
    w = net._weight_array(weight)[keep]
    if not len(starts):
        return np.zeros(0)
    return np.minimum.reduceat(w, starts)


def _topology_dir(key: str) -> Path:
    return settings.cache_dir() / "cch" / key


def topology(net: Network, *, use_disk: bool = True) -> Any:
    """Return the CCH topology of *net* (cached on the network and on disk).

    Examples
    --------
    >>> topo = topology(net)  # doctest: +SKIP
    """
    got = net._cache.get("ch_topology")
    if got is not None:
        return got
    import pyroutingkit as prk

    tail, head, key = _arcs(net)
    topo = prk.CCHTopology()
    folder = _topology_dir(key)
    loaded = False
    if use_disk and _saved_intact(folder, key):
        try:
            topo.load(str(folder))
            loaded = topo.node_count == net.n_nodes and topo.arc_count == len(tail)
        except (RuntimeError, OSError, ValueError):
            loaded = False
        if not loaded:
            topo = prk.CCHTopology()
    if not loaded:
        topo.build(tail, head, net.lat.astype(np.float32), net.lon.astype(np.float32),
                   net.n_nodes)
        if use_disk:
            _save_topology(topo, folder)
    net._cache["ch_topology"] = topo
    return topo


#: The file that marks a saved topology complete: its key, the pyroutingkit version and
#: the SHA-256 of every file RoutingKit wrote.
_COMPLETE = "complete"


def _prk_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyroutingkit")
    except PackageNotFoundError:
        return "unknown"


def _file_hashes(folder: Path) -> dict[str, str]:
    from corridor_geo._io import file_sha256

    return {p.name: file_sha256(p) for p in sorted(folder.iterdir()) if p.name != _COMPLETE}


def _saved_intact(folder: Path, key: str) -> bool:
    """Whether *folder* holds a topology saved for *key* whose files are unchanged.

    RoutingKit does not check what it loads: an index out of range in ``order``,
    ``tail`` or ``head`` (a garbled file, another version's format) is a segmentation
    fault, so every file must have the SHA-256 recorded by :func:`_save_topology`.
    """
    import json

    from corridor_geo._io import read_input
    from corridor_geo.errors import DataValidationError

    try:
        meta = json.loads(read_input(folder / _COMPLETE, max_bytes=1 << 16).decode("utf-8"))
        files = _file_hashes(folder)
    except (DataValidationError, OSError, ValueError):
        return False
    return (isinstance(meta, dict) and meta.get("key") == key
            and meta.get("pyroutingkit") == _prk_version() and meta.get("files") == files
            and bool(files))


def _save_topology(topo: Any, folder: Path) -> None:
    """Save into a temporary sibling folder, then rename (never a half-written cache)."""
    from corridor_geo._io import dumps_json

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            topo.save(str(tmp))
            meta = {"key": folder.name, "pyroutingkit": _prk_version(),
                    "files": _file_hashes(tmp)}
            (tmp / _COMPLETE).write_text(dumps_json(meta), encoding="utf-8")
            if folder.exists() and not _saved_intact(folder, folder.name):
                import shutil  # a damaged or older entry: make way for this one

                shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)
        except OSError:  # another process saved it first
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    except OSError:  # a read-only cache only costs the rebuild next time
        return


# ---------------------------------------------------------------------- quantum
def _path_bound(net: Network, csr: sp.csr_array) -> float:
    """Return an upper bound (s) on every finite shortest-path time of *csr*.

    A path meets each strongly connected component (SCC) in one contiguous stretch
    (leaving and re-entering would put the nodes between in it), so it follows a path
    of the condensation DAG. Inside the largest SCC a shortest stretch is at most
    ``max d(a, r) + max d(r, b)`` for a root ``r`` (two Dijkstras); inside any other
    at most the sum of its arcs. The bound is the heaviest path of the DAG with those
    node weights and the heaviest arc between each pair of SCCs (relaxed level by
    level, vectorised; falls back to the sum of all arcs on a very deep DAG).
    """
    from corridor_geo.routing import components, shortest_times

    if csr.nnz == net.csr("length_m").nnz:  # same arcs as the network's components
        labels, sizes = components(net)
    else:  # arcs with an infinite weight are not in *csr*
        _, labels = connected_components(csr, directed=True, connection="strong")
        sizes = np.bincount(labels)
    big = int(np.argmax(sizes))
    main = labels == big
    root = int(np.flatnonzero(main)[0])
    w = np.where(np.isfinite(csr.data), csr.data, 0.0)
    fwd = shortest_times(csr, [root])[0]
    bwd = shortest_times(csr, [root], reverse=True)[0]
    lu = np.repeat(labels, np.diff(csr.indptr))
    lv = labels[csr.indices]
    same = lu == lv
    node_w = np.bincount(lu[same], weights=w[same], minlength=len(sizes))
    node_w[big] = min(node_w[big], float(np.max(fwd[main]) + np.max(bwd[main])))
    cu, cv, cw = lu[~same], lv[~same], w[~same]
    best = node_w.copy()
    for _ in range(10_000):
        new = best.copy()
        np.maximum.at(new, cv, best[cu] + cw + node_w[cv])
        if np.array_equal(new, best):
            return float(best.max())
        best = new
    return float(w.sum())


def _scaled_bound(net: Network) -> float | None:
    """Return the bound of the network this one was copied from × the largest slow-down.

    Every path's time grows at most by the largest per-edge ratio new / old, so after
    :meth:`Network.with_travel_times` the bound needs one vectorised pass, not two
    Dijkstras (``None`` when no reference is known or an edge went from 0 to > 0).
    """
    ref = net._cache.get("ch_bound_ref")
    if ref is None:
        return None
    old_bound, old = ref
    new = net.travel_time_s
    if old is new:
        return float(old_bound)
    if len(old) != len(new):
        return None
    fin = np.isfinite(new)
    usable = np.isfinite(old) & (old > 0)
    pos = fin & usable
    if (fin & ~usable & (new > 0)).any():
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float(np.max(new[pos] / old[pos], initial=1.0))
    return float(old_bound) * max(ratio, 1.0)


def quantum(net: Network, weight: str | np.ndarray = "travel_time_s") -> float:
    """Resolution (s) of the integer weights given to the hierarchy: a power of two.

    The largest ``q = 2**-k`` (``k <= 30``) with ``bound / q + n_nodes < 2**31 - 1``,
    where ``bound`` is :func:`_path_bound`: no rounded shortest path can reach
    RoutingKit's infinity (each rounded arc adds at most ``q/2``, a path has fewer than
    ``n_nodes`` arcs).

    Examples
    --------
    >>> quantum(net)  # doctest: +SKIP
    1.52587890625e-05
    """
    key = f"ch_quantum:{weight}" if isinstance(weight, str) else None
    if key and key in net._cache:
        return float(net._cache[key])
    # an array of weights (one per edge) is never compared with a name: ``array == str``
    # is elementwise, and its truth value raised
    is_time = isinstance(weight, str) and weight == "travel_time_s"
    bound = _scaled_bound(net) if is_time else None
    if bound is None:
        bound = _path_bound(net, _weighted_csr(net, weight))
    if is_time:
        net._cache["ch_bound_ref"] = (bound, net.travel_time_s)
    room = INF_WEIGHT - 1 - net.n_nodes
    if room <= 0:
        raise CorridorGeoError(f"network of {net.n_nodes} nodes is too large for the hierarchy")
    k = 30 if bound <= 0 else min(30, math.floor(math.log2(room / bound)))
    q = 2.0 ** -k
    if key:
        net._cache[key] = q
    return q


def _int_weights(data: np.ndarray, q: float) -> np.ndarray:
    out = np.full(len(data), INF_WEIGHT, dtype=np.uint32)
    ok = np.isfinite(data)
    out[ok] = np.rint(data[ok] / q).astype(np.uint32)
    return out


def metric(net: Network, weight: str | np.ndarray = "travel_time_s") -> tuple[Any, float]:
    """Return a customized CCH metric of *weight* and its quantum (s), cached per weight.

    Examples
    --------
    >>> m, q = metric(net)  # doctest: +SKIP
    """
    key = f"ch_metric:{weight}" if isinstance(weight, str) else None
    if key and key in net._cache:
        cached: tuple[Any, float] = net._cache[key]
        return cached
    import pyroutingkit as prk

    topo = topology(net)
    q = quantum(net, weight)
    m = prk.CCHMetric(topo)
    m.customize(_int_weights(_arc_weights(net, weight), q))
    got = (m, q)
    if key:
        net._cache[key] = got
    return got


def customize(m: Any, net: Network, weight: str | np.ndarray, q: float) -> None:
    """Re-customize metric *m* with new arc weights (same arcs, same quantum)."""
    m.customize(_int_weights(_arc_weights(net, weight), q))


# ---------------------------------------------------------------------- queries
def _dijkstra_od(net: Network, origins: np.ndarray, targets: np.ndarray,
                 weight: str | np.ndarray, cutoff_s: float | None) -> np.ndarray:
    """:func:`~corridor_geo.routing.shortest_times` in chunks, keeping the target columns.

    From the origins, or from the targets along reversed edges when they are fewer.
    """
    from corridor_geo.routing import shortest_times

    reverse = len(targets) < len(origins)
    src, dst = (targets, origins) if reverse else (origins, targets)
    out = np.empty((len(src), len(dst)))
    step = max(1, CHUNK_CELLS // max(net.n_nodes, 1))
    for a in range(0, len(src), step):
        d = shortest_times(net, src[a:a + step], cutoff_s=cutoff_s, weight=weight,
                           reverse=reverse)
        out[a:a + step] = d[:, dst]
    return out.T if reverse else out


def _ch_od(net: Network, origins: np.ndarray, targets: np.ndarray,
           weight: str | np.ndarray) -> np.ndarray:
    m, q = metric(net, weight)
    raw = m.distances_many_to_many(origins.astype(np.uint32), targets.astype(np.uint32))
    raw = np.asarray(raw).reshape(len(origins), len(targets))
    out = raw.astype(np.float64) * q
    out[raw >= INF_WEIGHT] = np.inf
    return out


def od_times(
    net: Network,
    origins: np.ndarray,
    targets: np.ndarray,
    *,
    weight: str | np.ndarray = "travel_time_s",
    cutoff_s: float | None = None,
    method: Literal["auto", "ch", "dijkstra"] = "auto",
) -> np.ndarray:
    """Shortest times from each origin to each target: ``(n_origins, n_targets)``.

    *origins* and *targets* are checked node indices; ``inf`` where unreachable or
    beyond *cutoff_s*.

    Examples
    --------
    >>> od_times(net, np.array([0, 1]), np.array([5, 6, 7]))  # doctest: +SKIP
    """
    if method not in METHODS:
        raise CorridorGeoError(f"unknown routing method {method!r}; expected one of {METHODS}")
    uo, io = np.unique(origins, return_inverse=True)
    ut, it = np.unique(targets, return_inverse=True)
    if not len(uo) or not len(ut):
        return np.zeros((len(origins), len(targets)))
    if method == "auto":
        method = "ch" if min(len(uo), len(ut)) >= CH_MIN_SIDE and available() else "dijkstra"
    if method == "ch":
        if not available():
            raise CorridorGeoError(
                "method='ch' needs the optional package pyroutingkit "
                "(pip install 'corridor_geo[fast]')")
        res = _ch_od(net, uo, ut, weight)
    else:
        res = _dijkstra_od(net, uo, ut, weight, cutoff_s)
    if cutoff_s is not None:
        res[res > cutoff_s] = np.inf
    return res[io.ravel()][:, it.ravel()]
