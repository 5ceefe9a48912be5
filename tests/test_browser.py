"""Maps opened in a real browser: headless Chromium over a loopback HTTP server.

Skipped with a reason when /usr/bin/chromium (Debian's ``chromium`` package, installed by
``scripts/install-browser.sh``) is absent.
"""

from __future__ import annotations

import pytest
from _mapdata import (
    synthetic_catchments,
    synthetic_corridor,
    synthetic_difference,
    synthetic_matrix,
)

from corridor_geo import maps
from corridor_geo.testing import open_map_in_browser

pytestmark = pytest.mark.browser


def test_full_map_renders_without_errors(tmp_path):
    corridor = synthetic_corridor()
    m = maps.corridor_map(
        corridor, axis=corridor.axis, catchments=synthetic_catchments(n_origins=3),
        matrix=synthetic_matrix(corridor), difference=synthetic_difference(), tiles=None,
    )
    path = maps.save_map(m, tmp_path / "map.html")
    report = open_map_in_browser(path)
    (tmp_path / "map.png").write_bytes(report.screenshot_png)
    assert report.errors == []
    for label in ["Corridor", "Main axis", "City boundaries", "Core platforms",
                  "Coordinate uncertainty", "Links: high-speed rail",
                  "Catchment ≤ 60 min (drive)", "Travel times: drive",
                  "Scenario: gained area"]:
        assert label in report.overlay_labels, (label, report.overlay_labels)
    # every polygon/line/marker drawn as an SVG path: far more than the layer count
    assert report.n_paths > 50
    assert report.n_legends >= 2  # catchment bands and travel times, in minutes
    assert "OpenStreetMap contributors" in report.attribution
    assert report.pixel_std > 0.02  # not a blank page


def test_tile_failures_offline_are_the_only_console_errors(tmp_path):
    """With real base tiles (unreachable here) the page itself still has no errors."""
    corridor = synthetic_corridor(boundary_vertices=500)
    path = maps.save_map(maps.corridor_map(corridor, axis=corridor.axis), tmp_path / "t.html")
    report = open_map_in_browser(path)
    assert report.errors == []
    assert "OpenStreetMap.Mapnik" in report.base_labels
    assert "Core platforms" in report.overlay_labels


def test_blank_page_is_detected(tmp_path):
    """The checks can fail: a page with a JavaScript error and nothing drawn."""
    path = tmp_path / "broken.html"
    path.write_text(
        "<!DOCTYPE html><html><body><div class='leaflet-container'></div>"
        "<script>undefinedFunction();</script></body></html>", encoding="utf-8")
    report = open_map_in_browser(path)
    assert any("undefinedFunction" in e for e in report.errors)
    assert report.pixel_std < 0.01
    assert report.overlay_labels == []


def test_bundled_corridor_map_in_browser(tmp_path):
    """The map of the bundled corridor (the demo's first map) opens without errors."""
    corridor_mod = pytest.importorskip("corridor_geo.corridor")
    corridor = corridor_mod.load_corridor()
    path = maps.save_map(maps.corridor_map(corridor, tiles=None), tmp_path / "corridor.html")
    assert path.stat().st_size < 5_000_000
    report = open_map_in_browser(path)
    assert report.errors == []
    for label in ["Corridor", "City boundaries", "Main axis", "Core platforms",
                  "Innovation nodes", "Stations"]:
        assert label in report.overlay_labels
    assert report.n_paths > len(corridor.platforms) + len(corridor.links)
    assert report.pixel_std > 0.02


def _scenario(path, name, *, as_of, enable=()):
    lines = [f"name: {name}", f"as_of: {as_of}", "origins: [core_sz_hitech_zone, core_gz_pazhou]",
             "modes: [drive, transit]", "bands: [30, 60]"]
    if enable:
        lines += ["edits:", f"  enable_links: [{', '.join(enable)}]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _check_cli_map(path, *layers):
    report = open_map_in_browser(path)
    assert report.errors == []
    labels = " ".join(report.overlay_labels).lower()
    for layer in layers:
        assert layer.lower() in labels, report.overlay_labels
    assert "OpenStreetMap contributors" in report.attribution
    assert report.pixel_std > 0.02


def test_catchments_cli_map_in_browser(tmp_path):
    from click.testing import CliRunner

    from corridor_geo.cli import main

    out = tmp_path / "c"
    r = CliRunner().invoke(main, ["-q", "catchments", "--origins", "core_dg_songshan_lake",
                                  "--mode", "drive", "--bands", "30,60", "--out", str(out)])
    assert r.exit_code == 0, r.output
    _check_cli_map(out / "map.html", "Catchment ≤ 60 min", "Core platforms")


def test_run_and_compare_cli_maps_in_browser(tmp_path):
    from click.testing import CliRunner

    from corridor_geo.cli import main

    # 2019 -> 2029: the 2025 intercities at Pazhou and the second HSR give real gains
    base = _scenario(tmp_path / "base.yaml", "base", as_of=2019)
    hsr = _scenario(tmp_path / "hsr.yaml", "hsr", as_of=2029, enable=["gz_sz_2nd_hsr"])
    r = CliRunner().invoke(main, ["-q", "run", str(base), "--out", str(tmp_path / "run")])
    assert r.exit_code == 0, r.output
    _check_cli_map(tmp_path / "run" / "map.html", "Catchment ≤ 60 min", "Travel times")
    r = CliRunner().invoke(main, ["-q", "compare", str(base), str(hsr),
                                  "--out", str(tmp_path / "cmp")])
    assert r.exit_code == 0, r.output
    _check_cli_map(tmp_path / "cmp" / "map.html", "gained")
