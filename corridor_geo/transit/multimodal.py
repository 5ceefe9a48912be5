"""The multimodal network: rail services and expressways joined to street networks.

Layers
------
* **drive**: the street network (travel times from :mod:`corridor_geo.speeds`), plus the
  expressway links, reachable only at their interchanges (``kind == "interchange"``);
* **walk**: a walk network, or any street network walked at ``walk_kmh`` (one-way
  restrictions ignored); none is available offline at corridor scale;
* **rail**: station entry/exit nodes and, per service and direction, arrival/departure
  nodes at every stop; boarding costs the waiting time, changing trains at a shared
  station costs ``transfer_min`` plus the new service's waiting time.

Access to a station (or from it to the destination) depends on the named transit mode
(``corridor_geo.transit._legs.LEG_MODES``): ``"transit"`` walks at both ends;
``"park_and_ride"`` drives to the boarding station (parking ``park_min``) and walks
from the alighting one. A leg goes through the street network when both ends snap to
it within ``max_snap_*_m``, otherwise by the documented **fallback**: straight-line
distance × circuity at a mode speed. Outputs label every
access and egress leg (``walk_network``, ``walk_fallback``, ``drive_network``,
``drive_fallback``, ``at_station``). All parameters: :class:`MultimodalParameters` and
``docs/rail_model.md``.

Examples
--------
>>> from corridor_geo.corridor import load_corridor  # doctest: +SKIP
>>> mm = MultimodalNetwork.build(load_corridor(), street=False)  # doctest: +SKIP
>>> mm.rail_times("st_gz_south", "st_sz_north")["in_vehicle"]  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat

from corridor_geo import _roads
from corridor_geo._args import check_as_of, check_has, check_point
from corridor_geo._rail_tables import RailTables, check_references, load_rail_tables
from corridor_geo.errors import ArgumentError, DataValidationError, UnknownIdError
from corridor_geo.network import Network, csr_from_edges
from corridor_geo.rail import (
    LinkSpec,
    ModeProfile,
    RailParameters,
    RailService,
    ScheduledTime,
    StopSpec,
    active_link_ids,
    build_services,
    link_specs_from_corridor,
    stop_positions_km,
)
from corridor_geo.routing import (
    Graph,
    SnapResult,
    path_from_predecessors,
    shortest_times,
    snap_points,
)

if TYPE_CHECKING:
    from corridor_geo.corridor import Corridor

__all__ = [
    "MultimodalNetwork",
    "MultimodalParameters",
    "NetworkEdits",
    "NewLink",
    "StreetLayer",
    "new_link_stop_problem",
    "walk_layer",
]

WAIT, IVT, TRANSFER, FREE = 1, 2, 3, 4


class MultimodalParameters(BaseModel):
    """Parameters joining the layers (sources and reasoning in ``docs/rail_model.md``).

    Parameters
    ----------
    rail
        The rail model (:class:`~corridor_geo.rail.RailParameters`).
    walk_kmh, walk_circuity
        Walking speed and the street/straight-line ratio of the walk fallback.
    max_walk_km
        Longest walk offered for access or egress (distance walked).
    drive_fallback_kmh, drive_circuity
        Mean door-to-door car speed and circuity of the drive fallback.
    connector_walk_kmh, connector_drive_kmh
        Speeds on the straight connector from a point to its nearest network node.
    max_snap_walk_m, max_snap_drive_m
        A point farther than this from every node is *not covered* by that network and
        uses the fallback.
    max_drive_leg_km
        Longest straight-line distance of a car access or egress leg of a transit trip
        (beyond it the trip is a drive trip, not transit).
    park_min
        Parking and walking to the station entrance (car access, and drive trips).
    pickup_min
        Waiting for a taxi / ride-hailing car at the station (a car egress leg; none of
        the named transit modes has one at present: both end on foot).
    expressway_condition
        ``"free_flow"`` or ``"congested"`` expressway speeds.
    expressway_free_flow_kmh, expressway_congested_kmh
        Speeds per expressway link id; free flow defaults to the link's typical speed
        in ``geodata/expressways.csv`` (the same as on the default street network),
        else its operating (posted) speed; congested to the corridor's ``congested_kmh``
        (``corridor.yaml``), else ``congested_factor`` × free flow.
    congested_factor
        Congested / free-flow speed ratio when no congested speed is given.
    ramp_min
        Time to enter or leave an expressway at an interchange.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rail: RailParameters = Field(default_factory=RailParameters)
    walk_kmh: PositiveFloat = 4.8
    walk_circuity: float = Field(default=1.3, ge=1.0)
    max_walk_km: PositiveFloat = 2.5
    drive_fallback_kmh: PositiveFloat = 35.0
    drive_circuity: float = Field(default=1.3, ge=1.0)
    connector_walk_kmh: PositiveFloat = 4.8
    connector_drive_kmh: PositiveFloat = 20.0
    max_snap_walk_m: PositiveFloat = 500.0
    max_snap_drive_m: PositiveFloat = 3000.0
    max_drive_leg_km: PositiveFloat = 50.0
    park_min: float = Field(default=8.0, ge=0)
    pickup_min: float = Field(default=5.0, ge=0)
    expressway_condition: Literal["free_flow", "congested"] = "free_flow"
    expressway_free_flow_kmh: dict[str, PositiveFloat] = Field(default_factory=dict)
    # default: the corridor's facts (expressways.<id>.congested_kmh in corridor.yaml)
    expressway_congested_kmh: dict[str, PositiveFloat] = Field(default_factory=dict)
    congested_factor: float = Field(default=0.7, gt=0, le=1)
    ramp_min: float = Field(default=1.0, ge=0)


