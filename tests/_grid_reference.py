"""Frozen copy of the grid catchment method as it was before issue 16 (reference only).

The travel-time grid of ``corridor_geo._grid`` / ``catchments._grid_method`` at commit
171756c: the grid covers the whole network, (cell, access point) pairs are computed per
call for the reached access points, and each band is ``shapely.union_all`` of cell-run
boxes. Kept verbatim so that tests can check that the faster implementation gives the
same cells per band, and ``benchmarks/bench_catchments.py`` can time it as its baseline
in the same run. Do not "improve" it: it is the reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from scipy import ndimage
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Grid:
    """A regular grid: cell (iy, ix) spans [x0 + ix*cell, x0 + (ix+1)*cell) in x."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return self.nx * self.ny

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell edge coordinates in x (nx+1) and y (ny+1), computed once so shared edges match."""
        return (self.x0 + self.cell * np.arange(self.nx + 1, dtype=np.float64),
                self.y0 + self.cell * np.arange(self.ny + 1, dtype=np.float64))

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell centre coordinates in x (nx) and y (ny)."""
        return (self.x0 + self.cell * (np.arange(self.nx) + 0.5),
                self.y0 + self.cell * (np.arange(self.ny) + 0.5))


def make_grid(x: np.ndarray, y: np.ndarray, *, cell: float, margin: float) -> Grid:
    """Grid covering the points plus *margin*, with edges on multiples of *cell*."""
    if x.size == 0:
        raise ValueError("no points to build a grid around")
    ix0 = math.floor((float(np.min(x)) - margin) / cell)
    iy0 = math.floor((float(np.min(y)) - margin) / cell)
    ix1 = math.floor((float(np.max(x)) + margin) / cell) + 1
    iy1 = math.floor((float(np.max(y)) + margin) / cell) + 1
    return Grid(x0=ix0 * cell, y0=iy0 * cell, cell=float(cell), nx=ix1 - ix0, ny=iy1 - iy0)


def land_cells(grid: Grid, land: BaseGeometry) -> np.ndarray:
    """Boolean (ny, nx) mask of cells that touch *land* (metric CRS).

    A cell counts when its centre is on land or the land boundary passes through it
    (found from the boundary densified to a quarter cell), so coastal cells whose centre
    is in the sea are kept and later clipped to the coastline.
    """
    xc, yc = grid.centres()
    shapely.prepare(land)
    mask = np.zeros((grid.ny, grid.nx), dtype=bool)
    # row by row keeps the temporaries small on large grids
    for iy in range(grid.ny):
        mask[iy] = shapely.contains_xy(land, xc, np.full(grid.nx, yc[iy]))
    boundary = shapely.segmentize(shapely.boundary(land), grid.cell / 4.0)
    pts = shapely.get_coordinates(boundary)
    if len(pts):
        ix = np.floor((pts[:, 0] - grid.x0) / grid.cell).astype(np.int64)
        iy = np.floor((pts[:, 1] - grid.y0) / grid.cell).astype(np.int64)
        ok = (ix >= 0) & (ix < grid.nx) & (iy >= 0) & (iy < grid.ny)
        mask[iy[ok], ix[ok]] = True
    return mask


@dataclass(frozen=True)
class Pairs:
    """Static (cell, node, distance) pairs sorted by cell; ``starts`` indexes each cell's run."""

    cell: np.ndarray  # int64 flat cell index (iy * nx + ix), sorted
    node: np.ndarray  # int64 node index
    dist: np.ndarray  # float64 metres, centre to node
    cells: np.ndarray  # unique cells (sorted)
    starts: np.ndarray  # first pair of each unique cell


