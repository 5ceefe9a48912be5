"""Maps opened in a real browser: headless Chromium over a loopback HTTP server.

Skipped with a reason when /usr/bin/chromium (Debian's ``chromium`` package, installed by
``scripts/install-browser.sh``) is absent.
"""

from __future__ import annotations

import html

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
    for label in ["Corridor", "City boundaries", "Core platforms",
                  "Coordinate uncertainty", "Links: high-speed rail",
                  "Catchment ≤ 60 min (drive)", "Travel times: drive",
                  "Scenario: gained area"]:
        assert label in report.overlay_labels, (label, report.overlay_labels)
    # every polygon/line/marker drawn as an SVG path: far more than the layer count
    assert report.n_paths > 50
    assert report.n_legends == 1  # one key, with catchment bands and travel times in it
    assert {"Catchment ≤ 60 min (drive)", "Travel times: drive"} <= set(report.legend_layers)
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
    for label in ["Corridor", "City boundaries", "Core platforms",
                  "Innovation nodes", "Stations"]:
        assert label in report.overlay_labels
    for label in ["Plan axis: 182.9 km (plan ~180 km)", "All-cores axis: 266.9 km"]:
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
    # the new line gains one 250 m cell: below the drawing limit, so no area layer, but
    # the panel on the map gives the numbers
    _check_cli_map(tmp_path / "cmp" / "map.html", "Plan axis")
    page = (tmp_path / "cmp" / "map.html").read_text(encoding="utf-8")
    assert "Scenario against base" in page
    assert "not drawn" in page


# --------------------------------------------------------------------------------------
# Maps that read at a glance (issue 14): the four kinds of result map at two window sizes,
# in one browser session.
# --------------------------------------------------------------------------------------

WINDOWS = [(1024, 768), (1400, 900)]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from corridor_geo.testing import headless_chromium, serve_directory

    root = tmp_path_factory.mktemp("maps")
    with serve_directory(root) as base, headless_chromium() as driver:
        yield root, base, driver


def _cli(*args):
    from click.testing import CliRunner

    from corridor_geo.cli import main

    r = CliRunner().invoke(main, ["-q", *args])
    assert r.exit_code == 0, r.output


@pytest.fixture(scope="module")
def result_maps(browser):
    """(name, map path, bounds of what the map shows) for the demo, a drive catchment,
    a transit catchment and a comparison, made by the CLI from the bundled defaults."""
    import geopandas as gpd

    from corridor_geo.corridor import load_corridor

    root, _, _ = browser
    out = []
    _cli("demo", "--out", str(root / "demo"))
    out.append(("demo", root / "demo" / "map.html", tuple(load_corridor().polygon.bounds)))
    for mode, origin in (("drive", "core_dg_songshan_lake"), ("transit", "core_sz_hitech_zone")):
        _cli("catchments", "--origins", origin, "--mode", mode, "--bands", "30,60",
             "--out", str(root / mode))
        gdf = gpd.read_file(root / mode / "catchments.gpkg")
        out.append((mode, root / mode / "map.html", tuple(gdf.total_bounds)))
    for name, extra in (("base", []), ("congested", ["edits:", "  speed_factors:",
                                                     "    gs_expressway: 0.45"])):
        (root / f"{name}.yaml").write_text("\n".join(
            [f"name: {name}", "as_of: 2025",
             "origins: [core_dg_songshan_lake, core_sz_hitech_zone]", "modes: [drive]",
             "bands: [30, 60]", *extra]) + "\n", encoding="utf-8")
    _cli("compare", str(root / "base.yaml"), str(root / "congested.yaml"),
         "--out", str(root / "compare"))
    diff = maps.clean_difference(gpd.read_file(root / "compare" / "difference.gpkg"))
    assert len(diff)
    out.append(("compare", root / "compare" / "map.html", tuple(diff.total_bounds)))
    return out


