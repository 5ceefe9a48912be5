"""Synthetic corridor, catchments, matrix and difference data for the map/figure tests.

Shapes follow the contracts in docs/ARCHITECTURE.md and issues 4/5/7; coordinates lie in
the real corridor so that EPSG:4547 is a sensible metric CRS. Everything is seeded, so
the data are identical on every run.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import contourpy
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.ndimage import gaussian_filter
from shapely.geometry import LineString, Point

WGS84 = "EPSG:4326"
METRIC = "EPSG:4547"

PLATFORMS = [  # (id, name_en, name_zh, lon, lat, confidence)
    ("core_gz_tianhe", "Tianhe Smart City", "天河智慧城", 113.392, 23.175, "medium"),
    ("core_gz_pazhou", "Pazhou Internet Innovation Cluster", "琶洲互联网创新集聚区", 113.37, 23.1,
     "high"),
    ("core_gz_hightech", "Guangzhou High-tech Zone", "广州高新区", 113.45, 23.16, "low"),
    ("core_gz_univ", "Guangzhou University Town", "广州大学城", 113.38, 23.06, "high"),
    ("core_dg_songshan_lake", "Songshan Lake", "松山湖", 113.88, 22.93, "medium"),
    ("core_dg_binhai", "Dongguan Binhai Bay", "东莞滨海湾", 113.68, 22.83, "low"),
    ("core_sz_nanshan", "Shenzhen High-tech Park", "深圳高新区", 113.95, 22.54, "high"),
    ("core_sz_guangming", "Guangming Science City", "光明科学城", 113.9, 22.77, "medium"),
    ("core_sz_konjong", "Shenzhen Bay", "深圳湾", 113.96, 22.5, "high"),
    ("core_sz_dapeng", "Dapeng", "大鹏", 114.48, 22.6, "low"),
]


def _wiggly_disc(cx: float, cy: float, r: float, n: int, seed: int) -> shapely.Polygon:
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    noise = gaussian_filter(rng.normal(size=n), n / 40, mode="wrap") * 8
    noise += rng.normal(size=n) * 0.005
    rr = r * (1 + 0.15 * noise)
    return shapely.Polygon(np.c_[cx + rr * np.cos(t), cy + rr * np.sin(t)]).buffer(0)


def synthetic_corridor(*, boundary_vertices: int = 4000) -> SimpleNamespace:
    """A Corridor-like object: platforms, nodes, stations, links, link_stops, boundaries."""
    to_m = gpd.GeoSeries([Point(113.4, 23.1), Point(113.85, 22.9), Point(114.1, 22.6)],
                         crs=WGS84).to_crs(METRIC)
    cities = []
    districts = []
    for i, (name_en, name_zh, g) in enumerate(zip(
            ["Guangzhou", "Dongguan", "Shenzhen"], ["广州市", "东莞市", "深圳市"], to_m,
            strict=True)):
        city = _wiggly_disc(g.x, g.y, 32_000, boundary_vertices, seed=i)
        cities.append((name_en, name_zh, city))
        minx, miny, maxx, maxy = city.bounds
        midx = (minx + maxx) / 2
        for j, (x0, x1) in enumerate([(minx, midx), (midx, maxx)]):
            part = city.intersection(shapely.box(x0, miny, x1, maxy))
            districts.append((f"{name_en} district {j + 1}", f"{name_zh[:-1]}{j + 1}区", part))
    rows = [("city", *c) for c in cities] + [("district", *d) for d in districts]
    boundaries = gpd.GeoDataFrame(
        {"level": [r[0] for r in rows], "name_en": [r[1] for r in rows],
         "name_zh": [r[2] for r in rows]},
        geometry=[r[3] for r in rows], crs=METRIC,
    ).to_crs(WGS84)
    polygon = shapely.union_all(boundaries[boundaries["level"] == "city"].geometry.to_numpy())

    def places(rows: list[tuple], kind: str) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {
                "id": [r[0] for r in rows], "name_en": [r[1] for r in rows],
                "name_zh": [r[2] for r in rows], "kind": kind,
                "city": "Dongguan", "district": "–", "area_km2": 12.5,
                "area_source": "synthetic", "confidence": [r[5] for r in rows],
                "source": "synthetic test data",
            },
            geometry=[Point(r[3], r[4]) for r in rows], crs=WGS84,
        )

    platforms = places(PLATFORMS, "core_platform")
    platforms["axis_order"] = np.arange(1, len(platforms) + 1)
    nodes = places([("node_a", "Node A", "节点甲", 113.6, 23.0, "low"),
                    ("node_b", "Node B", "节点乙", 114.05, 22.7, "medium")], "innovation_node")
    stations = places([
        ("st_gz_east", "Guangzhou East", "广州东站", 113.325, 23.15, "high"),
        ("st_dg", "Dongguan", "东莞站", 113.99, 23.0, "high"),
        ("st_sz", "Shenzhen", "深圳站", 114.117, 22.532, "high"),
        ("ic_x", "Interchange X", "互通甲", 113.7, 22.9, "high"),
    ], "station")
    stations.loc[stations["id"] == "ic_x", "kind"] = "interchange"
    pt = dict(zip(stations["id"], stations.geometry, strict=True))
    links = gpd.GeoDataFrame(
        {
            "id": ["guangshen", "hsr", "expwy", "intercity"],
            "name_en": ["Guangzhou–Shenzhen Railway", "Guangzhou–Shenzhen–Hong Kong HSR",
                        "Guangshen Expressway", "Planned intercity"],
            "name_zh": ["广深铁路", "广深港高铁", "广深高速", "规划城际"],
            "mode": ["conventional_rail", "high_speed_rail", "expressway", "intercity_rail"],
            "status": ["open", "open", "open", "planned"],
            "opened": pd.array([1911, 2011, 1997, None], dtype="Int64"),
        },
        geometry=[
            LineString([pt["st_gz_east"], pt["st_dg"], pt["st_sz"]]),
            LineString([(113.27, 22.99), (113.86, 22.73), (114.03, 22.61)]),
            LineString([(113.3, 23.12), pt["ic_x"], (114.05, 22.56)]),
            LineString([(113.4, 23.0), (113.9, 22.8), (114.0, 22.55)]),
        ],
        crs=WGS84,
    )
    link_stops = pd.DataFrame({
        "link_id": ["guangshen"] * 3 + ["expwy"],
        "seq": [1, 2, 3, 1],
        "stop_id": ["st_gz_east", "st_dg", "st_sz", "ic_x"],
        "km_post": [0.0, 80.0, 140.0, np.nan],
    })
    axis = LineString(list(platforms.sort_values("axis_order").geometry.map(
        lambda p: (p.x, p.y))))
    # a plan-like axis: first, middle and last core platform (hand-checked length below)
    plan_axis = LineString([axis.coords[0], (113.88, 22.93), axis.coords[-1]])
    return SimpleNamespace(
        platforms=platforms, nodes=nodes, stations=stations, links=links,
        link_stops=link_stops, boundaries=boundaries, polygon=polygon,
        metric_crs=METRIC, as_of=None, axis=axis, plan_axis=plan_axis,
        places=lambda: gpd.GeoDataFrame(pd.concat([platforms, nodes, stations],
                                                  ignore_index=True), crs=WGS84),
    )


def synthetic_catchments(
    *, n_origins: int = 10, bands: tuple[int, ...] = (30, 45, 60, 90), cell_m: float = 200.0,
    mode: str = "drive",
) -> gpd.GeoDataFrame:
    """Catchments of realistic complexity: contoured noisy travel-time grids (holes, islands).

    The field is distance / 40 km/h with large-scale (±35 %) and cell-scale noise,
    contoured at each band on a *cell_m* grid, like the grid method of issue 5.
    """
    origins = gpd.GeoSeries([Point(p[3], p[4]) for p in PLATFORMS[:n_origins]],
                            crs=WGS84).to_crs(METRIC)
    rows = []
    for k, (o, p) in enumerate(zip(origins, PLATFORMS, strict=False)):
        rng = np.random.default_rng(100 + k)
        half = 70_000.0
        xs = np.arange(o.x - half, o.x + half, cell_m)
        ys = np.arange(o.y - half, o.y + half, cell_m)
        gx, gy = np.meshgrid(xs, ys)
        dist_km = np.hypot(gx - o.x, gy - o.y) / 1000
        coarse = gaussian_filter(rng.normal(size=gx.shape), 40)
        coarse /= np.abs(coarse).max()
        fine = gaussian_filter(rng.normal(size=gx.shape), 1.5)
        fine /= np.abs(fine).max()
        minutes = dist_km / 40 * 60 * (1 + 0.35 * coarse) + 6 * fine
        gen = contourpy.contour_generator(xs, ys, minutes, fill_type="OuterOffset")
        for band in bands:
            polys = []
            points, offsets = gen.filled(-np.inf, band)
            for pts, offs in zip(points, offsets, strict=True):
                rings = [pts[a:b] for a, b in itertools.pairwise(offs)]
                polys.append(shapely.Polygon(rings[0], rings[1:]))
            geom = shapely.make_valid(shapely.MultiPolygon(polys))
            rows.append({"origin_id": p[0], "origin_name_en": p[1], "origin_name_zh": p[2],
                         "mode": mode, "band_min": band, "area_km2": geom.area / 1e6,
                         "n_platforms_reached": 3, "n_nodes_reached": 1,
                         "population": 1.0e6 * band / 30, "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC).to_crs(WGS84)


def synthetic_matrix(corridor: SimpleNamespace, *, with_routes: bool = True) -> pd.DataFrame:
    """Matrix cells between all platforms, drive mode; every other cell has a route."""
    p = corridor.platforms
    rows = []
    for i, (a, ga) in enumerate(zip(p["id"], p.geometry, strict=True)):
        for j, (b, gb) in enumerate(zip(p["id"], p.geometry, strict=True)):
            km = ga.distance(gb) * 105
            minutes = 0.0 if a == b else 10 + km / 50 * 60
            route = (LineString([ga, ((ga.x + gb.x) / 2, (ga.y + gb.y) / 2 + 0.01), gb])
                     if with_routes and a != b and (i + j) % 2 else None)
            rows.append({"from_id": a, "to_id": b, "mode": "drive", "minutes": minutes,
                         "distance_km": km, "access_min": 2.0, "wait_min": 0.0,
                         "in_vehicle_min": max(minutes - 4, 0), "transfer_min": 0.0,
                         "egress_min": 2.0, "geometry": route})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)


def synthetic_difference() -> gpd.GeoDataFrame:
    """Gained and lost areas around Songshan Lake."""
    return gpd.GeoDataFrame(
        {"origin_id": ["core_dg_songshan_lake"] * 2, "band_min": [60, 60],
         "change": ["gained", "lost"], "area_km2": [35.2, 4.1]},
        geometry=[shapely.box(113.95, 22.95, 114.05, 23.02),
                  shapely.box(113.7, 22.85, 113.74, 22.88)],
        crs=WGS84,
    )
