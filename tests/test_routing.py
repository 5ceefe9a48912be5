"""Routing against networkx Dijkstra on the same graph, snapping, islands, paths."""

from __future__ import annotations

import ast
import itertools
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import corridor_geo
from corridor_geo.errors import CorridorGeoError, SnapError, UnreachableError
from corridor_geo.graph import load_network
from corridor_geo.network import Network
from corridor_geo.routing import (
    Graph,
    IslandWarning,
    components,
    csr_from_edges,
    island_origins,
    path_from_predecessors,
    path_geometry,
    shortest_path,
    shortest_times,
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


def test_snap_points_refuses_swapped_or_projected_coordinates():
    """lat, lon swapped or EPSG:4547 metres gave scipy's "'x' must be finite"."""
    net = _toy()
    assert snap_points(net, [114.0], [22.5]).node[0] == 0
    with pytest.raises(CorridorGeoError, match=r"point #1 \(22.5, 114\) is not a WGS84 "
                                               r"lon/lat pair \(1 such point"):
        snap_points(net, [114.0, 22.5], [22.5, 114.0])
    with pytest.raises(CorridorGeoError, match=r"point #0 \(808000, 2490000\) .*EPSG:4547"):
        snap_points(net, np.array([808000.0]), np.array([2490000.0]))


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


# ----------------------------------------------------------------- the routing core

def _random_edges(seed, n=40, m=160):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    tgt = rng.integers(0, n, m)
    w = rng.choice([0.0, 1.0, 2.5, 7.0, 11.0], m)
    return src, tgt, w


def _nx_graph(src, tgt, w, n):
    gx = nx.DiGraph()
    gx.add_nodes_from(range(n))
    for a, b, c in zip(src, tgt, w, strict=True):
        if a != b and (not gx.has_edge(a, b) or gx[a][b]["w"] > c):
            gx.add_edge(int(a), int(b), w=float(c))
    return gx


def test_csr_from_edges_keeps_cheapest_and_attributes():
    mat, (length,) = csr_from_edges([0, 0, 1, 2, 2], [1, 1, 1, 0, 1], [5.0, 3.0, 1.0, 0.0,
                                                                       np.inf],
                                    3, attributes=[[50.0, 30.0, 10.0, 7.0, 9.0]])
    # self-loop 1->1 and the inf edge dropped; zero kept as an explicit edge
    assert mat.nnz == 2
    assert mat[0, 1] == 3.0
    assert length[0, 1] == 30.0
    assert length[2, 0] == 7.0
    assert shortest_times(mat, [2]).tolist() == [[0.0, 3.0, 0.0]]
    with pytest.raises(CorridorGeoError, match="non-negative"):
        csr_from_edges([0], [1], [-1.0], 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shortest_times_groups_and_initial_costs_equal_networkx(seed):
    n = 40
    src, tgt, w = _random_edges(seed, n)
    g = Graph.from_edges(src, tgt, w, w * 10, lon=np.linspace(113.8, 114.2, n),
                         lat=np.full(n, 22.6))
    G = _nx_graph(src, tgt, w, n)  # noqa: N806
    sources = np.array([3, 7, 11, 3])
    groups = np.array([0, 0, 1, 1])
    init = np.array([0.0, 4.0, 2.0, 9.0])
    got = shortest_times(g, sources, groups=groups, initial_s=init)
    for k in range(2):
        want = np.full(n, np.inf)
        for s, c in zip(sources[groups == k], init[groups == k], strict=True):
            for node, d in nx.single_source_dijkstra_path_length(G, int(s), weight="w").items():
                want[node] = min(want[node], c + d)
        np.testing.assert_allclose(got[k], want)
    cut = shortest_times(g, sources, groups=groups, initial_s=init, cutoff_s=5.0)
    np.testing.assert_array_equal(cut, np.where(got <= 5.0, got, np.inf))
    # reverse search = search on the reversed graph
    rev = shortest_times(g, [5], reverse=True)[0]
    want = dict(nx.single_source_dijkstra_path_length(G.reverse(), 5, weight="w"))
    np.testing.assert_allclose(rev, [want.get(i, np.inf) for i in range(n)])
    # predecessors give real shortest paths
    dist, pred = shortest_times(g, sources, groups=groups, initial_s=init,
                                return_predecessors=True)
    for k in range(2):
        for t in np.flatnonzero(np.isfinite(dist[k])):
            path = path_from_predecessors(pred[k], int(t))
            assert path[0] in sources[groups == k]
            start = init[(sources == path[0]) & (groups == k)].min()
            cost = start + sum(G[a][b]["w"] for a, b in itertools.pairwise(path))
            assert cost == pytest.approx(dist[k, t])


def test_graph_layers_join_and_snap_to_street_nodes_only():
    # two street nodes + one added node (an interchange) right on the query point
    street = Graph.from_edges([0, 1], [1, 0], [60.0, 60.0], [500.0, 500.0],
                              lon=[114.0, 114.01], lat=[22.5, 22.5], name="street")
    s, t, w, ln = street.edges()
    joined = Graph.from_edges(np.r_[s, 2, 0], np.r_[t, 0, 2], np.r_[w, 5.0, 5.0],
                              np.r_[ln, 1.0, 1.0], lon=[114.0, 114.01, 114.02],
                              lat=[22.5, 22.5, 22.5], n_snap=2)
    assert joined.n_nodes == 3
    res = snap_points(joined, [114.02], [22.5], max_distance_m=math.inf)
    assert res.node.tolist() == [1]  # never the added node
    assert res.distance_m[0] == pytest.approx(1027, abs=5)
    with pytest.raises(SnapError, match="#0"):
        snap_points(joined, [114.02], [22.5], max_distance_m=500)
    assert shortest_times(joined, [2])[0].tolist() == [5.0, 65.0, 0.0]


def test_graph_snapping_uses_the_component_rule():
    # node 2 is nearest but only reachable one way (not in the largest SCC)
    g = Graph.from_edges([0, 1, 1], [1, 0, 2], [1.0, 1.0, 1.0], [1.0] * 3,
                         lon=[114.0, 114.001, 114.05], lat=[22.5] * 3)
    assert snap_points(g, [114.05], [22.5], max_distance_m=math.inf).node[0] == 1
    assert snap_points(g, [114.05], [22.5], main_component=False).node[0] == 2


def test_no_private_names_imported_across_modules():
    # private modules (corridor_geo._io, ...) are fine; private names inside modules not
    pkg = Path(corridor_geo.__file__).parent
    bad = []
    for path in sorted(pkg.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "corridor_geo"):
                bad += [f"{path.relative_to(pkg)}: {node.module}.{a.name}"
                        for a in node.names if a.name.startswith("_")
                        and not a.name.startswith("__")
                        and not (pkg.parent / node.module.replace(".", "/")
                                 / f"{a.name}.py").exists()]
    assert bad == []
