r"""Streamed text output of large tables for the CLI.

``validate-times`` on a million rows printed its table through one
``DataFrame.to_string`` (about 3 GB held at once) and its JSON through one
``json.dumps`` of a list of dicts (about 5 GB). These helpers give the same text in
pieces of a few thousand rows: :func:`table_lines` the lines ``to_string(index=False)``
prints for a frame of text, integer and float columns (floats as rounded by the caller,
one decimal), :func:`json_chunks` the text ``json.dumps(..., indent=2)`` writes for
``{"rows": [...], **rest}``. pandas and the json module have no streaming form of
either, hence these few lines; the tests check both against them.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"id": ["a", "bcd"], "min": [1.25, float("nan")]})
>>> print("\n".join(table_lines(df, decimals=1)))
 id  min
  a  1.2
bcd  NaN
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["dumps", "json_chunks", "table_lines"]

#: rows formatted at a time
CHUNK_ROWS = 20_000


def _formatter(col: pd.Series, decimals: int) -> Callable[[pd.Series], list[str]]:
    """Return how a column's values are written (as ``DataFrame.to_string`` does)."""
    if pd.api.types.is_float_dtype(col.dtype):
        def fmt_float(s: pd.Series) -> list[str]:
            v = np.round(s.to_numpy(dtype=np.float64), decimals)
            return ["NaN" if x != x else f"{x:.{decimals}f}" for x in v.tolist()]
        return fmt_float
    if isinstance(col.dtype, pd.Int64Dtype):
        def fmt_int(s: pd.Series) -> list[str]:
            return ["<NA>" if x is pd.NA else str(x) for x in s.tolist()]
        return fmt_int
    return lambda s: [str(x) for x in s.tolist()]


def table_lines(df: pd.DataFrame, *, decimals: int = 1,
                chunk: int = CHUNK_ROWS) -> Iterator[str]:
    """Yield the lines of ``df.round(decimals).to_string(index=False)``, a chunk at a time.

    Columns are right-aligned to their widest value or header (with one space before
    the header of a numeric column) and separated by one space. Two passes over the
    rows (widths, then text), so at most *chunk* rows are formatted at once.
    """
    fmts = {c: _formatter(df[c], decimals) for c in df.columns}
    # pandas puts one space before the header of a numeric column
    label = {c: (" " if pd.api.types.is_numeric_dtype(df[c].dtype) else "") + str(c)
             for c in df.columns}
    width = {c: len(label[c]) for c in df.columns}
    for i in range(0, len(df), chunk):
        part = df.iloc[i:i + chunk]
        for c in df.columns:
            width[c] = max(width[c], max((len(t) for t in fmts[c](part[c])), default=0))
    yield " ".join(label[c].rjust(width[c]) for c in df.columns)
    for i in range(0, len(df), chunk):
        part = df.iloc[i:i + chunk]
        cols = [[t.rjust(width[c]) for t in fmts[c](part[c])] for c in df.columns]
        yield from (" ".join(cells) for cells in zip(*cols, strict=True))


def dumps(obj: Any) -> str:
    """Return *obj* as the CLI's JSON text (UTF-8 kept, 2-space indent, no NaN)."""
    return json.dumps(obj, ensure_ascii=False, indent=2, allow_nan=False)


def json_chunks(rows: Iterator[Mapping[str, Any]], rest: Mapping[str, Any]) -> Iterator[str]:
    """Yield ``json.dumps({"rows": list(rows), **rest}, ensure_ascii=False, indent=2)``.

    The rows are serialised one at a time; *rows* must not be empty (``"rows": []``
    is written inline by ``json.dumps``).
    """
    yield '{\n  "rows": ['
    sep = "\n"
    for row in rows:
        yield sep + "\n".join("    " + line for line in dumps(row).split("\n"))
        sep = ",\n"
    yield "\n  ]"
    for key, value in rest.items():
        body = dumps(value).replace("\n", "\n  ")
        yield f",\n  {dumps(key)}: {body}"
    yield "\n}"
