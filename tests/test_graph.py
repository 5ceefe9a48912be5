"""load_network: OSM files, the scgraph default, clipping and bad input (real shared extracts)."""

from __future__ import annotations

import os

import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pytest
from shapely.geometry import box

from corridor_geo import settings
from corridor_geo._roads import read_drive_model
from corridor_geo.errors import CorridorGeoError, NetworkSourceError
from corridor_geo.graph import DEV_BBOX, expressway_table, load_network
from corridor_geo.routing import travel_times
from corridor_geo.testing import shared_data_path

PBF = "osm/shenzhen_futian_nanshan_drive_2024-10.osm.pbf"
HITECH = "osm/shenzhen_nanshan_hitech_full_2021-03.osm"
LONGGANG = "osm/shenzhen_longgang_center_2019-11.osm"

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def drive_pbf():
    return load_network(shared_data_path(PBF), network_type="drive")


@pytest.fixture(scope="module")
def osmnx_drive(tmp_path_factory):
    """osmnx's own graph of the same PBF (converted to XML with osmium)."""
    xml = tmp_path_factory.mktemp("xml") / "futian.osm"
    writer = osmium.SimpleWriter(str(xml))
    for obj in osmium.FileProcessor(str(shared_data_path(PBF))):
        writer.add(obj)
    writer.close()
    return ox.graph_from_xml(xml)


def test_pbf_drive_lengths_equal_osmnx(drive_pbf, osmnx_drive):
    net, g = drive_pbf, osmnx_drive
    # every intersection osmnx keeps is in our network (we also keep way-to-way joints)
    ids = np.array(list(g.nodes))
    assert np.isin(ids, net.osmid).all()
    origins = net.node_index(ids[[0, 500, 1500, 3000, 4500]])
    got = travel_times(net, origins, weight="length_m", on_island="ignore")
    for row, o in zip(got, origins, strict=True):
        ref = nx.single_source_dijkstra_path_length(g, int(net.osmid[o]), weight="length")
        rid = np.array(list(ref))
        np.testing.assert_allclose(row[net.node_index(rid)], np.array(list(ref.values())),
                                   rtol=1e-9)
        # nodes osmnx cannot reach are unreached by us too
        unreached = np.setdiff1d(ids, rid)
        assert np.isinf(row[net.node_index(unreached)]).all()


def test_pbf_one_way_streets(drive_pbf, osmnx_drive):
    net, g = drive_pbf, osmnx_drive
    assert net.oneway.any()
    assert (~net.oneway).any()
    ids = np.array(list(g.nodes))
    a, b = ids[100], ids[2000]
    ia, ib = net.node_index([a, b])
    t = travel_times(net, [ia, ib], weight="length_m", on_island="ignore")
    ab, ba = t[0, ib], t[1, ia]
    assert ab != pytest.approx(ba, rel=1e-3)  # one-way streets make the trips differ
    assert ab == pytest.approx(nx.shortest_path_length(g, a, b, weight="length"), rel=1e-9)
    assert ba == pytest.approx(nx.shortest_path_length(g, b, a, weight="length"), rel=1e-9)


def test_pbf_meta_and_speeds(drive_pbf):
    net = drive_pbf
    assert net.mode == "drive"
    assert net.meta["network_type"] == "drive"
    assert len(net.meta["source_sha256"]) == 64
    # travel time = length / speed; motorway without maxspeed at 100 km/h
    mw = (np.asarray(net.highway) == "motorway") & np.isnan(net.maxspeed_kmh)
    if mw.any():
        np.testing.assert_allclose(net.travel_time_s[mw], net.length_m[mw] / (100 / 3.6))
    has = np.isfinite(net.maxspeed_kmh)
    np.testing.assert_allclose(net.travel_time_s[has],
                               net.length_m[has] / (net.maxspeed_kmh[has] / 3.6))
    # edge length equals the great-circle length of its geometry (osmnx's radius)
    from corridor_geo.network import haversine_m

    e = np.flatnonzero(np.diff(net.geom_offsets) > 3)[0]
    a, b = net.geom_offsets[e], net.geom_offsets[e + 1]
    lon, lat = net.geom_lon[a:b], net.geom_lat[a:b]
    assert net.length_m[e] == pytest.approx(haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum())


