"""Solving covering models: greedy answers, the Caprara-Fischetti-Toth heuristic and HiGHS
within a time budget, the best answer of them all kept."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ._bounds import packing_bound
from ._cft import cft_cover
from ._aside import HighsAside, end_spare, prestart
from ._models import max_model, run
from ._windows import improve_cover, improve_max

#: A set-covering part that greedy does not settle: HiGHS solves the whole part in a child
#: process for all of its time (to prove an answer or find a better one) while the CFT
#: heuristic runs, and, when sites have positions, then the window search from the best
#: cover. CFT is strong where covering sets overlap at random (OR-Library, rail crew
#: scheduling), the windows where sets are local (homes and sites on a map, 5,262 x 2,000:
#: 67 stations in 20 s where CFT found 77 and HiGHS 73): with positions, CFT gets this
#: share of the time and the windows the rest.
CFT_SHARE_PLACED = 0.1
#: With positions, the first HiGHS run's share of the time: its answer starts the windows.
MILP_SHARE_PLACED = 0.15
#: Seconds of the first CFT run, before HiGHS starts: most small parts are proven by then.
CFT_PROBE_S = 0.5
#: The first CFT run's seconds with positions and equal costs, where the local search is the
#: stronger heuristic and waits for it: a small part is proven in milliseconds either way (a
#: Jinan register's 25-site part: 3 ms), and a big one is not proven in 0.5 s (its 521-site
#: part; a 2,000-home lattice, where the local search then reaches the bound in 0.3 s).
CFT_PROBE_PLACED_S = 0.1
#: With equal costs and no positions, the share of the time left that CFT gets before the
#: row-weighting local search (``_local``) takes the best cover on: there CFT stalls 5-13 %
#: above the best known (scpnrg1, scpclr13 at 20 s) where the local search gets within
#: 2 % (30 s from greedy: 62 and 23), while on rail507 CFT is the stronger (97 in 20 s;
#: the local search from greedy 99 in 30 s). CFT often stops sooner by itself (scpnrg1:
#: 7 s). With unequal costs the local search as written does not beat CFT (OR-Library
#: scp41, scpnrg1, rail507 weighted): CFT keeps all the time.
CFT_SHARE_UNIT = 0.4
#: With equal costs and positions, the local search's share of the time, between CFT and
#: the windows (5,262 homes x 2,000 sites: 64 stations in 5 s from greedy's 88, where the
#: windows took 60 s to reach 64).
LOCAL_SHARE_PLACED = 0.5
#: A part with this many nonzeros or more, without positions, starts HiGHS before the
#: first CFT run rather than after it (which settles small parts without a process).
EARLY_MILP_NNZ = 100_000
#: Share of a maximal-covering model's time for the whole MILP; when it proves nothing in
#: that time, the rest goes to improving the best answer window by window (``_windows``).
MAX_MILP_SHARE = 0.5
#: Relative slack when comparing costs that need not be whole numbers.
TOL = 1e-9


def covered(a: sp.csr_matrix, chosen) -> np.ndarray:
    """Rows reached by at least one chosen column."""
    chosen = np.asarray(chosen, dtype=np.int64)
    if len(chosen) == 0:
        return np.zeros(a.shape[0], bool)
    pick = np.zeros(a.shape[1], bool)
    pick[chosen] = True
    row_of = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    return np.bincount(row_of[pick[a.indices]], minlength=a.shape[0]) > 0


def greedy(a: sp.csr_matrix, w: np.ndarray, budget: float | None, seed: int, *,
           prune: bool, cost: np.ndarray | None = None) -> np.ndarray:
    """Repeatedly the column reaching the most uncovered weight per unit of cost, among those
    the rest of ``budget`` (total cost; None for no limit) still pays for, until nothing is
    left; with ``prune``, then drop columns whose rows others all cover (dearest first)."""
    n, m = a.shape
    if n == 0 or m == 0:
        return np.zeros(0, dtype=np.int64)
    cost = np.ones(m) if cost is None else np.asarray(cost, float)
    csc = a.tocsc()
    order = np.random.default_rng(seed).permutation(m)  # ties go to the first in this order
    row_of = np.repeat(np.arange(n), np.diff(a.indptr))
    gain = np.bincount(a.indices, weights=w[row_of], minlength=m)
    per = np.maximum(cost, 1e-12 * max(float(cost.max()), 1.0))  # a free column goes first
    done = np.zeros(n, bool)
    picks = []
    left = np.inf if budget is None else float(budget)
    crumbs = 1e-9 * max(1.0, float(w.sum()))  # float sums leave crumbs, not gains
    while True:
        score = np.where(cost[order] <= left * (1 + TOL) + TOL, gain[order] / per[order],
                         -1.0)
        k = int(np.argmax(score))
        best = order[k]
        if score[k] < 0 or gain[best] <= crumbs:
            break
        picks.append(best)
        left -= cost[best]
        rows = csc.indices[csc.indptr[best]:csc.indptr[best + 1]]
        rows = rows[~done[rows]]
        done[rows] = True
        sub = a[rows]
        gain -= np.bincount(sub.indices, weights=np.repeat(w[rows], np.diff(sub.indptr)),
                            minlength=m)
        gain[best] = 0.0
    picks = np.asarray(picks, dtype=np.int64)
    if prune and len(picks):
        count = np.zeros(n, np.int64)
        for p in picks:
            count[csc.indices[csc.indptr[p]:csc.indptr[p + 1]]] += 1
        keep = np.ones(len(picks), bool)
        # dearest first, then the late, small picks: the likely spares
        for k in np.lexsort((-np.arange(len(picks)), -cost[picks])):
            rows = csc.indices[csc.indptr[picks[k]]:csc.indptr[picks[k] + 1]]
            if (count[rows] >= 2).all():
                count[rows] -= 1
                keep[k] = False
        picks = picks[keep]
    return np.sort(picks)


def _gap(obj: float, bound: float) -> float:
    if not np.isfinite(bound):
        return np.nan
    return max(abs(obj - bound) / max(abs(obj), 1e-9), 0.0)


def _parts(a: sp.csr_matrix) -> list[tuple[np.ndarray, np.ndarray]]:
    """The independent parts of the model: (rows, columns) of each connected component."""
    n = a.shape[0]
    graph = sp.bmat([[None, a], [a.T, None]]).tocsr()
    _, label = connected_components(graph, directed=False)
    row_label, col_label = label[:n], label[n:]
    parts = np.unique(row_label)
    row_order = np.argsort(row_label, kind="stable")
    col_order = np.argsort(col_label, kind="stable")
    row_at = np.searchsorted(row_label[row_order], parts)
    col_at = np.searchsorted(col_label[col_order], parts)
    col_end = np.searchsorted(col_label[col_order], parts, "right")
    rows_of = np.split(row_order, row_at[1:])
    return [(rows_of[i], col_order[col_at[i]:col_end[i]]) for i in range(len(parts))]


def solve_cover(a: sp.csr_matrix, cost: np.ndarray | None, xy: np.ndarray | None, seed: int,
                deadline: float, every: sp.csr_matrix | None = None) -> tuple[np.ndarray, dict]:
    """The cheapest columns reaching every row (unit costs when ``cost`` is None; columns
    placed at ``xy`` when known): each independent part of the model solved on its own,
    small parts in milliseconds; a part greedy cannot settle goes to the CFT heuristic,
    then to HiGHS, then to the window search, and the cheapest cover any of them found is
    kept. The bound is the best of the packing, Lagrangian (CFT) and HiGHS bounds.
    ``every``: the same columns over more rows whose cover is implied (dominated rows), for
    the CFT heuristic."""
    n, m = a.shape
    cost = np.ones(m) if cost is None else np.asarray(cost, float)
    if n == 0:
        return np.zeros(0, np.int64), dict(gap=0.0, bound=0.0, greedy_objective=0.0,
                                           method="greedy", status="nothing to cover")
    parts = _parts(a)
    size = np.array([a[r].nnz for r, _ in parts], dtype=float)
    inside = _rows_inside(every, parts, m) if every is not None else None
    chosen, bound, g_total, counts, found = [], 0.0, 0.0, {}, set()
    left = size.sum()
    try:
        for i in np.argsort(size, kind="stable"):
            rows, cols = parts[i]
            sub = a[rows][:, cols].tocsr()
            remaining = deadline - time.perf_counter()
            # a share of the time by size, but a small part may still take a second
            share = max(remaining * size[i] / left, min(1.0, 0.1 * remaining))
            left -= size[i]
            cft_sub = None if inside is None else every[inside[i]][:, cols].tocsr()
            pick, b, how, g, who = _cover_part(sub, cost[cols],
                                               None if xy is None else xy[cols], seed, share,
                                               cft_sub)
            counts[how] = counts.get(how, 0) + 1
            found.add(who)
            chosen.append(cols[pick])
            bound += b
            g_total += g
    finally:
        end_spare()
    chosen = np.sort(np.concatenate(chosen))
    obj = float(cost[chosen].sum())
    bound = min(bound, obj)
    status = f"{len(parts)} independent part{'s' * (len(parts) != 1)}: " + ", ".join(
        f"{v} {k}" for k, v in sorted(counts.items()))
    method = " + ".join(x for x in ("greedy", "cft", "local search", "milp", "windows")
                        if x in found)
    return chosen, dict(gap=_gap(obj, bound), bound=bound, greedy_objective=g_total,
                        method=method, status=status)


def _rows_inside(every: sp.csr_matrix, parts, m: int) -> list[np.ndarray]:
    """For each part, the rows of ``every`` whose columns all lie in it (a row spanning two
    parts is implied by a row of one)."""
    label = np.full(m, -1, np.int64)
    for i, (_, cols) in enumerate(parts):
        label[cols] = i
    size = np.diff(every.indptr)
    live = np.flatnonzero(size > 0)
    lab = label[every.indices]
    lo = np.minimum.reduceat(lab, every.indptr[live]) if len(live) else lab[:0]
    hi = np.maximum.reduceat(lab, every.indptr[live]) if len(live) else lab[:0]
    one = live[(lo == hi) & (lo >= 0)]
    part = lo[(lo == hi) & (lo >= 0)]
    return [one[part == i] for i in range(len(parts))]


def _cover_part(a: sp.csr_matrix, cost: np.ndarray, xy: np.ndarray | None, seed: int,
                seconds: float, cft_a: sp.csr_matrix | None = None):
    """One connected part: chosen columns, lower bound, how it was settled, greedy cost and
    which method found the answer ('greedy', 'cft', 'local search', 'milp' or 'windows').
    CFT works on ``cft_a`` when given (the same columns, more rows: see ``solve_cover``)."""
    end = time.perf_counter() + seconds
    cft_a = a if cft_a is None else cft_a
    n = a.shape[0]
    whole = bool(np.all(cost == np.round(cost)))

    def settled(bound, best):
        return bound >= best - TOL * max(abs(best), 1.0)

    def tight(b):  # a bound on a sum of whole costs rounds up
        return float(np.ceil(b - 1e-6)) if whole and np.isfinite(b) else float(b)

    g = greedy(a, np.ones(n), None, seed, prune=True, cost=cost)
    g_cost = float(cost[g].sum())
    best, best_cost, who = g, g_cost, "greedy"
    full = np.flatnonzero(np.diff(a.tocsc().indptr) == n)
    if len(full) and cost[full].min() <= best_cost:  # one column reaches every row
        best = full[[np.argmin(cost[full])]]
        best_cost = float(cost[best].sum())
    floor = packing_bound(a, cost)
    if np.all(cost == cost[0]) and not len(full) and cost[0] > 0:
        floor = max(floor, 2 * cost[0])  # no single column covers all
    bound = tight(floor)
    if settled(bound, best_cost):
        return best, best_cost, "optimal", g_cost, who
    if seconds <= 0:
        return best, bound, "greedy, no time left", g_cost, who

    def take(x, name):
        nonlocal best, best_cost, who
        if x is not None and covered(a, x).all() and cost[x].sum() < best_cost * (1 - TOL):
            best, best_cost, who = x, float(cost[x].sum()), name

    # A big part without positions starts HiGHS at once: it is there to prove, and proofs
    # take all the time they can get (rail516: 18 s alone, loaded machine).
    milp = None
    if xy is None and a.nnz >= EARLY_MILP_NNZ:
        milp = HighsAside(a, cost, 0.95 * (end - time.perf_counter()), seed,
                          below=best_cost)
        if not milp.aside:
            milp = None
    # With equal costs and positions the local search is the strongest heuristic (see
    # LOCAL_SHARE_PLACED), so the probe below is shorter there. Its kernels (and numba) are
    # loaded only once the probe has not settled the part: most parts of a plan are small.
    local = bool(np.all(cost == cost[0]))
    # A short CFT run first: on a small part it proves its cover in milliseconds. A HiGHS
    # worker starts meanwhile, for when it does not.
    if milp is None:
        prestart()
    probe = CFT_PROBE_PLACED_S if local and xy is not None else CFT_PROBE_S
    x, lag = cft_cover(cft_a, cost, min(probe, seconds), seed)
    take(x, "cft")
    bound = max(bound, tight(lag))
    if settled(bound, best_cost) or end - time.perf_counter() <= 0:
        if milp is not None:
            milp.result(end, wait=False)
        if settled(bound, best_cost):
            return best, best_cost, "optimal", g_cost, who
        return best, bound, f"{who}, time limit", g_cost, who
    # Then HiGHS on the whole part in a worker process (``_aside``; HiGHS and pycft both hold the
    # GIL, so threads would take turns), while the heuristics go on here. Where no worker
    # process can be made, HiGHS runs here first, for half the time. With positions, the
    # first HiGHS run is short, so that its answer can start the windows, and a second one
    # goes on with the rest of the time.
    first = MILP_SHARE_PLACED * seconds if xy is not None else end - time.perf_counter()
    # (the short run without presolve, as our reductions did its useful work: an answer
    # sooner)
    if milp is None:
        milp = HighsAside(a, cost, 0.95 * min(first, end - time.perf_counter()), seed,
                          presolve=xy is None, below=best_cost)
    if not milp.aside:
        milp.run_here(0.5 * (end - time.perf_counter()))

    last = None  # HiGHS' latest answer, as low() last polled it

    def low():
        """The best lower bound known now, HiGHS' latest included."""
        nonlocal bound, last
        last = milp.poll()
        if last is not None:
            bound = max(bound, tight(last["bound"]))
        return bound

    def done():
        return settled(low(), best_cost) or (last is not None and last["optimal"])

    def collect(wait_until):
        nonlocal bound
        res = milp.result(wait_until, wait=not settled(bound, best_cost))
        if res is not None:
            take(res["x"], "milp")
            bound = max(bound, tight(res["bound"]))
        return res is not None and res["optimal"]

    # CFT again, then (equal costs) the local search from the best cover, once its
    # kernels are compiled (a worker process compiles them meanwhile when numba's cache is
    # cold). A CFT run that stops early (its search settled) is followed by another with
    # the next seed while nothing is proven and the local search is not ready. Sites with
    # positions give CFT one run of a tenth of the time, the local search half (before
    # CFT's run when costs are equal, just below), and the rest to the windows.
    if local:
        from ._local import local_search, when_ready
        ready = when_ready()
    k = 1
    if local and xy is not None:
        # Positions and equal costs: the local search before CFT's run, not after it (a
        # 2,000-home lattice: 9 stations, the packing bound, in 0.4 s of local search,
        # after 6 s of CFT that stayed at 16). CFT runs in short slices while the
        # kernels load, and gets what is left of its share after the local search.
        cft_end = time.perf_counter() + seconds * CFT_SHARE_PLACED
        # kernels found in numba's cache load in about a second from the child's start:
        # wait for them a while (HiGHS has the other core meanwhile)
        while not ready(min(CFT_PROBE_S, max(cft_end - time.perf_counter(), 0.0))) \
                and not done() and cft_end - time.perf_counter() > 0.05:
            x, lag = cft_cover(cft_a, cost, min(CFT_PROBE_S, cft_end - time.perf_counter()),
                               seed + k)
            take(x, "cft")
            bound = max(bound, tight(lag))
            k += 1
        if not done() and ready():
            x, _ = local_search(a, cost, best, min(end, time.perf_counter()
                                                   + LOCAL_SHARE_PLACED * seconds),
                                seed=seed, floor=low, until=done)
            take(x, "local search")
        left = min(cft_end, end) - time.perf_counter()
        if not done() and left > 0.05:
            x, lag = cft_cover(cft_a, cost, left, seed + k)
            take(x, "cft")
            bound = max(bound, tight(lag))
        k = 2  # the loop below is for the other cases
    while not done() and end - time.perf_counter() > 0.05 and (k == 1 or xy is None):
        left = end - time.perf_counter()
        x, lag = cft_cover(cft_a, cost, min(left, seconds * CFT_SHARE_PLACED)
                           if xy is not None else left * (CFT_SHARE_UNIT if local else 1),
                           seed + k)
        take(x, "cft")
        bound = max(bound, tight(lag))
        k += 1
        if local and not done() and ready():
            stop = (min(end, time.perf_counter() + LOCAL_SHARE_PLACED * seconds)
                    if xy is not None else end)
            x, _ = local_search(a, cost, best, stop, seed=seed, floor=low, until=done)
            take(x, "local search")
            break
    if xy is not None and not done() and end - time.perf_counter() > 0:
        if collect(end - seconds + first) or settled(bound, best_cost):
            return best, best_cost, "optimal", g_cost, who
        milp = HighsAside(a, cost, 0.95 * (end - time.perf_counter()), seed + 1,
                          below=best_cost)
        x, _ = improve_cover(a, xy, best, end, seed=seed, floor=bound, cost=cost, until=done)
        take(x, "windows")
    if collect(end) or settled(bound, best_cost):
        return best, best_cost, "optimal", g_cost, who
    trouble = milp.trouble()
    return best, bound, f"{who}, time limit" + (f" ({trouble})" if trouble else ""), g_cost, who


