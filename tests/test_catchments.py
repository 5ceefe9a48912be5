"""Tests of corridor_geo.catchments against independent truth.

Truth used here: shortest-path times from networkx on the same graph
(``Network.to_osmnx``), hand-built synthetic geography (a river with one bridge),
hand-computed population sums, and a fine-grid reference run.
"""

from __future__ import annotations

import importlib
import itertools
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pyproj import Transformer
from scipy.spatial import cKDTree

from corridor_geo.catchments import NO_ACCESS_HIGHWAYS, catchment_limits, catchments
from corridor_geo.errors import ArgumentError, CorridorGeoError, DataValidationError
from corridor_geo.network import Network
from corridor_geo.routing import snap_points
from corridor_geo.testing import shared_data_path

TO_M = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)
TO_LL = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)
X0, Y0 = TO_M.transform(114.0, 22.6)  # synthetic town placed near Shenzhen
SPEED = 30 / 3.6  # m/s on the synthetic streets
WALK = 4.8 / 3.6
RIVER = (2000.0, 2400.0)  # the river runs north-south between these x (metres)


def _ll(x, y):
    lon, lat = TO_LL.transform(np.asarray(x, float) + X0, np.asarray(y, float) + Y0)
    return lon, lat


def _metric_geom(g_ll):
    return shapely.transform(g_ll, lambda c: np.column_stack(TO_M.transform(c[:, 0], c[:, 1]))
                             - [X0, Y0])


def _ll_geom(g_local):
    return shapely.transform(shapely.segmentize(g_local, 50.0),
                             lambda c: np.column_stack(_ll(c[:, 0], c[:, 1])))


def river_town(*, bridge: bool) -> tuple[Network, shapely.Geometry, shapely.Geometry]:
    """Street lattice (200 m) on both banks of a 400 m river; one bridge at y = 1000 m.

    Returns the network, the land (WGS84) and the east bank (local metres).
    """
    xs = np.r_[np.arange(0, 2001, 200), np.arange(2400, 4401, 200)]
    ys = np.arange(0, 3001, 200)
    gx, gy = np.meshgrid(xs, ys)
    px, py = gx.ravel().astype(float), gy.ravel().astype(float)
    idx = {(x, y): i for i, (x, y) in enumerate(zip(px, py, strict=True))}
    src, dst = [], []
    for (x, y), i in idx.items():
        for nb in ((x + 200, y), (x, y + 200)):
            if nb in idx:
                src += [i, idx[nb]]
                dst += [idx[nb], i]
    if bridge:
        a, b = idx[(2000.0, 1000.0)], idx[(2400.0, 1000.0)]
        src += [a, b]
        dst += [b, a]
    src, dst = np.array(src), np.array(dst)
    length = np.hypot(px[src] - px[dst], py[src] - py[dst])
    lon, lat = _ll(px, py)
    net = Network.from_edges(osmid=np.arange(px.size) + 1, lon=lon, lat=lat, source=src,
                             target=dst, length_m=length, travel_time_s=length / SPEED,
                             highway=["residential"] * src.size, name=[""] * src.size)
    west = shapely.box(-100, -100, RIVER[0], 3100)
    east = shapely.box(RIVER[1], -100, 4500, 3100)
    return net, _ll_geom(shapely.union(west, east)), east


def _origin(x, y):
    lon, lat = _ll(x, y)
    return (float(lon), float(lat))


def _nx_times(net: Network, x: float, y: float) -> np.ndarray:
    """Node times from networkx (independent of corridor_geo.routing)."""
    graph = net.to_osmnx()
    node = int(np.argmin(np.hypot(net.x - (x + X0), net.y - (y + Y0))))
    d = nx.single_source_dijkstra_path_length(graph, int(net.osmid[node]), weight="travel_time")
    pos = {int(k): i for i, k in enumerate(net.osmid)}
    t = np.full(net.n_nodes, np.inf)
    for k, v in d.items():
        t[pos[k]] = v
    return t


def _access_points(net: Network, t: np.ndarray, step: float = 10.0):
    """Nodes plus points every *step* m along stoppable edges, with their times (metric)."""
    hw = np.asarray(net.highway).astype(str)
    ok = ~np.isin(hw, NO_ACCESS_HIGHWAYS) & np.isfinite(t[net.source])
    geoms = net.edges_gdf().geometry.to_crs(4547).values[ok]
    k = np.maximum(np.ceil(shapely.length(geoms) / step).astype(int), 1)
    frac = np.concatenate([np.arange(n + 1) / n for n in k])
    pts = shapely.line_interpolate_point(np.repeat(geoms, k + 1), frac, normalized=True)
    et = np.repeat(t[net.source][ok], k + 1) + frac * np.repeat(net.travel_time_s[ok], k + 1)
    return (np.vstack([np.column_stack([net.x, net.y]), shapely.get_coordinates(pts)]),
            np.concatenate([t, et]))


def _in(geom_ll, x, y) -> bool:
    return bool(_metric_geom(geom_ll).buffer(1e-6).covers(shapely.Point(x, y)))


# ----------------------------------------------------------------------------- river


