"""Checks of public-API arguments, shared so every function gives the same message.

All raise :class:`~corridor_geo.errors.ArgumentError` (a ``CorridorGeoError`` that is
also a ``ValueError`` and a ``TypeError``).

* :data:`AS_OF_RANGE`: the one range of years accepted for ``as_of`` everywhere (API,
  CLI ``--as-of``, scenario files).
* :data:`MAX_DISTANCE_KM`: a coordinate farther than this from the corridor's study
  area (the corridor polygon) is refused rather than answered with a fallback
  (a trip from Paris, a point in the open sea).
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Mapping
from typing import Any

from corridor_geo.errors import ArgumentError

__all__ = [
    "AS_OF_RANGE",
    "MAX_DISTANCE_KM",
    "as_list",
    "check_as_of",
    "check_frame",
    "check_has",
    "check_number",
    "check_path",
    "check_point",
    "check_text",
    "check_wgs84_geometry",
    "describe",
    "is_wgs84_crs",
]

#: Years accepted for ``as_of`` (inclusive).
AS_OF_RANGE = (1800, 2100)
#: Largest distance (km) of a coordinate from the corridor polygon.
MAX_DISTANCE_KM = 30.0


def check_as_of(as_of: Any, *, name: str = "as_of") -> int | None:
    """Return *as_of* as a year in :data:`AS_OF_RANGE`, or ``None``.

    Any real number with an integer value is taken, numpy scalars included (a year read
    from a DataFrame column is a ``numpy.int64``); ``bool`` is refused.

    Examples
    --------
    >>> check_as_of(2025), check_as_of(None)
    (2025, None)
    """
    if as_of is None:
        return None
    lo, hi = AS_OF_RANGE
    value = float(as_of) if isinstance(as_of, numbers.Real) else math.nan
    if isinstance(as_of, bool) or not value.is_integer():
        raise ArgumentError(f"{name} must be a year from {lo} to {hi}, got {describe(as_of)}")
    year = int(value)
    if not lo <= year <= hi:
        raise ArgumentError(f"{name} must be a year from {lo} to {hi}, got {year}")
    return year


def as_list(value: Any, *, name: str, what: str = "items", points: bool = False) -> list[Any]:
    """Return a list from a sequence argument; a string or a scalar is refused.

    With *points* (a list whose items may be ``(lon, lat)`` pairs), a single pair of
    numbers is refused too: it is one place, not a list of two.

    Examples
    --------
    >>> as_list(("a", "b"), name="ids")
    ['a', 'b']
    >>> as_list((113.3, 23.1), name="origins", what="places", points=True)
    Traceback (most recent call last):
    ...
    corridor_geo.errors.ArgumentError: origins must be a list of places, not the single \
(lon, lat) pair (113.3, 23.1) (write [(113.3, 23.1)])
    """
    if isinstance(value, str | bytes | os.PathLike):
        raise ArgumentError(f"{name} must be a list of {what}, not the single value "
                            f"{value!r} (write [{value!r}])")
    if points and isinstance(value, tuple | list) and len(value) == 2 and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
        pair = f"({float(value[0])!r}, {float(value[1])!r})"
        raise ArgumentError(f"{name} must be a list of {what}, not the single (lon, lat) "
                            f"pair {pair} (write [{pair}])")
    if not isinstance(value, Iterable):
        raise ArgumentError(f"{name} must be a list of {what}, got {value!r}")
    return list(value)


def describe(value: Any) -> str:
    """Describe *value* in one short line (a table by its size and columns, not its rows).

    Examples
    --------
    >>> import pandas as pd
    >>> describe(pd.DataFrame({"id": ["a", "b"], "lon": [113.0, 114.0]}))
    'DataFrame of 2 rows, columns id, lon'
    >>> describe(pd.Series([1, 2, 3], name="year"))
    "Series 'year' of 3 values"
    >>> describe("x" * 100)[:12], len(describe("x" * 100)) <= 80
    ("str 'xxxxxxx", True)
    """
    columns = getattr(value, "columns", None)
    if columns is not None and hasattr(value, "__len__"):
        names = [str(c) for c in list(columns)[:8]]
        more = ", ..." if len(columns) > 8 else ""
        return f"{type(value).__name__} of {len(value)} rows, columns {', '.join(names)}{more}"
    if getattr(value, "ndim", 0) >= 1 and hasattr(value, "shape"):  # Series, arrays
        label = getattr(value, "name", None)
        shape = "x".join(str(n) for n in value.shape)
        return f"{type(value).__name__}{'' if label is None else f' {label!r}'} of {shape} values"
    text = " ".join(repr(value).split())
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


_got = describe


def check_wgs84_geometry(geom: Any, *, name: str) -> None:
    """Refuse a shapely geometry whose bounds are not WGS84 lon/lat degrees.

    A geometry in a projected CRS (EPSG:4547 metres) would otherwise be used as
    degrees: drawn off the map, or every area computed as 0. Empty geometries pass.

    Examples
    --------
    >>> import shapely
    >>> check_wgs84_geometry(shapely.box(113.7, 22.7, 114.1, 23.1), name="land")
    >>> check_wgs84_geometry(shapely.box(700000, 2500000, 740000, 2550000), name="land")
    Traceback (most recent call last):
    ...
    corridor_geo.errors.ArgumentError: land must be in WGS84 lon/lat degrees; its bounds \
