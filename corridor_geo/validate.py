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
['bias_min', 'mae_min', 'mape_pct', 'n', 'n_door_to_door', 'n_station_to_station']
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_geo.errors import DataValidationError, UnknownIdError
from corridor_geo.transit import MultimodalNetwork, travel_time_matrix

__all__ = ["read_observed", "validate_times"]


def read_observed(path: str | Path) -> pd.DataFrame:
    """Read ``from,to,minutes`` (extra columns ignored) into a DataFrame, validating rows.

    Examples
    --------
    >>> read_observed("observed.csv").columns.tolist()  # doctest: +SKIP
    ['from', 'to', 'observed_min']
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = [(c or "").strip() for c in (reader.fieldnames or [])]
        for need in ("from", "to", "minutes"):
            if need not in cols:
                raise DataValidationError(f"missing column {need!r}; expected a header "
                                          "with from,to,minutes", path=path, field=need)
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
            rows.append({"from": r["from"], "to": r["to"], "observed_min": minutes})
    if not rows:
        raise DataValidationError("no data rows", path=path)
    return pd.DataFrame(rows)


def validate_times(corridor: Any, observed: str | Path | pd.DataFrame, *,
                   network: MultimodalNetwork | None = None,
                   street: Any = None) -> tuple[pd.DataFrame, dict[str, float]]:
    """Modelled vs observed times per row, and summary statistics.

    Parameters
    ----------
    corridor
        The :class:`~corridor_geo.corridor.Corridor`.
    observed
        Path of the user's CSV or a DataFrame with ``from, to, observed_min``.
    network
        A prebuilt :class:`~corridor_geo.transit.MultimodalNetwork` (default: built
        from *corridor* with the default street network, or *street*).
    street
        Passed to :meth:`MultimodalNetwork.build` when *network* is None.

    Returns
    -------
    rows : pandas.DataFrame
        ``from, to, from_id, to_id, comparison`` (``station_to_station`` or
        ``door_to_door``), ``service, observed_min, modelled_min, error_min, error_pct``.
    summary : dict
        ``n, n_station_to_station, n_door_to_door, mae_min, mape_pct, bias_min``
        (bias = mean of modelled − observed).

    Examples
    --------
    >>> rows, s = validate_times(corridor, "observed.csv", street=False)  # doctest: +SKIP
    """
    obs = observed if isinstance(observed, pd.DataFrame) else read_observed(observed)
    path = None if isinstance(observed, pd.DataFrame) else observed
    mm = network or MultimodalNetwork.build(corridor, street=street)
    out = []
    for n, r in enumerate(obs.itertuples(index=False), start=1):
        ids = []
        for f, q in (("from", r[0]), ("to", r[1])):
            try:
                # observed times name stations: "福田" is Futian station, not the district
                ids.append(corridor.resolve(str(q), districts=False))
            except UnknownIdError as exc:
                raise DataValidationError(str(exc), path=path, row=n, field=f) from None
        a, b = ids
        fastest = mm.fastest_in_vehicle(a, b)
        if fastest is not None:
            modelled, svc = fastest
            comparison, service = "station_to_station", svc.id
        else:
            cell = travel_time_matrix(corridor, [a], [b], mode="best", network=mm).iloc[0]
            modelled, comparison, service = float(cell["minutes"]), "door_to_door", cell["mode"]
        obs_min = float(r.observed_min)
        err = modelled - obs_min
        out.append({"from": r[0], "to": r[1], "from_id": a, "to_id": b,
                    "comparison": comparison, "service": service, "observed_min": obs_min,
                    "modelled_min": modelled, "error_min": err,
                    "error_pct": 100.0 * err / obs_min})
    rows = pd.DataFrame(out)
    fin = rows[np.isfinite(rows["modelled_min"])]
    summary = {
        "n": len(rows),
        "n_station_to_station": int((rows["comparison"] == "station_to_station").sum()),
        "n_door_to_door": int((rows["comparison"] == "door_to_door").sum()),
        "n_unreachable": int(len(rows) - len(fin)),
        "mae_min": float(fin["error_min"].abs().mean()) if len(fin) else math.nan,
        "mape_pct": float(fin["error_pct"].abs().mean()) if len(fin) else math.nan,
        "bias_min": float(fin["error_min"].mean()) if len(fin) else math.nan,
    }
    return rows, summary
