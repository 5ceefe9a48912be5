"""Transit: rail services and expressways joined to street networks, matrices, catchments.

One subpackage for everything multimodal, routed through :mod:`corridor_geo.routing`:

* :mod:`~corridor_geo.transit.multimodal` — :class:`MultimodalNetwork` (drive layer =
  streets + expressway links; walk layer; rail layer of services), its parameters and
  scenario edits (:class:`NetworkEdits`, :class:`NewLink`);
* :mod:`~corridor_geo.transit.matrix` — :func:`travel_time_matrix` (drive, transit,
  park_and_ride, best) with breakdowns and route geometry, :func:`matrix_to_records`;
* :mod:`~corridor_geo.transit.catchment` — :func:`transit_times` and
  :func:`transit_node_times`, door-to-node and door-to-station transit times for
  transit catchments;
* ``_legs`` — the one implementation of access and egress legs both use, and the
  named transit modes (:data:`LEG_MODES`: ``"transit"`` = walk + rail + walk,
  ``"park_and_ride"`` = drive and park + rail + walk).

The old import paths ``corridor_geo.multimodal`` and ``corridor_geo.matrix`` re-export
these names.

Examples
--------
>>> from corridor_geo.corridor import load_corridor  # doctest: +SKIP
>>> mm = MultimodalNetwork.build(load_corridor(), street=False)  # doctest: +SKIP
>>> travel_time_matrix(mm.corridor, ["广州南"], ["深圳北"], network=mm)  # doctest: +SKIP
"""

from corridor_geo.transit._legs import LEG_MODES, TRANSIT_MODES
from corridor_geo.transit.catchment import TransitTimes, transit_node_times, transit_times
from corridor_geo.transit.matrix import (
    COLUMNS,
    MODES,
    UNREACHABLE_METHODS,
    matrix_to_records,
    resolve_points,
    travel_time_matrix,
)
from corridor_geo.transit.multimodal import (
    MultimodalNetwork,
    MultimodalParameters,
    NetworkEdits,
    NewLink,
    StreetLayer,
    walk_layer,
)

__all__ = [
    "COLUMNS",
    "LEG_MODES",
    "MODES",
    "TRANSIT_MODES",
    "UNREACHABLE_METHODS",
    "MultimodalNetwork",
    "MultimodalParameters",
    "NetworkEdits",
    "NewLink",
    "StreetLayer",
    "TransitTimes",
    "matrix_to_records",
    "resolve_points",
    "transit_node_times",
    "transit_times",
    "travel_time_matrix",
    "walk_layer",
]
