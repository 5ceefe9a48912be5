"""Private: the pydantic models of a scenario file and their one-line error messages.

The public face is :mod:`corridor_geo.scenario` (``Scenario``, ``run_scenario``,
``compare``); this module holds the schema so that it can be read without importing the
analysis stack.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from corridor_geo import errors as _errors
from corridor_geo._bands import check_bands
from corridor_geo.errors import DataValidationError
from corridor_geo.settings import SNAP_MAX_M

__all__ = [
    "LINK_MODES",
    "MODES",
    "AddLink",
    "Edits",
    "OutputDirError",
    "Outputs",
    "Population",
    "ScenarioError",
    "ScenarioModel",
    "StopPoint",
    "format_validation_error",
]

#: travel modes a scenario can ask for (``mode=`` of ``travel_time_matrix`` and ``catchments``)
#: (``transit``: walk + rail + walk; ``park_and_ride``: drive and park + rail + walk)
MODES: tuple[str, ...] = ("drive", "transit", "park_and_ride")
#: modes of a link (as in ``geodata/links.csv``)
LINK_MODES: tuple[str, ...] = (
    "expressway",
    "conventional_rail",
    "high_speed_rail",
    "intercity_rail",
)

Mode = Literal["drive", "transit", "park_and_ride"]
LinkMode = Literal["expressway", "conventional_rail", "high_speed_rail", "intercity_rail"]

_MAX_BAND_MIN = 360.0
_MAX_FACTOR = 10.0
_MAX_HEADWAY_MIN = 240.0
_MAX_SPEED_KMH = 600.0


class ScenarioError(DataValidationError):
    """A scenario file (or one of its fields) does not hold what was expected.

    The message reads ``FILE: FIELD.PATH: what is wrong (got VALUE)`` on one line.
    ``problems`` holds one such line per problem found: the message itself, or, for a
    file with several schema problems (:func:`format_validation_error`), each of them
    (the CLI prints them one per line; the message names the first and counts the rest).

    Examples
    --------
    >>> str(ScenarioError("must be > 0 (got -1)", path="s.yaml", field="bands[0]"))
    's.yaml: bands[0]: must be > 0 (got -1)'
    """

    problems: tuple[str, ...]

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        field: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.row = None
        self.field = field
        self.reason = message
        parts = [p for p in (self.path, field) if p]
        text = ": ".join([*parts, message])
        Exception.__init__(self, " ".join(text.split()))  # always one line
        self.problems = (str(self),)


OutputDirError = _errors.OutputDirError  # defined with the other errors; re-exported here


class _Model(BaseModel):
    # strict: YAML already gives typed values, so "30" is not silently a number
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StopPoint(_Model):
    """A new stop by name and WGS84 coordinates: ``{name: ..., lon: ..., lat: ...}``."""

    name: str = Field(min_length=1, max_length=200, description="Stop name.")
    lon: float = Field(ge=-180, le=180, description="Longitude, WGS84 degrees.")
    lat: float = Field(ge=-90, le=90, description="Latitude, WGS84 degrees.")


def _stop_kind(value: Any) -> str:
    return "station id" if isinstance(value, str) else "point"


Stop = Annotated[
    Annotated[str, Tag("station id")] | Annotated[StopPoint, Tag("point")],
    Discriminator(_stop_kind),
]
LinkId = Annotated[str, Field(min_length=1, max_length=100)]
Factor = Annotated[float, Field(gt=0, le=_MAX_FACTOR)]
Headway = Annotated[float, Field(gt=0, le=_MAX_HEADWAY_MIN)]


class AddLink(_Model):
    """A new link: its stops in order, its mode and its operating speed."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=100,
                    description="New link id (lower-case letters, digits, underscores).")
    name: str = Field(min_length=1, max_length=200, description="Display name.")
    mode: LinkMode = Field(description="Link mode.")
    stops: list[Stop] = Field(
        min_length=2,
        description="Ordered stops: station ids/names, or new points {name, lon, lat}.",
    )
    operating_speed_kmh: float = Field(gt=0, le=_MAX_SPEED_KMH,
                                       description="Average operating speed, km/h.")
    headway_min: Headway | None = Field(
        default=None, description="Minutes between services (rail); default by mode."
    )


