"""Speeds and travel times on street networks.

Three layers decide the speed of an edge, in this order:

1. ``maxspeed`` from OpenStreetMap where the way carries one (drive networks only),
   parsed by :func:`parse_maxspeed` (``"60"``, ``"60 mph"``, ``"CN:urban"``, ``"50;70"``);
2. otherwise the default speed of the edge's ``highway`` class from a table
   (:data:`DEFAULT_SPEEDS_CN`, overridable per call);
3. optional congestion factors per class or per named road
   (:func:`apply_speed_factors`) for what-if scenarios.

Walking uses :data:`WALK_SPEED_KMH` (4.8 km/h) and cycling :data:`BIKE_SPEED_KMH`
(15 km/h) on every edge.

The Chinese defaults (km/h) follow the speed limits that apply when no sign is posted,
from the Regulations for the Implementation of the Road Traffic Safety Law of the PRC
(道路交通安全法实施条例), art. 45: roads without a centre line 30 (urban) / 40 (rural),
roads with one lane per direction 50 (urban) / 70 (rural); and art. 78: expressways
(高速公路) at most 120 and at least 60. Multi-lane urban arterials and expressways are
set from typical posted limits in Guangzhou/Shenzhen (urban expressways 80, arterials
60). They are free-flow speeds, not congested speeds; use factors for congestion.
See ``docs/network.md`` for the full table and its sources.

Examples
--------
>>> parse_maxspeed("60 mph")
96.56064
>>> parse_maxspeed("CN:urban")
50.0
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from corridor_geo.errors import CorridorGeoError

if TYPE_CHECKING:
    from corridor_geo.network import Network

__all__ = [
    "BIKE_SPEED_KMH",
    "DEFAULT_SPEEDS_CN",
    "SPEED_MODEL_VERSION",
    "TYPICAL_SPEEDS_CN",
    "WALK_SPEED_KMH",
    "apply_speed_factors",
    "edge_speeds_kmh",
    "parse_maxspeed",
    "speed_table",
]

#: Bumped whenever the speed model or its defaults change (part of cache keys).
SPEED_MODEL_VERSION = "cn-1"

#: Walking speed on every edge of a walk network (km/h), as in many accessibility studies.
WALK_SPEED_KMH = 4.8
#: Cycling speed on every edge of a bike network (km/h).
BIKE_SPEED_KMH = 15.0

#: Default free-flow car speed (km/h) per OSM ``highway`` class when ``maxspeed`` is absent.
DEFAULT_SPEEDS_CN: dict[str, float] = {
    "motorway": 100.0,  # 高速公路: art. 78 allows 60-120; 100-120 posted in Guangdong
    "motorway_link": 60.0,  # ramps, typically posted 40-60
    "trunk": 80.0,  # urban expressways (快速路), typically posted 80
    "trunk_link": 50.0,
    "primary": 60.0,  # multi-lane arterials (主干路), typically posted 60
    "primary_link": 40.0,
    "secondary": 50.0,  # art. 45: one lane per direction in town, 50
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,  # art. 45: no centre line in town, 30
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 30.0,
    "busway": 40.0,
    "track": 20.0,
    "_default": 30.0,  # any other class
}

#: Typical daytime car speeds (km/h) per OSM ``highway`` class in the corridor's cities:
#: what a car averages, not the posted limit. Anchors: Amap's 2021 Q1 report gives
#: Shenzhen a city-wide free-flow speed of ~44 km/h and a peak-hour mean of 29 km/h
#: (fun01.cc/post/911009); expressways run at 80-90 km/h off-peak
#: (``geodata/expressways.csv``). Used as the full-OSM reference of
#: ``scripts/calibrate_drive.py``; pass ``speeds=TYPICAL_SPEEDS_CN`` to
#: :func:`edge_speeds_kmh` with ``maxspeed_kmh=None`` to route with them.
TYPICAL_SPEEDS_CN: dict[str, float] = {
    "motorway": 85.0,
    "motorway_link": 40.0,
    "trunk": 60.0,  # urban expressways (快速路): posted 80, signal-free but busy
    "trunk_link": 35.0,
    "primary": 40.0,  # signalled arterials
    "primary_link": 30.0,
    "secondary": 35.0,
    "secondary_link": 25.0,
    "tertiary": 30.0,
    "tertiary_link": 25.0,
    "unclassified": 20.0,
    "residential": 20.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 20.0,
    "busway": 30.0,
    "track": 15.0,
    "_default": 20.0,
}

#: Named speeds in OSM ``maxspeed`` (km/h): China's zone values plus common forms.
_NAMED_MAXSPEED: dict[str, float] = {
    "cn:urban": 50.0,
    "cn:rural": 70.0,
    "cn:motorway": 120.0,
    "cn:living_street": 10.0,
    "walk": 5.0,
    "none": math.nan,
    "signals": math.nan,
    "variable": math.nan,
}
_NUM_UNIT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)


def parse_maxspeed(value: object) -> float:
    """Parse an OSM ``maxspeed`` value into km/h (NaN when unknown or unparseable).

    Parameters
    ----------
    value
        Raw tag value: ``"60"``, ``"60 mph"``, ``"CN:urban"``, ``"50;70"`` (mean of the
        parts, like osmnx), a list of such values, or ``None``.

    Returns
    -------
    float
        Speed in km/h, or NaN.

    Examples
    --------
    >>> parse_maxspeed("50;70")
    60.0
    >>> import math; math.isnan(parse_maxspeed("signals"))
    True
    """
    if value is None:
        return math.nan
    if isinstance(value, list | tuple):
        parts = [parse_maxspeed(v) for v in value]
    else:
        text = str(value).strip()
        if not text:
            return math.nan
        if ";" in text or "|" in text:
            parts = [parse_maxspeed(p) for p in re.split(r"[;|]", text)]
        else:
            named = _NAMED_MAXSPEED.get(text.lower())
            if named is not None:
                return named
            m = _NUM_UNIT.match(text)
            if not m:
                return math.nan
            num = float(m.group(1))
            unit = (m.group(2) or "km/h").lower()
            if unit == "mph":
                return num * 1.609344
            if unit == "knots":
                return num * 1.852
            return num if num > 0 else math.nan
    good = [p for p in parts if not math.isnan(p)]
    return float(sum(good) / len(good)) if good else math.nan


def speed_table(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Return the default table with *overrides* applied (validated).

    Parameters
    ----------
    overrides
        ``{highway class: km/h}``; ``"_default"`` sets the speed of unknown classes.

    Examples
    --------
    >>> speed_table({"primary": 45})["primary"]
    45.0
    """
    table = dict(DEFAULT_SPEEDS_CN)
    for key, val in (overrides or {}).items():
        v = float(val)
        if not (v > 0 and math.isfinite(v)):
            raise CorridorGeoError(
                f"speed for highway class {key!r} must be a positive number of km/h, got {val!r}"
            )
        table[str(key)] = v
    return table


