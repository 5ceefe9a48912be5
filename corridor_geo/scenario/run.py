"""Running a scenario: matrix and catchments per mode, summary, outputs written atomically.

Examples
--------
>>> r = run_scenario("scenarios/baseline_2025.yaml", out="out/base")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridor_geo import _repr, settings
from corridor_geo._io import check_output_dir, output_dir, read_vector
from corridor_geo._scenario_model import ScenarioError
from corridor_geo.errors import CorridorGeoError, DataValidationError
from corridor_geo.scenario.model import ResolvedScenario, Scenario, is_missing
from corridor_geo.scenario.report import round_value, write_run
from corridor_geo.scenario.streets import scenario_streets

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = ["RunResult", "analyse", "as_scenario", "check_out_dir", "check_same_scenario",
           "log_to", "progress_bar", "run_scenario", "run_summary", "umask_mode"]

logger = logging.getLogger("corridor_geo.scenario")


def check_out_dir(out: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Check that the output folder can be created or replaced; return it as a Path.

    A non-empty folder that corridor_geo did not write (no manifest of its own, or files
    its manifest does not list) is refused unless *overwrite* (see
    :func:`corridor_geo._io.check_output_dir`).

    Raises
    ------
    OutputDirError
        *out* is a file, its nearest existing parent is not a writable folder, or it
        holds files corridor_geo did not write.

    Examples
    --------
    >>> check_out_dir("out/run").name
    'run'
    """
    return check_output_dir(out, overwrite=overwrite)


@dataclass
class RunResult:
    """What :func:`run_scenario` computed and wrote.

    Attributes
    ----------
    scenario
        The resolved scenario.
    matrix
        Travel-time matrix, all modes (``from_id, to_id, mode, minutes, ...``).
    catchments
        Catchment polygons, all modes (``origin_id, mode, band_min, area_km2, ...``).
    summary
        The content of ``summary.json``.
    out
        The output folder, or ``None`` when nothing was written.
    """

    scenario: ResolvedScenario
    matrix: pd.DataFrame
    catchments: gpd.GeoDataFrame
    summary: dict[str, Any]
    corridor: Any = None
    out: Path | None = None
    files: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return _repr.summary_text("RunResult", _repr.run_items(self))

    def _repr_html_(self) -> str:
        return _repr.summary_html("RunResult", _repr.run_items(self),
                                  note="matrix, catchments: the tables; summary: summary.json")


def as_scenario(s: Scenario | str | os.PathLike[str]) -> Scenario:
    """Return *s* itself, or the scenario read from the file *s*."""
    return s if isinstance(s, Scenario) else Scenario.from_yaml(s)


def progress_bar(total: int, desc: str, progress: bool | None) -> Any:
    """Make a tqdm bar of *total* steps (shown if *progress*, default ``settings.progress``)."""
    from corridor_geo._progress import tqdm_bar

    show = settings.progress if progress is None else progress
    return tqdm_bar(total=total, show=bool(show), desc=desc, unit="step", leave=False)


@contextlib.contextmanager
def log_to(path: Path) -> Iterator[logging.Logger]:
    """Copy the package's log records (INFO and above) to *path* while in the block."""
    log = logging.getLogger("corridor_geo")
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    old_level = log.level
    log.addHandler(handler)
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    try:
        yield log
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
        handler.close()


def scenario_timetable(res: ResolvedScenario) -> list[Any]:
    """Read the services of the scenario's ``timetable`` feed (none without one).

    A feed gtfs-kit cannot read, or with a bad trip, is a :class:`ScenarioError` naming
    the scenario file and the ``timetable`` field.

    Examples
    --------
    >>> scenario_timetable(Scenario.from_yaml("s.yaml").resolve())  # doctest: +SKIP
    []
    """
    if res.timetable is None:
        return []
    from corridor_geo.gtfs import read_gtfs

    try:
        return list(read_gtfs(res.timetable, corridor=res.corridor))
    except DataValidationError as exc:
        raise ScenarioError(f"timetable: {exc}", path=res.scenario._label(),
                            field="timetable") from None


