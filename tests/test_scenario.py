"""Tests of corridor_geo.scenario: the scenario model, its messages, schema, checks and runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from corridor_geo.scenario import (
    OutputDirError,
    Scenario,
    ScenarioError,
    check_out_dir,
    export_json_schema,
    json_schema,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
MINIMAL = "name: t\norigins: [core_sz_hitech_zone]\n"


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _error(tmp_path: Path, text: str) -> str:
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(p)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{p}: ")
    return msg[len(str(p)) + 2:]


# ----------------------------------------------------------------------------- model


def test_examples_are_the_three_of_the_issue():
    assert [p.name for p in EXAMPLES] == [
        "baseline_2025.yaml", "guangshen_peak_congestion.yaml", "second_gz_sz_hsr_2029.yaml"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_parse_and_match_their_yaml(path):
    s = Scenario.from_yaml(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert s.name == raw["name"] == path.stem
    assert s.as_of == raw["as_of"]
    assert s.origins == raw["origins"]
    assert s.bands == [float(b) for b in raw["bands"]]
    assert s.source == path
    assert s.base_dir == path.parent


def test_defaults():
    s = Scenario.from_dict({"name": "t", "origins": ["a"]})
    assert s.modes == ["drive"]
    assert s.bands == [30.0, 60.0]
    assert s.destinations is None
    assert s.network == "default"
    assert s.edits.enable_links == []
    assert s.edits.speed_factors == {}
    assert s.outputs.map
    assert s.outputs.report
    assert s.outputs.catchments
    assert s.outputs.matrix
    assert s.source is None


def test_new_stop_as_mapping():
    s = Scenario.from_dict({"name": "t", "origins": ["a"], "edits": {"add_links": [{
        "id": "new_line", "name": "New", "mode": "intercity_rail", "operating_speed_kmh": 160,
        "stops": ["st_sz_north", {"name": "X", "lon": 113.9, "lat": 22.9}]}]}})
    stops = s.edits.add_links[0].stops
    assert stops[0] == "st_sz_north"
    assert (stops[1].name, stops[1].lon, stops[1].lat) == ("X", 113.9, 22.9)


# ----------------------------------------------------------------------------- messages


@pytest.mark.parametrize(("text", "expected"), [
    (MINIMAL + "edits:\n  speed_factors:\n    gs_expressway: -0.5\n",
     "edits.speed_factors.gs_expressway: must be > 0 (got -0.5)"),
    (MINIMAL + "edits:\n  speed_factors:\n    gs_expressway: 0\n",
     "edits.speed_factors.gs_expressway: must be > 0 (got 0)"),
    (MINIMAL + "bands: [30, 20]\n", "bands: must be strictly increasing (got 30, 20)"),
    (MINIMAL + "bands: [30, 30]\n", "bands: must be strictly increasing (got 30, 30)"),
    (MINIMAL + "bands: [-15, 30]\n", "bands[0]: must be > 0 (got -15)"),
    (MINIMAL + "bands: []\n", "bands: must have at least 1 item(s)"),
    (MINIMAL + "bands: ['30']\n", "bands[0]: must be a valid number (got '30')"),
    (MINIMAL + "bandz: [30]\n", "bandz: unknown field; did you mean 'bands'?"),
    (MINIMAL + "modes: [fly]\n", "modes[0]: must be 'drive' or 'transit' (got 'fly')"),
    (MINIMAL + "as_of: '2025'\n", "as_of: must be a valid integer (got '2025')"),
    (MINIMAL + "as_of: 1500\n", "as_of: must be >= 1800 (got 1500)"),
    ("name: t\n", "origins: required field is missing"),
    ("origins: [a]\n", "name: required field is missing"),
    (MINIMAL + "origins: [a, a]\n", "origins: 'a' is given more than once"),
    (MINIMAL + "edits:\n  add_links:\n  - {id: n, name: n, mode: high_speed_rail, "
     "operating_speed_kmh: 300, stops: [a, {name: b, lon: 500, lat: 22}]}\n",
     "edits.add_links[0].stops[1].lon: must be <= 180 (got 500)"),
    (MINIMAL + "edits:\n  add_links:\n  - {id: n, name: n, mode: high_speed_rail, "
     "operating_speed_kmh: -300, stops: [a, b]}\n",
     "edits.add_links[0].operating_speed_kmh: must be > 0 (got -300)"),
    (MINIMAL + "edits:\n  headway_min: {gsh_xrl: 0}\n",
     "edits.headway_min.gsh_xrl: must be > 0 (got 0)"),
    (MINIMAL + "edits:\n  enable_links: [a]\n  close_links: [a]\n",
     "edits: link 'a' is both in enable_links and close_links"),
    (MINIMAL + "edits: [a]\n", "edits: must be a mapping of fields"),
    (MINIMAL + "outputs: {map: yes, pdf: true}\n",
     "outputs.pdf: unknown field; expected one of: catchments, map, matrix, report"),
])
def test_field_errors_are_one_line_with_field_path(tmp_path, text, expected):
    assert _error(tmp_path, text) == expected


def test_several_problems_are_counted(tmp_path):
    msg = _error(tmp_path, "bands: [0]\nmodes: [x]\n")
    assert msg.endswith("(and 3 more problems)")


@pytest.mark.parametrize(("raw", "expected"), [
    (b"name: [unclosed\n", "invalid YAML at line 2, column 1"),
    (b"name: t\n  bad: indent\n", "invalid YAML at line 2, column 6"),
    (b"", "expected a mapping of scenario fields, got an empty file"),
    (b"- a\n- b\n", "expected a mapping of scenario fields, got a list"),
    (b"just text\n", "expected a mapping of scenario fields, got a str"),
    (b"name: \xff\xfe\n", "not UTF-8 text (byte 6)"),
    (b"!!python/object/apply:os.system ['echo hi']\n", "invalid YAML"),
])
def test_file_level_errors(tmp_path, raw, expected):
    p = tmp_path / "s.yaml"
    p.write_bytes(raw)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(p)
    assert str(info.value).startswith(f"{p}: {expected}")
    assert "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope\.yaml: file not found$"):
        Scenario.from_yaml(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match="is a directory"):
        Scenario.from_yaml(tmp_path)


def test_oversized_file_is_refused(tmp_path):
    p = _write(tmp_path, MINIMAL + "description: '" + "x" * (1 << 20) + "'\n")
    with pytest.raises(ScenarioError, match="at most 1048576 bytes"):
        Scenario.from_yaml(p)


# ----------------------------------------------------------------------------- schema


def test_schema_file_is_current():
    text = (ROOT / "docs" / "scenario.schema.json").read_text(encoding="utf-8")
    assert text == export_json_schema(), (
        "docs/scenario.schema.json is stale: run python -c \"from corridor_geo.scenario "
        "import export_json_schema as e; e('docs/scenario.schema.json')\"")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_validate_against_the_schema(path):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), json_schema())


@pytest.mark.parametrize("patch", [
    {"bands": [-1]}, {"modes": ["fly"]}, {"colour": "red"},
    {"edits": {"speed_factors": {"gs_expressway": 0}}},
    {"edits": {"add_links": [{"id": "Bad Id", "name": "x", "mode": "intercity_rail",
                              "operating_speed_kmh": 100, "stops": ["a", "b"]}]}},
])
def test_schema_and_model_agree_on_rejections(patch):
    jsonschema = pytest.importorskip("jsonschema")
    data = {"name": "t", "origins": ["a"], **patch}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())
    with pytest.raises(ScenarioError):
        Scenario.from_dict(data)


# ----------------------------------------------------------------------------- hashing


def test_inputs_hash_follows_file_content_and_referenced_files(tmp_path):
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("id,name_en,lon,lat\nu1,U1,113.9,22.9\n", encoding="utf-8")
    p = _write(tmp_path, MINIMAL + "extra_nodes: [nodes.csv]\n")
    h1 = Scenario.from_yaml(p).inputs_hash()
    assert h1 == Scenario.from_yaml(p).inputs_hash()
    nodes.write_text("id,name_en,lon,lat\nu1,U1,113.9,22.8\n", encoding="utf-8")
    h2 = Scenario.from_yaml(p).inputs_hash()
    assert h2 != h1
    p.write_text(MINIMAL + "extra_nodes: [nodes.csv]\n# a comment\n", encoding="utf-8")
    assert Scenario.from_yaml(p).inputs_hash() not in (h1, h2)


def test_referenced_files_are_relative_to_the_scenario(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    p = _write(sub, MINIMAL + "extra_nodes: [missing.csv]\n")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(p).referenced_files()
    assert str(info.value) == f"{p}: extra_nodes[0]: file not found: {sub / 'missing.csv'}"


# ----------------------------------------------------------------------------- output dir


def test_check_out_dir(tmp_path):
    assert check_out_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()  # the check creates nothing
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputDirError, match="exists and is not a directory"):
        check_out_dir(f)
    with pytest.raises(OutputDirError, match="is not a directory"):
        check_out_dir(f / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux /proc")
def test_check_out_dir_on_unwritable_mount():
    with pytest.raises(OutputDirError, match="cannot write in /proc"):
        check_out_dir("/proc/corridor_geo_out")


def test_nan_safe_rounding():
    from corridor_geo.scenario import _r

    assert _r(math.nan) is None
    assert _r(math.inf) is None
    assert _r(1.234567) == 1.2346
    assert json.dumps(_r(2)) == "2.0"
