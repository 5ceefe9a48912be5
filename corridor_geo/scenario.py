"""Scripted what-if scenarios: scenario files, runs and comparisons.

A scenario is a YAML file that a planner can version: the year (``as_of``), origins and
destinations, travel modes, catchment bands, network edits (switch on a planned link,
close a link, add a link with its stops and speed, speed factors per link or road
class, headways) and extra nodes. :class:`Scenario` validates it (pydantic, strict,
unknown fields refused) and :meth:`Scenario.resolve` checks it against the corridor
(unknown ids or links with close matches, a year before any link opened, ...).
Every problem is one :class:`ScenarioError` line naming the file and the field path,
for example ``scenario.yaml: edits.speed_factors.gs_expressway: must be > 0 (got -0.5)``.

:func:`run_scenario` writes ``map.html``, ``catchments.gpkg``, ``matrix.csv``,
``summary.json``, ``report.md`` (with PNG plots) and ``run.log`` into an output folder,
atomically: a failed run leaves no half-written folder. :func:`compare` runs a base and
a scenario and writes the changes in catchment area, in travel time per pair and a map
of the gained and lost areas. Outputs other than the log are byte-identical for the
same inputs.

Examples
--------
>>> from corridor_geo.scenario import Scenario, run_scenario, compare
>>> s = Scenario.from_yaml("scenarios/baseline_2025.yaml")  # doctest: +SKIP
>>> result = run_scenario(s, out="out/baseline")  # doctest: +SKIP
>>> result.summary["catchments"][0]["area_km2"]  # doctest: +SKIP
>>> diff = compare("scenarios/baseline_2025.yaml", "scenarios/second_gz_sz_hsr_2029.yaml",
...                out="out/hsr_vs_base")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from corridor_geo import _repr, _yaml, settings
from corridor_geo._csvio import neutralise_frame
from corridor_geo._io import (
    atomic_path,
    atomic_write_json,
    atomic_write_text,
    check_output_dir,
    output_dir,
    read_input,
    read_vector,
)
from corridor_geo._scenario_model import (
    LINK_MODES,
    MODES,
    AddLink,
    Edits,
    OutputDirError,
    Outputs,
    Population,
    ScenarioError,
    ScenarioModel,
    StopPoint,
    format_validation_error,
)
from corridor_geo._text import md_text
from corridor_geo.errors import ArgumentError, CorridorGeoError, UnknownIdError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from corridor_geo.corridor import Corridor

__all__ = [
    "LINK_MODES",
    "MODES",
    "AddLink",
    "Comparison",
    "Edits",
    "OutputDirError",
    "Outputs",
    "Population",
    "ResolvedScenario",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "StopPoint",
    "check_out_dir",
    "compare",
    "export_json_schema",
    "json_schema",
    "run_scenario",
    "street_network",
]

logger = logging.getLogger(__name__)

_MAX_FILE_BYTES = 1 << 20  # a scenario file is small; refuse anything larger than 1 MiB
#: fixed timestamp written into GeoPackages (gpkg_contents.last_change) for byte-identical files
_GPKG_DATE = "2000-01-01T00:00:00.000Z"
_ROUND = 4  # decimals of floats in summary.json / CSV
_GRID_M = 0.1  # precision grid (m, EPSG:4547) of the gained/lost overlay


# ====================================================================== the model


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
            ``population.file``, ``network``) are relative to its folder.

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
            raise ArgumentError(f"expected the path of a scenario file, got {path!r}")
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
            raise ScenarioError(f"file not found: {p}", path=self._label(), field=field_path)
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
        return files

    def inputs_hash(self) -> str:
        """SHA-256 of everything a run depends on.

        The scenario file's bytes (or its canonical JSON when built from a dict), the
        referenced files, the bundled ``geodata/`` and the package version. ``batch``
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
        h.update(f"\0geodata {_geodata_hash()}".encode())
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


@functools.lru_cache(maxsize=1)
def _geodata_hash() -> str:
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


def _road_classes(source: str) -> set[str]:
    """Road classes (``highway`` values) of the scenario's street network."""
    import numpy as np

    net = street_network(source)
    return {str(c) for c in np.unique(np.asarray(net.highway, dtype=str)) if str(c)}


