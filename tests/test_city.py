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


def test_footprints_overlapping_along_the_edge_keep_the_union_s_hull():
    # the union nodes a crossing point a hair outside the straight hull, and GEOS keeps it
    a = shapely.Polygon([(17.789956771481553, 34.32545724096242),
                         (30.310283100174573, 58.48324084656346),
                         (26.973264819981903, 60.21272723136323),
                         (14.452938491288883, 36.05494362576219)])
    b = shapely.Polygon([(21.176007221913988, 40.85879127010299),
                         (33.92276904615402, 65.45347879964694),
                         (27.235383825988663, 68.91936981883532),
                         (14.488622001748626, 44.324682289291374)])
    geoms = np.array([a, b])
    union_hull = shapely.union_all(geoms).convex_hull
    straight = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(geoms)))
    assert union_hull.wkb != straight.wkb          # the case really has the extra vertex
    assert hull(geoms).wkb == union_hull.wkb


def test_homes_beyond_utm_s_latitudes_are_refused_in_one_line(tmp_path):
    import subprocess
    import sys
    path = tmp_path / "polar.csv"
    path.write_text("name,lon,lat,households\nA,10.0,85.0,300\nB,10.01,85.001,200\n")
    r = subprocess.run([sys.executable, "-m", "gridplan.cli", "plan", str(path), "--out",
                        str(tmp_path / "plan")], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        f"gridplan: error: {path}: homes at latitude 85.00 to 85.00: expected homes within "
        "UTM's 80 S to 84 N, or a metric CRS in PlanConfig(crs=...)"]
    assert not (tmp_path / "plan").exists()
