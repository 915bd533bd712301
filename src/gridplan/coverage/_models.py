"""The covering MILPs as HiGHS gets them, for a whole model and for one window of it."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

#: HiGHS presolve. Off: the reductions in ``_reduce`` do its useful work first, and on big
#: covering models (20k+ rows) its presolve ran 20-40 s past the time limit.
PRESOLVE = False


def cover_model(a: sp.csr_matrix) -> tuple:
    """The fewest columns reaching every row: one 0/1 variable per column."""
    m = a.shape[1]
    return np.ones(m), np.ones(m), [LinearConstraint(a, lb=1, ub=np.inf)]


def max_model(a: sp.csr_matrix, w: np.ndarray, add: int, hard: np.ndarray) -> tuple:
    """At most ``add`` columns reaching the most row weight ``w`` and every ``hard`` row:
    0/1 variables for the columns, then one per row (reached or not)."""
    n, m = a.shape
    link = sp.hstack([-a, sp.identity(n, format="csr")]).tocsr()  # y_i <= sum of its x_j
    budget = np.concatenate([np.ones(m), np.zeros(n)])[None, :]
    cons = [LinearConstraint(link, lb=-np.inf, ub=0), LinearConstraint(budget, lb=0, ub=add)]
    if hard.any():
        must = sp.hstack([a[hard], sp.csr_matrix((int(hard.sum()), n))]).tocsr()
        cons.append(LinearConstraint(must, lb=1, ub=np.inf))
    return (np.concatenate([np.zeros(m), -w]), np.concatenate([np.ones(m), np.zeros(n)]),
            cons)


def run(model: tuple, seconds: float):
    """HiGHS on ``model`` (costs, integrality, constraints; every variable in [0, 1])."""
    c, integrality, cons = model
    return milp(c, integrality=integrality, bounds=Bounds(0, 1), constraints=cons,
                options={"time_limit": max(float(seconds), 0.01), "disp": False,
                         "presolve": PRESOLVE})
