"""The ``catchments`` command: travel-time catchments around platforms, nodes or stations."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import click

from corridor_geo.cli._options import POSITIVE, YEAR, FiniteFloat, MultiValueOption, split_values
from corridor_geo.errors import ArgumentError
from corridor_geo.settings import MAX_CELL_SIZE_M, SNAP_MAX_M

__all__ = ["catchments", "require_parquet", "write_catchments"]

from corridor_geo._io import GPKG_DATE  # noqa: F401 (kept importable from here)


def require_parquet() -> None:
    """Raise a clear error when GeoParquet cannot be written (``pyarrow`` is missing).

    ``pyarrow`` is an optional extra (~170 MB installed): ``pip install
    "corridor_geo[parquet]"``.

    Raises
    ------
    corridor_geo.errors.ArgumentError
        When ``pyarrow`` is not installed.

    Examples
    --------
    >>> require_parquet()  # doctest: +SKIP
    """
    if importlib.util.find_spec("pyarrow") is None:
        raise ArgumentError(
            "--format parquet needs the optional package pyarrow, which is not installed; "
            'install it with: pip install "corridor_geo[parquet]" (or use --format gpkg)')


def write_catchments(gdf: Any, path: str | Path, *, fmt: str = "gpkg") -> Path:
    """Write catchments to a GeoPackage (layer ``catchments``) or GeoParquet, atomically.

    GeoPackages normally embed the time of writing (``gpkg_contents.last_change``);
    GDAL's ``OGR_CURRENT_DATE`` is pinned for the write so the same catchments give the
    same bytes. GeoParquet needs the optional ``pyarrow`` (:func:`require_parquet`).

    Examples
    --------
    >>> write_catchments(gdf, "out/catchments.gpkg")  # doctest: +SKIP
    """
    from corridor_geo._io import atomic_path, write_gpkg

    path = Path(path)
    if fmt != "parquet":
        return write_gpkg(gdf, path, layer="catchments")
    require_parquet()
    with atomic_path(path) as tmp:
        gdf.to_parquet(tmp, index=False)
    return path


@click.command()
@click.option("--origins", cls=MultiValueOption, required=True,
              help="Platform, node or station ids or names (space- or comma-separated).")
@click.option("--mode", type=click.Choice(["drive", "walk", "transit", "park_and_ride"]),
              default="drive", show_default=True,
              help="Travel mode: transit = walk + rail + walk, park_and_ride = drive and "
                   "park + rail + walk.")
@click.option("--bands", cls=MultiValueOption, default=("15,30,45,60",), show_default=True,
              help="Band limits in minutes, strictly increasing, comma- or "
                   "space-separated (30,60 or 30 60).")
@click.option("--method", type=click.Choice(["grid", "concave_hull", "buffer"]), default="grid",
              show_default=True, help="How catchment polygons are built (see docs/catchments.md).")
@click.option("--cell-size", "cell_size_m",
              type=FiniteFloat(min=0, min_open=True, max=MAX_CELL_SIZE_M), default=None,
              help="Grid cell size in metres [default: 250 drive, 100 walk/transit/"
                   "park_and_ride; 250 on the bundled network].")
@click.option("--network", "network_src", default="default", show_default=True,
              help="Street network: 'default' (bundled major roads) or an .osm/.osm.pbf file.")
@click.option("--population", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None,
              help="Population polygons (GeoPackage etc.) with a 'population' column.")
@click.option("--snap-max", "snap_max_m", type=POSITIVE,
              default=SNAP_MAX_M, show_default=True,
              help="Largest distance (m) from an origin to the network node it starts from.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Output folder, written as a whole (nothing half-written "
                                  "on failure); a non-empty folder corridor_geo did not write "
                                  "is refused.")
@click.option("--overwrite", is_flag=True,
              help="Write into a non-empty folder corridor_geo did not write: only files "
                   "listed in its manifest are replaced, others are kept.")
@click.option("--format", "fmt", type=click.Choice(["gpkg", "parquet"]), default="gpkg",
              show_default=True, help="catchments.gpkg or catchments.parquet (GeoParquet; "
                                          "needs the optional pyarrow: corridor_geo[parquet]).")
@click.option("--as-of", type=YEAR, default=None,
              help="Only links open in this year: rail lines and, on the default network, "
                   "expressway sections.")
def catchments(origins: tuple[str, ...], mode: str, bands: tuple[str, ...], method: str,
               cell_size_m: float | None, network_src: str, population: Path | None,
               snap_max_m: float, out_dir: Path, overwrite: bool, fmt: str,
               as_of: int | None) -> None:
    """Travel-time catchments around ORIGINS, written to OUT with a map.

    Writes catchments.gpkg (or catchments.parquet) with one row per origin and band,
    and map.html. Re-running with the same inputs gives byte-identical files. Works
    offline on the bundled defaults.

    Example: corridor-geo catchments --origins core_dg_songshan_lake --bands 30,60 --out out/
    """
    from corridor_geo._bands import check_bands
    from corridor_geo._io import atomic_write_text, check_output_dir, output_dir
    from corridor_geo.catchments import catchment_limits
    from corridor_geo.catchments import catchments as build
    from corridor_geo.corridor import load_corridor
    from corridor_geo.errors import CorridorGeoError, SnapError
    from corridor_geo.maps import corridor_map, map_html

    try:
        # the API's and scenario files' rule; "30,60", "30 60", "30, 60" all give 30, 60
        limits = check_bands(split_values(bands, spaces=True))
    except ValueError as exc:
        raise CorridorGeoError(f"--bands: {exc}; expected minutes like 15,30,60 or "
                               "15 30 60") from None
    if fmt == "parquet":
        require_parquet()  # before computing
    check_output_dir(out_dir, overwrite=overwrite)  # refuse before computing
    corridor = load_corridor(as_of=as_of)
    network = None  # default: the bundled network of the corridor's year
    if network_src != "default":
        from corridor_geo.graph import load_network

        # transit catchments end with a walk from the station: they need a walk network
        network = load_network(network_src,
                               network_type="walk" if mode in ("transit", "park_and_ride")
                               else mode)
    try:
        gdf = build(list(origins), mode=mode, bands=limits, corridor=corridor, network=network,
                    method=method, cell_size_m=cell_size_m, population=population,
                    snap_max_m=snap_max_m)
    except SnapError as exc:
        raise SnapError(f"{exc}; use --snap-max to allow a longer start") from None
    except ArgumentError as exc:
        # the grid-memory limit ("cell_size_m=1 would need about ... GiB") names the API
        # parameter; the user typed (or can type) --cell-size
        raise ArgumentError(str(exc).replace("cell_size_m=", "--cell-size ")) from None
    drawn = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if drawn.empty:
        raise CorridorGeoError(
            f"--bands {','.join(f'{b:g}' for b in limits)}: no band reaches any area "
            f"around {', '.join(origins)} "
            f"(a band shorter than the time to cross one {method} cell reaches none); "
            "use longer bands" + (" or a smaller --cell-size" if method == "grid" else ""))
    # empty bands are not drawn; the key says what the catchments leave out
    html = map_html(corridor_map(corridor, catchments=drawn, catchment_limits={
        mode: catchment_limits(mode, network=network)}))
    name = "catchments.parquet" if fmt == "parquet" else "catchments.gpkg"
    # everything is computed before anything is written; the folder is committed as a whole
    with output_dir(out_dir, overwrite=overwrite) as tmp:
        write_catchments(gdf, tmp / name, fmt=fmt)
        atomic_write_text(tmp / "map.html", html)
    click.echo(f"Wrote {out_dir}/: {name}, map.html")
    table = gdf.drop(columns="geometry")[["origin_id", "mode", "band_min", "area_km2",
                                          "n_platforms_reached", "n_nodes_reached"]]
    click.echo(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
