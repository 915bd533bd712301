"""Distances from homes to their nearest station: in a straight line, and on foot along streets."""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from ._paths import Snap, augment, through_network
from ._validate import as_xy, positive
from .network import WalkNetwork


def straight_distances(points_xy, stations_xy) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line distance from each point to its nearest station.

    Parameters
    ----------
    points_xy, stations_xy : array-like of shape (n, 2) and (m, 2)
        Coordinates in one metric CRS.

    Returns
    -------
    dist_m : ndarray of shape (n,)
        Metres to the nearest station; inf when there are no stations.
    nearest : ndarray of int, shape (n,)
        Index of that station; -1 when there are no stations.
    """
    pts = as_xy(points_xy, "points_xy")
    st = as_xy(stations_xy, "stations_xy")
    if len(st) == 0 or len(pts) == 0:
        return np.full(len(pts), np.inf), np.full(len(pts), -1, dtype=np.int64)
    dist, nearest = cKDTree(st).query(pts)
    return dist, nearest.astype(np.int64)


def snap_to_network(net: WalkNetwork, points_xy, *, max_m: float | None = None) -> Snap:
    """Each point's place on the walk network: the street a pedestrian steps onto from there.

    The nearest ground-level street of a large component, unless a bridge, tunnel,
    elevated road or fragment is more than ``net.snap_prefer_m`` nearer (see
    :meth:`WalkNetwork.preferred`); only streets within ``max_m`` count.

    Parameters
    ----------
    net : WalkNetwork
    points_xy : array-like of shape (n, 2)
    max_m : float, optional
        Points farther than this from every street are not snapped.

    Returns
    -------
    Snap
        ``edge`` (the edge the point attaches to), ``along_m`` (from its ``u`` end) and
        ``access_m`` (straight walk from the point onto the street). For a point not
        snapped (an empty network, or beyond ``max_m``): edge -1, along NaN, access inf.
    """
    pts = as_xy(points_xy, "points_xy")
    k = len(pts)
    edge = np.full(k, -1, dtype=np.int64)
    if net.is_empty or k == 0:
        return Snap(edge, np.full(k, np.nan), np.full(k, np.inf))
    geoms = shapely.points(pts)
    (pref, pref_tree), (other, other_tree) = net.snap_trees
    best = np.full(k, np.inf)
    if len(pref):
        i, e, d = _nearest(pref_tree, geoms, max_m)
        edge[i], best[i] = pref[e], d
    # a preferred street nearer than snap_prefer_m wins whatever else is nearer still
    ask = np.flatnonzero(best > net.snap_prefer_m)
    if len(other) and len(ask):
        i, e, d = _nearest(other_tree, geoms[ask], max_m)
        i = ask[i]
        wins = d + net.snap_prefer_m < best[i]
        edge[i[wins]], best[i[wins]] = other[e[wins]], d[wins]
    hit = edge >= 0
    along, access = np.full(k, np.nan), np.full(k, np.inf)
    seg = net.seg[edge[hit]]
    a, d = seg[:, :2], seg[:, 2:] - seg[:, :2]
    length = net.seg_length()[edge[hit]]
    along[hit] = np.clip(((pts[hit] - a) * d).sum(1) / length, 0.0, length)
    off = pts[hit] - (a + d * (along[hit] / length)[:, None])
    access[hit] = np.hypot(off[:, 0], off[:, 1])
    return Snap(edge, along, access)


def _nearest(tree: shapely.STRtree, geoms, max_m):
    """(point, tree item, distance) of each point's nearest item within ``max_m``."""
    if max_m is not None:
        max_m = max(float(max_m), 1e-9)  # GEOS wants a positive search distance
    (i, e), d = tree.query_nearest(geoms, max_distance=max_m, return_distance=True,
                                   all_matches=False)
    return i, e, d


