"""The README's test command and the one `.ci/run` runs are the same command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _command(text: str) -> str:
    line = next(ln for ln in text.splitlines() if ln.startswith("python -m pip install")
                and "[test]" in ln)
    return re.sub(r"\s+--quiet\b", "", line).strip()


def test_readme_test_command_is_what_ci_runs():
    readme = _command((ROOT / "README.md").read_text(encoding="utf-8"))
    ci = _command((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert readme == ci
    for check in ("pytest", "lint-imports", "mypy"):
        assert check in ci
