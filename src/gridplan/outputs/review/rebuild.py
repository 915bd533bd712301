"""The partition after a review: grids, communities and homes made again from the new grid
of each home, by the partition's own table maker (:func:`gridplan.partition.grid_tables`)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ...columns import HOME_INDEX, HOUSEHOLDS
from ...partition import Partition, grid_tables
from ...partition.columns import COMMUNITY_ID, GRID_ID
from .graph import ReviewGraph


def edited_partition(plan, graph: ReviewGraph, row_grid: np.ndarray, moved: int) -> Partition:
    """``plan``'s partition with every unit of ``graph`` in the grid ``row_grid`` gives it.

    Grid and community ids are kept; grids and communities are made again from the cells, on
    the partition's own cell graph, as the partition makes them (shape, households, homes,
    range flag, compactness, crossings, pieces, cut compounds, notes). Homes without
    households follow the cell nearest to them, as in the partition, and parts of a building
    that now share a grid become one row.

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
    if part.cell_graph is None or part.nearest_cell is None:
        raise ValueError("the plan's partition has no cell graph or nearest cells: expected "
                         "one made by gridplan.partition")
    cells = np.asarray(part.cells.geometry.values)
    cell_grid = row_grid[graph.cell_row]
    grid_id = part.grids[GRID_ID].to_numpy()
    comm_id = part.communities[COMMUNITY_ID].to_numpy()
    comm_ids = part.communities[COMMUNITY_ID].astype(str).to_numpy()
    grid_comm = pd.Series(np.arange(len(comm_ids)), index=comm_ids) \
        .reindex(part.grids[COMMUNITY_ID].astype(str)).to_numpy()
    homes = _homes_after(plan, graph, row_grid, cell_grid)
    homes[COMMUNITY_ID] = part.grids.set_index(GRID_ID)[COMMUNITY_ID] \
        .reindex(homes[GRID_ID]).to_numpy()
    # communities tile the area as the partition made them: their grids and the ground of
    # their shops and offices (each in the community of the grid its shop now lies in)
    ground, ground_comm = _shop_ground(part, homes, comm_ids)
    tables = grid_tables(cells, cell_grid, part.cells[HOME_INDEX].to_numpy(),
                         part.cells[HOUSEHOLDS].to_numpy(), part.cell_graph, grid_id,
                         grid_comm, comm_id, ground, ground_comm, homes, part.cut_homes, cfg,
                         part.grids.crs)
    cell_frame = part.cells.copy()
    cell_frame[GRID_ID] = graph.grid_ids[cell_grid]
    return dataclasses.replace(
        part, homes=tables.homes, grids=tables.grids, communities=tables.communities,
        special_grids=part.special_grids.copy(), cells=cell_frame,
        unresolved=tables.unresolved, compound_cuts=tables.compound_cuts,
        seconds=dict(part.seconds),
        method=f"{part.method}; then {moved} reviewed move{'s' if moved != 1 else ''} "
               f"applied by hand")


def _homes_after(plan, graph: ReviewGraph, row_grid: np.ndarray,
                 cell_grid: np.ndarray) -> pd.DataFrame:
    """``plan.homes`` with each row's grid after the moves (parts not merged yet)."""
    homes = plan.homes.copy()
    home_grid = pd.Series(homes[GRID_ID].astype(str).to_numpy())
    home_grid.iloc[graph.rows["homes_row"].to_numpy()] = graph.grid_ids[row_grid]
    other = np.flatnonzero(homes[HOUSEHOLDS].to_numpy() <= 0)
    if len(other):
        # a home without households lies in the grid of the cell the partition found nearest
        near = plan.partition.nearest_cell
        cell = near.reindex(homes[HOME_INDEX].to_numpy()[other]).to_numpy()
        ok = ~np.isnan(cell)
        home_grid.iloc[other[ok]] = graph.grid_ids[cell_grid[cell[ok].astype(np.int64)]]
    homes[GRID_ID] = home_grid.to_numpy()
    return homes


def _shop_ground(part: Partition, homes: pd.DataFrame, comm_ids: np.ndarray):
    """The cells of the shops and offices and the position (in ``comm_ids``) of the community
    each now belongs to; none for a partition made without them."""
    sc = part.special_cells
    if sc is None or not len(sc):
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    comm_of_home = homes.drop_duplicates(HOME_INDEX).set_index(HOME_INDEX)[COMMUNITY_ID]
    where = pd.Series(np.arange(len(comm_ids)), index=comm_ids.astype(str))
    comm = where.reindex(comm_of_home.reindex(sc[HOME_INDEX]).astype(str)).to_numpy()
    ok = ~np.isnan(comm)
    return np.asarray(sc.geometry.values)[ok], comm[ok].astype(np.int64)
