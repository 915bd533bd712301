"""Walk distances and siting on cases small enough to check by hand or by brute force."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridplan.coverage import (build_walk_network, site_stations, straight_distances,
                               walk_distances)

CRS = "EPSG:32650"


def streets(*lines):
    return gpd.GeoDataFrame({"rank": ["local"] * len(lines)},
                            geometry=[shapely.LineString(l) for l in lines], crs=CRS)


def test_walk_along_an_l_shaped_street_is_longer_than_the_straight_line():
    net = build_walk_network(streets([(0, 0), (400, 0), (400, 300)]))
    home, station = np.array([[0.0, 10.0]]), np.array([[410.0, 300.0]])
    d, _ = straight_distances(home, station)
    w, _ = walk_distances(net, home, station, 2000)
    assert d[0] == pytest.approx(np.hypot(410, 290))
    # 10 m to the street, 400 + 300 along it, 10 m to the station
    assert w[0] == pytest.approx(720.0, abs=0.01)


def test_crossing_streets_are_joined_at_the_crossing():
    net = build_walk_network(streets([(0, 0), (200, 0)], [(100, -100), (100, 100)]))
    w, _ = walk_distances(net, np.array([[0.0, 0.0]]), np.array([[100.0, 100.0]]), 1000)
    assert w[0] == pytest.approx(200.0, abs=0.01)


def test_home_across_a_river_with_no_bridge_is_beyond_the_walk_limit():
    # two streets that never meet: the home's side has no way to the station's side
    net = build_walk_network(streets([(0, 0), (500, 0)], [(0, 100), (500, 100)]))
    w, _ = walk_distances(net, np.array([[250.0, -5.0]]), np.array([[250.0, 105.0]]), 1000)
    assert np.isnan(w[0])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_walk_distances_equal_networkx_on_a_random_lattice(seed):
    rng = np.random.default_rng(seed)
    xs = np.cumsum(rng.uniform(50, 150, 6))
    ys = np.cumsum(rng.uniform(50, 150, 6))
    lines = [[(xs[0], y), (xs[-1], y)] for y in ys] + [[(x, ys[0]), (x, ys[-1])] for x in xs]
    net = build_walk_network(streets(*lines))
    # stations and homes exactly on lattice nodes: walk = graph distance
    nodes = [(x, y) for x in xs for y in ys]
    pick = rng.choice(len(nodes), 3, replace=False)
    st_xy = np.array([nodes[i] for i in pick])
    g = nx.Graph()
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            if i + 1 < len(xs):
                g.add_edge((x, y), (xs[i + 1], y), w=xs[i + 1] - x)
            if j + 1 < len(ys):
                g.add_edge((x, y), (x, ys[j + 1]), w=ys[j + 1] - y)
    ref = nx.multi_source_dijkstra_path_length(g, {tuple(p) for p in st_xy}, weight="w")
    homes = np.array(nodes)
    w, _ = walk_distances(net, homes, st_xy, 10_000)
    assert np.allclose(w, [ref[tuple(p)] for p in homes], atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_set_covering_is_optimal_on_tiny_instances(seed):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 1000, (25, 2))
    cand = rng.uniform(0, 1000, (8, 2))
    w = rng.integers(1, 50, 25).astype(float)
    r = site_stations(demand, w, cand, radius_m=300)
    d = np.hypot(*(demand[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    reach = d <= 300
    coverable = reach.any(1)
    assert r.coverable_households == pytest.approx(w[coverable].sum())
    assert set(np.asarray(r.uncoverable, dtype=int)) == set(np.flatnonzero(~coverable))
    best = next(k for k in range(0, 9) for c in itertools.combinations(range(8), k)
                if reach[:, list(c)].any(1)[coverable].all())
    assert len(r.chosen) == best
    assert reach[:, list(r.chosen)].any(1)[coverable].all()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), add=st.integers(1, 3))
def test_maximal_covering_is_optimal_on_tiny_instances(seed, add):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 1000, (25, 2))
    cand = rng.uniform(0, 1000, (7, 2))
    w = rng.integers(1, 50, 25).astype(float)
    r = site_stations(demand, w, cand, radius_m=300, add=add)
    d = np.hypot(*(demand[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    reach = d <= 300
    best = max(w[reach[:, list(c)].any(1)].sum() for c in itertools.combinations(range(7), add))
    assert r.covered_households == pytest.approx(best)
