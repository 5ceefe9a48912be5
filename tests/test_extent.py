"""Tests of corridor_geo.extent: measures on hand-checkable shapes and the real corridor."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely import LineString, Point, Polygon, box

from corridor_geo import boundaries, extent
from corridor_geo.errors import DataValidationError, UnknownIdError

GEOD = Geod(ellps="WGS84")

# The 10 core platforms (WGS84, bundled facts), in a west-to-east axis order.
CORES = [
    ("core_gz_pazhou", 113.352, 23.103),
    ("core_gz_utown_iic", 113.395, 23.046),
    ("core_gz_science_city", 113.455, 23.168),
    ("core_gz_knowledge_city", 113.515, 23.355),
    ("core_dg_songshan_lake", 113.890, 22.925),
    ("core_dg_binhaiwan", 113.670, 22.790),
    ("core_sz_airport_new_town", 113.772, 22.705),
    ("core_sz_hitech_zone", 113.949, 22.543),
    ("core_sz_banxuegang", 114.065, 22.648),
    ("core_sz_bio_valley", 114.525, 22.655),
]


def _cores() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": [c[0] for c in CORES]}, crs="EPSG:4326",
                            geometry=[Point(c[1], c[2]) for c in CORES])


@pytest.fixture(scope="module")
def real_extent() -> extent.CorridorExtent:
    cities = boundaries.load_boundaries(level="city").set_index("code").geometry
    return extent.extent_from_inputs(
        shapely.union_all(cities.to_numpy()), _cores(),
        guangzhou=cities["440100"], shenzhen=cities["440300"],
        foshan=boundaries.load_admin_polygon("440600"),
    )


def test_area_of_one_degree_box_at_equator() -> None:
    # A 1° x 1° cell at the equator is 12,308 km² on WGS84 (111.32 km x 110.57 km).
    cell = box(0.0, 0.0, 1.0, 1.0)
    assert extent.geodesic_area_km2(cell) == pytest.approx(12308, rel=1e-3)
    # ring orientation does not matter
    assert extent.geodesic_area_km2(shapely.reverse(cell)) == extent.geodesic_area_km2(cell)
    # the equal-area projection agrees
    assert extent.equal_area_km2(cell) == pytest.approx(12308, rel=1e-3)


def test_length_against_meridian_arc() -> None:
    line = LineString([(113.0, 22.5), (113.0, 23.0), (113.0, 23.5)])
    assert extent.geodesic_length_km(line) == pytest.approx(110.75, abs=0.01)


def test_axis_end_points_on_synthetic_cities() -> None:
    gz = box(113.2, 23.0, 113.6, 23.3)
    foshan = box(112.8, 22.9, 113.2, 23.4)  # shares gz's western edge
    start = extent.axis_start_point(gz, foshan, near=Point(113.35, 23.12))
    assert start.x == pytest.approx(113.2, abs=1e-5)  # ~1 m: edges are curved in EPSG:4547
    assert start.y == pytest.approx(23.12, abs=2e-3)  # nearest in EPSG:4547, ~ same latitude
    sz = Polygon([(113.8, 22.5), (114.6, 22.48), (114.62, 22.55), (113.8, 22.7)])
    assert extent.axis_end_point(sz).equals(Point(114.62, 22.55))


def test_width_profile_of_a_band() -> None:
    band = box(113.0, 22.9, 113.5, 23.1)
    axis = LineString([(113.02, 23.0), (113.48, 23.0)])
    df = extent.width_profile(band, axis, step_km=5)
    # the perpendicular crosses the band from 22.9°N to 23.1°N: a meridian arc
    expected = GEOD.inv(113.25, 22.9, 113.25, 23.1)[2] / 1e3
    interior = df.iloc[1:-1]
    assert np.allclose(interior.width_km, expected, rtol=2e-3)
    assert (interior.n_pieces == 1).all()
    assert np.allclose(interior.width_connected_km, interior.width_km)
    assert df.distance_km.iloc[1] == pytest.approx(5.0)
    assert df.distance_km.iloc[-1] == pytest.approx(
        df.distance_km.max())  # last station is the axis end
    assert np.allclose(df.azimuth_deg, 90, atol=0.5)


def test_width_profile_counts_pieces_across_water() -> None:
    # Two strips separated by a 'bay': total width counts both, connected width only one.
    strips = shapely.union_all([box(113.0, 22.9, 113.5, 22.95), box(113.0, 22.98, 113.5, 23.1)])
    axis = LineString([(113.05, 23.0), (113.45, 23.0)])
    df = extent.width_profile(strips, axis, step_km=10).iloc[1:-1]
    assert (df.n_pieces == 2).all()
    assert (df.width_connected_km < df.width_km).all()
    expected = (GEOD.inv(113.2, 22.9, 113.2, 22.95)[2] + GEOD.inv(113.2, 22.98, 113.2, 23.1)[2])
    assert np.allclose(df.width_km, expected / 1e3, rtol=2e-3)


def test_minimum_rectangle_of_a_rotated_rectangle() -> None:
    # A 30 km x 10 km rectangle whose long side points to bearing 60°, built in EPSG:4547.
    c = gpd.GeoSeries([Point(113.6, 22.9)], crs="EPSG:4326").to_crs("EPSG:4547").iloc[0]
    t = math.radians(60)
    u = np.array([math.sin(t), math.cos(t)])  # along (east, north)
    v = np.array([u[1], -u[0]])
    corners = [np.array([c.x, c.y]) + a * 15e3 * u + b * 5e3 * v
               for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    rect = gpd.GeoSeries([Polygon(corners)], crs="EPSG:4547").to_crs("EPSG:4326").iloc[0]
    r = extent.minimum_rectangle(rect)
    assert r.length_km == pytest.approx(30, rel=1e-6)
    assert r.width_km == pytest.approx(10, rel=1e-6)
    assert r.azimuth_deg == pytest.approx(60, abs=1e-6)


def test_real_corridor_area_within_five_percent(real_extent) -> None:
    assert real_extent.area_km2 == pytest.approx(11836, rel=0.05)
    assert real_extent.area_equal_area_km2 == pytest.approx(real_extent.area_km2, rel=1e-3)


def test_real_corridor_axes(real_extent) -> None:
    e = real_extent
    # start on the Guangzhou–Foshan border west of central Guangzhou, end at Dapeng's tip
    assert 113.1 < e.axis_start.x < 113.3
    assert 22.95 < e.axis_start.y < 23.2
    assert e.axis_end.x > 114.55
    assert e.axis_end.y < 22.7
    # the zig-zag through all cores is longest; the straight chord shortest
    assert e.chord_length_km < e.plan_axis_length_km < e.axis_length_km
    assert e.plan_axis_length_km == pytest.approx(180, rel=0.10)
    # the polylines are geodesic sums of their legs, computed independently here
    xy = np.asarray(e.plan_axis.coords)
    legs = GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])[2]
    assert e.plan_axis_length_km == pytest.approx(legs.sum() / 1e3, rel=1e-9)
    assert len(e.axis.coords) == 12
    assert e.rectangle.length_km >= e.rectangle.width_km
    assert e.width_profile.width_km.max() <= e.rectangle.length_km * 1.01


def test_to_dict_is_json_ready_and_has_the_cli_keys(real_extent) -> None:
    d = real_extent.to_dict()
    for key in ("area_km2", "axis_length_km", "plan_area_km2", "plan_length_km",
                "plan_axis_length_km", "area_diff_pct", "plan_axis_length_diff_pct"):
        assert key in d
    assert d["plan_area_km2"] == 11836
    assert d["plan_length_km"] == 180
    assert d["area_diff_km2"] == pytest.approx(d["area_km2"] - 11836, abs=0.01)
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text) == d
    frame = real_extent.to_frame()
    assert {"figure", "value", "plan", "diff", "diff_pct", "definition"} <= set(frame.columns)
    assert "11836.0" in real_extent.to_text()
    # one area figure is printed (the EPSG:6933 cross-check agrees to < 0.1 km2, issue 15)
    areas = [f for f in frame["figure"] if f.startswith("area")]
    assert areas == ["area"]
    assert real_extent.to_text().count("km2") == sum(frame["unit"] == "km2") == 1
    assert "area_equal_area_diff_km2" not in d


def test_cores_in_ogc_crs84_give_the_same_extent(real_extent) -> None:
    """OGC:CRS84 cores (WGS84 degrees, longitude first) were refused as "expected
    EPSG:4326"; they are the same points, so the same extent. Metres still refused."""
    cities = boundaries.load_boundaries(level="city").set_index("code").geometry
    kw = {"guangzhou": cities["440100"], "shenzhen": cities["440300"],
          "foshan": boundaries.load_admin_polygon("440600")}
    poly = shapely.union_all(cities.to_numpy())
    ext = extent.extent_from_inputs(poly, _cores().set_crs("OGC:CRS84", allow_override=True),
                                    **kw)
    assert ext.to_dict() == real_extent.to_dict()
    with pytest.raises(DataValidationError, match="EPSG:4326"):
        extent.extent_from_inputs(poly, _cores().to_crs("EPSG:4547"), **kw)