@pytest.mark.parametrize("window", WINDOWS, ids=lambda w: f"{w[0]}x{w[1]}")
def test_result_maps_read_at_a_glance(browser, result_maps, window):
    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    for name, path, bounds in result_maps:
        url = base + path.relative_to(root).as_posix()
        r = inspect_map_page(driver, url, window_size=window, bounds=bounds)
        (path.parent / f"view_{window[0]}.png").write_bytes(r.screenshot_png)
        what = f"{name} at {window}"
        assert r.viewport == window, what
        assert r.errors == [], what
        # the result's bounds are inside the view and span at least half of it
        assert r.bounds_inside, what
        assert max(r.bounds_fraction) >= 0.5, (what, r.bounds_fraction)
        # a key on screen with a row for every layer that is switched on
        assert r.legend_visible, what
        assert r.checked_overlays, what
        missing = set(r.checked_overlays) - {html.unescape(x) for x in r.legend_layers}
        assert not missing, (what, missing)
        # the layer control covers at most a quarter of the map; the scale bar shows
        assert 0 < r.layer_control_area <= r.map_area / 4, (what, r.layer_control_area)
        assert r.scale_visible, what
        # one attribution line crediting OpenStreetMap once, with the sources link
        assert r.attribution.count("OpenStreetMap contributors") == 1, r.attribution
        assert "sources" in r.attribution


_UNDER_KEY_JS = """
    const bounds = arguments[0];
    const key = document.querySelector('.cg-legend').getBoundingClientRect();
    const m = window[document.querySelector('.folium-map').id];
    const box = m.getContainer().getBoundingClientRect();
    const out = [];
    for (const k of Object.keys(window)) {
        const v = window[k];
        if (!(v && v instanceof L.GeoJSON)) continue;
        v.eachLayer(l => {
            if (!l.getLatLng || !m.hasLayer(l) || !l.feature) return;
            if (l.feature.properties.kind !== 'core platform') return;
            const ll = l.getLatLng();
            if (ll.lng < bounds[0] || ll.lng > bounds[2] || ll.lat < bounds[1]
                || ll.lat > bounds[3]) return;
            const p = m.latLngToContainerPoint(ll);
            const x = box.left + p.x, y = box.top + p.y;
            if (x >= key.left && x <= key.right && y >= key.top && y <= key.bottom) {
                out.push(l.feature.properties.name_en);
            }
        });
    }
    return out;"""


@pytest.mark.parametrize("window", WINDOWS, ids=lambda w: f"{w[0]}x{w[1]}")
def test_key_hides_no_core_platform_of_the_result(browser, result_maps, window):
    """At opening, no core platform within what the map shows lies under the key (the
    demo hid Shenzhen International Bio-Valley, Dapeng, under it at 1024 and 1280 px)."""
    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    for name, path, bounds in result_maps:
        r = inspect_map_page(driver, base + path.relative_to(root).as_posix(),
                             window_size=window, bounds=bounds)
        assert r.legend_visible, name
        assert r.bounds_inside, name
        hidden = driver.execute_script(_UNDER_KEY_JS, list(bounds))
        assert hidden == [], (name, window, hidden)


_LAYER_LABELS_COVERED_JS = """
    const c = document.querySelector('.leaflet-control-layers');
    const list = c.querySelector('.leaflet-control-layers-list').getBoundingClientRect();
    const out = [];
    c.querySelectorAll('label').forEach(l => {
        const r = l.getBoundingClientRect();
        const y = r.top + r.height / 2;
        if (y < list.top || y > list.bottom || y > window.innerHeight) return;  // scrolled
        const top = document.elementFromPoint(r.right - 4, y);
        if (!top || !c.contains(top)) out.push(l.textContent.trim());
    });
    return out;"""


