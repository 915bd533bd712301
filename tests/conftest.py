"""Shared builders of small cities for the tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridplan.city import make_city
from gridplan.config import PlanConfig

CRS = "EPSG:32650"


def small_city(xy, households, *, compound=None, kind=None, streets=(), barriers=(),
               stations=(), box=None, entrances=None, config=None):
    """A city from bare coordinates (metres, UTM 50N) and household counts."""
    xy = np.asarray(xy, dtype=float)
    data = {"households": np.asarray(households, dtype=int)}
    if compound is not None:
        data["compound"] = compound
    if kind is not None:
        data["kind"] = kind
    if entrances is not None:
        data["entrances"] = entrances
    homes = gpd.GeoDataFrame(data, geometry=shapely.points(xy), crs=CRS)
    st = (gpd.GeoDataFrame({"rank": [r for r, _ in streets]},
                           geometry=[g for _, g in streets], crs=CRS) if streets else None)
    wa = gpd.GeoDataFrame({"kind": ["water"] * len(barriers)}, geometry=list(barriers), crs=CRS) \
        if barriers else None
    sta = gpd.GeoDataFrame({"kind": ["station"] * len(stations)},
                           geometry=shapely.points(np.asarray(stations)), crs=CRS) \
        if len(stations) else None
    if box is None:
        x0, y0 = xy.min(0) - 50
        x1, y1 = xy.max(0) + 50
        box = shapely.box(x0, y0, x1, y1)
    return make_city(homes, st, wa, sta, box, config=config or PlanConfig(crs=CRS))


@pytest.fixture
def lattice_city():
    """A 20 × 20 lattice of address points, 20–200 households each, with arterials."""
    rng = np.random.default_rng(7)
    gx, gy = np.meshgrid(np.arange(20) * 60.0, np.arange(20) * 60.0)
    xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-5, 5, (400, 2))
    hh = rng.integers(20, 201, 400)
    streets = [("arterial", shapely.LineString([(590, -100), (590, 1300)])),
               ("arterial", shapely.LineString([(-100, 590), (1300, 590)]))]
    return small_city(xy, hh, streets=streets, stations=[(300, 300), (900, 900)])