class Edits(_Model):
    """Changes to the transport network for this scenario."""

    enable_links: list[LinkId] = Field(
        default_factory=list, description="Planned or under-construction links to switch on.",
        json_schema_extra={"uniqueItems": True},
    )
    close_links: list[LinkId] = Field(default_factory=list, description="Links to close.",
                                      json_schema_extra={"uniqueItems": True})
    add_links: list[AddLink] = Field(default_factory=list, description="New links.")
    speed_factors: dict[str, Factor] = Field(
        default_factory=dict,
        description="Speed multipliers (> 0) keyed by link id or road class "
        "(e.g. 0.5 halves the speed at peak).",
    )
    headway_min: dict[str, Headway] = Field(
        default_factory=dict, description="New headways in minutes, keyed by rail link id."
    )

    @field_validator("enable_links", "close_links")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        dup = sorted({v for v in value if value.count(v) > 1})
        if dup:  # as origins: a repeated id is a slip, not a stronger edit
            raise ValueError(f"link {dup[0]!r} is given more than once")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Edits:
        both = sorted(set(self.enable_links) & set(self.close_links))
        if both:
            raise ValueError(f"link {both[0]!r} is both in enable_links and close_links")
        ids = [link.id for link in self.add_links]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"add_links: link id {dup[0]!r} is given more than once")
        return self


class Outputs(_Model):
    """Which optional outputs ``run`` writes (``summary.json`` and the log are always written)."""

    map: bool = Field(default=True, description="Write map.html.")
    catchments: bool = Field(default=True, description="Write catchments.gpkg.")
    matrix: bool = Field(default=True, description="Write matrix.csv.")
    report: bool = Field(default=True, description="Write report.md with static PNG plots.")


class Population(_Model):
    """Population polygons (GeoPackage/GeoJSON, WGS84) to count inside catchments."""

    file: str = Field(min_length=1, description="File path, relative to the scenario file.")
    column: str = Field(default="population", min_length=1,
                        description="Column with the population counts.")