def test_open_layer_control_is_above_the_key(browser, result_maps):
    """The layer control, opened, is drawn over the key: it lay under it, which hid the
    right half of its entries ("Coordinate uncertainty", "Plan axis: …")."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    for name, path, _ in result_maps:
        inspect_map_page(driver, base + path.relative_to(root).as_posix(),
                         window_size=(1024, 768))
        ActionChains(driver).move_to_element(driver.find_element(
            By.CSS_SELECTOR, ".leaflet-control-layers-toggle")).perform()
        assert driver.find_element(By.CSS_SELECTOR, ".leaflet-control-layers-expanded")
        covered = driver.execute_script(_LAYER_LABELS_COVERED_JS)
        assert covered == [], (name, covered)


_CREDITS_JS = """
    const box = document.querySelector('.leaflet-control-attribution').getBoundingClientRect();
    const inside = sel => { const e = document.querySelector(
            '.leaflet-control-attribution ' + sel);
        if (!e) return false;
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1
            && r.top >= box.top - 1 && r.bottom <= box.bottom + 1
            && r.right <= window.innerWidth + 1 && r.bottom <= window.innerHeight + 1; };
    const key = document.querySelector('.cg-legend').getBoundingClientRect();
    return {osm: inside('a[href*="openstreetmap.org/copyright"]'),
            sources: inside('a[href="#corridor-geo-sources"]'),
            key: key.width * key.height};"""


def test_result_maps_in_a_narrow_window(browser, result_maps):
    """At 400 × 700 px (a phone) the "© OpenStreetMap contributors" credit and the
    sources link are shown whole (not cut with an ellipsis), and the key does not cover
    more than a quarter of the map (it opens folded; a click unfolds it)."""
    from selenium.webdriver.common.by import By

    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    for name, path, _ in result_maps:
        url = base + path.relative_to(root).as_posix()
        r = inspect_map_page(driver, url, window_size=(400, 700))
        (path.parent / "view_400.png").write_bytes(r.screenshot_png)
        assert r.errors == [], name
        assert r.legend_visible, name
        seen = driver.execute_script(_CREDITS_JS)
        assert seen["osm"], (name, seen, r.attribution)
        assert seen["sources"], (name, seen, r.attribution)
        assert 0 < seen["key"] <= r.map_area / 4, (name, seen["key"], r.map_area)
        assert r.scale_visible, name
        driver.find_element(By.CSS_SELECTOR, ".cg-legend summary").click()
        rows = driver.execute_script(
            "return document.querySelectorAll('.cg-legend .cg-row').length && Array.from("
            "document.querySelectorAll('.cg-legend .cg-row')).filter("
            "e => e.offsetParent !== null).length;")
        assert rows > 3, name  # unfolded, the rows are there


def test_marker_and_icon_work_offline(browser):
    """folium's own Marker (Leaflet's images) and Icon (awesome-markers, Font Awesome,
    Glyphicons) work without the network: no console error, every image loaded."""
    import folium

    from corridor_geo._map_assets import external_urls
    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    m = maps.base_map(tiles=None)
    folium.Marker([22.9, 113.9], popup="plain marker").add_to(m)
    folium.Marker([22.8, 113.7], icon=folium.Icon(color="red", icon="info-sign")).add_to(m)
    folium.Marker([22.7, 113.5], icon=folium.Icon(color="green", icon="star", prefix="fa"),
                  ).add_to(m)
    folium.LayerControl().add_to(m)
    path = maps.save_map(m, root / "icons.html")
    assert external_urls(path.read_text(encoding="utf-8")) == []
    r = inspect_map_page(driver, base + "icons.html", window_size=(1024, 768))
    assert r.errors == []
    info = driver.execute_script("""
        const imgs = Array.from(document.querySelectorAll('.leaflet-marker-pane img'));
        const glyph = document.querySelector('.awesome-marker i.glyphicon');
        const fa = document.querySelector('.awesome-marker i.fa-star');
        return {n: imgs.length,
                broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
                awesome: document.querySelectorAll('.awesome-marker i').length,
                glyphFont: glyph ? getComputedStyle(glyph).fontFamily : '',
                glyphWidth: glyph ? glyph.getBoundingClientRect().width : 0,
                faWidth: fa ? fa.getBoundingClientRect().width : 0,
                fonts: document.fonts.check('14px "Glyphicons Halflings"')};""")
    assert info["n"] == 1  # the default marker's image
    assert info["broken"] == 0
    assert info["awesome"] == 2
    assert "Glyphicons" in info["glyphFont"]
    assert info["glyphWidth"] > 5
    assert info["faWidth"] > 5
    assert r.n_paths == 0  # nothing else drawn; the page did not stop at an error


HOSTILE = '<img src=x onerror="window.__pwned=1;alert(1)">'


def test_hostile_names_do_not_run(browser, tmp_path):
    """A place name, catchment origin and matrix pair like ``<img onerror=...>`` are shown
    as text in tooltips, popups, the key and the layer control; no script runs."""
    import geopandas as gpd
    import pandas as pd
    from selenium.common.exceptions import NoAlertPresentException
    from shapely.geometry import Point

    from corridor_geo.corridor import load_corridor
    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    nodes = tmp_path / "mine.csv"
    nodes.write_text("id,name_en,lon,lat\n" f'evil,"{HOSTILE.replace(chr(34), chr(34) * 2)}"'
                     ",113.95,22.55\n", encoding="utf-8")
    corridor = load_corridor(extra_nodes=nodes)
    assert HOSTILE in set(corridor.places()["name_en"])
    cat = gpd.GeoDataFrame(
        {"origin_id": ["evil"], "origin_name_en": [HOSTILE], "origin_name_zh": [HOSTILE],
         "mode": ["drive"], "band_min": [30.0], "area_km2": [10.0]},
        geometry=[Point(113.95, 22.55).buffer(0.05)], crs="EPSG:4326")
    pid = corridor.platforms["id"].iloc[0]
    cells = pd.DataFrame({"from_id": ["evil", pid], "to_id": [pid, "evil"],
                          "mode": ["drive", "drive"], "minutes": [30.0, 31.0]})
    m = maps.corridor_map(corridor, axis=False, plan_axis=False, catchments=cat,
                          matrix=cells, catchments_group_by="origin", tiles=None,
                          title=HOSTILE)
    path = maps.save_map(m, root / "hostile.html")
    text = path.read_text(encoding="utf-8")
    assert "<img src=x" not in text  # nowhere raw, not even in the <title>
    r = inspect_map_page(driver, base + "hostile.html", window_size=(1024, 768))
    # open every tooltip and popup of every GeoJSON feature, as a user hovering would
    opened = driver.execute_script("""
        let n = 0;
        for (const k of Object.keys(window)) {
            const v = window[k];
            if (v && v instanceof L.GeoJSON) {
                v.eachLayer(l => {
                    const c = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
                    if (v.getTooltip()) { l.fire('mouseover', {latlng: c}, true); n++; }
                    if (v.getPopup()) { l.fire('click', {latlng: c}, true); n++; }
                });
            }
        }
        return new Promise(res => setTimeout(() => res(n), 300));""")
    assert opened > 3
    state = driver.execute_script("""return {
        pwned: window.__pwned === undefined ? null : window.__pwned,
        imgs: document.querySelectorAll('img[src="x"]').length,
        shown: document.body.innerText.includes('<img src=x'),
        title: document.title};""")
    try:
        driver.switch_to.alert.dismiss()
        alerted = True
    except NoAlertPresentException:
        alerted = False
    assert not alerted
    assert state["pwned"] is None
    assert state["imgs"] == 0
    assert state["shown"]  # the name is displayed, as text
    assert state["title"] == HOSTILE
    assert r.errors == []


def test_map_has_title_and_sources(browser):
    """The page has a <title>; the attribution's "sources" link shows SOURCES.md in the page."""
    from selenium.webdriver.common.by import By

    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    corridor = synthetic_corridor(boundary_vertices=300)
    maps.save_map(maps.corridor_map(corridor, axis=corridor.axis, tiles=None,
                                    catchments=synthetic_catchments(n_origins=1)),
                  root / "titled.html")
    inspect_map_page(driver, base + "titled.html", window_size=(1024, 768))
    assert driver.title.startswith("Catchments ≤ 30, 45, 60, 90 min by drive")
    box = driver.find_element(By.ID, "corridor-geo-sources")
    assert not box.is_displayed()
    driver.find_element(By.CSS_SELECTOR,
                        '.leaflet-control-attribution a[href="#corridor-geo-sources"]').click()
    assert box.is_displayed()
    assert "OpenStreetMap" in box.text
    assert "ODbL" in box.text


