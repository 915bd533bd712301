"""Units of the partition: buildings above the grid maximum cut into parts, small compounds made whole."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import PlanConfig

#: Radius of the small circle around an address point on which its parts are spread, so each
#: part gets its own cell.
PART_SPREAD_M = 8.0


def split_parts(homes: gpd.GeoDataFrame, config: PlanConfig) -> gpd.GeoDataFrame:
    """Cut every home with more households than a grid may hold into parts.

    A building is cut by entrance when it has an ``entrances`` column and enough entrances to
    keep each part within ``config.part_households``, otherwise by floor into equal parts.
    Households are divided exactly (the parts sum to the whole). Each part keeps the input
    columns, gets ``part`` (1..n; 0 for homes that are not cut), ``part_of`` (the number of parts)
    and ``split_by``; its generator point (``_gx``, ``_gy``) is the centre of its slice of the
    footprint, or a point on a small circle round an address point.

    Returns
    -------
    GeoDataFrame
        One row per home or part, with ``home_index`` pointing at the input row.
    """
    homes = homes.copy()
    homes["home_index"] = np.arange(len(homes))
    rep = shapely.point_on_surface(homes.geometry.values)
    homes["_gx"] = shapely.get_x(rep)
    homes["_gy"] = shapely.get_y(rep)
    homes["part"] = 0
    homes["part_of"] = 1
    homes["split_by"] = ""
    hh = homes["households"].to_numpy()
    ent = (pd.to_numeric(homes["entrances"], errors="coerce").fillna(1).clip(lower=1)
           .to_numpy().astype(int) if "entrances" in homes.columns else np.ones(len(homes), int))
    need = np.ceil(hh / config.part_households).astype(int)
    over = hh > config.max_households
    by_entrance = (ent >= np.maximum(need, 2)) & (hh >= ent) & \
        (np.ceil(hh / ent) <= config.part_households) & (over | config.split_by_entrance)
    big = over | by_entrance
    if not big.any():
        return homes
    n_parts = np.where(by_entrance, ent, need)[big]
    by = np.where(by_entrance, "entrance", "floor")[big].astype(object)

    rows = homes[big].copy()
    rows["_n"] = n_parts
    rows["split_by"] = by
    parts = rows.loc[rows.index.repeat(rows["_n"])].copy()
    k = parts.groupby(level=0).cumcount().to_numpy()          # 0..n-1 within each home
    n = parts["_n"].to_numpy()
    total = parts["households"].to_numpy()
    base, extra = total // n, total % n
    parts["households"] = base + (k < extra)
    parts["part"] = k + 1
    parts["part_of"] = n
    gx, gy = _part_points(parts.geometry.values, k, n)
    parts["_gx"], parts["_gy"] = gx, gy
    parts = parts.drop(columns="_n")
    out = pd.concat([homes[~big], parts]).sort_values(["home_index", "part"], kind="stable")
    return gpd.GeoDataFrame(out, geometry=homes.geometry.name, crs=homes.crs).reset_index(drop=True)


def _part_points(geoms: np.ndarray, k: np.ndarray, n: np.ndarray):
    """Generator points of part k of n: slice centres along a footprint's long axis, or a
    small circle round a point."""
    is_point = shapely.get_type_id(geoms) == 0
    cx = shapely.get_x(shapely.point_on_surface(geoms))
    cy = shapely.get_y(shapely.point_on_surface(geoms))
    angle = 2 * np.pi * k / n
    px, py = cx + PART_SPREAD_M * np.cos(angle), cy + PART_SPREAD_M * np.sin(angle)
    if (~is_point).any():
        rect = shapely.oriented_envelope(geoms[~is_point])
        coords = shapely.get_coordinates(rect).reshape(-1, 5, 2)[:, :4]
        e1 = coords[:, 1] - coords[:, 0]
        e2 = coords[:, 3] - coords[:, 0]
        long_is_e1 = np.hypot(*e1.T) >= np.hypot(*e2.T)
        along = np.where(long_is_e1[:, None], e1, e2)
        across = np.where(long_is_e1[:, None], e2, e1)
        t = ((k[~is_point] + 0.5) / n[~is_point])[:, None]
        p = coords[:, 0] + along * t + across * 0.5
        inside = shapely.contains_xy(geoms[~is_point], p[:, 0], p[:, 1])
        # a slice centre outside an L-shaped footprint falls back to the circle
        px[~is_point] = np.where(inside, p[:, 0], px[~is_point])
        py[~is_point] = np.where(inside, p[:, 1], py[~is_point])
    return px, py


def merge_parts(homes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Join back the parts of a home that ended up in the same grid, so only homes a grid
    boundary really divides stay in parts (renumbered 1..n)."""
    cut = homes["part"] > 0
    if not cut.any():
        return homes
    parts = homes[cut]
    keys = ["home_index", "grid_id"]
    agg = parts.groupby(keys, sort=False)["households"].transform("sum")
    first = ~parts.duplicated(keys)
    kept = parts[first].copy()
    kept["households"] = agg[first].to_numpy()
    n = kept.groupby("home_index")["grid_id"].transform("size")
    kept["part_of"] = n.to_numpy()
    kept["part"] = np.where(n > 1, kept.groupby("home_index").cumcount() + 1, 0)
    kept.loc[n.to_numpy() == 1, "split_by"] = ""
    out = pd.concat([homes[~cut], kept]).sort_values(["home_index", "part"], kind="stable")
    return gpd.GeoDataFrame(out, geometry=homes.geometry.name, crs=homes.crs).reset_index(drop=True)


def unit_ids(parts: gpd.GeoDataFrame, config: PlanConfig) -> np.ndarray:
    """The partition unit of each home or part: a compound that fits in one grid is one unit
    (so it is never cut); every other home or part is a unit of its own."""
    n = len(parts)
    ids = np.arange(n)
    if "compound" not in parts.columns:
        return ids
    comp = parts["compound"]
    has = comp.notna() & (comp.astype(str).str.strip() != "")
    if not has.any():
        return ids
    totals = parts.loc[has].groupby(comp[has].astype(str))["households"].transform("sum")
    whole = np.zeros(n, dtype=bool)
    whole[np.flatnonzero(has.to_numpy())] = (totals <= config.max_households).to_numpy()
    if whole.any():
        codes, _ = pd.factorize(comp[whole].astype(str))
        ids[whole] = n + codes
    _, ids = np.unique(ids, return_inverse=True)
    return ids
