"""The partition after a review: grids, communities and homes rebuilt from the new grid of
each home, with the partition's own functions (dissolved cells, Polsby-Popper, crossings)."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...partition import Partition, dissolve_cells, unresolved_notes
from ...partition.divide import cut_notes, cuts_per_grid, find_compound_cuts
from ...partition.quality import crossings, polsby_popper
from ...partition.units import merge_parts
from .graph import ReviewGraph


def edited_partition(plan, graph: ReviewGraph, row_grid: np.ndarray, moved: int) -> Partition:
    """``plan``'s partition with every unit of ``graph`` in the grid ``row_grid`` gives it.

    Grid and community ids are kept; a grid's shape is the union of its cells again, and its
    households, homes, range flag, compactness, crossings and pieces are measured again, as are
    its community's. Homes without households follow the cell nearest to them, as in the
    partition, and parts of a building that now share a grid become one row.

    Parameters
    ----------
    plan : Plan
    graph : ReviewGraph
    row_grid : ndarray of int
        New grid (index into ``graph.grid_ids``) of each unit.
    moved : int
        Moves applied (for the method note).

    Returns
    -------
    Partition
    """
    part, cfg = plan.partition, plan.config
    rows = graph.rows
    n_grid = len(graph.grid_ids)
    cells = np.asarray(part.cells.geometry.values)
    cell_grid = row_grid[graph.cell_row]
    geoms = dissolve_cells(cells, cell_grid, n_grid)
    hh = rows["households"].to_numpy()

    grids = part.grids.copy()
    grids = grids.set_geometry(gpd.GeoSeries(list(geoms), index=grids.index, crs=grids.crs))
    grids["households"] = np.bincount(row_grid, weights=hh, minlength=n_grid).astype(np.int64)
    grids["homes"] = _unique_homes(rows["home_index"], row_grid, n_grid)
    grids["in_range"] = grids["households"].between(cfg.min_households, cfg.max_households)
    grids["polsby_popper"] = polsby_popper(geoms)
    cross = crossings(graph.cells, cell_grid, n_grid)
    for col in cross.columns:
        grids[col] = cross[col].to_numpy()
    grids["parts"] = shapely.get_num_geometries(geoms)

    communities = part.communities.copy()
    comm_ids = communities["community_id"].astype(str).to_numpy()
    grid_comm = pd.Series(np.arange(len(comm_ids)), index=comm_ids) \
        .reindex(grids["community_id"].astype(str)).to_numpy()
    n_comm = len(comm_ids)
    homes = _homes_after(plan, graph, row_grid, cells, cell_grid)
    homes["community_id"] = grids.set_index("grid_id")["community_id"] \
        .reindex(homes["grid_id"]).to_numpy()
    # communities tile the area as the partition made them: their grids and the ground of
    # their shops and offices (each in the community of the grid its shop now lies in)
    shop_geom, shop_comm = _shop_ground(part, homes, comm_ids)
    comm_geom = dissolve_cells(np.r_[np.asarray(geoms), shop_geom],
                               np.r_[grid_comm, shop_comm], n_comm)
    communities = communities.set_geometry(
        gpd.GeoSeries(list(comm_geom), index=communities.index, crs=communities.crs))
    communities["households"] = np.bincount(grid_comm, weights=grids["households"],
                                            minlength=n_comm).astype(np.int64)
    communities["homes"] = _unique_homes(rows["home_index"], grid_comm[row_grid], n_comm)
    communities["in_range"] = communities["households"].between(cfg.community_min,
                                                                cfg.community_max)
    communities["polsby_popper"] = polsby_popper(comm_geom)

    homes = merge_parts(homes)
    cuts = find_compound_cuts(homes, part.cut_homes)
    grids["compound_cuts"] = cuts_per_grid(cuts, grids["grid_id"].to_numpy())

    cell_frame = part.cells.copy()
    cell_frame["grid_id"] = graph.grid_ids[cell_grid]
    unresolved = unresolved_notes(grids, communities, int(hh.sum()), cfg)
    unresolved["grids"] += cut_notes(cuts)
    return dataclasses.replace(
        part, homes=homes, grids=grids, communities=communities,
        special_grids=part.special_grids.copy(), cells=cell_frame, unresolved=unresolved,
        compound_cuts=cuts,
        seconds=dict(part.seconds),
        method=f"{part.method}; then {moved} reviewed move{'s' if moved != 1 else ''} "
               f"applied by hand")


def _homes_after(plan, graph: ReviewGraph, row_grid: np.ndarray, cells: np.ndarray,
                 cell_grid: np.ndarray) -> pd.DataFrame:
    """``plan.homes`` with each row's grid after the moves (parts not merged yet)."""
    homes = plan.homes.copy()
    home_grid = pd.Series(homes["grid_id"].astype(str).to_numpy())
    home_grid.iloc[graph.rows["homes_row"].to_numpy()] = graph.grid_ids[row_grid]
    other = np.flatnonzero(homes["households"].to_numpy() <= 0)
    if len(other):
        # as the partition does: a home without households lies in the grid of the nearest cell
        pts = shapely.point_on_surface(homes.geometry.values[other])
        near = shapely.STRtree(cells).query_nearest(pts, return_distance=False,
                                                     all_matches=False)
        home_grid.iloc[other[near[0]]] = graph.grid_ids[cell_grid[near[1]]]
    homes["grid_id"] = home_grid.to_numpy()
    return homes


def _shop_ground(part: Partition, homes: pd.DataFrame, comm_ids: np.ndarray):
    """The cells of the shops and offices and the position (in ``comm_ids``) of the community
    each now belongs to; none for a partition made without them."""
    sc = part.special_cells
    if sc is None or not len(sc):
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    comm_of_home = homes.drop_duplicates("home_index").set_index("home_index")["community_id"]
    where = pd.Series(np.arange(len(comm_ids)), index=comm_ids.astype(str))
    comm = where.reindex(comm_of_home.reindex(sc["home_index"]).astype(str)).to_numpy()
    ok = ~np.isnan(comm)
    return np.asarray(sc.geometry.values)[ok], comm[ok].astype(np.int64)


def _unique_homes(home_index: pd.Series, group: np.ndarray, n: int) -> np.ndarray:
    """Distinct homes per group (a building in two parts counts once in each)."""
    return (pd.Series(home_index.to_numpy()).groupby(group).nunique()
            .reindex(range(n), fill_value=0).to_numpy())