# --------------------------------------------------------------------------------------
# What the mouse reaches: a catchment around a platform, and the same after toggling.
# --------------------------------------------------------------------------------------

def _nested_catchments_map(root, name):
    """A walk catchment (5/10/15 min squares) around a medium-confidence platform, whose
    ±2 km uncertainty circle covers every band, as the CLI draws them (catchments first,
    places last). Returns the page name and the (lon, lat) of a point in the 5-min band."""
    import geopandas as gpd
    from shapely.geometry import Point, box

    lon, lat = 113.88, 22.93
    cat = gpd.GeoDataFrame(
        {"origin_id": ["p"] * 3, "origin_name_en": ["Songshan Lake"] * 3, "mode": ["walk"] * 3,
         "band_min": [5, 10, 15], "area_km2": [0.4, 1.6, 3.6]},
        geometry=[box(lon - d, lat - d, lon + d, lat + d) for d in (0.003, 0.006, 0.009)],
        crs="EPSG:4326")
    place = gpd.GeoDataFrame(
        {"id": ["p"], "name_en": ["Songshan Lake"], "name_zh": ["松山湖"],
         "kind": ["core_platform"], "confidence": ["medium"]},
        geometry=[Point(lon, lat)], crs="EPSG:4326")
    m = maps.base_map(tiles=None, bounds=tuple(cat.total_bounds))
    maps.add_catchments_layer(m, cat)
    maps.add_places_layer(m, place)
    maps.save_map(m, root / name)
    return name, (lon + 0.0015, lat + 0.0015)