# --------------------------------------------------------------------------- edits

@dataclass(frozen=True)
class NewLink:
    """A link added by a scenario.

    Parameters
    ----------
    id, name, mode
        Identification; ``mode`` is a rail mode (or ``"metro"``, ``"expressway"``).
    stops
        Ordered stops: station ids of the corridor or ``(name, lon, lat)`` tuples (WGS84).
    operating_speed_kmh
        Cruise speed (default: the mode's default design speed × operating factor).
    headway_min
        Headway (default: the mode's).
    """

    id: str
    name: str
    mode: str
    stops: tuple[str | tuple[str, float, float], ...]
    operating_speed_kmh: float | None = None
    headway_min: float | None = None

    def __post_init__(self) -> None:
        stops = tuple(s if isinstance(s, str) else tuple(s) for s in self.stops)
        object.__setattr__(self, "stops", stops)


@dataclass(frozen=True)
class NetworkEdits:
    """Changes to the bundled network, as made by a scenario.

    Parameters
    ----------
    enable_links
        Link ids switched on regardless of status and ``as_of`` (planned lines).
    close_links
        Link ids switched off.
    add_links
        New links (:class:`NewLink` or mappings with its fields).
    speed_factors
        ``{link id or road class: factor}``; a link id scales its cruise speed, a road
        class (OSM ``highway`` value) scales the street speeds and the expressway links
        of that class (the class of their road on the street network).
    headway_min
        ``{link id: minutes}``: the headway of every service of that link
        (``RailService.link_id``, through services included).

    Examples
    --------
    >>> e = NetworkEdits(close_links=["gsh_xrl"], headway_min={"suishen_icr": 20})
    >>> e.close_links
    ('gsh_xrl',)
    """

    enable_links: tuple[str, ...] = ()
    close_links: tuple[str, ...] = ()
    add_links: tuple[NewLink, ...] = ()
    speed_factors: Mapping[str, float] = field(default_factory=dict)
    headway_min: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "enable_links", tuple(self.enable_links))
        object.__setattr__(self, "close_links", tuple(self.close_links))
        object.__setattr__(self, "add_links", tuple(
            a if isinstance(a, NewLink) else NewLink(**dict(a)) for a in self.add_links))
        for what, mapping in (("speed factor", self.speed_factors),
                              ("headway", self.headway_min)):
            for k, v in mapping.items():
                if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                    raise DataValidationError(f"{what} for {k!r} must be a positive number, "
                                              f"got {v!r}", field=str(k))


def _expressway_class_factors(net: Network, link_ids: Sequence[str], *,
                             road_names: Mapping[str, Sequence[str]],
                             road_factors: Mapping[str, float]) -> dict[str, float]:
    """Road-class speed factor of each expressway link of the drive layer.

    A scenario's factor on a road class (``expressway: 0.6``) slows the street edges of
    that class; the expressway links, drawn in the drive layer alongside their street
    edges, must slow alike or drivers bypass the congestion on them. A link's class is
    the ``highway`` value carrying most of the length of the street edges named by its
    road names (``expressways.<id>.road_names`` in ``geodata/corridor.yaml``); a link
    with no named edge (a new expressway, or a network without those names) takes the
    class carrying most of the length of all the links' named edges.

    Parameters
    ----------
    net
        The street network (its ``highway``, ``name`` and ``length_m``).
    link_ids
        The expressway links of the drive layer.
    road_names
        ``{link id: road names}``.
    road_factors
        ``{road class: factor}``.

    Returns
    -------
    dict
        ``{link id: factor}`` for the links whose class has a factor.

    Examples
    --------
    >>> _expressway_class_factors(net, ["gs_expressway"],  # doctest: +SKIP
    ...     road_names={"gs_expressway": ["Guangshen Expressway"]},
    ...     road_factors={"expressway": 0.6})
    {'gs_expressway': 0.6}
    """
    if not road_factors or not link_ids:
        return {}
    highway = np.asarray(net.highway, dtype=str)
    names = np.asarray(net.name, dtype=str)
    length = np.asarray(net.length_m, dtype=np.float64)

    def dominant(mask: np.ndarray) -> str | None:
        if not mask.any():
            return None
        classes, inv = np.unique(highway[mask], return_inverse=True)
        return str(classes[int(np.argmax(np.bincount(inv, weights=length[mask])))])

    masks = {lid: np.isin(names, list(n)) for lid, n in road_names.items() if n}
    any_named = np.zeros(len(names), dtype=bool)
    for m in masks.values():
        any_named |= m
    fallback = dominant(any_named)
    out: dict[str, float] = {}
    for lid in link_ids:
        mask = masks.get(lid)
        cls = (dominant(mask) if mask is not None else None) or fallback
        if cls is not None and cls in road_factors:
            out[lid] = float(road_factors[cls])
    return out