def _resolve(s: Scenario, base: Corridor, *, extra: tuple[Path, ...],
             label: str) -> ResolvedScenario:
    links = base.all_links
    ids = [str(i) for i in links["id"]]
    status = dict(zip(ids, links["status"].astype(str), strict=True))
    opened = {i: (None if _isna(v) else int(v))
              for i, v in zip(ids, links["opened"], strict=True)}
    lmode = dict(zip(ids, links["mode"].astype(str), strict=True))

    # -- the year
    if s.as_of is not None:
        years = [(y, i) for i, y in opened.items() if y is not None and status[i] == "open"]
        if years:
            first_year, first_id = min(years)
            if s.as_of < first_year:
                raise ScenarioError(
                    f"{s.as_of} is before any link opened (the first, {first_id}, opened in "
                    f"{first_year})", path=label, field="as_of")

    # -- links
    e = s.edits
    added = [link.id for link in e.add_links]

    def link(query: str, where: str, *, known: Sequence[str], what: str = "link") -> str:
        if query not in known:
            err = UnknownIdError(query, known, what=what)
            raise ScenarioError(str(err), path=label, field=where)
        return query

    for i, lid in enumerate(added):
        if lid in status:
            raise ScenarioError(f"link {lid!r} already exists; choose a new id", path=label,
                                field=f"edits.add_links[{i}].id")
    for i, lid in enumerate(e.enable_links):
        link(lid, f"edits.enable_links[{i}]", known=ids)
    enabled = set(e.enable_links)
    for i, lid in enumerate(e.close_links):
        link(lid, f"edits.close_links[{i}]", known=ids)
        if not _open_in(status[lid], opened[lid], s.as_of):
            when = "" if s.as_of is None else f" in {s.as_of}"
            since = "" if opened[lid] is None else f", opened {opened[lid]}"
            raise ScenarioError(
                f"link {lid!r} is not open{when} (status {status[lid]}{since}); "
                "only open links can be closed", path=label, field=f"edits.close_links[{i}]")
    net_src = "default" if s.network == "default" else str(s._file(s.network, "network"))
    classes = _road_classes(net_src)
    for key in e.speed_factors:
        if key not in {*ids, *added, *classes}:
            err = UnknownIdError(key, sorted({*ids, *added, *classes}), what="link or road class")
            hint = "" if err.suggestions else (
                f"; road classes of network {net_src!r}: {', '.join(sorted(classes))}")
            raise ScenarioError(str(err) + hint, path=label, field=f"edits.speed_factors.{key}")
    rail = {i for i in ids if lmode[i] != "expressway"} | {
        lk.id for lk in e.add_links if lk.mode != "expressway"}
    for key in e.headway_min:
        link(key, f"edits.headway_min.{key}", known=sorted({*ids, *added}))
        if key not in rail:
            raise ScenarioError(f"link {key!r} is an expressway; headways apply to rail links",
                                path=label, field=f"edits.headway_min.{key}")
        if key in status and not (_open_in(status[key], opened[key], s.as_of) or key in enabled):
            raise ScenarioError(f"link {key!r} is not open (status {status[key]}); enable it "
                                "in edits.enable_links first", path=label,
                                field=f"edits.headway_min.{key}")
    for key in e.speed_factors:
        if key in status and not (_open_in(status[key], opened[key], s.as_of) or key in enabled):
            raise ScenarioError(f"link {key!r} is not open (status {status[key]}); enable it "
                                "in edits.enable_links first", path=label,
                                field=f"edits.speed_factors.{key}")

    corridor = base.with_links(enable=sorted(enabled)) if enabled else base

    # -- places
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

    stops_all: list[tuple[str | tuple[str, float, float], ...]] = []
    for i, lk in enumerate(e.add_links):
        stops: list[str | tuple[str, float, float]] = []
        for j, stop in enumerate(lk.stops):
            if isinstance(stop, str):
                stops.append(place(stop, f"edits.add_links[{i}].stops[{j}]"))
            else:
                stops.append((stop.name, stop.lon, stop.lat))
        stops_all.append(tuple(stops))

    pop = None
    if s.population is not None:
        pop = s._file(s.population.file, "population.file")
    return ResolvedScenario(
        scenario=s, origins=origins, destinations=dests, extra_nodes=tuple(extra),
        population=pop, network_source=net_src, add_link_stops=tuple(stops_all),
        corridor=corridor,
    )


def _isna(v: Any) -> bool:
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


# ====================================================================== JSON Schema


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


# ====================================================================== running


