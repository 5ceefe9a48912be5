"""Rail services from the bundled links: stopping patterns, speed profile, headways.

There is no GTFS for the corridor's railways, so in-vehicle times are *modelled* from
the distance along the line and a kinematic speed profile (accelerate to the cruise
speed, cruise, brake; a triangular profile when the stops are too close to reach the
cruise speed), plus a dwell time at every intermediate stop. Every parameter is in
:class:`RailParameters`, documented with its source or marked as an assumption in
``docs/rail_model.md``. General parameters are fitted to published times; only the
effective speeds and dwells of three 2025 intercity lines are fitted to a timetable
(data in ``geodata/``, not constants here). Users with timetables can override the
model with their own station-to-station times (:func:`read_scheduled_times`) or a GTFS
feed.

Examples
--------
>>> round(run_time_s(10_000, cruise_kmh=200, accel_ms2=0.5, brake_ms2=0.5), 1)
291.1
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat
from pyproj import Geod

from corridor_geo._rail_tables import RailTables, ServicePattern, load_rail_tables
from corridor_geo.data import read_travel_times
from corridor_geo.errors import ArgumentError, DataValidationError, UnknownIdError

__all__ = [
    "RAIL_MODES",
    "SCHEDULED_TOLERANCE_MIN",
    "LinkSpec",
    "ModeProfile",
    "RailParameters",
    "RailService",
    "ScheduledTime",
    "StopSpec",
    "active_link_ids",
    "build_services",
    "link_specs_from_corridor",
    "profile_time_s",
    "read_scheduled_times",
    "run_time_s",
    "stop_positions_km",
]

RAIL_MODES = ("high_speed_rail", "intercity_rail", "conventional_rail")
_GEOD = Geod(ellps="WGS84")


class ModeProfile(BaseModel):
    """Speed-profile and service parameters of one rail mode.

    Parameters
    ----------
    accel_ms2
        Mean acceleration from stand to cruise speed (m/s²).
    brake_ms2
        Service braking rate (m/s²), not emergency braking.
    dwell_min
        Dwell time at each intermediate stop (minutes).
    headway_min
        Default headway between trains of one service (minutes); waiting = headway / 2.
    operating_factor
        Cruise speed = design speed × this factor when a link has no operating speed.
    default_design_kmh
        Design speed assumed when a link has neither operating nor design speed.
    station_entry_min
        Time from the station forecourt to the platform (ID and security check, walking).
    station_exit_min
        Time from the platform to the station forecourt.
    running_margin
        Timetable allowance: fraction added to the pure running time of every run
        (recovery margin, speed restrictions the data do not list).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    accel_ms2: PositiveFloat
    brake_ms2: PositiveFloat
    dwell_min: float = Field(ge=0)
    headway_min: PositiveFloat
    operating_factor: float = Field(gt=0, le=1.0)
    default_design_kmh: PositiveFloat
    station_entry_min: float = Field(ge=0)
    station_exit_min: float = Field(ge=0)
    running_margin: float = Field(default=0.0, ge=0, le=1.0)


def _default_modes() -> dict[str, ModeProfile]:
    # Sources and reasoning: docs/rail_model.md. Assumptions of typical Chinese practice,
    # except the values marked as fitted.
    return {
        # dwell and running_margin fitted by scripts/calibrate_times.py (docs/rail_model.md)
        "high_speed_rail": ModeProfile(
            accel_ms2=0.5, brake_ms2=0.6, dwell_min=2.5, headway_min=15.0,
            operating_factor=0.9, default_design_kmh=250.0,
            station_entry_min=10.0, station_exit_min=4.0, running_margin=0.35,
        ),
        # accel/brake, dwell and running_margin fitted by scripts/calibrate_times.py
        "intercity_rail": ModeProfile(
            accel_ms2=0.36, brake_ms2=0.42, dwell_min=1.0, headway_min=30.0,
            operating_factor=0.9, default_design_kmh=160.0,
            station_entry_min=8.0, station_exit_min=3.0, running_margin=0.05,
        ),
        # running_margin fitted to the one published non-stop time (2007, 52 min) of the
        # Guangshen railway (docs/rail_model.md); no conventional row in the calibration set
        "conventional_rail": ModeProfile(
            accel_ms2=0.4, brake_ms2=0.5, dwell_min=2.0, headway_min=30.0,
            operating_factor=0.9, default_design_kmh=160.0,
            station_entry_min=10.0, station_exit_min=4.0, running_margin=0.2,
        ),
    }


