"""Rail model: speed profile, distances, services, as_of, user timetables."""

from __future__ import annotations

import math

import pytest
from _multimodal_toy import toy_corridor
from pyproj import Geod

from corridor_geo.errors import DataValidationError, UnknownIdError
from corridor_geo.rail import (
    LinkSpec,
    RailParameters,
    StopSpec,
    active_link_ids,
    build_services,
    link_specs_from_corridor,
    read_scheduled_times,
    run_time_s,
)

GEOD = Geod(ellps="WGS84")


def test_run_time_trapezoid_by_hand():
    # 20 km at 180 km/h = 50 m/s, a = 0.5, b = 0.625:
    # ramps 2500 m + 2000 m; cruise 15500 m / 50 = 310 s; ramps 100 s + 80 s
    assert run_time_s(20_000, cruise_kmh=180, accel_ms2=0.5, brake_ms2=0.625) == \
        pytest.approx(310 + 100 + 80)


def test_run_time_triangle_by_hand():
    # 1 km with a = b = 0.5 at 300 km/h never reaches cruise: peak sqrt(2*1000*.25/1) = 22.36
    vp = math.sqrt(500.0)
    assert run_time_s(1000, cruise_kmh=300, accel_ms2=0.5, brake_ms2=0.5) == \
        pytest.approx(2 * vp / 0.5)
    # continuity at the switch distance
    v = 50.0
    d = v * v / 1.0
    assert run_time_s(d, cruise_kmh=180, accel_ms2=0.5, brake_ms2=0.5) == pytest.approx(
        run_time_s(d - 1e-6, cruise_kmh=180, accel_ms2=0.5, brake_ms2=0.5), abs=1e-4)


# the hand computations below leave out the fitted timetable allowance
_BASE = RailParameters()
NO_MARGIN = _BASE.model_copy(update={"modes": {
    k: v.model_copy(update={"running_margin": 0.0}) for k, v in _BASE.modes.items()}})


def _services(**kw):
    kw.setdefault("params", NO_MARGIN)
    c = toy_corridor()
    specs = link_specs_from_corridor(c, link_ids=kw.pop("link_ids", ["l1", "l2"]))
    return {s.id: s for s in build_services(specs, **kw)}


def test_two_stop_service_recomputed_by_hand():
    svc = _services()["l2"]
    p = RailParameters()
    # no km posts, no length: geodesic B-D x circuity 1.2 at the operating speed 200 km/h
    d = GEOD.inv(114.1, 22.5, 114.1, 22.6)[2] * p.circuity
    v = 200 / 3.6
    a, b = p.modes["high_speed_rail"].accel_ms2, p.modes["high_speed_rail"].brake_ms2
    by_hand = (d / v + v / (2 * a) + v / (2 * b)) / 60
    assert svc.stops == ("st_b", "st_d")
    assert svc.distance_method == ("geodesic_circuity",)
    assert svc.seg_km[0] == pytest.approx(d / 1000)
    assert svc.in_vehicle_min("st_b", "st_d") == pytest.approx(by_hand)
    assert svc.in_vehicle_min("st_d", "st_b") == pytest.approx(by_hand)


def test_km_posts_and_dwell():
    svc = _services()["l1"]
    assert svc.distance_method == ("km_post", "km_post")
    assert svc.seg_km == (10.0, 10.0)
    prof = RailParameters().modes["intercity_rail"]
    one = run_time_s(10_000, cruise_kmh=100, accel_ms2=prof.accel_ms2,
                     brake_ms2=prof.brake_ms2) / 60
    assert svc.in_vehicle_min("st_a", "st_c") == pytest.approx(2 * one + prof.dwell_min)
    assert svc.distance_km("st_c", "st_a") == 20.0


def test_design_speed_factor_when_no_operating_speed():
    c = toy_corridor()
    c.links.loc[c.links.id == "l2", "operating_speed_kmh"] = None
    spec = next(s for s in link_specs_from_corridor(c) if s.id == "l2")
    assert spec.cruise_kmh == pytest.approx(250 * 0.9)
    assert spec.speed_source == "design×factor"


