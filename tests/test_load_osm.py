"""Reading OpenStreetMap: Helsinki (PBF, shipped with pyrosm), Shanghai streets (XML), bz2, and
a hand-made XML with every kind of feature."""

import bz2
import shutil
import warnings
from pathlib import Path

import pyrosm
import pytest

from gridplan.city import RANKS
from gridplan.config import PlanConfig
from gridplan.errors import InputError
from gridplan.io import load
from gridplan.io.osm import read_osm

HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
# shared/ sits beside the repository, here and on CI.
SHANGHAI = Path(__file__).resolve().parents[2] / "shared/realdata/shanghai_huangpu_roads.osm"
needs_shanghai = pytest.mark.skipif(not SHANGHAI.exists(),
                                    reason="no shared/realdata beside the repo")


@pytest.fixture(scope="module")
def helsinki_city():
    return load(HELSINKI)


@pytest.fixture(scope="module")
def helsinki_layers():
    return read_osm(HELSINKI, PlanConfig())


@pytest.fixture(scope="module")
def shanghai_layers():
    return read_osm(SHANGHAI, PlanConfig())


# --- Helsinki, PBF -----------------------------------------------------------------------

def test_helsinki_buildings_become_homes_in_utm_35n(helsinki_city):
    homes = helsinki_city.homes
    # 486 buildings, of which 3 are ways drawn with two corners (no area): not homes.
    assert 480 <= len(homes) <= 486
    assert helsinki_city.crs.to_epsg() == 32635
    assert (homes["households_source"] == "estimated").all()
    assert set(homes.geom_type) <= {"Polygon", "MultiPolygon"}


def test_helsinki_apartments_hold_households_and_offices_and_churches_none(helsinki_city):
    homes = helsinki_city.homes
    residential = homes[homes["kind"] == "residential"]
    assert len(residential) >= 30
    assert (residential["households"] > 0).mean() > 0.9
    apartments = homes[homes["building"] == "apartments"]
    assert apartments["households"].sum() > 500
    assert (homes.loc[homes["building"].isin(["office", "church", "cathedral"]),
                      "households"] == 0).all()
    assert (homes.loc[homes["kind"] == "commercial", "households"] == 0).all()
    assert homes.loc[homes["kind"] == "mixed", "households"].sum() > 0  # building=yes, half homes


def test_helsinki_streets_have_all_four_ranks(helsinki_city):
    streets = helsinki_city.streets
    assert set(streets["rank"]) == set(RANKS)
    assert (streets.geom_type == "LineString").all()
    assert streets.crs == helsinki_city.crs
    assert set(streets.loc[streets["highway"] == "trail", "rank"]) == {"path"}  # trails are footpaths


def test_helsinki_rail_and_water_are_barriers_and_offices_of_government_are_stations(
        helsinki_city):
    assert {"rail", "water"} <= set(helsinki_city.barriers["kind"])
    stations = helsinki_city.stations
    assert len(stations) >= 10
    assert (stations.geom_type == "Point").all()
    assert {"government", "community_centre", "townhall"} <= set(stations["kind"])
    assert "Helsingin kaupungintalo" in set(stations["name"])  # the city hall, a building


def test_read_osm_gives_lon_lat_layers_with_osm_columns_and_no_households(helsinki_layers):
    homes = helsinki_layers["homes"]
    assert set(helsinki_layers) == {"homes", "streets", "water", "stations"}
    for gdf in helsinki_layers.values():
        assert gdf.crs.equals(4326)
    for col in ("building", "building:levels", "height", "name", "addr:street", "kind"):
        assert col in homes.columns
    assert "households" not in homes.columns
    assert set(homes["kind"]) == {"residential", "mixed", "commercial"}
    assert set(homes.loc[homes["building"] == "apartments", "kind"]) == {"residential"}
    assert set(homes.loc[homes["building"] == "yes", "kind"]) == {"mixed"}
    assert set(homes.loc[homes["building"] == "office", "kind"]) == {"commercial"}
    assert homes["building:levels"].notna().sum() > 100


