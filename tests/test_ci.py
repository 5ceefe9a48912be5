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


def test_readme_recommends_a_venv_before_the_install_commands():
    """A Debian/Ubuntu system Python refuses pip ("externally-managed-environment"): the
    README says to make a virtual environment before its first pip command."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    venv = text.find("`python -m venv .venv && . .venv/bin/activate`")
    first_pip = text.find("\npython -m pip install")
    assert 0 <= venv < first_pip
    assert "externally-managed-environment" in text[venv:first_pip]
