"""Multimodal network: headways, transfers, as_of, edits, fallback access, real streets."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from _multimodal_toy import toy_corridor
from pyproj import Geod

from corridor_geo.errors import DataValidationError
from corridor_geo.matrix import travel_time_matrix
from corridor_geo.multimodal import (
    MultimodalNetwork,
    MultimodalParameters,
    NetworkEdits,
    NewLink,
)
from corridor_geo.rail import RailParameters
from corridor_geo.testing import shared_data_path

GEOD = Geod(ellps="WGS84")


def _mm(**kw):
    as_of = kw.pop("as_of", None)
    kw.setdefault("walk", False)  # the toy's walks use the fallback
    return MultimodalNetwork.build(toy_corridor(as_of), street=False, **kw)


def test_one_way_service_is_ridden_only_forwards():
    # a stopping train both ways every hour and a one-way fast train A -> C every 10 min
    # (as the timetable's westbound-only fast trains): hand-computed wait + in-vehicle
    from corridor_geo.rail import RailService

    both = RailService("t/all", "l1", "intercity_rail", "all", ("st_a", "st_b", "st_c"),
                       (10.0, 10.0), (8.0, 8.0), 1.0, 60.0, 100.0, ("km_post",) * 2,
                       coords=((114.0, 22.5), (114.1, 22.5), (114.2, 22.5)), scheduled=True)
    fast = RailService("t/fast", "l1", "intercity_rail", "fast", ("st_a", "st_c"), (20.0,),
                       (12.0,), 0.0, 10.0, 100.0, ("km_post",),
                       coords=((114.0, 22.5), (114.2, 22.5)), scheduled=True,
                       direction="forward")
    mm = _mm(timetable=[both, fast])
    ac, ca = mm.rail_times("st_a", "st_c"), mm.rail_times("st_c", "st_a")
    assert ac["services"] == ["t/fast"]
    assert (ac["wait"], ac["in_vehicle"]) == pytest.approx((5.0, 12.0))
    assert ca["services"] == ["t/all"]
    assert (ca["wait"], ca["in_vehicle"]) == pytest.approx((30.0, 8.0 + 1.0 + 8.0))
    assert mm.fastest_in_vehicle("st_c", "st_a")[1].id == "t/all"
    assert mm.fastest_in_vehicle("st_a", "st_c")[1].id == "t/fast"


def test_single_line_breakdown_is_wait_plus_in_vehicle():
    mm = _mm()
    l1 = next(s for s in mm.services if s.id == "l1")
    r = mm.rail_times("st_a", "st_c")
    assert r["wait"] == pytest.approx(l1.headway_min / 2)
    assert r["in_vehicle"] == pytest.approx(l1.in_vehicle_min("st_a", "st_c"))
    assert r["transfer"] == 0.0
    assert r["minutes"] == pytest.approx(r["wait"] + r["in_vehicle"])
    assert r["stations"] == ["st_a", "st_b", "st_c"]


def test_transfer_and_headway_effects():
    mm = _mm()
    rp = mm.params.rail
    l1, l2 = (next(s for s in mm.services if s.id == k) for k in ("l1", "l2"))
    r = mm.rail_times("st_a", "st_d")
    assert r["transfer"] == pytest.approx(rp.transfer_min)
    assert r["wait"] == pytest.approx(l1.headway_min / 2 + l2.headway_min / 2)
    assert r["in_vehicle"] == pytest.approx(l1.in_vehicle_min("st_a", "st_b")
                                            + l2.in_vehicle_min("st_b", "st_d"))
    # a bigger transfer penalty and a shorter headway change the total by exactly that
    mm2 = _mm(params=MultimodalParameters(rail=RailParameters(transfer_min=20)),
              edits=NetworkEdits(headway_min={"l2": 4.0}))
    r2 = mm2.rail_times("st_a", "st_d")
    assert r2["minutes"] - r["minutes"] == pytest.approx((20 - rp.transfer_min)
                                                         + (4.0 - l2.headway_min) / 2)


def test_as_of_switches_lines_off_and_scenario_on():
    before = _mm(as_of=2015)
    assert [s.id for s in before.services] == ["l1"]
    with pytest.raises(Exception, match="st_d"):
        before.rail_times("st_a", "st_d")
    after = _mm(as_of=2020)
    assert math.isfinite(after.rail_times("st_a", "st_d")["minutes"])
    planned = _mm(edits=NetworkEdits(enable_links=["l3"]))
    r = planned.rail_times("st_a", "st_d")
    assert r["transfer"] == 0.0
    assert r["stations"] == ["st_a", "st_d"]
    closed = _mm(edits=NetworkEdits(close_links=["l1"]))
    assert [s.id for s in closed.services] == ["l2"]


def test_added_link_with_coordinates():
    edits = NetworkEdits(add_links=[NewLink("x", "New line", "intercity_rail",
                                            ("st_c", ("Echo", 114.3, 22.5)),
                                            operating_speed_kmh=160, headway_min=6)])
    mm = _mm(edits=edits)
    svc = next(s for s in mm.services if s.id == "x")
    assert svc.stops == ("st_c", "x:echo")
    assert svc.headway_min == 6
    assert math.isfinite(mm.rail_times("st_a", "x:echo")["minutes"])


def test_bad_edits():
    with pytest.raises(DataValidationError, match="positive"):
        NetworkEdits(headway_min={"l1": -3})
    c = toy_corridor()
    c.link_stops.loc[c.link_stops.link_id == "l3", "stop_id"] = None
    with pytest.raises(DataValidationError, match="cannot be switched on"):
        MultimodalNetwork.build(c, street=False, edits=NetworkEdits(enable_links=["l3"]))


def test_fallback_access_is_labelled_and_recomputable():
    mm = _mm()
    p = mm.params
    o = (114.002, 22.502)  # ~300 m from station A: walking beats car + parking
    df = travel_time_matrix(toy_corridor(), [o], ["st_c"], mode="transit", network=mm)
    cell = df.iloc[0]
    assert cell.access_method == "walk_fallback"
    assert cell.egress_method == "at_station"
    d = GEOD.inv(o[0], o[1], 114.0, 22.5)[2]
    walk_min = d * p.walk_circuity / (p.walk_kmh / 3.6) / 60
    entry = mm.stations.set_index("id").loc["st_a", "entry_min"]
    assert cell.access_min == pytest.approx(walk_min + entry)
    assert cell.minutes == pytest.approx(cell.access_min + cell.wait_min + cell.in_vehicle_min
                                         + cell.transfer_min + cell.egress_min)


@pytest.mark.shared
def test_futian_to_hitech_park_through_real_streets():
    """Walk + rail + walk on the real Futian-Nanshan streets.

    No walk network is bundled; the drive extract is walked at walking speed (one-way
    restrictions ignored), as the issue allows. The rail leg is a test line (stops near
    Futian station and in the High-tech Park) added through NetworkEdits, because no
    bundled railway runs between the two.
    """
    from corridor_geo.graph import load_network

    pbf = shared_data_path("osm/shenzhen_futian_nanshan_drive_2024-10.osm.pbf")
    net = load_network(pbf, network_type="drive")
    corridor = __import__("corridor_geo.corridor", fromlist=["x"]).load_corridor()
    line = NewLink("test_line", "Test line Futian - Hi-tech Park", "intercity_rail",
                   (("Futian East", 114.0600, 22.5400), ("Hi-tech Park", 113.9680, 22.5410)),
                   operating_speed_kmh=80, headway_min=6)
    # mode "transit": walk at both ends
    mm = MultimodalNetwork.build(corridor, street=net, walk=net,
                                 edits=NetworkEdits(add_links=[line]))
    # inside the High-tech Zone as expanded in 2019 and inside the street extract (whose
    # western edge, 113.954 E, falls just short of the original park's proxy point)
    dest = (113.9700, 22.5480)
    cell = travel_time_matrix(corridor, ["st_futian"], [dest], mode="transit",
                              network=mm).iloc[0]
    assert cell.access_method == "walk_network"
    assert cell.egress_method == "walk_network"
    assert cell.board_station == "test_line:futian_east"
    # access walk recomputed independently with networkx on the same streets
    g = nx.Graph()  # undirected, shortest of parallel edges (walking ignores one-way)
    for u, v, data in net.to_osmnx().edges(data=True):
        if u != v and data["length"] < g.get_edge_data(u, v, {"length": math.inf})["length"]:
            g.add_edge(u, v, length=data["length"])
    futian = corridor.stations.set_index("id").geometry["st_futian"]
    snap_o, d_o = mm.walk.snap(np.array([futian.x]), np.array([futian.y]))
    snap_s, d_s = mm.walk.snap(np.array([114.0600]), np.array([22.5400]))
    metres = nx.shortest_path_length(g, int(net.osmid[snap_o[0]]), int(net.osmid[snap_s[0]]),
                                     weight="length")
    p = mm.params
    walk_s = metres / (p.walk_kmh / 3.6) + (d_o[0] + d_s[0]) * p.walk_circuity / (
        p.connector_walk_kmh / 3.6)
    entry = mm.stations.set_index("id").loc["test_line:futian_east", "entry_min"]
    assert cell.access_min == pytest.approx(walk_s / 60 + entry, rel=1e-6)
    assert cell.geometry.length > 0.09  # degrees: the route spans the ~10 km trip
    assert len(cell.geometry.coords) > 10  # follows streets, not a straight line


def test_rail_services_come_from_the_corridors_own_folder(tmp_path):
    # load_corridor(geodata_dir=...) runs that folder's services.csv, not the bundled one
    import shutil

    from corridor_geo.corridor import load_corridor
    from corridor_geo.settings import geodata_dir

    folder = tmp_path / "geodata"
    shutil.copytree(geodata_dir(), folder)
    bundled = MultimodalNetwork.build(load_corridor(), street=False)
    same = MultimodalNetwork.build(load_corridor(geodata_dir=folder), street=False)
    assert [(s.id, s.stops) for s in same.services] == [(s.id, s.stops) for s in bundled.services]
    # drop every XRL pattern but the all-stops one: Guangzhou South - Shenzhen North is then
    # the bundled all-stops train's time
    p = folder / "services.csv"
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    p.write_text("".join(ln for ln in lines if not ln.startswith("gsh_xrl/")
                         or ln.startswith("gsh_xrl/all,")), encoding="utf-8")
    own = MultimodalNetwork.build(load_corridor(geodata_dir=folder), street=False)
    assert {s.id for s in own.services if s.link_id == "gsh_xrl"} == {"gsh_xrl/all"}
    t, svc = own.fastest_in_vehicle("st_gz_south", "st_sz_north")
    allstops = next(s for s in bundled.services if s.id == "gsh_xrl/all")
    assert svc.id == "gsh_xrl/all"
    assert t == pytest.approx(allstops.in_vehicle_min("st_gz_south", "st_sz_north"))
    assert t > bundled.fastest_in_vehicle("st_gz_south", "st_sz_north")[0]
