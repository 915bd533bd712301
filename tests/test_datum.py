"""WGS84 / GCJ-02 / BD-09 shifts: published point pairs, round trips, and whole layers."""

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

from gridplan.errors import InputError
from gridplan.io.datum import (
    COORDS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.atleast_1d(GEOD.inv(lon1, lat1, lon2, lat2)[2])


# Published pairs. (lon, lat) in, (lon, lat) out.
# wandergis/coordtransform, test/app.js (MIT): all four at Tiananmen (116.404, 39.915). Its
# gcj02towgs84 is the one-step inverse, good to about a metre; the others are exact formulas.
WANDERGIS = [
    (wgs84_to_gcj02, (116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    (gcj02_to_wgs84, (116.404, 39.915), (116.39775550083061, 39.91359571849836)),
    (gcj02_to_bd09, (116.404, 39.915), (116.41036949371029, 39.92133699351021)),
    (bd09_to_gcj02, (116.404, 39.915), (116.39762729119315, 39.90865673957631)),
]
# googollee/eviltransform, python/test.py (BSD-2): WGS84 -> GCJ-02 in three cities.
EVILTRANSFORM = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]


@pytest.mark.parametrize("shift, point, expected", WANDERGIS,
                         ids=[f[0].__name__ for f in WANDERGIS])
def test_published_pairs_from_wandergis_coordtransform_within_1_m(shift, point, expected):
    lon, lat = shift(*point)
    assert metres(lon, lat, *expected)[0] < 1.0


@pytest.mark.parametrize("wgs, gcj", EVILTRANSFORM, ids=["shanghai", "shenzhen", "beijing"])
def test_published_pairs_from_eviltransform_within_1_m_both_ways(wgs, gcj):
    assert metres(*wgs84_to_gcj02(*wgs), *gcj)[0] < 1.0
    assert metres(*gcj02_to_wgs84(*gcj), *wgs)[0] < 1.0


def test_gcj02_shift_in_beijing_is_a_few_hundred_metres():
    d = metres(116.404, 39.915, *wgs84_to_gcj02(116.404, 39.915))[0]
    assert 300 < d < 800
    d = metres(116.404, 39.915, *wgs84_to_bd09(116.404, 39.915))[0]
    assert 800 < d < 1500


def test_iterative_inverse_beats_the_one_step_inverse():
    # The one-step inverse (2 * gcj - shift(gcj)) is what wandergis publishes; ours should
    # land back on the original point to well under a centimetre.
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert metres(*gcj02_to_wgs84(lon, lat), 116.404, 39.915)[0] < 0.01
    lon, lat = wgs84_to_bd09(116.404, 39.915)
    assert metres(*bd09_to_wgs84(lon, lat), 116.404, 39.915)[0] < 0.01


china_points = st.lists(
    st.tuples(st.floats(73.5, 135.0), st.floats(18.0, 53.5)), min_size=1, max_size=50)


@settings(max_examples=60, deadline=None)
@given(china_points)
def test_round_trip_wgs84_gcj02_wgs84_under_1_m_across_china(points):
    lon, lat = np.array(points).T
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert metres(lon, lat, *back).max() < 1.0
    # and the other way round
    back = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert metres(lon, lat, *back).max() < 1.0


@settings(max_examples=60, deadline=None)
@given(china_points)
def test_round_trip_wgs84_bd09_wgs84_under_1_m_across_china(points):
    lon, lat = np.array(points).T
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert metres(lon, lat, *back).max() < 1.0
    back = gcj02_to_bd09(*bd09_to_gcj02(lon, lat))
    assert metres(lon, lat, *back).max() < 1.0


def test_points_outside_china_are_not_shifted_by_gcj02():
    lon = np.array([24.94, -74.0, 139.7, 100.0])   # Helsinki, New York, Tokyo, south of China
    lat = np.array([60.17, 40.7, 35.7, 0.5])
    for shift in (wgs84_to_gcj02, gcj02_to_wgs84):
        out_lon, out_lat = shift(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)


def test_shifts_are_vectorised_and_keep_shape():
    lon = np.full((3, 4), 116.4)
    lat = np.full((3, 4), 39.9)
    out_lon, out_lat = wgs84_to_bd09(lon, lat)
    assert out_lon.shape == out_lat.shape == (3, 4)


def test_coords_names():
    assert COORDS == ("wgs84", "gcj02", "bd09")


def beijing_layer(crs=4326) -> gpd.GeoDataFrame:
    square = Polygon([(116.40, 39.90), (116.41, 39.90), (116.41, 39.91), (116.40, 39.91)])
    hole = Polygon(square.exterior.coords,
                   [[(116.403, 39.903), (116.407, 39.903), (116.407, 39.907), (116.403, 39.907)]])
    return gpd.GeoDataFrame(
        {"name": ["point", "street", "block", "courtyard"]},
        geometry=[Point(116.404, 39.915), LineString([(116.40, 39.90), (116.42, 39.92)]),
                  square, hole],
        crs=crs)


@pytest.mark.parametrize("coords, shift", [("gcj02", gcj02_to_wgs84), ("bd09", bd09_to_wgs84)])
def test_to_wgs84_shifts_every_vertex_of_points_lines_and_polygons(coords, shift):
    gdf = beijing_layer()
    out = to_wgs84(gdf, coords)
    assert out.crs.equals(4326)
    assert list(out["name"]) == list(gdf["name"])
    assert list(out.geom_type) == list(gdf.geom_type)
    before = shapely.get_coordinates(gdf.geometry.values)
    after = shapely.get_coordinates(out.geometry.values)
    assert before.shape == after.shape
    expected = np.column_stack(shift(before[:, 0], before[:, 1]))
    np.testing.assert_allclose(after, expected, rtol=0, atol=1e-9)
    moved = metres(before[:, 0], before[:, 1], after[:, 0], after[:, 1])
    assert (moved > 300).all()
    assert out.is_valid.all()
    assert shapely.get_num_interior_rings(out.geometry.values[3]) == 1
    # the input is left alone
    np.testing.assert_array_equal(shapely.get_coordinates(gdf.geometry.values), before)


def test_to_wgs84_returns_wgs84_input_as_it_is():
    gdf = beijing_layer()
    assert to_wgs84(gdf, "wgs84") is gdf


def test_to_wgs84_takes_a_layer_without_crs_as_lon_lat():
    gdf = beijing_layer(crs=None)
    out = to_wgs84(gdf, "gcj02")
    assert out.crs.equals(4326)
    assert metres(116.404, 39.915, *out.geometry.iloc[0].coords[0])[0] > 300


def test_to_wgs84_reprojects_another_geographic_crs_first():
    gdf = beijing_layer().to_crs(4490)  # CGCS2000, China's national lon/lat datum
    out = to_wgs84(gdf, "gcj02")
    assert out.crs.equals(4326)
    expected = gcj02_to_wgs84(116.404, 39.915)
    assert metres(*out.geometry.iloc[0].coords[0], *expected)[0] < 0.01


def test_to_wgs84_refuses_a_projected_layer_naming_file_and_layer():
    gdf = beijing_layer().to_crs(32650)
    with pytest.raises(InputError) as e:
        to_wgs84(gdf, "gcj02", file="city.gpkg", layer="homes")
    message = str(e.value)
    assert "coords = 'gcj02' needs lon/lat input, but the layer is in EPSG:32650" in message
    assert "city.gpkg" in message and "layer 'homes'" in message


def test_to_wgs84_refuses_metres_without_crs():
    gdf = beijing_layer().to_crs(32650).set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="needs lon/lat input"):
        to_wgs84(gdf, "bd09", file="x.shp")


def test_to_wgs84_rejects_unknown_coords():
    with pytest.raises(InputError, match="expected one of wgs84, gcj02, bd09"):
        to_wgs84(beijing_layer(), "gcj-02")


def test_to_wgs84_of_an_empty_layer_is_empty_in_wgs84():
    gdf = beijing_layer().iloc[:0]
    out = to_wgs84(gdf, "bd09")
    assert len(out) == 0 and out.crs.equals(4326)


def test_to_wgs84_keeps_heights_of_3d_geometries():
    gdf = gpd.GeoDataFrame(geometry=[Point(116.404, 39.915, 45.0), Point(116.404, 39.915)],
                           crs=4326)
    out = to_wgs84(gdf, "gcj02")
    assert list(shapely.has_z(out.geometry.values)) == [True, False]
    assert out.geometry.iloc[0].z == 45.0
    assert out.geometry.iloc[0].x == out.geometry.iloc[1].x != 116.404


def test_a_city_is_planned_in_the_utm_zone_geopandas_would_choose():
    """utm_crs names the zone itself where the centre lies inside one band; it must agree
    with geopandas' search of PROJ's database everywhere, edges and overlaps included
    (zone 29N's area begins at 12.01 W, bands end at 84 N and 80 S)."""
    from gridplan.city import utm_crs
    rng = np.random.default_rng(7)
    centres = list(zip(rng.uniform(-180, 180, 20), rng.uniform(-85, 89, 20))) + [
        (-12.005, 10), (-12.0, 10), (120.0, 30), (119.9999999, 30), (117, 0), (117, 84),
        (117, 83.99), (117, -80), (117, -79.9), (-11.995, 84.005), (179.9, 10),
        (-179.9, -10), (1e-7, 5), (117.02, 36.65)]
    frames = [gpd.GeoDataFrame(geometry=[Point(x, y)], crs=4326) for x, y in centres]
    frames += [gpd.GeoDataFrame(geometry=[shapely.box(x0, 4e6, x0 + 3000, 4.003e6)], crs=code)
               for code, x0 in [(32650, 500_000), (32650, 100_000), (32651, 833_000)]]
    frames.append(gpd.GeoDataFrame(geometry=[shapely.box(179.9, 10, 180, 10.1),
                                             shapely.box(-180, 10, -179.95, 10.1)],
                                   crs=4326).to_crs(32660))      # across the antimeridian

    def zone(f, frame):
        try:
            return f(frame)
        except RuntimeError:            # no zone: beyond 84 N or 80 S
            return "none"

    for frame in frames:
        assert zone(utm_crs, frame) == zone(gpd.GeoDataFrame.estimate_utm_crs, frame)
