"""`gridplan site` and `gp.site`: the fewest stations, the best N, on foot, one per grid, with
the candidates' own columns kept."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from scipy.spatial import cKDTree

import gridplan as gp
from gridplan.coverage import build_walk_network, walk_distances
from gridplan.propose import home_points

from .test_cli import assert_one_line_error, run


@pytest.fixture(scope="module")
def city():
    return gp.synth(households=9_000, seed=4)


@pytest.fixture(scope="module")
def city_file(tmp_path_factory, city):
    p = tmp_path_factory.mktemp("site") / "city.gpkg"
    city.to_gpkg(p)
    return p


def _weights(homes):
    return homes["households"].to_numpy(dtype=float)


def _reach(homes, sites_xy, radius):
    xy = home_points(homes)
    if not len(sites_xy):
        return np.zeros(len(xy), bool)
    d, _ = cKDTree(sites_xy).query(xy)
    return d <= radius


def test_set_covering_reaches_every_household_a_candidate_reaches(city):
    s = gp.site(city)
    h, w = s.homes, _weights(s.homes)
    cand_xy = shapely.get_coordinates(
        gp.propose.default_candidates(city, city.homes,
                                      build_walk_network(city.streets)).geometry.values)
    existing = shapely.get_coordinates(city.stations.geometry.values)
    reachable = _reach(h, np.vstack([cand_xy, existing]), 500)
    after = _reach(h, np.vstack([existing, shapely.get_coordinates(s.proposed.geometry.values)]),
                   500)
    assert (after == h["covered_after"].to_numpy()).all()
    assert w[after].sum() == pytest.approx(w[reachable].sum())
    assert s.summary.siting.covered_households == round(w[after].sum())
    assert s.summary.share_before < s.summary.share_after
    # best first: each station adds no more than the one before it
    added = s.proposed["households_added"].to_numpy()
    assert (np.diff(added) <= 0).all() and added.min() > 0
    # no proposed station is spare: without any one, some household falls out of reach
    xy = shapely.get_coordinates(s.proposed.geometry.values)
    for k in range(len(xy)):
        rest = np.vstack([existing, np.delete(xy, k, axis=0)])
        assert w[_reach(h, rest, 500)].sum() < w[after].sum()


def test_add_n_gives_n_stations_at_least_as_good_as_greedy(city):
    city = dataclasses.replace(city, stations=city.stations.iloc[:0])
    s = gp.site(city, add_stations=2)
    assert len(s.proposed) == 2
    w = _weights(s.homes)
    before = s.homes["covered_before"].to_numpy()
    # the best single station, tried one by one, then the best second: greedy's answer
    cand = gp.propose.default_candidates(city, city.homes, build_walk_network(city.streets))
    cxy = shapely.get_coordinates(cand.geometry.values)
    xy = home_points(s.homes)
    tree = cKDTree(xy)
    sets = [np.asarray(tree.query_ball_point(c, 500), int) for c in cxy]
    covered = before.copy()
    for _ in range(2):
        gains = [w[r[~covered[r]]].sum() for r in sets]
        covered[sets[int(np.argmax(gains))]] = True
    assert w[s.homes["covered_after"]].sum() >= w[covered].sum() - 1e-6


def test_add_more_than_needed_proposes_only_what_adds_households(city):
    s = gp.site(city, add_stations=50)
    assert 0 < len(s.proposed) < 50
    assert (s.proposed["households_added"] > 0).all()
    assert s.summary.siting.covered_households == s.summary.siting.coverable_households


def test_walk_metric_counts_households_along_the_streets(city):
    s = gp.site(city, siting_metric="walk", add_stations=3)
    net = build_walk_network(city.streets)
    xy = home_points(s.homes)
    w = _weights(s.homes)
    for _, row in s.proposed.iterrows():
        d, _ = walk_distances(net, xy, np.array([[row.geometry.x, row.geometry.y]]), 500.0)
        assert row["households_in_reach"] == round(w[d <= 500.0].sum())
    st = np.vstack([shapely.get_coordinates(city.stations.geometry.values),
                    shapely.get_coordinates(s.proposed.geometry.values)])
    d, _ = walk_distances(net, xy, st, 500.0)
    assert ((d <= 500.0) == s.homes["covered_after"].to_numpy()).all()


def test_one_station_per_grid_gives_every_grid_a_station_in_reach(city):
    s = gp.site(city, one_station_per_grid=True, add_stations=12)
    h = s.homes
    st = np.vstack([shapely.get_coordinates(city.stations.geometry.values),
                    shapely.get_coordinates(s.proposed.geometry.values)])
    reach = _reach(h, st, 500)
    res = h["households"] > 0
    per_grid = reach[res.to_numpy()].astype(int)
    grid_ok = h[res].assign(r=per_grid).groupby("grid_id")["r"].max()
    assert grid_ok.all(), grid_ok[grid_ok == 0]
    assert len(s.proposed) <= 12


def test_target_coverage_stops_at_the_target(city):
    base = gp.site(city)
    before = base.summary.share_before
    target = round((before + base.summary.share_after) / 2, 3)
    s = gp.site(city, target_coverage=target)
    assert s.summary.share_after >= target
    assert 0 < len(s.proposed) <= len(base.proposed)
    w, h = _weights(s.homes), s.homes
    existing = shapely.get_coordinates(city.stations.geometry.values)
    fewer = np.vstack([existing, shapely.get_coordinates(s.proposed.geometry.values[:-1])])
    assert w[_reach(h, fewer, 500)].sum() / w.sum() < target


def test_cli_keeps_the_candidates_columns(tmp_path, city, city_file):
    ll = city.homes[city.homes["households"] == 0].geometry.representative_point().to_crs(4326)
    assert len(ll) >= 5
    lines = ["lon,lat,name,rent_cny"] + [f"{p.x:.7f},{p.y:.7f},shop {i},{1000 + i}"
                                         for i, p in enumerate(ll)]
    (tmp_path / "cand.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    r = run("site", city_file, "--candidates", tmp_path / "cand.csv", "--add", "2",
            "--radius-m", "150", "--out", out)
    assert r.returncode == 0, r.stderr
    layers = set(pyogrio.list_layers(out / "plan.gpkg")[:, 0])
    assert {"proposed_stations", "stations", "homes", "uncovered_homes"} <= layers
    p = gpd.read_file(out / "plan.gpkg", layer="proposed_stations")
    assert len(p) == 2 and p["name"].str.startswith("shop ").all()
    assert set(p["rent_cny"].astype(int)) <= set(range(1000, 1000 + len(ll)))
    s = json.loads((out / "summary.json").read_text())
    assert s["siting"]["proposed"] == 2 and s["siting"]["candidates"] == len(ll)
    assert s["siting"]["method"].startswith("maximal covering")
    assert "proposed 2 new stations" in r.stdout


@pytest.mark.parametrize("args, needles", [
    (["--candidates", "missing.csv"], ["missing.csv", "no such file"]),
    (["--add", "-1"], ["add_stations = -1", "expected a whole number >= 0"]),
    (["--add", "0", "--one-per-grid"], ["add = 0", "one station per grid needs"]),
    (["--radius-m", "0"], ["radius_m = 0"]),
])
def test_cli_bad_site_input_gives_one_line(tmp_path, city_file, args, needles):
    out = tmp_path / "out"
    args = [a if a != "missing.csv" else tmp_path / a for a in args]
    r = run("site", city_file, *args, "--out", out)
    assert_one_line_error(r, *needles)
    assert not out.exists()


def test_walk_siting_without_streets_says_what_is_missing(tmp_path):
    rows = [f"{117.0 + 0.001 * (i % 8)},{36.6 + 0.001 * (i // 8)},{50 + i}" for i in range(40)]
    (tmp_path / "homes.csv").write_text("lon,lat,households\n" + "\n".join(rows) + "\n")
    r = run("site", tmp_path / "homes.csv", "--metric", "walk", "--out", tmp_path / "out")
    assert_one_line_error(r, "needs streets", "--network")


def test_candidates_from_a_geopackage_need_the_named_layer(tmp_path, city, city_file):
    r = run("site", city_file, "--candidates", city_file, "--out", tmp_path / "out")
    assert_one_line_error(r, "no layer 'candidates'", "homes")
