"""Improving a siting answer window by window: the chosen sites nearest a random chosen site
(by position, or without positions by the homes they share) are taken out and the window is
solved again, exactly, by HiGHS, with the sites outside it fixed. A large neighbourhood
search: on big models the whole MILP stalls far from the optimum, while a window of a few
dozen sites solves in milliseconds and the windows together walk the answer down (fewer
sites) or up (more households)."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from ._models import cover_model, max_model, run

#: Chosen sites in a window at first, and at most when windows keep failing to improve.
WINDOW_SITES = 8
WINDOW_SITES_MAX = 30
#: Seconds HiGHS gets for one window.
WINDOW_S = 1.0


def improve_cover(a: sp.csr_matrix, xy: np.ndarray | None, start, deadline: float, *,
                  seed: int, floor: float = 0, cost: np.ndarray | None = None,
                  until=None) -> tuple[np.ndarray, dict]:
    """A cover of every row of ``a`` no dearer than ``start`` (unit costs when ``cost`` is
    None), improved until ``deadline`` (a ``time.perf_counter()`` value) or until it costs
    ``floor``, or until ``until()`` is true.

    Each window drops the chosen columns nearest a random chosen one (by ``xy``; without
    positions, those sharing the most rows near it) and solves the cheapest columns
    reaching the rows only they reached. A cheaper answer is kept; an equal one is kept
    too, so the search moves across plateaus. Windows grow when they keep failing and
    shrink back after a gain. Returns the cover and counts of windows tried and improving.
    """
    c = np.ones(a.shape[1]) if cost is None else np.asarray(cost, float)
    crumbs = 1e-9 * max(1.0, float(c.max(initial=1.0)))

    def window(search: _Search, drop: np.ndarray):
        alone = search.alone(drop)
        new = _solve(np.ones(0), search.a[alone], np.zeros(len(alone), bool), None,
                     search.seconds(), cost=c)
        if new is None:
            return None, 0.0
        gain = float(c[drop].sum() - c[new].sum())
        return new, gain if abs(gain) > crumbs else 0.0

    search = _Search(a, xy, start, deadline, seed)
    return search.run(window, stop=lambda: c[search.chosen].sum() <= floor + crumbs
                      or (until is not None and until()))


def improve_max(a: sp.csr_matrix, w: np.ndarray, xy: np.ndarray, start, deadline: float, *,
                seed: int, hard: np.ndarray | None = None, cost: np.ndarray | None = None,
                budget: float | None = None) -> tuple[np.ndarray, dict]:
    """As many columns as ``start`` (with ``cost``: columns costing at most ``budget`` in
    all) reaching at least its row weight and every ``hard`` row it reaches, improved window
    by window until ``deadline``.

    A window takes out the chosen columns nearest a random chosen one and may put back as
    many (as much cost, plus what the budget has spare) from every column in the disc they
    span, to reach the most weight among the rows no column outside the window reaches.
    Returns the columns and counts of windows.
    """
    hard = np.zeros(a.shape[0], bool) if hard is None else np.asarray(hard, bool)
    tree = None if xy is None else cKDTree(xy)
    crumbs = 1e-9 * max(1.0, float(w.sum()))

    def window(search: _Search, drop: np.ndarray):
        if tree is None:  # every column sharing a row with a dropped one
            cols = np.unique(search.a[np.unique(search.rows_of(drop))].indices)
        else:
            centre = xy[drop[0]]
            span = np.hypot(*(xy[drop] - centre).T).max()
            cols = np.asarray(tree.query_ball_point(centre, span * (1 + 1e-9) + 1e-9),
                              np.int64)
        cols = cols[~search.chosen[cols] | np.isin(cols, drop)]
        mine = search.alone(drop)
        free = np.union1d(mine, search.unreached(cols))  # rows the window alone decides
        sub = search.a[free][:, cols]
        now = float(w[mine].sum())
        if cost is None:
            room, c = len(drop), None
        else:  # what the window frees, and what the whole answer leaves unspent
            room = budget - float(cost[search.chosen].sum()) + float(cost[drop].sum())
            c = cost[cols]
        pick = _solve(w[free], sub, hard[free] & (search.count[free] > 0), room,
                      search.seconds(), cost=c)
        if pick is None:
            return None, 0.0
        got = float(w[free][np.diff(sub[:, pick].tocsr().indptr) > 0].sum())
        gain = got - now
        return (cols[pick], gain if abs(gain) > crumbs else 0.0)

    search = _Search(a, xy, start, deadline, seed)
    return search.run(window, stop=lambda: False)


class _Search:
    """The state of a window search: chosen columns and how often each row is reached."""

    def __init__(self, a, xy, start, deadline, seed):
        self.a = a.tocsr()
        self.csc = a.tocsc()
        self.xy = xy
        self.deadline = deadline
        self.rng = np.random.default_rng(seed)
        self.chosen = np.zeros(a.shape[1], bool)
        self.chosen[np.asarray(start, dtype=np.int64)] = True
        ind, ptr = self.csc.indices, self.csc.indptr
        self.count = np.bincount(ind[np.repeat(self.chosen, np.diff(ptr))],
                                 minlength=a.shape[0])

    def seconds(self) -> float:
        return min(WINDOW_S, self.deadline - time.perf_counter())

    def rows_of(self, cols) -> np.ndarray:
        ind, ptr = self.csc.indices, self.csc.indptr
        if len(cols) == 0:
            return np.zeros(0, np.int64)
        return np.concatenate([ind[ptr[j]:ptr[j + 1]] for j in cols])

    def alone(self, drop) -> np.ndarray:
        """Rows of the chosen columns ``drop`` that no other chosen column reaches."""
        rows, hits = np.unique(self.rows_of(drop), return_counts=True)
        return rows[self.count[rows] == hits]

    def unreached(self, cols) -> np.ndarray:
        """Rows of ``cols`` that no chosen column reaches."""
        rows = np.unique(self.rows_of(cols))
        return rows[self.count[rows] == 0]

    def near(self, sites: np.ndarray, centre: int, k: int) -> np.ndarray:
        """Up to ``k`` chosen columns near ``centre`` (itself first): nearest by position,
        or without positions those reaching the most rows that a column reaching one of
        ``centre``'s rows also reaches."""
        if self.xy is not None:
            _, near = cKDTree(self.xy[sites]).query(self.xy[centre], k=min(k, len(sites)))
            return sites[np.atleast_1d(near)]
        cols = np.unique(self.a[self.rows_of([centre])].indices)
        rows = np.unique(self.rows_of(cols))
        sub = self.a[rows]
        hits = np.bincount(sub.indices[self.chosen[sub.indices]], minlength=self.a.shape[1])
        hits[centre] = np.iinfo(hits.dtype).max
        near = np.flatnonzero(hits)
        return near[np.argsort(-hits[near], kind="stable")[:k]]

    def move(self, drop, new) -> None:
        for cols, step in ((drop, -1), (new, +1)):
            for j in cols:
                self.count[self.csc.indices[self.csc.indptr[j]:self.csc.indptr[j + 1]]] += step
        self.chosen[drop] = False
        self.chosen[new] = True

    def run(self, window, stop) -> tuple[np.ndarray, dict]:
        k, fails, tried, gains = WINDOW_SITES, 0, 0, 0
        while time.perf_counter() < self.deadline and not stop():
            sites = np.flatnonzero(self.chosen)
            if len(sites) == 0:
                break
            tried += 1
            drop = self.near(sites, sites[self.rng.integers(len(sites))], k)
            new, gain = window(self, drop)
            if new is not None and gain >= 0:
                self.move(drop, new)
            if new is not None and gain > 0:
                gains += 1
                k, fails = WINDOW_SITES, 0
            else:
                fails += 1
                if fails > max(5, 2 * len(sites) / k):
                    k, fails = min(WINDOW_SITES_MAX, k + 2), 0
        return np.flatnonzero(self.chosen), dict(windows=tried, improving_windows=gains)


def _solve(w: np.ndarray, sub: sp.csr_matrix, must: np.ndarray, budget: float | None,
           seconds: float, cost: np.ndarray | None = None) -> np.ndarray | None:
    """Columns of ``sub`` chosen by HiGHS within ``seconds``, or None. With ``budget`` None:
    the cheapest (by ``cost``, one per column when None) reaching every row; else at most
    ``budget`` in cost reaching the most weight ``w`` and every ``must`` row."""
    if sub.shape[0] == 0:
        return np.zeros(0, np.int64)
    if seconds <= 0:
        return None
    if budget is None:
        cols = np.unique(sub.indices)
        res = run(cover_model(sub[:, cols], None if cost is None else cost[cols]), seconds)
        return None if res.x is None else cols[res.x > 0.5]
    res = run(max_model(sub, w, budget, must, cost), seconds)
    return None if res.x is None else np.flatnonzero(res.x[:sub.shape[1]] > 0.5)
