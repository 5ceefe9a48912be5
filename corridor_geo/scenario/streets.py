"""The street networks of scenarios: cached per process, with scenario speed factors.

Examples
--------
>>> net = street_network()  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from corridor_geo.corridor import Corridor
    from corridor_geo.network import Network
    from corridor_geo.scenario.model import ResolvedScenario

__all__ = ["expressway_road_names", "scenario_streets", "street_network"]

logger = logging.getLogger("corridor_geo.scenario")


@functools.lru_cache(maxsize=4)
def _cached_street(source: str, key: str, as_of: int | None) -> Network:
    """Load the base street network; cached once per process (so once per Dask worker)."""
    from corridor_geo.graph import load_network

    logger.info("loading street network %s (as of %s)", source, as_of)
    return load_network(source=source, network_type="drive", as_of=as_of)


def street_network(source: str = "default", *, as_of: int | None = None) -> Network:
    """Return the base street network for *source*, cached per process.

    The cache key includes the file's hash for file sources, so an edited file is
    reloaded. Dask workers call this once and reuse the network for every scenario.
    *as_of* is the scenario's year: on the default network, expressway sections opened
    later are not recognised (a year at or after the latest opening of
    ``geodata/expressway_openings.csv`` loads the current network, ``as_of=None``); a
    file network is the map it was read from (*as_of* is not applied to it).

    Examples
    --------
    >>> net = street_network()  # doctest: +SKIP
    >>> net2018 = street_network(as_of=2018)  # doctest: +SKIP
    """
    from corridor_geo._io import file_sha256

    if source == "default":
        from corridor_geo._roads import effective_as_of

        # the year as load_network keys it: the 2025, 2029 and year-less scenarios share
        # the current network (one load per worker)
        return _cached_street(source, "default", effective_as_of(as_of))
    return _cached_street(source, file_sha256(source), None)


def expressway_road_names(corridor: Corridor) -> dict[str, tuple[str, ...]]:
    """``{expressway link id: street-network road names}`` from the corridor's facts.

    Examples
    --------
    >>> expressway_road_names(load_corridor())["gs_expressway"][0]  # doctest: +SKIP
    'Guangshen Expressway'
    """
    return {lid: e.road_names for lid, e in sorted(corridor.facts.expressways.items())
            if e.road_names}


def _close_roads(net: Network, names: Sequence[str]) -> Network:
    """Return *net* without the edges named *names* (a closed expressway's street copy).

    The edges are removed, not slowed: a node left on no open edge falls out of the
    network's main component, so snapping (:func:`~corridor_geo.routing.snap_points`)
    moves points to the open roads instead of routing them over the closed one. The
    nodes are kept, so node indices match the base network's.
    """
    import numpy as np

    from corridor_geo.network import Network

    drop = np.isin(np.asarray(net.name, dtype=str), list(names))
    if not drop.any():
        return net
    keep = ~drop
    counts = np.diff(net.geom_offsets)
    offsets = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[keep], out=offsets[1:])
    vertex = np.repeat(keep, counts)
    return Network.from_edges(
        osmid=net.osmid, lon=net.lon, lat=net.lat, source=net.source[keep],
        target=net.target[keep], length_m=net.length_m[keep],
        travel_time_s=net.travel_time_s[keep], highway=np.asarray(net.highway)[keep],
        name=np.asarray(net.name)[keep], way_id=net.way_id[keep], oneway=net.oneway[keep],
        maxspeed_kmh=net.maxspeed_kmh[keep], geom_offsets=offsets,
        geom_lon=net.geom_lon[vertex], geom_lat=net.geom_lat[vertex], mode=net.mode,
        meta={**net.meta, "closed_roads": sorted(set(names))})


def scenario_streets(res: ResolvedScenario) -> tuple[Network, Network, dict[str, float]]:
    """Return the street networks of a scenario.

    The street network for the multimodal build (expressway link factors applied by
    road name), the drive network for catchments (also road-class factors) and the
    road-class factors.
    """
    from corridor_geo.speeds import apply_speed_factors

    street = street_network(res.network_source, as_of=res.scenario.as_of)
    e = res.scenario.edits
    link_ids = set(res.corridor.links["id"]) | {lk.id for lk in e.add_links}
    by_name: dict[str, float] = {}
    # street-network names of the expressway links (corridor.yaml): a link's factor (or
    # closure) also applies to these street edges, or drivers would bypass a congested
    # link on the street-network copy of the same road
    closed: list[str] = []
    for lid, names in expressway_road_names(res.corridor).items():
        if lid in e.close_links:
            closed += names
        elif (factor := e.speed_factors.get(lid)) is not None:
            by_name.update(dict.fromkeys(names, factor))
    if closed:
        street = _close_roads(street, closed)
    if by_name:
        street = apply_speed_factors(street, by_name=by_name)
    by_class = {k: v for k, v in sorted(e.speed_factors.items()) if k not in link_ids}
    drive = apply_speed_factors(street, by_class=by_class) if by_class else street
    return street, drive, by_class
