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

from corridor_geo import settings
from corridor_geo.data import PLACE_COLUMNS, GeoData, read_extra_nodes, read_geodata
from corridor_geo.errors import DataValidationError, UnknownIdError

__all__ = ["Corridor", "load_corridor"]

PathLike = str | os.PathLike[str]

_PAREN = re.compile(r"\s*\([^)]*\)\s*")
_SPACE = re.compile(r"[\s\-‐‑–—_]+")
_SUFFIX = re.compile(r"(\s*(railway station|train station|station|stn)|站)$")


def _norm(text: str) -> str:
    """Normalise a name for look-up: NFKC (full-width → ASCII), case-folded, one space."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return _SPACE.sub(" ", text).strip()


def _short(text: str) -> str:
    """Short form of a normalised name: no parenthetical parts, no trailing 站/station."""
    text = _PAREN.sub(" ", text).strip()
    return _SPACE.sub(" ", _SUFFIX.sub("", text)).strip()


@dataclass(eq=False, kw_only=True)
class Corridor:
    """The corridor model (see the "Corridor" contract in ``docs/ARCHITECTURE.md``).

    Build it with :func:`load_corridor`.

    Attributes
    ----------
    platforms
        GeoDataFrame (EPSG:4326) of the 10 core platforms, ordered by ``axis_order``.
    nodes
        GeoDataFrame of the named innovation nodes followed by the user's extra nodes
        (``kind == "user_node"``).
    stations
        GeoDataFrame of the rail stations and expressway interchanges served by the
        links in ``links``.
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
    as_of: int | None = None
    metric_crs: str = settings.METRIC_CRS
    _data: GeoData = field(repr=False)
    _extra: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _enable: frozenset[str] = field(default=frozenset(), repr=False)
    _disable: frozenset[str] = field(default=frozenset(), repr=False)

    # ------------------------------------------------------------------ boundaries
    @cached_property
    def boundaries(self) -> gpd.GeoDataFrame:
        """City and district polygons (``level`` in {"city", "district"}), WGS84.

        Loaded on first access from :func:`corridor_geo.boundaries.load_boundaries`.
        """
        from corridor_geo.boundaries import load_boundaries

        return load_boundaries(level="all")

    @cached_property
    def polygon(self) -> shapely.Geometry:
        """The corridor polygon (WGS84): union of the Guangzhou, Dongguan and Shenzhen polygons."""
        cities = self.boundaries[self.boundaries["level"] == "city"]
        return shapely.union_all(shapely.make_valid(cities.geometry.to_numpy()))

    # ------------------------------------------------------------------ links
    @property
    def all_links(self) -> gpd.GeoDataFrame:
        """Every bundled link whatever its status or year (for maps of planned lines)."""
        return _link_frame(self._data.links, self._data.link_stops, self._data.stations)

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
        enable, disable = set(enable), set(disable)
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
        """Platforms, nodes and stations in one GeoDataFrame.

        Returns
        -------
        geopandas.GeoDataFrame
            Columns ``id, name_en, name_zh, kind, city, district, area_km2,
            area_source, confidence, source, axis_order, geometry`` (EPSG:4326).

        Examples
        --------
        >>> sorted(load_corridor().places()["kind"].unique())
        ['core_platform', 'innovation_node', 'interchange', 'station']
        """
        cols = [*PLACE_COLUMNS, "axis_order"]
        parts = [df.reindex(columns=[*cols, "geometry"])
                 for df in (self.platforms, self.nodes, self.stations)]
        out = pd.concat(parts, ignore_index=True)
        out["axis_order"] = out["axis_order"].astype("Int64")
        out["area_km2"] = out["area_km2"].astype("float64")
        return gpd.GeoDataFrame(out, geometry="geometry", crs=settings.WGS84)

    @cached_property
    def _index(self) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]],
                              list[str]]:
        ids: dict[str, set[str]] = {}
        full: dict[str, set[str]] = {}
        short: dict[str, set[str]] = {}
        candidates: list[str] = []
        for df in (self.platforms, self.nodes, self.stations):
            aliases = df["aliases"] if "aliases" in df.columns else pd.Series("", index=df.index)
            for pid, en, zh, al in zip(df["id"], df["name_en"], df["name_zh"], aliases,
                                       strict=True):
                ids.setdefault(_norm(pid), set()).add(pid)
                names = [en, zh, *(str(al).split(";") if isinstance(al, str) else [])]
                for name in names:
                    if not isinstance(name, str) or not name.strip():
                        continue
                    candidates.append(name.strip())
                    for part in {name, *name.split(" / ")}:
                        key = _norm(part)
                        full.setdefault(key, set()).add(pid)
                        short.setdefault(_short(key), set()).add(pid)
                candidates.append(pid)
        return ids, full, short, candidates

    def resolve(self, query: str) -> str:
        """Return the id of a platform, node or station given its id or a name.

        Tried in order: the id (case-insensitive); a full English or Chinese name or
        alias; the short form (without parenthetical parts and a trailing
        "站"/"station"), so "广州南", "深圳北", "Guangzhou South" all work.
        Case and full-width/half-width forms are ignored.

        Parameters
        ----------
        query
            An id or name.

        Returns
        -------
        str
            The id.

        Raises
        ------
        UnknownIdError
            No match (the message lists close matches) or several matches at the same
            level (``ambiguous`` lists them).

        Examples
        --------
        >>> corridor = load_corridor()
        >>> corridor.resolve("Guangzhou South"), corridor.resolve("松山湖")
        ('st_gz_south', 'core_dg_songshan_lake')
        """
        ids, full, short, candidates = self._index
        key = _norm(query)
        for table, k in ((ids, key), (full, key), (short, _short(key))):
            found = table.get(k)
            if found and len(found) == 1:
                return next(iter(found))
            if found:
                raise UnknownIdError(query, candidates, ambiguous=found)
        raise UnknownIdError(query, candidates)

    def resolve_many(self, queries: Iterable[str]) -> list[str]:
        """Resolve several ids or names (see :meth:`resolve`), keeping their order.

        Examples
        --------
        >>> load_corridor().resolve_many(["深圳北", "core_sz_hitech_zone"])
        ['st_sz_north', 'core_sz_hitech_zone']
        """
        return [self.resolve(q) for q in queries]