_HOVER_JS = """
    const m = window[document.querySelector('.folium-map').id];
    const p = m.latLngToContainerPoint([arguments[1], arguments[0]]);
    const r = m.getContainer().getBoundingClientRect();
    const el = document.elementFromPoint(r.left + p.x, r.top + p.y);
    return {x: r.left + p.x, y: r.top + p.y,
            fill: el && el.getAttribute('fill'), tag: el && el.tagName};"""


def _hover_text(driver, x, y):
    """Move the mouse to viewport pixel (x, y); return the text of the tooltips shown."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    action = ActionBuilder(driver)
    action.pointer_action.move_to_location(int(x), int(y))
    action.perform()
    driver.execute_script("return new Promise(r => setTimeout(r, 100))")
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-tooltip'))"
        ".map(t => t.textContent).join(' | ')")


def test_catchment_tooltip_reachable_inside_the_uncertainty_circle(browser):
    """Hovering the 5-min band next to a platform shows the band's tooltip: the
    platform's coordinate-uncertainty circle (±2 km, over every band) took the mouse."""
    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    name, (lon, lat) = _nested_catchments_map(root, "reach.html")
    r = inspect_map_page(driver, base + name, window_size=(1024, 768))
    assert r.errors == []
    at = driver.execute_script(_HOVER_JS, lon, lat)
    assert at["fill"] == maps.BAND_COLOURS[0], at  # the 5-min band is what the mouse hits
    text = _hover_text(driver, at["x"], at["y"])
    assert "≤ 5 min" in text, text


def test_layers_keep_their_stacking_after_toggling(browser):
    """Switching the 15-min band off and on again must not lay it over the 5-min band
    and the platform marker (Leaflet re-adds a layer on top of everything)."""
    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    name, (lon, lat) = _nested_catchments_map(root, "toggle.html")
    inspect_map_page(driver, base + name, window_size=(1024, 768))
    before = driver.execute_script(_HOVER_JS, lon, lat)
    marker = driver.execute_script(_HOVER_JS, 113.88, 22.93)
    assert before["fill"] == maps.BAND_COLOURS[0]
    assert marker["fill"] == maps.PALETTE["core_platform"]
    for label in ("Catchment ≤ 15 min (walk)", "Catchment ≤ 10 min (walk)"):
        box = driver.execute_script("""
            return Array.from(document.querySelectorAll(
                '.leaflet-control-layers-overlays label'))
                .find(l => l.textContent.trim() === arguments[0]).querySelector('input');""",
            label)
        driver.execute_script("arguments[0].click(); arguments[0].click();", box)
        assert box.is_selected()
    after = driver.execute_script(_HOVER_JS, lon, lat)
    assert after["fill"] == maps.BAND_COLOURS[0], after  # the 5-min band is still on top
    assert "≤ 5 min" in _hover_text(driver, after["x"], after["y"])
    marker = driver.execute_script(_HOVER_JS, 113.88, 22.93)
    assert marker["fill"] == maps.PALETTE["core_platform"], marker  # and the marker above it
    # the bands' paths are in their drawing order again: largest first, smallest last
    fills = driver.execute_script("""
        return Array.from(document.querySelectorAll('.leaflet-overlay-pane path'))
            .map(p => p.getAttribute('fill'));""")
    bands = [f for f in fills if f in maps.BAND_COLOURS]
    assert bands == list(maps.BAND_COLOURS[:3][::-1]), fills


