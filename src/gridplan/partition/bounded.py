"""Split a weighted graph into connected parts whose weights lie within [lo, hi].

Recursive bisection. A region of total T can be cut into parts within [lo, hi] exactly when
ceil(T / hi) <= floor(T / lo); so a cut only has to leave both sides divisible, which leaves wide
windows. Each side is grown from one end of the region along a direction, adding at each step the
frontier unit furthest back along that direction: every prefix of that order is connected, and the
cut cost of every prefix (boundary metres, cheap along streets and rivers) comes from one
difference array. The cheapest prefix inside the window whose remainder is connected wins.
Parts left out of range (units too coarse for the window) are repaired by merging with a
neighbour and splitting the union again.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from .exact import Isolated, Loose, Walled, repair_exact

#: Directions tried for each cut, in degrees from the region's principal axis.
ANGLES_DEG = (0.0, 90.0, 45.0, 135.0, 22.5, 67.5, 112.5, 157.5)
_AXIS_RAD = np.radians(0.0 + np.asarray(ANGLES_DEG))
#: The directions of a region too small for a principal axis, or without one (read only)
_AXIS_DIRECTIONS = np.column_stack([np.cos(_AXIS_RAD), np.sin(_AXIS_RAD)])
_AXIS_DIRECTIONS.flags.writeable = False
#: How many of the cheapest candidate cuts are checked for a connected remainder.
MAX_CHECKS = 24
#: Repair rounds over out-of-range parts.
REPAIR_ROUNDS = 4
#: Groups of neighbouring parts tried per out-of-range part in one round.
REPAIR_TRIES = 60
#: Regions of at most this many nodes are cut by trying every subset (2^n) instead of sweeps.
EXHAUSTIVE_NODES = 14
#: First choice of cut: each side's mean part size at least this share of (hi - lo) inside the
#: bounds, so the next cut down still has room.
SAFE_MARGIN = 0.1
#: Regions meant for at most this many parts check each cut by chunking both sides along the
#: growth order (exact on paths, a good proxy elsewhere), not only by divisibility.
CHUNK_CHECK_PARTS = 8
CHUNK_CHECK_NODES = 60


def _bits_connected(mask: int, nbr: list) -> bool:
    """Whether the nodes whose bits are set in ``mask`` are connected (nbr[i]: neighbour bits)."""
    if mask == 0:
        return False
    seen = mask & -mask
    frontier = seen
    while frontier:
        grow = 0
        f = frontier
        while f:
            low = f & -f
            grow |= nbr[low.bit_length() - 1]
            f ^= low
        frontier = grow & mask & ~seen
        seen |= frontier
    return seen == mask


def _list_connected(nbrs: list, mask: np.ndarray) -> bool:
    """Whether the nodes in ``mask`` form one connected piece; ``nbrs`` lists each node's
    neighbours (a plain search: cheaper than building a sparse graph for every check)."""
    inside = mask.tolist()
    start = next((i for i, m in enumerate(inside) if m), None)
    if start is None:
        return False
    inside[start] = False
    stack, count = [start], 1
    while stack:
        for v in nbrs[stack.pop()]:
            if inside[v]:
                inside[v] = False
                stack.append(v)
                count += 1
    return count == int(mask.sum())


#: Regions up to this many nodes are checked for connectivity by a plain search; larger ones
#: through scipy (whose fixed cost per call is worth it there).
LIST_SEARCH_NODES = 1500


@dataclass
class _Region:
    """The subgraph a cut works on, in local indices: neighbour lists for plain searches, and
    the edges (each once, row-major with rows < cols, as ``triu(...).tocoo()`` gives them) for
    cut costs."""

    nbrs: list
    rows: np.ndarray
    cols: np.ndarray
    edge_a: np.ndarray
    edge_b: np.ndarray
    edge_cost: np.ndarray


def _connected(graph: _Region, mask: np.ndarray) -> bool:
    """Whether the nodes in ``mask`` are connected in the region ``graph``."""
    n = len(graph.nbrs)
    if n <= LIST_SEARCH_NODES:
        return _list_connected(graph.nbrs, mask)
    idx = np.flatnonzero(mask)
    if len(idx) <= 1:
        return len(idx) == 1
    # links leaving the mask are dropped, not zeroed: csgraph counts explicit zeros as edges
    keep = mask[graph.rows] & mask[graph.cols]
    m = sparse.csr_matrix((np.ones(int(keep.sum()), dtype=np.int8),
                           (graph.rows[keep], graph.cols[keep])), shape=(n, n))
    _, lab = csgraph.connected_components(m, directed=False)
    return len(np.unique(lab[idx])) == 1


#: Orders up to this many nodes are chunked with plain lists (see :func:`chunkable`).
CHUNK_LIST_NODES = 64


def chunkable(w: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """ok[s] is True when the first s weights can be cut into consecutive runs within
    [lo, hi] (ok[0] is True)."""
    n = len(w)
    okl, cuml = [True] + [False] * n, [0, 1] + [0] * n   # cuml[i]: how many ok among 0..i-1
    # runs ending at j start at i with pre[j] - hi <= pre[i] <= pre[j] - lo
    if n <= CHUNK_LIST_NODES:
        # plain lists and bisect for the short orders of most cuts (NumPy's fixed cost per call
        # is most of the time there); the same integers, so the same runs (both searches
        # need the prefix sums in order: weights are households, never below 0)
        pre = [0, *accumulate(w.tolist())]
        first = [bisect_left(pre, p - hi) for p in pre]
        last = [bisect_right(pre, p - lo) - 1 for p in pre]
    else:
        pre = np.concatenate([[0], np.cumsum(w)])
        first = np.searchsorted(pre, pre - hi, side="left").tolist()
        last = (np.searchsorted(pre, pre - lo, side="right") - 1).tolist()
    for j in range(1, n + 1):
        a, b = first[j], (last[j] if last[j] < j else j - 1)
        okl[j] = b >= a and cuml[b + 1] - cuml[a] > 0
        cuml[j + 1] = cuml[j] + okl[j]
    return np.array(okl, dtype=bool)


class _ChunkCheck:
    """Whether a prefix cut of a growth order leaves both sides cuttable into consecutive runs
    within [lo, hi] along the order (see :func:`chunkable`). A side whose total is itself
    within [lo, hi] is one run; the runs of an order are worked out only the first time a cut
    of it has a side of several parts, and then only as far as that cut (whether the first s
    weights chunk depends on them alone): all of them when a later cut reaches further."""

    def __init__(self, ow: np.ndarray, pw: np.ndarray, total: int, lo: int, hi: int):
        self.ow, self.pw, self.total, self.lo, self.hi = ow, pw, total, lo, hi
        self._ahead, self._behind = {}, {}

    def __call__(self, o: int, s: int) -> bool:
        """For order ``o`` cut after its position ``s``."""
        lo, hi = self.lo, self.hi
        a = self.pw[o, s]
        if not lo <= a <= hi and not self._runs(self._ahead, o, self.ow[o], s + 1):
            return False
        if not lo <= self.total - a <= hi and \
                not self._runs(self._behind, o, self.ow[o][::-1], len(self.ow[o]) - s - 1):
            return False
        return True

    def _runs(self, known: dict, o: int, w: np.ndarray, s: int) -> bool:
        """Whether the first ``s`` weights of ``w`` (order ``o``) chunk."""
        ok = known.get(o)
        if ok is None or len(ok) <= s:
            ok = known[o] = chunkable(w if ok is not None else w[:s], self.lo, self.hi)
        return bool(ok[s])


def project(xy: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Each point's position along each direction (rows), by one stacked product: NumPy
    runs the same matrix-vector product per direction as ``xy @ d`` would (equal to the
    bit: grids depend on these ranks, ties along a lattice included), without a Python
    call for each."""
    return np.matmul(xy, np.ascontiguousarray(directions)[:, :, None])[:, :, 0]


