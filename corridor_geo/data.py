"""Read and validate the bundled corridor data (``geodata/``) and user extra-node files.

Every row of every bundled CSV is validated with a pydantic row model; cross-file rules
(unique ids, known stop ids, consecutive ``seq``, increasing km posts) are checked after
that. The first problem raises :class:`~corridor_geo.errors.DataValidationError` naming
the file, the 1-based data row (header excluded), the field and what was expected.

Files (see ``geodata/README.md``):

``places.csv``
    the 10 core platforms and the plan's 37 innovation nodes (a node whose coordinate
    is not known has empty ``lon``/``lat`` and ``confidence = "unknown"``);
``stations.csv``
    rail stations and expressway interchanges served by the links;
``links.csv``
    one row per transport link;
``link_stops.csv``
    the ordered stops of every link (``link_id, seq, stop_id, km_post, opened, note``);
``districts.csv`` (optional)
    districts (and Dongguan's city centre) with the representative point a district
    name resolves to (its CBD or government seat), for :meth:`Corridor.resolve`.

Examples
--------
>>> from corridor_geo.data import read_geodata
>>> gd = read_geodata()
>>> int((gd.places["kind"] == "core_platform").sum())
10
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import geopandas as gpd
import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveFloat,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from corridor_geo import settings
from corridor_geo._args import check_path
from corridor_geo._io import check_input_file
from corridor_geo._repr import summary_html, summary_text
from corridor_geo.errors import ArgumentError, DataValidationError

__all__ = [
    "CONFIDENCE_LEVELS",
    "LINK_MODES",
    "LINK_STATUSES",
    "PLACE_COLUMNS",
    "PLACE_KINDS",
    "AxisFacts",
    "CorridorFacts",
    "ExpresswayFacts",
    "GeoData",
    "ObservedTimeRow",
    "PlanFacts",
    "TravelTimeRow",
    "iter_observed_times",
    "read_extra_nodes",
    "read_geodata",
    "read_observed_times",
    "read_travel_times",
]

#: ``kind`` values of places (platforms, nodes, stations, districts, user nodes).
PLACE_KINDS = ("core_platform", "innovation_node", "station", "interchange", "district",
               "user_node")
#: coordinate confidence of located places (a bundled node without a point and a user node
#: without a stated confidence are ``"unknown"``).
CONFIDENCE_LEVELS = ("high", "medium", "low")
#: ``mode`` values of links.
LINK_MODES = ("expressway", "conventional_rail", "high_speed_rail", "intercity_rail")
#: ``status`` values of links.
LINK_STATUSES = ("open", "under_construction", "planned")
#: columns every place table has (in this order), before ``geometry``.
PLACE_COLUMNS = [
    "id", "name_en", "name_zh", "kind", "city", "district", "area_km2", "area_source",
    "confidence", "source",
]

PLACES_FILE = "places.csv"
STATIONS_FILE = "stations.csv"
LINKS_FILE = "links.csv"
LINK_STOPS_FILE = "link_stops.csv"
DISTRICTS_FILE = "districts.csv"
#: The corridor's facts used by general code (plan axis, axis ends, expressway names and
#: speeds): optional, a folder without it has none of them.
FACTS_FILE = "corridor.yaml"
#: Optional city boundaries of the folder's corridor (else the bundled boundaries).
BOUNDARIES_FILE = "boundaries.geojson"
_FILES = (PLACES_FILE, STATIONS_FILE, LINKS_FILE, LINK_STOPS_FILE, DISTRICTS_FILE, FACTS_FILE,
          BOUNDARIES_FILE)
_MAX_FACTS_BYTES = 1 << 20


# --------------------------------------------------------------------------- row models
def _empty_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


_Id = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]*$")
]
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_Lon = Annotated[float, Field(ge=-180.0, le=180.0)]
_Lat = Annotated[float, Field(ge=-90.0, le=90.0)]
_OptPositive = Annotated[Annotated[float, Field(gt=0.0)] | None, BeforeValidator(_empty_to_none)]
_OptNonNeg = Annotated[Annotated[float, Field(ge=0.0)] | None, BeforeValidator(_empty_to_none)]
_OptSpeed = Annotated[
    Annotated[float, Field(gt=0.0, le=600.0)] | None, BeforeValidator(_empty_to_none)
]
_OptYear = Annotated[
    Annotated[int, Field(ge=1800, le=2100)] | None, BeforeValidator(_empty_to_none)
]
_Confidence = Literal["high", "medium", "low"]
_OptLon = Annotated[_Lon | None, BeforeValidator(_empty_to_none)]
_OptLat = Annotated[_Lat | None, BeforeValidator(_empty_to_none)]


class _Row(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, allow_inf_nan=False, frozen=True
    )


class PlaceRow(_Row):
    """One row of ``places.csv`` (a core platform or an innovation node).

    ``lon``/``lat`` are empty exactly when ``confidence`` is ``"unknown"`` (a node of the
    plan that no source locates); core platforms always have a point.
    """

    id: _Id
    name_en: _Text
    name_zh: _Text
    kind: Literal["core_platform", "innovation_node"]
    city: _Text
    district: str = ""
    lon: Annotated[_OptLon, Field(validate_default=True)] = None
    lat: Annotated[_OptLat, Field(validate_default=True)] = None
    area_km2: _OptPositive = None
    area_source: str = ""
    confidence: Literal["high", "medium", "low", "unknown"]
    axis_order: Annotated[
        Annotated[int, Field(ge=1)] | None,
        BeforeValidator(_empty_to_none),
        Field(validate_default=True),
    ] = None
    aliases: str = ""
    source: _Text

    @field_validator("area_source")
    @classmethod
    def _area_has_source(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("area_km2") is not None and not value:
            raise ValueError("an area needs its source: expected a non-empty text")
        return value

    @field_validator("lat")
    @classmethod
    def _lon_lat_together(cls, value: float | None, info: ValidationInfo) -> float | None:
        if "lon" in info.data and (info.data["lon"] is None) != (value is None):
            raise ValueError("lon and lat must both be given or both be empty")
        return value

    @field_validator("confidence")
    @classmethod
    def _point_matches_confidence(cls, value: str, info: ValidationInfo) -> str:
        lon = info.data.get("lon")
        if value == "unknown" and lon is not None:
            raise ValueError("'unknown' is only for a place without lon/lat; expected "
                             "high, medium or low for a located place")
        if value != "unknown" and lon is None:
            raise ValueError(f"{value!r} given but lon/lat are empty; expected 'unknown' for a "
                             "place that cannot be located, or a WGS84 lon/lat")
        if value == "unknown" and info.data.get("kind") == "core_platform":
            raise ValueError("a core platform needs a point: expected lon/lat and high, "
                             "medium or low")
        return value

    @field_validator("axis_order")
    @classmethod
    def _axis_order_for_cores(cls, value: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind == "core_platform" and value is None:
            raise ValueError("a core platform needs its axis_order: expected an integer >= 1")
        if kind == "innovation_node" and value is not None:
            raise ValueError("only core platforms have an axis_order: expected an empty value")
        return value


class StationRow(_Row):
    """One row of ``stations.csv`` (a rail station or an expressway interchange)."""

    id: _Id
    name_en: _Text
    name_zh: _Text
    kind: Literal["station", "interchange"]
    city: _Text
    district: str = ""
    lon: _Lon
    lat: _Lat
    confidence: _Confidence
    osm_name: str = ""
    aliases: str = ""
    source: _Text


class DistrictRow(StationRow):
    """One row of ``districts.csv`` (a district and the point its name resolves to).

    The same columns as ``stations.csv``; only the kind differs.
    """

    kind: Literal["district"]  # type: ignore[assignment]


class LinkRow(_Row):
    """One row of ``links.csv``."""

    id: _Id
    name_en: _Text
    name_zh: _Text
    mode: Literal["expressway", "conventional_rail", "high_speed_rail", "intercity_rail"]
    design_speed_kmh: _OptSpeed = None
    operating_speed_kmh: _OptSpeed = None
    length_km: _OptPositive = None
    opened: _OptYear = None
    status: Literal["open", "under_construction", "planned"]
    notes: str = ""
    source: _Text


class LinkStopRow(_Row):
    """One row of ``link_stops.csv``."""

    link_id: _Id
    seq: Annotated[int, Field(ge=1)]
    stop_id: _Id
    km_post: _OptNonNeg = None
    opened: _OptYear = None
    status: Literal["open", "not_open"] = "open"
    note: str = ""
    source: str = ""
    confidence: Annotated[
        Literal["high", "medium", "low", ""], BeforeValidator(lambda v: v or "")
    ] = ""


class UserNodeRow(BaseModel):
    """One user extra node (a feature of a GeoJSON/GeoPackage file or a CSV row)."""

    model_config = ConfigDict(
        str_strip_whitespace=True, allow_inf_nan=False, coerce_numbers_to_str=True
    )

    id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^\s]+$")]
    name_en: _Text
    name_zh: Annotated[str, BeforeValidator(lambda v: "" if _empty_to_none(v) is None else v)] = ""
    city: Annotated[str, BeforeValidator(lambda v: "" if _empty_to_none(v) is None else v)] = ""
    district: Annotated[
        str, BeforeValidator(lambda v: "" if _empty_to_none(v) is None else v)
    ] = ""
    area_km2: _OptPositive = None
    area_source: Annotated[
        str, BeforeValidator(lambda v: "" if _empty_to_none(v) is None else v)
    ] = ""
    confidence: Annotated[
        Literal["high", "medium", "low", "unknown"],
        BeforeValidator(lambda v: "unknown" if _empty_to_none(v) is None else v),
    ] = "unknown"
    source: Annotated[str, BeforeValidator(lambda v: "" if _empty_to_none(v) is None else v)] = ""
    lon: _Lon
    lat: _Lat


class _Facts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class AxisFacts(_Facts):
    """Where the corridor's main axis starts and ends (admin codes of ``boundaries``)."""

    start_city: str = Field(min_length=1, description="City whose border the axis starts on.")
    start_neighbour: str = Field(min_length=1,
                                 description="Neighbour across that border (e.g. Foshan).")
    end_city: str = Field(min_length=1, description="City whose far tip ends the axis.")
    source: str = ""


