"""Private map controls of :mod:`corridor_geo.maps`: key, grouped layer control, buttons.

* :class:`Legend` — the map's key: one row per symbol in use (line, marker, polygon
  swatches drawn with the layer's own colour, width, dash and opacity), on a white
  background, bottom right. Rows tied to a layer follow its checkbox in the layer
  control (hidden while the layer is off); a row shared by several layers drawn alike
  (one band of several origins) shows while any of them is on. It opens folded when,
  open, it would cover more than a quarter of the map, or when the map's container is
  narrower than :data:`FOLD_KEY_BELOW_PX` (a phone), so that the opening view is fitted
  beside the folded key.
* :class:`GroupedLayerControl` — Leaflet's layer control with the overlays ordered and
  headed by group ("Results", "Places", "Transport", "Context"); collapsed to its icon
  when it lists more than :data:`COLLAPSE_ABOVE` entries. A layer switched back on
  keeps its place in the drawing order (Leaflet would draw it over all others).
* :class:`ZoomButtons` — "result" and "corridor" buttons that fit the view to each.
  The opening view and the buttons fit beside the key (padded by its width), so the key
  hides nothing of what the map opens on.
* :class:`PlaceLabels` — permanent, small name labels (Leaflet tooltips) that belong to a
  layer (hidden with it), are hidden below :data:`LABEL_MIN_ZOOM` and keep clear of the
  controls (a label meeting the key, a button or the map's edge moves to another side).
* :class:`FollowLayers` — shows a layer (not in the layer control) while any of its
  owner layers is on (catchment origins follow their catchments).
* :class:`InfoPanel` — a small text panel (e.g. a comparison's headline numbers).
* :class:`PageStyle` — CSS for all of the above and a one-line attribution; the
  attribution's "sources" link opens the data sources (SOURCES.md) inside the page.

Every text that may come from a user (place names, origins, layer names) is escaped
with :func:`html.escape` before it reaches the page; scripts receive strings through
``tojson`` (which escapes ``<``, ``>`` and ``&``).

Hand-written rather than folium plugins: folium's ``GroupedLayerControl`` and branca's
colour legends neither follow the layer checkboxes nor draw polygon/line swatches.
"""

from __future__ import annotations

import html
import json
import weakref
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import MacroElement
from folium.template import Template

from corridor_geo._adapters import branca_children

__all__ = [
    "COLLAPSE_ABOVE",
    "FOLD_KEY_BELOW_PX",
    "GROUP_ORDER",
    "LABEL_MIN_ZOOM",
    "FollowLayers",
    "GroupedLayerControl",
    "InfoPanel",
    "Legend",
    "LegendRow",
    "PageStyle",
    "PlaceLabels",
    "ZoomButtons",
    "circle_swatch",
    "gradient_line_swatch",
    "legend_of",
    "line_swatch",
    "polygon_swatch",
    "ramp_swatch",
    "set_group",
]

#: The layer control collapses to its icon when it lists more entries than this.
COLLAPSE_ABOVE = 8
#: The key opens folded when the map's container is narrower than this (CSS px).
FOLD_KEY_BELOW_PX = 600
#: Place labels are hidden below this zoom (the corridor-wide view opens at zoom 8-9.5).
LABEL_MIN_ZOOM = 7.5
#: Order of the overlay groups in the layer control.
GROUP_ORDER = ("Results", "Places", "Transport", "Context")


def esc(text: Any) -> str:
    """HTML-escape *text* (quotes too)."""
    return html.escape(str(text), quote=True)


# --------------------------------------------------------------------------- swatches


def line_swatch(colour: str, *, weight: float = 3, dash: str | None = None,
                opacity: float = 1.0) -> str:
    """Return an SVG line drawn like a Leaflet polyline."""
    d = f' stroke-dasharray="{esc(dash)}"' if dash else ""
    return (f'<svg width="30" height="12" aria-hidden="true"><line x1="1" y1="6" x2="29" '
            f'y2="6" stroke="{esc(colour)}" stroke-width="{weight:g}" '
            f'stroke-opacity="{opacity:g}"{d}/></svg>')