def test_walk_network_hitech_is_bidirectional():
    net = load_network(shared_data_path(HITECH), network_type="walk")
    drive = load_network(shared_data_path(HITECH), network_type="drive")
    assert net.mode == "walk"
    assert not net.oneway.any()
    # every edge has its reverse (walkers ignore one-way streets)
    fwd = set(zip(net.source.tolist(), net.target.tolist(), strict=True))
    assert all((v, u) in fwd for u, v in fwd)
    hw = set(np.asarray(net.highway))
    assert {"footway"} & hw  # walk includes footpaths ...
    assert not {"footway", "steps", "pedestrian"} & set(np.asarray(drive.highway))  # drive doesn't
    np.testing.assert_allclose(net.travel_time_s, net.length_m / (4.8 / 3.6))
    g = net.to_osmnx()
    o = 5
    t = travel_times(net, [o], on_island="ignore")[0]
    ref = nx.single_source_dijkstra_path_length(g, int(net.osmid[o]), weight="travel_time")
    np.testing.assert_allclose(t[net.node_index(list(ref))], list(ref.values()), rtol=1e-12)


def test_longgang_drive_equals_osmnx_xml():
    path = shared_data_path(LONGGANG)
    net = load_network(path, network_type="drive")
    assert net.meta["osm_date"].startswith("2019")
    # osmnx's graph of the same file, restricted to the same drive ways
    g = ox.graph_from_xml(path, simplify=False, retain_all=True)
    keep = [(u, v, k) for u, v, k, d in g.edges(keys=True, data=True)
            if set(np.atleast_1d(d.get("osmid"))) <= set(net.way_id.tolist())]
    h = g.edge_subgraph(keep)
    for o in (0, 100, 200):
        ref = nx.single_source_dijkstra_path_length(h, int(net.osmid[o]), weight="length")
        got = travel_times(net, [o], weight="length_m", on_island="ignore")[0]
        rid = np.array([k for k in ref if k in set(net.osmid.tolist())])
        np.testing.assert_allclose(got[net.node_index(rid)], [ref[k] for k in rid], rtol=1e-9)


def test_bbox_clip_keeps_only_inside(drive_pbf):
    bb = (114.02, 22.52, 114.08, 22.56)
    net = load_network(shared_data_path(PBF), bbox=bb)
    assert 0 < net.n_nodes < drive_pbf.n_nodes
    assert (net.lon >= bb[0]).all()
    assert (net.lon <= bb[2]).all()
    assert (net.geom_lat >= bb[1]).all()
    assert (net.geom_lat <= bb[3]).all()
    same = load_network(shared_data_path(PBF), polygon=box(*bb))
    assert same.n_edges == net.n_edges


def test_reader_drops_ways_outside_the_clip_box_same_network():
    # memory follows the kept ways: ways with no node in the box are not even read
    from corridor_geo import _osm

    bb = (114.02, 22.52, 114.06, 22.56)
    full = _osm.read_osm_file(shared_data_path(PBF), network_type="drive")
    cut = _osm.read_osm_file(shared_data_path(PBF), network_type="drive", bbox=bb)
    assert 0 < len(cut.way_ids) < len(full.way_ids) / 2
    assert len(cut.refs) < len(full.refs) / 2
    a = _osm.build_edges(full, network_type="drive", polygon=box(*bb))
    b = _osm.build_edges(cut, network_type="drive", polygon=box(*bb))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_default_builds_caches_reloads():
    net = load_network()
    assert net.mode == "drive"
    assert 2_500 < net.n_nodes < 8_000
    w, s, e, n = DEV_BBOX
    assert (net.lon > w).all()
    assert (net.lon < e).all()
    assert (net.lat > s).all()
    assert (net.lat < n).all()
    table = expressway_table()
    names = set(np.asarray(net.name))
    assert {"Guangshen Expressway", "Yanjiang Expressway"} <= names
    # typical (not posted) speeds from geodata/expressways.csv, per expressway
    model = read_drive_model()
    for road in table:
        on = np.asarray(net.name) == road["name_en"]
        if on.any():
            np.testing.assert_allclose(net.travel_time_s[on],
                                       net.length_m[on] / (road["typical_kmh"] / 3.6))
            assert road["typical_kmh"] <= (road["posted_kmh"] or 999)
    # arterials: arterial speed, plus the junction delay into nodes where >= 3 roads meet
    art = np.asarray(net.highway) == "arterial"
    base = net.length_m / (model["arterial_kmh"] / 3.6)
    extra = net.travel_time_s[art] - base[art]
    assert set(np.round(extra, 6)) <= {0.0, round(model["junction_delay_s"], 6)}
    # every default edge is two-way
    fwd = set(zip(net.source.tolist(), net.target.tolist(), strict=True))
    assert all((v, u) in fwd for u, v in fwd)
    again = load_network()
    assert again.meta.get("cache_key") == net.meta.get("cache_key")
    np.testing.assert_array_equal(again.travel_time_s, net.travel_time_s)
    # walk: same arterials, no expressways, walking speed
    walk = load_network(network_type="walk")
    assert "expressway" not in set(np.asarray(walk.highway))
    # faster expressways change times
    fast = load_network(speeds={"expressway": 120})
    assert fast.travel_time_s.sum() < net.travel_time_s.sum()
    with pytest.raises(CorridorGeoError, match="unknown speed key"):
        load_network(speeds={"motorway": 100}, cache=False)


