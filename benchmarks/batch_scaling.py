"""Batch scaling: seeded districts from `gridplan synth`, planned by `gridplan batch` on a
LocalCluster of 1 and of 2 worker processes; regions per minute, speed-up, and the projection
to a province.

    python benchmarks/batch_scaling.py [--districts 40] [--households 100000] [--workers 1 2]
                                       [--repeats 2] [--scratch /tmp/gridplan-batch-bench]

Inputs are generated once into the scratch folder (outside git) and reused; each run writes a
fresh batch folder there. Other work may share the cores, so the load average is sampled during
each run, a pure-Python loop is timed alone and as a pair before and after, and speed-up
compares the fastest run of each worker count. Writes benchmarks/out/batch_scaling.json and
prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import threading
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
PROVINCE_HOUSEHOLDS = 30_000_000
PROVINCE_HOURS = 1.0


def make_inputs(scratch: Path, districts: int, households: int) -> list[Path]:
    import gridplan as gp
    folder = scratch / f"inputs-{households}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for seed in range(districts):
        path = folder / f"district-{seed:03d}.gpkg"
        if not path.exists():
            tmp = path.with_name(f".{path.stem}.tmp.gpkg")
            tmp.unlink(missing_ok=True)
            gp.synth(households=households, seed=seed).to_gpkg(tmp)
            tmp.replace(path)
        paths.append(path)
    return paths


class LoadSampler(threading.Thread):
    """The 1-minute load average every few seconds while a run goes on (it counts the run's
    own workers too: what others add is about the load minus the workers)."""

    def __init__(self, every_s: float = 2.0):
        super().__init__(daemon=True)
        self.every_s, self.samples, self.stop = every_s, [], threading.Event()

    def run(self):
        while not self.stop.wait(self.every_s):
            self.samples.append(os.getloadavg()[0])


def run(paths: list[Path], out: Path, workers: int) -> dict:
    from gridplan.batch import run_batch
    shutil.rmtree(out, ignore_errors=True)
    load_before = os.getloadavg()
    sampler = LoadSampler()
    sampler.start()
    t = time.perf_counter()
    result = run_batch(paths, out, workers=workers)
    wall = time.perf_counter() - t
    sampler.stop.set()
    load_after = os.getloadavg()
    tasks = [r.seconds for r in result.regions if r.complete]
    totals = result.summary.totals
    return {
        "workers": workers,
        "regions": len(result.regions),
        "failed": len(result.failed),
        "households": totals.households,
        "grids": totals.grids,
        "grids_within_bounds_share": totals.grids_within_bounds_share,
        "households_check_ok": totals.households_check.ok,
        "wall_seconds": round(wall, 2),
        "regions_per_minute": round(len(tasks) / wall * 60, 2),
        "task_seconds_mean": round(statistics.mean(tasks), 3),
        "task_seconds_max": round(max(tasks), 3),
        "task_seconds_sum": round(sum(tasks), 2),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "load_1min_during_mean": round(statistics.mean(sampler.samples), 2)
        if sampler.samples else None,
        "load_1min_during_max": round(max(sampler.samples), 2) if sampler.samples else None,
        "tasks_done_seconds": result.summary.tasks_done_seconds,
        "merge_seconds": round(wall - result.summary.tasks_done_seconds, 2),
    }


def projection(runs: list[dict], households: int) -> dict:
    """Workers needed to plan a province in an hour, from each run's cost of one district to
    one worker: wall time × workers ÷ districts (which carries loading, planning, writing,
    the cluster's start and the merge)."""
    districts = math.ceil(PROVINCE_HOUSEHOLDS / households)
    out = {"province_households": PROVINCE_HOUSEHOLDS, "district_households": households,
           "districts": districts, "hours": PROVINCE_HOURS, "from_runs": []}
    for r in runs:
        per_district_s = r["wall_seconds"] * r["workers"] / r["regions"]
        worker_seconds = districts * per_district_s
        out["from_runs"].append({
            "workers": r["workers"],
            "worker_seconds_per_district": round(per_district_s, 3),
            "worker_seconds": round(worker_seconds, 1),
            "workers_needed": math.ceil(worker_seconds / (PROVINCE_HOURS * 3600)),
        })
    return out


def _spin(n: int = 20_000_000) -> float:
    t = time.perf_counter()
    x = 0
    for i in range(n):
        x += i
    return time.perf_counter() - t


def cores_check() -> dict:
    """A pure-Python loop alone, then in two processes at once: on two free cores both take
    as long as one alone; when others use the cores, the pair is slower."""
    import multiprocessing as mp
    alone = _spin()
    with mp.get_context("spawn").Pool(2) as pool:
        pair = pool.starmap(_spin, [(20_000_000,), (20_000_000,)])
    return {"spin_alone_s": round(alone, 2), "spin_two_at_once_s": [round(x, 2) for x in pair]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--districts", type=int, default=40)
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=2,
                    help="Rounds over --workers; the fastest run of each count is kept.")
    ap.add_argument("--scratch", type=Path, default=Path("/tmp/gridplan-batch-bench"))
    args = ap.parse_args()
    t = time.perf_counter()
    paths = make_inputs(args.scratch, args.districts, args.households)
    print(f"{len(paths)} inputs ready in {time.perf_counter() - t:.1f} s", flush=True)
    checks = [cores_check()]
    print(json.dumps(checks[-1]), flush=True)
    runs = []
    for _ in range(args.repeats):
        for w in args.workers:
            r = run(paths, args.scratch / f"batch-{w}", w)
            print(json.dumps(r), flush=True)
            runs.append(r)
    checks.append(cores_check())
    print(json.dumps(checks[-1]), flush=True)
    best = [min((r for r in runs if r["workers"] == w), key=lambda r: r["wall_seconds"])
            for w in args.workers]
    for r in runs:
        r["speed_up"] = round(best[0]["wall_seconds"] / r["wall_seconds"], 2)
    import psutil
    result = {
        "machine": f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GB",
        "districts": args.districts,
        "households_per_district": args.households,
        "cores_check_before_after": checks,
        "runs": runs,
        "best": best,
        "projection": projection(best, args.households),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "batch_scaling.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| workers | districts | wall s | of which merge s | regions / min | speed-up | "
          "mean s per district (task) | 1-min load during (mean, max) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(f"| {r['workers']} | {r['regions']} | {r['wall_seconds']} | {r['merge_seconds']} | "
              f"{r['regions_per_minute']} | {r['speed_up']} | {r['task_seconds_mean']} | "
              f"{r['load_1min_during_mean']}, {r['load_1min_during_max']} |")
    print(json.dumps(result["projection"], indent=2))


if __name__ == "__main__":
    main()
