"""Network arrays, CSR, osmnx round trip, GeoDataFrames."""

from __future__ import annotations

import numpy as np
import pytest

from corridor_geo.errors import CorridorGeoError
from corridor_geo.graph import load_network
from corridor_geo.network import Network, haversine_m
from corridor_geo.testing import shared_data_path


@pytest.fixture(scope="module")
def net():
    return load_network(shared_data_path("osm/shenzhen_longgang_center_2019-11.osm"))


def test_haversine_matches_osmnx():
    import osmnx as ox

    d = haversine_m(114.0, 22.5, 114.3, 22.8)
    assert d == pytest.approx(ox.distance.great_circle(22.5, 114.0, 22.8, 114.3), rel=1e-12)


def test_csr_layout(net):
    assert net.indptr[0] == 0
    assert net.indptr[-1] == net.n_edges
    assert (np.diff(net.source) >= 0).all()
    assert net.source.dtype == np.int32
    assert net.target.dtype == np.int32
    for i in (0, 7, net.n_nodes - 1):
        assert (net.source[net.indptr[i]:net.indptr[i + 1]] == i).all()
    m = net.csr("length_m")
    assert m.shape == (net.n_nodes, net.n_nodes)
    # x/y are EPSG:4547 of lon/lat
    import pyproj

    tf = pyproj.Transformer.from_crs(4326, 4547, always_xy=True)
    x, y = tf.transform(net.lon[:5], net.lat[:5])
    np.testing.assert_allclose(net.x[:5], x)
    np.testing.assert_allclose(net.y[:5], y)


def test_from_edges_sorts_with_geometry():
    net = Network.from_edges(
        osmid=[1, 2, 3], lon=[114.0, 114.01, 114.02], lat=[22.5, 22.5, 22.5],
        source=[2, 0, 1], target=[1, 1, 2], length_m=[3.0, 1.0, 2.0],
        travel_time_s=[30.0, 10.0, 20.0], highway=["a", "b", "c"], name=["x", "", "z"],
        geom_offsets=[0, 3, 5, 7], geom_lon=[114.02, 114.015, 114.01, 114.0, 114.01, 114.01,
                                              114.02],
        geom_lat=[22.5, 22.6, 22.5, 22.5, 22.5, 22.5, 22.5])
    assert net.source.tolist() == [0, 1, 2]
    assert net.length_m.tolist() == [1.0, 2.0, 3.0]
    assert list(net.highway) == ["b", "c", "a"]
    assert list(net.geometry[2].coords) == [(114.02, 22.5), (114.015, 22.6), (114.01, 22.5)]
    assert net.indptr.tolist() == [0, 1, 2, 3]
    with pytest.raises(CorridorGeoError, match="unknown network type"):
        Network.from_edges(osmid=[1], lon=[0], lat=[0], source=[], target=[], length_m=[],
                           travel_time_s=[], highway=[], name=[], mode="boat")


def test_osmnx_round_trip(net):
    g = net.to_osmnx()
    assert g.number_of_nodes() == net.n_nodes
    assert g.number_of_edges() == net.n_edges
    assert g.graph["crs"] == "epsg:4326"
    back = Network.from_osmnx(g, mode="drive")
    np.testing.assert_array_equal(back.osmid, net.osmid)
    np.testing.assert_array_equal(back.source, net.source)
    np.testing.assert_array_equal(back.target, net.target)
    np.testing.assert_allclose(back.length_m, net.length_m)
    np.testing.assert_allclose(back.travel_time_s, net.travel_time_s)
    np.testing.assert_array_equal(back.geom_lon, net.geom_lon)
    assert list(back.highway) == list(net.highway)


def test_from_osmnx_computes_missing_travel_time():
    import networkx as nx

    g = nx.MultiDiGraph(crs="epsg:4326")
    g.add_node(1, x=114.0, y=22.5)
    g.add_node(2, x=114.01, y=22.5)
    g.add_edge(1, 2, length=1000.0, highway=["primary", "secondary"], maxspeed="80")
    g.add_edge(2, 1, length=1000.0, highway="residential")
    net = Network.from_osmnx(g, mode="drive")
    np.testing.assert_allclose(net.travel_time_s, [1000 / (80 / 3.6), 1000 / (30 / 3.6)])


def test_with_travel_times_and_gdfs(net):
    slow = net.with_travel_times(net.travel_time_s * 2)
    np.testing.assert_allclose(slow.travel_time_s, 2 * net.travel_time_s)
    assert slow.length_m is net.length_m
    with pytest.raises(CorridorGeoError, match="shape"):
        net.with_travel_times([1.0])
    nodes, edges = net.nodes_gdf(), net.edges_gdf()
    assert len(nodes) == net.n_nodes
    assert nodes.crs.to_epsg() == 4326
    assert len(edges) == net.n_edges
    assert (edges["u"].to_numpy() == net.osmid[net.source]).all()
    assert edges.geometry.iloc[0].coords[0] == (net.lon[net.source[0]], net.lat[net.source[0]])


def test_node_index(net):
    assert net.node_index(net.osmid[[3, 1]]).tolist() == [3, 1]
    with pytest.raises(KeyError, match="node id 1 is not"):
        net.node_index([1])
