"""Partition benchmark: gridplan against spopt MaxPHeuristic, spopt AZP and GerryChain
recursive_tree_part on the same lattice inputs, in one run.

Each method runs in its own process (fair peak memory, and a time limit that can stop it):

    python benchmarks/partition_vs_peers.py [--sizes 2000 10000] [--limit-s 900]
        [--whole-units 2000] [--whole-repeats 3] [--solve-repeats 1]

A solve is timed from just after its set-up's objects are collected and frozen (``gc.freeze``),
for every method alike, as ``timeit`` keeps the collector out of what it times.
With ``--solve-repeats N`` each method's solve runs N times (a fresh process each) and the
run with the median time is kept, all times listed in ``runs``.

Also times whole processes on the 2,000-unit lattice, start-up and writing included (median of
``--whole-repeats`` runs): the ``gridplan plan`` command on the lattice as a GeoPackage, as it
is and with ``--add 0`` (no new stations, so the partition, coverage and every file), against a
process that builds the same lattice and solves it with spopt's max-p.

Writes benchmarks/out/partition_vs_peers.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
LO, HI = 300, 500
CELL_M = 50.0


def lattice(n_units: int, seed: int = 0):
    """A near-square lattice of square units with 20–200 households each (UTM 50N)."""
    import geopandas as gpd
    import shapely
    nx_ = int(np.ceil(np.sqrt(n_units)))
    ny_ = int(np.ceil(n_units / nx_))
    ix, iy = np.meshgrid(np.arange(nx_), np.arange(ny_))
    ix, iy = ix.ravel()[:n_units], iy.ravel()[:n_units]
    x0, y0 = 500_000 + ix * CELL_M, 4_000_000 + iy * CELL_M
    geoms = shapely.box(x0, y0, x0 + CELL_M, y0 + CELL_M)
    hh = np.random.default_rng(seed).integers(20, 201, n_units)
    return gpd.GeoDataFrame({"households": hh}, geometry=geoms, crs="EPSG:32650")


def score(units, labels) -> dict:
    import shapely
    labels = np.asarray(labels)
    df = units.assign(label=labels)
    sums = df.groupby("label")["households"].sum()
    geoms = [shapely.coverage_union_all(df.geometry.values[labels == k]) for k in sums.index]
    pp = [4 * np.pi * g.area / g.length ** 2 for g in geoms]
    pieces = [shapely.get_num_geometries(g) for g in geoms]
    return {"regions": int(len(sums)), "in_range_share": round(float(sums.between(LO, HI).mean()), 4),
            "largest": int(sums.max()), "smallest": int(sums.min()),
            "mean_polsby_popper": round(float(np.mean(pp)), 4),
            "non_contiguous": int(sum(p > 1 for p in pieces))}


def _start_clock() -> float:
    """The solve's start: the set-up's objects collected once and frozen first, for every
    method alike, so the solve does not pay the collector's first full pass over what the
    imports and the set-up made (50-85 ms here, on whichever call allocates first); the
    solve's own garbage is still collected."""
    gc.collect()
    gc.freeze()
    return time.perf_counter()


def run_gridplan(units):
    import shapely
    from gridplan import PlanConfig, partition
    from gridplan.city import make_city
    cfg = PlanConfig(crs="EPSG:32650", community_min=3000, community_max=5000)
    city = make_city(units, boundary=shapely.box(*units.total_bounds), config=cfg)
    t = _start_clock()
    p = partition(city, cfg)
    secs = time.perf_counter() - t
    lab = p.homes.set_index("home_index")["grid_id"].reindex(range(len(units))).to_numpy()
    return secs, lab


def run_maxp(units):
    from libpysal.weights import Queen
    from spopt.region import MaxPHeuristic
    w = Queen.from_dataframe(units, use_index=False, silence_warnings=True)
    t = _start_clock()
    m = MaxPHeuristic(units, w, ["households"], "households", LO, top_n=2)
    m.solve()
    return time.perf_counter() - t, m.labels_