def solve_max(a: sp.csr_matrix, w: np.ndarray, xy: np.ndarray | None, add: float, seed: int,
              deadline: float, hard: np.ndarray | None = None,
              cost: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Columns costing at most ``add`` in all (one each when ``cost`` is None) reaching the
    most row weight, and every ``hard`` row: greedy, then the MILP, then (when it proved
    nothing in its share of the time, and columns have positions ``xy``) the window search.

    Raises
    ------
    InputError
        When the hard rows need more than ``add`` (the message says how much).
    """
    n, m = a.shape
    hard = np.zeros(n, bool) if hard is None else np.asarray(hard, bool)
    unit = cost is None
    cost = np.ones(m) if cost is None else np.asarray(cost, float)
    base = np.zeros(0, np.int64)
    if hard.any():
        base = _cover_hard(a, hard, cost, add, seed, deadline, unit)
    rest = w * ~covered(a, base)
    extra = greedy(a, rest, add - cost[base].sum(), seed, prune=False, cost=cost)
    g = np.union1d(base, extra).astype(np.int64)
    g_obj = float(w[covered(a, g)].sum())
    info = dict(greedy_objective=g_obj, bound=np.nan, gap=np.nan, status="", method="greedy")
    if n == 0 or m == 0 or add == 0 or covered(a, g)[w > 0].all():
        # every reachable household reached: nothing can do better
        return g, dict(info, bound=g_obj, gap=0.0,
                       status="every reachable household covered" if n else "nothing to cover")
    seconds = deadline - time.perf_counter()
    if seconds <= 0:
        return g, dict(info, status="no time left for the MILP")
    res = run(max_model(a, w, add, hard, None if unit else cost), seconds * MAX_MILP_SHARE)
    dual = getattr(res, "mip_dual_bound", None)
    bound = np.nan if dual is None or not np.isfinite(dual) else -float(dual)
    info.update(bound=bound, status=str(res.message))
    best, best_obj = g, g_obj
    if res.x is not None:
        x = np.flatnonzero(res.x[:m] > 0.5)
        reached = covered(a, x)
        obj = float(w[reached].sum())
        if cost[x].sum() <= add * (1 + TOL) + TOL and obj >= g_obj and reached[hard].all():
            if res.status == 0:
                return x, dict(info, gap=max(float(getattr(res, "mip_gap", 0) or 0), 0.0),
                               method="milp")
            best, best_obj, info["method"] = x, obj, "milp"
    if xy is not None and deadline - time.perf_counter() > 0 and not best_obj >= bound:
        better, tried = improve_max(a, w, xy, best, deadline, seed=seed, hard=hard,
                                    cost=None if unit else cost, budget=add)
        obj = float(w[covered(a, better)].sum())
        if tried["improving_windows"] and obj > best_obj:
            best, best_obj, info["method"] = better, obj, "milp + windows"
            info["status"] += (f"; then {tried['improving_windows']} of {tried['windows']} "
                               "windows improved it")
    return best, dict(info, gap=_gap(best_obj, bound))


def _cover_hard(a: sp.csr_matrix, hard: np.ndarray, cost: np.ndarray, add: float, seed: int,
                deadline: float, unit: bool) -> np.ndarray:
    """Columns reaching every hard row, costing at most ``add``: greedy, or the cheapest
    cover when greedy's costs too much."""
    sub = a[hard]
    pick = greedy(sub, np.ones(sub.shape[0]), None, seed, prune=True, cost=cost)
    if cost[pick].sum() <= add * (1 + TOL) + TOL:
        return pick
    pick, info = solve_cover(sub, cost, None, seed, deadline)
    need = float(cost[pick].sum())
    if need > add * (1 + TOL) + TOL:
        from ..errors import InputError
        proven = info["gap"] == 0
        least = need if proven else float(info["bound"])
        if unit:
            least = int(np.ceil(least - 1e-9))
            what = f"{least} new station{'s' * (least != 1)}"
        else:
            what = f"a cost of {least:g}"
        raise InputError(
            f"add = {add}: too few stations to reach every grid; one station per grid needs "
            + (what if proven else f"at least {what} (found {need:g})"))
    return pick
