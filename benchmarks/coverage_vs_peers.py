"""Coverage benchmark: gridplan against networkx (walk distances) and spopt (siting), in one run.

Two parts, same inputs for every method, each method in its own process (fair peak memory
measured with psutil, a time limit that can stop it, the machine's load recorded before it):

* walk: every network node's walk to its nearest station within the 15-minute distance
  (1,000 m), stations on nodes. networkx multi-source Dijkstra with a cutoff; networkx one
  ego graph per station (as the OSMnx isochrone examples) and one bounded Dijkstra per
  station, both within a time budget (stations run and seconds per station as measured);
  gridplan's ``walk_distances`` (one multi-source Dijkstra over the CSR matrix).
* siting: spopt LSCP and MCLP (PuLP + CBC, dense cost matrix) against gridplan's
  ``site_stations`` (sparse coverage, HiGHS MILP, greedy warm start), straight 500 m reach.

    python benchmarks/coverage_vs_peers.py [--part walk siting] [--small] [--out FILE]

Writes benchmarks/out/coverage_vs_peers.json (``--small``: a quick smoke run, written only
where ``--out`` says) and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import multiprocessing as mp
import os
import platform
import queue
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
OSM = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "shanghai_huangpu_roads.osm"
WALK_M = 1000.0  # the 15-minute walk at 4 km/h (PlanConfig().walk_m)
RADIUS_M = 500.0  # PlanConfig().radius_m
UTM = "EPSG:32651"  # Shanghai's UTM zone; the synthetic lattice uses it too


NOTES = {
    "walk": "Query points are every network node and stations sit on nodes, so every method "
            "answers the same question: each node's walk to its nearest station, up to "
            "walk_limit_m. networkx gets gridplan's own edges (u, v, length_m), the same graph. "
            "'gridplan walk_distances' is the public function end to end: it snaps every "
            "query point to its nearest edge (edge STRtree) before the Dijkstra; 'CSR "
            "multi-source Dijkstra alone' is its core (stations snapped, one virtual source "
            "each, scipy.sparse.csgraph.dijkstra min_only with the limit), node distances like "
            "networkx's. Ego graphs give the nodes in reach, not distances: compared as reach "
            "sets. Per-station methods stop after the budget_s (stations_run says how many "
            "ran); nothing is extrapolated. On gp.synth streets, walk_distances at node "
            "coordinates differs from node distances by up to 0.094 m at 2 nodes: ends within "
            "MERGE_M = 0.1 m are one node while edge lengths use the unmoved ends. Every "
            "query point is a node, bridges' too, so the networks are built with "
            "snap_prefer_m = snap_fragment_m = 0 (each point attaches to its nearest street); "
            "snapping_default_prefs_s times snapping the same points with PlanConfig()'s "
            "preference for ground-level streets of the main network.",
    "siting": "Straight-line reach radius_m. Demand: residential buildings (households > 0) "
              "of gp.synth(households_in_synth, seed 0), a seeded sample of `homes`; weights "
              "are their households. Candidates: street intersections (degree >= 3 in "
              "gridplan's walk network) and non-residential buildings, the rule of `gridplan "
              "plan`, a seeded sample. Existing stations (gp.synth's) only where the instance "
              "says so. gridplan gets all homes, the candidates and existing_xy and removes "
              "pre-covered and unreachable homes itself (inside its seconds); spopt gets the "
              "spopt_rows homes a candidate reaches and no existing station reaches, the same "
              "model. Equal budgets: gridplan time_limit_s for everything, CBC timeLimit "
              "(wall) for its solve after the build. Objectives are recounted for both with "
              "one KD-tree: LSCP stations added, MCLP households newly covered.",
}


# --- running one method in its own process -------------------------------------------------

def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _child(fn, args, q, tmp):
    """Run ``fn(*args, phase=…)`` and report phases and the result (arrays go to ``tmp``)."""
    t0 = time.perf_counter()

    def phase(name, seconds):
        q.put(("phase", name, round(seconds, 3)))

    try:
        res = fn(*args, phase=phase)
        arrays = {k: v for k, v in res.items() if isinstance(v, np.ndarray)}
        if arrays:
            np.savez(tmp, **arrays)
        res = {k: v for k, v in res.items() if k not in arrays}
    except Exception as e:  # a peer failing is a result, not a crash of the benchmark
        res = {"error": f"{type(e).__name__}: {e}"[:300],
               "seconds_until_error": round(time.perf_counter() - t0, 2)}
    res["child_ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    q.put(("result", res))


def _descendants(proc):
    import psutil
    try:
        return proc.children(recursive=True)
    except psutil.Error:
        return []


def _tree_rss(proc) -> float:
    """RSS in MB of a process and its children (the CBC solver runs as one)."""
    import psutil
    total = 0.0
    for p in [proc, *_descendants(proc)]:
        try:
            total += p.memory_info().rss / 2**20
        except psutil.Error:
            pass
    return total


def measure(fn, *args, limit_s: float, mem_cap_mb: float):
    """Run ``fn`` in a forked process: its result, arrays, phases, peak RSS and the load."""
    import psutil
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    with tempfile.TemporaryDirectory() as d:
        tmp = os.path.join(d, "arrays.npz")
        load = _load()
        p = ctx.Process(target=_child, args=(fn, args, q, tmp))
        t0 = time.perf_counter()
        p.start()
        proc = psutil.Process(p.pid)
        peak = start_rss = 0.0
        phases, result, stopped = {}, None, None
        while True:
            rss = _tree_rss(proc)
            start_rss = start_rss or rss
            peak = max(peak, rss)
            try:
                msg = q.get(timeout=0.1)
                if msg[0] == "phase":
                    phases[msg[1]] = msg[2]
                else:
                    result = msg[1]
            except queue.Empty:
                pass
            if result is not None or not p.is_alive():
                break
            if time.perf_counter() - t0 > limit_s:
                stopped = f"stopped by the benchmark after {limit_s:g} s"
            elif rss > mem_cap_mb:
                stopped = f"stopped by the benchmark at {rss:,.0f} MB (cap {mem_cap_mb:,.0f} MB)"
            if stopped:
                for c in _descendants(proc):  # CBC runs as a child of the method's process
                    c.kill()
                p.kill()
                break
        p.join()
        wall = round(time.perf_counter() - t0, 2)
        arrays = {}
        if result is not None and os.path.exists(tmp):
            with np.load(tmp) as z:
                arrays = {k: z[k] for k in z.files}
    out = result if result is not None else {"error": stopped or f"exit code {p.exitcode}"}
    if phases:
        out["phases_s"] = phases
        if result is None:
            out["last_phase_done"] = list(phases)[-1]
    # polled every 0.1 s (with the CBC child); the method's own high-water mark covers peaks
    # between polls
    peak = max(peak, out.get("child_ru_maxrss_mb", 0.0))
    out.update(process_wall_s=wall, peak_rss_mb=round(peak, 1),
               rss_at_start_mb=round(start_rss, 1), load_before=load)
    return out, arrays


# --- walk networks -------------------------------------------------------------------------

def shanghai_network():
    """The Shanghai Huangpu streets (OSM, driveable ways) as gridplan reads them: ways with
    their node ids, joined at shared nodes only."""
    from gridplan.config import PlanConfig
    from gridplan.io.osm import read_osm
    return read_osm(OSM, PlanConfig())["streets"].to_crs(UTM), None


def synth_network(households: int):
    from gridplan import synth
    city = synth(households, 0)
    return city.streets, True, city


def lattice_arrays(side: int, spacing: float = 80.0, jitter: float = 15.0, drop: float = 0.08,
                   seed: int = 0):
    """A jittered street lattice: side x side nodes ``spacing`` m apart, each moved up to
    ``jitter`` m, ``drop`` of the block edges removed at random (isolated nodes dropped)."""
    rng = np.random.default_rng(seed)
    ij = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), -1)
    xy = ij.reshape(-1, 2) * spacing + rng.uniform(-jitter, jitter, (side * side, 2))
    xy += (300_000.0, 3_400_000.0)
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    v = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    keep = rng.random(len(u)) >= drop
    u, v = u[keep], v[keep]
    used, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    return xy[used], inv[:len(u)], inv[len(u):]


def lattice_streets(xy, u, v):
    import geopandas as gpd
    import shapely
    lines = shapely.linestrings(np.stack([xy[u], xy[v]], 1))
    return gpd.GeoDataFrame({"rank": np.full(len(u), "local")}, geometry=lines, crs=UTM)


def walk_gridplan(spec, stations, subsets, *, phase):
    """gridplan: build the network, then one multi-source Dijkstra for all stations."""
    from gridplan.config import PlanConfig
    from gridplan.coverage import build_walk_network, snap_to_network, walk_distances
    streets = spec["streets"]() if callable(spec["streets"]) else spec["streets"]
    t = time.perf_counter()
    nearest = PlanConfig(snap_prefer_m=0.0, snap_fragment_m=0.0)  # see NOTES["walk"]
    net = build_walk_network(streets, join_crossings=spec["join"], config=nearest)
    phase("build_walk_network", time.perf_counter() - t)
    t = time.perf_counter()
    net.snap_trees  # the edge STRtrees that snapping uses, built once per network
    phase("edge STRtree", time.perf_counter() - t)
    xy = spec["xy"]
    t = time.perf_counter()
    walk, _ = walk_distances(net, xy, xy[stations], WALK_M)
    secs = time.perf_counter() - t
    t = time.perf_counter()
    snap_to_network(net, xy)
    snap_s = time.perf_counter() - t
    cfg = PlanConfig()
    default = dataclasses.replace(net, snap_prefer_m=cfg.snap_prefer_m,
                                  fragment_m=cfg.snap_fragment_m)  # the same graph
    default.snap_trees  # built before timing, as above
    t = time.perf_counter()
    snap_to_network(default, xy)
    snap_default_s = time.perf_counter() - t
    del default
    core_s, node_walk = _csr_dijkstra(net, xy[stations])
    node_walk = node_walk[net.node_tree.query(xy)[1]]  # in the input's node order
    out = {"seconds": round(secs, 3), "snapping_points_alone_s": round(snap_s, 3),
           "snapping_default_prefs_s": round(snap_default_s, 3),
           "csr_dijkstra_alone_s": round(core_s, 3), "stations_run": len(stations),
           "walk": walk, "node_walk": node_walk, "network_nodes": net.n_nodes,
           "network_edges": net.n_edges}
    for k in subsets:
        t = time.perf_counter()
        w, _ = walk_distances(net, xy, xy[stations[:k]], WALK_M)
        out[f"walk_first_{k}"] = w
        out[f"seconds_first_{k}"] = round(time.perf_counter() - t, 3)
    return out


def _csr_dijkstra(net, stations_xy):
    """The core of ``walk_distances`` alone, node distances as networkx gives them: the
    stations snapped, one virtual source each, one scipy multi-source Dijkstra."""
    from scipy.sparse.csgraph import dijkstra
    from gridplan.coverage import snap_to_network
    from gridplan.coverage._paths import augment
    t = time.perf_counter()
    snap = snap_to_network(net, stations_xy)
    ends, costs = snap.ends(net)
    graph = augment(net.csr, ends, costs + snap.access_m[:, None])
    dist = dijkstra(graph, indices=net.n_nodes + np.arange(len(stations_xy)), min_only=True,
                    limit=WALK_M)[:net.n_nodes]
    secs = time.perf_counter() - t
    dist[np.isinf(dist)] = np.nan
    return secs, dist


def _nx_graph(spec, phase):
    import networkx as nx
    t = time.perf_counter()
    g = nx.Graph()
    g.add_nodes_from(range(len(spec["xy"])))
    g.add_weighted_edges_from(zip(spec["u"].tolist(), spec["v"].tolist(),
                                  spec["length"].tolist()), weight="length")
    phase("networkx graph", time.perf_counter() - t)
    return g


def walk_nx_multi(spec, stations, *, phase):
    """networkx: one multi-source Dijkstra with a cutoff."""
    import networkx as nx
    g = _nx_graph(spec, phase)
    t = time.perf_counter()
    d = nx.multi_source_dijkstra_path_length(g, set(stations.tolist()), cutoff=WALK_M,
                                             weight="length")
    walk = np.full(len(spec["xy"]), np.nan)
    walk[np.fromiter(d.keys(), np.int64, len(d))] = np.fromiter(d.values(), float, len(d))
    return {"seconds": round(time.perf_counter() - t, 3), "stations_run": len(stations),
            "walk": walk}


def walk_nx_ego(spec, stations, budget_s, *, phase):
    """networkx: one ego graph per station within the walk (the OSMnx isochrone examples),
    until the budget is spent. Gives the nodes in reach, not distances."""
    import networkx as nx
    g = _nx_graph(spec, phase)
    reach = np.zeros(len(spec["xy"]), bool)
    t = time.perf_counter()
    k = 0
    for s in stations.tolist():
        ego = nx.ego_graph(g, s, radius=WALK_M, distance="length")
        reach[np.fromiter(ego.nodes, np.int64, len(ego))] = True
        k += 1
        if time.perf_counter() - t > budget_s:
            break
    secs = time.perf_counter() - t
    return {"seconds": round(secs, 3), "stations_run": k,
            "seconds_per_station": round(secs / k, 5), "reach": reach}


def walk_nx_each(spec, stations, budget_s, *, phase):
    """networkx: one bounded single-source Dijkstra per station, the least of them kept,
    until the budget is spent."""
    import networkx as nx
    g = _nx_graph(spec, phase)
    walk = np.full(len(spec["xy"]), np.inf)
    t = time.perf_counter()
    k = 0
    for s in stations.tolist():
        d = nx.single_source_dijkstra_path_length(g, s, cutoff=WALK_M, weight="length")
        idx = np.fromiter(d.keys(), np.int64, len(d))
        walk[idx] = np.minimum(walk[idx], np.fromiter(d.values(), float, len(d)))
        k += 1
        if time.perf_counter() - t > budget_s:
            break
    secs = time.perf_counter() - t
    walk[np.isinf(walk)] = np.nan
    return {"seconds": round(secs, 3), "stations_run": k,
            "seconds_per_station": round(secs / k, 5), "walk": walk}


def _agree(ours, theirs) -> dict:
    """Max absolute difference where both reach, and nodes where only one reaches."""
    a, b = np.isfinite(ours), np.isfinite(theirs)
    both = a & b
    gap = np.abs(ours[both] - theirs[both])
    return {"max_abs_diff_m": float(gap.max()) if both.any() else None,
            "nodes_over_1e-6_m": int((gap > 1e-6).sum()), "nodes_in_reach": int(b.sum()),
            "reach_mismatch_nodes": int((a != b).sum())}


def walk_networks(small: bool):
    """(name, description, spec, stations) for each network."""
    from gridplan.coverage import build_walk_network
    nets = []
    if OSM.exists():
        streets, join = shanghai_network()
        nets.append(("Shanghai Huangpu (OSM)", "OSM driveable streets of central Shanghai "
                     "(../shared/realdata), as gridplan.io reads them: ways joined at shared "
                     "OSM node ids only", streets, join, None))
    streets, join, city = synth_network(60_000 if small else 700_000)
    nets.append((f"gp.synth({'60,000' if small else '700,000'}) streets",
                 "the seeded synthetic district's streets, crossings joined as `gridplan plan` "
                 "does; its existing stations moved to their nearest node", streets, join, city))
    side = 40 if small else 710
    nets.append((f"jittered lattice {side}x{side}",
                 f"synthetic street lattice: {side}x{side} nodes 80 m apart, each moved up to "
                 "15 m, 8 % of block edges removed at random (seed 0)", None, False, side))
    out = []
    for name, what, streets, join, extra in nets:
        if streets is not None:
            net = build_walk_network(streets, join_crossings=join)
            e = net.edges
            spec = {"xy": net.xy, "u": e["u"].to_numpy(), "v": e["v"].to_numpy(),
                    "length": e["length_m"].to_numpy(), "streets": streets, "join": join}
        else:
            xy, u, v = lattice_arrays(extra)
            spec = {"xy": xy, "u": u, "v": v,
                    "length": np.hypot(*(xy[u] - xy[v]).T),
                    "streets": lambda xy=xy, u=u, v=v: lattice_streets(xy, u, v),
                    "join": False}
        rng = np.random.default_rng(0)
        n = len(spec["xy"])
        if extra is not None and not isinstance(extra, int):  # a synth city: its stations
            import shapely
            from scipy.spatial import cKDTree
            st_xy = shapely.get_coordinates(extra.stations.geometry.values)
            stations = np.unique(cKDTree(spec["xy"]).query(st_xy)[1])
            stations = rng.permutation(stations)
        else:
            k = 20 if "Shanghai" in name else (50 if small else 1000)
            stations = rng.choice(n, k, replace=False)
        out.append((name, what, spec, stations))
    return out


def run_walk(args, mem_cap):
    rows = []
    for name, what, spec, stations in walk_networks(args.small):
        info = {"network": name, "what": what, "nodes": len(spec["xy"]),
                "edges": len(spec["u"]), "stations": len(stations), "results": []}
        print(f"# walk: {name}: {info['nodes']:,} nodes, {len(stations)} stations", flush=True)
        lim = dict(limit_s=args.limit_s, mem_cap_mb=mem_cap)
        ego, ego_a = measure(walk_nx_ego, spec, stations, args.budget_s, **lim)
        each, each_a = measure(walk_nx_each, spec, stations, args.budget_s, **lim)
        multi, multi_a = measure(walk_nx_multi, spec, stations, **lim)
        subsets = sorted({r["stations_run"] for r in (ego, each)
                          if "stations_run" in r and r["stations_run"] < len(stations)})
        ours, ours_a = measure(walk_gridplan, spec, stations, subsets, **lim)
        base = ours_a.get("walk")
        core = None
        if base is not None:
            core = {k: ours[k] for k in ("stations_run", "load_before")}
            core.update(seconds=ours["csr_dijkstra_alone_s"], peak_rss_mb=ours["peak_rss_mb"])
            if "walk" in multi_a:
                multi.update(_agree(base, multi_a["walk"]))
                core.update(_agree(ours_a["node_walk"], multi_a["walk"]),
                            compared_with="networkx multi_source_dijkstra_path_length")
            for r, a, key in ((each, each_a, "walk"), (ego, ego_a, "reach")):
                k = r.get("stations_run")
                if k is None or key not in a:
                    continue
                ref = base if k == len(stations) else ours_a[f"walk_first_{k}"]
                if key == "walk":
                    r.update(_agree(ref, a["walk"]))
                else:
                    mine = np.isfinite(ref)
                    r.update(nodes_in_reach=int(a["reach"].sum()),
                             reach_mismatch_nodes=int((mine != a["reach"]).sum()),
                             max_abs_diff_m="n/a: ego graphs give the nodes in reach, "
                                            "not distances")
                r["gridplan_seconds_same_stations"] = (ours["seconds"] if k == len(stations)
                                                       else ours.get(f"seconds_first_{k}"))
        methods = [("gridplan walk_distances (points snapped + CSR multi-source Dijkstra)",
                    ours)]
        if core is not None:
            methods.append(("gridplan CSR multi-source Dijkstra alone (node distances)", core))
        for method, r in (*methods, ("networkx multi_source_dijkstra_path_length", multi),
                          ("networkx ego_graph per station (OSMnx isochrone example)", ego),
                          ("networkx single_source_dijkstra_path_length per station", each)):
            row = {"method": method, **r}
            print(json.dumps(row), flush=True)
            info["results"].append(row)
        rows.append(info)
        gc.collect()
    return rows


# --- siting --------------------------------------------------------------------------------

def siting_instance(households: int, n_homes: int, n_cand: int, existing: bool, seed: int = 0):
    """Homes and candidates from a seeded synthetic district.

    Demand: residential buildings (households > 0), a seeded sample of ``n_homes`` when
    there are more. Candidates: street intersections (degree >= 3 in the walk network) and
    non-residential buildings, the rule of ``gridplan plan``; a seeded sample of ``n_cand``.
    """
    import shapely
    from gridplan import synth
    from gridplan.coverage import build_walk_network
    from gridplan.plan import home_points
    city = synth(households, seed)
    rng = np.random.default_rng(seed)
    res = city.homes[city.homes["households"] > 0]
    xy, w = home_points(res), res["households"].to_numpy(float)
    pick = np.sort(rng.choice(len(xy), n_homes, replace=False)) if n_homes < len(xy) \
        else np.arange(len(xy))
    net = build_walk_network(city.streets)
    inter = net.xy[np.diff(net.csr.indptr) >= 3]
    nonres = home_points(city.homes[city.homes["households"] <= 0])
    pool = np.vstack([inter, nonres])
    cand = pool[np.sort(rng.choice(len(pool), n_cand, replace=False))] if n_cand < len(pool) \
        else pool
    st = shapely.get_coordinates(city.stations.geometry.values) if existing else np.zeros((0, 2))
    return {"demand_xy": xy[pick], "weight": w[pick], "cand_xy": cand, "existing_xy": st,
            "pool": {"intersections": len(inter), "non_residential": len(nonres),
                     "residential_homes": len(xy)}}


def reach_lists(inst):
    """Candidates (and existing stations) in reach of each home, straight line."""
    from scipy.spatial import cKDTree
    tree = cKDTree(inst["demand_xy"])
    cand = tree.query_ball_point(inst["cand_xy"], RADIUS_M)
    pre = np.zeros(len(inst["demand_xy"]), bool)
    if len(inst["existing_xy"]):
        for hit in tree.query_ball_point(inst["existing_xy"], RADIUS_M):
            pre[hit] = True
    can = np.zeros(len(pre), bool)
    for hit in cand:
        can[hit] = True
    return cand, pre, can


def score_sites(inst, chosen, cand_reach, pre) -> dict:
    """Households covered by the existing plus chosen stations, checked independently."""
    cov = pre.copy()
    for j in chosen:
        cov[cand_reach[j]] = True
    w = inst["weight"]
    return {"stations_added": int(len(chosen)), "covered_households": float(w[cov].sum()),
            "newly_covered_households": float(w[cov & ~pre].sum())}


def site_gridplan(inst, add, time_limit_s, *, phase):
    from gridplan.coverage import coverage_sets, site_stations
    t = time.perf_counter()
    coverage_sets(inst["demand_xy"], inst["cand_xy"], RADIUS_M)
    sets_s = time.perf_counter() - t
    t = time.perf_counter()
    r = site_stations(inst["demand_xy"], inst["weight"], inst["cand_xy"], radius_m=RADIUS_M,
                      existing_xy=inst["existing_xy"] if len(inst["existing_xy"]) else None,
                      add=add, time_limit_s=time_limit_s, seed=0)
    secs = time.perf_counter() - t
    gap = float(r.gap) if np.isfinite(r.gap) else None
    return {"seconds": round(secs, 3), "coverage_sets_alone_s": round(sets_s, 3),
            "objective": r.objective, "proven_optimal": gap == 0.0, "gap": gap,
            "bound": float(r.bound) if np.isfinite(r.bound) else None,
            "greedy_objective": float(r.greedy_objective), "solver": r.method,
            "status": r.status, "reduced_model": list(map(int, r.model)),
            "time_limit_s": time_limit_s, "chosen": np.asarray(r.chosen, np.int64)}


def site_spopt(inst, rows, add, solve_limit_s, *, phase):
    """spopt from a dense cost matrix (rows: the demand left to cover), CBC through PuLP."""
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import LSCP, MCLP
    t0 = time.perf_counter()
    cost = cdist(inst["demand_xy"][rows], inst["cand_xy"])
    phase("dense cost matrix", time.perf_counter() - t0)
    if add is None:
        model = LSCP.from_cost_matrix(cost, RADIUS_M, name="lscp")
    else:
        model = MCLP.from_cost_matrix(cost, inst["weight"][rows], RADIUS_M,
                                      p_facilities=add, name="mclp")
    build = time.perf_counter() - t0
    phase("model built", build)
    del cost
    t = time.perf_counter()
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=solve_limit_s)
    model.solve(solver, results=False)
    solve = time.perf_counter() - t
    chosen = np.array([j for j, y in enumerate(model.fac_vars) if (y.value() or 0) > 0.5],
                      np.int64)
    return {"build_s": round(build, 3), "cost_matrix_s": None, "solve_s": round(solve, 3),
            "seconds": round(build + solve, 3),
            "objective": float(pulp.value(model.problem.objective)),
            "status": pulp.LpStatus[model.problem.status],
            "solution_status": pulp.LpSolution[model.problem.sol_status],
            "proven_optimal": model.problem.sol_status == pulp.LpSolutionOptimal,
            "cbc_time_limit_s": solve_limit_s, "chosen": chosen}


def siting_instances(small: bool):
    if small:
        return [("synth 60k", 60_000, 10_000, 300, False, 10)]
    return [("issue reference", 700_000, 5_262, 2_000, False, 30),
            ("issue reference, existing stations kept", 700_000, 5_262, 2_000, True, 30),
            ("issue target", 6_600_000, 50_000, 5_000, False, 300),
            ("issue target, existing stations kept", 6_600_000, 50_000, 5_000, True, 300)]


def run_siting(args, mem_cap):
    import psutil
    rows = []
    for name, hh, n_homes, n_cand, existing, p in siting_instances(args.small):
        if args.only is not None and not any(o.endswith(f"@{name}") for o in args.only):
            continue
        inst = siting_instance(hh, n_homes, n_cand, existing)
        cand_reach, pre, can = reach_lists(inst)
        w = inst["weight"]
        rows_left = np.flatnonzero(can & ~pre)
        info = {"instance": name, "households_in_synth": hh, "homes": len(w),
                "households": float(w.sum()), "candidates": len(inst["cand_xy"]),
                "candidate_pool": inst["pool"], "existing_stations": len(inst["existing_xy"]),
                "pre_covered_homes": int(pre.sum()), "unreachable_homes": int((~can & ~pre).sum()),
                "spopt_rows": len(rows_left), "mclp_p": p, "results": []}
        print(f"# siting: {name}: {len(w):,} homes x {len(inst['cand_xy']):,} candidates, "
              f"{len(rows_left):,} rows for spopt", flush=True)
        dense_mb = len(rows_left) * len(inst["cand_xy"]) * (8 + 8 + 1) / 2**20
        avail = psutil.virtual_memory().available / 2**20
        for problem, add in (("LSCP", None), ("MCLP", p)):
            if args.only is not None and f"{problem}@{name}" not in args.only:
                continue
            lim = dict(limit_s=args.limit_s, mem_cap_mb=mem_cap)
            ours, a = measure(site_gridplan, inst, add, args.gridplan_limit_s, **lim)
            if "chosen" in a:
                ours.update(score_sites(inst, a["chosen"], cand_reach, pre))
            key = f"spopt {problem}@{name}"
            if key in args.skip:
                theirs = {"skipped": "on the --skip list"}
            elif dense_mb > 0.6 * avail:
                theirs = {"skipped": f"the dense model needs about {dense_mb:,.0f} MB "
                                     f"(cost matrix, aij, mask); {avail:,.0f} MB available"}
            else:
                theirs, b = measure(site_spopt, inst, rows_left, add, args.spopt_solve_limit_s,
                                    **lim)
                if "phases_s" in theirs:
                    theirs["cost_matrix_s"] = theirs["phases_s"].get("dense cost matrix")
                if "chosen" in b:
                    theirs.update(score_sites(inst, b["chosen"], cand_reach, pre))
                theirs["dense_model_estimate_mb"] = round(dense_mb)
            obj = "stations_added" if add is None else "newly_covered_households"
            if obj in ours and obj in theirs:
                better = ours[obj] <= theirs[obj] if add is None else ours[obj] >= theirs[obj]
                ours["equal_or_better_than_spopt"] = bool(better)
            for method, r in (("gridplan site_stations (HiGHS)", ours),
                              ("spopt " + problem + " (PuLP/CBC)", theirs)):
                row = {"problem": problem, "method": method, **r}
                print(json.dumps(row), flush=True)
                info["results"].append(row)
        rows.append(info)
        gc.collect()
    return rows


# --- tables --------------------------------------------------------------------------------

def _f(x, digits=2):
    return "—" if x is None else f"{x:,.{digits}f}"


def walk_table(nets) -> str:
    lines = ["| network | nodes | stations | method | stations run | seconds | s per station "
             "| max abs diff vs gridplan (m) | peak MB |", "|---|---|---|---|---|---|---|---|---|"]
    for n in nets:
        for r in n["results"]:
            if "error" in r:
                lines.append(f"| {n['network']} | {n['nodes']:,} | {n['stations']:,} | "
                             f"{r['method']} | — | failed: {r['error']} | — | — | "
                             f"{_f(r.get('peak_rss_mb'), 0)} |")
                continue
            per = r.get("seconds_per_station")
            diff = r.get("max_abs_diff_m")
            if isinstance(diff, str):
                diff = (f"no distances; nodes in reach differ at {r['reach_mismatch_nodes']}"
                        if r["reach_mismatch_nodes"] else "no distances; same nodes in reach")
            elif diff is None:
                diff = "(reference)"
            else:
                diff = f"{diff:.1e}"
                if r.get("compared_with"):
                    diff += " vs networkx"
                if r.get("reach_mismatch_nodes"):
                    diff += f" ({r['reach_mismatch_nodes']} nodes differ in reach)"
            lines.append(f"| {n['network']} | {n['nodes']:,} | {n['stations']:,} | {r['method']} "
                         f"| {r['stations_run']:,} | {_f(r['seconds'], 3)} | "
                         f"{_f(per, 4) if per else '—'} | {diff} | {_f(r['peak_rss_mb'], 0)} |")
    return "\n".join(lines)


def siting_table(insts) -> str:
    lines = ["| instance | problem | method | build s | solve s | total s | objective "
             "| optimal | peak MB |", "|---|---|---|---|---|---|---|---|---|"]
    for i in insts:
        label = f"{i['instance']}: {i['homes']:,} homes × {i['candidates']:,} candidates"
        for r in i["results"]:
            obj = r.get("stations_added") if r["problem"] == "LSCP" \
                else r.get("newly_covered_households")
            if r["problem"] == "MCLP":
                label_p = f"MCLP, p = {i['mclp_p']}"
            else:
                label_p = "LSCP"
            if "skipped" in r or "error" in r:
                why = r.get("skipped") or r.get("error")
                done = r.get("last_phase_done")
                if done:
                    why += f" (last phase done: {done} at {r['phases_s'][done]} s)"
                lines.append(f"| {label} | {label_p} | {r['method']} | — | — | — | {why} "
                             f"| — | {_f(r.get('peak_rss_mb'), 0)} |")
                continue
            if "build_s" in r:
                build, solve = _f(r["build_s"]), _f(r["solve_s"])
                opt = "yes" if r["proven_optimal"] else f"no ({r['solution_status']})"
            else:
                build, solve = f"{_f(r['coverage_sets_alone_s'])} (sets)", "—"
                opt = "yes" if r["proven_optimal"] else f"no, gap {_f(r['gap'], 4)}"
            lines.append(f"| {label} | {label_p} | {r['method']} | {build} | {solve} | "
                         f"{_f(r['seconds'])} | {_f(obj, 0)} | {opt} | "
                         f"{_f(r['peak_rss_mb'], 0)} |")
    return "\n".join(lines)


def main():
    import psutil
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", nargs="+", choices=["walk", "siting"], default=["walk", "siting"])
    ap.add_argument("--small", action="store_true", help="small inputs: a smoke run in seconds")
    ap.add_argument("--out", type=Path, help="JSON file (default benchmarks/out/"
                    "coverage_vs_peers.json; required with --small)")
    ap.add_argument("--limit-s", type=float, default=1800, help="wall limit per method")
    ap.add_argument("--budget-s", type=float, default=60,
                    help="time budget of each per-station networkx method")
    ap.add_argument("--gridplan-limit-s", type=float, default=60,
                    help="site_stations time_limit_s")
    ap.add_argument("--spopt-solve-limit-s", type=float, default=60,
                    help="CBC timeLimit (wall), the same budget as gridplan's by default")
    ap.add_argument("--mem-cap-gb", type=float, default=12, help="RSS cap per method")
    ap.add_argument("--skip", nargs="*", default=[], help="e.g. 'spopt MCLP@issue target'")
    ap.add_argument("--only", nargs="*", default=None,
                    help="siting runs to do, as 'PROBLEM@instance' (e.g. 'LSCP@issue reference')")
    args = ap.parse_args()
    if args.small and args.out is None:
        ap.error("--small needs --out (the committed results are from the full run)")
    out = args.out or OUT / "coverage_vs_peers.json"
    if args.small:
        args.budget_s = min(args.budget_s, 5)
    mem_cap = args.mem_cap_gb * 1024
    import networkx
    import scipy
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "scipy": scipy.__version__, "networkx": networkx.__version__}
    try:
        import pulp
        import spopt
        versions.update(spopt=spopt.__version__, pulp=pulp.__version__)
    except ImportError:
        pass
    result = {"machine": f"{os.cpu_count()} cores, "
                         f"{psutil.virtual_memory().total / 2**30:.0f} GB, shared with others "
                         "(load average before each method in load_before)",
              "versions": versions, "small": args.small, "walk_limit_m": WALK_M,
              "radius_m": RADIUS_M, "notes": NOTES, "load_at_start": _load(), "settings": {
                  "limit_s": args.limit_s, "budget_s": args.budget_s,
                  "gridplan_time_limit_s": args.gridplan_limit_s,
                  "spopt_cbc_time_limit_s": args.spopt_solve_limit_s,
                  "mem_cap_gb": args.mem_cap_gb}}
    if "walk" in args.part:
        result["walk"] = run_walk(args, mem_cap)
    if "siting" in args.part:
        result["siting"] = run_siting(args, mem_cap)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and not args.small:  # a run of one part keeps the other part's results
        old = json.loads(out.read_text())
        for part in ("walk", "siting"):
            if part not in result and part in old:
                result[part] = old[part]
    out.write_text(json.dumps(result, indent=2))
    if "walk" in result:
        print(walk_table(result["walk"]))
    if "siting" in result:
        print(siting_table(result["siting"]))


if __name__ == "__main__":
    main()
