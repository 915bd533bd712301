"""Walk network, straight and walk distances, isochrones and coverage shares."""

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.spatial import Delaunay, cKDTree

from gridplan.coverage import (build_walk_network, coverage_shares, snap_to_network,
                               straight_distances, walk_distances, walk_isochrones)
from gridplan.config import PlanConfig
from gridplan.coverage.network import walkable
from gridplan.errors import InputError

OSM = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "shanghai_huangpu_roads.osm"
UTM = 32651


def streets(*lines, **cols):
    geoms = [shapely.LineString(line) for line in lines]
    cols.setdefault("rank", ["local"] * len(geoms))
    return gpd.GeoDataFrame(cols, geometry=geoms, crs=UTM)


def lattice(n, spacing=100.0, drop=(), seed=None):
    """n x n street lattice as one line per block edge; ``drop`` removes edges by index."""
    ij = np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing="ij"), -1) * spacing
    a = np.concatenate([ij[:-1, :].reshape(-1, 2), ij[:, :-1].reshape(-1, 2)])
    b = np.concatenate([ij[1:, :].reshape(-1, 2), ij[:, 1:].reshape(-1, 2)])
    keep = np.setdiff1d(np.arange(len(a)), drop)
    return streets(*[[tuple(a[k]), tuple(b[k])] for k in keep])


# --- hand-computed cases -------------------------------------------------------------------

def test_home_and_station_on_a_straight_street_walk_along_it():
    net = build_walk_network(streets([(0, 0), (1000, 0)]))
    walk, which = walk_distances(net, [[100, 10], [900, -20]], [[400, -5]], 1000)
    # off the street 10 m, along it 300 m, onto the station 5 m
    assert walk == pytest.approx([315.0, 20 + 500 + 5])
    assert which.tolist() == [0, 0]


def test_l_shaped_street_walk_is_longer_than_the_straight_line():
    net = build_walk_network(streets([(0, 0), (300, 0), (300, 300)]))
    walk, _ = walk_distances(net, [[0, -20]], [[310, 300]], 2000)
    dist, _ = straight_distances([[0, -20]], [[310, 300]])
    assert walk[0] == pytest.approx(20 + 300 + 300 + 10)
    assert dist[0] == pytest.approx(np.hypot(310, 320))
    assert walk[0] > dist[0]


def test_home_across_a_river_without_a_bridge_is_unreachable():
    banks = streets([(0, 0), (2000, 0)], [(0, 120), (2000, 120)])  # a river between y=20..100
    net = build_walk_network(banks)
    walk, which = walk_distances(net, [[1000, 110]], [[1000, 10]], 1000)
    dist, _ = straight_distances([[1000, 110]], [[1000, 10]])
    assert dist[0] == pytest.approx(100)
    assert np.isnan(walk[0]) and which[0] == -1
    bridged = build_walk_network(pd.concat([banks, streets([(1500, 0), (1500, 120)])]))
    walk, which = walk_distances(bridged, [[1000, 110]], [[1000, 10]], 2000)
    assert walk[0] == pytest.approx(10 + 500 + 120 + 500 + 10)
    assert which[0] == 0


def test_home_and_station_on_one_long_edge_walk_straight_along_it():
    net = build_walk_network(streets([(0, 0), (1000, 0)]))
    walk, which = walk_distances(net, [[600, 0]], [[1000, 0], [500, 3], [0, 0]], 1000)
    assert walk[0] == pytest.approx(103.0)
    assert which[0] == 1


def test_walks_beyond_the_limit_are_nan():
    net = build_walk_network(streets([(0, 0), (1000, 0)]))
    walk, which = walk_distances(net, [[100, 0], [900, 0]], [[0, 0]], 500)
    assert walk[0] == pytest.approx(100) and np.isnan(walk[1])
    assert which.tolist() == [0, -1]