def circle_swatch(fill: str, *, radius: float = 6, stroke: str = "#000000",
                  fill_opacity: float = 0.9, dash: str | None = None,
                  weight: float = 1.5) -> str:
    """Return an SVG circle drawn like a Leaflet CircleMarker."""
    d = f' stroke-dasharray="{esc(dash)}"' if dash else ""
    size = 2 * radius + 3
    return (f'<svg width="{max(size, 20):g}" height="{size:g}" aria-hidden="true">'
            f'<circle cx="{max(size, 20) / 2:g}" cy="{size / 2:g}" r="{radius:g}" '
            f'fill="{esc(fill)}" fill-opacity="{fill_opacity:g}" stroke="{esc(stroke)}" '
            f'stroke-width="{weight:g}"{d}/></svg>')


def polygon_swatch(fill: str | None, *, stroke: str, fill_opacity: float = 0.25,
                   weight: float = 1, dash: str | None = None,
                   under: tuple[str, ...] = ()) -> str:
    """Return an SVG square drawn like a Leaflet polygon (fill at the drawn opacity).

    *under* are the fills of translucent polygons that the map draws below this one
    wherever it lies (nested catchment bands), painted first at the same opacity so that
    the swatch shows the colour seen on the map.
    """
    d = f' stroke-dasharray="{esc(dash)}"' if dash else ""
    f = (f'fill="{esc(fill)}" fill-opacity="{fill_opacity:g}"' if fill
         else 'fill="none"')
    below = "".join(f'<rect x="2" y="2" width="26" height="12" fill="{esc(c)}" '
                    f'fill-opacity="{fill_opacity:g}" stroke="none"/>' for c in under)
    return (f'<svg width="30" height="16" aria-hidden="true">{below}<rect x="2" y="2" '
            f'width="26" height="12" {f} stroke="{esc(stroke)}" stroke-width="{weight:g}"'
            f'{d}/></svg>')


def gradient_line_swatch(colours: list[str], *, weight: float = 3) -> str:
    """Return an SVG line coloured along a ramp (lines coloured by value)."""
    n = max(len(colours) - 1, 1)
    stops = "".join(f'<stop offset="{i / n:g}" stop-color="{esc(c)}"/>'
                    for i, c in enumerate(colours))
    return ('<svg width="30" height="12" aria-hidden="true"><defs><linearGradient '
            f'id="cg-grad">{stops}</linearGradient></defs><rect x="1" y="{6 - weight / 2:g}" '
            f'width="28" height="{weight:g}" fill="url(#cg-grad)"/></svg>')


def ramp_swatch(colours: list[str], lo: float, hi: float, unit: str) -> str:
    """Return a horizontal colour ramp with its end values."""
    stops = ", ".join(esc(c) for c in colours)
    return (f'<span class="cg-ramp" style="background: linear-gradient(to right, {stops})">'
            f'</span><span class="cg-ramp-lab"><span>{lo:,.0f}</span>'
            f'<span>{hi:,.0f} {esc(unit)}</span></span>')


# --------------------------------------------------------------------------- legend


@dataclass
class LegendRow:
    """One row of the key: a swatch, a label, the layer(s) it belongs to (if any).

    *layer* is one layer, or a tuple of layers drawn alike (e.g. the same band of
    several origins): the row shows while any of them is on.
    """

    section: str
    swatch: str
    label: str
    layer: folium.FeatureGroup | tuple[folium.FeatureGroup, ...] | None = None
    note: str = ""

    @property
    def layers(self) -> tuple[folium.FeatureGroup, ...]:
        """The layers the row follows (empty: always shown)."""
        if self.layer is None:
            return ()
        return self.layer if isinstance(self.layer, tuple) else (self.layer,)


@dataclass
class _Rows:
    rows: list[LegendRow] = field(default_factory=list)


#: Fit a map to bounds beside the key (bottom right): the view is padded by the key's
#: width, unless the key takes more than half the map's width (then by 12 px).
_FIT_JS = """(function (map, bounds) {
    var key = map.getContainer().querySelector(".cg-legend");
    var w = key ? key.offsetWidth + 10 : 0;
    if (w > map.getSize().x / 2) { w = 0; }
    map.fitBounds(bounds, {paddingTopLeft: [12, 12], paddingBottomRight: [w + 12, 12]});
})"""


