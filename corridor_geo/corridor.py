"""The :class:`Corridor` object: platforms, nodes, stations, links and boundaries.

:func:`load_corridor` is where every analysis starts. It reads the validated bundled
tables (:mod:`corridor_geo.data`), keeps the links in service at a given year, adds the
user's own nodes, and builds link geometries through the stop coordinates. City and
district boundaries and the corridor polygon are loaded lazily on first access (they
come from :func:`corridor_geo.boundaries.load_boundaries`).

Examples
--------
>>> from corridor_geo.corridor import load_corridor
>>> corridor = load_corridor(as_of=2015)
>>> "suishen_icr" in set(corridor.links["id"])
False
>>> corridor.resolve("深圳北")
'st_sz_north'
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from corridor_geo import settings
from corridor_geo._args import as_list, check_as_of, check_path, describe
from corridor_geo._repr import summary_html, summary_text
from corridor_geo.data import (
    PLACE_COLUMNS,
    CorridorFacts,
    GeoData,
    read_extra_nodes,
    read_geodata,
)
from corridor_geo.errors import (
    ArgumentError,
    DataValidationError,
    UnknownIdError,
    UnlocatedPlaceError,
)

__all__ = ["Corridor", "load_corridor", "place_point", "point_id"]

PathLike = str | os.PathLike[str]

_PAREN = re.compile(r"\([^)]*\)")
# separators ignored by look-ups: "Songshan Lake" = "songshanlake" = "Songshan-Lake",
# "Bao'an" = "Baoan", "坂雪岗·科技城" = "坂雪岗科技城"
_SEP = re.compile(r"[\s\-‐‑–—_'’`·・.,]+")
_SUFFIX = re.compile(r"(railwaystation|trainstation|station|stn|站)$")
_KIND_LABEL = {"core_platform": "core platform", "innovation_node": "innovation node",
               "user_node": "user node"}


def point_id(lon: float, lat: float) -> str:
    """Return the id of an ad-hoc ``(lon, lat)`` point, the same in every output.

    Catchments and matrices name a point given by coordinates with this id, so that
    their outputs can be joined.

    Examples
    --------
    >>> point_id(113.95, 22.54)
    'point_113.950000_22.540000'
    """
    return f"point_{float(lon):.6f}_{float(lat):.6f}"


def place_point(geom: BaseGeometry) -> BaseGeometry:
    """Return the point standing for a place: itself, or a polygon's representative point.

    ``representative_point()`` (always inside the polygon), never ``centroid`` (which can
    fall outside a concave platform).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> place_point(Point(114.0, 22.5)).wkt
    'POINT (114 22.5)'
    """
    return geom if geom.geom_type == "Point" else geom.representative_point()


def _norm(text: str) -> str:
    """Normalise a name for look-up: NFKC (full-width → half-width), case-folded, no spaces.

    Examples
    --------
    >>> _norm("Ｓｏｎｇｓｈａｎ  Lake") == _norm("songshan-lake") == "songshanlake"
    True
    """
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return _SEP.sub("", text)


def _short(text: str) -> str:
    """Short key of a name: no parenthetical parts, no trailing 站/station, normalised."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return _SUFFIX.sub("", _norm(_PAREN.sub(" ", text)))


