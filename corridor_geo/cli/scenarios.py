r"""Scenario commands: ``run``, ``compare``, ``batch``.

Examples
--------
.. code-block:: bash

    corridor-geo run scenarios/baseline_2025.yaml --out out/baseline
    corridor-geo run scenarios/baseline_2025.yaml --check
    corridor-geo compare scenarios/baseline_2025.yaml \
        scenarios/second_gz_sz_hsr_2029.yaml --out out/hsr_vs_baseline
    corridor-geo batch scenarios/*.yaml --out out/batch
    corridor-geo batch scenarios/*.yaml --out out/batch --scheduler tcp://10.0.0.5:8786
"""

from __future__ import annotations

import sys
from typing import Any

import click

from corridor_geo import settings
from corridor_geo.errors import CorridorGeoError

__all__ = ["batch", "compare", "run"]


def _require_out(out_dir: str | None) -> str:
    if not out_dir:
        raise CorridorGeoError("--out DIR is required (the output folder)")
    return out_dir


def _quiet(ctx: click.Context) -> bool:
    return bool(ctx.find_root().obj and ctx.find_root().obj.get("quiet"))


@click.command(context_settings={"allow_extra_args": True})
@click.argument("scenario", metavar="SCENARIO.yaml")
@click.option("--out", "out_dir", metavar="DIR", default=None,
              help="Output folder, written as a whole (nothing half-written on failure); "
                   "a non-empty folder corridor_geo did not write is refused.")
@click.option("--overwrite", is_flag=True,
              help="Write into a non-empty folder corridor_geo did not write: only files "
                   "listed in its manifest are replaced, others are kept. Also needed to "
                   "replace the outputs of another scenario or of a comparison.")
@click.option("--check", is_flag=True,
              help="Only validate the scenario (file, ids against the corridor, the "
                   "timetable feed); write nothing.")
@click.pass_context
def run(ctx: click.Context, scenario: str, out_dir: str | None, overwrite: bool,
        check: bool) -> None:
    """Run a scenario file: map, catchments, matrix, summary and report.

    Writes map.html, catchments.gpkg, matrix.csv, summary.json, report.md (with PNG
    plots) and run.log to DIR. Bad input gives one line and exit code 2.
    """
    if ctx.args:  # extra arguments are let through to be refused here, in one line
        _several_scenarios(scenario, ctx.args, out_dir)
    from corridor_geo.scenario import Scenario, run_scenario
    from corridor_geo.scenario.run import scenario_timetable

    s = Scenario.from_yaml(scenario)
    if check:
        res = s.resolve()
        scenario_timetable(res)  # a bad feed is found before a run
        if not _quiet(ctx):
            click.echo(f"{scenario}: ok: {s.name!r}, {len(res.origins)} origin(s), "
                       f"{len(res.destinations)} destination(s), modes {', '.join(s.modes)}")
        return
    out = _require_out(out_dir)
    result = run_scenario(s, out=out, progress=settings.progress, overwrite=overwrite)
    if not _quiet(ctx):
        click.echo(f"{s.name}: wrote {result.out} ({', '.join(result.files)})")


def _several_scenarios(scenario: str, extra: list[str], out_dir: str | None) -> None:
    """Refuse ``run a.yaml b.yaml``: one line naming ``batch``, which runs several."""
    import shlex

    from corridor_geo.errors import ArgumentError

    files = [scenario, *extra]
    hint = shlex.join(["corridor-geo", "batch", *files, "--out", out_dir or "DIR"])
    raise ArgumentError(f"run takes one scenario file, got {len(files)} "
                        f"({' '.join(files)}); to run several: {hint}")


@click.command()
@click.argument("base", metavar="BASE.yaml")
@click.argument("scenario", metavar="SCENARIO.yaml")
@click.option("--out", "out_dir", metavar="DIR", default=None,
              help="Output folder, written as a whole (nothing half-written on failure); "
                   "a non-empty folder corridor_geo did not write is refused.")
@click.option("--overwrite", is_flag=True,
              help="Write into a non-empty folder corridor_geo did not write: only files "
                   "listed in its manifest are replaced, others are kept.")
