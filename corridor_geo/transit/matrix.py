"""Travel-time matrices by mode (drive, transit, best) with breakdowns and route geometry.

A transit trip is ``access (station entry) → wait → in-vehicle → (transfer → wait →
in-vehicle)* → (station exit) egress``. Two named modes differ in the access leg
(``corridor_geo.transit._legs.LEG_MODES``, shared with transit catchments):
``"transit"`` walks to the boarding station, ``"park_and_ride"`` drives there and parks;
both walk from the alighting station. A drive trip is the street (and expressway) route
plus parking at the destination. Every cell reports
its breakdown, distance, how each end was reached (``access_method``, ``egress_method``:
``*_network`` through a street network, ``*_fallback`` by straight line × circuity; for a
cell without a route, why: :data:`UNREACHABLE_METHODS`) and a WGS84 LineString of the
route.

Examples
--------
>>> from corridor_geo.corridor import load_corridor  # doctest: +SKIP
>>> c = load_corridor()  # doctest: +SKIP
>>> df = travel_time_matrix(c, ["广州南"], ["深圳北"], mode="transit")  # doctest: +SKIP
>>> df[["from_id", "to_id", "minutes", "in_vehicle_min"]]  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridor_geo import settings
from corridor_geo._args import as_list, check_as_of, check_has, check_point
from corridor_geo.corridor import place_point, point_id
from corridor_geo.errors import ArgumentError, CorridorGeoError, DataValidationError
from corridor_geo.network import Network
from corridor_geo.routing import path_from_predecessors
from corridor_geo.transit._legs import (
    TRANSIT_MODES,
    Point,
    access_legs,
    geodesic_m,
    layer_times,
    leg_geometry,
)
from corridor_geo.transit.multimodal import (
    MultimodalNetwork,
    MultimodalParameters,
    NetworkEdits,
)

if TYPE_CHECKING:
    from corridor_geo.corridor import Corridor

__all__ = ["COLUMNS", "MODES", "UNREACHABLE_METHODS", "matrix_to_records", "resolve_points",
           "travel_time_matrix"]

#: Matrix modes.
MODES = ("drive", *TRANSIT_MODES, "best")
COLUMNS = ["from_id", "to_id", "mode", "minutes", "distance_km", "access_min", "wait_min",
           "in_vehicle_min", "transfer_min", "egress_min", "access_method", "egress_method",
           "board_station", "alight_station", "rail_stations", "geometry"]


def resolve_points(corridor: Corridor, items: Iterable[Any]) -> list[Point]:
    """Resolve ids, English/Chinese names or ``(lon, lat)`` pairs to points.

    Examples
    --------
    >>> [p.id for p in resolve_points(corridor, ["广州南", (113.95, 22.54)])]  # doctest: +SKIP
    ['st_gz_south', 'point_113.950000_22.540000']
    """
    places = corridor.places()
    geo = dict(zip(places["id"], places.geometry, strict=True))
    out = []
    for item in items:
        if isinstance(item, tuple | list) and len(item) == 2:
            lon, lat = check_point(item[0], item[1], polygon=getattr(corridor, "polygon", None),
                                   what="coordinate")
            out.append(Point(point_id(lon, lat), lon, lat))
            continue
        pid = corridor.resolve(str(item))
        g = geo.get(pid)
        if g is None:
            raise DataValidationError(f"{item!r} resolved to {pid!r}, which has no geometry")
        p = place_point(g)
        out.append(Point(pid, float(p.x), float(p.y)))
    return out


def _drive_cells(mm: MultimodalNetwork, orig: Sequence[Point],
                 dest: Sequence[Point]) -> list[dict[str, Any]]:
    p = mm.params
    olon, olat = np.array([q.lon for q in orig]), np.array([q.lat for q in orig])
    dlon, dlat = np.array([q.lon for q in dest]), np.array([q.lat for q in dest])
    geo_m = geodesic_m(olon[:, None], olat[:, None], dlon[None, :], dlat[None, :])
    res: dict[str, Any] | None = None
    drive = mm.drive
    if drive is not None:
        res = layer_times(drive, olon, olat, dlon, dlat, reverse=False,
                           circuity=p.drive_circuity, fallback_ms=p.drive_fallback_kmh / 3.6)
    cells = []
    for i, o in enumerate(orig):
        for j, d in enumerate(dest):
            joined = res["sec_joined"][i, j] if res is not None else np.inf
            # a straight-line trip is used only when the network offers no route at all,
            # or when it is no faster than the straight line itself (short trips)
            direct_s = geo_m[i, j] * p.drive_circuity / (p.drive_fallback_kmh / 3.6)
            if res is not None and drive is not None and math.isfinite(joined) \
                    and joined <= direct_s:
                minutes = float(joined) / 60.0
                pred = res["pred"][res["inv"][i]]
                nodes = path_from_predecessors(pred, int(res["tn"][j]))
                a, b = np.asarray(nodes[:-1]), np.asarray(nodes[1:])
                km = float(np.asarray(drive.length[a, b]).sum()) / 1000.0 if len(a) else 0.0
                km += (res["pd"][i] + res["td"][j]) * p.drive_circuity / 1000.0
                coords = [(o.lon, o.lat)] + [(float(drive.lon[n]), float(drive.lat[n]))
                                             for n in nodes] + [(d.lon, d.lat)]
                cov_o = bool(res["pd"][i] <= drive.max_snap_m)
                cov_d = bool(res["td"][j] <= drive.max_snap_m)
                meth_o = "drive_network" if cov_o else "drive_network+fallback_connector"
                meth_d = "drive_network" if cov_d else "drive_network+fallback_connector"
            else:
                km = float(geo_m[i, j]) * p.drive_circuity / 1000.0
                minutes = km / p.drive_fallback_kmh * 60.0
                coords = [(o.lon, o.lat), (d.lon, d.lat)]
                meth_o = meth_d = "drive_fallback"
            same = o.id == d.id or geo_m[i, j] < 1.0
            cells.append(_cell(o, d, "drive", minutes=0.0 if same else minutes + p.park_min,
                               km=0.0 if same else km, access=0.0, wait=0.0,
                               ivt=0.0 if same else minutes, transfer=0.0,
                               egress=0.0 if same else p.park_min, am=meth_o, em=meth_d,
                               coords=coords))
    return cells


def _cell(o: Point, d: Point, mode: str, *, minutes: float, km: float, access: float,
          wait: float, ivt: float, transfer: float, egress: float, am: str, em: str,
          coords: list[tuple[float, float]], board: str = "", alight: str = "",
          rail: str = "") -> dict[str, Any]:
    if len(coords) < 2:
        coords = [*coords, *coords] if coords else [(o.lon, o.lat), (d.lon, d.lat)]
    # drop consecutive duplicates so the LineString is clean
    clean = [coords[0]] + [c for k, c in enumerate(coords[1:], 1) if c != coords[k - 1]]
    if len(clean) < 2:
        clean = [clean[0], clean[0]]
    return {"from_id": o.id, "to_id": d.id, "mode": mode, "minutes": minutes,
            "distance_km": km, "access_min": access, "wait_min": wait, "in_vehicle_min": ivt,
            "transfer_min": transfer, "egress_min": egress, "access_method": am,
            "egress_method": em, "board_station": board, "alight_station": alight,
            "rail_stations": rail, "geometry": shapely.LineString(clean)}


#: ``access_method``/``egress_method`` of an unreachable transit cell: why it has no route.
_DEFAULTS = MultimodalParameters()
UNREACHABLE_METHODS = {
    "no_station_in_reach": "no open station within reach of that end: a walk of at most "
                           f"max_walk_km ({_DEFAULTS.max_walk_km:g} km by default; the "
                           "bundled data have no metro or bus layer) or, for park and ride, "
                           f"a drive of at most max_drive_leg_km ({_DEFAULTS.max_drive_leg_km:g}"
                           " km by default)",
    "no_rail_connection": "stations within reach at both ends, but no rail route joins "
                          "them in the year",
}


def _unreachable_methods(acc_min: np.ndarray, egr_min: np.ndarray) -> tuple[str, str]:
    """``(access_method, egress_method)`` of a cell without a route: which end failed."""
    acc_ok, egr_ok = bool(np.isfinite(acc_min).any()), bool(np.isfinite(egr_min).any())
    if acc_ok and egr_ok:
        return "no_rail_connection", "no_rail_connection"
    return ("none" if acc_ok else "no_station_in_reach",
            "none" if egr_ok else "no_station_in_reach")


def _transit_cells(mm: MultimodalNetwork, orig: Sequence[Point], dest: Sequence[Point], *,
                   mode: str) -> list[dict[str, Any]]:
    acc = access_legs(mm, orig, egress=False, mode=mode)
    egr = access_legs(mm, dest, egress=True, mode=mode)
    # the same place (same id, or under a metre apart) is a zero trip, as for drive cells
    geo_m = geodesic_m(np.array([q.lon for q in orig])[:, None],
                       np.array([q.lat for q in orig])[:, None],
                       np.array([q.lon for q in dest])[None, :],
                       np.array([q.lat for q in dest])[None, :])
    rail = mm.rail_station_minutes
    n_s = rail.shape[0]
    cells = []
    if n_s == 0:
        via_i = np.zeros((len(orig), 0), dtype=int)
        via = np.full((len(orig), 0), np.inf)
    else:
        m1 = acc.minutes[:, :, None] + rail[None, :, :]           # (o, i, j)
        via_i = np.argmin(m1, axis=1)                         # (o, j)
        via = np.take_along_axis(m1, via_i[:, None, :], axis=1)[:, 0, :]
    for io, o in enumerate(orig):
        for jd, d in enumerate(dest):
            if o.id == d.id or geo_m[io, jd] < 1.0:
                cells.append(_cell(o, d, mode, minutes=0.0, km=0.0, access=0.0,
                                   wait=0.0, ivt=0.0, transfer=0.0, egress=0.0, am="none",
                                   em="none", coords=[(o.lon, o.lat)]))
                continue
            tot = via[io] + egr.minutes[jd] if n_s else np.array([np.inf])
            j = int(np.argmin(tot))
            if not math.isfinite(float(tot[j])):
                am, em = _unreachable_methods(acc.minutes[io], egr.minutes[jd])
                cells.append(_cell(o, d, mode, minutes=math.inf, km=math.nan,
                                   access=math.nan, wait=math.nan, ivt=math.nan,
                                   transfer=math.nan, egress=math.nan, am=am, em=em,
                                   coords=[(o.lon, o.lat), (d.lon, d.lat)]))
                continue
            i = int(via_i[io, j])
            rb = mm.rail_breakdown(i, j)
            acc_coords, acc_km = leg_geometry(mm, acc, o, io, i, egress=False)
            egr_coords, egr_km = leg_geometry(mm, egr, d, jd, j, egress=True)
            st = mm.stations["id"]
            cells.append(_cell(
                o, d, mode, minutes=float(tot[j]), km=acc_km + rb["distance_km"] + egr_km,
                access=float(acc.minutes[io, i]), wait=rb["wait"], ivt=rb["in_vehicle"],
                transfer=rb["transfer"], egress=float(egr.minutes[jd, j]),
                am=str(acc.method[io, i]), em=str(egr.method[jd, j]),
                coords=acc_coords + rb["coords"] + egr_coords,
                board=str(st.iloc[i]), alight=str(st.iloc[j]), rail=">".join(rb["stations"])))
    return cells


def travel_time_matrix(corridor: Corridor, origins: Iterable[Any],
                       destinations: Iterable[Any], *,
                       mode: Literal["drive", "transit", "park_and_ride", "best"] = "best",
                       as_of: int | None = None, network: MultimodalNetwork | None = None,
                       edits: NetworkEdits | None = None,
                       street: Network | Literal[False] | None = None,
                       walk: Network | Literal[False] | None = None) -> gpd.GeoDataFrame:
    """Door-to-door travel times between places, with breakdowns and route geometry.

    Parameters
    ----------
    corridor
        The :class:`~corridor_geo.corridor.Corridor`.
    origins, destinations
        Platform, node or station ids, English or Chinese names, or ``(lon, lat)`` pairs.
    mode
        ``"drive"``, ``"transit"`` (walk, rail, walk), ``"park_and_ride"`` (drive and
        park, rail, walk) or ``"best"`` (the fastest of the three per cell; ``mode`` in
        the output says which).
    as_of
        Year selecting the links in service (default ``corridor.as_of``).
    network
        A prebuilt :class:`~corridor_geo.multimodal.MultimodalNetwork` (then *as_of*,
        *edits*, *street* and *walk* must not be given).
    edits
        Scenario :class:`~corridor_geo.multimodal.NetworkEdits`.
    street, walk
        Passed to :meth:`MultimodalNetwork.build` (default: the bundled drive and walk
        networks; ``False``: that mode's legs use the straight-line fallback).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (origin, destination) in input order, columns :data:`COLUMNS`;
        minutes are ``inf`` where no route exists, and then ``access_method`` and
        ``egress_method`` say why (:data:`UNREACHABLE_METHODS`: ``"no_station_in_reach"``
        at the end that has no station within its leg's limit, ``"none"`` at the other;
        ``"no_rail_connection"`` at both when each end has one). CRS WGS84.

    Examples
    --------
    >>> df = travel_time_matrix(corridor, ["广州南"], ["深圳北"], mode="transit")  # doctest: +SKIP
    >>> float(df.minutes.iloc[0]) > float(df.in_vehicle_min.iloc[0])  # doctest: +SKIP
    True
    """
    if mode not in MODES:
        raise CorridorGeoError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    as_of = check_as_of(as_of)
    check_has(corridor, ("links", "stations", "places"), name="corridor",
              what="a Corridor (load_corridor())")
    if network is not None and not isinstance(network, MultimodalNetwork):
        raise ArgumentError("network must be a MultimodalNetwork (MultimodalNetwork.build()) "
                            f"or None, got {type(network).__name__}")
    if network is None:
        network = MultimodalNetwork.build(corridor, street=street, walk=walk, edits=edits,
                                          as_of=as_of)
    elif as_of is not None or edits is not None or street is not None or walk is not None:
        raise CorridorGeoError("give as_of, edits, street and walk to MultimodalNetwork.build, "
                               "not together with a prebuilt network")
    orig = resolve_points(corridor, as_list(origins, name="origins", what="places",
                                            points=True))
    dest = resolve_points(corridor, as_list(destinations, name="destinations", what="places",
                                            points=True))
    if not orig or not dest:
        raise CorridorGeoError("need at least one origin and one destination")
    if mode == "drive":
        cells = _drive_cells(network, orig, dest)
    elif mode in TRANSIT_MODES:
        cells = _transit_cells(network, orig, dest, mode=mode)
    else:
        # the fastest per cell; on a tie the first of drive, transit, park_and_ride
        options = [_drive_cells(network, orig, dest)] + [
            _transit_cells(network, orig, dest, mode=m) for m in TRANSIT_MODES]
        cells = [min(cs, key=lambda c: c["minutes"]) for cs in zip(*options, strict=True)]
    return gpd.GeoDataFrame(cells, columns=COLUMNS, geometry="geometry", crs=settings.WGS84)


def matrix_to_records(df: pd.DataFrame, *, ndigits: int = 1) -> list[dict[str, Any]]:
    """JSON-ready cells: ``from, to, mode, minutes, distance_km, breakdown{...}``.

    Unreachable cells have ``minutes: null``.

    Examples
    --------
    >>> matrix_to_records(df)[0]["breakdown"]  # doctest: +SKIP
    {'access': 12.0, 'wait': 5.0, 'in_vehicle': 24.6, 'transfer': 0.0, 'egress': 7.4}
    """

    def num(v: Any) -> float | None:
        v = float(v)
        return round(v, ndigits) if math.isfinite(v) else None

    out = []
    for r in df.itertuples(index=False):
        out.append({
            "from": r.from_id, "to": r.to_id, "mode": r.mode, "minutes": num(r.minutes),
            "distance_km": num(r.distance_km),
            "breakdown": {"access": num(r.access_min), "wait": num(r.wait_min),
                          "in_vehicle": num(r.in_vehicle_min),
                          "transfer": num(r.transfer_min), "egress": num(r.egress_min)},
            "access_method": r.access_method, "egress_method": r.egress_method,
            "rail_stations": r.rail_stations or None,
        })
    return out
