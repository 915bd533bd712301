"""What a reviewer may move: the plan's homes and building parts, the cells they own, which of
them touch, and the compounds that move as one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from ...columns import COMPOUND, GRID_ID, HOME_INDEX, HOUSEHOLDS, PART
from ...partition.cells import CellGraph


@dataclass
class ReviewGraph:
    """The movable units of a plan and their adjacency.

    A unit is a row of ``plan.homes`` with households (a home, or a part of a building that a
    grid boundary divides), keyed by ``home_index`` and ``part``. It owns the Voronoi cells of
    ``plan.partition.cells`` with its ``home_index`` in its grid; two units touch when two of
    their cells share an edge.

    Attributes
    ----------
    rows : DataFrame
        One row per unit (index 0..n-1): ``home_index``, ``part``, ``households``, ``grid``
        (index into ``grid_ids``), ``compound`` (str or None), ``homes_row`` (position in
        ``plan.homes``), ``x``, ``y`` (a point of the unit, plan CRS), ``area_m2``,
        ``perimeter_m`` (of the union of its cells).
    grid_ids : ndarray of str
        In the order of ``plan.grids``.
    cell_row : ndarray of int
        The unit of each cell of ``plan.partition.cells``.
    pairs : DataFrame
        ``a``, ``b`` (units, a < b) and ``shared_m``, the length of edge they share.
    group : ndarray of int
        Per unit, a group id: the units of a compound that must stay whole share one.
    cells : CellGraph
        The cells' own graph (barriers included): the partition's, kept in
        ``plan.partition.cell_graph``.
    key : str
        A short hash of the units and their grids: which plan a review was made on.
    """

    rows: pd.DataFrame
    grid_ids: np.ndarray
    cell_row: np.ndarray
    pairs: pd.DataFrame
    group: np.ndarray
    cells: CellGraph
    key: str

    def neighbours(self) -> list[np.ndarray]:
        """For each unit, the units it touches."""
        n = len(self.rows)
        a, b = self.pairs["a"].to_numpy(), self.pairs["b"].to_numpy()
        src, dst = np.r_[a, b], np.r_[b, a]
        order = np.argsort(src, kind="stable")
        bounds = np.searchsorted(src[order], np.arange(n + 1))
        return [dst[order[bounds[i]:bounds[i + 1]]] for i in range(n)]

    def members(self) -> list[np.ndarray]:
        """For each unit, the units that move with it (itself, or its whole compound)."""
        out = pd.Series(np.arange(len(self.group))).groupby(self.group).apply(np.asarray)
        return [out[g] for g in self.group]


def _generators(plan) -> tuple[np.ndarray, np.ndarray]:
    """The cells' generator points, exactly as the partition placed them (it keeps them)."""
    xy = plan.partition.generators
    if xy is None:
        raise ValueError("the plan's partition has no generator points: expected one made by "
                         "gridplan.partition")
    return xy[:, 0], xy[:, 1]


def compound_key(values: pd.Series) -> pd.Series:
    """A compound id as text, or None where a home belongs to none."""
    text = values.astype(str).str.strip()
    return text.where(values.notna() & (text != ""), None)


