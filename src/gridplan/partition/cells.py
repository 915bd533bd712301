"""Cells: one polygon per home or part tiling the study area, and which cells touch across what."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse

#: Barrier classes from none to hardest; an adjacency takes the hardest line its link crosses.
CLASSES = ("block", "path", "local", "secondary", "arterial", "water")
#: Largest random shift of a generator point (metres).
JITTER_M = 0.01
#: Precision grid of cell vertices (metres).
GRID_SIZE_M = 0.001
#: Shared boundaries shorter than this (metres) are corners, not adjacency.
MIN_SHARED_M = 0.5


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
    if counts.max() == 1:
        return x, y
    order = np.argsort(inverse, kind="stable")
    rank = np.empty(len(x), dtype=int)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank[order] = np.arange(len(x)) - np.repeat(starts, counts)
    n = counts[inverse]
    ang = 2 * np.pi * rank / n
    r = np.where(n > 1, 1.0, 0.0)
    return x + r * np.cos(ang), y + r * np.sin(ang)


def voronoi_cells(x: np.ndarray, y: np.ndarray, area) -> np.ndarray:
    """Voronoi cells of the points, in input order, clipped to ``area``."""
    pts = shapely.points(x, y)
    if len(pts) == 1:
        return np.array([area])
    env = shapely.envelope(shapely.union(area, shapely.multipoints(pts))).buffer(100.0)
    vor = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=env, ordered=True)
    cells = shapely.get_parts(vor)
    bad = ~shapely.is_valid(cells)            # co-circular generators can leave slivers
    if bad.any():
        cells[bad] = shapely.make_valid(cells[bad], method="structure", keep_collapsed=False)
    cells = shapely.intersection(cells, area)
    # neighbours must share identical vertices to union as a coverage
    cells = shapely.set_precision(cells, GRID_SIZE_M)
    # a generator outside the area (it can happen with a loose boundary) still needs its cell
    empty = shapely.is_empty(cells)
    if empty.any():
        cells[empty] = shapely.buffer(pts[empty], 1.0)
    return cells


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
    shared = shapely.length(shapely.intersection(shapely.boundary(cells[a]),
                                                 shapely.boundary(cells[b])))
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


def barrier_lines(streets: gpd.GeoDataFrame, water: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Streets and water as one layer with a ``class`` column (hard barriers are 'water')."""
    parts = []
    if len(streets):
        parts.append(gpd.GeoDataFrame({"class": streets["rank"].to_numpy()},
                                      geometry=streets.geometry.values, crs=streets.crs))
    if len(water):
        parts.append(gpd.GeoDataFrame({"class": "water"}, index=range(len(water)),
                                      geometry=water.geometry.values, crs=water.crs))
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