@dataclass
class _Index:
    """Look-up tables of :meth:`Corridor.resolve` (normalised key → ids)."""

    ids: dict[str, set[str]] = field(default_factory=dict)
    full: dict[str, set[str]] = field(default_factory=dict)
    short: dict[str, set[str]] = field(default_factory=dict)
    keys: list[tuple[str, str]] = field(default_factory=list)
    label: dict[str, str] = field(default_factory=dict)
    name: dict[str, str] = field(default_factory=dict)
    kind: dict[str, str] = field(default_factory=dict)
    unlocated: set[str] = field(default_factory=set)

    def suggest(self, key: str, n: int = 5) -> list[str]:
        """Return the ids of the places most likely meant by an unknown query.

        Names that contain the query come first (closest length first), then names
        contained in the query, then close spellings (difflib ratio >= 0.6).
        """
        if not key:
            return []
        scores: dict[str, float] = {}
        for name_key, pid in self.keys:
            if pid in self.unlocated:
                continue
            if key in name_key:  # the user typed the start or a part of this name
                score = 2.5 - abs(len(name_key) - len(key)) / max(len(name_key), len(key))
            elif len(name_key) >= 2 and name_key in key:  # the name is part of the query
                score = 2.0 - abs(len(name_key) - len(key)) / max(len(name_key), len(key))
            else:
                score = difflib.SequenceMatcher(None, key, name_key).ratio()
                if score < 0.6:
                    continue
            scores[pid] = max(scores.get(pid, 0.0), score)
        for id_key, pids in self.ids.items():
            score = difflib.SequenceMatcher(None, key, id_key).ratio()
            if score >= 0.8:
                for pid in pids:
                    scores[pid] = max(scores.get(pid, 0.0), score)
        return sorted(scores, key=lambda p: (-scores[p], p))[:n]


