"""Scenario files: the validated :class:`Scenario`, its check against the corridor.

:class:`Scenario` validates a YAML file (strict pydantic models in
:mod:`corridor_geo._scenario_model`, unknown fields refused); :meth:`Scenario.resolve`
checks it against the corridor and returns a :class:`ResolvedScenario`. Every problem is
one :class:`~corridor_geo._scenario_model.ScenarioError` line naming file and field.

Examples
--------
>>> s = Scenario.from_dict({"name": "t", "origins": ["core_sz_hitech_zone"]})
>>> s.name
't'
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from corridor_geo import _repr, _yaml, settings
from corridor_geo._args import check_point, describe
from corridor_geo._io import atomic_write_text, read_input
from corridor_geo._scenario_model import (
    AddLink,
    ScenarioError,
    ScenarioModel,
    format_validation_error,
)
from corridor_geo.errors import ArgumentError, UnknownIdError
from corridor_geo.scenario.streets import street_network

if TYPE_CHECKING:
    from corridor_geo.corridor import Corridor

__all__ = ["ResolvedScenario", "Scenario", "export_json_schema", "geodata_hash", "is_missing",
           "json_schema"]


_MAX_FILE_BYTES = 1 << 20  # a scenario file is small; refuse anything larger than 1 MiB


class Scenario(ScenarioModel):
    """A what-if scenario (see ``docs/scenarios.md`` and ``docs/scenario.schema.json``).

    Build it from a file with :meth:`from_yaml` (or a dict with :meth:`from_dict`); both
    raise :class:`ScenarioError` with a one-line message naming the file and field.

    Examples
    --------
    >>> s = Scenario.from_dict({"name": "t", "origins": ["core_sz_hitech_zone"],
    ...                         "bands": [15, 30]})
    >>> s.bands, s.modes
    ([15.0, 30.0], ['drive'])
    """

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> Scenario:
        """Read and validate a scenario file (``yaml.safe_load``).

        Parameters
        ----------
        path
            The YAML file. Relative file paths inside it (``extra_nodes``,
            ``population.file``, ``network``, ``timetable``) are relative to its folder.

        Returns
        -------
        Scenario

        Raises
        ------
        ScenarioError
            Unreadable file, invalid YAML, or a field that does not validate.

        Examples
        --------
        >>> s = Scenario.from_yaml("scenarios/baseline_2025.yaml")  # doctest: +SKIP
        """
        if not isinstance(path, str | os.PathLike):
            raise ArgumentError(f"expected the path of a scenario file, got {describe(path)}")
        path = Path(path)
        raw = read_input(path, error=ScenarioError, max_bytes=_MAX_FILE_BYTES,
                         what="scenario YAML file")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError(f"not UTF-8 text (byte {exc.start})", path=path) from None
        try:
            data = _yaml.safe_load(text)  # bounded: aliases, nodes, depth, duplicate keys
        except yaml.YAMLError as exc:
            raise ScenarioError(_yaml_message(exc), path=path) from None
        except RecursionError:
            raise ScenarioError("invalid YAML: nesting too deep", path=path) from None
        return cls.from_dict(data, source=path)

    @classmethod
    def from_dict(cls, data: Any, *, source: str | os.PathLike[str] | None = None) -> Scenario:
        """Validate a mapping of scenario fields.

        Parameters
        ----------
        data
            The fields, as read from YAML.
        source
            File the fields came from (for messages and relative paths); ``None`` means
            relative paths are relative to the current directory.

        Examples
        --------
        >>> Scenario.from_dict({"name": "t", "origins": ["Songshan Lake"]}).name
        't'
        """
        where = source if source is not None else "scenario"
        if not isinstance(data, dict):
            got = "an empty file" if data is None else f"a {type(data).__name__}"
            raise ScenarioError(f"expected a mapping of scenario fields, got {got}", path=where)
        try:
            obj = cls.model_validate(data)
        except ValidationError as exc:
            raise format_validation_error(exc, path=where) from None
        except RecursionError:
            raise ScenarioError("nesting too deep", path=where) from None
        obj._source = None if source is None else Path(source)
        return obj

    # ------------------------------------------------------------ file helpers

    @property
    def source(self) -> Path | None:
        """The file this scenario was read from (``None`` when built from a dict)."""
        return self._source

    @property
    def base_dir(self) -> Path:
        """Folder that relative file paths are resolved against."""
        return self._source.parent if self._source is not None else Path.cwd()

    def _label(self) -> str:
        return str(self._source) if self._source is not None else f"scenario {self.name!r}"

    def _file(self, value: str, field_path: str) -> Path:
        p = Path(value).expanduser()
        p = p if p.is_absolute() else self.base_dir / p
        if not p.is_file():
            if not p.exists() and not p.is_symlink():
                msg = f"file not found: {p}"
            else:
                kind = ("a broken symbolic link" if not p.exists() else "a folder"
                        if p.is_dir() else "not a regular file (a FIFO, device or socket)")
                msg = f"{p} is {kind}; expected a file"
            raise ScenarioError(msg,
                                path=self._label(), field=field_path)
        if self._source is not None:  # a scenario *file* reads only from allowed folders
            allowed = _allowed_dirs(self.base_dir)
            real = p.resolve()
            if not any(real.is_relative_to(d) for d in allowed):
                raise ScenarioError(
                    f"{value}: a scenario file may only read files in its own folder, the "
                    f"shared data folder or a folder listed in {DATA_DIRS_ENV} (symbolic "
                    f"links followed); {real} is in none of {', '.join(map(str, allowed))}",
                    path=self._label(), field=field_path)
        return p

    def referenced_files(self) -> list[Path]:
        """Files the scenario reads (extra nodes, population, network file), checked to exist.

        Examples
        --------
        >>> Scenario.from_dict({"name": "t", "origins": ["x"]}).referenced_files()
        []
        """
        files = [self._file(f, f"extra_nodes[{i}]") for i, f in enumerate(self.extra_nodes)]
        if self.population is not None:
            files.append(self._file(self.population.file, "population.file"))
        if self.network != "default":
            files.append(self._file(self.network, "network"))
        if self.timetable is not None:
            files.append(self._file(self.timetable, "timetable"))
        return files

    def inputs_hash(self) -> str:
        """SHA-256 of everything a run depends on.

        The scenario file's bytes (or its canonical JSON when built from a dict), the
        referenced files (a shapefile with its ``.shx``, ``.dbf``, ``.prj`` and ``.cpg``),
        the bundled ``geodata/`` and the package version. ``batch``
        stores it in ``summary.json`` and skips a scenario whose hash is unchanged.

        Examples
        --------
        >>> len(Scenario.from_dict({"name": "t", "origins": ["x"]}).inputs_hash())
        64
        """
        from corridor_geo import __version__
        from corridor_geo._io import file_sha256

        h = hashlib.sha256()
        h.update(f"corridor_geo {__version__}\n".encode())
        if self._source is not None:
            h.update(b"scenario\0" + self._source.read_bytes())
        else:
            h.update(b"scenario-json\0" + self.model_dump_json().encode())
        for p in self.referenced_files():
            h.update(f"\0file {p.name} {file_sha256(p)}".encode())
            for q in _companions(p):  # a shapefile's attributes are in its .dbf
                h.update(f"\0companion {q.name} {file_sha256(q)}".encode())
        h.update(f"\0geodata {geodata_hash()}".encode())
        return h.hexdigest()

    # ------------------------------------------------------------ semantic check

    def resolve(self, *, corridor: Corridor | None = None) -> ResolvedScenario:
        """Check the scenario against the corridor and resolve its ids.

        Parameters
        ----------
        corridor
            The corridor as of the scenario's year with its extra nodes
            (``load_corridor(as_of=..., extra_nodes=...)``); loaded when ``None``. The
            scenario's ``enable_links`` are switched on in a copy.

        Returns
        -------
        ResolvedScenario
            Resolved origin/destination ids, absolute file paths and network edits.

        Raises
        ------
        ScenarioError
            Unknown origin, destination, link or road class (with close matches), a year
            before any link opened, closing a link that is not open, a missing file.

        Examples
        --------
        >>> s = Scenario.from_dict({"name": "t", "origins": ["Songshan Lake"]})
        >>> s.resolve().origins  # doctest: +SKIP
        ('core_dg_songshan_lake',)
        """
        files = self.referenced_files()
        extra = tuple(files[: len(self.extra_nodes)])
        label = self._label()
        if corridor is None:
            corridor = _load_corridor(as_of=self.as_of, extra_nodes=extra)
        return _resolve(self, corridor, extra=extra, label=label)


@dataclass(frozen=True)
class ResolvedScenario:
    """A scenario checked against the corridor: resolved ids and absolute paths."""

    scenario: Scenario
    origins: tuple[str, ...]
    destinations: tuple[str, ...]
    extra_nodes: tuple[Path, ...]
    population: Path | None
    network_source: str
    add_link_stops: tuple[tuple[str | tuple[str, float, float], ...], ...] = ()
    corridor: Any = field(default=None, repr=False, compare=False)
    timetable: Path | None = None

    def __repr__(self) -> str:
        return _repr.summary_text("ResolvedScenario", _repr.resolved_items(self))

    def _repr_html_(self) -> str:
        return _repr.summary_html("ResolvedScenario", _repr.resolved_items(self))

    def network_edits(self) -> Any:
        """Return the :class:`corridor_geo.transit.NetworkEdits` of the scenario."""
        from corridor_geo.transit import NetworkEdits

        e = self.scenario.edits
        return NetworkEdits(
            enable_links=tuple(e.enable_links),
            close_links=tuple(e.close_links),
            add_links=tuple(
                _new_link(link, stops)
                for link, stops in zip(e.add_links, self.add_link_stops, strict=True)
            ),
            speed_factors=dict(sorted(e.speed_factors.items())),
            headway_min=dict(sorted(e.headway_min.items())),
        )


def _new_link(link: AddLink, stops: tuple[str | tuple[str, float, float], ...]) -> Any:
    from corridor_geo.transit import multimodal

    cls = getattr(multimodal, "NewLink", None)
    kwargs: dict[str, Any] = {
        "id": link.id, "name": link.name, "mode": link.mode, "stops": tuple(stops),
        "operating_speed_kmh": link.operating_speed_kmh, "headway_min": link.headway_min,
    }
    return cls(**kwargs) if cls is not None else kwargs


#: Environment variable listing further folders (os.pathsep-separated) scenario files may
#: read from (besides their own folder and ``settings.shared_data_dir()``).
DATA_DIRS_ENV = "CORRIDOR_GEO_DATA_DIRS"


def _allowed_dirs(base_dir: Path) -> list[Path]:
    """Folders a scenario file may read from (resolved)."""
    dirs = [base_dir, settings.shared_data_dir()]
    dirs += [Path(d).expanduser() for d in os.environ.get(DATA_DIRS_ENV, "").split(os.pathsep)
             if d.strip()]
    out: list[Path] = []
    for d in dirs:
        try:
            out.append(d.resolve())
        except OSError:
            continue
    return out


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"invalid YAML{where}: {problem}"


#: Files GDAL reads beside a shapefile (``pop.shp``): index, attributes, CRS, encoding.
_SHP_COMPANIONS = (".shx", ".dbf", ".prj", ".cpg")


def _companions(path: Path) -> list[Path]:
    """Files read together with *path*: the ``.shx``/``.dbf``/``.prj``/``.cpg`` of a shapefile.

    Examples
    --------
    >>> _companions(Path("nodes.csv"))
    []
    """
    if path.suffix.lower() != ".shp":
        return []
    try:
        siblings = sorted(path.parent.iterdir())
    except OSError:
        return []
    return [q for q in siblings
            if q.stem == path.stem and q.suffix.lower() in _SHP_COMPANIONS and q.is_file()]


@functools.lru_cache(maxsize=1)
def geodata_hash() -> str:
    """SHA-256 of the bundled ``geodata/`` folder (paths and bytes), cached per process."""
    h = hashlib.sha256()
    root = settings.geodata_dir()
    if root.is_dir():
        for p in sorted(root.rglob("*")):
            if p.is_file():
                h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _load_corridor(*, as_of: int | None, extra_nodes: Sequence[Path]) -> Corridor:
    from corridor_geo.corridor import load_corridor

    return load_corridor(as_of=as_of, extra_nodes=list(extra_nodes) or None)


def _road_classes(source: str, as_of: int | None) -> set[str]:
    """Road classes (``highway`` values) of the scenario's street network (of its year)."""
    import numpy as np

    # the network of the scenario's year: the one scenario_streets uses (one load)
    net = street_network(source, as_of=as_of)
    return {str(c) for c in np.unique(np.asarray(net.highway, dtype=str)) if str(c)}


