"""What-if speed: a first plan of the demo district against re-plans that change the range,
add stations, or ask for the best N new stations (the notebook API of issue #6).

    python benchmarks/replan.py [--households 60000] [--repeat 5]

Each figure is the best of ``--repeat`` runs in one process (the first plan of each round
starts from nothing: a new City and empty caches). Writes benchmarks/out/replan.json and
prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import gridplan as gp
    runs = {"first plan": [], "replan(max_households=400)": [], "with_stations('proposed')": [],
            "replan(add_stations=3)": []}
    checks = {}
    load = [round(x, 2) for x in os.getloadavg()]
    for _ in range(args.repeat):
        city = gp.synth(households=args.households, seed=args.seed)
        plan, s = _timed(lambda: gp.plan(city))
        runs["first plan"].append(s)
        tight, s = _timed(lambda: plan.replan(max_households=400))
        runs["replan(max_households=400)"].append(s)
        built, s = _timed(lambda: plan.with_stations("proposed"))
        runs["with_stations('proposed')"].append(s)
        three, s = _timed(lambda: plan.replan(add_stations=3))
        runs["replan(add_stations=3)"].append(s)
        fresh = gp.plan(city, max_households=400)
        checks = {
            "replan_equals_fresh_plan": bool(
                (fresh.grids["households"].to_numpy() == tight.grids["households"].to_numpy())
                .all()),
            "grids_in_range_300_400": float(tight.grids["households"].between(300, 400).mean()),
            "share_after_building_proposed": built.summary["coverage"]["straight_share"],
            "new_stations_three": int(len(three.proposed)),
        }
    best = {k: round(min(v), 3) for k, v in runs.items()}
    first = best["first plan"]
    result = {"households": args.households, "seed": args.seed, "repeat": args.repeat,
              "loadavg_before": load, "loadavg_after": [round(x, 2) for x in os.getloadavg()],
              "best_seconds": best,
              "share_of_first_plan": {k: round(v / first, 3) for k, v in best.items()},
              "all_seconds": {k: [round(x, 3) for x in v] for k, v in runs.items()},
              "checks": checks}
    OUT.mkdir(exist_ok=True)
    (OUT / "replan.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"| step ({args.households:,} households, best of {args.repeat}) | seconds | "
          "share of the first plan |\n| --- | --- | --- |")
    for k, v in best.items():
        print(f"| `{k}` | {v:.3f} | {v / first:.2f} |")
    print(json.dumps(checks))


if __name__ == "__main__":
    main()
