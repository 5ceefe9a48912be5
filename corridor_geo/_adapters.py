"""The only places that touch other libraries' private internals.

Where a library offers no public API for what corridor_geo needs, the private access is
isolated here, one function per use, each with a test in ``tests/test_adapters.py`` that
fails loudly when the library changes (an upgrade then needs one edit, here).

* osmnx: the Overpass way filter of a network type (``_overpass._get_network_filter``;
  osmnx has no public accessor, and ``osmnx<3`` is pinned) and the exceptions raised
  by a failed Overpass download (``osmnx._errors``, not re-exported).
* branca: an element's ordered children and a child's parent (``Element._children`` /
  ``_parent``; branca's ``add_child`` cannot reorder, replace or detach), and the random
  ids of a tree of elements (``Element._id``; what ``get_name`` appends to the name).
* click: the parser entry of an option (``OptionParser._long_opt`` / ``_short_opt``), to
  let an option take several values (click has no ``nargs=-1`` for options).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

__all__ = [
    "branca_children",
    "branca_element_ids",
    "branca_set_parent",
    "click_parser_entry",
    "osmnx_network_filter",
    "osmnx_overpass_errors",
]


def osmnx_network_filter(osmnx_network_type: str) -> str:
    """Return osmnx's Overpass way filter for one of its network types (e.g. ``"drive"``).

    Examples
    --------
    >>> '["highway"]' in osmnx_network_filter("drive")
    True
    """
    from osmnx import _overpass

    return str(_overpass._get_network_filter(osmnx_network_type))


def osmnx_overpass_errors() -> tuple[type[Exception], ...]:
    """Return the exceptions osmnx raises when an Overpass download fails.

    Examples
    --------
    >>> all(issubclass(e, Exception) for e in osmnx_overpass_errors())
    True
    """
    from osmnx import _errors

    return (_errors.InsufficientResponseError, _errors.ResponseStatusCodeError)


def branca_children(element: Any) -> OrderedDict[str, Any]:
    """Return the ordered ``{name: child}`` mapping of a branca element (mutable, live).

    Examples
    --------
    >>> from branca.element import Element
    >>> e = Element()
    >>> _ = e.add_child(Element(), name="a")
    >>> list(branca_children(e))
    ['a']
    """
    children = element._children
    if not isinstance(children, OrderedDict):
        raise TypeError(f"branca changed: _children is a {type(children).__name__}")
    return children


def branca_element_ids(root: Any) -> set[str]:
    """Return the random ids (``_id``) of *root* and of every element below it.

    Examples
    --------
    >>> from branca.element import Element
    >>> a, b = Element(), Element()
    >>> _ = a.add_child(b)
    >>> branca_element_ids(a) == {a._id, b._id}
    True
    """
    ids: set[str] = set()
    stack = [root]
    while stack:
        element = stack.pop()
        if not hasattr(element, "_id"):
            raise TypeError("branca changed: elements have no _id")
        ids.add(str(element._id))
        stack.extend(branca_children(element).values())
    return ids


def branca_set_parent(child: Any, parent: Any) -> None:
    """Set the parent of a branca element placed into a parent's children by hand.

    Examples
    --------
    >>> from branca.element import Element
    >>> a, b = Element(), Element()
    >>> branca_set_parent(b, a)
    >>> b._parent is a
    True
    """
    if not hasattr(child, "_parent"):
        raise TypeError("branca changed: elements have no _parent")
    child._parent = parent


def click_parser_entry(parser: Any, name: str) -> Any:
    """Return the click parser's entry (with ``.process``) of option *name*, or None.

    Examples
    --------
    >>> entry = click_parser_entry(parser, "--to")  # doctest: +SKIP
    """
    entry = parser._long_opt.get(name) or parser._short_opt.get(name)
    if entry is not None and not hasattr(entry, "process"):
        raise TypeError("click changed: parser entries have no process()")
    return entry
