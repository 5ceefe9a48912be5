"""Backward-compatible import path of :mod:`corridor_geo.transit.matrix`.

Also re-exports :func:`~corridor_geo.transit.catchment.transit_node_times`.
"""

from corridor_geo.transit.catchment import transit_node_times
from corridor_geo.transit.matrix import (
    COLUMNS,
    MODES,
    matrix_to_records,
    resolve_points,
    travel_time_matrix,
)

__all__ = ["COLUMNS", "MODES", "matrix_to_records", "resolve_points", "transit_node_times",
           "travel_time_matrix"]
