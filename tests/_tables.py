"""CSV fixtures of published times, shared by the rail and drive validation tests."""

from __future__ import annotations

import csv
from pathlib import Path

#: The calibration set (``../shared/reference``, next to the repository); absent on a
#: machine without ``../shared``, where the tests that compare against it check less.
CALIBRATION = Path(__file__).resolve().parents[2] / "shared" / "reference" / \
    "observed_times_public.csv"


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file as dicts of strings (UTF-8)."""
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def calibration_rows() -> list[dict[str, str]]:
    """The calibration rows, or none when ``../shared/reference`` is absent."""
    return read_rows(CALIBRATION) if CALIBRATION.exists() else []
