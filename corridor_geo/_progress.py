"""The one rule for progress bars: tqdm on stderr, only when asked for and on a terminal.

Every bar of the package is made here. *show* is the caller's switch
(``settings.progress``, which the CLI sets unless ``--quiet``, or a function's
``progress=``). A shown bar still stays silent when stderr is not a terminal (a log
file, CI, a subprocess whose output is captured): tqdm's documented ``disable=None``,
so no carriage-return redraws end up in logs. In a Jupyter kernel ``tqdm.auto`` draws
its notebook widget, which ``disable=None`` does not hide.

Examples
--------
>>> bar = tqdm_bar(range(3), show=False, desc="x")
>>> list(bar), bar.disable
([0, 1, 2], True)
"""

from __future__ import annotations

from typing import Any

__all__ = ["tqdm_bar"]


def tqdm_bar(iterable: Any = None, *, show: bool, **kwargs: Any) -> Any:
    """Return a ``tqdm.auto.tqdm`` bar: off unless *show* and stderr is a terminal."""
    from tqdm.auto import tqdm

    return tqdm(iterable, disable=None if show else True, **kwargs)
