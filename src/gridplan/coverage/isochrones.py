"""Walk isochrones: the streets a station reaches within a walk, as an area around them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ._paths import bounded, lookup
from ._validate import as_xy, positive
from .distance import snap_to_network
from .network import WalkNetwork


def walk_isochrones(net: WalkNetwork, stations_xy, limit_m: float, buffer_m: float = 25.0,
                    *, quad_segs: int = 4, max_access_m: float | None = None) -> gpd.GeoDataFrame:
    """The area within ``limit_m`` on foot of each station.

    The union of every street piece a station reaches within the walk (edges cut where the
    remaining distance runs out, and the station's own walk onto its street), buffered by
    ``buffer_m`` so homes beside those streets fall inside. Not a convex hull: a river with
    no bridge stays outside.

    Parameters
    ----------
    net : WalkNetwork
    stations_xy : array-like of shape (m, 2)
        Coordinates in the network's CRS.
    limit_m : float
        Walk in metres (1,000 m is the 15-minute circle).
    buffer_m : float
        Half-width of the area around the reached streets, in metres.
    quad_segs : int
        Segments per quarter circle of the buffer's round ends.
    max_access_m : float, optional
        A station farther than this from every street reaches nothing (as in
        :func:`~gridplan.coverage.walk_distances`); it attaches to streets as there too.

    Returns
    -------
    GeoDataFrame
        One row per station, in station order, with ``station`` (its index) and the
        polygon; an empty polygon when the station is farther than ``limit_m`` (or
        ``max_access_m``) from every street or the network is empty.
    """
    st = as_xy(stations_xy, "stations_xy")
    limit = positive(limit_m, "limit_m")
    buffer_m = positive(buffer_m, "buffer_m")
    m = len(st)
    geoms = np.array([shapely.Polygon()] * m, dtype=object)
    if m and not net.is_empty:
        snap = snap_to_network(net, st, max_m=max_access_m)
        u, v = net.edges["u"].to_numpy(), net.edges["v"].to_numpy()
        length = net.seg_length()
        for src, sub, dist in bounded(net, st, snap, limit):
            near = np.zeros(0, dtype=np.int64)
            if len(sub):
                lo, hi = net.xy[sub].min(0), net.xy[sub].max(0)
                near = np.sort(net.tree.query(shapely.box(*lo, *hi)))
            pu, pv = lookup(sub, u[near]), lookup(sub, v[near])
            for row, j in enumerate(src):
                pieces = _reached(net, near, limit - dist[row, pu], limit - dist[row, pv],
                                  length[near])
                own = _own_edge(net, st[j], snap.take([j]), limit, length)
                pieces = np.concatenate([pieces, own])
                if len(pieces) == 0:
                    continue
                lines = shapely.linestrings(pieces.reshape(-1, 2, 2))
                # buffering each piece and dissolving is ~10x faster than buffering the
                # multi-line in one call (GEOS 3.14, dense street grids)
                geoms[j] = shapely.union_all(shapely.buffer(lines, buffer_m,
                                                            quad_segs=quad_segs))
    return gpd.GeoDataFrame({"station": np.arange(m)},
                            geometry=list(geoms), crs=net.crs)


def _reached(net, edges, left_u, left_v, length):
    """Pieces (k, 4) of the given edges reached with ``left_u`` / ``left_v`` metres to spare
    at their ends (-inf when an end is out of reach)."""
    seg = net.seg[edges]
    a, d = seg[:, :2], seg[:, 2:] - seg[:, :2]
    whole = (left_u >= 0) & (left_v >= 0) & (left_u + left_v >= length)
    whole |= (left_u >= length) | (left_v >= length)
    from_u = ~whole & (left_u > 0)
    from_v = ~whole & (left_v > 0)
    tu = (left_u[from_u] / length[from_u])[:, None]
    tv = (1 - left_v[from_v] / length[from_v])[:, None]
    return np.concatenate([
        seg[whole],
        np.hstack([a[from_u], a[from_u] + tu * d[from_u]]),
        np.hstack([a[from_v] + tv * d[from_v], seg[from_v, 2:]]),
    ])


def _own_edge(net, xy, snap, limit, length):
    """The station's walk onto its street and the piece of its own edge within reach."""
    left = limit - snap.access_m[0]
    if left < 0:
        return np.zeros((0, 4))
    e, at = snap.edge[0], snap.along_m[0]
    a, d = net.seg[e, :2], net.seg[e, 2:] - net.seg[e, :2]
    lo, hi = max(at - left, 0.0), min(at + left, length[e])
    foot = a + d * (at / length[e])
    pieces = [np.concatenate([xy, foot])]
    if hi > lo:
        pieces.append(np.concatenate([a + d * (lo / length[e]), a + d * (hi / length[e])]))
    return np.array(pieces)