def node_cell_pairs(grid: Grid, x: np.ndarray, y: np.ndarray, nodes: np.ndarray, *,
                    radius: float, land: np.ndarray, chunk: int = 20_000) -> Pairs:
    """All (cell, node) pairs with centre-to-node distance ≤ *radius* on one land component.

    Parameters
    ----------
    grid
        The grid.
    x, y
        Metric coordinates of *all* network nodes.
    nodes
        Indices of the nodes that may serve cells (e.g. the nodes reached by any origin).
    radius
        Longest off-network leg, metres.
    land
        Mask from :func:`land_cells`.
    chunk
        Nodes per vectorised block (bounds memory use).
    """
    # Land components (4-connected): an off-network leg never joins two of them.
    labels, _ = ndimage.label(land)
    # A node standing over water (bridge, coastal road outside a generalised coastline)
    # belongs to the component of its nearest land cell.
    if land.any():
        _, (niy, nix) = ndimage.distance_transform_edt(~land, return_indices=True)
    else:
        niy = nix = None
    k = math.ceil(radius / grid.cell) + 1
    oy, ox = np.mgrid[-k:k + 1, -k:k + 1]
    ox = ox.ravel()
    oy = oy.ravel()
    out_c, out_n, out_d = [], [], []
    nodes = np.asarray(nodes, dtype=np.int64)
    for s in range(0, nodes.size, chunk):
        nd = nodes[s:s + chunk]
        px, py = x[nd], y[nd]
        nix0 = np.floor((px - grid.x0) / grid.cell).astype(np.int64)
        niy0 = np.floor((py - grid.y0) / grid.cell).astype(np.int64)
        inside = (nix0 >= 0) & (nix0 < grid.nx) & (niy0 >= 0) & (niy0 < grid.ny)
        node_lab = np.zeros(nd.size, dtype=labels.dtype)
        if niy is not None:
            node_lab[inside] = labels[niy[niy0[inside], nix0[inside]],
                                      nix[niy0[inside], nix0[inside]]]
        cix = nix0[:, None] + ox[None, :]
        ciy = niy0[:, None] + oy[None, :]
        cx = grid.x0 + (cix + 0.5) * grid.cell
        cy = grid.y0 + (ciy + 0.5) * grid.cell
        d = np.hypot(cx - px[:, None], cy - py[:, None])
        ok = (d <= radius) & (cix >= 0) & (cix < grid.nx) & (ciy >= 0) & (ciy < grid.ny)
        ok &= (node_lab > 0)[:, None]
        ciy_c = np.where(ok, ciy, 0)
        cix_c = np.where(ok, cix, 0)
        ok &= labels[ciy_c, cix_c] == node_lab[:, None]
        out_c.append((ciy * grid.nx + cix)[ok])
        out_n.append(np.broadcast_to(nd[:, None], ok.shape)[ok])
        out_d.append(d[ok])
    cell = np.concatenate(out_c) if out_c else np.zeros(0, np.int64)
    node = np.concatenate(out_n) if out_n else np.zeros(0, np.int64)
    dist = np.concatenate(out_d) if out_d else np.zeros(0, np.float64)
    order = np.lexsort((node, cell))  # deterministic order
    cell, node, dist = cell[order], node[order], dist[order]
    cells, starts = np.unique(cell, return_index=True)
    return Pairs(cell=cell, node=node, dist=dist, cells=cells, starts=starts)


def cell_times(pairs: Pairs, node_time_s: np.ndarray, *, speed_ms: float) -> np.ndarray:
    """Time (s) of each cell in ``pairs.cells``: min over its pairs of node time + walk leg."""
    if pairs.cell.size == 0:
        return np.zeros(0)
    val = node_time_s[pairs.node] + pairs.dist / speed_ms
    return np.minimum.reduceat(val, pairs.starts)


def _row_runs(grid: Grid, flat: np.ndarray) -> np.ndarray:
    """Boxes (one per run of consecutive cells in a grid row) for sorted flat cell indices."""
    if flat.size == 0:
        return np.zeros(0, dtype=object)
    flat = np.sort(flat)
    # a new run starts where the index is not the previous + 1 or a new row begins
    brk = np.ones(flat.size, dtype=bool)
    brk[1:] = (np.diff(flat) != 1) | (flat[1:] % grid.nx == 0)
    first = flat[brk]
    last = flat[np.r_[brk[1:], True]]
    xe, ye = grid.edges()
    iy = first // grid.nx
    return shapely.box(xe[first % grid.nx], ye[iy], xe[last % grid.nx + 1], ye[iy + 1])


