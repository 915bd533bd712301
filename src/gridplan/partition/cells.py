"""Cells: one polygon per home or part tiling the study area, and which cells touch across what."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse

from .overlay import clip_to_area, snap_to_grid

#: Barrier classes from none to hardest; an adjacency takes the hardest line its link crosses.
CLASSES = ("block", "path", "local", "secondary", "arterial", "water")
#: Largest random shift of a generator point (metres).
JITTER_M = 0.01
#: Precision grid of cell vertices (metres).
GRID_SIZE_M = 0.001
#: Shared boundaries shorter than this (metres) are corners, not adjacency.
MIN_SHARED_M = 0.5
#: Street ranks that bound the blocks cells of address points are clipped to (with water, rail
#: and the study area's edge): the streets a grid should not cross. Local streets and paths run
#: inside compounds too, so they only make a boundary cheaper, like everywhere else.
BLOCK_RANKS = ("arterial", "secondary")


@dataclass
class CellGraph:
    """Cells and their adjacency.

    Attributes
    ----------
    cells : ndarray of Polygon
        One cell per generator, clipped to the study area.
    a, b : ndarray of int
        Adjacent cell pairs (a < b).
    shared_m : ndarray of float
        Length of the shared boundary.
    barrier : ndarray of int
        Index into CLASSES of the hardest line the link a–b crosses.
    crossed : list of (edge index array, line index array, class array)
        Which barrier lines each link crosses, for counting crossings per grid.
    """

    cells: np.ndarray
    a: np.ndarray
    b: np.ndarray
    shared_m: np.ndarray
    barrier: np.ndarray
    crossed_edge: np.ndarray
    crossed_line: np.ndarray
    crossed_class: np.ndarray


def separate_duplicates(x: np.ndarray, y: np.ndarray, seed: int = 0
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Move points that share a location (to 1 cm) onto a small circle so each gets a cell, and
    jitter every point by up to JITTER_M so no four are exactly on one circle (a degenerate
    Voronoi diagram)."""
    jit = np.random.default_rng(seed).uniform(-JITTER_M, JITTER_M, (2, len(x)))
    x, y = x + jit[0], y + jit[1]
    key = np.round(x, 1) + 1j * np.round(y, 1)
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    if counts.max(initial=1) == 1:
        return x, y
    order = np.argsort(inverse, kind="stable")
    rank = np.empty(len(x), dtype=int)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank[order] = np.arange(len(x)) - np.repeat(starts, counts)
    n = counts[inverse]
    ang = 2 * np.pi * rank / n
    r = np.where(n > 1, 1.0, 0.0)
    return x + r * np.cos(ang), y + r * np.sin(ang)


def voronoi_cells(x: np.ndarray, y: np.ndarray, area, fallback: bool = True) -> np.ndarray:
    """Voronoi cells of the points, in input order, clipped to ``area`` (a point whose cell
    is empty gets a 1 m circle, unless ``fallback`` is off)."""
    pts = shapely.points(x, y)
    if len(pts) == 1:
        return np.array([area])
    env = shapely.envelope(shapely.union(area, shapely.multipoints(pts))).buffer(100.0)
    vor = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=env, ordered=True)
    cells = shapely.get_parts(vor)
    bad = ~shapely.is_valid(cells)            # co-circular generators can leave slivers
    if bad.any():
        cells[bad] = shapely.make_valid(cells[bad], method="structure", keep_collapsed=False)
    cells = clip_to_area(cells, area)
    # neighbours must share identical vertices to union as a coverage
    cells = snap_to_grid(cells, GRID_SIZE_M)
    # a generator outside the area (it can happen with a loose boundary) still needs its cell
    empty = shapely.is_empty(cells)
    if fallback and empty.any():
        cells[empty] = shapely.buffer(pts[empty], 1.0)
    return cells


