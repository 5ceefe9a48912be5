"""Tests of the foundation commands: demo, extent, distances, nodes, and the error funnel."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pyproj import Geod

from corridor_geo.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_help_lists_commands(runner: CliRunner) -> None:
    res = runner.invoke(main, ["--help"])
    assert res.exit_code == 0
    for cmd in ("demo", "extent", "distances", "nodes"):
        assert cmd in res.output


@pytest.mark.parametrize("cmd", ["demo", "extent", "distances", "nodes"])
def test_every_command_has_help(runner: CliRunner, cmd: str) -> None:
    res = runner.invoke(main, [cmd, "--help"])
    assert res.exit_code == 0, res.output
    assert "Usage:" in res.output


def test_extent_json_against_plan(runner: CliRunner) -> None:
    res = runner.invoke(main, ["extent", "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["plan_area_km2"] == 11836
    assert d["plan_length_km"] == 180
    # acceptance: area within 5 % of the plan's 11,836 km²
    assert abs(d["area_km2"] - 11836) / 11836 < 0.05
    # the length compared with the plan is named and within 10 % of ~180 km
    compared = d[d["length_compared_with_plan"]]
    assert abs(compared - 180) / 180 < 0.10
    # the polyline through all ten cores is necessarily longer than the plan axis
    assert d["axis_length_km"] > compared


def test_distances_json_matches_pyproj(runner: CliRunner) -> None:
    res = runner.invoke(main, ["distances", "--ids", "广州南", "深圳北", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {(r["from_id"], r["to_id"]): r for r in json.loads(res.output)}
    # station coordinates from OSM (geodata/stations.csv), computed independently here
    _, _, dist_m = Geod(ellps="WGS84").inv(113.26404, 22.99141, 114.02395, 22.61204)
    assert rows[("st_gz_south", "st_sz_north")]["distance_km"] == pytest.approx(
        dist_m / 1000, abs=0.002)
    assert set(rows) == {("st_gz_south", "st_sz_north"), ("st_sz_north", "st_gz_south")}


@pytest.mark.parametrize(("args", "n_rows", "n_self"), [
    ([], 90, 0), (["--include-self"], 100, 10)])
def test_distances_lists_self_pairs_only_when_asked(runner: CliRunner, args, n_rows,
                                                   n_self) -> None:
    """`distances --format table` of the 10 cores: 90 ordered pairs (A to A, 0 km, was
    printed too); --include-self adds the 10."""
    res = runner.invoke(main, ["distances", "--format", "table", *args])
    assert res.exit_code == 0, res.output
    rows = [line.split() for line in res.output.splitlines()[1:]]
    assert len(rows) == n_rows
    assert sum(r[0] == r[1] for r in rows) == n_self


@pytest.mark.parametrize("ids", [["松山湖"], ["松山湖", "core_dg_songshan_lake"]])
def test_distances_of_one_place_is_one_clear_error(runner: CliRunner, tmp_path, ids) -> None:
    """One place (or one place under two names) has no pair of different places: that
    printed an empty table with exit code 0; now one line, exit 2, no --out written;
    --include-self gives its one 0 km row."""
    args = [a for q in ids for a in ("--ids", q)]
    out = tmp_path / "d.csv"
    res = runner.invoke(main, ["distances", *args, "--out", str(out)])
    assert res.exit_code == 2
    assert "one place gives no pair of different places" in res.stderr
    assert "--include-self" in res.stderr
    assert res.stderr.count("\n") == 1
    assert not out.exists()
    res = runner.invoke(main, ["distances", "--format", "csv", "--ids", ids[0],
                               "--include-self"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[1].startswith("core_dg_songshan_lake,core_dg_songshan_lake,")


def test_distances_csv_to_file(runner: CliRunner, tmp_path) -> None:
    out = tmp_path / "d.csv"
    res = runner.invoke(main, ["distances", "--format", "csv", "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("from_id,to_id")
    assert len(lines) == 1 + 10 * 9  # the 10 cores by default, each pair of different ones


def test_distances_empty_out_is_refused_not_called_existing(runner: CliRunner, tmp_path,
                                                          monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(main, ["distances", "--out", ""])
    assert res.exit_code != 0
    err = res.stderr if hasattr(res, "stderr") else res.output
    assert "the path is empty or names a folder" in err
    assert "exists" not in err
    assert list(tmp_path.iterdir()) == []


def test_unknown_id_is_one_line_exit_2(runner: CliRunner) -> None:
    res = runner.invoke(main, ["distances", "--ids", "深圳北站站站", "nowhere_xyz"])
    assert res.exit_code == 2
    err = res.stderr if hasattr(res, "stderr") else res.output
    assert "unknown" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_nodes_lists_all_kinds(runner: CliRunner) -> None:
    res = runner.invoke(main, ["nodes", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    kinds = {r["kind"] for r in rows}
    assert {"core_platform", "innovation_node", "station", "interchange"} <= kinds
    assert sum(r["kind"] == "core_platform" for r in rows) == 10


def test_nodes_lists_the_plans_37_nodes(runner: CliRunner) -> None:
    res = runner.invoke(main, ["nodes", "--kind", "innovation_node", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert len(rows) == 37  # Guangzhou 13, Shenzhen 15, Dongguan 9 (the 2017 plan)
    cities = [r["city"] for r in rows]
    assert (cities.count("Guangzhou"), cities.count("Shenzhen"), cities.count("Dongguan")) == (
        13, 15, 9)
    unknown = [r for r in rows if r["confidence"] == "unknown"]
    assert len(unknown) == 30
    assert all(r["lon"] is None and r["lat"] is None for r in unknown)


def test_nodes_bad_extra_nodes_file(runner: CliRunner, tmp_path) -> None:
    bad = tmp_path / "mine.csv"
    bad.write_text("id,name_en,lon\nx1,Lab,113.9\n", encoding="utf-8")
    res = runner.invoke(main, ["nodes", "--extra-nodes", str(bad)])
    assert res.exit_code == 2
    assert "mine.csv" in res.output
    assert "Traceback" not in res.output


def test_demo_writes_map_and_tables(runner: CliRunner, tmp_path) -> None:
    out = tmp_path / "demo"
    res = runner.invoke(main, ["--quiet", "demo", "--out", str(out)])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["map.html", "extent.json", "width_profile.csv", "places.csv",
                            "links.csv", "distances.csv", ".corridor_geo-manifest.json"])
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "OpenStreetMap contributors" in html
    # Chinese names in popups (folium writes GeoJSON with \\u escapes)
    assert "松山湖" in html or "\\u677e\\u5c71\\u6e56" in html
    extent = json.loads((out / "extent.json").read_text(encoding="utf-8"))
    assert extent["area_km2"] > 0
    # deterministic: a second run gives the same bytes
    out2 = tmp_path / "demo2"
    assert runner.invoke(main, ["--quiet", "demo", "--out", str(out2)]).exit_code == 0
    for name in names:
        assert (out / name).read_bytes() == (out2 / name).read_bytes(), name


def test_demo_unwritable_output_leaves_nothing(runner: CliRunner, tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(main, ["demo", "--out", str(blocker / "sub")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.browser
def test_demo_map_opens_in_chromium(runner: CliRunner, tmp_path) -> None:
    from corridor_geo.testing import open_map_in_browser

    out = tmp_path / "demo"
    assert runner.invoke(main, ["--quiet", "demo", "--out", str(out)]).exit_code == 0
    report = open_map_in_browser(out / "map.html")
    assert report.errors == []
    labels = " ".join(report.overlay_labels)
    for layer in ("Corridor", "Core platforms", "Stations"):
        assert layer.lower() in labels.lower(), report.overlay_labels
    assert "OpenStreetMap contributors" in report.attribution
    assert report.n_paths > 10
    assert report.pixel_std > 0.02  # not a blank screenshot (0..1 scale)


def test_broken_command_import_is_an_error_not_no_such_command(monkeypatch):
    from click.testing import CliRunner

    import corridor_geo.cli as cli

    monkeypatch.setitem(cli.COMMANDS, "distances", "corridor_geo.cli.no_such_module:distances")
    r = CliRunner().invoke(cli.main, ["distances"])
    assert r.exit_code == 1
    assert "No such command" not in r.output
    assert "internal error: command 'distances' cannot be loaded: ModuleNotFoundError" in r.output
    helped = CliRunner().invoke(cli.main, ["--help"])  # the other commands still listed
    assert helped.exit_code == 0
    assert "extent" in helped.output
    assert " distances " not in helped.output


def test_output_into_a_closed_pipe_ends_quietly():
    """``corridor-geo nodes | head -1``: the reader leaves early; no 'internal error'.

    The read end of the pipe is closed before the command writes, so its first write
    fails with EPIPE every time (a real ``| head`` does so whenever the output outgrows
    the pipe's buffer before head exits). Status 141 = 128 + SIGPIPE, as a Unix tool
    ended by SIGPIPE reports it.
    """
    import os
    import subprocess
    import sys

    r, w = os.pipe()
    os.close(r)
    try:
        p = subprocess.run([sys.executable, "-c", "from corridor_geo.cli import main; main()",
                            "nodes"], stdout=w, stderr=subprocess.PIPE, timeout=300,
                           check=False)
    finally:
        os.close(w)
    assert p.stderr.decode() == ""
    assert p.returncode == 141


def test_nodes_of_a_kind_with_none_prints_the_header(runner: CliRunner) -> None:
    r = runner.invoke(main, ["nodes", "--kind", "user_node"])
    assert r.exit_code == 0
    assert r.output == "id  name_en  name_zh  kind  city  confidence  lon  lat\n"


@pytest.mark.parametrize("args", [
    ["demo", "--out", "{tmp}/o"],
    ["matrix", "--from", "core_dg_songshan_lake", "--to", "core_gz_tianhe", "--no-streets"],
    ["validate-gtfs", "{tmp}/feed.zip"],
    ["export-gtfs", "{tmp}/o.zip"],
    ["network", "build", "--out", "{tmp}/o"],
    ["catchments", "--origins", "core_dg_songshan_lake", "--out", "{tmp}/o"],
])
@pytest.mark.parametrize("year", ["1700", "2101"])
def test_as_of_out_of_range_names_the_option(runner: CliRunner, tmp_path, args, year) -> None:
    """Every command's --as-of is checked against the one range (_args.AS_OF_RANGE) when
    the options are parsed; it was checked by the API, whose message named ``as_of``."""
    from corridor_geo._args import AS_OF_RANGE

    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    res = runner.invoke(main, ["--quiet", *argv, "--as-of", year])
    assert res.exit_code == 2, res.output
    lo, hi = AS_OF_RANGE
    assert f"Invalid value for '--as-of': {year} is not in the range {lo}<=x<={hi}" \
        in res.output
    assert res.stderr.startswith("corridor-geo: error: ")  # one line, as every user error
    assert res.stderr.count("\n") == 1
    assert "Traceback" not in res.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "line"), [
    (["batch", "--workers", "0", "s.yaml"], "Invalid value for '--workers': 0 is not in the "
                                            "range x>=1."),
    (["distances", "--format", "xml"], "Invalid value for '--format': 'xml' is not one of"),
    (["catchments", "--out", "o"], "Missing option '--origins'."),
])
def test_bad_option_value_is_one_line_naming_the_option(runner: CliRunner, args, line):
    """click's own checks of option values print one line too (they printed click's
    usage hint, a blank line and "Error: ..."), like every other user error."""
    res = runner.invoke(main, args)
    assert res.exit_code == 2
    assert res.stderr.startswith(f"corridor-geo: error: {line}")
    assert res.stderr.count("\n") == 1
