"""Command-line interface ``corridor-geo`` (click).

Each command lives in its own module under :mod:`corridor_geo.cli` and is imported
only when invoked, so ``corridor-geo --help`` stays fast. Errors caused by user input
(:class:`~corridor_geo.errors.CorridorGeoError`, bad option values, missing or
unreadable files) print one line on stderr (one per problem when a scenario file has
several schema problems, at most :data:`MAX_PROBLEMS`) and exit with code 2; no
traceback unless ``--debug``.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from corridor_geo import settings

__all__ = ["main"]

#: command name -> "module:attribute" of the click command
COMMANDS: dict[str, str] = {
    "demo": "corridor_geo.cli.foundation:demo",
    "extent": "corridor_geo.cli.foundation:extent",
    "distances": "corridor_geo.cli.foundation:distances",
    "nodes": "corridor_geo.cli.foundation:nodes",
    "network": "corridor_geo.cli.network:network",
    "matrix": "corridor_geo.cli.multimodal:matrix",
    "validate-times": "corridor_geo.cli.multimodal:validate_times",
    "validate-gtfs": "corridor_geo.cli.multimodal:validate_gtfs",
    "export-gtfs": "corridor_geo.cli.multimodal:export_gtfs",
    "catchments": "corridor_geo.cli.catchments:catchments",
    "run": "corridor_geo.cli.scenarios:run",
    "compare": "corridor_geo.cli.scenarios:compare",
    "batch": "corridor_geo.cli.scenarios:batch",
}


#: problems of one error printed at most (one line each), then a count of the rest
MAX_PROBLEMS = 10


class _LazyGroup(click.Group):
    """A click group that imports a command's module only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        available = []
        for name in COMMANDS:
            try:
                self.get_command(ctx, name)
            except click.ClickException:
                continue  # --help still lists the others; running it reports the error
            available.append(name)
        return available

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module, attr = spec.split(":")
        try:
            command = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            # a known command that cannot be loaded is a broken installation or a bug,
            # never "No such command"
            raise _BrokenCommand(cmd_name, exc) from exc
        if not isinstance(command, click.Command):
            raise _BrokenCommand(cmd_name, TypeError(f"{spec} is not a click command"))
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except click.BadParameter as exc:
            # a bad option value is user input like any other: one line naming the
            # option as typed ("Invalid value for '--cell-size': nan is not a finite
            # number."), exit 2; other usage errors keep click's usage hint
            from corridor_geo.errors import ArgumentError

            _fail(ArgumentError(exc.format_message()),
                  debug=bool(ctx.obj and ctx.obj.get("debug")))
        except click.ClickException:
            raise
        except Exception as exc:  # the CLI's single error funnel
            _fail(exc, debug=bool(ctx.obj and ctx.obj.get("debug")))


class _BrokenCommand(click.ClickException):
    """A command listed in :data:`COMMANDS` whose module cannot be imported."""

    exit_code = 1

    def __init__(self, name: str, exc: BaseException) -> None:
        super().__init__(f"internal error: command {name!r} cannot be loaded: "
                         f"{type(exc).__name__}: {exc} (a broken installation or a bug; "
                         "please report it)")

    def show(self, file: Any = None) -> None:
        """Print the one-line error (``corridor-geo: internal error: ...``)."""
        click.echo(f"corridor-geo: {self.format_message()}", err=True)


def _fail(exc: BaseException, *, debug: bool) -> None:
    from corridor_geo.errors import CorridorGeoError

    if isinstance(exc, BrokenPipeError):
        # the reader of the output went away (``corridor-geo ... | head``): stop quietly
        # with the status of a process ended by SIGPIPE, as Unix tools do; stdout now
        # points at devnull so that the interpreter's last flush does not fail again
        # (the recipe of the Python docs, "Note on SIGPIPE")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(128 + 13)
    if debug:
        raise exc
    if isinstance(exc, CorridorGeoError):
        # one line per problem: a scenario file's schema problems are listed together
        problems = getattr(exc, "problems", None) or (str(exc),)
        for line in problems[:MAX_PROBLEMS]:
            click.echo(f"corridor-geo: error: {' '.join(str(line).split())}", err=True)
        if len(problems) > MAX_PROBLEMS:
            path = getattr(exc, "path", None)
            where = f"{path}: " if path else ""
            click.echo(f"corridor-geo: error: {where}and {len(problems) - MAX_PROBLEMS} "
                       "more problems", err=True)
        sys.exit(2)
    if isinstance(exc, FileNotFoundError):
        click.echo(f"corridor-geo: error: file not found: {exc.filename or exc}", err=True)
        sys.exit(2)
    if isinstance(exc, OSError) and exc.filename:
        click.echo(f"corridor-geo: error: cannot write or read {exc.filename}: "
                   f"{exc.strerror or exc}", err=True)
        sys.exit(2)
    click.echo(f"corridor-geo: internal error: {type(exc).__name__}: {exc} "
               "(re-run with --debug for the traceback and report it)", err=True)
    sys.exit(1)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="corridor_geo")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or log messages.")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def main(ctx: click.Context, quiet: bool, debug: bool) -> None:
    """Geospatial analysis of the Guangzhou–Shenzhen Science and Technology Innovation Corridor.

    All coordinates in and out are WGS84 (EPSG:4326). Map data © OpenStreetMap contributors.
    """
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet
    ctx.obj["debug"] = debug
    settings.progress = not quiet