def test_missing_file_is_clear_error(tmp_path):
    with pytest.raises(NetworkSourceError, match=r"not found.*nope\.osm\.pbf"):
        load_network(tmp_path / "nope.osm.pbf")


def test_source_that_is_not_a_regular_file_is_named(tmp_path):
    # a folder is not "not found"; a FIFO is refused before libosmium blocks on it
    (tmp_path / "dir.osm.pbf").mkdir()
    with pytest.raises(NetworkSourceError, match=r"dir\.osm\.pbf: is a directory"):
        load_network(tmp_path / "dir.osm.pbf")
    os.mkfifo(tmp_path / "pipe.osm.pbf")
    with pytest.raises(NetworkSourceError, match=r"pipe\.osm\.pbf: is a FIFO"):
        load_network(tmp_path / "pipe.osm.pbf")


def test_pbf_not_covering_area():
    with pytest.raises(NetworkSourceError, match=r"no drive ways inside the requested .*covers"):
        load_network(shared_data_path(PBF), bbox=(113.2, 23.0, 113.3, 23.1))  # Guangzhou


def test_unknown_network_type():
    with pytest.raises(CorridorGeoError, match="unknown network type 'boat'"):
        load_network(shared_data_path(PBF), network_type="boat")


def test_unknown_suffix_and_bad_bbox(tmp_path):
    bad = tmp_path / "roads.shp"
    bad.write_text("x")
    with pytest.raises(NetworkSourceError, match="unknown network file type"):
        load_network(bad)
    with pytest.raises(CorridorGeoError, match="bbox"):
        load_network(shared_data_path(PBF), bbox=(114.1, 22.5, 114.0, 22.6))


def test_garbage_osm_file(tmp_path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf at all")
    with pytest.raises(NetworkSourceError, match=r"bad\.osm\.pbf"):
        load_network(bad)


def test_graphml_source_roundtrip(drive_pbf, tmp_path):
    path = tmp_path / "futian.graphml"
    ox.save_graphml(drive_pbf.to_osmnx(), path)
    net = load_network(path)
    assert net.n_nodes == drive_pbf.n_nodes
    assert net.n_edges == drive_pbf.n_edges
    np.testing.assert_allclose(np.sort(net.length_m), np.sort(drive_pbf.length_m))


def test_progress_bar_only_when_asked_and_on_a_terminal(capsys, monkeypatch):
    import sys

    load_network(shared_data_path(LONGGANG), cache=False)
    assert "ways" not in capsys.readouterr().err
    monkeypatch.setattr(settings, "progress", True)
    load_network(shared_data_path(LONGGANG), cache=False)
    assert capsys.readouterr().err == ""  # captured stderr is no terminal: no bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    load_network(shared_data_path(LONGGANG), cache=False)
    assert "ways" in capsys.readouterr().err


def test_cli_network_build_and_info(tmp_path):
    import json

    from click.testing import CliRunner

    from corridor_geo.cli import main

    runner = CliRunner()
    out = tmp_path / "net"
    res = runner.invoke(main, ["-q", "network", "build", str(shared_data_path(LONGGANG)),
                               "--out", str(out)])
    assert res.exit_code == 0, res.output
    info = json.loads(runner.invoke(main, ["network", "info", str(out)]).output)
    assert info["mode"] == "drive"
    assert info["n_nodes"] == json.loads(res.output)["n_nodes"] > 100
    # road classes counted from the categorical's codes = a plain count of the strings
    from collections import Counter

    from corridor_geo.cache import read_network

    want = Counter(str(h) for h in read_network(out).highway)
    assert info["highway"] == json.loads(res.output)["highway"] == dict(want)
    res = runner.invoke(main, ["network", "build", str(tmp_path / "none.osm.pbf")])
    assert res.exit_code == 2
    assert "not found" in res.output


def test_disk_backed_node_index_gives_same_network(drive_pbf, monkeypatch):
    # big files (> 64 MB, e.g. a Geofabrik province) keep node locations on disk
    from corridor_geo import _osm

    monkeypatch.setattr(_osm, "_FILE_INDEX_ABOVE", 0)
    net = load_network(shared_data_path(PBF), cache=False)
    np.testing.assert_array_equal(net.osmid, drive_pbf.osmid)
    np.testing.assert_array_equal(net.length_m, drive_pbf.length_m)
