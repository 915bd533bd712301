"""Shrinking a covering model: identical and dominated candidates and homes out, exactly."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

#: Neighbours (by position) checked for domination; sets that nest are almost always close.
NEIGHBOURS = 8
#: Most set entries compared in one domination pass (bounds its time on dense models).
WORK = 30_000_000


def _first_of_each(a: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """For rows of a canonical CSR: the first row of each distinct set, and each row's group."""
    seen, first, group = {}, [], np.empty(a.shape[0], dtype=np.int64)
    ind, ptr = a.indices, a.indptr
    for i in range(a.shape[0]):
        key = ind[ptr[i]:ptr[i + 1]].tobytes()
        g = seen.get(key)
        if g is None:
            g = seen[key] = len(first)
            first.append(i)
        group[i] = g
    return np.asarray(first, dtype=np.int64), group


def _nested(a: sp.csr_matrix, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of nearby rows (small, big) whose sets nest strictly: small inside big.
    Rows must be distinct sets in canonical CSR."""
    n = a.shape[0]
    k = min(NEIGHBOURS, n - 1, WORK // max(2 * a.nnz, 1)) + 1
    if k < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    _, nb = cKDTree(xy).query(xy, k=k)
    small = np.repeat(np.arange(n), k - 1)
    big = nb[:, 1:].ravel()
    ok = big < n  # cKDTree pads with n when there are fewer points
    small, big = small[ok], big[ok]
    size = np.diff(a.indptr)
    both = a[small].multiply(a[big]).tocsr()
    both.eliminate_zeros()
    both = np.diff(both.indptr)
    nest = (both == size[small]) & (size[big] > size[small])
    return small[nest], big[nest]


def reduce_columns(a: sp.csc_matrix, xy: np.ndarray, *,
                   nested: bool = True) -> tuple[sp.csc_matrix, np.ndarray]:
    """Drop empty and duplicate columns, and with ``nested`` dominated ones (a column whose
    rows are a strict subset of a nearby column's is never needed). Returns the matrix and
    the kept column indices."""
    t = a.T.tocsr()
    t.sum_duplicates()
    t.sort_indices()
    keep = np.flatnonzero(np.diff(t.indptr) > 0)
    t = t[keep]
    first, _ = _first_of_each(t)
    keep, t = keep[first], t[first]
    if not nested:
        return t.T.tocsc(), keep
    small, _ = _nested(t, xy[keep])
    inside = np.zeros(len(keep), bool)
    inside[small] = True
    keep, t = keep[~inside], t[~inside]
    return t.T.tocsc(), keep


def reduce_rows(a: sp.csr_matrix, w: np.ndarray, xy: np.ndarray, *, drop_dominated: bool,
                hard: np.ndarray | None = None):
    """Merge identical rows (weights add up; a merged row is hard when any of its rows is);
    for set covering also drop a row whose set strictly contains another's (covering the
    smaller covers it). Returns matrix, weights, a position per row and the hard flags."""
    a = a.tocsr()
    a.sum_duplicates()
    a.sort_indices()
    hard = np.zeros(a.shape[0], bool) if hard is None else np.asarray(hard, bool)
    first, group = _first_of_each(a)
    w = np.bincount(group, weights=w, minlength=len(first))
    hard = np.bincount(group, weights=hard, minlength=len(first)) > 0
    a, xy = a[first], xy[first]
    if drop_dominated:
        _, big = _nested(a, xy)
        drop = np.zeros(a.shape[0], bool)
        drop[big] = True
        a, w, xy, hard = a[~drop], w[~drop], xy[~drop], hard[~drop]
    return a, w, xy, hard
