"""The embedded district: exact households, real compound sizes, clean geometry, sparse stations."""

import time
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from scipy.spatial import cKDTree

from gridplan.city import City
from gridplan.errors import InputError
from gridplan.synth import synth

HARBIN_P10, HARBIN_MEDIAN, HARBIN_P90 = 531, 1595, 3962
# realdata/README.md: 102,363 Beike compounds in 64 cities (synth's compounds="beike")
BEIKE_P25, BEIKE_MEDIAN, BEIKE_P75, BEIKE_P95 = 72, 252, 714, 2118


@lru_cache(maxsize=None)
def district(households: int = 60_000, seed: int = 0, compounds: str = "beike") -> City:
    return synth(households, seed, compounds=compounds)


def towers(homes):
    return homes[(homes["kind"] == "residential") & (homes["levels"] >= 18)]


def midrises(homes):
    return homes[(homes["kind"] == "residential") & (homes["levels"] == 6)]


def sizes(geoms):
    x0, y0, x1, y1 = shapely.bounds(np.asarray(geoms)).T
    return x1 - x0, y1 - y0


def coverage(city: City, radius_m: float = 500.0) -> float:
    homes = city.homes
    centres = shapely.get_coordinates(homes.geometry.centroid.values)
    dist, _ = cKDTree(shapely.get_coordinates(city.stations.geometry.values)).query(centres)
    return homes["households"][dist <= radius_m].sum() / homes["households"].sum()


def vertical_lines(streets, rank=None):
    """x of every north-south street (rounded to the cm), optionally of one rank."""
    s = streets if rank is None else streets[streets["rank"] == rank]
    x0, _, x1, _ = shapely.bounds(s.geometry.values).T
    return np.unique(np.round(x0[np.abs(x1 - x0) < 1e-6], 2))


# --- determinism and size ----------------------------------------------------------------------

def test_same_seed_gives_the_identical_city():
    a, b = synth(20_000, 7), synth(20_000, 7)
    for layer in ("homes", "streets", "barriers", "stations"):
        assert_geodataframe_equal(getattr(a, layer), getattr(b, layer))
    assert a.boundary.equals_exact(b.boundary, 0.0)


def test_different_seeds_give_different_cities():
    a, b = synth(20_000, 7), synth(20_000, 8)
    assert len(a.homes) != len(b.homes) or not a.homes.geometry.geom_equals(b.homes.geometry).all()
    assert not a.boundary.equals(b.boundary) or len(a.streets) != len(b.streets)


@pytest.mark.parametrize("households", [1, 73, 500, 3_000, 60_000, 123_457])
def test_households_are_exactly_the_number_asked_for(households):
    city = synth(households, seed=3)
    assert city.households == households
    assert (city.homes["households"] >= 0).all()


def test_a_60k_district_is_two_to_three_and_a_half_km_across():
    # the registers' compounds are mostly mid-rise slabs, less dense than Harbin's towers
    for seed in range(3):
        x0, y0, x1, y1 = district(60_000, seed).boundary.bounds
        assert 2.0e3 <= max(x1 - x0, y1 - y0) <= 3.5e3
        x0, y0, x1, y1 = district(60_000, seed, "harbin").boundary.bounds
        assert 1.8e3 <= max(x1 - x0, y1 - y0) <= 3.2e3


@pytest.mark.parametrize("households", [True, 0, -5, 2.5, "60000"])
def test_a_bad_household_count_is_an_input_error_naming_it(households):
    with pytest.raises(InputError, match="households"):
        synth(households)


def test_a_negative_seed_is_an_input_error_naming_it():
    with pytest.raises(InputError, match="seed"):
        synth(1000, -1)


# --- compounds and buildings -------------------------------------------------------------------

