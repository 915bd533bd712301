"""What-if planning: re-plans reuse what did not change and give what a fresh plan gives;
stations added to a plan are measured like stations given at the start."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import gridplan as gp
from gridplan.errors import InputError


@pytest.fixture(scope="module")
def city():
    return gp.synth(households=15_000, seed=5)


@pytest.fixture(scope="module")
def base(city):
    return gp.plan(city)


def _same_frame(a: pd.DataFrame, b: pd.DataFrame, cols):
    for c in cols:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, equal_nan=True)
        else:
            assert (x == y).all(), c


def test_replan_with_a_new_range_equals_a_fresh_plan(city, base):
    again = base.replan(max_households=400)
    fresh = gp.plan(city, max_households=400)
    assert again.config.max_households == 400 and base.config.max_households == 500
    assert again.grids["households"].between(300, 400).all()
    _same_frame(again.grids, fresh.grids, ["grid_id", "households", "share_radius",
                                           "share_15min", "station_in_reach"])
    _same_frame(again.homes, fresh.homes, ["grid_id", "dist_m", "walk_m", "covered_15min"])
    assert again.summary.siting.proposed == fresh.summary.siting.proposed
    # the old plan is untouched
    assert base.grids["households"].max() > 400


def test_replan_of_siting_settings_keeps_the_grids_and_distances(base):
    again = base.replan(add_stations=2)
    assert again.partition is not base.partition
    assert (again.grids["grid_id"] == base.grids["grid_id"]).all()
    assert again.coverage is base.coverage
    assert len(again.proposed) <= 2 and again.siting.method.startswith("maximal covering")


def test_replan_with_a_new_radius_measures_again_on_the_same_network(city, base):
    again = base.replan(radius_m=300)
    fresh = gp.plan(city, radius_m=300)
    assert again.coverage.network is base.coverage.network
    _same_frame(again.homes, fresh.homes, ["covered_radius", "covered_radius_walk"])
    assert again.summary.coverage.straight_share < base.summary.coverage.straight_share


def test_replan_refuses_settings_used_at_load(base):
    with pytest.raises(InputError, match="dwelling_m2 is used when the city is loaded"):
        base.replan(dwelling_m2=80)
    with pytest.raises(InputError, match="unknown setting 'max_household'"):
        base.replan(max_household=400)


def test_with_stations_equals_a_plan_given_those_stations_at_the_start(city, base):
    extra = base.proposed.geometry.to_crs(4326)
    more = base.with_stations(extra)
    st = pd.concat([city.stations, gpd.GeoDataFrame(
        {"kind": ["added"] * len(extra)}, geometry=extra.to_crs(city.crs).values, crs=city.crs)],
        ignore_index=True)
    fresh = gp.plan(dataclasses.replace(city, stations=st))
    _same_frame(more.homes, fresh.homes, ["dist_m", "walk_m", "covered_radius", "covered_15min"])
    assert len(more.stations) == len(city.stations) + len(extra)
    assert (more.stations["kind"] == "added").sum() == len(extra)
    # the set-covering stations reach everything a candidate can: nothing is left to propose
    assert more.summary.coverage.straight_share > base.summary.coverage.straight_share
    assert more.siting.proposed == 0
    assert len(base.stations) == len(city.stations)


def test_with_stations_takes_xy_and_the_word_proposed(base):
    a = base.with_stations("proposed")
    b = base.with_stations(shapely.get_coordinates(base.proposed.geometry.values))
    assert (a.homes["dist_m"].to_numpy() == b.homes["dist_m"].to_numpy()).all()
    with pytest.raises(InputError, match="expected x/y pairs"):
        base.with_stations([1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="cannot change while adding stations"):
        base.with_stations("proposed", max_households=400)


def test_a_plan_renders_itself_in_a_notebook(base):
    html = base._repr_html_()
    assert f"{len(base.grids):,}" in html and "proposed stations" in html
    assert "leaflet" in html.lower()
