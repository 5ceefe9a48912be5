"""Private click helpers shared by the commands."""

from __future__ import annotations

import re
from typing import Any

import click

from corridor_geo._adapters import click_parser_entry

__all__ = ["MultiValueOption", "split_values"]

_NUMBER = re.compile(r"^-\d")


class MultiValueOption(click.Option):
    """An option that takes one or more values: ``--from A B C --to D``.

    click has no ``nargs=-1`` for options, so this option takes over its parser entry
    and consumes following arguments until the next option. Values may also be
    repeated (``--from A --from B``) or comma-separated (``--from A,B``); the
    parameter always receives a flat tuple of strings.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["multiple"] = True
        super().__init__(*args, **kwargs)

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            entry = click_parser_entry(parser, name)
            if entry is None:
                continue
            previous = entry.process

            def process(value: str, state: Any, previous: Any = previous) -> None:
                previous(value, state)
                while state.rargs:
                    nxt = state.rargs[0]
                    if nxt.startswith("-") and not _NUMBER.match(nxt):
                        break
                    previous(state.rargs.pop(0), state)

            entry.process = process

    def type_cast_value(self, ctx: click.Context, value: Any) -> Any:
        values = super().type_cast_value(ctx, value)
        return split_values(values)


def split_values(values: Any) -> tuple[str, ...]:
    """Flatten repeated and comma-separated option values, dropping empties."""
    out: list[str] = []
    for v in values or ():
        out.extend(part.strip() for part in str(v).split(",") if part.strip())
    return tuple(out)
