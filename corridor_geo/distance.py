"""Geodesic distance and bearing matrix between places (platforms, nodes, stations).

Distances are on the WGS84 ellipsoid (:meth:`pyproj.Geod.inv`, vectorised over all
pairs), i.e. straight-line ("as the crow flies") distances, not travel distances.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod

from corridor_geo import _io
from corridor_geo._args import is_wgs84_crs
from corridor_geo.errors import DataValidationError, UnknownIdError

if TYPE_CHECKING:
    from corridor_geo.corridor import Corridor

__all__ = ["COLUMNS", "distance_matrix", "write_distance_csv"]

#: Columns of :func:`distance_matrix`, in order.
COLUMNS = [
    "from_id", "to_id", "from_name_en", "to_name_en",
    "distance_km", "azimuth_deg", "back_azimuth_deg",
]

_GEOD = Geod(ellps="WGS84")


def _places_from(
    places: gpd.GeoDataFrame | Corridor, ids: Sequence[str] | None
) -> gpd.GeoDataFrame:
    if isinstance(places, gpd.GeoDataFrame):
        gdf = places
        if not is_wgs84_crs(gdf.crs):
            # Reprojecting silently could hide GCJ-02 data labelled with another CRS;
            # the package keeps WGS84 at its API boundary.
            raise DataValidationError(
                f"expected places in EPSG:4326 (WGS84), got "
                f"{'no CRS' if gdf.crs is None else gdf.crs.to_string()}; "
                "use .to_crs('EPSG:4326') (or corridor_geo.crs for GCJ-02/BD-09 data)",
                field="crs",
            )
        if "id" not in gdf.columns:
            raise DataValidationError("places need an 'id' column", field="id")
        known = [str(i) for i in gdf["id"]]
        if len(set(known)) != len(known):
            dup = sorted({i for i in known if known.count(i) > 1})
            raise DataValidationError(f"duplicate ids {dup}", field="id")
        if ids is not None:
            for q in ids:
                if str(q) not in set(known):
                    raise UnknownIdError(str(q), known)
            gdf = gdf.set_index(gdf["id"].astype(str)).loc[[str(q) for q in ids]]
            gdf = gdf.reset_index(drop=True)
    else:
        corridor = places
        allp = corridor.places()
        if ids is None:
            gdf = allp
        else:
            resolved = [corridor.resolve(q) for q in ids]  # UnknownIdError on bad ids
            gdf = allp.set_index("id", drop=False).loc[resolved].reset_index(drop=True)
    bad = ~gdf.geometry.geom_type.eq("Point") | gdf.geometry.is_empty
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataValidationError(
            f"expected a Point geometry, got {gdf.geometry.iloc[i].geom_type}",
            row=i + 1, field="geometry",
        )
    return gdf


def distance_matrix(
    places: gpd.GeoDataFrame | Corridor,
    *,
    ids: Sequence[str] | None = None,
    include_self: bool = False,
) -> pd.DataFrame:
    """Return geodesic distances and bearings between every ordered pair of places.

    Parameters
    ----------
    places
        A :class:`~corridor_geo.corridor.Corridor` (its ``places()``: platforms, nodes,
        stations) or a GeoDataFrame in EPSG:4326 (or ``OGC:CRS84``, the same WGS84
        degrees longitude first) with an ``id`` column, Point geometry and optionally
        ``name_en``. Other CRSs are rejected rather than reprojected.
    ids
        Places to include, in this order; with a Corridor, English or Chinese names
        are resolved with ``corridor.resolve`` (an unknown id raises
        :class:`~corridor_geo.errors.UnknownIdError`); a place given twice counts
        once. Default: all places.
    include_self
        Also return each place's pair with itself (``from_id == to_id``: 0 km, NaN
        azimuths), e.g. for a square table with a zero diagonal. Default ``False``:
        n(n - 1) rows for n distinct places.

    Returns
    -------
    pandas.DataFrame
        Tidy long format, one row per ordered pair of different places (n² rows with
        *include_self*), ordered by (from, to) in the order of *ids* (or of *places*):
        ``from_id, to_id, from_name_en, to_name_en, distance_km, azimuth_deg`` (forward
        azimuth at the origin, degrees clockwise from north in [0, 360)),
        ``back_azimuth_deg`` (azimuth at the destination pointing back to the origin,
        [0, 360)). Two different places at the same point are 0 km apart with NaN
        azimuths.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> gdf = gpd.GeoDataFrame({"id": ["a", "b"]}, crs="EPSG:4326",
    ...                        geometry=[Point(113.0, 23.0), Point(113.0, 24.0)])
    >>> df = distance_matrix(gdf)
    >>> df[["from_id", "to_id"]].values.tolist()
    [['a', 'b'], ['b', 'a']]
    >>> round(float(df.loc[0, "distance_km"]), 2), float(df.loc[0, "azimuth_deg"])
    (110.75, 0.0)
    >>> len(distance_matrix(gdf, include_self=True))
    4
    """
    from corridor_geo._args import as_list, describe

    if not isinstance(places, gpd.GeoDataFrame) and not hasattr(places, "places"):
        from corridor_geo.errors import ArgumentError

        raise ArgumentError("places must be a Corridor or a GeoDataFrame of places, got "
                            f"{describe(places)}")
    ids = None if ids is None else as_list(ids, name="ids", what="ids or names")
    gdf = _places_from(places, ids)
    # a place named twice in *ids* (by id and by name, say) is one place: one row per pair
    gdf = gdf[~gdf["id"].astype(str).duplicated()].reset_index(drop=True)
    pid = gdf["id"].astype(str).to_numpy()
    names = (gdf["name_en"].astype("string").fillna("").to_numpy()
             if "name_en" in gdf.columns else np.full(len(gdf), "", dtype=object))
    lon = gdf.geometry.x.to_numpy(dtype=float)
    lat = gdf.geometry.y.to_numpy(dtype=float)
    n = len(gdf)
    i, j = np.divmod(np.arange(n * n), n)
    if not include_self:
        keep = i != j
        i, j = i[keep], j[keep]
    az, back, dist = _GEOD.inv(lon[i], lat[i], lon[j], lat[j])
    az = np.mod(np.asarray(az, float), 360.0)
    # pyproj's back azimuth is the bearing at the destination towards the origin
    back = np.mod(np.asarray(back, float), 360.0)
    same = (lon[i] == lon[j]) & (lat[i] == lat[j])
    az[same] = np.nan
    back[same] = np.nan
    dist = np.asarray(dist, float) / 1e3
    dist[same] = 0.0
    return pd.DataFrame({
        "from_id": pid[i],
        "to_id": pid[j],
        "from_name_en": names[i],
        "to_name_en": names[j],
        "distance_km": dist,
        "azimuth_deg": az,
        "back_azimuth_deg": back,
    }, columns=COLUMNS)


def write_distance_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a distance table as UTF-8 CSV, atomically and deterministically.

    Numbers are written with fixed precision (distance to 1 m, azimuths to 0.01°),
    Unix line endings, no index, so the same table gives the same bytes.

    Examples
    --------
    >>> write_distance_csv(distance_matrix(corridor), "distances.csv")  # doctest: +SKIP
    """
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataValidationError(f"distance table lacks columns {missing}", field=missing[0])
    out = df[COLUMNS].copy()
    out["distance_km"] = out["distance_km"].map(lambda v: f"{v:.3f}")
    for col in ("azimuth_deg", "back_azimuth_deg"):
        out[col] = out[col].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    buf = io.StringIO()
    from corridor_geo._csvio import neutralise_frame

    neutralise_frame(out).to_csv(buf, index=False, lineterminator="\n")  # no formulas
    _io.atomic_write_text(path, buf.getvalue())