def test_kind_follows_the_configured_residential_share(helsinki_layers):
    config = PlanConfig().replace(residential_share={"apartments": 1.0, "office": 0.25})
    homes = read_osm(HELSINKI, config)["homes"]
    assert set(homes.loc[homes["building"] == "office", "kind"]) == {"mixed"}
    assert set(homes.loc[homes["building"] == "yes", "kind"]) == {"commercial"}


# --- Shanghai, XML -----------------------------------------------------------------------

@needs_shanghai
def test_shanghai_streets_ranked_from_highway(shanghai_layers):
    streets = shanghai_layers["streets"]
    assert len(streets) > 500
    rank_of = dict(zip(streets["highway"], streets["rank"]))
    assert rank_of["trunk"] == rank_of["primary"] == rank_of["trunk_link"] == "arterial"
    assert rank_of["secondary"] == rank_of["tertiary"] == "secondary"
    assert rank_of["residential"] == rank_of["living_street"] == "local"
    assert set(streets["rank"]) == {"arterial", "secondary", "local"}
    # ~2.4 km x 2.4 km of central Shanghai, driveable streets only
    km = streets.to_crs(32651).length.sum() / 1000
    assert 50 < km < 200
    assert (streets.geom_type == "LineString").all()


@needs_shanghai
def test_shanghai_has_no_homes_and_traffic_signals_are_not_streets(shanghai_layers):
    assert len(shanghai_layers["homes"]) == 0
    assert "traffic_signals" not in set(shanghai_layers["streets"]["highway"])
    for gdf in shanghai_layers.values():
        assert gdf.crs.equals(4326)


@needs_shanghai
def test_osmnx_generated_file_reads_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_osm(SHANGHAI, PlanConfig())


@needs_shanghai
def test_loading_shanghai_streets_alone_says_there_are_no_homes():
    with pytest.raises(InputError, match="no homes") as e:
        load(SHANGHAI)
    assert e.value.file == str(SHANGHAI)


@needs_shanghai
def test_bz2_copy_reads_the_same(tmp_path, shanghai_layers):
    packed = tmp_path / "shanghai.osm.bz2"
    with open(SHANGHAI, "rb") as src, bz2.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    streets = read_osm(packed, PlanConfig())["streets"]
    expected = shanghai_layers["streets"]
    assert list(streets["osm_id"]) == list(expected["osm_id"])
    assert streets.geometry.geom_equals(expected.geometry).all()


# --- a hand-made XML with one of everything ------------------------------------------------

def _node(i, lon, lat, **tags):
    body = "".join(f'<tag k="{k.replace("_", ":")}" v="{v}"/>' for k, v in tags.items())
    return f'<node id="{i}" lon="{lon}" lat="{lat}" version="1">{body}</node>'


def _way(i, nodes, **tags):
    refs = "".join(f'<nd ref="{n}"/>' for n in nodes)
    body = "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())
    return f'<way id="{i}" version="1">{refs}{body}</way>'


def _square(first, lon, lat, d=0.0005):
    return [_node(first + k, lon + dx, lat + dy)
            for k, (dx, dy) in enumerate([(0, 0), (d, 0), (d, d), (0, d)])]