def test_length_prorated_and_unplaced_stop():
    stops = (StopSpec("a", "A", 114.0, 22.5), StopSpec(None, "ghost"),
             StopSpec("b", "B", 114.2, 22.5))
    geo = GEOD.inv(114.0, 22.5, 114.2, 22.5)[2] / 1000
    spec = LinkSpec("x", "X", "intercity_rail", stops, cruise_kmh=120.0, length_km=geo * 1.1)
    (svc,) = build_services([spec], params=NO_MARGIN)
    assert svc.distance_method == ("length_prorated",)
    assert svc.seg_km[0] == pytest.approx(geo * 1.1)
    prof = RailParameters().modes["intercity_rail"]
    half = run_time_s(geo * 1.1 * 500, cruise_kmh=120, accel_ms2=prof.accel_ms2,
                      brake_ms2=prof.brake_ms2) / 60
    # the train also stops at the unplaced stop, assumed half-way
    assert svc.seg_min[0] == pytest.approx(2 * half + prof.dwell_min)


def test_as_of_and_edits_select_links():
    links = toy_corridor().links
    assert active_link_ids(links, as_of=2015) == ["l1"]
    assert active_link_ids(links, as_of=2020) == ["l1", "l2"]
    assert active_link_ids(links, as_of=None) == ["l1", "l2"]
    assert active_link_ids(links, as_of=None, enable=["l3"], close=["l1"]) == ["l2", "l3"]
    with pytest.raises(UnknownIdError, match="close matches"):
        active_link_ids(links, as_of=None, close=["l4"])


def test_headway_and_speed_factor_edits():
    s = _services(headway_min={"l1": 12.0}, speed_factors={"l2": 0.5})
    base = _services()
    assert s["l1"].headway_min == 12.0
    assert base["l1"].headway_min == RailParameters().modes["intercity_rail"].headway_min
    assert s["l2"].cruise_kmh == 100.0
    prof = RailParameters().modes["high_speed_rail"]
    assert s["l2"].seg_min[0] == pytest.approx(run_time_s(
        base["l2"].seg_km[0] * 1000, cruise_kmh=100, accel_ms2=prof.accel_ms2,
        brake_ms2=prof.brake_ms2) / 60)


def test_express_pattern():
    p = NO_MARGIN.model_copy(update={"express_stops": {"l1": ("st_a", "st_c")},
                                     "express_headway_min": {"l1": 20.0}})
    s = _services(params=p)
    assert s["l1/express"].stops == ("st_a", "st_c")
    assert s["l1/express"].in_vehicle_min("st_a", "st_c") < s["l1"].in_vehicle_min("st_a",
                                                                                    "st_c")


def test_scheduled_times_override(tmp_path):
    f = tmp_path / "times.csv"
    f.write_text("from,to,minutes,link_id,comment\nAlpha,丙站,15,l1,x\n", encoding="utf-8")
    times = read_scheduled_times(f, resolve=toy_corridor().resolve)
    assert times[0].from_id == "st_a"
    assert times[0].to_id == "st_c"
    s = _services(scheduled=times)["l1"]
    assert s.in_vehicle_min("st_a", "st_c") == pytest.approx(15.0)
    assert s.scheduled


@pytest.mark.parametrize("reverse", [False, True], ids=["short-first", "long-first"])
def test_scheduled_times_that_share_stops_all_hold(reverse):
    # a timetable read from one origin: A - B 6 min and A - C 15 min on l1 (A, B, C).
    # The row read last rescaled the other's segments: A - B came out 6.37 (rows in this
    # order), or A - C 14.0 (the other order).
    from corridor_geo.rail import ScheduledTime

    times = [ScheduledTime("st_a", "st_b", 6.0), ScheduledTime("st_a", "st_c", 15.0)]
    s = _services(scheduled=times[::-1] if reverse else times)["l1"]
    assert s.in_vehicle_min("st_a", "st_b") == pytest.approx(6.0)
    assert s.in_vehicle_min("st_a", "st_c") == pytest.approx(15.0)
    # by hand: B - C is what is left after the dwell at B
    assert s.in_vehicle_min("st_b", "st_c") == pytest.approx(15.0 - 6.0 - s.dwell_min)


