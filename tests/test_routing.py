"""Routing against networkx Dijkstra on the same graph, snapping, islands, paths."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from corridor_geo.errors import CorridorGeoError, SnapError, UnreachableError
from corridor_geo.graph import load_network
from corridor_geo.network import Network
from corridor_geo.routing import (
    IslandWarning,
    components,
    island_origins,
    path_geometry,
    shortest_path,
    snap_points,
    travel_times,
)
from corridor_geo.testing import shared_data_path

PBF = "osm/shenzhen_futian_nanshan_drive_2024-10.osm.pbf"


@pytest.fixture(scope="module")
def net():
    return load_network(shared_data_path(PBF))


@pytest.fixture(scope="module")
def g(net):
    return net.to_osmnx()


@pytest.mark.shared
def test_travel_times_equal_networkx(net, g):
    labels, sizes = components(net)
    main = np.flatnonzero(labels == np.argmax(sizes))
    origins = main[[0, 400, 1700, 3100, 5000]]
    got = travel_times(net, origins)
    assert got.shape == (5, net.n_nodes)
    for row, o in zip(got, origins, strict=True):
        ref = nx.single_source_dijkstra_path_length(g, int(net.osmid[o]), weight="travel_time")
        idx = net.node_index(list(ref))
        np.testing.assert_allclose(row[idx], list(ref.values()), rtol=1e-12, atol=0)
        mask = np.ones(net.n_nodes, bool)
        mask[idx] = False
        assert np.isinf(row[mask]).all()


@pytest.mark.shared
def test_cutoff_equals_networkx_cutoff(net, g):
    o = int(np.flatnonzero(components(net)[0] == np.argmax(components(net)[1]))[10])
    got = travel_times(net, [o], cutoff_s=300)[0]
    ref = nx.single_source_dijkstra_path_length(g, int(net.osmid[o]), cutoff=300,
                                                weight="travel_time")
    reached = np.flatnonzero(np.isfinite(got))
    assert set(net.osmid[reached].tolist()) == set(ref)
    np.testing.assert_allclose(got[net.node_index(list(ref))], list(ref.values()), rtol=1e-12)
    assert 1 < len(ref) < net.n_nodes


@pytest.mark.shared
def test_shortest_path_and_geometry(net, g):
    o, t = 10, 4000
    path = shortest_path(net, o, t)
    ref = nx.shortest_path_length(g, int(net.osmid[o]), int(net.osmid[t]), weight="travel_time")
    cost = sum(net.travel_time_s[net.edge_index(u, v)] for u, v in itertools.pairwise(path))
    assert cost == pytest.approx(ref, rel=1e-12)
    line = path_geometry(net, path)
    assert line.coords[0] == (net.lon[o], net.lat[o])
    assert line.coords[-1] == (net.lon[t], net.lat[t])
    assert len(line.coords) >= len(path)


@pytest.mark.shared
def test_snap_points(net):
    i = 123
    res = snap_points(net, [net.lon[i]], [net.lat[i]], main_component=False)
    assert res.node[0] == i
    assert res.distance_m[0] == pytest.approx(0, abs=1e-6)
    # 0.001 deg east of a node: ~102.6 m at 22.5N (planar EPSG:4547 within 0.1 %)
    res = snap_points(net, net.lon[:50] + 1e-3, net.lat[:50], main_component=False)
    assert (res.distance_m <= 103).all()


@pytest.mark.shared
def test_snap_5km_off_network_names_point(net):
    lon = net.lon.max() + 5000 / 102_800  # ~5 km east of the easternmost node
    with pytest.raises(SnapError, match=r"point Lab X .* is 5,0\d\d m from the nearest"):
        snap_points(net, [net.lon[0], lon], [net.lat[0], net.lat[np.argmax(net.lon)]],
                    max_distance_m=1000, labels=["ok", "Lab X"], main_component=False)


def _toy() -> Network:
    # main cycle 0->1->2->0 plus a one-way spur 3->0 (3 is an island: nothing reaches it)
    lon = [114.0, 114.01, 114.02, 113.99]
    lat = [22.5, 22.5, 22.51, 22.5]
    return Network.from_edges(osmid=[10, 11, 12, 13], lon=lon, lat=lat,
                              source=[0, 1, 2, 3, 0], target=[1, 2, 0, 0, 1],
                              length_m=[1, 2, 3, 4, 5], travel_time_s=[10, 20, 30, 40, 5],
                              highway=["primary"] * 5, name=[""] * 5)


def test_islands_detected_and_reported():
    net = _toy()
    assert island_origins(net, [0, 3]).tolist() == [False, True]
    with pytest.warns(IslandWarning, match=r"origin node 3 \(osmid 13\) lies on an island of 1"):
        t = travel_times(net, [3])
    assert t[0].tolist() == [40, 45, 65, 0]
    with pytest.raises(UnreachableError, match="island"):
        travel_times(net, [3], on_island="raise")
    # snapping avoids the island by default
    assert snap_points(net, [113.99], [22.5], max_distance_m=5000).node[0] == 0
    assert snap_points(net, [113.99], [22.5], main_component=False).node[0] == 3
    with pytest.raises(UnreachableError, match="cannot be reached"):
        shortest_path(net, 0, 3)


def test_parallel_edges_min_and_bad_origins():
    net = _toy()
    assert travel_times(net, [0])[0, 1] == 5  # parallel 0->1 edges: 10 and 5
    assert travel_times(net, [0], weight="length_m")[0, 1] == 1
    with pytest.raises(CorridorGeoError, match="out of range"):
        travel_times(net, [7])
    with pytest.raises(CorridorGeoError, match="cutoff_s"):
        travel_times(net, [0], cutoff_s=-1)