# ---------------------------------------------------------------------- assembly
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
    if as_of is not None:
        later = stops["opened"].notna() & (stops["opened"].fillna(0) > as_of)
        stops = stops[~later.to_numpy(dtype=bool)]
    stops = stops.reset_index(drop=True)
    served = set(stops["stop_id"])
    stations = data.stations[data.stations["id"].isin(served)].reset_index(drop=True)

    places = data.places
    platforms = places[places["kind"] == "core_platform"].sort_values("axis_order")
    nodes = places[places["kind"] == "innovation_node"].drop(columns="axis_order")
    if extra is not None and len(extra):
        nodes = pd.concat([nodes, extra], ignore_index=True)
    nodes = gpd.GeoDataFrame(nodes.reset_index(drop=True), geometry="geometry",
                             crs=settings.WGS84)
    return Corridor(
        platforms=platforms.reset_index(drop=True),
        nodes=nodes,
        stations=stations,
        links=_link_frame(links, stops, stations),
        link_stops=stops,
        as_of=as_of,
        _data=data,
        _extra=extra,
        _enable=enable,
        _disable=disable,
    )


def _read_extras(extra_nodes: PathLike | Sequence[PathLike], data: GeoData) -> gpd.GeoDataFrame:
    paths = [extra_nodes] if isinstance(extra_nodes, str | os.PathLike) else list(extra_nodes)
    taken = dict.fromkeys(data.places["id"], "the bundled geodata")
    taken.update(dict.fromkeys(data.stations["id"], "the bundled geodata"))
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
        Read the tables from another folder (tests, alternative data sets).

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
    data = read_geodata(geodata_dir=geodata_dir)
    if include_planned is True:
        enable = set(data.links.loc[data.links["status"] != "open", "id"])
    elif include_planned is False:
        enable = set()
    else:
        enable = set(include_planned)
        _check_link_ids(data, enable)
    extra = _read_extras(extra_nodes, data) if extra_nodes else None
    return _assemble(data, as_of=as_of, enable=enable, extra=extra)