def test_crossing_lines_are_joined_at_the_crossing():
    x = build_walk_network(streets([(0, 0), (200, 200)], [(0, 200), (200, 0)]))
    assert x.n_nodes == 5 and x.n_edges == 4
    walk, _ = walk_distances(x, [[0, 0]], [[0, 200]], 1000)
    assert walk[0] == pytest.approx(2 * np.hypot(100, 100))


def test_a_street_ending_on_another_is_joined_there():
    t = build_walk_network(streets([(0, 0), (1000, 0)], [(400, 0.02), (400, 300)]))
    walk, _ = walk_distances(t, [[0, 0]], [[400, 300]], 2000)
    assert walk[0] == pytest.approx(400 + 300, abs=0.05)
    assert t.component.max() == 0


def test_a_bridge_over_a_street_is_not_joined_to_it():
    net = build_walk_network(streets([(0, 0), (1000, 0)], [(500, -300), (500, 300)],
                                     bridge=[None, "yes"]))
    assert net.component.max() == 1
    walk, _ = walk_distances(net, [[0, 0]], [[500, 300]], 5000)
    assert np.isnan(walk[0])


def test_a_bridge_with_an_empty_layer_tag_is_still_above_the_street():
    net = build_walk_network(streets([(0, 0), (1000, 0)], [(500, -300), (500, 300)],
                                     bridge=[None, "yes"], layer=[None, None]))
    assert net.component.max() == 1


def test_a_passage_through_a_building_joins_the_street_it_crosses():
    net = build_walk_network(streets([(0, 0), (1000, 0)], [(500, -300), (500, 300)],
                                     tunnel=[None, "building_passage"]))
    walk, _ = walk_distances(net, [[0, 0]], [[500, 300]], 5000)
    assert walk[0] == pytest.approx(800.0)


@pytest.mark.parametrize("tags, walk_m", [
    ({}, 800.0),                                           # untagged: walkable
    ({"foot": "no"}, np.nan),                              # pedestrians barred
    ({"motorroad": "yes"}, np.nan),                        # elevated expressway
    ({"highway": "motorway"}, np.nan),
    ({"access": "private"}, np.nan),
    ({"access": "private", "foot": "yes"}, 800.0),         # a gate residents may use
])
def test_streets_pedestrians_may_not_use_are_left_out(tags, walk_m):
    """A home at the west end, a station at the north end of the second street: the only
    way there is along the second street."""
    cols = {k: [None, v] for k, v in tags.items()}
    net = build_walk_network(streets([(0, 0), (1000, 0)], [(500, 0), (500, 300)], **cols))
    walk, _ = walk_distances(net, [[0, 0]], [[500, 300]], 5000, max_access_m=50)
    if np.isnan(walk_m):
        assert np.isnan(walk[0])
    else:
        assert walk[0] == pytest.approx(walk_m)


def test_ends_within_a_decimetre_are_one_node():
    net = build_walk_network(streets([(0, 0), (100, 0)], [(100.06, 0.03), (200, 0)]))
    assert net.n_nodes == 3
    walk, _ = walk_distances(net, [[0, 0]], [[200, 0]], 1000)
    assert walk[0] == pytest.approx(200, abs=0.1)


def test_every_component_is_kept_and_homes_snap_to_their_nearest_street():
    net = build_walk_network(streets([(0, 0), (1000, 0)], [(0, 500), (50, 500)]))
    assert net.component.tolist().count(1) == 2  # the short islet is component 1
    snap = snap_to_network(net, [[25, 490]])
    assert net.edges["component"].iloc[snap.edge[0]] == 1
    assert snap.access_m[0] == pytest.approx(10) and snap.along_m[0] == pytest.approx(25)


