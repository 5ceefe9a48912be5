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


# ------------------------------------------------------------------ validation (issue 13)

def _graphml(tmp_path, *, node_xy=((114.0, 22.5), (114.01, 22.5)), travel_time="74.0",
             name="g.graphml"):
    import networkx as nx
    import osmnx as ox

    g = nx.MultiDiGraph(crs="epsg:4326")
    for i, (x, y) in enumerate(node_xy, start=1):
        g.add_node(i, x=x, y=y)
    attrs = {"length": 1028.0, "highway": "primary", "osmid": 7}
    if travel_time is not None:
        attrs["travel_time"] = travel_time
    g.add_edge(1, 2, **attrs)
    g.add_edge(2, 1, **attrs)
    p = tmp_path / name
    ox.save_graphml(g, p)
    return p


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"travel_time": "-74.0"}, r"edge 0 \(node 1 -> node 2\) has travel time -74\.0"),
    ({"travel_time": "inf"}, "has travel time inf"),
    ({"node_xy": ((114.0, float("nan")), (114.01, 22.5))}, "node 1 has latitude nan"),
    ({"node_xy": ((114.0, 200.0), (114.01, 22.5))}, r"node 1 has latitude 200\.0"),
    ({"node_xy": ((514.0, 22.5), (114.01, 22.5))}, r"node 1 has longitude 514\.0"),
])
def test_graphml_with_bad_values_is_refused_naming_file_and_element(tmp_path, kwargs, message):
    from click.testing import CliRunner

    from corridor_geo.cli import main
    from corridor_geo.errors import DataValidationError


    p = _graphml(tmp_path, **kwargs)
    with pytest.raises(DataValidationError, match=message) as info:
        load_network(p, cache=False)
    assert str(p) in str(info.value)
    res = CliRunner().invoke(main, ["--quiet", "network", "build", str(p)])
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--bbox", "nan", "22", "114", "23"], "Invalid value for '--bbox': nan is not a finite"),
    (["--bbox", "113", "22", "inf", "23"], "Invalid value for '--bbox': inf is not a finite"),
    (["--bbox", "114", "22", "113", "23"], "Invalid value for '--bbox': 114 22 113 23 is not "
                                           "WEST SOUTH EAST NORTH"),
    (["--as-of", "1700"], "Invalid value for '--as-of': 1700 is not in the range 1800<=x<=2100"),
])
def test_cli_build_bad_numbers_name_the_option(tmp_path, args, message):
    """``network build`` named the API parameters (``bbox (nan, ...) is not``, ``as_of
    must be a year``), not the options; the check now runs before anything loads."""
    from click.testing import CliRunner

    from corridor_geo.cli import main

    res = CliRunner().invoke(main, ["--quiet", "network", "build", *args,
                                    "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert res.stderr.startswith("corridor-geo: error: ")  # one line, as every user error
    assert res.stderr.count("\n") == 1
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_cli_build_help_shows_no_range_for_bbox():
    """``--bbox`` (finite numbers, no bounds of their own) read "[x<=None]" in --help."""
    from click.testing import CliRunner

    from corridor_geo.cli import main

    res = CliRunner().invoke(main, ["network", "build", "--help"])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if "--bbox" in ln)
    assert "None" not in line, line
    assert "[x" not in line, line
    assert "Clip box in WGS84 degrees." in line


@pytest.mark.parametrize("speed", [-40, 0, float("nan"), float("inf"), "fast", True])
def test_bad_speeds_are_refused_before_routing(speed):


    with pytest.raises(CorridorGeoError, match=r"speeds\['arterial'\]: must be a positive"):
        load_network("default", speeds={"arterial": speed}, cache=False)


def test_negative_weights_never_reach_routing():
    with pytest.raises(CorridorGeoError, match=r"travel time -1\.0"):
        Network.from_edges(osmid=[1, 2], lon=[114.0, 114.01], lat=[22.5, 22.5], source=[0],
                           target=[1], length_m=[10.0], travel_time_s=[-1.0],
                           highway=["primary"], name=[""])
    net = Network.from_edges(osmid=[1, 2], lon=[114.0, 114.01], lat=[22.5, 22.5], source=[0],
                             target=[1], length_m=[10.0], travel_time_s=[1.0],
                             highway=["primary"], name=[""])
    with pytest.raises(CorridorGeoError, match="non-negative"):
        net.with_travel_times([-5.0])
    assert net.validate() is net


# ------------------------------------------------------------------ reading a network folder

@pytest.fixture
def tiny():
    """A two-node network built in memory (no shared data needed)."""
    return Network.from_edges(osmid=[1, 2], lon=[114.0, 114.01], lat=[22.5, 22.5],
                              source=[0, 1], target=[1, 0], length_m=[1028.0, 1028.0],
                              travel_time_s=[74.0, 74.0], highway=["primary"] * 2,
                              name=["", ""])


def _saved(tmp_path, net, name="net"):
    out = tmp_path / name
    net.save(out)
    return out


def _cli_one_line_exit_2(args):
    """Run the CLI under an alarm (a FIFO would block it); return its one-line stderr."""
    import signal

    from click.testing import CliRunner

    from corridor_geo.cli import main

    def alarm(*_: object) -> None:
        raise TimeoutError("the CLI hung on a special file")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(60)
    try:
        res = CliRunner().invoke(main, ["--quiet", *args])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert res.exit_code == 2, res.output
    assert res.stderr.count("\n") == 1, res.stderr
    assert res.stderr.startswith("corridor-geo: error: "), res.stderr
    return res.stderr


@pytest.mark.parametrize(("name", "make", "kind"), [
    ("meta.json", "fifo", "is a FIFO"),
    ("arrays.npz", "fifo", "is a FIFO"),
    ("meta.json", "/dev/zero", "is a device"),
    ("arrays.npz", "/dev/zero", "is a device"),
])
def test_network_info_refuses_special_files_without_hanging(tmp_path, tiny, name, make,
                                                            kind):
    import os

    out = _saved(tmp_path, tiny)
    (out / name).unlink()
    if make == "fifo":
        os.mkfifo(out / name)
    else:
        (out / name).symlink_to(make)
    err = _cli_one_line_exit_2(["network", "info", str(out)])
    assert f"{out / name}: {kind}" in err
    assert "expected a regular file" in err


def _rewrite(out, *, meta=None, arrays=None, compressed=False):
    """Rewrite a saved network with some meta.json values or arrays replaced (hash fixed)."""
    import hashlib
    import json

    with np.load(out / "arrays.npz") as z:
        data = {k: z[k] for k in z.files}
    data.update(arrays or {})
    with (out / "arrays.npz").open("wb") as fh:
        (np.savez_compressed if compressed else np.savez)(fh, **data)
    doc = json.loads((out / "meta.json").read_text())
    doc.update(meta or {})
    doc["arrays_sha256"] = hashlib.sha256((out / "arrays.npz").read_bytes()).hexdigest()
    (out / "meta.json").write_text(json.dumps(doc))


@pytest.mark.parametrize(("change", "message"), [
    ({"meta": {"n_nodes": "many"}}, r"meta\.json: n_nodes is 'many'; expected a count"),
    ({"meta": {"meta": "text"}}, r"meta\.json: 'meta' is str; expected an object"),
    ({"meta": {"mode": "boat"}}, r"meta\.json: mode is 'boat'; expected one of drive"),
    ({"arrays": {"lon": np.array([["x"]])}},
     r"array lon has shape \(1, 1\) and type <U1; expected a one-dimensional float array"),
    # a compressed member could inflate far beyond the file's size
    ({"compressed": True}, r"member osmid\.npy is compressed"),
])
def test_tampered_network_folder_is_one_cache_error(tmp_path, tiny, change, message):
    from corridor_geo.errors import CacheError
    from corridor_geo.network import read_network

    out = _saved(tmp_path, tiny)
    _rewrite(out, **change)
    with pytest.raises(CacheError, match=message):
        read_network(out)
    assert "network folder" in _cli_one_line_exit_2(["network", "info", str(out)])


def test_cached_entry_with_a_fifo_is_rebuilt_not_waited_on(tmp_path, tiny):
    import os
    import signal

    from corridor_geo.cache import CacheWarning, cache_key, load_or_build, network_cache_dir

    parts = {"network_type": "drive", "test": str(tmp_path)}
    entry = network_cache_dir() / f"drive-{cache_key(parts)}"
    entry.mkdir()
    os.mkfifo(entry / "meta.json")

    def alarm(*_: object) -> None:
        raise TimeoutError("hung on the cached FIFO")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(60)
    try:
        with pytest.warns(CacheWarning, match=r"meta\.json: is a FIFO"):
            again = load_or_build(parts, lambda: tiny)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert again.n_edges == tiny.n_edges
    assert (entry / "meta.json").is_file()  # the entry was rewritten whole
