"""Households from footprint × levels × residential share ÷ dwelling size."""

from __future__ import annotations

import geopandas as gpd
import shapely

from gridplan import PlanConfig
from gridplan.estimate import estimate_households


def test_each_fallback_of_the_estimate():
    sq = shapely.box(0, 0, 30, 30)          # 900 m² footprint
    b = gpd.GeoDataFrame({
        "building": ["apartments", "apartments", "apartments", "yes", "office", "house"],
        "building:levels": ["10", None, None, None, "12", "2;3"],
        "height": [None, "31.5 m", None, None, None, None],
    }, geometry=[sq] * 6, crs="EPSG:32650")
    hh = estimate_households(b, PlanConfig()).tolist()
    assert hh == [
        100,    # 900 × 10 levels ÷ 90
        100,    # height 31.5 m ÷ 3 m = 10.5 → 10 levels (rounded half to even)
        60,     # no levels, no height: apartments default 6
        15,     # 'yes': 3 levels × 0.5 residential share
        0,      # offices hold no homes
        20,     # '2;3' reads the first number
    ]


def test_dwelling_size_is_a_knob():
    b = gpd.GeoDataFrame({"building": ["apartments"], "building:levels": [6]},
                         geometry=[shapely.box(0, 0, 30, 30)], crs="EPSG:32650")
    assert estimate_households(b, PlanConfig(dwelling_m2=60.0)).iloc[0] == 90