@dataclass(frozen=True)
class _LinkTable:
    """Status, opening year and mode of every bundled link, for the checks of a scenario."""

    ids: list[str]
    status: dict[str, str]
    opened: dict[str, int | None]
    mode: dict[str, str]

    @classmethod
    def of(cls, corridor: Corridor) -> _LinkTable:
        links = corridor.all_links
        ids = [str(i) for i in links["id"]]
        return cls(ids, dict(zip(ids, links["status"].astype(str), strict=True)),
                   {i: (None if is_missing(v) else int(v))
                    for i, v in zip(ids, links["opened"], strict=True)},
                   dict(zip(ids, links["mode"].astype(str), strict=True)))

    def open_in(self, lid: str, as_of: int | None) -> bool:
        return _open_in(self.status[lid], self.opened[lid], as_of)


def _known(query: str, where: str, *, known: Sequence[str], label: str,
           what: str = "link") -> str:
    if query not in known:
        err = UnknownIdError(query, known, what=what)
        raise ScenarioError(str(err), path=label, field=where)
    return query


def _check_year(s: Scenario, t: _LinkTable, label: str) -> None:
    if s.as_of is None:
        return
    years = [(y, i) for i, y in t.opened.items() if y is not None and t.status[i] == "open"]
    if years:
        first_year, first_id = min(years)
        if s.as_of < first_year:
            raise ScenarioError(
                f"{s.as_of} is before any link opened (the first, {first_id}, opened in "
                f"{first_year})", path=label, field="as_of")


