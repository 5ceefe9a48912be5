"""GTFS in and out for the rail model.

* :func:`export_gtfs` writes modelled :class:`~corridor_geo.rail.RailService` objects
  as a GTFS feed (a ``.zip`` or a folder): one route per service pattern, one trip per
  direction it runs, repeated by ``frequencies.txt`` at the pattern's headway over the
  service day (rare services as explicit departures), with shapes (the stations in
  order) and ``shape_dist_traveled`` (track km), so that gtfs-kit assesses it as a
  "good feed" and r5py / OpenTripPlanner can load it.
* :func:`read_gtfs` reads a user's feed (with ``gtfs-kit``) into rail services: one per
  route and stop sequence (both directions merged; one-way when every trip runs one
  way), in-vehicle minutes between stops from the timetable, the dwell from the stop
  times, the headway from ``frequencies.txt`` or from the trips' departures in each
  direction (never zero: see :func:`_headway_min`). Stops are matched to the corridor's
  stations by id, name or position (within ``max_match_m``). A cell gtfs-kit cannot read
  is one error naming the file inside the feed, its row, field and id.
* :func:`apply_timetable` replaces the modelled services of every link a feed covers
  with the feed's services.

Examples
--------
>>> from corridor_geo.gtfs import export_gtfs, read_gtfs  # doctest: +SKIP
>>> export_gtfs(mm.services, "model_gtfs.zip", stations=mm.stations)  # doctest: +SKIP
>>> services = read_gtfs("model_gtfs.zip", corridor=corridor)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import csv
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd
from pyproj import Geod

from corridor_geo.errors import DataValidationError, UnknownIdError
from corridor_geo.rail import RailService

__all__ = ["apply_timetable", "export_gtfs", "read_gtfs"]

_GEOD = Geod(ellps="WGS84")
_ROUTE_TYPE = {"high_speed_rail": 2, "intercity_rail": 2, "conventional_rail": 2}
_MODE_OF_TYPE = {2: "intercity_rail", 100: "conventional_rail", 101: "high_speed_rail",
                 102: "conventional_rail", 103: "intercity_rail", 106: "intercity_rail",
                 109: "intercity_rail"}


#: The most a zipped feed may unzip to (bytes): a whole-country operator feed is a few
#: hundred MB; more is refused before gtfs-kit reads it.
MAX_UNZIPPED_BYTES = 2 << 30

#: Columns read_gtfs needs in each file (times are checked per trip: either may be empty).
_REQUIRED_COLUMNS = {
    "stops": ("stop_id", "stop_lat", "stop_lon"),
    "routes": ("route_id",),
    "trips": ("route_id", "trip_id"),
    "stop_times": ("trip_id", "stop_id", "stop_sequence"),
    "frequencies": ("trip_id", "headway_secs"),
}

#: The agency id of every feed export_gtfs writes (how it recognises its own zips).
_AGENCY_ID = "corridor_geo"

#: The longest ``headway_secs`` gtfs-kit reads (it types the column as a 16-bit integer).
_MAX_HEADWAY_S = 32767

#: The shortest ``headway_secs`` read: one train a minute (the tightest metro headways
#: are about 90 s; a few seconds would make every wait vanish).
_MIN_HEADWAY_S = 60

#: The headway (min) of a route whose trips leave at fewer than two distinct times in
#: each direction (one train, or one each way): that of a single departure.
_SINGLE_DEPARTURE_HEADWAY_MIN = 60.0

#: What a field must hold, for messages (other fields: gtfs-kit's type, or an id).
_EXPECTED = {
    "stop_lat": "a latitude from -90 to 90",
    "stop_lon": "a longitude from -180 to 180",
    "stop_sequence": f"a whole number from 0 to {(1 << 31) - 1} (the stop's order in its "
                     "trip)",
    "headway_secs": f"a whole number of seconds from {_MIN_HEADWAY_S} to {_MAX_HEADWAY_S} "
                    "(one train a minute at most; gtfs-kit reads "
                    "headway_secs as a 16-bit integer; give a rarer service as its trips)",
}

#: Coordinate columns of stops.txt and their largest absolute value.
_COORD_LIMITS = {"stop_lat": 90.0, "stop_lon": 180.0}

#: The id that names a row of each GTFS file in messages (what it is, its column).
_ROW_ID = {"stops": ("stop", "stop_id"), "routes": ("route", "route_id"),
           "trips": ("trip", "trip_id"), "stop_times": ("trip", "trip_id"),
           "frequencies": ("trip", "trip_id"), "shapes": ("shape", "shape_id"),
           "calendar": ("service", "service_id"), "calendar_dates": ("service", "service_id"),
           "transfers": ("stop", "from_stop_id"), "agency": ("agency", "agency_id")}

#: The integer types gtfs-kit reads columns as, and their ranges.
_INT_RANGES = {"Int16": (-(1 << 15), (1 << 15) - 1), "Int32": (-(1 << 31), (1 << 31) - 1)}

#: Cells gtfs-kit reads as missing (its ``na_values`` and pandas' defaults).
_NA_VALUES = ["", " ", "nan", "NaN", "null"]

#: A decimal number as pandas reads it (ASCII digits, optional sign, point and exponent).
_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*", re.ASCII)
_INFINITY = re.compile(r"\s*[+-]?inf(?:inity)?\s*", re.IGNORECASE)


def _hms(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _seconds(text: Any) -> float:
    """Seconds after midnight of a GTFS time ``H:MM:SS`` (NaN when empty).

    Raises ``ValueError`` for anything else (the caller names the file and value).
    """
    if not isinstance(text, str) or not text.strip():
        return math.nan
    parts = text.strip().split(":")
    if len(parts) != 3 or not all(x.isdigit() for x in parts) or int(parts[1]) > 59 \
            or int(parts[2]) > 59:
        raise ValueError(text)
    h, m, s = (int(x) for x in parts)
    return float(h * 3600 + m * 60 + s)


def _parse_times(st: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Add ``arr``/``dep`` seconds to stop_times; a malformed time names its trip and value.

    A national feed has millions of stop times but at most a few ten thousand distinct
    times of day, so each distinct text is parsed once (:func:`_seconds`) and mapped back
    through a categorical's codes.
    """
    st = st.copy()
    for col, out in (("arrival_time", "arr"), ("departure_time", "dep")):
        if col not in st.columns:
            st[out] = math.nan
            continue
        cat = pd.Categorical(st[col].astype("string"))
        values = np.empty(len(cat.categories) + 1)
        values[-1] = math.nan  # code -1: missing
        for k, text in enumerate(cat.categories):
            try:
                values[k] = _seconds(text)
            except ValueError:
                row = int(np.flatnonzero(cat.codes == k)[0])
                raise DataValidationError(
                    f"trip {st['trip_id'].iloc[row]}: {col} {text!r} is not a time H:MM:SS",
                    path=path, field="stop_times") from None
        st[out] = values[cat.codes]
    st["arr"] = st["arr"].fillna(st["dep"])
    st["dep"] = st["dep"].fillna(st["arr"])
    return st


