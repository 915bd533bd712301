"""Units of the partition: buildings above the grid maximum cut into parts, small compounds made whole."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..columns import COMPOUND, ENTRANCES, GRID_ID, HOME_INDEX, HOUSEHOLDS, PART, PART_OF, SPLIT_BY
from ..config import PlanConfig

#: Radius of the small circle around an address point on which its parts are spread, so each
#: part gets its own cell.
PART_SPREAD_M = 8.0
#: Parts of one point beyond this many are laid out on a sunflower spiral, not a circle.
SPIRAL_PARTS = 8
GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))


def split_parts(homes: gpd.GeoDataFrame, config: PlanConfig,
                cut: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Cut every home with more households than a grid may hold into parts.

    A building is cut by entrance when it has an ``entrances`` column and enough entrances to
    keep each part within ``config.part_households``. A compound point with a ``buildings``
    column is cut by building: its households spread evenly over its buildings (buildings
    grouped so no part is below ``config.building_part_min_households``), unless its buildings
    are towers above the grid maximum. Anything else is cut by floor into equal parts.
    Households are divided exactly (the parts sum to the whole). Each part keeps the input
    columns, gets ``part`` (1..n; 0 for homes that are not cut), ``part_of`` (the number of parts)
    and ``split_by``; its generator point (``_gx``, ``_gy``) is the centre of its slice of the
    footprint, or a point on a small circle round an address point.

    Parameters
    ----------
    homes : GeoDataFrame
    config : PlanConfig
    cut : ndarray of int, optional
        Positions of homes that fit in one grid but are to be cut by building anyway (the
        compounds ``allow_compound_split`` lets the partition cut).

    Returns
    -------
    GeoDataFrame
        One row per home or part, with ``home_index`` pointing at the input row.
    """
    hh = homes[HOUSEHOLDS].to_numpy()
    ent = (pd.to_numeric(homes[ENTRANCES], errors="coerce").fillna(1).clip(lower=1)
           .to_numpy().astype(int) if ENTRANCES in homes.columns else np.ones(len(homes), int))
    bld = building_counts(homes)
    need = np.ceil(hh / config.part_households).astype(int)
    over = hh > config.max_households
    forced = np.zeros(len(homes), dtype=bool)
    if cut is not None and len(cut):
        forced[np.asarray(cut, dtype=np.int64)] = True
    by_entrance = (ent >= np.maximum(need, 2)) & (hh >= ent) & \
        (np.ceil(hh / ent) <= config.part_households) & (over | config.split_by_entrance)
    # building-sized parts give the grids room to balance (a grid takes any number of a
    # compound's buildings); many small buildings (villas) are grouped, so a district does
    # not turn into thousands of tiny units
    per_part = max(1, config.building_part_min_households)
    n_bld = np.minimum(bld, np.maximum(hh // per_part, np.where(forced, 2, 1)))
    by_building = ~by_entrance & (n_bld >= 2) & (hh >= n_bld) & (over | forced)
    # buildings of more than ``part_households`` are cut by floor too (a part of 260–300
    # households can only make a grid with a small neighbour; two make more than one grid):
    # such parts are floor parts, whose cut the grids may move
    floors = np.maximum(np.ceil(np.ceil(hh / np.maximum(n_bld, 1)) / config.part_households),
                        1).astype(int)
    n_bld = n_bld * floors
    by_building &= floors == 1
    need = np.where(~by_entrance & (n_bld >= 2) & over & (floors > 1), n_bld, need)
    big = over | by_entrance | by_building
    # one row per home, or per part of a big one (parts of a home in order, after its
    # predecessors): positions in ``homes`` repeated, and each row's part number k (0-based)
    count = np.where(big, np.where(by_entrance, ent, np.where(by_building, n_bld, need)), 1)
    take = np.repeat(np.arange(len(homes)), count)
    k = np.arange(len(take)) - np.repeat(np.cumsum(count) - count, count)
    is_part = big[take]
    out = homes.iloc[take].reset_index(drop=True) if big.any() else homes.copy()
    geoms = np.asarray(homes.geometry.values)[take]
    rep = shapely.point_on_surface(geoms)
    gx, gy = shapely.get_x(rep), shapely.get_y(rep)
    n = count[take]
    if is_part.any():
        gx[is_part], gy[is_part] = _part_points(geoms[is_part], gx[is_part], gy[is_part],
                                                k[is_part], n[is_part], take[is_part])
    out[HOME_INDEX] = take
    out["_gx"] = gx
    out["_gy"] = gy
    out[PART] = np.where(is_part, k + 1, 0)
    out[PART_OF] = np.where(is_part, n, 1)
    split_by = np.full(len(take), "", dtype=object)
    split_by[is_part] = np.where(by_entrance, "entrance",
                                 np.where(by_building, "building", "floor"))[take[is_part]]
    out[SPLIT_BY] = split_by
    if is_part.any():
        total = hh[take]
        # households divided exactly: the first (total mod n) parts take one more
        out[HOUSEHOLDS] = np.where(is_part, total // n + (k < total % n), total)
    return out


def building_counts(homes: gpd.GeoDataFrame) -> np.ndarray:
    """Buildings per home from a ``buildings`` column (1 where it is missing or not a whole
    number above 0)."""
    if "buildings" not in homes.columns:
        return np.ones(len(homes), dtype=np.int64)
    b = pd.to_numeric(homes["buildings"], errors="coerce").to_numpy(dtype=float)
    b = np.where(np.isfinite(b) & (b >= 1), np.floor(b), 1)
    return b.astype(np.int64)


def _part_points(geoms: np.ndarray, cx: np.ndarray, cy: np.ndarray, k: np.ndarray,
                 n: np.ndarray, home: np.ndarray):
    """Generator points of part k of n of a home: slice centres along a footprint's long axis,
    or a small circle round a point (cx, cy: a point on each shape's surface; parts of one
    ``home`` share its shape)."""
    is_point = shapely.get_type_id(geoms) == 0
    angle = 2 * np.pi * k / n
    # many parts on one circle meet in slivers at its centre; a sunflower spiral in the same
    # disc keeps every part a proper cell beside its neighbours
    spiral = n > SPIRAL_PARTS
    angle = np.where(spiral, k * GOLDEN_ANGLE, angle)
    radius = PART_SPREAD_M * np.where(spiral, np.sqrt((k + 0.5) / n), 1.0)
    px, py = cx + radius * np.cos(angle), cy + radius * np.sin(angle)
    if (~is_point).any():
        _, first, shape = np.unique(home[~is_point], return_index=True, return_inverse=True)
        rect = shapely.oriented_envelope(geoms[~is_point][first])
        coords = shapely.get_coordinates(rect).reshape(-1, 5, 2)[:, :4][shape]
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
    part = homes[PART].to_numpy()
    cut = part > 0
    if not cut.any():
        return homes
    rows = np.flatnonzero(cut)
    home = homes[HOME_INDEX].to_numpy()
    grid, _ = pd.factorize(homes[GRID_ID].to_numpy()[rows], use_na_sentinel=False)
    # the first row of each (home, grid) pair stays, with the pair's households
    _, first, pair = np.unique(home[rows] * (int(grid.max()) + 1) + grid, return_index=True,
                               return_inverse=True)
    households = homes[HOUSEHOLDS].to_numpy()
    summed = np.zeros(len(first), dtype=households.dtype)
    np.add.at(summed, pair, households[rows])
    stays = np.zeros(len(rows), dtype=bool)
    stays[first] = True
    kept = rows[stays]
    # parts left per home, numbered 1..n in row order (0 when the home is whole again)
    _, of_home, count = np.unique(home[kept], return_inverse=True, return_counts=True)
    n = count[of_home]
    rank = np.empty(len(kept), dtype=np.int64)
    by_home = np.argsort(of_home, kind="stable")
    rank[by_home] = np.arange(len(kept)) - np.repeat(np.cumsum(count) - count, count)
    whole = np.flatnonzero(~cut)
    order = np.concatenate([whole, kept])
    new_part = np.concatenate([part[whole], np.where(n > 1, rank + 1, 0)])
    split_by = homes[SPLIT_BY].to_numpy()[order]
    split_by[len(whole):][n == 1] = ""
    sort = np.lexsort((new_part, home[order]))      # stable: by home, then part
    out = homes.iloc[order[sort]].reset_index(drop=True)
    out[HOUSEHOLDS] = np.concatenate([households[whole], summed[pair[stays]]])[sort]
    out[PART] = new_part[sort]
    out[PART_OF] = np.concatenate([homes[PART_OF].to_numpy()[whole], n])[sort]
    out[SPLIT_BY] = split_by[sort]
    return out


def unit_ids(parts: gpd.GeoDataFrame, config: PlanConfig,
             cut: np.ndarray | None = None) -> np.ndarray:
    """The partition unit of each home or part: a compound that fits in one grid is one unit
    (so it is never cut), unless one of its homes is in ``cut`` (home positions the
    partition may cut); every other home or part is a unit of its own."""
    n = len(parts)
    ids = np.arange(n)
    if COMPOUND not in parts.columns:
        return ids
    comp = parts[COMPOUND]
    name = comp.astype(str).to_numpy(dtype=object)
    has = comp.notna().to_numpy() & np.array([isinstance(v, str) and v.strip() != "" for v in name],
                                              dtype=bool)
    if not has.any():
        return ids
    codes, _ = pd.factorize(name[has])
    totals = np.bincount(codes, weights=parts[HOUSEHOLDS].to_numpy()[has])
    whole = np.zeros(n, dtype=bool)
    whole[has] = totals[codes] <= config.max_households
    if cut is not None and len(cut):
        loose = np.isin(parts[HOME_INDEX].to_numpy()[has], cut)
        whole[np.flatnonzero(has)[np.isin(codes, codes[loose])]] = False
    if whole.any():
        codes, _ = pd.factorize(name[whole])
        ids[whole] = n + codes
    _, ids = np.unique(ids, return_inverse=True)
    return ids

