"""How much the unproven siting answers vary with the seed: the hard instances without
existing stations (issue #4), gridplan's ``site_stations`` with seeds 0..N-1, one process,
the same 60 s budget as in ``coverage_vs_peers.py``.

    python benchmarks/siting_spread.py [--seeds 5] [--limit-s 60] [--target] [--out FILE]

The seed breaks greedy ties and picks the windows of the window search. Writes
benchmarks/out/siting_spread.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from coverage_vs_peers import RADIUS_M, siting_instance

OUT = Path(__file__).resolve().parent / "out"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--limit-s", type=float, default=60)
    ap.add_argument("--out", type=Path, default=OUT / "siting_spread.json")
    ap.add_argument("--target", action="store_true",
                    help="also the 50,000 x 5,000 instance (LSCP and MCLP p = 300)")
    args = ap.parse_args()
    from gridplan.coverage import site_stations
    cases = [("issue reference: 5,262 homes × 2,000 candidates", (700_000, 5_262, 2_000),
              [("LSCP", None)])]
    if args.target:
        cases.append(("issue target: 50,000 homes × 5,000 candidates",
                      (6_600_000, 50_000, 5_000), [("LSCP", None), ("MCLP, p = 300", 300)]))
    rows = []
    for name, size, problems in cases:
        inst = siting_instance(*size, existing=False)
        for problem, add in problems:
            for seed in range(args.seeds):
                load = [round(x, 2) for x in os.getloadavg()]
                r = site_stations(inst["demand_xy"], inst["weight"], inst["cand_xy"],
                                  radius_m=RADIUS_M, add=add, time_limit_s=args.limit_s,
                                  seed=seed)
                rows.append({"instance": name, "problem": problem, "seed": seed,
                             "objective": r.objective, "bound": float(r.bound),
                             "gap": float(r.gap), "greedy_objective": r.greedy_objective,
                             "method": r.method, "status": r.status,
                             "seconds": round(r.seconds, 2), "load_before": load})
                print(json.dumps(rows[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(
        {"limit_s": args.limit_s, "radius_m": RADIUS_M, "runs": rows}, indent=2) + "\n")
    print("| instance | problem | seed | objective | greedy | bound | gap | seconds |\n"
          "|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['instance']} | {r['problem']} | {r['seed']} | {r['objective']:,.0f} | "
              f"{r['greedy_objective']:,.0f} | {r['bound']:,.0f} | {r['gap']:.4f} | "
              f"{r['seconds']:.1f} |")


if __name__ == "__main__":
    main()
