"""Shortest walks on the network from points that sit part-way along an edge."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .network import MERGE_M, WalkNetwork

#: Sources per bounded Dijkstra call: bounds the dense (sources x nodes) result.
BATCH = 64


@dataclass(frozen=True)
class Snap:
    """Where points meet the walk network.

    Attributes
    ----------
    edge : ndarray of int
        Index of the edge the point attaches to (row of ``WalkNetwork.edges``); -1 when it
        is not on the network.
    along_m : ndarray
        Distance along that edge from its ``u`` end to the snap point, in metres.
    access_m : ndarray
        Straight distance from the point to the snap point, in metres (inf when not on
        the network).
    """

    edge: np.ndarray
    along_m: np.ndarray
    access_m: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    def take(self, idx) -> "Snap":
        return Snap(self.edge[idx], self.along_m[idx], self.access_m[idx])

    def ends(self, net: WalkNetwork) -> tuple[np.ndarray, np.ndarray]:
        """The two end nodes of each snapped edge (k, 2; -1 for a point not on the network)
        and the walk to each from the snap point (k, 2)."""
        e = net.edges
        nodes = np.column_stack([e["u"].to_numpy()[self.edge], e["v"].to_numpy()[self.edge]])
        nodes[self.edge < 0] = -1
        length = net.seg_length()[self.edge]
        return nodes, np.column_stack([self.along_m, length - self.along_m])


def augment(csr: sp.csr_matrix, nodes: np.ndarray, costs: np.ndarray) -> sp.csr_matrix:
    """The graph plus one virtual source row per point, with arcs to ``nodes`` (k, 2) of
    weight ``costs`` (k, 2); a node < 0 gets no arc. Nothing leads back into the sources."""
    n, k = csr.shape[0], len(nodes)
    has = nodes >= 0
    counts = has.sum(1)
    indptr = np.concatenate([csr.indptr, csr.indptr[-1] + np.cumsum(counts)])
    indices = np.concatenate([csr.indices, nodes[has]])
    data = np.concatenate([csr.data, costs[has]])
    return sp.csr_matrix((data, indices, indptr), shape=(n + k, n + k))


def through_network(d_u, d_v, snap_along, snap_length, direct):
    """Network part of a walk to a snapped point: via either end of its edge, or directly
    along the edge when the source shares it (``direct``, inf otherwise)."""
    via = np.minimum(d_u + snap_along, d_v + (snap_length - snap_along))
    return np.minimum(via, direct)


def bounded(net: WalkNetwork, xy: np.ndarray, snap: Snap, limit_m: float, tile_m=None):
    """Bounded Dijkstra from each point, tile by tile on the part of the network in reach.

    Yields
    ------
    src : ndarray
        Indices (into ``xy``) of the sources of this batch.
    sub : ndarray
        Global ids of the nodes in reach of the tile (sorted).
    dist : ndarray of shape (len(src), len(sub) + 1)
        Walk from each source to each node of ``sub`` (inf beyond ``limit_m``); the last
        column is inf, for lookups of nodes outside ``sub`` (index -1).
    """
    if len(xy) == 0 or net.is_empty:
        return
    tile = tile_m or max(2.0 * limit_m, 200.0)
    # A walk of length <= limit never leaves the disc of radius limit around its source
    # (plus what merging near ends can move), so the tile's square widened by that is exact.
    reach = tile / 2 + limit_m + 10 * MERGE_M
    keys = np.floor(xy / tile).astype(np.int64)
    order = np.lexsort((keys[:, 1], keys[:, 0]))
    bounds = np.flatnonzero(np.any(np.diff(keys[order], axis=0) != 0, axis=1)) + 1
    pos = np.full(net.n_nodes, -1, dtype=np.int64)
    ends, costs = snap.ends(net)
    costs = costs + snap.access_m[:, None]
    for group in np.split(order, bounds):
        centre = (keys[group[0]] + 0.5) * tile
        sub = np.sort(np.asarray(net.node_tree.query_ball_point(centre, reach, p=np.inf),
                                 dtype=np.int64))
        pos[sub] = np.arange(len(sub))
        graph = net.csr[sub][:, sub]
        for start in range(0, len(group), BATCH):
            src = group[start:start + BATCH]
            at = ends[src]
            aug = augment(graph, np.where(at >= 0, pos[at], -1), costs[src])
            dist = dijkstra(aug, indices=len(sub) + np.arange(len(src)), limit=limit_m)
            dist = dist[:, :len(sub) + 1]
            dist[:, -1] = np.inf
            yield src, sub, dist
        pos[sub] = -1


def lookup(sub: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Position of each global node id in the sorted ``sub``, or -1 when it is not there."""
    if len(sub) == 0:
        return np.full(np.shape(nodes), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(sub, nodes), len(sub) - 1)
    return np.where(sub[at] == nodes, at, -1)
