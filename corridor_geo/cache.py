"""Network cache: built networks persisted as arrays (format: :mod:`corridor_geo.network`).

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
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from corridor_geo import settings
from corridor_geo._io import atomic_dir, dumps_json
from corridor_geo.errors import CacheError
from corridor_geo.network import (
    FORMAT_VERSION,
    MODES,
    Network,
    read_network,
    save_network,
    write_network_arrays,
)

__all__ = [
    "FORMAT_VERSION",
    "CacheWarning",
    "cache_key",
    "load_or_build",
    "network_cache_dir",
    "read_network",
    "save_network",
]

class CacheWarning(UserWarning):
    """A cached network was corrupt or stale and has been rebuilt."""


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
        write_network_arrays(net, tmp, key=path.name)
    return net