def test_harbin_compound_sizes_follow_the_harbin_distribution():
    homes = district(200_000, 0, "harbin").homes
    per_compound = homes[homes["compound"].notna()].groupby("compound")["households"].sum()
    assert len(per_compound) > 50
    p10, median, p90 = np.percentile(per_compound, [10, 50, 90])
    assert 0.6 * HARBIN_P10 <= p10 <= 1.5 * HARBIN_P10
    assert 0.7 * HARBIN_MEDIAN <= median <= 1.4 * HARBIN_MEDIAN
    assert 0.7 * HARBIN_P90 <= p90 <= 1.4 * HARBIN_P90
    assert per_compound.max() > 5_000  # most compounds are bigger than a grid; some much bigger


def test_harbin_towers_have_realistic_floors_entrances_households_and_footprints():
    t = towers(district(200_000, 0, "harbin").homes)
    assert len(t) > 200
    assert t["households"].between(100, 300).all()
    assert t["levels"].between(18, 33).all()
    assert t["entrances"].between(2, 4).all()
    assert t["compound"].notna().all()
    length, depth = sizes(t.geometry.values)
    assert ((length >= 20 - 1e-6) & (length <= 30 + 1e-6)).all()
    assert ((depth >= 15 - 1e-6) & (depth <= 20 + 1e-6)).all()


def test_midrise_slabs_have_six_floors_and_30_to_60_households():
    m = midrises(district(200_000, 0).homes)
    assert len(m) > 100
    assert m["households"].between(30, 60).all()
    assert (m["entrances"] == 1).all()
    length, depth = sizes(m.geometry.values)
    assert ((length >= 50 - 1e-6) & (length <= 70 + 1e-6)).all()
    assert np.allclose(depth, 12.0)


def test_old_low_rise_blocks_have_small_buildings_outside_compounds():
    homes = district().homes
    low = homes[(homes["kind"] == "residential") & homes["compound"].isna()]
    assert len(low) > 20
    assert low["levels"].between(1, 5).all()
    assert low["households"].between(1, 40).all()


def test_shops_and_offices_are_commercial_with_no_households():
    homes = district().homes
    commercial = homes[homes["kind"] == "commercial"]
    assert len(commercial) > 40
    assert (commercial["households"] == 0).all()
    assert commercial["compound"].isna().all()
    assert (commercial["levels"] >= 10).any(), "some office towers"
    assert set(homes["kind"]) == {"residential", "commercial"}
    assert (homes.loc[homes["kind"] == "residential", "households"] > 0).all()


def test_compound_blocks_hold_12k_to_40k_households_per_km2():
    # Harbin's tower compounds 25–40k; the registers' mix, mostly six-floor slabs, 12–25k
    for compounds, low, high in (("harbin", 25_000, 40_000), ("beike", 12_000, 25_000)):
        for seed in range(3):
            blocks = district(60_000, seed, compounds).meta["blocks"]
            built = blocks[blocks["use"] == "compound"]
            density = built["households"].sum() / (built.area.sum() / 1e6)
            assert low <= density <= high, (compounds, seed, density)


def test_some_blocks_are_left_empty_for_parks_and_schools():
    uses = district().meta["blocks"]["use"]
    assert uses.isin(["park", "school"]).sum() >= 2


# --- geometry ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1])
def test_footprints_never_overlap_nor_cross_a_street_or_the_river(seed):
    city = district(60_000, seed)
    homes = city.homes.geometry.values
    tree = shapely.STRtree(homes)
    a, b = tree.query(homes, predicate="intersects")
    assert (a == b).all(), "two footprints overlap"
    assert len(tree.query(city.streets.geometry.values, predicate="intersects")[0]) == 0
    assert len(tree.query(city.barriers.geometry.values, predicate="intersects")[0]) == 0
    assert shapely.covered_by(homes, city.boundary).all()
    assert shapely.covered_by(city.stations.geometry.values, city.boundary).all()


