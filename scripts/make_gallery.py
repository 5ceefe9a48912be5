"""Regenerate docs/gallery/: a screenshot of each kind of map and each kind of figure.

Everything comes from the bundled defaults, through the CLI as a user would run it:

1. ``corridor-geo demo``                                  → the corridor map
2. ``corridor-geo catchments`` (drive, Songshan Lake)     → a drive catchment map
3. ``corridor-geo catchments`` (transit, Guangzhou South) → a transit catchment map
4. ``corridor-geo run scenarios/baseline_2025.yaml``      → catchments + travel-times map,
   catchment bar charts and travel-time heatmaps per mode (the run's report PNGs)
5. ``corridor-geo compare`` baseline vs peak congestion   → the comparison map
6. ``figures.corridor_figure`` and ``figures.width_profile_figure`` on the demo's extent

Maps are opened in headless Chromium (``/usr/bin/chromium``, see
scripts/install-browser.sh) at 1024×768 and screenshotted. ``docs/gallery/manifest.json``
records, for each image, the SHA-256 of what it shows (the map's HTML, or the figure's
PNG), of the results it was drawn from, and the versions that render them; the test
``tests/test_gallery.py`` rebuilds those sources and checks the gallery is current.

Usage::

    python scripts/make_gallery.py            # writes docs/gallery/
    python scripts/make_gallery.py --check    # rebuild sources only; exit 1 if stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "docs" / "gallery"
WINDOW = (1024, 768)

#: name -> (title, kind)
ITEMS: dict[str, tuple[str, str]] = {
    "map_demo": ("The corridor (corridor-geo demo)", "map"),
    "map_catchment_drive": ("Drive catchment, Songshan Lake, 30 and 60 min", "map"),
    "map_catchment_transit": ("Transit catchment (walk + rail + walk), Guangzhou South "
                              "station, 30, 60 and 90 min", "map"),
    "map_run": ("Scenario run baseline_2025: catchments and travel times", "map"),
    "map_compare": ("Comparison: Guangshen Expressway peak congestion against the baseline",
                    "map"),
    "fig_corridor": ("figures.corridor_figure", "figure"),
    "fig_width_profile": ("figures.width_profile_figure", "figure"),
    "fig_catchments_drive": ("figures.catchment_bars, drive (run baseline_2025)", "figure"),
    "fig_catchments_transit": ("figures.catchment_bars, transit (run baseline_2025)",
                               "figure"),
    "fig_matrix_drive": ("figures.matrix_heatmap, drive (run baseline_2025)", "figure"),
    "fig_matrix_transit": ("figures.matrix_heatmap, transit (run baseline_2025)", "figure"),
    "fig_catchments_park_and_ride": ("figures.catchment_bars, park and ride "
                                     "(run baseline_2025)", "figure"),
    "fig_matrix_park_and_ride": ("figures.matrix_heatmap, park and ride (run baseline_2025)",
                                 "figure"),
}


def _sha(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()


def _cli(*args: str) -> None:
    from click.testing import CliRunner

    from corridor_geo.cli import main

    r = CliRunner().invoke(main, ["-q", *args])
    if r.exit_code != 0:
        raise SystemExit(f"corridor-geo {' '.join(args)} failed:\n{r.output}")


def build_sources(work: Path) -> dict[str, dict[str, object]]:
    """Run the CLI and the figures into *work*; return name -> {source, inputs} paths."""
    from corridor_geo import figures
    from corridor_geo.corridor import load_corridor
    from corridor_geo.extent import corridor_extent

    _cli("demo", "--out", str(work / "demo"))
    _cli("catchments", "--origins", "core_dg_songshan_lake", "--mode", "drive",
         "--bands", "30,60", "--out", str(work / "drive"))
    _cli("catchments", "--origins", "st_gz_south", "--mode", "transit",
         "--bands", "30,60,90", "--out", str(work / "transit"))
    base = ROOT / "scenarios" / "baseline_2025.yaml"
    _cli("run", str(base), "--out", str(work / "run"))
    _cli("compare", str(base), str(ROOT / "scenarios" / "guangshen_peak_congestion.yaml"),
         "--out", str(work / "compare"))
    corridor = load_corridor()
    ext = corridor_extent(corridor)
    figures.save_figure(figures.corridor_figure(corridor, axis=ext.axis,
                                                plan_axis=ext.plan_axis),
                        work / "fig_corridor.png")
    figures.save_figure(figures.width_profile_figure(ext), work / "fig_width_profile.png")
    demo = [work / "demo" / f for f in ("extent.json", "places.csv", "links.csv")]
    run = [work / "run" / "catchments.gpkg", work / "run" / "matrix.csv"]
    out: dict[str, dict[str, object]] = {
        "map_demo": {"source": work / "demo" / "map.html", "inputs": demo},
        "map_catchment_drive": {"source": work / "drive" / "map.html",
                                "inputs": [work / "drive" / "catchments.gpkg"]},
        "map_catchment_transit": {"source": work / "transit" / "map.html",
                                  "inputs": [work / "transit" / "catchments.gpkg"]},
        "map_run": {"source": work / "run" / "map.html", "inputs": run},
        "map_compare": {"source": work / "compare" / "map.html",
                        "inputs": [work / "compare" / "difference.gpkg",
                                   work / "compare" / "matrix_changes.csv"]},
        "fig_corridor": {"source": work / "fig_corridor.png", "inputs": demo},
        "fig_width_profile": {"source": work / "fig_width_profile.png",
                              "inputs": [work / "demo" / "extent.json"]},
    }
    for mode in ("drive", "transit", "park_and_ride"):
        out[f"fig_catchments_{mode}"] = {"source": work / "run" / f"catchments_{mode}.png",
                                         "inputs": run}
        out[f"fig_matrix_{mode}"] = {"source": work / "run" / f"matrix_{mode}.png",
                                     "inputs": run}
    return out


def versions() -> dict[str, str]:
    """Versions of what renders the gallery (hashes are comparable only between equals)."""
    from importlib.metadata import version

    return {p: version(p) for p in ("folium", "branca", "matplotlib", "adjustText",
                                    "shapely", "geopandas")}


def manifest_entries(sources: dict[str, dict[str, object]]) -> dict[str, dict[str, str]]:
    """Return name -> {"image", "source_sha256", "inputs_sha256"}.

    The inputs are the results drawn plus the bundled corridor data (``geodata/``: places,
    stations and links appear on every map), so a change of data counts as new results.
    """
    from corridor_geo.settings import geodata_dir

    data = sorted(p for p in Path(geodata_dir()).rglob("*") if p.is_file())
    out = {}
    for name, item in sources.items():
        out[name] = {"image": f"{name}.png",
                     "source_sha256": _sha(item["source"]),  # type: ignore[arg-type]
                     "inputs_sha256": _sha(*item["inputs"], *data)}  # type: ignore[misc]
    return out


def screenshot_maps(sources: dict[str, dict[str, object]], dest: Path) -> None:
    """Screenshot every map at :data:`WINDOW` in one headless Chromium session."""
    from corridor_geo.testing import CHROMEDRIVER, CHROMIUM, inspect_map_page, serve_directory

    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        raise SystemExit(f"needs {CHROMIUM} and {CHROMEDRIVER}: bash scripts/install-browser.sh")
    from corridor_geo.testing import headless_chromium

    work = Path(next(iter(sources.values()))["source"]).parents[1]  # type: ignore[arg-type]
    with serve_directory(work) as base, headless_chromium(window_size=WINDOW) as driver:
        for name, item in sources.items():
            if ITEMS[name][1] != "map":
                continue
            rel = Path(item["source"]).relative_to(work).as_posix()  # type: ignore[arg-type]
            report = inspect_map_page(driver, base + rel, window_size=WINDOW)
            if report.errors:
                raise SystemExit(f"{name}: console errors {report.errors}")
            (dest / f"{name}.png").write_bytes(report.screenshot_png)


def write_readme(dest: Path, entries: dict[str, dict[str, str]]) -> None:
    """Write the gallery's README.md (every image under its title)."""
    lines = ["# Gallery", "",
             "Every kind of map and figure corridor_geo makes, from the bundled defaults.",
             "Regenerate with `python scripts/make_gallery.py` (maps screenshotted in "
             f"headless Chromium at {WINDOW[0]}×{WINDOW[1]}); `tests/test_gallery.py` checks "
             "that it is current (`manifest.json`).", ""]
    for kind, head in (("map", "## Maps"), ("figure", "## Figures")):
        lines += [head, ""]
        for name, (title, k) in ITEMS.items():
            if k == kind and name in entries:
                lines += [f"### {title}", "", f"![{title}]({entries[name]['image']})", ""]
    (dest / "README.md").write_text("\n".join(lines), encoding="utf-8")