def test_band_colours_in_the_key_match_the_map(browser):
    """Each band's swatch in the key has the colour the band shows on the map. The bands
    are nested and drawn at 25 % opacity, so inside the 5-min band all three are
    painted: the key drew the 5-min colour alone (a pale grey-blue for a dark blue)."""
    import io

    import matplotlib.image
    import numpy as np

    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    name, _ = _nested_catchments_map(root, "colours.html")
    lon, lat = 113.88, 22.93  # the platform, centre of the nested squares
    inspect_map_page(driver, base + name, window_size=(1024, 768))
    # a white page under both the map and the key (no tiles here: Leaflet's grey), and
    # the grey veil of the platform's uncertainty circle switched off
    driver.execute_script("""
        Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
            .find(l => l.textContent.trim() === 'Coordinate uncertainty')
            .querySelector('input').click();""")
    driver.execute_script("document.querySelector('.folium-map').style.background = '#fff';"
                          "document.querySelectorAll('.cg-legend .cg-row').forEach("
                          "r => r.style.display = '');")
    points = {}
    for band, (dx, dy) in {5: (0.0015, 0.0015), 10: (-0.0045, 0.0), 15: (0.0, 0.0075)}.items():
        points[band] = driver.execute_script(_HOVER_JS, lon + dx, lat + dy)
        assert points[band]["fill"] == maps.BAND_COLOURS[[5, 10, 15].index(band)], band
    swatches = driver.execute_script("""
        const out = {};
        document.querySelectorAll('.cg-legend [data-layer]').forEach(row => {
            const r = row.querySelector('svg').getBoundingClientRect();
            out[row.getAttribute('data-layer')] = {x: r.left + r.width / 2,
                                                   y: r.top + r.height / 2};
        });
        return out;""")
    png = matplotlib.image.imread(io.BytesIO(driver.get_screenshot_as_png()), format="png")

    def rgb(p):
        return np.round(png[int(p["y"]), int(p["x"]), :3] * 255)

    for band, at in points.items():
        on_map = rgb(at)
        in_key = rgb(swatches[f"Catchment ≤ {band} min (walk)"])
        assert np.abs(on_map - in_key).max() <= 6, (band, on_map, in_key)


_KEY_ROWS_JS = """
    return Array.from(document.querySelectorAll('.cg-legend .cg-row'))
        .filter(r => r.offsetParent !== null)
        .map(r => r.querySelector('.cg-lab').firstChild.textContent.trim());"""


def _toggle_overlay(driver, label):
    driver.execute_script("""
        Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
            .find(l => l.textContent.trim() === arguments[0])
            .querySelector('input').click();""", label)


