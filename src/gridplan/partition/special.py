"""Special grids: shops and offices grouped on their own ground, carved out of the tiling."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from ..columns import COMMUNITY_ID, HOUSEHOLDS, KIND, SPECIAL_GRID_ID, UNITS
from .cells import CellGraph
from .frames import dissolve_cells

#: A shop whose point is this close (metres) to a home's generator is moved aside by
#: SHOP_ASIDE_M, so both get a cell (a register can give a shop and a home one address).
SHOP_CLOSE_M = 0.05
SHOP_ASIDE_M = 0.5


def special_rows(parts: pd.DataFrame) -> np.ndarray:
    """Positions of the homes that make special grids: no households, and not a residential
    building (a shop, an office, a school; an empty residential building is not one)."""
    kind = (parts[KIND].to_numpy(dtype=object) if KIND in parts.columns
            else np.full(len(parts), "", dtype=object))
    return np.flatnonzero((parts[HOUSEHOLDS].to_numpy() <= 0) & (kind != "residential"))


def special_points(sx: np.ndarray, sy: np.ndarray, x: np.ndarray, y: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The shops' generator points (already apart from each other) moved off any home's
    generator ``x, y`` they coincide with."""
    if not len(sx) or not len(x):
        return sx, sy
    d, _ = cKDTree(np.column_stack([x, y])).query(np.column_stack([sx, sy]))
    on = d < SHOP_CLOSE_M
    return sx + on * SHOP_ASIDE_M, sy + on * SHOP_ASIDE_M


def through_special(graph: CellGraph, n_res: int, unit: np.ndarray, n_units: int
                    ) -> sparse.csr_matrix:
    """Links between the units whose cells touch one special cell, or two touching ones.

    Cells 0..n_res-1 of ``graph`` are residential, the rest special. Symmetric, no
    self-loops; each link costs almost nothing to cut, so a cut prefers to run through the
    shops' ground. A grid joined by such a link is in pieces, so grids get them only where
    homes cut off by shops cannot make grids alone (:func:`.barriers.join_where_needed`);
    communities, which hold their shops' ground, get them all."""
    n_spc = len(graph.cells) - n_res
    if not n_spc:
        return sparse.csr_matrix((n_units, n_units))
    rs = (graph.a < n_res) & (graph.b >= n_res)
    touch = sparse.csr_matrix((np.ones(rs.sum()), (unit[graph.a[rs]], graph.b[rs] - n_res)),
                              shape=(n_units, n_spc))
    ss = graph.a >= n_res
    shop = sparse.csr_matrix((np.ones(ss.sum()), (graph.a[ss] - n_res, graph.b[ss] - n_res)),
                             shape=(n_spc, n_spc))
    reach = (touch @ (shop + shop.T + sparse.identity(n_spc)) @ touch.T).tocoo()
    off = reach.row != reach.col
    out = sparse.csr_matrix((np.full(off.sum(), 1e-9), (reach.row[off], reach.col[off])),
                            shape=(n_units, n_units))
    out.sort_indices()
    return out


def special_grids(homes: gpd.GeoDataFrame, idx: np.ndarray, groups: list, names: np.ndarray,
                  cells: np.ndarray, crs) -> gpd.GeoDataFrame:
    """The special grids, and each home's ``special_grid_id`` (set on ``homes``).

    Parameters
    ----------
    homes : GeoDataFrame
        One row per home or part, with ``community_id``.
    idx : ndarray of int
        Positions of the special homes (:func:`special_rows`).
    groups : list of ndarray
        Positions in ``idx`` of each special grid's buildings; ``names`` their ids.
    cells : ndarray of Polygon
        The special homes' cells, aligned with ``idx``: a special grid's ground is the union of
        its buildings' cells, which the residential cells leave free.
    """
    special_id = np.full(len(homes), None, dtype=object)
    if not len(idx):
        homes[SPECIAL_GRID_ID] = pd.Series(special_id, index=homes.index, dtype=object)
        return gpd.GeoDataFrame({SPECIAL_GRID_ID: [], COMMUNITY_ID: [], UNITS: []},
                                geometry=[], crs=crs)
    group = np.empty(len(idx), dtype=np.int64)
    for gi, p in enumerate(groups):
        group[p] = gi
    geoms = dissolve_cells(cells, group, len(groups))
    # each special grid belongs to the community most of its buildings are in (ties: the
    # first id in sort order)
    comm_names, comm = np.unique(homes[COMMUNITY_ID].to_numpy()[idx].astype(str),
                                 return_inverse=True)
    votes = np.zeros((len(groups), len(comm_names)), dtype=np.int64)
    np.add.at(votes, (group, comm), 1)
    special_id[idx] = names[group]
    homes[SPECIAL_GRID_ID] = pd.Series(special_id, index=homes.index, dtype=object)
    order = np.argsort(names)
    return gpd.GeoDataFrame({SPECIAL_GRID_ID: names[order],
                             COMMUNITY_ID: comm_names[votes.argmax(1)][order],
                             UNITS: np.array([len(p) for p in groups])[order],
                             "geometry": geoms[order]}, geometry="geometry", crs=crs)
