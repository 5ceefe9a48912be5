"""The bundled rail tables: stop lists, opening years, service patterns, track lengths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corridor_geo._rail_tables import check_line_lengths, load_rail_tables
from corridor_geo.corridor import load_corridor
from corridor_geo.data import read_geodata
from corridor_geo.multimodal import MultimodalNetwork

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tables():
    return load_rail_tables()


def test_line_lengths_within_5_percent_or_reason(tables):
    checks = check_line_lengths(read_geodata().link_stops, tables)
    assert checks, "line_lengths.csv is empty"
    bad = [c for c in checks if not c.ok]
    assert bad == []
    # the fully measured lines match their published lengths (hand-checked figures)
    full = {(c.link_id, c.from_stop, c.to_stop): c for c in checks if c.n_measured == c.n_gaps}
    assert full[("gsh_xrl", "st_gz_south", "st_sz_north")].measured_km == pytest.approx(
        102.5, rel=0.05)
    assert full[("guanhui_icr", "st_dongguan_west", "st_xiaojinkou")].measured_km == \
        pytest.approx(103.1, rel=0.05)
    # its first section (2016), "about 53 km"
    assert full[("guanhui_icr", "st_changping_east", "st_xiaojinkou")].measured_km == \
        pytest.approx(53, rel=0.05)


def test_length_check_fails_without_reason(tables):
    from dataclasses import replace

    rows = tuple({**r, "length_km": r["length_km"] * 1.2} if r["link_id"] == "guanhui_icr"
                 else r for r in tables.lengths)
    bad = [c for c in check_line_lengths(read_geodata().link_stops, replace(tables, lengths=rows))
           if not c.ok]
    assert {c.link_id for c in bad} == {"guanhui_icr"}


def test_patterns_reference_known_links_and_stops(tables):
    gd = read_geodata()
    links = set(gd.links["id"])
    for p in tables.services:
        assert set(p.link_ids) <= links, p.id
        if p.stops:
            on = set(gd.link_stops[gd.link_stops["link_id"].isin(p.link_ids)]["stop_id"])
            assert set(p.stops) <= on, p.id
    assert set(tables.margins) <= links


@pytest.fixture(scope="module")
def services_by_year():
    out = {}
    for y in (2016, 2017, 2019, 2024, None):
        c = load_corridor(as_of=y)
        out[y] = MultimodalNetwork.build(c, street=False).services
    return out


def test_guanhui_sections_open_by_year(services_by_year):
    def stops(y):
        return {s for svc in services_by_year[y] if svc.id.startswith("guanhui_icr/all")
                for s in svc.stops}
    assert "st_songshanhu_north" not in stops(2016)   # Dongguan section: 2017-12-28
    assert {"st_changping_east", "st_xiaojinkou"} <= stops(2016)
    assert "st_songshanhu_north" in stops(2017)
    assert "st_dongguan_west" not in stops(2017)
    assert "st_dongguan_west" in stops(2019)
    assert len(stops(None)) == 18


def test_not_open_stop_never_served(services_by_year):
    # Jishan: a Guangshen station without scheduled passenger service (status not_open)
    assert all("st_jishan" not in s.stops for s in services_by_year[None])


def test_stop_served_from_its_opening_year():
    # Baiyun Airport East opened with the airport's T3 on 2025-10-30 (link_stops.csv)
    def served(year):
        mm = MultimodalNetwork.build(load_corridor(as_of=year), street=False, as_of=year)
        return {s.id for s in mm.services if "st_baiyun_airport_east" in s.stops}
    assert served(2024) == set()
    assert {"gz_east_ring_icr/all", "gz_east_ring_icr/express_airport_east"} <= served(2025)


def test_through_service_years(services_by_year):
    ids = {y: {s.id for s in v} for y, v in services_by_year.items()}
    assert "suishen_icr/gz_east_through" in ids[2019]
    assert "suishen_icr/gz_east_through" not in ids[2024]
    assert "suishen_icr/all" in ids[2024]
    thr = next(s for s in services_by_year[2019] if s.id == "suishen_icr/gz_east_through")
    assert thr.stops[:3] == ("st_gz_east", "st_shipai", "st_xintang_south")


def test_best_service_named(services_by_year):
    c = load_corridor()
    mm = MultimodalNetwork.build(c, street=False)
    t, svc = mm.fastest_in_vehicle("st_gz_south", "st_sz_north")
    allstops = next(s for s in mm.services if s.id == "gsh_xrl/all")
    assert svc.id != "gsh_xrl/all"
    assert t < allstops.in_vehicle_min("st_gz_south", "st_sz_north")


@pytest.mark.parametrize(("as_of", "query", "sid", "opens", "text"), [
    (2014, "福田", "st_futian", 2015, "is not open in 2014: it opens in 2015"),
    (2016, "松山湖北", "st_songshanhu_north", 2017, "it opens in 2017"),
    (2018, "Dongguan West", "st_dongguan_west", 2019, "it opens in 2019"),
    (2024, "白云机场东", "st_baiyun_airport_east", 2025, "it opens in 2025"),
    (None, "吉山", "st_jishan", None, "built but not open"),
    (None, "鱼珠", "st_yuzhu", None, "planned"),
])
def test_station_not_open_names_the_year(as_of, query, sid, opens, text):
    from corridor_geo.errors import StationNotOpenError, UnknownIdError

    with pytest.raises(StationNotOpenError) as info:
        load_corridor(as_of=as_of).resolve(query, districts=False)  # 福田 is also a district
    err = info.value
    assert isinstance(err, UnknownIdError)  # callers catching UnknownIdError still work
    assert err.station_id == sid
    assert err.opens == opens
    assert text in str(err)
    assert "unknown" not in str(err)


def test_unknown_name_still_unknown():
    from corridor_geo.errors import StationNotOpenError, UnknownIdError

    with pytest.raises(UnknownIdError) as info:
        load_corridor().resolve("Atlantis")
    assert not isinstance(info.value, StationNotOpenError)


def test_breakdown_names_the_service():
    mm = MultimodalNetwork.build(load_corridor(), street=False)
    r = mm.rail_times("st_gz_south", "st_sz_north")
    t, _ = mm.fastest_in_vehicle("st_gz_south", "st_sz_north")
    (sid,) = r["services"]
    svc = next(s for s in mm.services if s.id == sid)
    assert svc.id != "gsh_xrl/all"  # a faster pattern than the stopping train
    assert r["in_vehicle"] == pytest.approx(svc.in_vehicle_min("st_gz_south", "st_sz_north"))
    assert r["in_vehicle"] == pytest.approx(t)


def test_speed_limit_by_year_and_whole_link(tmp_path):
    from corridor_geo.errors import DataValidationError

    head = "link_id,from_stop,to_stop,max_kmh,first_year,last_year,source,confidence,note\n"
    (tmp_path / "rail_speed_limits.csv").write_text(
        head + "l,*,*,200,2007,2010,s,high,\nl,*,*,160,2011,2024,s,high,\n"
        "l,*,*,200,2025,,s,high,\nl,a,b,120,,,s,high,\n", encoding="utf-8")
    t = load_rail_tables(tmp_path)
    assert t.limit("l", "c", "d", year=2008) == 200
    assert t.limit("l", "c", "d", year=2011) == 160
    assert t.limit("l", "c", "d", year=2025) == 200
    assert t.limit("l", "c", "d") == 200            # today: rows without a last year
    assert t.limit("l", "b", "a", year=2008) == 120  # the lowest applicable cap wins
    assert t.limit("l", "c", "d", year=2000) is None
    (tmp_path / "rail_speed_limits.csv").write_text(head + "l,*,b,160,,,s,high,\n",
                                                   encoding="utf-8")
    with pytest.raises(DataValidationError, match="to_stop"):
        load_rail_tables(tmp_path)


def test_malformed_rail_tables_name_the_file_and_line(tmp_path):
    # an unquoted comma in a note (one field too many) and a missing column: one clear
    # error naming the file, line or column, not a traceback from deep in the loader
    from corridor_geo.errors import DataValidationError

    head = "id,link_ids,name_en,name_zh,kind,stops,first_year,last_year,headway_min,dwell_min,"
    (tmp_path / "services.csv").write_text(
        head + "source,confidence,note\n"
        "l/all,l,L,,all_stops,*,,,30,,s,high,a note, with a comma\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"services\.csv.*line 2 has 14 fields"):
        load_rail_tables(tmp_path)
    (tmp_path / "services.csv").unlink()
    (tmp_path / "rail_track_km.csv").write_text("link_id,from_stop,track_km\nl,a,1.0\n",
                                                encoding="utf-8")
    with pytest.raises(DataValidationError, match="to_stop"):
        load_rail_tables(tmp_path)


def test_unknown_direction_names_the_value(tmp_path):
    from corridor_geo.errors import DataValidationError

    (tmp_path / "services.csv").write_text(
        "id,link_ids,kind,stops,headway_min,confidence,direction\n"
        "l/x,l,express,a;b,30,high,westbound\n", encoding="utf-8")
    with pytest.raises(DataValidationError,
                       match=r"services\.csv.*direction.*'westbound'.*both, forward"):
        load_rail_tables(tmp_path)


def test_one_way_patterns_run_in_the_timetable_direction():
    # December 2025 timetable (docs/rail_model.md): the fast trains calling at Yunshan run
    # westbound from Xiaojinkou only, the direct Panyu - Airport East trains towards the
    # airport only. A trip the other way takes another train.
    c = load_corridor(as_of=2026)
    mm = MultimodalNetwork.build(c, street=False, walk=False, as_of=2026)
    one_way = {s.id: s for s in mm.services if s.direction == "forward"}
    assert set(one_way) == {"foguan_guanhui/express_yunshan",
                            "gz_east_ring_icr/direct_airport_east"}
    assert one_way["foguan_guanhui/express_yunshan"].stops[0] == "st_xiaojinkou"
    assert one_way["gz_east_ring_icr/direct_airport_east"].stops[0] == "st_gz_south"
    west = mm.fastest_in_vehicle("st_xiaojinkou", "st_changping_south")
    east = mm.fastest_in_vehicle("st_changping_south", "st_xiaojinkou")
    assert west[1].id == "foguan_guanhui/express_yunshan"
    assert east[1].direction == "both"
    # the timetable: 34-35 min westbound on the fast train, 58 min eastbound (stopping)
    assert west[0] < 40 < 50 < east[0]
    assert mm.fastest_in_vehicle("st_gz_south", "st_baiyun_airport_east")[1].id == \
        "gz_east_ring_icr/direct_airport_east"
    back = mm.fastest_in_vehicle("st_baiyun_airport_east", "st_gz_south")
    assert back[1].id != "gz_east_ring_icr/direct_airport_east"
    # the routed rail graph obeys the same rule
    to_air = mm.rail_times("st_gz_south", "st_baiyun_airport_east")
    from_air = mm.rail_times("st_baiyun_airport_east", "st_gz_south")
    assert "gz_east_ring_icr/direct_airport_east" not in from_air["services"]
    assert from_air["in_vehicle"] > to_air["in_vehicle"] or \
        "gz_east_ring_icr/direct_airport_east" not in to_air["services"]


def test_shiziyang_tunnel_cap_sits_on_the_gap_that_holds_the_tunnel(tables):
    """250 km/h under the Shiziyang: the tunnel (22.867 N, 113.559 E; Wikipedia) lies
    between Nansha North and Humen, not on the Guangzhou side."""
    st = read_geodata().stations.set_index("id")
    lon = {s: float(st.loc[s, "geometry"].x) for s in ("st_nansha_north", "st_humen")}
    assert lon["st_nansha_north"] < 113.55881 < lon["st_humen"]
    assert tables.limit("gsh_xrl", "st_nansha_north", "st_humen") == 250
    assert tables.limit("gsh_xrl", "st_gz_south", "st_nansha_north") is None


def test_line_margin_overrides_the_mode(tmp_path):
    # a line's own timetable allowance (rail_margins.csv) replaces its mode's: on a run
    # without intermediate stops the time is the pure running time of the trapezoidal
    # profile (run_time_s, hand formula) × (1 + margin)
    from corridor_geo.rail import LinkSpec, RailParameters, StopSpec, build_services, run_time_s

    spec = LinkSpec("l", "L", "high_speed_rail",
                    (StopSpec("a", "A", 114.0, 22.5), StopSpec("b", "B", 114.3, 22.5)),
                    cruise_kmh=300.0)

    def minutes(params=None):
        (svc,) = build_services([spec], params=params, tables=load_rail_tables(tmp_path))
        return svc, svc.in_vehicle_min("a", "b")

    svc, t_mode = minutes()                       # no rail_margins.csv: the mode's
    pure = run_time_s(svc.seg_km[0] * 1000.0, cruise_kmh=300.0, accel_ms2=0.5,
                      brake_ms2=0.6) / 60.0
    mode = RailParameters().modes["high_speed_rail"].running_margin
    assert t_mode == pytest.approx(pure * (1 + mode))
    (tmp_path / "rail_margins.csv").write_text(
        "link_id,running_margin,source,confidence,note\nl,0.10,s,low,\n", encoding="utf-8")
    assert minutes()[1] == pytest.approx(pure * 1.10)
    # a parameter overrides the file
    assert minutes(RailParameters(margin_by_link={"l": 0.0}))[1] == pytest.approx(pure)


@pytest.mark.parametrize(("rows", "match"), [
    ("l,1.5,s,low,\n", r"rail_margins\.csv.*running_margin.*'1\.5'"),
    ("l,-0.1,s,low,\n", r"rail_margins\.csv.*running_margin"),
    ("l,0.1,s,low,\nl,0.2,s,low,\n", r"rail_margins\.csv.*duplicate link id 'l'"),
    ("l,0.1,s,sure,\n", r"rail_margins\.csv.*confidence.*'sure'"),
])
def test_bad_rail_margins_name_the_file_and_field(tmp_path, rows, match):
    from corridor_geo.errors import DataValidationError

    (tmp_path / "rail_margins.csv").write_text(
        "link_id,running_margin,source,confidence,note\n" + rows, encoding="utf-8")
    with pytest.raises(DataValidationError, match=match):
        load_rail_tables(tmp_path)


def test_margin_parameter_is_a_fraction():
    from pydantic import ValidationError

    from corridor_geo.rail import RailParameters

    with pytest.raises(ValidationError, match="margin_by_link"):
        RailParameters(margin_by_link={"gsh_xrl": 2.0})


def test_xrl_runs_with_its_own_allowance(tables):
    # rail_margins.csv: the XRL at 0.30, the other high-speed lines at the mode's 0.35.
    # The Guangzhou South - Shenzhen North non-stop has no dwell, so its time scales with
    # (1 + margin); the Ganzhou - Shenzhen line's does not move.
    from corridor_geo.rail import RailParameters

    assert tables.margins["gsh_xrl"] == pytest.approx(0.30)
    c = load_corridor(as_of=2021)

    def run(params):
        mm = MultimodalNetwork.build(c, street=False, params=params)
        by_id = {s.id: s for s in mm.services}
        return (by_id["gsh_xrl/gzs_szn_nonstop"].in_vehicle_min("st_gz_south", "st_sz_north"),
                by_id["ganshen_hsr/all"].in_vehicle_min("st_sz_north", "st_dongguan_south"))

    xrl, gan = run(None)
    xrl_mode, gan_mode = run(RailParameters(margin_by_link={"gsh_xrl": 0.35}))
    assert xrl_mode / xrl == pytest.approx(1.35 / 1.30)
    assert gan_mode == pytest.approx(gan)
    # the published fastest of 2021 is 29 min (Guangdong DRC via dayoo.com)
    assert xrl == pytest.approx(29, rel=0.10)


@pytest.mark.parametrize("year", [2021, 2023, 2024, None])
def test_guangshen_trains_stopping_in_dongguan_run_after_2022(year):
    # hkcd 2021-04-09: from April 2021, 74 of the ~84 daily Guangshen EMUs stopped 1-4
    # times in Dongguan; shenzhen-fan 2023-05-29: the 2023 timetable's C7095 stops at
    # Dongguan, Changping and Zhangmutou only. So Guangzhou East - Dongguan is not left
    # to the hourly all-stops train after 2022 (it was, until this data fix).
    c = load_corridor(as_of=year)
    mm = MultimodalNetwork.build(c, street=False, as_of=year)
    three = ("st_gz_east", "st_dongguan", "st_changping", "st_zhangmutou", "st_shenzhen")
    assert any(s.stops == three for s in mm.services)
    # and a frequent one: about 37 such trains a direction a day (16 h / 37 = 26 min)
    hw = [s.headway_min for s in mm.services
          if s.runs("st_gz_east", "st_dongguan") and s.id != "guangshen_railway/all"]
    assert hw
    assert min(hw) <= 30


@pytest.mark.parametrize(("file", "old", "new", "row", "field", "match"), [
    # a speed limit on two stops that are not the ends of one gap never applied: the
    # XRL's fitted 70 km/h typed against Guangzhou South instead of Shenzhen North
    ("rail_speed_limits.csv", "gsh_xrl,st_sz_north,st_futian,70,",
     "gsh_xrl,st_gz_south,st_futian,70,", 9, "to_stop", "not consecutive stops of gsh_xrl"),
    ("rail_speed_limits.csv", "gsh_xrl,st_sz_north,st_futian,70,",
     "gsh_xr,st_sz_north,st_futian,70,", 9, "link_id", "unknown link 'gsh_xr'"),
    ("rail_track_km.csv", "gsh_xrl,st_futian,st_hk_west_kowloon,",
     "gsh_xrl,st_futian,st_west_kowloon,", None, "to_stop",
     "'st_west_kowloon' is not a stop of gsh_xrl"),
    ("services.csv", "st_gz_south;st_humen;st_sz_north;st_futian,2011",
     "st_gz_south;st_humen;st_sz_north;st_futain,2011", None, "stops",
     "'st_futain' is not a stop of gsh_xrl"),
])
def test_rail_table_row_that_would_never_apply_names_file_row_and_field(
        tmp_path, file, old, new, row, field, match):
    # a user's geodata folder: before, such a row was silently left out of every run
    from corridor_geo.errors import DataValidationError

    folder = tmp_path / "geodata"
    shutil.copytree(ROOT / "geodata", folder)
    text = (folder / file).read_text(encoding="utf-8")
    assert text.count(old) == 1
    (folder / file).write_text(text.replace(old, new), encoding="utf-8")
    n = next(k for k, line in enumerate(text.splitlines()) if old in line)
    assert row is None or n == row
    with pytest.raises(DataValidationError, match=match) as err:
        MultimodalNetwork.build(load_corridor(geodata_dir=folder), street=False, walk=False)
    assert err.value.path is not None
    assert Path(err.value.path).name == file
    assert (err.value.row, err.value.field) == (n, field)
