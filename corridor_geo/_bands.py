"""The one rule for catchment bands, shared by the API, the CLI and scenario files.

Bands are the upper limits of the travel-time bands in minutes: positive, finite and
**strictly increasing** as given. A list out of order (``60,30``) or with a repeated
value is rejected with the same message everywhere instead of being silently sorted in
one place and rejected in another (issue 15): the order a user writes is the order of the
columns and legends they get, so guessing it would hide a typo.

Examples
--------
>>> check_bands([15, 30, 60])
[15.0, 30.0, 60.0]
>>> check_bands([60, 30])
Traceback (most recent call last):
...
ValueError: must be strictly increasing (got 60, 30)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

from corridor_geo._args import describe

__all__ = ["check_bands"]


def check_bands(values: Iterable[object]) -> list[float]:
    """Return the bands as floats, or raise ``ValueError`` saying what was expected."""
    raw = list(values) if not isinstance(values, str | bytes) else [values]
    vals = []
    for v in raw:
        try:
            vals.append(float(v))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"must be numbers of minutes (got {describe(v)}, item "
                             f"{len(vals) + 1} of {len(raw)})") from None
    if not vals:
        raise ValueError("must hold at least one band in minutes")
    if any(not (math.isfinite(v) and v > 0) for v in vals):
        raise ValueError(f"must be positive minutes (got {', '.join(f'{v:g}' for v in vals)})")
    for a, b in itertools.pairwise(vals):
        if b <= a:
            raise ValueError("must be strictly increasing "
                             f"(got {', '.join(f'{v:g}' for v in vals)})")
    return vals
