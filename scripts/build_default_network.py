"""Build the bundled default road network ``geodata/roads_default.npz`` from ``scgraph-data``.

Run once (and again only to move to another ``scgraph-data`` release)::

    pip install ".[build-data]"                       # scgraph + scgraph-data (~1 GB, once)
    python scripts/build_default_network.py           # rewrite geodata/roads_default.*
    python scripts/build_default_network.py --check   # exit 1 if the bundle differs

Steps (each one is a function below):

1. **Load** ``scgraph_data.world_highways.world_highways_geograph`` (OpenStreetMap's
   major roads worldwide, simplified by scgraph-data to straight chords between
   junctions, coordinates rounded to 0.001°; © OpenStreetMap contributors, ODbL 1.0;
   the package itself is MIT). Importing it byte-compiles a 36 MB module once (~5 GB of
   memory, about a minute): this is why the runtime no longer depends on it.
2. **Clip** to the box :data:`BBOX` (west, south, east, north), which covers the
   whole of Guangzhou, Dongguan and Shenzhen: keep nodes strictly inside the box and
   edges whose two ends are kept. Self-loops are dropped.
3. **Undirect and sort**: scgraph stores every edge in both directions; keep each once
   as ``(u, v)`` with ``u < v`` in the new numbering, which follows the source order.
4. **Encode** node coordinates as int32 thousandths of a degree (exact, because the
   source rounds to 0.001° - checked), plus the source's node index and edge length
   (metres). No road class, name, speed or one-way information exists in the source.
5. **Write** the arrays as a deterministic ``.npz``
   (:func:`corridor_geo._roads.bundle_bytes`) and the manifest
   ``geodata/roads_default.json`` (source package and version, licence and attribution,
   box, counts, file and content SHA-256), each atomically.

The runtime (:func:`corridor_geo.graph.load_network` with ``"default"``) reads the bundle
with numpy, checks its SHA-256 against the manifest, clips it to the corridor polygon and
applies the drive model of ``geodata/expressways.csv`` / ``expressway_waypoints.csv`` /
``drive_model.csv``. ``tests/test_roads.py`` checks the hash, and - when ``scgraph-data``
is installed - that this script's output equals the bundle.
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path
from typing import Any

import numpy as np

from corridor_geo._io import dumps_json
from corridor_geo._roads import (
    MANIFEST_FILE,
    ROADS_FILE,
    arrays_sha256,
    bundle_bytes,
    bundle_main,
)

GEODATA = Path(__file__).resolve().parents[1] / "geodata"
#: Clip box (west, south, east, north), degrees: Guangzhou, Dongguan and Shenzhen whole.
BBOX = (112.9, 22.4, 114.7, 23.95)
SOURCE_PACKAGE = "scgraph-data"
SOURCE_GRAPH = "world_highways_geograph"


def load_source() -> tuple[np.ndarray, np.ndarray, list[dict[int, float]]]:
    """Load (step 1) the scgraph-data world highways as (lon, lat, adjacency)."""
    try:
        from scgraph_data.world_highways import world_highways_geograph as gg
    except ImportError as exc:  # pragma: no cover - depends on the environment
        sys.exit(f"scgraph-data is not installed ({exc}); run: pip install '.[build-data]'")
    nodes = np.asarray(gg.nodes, dtype=np.float64)  # (lat, lon)
    return nodes[:, 1].copy(), nodes[:, 0].copy(), gg.graph


def clip_and_encode(lon: np.ndarray, lat: np.ndarray, graph: list[dict[int, float]],
                    bbox: tuple[float, float, float, float] = BBOX) -> dict[str, np.ndarray]:
    """Clip (steps 2-4): clip to *bbox*, undirect, sort and encode as integer arrays."""
    w, s, e, n = bbox
    inside = (lon > w) & (lon < e) & (lat > s) & (lat < n)
    idx = np.flatnonzero(inside)
    new = np.full(len(lon), -1, dtype=np.int64)
    new[idx] = np.arange(len(idx))
    edges: dict[tuple[int, int], float] = {}
    for i in idx.tolist():
        for j, km in graph[i].items():
            if j == i or not inside[j]:
                continue
            a, b = sorted((int(new[i]), int(new[j])))
            # the two directions carry the same length; keep the first seen
            edges.setdefault((a, b), float(km))
    keys = sorted(edges)
    lon_e3 = np.rint(lon[idx] * 1000.0)
    lat_e3 = np.rint(lat[idx] * 1000.0)
    if (np.abs(lon_e3 - lon[idx] * 1000.0).max(initial=0) > 1e-6
            or np.abs(lat_e3 - lat[idx] * 1000.0).max(initial=0) > 1e-6):
        sys.exit("source coordinates are not rounded to 0.001 degree; the encoding would lose "
                 "precision - revise this script for the new source version")
    return {
        "lon_e3": lon_e3.astype(np.int32), "lat_e3": lat_e3.astype(np.int32),
        "source_index": idx.astype(np.int32),
        "u": np.array([k[0] for k in keys], dtype=np.int32),
        "v": np.array([k[1] for k in keys], dtype=np.int32),
        "source_length_m": np.rint(np.array([edges[k] for k in keys]) * 1000.0).astype(np.int32),
    }


def manifest(arrays: dict[str, np.ndarray], data: bytes) -> dict[str, Any]:
    """Describe (step 5) what the bundle is, where it comes from, its hashes."""
    import hashlib

    return {
        "file": ROADS_FILE,
        "source": f"{SOURCE_PACKAGE} {importlib.metadata.version(SOURCE_PACKAGE)} "
                  f"{SOURCE_GRAPH}",
        "source_package": SOURCE_PACKAGE,
        "source_version": importlib.metadata.version(SOURCE_PACKAGE),
        "source_url": "https://pypi.org/project/scgraph-data/",
        "source_licence": "package MIT; data (c) OpenStreetMap contributors, ODbL 1.0",
        "attribution": "© OpenStreetMap contributors",
        "licence": "ODbL-1.0",
        "script": "scripts/build_default_network.py",
        "bbox": list(BBOX),
        "n_nodes": len(arrays["lon_e3"]),
        "n_edges_undirected": len(arrays["u"]),
        "coordinate_unit": "0.001 degree (WGS84)",
        "content_sha256": arrays_sha256(arrays),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def build() -> tuple[bytes, str]:
    """Run steps 1-5 in memory; return the ``.npz`` bytes and the manifest JSON text."""
    lon, lat, graph = load_source()
    arrays = clip_and_encode(lon, lat, graph)
    data = bundle_bytes(arrays)
    return data, dumps_json(manifest(arrays, data))


def main(argv: list[str] | None = None) -> int:
    """Command line: build (default) or ``--check`` the bundle."""
    return bundle_main(argv, description=__doc__.splitlines()[0], default_out=GEODATA,
                       build=build, npz_name=ROADS_FILE, manifest_name=MANIFEST_FILE)


if __name__ == "__main__":
    raise SystemExit(main())