class ScenarioModel(_Model):
    """Fields of a scenario file (see ``corridor_geo.scenario.Scenario``)."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True,
        title="corridor_geo scenario",
        json_schema_extra={
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "description": "A what-if scenario for corridor-geo run / compare / batch.",
        },
    )

    name: str = Field(min_length=1, max_length=200, description="Short name of the scenario.")
    description: str = Field(default="", max_length=5000, description="Free text.")
    as_of: int | None = Field(
        default=None, ge=1800, le=2100,
        description="Year: links open in that year (status open, opened <= as_of).",
    )
    origins: list[str] = Field(
        min_length=1, max_length=500,
        description="Origin ids or names (platforms, nodes, stations, extra nodes).",
        json_schema_extra={"uniqueItems": True},
    )
    destinations: list[str] | None = Field(
        default=None, min_length=1, max_length=500,
        description="Destination ids or names (default: the origins).",
        json_schema_extra={"uniqueItems": True},
    )
    modes: list[Mode] = Field(default_factory=lambda: list[Mode](["drive"]), min_length=1,
                              description="Travel modes.",
                              json_schema_extra={"uniqueItems": True})
    bands: list[Annotated[float, Field(gt=0, le=_MAX_BAND_MIN)]] = Field(
        default_factory=lambda: [30.0, 60.0], min_length=1, max_length=12,
        description="Catchment bands in minutes, strictly increasing.",
    )
    network: str = Field(
        default="default", min_length=1,
        description="Street network source for corridor_geo.graph.load_network "
        "('default' = bundled offline network, or a file relative to the scenario).",
    )
    snap_max_m: float = Field(
        default=SNAP_MAX_M, gt=0, le=20000,
        description="Largest distance (m) from an origin to the street node its catchment "
        "starts from (default 3 km: platform points are representative to +-3 km and the "
        "default network holds major roads only).",
    )
    extra_nodes: list[str] = Field(
        default_factory=list,
        description="Extra node files (CSV lon/lat, GeoJSON, GeoPackage), "
        "relative to the scenario.",
    )
    population: Population | None = Field(default=None, description="Population polygons.")
    timetable: str | None = Field(
        default=None, min_length=1,
        description="A GTFS feed (.zip), relative to the scenario: its timetable replaces "
        "the modelled rail services of the links it covers.",
    )
    edits: Edits = Field(default_factory=Edits, description="Network edits.")
    outputs: Outputs = Field(default_factory=Outputs, description="Optional outputs.")

    _source: Path | None = PrivateAttr(default=None)

    @field_validator("bands")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        check_bands(value)  # the one band rule of the API and CLI (ValueError -> field error)
        return value

    @field_validator("origins", "destinations", "modes")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            dup = sorted({v for v in value if value.count(v) > 1})
            if dup:
                raise ValueError(f"{dup[0]!r} is given more than once")
        return value


# ---------------------------------------------------------------- error messages

_MODELS: dict[str, type[BaseModel]] = {}


def _unwrap(tp: Any) -> list[Any]:
    """Return the model/container types inside an annotation (Optional, Annotated, unions)."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(_unwrap(arg))
        return out
    return [tp]


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Return the pydantic model that validates the mapping at *loc* (for unknown-field hints)."""
    current: list[Any] = [ScenarioModel]
    for item in loc:
        nxt: list[Any] = []
        for tp in current:
            origin = typing.get_origin(tp)
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                field = tp.model_fields.get(item) if isinstance(item, str) else None
                if field is not None:
                    nxt.extend(_unwrap(field.annotation))
            elif origin is list and isinstance(item, int):
                nxt.extend(_unwrap(typing.get_args(tp)[0]))
            elif origin is dict:
                nxt.extend(_unwrap(typing.get_args(tp)[1]))
        current = [t for t in nxt if t is not None]
        if not current:
            return None
    models = [t for t in current if isinstance(t, type) and issubclass(t, BaseModel)]
    return models[0] if models else None


def _loc_str(loc: tuple[Any, ...]) -> str:
    out = ""
    for item in loc:
        if isinstance(item, int):
            out += f"[{item}]"
        elif item in ("station id", "point"):  # discriminator tags of a stop
            continue
        elif item == "[key]":
            out += " (key)"
        else:
            out += ("." if out else "") + str(item)
    return out


def _short(value: Any, *, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else _short(value)


_NO_VALUE = {"missing", "extra_forbidden", "model_type", "dict_type", "too_short", "too_long"}


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    loc = tuple(err["loc"])
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        name = str(loc[-1]) if loc else ""
        msg = "unknown field"
        if model is not None:
            fields = sorted(model.model_fields)
            close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
            msg += (f"; did you mean {close[0]!r}?" if close
                    else f"; expected one of: {', '.join(fields)}")
        return msg
    simple = {
        "greater_than": "must be > {gt}",
        "greater_than_equal": "must be >= {ge}",
        "less_than": "must be < {lt}",
        "less_than_equal": "must be <= {le}",
        "too_short": "must have at least {min_length} item(s)",
        "too_long": "must have at most {max_length} item(s)",
        "string_too_short": "must not be empty",
        "string_too_long": "must be at most {max_length} characters",
        "string_pattern_mismatch": "must match {pattern}",
        "model_type": "must be a mapping of fields",
        "dict_type": "must be a mapping",
        "list_type": "must be a list",
    }
    if kind in simple:
        try:
            msg = simple[kind].format(**{k: _num(v) for k, v in ctx.items()})
        except (KeyError, IndexError):
            msg = err["msg"]
    elif kind == "value_error":
        msg = str(ctx.get("error", err["msg"]))
        return msg  # our validators already name the value
    else:
        msg = err["msg"]
        if msg.startswith("Input should be"):
            msg = "must be" + msg[len("Input should be"):]
    if kind not in _NO_VALUE and "input" in err:
        msg += f" (got {_short(err['input'])})"
    return msg


def format_validation_error(exc: ValidationError, *,
                            path: str | os.PathLike[str] | None) -> ScenarioError:
    """Turn a pydantic ``ValidationError`` into a one-line :class:`ScenarioError`.

    The first problem is reported with its field path; the number of further problems
    is appended. ``problems`` lists every problem, one line each, with its field path.

    Examples
    --------
    >>> from pydantic import ValidationError
    >>> try:
    ...     ScenarioModel.model_validate({"name": "t", "origins": ["a"], "bands": [60, 30],
    ...                                   "modez": ["drive"]})
    ... except ValidationError as exc:
    ...     err = format_validation_error(exc, path="s.yaml")
    >>> str(err)
    's.yaml: bands: must be strictly increasing (got 60, 30) (and 1 more problem)'
    >>> err.problems[1]
    "s.yaml: modez: unknown field; did you mean 'modes'?"
    """
    errors = exc.errors(include_url=False)
    each = [ScenarioError(_message(e), path=path, field=_loc_str(tuple(e["loc"])) or None)
            for e in errors]
    msg = each[0].reason
    if len(errors) > 1:
        msg += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    err = ScenarioError(msg, path=path, field=each[0].field)
    err.problems = tuple(str(e) for e in each)
    return err
