"""Public testing helpers (in the spirit of ``geopandas.testing``).

Used by corridor_geo's own tests and available to users who extend it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import http.server
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corridor_geo import settings

__all__ = [
    "MapPageReport",
    "headless_chromium",
    "inspect_map_page",
    "open_map_in_browser",
    "serve_directory",
    "shared_data_path",
]


def shared_data_path(relative: str) -> Path:
    """Return ``shared_data_dir() / relative`` or skip the calling test with a clear reason.

    Parameters
    ----------
    relative
        Path below the shared data folder, e.g. ``"osm/shenzhen_longgang_center_2019-11.osm"``.

    Examples
    --------
    >>> p = shared_data_path("osm/shenzhen_longgang_center_2019-11.osm")  # doctest: +SKIP
    """
    path = settings.shared_data_dir() / relative
    if not path.exists():
        import pytest

        pytest.skip(
            f"shared data file {relative} not found under {settings.shared_data_dir()} "
            "(set CORRIDOR_GEO_SHARED_DATA to the folder holding ../shared/data)"
        )
    return path


# --------------------------------------------------------------------------------------
# Maps in a real browser (used by tests/test_browser.py and the CLI --out map tests)
# --------------------------------------------------------------------------------------

#: Chromium and chromedriver as installed by Debian's ``chromium``/``chromium-driver``.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: Console messages from base-tile requests (unreachable offline) are not page errors.
_TILE_URL = re.compile(r"https?://\S+/\d+/\d+/\d+(@2x)?\.(png|jpe?g|webp)|favicon\.ico")


@contextlib.contextmanager
def serve_directory(directory: str | os.PathLike[str]) -> Iterator[str]:
    """Serve *directory* over HTTP on 127.0.0.1 (ephemeral port); yield the base URL.

    Examples
    --------
    >>> with serve_directory(".") as url:  # doctest: +SKIP
    ...     print(url)
    http://127.0.0.1:40123/
    """

    class _Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib API
            pass

    handler = functools.partial(_Quiet, directory=os.fspath(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def headless_chromium(*, window_size: tuple[int, int] = (1280, 900)) -> Iterator[Any]:
    """Yield a selenium WebDriver on headless Chromium, or skip the test with a reason.

    Chromium runs with a fresh profile, no sandbox, no GPU and no background networking.
    """
    import pytest

    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(f"headless browser test needs {CHROMIUM} and {CHROMEDRIVER} "
                    "(Debian packages chromium, chromium-driver; scripts/install-browser.sh)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("headless browser test needs selenium (pip install selenium)")
    with tempfile.TemporaryDirectory(prefix="corridor-geo-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                    f"--window-size={window_size[0]},{window_size[1]}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        try:
            driver.set_page_load_timeout(60)
            yield driver
        finally:
            driver.quit()


@dataclasses.dataclass
class MapPageReport:
    """What a map page showed in the browser (see :func:`open_map_in_browser`)."""

    #: SEVERE console messages (JavaScript errors, failed loads), tile requests excluded.
    errors: list[str]
    #: Labels of the overlay layers in the Leaflet layer control.
    overlay_labels: list[str]
    #: Labels of the base layers in the layer control.
    base_labels: list[str]
    #: Number of SVG paths drawn in Leaflet's overlay and marker panes.
    n_paths: int
    #: Text of the attribution control.
    attribution: str
    #: Number of legends on the page (corridor_geo keys and branca colour legends).
    n_legends: int
    #: Screenshot of the window.
    screenshot_png: bytes
    #: Standard deviation of the screenshot's pixel values (0 for a blank page).
    pixel_std: float
    #: Labels of the overlays whose checkbox is ticked (the layers shown).
    checked_overlays: list[str] = dataclasses.field(default_factory=list)
    #: Layer names of the key's rows that are displayed (every layer a row follows).
    legend_layers: list[str] = dataclasses.field(default_factory=list)
    #: Whether the key is displayed and lies inside the viewport.
    legend_visible: bool = False
    #: Viewport (width, height) in CSS pixels.
    viewport: tuple[int, int] = (0, 0)
    #: Map element's area in CSS px², and the layer control's.
    map_area: float = 0.0
    layer_control_area: float = 0.0
    #: Whether the scale bar is displayed inside the viewport and not covered.
    scale_visible: bool = False
    #: Fraction of the viewport's width and height spanned by the given bounds (or None),
    #: and whether those bounds lie inside the viewport.
    bounds_fraction: tuple[float, float] | None = None
    bounds_inside: bool = False
    #: Values of ``window`` names asked for with ``probe=`` (e.g. a flag set by alert()).
    probes: dict[str, Any] = dataclasses.field(default_factory=dict)


_INSPECT_JS = """
    const bounds = arguments[0], probe = arguments[1];
    const txt = sel => Array.from(document.querySelectorAll(sel))
        .map(e => e.textContent.trim());
    const vw = window.innerWidth, vh = window.innerHeight;
    const shown = e => {
        if (!e) return false;
        const r = e.getBoundingClientRect(), s = getComputedStyle(e);
        return r.width > 0 && r.height > 0 && s.display !== 'none'
            && s.visibility !== 'hidden' && r.left >= -1 && r.top >= -1
            && r.right <= vw + 1 && r.bottom <= vh + 1;
    };
    const area = e => { if (!e) return 0; const r = e.getBoundingClientRect();
                        return r.width * r.height; };
    const checked = Array.from(document.querySelectorAll(
            '.leaflet-control-layers-overlays label'))
        .filter(l => l.querySelector('input') && l.querySelector('input').checked)
        .map(l => l.textContent.trim());
    const legend = document.querySelector('.cg-legend');
    // a row follows one layer (data-layer) or several drawn alike (data-layers, JSON)
    const rows = Array.from(document.querySelectorAll(
            '.cg-legend [data-layer], .cg-legend [data-layers]'))
        .filter(r => r.offsetParent !== null)
        .flatMap(r => r.hasAttribute('data-layers')
            ? JSON.parse(r.getAttribute('data-layers')) : [r.getAttribute('data-layer')]);
    const mapEl = document.querySelector('.folium-map') || document.querySelector(
        '.leaflet-container');
    const scale = document.querySelector('.leaflet-control-scale');
    let scaleOk = shown(scale);
    if (scaleOk) {
        const r = scale.getBoundingClientRect();
        const top = document.elementFromPoint(r.left + 4, r.top + r.height / 2);
        scaleOk = !!top && scale.contains(top);
    }
    let frac = null, inside = false;
    if (bounds && mapEl && window[mapEl.id]) {
        const m = window[mapEl.id];
        const a = m.latLngToContainerPoint([bounds[1], bounds[0]]);
        const b = m.latLngToContainerPoint([bounds[3], bounds[2]]);
        const w = m.getSize();
        frac = [Math.abs(b.x - a.x) / w.x, Math.abs(b.y - a.y) / w.y];
        inside = Math.min(a.x, b.x) >= -1 && Math.max(a.x, b.x) <= w.x + 1
            && Math.min(a.y, b.y) >= -1 && Math.max(a.y, b.y) <= w.y + 1;
    }
    const probes = {};
    (probe || []).forEach(n => { probes[n] = window[n] === undefined ? null : window[n]; });
    return {
      overlays: txt('.leaflet-control-layers-overlays label span span, '
                    + '.leaflet-control-layers-overlays label > span'),
      bases: txt('.leaflet-control-layers-base label span span, '
                 + '.leaflet-control-layers-base label > span'),
      paths: document.querySelectorAll(
          '.leaflet-overlay-pane path, .leaflet-marker-pane path').length,
      attribution: (document.querySelector('.leaflet-control-attribution')
                    || {textContent: ''}).textContent,
      legends: document.querySelectorAll('svg[id^="legend"], .legend, .cg-legend').length,
      checked: checked, legendRows: rows, legendVisible: shown(legend),
      viewport: [vw, vh], mapArea: area(mapEl),
      controlArea: area(document.querySelector('.leaflet-control-layers')),
      scaleVisible: scaleOk, frac: frac, inside: inside, probes: probes,
    };
