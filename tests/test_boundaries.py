"""Tests of corridor_geo.boundaries: conversion, published areas, cache rebuilding."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import shapely
from pyproj import Geod

from corridor_geo import boundaries, settings
from corridor_geo.errors import DataValidationError

GEOD = Geod(ellps="WGS84")

# Published land areas (km²): Guangzhou 7,434.4 (Guangzhou Statistical Yearbook), Shenzhen
# 1,997.47 (Shenzhen Statistical Yearbook), Dongguan 2,460.1 (Dongguan government).
PUBLISHED_KM2 = {"440100": 7434.4, "440300": 1997.47, "441900": 2460.1}
# Amap's polygons are not the statistical-yearbook survey: Shenzhen's polygon includes
# coastal reclamation newer than the yearbook figure (+7 %); the others agree within 1 %.
TOLERANCE = {"440100": 0.02, "440300": 0.10, "441900": 0.02}


def _geodesic_km2(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CORRIDOR_GEO_CACHE_DIR", str(tmp_path))
    boundaries._clear_memo()
    yield tmp_path
    boundaries._clear_memo()


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
    gdf = boundaries.load_boundaries(level="city")
    for code in gdf.code:
        wgs = gdf[gdf.code == code].geometry.iloc[0]
        raw = boundaries.load_admin_polygon(code, crs="gcj02")
        # every vertex moves by the GCJ-02 offset: raw lies ~0.6 km ESE of WGS84
        a = shapely.get_coordinates(wgs)
        b = shapely.get_coordinates(raw)
        assert a.shape == b.shape
        az, _, dist = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        assert np.all((dist > 500) & (dist < 700))
        assert np.all((az > 105) & (az < 135))
        # and the area is preserved by the shift
        assert _geodesic_km2(wgs) == pytest.approx(_geodesic_km2(raw), rel=2e-3)


def test_unknown_adcode() -> None:
    with pytest.raises(DataValidationError, match="999999"):
        boundaries.load_admin_polygon("999999")
    with pytest.raises(DataValidationError, match="level"):
        boundaries.load_boundaries(level="province")  # type: ignore[arg-type]


def test_cache_written_and_reused(fresh_cache) -> None:
    first = boundaries.load_boundaries()
    data = fresh_cache / "boundaries" / "boundaries_v1.parquet"
    meta = json.loads((fresh_cache / "boundaries" / "boundaries_v1.json").read_text())
    assert data.exists()
    assert meta["source_version"] == boundaries._source_version()
    mtime = data.stat().st_mtime_ns
    boundaries._clear_memo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = boundaries.load_boundaries()
    assert data.stat().st_mtime_ns == mtime  # read, not rebuilt
    assert second.geometry.geom_equals_exact(first.geometry, 0).all()
    assert (second.drop(columns="geometry") == first.drop(columns="geometry")).all().all()


def test_corrupt_cache_is_rebuilt_with_warning(fresh_cache) -> None:
    good = boundaries.load_boundaries()
    data = fresh_cache / "boundaries" / "boundaries_v1.parquet"
    data.write_bytes(b"PAR1 this is not parquet")
    boundaries._clear_memo()
    with pytest.warns(UserWarning, match="corrupt cache"):
        rebuilt = boundaries.load_boundaries()
    assert rebuilt.geometry.geom_equals_exact(good.geometry, 0).all()
    # the rebuilt cache is valid again
    boundaries._clear_memo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        boundaries.load_boundaries()


def test_stale_or_unreadable_metadata_is_rebuilt(fresh_cache) -> None:
    boundaries.load_boundaries()
    meta_path = fresh_cache / "boundaries" / "boundaries_v1.json"
    meta = json.loads(meta_path.read_text())
    meta["source_version"] = "0.0.1"
    meta_path.write_text(json.dumps(meta))
    boundaries._clear_memo()
    with pytest.warns(UserWarning, match="stale cache"):
        boundaries.load_boundaries()
    assert json.loads(meta_path.read_text())["source_version"] == boundaries._source_version()
    meta_path.write_text("{not json")
    boundaries._clear_memo()
    with pytest.warns(UserWarning, match="unreadable cache metadata"):
        gdf = boundaries.load_boundaries(level="city")
    assert len(gdf) == 3


def test_cache_is_deterministic(fresh_cache, tmp_path_factory, monkeypatch) -> None:
    boundaries.load_boundaries()
    first = (fresh_cache / "boundaries" / "boundaries_v1.parquet").read_bytes()
    other = tmp_path_factory.mktemp("cache2")
    monkeypatch.setenv("CORRIDOR_GEO_CACHE_DIR", str(other))
    boundaries.load_boundaries(refresh=True)
    assert (other / "boundaries" / "boundaries_v1.parquet").read_bytes() == first
