"""One entry point to street networks: :func:`load_network`.

Sources
-------
``"default"`` (alias ``"scgraph"``)
    Works with no internet: the simplified OpenStreetMap major-road network of the
    PyPI package ``scgraph-data`` (``world_highways``), clipped to the corridor
    polygon, with the documented speed model of :data:`SCGRAPH_SPEEDS` (see
    :func:`scgraph_network`).
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
import importlib.metadata
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

from corridor_geo import _osm, settings
from corridor_geo._io import file_sha256
from corridor_geo.cache import load_or_build
from corridor_geo.errors import CorridorGeoError, NetworkSourceError
from corridor_geo.network import Network, haversine_m
from corridor_geo.speeds import SPEED_MODEL_VERSION, edge_speeds_kmh, speed_table

__all__ = [
    "DEV_BBOX",
    "EXPRESSWAY_BUFFER_M",
    "EXPRESSWAY_WAYPOINTS",
    "SCGRAPH_MODEL_VERSION",
    "SCGRAPH_SPEEDS",
    "load_network",
    "scgraph_network",
]

#: Fallback clip area (west, south, east, north) when the corridor polygon is unavailable.
DEV_BBOX = (112.9, 22.4, 114.7, 23.95)

#: Speeds (km/h) of the scgraph default's two classes. The expressways are posted at
#: 100-120 km/h (Yanjiang 100, Guangshen 110) but carry heavy freight traffic; 90 km/h
#: is a daytime average. 40 km/h is an average speed on urban/suburban arterials with
#: signals. Override with ``speeds={"expressway": ..., "arterial": ...}``.
SCGRAPH_SPEEDS: dict[str, float] = {"expressway": 90.0, "arterial": 40.0}
#: Version of the scgraph speed model (cache key).
SCGRAPH_MODEL_VERSION = "scgraph-1"

#: Waypoints (lon, lat) of the two corridor expressways, at their interchanges, from
#: south-west/north ends in order of the stops in the curated links table (approximate
#: to ~1-2 km: interchange locations read from the OpenStreetMap map at the towns named
#: in ``geodata/links.csv``; the Guangshen end points are the curated Huangcun and
#: Huanggang interchanges). Edges of the default network within
#: :data:`EXPRESSWAY_BUFFER_M` of the polyline through these points and parallel to it
#: are the expressway.
EXPRESSWAY_WAYPOINTS: dict[str, list[tuple[float, float]]] = {
    "Guangshen Expressway": [
        (113.405, 23.136),  # Huangcun 黄村立交
        (113.47, 23.135),  # Huocun 火村
        (113.51, 23.12),  # Luogang 萝岗
        (113.61, 23.11),  # Xintang 新塘
        (113.62, 23.06),  # Machong 麻涌
        (113.66, 23.04),  # Wangniudun 望牛墩
        (113.68, 23.00),  # Daojiao 道滘
        (113.71, 22.98),  # Shigu 石鼓
        (113.68, 22.93),  # Houjie 厚街
        (113.69, 22.87),  # Xinlian 新联
        (113.69, 22.83),  # Taiping 太平
        (113.73, 22.80),  # Wudianmei 五点梅
        (113.80, 22.79),  # Chang'an 长安
        (113.82, 22.72),  # Xinqiao 新桥
        (113.84, 22.64),  # Huangtian 黄田
        (113.87, 22.60),  # Hezhou 鹤洲
        (113.93, 22.56),  # Nantou 南头
        (114.066, 22.528),  # Huanggang 皇岗
    ],
    "Yanjiang Expressway": [
        (113.47, 23.10),  # Guantian 官田
        (113.50, 23.09),  # Xiagang 夏港
        (113.55, 23.09),  # Nangang 南岗
        (113.58, 23.04),  # Machong 麻涌
        (113.61, 22.98),  # Hongmei 洪梅
        (113.60, 22.90),  # Shatian 沙田
        (113.64, 22.82),  # Weiyuan/Humen port 威远
        (113.67, 22.79),  # Humen 虎门
        (113.74, 22.76),  # Chang'an 长安
        (113.79, 22.68),  # Fuyong 福永
        (113.81, 22.63),  # Bao'an airport 宝安机场
        (113.85, 22.59),  # Xixiang north 西乡北
        (113.87, 22.55),  # Dachan Bay 大铲湾
        (113.89, 22.53),  # Qianhai 前海
    ],
}

_XML_SUFFIXES = (".osm", ".xml", ".osm.bz2", ".osm.gz", ".osm.xml")
#: Half-width (m) of the band around the waypoint polyline in which edges count as expressway.
EXPRESSWAY_BUFFER_M = 1000.0


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
                f"bbox must be (west, south, east, north) in degrees, got {bbox!r}"
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
    try:
        ox.settings.overpass_url = settings.overpass_url
        ox.settings.cache_folder = str(settings.cache_dir() / "overpass")
        ox.settings.use_cache = True
        g = ox.graph_from_polygon(clip, network_type=network_type, simplify=True,
                                  retain_all=retain_all)
    except (requests.RequestException, ox._errors.InsufficientResponseError,
            ox._errors.ResponseStatusCodeError, ValueError) as exc:
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


# --------------------------------------------------------------------------- scgraph
def _scgraph_arrays(clip: BaseGeometry) -> dict[str, Any]:
    from scgraph_data.world_highways import world_highways_geograph as gg

    nodes = np.asarray(gg.nodes, dtype=np.float64)  # (lat, lon), rounded to 0.001 deg
    lat, lon = nodes[:, 0], nodes[:, 1]
    inside = _osm._inside(lon, lat, bbox=None, polygon=clip)
    idx = np.flatnonzero(inside)
    src: list[int] = []
    tgt: list[int] = []
    graph = gg.graph
    for i in idx.tolist():
        for j in graph[i]:
            if inside[j] and j != i:
                src.append(i)
                tgt.append(j)
    src_a, tgt_a = np.array(src, dtype=np.int64), np.array(tgt, dtype=np.int64)
    used, inv = np.unique(np.concatenate([src_a, tgt_a]), return_inverse=True)
    m = len(src_a)
    return {"osmid": used, "lon": lon[used], "lat": lat[used], "source": inv[:m],
            "target": inv[m:],
            "length_m": haversine_m(lon[src_a], lat[src_a], lon[tgt_a], lat[tgt_a])}


def _expressway_edges(arrays: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Class and name per edge: expressway where the edge follows a waypoint polyline.

    An edge follows an expressway when both its ends lie within
    :data:`EXPRESSWAY_BUFFER_M` of the polyline through the waypoints (in EPSG:4547)
    and it runs roughly parallel to it (|cos| of the angle to the nearest polyline
    segment ≥ 0.7, i.e. within ~45°), so crossing streets are not marked.
    """
    import pyproj

    tf = pyproj.Transformer.from_crs(settings.WGS84, settings.METRIC_CRS, always_xy=True)
    x, y = (np.asarray(v) for v in tf.transform(arrays["lon"], arrays["lat"]))
    src, tgt = arrays["source"], arrays["target"]
    cls = np.full(len(src), "arterial", dtype=object)
    name = np.full(len(src), "", dtype=object)
    p_src = shapely.points(x[src], y[src])
    p_tgt = shapely.points(x[tgt], y[tgt])
    ex, ey = x[tgt] - x[src], y[tgt] - y[src]
    elen = np.hypot(ex, ey)
    for road, pts in EXPRESSWAY_WAYPOINTS.items():
        px, py = (np.asarray(v) for v in tf.transform([p[0] for p in pts], [p[1] for p in pts]))
        line = shapely.linestrings(np.column_stack([px, py]))
        near = ((shapely.distance(p_src, line) <= EXPRESSWAY_BUFFER_M)
                & (shapely.distance(p_tgt, line) <= EXPRESSWAY_BUFFER_M) & (elen > 0))
        # direction of the polyline segment nearest to the edge's midpoint
        mid = shapely.points((x[src] + x[tgt]) / 2, (y[src] + y[tgt]) / 2)
        along = shapely.line_locate_point(line, mid)
        seg_end = np.cumsum(np.hypot(np.diff(px), np.diff(py)))
        k = np.minimum(np.searchsorted(seg_end, along), len(seg_end) - 1)
        sx, sy = np.diff(px)[k], np.diff(py)[k]
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = np.abs(ex * sx + ey * sy) / (elen * np.hypot(sx, sy))
        hit = near & (cos >= 0.7) & (cls != "expressway")
        cls[hit] = "expressway"
        name[hit] = road
    return cls, name


