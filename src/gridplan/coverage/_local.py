"""Row-weighting local search for set covering (RWLS, Gao, Weise & Li 2015), compiled by numba."""

from __future__ import annotations

import threading
import time

import numpy as np
import scipy.sparse as sp
from numba import njit

#: Seconds of one compiled call between two looks at the clock (and at ``until``).
CALL_S = 0.1

_loaded = False
_compiling = None
_compiling_lock = threading.Lock()

# cache=True: numba keeps the compiled kernels next to this module when it can write
# there, else in its user cache directory, and compiles again when the source changes;
# a cold compile takes seconds (see ``warm_up``).


@njit(cache=True, nogil=True)
def seed_rng(seed):
    np.random.seed(seed)


@njit(cache=True, nogil=True)
def remove(j, col_ptr, col_rows, row_ptr, row_cols, in_s, sol, sol_pos, st, score, w,
           cov, gone, unc, unc_pos, cost, fs, stamp, step, rx, rs):
    """Take column ``j`` out. ``rx``: per row, the XOR of the chosen columns covering it
    (the one column, when one covers it); ``rs``: per row, the event that last changed
    its columns; ``gone``: per column, the event that took it out (for configuration
    checking, see ``addable``)."""
    in_s[j] = False
    p = sol_pos[j]
    last = sol[st[0] - 1]
    sol[p], sol_pos[last] = last, p
    st[0] -= 1
    fs[0] -= cost[j]
    score[j] = -score[j]
    stamp[j] = step
    ev = st[4]
    st[4] += 1
    gone[j] = ev
    for q in range(col_ptr[j], col_ptr[j + 1]):
        i = col_rows[q]
        cov[i] -= 1
        rx[i] ^= j
        rs[i] = ev
        if cov[i] == 0:
            unc[st[1]], unc_pos[i] = i, st[1]
            st[1] += 1
            for r in range(row_ptr[i], row_ptr[i + 1]):
                c = row_cols[r]
                if c != j:
                    score[c] += w[i]
        elif cov[i] == 1:
            score[rx[i]] -= w[i]


@njit(cache=True, nogil=True)
def add(j, col_ptr, col_rows, row_ptr, row_cols, in_s, sol, sol_pos, st, score, w,
        cov, gone, unc, unc_pos, cost, fs, stamp, step, rx, rs):
    """Put column ``j`` in (see ``remove``)."""
    in_s[j] = True
    sol[st[0]], sol_pos[j] = j, st[0]
    st[0] += 1
    fs[0] += cost[j]
    score[j] = -score[j]
    stamp[j] = step
    ev = st[4]
    st[4] += 1
    for q in range(col_ptr[j], col_ptr[j + 1]):
        i = col_rows[q]
        cov[i] += 1
        if cov[i] == 1:
            p = unc_pos[i]
            last = unc[st[1] - 1]
            unc[p], unc_pos[last] = last, p
            st[1] -= 1
            for r in range(row_ptr[i], row_ptr[i + 1]):
                c = row_cols[r]
                if c != j:
                    score[c] -= w[i]
        elif cov[i] == 2:
            score[rx[i]] += w[i]
        rx[i] ^= j
        rs[i] = ev


@njit(cache=True, nogil=True)
def addable(c, col_ptr, col_rows, gone, rs):
    """Configuration checking: a column taken out comes back only once a column sharing
    a row with it has changed since."""
    if gone[c] < 0:
        return True
    for q in range(col_ptr[c], col_ptr[c + 1]):
        if rs[col_rows[q]] > gone[c]:
            return True
    return False


@njit(cache=True, nogil=True)
def worst_in(sol, st, score, cost, stamp, tabu):
    """The chosen column whose removal loses least row weight per unit of cost (the
    oldest on ties), not the one just added."""
    best, bv = -1, -np.inf
    for k in range(st[0]):
        c = sol[k]
        if c == tabu:
            continue
        v = score[c] / cost[c]
        if v > bv or (v == bv and stamp[c] < stamp[best]):
            best, bv = c, v
    if best < 0 and st[0] > 0:
        best = sol[0]
    return best