def review_graph(plan) -> ReviewGraph:
    """The units a reviewer may move in ``plan``, their cells and their neighbours.

    Parameters
    ----------
    plan : Plan

    Returns
    -------
    ReviewGraph
    """
    homes = plan.homes
    cells = plan.partition.cells
    res = np.flatnonzero(homes[HOUSEHOLDS].to_numpy() > 0)
    rows = pd.DataFrame({
        HOME_INDEX: homes[HOME_INDEX].to_numpy()[res].astype(np.int64),
        PART: homes[PART].to_numpy()[res].astype(np.int64),
        HOUSEHOLDS: homes[HOUSEHOLDS].to_numpy()[res].astype(np.int64),
        "homes_row": res,
    })
    grid_ids = plan.grids[GRID_ID].astype(str).to_numpy()
    grid_pos = pd.Series(np.arange(len(grid_ids)), index=grid_ids)
    home_grid = homes[GRID_ID].astype(str).to_numpy()[res]
    rows["grid"] = grid_pos.reindex(home_grid).to_numpy()
    rows[COMPOUND] = (compound_key(homes[COMPOUND]).to_numpy()[res]
                      if COMPOUND in homes.columns else None)

    # a unit owns the cells of its home that lie in its grid (parts of a building that share
    # a grid are one row of plan.homes)
    key = pd.Series(np.arange(len(rows)),
                    index=pd.MultiIndex.from_arrays([rows[HOME_INDEX], home_grid]))
    cell_row = key.reindex(pd.MultiIndex.from_arrays(
        [cells[HOME_INDEX].to_numpy(), cells[GRID_ID].astype(str).to_numpy()])).to_numpy()
    if np.isnan(cell_row).any() or np.bincount(cell_row.astype(int), minlength=len(rows)).min() == 0:
        raise ValueError("the plan's homes and cells disagree: expected every home with "
                         "households to own cells in its grid")
    cell_row = cell_row.astype(np.int64)

    x, y = _generators(plan)
    graph = plan.partition.cell_graph
    if len(x) != len(cells) or graph is None or len(graph.cells) != len(cells):
        raise ValueError("the plan's cells do not match its generator points and cell graph: "
                         "expected a partition made by gridplan.partition")
    geoms = cells.geometry.values

    ra, rb = cell_row[graph.a], cell_row[graph.b]
    inner = ra == rb
    cross = pd.DataFrame({"a": np.minimum(ra, rb)[~inner], "b": np.maximum(ra, rb)[~inner],
                          "shared_m": graph.shared_m[~inner]})
    pairs = cross.groupby(["a", "b"], as_index=False)["shared_m"].sum()

    n = len(rows)
    rows["x"] = np.bincount(cell_row, weights=x, minlength=n) / np.bincount(cell_row, minlength=n)
    rows["y"] = np.bincount(cell_row, weights=y, minlength=n) / np.bincount(cell_row, minlength=n)
    # the union of a unit's cells: areas add, edges shared inside the unit drop out twice
    rows["area_m2"] = np.bincount(cell_row, weights=shapely.area(geoms), minlength=n)
    rows["perimeter_m"] = (np.bincount(cell_row, weights=shapely.length(geoms), minlength=n)
                           - 2 * np.bincount(ra[inner], weights=graph.shared_m[inner],
                                             minlength=n))

    group = _compound_groups(rows, plan.config.max_households)
    digest = hashlib.sha1(pd.util.hash_pandas_object(
        pd.DataFrame({"h": rows[HOME_INDEX], "p": rows[PART], "n": rows[HOUSEHOLDS],
                      "g": grid_ids[rows["grid"].to_numpy()]}), index=False).to_numpy()
        .tobytes()).hexdigest()[:12]
    return ReviewGraph(rows=rows, grid_ids=grid_ids, cell_row=cell_row, pairs=pairs,
                       group=group, cells=graph, key=digest)


def _compound_groups(rows: pd.DataFrame, max_households: int) -> np.ndarray:
    """A group id per unit: the units of a compound that fits in one grid (and lies in one, as
    the partition keeps it) share one; every other unit is its own group."""
    group = np.arange(len(rows))
    comp = rows[COMPOUND]
    has = comp.notna().to_numpy()
    if not has.any():
        return group
    sub = rows[has]
    total = sub.groupby(COMPOUND)[HOUSEHOLDS].transform("sum")
    grids = sub.groupby(COMPOUND)["grid"].transform("nunique")
    whole = ((total <= max_households) & (grids == 1)).to_numpy()
    idx = np.flatnonzero(has)[whole]
    codes, _ = pd.factorize(sub[COMPOUND].to_numpy()[whole])
    group[idx] = len(rows) + codes
    _, group = np.unique(group, return_inverse=True)
    return group
