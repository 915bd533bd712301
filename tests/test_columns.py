"""The grid and community tables carry the columns gridplan.partition.columns declares, in its
order and dtypes, in the plan and in plan.gpkg and the CSV tables."""

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
