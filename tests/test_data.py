"""Tests of corridor_geo.data: the bundled tables and user extra-node files."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import Point

from corridor_geo import settings
from corridor_geo.data import (
    LINK_MODES,
    LINK_STATUSES,
    read_extra_nodes,
    read_geodata,
)
from corridor_geo.errors import DataValidationError
from corridor_geo.testing import shared_data_path

FIX = Path(__file__).parent / "fixtures" / "data"
GEOD = Geod(ellps="WGS84")
FILES = ("places.csv", "stations.csv", "links.csv", "link_stops.csv", "districts.csv")


@pytest.fixture(scope="module")
def gd():
    return read_geodata()


# ----------------------------------------------------------------------------- bundled data
def test_counts_published_in_the_plan(gd):
    kinds = gd.places["kind"].value_counts()
    assert kinds["core_platform"] == 10  # "一廊十核多节点": 10 cores
    # "37 innovation nodes: Guangzhou 13, Shenzhen 15, Dongguan 9" (the 2017 plan)
    nodes = gd.places[gd.places["kind"] == "innovation_node"]
    assert kinds["innovation_node"] == 37
    assert nodes["city"].value_counts().to_dict() == {"Shenzhen": 15, "Guangzhou": 13,
                                                      "Dongguan": 9}
    # 7 are named and located in public sources; the other 30 are kept without a point
    located = nodes.geometry.notna()
    assert located.sum() == 7
    assert set(nodes.loc[~located, "confidence"]) == {"unknown"}
    assert set(nodes.loc[located, "confidence"]) <= {"high", "medium", "low"}
    assert gd.places.loc[gd.places["kind"] == "core_platform"].geometry.notna().all()
    cores = gd.places[gd.places["kind"] == "core_platform"]
    assert sorted(cores["axis_order"]) == list(range(1, 11))
    assert gd.places.loc[gd.places["kind"] != "core_platform", "axis_order"].isna().all()


def test_ids_unique_across_files(gd):
    ids = [*gd.places["id"], *gd.stations["id"]]
    assert len(ids) == len(set(ids))
    assert gd.links["id"].is_unique


def test_enums_and_ranges(gd):
    assert set(gd.links["mode"]) <= set(LINK_MODES)
    assert set(gd.links["status"]) <= set(LINK_STATUSES)
    assert set(gd.places["confidence"]) <= {"high", "medium", "low", "unknown"}
    for df in (gd.stations, gd.districts):
        assert set(df["confidence"]) <= {"high", "medium", "low"}
    for df in (gd.places, gd.stations, gd.districts):
        assert (df["source"].str.len() > 0).all()
        assert df.crs.equals(settings.WGS84)
    assert set(gd.stations["kind"]) == {"station", "interchange"}


def test_every_link_stop_is_a_station_and_every_station_is_served(gd):
    station_ids = set(gd.stations["id"])
    assert set(gd.link_stops["stop_id"]) <= station_ids
    assert station_ids <= set(gd.link_stops["stop_id"])
    assert set(gd.link_stops["link_id"]) == set(gd.links["id"])


def test_stop_counts_match_reference_lists(gd):
    # counts of the stop lists in shared/reference/links.csv (guanhui: 4 verified stops)
    expected = {
        "gs_expressway": 20, "yanjiang_expressway": 14, "guangshen_railway": 17, "gsh_xrl": 7,
        "suishen_icr": 15, "suishen_qianhai_ext": 4, "palian_icr": 4, "gz_east_ring_icr": 13,
        "foguan_icr": 7, "guanhui_icr": 18, "ganshen_hsr": 6, "gz_sz_2nd_hsr": 5,
        "shenjiang_rail": 7, "sz_dg_zc_icr": 4,
        "guanhui_north_ext": 2,  # hk01.com 2025-09-28: 6.4 km, 2 stations
    }
    assert gd.link_stops.groupby("link_id").size().to_dict() == expected


def test_shared_stations_use_one_id(gd):
    by_link = gd.link_stops.groupby("link_id")["stop_id"].apply(list)
    # 番禺(广州南) on the East Ring and Foshan-Dongguan ICRs is Guangzhou South
    assert by_link["gz_east_ring_icr"][0] == by_link["gsh_xrl"][0] == "st_gz_south"
    assert by_link["foguan_icr"][0] == "st_gz_south"
    assert by_link["palian_icr"][-1] == by_link["foguan_icr"][4] == "st_gz_lianhuashan"
    assert by_link["palian_icr"][0] == by_link["gz_east_ring_icr"][3] == "st_pazhou"
    assert by_link["suishen_icr"][3] == by_link["foguan_icr"][-1] == "st_dongguan_west"
    assert by_link["ganshen_hsr"][:2] == ["st_sz_north", "st_guangmingcheng"]
    # the Dongguan-Huizhou extension joins the main line at Xiaojinkou and the
    # Ganzhou-Shenzhen HSR at Huizhou North
    assert by_link["guanhui_north_ext"] == [by_link["guanhui_icr"][-1], by_link["ganshen_hsr"][4]]


def test_guangshen_km_posts_increase_and_fit_the_geometry(gd):
    ls = gd.link_stops[gd.link_stops["link_id"] == "guangshen_railway"].sort_values("seq")
    km = ls["km_post"].to_numpy()
    assert km[0] == 0
    assert km[-1] == 147
    assert np.all(np.diff(km) > 0)
    pts = gd.stations.set_index("id").geometry
    lon = [pts[s].x for s in ls["stop_id"]]
    lat = [pts[s].y for s in ls["stop_id"]]
    chords = np.array(GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])[2]) / 1000
    # a straight chord cannot be longer than the track (km posts are whole km)
    assert np.all(chords <= np.diff(km) + 1.5)
    assert chords.sum() > 0.85 * 147


# Stations whose coordinates are still the points of the OSM extract
# ``osm_rail_stations_2025-01`` (no public page with a coordinate was found for them; see
# SOURCES.md). Every other coordinate comes from a cited page or the reference compilation.
STILL_COPIED_FROM_THE_EXTRACT = frozenset({
    "st_xiayuan", "st_wangniudun", "st_hongmei", "st_dongguan_port", "st_houjie",
    "st_humen_east", "st_changan_west", "st_changan", "st_shajing_west",
    "st_gz_lianhuashan", "st_donghuan", "st_guanqiao_north", "st_songshanhu_north",
    "st_xiaojinkou", "st_dongguan_south", "st_dongguan_centre", "st_xili", "st_jiangmen",
    "st_songshanhu", "st_zengcheng", "st_dongcheng_south", "st_liaobu", "st_yinping",
    "st_lilin_north", "st_chenjiang_south", "st_huihuan", "st_longfeng", "st_xihu_east",
    "st_yunshan",
})
EXTRACT = "extract osm_rail_stations_2025-01"


@pytest.fixture(scope="module")
def osm_points():
    """The OSM station points of the extract, read once (skips where it is absent)."""
    return gpd.read_file(shared_data_path("rail/osm_rail_stations_2025-01.gpkg"))


def _metres_to_nearest(cand, point) -> float:
    """Geodesic distance from ``point`` to the nearest of the points ``cand``."""
    n = len(cand)
    return float(min(GEOD.inv(cand.geometry.x.to_numpy(), cand.geometry.y.to_numpy(),
                              np.full(n, point.x), np.full(n, point.y))[2]))


def test_no_new_coordinates_copied_from_the_extract(gd):
    # the data rule: nothing derived from ../shared/data enters geodata/; the rows left
    # from before the rule was enforced are listed above and may only shrink
    copied = set(gd.stations.loc[gd.stations["source"].str.contains(EXTRACT, regex=False), "id"])
    assert copied == STILL_COPIED_FROM_THE_EXTRACT
    assert not gd.districts["source"].str.contains("osm_rail_stations").any()
    assert not gd.places["source"].str.contains("osm_rail_stations").any()


def test_copied_coordinates_equal_the_osm_points_and_carry_the_attribution(gd, osm_points):
    copied = gd.stations[gd.stations["id"].isin(STILL_COPIED_FROM_THE_EXTRACT)]
    for row in copied.itertuples():
        cand = osm_points[osm_points["name"] == row.osm_name]
        assert len(cand), row.id
        d = np.hypot(cand.geometry.x - row.geometry.x, cand.geometry.y - row.geometry.y).min()
        assert d < 1e-6, (row.id, row.osm_name, d)  # equal to the 6th decimal (~0.1 m)
        assert "© OpenStreetMap contributors" in row.source, row.id


def test_published_coordinates_agree_with_openstreetmap(gd, osm_points):
    # coordinates from Wikipedia, Baidu Maps (via github.com/HKUST-Trans-Lab) or the
    # reference, checked against an independent source: the OSM point of the same name
    others = gd.stations[(gd.stations["osm_name"] != "")
                         & ~gd.stations["id"].isin(STILL_COPIED_FROM_THE_EXTRACT)]
    assert len(others) >= 40
    for row in others.itertuples():
        cand = osm_points[osm_points["name"] == row.osm_name]
        assert len(cand), row.id
        d = _metres_to_nearest(cand, row.geometry)
        # "high" means within ~0.3 km; medium/low rows say in `source` why they may be off
        assert d < (300 if row.confidence == "high" else 800), (row.id, row.confidence, d)


def test_curated_coordinates_agree_with_the_reference(gd):
    ref_path = settings.shared_data_dir().parent / "reference" / "nodes.csv"
    if not ref_path.exists():
        pytest.skip(f"reference table {ref_path} not found")
    with ref_path.open(encoding="utf-8") as fh:
        ref = list(csv.DictReader(fh))
    ours = {**dict(zip(gd.places["id"], gd.places.geometry, strict=True)),
            **dict(zip(gd.stations["id"], gd.stations.geometry, strict=True))}
    assert {r["id"] for r in ref} <= set(ours)
    for r in ref:
        p = ours[r["id"]]
        d = GEOD.inv(float(r["lon"]), float(r["lat"]), p.x, p.y)[2]
        assert d < 300, (r["id"], d)  # "high" confidence means < 0.3 km


def test_stations_in_three_city_box_or_named_elsewhere(gd):
    # box of Guangzhou + Dongguan + Shenzhen (from a map, independent of cnmaps)
    box = (112.9, 22.4, 114.7, 23.95)
    for row in gd.stations.itertuples():
        inside = box[0] <= row.geometry.x <= box[2] and box[1] <= row.geometry.y <= box[3]
        if row.city in {"Guangzhou", "Dongguan", "Shenzhen"}:
            assert inside, row.id
        elif row.city == "Hong Kong":
            assert 113.8 < row.geometry.x < 114.45
            assert 22.15 < row.geometry.y < 22.57
    others = set(gd.stations["city"]) - {"Guangzhou", "Dongguan", "Shenzhen"}
    assert others == {"Hong Kong", "Huizhou", "Zhongshan", "Jiangmen", "Ganzhou"}


def test_sources_are_public(gd):
    # a user can follow every source: no path that exists only beside the repository
    for df in (gd.places, gd.stations, gd.districts):
        assert not df["source"].str.contains("shared/").any()
    named = gd.places[gd.places.geometry.notna()]
    assert named["source"].str.contains("http://", regex=False).all()


def test_district_points_agree_with_openstreetmap(gd, osm_points):
    assert len(gd.districts) == 21  # 11 Guangzhou + 9 Shenzhen districts + Dongguan centre
    for row in gd.districts.itertuples():
        cand = osm_points[osm_points["name"] == row.osm_name]
        assert len(cand), row.id
        d = _metres_to_nearest(cand, row.geometry)
        assert d < 300, (row.id, row.osm_name, d)
        assert "OpenStreetMap" not in row.source, row.id  # not taken from the extract


def test_readers_return_copies(gd):
    first = read_geodata()
    first.stations.loc[0, "name_en"] = "changed"
    assert read_geodata().stations.loc[0, "name_en"] != "changed"


# ----------------------------------------------------------------------------- malformed rows
def _copy_geodata(tmp_path: Path) -> Path:
    out = tmp_path / "geodata"
    out.mkdir(parents=True)
    for name in FILES:
        shutil.copy(settings.geodata_dir() / name, out / name)
    return out


def _edit(path: Path, row: int, field: str, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        header = list(rows[0])
    rows[row - 1][field] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


@pytest.mark.parametrize(
    ("file", "row", "field", "value", "expect"),
    [
        ("places.csv", 3, "lat", "abc", "valid number"),
        ("places.csv", 2, "lon", "200", "less than or equal to 180"),
        ("places.csv", 12, "lat", "-95", "greater than or equal to -90"),
        ("places.csv", 1, "axis_order", "", "needs its axis_order"),
        ("places.csv", 12, "axis_order", "3", "only core platforms"),
        ("places.csv", 4, "axis_order", "2", "each of 1..10 once"),
        ("places.csv", 5, "area_source", "", "needs its source"),
        ("places.csv", 6, "kind", "park", "'core_platform' or 'innovation_node'"),
        ("places.csv", 12, "confidence", "unknown", "only for a place without lon/lat"),
        ("places.csv", 20, "confidence", "low", "expected 'unknown' for a place"),
        ("places.csv", 3, "confidence", "unknown", "only for a place without lon/lat"),
        ("places.csv", 20, "lat", "22.9", "both be given or both be empty"),
        ("districts.csv", 2, "kind", "town", "'district'"),
        ("districts.csv", 3, "id", "st_futian", "already used in stations.csv"),
        ("stations.csv", 7, "confidence", "certain", "'high', 'medium' or 'low'"),
        ("stations.csv", 9, "id", "St North", "should match pattern"),
        ("stations.csv", 10, "id", "st_guangzhou", "duplicate id 'st_guangzhou'"),
        ("stations.csv", 11, "id", "core_gz_pazhou", "already used in places.csv"),
        ("stations.csv", 4, "name_en", "", "at least 1 character"),
        ("links.csv", 2, "mode", "maglev", "'expressway', 'conventional_rail'"),
        ("links.csv", 3, "status", "closed", "'open', 'under_construction' or 'planned'"),
        ("links.csv", 4, "opened", "2011-12-26", "valid integer"),
        ("links.csv", 5, "design_speed_kmh", "fast", "valid number"),
        ("links.csv", 6, "length_km", "-3", "greater than 0"),
        ("link_stops.csv", 40, "stop_id", "st_sz_nort", "close matches: st_sz_north"),
        ("link_stops.csv", 5, "link_id", "gs_expresway", "unknown link id"),
        ("link_stops.csv", 37, "km_post", "2", "expected more than"),
        ("link_stops.csv", 8, "seq", "9", "expected 8"),
        ("link_stops.csv", 9, "stop_id", "ic_huangcun", "appears twice"),
    ],
)
def test_malformed_row_names_file_row_field(tmp_path, file, row, field, value, expect):
    folder = _copy_geodata(tmp_path)
    _edit(folder / file, row, field, value)
    with pytest.raises(DataValidationError) as info:
        read_geodata(geodata_dir=folder)
    err = info.value
    assert (Path(err.path).name, err.row, err.field) == (file, row, field)
    assert expect in str(err)
    assert str(err).startswith(f"{folder / file}, row {row}, field {field}: ")


def test_malformed_files(tmp_path):
    folder = _copy_geodata(tmp_path)
    text = (folder / "links.csv").read_text(encoding="utf-8")
    (folder / "links.csv").write_text(text.replace("mode,", "modus,", 1), encoding="utf-8")
    with pytest.raises(DataValidationError, match="missing column 'mode'") as info:
        read_geodata(geodata_dir=folder)
    assert info.value.field == "mode"

    folder = _copy_geodata(tmp_path / "b")
    lines = (folder / "places.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("Guangzhou University Town", "Guangzhou, University Town", 1)
    (folder / "places.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="quoting of commas") as info:
        read_geodata(geodata_dir=folder)
    assert info.value.row == 2

    folder = _copy_geodata(tmp_path / "c")
    (folder / "stations.csv").write_bytes(b"id,name\n" + "é".encode("latin-1"))
    with pytest.raises(DataValidationError, match="not UTF-8"):
        read_geodata(geodata_dir=folder)

    folder = _copy_geodata(tmp_path / "d")
    with (folder / "links.csv").open("a", encoding="utf-8") as fh:
        fh.write("lonely,Lonely line,孤线,intercity_rail,,,,,planned,,own\n")
    with pytest.raises(DataValidationError, match="expected at least 2") as info:
        read_geodata(geodata_dir=folder)
    assert (Path(info.value.path).name, info.value.row, info.value.field) == ("links.csv", 16, "id")


# ----------------------------------------------------------------------------- extra nodes
def test_extra_nodes_csv():
    gdf = read_extra_nodes(FIX / "extra_nodes_ok.csv")
    assert list(gdf["id"]) == ["user_dg_campus", "user_sz_lab"]
    assert set(gdf["kind"]) == {"user_node"}
    assert list(gdf["confidence"]) == ["medium", "unknown"]
    assert list(gdf["name_zh"]) == ["东莞测试园区", ""]
    assert gdf["source"].iloc[0] == "user file extra_nodes_ok.csv"
    assert gdf.crs.equals(settings.WGS84)
    assert gdf.geometry.iloc[0].equals(Point(113.75, 22.95))
    assert list(gdf["weight"].astype(float)) == [2.5, 1.0]  # extra columns are kept


def test_extra_nodes_geojson_and_reprojection():
    gdf = read_extra_nodes(FIX / "extra_nodes_ok.geojson")
    assert list(gdf["name_en"]) == ["Guangzhou Test Park", "Guangzhou Test Hub"]
    assert list(gdf["kind"]) == ["user_node", "user_node"]  # the file's kind is ignored
    assert gdf["area_km2"].iloc[1] == 3.5
    merc = read_extra_nodes(FIX / "extra_nodes_3857.geojson")
    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform(12690000.0, 2590000.0)
    assert merc.geometry.iloc[0].x == pytest.approx(lon, abs=1e-9)
    assert merc.geometry.iloc[0].y == pytest.approx(lat, abs=1e-9)


def test_extra_nodes_geopackage_roundtrip(tmp_path):
    src = gpd.GeoDataFrame(
        {"id": ["g1"], "name": ["GPKG node"]},
        geometry=[Point(*Transformer.from_crs(4326, 4547, always_xy=True).transform(113.9, 22.6))],
        crs="EPSG:4547",
    )
    path = tmp_path / "nodes.gpkg"
    src.to_file(path)
    gdf = read_extra_nodes(path)
    assert gdf.geometry.iloc[0].x == pytest.approx(113.9, abs=1e-7)
    assert gdf.geometry.iloc[0].y == pytest.approx(22.6, abs=1e-7)


@pytest.mark.parametrize(
    ("name", "row", "field", "expect"),
    [
        ("bad_missing_lon.csv", None, "lon", "missing column 'lon'"),
        ("bad_lat_range.csv", 2, "lat", "less than or equal to 90"),
        ("bad_missing_name.csv", None, "name", "missing column 'name'"),
        ("bad_linestring.geojson", 2, "geometry", "LineString geometry; expected a Point"),
        ("bad_duplicate_id.csv", 2, "id", "duplicate id 'user_a'"),
        ("bad_confidence.csv", 1, "confidence", "'high', 'medium', 'low' or 'unknown'"),
    ],
)
def test_bad_extra_node_files(name, row, field, expect):
    with pytest.raises(DataValidationError) as info:
        read_extra_nodes(FIX / name)
    err = info.value
    assert Path(err.path).name == name
    assert (err.row, err.field) == (row, field)
    assert expect in str(err)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_extra_nodes_without_crs(tmp_path):
    path = tmp_path / "no_crs.gpkg"
    gpd.GeoDataFrame({"id": ["a"], "name": ["A"]}, geometry=[Point(113.9, 22.6)]).to_file(path)
    with pytest.raises(DataValidationError, match="no coordinate reference system") as info:
        read_extra_nodes(path)
    assert info.value.field == "crs"


def test_extra_nodes_bad_file_type_and_missing_file(tmp_path):
    (tmp_path / "nodes.txt").write_text("id,name,lon,lat\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"expected \.geojson, \.json, \.gpkg or \.csv"):
        read_extra_nodes(tmp_path / "nodes.txt")
    with pytest.raises(DataValidationError, match="file not found"):
        read_extra_nodes(tmp_path / "absent.csv")
    (tmp_path / "broken.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataValidationError, match="cannot read as GeoJSON"):
        read_extra_nodes(tmp_path / "broken.geojson")


def test_extra_nodes_folder_or_fifo_is_named(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DataValidationError, match=r"dir\.csv: is a directory"):
        read_extra_nodes(tmp_path / "dir.csv")
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(DataValidationError, match=r"pipe\.csv: is a FIFO"):
        read_extra_nodes(tmp_path / "pipe.csv")


def test_read_travel_times_is_the_one_reader(tmp_path):
    from corridor_geo.data import read_travel_times
    from corridor_geo.rail import read_scheduled_times
    from corridor_geo.validate import read_observed

    f = tmp_path / "t.csv"
    f.write_text("from,to,minutes,link_id,note\nst_a, st_b ,12.5,,x\n\nst_b,st_c,3,l1,y\n",
                 encoding="utf-8")
    rows = read_travel_times(f)
    assert [(r.from_, r.to, r.minutes, r.link_id) for r in rows] == [
        ("st_a", "st_b", 12.5, None), ("st_b", "st_c", 3.0, "l1")]
    assert read_observed(f)["observed_min"].tolist() == [12.5, 3.0]
    assert [(t.from_id, t.link_id) for t in read_scheduled_times(f)] == [
        ("st_a", None), ("st_b", "l1")]
    f.write_text("from,to,minutes\nst_a,st_b,nan\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="row 1, field minutes"):
        read_travel_times(f)
    f.write_text("from,to,minutes\n,st_b,4\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="row 1, field from"):
        read_travel_times(f)