@pytest.fixture
def neighbourhood(tmp_path) -> Path:
    lon, lat = 121.47, 31.23
    nodes = [*_square(1, lon, lat), *_square(11, lon + 0.001, lat), *_square(21, lon + 0.002, lat),
             *_square(31, lon + 0.003, lat),
             _node(41, lon - 0.001, lat - 0.001), _node(42, lon + 0.005, lat - 0.001),
             _node(43, lon - 0.001, lat + 0.002), _node(44, lon + 0.005, lat + 0.002),
             _node(45, lon - 0.001, lat + 0.003), _node(46, lon + 0.005, lat + 0.003),
             _node(47, lon - 0.001, lat + 0.004), _node(48, lon + 0.005, lat + 0.004),
             _node(49, lon + 0.004, lat + 0.001, amenity="community_centre", name="居委会"),
             _node(50, lon + 0.004, lat + 0.0012, building="yes"),  # a building as a point
             _node(51, lon - 0.001, lat + 0.005), _node(52, lon + 0.005, lat + 0.005)]
    ways = [
        _way(101, [1, 2, 3, 4, 1], building="apartments", building__levels="18", name="一号楼",
             addr__street="南京东路"),
        _way(102, [11, 12, 13, 14, 11], building="office"),
        _way(103, [21, 22, 23, 24, 21], building="yes", amenity="townhall", name="区政府"),
        _way(104, [31, 32, 33, 34, 31], natural="water"),
        _way(105, [41, 42], highway="primary", name="延安东路"),
        _way(106, [43, 44], highway="motorway", name="南北高架"),
        _way(107, [45, 46], railway="rail"),
        _way(108, [47, 48], railway="rail", tunnel="yes"),
        _way(109, [51, 52], waterway="river", name="苏州河"),
        _way(110, [41, 43], highway="footway"),
        _way(111, [42, 44], highway="proposed"),
    ]
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="hand">'
            + "".join(nodes) + "".join(ways) + "</osm>")
    path = tmp_path / "neighbourhood.osm"
    path.write_text(text, encoding="utf-8")
    return path


def test_hand_made_xml_sorts_every_feature(neighbourhood):
    layers = read_osm(neighbourhood, PlanConfig())
    homes = layers["homes"].set_index("osm_id")
    assert list(homes.index) == ["way/101", "way/102", "way/103"]
    assert homes.loc["way/101", "kind"] == "residential"
    assert homes.loc["way/101", "building:levels"] == "18"
    assert homes.loc["way/101", "addr:street"] == "南京东路"
    assert homes.loc["way/102", "kind"] == "commercial"
    assert homes.loc["way/103", "kind"] == "mixed"
    streets = layers["streets"]
    assert dict(zip(streets["highway"], streets["rank"])) == {"primary": "arterial",
                                                              "footway": "path"}
    water = layers["water"].set_index("osm_id")["kind"].to_dict()
    # the railway in a tunnel is no barrier on the surface
    assert water == {"way/104": "water", "way/109": "water", "way/107": "rail",
                     "way/106": "motorway"}
    stations = layers["stations"].set_index("osm_id")
    assert stations["kind"].to_dict() == {"node/49": "community_centre", "way/103": "townhall"}
    assert (stations.geom_type == "Point").all()
    assert stations.loc["way/103"].geometry.within(
        layers["homes"].set_index("osm_id").loc["way/103"].geometry)


def test_hand_made_xml_loads_into_a_city(neighbourhood):
    city = load(neighbourhood)
    assert city.crs.to_epsg() == 32651
    by_id = city.homes.set_index("osm_id")["households"]
    # 55 m x 47 m x 18 floors / 90 m2 per household, roughly 520
    assert 400 < by_id["way/101"] < 650
    assert by_id["way/102"] == 0
    assert len(city.streets) == 2 and len(city.barriers) == 4 and len(city.stations) == 2


def test_station_tags_come_from_the_config(neighbourhood):
    config = PlanConfig().replace(station_tags={"amenity": ["townhall"]})
    stations = read_osm(neighbourhood, config)["stations"]
    assert list(stations["kind"]) == ["townhall"]


def test_xml_with_nothing_we_read_has_empty_layers(tmp_path):
    path = tmp_path / "bare.osm"
    path.write_text('<?xml version="1.0"?><osm version="0.6">'
                    + _node(1, 121.0, 31.0) + "</osm>")
    layers = read_osm(path, PlanConfig())
    assert all(len(gdf) == 0 for gdf in layers.values())
    with pytest.raises(InputError, match="no homes"):
        load(path)


# --- broken files --------------------------------------------------------------------------

@pytest.mark.parametrize("name, content", [
    ("broken.osm.pbf", b"this is not protobuf at all"),
    ("broken.osm", b"<osm><node id='1' lat="),
    ("broken.osm.bz2", b"BZh9 not really bzip2"),
    ("html.osm", b"<html><body>429 Too Many Requests</body>"),
])
def test_unreadable_osm_file_names_the_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match="not a readable OSM file") as e:
        load(path)
    assert e.value.file == str(path)
