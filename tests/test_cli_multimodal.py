"""CLI: ``corridor-geo matrix`` and ``corridor-geo validate-times``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _gtfs_feeds import write_xrl_feed
from click.testing import CliRunner

from corridor_geo.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "observed_times.csv"


def _run(*args):
    return CliRunner().invoke(main, ["--quiet", *args], catch_exceptions=False)


def test_matrix_acceptance_json():
    r = _run("matrix", "--mode", "transit", "--from", "广州南", "--to", "深圳北",
             "--format", "json")
    assert r.exit_code == 0, r.output
    cells = json.loads(r.output)
    assert len(cells) == 1
    c = cells[0]
    assert (c["from"], c["to"], c["mode"]) == ("st_gz_south", "st_sz_north", "transit")
    assert set(c["breakdown"]) == {"access", "wait", "in_vehicle", "transfer", "egress"}
    assert c["minutes"] == pytest.approx(sum(c["breakdown"].values()), abs=0.3)
    assert c["distance_km"] > 90


def test_matrix_several_values_and_coordinates():
    r = _run("matrix", "--mode", "best", "--from", "core_sz_hitech_zone", "松山湖",
             "--to", "core_gz_pazhou", "113.95,22.54", "--format", "csv")
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 + 4
    assert "point_113.950000_22.540000" in r.output
    r = _run("matrix", "--from", "core_sz_hitech_zone", "--to", "core_gz_pazhou",
             "--as-of", "2015", "--no-streets")
    assert r.exit_code == 0, r.output
    assert "fallback" in r.output


def test_matrix_table_explains_an_unreachable_transit_cell():
    # Tianhe's CBD point lies more than a 2.5 km walk from every bundled station
    # (Guangzhou East, the nearest, is 3.5 km away): walk-access transit has no route, and the
    # table says which end failed instead of a bare inf
    r = _run("matrix", "--mode", "transit", "--from", "天河", "--to", "深圳北", "--no-streets")
    assert r.exit_code == 0, r.output
    row = r.output.splitlines()[1].split()
    assert row[:4] == ["dist_gz_tianhe", "st_sz_north", "transit", "inf"]
    assert row[-4:] == ["no_station_in_reach", "none", "–", "–"]
    assert "(no_station_in_reach: no open station within reach" in r.output
    assert "no_rail_connection:" not in r.output


def test_matrix_unknown_name_exits_2():
    r = CliRunner().invoke(main, ["matrix", "--from", "广州男", "--to", "深圳北"])
    assert r.exit_code == 2
    assert "unknown" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_matrix_drive_as_of_uses_the_expressways_of_that_year():
    # Knowledge City -> Songshan Lake by car: the Huaguan expressway opened in 2020
    # (geodata/expressway_openings.csv), so 2019 drives without it; default-12: the
    # network leg is 63.9 min in 2019 and 53.4 min from 2020 on
    minutes = {}
    for year in ("2019", "2021"):
        r = _run("matrix", "--mode", "drive", "--from", "core_gz_knowledge_city", "--to",
                 "core_dg_songshan_lake", "--as-of", year, "--format", "json")
        assert r.exit_code == 0, r.output
        minutes[year] = json.loads(r.output)[0]["minutes"]
    assert minutes["2019"] - minutes["2021"] == pytest.approx(63.9 - 53.4, abs=0.2)
    r = CliRunner().invoke(main, ["--quiet", "matrix", "--from", "core_gz_knowledge_city",
                                  "--to", "core_dg_songshan_lake", "--as-of", "1700"])
    assert r.exit_code == 2
    assert "1700" in r.output
    assert "--as-of" in r.output
    assert "as_of" not in r.output


@pytest.mark.parametrize(("to", "message"), [
    ("nan,23", "coordinate 'nan' is not a finite number"),
    ("114,inf", "coordinate 'inf' is not a finite number"),
    ("114", "coordinate '114' needs a latitude"),
])
def test_matrix_bad_coordinate_names_the_option(to, message):
    # "nan,23" was taken as the place name "nan" followed by a coordinate 23 without a
    # latitude ("Invalid value: coordinate '23' needs a latitude"), naming no option
    r = CliRunner().invoke(main, ["--quiet", "matrix", "--from", "core_dg_songshan_lake",
                                  "--to", to, "--no-streets"])
    assert r.exit_code == 2, r.output
    assert f"Invalid value for '--to': {message}" in r.output
    assert r.stderr.startswith("corridor-geo: error: ")  # one line, as every user error
    assert r.stderr.count("\n") == 1
    assert "Traceback" not in r.output


def test_validate_times_json_and_table():
    r = _run("validate-times", str(FIXTURE), "--no-streets", "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert len(out["rows"]) == 5
    row = out["rows"][0]
    assert {"from", "to", "observed_min", "modelled_min", "error_pct"} <= set(row)
    assert row["error_pct"] == pytest.approx(
        100 * (row["modelled_min"] - row["observed_min"]) / row["observed_min"], abs=0.1)
    assert out["summary"]["n"] == 5
    r = _run("validate-times", str(FIXTURE), "--no-streets")
    assert r.exit_code == 0
    assert "MAPE" in r.output


def test_validate_times_bad_file(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("from,to\na,b\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["validate-times", str(f)])
    assert r.exit_code == 2
    assert "minutes" in r.output
    r = CliRunner().invoke(main, ["validate-times", str(tmp_path / "missing.csv")])
    assert r.exit_code == 2


def test_export_gtfs_writes_a_feed_read_back_by_read_gtfs(tmp_path):
    pytest.importorskip("gtfs_kit")
    from corridor_geo.corridor import load_corridor
    from corridor_geo.gtfs import read_gtfs
    from corridor_geo.multimodal import MultimodalNetwork

    out = tmp_path / "model.zip"
    r = _run("export-gtfs", str(out), "--as-of", "2026")
    assert r.exit_code == 0, r.output
    mm = MultimodalNetwork.build(load_corridor(as_of=2026), street=False, walk=False)
    assert f"wrote {len(mm.services)} services (2 one-way) as of 2026" in r.output
    back = read_gtfs(out, corridor=load_corridor(as_of=2026))
    assert {s.id.removeprefix("gtfs:") for s in back} == {s.id for s in mm.services}
    # a file corridor_geo did not write: one line, exit 2, the file untouched
    theirs = tmp_path / "theirs.zip"
    theirs.write_bytes(b"not mine")
    r = CliRunner().invoke(main, ["--quiet", "export-gtfs", str(theirs)])
    assert r.exit_code == 2
    assert "not written by corridor_geo" in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert theirs.read_bytes() == b"not mine"
    # a year before any railway ran: the year is named, nothing is written
    early = tmp_path / "early.zip"
    r = CliRunner().invoke(main, ["--quiet", "export-gtfs", str(early), "--as-of", "1900"])
    assert r.exit_code == 2
    assert r.output.startswith("corridor-geo: error: --as-of 1900: no rail service runs in "
                               "that year")
    assert not early.exists()


def test_matrix_gtfs_feed_replaces_the_model(tmp_path):
    # a user's feed for the XRL: one non-stop train every 20 min, 40 min on board
    # (the model's fastest is about 30 min): the matrix rides the feed's train
    pytest.importorskip("gtfs_kit")
    folder = write_xrl_feed(tmp_path / "feed", both_ways=True)
    args = ("matrix", "--mode", "transit", "--from", "广州南", "--to", "深圳北", "--no-streets",
            "--format", "json")
    model = json.loads(_run(*args).output)[0]["breakdown"]
    r = _run(*args, "--gtfs", str(folder))
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)[0]["breakdown"]
    assert model["in_vehicle"] < 36
    assert got["in_vehicle"] == pytest.approx(40.0, abs=0.05)
    assert got["wait"] == pytest.approx(10.0, abs=0.05)
    r = CliRunner().invoke(main, ["--quiet", *args, "--gtfs", str(tmp_path / "nope.zip")])
    assert r.exit_code == 2
    assert "nope.zip" in r.output


def test_validate_gtfs_table_json_and_bad_feed(tmp_path):
    pytest.importorskip("gtfs_kit")
    feed = write_xrl_feed(tmp_path / "feed", both_ways=True)
    r = _run("validate-gtfs", str(feed), "--as-of", "2026")
    assert r.exit_code == 0, r.output
    assert "2 station pairs compared (0 of the feed's 2 without a modelled service)" \
        in r.output
    assert "gsh_xrl" in r.output
    r = _run("validate-gtfs", str(feed), "--format", "json")
    out = json.loads(r.output)
    assert out["summary"]["n"] == 2
    assert {(p["from_id"], p["to_id"]) for p in out["pairs"]} == {
        ("st_gz_south", "st_sz_north"), ("st_sz_north", "st_gz_south")}
    assert all(p["scheduled_min"] == 40.0 for p in out["pairs"])
    r = CliRunner().invoke(main, ["--quiet", "validate-gtfs", str(tmp_path / "none.zip")])
    assert r.exit_code == 2
    assert "none.zip" in r.output


def test_matrix_table_footnotes_only_the_methods_it_shows():
    # the fallback footnote was printed under every table, also when every leg used the
    # street network; now each footnote explains a method that occurs in the table
    r = _run("matrix", "--mode", "drive", "--from", "core_gz_pazhou", "--to",
             "core_sz_hitech_zone")
    assert r.exit_code == 0, r.output
    assert "drive_network" in r.output
    assert "fallback" not in r.output
    assert "no_station_in_reach" not in r.output
    assert len(r.output.strip().splitlines()) == 2  # header and the row, no footnote
    r = _run("matrix", "--mode", "drive", "--from", "core_gz_pazhou", "--to",
             "core_sz_hitech_zone", "--no-streets")
    assert r.exit_code == 0, r.output
    assert r.output.strip().splitlines()[-1] == (
        "(drive_fallback: straight-line distance × circuity, no street network)")
    assert "walk_fallback" not in r.output


def test_matrix_gtfs_missing_file_is_reported_before_missing_gtfs_kit(tmp_path, monkeypatch):
    # without gtfs-kit, a wrong --gtfs path said "reading a GTFS feed needs the optional
    # package gtfs-kit": installing it would only lead to "file not found"
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gtfs_kit" else real(name, *a))
    missing = tmp_path / "nofile.zip"
    r = CliRunner().invoke(main, ["--quiet", "matrix", "--gtfs", str(missing), "--from",
                                  "广州南", "--to", "深圳北"])
    assert r.exit_code == 2, r.output
    assert r.stderr == f"corridor-geo: error: {missing}: file not found\n"
    # an existing feed still needs gtfs-kit, and says so
    r = CliRunner().invoke(main, ["--quiet", "matrix", "--gtfs", str(write_xrl_feed(
        tmp_path / "feed")), "--from", "广州南", "--to", "深圳北"])
    assert r.exit_code == 2, r.output
    assert 'needs the optional package gtfs-kit' in r.stderr