def new_link_stop_problem(mode: str, stop_id: str, kinds: dict[str, str]) -> str | None:
    """Return what is wrong with an existing stop named for a new link of *mode*, or None.

    A new expressway runs between interchanges, a new rail link between railway
    stations; anything else (a platform, a district, the other kind of stop) must be
    given as a new point with coordinates.

    Parameters
    ----------
    mode
        The new link's mode (``"expressway"`` or a rail mode).
    stop_id
        The stop's id, as resolved from the corridor.
    kinds
        ``kind`` per id of the corridor's stations (``"station"`` or ``"interchange"``).

    Returns
    -------
    str or None
        The problem in words, or None if the stop fits.

    Examples
    --------
    >>> new_link_stop_problem("expressway", "st_x", {"st_x": "station"})[:30]
    "'st_x' is a railway station; a"
    """
    want = "interchange" if mode == "expressway" else "station"
    what = "an expressway's stops are its interchanges" if want == "interchange" \
        else "a rail link's stops are railway stations"
    got = kinds.get(stop_id)
    if got == want:
        return None
    is_ = {"station": "a railway station", "interchange": "an expressway interchange"}.get(
        str(got), "not a station or interchange")
    return (f"{stop_id!r} is {is_}; {what} (or new points given as name, lon, lat)")


def _check_new_link_stops(corridor: Corridor, edits: NetworkEdits) -> None:
    """Raise on a new link's stop that is not a stop of its kind (see above)."""
    kinds = dict(zip(corridor.stations["id"], corridor.stations["kind"], strict=True))
    polygon = getattr(corridor, "polygon", None)  # stand-in corridors may have none
    for a in edits.add_links:
        for n, stop in enumerate(a.stops):
            problem = new_link_stop_problem(a.mode, stop, kinds) \
                if isinstance(stop, str) else None
            if not isinstance(stop, str) and len(stop) == 3:
                try:  # near the corridor, as matrices and extra nodes require
                    check_point(stop[1], stop[2], polygon=polygon, what=f"({stop[0]!r})")
                except ArgumentError as exc:
                    problem = str(exc)
            if problem:
                raise DataValidationError(f"link {a.id}: stop {n + 1}: {problem}",
                                          field="add_links")


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_").lower() or "stop"


# --------------------------------------------------------------------------- layers

@dataclass
class StreetLayer:
    """A street layer of the multimodal network: a routing graph and how points join it.

    The graph is a :class:`~corridor_geo.routing.Graph`.

    Attributes
    ----------
    graph
        The routing graph (for the drive layer: streets + expressway links joined at
        interchange nodes, which follow the ``graph.n_snap`` street nodes).
    max_snap_m
        A point farther than this from the graph is not covered (the fallback is used).
    connector_ms
        Speed (m/s) on the straight connector from a point to its snapped node.
    """

    graph: Graph
    max_snap_m: float
    connector_ms: float

    @property
    def name(self) -> str:
        """Layer name (``"drive"`` or ``"walk"``)."""
        return self.graph.name

    @property
    def time(self) -> sp.csr_array:
        """CSR travel times (s)."""
        return self.graph.time

    @property
    def length(self) -> sp.csr_array:
        """CSR lengths (m)."""
        return self.graph.length

    @property
    def lon(self) -> np.ndarray:
        """Node longitudes (WGS84)."""
        return self.graph.lon

    @property
    def lat(self) -> np.ndarray:
        """Node latitudes (WGS84)."""
        return self.graph.lat

    @property
    def n_street(self) -> int:
        """Number of street nodes (the snapping candidates)."""
        return self.graph.n_snap

    @classmethod
    def from_network(cls, net: Network, *, name: str, time_s: np.ndarray | None,
                     max_snap_m: float, connector_kmh: float, symmetric: bool) -> StreetLayer:
        """Layer of a street network (see :meth:`~corridor_geo.routing.Graph.from_network`)."""
        return cls(Graph.from_network(net, time_s=time_s, symmetric=symmetric, name=name),
                   max_snap_m, connector_kmh / 3.6)

    def snap(self, lon: Any, lat: Any) -> SnapResult:
        """Nearest node and distance (m) per point (:func:`~corridor_geo.routing.snap_points`).

        Never raises: the caller compares ``distance_m`` with :attr:`max_snap_m`.
        """
        return snap_points(self.graph, lon, lat, max_distance_m=math.inf)


