"""Compare modelled travel times with a user's observed times.

The user's table is a CSV with columns ``from,to,minutes`` (stations, platforms or nodes
by id, English or Chinese name; extra columns ignored). When both ends are stations
served by a common rail service, the observed figure is read as a scheduled
station-to-station time and compared with the modelled in-vehicle time of the fastest
such service; otherwise it is compared with the door-to-door ``best`` time.

Examples
--------
>>> from corridor_geo.corridor import load_corridor  # doctest: +SKIP
>>> rows, summary = validate_times(load_corridor(), "observed.csv")  # doctest: +SKIP
>>> sorted(summary)  # doctest: +SKIP
['bias_min', 'mae_min', 'mape_pct', 'n', 'n_door_to_door', 'n_station_to_station', ...]
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_geo.errors import DataValidationError, UnknownIdError
from corridor_geo.transit import MultimodalNetwork, travel_time_matrix

__all__ = ["per_line_bias", "read_observed", "validate_times"]


# ``rail``, or a mode of the travel-time matrix (drive, transit, park_and_ride, best)
_MODES = ("rail", "drive", "transit", "park_and_ride", "best")
# an optional free-text ``kind`` column saying the figure is for a stopping train
_ALL_STOPS = re.compile(r"all[- ]?stops|stopping|站站停|slowest", re.IGNORECASE)


def read_observed(path: str | Path) -> pd.DataFrame:
    """Read ``from,to,minutes[,year][,mode][,kind]`` (extra columns ignored), validating rows.

    ``year`` (optional) is the as-of year of the row (the network of that year is used);
    ``mode`` (optional) is ``rail`` (scheduled station-to-station time), ``drive``,
    ``transit`` (walk + rail + walk), ``park_and_ride`` (drive and park + rail + walk)
    or ``best`` (door to door, as in the travel-time matrix). Empty cells mean "not given".
    ``kind`` (optional, free text): when it says the figure is for a stopping train
    ("all-stops", "stopping", "站站停", "slowest"), the row is compared with the
    all-stops service instead of the fastest one (``all_stops`` column).

    Examples
    --------
    >>> read_observed("observed.csv").columns.tolist()  # doctest: +SKIP
    ['from', 'to', 'observed_min', 'year', 'mode', 'all_stops']
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = [(c or "").strip() for c in (reader.fieldnames or [])]
        for need in ("from", "to", "minutes"):
            if need not in cols:
                raise DataValidationError(f"missing column {need!r}; expected a header "
                                          "with from,to,minutes[,year][,mode]", path=path,
                                          field=need)
        rows = []
        for n, raw in enumerate(reader, start=1):
            r = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            try:
                minutes = float(r["minutes"])
            except ValueError:
                raise DataValidationError(f"expected a number of minutes, got {r['minutes']!r}",
                                          path=path, row=n, field="minutes") from None
            if not (math.isfinite(minutes) and minutes > 0):
                raise DataValidationError(f"expected minutes > 0, got {r['minutes']!r}",
                                          path=path, row=n, field="minutes")
            for f in ("from", "to"):
                if not r[f]:
                    raise DataValidationError("empty place", path=path, row=n, field=f)
            year: int | None = None
            if r.get("year"):
                if not r["year"].isdigit() or not 1800 <= int(r["year"]) <= 2100:
                    raise DataValidationError(f"expected a year such as 2021, got "
                                              f"{r['year']!r}", path=path, row=n, field="year")
                year = int(r["year"])
            mode = (r.get("mode") or "").lower() or None
            if mode is not None and mode not in _MODES:
                raise DataValidationError(f"got {r['mode']!r}; expected one of "
                                          f"{', '.join(_MODES)} or empty", path=path, row=n,
                                          field="mode")
            rows.append({"from": r["from"], "to": r["to"], "observed_min": minutes,
                         "year": year, "mode": mode,
                         "all_stops": bool(_ALL_STOPS.search(r.get("kind") or ""))})
    if not rows:
        raise DataValidationError("no data rows", path=path)
    df = pd.DataFrame(rows)
    df["year"] = df["year"].astype("Int64")
    return df


def _corridor_for(corridor: Any, year: int | None) -> Any:
    """Return the corridor as of *year* (same data, links switched on/off, extra nodes)."""
    if year is None or not hasattr(corridor, "at_year"):
        return corridor
    return corridor.at_year(year)


def _stopping(mm: MultimodalNetwork, a: str, b: str) -> tuple[float, Any] | None:
    """In-vehicle time of the service stopping at both with the most stops between them."""
    best: tuple[int, float, Any] | None = None
    for svc in mm.services:
        if a in svc.stops and b in svc.stops and a != b:
            n = abs(svc.stops.index(a) - svc.stops.index(b))
            t = svc.in_vehicle_min(a, b)
            if best is None or (n, -t) > (best[0], -best[1]):
                best = (n, t, svc)
    return None if best is None else (best[1], best[2])


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


