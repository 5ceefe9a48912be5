"""Validation of modelled against observed times."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _multimodal_toy import toy_corridor

from corridor_geo.errors import DataValidationError
from corridor_geo.matrix import travel_time_matrix
from corridor_geo.multimodal import MultimodalNetwork
from corridor_geo.validate import read_observed, validate_times

FIXTURE = Path(__file__).parent / "fixtures" / "observed_times.csv"


def test_rows_and_summary_by_hand(tmp_path):
    c = toy_corridor()
    mm = MultimodalNetwork.build(c, street=False, walk=False)
    f = tmp_path / "obs.csv"
    f.write_text("from,to,minutes,extra\nAlpha,Charlie,10,x\n丙站,st_b,8,y\nst_a,st_d,40,z\n",
                 encoding="utf-8")
    rows, s = validate_times(c, f, network=mm)
    l1 = next(x for x in mm.services if x.id == "l1")
    ac = l1.in_vehicle_min("st_a", "st_c")
    cb = l1.in_vehicle_min("st_c", "st_b")
    ad = travel_time_matrix(c, ["st_a"], ["st_d"], mode="best", network=mm).minutes.iloc[0]
    assert list(rows.comparison) == ["station_to_station", "station_to_station",
                                     "door_to_door"]
    assert list(rows.service[:2]) == ["l1", "l1"]
    assert rows.modelled_min.tolist() == pytest.approx([ac, cb, ad])
    errs = [ac - 10, cb - 8, ad - 40]
    assert rows.error_pct.tolist() == pytest.approx([100 * errs[0] / 10, 100 * errs[1] / 8,
                                                     100 * errs[2] / 40])
    assert s["n"] == 3
    assert s["n_station_to_station"] == 2
    assert s["n_door_to_door"] == 1
    assert s["mae_min"] == pytest.approx(sum(abs(e) for e in errs) / 3)
    assert s["bias_min"] == pytest.approx(sum(errs) / 3)
    assert s["mape_pct"] == pytest.approx(
        (abs(errs[0]) / 10 + abs(errs[1]) / 8 + abs(errs[2]) / 40) / 3 * 100)


def test_bad_tables(tmp_path):
    f = tmp_path / "obs.csv"
    f.write_text("from,to,min\na,b,3\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="minutes"):
        read_observed(f)
    f.write_text("from,to,minutes\nst_a,st_b,-3\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="row 1, field minutes"):
        read_observed(f)
    f.write_text("from,to,minutes\nst_a,Zulu,3\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="row 1, field to"):
        validate_times(toy_corridor(), f, street=False)


def test_fixture_on_bundled_data():
    from corridor_geo.corridor import load_corridor

    rows, s = validate_times(load_corridor(), FIXTURE, street=False)
    assert s["n"] == 5
    assert rows.comparison.tolist()[:4] == ["station_to_station"] * 4
    assert rows.comparison.iloc[4] == "door_to_door"
    # today the fastest Guangzhou East - Shenzhen train is the non-stop of the 2025 upgrade
    assert rows.service.iloc[1] == "guangshen_railway/nonstop_2025"


def test_year_mode_kind_columns_and_per_line_bias(tmp_path):
    c = toy_corridor()
    mm = MultimodalNetwork.build(c, street=False, walk=False)
    f = tmp_path / "obs.csv"
    f.write_text("from,to,minutes,year,mode,kind\n"
                 "Alpha,Charlie,10,,rail,fastest\n"
                 "st_b,st_d,5,,,all-stops service\n"
                 "st_a,st_d,40,,transit,\n", encoding="utf-8")
    obs = read_observed(f)
    assert obs["mode"].fillna("").tolist() == ["rail", "", "transit"]
    assert obs["all_stops"].tolist() == [False, True, False]
    rows, s = validate_times(c, obs, network=mm)
    assert rows["line"].tolist() == ["l1", "l2", "transit"]
    assert rows["comparison"].tolist() == ["station_to_station", "station_to_station",
                                           "door_to_door"]
    per = {r["line"]: r for r in s["per_line"]}
    l1 = next(x for x in mm.services if x.id == "l1").in_vehicle_min("st_a", "st_c")
    assert per["l1"]["bias_min"] == pytest.approx(l1 - 10)
    assert per["l1"]["bias_pct"] == pytest.approx(100 * (l1 - 10) / 10)
    assert per["l1"]["n"] == 1
    assert s["rail_mape_pct"] == pytest.approx(
        (abs(rows.error_pct.iloc[0]) + abs(rows.error_pct.iloc[1])) / 2)


def test_year_and_mode_errors(tmp_path):
    f = tmp_path / "obs.csv"
    f.write_text("from,to,minutes,year\nst_a,st_b,3,20x1\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="row 1, field year"):
        read_observed(f)
    f.write_text("from,to,minutes,mode\nst_a,st_b,3,boat\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="row 1, field mode"):
        read_observed(f)
    f.write_text("from,to,minutes,mode\nst_a,st_d,3,rail\n", encoding="utf-8")
    c = toy_corridor()
    with pytest.raises(DataValidationError, match="no rail service stops at both"):
        validate_times(c, f, network=MultimodalNetwork.build(c, street=False))


def test_year_column_uses_that_years_network():
    from corridor_geo.corridor import load_corridor

    obs = pd.DataFrame({"from": ["小金口", "小金口"], "to": ["常平东", "常平东"],
                        "observed_min": [53.0, 53.0], "year": pd.array([2016, 2021], "Int64"),
                        "mode": ["rail", "rail"], "all_stops": [True, True]})
    rows, _ = validate_times(load_corridor(), obs, street=False)
    # the year picks that year's pattern: in 2016 (opening) the line ran at up to 160 km/h
    # (180 later; 2-min stops in both), so the same stopping run is slower; the year is
    # reported
    assert rows["year"].tolist() == [2016, 2021]
    assert rows["service"].tolist() == ["guanhui_icr/all_2016", "guanhui_icr/all"]
    assert rows["modelled_min"].iloc[0] > rows["modelled_min"].iloc[1]


def test_drive_rows_compare_with_the_drive_mode(tmp_path):
    # st_a and st_c share rail line l1, so a row without a mode is a station-to-station
    # rail comparison; with mode=drive it is the drive mode's time (driving, without
    # parking; door to door with drive_parking), not best-of-modes
    c = toy_corridor()
    mm = MultimodalNetwork.build(c, street=False)
    f = tmp_path / "obs.csv"
    f.write_text("from,to,minutes,mode\nst_a,st_c,30,drive\nst_a,st_c,30,\n", encoding="utf-8")
    rows, _ = validate_times(c, f, network=mm)
    drive = travel_time_matrix(c, ["st_a"], ["st_c"], mode="drive", network=mm).iloc[0]
    best = travel_time_matrix(c, ["st_a"], ["st_c"], mode="best", network=mm).iloc[0]
    assert drive.minutes != pytest.approx(best.minutes)  # the test can tell them apart
    assert rows.comparison.tolist() == ["driving", "station_to_station"]
    assert rows.service.iloc[0] == "drive"
    assert rows.line.iloc[0] == "drive"
    assert rows.modelled_min.iloc[0] == pytest.approx(drive.minutes - mm.params.park_min)
    rows, _ = validate_times(c, f, network=mm, drive_parking=True)
    assert rows.comparison.tolist() == ["door_to_door", "station_to_station"]
    assert rows.modelled_min.iloc[0] == pytest.approx(drive.minutes)


def test_drive_rows_compare_driving_time_without_parking_by_hand(tmp_path):
    # no street network: a drive trip is straight line × drive_circuity at
    # drive_fallback_kmh, plus park_min at the destination (door to door)
    from pyproj import Geod

    c = toy_corridor()
    mm = MultimodalNetwork.build(c, street=False, walk=False)
    p = mm.params
    # st_a (114.0, 22.5) -> st_c (114.2, 22.5): 0.2° of longitude on 22.5°N, 20.58 km
    geo_m = Geod(ellps="WGS84").inv(114.0, 22.5, 114.2, 22.5)[2]
    assert geo_m == pytest.approx(20_579, abs=1)
    driving = geo_m * p.drive_circuity / (p.drive_fallback_kmh / 3.6) / 60.0
    assert driving == pytest.approx(20.579 * 1.3 / 35 * 60, rel=1e-4)  # 45.86 min
    f = tmp_path / "obs.csv"
    f.write_text("from,to,minutes,mode\nst_a,st_c,40,drive\n", encoding="utf-8")
    rows, s = validate_times(c, f, network=mm)
    assert rows.comparison.tolist() == ["driving"]
    assert rows.modelled_min.iloc[0] == pytest.approx(driving, rel=1e-4)
    assert rows.error_pct.iloc[0] == pytest.approx(100 * (driving - 40) / 40, rel=1e-4)
    cell = travel_time_matrix(c, ["st_a"], ["st_c"], mode="drive", network=mm).iloc[0]
    assert cell.minutes == pytest.approx(driving + p.park_min, rel=1e-4)  # matrix: door to door
    assert cell.egress_min == p.park_min
    assert s["n_driving"] == 1
    assert s["n_door_to_door"] == 0
    assert s["drive_n"] == 1
    assert s["drive_mape_pct"] == pytest.approx(abs(rows.error_pct.iloc[0]))
    assert s["drive_within_25_pct"] == 100.0  # +14.6 %
    # --drive-parking: the door-to-door time, 8 min more
    rows_p, s_p = validate_times(c, f, network=mm, drive_parking=True)
    assert rows_p.comparison.tolist() == ["door_to_door"]
    assert rows_p.modelled_min.iloc[0] == pytest.approx(driving + 8.0, rel=1e-4)
    assert s_p["n_driving"] == 0
    assert s_p["drive_n"] == 1
    assert s_p["drive_within_25_pct"] == 0.0  # +34.6 %


def test_drive_rows_driving_time_on_the_default_network_by_hand():
    # Songshan Lake -> Shenzhen North on the bundled default street network: driving =
    # connector from each place to its snapped node (straight × drive_circuity at
    # connector_drive_kmh) + the shortest network time between the two nodes; the matrix
    # adds park_min (8 min) as egress. Shown as "egress 8.0" by `corridor-geo matrix`.
    import numpy as np
    from scipy.sparse.csgraph import dijkstra

    from corridor_geo.corridor import load_corridor
    from corridor_geo.graph import load_network

    c = load_corridor()
    street = load_network(source="default", network_type="drive")
    mm = MultimodalNetwork.build(c, street=street)
    obs = pd.DataFrame({"from": ["松山湖"], "to": ["深圳北"], "observed_min": [30.0],
                        "year": pd.array([None], dtype="Int64"), "mode": ["drive"],
                        "all_stops": [False]})
    rows, _ = validate_times(c, obs, network=mm)
    layer, p = mm.drive, mm.params
    assert layer is not None
    pts = c.places().set_index("id").geometry
    o, d = pts["core_dg_songshan_lake"], pts["st_sz_north"]
    nodes, dist_m = layer.snap(np.array([o.x, d.x]), np.array([o.y, d.y]))
    assert (dist_m <= layer.max_snap_m).all()  # both ends joined by a connector
    net_s = dijkstra(layer.time, directed=True, indices=int(nodes[0]))[int(nodes[1])]
    connectors_s = float(dist_m.sum()) * p.drive_circuity / (p.connector_drive_kmh / 3.6)
    by_hand = (connectors_s + net_s) / 60.0
    assert rows.comparison.iloc[0] == "driving"
    assert rows.modelled_min.iloc[0] == pytest.approx(by_hand, abs=1e-6)
    cell = travel_time_matrix(c, ["松山湖"], ["深圳北"], mode="drive", network=mm).iloc[0]
    assert cell.egress_min == p.park_min == 8.0
    assert cell.in_vehicle_min == pytest.approx(by_hand, abs=1e-6)
    assert cell.minutes == pytest.approx(by_hand + 8.0, abs=1e-6)
    rows_p, _ = validate_times(c, obs, network=mm, drive_parking=True)
    assert rows_p.modelled_min.iloc[0] == pytest.approx(by_hand + 8.0, abs=1e-6)


def test_drive_rows_use_the_expressways_of_their_year_built_once_per_year(monkeypatch):
    # Guangming Phoenix City -> Longgang: the Shenzhen Outer Ring opened on 2020-12-29, so
    # a 2019 row drives without it and a 2021 row with it. Each year's default street
    # network is loaded once (rows of one year share it); the 2019 row equals the driving
    # time recomputed here with scipy on the 2019 network (connectors + Dijkstra)
    import numpy as np
    from scipy.sparse.csgraph import dijkstra

    from corridor_geo import graph
    from corridor_geo.corridor import load_corridor

    calls: list[int | None] = []
    real = graph.load_network

    def counting(*args, **kwargs):
        if kwargs.get("network_type") == "drive":
            calls.append(kwargs.get("as_of"))
        return real(*args, **kwargs)

    monkeypatch.setattr(graph, "load_network", counting)
    c = load_corridor()
    a, b = "node_sz_guangming_phoenix_city", "dist_sz_longgang"
    obs = pd.DataFrame({"from": [a, a, a], "to": [b, b, b], "observed_min": [30.0] * 3,
                        "year": pd.array([2019, 2021, 2019], dtype="Int64"),
                        "mode": ["drive"] * 3, "all_stops": [False] * 3})
    rows, _ = validate_times(c, obs)
    assert sorted(calls) == [2019, 2021]
    t19, t21, t19b = rows.modelled_min.tolist()
    assert t19 == t19b
    assert t19 > t21 + 5.0  # 2019 route without the Outer Ring (default-12: ~8 min longer)
    monkeypatch.setattr(graph, "load_network", real)
    street = real(source="default", network_type="drive", as_of=2019)
    assert street.meta["as_of"] == 2019
    mm = MultimodalNetwork.build(c.at_year(2019), street=street)
    layer, p = mm.drive, mm.params
    assert layer is not None
    pts = c.places().set_index("id").geometry
    nodes, dist_m = layer.snap(np.array([pts[a].x, pts[b].x]), np.array([pts[a].y, pts[b].y]))
    net_s = dijkstra(layer.time, directed=True, indices=int(nodes[0]))[int(nodes[1])]
    connectors_s = float(dist_m.sum()) * p.drive_circuity / (p.connector_drive_kmh / 3.6)
    assert t19 == pytest.approx((connectors_s + net_s) / 60.0, abs=1e-6)


def test_points_given_as_lon_lat(tmp_path):
    # st_a is at (114.0, 22.5): a drive row from that point is the same trip as from st_a
    c = toy_corridor()
    mm = MultimodalNetwork.build(c, street=False, walk=False)
    f = tmp_path / "obs.csv"
    f.write_text('from,to,minutes,mode\n"114.0, 22.5",st_c,40,drive\nst_a,st_c,40,drive\n',
                 encoding="utf-8")
    rows, _ = validate_times(c, f, network=mm)
    assert rows.from_id.tolist() == ["point_114.000000_22.500000", "st_a"]
    assert rows.comparison.tolist() == ["driving", "driving"]
    assert rows.modelled_min.iloc[0] == pytest.approx(rows.modelled_min.iloc[1], abs=1e-9)
    # a point is never a station: a rail row with one is refused, naming the row and field
    f.write_text('from,to,minutes,mode\nst_a,st_c,10,rail\n"114.0,22.5",st_c,10,rail\n',
                 encoding="utf-8")
    with pytest.raises(DataValidationError, match="row 2, field from"):
        validate_times(c, f, network=mm)
    f.write_text('from,to,minutes,mode\nst_a,"500,22.5",10,drive\n', encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"row 1, field to.*not a WGS84"):
        validate_times(c, f, network=mm)


def test_names_resolve_to_stations_first_then_districts():
    from corridor_geo.corridor import load_corridor

    obs = pd.DataFrame({"from": ["福田", "福田区", "dist_sz_futian"], "to": ["深圳北"] * 3,
                        "observed_min": [20.0] * 3, "year": pd.array([None] * 3, "Int64"),
                        "mode": ["drive"] * 3, "all_stops": [False] * 3})
    rows, _ = validate_times(load_corridor(), obs, street=False)
    assert rows.from_id.tolist() == ["st_futian", "dist_sz_futian", "dist_sz_futian"]


def test_station_without_rail_service_is_a_place_for_drive_rows_not_for_rail():
    from corridor_geo.corridor import load_corridor

    # Guangzhou North exists (geodata/stations.csv) but the rail model serves it only on
    # the planned second Guangzhou-Shenzhen HSR: a drive row takes its location, the same
    # trip as from its coordinates read straight from the file; a rail row is refused
    # with the year it opens
    st = pd.read_csv(Path(__file__).parents[1] / "geodata" / "stations.csv")
    lon, lat = st.loc[st["id"] == "st_gz_north", ["lon", "lat"]].iloc[0]
    obs = pd.DataFrame({"from": ["广州北站", f"{lon},{lat}"], "to": ["深圳北"] * 2,
                        "observed_min": [100.0] * 2, "year": pd.array([2023] * 2, "Int64"),
                        "mode": ["drive"] * 2, "all_stops": [False] * 2})
    rows, _ = validate_times(load_corridor(), obs, street=False)
    # the row naming the station reports the station's id; the coordinates, a point id
    assert rows.from_id.tolist() == ["st_gz_north", f"point_{lon:.6f}_{lat:.6f}"]
    assert rows.modelled_min.iloc[0] == pytest.approx(rows.modelled_min.iloc[1], abs=1e-9)
    rail = obs.assign(mode=["drive", "rail"], **{"from": ["广州北站"] * 2})
    with pytest.raises(DataValidationError,
                       match=r"row 2, field from.*st_gz_north.*not open in 2023.*2029"):
        validate_times(load_corridor(), rail, street=False)


def test_compare_timetable_by_hand_and_with_the_models_own_feed(tmp_path):
    # the hand-made XRL feed: one non-stop train Guangzhou South -> Shenzhen North, 40 min
    # on board, no train back: one pair compared, error = model - 40
    pytest.importorskip("gtfs_kit")
    from _gtfs_feeds import write_xrl_feed

    from corridor_geo.corridor import load_corridor
    from corridor_geo.gtfs import export_gtfs, read_gtfs
    from corridor_geo.validate import TIMETABLE_COLUMNS, compare_timetable

    c = load_corridor(as_of=2026)
    mm = MultimodalNetwork.build(c, street=False, walk=False)
    rows, s = compare_timetable(mm, read_gtfs(write_xrl_feed(tmp_path / "xrl"), corridor=c))
    model, svc = mm.fastest_in_vehicle("st_gz_south", "st_sz_north")
    assert list(rows.columns) == list(TIMETABLE_COLUMNS)
    assert rows[["from_id", "to_id", "scheduled_min", "service"]].to_numpy().tolist() == [
        ["st_gz_south", "st_sz_north", 40.0, svc.id]]
    assert rows["error_pct"].iloc[0] == pytest.approx(100 * (model - 40) / 40)
    assert (s["n"], s["n_pairs_in_feed"], s["n_not_modelled"]) == (1, 1, 0)
    assert s["within_20_pct"] == (100.0 if abs(model - 40) <= 8 else 0.0)
    # the model's own services written as GTFS and read back: every pair the same
    feed = read_gtfs(export_gtfs(mm.services, tmp_path / "m.zip", stations=mm.stations),
                     corridor=c)
    rows, s = compare_timetable(mm, feed)
    assert s["n_not_modelled"] == 0
    assert s["n"] > 1000
    assert rows["error_min"].abs().max() < 0.05  # whole-second rounding of the feed


@pytest.mark.parametrize(("row", "field", "expected"), [
    ("广州南,深圳北,1e300", "minutes", "less than or equal to 1440"),   # a 300-digit MAE
    ("广州南,深圳北,1e-310", "minutes", "greater than or equal to 0.1"),  # MAPE inf %
    ('"1e300,1e300",深圳北,10', "from", "not a WGS84 lon/lat pair"),   # "unknown station"
    ("广州南," + "x" * 600 + ",10", "to", "… (600 characters)"),         # echoed whole
])
def test_bad_rows_name_the_file_row_and_field_from_the_cli(tmp_path, row, field, expected):
    """``validate-times``: one line naming the file, the row and the field, kept short.

    The comments say what each row gave before.
    """
    from click.testing import CliRunner

    from corridor_geo.cli import main

    f = tmp_path / "obs.csv"
    f.write_text(f"from,to,minutes\n广州南,深圳北,36\n{row}\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["-q", "validate-times", str(f), "--no-streets"])
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line, line
    assert len(line) < 400, line
    assert line.startswith(f"corridor-geo: error: {f}, row 2, field {field}: "), line
    assert expected in line


@pytest.mark.parametrize(("frame", "message"), [
    ({"from": ["Alpha"], "to": ["Charlie"], "minutes": [10.0]},
     "missing column(s) observed_min"),
    ({"from": ["Alpha"], "to": ["Charlie"], "observed_min": [float("nan")]},
     "row 1, field observed_min"),
    ({"from": ["Alpha", "Alpha"], "to": ["Charlie", ""], "observed_min": [10.0, 9.0]},
     "row 2, field to"),
    ({"from": ["Alpha"], "to": ["Charlie"], "observed_min": [10.0], "mode": ["boat"]},
     "row 1, field mode: got 'boat'"),
    ({"from": ["Alpha"], "to": ["Charlie"], "observed_min": [10.0], "year": [1700]},
     "row 1, field year"),
    ({"from": [], "to": [], "observed_min": []}, "no rows"),
    # astype(bool) read any text or NaN as True (a stopping train compared) without a word
    ({"from": ["Alpha"], "to": ["Charlie"], "observed_min": [10.0], "all_stops": ["maybe"]},
     "row 1, field all_stops: got 'maybe'; expected True or False"),
    ({"from": ["Alpha"], "to": ["Charlie"], "observed_min": [10.0],
      "all_stops": [float("nan")]}, "row 1, field all_stops: got nan"),
])
def test_bad_frame_is_one_argument_error(frame, message):
    # a DataFrame is checked as a file's rows are (was a bare KeyError / a nan row)
    from corridor_geo.errors import ArgumentError

    c = toy_corridor()
    mm = MultimodalNetwork.build(c, street=False, walk=False)
    with pytest.raises(ArgumentError, match=re.escape(message)):
        validate_times(c, pd.DataFrame(frame), network=mm)


@pytest.mark.parametrize(("cell", "mode"), [("Rail", "Rail"), ('" Rail "', " Rail ")])
def test_frame_mode_is_read_as_the_file_would_be(tmp_path, cell, mode):
    """A frame's mode in any case or with blanks gives the file's rail comparison.

    (" Rail " passed the frame's check, since the row model strips blanks, but the frame
    kept " rail ", which the comparison then refused as an unknown mode.)
    """
    c = toy_corridor()
    mm = MultimodalNetwork.build(c, street=False, walk=False)
    f = tmp_path / "obs.csv"
    f.write_text(f"from,to,minutes,mode\nAlpha,Charlie,10,{cell}\n", encoding="utf-8")
    from_file, _ = validate_times(c, f, network=mm)
    frame = pd.DataFrame({"from": ["Alpha"], "to": ["Charlie"], "observed_min": [10.0],
                          "mode": [mode], "all_stops": [np.False_]})
    from_frame, _ = validate_times(c, frame, network=mm)
    assert from_file["mode"].tolist() == from_frame["mode"].tolist() == ["rail"]
    assert from_frame["modelled_min"].tolist() == from_file["modelled_min"].tolist()


def test_frame_all_stops_text_is_read_as_a_boolean():
    """all_stops "False" (text, e.g. a frame from a CSV read as str) was cast by
    astype(bool) to True: the row was compared with the stopping service."""
    from corridor_geo.validate import _check_observed_frame

    frame = pd.DataFrame({"from": ["Alpha"] * 4, "to": ["Charlie"] * 4,
                          "observed_min": [10.0] * 4,
                          "all_stops": ["False", "true", 0, np.True_]})
    assert _check_observed_frame(frame)["all_stops"].tolist() == [False, True, False, True]