class RailParameters(BaseModel):
    """All parameters of the rail model (documented in ``docs/rail_model.md``).

    Parameters
    ----------
    modes
        :class:`ModeProfile` per rail mode.
    circuity
        Track length / geodesic distance between stops, used when a link has neither
        km posts nor a usable ``length_km``.
    prorate_range
        ``length_km`` is distributed over the stops in proportion to the geodesic
        distances when ``length_km / geodesic chain`` lies in this range; otherwise
        the geodesic × ``circuity`` estimate is used.
    transfer_min
        Penalty for changing trains at a shared station (walking between platforms);
        the new service's waiting time is added on top.
    wait_factor
        Waiting time = ``wait_factor`` × headway (random arrivals: 0.5).
    max_wait_min
        Optional cap on the waiting time (passengers consult timetables for rare services).
    headway_by_link
        Headway per link id (minutes), overriding the mode default.
    speed_by_link
        Cruise speed per link id (km/h), overriding operating/design speeds.
    segment_speed_kmh
        Cruise-speed cap on single segments, keyed ``"link_id:stop_a:stop_b"`` (both
        directions).
    express_stops
        Extra skip-stop services per link: link id -> ordered stop ids.
    express_headway_min
        Headway of the express services per link id.
    stopping_headway_min
        Headway of the all-stops service per link id when an express pattern exists.
    margin_by_link
        Timetable allowance (``running_margin``) per link id, overriding the line's value
        in ``geodata/rail_margins.csv`` and the mode's.

    Examples
    --------
    >>> p = RailParameters(transfer_min=5)
    >>> p.modes["high_speed_rail"].dwell_min
    2.5
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    modes: dict[str, ModeProfile] = Field(default_factory=_default_modes)
    circuity: float = Field(default=1.2, ge=1.0)
    prorate_range: tuple[float, float] = (0.8, 1.6)
    transfer_min: float = Field(default=8.0, ge=0)
    wait_factor: float = Field(default=0.5, ge=0)
    max_wait_min: float | None = Field(default=None, gt=0)
    # Headways, express patterns and speed limits of the bundled lines are data
    # (geodata/services.csv, rail_speed_limits.csv); these parameters are for user links
    # and what-if edits.
    headway_by_link: dict[str, PositiveFloat] = Field(default_factory=dict)
    speed_by_link: dict[str, PositiveFloat] = Field(default_factory=dict)
    segment_speed_kmh: dict[str, PositiveFloat] = Field(default_factory=dict)
    express_stops: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    express_headway_min: dict[str, PositiveFloat] = Field(default_factory=dict)
    stopping_headway_min: dict[str, PositiveFloat] = Field(default_factory=dict)
    margin_by_link: dict[str, Annotated[float, Field(ge=0, le=1.0)]] = Field(
        default_factory=dict)

    def profile(self, mode: str) -> ModeProfile:
        """Return the :class:`ModeProfile` of *mode* (a clear error for an unknown mode)."""
        try:
            return self.modes[mode]
        except KeyError:
            raise DataValidationError(
                f"no rail parameters for mode {mode!r}; expected one of {sorted(self.modes)}",
                field="mode") from None

    def wait_min(self, headway_min: float) -> float:
        """Return the expected waiting time for a service with headway *headway_min*."""
        w = self.wait_factor * headway_min
        return min(w, self.max_wait_min) if self.max_wait_min is not None else w


def run_time_s(distance_m: float, *, cruise_kmh: float, accel_ms2: float,
               brake_ms2: float) -> float:
    """Run time between two stops from a trapezoidal (or triangular) speed profile.

    With cruise speed ``v``, acceleration ``a`` and braking ``b`` the train needs
    ``v²/2a + v²/2b`` metres to reach ``v`` and stop again. If the distance ``d`` is at
    least that, ``t = d/v + v/2a + v/2b``; otherwise the peak speed is
    ``sqrt(2dab/(a+b))`` and ``t = vp/a + vp/b``.

    Parameters
    ----------
    distance_m
        Distance along the track (m).
    cruise_kmh, accel_ms2, brake_ms2
        Cruise speed (km/h), acceleration and braking rates (m/s²).

    Returns
    -------
    float
        Seconds from departure to arrival (dwell excluded).

    Examples
    --------
    >>> run_time_s(0.0, cruise_kmh=300, accel_ms2=0.5, brake_ms2=0.5)
    0.0
    >>> round(run_time_s(100_000, cruise_kmh=360, accel_ms2=0.5, brake_ms2=0.5) / 60, 2)
    20.0
    """
    d = float(distance_m)
    if d <= 0:
        return 0.0
    v = cruise_kmh / 3.6
    a, b = accel_ms2, brake_ms2
    d_ramp = v * v / (2 * a) + v * v / (2 * b)
    if d >= d_ramp:
        return d / v + v / (2 * a) + v / (2 * b)
    vp = math.sqrt(2 * d * a * b / (a + b))
    return vp / a + vp / b


# --------------------------------------------------------------------------- link specs

@dataclass(frozen=True)
class StopSpec:
    """One stop of a link: a station id (or None when the data cannot place it)."""

    stop_id: str | None
    name: str
    lon: float = math.nan
    lat: float = math.nan
    km_post: float = math.nan
    served: bool = True

    @property
    def placed(self) -> bool:
        """True when the stop has coordinates (and so can be reached)."""
        return self.stop_id is not None and not (math.isnan(self.lon) or math.isnan(self.lat))


@dataclass(frozen=True)
class LinkSpec:
    """A rail or expressway link normalised for the models (from the corridor or an edit)."""

    id: str
    name: str
    mode: str
    stops: tuple[StopSpec, ...]
    cruise_kmh: float
    length_km: float = math.nan
    headway_min: float | None = None
    speed_source: str = "operating"
    as_of: int | None = None


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def active_link_ids(links: pd.DataFrame, *, as_of: int | None,
                    enable: Iterable[str] = (), close: Iterable[str] = ()) -> list[str]:
    """Ids of the links in service: open (and opened by *as_of*), plus *enable*, minus *close*.

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["a", "b"], "status": ["open", "planned"],
    ...                    "opened": [2011, None]})
    >>> active_link_ids(df, as_of=2010), active_link_ids(df, as_of=None, enable=["b"])
    ([], ['a', 'b'])
    """
    known = set(links["id"])
    for lid in (*enable, *close):
        if lid not in known:
            raise UnknownIdError(lid, sorted(known), what="link")
    keep = []
    for row in links.itertuples(index=False):
        opened = _num(getattr(row, "opened", math.nan))
        is_open = str(row.status) == "open" and (
            as_of is None or (not math.isnan(opened) and opened <= as_of))
        if is_open or row.id in set(enable):
            keep.append(row.id)
    closed = set(close)
    return sorted(lid for lid in keep if lid not in closed)


def link_specs_from_corridor(corridor: Any, *, params: RailParameters | None = None,
                             modes: Sequence[str] = RAIL_MODES,
                             link_ids: Iterable[str] | None = None,
                             as_of: int | None = None) -> list[LinkSpec]:
    """Turn the corridor's links of the given *modes* into :class:`LinkSpec` objects.

    Stops whose own ``opened`` year (column of ``link_stops``, when present) is after
    *as_of* are left out (e.g. Futian on the XRL before 2015).

    Cruise speed: ``params.speed_by_link`` > operating speed > design speed ×
    ``operating_factor`` > ``default_design_kmh`` × ``operating_factor`` (rail modes);
    expressways use the operating (posted) speed, then the design speed, then 100 km/h.
    """
    params = params or RailParameters()
    links = corridor.links
    stations = corridor.stations
    # the full bundled stop lists (stops not open in as_of included, not served) so that
    # track distances and positions do not depend on the year
    full = getattr(corridor, "_data", None)
    all_stations = full.stations if full is not None else stations
    st_by_id = dict(zip(all_stations["id"], all_stations.geometry, strict=True))
    names: dict[str, str] = {}
    if "name_en" in all_stations.columns:
        names = dict(zip(all_stations["id"], all_stations["name_en"], strict=True))
    ls_served = corridor.link_stops
    ls = full.link_stops if full is not None else ls_served
    wanted = None if link_ids is None else set(link_ids)
    specs = []
    for row in links.itertuples(index=False):
        if row.mode not in modes or (wanted is not None and row.id not in wanted):
            continue
        rows = ls[ls["link_id"] == row.id].sort_values("seq")
        served_ids = set(ls_served.loc[ls_served["link_id"] == row.id, "stop_id"])
        stops = []
        for r in rows.itertuples(index=False):
            stop_opened = _num(getattr(r, "opened", math.nan))
            served = str(getattr(r, "status", "open") or "open") == "open" and not (
                as_of is not None and not math.isnan(stop_opened) and stop_opened > as_of)
            sid = getattr(r, "stop_id", None)
            sid = None if sid is None or (isinstance(sid, float) and math.isnan(sid)) \
                or pd.isna(sid) else str(sid)
            if full is not None and sid not in served_ids:
                served = False
            if full is None and not served:
                continue
            label = str(getattr(r, "stop_name", None) or getattr(r, "name", None) or sid or "?")
            geom = st_by_id.get(sid) if sid is not None else None
            if sid is not None and geom is not None and not geom.is_empty:
                stops.append(StopSpec(sid, names.get(sid, label), geom.x, geom.y,
                                      _num(getattr(r, "km_post", math.nan)), served=served))
            else:
                stops.append(StopSpec(None, label, km_post=_num(getattr(r, "km_post", math.nan)),
                                      served=served))
        op = _num(getattr(row, "operating_speed_kmh", math.nan))
        design = _num(getattr(row, "design_speed_kmh", math.nan))
        if row.id in params.speed_by_link:
            cruise, src = params.speed_by_link[row.id], "parameter"
        elif not math.isnan(op):
            cruise, src = op, "operating"
        elif row.mode in params.modes:
            prof = params.profile(row.mode)
            base = design if not math.isnan(design) else prof.default_design_kmh
            cruise = base * prof.operating_factor
            src = "design×factor" if not math.isnan(design) else "default×factor"
        else:
            cruise = design if not math.isnan(design) else 100.0
            src = "design" if not math.isnan(design) else "default"
        specs.append(LinkSpec(
            id=str(row.id), name=str(getattr(row, "name_en", row.id)), mode=str(row.mode),
            stops=tuple(stops), cruise_kmh=float(cruise),
            length_km=_num(getattr(row, "length_km", math.nan)), speed_source=src,
            as_of=as_of))
    return specs


# --------------------------------------------------------------------------- services

@dataclass(frozen=True)
class RailService:
    """A rail service: one stopping pattern on one link or through several.

    Trains run in both directions unless ``direction`` is ``"forward"``, when they run
    only in the order of ``stops`` (a one-way pattern of the timetable).

    Attributes
    ----------
    id, link_id, mode, name
        Identification; ``id`` is ``link_id`` for the all-stops service and
        ``link_id + "/express"`` for a skip-stop pattern.
    stops
        Ordered station ids where the service stops (placed stops only).
    seg_km
        Track distance between consecutive stops (len(stops) - 1).
    seg_min
        In-vehicle minutes between consecutive stops, including the dwell at stops the
        data cannot place (but not the dwell at the two ends).
    dwell_min
        Dwell at each stop (minutes); counted only at intermediate stops of a trip.
    headway_min
        Headway (minutes); waiting = ``RailParameters.wait_min(headway_min)``.
    cruise_kmh
        Cruise speed used.
    distance_method
        How ``seg_km`` was obtained: ``km_post``, ``length_prorated`` or ``geodesic_circuity``
        per segment.
    coords
        (lon, lat) of each stop, WGS84.
    scheduled
        True when user timetable times replaced part of the model.
    direction
        ``"both"`` or ``"forward"`` (trains only from ``stops[0]`` towards ``stops[-1]``).
    """

    id: str
    link_id: str
    mode: str
    name: str
    stops: tuple[str, ...]
    seg_km: tuple[float, ...]
    seg_min: tuple[float, ...]
    dwell_min: float
    headway_min: float
    cruise_kmh: float
    distance_method: tuple[str, ...]
    coords: tuple[tuple[float, float], ...] = field(default=())
    scheduled: bool = False
    direction: Literal["both", "forward"] = "both"

    def __post_init__(self) -> None:
        if self.direction not in ("both", "forward"):
            raise ArgumentError(f"RailService {self.id!r}: direction {self.direction!r}; "
                                "expected 'both' or 'forward'")

    def runs(self, a: str, b: str) -> bool:
        """Return True when trains of this service stop at *a* and then at *b*.

        Examples
        --------
        >>> s = RailService("x", "x", "intercity_rail", "X", ("a", "b", "c"), (1.0, 2.0),
        ...                 (3.0, 4.0), 1.0, 10.0, 100.0, ("km_post",) * 2,
        ...                 direction="forward")
        >>> s.runs("a", "c"), s.runs("c", "a")
        (True, False)
        """
        if a == b or a not in self.stops or b not in self.stops:
            return False
        return self.direction != "forward" or self.stops.index(a) < self.stops.index(b)

    def in_vehicle_min(self, a: str, b: str) -> float:
        """In-vehicle minutes between stops *a* and *b*, dwell included.

        The time along the pattern in either order; whether a train runs from *a* to
        *b* is :meth:`runs`.

        Examples
        --------
        >>> s = RailService("x", "x", "intercity_rail", "X", ("a", "b", "c"), (1.0, 2.0),
        ...                 (3.0, 4.0), 1.0, 10.0, 100.0, ("km_post",) * 2)
        >>> s.in_vehicle_min("c", "a")
        8.0
        """
        i, j = self.stops.index(a), self.stops.index(b)
        lo, hi = min(i, j), max(i, j)
        if lo == hi:
            return 0.0
        return float(sum(self.seg_min[lo:hi]) + self.dwell_min * (hi - lo - 1))

    def distance_km(self, a: str, b: str) -> float:
        """Track distance between stops *a* and *b* (km)."""
        i, j = self.stops.index(a), self.stops.index(b)
        lo, hi = min(i, j), max(i, j)
        return float(sum(self.seg_km[lo:hi]))


def _geodesic_km(s1: StopSpec, s2: StopSpec) -> float:
    return float(_GEOD.inv(s1.lon, s1.lat, s2.lon, s2.lat)[2]) / 1000.0


def stop_positions_km(spec: LinkSpec, params: RailParameters) -> tuple[np.ndarray, list[str]]:
    """Position (km along the line) of every stop of *spec*, and the method per gap.

    The distance model shared by rail services and expressway links (see
    :func:`_positions_km`).

    Examples
    --------
    >>> pos, methods = stop_positions_km(spec, RailParameters())  # doctest: +SKIP
    """
    return _positions_km(spec, params)


def _tables(tables: RailTables | None) -> RailTables:
    return tables if tables is not None else load_rail_tables()


def _positions_km(spec: LinkSpec, params: RailParameters,
                  tables: RailTables | None = None) -> tuple[np.ndarray, list[str]]:
    """Position (km along the line) of every stop of *spec*, and the method per gap.

    Per gap between consecutive placed stops: km posts when both ends have them; else
    the track distance measured on OpenStreetMap railway geometry
    (``geodata/rail_track_km.csv``, method ``osm_track``); else the geodesic × a factor:
    the link's published length minus the measured gaps, spread over the unmeasured
    gaps in proportion to their geodesic lengths (``length_prorated``, when that factor
    lies in ``prorate_range`` and the stop list spans the link), or ``circuity``
    (``geodesic_circuity``). Unplaced stops without km posts are put evenly between
    their placed neighbours.
    """
    tables = _tables(tables)
    stops = spec.stops
    placed = [i for i, s in enumerate(stops) if s.placed]
    pos = np.full(len(stops), np.nan)
    if len(placed) < 2:
        return pos, []
    pairs = list(itertools.pairwise(placed))
    geo = np.array([_geodesic_km(stops[i], stops[j]) for i, j in pairs])
    gap = np.full(len(pairs), np.nan)
    methods = [""] * len(pairs)
    for k, (i, j) in enumerate(pairs):
        ki, kj = stops[i].km_post, stops[j].km_post
        if not (math.isnan(ki) or math.isnan(kj)):
            gap[k], methods[k] = abs(kj - ki), "km_post"
            continue
        km = tables.track(spec.id, stops[i].stop_id, stops[j].stop_id)  # type: ignore[arg-type]
        if km is not None and km > 0:
            gap[k], methods[k] = km, "osm_track"
    todo = np.isnan(gap)
    spans = placed[0] == 0 and placed[-1] == len(stops) - 1
    factor, fallback = params.circuity, "geodesic_circuity"
    if todo.any() and spans and not math.isnan(spec.length_km):
        rest_geo = float(geo[todo].sum())
        rest = spec.length_km - float(np.nansum(gap))
        if rest_geo > 0 and params.prorate_range[0] <= rest / rest_geo <= params.prorate_range[1]:
            factor, fallback = rest / rest_geo, "length_prorated"
    for k in np.flatnonzero(todo).tolist():
        gap[k], methods[k] = geo[k] * factor, fallback
    pos[placed[0]] = 0.0
    for k, (i, j) in enumerate(pairs):
        pos[j] = pos[i] + gap[k]
        ki = stops[i].km_post
        for n, m in enumerate(range(i + 1, j), start=1):
            km = stops[m].km_post
            if not (math.isnan(km) or math.isnan(ki)) and methods[k] == "km_post":
                pos[m] = pos[i] + abs(km - ki)
            else:
                pos[m] = pos[i] + gap[k] * n / (j - i)
    return pos, methods


def _segment_cap(params: RailParameters, link_id: str, a: str, b: str) -> float | None:
    return params.segment_speed_kmh.get(f"{link_id}:{a}:{b}") or \
        params.segment_speed_kmh.get(f"{link_id}:{b}:{a}")


def profile_time_s(gaps: Sequence[tuple[float, float]], *, accel_ms2: float,
                   brake_ms2: float) -> float:
    """Non-stop run over consecutive track sections ``(metres, speed limit km/h)``.

    Start and stop follow the limit of the first and last section (trapezoid); each
    section is run at its limit. When the run is too short to reach the lowest limit
    it is a triangle (:func:`run_time_s`). Speed changes between sections are taken
    as instantaneous (the ramps are short against the sections here).

    Examples
    --------
    >>> profile_time_s([(10_000, 200)], accel_ms2=0.5, brake_ms2=0.5) == run_time_s(
    ...     10_000, cruise_kmh=200, accel_ms2=0.5, brake_ms2=0.5)
    True
    """
    d = sum(g for g, _ in gaps)
    if d <= 0:
        return 0.0
    v0, v1 = gaps[0][1] / 3.6, gaps[-1][1] / 3.6
    if d < v0 * v0 / (2 * accel_ms2) + v1 * v1 / (2 * brake_ms2) or len(gaps) == 1:
        return run_time_s(d, cruise_kmh=min(v for _, v in gaps), accel_ms2=accel_ms2,
                          brake_ms2=brake_ms2)
    return sum(g / (v / 3.6) for g, v in gaps) + v0 / (2 * accel_ms2) + v1 / (2 * brake_ms2)


def _gap_caps(spec: LinkSpec, params: RailParameters, tables: RailTables,
              speed_factor: float) -> list[float]:
    """Speed (km/h) on each gap between consecutive stops of *spec* (all stops listed)."""
    out = []
    for s1, s2 in itertools.pairwise(spec.stops):
        v = spec.cruise_kmh
        if s1.stop_id is not None and s2.stop_id is not None:
            for cap in (_segment_cap(params, spec.id, s1.stop_id, s2.stop_id),
                        tables.limit(spec.id, s1.stop_id, s2.stop_id, year=spec.as_of)):
                if cap is not None:
                    v = min(v, cap)
        out.append(v * speed_factor)
    return out


@dataclass
class _LinkGeom:
    spec: LinkSpec
    pos: np.ndarray
    methods: list[str]
    caps: list[float]  # speed factor of the link included
    index: dict[str, int]
    speed_factor: float = 1.0

    def method_between(self, i: int, j: int) -> str:
        placed = [k for k, s in enumerate(self.spec.stops) if s.placed]
        gm = {placed[k + 1]: self.methods[k] for k in range(len(self.methods))}
        ms = {gm[m] for m in placed if i < m <= j}
        return ms.pop() if len(ms) == 1 else "mixed"


def _geom(spec: LinkSpec, params: RailParameters, tables: RailTables,
          speed_factor: float) -> _LinkGeom:
    pos, methods = _positions_km(spec, params, tables)
    index = {s.stop_id: i for i, s in enumerate(spec.stops) if s.placed}
    return _LinkGeom(spec, pos, methods, _gap_caps(spec, params, tables, speed_factor),
                     index, speed_factor)  # type: ignore[arg-type]


def _run_between(g: _LinkGeom, i: int, j: int, *, halts_unplaced: bool,
                 prof: ModeProfile, dwell: float, margin: float) -> float:
    """Minutes from stop index *i* to *j* of one link (i < j or i > j), dwell at unplaced halts.

    *margin* is the line's timetable allowance (:func:`_line_margins`), added to the pure
    running time.
    """
    lo, hi = min(i, j), max(i, j)
    stops = g.spec.stops
    halts = [lo] + ([m for m in range(lo + 1, hi) if not stops[m].placed]
                    if halts_unplaced else []) + [hi]
    t = 0.0
    for u, v in itertools.pairwise(halts):
        gaps = [((g.pos[k + 1] - g.pos[k]) * 1000.0, g.caps[k]) for k in range(u, v)]
        t += profile_time_s(gaps, accel_ms2=prof.accel_ms2, brake_ms2=prof.brake_ms2)
    return t / 60.0 * (1.0 + margin) + dwell * (len(halts) - 2)


def _build_service(spec: LinkSpec, pattern: Sequence[int], *, sid: str, name: str,
                   headway: float, geom: _LinkGeom, params: RailParameters,
                   speed_factor: float, margins: Mapping[str, float],
                   dwell: float | None = None,
                   direction: Literal["both", "forward"] = "both") -> RailService:
    prof = params.profile(spec.mode)
    dwell = prof.dwell_min if dwell is None else dwell
    margin = margins.get(spec.id, prof.running_margin)
    stops = spec.stops
    placed_served = [i for i, s in enumerate(stops) if s.placed and s.served]
    all_stops = list(pattern) == placed_served
    seg_km, seg_min, seg_method = [], [], []
    for i, j in itertools.pairwise(pattern):
        seg_km.append(float(geom.pos[j] - geom.pos[i]))
        seg_min.append(_run_between(geom, i, j, halts_unplaced=all_stops, prof=prof,
                                    dwell=dwell, margin=margin))
        seg_method.append(geom.method_between(i, j))
    return RailService(
        id=sid, link_id=spec.id, mode=spec.mode, name=name,
        stops=tuple(stops[i].stop_id for i in pattern),  # type: ignore[misc]
        seg_km=tuple(seg_km), seg_min=tuple(seg_min), dwell_min=dwell,
        headway_min=float(headway), cruise_kmh=float(spec.cruise_kmh * speed_factor),
        distance_method=tuple(seg_method),
        coords=tuple((stops[i].lon, stops[i].lat) for i in pattern), direction=direction)


def _via_junctions(links: Sequence[_LinkGeom], a: str, b: str
                   ) -> tuple[list[tuple[float, float]], set[str]] | None:
    """Shortest run along *links* from stop *a* to stop *b*, changing lines at shared stops.

    For consecutive stops of a through pattern that lie on different links: the links
    meet at a station both list (e.g. Xiaojinkou, where the Dongguan-Huizhou line and
    its northern extension meet), and a train not calling there runs over both lines'
    track. Returns the sections ``(metres, km/h)`` in running order and the distance
    methods used, or None when the links do not meet.
    """
    import networkx as nx

    # node: a stop id (shared between links) or an unplaced stop of one link; the
    # parallel sections of two links between the same stops keep the shorter
    graph = nx.Graph()
    for g in links:
        stops = g.spec.stops
        placed = [k for k, st in enumerate(stops) if st.placed]
        gm = {placed[n + 1]: g.methods[n] for n in range(len(g.methods))}
        nodes = [st.stop_id if st.stop_id is not None else f"{g.spec.id}#{k}"
                 for k, st in enumerate(stops)]
        for k in range(len(stops) - 1):
            d = abs(float(g.pos[k + 1] - g.pos[k]) * 1000.0)
            if not math.isfinite(d):
                continue
            u, v = nodes[k], nodes[k + 1]
            if not graph.has_edge(u, v) or graph[u][v]["m_len"] > d:
                graph.add_edge(u, v, m_len=d, cap=g.caps[k],
                               method=gm.get(next((q for q in placed if q > k), -1), ""))
    try:
        path = nx.dijkstra_path(graph, a, b, weight="m_len")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
    if len(path) < 2:
        return None
    edges = [graph[u][v] for u, v in itertools.pairwise(path)]
    return [(e["m_len"], e["cap"]) for e in edges], {e["method"] for e in edges}


def _through_service(p: ServicePattern, geoms: dict[str, _LinkGeom], *,
                     params: RailParameters, tables: RailTables,
                     headway_min: Mapping[str, float],
                     margins: Mapping[str, float]) -> RailService | None:
    """Build the service of a pattern whose stops lie on one or several links.

    The service belongs to the link holding most of its stops (its ``link_id``); a
    headway edit of that link (*headway_min*) replaces the pattern's headway.

    A speed factor of a link applies to the train wherever it runs on that link's
    track: between two stops of one link (its caps), through a junction station of two
    links (each link's own caps), and on a connection between two links that share no
    station (:func:`_connection_factor`), e.g. the Guangzhou-Dongguan-Shenzhen trains
    from Guangzhou East on the Guangshen railway from Shipai to Xintang South.
    """
    links = [geoms[lk] for lk in p.link_ids]
    wanted = p.stops or ()
    stops = [s for s in wanted if any(s in g.index and g.spec.stops[g.index[s]].served
                                      for g in links)]
    if len(stops) < 2:
        return None
    # dwell and start/stop rates of the rolling stock of the line holding most stops
    main_geom = max(links, key=lambda g: sum(s in g.index for s in stops))
    main = main_geom.spec
    headway = headway_min.get(main.id, p.headway_min)
    prof = params.profile(main.mode)
    dwell = prof.dwell_min if p.dwell_min is None else p.dwell_min
    seg_km, seg_min, methods, coords = [], [], [], []
    for a, b in itertools.pairwise(stops):
        g = next((g for g in links if a in g.index and b in g.index), None)
        if g is not None:
            i, j = g.index[a], g.index[b]
            seg_km.append(float(abs(g.pos[j] - g.pos[i])))
            seg_min.append(_run_between(g, i, j, halts_unplaced=False, prof=prof,
                                        dwell=dwell,
                                        margin=margins.get(g.spec.id, prof.running_margin)))
            methods.append(g.method_between(min(i, j), max(i, j)))
            continue
        ga = next(g for g in links if a in g.index)
        gb = next(g for g in links if b in g.index)
        sa, sb = ga.spec.stops[ga.index[a]], gb.spec.stops[gb.index[b]]
        km = tables.track("+".join(p.link_ids), a, b)
        method = "osm_track"
        via = _via_junctions(links, a, b) if km is None else None
        if via is not None:
            # the train passes the station(s) where its links meet: a non-stop run along
            # the links' own track and speed limits
            gaps, ms = via
            seg_km.append(sum(g for g, _ in gaps) / 1000.0)
            seg_min.append(profile_time_s(gaps, accel_ms2=prof.accel_ms2,
                                          brake_ms2=prof.brake_ms2) / 60.0 * (
                                              1.0 + margins.get(main.id, prof.running_margin)))
            methods.append(ms.pop() if len(ms) == 1 else "mixed")
            continue
        if km is None:
            km, method = _geodesic_km(sa, sb) * params.circuity, "geodesic_circuity"
        v = min(ga.spec.cruise_kmh, gb.spec.cruise_kmh)
        # a limit on the connection itself (rail_speed_limits.csv row keyed "a+b")
        cap = tables.limit("+".join(p.link_ids), a, b, year=ga.spec.as_of)
        if cap is not None:
            v = min(v, cap)
        v *= _connection_factor(ga.speed_factor, gb.speed_factor)
        t = run_time_s(km * 1000.0, cruise_kmh=v, accel_ms2=prof.accel_ms2,
                       brake_ms2=prof.brake_ms2) / 60.0 * (
                           1.0 + margins.get(main.id, prof.running_margin))
        seg_km.append(float(km))
        seg_min.append(t)
        methods.append(method)
    for s in stops:
        g = next(g for g in links if s in g.index)
        st = g.spec.stops[g.index[s]]
        coords.append((st.lon, st.lat))
    return RailService(
        id=p.id, link_id=main.id, mode=main.mode, name=p.name, stops=tuple(stops),
        seg_km=tuple(seg_km), seg_min=tuple(seg_min), dwell_min=dwell,
        headway_min=float(headway),
        cruise_kmh=float(main.cruise_kmh * main_geom.speed_factor),  # as a one-line service's
        distance_method=tuple(methods), coords=tuple(coords), direction=p.direction)


def _connection_factor(fa: float, fb: float) -> float:
    """Speed factor of a connection between two links that share no station.

    The connection runs over the track of both links (Shipai - Xintang South: the
    Guangshen railway, then the Suishen line's connecting track) in shares the data do
    not give. A factor on either link applies to all of it, as on the link's own
    sections; with factors on both, the strongest slowdown and the strongest speed-up
    apply (once each, never compounded): the result lies between the two factors, as
    the true one does whatever the shares.

    Examples
    --------
    >>> _connection_factor(0.5, 1.0), _connection_factor(1.0, 1.25)
    (0.5, 1.25)
    >>> _connection_factor(0.5, 0.8), _connection_factor(0.8, 1.25)
    (0.5, 1.0)
    """
    return min(fa, fb, 1.0) * max(fa, fb, 1.0)


def _line_margins(params: RailParameters, tables: RailTables) -> dict[str, float]:
    """Timetable allowance per link: ``params.margin_by_link`` over ``rail_margins.csv``.

    A link in neither runs with its mode's ``running_margin``.
    """
    return {**tables.margins, **params.margin_by_link}


def build_services(specs: Iterable[LinkSpec], *, params: RailParameters | None = None,
                   speed_factors: Mapping[str, float] | None = None,
                   headway_min: Mapping[str, float] | None = None,
                   scheduled: Iterable[ScheduledTime] = (),
                   tables: RailTables | None = None) -> list[RailService]:
    """Build the services of rail link specs: the bundled patterns, or all-stops.

    A link with patterns in ``geodata/services.csv`` (:func:`load_rail_tables`) gets
    the patterns that run in its ``as_of`` year (all-stops, express, non-stop, and
    through services running over several links when all of them are in service),
    serving only stops open that year. A link without patterns gets one all-stops
    service (plus ``params.express_stops``).

    Parameters
    ----------
    specs
        Rail :class:`LinkSpec` objects (see :func:`link_specs_from_corridor`).
    params
        Model parameters (defaults: :class:`RailParameters`).
    speed_factors
        Link id -> factor applied to the cruise speed (scenario edits).
    headway_min
        Link id -> headway (minutes), overriding ``params`` and the patterns of that
        link: those whose service belongs to it (``RailService.link_id``; a through
        pattern belongs to the link holding most of its stops).
    scheduled
        User station-to-station times that override the model (:func:`read_scheduled_times`).
    tables
        The rail tables (default: the bundled ones).

    Returns
    -------
    list of RailService
        Sorted by id. Links with fewer than two placed stops are skipped.

    Examples
    --------
    >>> spec = LinkSpec("l", "L", "intercity_rail",
    ...                 (StopSpec("a", "A", 114.0, 22.5), StopSpec("b", "B", 114.1, 22.5)),
    ...                 cruise_kmh=160.0)
    >>> [s.stops for s in build_services([spec])]
    [('a', 'b')]
    """
    params = params or RailParameters()
    tables = _tables(tables)
    margins = _line_margins(params, tables)
    speed_factors = dict(speed_factors or {})
    headway_min = dict(headway_min or {})
    services: list[RailService] = []
    specs = list(specs)
    geoms: dict[str, _LinkGeom] = {}
    for spec in specs:
        if sum(s.placed for s in spec.stops) >= 2:
            geoms[spec.id] = _geom(spec, params, tables,
                                   float(speed_factors.get(spec.id, 1.0)))
    for spec in specs:
        geom = geoms.get(spec.id)
        if geom is None:
            continue
        served = [i for i, s in enumerate(spec.stops) if s.placed and s.served]
        if len(served) < 2:
            continue
        prof = params.profile(spec.mode)
        factor = float(speed_factors.get(spec.id, 1.0))
        patterns = [p for p in tables.patterns_for(spec.id)
                    if spec.speed_source != "edit"]
        if patterns:
            for p in patterns:
                if not p.runs_in(spec.as_of) or not all(lk in geoms for lk in p.link_ids):
                    continue
                if p.stops is None:
                    svc: RailService | None = _build_service(
                        spec, served, sid=p.id, name=p.name,
                        headway=headway_min.get(spec.id, p.headway_min), geom=geom,
                        params=params, speed_factor=factor, margins=margins,
                        dwell=p.dwell_min, direction=p.direction)
                else:
                    # a headway edit applies to the patterns of the link they belong to
                    # (the service's link_id), not to those listing the link first
                    svc = _through_service(p, geoms, params=params, tables=tables,
                                           headway_min=headway_min, margins=margins)
                if svc is not None and len(svc.stops) >= 2:
                    services.append(svc)
            continue
        express = params.express_stops.get(spec.id)
        ids_at = {spec.stops[i].stop_id: i for i in served}
        has_express = bool(express) and all(s in ids_at for s in express or ()) \
            and len(express or ()) >= 2
        if has_express and spec.id not in headway_min:
            hw = params.stopping_headway_min.get(spec.id, prof.headway_min)
        else:
            hw = headway_min.get(spec.id, spec.headway_min or params.headway_by_link.get(
                spec.id, prof.headway_min))
        services.append(_build_service(spec, served, sid=spec.id, name=spec.name,
                                       headway=hw, geom=geom, params=params,
                                       speed_factor=factor, margins=margins))
        if has_express:
            pattern = sorted(ids_at[s] for s in express or ())
            ehw = headway_min.get(spec.id, params.express_headway_min.get(
                spec.id, prof.headway_min))
            services.append(_build_service(
                spec, pattern, sid=f"{spec.id}/express", name=f"{spec.name} (express)",
                headway=ehw, geom=geom, params=params, speed_factor=factor,
                margins=margins))
    services = _apply_scheduled(services, list(scheduled))
    return sorted(services, key=lambda s: s.id)


# --------------------------------------------------------------------------- user timetables

@dataclass(frozen=True)
class ScheduledTime:
    """A user-supplied station-to-station in-vehicle time (minutes) on a link (optional)."""

    from_id: str
    to_id: str
    minutes: float
    link_id: str | None = None


def read_scheduled_times(path: str | Path, *, resolve: Any = None) -> list[ScheduledTime]:
    """Read a CSV of scheduled times ``from,to,minutes[,link_id]`` (extra columns ignored).

    Parameters
    ----------
    path
        The CSV file (UTF-8, header row).
    resolve
        Optional callable mapping a name or id to a station id (e.g. ``corridor.resolve``).

    Examples
    --------
    >>> read_scheduled_times("times.csv", resolve=corridor.resolve)  # doctest: +SKIP
    [ScheduledTime(from_id='st_gz_south', to_id='st_sz_north', minutes=34.0, link_id=None)]
    """
    path = Path(path)
    out = []
    for n, row in enumerate(read_travel_times(path), start=1):
        ends = []
        for f, value in (("from", row.from_), ("to", row.to)):
            try:
                ends.append(resolve(value) if resolve else value)
            except UnknownIdError as exc:
                raise DataValidationError(str(exc), path=path, row=n, field=f) from None
        out.append(ScheduledTime(ends[0], ends[1], row.minutes, row.link_id))
    return out


#: How far (minutes) a user's time may differ from what shorter rows of the same file
#: already give for the same trains (timetables give whole minutes).
SCHEDULED_TOLERANCE_MIN = 1.0


def _apply_scheduled(services: list[RailService],
                     times: list[ScheduledTime]) -> list[RailService]:
    """Rescale the modelled segments between two stops so that they sum to the user's time.

    Every row holds together, whatever their order: on each service the rows are applied
    from the shortest span of stops to the longest, and a row rescales only the segments
    no shorter row has set (so Guangzhou South - Humen 18 and Guangzhou South - Shenzhen
    North 36 give both figures; before, the row read last rescaled the segments of the
    other). A row whose segments are all set by shorter rows must agree with them within
    :data:`SCHEDULED_TOLERANCE_MIN`; a row leaving no running time is an error.
    """
    if not times:
        return services
    out = list(services)
    # (service index) -> [(span length, lo, hi, row)]
    rows: dict[int, list[tuple[int, int, int, ScheduledTime]]] = {}
    for t in times:
        hit = False
        for k, svc in enumerate(out):
            if (t.link_id is not None and svc.link_id != t.link_id) or \
                    not svc.runs(t.from_id, t.to_id):
                continue
            i, j = svc.stops.index(t.from_id), svc.stops.index(t.to_id)
            lo, hi = min(i, j), max(i, j)
            if lo == hi:  # from and to are one station: nothing to rescale
                continue
            rows.setdefault(k, []).append((hi - lo, lo, hi, t))
            hit = True
        if not hit:
            raise DataValidationError(
                f"no rail service stops at both {t.from_id} and {t.to_id}"
                + (f" on link {t.link_id}" if t.link_id else ""), field="from,to")
    for k, spans in rows.items():
        svc = out[k]
        seg = list(svc.seg_min)
        fixed: set[int] = set()
        for _, lo, hi, t in sorted(spans, key=lambda r: (r[0], r[1])):
            what = f"{t.from_id} - {t.to_id} {t.minutes:g} min (service {svc.id})"
            dwell = svc.dwell_min * (hi - lo - 1)
            free = [m for m in range(lo, hi) if m not in fixed]
            target = t.minutes - dwell - sum(seg[m] for m in range(lo, hi) if m in fixed)
            if not free:
                if abs(target) > SCHEDULED_TOLERANCE_MIN:
                    raise DataValidationError(
                        f"{what}: the shorter rows between these stops already give "
                        f"{t.minutes - target:.1f} min; expected times that add up (within "
                        f"{SCHEDULED_TOLERANCE_MIN:g} min, dwell {svc.dwell_min:g} min a stop)",
                        field="minutes")
                continue
            if target <= 0:
                raise DataValidationError(
                    f"{what}: leaves no running time after {t.minutes - target:.1f} min of "
                    "stops and shorter rows; expected a longer time", field="minutes")
            modelled = sum(seg[m] for m in free)
            scale = target / modelled if modelled > 0 else 1.0
            for m in free:
                seg[m] = seg[m] * scale
            fixed.update(free)
        out[k] = dataclasses.replace(svc, seg_min=tuple(seg), scheduled=True)
    return out
