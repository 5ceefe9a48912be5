"""One entry point to street networks: :func:`load_network`.

Sources
-------
``"default"`` (alias ``"scgraph"``)
    Works with no internet and no extra package: OpenStreetMap's major roads bundled in
    ``geodata/roads_default.npz`` (extracted once from the PyPI package ``scgraph-data``
    by ``scripts/build_default_network.py``), clipped to the corridor polygon, with the
    calibrated drive model of ``geodata/`` (see :func:`default_network`).
``"overpass"``
    Online through osmnx (``graph_from_polygon``) against ``settings.overpass_url``,
    with osmnx's HTTP cache in ``cache_dir()/overpass``. Needs ``polygon`` or ``bbox``.
a path to ``.osm`` / ``.osm.bz2`` / ``.osm.gz`` / ``.xml`` / ``.osm.pbf``
    Read with pyosmium in one streaming pass (see :mod:`corridor_geo._osm`) and clipped
    to ``polygon``/``bbox``; a Geofabrik province extract works.
a path to ``.graphml``
    An osmnx GraphML file.

Every built network is cached (:mod:`corridor_geo.cache`) under a key made of the
source, the clip area, the network type and the speed table; the cache is checked
against the source file's size, mtime and SHA-256.

Examples
--------
>>> net = load_network()  # doctest: +SKIP
>>> walk = load_network("hitech.osm", network_type="walk")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from corridor_geo import _osm, _roads, settings
from corridor_geo._adapters import osmnx_overpass_errors
from corridor_geo._args import check_as_of, describe
from corridor_geo._io import check_input_file, file_sha256
from corridor_geo.cache import load_or_build
from corridor_geo.errors import ArgumentError, CorridorGeoError, NetworkSourceError
from corridor_geo.network import Network, haversine_m
from corridor_geo.speeds import SPEED_MODEL_VERSION, edge_speeds_kmh, speed_table

#: Largest network source file read (bytes): a province-scale PBF is a few hundred MB.
_MAX_SOURCE_BYTES = 64 << 30

__all__ = [
    "DEFAULT_MODEL_VERSION",
    "DEV_BBOX",
    "default_network",
    "expressway_table",
    "load_network",
    "scgraph_network",
]

#: Fallback clip area (west, south, east, north) when the corridor polygon is unavailable:
#: the box of the bundled default network (``geodata/roads_default.json``).
DEV_BBOX: tuple[float, float, float, float] = _roads.default_bbox()

#: Version of the default network's drive model (cache key; the data files' hashes are
#: part of the key too).
DEFAULT_MODEL_VERSION = "default-21"

_XML_SUFFIXES = (".osm", ".xml", ".osm.bz2", ".osm.gz", ".osm.xml")


def _as_polygon(polygon: Any, bbox: Any) -> BaseGeometry | None:
    """Normalise the clip area to one WGS84 shapely geometry (or None)."""
    geom = None
    if polygon is not None:
        if hasattr(polygon, "to_crs") and hasattr(polygon, "crs"):  # GeoDataFrame/GeoSeries
            gs = polygon.to_crs(settings.WGS84) if polygon.crs is not None else polygon
            geom = shapely.union_all(np.asarray(gs.geometry if hasattr(gs, "geometry") else gs))
        elif isinstance(polygon, BaseGeometry):
            geom = polygon
        else:
            raise CorridorGeoError(
                f"polygon must be a shapely (Multi)Polygon or a GeoDataFrame, "
                f"got {type(polygon).__name__}"
            )
        if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise CorridorGeoError(
                f"polygon must be a non-empty (Multi)Polygon, got {geom.geom_type}")
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise CorridorGeoError(f"polygon bounds {geom.bounds} are not WGS84 lon/lat")
    if bbox is not None:
        try:
            w, s, e, n = (float(v) for v in bbox)
        except (TypeError, ValueError):
            raise CorridorGeoError(
                f"bbox must be (west, south, east, north) in degrees, got {describe(bbox)}"
            ) from None
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise CorridorGeoError(
                f"bbox {bbox!r} is not (west, south, east, north) with west<east, south<north"
            )
        b = box(w, s, e, n)
        geom = b if geom is None else geom.intersection(b)
    return geom


def _default_polygon() -> BaseGeometry:
    """Return the corridor polygon (three cities), or :data:`DEV_BBOX` when unavailable."""
    try:
        from corridor_geo.corridor import load_corridor

        return load_corridor().polygon
    except (ImportError, CorridorGeoError, FileNotFoundError) as exc:
        first = exc
    try:
        from corridor_geo.boundaries import load_boundaries

        return shapely.union_all(np.asarray(load_boundaries(level="city").geometry))
    except (ImportError, CorridorGeoError, FileNotFoundError):
        warnings.warn(f"corridor polygon unavailable ({first}); clipping the default network "
                      f"to the box {DEV_BBOX}", stacklevel=3)
        return box(*DEV_BBOX)


def _geom_hash(geom: BaseGeometry | None) -> str | None:
    if geom is None:
        return None
    return hashlib.sha256(shapely.to_wkb(shapely.normalize(geom), output_dimension=2)).hexdigest()


def _travel_times(arrays: Mapping[str, Any], mode: str, speeds: Any) -> np.ndarray:
    kmh = edge_speeds_kmh(np.asarray(arrays["highway"], dtype=str),
                          np.asarray(arrays["maxspeed_kmh"]), mode=mode, table=speeds)
    return np.asarray(arrays["length_m"]) / (kmh / 3.6)


# --------------------------------------------------------------------------- files
def _file_meta(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"source": str(path), "source_size": st.st_size, "source_mtime_ns": st.st_mtime_ns,
            "source_sha256": file_sha256(path)}


def _file_is_fresh(path: Path) -> Any:
    def fresh(meta: dict[str, Any]) -> bool:
        try:
            st = path.stat()
        except OSError:
            return False
        if st.st_size == meta.get("source_size") and st.st_mtime_ns == meta.get("source_mtime_ns"):
            return True
        return file_sha256(path) == meta.get("source_sha256")

    return fresh


def _build_from_osm_file(path: Path, *, network_type: str, clip: BaseGeometry | None,
                         speeds: Any, retain_all: bool, progress: bool) -> Network:
    raw = _osm.read_osm_file(path, network_type=network_type, progress=progress,
                             bbox=None if clip is None else clip.bounds)
    arrays = _osm.build_edges(raw, network_type=network_type, polygon=clip)
    if not arrays or not len(arrays["source"]):
        have = raw.file_bounds
        if have is None and len(raw.node_lon) and np.isfinite(raw.node_lon).any():
            have = (np.nanmin(raw.node_lon), np.nanmin(raw.node_lat),
                    np.nanmax(raw.node_lon), np.nanmax(raw.node_lat))
        where = ("" if clip is None else
                 f" inside the requested area {_osm.describe_bounds(clip.bounds)}")
        raise NetworkSourceError(
            f"{path} holds no {network_type} ways{where}; the file covers "
            f"{_osm.describe_bounds(have)} (west, south, east, north)"
        )
    if not retain_all:
        arrays = _osm.largest_component(arrays)
    meta = {**_file_meta(path), "osm_date": raw.timestamp or None, "network_type": network_type,
            "speed_model_version": SPEED_MODEL_VERSION,
            "clip_bounds": None if clip is None else list(clip.bounds)}
    return Network.from_edges(**arrays, travel_time_s=_travel_times(arrays, network_type, speeds),
                              mode=network_type, meta=meta)


def _build_from_graphml(path: Path, *, network_type: str, clip: BaseGeometry | None,
                        speeds: Any) -> Network:
    import osmnx as ox

    from corridor_geo._io import check_input_file

    check_input_file(path, what="GraphML file")
    try:
        g = ox.load_graphml(path)
    except Exception as exc:
        raise NetworkSourceError(f"cannot read GraphML file {path}: {exc}") from exc
    if g.number_of_edges() == 0:
        raise NetworkSourceError(f"GraphML file {path} has no edges "
                                 f"({g.number_of_nodes()} nodes); expected a street network")
    if clip is not None:
        g = ox.truncate.truncate_graph_polygon(g, clip)
    meta = {**_file_meta(path), "osm_date": None, "network_type": network_type,
            "speed_model_version": SPEED_MODEL_VERSION}
    return Network.from_osmnx(g, mode=network_type, speeds=speeds, meta=meta)


# --------------------------------------------------------------------------- overpass
def _build_from_overpass(*, network_type: str, clip: BaseGeometry, speeds: Any,
                         retain_all: bool) -> Network:
    import osmnx as ox
    import requests

    saved = {k: getattr(ox.settings, k) for k in ("overpass_url", "cache_folder", "use_cache")}
    failures: tuple[type[Exception], ...] = (
        requests.RequestException, *osmnx_overpass_errors(), ValueError)
    try:
        ox.settings.overpass_url = settings.overpass_url
        ox.settings.cache_folder = str(settings.cache_dir() / "overpass")
        ox.settings.use_cache = True
        g = ox.graph_from_polygon(clip, network_type=network_type, simplify=True,
                                  retain_all=retain_all)
    except failures as exc:
        raise NetworkSourceError(
            f"Overpass at {settings.overpass_url} gave no {network_type} network for "
            f"{_osm.describe_bounds(clip.bounds)}: {exc}"
        ) from exc
    finally:
        for k, v in saved.items():
            setattr(ox.settings, k, v)
    meta = {"source": f"overpass:{settings.overpass_url}", "source_sha256": None,
            "osm_date": None, "network_type": network_type,
            "speed_model_version": SPEED_MODEL_VERSION, "clip_bounds": list(clip.bounds)}
    return Network.from_osmnx(g, mode=network_type, speeds=speeds, meta=meta)


# --------------------------------------------------------------------------- default
def _default_data_hash() -> str:
    """SHA-256 over the files the default network is built from (cache key part)."""
    h = hashlib.sha256()
    folder = settings.geodata_dir()
    for name in (_roads.ROADS_FILE, _roads.EXPRESSWAYS_FILE, _roads.WAYPOINTS_FILE,
                 _roads.OPENINGS_FILE, _roads.DRIVE_MODEL_FILE):
        h.update(name.encode())
        h.update(file_sha256(folder / name).encode())
    return h.hexdigest()


def expressway_table() -> list[dict[str, Any]]:
    """Return the expressways the default network recognises, from ``geodata/`` (a copy).

    Each entry has ``id``, ``name_en``, ``name_zh``, ``code``, ``typical_kmh``,
    ``posted_kmh``, ``length_km``, ``confidence``, ``source``, ``notes`` and the ordered
    ``waypoints`` ((lon, lat) pairs), ``waypoint_labels`` and ``waypoint_seqs`` of
    ``geodata/expressway_waypoints.csv``. When each opened: ``_roads.read_openings``.

    Examples
    --------
    >>> [e["id"] for e in expressway_table()][:2]
    ['gs_expressway', 'yanjiang_expressway']
    """
    return _roads.read_expressways()


def _default_arrays(polygon: BaseGeometry) -> dict[str, Any]:
    """Bundled roads inside *polygon*: nodes, undirected edges (u < v), chord lengths."""
    arrays, manifest = _roads.read_roads()
    lon = arrays["lon_e3"].astype(np.float64) / 1000.0
    lat = arrays["lat_e3"].astype(np.float64) / 1000.0
    inside = _osm._inside(lon, lat, bbox=None, polygon=polygon)
    u, v = arrays["u"].astype(np.int64), arrays["v"].astype(np.int64)
    keep = inside[u] & inside[v]
    u, v = u[keep], v[keep]
    if not len(u):
        raise NetworkSourceError(
            f"the bundled default road network ({manifest.get('source')}) has no roads inside "
            f"{_osm.describe_bounds(polygon.bounds)}"
        )
    nodes, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    m = len(u)
    return {"osmid": arrays["source_index"][nodes].astype(np.int64), "lon": lon[nodes],
            "lat": lat[nodes], "u": inv[:m], "v": inv[m:],
            "chord_m": haversine_m(lon[u], lat[u], lon[v], lat[v]),
            "manifest": manifest}


def default_network(
    *,
    polygon: BaseGeometry,
    network_type: str = "drive",
    speeds: Mapping[str, float] | None = None,
    as_of: int | None = None,
) -> Network:
    """Build the offline default network from the bundled roads (no cache; see load_network).

    The roads are OpenStreetMap's major roads as simplified by ``scgraph-data``
    (``geodata/roads_default.npz``, built by ``scripts/build_default_network.py``):
    straight chords between junctions, coordinates rounded to 0.001° (~100 m), no road
    class, speed or one-way information. The drive model (``docs/network.md``):

    * **expressways** from ``geodata/expressways.csv`` and the ordered waypoints of
      ``geodata/expressway_waypoints.csv``: each waypoint line is map-matched onto the
      roads (:func:`corridor_geo._roads.match_expressways`); matched edges get class
      ``"expressway"``, the expressway's English name and its **typical** speed
      (``typical_kmh``, not the posted limit), with no junction delay;
    * every other edge is ``"arterial"`` at ``arterial_kmh`` plus ``junction_delay_s``
      when it enters a junction (a node where three or more roads meet);
    * the **local street layer** (drive only, :func:`corridor_geo._roads.local_links`):
      nodes within ``local_radius_m`` of each other that no road joins, neither on an
      expressway, are linked (class ``"local"``) at ``local_kmh`` over the chord ×
      ``local_detour_factor``, standing in for the minor streets the source lacks;
      expressways are entered only where the source joins a road to them;
    * lengths are great-circle chords, × ``detour_factor`` on arterials (chords cut
      the bends of streets; an expressway's matched chain is left as it is);
    * parameters from ``geodata/drive_model.csv`` (fitted by
      ``scripts/calibrate_drive.py`` against full-OSM routing); every edge is two-way;
    * **as of a year** (*as_of*): the sections of ``geodata/expressway_openings.csv``
      that opened after *as_of* are not recognised (their roads stay arterials, their
      missing stretches are not bridged). A section counts as open in the year it
      opened, the rule of the rail data; a section without a known date counts as open.
      ``None``: every listed expressway (the current data).

    Walk and bike networks are the arterials only, at the walk/bike speeds of
    ``drive_model.csv``. *speeds* overrides ``{"expressway": km/h}`` (every expressway),
    ``{<expressway id>: km/h}``, ``{"arterial": km/h}`` or ``{"local": km/h}``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> net = default_network(polygon=box(113.8, 22.5, 114.1, 22.7))
    >>> "Guangshen Expressway" in set(net.name)
    True
    """
    from corridor_geo import _roads as rd

    as_of = check_as_of(as_of)
    arrays = _default_arrays(polygon)
    model = rd.read_drive_model()
    roads = rd.read_expressways()
    openings = rd.read_openings(expressways=roads)
    for r in roads:
        r["legs_open"] = rd.open_legs(r, openings, as_of=as_of)
    import pyproj

    tf = pyproj.Transformer.from_crs(settings.WGS84, settings.METRIC_CRS, always_xy=True)
    x, y = (np.asarray(c) for c in tf.transform(arrays["lon"], arrays["lat"]))
    for r in roads:
        r["xy"] = tf.transform([p[0] for p in r["waypoints"]], [p[1] for p in r["waypoints"]])
    u, v = arrays["u"], arrays["v"]
    which, bridges, report = rd.match_expressways(x, y, u, v, roads,
                                                  band_m=model["match_band_m"])
    chord = np.concatenate([arrays["chord_m"], bridges[:, 2]])
    u = np.concatenate([u, bridges[:, 0].astype(np.int64)])
    v = np.concatenate([v, bridges[:, 1].astype(np.int64)])
    which = np.concatenate([which, bridges[:, 3].astype(np.int64)])
    # junctions are where three or more roads of the source meet (local links excluded)
    n_all = len(arrays["lon"])
    road_degree = np.bincount(np.concatenate([u, v]), minlength=n_all)
    local = np.zeros(len(u), dtype=bool)
    if network_type == "drive":
        la, lb, lchord = rd.local_links(x, y, u, v, which >= 0,
                                        radius_m=model["local_radius_m"])
        u, v = np.concatenate([u, la]), np.concatenate([v, lb])
        chord = np.concatenate([chord, lchord])
        which = np.concatenate([which, np.full(len(la), -1, dtype=np.int64)])
        local = np.concatenate([local, np.ones(len(la), dtype=bool)])
    # largest connected component (every edge is two-way, so weak = strong)
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(
        sp.coo_array((np.ones(len(u)), (u, v)), shape=(n_all, n_all)).tocsr(), directed=False)
    big = np.argmax(np.bincount(labels[u]))
    keep = labels[u] == big
    u, v, chord, which, local = u[keep], v[keep], chord[keep], which[keep], local[keep]
    nodes, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    road_degree = road_degree[nodes]
    u, v = inv[:len(u)], inv[len(u):]
    arrays = {**arrays, "osmid": arrays["osmid"][nodes], "lon": arrays["lon"][nodes],
              "lat": arrays["lat"][nodes]}
    overrides = {str(k): float(val) for k, val in (speeds or {}).items()}
    for k, val in overrides.items():
        if not (val > 0 and np.isfinite(val)):
            raise CorridorGeoError(f"speed for {k!r} must be a positive number of km/h, "
                                   f"got {val!r}")
    known = {"expressway", "arterial", "local", *(r["id"] for r in roads)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise CorridorGeoError(f"unknown speed key(s) {unknown} for the default network; "
                               f"expected 'expressway', 'arterial', 'local' or an expressway id")
    road_kmh = np.array([overrides.get(r["id"], overrides.get("expressway", r["typical_kmh"]))
                         for r in roads] + [np.nan])
    is_exp = which >= 0
    cls = np.where(is_exp, "expressway", np.where(local, "local", "arterial")).astype(object)
    name = np.array([r["name_en"] for r in roads] + [""], dtype=object)[which]
    # chords cut the bends of streets; a matched expressway chain already zig-zags along
    # its waypoints (longer than the published length), so only arterials get the detour
    length = chord * np.where(is_exp, 1.0, np.where(local, model["local_detour_factor"],
                                                    model["detour_factor"]))
    if network_type != "drive":
        keep = ~is_exp
        u, v, length, cls, name = u[keep], v[keep], length[keep], cls[keep], name[keep]
        kmh = np.full(len(u), model["walk_kmh" if network_type == "walk" else "bike_kmh"])
        which = which[keep]
    else:
        kmh = np.where(is_exp, road_kmh[which],
                       np.where(local, overrides.get("local", model["local_kmh"]),
                                overrides.get("arterial", model["arterial_kmh"])))
    # both directions
    src, tgt = np.concatenate([u, v]), np.concatenate([v, u])
    length2, kmh2 = np.concatenate([length, length]), np.concatenate([kmh, kmh])
    cls2, name2 = np.concatenate([cls, cls]), np.concatenate([name, name])
    tt = length2 / (kmh2 / 3.6)
    if network_type == "drive" and model["junction_delay_s"] > 0:
        tt = tt + np.where((cls2 == "arterial") & (road_degree[tgt] >= 3),
                           model["junction_delay_s"], 0.0)
    manifest = arrays["manifest"]
    # the source text starts with "scgraph-data" (catchments recognise major-road networks)
    meta = {"source": f"{manifest.get('source')} (bundled: geodata/{_roads.ROADS_FILE})",
            "source_sha256": manifest.get("sha256"), "osm_date": None,
            "network_type": network_type,
            "speed_model_version": f"{DEFAULT_MODEL_VERSION}+{SPEED_MODEL_VERSION}",
            "as_of": as_of,
            "drive_model": model,
            "expressways": report if network_type == "drive" else None,
            "speeds_kmh": overrides or None, "clip_bounds": list(polygon.bounds),
            "attribution": manifest.get("attribution")}
    return Network.from_edges(
        osmid=arrays["osmid"], lon=arrays["lon"], lat=arrays["lat"], source=src, target=tgt,
        length_m=length2, travel_time_s=tt, highway=cls2, name=name2,
        oneway=np.zeros(len(src), dtype=bool), maxspeed_kmh=np.full(len(src), np.nan),
        way_id=np.full(len(src), -1), mode=network_type, meta=meta)


#: Former name of :func:`default_network` (the bundled roads come from scgraph-data).
scgraph_network = default_network

# --------------------------------------------------------------------------- entry point
def _check_speeds(speeds: Any) -> None:
    if not isinstance(speeds, Mapping):
        raise CorridorGeoError("speeds must be a mapping {road class: km/h}, got "
                               f"{describe(speeds)}")
    for key, val in speeds.items():
        try:
            v = float(val)
        except (TypeError, ValueError):
            v = math.nan
        if isinstance(val, bool) or not (math.isfinite(v) and v > 0):
            raise CorridorGeoError(
                f"speeds[{key!r}]: must be a positive number of km/h, got {val!r}")



def load_network(
    source: str | os.PathLike[str] = "default",
    *,
    network_type: str = "drive",
    polygon: Any = None,
    bbox: Sequence[float] | None = None,
    cache: bool = True,
    speeds: Mapping[str, float] | None = None,
    progress: bool | None = None,
    retain_all: bool = False,
    as_of: int | None = None,
) -> Network:
    """Load a street network from a source, through the network cache.

    Parameters
    ----------
    source
        ``"default"`` (offline bundled major roads clipped to the corridor),
        ``"overpass"`` (online via osmnx), or a path to ``.osm``/``.osm.pbf``/
        ``.osm.bz2``/``.graphml``.
    network_type
        ``"drive"``, ``"walk"`` or ``"bike"`` (osmnx's filters and one-way rules).
    polygon
        Clip area: shapely (Multi)Polygon or GeoDataFrame in WGS84. Default: the whole
        file; for ``"default"`` the corridor polygon.
    bbox
        Clip box (west, south, east, north) in degrees; intersected with *polygon*.
    cache
        Read and write the network cache (``settings.cache_dir()/networks``).
    speeds
        Overrides of the speed table: ``{highway class: km/h}``
        (:data:`corridor_geo.speeds.DEFAULT_SPEEDS_CN`; for the default source
        ``{"expressway": ..., "arterial": ..., <expressway id>: ...}``).
    progress
        tqdm progress bars (default ``settings.progress``).
    retain_all
        Keep every weakly connected component (default: the largest only, as osmnx).
    as_of
        Year of the default network (``source="default"``): expressway sections that
        opened after it are not recognised (``geodata/expressway_openings.csv``; see
        :func:`default_network`). ``None`` (default): the current data. The year is part
        of the cache key and of ``meta["as_of"]``; a year at or after the latest
        opening gives the current network, recorded as ``None``
        (:func:`corridor_geo._roads.effective_as_of`). A file or Overpass network is the
        map it was read from: *as_of* other than ``None`` is an error there.

    Returns
    -------
    Network

    Raises
    ------
    NetworkSourceError
        Missing or unreadable file, unknown suffix, no network in the requested area,
        Overpass failure.
    CorridorGeoError
        Unknown network type, bad polygon/bbox/speeds, a bad year, or *as_of* with a
        source other than ``"default"``.

    Examples
    --------
    >>> net = load_network("futian.osm.pbf", bbox=(113.9, 22.5, 114.1, 22.6))  # doctest: +SKIP
    >>> net2019 = load_network(as_of=2019)  # doctest: +SKIP
    >>> net2019.meta["as_of"]  # doctest: +SKIP
    2019
    """
    if not isinstance(network_type, str):
        raise CorridorGeoError(f"network_type must be 'drive', 'walk' or 'bike', got "
                               f"{describe(network_type)}")
    _osm.check_network_type(network_type)
    if speeds is not None:
        _check_speeds(speeds)  # every source: NaN/0/negative speeds never reach routing
    as_of = check_as_of(as_of)
    clip = _as_polygon(polygon, bbox)
    show = settings.progress if progress is None else bool(progress)
    src = os.fspath(source) if isinstance(source, os.PathLike) else source
    if not isinstance(src, str):
        raise CorridorGeoError(f"source must be 'default', 'overpass' or a path, got {source!r}")
    base: dict[str, Any] = {"network_type": network_type, "retain_all": retain_all,
                            "speed_model": SPEED_MODEL_VERSION,
                            "speeds": {k: float(v) for k, v in (speeds or {}).items()}}
    if src in ("default", "scgraph"):
        # a year at or after the latest opening is the current network (one cache entry)
        as_of = _roads.effective_as_of(as_of)
        area = clip if clip is not None else _default_polygon()
        key = {**base, "source": "default", "clip": _geom_hash(area),
               "model": DEFAULT_MODEL_VERSION, "data": _default_data_hash(), "as_of": as_of}
        return load_or_build(key, lambda: default_network(
            polygon=area, network_type=network_type, speeds=speeds, as_of=as_of),
            use_cache=cache)
    if as_of is not None:
        raise ArgumentError(f"as_of={as_of} applies to the default network only (its "
                            f"expressway opening dates); the source {src!r} is the map it "
                            "was read from, give as_of=None")
    if speeds:
        speed_table(speeds)  # validate early
    if src == "overpass":
        if clip is None:
            raise NetworkSourceError("the 'overpass' source needs polygon= or bbox=")
        key = {**base, "source": "overpass", "url": settings.overpass_url,
               "clip": _geom_hash(clip)}
        return load_or_build(key, lambda: _build_from_overpass(
            network_type=network_type, clip=clip, speeds=speeds, retain_all=retain_all),
            use_cache=cache)
    path = Path(src).expanduser()
    if not path.exists() and not path.is_symlink():
        raise NetworkSourceError(f"network source file not found: {path}")
    try:  # a FIFO or device would block libosmium; a folder is not "not found"
        check_input_file(path, max_bytes=_MAX_SOURCE_BYTES, what="network source file")
    except CorridorGeoError as exc:
        raise NetworkSourceError(f"network source {exc}") from None
    path = path.resolve()
    lower = path.name.lower()
    key = {**base, "source": str(path), "clip": _geom_hash(clip)}
    fresh = _file_is_fresh(path)
    if lower.endswith(".pbf") or lower.endswith(_XML_SUFFIXES):
        return load_or_build(key, lambda: _build_from_osm_file(
            path, network_type=network_type, clip=clip, speeds=speeds,
            retain_all=retain_all, progress=show), is_fresh=fresh, use_cache=cache)
    if lower.endswith(".graphml"):
        return load_or_build(key, lambda: _build_from_graphml(
            path, network_type=network_type, clip=clip, speeds=speeds),
            is_fresh=fresh, use_cache=cache)
    raise NetworkSourceError(
        f"{path}: unknown network file type; expected .osm, .osm.pbf, .osm.bz2 or .graphml, "
        "or the sources 'default' / 'overpass'"
    )