@njit(cache=True, nogil=True)
def steps(n_steps, col_ptr, col_rows, row_ptr, row_cols, in_s, sol, sol_pos, st, score,
          w, cov, gone, unc, unc_pos, cost, fs, stamp, best_s, rx, rs):
    """``n_steps`` swaps; st = [size, uncovered, tabu, step, event]; fs = [cost, best
    cost].
    Writes the cheapest cover met into ``best_s``; returns whether one was met."""
    improved = False
    tol = 1e-9 * max(1.0, abs(fs[0]))  # fs[1] may be inf
    for _ in range(n_steps):
        step = st[3]
        st[3] += 1
        # a cover: keep it when it is the cheapest yet, then drop a column to look
        # for a cheaper one
        while st[1] == 0:
            if fs[0] < fs[1] - tol:
                fs[1] = fs[0]
                best_s[:] = in_s
                improved = True
            if st[0] == 0:
                return improved
            j = worst_in(sol, st, score, cost, stamp, -1)
            remove(j, col_ptr, col_rows, row_ptr, row_cols, in_s, sol, sol_pos, st,
                   score, w, cov, gone, unc, unc_pos, cost, fs, stamp, step, rx, rs)
        # weighted costs: only covers cheaper than the best are worth reaching
        while st[0] > 0 and fs[0] >= fs[1] - tol:
            j = worst_in(sol, st, score, cost, stamp, st[2])
            remove(j, col_ptr, col_rows, row_ptr, row_cols, in_s, sol, sol_pos, st,
                   score, w, cov, gone, unc, unc_pos, cost, fs, stamp, step, rx, rs)
        if st[0] > 0:
            j = worst_in(sol, st, score, cost, stamp, st[2])
            remove(j, col_ptr, col_rows, row_ptr, row_cols, in_s, sol, sol_pos, st,
                   score, w, cov, gone, unc, unc_pos, cost, fs, stamp, step, rx, rs)
        # add the best column (by row weight gained per unit of cost, oldest on ties)
        # over a random uncovered row, among those whose neighbourhood changed since
        # they were dropped (configuration checking)
        i = unc[np.random.randint(st[1])]
        best, bv, anyc, av = -1, -np.inf, -1, -np.inf
        for r in range(row_ptr[i], row_ptr[i + 1]):
            c = row_cols[r]
            v = score[c] / cost[c]
            if (v > bv or (v == bv and stamp[c] < stamp[best])) and addable(
                    c, col_ptr, col_rows, gone, rs):
                best, bv = c, v
            if v > av or (v == av and stamp[c] < stamp[anyc]):
                anyc, av = c, v
        if best < 0:
            best = anyc
        add(best, col_ptr, col_rows, row_ptr, row_cols, in_s, sol, sol_pos, st, score,
            w, cov, gone, unc, unc_pos, cost, fs, stamp, step, rx, rs)
        st[2] = best
        # weigh the rows left uncovered up: their columns gain
        for k in range(st[1]):
            r0 = unc[k]
            w[r0] += 1.0
            for r in range(row_ptr[r0], row_ptr[r0 + 1]):
                score[row_cols[r]] += 1.0
    return improved


def warm_up() -> float:
    """Compile (or load from numba's cache) the kernels; returns the seconds it took."""
    global _loaded
    t = time.perf_counter()
    a = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], float))
    local_search(a, np.ones(3), np.array([0, 1, 2]), np.inf, seed=0, max_steps=10)
    _loaded = True
    return time.perf_counter() - t


#: The compiling process' program.
WARM_UP = "from gridplan.coverage._local import warm_up; warm_up()"


def when_ready():
    """A function telling whether the local search can start at once. With numba's cache
    cold, compiling takes 5-15 s: that is done in a worker process (a fresh interpreter,
    not a fork: see ``_aside``), which fills the cache, while the caller goes on with other
    heuristics; the kernels are then loaded from the cache in under a second. Where no
    process can be started, they are compiled here, now. Solves in threads side by side
    share one compiling process."""
    import subprocess
    import sys
    global _compiling
    if _loaded:
        return lambda wait=0.0: True
    with _compiling_lock:
        if _compiling is None and _in_cache():
            # loading from the cache here takes a third of a second; a process of its own
            # would first load NumPy, SciPy and numba (a second)
            return lambda wait=0.0: _loaded or warm_up() >= 0
        if _compiling is None:  # one compiling process for all the parts of a model
            from ._aside import worker_env
            try:
                _compiling = subprocess.Popen(
                    [sys.executable, "-c", WARM_UP], stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=worker_env())
            except OSError:
                warm_up()
                return lambda wait=0.0: True
            import atexit
            atexit.register(_end_compiling)

    def ready(wait: float = 0.0) -> bool:
        """Whether the kernels are ready, waiting up to ``wait`` seconds for the process."""
        global _compiling
        if not _loaded:
            compiling = _compiling  # another thread may see it end first
            if compiling is not None:
                try:
                    compiling.wait(max(wait, 0.0))
                except subprocess.TimeoutExpired:
                    return False
                with _compiling_lock:
                    if _compiling is compiling:
                        _compiling = None
            warm_up()
        return True
    return ready


