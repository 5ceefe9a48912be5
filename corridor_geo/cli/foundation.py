"""Foundation commands: ``demo``, ``extent``, ``distances``, ``nodes``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from corridor_geo._csvio import neutralise_frame
from corridor_geo.cli._options import YEAR, MultiValueOption

if TYPE_CHECKING:  # imported lazily at run time (the CLI starts fast)
    import geopandas as gpd
    import pandas as pd

__all__ = ["demo", "distances", "extent", "nodes"]

_FORMATS = click.Choice(["table", "csv", "json"])


def _echo_frame(df: pd.DataFrame, fmt: str) -> None:
    """Print a DataFrame as an aligned table, CSV or JSON records."""
    import pandas as pd

    df = pd.DataFrame(df.drop(columns="geometry", errors="ignore"))
    if fmt == "csv":
        click.echo(neutralise_frame(df).to_csv(index=False, lineterminator="\n"), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(json.loads(df.to_json(orient="records", force_ascii=False)),
                              ensure_ascii=False, indent=2))
    elif df.empty:  # the header alone, not pandas' "Empty DataFrame" dump
        click.echo("  ".join(map(str, df.columns)))
    else:
        with pd.option_context("display.max_rows", None, "display.width", 200,
                               "display.max_colwidth", 48):
            click.echo(df.to_string(index=False))


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("out/demo"), show_default=True,
              help="Output folder, written as a whole (nothing half-written on failure); "
                   "a non-empty folder corridor_geo did not write is refused.")
@click.option("--overwrite", is_flag=True,
              help="Write into a non-empty folder corridor_geo did not write: only files "
                   "listed in its manifest are replaced, others are kept.")
@click.option("--as-of", type=YEAR, default=None, help="Only links open in this year.")
def demo(out_dir: Path, overwrite: bool, as_of: int | None) -> None:
    """Run the main job on the bundled defaults: map, extent and distance tables.

    Writes map.html, extent.json, width_profile.csv, places.csv, links.csv and
    distances.csv (geodesic distances between the 10 core platforms, 90 ordered pairs)
    to OUT.
    Works offline.
    """
    from corridor_geo._io import (
        atomic_write_json,
        atomic_write_text,
        check_output_dir,
        output_dir,
    )
    from corridor_geo.corridor import load_corridor
    from corridor_geo.distance import distance_matrix, write_distance_csv
    from corridor_geo.extent import corridor_extent
    from corridor_geo.maps import corridor_map, save_map

    check_output_dir(out_dir, overwrite=overwrite)  # refuse before computing
    corridor = load_corridor(as_of=as_of)
    ext = corridor_extent(corridor)
    dist = distance_matrix(corridor, ids=list(corridor.platforms["id"]))
    places = corridor.places()
    with output_dir(out_dir, overwrite=overwrite) as tmp:
        atomic_write_json(tmp / "extent.json", ext.to_dict())
        atomic_write_text(tmp / "width_profile.csv",
                          neutralise_frame(ext.width_profile).to_csv(index=False,
                                                                     lineterminator="\n"))
        atomic_write_text(tmp / "places.csv", _csv_with_lonlat(places))
        atomic_write_text(tmp / "links.csv", neutralise_frame(corridor.links.drop(
            columns="geometry")).to_csv(index=False, lineterminator="\n"))
        write_distance_csv(dist, tmp / "distances.csv")
        save_map(corridor_map(corridor, axis=ext.axis, plan_axis=ext.plan_axis),
                 tmp / "map.html")
    click.echo(f"Wrote {out_dir}/: map.html, extent.json, width_profile.csv, places.csv, "
               "links.csv, distances.csv")
    click.echo(ext.to_text())


def _csv_with_lonlat(gdf: gpd.GeoDataFrame) -> str:
    df = gdf.drop(columns="geometry").copy()
    df["lon"] = gdf.geometry.x.round(6)
    df["lat"] = gdf.geometry.y.round(6)
    return str(neutralise_frame(df).to_csv(index=False, lineterminator="\n"))


@click.command()
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table",
              show_default=True)
def extent(fmt: str) -> None:
    """Print the corridor's area, axis length, width and bounding rectangle beside the plan's."""
    from corridor_geo._io import dumps_json
    from corridor_geo.extent import corridor_extent

    ext = corridor_extent()
    click.echo(dumps_json(ext.to_dict()) if fmt == "json" else ext.to_text(), nl=fmt != "json")


@click.command()
@click.option("--ids", cls=MultiValueOption, default=(),
              help="Platform, node or station ids or names (default: the 10 core platforms).")
@click.option("--format", "fmt", type=_FORMATS, default="csv", show_default=True)
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the table to this CSV file (an existing file needs --overwrite).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@click.option("--include-self", is_flag=True,
              help="Also list each place with itself (0 km, no bearing).")
def distances(ids: tuple[str, ...], fmt: str, out_file: Path | None, overwrite: bool,
              include_self: bool) -> None:
    """Geodesic distance (km) and bearing between platforms, nodes or stations.

    One row per ordered pair of different places; --include-self adds A to A.
    """
    from corridor_geo.corridor import load_corridor
    from corridor_geo.distance import distance_matrix, write_distance_csv
    from corridor_geo.errors import ArgumentError, OutputDirError

    if out_file is not None and out_file.name in ("", ".", ".."):  # click reads "" as "."
        raise OutputDirError("--out: the path is empty or names a folder; expected a CSV file "
                             "name")
    if out_file is not None and (out_file.exists() or out_file.is_symlink()) and not overwrite:
        raise OutputDirError(f"--out {out_file}: the file exists; nothing was written. Choose "
                             "another name, or add --overwrite to replace it")
    corridor = load_corridor()
    chosen = [corridor.resolve(q) for q in ids] if ids else list(corridor.platforms["id"])
    if len(set(chosen)) < 2 and not include_self:  # an empty table, exit 0, said nothing
        raise ArgumentError(f"--ids {' '.join(ids)}: one place gives no pair of different "
                            "places; give two or more, or add --include-self")
    df = distance_matrix(corridor, ids=chosen, include_self=include_self)
    if out_file is not None:
        write_distance_csv(df, out_file)
    _echo_frame(df.round({"distance_km": 3, "azimuth_deg": 2, "back_azimuth_deg": 2}), fmt)


@click.command()
@click.option("--kind", type=click.Choice(["all", "core_platform", "innovation_node", "station",
                                           "interchange", "district", "user_node"]),
              default="all", show_default=True)
@click.option("--format", "fmt", type=_FORMATS, default="table", show_default=True)
@click.option("--extra-nodes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              multiple=True, help="GeoJSON, GeoPackage or CSV (lon/lat) of your own nodes.")
def nodes(kind: str, fmt: str, extra_nodes: tuple[Path, ...]) -> None:
    """List platforms, innovation nodes, stations, interchanges and districts (WGS84).

    The plan's innovation nodes that have no known point are listed too, with empty
    lon/lat and confidence "unknown".
    """
    import pandas as pd

    from corridor_geo.corridor import load_corridor

    corridor = load_corridor(extra_nodes=list(extra_nodes) or None)
    places = corridor.places()
    if kind != "all":
        places = places[places["kind"] == kind]
    df = places.drop(columns="geometry").copy()
    df.insert(len(df.columns), "lon", places.geometry.x.round(6))
    df.insert(len(df.columns), "lat", places.geometry.y.round(6))
    if kind in ("all", "innovation_node") and len(corridor.unlocated_nodes):
        df = pd.concat([df, corridor.unlocated_nodes.reindex(columns=df.columns)],
                       ignore_index=True)
    cols = ["id", "name_en", "name_zh", "kind", "city", "confidence", "lon", "lat"]
    if fmt == "table":
        df = df[[c for c in cols if c in df.columns]]
    _echo_frame(df, fmt)