def analyse(res: ResolvedScenario, *, bar: Any) -> RunResult:
    """Compute the matrix and catchments of a resolved scenario (nothing written)."""
    import geopandas as gpd
    import pandas as pd

    from corridor_geo.catchments import catchment_limits
    from corridor_geo.catchments import catchments as _catchments
    from corridor_geo.transit import MultimodalNetwork, travel_time_matrix

    s = res.scenario
    corridor = res.corridor
    bar.set_postfix_str("network")
    street, drive, _ = scenario_streets(res)
    edits = res.network_edits()
    timetable = scenario_timetable(res)
    mm = MultimodalNetwork.build(corridor, street=street, edits=edits, as_of=s.as_of,
                                 timetable=timetable)
    logger.info("network: %r; links in service: %s", mm, ", ".join(mm.link_ids))
    for lid, why in sorted(mm.skipped_links.items()):
        logger.warning("link %s not modelled: %s", lid, why)
    bar.update()
    bar.set_postfix_str("population")
    population = _read_population(res)
    bar.update()

    mats, cats, notes = [], [], []
    limits: dict[str, str] = {}  # what each mode's catchments leave out (key, summary)
    for mode in s.modes:
        bar.set_postfix_str(f"matrix {mode}")
        logger.info("travel-time matrix, mode %s: %d x %d", mode, len(res.origins),
                    len(res.destinations))
        m = travel_time_matrix(corridor, list(res.origins), list(res.destinations), mode=mode,
                               network=mm)
        mats.append(m)
        bar.update()
        bar.set_postfix_str(f"catchments {mode}")
        if mode in ("drive", "transit", "park_and_ride"):
            logger.info("catchments, mode %s, bands %s", mode, s.bands)
            c = _catchments(list(res.origins), mode=mode, bands=list(s.bands),
                            corridor=corridor, network=drive if mode == "drive" else None,
                            multimodal=mm, population=population, snap_max_m=s.snap_max_m)
            cats.append(c.assign(mode=mode))
            limits[mode] = catchment_limits(mode, network=drive if mode == "drive" else None,
                                            multimodal=mm)
        else:
            note = (f"no catchments for mode {mode}: a catchment is drawn per mode "
                    "(drive, transit, park_and_ride); matrix only")
            logger.warning(note)
            notes.append(note)
        bar.update()
    matrix = gpd.GeoDataFrame(pd.concat(mats, ignore_index=True), geometry="geometry",
                              crs=mats[0].crs)
    matrix["mode"] = matrix["mode"].astype(str)
    matrix = matrix.sort_values(["mode", "from_id", "to_id"], kind="stable").reset_index(drop=True)
    if cats:
        catch = gpd.GeoDataFrame(pd.concat(cats, ignore_index=True), geometry="geometry",
                                 crs=cats[0].crs)
    else:
        catch = gpd.GeoDataFrame({"origin_id": [], "mode": [], "band_min": [], "area_km2": []},
                                 geometry=[], crs=settings.WGS84)
    catch = catch.sort_values(["mode", "origin_id", "band_min"], kind="stable")
    catch = catch.reset_index(drop=True)
    front = [c for c in ("origin_id", "mode", "band_min") if c in catch.columns]
    catch = catch[front + [c for c in catch.columns if c not in front]]
    summary = run_summary(res, matrix, catch)
    summary["links_in_service"] = sorted(mm.link_ids)
    if res.timetable is not None:
        summary["timetable"] = {"file": res.timetable.name,
                                "services": sorted(svc.id for svc in timetable)}
    summary["limits"] = limits
    summary["notes"] = notes
    return RunResult(scenario=res, matrix=matrix, catchments=catch, summary=summary,
                     corridor=corridor)


