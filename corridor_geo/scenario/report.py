"""Scenario outputs: one writer per format (GeoPackage, CSV, JSON, Markdown, HTML, PNG).

``write_gpkg`` and ``write_csv`` are the reproducible writers of every scenario table
(GeoPackage timestamps pinned, fixed float precision); :func:`write_run` and
:func:`write_compare` lay out the output folders of runs and comparisons.

Examples
--------
>>> round_value(1.23456789)
1.2346
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridor_geo import _io
from corridor_geo._csvio import neutralise_frame
from corridor_geo._io import atomic_write_json, atomic_write_text
from corridor_geo._repr import reach_text
from corridor_geo._scenario_model import Edits
from corridor_geo._text import md_text

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from corridor_geo.scenario.compare import Comparison
    from corridor_geo.scenario.model import ResolvedScenario
    from corridor_geo.scenario.run import RunResult

__all__ = ["ROUND", "edits_text", "map_corridor", "md_table", "round_value", "write_compare",
           "write_csv", "write_gpkg", "write_run"]




ROUND = 4  # decimals of floats in summary.json / CSV


def round_value(v: Any) -> Any:
    """Round a float for JSON (None for NaN/inf)."""
    import math

    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    if not math.isfinite(f):
        return None
    return round(f, ROUND)


def write_gpkg(gdf: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    """Write a byte-reproducible GeoPackage, atomically (:func:`corridor_geo._io.write_gpkg`)."""
    _io.write_gpkg(gdf, path, layer=layer)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV (no geometry, :data:`ROUND` decimals, LF lines), atomically."""
    import pandas as pd

    df = pd.DataFrame(df.drop(columns="geometry", errors="ignore"))
    text = neutralise_frame(df).to_csv(index=False, float_format=f"%.{ROUND}f",
                                       lineterminator="\n")  # no spreadsheet formulas
    atomic_write_text(path, text)


def _save_map(m: Any, path: Path) -> None:
    from corridor_geo.maps import save_map

    save_map(m, path)


def md_table(df: pd.DataFrame) -> str:
    """Format *df* as a Markdown table (numbers with thousands separators, NaN as –)."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in df.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float):
                if v != v:  # NaN
                    cells.append("–")
                else:
                    cells.append(f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}")
            else:
                cells.append(md_text(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _static_plots(result: RunResult, tmp: Path) -> list[str]:
    """Write the report's PNGs (catchment areas and travel-time heatmap per mode)."""
    from corridor_geo import figures

    names: list[str] = []
    places = result.corridor.places() if result.corridor is not None else None
    labels = ({str(i): str(n) for i, n in zip(places["id"], places["name_en"], strict=True)}
              if places is not None else None)
    for mode in result.scenario.scenario.modes:
        cat = result.catchments[result.catchments["mode"] == mode]
        if len(cat):
            fname = f"catchments_{mode}.png"
            figures.save_figure(figures.catchment_bars(cat), tmp / fname)
            names.append(fname)
        mat = result.matrix[result.matrix["mode"] == mode]
        if len(mat):
            fname = f"matrix_{mode}.png"
            figures.save_figure(figures.matrix_heatmap(mat, mode=mode, labels=labels),
                                tmp / fname)
            names.append(fname)
    return names


def _report(result: RunResult, pngs: list[str]) -> str:
    s = result.scenario.scenario
    summ = result.summary
    out = [f"# Scenario: {md_text(s.name)}", ""]  # user text: no HTML, links or code
    if s.description:
        out += [md_text(s.description.strip(), one_line=False), ""]
    out += [
        f"- Year (as_of): {s.as_of if s.as_of is not None else 'all open links'}",
        f"- Modes: {', '.join(s.modes)}; bands: {', '.join(f'{b:g}' for b in s.bands)} min",
        f"- Origins: {md_text(', '.join(result.scenario.origins))}",
        f"- Network edits: {edits_text(s.edits)}",
        "",
        "## Catchments",
        "",
    ]
    cols = [c for c in ("origin_id", "mode", "band_min", "area_km2", "n_platforms_reached",
                        "n_nodes_reached", "population") if c in result.catchments.columns]
    out += [md_table(result.catchments[cols]), ""]
    out += ["## Travel-time matrix", ""]
    for mode, st in summ["matrix"].items():
        mean, mx = _fmt1(st["mean_min"]), _fmt1(st["max_min"])
        out.append(f"- {mode}: {st['n_reachable']} of {st['n_pairs']} pairs reachable; "
                   f"mean {mean} min, max {mx} min")
    out.append("")
    for png in pngs:
        what = "Catchment areas" if png.startswith("catchments") else "Travel times"
        out += [f"![{what}, {png[:-4].split('_', 1)[1]}]({png})", ""]
    out += ["Files: " + ", ".join(result.files), "",
            "Map data © OpenStreetMap contributors (ODbL).", ""]
    return "\n".join(out)


