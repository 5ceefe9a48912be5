"""Multimodal commands: ``matrix``, ``validate-times``, ``validate-gtfs`` and ``export-gtfs``."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, cast

import click

from corridor_geo.cli._options import YEAR, MultiValueOption

__all__ = ["export_gtfs", "matrix", "validate_gtfs", "validate_times"]

_FORMATS = click.Choice(["table", "csv", "json"])


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _places(ctx: click.Context | None, param: click.Parameter | None,
            values: tuple[str, ...]) -> list[Any]:
    """Turn ``--from``/``--to`` values into places: names/ids, or lon,lat pairs.

    A usage error names the option (``Invalid value for '--to'``) before anything loads.
    """
    out: list[Any] = []
    k = 0
    while k < len(values):
        a = _float(values[k])
        b = _float(values[k + 1]) if k + 1 < len(values) else None
        for v, text in zip((a, b), values[k:k + 2], strict=False):
            if v is not None and not math.isfinite(v):  # "nan" is no place name either
                raise click.BadParameter(f"coordinate {text!r} is not a finite number")
        if a is not None and b is not None:
            out.append((a, b))
            k += 2
            continue
        if a is not None:
            raise click.BadParameter(f"coordinate {values[k]!r} needs a latitude after it "
                                     "(give lon,lat)")
        out.append(values[k])
        k += 1
    return out


@click.command()
@click.option("--mode", type=click.Choice(["drive", "transit", "park_and_ride", "best"]),
              default="best", show_default=True,
              help="drive, transit (walk + rail + walk), park_and_ride (drive and park + "
                   "rail + walk) or best (the fastest per pair).")
@click.option("--from", "origins", cls=MultiValueOption, required=True, callback=_places,
              help="Origins: ids, English or Chinese names, or lon,lat (several allowed).")
@click.option("--to", "destinations", cls=MultiValueOption, required=True, callback=_places,
              help="Destinations, as --from.")
@click.option("--as-of", type=YEAR, default=None,
              help="Only links open in this year: rail lines and the default network's "
                   "expressway sections.")
@click.option("--no-streets", is_flag=True,
              help="Do not load the street networks (drive, walk): every access leg uses "
                   "the fallback.")
@click.option("--gtfs", "gtfs", type=click.Path(path_type=Path), default=None,
              help="A GTFS feed (.zip or folder) whose timetable replaces the modelled "
                   "services of the rail links it covers.")
@click.option("--format", "fmt", type=_FORMATS, default="table", show_default=True)
def matrix(mode: str, origins: list[Any], destinations: list[Any],
           as_of: int | None, no_streets: bool, gtfs: Path | None, fmt: str) -> None:
    """Travel-time matrix between platforms, nodes, stations or coordinates.

    Example: corridor-geo matrix --mode transit --from 广州南 --to 深圳北 --format json
    """
    import pandas as pd

    from corridor_geo.corridor import load_corridor
    from corridor_geo.transit import (
        UNREACHABLE_METHODS,
        MultimodalNetwork,
        matrix_to_records,
        travel_time_matrix,
    )

    corridor = load_corridor(as_of=as_of)
    street: Literal[False] | None = False if no_streets else None
    timetable = []
    if gtfs is not None:
        from corridor_geo.gtfs import read_gtfs

        timetable = read_gtfs(gtfs, corridor=corridor)
    network = MultimodalNetwork.build(corridor, street=street, walk=street, as_of=as_of,
                                      timetable=timetable)
    # click.Choice has checked the mode against travel_time_matrix's modes
    df = travel_time_matrix(corridor, origins, destinations,
                            mode=cast("Literal['drive', 'transit', 'park_and_ride', 'best']", mode),
                            network=network)
    if fmt == "json":
        from corridor_geo.cli._output import dumps

        click.echo(dumps(matrix_to_records(df)))
        return
    tab = pd.DataFrame(df.drop(columns="geometry"))
    num = tab.select_dtypes("number").columns
    tab[num] = tab[num].round(1)
    if fmt == "csv":
        from corridor_geo._csvio import neutralise_frame

        click.echo(neutralise_frame(tab).to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        # boarding and alighting stations by name (the id where a station has none)
        st = corridor.stations
        names = dict(zip(st["id"], st["name_en"], strict=True)) if "name_en" in st else {}
        for c in ("board_station", "alight_station"):
            tab[c] = [names.get(v) or v if v else "–" for v in tab[c]]
        tab = tab.rename(columns={"board_station": "board", "alight_station": "alight"})
        cols = ["from_id", "to_id", "mode", "minutes", "distance_km", "access_min",
                "wait_min", "in_vehicle_min", "transfer_min", "egress_min", "access_method",
                "egress_method", "board", "alight"]
        with pd.option_context("display.max_rows", None, "display.width", 250):
            click.echo(tab[cols].to_string(index=False))
        # a footnote only for the methods that occur in the table
        used = set(tab["access_method"]) | set(tab["egress_method"])
        fallbacks = sorted(m for m in used if str(m).endswith("_fallback"))
        if fallbacks:
            click.echo(f"({', '.join(fallbacks)}: straight-line distance × circuity, no "
                       "street network)")
        for key, text in UNREACHABLE_METHODS.items():
            if key in used:
                click.echo(f"({key}: {text})")


@click.command("validate-times")
@click.argument("observed", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-streets", is_flag=True,
              help="Do not load the street network: door-to-door legs use the fallback.")
@click.option("--drive-parking", is_flag=True,
              help="Compare mode=drive rows door to door, parking (park_min, 8 min) "
                   "included, instead of on driving time (comparison 'driving').")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def validate_times(observed: Path, no_streets: bool, drive_parking: bool, fmt: str) -> None:
    """Compare modelled times with OBSERVED (CSV: from,to,minutes[,year][,mode]).

    Station pairs on a common line are compared with the modelled in-vehicle time of
    the fastest service stopping at both (comparison station_to_station); mode=drive
    rows, like published "by car" figures, with the driving time: connectors to the
    street network + network route, no parking (comparison driving; --drive-parking:
    door to door, parking included); other pairs door to door (door_to_door). Optional
    columns: year (the network as of that year) and mode (rail, drive, transit,
    park_and_ride, best). from/to: station, platform or node ids or names, else a
    district ("福田区", dist_sz_futian), or a point as a quoted "lon,lat".
    Prints the bias per line (rail link of the service, or the mode) and, when there
    are drive rows, their mean |error|, share within ±25 % and bias.
    """
    import pandas as pd

    from corridor_geo._io import check_input_file
    from corridor_geo.cli._output import CHUNK_ROWS, json_chunks, table_lines
    from corridor_geo.corridor import load_corridor
    from corridor_geo.errors import DataValidationError
    from corridor_geo.validate import read_observed
    from corridor_geo.validate import validate_times as _validate

    check_input_file(observed, what="CSV of observed times")  # no devices/FIFOs, bounded
    try:
        obs = read_observed(observed)  # errors about the file before the network loads
    except UnicodeDecodeError as exc:
        raise DataValidationError(f"not UTF-8 text (byte {exc.start})",
                                  path=observed) from None
    try:
        rows, summary = _validate(load_corridor(), obs, street=False if no_streets else None,
                                  drive_parking=drive_parking)
    except DataValidationError as exc:
        if exc.path is not None:
            raise
        # a row's error names the file it came from (the table was read above)
        raise DataValidationError(exc.reason, path=observed, row=exc.row,
                                  field=exc.field) from None

    def num(v: Any) -> float | None:
        return round(float(v), 2) if math.isfinite(float(v)) else None

    # a chunk of rows at a time: a million rows print in well under 1 GB
    if fmt == "json":
        def recs() -> Iterator[dict[str, Any]]:
            for i in range(0, len(rows), CHUNK_ROWS):
                for r in rows.iloc[i:i + CHUNK_ROWS].to_dict("records"):
                    yield {"from": r["from"], "to": r["to"], "from_id": r["from_id"],
                           "to_id": r["to_id"],
                           "year": None if pd.isna(r["year"]) else int(r["year"]),
                           "mode": r["mode"], "comparison": r["comparison"],
                           "service": r["service"], "line": r["line"],
                           "observed_min": num(r["observed_min"]),
                           "modelled_min": num(r["modelled_min"]),
                           "error_min": num(r["error_min"]), "error_pct": num(r["error_pct"])}

        summ = {k: (num(v) if isinstance(v, float) else v) for k, v in summary.items()}
        summ["per_line"] = [{k: (num(v) if isinstance(v, float) else
                                 (int(v) if k == "n" else v)) for k, v in rec.items()}
                            for rec in summary["per_line"]]
        for text in json_chunks(recs(), {"summary": summ}):
            click.echo(text, nl=False)
        click.echo()
        return
    for line in table_lines(rows, decimals=1):
        click.echo(line)
    click.echo(f"n={summary['n']} (station-to-station {summary['n_station_to_station']}, "
               f"driving {summary['n_driving']}, door-to-door {summary['n_door_to_door']})  "
               f"MAE={summary['mae_min']:.1f} min  MAPE={summary['mape_pct']:.1f}%  "
               f"bias={summary['bias_min']:+.1f} min")
    if summary["n_station_to_station"]:
        click.echo(f"rail rows: mean |error| {summary['rail_mape_pct']:.1f}%, worst "
                   f"{summary['rail_worst_pct']:.1f}%")
    if summary["drive_n"]:
        what = "door to door, parking included" if drive_parking else "driving, no parking"
        click.echo(f"drive rows ({what}): mean |error| {summary['drive_mape_pct']:.1f}%, "
                   f"within ±25% {summary['drive_within_25_pct']:.0f}% of "
                   f"{summary['drive_n']}, bias {summary['drive_bias_pct']:+.1f}%, worst "
                   f"{summary['drive_worst_pct']:+.1f}%")
    click.echo("bias per line:")
    with pd.option_context("display.width", 250):
        click.echo(pd.DataFrame(summary["per_line"]).round(1).to_string(index=False))


@click.command("validate-gtfs")
@click.argument("feed", type=click.Path(path_type=Path))
@click.option("--as-of", type=YEAR, default=None,
              help="Compare with the model of this year (default: today's).")
@click.option("--worst", type=click.IntRange(min=0), default=15, show_default=True,
              help="Pairs listed in the table output, largest |error| first.")
@click.option("--format", "fmt", type=_FORMATS, default="table", show_default=True)
def validate_gtfs(feed: Path, as_of: int | None, worst: int, fmt: str) -> None:
    """Compare the model's fastest trains with a GTFS feed's timetable (FEED: .zip or folder).

    For every ordered station pair a service of the feed serves, its fastest scheduled
    in-vehicle time against the model's fastest service; prints mean |error|, the share of
    pairs within 20 %, the bias per line and the worst pairs (csv/json: every pair).
    Example: corridor-geo validate-gtfs operator_feed.zip --as-of 2026
    """
    import pandas as pd

    from corridor_geo.corridor import load_corridor
    from corridor_geo.gtfs import read_gtfs
    from corridor_geo.transit import MultimodalNetwork
    from corridor_geo.validate import compare_timetable

    corridor = load_corridor(as_of=as_of)
    timetable = read_gtfs(feed, corridor=corridor)
    mm = MultimodalNetwork.build(corridor, street=False, walk=False, as_of=as_of)
    rows, summary = compare_timetable(mm, timetable)
    num = rows.select_dtypes("number").columns
    if fmt == "json":
        from corridor_geo.cli._output import dumps

        summ = {k: (round(v, 2) if isinstance(v, float) and math.isfinite(v) else v)
                for k, v in summary.items() if k != "per_line"}
        summ["per_line"] = [{k: (round(v, 2) if isinstance(v, float) else v)
                             for k, v in r.items()} for r in summary["per_line"]]
        recs = rows.assign(**{c: rows[c].round(2) for c in num}).to_dict("records")
        click.echo(dumps({"summary": summ, "pairs": recs}))
        return
    if fmt == "csv":
        click.echo(rows.assign(**{c: rows[c].round(2) for c in num})
                   .to_csv(index=False, lineterminator="\n"), nl=False)
        return
    if not summary["n"]:
        click.echo(f"{summary['n_pairs_in_feed']} station pairs in the feed; none of them "
                   "has a modelled service (are its stops the corridor's stations?)")
        return
    click.echo(f"{summary['n']} station pairs compared ({summary['n_not_modelled']} of the "
               f"feed's {summary['n_pairs_in_feed']} without a modelled service); model − "
               f"timetable: mean |error| {summary['mape_pct']:.1f}%, within ±20% "
               f"{summary['within_20_pct']:.0f}%, bias {summary['bias_pct']:+.1f}%, worst "
               f"{summary['worst_pct']:+.1f}%")
    with pd.option_context("display.width", 250, "display.max_rows", None):
        click.echo("bias per line (line = the link of the model's service):")
        click.echo(pd.DataFrame(summary["per_line"]).round(1).to_string(index=False))
        if worst:
            top = rows.reindex(rows["error_pct"].abs().sort_values(ascending=False).index)
            click.echo(f"worst {min(worst, len(top))} pairs:")
            click.echo(top.head(worst).round(1).to_string(index=False))


@click.command("export-gtfs")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--as-of", type=YEAR, default=None,
              help="The services of this year (default: today's).")
@click.option("--overwrite", is_flag=True,
              help="Replace a .zip corridor_geo did not write, or write into a non-empty "
                   "folder (its other files are kept).")
def export_gtfs(out: Path, as_of: int | None, overwrite: bool) -> None:
    """Write the modelled rail services as a GTFS feed (OUT: a .zip or a folder).

    One route per service pattern, one trip per direction it runs, repeated by
    frequencies.txt; r5py and OpenTripPlanner read it. Example:
    corridor-geo export-gtfs model_2026.zip --as-of 2026
    """
    from corridor_geo.corridor import load_corridor
    from corridor_geo.gtfs import export_gtfs as write_feed
    from corridor_geo.transit import MultimodalNetwork

    corridor = load_corridor(as_of=as_of)
    mm = MultimodalNetwork.build(corridor, street=False, walk=False, as_of=as_of)
    if not mm.services:
        from corridor_geo.errors import ArgumentError

        raise ArgumentError(f"--as-of {as_of}: no rail service runs in that year, so there "
                            "is nothing to export; expected a year after the first railway "
                            "of the corridor opened")
    write_feed(mm.services, out, stations=mm.stations, overwrite=overwrite)
    one_way = sum(s.direction == "forward" for s in mm.services)
    click.echo(f"wrote {len(mm.services)} services ({one_way} one-way) as of "
               f"{mm.as_of or 'today'} to {out}")
