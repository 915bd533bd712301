"""Where to add stations: the fewest that reach every home (LSCP), or the best N (MCLP)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError
from ._reduce import reduce_columns, reduce_rows
from ._solve import solve_cover, solve_max
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
        'milp' when HiGHS found the answer or proved the greedy one optimal; 'milp + windows'
        when the window search improved what the MILP left unproven; 'greedy' when the
        greedy answer stands unproven somewhere (nothing beat it in time).
    seconds : float
        Wall time, coverage sets included.
    greedy_objective : float
        The greedy answer's objective: an upper bound for set covering, a lower bound for
        maximal covering.
    bound : float
        The solver's dual bound on the objective (NaN when unknown).
    model : tuple of int
        Rows and columns of the model after reduction.
    status : str
        How it was settled (the solver's message; for set covering, how each independent
        part of the model was settled).
    unreachable_groups : ndarray
        With ``groups``: the groups no existing station or candidate can reach.
    reach : csr_matrix of bool, shape (n, m)
        Which candidates reach which homes (the coverage sets the model was built from).
    reached_before : ndarray of bool, shape (n,)
        Homes an existing station already reaches.
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
    unreachable_groups: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    reach: sp.csr_matrix | None = field(default=None, repr=False)
    reached_before: np.ndarray | None = field(default=None, repr=False)


def site_stations(demand_xy, demand_weight, candidates_xy, *, radius_m: float,
                  existing_xy=None, add: int | None = None, net: WalkNetwork | None = None,
                  groups=None, time_limit_s: float = 60.0, seed: int = 0) -> SitingResult:
    """Choose candidate sites for new stations.

    Without ``add``: the location set covering problem (LSCP), the fewest candidates that
    reach every household a candidate or an existing station can reach. With ``add=N``: the
    maximal covering problem (MCLP), at most N candidates reaching the most households.
    Existing stations stay; the demand they already reach leaves the model, and so does
    demand nothing can reach (reported in ``uncoverable``, not made infeasible). Identical
    candidates, candidates reaching a subset of another's homes and (for LSCP) homes
    reached by a superset of another's candidates are dropped before HiGHS solves the MILP;
    a greedy answer comes first. What the MILP leaves unproven in its share of the time is
    improved by a window search: the chosen sites near a random one are re-solved exactly
    with the others fixed.

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
    groups : array-like of shape (n,), optional
        A group (grid) label per home, None for a home in no group. Every group must then
        have a station, existing or new, within reach of at least one of its homes (one
        station per grid); groups no site can reach are reported in ``unreachable_groups``.
    time_limit_s : float
        Budget for everything, coverage sets included; the MILP and the window search
        share what is left.
    seed : int
        Breaks ties between equally good greedy picks and chooses the windows.

    Returns
    -------
    SitingResult

    Raises
    ------
    InputError
        When ``add`` is too few stations to reach every group.
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

    rows, row_w, row_xy = reach[need], w[need], demand[need]
    hard = np.zeros(len(need), bool)
    if groups is not None:
        g_rows, g_xy, result["unreachable_groups"] = _group_rows(groups, reach, done, demand)
        rows = sp.vstack([rows, g_rows]).tocsr()
        row_w = np.concatenate([row_w, np.zeros(g_rows.shape[0])])
        row_xy = np.vstack([row_xy, g_xy])
        hard = np.concatenate([hard, np.ones(g_rows.shape[0], bool)])
    model, cols, row_w, hard = _reduced(rows, row_w, row_xy, cand, hard, lscp=add is None)
    deadline = t0 + time_limit
    if add is None:
        picks, info = solve_cover(model, cand[cols], seed, deadline)
    else:
        picks, info = solve_max(model, row_w, cand[cols], add, seed, deadline, hard=hard)
    chosen = np.sort(cols[picks])
    covered = done | (np.diff(reach[:, chosen].tocsr().indptr) > 0)
    new = covered & ~done
    objective = float(len(chosen)) if add is None else float(w[new].sum())
    return SitingResult(chosen=chosen, covered_households=float(w[covered].sum()),
                        objective=objective, seconds=time.perf_counter() - t0,
                        model=model.shape, reach=reach, reached_before=done, **result, **info)


def _group_rows(groups, reach: sp.csr_matrix, done: np.ndarray, xy: np.ndarray):
    """One row per group not yet reached: the candidates reaching any of its homes. Returns
    the rows, a position per row (the mean of its homes) and the unreachable groups."""
    groups = np.asarray(groups)
    if groups.shape != (reach.shape[0],):
        raise InputError(f"groups has {groups.size} values: expected one per home "
                         f"({reach.shape[0]})")
    inside = np.flatnonzero(~pd.isna(groups))
    label, idx = np.unique(groups[inside], return_inverse=True)
    n = len(groups)
    member = sp.csr_matrix((np.ones(len(inside)), (idx, inside)), shape=(len(label), n))
    g_reach = (member @ reach.astype(np.float64)).tocsr()
    g_done = (member @ done.astype(np.float64)) > 0
    g_can = np.diff(g_reach.indptr) > 0
    todo = np.flatnonzero(g_can & ~g_done)
    size = np.bincount(idx, minlength=len(label))
    centre = np.column_stack([np.bincount(idx, weights=xy[inside, k], minlength=len(label))
                              for k in range(2)]) / np.maximum(size, 1)[:, None]
    rows = g_reach[todo]
    rows.data[:] = 1.0
    return rows, centre[todo], label[~g_can & ~g_done]


def _reduced(a: sp.csr_matrix, w, xy, cand_xy, hard, *, lscp: bool):
    """The model after dropping identical and dominated candidates and homes.

    Returns the reduced matrix, the original candidate index of each column, and the
    weight and hard flag of each row (identical homes merged)."""
    a = a.astype(np.float64)
    a.eliminate_zeros()
    a, cols = reduce_columns(a.tocsc(), cand_xy, nested=False)
    a, row_w, _, hard = reduce_rows(a.tocsr(), w, xy, drop_dominated=lscp, hard=hard)
    a, keep = reduce_columns(a.tocsc(), cand_xy[cols])
    return a.tocsr(), cols[keep], row_w, hard
