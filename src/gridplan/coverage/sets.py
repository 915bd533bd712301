"""Coverage sets: which candidate sites reach which homes, as a sparse boolean matrix."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from ._paths import bounded, lookup, through_network
from ._validate import as_xy, positive
from .distance import snap_to_network
from .network import WalkNetwork


def coverage_sets(demand_xy, candidates_xy, radius_m: float, *,
                  net: WalkNetwork | None = None,
                  max_access_m: float | None = None) -> sp.csr_matrix:
    """Which candidates reach which demand points within ``radius_m``, built sparse.

    Parameters
    ----------
    demand_xy, candidates_xy : array-like of shape (n, 2) and (m, 2)
        Coordinates in one metric CRS.
    radius_m : float
        Reach in metres (inclusive).
    net : WalkNetwork, optional
        Measure on foot along this network, exactly as :func:`walk_distances` does (a bounded
        Dijkstra from each candidate over the streets in its reach); a straight line when
        None.
    max_access_m : float, optional
        On foot: demand points and candidates farther than this from every street reach
        nothing.

    Returns
    -------
    scipy.sparse.csr_matrix of bool, shape (n, m)
        True where candidate j reaches demand point i. Never dense: memory grows with the
        number of pairs in reach.
    """
    demand = as_xy(demand_xy, "demand_xy")
    cand = as_xy(candidates_xy, "candidates_xy")
    radius = positive(radius_m, "radius_m")
    n, m = len(demand), len(cand)
    if n == 0 or m == 0:
        return sp.csr_matrix((n, m), dtype=bool)
    if net is None:
        pairs = cKDTree(demand).sparse_distance_matrix(cKDTree(cand), radius,
                                                       output_type="ndarray")
        rows, cols = pairs["i"], pairs["j"]
    else:
        rows, cols = _walk_pairs(net, demand, cand, radius, max_access_m)
    return sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n, m))


def _walk_pairs(net, demand, cand, radius, max_m):
    """(demand, candidate) pairs within ``radius`` on foot."""
    if net.is_empty:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    home = snap_to_network(net, demand, max_m=max_m)
    site = snap_to_network(net, cand, max_m=max_m)
    live = np.flatnonzero(site.access_m <= radius)
    ends, _ = home.ends(net)
    length = net.seg_length()[home.edge]
    tree = cKDTree(demand)
    rows, cols = [], []
    for src, sub, dist in bounded(net, cand[live], site.take(live), radius):
        j = live[src]
        lo, hi = cand[j].min(0) - radius, cand[j].max(0) + radius
        near = np.asarray(tree.query_ball_point((lo + hi) / 2, (hi - lo).max() / 2, p=np.inf),
                          dtype=np.int64)
        if len(near) == 0:
            continue
        off = demand[near][None, :, :] - cand[j][:, None, :]
        straight = np.hypot(off[..., 0], off[..., 1])
        k, d = np.nonzero(straight <= radius)  # a walk is never shorter than the line
        h, c = near[d], j[k]
        d_u = dist[k, lookup(sub, ends[h, 0])]
        d_v = dist[k, lookup(sub, ends[h, 1])]
        direct = np.where(home.edge[h] == site.edge[c],
                          np.abs(home.along_m[h] - site.along_m[c]) + site.access_m[c], np.inf)
        walk = through_network(d_u, d_v, home.along_m[h], length[h], direct) + home.access_m[h]
        ok = np.maximum(walk, straight[k, d]) <= radius
        rows.append(h[ok])
        cols.append(c[ok])
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(cols)