def test_no_streets_give_an_empty_network_and_no_walks():
    empty = gpd.GeoDataFrame({"rank": []}, geometry=[], crs=UTM)
    net = build_walk_network(empty)
    assert net.is_empty and net.n_nodes == 0 and build_walk_network(None).is_empty
    walk, which = walk_distances(net, [[0, 0], [5, 5]], [[1, 1]], 1000)
    assert np.isnan(walk).all() and (which == -1).all()
    iso = walk_isochrones(net, [[1, 1]], 1000)
    assert len(iso) == 1 and iso.geometry.iloc[0].is_empty


def test_no_stations_are_infinitely_far_in_a_straight_line():
    dist, which = straight_distances([[0, 0], [1, 1]], np.zeros((0, 2)))
    assert np.isinf(dist).all() and (which == -1).all()


def test_bad_arguments_name_the_parameter():
    net = build_walk_network(streets([(0, 0), (10, 0)]))
    with pytest.raises(InputError, match="limit_m"):
        walk_distances(net, [[0, 0]], [[1, 1]], -5)
    with pytest.raises(InputError, match="homes_xy"):
        walk_distances(net, [[0, 0, 0]], [[1, 1]], 100)
    with pytest.raises(InputError, match="stations_xy"):
        straight_distances([[0, 0]], [[np.nan, 1]])


# --- against networkx ----------------------------------------------------------------------

def _point_to_segments(p, seg):
    a, d = seg[:, :2], seg[:, 2:] - seg[:, :2]
    t = np.clip(((p - a) * d).sum(1) / (d * d).sum(1), 0, 1)
    foot = a + t[:, None] * d
    return np.hypot(*(p - foot).T), t * np.hypot(d[:, 0], d[:, 1]), foot


def _reference_walks(seg, homes, stations):
    """Walk from every station to every home on a networkx graph built straight from the
    segments, with homes and stations spliced into their nearest segment (brute force)."""
    g = nx.Graph()
    key = {}

    def node(xy):
        return key.setdefault((round(xy[0], 6), round(xy[1], 6)), len(key))
    splits = {i: [] for i in range(len(seg))}
    for kind, pts in (("h", homes), ("s", stations)):
        for j, p in enumerate(pts):
            dist, along, foot = _point_to_segments(p, seg)
            i = int(np.argmin(dist))
            splits[i].append((along[i], (kind, j)))
            g.add_edge((kind, j, "pt"), (kind, j), weight=dist[i])
    for i, s in enumerate(seg):
        a, b = node(s[:2]), node(s[2:])
        length = np.hypot(s[2] - s[0], s[3] - s[1])
        chain = [(0.0, a)] + sorted(splits[i]) + [(length, b)]
        for (t0, n0), (t1, n1) in zip(chain[:-1], chain[1:]):
            w = t1 - t0
            if g.has_edge(n0, n1):
                w = min(w, g[n0][n1]["weight"])
            g.add_edge(n0, n1, weight=w)
    return {j: nx.single_source_dijkstra_path_length(g, ("s", j, "pt"))
            for j in range(len(stations))}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_pts=st.integers(4, 30), n_homes=st.integers(1, 25),
       n_st=st.integers(1, 5), drop=st.floats(0, 0.5), limit=st.sampled_from([300.0, 800.0]))
