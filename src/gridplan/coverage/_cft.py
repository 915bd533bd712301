"""The Caprara-Fischetti-Toth set-covering heuristic (``pycft``) on a sparse covering model."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

#: pycft's tuning, as its ``SetCoverSolver.solve`` defaults (Caprara, Fischetti & Toth 1999).
_TUNING = dict(heur_iters=250, alpha=1.1, beta=1.0, abs_subgrad_exit=1.0,
               rel_subgrad_exit=0.001, min_fixing=0.3)


def cft_cover(a: sp.csr_matrix, cost: np.ndarray, seconds: float,
              seed: int) -> tuple[np.ndarray | None, float]:
    """A cheap cover of every row of ``a`` and a Lagrangian lower bound on the cheapest.

    Lagrangian subgradient with the multipliers kept, greedy by Lagrangian cost, a core
    problem re-priced now and then and column fixing, for at most ``seconds`` (less when
    its bound proves the cover). Every row must have a column. Returns the chosen columns
    (None when the heuristic found no cover) and the bound (-inf when it has none).
    """
    from pycft import _bindings as cft  # pycft's own wrapper adds columns in O(n^2)
    csc = a.tocsc()
    ind, ptr = csc.indices.tolist(), csc.indptr.tolist()
    inst = cft.Instance()
    for j, c in enumerate(np.asarray(cost, dtype=float).tolist()):
        inst.add(ind[ptr[j]:ptr[j + 1]], c)
    inst.prepare()
    env = cft.Environment()
    for key, value in _TUNING.items():
        setattr(env, key, value)
    env.seed, env.time_limit, env.verbose = int(seed), max(float(seconds), 0.01), 0
    # ``epsilon`` is the least improvement worth having: below 1 with whole costs, tiny else
    whole = np.all(np.asarray(cost) == np.round(cost))
    env.epsilon = 0.999 if whole else 1e-6 * max(float(np.min(cost, initial=1.0)), 1e-9)
    res = cft.run(env, inst, cft.Solution())
    cols = np.unique(np.asarray(list(res.sol.idxs), dtype=np.int64))
    bound = float(res.dual.cost)
    # pycft keeps costs in float32: keep its bound a true bound
    bound = bound - 1e-6 * abs(bound) if 0 <= bound < 1e30 else -np.inf
    return (cols if len(cols) else None), bound
