"""Comparing a scenario with a base: catchment-area and travel-time changes, gained/lost areas.

Examples
--------
>>> c = compare("scenarios/baseline_2025.yaml",
...             "scenarios/second_gz_sz_hsr_2029.yaml")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridor_geo import _repr, settings
from corridor_geo._io import output_dir
from corridor_geo._pairs import pair_counts
from corridor_geo.scenario.model import Scenario
from corridor_geo.scenario.report import ROUND, round_value, write_compare
from corridor_geo.scenario.run import (
    RunResult,
    analyse,
    as_scenario,
    check_out_dir,
    log_to,
    progress_bar,
    umask_mode,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = ["Comparison", "compare"]

logger = logging.getLogger("corridor_geo.scenario")


_GRID_M = 0.1  # precision grid (m, EPSG:4547) of the gained/lost overlay


@dataclass
class Comparison:
    """Differences between a base and a scenario run.

    Attributes
    ----------
    base, scenario
        The two runs.
    catchment_changes
        One row per origin, mode and band: ``area_base_km2, area_scenario_km2,
        change_km2, change_pct``.
    matrix_changes
        One row per pair and mode: ``minutes_base, minutes_scenario, change_min``
        (negative = faster in the scenario).
    difference
        GeoDataFrame ``origin_id, mode, band_min, change`` (``gained``/``lost``),
        ``area_km2, geometry``: the areas reached only in the scenario / only in the base.
    summary
        The content of ``summary.json``.
    """

    base: RunResult
    scenario: RunResult
    catchment_changes: pd.DataFrame
    matrix_changes: pd.DataFrame
    difference: gpd.GeoDataFrame
    summary: dict[str, Any]
    out: Path | None = None

    def __repr__(self) -> str:
        return _repr.summary_text("Comparison", _repr.comparison_items(self))

    def _repr_html_(self) -> str:  # per band: nested bands are never added together
        return _repr.summary_html("Comparison", _repr.comparison_items(self),
                                  note="catchment_changes, matrix_changes, difference: tables")


def _polygonal(geom: Any) -> Any:
    """Return the (Multi)Polygon part of *geom* (differences can leave slivers of lines)."""
    import shapely

    parts = [p for p in shapely.get_parts(shapely.make_valid(geom))
             if p.geom_type == "Polygon" and p.area > 1.0]  # drop < 1 m² slivers
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _difference(base: gpd.GeoDataFrame, scen: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import shapely

    key = ["origin_id", "mode", "band_min"]
    b = base.to_crs(settings.METRIC_CRS).set_index(key)["geometry"]
    s = scen.to_crs(settings.METRIC_CRS).set_index(key)["geometry"]
    rows = []
    for k in sorted(set(b.index) | set(s.index)):
        gb = b.get(k)
        gs = s.get(k)
        empty = shapely.Polygon()
        gb = empty if gb is None or gb.is_empty else shapely.make_valid(gb)
        gs = empty if gs is None or gs.is_empty else shapely.make_valid(gs)
        # overlay on a 0.1 m grid (OverlayNG with snapping): robust where the polygons of
        # the two runs share edges up to floating-point noise
        for change, geom in (("gained", shapely.difference(gs, gb, grid_size=_GRID_M)),
                             ("lost", shapely.difference(gb, gs, grid_size=_GRID_M))):
            geom = _polygonal(geom)
            if geom.is_empty:
                continue
            rows.append({"origin_id": k[0], "mode": k[1], "band_min": k[2], "change": change,
                         "area_km2": round(float(geom.area) / 1e6, ROUND), "geometry": geom})
    gdf = gpd.GeoDataFrame(rows, columns=[*key, "change", "area_km2", "geometry"],
                           geometry="geometry", crs=settings.METRIC_CRS)
    return gdf.to_crs(settings.WGS84)


def _compare_tables(base: RunResult, scen: RunResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    import numpy as np
    import pandas as pd

    key = ["origin_id", "mode", "band_min"]
    cb = pd.DataFrame(base.catchments[[*key, "area_km2"]]).rename(
        columns={"area_km2": "area_base_km2"})
    cs = pd.DataFrame(scen.catchments[[*key, "area_km2"]]).rename(
        columns={"area_km2": "area_scenario_km2"})
    cc = cb.merge(cs, on=key, how="outer").sort_values(key, kind="stable")
    cc["change_km2"] = cc["area_scenario_km2"] - cc["area_base_km2"]
    with np.errstate(divide="ignore", invalid="ignore"):
        cc["change_pct"] = np.where(cc["area_base_km2"] > 0,
                                    100.0 * cc["change_km2"] / cc["area_base_km2"], np.nan)
    pk = ["mode", "from_id", "to_id"]
    mb = base.matrix[[*pk, "minutes"]].rename(columns={"minutes": "minutes_base"})
    ms = scen.matrix[[*pk, "minutes"]].rename(columns={"minutes": "minutes_scenario"})
    mc = mb.merge(ms, on=pk, how="outer").sort_values(pk, kind="stable")
    mc["change_min"] = mc["minutes_scenario"] - mc["minutes_base"]
    return cc.reset_index(drop=True), mc.reset_index(drop=True)


def compare(
    base: Scenario | str | os.PathLike[str],
    scenario: Scenario | str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    overwrite: bool = False,
) -> Comparison:
    """Run *base* and *scenario* and compare them.

    Writes (when *out* is given, atomically) ``catchment_changes.csv``,
    ``matrix_changes.csv``, ``difference.gpkg`` (gained/lost areas), ``map.html`` (the
    gained and lost areas over the scenario's corridor), ``summary.json``,
    ``report.md`` and ``run.log``.

    Parameters
    ----------
    base, scenario
        Scenarios or scenario file paths. Their origins, modes and bands should agree;
        rows present in only one are kept with NaN on the other side.
    out
        Output folder, or ``None`` to compute only.
    progress
        Show tqdm bars (default ``settings.progress``).
    overwrite
        Write into a non-empty *out* that holds files corridor_geo did not write,
        replacing only the files listed in its previous manifest (others are kept).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> c = compare("scenarios/baseline_2025.yaml",
    ...             "scenarios/second_gz_sz_hsr_2029.yaml")  # doctest: +SKIP
    >>> c.difference.query("change == 'gained'").area_km2.sum()  # doctest: +SKIP
    """
    sb, ss = as_scenario(base), as_scenario(scenario)
    out_dir = check_out_dir(out, overwrite=overwrite) if out is not None else None
    rb, rs = sb.resolve(), ss.resolve()
    ctx = (output_dir(out_dir, overwrite=overwrite) if out_dir is not None
           else contextlib.nullcontext(None))
    with ctx as tmp, (log_to(tmp / "run.log") if tmp is not None
                      else contextlib.nullcontext()):
        if tmp is not None:
            umask_mode(tmp)
            logger.info("compare %s (%s) with base %s (%s)", ss.name, ss._label(), sb.name,
                        sb._label())
        with progress_bar(2 + 2 * len(sb.modes), sb.name, progress) as bar:
            r_base = analyse(rb, bar=bar)
        with progress_bar(2 + 2 * len(ss.modes), ss.name, progress) as bar:
            r_scen = analyse(rs, bar=bar)
        cc, mc = _compare_tables(r_base, r_scen)
        diff = _difference(r_base.catchments, r_scen.catchments)
        summary = _compare_summary(r_base, r_scen, cc, mc, diff)
        comp = Comparison(base=r_base, scenario=r_scen, catchment_changes=cc,
                          matrix_changes=mc, difference=diff, summary=summary)
        if tmp is not None:
            write_compare(comp, tmp)
    comp.out = out_dir
    return comp


def _compare_summary(rb: RunResult, rs: RunResult, cc: pd.DataFrame, mc: pd.DataFrame,
                     diff: gpd.GeoDataFrame) -> dict[str, Any]:

    per_mode = {}
    for mode, st in pair_counts(mc).items():  # the map's comparison panel counts alike
        ch = st.pop("changes_min")
        per_mode[mode] = {
            **st,
            # over the pairs reachable in both runs
            "mean_change_min": round_value(ch.mean()) if len(ch) else None,
            # minutes saved on the pair that gains most; None when no pair is faster
            "largest_saving_min": round_value(-ch.min()) if (ch < -1e-9).any() else None,
        }
    areas = []
    for rec in cc.to_dict(orient="records"):
        sub = diff[(diff["origin_id"] == rec["origin_id"]) & (diff["mode"] == rec["mode"])
                   & (diff["band_min"] == rec["band_min"])]
        gained = float(sub.loc[sub["change"] == "gained", "area_km2"].sum())
        lost = float(sub.loc[sub["change"] == "lost", "area_km2"].sum())
        areas.append({"origin_id": str(rec["origin_id"]), "mode": str(rec["mode"]),
                      "band_min": round_value(rec["band_min"]),
                      "area_base_km2": round_value(rec["area_base_km2"]),
                      "area_scenario_km2": round_value(rec["area_scenario_km2"]),
                      "change_km2": round_value(rec["change_km2"]),
                      "gained_km2": round_value(gained), "lost_km2": round_value(lost)})
    return {
        "base": {"name": rb.scenario.scenario.name, "inputs_hash": rb.summary["inputs_hash"]},
        "scenario": {"name": rs.scenario.scenario.name,
                     "inputs_hash": rs.summary["inputs_hash"]},
        "corridor_geo_version": rb.summary["corridor_geo_version"],
        "catchment_changes": areas,
        "matrix_changes": per_mode,
        "limits": _limits(rb.summary.get("limits", {}), rs.summary.get("limits", {})),
    }


def _limits(base: dict[str, str], scen: dict[str, str]) -> dict[str, str]:
    """Return what each mode's catchments leave out: one text, or the base's and the scenario's."""
    out = {}
    for mode in sorted(set(base) | set(scen)):
        b, s = base.get(mode), scen.get(mode)
        out[mode] = (b or s or "") if b == s or not (b and s) else f"base: {b}; scenario: {s}"
    return out
