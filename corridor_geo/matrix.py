"""Travel-time matrices by mode (drive, transit, best) with breakdowns and route geometry.

A transit trip is ``access (walk or car + park, station entry) → wait → in-vehicle →
(transfer → wait → in-vehicle)* → (station exit, walk or taxi) egress``; a drive trip is
the street (and expressway) route plus parking at the destination. Every cell reports
its breakdown, distance, how each end was reached (``access_method``, ``egress_method``:
``*_network`` through a street network, ``*_fallback`` by straight line × circuity) and a
WGS84 LineString of the route.

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
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod
from scipy.sparse.csgraph import dijkstra

from corridor_geo import settings
from corridor_geo.errors import CorridorGeoError, DataValidationError
from corridor_geo.multimodal import (
    MultimodalNetwork,
    NetworkEdits,
    _dedup,
    _Layer,
    _path,
    _street_layer,
)

__all__ = ["COLUMNS", "matrix_to_records", "resolve_points", "travel_time_matrix"]

_GEOD = Geod(ellps="WGS84")
MODES = ("drive", "transit", "best")
COLUMNS = ["from_id", "to_id", "mode", "minutes", "distance_km", "access_min", "wait_min",
           "in_vehicle_min", "transfer_min", "egress_min", "access_method", "egress_method",
           "board_station", "alight_station", "rail_stations", "geometry"]


@dataclass(frozen=True)
class _Point:
    id: str
    lon: float
    lat: float


def resolve_points(corridor: Any, items: Iterable[Any]) -> list[_Point]:
    """Resolve ids, English/Chinese names or ``(lon, lat)`` pairs to points.

    Examples
    --------
    >>> [p.id for p in resolve_points(corridor, ["广州南", (113.95, 22.54)])]  # doctest: +SKIP
    ['st_gz_south', '113.950000,22.540000']
    """
    places = corridor.places()
    geo = dict(zip(places["id"], places.geometry, strict=True))
    out = []
    for item in items:
        if isinstance(item, tuple | list) and len(item) == 2:
            lon, lat = float(item[0]), float(item[1])
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise DataValidationError(f"coordinate ({lon}, {lat}) is not a WGS84 lon, lat",
                                          field="lon,lat")
            out.append(_Point(f"{lon:.6f},{lat:.6f}", lon, lat))
            continue
        pid = corridor.resolve(str(item))
        g = geo.get(pid)
        if g is None:
            raise DataValidationError(f"{item!r} resolved to {pid!r}, which has no geometry")
        p = g if g.geom_type == "Point" else g.representative_point()
        out.append(_Point(pid, float(p.x), float(p.y)))
    return out


# --------------------------------------------------------------------------- legs

@dataclass
class _Legs:
    """Cost of reaching every station from every point (or back) by the best method."""

    minutes: np.ndarray          # (n_p, n_s), penalties included
    travel_min: np.ndarray       # (n_p, n_s), moving time only
    method: np.ndarray           # (n_p, n_s) str
    ctx: dict[str, Any]          # what is needed to rebuild the geometry


def _geodesic_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(*(np.asarray(a, float)
                                                   for a in (lon1, lat1, lon2, lat2)))
    return np.asarray(_GEOD.inv(lon1, lat1, lon2, lat2)[2], float)


def _layer_times(layer: _Layer, plon: np.ndarray, plat: np.ndarray, tlon: np.ndarray,
                 tlat: np.ndarray, *, reverse: bool, circuity: float,
                 fallback_ms: float | None = None) -> dict[str, Any]:
    """Seconds from each point to each target through *layer* (inf where not covered).

    With *fallback_ms*, ``sec_joined`` also gives, for ends beyond the snap distance, the
    time with a straight-line × circuity connector at that fallback speed to the nearest
    node (used by drive trips: a sparse major-road network should carry the long part).
    """
    pn, pd_ = layer.snap(plon, plat)
    tn, td = layer.snap(tlon, tlat)
    uniq, inv = np.unique(pn, return_inverse=True)
    graph = layer.time.T.tocsr() if reverse else layer.time
    dist, pred = dijkstra(graph, indices=uniq, return_predecessors=True)
    d = dist[inv][:, tn]
    cov_p, cov_t = pd_ <= layer.max_snap_m, td <= layer.max_snap_m
    conn_p = pd_ * circuity / layer.connector_ms
    conn_t = td * circuity / layer.connector_ms
    sec = conn_p[:, None] + d + conn_t[None, :]
    cov = cov_p[:, None] & cov_t[None, :]
    out = {"sec": np.where(cov, sec, np.inf), "covered": cov, "pred": pred, "inv": inv,
           "pn": pn, "tn": tn, "pd": pd_, "td": td}
    if fallback_ms is not None:
        jp = np.where(cov_p, conn_p, pd_ * circuity / fallback_ms)
        jt = np.where(cov_t, conn_t, td * circuity / fallback_ms)
        out["sec_joined"] = jp[:, None] + d + jt[None, :]
    return out


def _legs(mm: MultimodalNetwork, pts: Sequence[_Point], *, egress: bool) -> _Legs:
    p = mm.params
    st = mm.stations
    n_p, n_s = len(pts), len(st)
    plon = np.array([q.lon for q in pts])
    plat = np.array([q.lat for q in pts])
    slon, slat = st["lon"].to_numpy(float), st["lat"].to_numpy(float)
    geo_m = _geodesic_m(plon[:, None], plat[:, None], slon[None, :], slat[None, :])
    station_pen = (st["exit_min"] if egress else st["entry_min"]).to_numpy(float)
    is_rail = (st["kind"] == "station").to_numpy()
    best = np.full((n_p, n_s), np.inf)
    travel = np.full((n_p, n_s), np.inf)
    method = np.full((n_p, n_s), "", dtype=object)
    ctx: dict[str, Any] = {"geo_m": geo_m}
    modes = p.egress_modes if egress else p.access_modes
    cands: list[tuple[str, np.ndarray, float]] = []
    if "walk" in modes:
        wfall = geo_m * p.walk_circuity / (p.walk_kmh / 3.6) / 60.0
        if mm.walk is not None:
            res = _layer_times(mm.walk, plon, plat, slon, slat, reverse=egress,
                               circuity=p.walk_circuity)
            ctx["walk"] = res
            wnet = res["sec"] / 60.0
            walk = np.where(res["covered"], wnet, wfall)
            wmeth = np.where(res["covered"], "walk_network", "walk_fallback")
        else:
            walk, wmeth = wfall, np.full((n_p, n_s), "walk_fallback", dtype=object)
        walk = np.where(walk * (p.walk_kmh / 60.0) <= p.max_walk_km, walk, np.inf)
        cands.append(("walk", walk, 0.0))
        ctx["walk_method"] = wmeth
    if "drive" in modes:
        dfall = geo_m * p.drive_circuity / (p.drive_fallback_kmh / 3.6) / 60.0
        if mm.drive is not None:
            res = _layer_times(mm.drive, plon, plat, slon, slat, reverse=egress,
                               circuity=p.drive_circuity)
            ctx["drive"] = res
            drive = np.where(res["covered"], res["sec"] / 60.0, dfall)
            dmeth = np.where(res["covered"], "drive_network", "drive_fallback")
        else:
            drive, dmeth = dfall, np.full((n_p, n_s), "drive_fallback", dtype=object)
        drive = np.where(geo_m <= p.max_drive_leg_km * 1000.0, drive, np.inf)
        cands.append(("drive", drive, p.pickup_min if egress else p.park_min))
        ctx["drive_method"] = dmeth
    for name, t, pen in cands:
        tot = t + pen
        better = tot < best
        best = np.where(better, tot, best)
        travel = np.where(better, t, travel)
        method = np.where(better, ctx[f"{name}_method"], method)
    at = geo_m < 1.0
    best = np.where(at, 0.0, best)
    travel = np.where(at, 0.0, travel)
    method = np.where(at, "at_station", method)
    best = np.where(is_rail[None, :], best + station_pen[None, :], np.inf)
    return _Legs(best, travel, method, ctx)


def _leg_geometry(mm: MultimodalNetwork, legs: _Legs, pt: _Point, i_p: int, i_s: int, *,
                  egress: bool) -> tuple[list[tuple[float, float]], float]:
    """Coordinates from the point to the station (or back) and the distance in km."""
    st = mm.stations
    s_xy = (float(st["lon"].iat[i_s]), float(st["lat"].iat[i_s]))
    meth = legs.method[i_p, i_s]
    p = mm.params
    if meth == "at_station":
        return [s_xy], 0.0
    kind = meth.split("_")[0]
    if meth.endswith("_network"):
        res = legs.ctx[kind]
        layer: _Layer = mm.walk if kind == "walk" else mm.drive  # type: ignore[assignment]
        pred = res["pred"][res["inv"][i_p]]
        nodes = _path(pred, int(res["tn"][i_s]))
        if egress:
            nodes = nodes[::-1]
        a, b = np.asarray(nodes[:-1]), np.asarray(nodes[1:])
        km = float(np.asarray(layer.length[a, b]).sum()) / 1000.0 if len(a) else 0.0
        circ = p.walk_circuity if kind == "walk" else p.drive_circuity
        km += (res["pd"][i_p] + res["td"][i_s]) * circ / 1000.0
        coords = [(float(layer.lon[n]), float(layer.lat[n])) for n in nodes]
        path = [(pt.lon, pt.lat), *coords, s_xy]
        return (path[::-1] if egress else path), km
    circ = p.walk_circuity if kind == "walk" else p.drive_circuity
    km = float(legs.ctx["geo_m"][i_p, i_s]) * circ / 1000.0
    path = [(pt.lon, pt.lat), s_xy]
    return (path[::-1] if egress else path), km


def _drive_cells(mm: MultimodalNetwork, orig: Sequence[_Point],
                 dest: Sequence[_Point]) -> list[dict[str, Any]]:
    p = mm.params
    olon, olat = np.array([q.lon for q in orig]), np.array([q.lat for q in orig])
    dlon, dlat = np.array([q.lon for q in dest]), np.array([q.lat for q in dest])
    geo_m = _geodesic_m(olon[:, None], olat[:, None], dlon[None, :], dlat[None, :])
    res = None
    if mm.drive is not None:
        res = _layer_times(mm.drive, olon, olat, dlon, dlat, reverse=False,
                           circuity=p.drive_circuity, fallback_ms=p.drive_fallback_kmh / 3.6)
    cells = []
    for i, o in enumerate(orig):
        for j, d in enumerate(dest):
            joined = res["sec_joined"][i, j] if res is not None else np.inf
            # a straight-line trip is used only when the network offers no route at all,
            # or when it is no faster than the straight line itself (short trips)
            direct_s = geo_m[i, j] * p.drive_circuity / (p.drive_fallback_kmh / 3.6)
            if math.isfinite(joined) and joined <= direct_s:
                minutes = float(joined) / 60.0
                pred = res["pred"][res["inv"][i]]
                nodes = _path(pred, int(res["tn"][j]))
                a, b = np.asarray(nodes[:-1]), np.asarray(nodes[1:])
                km = float(np.asarray(mm.drive.length[a, b]).sum()) / 1000.0 if len(a) else 0.0
                km += (res["pd"][i] + res["td"][j]) * p.drive_circuity / 1000.0
                coords = [(o.lon, o.lat)] + [(float(mm.drive.lon[n]), float(mm.drive.lat[n]))
                                             for n in nodes] + [(d.lon, d.lat)]
                cov_o = bool(res["pd"][i] <= mm.drive.max_snap_m)
                cov_d = bool(res["td"][j] <= mm.drive.max_snap_m)
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


def _cell(o: _Point, d: _Point, mode: str, *, minutes: float, km: float, access: float,
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


def _transit_cells(mm: MultimodalNetwork, orig: Sequence[_Point],
                   dest: Sequence[_Point]) -> list[dict[str, Any]]:
    acc = _legs(mm, orig, egress=False)
    egr = _legs(mm, dest, egress=True)
    rail = mm._rail_dist
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
            if o.id == d.id:
                cells.append(_cell(o, d, "transit", minutes=0.0, km=0.0, access=0.0,
                                   wait=0.0, ivt=0.0, transfer=0.0, egress=0.0, am="none",
                                   em="none", coords=[(o.lon, o.lat)]))
                continue
            tot = via[io] + egr.minutes[jd] if n_s else np.array([np.inf])
            j = int(np.argmin(tot))
            if not math.isfinite(float(tot[j])):
                cells.append(_cell(o, d, "transit", minutes=math.inf, km=math.nan,
                                   access=math.nan, wait=math.nan, ivt=math.nan,
                                   transfer=math.nan, egress=math.nan, am="none", em="none",
                                   coords=[(o.lon, o.lat), (d.lon, d.lat)]))
                continue
            i = int(via_i[io, j])
            rb = mm.rail_breakdown(i, j)
            acc_coords, acc_km = _leg_geometry(mm, acc, o, io, i, egress=False)
            egr_coords, egr_km = _leg_geometry(mm, egr, d, jd, j, egress=True)
            st = mm.stations["id"]
            cells.append(_cell(
                o, d, "transit", minutes=float(tot[j]), km=acc_km + rb["distance_km"] + egr_km,
                access=float(acc.minutes[io, i]), wait=rb["wait"], ivt=rb["in_vehicle"],
                transfer=rb["transfer"], egress=float(egr.minutes[jd, j]),
                am=str(acc.method[io, i]), em=str(egr.method[jd, j]),
                coords=acc_coords + rb["coords"] + egr_coords,
                board=str(st.iat[i]), alight=str(st.iat[j]), rail=">".join(rb["stations"])))
    return cells


def travel_time_matrix(corridor: Any, origins: Iterable[Any], destinations: Iterable[Any], *,
                       mode: Literal["drive", "transit", "best"] = "best",
                       as_of: int | None = None, network: MultimodalNetwork | None = None,
                       edits: NetworkEdits | None = None,
                       street: Any = None, walk: Any = None) -> gpd.GeoDataFrame:
    """Door-to-door travel times between places, with breakdowns and route geometry.

    Parameters
    ----------
    corridor
        The :class:`~corridor_geo.corridor.Corridor`.
    origins, destinations
        Platform, node or station ids, English or Chinese names, or ``(lon, lat)`` pairs.
    mode
        ``"drive"``, ``"transit"`` (walk/car access, rail, walk/taxi egress) or ``"best"``
        (the faster of the two per cell; ``mode`` in the output says which).
    as_of
        Year selecting the links in service (default ``corridor.as_of``).
    network
        A prebuilt :class:`~corridor_geo.multimodal.MultimodalNetwork` (then *as_of*,
        *edits*, *street* and *walk* must not be given).
    edits
        Scenario :class:`~corridor_geo.multimodal.NetworkEdits`.
    street, walk
        Passed to :meth:`MultimodalNetwork.build` (default: the bundled drive network;
        no walk network, i.e. the walk fallback).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (origin, destination) in input order, columns :data:`COLUMNS`;
        minutes are ``inf`` where no route exists. CRS WGS84.

    Examples
    --------
    >>> df = travel_time_matrix(corridor, ["广州南"], ["深圳北"], mode="transit")  # doctest: +SKIP
    >>> float(df.minutes.iloc[0]) > float(df.in_vehicle_min.iloc[0])  # doctest: +SKIP
    True
    """
    if mode not in MODES:
        raise CorridorGeoError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if network is None:
        network = MultimodalNetwork.build(corridor, street=street, walk=walk, edits=edits,
                                          as_of=as_of)
    elif as_of is not None or edits is not None or street is not None or walk is not None:
        raise CorridorGeoError("give as_of, edits, street and walk to MultimodalNetwork.build, "
                               "not together with a prebuilt network")
    orig = resolve_points(corridor, list(origins))
    dest = resolve_points(corridor, list(destinations))
    if not orig or not dest:
        raise CorridorGeoError("need at least one origin and one destination")
    if mode == "drive":
        cells = _drive_cells(network, orig, dest)
    elif mode == "transit":
        cells = _transit_cells(network, orig, dest)
    else:
        dc, tc = _drive_cells(network, orig, dest), _transit_cells(network, orig, dest)
        cells = [t if t["minutes"] < dr["minutes"] else dr for dr, t in zip(dc, tc, strict=True)]
    return gpd.GeoDataFrame(cells, columns=COLUMNS, geometry="geometry", crs=settings.WGS84)


def matrix_to_records(df: Any, *, ndigits: int = 1) -> list[dict[str, Any]]:
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


def transit_node_times(mm: MultimodalNetwork, net: Any, lon: Any, lat: Any, *,
                       cutoff_s: float | None = None) -> np.ndarray:
    """Seconds by transit from each point to every node of a walk network.

    A node's time is the best of (a) walking there directly over *net*, and (b) the
    transit chain of :func:`travel_time_matrix` — access to a station (walk, or car and
    park), station entry, wait, in-vehicle, transfers, station exit — followed by a
    walk from the alighting station over *net*. It is what a transit catchment is
    built from (:func:`corridor_geo.catchments.catchments` with ``mode="transit"``).

    Parameters
    ----------
    mm
        The :class:`~corridor_geo.multimodal.MultimodalNetwork`.
    net
        A walk :class:`~corridor_geo.network.Network` (its ``travel_time_s`` at walking
        speed), e.g. ``load_network("default", network_type="walk")``.
    lon, lat
        Origin coordinates (WGS84), arrays of equal length.
    cutoff_s
        Times above this are ``inf``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_points, net.n_nodes)``, ``inf`` where not reached.

    Examples
    --------
    >>> t = transit_node_times(mm, walk_net, [113.89], [22.925], cutoff_s=5400)  # doctest: +SKIP
    """
    lon = np.atleast_1d(np.asarray(lon, float))
    lat = np.atleast_1d(np.asarray(lat, float))
    pts = [_Point(f"p{i}", float(a), float(b))
           for i, (a, b) in enumerate(zip(lon, lat, strict=True))]
    p = mm.params
    walk_ms = p.walk_kmh / 3.6
    layer = _street_layer(net, name="walk", time_s=None, max_snap_m=p.max_snap_walk_m,
                          connector_kmh=p.walk_kmh, symmetric=False)
    n, k = layer.n_street, len(pts)
    base = layer.time.tocoo()
    # super-source n + i for origin i, linked to the origin's node (a direct walk) and to
    # every alighting station's node with its arrival time: one Dijkstra for all origins
    o_node, o_dist = layer.snap(lon, lat)
    rows = [np.asarray(base.row, np.int64), n + np.arange(k)]
    cols = [np.asarray(base.col, np.int64), o_node]
    wts = [np.asarray(base.data, float), o_dist * p.walk_circuity / walk_ms]
    st = mm.stations
    if len(st):
        acc = _legs(mm, pts, egress=False).minutes                          # (o, s)
        arrive = np.min(acc[:, :, None] + mm._rail_dist[None, :, :], axis=1)  # (o, s)
        arrive = arrive + st["exit_min"].to_numpy(float)[None, :]
        s_node, s_dist = layer.snap(st["lon"].to_numpy(float), st["lat"].to_numpy(float))
        sec = arrive * 60.0 + (s_dist * p.walk_circuity / walk_ms)[None, :]
        use = (s_dist <= p.max_snap_walk_m)[None, :] & np.isfinite(sec)
        oi, si = np.nonzero(use)
        rows.append(n + oi)
        cols.append(s_node[si])
        wts.append(sec[oi, si])
    r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(wts)
    graph, _ = _dedup(r, c, w, np.zeros_like(w), n + k)  # keeps the fastest parallel edge
    out = dijkstra(graph, indices=n + np.arange(k),
                   limit=np.inf if cutoff_s is None else float(cutoff_s))[:, :n]
    if cutoff_s is not None:
        out = np.where(out <= cutoff_s, out, np.inf)
    return out
