"""corridor_geo: geospatial analysis of innovation corridors.

Built first for the Guangzhou–Shenzhen Science and Technology Innovation Corridor
(广深科技创新走廊). Public functions are imported lazily so ``import corridor_geo`` is fast.

Examples
--------
>>> import corridor_geo as cg
>>> corridor = cg.load_corridor()  # doctest: +SKIP
>>> corridor.platforms[["id", "name_en"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from corridor_geo import settings
from corridor_geo.errors import (
    CorridorGeoError,
    DataValidationError,
    NetworkSourceError,
    SnapError,
    UnknownIdError,
    UnreachableError,
)

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first use)
_LAZY: dict[str, str] = {
    # foundation
    "Corridor": "corridor_geo.corridor",
    "load_corridor": "corridor_geo.corridor",
    "gcj02_to_wgs84": "corridor_geo.crs",
    "wgs84_to_gcj02": "corridor_geo.crs",
    "bd09_to_wgs84": "corridor_geo.crs",
    "wgs84_to_bd09": "corridor_geo.crs",
    "load_boundaries": "corridor_geo.boundaries",
    "corridor_extent": "corridor_geo.extent",
    "distance_matrix": "corridor_geo.distance",
    # street networks and routing
    "Network": "corridor_geo.network",
    "load_network": "corridor_geo.graph",
    "travel_times": "corridor_geo.routing",
    "snap_points": "corridor_geo.routing",
    # multimodal
    "MultimodalNetwork": "corridor_geo.transit",
    "travel_time_matrix": "corridor_geo.transit",
    # catchments
    "catchments": "corridor_geo.catchments",
    # maps
    "corridor_map": "corridor_geo.maps",
    # scenarios
    "Scenario": "corridor_geo.scenario",
    "run_scenario": "corridor_geo.scenario",
    "compare": "corridor_geo.scenario",
}

__all__ = [
    "CorridorGeoError",
    "DataValidationError",
    "NetworkSourceError",
    "SnapError",
    "UnknownIdError",
    "UnreachableError",
    "settings",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'corridor_geo' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