def edge_speeds_kmh(
    highway: np.ndarray,
    maxspeed_kmh: np.ndarray | None,
    *,
    mode: str,
    table: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Speed in km/h of every edge.

    Parameters
    ----------
    highway
        Highway class per edge (strings).
    maxspeed_kmh
        Parsed ``maxspeed`` per edge (NaN when absent), or ``None``.
    mode
        ``"drive"``, ``"walk"`` or ``"bike"``.
    table
        Overrides of :data:`DEFAULT_SPEEDS_CN`.

    Examples
    --------
    >>> edge_speeds_kmh(np.array(["primary", "x"]), np.array([np.nan, 80.0]), mode="drive")
    array([60., 80.])
    """
    n = len(highway)
    if mode == "walk":
        return np.full(n, WALK_SPEED_KMH)
    if mode == "bike":
        return np.full(n, BIKE_SPEED_KMH)
    tab = speed_table(table)
    cats, inv = np.unique(np.asarray(highway, dtype=str), return_inverse=True)
    per_cat = np.array([tab.get(c, tab["_default"]) for c in cats], dtype=np.float64)
    speeds = per_cat[inv.reshape(-1)] if n else np.zeros(0)
    if maxspeed_kmh is not None:
        ms = np.asarray(maxspeed_kmh, dtype=np.float64)
        ok = np.isfinite(ms) & (ms > 0)
        speeds = np.where(ok, ms, speeds)
    return speeds


def apply_speed_factors(
    net: Network,
    *,
    by_class: Mapping[str, float] | None = None,
    by_name: Mapping[str, float] | None = None,
) -> Network:
    """Return a copy of *net* with travel times divided by speed factors.

    A factor of 0.5 halves the speed (doubles the travel time) on matching edges. When
    both a class and a name match an edge, the factors multiply.

    Parameters
    ----------
    net
        The network.
    by_class
        ``{highway class: factor}``.
    by_name
        ``{road name: factor}``; the name must equal the edge's OSM ``name`` (e.g.
        ``"广深高速"``) or, for the scgraph default, ``"Guangshen Expressway"`` /
        ``"Yanjiang Expressway"``.

    Returns
    -------
    Network
        A new network; *net* is unchanged.

    Examples
    --------
    >>> slow = apply_speed_factors(net, by_class={"motorway": 0.6})  # doctest: +SKIP
    """
    factor = np.ones(net.n_edges)
    for mapping, column, what in ((by_class, net.highway, "class"), (by_name, net.name, "name")):
        for key, f in (mapping or {}).items():
            fv = float(f)
            if not (fv > 0 and math.isfinite(fv)):
                raise CorridorGeoError(
                    f"speed factor for road {what} {key!r} must be a positive number, got {f!r}"
                )
            factor[np.asarray(column == key)] *= fv
    out = net.with_travel_times(net.travel_time_s / factor)
    out.meta = {**out.meta, "speed_factors": {"by_class": dict(by_class or {}),
                                              "by_name": dict(by_name or {})}}
    return out