def test_key_rows_shared_by_origins_and_unreachable_pairs(browser):
    """Catchments grouped by origin: each band has one key row, shown while any origin's
    layer is on; a matrix with an unreachable pair says so in the key, with its mode."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    from corridor_geo.settings import mode_label
    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    cat = gpd.GeoDataFrame(
        {"origin_id": ["a", "a", "b", "b"], "origin_name_en": ["A", "A", "B", "B"],
         "mode": ["drive"] * 4, "band_min": [30, 60, 30, 60]},
        geometry=[Point(x, 22.9).buffer(r) for x in (113.6, 113.9) for r in (0.05, 0.1)],
        crs="EPSG:4326")
    places = gpd.GeoDataFrame({"id": ["a", "b"], "name_en": ["A", "B"]},
                              geometry=[Point(113.6, 22.9), Point(113.9, 22.9)],
                              crs="EPSG:4326")
    cells = pd.DataFrame({"from_id": ["a", "b"], "to_id": ["b", "a"], "mode": ["drive"] * 2,
                          "minutes": [40.0, float("inf")]})
    m = maps.base_map(tiles=None)
    maps.add_catchments_layer(m, cat, group_by="origin")
    maps.add_matrix_layer(m, cells, places=places)
    maps.save_map(m, root / "shared_rows.html")
    r = inspect_map_page(driver, base + "shared_rows.html", window_size=(1024, 768))
    assert r.errors == []
    # every layer shown is followed by a displayed key row
    assert set(r.checked_overlays) <= {html.unescape(x) for x in r.legend_layers}
    unreachable = f"1 of 2 pairs unreachable by {mode_label('drive')} (no line drawn)"
    rows = driver.execute_script(_KEY_ROWS_JS)
    assert rows.count("≤ 30 min") == rows.count("≤ 60 min") == 1, rows
    assert not [x for x in rows if x.startswith("Catchments:")], rows
    assert unreachable in rows
    _toggle_overlay(driver, "Catchments: A (drive)")
    rows = driver.execute_script(_KEY_ROWS_JS)
    assert {"≤ 30 min", "≤ 60 min"} <= set(rows), rows  # B is still on
    _toggle_overlay(driver, "Catchments: B (drive)")
    rows = driver.execute_script(_KEY_ROWS_JS)
    assert not {"≤ 30 min", "≤ 60 min"} & set(rows), rows
    # the unreachable pair's row goes with its mode's lines
    _toggle_overlay(driver, f"Travel times: {mode_label('drive')}")
    assert unreachable not in driver.execute_script(_KEY_ROWS_JS)


# --------------------------------------------------------------------------------------
# Phones and narrow maps: the key starts folded, the corridor fits, the places are named.
# --------------------------------------------------------------------------------------

_GLANCE_JS = """
    const b = arguments[0];
    const m = window[document.querySelector('.folium-map').id];
    const key = document.querySelector('.cg-legend');
    const k = key.getBoundingClientRect();
    const size = m.getSize();
    const labels = Array.from(document.querySelectorAll('.leaflet-tooltip.cg-label'))
        .filter(e => e.offsetParent !== null)
        .map(e => { const r = e.getBoundingClientRect();
                    return [e.textContent, r.left, r.top, r.right, r.bottom]; });
    const overlaps = [];
    for (let i = 0; i < labels.length; i++) {
        for (let j = i + 1; j < labels.length; j++) {
            const a = labels[i], c = labels[j];
            if (a[1] < c[3] && c[1] < a[3] && a[2] < c[4] && c[2] < a[4]) {
                overlaps.push([a[0], c[0]]); }
        }
    }
    const view = m.getBounds();
    return {open: key.querySelector('details').open, key: k.width * k.height,
            map: [size.x, size.y], labels: labels.map(l => l[0]), overlaps: overlaps,
            inside: view.contains(L.latLngBounds([[b[1], b[0]], [b[3], b[2]]])),
            zoom: m.getZoom()};"""


def _open_as(driver, url, *, width, height, mobile):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 3 if mobile else 1,
        "mobile": mobile})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": mobile})
    try:
        driver.get(url)
        WebDriverWait(driver, 60).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        driver.execute_script("return new Promise(r => setTimeout(r, 700))")
    finally:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


def test_phone_opens_on_the_corridor_with_the_key_folded_and_places_named(browser):
    """On a phone (390 × 844, mobile emulation) the key was open and covered the Shenzhen
    half of the corridor (21 % of the map, under the quarter rule): it now starts folded
    in any map narrower than 600 px, the view fits the whole corridor, and the ten core
    platforms carry labels that do not overlap (there were none: names only on hover).
    At 1366 × 768 the key is open and the labels are there too."""
    from corridor_geo.corridor import load_corridor

    root, base, driver = browser
    corridor = load_corridor()
    bounds = list(corridor.polygon.bounds)
    (root / "glance").mkdir(exist_ok=True)
    maps.save_map(maps.corridor_map(corridor, tiles=None), root / "glance" / "map.html")
    # the map's container decides, not the page: a 500 px map in a wide window folds too
    maps.save_map(maps.corridor_map(corridor, tiles=None, width=500),
                  root / "glance" / "narrow.html")
    url = base + "glance/"
    for name, (w, h, mobile), folded in (("map", (390, 844, True), True),
                                         ("map", (1366, 768, False), False),
                                         ("narrow", (1366, 768, False), True)):
        _open_as(driver, url + f"{name}.html", width=w, height=h, mobile=mobile)
        (root / "glance" / f"{name}_{w}.png").write_bytes(driver.get_screenshot_as_png())
        seen = driver.execute_script(_GLANCE_JS, bounds)
        what = (name, w, seen)
        assert seen["open"] is not folded, what
        if folded:
            assert seen["key"] < 0.02 * seen["map"][0] * seen["map"][1], what
        assert seen["inside"], what  # the whole corridor is in view
        assert sorted(seen["labels"]) == sorted(
            maps.short_names(corridor.platforms)[0]), what
        assert seen["overlaps"] == [], what


# --------------------------------------------------------------------------------------
# Labels clear of the controls: the gallery's transit and comparison maps at 1024 × 768
# (Pazhou's label lay under the "result"/"corridor" buttons, Bantian-Xuegang's under
# the key, on the transit map).
# --------------------------------------------------------------------------------------

_LABELS_AND_CONTROLS_JS = """
    const m = window[document.querySelector('.folium-map').id];
    const c = m.getContainer().getBoundingClientRect();
    const rect = e => { const r = e.getBoundingClientRect();
                        return [r.left, r.top, r.right, r.bottom]; };
    const hit = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
    // every control on screen: zoom, fullscreen, measure, result/corridor buttons,
    // layer control, key, panel, scale bar, attribution
    const controls = Array.from(m.getContainer().querySelectorAll('.leaflet-control'))
        .filter(e => e.offsetParent !== null && e.offsetWidth > 0)
        .map(e => [e.className.split(' ').filter(k => k !== 'leaflet-control')
                    .join(' '), rect(e)]);
    const labels = [], hits = [], missing = [], origins = [];
    m.eachLayer(l => {
        if (!(l instanceof L.Tooltip) || !l.options.permanent) return;
        const e = l.getElement();
        if (!e || !e.classList.contains('cg-label')) return;
        const name = e.textContent;
        const shown = e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden';
        if (shown) {
            labels.push(name);
            if (e.classList.contains('cg-origin')) origins.push(name);
            const r = rect(e);
            controls.forEach(k => { if (hit(r, k[1])) hits.push([name, k[0]]); });
            return;
        }
        // a label may be left out only where its place is off the map or under a control
        const p = m.latLngToContainerPoint(l.getLatLng());
        const x = c.left + p.x, y = c.top + p.y;
        const pt = [x - 1, y - 1, x + 1, y + 1];
        if (x < c.left || x > c.right || y < c.top || y > c.bottom) return;
        if (controls.some(k => hit(pt, k[1]))) return;
        missing.push(name);
    });
    return {labels: labels, hits: hits, missing: missing, origins: origins,
            marks: m.getContainer().querySelectorAll('.leaflet-marker-pane .cg-origin-mark')
                .length,
            key: Array.from(document.querySelectorAll('.cg-legend .cg-row'))
                .filter(e => e.offsetParent !== null).map(e => e.textContent),
            controls: controls.map(k => k[0])};"""


@pytest.fixture(scope="module")
def gallery_maps(browser):
    """The gallery's transit catchment and comparison maps (scripts/make_gallery.py)."""
    from pathlib import Path

    root, _, _ = browser
    scenarios = Path(__file__).resolve().parents[1] / "scenarios"
    _cli("catchments", "--origins", "st_gz_south", "--mode", "transit",
         "--bands", "30,60,90", "--out", str(root / "g_transit"))
    _cli("compare", str(scenarios / "baseline_2025.yaml"),
         str(scenarios / "guangshen_peak_congestion.yaml"), "--out", str(root / "g_compare"))
    return [("transit", root / "g_transit" / "map.html"),
            ("compare", root / "g_compare" / "map.html")]


