"""Tests of corridor_geo._progress: when a bar is drawn."""

from __future__ import annotations

import io

import pytest

from corridor_geo._progress import tqdm_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("show", "stream", "drawn"), [
    (True, _Terminal, True),
    (True, io.StringIO, False),  # a log file, CI, a captured subprocess: no redraws
    (False, _Terminal, False),   # --quiet / settings.progress = False
])
def test_bar_only_when_shown_and_on_a_terminal(show, stream, drawn):
    out = stream()
    with tqdm_bar(total=3, show=show, desc="steps", file=out) as bar:
        bar.update(3)
    assert ("steps" in out.getvalue()) is drawn
    assert ("\r" in out.getvalue()) is drawn