def same_edge(home: Snap, station: Snap) -> tuple[np.ndarray, np.ndarray]:
    """The shortest walk from a station on a home's own edge straight along it (inf when no
    station shares the edge), and which station (-1)."""
    n = len(home)
    best, which = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    order = np.argsort(station.edge, kind="stable")
    edges = station.edge[order]
    lo = np.searchsorted(edges, home.edge, "left")
    hi = np.searchsorted(edges, home.edge, "right")
    count = hi - lo
    if not count.any():
        return best, which
    h = np.repeat(np.arange(n), count)
    s = order[np.arange(len(h)) - np.repeat(np.cumsum(count) - count - lo, count)]
    direct = np.abs(home.along_m[h] - station.along_m[s]) + station.access_m[s]
    pick = np.lexsort((direct, h))
    first = np.ones(len(pick), bool)
    first[1:] = h[pick][1:] != h[pick][:-1]
    pick = pick[first]
    best[h[pick]], which[h[pick]] = direct[pick], s[pick]
    return best, which


def walk_distances(net: WalkNetwork, homes_xy, stations_xy, limit_m: float, *,
                   max_access_m: float | None = None,
                   home_snap: Snap | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Walking distance from each home to its nearest station along the streets.

    A walk is: straight from the home onto its street (the one a pedestrian steps onto from
    the ground, see :func:`snap_to_network`), along the network, then straight from the
    street to the station. One multi-source Dijkstra over the network,
    with a virtual source per station linked to both ends of its edge, finds every node's
    nearest station; a home takes the better of its edge's two ends, or walks straight
    along the edge to a station on the same edge.

    Parameters
    ----------
    net : WalkNetwork
    homes_xy, stations_xy : array-like of shape (n, 2) and (m, 2)
        Coordinates in the network's CRS.
    limit_m : float
        Longest walk of interest; longer walks (and homes the stations cannot reach at all,
        across a river with no bridge) are NaN.
    max_access_m : float, optional
        Homes and stations farther than this from every street are not on the network.
    home_snap : Snap, optional
        The homes already snapped with ``snap_to_network(net, homes_xy, max_m=max_access_m)``.

    Returns
    -------
    walk_m : ndarray of shape (n,)
        Metres on foot to the nearest station, never below the straight-line distance to
        it; NaN beyond ``limit_m``, with no stations, or on an empty network.
    station : ndarray of int, shape (n,)
        Index of the nearest station by walk; -1 where ``walk_m`` is NaN.
    """
    homes = as_xy(homes_xy, "homes_xy")
    st = as_xy(stations_xy, "stations_xy")
    limit = positive(limit_m, "limit_m")
    max_access = np.inf if max_access_m is None else positive(max_access_m, "max_access_m",
                                                              allow_zero=True)
    n = len(homes)
    walk, station = np.full(n, np.nan), np.full(n, -1, dtype=np.int64)
    if n == 0 or len(st) == 0 or net.is_empty:
        return walk, station
    max_m = None if max_access_m is None else max_access
    home = snap_to_network(net, homes, max_m=max_m) if home_snap is None else home_snap
    snap = snap_to_network(net, st, max_m=max_m)
    live = np.flatnonzero(snap.access_m <= min(limit, max_access))
    if len(live) == 0:
        return walk, station
    snap = snap.take(live)
    ends, costs = snap.ends(net)
    graph = augment(net.csr, ends, costs + snap.access_m[:, None])
    dist, _, source = dijkstra(graph, indices=net.n_nodes + np.arange(len(live)),
                               min_only=True, limit=limit, return_predecessors=True)
    source = source - net.n_nodes

    hends, _ = home.ends(net)
    length = net.seg_length()[home.edge]
    d_u, d_v = dist[hends[:, 0]], dist[hends[:, 1]]
    direct, direct_station = same_edge(home, snap)
    on_net = through_network(d_u, d_v, home.along_m, length, direct)
    via = np.column_stack([d_u + home.along_m, d_v + (length - home.along_m), direct])
    pick = np.column_stack([source[hends[:, 0]], source[hends[:, 1]], direct_station])
    nearest = pick[np.arange(n), np.argmin(via, axis=1)]

    total = on_net + home.access_m
    ok = np.isfinite(total) & (home.access_m <= max_access)
    chosen = live[nearest[ok]]
    # a walk is a polyline from home to station, so only merged node positions could make
    # it shorter than the straight line; never report that
    straight = np.hypot(*(homes[ok] - st[chosen]).T)
    total[ok] = np.maximum(total[ok], straight)
    ok[ok] = total[ok] <= limit
    walk[ok] = total[ok]
    station[ok] = live[nearest[ok]]
    return walk, station
