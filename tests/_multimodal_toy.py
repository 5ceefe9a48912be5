"""A small hand-made corridor for the rail / multimodal / matrix tests.

Four stations on the 22.5°N parallel and one north of B:

    A(114.0) --L1 intercity (km posts 0, 10, 20)-- B(114.1) -- C(114.2)
                                                   |
                                          L2 high-speed, opened 2020
                                                   |
                                                 D(114.1, 22.6)
    L3 (planned): A -- D, conventional, operating 120 km/h.
"""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import shapely

from corridor_geo.errors import UnknownIdError

STATIONS = {
    "st_a": ("Alpha", "甲站", 114.0, 22.5),
    "st_b": ("Bravo", "乙站", 114.1, 22.5),
    "st_c": ("Charlie", "丙站", 114.2, 22.5),
    "st_d": ("Delta", "丁站", 114.1, 22.6),
}


def toy_corridor(as_of: int | None = None) -> SimpleNamespace:
    st = gpd.GeoDataFrame(
        {"id": list(STATIONS), "name_en": [v[0] for v in STATIONS.values()],
         "name_zh": [v[1] for v in STATIONS.values()], "kind": "station"},
        geometry=[shapely.Point(v[2], v[3]) for v in STATIONS.values()], crs="EPSG:4326")
    links = pd.DataFrame({
        "id": ["l1", "l2", "l3"], "name_en": ["Line 1", "Line 2", "Line 3"],
        "mode": ["intercity_rail", "high_speed_rail", "conventional_rail"],
        "design_speed_kmh": [None, 250.0, None], "operating_speed_kmh": [100.0, 200.0, 120.0],
        "length_km": [20.0, None, None], "opened": pd.array([2010, 2020, None], dtype="Int64"),
        "status": ["open", "open", "planned"]})
    link_stops = pd.DataFrame({
        "link_id": ["l1", "l1", "l1", "l2", "l2", "l3", "l3"],
        "seq": [1, 2, 3, 1, 2, 1, 2],
        "stop_id": ["st_a", "st_b", "st_c", "st_b", "st_d", "st_a", "st_d"],
        "km_post": [0.0, 10.0, 20.0, None, None, None, None]})

    def resolve(q: str, **_: object) -> str:  # keywords of Corridor.resolve ignored
        for sid, v in STATIONS.items():
            if q in (sid, v[0], v[1]):
                return sid
        raise UnknownIdError(q, [*STATIONS, *(v[0] for v in STATIONS.values())])

    return SimpleNamespace(stations=st, links=links, link_stops=link_stops, as_of=as_of,
                           places=lambda: st, resolve=resolve)
