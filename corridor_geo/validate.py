"""Compare modelled travel times with a user's observed times.

The user's table is a CSV with columns ``from,to,minutes`` (stations, platforms or nodes
by id, English or Chinese name; extra columns ignored). When both ends are stations
served by a common rail service, the observed figure is read as a scheduled
station-to-station time and compared with the modelled in-vehicle time of the fastest
such service; otherwise it is compared with the door-to-door ``best`` time.

Rows with ``mode=drive`` are compared like for like with published "by car" figures
(navigation-style: "开车约30分钟", "全程138.8公里, 1小时56分钟"), which are driving times
without parking: the modelled *driving* time is the straight connectors from the two
places to the street network plus the network route (the ``in_vehicle_min`` of a drive
cell of the travel-time matrix), i.e. the door-to-door drive time minus ``park_min``
(comparison ``driving``). ``drive_parking=True`` (CLI ``--drive-parking``) compares
them door to door instead, parking included (comparison ``door_to_door``). The matrix
itself stays door to door.

Examples
--------
>>> from corridor_geo.corridor import load_corridor  # doctest: +SKIP
>>> rows, summary = validate_times(load_corridor(), "observed.csv")  # doctest: +SKIP
>>> sorted(summary)  # doctest: +SKIP
['bias_min', 'drive_bias_pct', 'drive_mape_pct', 'drive_n', 'drive_within_25_pct', ...]
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from corridor_geo import settings
from corridor_geo._args import check_has, check_path, check_point
from corridor_geo.corridor import point_id
from corridor_geo.data import check_observed_row, iter_observed_times
from corridor_geo.errors import (
    ArgumentError,
    DataValidationError,
    StationNotOpenError,
    UnknownIdError,
)
from corridor_geo.transit import MultimodalNetwork, travel_time_matrix

__all__ = ["COMPARISONS", "TIMETABLE_COLUMNS", "compare_timetable", "drive_summary",
           "per_line_bias", "read_observed", "validate_times"]


# ``rail``, or a mode of the travel-time matrix (drive, transit, park_and_ride, best)
_MODES = ("rail", "drive", "transit", "park_and_ride", "best")
# one shared string per mode (mode.lower() makes a new one per row)
_MODE_OBJ: dict[str | None, str | None] = {m: m for m in _MODES}
# a place given as a WGS84 point: "lon,lat"
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_COORD = re.compile(rf"^\s*({_NUM})\s*,\s*({_NUM})\s*$")
# an optional free-text ``kind`` column saying the figure is for a stopping train
_ALL_STOPS = re.compile(r"all[- ]?stops|stopping|站站停|slowest", re.IGNORECASE)


def read_observed(path: str | Path) -> pd.DataFrame:
    r"""Read ``from,to,minutes[,year][,mode][,kind]`` (extra columns ignored), validating rows.

    ``from`` and ``to`` name stations, platforms or nodes (id, English or Chinese
    name; "福田" is Futian station), or else districts (id or full name such as
    "福田区"; the district's representative point, see ``geodata/districts.csv``), or
    give a WGS84 point as ``lon,lat`` (a quoted CSV cell such as ``"113.2644,23.1292"``;
    door-to-door and drive rows only, reported as ``point_<lon>_<lat>``).

    ``year`` (optional) is the as-of year of the row (the network of that year is used);
    ``mode`` (optional) is ``rail`` (scheduled station-to-station time), ``drive``,
    ``transit`` (walk + rail + walk), ``park_and_ride`` (drive and park + rail + walk)
    or ``best`` (door to door, as in the travel-time matrix). Empty cells mean "not given".
    ``kind`` (optional, free text): when it says the figure is for a stopping train
    ("all-stops", "stopping", "站站停", "slowest"), the row is compared with the
    all-stops service instead of the fastest one (``all_stops`` column).

    The file is read by the package's one CSV reader
    (:func:`corridor_geo.data.iter_observed_times`: encoding detected, regular file of
    bounded size, one linear pass with a progress bar for large files).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "obs.csv"
    >>> _ = f.write_text("from,to,minutes,mode\n广州南,深圳北,36,Rail\n", encoding="utf-8")
    >>> read_observed(f).columns.tolist()
    ['from', 'to', 'observed_min', 'year', 'mode', 'all_stops']
    >>> read_observed(f)["mode"].tolist()
    ['rail']
    """
    path = Path(check_path(path, name="path"))
    # one row's model at a time, kept as columns: a million rows peak at ~0.55 GB, not ~1.65
    frm: list[str] = []
    to: list[str] = []
    minutes: list[float] = []
    years: list[int | None] = []
    modes: list[str | None] = []
    stops: dict[str | None, bool] = {None: False}  # per distinct kind
    all_stops: list[bool] = []
    for n, r in enumerate(iter_observed_times(path), start=1):
        mode = r.mode.lower() if r.mode is not None else None
        if mode is not None and mode not in _MODES:
            raise DataValidationError(f"got {r.mode!r}; expected one of "
                                      f"{', '.join(_MODES)} or empty", path=path, row=n,
                                      field="mode")
        frm.append(r.from_)
        to.append(r.to)
        minutes.append(r.minutes)
        years.append(r.year)
        modes.append(_MODE_OBJ.get(mode, mode))
        if r.kind not in stops:
            stops[r.kind] = bool(r.kind and _ALL_STOPS.search(r.kind))
        all_stops.append(stops[r.kind])
    if not frm:
        raise DataValidationError("no data rows", path=path)
    return pd.DataFrame({
        "from": frm,
        "to": to,
        "observed_min": np.asarray(minutes, dtype=np.float64),
        "year": pd.array(years, dtype="Int64"),
        "mode": pd.Series(modes, dtype=object),
        "all_stops": all_stops,
    })


def _corridor_for(corridor: Any, year: int | None) -> Any:
    """Return the corridor as of *year* (same data, links switched on/off, extra nodes)."""
    if year is None or not hasattr(corridor, "at_year"):
        return corridor
    return corridor.at_year(year)


# a resolved place: an id, or a (lon, lat) point
_Place = str | tuple[float, float]


def _resolve(corridor: Any, name: str, *, by_location: bool = False) -> tuple[_Place, str]:
    """Place named *name* and the id reported for it.

    The place is the id of a station, platform or node named *name*; else of a
    district; or a point. The reported id is the place's id, or ``point_<lon>_<lat>``
    for a point given as coordinates.

    A station that exists but has no rail service in the as-of year raises
    :class:`~corridor_geo.errors.StationNotOpenError` (naming the year it opens) unless
    *by_location*: road and walk rows only need the place, so they get its point,
    reported under the station's id.

    Observed times name stations first: "福田" is Futian station, not the district.
    A name that matches no station, platform or node may name a district (its id,
    "福田区", "Tianhe District"): it resolves to the district's representative point
    (e.g. the Shenzhen civic centre for Futian, used for city-to-city drive figures).
    ``"lon,lat"`` is a WGS84 point, checked like the ``matrix`` command's points.

    Examples
    --------
    >>> from corridor_geo.corridor import load_corridor
    >>> c = load_corridor()
    >>> _resolve(c, "福田"), _resolve(c, "福田区")
    (('st_futian', 'st_futian'), ('dist_sz_futian', 'dist_sz_futian'))
    >>> _resolve(c, " 114.0567, 22.5433")
    ((114.0567, 22.5433), 'point_114.056700_22.543300')
    >>> _resolve(load_corridor(as_of=2023), "广州北站", by_location=True)
    ((113.196645, 23.378836), 'st_gz_north')
    """
    m = _COORD.match(name)
    if m:
        pt = check_point(float(m[1]), float(m[2]), polygon=getattr(corridor, "polygon", None),
                         what="coordinate")
        return pt, point_id(*pt)
    try:
        sid = cast(str, corridor.resolve(name, districts=False))
        return sid, sid
    except StationNotOpenError as exc:
        if not by_location:
            raise
        st = corridor._data.stations
        g = st.geometry[st["id"] == exc.station_id].iloc[0]
        return (float(g.x), float(g.y)), exc.station_id
    except UnknownIdError as exc:
        try:
            did = cast(str, corridor.resolve(name))
        except UnknownIdError:
            raise exc from None
        return did, did


def _stopping(mm: MultimodalNetwork, a: str, b: str) -> tuple[float, Any] | None:
    """In-vehicle time of the service stopping at both with the most stops between them."""
    best: tuple[int, float, Any] | None = None
    for svc in mm.services:
        if svc.runs(a, b):
            n = abs(svc.stops.index(a) - svc.stops.index(b))
            t = svc.in_vehicle_min(a, b)
            if best is None or (n, -t) > (best[0], -best[1]):
                best = (n, t, svc)
    return None if best is None else (best[1], best[2])


#: What a row's observed figure is compared with (the ``comparison`` column):
#: ``station_to_station`` (in-vehicle time of a rail service stopping at both),
#: ``driving`` (``mode=drive`` rows: connectors + network driving, no parking) and
#: ``door_to_door`` (the travel-time matrix's door-to-door time; drive rows with
#: ``drive_parking=True`` include ``park_min``).
COMPARISONS = ("station_to_station", "driving", "door_to_door")
# a drive row within this share of the observed figure counts as matched (issue 11 target)
DRIVE_TOLERANCE_PCT = 25.0

# one distinct comparison: (year, mode, all_stops, from, to) as written in the table
_Key = tuple[int | None, str | None, bool, str, str]
# what it gives: (from_id, to_id, comparison, service, line, modelled_min)
_Result = tuple[str, str, str, str, str, float]


def _compare(obs: pd.DataFrame, net_for: Callable[[int | None], tuple[Any, MultimodalNetwork]],
             *, path: str | Path | None, drive_parking: bool = False) -> pd.DataFrame:
    """Model every distinct row once; door-to-door rows routed once per origin.

    Linear in the rows: the table is grouped by distinct (year, mode, kind, from, to);
    names are resolved once per year, rail pairs looked up once, and the door-to-door
    pairs of one origin (per year and mode) computed by one matrix call. Errors name
    the first row holding the bad value. ``mode=drive`` rows take the driving time (the
    drive cell's ``in_vehicle_min``: connectors + network, no parking) unless
    *drive_parking*.
    """
    n = len(obs)
    years = [None if pd.isna(y) else int(y) for y in obs["year"]]
    modes = [None if m is None or (isinstance(m, float) and math.isnan(m)) else str(m)
             for m in obs["mode"]]
    keys: list[_Key] = list(zip(years, modes, obs["all_stops"].astype(bool).tolist(),
                                obs["from"].astype(str).tolist(),
                                obs["to"].astype(str).tolist(), strict=True))
    first_row: dict[_Key, int] = {}
    for i, k in enumerate(keys, start=1):
        first_row.setdefault(k, i)
    show = settings.progress
    # (year, name, by_location) -> (place, reported id)
    ids: dict[tuple[int | None, str, bool], tuple[_Place, str]] = {}
    labels: dict[_Key, tuple[str, str]] = {}
    results: dict[_Key, _Result] = {}
    # (year, mode, from) -> {to: [keys]}: the door-to-door pairs of one origin
    door: dict[tuple[int | None, str, _Place], dict[_Place, list[_Key]]] = defaultdict(dict)
    for key, row in _bar(first_row.items(), total=len(first_row), desc="pairs", show=show):
        year, mode, all_stops, frm, to = key
        c, mm = net_for(year)
        ab, lab = [], []
        # drive/walk/... rows need only where a place is: a station without rail service
        # in that year is still a place to drive to (rail and best-mode rows refuse it)
        by_location = mode not in (None, "rail")
        for field, name in (("from", frm), ("to", to)):
            if (year, name, by_location) not in ids:
                try:
                    ids[year, name, by_location] = _resolve(c, name, by_location=by_location)
                except (UnknownIdError, ArgumentError) as exc:
                    raise DataValidationError(str(exc), path=path, row=row,
                                              field=field) from None
            place, label = ids[year, name, by_location]
            if mode == "rail" and not isinstance(place, str):
                raise DataValidationError(f"{name!r} is a point; rail rows name stations",
                                          path=path, row=row, field=field)
            ab.append(place)
            lab.append(label)
        a, b = ab
        labels[key] = (lab[0], lab[1])
        fastest = None
        if mode in (None, "rail") and isinstance(a, str) and isinstance(b, str):
            fastest = mm.fastest_in_vehicle(a, b)
            if fastest is not None and all_stops:
                fastest = _stopping(mm, a, b) or fastest
        if fastest is not None:
            modelled, svc = fastest
            results[key] = (*labels[key], "station_to_station", svc.id, svc.link_id,
                            float(modelled))
        elif mode == "rail":
            raise DataValidationError(
                f"no rail service stops at both {a} and {b}"
                + (f" in {year}" if year is not None else ""), path=path, row=row, field="to")
        else:
            door[year, mode or "best", a].setdefault(b, []).append(key)
    for (year, m, a), by_dest in _bar(door.items(), total=len(door), desc="origins routed",
                                      show=show):
        c, mm = net_for(year)
        dests = list(by_dest)
        # the mode was checked against _MODES when the table was read
        cells = travel_time_matrix(c, [a], dests, mode=cast(Any, m), network=mm)
        driving = m == "drive" and not drive_parking
        # a drive cell is connectors + network route (in_vehicle_min) + parking (egress_min)
        minutes_col = "in_vehicle_min" if driving else "minutes"
        how = "driving" if driving else "door_to_door"
        for b, minutes, service in zip(dests, cells[minutes_col].tolist(),
                                       cells["mode"].astype(str).tolist(), strict=True):
            for key in by_dest[b]:
                results[key] = (*labels[key], how, service, m, float(minutes))
    index = {k: j for j, k in enumerate(first_row)}
    take = np.fromiter((index[k] for k in keys), dtype=np.int64, count=n)
    per_key = [results[k] for k in first_row]

    def column(j: int) -> np.ndarray:
        return np.asarray([r[j] for r in per_key], dtype=object)[take]

    observed = obs["observed_min"].to_numpy(dtype=np.float64)
    modelled_min = np.asarray([r[5] for r in per_key], dtype=np.float64)[take]
    err = modelled_min - observed
    return pd.DataFrame({
        "from": obs["from"].to_numpy(), "to": obs["to"].to_numpy(),
        "from_id": column(0), "to_id": column(1),
        "year": pd.array(years, dtype="Int64"),
        "mode": np.asarray([m or "" for m in modes], dtype=object),
        "comparison": column(2), "service": column(3), "line": column(4),
        "observed_min": observed, "modelled_min": modelled_min, "error_min": err,
        "error_pct": 100.0 * err / observed,
    })


def _bar(items: Iterable[Any], *, total: int, desc: str, show: bool) -> Iterable[Any]:
    """Progress bar on stderr (tqdm) when *show* and there is more than a screenful."""
    if not show or total < 100:
        return items
    from corridor_geo._progress import tqdm_bar

    return cast(Iterable[Any], tqdm_bar(items, show=True, total=total, desc=desc, leave=False))


def per_line_bias(rows: pd.DataFrame) -> pd.DataFrame:
    """Bias and mean |error| per line (rail link of the service, or the mode).

    Examples
    --------
    >>> per_line_bias(rows)  # doctest: +SKIP
    """
    fin = rows[np.isfinite(rows["modelled_min"])]
    g = fin.groupby("line", sort=True)
    return pd.DataFrame({
        "n": g.size(),
        "bias_min": g["error_min"].mean(),
        "bias_pct": g["error_pct"].mean(),
        "mape_pct": g["error_pct"].apply(lambda x: float(np.abs(x).mean())),
        "worst_pct": g["error_pct"].apply(lambda x: float(x.iloc[int(np.abs(x).argmax())])),
    }).reset_index()


def drive_summary(error_pct: pd.Series | np.ndarray) -> dict[str, Any]:
    """Summary figures of drive rows from their errors in % (modelled − observed).

    ``drive_n``, ``drive_mape_pct`` (mean |error|), ``drive_bias_pct`` (mean error),
    ``drive_worst_pct`` (the largest error, with its sign) and ``drive_within_25_pct``
    (share of rows within ±25 %, in %); NaN when there is no row. Unreachable rows
    (non-finite errors) are left out.

    Examples
    --------
    >>> s = drive_summary(np.array([10.0, -30.0, 20.0, 0.0]))
    >>> s["drive_n"], s["drive_mape_pct"], s["drive_bias_pct"], s["drive_within_25_pct"]
    (4, 15.0, 0.0, 75.0)
    >>> s["drive_worst_pct"]
    -30.0
    """
    e = np.asarray(error_pct, dtype=np.float64)
    e = e[np.isfinite(e)]
    if not len(e):
        return {"drive_n": 0, "drive_mape_pct": math.nan, "drive_bias_pct": math.nan,
                "drive_worst_pct": math.nan, "drive_within_25_pct": math.nan}
    return {"drive_n": len(e), "drive_mape_pct": float(np.abs(e).mean()),
            "drive_bias_pct": float(e.mean()),
            "drive_worst_pct": float(e[int(np.abs(e).argmax())]),
            "drive_within_25_pct": float(100.0 * (np.abs(e) <= DRIVE_TOLERANCE_PCT).mean())}


def _check_observed_frame(obs: pd.DataFrame) -> pd.DataFrame:
    """Check a caller's observed-times frame as :func:`read_observed` checks a file's rows.

    Required columns ``from, to, observed_min``; each row validated by the file rows'
    model (names non-empty, minutes 0.1-1440, year, ``mode`` one of the modes or empty,
    blanks stripped and lower-cased as in a file) and ``all_stops`` a boolean (as
    pydantic reads one: ``"false"`` and ``0`` are False; NaN or ``"maybe"`` refused).
    One :class:`~corridor_geo.errors.ArgumentError` naming the column or row and field.
    """
    missing = [c for c in ("from", "to", "observed_min") if c not in obs.columns]
    if missing:
        raise ArgumentError(
            f"observed: DataFrame is missing column(s) {', '.join(missing)}; expected "
            "from, to, observed_min and optionally year, mode, all_stops (see read_observed)")
    if obs.empty:
        raise ArgumentError("observed: DataFrame has no rows")
    modes: list[str | None] = []
    stops: list[bool] = []
    as_bool = TypeAdapter(bool)
    for n, rec in enumerate(obs.to_dict("records"), start=1):
        record = {"from": rec["from"], "to": rec["to"], "minutes": rec["observed_min"]}
        for col in ("year", "mode"):
            v = rec.get(col)
            record[col] = None if v is None or (not isinstance(v, str) and pd.isna(v)) else v
        row = check_observed_row(record, row=n, where="observed",
                                 field_names={"minutes": "observed_min"})
        if row.mode is not None and row.mode.lower() not in _MODES:
            raise ArgumentError(f"observed: row {n}, field mode: got {row.mode!r}; "
                                f"expected one of {', '.join(_MODES)} or empty")
        # as read_observed: the validated value (blanks stripped), lower case, empty None
        modes.append(_MODE_OBJ.get(row.mode.lower()) if row.mode is not None else None)
        try:  # as pydantic reads a boolean: True/False, 1/0, "true"/"false", ...
            stops.append(as_bool.validate_python(rec.get("all_stops", False)))
        except ValidationError:
            raise ArgumentError(f"observed: row {n}, field all_stops: got "
                                f"{rec['all_stops']!r}; expected True or False") from None
    if "mode" in obs.columns:
        obs = obs.assign(mode=pd.Series(modes, index=obs.index, dtype=object))
    if "all_stops" in obs.columns:
        obs = obs.assign(all_stops=pd.Series(stops, index=obs.index, dtype=bool))
    return obs


def validate_times(corridor: Any, observed: str | Path | pd.DataFrame, *,
                   network: MultimodalNetwork | None = None,
                   street: Any = None, params: Any = None,
                   drive_parking: bool = False) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Modelled vs observed times per row, summary statistics and per-line bias.

    Parameters
    ----------
    corridor
        The :class:`~corridor_geo.corridor.Corridor`.
    observed
        Path of the user's CSV or a DataFrame with ``from, to, observed_min`` and
        optionally ``year``, ``mode`` and ``all_stops`` (True or False), the columns of
        :func:`read_observed`.
    network
        A prebuilt :class:`~corridor_geo.transit.MultimodalNetwork` used for the rows
        without a year (default: built from *corridor* with the default street network,
        or *street*). Rows with a year use a network built for that year: its rail
        lines and, on the default street network, its expressways (sections opened
        later are not recognised, ``geodata/expressway_openings.csv``); each year's
        network is built once.
    street
        Passed to :meth:`MultimodalNetwork.build` when a network is built, for every
        year (``False``: no walk network either, every leg uses the fallback). Default:
        the default street network of the row's year.
    params
        Model parameters passed to :meth:`MultimodalNetwork.build` (calibration).
    drive_parking
        ``False`` (default): ``mode=drive`` rows are compared with the modelled driving
        time (straight connectors from the places to the street network + the network
        route; comparison ``driving``), like published navigation "by car" figures.
        ``True``: with the door-to-door drive time, which adds
        ``MultimodalParameters.park_min`` (comparison ``door_to_door``).

    Returns
    -------
    rows : pandas.DataFrame
        ``from, to, from_id, to_id, year, mode, comparison`` (one of
        :data:`COMPARISONS`: ``station_to_station``, ``driving`` or ``door_to_door``),
        ``service, line, observed_min, modelled_min, error_min, error_pct``.
    summary : dict
        ``n, n_station_to_station, n_driving, n_door_to_door, n_unreachable, mae_min,
        mape_pct, bias_min`` (bias = mean of modelled − observed), ``rail_mape_pct``,
        ``rail_worst_pct``; over the ``mode=drive`` rows ``drive_n, drive_mape_pct,
        drive_bias_pct, drive_worst_pct`` and ``drive_within_25_pct`` (share of rows
        within ±25 %, in %); and ``per_line`` (records of :func:`per_line_bias`).

    Examples
    --------
    >>> rows, s = validate_times(corridor, "observed.csv", street=False)  # doctest: +SKIP
    """
    if not isinstance(observed, pd.DataFrame):
        check_path(observed, name="observed")
    check_has(corridor, ("resolve", "stations"), name="corridor",
              what="a Corridor (load_corridor())")
    obs = (_check_observed_frame(observed) if isinstance(observed, pd.DataFrame)
           else read_observed(observed))
    path = None if isinstance(observed, pd.DataFrame) else observed
    for col, default in (("year", None), ("mode", None), ("all_stops", False)):
        if col not in obs.columns:
            obs = obs.assign(**{col: default})
    nets: dict[int | None, tuple[Any, MultimodalNetwork]] = {}

    def net_for(year: int | None) -> tuple[Any, MultimodalNetwork]:
        # one network per year (rows are compared in input order, each year built once);
        # the default street network of a year has only the expressways open then
        if year not in nets:
            if year is None and network is not None:
                nets[year] = (corridor, network)
            else:
                c = _corridor_for(corridor, year)
                as_of = year if year is not None else getattr(c, "as_of", None)
                year_street = street
                if year_street is None:
                    from corridor_geo.graph import load_network

                    year_street = load_network(source="default", network_type="drive",
                                               as_of=as_of)
                nets[year] = (c, MultimodalNetwork.build(
                    c, street=year_street, params=params,
                    walk=False if year_street is False else None, as_of=as_of))
        return nets[year]

    rows = _compare(obs, net_for, path=path, drive_parking=bool(drive_parking))
    fin = rows[np.isfinite(rows["modelled_min"])]
    rail = fin[fin["comparison"] == "station_to_station"]
    drive = fin[fin["mode"] == "drive"]["error_pct"]
    summary: dict[str, Any] = {
        "n": len(rows),
        "n_station_to_station": int((rows["comparison"] == "station_to_station").sum()),
        "n_driving": int((rows["comparison"] == "driving").sum()),
        "n_door_to_door": int((rows["comparison"] == "door_to_door").sum()),
        "n_unreachable": int(len(rows) - len(fin)),
        "mae_min": float(fin["error_min"].abs().mean()) if len(fin) else math.nan,
        "mape_pct": float(fin["error_pct"].abs().mean()) if len(fin) else math.nan,
        "bias_min": float(fin["error_min"].mean()) if len(fin) else math.nan,
        "rail_mape_pct": float(rail["error_pct"].abs().mean()) if len(rail) else math.nan,
        "rail_worst_pct": float(rail["error_pct"].abs().max()) if len(rail) else math.nan,
        **drive_summary(drive),
        "per_line": per_line_bias(rows).to_dict("records"),
    }
    return rows, summary


#: Columns of :func:`compare_timetable`'s table.
TIMETABLE_COLUMNS = ("from_id", "to_id", "scheduled_min", "feed_service", "modelled_min",
                     "service", "line", "error_min", "error_pct")


def compare_timetable(network: MultimodalNetwork, timetable: Iterable[Any]
                      ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Compare the model's fastest trains with a timetable, station pair by station pair.

    For every ordered pair of stations that a service of *timetable* serves (in the
    order its trains run), the fastest scheduled in-vehicle time is compared with the
    model's fastest service from the one to the other
    (:meth:`MultimodalNetwork.fastest_in_vehicle`). Pairs with a station the model does
    not know, or no modelled service between them, are left out (counted in the summary).

    Parameters
    ----------
    network
        The model, built **without** the timetable (``MultimodalNetwork.build(corridor,
        street=False, walk=False)``), so that the two can differ.
    timetable
        Services of a feed, :func:`corridor_geo.gtfs.read_gtfs` with the corridor, so
        that its stops carry the corridor's station ids.

    Returns
    -------
    rows : pandas.DataFrame
        One row per compared pair, columns :data:`TIMETABLE_COLUMNS`; ``error`` is
        modelled − scheduled; ``line`` is the link of the model's service.
    summary : dict
        ``n``, ``n_pairs_in_feed``, ``n_not_modelled``, ``mape_pct`` (mean |error|),
        ``within_20_pct`` (share of pairs within ±20 %, in %), ``bias_pct``,
        ``worst_pct`` and ``per_line`` (records of :func:`per_line_bias`).

    Examples
    --------
    >>> from corridor_geo.gtfs import read_gtfs  # doctest: +SKIP
    >>> mm = MultimodalNetwork.build(corridor, street=False, walk=False)  # doctest: +SKIP
    >>> feed = read_gtfs("feed.zip", corridor=corridor)  # doctest: +SKIP
    >>> rows, summary = compare_timetable(mm, feed)  # doctest: +SKIP
    >>> summary["mape_pct"]  # doctest: +SKIP
    """
    if not isinstance(network, MultimodalNetwork):
        raise ArgumentError("network must be a MultimodalNetwork (MultimodalNetwork.build()), "
                            f"got {type(network).__name__}")
    best: dict[tuple[str, str], tuple[float, str]] = {}
    for svc in timetable:
        for a, b in itertools.permutations(svc.stops, 2):
            if svc.runs(a, b):
                t = svc.in_vehicle_min(a, b)
                if (a, b) not in best or t < best[a, b][0]:
                    best[a, b] = (t, svc.id)
    known = set(network.stations["id"][network.stations["kind"] == "station"])
    rows = []
    for (a, b), (sched, feed_id) in sorted(best.items()):
        got = network.fastest_in_vehicle(a, b) if a in known and b in known else None
        if got is None or sched <= 0:
            continue
        modelled, svc = got
        rows.append((a, b, sched, feed_id, modelled, svc.id, svc.link_id, modelled - sched,
                     100.0 * (modelled - sched) / sched))
    df = pd.DataFrame(rows, columns=list(TIMETABLE_COLUMNS))
    e = df["error_pct"].to_numpy(float)
    summary: dict[str, Any] = {
        "n": len(df), "n_pairs_in_feed": len(best), "n_not_modelled": len(best) - len(df),
        "mape_pct": float(np.abs(e).mean()) if len(e) else math.nan,
        "within_20_pct": float(100.0 * (np.abs(e) <= 20.0).mean()) if len(e) else math.nan,
        "bias_pct": float(e.mean()) if len(e) else math.nan,
        "worst_pct": float(e[int(np.abs(e).argmax())]) if len(e) else math.nan,
        "per_line": per_line_bias(df).to_dict("records") if len(df) else [],
    }
    return df, summary
