"""Tests of corridor_geo.cli._output against pandas and the json module."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from corridor_geo.cli._output import json_chunks, table_lines


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    vals = rng.normal(0, 40, n)
    vals[rng.random(n) < 0.1] = np.nan
    special = [np.inf, -0.04, 1e6 + 0.25]  # inf, a negative zero after rounding, a wide one
    vals[:min(n, 3)] = special[:min(n, 3)]
    years = pd.array([None if rng.random() < 0.2 else int(y)
                      for y in rng.integers(2000, 2030, n)], dtype="Int64")
    names = rng.choice(["福田", "深圳北", "a", "point_113.900000_22.500000", ""], n)
    return pd.DataFrame({"from": names, "year": years, "modelled_min": vals,
                         "a_long_numeric_header": rng.normal(0, 1, n),
                         "n": rng.integers(-5, 500, n), "s": rng.choice(["x", "yy"], n)})


@pytest.mark.parametrize(("n", "chunk"), [(1, 20_000), (10, 3), (257, 16), (1000, 999)])
def test_table_lines_are_the_lines_pandas_prints(n, chunk):
    df = _frame(n, seed=n)
    expected = df.round(1).to_string(index=False)
    assert "\n".join(table_lines(df, decimals=1, chunk=chunk)) == expected


def test_table_lines_with_two_decimals():
    df = _frame(50, seed=7)
    assert "\n".join(table_lines(df, decimals=2, chunk=7)) == df.round(2).to_string(index=False)


def test_json_chunks_are_the_text_json_dumps_writes():
    rows = [{"from": "福田", "to": "深圳北", "year": None, "minutes": 11.3, "n": 3,
             "note": 'a "quoted"\nline'},
            {"from": "a", "to": "b", "year": 2021, "minutes": -0.0, "n": 0, "note": ""},
            {"from": "c", "to": "d", "year": 2021, "minutes": 1e6, "n": 1, "note": "x"}]
    rest = {"summary": {"n": 3, "per_line": [{"line": "gsh_xrl", "bias": 1.5}], "empty": {},
                        "none": None}}
    text = "".join(json_chunks(iter(rows), rest))
    assert text == json.dumps({"rows": rows, **rest}, ensure_ascii=False, indent=2)
    assert json.loads(text)["rows"] == rows
    with pytest.raises(ValueError, match="Out of range float"):  # NaN is refused, as before
        "".join(json_chunks(iter([{"m": float("nan")}]), {}))