def _check_links(s: Scenario, t: _LinkTable, label: str) -> tuple[set[str], str]:
    """Check the link edits; return the enabled links and the street-network source."""
    e = s.edits
    added = [link.id for link in e.add_links]
    for i, lid in enumerate(added):
        if lid in t.status:
            raise ScenarioError(f"link {lid!r} already exists; choose a new id", path=label,
                                field=f"edits.add_links[{i}].id")
    for i, lid in enumerate(e.enable_links):
        _known(lid, f"edits.enable_links[{i}]", known=t.ids, label=label)
    enabled = set(e.enable_links)
    for i, lid in enumerate(e.close_links):
        _known(lid, f"edits.close_links[{i}]", known=t.ids, label=label)
        if not t.open_in(lid, s.as_of):
            when = "" if s.as_of is None else f" in {s.as_of}"
            since = "" if t.opened[lid] is None else f", opened {t.opened[lid]}"
            raise ScenarioError(
                f"link {lid!r} is not open{when} (status {t.status[lid]}{since}); "
                "only open links can be closed", path=label, field=f"edits.close_links[{i}]")
    net_src = "default" if s.network == "default" else str(s._file(s.network, "network"))
    classes = _road_classes(net_src, s.as_of)
    for key in e.speed_factors:
        if key not in {*t.ids, *added, *classes}:
            err = UnknownIdError(key, sorted({*t.ids, *added, *classes}),
                                 what="link or road class")
            hint = "" if err.suggestions else (
                f"; road classes of network {net_src!r}: {', '.join(sorted(classes))}")
            raise ScenarioError(str(err) + hint, path=label, field=f"edits.speed_factors.{key}")
    rail = {i for i in t.ids if t.mode[i] != "expressway"} | {
        lk.id for lk in e.add_links if lk.mode != "expressway"}
    for key in e.headway_min:
        _known(key, f"edits.headway_min.{key}", known=sorted({*t.ids, *added}), label=label)
        if key not in rail:
            raise ScenarioError(f"link {key!r} is an expressway; headways apply to rail links",
                                path=label, field=f"edits.headway_min.{key}")
        _check_in_service(s, t, key, enabled, label, f"edits.headway_min.{key}")
    for key in e.speed_factors:
        _check_in_service(s, t, key, enabled, label, f"edits.speed_factors.{key}")
    return enabled, net_src


