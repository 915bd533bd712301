"""The partition of a city into communities and grids, within bounds, along streets and rivers."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from ..city import City
from ..columns import COMPOUND, HOME_INDEX, HOUSEHOLDS, NAME, PART, PART_OF, SPLIT_BY
from ..config import PlanConfig
from ..errors import InputError
from ..notes import CompoundCut, Moved, Unresolved
from .bounded import BoundedSplitter, divisible
from .barriers import join_where_needed, links_across, links_within, split_apart
from .cells import (CellGraph, barrier_lines, cell_graph, separate_duplicates, street_blocks,
                    subgraph, tessellate, unit_adjacency)
from .exact import Isolated, Loose, RepairNote, Walled
from .columns import COMMUNITY_ID, GRID_ID
from .frames import count_distinct, grid_shapes, grid_tables
from .special import special_grids, special_points, special_rows, through_special
from .units import building_counts, split_parts, unit_ids
from .update import label_units, update_parts

__all__ = ["partition", "Partition", "BoundedSplitter", "divisible"]

METHOD = "recursive bounded bisection on Voronoi cells (grids, then communities of whole grids)"
METHOD_UPDATE = "update of last year's grids: out-of-range grids repaired with their neighbours"


@dataclass
class Partition:
    """The result of :func:`partition`.

    Attributes
    ----------
    homes : GeoDataFrame
        One row per home or part: the input columns, ``part``/``part_of``/``split_by``,
        ``home_index`` (input row), ``grid_id``, ``community_id``, ``special_grid_id``.
    grids, communities, special_grids : GeoDataFrame
    cells : GeoDataFrame
        One cell per residential home or part (the tiles grids are made of): its
        ``home_index``, ``part``, ``households`` and ``grid_id``.
    unresolved : Unresolved
        Every rule a grid or community could not keep, with its reason.
    moved : Moved or None
        With ``keep``: homes and households that changed grid, grids kept, new and retired.
    compound_cuts : tuple of CompoundCut
        With ``allow_compound_split``: each compound that fits in one grid but was cut by
        building; its homes have ``compound_cut`` True and each grid counts them in
        ``compound_cuts``.
    cut_homes : ndarray
        Positions of the homes the partition was allowed to cut (to rebuild its parts).
    seconds : dict
        Time per stage.
    generators : ndarray of shape (len(cells), 2) or None
        The x/y of each cell's generator point, as the partition placed them (the review
        page's cell graph is made from them, so it rebuilds no parts).
    special_cells : GeoDataFrame or None
        The cell of each shop or office (``home_index``): the ground its community holds
        beside its grids, so a community rebuilt after a review keeps it.
    cell_graph : CellGraph or None
        The graph of ``cells`` (shared edges, barriers between generators), as the partition
        cut it: the review's units touch along it and its grids count crossings on it.
    nearest_cell : Series or None
        For each home without households (by ``home_index``), the position in ``cells`` of
        the cell nearest its generator point: the home lies in that cell's grid, after a
        review too.
    """

    homes: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    special_grids: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    unresolved: Unresolved
    seconds: dict = field(default_factory=dict)
    moved: Moved | None = None
    method: str = METHOD
    compound_cuts: tuple[CompoundCut, ...] = ()
    cut_homes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    generators: np.ndarray | None = field(default=None, repr=False)
    special_cells: gpd.GeoDataFrame | None = field(default=None, repr=False)
    cell_graph: CellGraph | None = field(default=None, repr=False)
    nearest_cell: pd.Series | None = field(default=None, repr=False)


def _ids(prefix: str, xy: np.ndarray, band_m: float) -> tuple[np.ndarray, list]:
    """Reading-order rank of each centroid (north to south in bands, then west to east)."""
    order = np.lexsort((xy[:, 0], -np.floor(xy[:, 1] / band_m)))
    rank = np.empty(len(xy), dtype=int)
    rank[order] = np.arange(len(xy))
    width = max(2, len(str(len(xy))))
    return rank, [f"{prefix}{i + 1:0{width}d}" for i in range(len(xy))]


def partition(city: City, config: PlanConfig | None = None, *, keep=None,
              cache: dict | None = None) -> Partition:
    """Divide a city into communities and grids within the household bounds.

    Homes with more households than a grid may hold are cut into parts; a compound that fits in
    one grid is kept whole; each residential home or part, and each shop or office, gets a cell
    of the study area (inside its street block for address points with a street file); grids
    are unions of residential cells and special grids unions of shops' cells, so together they
    tile the area with no gaps or overlaps. Grids are cut
    over the whole district, then communities are formed from whole grids. Cuts prefer to run along rivers and
    arterials, then secondary and local streets, and to be short; a grid crosses an arterial or
    water, or joins homes across shops, only where the homes on one side cannot make grids.

    Parameters
    ----------
    city : City
    config : PlanConfig, optional
        ``min_households``, ``max_households``, ``community_min``, ``community_max``,
        ``part_households``, ``special_grid_units``, ``boundary_cost``.
    keep : GeoDataFrame, optional
        Last year's grids (``grid_id``, ``community_id``, geometry; see
        :func:`gridplan.partition.update.read_keep`). Grids keep their ids and communities;
        only grids out of range and their neighbours change; ``moved`` counts the homes that
        changed grid.
    cache : dict, optional
        Kept between calls on the same city: the Voronoi cells and their graph are reused
        when the homes' parts are the same (re-plans with another household range), and the
        special grids of non-residential buildings, which no household range changes.

    Returns
    -------
    Partition
        Every rule that could not hold is listed in ``unresolved`` with its reason.
    """
    config = config or PlanConfig()
    t0 = time.perf_counter()
    seconds = {}
    cache = {} if cache is None else cache
    st = _grid_units(city, config, cache, keep, None, seconds)
    cut_homes = np.zeros(0, dtype=np.int64)
    if config.allow_compound_split and keep is None:
        # the planner's fallback: compounds in and around grids nothing else could bring
        # into range may be cut by building; the plan is re-made with them as parts, and kept
        # only when more households end in range
        cut_homes = _cuttable_near_bad(st, config)
        if len(cut_homes):
            again = _grid_units(city, config, cache, keep, cut_homes, {})
            if _out_of_range(again, config) < _out_of_range(st, config):
                st = again
            else:
                cut_homes = np.zeros(0, dtype=np.int64)
    parts, hh, res, gen, x, y, cells, graph = (st["parts"], st["hh"], st["res"], st["gen"],
                                               st["x"], st["y"], st["cells"], st["graph"])
    unit, n_units, w, ux, uy = st["unit"], st["n_units"], st["w"], st["ux"], st["uy"]
    uxy, community_adj, spc, all_cells = st["uxy"], st["community_adj"], st["spc"], st["all_cells"]
    grid_parts, grid_notes, update = st["grid_parts"], st["grid_notes"], st["update"]
    t1 = time.perf_counter() - seconds["split"]
    n_grid = len(grid_parts)
    unit_grid = np.empty(n_units, dtype=np.int64)
    for gi, p in enumerate(grid_parts):
        unit_grid[p] = gi
    if update is None:
        gw = np.bincount(unit_grid, weights=w, minlength=n_grid).astype(np.int64)
        gxy = np.column_stack([np.bincount(unit_grid, weights=ux * w, minlength=n_grid),
                               np.bincount(unit_grid, weights=uy * w, minlength=n_grid)]) \
            / np.maximum(gw, 1)[:, None]
        contract = sparse.csr_matrix((np.ones(n_units), (np.arange(n_units), unit_grid)),
                                     shape=(n_units, n_grid))
        # communities may join grids across shops: their ground lies in the community too
        gadj = (contract.T @ _link_isolated(community_adj, uxy) @ contract).tocsr()
        gadj.setdiag(0)
        gadj.eliminate_zeros()
        comm = BoundedSplitter(gadj, gw, gxy, config.community_min,
                               config.community_max).split()
        grid_comm = np.empty(n_grid, dtype=np.int64)
        for ci, p in enumerate(comm.parts):
            grid_comm[p] = ci
    else:
        comm_names, grid_comm = np.unique(np.asarray(update.community_ids, dtype=object),
                                          return_inverse=True)
    seconds["split"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    n_comm = int(grid_comm.max()) + 1
    cell_grid = unit_grid[unit]

    # every home, residential or not, lies in the grid whose cell holds its generator point
    # (a shop: the grid of the residential cell nearest it)
    home_grid = np.empty(len(parts), dtype=np.int64)
    home_grid[res] = cell_grid
    other = np.flatnonzero(hh <= 0)
    near = (_nearest_cells(cells, parts["_gx"].to_numpy()[other], parts["_gy"].to_numpy()[other],
                           {} if cache is None else cache) if len(other)
            else np.zeros(0, dtype=np.int64))
    home_grid[other] = cell_grid[near]
    ground, ground_comm = all_cells[len(res):], grid_comm[home_grid[spc]]
    grid_geom, comm_geom = grid_shapes(cells, cell_grid, n_grid, grid_comm, ground, ground_comm,
                                       n_comm)
    grid_cent = shapely.get_coordinates(shapely.centroid(grid_geom))
    if update is None:
        comm_rank, names = _ids("C", shapely.get_coordinates(shapely.centroid(comm_geom)), 1500.0)
        comm_id = np.array(names, dtype=object)[comm_rank]
        grid_id = np.empty(n_grid, dtype=object)
        for ci in range(n_comm):
            members = np.flatnonzero(grid_comm == ci)
            rank, _ = _ids("", grid_cent[members], 400.0)
            width = max(2, len(str(len(members))))
            grid_id[members] = [f"{comm_id[ci]}-{r + 1:0{width}d}" for r in rank]
    else:
        comm_id = np.asarray(comm_names, dtype=object)
        grid_id = np.asarray(update.grid_ids, dtype=object)

    crs = city.crs
    building = gen[HOME_INDEX].to_numpy()
    homes = parts.drop(columns=["_gx", "_gy"])
    homes[GRID_ID] = grid_id[home_grid]
    homes[COMMUNITY_ID] = comm_id[grid_comm[home_grid]]
    groups, names = _special_groups(parts, spc, city, config, {} if cache is None else cache)
    special = special_grids(homes, spc, groups, names, ground, crs)   # positions of parts == homes
    reasons = (explain_notes(grid_notes, unit_names(gen, unit, n_units), w, config)
               if grid_notes else {})
    tables = grid_tables(cells, cell_grid, building, hh[res], graph, grid_id, grid_comm,
                         comm_id, ground, ground_comm, homes, cut_homes, config, crs, reasons,
                         shapes=(grid_geom, comm_geom))
    grids, communities, homes = tables.grids, tables.communities, tables.homes
    cell_frame = gpd.GeoDataFrame({HOME_INDEX: building, PART: gen[PART].to_numpy(),
                                   HOUSEHOLDS: hh[res], GRID_ID: grid_id[cell_grid],
                                   "geometry": cells.copy()}, geometry="geometry", crs=crs)
    moved = None
    if update is not None:
        old_ids = keep[GRID_ID].astype(str).to_numpy()[update.old_label[unit]]
        was = pd.Series(old_ids != grid_id[cell_grid])
        idx = gen[HOME_INDEX].to_numpy()
        kept = keep[GRID_ID].astype(str)
        moved = Moved(homes=int(was.groupby(idx).any().sum()),
                      households=int(hh[res][was.to_numpy()].sum()),
                      grids_kept=int(np.isin(grid_id, kept).sum()),
                      grids_new=int((~np.isin(grid_id, kept)).sum()),
                      grids_retired=int((~np.isin(kept, grid_id)).sum()))
    grids = grids.sort_values(GRID_ID, kind="stable").reset_index(drop=True)
    communities = communities.sort_values(COMMUNITY_ID, kind="stable").reset_index(drop=True)
    seconds["geometry"] = time.perf_counter() - t2
    seconds["total"] = time.perf_counter() - t0
    return Partition(homes=homes, grids=grids, communities=communities, special_grids=special,
                     cells=cell_frame, unresolved=tables.unresolved, seconds=seconds,
                     moved=moved, method=METHOD if keep is None else METHOD_UPDATE,
                     compound_cuts=tables.compound_cuts, cut_homes=cut_homes,
                     generators=np.column_stack([x, y]),
                     special_cells=gpd.GeoDataFrame(
                         {HOME_INDEX: parts[HOME_INDEX].to_numpy()[spc],
                          "geometry": ground}, geometry="geometry", crs=crs),
                     cell_graph=graph,
                     nearest_cell=pd.Series(near, index=parts[HOME_INDEX].to_numpy()[other]))


def _grid_units(city, config, cache: dict, keep, cut, seconds: dict) -> dict:
    """Parts, cells, units and their grids (before communities): what one pass of the
    partition decides; ``cut`` lists homes that fit in a grid but may be cut by building."""
    t0 = time.perf_counter()
    parts = split_parts(city.homes, config, cut=cut)
    hh = parts[HOUSEHOLDS].to_numpy()
    if hh.sum() <= 0:
        raise InputError("no households in any home: expected at least one home with "
                         "households > 0", file=city.source or None, column=HOUSEHOLDS)
    res = np.flatnonzero(hh > 0)
    gen = parts.iloc[res]
    x, y = separate_duplicates(gen["_gx"].to_numpy(), gen["_gy"].to_numpy(), config.seed)
    # shops and offices get cells of the same tiling, carved out of the residential grids
    spc = special_rows(parts)
    sx, sy = special_points(*separate_duplicates(parts["_gx"].to_numpy()[spc],
                                                 parts["_gy"].to_numpy()[spc]), x, y)
    all_cells, all_graph, cells, graph = _cells(city, np.r_[x, sx], np.r_[y, sy], cache,
                                                "cells", len(res))
    unit = unit_ids(gen, config, cut=cut)
    n_units = int(unit.max()) + 1
    adj = unit_adjacency(graph, unit, n_units, config.boundary_cost,
                         building=gen[HOME_INDEX].to_numpy())
    w = np.bincount(unit, weights=hh[res], minlength=n_units).astype(np.int64)
    # grids cross arterials and water, and join homes across shops' ground, only where the
    # homes on one side cannot make grids alone; communities may do both
    lo, hi = config.min_households, config.max_households
    across, through = links_across(graph, unit, n_units, adj), \
        through_special(all_graph, len(res), unit, n_units)
    community_adj = adj + through
    adj = join_where_needed(join_where_needed(adj - across, across, w, lo, hi), through, w, lo, hi)
    pools = [across, through]
    ux = np.bincount(unit, weights=x * hh[res], minlength=n_units) / np.maximum(w, 1)
    uy = np.bincount(unit, weights=y * hh[res], minlength=n_units) / np.maximum(w, 1)
    uxy = np.column_stack([ux, uy])
    adj = _link_isolated(adj, uxy)
    # parts cut by floor or building (one unit each) may trade households: a floor cut can
    # fall anywhere, and a compound's households are spread over its buildings only as an
    # estimate, so the grids choose both (a building within its tolerance)
    split_by = gen[SPLIT_BY].to_numpy(dtype=object)
    floor_rows = np.flatnonzero((gen[PART].to_numpy() > 0)
                                & ((split_by == "floor") | (split_by == "building")))
    loose = Loose(np.full(n_units, -1, dtype=np.int64), w.copy(), w.copy())
    loose.home[unit[floor_rows]] = gen[HOME_INDEX].to_numpy()[floor_rows]
    share = w[unit[floor_rows]]
    tol = np.where(split_by[floor_rows] == "floor", 1.0, config.building_households_tolerance)
    loose.wmin[unit[floor_rows]] = np.maximum(np.ceil(share * (1 - tol)), 1)
    loose.wmax[unit[floor_rows]] = np.where(tol >= 1.0, config.max_households,
                                            np.floor(share * (1 + tol)))
    seconds["units"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    if keep is None:
        # grids first, over the whole district (the tight bound gets all the room there is),
        # then communities as unions of whole grids, so nesting holds by construction
        grid_split, adj = split_apart(adj, pools, w, uxy, lo, hi, few=(1,),
                                      repair_time_s=config.repair_time_s, loose=loose,
                                      repair_nodes=config.repair_nodes)
        grid_parts, grid_notes, new_w = grid_split.parts, grid_split.notes, grid_split.weight
        update = None
    else:
        within = links_within(pools, label_units(keep, uxy))
        update = update_parts(keep, adj.maximum(within).tocsr(), w, uxy, config, loose=loose)
        grid_parts, grid_notes, new_w = update.parts, update.notes or {}, update.weight
    if new_w is not None and not np.array_equal(new_w, w):
        w = np.asarray(new_w, dtype=np.int64)
        hh = hh.copy()
        hh[res[floor_rows]] = w[unit[floor_rows]]
        parts = parts.copy()
        parts[HOUSEHOLDS] = hh
        gen = parts.iloc[res]
        ux = np.bincount(unit, weights=x * hh[res], minlength=n_units) / np.maximum(w, 1)
        uy = np.bincount(unit, weights=y * hh[res], minlength=n_units) / np.maximum(w, 1)
    seconds["split"] = time.perf_counter() - t1
    return {"parts": parts, "hh": hh, "res": res, "gen": gen, "x": x, "y": y, "cells": cells,
            "graph": graph, "unit": unit, "n_units": n_units, "adj": adj, "w": w, "ux": ux,
            "uy": uy, "uxy": np.column_stack([ux, uy]), "grid_parts": grid_parts,
            "grid_notes": grid_notes, "update": update, "community_adj": community_adj,
            "spc": spc, "all_cells": all_cells}


def _out_of_range(st: dict, config) -> int:
    """Households in grids out of range, in one pass's result."""
    t = np.array([st["w"][p].sum() for p in st["grid_parts"]])
    return int(t[(t < config.min_households) | (t > config.max_households)].sum())


