"""Partition at city scale: seeded synthetic districts from `gridplan synth`, each planned in its
own process (so peak memory is the partition's own).

    python benchmarks/partition_city_scale.py [--households 60000 200000 1000000] [--seeds 0]

Writes benchmarks/out/partition_city_scale.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def _child(households, seed, q):
    import gridplan as gp
    from gridplan.partition.bounded import divisible
    t = time.perf_counter()
    city = gp.synth(households=households, seed=seed)
    synth_s = time.perf_counter() - t
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    p = gp.partition(city)
    secs = time.perf_counter() - t
    g, c = p.grids, p.communities
    cfg = gp.PlanConfig()
    q.put({
        "households": households, "seed": seed, "homes": int(len(city.homes)),
        "synth_seconds": round(synth_s, 2), "partition_seconds": round(secs, 2),
        "stages": {k: round(v, 2) for k, v in p.seconds.items()},
        "grids": int(len(g)), "grids_in_range": round(float(g["in_range"].mean()), 4),
        "feasible": bool(divisible(int(g["households"].sum()), cfg.min_households,
                                   cfg.max_households)),
        "largest": int(g["households"].max()), "smallest": int(g["households"].min()),
        "mean_polsby_popper": round(float(g["polsby_popper"].mean()), 4),
        "grids_in_pieces": int((g["parts"] > 1).sum()),
        "communities": int(len(c)),
        "communities_in_range": round(float(c["in_range"].mean()), 4),
        "buildings_shared_by_grids": int((p.homes["part"] > 0).groupby(p.homes["home_index"])
                                         .any().sum()),
        "grids_spanning_water": int((g["crosses_water"] > 0).sum()),
        "peak_rss_mb_before_partition": round(rss_before, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    })


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, nargs="+", default=[60_000, 200_000, 1_000_000])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = ap.parse_args()
    rows = []
    ctx = mp.get_context("fork")
    for n in args.households:
        for seed in args.seeds:
            q = ctx.Queue()
            p = ctx.Process(target=_child, args=(n, seed, q))
            p.start()
            r = q.get()
            p.join()
            print(json.dumps(r), flush=True)
            rows.append(r)
    OUT.mkdir(exist_ok=True)
    (OUT / "partition_city_scale.json").write_text(json.dumps(
        {"machine": "2 cores, 24 GB", "results": rows}, indent=2))
    print("| households | homes | partition s | grids | in 300–500 | mean Polsby-Popper | "
          "communities in range | buildings shared | peak MB |\n|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['households']:,} | {r['homes']:,} | {r['partition_seconds']} | {r['grids']:,} | "
              f"{r['grids_in_range']:.1%} | {r['mean_polsby_popper']} | "
              f"{r['communities_in_range']:.1%} | {r['buildings_shared_by_grids']} | "
              f"{r['peak_rss_mb']} |")


if __name__ == "__main__":
    main()
