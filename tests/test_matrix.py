"""Travel-time matrix: symmetry, physical lower bound, records, bundled defaults."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _multimodal_toy import toy_corridor
from pyproj import Geod

from corridor_geo.errors import CorridorGeoError, UnknownIdError
from corridor_geo.matrix import COLUMNS, matrix_to_records, travel_time_matrix
from corridor_geo.multimodal import MultimodalNetwork

GEOD = Geod(ellps="WGS84")


def _lower_bound_ok(df, mm):
    top = max(s.cruise_kmh for s in mm.services)
    for r in df.itertuples():
        a, b = r.geometry.coords[0], r.geometry.coords[-1]
        d_km = GEOD.inv(a[0], a[1], b[0], b[1])[2] / 1000
        assert r.minutes >= d_km / top * 60 - 1e-9, (r.from_id, r.to_id)


def test_toy_transit_symmetric_and_bounded():
    # "transit" walks at both ends, so the same rules apply in both directions
    c = toy_corridor()
    mm = MultimodalNetwork.build(c, street=False, walk=False)
    ids = ["st_a", "st_b", "st_c", "st_d"]
    df = travel_time_matrix(c, ids, ids, mode="transit", network=mm)
    assert list(df.columns) == COLUMNS
    assert len(df) == 16
    assert df.crs.to_epsg() == 4326
    rail = (df.wait_min + df.in_vehicle_min + df.transfer_min).to_numpy().reshape(4, 4)
    np.testing.assert_allclose(rail, rail.T)
    tot = df.minutes.to_numpy().reshape(4, 4)
    assert np.all(np.diag(tot) == 0)
    np.testing.assert_allclose(df.minutes, df.access_min + df.wait_min + df.in_vehicle_min
                               + df.transfer_min + df.egress_min)
    _lower_bound_ok(df, mm)


def test_toy_best_and_drive_fallback():
    c = toy_corridor()
    mm = MultimodalNetwork.build(c, street=False, walk=False)
    df = travel_time_matrix(c, ["st_a"], ["st_c", (114.21, 22.51)], mode="drive", network=mm)
    p = mm.params
    km = GEOD.inv(114.0, 22.5, 114.2, 22.5)[2] / 1000 * p.drive_circuity
    assert df.minutes.iloc[0] == pytest.approx(km / p.drive_fallback_kmh * 60 + p.park_min)
    assert df.distance_km.iloc[0] == pytest.approx(km)
    assert set(df.access_method) == {"drive_fallback"}
    assert df.to_id.iloc[1] == "point_114.210000_22.510000"
    best = travel_time_matrix(c, ["st_a"], ["st_c"], mode="best", network=mm)
    tr = travel_time_matrix(c, ["st_a"], ["st_c"], mode="transit", network=mm)
    pr = travel_time_matrix(c, ["st_a"], ["st_c"], mode="park_and_ride", network=mm)
    assert best.minutes.iloc[0] == min(df.minutes.iloc[0], tr.minutes.iloc[0],
                                       pr.minutes.iloc[0])


def test_records_and_errors():
    c = toy_corridor()
    mm = MultimodalNetwork.build(c, street=False, walk=False)
    df = travel_time_matrix(c, ["Alpha"], ["丁站"], mode="transit", network=mm)
    rec = matrix_to_records(df)
    json.dumps(rec, allow_nan=False)
    assert rec[0]["from"] == "st_a"
    assert rec[0]["to"] == "st_d"
    assert set(rec[0]["breakdown"]) == {"access", "wait", "in_vehicle", "transfer", "egress"}
    assert sum(rec[0]["breakdown"].values()) == pytest.approx(rec[0]["minutes"], abs=0.3)
    with pytest.raises(UnknownIdError):
        travel_time_matrix(c, ["Alfa"], ["st_d"], network=mm)
    with pytest.raises(CorridorGeoError, match="mode"):
        travel_time_matrix(c, ["st_a"], ["st_d"], mode="bike", network=mm)
    with pytest.raises(CorridorGeoError, match="prebuilt"):
        travel_time_matrix(c, ["st_a"], ["st_d"], network=mm, as_of=2015)
    # before 2020 only line 1 runs: st_d is beyond a walk from its stations, and no
    # transit mode ends by car (no taxi egress), so it is unreachable by either
    off = MultimodalNetwork.build(toy_corridor(2015), street=False, walk=False)
    for mode in ("transit", "park_and_ride"):
        none = travel_time_matrix(c, ["st_a"], ["st_d"], mode=mode, network=off)
        assert math.isinf(none.minutes.iloc[0])
        assert matrix_to_records(none)[0]["minutes"] is None
        # and it says which end failed: st_a is a station, st_d is 11 km from the nearest
        # open one (st_b), beyond the 2.5 km walk
        assert GEOD.inv(114.1, 22.5, 114.1, 22.6)[2] > off.params.max_walk_km * 1000
        assert (none.access_method.iloc[0], none.egress_method.iloc[0]) == \
            ("none", "no_station_in_reach")


def test_unreachable_cells_say_why():
    # a line of its own 22 km north of line 1: each end has a station at hand, but no
    # rail route joins them; a point in the open sea has none
    from corridor_geo.multimodal import NetworkEdits, NewLink

    c = toy_corridor()
    island = NewLink(id="lx", name="Island line", mode="intercity_rail",
                     stops=(("Echo", 114.0, 22.7), ("Foxtrot", 114.05, 22.7)))
    mm = MultimodalNetwork.build(c, street=False, walk=False,
                                 edits=NetworkEdits(add_links=(island,)))
    df = travel_time_matrix(c, ["st_a", (114.5, 22.1)], [(114.0, 22.7)], mode="transit",
                            network=mm)
    assert np.isinf(df.minutes).all()
    assert list(zip(df.access_method, df.egress_method, strict=True)) == [
        ("no_rail_connection", "no_rail_connection"), ("no_station_in_reach", "none")]
    rec = matrix_to_records(df)
    assert rec[1]["access_method"] == "no_station_in_reach"


@pytest.fixture(scope="module")
def bundled():
    from corridor_geo.corridor import load_corridor

    c = load_corridor()
    return c, MultimodalNetwork.build(c)


def test_bundled_gz_south_to_sz_north(bundled):
    c, mm = bundled
    df = travel_time_matrix(c, ["广州南"], ["深圳北"], mode="transit", network=mm)
    r = df.iloc[0]
    assert (r.from_id, r.to_id) == ("st_gz_south", "st_sz_north")
    # published facts: 102 km; G trains take 29-40 min; the model must be in that range
    assert 28 <= r.in_vehicle_min <= 45
    assert r.distance_km == pytest.approx(102, rel=0.1)
    assert r.board_station == "st_gz_south"
    assert r.alight_station == "st_sz_north"


def test_bundled_cores_all_pairs(bundled):
    c, mm = bundled
    ids = list(c.platforms["id"])
    best = travel_time_matrix(c, ids, ids, mode="best", network=mm)
    assert len(best) == 100
    assert np.isfinite(best.minutes).all()
    drive = travel_time_matrix(c, ids, ids, mode="drive", network=mm)
    assert (best.minutes.to_numpy() <= drive.minutes.to_numpy() + 1e-9).all()
    for mode in ("transit", "park_and_ride"):
        df = travel_time_matrix(c, ids, ids, mode=mode, network=mm)
        # no core lies within a walk of a station at both ends of every pair: some
        # pairs have no transit trip at all (inf), the others obey the physical bound
        fin = df[np.isfinite(df.minutes) & (df.from_id != df.to_id)]
        _lower_bound_ok(fin, mm)
        assert (best.minutes.to_numpy() <= df.minutes.to_numpy() + 1e-9).all()
    # as_of 2010: no XRL (opened 2011), no intercity lines
    old = MultimodalNetwork.build(c, as_of=2010, street=False)
    assert {s.link_id for s in old.services} == {"guangshen_railway"}


def test_transit_node_times_match_the_matrix_plus_a_walk():
    """Node times for transit catchments agree with the door-to-door matrix (two code paths)."""
    from pyproj import Geod

    from corridor_geo.matrix import transit_node_times
    from corridor_geo.network import Network

    c = toy_corridor()
    mm = MultimodalNetwork.build(c, street=False, walk=False)
    geod = Geod(ellps="WGS84")
    # walk network: A - B - C along the stations' parallel, and E 1.1 km north of C
    lon = [114.0, 114.1, 114.2, 114.2]
    lat = [22.5, 22.5, 22.5, 22.51]
    pairs = [(0, 1), (1, 2), (2, 3)]
    src = [a for a, b in pairs] + [b for a, b in pairs]
    tgt = [b for a, b in pairs] + [a for a, b in pairs]
    length = [geod.inv(lon[a], lat[a], lon[b], lat[b])[2] for a, b in zip(src, tgt, strict=True)]
    walk_ms = mm.params.walk_kmh / 3.6
    net = Network.from_edges(osmid=[1, 2, 3, 4], lon=lon, lat=lat, source=src, target=tgt,
                             length_m=length, travel_time_s=[d / walk_ms for d in length],
                             highway=["footway"] * 6, name=[""] * 6, mode="walk")
    t = transit_node_times(mm, net, [114.0], [22.5])[0]
    cell = travel_time_matrix(c, ["st_a"], ["st_c"], mode="transit", network=mm)
    d_ce = geod.inv(114.2, 22.5, 114.2, 22.51)[2]
    expected_e = float(cell.minutes.iloc[0]) * 60 + d_ce / walk_ms
    assert t[3] == pytest.approx(expected_e, rel=1e-6)
    assert t[0] == pytest.approx(0.0, abs=1e-3)  # the origin's own node: walked there directly
    # a cutoff below the arrival time leaves the far bank unreached
    t_cut = transit_node_times(mm, net, [114.0], [22.5], cutoff_s=expected_e - 60)[0]
    assert np.isinf(t_cut[3])