def street_blocks(streets: gpd.GeoDataFrame, barriers: gpd.GeoDataFrame, area) -> np.ndarray:
    """The blocks the streets of BLOCK_RANKS, water, rail and the area's edge enclose.

    As momepy's ``enclosures`` does it: the lines are noded by one union and polygonized
    (momepy itself is not imported for it: it takes seconds to load). Blocks tile ``area``.
    """
    lines = [shapely.boundary(np.atleast_1d(area))]
    if len(streets):
        lines.append(streets.geometry.values[streets["rank"].isin(BLOCK_RANKS).to_numpy()])
    if len(barriers):
        w = np.asarray(barriers.geometry.values)
        poly = shapely.get_type_id(w) >= 3          # polygons bound blocks by their edge
        lines.append(np.where(poly, shapely.boundary(w), w))
    geoms = np.concatenate([np.asarray(g, dtype=object) for g in lines])
    geoms = geoms[~shapely.is_empty(geoms)]
    edges = shapely.get_parts(shapely.union_all(geoms))
    blocks = shapely.get_parts(shapely.polygonize(edges))
    # lines that run out of the area make blocks outside it; polygonize also returns the
    # area's holes as blocks
    blocks = blocks[shapely.contains(area, shapely.point_on_surface(blocks))]
    return snap_to_grid(blocks, GRID_SIZE_M)


def block_cells(x: np.ndarray, y: np.ndarray, area, blocks: np.ndarray) -> np.ndarray:
    """Cells of the points inside their blocks (an enclosed tessellation of points).

    Each point gets the Voronoi cell of its block's points, clipped to the block; a point on a
    street line belongs to one of the blocks it touches. A block without a point, and a piece
    of a cell that a bend of its block cuts off, joins the cell it shares the longest edge with,
    so the cells still tile ``area`` and each is in one piece.
    """
    pts = shapely.points(x, y)
    tree = shapely.STRtree(blocks)
    pi, bi = tree.query(pts, predicate="intersects")
    block = np.full(len(pts), -1, dtype=np.int64)
    _, first = np.unique(pi, return_index=True)
    block[pi[first]] = bi[first]
    out = np.flatnonzero(block < 0)
    if len(out):                     # outside the area (a loose boundary): the nearest block
        near = tree.query_nearest(pts[out], all_matches=False)
        block[out[near[0]]] = near[1]
    cells = np.empty(len(pts), dtype=object)
    order = np.argsort(block, kind="stable")
    ids, starts = np.unique(block[order], return_index=True)
    for b, m in zip(ids, np.split(order, starts[1:])):
        if len(m) == 1:
            cells[m[0]] = blocks[b]
        else:
            cells[m] = voronoi_cells(x[m], y[m], blocks[b], fallback=False)
    orphans = [blocks[np.setdiff1d(np.arange(len(blocks)), ids)]]
    multi = np.flatnonzero(shapely.get_num_geometries(cells) > 1)
    if len(multi):
        # the piece nearest the cell's point stays (get_parts lists pieces cell by cell)
        part, whose = shapely.get_parts(cells[multi], return_index=True)
        d = shapely.distance(part, pts[multi[whose]])
        by = np.lexsort((d, whose))
        keep = np.zeros(len(part), dtype=bool)
        keep[by[np.r_[0, np.flatnonzero(np.diff(whose[by])) + 1]]] = True
        cells[multi] = part[keep]
        orphans.append(part[~keep])
    empty = np.flatnonzero(shapely.is_empty(cells))
    if len(empty):                   # a point outside its block whose cell is empty
        cells[empty] = shapely.difference(shapely.buffer(pts[empty], 1.0), area)
    return _noded(_attach(cells, np.concatenate(orphans)))


def _noded(cells: np.ndarray) -> np.ndarray:
    """The cells with a vertex wherever a neighbour has one on their common edge (cells cut
    in different blocks meet along a street at different points), so they union as a
    coverage: the faces of all their edges, noded, each given to the cell that holds it."""
    edges = shapely.get_parts(shapely.union_all(shapely.boundary(cells), grid_size=GRID_SIZE_M))
    faces = shapely.get_parts(shapely.polygonize(edges))
    fi, ci = shapely.STRtree(cells).query(shapely.point_on_surface(faces), predicate="within")
    _, first = np.unique(fi, return_index=True)
    fi, ci = fi[first], ci[first]
    out = cells.copy()
    counts = np.bincount(ci, minlength=len(cells))
    one = counts[ci] == 1
    out[ci[one]] = faces[fi[one]]
    for c in np.unique(ci[~one]):
        out[c] = shapely.union_all(faces[fi[ci == c]])
    return snap_to_grid(out, GRID_SIZE_M)