def _check_in_service(s: Scenario, t: _LinkTable, key: str, enabled: set[str], label: str,
                      where: str) -> None:
    if key in t.status and not (t.open_in(key, s.as_of) or key in enabled):
        raise ScenarioError(f"link {key!r} is not open (status {t.status[key]}); enable it "
                            "in edits.enable_links first", path=label, field=where)


def _resolve_places(s: Scenario, corridor: Corridor, label: str) -> tuple[
        tuple[str, ...], tuple[str, ...],
        tuple[tuple[str | tuple[str, float, float], ...], ...]]:
    """Resolve origins, destinations and the string stops of added links to ids."""

    def place(query: str, where: str) -> str:
        try:
            return str(corridor.resolve(query))
        except UnknownIdError as exc:
            raise ScenarioError(str(exc), path=label, field=where) from None

    origins = tuple(place(q, f"origins[{i}]") for i, q in enumerate(s.origins))
    dests = (origins if s.destinations is None else
             tuple(place(q, f"destinations[{i}]") for i, q in enumerate(s.destinations)))
    for name, values in (("origins", origins), ("destinations", dests)):
        seen: dict[str, int] = {}
        for i, v in enumerate(values):
            if v in seen:
                raise ScenarioError(f"{v!r} is the same place as {name}[{seen[v]}]",
                                    path=label, field=f"{name}[{i}]")
            seen[v] = i
    from corridor_geo.transit.multimodal import new_link_stop_problem

    kinds = dict(zip(corridor.stations["id"], corridor.stations["kind"], strict=True))
    stops_all: list[tuple[str | tuple[str, float, float], ...]] = []
    for i, lk in enumerate(s.edits.add_links):
        stops: list[str | tuple[str, float, float]] = []
        for j, stop in enumerate(lk.stops):
            if isinstance(stop, str):
                where = f"edits.add_links[{i}].stops[{j}]"
                sid = place(stop, where)
                problem = new_link_stop_problem(lk.mode, sid, kinds)
                if problem:
                    raise ScenarioError(problem, path=label, field=where)
                stops.append(sid)
            else:
                try:  # near the corridor, as matrices and extra nodes require
                    check_point(stop.lon, stop.lat, polygon=corridor.polygon,
                                what=f"stop {stop.name!r}")
                except ArgumentError as exc:
                    raise ScenarioError(str(exc), path=label,
                                        field=f"edits.add_links[{i}].stops[{j}]") from None
                stops.append((stop.name, stop.lon, stop.lat))
        stops_all.append(tuple(stops))
    return origins, dests, tuple(stops_all)