def _trip_times(trip_id: str, g: pd.DataFrame, match: dict[str, str], path: Path
                ) -> tuple[list[str], list[str], np.ndarray, np.ndarray, float]:
    """GTFS stop ids, station ids, run and dwell minutes and first departure of one trip.

    Every problem of the trip (a stop not in stops.txt, a missing time, times going
    backwards, a station called twice) is one :class:`DataValidationError` naming it.
    """
    gtfs_ids = [str(x) for x in g["stop_id"]]
    unknown = [x for x in gtfs_ids if x not in match]
    if unknown:
        raise DataValidationError(f"trip {trip_id}: stop {unknown[0]!r} is not in stops.txt",
                                  path=path, field="stop_times")
    ids = [match[x] for x in gtfs_ids]
    if len(set(ids)) != len(ids):
        twice = next(x for x in ids if ids.count(x) > 1)
        raise DataValidationError(
            f"trip {trip_id}: calls at {twice!r} twice; expected each station once per trip "
            "(loop trips are not supported)", path=path, field="stop_times")
    arr, dep = g["arr"].to_numpy(float), g["dep"].to_numpy(float)
    if not (np.isfinite(arr).all() and np.isfinite(dep).all()):
        raise DataValidationError(f"trip {trip_id}: stop times without a time",
                                  path=path, field="stop_times")
    seg = (arr[1:] - dep[:-1]) / 60.0
    dwell = (dep[1:-1] - arr[1:-1]) / 60.0
    if dep[0] < arr[0]:
        raise DataValidationError(f"trip {trip_id}: times go backwards at stop "
                                  f"{gtfs_ids[0]!r}", path=path, field="stop_times")
    back = np.flatnonzero(np.concatenate([seg, dwell, dep[-1:] - arr[-1:]]) < 0)
    if len(back):
        k = int(back[0])
        where = gtfs_ids[k + 1] if k < len(seg) else gtfs_ids[k - len(seg) + 1]
        raise DataValidationError(f"trip {trip_id}: times go backwards at stop {where!r}",
                                  path=path, field="stop_times")
    return gtfs_ids, ids, seg, dwell, float(dep[0])


