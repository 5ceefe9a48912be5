"""The online path end to end against a stand-in Overpass server on 127.0.0.1."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _overpass_stub import OverpassStub
from shapely.geometry import box

from corridor_geo import settings
from corridor_geo.errors import NetworkSourceError
from corridor_geo.graph import load_network
from corridor_geo.routing import travel_times
from corridor_geo.testing import shared_data_path

LONGGANG = "osm/shenzhen_longgang_center_2019-11.osm"

pytestmark = [pytest.mark.network, pytest.mark.shared]


@pytest.fixture
def stub(monkeypatch):
    with OverpassStub(shared_data_path(LONGGANG)) as s:
        monkeypatch.setattr(settings, "overpass_url", s.url)
        yield s


def test_overpass_fetch_build_cache_reload(stub):
    area = box(114.15, 22.64, 114.27, 22.73)  # encloses every node of the extract
    net = load_network("overpass", polygon=area, network_type="drive")
    assert len(stub.queries) == 1
    q = stub.queries[0]
    assert '["highway"]' in q
    assert "poly:" in q
    assert '"motorcar"!~"no"' in q
    assert net.meta["source"] == f"overpass:{stub.url}"
    assert net.n_nodes > 100
    # same ways as the offline file reader: equal shortest-path lengths between common nodes
    ref = load_network(shared_data_path(LONGGANG), polygon=area, network_type="drive")
    common = np.intersect1d(net.osmid, ref.osmid)
    assert len(common) >= 0.9 * net.n_nodes
    o_net, o_ref = net.node_index(common[:3]), ref.node_index(common[:3])
    a = travel_times(net, o_net, weight="length_m", on_island="ignore")[:, net.node_index(common)]
    b = travel_times(ref, o_ref, weight="length_m", on_island="ignore")[:, ref.node_index(common)]
    np.testing.assert_allclose(a, b, rtol=1e-9)
    # reload comes from corridor_geo's cache: no new request, identical arrays
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load_network("overpass", polygon=area, network_type="drive")
    assert len(stub.queries) == 1
    np.testing.assert_array_equal(again.travel_time_s, net.travel_time_s)
    np.testing.assert_array_equal(again.geom_lon, net.geom_lon)


def test_overpass_walk_and_empty_area(stub):
    walk = load_network("overpass", bbox=(114.15, 22.64, 114.27, 22.73), network_type="walk",
                        cache=False)
    assert not walk.oneway.any()
    with pytest.raises(NetworkSourceError, match=r"Overpass at http://127\.0\.0\.1"):
        load_network("overpass", bbox=(113.2, 23.0, 113.21, 23.01), cache=False)


def test_overpass_needs_area():
    with pytest.raises(NetworkSourceError, match="polygon= or bbox="):
        load_network("overpass")