class PlanFacts(_Facts):
    """The corridor plan's own figures and axis."""

    area_km2: PositiveFloat | None = None
    length_km: PositiveFloat | None = None
    axis_waypoints: tuple[str, ...] = Field(
        default=(), description="Core platform ids the plan axis passes through, in order.")
    source: str = ""


class ExpresswayFacts(_Facts):
    """Facts of one expressway link beyond ``links.csv``."""

    road_names: tuple[str, ...] = Field(
        default=(), description="Names of the road on street networks (OSM, scgraph).")
    congested_kmh: PositiveFloat | None = Field(
        default=None, description="Typical congested speed (default: a fixed share of "
        "free flow).")
    source: str = ""


class CorridorFacts(_Facts):
    """Facts of one corridor that general code needs (``corridor.yaml`` of a data folder).

    Examples
    --------
    >>> CorridorFacts().plan.axis_waypoints
    ()
    """

    name_en: str = ""
    name_zh: str = ""
    cities: tuple[str, ...] = Field(
        default=(), description="Admin codes of the cities whose union is the corridor.")
    axis: AxisFacts | None = None
    plan: PlanFacts = Field(default_factory=PlanFacts)
    expressways: dict[str, ExpresswayFacts] = Field(default_factory=dict)


def _read_facts(path: Path, *, place_ids: Sequence[str],
                links: Sequence[tuple[str, str]]) -> CorridorFacts:
    if not path.exists():
        return CorridorFacts()
    if path.stat().st_size > _MAX_FACTS_BYTES:
        raise DataValidationError(f"file is larger than {_MAX_FACTS_BYTES} bytes", path=path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"invalid YAML: {exc}", path=path) from None
    try:
        facts = CorridorFacts.model_validate(data or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        raise DataValidationError(_describe(first), path=path, field=field) from None
    for i, wp in enumerate(facts.plan.axis_waypoints):
        if wp not in place_ids:
            raise DataValidationError(_unknown_msg(wp, place_ids, "place id", PLACES_FILE),
                                      path=path, field=f"plan.axis_waypoints.{i}")
    expressways = [lid for lid, mode in links if mode == "expressway"]
    for lid in facts.expressways:
        if lid not in expressways:
            raise DataValidationError(
                _unknown_msg(lid, expressways, "expressway link id", LINKS_FILE),
                path=path, field=f"expressways.{lid}")
    return facts


class TravelTimeRow(BaseModel):
    """One row of a ``from,to,minutes[,link_id]`` CSV (observed or scheduled times)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, allow_inf_nan=False,
                              frozen=True, populate_by_name=True)

    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    # 6 s to a day: below, an error in percent means nothing; above, no corridor trip
    minutes: float = Field(ge=0.1, le=1440)
    link_id: Annotated[str | None, BeforeValidator(_empty_to_none)] = None


class ObservedTimeRow(TravelTimeRow):
    """One row of a user's observed times: ``from,to,minutes[,year][,mode][,kind]``.

    ``mode`` is kept as lower-case text (the modes a row may name are checked by
    :func:`corridor_geo.validate.read_observed`); empty cells are ``None``.
    """

    year: _OptYear = None
    mode: Annotated[str | None, BeforeValidator(_empty_to_none)] = None
    kind: Annotated[str | None, BeforeValidator(_empty_to_none)] = None


def read_travel_times(path: str | Path) -> list[TravelTimeRow]:
    """Read a CSV of travel times ``from,to,minutes[,link_id]`` (other columns ignored).

    Used by ``rail.read_scheduled_times``; the first bad row raises
    :class:`~corridor_geo.errors.DataValidationError` naming row and field.

    Examples
    --------
    >>> rows = read_travel_times("times.csv")  # doctest: +SKIP
    >>> rows[0].from_, rows[0].to, rows[0].minutes  # doctest: +SKIP
    ('st_gz_south', 'st_sz_north', 34.0)
    """
    p = Path(path)
    records = _read_csv(p, required=("from", "to", "minutes"), strict=False)
    return [_validate(TravelTimeRow, rec, path=p, row=n) for n, rec in enumerate(records, 1)]


def read_observed_times(path: str | Path) -> list[ObservedTimeRow]:
    r"""Read a CSV of observed times ``from,to,minutes[,year][,mode][,kind]``.

    The same reader as :func:`read_travel_times` (other columns ignored), with the
    optional columns of :class:`ObservedTimeRow`; the first bad row raises
    :class:`~corridor_geo.errors.DataValidationError` naming row and field.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "obs.csv"
    >>> _ = f.write_text("from,to,minutes,year\n广州南,深圳北,36,2020\n", encoding="utf-8")
    >>> row = read_observed_times(f)[0]
    >>> row.from_, row.to, row.minutes, row.year, row.mode
    ('广州南', '深圳北', 36.0, 2020, None)
    """
    return list(iter_observed_times(path))


def iter_observed_times(path: str | Path) -> Iterator[ObservedTimeRow]:
    r"""Yield the rows of :func:`read_observed_times` one at a time, validated.

    The file is read and its fields checked first; each row is then validated as it is
    yielded, so a caller that keeps only some fields of each row (a million rows:
    :func:`corridor_geo.validate.read_observed`) never holds every row's model at once.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "obs.csv"
    >>> _ = f.write_text("from,to,minutes\n福田,深圳北,11\n", encoding="utf-8")
    >>> [(r.from_, r.minutes) for r in iter_observed_times(f)]
    [('福田', 11.0)]
    """
    p = Path(path)
    records = _read_csv(p, required=("from", "to", "minutes"), strict=False)
    records.reverse()  # each row's dict is dropped once validated (a million rows: ~0.5 GB)
    n = 0
    while records:
        n += 1
        yield _validate(ObservedTimeRow, records.pop(), path=p, row=n)


def check_observed_row(record: Mapping[str, Any], *, row: int, where: str = "observed",
                       field_names: Mapping[str, str] | None = None) -> ObservedTimeRow:
    """Validate one observed-times row given in memory (a DataFrame's row), as a file's.

    Parameters
    ----------
    record
        ``from``, ``to``, ``minutes`` and optionally ``year``, ``mode``, ``kind``.
    row
        1-based row number, for the message.
    where
        What the row belongs to, for the message.
    field_names
        The caller's name of a field, for the message (e.g. ``{"minutes":
        "observed_min"}``).

    Raises
    ------
    ArgumentError
        Naming *where*, the row and the field, with what was expected.

    Examples
    --------
    >>> check_observed_row({"from": "福田", "to": "深圳北", "minutes": 11}, row=1).minutes
    11.0
    >>> try:
    ...     check_observed_row({"from": "福田", "to": "深圳北", "minutes": 0}, row=2)
    ... except ValueError as exc:
    ...     print(exc)
    observed: row 2, field minutes: Input should be greater than or equal to 0.1; got 0
    """
    try:
        return ObservedTimeRow.model_validate(dict(record))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "value"
        field = (field_names or {}).get(field, field)
        raise ArgumentError(f"{where}: row {row}, field {field}: {_describe(first)}") from None


# --------------------------------------------------------------------------- helpers
def _describe(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    if err.get("type") == "missing":
        return "missing value; expected a value"
    if "input" in err and not isinstance(err["input"], dict):
        msg += f"; got {err['input']!r}"
    return msg


def _validate(model: type[BaseModel], record: dict[str, Any], *, path: Path, row: int) -> Any:
    try:
        return model.model_validate(record)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        raise DataValidationError(_describe(first), path=path, row=row, field=field) from None


def _read_csv(
    path: Path, *, required: Sequence[str], optional: Sequence[str] = (), strict: bool = True
) -> list[dict[str, str]]:
    """Read a CSV into dicts (:func:`corridor_geo._csvio.read_csv_records`).

    Encoding (UTF-8 ±BOM, UTF-16, GB18030/GBK) detected; header, field counts and field
    sizes checked.
    """
    from corridor_geo._csvio import read_csv_records

    return read_csv_records(path, required=required, optional=optional, strict=strict).records


def _split_aliases(text: str) -> list[str]:
    return [a.strip() for a in text.split(";") if a.strip()]


def _check_unique(ids: Sequence[str], *, path: Path, field: str = "id",
                  taken: Mapping[str, str] | None = None) -> None:
    seen: dict[str, int] = {}
    for row, value in enumerate(ids, 1):
        if value in seen:
            raise DataValidationError(
                f"duplicate id {value!r} (first in row {seen[value]}); expected unique ids",
                path=path, row=row, field=field,
            )
        if taken and value in taken:
            raise DataValidationError(
                f"id {value!r} is already used in {taken[value]}; expected unique ids",
                path=path, row=row, field=field,
            )
        seen[value] = row


# --------------------------------------------------------------------------- bundled data
@dataclass(frozen=True)
class GeoData:
    """The bundled corridor tables, validated.

    Attributes
    ----------
    places
        GeoDataFrame (EPSG:4326) of the core platforms and the plan's innovation nodes:
        :data:`PLACE_COLUMNS` + ``axis_order`` (Int64), ``aliases``, ``geometry``. Nodes
        that no source locates have ``confidence == "unknown"`` and a missing (``None``)
        geometry; :func:`~corridor_geo.corridor.load_corridor` keeps them apart.
    stations
        GeoDataFrame of stations and interchanges: :data:`PLACE_COLUMNS` +
        ``osm_name``, ``aliases``, ``geometry``.
    links
        DataFrame: ``id, name_en, name_zh, mode, design_speed_kmh,
        operating_speed_kmh, length_km, opened`` (Int64), ``status, notes, source``.
    link_stops
        DataFrame: ``link_id, seq, stop_id, km_post`` (float, NaN if unknown),
        ``opened`` (Int64: year the stop was first served when later than its link),
        ``note``.
    districts
        GeoDataFrame of districts (``kind == "district"``): :data:`PLACE_COLUMNS` +
        ``osm_name``, ``aliases``, ``geometry`` (the representative point); empty when
        the folder has no ``districts.csv``.
    facts
        :class:`CorridorFacts` from ``corridor.yaml`` (empty when the folder has none).
    boundaries_file
        The folder's ``boundaries.geojson`` (city polygons), or ``None``: the bundled
        boundaries (:func:`corridor_geo.boundaries.load_boundaries`).
    """

    places: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    links: pd.DataFrame
    link_stops: pd.DataFrame
    districts: gpd.GeoDataFrame | None = None
    facts: CorridorFacts = field(default_factory=CorridorFacts)
    boundaries_file: Path | None = None
    #: the folder the tables were read from (its rail tables go with them)
    folder: Path | None = None

    def _summary(self) -> list[tuple[str, object]]:
        n = 0 if self.districts is None else len(self.districts)
        return [("places", len(self.places)), ("stations", len(self.stations)),
                ("links", len(self.links)), ("link stops", len(self.link_stops)),
                ("districts", n)]

    def __repr__(self) -> str:
        return summary_text("GeoData", self._summary())

    def _repr_html_(self) -> str:
        return summary_html("GeoData", self._summary())

    def copy(self) -> GeoData:
        """Return a deep copy (the cached tables are never handed out)."""
        districts = None if self.districts is None else self.districts.copy()
        return GeoData(self.places.copy(), self.stations.copy(), self.links.copy(),
                       self.link_stops.copy(), districts, self.facts, self.boundaries_file,
                       self.folder)


def _fields(model: type[BaseModel]) -> tuple[list[str], list[str]]:
    req = [n for n, f in model.model_fields.items() if f.is_required()]
    opt = [n for n, f in model.model_fields.items() if not f.is_required()]
    return req, opt


def _rows(path: Path, model: type[BaseModel]) -> list[Any]:
    req, opt = _fields(model)
    records = _read_csv(path, required=req, optional=opt)
    return [_validate(model, rec, path=path, row=i) for i, rec in enumerate(records, 1)]


def _place_frame(rows: Sequence[BaseModel], extra: Sequence[str]) -> gpd.GeoDataFrame:
    data = [{"area_km2": None, "area_source": ""} | r.model_dump() for r in rows]
    df = pd.DataFrame(data, columns=[*PLACE_COLUMNS, *extra, "lon", "lat"])
    df["area_km2"] = pd.to_numeric(df["area_km2"], errors="coerce").astype("float64")
    if "axis_order" in df:
        df["axis_order"] = df["axis_order"].astype("Int64")
    lon = pd.to_numeric(df.pop("lon"), errors="coerce")
    lat = pd.to_numeric(df.pop("lat"), errors="coerce")
    geom = gpd.points_from_xy(lon, lat, crs=settings.WGS84)
    # a place without a point (confidence "unknown") gets a missing geometry, not POINT EMPTY
    geom = gpd.GeoSeries(geom, crs=settings.WGS84).where(lon.notna().to_numpy(), None)
    return gpd.GeoDataFrame(df, geometry=geom, crs=settings.WGS84)


def _build(folder: Path) -> GeoData:
    p_places, p_stations = folder / PLACES_FILE, folder / STATIONS_FILE
    p_links, p_stops = folder / LINKS_FILE, folder / LINK_STOPS_FILE

    places: list[PlaceRow] = _rows(p_places, PlaceRow)
    _check_unique([r.id for r in places], path=p_places)
    orders = [(i, r.axis_order) for i, r in enumerate(places, 1) if r.axis_order is not None]
    used: set[int] = set()
    for i, order in orders:
        if order in used or order > len(orders):
            raise DataValidationError(
                f"axis_order {order} breaks the sequence; expected each of 1..{len(orders)} once",
                path=p_places, row=i, field="axis_order",
            )
        used.add(order)

    stations: list[StationRow] = _rows(p_stations, StationRow)
    _check_unique([r.id for r in stations], path=p_stations,
                  taken={r.id: PLACES_FILE for r in places})

    links: list[LinkRow] = _rows(p_links, LinkRow)
    _check_unique([r.id for r in links], path=p_links)

    stops: list[LinkStopRow] = _rows(p_stops, LinkStopRow)
    link_ids = [r.id for r in links]
    link_set = set(link_ids)
    station_ids = [r.id for r in stations]
    station_set = set(station_ids)
    state: dict[str, tuple[int, float, set[str]]] = {}  # link -> (last seq, last km, stops)
    for row, s in enumerate(stops, 1):
        if s.link_id not in link_set:
            raise DataValidationError(_unknown_msg(s.link_id, link_ids, "link id", LINKS_FILE),
                                      path=p_stops, row=row, field="link_id")
        if s.stop_id not in station_set:
            raise DataValidationError(
                _unknown_msg(s.stop_id, station_ids, "stop id", STATIONS_FILE),
                path=p_stops, row=row, field="stop_id",
            )
        last_seq, last_km, members = state.get(s.link_id, (0, -math.inf, set()))
        if s.seq != last_seq + 1:
            raise DataValidationError(
                f"seq {s.seq} for link {s.link_id!r}; expected {last_seq + 1} "
                "(stops of a link are listed together, numbered 1, 2, 3, ...)",
                path=p_stops, row=row, field="seq",
            )
        if s.stop_id in members:
            raise DataValidationError(
                f"stop {s.stop_id!r} appears twice on link {s.link_id!r}; expected each stop once",
                path=p_stops, row=row, field="stop_id",
            )
        km = last_km
        if s.km_post is not None:
            if s.km_post <= last_km:
                raise DataValidationError(
                    f"km_post {s.km_post:g} on link {s.link_id!r}; expected more than the "
                    f"previous stop's {last_km:g}",
                    path=p_stops, row=row, field="km_post",
                )
            km = s.km_post
        state[s.link_id] = (s.seq, km, members | {s.stop_id})
    for row, lid in enumerate(link_ids, 1):
        n = state.get(lid, (0,))[0]
        if n < 2:
            raise DataValidationError(
                f"link {lid!r} has {n} stop(s) in {LINK_STOPS_FILE}; expected at least 2",
                path=p_links, row=row, field="id",
            )

    p_districts = folder / DISTRICTS_FILE
    districts: list[DistrictRow] = _rows(p_districts, DistrictRow) if p_districts.is_file() else []
    _check_unique([r.id for r in districts], path=p_districts,
                  taken={r.id: PLACES_FILE for r in places}
                  | {r.id: STATIONS_FILE for r in stations})

    places_gdf = _place_frame(places, ["axis_order", "aliases"])
    stations_gdf = _place_frame(stations, ["osm_name", "aliases"])
    districts_gdf = _place_frame(districts, ["osm_name", "aliases"])
    links_df = pd.DataFrame([r.model_dump() for r in links], columns=list(LinkRow.model_fields))
    for col in ("design_speed_kmh", "operating_speed_kmh", "length_km"):
        links_df[col] = pd.to_numeric(links_df[col], errors="coerce").astype("float64")
    links_df["opened"] = links_df["opened"].astype("Int64")
    stops_df = pd.DataFrame([r.model_dump() for r in stops],
                            columns=list(LinkStopRow.model_fields))
    stops_df["seq"] = stops_df["seq"].astype("int64")
    stops_df["km_post"] = pd.to_numeric(stops_df["km_post"], errors="coerce").astype("float64")
    stops_df["opened"] = stops_df["opened"].astype("Int64")
    facts = _read_facts(folder / FACTS_FILE, place_ids=[r.id for r in places],
                        links=[(r.id, r.mode) for r in links])
    bfile = folder / BOUNDARIES_FILE
    return GeoData(places_gdf, stations_gdf, links_df, stops_df, districts_gdf, facts,
                   bfile if bfile.exists() else None, folder)


def _unknown_msg(value: str, known: Sequence[str], what: str, where: str) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.6)
    msg = f"unknown {what} {value!r}; expected an id from {where}"
    if close:
        msg += f" (close matches: {', '.join(close)})"
    return msg


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    out = []
    for name in _FILES:
        try:
            st = (folder / name).stat()
            out.append((name, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append((name, -1, -1))
    return tuple(out)


@lru_cache(maxsize=8)
def _cached(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> GeoData:
    del stamp  # part of the cache key only: an edited file is read again
    return _build(Path(folder))


def read_geodata(*, geodata_dir: str | os.PathLike[str] | None = None) -> GeoData:
    """Read and validate the corridor tables.

    Parameters
    ----------
    geodata_dir
        Folder holding ``places.csv``, ``stations.csv``, ``links.csv`` and
        ``link_stops.csv``; default the bundled :func:`corridor_geo.settings.geodata_dir`.

    Returns
    -------
    GeoData
        Fresh copies of the tables (parsed tables are cached per folder and file
        modification time).

    Raises
    ------
    DataValidationError
        A file, row or field is malformed (the message names all three), an id is
        duplicated, a link stop is unknown, ``seq`` or ``km_post`` are out of order.

    Examples
    --------
    >>> gd = read_geodata()
    >>> sorted(gd.links["status"].unique())
    ['open', 'planned', 'under_construction']
    """
    folder = Path(geodata_dir) if geodata_dir is not None else settings.geodata_dir()
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise DataValidationError("not a folder; expected the geodata folder", path=folder)
    return _cached(str(folder), _stamp(folder)).copy()


# --------------------------------------------------------------------------- extra nodes
_VECTOR_SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage"}
_RESERVED = {"kind", "geometry"}


def _user_records(records: Sequence[dict[str, Any]], *, path: Path,
                  label: Callable[[int], int]) -> list[UserNodeRow]:
    out = []
    for i, rec in enumerate(records):
        rec = dict(rec)
        if not rec.get("name_en") and rec.get("name") not in (None, ""):
            rec["name_en"] = rec["name"]
        model_in = {k: rec.get(k) for k in UserNodeRow.model_fields if rec.get(k) is not None}
        if "name_en" not in model_in and "name" in rec:
            model_in["name_en"] = rec["name"]
        row = _validate(UserNodeRow, model_in, path=path, row=label(i))
        out.append(row)
    return out


def _read_vector(path: Path, *, layer: str | int | None) -> gpd.GeoDataFrame:
    from corridor_geo._io import check_input_file

    check_input_file(path, what=_VECTOR_SUFFIXES[path.suffix.lower()])
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise DataValidationError(
            f"cannot read as {_VECTOR_SUFFIXES[path.suffix.lower()]}: {exc}", path=path
        ) from None
    if gdf.crs is None:
        raise DataValidationError(
            "no coordinate reference system; expected a CRS to be set (e.g. EPSG:4326)",
            path=path, field="crs",
        )
    for i, geom in enumerate(gdf.geometry, 1):
        if geom is None or geom.is_empty:
            raise DataValidationError("missing geometry; expected a Point",
                                      path=path, row=i, field="geometry")
        if geom.geom_type != "Point":
            raise DataValidationError(f"{geom.geom_type} geometry; expected a Point",
                                      path=path, row=i, field="geometry")
    if not gdf.crs.equals(settings.WGS84):
        gdf = gdf.to_crs(settings.WGS84)
    return gdf


def read_extra_nodes(path: str | os.PathLike[str], *,
                     layer: str | int | None = None) -> gpd.GeoDataFrame:
    """Read a user file of extra innovation nodes.

    Accepted formats (by suffix): GeoJSON (``.geojson``/``.json``), GeoPackage
    (``.gpkg``) and CSV (``.csv``). Vector files must hold Point features and have a CRS;
    other CRSs are reprojected to WGS84. CSV files need ``lon`` and ``lat`` columns,
    which are taken as WGS84 degrees (convert GCJ-02/BD-09 first with
    :mod:`corridor_geo.crs`).

    Fields: ``id`` and ``name`` (or ``name_en``) are required; ``name_zh``, ``city``,
    ``district``, ``area_km2``, ``area_source``, ``confidence`` (``high``, ``medium``,
    ``low``; default ``unknown``) and ``source`` (default ``user file <name>``) are
    optional; any other column is kept as is (a ``kind`` column is ignored: every extra
    node gets ``kind = "user_node"``).

    Parameters
    ----------
    path
        The file.
    layer
        Layer of a GeoPackage (default: the first).

    Returns
    -------
    geopandas.GeoDataFrame
        Place columns (``id, name_en, name_zh, kind, city, district, area_km2,
        area_source, confidence, source``), the file's other columns, ``geometry``
        (EPSG:4326).

    Raises
    ------
    DataValidationError
        Naming the file and, where it applies, the row (feature, 1-based) and field:
        unknown format, missing column or CRS, non-point geometry, coordinates out of
        range, missing id/name, duplicate ids, bad ``confidence`` or ``area_km2``.

    Examples
    --------
    >>> nodes = read_extra_nodes("my_nodes.csv")  # doctest: +SKIP
    >>> nodes[["id", "kind", "confidence"]].head()  # doctest: +SKIP
    """
    path = Path(check_path(path, name="path")).expanduser()
    if not path.exists() and not path.is_symlink():
        raise DataValidationError("file not found; expected a GeoJSON, GeoPackage or CSV file",
                                  path=path)
    # a folder, FIFO or device is named as such (reading a FIFO would block)
    check_input_file(path, what="GeoJSON, GeoPackage or CSV file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records: list[dict[str, Any]] = list(
            _read_csv(path, required=("id", "lon", "lat"), strict=False))
        if records and "name" not in records[0] and "name_en" not in records[0]:
            raise DataValidationError(
                "missing column 'name'; expected columns id, name (or name_en), lon, lat",
                path=path, field="name",
            )
        extras = [k for k in (records[0] if records else {}) if k not in UserNodeRow.model_fields]
        rows = _user_records(records, path=path, label=lambda i: i + 1)
        attrs = pd.DataFrame([{k: r[k] for k in extras} for r in records],
                             columns=extras, index=range(len(records)))
        geom = gpd.points_from_xy([r.lon for r in rows], [r.lat for r in rows],
                                  crs=settings.WGS84)
    elif suffix in _VECTOR_SUFFIXES:
        gdf = _read_vector(path, layer=layer)
        props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        if "id" not in props.columns:
            raise DataValidationError("missing field 'id'; expected fields id and name",
                                      path=path, field="id")
        if "name" not in props.columns and "name_en" not in props.columns:
            raise DataValidationError("missing field 'name'; expected fields id and name",
                                      path=path, field="name")
        records = [
            {k: (None if _is_missing(v) else v) for k, v in rec.items()}
            for rec in props.to_dict("records")
        ]
        for rec, pt in zip(records, gdf.geometry, strict=True):
            rec["lon"], rec["lat"] = pt.x, pt.y
        extras = [k for k in props.columns if k not in UserNodeRow.model_fields]
        rows = _user_records(records, path=path, label=lambda i: i + 1)
        attrs = props[extras].reset_index(drop=True)
        geom = gpd.points_from_xy([r.lon for r in rows], [r.lat for r in rows],
                                  crs=settings.WGS84)
    else:
        raise DataValidationError(
            f"unknown file type {suffix or '(none)'!r}; expected .geojson, .json, .gpkg or .csv",
            path=path,
        )
    _check_unique([r.id for r in rows], path=path)
    base = pd.DataFrame(
        [
            {
                "id": r.id, "name_en": r.name_en, "name_zh": r.name_zh, "kind": "user_node",
                "city": r.city, "district": r.district,
                "area_km2": math.nan if r.area_km2 is None else r.area_km2,
                "area_source": r.area_source, "confidence": r.confidence,
                "source": r.source or f"user file {path.name}",
            }
            for r in rows
        ],
        columns=PLACE_COLUMNS,
    )
    base["area_km2"] = base["area_km2"].astype("float64")
    drop = [c for c in attrs.columns if c in _RESERVED or c in base.columns or c == "name"]
    df = pd.concat([base, attrs.drop(columns=drop)], axis=1)
    return gpd.GeoDataFrame(df, geometry=geom, crs=settings.WGS84)


def _is_missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
