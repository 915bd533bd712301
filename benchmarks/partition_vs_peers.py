"""Partition benchmark: gridplan against spopt MaxPHeuristic, spopt AZP and GerryChain
recursive_tree_part on the same lattice inputs, in one run.

Each method runs in its own process (fair peak memory, and a time limit that can stop it):

    python benchmarks/partition_vs_peers.py [--sizes 2000 10000] [--limit-s 900]

Writes benchmarks/out/partition_vs_peers.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
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


def run_gridplan(units):
    import shapely
    from gridplan import PlanConfig, partition
    from gridplan.city import make_city
    cfg = PlanConfig(crs="EPSG:32650", community_min=3000, community_max=5000)
    city = make_city(units, boundary=shapely.box(*units.total_bounds), config=cfg)
    t = time.perf_counter()
    p = partition(city, cfg)
    secs = time.perf_counter() - t
    lab = p.homes.set_index("home_index")["grid_id"].reindex(range(len(units))).to_numpy()
    return secs, lab


def run_maxp(units):
    from libpysal.weights import Queen
    from spopt.region import MaxPHeuristic
    w = Queen.from_dataframe(units, use_index=False, silence_warnings=True)
    t = time.perf_counter()
    m = MaxPHeuristic(units, w, ["households"], "households", LO, top_n=2)
    m.solve()
    return time.perf_counter() - t, m.labels_


def run_azp(units):
    from libpysal.weights import Queen
    from spopt.region import AZP
    w = Queen.from_dataframe(units, use_index=False, silence_warnings=True)
    k = int(round(units["households"].sum() / ((LO + HI) / 2)))
    t = time.perf_counter()
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
    t = time.perf_counter()
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--methods", nargs="+", default=list(METHODS))
    ap.add_argument("--limit-s", type=float, default=900)
    ap.add_argument("--skip", nargs="*", default=["spopt AZP@10000"],
                    help="method@units pairs not to run (AZP at 10k takes hours)")
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        for name in args.methods:
            if f"{name}@{n}" in args.skip:
                continue
            r = {"method": name, "units": n, **measure(name, n, args.limit_s)}
            print(json.dumps(r), flush=True)
            rows.append(r)
    OUT.mkdir(exist_ok=True)
    (OUT / "partition_vs_peers.json").write_text(json.dumps(
        {"machine": "2 cores, 24 GB", "bounds": [LO, HI], "input": "square lattice, 20–200 "
         "households per unit, seed 0", "results": rows}, indent=2))
    print(table(rows))


if __name__ == "__main__":
    main()