def scgraph_network(
    *,
    polygon: BaseGeometry,
    network_type: str = "drive",
    speeds: Mapping[str, float] | None = None,
) -> Network:
    """Build the offline default network from ``scgraph-data`` (no cache; see load_network).

    The scgraph world-highways graph is OpenStreetMap's major roads, simplified to
    straight chords between junctions, coordinates rounded to 0.001° (~100 m), with
    no road class, speed or one-way information. The speed model:

    * edges within 1 km of, and parallel to, the polyline through the interchange
      waypoints of the Guangshen and Yanjiang expressways (:data:`EXPRESSWAY_WAYPOINTS`,
      :data:`EXPRESSWAY_BUFFER_M`) are class
      ``"expressway"`` (named ``"Guangshen Expressway"`` / ``"Yanjiang Expressway"``);
      every other edge is ``"arterial"``;
    * speeds from :data:`SCGRAPH_SPEEDS` (90 / 40 km/h), overridable via *speeds*;
    * every edge is two-way; lengths are great-circle chord lengths.

    Walk and bike networks are the same arterials without the expressways, at 4.8 and
    15 km/h. Limits: chords under-estimate road length (bends are cut), minor streets
    are missing (short trips are too long or unreachable), no one-way streets or turn
    costs; a parallel arterial within the band is taken for the expressway, and an
    expressway stretch more than 1 km off the waypoint polyline is taken for an arterial.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> net = scgraph_network(polygon=box(113.8, 22.5, 114.1, 22.7))  # doctest: +SKIP
    """
    arrays = _scgraph_arrays(polygon)
    if not len(arrays["source"]):
        raise NetworkSourceError(
            "the scgraph-data world highways have no roads inside "
            f"{_osm.describe_bounds(polygon.bounds)}"
        )
    cls, name = _expressway_edges(arrays)
    table = dict(SCGRAPH_SPEEDS)
    for k, v in (speeds or {}).items():
        table[k] = float(v)
    if network_type == "drive":
        kmh = np.where(cls == "expressway", table["expressway"], table["arterial"])
    else:
        keep = cls != "expressway"
        cls, name = cls[keep], name[keep]
        for k in ("source", "target", "length_m"):
            arrays[k] = arrays[k][keep]
        kmh = edge_speeds_kmh(cls.astype(str), None, mode=network_type)
    arrays = {**arrays, "highway": cls, "name": name, "maxspeed_kmh": np.full(len(cls), np.nan),
              "oneway": np.zeros(len(cls), dtype=bool), "way_id": np.full(len(cls), -1)}
    # geometry = straight chords: let from_edges build them
    sub = _osm.largest_component({**arrays, **_chord_geometry(arrays)})
    version = importlib.metadata.version("scgraph-data")
    meta = {"source": f"scgraph-data {version} world_highways", "source_sha256": None,
            "osm_date": None, "network_type": network_type,
            "speed_model_version": f"{SCGRAPH_MODEL_VERSION}+{SPEED_MODEL_VERSION}",
            "speeds_kmh": table if network_type == "drive" else None,
            "clip_bounds": list(polygon.bounds)}
    kmh_sub = _sub_speeds(arrays, sub, kmh)
    return Network.from_edges(**sub, travel_time_s=sub["length_m"] / (kmh_sub / 3.6),
                              mode=network_type, meta=meta)