def walk_layer(net: Network, params: MultimodalParameters) -> StreetLayer:
    """Return the walk layer of *net*: its edges both ways at ``walk_kmh`` (one rule).

    Used for the walk legs of matrices and for every walk of a transit catchment
    (access, and the walk from the alighting station), so the two agree.

    Examples
    --------
    >>> layer = walk_layer(load_network("default", network_type="walk"),  # doctest: +SKIP
    ...                    MultimodalParameters())
    """
    wt = np.asarray(net.length_m, float) / (params.walk_kmh / 3.6)
    return StreetLayer.from_network(net, name="walk", time_s=wt,
                                    max_snap_m=params.max_snap_walk_m,
                                    connector_kmh=params.connector_walk_kmh, symmetric=True)


def _check_build_args(corridor: Any, *, street: Any, walk: Any, edits: Any,
                      params: Any) -> None:
    """Refuse arguments of :meth:`MultimodalNetwork.build` of the wrong kind."""
    check_has(corridor, ("links", "link_stops", "stations"), name="corridor",
              what="a Corridor (load_corridor())")
    for name, net in (("street", street), ("walk", walk)):
        if net is not None and net is not False:
            check_has(net, ("source", "target", "length_m", "travel_time_s"), name=name,
                      what="a Network (load_network()), False or None")
    if edits is not None and not isinstance(edits, NetworkEdits):
        raise ArgumentError(f"edits must be a NetworkEdits or None, got {type(edits).__name__}")
    if params is not None and not isinstance(params, MultimodalParameters | RailParameters):
        raise ArgumentError("params must be MultimodalParameters, RailParameters or None, "
                            f"got {type(params).__name__}")