@pytest.mark.parametrize("method", ["grid", "concave_hull", "buffer"])
def test_no_bridge_nothing_on_far_bank(method):
    net, land, east = river_town(bridge=False)
    # the far bank is only 450 m away: within the 500 m off-network leg if it could swim
    gdf = catchments([_origin(2000, 3000)], network=net, land=land, bands=(6, 30, 60),
                     method=method, cell_size_m=100)
    for g in gdf.geometry:
        assert _metric_geom(g).intersection(east).area == pytest.approx(0.0, abs=1e-3)
    # the grid covers the whole west bank (6.72 km²); the others less (lattice interior
    # for the hull, 25-50 m around streets for the buffers)
    assert gdf["area_km2"].iloc[-1] == pytest.approx(6.72, rel=1e-3) if method == "grid" \
        else gdf["area_km2"].iloc[-1] > 1.0


def test_far_bank_only_through_the_bridge():
    net, land, east = river_town(bridge=True)
    gdf = catchments([_origin(2000, 3000)], network=net, land=land, bands=(6, 30),
                     cell_size_m=100, max_off_network_m=500)
    b6, b30 = gdf.geometry
    # straight across: 450 m (5.6 min on foot) but 8.9 min by the bridge
    assert not _in(b6, 2450, 3000)
    assert _in(b30, 2450, 3000)
    # the part of band 6 on the east bank lies within the walking disks of the access
    # points (nodes and points along edges) on the bridge and the east bank, timed by
    # networkx, up to the cell's half diagonal
    t = _nx_times(net, 2000, 3000)
    axy, at = _access_points(net, t)
    on_east = (axy[:, 0] - X0 > RIVER[0] - 1) & (at <= 360)
    assert on_east.any()
    radius = np.minimum(500.0, (360 - at[on_east]) * WALK) + 100 * math.sqrt(2) / 2
    disks = shapely.union_all(shapely.buffer(shapely.points(axy[on_east] - [X0, Y0]), radius))
    part = _metric_geom(b6).intersection(east)
    assert part.area > 0.04e6
    assert part.difference(disks).area < 1.0
    # and nothing of it is near y = 3000, opposite the origin
    assert part.bounds[3] < 2000


def test_bands_nested_and_clipped_to_land():
    net, land, _ = river_town(bridge=True)
    for method in ("grid", "concave_hull", "buffer"):
        gdf = catchments([_origin(1000, 1000), _origin(3000, 2000)], network=net, land=land,
                         bands=(3, 6, 10, 20), method=method, cell_size_m=100)
        for _, grp in gdf.groupby("origin_id"):
            geoms = list(grp.sort_values("band_min").geometry)
            areas = list(grp.sort_values("band_min").area_km2)
            for small, big in itertools.pairwise(geoms):
                # nested up to floating-point slivers of the WGS84 round trip (< 1 m²)
                assert _metric_geom(small).difference(_metric_geom(big)).area < 1.0
            assert areas == sorted(areas)
            assert geoms[-1].difference(land.buffer(1e-9)).area == 0.0


def test_land_in_another_crs_is_converted_or_refused():
    """land in EPSG:4547 metres was used as degrees: every band came out 0 km² (or a
    GEOSException); a GeoSeries/GeoDataFrame of land raised AttributeError."""
    net, land, _ = river_town(bridge=True)
    kw = {"network": net, "bands": (3, 6), "cell_size_m": 100}
    want = catchments([_origin(1000, 1000)], land=land, **kw)
    assert (want.area_km2 > 0).all()
    metric = gpd.GeoSeries([land], crs=4326).to_crs(4547)
    with pytest.raises(CorridorGeoError, match=r"land must be in WGS84 lon/lat.*"
                                               r"to_crs\('EPSG:4326'\)"):
        catchments([_origin(1000, 1000)], land=metric.iloc[0], **kw)
    for frame in (metric, gpd.GeoDataFrame(geometry=metric)):
        got = catchments([_origin(1000, 1000)], land=frame, **kw)
        np.testing.assert_allclose(got.area_km2, want.area_km2, rtol=1e-6)
    with pytest.raises(ArgumentError, match="land has no CRS"):
        catchments([_origin(1000, 1000)], land=gpd.GeoSeries([land]), **kw)
    for bad, msg in ((shapely.Point(114.0, 22.5), "got Point"),
                     (shapely.Polygon(), "got an empty geometry"), ("land.gpkg", "got str")):
        with pytest.raises(CorridorGeoError, match=msg):
            catchments([_origin(1000, 1000)], land=bad, **kw)


def test_order_independent_and_independent_of_other_origins():
    net, land, _ = river_town(bridge=True)
    a, b, c = _origin(0, 0), _origin(3000, 2000), _origin(1200, 2400)
    kw = {"network": net, "land": land, "bands": (5, 10), "cell_size_m": 100}
    one = catchments([a, b, c], **kw)
    two = catchments([c, a, b, a], **kw)
    assert_geodataframe_equal(one, two)
    alone = catchments(b, **kw).reset_index(drop=True)
    assert_geodataframe_equal(one[one.origin_id == alone.origin_id[0]].reset_index(drop=True),
                              alone)


def test_columns_and_counts():
    net, land, _ = river_town(bridge=True)
    gdf = catchments([_origin(1000, 1000)], network=net, land=land, bands=(2, 4),
                     cell_size_m=100)
    assert list(gdf.columns) == [
        "origin_id", "origin_name_en", "origin_name_zh", "origin_snap_m", "mode", "band_min",
        "method", "area_km2", "platforms_reached", "n_platforms_reached", "n_nodes_reached",
        "geometry"]
    assert gdf.crs == "EPSG:4326"
    t = _nx_times(net, 1000, 1000)
    assert list(gdf.n_nodes_reached) == [int((t <= 120).sum()), int((t <= 240).sum())]
    area = gpd.GeoSeries(gdf.geometry, crs=4326).to_crs(4547).area / 1e6
    np.testing.assert_allclose(gdf.area_km2, area, rtol=1e-6)


