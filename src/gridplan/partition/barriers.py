"""Grids kept from crossing arterials and water, or joining homes across shops, unless the homes
on one side cannot make grids on their own."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from .bounded import BoundedSplitter, SplitResult, divisible
from .cells import CLASSES, CellGraph

#: Lines a grid does not cross unless the homes on one side cannot make grids on their own.
KEEP_APART = ("arterial", "water")
#: Rounds of joining groups that failed to make grids in range with their neighbours.
JOIN_ROUNDS = 8


def links_across(graph: CellGraph, unit: np.ndarray, n_units: int, adj: sparse.csr_matrix,
                 classes=KEEP_APART) -> sparse.csr_matrix:
    """The entries of ``adj`` between units whose cells meet only across one of ``classes``
    (every link between their generators crosses such a line)."""
    ua, ub = unit[graph.a], unit[graph.b]
    off = ua != ub
    hard = np.isin(np.array(CLASSES)[graph.barrier[off]], classes)
    pair = np.minimum(ua, ub)[off] * np.int64(n_units) + np.maximum(ua, ub)[off]
    soft = np.unique(pair[~hard])
    only = np.setdiff1d(np.unique(pair[hard]), soft)
    a, b = only // n_units, only % n_units
    mask = sparse.csr_matrix((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=adj.shape)
    out = adj.multiply(mask).tocsr()
    out.eliminate_zeros()
    return out


def join_where_needed(adj: sparse.csr_matrix, extra: sparse.csr_matrix, weight: np.ndarray,
                      lo: int, hi: int) -> sparse.csr_matrix:
    """Add to ``adj`` the links of ``extra`` that leave a group of connected units, for every
    group whose households no set of parts within [lo, hi] adds up to; again until none.

    So a group walled in by arterials, water or shops joins its neighbours across them only
    when it cannot make grids alone. Every such link is opened at once: opening one a round
    left fewer grids in pieces on synth, but starved walled-in homes on Helsinki, whose grid
    then crossed a river instead.
    """
    ex = extra.tocoo()
    ra, rb, val = ex.row, ex.col, ex.data
    while len(ra):
        n, label = csgraph.connected_components(adj, directed=False)
        total = np.bincount(label, weights=weight, minlength=n)
        bad = ~divisible(total, lo, hi)
        # both directions of a link (``extra`` is symmetric)
        use = (bad[label[ra]] | bad[label[rb]]) & (label[ra] != label[rb])
        if not use.any():
            break
        adj = (adj + sparse.csr_matrix((val[use], (ra[use], rb[use])), shape=adj.shape)).tocsr()
        adj.sort_indices()
        ra, rb, val = ra[~use], rb[~use], val[~use]
    return adj


def split_apart(adj: sparse.csr_matrix, pools: list, weight: np.ndarray, xy: np.ndarray,
                lo: int, hi: int, few: tuple = (), **splitter
                ) -> tuple[SplitResult, sparse.csr_matrix]:
    """Split the units into connected grids within [lo, hi] on ``adj``; a grid that still ends
    out of range gets the links of the first of ``pools`` that has any from its units, and
    is repaired with the neighbours they reach (a few rounds). From the pools whose positions
    ``few`` lists (links through shops' ground, which leave a grid in pieces), each such grid
    gets one link a round: to the neighbouring grid with the most room; once a round of them
    brings no grid into range, all of that pool's links as before.

    ``splitter`` goes to :class:`BoundedSplitter` (``repair_time_s``, ``repair_nodes``,
    ``loose``).

    Returns
    -------
    result : SplitResult
        The units of each grid, notes on those left out of range, and the units' households
        after loose parts traded them.
    adj : csr_matrix
        The adjacency the grids were cut on (with the links that were added).
    """
    w = np.asarray(weight, dtype=np.int64)
    result = BoundedSplitter(adj, w, xy, lo, hi, **splitter).split()
    pools = [p.tocoo() for p in pools]
    for _ in range(JOIN_ROUNDS):
        if result.weight is not None:
            w = np.asarray(result.weight, dtype=np.int64)
        parts = result.parts
        sums = np.array([w[p].sum() for p in parts])
        out = np.flatnonzero((sums < lo) | (sums > hi))
        if not len(out):
            break
        mine = np.zeros(len(w), dtype=bool)
        mine[np.concatenate([parts[i] for i in out])] = True
        before = adj
        for k, pool in enumerate(pools):
            if not pool.nnz:
                continue
            new = (mine[pool.row] | mine[pool.col]) & \
                (np.asarray(adj[pool.row, pool.col]).ravel() == 0)
            if k in few and new.any():
                new = _one_link_per_grid(new, pool.row, pool.col, parts, sums, out, lo)
            if new.any():
                adj = (adj + sparse.csr_matrix((pool.data[new], (pool.row[new], pool.col[new])),
                                               shape=adj.shape)).tocsr()
                adj.sort_indices()
                pools[k] = sparse.coo_matrix((pool.data[~new], (pool.row[~new], pool.col[~new])),
                                             shape=pool.shape)
                break
        else:
            break
        repaired = BoundedSplitter(adj, w, xy, lo, hi, **splitter).repair(parts)
        # links through shops' ground leave a grid in pieces: a repair that brings no more
        # grids into range is not worth them (the next round tries the next pool)
        if _out_of_range(repaired, w, lo, hi) < len(out):
            result = repaired
        else:
            adj = before
            # one link a grid was not enough: the pool's other links, all of them, next round
            few = tuple(f for f in few if f != k)
    return result, adj


def _one_link_per_grid(new, ra, rb, parts, sums, out, lo) -> np.ndarray:
    """Of the links ``new`` marks, one per grid ``out`` (both directions): to the neighbouring
    grid with the most households when it has too few, the fewest when too many."""
    # sized by every unit: a unit with no link in the pool still belongs to a grid
    n = max(int(max(ra.max(), rb.max())), max((int(p.max()) for p in parts if len(p)),
                                              default=-1)) + 1
    grid = np.empty(n, dtype=np.int64)
    for i, p in enumerate(parts):
        grid[p] = i
    is_out = np.zeros(len(parts), dtype=bool)
    is_out[out] = True
    cand = np.flatnonzero(new)
    ga, gb = grid[ra[cand]], grid[rb[cand]]
    mine, other = np.where(is_out[ga], ga, gb), np.where(is_out[ga], gb, ga)
    room = np.where(sums[mine] < lo, sums[other], -sums[other])
    order = np.lexsort((cand, -room, mine))
    pick = cand[order[np.r_[0, np.flatnonzero(np.diff(mine[order])) + 1]]]
    key = np.minimum(ra, rb) * np.int64(len(grid)) + np.maximum(ra, rb)
    return np.isin(key, key[pick]) & new


def _out_of_range(result: SplitResult, w: np.ndarray, lo: int, hi: int) -> int:
    if result.weight is not None:
        w = np.asarray(result.weight, dtype=np.int64)
    sums = np.array([w[p].sum() for p in result.parts])
    return int(((sums < lo) | (sums > hi)).sum())


def links_within(pools: list, label: np.ndarray) -> sparse.csr_matrix:
    """The links of ``pools`` between units of the same ``label`` (last year's grid: a grid
    that was joined across a barrier stays joined)."""
    out = None
    for pool in pools:
        c = pool.tocoo()
        same = label[c.row] == label[c.col]
        m = sparse.csr_matrix((c.data[same], (c.row[same], c.col[same])), shape=pool.shape)
        out = m if out is None else out + m
    return out
