"""Address points with a street file get cells inside their street blocks; shops and offices
get their own ground, carved out of the tiling."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import gridplan as gp
from gridplan import PlanConfig, partition
from gridplan.partition.cells import street_blocks

from .conftest import small_city

CFG = PlanConfig(crs="EPSG:32650")
ARTERIAL_X = 300.0


def arterial(x=ARTERIAL_X):
    return ("arterial", shapely.LineString([(x, -1000), (x, 2000)]))


def lattice(x0, x1, step=40.0, y1=400.0):
    gx, gy = np.meshgrid(np.arange(x0, x1, step), np.arange(0.0, y1, step))
    return np.column_stack([gx.ravel(), gy.ravel()])


def tiles(p):
    return np.r_[p.grids.geometry.values, p.special_grids.geometry.values]


def assert_tiles_the_district(city, p):
    """Residential and special grids cover the district once: no gap, no overlap."""
    geoms = tiles(p)
    area = city.boundary.area
    assert shapely.area(geoms).sum() == pytest.approx(area, rel=1e-5)
    assert shapely.union_all(geoms).area == pytest.approx(area, rel=1e-5)


def test_cells_of_address_points_stop_at_the_arterial():
    xy = np.vstack([lattice(0, 280), lattice(320, 600)])
    city = small_city(xy, np.full(len(xy), 40), streets=[arterial()])
    p = partition(city, CFG)
    west = shapely.box(-1000, -1000, ARTERIAL_X, 2000)
    cells = p.cells.geometry.values
    inside_west = shapely.area(shapely.intersection(cells, west))
    # every cell lies on one side of the street: all of it west, or none of it
    assert np.all((inside_west < 1e-3) | (inside_west > shapely.area(cells) - 1e-3))
    assert_tiles_the_district(city, p)


def test_no_grid_crosses_the_arterial_when_each_side_makes_grids_alone():
    # 1,400 households west and 1,400 east: each side divides into grids of 300-500
    xy = np.vstack([lattice(0, 280), lattice(320, 600)])
    city = small_city(xy, np.full(len(xy), 20), streets=[arterial()])
    p = partition(city, CFG)
    assert p.grids["in_range"].all()
    assert (p.grids["crosses_arterial"] == 0).all()
    assert (p.grids.geom_type == "Polygon").all()


def test_a_side_too_small_for_a_grid_joins_across_the_arterial():
    # 200 households east of the arterial cannot make a grid: they join one across it
    xy = np.vstack([lattice(0, 280, y1=320), [[340.0, 100.0], [340.0, 200.0]]])
    hh = np.r_[np.full(len(xy) - 2, 15), 100, 100]
    city = small_city(xy, hh, streets=[arterial()])
    p = partition(city, CFG)
    east = p.homes.loc[p.homes["home_index"] >= len(xy) - 2, "grid_id"].unique()
    assert len(east) == 1
    g = p.grids.set_index("grid_id").loc[east[0]]
    assert 300 <= g["households"] <= 500 and g["crosses_arterial"] >= 1


def test_a_block_without_homes_joins_a_neighbouring_cell():
    # a cross of arterials makes four blocks; the north-east one holds no home
    streets = [arterial(), ("arterial", shapely.LineString([(-1000, 300), (2000, 300)]))]
    xy = np.array([[100, 100], [200, 200], [450, 100], [100, 450]], dtype=float)
    box = shapely.box(0, 0, 600, 600)
    city = small_city(xy, [100, 100, 100, 100], streets=streets, box=box)
    blocks = street_blocks(city.streets, city.barriers, city.boundary)
    assert len(blocks) == 4
    p = partition(city, CFG)
    cells = p.cells.geometry.values
    assert (shapely.get_num_geometries(cells) == 1).all()          # each cell one piece
    assert shapely.area(cells).sum() == pytest.approx(box.area, rel=1e-6)
    empty = shapely.box(300, 300, 600, 600)
    owner = np.argmax(shapely.area(shapely.intersection(cells, empty)))
    assert shapely.area(shapely.intersection(cells[owner], empty)) == \
        pytest.approx(empty.area, rel=1e-6)


def test_a_home_on_the_street_line_gets_one_cell_and_keeps_its_households():
    xy = np.vstack([lattice(0, 280, y1=200), lattice(320, 600, y1=200),
                    [[ARTERIAL_X, 100.0]]])                 # on the arterial itself
    hh = np.r_[np.full(len(xy) - 1, 30), 77]
    city = small_city(xy, hh, streets=[arterial()])
    p = partition(city, CFG)
    assert p.homes["households"].sum() == hh.sum()
    assert len(p.cells) == len(xy)
    cell = p.cells.geometry.values[p.cells["home_index"].to_numpy() == len(xy) - 1]
    assert len(cell) == 1 and cell[0].area > 0
    assert_tiles_the_district(city, p)


def test_blocks_tile_the_area_and_ignore_lines_outside_it():
    streets = [arterial(), ("secondary", shapely.LineString([(5000, 0), (5000, 100)])),
               ("local", shapely.LineString([(0, 150), (600, 150)]))]   # local: not a block edge
    city = small_city([[100, 100], [500, 100]], [100, 100], streets=streets,
                      box=shapely.box(0, 0, 600, 400))
    blocks = street_blocks(city.streets, city.barriers, city.boundary)
    assert len(blocks) == 2
    assert shapely.area(blocks).sum() == pytest.approx(city.boundary.area)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(8, 80), shops=st.integers(0, 30))
@example(seed=557, n=31, shops=14)      # the last unit linked by no pool: an IndexError once
def test_random_registers_with_streets_and_shops_tile_and_keep_every_household(seed, n, shops):
    rng = np.random.default_rng(seed)
    side = 40 * np.sqrt(n) + 100
    xy = rng.uniform(0, side, (n + shops, 2))
    hh = np.r_[rng.integers(1, 250, n), np.zeros(shops, dtype=int)]
    kind = ["residential"] * n + ["commercial"] * shops
    streets = [("arterial", shapely.LineString([(side / 2, -10), (side / 3, side + 10)])),
               ("secondary", shapely.LineString([(-10, side / 2), (side + 10, side / 2)])),
               ("local", shapely.LineString([(-10, side / 4), (side + 10, side / 3)]))]
    city = small_city(xy, hh, kind=kind, streets=streets)
    p = partition(city, CFG)
    assert p.homes["households"].sum() == hh.sum()
    assert p.grids["households"].sum() == hh.sum()
    assert_tiles_the_district(city, p)
    # a grid out of range or in pieces is reported
    reported = {i for u in p.unresolved.grids for i in u.ids}
    assert set(p.grids.loc[~p.grids["in_range"], "grid_id"]) <= reported
    assert set(p.grids.loc[p.grids.geom_type != "Polygon", "grid_id"]) <= reported
    assert (p.special_grids["units"].sum() if len(p.special_grids) else 0) == shops


@pytest.fixture(scope="module")
def district():
    city = gp.synth(households=20_000, seed=5)
    return city, partition(city)


def test_special_grids_and_residential_grids_do_not_overlap_and_tile_the_district(district):
    city, p = district
    assert len(p.special_grids) >= 1
    res = shapely.union_all(p.grids.geometry.values)
    spc = shapely.union_all(p.special_grids.geometry.values)
    assert shapely.intersection(res, spc).area < 1.0                  # m², snapping only
    assert shapely.union(res, spc).area == pytest.approx(city.boundary.area, rel=1e-5)
    assert_tiles_the_district(city, p)


def test_special_grids_hold_no_household_and_residential_grids_stay_in_range(district):
    city, p = district
    assert p.grids["households"].sum() == city.homes["households"].sum()
    # real compound sizes (synth's default) can wall a compound in: seed 5 has one of 279
    # between compounds of 242 and 328, which no grid can hold whole; such a grid carries
    # its proof, and every other grid is in range
    out = p.grids.loc[~p.grids["in_range"], "grid_id"]
    assert len(out) <= 1
    proofs = {i for u in p.unresolved.grids if "touches only" in u.reason
              for i in u.ids}
    assert set(out) <= proofs
    assert p.communities["in_range"].all()
    # a grid joined across shops' ground (homes cut off by shops that cannot make grids
    # alone) is in pieces, and says so; on the registers' small compounds of synth's default
    # this happens more often than on Harbin's big ones (seed 5: 7 of 51 grids)
    pieces = set(p.grids.loc[p.grids.geom_type != "Polygon", "grid_id"])
    said = {i for u in p.unresolved.grids if "several pieces" in u.reason for i in u.ids}
    assert pieces == said
    harbin = gp.synth(households=20_000, seed=5, compounds="harbin")
    assert (partition(harbin).grids.geom_type == "Polygon").all()


def test_a_shops_ground_is_its_cells_not_a_hull_over_homes(district):
    city, p = district
    # no home with households stands on a special grid's ground, and every shop does
    res = p.homes[p.homes["households"] > 0]
    on_special = shapely.STRtree(p.special_grids.geometry.values).query(
        shapely.point_on_surface(city.homes.geometry.values[res["home_index"].unique()]),
        predicate="within")
    assert on_special.size == 0
    shops = p.homes[p.homes["special_grid_id"].notna()]
    ground = p.special_grids.set_index("special_grid_id").geometry
    pts = shapely.point_on_surface(city.homes.geometry.values[shops["home_index"]])
    assert shapely.covers(ground.loc[shops["special_grid_id"]].values, pts).all()


def test_communities_hold_their_shops_ground_and_tile_the_district(district):
    city, p = district
    geoms = p.communities.geometry.values
    assert shapely.area(geoms).sum() == pytest.approx(city.boundary.area, rel=1e-5)
    assert shapely.union_all(geoms).area == pytest.approx(city.boundary.area, rel=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_a_synthetic_grid_is_in_pieces_only_where_shops_ground_joins_them(seed):
    # synth's default (the registers' compounds, with street-front shops) can wall homes in
    # with shops' ground that cannot make grids alone; they join a neighbour through it, so a
    # grid in pieces is reported, and its pieces are joined by the special grids it touches
    # (not by another grid: a compound's buildings stay together). How often it happens is
    # not pinned here: opening one link of shops' ground a round made it rarer on synth
    # (20,000 households, seed 5: 7 → 2) but left a Helsinki grid across a river, so it
    # was taken back; benchmarks/points_with_streets.py and partition_city_scale.py count them
    city = gp.synth(households=20_000, seed=seed)
    p = partition(city)
    grids = p.grids
    pieces = grids[shapely.get_num_geometries(grids.geometry.values) > 1]
    assert len(pieces) < len(grids) / 5
    said = {i for u in p.unresolved.grids if "several pieces" in u.reason for i in u.ids}
    assert set(pieces["grid_id"]) == said
    special = shapely.get_parts(p.special_grids.geometry.values)   # a shop row at a time
    for gid, geom in zip(pieces["grid_id"], pieces.geometry.values):
        near = special[shapely.intersects(special, shapely.buffer(geom, 0.01))]
        joined = shapely.union_all(np.r_[[geom], near], grid_size=0.001)
        assert shapely.get_num_geometries(joined) == 1, f"grid {gid} is apart across homes"