def _cuttable_near_bad(st: dict, config) -> np.ndarray:
    """Homes that fit in one grid, have two buildings or more (or share a compound with
    others), and lie in an out-of-range grid or a grid next to one."""
    w, adj, unit = st["w"], st["adj"], st["unit"]
    lo, hi = config.min_households, config.max_households
    label = np.empty(st["n_units"], dtype=np.int64)
    for gi, p in enumerate(st["grid_parts"]):
        label[p] = gi
    tot = np.bincount(label, weights=w, minlength=len(st["grid_parts"]))
    bad = np.flatnonzero((tot < lo) | (tot > hi))
    if not len(bad):
        return np.zeros(0, dtype=np.int64)
    units = np.flatnonzero(np.isin(label, bad))
    near = np.unique(label[adj[units].indices])
    units = np.flatnonzero(np.isin(label, np.union1d(bad, near)))
    gen = st["gen"]
    rows = np.isin(unit, units)
    home = gen[HOME_INDEX].to_numpy()[rows]
    whole = gen[PART].to_numpy()[rows] == 0
    bld = building_counts(gen)[rows]
    many = whole & (bld >= 2)
    if COMPOUND in gen.columns:
        # a home of a compound made of several homes can be cut from the others
        multi = count_distinct(unit, gen[HOME_INDEX].to_numpy(), st["n_units"])[unit[rows]] > 1
        many |= whole & multi
    return np.unique(home[many]).astype(np.int64)