@dataclass(eq=False, kw_only=True)
class Corridor:
    """The corridor model (see the "Corridor" contract in ``docs/ARCHITECTURE.md``).

    Build it with :func:`load_corridor`.

    Attributes
    ----------
    platforms
        GeoDataFrame (EPSG:4326) of the 10 core platforms, ordered by ``axis_order``.
    nodes
        GeoDataFrame of the plan's innovation nodes that have a point, followed by the
        user's extra nodes (``kind == "user_node"``).
    unlocated_nodes
        DataFrame (no geometry) of the plan's innovation nodes that no source locates
        (``confidence == "unknown"``): listed so that the plan's 37 nodes are all
        accounted for, but left out of ``nodes``, ``places()``, maps, matrices and
        catchments. Give one a point with an extra-nodes file holding its ``id``.
    stations
        GeoDataFrame of the rail stations and expressway interchanges served by the
        links in ``links``.
    districts
        GeoDataFrame of districts (``kind == "district"``) at the representative point a
        district name resolves to (its CBD or government seat, see ``source``), so that
        "天河", "Nanshan" or "福田区" can be used wherever a place is expected.
    links
        GeoDataFrame, one row per link in service, with a LineString through its stops.
    link_stops
        DataFrame of the stops of those links: ``link_id, seq, stop_id, km_post``
        (NaN if unknown), ``opened`` (year a stop was first served when later than its
        link), ``note``.
    metric_crs
        CRS for lengths and areas (``"EPSG:4547"``).
    as_of
        The year the links were filtered for, or ``None`` (all open links).

    Examples
    --------
    >>> corridor = load_corridor()
    >>> corridor.platforms["axis_order"].tolist() == list(range(1, 11))
    True
    """

    platforms: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    links: gpd.GeoDataFrame
    link_stops: pd.DataFrame
    districts: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)
    unlocated_nodes: pd.DataFrame = field(default_factory=pd.DataFrame)
    as_of: int | None = None
    metric_crs: str = settings.METRIC_CRS
    _data: GeoData = field(repr=False)
    _extra: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _enable: frozenset[str] = field(default=frozenset(), repr=False)
    _disable: frozenset[str] = field(default=frozenset(), repr=False)

    # ------------------------------------------------------------------ display
    def _summary(self) -> list[tuple[str, object]]:
        users = int((self.nodes["kind"] == "user_node").sum()) if len(self.nodes) else 0
        return [
            ("platforms", len(self.platforms)),
            ("innovation nodes", len(self.nodes) - users),
            ("nodes without a point", len(self.unlocated_nodes)),
            ("user nodes", users),
            ("stations", int((self.stations["kind"] == "station").sum())),
            ("interchanges", int((self.stations["kind"] == "interchange").sum())),
            ("districts", len(self.districts)),
            ("links", len(self.links)),
            ("as_of", self.as_of),
            ("enabled", sorted(self._enable) or None),
            ("disabled", sorted(self._disable) or None),
        ]

    def __repr__(self) -> str:
        return summary_text("Corridor", self._summary())

    def _repr_html_(self) -> str:
        return summary_html("Corridor", self._summary(),
                            note="tables: platforms, nodes, unlocated_nodes, stations, "
                                 "districts, links, link_stops; places() joins them")

    # ------------------------------------------------------------------ facts
    @property
    def facts(self) -> CorridorFacts:
        """The corridor's facts from its data folder's ``corridor.yaml``.

        Plan axis, axis ends, expressway road names and speeds; see
        :class:`~corridor_geo.data.CorridorFacts`.
        """
        return self._data.facts

    # ------------------------------------------------------------------ boundaries
    @cached_property
    def boundaries(self) -> gpd.GeoDataFrame:
        """City and district polygons (``level`` in {"city", "district"}), WGS84.

        Loaded on first access: the data folder's ``boundaries.geojson`` when it has one,
        else :func:`corridor_geo.boundaries.load_boundaries` (the bundled polygons).
        """
        if self._data.boundaries_file is not None:
            return _read_boundaries_file(self._data.boundaries_file)
        from corridor_geo.boundaries import load_boundaries

        return load_boundaries(level="all")

    @cached_property
    def polygon(self) -> shapely.Geometry:
        """The corridor polygon (WGS84): union of its cities.

        The cities are ``facts.cities`` (default: all city rows of :attr:`boundaries`;
        Guangzhou, Dongguan and Shenzhen for the bundled corridor).
        """
        cities = self.boundaries[self.boundaries["level"] == "city"]
        if self.facts.cities and "code" in cities.columns:
            cities = cities[cities["code"].astype(str).isin(self.facts.cities)]
        return shapely.union_all(shapely.make_valid(cities.geometry.to_numpy()))

    # ------------------------------------------------------------------ links
    @property
    def all_links(self) -> gpd.GeoDataFrame:
        """Every bundled link whatever its status or year (for maps of planned lines)."""
        return _link_frame(self._data.links, self._data.link_stops, self._data.stations)

    def at_year(self, as_of: int | None) -> Corridor:
        """Return the same corridor (data, switched links, extra nodes) as of another year.

        Examples
        --------
        >>> "st_futian" in set(load_corridor().at_year(2014).stations["id"])
        False
        """
        as_of = check_as_of(as_of)
        if as_of == self.as_of:
            return self
        return _assemble(self._data, as_of=as_of, enable=self._enable,
                         disable=self._disable, extra=self._extra)

    def with_links(
        self, *, enable: Iterable[str] = (), disable: Iterable[str] = ()
    ) -> Corridor:
        """Return a copy with links switched on or off (what-if scenarios).

        Parameters
        ----------
        enable
            Link ids to include whatever their status or opening year (e.g. the
            planned ``"gz_sz_2nd_hsr"``); their stations are added to ``stations``.
        disable
            Link ids to leave out (e.g. a closure).

        Returns
        -------
        Corridor
            A new corridor; ``self`` is not changed.

        Raises
        ------
        UnknownIdError
            An id is not a bundled link.

        Examples
        --------
        >>> c = load_corridor().with_links(enable=["gz_sz_2nd_hsr"])
        >>> "st_dongguan_centre" in set(c.stations["id"])
        True
        """
        enable = set(as_list(enable, name="enable", what="link ids"))
        disable = set(as_list(disable, name="disable", what="link ids"))
        odd = [x for x in (*enable, *disable) if not isinstance(x, str)]
        if odd:
            raise ArgumentError(f"link ids must be strings, got {odd[0]!r}")
        _check_link_ids(self._data, enable | disable)
        return _assemble(
            self._data,
            as_of=self.as_of,
            enable=(self._enable - disable) | enable,
            disable=(self._disable - enable) | disable,
            extra=self._extra,
        )

    # ------------------------------------------------------------------ places
    def places(self) -> gpd.GeoDataFrame:
        """Platforms, nodes, stations and districts in one GeoDataFrame.

        Returns
        -------
        geopandas.GeoDataFrame
            Columns ``id, name_en, name_zh, kind, city, district, area_km2,
            area_source, confidence, source, axis_order, geometry`` (EPSG:4326).

        Examples
        --------
        >>> sorted(load_corridor().places()["kind"].unique())
        ['core_platform', 'district', 'innovation_node', 'interchange', 'station']
        """
        cols = [*PLACE_COLUMNS, "axis_order"]
        parts = [df.reindex(columns=[*cols, "geometry"])
                 for df in (self.platforms, self.nodes, self.stations, self.districts)
                 if len(df)]
        out = pd.concat(parts, ignore_index=True)
        out["axis_order"] = out["axis_order"].astype("Int64")
        out["area_km2"] = out["area_km2"].astype("float64")
        return gpd.GeoDataFrame(out, geometry="geometry", crs=settings.WGS84)

    @cached_property
    def _index(self) -> _Index:
        ix = _Index()
        frames = [self.platforms, self.nodes, self.stations, self.districts,
                  self.unlocated_nodes]
        for df in frames:
            if not len(df):
                continue
            aliases = df["aliases"] if "aliases" in df.columns else pd.Series("", index=df.index)
            for pid, en, zh, kind, city, al in zip(df["id"], df["name_en"], df["name_zh"],
                                                   df["kind"], df["city"], aliases, strict=True):
                ix.label[pid] = f"{en}, {_KIND_LABEL.get(kind, kind)}, {city or '?'}"
                ix.name[pid] = str(en)
                ix.kind[pid] = str(kind)
                if df is self.unlocated_nodes:
                    ix.unlocated.add(pid)
                ix.ids.setdefault(_norm(pid), set()).add(pid)
                names = [en, zh, *(str(al).split(";") if isinstance(al, str) else [])]
                for name in names:
                    if not isinstance(name, str) or not name.strip():
                        continue
                    for part in {name, *name.split(" / ")}:
                        key = _norm(part)
                        ix.full.setdefault(key, set()).add(pid)
                        ix.short.setdefault(_short(part), set()).add(pid)
                        ix.keys.append((key, pid))
        return ix

    def resolve(self, query: str, *, districts: bool = True) -> str:
        """Return the id of a platform, node, station or district given its id or a name.

        Tried in order: the id; a full English or Chinese name or alias (districts:
        "天河", "Tianhe", "南山区", "Futian CBD"; Songshan Lake: "Songshanhu",
        "Song Shan Lake"); the short form (without parenthetical parts and a trailing
        "站"/"station"), so "广州南", "深圳北", "Guangzhou South" all work. Case,
        full-width/half-width forms (NFKC), spaces, hyphens and apostrophes are ignored.
        A district resolves to its representative point (``districts``); a bare
        district name wins over a station's short name ("福田" is the district, "福田站"
        the station).

        Parameters
        ----------
        query
            An id or name.
        districts
            ``False`` leaves districts out of the look-up, so that a bare name means the
            station, platform or node as before districts existed (used for observed rail
            times, where "福田" means Futian station, not the district).

        Returns
        -------
        str
            The id.

        Raises
        ------
        UnknownIdError
            No match (the message lists the places whose names contain the query or are
            close to it, with kind and city) or several matches at the same level
            (``ambiguous`` lists them, the message with their names, kinds and cities).
        UnlocatedPlaceError
            The query names one of the plan's nodes that has no known point.

        Examples
        --------
        >>> corridor = load_corridor()
        >>> corridor.resolve("Guangzhou South"), corridor.resolve("松山湖")
        ('st_gz_south', 'core_dg_songshan_lake')
        >>> corridor.resolve("天河"), corridor.resolve("ＮＡＮＳＨＡＮ")
        ('dist_gz_tianhe', 'dist_sz_nanshan')
        """
        if not isinstance(query, str):
            raise ArgumentError(f"expected an id or name (a string), got {describe(query)}")
        ix = self._index
        key = _norm(query)
        levels = ((ix.ids, key), (ix.full, key), (ix.short, _short(query)))
        for table, k in levels:
            found = table.get(k)
            if found and not districts:
                found = {p for p in found if ix.kind.get(p) != "district"}
            if not found:
                continue
            located = found - ix.unlocated
            if len(located) == 1:
                return next(iter(located))
            if located:
                raise UnknownIdError(query, ambiguous=located, labels=ix.label)
            pid = sorted(found)[0]
            raise UnlocatedPlaceError(query, f"{ix.name[pid]} ({pid})")
        err = self._not_open_error(query)
        if err is not None:
            raise err
        raise UnknownIdError(query, suggestions=ix.suggest(key), labels=ix.label)

    def _not_open_error(self, query: str) -> UnknownIdError | None:
        """Return a StationNotOpenError when *query* names a bundled station not served."""
        from corridor_geo._opening import opening_year
        from corridor_geo.errors import StationNotOpenError

        served = set(self.stations["id"])
        key, short = _norm(query), _short(query)
        for row in self._data.stations.itertuples(index=False):
            if row.id in served:
                continue
            names = [row.id, row.name_en, row.name_zh,
                     *(str(row.aliases).split(";") if isinstance(row.aliases, str) else [])]
            parts = [p for n in names if isinstance(n, str) and n.strip()
                     for p in {n, *n.split(" / ")}]
            if key not in {_norm(p) for p in parts} and short not in {_short(p) for p in parts}:
                continue
            year, why = opening_year(self._data, row.id)
            when = f"in {self.as_of}" if self.as_of is not None else "today"
            if year is not None and (self.as_of is None or year > self.as_of):
                why = f"it {why}"
            return StationNotOpenError(query, row.id, f"is not open {when}: {why}", opens=year)
        return None

    def resolve_many(self, queries: Iterable[str]) -> list[str]:
        """Resolve several ids or names (see :meth:`resolve`), keeping their order.

        Examples
        --------
        >>> load_corridor().resolve_many(["深圳北", "core_sz_hitech_zone"])
        ['st_sz_north', 'core_sz_hitech_zone']
        """
        return [self.resolve(q) for q in as_list(queries, name="queries",
                                                  what="ids or names")]