def _attach(cells: np.ndarray, orphans: np.ndarray) -> np.ndarray:
    """Join each orphan piece to the cell it shares the longest edge with (pieces that touch
    only other pieces wait for those to join first; one that touches nothing joins the
    nearest cell)."""
    orphans = orphans[~shapely.is_empty(orphans)]
    while len(orphans):
        tree = shapely.STRtree(cells)
        oi, ci = tree.query(orphans, predicate="intersects")
        shared = shapely.length(shapely.intersection(shapely.boundary(orphans[oi]),
                                                     shapely.boundary(cells[ci])))
        ok = shared >= MIN_SHARED_M
        oi, ci, shared = oi[ok], ci[ok], shared[ok]
        if len(oi):
            best = np.lexsort((-shared, oi))
            oi, ci = oi[best], ci[best]
            first = np.r_[0, np.flatnonzero(np.diff(oi)) + 1]
            oi, ci = oi[first], ci[first]
        else:
            near = tree.query_nearest(orphans, all_matches=False)
            oi, ci = near[0], near[1]
        for c in np.unique(ci):
            cells[c] = shapely.set_precision(
                shapely.union_all(np.r_[[cells[c]], orphans[oi[ci == c]]]), GRID_SIZE_M)
        orphans = np.delete(orphans, oi)
    return cells


def tessellate(x: np.ndarray, y: np.ndarray, area, blocks: np.ndarray | None = None
               ) -> np.ndarray:
    """One cell per point tiling ``area``: Voronoi cells, inside their street blocks when
    ``blocks`` (from :func:`street_blocks`) are given."""
    if blocks is None or len(blocks) < 2:
        return voronoi_cells(x, y, area)
    return block_cells(x, y, area, blocks)


def subgraph(graph: CellGraph, n: int) -> CellGraph:
    """The graph of cells 0..n-1 only (the residential ones, when special cells follow)."""
    keep = graph.b < n                                  # a < b
    new = np.cumsum(keep) - 1
    ck = keep[graph.crossed_edge]
    return CellGraph(cells=graph.cells[:n], a=graph.a[keep], b=graph.b[keep],
                     shared_m=graph.shared_m[keep], barrier=graph.barrier[keep],
                     crossed_edge=new[graph.crossed_edge[ck]],
                     crossed_line=graph.crossed_line[ck], crossed_class=graph.crossed_class[ck])