def test_scheduled_times_that_cannot_all_hold_are_an_error():
    from corridor_geo.rail import ScheduledTime

    dwell = NO_MARGIN.modes["intercity_rail"].dwell_min
    # A - B 6 and B - C 6 give A - C 6 + dwell + 6 = 13; a row saying 20 disagrees
    times = [ScheduledTime("st_a", "st_b", 6.0), ScheduledTime("st_b", "st_c", 6.0)]
    ok = _services(scheduled=[*times, ScheduledTime("st_a", "st_c", 12.0 + dwell)])["l1"]
    assert ok.in_vehicle_min("st_a", "st_c") == pytest.approx(12.0 + dwell)
    with pytest.raises(DataValidationError, match=r"st_a - st_c 20 min \(service l1\): the "
                                                  r"shorter rows .* already give 13\.0 min"):
        _services(scheduled=[*times, ScheduledTime("st_a", "st_c", 20.0)])
    # a time shorter than the stops on the way leaves no running time (was: 0 s runs)
    with pytest.raises(DataValidationError, match=r"st_a - st_c 0\.5 min .* leaves no running"):
        _services(scheduled=[ScheduledTime("st_a", "st_c", 0.5)])


def test_scheduled_times_bad_rows(tmp_path):
    f = tmp_path / "times.csv"
    f.write_text("from,to,minutes\nst_a,st_c,soon\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"row 1, field minutes"):
        read_scheduled_times(f)
    f.write_text("from,to\nst_a,st_c\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="minutes"):
        read_scheduled_times(f)
    f.write_text("from,to,minutes\nst_a,st_d,10\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="no rail service"):
        _services(scheduled=read_scheduled_times(f))


def test_service_direction_is_checked():
    from corridor_geo.errors import ArgumentError
    from corridor_geo.rail import RailService

    args = ("x", "x", "intercity_rail", "X", ("a", "b"), (1.0,), (2.0,), 1.0, 10.0, 100.0,
            ("km_post",))
    assert RailService(*args).runs("b", "a")
    assert not RailService(*args, direction="forward").runs("b", "a")
    with pytest.raises(ArgumentError, match="direction 'westbound'; expected 'both' or "
                                            "'forward'"):
        RailService(*args, direction="westbound")  # type: ignore[arg-type]


@pytest.mark.parametrize(("year", "link"), [(2021, "suishen_icr"), (2021, "guangshen_railway"),
                                            (2025, "guanhui_icr"), (2025, "foguan_icr")])
def test_headway_edit_applies_to_the_services_of_that_link(year, link):
    # a through pattern belongs to the link holding most of its stops (its link_id): in
    # 2021 every Guangzhou-Dongguan-Shenzhen train is a through train from Guangzhou East
    # over the Guangshen railway. A headway edit of suishen_icr left them all unchanged
    # (the edit had no effect at all), and one of guangshen_railway changed them.
    from corridor_geo.corridor import load_corridor

    specs = link_specs_from_corridor(load_corridor(as_of=year), as_of=year)
    base = build_services(specs)
    edited = {s.id: s for s in build_services(specs, headway_min={link: 7.0})}
    mine = [s.id for s in base if s.link_id == link]
    assert mine
    for s in base:
        assert edited[s.id].headway_min == (7.0 if s.link_id == link else s.headway_min), s.id


@pytest.mark.parametrize(("factors", "f"), [
    ({}, 1.0),
    ({"guangshen_railway": 0.5}, 0.5),   # the line whose track it mostly is
    ({"suishen_icr": 0.5}, 0.5),         # the line of the connecting track into Xintang S.
    ({"guangshen_railway": 1.25}, 1.25),
    ({"guangshen_railway": 0.5, "suishen_icr": 0.8}, 0.5),  # the slower, not 0.4
    ({"guangshen_railway": 0.8, "suishen_icr": 1.25}, 1.0),
])
def test_speed_factor_reaches_the_connection_of_a_through_service(factors, f):
    # 2019-2023 the Guangzhou-Dongguan-Shenzhen trains started at Guangzhou East and ran
    # Shipai - Xintang South on the Guangshen railway's track (25.27 km,
    # rail_track_km.csv, at the fitted 70 km/h of rail_speed_limits.csv). No speed factor
    # reached that section: 23.62 min whatever the edit.
    from corridor_geo.corridor import load_corridor

    specs = link_specs_from_corridor(load_corridor(as_of=2021), as_of=2021)
    svc = {s.id: s for s in build_services(specs, speed_factors=factors)}
    prof = RailParameters().modes["intercity_rail"]  # the service's line: suishen_icr
    # by hand: min(200, 140, 70) km/h x f, accelerate from and brake to a stop, the
    # intercity allowance
    v = 70 * f / 3.6
    by_hand = (25_270 / v + v / (2 * prof.accel_ms2) + v / (2 * prof.brake_ms2)) / 60 * (
        1 + prof.running_margin)
    for sid in ("suishen_icr/gz_east_through", "suishen_icr/gz_east_express"):
        s = svc[sid]
        assert s.link_id == "suishen_icr"
        assert s.distance_km("st_shipai", "st_xintang_south") == pytest.approx(25.27)
        assert s.in_vehicle_min("st_shipai", "st_xintang_south") == pytest.approx(by_hand)
    if not factors:  # the figure the calibration used
        assert svc["suishen_icr/gz_east_through"].in_vehicle_min(
            "st_shipai", "st_xintang_south") == pytest.approx(23.62, abs=0.01)


def test_speed_factor_on_one_line_of_a_junction_run_slows_its_own_track_only():
    # (held before too) the fast trains to Huizhou North pass Xiaojinkou: Yunshan -
    # Xiaojinkou on the Dongguan-Huizhou line at 180 km/h, Xiaojinkou - Huizhou North on
    # the northern extension at 144 km/h; a factor 0.5 on the extension halves only its
    # 6.4 km (72 km/h = 20 m/s, the train brakes from 20 m/s)
    from corridor_geo.corridor import load_corridor

    specs = link_specs_from_corridor(load_corridor(as_of=2025), as_of=2025)
    s = {x.id: x for x in build_services(specs, speed_factors={"guanhui_north_ext": 0.5})}[
        "foguan_guanhui/express_huizhou_north"]
    prof = RailParameters().modes["intercity_rail"]
    pure_s = 4740 / 50.0 + 6400 / 20.0 + 50.0 / (2 * prof.accel_ms2) + 20.0 / (
        2 * prof.brake_ms2)
    assert s.in_vehicle_min("st_yunshan", "st_huizhou_north") == pytest.approx(
        pure_s / 60 * (1 + prof.running_margin))


def test_through_train_passing_a_junction_runs_along_both_lines():
    # the fast trains to Huizhou North pass Xiaojinkou, where the Dongguan-Huizhou line
    # (Yunshan - Xiaojinkou 4.74 km, rail_track_km.csv) meets its northern extension
    # (Xiaojinkou - Huizhou North 6.4 km, link_stops.csv km posts). The run was a straight
    # line x 1.2 between Yunshan and Huizhou North (9.08 km, 5.78 min) at the lower
    # cruise speed, as if the two lines did not meet.
    from corridor_geo.corridor import load_corridor

    specs = link_specs_from_corridor(load_corridor(as_of=2025), as_of=2025)
    svc = {s.id: s for s in build_services(specs)}
    prof = RailParameters().modes["intercity_rail"]
    # by hand: 180 km/h (200 design x 0.9) on the main line, 144 (160 x 0.9) on the
    # extension; accelerate to 50 m/s, brake from 40 m/s; the mode's allowance
    v0, v1 = 50.0, 40.0
    pure_s = 4740 / v0 + 6400 / v1 + v0 / (2 * prof.accel_ms2) + v1 / (2 * prof.brake_ms2)
    for sid in ("foguan_guanhui/express_huizhou_north",
                "eastring_guanhui/express_airport_huizhou_north"):
        s = svc[sid]
        assert "st_xiaojinkou" not in s.stops
        assert s.distance_km("st_yunshan", "st_huizhou_north") == pytest.approx(11.14)
        assert s.in_vehicle_min("st_yunshan", "st_huizhou_north") == pytest.approx(
            pure_s / 60 * (1 + prof.running_margin))
    # the same track as the stopping train's two runs through Xiaojinkou
    stopping = svc["foguan_guanhui/through_huizhou_north"]
    assert stopping.distance_km("st_yunshan", "st_huizhou_north") == pytest.approx(11.14)


def test_through_service_reports_its_line_speed_with_the_speed_factor():
    # a one-line service reports its link's cruise speed times the link's speed factor;
    # a through service (the 2021 Guangzhou East trains of suishen_icr) reported the
    # unscaled speed of its line whatever the factor
    from corridor_geo.corridor import load_corridor

    specs = link_specs_from_corridor(load_corridor(as_of=2021), as_of=2021)
    cruise = {sp.id: sp.cruise_kmh for sp in specs}
    for f in (1.0, 0.5):
        svc = {s.id: s for s in build_services(
            specs, speed_factors={"suishen_icr": f, "gsh_xrl": f})}
        assert svc["gsh_xrl/all"].cruise_kmh == pytest.approx(cruise["gsh_xrl"] * f)
        assert svc["suishen_icr/gz_east_through"].cruise_kmh == pytest.approx(
            cruise["suishen_icr"] * f)
