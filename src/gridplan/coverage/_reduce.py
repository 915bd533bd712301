"""Shrinking a covering model: identical and dominated candidates and homes out, exactly."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

#: Most pairs of sets compared for domination in all (bounds its time on dense models; what
#: is left unchecked only stays in the model).
WORK = 20_000_000
#: Pairs of sets compared in one vectorised step (bounds the memory).
CHUNK = 2_000_000
#: Most set entries looked up in all, and in one step, for the pairs the signatures pass.
WORK_ENTRIES = 5_000_000
CHUNK_ENTRIES = 1_000_000
#: Largest model (rows x columns) whose entries are looked up in a dense table of booleans
#: (one byte each) rather than by binary search: a 1,866 x 1,834 model took 0.46 s in
#: searchsorted.
DENSE_CELLS = 32_000_000


def _first_of_each(a: sp.csr_matrix, order=None) -> tuple[np.ndarray, np.ndarray]:
    """For rows of a canonical CSR: one row of each distinct set (the first in ``order``),
    and each row's group."""
    seen, first, group = {}, [], np.empty(a.shape[0], dtype=np.int64)
    ind, ptr = a.indices, a.indptr
    for i in (range(a.shape[0]) if order is None else order):
        key = ind[ptr[i]:ptr[i + 1]].tobytes()
        g = seen.get(key)
        if g is None:
            g = seen[key] = len(first)
            first.append(i)
        group[i] = g
    return np.asarray(first, dtype=np.int64), group


def _ragged(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(s, s + c)`` for each start s and count c."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return np.arange(total, dtype=np.int64) + shift


def _nested(a: sp.csr_matrix, cost: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows (small, big) whose sets nest strictly, small inside big (and with
    ``cost``, big no dearer). Rows must be distinct sets in canonical
    CSR. Exact: every superset of a set holds the set's rarest element, so only the rows
    holding it are compared."""
    n, k = a.shape
    size = np.diff(a.indptr).astype(np.int64)
    live = np.flatnonzero(size > 0)
    if len(live) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    at = a.T.tocsr()
    freq = np.diff(at.indptr).astype(np.int64)
    row_of = np.repeat(np.arange(n), size)
    by_rarity = np.lexsort((freq[a.indices], row_of))
    rare = a.indices[by_rarity[a.indptr[live]]]
    keys = row_of * k + a.indices  # sorted: canonical CSR
    dense = None
    if n * k <= DENSE_CELLS:
        dense = np.zeros((n, k), bool)
        dense[row_of, a.indices] = True
    # a 64-bit signature per set: s inside b needs sig(s) & ~sig(b) == 0, a cheap first test
    bit = np.left_shift(np.uint64(1), (a.indices % 64).astype(np.uint64))
    sig = np.zeros(n, np.uint64)
    sig[live] = np.bitwise_or.reduceat(bit, a.indptr[live])
    work = freq[rare]  # pairs compared for each small row
    small, big, done, looked = [], [], 0, 0
    start = 0
    while start < len(live) and done < WORK and looked < WORK_ENTRIES:
        stop = start + max(1, int(np.searchsorted(np.cumsum(work[start:]), CHUNK)))
        s_rows, s_rare = live[start:stop], rare[start:stop]
        done += int(work[start:stop].sum())
        start = stop
        cnt = freq[s_rare]
        s = np.repeat(s_rows, cnt)
        b = at.indices[_ragged(at.indptr[s_rare], cnt)]
        ok = (size[b] > size[s]) & ((sig[s] & ~sig[b]) == 0)
        if cost is not None:
            ok &= cost[b] <= cost[s]
        s, b = s[ok], b[ok]
        # every element of s looked up among b's, in batches of bounded memory, until the
        # entries compared reach the cap (on dense models the signatures filter little)
        ends = np.cumsum(size[s])
        fro = 0
        while fro < len(s) and looked < WORK_ENTRIES:
            to = max(fro + 1, int(np.searchsorted(ends, ends[fro] - size[s[fro]]
                                                  + CHUNK_ENTRIES)))
            ss, bb = s[fro:to], b[fro:to]
            fro = to
            looked += int(size[ss].sum())
            elem = a.indices[_ragged(a.indptr[ss], size[ss])]
            in_b = np.repeat(bb, size[ss])
            if dense is not None:
                found = dense[in_b, elem]
            else:
                want = in_b * k + elem
                where = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
                found = keys[where] == want
            missing = np.bincount(np.repeat(np.arange(len(ss)), size[ss]),
                                  weights=~found, minlength=len(ss))
            nest = missing == 0
            small.append(ss[nest])
            big.append(bb[nest])
    if not small:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(small), np.concatenate(big)


def reduce_columns(a: sp.csc_matrix, cost: np.ndarray | None = None, *,
                   nested: bool = True) -> tuple[sp.csc_matrix, np.ndarray]:
    """Drop empty columns, duplicate ones (the cheapest of each kept), and with ``nested``
    dominated ones (a column whose rows are a strict subset of a no dearer column's is never
    needed). Returns the matrix and the kept column indices."""
    t = a.T.tocsr()
    t.sum_duplicates()
    t.sort_indices()
    keep = np.flatnonzero(np.diff(t.indptr) > 0)
    t = t[keep]
    c = None if cost is None else np.asarray(cost, float)[keep]
    first, _ = _first_of_each(t, None if c is None else np.argsort(c, kind="stable"))
    first = np.sort(first)
    keep, t = keep[first], t[first]
    if not nested:
        return t.T.tocsc(), keep
    small, _ = _nested(t, None if cost is None else np.asarray(cost, float)[keep])
    inside = np.zeros(len(keep), bool)
    inside[small] = True
    keep, t = keep[~inside], t[~inside]
    return t.T.tocsc(), keep


def reduce_rows(a: sp.csr_matrix, w: np.ndarray, *, drop_dominated: bool,
                hard: np.ndarray | None = None):
    """Merge identical rows (weights add up; a merged row is hard when any of its rows is);
    for set covering also drop a row whose set strictly contains another's (covering the
    smaller covers it). Returns matrix, weights and the hard flags."""
    a = a.tocsr()
    a.sum_duplicates()
    a.sort_indices()
    hard = np.zeros(a.shape[0], bool) if hard is None else np.asarray(hard, bool)
    first, group = _first_of_each(a)
    w = np.bincount(group, weights=w, minlength=len(first))
    hard = np.bincount(group, weights=hard, minlength=len(first)) > 0
    a = a[first]
    if drop_dominated:
        drop = dominated_rows(a)
        a, w, hard = a[~drop], w[~drop], hard[~drop]
    return a, w, hard


def dominated_rows(a: sp.csr_matrix) -> np.ndarray:
    """Rows (distinct sets, canonical CSR) whose set strictly contains another row's."""
    _, big = _nested(a)
    drop = np.zeros(a.shape[0], bool)
    drop[big] = True
    return drop