def _chord_geometry(arrays: Mapping[str, Any]) -> dict[str, np.ndarray]:
    s, t = arrays["source"], arrays["target"]
    lon, lat = arrays["lon"], arrays["lat"]
    return {"geom_offsets": np.arange(0, 2 * len(s) + 1, 2, dtype=np.int64),
            "geom_lon": np.column_stack([lon[s], lon[t]]).ravel(),
            "geom_lat": np.column_stack([lat[s], lat[t]]).ravel()}


def _sub_speeds(full: Mapping[str, Any], sub: Mapping[str, Any], kmh: np.ndarray) -> np.ndarray:
    if len(sub["source"]) == len(full["source"]):
        return kmh
    # largest_component keeps edges in order; recover which by their (osmid) ends
    keep_node = np.isin(full["osmid"], sub["osmid"])
    return kmh[keep_node[full["source"]]]


# --------------------------------------------------------------------------- entry point
def _check_speeds(speeds: Any) -> None:
    if not isinstance(speeds, Mapping):
        raise CorridorGeoError(f"speeds must be a mapping {{road class: km/h}}, got {speeds!r}")
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
) -> Network:
    """Load a street network from a source, through the network cache.

    Parameters
    ----------
    source
        ``"default"`` (offline scgraph-data major roads clipped to the corridor),
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
        ``{"expressway": ..., "arterial": ...}``).
    progress
        tqdm progress bars (default ``settings.progress``).
    retain_all
        Keep every weakly connected component (default: the largest only, as osmnx).

    Returns
    -------
    Network

    Raises
    ------
    NetworkSourceError
        Missing or unreadable file, unknown suffix, no network in the requested area,
        Overpass failure.
    CorridorGeoError
        Unknown network type, bad polygon/bbox/speeds.

    Examples
    --------
    >>> net = load_network("futian.osm.pbf", bbox=(113.9, 22.5, 114.1, 22.6))  # doctest: +SKIP
    """
    if not isinstance(network_type, str):
        raise CorridorGeoError(f"network_type must be 'drive', 'walk' or 'bike', got "
                               f"{network_type!r}")
    _osm.check_network_type(network_type)
    if speeds is not None:
        _check_speeds(speeds)  # every source: NaN/0/negative speeds never reach routing
    clip = _as_polygon(polygon, bbox)
    show = settings.progress if progress is None else bool(progress)
    src = os.fspath(source) if isinstance(source, os.PathLike) else source
    if not isinstance(src, str):
        raise CorridorGeoError(f"source must be 'default', 'overpass' or a path, got {source!r}")
    base: dict[str, Any] = {"network_type": network_type, "retain_all": retain_all,
                            "speed_model": SPEED_MODEL_VERSION,
                            "speeds": {k: float(v) for k, v in (speeds or {}).items()}}
    if src in ("default", "scgraph"):
        area = clip if clip is not None else _default_polygon()
        key = {**base, "source": "scgraph", "clip": _geom_hash(area),
               "scgraph": SCGRAPH_MODEL_VERSION,
               "version": importlib.metadata.version("scgraph-data")}
        return load_or_build(key, lambda: scgraph_network(
            polygon=area, network_type=network_type, speeds=speeds), use_cache=cache)
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
    if not path.is_file():
        raise NetworkSourceError(f"network source file not found: {path}")
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



