"""Travel-time catchments (isochrones) around platforms, nodes, stations or points.

The default method is a **travel-time grid** (as in Valhalla, Mapbox and r5r): one
``scipy.sparse.csgraph.dijkstra`` call runs a single-source search from each origin
(one after the other) and gives every network node's time from every origin; a grid of
square cells in EPSG:4547 then takes, for each cell, the best time of a nearby reached
access point plus a bounded off-network leg at walking speed (never across water:
off-network legs stay on one land component). A band is the union of the cells whose
time is within the band, traced from the cell raster and clipped to the land. Bands are
nested by construction. The static part of the grid (cells, land components, which
access point may serve which cell) is cached on the network and built tile by tile
where origins reach, so repeated calls on one network, and calls on a large network
that reach a small part of it, cost in proportion to the area reached.

Two simpler methods are kept for comparison: ``"concave_hull"`` (concave hull of the
reached nodes) and ``"buffer"`` (the osmnx example notebook: reached nodes buffered by
50 m and reached edges by 25 m). See ``docs/catchments.md`` for when to use which.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import sys
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from corridor_geo import _grid
from corridor_geo._args import check_has, check_wgs84_geometry, describe
from corridor_geo._bands import check_bands
from corridor_geo.corridor import place_point, point_id
from corridor_geo.errors import ArgumentError, CorridorGeoError, DataValidationError, SnapError
from corridor_geo.settings import MAX_CELL_SIZE_M, METRIC_CRS, SNAP_MAX_M, WGS84

if TYPE_CHECKING:
    from corridor_geo.corridor import Corridor
    from corridor_geo.network import Network
    from corridor_geo.transit import MultimodalNetwork

__all__ = ["DEFAULT_CELL_SIZE_M", "METHODS", "MODES", "catchment_limits", "catchments"]

#: Modes understood by :func:`catchments` (``"transit"``: walk, rail, walk;
#: ``"park_and_ride"``: drive and park, rail, walk — as in the travel-time matrix).
MODES = ("drive", "walk", "transit", "park_and_ride")
#: The modes that end with a walk from a station (their network is a walk network).
_TRANSIT = ("transit", "park_and_ride")
#: Catchment construction methods.
METHODS = ("grid", "concave_hull", "buffer")
#: Default grid cell size by mode, metres (see docs/catchments.md for the reasoning).
#: The transit modes share walk's (their catchments contain the walking one on the
#: same grid). On the bundled major-road network every mode uses
#: :data:`SCGRAPH_CELL_SIZE_M`.
DEFAULT_CELL_SIZE_M: dict[str, float] = {"drive": 250.0, "walk": 100.0, "transit": 100.0,
                                         "park_and_ride": 100.0}
#: Default cell size on the bundled major-road network (``scgraph``), every mode: its
#: arterials are ~1-2 km apart, so finer cells add no detail.
SCGRAPH_CELL_SIZE_M = 250.0
#: Default longest off-network leg (m) on OSM street networks and on the scgraph default.
MAX_OFF_NETWORK_M = 500.0
#: Largest population count a zone may hold (above the world's population).
MAX_POPULATION_COUNT = 1e10
#: Most memory the grid method may need (bytes), checked before anything is allocated.
MAX_GRID_MEMORY_BYTES = 2 << 30
#: Most bands per call (each is a polygon per origin).
MAX_BANDS = 48
MAX_OFF_NETWORK_SCGRAPH_M = 1000.0
#: Ratio passed to :func:`shapely.concave_hull` by the ``"concave_hull"`` method.
CONCAVE_RATIO = 0.2
#: Buffers of the ``"buffer"`` method, as in the osmnx isochrone notebook (metres).
NODE_BUFFER_M = 50.0
EDGE_BUFFER_M = 25.0
#: Road classes with controlled access: left only at their junction nodes, so the grid
#: method puts no access points along them (``expressway``: the scgraph default).
NO_ACCESS_HIGHWAYS = ("motorway", "motorway_link", "trunk_link", "expressway")

_COLUMNS = ["origin_id", "origin_name_en", "origin_name_zh", "origin_snap_m", "mode",
            "band_min", "method", "area_km2", "platforms_reached", "n_platforms_reached",
            "n_nodes_reached"]

_TO_METRIC = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True)
_TO_LONLAT = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)


@dataclass(frozen=True)
class _Origin:
    id: str
    name_en: str
    name_zh: str
    lon: float
    lat: float


def catchments(
    origins: str | tuple[float, float] | Iterable[str | tuple[float, float]],
    *,
    mode: str = "drive",
    bands: Sequence[float] = (15, 30, 45, 60),
    corridor: Corridor | None = None,
    network: Network | None = None,
    method: str = "grid",
    cell_size_m: float | None = None,
    off_network_speed_kmh: float = 4.8,
    max_off_network_m: float | None = None,
    population: gpd.GeoDataFrame | str | Path | None = None,
    population_column: str = "population",
    land: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    snap_max_m: float = SNAP_MAX_M,
    multimodal: Any = None,
) -> gpd.GeoDataFrame:
    """Travel-time catchments around one or many origins, one row per origin and band.

    Parameters
    ----------
    origins
        Platform, node or station ids or names (resolved with ``corridor.resolve``), or
        ``(lon, lat)`` WGS84 points, or a list mixing both. Duplicates are dropped;
        results do not depend on the order given (rows are sorted by origin id).
    mode
        ``"drive"``, ``"walk"``, ``"transit"`` (walk, rail, walk) or
        ``"park_and_ride"`` (drive and park, rail, walk); the two transit modes use
        the access and egress rules of
        :func:`~corridor_geo.transit.travel_time_matrix` and include every place
        reached on foot, so their catchment contains the walking one (same origin,
        band and grid).
    bands
        Upper limits of the bands in minutes, strictly increasing, e.g.
        ``(15, 30, 45, 60, 90)``; ``(60, 30)`` or a repeated value is an error (the same
        rule as the CLI's ``--bands`` and scenario files).
    corridor
        The corridor (default :func:`corridor_geo.corridor.load_corridor`): resolves ids,
        gives the platforms counted as reached and the land mask.
    network
        Street network (default ``load_network("default", network_type=mode,
        as_of=corridor.as_of)``: the expressways open in the corridor's year).
    method
        ``"grid"`` (default), ``"concave_hull"`` or ``"buffer"``.
    cell_size_m
        Grid cell size in metres (default 250 m for drive, 100 m for walk and the
        transit modes; 250 m for every mode on the bundled major-road network); at
        most :data:`corridor_geo.settings.MAX_CELL_SIZE_M` (10 km).
    off_network_speed_kmh
        Walking speed of the leg between the network and a cell.
    max_off_network_m
        Longest off-network leg, metres; land farther from any reached access point is
        not reached. Default 500 m on OSM street networks and 1000 m on the bundled
        major-road network (``scgraph``), whose arterials are ~1-2 km apart with the
        local streets between them missing.
    population
        Optional population layer (GeoDataFrame or file path) of polygons with counts;
        adds a ``population`` column by areal weighting in EPSG:4547.
    population_column
        Column of *population* holding the counts (missing values count as 0).
    land
        Land polygon in WGS84 lon/lat (default ``corridor.polygon``, the three cities);
        nothing outside it is part of a catchment, and off-network legs do not cross gaps
        in it. A GeoSeries or GeoDataFrame with a CRS is converted to WGS84 and merged; a
        geometry whose coordinates are not degrees (e.g. EPSG:4547 metres) is refused.
    snap_max_m
        Largest distance from an origin (or a platform, for ``platforms_reached``) to
        the network node it starts from. A transit origin farther than this still
        reaches stations (its access leg falls back to a straight line), only the
        direct walk is left out.
    multimodal
        For the transit modes: the :class:`~corridor_geo.transit.MultimodalNetwork`
        (default: built from *corridor*). Node times are door to node
        (:func:`corridor_geo.transit.transit_node_times`); *network* is then the walk
        network every walk uses (default ``load_network("default",
        network_type="walk")``). For ``"drive"``: node times come from its drive layer
        (the drive matrix's: *network*'s streets plus the expressway links joined at
        their interchanges, a scenario's new ones included), which must have been
        built on *network*; default: the layer the drive matrix of *corridor* routes
        on, ``MultimodalNetwork.build(corridor, street=network).drive`` (the
        corridor's expressway links in service in ``corridor.as_of``). With no
        corridor (only ``(lon, lat)`` origins and *land* given), there are no links:
        *network* alone.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``origin_id, origin_name_en, origin_name_zh, origin_snap_m, mode,
        band_min, method, area_km2`` (EPSG:4547), ``platforms_reached`` (sorted ids
        joined by ``;`` whose access node is reached within the band),
        ``n_platforms_reached, n_nodes_reached`` (network nodes within the band),
        ``population`` (if a layer is given) and ``geometry`` (WGS84 (Multi)Polygon).

    Examples
    --------
    >>> import corridor_geo as cg
    >>> gdf = cg.catchments("core_dg_songshan_lake", bands=(30, 60))  # doctest: +SKIP
    >>> gdf[["origin_id", "band_min", "area_km2", "n_platforms_reached"]]  # doctest: +SKIP
    """
    if mode not in MODES:
        raise CorridorGeoError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if method not in METHODS:
        raise CorridorGeoError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    limits = _check_bands(bands)
    try:
        cell = DEFAULT_CELL_SIZE_M[mode] if cell_size_m is None else float(cell_size_m)
        cell_given = cell_size_m is not None
        snap_max_m, off_network_speed_kmh = float(snap_max_m), float(off_network_speed_kmh)
    except (TypeError, ValueError):
        bad = next((n, v) for n, v in (("cell_size_m", cell_size_m), ("snap_max_m", snap_max_m),
                                       ("off_network_speed_kmh", off_network_speed_kmh))
                   if not _is_number(v))
        raise ArgumentError(f"{bad[0]} must be a number, got {describe(bad[1])}") from None
    for name, value in (("cell_size_m", cell), ("off_network_speed_kmh", off_network_speed_kmh),
                        ("snap_max_m", snap_max_m)):
        if not (math.isfinite(value) and value > 0):
            raise ArgumentError(f"{name} must be a positive number, got {value!r}")
    if cell > MAX_CELL_SIZE_M:
        raise ArgumentError(f"cell_size_m={cell:g} is coarser than any catchment can show; "
                            f"expected at most {MAX_CELL_SIZE_M:g} m "
                            "(settings.MAX_CELL_SIZE_M)")
    if max_off_network_m is not None and not (
            math.isfinite(max_off_network_m) and max_off_network_m >= 0):
        raise CorridorGeoError(f"max_off_network_m must be ≥ 0, got {max_off_network_m!r}")

    if network is not None:
        check_has(network, ("x", "y", "source", "target"), name="network",
                  what="a Network (load_network()) or None")
    if corridor is not None:
        check_has(corridor, ("places", "polygon"), name="corridor",
                  what="a Corridor (load_corridor()) or None")
    land = _check_land(land)
    items = _as_items(origins)
    needs_corridor = corridor is None and (
        land is None or any(isinstance(o, str) for o in items))
    if needs_corridor:
        from corridor_geo.corridor import load_corridor

        corridor = load_corridor()
    orig = _resolve_origins(items, corridor)
    pop_layer = _read_population(population, population_column) if population is not None else None

    net = _network_for(mode, network, as_of=getattr(corridor, "as_of", None))
    major_roads_only = _major_roads_only(net)
    if major_roads_only and not cell_given:
        cell = SCGRAPH_CELL_SIZE_M
    if max_off_network_m is None:
        max_off_network_m = MAX_OFF_NETWORK_SCGRAPH_M if major_roads_only else MAX_OFF_NETWORK_M
    if method == "grid":
        _check_grid_memory(net, cell=cell, radius=max_off_network_m, n_origins=len(orig))
    from corridor_geo.routing import snap_points

    olon = np.array([o.lon for o in orig])
    olat = np.array([o.lat for o in orig])
    if mode in _TRANSIT:
        from corridor_geo.transit import MultimodalNetwork
        from corridor_geo.transit.catchment import transit_times

        if corridor is None:
            from corridor_geo.corridor import load_corridor

            corridor = load_corridor()
        mm = multimodal if multimodal is not None else MultimodalNetwork.build(corridor,
                                                                               walk=net)
        snapped = snap_points(net, olon, olat, max_distance_m=math.inf)
        tt = transit_times(mm, net, olon, olat, mode=mode, snap_max_m=snap_max_m,
                           cutoff_s=limits[-1] * 60.0)
        times = tt.nodes
        # each alighting station is a point of the map at the time of a trip to it (as in
        # the matrix), not at its nearest walk node's time plus the walk back
        sx, sy = _TO_METRIC.transform(tt.station_lon, tt.station_lat)
        extras = [(np.asarray(sx, np.float64), np.asarray(sy, np.float64), tt.stations[k])
                  for k in range(len(orig))]
    else:
        snapped = snap_points(net, olon, olat, max_distance_m=snap_max_m,
                              labels=[o.id for o in orig])
        src = np.asarray(snapped.node, dtype=np.int64)
        layered = multimodal if mode == "drive" else None
        if mode == "drive" and layered is None and corridor is not None:
            layered = _drive_layer(corridor, net)
        times = _node_times(net, mode, src, cutoff_s=limits[-1] * 60.0, multimodal=layered)
        extras = None
    snap_m = np.asarray(snapped.distance_m, dtype=np.float64)

    land_wgs = land if land is not None else (corridor.polygon if corridor is not None else None)
    land_m = _to_metric(land_wgs) if land_wgs is not None else None
    x = np.asarray(net.x, dtype=np.float64)
    y = np.asarray(net.y, dtype=np.float64)
    limits_s = [b * 60.0 for b in limits]
    if method == "grid":
        geoms = _grid_method(net, x, y, times, limits_s, cell=cell, land=land_m,
                             speed_ms=off_network_speed_kmh / 3.6, radius=max_off_network_m,
                             extras=extras)
    elif method == "concave_hull":
        geoms = []
        for k, t in enumerate(times):
            px, py, pt = _with_extra(x, y, t, extras[k] if extras else None)
            geoms.append(_nested([shapely.concave_hull(shapely.multipoints(
                np.column_stack([px[pt <= lim], py[pt <= lim]])), ratio=CONCAVE_RATIO)
                for lim in limits_s], land_m))
    else:
        geoms = [_buffer_method(net, x, y, t, limits_s, land_m,
                                extra=extras[k] if extras else None)
                 for k, t in enumerate(times)]

    plat_ids, plat_nodes = _platform_nodes(corridor, net, snap_max_m)
    rows: list[dict[str, Any]] = []
    out_geoms: list[BaseGeometry] = []
    for k, o in enumerate(orig):
        t = times[k]
        for b, lim, g in zip(limits, limits_s, geoms[k], strict=True):
            reached = sorted(plat_ids[t[plat_nodes] <= lim]) if plat_ids.size else []
            rows.append({
                "origin_id": o.id, "origin_name_en": o.name_en, "origin_name_zh": o.name_zh,
                "origin_snap_m": round(float(snap_m[k]), 1), "mode": mode,
                "band_min": b, "method": method, "area_km2": g.area / 1e6,
                "platforms_reached": ";".join(reached), "n_platforms_reached": len(reached),
                "n_nodes_reached": int(np.count_nonzero(t <= lim)),
            })
            out_geoms.append(g)
    df = pd.DataFrame(rows, columns=_COLUMNS)
    if all(float(b).is_integer() for b in limits):
        df["band_min"] = df["band_min"].astype("int64")
    if pop_layer is not None:
        df["population"] = _areal_population(out_geoms, pop_layer, population_column)
    metric = gpd.GeoSeries(out_geoms, crs=METRIC_CRS)
    return gpd.GeoDataFrame(df, geometry=metric.to_crs(WGS84).values, crs=WGS84)


def catchment_limits(
    mode: str,
    *,
    network: Network | None = None,
    land: Any = None,
    max_off_network_m: float | None = None,
    multimodal: Any = None,
) -> str:
    """Say in one short line what :func:`catchments` with these arguments leaves out.

    For a map's key and a run's ``summary.json``: where a band may lie (clipped to the
    corridor, i.e. the three cities, or to the *land* given), which network it routes
    on (the bundled major roads, or the street network given) and how far from it the
    walk off the network or from a station goes. The arguments are those of
    :func:`catchments` (``None``: its defaults).

    Examples
    --------
    >>> catchment_limits("drive")
    'clipped to the corridor (3 cities); bundled major roads + expressway links only; \
land > 1 km from a reached road left out'
    >>> catchment_limits("transit")
    'clipped to the corridor (3 cities); rail only (no metro, bus); walks ≤ 2.5 km at \
each end, on bundled major roads'
    """
    if mode not in MODES:
        raise CorridorGeoError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    major = network is None or _major_roads_only(network)
    roads = "bundled major roads" if major else "the street network given"
    if max_off_network_m is None:
        max_off_network_m = MAX_OFF_NETWORK_SCGRAPH_M if major else MAX_OFF_NETWORK_M
    off = f"{max_off_network_m / 1000:g} km"
    if multimodal is not None and hasattr(multimodal, "params"):
        params = multimodal.params
    else:
        from corridor_geo.transit import MultimodalParameters

        params = MultimodalParameters()
    where = ("clipped to the corridor (3 cities)" if land is None
             else "clipped to the land given")
    what = {
        "drive": f"{roads} + expressway links only; land > {off} from a reached road "
                 "left out",
        "walk": f"walks on {roads} only (no footpaths); land > {off} from them left out",
        "transit": f"rail only (no metro, bus); walks ≤ {params.max_walk_km:g} km at each "
                   f"end, on {roads}",
        "park_and_ride": f"car ≤ {params.max_drive_leg_km:g} km to a station, rail only "
                         f"(no metro); walk ≤ {params.max_walk_km:g} km from it, on {roads}",
    }[mode]
    return f"{where}; {what}"


def _major_roads_only(net: Any) -> bool:
    """Whether *net* is the bundled major-road network (``scgraph``), not a street map."""
    return str(getattr(net, "meta", {}).get("source", "")).startswith("scgraph")


# ----------------------------------------------------------------------------- inputs


def _check_land(land: Any) -> BaseGeometry | None:
    """Return *land* as one WGS84 (Multi)Polygon, or raise saying what was expected.

    Examples
    --------
    >>> _check_land(shapely.box(113.7, 22.7, 114.1, 23.1)).bounds
    (113.7, 22.7, 114.1, 23.1)
    >>> _check_land(shapely.box(700000, 2500000, 740000, 2550000))
    Traceback (most recent call last):
    ...
    corridor_geo.errors.ArgumentError: land must be in WGS84 lon/lat degrees; its bounds \
(700000, 2500000, 740000, 2550000) are not degrees (metres of a projected CRS such as \
EPSG:4547?): convert it with .to_crs('EPSG:4326')
    """
    if land is None:
        return None
    if isinstance(land, gpd.GeoSeries | gpd.GeoDataFrame):
        if land.crs is None:
            raise ArgumentError("land has no CRS; set it (.set_crs) so it can be converted "
                                "to EPSG:4326")
        land = land.to_crs(WGS84).geometry.union_all()
    if not isinstance(land, BaseGeometry):
        raise ArgumentError("land must be a shapely (Multi)Polygon in WGS84 or a "
                            f"GeoSeries/GeoDataFrame with a CRS, got {describe(land)}")
    if land.is_empty or not isinstance(land, shapely.Polygon | shapely.MultiPolygon):
        raise ArgumentError(f"land must be a non-empty Polygon or MultiPolygon, got "
                            f"{'an empty geometry' if land.is_empty else land.geom_type}")
    check_wgs84_geometry(land, name="land")
    return land


def _is_number(value: Any) -> bool:
    if value is None:
        return True  # the default cell_size_m (None) is not the bad one
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _check_bands(bands: Sequence[float]) -> list[float]:
    # one rule for API, CLI and scenario files: strictly increasing, else an error
    if isinstance(bands, str | bytes):
        raise ArgumentError(f"bands must be a sequence of minutes such as [15, 30], not the "
                            f"string {bands!r}")
    if not isinstance(bands, Iterable):
        raise ArgumentError(f"bands must be a sequence of minutes, got {bands!r}")
    try:
        vals = check_bands(bands)
    except ValueError as exc:
        raise ArgumentError(f"bands {exc}") from None
    if len(vals) > MAX_BANDS:
        raise ArgumentError(f"at most {MAX_BANDS} bands, got {len(vals)}")
    if max(vals) > MAX_BAND_MIN:
        raise ArgumentError(f"bands must be at most {MAX_BAND_MIN:g} minutes, got {max(vals):g}")
    return vals


#: Longest band (minutes): a day.
MAX_BAND_MIN = 24 * 60.0


def _check_grid_memory(net: Network, *, cell: float, radius: float, n_origins: int) -> None:
    """Refuse a grid that would need more than :data:`MAX_GRID_MEMORY_BYTES`."""
    need, n_cells = _grid_memory_estimate(net, cell=cell, radius=radius, n_origins=n_origins)
    if need > MAX_GRID_MEMORY_BYTES:
        at_least = cell * math.sqrt(need / MAX_GRID_MEMORY_BYTES)
        if not math.isfinite(at_least):  # a cell so small that the estimate overflows:
            # the memory grows as 1/cell², so 1 m cells tell the smallest size that fits
            at_least = math.sqrt(_grid_memory_estimate(
                net, cell=1.0, radius=radius, n_origins=n_origins)[0] / MAX_GRID_MEMORY_BYTES)
        raise ArgumentError(
            f"cell_size_m={cell:g} would need about {need / 2**30:,.1f} GiB for the grid "
            f"({n_cells:,.0f} cells), more than the limit of "
            f"{MAX_GRID_MEMORY_BYTES / 2**30:g} GiB (catchments.MAX_GRID_MEMORY_BYTES); "
            f"use a cell size of at least {math.ceil(at_least):g} m")


def _grid_memory_estimate(net: Network, *, cell: float, radius: float,
                          n_origins: int) -> tuple[float, float]:
    """Bytes the grid method may hold at once, and the number of cells of its grid.

    Estimated before anything is allocated, as an upper bound on what the grid method
    (:class:`corridor_geo._grid.GridIndex`) holds at once:

    * the (ny, nx) cell grid over the network plus ``radius``: land mask, land labels,
      nearest-land labels and the distance transform's temporaries, 32 bytes a cell;
    * the (cell, access point) pairs of every tile, as if every tile were reached: each
      access point (nodes and points every ``max(cell/2, 50 m)`` along edges) times the
      cells whose square can lie within ``radius``, 12 bytes a pair (int32 point,
      float64 walk), plus 16 bytes per access point and per cell with pairs, built once
      per network and shared by all origins;
    * the pair search's working arrays for one chunk of 20,000 points, ~48 bytes per
      point and cell offset;
    * the origins' node times, 8 bytes per origin and node (the origins are traced one
      after the other, so the pairs are not multiplied by them).
    """
    x = np.asarray(net.x, dtype=np.float64)
    y = np.asarray(net.y, dtype=np.float64)
    if x.size == 0:
        return 0.0, 0
    margin = radius + cell

    def span(extent: float) -> float:
        # cells along one axis; a cell size near the float limits (1e308 m, 1e-200 m)
        # gives inf rather than an OverflowError
        v = ((extent + 2 * margin) / cell if math.isfinite(2 * margin)
             else (extent + 2 * radius) / cell + 2.0)
        return float(math.floor(v) + 2) if math.isfinite(v) else math.inf

    n_cells = span(float(x.max() - x.min())) * span(float(y.max() - y.min()))
    points = x.size + float(np.asarray(net.length_m, dtype=np.float64).sum()) / max(cell / 2, 50)
    per_point = math.pi * (radius / cell + 1.5) * (radius / cell + 1.5)
    side = 2.0 * math.ceil(radius / cell) + 3 if math.isfinite(radius / cell) else math.inf
    offsets = side * side
    need = (48.0 * n_cells + 12.0 * points * per_point + 16.0 * points
            + 48.0 * min(points, 20_000) * offsets + 8.0 * max(n_origins, 1) * x.size)
    return need, n_cells


def _as_items(origins: Any) -> list[str | tuple[float, float]]:
    if isinstance(origins, str):
        return [origins]
    if origins is None or isinstance(origins, bytes | int | float) or \
            not isinstance(origins, Iterable):
        raise ArgumentError(f"origins: expected an id or name, a (lon, lat) pair or a list of "
                            f"them, got {origins!r}")
    if (isinstance(origins, tuple) and len(origins) == 2
            and all(isinstance(v, int | float) for v in origins)):
        return [(float(origins[0]), float(origins[1]))]
    items: list[str | tuple[float, float]] = []
    for o in origins:
        if isinstance(o, str):
            items.append(o)
        elif isinstance(o, shapely.Point):
            items.append((float(o.x), float(o.y)))
        else:
            try:
                lon, lat = (float(v) for v in o)
            except (TypeError, ValueError):
                raise CorridorGeoError(
                    f"origin {o!r}: expected an id or name, or a (lon, lat) pair") from None
            items.append((lon, lat))
    if not items:
        raise CorridorGeoError("no origins given")
    return items


def _resolve_origins(items: list[str | tuple[float, float]],
                     corridor: Corridor | None) -> list[_Origin]:
    out: dict[str, _Origin] = {}
    places = corridor.places().set_index("id") if corridor is not None and any(
        isinstance(o, str) for o in items) else None
    for o in items:
        if isinstance(o, str):
            assert corridor is not None
            assert places is not None
            pid = corridor.resolve(o)
            row = places.loc[pid]
            pt = place_point(row.geometry)
            out[pid] = _Origin(pid, str(row.get("name_en", "") or ""),
                               str(row.get("name_zh", "") or ""), float(pt.x), float(pt.y))
        else:
            from corridor_geo._args import check_point

            lon, lat = check_point(o[0], o[1], what="origin",
                                   polygon=getattr(corridor, "polygon", None))
            pid = point_id(lon, lat)
            out[pid] = _Origin(pid, "", "", lon, lat)
    # sorted by id: results never depend on the order the origins were given in
    return [out[k] for k in sorted(out)]


def _read_population(population: gpd.GeoDataFrame | str | Path,
                     column: str) -> gpd.GeoDataFrame:
    if isinstance(population, str | Path):
        from corridor_geo._io import read_vector

        path = Path(population)
        layer = read_vector(path, what="population layer (GeoPackage, GeoJSON, ...)")
        where: str | None = str(path)
    else:
        layer, where = population, None
    if column not in layer.columns:
        raise DataValidationError(f"population layer has no column {column!r} "
                                  f"(columns: {', '.join(map(str, layer.columns))})",
                                  path=where, field=column)
    if layer.crs is None:
        raise DataValidationError("population layer has no CRS", path=where)
    raw = layer[column]
    counts = pd.to_numeric(raw, errors="coerce")
    # missing (null or blank) counts are 0; anything else must be a finite count
    missing = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
    c = counts.to_numpy(dtype=float)
    for bad, expected in ((np.isnan(c) & ~missing, "a number"),
                          (~np.isnan(c) & ~np.isfinite(c), "a finite number"),
                          (np.isfinite(c) & (c < 0), "a count ≥ 0"),
                          (np.isfinite(c) & (c > MAX_POPULATION_COUNT),
                           f"a count ≤ {MAX_POPULATION_COUNT:.0e} (more than the world's "
                           "population is not a zone's count)")):
        i = np.flatnonzero(bad)
        if i.size:
            value = " ".join(str(raw.iloc[int(i[0])]).split())[:40]
            raise DataValidationError(f"population count {value!r}; expected {expected}",
                                      path=where, row=int(i[0]) + 1, field=column)
    out = gpd.GeoDataFrame({column: counts.fillna(0.0).to_numpy(dtype=float)},
                           geometry=layer.geometry.values, crs=layer.crs).to_crs(METRIC_CRS)
    return out[~(out.geometry.is_empty | out.geometry.isna())]


def _network_for(mode: str, network: Network | None, *, as_of: int | None = None) -> Network:
    # transit catchments end with a walk from the alighting station: a walk network
    net_type = "walk" if mode in _TRANSIT else mode
    if network is None:
        from corridor_geo.graph import load_network

        # the corridor's year: expressway sections not open then are not recognised
        return load_network("default", network_type=net_type, as_of=as_of)
    net_mode = getattr(network, "mode", net_type)
    if net_mode != net_type:
        raise CorridorGeoError(f"mode {mode!r} does not match the network's mode {net_mode!r}")
    return network


def _drive_layer(corridor: Corridor, net: Network) -> MultimodalNetwork:
    """Build the drive matrix's multimodal network on *net* (its drive layer is what counts).

    ``travel_time_matrix(corridor, ..., street=net)`` routes drive cells on the drive
    layer of ``MultimodalNetwork.build(corridor, street=net)``: the streets plus the
    corridor's expressway links in service in ``corridor.as_of``, joined at their
    interchanges. Built here the same way (without the walk layer, which the drive
    layer does not use), so a drive catchment and the drive matrix route on one graph.
    """
    from corridor_geo.transit import MultimodalNetwork

    return MultimodalNetwork.build(corridor, street=net, walk=False)


def _node_times(net: Network, mode: str, src: np.ndarray, *, cutoff_s: float,
                multimodal: Any = None) -> np.ndarray:
    from corridor_geo.routing import shortest_times, travel_times

    layer = getattr(multimodal, "drive", None)
    if layer is not None:
        # the drive layer of the matrix (and of park-and-ride access): the streets plus
        # the expressway links joined at their interchanges, a scenario's new ones and
        # its factors included; its first nodes are the street network's
        g, n = layer.graph, net.n_nodes
        if g.n_snap != n or not (np.array_equal(g.lon[:n], net.lon)
                                 and np.array_equal(g.lat[:n], net.lat)):
            raise ArgumentError(
                f"multimodal's drive layer was built on another street network ({g.n_snap} "
                f"street nodes) than network= ({n} nodes); build it with "
                "MultimodalNetwork.build(corridor, street=network)")
        t = np.asarray(shortest_times(g, src, cutoff_s=cutoff_s), dtype=np.float64)[:, :n]
    else:
        # one scipy call for all origins (a single-source search per origin), cut at the
        # largest band
        t = np.asarray(travel_times(net, src, cutoff_s=cutoff_s), dtype=np.float64)
    return np.where(t <= cutoff_s, t, np.inf)


def _to_metric_array(geoms: np.ndarray) -> np.ndarray:
    out: np.ndarray = shapely.transform(
        geoms, lambda c: np.column_stack(_TO_METRIC.transform(c[:, 0], c[:, 1])))
    return out


def _to_metric(geom: BaseGeometry) -> BaseGeometry:
    out = _to_metric_array(np.asarray([geom]))[0]
    return shapely.make_valid(out) if not out.is_valid else out


def _platform_nodes(corridor: Corridor | None, net: Network,
                    snap_max_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Ids of the platforms that snap to the network and their access nodes."""
    if corridor is None or len(corridor.platforms) == 0:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64)
    from corridor_geo.routing import snap_points

    plats = corridor.platforms.sort_values("id")
    pts = plats.geometry.representative_point()
    ids, nodes = [], []
    for pid, pt in zip(plats["id"], pts, strict=True):
        try:
            s = snap_points(net, np.array([pt.x]), np.array([pt.y]), max_distance_m=snap_max_m)
        except SnapError:
            continue  # off this network: never counted as reached
        ids.append(str(pid))
        nodes.append(int(np.asarray(s.node)[0]))
    return np.array(ids, dtype=object), np.array(nodes, dtype=np.int64)


# ----------------------------------------------------------------------------- methods


def _grid_index(net: Network, *, cell: float, land: BaseGeometry | None, speed_ms: float,
                radius: float) -> _grid.GridIndex:
    """Return the network's :class:`~corridor_geo._grid.GridIndex` for these settings (cached).

    Kept in the network's in-memory cache (``net._cache``), so repeated calls on the same
    network reuse the grid, the land components and the (cell, access point) pairs of
    the tiles already visited. Only the latest two settings are kept.
    """
    spacing = max(cell / 2.0, 50.0)
    land_key = hashlib.sha256(shapely.to_wkb(land)).hexdigest() if land is not None else ""
    key = (float(cell), float(radius), float(speed_ms), spacing, land_key)
    store: dict[tuple[Any, ...], _grid.GridIndex] = net._cache.setdefault("catchment_grid", {})
    index = store.get(key)
    if index is None:
        hw = np.asarray(net.highway, dtype=object).astype(str)
        index = _grid.GridIndex(
            x=np.asarray(net.x, dtype=np.float64), y=np.asarray(net.y, dtype=np.float64),
            source=net.source, travel_time_s=net.travel_time_s, length_m=net.length_m,
            # access points along edges a vehicle (or walker) may stop on: not along
            # access-controlled roads, which are only left at their junction nodes
            stop_ok=~np.isin(hw, NO_ACCESS_HIGHWAYS),
            geom_offsets=net.geom_offsets, geom_lon=net.geom_lon, geom_lat=net.geom_lat,
            to_metric=_TO_METRIC.transform, to_lonlat=_TO_LONLAT.transform, cell=cell,
            radius=radius, speed_ms=speed_ms, spacing=spacing, land=land)
        while len(store) >= 2:
            store.pop(next(iter(store)))
        store[key] = index
    return index


_Extra = tuple[np.ndarray, np.ndarray, np.ndarray]


def _with_extra(x: np.ndarray, y: np.ndarray, t: np.ndarray, extra: _Extra | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node coordinates and times with the extra points (alighting stations) appended."""
    if extra is None:
        return x, y, t
    return (np.concatenate([x, extra[0]]), np.concatenate([y, extra[1]]),
            np.concatenate([t, extra[2]]))


def _grid_method(net: Network, x: np.ndarray, y: np.ndarray, times: np.ndarray,
                 limits_s: list[float], *, cell: float, land: BaseGeometry | None,
                 speed_ms: float, radius: float, extras: list[_Extra] | None = None
                 ) -> list[list[BaseGeometry]]:
    # The grid covers the whole network (not just what these origins reach), so a
    # cell and its land component never depend on the other origins asked for; the
    # work per origin is confined to the tiles it reaches.
    index = _grid_index(net, cell=cell, land=land, speed_ms=speed_ms, radius=radius)
    out = []
    for k, t in enumerate(times):
        cells, ct = index.cell_times(t, limit=limits_s[-1],
                                     extra=extras[k] if extras else None)
        out.append(_grid.band_polygons(index.grid, cells, ct, limits_s, land))
    return out


def _nested(geoms: list[BaseGeometry], land: BaseGeometry | None) -> list[BaseGeometry]:
    """Clip to land and make each band contain the previous one."""
    out: list[BaseGeometry] = []
    prev: BaseGeometry = shapely.Polygon()
    for g in geoms:
        g = _grid._polygonal(g)  # hulls of 1-2 points are points or lines
        if land is not None:
            g = _grid._polygonal(shapely.intersection(g, land))
        g = shapely.union(prev, g) if not prev.is_empty else g
        out.append(g)
        prev = g
    return out


def _buffer_method(net: Network, x: np.ndarray, y: np.ndarray, t: np.ndarray,
                   limits_s: list[float], land: BaseGeometry | None, *,
                   extra: _Extra | None = None) -> list[BaseGeometry]:
    src = np.asarray(net.source, dtype=np.int64)
    dst = np.asarray(net.target, dtype=np.int64)
    px, py, pt = _with_extra(x, y, t, extra)  # points: the nodes, then the extra points
    geoms = []
    for lim in limits_s:
        n = np.flatnonzero(pt <= lim)
        e = np.flatnonzero((t[src] <= lim) & (t[dst] <= lim))
        # straight segments between the end nodes: at a 25 m buffer the curvature of
        # the OSM geometry changes the area by well under a percent
        lines = shapely.linestrings(np.stack([np.column_stack([x[src[e]], y[src[e]]]),
                                              np.column_stack([x[dst[e]], y[dst[e]]])], axis=1))
        parts = np.concatenate([shapely.buffer(shapely.points(px[n], py[n]), NODE_BUFFER_M),
                                shapely.buffer(lines, EDGE_BUFFER_M)])
        geoms.append(shapely.union_all(parts) if parts.size else shapely.Polygon())
    return _nested(geoms, land)


# ----------------------------------------------------------------------------- coverage


def _areal_population(geoms: list[BaseGeometry], zones: gpd.GeoDataFrame,
                      column: str) -> np.ndarray:
    """Return the population in each geometry: Σ count × overlap area / zone area."""
    zg = zones.geometry.array
    zarea = shapely.area(np.asarray(zg))
    counts = zones[column].to_numpy(dtype=float)
    tree = shapely.STRtree(np.asarray(zg))
    out = np.zeros(len(geoms))
    for i, g in enumerate(geoms):
        if g.is_empty:
            continue
        idx = tree.query(g, predicate="intersects")
        idx = idx[zarea[idx] > 0]
        if idx.size == 0:
            continue
        inter = shapely.area(shapely.intersection(np.asarray(zg)[idx], g))
        out[i] = float(np.sum(counts[idx] * inter / zarea[idx]))
    return out


# ------------------------------------------------------------------ the module is callable


class _CallableModule(types.ModuleType):
    """Type of this module: calling the module calls :func:`catchments`.

    ``corridor_geo.catchments`` names both this module and its public function. Python
    binds the package attribute to the module whenever the module is first imported
    (by the scenarios, the CLI or a user's ``from corridor_geo.catchments import ...``),
    so ``cg.catchments(...)`` would otherwise raise "'module' object is not callable"
    depending on what ran before, e.g. after ``cg.run_scenario``. Renaming the module
    would break its import path; making it callable keeps both spellings working.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return catchments(*args, **kwargs)


# inspect.signature() and IDEs read this for the callable module
__signature__ = inspect.signature(catchments)
sys.modules[__name__].__class__ = _CallableModule
