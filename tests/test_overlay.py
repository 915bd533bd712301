"""Cells clipped to the district and rounded to the millimetre byte for byte as GEOS does it."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gridplan.partition.cells import GRID_SIZE_M, street_blocks
from gridplan.partition.overlay import clip_to_area, snap_to_grid

ORIGIN = np.array([500_000.0, 4_000_000.0])


def _cells(seed: int, kind: int) -> np.ndarray:
    """Voronoi cells clipped to a district, as voronoi_cells makes them before rounding."""
    cells, area = _diagram(seed, kind)
    return shapely.intersection(cells, area)


def _diagram(seed: int, kind: int) -> tuple[np.ndarray, shapely.Geometry]:
    """Voronoi cells and a district around their points:
    scattered points, a jittered lattice (near-degenerate corners), points a few millimetres
    apart (cells that rounding collapses), and a district with a hole and a narrow cut (cells
    in pieces and with holes)."""
    rng = np.random.default_rng(seed)
    if kind == 0:
        xy = rng.uniform(0, 600, (120, 2))
    elif kind == 1:
        g = np.stack(np.meshgrid(np.arange(10), np.arange(10)), -1).reshape(-1, 2) * 50.0
        xy = g + rng.uniform(-0.01, 0.01, g.shape)
    else:
        xy = np.r_[rng.uniform(0, 100, (20, 2)), 50 + rng.uniform(0, 0.004, (4, 2))]
    xy = xy + ORIGIN
    pts = shapely.multipoints(xy)
    area = shapely.box(*pts.bounds).buffer(5)
    if kind == 0:
        mid = xy.mean(0)
        area = area.difference(shapely.Point(mid).buffer(40)).difference(
            shapely.box(mid[0] - 400, mid[1] + 60, mid[0] + 400, mid[1] + 63))
    vor = shapely.voronoi_polygons(pts, extend_to=area.buffer(100), ordered=True)
    return shapely.get_parts(vor), area


def _same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """The same polygons to the byte, and the same precision grid (which WKB leaves out, and
    later overlays snap-round to)."""
    return (len(a) == len(b) and all(x.wkb == y.wkb for x, y in zip(a, b))
            and (shapely.get_precision(a) == shapely.get_precision(b)).all())


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), kind=st.integers(0, 2))
@example(seed=44, kind=2)     # a cell that pointwise rounding leaves invalid
@example(seed=2, kind=2)      # a cell whose edge snap rounding bends through a nearby vertex
def test_cells_round_to_the_millimetre_as_geos_rounds_them(seed, kind):
    cells = _cells(seed, kind)
    assert _same_bytes(snap_to_grid(cells, GRID_SIZE_M), shapely.set_precision(cells, GRID_SIZE_M))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), kind=st.integers(0, 2))
def test_cells_are_clipped_to_the_district_as_geos_clips_them(seed, kind):
    cells, area = _diagram(seed, kind)
    clipped = clip_to_area(cells, area)
    assert _same_bytes(clipped, shapely.intersection(cells, area))
    assert not shapely.is_prepared(area)       # the caller's district is left as it was


def test_cells_the_other_way_round_or_over_the_edge_are_clipped_by_geos():
    cells, area = _diagram(7, 0)
    odd = np.r_[shapely.reverse(cells[:20]), cells[20:],
                [shapely.box(*area.bounds), area.buffer(-30), shapely.Polygon()]]
    assert _same_bytes(clip_to_area(odd, area), shapely.intersection(odd, area))


def test_a_tiny_cell_that_pointwise_rounding_breaks_is_rounded_by_geos():
    cells = _cells(44, 2)
    pointwise = shapely.set_precision(cells, GRID_SIZE_M, mode="pointwise")
    assert not shapely.is_valid(pointwise).all()        # the case really needs the fallback
    out = snap_to_grid(cells, GRID_SIZE_M)
    assert shapely.is_valid(out).all()
    assert _same_bytes(out, shapely.set_precision(cells, GRID_SIZE_M))


def test_a_cell_whose_edge_passes_a_nearby_vertex_is_rounded_by_geos():
    cells = _cells(2, 2)
    pointwise = shapely.set_precision(cells, GRID_SIZE_M, mode="pointwise")
    snapped = shapely.set_precision(cells, GRID_SIZE_M)
    assert not shapely.equals(pointwise, snapped).all()  # pointwise alone would differ
    assert _same_bytes(snap_to_grid(cells, GRID_SIZE_M), snapped)


def test_cells_that_rounding_shrinks_to_a_point_or_a_line_are_rounded_by_geos():
    tiny = [shapely.Polygon([(0, 0), (0.0002, 0.0001), (0.0001, 0.0002)]),
            shapely.Polygon([(5, 5), (5.0003, 5.0001), (5.0001, 5.0003)]),
            shapely.Polygon([(0, 0), (0.0006, 0), (0.0006, 0.0006), (0, 0.0006)]),
            shapely.Polygon([(0, 0), (10.0002, 0.0003), (10, 0.0001)])]
    cells = shapely.orient_polygons(np.array(tiny), exterior_cw=True)     # as cells come
    assert not shapely.is_ccw(shapely.get_exterior_ring(cells)).any()
    assert _same_bytes(snap_to_grid(cells, GRID_SIZE_M), shapely.set_precision(cells, GRID_SIZE_M))


def test_rings_written_the_other_way_round_and_other_geometries_round_as_geos_rounds_them():
    cells = _cells(3, 0)
    odd = np.r_[shapely.reverse(cells[:10]), [shapely.LineString([(0.0001, 0), (1, 1.0004)]),
                                                shapely.Polygon(), shapely.Point(0.0004, 2)]]
    assert _same_bytes(snap_to_grid(odd, GRID_SIZE_M), shapely.set_precision(odd, GRID_SIZE_M))


def test_street_blocks_are_rounded_as_geos_rounds_them():
    import geopandas as gpd
    rng = np.random.default_rng(5)
    area = shapely.box(*ORIGIN, *(ORIGIN + 1000))
    ends = rng.uniform(0, 1000, (12, 2))
    lines = [shapely.LineString(ORIGIN + [[-100, a], [1100, b]]) for a, b in ends[:6]] + \
        [shapely.LineString(ORIGIN + [[a, -100], [b, 1100]]) for a, b in ends[6:]]
    streets = gpd.GeoDataFrame({"rank": ["arterial"] * 12}, geometry=lines)
    blocks = street_blocks(streets, gpd.GeoDataFrame(geometry=[]), area)
    assert len(blocks) > 12
    # the blocks again from the same lines, rounded by GEOS
    raw = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(
        np.r_[[area.boundary], lines]))))
    raw = raw[shapely.contains(area, shapely.point_on_surface(raw))]
    assert _same_bytes(blocks, shapely.set_precision(raw, GRID_SIZE_M))


def test_cells_clipped_to_a_district_with_a_precision_grid_are_clipped_by_geos():
    cells, area = _diagram(3, 0)
    area = shapely.set_precision(area, GRID_SIZE_M)
    assert _same_bytes(clip_to_area(cells, area), shapely.intersection(cells, area))


def test_a_hole_touching_its_shell_at_a_vertex_is_rounded_by_geos():
    # GEOS nodes the rings where they meet and may start the hole elsewhere
    touching = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 5), (10, 0)],
                               [[(5, 4), (10, 5), (5, 6)]])
    near = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 5), (10, 0)],
                           [[(5, 4), (9.9997, 5.0002), (5, 6)]])    # rounds onto the shell
    cells = shapely.orient_polygons(np.array([touching, near]), exterior_cw=True)
    assert _same_bytes(snap_to_grid(cells, GRID_SIZE_M), shapely.set_precision(cells, GRID_SIZE_M))


def test_shapes_with_heights_keep_them_as_geos_keeps_them():
    cells, area = _diagram(3, 0)
    high = shapely.force_3d(cells, 12.5)
    assert _same_bytes(snap_to_grid(high, GRID_SIZE_M), shapely.set_precision(high, GRID_SIZE_M))
    assert _same_bytes(clip_to_area(high, area), shapely.intersection(high, area))
    high_area = shapely.force_3d(area, 3.0)
    assert _same_bytes(clip_to_area(cells, high_area), shapely.intersection(cells, high_area))


def test_shapes_already_on_a_precision_grid_are_left_to_geos():
    cells = shapely.set_precision(_cells(3, 0), GRID_SIZE_M)       # GEOS returns them as they are
    assert _same_bytes(snap_to_grid(cells, GRID_SIZE_M), shapely.set_precision(cells, GRID_SIZE_M))


def test_a_cell_with_a_repeated_vertex_is_clipped_by_geos():
    cells, area = _diagram(3, 0)
    inner = np.flatnonzero(shapely.contains_properly(area, cells))[:5]
    xy = shapely.get_coordinates(cells[inner[0]])
    cells[inner[0]] = shapely.Polygon(np.r_[xy[:1], xy[:-1]])     # its first vertex twice
    assert _same_bytes(clip_to_area(cells, area), shapely.intersection(cells, area))


def test_most_cells_of_a_district_take_the_fast_paths(monkeypatch):
    # the point of the module: without it every test above would pass with GEOS doing all
    import gridplan.partition.overlay as overlay
    sent = []
    real_precision, real_intersection = shapely.set_precision, shapely.intersection

    def precision(geoms, grid_size, mode="valid_output"):
        if mode == "valid_output":
            sent.append(("round", len(np.atleast_1d(geoms))))
        return real_precision(geoms, grid_size, mode=mode)

    def intersection(a, b):
        sent.append(("clip", len(np.atleast_1d(a))))
        return real_intersection(a, b)

    monkeypatch.setattr(overlay.shapely, "set_precision", precision)
    monkeypatch.setattr(overlay.shapely, "intersection", intersection)
    cells, area = _diagram(3, 0)
    snap_to_grid(clip_to_area(cells, area), GRID_SIZE_M)
    by_geos = {k: sum(n for kind, n in sent if kind == k) for k in ("round", "clip")}
    assert by_geos["clip"] < len(cells) / 2 and by_geos["round"] < len(cells) / 10, by_geos
