"""Checks shared by the tests of the two bundled data files (roads and boundaries).

Both bundles are built once by a script from an optional data package that the
runtime must never import; these helpers run the script or the runtime in a child
process so that the test process's own imports do not count.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from corridor_geo import settings

ROOT = Path(__file__).resolve().parents[1]


def assert_script_reproduces_bundle(script: str, names: Iterable[str], out: Path, *,
                                    timeout: float = 900) -> None:
    """Run ``scripts/<script> --out <out>`` and compare each file with ``geodata/``."""
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / script), "--out", str(out)],
                         capture_output=True, text=True, check=False, cwd=ROOT,
                         timeout=timeout)
    assert run.returncode == 0, run.stderr
    for name in names:
        assert (out / name).read_bytes() == (settings.geodata_dir() / name).read_bytes(), name


def assert_runs_without(code: str, packages: Iterable[str], cwd: Path) -> None:
    """Run *code* in a fresh interpreter; fail if it imported any of *packages*."""
    check = (f"\nimport sys\nbad = [m for m in sys.modules "
             f"if m.split('.')[0] in {tuple(packages)!r}]\nassert not bad, bad\n")
    run = subprocess.run([sys.executable, "-c", code + check], capture_output=True,
                         text=True, check=False, cwd=cwd, timeout=300)
    assert run.returncode == 0, run.stderr