def validate_times(corridor: Any, observed: str | Path | pd.DataFrame, *,
                   network: MultimodalNetwork | None = None,
                   street: Any = None, params: Any = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Modelled vs observed times per row, summary statistics and per-line bias.

    Parameters
    ----------
    corridor
        The :class:`~corridor_geo.corridor.Corridor`.
    observed
        Path of the user's CSV or a DataFrame with ``from, to, observed_min`` and
        optionally ``year`` and ``mode`` (see :func:`read_observed`).
    network
        A prebuilt :class:`~corridor_geo.transit.MultimodalNetwork` used for the rows
        without a year (default: built from *corridor* with the default street network,
        or *street*). Rows with a year use a network built for that year.
    street
        Passed to :meth:`MultimodalNetwork.build` when a network is built (``False``:
        no walk network either, every leg uses the fallback).
    params
        Model parameters passed to :meth:`MultimodalNetwork.build` (calibration).

    Returns
    -------
    rows : pandas.DataFrame
        ``from, to, from_id, to_id, year, mode, comparison`` (``station_to_station`` or
        ``door_to_door``), ``service, line, observed_min, modelled_min, error_min,
        error_pct``.
    summary : dict
        ``n, n_station_to_station, n_door_to_door, n_unreachable, mae_min, mape_pct,
        bias_min`` (bias = mean of modelled − observed), ``rail_mape_pct``,
        ``rail_worst_pct`` and ``per_line`` (records of :func:`per_line_bias`).

    Examples
    --------
    >>> rows, s = validate_times(corridor, "observed.csv", street=False)  # doctest: +SKIP
    """
    obs = observed if isinstance(observed, pd.DataFrame) else read_observed(observed)
    path = None if isinstance(observed, pd.DataFrame) else observed
    for col, default in (("year", None), ("mode", None), ("all_stops", False)):
        if col not in obs.columns:
            obs = obs.assign(**{col: default})
    nets: dict[int | None, tuple[Any, MultimodalNetwork]] = {}
    loaded_street = street

    def net_for(year: int | None) -> tuple[Any, MultimodalNetwork]:
        nonlocal loaded_street
        if year not in nets:
            if year is None and network is not None:
                nets[year] = (corridor, network)
            else:
                c = _corridor_for(corridor, year)
                if loaded_street is None:
                    from corridor_geo.graph import load_network

                    loaded_street = load_network(source="default", network_type="drive")
                nets[year] = (c, MultimodalNetwork.build(
                    c, street=loaded_street, params=params,
                    walk=False if loaded_street is False else None,
                    as_of=year if year is not None else None))
        return nets[year]

    out = []
    for n, r in enumerate(obs.to_dict("records"), start=1):
        year = None if pd.isna(r["year"]) else int(r["year"])
        mode = None if r["mode"] is None or (isinstance(r["mode"], float)
                                             and math.isnan(r["mode"])) else str(r["mode"])
        c, mm = net_for(year)
        ids = []
        for f in ("from", "to"):
            try:
                # observed times name stations: "福田" is Futian station, not the district
                ids.append(c.resolve(str(r[f]), districts=False))
            except UnknownIdError as exc:
                raise DataValidationError(str(exc), path=path, row=n, field=f) from None
        a, b = ids
        fastest = mm.fastest_in_vehicle(a, b) if mode in (None, "rail") else None
        if fastest is not None and bool(r["all_stops"]):
            fastest = _stopping(mm, a, b) or fastest
        if fastest is not None:
            modelled, svc = fastest
            comparison, service, line = "station_to_station", svc.id, svc.link_id
        elif mode == "rail":
            raise DataValidationError(
                f"no rail service stops at both {a} and {b}"
                + (f" in {year}" if year is not None else ""), path=path, row=n, field="to")
        else:
            m = mode or "best"
            cell = travel_time_matrix(c, [a], [b], mode=m, network=mm).iloc[0]
            modelled, comparison = float(cell["minutes"]), "door_to_door"
            service = str(cell["mode"])
            line = m
        obs_min = float(r["observed_min"])
        err = modelled - obs_min
        out.append({"from": r["from"], "to": r["to"], "from_id": a, "to_id": b,
                    "year": year, "mode": mode or "", "comparison": comparison,
                    "service": service, "line": line, "observed_min": obs_min,
                    "modelled_min": modelled, "error_min": err,
                    "error_pct": 100.0 * err / obs_min})
    rows = pd.DataFrame(out)
    rows["year"] = rows["year"].astype("Int64")
    fin = rows[np.isfinite(rows["modelled_min"])]
    rail = fin[fin["comparison"] == "station_to_station"]
    summary: dict[str, Any] = {
        "n": len(rows),
        "n_station_to_station": int((rows["comparison"] == "station_to_station").sum()),
        "n_door_to_door": int((rows["comparison"] == "door_to_door").sum()),
        "n_unreachable": int(len(rows) - len(fin)),
        "mae_min": float(fin["error_min"].abs().mean()) if len(fin) else math.nan,
        "mape_pct": float(fin["error_pct"].abs().mean()) if len(fin) else math.nan,
        "bias_min": float(fin["error_min"].mean()) if len(fin) else math.nan,
        "rail_mape_pct": float(rail["error_pct"].abs().mean()) if len(rail) else math.nan,
        "rail_worst_pct": float(rail["error_pct"].abs().max()) if len(rail) else math.nan,
        "per_line": per_line_bias(rows).to_dict("records"),
    }
    return rows, summary
