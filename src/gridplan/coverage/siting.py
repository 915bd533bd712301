"""Where to add stations: the fewest that reach every home (LSCP), or the best N (MCLP)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from ..errors import InputError
from ._reduce import reduce_columns, reduce_rows
from ._validate import as_xy, positive, weights
from .network import WalkNetwork
from .sets import coverage_sets

__all__ = ["SitingResult", "coverage_sets", "site_stations"]


@dataclass
class SitingResult:
    """The stations chosen and how well they do.

    Attributes
    ----------
    chosen : ndarray of int
        Indices of the chosen candidates, ascending.
    covered_households : float
        Households within reach of an existing or chosen station.
    coverable_households : float
        Households within reach of any existing station or candidate.
    uncoverable : ndarray of int
        Demand indices no candidate and no existing station can reach.
    objective : float
        Set covering: the number of stations added. Maximal covering: the households they
        newly cover (beyond the existing stations).
    gap : float
        Relative gap between ``objective`` and the solver's bound; 0 when proven optimal,
        NaN when no bound is known.
    method : str
        'milp' (HiGHS) or 'greedy' (the fallback, when the MILP failed, timed out without a
        better answer, or there was nothing to solve).
    seconds : float
        Wall time, coverage sets included.
    greedy_objective : float
        The greedy answer's objective: an upper bound for set covering, a lower bound for
        maximal covering.
    bound : float
        The solver's dual bound on the objective (NaN when unknown).
    model : tuple of int
        Rows and columns of the MILP after reduction.
    status : str
        The solver's message.
    """

    chosen: np.ndarray
    covered_households: float
    coverable_households: float
    uncoverable: np.ndarray
    objective: float
    gap: float
    method: str
    seconds: float
    greedy_objective: float = np.nan
    bound: float = np.nan
    model: tuple = (0, 0)
    status: str = ""


def site_stations(demand_xy, demand_weight, candidates_xy, *, radius_m: float,
                  existing_xy=None, add: int | None = None, net: WalkNetwork | None = None,
                  time_limit_s: float = 60.0, seed: int = 0) -> SitingResult:
    """Choose candidate sites for new stations.

    Without ``add``: the location set covering problem (LSCP), the fewest candidates that
    reach every household a candidate or an existing station can reach. With ``add=N``: the
    maximal covering problem (MCLP), at most N candidates reaching the most households.
    Existing stations stay; the demand they already reach leaves the model, and so does
    demand nothing can reach (reported in ``uncoverable``, not made infeasible). Identical
    candidates, candidates reaching a subset of another's homes and (for LSCP) homes
    reached by a superset of another's candidates are dropped before HiGHS solves the MILP;
    a greedy answer comes first and is the fallback.

    Parameters
    ----------
    demand_xy : array-like of shape (n, 2)
        Homes, in a metric CRS.
    demand_weight : array-like of shape (n,)
        Households per home; homes with 0 need no station.
    candidates_xy : array-like of shape (m, 2)
        Possible sites.
    radius_m : float
        Reach of a station in metres (on foot along ``net`` when given, else straight).
    existing_xy : array-like of shape (k, 2), optional
        Stations that stay.
    add : int, optional
        Stations to add (MCLP); None for the fewest that cover everything (LSCP).
    net : WalkNetwork, optional
        Measure reach on foot along this network.
    time_limit_s : float
        Budget for everything, coverage sets included; the MILP gets what is left.
    seed : int
        Breaks ties between equally good greedy picks.

    Returns
    -------
    SitingResult
    """
    t0 = time.perf_counter()
    demand = as_xy(demand_xy, "demand_xy")
    w = weights(demand_weight, len(demand), "demand_weight")
    cand = as_xy(candidates_xy, "candidates_xy")
    radius = positive(radius_m, "radius_m")
    time_limit = positive(time_limit_s, "time_limit_s")
    if add is not None and (isinstance(add, bool) or not isinstance(add, (int, np.integer))
                            or add < 0):
        raise InputError(f"add = {add!r}: expected a whole number of stations >= 0, or None")
    existing = np.zeros((0, 2)) if existing_xy is None else as_xy(existing_xy, "existing_xy")

    reach = coverage_sets(demand, cand, radius, net=net)
    done = np.zeros(len(demand), bool)
    if len(existing):
        done = np.diff(coverage_sets(demand, existing, radius, net=net).indptr) > 0
    can = np.diff(reach.indptr) > 0
    need = np.flatnonzero(can & ~done & (w > 0))
    result = dict(uncoverable=np.flatnonzero(~(can | done)),
                  coverable_households=float(w[can | done].sum()))

    rows, cols, row_w = _reduced(reach[need], w[need], demand[need], cand, lscp=add is None)
    chosen_cols, info = _solve(rows, row_w, add, seed,
                               time_limit - (time.perf_counter() - t0))
    chosen = np.sort(cols[chosen_cols])
    covered = done | (np.diff(reach[:, chosen].tocsr().indptr) > 0)
    new = covered & ~done
    objective = float(len(chosen)) if add is None else float(w[new].sum())
    return SitingResult(chosen=chosen, covered_households=float(w[covered].sum()),
                        objective=objective, seconds=time.perf_counter() - t0,
                        model=rows.shape, **result, **info)


def _reduced(a: sp.csr_matrix, w, xy, cand_xy, *, lscp: bool):
    """The model after dropping identical and dominated candidates and homes.

    Returns the reduced matrix, the original candidate index of each column, and the
    weight of each row (identical homes merged)."""
    a = a.astype(np.float64)
    a.eliminate_zeros()
    a, cols = reduce_columns(a.tocsc(), cand_xy)
    a, row_w, row_xy = reduce_rows(a.tocsr(), w, xy, drop_dominated=lscp)
    a, keep = reduce_columns(a.tocsc(), cand_xy[cols])
    return a.tocsr(), cols[keep], row_w


def _solve(a: sp.csr_matrix, w, add, seed, seconds_left):
    """Greedy first, then the MILP with what time is left; returns chosen columns and info."""
    n, m = a.shape
    lscp = add is None
    greedy = _greedy_cover(a, seed) if lscp else _greedy_max(a, w, add, seed)
    g_obj = len(greedy) if lscp else float(w[_covered(a, greedy)].sum())
    info = dict(greedy_objective=float(g_obj), bound=np.nan, status="")
    if n == 0 or m == 0 or (not lscp and add == 0):
        return greedy, dict(info, gap=0.0, method="greedy", status="nothing to solve")
    if seconds_left <= 0:
        return greedy, dict(info, gap=np.nan, method="greedy", status="no time left for the MILP")
    if lscp:
        c = np.ones(m)
        integrality = np.ones(m)
        bounds = Bounds(0, 1)
        # the greedy count bounds the answer: a cut that also prunes the search
        cons = [LinearConstraint(a, lb=1, ub=np.inf),
                LinearConstraint(np.ones((1, m)), lb=0, ub=g_obj)]
    else:
        c = np.concatenate([np.zeros(m), -w])
        integrality = np.concatenate([np.ones(m), np.zeros(n)])
        bounds = Bounds(0, 1)
        link = sp.hstack([-a, sp.identity(n, format="csr")]).tocsr()  # y_i <= sum of x_j
        cons = [LinearConstraint(link, lb=-np.inf, ub=0),
                LinearConstraint(np.concatenate([np.ones(m), np.zeros(n)])[None, :],
                                 lb=0, ub=add)]
    res = milp(c, integrality=integrality, bounds=bounds, constraints=cons,
               options={"time_limit": float(seconds_left), "disp": False})
    sign = 1.0 if lscp else -1.0
    bound = getattr(res, "mip_dual_bound", None)
    info["bound"] = np.nan if bound is None else sign * float(bound)
    info["status"] = str(res.message)
    if res.x is not None:
        x = np.flatnonzero(res.x[:m] > 0.5)
        obj = len(x) if lscp else float(w[_covered(a, x)].sum())
        feasible = _covered(a, x).all() if lscp else len(x) <= add
        better = obj <= g_obj if lscp else obj >= g_obj
        if feasible and better:
            gap = getattr(res, "mip_gap", None)
            gap = (0.0 if res.status == 0 else np.nan) if gap is None else max(float(gap), 0.0)
            return x, dict(info, gap=gap, method="milp")
    return greedy, dict(info, gap=_gap(g_obj, info["bound"]), method="greedy")


def _gap(obj, bound):
    if not np.isfinite(bound):
        return np.nan
    return abs(obj - bound) / max(abs(obj), 1e-9)


def _covered(a: sp.csr_matrix, chosen) -> np.ndarray:
    """Rows reached by at least one chosen column."""
    if len(chosen) == 0:
        return np.zeros(a.shape[0], bool)
    return np.diff(a[:, np.asarray(chosen)].tocsr().indptr) > 0


def _greedy_cover(a: sp.csr_matrix, seed) -> np.ndarray:
    """Greedy set cover (most uncovered rows first), then drop stations made redundant."""
    return _greedy(a, np.ones(a.shape[0]), None, seed, prune=True)


def _greedy_max(a: sp.csr_matrix, w, add, seed) -> np.ndarray:
    """Greedy maximal cover: ``add`` times, the column with the most uncovered weight."""
    return _greedy(a, w, add, seed, prune=False)


def _greedy(a: sp.csr_matrix, w, limit, seed, *, prune):
    n, m = a.shape
    if n == 0 or m == 0:
        return np.zeros(0, dtype=np.int64)
    csc = a.tocsc()
    rng = np.random.default_rng(seed)
    order = rng.permutation(m)  # ties go to the earliest in this order
    gain = np.bincount(a.indices, weights=w[np.repeat(np.arange(n), np.diff(a.indptr))],
                       minlength=m)
    covered = np.zeros(n, bool)
    picks = []
    nothing = 1e-9 * max(1.0, float(w.sum()))  # float sums leave crumbs, not gains
    while limit is None or len(picks) < limit:
        best = order[np.argmax(gain[order])]
        if gain[best] <= nothing:
            break
        picks.append(best)
        rows = csc.indices[csc.indptr[best]:csc.indptr[best + 1]]
        rows = rows[~covered[rows]]
        covered[rows] = True
        sub = a[rows]
        gain -= np.bincount(sub.indices, weights=w[np.repeat(rows, np.diff(sub.indptr))],
                            minlength=m)
    picks = np.asarray(picks, dtype=np.int64)
    if prune and len(picks):
        count = _cover_count(a, picks)
        for p in picks[::-1]:
            rows = csc.indices[csc.indptr[p]:csc.indptr[p + 1]]
            if (count[rows] >= 2).all():
                count[rows] -= 1
                picks = picks[picks != p]
    return np.sort(picks)


def _cover_count(a: sp.csr_matrix, chosen) -> np.ndarray:
    sel = sp.csr_matrix((np.ones(len(chosen)), (chosen, np.zeros(len(chosen), int))),
                        shape=(a.shape[1], 1))
    return np.asarray((a.astype(float) @ sel).todense()).ravel().astype(np.int64)
