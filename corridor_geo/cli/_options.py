"""Private click helpers shared by the commands."""

from __future__ import annotations

import math
import re
from typing import Any

import click

from corridor_geo._adapters import click_parser_entry
from corridor_geo._args import AS_OF_RANGE

__all__ = ["POSITIVE", "YEAR", "FiniteFloat", "MultiValueOption", "check_bbox",
           "split_values"]

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


def split_values(values: Any, *, spaces: bool = False) -> tuple[str, ...]:
    """Flatten repeated and comma-separated option values, dropping empties.

    With *spaces*, whitespace separates values too (``"30 60"``, ``"30, 60"``): for
    lists of numbers, never for ids or names (a name may hold a space).

    Examples
    --------
    >>> split_values(["30, 60", "90"])
    ('30', '60', '90')
    >>> split_values(["30 60,90"], spaces=True)
    ('30', '60', '90')
    """
    sep = re.compile(r"[,\s]+" if spaces else r",")
    out: list[str] = []
    for v in values or ():
        out.extend(part.strip() for part in sep.split(str(v)) if part.strip())
    return tuple(out)


class FiniteFloat(click.FloatRange):
    """A float option that refuses ``nan`` and ``±inf``, then checks its range.

    click's ``FloatRange`` lets ``nan`` through (every comparison with it is false) and
    ``inf`` through any open-ended range; the API would then refuse the value under its
    own parameter name (``cell_size_m``), not the option the user typed. A usage error
    here names the option (``Invalid value for '--cell-size'``), exit code 2.

    Examples
    --------
    >>> FiniteFloat(min=0, min_open=True).convert("2.5", None, None)
    2.5
    """

    name = "finite float"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        rv = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value} is not a finite number.", param, ctx)
        return super().convert(rv, param, ctx)


#: A length or similar option that must be a finite number > 0.
POSITIVE = FiniteFloat(min=0, min_open=True)
#: ``--as-of``: the one as-of range of the package (``_args.AS_OF_RANGE``).
YEAR = click.IntRange(*AS_OF_RANGE)


def check_bbox(ctx: click.Context, param: click.Parameter,
               value: tuple[float, ...] | None) -> tuple[float, ...] | None:
    """Check ``--bbox WEST SOUTH EAST NORTH``: degrees, west < east, south < north.

    A plain float option (no range to show in ``--help``), so ``nan`` and ``inf`` are
    refused here, naming ``--bbox``.

    Examples
    --------
    >>> check_bbox(None, None, (113.0, 22.0, 114.0, 23.0))  # type: ignore[arg-type]
    (113.0, 22.0, 114.0, 23.0)
    """
    if not value:
        return value
    bad = next((v for v in value if not math.isfinite(v)), None)
    if bad is not None:
        raise click.BadParameter(f"{bad:g} is not a finite number.")
    w, s, e, n = value
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise click.BadParameter(
            f"{' '.join(f'{v:g}' for v in value)} is not WEST SOUTH EAST NORTH in degrees "
            "with west < east and south < north.")
    return value