@click.pass_context
def compare(ctx: click.Context, base: str, scenario: str, out_dir: str | None,
            overwrite: bool) -> None:
    """Compare SCENARIO with BASE: catchment areas, travel times, gained/lost areas.

    Writes catchment_changes.csv, matrix_changes.csv, difference.gpkg (areas gained and
    lost per origin and band), map.html, summary.json, report.md and run.log to DIR.
    """
    from corridor_geo.scenario import Scenario
    from corridor_geo.scenario import compare as _compare

    sb, ss = Scenario.from_yaml(base), Scenario.from_yaml(scenario)
    out = _require_out(out_dir)
    comp = _compare(sb, ss, out=out, progress=settings.progress, overwrite=overwrite)
    if not _quiet(ctx):
        click.echo(f"{ss.name} vs {sb.name}: wrote {comp.out}")
        for line in _band_lines(comp.summary["catchment_changes"]):
            click.echo(line)


def _band_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Return one summary line per mode and band (origins one by one when few).

    The bands are nested (the 60-min catchment contains the 30-min one), so adding them up
    would count the same km² twice; with more than 3 origins the origins of a band are
    added up, and the line says so.
    """
    by_band: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for r in rows:
        by_band.setdefault((str(r["mode"]), float(r["band_min"])), []).append(r)
    lines = []
    for (mode, band), grp in sorted(by_band.items()):
        head = f"  {mode} {band:g} min:"
        if len(grp) <= 3:
            for r in grp:
                lines.append(f"{head} {r['origin_id']}: {r['area_base_km2']:,.1f} -> "
                             f"{r['area_scenario_km2']:,.1f} km² (gained "
                             f"{r['gained_km2']:,.1f}, lost {r['lost_km2']:,.1f})")
        else:
            gained = sum(float(r["gained_km2"]) for r in grp)
            lost = sum(float(r["lost_km2"]) for r in grp)
            lines.append(f"{head} gained {gained:,.1f} km², lost {lost:,.1f} km² "
                         f"(added up over {len(grp)} origins; see catchment_changes.csv)")
    return lines


@click.command()
@click.argument("scenarios", nargs=-1, metavar="SCENARIO.yaml...")
@click.option("--out", "out_dir", metavar="DIR", default=None,
              help="Batch output folder: one folder per scenario (file stem) and batch.json.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Dask scheduler address (e.g. tcp://10.0.0.5:8786); default: a local "
                   "cluster of worker processes on 127.0.0.1.")
@click.option("--workers", "n_workers", type=click.IntRange(min=1), default=None,
              help="Worker processes of the local cluster (default: CPU count).")
@click.option("--force", is_flag=True, help="Re-run scenarios whose outputs are up to date.")
@click.option("--overwrite", is_flag=True,
              help="Write into a non-empty folder corridor_geo did not write: only files "
                   "listed in its manifest are replaced, others are kept.")
@click.pass_context
def batch(ctx: click.Context, scenarios: tuple[str, ...], out_dir: str | None,
          scheduler: str | None, n_workers: int | None, force: bool, overwrite: bool) -> None:
    """Run many scenario files on Dask distributed (resumable).

    Scenarios whose outputs are up to date (same inputs hash in their summary.json)
    are skipped. A failing scenario is reported and does not stop the others; the
    exit code is 2 when any scenario failed.
    """
    from corridor_geo.batch import run_batch

    if not scenarios:
        raise CorridorGeoError("batch: give at least one scenario file")
    out = _require_out(out_dir)
    report = run_batch(list(scenarios), out=out, scheduler=scheduler, n_workers=n_workers,
                       force=force, progress=settings.progress, overwrite=overwrite)
    for item in report.items:
        if item.status == "failed":
            click.echo(f"corridor-geo: error: {item.name}: {item.message}", err=True)
        elif not _quiet(ctx):
            click.echo(f"{item.name}: {item.status}")
    if not _quiet(ctx):
        click.echo(f"batch: {report.count('done')} done, {report.count('skipped')} skipped, "
                   f"{report.count('failed')} failed; wrote {report.out}")
    if not report.ok:
        sys.exit(2)