# ---------------------------------------------------------------------- assembly
def _read_boundaries_file(path: Path) -> gpd.GeoDataFrame:
    """City polygons of a data folder (columns ``level, code, name_en``; WGS84)."""
    gdf = gpd.read_file(path)
    for col in ("level", "code", "name_en"):
        if col not in gdf.columns:
            raise DataValidationError(f"missing column {col!r}; expected level, code, name_en",
                                      path=path, field=col)
    if gdf.crs is None:
        raise DataValidationError("no CRS; expected WGS84 polygons", path=path)
    gdf["code"] = gdf["code"].astype(str)
    return gdf.to_crs(settings.WGS84)


def _check_link_ids(data: GeoData, wanted: Iterable[str]) -> None:
    known = list(data.links["id"])
    for lid in sorted(wanted):
        if lid not in set(known):
            raise UnknownIdError(lid, known, what="link")


def _link_frame(links: pd.DataFrame, stops: pd.DataFrame,
                stations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    pts = dict(zip(stations["id"], stations.geometry, strict=True))
    geoms = []
    for lid in links["id"]:
        seq = stops[stops["link_id"] == lid].sort_values("seq")["stop_id"]
        coords = [(pts[s].x, pts[s].y) for s in seq]
        geoms.append(LineString(coords) if len(coords) >= 2 else None)
    return gpd.GeoDataFrame(links.reset_index(drop=True), geometry=geoms, crs=settings.WGS84)


def _assemble(data: GeoData, *, as_of: int | None, enable: Iterable[str] = (),
              disable: Iterable[str] = (), extra: gpd.GeoDataFrame | None = None) -> Corridor:
    enable, disable = frozenset(enable), frozenset(disable)
    links = data.links
    opened = links["opened"]
    in_service = links["status"].eq("open")
    if as_of is not None:
        in_service &= opened.notna() & (opened.fillna(0) <= as_of)
    keep = (in_service | links["id"].isin(enable)) & ~links["id"].isin(disable)
    links = links[keep.to_numpy(dtype=bool)].reset_index(drop=True)

    stops = data.link_stops[data.link_stops["link_id"].isin(set(links["id"]))]
    if "status" in stops.columns:  # built but not open (e.g. Baiyun Airport East)
        stops = stops[stops["status"].ne("not_open").to_numpy(dtype=bool)]
    if as_of is not None:
        later = stops["opened"].notna() & (stops["opened"].fillna(0) > as_of)
        stops = stops[~later.to_numpy(dtype=bool)]
    stops = stops.reset_index(drop=True)
    served = set(stops["stop_id"])
    stations = data.stations[data.stations["id"].isin(served)].reset_index(drop=True)

    places = data.places
    platforms = places[places["kind"] == "core_platform"].sort_values("axis_order")
    nodes = places[places["kind"] == "innovation_node"].drop(columns="axis_order")
    missing = nodes.geometry.isna().to_numpy()
    # a user file may locate a bundled node that has no point (same id)
    supplied = nodes["id"].isin(set(extra["id"]) if extra is not None else set()).to_numpy()
    unlocated = pd.DataFrame(nodes[missing & ~supplied].drop(columns="geometry"))
    unlocated = unlocated.reset_index(drop=True)
    nodes = nodes[~missing]
    if extra is not None and len(extra):
        nodes = pd.concat([nodes, extra], ignore_index=True)
    nodes = gpd.GeoDataFrame(nodes.reset_index(drop=True), geometry="geometry",
                             crs=settings.WGS84)
    districts = data.districts if data.districts is not None else gpd.GeoDataFrame(
        columns=[*PLACE_COLUMNS, "geometry"], geometry="geometry", crs=settings.WGS84)
    return Corridor(
        platforms=platforms.reset_index(drop=True),
        districts=districts.reset_index(drop=True),
        nodes=nodes,
        unlocated_nodes=unlocated,
        stations=stations,
        links=_link_frame(links, stops, stations),
        link_stops=stops,
        as_of=as_of,
        _data=data,
        _extra=extra,
        _enable=enable,
        _disable=disable,
    )


def _read_extras(extra_nodes: PathLike | Sequence[PathLike], data: GeoData, *,
                 polygon: shapely.Geometry | None = None) -> gpd.GeoDataFrame:
    """Read the extra node files: new ids only, and (with *polygon*) near the corridor.

    A point farther than ``_args.MAX_DISTANCE_KM`` from *polygon* is refused, as matrices
    and catchments refuse such a ``(lon, lat)`` (a sign change or swapped columns would
    otherwise give a node on another continent).
    """
    from corridor_geo._args import check_point

    paths = [extra_nodes] if isinstance(extra_nodes, str | os.PathLike) else list(extra_nodes)
    unlocated = set(data.places.loc[data.places.geometry.isna().to_numpy(), "id"])
    taken = dict.fromkeys(set(data.places["id"]) - unlocated, "the bundled geodata")
    taken.update(dict.fromkeys(data.stations["id"], "the bundled geodata"))
    if data.districts is not None:
        taken.update(dict.fromkeys(data.districts["id"], "the bundled geodata"))
    frames = []
    for p in paths:
        gdf = read_extra_nodes(p)
        for row, pid in enumerate(gdf["id"], 1):
            if pid in taken:
                raise DataValidationError(
                    f"id {pid!r} is already used in {taken[pid]}; expected a new id",
                    path=Path(p), row=row, field="id",
                )
        taken.update({pid: str(p) for pid in gdf["id"]})
        if polygon is not None:
            for row, (pid, g) in enumerate(zip(gdf["id"], gdf.geometry, strict=True), 1):
                try:
                    check_point(g.x, g.y, polygon=polygon, what=f"node {pid!r}")
                except ArgumentError as exc:
                    raise DataValidationError(str(exc), path=Path(p), row=row,
                                              field="geometry") from None
        frames.append(gdf)
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=settings.WGS84)