def run_azp(units):
    from libpysal.weights import Queen
    from spopt.region import AZP
    w = Queen.from_dataframe(units, use_index=False, silence_warnings=True)
    k = int(round(units["households"].sum() / ((LO + HI) / 2)))
    t = _start_clock()
    m = AZP(units, w, ["households"], n_clusters=k, random_state=0)
    m.solve()
    return time.perf_counter() - t, m.labels_


def run_gerrychain(units):
    import networkx as nx
    from gerrychain import Graph
    from gerrychain.partition import recursive_tree_part
    from libpysal.weights import Queen
    w = Queen.from_dataframe(units, use_index=False, silence_warnings=True)
    g = nx.Graph()
    for i, nbrs in w.neighbors.items():
        g.add_node(i, households=int(units["households"].iloc[i]))
        g.add_edges_from((i, j) for j in nbrs)
    total = units["households"].sum()
    k = int(round(total / ((LO + HI) / 2)))
    t = _start_clock()
    a = recursive_tree_part(Graph.from_networkx(g), range(k), total / k, "households", 0.25,
                            rng=0)
    return time.perf_counter() - t, np.array([a[i] for i in range(len(units))])


METHODS = {"gridplan": run_gridplan, "spopt MaxPHeuristic": run_maxp, "spopt AZP": run_azp,
           "GerryChain recursive_tree_part": run_gerrychain}


def _child(name, n, q):
    units = lattice(n)
    t = time.perf_counter()
    try:
        secs, labels = METHODS[name](units)
        res = {"seconds": round(secs, 2), **score(units, labels)}
    except Exception as e:  # a peer failing is a result, not a crash of the benchmark
        res = {"error": f"{type(e).__name__}: {e}"[:200],
               "seconds": round(time.perf_counter() - t, 2)}
    res["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    q.put(res)


def measure(name, n, limit_s):
    q = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=_child, args=(name, n, q))
    p.start()
    p.join(limit_s)
    if p.is_alive():
        p.kill()
        p.join()
        return {"error": f"stopped after {limit_s} s"}
    return q.get() if not q.empty() else {"error": f"exit code {p.exitcode}"}


def table(rows) -> str:
    head = ("| method | units | seconds | regions | in 300–500 | largest | mean Polsby-Popper "
            "| peak MB |\n|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['method']} | {r['units']:,} | {r.get('seconds', '—')} | — | "
                         f"failed: {r['error']} | — | — "
                         f"| {r.get('peak_rss_mb', '—')} |")
        else:
            lines.append(f"| {r['method']} | {r['units']:,} | {r['seconds']} | {r['regions']} | "
                         f"{r['in_range_share']:.1%} | {r['largest']} | {r['mean_polsby_popper']} "
                         f"| {r['peak_rss_mb']} |")
    return "\n".join(lines)