def _key(*parts) -> str:
    """A digest of arrays' contents and strings (what a cache entry was computed from)."""
    h = hashlib.sha1()
    for a in parts:
        h.update(a.encode() if isinstance(a, str) else np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _nearest_cells(cells: np.ndarray, x: np.ndarray, y: np.ndarray, cache: dict) -> np.ndarray:
    """The cell nearest each point (the cell holding it, when one does), from ``cache`` when the
    cells (the same array, from the cells' cache) and points are the ones of last time."""
    key = _key(x, y)
    hit = cache.get("nearest_cells")
    if hit is not None and hit[0] is cells and hit[1] == key:
        return hit[2]
    pts = shapely.points(x, y)
    near = shapely.STRtree(cells).query_nearest(pts, return_distance=False, all_matches=False)
    out = np.empty(len(pts), dtype=np.int64)
    out[near[0]] = near[1]
    cache["nearest_cells"] = (cells, key, out)
    return out


def _cells(city: City, x: np.ndarray, y: np.ndarray, cache: dict, name: str,
           n: int | None = None):
    """Cells of the generator points and their graph, then those of the first ``n`` points
    alone (all when None), from ``cache`` when the points are the same as last time.
    Address points with a street file get cells inside their street blocks, so grid
    boundaries follow the streets; footprints keep plain Voronoi cells."""
    key = _key(np.column_stack([x, y]), str(n))
    hit = cache.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    points = len(city.streets) and (city.homes.geom_type == "Point").all()
    cells = tessellate(x, y, city.boundary,
                       street_blocks(city.streets, city.barriers, city.boundary) if points else None)
    graph = cell_graph(cells, x, y, barrier_lines(city.streets, city.barriers))
    out = (cells, graph) if n is None else (cells, graph, cells[:n], subgraph(graph, n))
    cache[name] = (key, out)
    return out


def _special_groups(parts, idx: np.ndarray, city, config, cache: dict):
    """The groups of non-residential buildings (positions in ``idx``) of about
    ``special_grid_units`` each, and their ids; they do not depend on the residential grids,
    so a re-plan takes them from ``cache``."""
    if not len(idx):
        return [], np.array([], dtype=object)
    gx, gy = parts["_gx"].to_numpy()[idx], parts["_gy"].to_numpy()[idx]
    key = _key(gx, gy, repr((config.special_grid_units, sorted(config.boundary_cost.items()))))
    hit = cache.get("special_groups")
    if hit is not None and hit[0] == key:
        return hit[1]
    x, y = separate_duplicates(gx, gy)
    cells, g = _cells(city, x, y, cache, "special_cells")
    adj = unit_adjacency(g, np.arange(len(idx)), len(idx), config.boundary_cost)
    s = config.special_grid_units
    lo, hi = max(1, int(np.ceil(0.75 * s))), max(1, int(np.floor(1.25 * s)))
    split = BoundedSplitter(adj, np.ones(len(idx), dtype=int), np.column_stack([x, y]), lo, hi)
    groups = split.split().parts
    mid = np.array([[x[p].mean(), y[p].mean()] for p in groups])
    rank, names = _ids("S", mid, 400.0)
    out = (groups, np.array(names, dtype=object)[rank])
    cache["special_groups"] = (key, out)
    return out


def _link_isolated(adj: sparse.csr_matrix, xy: np.ndarray) -> sparse.csr_matrix:
    """Give a unit whose cell touches no other (a sliver, a degenerate diagram) a link to its
    nearest unit, at the cost of a long boundary through a block."""
    lonely = np.flatnonzero(np.diff(adj.indptr) == 0)
    if not len(lonely) or len(xy) < 2:
        return adj
    from scipy.spatial import cKDTree
    d, j = cKDTree(xy).query(xy[lonely], k=2)
    other = j[:, 1]
    cost = np.maximum(d[:, 1], 1.0)
    extra = sparse.coo_matrix((np.r_[cost, cost], (np.r_[lonely, other], np.r_[other, lonely])),
                              shape=adj.shape).tocsr()
    out = (adj + extra).tocsr()
    out.sort_indices()
    return out


def unit_names(gen: pd.DataFrame, unit: np.ndarray, n_units: int) -> list:
    """A name for each partition unit, for reasons a planner reads: ``compound X``, a home's
    ``name`` (or its input row), with ``part k/n`` for a part of a home."""
    first = np.full(n_units, -1, dtype=np.int64)
    first[unit[::-1]] = np.arange(len(unit))[::-1]
    homes_per_unit = count_distinct(unit, gen[HOME_INDEX].to_numpy(), n_units)
    name = (gen[NAME].astype(str).to_numpy(dtype=object) if NAME in gen.columns
            else np.full(len(gen), "", dtype=object))
    name_ok = gen[NAME].notna().to_numpy() if NAME in gen.columns else np.zeros(len(gen), bool)
    comp = (gen[COMPOUND].astype(str).to_numpy(dtype=object) if COMPOUND in gen.columns
            else None)
    home = gen[HOME_INDEX].to_numpy()
    part, part_of = gen[PART].to_numpy(), gen[PART_OF].to_numpy()
    rows_per_unit = np.bincount(unit, minlength=n_units)
    out = []
    for u in range(n_units):
        r = first[u]
        if comp is not None and homes_per_unit[u] > 1:
            out.append(f"compound {comp[r]}")
            continue
        label = (name[r].strip() if name_ok[r] and name[r].strip()
                 else f"home row {int(home[r]) + 1}")
        if part[r] > 0 and rows_per_unit[u] < part_of[r]:   # not all of the home's parts
            label += f" part {int(part[r])}/{int(part_of[r])}"
        out.append(label)
    return out


def explain_notes(notes: dict[int, RepairNote], names: list, w: np.ndarray, config) -> dict:
    """Text for each note of :func:`gridplan.partition.exact.repair_exact`: why a grid (by
    its position) is still out of range, what was searched and what would fix it."""
    lo, hi = config.min_households, config.max_households
    out = {}
    for gi, note in notes.items():
        if isinstance(note, Walled):
            u = note.node
            nb = sorted(note.neighbours, key=lambda v: w[v])
            around = ", ".join(f"{names[v]} ({int(w[v])})" for v in nb)
            fix = ("" if config.allow_compound_split else
                   "; --allow-compound-split lets a compound be cut by building")
            out[gi] = (f"{names[u]} ({int(w[u])} households) touches only {around}: every "
                       f"connected grid holding it has fewer than {lo} or more than {hi} "
                       f"households unless one of them is cut{fix}")
        elif isinstance(note, Isolated):
            out[gi] = (f"its {note.nodes} units form a block of {note.total} households "
                       f"with no neighbour outside it, and no set of grids of {lo}–{hi} adds "
                       f"up to {note.total}")
        else:
            done = ("no regrouping exists (proven by exact search)" if note.proven else
                    f"the safety cap repair_time_s ran out after {note.seconds} s of exact "
                    "search (not proven impossible; this grid may differ on another machine)"
                    if note.capped else
                    "no regrouping was found within the exact search's budget "
                    "(not proven impossible; a larger repair_nodes may find one)")
            out[gi] = (f"the {note.parts} grids around it ({note.nodes} units, "
                       f"{note.total} households) were searched for connected grids of "
                       f"{lo}–{hi}: {done}")
    return out