def test_walk_distances_match_networkx_on_random_planar_streets(seed, n_pts, n_homes, n_st,
                                                                 drop, limit):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 1000, (n_pts, 2))
    assume(len(cKDTree(pts).query_pairs(1.0)) == 0)
    tri = Delaunay(pts)
    assume(len(tri.coplanar) == 0)
    edges = {tuple(sorted((s[i], s[(i + 1) % 3]))) for s in tri.simplices for i in range(3)}
    edges = [e for e in sorted(edges) if rng.random() >= drop]
    assume(edges)
    seg = np.array([np.concatenate([pts[a], pts[b]]) for a, b in edges])
    for a, b in edges:  # slivers: a point (almost) on another edge would join it
        others = np.delete(np.arange(n_pts), [a, b])
        assume(all(_point_to_segments(pts[k], seg[[edges.index((a, b))]])[0][0] > 1.0
                   for k in others))
    # the reference snaps to the nearest line: no preference for the main network over the
    # fragments that dropping edges leaves (that rule is tested in test_coverage_osm.py)
    net = build_walk_network(streets(*[[tuple(s[:2]), tuple(s[2:])] for s in seg]),
                             config=PlanConfig(snap_prefer_m=0.0, snap_fragment_m=0.0))
    assert net.n_edges == len(seg)  # a planar graph: nothing to cut
    homes = rng.uniform(-100, 1100, (n_homes, 2))
    stations = rng.uniform(-100, 1100, (n_st, 2))
    walk, which = walk_distances(net, homes, stations, limit)
    ref = _reference_walks(seg, homes, stations)
    for h in range(n_homes):
        by_station = np.array([ref[j].get(("h", h, "pt"), np.inf) for j in range(n_st)])
        best = by_station.min()
        if abs(best - limit) < 1e-6:
            continue
        if best > limit:
            assert np.isnan(walk[h]) and which[h] == -1
        else:
            assert walk[h] == pytest.approx(best, rel=1e-9)
            assert by_station[which[h]] == pytest.approx(best, rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_lines=st.integers(1, 25))
def test_walk_is_never_shorter_than_the_straight_line(seed, n_lines):
    rng = np.random.default_rng(seed)
    ends = rng.uniform(0, 1000, (n_lines, 2, 2))
    net = build_walk_network(streets(*[list(map(tuple, e)) for e in ends]))
    homes, stations = rng.uniform(0, 1000, (50, 2)), rng.uniform(0, 1000, (4, 2))
    walk, which = walk_distances(net, homes, stations, 3000)
    dist, _ = straight_distances(homes, stations)
    ok = ~np.isnan(walk)
    assert (walk[ok] >= dist[ok]).all()
    assert (walk[ok] >= np.hypot(*(homes[ok] - stations[which[ok]]).T)).all()


def _shanghai():
    ox = pytest.importorskip("osmnx")
    if not OSM.exists():
        pytest.skip(f"no {OSM}")
    graph = ox.graph_from_xml(OSM, simplify=False, retain_all=True)
    _, edges = ox.graph_to_gdfs(graph)
    return edges.to_crs(UTM).reset_index()


def _nx_node_walks(edges, sources):
    g = nx.Graph()
    for u, v, length in zip(edges["u"], edges["v"], edges.geometry.length):
        if u != v and (not g.has_edge(u, v) or g[u][v]["weight"] > length):
            g.add_edge(u, v, weight=length)
    return nx.multi_source_dijkstra_path_length(g, set(sources))


@pytest.mark.parametrize("join_crossings", [False, True])
def test_walk_distances_match_networkx_on_shanghai_streets(join_crossings):
    edges = _shanghai()
    # the reference walks where people may walk too (three ways here are access=no)
    barred = ~walkable(edges)
    assert barred.any() and set(edges.loc[barred, "access"]) == {"no"}
    edges = edges[~barred]
    if join_crossings:
        # elevated roads cross each other without meeting (no `layer` in this extract);
        # every other crossing is a bridge or tunnel over a street, which must not join
        edges = edges[edges["bridge"].isna()]
    # homes sit on every node here, bridges and fragments too: attach each to its own
    # street (no preference for ground-level streets, see test_coverage_osm.py)
    flat = PlanConfig(snap_prefer_m=0.0, snap_fragment_m=0.0)
    net = build_walk_network(edges, join_crossings=join_crossings, config=flat)
    xy = np.column_stack([edges.geometry.apply(lambda g: g.coords[0][0]),
                          edges.geometry.apply(lambda g: g.coords[0][1])])
    node_xy = pd.DataFrame({"node": edges["u"], "x": xy[:, 0], "y": xy[:, 1]})
    node_xy = node_xy.drop_duplicates("node").set_index("node")
    rng = np.random.default_rng(7)
    for sources in (rng.choice(node_xy.index, 1), rng.choice(node_xy.index, 5, replace=False)):
        ref = _nx_node_walks(edges, sources)
        walk, _ = walk_distances(net, node_xy[["x", "y"]].to_numpy(),
                                 node_xy.loc[sources, ["x", "y"]].to_numpy(), 100_000)
        expect = np.array([ref.get(n, np.nan) for n in node_xy.index])
        assert (np.isnan(walk) == np.isnan(expect)).all()
        ok = ~np.isnan(expect)
        assert ok.sum() > 0.5 * len(expect)
        np.testing.assert_allclose(walk[ok], expect[ok], rtol=1e-6, atol=1e-6)


