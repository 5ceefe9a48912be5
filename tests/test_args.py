"""Bad arguments to the public API: CorridorGeoError subclasses, one as-of range, study area."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

import corridor_geo as cg
from corridor_geo._args import AS_OF_RANGE, MAX_DISTANCE_KM
from corridor_geo.catchments import catchments
from corridor_geo.cli import main
from corridor_geo.errors import (
    ArgumentError,
    CorridorGeoError,
)


@pytest.fixture(scope="module")
def corridor():
    return cg.load_corridor()


BAD = [None, 5, "x", [None], {"a": 1}, float("nan"), object()]


def _calls(c):
    return {
        "load_corridor(as_of)": lambda v: cg.load_corridor(as_of=v),
        "load_corridor(extra_nodes)": lambda v: cg.load_corridor(extra_nodes=v),
        "gcj02_to_wgs84": lambda v: cg.gcj02_to_wgs84(v, 22.5),
        "corridor_extent": lambda v: cg.corridor_extent(v),
        "distance_matrix(ids)": lambda v: cg.distance_matrix(c, ids=v),
        "distance_matrix(places)": lambda v: cg.distance_matrix(v),
        "resolve": lambda v: c.resolve(v),
        "with_links": lambda v: c.with_links(disable=v),
        "travel_time_matrix(origins)": lambda v: cg.travel_time_matrix(
            c, v, ["core_sz_hitech_zone"], street=False),
        "travel_time_matrix(as_of)": lambda v: cg.travel_time_matrix(
            c, ["core_sz_hitech_zone"], ["core_sz_hitech_zone"], as_of=v, street=False),
        "catchments(origins)": lambda v: catchments(v),
        "catchments(bands)": lambda v: catchments("core_sz_hitech_zone", bands=v),
        "catchments(cell_size_m)": lambda v: catchments("core_sz_hitech_zone",
                                                            cell_size_m=v),
        "load_network(network_type)": lambda v: cg.load_network(network_type=v),
        "load_network(bbox)": lambda v: cg.load_network(bbox=v),
        "load_network(speeds)": lambda v: cg.load_network(speeds=v),
        "load_boundaries(level)": lambda v: cg.load_boundaries(level=v),
        "corridor_map": lambda v: cg.corridor_map(v),
        "Scenario.from_yaml": lambda v: cg.Scenario.from_yaml(v),
        "run_scenario": lambda v: cg.run_scenario(v),
        "snap_points": lambda v: cg.snap_points(v, [114.0], [22.5]),
        "travel_times": lambda v: cg.travel_times(v, [0]),
    }


@pytest.mark.parametrize("name", list(_calls(None)))
def test_bad_arguments_raise_corridor_geo_errors(corridor, name):
    fn = _calls(corridor)[name]
    for value in BAD:
        try:
            fn(value)
        except CorridorGeoError:
            pass
        except Exception as exc:
            pytest.fail(f"{name}({value!r}) raised {type(exc).__name__}: {exc}")


@pytest.mark.parametrize("name", list(_calls(None)))
def test_a_table_passed_by_mistake_gives_one_short_line(corridor, name):
    """A (Geo)DataFrame or Series where a year, a name, a path... is expected: the message
    describes it by size and columns; its printed rows made messages of dozens of lines."""
    fn = _calls(corridor)[name]
    table = corridor.platforms
    for value in (table, table["id"]):
        try:
            fn(value)
        except CorridorGeoError as exc:
            msg = str(exc)
        else:
            continue  # a valid use (distance_matrix(places), ids=Series, ...)
        assert "\n" not in msg, f"{name}: {msg}"
        assert len(msg) <= 300, f"{name}: {msg}"
        assert "core_gz_utown_iic" not in msg  # no rows of the table


def test_argument_error_is_also_value_and_type_error():
    with pytest.raises(ValueError, match="not the string '30'"):
        catchments("core_sz_hitech_zone", bands="30")
    with pytest.raises(TypeError, match="not the string '30'"):
        catchments("core_sz_hitech_zone", bands="30")


def test_strings_are_not_split_into_characters(corridor):
    with pytest.raises(ArgumentError, match="not the single value 'core_sz_hitech_zone'"):
        cg.travel_time_matrix(corridor, "core_sz_hitech_zone", ["core_sz_hitech_zone"],
                              street=False)
    with pytest.raises(ArgumentError, match="not the single value"):
        cg.distance_matrix(corridor, ids="core_sz_hitech_zone")
    # these iterated over the characters ("unknown platform, node or station '深'")
    with pytest.raises(ArgumentError, match=r"queries must be a list .* \(write \['深圳北'\]\)"):
        corridor.resolve_many("深圳北")
    with pytest.raises(ArgumentError, match=r"plan_waypoints must be a list .*'core_gz_pazhou'"):
        cg.corridor_extent(corridor, plan_waypoints="core_gz_pazhou")
    # one (lon, lat) pair where a list of places is expected ("unknown ... '113.3'")
    for kw in ("origins", "destinations"):
        args = {"origins": [(113.3, 23.1)], "destinations": ["深圳北"]}
        args[kw] = (113.3, 23.1)
        with pytest.raises(ArgumentError, match=(
                rf"{kw} must be a list of places, not the single \(lon, lat\) pair "
                r"\(113.3, 23.1\) \(write \[\(113.3, 23.1\)\]\)")):
            cg.travel_time_matrix(corridor, street=False, **args)
    # the lists themselves still work
    assert corridor.resolve_many(["深圳北", "广州南"]) == ["st_sz_north", "st_gz_south"]
    ext = cg.corridor_extent(corridor, plan_waypoints=["core_gz_pazhou", "core_sz_hitech_zone"])
    assert ext.plan_axis_ids == ("core_gz_pazhou", "core_sz_hitech_zone")


@pytest.mark.parametrize("year", [1799, 2101, 3000, -5, 2025.5, True])
def test_one_as_of_range_everywhere(corridor, year, tmp_path):
    lo, hi = AS_OF_RANGE
    msg = f"as_of must be a year from {lo} to {hi}"
    with pytest.raises(ArgumentError, match=msg):
        cg.load_corridor(as_of=year)
    with pytest.raises(ArgumentError, match=msg):
        cg.travel_time_matrix(corridor, ["core_sz_hitech_zone"], ["core_sz_hitech_zone"],
                              as_of=year, street=False)
    if isinstance(year, int) and not isinstance(year, bool):
        for args in (["matrix", "--from", "深圳北", "--to", "广州南", "--as-of", str(year),
                      "--no-streets"], ["demo", "--as-of", str(year), "--out",
                                        str(tmp_path / "d")]):
            res = CliRunner().invoke(main, args)
            assert res.exit_code == 2
            # the option typed, not the API's parameter (which said "as_of must be")
            assert res.stderr == (f"corridor-geo: error: Invalid value for '--as-of': {year} "
                                  f"is not in the range {lo}<=x<={hi}.\n")
        s = tmp_path / "s.yaml"
        s.write_text(f"name: t\norigins: [core_sz_hitech_zone]\nas_of: {year}\n")
        res = CliRunner().invoke(main, ["--quiet", "run", str(s), "--check"])
        assert res.exit_code == 2
        assert f"as_of: must be {'>=' if year < lo else '<='}" in res.stderr


def test_numpy_years_are_years(corridor):
    """A year read from a DataFrame column is a numpy scalar; it means the same year."""
    np = pytest.importorskip("numpy")
    for year in (np.int64(2015), np.int32(2015), np.float64(2015.0)):
        c = cg.load_corridor(as_of=year)
        assert c.as_of == 2015
        assert type(c.as_of) is int
        assert sorted(c.links["id"]) == sorted(cg.load_corridor(as_of=2015).links["id"])
        got = cg.travel_time_matrix(corridor, ["广州南"], ["深圳北"], mode="transit",
                                    as_of=year, street=False)
        want = cg.travel_time_matrix(corridor, ["广州南"], ["深圳北"], mode="transit",
                                     as_of=2015, street=False)
        assert got["minutes"].tolist() == want["minutes"].tolist()
    for bad in (np.float64(2015.5), np.bool_(True), np.float64("nan")):
        with pytest.raises(ArgumentError, match="as_of must be a year from"):
            cg.load_corridor(as_of=bad)


@pytest.mark.parametrize(("lon", "lat", "what"), [(2.3522, 48.8566, "Paris"),
                                                  (114.6, 21.6, "South China Sea"),
                                                  (116.4, 39.9, "Beijing")])
def test_points_far_from_the_study_area_are_refused(corridor, lon, lat, what):
    msg = f"farther than {MAX_DISTANCE_KM:g} km from the corridor's study area"
    with pytest.raises(ArgumentError, match=msg):
        cg.travel_time_matrix(corridor, [(lon, lat)], ["core_sz_hitech_zone"], street=False)
    with pytest.raises(ArgumentError, match=msg):
        catchments([(lon, lat)], bands=[15])
    res = CliRunner().invoke(main, ["--quiet", "matrix", "--from", f"{lon},{lat}", "--to", "深圳北",
                                    "--no-streets"])
    assert res.exit_code == 2, what
    assert msg in res.stderr


def test_points_near_the_corridor_are_answered(corridor):
    df = cg.travel_time_matrix(corridor, [(113.95, 22.54)], ["core_sz_hitech_zone"],
                               mode="drive", street=False)
    assert df["minutes"].iloc[0] > 0


def test_scenario_files_read_only_allowed_folders(tmp_path, monkeypatch):
    secret = tmp_path / "elsewhere" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text("id,name,lon,lat\nmy_a,A,113.9,22.9\n")
    home = tmp_path / "project"
    home.mkdir()
    (home / "link.csv").symlink_to(secret)
    (home / "nodes.csv").write_text("id,name,lon,lat\nmy_b,B,113.9,22.9\n")
    for ref, ok in ((str(secret), False), ("link.csv", False), ("../elsewhere/secret.csv", False),
                    ("nodes.csv", True), ("/etc/passwd", False)):
        s = home / "s.yaml"
        s.write_text(f"name: t\norigins: [core_sz_hitech_zone]\nextra_nodes: ['{ref}']\n")
        res = CliRunner().invoke(main, ["--quiet", "run", str(s), "--check"])
        if ok:
            assert res.exit_code == 0, res.stderr
        else:
            assert res.exit_code == 2, ref
            assert "may only read files in its own folder" in res.stderr
            assert "root:" not in res.stderr  # nothing of the file is echoed
    monkeypatch.setenv("CORRIDOR_GEO_DATA_DIRS", os.fspath(secret.parent))
    s.write_text(f"name: t\norigins: [core_sz_hitech_zone]\nextra_nodes: ['{secret}']\n")
    assert CliRunner().invoke(main, ["--quiet", "run", str(s), "--check"]).exit_code == 0
