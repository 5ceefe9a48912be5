"""Pairs faster, slower and unreachable between two runs, per mode.

One count serves ``compare``'s ``summary.json`` / ``report.md`` and the comparison map's
panel (:func:`corridor_geo.maps.add_comparison_panel`), so the two always agree.

Examples
--------
>>> import numpy as np, pandas as pd
>>> mc = pd.DataFrame({"from_id": ["a", "a", "b", "a"], "to_id": ["b", "c", "c", "a"],
...                    "mode": ["drive"] * 4, "minutes_base": [10, np.inf, np.inf, 0],
...                    "minutes_scenario": [8, 12, np.inf, 0]})
>>> mc["change_min"] = mc["minutes_scenario"] - mc["minutes_base"]
>>> st = pair_counts(mc)["drive"]
>>> st["n_pairs"], st["n_faster"], st["n_newly_reachable"], st["n_unreachable_both"]
(3, 1, 1, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["pair_counts"]

#: A change smaller than this (minutes) is no change.
_EPS_MIN = 1e-9


def pair_counts(changes: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Count per mode the pairs faster, slower, newly / no longer / never reachable.

    *changes* has ``mode`` and ``change_min`` (scenario − base), best with
    ``minutes_base`` and ``minutes_scenario``: a pair is reached in a run where its
    minutes are finite, and a pair in one run only (NaN minutes) is left out. Without
    them, a change of +inf is a pair no longer reachable, −inf one newly reachable, and
    NaN cannot be told (unreachable in both, or in one run only): left out. Self-pairs
    (``from_id == to_id``) are no pairs.
    Only pairs reached in both runs are faster or slower; ``n_pairs`` counts every pair.
    ``changes_min`` holds the changes of the pairs reached in both runs.
    """
    if {"from_id", "to_id"} <= set(changes.columns):
        changes = changes[changes["from_id"].astype(str) != changes["to_id"].astype(str)]
    ch = pd.to_numeric(changes["change_min"], errors="coerce").to_numpy(dtype=float)
    if {"minutes_base", "minutes_scenario"} <= set(changes.columns):
        base = pd.to_numeric(changes["minutes_base"], errors="coerce").to_numpy(dtype=float)
        scen = pd.to_numeric(changes["minutes_scenario"], errors="coerce").to_numpy(
            dtype=float)
        known = ~np.isnan(base) & ~np.isnan(scen)
        ok_b, ok_s = np.isfinite(base), np.isfinite(scen)
    else:
        known = ~np.isnan(ch)
        ok_b, ok_s = ch != -np.inf, ch != np.inf
    modes = changes["mode"].astype(str).to_numpy()
    out: dict[str, dict[str, Any]] = {}
    for mode in sorted(set(modes[known].tolist())):
        sel = known & (modes == mode)
        c = ch[sel & ok_b & ok_s]
        out[mode] = {
            "n_pairs": int(sel.sum()),
            "n_faster": int((c < -_EPS_MIN).sum()),
            "n_slower": int((c > _EPS_MIN).sum()),
            "n_newly_reachable": int((sel & ~ok_b & ok_s).sum()),
            "n_no_longer_reachable": int((sel & ok_b & ~ok_s).sum()),
            "n_unreachable_both": int((sel & ~ok_b & ~ok_s).sum()),
            "changes_min": c,
        }
    return out