# --- isochrones ----------------------------------------------------------------------------

def test_isochrones_hold_the_reachable_nodes_and_not_the_unreachable():
    rng = np.random.default_rng(3)
    grid = lattice(12, drop=rng.choice(264, 60, replace=False))
    net = build_walk_network(grid)
    stations = np.array([[550.0, 520.0], [130.0, 1040.0], [1000.0, 90.0]])
    limit, buffer_m = 420.0, 25.0
    iso = walk_isochrones(net, stations, limit, buffer_m)
    assert len(iso) == 3 and iso["station"].tolist() == [0, 1, 2]
    pts = shapely.points(net.xy)
    for j, poly in enumerate(iso.geometry):
        walk, _ = walk_distances(net, net.xy, stations[[j]], 10_000)
        walk = np.where(np.isnan(walk), np.inf, walk)
        inside = shapely.covers(poly, pts)
        assert inside[walk <= limit].all()
        # on a 100 m lattice only a node's own edges pass within 25 m of it
        assert not inside[walk > limit + buffer_m + 1e-6].any()
        assert (walk <= limit).sum() >= 3


def test_isochrone_does_not_cross_a_river_without_a_bridge():
    net = build_walk_network(streets([(0, 0), (2000, 0)], [(0, 120), (2000, 120)]))
    iso = walk_isochrones(net, [[1000, 10]], 900, buffer_m=25)
    poly = iso.geometry.iloc[0]
    assert poly.covers(shapely.Point(1500, 0)) and poly.covers(shapely.Point(1000, 10))
    assert not poly.intersects(shapely.LineString([(0, 120), (2000, 120)]))
    # 10 m onto the street leaves 890 m each way: x from 110 to 1890
    assert poly.covers(shapely.Point(1910, 0)) and not poly.covers(shapely.Point(1920, 0))
    assert poly.area == pytest.approx(1780 * 50 + np.pi * 25**2, rel=0.01)


def test_isochrone_of_a_station_midway_along_a_long_street():
    net = build_walk_network(streets([(0, 0), (6000, 0)]))
    poly = walk_isochrones(net, [[3000, 0]], 500).geometry.iloc[0]
    assert poly.bounds == pytest.approx((2475, -25, 3525, 25))


def test_isochrone_is_empty_for_a_station_beyond_the_walk_from_every_street():
    net = build_walk_network(streets([(0, 0), (100, 0)]))
    iso = walk_isochrones(net, [[0, 5000], [50, 10]], 1000)
    assert iso.geometry.iloc[0].is_empty and not iso.geometry.iloc[1].is_empty
    assert iso.crs == net.crs


# --- shares --------------------------------------------------------------------------------

def test_coverage_share_is_weighted_by_households():
    assert coverage_shares([100, 300, 0], [True, False, True]) == pytest.approx(0.25)
    assert np.isnan(coverage_shares([0, 0], [True, False]))


def test_coverage_share_per_grid():
    share = coverage_shares(pd.Series([100, 300, 50, 0]), [True, False, True, False],
                            groups=["g2", "g1", "g2", "g3"])
    assert share["g1"] == 0 and share["g2"] == 1 and np.isnan(share["g3"])
    assert list(share.index) == ["g1", "g2", "g3"]
