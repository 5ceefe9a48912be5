"""Tests of corridor_geo.distance against pyproj.Geod and hand-checkable facts."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely import Point, Polygon

from corridor_geo import distance
from corridor_geo.errors import DataValidationError, UnknownIdError

# WGS84 (OSM station points, curated in geodata/ too).
PLACES = {
    "st_gz_south": ("Guangzhou South railway station", 113.2693, 22.9884),
    "st_sz_north": ("Shenzhen North railway station", 114.0295, 22.6097),
    "core_sz_hitech_zone": ("Shenzhen High-tech Industrial Park", 113.949, 22.543),
    "core_dg_songshan_lake": ("Songshan Lake", 113.890, 22.925),
}


def _gdf(crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": list(PLACES), "name_en": [v[0] for v in PLACES.values()]},
        geometry=[Point(v[1], v[2]) for v in PLACES.values()],
        crs=crs,
    )


class FakeCorridor:
    """Duck-typed stand-in for corridor_geo.corridor.Corridor (places + resolve)."""

    def places(self) -> gpd.GeoDataFrame:
        return _gdf()

    def resolve(self, q: str) -> str:
        for pid, (name, _, _) in PLACES.items():
            if q in (pid, name):
                return pid
        raise UnknownIdError(q, list(PLACES))


def test_against_pyproj_geod_computed_here() -> None:
    df = distance.distance_matrix(_gdf())
    geod = Geod(ellps="WGS84")
    for _, row in df.iterrows():
        _, lon1, lat1 = PLACES[row.from_id]
        _, lon2, lat2 = PLACES[row.to_id]
        az, baz, d = geod.inv(lon1, lat1, lon2, lat2)
        assert row.distance_km == pytest.approx(d / 1e3, abs=1e-9)
        if row.from_id != row.to_id:
            assert row.azimuth_deg == pytest.approx(az % 360, abs=1e-9)
            assert row.back_azimuth_deg == pytest.approx(baz % 360, abs=1e-9)


def test_hand_checkable_facts() -> None:
    # One degree of latitude at 23°N is 110.75 km on WGS84 (meridian arc), bearing due north;
    # one degree of longitude on the equator is 111.32 km, bearing due east.
    gdf = gpd.GeoDataFrame({"id": ["a", "b", "c", "d"]}, crs="EPSG:4326", geometry=[
        Point(113.0, 22.5), Point(113.0, 23.5), Point(0.0, 0.0), Point(1.0, 0.0)])
    df = distance.distance_matrix(gdf).set_index(["from_id", "to_id"])
    assert df.loc[("a", "b"), "distance_km"] == pytest.approx(110.75, abs=0.01)
    assert df.loc[("a", "b"), "azimuth_deg"] == pytest.approx(0.0, abs=1e-9)
    assert df.loc[("b", "a"), "azimuth_deg"] == pytest.approx(180.0, abs=1e-9)
    assert df.loc[("c", "d"), "distance_km"] == pytest.approx(111.32, abs=0.01)
    assert df.loc[("c", "d"), "azimuth_deg"] == pytest.approx(90.0, abs=1e-9)


def test_gz_south_to_sz_north_is_well_below_rail_length() -> None:
    # XRL Guangzhou South - Shenzhen North is 102 km of track; the straight line is shorter,
    # and a spherical haversine (R = 6371 km) agrees within 0.5 %.
    df = distance.distance_matrix(_gdf(), ids=["st_gz_south", "st_sz_north"])
    d = df.set_index(["from_id", "to_id"]).loc[("st_gz_south", "st_sz_north"), "distance_km"]
    _, lon1, lat1 = PLACES["st_gz_south"]
    _, lon2, lat2 = PLACES["st_sz_north"]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    haversine = 2 * 6371.0 * math.asin(math.sqrt(h))
    assert d == pytest.approx(haversine, rel=0.005)
    assert 80 < d < 95
    assert d < 102 * 0.9


def test_no_self_pairs_by_default() -> None:
    """Every ordered pair of different places, A to A only with include_self."""
    n = len(PLACES)
    df = distance.distance_matrix(_gdf())
    assert len(df) == n * (n - 1)
    assert not (df.from_id == df.to_id).any()
    want = [(a, b) for a in PLACES for b in PLACES if a != b]
    assert list(zip(df.from_id, df.to_id, strict=True)) == want
    assert (df.distance_km > 0).all()
    both = distance.distance_matrix(_gdf(), include_self=True)
    assert len(both) == n * n
    pd.testing.assert_frame_equal(both[both.from_id != both.to_id].reset_index(drop=True), df)
    # an id given twice is one place (test_a_place_given_twice_counts_once)
    twice = distance.distance_matrix(_gdf(), ids=["st_gz_south", "st_sz_north", "st_gz_south"])
    assert list(zip(twice.from_id, twice.to_id, strict=True)) == [
        ("st_gz_south", "st_sz_north"), ("st_sz_north", "st_gz_south")]


def test_two_places_at_one_point_are_0_km_apart() -> None:
    gdf = gpd.GeoDataFrame({"id": ["a", "b"]}, crs="EPSG:4326",
                           geometry=[Point(113.0, 23.0), Point(113.0, 23.0)])
    df = distance.distance_matrix(gdf)
    assert df.distance_km.tolist() == [0.0, 0.0]
    assert df.azimuth_deg.isna().all()


def test_symmetry_and_diagonal() -> None:
    df = distance.distance_matrix(_gdf(), include_self=True)
    assert list(df.columns) == distance.COLUMNS
    assert len(df) == len(PLACES) ** 2
    m = df.pivot_table(index="from_id", columns="to_id", values="distance_km")
    np.testing.assert_allclose(m.to_numpy(), m.to_numpy().T, rtol=0, atol=1e-9)
    assert (np.diag(m.to_numpy()) == 0).all()
    diag = df[df.from_id == df.to_id]
    assert diag.azimuth_deg.isna().all()
    off = df[df.from_id != df.to_id].set_index(["from_id", "to_id"])
    for (a, b), row in off.iterrows():
        assert row.back_azimuth_deg == pytest.approx(off.loc[(b, a), "azimuth_deg"], abs=1e-6)
        assert 0 <= row.azimuth_deg < 360


def test_ids_order_names_and_corridor_input() -> None:
    ids = ["core_dg_songshan_lake", "st_gz_south"]
    df = distance.distance_matrix(_gdf(), ids=ids, include_self=True)
    assert df.from_id.tolist() == [ids[0], ids[0], ids[1], ids[1]]
    assert df.from_name_en.iloc[0] == "Songshan Lake"
    via = distance.distance_matrix(FakeCorridor(), ids=["Songshan Lake", "st_gz_south"],
                                   include_self=True)
    assert via.from_id.tolist() == df.from_id.tolist()
    np.testing.assert_array_equal(via.distance_km, df.distance_km)
    assert len(distance.distance_matrix(FakeCorridor())) == 12


def test_a_place_given_twice_counts_once() -> None:
    """By id and by name, or the same id twice: one place, so n(n - 1) rows of n distinct
    places (the pairs were listed twice)."""
    once = distance.distance_matrix(FakeCorridor(), ids=["core_dg_songshan_lake",
                                                         "st_gz_south"])
    twice = distance.distance_matrix(
        FakeCorridor(), ids=["core_dg_songshan_lake", "Songshan Lake", "st_gz_south",
                             "st_gz_south"])
    pd.testing.assert_frame_equal(twice, once)
    assert len(once) == 2
    alone = distance.distance_matrix(_gdf(), ids=["st_gz_south", "st_gz_south"],
                                     include_self=True)
    assert alone[["from_id", "to_id", "distance_km"]].to_numpy().tolist() == [
        ["st_gz_south", "st_gz_south", 0.0]]


def test_ogc_crs84_places_are_wgs84() -> None:
    """OGC:CRS84 is EPSG:4326 with longitude first: the same degrees, the same table.

    (It was refused: pyproj's ``CRS.equals`` compares axis order; GeoJSON files declare
    CRS84.) A CRS only pyproj calls equal to 4326 ignoring axis order is accepted too;
    another datum (CGCS2000, EPSG:4490) is still refused.
    """
    ref = distance.distance_matrix(_gdf())
    for crs in ("OGC:CRS84", "+proj=longlat +datum=WGS84 +no_defs"):
        pd.testing.assert_frame_equal(distance.distance_matrix(_gdf(crs=crs)), ref)
    with pytest.raises(DataValidationError, match="EPSG:4490"):
        distance.distance_matrix(_gdf(crs="EPSG:4490"))
    # lon/lat degrees on another datum (NAD27 as OGC:CRS27 or EPSG:4267) are not WGS84
    for other in ("OGC:CRS27", "EPSG:4267"):
        with pytest.raises(DataValidationError, match="EPSG:4326"):
            distance.distance_matrix(_gdf(crs=other))


def test_unknown_id_and_bad_inputs() -> None:
    with pytest.raises(UnknownIdError, match="st_gz_sout"):
        distance.distance_matrix(_gdf(), ids=["st_gz_sout"])
    with pytest.raises(UnknownIdError, match="nowhere"):
        distance.distance_matrix(FakeCorridor(), ids=["nowhere"])
    with pytest.raises(DataValidationError, match="EPSG:4326"):
        distance.distance_matrix(_gdf().to_crs("EPSG:4547"))
    with pytest.raises(DataValidationError, match="no CRS"):
        distance.distance_matrix(_gdf(crs=None))
    bad = _gdf()
    bad.loc[1, "geometry"] = Polygon([(113, 23), (113.1, 23), (113.1, 23.1)])
    with pytest.raises(DataValidationError, match="row 2"):
        distance.distance_matrix(bad)
    dup = _gdf()
    dup.loc[1, "id"] = dup.loc[0, "id"]
    with pytest.raises(DataValidationError, match="duplicate"):
        distance.distance_matrix(dup)


def test_csv_is_deterministic_and_atomic(tmp_path) -> None:
    df = distance.distance_matrix(_gdf())
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    distance.write_distance_csv(df, a)
    distance.write_distance_csv(distance.distance_matrix(_gdf()), b)
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(distance.COLUMNS)
    assert "\r" not in text
    back = pd.read_csv(a)
    np.testing.assert_allclose(back.distance_km, df.distance_km, atol=5e-4)
    with pytest.raises(DataValidationError, match="lacks columns"):
        distance.write_distance_csv(df.drop(columns="azimuth_deg"), tmp_path / "c.csv")
    assert not (tmp_path / "c.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]


def test_bundled_platforms_against_pyproj_geod() -> None:
    corridor_mod = pytest.importorskip("corridor_geo.corridor")
    corridor = corridor_mod.load_corridor()
    plats = corridor.platforms
    df = distance.distance_matrix(corridor, ids=plats["id"].tolist())
    assert len(df) == len(plats) * (len(plats) - 1)
    lon = dict(zip(plats["id"], plats.geometry.x, strict=True))
    lat = dict(zip(plats["id"], plats.geometry.y, strict=True))
    az, _, d = Geod(ellps="WGS84").inv(
        df.from_id.map(lon).to_numpy(), df.from_id.map(lat).to_numpy(),
        df.to_id.map(lon).to_numpy(), df.to_id.map(lat).to_numpy())
    np.testing.assert_allclose(df.distance_km, d / 1e3, atol=1e-9)
    off = (df.from_id != df.to_id).to_numpy()
    np.testing.assert_allclose(df.azimuth_deg[off], np.mod(az[off], 360), atol=1e-9)
    # Pazhou (Guangzhou) to the Shenzhen Hi-tech Zone: ~ 90 km as the crow flies, SE
    row = df[(df.from_id == "core_gz_pazhou") & (df.to_id == "core_sz_hitech_zone")].iloc[0]
    assert 80 < row.distance_km < 100
    assert 120 < row.azimuth_deg < 150
