"""The bundled rail tables: service patterns, track distances, published lengths, speed limits.

Read from the geodata folder (``services.csv``, ``rail_track_km.csv``,
``line_lengths.csv``, ``rail_speed_limits.csv``, ``rail_margins.csv``; columns in
``geodata/README.md``),
validated row by row (a bad row fails with the file, row and field named) and cached.
A missing file means "no such data" (an empty table), so a user geodata folder made
for an older version still loads.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from corridor_geo.errors import DataValidationError

__all__ = ["LengthCheck", "RailTables", "ServicePattern", "check_line_lengths",
           "check_references", "load_rail_tables"]

SERVICES_FILE = "services.csv"
TRACK_FILE = "rail_track_km.csv"
LENGTHS_FILE = "line_lengths.csv"
LIMITS_FILE = "rail_speed_limits.csv"
MARGINS_FILE = "rail_margins.csv"
_FILES = (SERVICES_FILE, TRACK_FILE, LENGTHS_FILE, LIMITS_FILE, MARGINS_FILE)
_KINDS = ("all_stops", "express", "nonstop", "through")
_CONF = ("high", "medium", "low")
#: Values of ``services.csv``'s optional ``direction`` column.
DIRECTIONS = ("both", "forward")
LENGTH_TOLERANCE = 0.05


@dataclass(frozen=True)
class ServicePattern:
    """One row of ``services.csv``: a stopping pattern on one link or through several."""

    id: str
    link_ids: tuple[str, ...]
    name: str
    kind: str
    stops: tuple[str, ...] | None  # None = every served stop of the (single) link
    first_year: int | None
    last_year: int | None
    headway_min: float
    dwell_min: float | None
    source: str
    confidence: str
    direction: Literal["both", "forward"] = "both"  # "forward": only in the order of stops

    def runs_in(self, year: int | None) -> bool:
        """Return True when the pattern runs in *year* (None: today, i.e. no last year)."""
        return _in_years(year, self.first_year, self.last_year)


_YearCap = tuple[int | None, int | None, float]  # (first_year, last_year, km/h)


@dataclass(frozen=True)
class RailTables:
    """All bundled rail tables (empty when a file is absent)."""

    services: tuple[ServicePattern, ...] = ()
    track_km: dict[tuple[str, str, str], float] = field(default_factory=dict)
    track_method: dict[tuple[str, str, str], str] = field(default_factory=dict)
    lengths: tuple[dict[str, Any], ...] = ()
    speed_limits: dict[tuple[str, str, str], float] = field(default_factory=dict)
    #: (link, from, to) -> [(first_year, last_year, km/h)]; ``"*"`` stops = the whole link
    speed_limit_years: dict[tuple[str, str, str], tuple[_YearCap, ...]] = field(
        default_factory=dict)
    #: link id -> timetable allowance of that line (``rail_margins.csv``), overriding the
    #: mode's ``running_margin``
    margins: dict[str, float] = field(default_factory=dict)
    #: (file, row, link_id, from_stop, to_stop) of every gap row of ``rail_track_km.csv``
    #: and ``rail_speed_limits.csv``, for :func:`check_references`
    gap_rows: tuple[tuple[str, int, str, str, str], ...] = ()
    #: the folder the tables were read from (messages)
    folder: str = ""

    def track(self, link_id: str, a: str, b: str) -> float | None:
        """Measured track km between consecutive stops *a*, *b* (either order), if usable."""
        for key in ((link_id, a, b), (link_id, b, a)):
            if key in self.track_km and self.track_method.get(key) == "osm_rail_graph":
                return self.track_km[key]
        return None

    def limit(self, link_id: str, a: str, b: str, *, year: int | None = None) -> float | None:
        """Speed limit (km/h) on the gap between consecutive stops *a* and *b* in *year*.

        Rows with ``from_stop = to_stop = "*"`` cap the whole link; rows with years apply
        only in ``first_year ≤ year ≤ last_year`` (without a year: the rows without a
        last year, i.e. today's limits). The lowest applicable cap wins.
        """
        caps = []
        for key in ((link_id, a, b), (link_id, b, a), (link_id, "*", "*")):
            for first, last, kmh in self.speed_limit_years.get(key, ()):
                if _in_years(year, first, last):
                    caps.append(kmh)
        if not caps:
            v = self.speed_limits.get((link_id, a, b)) or self.speed_limits.get((link_id, b, a))
            return v
        return min(caps)

    def patterns_for(self, link_id: str) -> list[ServicePattern]:
        """Patterns whose first link is *link_id*."""
        return [p for p in self.services if p.link_ids[0] == link_id]


def _in_years(year: int | None, first: int | None, last: int | None) -> bool:
    if year is None:
        return last is None
    return (first is None or first <= year) and (last is None or year <= last)


#: Columns each rail table must have (further columns, e.g. notes, are kept and ignored).
_REQUIRED = {
    SERVICES_FILE: ("id", "link_ids", "kind", "stops", "headway_min", "confidence"),
    TRACK_FILE: ("link_id", "from_stop", "to_stop", "track_km"),
    LENGTHS_FILE: ("link_id", "from_stop", "to_stop", "length_km"),
    LIMITS_FILE: ("link_id", "from_stop", "to_stop", "max_kmh"),
    MARGINS_FILE: ("link_id", "running_margin", "confidence"),
}


def _read(path: Path) -> list[dict[str, str]]:
    """Rows of one rail table (none when the file is absent), through the one CSV reader.

    :func:`corridor_geo._csvio.read_csv_records` checks the encoding, the header (the
    columns of :data:`_REQUIRED`) and that every row has as many fields as the header,
    so a stray comma names the file and line instead of failing later.
    """
    if not path.exists():
        return []
    from corridor_geo._csvio import read_csv_records

    table = read_csv_records(path, required=_REQUIRED[path.name], strict=False,
                             what=f"rail table ({path.name})")
    return [{k: v.strip() for k, v in r.items()} for r in table.records]


def _num(path: Path, row: int, rec: dict[str, str], name: str, *, optional: bool = False,
         positive: bool = True) -> float | None:
    text = rec.get(name, "")
    if not text:
        if optional:
            return None
        raise DataValidationError("empty; expected a number", path=path, row=row, field=name)
    try:
        val = float(text)
    except ValueError:
        raise DataValidationError(f"expected a number, got {text!r}", path=path, row=row,
                                  field=name) from None
    if not math.isfinite(val) or (positive and val <= 0) or val < 0:
        raise DataValidationError(f"expected a {'positive' if positive else 'non-negative'} "
                                  f"number, got {text!r}", path=path, row=row, field=name)
    return val


def _year(path: Path, row: int, rec: dict[str, str], name: str) -> int | None:
    text = rec.get(name, "")
    if not text:
        return None
    if not text.isdigit() or not 1800 <= int(text) <= 2100:
        raise DataValidationError(f"expected a year 1800-2100, got {text!r}", path=path,
                                  row=row, field=name)
    return int(text)


def _choice(path: Path, row: int, rec: dict[str, str], name: str,
            allowed: tuple[str, ...]) -> str:
    val = rec.get(name, "")
    if val not in allowed:
        raise DataValidationError(f"got {val!r}; expected one of {', '.join(allowed)}",
                                  path=path, row=row, field=name)
    return val


def _direction(path: Path, row: int, rec: dict[str, str]) -> Literal["both", "forward"]:
    """Read the optional ``direction`` column: ``both`` (default when empty) or ``forward``.

    ``forward`` means the trains of the pattern run only in the order its ``stops`` are
    listed (one-way patterns such as fast trains run westbound only); a ``*`` pattern
    then runs in the order of the link's stop list.
    """
    if not rec.get("direction"):
        return "both"
    return cast(Literal["both", "forward"], _choice(path, row, rec, "direction", DIRECTIONS))


@functools.lru_cache(maxsize=4)
def _load(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> RailTables:
    del stamp  # part of the cache key only
    base = Path(folder)
    p = base / SERVICES_FILE
    services = []
    seen: set[str] = set()
    for n, r in enumerate(_read(p), 1):
        if not r.get("id") or r["id"] in seen:
            raise DataValidationError(f"missing or duplicate id {r.get('id')!r}", path=p,
                                      row=n, field="id")
        seen.add(r["id"])
        links = tuple(x for x in r.get("link_ids", "").split(";") if x)
        if not links:
            raise DataValidationError("empty; expected link ids separated by ';'", path=p,
                                      row=n, field="link_ids")
        stops = None if r.get("stops") == "*" else tuple(
            x for x in r.get("stops", "").split(";") if x)
        if stops is not None and len(stops) < 2:
            raise DataValidationError("expected '*' or at least two station ids", path=p,
                                      row=n, field="stops")
        if stops is None and len(links) > 1:
            raise DataValidationError("a through service must list its stops", path=p,
                                      row=n, field="stops")
        first, last = _year(p, n, r, "first_year"), _year(p, n, r, "last_year")
        if first is not None and last is not None and last < first:
            raise DataValidationError(f"last_year {last} before first_year {first}", path=p,
                                      row=n, field="last_year")
        services.append(ServicePattern(
            id=r["id"], link_ids=links, name=r.get("name_en") or r["id"],
            kind=_choice(p, n, r, "kind", _KINDS), stops=stops, first_year=first,
            last_year=last, headway_min=float(_num(p, n, r, "headway_min") or 0.0),
            dwell_min=_num(p, n, r, "dwell_min", optional=True, positive=False),
            source=r.get("source", ""), confidence=_choice(p, n, r, "confidence", _CONF),
            direction=_direction(p, n, r)))
    p = base / TRACK_FILE
    track, method = {}, {}
    gap_rows: list[tuple[str, int, str, str, str]] = []
    for n, r in enumerate(_read(p), 1):
        key = (r["link_id"], r["from_stop"], r["to_stop"])
        gap_rows.append((TRACK_FILE, n, *key))
        km = _num(p, n, r, "track_km", optional=True, positive=False)
        if km is not None:
            track[key] = km
            method[key] = r.get("method", "")
    p = base / LENGTHS_FILE
    lengths = []
    for n, r in enumerate(_read(p), 1):
        lengths.append({**r, "length_km": _num(p, n, r, "length_km"), "row": n})
    p = base / LIMITS_FILE
    limits: dict[tuple[str, str, str], float] = {}
    by_year: dict[tuple[str, str, str], list[tuple[int | None, int | None, float]]] = {}
    for n, r in enumerate(_read(p), 1):
        key = (r["link_id"], r["from_stop"], r["to_stop"])
        gap_rows.append((LIMITS_FILE, n, *key))
        if ("*" in key[1:]) and key[1] != key[2]:
            raise DataValidationError("a whole-link limit has from_stop = to_stop = '*'",
                                      path=p, row=n, field="to_stop")
        first, last = _year(p, n, r, "first_year"), _year(p, n, r, "last_year")
        if first is not None and last is not None and last < first:
            raise DataValidationError(f"last_year {last} before first_year {first}", path=p,
                                      row=n, field="last_year")
        by_year.setdefault(key, []).append((first, last, float(_num(p, n, r, "max_kmh") or 0.0)))
    return RailTables(tuple(services), track, method, tuple(lengths), limits,
                      {k: tuple(v) for k, v in by_year.items()}, _margins(base / MARGINS_FILE),
                      tuple(gap_rows), str(base))


def check_references(tables: RailTables, link_stops: Any) -> None:
    """Check that the rail tables name links and stops of *link_stops* as they are used.

    A row naming an unknown link, a stop not on its link(s), or two stops that are not
    consecutive on their link would never apply (its pattern stop, track distance or
    speed limit silently left out of every run), so it is an error naming the file, row
    and field. Rows keyed ``a+b`` (the connection of a through service) name a stop of
    the links on each side; ``*`` rows cover a whole link.

    Parameters
    ----------
    tables
        The rail tables (:func:`load_rail_tables`).
    link_stops
        The corridor's ``link_stops`` table (``link_id, seq, stop_id``).

    Examples
    --------
    >>> from corridor_geo.data import read_geodata
    >>> check_references(load_rail_tables(), read_geodata().link_stops)
    """
    order = {str(lid): [str(x) for x in g.sort_values("seq")["stop_id"]]
             for lid, g in link_stops.groupby("link_id")}
    base = Path(tables.folder) if tables.folder else Path()

    def fail(file: str, row: int, fld: str, msg: str) -> None:
        raise DataValidationError(msg, path=base / file, row=row, field=fld)

    for n, p in enumerate(tables.services, 1):
        for lid in p.link_ids:
            if lid not in order:
                fail(SERVICES_FILE, n, "link_ids", f"unknown link {lid!r} in pattern {p.id!r}; "
                     "expected a link id of links.csv")
        on = {s for lid in p.link_ids for s in order[lid]}
        for stop in p.stops or ():
            if stop not in on:
                fail(SERVICES_FILE, n, "stops", f"pattern {p.id!r}: {stop!r} is not a stop of "
                     f"{' or '.join(p.link_ids)}; expected stops of link_stops.csv")
    for file, n, lid, a, b in tables.gap_rows:
        parts = lid.split("+")
        unknown = [x for x in parts if x not in order]
        if unknown:
            fail(file, n, "link_id", f"unknown link {unknown[0]!r}; expected a link id of "
                 "links.csv (or links joined by '+' for a through connection)")
        if a == "*" and b == "*" and len(parts) == 1:
            continue
        if len(parts) > 1:
            on = set().union(*(order[x] for x in parts))
            if a == "*" or not {a, b} <= on:
                fail(file, n, "from_stop", f"{a!r} - {b!r} are not stops of the links of "
                     f"{lid!r}; expected a stop on each side of the connection")
            continue
        stops = order[lid]
        for fld, stop in (("from_stop", a), ("to_stop", b)):
            if stop not in stops:
                fail(file, n, fld, f"{stop!r} is not a stop of {lid}; expected a stop of "
                     "link_stops.csv")
        if abs(stops.index(a) - stops.index(b)) != 1:
            fail(file, n, "to_stop", f"{a!r} and {b!r} are not consecutive stops of {lid}; "
                 "expected the two ends of one gap (the row would never apply)")


def _margins(p: Path) -> dict[str, float]:
    """Read ``rail_margins.csv``: link id -> timetable allowance (a fraction 0-1)."""
    margins: dict[str, float] = {}
    for n, r in enumerate(_read(p), 1):
        if not r["link_id"] or r["link_id"] in margins:
            raise DataValidationError(f"missing or duplicate link id {r['link_id']!r}",
                                      path=p, row=n, field="link_id")
        m = float(_num(p, n, r, "running_margin", positive=False) or 0.0)
        if m > 1.0:
            raise DataValidationError(f"expected a fraction 0-1, got {r['running_margin']!r}",
                                      path=p, row=n, field="running_margin")
        _choice(p, n, r, "confidence", _CONF)
        margins[r["link_id"]] = m
    return margins


def load_rail_tables(folder: str | Path | None = None) -> RailTables:
    """Load (cached) the rail tables of *folder* (default: the bundled geodata).

    Examples
    --------
    >>> t = load_rail_tables()
    >>> any(p.kind == "through" for p in t.services)
    True
    """
    from corridor_geo import settings

    base = Path(folder) if folder is not None else settings.geodata_dir()
    stamp = tuple((f, int(s.st_mtime_ns), int(s.st_size)) for f in _FILES
                  if (s := (base / f).stat() if (base / f).exists() else None) is not None)
    return _load(str(base), stamp)


@dataclass(frozen=True)
class LengthCheck:
    """Published length of a line section vs the sum of its measured stop-to-stop gaps."""

    link_id: str
    from_stop: str
    to_stop: str
    published_km: float
    measured_km: float
    n_gaps: int
    n_measured: int
    deviation_pct: float
    reason: str

    @property
    def ok(self) -> bool:
        """Within the tolerance, or a reason is recorded, or not all gaps measured."""
        return (self.n_measured < self.n_gaps or abs(self.deviation_pct) <= 100 * LENGTH_TOLERANCE
                or bool(self.reason))


def check_line_lengths(link_stops: Any, tables: RailTables | None = None) -> list[LengthCheck]:
    """Compare each ``line_lengths.csv`` row with the sum of the track distances of its gaps.

    Gaps with km posts use them; others the OSM-measured ``rail_track_km.csv`` figure.
    Rows where not every gap is measured are reported (``n_measured < n_gaps``) but
    cannot fail; rows off by more than 5 % fail unless ``deviation_reason`` is filled.

    Examples
    --------
    >>> from corridor_geo.data import read_geodata
    >>> bad = [c for c in check_line_lengths(read_geodata().link_stops) if not c.ok]
    >>> bad
    []
    """
    tables = tables or load_rail_tables()
    out = []
    for r in tables.lengths:
        ls = link_stops[link_stops["link_id"] == r["link_id"]].sort_values("seq")
        ids = list(ls["stop_id"])
        kms = dict(zip(ls["stop_id"], ls["km_post"], strict=True))
        if r["from_stop"] not in ids or r["to_stop"] not in ids:
            raise DataValidationError(
                f"{r['from_stop']} or {r['to_stop']} is not a stop of {r['link_id']}",
                path=LENGTHS_FILE, row=r["row"], field="from_stop")
        i, j = sorted((ids.index(r["from_stop"]), ids.index(r["to_stop"])))
        total, measured = 0.0, 0
        for a, b in zip(ids[i:j], ids[i + 1:j + 1], strict=True):
            ka, kb = kms.get(a), kms.get(b)
            if ka is not None and kb is not None and not (math.isnan(ka) or math.isnan(kb)):
                total += abs(kb - ka)
                measured += 1
                continue
            km = tables.track(r["link_id"], a, b)
            if km is not None:
                total += km
                measured += 1
        pub = float(r["length_km"])
        out.append(LengthCheck(r["link_id"], r["from_stop"], r["to_stop"], pub, total, j - i,
                               measured, 100.0 * (total - pub) / pub,
                               r.get("deviation_reason", "")))
    return out