def _tables(services: Sequence[RailService], stations: pd.DataFrame | None, *,
            agency_name: str, start: str, end: str,
            start_date: str, end_date: str) -> dict[str, pd.DataFrame]:
    names: dict[str, str] = {}
    if stations is not None and len(stations):
        col = "name" if "name" in stations.columns else "name_en"
        names = dict(zip(stations["id"], stations[col], strict=True))
    stops: dict[str, tuple[str, float, float]] = {}
    routes, trips, stop_times, freqs, shapes = [], [], [], [], []
    t0, t_end = _seconds(start), _seconds(end)
    for svc in services:
        for sid, (lon, lat) in zip(svc.stops, svc.coords, strict=True):
            stops.setdefault(sid, (names.get(sid, sid), lon, lat))
        routes.append({"route_id": svc.id, "agency_id": _AGENCY_ID,
                       "route_short_name": svc.id, "route_long_name": svc.name,
                       "route_type": _ROUTE_TYPE.get(svc.mode, 2),
                       "route_desc": f"modelled {svc.mode.replace('_', ' ')} ({svc.link_id})"})
        km = np.concatenate([[0.0], np.cumsum(svc.seg_km)])
        headway_s = round(svc.headway_min * 60)
        # gtfs-kit reads headway_secs as a 16-bit integer: a service running less often
        # than every 9 h 6 min is written as its departures instead (explicit trips)
        departures = [t0] if headway_s <= _MAX_HEADWAY_S else \
            [float(x) for x in np.arange(t0, t_end, headway_s)]
        for direction in (0,) if svc.direction == "forward" else (0, 1):
            order = list(range(len(svc.stops)))
            if direction:
                order.reverse()
            shape_id = f"{svc.id}#{direction}"
            for n, i in enumerate(order):
                dist = abs(km[i] - km[order[0]])
                shapes.append({"shape_id": shape_id, "shape_pt_lat": svc.coords[i][1],
                               "shape_pt_lon": svc.coords[i][0], "shape_pt_sequence": n + 1,
                               "shape_dist_traveled": round(float(dist), 3)})
            for k, dep0 in enumerate(departures):
                trip_id = f"{svc.id}#{direction}" + (f"#{k}" if len(departures) > 1 else "")
                trips.append({"route_id": svc.id, "service_id": "daily", "trip_id": trip_id,
                              "direction_id": direction, "shape_id": shape_id,
                              "trip_headsign": names.get(svc.stops[order[-1]],
                                                         svc.stops[order[-1]])})
                t = dep0
                for n, i in enumerate(order):
                    if n:
                        prev = order[n - 1]
                        t += svc.seg_min[min(prev, i)] * 60.0
                    arr = t
                    dwell = svc.dwell_min * 60.0 if 0 < n < len(order) - 1 else 0.0
                    dist = abs(km[i] - km[order[0]])
                    stop_times.append({"trip_id": trip_id, "arrival_time": _hms(arr),
                                       "departure_time": _hms(arr + dwell),
                                       "stop_id": svc.stops[i], "stop_sequence": n + 1,
                                       "shape_dist_traveled": round(float(dist), 3)})
                    t = arr + dwell
                if headway_s <= _MAX_HEADWAY_S:
                    freqs.append({"trip_id": trip_id, "start_time": start, "end_time": end,
                                  "headway_secs": headway_s, "exact_times": 0})
    return {
        "agency": pd.DataFrame([{"agency_id": _AGENCY_ID, "agency_name": agency_name,
                                 "agency_url": "https://www.openstreetmap.org/copyright",
                                 "agency_timezone": "Asia/Shanghai", "agency_lang": "zh"}]),
        "stops": pd.DataFrame([{"stop_id": k, "stop_name": v[0], "stop_lat": round(v[2], 6),
                                "stop_lon": round(v[1], 6), "location_type": 0}
                               for k, v in sorted(stops.items())]),
        "routes": pd.DataFrame(routes),
        "trips": pd.DataFrame(trips),
        "stop_times": pd.DataFrame(stop_times),
        "calendar": pd.DataFrame([{"service_id": "daily", **dict.fromkeys(
            ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], 1),
            "start_date": start_date, "end_date": end_date}]),
        "frequencies": pd.DataFrame(freqs),
        "shapes": pd.DataFrame(shapes),
        "feed_info": pd.DataFrame([{
            "feed_publisher_name": "corridor_geo (modelled, not an operator timetable)",
            "feed_publisher_url": "https://www.openstreetmap.org/copyright",
            "feed_lang": "zh", "feed_start_date": start_date, "feed_end_date": end_date}]),
    }


