r"""Escaping of user-supplied text written into Markdown reports.

Scenario names and descriptions, ids and names from users' files end up in
``report.md``, which is often rendered to HTML (GitHub, VS Code, Jupyter). Raw HTML
(``<img src=x onerror=...>``), links and images (``[x](javascript:...)``), code spans
and table pipes must not pass through. :func:`md_text` HTML-escapes ``& < >`` and
backslash-escapes the Markdown characters that start links, images, emphasis, code and
table cells, so the text renders as the same characters the user wrote.

Examples
--------
>>> md_text("<img src=x onerror=alert(1)> [a](javascript:x) *b* | c")
'&lt;img src=x onerror=alert(1)&gt; \\[a\\](javascript:x) \\*b\\* \\| c'
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["md_text"]

_MD_SPECIAL = re.compile(r"([\\`*\[\]|~])")


def md_text(value: Any, *, one_line: bool = True) -> str:
    """Return *value* as Markdown text that renders literally (no HTML, links, code).

    Parameters
    ----------
    value
        Any value; converted with ``str``.
    one_line
        Replace line breaks by spaces (headings, list items, table cells).
    """
    text = html.escape(str(value), quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    if one_line:
        text = " ".join(text.split())
    return text