def cell_graph(cells: np.ndarray, x: np.ndarray, y: np.ndarray,
               barriers: gpd.GeoDataFrame) -> CellGraph:
    """Adjacent cells, the length they share, and the barriers between their generators.

    Parameters
    ----------
    cells : ndarray of Polygon
    x, y : ndarray
        Generator coordinates, aligned with ``cells``.
    barriers : GeoDataFrame
        Lines and polygons with a ``class`` column naming one of CLASSES.
    """
    tree = shapely.STRtree(cells)
    a, b = tree.query(cells, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    shared = _shared_lengths(cells, a, b)
    keep = shared >= MIN_SHARED_M
    a, b, shared = a[keep], b[keep], shared[keep]

    barrier = np.zeros(len(a), dtype=np.int8)
    ce = cl = cc = np.zeros(0, dtype=int)
    if len(a) and len(barriers):
        links = shapely.linestrings(np.stack([np.stack([x[a], y[a]], 1),
                                              np.stack([x[b], y[b]], 1)], 1))
        geoms = barriers.geometry.values
        cls = barriers["class"].map({c: i for i, c in enumerate(CLASSES)}).to_numpy(dtype=int)
        btree = shapely.STRtree(geoms)
        ce, cl = btree.query(links, predicate="intersects")
        cc = cls[cl]
        np.maximum.at(barrier, ce, cc.astype(np.int8))
    return CellGraph(cells=cells, a=a, b=b, shared_m=shared, barrier=barrier,
                     crossed_edge=ce, crossed_line=cl, crossed_class=cc)


def _shared_lengths(cells: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Length of the boundary each touching pair a–b shares.

    Cells of one diagram (snapped to GRID_SIZE_M) meet along identical edges, so matching
    edges give the shared lengths in one sort; only pairs with no identical edge (a corner,
    or neighbours noded differently) are measured by a geometric intersection.
    """
    rings, of_cell = shapely.get_rings(cells, return_index=True)
    xy, of_ring = shapely.get_coordinates(rings, return_index=True)
    seg = np.flatnonzero(of_ring[:-1] == of_ring[1:])
    q = np.round(xy / GRID_SIZE_M).astype(np.int64)
    p0, p1 = q[seg], q[seg + 1]
    swap = (p0[:, 0] > p1[:, 0]) | ((p0[:, 0] == p1[:, 0]) & (p0[:, 1] > p1[:, 1]))
    lo, hi = np.where(swap[:, None], p1, p0), np.where(swap[:, None], p0, p1)
    owner = of_cell[of_ring[seg]]
    order = np.lexsort((owner, hi[:, 1], hi[:, 0], lo[:, 1], lo[:, 0]))
    k = np.column_stack([lo, hi])[order]
    same = (k[1:] == k[:-1]).all(1)
    i = np.flatnonzero(same)
    ca, cb = owner[order[i]], owner[order[i + 1]]
    ln = np.hypot(*(xy[seg + 1] - xy[seg])[order[i]].T)
    diff = ca != cb
    ca, cb, ln = ca[diff], cb[diff], ln[diff]
    n = np.int64(len(cells))
    keys, at = np.unique(np.minimum(ca, cb) * n + np.maximum(ca, cb), return_inverse=True)
    sums = np.bincount(at, weights=ln, minlength=len(keys))
    want = np.minimum(a, b) * n + np.maximum(a, b)
    pos = np.searchsorted(keys, want)
    hit = pos < len(keys)
    hit[hit] = keys[pos[hit]] == want[hit]
    shared = np.zeros(len(a))
    shared[hit] = sums[pos[hit]]
    rest = np.flatnonzero(shared == 0)
    if len(rest):
        shared[rest] = shapely.length(shapely.intersection(shapely.boundary(cells[a[rest]]),
                                                           shapely.boundary(cells[b[rest]])))
    return shared


def barrier_lines(streets: gpd.GeoDataFrame, barriers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Streets and barriers as one layer with a ``class`` column (barriers are of class 'water',
    the name summary.json's crossings and ``crosses_water`` keep)."""
    parts = []
    if len(streets):
        parts.append(gpd.GeoDataFrame({"class": streets["rank"].to_numpy()},
                                      geometry=streets.geometry.values, crs=streets.crs))
    if len(barriers):
        parts.append(gpd.GeoDataFrame({"class": "water"}, index=range(len(barriers)),
                                      geometry=barriers.geometry.values, crs=barriers.crs))
    if not parts:
        return gpd.GeoDataFrame({"class": []}, geometry=[])
    out = gpd.GeoDataFrame(np.concatenate([p["class"].to_numpy() for p in parts]),
                           columns=["class"],
                           geometry=np.concatenate([p.geometry.values for p in parts]))
    return out.reset_index(drop=True)


def unit_adjacency(graph: CellGraph, unit: np.ndarray, n_units: int,
                   boundary_cost: dict, building: np.ndarray | None = None) -> sparse.csr_matrix:
    """Cut cost between units: shared boundary length × the cost of running a boundary there,
    summed over the cell pairs of the two units; cells of the same ``building`` id cost
    ``boundary_cost['building']``. Symmetric CSR; no self-loops."""
    factor = np.array([boundary_cost[c] for c in CLASSES])[graph.barrier]
    if building is not None:
        factor = np.where(building[graph.a] == building[graph.b],
                          boundary_cost.get("building", 10.0), factor)
    cost = graph.shared_m * factor
    ua, ub = unit[graph.a], unit[graph.b]
    off = ua != ub
    ua, ub, cost = ua[off], ub[off], cost[off]
    m = sparse.coo_matrix((np.concatenate([cost, cost]),
                           (np.concatenate([ua, ub]), np.concatenate([ub, ua]))),
                          shape=(n_units, n_units)).tocsr()
    m.sum_duplicates()
    # a pair of units whose links all cost exactly zero must still count as adjacent
    ea, eb = np.concatenate([ua, ub]), np.concatenate([ub, ua])
    link = sparse.coo_matrix((np.ones(len(ea)), (ea, eb)), shape=(n_units, n_units)).tocsr()
    link.sum_duplicates()
    m = m + link * 1e-9
    m.sort_indices()
    return m
