"""One transit model: named modes, shared access/egress legs, catchments ⊇ walking ones.

The property "a transit catchment always contains the walking catchment of the same
origin and band" is checked with hypothesis over origins and bands, on the bundled
default network and on a real OSM extract (``../shared/data``, skipped when absent).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from corridor_geo.catchments import catchments
from corridor_geo.testing import shared_data_path
from corridor_geo.transit import LEG_MODES, TRANSIT_MODES, MultimodalNetwork, travel_time_matrix

_TO_M = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)


def _metric(g):
    return shapely.transform(g, lambda c: np.column_stack(_TO_M.transform(c[:, 0], c[:, 1])))


def _assert_contains(walk, transit, *, what):
    """Every band of *transit* covers the same band of *walk* (same origin)."""
    assert list(walk["band_min"]) == list(transit["band_min"])
    for (b, gw, aw), (_, gt, at) in zip(
            walk[["band_min", "geometry", "area_km2"]].itertuples(index=False),
            transit[["band_min", "geometry", "area_km2"]].itertuples(index=False), strict=True):
        # the same grid cells, traced the same way: what the walk reaches and transit does
        # not is empty up to floating-point noise of the coordinate round trip
        outside = _metric(gw).difference(_metric(gt)).area if not gw.is_empty else 0.0
        assert outside <= 1.0, (what, b, outside)
        assert at >= aw - 1e-9, (what, b, aw, at)


# ----------------------------------------------------------------------------- bundled


@pytest.fixture(scope="module")
def bundled():
    from corridor_geo.corridor import load_corridor
    from corridor_geo.graph import load_network

    corridor = load_corridor()
    walk = load_network("default", network_type="walk")
    mm = MultimodalNetwork.build(corridor, walk=walk)
    return corridor, walk, mm


_ORIGINS = ["core_sz_hitech_zone", "core_dg_songshan_lake", "core_gz_pazhou",
            "core_dg_binhaiwan", "st_gz_south", "st_sz_north", "st_humen", "st_futian"]
_bands = st.lists(st.integers(min_value=5, max_value=90), min_size=1, max_size=3,
                  unique=True).map(sorted)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(origin=st.sampled_from(_ORIGINS), dx=st.floats(-0.01, 0.01), dy=st.floats(-0.01, 0.01),
       bands=_bands, as_point=st.booleans())
# the case of the issue: Hi-tech Zone, 30 min (8.25 km² by transit against 13.79 on foot)
@example(origin="core_sz_hitech_zone", dx=0.0, dy=0.0, bands=[30], as_point=False)
def test_transit_catchment_contains_walking_one_bundled(bundled, origin, dx, dy, bands,
                                                        as_point):
    corridor, walk, mm = bundled
    o = origin
    if as_point:  # a point up to ~1 km off a place (mostly off the sparse default network)
        pt = corridor.places().set_index("id").geometry[origin].representative_point()
        o = (round(pt.x + dx, 6), round(pt.y + dy, 6))
    kw = {"bands": bands, "corridor": corridor, "network": walk}
    w = catchments([o], mode="walk", **kw)
    for mode in TRANSIT_MODES:
        t = catchments([o], mode=mode, multimodal=mm, **kw)
        _assert_contains(w, t, what=(o, mode))


def test_station_origin_reaches_farther_by_transit(bundled):
    """At Guangzhou South the XRL carries the catchment to Shenzhen: transit ⊋ walk at 60 min."""
    corridor, walk, mm = bundled
    kw = {"bands": [60], "corridor": corridor, "network": walk}
    w = catchments(["st_gz_south"], mode="walk", **kw)
    t = catchments(["st_gz_south"], mode="transit", multimodal=mm, **kw)
    _assert_contains(w, t, what="st_gz_south")
    assert t["area_km2"].iloc[0] > 1.5 * w["area_km2"].iloc[0]
    far = shapely.Point(114.03, 22.61)  # Shenzhen North, 100 km away
    assert t.geometry.iloc[0].distance(far) < 0.02
    assert w.geometry.iloc[0].distance(far) > 0.5


def test_transit_walks_and_park_and_ride_drives(bundled):
    """'transit' has no car leg at either end; 'park_and_ride' drives in and walks out."""
    corridor, _, mm = bundled
    ids = [*list(corridor.platforms["id"]), "st_gz_south", "st_sz_north"]
    allowed = {"transit": ({"walk_network", "walk_fallback", "at_station"},) * 2,
               "park_and_ride": ({"drive_network", "drive_fallback", "at_station"},
                                 {"walk_network", "walk_fallback", "at_station"})}
    assert set(LEG_MODES) == set(allowed) == set(TRANSIT_MODES)
    for mode, (acc, egr) in allowed.items():
        df = travel_time_matrix(corridor, ids, ids, mode=mode, network=mm)
        ok = df[np.isfinite(df["minutes"]) & (df["from_id"] != df["to_id"])]
        assert len(ok) > 0
        assert set(ok["mode"]) == {mode}
        assert set(ok["access_method"]) <= acc, mode
        assert set(ok["egress_method"]) <= egr, mode
        assert (ok["board_station"] != "").all()
        assert (ok["alight_station"] != "").all()
    # the previous session's case: Tianhe Smart City → Shenzhen North was a 77 min drive
    # to Humen and a 17 min train; by transit it now walks to a station
    tr = travel_time_matrix(corridor, ["node_gz_tianhe_smart_city"], ["st_sz_north"],
                            mode="transit", network=mm).iloc[0]
    assert tr.access_method.startswith("walk")
    assert tr.in_vehicle_min > tr.access_min


def test_best_is_the_fastest_named_mode(bundled):
    corridor, _, mm = bundled
    ids = ["core_dg_binhaiwan", "node_gz_tianhe_smart_city", "st_sz_north"]
    best = travel_time_matrix(corridor, ids, ids, mode="best", network=mm)
    each = [travel_time_matrix(corridor, ids, ids, mode=m, network=mm).minutes.to_numpy()
            for m in ("drive", *TRANSIT_MODES)]
    np.testing.assert_array_equal(best.minutes.to_numpy(), np.min(each, axis=0))
    assert set(best["mode"]) <= {"drive", *TRANSIT_MODES}


# ----------------------------------------------------------------------------- real extract


@pytest.fixture(scope="module")
def hitech_walk():
    from corridor_geo.corridor import load_corridor
    from corridor_geo.graph import load_network

    net = load_network(shared_data_path("osm/shenzhen_nanshan_hitech_full_2021-03.osm"),
                       network_type="walk")
    corridor = load_corridor()
    return corridor, net, MultimodalNetwork.build(corridor, walk=net)


@pytest.mark.shared
@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(qx=st.floats(0.2, 0.8), qy=st.floats(0.2, 0.8), bands=_bands)
def test_transit_catchment_contains_walking_one_real_extract(hitech_walk, qx, qy, bands):
    corridor, net, mm = hitech_walk
    o = (round(float(np.quantile(net.lon, qx)), 6), round(float(np.quantile(net.lat, qy)), 6))
    kw = {"bands": bands, "corridor": corridor, "network": net}
    w = catchments([o], mode="walk", **kw)
    for mode in TRANSIT_MODES:
        t = catchments([o], mode=mode, multimodal=mm, **kw)
        _assert_contains(w, t, what=(o, mode))