def _fmt1(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def edits_text(e: Edits) -> str:
    """One line describing a scenario's network edits (``none`` when there are none)."""
    parts = []
    if e.enable_links:
        parts.append("enable " + ", ".join(e.enable_links))
    if e.close_links:
        parts.append("close " + ", ".join(e.close_links))
    if e.add_links:
        parts.append("add " + ", ".join(lk.id for lk in e.add_links))
    if e.speed_factors:
        parts.append("speed × " + ", ".join(
            f"{k} {v:g}" for k, v in sorted(e.speed_factors.items())))
    if e.headway_min:
        parts.append("headway " + ", ".join(
            f"{k} {v:g} min" for k, v in sorted(e.headway_min.items())))
    return md_text("; ".join(parts)) or "none"


def map_corridor(res: ResolvedScenario) -> Any:
    """Return the corridor as the scenario sees it (closed links left out of the map)."""
    closed = res.scenario.edits.close_links
    return res.corridor.with_links(disable=closed) if closed else res.corridor


def write_run(result: RunResult, tmp: Path) -> None:
    """Write the outputs of a run into the (temporary) folder *tmp*."""
    s = result.scenario.scenario
    o = s.outputs
    files = ["summary.json", "run.log"]
    if o.catchments:
        write_gpkg(result.catchments, tmp / "catchments.gpkg", layer="catchments")
        files.append("catchments.gpkg")
    if o.matrix:
        write_csv(result.matrix, tmp / "matrix.csv")
        files.append("matrix.csv")
    if o.map:
        from corridor_geo.maps import corridor_map

        catch = result.catchments
        drawn = catch[~(catch.geometry.isna() | catch.geometry.is_empty)]  # empty bands
        m = corridor_map(map_corridor(result.scenario),
                         catchments=drawn if len(drawn) else None, matrix=result.matrix,
                         catchment_limits=result.summary.get("limits"))
        _save_map(m, tmp / "map.html")
        files.append("map.html")
    pngs: list[str] = []
    if o.report:
        pngs = _static_plots(result, tmp)
        files += pngs
        files.append("report.md")
    result.files = sorted(files)
    if o.report:
        atomic_write_text(tmp / "report.md", _report(result, pngs))
    atomic_write_json(tmp / "summary.json", result.summary)


def write_compare(comp: Comparison, tmp: Path) -> None:
    """Write the outputs of a comparison into the (temporary) folder *tmp*."""
    write_csv(comp.catchment_changes, tmp / "catchment_changes.csv")
    write_csv(comp.matrix_changes, tmp / "matrix_changes.csv")
    write_gpkg(comp.difference, tmp / "difference.gpkg", layer="difference")
    from corridor_geo.maps import corridor_map

    # every origin whose catchments are compared is marked, also one with no change
    m = corridor_map(map_corridor(comp.scenario.scenario), difference=comp.difference,
                     matrix_changes=comp.matrix_changes,
                     compared_origins=comp.catchment_changes["origin_id"].astype(str),
                     catchment_limits=comp.summary.get("limits"))
    _save_map(m, tmp / "map.html")
    atomic_write_text(tmp / "report.md", _compare_report(comp))
    atomic_write_json(tmp / "summary.json", comp.summary)


def _compare_report(comp: Comparison) -> str:
    import numpy as np

    b = comp.base.scenario.scenario
    s = comp.scenario.scenario.scenario
    sn, bn = md_text(s.name), md_text(b.name)
    out = [f"# Comparison: {sn} against {bn}", "",
           f"- Base: {bn} (as_of {b.as_of}); edits: {edits_text(b.edits)}",
           f"- Scenario: {sn} (as_of {s.as_of}); edits: {edits_text(s.edits)}", "",
           "## Catchment area changes", ""]
    rows = comp.summary["catchment_changes"]
    import pandas as pd

    out += [md_table(pd.DataFrame(rows)), "", "## Travel-time changes", ""]
    mc = comp.matrix_changes
    changed = mc[np.abs(mc["change_min"].to_numpy(dtype=float)) > 0.05]
    changed = changed.assign(_abs=changed["change_min"].abs()).sort_values(
        ["_abs", "mode", "from_id", "to_id"], ascending=[False, True, True, True],
        kind="stable").drop(columns="_abs")
    for mode, st in comp.summary["matrix_changes"].items():
        saving = st["largest_saving_min"]
        best = f"largest saving {saving:.1f} min" if saving and saving > 0 else "no saving"
        out.append(f"- {mode}: {st['n_faster']} of {st['n_pairs']} pairs faster, "
                   f"{st['n_slower']} slower{reach_text(st)}; {best}")
    rail_gaps = [m for m, st in comp.summary["matrix_changes"].items()
                 if m in ("transit", "park_and_ride") and (
                     st.get("n_unreachable_both") or st.get("n_no_longer_reachable")
                     or st.get("n_newly_reachable"))]
    if rail_gaps:
        # say why, or "0 faster" reads as "the new line does nothing" (matrix.csv's
        # access_method / egress_method give the reason per pair)
        out += ["", f"Unreachable by {' and '.join(rail_gaps)}: an end has no open railway "
                "station in reach (a walk of at most `max_walk_km`; park and ride drives to "
                "its boarding station, up to `max_drive_leg_km`), or no rail route joins the "
                "two ends' stations in that year (matrix.csv's access_method / "
                "egress_method say which). No metro or bus layer is modelled."]
    out.append("")
    if len(changed):
        out += ["Largest changes (minutes; negative = faster in the scenario):", "",
                md_table(changed.head(20)), ""]
    out += ["Files: catchment_changes.csv, matrix_changes.csv, difference.gpkg, map.html, "
            "summary.json, run.log", "", "Map data © OpenStreetMap contributors (ODbL).", ""]
    return "\n".join(out)
