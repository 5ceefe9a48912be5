"""The example scenarios' outputs are pinned (matrix.csv, summary.json).

The fixtures in ``tests/fixtures/scenario_outputs/`` were generated from the code before
the routing refactor (issue 10); a change here is a change of behaviour. Regenerate them
only for a deliberate, documented change: ``python scripts/make_scenario_fixtures.py``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "scenario_outputs"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def _generator():
    spec = importlib.util.spec_from_file_location("make_scenario_fixtures",
                                                  ROOT / "scripts" / "make_scenario_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_example_scenario_has_fixtures():
    assert SCENARIOS
    assert sorted(p.name for p in FIXTURES.iterdir()) == [p.stem for p in SCENARIOS]


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_example_scenario_outputs_unchanged(path, tmp_path):
    matrix, summary = _generator().scenario_outputs(path, tmp_path)
    want = FIXTURES / path.stem
    assert matrix == (want / "matrix.csv").read_text(encoding="utf-8")
    assert summary == json.loads((want / "summary.json").read_text(encoding="utf-8"))
