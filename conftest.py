"""Shared pytest configuration for ``tests/`` and the docstring examples in ``corridor_geo/``.

An isolated cache directory for every test session (the doctests collected by
``--doctest-modules`` load networks too), and ``settings.progress`` restored after each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point CORRIDOR_GEO_CACHE_DIR at a fresh folder so tests never touch the user's cache."""
    path = tmp_path_factory.mktemp("cache")
    old = os.environ.get("CORRIDOR_GEO_CACHE_DIR")
    os.environ["CORRIDOR_GEO_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("CORRIDOR_GEO_CACHE_DIR", None)
    else:
        os.environ["CORRIDOR_GEO_CACHE_DIR"] = old


@pytest.fixture(autouse=True)
def _progress_setting_restored() -> Iterator[None]:
    """Restore ``settings.progress`` after each test.

    The CLI turns it on for its process: in-process CLI tests (click's CliRunner) would
    otherwise leave progress bars on for the tests that follow, which would then depend
    on the order they run in.
    """
    from corridor_geo import settings

    old = settings.progress
    yield
    settings.progress = old
