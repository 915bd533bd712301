"""Where to add stations: the fewest that reach every home (LSCP), or the best N (MCLP)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError
from ._reduce import dominated_rows, reduce_columns, reduce_rows
from ._solve import covered, greedy, solve_cover, solve_max
from ._validate import as_xy, costs as as_costs, positive, reach_matrix, site_mask, weights
from .network import WalkNetwork
from .sets import coverage_sets

__all__ = ["SitingResult", "coverage_sets", "site_from_matrix", "site_stations"]


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
        Set covering: the total cost of the stations added (their number with unit costs).
        Maximal covering: the households they newly cover (beyond the existing stations).
    gap : float
        Relative gap between ``objective`` and ``bound``; 0 only when proven optimal, NaN
        when no bound is known.
    method : str
        Which method found the answer reported. Set covering: 'greedy', 'cft' (the
        Caprara-Fischetti-Toth heuristic) or 'milp' (HiGHS), joined by ' + ' when the
        independent parts of the model differ; whether it is proven is in ``gap`` and
        ``status``. Maximal covering: 'milp', 'milp + windows' (the window search improved
        what the MILP left unproven) or 'greedy' (nothing beat the greedy answer in time).
    seconds : float
        Wall time, coverage sets included.
    greedy_objective : float
        The greedy answer's objective: an upper bound for set covering, a lower bound for
        maximal covering. The answer reported is never worse.
    bound : float
        The best bound found on the optimum (set covering: the best of the packing,
        Lagrangian and HiGHS LP/MILP lower bounds; maximal covering: HiGHS' upper bound);
        NaN when unknown.
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
                  existing_xy=None, add: float | None = None, net: WalkNetwork | None = None,
                  groups=None, costs=None, time_limit_s: float = 60.0,
                  seed: int = 0) -> SitingResult:
    """Choose candidate sites for new stations.

    Without ``add``: the location set covering problem (LSCP), the cheapest set of
    candidates (the fewest, with unit costs) that reach every household a candidate or an
    existing station can reach. With ``add``: the maximal covering problem (MCLP),
    candidates costing at most ``add`` (at most ``add`` candidates with unit costs) reaching
    the most households. Existing stations stay; the demand they already reach leaves the
    model, and so does demand nothing can reach (reported in ``uncoverable``, not made
    infeasible). The coverage sets are built here and the model is solved as by
    :func:`site_from_matrix`; for the MCLP, what the MILP leaves unproven in its share of
    the time is improved by a window search: the chosen sites near a random one are
    re-solved exactly with the others fixed.

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
    add : float, optional
        Budget for the MCLP: stations to add with unit costs, else total cost in the units
        of ``costs``. None for the LSCP.
    net : WalkNetwork, optional
        Measure reach on foot along this network.
    groups : array-like of shape (n,), optional
        A group (grid) label per home, None for a home in no group. Every group must then
        have a station, existing or new, within reach of at least one of its homes (one
        station per grid); groups no site can reach are reported in ``unreachable_groups``.
    costs : array-like of shape (m,), optional
        Cost of each candidate (>= 0; a free room in a public building, a rented one);
        1 each when None.
    time_limit_s : float
        Budget for everything, coverage sets included.
    seed : int
        Breaks ties between equally good greedy picks, seeds the heuristic and chooses the
        windows.

    Returns
    -------
    SitingResult

    Raises
    ------
    InputError
        When an argument is malformed, or ``add`` is too little to reach every group.
    """
    t0 = time.perf_counter()
    demand = as_xy(demand_xy, "demand_xy")
    w = weights(demand_weight, len(demand), "demand_weight")
    cand = as_xy(candidates_xy, "candidates_xy")
    radius = positive(radius_m, "radius_m")
    time_limit = positive(time_limit_s, "time_limit_s")
    cost = as_costs(costs, len(cand))
    add = _budget(add, unit=costs is None)
    existing = np.zeros((0, 2)) if existing_xy is None else as_xy(existing_xy, "existing_xy")
    reach = coverage_sets(demand, cand, radius, net=net)
    done = np.zeros(len(demand), bool)
    if len(existing):
        done = np.diff(coverage_sets(demand, existing, radius, net=net).indptr) > 0
    return _site(reach, w, done, cost if costs is not None else None, add, groups, cand,
                 t0 + time_limit, seed, t0)


def site_from_matrix(reach, *, households=None, costs=None, existing=None,
                     add: float | None = None, time_limit_s: float = 60.0,
                     seed: int = 0) -> SitingResult:
    """Choose sites from a coverage matrix the user brings (a travel-time matrix from a
    routing service cut at a threshold, a survey): the same solve as :func:`site_stations`.

    Without ``add``: the cheapest set of new sites (the fewest, with unit costs) reaching
    every home some site reaches (set covering, LSCP). With ``add``: new sites costing at
    most ``add`` in all reaching the most households (maximal covering, MCLP). Homes no site
    reaches are reported in ``uncoverable``. The model is reduced exactly (identical and
    dominated sites and homes out), split into independent parts, and each part solved by
    greedy, the Caprara-Fischetti-Toth heuristic (``pycft``), a row-weighting local search
    (equal costs) and HiGHS within the time limit; the cheapest answer is kept, with the
    best lower bound found.

    Parameters
    ----------
    reach : scipy.sparse matrix or array-like of shape (n, m)
        1 where site j reaches home i, else 0.
    households : array-like of shape (n,), optional
        Households per home (>= 0; homes with 0 need no site); 1 each when None.
    costs : array-like of shape (m,), optional
        Cost of opening each site (>= 0); 1 each when None.
    existing : array-like of bool, shape (m,), optional
        Sites already open: the homes they reach are served, and they are not chosen again.
    add : float, optional
        Budget for the MCLP: sites to add with unit costs, else total cost in the units of
        ``costs``. None for the LSCP.
    time_limit_s : float
        Budget in seconds for the whole solve.
    seed : int
        Breaks ties between equally good greedy picks and seeds the heuristic.

    Returns
    -------
    SitingResult
        ``chosen`` are column indices of ``reach``; ``objective`` is their total cost
        (LSCP) or the households they newly reach (MCLP); ``bound`` and ``gap`` say how far
        from the optimum it can be (``gap`` 0 only when proven).

    Raises
    ------
    InputError
        When ``reach`` is not a 2-D 0/1 matrix, a cost is negative or NaN, or another
        argument does not match it (one line naming the argument).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import gridplan as gp
    >>> reach = sp.csr_matrix(np.array([[1, 0, 1],     # home 0: sites 0 and 2 reach it
    ...                                 [1, 1, 1],
    ...                                 [0, 1, 1]]))
    >>> r = gp.site_from_matrix(reach)
    >>> r.chosen.tolist(), r.objective, r.gap
    ([2], 1.0, 0.0)
    >>> r = gp.site_from_matrix(reach, costs=[1, 1, 3])   # site 2 is a new rented room
    >>> r.chosen.tolist(), r.objective, r.gap
    ([0, 1], 2.0, 0.0)
    """
    t0 = time.perf_counter()
    a = reach_matrix(reach)
    n, m = a.shape
    w = np.ones(n) if households is None else weights(households, n, "households")
    cost = as_costs(costs, m)
    open_ = site_mask(existing, m)
    time_limit = positive(time_limit_s, "time_limit_s")
    add = _budget(add, unit=costs is None)
    done = np.diff(a[:, open_].tocsr().indptr) > 0 if open_.any() else np.zeros(n, bool)
    closed = (a.astype(np.float64) @ sp.diags((~open_).astype(np.float64))).tocsr()
    closed.eliminate_zeros()  # an open site is not chosen again
    return _site(closed.astype(bool), w, done, cost if costs is not None else None, add, None,
                 None, t0 + time_limit, seed, t0)


def _budget(add, *, unit: bool):
    """``add`` checked: a whole number of stations with unit costs, else a cost >= 0."""
    if add is None:
        return None
    number = isinstance(add, (int, float, np.integer, np.floating)) and not isinstance(
        add, bool) and np.isfinite(add) and add >= 0
    if unit and not (number and float(add) == int(add)):
        raise InputError(f"add = {add!r}: expected a whole number of stations >= 0, or None")
    if not number:
        raise InputError(f"add = {add!r}: expected a budget >= 0 in the units of the "
                         "costs, or None")
    return int(add) if unit else float(add)


def _site(reach: sp.csr_matrix, w: np.ndarray, done: np.ndarray, cost, add, groups, cand,
          deadline: float, seed: int, t0: float) -> SitingResult:
    """The siting model from coverage sets: homes ``done`` (reached by an existing station)
    and homes nothing reaches leave it; then it is reduced and solved."""
    can = np.diff(reach.indptr) > 0
    need = np.flatnonzero(can & ~done & (w > 0))
    result = dict(uncoverable=np.flatnonzero(~(can | done)),
                  coverable_households=float(w[can | done].sum()))
    rows, row_w = reach[need], w[need]
    hard = np.zeros(len(need), bool)
    if groups is not None:
        g_rows, result["unreachable_groups"] = _group_rows(groups, reach, done)
        rows = sp.vstack([rows, g_rows]).tocsr()
        row_w = np.concatenate([row_w, np.zeros(g_rows.shape[0])])
        hard = np.concatenate([hard, np.ones(g_rows.shape[0], bool)])
    # greedy on the model as given, before reductions change its path: the answer is
    # never worse than it
    as_given = rows.astype(np.float64).tocsr()
    plain = None if groups is not None and add is not None else greedy(
        as_given, np.ones(rows.shape[0]) if add is None else row_w, add, seed,
        prune=add is None, cost=cost)
    if add == 0 and not hard.any() and (cost is None or (cost > 0).all()):
        # a budget that buys nothing: the answer is no site, without reducing the model
        # first (0.4 s on a 2,000-home lattice)
        model, cols, every = as_given, np.arange(rows.shape[1]), None
    else:
        model, cols, row_w, hard, every = _reduced(rows, row_w, hard, cost, lscp=add is None)
    c = None if cost is None else cost[cols]
    if add is None:
        picks, info = solve_cover(model, c, None if cand is None else cand[cols], seed,
                                  deadline, every=every)
    else:
        picks, info = solve_max(model, row_w, None if cand is None else cand[cols], add, seed,
                                deadline, hard=hard, cost=c)
    chosen = np.sort(cols[picks])
    if plain is not None:
        chosen, info = _no_worse_than_greedy(rows, w[need] if groups is None else None, cost,
                                             add, plain, chosen, info)
    reached = done | (np.diff(reach[:, chosen].tocsr().indptr) > 0)
    new = reached & ~done
    if add is None:
        objective = float(len(chosen)) if cost is None else float(cost[chosen].sum())
    else:
        objective = float(w[new].sum())
    return SitingResult(chosen=chosen, covered_households=float(w[reached].sum()),
                        objective=objective, seconds=time.perf_counter() - t0,
                        model=model.shape, reach=reach, reached_before=done, **result, **info)


def _no_worse_than_greedy(rows: sp.csr_matrix, w, cost, add, g, chosen, info):
    """The answer, or greedy's ``g`` on the model as given (before reductions) when that is
    better. ``info['greedy_objective']`` becomes the better of the two greedy answers."""
    a = rows.astype(np.float64).tocsr()
    c = np.ones(a.shape[1]) if cost is None else cost
    if add is None:
        g_obj, obj = float(c[g].sum()), float(c[chosen].sum())
        better = g_obj < obj * (1 - 1e-12) - 1e-12
    else:
        g_obj = float(w[covered(a, g)].sum())
        obj = float(w[covered(a, chosen)].sum())
        better = g_obj > obj * (1 + 1e-12) + 1e-12
    best_g = info.get("greedy_objective", np.nan)
    info = dict(info, greedy_objective=g_obj if not np.isfinite(best_g) else
                (min if add is None else max)(best_g, g_obj))
    if better:
        bound = info.get("bound", np.nan)
        gap = np.nan if not np.isfinite(bound) else abs(g_obj - bound) / max(abs(g_obj), 1e-9)
        info.update(method="greedy", gap=gap, status=info.get("status", "") +
                    "; greedy on the whole model did better")
        return np.sort(g), info
    return chosen, info


def _group_rows(groups, reach: sp.csr_matrix, done: np.ndarray):
    """One row per group not yet reached: the candidates reaching any of its homes. Returns
    the rows and the unreachable groups."""
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
    rows = g_reach[todo]
    rows.data[:] = 1.0
    return rows, label[~g_can & ~g_done]


def _reduced(a: sp.csr_matrix, w, hard, cost, *, lscp: bool):
    """The model after dropping identical and dominated candidates and homes.

    Returns the reduced matrix, the original candidate index of each column, the weight and
    hard flag of each row (identical homes merged), and for set covering the same columns
    over every distinct home, dominated ones included (the CFT heuristic does better with
    them: 26 sites on scpclr13 where the reduced rows gave it 30)."""
    a = a.astype(np.float64)
    a.eliminate_zeros()
    a, cols = reduce_columns(a.tocsc(), cost, nested=False)
    a, row_w, hard = reduce_rows(a.tocsr(), w, drop_dominated=False, hard=hard)
    merged = a
    if lscp:
        drop = dominated_rows(a)
        a, row_w, hard = a[~drop], row_w[~drop], hard[~drop]
    a, keep = reduce_columns(a.tocsc(), None if cost is None else cost[cols])
    every = merged.tocsc()[:, keep].tocsr() if lscp else None
    return a.tocsr(), cols[keep], row_w, hard, every