def _read_population(res: ResolvedScenario) -> Any:
    if res.population is None:
        return None

    pop = res.scenario.population
    assert pop is not None
    try:
        gdf = read_vector(res.population, what="population layer")
    except CorridorGeoError as exc:
        raise ScenarioError(f"population file: {exc}", path=res.scenario._label(),
                            field="population.file") from None
    if pop.column not in gdf.columns:
        raise ScenarioError(
            f"column {pop.column!r} not in {res.population.name} (columns: "
            f"{', '.join(c for c in gdf.columns if c != 'geometry')})",
            path=res.scenario._label(), field="population.column")
    if gdf.crs is None:  # the rule of catchments(): no guessing of a CRS
        raise ScenarioError(f"population file {res.population.name} has no CRS; expected a "
                            "GeoPackage/GeoJSON with a coordinate reference system",
                            path=res.scenario._label(), field="population.file")
    gdf = gdf[[pop.column, "geometry"]].rename(columns={pop.column: "population"})
    return gdf.to_crs(settings.WGS84)


def run_summary(res: ResolvedScenario, matrix: pd.DataFrame,
                catch: gpd.GeoDataFrame) -> dict[str, Any]:
    """Build the content of ``summary.json`` (catchment areas, matrix statistics, hash)."""
    import numpy as np

    from corridor_geo import __version__

    s = res.scenario
    rows = []
    for rec in catch.drop(columns="geometry").to_dict(orient="records"):
        row = {"origin_id": str(rec["origin_id"]), "mode": str(rec["mode"]),
               "band_min": round_value(rec["band_min"]),
               "area_km2": round_value(rec.get("area_km2"))}
        for key in ("n_platforms_reached", "n_nodes_reached"):
            if key in rec and not is_missing(rec[key]):
                row[key] = int(rec[key])
        if "population" in rec and not is_missing(rec["population"]):
            row["population"] = round_value(rec["population"])
        rows.append(row)
    stats = {}
    for mode, grp in matrix.groupby("mode", sort=True):
        pairs = grp[grp["from_id"] != grp["to_id"]]
        minutes = pairs["minutes"].to_numpy(dtype=float)
        ok = minutes[np.isfinite(minutes)]
        stats[str(mode)] = {
            "n_pairs": len(minutes),
            "n_reachable": len(ok),
            "mean_min": round_value(ok.mean()) if len(ok) else None,
            "median_min": round_value(np.median(ok)) if len(ok) else None,
            "min_min": round_value(ok.min()) if len(ok) else None,
            "max_min": round_value(ok.max()) if len(ok) else None,
        }
    return {
        "scenario": {
            "name": s.name, "description": s.description, "as_of": s.as_of,
            "file": s.source.name if s.source is not None else None,
            "modes": list(s.modes), "bands": list(s.bands),
            "origins": list(res.origins), "destinations": list(res.destinations),
            "edits": s.edits.model_dump(mode="json"),
        },
        "corridor_geo_version": __version__,
        "inputs_hash": s.inputs_hash(),
        "catchments": rows,
        "matrix": stats,
    }


