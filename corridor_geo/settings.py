"""Package settings: where data and caches live, and global defaults.

Like ``osmnx.settings``, these are module-level values a user may change at run time::

    import corridor_geo as cg
    cg.settings.overpass_url = "http://127.0.0.1:8765/api"

Environment variables give the defaults:

``CORRIDOR_GEO_SHARED_DATA``
    Folder of the third-party extracts used by tests, benchmarks and notebooks
    (default: ``../shared/data`` next to the current directory or the repository).
``CORRIDOR_GEO_CACHE_DIR``
    Cache folder (default: the user cache directory from :mod:`platformdirs`).
``CORRIDOR_GEO_OVERPASS_URL``
    Overpass API endpoint used by online network downloads.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = [
    "METRIC_CRS",
    "SNAP_MAX_M",
    "TRAVEL_MODE_LABELS",
    "WGS84",
    "cache_dir",
    "geodata_dir",
    "mode_label",
    "overpass_url",
    "shared_data_dir",
]

#: CRS of every input and output at the API boundary.
WGS84 = "EPSG:4326"
#: Metric CRS for lengths and areas: CGCS2000 / 3-degree Gauss-Kruger CM 114E.
METRIC_CRS = "EPSG:4547"
#: The one default for the largest distance (m) from an origin to the street node its
#: catchment starts from — API, CLI (``--snap-max``) and scenario files (``snap_max_m``):
#: platform points are representative to +-3 km and the default network holds major
#: roads only.
SNAP_MAX_M = 3000.0
#: Largest grid cell size of the catchments (m). A cell is the smallest area a catchment
#: can show: a 10 km cell is already wider than a 15-min walk or a 5-min drive reaches,
#: and far coarser cells (up to 1e308 was accepted) only overflowed the grid arithmetic.
MAX_CELL_SIZE_M = 10_000.0

#: How maps, legends and figures name the travel modes of matrices and catchments.
TRAVEL_MODE_LABELS: dict[str, str] = {
    "drive": "drive",
    "walk": "walk",
    "transit": "transit: walk + rail + walk",
    "park_and_ride": "park and ride: car + rail + walk",
}


def mode_label(mode: object) -> str:
    """Name of a travel mode on maps and figures (the mode itself when not listed).

    Examples
    --------
    >>> mode_label("park_and_ride")
    'park and ride: car + rail + walk'
    """
    return TRAVEL_MODE_LABELS.get(str(mode), str(mode))

#: Overpass endpoint for online downloads (osmnx's ``settings.overpass_url``).
overpass_url: str = os.environ.get(
    "CORRIDOR_GEO_OVERPASS_URL", "https://overpass-api.de/api"
)
#: Show tqdm progress bars in library calls (the CLI turns them on unless ``--quiet``);
#: drawn only when stderr is a terminal.
progress: bool = False

_PKG = Path(__file__).resolve().parent


def geodata_dir() -> Path:
    """Return the folder of the bundled corridor data.

    In an installed wheel it is ``corridor_geo/geodata``; in a source checkout it is
    the repository's top-level ``geodata/``.
    """
    inside = _PKG / "geodata"
    if inside.is_dir():
        return inside
    return _PKG.parent / "geodata"


def sources_file() -> Path:
    """Return ``SOURCES.md``: the data sources and licences every map's attribution cites.

    In an installed wheel it is ``corridor_geo/SOURCES.md``; in a source checkout the
    repository's top-level file.

    Examples
    --------
    >>> "OpenStreetMap" in sources_file().read_text(encoding="utf-8")
    True
    """
    inside = _PKG / "SOURCES.md"
    if inside.is_file():
        return inside
    return _PKG.parent / "SOURCES.md"


def shared_data_dir() -> Path:
    """Return the folder of the third-party extracts (may not exist).

    ``CORRIDOR_GEO_SHARED_DATA`` wins; otherwise ``../shared/data`` relative to the
    current directory, then relative to the source checkout.
    """
    env = os.environ.get("CORRIDOR_GEO_SHARED_DATA")
    if env:
        return Path(env).expanduser()
    for base in (Path.cwd(), _PKG.parent):
        cand = (base / ".." / "shared" / "data").resolve()
        if cand.is_dir():
            return cand
    return (Path.cwd() / ".." / "shared" / "data").resolve()


def cache_dir() -> Path:
    """Return (and create) the cache folder for boundaries and networks."""
    env = os.environ.get("CORRIDOR_GEO_CACHE_DIR")
    path = Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("corridor_geo"))
    path.mkdir(parents=True, exist_ok=True)
    return path
