"""Regenerate tests/fixtures/scenario_outputs/ from the example scenarios.

The fixtures pin the outputs of ``scenarios/*.yaml`` (``matrix.csv`` and
``summary.json`` without the inputs hash and version) so that refactors cannot change
behaviour unnoticed (``tests/test_scenario_outputs.py``). Regenerate them ONLY for a
deliberate, documented change of the model or of the bundled data, and say so in the
commit message::

    python scripts/make_scenario_fixtures.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "scenario_outputs"
#: Fields of summary.json that change with any edit of the package or data.
VOLATILE = ("inputs_hash", "corridor_geo_version")


def scenario_outputs(path: Path, work: Path) -> tuple[str, dict]:
    """``(matrix.csv text, summary without volatile fields)`` of one scenario file."""
    from corridor_geo.scenario import Scenario, run_scenario

    s = Scenario.from_yaml(path)
    outputs = s.outputs.model_copy(update={"map": False, "report": False,
                                           "catchments": False, "matrix": True})
    s = s.model_copy(update={"outputs": outputs})
    out = work / path.stem
    run_scenario(s, out=out, progress=False)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in VOLATILE:
        summary.pop(key, None)
    return (out / "matrix.csv").read_text(encoding="utf-8"), summary


def main() -> int:
    """Write the fixtures of every example scenario."""
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted((ROOT / "scenarios").glob("*.yaml")):
            matrix, summary = scenario_outputs(path, Path(tmp))
            dest = OUT / path.stem
            dest.mkdir(parents=True, exist_ok=True)
            (dest / "matrix.csv").write_text(matrix, encoding="utf-8")
            (dest / "summary.json").write_text(
                json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                encoding="utf-8")
            print(f"wrote {dest.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