def _resolve(s: Scenario, base: Corridor, *, extra: tuple[Path, ...],
             label: str) -> ResolvedScenario:
    t = _LinkTable.of(base)
    _check_year(s, t, label)
    enabled, net_src = _check_links(s, t, label)
    corridor = base.with_links(enable=sorted(enabled)) if enabled else base
    origins, dests, stops = _resolve_places(s, corridor, label)
    pop = None
    if s.population is not None:
        pop = s._file(s.population.file, "population.file")
    feed = None if s.timetable is None else s._file(s.timetable, "timetable")
    return ResolvedScenario(
        scenario=s, origins=origins, destinations=dests, extra_nodes=tuple(extra),
        population=pop, network_source=net_src, add_link_stops=stops,
        corridor=corridor, timetable=feed,
    )


def is_missing(v: Any) -> bool:
    """Tell whether *v* is None, NaN, NA or NaT (pandas.isna of a scalar)."""
    try:
        import pandas as pd

        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _open_in(status: str, opened: int | None, as_of: int | None) -> bool:
    # the rule of corridor_geo.rail.active_link_ids: open, and opened by as_of when given
    if status != "open":
        return False
    return as_of is None or (opened is not None and opened <= as_of)


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema of scenario files (draft 2020-12).

    Examples
    --------
    >>> json_schema()["title"]
    'corridor_geo scenario'
    """
    return ScenarioModel.model_json_schema(mode="validation")


def export_json_schema(path: str | os.PathLike[str] | None = None) -> str:
    """Return the schema as deterministic JSON text; write it to *path* when given.

    ``docs/scenario.schema.json`` is made with this function and a test checks it is
    current: ``python -c "from corridor_geo.scenario import export_json_schema as e;
    e('docs/scenario.schema.json')"``.

    Examples
    --------
    >>> export_json_schema().startswith("{")
    True
    """
    from corridor_geo._io import dumps_json

    text = dumps_json(json_schema())
    if path is not None:
        atomic_write_text(path, text)
    return text