def test_arterials_are_400_to_600_m_apart_both_ways():
    streets = district().streets
    xs = vertical_lines(streets, "arterial")
    assert len(xs) >= 4
    assert (np.diff(xs) >= 400 - 1e-6).all() and (np.diff(xs) <= 600 + 1e-6).all()
    rotated = streets.set_geometry(shapely.transform(
        streets.geometry.values, lambda xy: xy[:, ::-1]))
    ys = vertical_lines(rotated, "arterial")
    assert len(ys) >= 4
    assert (np.diff(ys) >= 400 - 1e-6).all() and (np.diff(ys) <= 600 + 1e-6).all()


def test_blocks_between_streets_are_150_to_300_m():
    streets = district().streets
    # between two consecutive arterials, the secondary and local streets cut the strip in 2 or 3
    xs = vertical_lines(streets)
    gaps = np.diff(xs)
    gaps = gaps[gaps > 40]  # local streets shift a little from one superblock to the next
    assert np.median(gaps) > 130 and np.percentile(gaps, 90) <= 310


def test_every_rank_of_street_is_there_with_a_name():
    streets = district().streets
    assert set(streets["rank"]) == {"arterial", "secondary", "local", "path"}
    assert streets["name"].notna().all()
    assert (streets.geom_type == "LineString").all()


def test_streets_meet_at_shared_coordinates():
    streets = district().streets.geometry.values
    vertices = {tuple(p) for p in np.round(shapely.get_coordinates(streets), 6)}
    a, b = shapely.STRtree(streets).query(streets, predicate="intersects")
    keep = a < b
    meets = shapely.intersection(streets[a[keep]], streets[b[keep]])
    points = np.round(shapely.get_coordinates(meets), 6)
    assert len(points) > 100
    missing = [p for p in map(tuple, points) if p not in vertices]
    assert not missing, f"{len(missing)} crossings are not shared vertices, e.g. {missing[:3]}"


def test_a_river_40_to_80_m_wide_crosses_the_district():
    city = district()
    river = city.barriers[city.barriers["kind"] == "water"].union_all()
    x0, _, x1, _ = city.boundary.bounds
    rx0, _, rx1, _ = river.bounds
    assert rx0 - x0 < 1.0 and x1 - rx1 < 1.0, "from the west edge to the east edge"
    # mean width = area / length of the centreline (about the district's width)
    width = river.area / (rx1 - rx0)
    assert 40 <= width <= 85


def test_the_river_has_few_bridges():
    city = district()
    river = city.barriers.union_all()
    streets = city.streets
    crossing = streets[streets.intersects(river)]
    bridges = vertical_lines(crossing)
    assert 1 <= len(bridges) < len(vertical_lines(streets)) / 2
    assert (crossing["rank"] == "arterial").all()


def test_layers_are_in_a_projected_metric_crs_near_jinan():
    city = district()
    assert city.crs.is_projected and city.crs.axis_info[0].unit_name == "metre"
    assert city.crs.to_epsg() == 32650
    for layer in (city.homes, city.streets, city.barriers, city.stations):
        assert layer.crs == city.crs
    lon, lat = gpd.GeoSeries([city.boundary.centroid], crs=city.crs).to_crs(4326).iloc[0].coords[0]
    assert 116.8 < lon < 117.2 and 36.4 < lat < 36.8


# --- stations ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_existing_stations_reach_70_to_85_percent_within_500_m(seed):
    city = district(60_000, seed)
    assert (city.stations["kind"] == "grid_station").all()
    assert 0.70 <= coverage(city) <= 0.85


# --- files -------------------------------------------------------------------------------------

def test_round_trips_through_a_geopackage_and_load(tmp_path):
    from gridplan.io import load

    city = district(3_000, 0)
    path = tmp_path / "synth.gpkg"
    city.to_gpkg(path)
    back = load(path)
    assert back.households == city.households
    assert len(back.streets) == len(city.streets) and len(back.barriers) == len(city.barriers)
    assert len(back.stations) == len(city.stations)
    assert back.crs.to_epsg() == 32650
    assert set(back.homes["kind"]) == set(city.homes["kind"])
    assert back.homes["compound"].notna().sum() == city.homes["compound"].notna().sum()
    assert abs(back.boundary.area - city.boundary.area) < 1.0


