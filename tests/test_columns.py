"""The grid and community tables carry the columns gridplan.partition.columns declares, in its
order and dtypes, in the plan and in plan.gpkg and the CSV tables; the homes table the ones
gridplan.columns names."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

import gridplan as gp
from gridplan.outputs.save import write_plan
from gridplan.partition.columns import (COMMUNITY_TABLE, GRID_TABLE, GRID_COLUMNS,
                                        COMMENTS, names)


@pytest.fixture(scope="module")
def plan():
    return gp.plan(gp.synth(households=6_000, seed=3))


def test_a_plans_grids_and_communities_have_the_declared_columns_dtypes_and_order(plan):
    for frame, table in ((plan.grids, GRID_TABLE), (plan.communities, COMMUNITY_TABLE)):
        got = [(c, "geometry" if c == frame.geometry.name else str(frame[c].dtype))
               for c in frame.columns]
        # every column but a review's comments, which only a reviewed plan has
        assert got == [(c.name, c.dtype) for c in table if c.name != COMMENTS]


def test_a_reviewed_plan_puts_comments_last(plan):
    reviewed = plan.apply_edits({"type": "FeatureCollection", "features": []})
    assert list(reviewed.grids.columns) == names(GRID_TABLE)
    assert names(GRID_COLUMNS) == list(reviewed.partition.grids.columns)[:len(GRID_COLUMNS)]


def test_plan_gpkg_and_the_csv_tables_write_the_declared_columns_in_order(plan, tmp_path):
    write_plan(plan, tmp_path / "out", tables=True)
    grids = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="grids")
    geometry_free = [c for c in names(GRID_TABLE) if c not in (COMMENTS, "geometry")]
    assert list(grids.columns) == geometry_free + ["geometry"]     # GDAL's geometry last
    csv = pd.read_csv(tmp_path / "out" / "grids.csv", encoding="utf-8-sig", nrows=1)
    assert list(csv.columns)[:len(geometry_free)] == geometry_free
    comm = pd.read_csv(tmp_path / "out" / "communities.csv", encoding="utf-8-sig", nrows=1)
    assert list(comm.columns)[:len(COMMUNITY_TABLE) - 1] == \
        [c for c in names(COMMUNITY_TABLE) if c != "geometry"]


def test_a_plans_homes_carry_the_partitions_then_the_coverages_columns_by_their_file_names(plan):
    """The names plan.gpkg's homes layer is read by (spelled here, as the file has them): what
    the partition adds to the city's homes, then what the coverage adds."""
    from gridplan import columns as H

    added = [H.HOME_INDEX, H.PART, H.PART_OF, H.SPLIT_BY, H.GRID_ID, H.COMMUNITY_ID,
             H.SPECIAL_GRID_ID, H.COMPOUND_CUT, H.DIST_M, H.WALK_M, H.ACCESS_M,
             H.COVERED_RADIUS, H.COVERED_RADIUS_WALK, H.COVERED_15MIN]
    assert added == ["home_index", "part", "part_of", "split_by", "grid_id", "community_id",
                     "special_grid_id", "compound_cut", "dist_m", "walk_m", "access_m",
                     "covered_radius", "covered_radius_walk", "covered_15min"]
    city = list(plan.city.homes.columns)
    assert list(plan.homes.columns) == city + added
    assert H.HOUSEHOLDS_SOURCE in city and plan.proposed.columns[-3:].tolist() == [
        H.PROPOSED_RANK, H.HOUSEHOLDS_ADDED, H.HOUSEHOLDS_IN_REACH]
