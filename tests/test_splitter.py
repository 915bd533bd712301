"""The splitter's building blocks against plain reference versions, and re-plans that reuse
cached work giving what a fresh plan gives."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

import gridplan as gp
# _ChunkCheck: the splitter's test of both sides of a cut, checked against a brute force
from gridplan.partition.bounded import BoundedSplitter, _ChunkCheck, chunkable, project


def chunkable_by_hand(w, lo, hi):
    """ok[j]: the first j weights cut into consecutive runs within [lo, hi] (quadratic)."""
    pre = np.r_[0, np.cumsum(w)]
    ok = [True] + [False] * len(w)
    for j in range(1, len(w) + 1):
        ok[j] = any(ok[i] and lo <= pre[j] - pre[i] <= hi for i in range(j))
    return np.array(ok)


@settings(max_examples=200, deadline=None)
@given(w=st.lists(st.integers(0, 60), max_size=100), lo=st.integers(0, 80),
       width=st.integers(0, 80))
def test_chunkable_matches_the_quadratic_definition(w, lo, width):
    assert np.array_equal(chunkable(np.array(w, dtype=int), lo, lo + width),
                          chunkable_by_hand(w, lo, lo + width))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 25))
def test_a_cut_is_checked_for_runs_on_both_sides(seed, n):
    rng = np.random.default_rng(seed)
    w = rng.integers(1, 200, n)
    ow = np.array([rng.permutation(w) for _ in range(3)])   # three orders of one region
    pw = np.cumsum(ow, axis=1)
    total = int(pw[0, -1])
    check = _ChunkCheck(ow, pw, total, 300, 500)
    for o in range(3):
        for s in range(n - 1):
            both = (chunkable_by_hand(ow[o, : s + 1], 300, 500)[-1]
                    and chunkable_by_hand(ow[o, s + 1:], 300, 500)[-1])
            assert check(o, s) == both


def random_graph(seed, n=60, p=0.08):
    rng = np.random.default_rng(seed)
    a = sparse.random(n, n, density=p, random_state=rng, data_rvs=lambda k: rng.uniform(1, 9, k))
    adj = sparse.triu(a, k=1)
    adj = (adj + adj.T).tocsr()
    return adj, rng.integers(20, 200, n), rng.uniform(0, 1000, (n, 2)), rng


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("in_order", [False, True])
def test_a_region_is_the_subgraph_its_nodes_induce(seed, in_order):
    adj, w, xy, rng = random_graph(seed)
    r = rng.permutation(len(w))[:35]                     # unsorted, or sorted (its own path)
    r = np.sort(r) if in_order else r
    region = BoundedSplitter(adj, w, xy, 300, 500)._region(r)
    sub = adj[r][:, r].tocsr()
    sub.sort_indices()
    assert region.nbrs == [sub.indices[sub.indptr[i]:sub.indptr[i + 1]].tolist()
                           for i in range(len(r))]
    up = sparse.triu(sub, k=1).tocoo()
    assert np.array_equal(region.edge_a, up.row) and np.array_equal(region.edge_b, up.col)
    assert np.array_equal(region.edge_cost, up.data)


def grow_by_hand(nbrs, proj):
    """Growth from the lowest projection, always taking the frontier node lowest along it
    (ties to the lower index)."""
    start = min(range(len(proj)), key=lambda i: (proj[i], i))
    heap, seen, order = [(proj[start], start)], {start}, []
    while heap:
        u = heapq.heappop(heap)[1]
        order.append(u)
        for v in nbrs[u]:
            if v not in seen:
                seen.add(v)
                heapq.heappush(heap, (proj[v], v))
    return order


@pytest.mark.parametrize("seed", range(5))
def test_growth_orders_and_their_cut_costs_match_plain_versions(seed):
    adj, w, xy, rng = random_graph(seed, p=0.15)
    xy[3] = xy[7]                                        # a tie along every direction
    sp = BoundedSplitter(adj, w, xy, 300, 500)
    region = sp._region(np.arange(len(w)))
    if any(len(v) == 0 for v in region.nbrs):
        pytest.skip("graph not connected")
    dirs = sp._directions(xy)
    orders, pos = sp._grow(region.nbrs, xy, dirs)
    cuts = sp._prefix_cuts(region, pos)
    edges = list(zip(region.edge_a.tolist(), region.edge_b.tolist(), region.edge_cost.tolist()))
    for d, order, cut in zip(dirs, orders, cuts):
        assert order.tolist() == grow_by_hand(region.nbrs, (xy @ d).tolist())
        for s in (0, 1, len(order) // 2, len(order)):
            inside = set(order[:s].tolist())
            assert cut[s] == pytest.approx(sum(c for a, b, c in edges
                                               if (a in inside) != (b in inside)))


def lattice_graph(nx_, ny_, seed):
    """A rook lattice with jittered points: most directions grow in plain rank order."""
    rng = np.random.default_rng(seed)
    idx = np.arange(nx_ * ny_).reshape(ny_, nx_)
    a = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    b = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    c = rng.choice([50.0, 50.0, 150.0], len(a))
    adj = sparse.coo_matrix((np.r_[c, c], (np.r_[a, b], np.r_[b, a])),
                            shape=(idx.size, idx.size)).tocsr()
    gx, gy = np.meshgrid(np.arange(nx_) * 50.0, np.arange(ny_) * 50.0)
    xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.normal(0, 0.01, (idx.size, 2))
    return adj, rng.integers(20, 200, idx.size), xy, rng


# _grow with the links given skips the heap where plain rank order is connected; the orders
# must be the heap's, which grow_by_hand spells out
GRAPHS = {"random": lambda s: random_graph(s, p=0.15),
          "lattice": lambda s: lattice_graph(9, 7, s)}


@pytest.mark.parametrize("graph", sorted(GRAPHS))
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("whole", [False, True])
def test_growth_in_plain_rank_order_is_the_heaps_order(graph, seed, whole):
    adj, w, xy, rng = GRAPHS[graph](seed)
    sp = BoundedSplitter(adj, w, xy, 300, 500)
    # a region, maybe in pieces; the whole graph is where directions go in plain rank order
    r = np.arange(len(w)) if whole else rng.permutation(len(w))[: len(w) * 3 // 4]
    region = sp._region(r)
    dirs = sp._directions(xy[r])
    fast, pos = sp._grow(region.nbrs, xy[r], dirs, (region.edge_a, region.edge_b))
    # each node's position in each order, as the cut costs take it (ranks on the plain path)
    assert (np.take_along_axis(pos, fast, axis=1) == np.arange(len(r))).all()
    plain = 0
    for d, order in zip(dirs, fast):
        by_hand = grow_by_hand(region.nbrs, (xy[r] @ d).tolist())
        rest = sorted(set(range(len(r))) - set(by_hand))
        assert order.tolist() == by_hand + rest
        rank = np.argsort(np.argsort(xy[r] @ d, kind="stable"))
        plain += all(any(rank[v] < rank[u] for v in region.nbrs[u])
                     for u in range(len(r)) if rank[u] > 0)
    if whole and graph == "lattice":
        assert plain > 0  # the plain path is taken (6 of the 8 directions here)


# _grow ranks nodes by one stacked product for all directions; grids depend on those ranks to
# the last bit (ties along a lattice), so it must equal the per-direction product it replaced
@pytest.mark.parametrize("n", [1, 2, 7, 60, 2100])
def test_stacked_projections_equal_one_product_per_direction(n):
    rng = np.random.default_rng(n)
    xy = np.column_stack([rng.uniform(4e5, 6e5, n), rng.uniform(3.9e6, 4.1e6, n)])
    for _ in range(20):
        dirs = BoundedSplitter(sparse.csr_matrix((1, 1)), np.ones(1), np.zeros((1, 2)), 1,
                               2)._directions(rng.normal(size=(5, 2)))
        assert np.array_equal(project(xy, dirs), np.array([xy @ d for d in dirs]))


@pytest.fixture(scope="module")
def city():
    return gp.synth(households=8_000, seed=2)


def _same_layer(a, b):
    assert list(a.columns) == list(b.columns)
    for c in a.columns:
        if c == a.geometry.name:
            assert shapely.equals_exact(a.geometry.values, b.geometry.values, 0).all()
        else:
            assert a[c].tolist() == b[c].tolist(), c


@pytest.mark.parametrize("knobs", [{"max_households": 400}, {"special_grid_units": 20}])
def test_a_replan_from_the_cache_equals_a_fresh_plan_shapes_and_special_grids(city, knobs):
    base = gp.plan(city)
    again, fresh = base.replan(**knobs), gp.plan(city, **knobs)
    for layer in ("grids", "communities", "special_grids"):
        _same_layer(getattr(again, layer), getattr(fresh, layer))
    assert again.homes["special_grid_id"].tolist() == fresh.homes["special_grid_id"].tolist()
    assert again.homes["grid_id"].tolist() == fresh.homes["grid_id"].tolist()
    if "special_grid_units" in knobs:
        assert len(again.special_grids) > len(base.special_grids)
