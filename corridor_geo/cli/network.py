"""``corridor-geo network build|info``: build, cache and describe street networks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from corridor_geo.cli._options import YEAR, check_bbox

if TYPE_CHECKING:  # imported lazily at run time (the CLI starts fast)
    from corridor_geo.network import Network

__all__ = ["network"]

_TYPES = click.Choice(["drive", "walk", "bike"])


def _summary(net: Network) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    # count the categorical's codes: np.unique on its object array sorts a million
    # Python strings (half of a cached reload's CPU time on the province graph)
    cat = pd.Categorical(net.highway)
    n = np.bincount(cat.codes[cat.codes >= 0], minlength=len(cat.categories))
    hw = np.asarray(cat.categories, dtype=object)
    order = np.argsort(hw.astype(str), kind="stable")
    hw, counts = hw[order][n[order] > 0], n[order][n[order] > 0]
    return {
        "mode": net.mode,
        "n_nodes": net.n_nodes,
        "n_edges": net.n_edges,
        "length_km": round(float(net.length_m.sum()) / 1000, 3),
        "bounds": [round(float(v), 6) for v in (net.lon.min(), net.lat.min(),
                                                  net.lon.max(), net.lat.max())]
        if net.n_nodes else None,
        "highway": {str(h): int(c) for h, c in zip(hw, counts, strict=True)},
        "meta": net.meta,
    }


@click.group()
def network() -> None:
    """Street networks: build into the cache, or describe one (© OpenStreetMap contributors)."""


@network.command()
@click.argument("source", default="default")
@click.option("--type", "network_type", type=_TYPES, default="drive", show_default=True)
@click.option("--bbox", nargs=4, type=float, default=None, callback=check_bbox,
              metavar="WEST SOUTH EAST NORTH", help="Clip box in WGS84 degrees.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write the network (npz + meta.json) to this folder.")
@click.option("--overwrite", is_flag=True,
              help="Write into a non-empty folder corridor_geo did not write: only files "
                   "listed in its manifest are replaced, others are kept.")
@click.option("--as-of", type=YEAR, default=None,
              help="'default' source only: the expressway sections open in this year.")
def build(source: str, network_type: str, bbox: tuple[float, ...] | None,
          out_dir: Path | None, overwrite: bool, as_of: int | None) -> None:
    """Build the network from SOURCE ('default', 'overpass', .osm, .osm.pbf, .graphml)."""
    from corridor_geo._io import check_output_dir
    from corridor_geo.graph import load_network

    if out_dir is not None:
        check_output_dir(out_dir, overwrite=overwrite)  # refuse before building
    net = load_network(source, network_type=network_type, bbox=bbox or None, as_of=as_of)
    if out_dir is not None:
        net.save(out_dir, overwrite=overwrite)
    click.echo(json.dumps(_summary(net), ensure_ascii=False, indent=2, sort_keys=True))


def _folder(ctx: click.Context, param: click.Parameter, value: str) -> str | Path:
    """``network info FOLDER``: ``"default"`` (the bundled network) or an existing folder."""
    if value == "default":  # the keyword of `network build default`; ./default is a folder
        return value
    try:
        path: Path = click.Path(exists=True, file_okay=False, path_type=Path).convert(
            value, param, ctx)
    except click.BadParameter as exc:
        raise click.BadParameter(
            f"{exc.message} Expected a folder written by 'corridor-geo network build SOURCE "
            "--out FOLDER', or 'default' for the bundled network.", ctx, param) from None
    return path


@network.command()
@click.argument("folder", callback=_folder)
def info(folder: str | Path) -> None:
    """Describe a network written with ``network build --out FOLDER``.

    FOLDER 'default' describes the bundled default network (drive, current
    expressways), as ``network build default`` prints it; a folder named
    default is ./default.
    """
    from corridor_geo.cache import read_network
    from corridor_geo.graph import load_network

    net = load_network("default") if folder == "default" else read_network(folder)
    click.echo(json.dumps(_summary(net), ensure_ascii=False, indent=2, sort_keys=True))
