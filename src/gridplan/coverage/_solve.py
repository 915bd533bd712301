"""Solving covering models: greedy answers, and the MILP with HiGHS within a time budget."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ._bounds import lagrange_bound, packing_bound
from ._models import cover_model, max_model, run
from ._windows import improve_cover, improve_max

#: Share of a set-covering part's time for the whole MILP; when it proves nothing in that
#: time, the rest goes to improving the best cover window by window (``_windows``).
MILP_SHARE = 0.15
#: The same for maximal covering, whose MILP more often proves its answer in time.
MAX_MILP_SHARE = 0.5
#: Most seconds (and share of a part's time) for the Lagrangian bound of an unproven cover.
LAGRANGE_S = 2.0
LAGRANGE_SHARE = 0.05


def covered(a: sp.csr_matrix, chosen) -> np.ndarray:
    """Rows reached by at least one chosen column."""
    chosen = np.asarray(chosen, dtype=np.int64)
    if len(chosen) == 0:
        return np.zeros(a.shape[0], bool)
    pick = np.zeros(a.shape[1], bool)
    pick[chosen] = True
    row_of = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    return np.bincount(row_of[pick[a.indices]], minlength=a.shape[0]) > 0


def greedy(a: sp.csr_matrix, w: np.ndarray, limit: int | None, seed: int, *,
           prune: bool) -> np.ndarray:
    """Repeatedly the column reaching the most uncovered weight (``limit`` times, or until
    nothing is left); with ``prune``, then drop columns whose rows others all cover."""
    n, m = a.shape
    if n == 0 or m == 0:
        return np.zeros(0, dtype=np.int64)
    csc = a.tocsc()
    order = np.random.default_rng(seed).permutation(m)  # ties go to the first in this order
    row_of = np.repeat(np.arange(n), np.diff(a.indptr))
    gain = np.bincount(a.indices, weights=w[row_of], minlength=m)
    done = np.zeros(n, bool)
    picks = []
    crumbs = 1e-9 * max(1.0, float(w.sum()))  # float sums leave crumbs, not gains
    while limit is None or len(picks) < limit:
        best = order[np.argmax(gain[order])]
        if gain[best] <= crumbs:
            break
        picks.append(best)
        rows = csc.indices[csc.indptr[best]:csc.indptr[best + 1]]
        rows = rows[~done[rows]]
        done[rows] = True
        sub = a[rows]
        gain -= np.bincount(sub.indices, weights=np.repeat(w[rows], np.diff(sub.indptr)),
                            minlength=m)
    picks = np.asarray(picks, dtype=np.int64)
    if prune and len(picks):
        count = np.zeros(n, np.int64)
        for p in picks:
            count[csc.indices[csc.indptr[p]:csc.indptr[p + 1]]] += 1
        keep = np.ones(len(picks), bool)
        for k in range(len(picks) - 1, -1, -1):  # the late, small picks are the likely spares
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


def solve_cover(a: sp.csr_matrix, xy: np.ndarray, seed: int,
                deadline: float) -> tuple[np.ndarray, dict]:
    """The fewest columns reaching every row (columns placed at ``xy``): each independent
    part of the model solved on its own (small parts in milliseconds, exactly); a part the
    MILP cannot settle in its share of the time is improved window by window from the best
    cover found."""
    n, m = a.shape
    if n == 0:
        return np.zeros(0, np.int64), dict(gap=0.0, bound=0.0, greedy_objective=0.0,
                                           method="milp", status="nothing to cover")
    graph = sp.bmat([[None, a], [a.T, None]]).tocsr()
    _, label = connected_components(graph, directed=False)
    row_label, col_label = label[:n], label[n:]
    parts = np.unique(row_label)
    row_order = np.argsort(row_label, kind="stable")
    col_order = np.argsort(col_label, kind="stable")
    row_at = np.searchsorted(row_label[row_order], parts)
    col_at = np.searchsorted(col_label[col_order], parts)
    rows_of = np.split(row_order, row_at[1:])
    cols_of = [col_order[col_at[i]:np.searchsorted(col_label[col_order], p, "right")]
               for i, p in enumerate(parts)]
    size = np.array([a[r].nnz for r in rows_of], dtype=float)
    chosen, bound, g_total, counts = [], 0.0, 0.0, {}
    left = size.sum()
    for i in np.argsort(size, kind="stable"):
        sub = a[rows_of[i]][:, cols_of[i]].tocsr()
        remaining = deadline - time.perf_counter()
        # a share of the time by size, but a small part may still take a second
        share = max(remaining * size[i] / left, min(1.0, 0.1 * remaining))
        left -= size[i]
        pick, b, how, g = _cover_part(sub, xy[cols_of[i]], seed, share)
        counts[how] = counts.get(how, 0) + 1
        chosen.append(cols_of[i][pick])
        bound += b
        g_total += g
    chosen = np.sort(np.concatenate(chosen))
    obj = float(len(chosen))
    status = f"{len(parts)} independent parts: " + ", ".join(
        f"{v} {k}" for k, v in sorted(counts.items()))
    method = ("milp + windows" if any("windows" in k for k in counts)
              else "greedy" if any(k.startswith("greedy") for k in counts) else "milp")
    return chosen, dict(gap=_gap(obj, bound), bound=bound, greedy_objective=g_total,
                        method=method, status=status)


def _cover_part(a: sp.csr_matrix, xy: np.ndarray, seed: int, seconds: float):
    """One connected part: chosen columns, lower bound, how it was settled, greedy size."""
    end = time.perf_counter() + seconds
    n = a.shape[0]
    col_size = np.diff(a.tocsc().indptr)
    if col_size.max() == n:  # one column reaches every row
        return np.array([int(np.argmax(col_size))]), 1.0, "optimal", 1
    g = greedy(a, np.ones(n), None, seed, prune=True)
    if len(g) <= 2:  # no single column covers all, so two is optimal
        return g, float(len(g)), "optimal", len(g)
    floor = float(max(2, packing_bound(a)))
    if floor >= len(g):
        return g, floor, "optimal", len(g)
    if seconds <= 0:
        return g, floor, "greedy, no time left", len(g)
    # No objective cut (sum x <= greedy - 1): that one dense row makes HiGHS presolve run
    # for minutes past its time limit on big models.
    res = run(cover_model(a), seconds * MILP_SHARE)
    dual = getattr(res, "mip_dual_bound", None)
    bound = floor if dual is None or not np.isfinite(dual) else max(floor, np.ceil(dual - 1e-6))
    best, how = g, "greedy"
    if res.x is not None:
        x = np.flatnonzero(res.x > 0.5)
        if len(x) <= len(g) and covered(a, x).all():
            if res.status == 0:
                return x, float(len(x)), "optimal", len(g)
            best, how = x, "milp"
    if bound < len(best):  # the MILP may not have finished its root LP
        lag = lagrange_bound(a, len(best), min(LAGRANGE_S, LAGRANGE_SHARE * seconds))
        bound = max(bound, np.ceil(lag - 1e-6))
    if bound >= len(best):
        return best, float(len(best)), "optimal", len(g)
    if end - time.perf_counter() <= 0:
        return best, bound, f"{how}, {_why(res)}", len(g)
    better, tried = improve_cover(a, xy, best, end, seed=seed, floor=int(bound))
    if not tried["improving_windows"]:
        return best, bound, f"{how}, {_why(res)}", len(g)
    how = "optimal, found by windows" if len(better) <= bound else "windows, time limit"
    return better, min(bound, float(len(better))), how, len(g)


def _why(res) -> str:
    return "time limit" if res.status == 1 else f"solver status {res.status}"


def solve_max(a: sp.csr_matrix, w: np.ndarray, xy: np.ndarray, add: int, seed: int,
              deadline: float, hard: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """At most ``add`` columns reaching the most row weight, and every ``hard`` row: greedy,
    then the MILP, then (when it proved nothing in its share of the time) the window search.

    Raises
    ------
    InputError
        When the hard rows need more than ``add`` columns (the message says how many).
    """
    n, m = a.shape
    hard = np.zeros(n, bool) if hard is None else np.asarray(hard, bool)
    base = np.zeros(0, np.int64)
    if hard.any():
        base = _cover_hard(a, hard, xy, add, seed, deadline)
    rest = w * ~covered(a, base)
    g = np.union1d(base, greedy(a, rest, add - len(base), seed, prune=False)).astype(np.int64)
    g_obj = float(w[covered(a, g)].sum())
    info = dict(greedy_objective=g_obj, bound=np.nan, gap=np.nan, status="", method="greedy")
    if n == 0 or m == 0 or add == 0 or len(g) < add:
        # greedy stopped early: it reaches every row any column reaches, which is optimal
        return g, dict(info, bound=g_obj, gap=0.0, method="milp" if n else "greedy",
                       status="every reachable household covered" if n else "nothing to cover")
    seconds = deadline - time.perf_counter()
    if seconds <= 0:
        return g, dict(info, status="no time left for the MILP")
    res = run(max_model(a, w, add, hard), seconds * MAX_MILP_SHARE)
    dual = getattr(res, "mip_dual_bound", None)
    bound = np.nan if dual is None or not np.isfinite(dual) else -float(dual)
    info.update(bound=bound, status=str(res.message))
    best, best_obj = g, g_obj
    if res.x is not None:
        x = np.flatnonzero(res.x[:m] > 0.5)
        reached = covered(a, x)
        obj = float(w[reached].sum())
        if len(x) <= add and obj >= g_obj and reached[hard].all():
            if res.status == 0:
                return x, dict(info, gap=max(float(getattr(res, "mip_gap", 0) or 0), 0.0),
                               method="milp")
            best, best_obj, info["method"] = x, obj, "milp"
    if deadline - time.perf_counter() > 0 and not best_obj >= bound:
        better, tried = improve_max(a, w, xy, best, deadline, seed=seed, hard=hard)
        obj = float(w[covered(a, better)].sum())
        if tried["improving_windows"] and obj > best_obj:
            best, best_obj, info["method"] = better, obj, "milp + windows"
            info["status"] += (f"; then {tried['improving_windows']} of {tried['windows']} "
                               "windows improved it")
    return best, dict(info, gap=_gap(best_obj, bound))


def _cover_hard(a: sp.csr_matrix, hard: np.ndarray, xy: np.ndarray, add: int, seed: int,
                deadline: float) -> np.ndarray:
    """Columns reaching every hard row, at most ``add`` of them: greedy, or the exact cover
    when greedy needs too many."""
    sub = a[hard]
    pick = greedy(sub, np.ones(sub.shape[0]), None, seed, prune=True)
    if len(pick) <= add:
        return pick
    pick, info = solve_cover(sub, xy, seed, deadline)
    if len(pick) > add:
        from ..errors import InputError
        least = int(np.ceil(info["bound"] - 1e-9)) if info["gap"] else len(pick)
        raise InputError(
            f"add = {add}: too few stations to reach every grid; one station per grid needs "
            + (f"{least} new station{'s' * (least != 1)}" if least == len(pick)
               else f"at least {least} new stations (found {len(pick)})"))
    return pick
