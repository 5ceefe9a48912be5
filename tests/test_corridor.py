"""Tests of corridor_geo.corridor: load_corridor, Corridor, resolve."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import corridor_geo as cg
from corridor_geo import settings
from corridor_geo.corridor import Corridor, load_corridor
from corridor_geo.errors import DataValidationError, UnknownIdError, UnlocatedPlaceError

FIX = Path(__file__).parent / "fixtures" / "data"
THREE = {"Guangzhou", "Dongguan", "Shenzhen"}


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


def _ids(df: pd.DataFrame) -> set[str]:
    return set(df["id"])


def test_public_entry_point(corridor):
    assert cg.load_corridor is load_corridor
    assert isinstance(corridor, cg.Corridor)
    assert corridor.metric_crs == "EPSG:4547"
    assert corridor.as_of is None


def test_tables_and_columns(corridor):
    assert len(corridor.platforms) == 10
    assert corridor.platforms["axis_order"].tolist() == list(range(1, 11))
    assert len(corridor.nodes) == 7  # the located nodes of the plan's 37
    assert set(corridor.nodes["kind"]) == {"innovation_node"}
    assert len(corridor.unlocated_nodes) == 30
    assert set(corridor.unlocated_nodes["confidence"]) == {"unknown"}
    assert "geometry" not in corridor.unlocated_nodes.columns
    all_nodes = pd.concat([corridor.nodes, corridor.unlocated_nodes])
    assert all_nodes["city"].value_counts().to_dict() == {"Shenzhen": 15, "Guangzhou": 13,
                                                          "Dongguan": 9}
    assert len(corridor.districts) == 21
    cols = ["id", "name_en", "name_zh", "kind", "city", "district", "area_km2",
            "area_source", "confidence", "source", "geometry"]
    for df in (corridor.platforms, corridor.nodes, corridor.stations, corridor.districts):
        assert isinstance(df, gpd.GeoDataFrame)
        assert df.crs.equals(settings.WGS84)
        assert set(cols) <= set(df.columns)
        assert (df.geom_type == "Point").all()
    places = corridor.places()
    assert places.columns.tolist() == [*cols[:-1], "axis_order", "geometry"]
    assert len(places) == 10 + 7 + len(corridor.stations) + 21
    assert places["id"].is_unique


def test_axis_order_runs_west_to_east(corridor):
    # first the Guangzhou cores, then Dongguan, then Shenzhen; ends at the Bio-Valley (Dapeng)
    cities = corridor.platforms["city"].tolist()
    assert cities == ["Guangzhou"] * 4 + ["Dongguan"] * 2 + ["Shenzhen"] * 4
    assert corridor.platforms["id"].iloc[-1] == "core_sz_bio_valley"
    assert corridor.platforms.geometry.x.iloc[-1] == corridor.platforms.geometry.x.max()


def test_links_are_linestrings_through_their_stops(corridor):
    pts = dict(zip(corridor.stations["id"], corridor.stations.geometry, strict=True))
    assert corridor.links.crs.equals(settings.WGS84)
    for row in corridor.links.itertuples():
        stops = corridor.link_stops[corridor.link_stops["link_id"] == row.id].sort_values("seq")
        expected = [(pts[s].x, pts[s].y) for s in stops["stop_id"]]
        assert list(row.geometry.coords) == expected
    assert set(corridor.link_stops["stop_id"]) == _ids(corridor.stations)


def test_default_is_all_open_links(corridor):
    assert _ids(corridor.links) == {
        "gs_expressway", "yanjiang_expressway", "guangshen_railway", "gsh_xrl", "suishen_icr",
        "palian_icr", "gz_east_ring_icr", "foguan_icr", "guanhui_icr", "guanhui_north_ext",
        "ganshen_hsr",
    }
    assert (corridor.links["status"] == "open").all()
    assert "st_dongguan_centre" not in _ids(corridor.stations)  # planned 2nd HSR only


def test_as_of_filter():
    c2015 = load_corridor(as_of=2015)
    assert "suishen_icr" not in _ids(c2015.links)  # opened 2019
    assert "guanhui_icr" not in _ids(c2015.links)  # opened 2016
    assert {"gsh_xrl", "guangshen_railway", "gs_expressway"} <= _ids(c2015.links)
    assert "st_xintang_south" not in _ids(c2015.stations)
    assert c2015.as_of == 2015
    c2025 = load_corridor(as_of=2025)
    assert {"palian_icr", "gz_east_ring_icr", "foguan_icr"} <= _ids(c2025.links)
    assert "palian_icr" not in _ids(load_corridor(as_of=2024).links)
    assert "yanjiang_expressway" not in _ids(load_corridor(as_of=2012).links)


def test_as_of_drops_stops_served_later():
    xrl = lambda c: c.link_stops.loc[c.link_stops["link_id"] == "gsh_xrl", "stop_id"].tolist()  # noqa: E731
    assert xrl(load_corridor(as_of=2012))[-1] == "st_sz_north"
    assert xrl(load_corridor(as_of=2016))[-1] == "st_futian"
    assert xrl(load_corridor(as_of=2018))[-1] == "st_hk_west_kowloon"
    c = load_corridor(as_of=2012)
    line = c.links.set_index("id").geometry["gsh_xrl"]
    sz_north = c.stations.set_index("id").geometry["st_sz_north"]
    assert shapely.Point(line.coords[-1]).equals(sz_north)


def test_planned_links(corridor):
    all_ = load_corridor(include_planned=True)
    assert {"gz_sz_2nd_hsr", "shenjiang_rail", "suishen_qianhai_ext", "sz_dg_zc_icr"} <= _ids(
        all_.links
    )
    one = load_corridor(as_of=2030, include_planned=["gz_sz_2nd_hsr"])
    assert "gz_sz_2nd_hsr" in _ids(one.links)
    assert "shenjiang_rail" not in _ids(one.links)
    assert "st_dongguan_centre" in _ids(one.stations)
    w = corridor.with_links(enable=["gz_sz_2nd_hsr"], disable=["gs_expressway"])
    assert "gz_sz_2nd_hsr" in _ids(w.links)
    assert "gs_expressway" not in _ids(w.links)
    assert "ic_gs_shigu" not in _ids(w.stations)
    assert "gs_expressway" in _ids(corridor.links)  # the original is unchanged
    back = w.with_links(enable=["gs_expressway"])
    assert "gs_expressway" in _ids(back.links)
    assert "gz_sz_2nd_hsr" in _ids(back.links)
    assert len(corridor.all_links) == 15
    with pytest.raises(UnknownIdError, match="close matches: gz_sz_2nd_hsr"):
        corridor.with_links(enable=["gz_sz_2nd_hrs"])
    with pytest.raises(UnknownIdError):
        load_corridor(include_planned=["nope_line"])


def test_stations_lie_in_their_city():
    # independent truth: the cnmaps city polygons (the bbox check is in test_data)
    c = load_corridor(include_planned=True)
    cities = c.boundaries[c.boundaries["level"] == "city"]
    joined = gpd.sjoin(c.places(), cities[["city", "geometry"]].rename(columns={"city": "b"}),
                       how="left", predicate="within")
    in_three = joined["city"].isin(THREE)
    assert (joined.loc[in_three, "b"] == joined.loc[in_three, "city"]).all()
    assert joined.loc[~in_three, "b"].isna().all()  # HK, Huizhou, ... lie outside


def test_district_points_lie_in_their_district(corridor):
    # independent truth: the cnmaps district polygons (Dongguan has none: its city polygon)
    b = corridor.boundaries
    d = b[b["level"] == "district"][["name_zh", "geometry"]]
    joined = gpd.sjoin(corridor.districts, d, how="left", predicate="within")
    gz_sz = joined[joined["city"] != "Dongguan"]
    assert len(gz_sz) == 20
    assert (gz_sz["district"].str.split().str[-1] == gz_sz["name_zh_right"]).all()
    dg = b[(b["level"] == "city") & (b["city"] == "Dongguan")].geometry.iloc[0]
    assert corridor.districts.set_index("id").geometry["dist_dg_centre"].within(dg)


def test_boundaries_and_polygon_are_lazy(corridor):
    c = load_corridor()
    assert "boundaries" not in c.__dict__
    assert "polygon" not in c.__dict__
    assert set(c.boundaries["level"]) == {"city", "district"}
    poly = c.polygon
    assert poly.geom_type in {"Polygon", "MultiPolygon"}
    assert shapely.contains_xy(poly, c.platforms.geometry.x, c.platforms.geometry.y).all()
    assert not shapely.contains_xy(poly, 114.165, 22.3047)  # West Kowloon is in Hong Kong


def test_returned_tables_are_copies():
    c = load_corridor()
    c.stations.loc[0, "name_en"] = "changed"
    c.platforms.loc[0, "id"] = "changed"
    d = load_corridor()
    assert d.stations.loc[0, "name_en"] != "changed"
    assert d.platforms.loc[0, "id"] == "core_gz_pazhou"


# ----------------------------------------------------------------------------- resolve
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("st_sz_north", "st_sz_north"),
        ("ST_SZ_NORTH", "st_sz_north"),
        ("深圳北站", "st_sz_north"),
        ("深圳北", "st_sz_north"),
        ("Shenzhen North railway station", "st_sz_north"),
        ("shenzhen north", "st_sz_north"),
        ("Shenzhen North Station", "st_sz_north"),
        ("广州南", "st_gz_south"),
        ("番禺(广州南)", "st_gz_south"),
        ("番禺（广州南）", "st_gz_south"),
        ("南沙北", "st_nansha_north"),
        ("庆盛", "st_nansha_north"),
        ("虎门北", "st_humen"),
        ("东莞站", "st_dongguan"),
        ("Dongguan", "st_dongguan"),
        ("Songshan Lake", "core_dg_songshan_lake"),
        ("松山湖", "core_dg_songshan_lake"),
        ("中新广州知识城", "core_gz_knowledge_city"),
        ("qianhai", "node_sz_qianhai"),
        ("Shenzhen Airport", "st_sz_airport"),
        ("黄村立交", "ic_huangcun"),
        # districts and CBDs (issue 15): Chinese, English, pinyin; case/width/spacing-blind
        ("天河", "dist_gz_tianhe"),
        ("天河区", "dist_gz_tianhe"),
        ("Tianhe", "dist_gz_tianhe"),
        ("ＴＩＡＮＨＥ", "dist_gz_tianhe"),
        ("tianhe  district", "dist_gz_tianhe"),
        ("Zhujiang New Town", "dist_gz_tianhe"),
        ("珠江新城", "dist_gz_tianhe"),
        ("Nanshan", "dist_sz_nanshan"),
        ("南山", "dist_sz_nanshan"),
        ("福田", "dist_sz_futian"),
        ("福田区", "dist_sz_futian"),
        ("Futian CBD", "dist_sz_futian"),
        ("福田站", "st_futian"),  # the station keeps its full name
        ("罗湖", "dist_sz_luohu"),
        ("罗湖站", "st_shenzhen"),
        ("Bao an", "dist_sz_baoan"),
        ("Baoan", "dist_sz_baoan"),
        ("Bao'an District", "dist_sz_baoan"),
        ("番禺", "dist_gz_panyu"),
        ("东莞市中心", "dist_dg_centre"),
        # Songshan Lake spelling variants
        ("Songshanhu", "core_dg_songshan_lake"),
        ("Song Shan Lake", "core_dg_songshan_lake"),
        ("songshan-lake", "core_dg_songshan_lake"),
        ("ＳＯＮＧＳＨＡＮ ＬＡＫＥ", "core_dg_songshan_lake"),
        ("松山湖高新区", "core_dg_songshan_lake"),
        ("Songshan Lake North", "st_songshanhu_north"),
        ("广州中新知识城", "core_gz_knowledge_city"),
    ],
)
def test_resolve(corridor, query, expected):
    assert corridor.resolve(query) == expected


def test_resolve_unknown_and_ambiguous(corridor):
    with pytest.raises(UnknownIdError) as info:
        corridor.resolve("shenzhen nort")
    assert info.value.suggestions[0] == "st_sz_north"
    assert "Shenzhen North railway station, station, Shenzhen" in str(info.value)
    assert "close matches" in str(info.value)
    with pytest.raises(UnknownIdError) as info:
        corridor.resolve("st_sz_nort")
    assert "st_sz_north" in info.value.suggestions
    with pytest.raises(UnknownIdError) as info:
        corridor.resolve("麻涌互通")  # on both expressways
    assert info.value.ambiguous == ["ic_gs_machong", "ic_yj_machong"]
    # an ambiguous name lists its candidates with kind and city
    assert "Machong interchange (Guangshen Expwy), interchange, Dongguan" in str(info.value)
    # suggestions: the place meant first (a name the query starts)
    with pytest.raises(UnknownIdError) as info:
        corridor.resolve("天河智")
    assert info.value.suggestions[0] == "node_gz_tianhe_smart_city"
    assert "Tianhe Smart City, innovation node, Guangzhou" in str(info.value)
    with pytest.raises(UnknownIdError) as info:
        corridor.resolve("松山")
    assert info.value.suggestions[0] == "core_dg_songshan_lake"
    # observed rail times name stations: districts can be left out of the look-up
    assert corridor.resolve("福田", districts=False) == "st_futian"
    assert corridor.resolve("罗湖", districts=False) == "st_shenzhen"
    assert corridor.resolve("松山湖", districts=False) == "core_dg_songshan_lake"
    # a node of the plan without a point: a clear error, not "unknown"
    with pytest.raises(UnlocatedPlaceError, match="no known location"):
        corridor.resolve("node_sz_unnamed_15")
    assert corridor.resolve("麻涌互通（沿江高速）") == "ic_yj_machong"
    # a station of a planned line is unknown until the line is enabled
    with pytest.raises(UnknownIdError):
        corridor.resolve("东莞中心")
    assert load_corridor(include_planned=True).resolve("东莞中心") == "st_dongguan_centre"


def test_resolve_many(corridor):
    assert corridor.resolve_many(["深圳北", "Guangzhou South", "core_sz_hitech_zone"]) == [
        "st_sz_north", "st_gz_south", "core_sz_hitech_zone"]
    with pytest.raises(UnknownIdError):
        corridor.resolve_many(["深圳北", "nowhere"])


# ----------------------------------------------------------------------------- extra nodes
def test_extra_nodes_are_added():
    c = load_corridor(extra_nodes=[FIX / "extra_nodes_ok.csv", FIX / "extra_nodes_ok.geojson"])
    assert len(c.nodes) == 7 + 4
    users = c.nodes[c.nodes["kind"] == "user_node"]
    assert list(users["id"]) == ["user_dg_campus", "user_sz_lab", "user_gz_park", "user_gz_hub"]
    assert c.resolve("Dongguan Test Campus") == "user_dg_campus"
    assert c.resolve("东莞测试园区") == "user_dg_campus"
    assert "user_node" in set(c.places()["kind"])
    single = load_corridor(extra_nodes=str(FIX / "extra_nodes_ok.csv"))
    assert len(single.nodes) == 9
    assert "user_dg_campus" in _ids(single.with_links(enable=["shenjiang_rail"]).nodes)


def test_extra_node_locates_a_bundled_node_without_a_point(tmp_path):
    f = tmp_path / "mine.csv"
    f.write_text("id,name,lon,lat,confidence\n"
                 "node_dg_unnamed_09,My Dongguan node,113.8,22.95,low\n", encoding="utf-8")
    c = load_corridor(extra_nodes=f)
    assert "node_dg_unnamed_09" not in set(c.unlocated_nodes["id"])
    assert len(c.unlocated_nodes) == 29
    assert c.resolve("node_dg_unnamed_09") == "node_dg_unnamed_09"
    assert c.resolve("My Dongguan node") == "node_dg_unnamed_09"
    # a located bundled node cannot be overridden
    f.write_text("id,name,lon,lat\nnode_sz_qianhai,Q,113.8,22.5\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="already used"):
        load_corridor(extra_nodes=f)


def test_extra_nodes_errors():
    with pytest.raises(DataValidationError) as info:
        load_corridor(extra_nodes=FIX / "bad_clashes_bundled.csv")
    assert (info.value.row, info.value.field) == (1, "id")
    assert "already used in the bundled geodata" in str(info.value)
    ok = FIX / "extra_nodes_ok.csv"
    with pytest.raises(DataValidationError, match="already used in"):
        load_corridor(extra_nodes=[ok, ok])
    with pytest.raises(DataValidationError) as info:
        load_corridor(extra_nodes=FIX / "bad_missing_lon.csv")
    assert info.value.field == "lon"
    assert "bad_missing_lon.csv" in str(info.value)


@pytest.mark.parametrize(("lon", "lat"), [(-113.75, 22.95), (0.0, 0.0), (113.6, 24.4)])
def test_extra_node_far_from_the_corridor_is_refused(tmp_path, lon, lat):
    """A node more than 30 km outside the corridor is an error, as a matrix point is.

    A sign slip (lon -113.75) was accepted and gave a 16,619 km drive in a scenario's
    matrix; (113.6, 24.4) lies about 50 km north of Conghua, beyond the 30 km margin.
    """
    f = tmp_path / "mine.csv"
    f.write_text("id,name,lon,lat\nuser_ok,Near,113.8,22.95\n"
                 f"user_far,Far,{lon},{lat}\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_corridor(extra_nodes=f)
    assert (info.value.row, info.value.field) == (2, "geometry")
    assert "farther than 30 km from the corridor's study area" in str(info.value)
    assert "mine.csv" in str(info.value)
    f.write_text("id,name,lon,lat\nuser_ok,Near,113.8,22.95\n", encoding="utf-8")
    assert "user_ok" in set(load_corridor(extra_nodes=f).nodes["id"])


def test_geodata_dir_keyword(tmp_path):
    for name in ("places.csv", "stations.csv", "links.csv", "link_stops.csv"):
        shutil.copy(settings.geodata_dir() / name, tmp_path / name)
    text = (tmp_path / "stations.csv").read_text(encoding="utf-8")
    (tmp_path / "stations.csv").write_text(text.replace(",high,", ",sure,", 1), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_corridor(geodata_dir=tmp_path)
    assert Path(info.value.path).name == "stations.csv"
    assert info.value.field == "confidence"


def test_point_id_and_place_point_are_the_one_rule():
    from shapely.geometry import Polygon

    from corridor_geo.corridor import place_point, point_id

    assert point_id(113.95, 22.54) == "point_113.950000_22.540000"
    # a concave (U-shaped) platform: the centroid falls outside, the place point inside
    u = Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    assert not u.contains(u.centroid)
    assert u.contains(place_point(u))
