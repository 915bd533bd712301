"""The city's own geometry: the default study area around the homes."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridplan.city import hull


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), kind=st.sampled_from(
    ["footprints", "points", "round points", "circles"]))
def test_default_study_area_is_the_hull_of_the_homes_union(seed, n, kind):
    """The study area is the hull of the homes' union, shape for shape and vertex for vertex
    (a different start or a different vertex would move every grid's clipped edge)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (n, 2))
    if kind == "footprints":
        w = rng.uniform(1, 80, n)
        geoms = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + w, xy[:, 1] + w)
    elif kind == "circles":
        geoms = shapely.buffer(shapely.points(xy), rng.uniform(1, 60, n), quad_segs=3)
    else:
        geoms = shapely.points(xy.round(0 if kind == "round points" else 6) // (
            50 if kind == "round points" else 1))
    assert hull(geoms).wkb == shapely.union_all(geoms).convex_hull.wkb


def test_homes_on_a_line_and_a_lattice_keep_their_hull():
    line = shapely.points([(0, 0), (10, 0), (5, 0), (20, 0)])
    x, y = np.meshgrid(np.arange(30) * 90.0, np.arange(30) * 90.0)
    lattice = shapely.box(x.ravel(), y.ravel(), x.ravel() + 90, y.ravel() + 90)
    for geoms in (line, lattice, shapely.points([(3, 4)])):
        assert hull(geoms).wkb == shapely.union_all(geoms).convex_hull.wkb