def band_polygons(grid: Grid, cells: np.ndarray, times_s: np.ndarray, limits_s: list[float],
                  land: BaseGeometry | None) -> list[BaseGeometry]:
    """One polygon per limit: the union of cells with time ≤ limit, clipped to *land*.

    Bands are nested by construction: each band is the union of the previous band and
    the cells added at this limit.
    """
    out: list[BaseGeometry] = []
    prev: BaseGeometry = shapely.Polygon()
    prev_limit = -np.inf
    local_land = None
    if land is not None and cells.size:
        sel = cells[times_s <= max(limits_s)]
        if sel.size:
            ix, iy = sel % grid.nx, sel // grid.nx
            xe, ye = grid.edges()
            local_land = shapely.clip_by_rect(land, xe[ix.min()], ye[iy.min()],
                                              xe[ix.max() + 1], ye[iy.max() + 1])
    for lim in limits_s:
        new = cells[(times_s > prev_limit) & (times_s <= lim)]
        boxes = _row_runs(grid, new)
        geom = shapely.union_all(np.concatenate([[prev], boxes])) if boxes.size else prev
        out.append(geom)
        prev, prev_limit = geom, lim
    if local_land is not None:
        out = [shapely.intersection(g, local_land) for g in out]
        # clipping each band separately keeps nesting: A ⊆ B ⇒ A∩L ⊆ B∩L
    return [_polygonal(g) for g in out]


def _polygonal(g: BaseGeometry) -> BaseGeometry:
    """Keep only the polygonal part (intersections may leave slivers of lines or points)."""
    if g.is_empty or g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


NO_ACCESS_HIGHWAYS = ("motorway", "motorway_link", "trunk_link", "expressway")

from pyproj import Transformer  # noqa: E402

_TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)


def _to_metric_array(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms,
                             lambda c: np.column_stack(_TO_METRIC.transform(c[:, 0], c[:, 1])))


def _edge_points(net: Any, edges: np.ndarray, *,
                 spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points every *spacing* metres along *edges* (metric x, y, edge index, fraction).

    Used as extra access points so land along a long edge between two distant nodes
    (the scgraph default has a median edge of ~500 m) is reached. A point's time is the
    edge's source time plus the fraction of the edge's travel time.
    """
    length = np.asarray(net.length_m, dtype=np.float64)[edges]
    k = np.floor(length / spacing).astype(np.int64)  # interior points per edge
    keep = k > 0
    edges, k = edges[keep], k[keep]
    if edges.size == 0:
        z = np.zeros(0)
        return z, z, np.zeros(0, dtype=np.int64), z
    e = np.repeat(edges, k)
    j = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k) + 1
    frac = j / np.repeat(k + 1, k)
    geoms = _to_metric_array(np.asarray(net.geometry)[edges])
    pts = shapely.line_interpolate_point(np.repeat(geoms, k), frac, normalized=True)
    xy = shapely.get_coordinates(pts)
    return xy[:, 0], xy[:, 1], e, frac


def grid_method(net, x: np.ndarray, y: np.ndarray, times: np.ndarray,
                limits_s: list[float], *, cell: float, land: BaseGeometry | None,
                speed_ms: float, radius: float, cells_out: list | None = None
                ) -> list[list[BaseGeometry]]:
    """``catchments._grid_method`` as it was; *cells_out* receives (grid, cells, times)."""
    # The grid covers the whole network (not just what these origins reach), so a
    # cell and its land component never depend on the other origins asked for.
    grid = make_grid(x, y, cell=cell, margin=radius + cell)
    mask = (land_cells(grid, land) if land is not None
            else np.ones((grid.ny, grid.nx), dtype=bool))
    reached = np.isfinite(times).any(axis=0)
    src = np.asarray(net.source, dtype=np.int64)
    tt = np.asarray(net.travel_time_s, dtype=np.float64)
    hw = np.asarray(net.highway, dtype=object).astype(str)
    # access points along edges a vehicle (or walker) may stop on: not along
    # access-controlled roads, which are only left at their junction nodes
    stop_ok = ~np.isin(hw, NO_ACCESS_HIGHWAYS)
    cand = np.flatnonzero(reached[src] & stop_ok)
    ex, ey, e_idx, e_frac = _edge_points(net, cand, spacing=max(cell / 2.0, 50.0))
    ax, ay = np.concatenate([x, ex]), np.concatenate([y, ey])
    n = x.size
    serving = np.concatenate([np.flatnonzero(reached), n + np.arange(ex.size)])
    pairs = node_cell_pairs(grid, ax, ay, serving, radius=radius, land=mask)
    out = []
    for t in times:
        at = np.concatenate([t, t[src[e_idx]] + e_frac * tt[e_idx]])
        ct = cell_times(pairs, at, speed_ms=speed_ms)
        keep = ct <= limits_s[-1]
        if cells_out is not None:
            cells_out.append((grid, pairs.cells[keep], ct[keep]))
        out.append(band_polygons(grid, pairs.cells[keep], ct[keep], limits_s, land))
    return out