def export_gtfs(services: Iterable[RailService], path: str | Path, *,
                stations: pd.DataFrame | None = None,
                agency_name: str = "Modelled rail services (corridor_geo)",
                start_time: str = "06:00:00", end_time: str = "23:00:00",
                start_date: str = "20200101", end_date: str = "20351231",
                overwrite: bool = False) -> Path:
    """Write rail services as a GTFS feed with ``frequencies.txt``.

    One route per service, one trip per direction it runs (one for a one-way pattern,
    ``RailService.direction == "forward"``), repeated over the service day by
    ``frequencies.txt``; a service running less often than every 9 h 6 min (gtfs-kit
    reads ``headway_secs`` as a 16-bit integer) is written as its departures instead.

    Parameters
    ----------
    services
        Services (e.g. ``MultimodalNetwork.services``).
    path
        Output ``.zip`` file, or an output folder (any other name). Written to a
        temporary file or folder and renamed, so nothing is half-written. A ``.zip``
        that exists is replaced only when corridor_geo wrote it (its ``agency.txt``
        names the corridor_geo agency) or with *overwrite*; a folder follows the output
        folder rules of ``docs/robustness.md`` (a folder holding other files is refused
        unless *overwrite*, and then only files corridor_geo wrote are replaced).
    stations
        Optional table ``id, name`` (or ``name_en``) for stop names.
    agency_name, start_time, end_time, start_date, end_date
        Feed metadata and the service day over which ``frequencies.txt`` repeats trips.
    overwrite
        Replace an existing ``.zip`` corridor_geo did not write, or write into a
        non-empty folder (its other files are kept).

    Returns
    -------
    pathlib.Path
        *path*.

    Raises
    ------
    DataValidationError
        *services* is empty (e.g. a network of a year before any railway ran).
    OutputDirError
        *path* exists and may not be replaced (see above); nothing is written.

    Examples
    --------
    >>> export_gtfs(mm.services, "model.zip", stations=mm.stations)  # doctest: +SKIP
    PosixPath('model.zip')
    """
    from corridor_geo._io import atomic_path, output_dir
    from corridor_geo.errors import OutputDirError

    services = list(services)
    if not services:
        raise DataValidationError(
            "no rail service to export; expected at least one (a network of a year before "
            "the corridor's first railway opened has none)", field="services")
    path = Path(path)
    is_zip = path.suffix.lower() == ".zip"
    if is_zip and (path.exists() or path.is_symlink()):
        if not path.is_file():
            raise OutputDirError(f"GTFS output {path}: exists and is not a file; nothing "
                                 "was written")
        if not overwrite and not _written_by_us(path):
            raise OutputDirError(
                f"GTFS output {path}: the file exists and was not written by corridor_geo; "
                "nothing was written. Choose a new file name, or use --overwrite "
                "(overwrite=True) to replace it")
    tables = _tables(services, stations, agency_name=agency_name, start=start_time,
                     end=end_time, start_date=start_date, end_date=end_date)
    if not is_zip:
        with output_dir(path, overwrite=overwrite) as folder:
            for name, df in tables.items():
                df.to_csv(folder / f"{name}.txt", index=False, lineterminator="\n")
        return path
    with atomic_path(path) as staged, zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(tables):
            info = zipfile.ZipInfo(f"{name}.txt", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, tables[name].to_csv(index=False, lineterminator="\n"))
    return path