def stale_items(manifest: dict[str, object], entries: dict[str, dict[str, str]]
                ) -> dict[str, str]:
    """Name -> why the committed gallery does not show what the code makes now."""
    old = manifest.get("items", {})
    assert isinstance(old, dict)
    out = {}
    for name in sorted(set(old) | set(entries)):
        if name not in old:
            out[name] = "missing from the gallery"
        elif name not in entries:
            out[name] = "no longer made"
        elif old[name]["inputs_sha256"] != entries[name]["inputs_sha256"]:
            out[name] = "the results it shows changed"
        elif old[name]["source_sha256"] != entries[name]["source_sha256"]:
            out[name] = "the map/figure drawn from the same results changed"
    return out


def main(argv: list[str] | None = None) -> int:
    """Build the gallery (or, with ``--check``, report stale images)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="rebuild the sources only and report stale images")
    parser.add_argument("--out", type=Path, default=GALLERY)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="corridor-geo-gallery-") as tmp:
        sources = build_sources(Path(tmp))
        entries = manifest_entries(sources)
        if args.check:
            manifest = json.loads((args.out / "manifest.json").read_text(encoding="utf-8"))
            stale = stale_items(manifest, entries)
            for name, why in stale.items():
                print(f"stale: {name}: {why}")
            return 1 if stale else 0
        args.out.mkdir(parents=True, exist_ok=True)
        screenshot_maps(sources, args.out)
        for name, item in sources.items():
            if ITEMS[name][1] == "figure":
                shutil.copyfile(item["source"], args.out / f"{name}.png")  # type: ignore[arg-type]
        manifest = {"window": list(WINDOW), "versions": versions(), "items": entries}
        (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True)
                                                + "\n", encoding="utf-8")
        write_readme(args.out, entries)
    print(f"wrote {args.out}: {', '.join(sorted(entries))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
