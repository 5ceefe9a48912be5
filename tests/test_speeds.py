"""Speed parsing, the China default table, congestion factors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from corridor_geo.errors import CorridorGeoError
from corridor_geo.network import Network
from corridor_geo.speeds import (
    DEFAULT_SPEEDS_CN,
    apply_speed_factors,
    edge_speeds_kmh,
    parse_maxspeed,
    speed_table,
)


@pytest.mark.parametrize(("raw", "kmh"), [
    ("60", 60.0), (" 80 ", 80.0), ("60 mph", 96.56064), ("30 km/h", 30.0), ("10 knots", 18.52),
    ("CN:urban", 50.0), ("CN:rural", 70.0), ("CN:motorway", 120.0), ("50;70", 60.0),
    (["40", "60"], 50.0), ("60|none", 60.0),
])
def test_parse_maxspeed(raw, kmh):
    assert parse_maxspeed(raw) == pytest.approx(kmh)


@pytest.mark.parametrize("raw", [None, "", "signals", "none", "fast", "-5", "0"])
def test_parse_maxspeed_unknown(raw):
    assert math.isnan(parse_maxspeed(raw))


def test_law_defaults():
    # Road Traffic Safety Law implementing regulations art. 45 (urban) and art. 78
    assert DEFAULT_SPEEDS_CN["unclassified"] == 30
    assert DEFAULT_SPEEDS_CN["secondary"] == 50
    assert 60 <= DEFAULT_SPEEDS_CN["motorway"] <= 120


def test_edge_speeds_and_overrides():
    hw = np.array(["primary", "motorway", "weird", "residential"])
    ms = np.array([np.nan, 120.0, np.nan, np.nan])
    assert edge_speeds_kmh(hw, ms, mode="drive").tolist() == [60, 120, 30, 30]
    assert edge_speeds_kmh(hw, ms, mode="drive", table={"primary": 45, "_default": 20}
                           ).tolist() == [45, 120, 20, 30]
    assert edge_speeds_kmh(hw, ms, mode="walk").tolist() == [4.8] * 4
    assert edge_speeds_kmh(hw, ms, mode="bike").tolist() == [15.0] * 4
    with pytest.raises(CorridorGeoError, match="primary"):
        speed_table({"primary": -3})


def test_apply_speed_factors():
    net = Network.from_edges(osmid=[1, 2, 3], lon=[114, 114.01, 114.02], lat=[22.5] * 3,
                             source=[0, 1, 1], target=[1, 2, 0], length_m=[100, 100, 100],
                             travel_time_s=[10, 10, 10],
                             highway=["motorway", "primary", "motorway"],
                             name=["广深高速", "", "x"])
    out = apply_speed_factors(net, by_class={"motorway": 0.5}, by_name={"广深高速": 0.5})
    assert out.travel_time_s.tolist() == [40, 20, 10]  # edges sorted: 0->1, 1->0, 1->2
    assert net.travel_time_s.tolist() == [10, 10, 10]
    assert out.meta["speed_factors"]["by_class"] == {"motorway": 0.5}
    with pytest.raises(CorridorGeoError, match="factor"):
        apply_speed_factors(net, by_class={"motorway": 0})
