"""Bounded, safe YAML loading for user files (scenario files).

``yaml.safe_load`` cannot run code, but it can still be made to do unbounded work: a
"billion laughs" file of 1 KB with nested aliases expands to gigabytes once anything
walks the loaded structure (validation, error messages). :func:`safe_load` composes the
document with PyYAML's pure-Python safe loader, then — before constructing any Python
object — checks:

* at most :data:`MAX_ALIASES` aliases (``*name``),
* at most :data:`MAX_NODES` nodes *after* alias expansion (counted without expanding),
* nesting at most :data:`MAX_DEPTH` levels,
* no duplicate keys in a mapping (YAML 1.2 forbids them; PyYAML keeps the last silently).

Violations raise :class:`YAMLLimitError`, a :class:`yaml.MarkedYAMLError` carrying the
line and column, so callers report them like any other YAML error.

No library offers these limits for PyYAML (ruamel.yaml has no alias-expansion bound
either), hence this small module.

Examples
--------
>>> safe_load("a: [1, 2]")
{'a': [1, 2]}
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "MAX_NODES", "YAMLLimitError", "safe_load"]

#: Most aliases (``*anchor``) a document may use.
MAX_ALIASES = 100
#: Most nodes a document may hold once every alias is expanded.
MAX_NODES = 200_000
#: Deepest nesting of sequences and mappings.
MAX_DEPTH = 64


class YAMLLimitError(yaml.MarkedYAMLError):
    """A YAML document exceeds a limit of :func:`safe_load` or repeats a key."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader counting aliases and depth while composing, refusing duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise YAMLLimitError(None, None, f"more than {MAX_ALIASES} aliases (*name); "
                                     "write the values out", mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YAMLLimitError(None, None, f"nesting deeper than {MAX_DEPTH} levels",
                                     mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[tuple[str, str], Any] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            k = (key_node.tag, key_node.value)
            if k in seen:
                raise YAMLLimitError(
                    "in a mapping", node.start_mark,
                    f"duplicate key {key_node.value!r} (first at line "
                    f"{seen[k].line + 1}); each key may appear once", key_node.start_mark)
            seen[k] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: Node) -> int:
    """Count the nodes with every alias expanded, visiting each distinct node once."""
    memo: dict[int, int] = {}
    # iterative post-order walk: anchored nodes are shared objects in the node graph
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in memo:
            continue
        if isinstance(node, SequenceNode):
            children: list[Node] = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        if done:
            memo[id(node)] = min(1 + sum(memo[id(c)] for c in children), MAX_NODES + 1)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in memo)
    return memo[id(root)]


def safe_load(text: str) -> Any:
    r"""Load one YAML document safely and within bounds.

    Parameters
    ----------
    text
        The document.

    Returns
    -------
    Any
        Plain Python data (dict, list, str, int, float, bool, None, dates).

    Raises
    ------
    yaml.YAMLError
        Invalid YAML, or :class:`YAMLLimitError` for a document over the limits or with
        a duplicate key.

    Examples
    --------
    >>> try:
    ...     safe_load("a: 1\na: 2")
    ... except YAMLLimitError as exc:
    ...     print(exc.problem)
    duplicate key 'a' (first at line 1); each key may appear once
    """
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node)
        if size > MAX_NODES:
            raise YAMLLimitError(None, None, f"more than {MAX_NODES} values once aliases are "
                                 "expanded", node.start_mark)
        return loader.construct_document(node)
    finally:
        loader.dispose()
