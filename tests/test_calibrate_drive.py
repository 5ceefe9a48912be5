"""The trip-end rules of ``scripts/calibrate_drive.py`` on a toy dual carriageway.

A junction of a divided road is two one-way nodes in full OSM. From the node whose
carriageway points away from the destination, the nearest-node rule (``--ends node``)
must drive round the loop; the junction rule (``--ends place``) starts on the other
carriageway 40 m away, paying the straight line at ``ACCESS_KMH``.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from _scripts import load_script

from corridor_geo.network import Network

M_PER_DEG_LAT = 110_770.0  # at 22.5 N (only used to place the toy nodes)
M_PER_DEG_LON = 102_900.0


def _script() -> ModuleType:
    return load_script("calibrate_drive")


def _lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    return 114.0 + x_m / M_PER_DEG_LON, 22.5 + y_m / M_PER_DEG_LAT


def _toy() -> tuple[Network, Network]:
    # a1 (0, 0) and a2 (0, 40 m): the two carriageways at junction A; b1 2 km east;
    # c a far point closing the loop a1 -> b1 -> a2 -> c -> a1 (all one-way, primary)
    pts = [(0.0, 0.0), (0.0, 40.0), (2000.0, 0.0), (1000.0, 3000.0)]
    lon, lat = zip(*(_lonlat(*p) for p in pts), strict=True)
    src, tgt = [0, 2, 1, 3], [2, 1, 3, 0]
    xy = np.array(pts)
    length = [float(np.hypot(*(xy[t] - xy[s]))) for s, t in zip(src, tgt, strict=True)]
    ref = Network.from_edges(osmid=[1, 2, 3, 4], lon=list(lon), lat=list(lat), source=src,
                             target=tgt, length_m=length,
                             travel_time_s=[ln / 10 for ln in length],
                             highway=["primary"] * 4, name=[""] * 4)
    # the default network: junction A exactly at a2, junction B at b1, one two-way road
    dlon, dlat = zip(_lonlat(0.0, 40.0), _lonlat(2000.0, 0.0), strict=True)
    default = Network.from_edges(osmid=[10, 20], lon=list(dlon), lat=list(dlat),
                                 source=[0, 1], target=[1, 0], length_m=[2000.0, 2000.0],
                                 travel_time_s=[100.0, 100.0], highway=["arterial"] * 2,
                                 name=[""] * 2)
    return ref, default


def test_place_rule_starts_on_either_carriageway() -> None:
    cd = _script()
    ref, default = _toy()
    do, dt = np.array([0]), np.array([1])
    primary = 2000.0 / (40.0 / 3.6)  # TYPICAL_SPEEDS_CN primary 40 km/h
    sec, metres = cd.place_times(ref, default, do, dt)
    access = np.hypot(ref.x[0] - default.x[0], ref.y[0] - default.y[0])
    assert access == pytest.approx(40.0, abs=2.0)
    assert sec[0] == pytest.approx(primary + access / (cd.ACCESS_KMH / 3.6), rel=0.01)
    assert metres[0] == pytest.approx(2000.0 + access, rel=0.01)
    # the nearest-node rule starts at a2 and drives a2 -> c -> a1 -> b1
    node_sec, node_m = cd.reference_times(ref, np.array([1]), np.array([2]))
    assert node_m[0] > 7000.0
    assert node_sec[0] > 3 * sec[0]


def test_place_rule_without_nodes_nearby_gives_inf() -> None:
    cd = _script()
    ref, _ = _toy()
    far = Network.from_edges(osmid=[1, 2], lon=[114.5, 114.6], lat=[22.9, 22.9],
                             source=[0], target=[1], length_m=[10_000.0],
                             travel_time_s=[500.0], highway=["arterial"], name=[""])
    sec, metres = cd.place_times(ref, far, np.array([0]), np.array([1]))
    assert np.isinf(sec[0])
    assert np.isnan(metres[0])


def test_door_trip_is_connector_plus_route() -> None:
    # a door 500 m north of default junction A on a residential street; A -> B 2 km east
    # on a primary road; the full-OSM trip is 500 m at 20 + 2 km at 40 km/h (by hand)
    cd = _script()
    pts = [(0.0, 500.0), (0.0, 0.0), (2000.0, 0.0)]
    lon, lat = zip(*(_lonlat(*p) for p in pts), strict=True)
    src, tgt = [0, 1, 1, 2], [1, 0, 2, 1]
    length = [500.0, 500.0, 2000.0, 2000.0]
    ref = Network.from_edges(osmid=[1, 2, 3], lon=list(lon), lat=list(lat), source=src,
                             target=tgt, length_m=length, travel_time_s=[1.0] * 4,
                             highway=["residential", "residential", "primary", "primary"],
                             name=[""] * 4)
    dlon, dlat = zip(_lonlat(0.0, 0.0), _lonlat(2000.0, 0.0), strict=True)
    default = Network.from_edges(osmid=[10, 20], lon=list(dlon), lat=list(dlat),
                                 source=[0, 1], target=[1, 0], length_m=[2000.0, 2000.0],
                                 travel_time_s=[100.0, 100.0], highway=["arterial"] * 2,
                                 name=[""] * 2)
    snap_m, ref_s, net_s = cd.door_times(ref, default, np.array([0]), np.array([1]))
    assert snap_m[0] == pytest.approx(500.0, abs=2.0)
    assert ref_s[0] == pytest.approx(500.0 / (20 / 3.6) + 2000.0 / (40 / 3.6), rel=0.01)
    assert net_s[0] == pytest.approx(100.0)


def test_connector_speed_is_the_models() -> None:
    from corridor_geo.transit.multimodal import MultimodalParameters

    cd = _script()
    assert MultimodalParameters().connector_drive_kmh == cd.CONNECTOR_KMH
    assert MultimodalParameters().drive_circuity == cd.CIRCUITY