#: Short names of scenarios/baseline_2025.yaml's origins.
_BASELINE_ORIGINS = ["Pazhou", "Science City", "Songshan Lake", "Binhaiwan",
                     "Airport New Town", "Hi-tech Zone"]


def test_labels_clear_of_key_and_zoom_control(browser, gallery_maps):
    """At 1024 × 768 no place label's box meets the key's, the zoom control's or any
    other control's box, and no label is left out whose place is on the map clear of
    the controls. The comparison map marks and labels the origins compared (it did
    not mark them) and names them in the key."""
    from corridor_geo.testing import inspect_map_page

    root, base, driver = browser
    for name, path in gallery_maps:
        r = inspect_map_page(driver, base + path.relative_to(root).as_posix(),
                             window_size=(1024, 768))
        (path.parent / "labels_1024.png").write_bytes(r.screenshot_png)
        assert r.errors == [], name
        seen = driver.execute_script(_LABELS_AND_CONTROLS_JS)
        what = (name, seen)
        assert {"cg-legend", "leaflet-control-zoom leaflet-bar"} <= set(seen["controls"]), what
        assert len(seen["labels"]) >= 5, what
        assert seen["hits"] == [], what
        assert seen["missing"] == [], what
        # what the catchments leave out, one line per mode shown (clipped to the corridor)
        limits = [k for k in seen["key"] if " limits" in k]
        assert limits, what
        assert all("clipped to the corridor (3 cities)" in k for k in limits), what
        assert any(k.startswith("transit limits" if name == "transit" else "drive limits")
                   for k in limits), what
        if name == "compare":  # the six platforms whose catchments are compared
            assert sorted(seen["origins"]) == sorted(_BASELINE_ORIGINS), what
            assert seen["marks"] == 6, what
            assert any(k.startswith("Origins compared") for k in seen["key"]), what