def check_out_dir(out: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Check that the output folder can be created or replaced; return it as a Path.

    A non-empty folder that corridor_geo did not write (no manifest of its own, or files
    its manifest does not list) is refused unless *overwrite* (see
    :func:`corridor_geo._io.check_output_dir`).

    Raises
    ------
    OutputDirError
        *out* is a file, its nearest existing parent is not a writable folder, or it
        holds files corridor_geo did not write.

    Examples
    --------
    >>> check_out_dir("out/run").name
    'run'
    """
    return check_output_dir(out, overwrite=overwrite)


@dataclass
class RunResult:
    """What :func:`run_scenario` computed and wrote.

    Attributes
    ----------
    scenario
        The resolved scenario.
    matrix
        Travel-time matrix, all modes (``from_id, to_id, mode, minutes, ...``).
    catchments
        Catchment polygons, all modes (``origin_id, mode, band_min, area_km2, ...``).
    summary
        The content of ``summary.json``.
    out
        The output folder, or ``None`` when nothing was written.
    """

    scenario: ResolvedScenario
    matrix: pd.DataFrame
    catchments: gpd.GeoDataFrame
    summary: dict[str, Any]
    corridor: Any = None
    out: Path | None = None
    files: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return _repr.summary_text("RunResult", _repr.run_items(self))

    def _repr_html_(self) -> str:
        return _repr.summary_html("RunResult", _repr.run_items(self),
                                  note="matrix, catchments: the tables; summary: summary.json")


def _as_scenario(s: Scenario | str | os.PathLike[str]) -> Scenario:
    return s if isinstance(s, Scenario) else Scenario.from_yaml(s)


def _progress(total: int, desc: str, progress: bool | None) -> Any:
    from tqdm.auto import tqdm

    show = settings.progress if progress is None else progress
    return tqdm(total=total, desc=desc, unit="step", disable=not show, leave=False)


@contextlib.contextmanager
def _log_to(path: Path) -> Iterator[logging.Logger]:
    log = logging.getLogger("corridor_geo")
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    old_level = log.level
    log.addHandler(handler)
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    try:
        yield log
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
        handler.close()


@functools.lru_cache(maxsize=4)
def _cached_street(source: str, key: str) -> Any:
    """Load the base street network; cached once per process (so once per Dask worker)."""
    from corridor_geo.graph import load_network

    logger.info("loading street network %s", source)
    return load_network(source=source, network_type="drive")


def street_network(source: str = "default") -> Any:
    """Return the base street network for *source*, cached per process.

    The cache key includes the file's hash for file sources, so an edited file is
    reloaded. Dask workers call this once and reuse the network for every scenario.

    Examples
    --------
    >>> net = street_network()  # doctest: +SKIP
    """
    from corridor_geo._io import file_sha256

    key = "default" if source == "default" else file_sha256(source)
    return _cached_street(source, key)


#: Street-network road names of the expressway links (the scgraph default names them in
#: English, OpenStreetMap in Chinese). A link speed factor (or closure) of an expressway
#: also applies to these street edges; otherwise drivers would bypass a congested link on
#: the parallel street-network copy of the same road.
EXPRESSWAY_ROAD_NAMES: dict[str, tuple[str, ...]] = {
    "gs_expressway": ("Guangshen Expressway", "广深高速", "广深高速公路"),
    "yanjiang_expressway": ("Yanjiang Expressway", "广深沿江高速", "广深沿江高速公路"),
}
#: Speed factor standing for a closed expressway on the street network (keeps the graph
#: connected for snapping, but no route uses the road).
_CLOSED_FACTOR = 1e-3


def _scenario_streets(res: ResolvedScenario) -> tuple[Any, Any, dict[str, float]]:
    """Return the street networks of a scenario.

    The street network for the multimodal build (expressway link factors applied by
    road name), the drive network for catchments (also road-class factors) and the
    road-class factors.
    """
    from corridor_geo.speeds import apply_speed_factors

    street = street_network(res.network_source)
    e = res.scenario.edits
    link_ids = set(res.corridor.links["id"]) | {lk.id for lk in e.add_links}
    by_name: dict[str, float] = {}
    for lid, names in EXPRESSWAY_ROAD_NAMES.items():
        factor = _CLOSED_FACTOR if lid in e.close_links else e.speed_factors.get(lid)
        if factor is not None:
            by_name.update(dict.fromkeys(names, factor))
    if by_name:
        street = apply_speed_factors(street, by_name=by_name)
    by_class = {k: v for k, v in sorted(e.speed_factors.items()) if k not in link_ids}
    drive = apply_speed_factors(street, by_class=by_class) if by_class else street
    return street, drive, by_class


def _analyse(res: ResolvedScenario, *, bar: Any) -> RunResult:
    """Compute the matrix and catchments of a resolved scenario (nothing written)."""
    import geopandas as gpd
    import pandas as pd

    from corridor_geo.catchments import catchments as _catchments
    from corridor_geo.transit import MultimodalNetwork, travel_time_matrix

    s = res.scenario
    corridor = res.corridor
    bar.set_postfix_str("network")
    street, drive, _ = _scenario_streets(res)
    edits = res.network_edits()
    mm = MultimodalNetwork.build(corridor, street=street, edits=edits, as_of=s.as_of)
    logger.info("network: %r; links in service: %s", mm, ", ".join(mm.link_ids))
    for lid, why in sorted(mm.skipped_links.items()):
        logger.warning("link %s not modelled: %s", lid, why)
    bar.update()
    bar.set_postfix_str("population")
    population = _read_population(res)
    bar.update()

    mats, cats, notes = [], [], []
    for mode in s.modes:
        bar.set_postfix_str(f"matrix {mode}")
        logger.info("travel-time matrix, mode %s: %d x %d", mode, len(res.origins),
                    len(res.destinations))
        m = travel_time_matrix(corridor, list(res.origins), list(res.destinations), mode=mode,
                               network=mm)
        mats.append(m)
        bar.update()
        bar.set_postfix_str(f"catchments {mode}")
        if mode in ("drive", "transit"):
            logger.info("catchments, mode %s, bands %s", mode, s.bands)
            c = _catchments(list(res.origins), mode=mode, bands=list(s.bands),
                            corridor=corridor, network=drive if mode == "drive" else None,
                            multimodal=mm, population=population, snap_max_m=s.snap_max_m)
            cats.append(c.assign(mode=mode))
        else:
            note = (f"no catchments for mode {mode}: a catchment is drawn per mode "
                    "(drive, transit); matrix only")
            logger.warning(note)
            notes.append(note)
        bar.update()
    matrix = gpd.GeoDataFrame(pd.concat(mats, ignore_index=True), geometry="geometry",
                              crs=mats[0].crs)
    matrix["mode"] = matrix["mode"].astype(str)
    matrix = matrix.sort_values(["mode", "from_id", "to_id"], kind="stable").reset_index(drop=True)
    if cats:
        catch = gpd.GeoDataFrame(pd.concat(cats, ignore_index=True), geometry="geometry",
                                 crs=cats[0].crs)
    else:
        catch = gpd.GeoDataFrame({"origin_id": [], "mode": [], "band_min": [], "area_km2": []},
                                 geometry=[], crs=settings.WGS84)
    catch = catch.sort_values(["mode", "origin_id", "band_min"], kind="stable")
    catch = catch.reset_index(drop=True)
    front = [c for c in ("origin_id", "mode", "band_min") if c in catch.columns]
    catch = catch[front + [c for c in catch.columns if c not in front]]
    summary = _summary(res, matrix, catch)
    summary["links_in_service"] = sorted(mm.link_ids)
    summary["notes"] = notes
    return RunResult(scenario=res, matrix=matrix, catchments=catch, summary=summary,
                     corridor=corridor)


def _read_population(res: ResolvedScenario) -> Any:
    if res.population is None:
        return None

    pop = res.scenario.population
    assert pop is not None
    try:
        gdf = read_vector(res.population, what="population layer")
    except CorridorGeoError as exc:
        raise ScenarioError(f"population file: {exc}", path=res.scenario._label(),
                            field="population.file") from None
    if pop.column not in gdf.columns:
        raise ScenarioError(
            f"column {pop.column!r} not in {res.population.name} (columns: "
            f"{', '.join(c for c in gdf.columns if c != 'geometry')})",
            path=res.scenario._label(), field="population.column")
    gdf = gdf[[pop.column, "geometry"]].rename(columns={pop.column: "population"})
    return gdf.to_crs(settings.WGS84) if gdf.crs is not None else gdf.set_crs(settings.WGS84)


def _r(v: Any) -> Any:
    """Round a float for JSON (None for NaN/inf)."""
    import math

    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    if not math.isfinite(f):
        return None
    return round(f, _ROUND)


def _summary(res: ResolvedScenario, matrix: pd.DataFrame, catch: gpd.GeoDataFrame) -> dict:
    import numpy as np

    from corridor_geo import __version__

    s = res.scenario
    rows = []
    for rec in catch.drop(columns="geometry").to_dict(orient="records"):
        row = {"origin_id": str(rec["origin_id"]), "mode": str(rec["mode"]),
               "band_min": _r(rec["band_min"]), "area_km2": _r(rec.get("area_km2"))}
        for key in ("n_platforms_reached", "n_nodes_reached"):
            if key in rec and not _isna(rec[key]):
                row[key] = int(rec[key])
        if "population" in rec and not _isna(rec["population"]):
            row["population"] = _r(rec["population"])
        rows.append(row)
    stats = {}
    for mode, grp in matrix.groupby("mode", sort=True):
        pairs = grp[grp["from_id"] != grp["to_id"]]
        minutes = pairs["minutes"].to_numpy(dtype=float)
        ok = minutes[np.isfinite(minutes)]
        stats[str(mode)] = {
            "n_pairs": len(minutes),
            "n_reachable": len(ok),
            "mean_min": _r(ok.mean()) if len(ok) else None,
            "median_min": _r(np.median(ok)) if len(ok) else None,
            "min_min": _r(ok.min()) if len(ok) else None,
            "max_min": _r(ok.max()) if len(ok) else None,
        }
    return {
        "scenario": {
            "name": s.name, "description": s.description, "as_of": s.as_of,
            "file": s.source.name if s.source is not None else None,
            "modes": list(s.modes), "bands": list(s.bands),
            "origins": list(res.origins), "destinations": list(res.destinations),
            "edits": s.edits.model_dump(mode="json"),
        },
        "corridor_geo_version": __version__,
        "inputs_hash": s.inputs_hash(),
        "catchments": rows,
        "matrix": stats,
    }


def _write_gpkg(gdf: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    import pyogrio

    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_DATE})
    try:
        with atomic_path(path) as tmp:
            gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    import pandas as pd

    df = pd.DataFrame(df.drop(columns="geometry", errors="ignore"))
    text = neutralise_frame(df).to_csv(index=False, float_format=f"%.{_ROUND}f",
                                       lineterminator="\n")  # no spreadsheet formulas
    atomic_write_text(path, text)


def _save_map(m: Any, path: Path) -> None:
    from corridor_geo.maps import save_map

    save_map(m, path)


def _md_table(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in df.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float):
                if v != v:  # NaN
                    cells.append("–")
                else:
                    cells.append(f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}")
            else:
                cells.append(md_text(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _static_plots(result: RunResult, tmp: Path) -> list[str]:
    """Write the report's PNGs (catchment areas and travel-time heatmap per mode)."""
    from corridor_geo import figures

    names: list[str] = []
    places = result.corridor.places() if result.corridor is not None else None
    labels = ({str(i): str(n) for i, n in zip(places["id"], places["name_en"], strict=True)}
              if places is not None else None)
    for mode in result.scenario.scenario.modes:
        cat = result.catchments[result.catchments["mode"] == mode]
        if len(cat):
            fname = f"catchments_{mode}.png"
            figures.save_figure(figures.catchment_bars(cat), tmp / fname)
            names.append(fname)
        mat = result.matrix[result.matrix["mode"] == mode]
        if len(mat):
            fname = f"matrix_{mode}.png"
            figures.save_figure(figures.matrix_heatmap(mat, mode=mode, labels=labels),
                                tmp / fname)
            names.append(fname)
    return names


def _report(result: RunResult, pngs: list[str]) -> str:
    s = result.scenario.scenario
    summ = result.summary
    out = [f"# Scenario: {md_text(s.name)}", ""]  # user text: no HTML, links or code
    if s.description:
        out += [md_text(s.description.strip(), one_line=False), ""]
    out += [
        f"- Year (as_of): {s.as_of if s.as_of is not None else 'all open links'}",
        f"- Modes: {', '.join(s.modes)}; bands: {', '.join(f'{b:g}' for b in s.bands)} min",
        f"- Origins: {md_text(', '.join(result.scenario.origins))}",
        f"- Network edits: {_edits_text(s.edits)}",
        "",
        "## Catchments",
        "",
    ]
    cols = [c for c in ("origin_id", "mode", "band_min", "area_km2", "n_platforms_reached",
                        "n_nodes_reached", "population") if c in result.catchments.columns]
    out += [_md_table(result.catchments[cols]), ""]
    out += ["## Travel-time matrix", ""]
    for mode, st in summ["matrix"].items():
        mean, mx = _fmt1(st["mean_min"]), _fmt1(st["max_min"])
        out.append(f"- {mode}: {st['n_reachable']} of {st['n_pairs']} pairs reachable; "
                   f"mean {mean} min, max {mx} min")
    out.append("")
    for png in pngs:
        what = "Catchment areas" if png.startswith("catchments") else "Travel times"
        out += [f"![{what}, {png[:-4].split('_', 1)[1]}]({png})", ""]
    out += ["Files: " + ", ".join(result.files), "",
            "Map data © OpenStreetMap contributors (ODbL).", ""]
    return "\n".join(out)


def _fmt1(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def _edits_text(e: Edits) -> str:
    parts = []
    if e.enable_links:
        parts.append("enable " + ", ".join(e.enable_links))
    if e.close_links:
        parts.append("close " + ", ".join(e.close_links))
    if e.add_links:
        parts.append("add " + ", ".join(lk.id for lk in e.add_links))
    if e.speed_factors:
        parts.append("speed × " + ", ".join(
            f"{k} {v:g}" for k, v in sorted(e.speed_factors.items())))
    if e.headway_min:
        parts.append("headway " + ", ".join(
            f"{k} {v:g} min" for k, v in sorted(e.headway_min.items())))
    return md_text("; ".join(parts)) or "none"


def _map_corridor(res: ResolvedScenario) -> Any:
    """Return the corridor as the scenario sees it (closed links left out of the map)."""
    closed = res.scenario.edits.close_links
    return res.corridor.with_links(disable=closed) if closed else res.corridor


def _write_run(result: RunResult, tmp: Path) -> None:
    s = result.scenario.scenario
    o = s.outputs
    files = ["summary.json", "run.log"]
    if o.catchments:
        _write_gpkg(result.catchments, tmp / "catchments.gpkg", layer="catchments")
        files.append("catchments.gpkg")
    if o.matrix:
        _write_csv(result.matrix, tmp / "matrix.csv")
        files.append("matrix.csv")
    if o.map:
        from corridor_geo.maps import corridor_map

        catch = result.catchments
        drawn = catch[~(catch.geometry.isna() | catch.geometry.is_empty)]  # empty bands
        m = corridor_map(_map_corridor(result.scenario),
                         catchments=drawn if len(drawn) else None, matrix=result.matrix)
        _save_map(m, tmp / "map.html")
        files.append("map.html")
    pngs: list[str] = []
    if o.report:
        pngs = _static_plots(result, tmp)
        files += pngs
        files.append("report.md")
    result.files = sorted(files)
    if o.report:
        atomic_write_text(tmp / "report.md", _report(result, pngs))
    atomic_write_json(tmp / "summary.json", result.summary)


def _umask_mode(folder: Path) -> None:
    """Give a temporary output folder the usual permissions (mkdtemp makes it 0700)."""
    mask = os.umask(0)
    os.umask(mask)
    folder.chmod(0o777 & ~mask)


def run_scenario(
    scenario: Scenario | str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    overwrite: bool = False,
) -> RunResult:
    """Run a scenario: matrix and catchments for each mode; write the outputs to *out*.

    Parameters
    ----------
    scenario
        A :class:`Scenario` or the path of a scenario file.
    out
        Output folder (a new folder, or one corridor_geo wrote before, is replaced as
        a whole on success; untouched on failure). ``None`` computes without writing.
    progress
        Show a tqdm bar of the steps (default ``settings.progress``).
    overwrite
        Write into a non-empty *out* that holds files corridor_geo did not write,
        replacing only the files listed in its previous manifest (others are kept).

    Returns
    -------
    RunResult
        Matrix, catchments and summary (``summary.json`` content).

    Raises
    ------
    ScenarioError
        Invalid scenario (file or semantic check); nothing is written.
    OutputDirError
        *out* cannot be written; nothing is written.

    Examples
    --------
    >>> r = run_scenario("scenarios/baseline_2025.yaml", out="out/base")  # doctest: +SKIP
    >>> sorted(p.name for p in r.out.iterdir())  # doctest: +SKIP
    ['catchments.gpkg', 'map.html', 'matrix.csv', 'matrix_heatmap.png', ...]
    """
    s = _as_scenario(scenario)
    out_dir = check_out_dir(out, overwrite=overwrite) if out is not None else None
    res = s.resolve()
    steps = 2 + 2 * len(s.modes) + (1 if out_dir is not None else 0)
    with _progress(steps, s.name, progress) as bar:
        if out_dir is None:
            return _analyse(res, bar=bar)
        with output_dir(out_dir, overwrite=overwrite) as tmp, _log_to(tmp / "run.log"):
            _umask_mode(tmp)
            logger.info("scenario %s (%s)", s.name, s._label())
            result = _analyse(res, bar=bar)
            logger.info("inputs hash %s", result.summary["inputs_hash"])
            bar.set_postfix_str("writing")
            _write_run(result, tmp)
            bar.update()
            logger.info("wrote %s", ", ".join(result.files))
        result.out = out_dir
    return result


# ====================================================================== comparing


@dataclass
class Comparison:
    """Differences between a base and a scenario run.

    Attributes
    ----------
    base, scenario
        The two runs.
    catchment_changes
        One row per origin, mode and band: ``area_base_km2, area_scenario_km2,
        change_km2, change_pct``.
    matrix_changes
        One row per pair and mode: ``minutes_base, minutes_scenario, change_min``
        (negative = faster in the scenario).
    difference
        GeoDataFrame ``origin_id, mode, band_min, change`` (``gained``/``lost``),
        ``area_km2, geometry``: the areas reached only in the scenario / only in the base.
    summary
        The content of ``summary.json``.
    """

    base: RunResult
    scenario: RunResult
    catchment_changes: pd.DataFrame
    matrix_changes: pd.DataFrame
    difference: gpd.GeoDataFrame
    summary: dict[str, Any]
    out: Path | None = None

    def __repr__(self) -> str:
        return _repr.summary_text("Comparison", _repr.comparison_items(self))

    def _repr_html_(self) -> str:  # per band: nested bands are never added together
        return _repr.summary_html("Comparison", _repr.comparison_items(self),
                                  note="catchment_changes, matrix_changes, difference: tables")


def _polygonal(geom: Any) -> Any:
    """Return the (Multi)Polygon part of *geom* (differences can leave slivers of lines)."""
    import shapely

    parts = [p for p in shapely.get_parts(shapely.make_valid(geom))
             if p.geom_type == "Polygon" and p.area > 1.0]  # drop < 1 m² slivers
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _difference(base: gpd.GeoDataFrame, scen: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import shapely

    key = ["origin_id", "mode", "band_min"]
    b = base.to_crs(settings.METRIC_CRS).set_index(key)["geometry"]
    s = scen.to_crs(settings.METRIC_CRS).set_index(key)["geometry"]
    rows = []
    for k in sorted(set(b.index) | set(s.index)):
        gb = b.get(k)
        gs = s.get(k)
        empty = shapely.Polygon()
        gb = empty if gb is None or gb.is_empty else shapely.make_valid(gb)
        gs = empty if gs is None or gs.is_empty else shapely.make_valid(gs)
        # overlay on a 0.1 m grid (OverlayNG with snapping): robust where the polygons of
        # the two runs share edges up to floating-point noise
        for change, geom in (("gained", shapely.difference(gs, gb, grid_size=_GRID_M)),
                             ("lost", shapely.difference(gb, gs, grid_size=_GRID_M))):
            geom = _polygonal(geom)
            if geom.is_empty:
                continue
            rows.append({"origin_id": k[0], "mode": k[1], "band_min": k[2], "change": change,
                         "area_km2": round(float(geom.area) / 1e6, _ROUND), "geometry": geom})
    gdf = gpd.GeoDataFrame(rows, columns=[*key, "change", "area_km2", "geometry"],
                           geometry="geometry", crs=settings.METRIC_CRS)
    return gdf.to_crs(settings.WGS84)


def _compare_tables(base: RunResult, scen: RunResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    import numpy as np
    import pandas as pd

    key = ["origin_id", "mode", "band_min"]
    cb = pd.DataFrame(base.catchments[[*key, "area_km2"]]).rename(
        columns={"area_km2": "area_base_km2"})
    cs = pd.DataFrame(scen.catchments[[*key, "area_km2"]]).rename(
        columns={"area_km2": "area_scenario_km2"})
    cc = cb.merge(cs, on=key, how="outer").sort_values(key, kind="stable")
    cc["change_km2"] = cc["area_scenario_km2"] - cc["area_base_km2"]
    with np.errstate(divide="ignore", invalid="ignore"):
        cc["change_pct"] = np.where(cc["area_base_km2"] > 0,
                                    100.0 * cc["change_km2"] / cc["area_base_km2"], np.nan)
    pk = ["mode", "from_id", "to_id"]
    mb = base.matrix[[*pk, "minutes"]].rename(columns={"minutes": "minutes_base"})
    ms = scen.matrix[[*pk, "minutes"]].rename(columns={"minutes": "minutes_scenario"})
    mc = mb.merge(ms, on=pk, how="outer").sort_values(pk, kind="stable")
    mc["change_min"] = mc["minutes_scenario"] - mc["minutes_base"]
    return cc.reset_index(drop=True), mc.reset_index(drop=True)


def compare(
    base: Scenario | str | os.PathLike[str],
    scenario: Scenario | str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    overwrite: bool = False,
) -> Comparison:
    """Run *base* and *scenario* and compare them.

    Writes (when *out* is given, atomically) ``catchment_changes.csv``,
    ``matrix_changes.csv``, ``difference.gpkg`` (gained/lost areas), ``map.html`` (the
    gained and lost areas over the scenario's corridor), ``summary.json``,
    ``report.md`` and ``run.log``.

    Parameters
    ----------
    base, scenario
        Scenarios or scenario file paths. Their origins, modes and bands should agree;
        rows present in only one are kept with NaN on the other side.
    out
        Output folder, or ``None`` to compute only.
    progress
        Show tqdm bars (default ``settings.progress``).
    overwrite
        Write into a non-empty *out* that holds files corridor_geo did not write,
        replacing only the files listed in its previous manifest (others are kept).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> c = compare("scenarios/baseline_2025.yaml",
    ...             "scenarios/second_gz_sz_hsr_2029.yaml")  # doctest: +SKIP
    >>> c.difference.query("change == 'gained'").area_km2.sum()  # doctest: +SKIP
    """
    sb, ss = _as_scenario(base), _as_scenario(scenario)
    out_dir = check_out_dir(out, overwrite=overwrite) if out is not None else None
    rb, rs = sb.resolve(), ss.resolve()
    ctx = (output_dir(out_dir, overwrite=overwrite) if out_dir is not None
           else contextlib.nullcontext(None))
    with ctx as tmp, (_log_to(tmp / "run.log") if tmp is not None
                      else contextlib.nullcontext()):
        if tmp is not None:
            _umask_mode(tmp)
            logger.info("compare %s (%s) with base %s (%s)", ss.name, ss._label(), sb.name,
                        sb._label())
        with _progress(2 + 2 * len(sb.modes), sb.name, progress) as bar:
            r_base = _analyse(rb, bar=bar)
        with _progress(2 + 2 * len(ss.modes), ss.name, progress) as bar:
            r_scen = _analyse(rs, bar=bar)
        cc, mc = _compare_tables(r_base, r_scen)
        diff = _difference(r_base.catchments, r_scen.catchments)
        summary = _compare_summary(r_base, r_scen, cc, mc, diff)
        comp = Comparison(base=r_base, scenario=r_scen, catchment_changes=cc,
                          matrix_changes=mc, difference=diff, summary=summary)
        if tmp is not None:
            _write_compare(comp, tmp)
    comp.out = out_dir
    return comp


def _compare_summary(rb: RunResult, rs: RunResult, cc: pd.DataFrame, mc: pd.DataFrame,
                     diff: gpd.GeoDataFrame) -> dict[str, Any]:
    import numpy as np

    finite = mc[np.isfinite(mc["change_min"].to_numpy(dtype=float))]
    finite = finite[finite["from_id"] != finite["to_id"]]
    per_mode = {}
    for mode, grp in finite.groupby("mode", sort=True):
        ch = grp["change_min"].to_numpy(dtype=float)
        per_mode[str(mode)] = {
            "n_pairs": len(ch),
            "n_faster": int((ch < -1e-9).sum()),
            "n_slower": int((ch > 1e-9).sum()),
            "mean_change_min": _r(ch.mean()) if len(ch) else None,
            "largest_saving_min": _r(-ch.min()) if len(ch) else None,
        }
    areas = []
    for rec in cc.to_dict(orient="records"):
        sub = diff[(diff["origin_id"] == rec["origin_id"]) & (diff["mode"] == rec["mode"])
                   & (diff["band_min"] == rec["band_min"])]
        gained = float(sub.loc[sub["change"] == "gained", "area_km2"].sum())
        lost = float(sub.loc[sub["change"] == "lost", "area_km2"].sum())
        areas.append({"origin_id": str(rec["origin_id"]), "mode": str(rec["mode"]),
                      "band_min": _r(rec["band_min"]),
                      "area_base_km2": _r(rec["area_base_km2"]),
                      "area_scenario_km2": _r(rec["area_scenario_km2"]),
                      "change_km2": _r(rec["change_km2"]),
                      "gained_km2": _r(gained), "lost_km2": _r(lost)})
    return {
        "base": {"name": rb.scenario.scenario.name, "inputs_hash": rb.summary["inputs_hash"]},
        "scenario": {"name": rs.scenario.scenario.name,
                     "inputs_hash": rs.summary["inputs_hash"]},
        "corridor_geo_version": rb.summary["corridor_geo_version"],
        "catchment_changes": areas,
        "matrix_changes": per_mode,
    }


def _write_compare(comp: Comparison, tmp: Path) -> None:
    _write_csv(comp.catchment_changes, tmp / "catchment_changes.csv")
    _write_csv(comp.matrix_changes, tmp / "matrix_changes.csv")
    _write_gpkg(comp.difference, tmp / "difference.gpkg", layer="difference")
    from corridor_geo.maps import corridor_map

    m = corridor_map(_map_corridor(comp.scenario.scenario), difference=comp.difference,
                     matrix_changes=comp.matrix_changes)
    _save_map(m, tmp / "map.html")
    atomic_write_text(tmp / "report.md", _compare_report(comp))
    atomic_write_json(tmp / "summary.json", comp.summary)


def _compare_report(comp: Comparison) -> str:
    import numpy as np

    b = comp.base.scenario.scenario
    s = comp.scenario.scenario.scenario
    sn, bn = md_text(s.name), md_text(b.name)
    out = [f"# Comparison: {sn} against {bn}", "",
           f"- Base: {bn} (as_of {b.as_of}); edits: {_edits_text(b.edits)}",
           f"- Scenario: {sn} (as_of {s.as_of}); edits: {_edits_text(s.edits)}", "",
           "## Catchment area changes", ""]
    rows = comp.summary["catchment_changes"]
    import pandas as pd

    out += [_md_table(pd.DataFrame(rows)), "", "## Travel-time changes", ""]
    mc = comp.matrix_changes
    changed = mc[np.abs(mc["change_min"].to_numpy(dtype=float)) > 0.05]
    changed = changed.assign(_abs=changed["change_min"].abs()).sort_values(
        ["_abs", "mode", "from_id", "to_id"], ascending=[False, True, True, True],
        kind="stable").drop(columns="_abs")
    for mode, st in comp.summary["matrix_changes"].items():
        saving = st["largest_saving_min"]
        best = f"largest saving {saving:.1f} min" if saving and saving > 0 else "no saving"
        out.append(f"- {mode}: {st['n_faster']} of {st['n_pairs']} pairs faster, "
                   f"{st['n_slower']} slower; {best}")
    out.append("")
    if len(changed):
        out += ["Largest changes (minutes; negative = faster in the scenario):", "",
                _md_table(changed.head(20)), ""]
    out += ["Files: catchment_changes.csv, matrix_changes.csv, difference.gpkg, map.html, "
            "summary.json, run.log", "", "Map data © OpenStreetMap contributors (ODbL).", ""]
    return "\n".join(out)

