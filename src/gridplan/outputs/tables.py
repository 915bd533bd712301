"""Plain-file exports of a plan: one GeoJSON per layer in WGS84, and the grids and
communities as CSV tables."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..io.write import output_crs, plain_columns
from ..partition.columns import COMMUNITY_TABLE, GRID_TABLE, in_order

#: Decimal places of lon/lat in the CSV tables (about 0.1 m).
CSV_PRECISION = 6
#: The CSV tables carry a byte-order mark, so Excel and WPS open Chinese text as UTF-8
#: (pandas, QGIS and Python's csv with utf-8-sig read it as plain UTF-8).
CSV_ENCODING = "utf-8-sig"


def plan_layers(plan) -> dict[str, gpd.GeoDataFrame]:
    """The layers of a plan by the names they have in plan.gpkg, each with a CRS; grids and
    communities with their columns in the order :mod:`gridplan.partition.columns` gives."""
    layers = {
        "homes": plan.homes, "grids": in_order(plan.grids, GRID_TABLE),
        "communities": in_order(plan.communities, COMMUNITY_TABLE),
        "special_grids": plan.special_grids, "stations": plan.stations,
        "proposed_stations": plan.proposed, "uncovered_homes": plan.uncovered,
        "unsnapped_homes": plan.unsnapped,
    }
    return {name: gdf if gdf.crs is not None else gdf.set_crs(plan.city.crs)
            for name, gdf in layers.items()}


def write_geojson(plan, folder) -> list[Path]:
    """Write one GeoJSON file per layer of the plan (RFC 7946: WGS84 lon/lat) into ``folder``.

    Parameters
    ----------
    plan : Plan
    folder : str or Path
        Created when missing.

    Returns
    -------
    list of Path
        The files written, ``<layer>.geojson``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, gdf in plan_layers(plan).items():
        path = folder / f"{name}.geojson"
        plain = plain_columns(gdf.to_crs(4326))
        for col in plain.columns:
            # a missing or unbounded figure (a share of no households, the distance to a
            # station where there is none) is null in GeoJSON, which has no NaN or Infinity;
            # GDAL would drop the property from the feature with a warning
            if plain[col].dtype.kind == "f" and not np.isfinite(plain[col]).all():
                plain[col] = plain[col].where(np.isfinite(plain[col])).astype("Float64")
        plain.to_file(path, driver="GeoJSON", engine="pyogrio", RFC7946="YES")
        out.append(path)
    return out


def table(gdf: gpd.GeoDataFrame, *, area: bool = True, crs=None) -> pd.DataFrame:
    """A layer as a plain table: its columns, the ``lon`` / ``lat`` (WGS84) of a point inside
    each shape, with ``area`` its ``area_m2``, and with a projected ``crs`` (the output CRS)
    that point's ``x`` / ``y`` in it."""
    inside = gpd.GeoSeries(shapely.point_on_surface(gdf.geometry.values), crs=gdf.crs)
    pts = inside.to_crs(4326)
    frame = plain_columns(gdf).drop(columns=gdf.geometry.name)
    frame["lon"] = np.round(pts.x.to_numpy(), CSV_PRECISION)
    frame["lat"] = np.round(pts.y.to_numpy(), CSV_PRECISION)
    if crs is not None and crs.is_projected and not crs.equals(gdf.crs):
        own = inside.to_crs(crs)
        frame["x"] = np.round(own.x.to_numpy(), 2)
        frame["y"] = np.round(own.y.to_numpy(), 2)
    if area:
        frame["area_m2"] = np.round(gdf.geometry.area.to_numpy(), 1)
    return pd.DataFrame(frame)


def write_tables(plan, folder) -> list[Path]:
    """Write ``grids.csv`` and ``communities.csv`` into ``folder``.

    Returns
    -------
    list of Path
    """
    folder = Path(folder)
    out = []
    crs = output_crs(plan.city, plan.config)
    for name in ("grids", "communities"):
        path = folder / f"{name}.csv"
        table(plan_layers(plan)[name], crs=crs).to_csv(path, index=False, encoding=CSV_ENCODING)
        out.append(path)
    return out
