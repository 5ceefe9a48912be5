"""OSM files with bad node coordinates or ids: one clear error, never a wrong network.

libosmium reads ``lat="1e300"`` as 0 (a 10,000 km road), takes ``lat="95"`` for a node
missing from the file ("holds no drive ways") and stops on ``lat="nan"`` or
``id="abc"`` with an exception of its own. Each must be refused with one error naming
the file, the node and what was expected.
"""

from __future__ import annotations

import bz2
import gzip
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridor_geo.cli import main
from corridor_geo.errors import CorridorGeoError, DataValidationError
from corridor_geo.graph import load_network
from corridor_geo.network import haversine_m

# three nodes on one primary road; node 2 (line 4) is the one made bad
OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="22.90" lon="113.90"/>
  <node id="{id2}" lat="{lat2}" lon="{lon2}"/>
  <node id="3" lat="22.92" lon="113.92"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/></way>
</osm>
"""


def _osm(tmp_path: Path, *, id2: str = "2", lat2: str = "22.91", lon2: str = "113.91",
         name: str = "map.osm", prolog: str = "") -> Path:
    text = OSM.format(id2=id2, lat2=lat2, lon2=lon2)
    if prolog:
        text = text.replace("<osm ", prolog + "\n<osm ", 1)
    p = tmp_path / name
    if name.endswith(".gz"):
        p.write_bytes(gzip.compress(text.encode()))
    elif name.endswith(".bz2"):
        p.write_bytes(bz2.compress(text.encode()))
    else:
        p.write_text(text, encoding="utf-8")
    return p


@contextmanager
def _no_hang(seconds: int = 60) -> Iterator[None]:
    def alarm(*_: object) -> None:
        raise TimeoutError("hung on a special file")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize(("attrs", "message"), [
    ({"lat2": "nan"}, r"line 4, node 2: lat 'nan' is not a decimal number; expected "
                      r"decimal degrees in \[-90, 90\]"),
    ({"lat2": "abc"}, r"line 4, node 2: lat 'abc' is not a decimal number"),
    ({"lon2": "inf"}, r"line 4, node 2: lon 'inf' is not a decimal number; expected decimal "
                      r"degrees in \[-180, 180\]"),
    # libosmium reads 1e300 as 0: a road from 22.9 N to the equator and back
    ({"lat2": "1e300"}, r"line 4, node 2: lat '1e300' is out of range; expected decimal "
                        r"degrees in \[-90, 90\]"),
    # libosmium takes 95 for a node missing from the file: "holds no drive ways"
    ({"lat2": "95"}, r"line 4, node 2: lat '95' is out of range"),
    ({"lon2": "-180.5"}, r"line 4, node 2: lon '-180.5' is out of range"),
    ({"id2": "abc"}, r"line 4, node abc: id 'abc': illegal id; expected an integer OSM id"),
])
def test_bad_node_is_refused_naming_file_line_and_node(tmp_path, attrs, message):
    p = _osm(tmp_path, **attrs)
    with pytest.raises(DataValidationError, match=message) as info:
        load_network(p, cache=False)
    assert str(info.value).startswith(f"{p}: ")


@pytest.mark.parametrize("name", ["map.osm.gz", "map.osm.bz2"])
def test_compressed_xml_is_checked_too(tmp_path, name):
    p = _osm(tmp_path, lat2="1e300", name=name)
    with pytest.raises(DataValidationError, match=r"node 2: lat '1e300' is out of range"):
        load_network(p, cache=False)


def test_cli_bad_osm_node_exits_2_with_one_line(tmp_path):
    for attrs in ({"lat2": "nan"}, {"id2": "abc"}, {"lat2": "1e300"}):
        p = _osm(tmp_path, **attrs)
        res = CliRunner().invoke(main, ["--quiet", "network", "build", str(p)])
        assert res.exit_code == 2, (attrs, res.output)
        assert res.stderr.count("\n") == 1, res.stderr
        assert res.stderr.startswith(f"corridor-geo: error: {p}: line 4, node "), res.stderr
        assert "internal error" not in res.stderr


def test_good_coordinates_in_any_decimal_form_still_build(tmp_path):
    # an exponent (as Python's str() writes a coordinate near 0) and a bare fraction
    p = _osm(tmp_path, lat2="2.291E1", lon2="113.91000")
    net = load_network(p, cache=False)
    vertices = set(zip(net.geom_lon.round(7).tolist(), net.geom_lat.round(7).tolist(),
                       strict=True))
    assert vertices == {(113.9, 22.9), (113.91, 22.91), (113.92, 22.92)}
    # the way's length is that of the three points as written (truth: haversine)
    want = float(haversine_m(113.90, 22.90, 113.91, 22.91)
                 + haversine_m(113.91, 22.91, 113.92, 22.92))
    assert float(net.length_m.sum()) == pytest.approx(2 * want, rel=1e-6)


def test_pbf_node_outside_wgs84_is_refused_naming_it(tmp_path):
    osmium = pytest.importorskip("osmium")
    p = tmp_path / "bad.osm.pbf"
    w = osmium.SimpleWriter(str(p))
    w.add_node(osmium.osm.mutable.Node(id=1, location=(113.90, 22.90)))
    w.add_node(osmium.osm.mutable.Node(id=2, location=(113.91, 95.0)))
    w.add_node(osmium.osm.mutable.Node(id=3, location=(113.92, 22.92)))
    w.add_way(osmium.osm.mutable.Way(id=10, nodes=[1, 2, 3], tags={"highway": "primary"}))
    w.close()
    with pytest.raises(DataValidationError,
                       match=r"node 2 \(of way 10\) has lon 113\.91, lat 95\.0; expected WGS84"):
        load_network(p, cache=False)


def test_special_osm_file_is_refused_without_hanging(tmp_path):
    from corridor_geo import _osm

    fifo = tmp_path / "pipe.osm"
    os.mkfifo(fifo)
    with _no_hang(), pytest.raises(DataValidationError, match="is a FIFO"):
        _osm.read_osm_file(fifo, network_type="drive")


def test_xml_check_loads_nothing_external(tmp_path):
    # an external DTD or parameter entity naming a FIFO would hang a reader that opened it
    fifo = tmp_path / "pipe.dtd"
    os.mkfifo(fifo)
    p = _osm(tmp_path, prolog=f'<!DOCTYPE osm SYSTEM "file://{fifo}">')
    with _no_hang():
        assert load_network(p, cache=False).n_nodes == 2  # the two ends of the road
    p = _osm(tmp_path, name="pe.osm",
             prolog=f'<!DOCTYPE osm [<!ENTITY % p SYSTEM "file://{fifo}"> %p;]>')
    with _no_hang(), pytest.raises(CorridorGeoError, match="XML entities are not supported"):
        load_network(p, cache=False)