def _timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds of one whole process, and its exit code."""
    t = time.perf_counter()
    code = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - t, code


def whole_process(n: int, repeats: int) -> list[dict]:
    """Median wall seconds of whole processes on the n-unit lattice (seeded): ``gridplan
    plan`` as it is and with ``--add 0``, and a process that solves it with spopt's max-p."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"lattice_{n}.gpkg"
        lattice(n).to_file(path, layer="homes", driver="GPKG", engine="pyogrio")
        plan = [sys.executable, "-m", "gridplan.cli", "plan", str(path), "--out",
                str(Path(tmp) / "plan"), "--force"]
        commands = {"gridplan plan": plan, "gridplan plan --add 0": plan + ["--add", "0"],
                    "spopt MaxPHeuristic (process)": [sys.executable, __file__, "--solve",
                                                      "spopt MaxPHeuristic", str(n)]}
        for name, cmd in commands.items():
            runs = [_timed(cmd) for _ in range(repeats)]
            walls = [round(w, 2) for w, _ in runs]
            rows.append({"command": name, "units": n, "runs": walls,
                         "seconds_median": round(statistics.median(walls), 2),
                         "exit_codes": sorted({c for _, c in runs})})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def whole_table(whole: list[dict], solve: list[dict]) -> str:
    """Whole-process medians, and each peer's time over gridplan's, solve and whole process."""
    by = {r["command"]: r["seconds_median"] for r in whole if r["exit_codes"] == [0]}
    n = whole[0]["units"] if whole else 0
    solves = {r["method"]: r.get("seconds") for r in solve if r["units"] == n and "error" not in r}
    peer = by.get("spopt MaxPHeuristic (process)")
    lines = ["| units | command | whole process, median s | spopt max-p ÷ gridplan, whole "
             "process |", "|---|---|---|---|"]
    for r in whole:
        ratio = (f"{peer / r['seconds_median']:.1f}×" if peer and r["command"] in by
                 and r["command"].startswith("gridplan") else "—")
        secs = r["seconds_median"] if r["exit_codes"] == [0] else f"failed (exit {r['exit_codes']})"
        lines.append(f"| {n:,} | {r['command']} | {secs} | {ratio} |")
    g, m = solves.get("gridplan"), solves.get("spopt MaxPHeuristic")
    if g and m:
        lines.append(f"\nSolve alone: gridplan {g} s, spopt max-p {m} s: {m / g:.0f}×.")
    return "\n".join(lines)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--solve":    # one whole process of a peer
        secs, _ = METHODS[sys.argv[2]](lattice(int(sys.argv[3])))
        print(round(secs, 2))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--methods", nargs="+", default=list(METHODS))
    ap.add_argument("--limit-s", type=float, default=900)
    ap.add_argument("--skip", nargs="*", default=["spopt AZP@10000"],
                    help="method@units pairs not to run (AZP at 10k takes hours)")
    ap.add_argument("--whole-units", type=int, default=2000,
                    help="lattice size of the whole-process runs (0: none)")
    ap.add_argument("--whole-repeats", type=int, default=3)
    ap.add_argument("--solve-repeats", type=int, default=1,
                    help="solves per method and size; the median run is kept")
    args = ap.parse_args()
    if args.solve_repeats < 1:
        ap.error("--solve-repeats: expected 1 or more")
    rows = []
    for n in args.sizes:
        for name in args.methods:
            if f"{name}@{n}" in args.skip:
                continue
            runs = [measure(name, n, args.limit_s) for _ in range(args.solve_repeats)]
            timed = sorted((x for x in runs if "error" not in x), key=lambda x: x["seconds"])
            r = {"method": name, "units": n,
                 **(timed[(len(timed) - 1) // 2] if len(timed) == len(runs)
                    else next(x for x in runs if "error" in x))}
            if args.solve_repeats > 1:
                r["runs"] = [x.get("seconds") for x in runs]
            print(json.dumps(r), flush=True)
            rows.append(r)
    whole = whole_process(args.whole_units, args.whole_repeats) if args.whole_units else []
    OUT.mkdir(exist_ok=True)
    # a partial run (--sizes, --methods) keeps the earlier rows it did not measure again
    day = time.strftime("%Y-%m-%d")
    for r in rows:
        r["measured"] = day
    for r in whole:
        r["measured"] = day
    done = {(r["method"], r["units"]) for r in rows}
    old = OUT / "partition_vs_peers.json"
    if old.is_file():
        earlier = json.loads(old.read_text())
        rows = [r for r in earlier.get("results", [])
                if (r["method"], r["units"]) not in done] + rows
        if not whole:
            whole = earlier.get("whole_process", [])
    (OUT / "partition_vs_peers.json").write_text(json.dumps(
        {"machine": "2 cores, 24 GB", "bounds": [LO, HI], "input": "square lattice, 20–200 "
         "households per unit, seed 0", "results": rows, "whole_process": whole}, indent=2))
    print(table(rows))
    if whole:
        print(whole_table(whole, rows))


if __name__ == "__main__":
    main()