def _written_by_us(path: Path) -> bool:
    """Return True when *path* is a GTFS zip :func:`export_gtfs` wrote (its agency id)."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("agency.txt")
            if info.file_size > 1 << 16:
                return False
            head = zf.read(info).decode("utf-8", "replace").splitlines()
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError):
        return False
    return len(head) >= 2 and head[0].startswith("agency_id,") and \
        head[1].startswith(f"{_AGENCY_ID},")


def _match_stops(stops: pd.DataFrame, corridor: Any, max_match_m: float) -> dict[str, str]:
    """GTFS stop id -> corridor station id (by id, name, then nearest within max_match_m)."""
    out: dict[str, str] = {}
    if corridor is None:
        return {s: s for s in stops["stop_id"]}
    st = corridor.stations
    lon = st.geometry.x.to_numpy()
    lat = st.geometry.y.to_numpy()
    for r in stops.itertuples(index=False):
        sid = None
        for q in (r.stop_id, getattr(r, "stop_name", None)):
            if not isinstance(q, str) or not q:
                continue
            try:
                cand = corridor.resolve(q)
            except UnknownIdError:
                continue
            if cand in set(st["id"]):
                sid = cand
                break
        if sid is None and len(st):
            d = _GEOD.inv(np.full(len(st), float(r.stop_lon)), np.full(len(st), float(r.stop_lat)),
                          lon, lat)[2]
            k = int(np.argmin(d))
            if d[k] <= max_match_m:
                sid = str(st["id"].iloc[k])
        out[str(r.stop_id)] = sid if sid is not None else str(r.stop_id)
    return out


def _link_of(stop_ids: Sequence[str], corridor: Any, route_id: str) -> tuple[str, str | None]:
    """Return the corridor link holding most of the stops (else the route id), its mode."""
    if corridor is None:
        return route_id, None
    ls = corridor.link_stops
    links = corridor.links.set_index("id")
    best = None
    for lid, grp in ls.groupby("link_id"):
        n = len(set(stop_ids) & set(grp["stop_id"]))
        if n >= 2 and (best is None or (n, -len(grp)) > (best[1], -best[2])):
            best = (str(lid), n, len(grp))
    if best is None:
        return route_id, None
    return best[0], str(links.loc[best[0], "mode"])


def _require_gtfs_kit() -> None:
    """Raise a clear error when the optional gtfs-kit is not installed."""
    import importlib.util

    from corridor_geo.errors import ArgumentError

    if importlib.util.find_spec("gtfs_kit") is None:
        raise ArgumentError(
            "reading a GTFS feed needs the optional package gtfs-kit, which is not "
            'installed; install it with: pip install "corridor_geo[gtfs]"')


def _feed_files(path: Path) -> dict[str, str]:
    """Return the file gtfs-kit reads for each table of a feed: ``{"stops": "stops.txt"}``.

    As ``gtfs_kit.read_feed``: a non-empty ``.txt`` file named after a table, directly in
    a folder or anywhere in a zip (the last one listed wins).
    """
    from gtfs_kit.constants import DTYPES

    if path.is_dir():
        return {f.stem: f.name for f in sorted(path.iterdir())
                if f.suffix == ".txt" and f.stem in DTYPES and f.is_file() and f.stat().st_size}
    with zipfile.ZipFile(path) as zf:
        return {Path(i.filename).stem: i.filename for i in zf.infolist()
                if not i.is_dir() and i.file_size and i.filename.endswith(".txt")
                and Path(i.filename).stem in DTYPES}


def _inner(path: Path, table: str) -> Path:
    """Where a table of a feed is, for messages: ``feed/stops.txt`` or ``feed.zip/stops.txt``."""
    try:
        member = _feed_files(path).get(table, f"{table}.txt")
    except (OSError, zipfile.BadZipFile):
        member = f"{table}.txt"
    return path / member


@contextlib.contextmanager
def _open_member(path: Path, member: str) -> Iterator[IO[bytes]]:
    """Open a file of a feed folder or zip for reading bytes."""
    if path.is_dir():
        with (path / member).open("rb") as f:
            yield f
    else:
        with zipfile.ZipFile(path) as zf, zf.open(member) as f:
            yield f


def _row_name(table: str, df: pd.DataFrame, k: int) -> str:
    """``"trip T1: "``: the id of row *k* of a table, to start a message ("" without one)."""
    what, col = _ROW_ID.get(table, ("", ""))
    if col not in df.columns or pd.isna(df[col].iloc[k]):
        return ""
    return f"{what} {str(df[col].iloc[k]).strip()}: "


def _not_utf8(path: Path, table: str, member: str) -> DataValidationError | None:
    """Return an error naming the first line (row, field) of a file that is not UTF-8."""
    header: list[str] = []
    with _open_member(path, member) as f:
        for n, line in enumerate(f):
            try:
                text = line.decode("utf-8-sig" if n == 0 else "utf-8")
            except UnicodeDecodeError as exc:
                bad = line[exc.start]
                cells = next(csv.reader([line.decode("utf-8", "replace")]), [])
                k = next((i for i, c in enumerate(cells) if "\ufffd" in c), len(header))
                what, id_col = _ROW_ID.get(table, ("", ""))
                i = header.index(id_col) if id_col in header else len(cells)
                who = f"{what} {cells[i].strip()}: " if i < len(cells) and i != k else ""
                return DataValidationError(
                    f"{who}byte 0x{bad:02x} is not UTF-8" + (" (in the header line)" if n == 0
                                                         else "")
                    + "; expected a UTF-8 text file (GTFS files are UTF-8: save it as UTF-8)",
                    path=path / member, row=n or None,
                    field=header[k] if k < len(header) else None)
            if n == 0:
                header = [c.strip() for c in next(csv.reader([text]), [])]
    return None


def _bad_cell(table: str, df: pd.DataFrame, col: str, dtype: str
              ) -> tuple[int, str] | None:
    """Return the first cell of a column gtfs-kit cannot read as its type: row, reason."""
    text = df[col].dropna().astype(str)
    ok = text.str.fullmatch(_NUMBER.pattern, flags=re.ASCII).astype(bool)
    if dtype in _INT_RANGES:
        lo, hi = _INT_RANGES[dtype]
        value = text[ok].astype(float)
        ok[ok] = (value % 1 == 0) & (value >= lo) & (value <= hi)
        expected = _EXPECTED.get(col, f"a whole number from {lo} to {hi}")
    else:
        ok |= text.str.fullmatch(_INFINITY.pattern, case=False).astype(bool)
        expected = _EXPECTED.get(col, "a number")
    if ok.all():
        return None
    first = int(np.flatnonzero(~ok.to_numpy())[0])
    cell = str(text.iloc[first])
    k = int(df.index.get_indexer([text.index[first]])[0])  # the row in the file
    if not _NUMBER.fullmatch(cell):
        what = "a number" if dtype not in _INT_RANGES else "a whole number"
        reason = f"{cell.strip()!r} is not {what}"
    elif float(cell) % 1:
        reason = f"{cell.strip()!r} is not a whole number"
    else:
        reason = f"{cell.strip()} is out of range"
    return k, f"{_row_name(table, df, k)}{reason}; expected {expected}"


def _diagnose(path: Path) -> DataValidationError | None:
    """Why gtfs-kit could not read a feed: the first file, row and field it cannot parse.

    Each table gtfs-kit reads is read again as text (as gtfs-kit reads it: UTF-8, the same
    missing values) and every column gtfs-kit types as a number is checked against its
    type (e.g. ``stop_sequence`` a 32-bit, ``headway_secs`` a 16-bit integer). None when
    no such problem is found.
    """
    from gtfs_kit.constants import DTYPES

    for table, member in sorted(_feed_files(path).items()):
        where = path / member
        try:
            with _open_member(path, member) as f:
                df = pd.read_csv(f, dtype=str, na_values=_NA_VALUES, keep_default_na=True,
                                 encoding="utf-8-sig")
        except UnicodeDecodeError:
            return _not_utf8(path, table, member)
        except pd.errors.EmptyDataError:
            return DataValidationError("no header line; expected a CSV table with a header",
                                       path=where)
        except (pd.errors.ParserError, ValueError) as exc:
            reason = " ".join(str(exc).split())  # pandas' messages span lines
            return DataValidationError(f"not a readable CSV table: {reason}", path=where)
        df.columns = [str(c).strip() for c in df.columns]
        for col, dtype in DTYPES[table].items():
            if col not in df.columns or dtype not in (*_INT_RANGES, "float"):
                continue
            bad = _bad_cell(table, df, col, dtype)
            if bad is not None:
                return DataValidationError(bad[1], path=where, row=bad[0] + 1, field=col)
    return None


def _check_columns(feed: Any, path: Path) -> None:
    """Check that the required columns are there and filled (coordinates in range)."""
    for name, columns in _REQUIRED_COLUMNS.items():
        table = getattr(feed, name, None)
        if table is None:
            continue
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise DataValidationError(f"{name}.txt has no column {', '.join(missing)}; "
                                      f"expected {', '.join(columns)}", path=path, field=name)
        for col in columns:
            values = table[col]
            bad = values.isna().to_numpy(bool)
            limit = _COORD_LIMITS.get(col)
            if limit is not None:
                bad = bad | ~(np.abs(values.to_numpy(float, na_value=np.nan)) <= limit)
            if not bad.any():
                continue
            k = int(np.flatnonzero(bad)[0])
            numeric = pd.api.types.is_numeric_dtype(values)
            reason = ("empty or not a number" if numeric else "empty") if pd.isna(
                values.iloc[k]) else f"{float(values.iloc[k]):g} is out of range"
            raise DataValidationError(
                f"{_row_name(name, table, k)}{reason}; expected "
                f"{_EXPECTED.get(col, f'a {col}')}", path=_inner(path, name), row=k + 1,
                field=col)


def _check_keys(feed: Any, path: Path) -> None:
    """Check the ids that tie the tables together, naming the first row at fault.

    trip_id is unique in trips.txt, each trip's route is in routes.txt, each stop time's
    trip is in trips.txt, and no trip has the same stop_sequence twice (its stops would
    have no order: the result would depend on how the sort breaks the tie).
    """
    def fail(table: str, df: pd.DataFrame, k: int, field: str, reason: str) -> None:
        raise DataValidationError(f"{_row_name(table, df, k)}{reason}",
                                  path=_inner(path, table), row=int(k) + 1, field=field)

    trips, routes, st = feed.trips, feed.routes, feed.stop_times
    trip_ids = trips["trip_id"].astype(str).str.strip()
    twice = np.flatnonzero(trip_ids.duplicated().to_numpy(bool))
    if len(twice):
        fail("trips", trips, int(twice[0]), "trip_id",
             "trip_id is listed twice; expected each trip once in trips.txt")
    route_ids = set(routes["route_id"].astype(str).str.strip())
    unknown = np.flatnonzero(~trips["route_id"].astype(str).str.strip().isin(route_ids)
                             .to_numpy(bool))
    if len(unknown):
        k = int(unknown[0])
        fail("trips", trips, k, "route_id", f"route_id {str(trips['route_id'].iloc[k])!r} is "
             "not in routes.txt; expected a route of the feed")
    st_trips = st["trip_id"].astype(str).str.strip()
    orphan = np.flatnonzero(~st_trips.isin(set(trip_ids)).to_numpy(bool))
    if len(orphan):
        fail("stop_times", st, int(orphan[0]), "trip_id",
             "trip_id is not in trips.txt; expected a trip of the feed")
    seq = pd.DataFrame({"t": st_trips, "s": st["stop_sequence"]})
    dup = np.flatnonzero(seq.duplicated().to_numpy(bool))
    if len(dup):
        k = int(dup[0])
        fail("stop_times", st, k, "stop_sequence", f"stop_sequence "
             f"{st['stop_sequence'].iloc[k]} appears twice; expected each stop of a trip to "
             "have its own stop_sequence")


def _read_feed(path: Path) -> Any:
    """Read a feed with gtfs-kit after checking its files; check its tables and columns."""
    if not path.exists():  # a wrong path is reported as such, also without gtfs-kit
        raise DataValidationError("file not found", path=path)
    _require_gtfs_kit()
    import gtfs_kit as gk

    from corridor_geo._io import check_input_file

    # regular files only (a FIFO or device could hang the reader), of bounded size
    for f in sorted(path.iterdir()) if path.is_dir() else [path]:
        if f.suffix.lower() == ".txt" or f == path:
            check_input_file(f, what="GTFS file")
    if path.is_file() and zipfile.is_zipfile(path):  # a zip bomb is refused unread
        with zipfile.ZipFile(path) as zf:
            size = sum(i.file_size for i in zf.infolist())
        if size > MAX_UNZIPPED_BYTES:
            raise DataValidationError(f"the feed unzips to {size} bytes; at most "
                                      f"{MAX_UNZIPPED_BYTES} are read", path=path)
    try:
        feed = gk.read_feed(path, dist_units="km")
    except Exception as exc:  # gtfs-kit raises several types for broken feeds
        try:
            found = _diagnose(path)
        except Exception:  # the feed is not even readable as files: say what gtfs-kit said
            found = None
        if found is not None:
            raise found from None
        raise DataValidationError(f"not a readable GTFS feed: {exc}", path=path) from None
    for name in ("stops", "routes", "trips", "stop_times"):
        if getattr(feed, name, None) is None or not len(getattr(feed, name)):
            raise DataValidationError(f"missing or empty {name}.txt; expected a GTFS feed",
                                      path=path, field=name)
    _check_columns(feed, path)
    _check_keys(feed, path)
    return feed


def _headway_min(grp: dict[str, Any], freq: pd.DataFrame | None, path: Path) -> float:
    """Headway (min) of a group of trips (one route and stop sequence, both directions).

    The mean ``headway_secs`` of the group's trips in ``frequencies.txt``. Without any,
    from the first departures of its trips, direction by direction: over the *n* distinct
    departure times of a direction, (last - first) / (*n* - 1), averaged over the
    directions with two or more. A group whose trips leave at fewer than two distinct times
    in every direction (one train; one each way, even at the same time) is one departure:
    ``_SINGLE_DEPARTURE_HEADWAY_MIN`` (60). The headway is therefore always positive.
    """
    if freq is not None and len(freq):
        f = freq[freq["trip_id"].isin(grp["trips"])]
        if len(f):
            secs = f["headway_secs"].astype(float)
            bad = ~((secs >= _MIN_HEADWAY_S) & np.isfinite(secs))
            if bad.any():
                raise DataValidationError(
                    f"trip {f['trip_id'][bad].iloc[0]}: headway_secs {secs[bad].iloc[0]:g}; "
                    f"expected a positive number of seconds, at least {_MIN_HEADWAY_S} (one "
                    "train a minute)", path=path, field="frequencies")
            return float(secs.mean()) / 60.0
    by_direction: dict[bool, set[float]] = {}
    for flipped, dep in zip(grp["flips"], grp["deps"], strict=True):
        by_direction.setdefault(flipped, set()).add(dep)
    gaps = [(max(d) - min(d)) / (len(d) - 1) for d in by_direction.values() if len(d) >= 2]
    if not gaps:
        return _SINGLE_DEPARTURE_HEADWAY_MIN
    return float(np.mean(gaps)) / 60.0


def _route_mode(routes: pd.DataFrame, route_id: str) -> str:
    """Mode of a route the corridor does not know, from its GTFS ``route_type``."""
    try:
        rtype = int(routes.loc[route_id, "route_type"])
    except (KeyError, TypeError, ValueError):  # no such route, column or number
        rtype = 2
    return _MODE_OF_TYPE.get(rtype, "intercity_rail")


def read_gtfs(path: str | Path, *, corridor: Any = None,
              max_match_m: float = 300.0) -> list[RailService]:
    """Read a GTFS feed into rail services (one per route and stop sequence).

    Parameters
    ----------
    path
        A GTFS ``.zip`` or folder (read with ``gtfs_kit.read_feed``).
    corridor
        Optional :class:`~corridor_geo.corridor.Corridor`: GTFS stops are matched to
        its stations (by id, then name, then the nearest within *max_match_m*) and each
        route to the corridor link holding all its stops (``RailService.link_id``),
        so that :func:`apply_timetable` can replace that link's modelled services.
    max_match_m
        Largest distance for matching a stop by position.

    Returns
    -------
    list of RailService
        ``scheduled=True``; ``seg_min`` = median in-vehicle minutes between consecutive
        stops, ``dwell_min`` = median dwell at intermediate stops, ``headway_min`` from
        ``frequencies.txt`` (mean headway) or from the trips' first departures (per
        direction: their span over the number of distinct times less one; 60 min when no
        direction has two distinct departure times, see :func:`_headway_min`). A stop
        sequence whose trips all run one way is a one-way service
        (``direction="forward"``, stops in running order): a feed without trips back
        has no trains back, and :func:`apply_timetable` then leaves that link without
        service in the other direction.

    Examples
    --------
    >>> services = read_gtfs("operator_gtfs.zip", corridor=corridor)  # doctest: +SKIP
    """
    path = Path(path)
    feed = _read_feed(path)
    match = _match_stops(feed.stops, corridor, max_match_m)
    coords = {str(r.stop_id): (float(r.stop_lon), float(r.stop_lat))
              for r in feed.stops.itertuples(index=False)}
    st = _parse_times(feed.stop_times, path).sort_values(["trip_id", "stop_sequence"])
    trips = feed.trips.set_index("trip_id")
    routes = feed.routes.set_index("route_id")
    freq = feed.frequencies
    groups: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for trip_id, g in st.groupby("trip_id", sort=True):
        if len(g) < 2:  # (every trip_id is in trips.txt: _check_keys)
            continue
        gtfs_ids, ids, runs, stops_min, dep0 = _trip_times(str(trip_id), g, match, path)
        route_id = str(trips.loc[trip_id, "route_id"])
        key_stops = tuple(ids) if tuple(ids) <= tuple(reversed(ids)) else tuple(reversed(ids))
        flipped = key_stops != tuple(ids)
        if flipped:
            runs, stops_min = runs[::-1], stops_min[::-1]
            gtfs_ids = list(reversed(gtfs_ids))
        grp = groups.setdefault((route_id, key_stops), {
            "segs": [], "dwells": [], "deps": [], "trips": [], "flips": [],
            "gtfs_ids": gtfs_ids, "orders": set()})
        grp["orders"].add(flipped)
        grp["flips"].append(flipped)
        grp["segs"].append(runs)
        grp["dwells"].append(stops_min)
        grp["deps"].append(dep0)
        grp["trips"].append(trip_id)
    out = []
    for (route_id, stops), grp in sorted(groups.items()):
        seg = np.median(np.vstack(grp["segs"]), axis=0)
        dw = np.concatenate(grp["dwells"])
        dwell = float(np.median(dw)) if len(dw) else 0.0
        hw = _headway_min(grp, freq, path)
        link_id, mode = _link_of(stops, corridor, route_id)
        if mode is None:
            mode = _route_mode(routes, route_id)
        xy = [coords[s] for s in grp["gtfs_ids"]]
        km = [_GEOD.inv(*xy[i], *xy[i + 1])[2] / 1000.0 for i in range(len(xy) - 1)]
        name = str(routes.loc[route_id].get("route_long_name") or route_id) \
            if route_id in routes.index else route_id
        n_patterns = sum(r == route_id for r, _ in groups)
        sid = route_id if n_patterns == 1 else f"{route_id}:{stops[0]}-{stops[-1]}-{len(stops)}"
        direction, stops, segs, km, xy = _oriented(grp["orders"], stops,
                                                   [float(x) for x in seg], km, xy)
        out.append(RailService(
            id=f"gtfs:{sid}", link_id=link_id, mode=mode, name=name, stops=stops,
            seg_km=tuple(km), seg_min=tuple(segs), dwell_min=dwell,
            headway_min=float(hw), cruise_kmh=math.nan,
            distance_method=("geodesic",) * len(km), coords=tuple(xy), scheduled=True,
            direction=direction))
    if not out:
        raise DataValidationError("no trip with two or more stops", path=path,
                                  field="stop_times")
    return out


def _oriented(orders: set[bool], stops: tuple[str, ...], segs: list[float], km: list[float],
              xy: list[tuple[float, float]]
              ) -> tuple[Literal["both", "forward"], tuple[str, ...], list[float], list[float],
                         list[tuple[float, float]]]:
    """Direction of a group of trips, and its stops in the order trains run.

    *orders* holds, per trip, whether it ran against the group's sorted stop order. All
    trips one way make a one-way service (``"forward"``) listed in the feed's order.
    """
    if len(orders) != 1:
        return "both", stops, segs, km, xy
    if orders == {True}:
        return "forward", stops[::-1], segs[::-1], km[::-1], xy[::-1]
    return "forward", stops, segs, km, xy


def apply_timetable(services: Iterable[RailService],
                    timetable: Iterable[RailService]) -> list[RailService]:
    """Replace the modelled services of every link the timetable covers.

    Examples
    --------
    >>> tt = read_gtfs("feed.zip", corridor=corridor)  # doctest: +SKIP
    >>> merged = apply_timetable(mm.services, tt)  # doctest: +SKIP
    """
    timetable = list(timetable)
    covered = {s.link_id for s in timetable}
    kept = [s for s in services if s.link_id not in covered]
    return sorted(kept + timetable, key=lambda s: s.id)
