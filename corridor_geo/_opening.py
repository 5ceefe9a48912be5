"""Why a station of the bundled data is not served in the corridor's as-of year.

Used by :meth:`corridor_geo.corridor.Corridor.resolve` so that asking for a station
that exists but is not open (Futian before 2015, Baiyun Airport East, a station of a
planned line) gives a message naming the year it opens instead of "unknown station".
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["opening_year"]


def _year(v: Any) -> int | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return None
    return int(v)


def opening_year(data: Any, station_id: str) -> tuple[int | None, str]:
    """Return the first year *station_id* is served on any line, and an explanation.

    Examples
    --------
    >>> from corridor_geo.data import read_geodata
    >>> opening_year(read_geodata(), "st_futian")[0]
    2015
    """
    ls = data.link_stops[data.link_stops["link_id"].notna()
                         & (data.link_stops["stop_id"] == station_id)]
    links = data.links.set_index("id")
    best: tuple[int, str] | None = None
    notes = []
    for r in ls.itertuples(index=False):
        link = links.loc[r.link_id]
        status = str(getattr(r, "status", "open") or "open")
        if status != "open":
            notes.append(f"built but not open on {r.link_id}"
                         + (f" ({r.note})" if getattr(r, "note", "") else ""))
            continue
        if str(link["status"]) != "open":
            notes.append(f"on {r.link_id}, which is {str(link['status']).replace('_', ' ')}"
                         + (f" ({str(link['notes']).split(';')[0]})" if link.get("notes")
                            else ""))
            continue
        years = [y for y in (_year(link["opened"]), _year(getattr(r, "opened", None)))
                 if y is not None]
        if years and (best is None or max(years) < best[0]):
            best = (max(years), r.link_id)
    if best is not None:
        return best[0], f"opens in {best[0]} (on {best[1]})"
    return None, "; ".join(notes) or "has no passenger service in the data"