class Legend(MacroElement):
    """The map's key (see the module docstring). Use :func:`legend_of` to get a map's."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var ctl = L.control({position: "bottomright"});
            ctl.onAdd = function () {
                var div = L.DomUtil.create("div", "cg-legend leaflet-control");
                div.innerHTML = {{ this.html()|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            ctl.addTo(map);
            // in a narrow map (a phone) the key opens folded rather than cover part of
            // the map, as it does when it would cover more than a quarter of it; its
            // heading unfolds it. The map's container, not the page, decides.
            (function () {
                var c = ctl.getContainer(), size = map.getSize();
                if (size.x < {{ this.fold_below_px }}
                        || c.offsetWidth * c.offsetHeight > size.x * size.y / 4) {
                    c.querySelector("details").removeAttribute("open");
                }
            })();
            // open on what the map shows, beside the key rather than under it
            var fit = {{ this.fit_bounds()|tojson }};
            if (fit) { ({{ this.fit_js }})(map, fit); }
            function sync() {
                ctl.getContainer().querySelectorAll("[data-layer-var]").forEach(function (row) {
                    // one layer's name, or several (a row shared by layers drawn alike)
                    var on = row.getAttribute("data-layer-var").split(" ").some(function (v) {
                        return window[v] && map.hasLayer(window[v]); });
                    row.style.display = on ? "" : "none";
                });
                ctl.getContainer().querySelectorAll(".cg-section").forEach(function (sec) {
                    var rows = sec.querySelectorAll(".cg-row");
                    var shown = Array.prototype.some.call(rows, function (r) {
                        return r.style.display !== "none"; });
                    sec.style.display = shown ? "" : "none";
                });
            }
            map.on("overlayadd overlayremove layeradd layerremove", sync);
            setTimeout(sync, 0);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str = "Key") -> None:
        super().__init__()
        self._name = "CorridorLegend"
        self.title = title
        self.fit_js = _FIT_JS
        self.fold_below_px = FOLD_KEY_BELOW_PX
        self._rows = _Rows()

    def fit_bounds(self) -> list[list[float]] | None:
        """Return the bounds the map opens on (its last ``fit_bounds``), to refit them."""
        fits = [c for c in branca_children(self._parent).values()
                if isinstance(c, folium.map.FitBounds)]
        return [list(map(float, p)) for p in fits[-1].bounds] if fits else None

    def add(self, row: LegendRow) -> None:
        """Add a row (rows with the same section, swatch and label are kept once)."""
        for r in self._rows.rows:
            if (r.section, r.swatch, r.label, r.layer) == (row.section, row.swatch,
                                                            row.label, row.layer):
                return
        self._rows.rows.append(row)

    @property
    def rows(self) -> list[LegendRow]:
        """The rows, in the order they were added."""
        return list(self._rows.rows)

    def layer_vars(self) -> list[str]:
        """JavaScript names of the layers the rows follow."""
        return sorted({fg.get_name() for r in self._rows.rows for fg in r.layers})

    def html(self) -> str:
        """Return the key as HTML (labels already escaped by the callers via :func:`esc`)."""
        sections: dict[str, list[LegendRow]] = {}
        for r in self._rows.rows:
            sections.setdefault(r.section, []).append(r)
        parts = [f'<details open><summary>{esc(self.title)}</summary>']
        for name, rows in sections.items():
            parts.append(f'<div class="cg-section"><div class="cg-head">{esc(name)}</div>')
            for r in rows:
                attrs = ""
                if len(r.layers) == 1:
                    attrs = f' data-layer="{esc(r.layers[0].layer_name)}"'
                elif r.layers:  # the names as a JSON list
                    attrs = (' data-layers="'
                             + esc(json.dumps([fg.layer_name for fg in r.layers])) + '"')
                if r.layers:
                    attrs += (' data-layer-var="'
                              + esc(" ".join(fg.get_name() for fg in r.layers)) + '"')
                note = f'<span class="cg-note">{r.note}</span>' if r.note else ""
                sw = f'<span class="cg-sw">{r.swatch}</span>' if r.swatch else ""
                parts.append(f'<div class="cg-row"{attrs}>{sw}'
                             f'<span class="cg-lab">{r.label}{note}</span></div>')
            parts.append("</div>")
        parts.append("</details>")
        return "".join(parts)


def legend_of(m: folium.Map) -> Legend:
    """Return the map's :class:`Legend`, adding one on first use."""
    for child in branca_children(m).values():
        if isinstance(child, Legend):
            return child
    legend = Legend()
    m.add_child(legend, name="corridor_geo_legend")
    return legend


