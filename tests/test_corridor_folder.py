"""A second corridor is a second data folder (issue 10): tests/fixtures/small_corridor.

A made-up corridor (two box-shaped cities, three platforms, one intercity railway, one
expressway) with its own ``corridor.yaml`` and ``boundaries.geojson``, run through
extent, matrix, catchments and a map — no module knows anything about it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from corridor_geo.catchments import catchments
from corridor_geo.corridor import load_corridor
from corridor_geo.extent import corridor_extent
from corridor_geo.maps import corridor_map, save_map
from corridor_geo.network import Network, haversine_m
from corridor_geo.transit import MultimodalNetwork, MultimodalParameters, travel_time_matrix

FOLDER = Path(__file__).parent / "fixtures" / "small_corridor"
KMH = 36.0  # street speed of the synthetic grid


@pytest.fixture(scope="module")
def corridor():
    return load_corridor(geodata_dir=FOLDER)


@pytest.fixture(scope="module")
def street() -> Network:
    """A 2 km street grid over both cities, both directions, 36 km/h."""
    lons = np.round(np.arange(113.0, 113.4001, 0.02), 4)
    lats = np.round(np.arange(22.02, 22.1801, 0.02), 4)
    lon, lat = (a.ravel() for a in np.meshgrid(lons, lats))
    idx = np.arange(len(lon)).reshape(len(lats), len(lons))
    pairs = [(idx[:, :-1].ravel(), idx[:, 1:].ravel()), (idx[:-1, :].ravel(), idx[1:, :].ravel())]
    src = np.concatenate([np.concatenate([a, b]) for a, b in pairs])
    tgt = np.concatenate([np.concatenate([b, a]) for a, b in pairs])
    length = haversine_m(lon[src], lat[src], lon[tgt], lat[tgt])
    return Network.from_edges(osmid=np.arange(len(lon)) + 1, lon=lon, lat=lat, source=src,
                              target=tgt, length_m=length, travel_time_s=length / (KMH / 3.6),
                              highway=["primary"] * len(src), name=[""] * len(src))


def test_folder_is_the_corridor(corridor):
    assert corridor.platforms["id"].tolist() == ["core_west", "core_mid", "core_east"]
    assert sorted(corridor.links["id"]) == ["river_expressway", "river_rail"]
    assert corridor.facts.plan.axis_waypoints == ("core_west", "core_east")
    assert corridor.facts.expressways["river_expressway"].road_names == ("River Road",)
    # the polygon is the two cities of corridor.yaml, not the neighbour
    assert corridor.polygon.bounds == pytest.approx((113.0, 22.0, 113.4, 22.2))


def test_extent(corridor):
    ext = corridor_extent(corridor)
    # 0.4° x 0.2° at 22.1°N: 0.2° of latitude = 22.14 km; 0.4° of longitude ≈ 41.27 km
    assert ext.area_km2 == pytest.approx(22.14 * 41.27, rel=0.01)
    assert ext.plan_area_km2 == 900.0
    assert ext.plan_axis_ids == ("core_west", "core_east")
    assert ext.axis_ids == ("core_west", "core_mid", "core_east")
    # the axis starts on West City's border with the neighbour and ends at East City's tip
    assert ext.axis_start.x == pytest.approx(113.0)
    assert ext.axis_end.x == pytest.approx(113.4)


def test_matrix_transit_uses_the_folder_railway(corridor, street):
    df = travel_time_matrix(corridor, ["core_west"], ["core_east"], mode="transit",
                            street=street)
    row = df.iloc[0]
    assert row.rail_stations == "st_west>st_east"
    assert (row.board_station, row.alight_station) == ("st_west", "st_east")
    assert 10 < row.in_vehicle_min < 30  # 30 km at up to 160 km/h, with acceleration
    assert row.minutes == pytest.approx(row.access_min + row.wait_min + row.in_vehicle_min
                                        + row.transfer_min + row.egress_min)


def test_expressway_congested_speed_comes_from_the_folder(corridor, street):
    mm = MultimodalNetwork.build(corridor, street=street,
                                 params=MultimodalParameters(expressway_condition="congested"))
    ic = mm.stations.set_index("id")
    n0 = street.n_nodes
    k = {sid: n0 + i for i, sid in enumerate(mm.stations.loc[mm.stations["kind"]
                                                            == "interchange", "id"])}
    seconds = mm.drive.time[k["ic_west"], k["ic_east"]]
    assert seconds == pytest.approx(31.0 / 50.0 * 3600.0)  # km posts 0 → 31 at 50 km/h
    assert set(ic.index) >= {"ic_west", "ic_east"}


def test_catchments_and_map(corridor, street, tmp_path):
    cat = catchments(["core_mid"], mode="drive", bands=[5, 10], corridor=corridor,
                     network=street)
    assert cat["band_min"].tolist() == [5.0, 10.0]
    a5, a10 = cat["area_km2"].tolist()
    # within 10 min at 36 km/h on a grid: at most the L1 diamond of radius 6 km (72 km²)
    assert 0 < a5 < a10 <= 2 * 6.0**2 * 1.05
    assert not math.isnan(a10)
    m = corridor_map(corridor, catchments=cat, tiles=None)
    out = save_map(m, tmp_path / "map.html")
    html = out.read_text(encoding="utf-8")
    assert "East Harbour" in html
    assert "OpenStreetMap contributors" in html