def _previous_scenario(folder: Path) -> dict[str, Any] | None:
    """Return the ``summary.json`` of the corridor_geo output *folder*, if it holds one.

    Only a folder whose manifest lists ``summary.json`` (a run or a comparison that
    corridor_geo wrote); an unreadable or odd summary counts as none.
    """
    import json

    from corridor_geo._io import read_manifest

    man = read_manifest(folder) if folder.is_dir() else None
    path = folder / "summary.json"
    if man is None or "summary.json" not in man["entries"] or not path.is_file():
        return None
    try:
        if path.stat().st_size > 64 << 20:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def check_same_scenario(out: Path, scenario: Scenario, *, overwrite: bool = False) -> None:
    """Refuse to replace the outputs of another scenario in *out* unless *overwrite*.

    A folder corridor_geo wrote is replaced as a whole by the next run into it. When its
    ``summary.json`` is that of a different scenario (another ``name`` and another file
    name), or of a comparison, the new run would silently discard it: that needs
    *overwrite*. A rerun of the same scenario (same name, or the same file edited)
    replaces its outputs as before.

    Raises
    ------
    OutputDirError
        *out* holds the outputs of another scenario or of a comparison, and *overwrite*
        is false.
    """
    from corridor_geo.errors import OutputDirError

    if overwrite:
        return
    prev = _previous_scenario(out)
    if prev is None or not isinstance(prev.get("scenario"), dict):
        return
    name = prev["scenario"].get("name")
    new_file = scenario.source.name if scenario.source is not None else None
    if isinstance(prev.get("base"), dict):
        held = (f"the comparison of scenario {name!r} with "
                f"{prev['base'].get('name')!r}")
    elif name == scenario.name or (new_file is not None
                                   and prev["scenario"].get("file") == new_file):
        return
    else:
        file = prev["scenario"].get("file")
        held = f"scenario {name!r}" + (f" ({file})" if file else "")
    this = f"{scenario.name!r}" + (f" ({new_file})" if new_file else "")
    raise OutputDirError(
        f"output directory {out} holds the outputs of {held}, not of {this}; nothing was "
        "written. Choose another folder, or use --overwrite (overwrite=True) to replace "
        "them")


def umask_mode(folder: Path) -> None:
    """Give a temporary output folder the usual permissions (mkdtemp makes it 0700)."""
    mask = os.umask(0)
    os.umask(mask)
    folder.chmod(0o777 & ~mask)


def run_scenario(
    scenario: Scenario | str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    overwrite: bool = False,
) -> RunResult:
    """Run a scenario: matrix and catchments for each mode; write the outputs to *out*.

    Parameters
    ----------
    scenario
        A :class:`Scenario` or the path of a scenario file.
    out
        Output folder (a new folder, or one corridor_geo wrote before for the same
        scenario, is replaced as a whole on success; untouched on failure). ``None``
        computes without writing.
    progress
        Show a tqdm bar of the steps (default ``settings.progress``).
    overwrite
        Write into a non-empty *out* that holds files corridor_geo did not write,
        replacing only the files listed in its previous manifest (others are kept); or
        replace the outputs of another scenario or of a comparison
        (:func:`check_same_scenario`).

    Returns
    -------
    RunResult
        Matrix, catchments and summary (``summary.json`` content).

    Raises
    ------
    ScenarioError
        Invalid scenario (file or semantic check); nothing is written.
    OutputDirError
        *out* cannot be written, or holds the outputs of another scenario and
        *overwrite* is false; nothing is written.

    Examples
    --------
    >>> r = run_scenario("scenarios/baseline_2025.yaml", out="out/base")  # doctest: +SKIP
    >>> sorted(p.name for p in r.out.iterdir())  # doctest: +SKIP
    ['catchments.gpkg', 'map.html', 'matrix.csv', 'matrix_heatmap.png', ...]
    """
    s = as_scenario(scenario)
    out_dir = check_out_dir(out, overwrite=overwrite) if out is not None else None
    if out_dir is not None:
        check_same_scenario(out_dir, s, overwrite=overwrite)
    res = s.resolve()
    steps = 2 + 2 * len(s.modes) + (1 if out_dir is not None else 0)
    with progress_bar(steps, s.name, progress) as bar:
        if out_dir is None:
            return analyse(res, bar=bar)
        with output_dir(out_dir, overwrite=overwrite) as tmp, log_to(tmp / "run.log"):
            umask_mode(tmp)
            logger.info("scenario %s (%s)", s.name, s._label())
            result = analyse(res, bar=bar)
            logger.info("inputs hash %s", result.summary["inputs_hash"])
            bar.set_postfix_str("writing")
            write_run(result, tmp)
            bar.update()
            logger.info("wrote %s", ", ".join(result.files))
        result.out = out_dir
    return result