# the heading of each grouped layer (weak: a layer's entry goes with the layer)
_GROUP_OF: weakref.WeakKeyDictionary[folium.map.Layer, str] = weakref.WeakKeyDictionary()


def set_group(layer: folium.FeatureGroup, group: str) -> folium.FeatureGroup:
    """Put *layer* under the heading *group* in the :class:`GroupedLayerControl`."""
    _GROUP_OF[layer] = group
    return layer


# --------------------------------------------------------------------------- layer control


class GroupedLayerControl(folium.LayerControl):
    """Leaflet's layer control with overlays grouped under headings (see module docstring).

    The headings are inserted in the control's list each time Leaflet rebuilds it.
    """

    _template = Template(
        """
        {% macro script(this,kwargs) %}
            var {{ this.get_name() }}_layers = {
                base_layers : {
                    {%- for key, val in this.base_layers.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
                overlays :  {
                    {%- for key, val in this.overlays.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
            };
            let {{ this.get_name() }} = L.control.layers(
                {{ this.get_name() }}_layers.base_layers,
                {{ this.get_name() }}_layers.overlays,
                {{ this.options|tojavascript }}
            );
            (function (ctl) {
                var groups = {{ this.group_list()|tojson }};
                var update = ctl._update;
                ctl._update = function () {
                    update.apply(this, arguments);
                    var c = this.getContainer();
                    if (!c) { return this; }
                    var base = c.querySelector(".leaflet-control-layers-base");
                    if (base && base.children.length) {
                        var hb = document.createElement("div");
                        hb.className = "cg-group";
                        hb.textContent = "Base map";
                        base.insertBefore(hb, base.firstChild);
                    }
                    var last = null;
                    // labels come in the order of the overlays (sortLayers is off)
                    c.querySelectorAll(".leaflet-control-layers-overlays label")
                        .forEach(function (label, i) {
                            var g = groups[i];
                            if (g && g !== last) {
                                var h = document.createElement("div");
                                h.className = "cg-group";
                                h.textContent = g;
                                label.parentNode.insertBefore(h, label);
                                last = g;
                            }
                        });
                    return this;
                };
            })({{ this.get_name() }});
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
            (function (map) {
                // Leaflet draws a layer switched back on over all others: lay the shown
                // overlays out again in the order they were added (largest band first,
                // markers last)
                var stack = [{% for v in this.stack_list() %}{{ v }}, {% endfor %}];
                map.on("overlayadd", function () {
                    stack.forEach(function (layer) {
                        if (map.hasLayer(layer) && layer.bringToFront) { layer.bringToFront(); }
                    });
                });
            })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, *, position: str = "topright", collapsed: bool | None = None) -> None:
        super().__init__(position=position, collapsed=True)
        self._collapsed = collapsed
        self.groups: dict[str, str] = {}

    def group_list(self) -> list[str]:
        """Return the group of each overlay, in the control's order."""
        return list(getattr(self, "_group_list", []))

    def stack_list(self) -> list[str]:
        """Return the JavaScript names of the map's overlays, in the order they are drawn."""
        return list(getattr(self, "_stack_list", []))

    def render(self, **kwargs: Any) -> Any:
        """Collect the layers, order overlays by group, decide collapsed, render."""
        self.reset()
        overlays: list[tuple[int, int, str, str]] = []
        self._stack_list = [item.get_name() for item in branca_children(self._parent).values()
                            if isinstance(item, folium.map.Layer) and item.overlay]
        for i, item in enumerate(branca_children(self._parent).values()):
            if not isinstance(item, folium.map.Layer) or not item.control:
                continue
            if not item.overlay:
                self.base_layers[item.layer_name] = item.get_name()
                continue
            group = _GROUP_OF.get(item, "Other layers")
            rank = GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER)
            overlays.append((rank, i, item.layer_name, item.get_name()))
            self.groups[str(item.layer_name)] = group
        for _, _, name, var in sorted(overlays):
            self.overlays[name] = var
        n = len(self.base_layers) + len(self.overlays)
        self._group_list = [self.groups[name] for name in self.overlays]
        collapsed = n > COLLAPSE_ABOVE if self._collapsed is None else self._collapsed
        self.options["collapsed"] = bool(collapsed)
        # folium.LayerControl.render would reset what was collected: render as an element
        return MacroElement.render(self, **kwargs)