class MultimodalNetwork:
    """Rail, expressways and streets joined into one model (build with :meth:`build`).

    Attributes
    ----------
    corridor
        The :class:`~corridor_geo.corridor.Corridor` it was built from.
    params
        :class:`MultimodalParameters`.
    edits
        The :class:`NetworkEdits` applied.
    as_of
        Year selecting the links in service (None: all open links).
    services
        The rail services (:class:`~corridor_geo.rail.RailService`).
    stations
        DataFrame of served stations: ``id, name, lon, lat, entry_min, exit_min``.
    link_ids
        Ids of the links in service (rail and expressway).
    skipped_links
        ``{link id: reason}`` for links in service that could not be modelled (e.g.
        fewer than two stops with coordinates).
    drive, walk
        Street layers (:class:`StreetLayer`; ``None`` when absent: every leg on that
        mode uses the fallback).
    rail
        The rail layer, a :class:`~corridor_geo.routing.Graph`: station entry nodes
        ``0..n-1``, exit nodes ``n..2n-1`` (``n = len(stations)``), then per service and
        direction arrival and departure nodes.
    rail_station_minutes
        ``(n, n)`` fastest rail minutes from station entry *i* (after entry) to
        station exit *j* (before exit): wait + in-vehicle + transfers; ``inf`` on the
        diagonal (a transit trip uses at least one train) and where unreachable.
    """

    def __init__(self) -> None:  # use build()
        self.corridor: Corridor | None = None
        self.params = MultimodalParameters()
        self.edits = NetworkEdits()
        self.as_of: int | None = None
        self.services: list[RailService] = []
        self.expressways: list[LinkSpec] = []
        self.stations = pd.DataFrame()
        self.link_ids: list[str] = []
        self.skipped_links: dict[str, str] = {}
        self.drive: StreetLayer | None = None
        self.walk: StreetLayer | None = None
        self.rail: Graph | None = None
        self.rail_station_minutes: np.ndarray = np.zeros((0, 0))
        self._exp_factor: dict[str, float] = {}
        self._st_index: dict[str, int] = {}
        self._rail_cat = sp.csr_array((0, 0))
        self._rail_node_station = np.zeros(0, dtype=np.int64)
        self._rail_pred = np.zeros((0, 0), dtype=np.int32)
        self._rail_cache: dict[tuple[int, int], dict[str, Any]] = {}

    def __repr__(self) -> str:
        return (f"MultimodalNetwork(as_of={self.as_of}, services={len(self.services)}, "
                f"stations={len(self.stations)}, expressways={len(self.expressways)}, "
                f"drive={'yes' if self.drive else 'fallback'}, "
                f"walk={'yes' if self.walk else 'fallback'})")

    def _repr_html_(self) -> str:
        from corridor_geo._repr import summary_html

        return summary_html("MultimodalNetwork", [
            ("as_of", self.as_of), ("rail services", len(self.services)),
            ("stations", len(self.stations)), ("expressways", len(self.expressways)),
            ("links in service", len(self.link_ids)),
            ("links not modelled", sorted(self.skipped_links) or None),
            ("drive layer", "street network" if self.drive else "fallback"),
            ("walk layer", "street network" if self.walk else "fallback"),
        ])

    # ------------------------------------------------------------------ build
    @classmethod
    def build(cls, corridor: Corridor, *, street: Network | Literal[False] | None = None,
              walk: Network | Literal[False] | None = None,
              edits: NetworkEdits | None = None,
              params: MultimodalParameters | RailParameters | None = None,
              as_of: int | None = None,
              scheduled: Sequence[ScheduledTime] = (),
              timetable: Sequence[RailService] = ()) -> MultimodalNetwork:
        """Build the multimodal network of *corridor*.

        Parameters
        ----------
        corridor
            A :class:`~corridor_geo.corridor.Corridor`.
        street
            Drive :class:`~corridor_geo.network.Network`; ``None`` loads the default
            of the network's year (``load_network(source="default",
            network_type="drive", as_of=as_of)``: expressway sections opened later are
            not recognised); ``False`` means no drive network (every car leg uses the
            fallback).
        walk
            Walk network, or any street network to be walked at ``walk_kmh``
            (:func:`walk_layer`); ``None`` loads the default
            (``load_network(source="default", network_type="walk", as_of=as_of)``);
            ``False`` means
            no walk network (every walk leg uses the fallback).
        edits
            :class:`NetworkEdits` (scenario).
        params
            :class:`MultimodalParameters` (or just :class:`~corridor_geo.rail.RailParameters`).
        as_of
            Year; default ``corridor.as_of``.
        scheduled
            User station-to-station times overriding the rail model.
        timetable
            Services read from a GTFS feed (:func:`corridor_geo.gtfs.read_gtfs`): they
            replace the modelled services of every link they cover.

        Returns
        -------
        MultimodalNetwork

        Examples
        --------
        >>> mm = MultimodalNetwork.build(corridor, street=False,  # doctest: +SKIP
        ...     edits=NetworkEdits(enable_links=["gz_sz_2nd_hsr"]))
        """
        _check_build_args(corridor, street=street, walk=walk, edits=edits, params=params)
        as_of = check_as_of(as_of)
        self = cls()
        if isinstance(params, RailParameters):
            params = MultimodalParameters(rail=params)
        self.params = params = params or MultimodalParameters()
        self.edits = edits = edits or NetworkEdits()
        self.corridor = corridor
        self.as_of = corridor.as_of if as_of is None else as_of
        rp = params.rail
        links = corridor.links
        link_set = set(links["id"])
        self.link_ids = active_link_ids(links, as_of=self.as_of, enable=edits.enable_links,
                                        close=edits.close_links)
        rail_factors = {k: v for k, v in edits.speed_factors.items() if k in link_set
                        or k in {a.id for a in edits.add_links}}
        road_factors = {k: v for k, v in edits.speed_factors.items() if k not in rail_factors}
        specs = link_specs_from_corridor(corridor, params=rp, modes=(*rp.modes, "expressway"),
                                         link_ids=self.link_ids, as_of=self.as_of)
        _check_new_link_stops(corridor, edits)
        specs += [self._new_link_spec(a, rp) for a in edits.add_links]
        for a in edits.add_links:
            self.link_ids.append(a.id)
        rail_specs = [s for s in specs if s.mode != "expressway"]
        for s in specs:
            n_placed = sum(st.placed for st in s.stops)
            if n_placed < 2:
                missing = [st.name for st in s.stops if not st.placed]
                self.skipped_links[s.id] = (
                    f"fewer than two stops with coordinates (unplaced: {', '.join(missing)})")
            if s.mode not in (*rp.modes, "expressway"):
                raise DataValidationError(f"link {s.id}: unknown mode {s.mode!r}; expected "
                                          f"one of {[*rp.modes, 'expressway']}", field="mode")
        for lid in edits.enable_links:
            if lid in self.skipped_links:
                raise DataValidationError(
                    f"link {lid} cannot be switched on: {self.skipped_links[lid]}; add it with "
                    "NetworkEdits.add_links giving (name, lon, lat) for those stops",
                    field="enable_links")
        self.services = build_services(rail_specs, params=rp, speed_factors=rail_factors,
                                       headway_min=edits.headway_min, scheduled=scheduled,
                                       tables=self._rail_tables())
        if timetable:
            covered = {s.link_id for s in timetable}
            self.services = sorted([s for s in self.services if s.link_id not in covered]
                                   + list(timetable), key=lambda s: s.id)
        self.expressways = [s for s in specs if s.mode == "expressway"
                            and s.id not in self.skipped_links]
        self._build_stations(specs)
        # after _build_stations: it adds the new expressways whose interchanges it placed
        self._exp_factor = {s.id: float(rail_factors.get(s.id, 1.0)) for s in self.expressways}
        self._build_rail()
        # street layers
        if street is None:
            from corridor_geo.graph import load_network

            # the network's year: expressway sections not open then are not recognised
            street = load_network(source="default", network_type="drive", as_of=self.as_of)
        if street is not False:
            if road_factors:
                from corridor_geo.speeds import apply_speed_factors

                street = apply_speed_factors(street, by_class=road_factors)
            self._build_drive(street, road_factors=road_factors)
        if walk is None:
            from corridor_geo.graph import load_network

            walk = load_network(source="default", network_type="walk", as_of=self.as_of)
        if walk is not False:
            self.walk = walk_layer(walk, params)
        return self

    @staticmethod
    def _new_link_spec(a: NewLink, rp: RailParameters) -> LinkSpec:
        stops = []
        for n, s in enumerate(a.stops):
            if isinstance(s, str):
                stops.append(StopSpec(s, s))  # placed later from the corridor's stations
            else:
                if len(s) != 3:
                    raise DataValidationError(f"link {a.id}: stop {n + 1} must be a station id "
                                              "or (name, lon, lat)", field="stops")
                name, lon, lat = s
                stops.append(StopSpec(f"{a.id}:{_slug(str(name))}", str(name), float(lon),
                                      float(lat)))
        if a.operating_speed_kmh is not None:
            cruise = float(a.operating_speed_kmh)
        elif a.mode == "expressway":
            cruise = 100.0
        else:
            prof = rp.profile(a.mode)
            cruise = prof.default_design_kmh * prof.operating_factor
        return LinkSpec(a.id, a.name, a.mode, tuple(stops), cruise, headway_min=a.headway_min,
                        speed_source="edit")

    def _rail_tables(self) -> RailTables:
        """Rail tables (services, track km, speed limits) of the corridor's data folder.

        A corridor loaded from another folder (``load_corridor(geodata_dir=...)``) runs
        that folder's services; a folder without them has none (every link all-stops).
        """
        data = getattr(self.corridor, "_data", None)  # stand-in corridors have no data
        tables = load_rail_tables(getattr(data, "folder", None))
        if data is not None:
            check_references(tables, data.link_stops)
        return tables

    def _build_stations(self, specs: list[LinkSpec]) -> None:
        assert self.corridor is not None  # set by build()
        st = self.corridor.stations
        geo = dict(zip(st["id"], st.geometry, strict=True))
        names = dict(zip(st["id"], st["name_en"], strict=True)) if "name_en" in st else {}
        # place string stops of added links
        for k, s in enumerate(specs):
            fixed = []
            for stop in s.stops:
                if stop.stop_id is not None and not stop.placed:
                    g = geo.get(stop.stop_id)
                    if g is None:
                        raise UnknownIdError(stop.stop_id, list(geo), what="station")
                    stop = StopSpec(stop.stop_id, names.get(stop.stop_id, stop.stop_id),
                                    g.x, g.y)
                fixed.append(stop)
            specs[k] = LinkSpec(**{**s.__dict__, "stops": tuple(fixed)})
        # services were built from placed stops; rebuild those of added links now placed
        add_ids = {a.id for a in self.edits.add_links}
        if add_ids:
            rp = self.params.rail
            rail_factors = dict(self.edits.speed_factors.items())
            rebuilt = build_services([s for s in specs if s.id in add_ids
                                      and s.mode != "expressway"], params=rp,
                                     speed_factors=rail_factors,
                                     headway_min=self.edits.headway_min,
                                     tables=self._rail_tables())
            self.services = sorted([s for s in self.services if s.link_id not in add_ids]
                                   + rebuilt, key=lambda s: s.id)
            self.expressways = [s for s in specs if s.mode == "expressway"
                                and sum(x.placed for x in s.stops) >= 2]
            for s in specs:
                if s.id in add_ids and sum(x.placed for x in s.stops) >= 2:
                    self.skipped_links.pop(s.id, None)
        rows: dict[str, dict[str, Any]] = {}
        rp = self.params.rail
        for svc in self.services:
            prof: ModeProfile = rp.profile(svc.mode)
            for sid, (lon, lat) in zip(svc.stops, svc.coords, strict=True):
                r = rows.setdefault(sid, {"id": sid, "name": names.get(sid, sid), "lon": lon,
                                          "lat": lat, "kind": "station", "entry_min": 0.0,
                                          "exit_min": 0.0, "services": []})
                # the quickest way in/out over the modes served, so that opening a line
                # never lengthens the trips on another (docs/rail_model.md)
                first = not r["services"]
                r["entry_min"] = prof.station_entry_min if first else \
                    min(r["entry_min"], prof.station_entry_min)
                r["exit_min"] = prof.station_exit_min if first else \
                    min(r["exit_min"], prof.station_exit_min)
                r["services"].append(svc.id)
        for s in self.expressways:
            for stop in s.stops:
                if stop.placed and stop.stop_id is not None and stop.stop_id not in rows:
                    rows[stop.stop_id] = {"id": stop.stop_id,
                                          "name": names.get(stop.stop_id, stop.name),
                                          "lon": stop.lon, "lat": stop.lat,
                                          "kind": "interchange", "entry_min": 0.0,
                                          "exit_min": 0.0, "services": []}
        df = pd.DataFrame(sorted(rows.values(), key=lambda r: r["id"]),
                          columns=["id", "name", "lon", "lat", "kind", "entry_min",
                                   "exit_min", "services"])
        self.stations = df
        self._st_index = {sid: i for i, sid in enumerate(df["id"])}

    # ------------------------------------------------------------------ rail graph
    def _build_rail(self) -> None:
        rp = self.params.rail
        rail_st = self.stations[self.stations["kind"] == "station"]
        n_s = len(self.stations)
        u: list[int] = []
        v: list[int] = []
        w: list[float] = []
        cat: list[int] = []
        km: list[float] = []
        node_station: list[int] = list(range(n_s)) + list(range(n_s))  # entry, exit
        node_service: list[str] = [""] * (2 * n_s)
        nxt = 2 * n_s

        def add(a: int, b: int, weight: float, c: int, dist: float = 0.0) -> None:
            u.append(a)
            v.append(b)
            w.append(weight)
            cat.append(c)
            km.append(dist)

        for svc in self.services:
            wait = rp.wait_min(svc.headway_min)
            k = len(svc.stops)
            for direction in (1,) if svc.direction == "forward" else (1, -1):
                order = list(range(k)) if direction == 1 else list(range(k - 1, -1, -1))
                arr = list(range(nxt, nxt + k))
                dep = list(range(nxt + k, nxt + 2 * k))
                nxt += 2 * k
                for pos, i in enumerate(order):
                    st = self._st_index[svc.stops[i]]
                    if pos < k - 1:
                        add(st, dep[pos], wait, WAIT)
                    if pos > 0:
                        add(arr[pos], n_s + st, 0.0, FREE)
                    if 0 < pos < k - 1:
                        add(arr[pos], dep[pos], svc.dwell_min, IVT)
                    if pos < k - 1:
                        j = order[pos + 1]
                        seg = min(i, j)
                        add(dep[pos], arr[pos + 1], svc.seg_min[seg], IVT, svc.seg_km[seg])
                stations_of = [self._st_index[svc.stops[i]] for i in order]
                node_station.extend(stations_of + stations_of)
                node_service.extend([svc.id] * (2 * k))
        for sid in rail_st["id"]:
            st = self._st_index[sid]
            add(n_s + st, st, rp.transfer_min, TRANSFER)
        n = nxt
        node_st = np.asarray(node_station, dtype=np.int64)
        self._rail_node_station = node_st
        self._rail_node_service = node_service
        time, (length, cats) = csr_from_edges(u, v, w, n,
                                              attributes=[np.asarray(km) * 1000.0, cat])
        st_lon, st_lat = self.stations["lon"].to_numpy(float), self.stations["lat"].to_numpy(float)
        self.rail = Graph(time, length, st_lon[node_st], st_lat[node_st],
                          np.zeros(n), np.zeros(n), n_s, "rail")  # never snapped to
        self._rail_cat = cats
        if n_s:
            dist, pred = shortest_times(self.rail, np.arange(n_s), return_predecessors=True)
            self.rail_station_minutes = dist[:, n_s:2 * n_s].copy()
            self._rail_pred = pred
        else:
            self.rail_station_minutes = np.zeros((0, 0))
            self._rail_pred = np.zeros((0, 0), dtype=np.int32)
        # a transit trip uses at least one train
        np.fill_diagonal(self.rail_station_minutes, np.inf)

    def rail_breakdown(self, i: int, j: int) -> dict[str, Any]:
        """Breakdown of the fastest rail trip between station indices *i* and *j*.

        Returns a dict with ``minutes, wait, in_vehicle, transfer, distance_km,
        stations`` (ordered station ids visited) and ``services`` used; entry and exit
        penalties are not included (they belong to access and egress).
        """
        key = (i, j)
        if key in self._rail_cache:
            return self._rail_cache[key]
        n_s = len(self.stations)
        total = float(self.rail_station_minutes[i, j])
        out: dict[str, Any] = {"minutes": total, "wait": 0.0, "in_vehicle": 0.0,
                               "transfer": 0.0, "distance_km": 0.0, "stations": [],
                               "coords": [], "services": []}
        if math.isfinite(total) and self.rail is not None:
            nodes = path_from_predecessors(self._rail_pred[i], n_s + j)
            a, b = np.asarray(nodes[:-1]), np.asarray(nodes[1:])
            cats = np.asarray(self._rail_cat[a, b]).ravel()
            ws = np.asarray(self.rail.time[a, b]).ravel()
            kms = np.asarray(self.rail.length[a, b]).ravel() / 1000.0
            for c, name in ((WAIT, "wait"), (IVT, "in_vehicle"), (TRANSFER, "transfer")):
                out[name] = float(np.where(cats == c, ws, 0.0).sum())
            out["distance_km"] = float(kms[cats == IVT].sum())
            used: list[str] = []
            for x in a[cats == IVT]:
                name = self._rail_node_service[int(x)]
                if name and (not used or used[-1] != name):
                    used.append(name)
            out["services"] = used
            seq: list[int] = []
            for node in nodes:
                s = int(self._rail_node_station[node])
                if not seq or seq[-1] != s:
                    seq.append(s)
            out["stations"] = [self.stations["id"].iloc[s] for s in seq]
            out["coords"] = [(float(self.stations["lon"].iloc[s]),
                              float(self.stations["lat"].iloc[s])) for s in seq]
        self._rail_cache[key] = out
        return out

    def rail_times(self, a: str, b: str) -> dict[str, Any]:
        """Fastest rail trip between two station ids (platform to platform).

        Examples
        --------
        >>> mm.rail_times("st_gz_south", "st_sz_north")["in_vehicle"]  # doctest: +SKIP
        """
        for s in (a, b):
            if s not in self._st_index or self.stations["kind"].iloc[self._st_index[s]] \
                    != "station":
                raise UnknownIdError(s, list(self._st_index), what="served station")
        return self.rail_breakdown(self._st_index[a], self._st_index[b])

    def fastest_in_vehicle(self, a: str, b: str) -> tuple[float, RailService] | None:
        """In-vehicle minutes of the fastest single service from *a* to *b*.

        Only services whose trains stop at *a* and then at *b* count (a one-way
        pattern, ``RailService.direction == "forward"``, serves one order only).
        Returns None when no service does.
        """
        best: tuple[float, RailService] | None = None
        for svc in self.services:
            if svc.runs(a, b):
                t = svc.in_vehicle_min(a, b)
                if best is None or t < best[0]:
                    best = (t, svc)
        return best

    # ------------------------------------------------------------------ drive layer
    def _build_drive(self, net: Network, *, road_factors: Mapping[str, float]) -> None:
        """Drive layer: streets, plus expressway links joined at interchange nodes.

        *road_factors* (``{road class: factor}``, already applied to *net*) also scale the
        expressway links of that class (the class of their road on the street network).
        """
        p = self.params
        layer = StreetLayer.from_network(net, name="drive", time_s=None,
                                         max_snap_m=p.max_snap_drive_m,
                                         connector_kmh=p.connector_drive_kmh, symmetric=False)
        if not self.expressways:
            self.drive = layer
            return
        n0 = layer.n_street
        ic = self.stations[self.stations["kind"] == "interchange"]
        ic_node = {sid: n0 + k for k, sid in enumerate(ic["id"])}
        s0, t0, w0, l0 = layer.graph.edges()
        src, tgt, tt, ll = [s0], [t0], [w0], [l0]
        snap_i, snap_d = layer.snap(ic["lon"].to_numpy(), ic["lat"].to_numpy())
        for node, si, sd in zip(ic_node.values(), snap_i, snap_d, strict=True):
            t = p.ramp_min * 60.0 + sd * p.drive_circuity / layer.connector_ms
            src += [np.array([node, si])]
            tgt += [np.array([si, node])]
            tt += [np.array([t, t])]
            ll += [np.array([sd, sd])]
        facts = getattr(self.corridor, "facts", None)  # stand-in corridors may have none
        congested = {lid: e.congested_kmh for lid, e in sorted(facts.expressways.items())
                     if e.congested_kmh is not None} if facts is not None else {}
        congested.update(p.expressway_congested_kmh)
        road_names = {lid: e.road_names for lid, e in facts.expressways.items()} \
            if facts is not None else {}
        by_class = _expressway_class_factors(net, [s.id for s in self.expressways],
                                            road_names=road_names, road_factors=road_factors)
        for spec in self.expressways:
            pos, _ = stop_positions_km(spec, self.params.rail)  # shared distance model
            ff = p.expressway_free_flow_kmh.get(
                spec.id, _roads.typical_expressway_kmh().get(spec.id, spec.cruise_kmh))
            speed = ff if p.expressway_condition == "free_flow" else \
                congested.get(spec.id, ff * p.congested_factor)
            speed *= self._exp_factor.get(spec.id, 1.0) * by_class.get(spec.id, 1.0)
            placed = [i for i, s in enumerate(spec.stops) if s.placed]
            for i, j in itertools.pairwise(placed):
                a, b = ic_node[spec.stops[i].stop_id], ic_node[spec.stops[j].stop_id]
                dkm = float(pos[j] - pos[i])
                t = dkm / speed * 3600.0
                src += [np.array([a, b])]
                tgt += [np.array([b, a])]
                tt += [np.array([t, t])]
                ll += [np.array([dkm * 1000.0] * 2)]
        graph = Graph.from_edges(
            np.concatenate(src), np.concatenate(tgt), np.concatenate(tt), np.concatenate(ll),
            lon=np.concatenate([layer.lon, ic["lon"].to_numpy(float)]),
            lat=np.concatenate([layer.lat, ic["lat"].to_numpy(float)]), n_snap=n0, name="drive")
        self.drive = StreetLayer(graph, layer.max_snap_m, layer.connector_ms)
