"""Tests of corridor_geo.scenario: the scenario model, its messages, schema, checks and runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from corridor_geo._io import MANIFEST, write_manifest
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
    (MINIMAL + "modes: [fly]\n",
     "modes[0]: must be 'drive', 'transit' or 'park_and_ride' (got 'fly')"),
    (MINIMAL + "as_of: '2025'\n", "as_of: must be a valid integer (got '2025')"),
    (MINIMAL + "as_of: 1500\n", "as_of: must be >= 1800 (got 1500)"),
    ("name: t\n", "origins: required field is missing"),
    ("origins: [a]\n", "name: required field is missing"),
    ("name: t\norigins: [a, a]\n", "origins: 'a' is given more than once"),
    (MINIMAL + "origins: [a]\n", "invalid YAML at line 3, column 1: duplicate key 'origins' "
     "(first at line 2); each key may appear once"),
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
    (MINIMAL + "edits:\n  close_links: [a, b, a]\n",
     "edits.close_links: link 'a' is given more than once"),
    (MINIMAL + "edits:\n  enable_links: [a, a]\n",
     "edits.enable_links: link 'a' is given more than once"),
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
    {"origins": ["a", "a"]}, {"edits": {"close_links": ["a", "a"]}},
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


def test_inputs_hash_follows_a_shapefiles_attributes_and_crs(tmp_path):
    # population: {file: zones.shp}: the counts are in zones.dbf, the CRS in zones.prj;
    # the hash covered zones.shp only, so batch skipped a scenario whose counts changed
    import geopandas as gpd
    from shapely.geometry import box

    zones = gpd.GeoDataFrame({"population": [1000]}, crs="EPSG:4326",
                             geometry=[box(113.8, 22.9, 113.95, 23.0)])
    zones.to_file(tmp_path / "zones.shp")
    p = _write(tmp_path, MINIMAL + "population: {file: zones.shp, column: population}\n")
    h1 = Scenario.from_yaml(p).inputs_hash()
    shp = (tmp_path / "zones.shp").read_bytes()
    zones.assign(population=[5]).to_file(tmp_path / "zones.shp")
    assert (tmp_path / "zones.shp").read_bytes() == shp  # same shapes: only the .dbf changed
    h2 = Scenario.from_yaml(p).inputs_hash()
    assert h2 != h1
    zones.assign(population=[5]).to_crs("EPSG:4490").to_file(tmp_path / "zones.shp")
    h3 = Scenario.from_yaml(p).inputs_hash()
    assert h3 not in (h1, h2)  # CGCS2000: a new .prj
    (tmp_path / "other.dbf").write_bytes(b"not read")  # another stem: not part of it
    assert Scenario.from_yaml(p).inputs_hash() == h3


def test_referenced_files_are_relative_to_the_scenario(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    p = _write(sub, MINIMAL + "extra_nodes: [missing.csv]\n")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(p).referenced_files()
    assert str(info.value) == f"{p}: extra_nodes[0]: file not found: {sub / 'missing.csv'}"


def test_referenced_folder_is_not_called_missing(tmp_path):
    (tmp_path / "nodes.csv").mkdir()
    p = _write(tmp_path, MINIMAL + "extra_nodes: [nodes.csv]\n")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(p).referenced_files()
    assert str(info.value) == (f"{p}: extra_nodes[0]: {tmp_path / 'nodes.csv'} is a folder; "
                               "expected a file")


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
    from corridor_geo.scenario.report import round_value as _r

    assert _r(math.nan) is None
    assert _r(math.inf) is None
    assert _r(1.234567) == 1.2346
    assert json.dumps(_r(2)) == "2.0"


# ----------------------------------------------------------------------------- runs

SMALL = {
    "name": "small",
    "as_of": 2025,
    "origins": ["core_dg_songshan_lake", "core_sz_hitech_zone"],
    "modes": ["drive"],
    "bands": [15, 30],
}


def _small(tmp_path: Path, name: str = "small.yaml", **changes) -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump({**SMALL, **changes}), encoding="utf-8")
    return p


def test_scenario_year_selects_the_expressways_of_the_default_street_network(tmp_path):
    import numpy as np

    from corridor_geo.scenario.streets import scenario_streets as _scenario_streets

    nets = {}
    for year in (2019, 2021):
        res = Scenario.from_yaml(_small(tmp_path, f"s{year}.yaml", as_of=year)).resolve()
        street, drive, _ = _scenario_streets(res)
        assert street.meta["as_of"] == drive.meta["as_of"] == year
        nets[year] = street
    ring = "Shenzhen Outer Ring Expressway"  # phase 1 opened 2020-12-29
    assert not (np.asarray(nets[2019].name) == ring).any()
    assert (np.asarray(nets[2021].name) == ring).any()


def test_difference_of_nested_squares_by_hand():
    import geopandas as gpd
    from shapely.geometry import box

    from corridor_geo.scenario.compare import _difference

    def frame(size_m):
        g = gpd.GeoSeries([box(500_000, 2_500_000, 500_000 + size_m, 2_500_000 + size_m)],
                          crs="EPSG:4547").to_crs("EPSG:4326")
        return gpd.GeoDataFrame({"origin_id": ["o"], "mode": ["drive"], "band_min": [30]},
                                geometry=g.values, crs="EPSG:4326")

    d = _difference(frame(1000), frame(2000))
    assert list(d["change"]) == ["gained"]  # nothing lost: no empty "lost" row
    assert d["area_km2"].iloc[0] == pytest.approx(3.0, rel=1e-6)  # 2x2 - 1x1 km²
    d2 = _difference(frame(2000), frame(1000))
    assert list(d2["change"]) == ["lost"]
    assert d2["area_km2"].iloc[0] == pytest.approx(3.0, rel=1e-6)


def test_expressway_factor_reaches_the_street_edges(tmp_path):
    import numpy as np

    from corridor_geo.scenario.streets import scenario_streets as _scenario_streets
    from corridor_geo.scenario.streets import street_network

    res = Scenario.from_yaml(_small(
        tmp_path, edits={"speed_factors": {"gs_expressway": 0.5, "arterial": 0.8}})).resolve()
    street, drive, by_class = _scenario_streets(res)
    base = street_network("default")
    gs = np.asarray(base.name == "Guangshen Expressway")
    art = np.asarray(base.highway == "arterial")
    assert gs.sum() > 0
    assert by_class == {"arterial": 0.8}
    np.testing.assert_allclose(street.travel_time_s[gs], base.travel_time_s[gs] / 0.5)
    np.testing.assert_allclose(street.travel_time_s[~gs], base.travel_time_s[~gs])
    np.testing.assert_allclose(drive.travel_time_s[art], base.travel_time_s[art] / 0.8)


def test_run_outputs_are_complete_consistent_and_byte_identical(tmp_path):
    import geopandas as gpd
    import pandas as pd

    from corridor_geo.scenario import run_scenario

    p = _small(tmp_path)
    r1 = run_scenario(p, out=tmp_path / "a", progress=False)
    run_scenario(p, out=tmp_path / "b", progress=False)
    names = sorted(f.name for f in (tmp_path / "a").iterdir() if f.name != MANIFEST)
    assert names == ["catchments.gpkg", "catchments_drive.png", "map.html", "matrix.csv",
                     "matrix_drive.png", "report.md", "run.log", "summary.json"]
    for name in names:
        if name != "run.log":
            a, b = (tmp_path / d / name for d in "ab")
            assert a.read_bytes() == b.read_bytes(), name
    assert "INFO" in (tmp_path / "a" / "run.log").read_text()

    # summary figures recomputed independently from the written files
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    gdf = gpd.read_file(tmp_path / "a" / "catchments.gpkg", layer="catchments")
    assert len(gdf) == len(summary["catchments"]) == 2 * 2
    areas = gdf.to_crs("EPSG:4547").area / 1e6
    for row, area in zip(summary["catchments"], areas, strict=True):
        assert row["area_km2"] == pytest.approx(area, rel=1e-3)
    by_key = {(r["origin_id"], r["band_min"]): r["area_km2"] for r in summary["catchments"]}
    for o in SMALL["origins"]:
        assert by_key[(o, 15.0)] < by_key[(o, 30.0)]  # bands nest
    mat = pd.read_csv(tmp_path / "a" / "matrix.csv")
    pairs = mat[mat["from_id"] != mat["to_id"]]
    assert summary["matrix"]["drive"]["n_pairs"] == len(pairs) == 2
    assert summary["matrix"]["drive"]["mean_min"] == pytest.approx(pairs["minutes"].mean(),
                                                                   abs=1e-3)
    assert summary["inputs_hash"] == Scenario.from_yaml(p).inputs_hash()
    assert r1.out == tmp_path / "a"
    report = (tmp_path / "a" / "report.md").read_text()
    assert "![Catchment areas, drive](catchments_drive.png)" in report
    assert "OpenStreetMap contributors" in report


def test_failed_run_leaves_no_half_written_folder(tmp_path, monkeypatch):
    from corridor_geo.scenario import run as mod

    p = _small(tmp_path, outputs={"map": False, "report": False})
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("previous run")
    write_manifest(out)  # a folder corridor_geo wrote before

    def boom(result, tmp):
        (tmp / "matrix.csv").write_text("half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(mod, "write_run", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        mod.run_scenario(p, out=out, progress=False)
    assert sorted(f.name for f in out.iterdir()) == [MANIFEST, "old.txt"]  # previous kept
    assert sorted(f.name for f in tmp_path.iterdir()) == ["out", "small.yaml"]


def test_peak_congestion_only_slows_driving(tmp_path):
    from corridor_geo.scenario import compare

    base = _small(tmp_path, "base.yaml", origins=["core_gz_science_city",
                                                  "core_dg_binhaiwan", "core_sz_hitech_zone"],
                  bands=[45])
    peak = _small(tmp_path, "peak.yaml", origins=["core_gz_science_city",
                                                  "core_dg_binhaiwan", "core_sz_hitech_zone"],
                  bands=[45], edits={"speed_factors": {"gs_expressway": 0.45}})
    c = compare(base, peak, progress=False)
    ch = c.matrix_changes[c.matrix_changes["from_id"] != c.matrix_changes["to_id"]]
    assert (ch["change_min"] >= -1e-9).all()  # congestion never makes a trip faster
    assert (ch["change_min"] > 1.0).any()  # and slows some along the expressway
    assert (c.catchment_changes["change_km2"] <= 1e-6).all()
    assert set(c.difference["change"]) <= {"lost"}
    # short repr and an HTML summary per mode and band, not the tables (issue 15)
    from corridor_geo._repr import MAX_REPR

    for obj in (c, c.base, c.base.scenario):
        assert len(repr(obj)) <= MAX_REPR
        assert obj._repr_html_().count("<table") == 1
    lost = c.difference.loc[c.difference["change"] == "lost", "area_km2"].sum()
    assert f"drive 45 min=+0.0 / -{lost:,.1f} km² (3 origins)" in repr(c)


def test_second_hsr_speeds_up_transit_where_it_stops(tmp_path):
    from corridor_geo.scenario import compare

    # Shenzhen Airport station, a stop of the new line already served in 2025
    common = {"origins": ["core_gz_pazhou", "core_gz_science_city", "st_sz_airport"],
              "modes": ["drive", "transit", "park_and_ride"], "bands": [30]}
    base = _small(tmp_path, "base.yaml", **common)
    hsr = _small(tmp_path, "hsr.yaml", as_of=2029,
                 edits={"enable_links": ["gz_sz_2nd_hsr"]}, **common)
    c = compare(base, hsr, out=tmp_path / "cmp", progress=False)
    mc = c.matrix_changes[c.matrix_changes["from_id"] != c.matrix_changes["to_id"]]
    drive = mc[mc["mode"] == "drive"]
    assert (drive["change_min"].abs() < 1e-9).all()  # a railway does not change driving
    for mode in ("transit", "park_and_ride"):
        ch = mc[mc["mode"] == mode]["change_min"]
        # a new line never makes a trip slower (NaN: unreachable both times)
        assert (ch.dropna() <= 1e-9).all(), mode
    # Pazhou and Science City drive to Yuzhu, a stop of the new line, and park there
    pr = mc[mc["mode"] == "park_and_ride"].set_index(["from_id", "to_id"])["change_min"]
    assert pr[("core_gz_pazhou", "st_sz_airport")] < -5.0
    assert pr[("core_gz_science_city", "st_sz_airport")] < -5.0
    files = sorted(f.name for f in (tmp_path / "cmp").iterdir() if f.name != MANIFEST)
    assert files == ["catchment_changes.csv", "difference.gpkg", "map.html",
                     "matrix_changes.csv", "report.md", "run.log", "summary.json"]
    summ = json.loads((tmp_path / "cmp" / "summary.json").read_text())
    assert summ["matrix_changes"]["park_and_ride"]["n_faster"] >= 2
    for mode in ("transit", "park_and_ride"):
        assert summ["matrix_changes"][mode]["n_slower"] == 0


@pytest.mark.shared
def test_population_is_counted_in_catchments(tmp_path):
    import geopandas as gpd

    from corridor_geo.scenario import run_scenario
    from corridor_geo.testing import shared_data_path

    zones = shared_data_path("population/shenzhen_taz491_population.gpkg")
    p = _small(tmp_path, origins=["core_sz_hitech_zone"], bands=[10, 20],
               population={"file": str(zones), "column": "population"},
               outputs={"map": False, "report": False})
    r = run_scenario(p, out=tmp_path / "out", progress=False)
    pops = [row["population"] for row in r.summary["catchments"]]
    assert 0 < pops[0] <= pops[1]  # nested bands hold nested populations
    total = gpd.read_file(zones)["population"].fillna(0).sum()
    assert pops[1] < total


def test_population_column_must_exist(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    zones = tmp_path / "zones.gpkg"
    gpd.GeoDataFrame({"pop": [1]}, geometry=[box(113.9, 22.5, 114.0, 22.6)],
                     crs="EPSG:4326").to_file(zones)
    p = _small(tmp_path, population={"file": "zones.gpkg"})
    from corridor_geo.scenario import run_scenario

    with pytest.raises(ScenarioError) as info:
        run_scenario(p, out=tmp_path / "out", progress=False)
    assert str(info.value) == (f"{p}: population.column: column 'population' not in "
                               "zones.gpkg (columns: pop)")
    assert not (tmp_path / "out").exists()


def test_population_without_crs_is_an_error(tmp_path):
    # one rule with catchments(): a population layer without CRS is refused, not guessed
    import geopandas as gpd
    from shapely.geometry import box

    from corridor_geo.scenario.run import _read_population

    zones = tmp_path / "zones.gpkg"
    gpd.GeoDataFrame({"population": [1]}, geometry=[box(113.9, 22.5, 114.0, 22.6)]
                     ).to_file(zones)
    p = _small(tmp_path, population={"file": "zones.gpkg"})
    with pytest.raises(ScenarioError, match=r"population.file: population file zones.gpkg "
                                            r"has no CRS"):
        _read_population(Scenario.from_yaml(p).resolve())


@pytest.mark.slow
def test_example_comparisons(tmp_path):
    # acceptance: the high-speed-line scenario shows where access improves; the peak
    # congestion scenario only loses (this pair of runs also exercises the gained/lost
    # overlay on real, partly coincident catchment polygons)
    from corridor_geo.scenario import compare

    base = ROOT / "scenarios" / "baseline_2025.yaml"
    hsr = compare(base, ROOT / "scenarios" / "second_gz_sz_hsr_2029.yaml",
                  out=tmp_path / "hsr", progress=False)
    # between core platforms the rail gains show by park and ride (most cores are beyond
    # a walk from any station, so their walk-access transit cells are unreachable: NaN)
    t = hsr.matrix_changes[(hsr.matrix_changes["mode"] == "park_and_ride")
                           & (hsr.matrix_changes["from_id"] != hsr.matrix_changes["to_id"])]
    assert (t["change_min"].dropna() <= 1e-9).all()
    # Pazhou → Airport New Town via Yuzhu: -3.6 min on drive model default-7 (-5.0 on
    # default-6); the faster expressways of default-6/7 shorten the baseline's car leg too
    assert (t["change_min"] < -2).sum() >= 1
    gained = hsr.difference[(hsr.difference["mode"] == "park_and_ride")
                            & (hsr.difference["change"] == "gained")]
    assert gained["area_km2"].sum() > 1.0
    # the README tour ends with this call: its repr is one short line (was ~43,000 chars)
    assert len(repr(hsr)) <= 300
    assert len(hsr._repr_html_()) < 4000
    peak = compare(base, ROOT / "scenarios" / "guangshen_peak_congestion.yaml",
                   out=tmp_path / "peak", progress=False)
    # NaN: a pair unreachable in both runs (no station within a walk)
    assert (peak.matrix_changes["change_min"].dropna() >= -1e-9).all()
    assert (peak.catchment_changes["change_km2"] <= 1e-6).all()
    assert peak.summary["matrix_changes"]["drive"]["n_slower"] > 0
    # what the compared catchments leave out: the runs' limits, one text per mode
    assert peak.summary["limits"] == peak.scenario.summary["limits"]
    assert set(peak.summary["limits"]) == set(peak.catchment_changes["mode"])
    assert peak.summary["limits"]["drive"].startswith("clipped to the corridor (3 cities);")


def test_timetable_feed_replaces_the_modelled_services(tmp_path):
    # a user's feed for the XRL: one non-stop Guangzhou South - Shenzhen North train every
    # 20 min taking 40 min; the model's fastest takes about 30
    pytest.importorskip("gtfs_kit")
    from corridor_geo.gtfs import export_gtfs
    from corridor_geo.rail import RailService
    from corridor_geo.scenario import run_scenario

    xrl = RailService("xrl", "gsh_xrl", "high_speed_rail", "XRL", ("st_gz_south", "st_sz_north"),
                      (102.0,), (40.0,), 0.0, 20.0, 300.0, ("km_post",),
                      coords=((113.2640, 22.9914), (114.0239, 22.6120)))
    export_gtfs([xrl], tmp_path / "feed.zip")
    common = {"origins": ["st_gz_south"], "destinations": ["st_sz_north"],
              "modes": ["transit"], "bands": [30], "outputs": {"map": False, "report": False}}
    runs = {}
    for name, extra in (("model", {}), ("feed", {"timetable": "feed.zip"})):
        p = _small(tmp_path, f"{name}.yaml", **common, **extra)
        runs[name] = run_scenario(p, out=tmp_path / name, progress=False)
    cell = {k: r.matrix.set_index("to_id").loc["st_sz_north"] for k, r in runs.items()}
    assert cell["model"]["in_vehicle_min"] < 36
    assert cell["feed"]["in_vehicle_min"] == pytest.approx(40.0, abs=0.05)
    assert cell["feed"]["wait_min"] == pytest.approx(10.0, abs=0.05)
    assert runs["feed"].summary["timetable"] == {"file": "feed.zip", "services": ["gtfs:xrl"]}
    assert "timetable" not in runs["model"].summary
    # a missing feed and a feed that is not GTFS: one error naming the field
    for name, text in (("missing.yaml", None), ("broken.yaml", "not a feed")):
        if text is not None:
            (tmp_path / "broken.zip").write_text(text)
        p = _small(tmp_path, name, **common,
                   timetable="broken.zip" if text else "nowhere.zip")
        with pytest.raises(ScenarioError, match=r": timetable: .*(nowhere|broken)\.zip"):
            run_scenario(p, out=tmp_path / "x", progress=False)
        assert not (tmp_path / "x").exists()
        # `run --check` finds it too, before any run
        from click.testing import CliRunner

        from corridor_geo.cli import main

        r = CliRunner().invoke(main, ["--quiet", "run", str(p), "--check"])
        assert r.exit_code == 2
        assert "timetable" in r.output
        assert len(r.output.strip().splitlines()) == 1


# ------------------------------------------------- speed factors on the drive layer

NEW_EXPRESSWAY = {"id": "new_exp", "name": "New expressway", "mode": "expressway",
                  "stops": ["ic_gs_luogang", "ic_yj_qianhai"], "operating_speed_kmh": 100.0}


def _drive_layer(edits: dict, *, street=None):
    """The drive graph of a scenario's multimodal network: (edges, interchange nodes, n).

    *street* replaces the scenario's street network (with its factors) when given.
    """
    from corridor_geo.scenario.streets import scenario_streets
    from corridor_geo.transit import MultimodalNetwork

    res = Scenario.from_dict({**SMALL, "edits": edits}).resolve()
    edit = res.network_edits()
    if street is None:
        street, _, _ = scenario_streets(res)
    else:  # the road-class factors are in the given network
        edit = type(edit)(add_links=edit.add_links)
    mm = MultimodalNetwork.build(res.corridor, street=street, edits=edit,
                                 as_of=res.scenario.as_of, walk=False)
    ic = list(mm.stations.loc[mm.stations["kind"] == "interchange", "id"])
    n = mm.drive.n_street
    return mm.drive.graph.edges(), {sid: n + k for k, sid in enumerate(ic)}, n


def test_speed_factor_on_an_added_expressway_slows_it():
    import numpy as np

    (s0, t0, w0, l0), _, _ = _drive_layer({"add_links": [NEW_EXPRESSWAY]})
    (s1, t1, w1, l1), ic1, _ = _drive_layer({"add_links": [NEW_EXPRESSWAY],
                                             "speed_factors": {"new_exp": 0.5}})
    np.testing.assert_array_equal(s0, s1)
    np.testing.assert_array_equal(t0, t1)
    a, b = ic1["ic_gs_luogang"], ic1["ic_yj_qianhai"]
    new = ((s1 == a) & (t1 == b)) | ((s1 == b) & (t1 == a))
    assert new.sum() == 2
    # the link's own edges at half its operating speed: length / (50 km/h)
    np.testing.assert_allclose(w1[new], l1[new] / (100.0 * 0.5 / 3.6), rtol=1e-12)
    np.testing.assert_allclose(w0[new], l0[new] / (100.0 / 3.6), rtol=1e-12)
    np.testing.assert_array_equal(w1[~new], w0[~new])  # nothing else changes


def test_road_class_factor_slows_the_expressway_links_too():
    """``expressway: 0.6`` scales every expressway edge of the drive layer by 1/0.6.

    The street edges of that class (as a network slowed by hand gives them) and the
    expressway links drawn alongside them, a new expressway included; arterials, local
    roads and ramps keep their times.
    """
    import numpy as np

    from corridor_geo.scenario.streets import street_network

    edits = {"add_links": [NEW_EXPRESSWAY]}
    base_net = street_network("default", as_of=SMALL["as_of"])
    exp = np.asarray(base_net.highway == "expressway")
    assert exp.sum() > 100
    by_hand = base_net.with_travel_times(np.where(exp, base_net.travel_time_s / 0.6,
                                                  base_net.travel_time_s))
    (s0, t0, w0, _), _, n = _drive_layer(edits)
    (sh, th, wh, _), _, _ = _drive_layer(edits, street=by_hand)
    (s1, t1, w1, _), _, _ = _drive_layer({**edits, "speed_factors": {"expressway": 0.6}})
    for a, b in ((s0, s1), (t0, t1), (s0, sh), (t0, th)):
        np.testing.assert_array_equal(a, b)
    links = (s0 >= n) & (t0 >= n)  # interchange to interchange: the expressway links
    assert links.sum() > 60
    np.testing.assert_allclose(w1[links], w0[links] / 0.6, rtol=1e-12)
    np.testing.assert_allclose(w1[~links], wh[~links], rtol=1e-12)  # streets, ramps
    # the street expressways slowed (the layer keeps the faster of parallel edges)
    assert (w1[~links] > w0[~links]).sum() > 0.95 * exp.sum()


def test_slowing_every_expressway_is_never_faster_than_slowing_two():
    """A class factor covers a superset of the edges two link factors cover."""
    import numpy as np

    from corridor_geo.scenario import run_scenario

    origins = ["core_gz_pazhou", "core_gz_science_city", "core_sz_hitech_zone"]

    def minutes(factors: dict) -> np.ndarray:
        s = Scenario.from_dict({**SMALL, "origins": origins, "bands": [15],
                                "edits": {"speed_factors": factors}})
        m = run_scenario(s, progress=False).matrix
        return m.sort_values(["from_id", "to_id"])["minutes"].to_numpy(dtype=float)

    two = minutes({"gs_expressway": 0.6, "yanjiang_expressway": 0.6})
    every = minutes({"expressway": 0.6})
    base = minutes({})
    assert (two >= base - 1e-9).all()
    assert (every >= two - 1e-9).all(), (every - two).min()


# ------------------------------------------------------------- comparison summaries


def test_compare_counts_pairs_that_become_unreachable(tmp_path):
    """Closing the only railway of three stations: every transit pair is lost, and said so.

    The counts are checked against the two runs' matrices (finite = reachable).
    """
    import numpy as np

    from corridor_geo.scenario import compare

    common = {"origins": ["st_changping", "st_dongguan", "st_shenzhen"],
              "modes": ["transit"], "bands": [15]}
    base = _small(tmp_path, "base.yaml", **common)
    closed = _small(tmp_path, "closed.yaml", edits={"close_links": ["guangshen_railway"]},
                    **common)
    c = compare(base, closed, out=tmp_path / "cmp", progress=False)

    def reachable(r):
        m = r.matrix[r.matrix["from_id"] != r.matrix["to_id"]].sort_values(["from_id", "to_id"])
        return np.isfinite(m["minutes"].to_numpy(dtype=float))

    rb, rs = reachable(c.base), reachable(c.scenario)
    assert rb.sum() == 6  # the three are served by the Guangshen railway only
    assert rs.sum() == 0
    st = c.summary["matrix_changes"]["transit"]  # the mode was missing altogether
    assert st["n_pairs"] == 6
    assert st["n_no_longer_reachable"] == int((rb & ~rs).sum()) == 6
    assert st["n_newly_reachable"] == st["n_unreachable_both"] == 0
    assert st["n_faster"] == st["n_slower"] == 0
    assert st["mean_change_min"] is None
    saved = json.loads((tmp_path / "cmp" / "summary.json").read_text())
    assert saved["matrix_changes"]["transit"]["n_no_longer_reachable"] == 6
    report = (tmp_path / "cmp" / "report.md").read_text()
    assert "- transit: 0 of 6 pairs faster, 0 slower, 6 no longer reachable" in report
    assert "6 no longer reachable" in repr(c)
    # and the other way round: opening the railway again makes them newly reachable
    back = compare(closed, base, progress=False)
    assert back.summary["matrix_changes"]["transit"]["n_newly_reachable"] == 6


def test_largest_saving_is_none_when_no_pair_is_faster(tmp_path):
    """Congestion saves no minute: the summary must not report a negative 'saving'."""
    from corridor_geo.scenario import compare

    origins = ["core_gz_science_city", "core_dg_binhaiwan", "core_sz_hitech_zone"]
    base = _small(tmp_path, "base.yaml", origins=origins, bands=[15])
    peak = _small(tmp_path, "peak.yaml", origins=origins, bands=[15],
                  edits={"speed_factors": {"gs_expressway": 0.45}})
    slower = compare(base, peak, progress=False)
    st = slower.summary["matrix_changes"]["drive"]
    assert st["n_faster"] == 0
    assert st["n_slower"] > 0
    assert st["largest_saving_min"] is None  # was minus the smallest slow-down
    faster = compare(peak, base, progress=False)  # the same pairs the other way round
    ch = faster.matrix_changes
    ch = ch[ch["from_id"] != ch["to_id"]]["change_min"]
    assert faster.summary["matrix_changes"]["drive"]["largest_saving_min"] == pytest.approx(
        -ch.min(), abs=1e-4)
    assert -ch.min() > 1.0


def test_closed_expressway_is_removed_from_the_street_network(tmp_path):
    """A closed expressway's street edges are gone, not slowed: a point whose nearest
    node lies only on it snaps to the open roads (before: it snapped onto the closed
    road and drove over it at 1/1000 of its speed, and its 30-min catchment shrank
    from 589 to 3 km²). Snapping and times checked against networkx on the base
    network minus those edges."""
    import networkx as nx
    import numpy as np
    from pyproj import Transformer

    from corridor_geo.routing import snap_points, travel_times
    from corridor_geo.scenario.streets import expressway_road_names, street_network
    from corridor_geo.scenario.streets import scenario_streets as _scenario_streets

    res = Scenario.from_yaml(_small(tmp_path, edits={"close_links": ["gs_expressway"]})).resolve()
    _, drive, _ = _scenario_streets(res)
    base = street_network("default")
    closed = np.isin(np.asarray(base.name, dtype=str),
                     expressway_road_names(res.corridor)["gs_expressway"])
    assert closed.sum() > 100
    assert drive.n_nodes == base.n_nodes
    assert drive.n_edges == base.n_edges - closed.sum()
    point = (113.892, 22.568)  # beside the Guangshen in Humen: nearest node is on it only
    n0 = int(snap_points(base, [point[0]], [point[1]], max_distance_m=2000).node[0])
    assert closed[(base.source == n0) | (base.target == n0)].all()

    g = nx.DiGraph()
    for u, v, t in zip(base.source[~closed], base.target[~closed],
                       base.travel_time_s[~closed], strict=True):
        if not g.has_edge(u, v) or g[u][v]["t"] > t:
            g.add_edge(int(u), int(v), t=float(t))
    main = np.array(sorted(max(nx.strongly_connected_components(g), key=len)))
    to_m = Transformer.from_crs(4326, 4547, always_xy=True)
    px, py = to_m.transform(*point)
    nx_, ny_ = to_m.transform(base.lon[main], base.lat[main])
    peer_node = int(main[np.argmin(np.hypot(nx_ - px, ny_ - py))])
    snap = snap_points(drive, [point[0]], [point[1]], max_distance_m=2000)
    assert int(snap.node[0]) == peer_node != n0
    target = int(snap_points(drive, [114.0], [22.54], max_distance_m=2000).node[0])
    got = travel_times(drive, [peer_node], targets=[target])[0, 0]
    assert got == pytest.approx(nx.dijkstra_path_length(g, peer_node, target, weight="t"),
                                rel=1e-9)


def test_report_counts_pairs_unreachable_in_both_and_says_why(tmp_path):
    """Pairs unreachable in both runs are counted and explained, not hidden in '0 faster'.

    (A planner read "transit: 0 of 30 pairs faster" as "the new line does nothing for
    transit" while 28 of the 30 pairs had no station in reach in either run.)
    """
    from corridor_geo.scenario import compare

    common = {"origins": ["st_changping", "st_dongguan", "st_shenzhen"],
              "modes": ["transit"], "bands": [15]}
    base = _small(tmp_path, "base.yaml", **common)
    closed = _small(tmp_path, "closed.yaml", edits={"close_links": ["guangshen_railway"]},
                    **common)
    c = compare(closed, closed, out=tmp_path / "both", progress=False)
    assert c.summary["matrix_changes"]["transit"]["n_unreachable_both"] == 6
    report = (tmp_path / "both" / "report.md").read_text()
    assert "- transit: 0 of 6 pairs faster, 0 slower, 6 unreachable in both" in report
    assert "Unreachable by transit: an end has no open railway station in reach" in report
    assert "6 unreachable in both" in repr(c)
    compare(base, base, out=tmp_path / "none", progress=False)
    report = (tmp_path / "none" / "report.md").read_text()
    assert "- transit: 0 of 6 pairs faster, 0 slower; no saving" in report
    assert "Unreachable by" not in report