# --------------------------------------------------------------------------- buttons, panel


class ZoomButtons(MacroElement):
    """Buttons that fit the map to the result's bounds and to the corridor's."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var targets = {{ this.targets|tojson }};
            var ctl = L.control({position: "topleft"});
            ctl.onAdd = function () {
                var div = L.DomUtil.create("div", "cg-zoom leaflet-bar leaflet-control");
                targets.forEach(function (t) {
                    var a = L.DomUtil.create("a", "cg-zoom-btn", div);
                    a.href = "#";
                    a.title = t.title;
                    a.setAttribute("role", "button");
                    a.textContent = t.label;
                    L.DomEvent.on(a, "click", function (e) {
                        L.DomEvent.preventDefault(e);
                        ({{ this.fit_js }})(map, t.bounds);
                    });
                });
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            ctl.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, targets: list[tuple[str, str, tuple[float, float, float, float]]]) -> None:
        super().__init__()
        self._name = "ZoomButtons"
        self.fit_js = _FIT_JS
        self.targets = [
            {"label": label, "title": title,
             "bounds": [[b[1], b[0]], [b[3], b[2]]]}
            for label, title, b in targets
        ]


#: Lays out every place label of a map clear of its controls (installed once per map by
#: the first :class:`PlaceLabels`; see there). Labels are Leaflet tooltips in
#: ``map._cgLabels`` with their chosen side ``_cgDir`` and distance ``_cgShift`` (px).
_FIT_LABELS_JS = """(function (map) {
    var SIDES = ["right", "left", "top", "bottom"];
    function rect(e) {
        var r = e.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom];
    }
    function area(a, b) {
        var w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
        var h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
        return w > 0 && h > 0 ? w * h : 0;
    }
    function sum(r, boxes) {
        return boxes.reduce(function (s, b) { return s + area(r, b); }, 0);
    }
    function side(t, d) {
        var s = t._cgShift;
        t.options.direction = d;
        t.options.offset = [d === "right" ? s : d === "left" ? -s : 0,
                            d === "bottom" ? s : d === "top" ? -s : 0];
        t._updatePosition();
    }
    function fit() {
        var c = map.getContainer(), box = rect(c), controls = [];
        // the controls as they sit now (the key folds, its rows follow the layers); the
        // opened layer control is a passing overlay, drawn over everything
        c.querySelectorAll(".leaflet-control").forEach(function (e) {
            if (e.offsetParent === null || !e.offsetWidth
                    || e.classList.contains("leaflet-control-layers-expanded")) { return; }
            var r = rect(e);
            controls.push([r[0] - 3, r[1] - 3, r[2] + 3, r[3] + 3]);
        });
        var shown = (map._cgLabels || []).filter(function (t) {
            var e = t.getElement();
            if (!map.hasLayer(t) || !e) { return false; }
            e.style.visibility = "";
            side(t, t._cgDir);
            return e.offsetParent !== null;  // not hidden far out
        });
        var boxes = shown.map(function (t) { return rect(t.getElement()); });
        shown.forEach(function (t, i) {
            var e = t.getElement();
            var others = boxes.filter(function (b, j) { return j !== i; });
            function cost(d, k) {
                side(t, d);
                var r = rect(e), w = (r[2] - r[0]) * (r[3] - r[1]);
                return {d: d, r: r, key: [sum(r, controls), w - area(r, box),
                                          sum(r, others), k]};
            }
            var best = cost(t._cgDir, 0);
            if (best.key[0] > 0 || best.key[1] > 0) {
                // the chosen side meets a control or the map's edge: take the side that
                // meets the controls least, then the edge, then the other labels
                [t._cgDir].concat(SIDES.filter(function (d) { return d !== t._cgDir; }))
                    .forEach(function (d, k) {
                        var c2 = cost(d, k);
                        for (var n = 0; n < 4; n++) {
                            if (c2.key[n] !== best.key[n]) {
                                if (c2.key[n] < best.key[n]) { best = c2; }
                                break;
                            }
                        }
                    });
            }
            side(t, best.d);
            boxes[i] = best.r;
            // a place whose every side lies under a control keeps no label
            if (best.key[0] > 0) { e.style.visibility = "hidden"; boxes[i] = [0, 0, 0, 0]; }
        });
    }
    var pending = null;
    function later() { clearTimeout(pending); pending = setTimeout(fit, 0); }
    map.on("zoomend moveend resize overlayadd overlayremove", later);
    map.getContainer().addEventListener("toggle", later, true);  // the key (un)folds
    return later;
})"""


class PlaceLabels(MacroElement):
    """Permanent name labels at points, added to the layer this element is a child of.

    Each label is a Leaflet tooltip (class ``cg-label``, no mouse events) beside its point
    in the given direction (``"right"``, ``"left"``, ``"top"`` or ``"bottom"``) at
    *offset* pixels from it; it shows and hides with its layer, and every label of the
    map is hidden below :data:`LABEL_MIN_ZOOM`. *labels* are dicts with ``lat``,
    ``lon``, ``html`` (already escaped by the caller), ``dir`` and ``offset``.

    Labels keep clear of the map's controls (key, zoom and other buttons, panel, scale,
    attribution): after every move, zoom, resize, layer switch or (un)folding of the
    key, a label whose box meets a control or the map's edge moves to the side (of the
    four) that meets the controls least, then the edge, then the other labels; a label
    that meets a control on every side is hidden (its place lies under the control).
    Labels are laid out in the order their elements were added (catchment origins
    first).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, layer) {
            {{ this.labels|tojson }}.forEach(function (p) {
                var t = L.tooltip({permanent: true, interactive: false,
                    direction: p.dir, offset: p.offset, opacity: 1,
                    className: {{ this.class_name|tojson }}})
                    .setLatLng([p.lat, p.lon]).setContent(p.html);
                t._cgDir = p.dir;
                t._cgShift = Math.abs(p.offset[0]) + Math.abs(p.offset[1]);
                layer.addLayer(t);
                (map._cgLabels = map._cgLabels || []).push(t);
            });
            // far out, the labels would crowd each other: hide them (CSS on the container)
            function byZoom() {
                map.getContainer().classList.toggle("cg-labels-far",
                                                    map.getZoom() < {{ this.min_zoom }});
            }
            map.on("zoomend", byZoom);
            byZoom();
            // clear of the controls (once per map, for all its labels)
            if (!map._cgFitLabels) { map._cgFitLabels = ({{ this.fit_js }})(map); }
            map._cgFitLabels();
        })({{ this.map_name }}, {{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[dict[str, Any]], *, map_name: str,
                 class_name: str = "cg-label") -> None:
        super().__init__()
        self._name = "PlaceLabels"
        self.labels = labels
        self.map_name = map_name
        self.class_name = class_name
        self.min_zoom = LABEL_MIN_ZOOM
        self.fit_js = _FIT_LABELS_JS


class FollowLayers(MacroElement):
    """Show the parent map's *layer* while any of *owners* is on (see module docstring).

    Add it to the map after *layer* and *owners*; *layer* should have ``control=False``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, layer, owners) {
            function sync() {
                var on = owners.some(function (o) { return map.hasLayer(o); });
                if (on && !map.hasLayer(layer)) { map.addLayer(layer); }
                if (!on && map.hasLayer(layer)) { map.removeLayer(layer); }
            }
            map.on("overlayadd overlayremove", sync);
            sync();
        })({{ this._parent.get_name() }}, {{ this.layer.get_name() }},
           [{% for o in this.owners %}{{ o.get_name() }}, {% endfor %}]);
        {% endmacro %}
        """
    )

    def __init__(self, layer: folium.FeatureGroup,
                 owners: list[folium.FeatureGroup]) -> None:
        super().__init__()
        self._name = "FollowLayers"
        self.layer = layer
        self.owners = owners


class InfoPanel(MacroElement):
    """A small panel of HTML (callers escape user text) in a map corner."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var ctl = L.control({position: {{ this.position|tojson }}});
            ctl.onAdd = function () {
                var div = L.DomUtil.create("div", "cg-panel leaflet-control");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, *, position: str = "bottomleft") -> None:
        super().__init__()
        self._name = "InfoPanel"
        self.html = html_text
        self.position = position


_CSS = """
<style>
.leaflet-control-attribution { white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; max-width: calc(100vw - 170px); font-size: 11px; }
.leaflet-control-attribution:hover { white-space: normal; }
@media (max-width: 800px) {
  /* the credit line does not fit on one line: wrap it (the OpenStreetMap credit and the
     sources link come first and stay whole); a long tile credit is cut after 4 lines */
  .leaflet-control-attribution { white-space: normal; max-height: 5.2em; }
  .leaflet-control-attribution:hover { max-height: none; }
}
.leaflet-control-layers-expanded { font: 12px/1.3 sans-serif; }
/* the layer control (top right), once opened, is drawn over the key and the panel */
.leaflet-top.leaflet-right { z-index: 1001; }
.leaflet-control-layers label { margin: 1px 0; }
.cg-group { font-weight: bold; margin: 5px 0 2px; color: #333; }
.cg-legend, .cg-panel { background: rgba(255, 255, 255, 0.93); padding: 4px 7px;
  border-radius: 5px; box-shadow: 0 1px 5px rgba(0, 0, 0, 0.4);
  font: 11px/1.2 sans-serif; color: #222; max-width: 250px; }
.cg-legend { max-height: calc(100vh - 150px); overflow-y: auto; }
.cg-legend summary { font-weight: bold; cursor: pointer; }
.cg-head { font-weight: bold; margin: 3px 0 0; }
.cg-row { display: flex; align-items: center; gap: 4px; margin: 0; }
.cg-sw { flex: 0 0 auto; min-width: 30px; display: flex; justify-content: center; }
.cg-note { display: block; color: #555; font-size: 10px; }
.cg-lab { flex: 1 1 auto; }
.cg-ramp { display: block; width: 100%; min-width: 160px; height: 10px;
  border: 1px solid #999; box-sizing: border-box; }
.cg-ramp-lab { display: flex; justify-content: space-between; font-size: 11px; }
.cg-panel h4 { margin: 0 0 3px; font-size: 13px; }
.cg-panel table { border-collapse: collapse; }
.cg-panel td, .cg-panel th { padding: 0 4px; text-align: right; }
.cg-panel td:first-child, .cg-panel th:first-child { text-align: left; }
.cg-zoom a.cg-zoom-btn { width: auto; padding: 0 6px; font: bold 11px/30px sans-serif; }
/* permanent place labels: small, unboxed text with a white halo, no pointer */
.leaflet-tooltip.cg-label { background: rgba(255, 255, 255, 0.72); border: 0;
  box-shadow: none; border-radius: 3px; padding: 0 3px; font: 600 11px/1.3 sans-serif;
  color: #222; text-shadow: 0 0 2px #fff, 0 0 2px #fff; }
.leaflet-tooltip.cg-label::before { display: none; }
.leaflet-tooltip.cg-origin { background: #fff; border: 1.5px solid #000;
  font-weight: bold; z-index: 1; }  /* over the platform labels */
.cg-labels-far .leaflet-tooltip.cg-label { display: none; }
.cg-origin-mark { display: inline-block; box-sizing: border-box; width: 16px;
  height: 16px; border-radius: 50%; background: #000; border: 3px solid #fff;
  box-shadow: 0 0 0 1.5px #000; }
.cg-sources { display: none; position: absolute; z-index: 2000; left: 10%; right: 10%;
  top: 10%; bottom: 10%; overflow: auto; background: #fff; padding: 10px 14px;
  border-radius: 6px; box-shadow: 0 2px 12px rgba(0, 0, 0, 0.5); font: 12px sans-serif; }
.cg-sources pre { white-space: pre-wrap; }
.cg-sources:target { display: block; }
</style>
"""


class PageStyle(MacroElement):
    """The CSS of the controls above and the data-sources box behind the attribution link."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}
        {% macro html(this, kwargs) %}{{ this.sources_html }}{% endmacro %}
        """
    )

    def __init__(self, sources_text: str | None) -> None:
        super().__init__()
        self._name = "PageStyle"
        self.css = _CSS
        self.sources_html = ""
        if sources_text:
            self.sources_html = (
                '<div id="corridor-geo-sources" class="cg-sources" role="dialog">'
                '<a href="#" style="float:right">close ✕</a>'
                "<b>SOURCES.md</b> (shipped with corridor_geo): data sources and licences"
                f"<pre>{esc(sources_text)}</pre></div>"
            )

