"""The grid and community tables of cells assigned to grids, for the partition and a review."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..columns import COMPOUND, COMPOUND_CUT, GRID_ID, HOME_INDEX, HOUSEHOLDS, NAME
from ..config import PlanConfig
from ..notes import CompoundCut, Note, Unresolved
from .bounded import divisible
from . import columns as C
from .cells import CellGraph
from .columns import COMMUNITY_COLUMNS, GRID_COLUMNS
from .quality import crossings, polsby_popper
from .units import merge_parts


@dataclass
class Tables:
    """What :func:`grid_tables` makes.

    Attributes
    ----------
    grids, communities : GeoDataFrame
        In the order of the ids given (the caller sorts).
    homes : GeoDataFrame
        The homes given, parts of a building that share a grid joined into one row, with
        ``compound_cut``.
    compound_cuts : tuple of CompoundCut
        See :func:`find_compound_cuts`.
    unresolved : Unresolved
        See :func:`unresolved_notes`, cut compounds included.
    """

    grids: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    homes: gpd.GeoDataFrame
    compound_cuts: tuple[CompoundCut, ...]
    unresolved: Unresolved


def grid_tables(cells: np.ndarray, cell_grid: np.ndarray, cell_home: np.ndarray,
                cell_households: np.ndarray, graph: CellGraph, grid_id: np.ndarray,
                grid_comm: np.ndarray, comm_id: np.ndarray, ground: np.ndarray,
                ground_comm: np.ndarray, homes: gpd.GeoDataFrame, cut_homes: np.ndarray,
                config: PlanConfig, crs, reasons: dict | None = None,
                shapes: tuple | None = None) -> Tables:
    """The grids and communities that the residential cells make, with every figure and note.

    A grid is the union of its cells; its households, homes, range flag, compactness,
    barrier crossings, pieces and cut compounds are measured on them. A community is the
    union of its grids and of the ground (shops' and offices' cells) given to it.

    Parameters
    ----------
    cells : ndarray of Polygon
        One cell per residential home or part.
    cell_grid : ndarray of int
        The grid (position in ``grid_id``) of each cell.
    cell_home, cell_households : ndarray of int
        The home (``home_index``) and households of each cell.
    graph : CellGraph
        The cells' graph, for the barriers a grid crosses.
    grid_id : ndarray of str
    grid_comm : ndarray of int
        The community (position in ``comm_id``) of each grid.
    comm_id : ndarray of str
    ground, ground_comm : ndarray
        Non-residential cells and the community (position) each lies in.
    homes : GeoDataFrame
        One row per home or part, with ``grid_id`` (parts not joined yet).
    cut_homes : ndarray of int
        The homes the partition was allowed to cut (:class:`~gridplan.partition.Partition`).
    config : PlanConfig
        The household ranges, and whether compounds may be cut.
    crs
        Of the shapes.
    reasons : dict, optional
        Grid position to the reason it is out of range
        (:func:`gridplan.partition.explain_notes`).
    shapes : tuple of ndarray, optional
        The grids' and communities' shapes, when :func:`grid_shapes` made them already.

    Returns
    -------
    Tables
    """
    n_grid, n_comm = len(grid_id), len(comm_id)
    grid_geom, comm_geom = shapes or grid_shapes(cells, cell_grid, n_grid, grid_comm, ground,
                                                 ground_comm, n_comm)
    g_hh = np.bincount(cell_grid, weights=cell_households, minlength=n_grid).astype(np.int64)
    cross = crossings(graph, cell_grid, n_grid)
    homes = merge_parts(homes)
    cuts = find_compound_cuts(homes, cut_homes)
    grids = _table(GRID_COLUMNS, crs, {
        C.GRID_ID: grid_id, C.COMMUNITY_ID: comm_id[grid_comm], C.HOUSEHOLDS: g_hh,
        C.HOMES: count_distinct(cell_grid, cell_home, n_grid), C.GEOMETRY: grid_geom,
        C.IN_RANGE: (g_hh >= config.min_households) & (g_hh <= config.max_households),
        C.POLSBY_POPPER: polsby_popper(grid_geom),
        **{c: cross[c].to_numpy() for c in C.CROSSES},
        C.PARTS: shapely.get_num_geometries(grid_geom),
        C.COMPOUND_CUTS: cuts_per_grid(cuts, np.asarray(grid_id)),
    })
    c_hh = np.bincount(grid_comm, weights=g_hh, minlength=n_comm).astype(np.int64)
    communities = _table(COMMUNITY_COLUMNS, crs, {
        C.COMMUNITY_ID: comm_id, C.HOUSEHOLDS: c_hh,
        C.GRIDS: np.bincount(grid_comm, minlength=n_comm),
        C.HOMES: count_distinct(grid_comm[cell_grid], cell_home, n_comm),
        C.GEOMETRY: comm_geom,
        C.IN_RANGE: (c_hh >= config.community_min) & (c_hh <= config.community_max),
        C.POLSBY_POPPER: polsby_popper(comm_geom),
    })
    unresolved = unresolved_notes(grids, communities, int(g_hh.sum()), config, reasons)
    unresolved = Unresolved(grids=unresolved.grids + cut_notes(cuts),
                            communities=unresolved.communities)
    return Tables(grids=grids, communities=communities, homes=homes, compound_cuts=cuts,
                  unresolved=unresolved)


def _table(columns, crs, values: dict) -> gpd.GeoDataFrame:
    """A table of ``values`` by column name, in the order of ``columns``."""
    return gpd.GeoDataFrame({c.name: values[c.name] for c in columns}, geometry=C.GEOMETRY,
                            crs=crs)


def grid_shapes(cells: np.ndarray, cell_grid: np.ndarray, n_grid: int, grid_comm: np.ndarray,
                ground: np.ndarray, ground_comm: np.ndarray, n_comm: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """The shape of each grid (the union of its cells) and of each community (the union of
    its grids and its ``ground``: communities tile the area, shops' ground included); the
    arguments as in :func:`grid_tables`."""
    grid_geom = dissolve_cells(cells, cell_grid, n_grid)
    comm_geom = dissolve_cells(np.r_[grid_geom, ground], np.r_[grid_comm, ground_comm], n_comm)
    return grid_geom, comm_geom


def dissolve_cells(cells: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """One shape per group 0..n-1: the union of the cells in it (cells tile, so the fast
    coverage union applies)."""
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=n)
    if n and counts.min() > 0:
        # one row per group, padded with None (which the union skips): one call for all
        rows = np.full((n, counts.max()), None, dtype=object)
        rows[group[order], np.arange(len(order)) - np.repeat(np.cumsum(counts) - counts,
                                                             counts)] = cells[order]
        try:
            return shapely.coverage_union_all(rows, axis=1)
        except shapely.errors.GEOSException:
            pass
    bounds = np.searchsorted(group[order], np.arange(n + 1))
    return np.array([_union(cells[order[bounds[i]:bounds[i + 1]]]) for i in range(n)],
                    dtype=object)


def _union(geoms: np.ndarray):
    """Union of cells that tile without overlaps: the fast coverage union, or the general one
    when GEOS finds the cells not exactly noded."""
    try:
        return shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:
        return shapely.union_all(geoms)


def count_distinct(group: np.ndarray, value: np.ndarray, n: int) -> np.ndarray:
    """How many distinct values (non-negative integers) each group 0..n-1 holds."""
    span = int(value.max(initial=0)) + 1
    pairs = np.unique(group.astype(np.int64) * span + value)
    return np.bincount(pairs // span, minlength=n)


def find_compound_cuts(homes: gpd.GeoDataFrame,
                       cut_homes: np.ndarray) -> tuple[CompoundCut, ...]:
    """The compounds that fit in one grid but ended in several (marks ``compound_cut`` on
    ``homes``)."""
    flag = np.zeros(len(homes), dtype=bool)
    out = []
    if len(cut_homes):
        idx = homes[HOME_INDEX].to_numpy()
        loose = np.isin(idx, cut_homes)
        if COMPOUND in homes.columns:
            comp = homes[COMPOUND].astype(str).to_numpy(dtype=object)
            key = np.where(homes[COMPOUND].notna().to_numpy(), comp, "#" + idx.astype(str))
        else:
            key = "#" + idx.astype(str)
        name = (homes[NAME].astype(str).to_numpy(dtype=object) if NAME in homes.columns
                else None)
        for k in np.unique(key[loose]):
            rows = np.flatnonzero(key == k)
            grids = sorted(set(homes[GRID_ID].to_numpy(dtype=object)[rows]))
            if len(grids) < 2:
                continue
            flag[rows] = True
            label = (k if not k.startswith("#") else
                     (name[rows[0]] if name is not None else f"home row {int(k[1:]) + 1}"))
            out.append(CompoundCut(compound=str(label),
                                   households=int(homes[HOUSEHOLDS].to_numpy()[rows].sum()),
                                   grids=tuple(str(g) for g in grids), by="building"))
    homes[COMPOUND_CUT] = flag
    return tuple(out)


def cut_notes(cuts: tuple[CompoundCut, ...]) -> tuple[Note, ...]:
    """One unresolved-grid note per cut compound: a cut breaks the rule that a compound
    fitting in one grid stays whole, so it goes on the map and into summary.json beside the
    other broken rules."""
    return tuple(Note(reason=f"compound {c.compound} ({c.households} households) cut by "
                             f"building between grids {', '.join(c.grids)}: allowed by "
                             f"--allow-compound-split, the only way found to bring these "
                             f"grids into range",
                      ids=c.grids, households=c.households) for c in cuts)


def cuts_per_grid(cuts: tuple[CompoundCut, ...], grid_id: np.ndarray) -> np.ndarray:
    """How many cut compounds each grid holds a piece of."""
    count = pd.Series(0, index=pd.Index(grid_id.astype(str)))
    for c in cuts:
        count[list(c.grids)] += 1
    return count.to_numpy()


def unresolved_notes(grids, communities, total, config,
                     reasons: dict | None = None) -> Unresolved:
    """Every rule a grid or community breaks, with its reason, ids and households
    (``summary.json`` ``unresolved``); ``reasons`` gives a grid (by position) its own reason
    (:func:`gridplan.partition.explain_notes`)."""
    lo, hi = config.min_households, config.max_households
    reasons = reasons or {}
    if not divisible(total, lo, hi):
        why = f"the district holds {total} households, which no set of grids of {lo}–{hi} adds up to"
    else:
        why = (f"its homes could not be grouped into connected grids of {lo}–{hi} households "
               f"without cutting a compound or a home's part")
    gid = grids[C.GRID_ID].to_numpy(dtype=object)
    g_hh = grids[C.HOUSEHOLDS].to_numpy()
    water = grids[C.CROSSES_WATER].to_numpy()
    out_g = []
    for i in np.flatnonzero(~grids[C.IN_RANGE].to_numpy(dtype=bool)):
        side = "below the minimum" if g_hh[i] < lo else "above the maximum"
        out_g.append(Note(reason=f"{g_hh[i]} households, {side}: {reasons.get(i, why)}",
                          ids=(gid[i],), households=int(g_hh[i])))
    for i in np.flatnonzero(water > 0):
        out_g.append(Note(reason=f"spans a river, rail line or motorway ({water[i]} "
                                 f"crossed): check that its homes on either side share a "
                                 f"bridge or gate",
                          ids=(gid[i],), households=int(g_hh[i])))
    for i in np.flatnonzero(grids[C.PARTS].to_numpy() > 1):
        out_g.append(Note(reason="grid polygon in several pieces (a compound's buildings are "
                                 "not next to each other, or shops' and offices' ground "
                                 "lies between homes too few to make a grid alone)",
                          ids=(gid[i],), households=int(g_hh[i])))
    cid = communities[C.COMMUNITY_ID].to_numpy(dtype=object)
    c_hh = communities[C.HOUSEHOLDS].to_numpy()
    out_c = []
    for i in np.flatnonzero(~communities[C.IN_RANGE].to_numpy(dtype=bool)):
        side = ("below the minimum" if c_hh[i] < config.community_min
                else "above the maximum")
        out_c.append(Note(reason=f"{c_hh[i]} households, {side} of "
                                 f"{config.community_min}–{config.community_max}",
                          ids=(cid[i],), households=int(c_hh[i])))
    return Unresolved(grids=tuple(out_g), communities=tuple(out_c))
