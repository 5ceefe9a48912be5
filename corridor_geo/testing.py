"""Public testing helpers (in the spirit of ``geopandas.testing``).

Used by corridor_geo's own tests and available to users who extend it.
"""

from __future__ import annotations

from pathlib import Path

from corridor_geo import settings

__all__ = ["shared_data_path"]


def shared_data_path(relative: str) -> Path:
    """Return ``shared_data_dir() / relative`` or skip the calling test with a clear reason.

    Parameters
    ----------
    relative
        Path below the shared data folder, e.g. ``"osm/shenzhen_longgang_center_2019-11.osm"``.

    Examples
    --------
    >>> p = shared_data_path("osm/shenzhen_longgang_center_2019-11.osm")  # doctest: +SKIP
    """
    path = settings.shared_data_dir() / relative
    if not path.exists():
        import pytest

        pytest.skip(
            f"shared data file {relative} not found under {settings.shared_data_dir()} "
            "(set CORRIDOR_GEO_SHARED_DATA to the folder holding ../shared/data)"
        )
    return path
