"""Issue 13: the files Chinese planners hold (GBK CSVs from Excel, Excel registers, shapefiles
without .cpg, Chinese headers, Baidu and AMap points together, CGCS2000 Gauss-Krüger) read as
they are, names intact, and plans that say what they are based on."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

import gridplan as gp
from gridplan.errors import InputError
from gridplan.io import load, read_points
from gridplan.io.charsets import decode_bytes
from gridplan.io.columns import parse_counts
from gridplan.outputs.words import map_labels as labels
from gridplan.outputs.map.panels import summary_rows

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
JINAN = sorted(REALDATA.glob("jinan_*_compounds_bd09.csv"))
GEOD = pyproj.Geod(ellps="WGS84")
CHINESE = {"name": "小区名称", "lon": "经度", "lat": "纬度", "households": "户数",
           "buildings": "楼栋数"}

# A small district in Jinan, in WGS84: 60 compound points about 65 m apart.
LON0, LAT0 = 117.02, 36.66
NAMES = [f"幸福{'一二三四五六七八九十'[i % 10]}区{i}号院" for i in range(60)]
HOUSEHOLDS = [60 + (i * 37) % 90 for i in range(60)]
BUILDINGS = [1 + i % 7 for i in range(60)]


def run(*args):
    return subprocess.run([sys.executable, "-m", "gridplan.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def register(lon0=LON0, lat0=LAT0, n=60) -> pd.DataFrame:
    """A compound register with Chinese headers, as a street office keeps it."""
    return pd.DataFrame({"小区名称": NAMES[:n],
                         "经度": [lon0 + 0.0008 * (i % 10) for i in range(n)],
                         "纬度": [lat0 + 0.0006 * (i // 10) for i in range(n)],
                         "户数": HOUSEHOLDS[:n], "楼栋数": BUILDINGS[:n]})


def csv_bytes(df: pd.DataFrame, encoding: str, sep: str = ",") -> bytes:
    return df.to_csv(index=False, sep=sep, lineterminator="\r\n").encode(encoding)


def one_line_error(r, *needles):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, err
    for n in needles:
        assert n in err, (n, err)
    return err


def assert_register_read(city, n=60):
    h = city.homes
    assert list(h["name"]) == NAMES[:n]
    assert list(h["households"]) == HOUSEHOLDS[:n]
    assert (h["households_source"] == "given").all()
    assert list(h["buildings"]) == BUILDINGS[:n]


# --- encodings ---------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, sep, suffix", [
    ("gbk", ",", ".csv"),              # Excel "CSV" on a Chinese Windows
    ("gb18030", ",", ".csv"),
    ("utf-8", ",", ".csv"),
    ("utf-8-sig", ",", ".csv"),        # Excel "CSV UTF-8": a byte-order mark
    ("utf-16", "\t", ".txt"),          # Excel "Unicode text": UTF-16 with BOM, tabs
    ("utf-16-le", "\t", ".txt"),       # the same without a BOM
])
def test_a_register_in_any_encoding_excel_writes_is_read_with_names_intact(tmp_path, encoding,
                                                                           sep, suffix):
    path = tmp_path / f"小区{suffix}"
    path.write_bytes(csv_bytes(register(), encoding, sep))
    assert_register_read(load(path))


def test_a_gbk_csv_has_bytes_that_are_not_utf8(tmp_path):
    """The fixture really is what Excel writes: today's UTF-8-only reader fails on it."""
    data = csv_bytes(register(), "gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"\xd0\xd2\xb8\xa3" in data                 # 幸福 in GBK


def test_a_name_only_gb18030_can_write_is_kept(tmp_path):
    df = register(n=3)
    df.loc[1, "小区名称"] = "䶮园"                        # CJK extension A: not in GBK
    path = tmp_path / "homes.csv"
    path.write_bytes(csv_bytes(df, "gb18030"))
    assert load(path).homes.loc[1, "name"] == "䶮园"


def test_encoding_given_overrides_detection(tmp_path):
    path = tmp_path / "homes.csv"
    path.write_bytes(csv_bytes(register(), "gbk"))
    assert_register_read(load(path, encoding="gbk"))
    with pytest.raises(InputError, match="encoding = 'klingon': expected a text encoding"):
        load(path, encoding="klingon")
    with pytest.raises(InputError, match=r"homes.csv: in the header, bytes c7 f8 .* utf-8"):
        load(path, encoding="utf-8")
    english = {v: k for k, v in CHINESE.items()}
    path.write_bytes(csv_bytes(register().rename(columns=english), "gbk"))
    with pytest.raises(InputError, match=r"column 'name', row 1: bytes d0 d2 .* utf-8"):
        load(path, encoding="utf-8")


def test_bytes_that_decode_neither_way_name_file_column_row_and_how_to_resave(tmp_path):
    data = csv_bytes(register(n=4), "utf-8").replace("幸福二区1号院".encode(), b"\x80\x80abc")
    path = tmp_path / "homes.csv"
    path.write_bytes(data)
    r = run("plan", path, "--out", tmp_path / "out")
    one_line_error(r, "homes.csv", "column '小区名称'", "row 2", "UTF-8", "--encoding")
    assert not (tmp_path / "out").exists()


def write_gbk_shapefile(path: Path, df: gpd.GeoDataFrame, cpg: bool) -> Path:
    df.to_file(path, encoding="GBK", engine="pyogrio")
    if not cpg:
        path.with_suffix(".cpg").unlink()
    dbf = path.with_suffix(".dbf").read_bytes()
    assert dbf[29] == 0          # no language driver id either: GDAL alone reads ISO-8859-1
    return path


def register_points(n=60, crs=4326, lon0=LON0, lat0=LAT0) -> gpd.GeoDataFrame:
    df = register(lon0, lat0, n=n)
    return gpd.GeoDataFrame(df.drop(columns=["经度", "纬度"]),
                            geometry=gpd.points_from_xy(df["经度"], df["纬度"]),
                            crs=4326).to_crs(crs)


def test_gbk_shapefile_without_cpg_keeps_its_chinese_names(tmp_path):
    path = write_gbk_shapefile(tmp_path / "小区.shp", register_points(), cpg=False)
    raw = gpd.read_file(path, engine="pyogrio")
    assert "小区名称" not in raw.columns                 # what GDAL alone makes of it
    assert_register_read(load(path))


def test_gbk_shapefile_plan_gpkg_names_are_not_mojibake(tmp_path):
    path = write_gbk_shapefile(tmp_path / "homes.shp", register_points(), cpg=False)
    r = run("plan", path, "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    names = set(gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="homes")["name"])
    assert names == set(NAMES)


def test_shapefile_cpg_is_honoured_and_encoding_overrides_it(tmp_path):
    path = write_gbk_shapefile(tmp_path / "homes.shp", register_points(), cpg=True)
    assert_register_read(load(path))
    utf8 = tmp_path / "utf8.shp"
    # UTF-8 with a .cpg; DBF names hold 10 bytes, so 小区名称 (12 in UTF-8) would be cut
    register_points().rename(columns={"小区名称": "名称"}).to_file(utf8, engine="pyogrio")
    utf8.with_suffix(".cpg").unlink()
    assert_register_read(load(utf8))                           # detected without it
    path.with_suffix(".cpg").write_text("UTF-8")                # a .cpg that lies
    assert_register_read(load(path, encoding="gbk"))


# --- column names ------------------------------------------------------------------------

def write_format(tmp_path: Path, fmt: str) -> Path:
    pts = register_points()
    df = register()
    if fmt == "csv":
        p = tmp_path / "homes.csv"
        df.to_csv(p, index=False)
    elif fmt == "xlsx":
        p = tmp_path / "homes.xlsx"
        df.to_excel(p, index=False)
    elif fmt == "gpkg":
        p = tmp_path / "homes.gpkg"
        pts.to_file(p, layer="homes", driver="GPKG", engine="pyogrio")
    elif fmt == "shp":
        p = tmp_path / "homes.shp"          # GBK: 小区名称 is 8 bytes, within DBF's 10
        pts.to_file(p, engine="pyogrio", encoding="GBK")
    elif fmt == "geojson":
        p = tmp_path / "homes.geojson"
        pts.to_file(p, driver="GeoJSON", engine="pyogrio")
    elif fmt == "geoparquet":
        p = tmp_path / "homes.parquet"
        pts.to_parquet(p)
    elif fmt == "parquet":                 # a plain table with 经度/纬度, no geometry
        p = tmp_path / "homes.parquet"
        df.to_parquet(p)
    return p


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg", "shp", "geojson", "geoparquet",
                                 "parquet"])
