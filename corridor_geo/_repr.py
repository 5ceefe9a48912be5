"""Short text and HTML summaries of result objects (``__repr__`` and ``_repr_html_``).

Result objects hold tables of thousands of rows, geometries and networks; printing them
field by field (the dataclass default) gives reprs of tens of thousands of characters. Each
public result class instead describes itself as a list of ``(label, value)`` pairs; this
module turns that list into a one-line repr and a small HTML table for Jupyter (the same
idea as GeoDataFrame's summary, but of counts and key figures, never of the data).

Examples
--------
>>> summary_text("Thing", [("rows", 3), ("area (km²)", 11996.04)])
'<Thing: rows=3, area (km²)=11,996.0>'
>>> "<table" in summary_html("Thing", [("rows", 3)])
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["MAX_REPR", "YEAR_LABELS", "comparison_items", "fmt", "reach_text",
           "resolved_items", "run_items", "summary_html", "summary_text"]

#: longest repr text (characters); longer values are cut with "…".
MAX_REPR = 300
_MAX_VALUE = 80

Items = Sequence[tuple[str, object]]


def fmt(value: object) -> str:
    """Format one summary value: thousands separators, one decimal for floats, short text."""
    if value is None:
        text = "–"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = "–" if math.isnan(value) else f"{value:,.1f}"
    elif isinstance(value, list | tuple | set | frozenset):
        parts = [str(v) for v in (sorted(value) if isinstance(value, set | frozenset)
                                  else value)]
        text = ", ".join(parts) if parts else "–"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


#: labels whose integer value is a year: shown as 2025, never with a separator (2,025)
YEAR_LABELS = frozenset({"as_of", "year"})


def _item(label: str, value: object) -> str:
    if label in YEAR_LABELS and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return fmt(value)


def summary_text(title: str, items: Items) -> str:
    """Return a one-line repr ``<Title: label=value, ...>`` of at most :data:`MAX_REPR` chars.

    Examples
    --------
    >>> summary_text("Run", [("as_of", 2025), ("rows", 2025)])
    '<Run: as_of=2025, rows=2,025>'
    """
    body = ", ".join(f"{k}={_item(k, v)}" for k, v in items)
    text = f"<{title}: {body}>" if body else f"<{title}>"
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 2] + "…>"


def summary_html(title: str, items: Items, *, note: str | None = None) -> str:
    """Return a small HTML table (title, one row per item, optional note); text is escaped."""
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
        f"<td style='text-align:left'>{html.escape(_item(k, v))}</td></tr>"
        for k, v in items
    )
    foot = f"<p style='margin:2px 0'><small>{html.escape(note)}</small></p>" if note else ""
    return (f"<div><strong>{html.escape(title)}</strong>"
            f"<table>{rows}</table>{foot}</div>")


# --------------------------------------------------------------------------- scenarios
def resolved_items(r: Any) -> list[tuple[str, object]]:
    """Summary of a :class:`~corridor_geo.scenario.ResolvedScenario`."""
    s = r.scenario
    return [("name", s.name), ("as_of", s.as_of), ("origins", len(r.origins)),
            ("destinations", len(r.destinations)), ("modes", list(s.modes)),
            ("bands (min)", [f"{b:g}" for b in s.bands]),
            ("network", r.network_source),
            ("timetable", "model" if r.timetable is None else r.timetable.name)]


def run_items(r: Any) -> list[tuple[str, object]]:
    """Summary of a :class:`~corridor_geo.scenario.RunResult`."""
    s = r.scenario.scenario
    m, c = r.matrix, r.catchments
    return [("scenario", s.name), ("as_of", s.as_of), ("modes", list(s.modes)),
            ("bands (min)", [f"{b:g}" for b in s.bands]),
            ("origins", len(r.scenario.origins)),
            ("matrix rows", len(m)), ("catchment polygons", len(c)),
            ("out", None if r.out is None else str(r.out))]


def reach_text(st: dict[str, Any]) -> str:
    """Pairs whose reachability changed, as text (``""`` when none did).

    Examples
    --------
    >>> reach_text({"n_no_longer_reachable": 2, "n_newly_reachable": 0})
    ', 2 no longer reachable'
    >>> reach_text({"n_newly_reachable": 1, "n_unreachable_both": 28})
    ', 1 newly reachable, 28 unreachable in both'
    """
    parts = [f"{st[k]} {what}" for k, what in (("n_no_longer_reachable", "no longer reachable"),
                                                ("n_newly_reachable", "newly reachable"),
                                                ("n_unreachable_both", "unreachable in both"))
             if st.get(k)]
    return "".join(f", {p}" for p in parts)


def comparison_items(c: Any) -> list[tuple[str, object]]:
    """Summary of a :class:`~corridor_geo.scenario.Comparison`: per mode and per band."""
    summary = c.summary
    items: list[tuple[str, object]] = [
        ("base", summary["base"]["name"]), ("scenario", summary["scenario"]["name"])]
    for mode, st in summary["matrix_changes"].items():
        items.append((f"{mode} pairs", f"{st['n_faster']} faster, {st['n_slower']} slower "
                                       f"of {st['n_pairs']}{reach_text(st)}"))
    bands: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for row in summary["catchment_changes"]:
        bands.setdefault((str(row["mode"]), float(row["band_min"])), []).append(row)
    for (mode, band), rows in sorted(bands.items()):
        gained = sum(float(r["gained_km2"]) for r in rows)
        lost = sum(float(r["lost_km2"]) for r in rows)
        items.append((f"{mode} {band:g} min", f"+{gained:,.1f} / -{lost:,.1f} km² "
                                              f"({len(rows)} origin{'s' * (len(rows) != 1)})"))
    items.append(("out", None if c.out is None else str(c.out)))
    return items
