"""Set covering on OR-Library instances: gridplan's ``site_from_matrix`` against plain HiGHS
(presolve on), greedy and the Caprara-Fischetti-Toth heuristic (``pycft``), side by side.

    python benchmarks/siting_orlib.py [--limit-s 60] [--instances rail507 scp41 ...]
        [--costs unicost weighted] [--methods gridplan highs greedy cft] [--out FILE]

The instances are read from ``<repo>/../shared/benchdata/orlib/`` (see its README: formats and
best known values). Each method gets the same time limit, one thread, seed 0; the gap is to
the best known value. Writes benchmarks/out/siting_orlib.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
DATA = HERE.parents[1] / "shared" / "benchdata" / "orlib"
#: Best known covers (weighted, unicost), from the data folder's README.
BEST = {"scp41": (429, 38), "scpnrg1": (176, 61), "scpclr13": (23, 23),
        "rail507": (174, 96), "rail516": (182, 134)}
OPTIMAL = {("scp41", "weighted"), ("rail507", "weighted"), ("rail507", "unicost"),
           ("rail516", "weighted"), ("rail516", "unicost")}
METHODS = ["gridplan", "highs", "greedy", "cft"]


def read_orlib(path: Path) -> tuple[sp.csr_matrix, np.ndarray]:
    """An OR-Library set-covering file as a rows x columns 0/1 matrix and the column costs:
    ``scp*`` files list the columns of each row, ``rail*`` files the rows of each column."""
    tok = np.array(path.read_text().split(), dtype=np.int64)
    m, n, p = int(tok[0]), int(tok[1]), 2
    rows, cols = [], []
    if path.name.startswith("rail"):
        cost = np.empty(n)
        for j in range(n):
            cost[j], k = tok[p], int(tok[p + 1])
            rows.append(tok[p + 2:p + 2 + k] - 1)
            cols.append(np.full(k, j))
            p += 2 + k
    else:
        cost = tok[p:p + n].astype(float)
        p += n
        for i in range(m):
            k = int(tok[p])
            rows.append(np.full(k, i))
            cols.append(tok[p + 1:p + 1 + k] - 1)
            p += 1 + k
    r, c = np.concatenate(rows), np.concatenate(cols)
    a = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(m, n))
    a.sum_duplicates()
    a.data[:] = 1.0
    return a, cost


def run_gridplan(a, cost, limit_s, unit):
    import gridplan as gp
    r = gp.site_from_matrix(a, costs=None if unit else cost, time_limit_s=limit_s, seed=0)
    return dict(cover=float(cost[r.chosen].sum()), bound=float(r.bound), method=r.method,
                status=r.status, feasible=bool(_covers(a, r.chosen)))


def run_highs(a, cost, limit_s, unit):
    """Plain HiGHS on the whole model: presolve on, no start, one thread."""
    import highspy
    from gridplan.coverage._models import _highs
    n, m = a.shape
    csc = a.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m, n
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost.astype(float), np.zeros(m), np.ones(m)
    lp.row_lower_, lp.row_upper_ = np.ones(n), np.full(n, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = csc.indptr, csc.indices
    lp.a_matrix_.value_ = csc.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m
    h = _highs()  # silent
    for k, v in (("time_limit", float(limit_s)), ("presolve", "on"), ("threads", 1),
                 ("random_seed", 0)):
        h.setOptionValue(k, v)
    h.passModel(lp)
    h.run()
    info = h.getInfo()
    x = (np.flatnonzero(np.asarray(h.getSolution().col_value) > 0.5)
         if info.primal_solution_status == 2 else np.zeros(0, np.int64))
    return dict(cover=float(cost[x].sum()) if len(x) else None,
                bound=float(info.mip_dual_bound), status=h.modelStatusToString(
                    h.getModelStatus()), feasible=bool(len(x) and _covers(a, x)))


def run_greedy(a, cost, limit_s, unit):
    from gridplan.coverage._solve import greedy
    x = greedy(a, np.ones(a.shape[0]), None, 0, prune=True, cost=cost)
    return dict(cover=float(cost[x].sum()), bound=None, feasible=bool(_covers(a, x)))


def run_cft(a, cost, limit_s, unit):
    """pycft as shipped (its C++ core; columns added through its bindings, as its own
    ``SetCoverSolver.add_set`` takes quadratic time on 63,009 columns)."""
    from gridplan.coverage._cft import cft_cover
    x, bound = cft_cover(a, cost, limit_s, 0)
    x = np.zeros(0, np.int64) if x is None else x
    return dict(cover=float(cost[x].sum()) if len(x) else None, bound=bound,
                feasible=bool(len(x) and _covers(a, x)))


def _covers(a, x) -> bool:
    return bool((a[:, np.asarray(x, np.int64)].sum(axis=1) > 0).all())


RUN = {"gridplan": run_gridplan, "highs": run_highs, "greedy": run_greedy, "cft": run_cft}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit-s", type=float, default=60.0, help="seconds per run [60]")
    ap.add_argument("--instances", nargs="+", default=list(BEST), choices=list(BEST))
    ap.add_argument("--costs", nargs="+", default=["unicost", "weighted"],
                    choices=["unicost", "weighted"])
    ap.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    ap.add_argument("--out", type=Path, default=OUT / "siting_orlib.json")
    args = ap.parse_args()
    import gridplan  # noqa: F401  imports out of the timings
    import highspy  # noqa: F401
    import pycft  # noqa: F401
    runs = []
    for name in args.instances:
        a, weights = read_orlib(DATA / f"{name}.txt")
        for mode in args.costs:
            unit = mode == "unicost"
            cost = np.ones(a.shape[1]) if unit else weights
            best = BEST[name][1 if unit else 0]
            for method in args.methods:
                load = [round(x, 2) for x in os.getloadavg()]
                t = time.perf_counter()
                r = RUN[method](a, cost, args.limit_s, unit)
                r.update(instance=name, rows=a.shape[0], columns=a.shape[1], costs=mode,
                         solver=method, best_known=best, best_proven=(name, mode) in OPTIMAL,
                         seconds=round(time.perf_counter() - t, 2), load_before=load)
                r["gap_to_best"] = (None if r["cover"] is None
                                    else round((r["cover"] - best) / best, 4))
                runs.append(r)
                print(json.dumps(r), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"limit_s": args.limit_s, "threads": 1, "seed": 0,
                                    "runs": runs}, indent=2) + "\n")
    print(table(runs, args.limit_s))


def table(runs, limit_s) -> str:
    lines = [f"| instance (rows × columns) | costs | best known | method ({limit_s:g} s) | "
             "cover | bound | seconds | gap to best |", "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        bound = r.get("bound")
        bound = "—" if bound is None or not np.isfinite(bound) or bound < 0 else f"{bound:,.1f}"
        cover = "none" if r["cover"] is None else f"{r['cover']:,.0f}"
        gap = "—" if r["gap_to_best"] is None else f"{100 * r['gap_to_best']:+.1f} %"
        lines.append(f"| {r['instance']} ({r['rows']:,} × {r['columns']:,}) | {r['costs']} | "
                     f"{r['best_known']:,}{' (optimal)' if r['best_proven'] else ''} | "
                     f"{r['solver']} | {cover} | {bound} | {r['seconds']:.1f} | {gap} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
