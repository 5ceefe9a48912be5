"""Private helpers of :mod:`corridor_geo.maps`: offline assets and deterministic HTML.

folium loads Leaflet and its plugins from CDNs, which fail offline. The JavaScript and
CSS that corridor_geo's maps use are vendored, unmodified, in ``corridor_geo/_vendor/``
(taken from the npm registry with ``npm pack``; licences in each folder and in
``SOURCES.md``). :class:`OfflineAssets` is attached to a map's root ``Figure``; because it
is the figure's last child it renders after every layer has registered its CDN links,
and it swaps each known link for an inline ``<script>``/``<style>`` (CSS images become
``data:`` URIs, fonts too). What ``folium.Icon`` needs (awesome-markers, Font Awesome,
Bootstrap's Glyphicons) is inlined only when the map holds an Icon; Bootstrap 5 and
folium's rotate CSS, which the icons do not need, are dropped. Leaflet's default marker
images are inlined too, so a plain ``folium.Marker`` works offline. Unknown links are
left alone (they then work only online).

folium names every element with random hex ids (``os.urandom``/``uuid4``), so two
renders of the same map differ. :func:`deterministic_ids` renames those ids in order
of first appearance, which makes saved HTML byte-identical across runs; only the ids of
the map's elements are renamed, so 32 hex digits in the user's text (an MD5 or UUID
node id) are kept as they are.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink

from corridor_geo._adapters import branca_children, branca_element_ids, branca_set_parent

__all__ = ["OfflineAssets", "deterministic_ids", "element_ids", "external_urls",
           "install_offline_assets"]

VENDOR = Path(__file__).resolve().parent / "_vendor"

#: Glyphicons (folium.Icon's default ``prefix="glyphicon"``) are the "Glyphicons" section of
#: Bootstrap 3's stylesheet; that section alone is inlined (the rest would restyle the page).
_GLYPHICONS = "bootstrap-3.4.1/css/bootstrap.css#glyphicons"
# (pattern matched against the CDN URL, vendored file relative to _vendor/)
_JS: tuple[tuple[str, str], ...] = (
    (r"/leaflet(@[\d.]+)?/dist/leaflet\.js$", "leaflet-1.9.3/leaflet.js"),
    (r"jquery[-.@\d]*(\.min)?\.js$", "jquery-3.7.1/jquery.min.js"),
    (r"/d3(@|/)[\d.]+/d3(\.min)?\.js$|/d3\.v3(\.min)?\.js$", "d3-3.5.5/d3.min.js"),
    (r"Control\.FullScreen(\.min)?\.js$", "leaflet.fullscreen-3.0.0/Control.FullScreen.js"),
    (r"leaflet-measure(\.min)?\.js$", "leaflet-measure-2.1.7/leaflet-measure.min.js"),
    (r"leaflet\.awesome-markers(\.min)?\.js$",
     "leaflet.awesome-markers-2.0.5/leaflet.awesome-markers.js"),
)
_CSS: tuple[tuple[str, str], ...] = (
    (r"/leaflet(@[\d.]+)?/dist/leaflet\.css$", "leaflet-1.9.3/leaflet.css"),
    (r"Control\.FullScreen\.css$", "leaflet.fullscreen-3.0.0/Control.FullScreen.css"),
    (r"leaflet-measure(\.min)?\.css$", "leaflet-measure-2.1.7/leaflet-measure.css"),
    (r"leaflet\.awesome-markers(\.min)?\.css$",
     "leaflet.awesome-markers-2.0.5/leaflet.awesome-markers.css"),
    (r"fontawesome-free@[\d.]+/css/all(\.min)?\.css$", "fontawesome-free-6.2.0/css/all.min.css"),
    (r"bootstrap-glyphicons\.css$", _GLYPHICONS),
)
# Needed only by folium.Icon (awesome-markers, Bootstrap glyphs, Font Awesome).
_ICON_ONLY = re.compile(r"bootstrap|glyphicons|fontawesome|awesome-markers|awesome\.rotate")
_JQUERY = re.compile(r"jquery", re.IGNORECASE)
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".woff2": "font/woff2"}
# Leaflet finds its default marker images through a CSS probe that data: URIs defeat;
# point L.Icon.Default at the vendored images directly (runs right after leaflet.js).
_MARKER_IMAGES = ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")


def _data_uri(path: Path) -> str:
    return f"data:{_MIME[path.suffix]};base64,{base64.b64encode(path.read_bytes()).decode()}"


@functools.cache
def _inline_js(rel: str) -> str:
    text = (VENDOR / rel).read_text(encoding="utf-8")
    # Source maps are not shipped: drop the reference so devtools do not request them.
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    if rel.endswith("leaflet.js"):
        img = VENDOR / Path(rel).parent / "images"
        icon, icon2x, shadow = (_data_uri(img / name) for name in _MARKER_IMAGES)
        text += ("\nL.Icon.Default.imagePath = '';\nL.Icon.Default.mergeOptions("
                 f"{{iconUrl: '{icon}', iconRetinaUrl: '{icon2x}', shadowUrl: '{shadow}'}});")
    return f"<script>/* corridor_geo/_vendor/{rel} */\n{text}\n</script>"


@functools.cache
def _inline_css(rel: str) -> str:
    rel, _, section = rel.partition("#")
    path = VENDOR / rel
    css = path.read_text(encoding="utf-8")
    if section == "glyphicons":
        start = css.index('@font-face {\n  font-family: "Glyphicons Halflings"')
        end = css.index("* {", start)
        css = css[start:end]

    def data_uri(match: re.Match[str]) -> str:
        ref = match.group(1).strip("'\"")
        img = path.parent / ref
        if ref.startswith(("#", "data:")) or not img.is_file() or img.suffix not in _MIME:
            # e.g. Leaflet's default-marker path probe, or the .eot/.ttf fallbacks of a
            # font whose .woff2 is inlined (browsers take the first format they support)
            return match.group(0)
        return f"url({_data_uri(img)})"

    css = re.sub(r"url\(([^)]+)\)", data_uri, css)
    return f"<style>/* corridor_geo/_vendor/{rel} */\n{css}\n</style>"


class _Raw(Element):
    """An element that renders a fixed string (no Jinja parsing of vendored code)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "RawInline"
        self._html = html

    def render(self, **kwargs: Any) -> str:
        return self._html