def test_population_hand_computed():
    net, land, _ = river_town(bridge=False)
    local = np.array([
        shapely.box(-100, -100, 2000, 3100),  # the west bank exactly: fully inside
        shapely.box(2400, -100, 4500, 3100),  # the east bank: unreachable (no bridge)
        shapely.box(1000, 3000, 2000, 3200),  # half on land: 200 / 2 = 100
        shapely.box(0, 0, 500, 500),  # no count: ignored
    ])
    zones = gpd.GeoDataFrame(
        {"population": [1000.0, 500.0, 200.0, np.nan]},
        geometry=shapely.transform(shapely.segmentize(local, 50.0),
                                   lambda c: c + np.array([X0, Y0])),
        crs="EPSG:4547")
    gdf = catchments([_origin(1000, 1000)], network=net, land=land, bands=(60,),
                     cell_size_m=100, population=zones)
    # west bank fully reached (1000) + half of the third zone (100)
    assert gdf["population"].iloc[0] == pytest.approx(1100.0, rel=1e-4)


def test_bad_inputs():
    net, land, _ = river_town(bridge=True)
    o = _origin(1000, 1000)
    with pytest.raises(CorridorGeoError, match="mode"):
        catchments([o], network=net, land=land, mode="boat")
    with pytest.raises(CorridorGeoError, match="method"):
        catchments([o], network=net, land=land, method="convex")
    with pytest.raises(CorridorGeoError, match="bands"):
        catchments([o], network=net, land=land, bands=(15, -5))
    with pytest.raises(CorridorGeoError, match="cell_size_m"):
        catchments([o], network=net, land=land, cell_size_m=0)
    with pytest.raises(CorridorGeoError, match="does not match"):
        catchments([o], network=net, land=land, mode="walk")
    with pytest.raises(CorridorGeoError, match="lon/lat"):
        catchments([(500.0, 22.0)], network=net, land=land)
    zones = gpd.GeoDataFrame({"pop": [1.0]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    with pytest.raises(DataValidationError, match="population"):
        catchments([o], network=net, land=land, population=zones)


@pytest.mark.parametrize(("value", "expected"), [
    ("abc", "population count 'abc'; expected a number"),
    (np.inf, "population count 'inf'; expected a finite number"),
    (-3.0, "population count '-3.0'; expected a count ≥ 0"),
    (1e308, "population count '1e+308'; expected a count ≤ 1e+10"),
])
def test_population_counts_must_be_counts(value, expected):
    """A count that is not a finite, non-negative number is refused with its row.

    Before, "abc" became 0 without a word, and inf or 1e308 gave inf / an overflow in
    the band's population.
    """
    net, land, _ = river_town(bridge=True)
    zones = gpd.GeoDataFrame({"population": [1000.0, value, None]},
                             geometry=[shapely.box(113.9, 22.5, 114.0, 22.6)] * 3, crs=4326)
    with pytest.raises(DataValidationError, match="row 2") as info:
        catchments([_origin(1000, 1000)], network=net, land=land, population=zones)
    assert expected in str(info.value)
    zones["population"] = zones["population"].astype(object)
    zones.loc[1, "population"] = ""  # blank and null are missing counts: 0
    catchments([_origin(1000, 1000)], network=net, land=land, population=zones)


# ----------------------------------------------------------------------------- real network


@pytest.fixture(scope="module")
def futian_nanshan():
    graph = pytest.importorskip("corridor_geo.graph")
    path = shared_data_path("osm/shenzhen_futian_nanshan_drive_2024-10.osm.pbf")
    return graph.load_network(path, network_type="drive")


REAL_ORIGINS = [(114.0550, 22.5400), (113.9700, 22.5400)]  # Futian CBD, Nanshan centre
REAL_LAND = shapely.box(113.90, 22.45, 114.15, 22.65)  # no water mask: tests the node logic


@pytest.mark.shared
def test_real_network_nodes_inside_bands(futian_nanshan):
    net = futian_nanshan
    bands = (10, 15, 20)
    cell = 250.0
    gdf = catchments(REAL_ORIGINS, network=net, land=REAL_LAND, bands=bands, cell_size_m=cell)
    allowance = cell * math.sqrt(2) / 2 / WALK  # centre-to-corner walk, seconds
    graph = net.to_osmnx()
    pos = {int(k): i for i, k in enumerate(net.osmid)}
    xy = np.column_stack([net.x, net.y])
    for (lon, lat), (_, grp) in zip(sorted(REAL_ORIGINS),
                                     gdf.groupby("origin_id", sort=True), strict=True):
        # the origin node as snapped by corridor_geo (largest strongly connected
        # component); the times themselves come from networkx
        src = int(snap_points(net, [lon], [lat], max_distance_m=2000).node[0])
        d = nx.single_source_dijkstra_path_length(graph, int(net.osmid[src]), weight="travel_time")
        t = np.full(net.n_nodes, np.inf)
        for k, v in d.items():
            t[pos[k]] = v
        pts = shapely.points(xy)
        axy, at = _access_points(net, t, step=20.0)
        # best access time of every node: min over access points within the walk leg
        # (nodes within the largest band only; access points sampled every 20 m, so
        # the sampled best may exceed the true best by 10 m on foot: 7.5 s)
        outer = gpd.GeoSeries([grp.geometry.iloc[-1]], crs=4326).to_crs(4547).iloc[0]
        cand = np.flatnonzero(shapely.covers(outer.buffer(1e-6), pts))
        near = cKDTree(xy[cand]).sparse_distance_matrix(cKDTree(axy), 500.0,
                                                        output_type="ndarray")
        best = np.full(net.n_nodes, np.inf)
        np.minimum.at(best, cand[near["i"]], at[near["j"]] + near["v"] / WALK)
        for band, g in zip(grp.band_min, grp.geometry, strict=True):
            poly = gpd.GeoSeries([g], crs=4326).to_crs(4547).iloc[0]
            lim = band * 60.0
            inside = shapely.covers(poly.buffer(1e-6), pts)
            # every node within T minus the allowance is inside the band
            must = t <= lim - allowance
            assert must.sum() > 20
            assert inside[must].all()
            # every node inside has an access point within the walk leg: t + d/v ≤ T + allowance
            assert inside.sum() > must.sum()
            assert (best[inside] <= lim + allowance + 7.5).all()
            # and most nodes inside are themselves reached in time (the rest: viaducts
            # and one-way pairs passing over reached land)
            assert np.mean(t[inside] <= lim + allowance) > 0.9


@pytest.mark.shared
def test_real_population_layer_against_geopandas_overlay(futian_nanshan):
    path = shared_data_path("population/shenzhen_taz491_population.gpkg")
    gdf = catchments(REAL_ORIGINS[:1], network=futian_nanshan, land=REAL_LAND, bands=(10, 15),
                     population=path)
    zones = gpd.read_file(path).to_crs(4547)
    zones["population"] = zones["population"].fillna(0.0)
    zones["zone_area"] = zones.area
    for band, g, pop in zip(gdf.band_min, gdf.geometry, gdf.population, strict=True):
        band_gdf = gpd.GeoDataFrame({"band": [band]}, geometry=[g], crs=4326).to_crs(4547)
        ov = gpd.overlay(zones, band_gdf, how="intersection")
        expected = float((ov["population"] * ov.area / ov["zone_area"]).sum())
        assert expected > 10_000
        assert pop == pytest.approx(expected, rel=1e-6)


@pytest.mark.shared
def test_real_network_grid_agrees_with_fine_reference(futian_nanshan):
    kw = {"network": futian_nanshan, "land": REAL_LAND, "bands": (10, 15)}
    coarse = catchments(REAL_ORIGINS[:1], **kw)  # default 250 m
    fine = catchments(REAL_ORIGINS[:1], cell_size_m=50.0, **kw)
    for a, b in zip(coarse.geometry, fine.geometry, strict=True):
        am = gpd.GeoSeries([a, b], crs=4326).to_crs(4547)
        sym = am.iloc[0].symmetric_difference(am.iloc[1]).area
        # stated tolerance: area within 10 %, symmetric difference within 25 % of the area
        assert am.iloc[0].area == pytest.approx(am.iloc[1].area, rel=0.10)
        assert sym / am.iloc[1].area < 0.25


# ----------------------------------------------------------------------------- grid index
# The grid method was rewritten (issue 16: pairs cached per network and built per tile,
# bands traced from the raster). tests/_grid_reference.py is a frozen copy of the method
# before the rewrite; these tests check that the cells of every band and their times are
# the same as its, and the areas within 0.1 % (here: to rounding).


def _compare_with_reference(net, origins, *, land_ll, bands, cell=250.0, radius=500.0,
                            mode="drive"):
    import _grid_reference as ref

    cmod = importlib.import_module("corridor_geo.catchments")

    land_m = cmod._to_metric(land_ll) if land_ll is not None else None
    snapped = snap_points(net, [o[0] for o in origins], [o[1] for o in origins],
                          max_distance_m=2000)
    limits = [b * 60.0 for b in bands]
    times = cmod._node_times(net, mode, np.asarray(snapped.node), cutoff_s=limits[-1])
    x, y = np.asarray(net.x, float), np.asarray(net.y, float)
    kw = {"cell": cell, "land": land_m, "speed_ms": WALK, "radius": radius}
    got = []
    old = ref.grid_method(net, x, y, times, limits, cells_out=got, **kw)
    new = cmod._grid_method(net, x, y, times, limits, **kw)
    index = cmod._grid_index(net, **kw)
    g = index.grid
    checked = 0
    for k, t in enumerate(times):
        rg, rcells, rtimes = got[k]
        assert (rg.x0, rg.y0, rg.cell, rg.nx, rg.ny) == (g.x0, g.y0, g.cell, g.nx, g.ny)
        cells, ct = index.cell_times(t, limit=limits[-1])
        np.testing.assert_array_equal(cells, rcells)  # same cells ...
        np.testing.assert_array_equal(ct, rtimes)  # ... with the same times, to the bit
        for lim, a, b in zip(limits, old[k], new[k], strict=True):
            n_cells = int(np.count_nonzero(rtimes <= lim))
            checked += n_cells
            assert b.is_valid
            assert b.area == pytest.approx(a.area, rel=1e-9, abs=1e-3)
            assert a.symmetric_difference(b).area <= 1e-9 * a.area + 1e-3
            if land_ll is None:  # unclipped: exactly the cells
                assert b.area == pytest.approx(n_cells * cell * cell, rel=1e-12)
    return checked


def test_grid_same_cells_as_reference_implementation_synthetic():
    net, land, _ = river_town(bridge=True)
    origins = [_origin(1000, 1000), _origin(3000, 2000), _origin(0, 3000)]
    n = _compare_with_reference(net, origins, land_ll=land, bands=(2, 4, 6, 10), cell=100.0)
    assert n > 1000
    n = _compare_with_reference(net, origins, land_ll=None, bands=(3, 8), cell=100.0)
    assert n > 500


REAL_EXTRACTS = {
    "osm/shenzhen_futian_nanshan_drive_2024-10.osm.pbf": [(114.0550, 22.5400),
                                                          (113.9700, 22.5400)],
    "osm/shenzhen_nanshan_hitech_full_2021-03.osm": None,
    "osm/shenzhen_longgang_center_2019-11.osm": None,
}


@pytest.mark.shared
@pytest.mark.parametrize("extract", list(REAL_EXTRACTS))
@pytest.mark.parametrize("mode", ["drive", "walk"])
def test_real_extracts_same_cells_as_reference_implementation(extract, mode):
    from corridor_geo.corridor import load_corridor
    from corridor_geo.graph import load_network

    net = load_network(shared_data_path(extract), network_type=mode)
    origins = REAL_EXTRACTS[extract]
    if origins is None:  # a node near the middle of the extract and one off-centre
        lon0, lat0 = np.percentile(net.lon, 50), np.percentile(net.lat, 50)
        lon1, lat1 = np.percentile(net.lon, 25), np.percentile(net.lat, 70)
        origins = [(float(lon0), float(lat0)), (float(lon1), float(lat1))]
    # the corridor polygon as land: the real coastline and Shenzhen Bay cut the grid
    land = load_corridor().polygon
    if mode == "drive":
        n = _compare_with_reference(net, origins, land_ll=land, bands=(5, 10, 15))
    else:
        n = _compare_with_reference(net, origins, land_ll=land, bands=(10, 20), cell=100.0)
    assert n > 100


def test_grid_index_cached_on_the_network_and_reused():
    cmod = importlib.import_module("corridor_geo.catchments")

    net, land, _ = river_town(bridge=True)
    kw = {"network": net, "land": land, "bands": (3, 6), "cell_size_m": 100}
    first = catchments([_origin(1000, 1000)], **kw)
    store = net._cache["catchment_grid"]
    (index,) = store.values()
    tiles = dict(index.tiles)
    assert tiles
    again = catchments([_origin(1000, 1000)], **kw)
    assert net._cache["catchment_grid"][next(iter(store))] is index
    assert all(index.tiles[k] is v for k, v in tiles.items())  # not rebuilt
    assert_geodataframe_equal(first, again)
    # other settings get their own index; only the latest two are kept
    catchments([_origin(1000, 1000)], cell_size_m=200, **{k: v for k, v in kw.items()
                                                            if k != "cell_size_m"})
    catchments([_origin(1000, 1000)], cell_size_m=50, **{k: v for k, v in kw.items()
                                                           if k != "cell_size_m"})
    assert len(net._cache["catchment_grid"]) == 2
    assert cmod._grid_index  # the helper stays importable for the benchmark


def test_band_polygons_equal_union_of_cell_boxes():
    from corridor_geo import _grid

    # independent truth: shapely's union of one box per cell
    rng = np.random.default_rng(7)
    grid = _grid.Grid(x0=-500.0, y0=1000.0, cell=50.0, nx=40, ny=30)
    yy, xx = np.mgrid[:grid.ny, :grid.nx]
    field = np.hypot(xx - 15, yy - 12) * 30 + rng.random((grid.ny, grid.nx)) * 300
    cells = np.flatnonzero(field.ravel() <= 700)
    times = field.ravel()[cells]
    limits = [200.0, 400.0, 700.0]
    land = shapely.Polygon([(-500, 1000), (1500, 1000), (-500, 2500)])  # a triangle
    xe, ye = grid.edges()
    for clip in (None, land):
        got = _grid.band_polygons(grid, cells, times, limits, clip)
        for lim, g in zip(limits, got, strict=True):
            c = cells[times <= lim]
            ix, iy = c % grid.nx, c // grid.nx
            want = shapely.union_all(shapely.box(xe[ix], ye[iy], xe[ix + 1], ye[iy + 1]))
            if clip is not None:
                want = shapely.intersection(want, clip)
            assert g.is_valid
            assert g.geom_type in ("Polygon", "MultiPolygon")
            assert g.area == pytest.approx(want.area, rel=1e-12)
            assert g.symmetric_difference(want).area < 1e-6
    assert all(g.is_empty for g in _grid.band_polygons(grid, cells[:0], times[:0], limits, land))


# ------------------------------------------------------------------ bad arguments (issue 13)

def test_string_bands_and_memory_hungry_cells_are_refused():
    import corridor_geo.catchments as mod
    from corridor_geo.errors import ArgumentError

    with pytest.raises(ArgumentError, match="not the string '30'"):
        mod.catchments("core_dg_songshan_lake", bands="30")
    with pytest.raises(ArgumentError, match="at most 48 bands"):
        mod.catchments("core_dg_songshan_lake", bands=range(1, 60))
    with pytest.raises(ArgumentError, match="at most 1440 minutes"):
        mod.catchments("core_dg_songshan_lake", bands=[1e9])
    with pytest.raises(ArgumentError, match=r"more than the limit of 2 GiB.*at least \d+ m"):
        mod.catchments("core_dg_songshan_lake", bands=[30], cell_size_m=1)


@pytest.mark.parametrize("cell", ["1", "0.001"])
def test_cell_size_beyond_the_memory_limit_is_one_error_before_allocating(tmp_path, cell):
    import tracemalloc

    from click.testing import CliRunner

    import corridor_geo.corridor  # imports and bundled data are not the subject
    from corridor_geo.cli import main

    corridor_geo.corridor.load_corridor()
    tracemalloc.start()
    try:
        res = CliRunner().invoke(main, ["--quiet", "catchments", "--origins",
                                        "core_dg_songshan_lake", "--bands", "30",
                                        "--cell-size", cell, "--out", str(tmp_path / "o")])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("corridor-geo: error: --cell-size ")  # the option typed
    assert "more than the limit of 2 GiB" in res.stderr
    assert res.stderr.count("\n") == 1
    assert peak < 256 << 20, f"{peak / 2**20:.0f} MiB allocated before the refusal"
    assert not (tmp_path / "o").exists()


def test_grid_memory_estimate_covers_what_the_grid_allocates():
    """The estimate checked against the limit is above the measured peak (tracemalloc)."""
    import importlib
    import tracemalloc

    from corridor_geo.corridor import load_corridor
    from corridor_geo.graph import load_network

    mod = importlib.import_module("corridor_geo.catchments")
    net, corridor = load_network("default"), load_corridor()
    need, n_cells = mod._grid_memory_estimate(net, cell=250.0,
                                              radius=mod.MAX_OFF_NETWORK_SCGRAPH_M, n_origins=1)
    tracemalloc.start()
    try:  # 90 min by car from Songshan Lake reaches most of the bundled network
        catchments(["core_dg_songshan_lake"], bands=[90], network=net, corridor=corridor)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n_cells > 1e5
    assert need > peak, (need / 2**20, peak / 2**20)


def test_cell_sizes_near_the_float_limits_are_no_internal_error():
    """``cell_size_m=1e-200`` (or ``--cell-size 1e-200``) raised OverflowError in the
    grid-memory estimate ((radius/cell) ** 2) and 1e308 did too (2 * (radius + cell) is
    inf, then math.floor): an internal error, exit 1. The tiny cell is now refused like
    any too-small cell, with the same smallest size as 1 mm cells (the memory grows as
    1/cell² below 100 m). The huge one then ran with numpy overflow warnings and drew
    nothing; cells coarser than settings.MAX_CELL_SIZE_M (10 km) are now refused, naming
    the limit, and a 10 km cell still runs without a warning."""
    import re
    import warnings

    from corridor_geo.corridor import load_corridor
    from corridor_geo.graph import load_network

    net, corridor = load_network("default"), load_corridor()
    hint = {}
    for cell in (1e-3, 1e-200):
        with pytest.raises(ArgumentError, match="would need about") as exc:
            catchments(["core_dg_songshan_lake"], bands=[30], network=net, corridor=corridor,
                       cell_size_m=cell)
        hint[cell] = re.search(r"at least (\d+) m", str(exc.value)).group(1)
    assert hint[1e-200] == hint[1e-3]
    for cell in (1e308, 10_000.001):
        with pytest.raises(ArgumentError, match=r"expected at most 10000 m"):
            catchments(["core_dg_songshan_lake"], bands=[30], network=net, corridor=corridor,
                       cell_size_m=cell)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdf = catchments(["core_dg_songshan_lake"], bands=[60], network=net,
                         corridor=corridor, cell_size_m=10_000)
    # a 60-min drive reaches well beyond one 10 km cell (~100 km²) around the origin
    assert gdf["area_km2"].iloc[0] >= 100


def test_band_too_small_for_a_cell_is_one_clear_error(tmp_path):
    from click.testing import CliRunner

    from corridor_geo.cli import main

    gdf = catchments("core_dg_songshan_lake", bands=[0.1, 30])
    assert gdf.geometry.iloc[0].is_empty  # nothing within 6 s of a whole cell
    assert gdf.area_km2.iloc[0] == 0
    res = CliRunner().invoke(main, ["--quiet", "catchments", "--origins", "core_dg_songshan_lake",
                                    "--bands", "0.1", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "no band reaches any area" in res.stderr
    assert res.stderr.count("\n") == 1
    res = CliRunner().invoke(main, ["--quiet", "catchments", "--origins", "core_dg_songshan_lake",
                                    "--bands", "0.1,30", "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.stderr


@pytest.mark.shared
@pytest.mark.parametrize(("cell", "radius"), [(250.0, 500.0), (100.0, 500.0), (50.0, 200.0)])
def test_grid_memory_estimate_bounds_the_built_index(futian_nanshan, cell, radius):
    """The refusal estimate is an upper bound on what the grid index really allocates, and
    not a gross one (issue 12: a 4-band run on the 557k-node province graph was refused)."""
    import importlib
    import tracemalloc

    from corridor_geo import _grid

    cmod = importlib.import_module("corridor_geo.catchments")
    net = futian_nanshan
    net._cache.pop("catchment_grid", None)
    tracemalloc.start()
    try:  # independent truth: every byte numpy allocates while every tile is built
        index = cmod._grid_index(net, cell=cell, land=None, speed_ms=5 / 3.6, radius=radius)
        g = index.grid
        for ti in range(-(-g.ny // _grid.TILE)):
            for tj in range(-(-g.nx // _grid.TILE)):
                index._tile(ti, tj)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        net._cache.pop("catchment_grid", None)
    need, n_cells = cmod._grid_memory_estimate(net, cell=cell, radius=radius, n_origins=1)
    assert n_cells >= g.nx * g.ny
    assert peak <= need <= 6 * peak


def _interpolate_with_geos(length, vx, vy, voff, edges, spacing):
    k = np.floor(length[edges] / spacing).astype(np.int64)
    lines = shapely.linestrings(np.column_stack([vx, vy]),
                                indices=np.repeat(np.arange(edges.size), np.diff(voff)))
    frac = np.concatenate([np.arange(1, n + 1) / (n + 1) for n in k])
    xy = shapely.get_coordinates(shapely.line_interpolate_point(np.repeat(lines, k), frac,
                                                                normalized=True))
    return xy[:, 0], xy[:, 1], np.repeat(edges, k), frac


def test_edge_points_bit_for_bit_geos_synthetic():
    """numpy edge points = GEOS's line_interpolate_point, to the bit (independent truth),
    on lines with repeated vertices, zero-length segments and many segments."""
    from corridor_geo import _grid

    rng = np.random.default_rng(3)
    parts, voff, length = [], [0], []
    for i in range(400):
        n = int(rng.integers(2, 40))
        xy = np.cumsum(rng.normal(0, 80, (n, 2)), axis=0) + rng.uniform(4e5, 6e5, 2)
        if i % 7 == 0:
            xy[n // 2] = xy[n // 2 - 1]  # a zero-length segment
        parts.append(xy)
        voff.append(voff[-1] + n)
        length.append(float(np.hypot(*np.diff(xy, axis=0).T).sum()) * rng.uniform(0.9, 1.1))
    vx, vy = np.concatenate(parts).T.copy()
    voff, length = np.array(voff), np.array(length)
    edges = np.arange(400)
    got = _grid.edge_points(length, vx, vy, voff, edges, spacing=50.0)
    want = _interpolate_with_geos(length, vx, vy, voff, edges, 50.0)
    assert got[0].size > 1000
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w)


@pytest.mark.shared
def test_edge_points_bit_for_bit_geos_real_extract(futian_nanshan):
    from corridor_geo import _grid

    net = futian_nanshan
    off = np.asarray(net.geom_offsets)
    edges = np.flatnonzero(np.diff(off) > 1)
    lo, hi = off[edges], off[edges + 1]
    pos = _grid._ranges(lo, hi)
    tr = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)
    vx, vy = (np.asarray(a) for a in tr.transform(np.asarray(net.geom_lon)[pos],
                                                  np.asarray(net.geom_lat)[pos]))
    voff = np.concatenate([[0], np.cumsum(hi - lo)])
    length = np.asarray(net.length_m, dtype=np.float64)
    got = _grid.edge_points(length, vx, vy, voff, edges, spacing=125.0)
    want = _interpolate_with_geos(length, vx, vy, voff, edges, 125.0)
    assert got[0].size > 5000
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w)


def test_default_network_follows_the_corridor_year():
    # with no network given, a catchment is computed on the default network of the
    # corridor's year: the Huaguan expressway (2020) is not there in 2019, so Knowledge
    # City's 45-min drive catchment reaches less land and fewer of the network's nodes,
    # and its 2019 node count equals one computed on load_network(as_of=2019)
    from corridor_geo.corridor import load_corridor
    from corridor_geo.graph import load_network

    got = {}
    for year in (2019, 2021):
        c = load_corridor(as_of=year)
        got[year] = catchments("core_gz_knowledge_city", mode="drive", bands=(45,),
                               corridor=c).iloc[0]
    assert got[2019].area_km2 < got[2021].area_km2
    assert got[2019].n_nodes_reached < got[2021].n_nodes_reached
    given = catchments("core_gz_knowledge_city", mode="drive", bands=(45,),
                       corridor=load_corridor(as_of=2019),
                       network=load_network(as_of=2019)).iloc[0]
    assert given.n_nodes_reached == got[2019].n_nodes_reached
    assert given.area_km2 == pytest.approx(got[2019].area_km2, rel=1e-12)


def test_drive_catchment_routes_on_the_multimodal_drive_layer():
    # a scenario passes its MultimodalNetwork: the drive matrix routes on its drive
    # layer (streets + expressway links, a new expressway included), and the drive
    # catchment ignored it, so a new expressway Songshan Lake -> Qianhai made the matrix
    # 10.7 min faster (58.4 -> 47.7) and left every drive band unchanged (45 min:
    # 2362.6 km² with and without it). Truth: scipy's Dijkstra on the layer's graph.
    from scipy.sparse.csgraph import dijkstra

    from corridor_geo.corridor import load_corridor, place_point
    from corridor_geo.graph import load_network
    from corridor_geo.transit import MultimodalNetwork
    from corridor_geo.transit.multimodal import NetworkEdits, NewLink

    cor = load_corridor()
    net = load_network("default", network_type="drive")
    edits = NetworkEdits(add_links=(NewLink(
        id="new_road", name="New", mode="expressway", operating_speed_kmh=120,
        stops=(("Songshan Lake east", 113.90, 22.93), "ic_yj_qianhai")),))
    mm = MultimodalNetwork.build(cor, street=net, edits=edits)
    oid, band = "core_dg_songshan_lake", 45
    plain = catchments(oid, bands=(band,), corridor=cor, network=net).iloc[0]
    got = catchments(oid, bands=(band,), corridor=cor, network=net, multimodal=mm).iloc[0]
    pt = place_point(cor.places().set_index("id").loc[oid].geometry)
    src = int(snap_points(net, [pt.x], [pt.y], max_distance_m=3000).node[0])
    truth = dijkstra(mm.drive.graph.time, directed=True, indices=src)[:net.n_nodes]
    assert got.n_nodes_reached == int(np.count_nonzero(truth <= band * 60))
    assert got.n_nodes_reached > plain.n_nodes_reached
    assert got.area_km2 > plain.area_km2 + 10  # the land around the new road's far end
    # a drive layer built on another street network is refused, not mixed
    other = MultimodalNetwork.build(cor, street=load_network("default", as_of=2005))
    with pytest.raises(CorridorGeoError, match="drive layer was built on another street"):
        catchments(oid, bands=(band,), corridor=cor, network=net, multimodal=other)


def test_drive_catchment_without_multimodal_agrees_with_the_drive_matrix():
    # Without multimodal=, a drive catchment routed on the bare street network while the
    # drive matrix routes on its drive layer, the streets plus the corridor's expressway
    # links (Guangshen, Yanjiang) joined at their interchanges: the links are faster for
    # 0.5 % of node pairs, by up to 8.1 min, so a node the matrix reaches well within a
    # band fell outside that band. Now the catchment routes on the matrix's layer
    # (built from the same corridor, street network and year). Truth: networkx's
    # Dijkstra on the layer's edges (and on the bare streets, to pick the pair), and
    # the drive matrix itself.
    from corridor_geo.corridor import load_corridor, place_point
    from corridor_geo.graph import load_network
    from corridor_geo.transit import MultimodalNetwork, travel_time_matrix

    cor = load_corridor()
    net = load_network("default", network_type="drive", as_of=cor.as_of)
    mm = MultimodalNetwork.build(cor, street=net, walk=False)

    def times_from(src, u, v, w):
        g = nx.MultiDiGraph()
        g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
        got = nx.single_source_dijkstra_path_length(g, src)
        return np.array([got.get(i, math.inf) for i in range(net.n_nodes)])

    # the origin: the street node next to the Futian interchange (Shenzhen): the
    # Guangshen link is entered there, the street network's G4 only at Nantou and
    # Huanggang (docs/network.md)
    pt = place_point(cor.places().set_index("id").loc["ic_gs_futian"].geometry)
    src = int(snap_points(net, [pt.x], [pt.y], max_distance_m=3000).node[0])
    u, v, w, _ = mm.drive.graph.edges()
    layer = times_from(src, u, v, w)
    bare = times_from(src, net.source, net.target, net.travel_time_s)
    band = 45
    limit = band * 60.0
    # a target the links bring 2 min inside the band that the streets leave 2 min outside
    cand = np.flatnonzero((layer <= limit - 120) & (bare >= limit + 120))
    assert cand.size, "no node the links bring into the band (bundled data changed?)"
    tgt = int(cand[np.argmax(bare[cand] - layer[cand])])
    o, d = (float(net.lon[src]), float(net.lat[src])), (float(net.lon[tgt]), float(net.lat[tgt]))
    cell = travel_time_matrix(cor, [o], [d], mode="drive").iloc[0]  # its default network
    assert cell.in_vehicle_min * 60 == pytest.approx(layer[tgt], rel=1e-9)
    assert cell.in_vehicle_min < band < bare[tgt] / 60

    got = catchments([o], bands=(band,), corridor=cor).iloc[0]  # default network and layer
    assert got.n_nodes_reached == int(np.count_nonzero(layer <= limit))
    assert got.geometry.covers(shapely.Point(d))
    assert catchments([o], bands=(band,), corridor=cor, network=net).iloc[0].equals(got)


def test_limits_say_what_the_call_leaves_out():
    """The limits a map's key and a run's summary.json state are those catchments()
    applies: the off-network distance in the text is the one it uses by default (same
    bands as with that distance given, different with another), the land is the one
    given, and the bundled network's and the transit legs' numbers are its defaults."""
    import re

    from corridor_geo.transit import MultimodalParameters

    net, land, _ = river_town(bridge=True)
    text = catchment_limits("drive", network=net, land=land)
    assert text.startswith("clipped to the land given; the street network given + ")
    km = float(re.search(r"land > ([\d.]+) km from a reached road", text).group(1))
    kw = {"network": net, "land": land, "bands": (3, 6), "cell_size_m": 100}
    default = catchments([_origin(1000, 1000)], **kw)
    same = catchments([_origin(1000, 1000)], max_off_network_m=km * 1000, **kw)
    other = catchments([_origin(1000, 1000)], max_off_network_m=5.0, **kw)
    assert_geodataframe_equal(default, same)
    assert (other.area_km2.to_numpy() < default.area_km2.to_numpy()).all()
    assert "> 0.2 km" in catchment_limits("walk", network=net, max_off_network_m=200)
    # the bundled network (major roads only; 1 km off them) and the corridor's land
    p = MultimodalParameters()
    assert catchment_limits("drive") == (
        "clipped to the corridor (3 cities); bundled major roads + expressway links only; "
        "land > 1 km from a reached road left out")
    assert f"walks ≤ {p.max_walk_km:g} km at each end" in catchment_limits("transit")
    pr = catchment_limits("park_and_ride")
    assert f"car ≤ {p.max_drive_leg_km:g} km to a station" in pr
    assert f"walk ≤ {p.max_walk_km:g} km from it" in pr
    with pytest.raises(CorridorGeoError, match="unknown mode 'bike'"):
        catchment_limits("bike")