def divisible(total, lo: int, hi: int):
    """True where ``total`` can be cut into whole parts each within [lo, hi]."""
    total = np.asarray(total)
    return (np.ceil(total / hi) <= np.floor(total / lo)) & (total > 0)


@dataclass
class SplitResult:
    """Parts as arrays of node indices, and the parts that could not be brought into range."""

    parts: list
    unresolved: list = field(default_factory=list)   # (part index, reason)
    notes: dict = field(default_factory=dict)        # part index -> why it is out of range
    weight: np.ndarray | None = None                 # node weights after floor cuts moved


class BoundedSplitter:
    """Split the nodes of an adjacency graph into connected parts within [lo, hi].

    Parameters
    ----------
    adjacency : csr_matrix
        Symmetric; entry (i, j) is the cost of a boundary between i and j.
    weight : ndarray of int
        Households (or units) per node; each must be <= hi for the bounds to be reachable.
    xy : ndarray (n, 2)
        Node coordinates (metres).
    lo, hi : int
        Bounds of a part's weight.
    repair_time_s : float
        Wall-clock cap on re-solving parts still out of range exactly with their neighbours
        (:func:`gridplan.partition.exact.repair_exact`; a safety net); 0 skips it.
    repair_nodes : int
        Branch-and-bound nodes per exact re-solve (the repair's deterministic budget).
    loose : Loose, optional
        Nodes that are parts of one home whose households the exact repair may move between
        them, within bounds (``SplitResult.weight``).
    """

    def __init__(self, adjacency: sparse.csr_matrix, weight: np.ndarray, xy: np.ndarray,
                 lo: int, hi: int, repair_time_s: float = 0.0, loose: Loose | None = None,
                 repair_nodes: int = 200):
        self.repair_time_s = float(repair_time_s)
        self.repair_nodes = int(repair_nodes)
        self.loose = loose
        self.adj = adjacency.tocsr()
        self.w = np.asarray(weight, dtype=np.int64)
        self.xy = np.asarray(xy, dtype=float)
        self.lo, self.hi = int(lo), int(hi)
        self._indptr = self.adj.indptr.astype(np.int64)
        self._indices = self.adj.indices.astype(np.int64)
        self._data = self.adj.data
        self._local = np.full(self.adj.shape[0], -1, dtype=np.int64)
        self._sorted = bool(self.adj.has_sorted_indices)

    # -- public ---------------------------------------------------------------------------
    def split(self, nodes: np.ndarray | None = None) -> SplitResult:
        """Split ``nodes`` (all by default) into parts; repair what is out of range."""
        nodes = np.arange(len(self.w)) if nodes is None else np.asarray(nodes)
        parts = []
        for comp in self._components(nodes):
            parts.extend(self._split_region(comp))
        parts = self._repair(*self._repair_exact(parts))
        parts, notes = self._repair_exact(parts)
        return SplitResult(parts=parts, unresolved=self._explain(parts), notes=notes,
                           weight=self.w)

    def _repair_exact(self, parts: list) -> tuple[list, dict]:
        """The exact repair (which may move households between floor-cut parts: ``self.w``
        changes then)."""
        if self.repair_time_s <= 0 or all(self._in_range(p) for p in parts):
            return parts, {}
        parts, notes, self.w = repair_exact(self.adj, self.w, parts, self.lo, self.hi,
                                            self.repair_time_s, loose=self.loose,
                                            node_limit=self.repair_nodes)
        return parts, notes

    # -- recursion ------------------------------------------------------------------------
    def _components(self, nodes: np.ndarray) -> list:
        if len(nodes) <= 1:
            return [nodes]
        sub = self.adj[nodes][:, nodes]
        n, lab = csgraph.connected_components(sub, directed=False)
        if n == 1:
            return [nodes]
        return [nodes[lab == i] for i in range(n)]

    def _parts_count(self, total: int) -> int:
        lo, hi = self.lo, self.hi
        kmin, kmax = -(-total // hi), total // lo
        if kmin <= kmax:
            return int(min(max(round(total / ((lo + hi) / 2)), kmin), kmax))
        # total in a gap (e.g. 500 < T < 600): one part over hi or two under lo, whichever
        # breaks the bound by less
        if kmax == 0 and total <= hi:
            return 1
        over = (total - hi * kmax) / hi if kmax else np.inf
        under = (lo - total / kmin) / lo
        return kmax if over <= under else kmin

    def _split_region(self, nodes: np.ndarray) -> list:
        out, stack = [], [nodes]
        while stack:
            r = stack.pop()
            total = int(self.w[r].sum())
            k = self._parts_count(total)
            if k <= 1 or len(r) == 1:
                out.append(r)
                continue
            a = self._bisect(r, total, k)
            if a is None:
                out.append(r)
                continue
            stack.append(r[~a])
            stack.append(r[a])
        return out

    def _window_mask(self, a: np.ndarray, total: int, k: int, tier: str) -> np.ndarray:
        """Which weights ``a`` of side A are allowed, by tier: 'safe' (balanced halves with
        room to spare), 'normal' (balanced halves), 'wide' (any cut leaving both sides
        divisible)."""
        lo, hi = self.lo, self.hi
        if tier == "wide":
            return divisible(a, lo, hi) & divisible(total - a, lo, hi)
        m = SAFE_MARGIN * (hi - lo) if tier == "safe" else 0.0
        ok = None
        for k1 in sorted({k // 2, k - k // 2}):
            k2 = k - k1
            # a within [k1 (lo + m), k1 (hi - m)] and total - a within [k2 (lo + m), k2 (hi - m)]:
            # as one range of whole numbers (a is one), the same bounds to the last bit
            low = max(math.ceil(k1 * (lo + m)), total - math.floor(k2 * (hi - m)))
            high = min(math.floor(k1 * (hi - m)), total - math.ceil(k2 * (lo + m)))
            one = (a >= low) & (a <= high)
            ok = one if ok is None else ok | one
        return ok

    def _links(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every link leaving the nodes ``r``: which of them it leaves (0..len(r)-1) and its
        position in the CSR arrays."""
        start = self._indptr[r]
        deg = self._indptr[r + 1] - start
        rows = np.repeat(np.arange(len(r), dtype=np.int64), deg)
        pos = np.arange(len(rows), dtype=np.int64) + np.repeat(start - (np.cumsum(deg) - deg), deg)
        return rows, pos

    def _region(self, r: np.ndarray) -> _Region:
        """The subgraph induced by the nodes ``r`` in local indices 0..len(r)-1, each node's
        neighbours in ascending order (what ``adj[r][:, r]`` with sorted indices holds, without
        scipy's fixed cost per slice)."""
        n = len(r)
        rows, pos = self._links(r)
        self._local[r] = np.arange(n, dtype=np.int64)   # a scratch map, reset at once
        cols = self._local[self._indices[pos]]
        self._local[r] = -1
        keep = cols >= 0
        rows, cols, data = rows[keep], cols[keep], self._data[pos[keep]]
        if not (self._sorted and (r[1:] > r[:-1]).all()):
            # ascending nodes of a matrix with sorted indices (most cuts) are in order already
            order = np.argsort(rows * n + cols, kind="stable")
            rows, cols, data = rows[order], cols[order], data[order]
        ptr = np.searchsorted(rows, np.arange(n + 1)).tolist()
        ind = cols.tolist()
        nbrs = [ind[a:b] for a, b in zip(ptr, ptr[1:])]
        up = rows < cols
        return _Region(nbrs=nbrs, rows=rows, cols=cols, edge_a=rows[up], edge_b=cols[up],
                       edge_cost=data[up])

    def _bisect(self, r: np.ndarray, total: int, k: int):
        """A boolean mask of side A over ``r``, or None when no cut helps."""
        graph = self._region(r)
        w = self.w[r]
        xy = self.xy[r]
        orders, pos = self._grow(graph.nbrs, xy, self._directions(xy),
                                 (graph.edge_a, graph.edge_b))
        ow = w[orders]
        pw = np.cumsum(ow, axis=1)
        cuts = self._prefix_cuts(graph, pos)
        if k <= CHUNK_CHECK_PARTS or len(r) <= CHUNK_CHECK_NODES:
            chunks = _ChunkCheck(ow, pw, total, self.lo, self.hi)
            mask = self._best_prefix(graph, orders, pw, cuts, total, k, chunks)
            if mask is not None:
                return mask
        if len(r) <= EXHAUSTIVE_NODES:
            mask = self._bisect_exhaustive(graph, w, total, k)
            if mask is not None:
                return mask
        mask = self._best_prefix(graph, orders, pw, cuts, total, k, None)
        if mask is not None:
            return mask
        # no cut inside any window: take the cut that leaves both sides closest to divisible
        return self._closest_cut(graph, w, orders, total, k)

    def _best_prefix(self, graph, orders, pw, cuts, total, k, chunks):
        """The cheapest prefix cut inside the windows (tier by tier) whose remainder is
        connected; with ``chunks``, only cuts whose sides chunk along the order. Ties in cost go
        to the earlier direction, then the shorter prefix."""
        for tier in ("safe", "normal", "wide"):
            ok = self._window_mask(pw, total, k, tier)
            ok[:, -1] = False
            oi, s = np.nonzero(ok)
            by_cost = np.lexsort((s, oi, cuts[oi, s + 1]))
            if chunks is None:
                by_cost = by_cost[:MAX_CHECKS]
            checked = 0
            for o, p in zip(oi[by_cost].tolist(), s[by_cost].tolist()):
                if chunks is not None:
                    if not chunks(o, p):
                        continue
                    checked += 1
                    if checked > MAX_CHECKS:
                        break
                mask = np.zeros(orders.shape[1], dtype=bool)
                mask[orders[o, : p + 1]] = True
                if _connected(graph, ~mask):
                    return mask
        return None

    def _bisect_exhaustive(self, graph: _Region, w, total, k):
        """Try every split of a small region (node 0 always on side A)."""
        n = len(w)
        if n < 2:
            return None
        codes = np.arange(1 << (n - 1), dtype=np.int64) * 2 + 1   # subsets holding node 0
        bits = ((codes[:, None] >> np.arange(n)) & 1).astype(bool)
        bits = bits[~bits.all(1)]
        a = bits @ w
        ea, eb = graph.edge_a, graph.edge_b
        cut = (bits[:, ea] != bits[:, eb]) @ graph.edge_cost
        nbr = [0] * n
        for u, v in zip(ea.tolist(), eb.tolist()):
            nbr[u] |= 1 << v
            nbr[v] |= 1 << u
        full = (1 << n) - 1
        masks = (bits * (1 << np.arange(n))).sum(1).tolist()

        def both_connected(i):
            m = masks[i]
            return _bits_connected(m, nbr) and _bits_connected(full & ~m, nbr)

        target = total * (k // 2) / k
        for tier in ("safe", "normal", "wide"):
            ok = np.flatnonzero(self._window_mask(a, total, k, tier))
            for i in ok[np.lexsort((np.abs(a[ok] - target), cut[ok]))][: 4 * MAX_CHECKS]:
                if both_connected(i):
                    return bits[i]
        # nothing divisible: the connected split whose sides are nearest the bounds
        lo, hi = self.lo, self.hi
        viol = (np.maximum(lo - a, 0) + np.maximum(a - hi, 0) + np.maximum(lo - (total - a), 0)
                + np.maximum((total - a) - hi, 0))
        for i in np.lexsort((cut, viol))[: 4 * MAX_CHECKS]:
            if both_connected(i):
                return bits[i]
        return None

    def _closest_cut(self, graph, w, orders, total, k):
        best, best_mask = np.inf, None
        target = total * (k // 2) / k
        for order in orders:
            pw = np.cumsum(w[order])[:-1]
            if not len(pw):
                continue
            bad = (~divisible(pw, self.lo, self.hi)).astype(float) + \
                (~divisible(total - pw, self.lo, self.hi)).astype(float)
            score = bad * total + np.abs(pw - target)
            for s in np.argsort(score, kind="stable")[:MAX_CHECKS]:
                if score[s] >= best:
                    break
                mask = np.zeros(len(w), dtype=bool)
                mask[order[: s + 1]] = True
                if _connected(graph, ~mask):
                    best, best_mask = score[s], mask
                    break
        return best_mask

    # -- geometry of a cut ----------------------------------------------------------------
    def _directions(self, xy: np.ndarray) -> np.ndarray:
        """Unit vectors (cos, sin) of the directions tried for a cut: ANGLES_DEG from the
        region's principal axis."""
        n = len(xy)
        if n < 3:
            return _AXIS_DIRECTIONS
        c = xy - xy.sum(0) / n               # what xy.mean(0) computes, without its checks
        cov = c.T @ c
        if not np.isfinite(cov).all():
            return _AXIS_DIRECTIONS
        vals, vecs = np.linalg.eigh(cov)
        v = vecs[:, 1 if vals[1] > vals[0] else 0]     # np.argmax: the first of equal ones
        base = np.degrees(np.arctan2(v[1], v[0]))
        # the long axis first: cutting across it gives compact halves
        rad = np.radians(base + np.asarray(ANGLES_DEG))
        return np.column_stack([np.cos(rad), np.sin(rad)])

    @staticmethod
    def _grow(nbrs: list, xy: np.ndarray, directions: np.ndarray,
              edges: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
        """One growth order per direction (rows): nodes in the order they are taken when
        growing from the back end along the direction, always taking the frontier node
        furthest back (ties to the lower index); every prefix is connected. ``nbrs`` lists
        each node's neighbours (plain lists: this loop is the splitter's hottest, and its heap
        holds each node's rank along the direction, a plain int). With ``edges`` (each link
        once, as two arrays of ends), a direction in which every node but the first has a
        neighbour further back grows in plain rank order without the heap: each prefix of
        that order is connected, so the furthest-back frontier node is always the next by
        rank. Returns the orders and each node's position in each order (its rank, where the
        order is the rank order)."""
        n = len(xy)
        m = len(directions)
        proj = project(xy, directions)
        # rank order in every row; the rows the heap grows are written over below
        orders = np.argsort(proj, axis=1, kind="stable").astype(np.int64, copy=False)
        rank = np.argsort(orders, axis=1)
        plain = [False] * m
        if edges is not None and len(edges[0]):
            ea, eb = edges
            ahead = np.where(rank[:, ea] > rank[:, eb], ea, eb)   # the end further on
            has = np.zeros((m, n), dtype=bool)
            has[np.arange(m)[:, None], ahead] = True
            plain = (has.sum(1) == n - 1).tolist()
        pos = rank.copy()
        push, pop = heapq.heappush, heapq.heappop
        for o, flat in enumerate(plain):
            if flat:
                continue
            rk, br = rank[o].tolist(), orders[o].tolist()
            seen = [False] * n
            seen[br[0]] = True
            heap = [0]
            order = []
            while heap:
                u = br[pop(heap)]
                order.append(u)
                for v in nbrs[u]:
                    if not seen[v]:
                        seen[v] = True
                        push(heap, rk[v])
            if len(order) < n:  # not connected: the rest at the end (callers split components)
                order.extend(i for i in range(n) if not seen[i])
            orders[o] = order
            pos[o, orders[o]] = np.arange(n)
        return orders, pos

    @staticmethod
    def _prefix_cuts(graph: _Region, pos: np.ndarray) -> np.ndarray:
        """Cut cost of every prefix of each order (one per row, given as each node's position
        ``pos`` in it, as :meth:`_grow` returns them): cut[o, s] for the first s nodes,
        s = 0..n. Each edge adds its cost where its first end enters the prefix and takes it
        off where its second does (a difference array, summed once per row)."""
        m, n = pos.shape
        pa, pb = pos[:, graph.edge_a], pos[:, graph.edge_b]
        base = np.arange(1, m * (n + 2), n + 2, dtype=np.int64)[:, None]   # row o: o (n + 2) + 1
        p = np.minimum(pa, pb)
        p += base
        q = np.maximum(pa, pb)
        q += base
        p, q = p.ravel(), q.ravel()
        cost = np.repeat(graph.edge_cost[None], m, axis=0).ravel()   # np.tile, cheaper
        diff = (np.bincount(p, weights=cost, minlength=m * (n + 2))
                - np.bincount(q, weights=cost, minlength=m * (n + 2))).reshape(m, n + 2)
        return np.cumsum(diff, axis=1)[:, : n + 1]

    # -- repair ---------------------------------------------------------------------------
    def _in_range(self, part) -> bool:
        t = self.w[part].sum()
        return self.lo <= t <= self.hi

    def repair(self, parts: list) -> SplitResult:
        """Bring out-of-range parts of an existing partition into range, touching only them
        and the neighbours they must borrow from (the annual update)."""
        parts = self._repair(*self._repair_exact([np.asarray(p) for p in parts]))
        parts, notes = self._repair_exact(parts)
        return SplitResult(parts=parts, unresolved=self._explain(parts), notes=notes,
                           weight=self.w)

    def _repair(self, parts: list, notes: dict | None = None) -> list:
        """Merge each out-of-range part with neighbours and split the union again, keeping the
        change only when it brings more households into range. A part the exact repair
        proved can never be in range (``notes``: walled in, or a block no set of parts divides)
        is left alone; one whose ring of grids has no partition in range is not, as moving
        its shortfall to a neighbour may still bring more households into range."""
        # by identity (the dict holds the arrays, so no id is reused while it lives)
        stuck = {id(parts[i]): parts[i] for i, n in (notes or {}).items()
                 if isinstance(n, (Walled, Isolated))}
        for _ in range(REPAIR_ROUNDS):
            bad = [i for i, p in enumerate(parts)
                   if not self._in_range(p) and id(p) not in stuck]
            if not bad:
                break
            label = np.full(len(self.w), -1)
            for i, p in enumerate(parts):
                label[p] = i
            changed = False
            for i in bad:
                if parts[i] is None or self._in_range(parts[i]):
                    continue
                # the part alone first (it may just have grown past the bound), then with
                # neighbours
                tried = [[]] + self._nearby_groups(i, parts, label)
                for group in tried:
                    members = [i] + group
                    if any(parts[m] is None for m in members):
                        continue
                    union = np.concatenate([parts[m] for m in members])
                    if not divisible(self.w[union].sum(), self.lo, self.hi):
                        continue
                    new = self._split_region(union)
                    before = sum(self.w[parts[m]].sum() for m in members
                                 if self._in_range(parts[m]))
                    after = sum(self.w[p].sum() for p in new if self._in_range(p))
                    if after > before and all(self._connected_nodes(p) for p in new):
                        for m in members:
                            parts[m] = None
                        for p in new:
                            label[p] = len(parts)
                            parts.append(p)
                        changed = True
                        break
            parts = [p for p in parts if p is not None]
            if not changed:
                break
        return parts

    def _nearby_groups(self, i: int, parts: list, label: np.ndarray) -> list:
        """Sets of 1 to 4 parts that together with part i form a connected block."""
        nb = {}
        def around(j):
            if j not in nb:
                nb[j] = self._neighbours(parts[j], label)
            return nb[j]
        groups, seen = [], set()
        frontier = [()]
        for size in range(1, 5):
            nxt = []
            for g in frontier:
                for base in (i,) + g:
                    for j in around(base):
                        if j == i or j in g or parts[j] is None:
                            continue
                        key = tuple(sorted(g + (j,)))
                        if key in seen:
                            continue
                        seen.add(key)
                        nxt.append(key)
            groups.extend(list(k) for k in nxt)
            frontier = nxt[:12]
            if len(groups) >= REPAIR_TRIES:
                break
        return groups[:REPAIR_TRIES]

    def _neighbours(self, part: np.ndarray, label: np.ndarray) -> list:
        """Parts next to ``part``, the one sharing the most links first."""
        labs = label[self._indices[self._links(part)[1]]]
        me = label[part[0]]
        labs = labs[(labs != me) & (labs >= 0)]
        if not len(labs):
            return []
        vals, counts = np.unique(labs, return_counts=True)
        return [int(v) for v in vals[np.argsort(-counts, kind="stable")]]

    def _connected_nodes(self, part: np.ndarray) -> bool:
        if len(part) <= 1:
            return True
        return _connected(self._region(np.asarray(part)), np.ones(len(part), dtype=bool))

    def _explain(self, parts: list) -> list:
        out = []
        for i, p in enumerate(parts):
            t = int(self.w[p].sum())
            if self.lo <= t <= self.hi:
                continue
            out.append((i, t))
        return out
