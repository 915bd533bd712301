"""The Python API: gp.plan on the embedded district, the summary, and saving a plan."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest

import gridplan as gp


@pytest.fixture(scope="module")
def demo_plan():
    return gp.plan(gp.synth(households=12_000, seed=4))


def test_plan_holds_the_household_bounds_on_the_embedded_district(demo_plan):
    g = demo_plan.grids
    assert g["in_range"].all()
    assert g["households"].sum() == demo_plan.city.households == 12_000
    assert demo_plan.communities["in_range"].all()
    assert demo_plan.summary.grids.within_bounds_share == 1.0


def test_homes_get_distances_that_respect_geometry(demo_plan):
    h = demo_plan.homes
    walk = h["walk_m"].to_numpy()
    ok = np.isfinite(walk)
    assert ok.mean() > 0.5
    # along the streets is never shorter than the straight line
    assert (walk[ok] >= h["dist_m"].to_numpy()[ok] - 0.1).all()
    assert (h["covered_radius"] == (h["dist_m"] <= 500)).all()


def test_summary_coverage_matches_the_homes(demo_plan):
    s = demo_plan.summary
    h = demo_plan.homes[demo_plan.homes["households"] > 0]
    share = h.loc[h["covered_radius"], "households"].sum() / h["households"].sum()
    assert s.coverage.straight_share == pytest.approx(share, abs=1e-4)
    assert s.coverage.walk_share <= s.coverage.walk_15min_share
    assert s.siting.covered_households <= s.siting.coverable_households


def covered_with_proposed(plan):
    from scipy.spatial import cKDTree
    h = plan.homes[plan.homes["households"] > 0]
    pts = h.geometry.representative_point()
    xy = np.column_stack([pts.x, pts.y])
    st = np.vstack([np.column_stack([s.geometry.x, s.geometry.y])
                    for s in (plan.stations, plan.proposed) if len(s)])
    d, _ = cKDTree(st).query(xy)
    return h["households"].to_numpy()[d <= plan.config.radius_m].sum()


def test_proposed_stations_close_the_gap(demo_plan):
    assert covered_with_proposed(demo_plan) == demo_plan.siting.covered_households
    assert demo_plan.siting.covered_households == demo_plan.siting.coverable_households


def test_knobs_override_the_config(demo_plan):
    p = gp.plan(demo_plan.city, max_households=400)
    assert p.config.max_households == 400
    assert p.grids["households"].max() <= 400 or p.summary.grids.unresolved


def test_target_coverage_proposes_no_more_than_needed(demo_plan):
    p = gp.plan(demo_plan.city, target_coverage=0.9)
    full = demo_plan.siting.proposed
    assert 0 < p.siting.proposed <= full
    assert p.summary.coverage.straight_share < 0.9  # existing stations alone fall short
    assert covered_with_proposed(p) >= 0.9 * 12_000
    assert covered_with_proposed(p) == p.siting.covered_households


def test_unknown_knob_is_an_input_error(demo_plan):
    with pytest.raises(gp.InputError, match="unknown setting 'max_hh'"):
        gp.plan(demo_plan.city, max_hh=3)


def test_save_writes_three_files_and_replaces_an_old_plan(demo_plan, tmp_path):
    out = tmp_path / "plan"
    demo_plan.save(out)
    (out / "map.html").write_text("old")        # an old plan: gridplan's own files only
    demo_plan.save(out)
    assert {p.name for p in out.iterdir()} == {"plan.gpkg", "summary.json", "map.html",
                                               ".gridplan"}
    assert (out / "map.html").read_text() != "old"
    s = json.loads((out / "summary.json").read_text())
    assert s["households"] == 12_000
    grids = gpd.read_file(out / "plan.gpkg", layer="grids")
    assert len(grids) == len(demo_plan.grids)
    assert grids.crs == demo_plan.city.crs
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plan")]


def test_isochrones_are_computed_on_demand_and_hold_their_station(demo_plan):
    iso = demo_plan.isochrones
    assert len(iso) == len(demo_plan.stations) and iso.crs == demo_plan.city.crs
    for poly, st in zip(iso.geometry, demo_plan.stations.geometry):
        assert poly.buffer(30).contains(st)
    assert demo_plan.isochrones is iso           # computed once


def test_homes_far_from_every_street_get_no_walk_distance(demo_plan):
    near = gp.plan(demo_plan.city, snap_max_m=5000.0)
    far = gp.plan(demo_plan.city, snap_max_m=1.0)
    assert np.isfinite(near.homes["walk_m"]).sum() > np.isfinite(far.homes["walk_m"]).sum()
