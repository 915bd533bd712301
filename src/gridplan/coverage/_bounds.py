"""Lower bounds on the cheapest cover of every row, to judge a cover no solver proved."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def packing_bound(a: sp.csr_matrix, cost: np.ndarray | None = None) -> float:
    """A lower bound on any cover: rows that share no column each need their own column,
    at least the cheapest of theirs (rows picked greedily, fewest columns first)."""
    cost = np.ones(a.shape[1]) if cost is None else np.asarray(cost, float)
    used = np.zeros(a.shape[1], bool)
    total = 0.0
    for i in np.argsort(np.diff(a.indptr), kind="stable"):
        cols = a.indices[a.indptr[i]:a.indptr[i + 1]]
        if len(cols) and not used[cols].any():
            used[cols] = True
            total += float(cost[cols].min())
    return total