"""


def inspect_map_page(
    driver: Any,
    url: str,
    *,
    window_size: tuple[int, int] = (1280, 900),
    bounds: tuple[float, float, float, float] | None = None,
    probe: tuple[str, ...] = (),
) -> MapPageReport:
    """Load *url* in an open :func:`headless_chromium` driver and inspect the map.

    The viewport is set to exactly *window_size* CSS pixels; see :class:`MapPageReport`
    for what is measured. Reusing one driver for many pages keeps browser tests fast.

    Examples
    --------
    >>> with headless_chromium() as d, serve_directory(".") as base:  # doctest: +SKIP
    ...     report = inspect_map_page(d, base + "map.html", window_size=(1024, 768))
    """
    import io

    import matplotlib.image
    import numpy as np
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    w, h = window_size
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": int(w), "height": int(h), "deviceScaleFactor": 1, "mobile": False})
    driver.get_log("browser")  # drop messages of earlier pages
    driver.get(url)
    WebDriverWait(driver, 60).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
        and d.find_elements(By.CSS_SELECTOR, ".leaflet-container")
    )
    # Let Leaflet finish drawing (fitBounds, SVG renderer) before looking.
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script(
            "return document.querySelectorAll('.leaflet-overlay-pane path').length") > 0
        or d.execute_script("return performance.now()") > 5000
    )
    driver.execute_script("return new Promise(r => setTimeout(r, 500))")
    info = driver.execute_script(_INSPECT_JS, list(bounds) if bounds else None, list(probe))
    png = driver.get_screenshot_as_png()
    logs = driver.get_log("browser")
    errors = [entry["message"] for entry in logs
              if entry.get("level") == "SEVERE" and not _TILE_URL.search(entry["message"])]
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")

    def dedupe(xs: list[str]) -> list[str]:
        return list(dict.fromkeys(x for x in xs if x))

    return MapPageReport(
        errors=errors,
        overlay_labels=dedupe(info["overlays"]),
        base_labels=dedupe(info["bases"]),
        n_paths=int(info["paths"]),
        attribution=str(info["attribution"]),
        n_legends=int(info["legends"]),
        screenshot_png=png,
        pixel_std=float(np.asarray(pixels)[..., :3].std()),
        checked_overlays=dedupe(info["checked"]),
        legend_layers=dedupe(info["legendRows"]),
        legend_visible=bool(info["legendVisible"]),
        viewport=(int(info["viewport"][0]), int(info["viewport"][1])),
        map_area=float(info["mapArea"]),
        layer_control_area=float(info["controlArea"]),
        scale_visible=bool(info["scaleVisible"]),
        bounds_fraction=(None if info["frac"] is None
                         else (float(info["frac"][0]), float(info["frac"][1]))),
        bounds_inside=bool(info["inside"]),
        probes=dict(info["probes"]),
    )


def open_map_in_browser(
    html_path: str | os.PathLike[str],
    *,
    window_size: tuple[int, int] = (1280, 900),
    bounds: tuple[float, float, float, float] | None = None,
    probe: tuple[str, ...] = (),
) -> MapPageReport:
    """Open a saved map over a loopback HTTP server in headless Chromium and inspect it.

    Skips the calling test when Chromium is absent. See :func:`inspect_map_page` to
    reuse one browser for several pages.

    Examples
    --------
    >>> report = open_map_in_browser("map.html")  # doctest: +SKIP
    >>> report.errors  # doctest: +SKIP
    []
    """
    html_path = Path(html_path).resolve()
    with serve_directory(html_path.parent) as base, headless_chromium(
        window_size=window_size
    ) as driver:
        return inspect_map_page(driver, base + html_path.name, window_size=window_size,
                                bounds=bounds, probe=probe)