(700000, 2500000, 740000, 2550000) are not degrees (metres of a projected CRS such as \
EPSG:4547?): convert it with .to_crs('EPSG:4326')
    """
    if geom.is_empty:
        return
    w, s, e, n = geom.bounds
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise ArgumentError(
            f"{name} must be in WGS84 lon/lat degrees; its bounds ({w:.10g}, {s:.10g}, "
            f"{e:.10g}, {n:.10g}) are not degrees (metres of a projected CRS such as "
            "EPSG:4547?): convert it with .to_crs('EPSG:4326')")


def is_wgs84_crs(crs: Any) -> bool:
    """Return whether *crs* is WGS84 longitude/latitude, whatever its axis order.

    ``OGC:CRS84`` (the GeoJSON CRS, longitude first) is EPSG:4326 with the axes swapped;
    GeoDataFrames hold longitude as x under either label, so both are WGS84 degrees
    here, as is any CRS that pyproj finds equal to EPSG:4326 ignoring axis order. ``None``
    (no CRS) is not.

    Examples
    --------
    >>> is_wgs84_crs("EPSG:4326"), is_wgs84_crs("OGC:CRS84"), is_wgs84_crs("EPSG:4547")
    (True, True, False)
    >>> is_wgs84_crs(None)
    False
    """
    if crs is None:
        return False
    import pyproj

    return bool(pyproj.CRS.from_user_input(crs).equals("EPSG:4326", ignore_axis_order=True))


def check_has(value: Any, attrs: Iterable[str], *, name: str, what: str) -> None:
    """Refuse *value* unless it has every attribute in *attrs* (duck-typed objects).

    Examples
    --------
    >>> check_has(5, ["stations"], name="corridor", what="a Corridor (load_corridor())")
    Traceback (most recent call last):
    ...
    corridor_geo.errors.ArgumentError: corridor must be a Corridor (load_corridor()), got int 5
    """
    if isinstance(value, str | bytes | os.PathLike | Mapping | int | float) or \
            not all(hasattr(value, a) for a in attrs):
        raise ArgumentError(f"{name} must be {what}, got {_got(value)}")


def check_number(value: Any, *, name: str, minimum: float | None = None,
                 positive: bool = False, allow_none: bool = False,
                 allow_inf: bool = False) -> float | None:
    """Return *value* as a float, finite unless *allow_inf* (``None`` when *allow_none*).

    Examples
    --------
    >>> check_number(5, name="width_step_km", positive=True)
    5.0
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            import numpy as np

            ok = isinstance(value, np.integer | np.floating)
        except ImportError:  # pragma: no cover - numpy is a dependency
            ok = False
        if not ok:
            raise ArgumentError(f"{name} must be a number, got {_got(value)}")
    x = float(value)
    if math.isnan(x) or (math.isinf(x) and not allow_inf):
        raise ArgumentError(f"{name} must be a finite number, got {value!r}")
    if positive and not x > 0:
        raise ArgumentError(f"{name} must be > 0, got {value!r}")
    if minimum is not None and x < minimum:
        raise ArgumentError(f"{name} must be >= {minimum:g}, got {value!r}")
    return x


def check_text(value: Any, *, name: str, allow_none: bool = False) -> str | None:
    """Return *value* if it is a string (``None`` passes when *allow_none*)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise ArgumentError(f"{name} must be a string, got {_got(value)}")
    return value


def check_path(value: Any, *, name: str) -> os.PathLike[str] | str:
    """Return *value* if it is a path (``str`` or ``os.PathLike``).

    Examples
    --------
    >>> check_path({"a": 1}, name="p")
    Traceback (most recent call last):
    ...
    corridor_geo.errors.ArgumentError: p must be a path (str or pathlib.Path), got dict {'a': 1}
    """
    if not isinstance(value, str | os.PathLike):
        raise ArgumentError(f"{name} must be a path (str or pathlib.Path), got {_got(value)}")
    return value


def check_frame(value: Any, *, name: str, allow_none: bool = True) -> None:
    """Refuse anything but a pandas/GeoPandas DataFrame (or ``None`` when allowed)."""
    if value is None and allow_none:
        return
    import pandas as pd

    if not isinstance(value, pd.DataFrame):
        raise ArgumentError(f"{name} must be a (Geo)DataFrame, got {_got(value)}")


def check_point(lon: Any, lat: Any, *, polygon: Any = None, what: str = "point") -> tuple[
        float, float]:
    """Check a WGS84 coordinate and its distance from the study area *polygon*.

    Raises
    ------
    ArgumentError
        Not numbers, not finite, out of range, or farther than :data:`MAX_DISTANCE_KM`
        from *polygon* (WGS84; skipped when ``None``).
    """
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ArgumentError(f"{what}: expected numbers lon, lat, got ({lon!r}, {lat!r})") from None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise ArgumentError(f"{what} ({x}, {y}) is not a WGS84 lon/lat pair (lon, lat)")
    if polygon is not None:
        import shapely

        from corridor_geo.settings import METRIC_CRS, WGS84

        w, s, e, n = polygon.bounds
        pad = MAX_DISTANCE_KM / 100.0 + 0.1  # degrees, generous at these latitudes
        far = not (w - pad <= x <= e + pad and s - pad <= y <= n + pad)
        if not far:
            from pyproj import Transformer

            tr = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True)
            px, py = tr.transform(x, y)
            poly_m = shapely.transform(polygon, lambda c: _to_metric(c, tr))
            far = poly_m.distance(shapely.Point(px, py)) > MAX_DISTANCE_KM * 1000
        if far:
            raise ArgumentError(
                f"{what} ({x:.6f}, {y:.6f}) is farther than {MAX_DISTANCE_KM:g} km from the "
                "corridor's study area; corridor_geo answers only inside and near it")
    return x, y


def _to_metric(coords: Any, tr: Any) -> Any:
    import numpy as np

    xx, yy = tr.transform(coords[:, 0], coords[:, 1])
    return np.column_stack([xx, yy])