def test_unknown_plan_waypoint() -> None:
    cities = boundaries.load_boundaries(level="city").set_index("code").geometry
    with pytest.raises(UnknownIdError, match="core_nowhere"):
        extent.extent_from_inputs(
            cities["441900"], _cores(), guangzhou=cities["440100"],
            shenzhen=cities["440300"], foshan=boundaries.load_admin_polygon("440600"),
            plan_waypoints=["core_nowhere"])


def test_corridor_extent_on_bundled_corridor() -> None:
    corridor_mod = pytest.importorskip("corridor_geo.corridor")
    ext = extent.corridor_extent(corridor_mod.load_corridor())
    assert ext.area_km2 == pytest.approx(11836, rel=0.05)
    assert len(ext.axis_ids) == 10
    assert ext.plan_axis_length_km == pytest.approx(180, rel=0.15)


def test_width_profile_is_not_cut_at_150_km():
    # the perpendicular was 2 x 150 km whatever the polygon: a corridor 4 degrees of
    # latitude (443 km) across came out 300.0 km wide at every station, silently.
    # Truth: the geodesic length of the meridian between the box's edges at each station
    # (EPSG:4547 agrees with it to its scale error, < 0.05 % here)
    from corridor_geo.extent import width_profile

    poly = box(113.5, 20.5, 114.5, 24.5)
    df = width_profile(poly, LineString([(113.5, 22.5), (114.5, 22.5)]), step_km=20)
    inner = df.iloc[1:-1]
    truth = np.array([Geod(ellps="WGS84").inv(lon, 20.5, lon, 24.5)[2] / 1e3
                      for lon in inner.lon])
    np.testing.assert_allclose(inner.width_km, truth, rtol=5e-4)
    np.testing.assert_allclose(inner.width_connected_km, truth, rtol=5e-4)
    assert (inner.n_pieces == 1).all()
    # an explicit half length still cuts the perpendicular there
    cut = width_profile(poly, LineString([(113.5, 22.5), (114.5, 22.5)]), step_km=20,
                        half_length_km=150)
    np.testing.assert_allclose(cut.width_km.iloc[1:-1], 300.0, rtol=1e-9)
