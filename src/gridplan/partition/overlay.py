"""Polygons clipped to an area or rounded to a grid, byte for byte as GEOS writes them, cheaply."""

from __future__ import annotations

import numpy as np
import shapely

#: A vertex at least this many grid steps from every segment it does not end cannot change that
#: segment when rounded (a segment is snapped to a pixel it passes through, and a pixel's centre
#: lies within half a diagonal, 0.71 steps, of the vertex rounded into it).
CLEAR_STEPS = 1.5


def snap_to_grid(geoms: np.ndarray, grid_size: float) -> np.ndarray:
    """``shapely.set_precision(geoms, grid_size)``, the same polygons to the byte.

    GEOS's default mode snap-rounds each polygon through an overlay: 40 ms for the 2,000 cells
    of the lattice, a tenth of the partition. Where no segment of a polygon passes through the
    pixel of a vertex it does not end, that overlay only rounds each vertex, drops repeated
    ones and writes each ring from its second vertex on; the cells are written so here, from
    GEOS's own pointwise rounding (3 ms). The rest go through GEOS: polygons with a vertex near
    a segment whose pixel it does fall in (cells of points a few millimetres apart), a ring that
    rounding makes touch itself or another ring or shrinks below a triangle, shells
    counter-clockwise or holes clockwise (the overlay would turn them; cells, made by overlays,
    come the other way), shapes with Z or already on a precision grid, and anything but a
    polygon. Polygons must be valid (as overlays, polygonize and ``make_valid`` leave them).

    Parameters
    ----------
    geoms : ndarray of Geometry
    grid_size : float
        Precision grid (the cells': ``cells.GRID_SIZE_M``).

    Returns
    -------
    ndarray of Geometry
    """
    geoms = np.asarray(geoms, dtype=object)
    out = shapely.set_precision(geoms, grid_size, mode="pointwise")
    tid = shapely.get_type_id(geoms)
    # GEOS keeps Z (the rings here are rebuilt in 2D), and leaves a polygon already on this
    # grid as it is (the rings here are written from their second vertex)
    fast = (((tid == 3) | (tid == 6)) & ~shapely.is_empty(geoms) & ~shapely.is_empty(out)
            & ~shapely.has_z(geoms) & (shapely.get_precision(geoms) == 0) & (grid_size > 0))
    idx = np.flatnonzero(fast)
    if len(idx):
        bad, check = _pointwise_differs(geoms[idx], out[idx], grid_size)
        fast[idx[bad]] = False
        idx, check = idx[~bad], check[~bad]
        snapped = shapely.remove_repeated_points(out[idx], 0.0)
        valid = np.ones(len(idx), dtype=bool)
        valid[check] = shapely.is_valid(snapped[check])
        fast[idx[~valid]] = False
        # new geometries carry no precision grid: set it again (it moves no coordinate, as
        # they are on the grid), since later overlays snap-round to the grid their inputs
        # carry (without it, Helsinki's block cells unioned otherwise: 4 grids in pieces, not 3)
        out[idx[valid]] = shapely.set_precision(_from_second_vertex(snapped[valid]), grid_size,
                                                mode="pointwise")
    if not fast.all():
        out[~fast] = shapely.set_precision(geoms[~fast], grid_size)
    return out