def load_corridor(
    *,
    as_of: int | None = None,
    extra_nodes: PathLike | Sequence[PathLike] | None = None,
    include_planned: bool | Sequence[str] = False,
    geodata_dir: PathLike | None = None,
) -> Corridor:
    """Load the corridor model from the bundled data.

    Parameters
    ----------
    as_of
        Keep the links with ``status == "open"`` and ``opened <= as_of`` (and drop
        stops first served after ``as_of``, e.g. Futian and West Kowloon on the XRL
        before 2015/2018). ``None``: every open link.
    extra_nodes
        One or more user files of extra nodes (GeoJSON, GeoPackage, or CSV with
        ``lon``/``lat``), see :func:`corridor_geo.data.read_extra_nodes`. They are
        appended to ``nodes`` with ``kind = "user_node"``; their ids must be new.
    include_planned
        ``True`` adds every link under construction or planned; a list of link ids
        adds those links (whatever their status or year). Same as
        :meth:`Corridor.with_links` ``(enable=...)``.
    geodata_dir
        Read the tables from another folder (tests, alternative data sets). Networks
        built on the corridor run that folder's rail tables too (``services.csv``,
        ``rail_track_km.csv``, ``rail_speed_limits.csv``, ``rail_margins.csv``; none when
        it has none).

    Returns
    -------
    Corridor

    Raises
    ------
    DataValidationError
        A bundled or user file is malformed (file, row and field named).
    UnknownIdError
        An id in ``include_planned`` is not a link.

    Examples
    --------
    >>> c = load_corridor(as_of=2030, include_planned=["gz_sz_2nd_hsr"])
    >>> "gz_sz_2nd_hsr" in set(c.links["id"])
    True
    """
    if geodata_dir is not None:
        check_path(geodata_dir, name="geodata_dir")
    data = read_geodata(geodata_dir=geodata_dir)
    as_of = check_as_of(as_of)
    if extra_nodes is not None and not isinstance(extra_nodes, str | os.PathLike):
        extra_nodes = as_list(extra_nodes, name="extra_nodes", what="file paths")
        bad = [p for p in extra_nodes if not isinstance(p, str | os.PathLike)]
        if bad:
            raise ArgumentError(f"extra_nodes: expected file paths, got {bad[0]!r}")
    if include_planned is True:
        enable = set(data.links.loc[data.links["status"] != "open", "id"])
    elif include_planned is False:
        enable = set()
    else:
        enable = set(as_list(include_planned, name="include_planned", what="link ids"))
        if not all(isinstance(i, str) for i in enable):
            raise ArgumentError("include_planned must be True, False or a list of link ids, "
                                f"got {include_planned!r}")
        _check_link_ids(data, enable)
    if not extra_nodes:
        return _assemble(data, as_of=as_of, enable=enable, extra=None)
    polygon = _assemble(data, as_of=as_of, enable=enable, extra=None).polygon
    extra = _read_extras(extra_nodes, data, polygon=polygon)
    return _assemble(data, as_of=as_of, enable=enable, extra=extra)
