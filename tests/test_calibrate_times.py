"""``scripts/calibrate_times.py``: the per-line fit and the drive report's straight lines."""

from __future__ import annotations

import math
from types import ModuleType

import pytest
from _scripts import load_script

from corridor_geo._rail_tables import load_rail_tables
from corridor_geo.corridor import load_corridor


def _script() -> ModuleType:
    return load_script("calibrate_times")


def _haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    # the spherical formula by hand (R = 6371.0088 km): an independent check of the
    # script's ellipsoidal distance, within 0.5 %
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_drive_report_prints_the_straight_line_speed(tmp_path, capsys):
    # a row naming a station of a line not open yet (Guangzhou North, second HSR) still
    # gets its straight line; the observed 30 min over it give crow_km / 0.5 km/h
    f = tmp_path / "obs.csv"
    f.write_text("from,to,minutes,mode,kind,year,quality,source\n"
                 "松山湖,深圳北,30,drive,typical,2023,soft,s\n"
                 "白云机场南,广州北站,24,drive,typical,,soft,s\n", encoding="utf-8")
    df = _script().drive_report(f)
    assert df is not None
    pts = load_corridor(include_planned=True).places().set_index("id").geometry
    for i, (a, b) in enumerate((("core_dg_songshan_lake", "st_sz_north"),
                                ("st_baiyun_airport_south", "st_gz_north"))):
        want = _haversine_km(pts[a].x, pts[a].y, pts[b].x, pts[b].y)
        assert df["crow_km"].iloc[i] == pytest.approx(want, rel=0.005)
    assert df["observed_crow_kmh"].iloc[0] == pytest.approx(df["crow_km"].iloc[0] * 2)
    assert "crow_kmh" in capsys.readouterr().out


def test_section_speed_replacement_keeps_the_other_caps():
    m = _script()
    t = load_rail_tables()
    t2 = m._with_section_kmh(t, "gsh_xrl", "st_sz_north", "st_futian", 90.0)
    assert t2.limit("gsh_xrl", "st_futian", "st_sz_north") == 90.0
    assert t.limit("gsh_xrl", "st_sz_north", "st_futian") == 70.0   # the original is kept
    # every other cap is unchanged
    assert t2.limit("gsh_xrl", "st_futian", "st_hk_west_kowloon") == \
        t.limit("gsh_xrl", "st_futian", "st_hk_west_kowloon")
