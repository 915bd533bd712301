"""What-if speed: a first plan of the demo district against re-plans that change the range,
add stations, or ask for the best N new stations (the notebook API of issue #6).

    python benchmarks/replan.py [--households 60000] [--repeat 5] [--out FILE]

Each figure is the best of ``--repeat`` runs in one process (the first plan of each round
starts from nothing: a new City and empty caches); each stage's figure is its own best
(``Plan.seconds`` and ``Plan.partition.seconds``). Writes benchmarks/out/replan.json and
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


def _same_grids(a, b) -> bool:
    """The same grids (ids, households, shapes) and every home in the same grid."""
    import shapely
    ga, gb = a.grids, b.grids
    return bool(len(ga) == len(gb)
                and (ga["grid_id"].to_numpy() == gb["grid_id"].to_numpy()).all()
                and (ga["households"].to_numpy() == gb["households"].to_numpy()).all()
                and shapely.equals_exact(ga.geometry.values, gb.geometry.values, 0).all()
                and (a.homes["grid_id"].to_numpy() == b.homes["grid_id"].to_numpy()).all())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=OUT / "replan.json")
    args = ap.parse_args()
    import gridplan as gp
    runs = {"first plan": [], "replan(max_households=400)": [], "with_stations('proposed')": [],
            "replan(add_stations=3)": []}
    stages = {"first plan": {}, "replan(max_households=400)": {}}
    checks = {}
    load = [round(x, 2) for x in os.getloadavg()]
    for _ in range(args.repeat):
        city = gp.synth(households=args.households, seed=args.seed)
        plan, s = _timed(lambda: gp.plan(city))
        runs["first plan"].append(s)
        tight, s = _timed(lambda: plan.replan(max_households=400))
        runs["replan(max_households=400)"].append(s)
        for name, p in (("first plan", plan), ("replan(max_households=400)", tight)):
            for stage, sec in {**p.seconds, **{f"partition.{k}": v for k, v in
                                                p.partition.seconds.items() if k != "total"}
                               }.items():
                stages[name].setdefault(stage, []).append(sec)
        built, s = _timed(lambda: plan.with_stations("proposed"))
        runs["with_stations('proposed')"].append(s)
        three, s = _timed(lambda: plan.replan(add_stations=3))
        runs["replan(add_stations=3)"].append(s)
        fresh = gp.plan(city, max_households=400)
        checks = {
            "replan_equals_fresh_plan": _same_grids(tight, fresh),
            "grids_in_range_300_400": float(tight.grids["households"].between(300, 400).mean()),
            "share_after_building_proposed": built.summary.coverage.straight_share,
            "new_stations_three": int(len(three.proposed)),
        }
    best = {k: round(min(v), 3) for k, v in runs.items()}
    first = best["first plan"]
    result = {"households": args.households, "seed": args.seed, "repeat": args.repeat,
              "loadavg_before": load, "loadavg_after": [round(x, 2) for x in os.getloadavg()],
              "best_seconds": best,
              "share_of_first_plan": {k: round(v / first, 3) for k, v in best.items()},
              "best_stage_seconds": {k: {st: round(min(v), 3) for st, v in d.items()}
                                     for k, d in stages.items()},
              "all_seconds": {k: [round(x, 3) for x in v] for k, v in runs.items()},
              "checks": checks}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"| step ({args.households:,} households, best of {args.repeat}) | seconds | "
          "share of the first plan |\n| --- | --- | --- |")
    for k, v in best.items():
        print(f"| `{k}` | {v:.3f} | {v / first:.2f} |")
    print(json.dumps(result["best_stage_seconds"]))
    print(json.dumps(checks))


if __name__ == "__main__":
    main()