@pytest.mark.slow
def test_a_million_households_generate_in_under_a_minute():
    start = time.perf_counter()
    city = synth(1_000_000, 0)
    seconds = time.perf_counter() - start
    assert city.households == 1_000_000
    assert seconds < 60
    assert 0.70 <= coverage(city) <= 0.85
    homes = city.homes.geometry.values
    a, b = shapely.STRtree(homes).query(homes, predicate="intersects")
    assert (a == b).all()


def _beike_compounds(households=200_000, seed=0):
    homes = district(households, seed).homes
    return homes[homes["compound"].notna()].groupby("compound")["households"].sum()


def test_default_compounds_have_the_buildings_real_registers_have():
    # the two Jinan registers (buildings p50 3, p75 7–9, p95 22–28; households per building
    # p50 40, p75 60–62) and the 64 cities of realdata/README.md (buildings p50 5, p95 36;
    # households per building p25/50/75/95 27 / 45 / 84 / 244)
    homes = district(200_000, 0).homes
    homes = homes[homes["compound"].notna() & (homes["households"] > 0)]
    per = homes.groupby("compound").agg(households=("households", "sum"),
                                        buildings=("households", "size"))
    b50, b75, b95 = np.percentile(per["buildings"], [50, 75, 95])
    assert 3 <= b50 <= 5 and 6 <= b75 <= 14 and 20 <= b95 <= 40
    ratio = per["households"] / per["buildings"]
    r50, r75, r95 = np.percentile(ratio, [50, 75, 95])
    assert 35 <= r50 <= 55 and 50 <= r75 <= 90 and 140 <= r95 <= 250
    # large compounds are cut into units of about one building, as real ones would be
    big = per[per["households"] > 1000]
    assert 10 <= np.median(big["buildings"]) <= 35


def test_beike_compound_sizes_follow_the_64_city_distribution():
    per_compound = _beike_compounds()
    assert len(per_compound) > 200
    p25, median, p75, p95 = np.percentile(per_compound, [25, 50, 75, 95])
    assert 0.6 * BEIKE_P25 <= p25 <= 1.5 * BEIKE_P25
    assert 0.7 * BEIKE_MEDIAN <= median <= 1.4 * BEIKE_MEDIAN
    assert 0.7 * BEIKE_P75 <= p75 <= 1.4 * BEIKE_P75
    assert 0.7 * BEIKE_P95 <= p95 <= 1.4 * BEIKE_P95


def test_beike_compounds_are_mostly_smaller_than_a_grid_but_hold_most_households_in_larger_ones():
    per_compound = _beike_compounds()
    assert 0.45 <= (per_compound < 300).mean() <= 0.65        # real: 54 %
    big = per_compound[per_compound > 500]
    assert 0.25 <= len(big) / len(per_compound) <= 0.45        # real: 34 %
    assert 0.70 <= big.sum() / per_compound.sum() <= 0.90      # real: 82 %


def test_an_unknown_compound_distribution_is_an_input_error_naming_it():
    with pytest.raises(InputError, match="compounds"):
        synth(1000, 0, compounds="shenzhen")


@pytest.mark.slow
def test_synth_command_draws_the_registers_compounds_unless_asked_for_harbin(tmp_path):
    import subprocess
    import sys
    counts = {}
    for extra in ([], ["--compounds", "harbin"]):
        out = tmp_path / f"d{len(extra)}.gpkg"
        done = subprocess.run([sys.executable, "-m", "gridplan.cli", "synth", "--households",
                               "20000", "--out", str(out), *extra],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        homes = gpd.read_file(out, layer="homes")
        per = homes[homes["compound"].notna()].groupby("compound")["households"].sum()
        counts[tuple(extra)] = np.median(per)
    # the registers' median compound is below a grid; Harbin's listing is three grids
    assert counts[()] < 500 < counts[("--compounds", "harbin")]
