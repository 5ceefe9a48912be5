"""Backward-compatible import path of :mod:`corridor_geo.transit.multimodal`."""

from corridor_geo.transit.multimodal import (
    MultimodalNetwork,
    MultimodalParameters,
    NetworkEdits,
    NewLink,
    StreetLayer,
)

__all__ = ["MultimodalNetwork", "MultimodalParameters", "NetworkEdits", "NewLink",
           "StreetLayer"]
