"""Lower bounds on the fewest columns covering every row, to judge a cover no solver proved."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

#: Subgradient steps without a better bound before the step size halves.
LAGRANGE_PATIENCE = 50


def packing_bound(a: sp.csr_matrix) -> int:
    """A lower bound on any cover: rows that share no column each need their own station
    (picked greedily, fewest columns first)."""
    used = np.zeros(a.shape[1], bool)
    count = 0
    for i in np.argsort(np.diff(a.indptr), kind="stable"):
        cols = a.indices[a.indptr[i]:a.indptr[i + 1]]
        if len(cols) and not used[cols].any():
            used[cols] = True
            count += 1
    return count


def lagrange_bound(a: sp.csr_matrix, upper: float, seconds: float) -> float:
    """The Lagrangian lower bound of the unit-cost cover, raised by subgradient steps
    (Beasley 1990) for at most ``seconds``: for any row prices u >= 0,
    ``sum(u) + sum(min(0, 1 - column price))`` is at most the optimum. Close to the LP
    bound in a second on 10,000 x 5,000 models; ``upper`` (a known cover's size) scales
    the steps."""
    a = a.tocsr()
    at = a.T.tocsr()
    if a.nnz == 0:
        return 0.0
    inv_size = 1.0 / np.maximum(np.diff(at.indptr), 1)
    # start: each row priced at its smallest share of a column
    first = np.minimum(a.indptr[:-1], a.nnz - 1)
    u = np.minimum.reduceat(inv_size[a.indices], first) * (np.diff(a.indptr) > 0)
    best, step, stall = -np.inf, 2.0, 0
    end = time.perf_counter() + seconds
    while step > 1e-4 and time.perf_counter() < end:
        reduced = 1.0 - at @ u
        pick = reduced < 0
        value = u.sum() + reduced[pick].sum()
        if value > best + 1e-9:
            best, stall = value, 0
        else:
            stall += 1
            if stall >= LAGRANGE_PATIENCE:
                step, stall = step / 2, 0
        slack = 1.0 - a @ pick.astype(np.float64)
        norm = slack @ slack
        if norm == 0:
            break
        u = np.maximum(0.0, u + step * max(upper - value, 1e-6) / norm * slack)
    return float(best)