def test_chinese_headers_are_recognised_in_every_format(tmp_path, fmt):
    assert_register_read(load(write_format(tmp_path, fmt)))


def test_utf8_csv_with_chinese_headers_plans_from_the_command_line(tmp_path):
    r = run("plan", write_format(tmp_path, "csv"), "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    homes = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="homes")
    assert set(homes["name"]) == set(NAMES)
    assert int(homes["households"].sum()) == sum(HOUSEHOLDS)


@pytest.mark.parametrize("header", ["LNG,LAT", "Longitude,Latitude", "x,y", "经度,纬度"])
def test_longitude_and_latitude_headers_any_case(tmp_path, header):
    p = tmp_path / "homes.csv"
    p.write_text(f"{header},Households\n117.02,36.66,120\n", encoding="utf-8")
    city = load(p)
    assert city.households == 120
    lon, lat = city.homes.to_crs(4326).geometry.iloc[0].coords[0]
    assert (lon, lat) == pytest.approx((117.02, 36.66), abs=1e-9)


@pytest.mark.parametrize("alias", ["户数", "总户数", "房屋总数", "住户数"])
def test_every_household_alias_is_read(tmp_path, alias):
    p = tmp_path / "homes.csv"
    p.write_text(f"lon,lat,{alias}\n117.02,36.66,345\n", encoding="utf-8")
    assert load(p).households == 345


def test_geopackage_households_named_in_chinese_are_used_not_estimated(tmp_path):
    """Buildings with 户数 (shops with 0): the counts are the given ones, not footprints."""
    lon, lat, d = 117.02, 36.66, 0.0006
    polys = [box(lon + i * d, lat, lon + i * d + d / 2, lat + d / 2) for i in range(8)]
    counts = [500, 400, 300, 0, 600, 450, 350, 400]            # 3,000; the 0 is a shop
    gdf = gpd.GeoDataFrame({"名称": [f"{i}号楼" for i in range(8)], "户数": counts,
                            "building": ["apartments"] * 3 + ["retail"] + ["apartments"] * 4,
                            "building:levels": [18] * 8},
                           geometry=polys, crs=4326)
    p = tmp_path / "city.gpkg"
    gdf.to_file(p, layer="homes", driver="GPKG", engine="pyogrio")
    city = load(p)
    assert city.households == 3000
    assert list(city.homes["households"]) == counts
    assert (city.homes["households_source"] == "given").all()
    assert list(city.homes["name"]) == [f"{i}号楼" for i in range(8)]


def test_two_longitude_columns_that_differ_are_an_error_not_a_silent_pick(tmp_path):
    p = tmp_path / "homes.csv"
    p.write_text("lon,lng,lat,households\n117.02,117.02,36.66,10\n117.03,117.5,36.66,10\n",
                 encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2: columns 'lon' and 'lng' could both be the "
                                         r"longitude and differ .*--columns lon="):
        load(p)
    p.write_text("lon,lng,lat,households\n117.02,117.02,36.66,10\n", encoding="utf-8")
    assert load(p).households == 10                         # the same values: no question
    p.write_text("户数,总户数,lon,lat\n10,12,117.02,36.66\n", encoding="utf-8")
    with pytest.raises(InputError, match="'户数' and '总户数' could both be the households"):
        load(p)


def test_columns_option_names_the_columns_the_aliases_miss(tmp_path):
    p = tmp_path / "homes.csv"
    p.write_text("东经,北纬,住宅套数,小区\n117.02,36.66,88,甲\n117.03,36.66,12,乙\n",
                 encoding="utf-8")
    with pytest.raises(InputError, match="no longitude column"):
        load(p)
    city = load(p, columns="lon=东经,lat=北纬,households=住宅套数")
    assert list(city.homes["households"]) == [88, 12]
    assert list(city.homes["name"]) == ["甲", "乙"]
    r = run("plan", p, "--columns", "lon=东经,lat=北纬,households=套数", "--out",
            tmp_path / "out")
    one_line_error(r, "--columns households=套数", "no column '套数'")


# --- Excel -------------------------------------------------------------------------------

def test_an_xlsx_register_plans_from_the_command_line(tmp_path):
    p = write_format(tmp_path, "xlsx")
    r = run("plan", p, "--sheet", "Sheet1", "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    homes = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="homes")
    assert set(homes["name"]) == set(NAMES)


def test_excel_sheet_by_name_and_numbers_stored_as_text(tmp_path):
    p = tmp_path / "registers.xlsx"
    notes = pd.DataFrame({"说明": ["本表为 2024 年住房登记"]})
    df = register(n=3).astype({"户数": object})
    df["户数"] = ["1,234", "56", " 2,000 "]               # typed by hand, as text
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        notes.to_excel(xw, sheet_name="说明", index=False)
        df.to_excel(xw, sheet_name="小区", index=False)
    with pytest.raises(InputError, match="no longitude column"):
        load(p)                                           # the first sheet is the notes
    city = load(p, sheet="小区")
    assert list(city.homes["households"]) == [1234, 56, 2000]
    with pytest.raises(InputError, match=r"no sheet '楼栋': expected one of 说明, 小区"):
        load(p, sheet="楼栋")


@pytest.mark.parametrize("value", ["abc", "1,23", "12,3456"])
def test_a_count_that_is_not_a_number_names_the_sheet_column_and_row(tmp_path, value):
    p = tmp_path / "homes.xlsx"
    df = register(n=3).astype({"户数": object})
    df.loc[2, "户数"] = value
    df.to_excel(p, index=False, sheet_name="小区")
    with pytest.raises(InputError, match=f"layer '小区', column '户数', row 3: expected a "
                                         f"whole number of households >= 0, got '{value}'"):
        load(p)


def test_buildings_are_read_as_whole_numbers_and_checked(tmp_path):
    p = tmp_path / "homes.csv"
    p.write_text("lon,lat,households,楼栋总数\n117.02,36.66,120,3\n117.03,36.66,80,\n",
                 encoding="utf-8")
    b = load(p).homes["buildings"]
    assert b.dtype == "Int64" and b.iloc[0] == 3 and pd.isna(b.iloc[1])
    p.write_text("lon,lat,households,楼栋数\n117.02,36.66,120,2.5\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"column '楼栋数', row 1: expected a whole number of "
                                         r"buildings >= 0, got '2.5'"):
        load(p)


# --- datums ------------------------------------------------------------------------------

# The published GCJ-02 forward formula, written out here so the test does not lean on
# gridplan's own implementation of it.
_A, _EE = 6378245.0, 0.00669342162296594323


def _wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
            + (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
            + (20 * math.sin(y * math.pi) + 40 * math.sin(y / 3 * math.pi)) * 2 / 3
            + (160 * math.sin(y / 12 * math.pi) + 320 * math.sin(y * math.pi / 30)) * 2 / 3)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
            + (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
            + (20 * math.sin(x * math.pi) + 40 * math.sin(x / 3 * math.pi)) * 2 / 3
            + (150 * math.sin(x / 12 * math.pi) + 300 * math.sin(x / 30 * math.pi)) * 2 / 3)
    rad = lat / 180 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    dlat = dlat * 180 / ((_A * (1 - _EE)) / (magic * math.sqrt(magic)) * math.pi)
    dlon = dlon * 180 / (_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def _wgs_to_bd(lon: float, lat: float) -> tuple[float, float]:
    x, y = _wgs_to_gcj(lon, lat)
    xpi = math.pi * 3000 / 180
    z = math.hypot(x, y) + 0.00002 * math.sin(y * xpi)
    t = math.atan2(y, x) + 0.000003 * math.cos(x * xpi)
    return z * math.cos(t) + 0.0065, z * math.sin(t) + 0.006


def test_baidu_homes_and_amap_stations_in_one_run_measure_true_distances(tmp_path):
    """Homes from Baidu (BD-09), stations from AMap (GCJ-02): each file shifted by its own
    datum, so the straight distances are those between the true WGS84 points."""
    true_homes = [(LON0 + 0.0008 * (i % 10), LAT0 + 0.0006 * (i // 10)) for i in range(60)]
    true_st = [(LON0 + 0.0012, LAT0 + 0.0009), (LON0 + 0.0061, LAT0 + 0.0021)]
    homes = pd.DataFrame({"小区名称": NAMES, "户数": HOUSEHOLDS,
                          "经度": [_wgs_to_bd(*p)[0] for p in true_homes],
                          "纬度": [_wgs_to_bd(*p)[1] for p in true_homes]})
    st = pd.DataFrame({"名称": ["社区服务中心", "网格驿站"],
                       "lng": [_wgs_to_gcj(*p)[0] for p in true_st],
                       "lat": [_wgs_to_gcj(*p)[1] for p in true_st]})
    hp, sp = tmp_path / "homes_baidu.csv", tmp_path / "stations_amap.csv"
    hp.write_bytes(csv_bytes(homes, "gbk"))
    st.to_csv(sp, index=False, encoding="utf-8-sig")
    r = run("plan", hp, "--coords", "bd09", "--stations", sp, "--stations-coords", "gcj02",
            "--encoding", "gbk", "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    out = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="homes")
    got = out.drop_duplicates("home_index").sort_values("home_index")["dist_m"].to_numpy()
    want = []
    for lon, lat in true_homes:
        want.append(min(GEOD.inv(lon, lat, slon, slat)[2] for slon, slat in true_st))
    # UTM's scale (0.9996 near its central meridian) and the 0.1 m rounding of dist_m
    np.testing.assert_allclose(got, want, atol=0.5)
    stations = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="stations")
    assert list(stations["name"]) == ["社区服务中心", "网格驿站"]
    # one datum for both files, as before: the stations land hundreds of metres off
    city = load(hp, coords="bd09", stations=sp)
    wrong = gpd.GeoSeries(city.stations.geometry, crs=city.crs).to_crs(4326)
    off = GEOD.inv(wrong.x.iloc[0], wrong.y.iloc[0], *true_st[0])[2]
    assert off > 100


def test_candidates_take_their_own_datum(tmp_path):
    city = load(write_format(tmp_path, "csv"))
    true = (LON0 + 0.003, LAT0 + 0.002)
    p = tmp_path / "shops.csv"
    p.write_text("名称,lng,lat\n便利店,{},{}\n".format(*_wgs_to_gcj(*true)), encoding="utf-8")
    pts = read_points(p, crs=city.crs, coords="gcj02")
    lon, lat = pts.to_crs(4326).geometry.iloc[0].coords[0]
    assert GEOD.inv(lon, lat, *true)[2] < 0.01
    assert pts["name"].iloc[0] == "便利店"


def test_chinese_datum_outside_china_is_refused_in_one_line(tmp_path):
    p = tmp_path / "helsinki.csv"
    p.write_text("lon,lat,households\n24.94,60.17,100\n", encoding="utf-8")
    for coords in ("gcj02", "bd09"):
        with pytest.raises(InputError, match=f"row 1: coords = '{coords}', but the point "
                                             r"\(24.940000, 60.170000\) is outside China"):
            load(p, coords=coords)
    assert load(p).households == 100
    st = tmp_path / "stations.csv"
    st.write_text("lon,lat\n13.40,52.52\n", encoding="utf-8")
    r = run("plan", write_format(tmp_path, "csv"), "--stations", st, "--stations-coords",
            "bd09", "--out", tmp_path / "out")
    one_line_error(r, "stations.csv", "stations_coords = 'bd09'", "outside China")


# --- CGCS2000 ----------------------------------------------------------------------------

QINGDAO = (120.38, 36.07)          # inside CGCS2000 3-degree Gauss-Krüger zone CM 120E


def test_a_cgcs2000_gauss_kruger_geopackage_plans_back_in_its_own_crs(tmp_path):
    pts = register_points(lon0=QINGDAO[0], lat0=QINGDAO[1])
    wgs = np.array([g.coords[0] for g in pts.geometry])
    gk = pts.to_crs(4549)
    x, y = gk.geometry.x.to_numpy(), gk.geometry.y.to_numpy()
    assert 500_000 < x.min() < 600_000 and 3_900_000 < y.min() < 4_100_000   # east, north
    p = tmp_path / "青岛.gpkg"
    gk.to_file(p, layer="homes", driver="GPKG", engine="pyogrio")
    r = run("plan", p, "--out", tmp_path / "out", "--geojson")
    assert r.returncode == 0, r.stderr
    assert "plan.gpkg written in EPSG:4549" in r.stdout
    gpkg = tmp_path / "out" / "plan.gpkg"
    for layer in pyogrio.list_layers(gpkg)[:, 0]:
        assert pyproj.CRS(pyogrio.read_info(gpkg, layer=layer)["crs"]).to_epsg() == 4549, layer
    homes = gpd.read_file(gpkg, layer="homes").drop_duplicates("home_index")
    homes = homes.sort_values("home_index")
    np.testing.assert_allclose(homes.geometry.x, x, atol=0.01)
    np.testing.assert_allclose(homes.geometry.y, y, atol=0.01)
    geo = gpd.read_file(tmp_path / "out" / "geojson" / "homes.geojson")
    assert geo.crs.to_epsg() == 4326
    geo = geo.drop_duplicates("home_index").sort_values("home_index")
    np.testing.assert_allclose(np.column_stack([geo.geometry.x, geo.geometry.y]), wgs,
                               atol=1e-6)
    grids = pd.read_csv(tmp_path / "out" / "grids.csv", encoding="utf-8-sig")
    assert grids["x"].between(x.min() - 500, x.max() + 500).all()
    assert grids["y"].between(y.min() - 500, y.max() + 500).all()
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["output_crs"] \
        == "EPSG:4549"


def test_crs_option_chooses_the_output_crs_and_a_bad_one_is_one_line(tmp_path):
    p = write_format(tmp_path, "csv")
    r = run("plan", p, "--crs", "EPSG:4548", "--out", tmp_path / "out")   # CM 117E
    assert r.returncode == 0, r.stderr
    info = pyogrio.read_info(tmp_path / "out" / "plan.gpkg", layer="grids")
    assert pyproj.CRS(info["crs"]).to_epsg() == 4548
    r = run("plan", p, "--crs", "EPSG:999999", "--out", tmp_path / "out2")
    one_line_error(r, "output_crs = 'EPSG:999999'", "expected a CRS")


def test_cgcs2000_geographic_input_lands_where_it_says(tmp_path):
    pts = register_points().set_crs(4490, allow_override=True)
    p = tmp_path / "cgcs2000.gpkg"
    pts.to_file(p, layer="homes", driver="GPKG", engine="pyogrio")
    city = load(p)
    back = city.homes.to_crs(4326)
    np.testing.assert_allclose(back.geometry.x, register()["经度"], atol=1e-7)
    assert city.crs.is_projected


# --- siting from points ------------------------------------------------------------------

def test_compound_points_alone_site_stations_in_the_homes_to_reach_the_target(tmp_path):
    df = register()
    df["经度"] = [LON0 + 0.004 * (i % 10) for i in range(60)]    # 360 m apart: spread out
    df["纬度"] = [LAT0 + 0.003 * (i // 10) for i in range(60)]
    p = tmp_path / "homes.csv"
    df.to_csv(p, index=False)
    r = run("plan", p, "--target-coverage", "0.95", "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert "candidate sites: the homes themselves" in r.stdout
    assert "walking distances not measured: no stations" in r.stdout
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["siting"]["candidate_sites"] == "homes"
    assert s["siting"]["proposed"] > 0
    assert s["siting"]["covered_households"] >= 0.95 * s["households"]
    proposed = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="proposed_stations")
    assert set(proposed["kind"]) == {"home"} and set(proposed["name"]) <= set(NAMES)
    assert s["coverage"]["walk_not_measured"] == "no stations"


def test_site_alone_on_compound_points_also_sites_in_the_homes(tmp_path):
    s = gp.site(load(write_format(tmp_path, "csv")), target_coverage=0.95, radius_m=200)
    assert s.summary.siting.candidate_sites == "homes"
    assert s.summary.share_after >= 0.95
    assert set(s.proposed["name"]) <= set(NAMES)


def test_map_panel_tells_no_stations_from_no_streets():
    city = gp.synth(households=6_000, seed=1)
    words = labels("en", radius="500", minutes=15, lo=300, hi=500, clo=3000, chi=5000)
    no_streets = gp.plan(city.__class__(**{**city.__dict__, "streets": city.streets.iloc[:0]}))
    rows = dict(summary_rows(no_streets.summary, words))
    assert rows["Households within 500 m on foot"] == "not measured (no streets)"
    no_stations = gp.plan(city.__class__(**{**city.__dict__,
                                            "stations": city.stations.iloc[:0]}))
    rows = dict(summary_rows(no_stations.summary, words))
    assert rows["Households within 500 m on foot"] == "not measured (no stations)"
    assert no_stations.summary.coverage.walk_not_measured == "no stations"


# --- the real registers ------------------------------------------------------------------

def jinan_as_planners_hold_it(path: Path, tmp_path: Path, n: int | None = None):
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    if n:
        raw = raw.iloc[:n]
    df = raw.rename(columns={**CHINESE, "built_year": "建成年份"})
    gbk = tmp_path / f"{path.stem}.csv"
    gbk.write_bytes(csv_bytes(df, "gbk"))
    return raw, df, gbk


@pytest.mark.skipif(not JINAN, reason="../shared/realdata/jinan_* not present")
def test_jinan_register_as_gbk_csv_with_chinese_headers_plans_names_intact(tmp_path):
    raw, _, gbk = jinan_as_planners_hold_it(JINAN[0], tmp_path, n=150)
    r = run("plan", gbk, "--coords", "bd09", "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    homes = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="homes")
    assert set(homes["name"]) == set(raw["name"])
    assert int(homes["households"].sum()) == int(raw["households"].astype(int).sum())


@pytest.mark.slow
@pytest.mark.skipif(not JINAN, reason="../shared/realdata/jinan_* not present")
@pytest.mark.parametrize("fmt", ["gbk-csv", "xlsx"])
def test_whole_jinan_districts_plan_from_gbk_csv_and_xlsx(tmp_path, fmt):
    for path in JINAN:
        raw, df, gbk = jinan_as_planners_hold_it(path, tmp_path)
        src = gbk
        if fmt == "xlsx":
            src = tmp_path / f"{path.stem}.xlsx"
            df.to_excel(src, index=False, sheet_name="小区")
        out = tmp_path / f"out-{path.stem}"
        r = run("plan", src, "--coords", "bd09", "--target-coverage", "0.95", "--out", out)
        assert r.returncode == 0, r.stderr
        homes = gpd.read_file(out / "plan.gpkg", layer="homes")
        assert set(homes["name"]) == set(raw["name"])
        assert int(homes["households"].sum()) == int(raw["households"].astype(int).sum())
        s = json.loads((out / "summary.json").read_text())
        assert s["siting"]["covered_households"] >= 0.95 * s["households"]


# --- properties --------------------------------------------------------------------------

_GBK_TEXT = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5) | st.sampled_from(
    list("abc 0123456789（）·-")), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(names=st.lists(_GBK_TEXT, min_size=1, max_size=5), enc=st.sampled_from(
    ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"]))
def test_any_chinese_text_comes_back_as_written_in_any_encoding_excel_writes(names, enc):
    text = "名称\n" + "\n".join(n.replace("\n", " ") for n in names) + "\n"
    assert decode_bytes(text.encode(enc))[0].lstrip("\ufeff") == text


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=0, max_value=10**9))
def test_a_count_with_thousands_separators_reads_as_the_same_number(n):
    df = pd.DataFrame({"households": [f"{n:,}", f"{n}", f"{n:,}".replace(",", "，")]})
    # households stay text until City checks every source's counts, so errors quote them
    assert pd.to_numeric(parse_counts(df)["households"]).tolist() == [n, n, n]


def test_a_sheet_asked_of_a_csv_is_refused_not_ignored(tmp_path):
    src = tmp_path / "homes.csv"
    src.write_text("lon,lat,households\n117.0,36.6,400\n117.001,36.6,400\n", encoding="utf-8")
    r = run("plan", src, "--sheet", "2024", "--out", tmp_path / "out")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "homes.csv" in lines[0] and "--sheet '2024'" in lines[0]
    assert not (tmp_path / "out").exists()
