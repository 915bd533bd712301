"""Exact repair: out-of-range parts re-solved with their neighbours (search, MILP) or proven stuck."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

#: Most nodes in one re-solved block, and in a block given to the MILP when the exact search
#: could not decide it (about (2 + 6) × nodes × parts variables): HiGHS can spend seconds at
#: the root of a block of 32 nodes and 5 parts, and no count of branch-and-bound nodes bounds
#: that, so the block size does. Blocks with building parts too: two of 36 nodes took 19 and
#: 23 s each and ended without an answer (a 60,000-household compound register with streets).
MAX_BLOCK_NODES = 45
MILP_BLOCK_NODES = 30
#: Times the block round an out-of-range part grows: its first ring of neighbouring parts,
#: then GROW_PARTS more at a time.
MAX_STEPS = 8
GROW_PARTS = 2
#: Connected sets holding one node enumerated at most, to prove none of them is in range.
MAX_SETS = 20_000
#: The same, when checking each node of a block before its MILP: a node of the block that
#: no connected set of the block brings into range makes the block infeasible for every
#: count of parts, and HiGHS can take seconds at its root node to find that out.
BLOCK_SETS = 2_000
#: Connected sets a search of one block may try (:func:`search_block`), and how many sets
#: holding one node it ranks before trying them: its budget, the same on any machine.
SEARCH_SETS = 40_000
SEARCH_CANDIDATES = 400


@dataclass
class Loose:
    """Nodes whose households may move between them: parts of one home (``home`` >= 0, -1
    for fixed nodes), each holding between ``wmin`` and ``wmax`` households. A cut by floor
    can fall anywhere; a compound's households are only spread over its buildings as an
    estimate, so the grids choose both within bounds."""

    home: np.ndarray
    wmin: np.ndarray
    wmax: np.ndarray

    def take(self, nodes: np.ndarray) -> "Loose":
        return Loose(self.home[nodes], self.wmin[nodes], self.wmax[nodes])


@dataclass(frozen=True)
class Walled:
    """A part out of range because its ``node`` is in no connected set within the bounds:
    its ``neighbours`` are too big to join (proven)."""

    node: int
    neighbours: tuple[int, ...]


@dataclass(frozen=True)
class Isolated:
    """A part out of range in a block of ``nodes`` with no neighbour outside it, whose
    ``total`` no set of parts within the bounds adds up to (proven)."""

    nodes: int
    total: int


@dataclass(frozen=True)
class Searched:
    """A part still out of range after the exact search of the ``parts`` around it (``nodes``
    nodes, ``total`` weight): ``proven`` when no regrouping exists, ``capped`` when the
    wall-clock cap cut the search short after ``seconds`` (then it may differ on another
    machine)."""

    parts: int
    nodes: int
    total: int
    proven: bool
    seconds: float
    capped: bool


#: Why a part is still out of range after :func:`repair_exact`.
RepairNote = Walled | Isolated | Searched


# blocks proven to have no partition (a fact of the block, not of the clock): the repair
# meets the same block again and again, round after round (a 300–400 plan of 200,000
# households solved the same few blocks' MILPs dozens of times, 6–13 s each)
_INFEASIBLE: dict = {}
_INFEASIBLE_MAX = 4096


def _block_key(adj, w, k, lo, hi, loose) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    csr = sparse.csr_matrix(adj)
    if not csr.has_sorted_indices:
        csr = csr.sorted_indices()      # a copy: the caller's matrix stays as it was
    for a in (csr.indptr, csr.indices, np.asarray(w)):
        h.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
        h.update(b"|")
    h.update(repr((int(k), int(lo), int(hi))).encode())
    if loose is not None:
        for a in (loose.home, loose.wmin, loose.wmax):
            h.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
            h.update(b"|")
    return h.digest()


def solve_block(adj: sparse.csr_matrix, w: np.ndarray, keep: np.ndarray, k: int, lo: int,
                hi: int, time_limit_s: float, loose: Loose | None = None,
                node_limit: int | None = None
                ) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    """Partition a small graph into ``k`` connected parts within [lo, hi] (a block proven
    infeasible once is not solved again in this process: see :func:`_solve_block`)."""
    key = _block_key(adj, w, k, lo, hi, loose)
    if key in _INFEASIBLE:
        return "infeasible", None, None
    out = _solve_block(adj, w, keep, k, lo, hi, time_limit_s, loose=loose,
                       node_limit=node_limit)
    if out[0] == "infeasible":
        if len(_INFEASIBLE) >= _INFEASIBLE_MAX:
            _INFEASIBLE.pop(next(iter(_INFEASIBLE)))
        _INFEASIBLE[key] = True
    return out


def _solve_block(adj: sparse.csr_matrix, w: np.ndarray, keep: np.ndarray, k: int, lo: int,
                 hi: int, time_limit_s: float, loose: Loose | None = None,
                 node_limit: int | None = None
                 ) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    """Partition a small graph into ``k`` connected parts within [lo, hi].

    A MILP (HiGHS): ``x[u, g]`` puts node u in part g; each part has one root ``r[u, g]`` that
    sends one unit of flow to every other node of its part along links inside it, so a part
    is connected exactly when its flow can be routed (single-commodity flow per part).
    Households kept in their current part (``keep``) are maximised, so a repair moves as
    little as it must.

    Parameters
    ----------
    adj : csr_matrix
        Symmetric adjacency of the block's nodes (local indices).
    w : ndarray of int
        Weight of each node.
    keep : ndarray of int
        Each node's current part (0..), or -1; parts are numbered so that part g's first
        node is at index >= g (this breaks the symmetry between parts).
    k : int
        Number of parts.
    lo, hi : int
        Bounds of a part's weight.
    time_limit_s : float
        Wall-clock cap (a safety net: ``node_limit`` is the budget that gives the same
        answer on any machine).
    loose : Loose, optional
        Nodes whose households may be redistributed among the parts of one home, each
        within its bounds (the home's total in the block stays).
    node_limit : int, optional
        Branch-and-bound nodes HiGHS may explore.

    Returns
    -------
    (status, labels, weights)
        ``'ok'`` with each node's part and weight, ``'infeasible'`` (proven: no such
        partition), or ``'unknown'`` (the node limit or the time cap came first).
    """
    n = len(w)
    free = np.full(n, -1) if loose is None else np.asarray(loose.home)
    fr = np.flatnonzero(free >= 0)
    nf = len(fr)
    coo = sparse.triu(adj, k=1).tocoo()
    tail = np.r_[coo.row, coo.col].astype(np.int64)
    head = np.r_[coo.col, coo.row].astype(np.int64)
    m = len(tail)
    nx = n * k
    nv = 2 * nx + m * k + nf * k
    g = np.arange(k)

    def xi(u, gg):
        return u * k + gg

    def ri(u, gg):
        return nx + u * k + gg

    def fi(a, gg):
        return 2 * nx + a * k + gg

    rows, cols, vals, lb, ub = [], [], [], [], []
    row = 0

    def add(r_idx, c_idx, v, lo_b, hi_b, n_rows):
        nonlocal row
        rows.append(np.asarray(r_idx, dtype=np.int64) + row)
        cols.append(np.asarray(c_idx, dtype=np.int64))
        vals.append(np.asarray(v, dtype=float))
        lb.append(np.broadcast_to(np.asarray(lo_b, dtype=float), (n_rows,)))
        ub.append(np.broadcast_to(np.asarray(hi_b, dtype=float), (n_rows,)))
        row += n_rows

    uu, gg = np.repeat(np.arange(n), k), np.tile(g, n)
    # each node in exactly one part
    add(uu, xi(uu, gg), np.ones(nx), 1, 1, n)
    # one root per part, inside it
    add(gg, ri(uu, gg), np.ones(nx), 1, 1, k)
    pos = np.arange(nx)
    add(np.r_[pos, pos], np.r_[ri(uu, gg), xi(uu, gg)], np.r_[np.ones(nx), -np.ones(nx)],
        -np.inf, 0, nx)
    # flow only on links with both ends in the part
    if m:
        aa, ag = np.repeat(np.arange(m), k), np.tile(g, m)
        pa = np.arange(m * k)
        for end in (tail, head):
            add(np.r_[pa, pa], np.r_[fi(aa, ag), xi(end[aa], ag)],
                np.r_[np.ones(m * k), -np.full(m * k, n - 1.0)], -np.inf, 0, m * k)
    # every non-root node of a part takes in one unit more than it sends on
    bal_r = [pos, pos]
    bal_c = [xi(uu, gg), ri(uu, gg)]
    bal_v = [-np.ones(nx), np.full(nx, float(n))]
    if m:
        bal_r += [head[aa] * k + ag, tail[aa] * k + ag]
        bal_c += [fi(aa, ag), fi(aa, ag)]
        bal_v += [np.ones(m * k), -np.ones(m * k)]
    add(np.concatenate(bal_r), np.concatenate(bal_c), np.concatenate(bal_v), 0, np.inf, nx)
    # the bounds; a free node's households are a variable v[j, g] (j-th free node), which
    # is 0 outside its part and at least 1 inside
    wf = np.asarray(w, dtype=float).copy()
    wf[fr] = 0
    fixed = wf[uu] != 0
    if nf:
        jj, jg = np.repeat(np.arange(nf), k), np.tile(g, nf)
        vi = 2 * nx + m * k + jj * k + jg
        add(np.r_[gg[fixed], jg], np.r_[xi(uu, gg)[fixed], vi],
            np.r_[wf[uu][fixed], np.ones(nf * k)], lo, hi, k)
        wmax = np.minimum(np.asarray(loose.wmax, dtype=float)[fr], hi)[jj]
        wmin = np.asarray(loose.wmin, dtype=float)[fr][jj]
        pj = np.arange(nf * k)
        add(np.r_[pj, pj], np.r_[vi, xi(fr[jj], jg)], np.r_[np.ones(nf * k), -wmax],
            -np.inf, 0, nf * k)
        add(np.r_[pj, pj], np.r_[vi, xi(fr[jj], jg)], np.r_[np.ones(nf * k), -wmin],
            0, np.inf, nf * k)
        # each home's parts in the block keep its households
        homes, hrow = np.unique(free[fr], return_inverse=True)
        htot = np.bincount(hrow, weights=np.asarray(w, dtype=float)[fr])
        add(hrow[jj], vi, np.ones(nf * k), htot, htot, len(homes))
    else:
        add(gg, xi(uu, gg), np.asarray(w, dtype=float)[uu], lo, hi, k)

    # symmetry: a part's root is its first node (no node of the part before the root), so
    # each partition has one numbering only: parts in the order of their first nodes
    before = np.arange(n, dtype=float)
    prefix_r, prefix_c, prefix_v = [], [], []
    for u in range(1, n):
        # sum_{v<u} x[v, g] + u * r[u, g] <= u
        vs = np.arange(u)
        for_g = np.repeat(g, u)
        prefix_r.append(np.repeat(u * k + g, u))
        prefix_c.append(xi(np.tile(vs, k), for_g))
        prefix_v.append(np.ones(u * k))
        prefix_r.append(u * k + g)
        prefix_c.append(ri(np.full(k, u), g))
        prefix_v.append(np.full(k, float(u)))
    if n > 1:
        add(np.concatenate(prefix_r), np.concatenate(prefix_c), np.concatenate(prefix_v),
            -np.inf, np.repeat(np.arange(n, dtype=float), k), nx)
    # roots in increasing order: index of root g < index of root g + 1
    if k > 1:
        gr = np.arange(k - 1)
        add(np.r_[np.repeat(gr, n), np.repeat(gr, n)],
            np.r_[ri(np.tile(np.arange(n), k - 1), np.repeat(gr, n)),
                  ri(np.tile(np.arange(n), k - 1), np.repeat(gr + 1, n))],
            np.r_[np.tile(before, k - 1), -np.tile(before, k - 1)], -np.inf, -1, k - 1)
    a_mat = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                              shape=(row, nv))
    upper = np.r_[np.ones(2 * nx), np.full(m * k, n - 1.0), np.full(nf * k, float(hi))]
    # symmetry: part g holds no node before index g
    early = gg > uu
    upper[xi(uu, gg)[early]] = 0
    upper[ri(uu, gg)[early]] = 0
    c = np.zeros(nv)
    mine = (keep >= 0) & (keep < k)
    c[xi(np.flatnonzero(mine), keep[mine])] = -np.asarray(w, dtype=float)[mine]
    integrality = np.r_[np.ones(2 * nx), np.zeros(m * k), np.ones(nf * k)]
    options = {"time_limit": max(time_limit_s, 0.05), "disp": False}
    if node_limit is not None:
        options["node_limit"] = int(node_limit)
    from scipy.optimize import Bounds, LinearConstraint, milp  # 0.1-0.2 s: only when used
    res = milp(c, constraints=LinearConstraint(a_mat, np.concatenate(lb), np.concatenate(ub)),
               integrality=integrality, bounds=Bounds(np.zeros(nv), upper), options=options)
    if res.x is not None and res.status in (0, 1):
        lab = np.argmax(res.x[:nx].reshape(n, k), axis=1)
        weight = np.asarray(w, dtype=np.int64).copy()
        if nf:
            v = np.round(res.x[2 * nx + m * k:]).reshape(nf, k)
            weight[fr] = v[np.arange(nf), lab[fr]].astype(np.int64)
        return "ok", lab, weight
    if res.status == 2:
        return "infeasible", None, None
    return "unknown", None, None


def search_block(adj: sparse.csr_matrix, w: np.ndarray, keep: np.ndarray, lo: int, hi: int,
                 max_sets: int = SEARCH_SETS) -> tuple[str, np.ndarray | None]:
    """Partition a small graph of fixed weights into connected parts within [lo, hi], by
    exact search.

    The node with the fewest free neighbours (then the heaviest) takes a part first: every
    connected set holding it within [lo, hi] is a candidate, those keeping the most of its
    current part (``keep``) first; a candidate stands only when every piece of what is left
    can still be divided into parts within range. Depth first, so a feasible block is
    usually solved at the first try; an infeasible one is proven when no candidate list was
    cut short. Much faster than the MILP on blocks of whole compounds, and bounded by a count
    of sets, not by the clock.

    Returns
    -------
    (status, labels)
        ``'ok'`` with each node's part (numbered by first node), ``'infeasible'`` (proven),
        or ``'unknown'`` (the budget of ``max_sets`` ran out, or a candidate list was cut).
    """
    n = len(w)
    wl = [int(x) for x in w]
    adj = adj.tocsr()
    nbr = [0] * n
    for u in range(n):
        for v in adj.indices[adj.indptr[u]:adj.indptr[u + 1]].tolist():
            if v != u:
                nbr[u] |= 1 << v
    keepl = [int(x) for x in keep]
    budget = [max_sets]
    cut = [False]

    def bits(m):
        while m:
            low = m & -m
            yield low.bit_length() - 1
            m ^= low

    # a set's weight by bytes of its mask, from tables of the 256 subsets of each 8 nodes:
    # the search weighs millions of sets, and a loop over their bits dominated its time
    tables = [[0] * 256 for _ in range((n + 7) // 8)]
    for k, tab in enumerate(tables):
        for b in range(1, 256):
            low = (b & -b).bit_length() - 1
            tab[b] = tab[b & (b - 1)] + (wl[8 * k + low] if 8 * k + low < n else 0)
    byte_tables = list(enumerate(tables))

    def weight(m):
        return sum(tab[(m >> (8 * k)) & 255] for k, tab in byte_tables)

    checked: dict = {}

    def pieces_ok(m):
        # the same rest of a block comes back many times in the search
        hit = checked.get(m)
        if hit is None:
            hit = checked[m] = _pieces_ok(m)
        return hit

    def _pieces_ok(m):
        while m:
            seed = m & -m
            seen, front = seed, seed
            while front:
                grow = 0
                for i in bits(front):
                    grow |= nbr[i]
                front = grow & m & ~seen
                seen |= front
            t = weight(seen)
            if -(-t // hi) > t // lo:
                return False
            m &= ~seen
        return True

    def candidates(u, free):
        out = []
        # reverse search: each connected set holding u, once (frontier minus excluded)
        stack = [(1 << u, wl[u], nbr[u] & free, 0)]
        while stack:
            members, wt, front, excl = stack.pop()
            if wt >= lo:
                out.append(members)
                if len(out) > SEARCH_CANDIDATES:
                    cut[0] = True
                    return out
            budget[0] -= 1
            if budget[0] < 0:
                return out
            front &= ~excl
            done = 0
            for v in bits(front):
                nw = wt + wl[v]
                if nw <= hi:
                    grown = members | (1 << v)
                    stack.append((grown, nw, (front | nbr[v]) & free & ~grown,
                                  excl | done))
                done |= 1 << v
        return out

    def solve(free):
        if not free:
            return []
        u = min(bits(free), key=lambda i: (bin(nbr[i] & free).count("1"), -wl[i], i))
        cand = candidates(u, free)
        home = keepl[u]
        at_home = sum(1 << i for i in range(n) if keepl[i] == home)
        cand.sort(key=lambda m: (-weight(m & at_home), m))
        for m in cand:
            if budget[0] < 0:
                return None
            rest = free & ~m
            if not pieces_ok(rest):
                continue
            got = solve(rest)
            if got is not None:
                return [m] + got
        return None

    full = (1 << n) - 1
    if not pieces_ok(full):
        return "infeasible", None
    parts = solve(full)
    if parts is None:
        return ("unknown" if budget[0] < 0 or cut[0] else "infeasible"), None
    lab = np.empty(n, dtype=np.int64)
    for g, m in enumerate(sorted(parts, key=lambda m: m & -m)):
        for i in bits(m):
            lab[i] = g
    return "ok", lab


def no_set_in_range(indptr: np.ndarray, indices: np.ndarray, w: np.ndarray, u: int, lo: int,
                    hi: int, max_sets: int = MAX_SETS, loose: Loose | None = None
                    ) -> bool | None:
    """Whether no connected set of nodes holding ``u`` weighs within [lo, hi].

    Every connected set holding u and weighing at most hi is enumerated (each once, grown
    from u by neighbours of higher rank in the search: a standard reverse search).

    Returns
    -------
    bool or None
        True: proven, no such set; False: one exists; None: more than ``max_sets`` sets, or
        a loose node (whose households can change) was reached.
    """
    free = None if loose is None else loose.home
    if free is not None and free[u] >= 0:
        return None
    if lo <= w[u] <= hi:
        return False
    if w[u] > hi:
        return True
    count = 0
    # (set, weight, candidate frontier, excluded nodes): frontier nodes may join, excluded
    # ones were decided against on this branch, so each set is produced once
    stack = [(frozenset([u]), int(w[u]), _nbrs(indptr, indices, u), frozenset([u]))]
    while stack:
        members, weight, frontier, excluded = stack.pop()
        frontier = [v for v in frontier if v not in excluded]
        banned = set(excluded)
        for v in frontier:
            if v in banned:
                continue
            if free is not None and free[v] >= 0:
                return None
            nw = weight + int(w[v])
            banned.add(v)
            if nw > hi:
                continue
            if nw >= lo:
                return False
            count += 1
            if count > max_sets:
                return None
            grown = members | {v}
            new_front = [x for x in frontier if x not in banned] + \
                [x for x in _nbrs(indptr, indices, v) if x not in banned and x not in grown]
            stack.append((grown, nw, list(dict.fromkeys(new_front)), frozenset(banned) | grown))
    return True


def _walled_inside(sub: sparse.csr_matrix, w: np.ndarray, lo: int, hi: int,
                   loose: Loose) -> bool:
    """Whether some node of a block belongs to no connected set of the block within
    [lo, hi] (so no partition of the block into parts within range exists); heaviest nodes
    first, as they are the ones walled in."""
    for u in np.argsort(-np.asarray(w), kind="stable").tolist():
        if no_set_in_range(sub.indptr, sub.indices, w, u, lo, hi, BLOCK_SETS, loose) is True:
            return True
    return False


def _nbrs(indptr, indices, u) -> list:
    return indices[indptr[u]:indptr[u + 1]].tolist()


def repair_exact(adj: sparse.csr_matrix, w: np.ndarray, parts: list, lo: int, hi: int,
                 time_s: float, loose: Loose | None = None, node_limit: int = 200
                 ) -> tuple[list, dict[int, RepairNote], np.ndarray]:
    """Re-solve each out-of-range part with rings of its neighbours until it is in range.

    Before searching, a part is checked for a proof that it cannot be in range: its
    connected component's total is not divisible into parts within [lo, hi], or one of its
    nodes belongs to no connected set within [lo, hi] (walled in by neighbours too big to
    join). Otherwise the part and its neighbouring parts are re-partitioned exactly
    (:func:`solve_block`), with a wider ring while no partition is found.

    The work is bounded by counts, not by the clock, so the same input gives the same
    parts on any machine: at most MAX_STEPS rings of at most MAX_BLOCK_NODES nodes, two
    counts of parts per ring, ``node_limit`` branch-and-bound nodes per MILP, and a block
    with a node that no connected set of the block brings into range is ruled out before
    any MILP. ``time_s`` is only a safety net on the wall clock: when it runs out, the
    parts not yet repaired stay as they are and their notes say so (``capped``).

    ``loose`` marks parts of one home whose households may move (see :class:`Loose`): they
    move between the grids that share the home, first over the whole district
    (:func:`rebalance_floors`), then inside each re-solved block.

    Returns
    -------
    (parts, notes, weights)
        The new parts, the nodes' weights (changed only for floor-cut parts), and for each
        part still out of range (by its position in the new parts) a :data:`RepairNote`:
        :class:`Walled`, :class:`Isolated` or :class:`Searched` (``proven``: no regrouping of
        those parts exists, every count of parts was ruled out; ``capped``: the wall-clock
        cap ``time_s`` cut the search short, so this part may differ on another machine).
    """
    n = len(w)
    w = np.asarray(w, dtype=np.int64).copy()
    if loose is None:
        loose = Loose(np.full(n, -1, dtype=np.int64), w.copy(), w.copy())
    label = np.full(n, -1, dtype=np.int64)
    for i, p in enumerate(parts):
        label[p] = i
    next_label = len(parts)
    w = rebalance_floors(label, w, loose, lo, hi)
    adj = adj.tocsr()
    indptr, indices = adj.indptr, adj.indices
    _, comp = csgraph.connected_components(adj, directed=False)
    comp_total = np.bincount(comp, weights=w).astype(np.int64)
    deadline = time.perf_counter() + time_s
    by_node = {}          # a note, keyed by a node of the part it explains

    def totals():
        return np.bincount(label, weights=w, minlength=next_label).astype(np.int64)

    tot = totals()
    bad = [int(i) for i in np.flatnonzero((tot < lo) | (tot > hi)) if (label == i).any()]
    for gi in bad:
        members = np.flatnonzero(label == gi)
        if not len(members):
            continue
        t = int(w[members].sum())
        if lo <= t <= hi:
            continue
        c = comp[members[0]]
        ct = int(comp_total[c])
        if not (np.ceil(ct / hi) <= np.floor(ct / lo)):
            by_node[int(members[0])] = Isolated(nodes=int((comp == c).sum()), total=ct)
            continue
        walled = None
        for u in members[np.argsort(w[members])].tolist():
            if no_set_in_range(indptr, indices, w, u, lo, hi, loose=loose) is True:
                walled = u
                break
        if walled is not None:
            nb = sorted(set(_nbrs(indptr, indices, walled)) - {walled})
            by_node[int(members[0])] = Walled(node=int(walled),
                                              neighbours=tuple(int(v) for v in nb))
            continue
        block = {gi}
        tried = None
        fixed = capped = False
        t0 = time.perf_counter()
        for step in range(MAX_STEPS):
            if time.perf_counter() >= deadline:
                capped = True
                break
            nodes_in = np.flatnonzero(np.isin(label, list(block)))
            labs = label[indices[np.concatenate(
                [np.arange(indptr[v], indptr[v + 1]) for v in nodes_in])]]
            labs = labs[~np.isin(labs, list(block))]
            if not len(labs):
                break
            vals, counts = np.unique(labs, return_counts=True)
            # the whole first ring, then a few parts at a time, nearest first (most links to
            # the block), up to the node budget: a MILP grows hard fast with its parts
            grown = set(block)
            size = len(nodes_in)
            for r in vals[np.argsort(-counts, kind="stable")].tolist():
                rn = int((label == r).sum())
                if size + rn > MAX_BLOCK_NODES and len(grown) > 1:
                    continue
                if step and len(grown) - len(block) >= GROW_PARTS:
                    break
                grown.add(r)
                size += rn
            if grown == block:
                break
            block = grown
            nodes = np.flatnonzero(np.isin(label, list(block)))
            total = int(w[nodes].sum())
            kmin, kmax = -(-total // hi), total // lo
            if kmin > kmax:
                continue
            # number the block's parts by their first node, so solve_block's symmetry cut
            # keeps the current partition feasible
            old = label[nodes]
            firsts = {}
            for i, lab in enumerate(old.tolist()):
                firsts.setdefault(lab, i)
            order = sorted(firsts, key=firsts.get)
            keep = np.array([order.index(lab) for lab in old.tolist()], dtype=np.int64)
            sub = adj[nodes][:, nodes].tocsr()
            ks = sorted(range(kmin, kmax + 1), key=lambda kk: (abs(kk - len(block)), kk))[:2]
            sub_loose = loose.take(nodes)
            if _walled_inside(sub, w[nodes], lo, hi, sub_loose):
                tried = (len(block), len(nodes), total, True)
                continue
            # the exact search first, fast and bounded by a count of sets; parts whose
            # households may move keep their current ones in it, so only its 'ok' counts
            # for them, and the MILP (which moves them) decides the rest
            fixed_only = bool((sub_loose.home < 0).all())
            status, lab = search_block(sub, w[nodes], keep, lo, hi)
            if fixed_only or status == "ok":
                tried = (len(block), len(nodes), total, status == "infeasible")
                if status == "ok":
                    kk = int(lab.max()) + 1
                    names = order[:kk] + [next_label + i for i in range(max(0, kk - len(order)))]
                    next_label += max(0, kk - len(order))
                    label[nodes] = np.asarray(names, dtype=np.int64)[lab]
                    fixed = True
                    break
                if status == "infeasible":
                    continue
            if len(nodes) > MILP_BLOCK_NODES:
                continue
            infeasible = 0
            for kk in ks:
                left = deadline - time.perf_counter()
                if left <= 0:
                    capped = True
                    break
                status, lab, new_w = solve_block(sub, w[nodes], keep, kk, lo, hi, left,
                                                 loose=sub_loose, node_limit=node_limit)
                capped |= status == "unknown" and time.perf_counter() >= deadline
                infeasible += status == "infeasible"
                tried = (len(block), len(nodes), total, infeasible == kmax - kmin + 1)
                if status == "ok":
                    names = order[:kk] + [next_label + i for i in range(max(0, kk - len(order)))]
                    next_label += max(0, kk - len(order))
                    label[nodes] = np.asarray(names, dtype=np.int64)[lab]
                    w[nodes] = new_w
                    fixed = True
                    break
            if fixed:
                break
            if (comp[nodes] == comp[members[0]]).sum() == (comp == comp[members[0]]).sum():
                break       # the whole component was searched
        if not fixed:
            p_count, n_count, total, proven = tried or (len(block), len(members), t, False)
            by_node[int(members[0])] = Searched(
                parts=p_count, nodes=n_count, total=total, proven=bool(proven) and not capped,
                seconds=round(time.perf_counter() - t0, 2), capped=capped)
    out = [np.flatnonzero(label == i) for i in range(next_label)]
    keep_idx = [i for i, p in enumerate(out) if len(p)]
    out = [out[i] for i in keep_idx]
    where = np.full(next_label, -1)
    where[keep_idx] = np.arange(len(keep_idx))
    notes = {}
    for u, note in by_node.items():
        pi = int(where[label[u]])
        if not lo <= int(w[out[pi]].sum()) <= hi:
            notes[pi] = note
    return out, notes, w


def rebalance_floors(unit_grid: np.ndarray, w: np.ndarray, loose: Loose, lo: int,
                     hi: int) -> np.ndarray:
    """Move households between the floor-cut parts of one home that lie in different grids,
    so grids come into [lo, hi]: a cut by floor can fall anywhere, so the grids choose it.

    A small LP (HiGHS; the matrix is a bipartite incidence matrix, so its optimum is whole
    numbers): per (home, grid) pair the households it holds, each home's pairs summing to
    the home, each grid's total within the bounds as far as possible, then as little moved
    as possible. Each part stays within its bounds.

    Parameters
    ----------
    unit_grid : ndarray of int
        Grid of each unit.
    w : ndarray of int
        Households of each unit.
    loose : Loose
        The units whose households may move, and their bounds.

    Returns
    -------
    ndarray of int
        The units' households after the move (``w`` itself when nothing needs moving).
    """
    floor_home = loose.home
    n_grid = int(unit_grid.max()) + 1
    tot = np.bincount(unit_grid, weights=w, minlength=n_grid)
    floor = np.flatnonzero(floor_home >= 0)
    if not len(floor):
        return w
    # homes whose parts lie in two grids or more
    pair_key = np.unique(np.column_stack([floor_home[floor], unit_grid[floor]]), axis=0)
    homes, per_home = np.unique(pair_key[:, 0], return_counts=True)
    spread = homes[per_home >= 2]
    if not len(spread):
        return w
    sel = floor[np.isin(floor_home[floor], spread)]
    touched = np.unique(unit_grid[sel])
    if ((tot[touched] >= lo) & (tot[touched] <= hi)).all():
        return w
    pairs, pair_of = np.unique(np.column_stack([floor_home[sel], unit_grid[sel]]), axis=0,
                               return_inverse=True)
    pair_of = pair_of.ravel()
    np_ = len(pairs)
    y0 = np.bincount(pair_of, weights=w[sel], minlength=np_)
    count = np.bincount(pair_of, minlength=np_)
    y_min = np.bincount(pair_of, weights=loose.wmin[sel], minlength=np_)
    y_max = np.bincount(pair_of, weights=loose.wmax[sel], minlength=np_)
    _, home_row = np.unique(pairs[:, 0], return_inverse=True)
    grid_pos = np.searchsorted(touched, pairs[:, 1])
    ng = len(touched)
    base = tot[touched] - np.bincount(grid_pos, weights=y0, minlength=ng)
    nh = int(home_row.max()) + 1
    # variables: y (np_), under/over slack per grid (2 ng), moved up/down per pair (2 np_)
    nv = np_ + 2 * ng + 2 * np_
    r_home = sparse.coo_matrix((np.ones(np_), (home_row.ravel(), np.arange(np_))), shape=(nh, nv))
    r_grid = sparse.coo_matrix((np.r_[np.ones(np_), np.ones(ng), -np.ones(ng)],
                                (np.r_[grid_pos, np.arange(ng), np.arange(ng)],
                                 np.r_[np.arange(np_), np_ + np.arange(ng),
                                       np_ + ng + np.arange(ng)])), shape=(ng, nv))
    r_move = sparse.coo_matrix((np.r_[np.ones(np_), -np.ones(np_), np.ones(np_)],
                                (np.r_[np.arange(np_), np.arange(np_), np.arange(np_)],
                                 np.r_[np.arange(np_), np_ + 2 * ng + np.arange(np_),
                                       np_ + 2 * ng + np_ + np.arange(np_)])), shape=(np_, nv))
    home_total = np.bincount(home_row.ravel(), weights=y0, minlength=nh)
    a = sparse.vstack([r_home, r_grid, r_move]).tocsr()
    lb = np.r_[home_total, lo - base, y0]
    ub = np.r_[home_total, hi - base, y0]
    c = np.r_[np.zeros(np_), np.full(2 * ng, 1000.0), np.ones(2 * np_)]
    lower = np.r_[y_min, np.zeros(2 * ng + 2 * np_)]
    upper = np.r_[y_max, np.full(2 * ng + 2 * np_, np.inf)]
    from scipy.optimize import LinearConstraint, milp
    res = milp(c, constraints=LinearConstraint(a, lb, ub),
               integrality=np.r_[np.ones(np_), np.zeros(2 * ng + 2 * np_)],
               bounds=(lower, upper), options={"time_limit": 5.0})
    if res.x is None:
        return w
    y = np.round(res.x[:np_]).astype(np.int64)
    new_tot = base + np.bincount(grid_pos, weights=y, minlength=ng)
    old_bad = ((tot[touched] < lo) | (tot[touched] > hi)).sum()
    if ((new_tot < lo) | (new_tot > hi)).sum() >= old_bad:
        return w
    out = np.asarray(w, dtype=np.int64).copy()
    # each pair's households spread evenly over its parts (the first ones take the remainder)
    order = np.argsort(pair_of, kind="stable")
    rank = np.arange(len(sel)) - np.repeat(np.cumsum(count) - count, count)
    k = np.empty(len(sel), dtype=np.int64)
    k[order] = rank
    c_u = count[pair_of]
    out[sel] = y[pair_of] // c_u + (k < y[pair_of] % c_u)
    return out
