"""The covering MILPs as HiGHS gets them, for a whole model and for one window of it."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # SciPy loads only where used: the HiGHS worker (_aside) has no need
    import scipy.sparse as sp

#: HiGHS presolve for the maximal-covering MILP and the windows. Off: the reductions in
#: ``_reduce`` do its useful work first, and on big covering models (20k+ rows) its presolve
#: ran 20-40 s past the time limit.
PRESOLVE = False


def cover_model(a: sp.csr_matrix, cost: np.ndarray | None = None) -> tuple:
    """The cheapest columns reaching every row: one 0/1 variable per column."""
    from scipy.optimize import LinearConstraint  # scipy.optimize: 0.1 s of start-up
    m = a.shape[1]
    return (np.ones(m) if cost is None else np.asarray(cost, float), np.ones(m),
            [LinearConstraint(a, lb=1, ub=np.inf)])


def max_model(a: sp.csr_matrix, w: np.ndarray, add: float, hard: np.ndarray,
              cost: np.ndarray | None = None) -> tuple:
    """Columns costing at most ``add`` in all (one each when ``cost`` is None) reaching the
    most row weight ``w`` and every ``hard`` row: 0/1 variables for the columns, then one per
    row (reached or not)."""
    import scipy.sparse as sp
    from scipy.optimize import LinearConstraint
    n, m = a.shape
    link = sp.hstack([-a, sp.identity(n, format="csr")]).tocsr()  # y_i <= sum of its x_j
    budget = np.concatenate([np.ones(m) if cost is None else cost, np.zeros(n)])[None, :]
    cons = [LinearConstraint(link, lb=-np.inf, ub=0), LinearConstraint(budget, lb=0, ub=add)]
    if hard.any():
        must = sp.hstack([a[hard], sp.csr_matrix((int(hard.sum()), n))]).tocsr()
        cons.append(LinearConstraint(must, lb=1, ub=np.inf))
    return (np.concatenate([np.zeros(m), -w]), np.concatenate([np.ones(m), np.zeros(n)]),
            cons)


def run(model: tuple, seconds: float):
    """HiGHS on ``model`` (costs, integrality, constraints; every variable in [0, 1])."""
    from scipy.optimize import Bounds, milp
    c, integrality, cons = model
    return milp(c, integrality=integrality, bounds=Bounds(0, 1), constraints=cons,
                options={"time_limit": max(float(seconds), 0.01), "disp": False,
                         "presolve": PRESOLVE})


_banner_shown = False


def _highs():
    """A silent ``highspy.Highs``. Its first construction in a process prints a banner on
    the C stdout, which would land in the CLI's output: it goes to /dev/null instead."""
    global _banner_shown
    import highspy
    if _banner_shown:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
            _banner_shown = True
    h.setOptionValue("output_flag", False)
    # no Python callbacks unless asked for: each would need the GIL
    h.disableCallbacks()
    return h


def highs_cover(a: sp.csr_matrix, cost: np.ndarray, seconds: float, *, seed: int = 0,
                presolve: bool = True) -> dict:
    """The cheapest columns reaching every row, by HiGHS (presolve on) within ``seconds``.
    Returns ``x`` (chosen columns, or None), ``bound`` (HiGHS' dual bound, -inf when none),
    ``optimal`` (proven) and ``status``."""
    h = highs_cover_model(a, cost, seconds, seed=seed, presolve=presolve)
    h.run()
    return highs_cover_result(h)


def highs_cover_model(a: sp.csr_matrix, cost: np.ndarray, seconds: float, *, seed: int = 0,
                      presolve: bool = True):
    """A ``highspy.Highs`` holding the set-covering MILP, ready to ``run()``.

    No start and no cutoff. With presolve on, HiGHS 1.16 given a start (setSolution)
    "proved" rail507 optimal at 98 (the optimum is 96), and a 33 x 93 model optimal at the
    start's 16 with its own dual bound at 14 (the optimum is 15; tests/test_siting_local.py):
    not found among HiGHS' reported issues. A start with presolve off, or presolve on
    without a start (as here), gives the optimum. ``objective_bound`` is no cutoff: set
    below the optimum, HiGHS still returns the optimum."""
    csc = a.tocsc()
    return highs_cover_columns(a.shape, csc.indptr, csc.indices, cost, seconds, seed=seed,
                               presolve=presolve)


def highs_cover_columns(shape: tuple[int, int], indptr: np.ndarray, indices: np.ndarray,
                        cost: np.ndarray, seconds: float, *, seed: int = 0,
                        presolve: bool = True):
    """:func:`highs_cover_model` from the matrix's columns (CSC ``indptr``, ``indices``),
    without SciPy (the worker process of ``_aside`` does not load it)."""
    import highspy
    n, m = shape
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m, n
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_, lp.col_upper_ = np.zeros(m), np.ones(m)
    lp.row_lower_, lp.row_upper_ = np.ones(n), np.full(n, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(indptr, np.int32)
    lp.a_matrix_.index_ = np.asarray(indices, np.int32)
    lp.a_matrix_.value_ = np.ones(len(indices))
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m
    h = _highs()
    h.setOptionValue("time_limit", max(float(seconds), 0.01))
    h.setOptionValue("presolve", "on" if presolve else "off")
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    return h


def highs_cover_result(h) -> dict:
    """What a run of :func:`highs_cover_model`'s model found (see :func:`highs_cover`)."""
    import highspy
    status = h.getModelStatus()
    info = h.getInfo()
    x = None
    if info.primal_solution_status == 2:  # feasible
        x = np.flatnonzero(np.asarray(h.getSolution().col_value) > 0.5)
    bound = float(info.mip_dual_bound)
    return dict(x=x, bound=bound if np.isfinite(bound) else -np.inf,
                optimal=status == highspy.HighsModelStatus.kOptimal,
                status=h.modelStatusToString(status))