def clip_to_area(geoms: np.ndarray, area) -> np.ndarray:
    """``shapely.intersection(geoms, area)``, the same polygons to the byte.

    A polygon without holes whose shell runs clockwise and which lies inside ``area`` without
    touching its edge comes out of GEOS's overlay as it went in, its ring written from its
    second vertex on: so are the cells well inside a district written here (nine in ten of the
    lattice's; the overlay took 15 ms for its 2,000 cells). The others are intersected, as are
    shapes with Z, a precision grid or a repeated vertex. Polygons must be valid.
    """
    geoms = np.asarray(geoms, dtype=object)
    inside = (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    # GEOS's to do: an overlay of shapes with a precision grid snap-rounds to it, one with Z
    # keeps or fills it in, and one drops repeated vertices
    inside &= ((shapely.get_precision(geoms) == 0) & ~shapely.has_z(geoms)
               & (shapely.get_precision(area) == 0) & ~shapely.has_z(area))
    if inside.any():
        inside[inside] = (shapely.get_num_coordinates(shapely.remove_repeated_points(
            geoms[inside], 0.0)) == shapely.get_num_coordinates(geoms[inside]))
    if inside.any():
        prepared = shapely.from_wkb(shapely.to_wkb(area))   # the caller's area left unprepared
        shapely.prepare(prepared)
        inside[inside] = (shapely.contains_properly(prepared, geoms[inside])
                          & ~shapely.is_ccw(shapely.get_exterior_ring(geoms[inside])))
    out = np.empty(len(geoms), dtype=object)
    if inside.any():
        out[inside] = _from_second_vertex(geoms[inside])
    out[~inside] = shapely.intersection(geoms[~inside], area)
    return out


def _rings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinate count, polygon (part) and geometry of each ring of polygons and multipolygons,
    in the order ``shapely.get_coordinates`` lists their coordinates."""
    if (shapely.get_type_id(geoms) == 3).all():
        if not shapely.get_num_interior_rings(geoms).any():     # one ring each (most cells)
            whole = np.arange(len(geoms))
            return shapely.get_num_coordinates(geoms), whole, whole
        rings, ring_part = shapely.get_rings(geoms, return_index=True)
        ring_geom = ring_part
    else:
        parts, part_geom = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        ring_geom = part_geom[ring_part]
    return shapely.get_num_coordinates(rings), ring_part, ring_geom


def _from_second_vertex(geoms: np.ndarray) -> np.ndarray:
    """The polygons with each ring written from its second vertex on (as GEOS's overlay does)."""
    n = _rings(geoms)[0]
    first = np.repeat(np.cumsum(n) - n, n)
    nxt = np.arange(len(first)) - first + 1
    nxt[nxt == np.repeat(n, n)] = 1
    return shapely.set_coordinates(geoms.copy(), shapely.get_coordinates(geoms)[first + nxt])


def _pointwise_differs(geoms: np.ndarray, rounded: np.ndarray, grid_size: float
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Per polygon: whether snap rounding may give other than its pointwise rounding
    ``rounded`` (with repeats dropped), and whether a vertex rounds onto a segment's end it is
    not next to (then the rounded polygon must be checked for validity)."""
    n, ring_part, ring_geom = _rings(geoms)
    xy = shapely.get_coordinates(geoms)
    px = shapely.get_coordinates(rounded)
    bad = np.zeros(len(geoms), dtype=bool)
    check = np.zeros(len(geoms), dtype=bool)
    if len(px) != len(xy):
        return ~bad, check
    of_ring = np.repeat(np.arange(len(n)), n)
    first = np.cumsum(n) - n
    closing = first + n - 1
    # the orientation an overlay writes: shells clockwise, holes counter-clockwise
    d = xy - xy[first[of_ring]]
    cross = d[:-1, 0] * d[1:, 1] - d[1:, 0] * d[:-1, 1]
    cross[closing[:-1]] = 0.0
    area2 = np.bincount(of_ring[:-1], weights=cross, minlength=len(n))
    shell = np.r_[True, ring_part[1:] != ring_part[:-1]]
    bad[ring_geom[np.where(shell, area2 >= 0, area2 <= 0)]] = True
    # a ring that rounding shrinks below a triangle is GEOS's to drop (pointwise, it would
    # not even make a ring once its repeats are gone)
    moves = (px[1:] != px[:-1]).any(1)
    moves[closing[:-1]] = False                      # from one ring's end to the next's start
    kept = 1 + np.bincount(of_ring[:-1], weights=moves, minlength=len(n))
    bad[ring_geom[kept < 4]] = True
    # each vertex once (closing coordinates left out); segment v runs to end[v]
    vertex = np.ones(len(xy), dtype=bool)
    vertex[closing] = False
    vert = np.flatnonzero(vertex)
    same = np.arange(len(xy))
    same[closing] = first
    end = same[vert + 1]
    k = np.bincount(ring_geom[of_ring[vert]], minlength=len(geoms))
    start = np.cumsum(k) - k
    x, y = xy[:, 0], xy[:, 1]
    lim = (CLEAR_STEPS * grid_size) ** 2
    # every vertex against every segment of its polygon, polygons of k vertices at a time
    for kv in np.unique(k[k > 0]).tolist():
        gs = np.flatnonzero(k == kv)
        pos = start[gs][:, None] + np.arange(kv)
        v, e = vert[pos], end[pos]
        ax, ay = x[v][:, None, :], y[v][:, None, :]           # segment starts (axis 2)
        bx, by = x[e][:, None, :] - ax, y[e][:, None, :] - ay
        qx, qy = x[v][:, :, None] - ax, y[v][:, :, None] - ay  # vertices (axis 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.clip((qx * bx + qy * by) / (bx * bx + by * by), 0.0, 1.0)
        ex, ey = qx - t * bx, qy - t * by
        near = ~(ex * ex + ey * ey >= lim)                       # NaN (a zero segment) is near
        near &= (v[:, :, None] != v[:, None, :]) & (v[:, :, None] != e[:, None, :])
        if near.any():
            gi, i, j = np.nonzero(near)
            c, a, b = v[gi, i], v[gi, j], e[gi, j]
            own = (px[c] == px[a]).all(1) | (px[c] == px[b]).all(1)
            bad[gs[gi[~own & _crosses_pixel(px[c], xy[a], xy[b], grid_size)]]] = True
            # a vertex meeting another ring's (a hole touching its shell): GEOS nodes it
            # there and may start that ring elsewhere
            bad[gs[gi[own & (of_ring[c] != of_ring[a])]]] = True
            check[gs[gi[own]]] = True
    return bad, check


def _crosses_pixel(p: np.ndarray, a: np.ndarray, b: np.ndarray, grid_size: float) -> np.ndarray:
    """Whether each segment a–b meets the closed pixel around p, or nearly does (a clip of the
    segment to the square, widened a little so rounding errors count as meeting)."""
    h = 0.5 * grid_size * (1 + 1e-6)
    d = b - a
    lo, hi = np.zeros(len(p)), np.ones(len(p))
    meets = np.ones(len(p), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for ax in (0, 1):
            flat = d[:, ax] == 0
            t1 = (p[:, ax] - h - a[:, ax]) / d[:, ax]
            t2 = (p[:, ax] + h - a[:, ax]) / d[:, ax]
            meets &= ~flat | (np.abs(a[:, ax] - p[:, ax]) <= h)
            lo = np.where(flat, lo, np.maximum(lo, np.minimum(t1, t2)))
            hi = np.where(flat, hi, np.minimum(hi, np.maximum(t1, t2)))
    return meets & (lo <= hi)