def _walk(element: Element) -> list[Element]:
    out = [element]
    for child in list(branca_children(element).values()):
        out.extend(_walk(child))
    return out


def _needs(root: Figure) -> tuple[bool, bool]:
    """Return (jquery needed, icon CSS needed) for the elements in the figure."""
    elements = _walk(root)
    jquery = any(isinstance(e, folium.Popup) for e in elements) or any(
        getattr(e, "objects_to_stay_in_front", None) for e in elements
    )
    icons = any(isinstance(e, folium.Icon) for e in elements)
    return jquery, icons


class OfflineAssets(Element):
    """Replace CDN links in the figure header by vendored inline assets at render time."""

    def __init__(self) -> None:
        super().__init__()
        self._name = "OfflineAssets"

    def render(self, **kwargs: Any) -> str:
        """Swap the header's links; renders to nothing itself."""
        root = self.get_root()
        if not isinstance(root, Figure):
            return ""
        need_jquery, need_icons = _needs(root)
        header = branca_children(root.header)
        for name in list(header):
            child = header[name]
            if isinstance(child, JavascriptLink):
                table, inline = _JS, _inline_js
            elif isinstance(child, CssLink):
                table, inline = _CSS, _inline_css
            else:
                continue
            url = child.url
            if _ICON_ONLY.search(url) and not need_icons:
                del header[name]
                continue
            if _JQUERY.search(url) and not need_jquery:
                del header[name]
                continue
            for pattern, rel in table:
                if re.search(pattern, url):
                    header[name] = _Raw(inline(rel))
                    branca_set_parent(header[name], root.header)
                    break
            else:
                if _ICON_ONLY.search(url):
                    # Bootstrap 5 (not needed by the icons) and folium's rotate CSS (only
                    # for Icon(angle=...)): not vendored, dropped so that nothing fails
                    del header[name]
        return ""


def install_offline_assets(m: folium.Map) -> None:
    """Attach :class:`OfflineAssets` to the map's figure (idempotent)."""
    root = m.get_root()
    if isinstance(root, Figure):
        # Re-adding under the same name keeps one hook; it must stay the last child.
        branca_children(root).pop("corridor_geo_offline_assets", None)
        root.add_child(OfflineAssets(), name="corridor_geo_offline_assets")


# folium/branca ids: 32 lowercase hex digits, standing alone or after ``name_``.
_HEX_ID = re.compile(r"(?<![0-9A-Za-z])([0-9a-f]{32})(?![0-9A-Za-z])")


def deterministic_ids(html: str, ids: Collection[str] | None = None) -> str:
    """Rename folium's random 32-hex element ids to sequential ids, in order of appearance.

    Parameters
    ----------
    html
        The rendered page.
    ids
        The element ids to rename (:func:`element_ids` of the rendered map); other runs
        of 32 hex digits, such as a user's MD5 or UUID ids in popups, are kept. ``None``
        renames every standalone run of 32 lowercase hex digits.

    Examples
    --------
    >>> deterministic_ids("map_" + "ab" * 16 + " map_" + "ab" * 16)
    'map_00000000000000000000000000000001 map_00000000000000000000000000000001'
    >>> deterministic_ids("map_" + "ab" * 16 + " " + "cd" * 16, ids={"ab" * 16})
    'map_00000000000000000000000000000001 cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd'
    """
    mapping: dict[str, str] = {}
    rename = None if ids is None else set(ids)

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if rename is not None and key not in rename:
            return key
        if key not in mapping:
            mapping[key] = f"{len(mapping) + 1:032x}"
        return mapping[key]

    return _HEX_ID.sub(sub, html)


def element_ids(m: folium.Map) -> set[str]:
    """Return the random ids of every element of *m*'s page (call after rendering it)."""
    return branca_element_ids(m.get_root())


def external_urls(html: str) -> list[str]:
    """Return the ``src``/``href`` URLs of scripts and styles that the page loads from outside.

    Tile URL templates (inside JavaScript strings) are not included.
    """
    out = []
    for tag in re.findall(r"<(?:script|link)\b[^>]*>", html):
        m = re.search(r"""(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)["']""", tag)
        if m:
            out.append(m.group(1))
    return sorted(set(out))
