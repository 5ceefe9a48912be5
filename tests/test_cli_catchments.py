"""Tests of ``corridor-geo catchments`` (click runner, in process)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from click.testing import CliRunner

from corridor_geo.cli import main
from corridor_geo.testing import shared_data_path

pytest.importorskip("corridor_geo.corridor")
pytest.importorskip("corridor_geo.graph")
pytest.importorskip("corridor_geo.routing")

PBF = "osm/shenzhen_futian_nanshan_drive_2024-10.osm.pbf"


def _run(*args: str):
    return CliRunner().invoke(main, ["--quiet", "catchments", *args], catch_exceptions=False)


@pytest.mark.shared
@pytest.mark.parametrize("fmt", ["gpkg", "parquet"])
def test_cli_writes_and_is_byte_identical(tmp_path, fmt):
    pbf = str(shared_data_path(PBF))
    args = ["--origins", "node_sz_bay_super_hq", "core_sz_hitech_zone", "--bands", "5,10",
            "--network", pbf, "--format", fmt]
    r1 = _run(*args, "--out", str(tmp_path / "a"))
    assert r1.exit_code == 0, r1.output
    # reversed origin order, second run: the same bytes
    args[1:3] = args[2:0:-1]
    r2 = _run(*args, "--out", str(tmp_path / "b"))
    assert r2.exit_code == 0, r2.output
    name = f"catchments.{fmt}"
    for f in (name, "map.html"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    gdf = gpd.read_parquet(tmp_path / "a" / name) if fmt == "parquet" else \
        gpd.read_file(tmp_path / "a" / name, layer="catchments")
    assert gdf.crs.to_epsg() == 4326
    assert sorted(set(gdf.origin_id)) == ["core_sz_hitech_zone", "node_sz_bay_super_hq"]
    assert list(gdf.band_min) == [5, 10, 5, 10]
    assert (gdf.area_km2 > 0).all()
    assert "catchments.gpkg" not in {p.name for p in (tmp_path / "a").iterdir()} or fmt == "gpkg"
    html = (tmp_path / "a" / "map.html").read_text(encoding="utf-8")
    assert "OpenStreetMap" in html
    assert "Catchment" in html


def test_cli_unknown_origin_is_one_line_exit_2(tmp_path):
    r = CliRunner().invoke(main, ["catchments", "--origins", "core_nowhere", "--out",
                                  str(tmp_path / "o")])
    assert r.exit_code == 2
    assert r.output.strip().count("\n") == 0
    assert "core_nowhere" in r.output
    assert not (tmp_path / "o").exists()


def test_cli_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    # pyarrow is optional (extra "parquet"): without it, one line naming the extra, before
    # any computing, and nothing written
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyarrow" else real(name, *a))
    r = CliRunner().invoke(main, ["catchments", "--origins", "core_dg_songshan_lake",
                                  "--format", "parquet", "--out", str(tmp_path / "o")])
    assert r.exit_code != 0
    assert r.output.strip().count("\n") == 0
    assert "corridor_geo[parquet]" in r.output
    assert "--format gpkg" in r.output
    assert not (tmp_path / "o").exists()


def test_cli_bad_bands(tmp_path):
    r = CliRunner().invoke(main, ["catchments", "--origins", "core_dg_songshan_lake",
                                  "--bands", "15,abc", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "--bands" in r.output


@pytest.mark.parametrize("bands", [["30,60"], ["30 60"], ["30, 60"], ["30", "60"],
                                   ["30", "--bands", "60"]])
def test_cli_bands_comma_or_space_separated(tmp_path, bands):
    """'30 60' (quoted or not) and '30, 60' are the bands 30 and 60, as '30,60' is."""
    r = _run("--origins", "core_dg_songshan_lake", "--method", "buffer", "--bands", *bands,
             "--out", str(tmp_path / "o"))
    assert r.exit_code == 0, r.output
    gdf = gpd.read_file(tmp_path / "o" / "catchments.gpkg", layer="catchments")
    assert sorted(gdf["band_min"]) == [30.0, 60.0]


@pytest.mark.parametrize(("bands", "bad"), [("30 abc", "'abc', item 2 of 2"),
                                            ("30, 60 x", "'x', item 3 of 3")])
def test_cli_bad_bands_with_spaces_name_the_value(tmp_path, bands, bad):
    r = CliRunner().invoke(main, ["catchments", "--origins", "core_dg_songshan_lake",
                                  "--bands", bands, "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "--bands: must be numbers of minutes" in r.output
    assert bad in r.output
    assert "expected minutes like 15,30,60" in r.output
    assert not (tmp_path / "o").exists()


def test_cli_transit_reaches_along_the_rail_line(tmp_path):
    """Walk + rail + walk: from Guangzhou South the 90-min band reaches Shenzhen North,
    102 km down the XRL, and agrees with the transit matrix."""
    import shapely

    from corridor_geo.corridor import load_corridor
    from corridor_geo.matrix import travel_time_matrix

    out = tmp_path / "o"
    r = CliRunner().invoke(main, ["catchments", "--origins", "广州南", "--mode", "transit",
                                  "--bands", "30,90", "--out", str(out)])
    assert r.exit_code == 0, r.output
    gdf = gpd.read_file(out / "catchments.gpkg")
    band90 = gdf[gdf.band_min == 90].geometry.iloc[0]
    band30 = gdf[gdf.band_min == 30].geometry.iloc[0]
    sz_north = shapely.Point(114.02395, 22.61204)
    cell = travel_time_matrix(load_corridor(), ["st_gz_south"], ["st_sz_north"], mode="transit")
    assert float(cell.minutes.iloc[0]) < 90
    assert band90.distance(sz_north) < 0.01  # within ~1 km (the grid and the walk allowance)
    assert band30.distance(sz_north) > 0.5   # not reached in 30 minutes
    assert (gdf["mode"] == "transit").all()




def test_cli_origin_far_from_network_names_it_and_the_option(tmp_path):
    # the Bio-Valley point is ~6.5 km from the bundled major-road network
    r = CliRunner().invoke(main, ["catchments", "--origins", "core_sz_bio_valley",
                                  "--bands", "30", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "core_sz_bio_valley" in r.output
    assert "--snap-max" in r.output
    assert not (tmp_path / "o").exists()
    r = CliRunner().invoke(main, ["catchments", "--origins", "core_sz_bio_valley",
                                  "--bands", "30", "--snap-max", "7000",
                                  "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    gdf = gpd.read_file(tmp_path / "o" / "catchments.gpkg")
    assert gdf["origin_snap_m"].iloc[0] > 6000


@pytest.mark.parametrize(("args", "option", "api_name"), [
    (["--cell-size", "nan"], "--cell-size", "cell_size_m"),
    (["--cell-size", "inf"], "--cell-size", "cell_size_m"),
    (["--cell-size", "-5"], "--cell-size", "cell_size_m"),
    (["--cell-size", "0"], "--cell-size", "cell_size_m"),
    (["--cell-size", "1e308"], "--cell-size", "cell_size_m"),
    # the grid-memory limit (25 billion 1 m cells), raised after the network loads
    (["--cell-size", "1"], "--cell-size", "cell_size_m"),
    (["--snap-max", "nan"], "--snap-max", "snap_max_m"),
    (["--snap-max", "inf"], "--snap-max", "snap_max_m"),
    (["--as-of", "1700"], "--as-of", "as_of"),
])
def test_cli_bad_number_names_the_option_not_the_api_parameter(tmp_path, args, option,
                                                              api_name):
    # these named the API parameter ("cell_size_m must be a positive number, got nan")
    r = CliRunner().invoke(main, ["--quiet", "catchments", "--origins",
                                  "core_dg_songshan_lake", "--bands", "30", *args,
                                  "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert option in r.output
    assert api_name not in r.output
    assert r.stderr.startswith("corridor-geo: error: ")  # one line, as every user error
    assert r.stderr.count("\n") == 1
    assert "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_cli_as_of_uses_the_expressways_of_that_year(tmp_path):
    # Knowledge City's 45-min drive catchment: the Huaguan expressway (2020) is not
    # recognised in 2019, so the catchment covers less land than in 2021; the API on the
    # same year's corridor gives the same figure
    from corridor_geo.catchments import catchments
    from corridor_geo.corridor import load_corridor

    area = {}
    for year in ("2019", "2021"):
        r = _run("--origins", "core_gz_knowledge_city", "--bands", "45", "--as-of", year,
                 "--out", str(tmp_path / year))
        assert r.exit_code == 0, r.output
        gdf = gpd.read_file(tmp_path / year / "catchments.gpkg", layer="catchments")
        area[year] = float(gdf["area_km2"].iloc[0])
    assert area["2019"] < area["2021"]
    api = catchments("core_gz_knowledge_city", bands=(45,), corridor=load_corridor(as_of=2019))
    assert float(api["area_km2"].iloc[0]) == pytest.approx(area["2019"], rel=1e-9)
    bad = CliRunner().invoke(main, ["--quiet", "catchments", "--origins", "core_gz_pazhou",
                                    "--as-of", "1700", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2
    assert "1700" in bad.output
    assert not (tmp_path / "bad").exists()
