"""Corridor extent: area, main axis, width profile and minimum rotated rectangle.

Every figure is reported beside the 2017 plan's (about 180 km long, 11,836 km²) with
the difference; ``docs/extent.md`` defines each figure and explains the differences.

Definitions (all lengths geodesic on WGS84 unless stated):

* **area** — geodesic area of the corridor polygon (union of Guangzhou, Dongguan and
  Shenzhen), :meth:`pyproj.Geod.geometry_area_perimeter`, cross-checked in the
  equal-area EPSG:6933.
* **axis start** — the point of Guangzhou's boundary shared with Foshan (Guangzhou's
  boundary within ``border_tolerance_m`` of Foshan's polygon) nearest to the first core
  platform in ``axis_order``.
* **axis end (Dapeng)** — the easternmost vertex of Shenzhen's polygon, the tip of the
  Dapeng peninsula.
* **main axis** — polyline start → the 10 core platforms in ``axis_order`` → end.
* **plan axis** — the plan's own description of the corridor: from the Foshan border
  through central Guangzhou, Songshan Lake and central Shenzhen to Dapeng, i.e. the
  polyline start → the ``plan_waypoints`` platforms → end. It is the figure to compare
  with the plan's ~180 km; the main axis zig-zags between the cores and is much longer.
* **chord** — the straight geodesic from start to end.
* **width profile** — every ``width_step_km`` along the plan axis (in EPSG:4547), the
  length of the intersection of the perpendicular with the corridor polygon.
* **minimum rotated rectangle** — :attr:`shapely.Geometry.minimum_rotated_rectangle`
  of the polygon in EPSG:4547; its long and short sides.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import nearest_points

from corridor_geo import settings
from corridor_geo._args import as_list, check_has, check_number, is_wgs84_crs
from corridor_geo._repr import summary_html, summary_text
from corridor_geo.errors import DataValidationError, UnknownIdError

if TYPE_CHECKING:
    from corridor_geo.corridor import Corridor

__all__ = [
    "EQUAL_AREA_CRS",
    "CorridorExtent",
    "Rectangle",
    "axis_end_point",
    "axis_start_point",
    "corridor_extent",
    "equal_area_km2",
    "extent_from_inputs",
    "geodesic_area_km2",
    "geodesic_length_km",
    "minimum_rectangle",
    "polyline_through",
    "width_profile",
]

#: Equal-area CRS for the cross-check (WGS 84 / NSIDC EASE-Grid 2.0 Global).
EQUAL_AREA_CRS = "EPSG:6933"


def _bundled_facts() -> Any:
    from corridor_geo.data import read_geodata

    return read_geodata().facts


def __getattr__(name: str) -> Any:
    """Return the bundled corridor's plan figures, read from ``geodata/corridor.yaml``.

    ``PLAN_AREA_KM2``, ``PLAN_LENGTH_KM``, ``PLAN_AXIS_WAYPOINTS`` and ``FOSHAN_ADCODE``
    are kept importable for compatibility; the facts live in the data folder.
    """
    facts: dict[str, Callable[[Any], Any]] = {
        "PLAN_AREA_KM2": lambda f: float(f.plan.area_km2),
        "PLAN_LENGTH_KM": lambda f: float(f.plan.length_km),
        "PLAN_AXIS_WAYPOINTS": lambda f: tuple(f.plan.axis_waypoints),
        "FOSHAN_ADCODE": lambda f: f.axis.start_neighbour,
    }
    if name in facts:
        return facts[name](_bundled_facts())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_GEOD = Geod(ellps="WGS84")


# --------------------------------------------------------------------------- measures
def geodesic_area_km2(geom: shapely.Geometry) -> float:
    """Return the geodesic area of a WGS84 (Multi)Polygon in km² (ring orientation ignored).

    Examples
    --------
    >>> from shapely import box
    >>> round(geodesic_area_km2(box(113.0, 23.0, 113.1, 23.1)), 1)
    113.5
    """
    if isinstance(geom, shapely.MultiPolygon):
        return float(sum(geodesic_area_km2(g) for g in geom.geoms))
    if not isinstance(geom, Polygon):
        raise DataValidationError(f"expected a (Multi)Polygon, got {geom.geom_type}",
                                  field="geometry")
    # orient rings so the area is positive whatever the input orientation
    return abs(_GEOD.geometry_area_perimeter(shapely.geometry.polygon.orient(geom))[0]) / 1e6


def equal_area_km2(geom: shapely.Geometry, *, crs: str = EQUAL_AREA_CRS) -> float:
    """Return the area of a WGS84 geometry in an equal-area CRS, in km².

    Examples
    --------
    >>> from shapely import box
    >>> round(equal_area_km2(box(113.0, 23.0, 113.1, 23.1)), 1)
    113.5
    """
    return float(gpd.GeoSeries([geom], crs=settings.WGS84).to_crs(crs).area.iloc[0]) / 1e6


def geodesic_length_km(line: shapely.Geometry) -> float:
    """Return the geodesic length of a WGS84 (Multi)LineString in km.

    Examples
    --------
    >>> from shapely import LineString
    >>> round(geodesic_length_km(LineString([(113.0, 23.0), (113.0, 24.0)])), 2)
    110.75
    """
    return float(_GEOD.geometry_length(line)) / 1e3


def _to_metric(geom: shapely.Geometry, crs: str) -> shapely.Geometry:
    return gpd.GeoSeries([geom], crs=settings.WGS84).to_crs(crs).iloc[0]


def _to_wgs84(geom: shapely.Geometry, crs: str) -> shapely.Geometry:
    return gpd.GeoSeries([geom], crs=crs).to_crs(settings.WGS84).iloc[0]


# --------------------------------------------------------------------------- axis
def axis_start_point(
    guangzhou: shapely.Geometry,
    foshan: shapely.Geometry,
    *,
    near: Point,
    border_tolerance_m: float = 500.0,
    metric_crs: str = settings.METRIC_CRS,
) -> Point:
    """Return the point of the Guangzhou–Foshan border nearest to *near* (WGS84).

    The shared border is the part of Guangzhou's boundary lying within
    ``border_tolerance_m`` of Foshan's polygon (the two polygons are surveyed
    independently and do not share vertices exactly).

    Examples
    --------
    >>> from shapely import Point, box
    >>> p = axis_start_point(box(113.2, 23.0, 113.6, 23.3), box(112.8, 22.9, 113.2, 23.4),
    ...                      near=Point(113.35, 23.1))
    >>> round(p.x, 3), round(p.y, 3)
    (113.2, 23.1)
    """
    gz = _to_metric(guangzhou, metric_crs)
    fs = _to_metric(foshan, metric_crs)
    shared = gz.boundary.intersection(fs.buffer(border_tolerance_m))
    if shared.is_empty:
        raise DataValidationError(
            f"the two polygons share no border within {border_tolerance_m} m", field="foshan")
    target = _to_metric(near, metric_crs)
    return _to_wgs84(nearest_points(shared, target)[0], metric_crs)


def axis_end_point(shenzhen: shapely.Geometry) -> Point:
    """Return the easternmost vertex of Shenzhen's polygon (the tip of Dapeng peninsula).

    Ties are broken by the lowest latitude, so the result is deterministic.

    Examples
    --------
    >>> from shapely import Polygon
    >>> axis_end_point(Polygon([(114.0, 22.5), (114.6, 22.5), (114.6, 22.6), (114.0, 22.6)]))
    <POINT (114.6 22.5)>
    """
    xy = shapely.get_coordinates(shenzhen)
    i = np.lexsort((xy[:, 1], -xy[:, 0]))[0]
    return Point(xy[i])


def polyline_through(points: Sequence[Point]) -> LineString:
    """Return the polyline through *points* in order (repeated consecutive points dropped).

    Examples
    --------
    >>> from shapely import Point
    >>> polyline_through([Point(0, 0), Point(1, 0), Point(1, 0), Point(1, 1)]).wkt
    'LINESTRING (0 0, 1 0, 1 1)'
    """
    xy = np.array([[p.x, p.y] for p in points], dtype=float)
    if len(xy) < 2:
        raise DataValidationError("an axis needs at least two points", field="points")
    keep = np.ones(len(xy), bool)
    keep[1:] = np.any(np.diff(xy, axis=0) != 0, axis=1)
    return LineString(xy[keep])


# --------------------------------------------------------------------------- width
def width_profile(
    polygon: shapely.Geometry,
    axis: LineString,
    *,
    step_km: float = 5.0,
    half_length_km: float | None = None,
    metric_crs: str = settings.METRIC_CRS,
) -> pd.DataFrame:
    """Return the corridor width perpendicular to *axis* every *step_km* along it.

    Both inputs are WGS84; the work is done in *metric_crs* (EPSG:4547). At each station
    the axis direction is taken between the points ``step_km / 2`` before and after it,
    and a perpendicular line of ``2 * half_length_km`` is intersected with the polygon.
    By default (``None``) each half is long enough to leave the polygon's bounding box
    from every station, so no width is cut short; a number cuts the perpendicular there.

    Returns
    -------
    pandas.DataFrame
        ``station`` (0, 1, ...), ``distance_km`` (along the axis in EPSG:4547, the last
        station is the axis end), ``lon``, ``lat`` (station), ``azimuth_deg`` (grid
        bearing of the axis), ``width_km`` (total length of the perpendicular inside
        the polygon), ``width_connected_km`` (length of the piece through the station;
        0 if the station lies outside), ``n_pieces``.

    Examples
    --------
    >>> from shapely import LineString, box
    >>> df = width_profile(box(113.0, 22.9, 113.5, 23.1), LineString([(113.0, 23.0),
    ...                    (113.5, 23.0)]), step_km=10)
    >>> round(float(df.width_km.iloc[2]), 1)
    22.2
    """
    if step_km <= 0:
        raise DataValidationError(f"step_km must be positive, got {step_km}", field="step_km")
    poly = _to_metric(polygon, metric_crs)
    line = _to_metric(axis, metric_crs)
    total = line.length
    step = step_km * 1e3
    dists = np.arange(0.0, total, step)
    if total - dists[-1] > 1e-6:
        dists = np.append(dists, total)
    half = step / 2
    a = shapely.line_interpolate_point(line, np.clip(dists - half, 0, total))
    b = shapely.line_interpolate_point(line, np.clip(dists + half, 0, total))
    at = shapely.line_interpolate_point(line, dists)
    ax, ay = shapely.get_coordinates(a).T
    bx, by = shapely.get_coordinates(b).T
    px, py = shapely.get_coordinates(at).T
    dx, dy = bx - ax, by - ay
    norm = np.hypot(dx, dy)
    ux, uy = dx / norm, dy / norm
    if half_length_km is None:
        # farther than any corner of the polygon's bounding box from any station
        bx0, by0, bx1, by1 = poly.bounds
        hl = float(max(np.hypot(np.maximum(np.abs(px - bx0), np.abs(px - bx1)),
                                np.maximum(np.abs(py - by0), np.abs(py - by1))).max(), 0.0)) + 1e3
    else:
        hl = half_length_km * 1e3
    perps = shapely.linestrings(
        np.stack([
            np.column_stack([px + uy * hl, py - ux * hl]),
            np.column_stack([px - uy * hl, py + ux * hl]),
        ], axis=1)
    )
    shapely.prepare(poly)
    pieces = shapely.intersection(perps, poly)
    width = shapely.length(pieces) / 1e3
    connected = np.zeros(len(dists))
    n_pieces = np.zeros(len(dists), dtype=int)
    for i, piece in enumerate(pieces):
        parts = list(getattr(piece, "geoms", [piece])) if not piece.is_empty else []
        parts = [p for p in parts if p.length > 0]
        n_pieces[i] = len(parts)
        hit = [p.length for p in parts if p.distance(at[i]) < 1.0]
        connected[i] = max(hit, default=0.0) / 1e3
    lonlat = gpd.GeoSeries(at, crs=metric_crs).to_crs(settings.WGS84)
    return pd.DataFrame({
        "station": np.arange(len(dists)),
        "distance_km": dists / 1e3,
        "lon": lonlat.x.to_numpy(),
        "lat": lonlat.y.to_numpy(),
        "azimuth_deg": np.degrees(np.arctan2(ux, uy)) % 360.0,
        "width_km": width,
        "width_connected_km": connected,
        "n_pieces": n_pieces,
    })


# --------------------------------------------------------------------------- rectangle
@dataclass(frozen=True)
class Rectangle:
    """Minimum rotated rectangle: polygon (WGS84), sides in km, long-side grid bearing."""

    polygon: Polygon
    length_km: float
    width_km: float
    azimuth_deg: float

    def _summary(self) -> list[tuple[str, object]]:
        return [("length (km)", self.length_km), ("width (km)", self.width_km),
                ("long-side bearing (deg)", self.azimuth_deg)]

    def __repr__(self) -> str:
        return summary_text("Rectangle", self._summary())

    def _repr_html_(self) -> str:
        return summary_html("Minimum rotated rectangle", self._summary())


def minimum_rectangle(
    polygon: shapely.Geometry, *, metric_crs: str = settings.METRIC_CRS
) -> Rectangle:
    """Return the minimum rotated rectangle of a WGS84 geometry, computed in *metric_crs*.

    ``azimuth_deg`` is the grid bearing of the long side in [0, 180).

    Examples
    --------
    >>> from shapely import box
    >>> r = minimum_rectangle(box(113.0, 23.0, 113.2, 23.05))
    >>> round(r.length_km, 1), round(r.width_km, 1), round(r.azimuth_deg)
    (20.5, 5.5, 90)
    """
    rect = _to_metric(polygon, metric_crs).minimum_rotated_rectangle
    xy = np.asarray(rect.exterior.coords)[:3]
    d = np.diff(xy, axis=0)
    sides = np.hypot(d[:, 0], d[:, 1])
    k = int(np.argmax(sides))
    azimuth = math.degrees(math.atan2(d[k, 0], d[k, 1])) % 180.0
    return Rectangle(
        polygon=_to_wgs84(rect, metric_crs),
        length_km=float(sides.max()) / 1e3,
        width_km=float(sides.min()) / 1e3,
        azimuth_deg=float(azimuth),
    )


# --------------------------------------------------------------------------- result
def _diff(value: float, plan: float) -> tuple[float, float]:
    return value - plan, 100.0 * (value - plan) / plan


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


@dataclass(frozen=True)
class CorridorExtent:
    """Extent figures of the corridor beside the plan's (see module docstring)."""

    area_km2: float
    area_equal_area_km2: float
    axis: LineString
    axis_ids: tuple[str, ...]
    axis_length_km: float
    plan_axis: LineString
    plan_axis_ids: tuple[str, ...]
    plan_axis_length_km: float
    chord_length_km: float
    axis_start: Point
    axis_end: Point
    rectangle: Rectangle
    width_profile: pd.DataFrame = field(repr=False)
    width_step_km: float = 5.0
    plan_area_km2: float = math.nan
    plan_length_km: float = math.nan

    def _summary(self) -> list[tuple[str, object]]:
        def vs(value: float, plan: float, unit: str) -> str:
            diff, pct = _diff(value, plan)
            return f"{value:,.1f} {unit} (plan {plan:,.0f}; {diff:+,.1f}, {pct:+.1f} %)"

        w = self._widths()
        return [
            ("area", vs(self.area_km2, self.plan_area_km2, "km²")),
            ("plan axis length", vs(self.plan_axis_length_km, self.plan_length_km, "km")),
            ("main axis (10 cores)", f"{self.axis_length_km:,.1f} km"),
            ("chord", f"{self.chord_length_km:,.1f} km"),
            ("rectangle", f"{self.rectangle.length_km:,.1f} × {self.rectangle.width_km:,.1f} km"),
            ("width min / median / max",
             f"{w.min():,.1f} / {w.median():,.1f} / {w.max():,.1f} km"),
        ]

    def __repr__(self) -> str:
        return (f"<CorridorExtent: area={self.area_km2:,.1f} km², "
                f"plan_axis_length={self.plan_axis_length_km:,.1f} km, "
                f"axis_length={self.axis_length_km:,.1f} km, "
                f"width_median={self._widths().median():,.1f} km>")

    def _repr_html_(self) -> str:
        return summary_html("CorridorExtent", self._summary(),
                            note="to_frame(): every figure with its definition; "
                                 "width_profile: the widths along the plan axis")

    def _widths(self) -> pd.Series:
        """Widths for the summary: every station except the axis end (a tip, width ~0)."""
        return self.width_profile["width_km"].iloc[:-1]

    def to_frame(self) -> pd.DataFrame:
        """Return one row per figure: value, plan, difference (km/km² and %), definition.

        Examples
        --------
        >>> corridor_extent().to_frame()[["figure", "value", "plan"]]  # doctest: +SKIP
        """
        w = self._widths()
        rows: list[tuple[str, float, float | None, str, str]] = [
            # one area figure: the EPSG:6933 cross-check agrees to < 0.1 km² and is only
            # named in the definition (and kept in to_dict as area_equal_area_km2)
            ("area", self.area_km2, self.plan_area_km2, "km2",
             "geodesic area of the union of Guangzhou, Dongguan and Shenzhen "
             f"(cross-check in equal-area EPSG:6933: {self.area_equal_area_km2:,.1f} km2)"),
            ("plan axis length", self.plan_axis_length_km, self.plan_length_km, "km",
             "Foshan border -> " + " -> ".join(self.plan_axis_ids) + " -> Dapeng tip"
             " (compare this with the plan's ~180 km)"),
            ("main axis length", self.axis_length_km, self.plan_length_km, "km",
             "Foshan border -> the 10 core platforms in axis_order -> Dapeng tip"),
            ("chord length", self.chord_length_km, self.plan_length_km, "km",
             "straight line Foshan border point -> Dapeng tip"),
            ("rectangle length", self.rectangle.length_km, self.plan_length_km, "km",
             f"long side of the minimum rotated rectangle (bearing "
             f"{self.rectangle.azimuth_deg:.0f} deg)"),
            ("rectangle width", self.rectangle.width_km, None, "km",
             "short side of the minimum rotated rectangle"),
            ("width min", float(w.min()), None, "km",
             f"narrowest perpendicular to the plan axis (every {self.width_step_km:g} km)"),
            ("width median", float(w.median()), None, "km",
             "median perpendicular width along the plan axis"),
            ("width max", float(w.max()), None, "km",
             "widest perpendicular to the plan axis"),
        ]
        records = []
        for name, value, plan, unit, definition in rows:
            diff, pct = _diff(value, plan) if plan is not None else (np.nan, np.nan)
            records.append({
                "figure": name, "value": value, "unit": unit,
                "plan": np.nan if plan is None else plan,
                "diff": diff, "diff_pct": pct, "definition": definition,
            })
        return pd.DataFrame.from_records(records)

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as a JSON-ready dict (floats rounded to 3 decimals).

        Keys include ``area_km2``, ``axis_length_km``, ``plan_area_km2``,
        ``plan_length_km``, ``plan_axis_length_km`` (the figure to compare with the
        plan's length), their differences (``*_diff_km``, ``*_diff_pct``), the
        rectangle, the width summary and the width profile as a list of records.

        Examples
        --------
        >>> d = corridor_extent().to_dict()  # doctest: +SKIP
        >>> d["area_km2"], d["plan_area_km2"]  # doctest: +SKIP
        """
        d: dict[str, Any] = {
            "area_km2": _r(self.area_km2),
            "area_equal_area_km2": _r(self.area_equal_area_km2),
            "plan_area_km2": _r(self.plan_area_km2),
            "plan_length_km": _r(self.plan_length_km),
            "axis_length_km": _r(self.axis_length_km),
            "plan_axis_length_km": _r(self.plan_axis_length_km),
            "chord_length_km": _r(self.chord_length_km),
            "rectangle_length_km": _r(self.rectangle.length_km),
            "rectangle_width_km": _r(self.rectangle.width_km),
            "rectangle_azimuth_deg": _r(self.rectangle.azimuth_deg, 1),
            "length_compared_with_plan": "plan_axis_length_km",
            "axis_ids": list(self.axis_ids),
            "plan_axis_ids": list(self.plan_axis_ids),
            "axis_start_lonlat": [_r(self.axis_start.x, 6), _r(self.axis_start.y, 6)],
            "axis_end_lonlat": [_r(self.axis_end.x, 6), _r(self.axis_end.y, 6)],
            "width_step_km": _r(self.width_step_km),
            "width_min_km": _r(self._widths().min()),
            "width_median_km": _r(self._widths().median()),
            "width_max_km": _r(self._widths().max()),
        }
        diff, pct = _diff(self.area_km2, self.plan_area_km2)
        d["area_diff_km2"], d["area_diff_pct"] = _r(diff), _r(pct, 2)
        for key, value in (("axis_length", self.axis_length_km),
                           ("plan_axis_length", self.plan_axis_length_km),
                           ("chord_length", self.chord_length_km),
                           ("rectangle_length", self.rectangle.length_km)):
            diff, pct = _diff(value, self.plan_length_km)
            d[f"{key}_diff_km"], d[f"{key}_diff_pct"] = _r(diff), _r(pct, 2)
        prof = self.width_profile.copy()
        for col in ("distance_km", "width_km", "width_connected_km"):
            prof[col] = prof[col].round(3)
        prof["lon"] = prof["lon"].round(6)
        prof["lat"] = prof["lat"].round(6)
        prof["azimuth_deg"] = prof["azimuth_deg"].round(1)
        d["width_profile"] = [
            {k: (int(v) if k in ("station", "n_pieces") else float(v)) for k, v in row.items()}
            for row in prof.to_dict(orient="records")
        ]
        return d

    def to_text(self) -> str:
        """Return a plain-text table of :meth:`to_frame` (value, plan, difference).

        Examples
        --------
        >>> print(corridor_extent().to_text())  # doctest: +SKIP
        """
        lines = [f"{'figure':<18} {'value':>10} {'plan':>10} {'diff':>10} {'diff %':>8}  unit"]
        for row in self.to_frame().itertuples():
            plan = "" if np.isnan(row.plan) else f"{row.plan:10.1f}"
            diff = "" if np.isnan(row.diff) else f"{row.diff:+10.1f}"
            pct = "" if np.isnan(row.diff_pct) else f"{row.diff_pct:+7.1f}%"
            lines.append(f"{row.figure:<18} {row.value:10.1f} {plan:>10} {diff:>10} {pct:>8}  "
                         f"{row.unit}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- assembly
def extent_from_inputs(
    polygon: shapely.Geometry,
    cores: gpd.GeoDataFrame,
    *,
    guangzhou: shapely.Geometry,
    shenzhen: shapely.Geometry,
    foshan: shapely.Geometry,
    plan_waypoints: Sequence[str] | None = None,
    width_step_km: float = 5.0,
    metric_crs: str = settings.METRIC_CRS,
    plan_area_km2: float | None = None,
    plan_length_km: float | None = None,
) -> CorridorExtent:
    """Compute the extent from explicit WGS84 inputs (no Corridor needed).

    Parameters
    ----------
    polygon
        The corridor polygon.
    cores
        Core platforms with ``id`` and Point ``geometry``, in axis order.
    guangzhou, shenzhen, foshan
        City polygons for the axis end points.
    plan_waypoints
        Ids in *cores* for the plan axis (default: the bundled corridor's,
        ``plan.axis_waypoints`` in ``geodata/corridor.yaml``).
    width_step_km
        Spacing of the width profile along the plan axis.
    metric_crs
        Metric CRS of the width profile and rectangle.
    plan_area_km2, plan_length_km
        The plan's figures to compare with (default: the bundled corridor's).

    Examples
    --------
    >>> ext = extent_from_inputs(poly, cores, guangzhou=gz, shenzhen=sz,
    ...                          foshan=fs)  # doctest: +SKIP
    """
    if cores.crs is not None and not is_wgs84_crs(cores.crs):
        raise DataValidationError(f"expected EPSG:4326 core platforms, got {cores.crs}",
                                  field="crs")
    if plan_waypoints is None or plan_area_km2 is None or plan_length_km is None:
        plan = _bundled_facts().plan
        plan_waypoints = plan.axis_waypoints if plan_waypoints is None else plan_waypoints
        plan_area_km2 = plan.area_km2 if plan_area_km2 is None else plan_area_km2
        plan_length_km = plan.length_km if plan_length_km is None else plan_length_km
    ids = [str(i) for i in cores["id"]]
    points = list(cores.geometry)
    if not plan_waypoints:
        raise DataValidationError("no plan axis: expected plan.axis_waypoints (corridor.yaml) "
                                  "or plan_waypoints=", field="plan_waypoints")
    for wp in plan_waypoints:
        if wp not in ids:
            raise UnknownIdError(wp, ids, what="core platform")
    start = axis_start_point(guangzhou, foshan, near=points[0], metric_crs=metric_crs)
    end = axis_end_point(shenzhen)
    axis = polyline_through([start, *points, end])
    by_id = dict(zip(ids, points, strict=True))
    plan_axis = polyline_through([start, *(by_id[w] for w in plan_waypoints), end])
    return CorridorExtent(
        area_km2=geodesic_area_km2(polygon),
        area_equal_area_km2=equal_area_km2(polygon),
        axis=axis,
        axis_ids=tuple(ids),
        axis_length_km=geodesic_length_km(axis),
        plan_axis=plan_axis,
        plan_axis_ids=tuple(plan_waypoints),
        plan_axis_length_km=geodesic_length_km(plan_axis),
        chord_length_km=float(_GEOD.inv(start.x, start.y, end.x, end.y)[2]) / 1e3,
        axis_start=start,
        axis_end=end,
        rectangle=minimum_rectangle(polygon, metric_crs=metric_crs),
        width_profile=width_profile(polygon, plan_axis, step_km=width_step_km,
                                    metric_crs=metric_crs),
        width_step_km=width_step_km,
        plan_area_km2=math.nan if plan_area_km2 is None else float(plan_area_km2),
        plan_length_km=math.nan if plan_length_km is None else float(plan_length_km),
    )


def corridor_extent(
    corridor: Corridor | None = None,
    *,
    width_step_km: float = 5.0,
    plan_waypoints: Sequence[str] | None = None,
) -> CorridorExtent:
    """Measure the corridor: area, axes, width profile, minimum rotated rectangle.

    Parameters
    ----------
    corridor
        A :class:`~corridor_geo.corridor.Corridor`; default ``load_corridor()``.
    width_step_km
        Spacing of the width profile along the plan axis.
    plan_waypoints
        Ids (or names, resolved with ``corridor.resolve``) of the core platforms the
        plan axis passes through (default: the corridor's ``plan.axis_waypoints``).

    Returns
    -------
    CorridorExtent
        Use ``.to_dict()`` (JSON), ``.to_frame()`` or ``.to_text()``.

    Examples
    --------
    >>> ext = corridor_extent()  # doctest: +SKIP
    >>> round(ext.area_km2)  # doctest: +SKIP
    11996
    """
    from corridor_geo.boundaries import load_admin_polygon

    if corridor is None:
        from corridor_geo.corridor import load_corridor

        corridor = load_corridor()
    check_has(corridor, ("platforms", "facts"), name="corridor",
              what="a Corridor (load_corridor())")
    check_number(width_step_km, name="width_step_km", positive=True)
    facts = corridor.facts
    if facts.axis is None:
        raise DataValidationError("the corridor has no axis ends; expected axis.start_city, "
                                  "start_neighbour and end_city in corridor.yaml",
                                  field="axis")
    platforms = corridor.platforms
    if "axis_order" in platforms.columns:
        platforms = platforms.sort_values("axis_order", kind="stable")
    wanted = facts.plan.axis_waypoints if plan_waypoints is None else plan_waypoints
    waypoints = [corridor.resolve(w) for w in as_list(wanted, name="plan_waypoints",
                                                      what="core platform ids or names")]
    bounds = corridor.boundaries
    if "code" not in bounds.columns:  # a stand-in corridor without admin codes
        from corridor_geo.boundaries import load_boundaries

        bounds = load_boundaries(level="city")
    polys = bounds.set_index("code").geometry
    ax = facts.axis
    neighbour = (polys[ax.start_neighbour] if ax.start_neighbour in polys.index
                 else load_admin_polygon(ax.start_neighbour))
    return extent_from_inputs(
        corridor.polygon,
        platforms[["id", "geometry"]],
        guangzhou=polys[ax.start_city],
        shenzhen=polys[ax.end_city],
        foshan=neighbour,
        plan_waypoints=waypoints,
        width_step_km=width_step_km,
        metric_crs=getattr(corridor, "metric_crs", settings.METRIC_CRS),
        plan_area_km2=math.nan if facts.plan.area_km2 is None else facts.plan.area_km2,
        plan_length_km=math.nan if facts.plan.length_km is None else facts.plan.length_km,
    )
