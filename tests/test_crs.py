"""Tests of corridor_geo.crs against independent reference pairs and a peer implementation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import prcoords  # peer implementation (CC0), a test-only dependency
import pytest
import shapely
from pyproj import Geod

from corridor_geo import crs
from corridor_geo.errors import DataValidationError

GEOD = Geod(ellps="WGS84")

# Published example pairs of the npm package ``coordtransform`` 2.1.2 (README and test/app.js),
# input (116.404, 39.915) for every function.
COORDTRANSFORM_README = {
    "bd09togcj02": (116.39762729119315, 39.90865673957631),
    "gcj02tobd09": (116.41036949371029, 39.92133699351021),
    "wgs84togcj02": (116.41024449916938, 39.91640428150164),
    "gcj02towgs84": (116.39775550083061, 39.91359571849836),  # one-step approximate inverse
}


def _grid(n: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """A grid covering the corridor and its surroundings (Foshan border to Dapeng, Conghua)."""
    lon, lat = np.meshgrid(np.linspace(112.9, 114.7, n), np.linspace(22.35, 24.0, n))
    return lon.ravel(), lat.ravel()


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_published_forward_pairs() -> None:
    lon, lat = crs.wgs84_to_gcj02(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM_README["wgs84togcj02"],
                                                     abs=1e-9)
    lon, lat = crs.gcj02_to_bd09(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM_README["gcj02tobd09"],
                                                     abs=1e-9)


def test_published_inverse_pairs_within_their_approximation() -> None:
    # The published inverses are one-step approximations; ours are exact, so they agree to
    # the approximation's own error (sub-metre for BD-09, a few metres at most for GCJ-02) ...
    lon, lat = crs.bd09_to_gcj02(116.404, 39.915)
    ref = COORDTRANSFORM_README["bd09togcj02"]
    assert _metres(lon, lat, *ref) < 0.5
    lon, lat = crs.gcj02_to_wgs84(116.404, 39.915)
    ref = COORDTRANSFORM_README["gcj02towgs84"]
    assert _metres(lon, lat, *ref) < 5.0
    # ... and ours is the better inverse: its forward image hits the input.
    fl, fa = crs.wgs84_to_gcj02(lon, lat)
    fl_ref, fa_ref = crs.wgs84_to_gcj02(*ref)
    assert _metres(fl, fa, 116.404, 39.915) < 0.001
    assert _metres(fl, fa, 116.404, 39.915) < _metres(fl_ref, fa_ref, 116.404, 39.915)


def test_forward_matches_prcoords_on_corridor_grid() -> None:
    lon, lat = _grid()
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    blon, blat = crs.wgs84_to_bd09(lon, lat)
    for i in range(lon.size):
        g = prcoords.wgs_gcj((lat[i], lon[i]))
        b = prcoords.wgs_bd((lat[i], lon[i]))
        assert (glon[i], glat[i]) == pytest.approx((g.lon, g.lat), abs=1e-9)
        assert (blon[i], blat[i]) == pytest.approx((b.lon, b.lat), abs=1e-9)


def test_inverse_matches_prcoords_iterative_inverse() -> None:
    lon, lat = _grid(9)
    wlon, wlat = crs.gcj02_to_wgs84(lon, lat)
    bwlon, bwlat = crs.bd09_to_wgs84(lon, lat)
    for i in range(lon.size):
        w = prcoords.gcj_wgs_bored((lat[i], lon[i]))
        bw = prcoords.bd_wgs_bored((lat[i], lon[i]))
        # prcoords stops iterating at 1e-5 degrees, i.e. about a metre
        assert _metres(wlon[i], wlat[i], w.lon, w.lat) < 1.5
        assert _metres(bwlon[i], bwlat[i], bw.lon, bw.lat) < 1.5


@pytest.mark.parametrize(
    ("fwd", "inv"),
    [
        (crs.wgs84_to_gcj02, crs.gcj02_to_wgs84),
        (crs.wgs84_to_bd09, crs.bd09_to_wgs84),
        (crs.gcj02_to_bd09, crs.bd09_to_gcj02),
    ],
)
def test_round_trip_below_one_metre_over_corridor(fwd, inv) -> None:
    lon, lat = _grid(40)
    back_lon, back_lat = inv(*fwd(lon, lat))
    err = _metres(lon, lat, back_lon, back_lat)
    assert err.max() <= 1.0
    assert err.max() < 0.01  # in fact sub-centimetre


def test_offset_in_corridor_matches_published_magnitude_and_direction() -> None:
    # Reference facts: in this region GCJ-02 sits ~0.50-0.56 km east and ~0.29-0.33 km
    # south of WGS84.
    lon = np.array([113.26, 113.33, 113.75, 114.06])  # Guangzhou, Tianhe, Dongguan, Shenzhen
    lat = np.array([23.13, 23.12, 23.02, 22.54])
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    az, _, dist = GEOD.inv(lon, lat, glon, glat)
    east = GEOD.inv(lon, lat, glon, lat)[2]
    south = GEOD.inv(lon, lat, lon, glat)[2]
    assert np.all((east > 480) & (east < 570))
    assert np.all((south > 280) & (south < 320))
    assert np.all(glat < lat)
    assert np.all((az > 110) & (az < 130))
    assert np.all((dist > 560) & (dist < 660))


def test_outside_china_is_identity_unless_asked() -> None:
    lon, lat = crs.wgs84_to_gcj02([2.3522, -74.006], [48.8566, 40.7128])  # Paris, New York
    np.testing.assert_array_equal(lon, [2.3522, -74.006])
    np.testing.assert_array_equal(lat, [48.8566, 40.7128])
    lon2, _ = crs.gcj02_to_wgs84([2.3522], [48.8566])
    assert lon2[0] == 2.3522
    lon3, _ = crs.wgs84_to_gcj02([2.3522], [48.8566], china_only=False)
    assert lon3[0] != 2.3522


def test_hong_kong_is_treated_as_china() -> None:
    lon, lat = crs.wgs84_to_gcj02(114.1694, 22.3193)
    assert _metres(114.1694, 22.3193, lon, lat) > 400


def test_shapes_nan_and_validation() -> None:
    lon, lat = crs.gcj02_to_wgs84(np.full((2, 3), 113.3), 23.1)
    assert lon.shape == lat.shape == (2, 3)
    lon, lat = crs.wgs84_to_gcj02([113.3, np.nan], [23.1, 23.1])
    assert np.isnan(lon[1])
    assert np.isfinite(lon[0])
    with pytest.raises(DataValidationError, match="latitude"):
        crs.wgs84_to_gcj02(113.3, 123.1)
    with pytest.raises(DataValidationError, match="expected 'wgs84'"):
        crs.convert([1.0], [1.0], source="epsg3857")  # type: ignore[arg-type]
    # inputs are not modified in place
    src = np.array([113.3])
    crs.wgs84_to_gcj02(src, np.array([23.1]))
    assert src[0] == 113.3


def test_convert_geometry_and_frame() -> None:
    poly = shapely.Polygon([(113.3, 23.1), (113.4, 23.1), (113.4, 23.2), (113.3, 23.1)])
    out = crs.convert_geometry(poly, source="gcj02")
    coords = shapely.get_coordinates(poly)
    exp_lon, exp_lat = crs.gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    np.testing.assert_allclose(shapely.get_coordinates(out), np.column_stack([exp_lon, exp_lat]))
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[poly], crs="EPSG:4326")
    conv = crs.convert_frame(gdf, source="gcj02")
    assert conv.crs.equals("EPSG:4326")
    assert conv.geometry.iloc[0].equals_exact(out, 1e-12)
    assert gdf.geometry.iloc[0].equals(poly)  # input untouched
    with pytest.raises(DataValidationError, match="EPSG:3857"):
        crs.convert_frame(gdf.to_crs("EPSG:3857"), source="gcj02")
    # OGC:CRS84 is the same lon/lat degrees (longitude first): converted, labelled 4326
    conv84 = crs.convert_frame(gdf.set_crs("OGC:CRS84", allow_override=True), source="gcj02")
    assert conv84.crs.equals("EPSG:4326")
    assert conv84.geometry.iloc[0].equals_exact(out, 1e-12)
