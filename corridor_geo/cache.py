"""Network cache: built networks persisted as arrays.

A cached network is a folder with two files:

``arrays.npz``
    every array of the :class:`~corridor_geo.network.Network` (uncompressed, so it
    loads at disk speed), including the edge geometries as ragged coordinate arrays
    and the road classes/names as category codes + category strings. Read with
    ``np.load(allow_pickle=False)``: a cache file cannot run code.
``meta.json``
    format version, array counts, the SHA-256 of ``arrays.npz``, the cache key the entry
    was built for, its mode and the network's ``meta`` (source, source hash, OSM date,
    network type, speed-model version). An entry whose hash, key or mode does not
    match, or whose arrays fail :meth:`Network.validate`, is rebuilt.

The folder is written atomically (:func:`corridor_geo._io.atomic_dir`). A truncated or
corrupt file (zip CRC, missing or inconsistent arrays) raises
:class:`~corridor_geo.errors.CacheError`; :func:`load_or_build`, used by
:func:`corridor_geo.graph.load_network`, turns that — and a stale source — into a
rebuild with a :class:`CacheWarning`.

Examples
--------
>>> save_network(net, "out/futian")  # doctest: +SKIP
>>> net2 = read_network("out/futian")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_geo import settings
from corridor_geo._io import atomic_dir, dumps_json, file_sha256, output_dir
from corridor_geo.errors import CacheError, CorridorGeoError
from corridor_geo.network import MODES, Network

__all__ = [
    "FORMAT_VERSION",
    "CacheWarning",
    "cache_key",
    "load_or_build",
    "network_cache_dir",
    "read_network",
    "save_network",
]

#: Version of the on-disk layout; a different version is treated as stale.
FORMAT_VERSION = 2

_NODE = ("osmid", "lon", "lat", "x", "y")
_EDGE = ("source", "target", "length_m", "travel_time_s", "way_id", "oneway", "maxspeed_kmh")
_CATS = ("highway", "name")


class CacheWarning(UserWarning):
    """A cached network was corrupt or stale and has been rebuilt."""


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
    directory = Path(directory)
    with output_dir(directory, overwrite=overwrite) as tmp:
        _write_arrays(net, tmp)
    return directory


def _write_arrays(net: Network, folder: Path, *, key: str | None = None) -> None:
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
        np.savez(fh, **arrays)
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
    directory = Path(directory)
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CacheError(f"network cache {directory}: cannot read meta.json ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise CacheError(
            f"network cache {directory}: format version {meta.get('format_version')!r} "
            f"(expected {FORMAT_VERSION})" if isinstance(meta, dict)
            else f"network cache {directory}: meta.json is not an object"
        )
    if key is not None and meta.get("cache_key") != key:
        raise CacheError(f"network cache {directory}: built for key {meta.get('cache_key')!r}, "
                         f"not {key!r}")
    if mode is not None and meta.get("mode") != mode:
        raise CacheError(f"network cache {directory}: holds a {meta.get('mode')!r} network, "
                         f"not {mode!r}")
    try:
        digest = file_sha256(directory / "arrays.npz")
    except OSError as exc:
        raise CacheError(f"network cache {directory}: cannot read arrays.npz ({exc})") from exc
    if digest != meta.get("arrays_sha256"):
        raise CacheError(f"network cache {directory}: arrays.npz does not match the content "
                         "hash recorded in meta.json (altered or corrupt)")
    try:
        with np.load(directory / "arrays.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise CacheError(f"network cache {directory}: arrays.npz is corrupt ({exc})") from exc
    need = [*_NODE, "indptr", *_EDGE, "geom_offsets", "geom_lon", "geom_lat",
            *(f"{c}_codes" for c in _CATS), *(f"{c}_categories" for c in _CATS)]
    missing = [k for k in need if k not in arrays]
    if missing:
        raise CacheError(f"network cache {directory}: arrays.npz lacks {', '.join(missing)}")
    n, m, c = meta.get("n_nodes"), meta.get("n_edges"), meta.get("n_coords")
    sizes_ok = (
        all(len(arrays[k]) == n for k in _NODE)
        and len(arrays["indptr"]) == (n or 0) + 1
        and all(len(arrays[k]) == m for k in (*_EDGE, *(f"{c_}_codes" for c_ in _CATS)))
        and len(arrays["geom_offsets"]) == (m or 0) + 1
        and len(arrays["geom_lon"]) == c == len(arrays["geom_lat"])
        and (m == 0 or int(arrays["geom_offsets"][-1]) == c)
    )
    if not sizes_ok:
        raise CacheError(f"network cache {directory}: array sizes do not match meta.json")
    try:
        cats = {
            name: pd.Categorical.from_codes(arrays[f"{name}_codes"],
                                            categories=pd.Index(arrays[f"{name}_categories"]))
            for name in _CATS
        }
    except (ValueError, TypeError) as exc:
        raise CacheError(f"network cache {directory}: bad category arrays ({exc})") from None
    net = Network(
        **{k: arrays[k] for k in (*_NODE, "indptr", *_EDGE,
                                  "geom_offsets", "geom_lon", "geom_lat")},
        highway=cats["highway"], name=cats["name"],
        mode=str(meta.get("mode", "drive")), meta=dict(meta.get("meta") or {}),
    )
    try:
        net.validate(where=str(directory))
    except CorridorGeoError as exc:
        raise CacheError(f"network cache {directory}: invalid arrays ({exc})") from None
    return net


def cache_key(parts: Mapping[str, Any]) -> str:
    """Stable hex key of a JSON-serialisable mapping (sorted keys).

    Examples
    --------
    >>> cache_key({"a": 1}) == cache_key({"a": 1})
    True
    """
    return hashlib.sha256(dumps_json(dict(parts)).encode("utf-8")).hexdigest()[:20]


def network_cache_dir() -> Path:
    """Folder holding cached networks (``settings.cache_dir() / "networks"``)."""
    path = settings.cache_dir() / "networks"
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_or_build(
    key_parts: Mapping[str, Any],
    build: Callable[[], Network],
    *,
    is_fresh: Callable[[dict[str, Any]], bool] | None = None,
    use_cache: bool = True,
) -> Network:
    """Return the cached network for *key_parts*, building and caching it when needed.

    Parameters
    ----------
    key_parts
        What identifies the network (source, clip area, network type, speeds, ...).
    build
        Builds the network when the cache is missing, corrupt or stale.
    is_fresh
        Called with the cached network's ``meta``; ``False`` means the source changed
        since the cache was written (stale).
    use_cache
        ``False`` always builds and writes nothing.

    Examples
    --------
    >>> net = load_or_build({"source": "x"}, lambda: build_it())  # doctest: +SKIP
    """
    if not use_cache:
        return build()
    prefix = str(key_parts.get("network_type", "net"))
    path = network_cache_dir() / f"{prefix}-{cache_key(key_parts)}"
    if path.exists():
        try:
            net = read_network(path, key=path.name, mode=prefix if prefix in MODES else None)
        except CacheError as exc:
            warnings.warn(f"{exc}; rebuilding it", CacheWarning, stacklevel=3)
        else:
            if is_fresh is None or is_fresh(net.meta):
                return net
            warnings.warn(
                f"network cache {path} is stale (its source {net.meta.get('source')!r} "
                "changed); rebuilding it", CacheWarning, stacklevel=3,
            )
    net = build()
    net.meta = {**net.meta, "cache_key": path.name}
    with atomic_dir(path) as tmp:
        _write_arrays(net, tmp, key=path.name)
    return net