def _in_cache() -> bool:
    """Whether numba's cache holds every kernel compiled from this very source (its index
    records the source's time stamp) for this CPU (a cache shared with another machine
    would compile here, for seconds). Reads the index through numba's internals: when they
    change, the answer is False and the kernels compile in a process aside, as when cold."""
    try:
        for k in (seed_rng, remove, add, addable, worst_in, steps):
            cpu = k.targetctx.codegen().magic_tuple()
            if not any(key[1] == cpu for key in k._cache._cache_file._load_index()):
                return False
        return True
    except Exception:  # noqa: BLE001 - any change in numba's internals
        return False


def _end_compiling() -> None:
    """At exit, a compiling process still running is ended (as a daemon child was)."""
    if _compiling is not None and _compiling.poll() is None:
        _compiling.kill()


def local_search(a: sp.csr_matrix, cost: np.ndarray, start: np.ndarray, deadline: float, *,
                 seed: int = 0, floor=-np.inf, max_steps: int | None = None,
                 until=None) -> tuple[np.ndarray, int]:
    """A cheaper cover of every row of ``a`` than ``start`` (a cover), by row-weighting
    local search: from a cover, drop columns, then swap one chosen column for one over a
    random uncovered row, weighing rows that stay uncovered up so that the search leaves
    them; the cheapest cover met is kept. Runs until ``deadline`` (``time.perf_counter``),
    ``max_steps`` swaps, ``until()`` is true or the cover costs ``floor`` (a lower bound,
    or a function giving the best lower bound known now, looked at between calls).
    Returns the cheapest cover (``start`` when none was cheaper) and the swaps made."""
    n, m = a.shape
    csr = a.tocsr()
    csc = a.tocsc()
    col_ptr, col_rows = csc.indptr.astype(np.int64), csc.indices.astype(np.int64)
    row_ptr, row_cols = csr.indptr.astype(np.int64), csr.indices.astype(np.int64)
    cost = np.maximum(np.asarray(cost, np.float64), 1e-12)
    start = np.unique(np.asarray(start, np.int64))
    in_s = np.zeros(m, np.bool_)
    in_s[start] = True
    sol = np.zeros(m, np.int64)
    sol_pos = np.zeros(m, np.int64)
    sol[:len(start)] = start
    sol_pos[start] = np.arange(len(start))
    cov = np.bincount(col_rows, weights=np.repeat(in_s, np.diff(col_ptr)).astype(float),
                      minlength=n).astype(np.int64)
    if (cov == 0).any():
        raise ValueError("the start is not a cover")
    w = np.ones(n)
    # chosen columns: minus the weight of the rows only they cover; others gain nothing yet
    only = np.flatnonzero(cov == 1)
    score = np.zeros(m)
    row_of = np.repeat(np.arange(n), np.diff(row_ptr))
    mine = in_s[row_cols] & np.isin(row_of, only)
    np.subtract.at(score, row_cols[mine], 1.0)
    gone = np.full(m, -1, np.int64)
    rx = np.bitwise_xor.reduceat(np.where(in_s[row_cols], row_cols, 0), row_ptr[:-1])
    rs = np.full(n, -1, np.int64)
    stamp = np.zeros(m, np.int64)
    unc = np.zeros(n, np.int64)
    unc_pos = np.zeros(n, np.int64)
    st = np.array([len(start), 0, -1, 0, 0], np.int64)
    fs = np.array([float(cost[start].sum()), np.inf])
    best_s = in_s.copy()
    seed_rng(int(seed))
    limit = np.iinfo(np.int64).max if max_steps is None else int(max_steps)
    chunk = 100
    while st[3] < limit and not (until and until()):
        now = time.perf_counter()
        if now >= deadline:
            break
        steps(min(chunk, limit - int(st[3])), col_ptr, col_rows, row_ptr, row_cols,
              in_s, sol, sol_pos, st, score, w, cov, gone, unc, unc_pos, cost, fs, stamp,
              best_s, rx, rs)
        low = floor() if callable(floor) else floor
        if (st[0] == 0 and st[1] == 0) or fs[1] <= low + 1e-9 * max(1.0, abs(low)):
            break
        # swaps cost from a microsecond (200 x 1,000) to a millisecond (4,095 x 715):
        # calls of about CALL_S, not past the deadline
        took = max(time.perf_counter() - now, 1e-6)
        want = min(CALL_S, max(deadline - time.perf_counter(), 0.0))
        chunk = int(np.clip(chunk * want / took, 1, 100 * chunk))
    return np.flatnonzero(best_s), int(st[3])
