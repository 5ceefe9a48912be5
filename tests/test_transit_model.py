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


def test_same_place_is_a_zero_trip_in_every_mode(bundled):
    """A destination at the origin's coordinates (another id) costs nothing, as for drive.

    The bundled Longhua district point is the Shenzhen North station point; a
    ``(lon, lat)`` destination at Guangzhou South is that station's own point. Before,
    transit said "no rail connection" and park and ride drove to another station and
    rode back (65.7 and 49.4 min).
    """
    corridor, _, mm = bundled
    gzs = corridor.stations.set_index("id").geometry["st_gz_south"]
    for o, d in (("st_sz_north", "dist_sz_longhua"), ("st_gz_south", (gzs.x, gzs.y))):
        for mode in ("drive", *TRANSIT_MODES, "best"):
            cell = travel_time_matrix(corridor, [o], [d], mode=mode, network=mm).iloc[0]
            assert cell.minutes == 0.0, (o, d, mode, cell.minutes)
    # a metre or more apart is a trip
    far = travel_time_matrix(corridor, ["st_gz_south"], [(gzs.x + 0.02, gzs.y)],
                             mode="transit", network=mm).iloc[0]
    assert far.minutes > 0.0


@pytest.mark.parametrize("origin", ["st_gz_south", "st_dongguan_west", "st_sz_north"])
def test_transit_catchment_holds_every_station_the_matrix_reaches(bundled, origin):
    """Catchment and matrix, same origin and mode: a station reached within a band lies in it.

    The matrix (the peer) charges a trip to a station only up to its exit; the catchment
    must place the station at that time too, plus at most the walk from the station to
    the centre of its grid cell. Before, the catchment reached a station only through its
    nearest walk node and the walk back (35 of 70 such stations missing from
    Guangzhou South's bands).
    """
    corridor, walk, mm = bundled
    bands = [30, 45, 60, 75, 90]
    stations = corridor.stations[corridor.stations["kind"] == "station"].set_index("id")
    m = travel_time_matrix(corridor, [origin], list(stations.index), mode="transit",
                           network=mm).set_index("to_id")
    cat = catchments([origin], mode="transit", bands=bands, corridor=corridor, network=walk,
                     multimodal=mm)
    # the walk from the station to the centre of its cell
    slack_min = _cell_size(walk) * np.sqrt(0.5) / (4.8 / 3.6) / 60.0 + 0.05
    checked = 0
    for b, geom in zip(cat["band_min"], cat.geometry, strict=True):
        inside = m.index[m["minutes"] <= b - slack_min]
        for sid in inside:
            p = stations.geometry[sid]
            if not corridor.polygon.contains(p):
                continue  # the map is clipped to the corridor's land
            checked += 1
            assert geom.buffer(1e-7).contains(p), (origin, b, sid, m.at[sid, "minutes"])
    assert checked >= 20


def _cell_size(net):
    from corridor_geo.catchments import DEFAULT_CELL_SIZE_M, SCGRAPH_CELL_SIZE_M

    src = str(getattr(net, "meta", {}).get("source", ""))
    return SCGRAPH_CELL_SIZE_M if src.startswith("scgraph") else DEFAULT_CELL_SIZE_M["transit"]


def test_transit_node_times_never_exceed_the_matrix(bundled):
    """A walk node's catchment time is at most the matrix's, and walks no farther from a station.

    The matrix walks a straight line (× circuity) from a station farther than the walk
    snap distance from the network; the catchment used to walk from such a station to its
    nearest node first and on over the network (Guangzhou South → a node by Humen: 57.1
    min in the matrix, 109.8 in the catchment).
    """
    from corridor_geo.transit import transit_node_times

    corridor, walk, mm = bundled
    origin = corridor.stations.set_index("id").geometry["st_gz_south"]
    t = transit_node_times(mm, walk, [origin.x], [origin.y], mode="transit")[0]
    # nodes a walk from a station away (the others are reached on foot from the origin
    # only, which the matrix's transit mode does not offer)
    st = corridor.stations[corridor.stations["kind"] == "station"]
    near = np.zeros(walk.n_nodes, bool)
    for p in st.geometry:
        near |= np.hypot((walk.lon - p.x) * 102.6, (walk.lat - p.y) * 110.8) < 1.8  # km
    rng = np.random.default_rng(20261203)
    pool = np.flatnonzero(near & np.isfinite(t))
    nodes = rng.choice(pool, size=min(150, pool.size), replace=False)
    dest = [(float(walk.lon[n]), float(walk.lat[n])) for n in nodes]
    m = travel_time_matrix(corridor, [(origin.x, origin.y)], dest, mode="transit",
                           network=mm)
    fin = np.isfinite(m["minutes"].to_numpy())
    assert fin.sum() >= 50
    over = t[nodes][fin] / 60.0 - m["minutes"].to_numpy()[fin]
    assert over.max() <= 1e-6, float(over.max())
    # and no farther from a station than the matrix walks: a node the train brings
    # closer than walking all the way lies within max_walk_km of a station
    from pyproj import Geod

    from corridor_geo.routing import shortest_times, snap_points

    o_node = int(snap_points(walk, [origin.x], [origin.y], max_distance_m=np.inf).node[0])
    on_foot = shortest_times(walk, [o_node])[0]
    by_train = np.flatnonzero(t < on_foot - 1e-6)
    assert by_train.size >= 100
    geod = Geod(ellps="WGS84")
    nearest = np.full(by_train.size, np.inf)
    for p in st.geometry:
        d = geod.inv(np.full(by_train.size, p.x), np.full(by_train.size, p.y),
                     walk.lon[by_train], walk.lat[by_train])[2]
        nearest = np.minimum(nearest, d)
    assert nearest.max() <= mm.params.max_walk_km * 1000.0 + 1.0, float(nearest.max())


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
