"""The review map as a page and as data, and the plan's other outputs: plan.gpkg as QGIS
reads it, one GeoJSON per layer, the grids and communities tables. (In a browser: see
test_map_browser.py.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import gridplan as gp
from gridplan.outputs.save import write_plan
from gridplan.outputs.map import ground as G
from gridplan.outputs.map import layers as L
from gridplan.outputs.words import map_labels as labels
from gridplan.outputs.map.panels import summary_rows

from .conftest import small_city

LEAFLET_CDN = "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"
CLUSTER_CDN = ("https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/"
               "leaflet.markercluster.js")


@pytest.fixture(scope="module")
def plan():
    return gp.plan(gp.synth(households=6_000, seed=0))


@pytest.fixture(scope="module")
def html(plan):
    return plan.map(lang="en").get_root().render()


def overlay(m: folium.Map, name: str):
    """The map's layer shown as ``name`` in the layer control."""
    found = [c for c in m._children.values() if getattr(c, "layer_name", None) == name]
    assert len(found) == 1, name
    return found[0]


def words(plan, lang="en"):
    c = plan.config
    return labels(lang, radius=f"{c.radius_m:g}", minutes=c.walk_minutes,
                  lo=c.min_households, hi=c.max_households, clo=c.community_min,
                  chi=c.community_max)


# --- offline and CDN pages ------------------------------------------------------------------

def test_offline_page_fetches_no_script_or_style(html):
    assert re.findall(r"<script[^>]*\bsrc=", html) == []
    assert re.findall(r"<link[^>]*\bhref=", html) == []
    assert "Leaflet 1.9.4" in html and "L.MarkerClusterGroup" in html
    assert "Volodymyr Agafonkin" in html and "Copyright 2012 David Leaver" in html  # licences
    assert "url(images/" not in html                 # Leaflet's images are data: URIs
    for library in ("jquery", "bootstrap", "fontawesome", "awesome-markers"):
        assert library not in html.lower()


def test_cdn_page_links_leaflet_and_the_cluster_plugin_only(plan, html):
    cdn = plan.map(lang="en", cdn=True).get_root().render()
    assert re.findall(r'<script[^>]*\bsrc="([^"]+)"', cdn) == [LEAFLET_CDN, CLUSTER_CDN]
    assert all(u.startswith("https://cdn.jsdelivr.net/npm/leaflet")
               for u in re.findall(r'<link[^>]*\bhref="([^"]+)"', cdn))
    assert "gridplan.review(" in cdn and "Leaflet 1.9.4" not in cdn
    assert len(html.encode()) - len(cdn.encode()) > 150_000


def test_folium_defaults_stay_as_they_were_for_other_maps(html):
    assert any("jquery" in url for _, url in folium.Map.default_js)
    other = folium.Map().get_root().render()
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in other


def _page(plan) -> str:
    """The map's page with folium's random element ids numbered in order of appearance."""
    html = plan.map(lang="en").get_root().render()
    ids = {}
    return re.sub(r"_[0-9a-f]{32}(?![0-9a-f])",
                  lambda m: ids.setdefault(m.group(), f"_id{len(ids)}"), html)


def _branca_keys_scripts_by(monkeypatch, suffix: str) -> None:
    """A branca that files each element's script under another name than the element's."""
    import branca.element as be

    def render(self, **kwargs):
        figure = self.get_root()
        for part in ("header", "html", "script"):
            macro = self._template.module.__dict__.get(part)
            if macro is not None:
                getattr(figure, part).add_child(be.Element(macro(self, kwargs)),
                                                name=self.get_name() + suffix)
        for element in self._children.values():
            element.render(**kwargs)
    monkeypatch.setattr(be.MacroElement, "render", render)


@pytest.mark.parametrize("branca_key", ["", "_script"])
def test_the_layers_and_review_scripts_go_in_as_folium_renders_them(plan, monkeypatch,
                                                                   branca_key):
    """Each GeoJSON layer's script (its whole data) and the review call (every building)
    skip branca's second template compile: the whole page, scripts in their order, is the
    page folium's own render gives; also under a branca that files scripts by another name,
    where the layers fall back to folium's render."""
    import gridplan.outputs.map.build as build
    if branca_key:
        _branca_keys_scripts_by(monkeypatch, branca_key)
    ours = _page(plan)
    assert '"ground":' in ours and ours.count('"features":') >= 6
    monkeypatch.setattr(build, "_GeoJson", folium.GeoJson)
    monkeypatch.setattr(build._Review, "render", folium.MacroElement.render)
    assert ours == _page(plan)


def test_a_station_name_that_looks_like_a_template_is_drawn_as_written():
    """Input text reaches the page as data: a name in Jinja's syntax is neither evaluated
    (branca's second compile made "{{ 7*7 }}" read 49) nor an error ("{% if")."""
    p = gp.plan(gp.synth(households=3000, seed=1))
    names = ["{{ 7*7 }}", "{% if x %}"] + [f"s{i}" for i in range(len(p.stations) - 2)]
    assert len(p.stations) >= 2
    p.stations["name"] = names
    html = p.map(lang="en").get_root().render()
    assert '"name": "{{ 7*7 }}"' in html and '"name": "{% if x %}"' in html


# --- what the layers carry ------------------------------------------------------------------

def test_every_grid_is_drawn_with_its_households(plan):
    m = plan.map(lang="en")
    feats = overlay(m, "Grids (households)").data["features"]
    drawn = {f["properties"]["grid_id"]: f["properties"]["households"] for f in feats}
    assert drawn == dict(zip(plan.grids["grid_id"], plan.grids["households"]))
    ramp = L.grid_colours(plan.config.min_households, plan.config.max_households)
    for f in feats:
        p = f["properties"]
        assert p["_fill"] == ramp(p["households"])[:7] and p["_flag"] == 0


def _typed(v):
    """``v`` with the type of every value in it: a tuple is not a list, 1 is not 1.0."""
    if isinstance(v, dict):
        return {k: _typed(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v).__name__, [_typed(x) for x in v]
    return type(v).__name__, ("nan" if isinstance(v, float) and np.isnan(v) else v)


def test_layers_reach_the_page_as_geopandas_gives_them(plan):
    """The page's GeoJSON is built a column at a time: it must be geopandas' to the value
    and type (points, polygons with holes, multipolygons, lines, empty and missing shapes,
    missing values)."""
    x0, y0 = 500_000, 4_000_000
    holed = shapely.Polygon(shapely.box(x0, y0, x0 + 300, y0 + 300).exterior.coords,
                            [shapely.box(x0 + 100, y0 + 100, x0 + 200, y0 + 200).exterior.coords])
    odd = gpd.GeoDataFrame({
        "name": ["a", None, "c<b>", "d", "e", "f", "g"],
        "households": [1, 2, 3, 4, 5, 6, 7],
        "share": [0.5, np.nan, 0.25, 1.0, 0.0, np.nan, 0.1],
        "in_reach": [True, False, True, True, False, True, False],
    }, geometry=[shapely.Point(x0, y0), holed,
                 shapely.MultiPolygon([shapely.box(x0, y0, x0 + 9, y0 + 9),
                                       shapely.box(x0 + 50, y0, x0 + 59, y0 + 9)]),
                 shapely.LineString([(x0, y0), (x0 + 80, y0 + 30)]), shapely.Polygon(),
                 None, shapely.box(x0 - 50, y0 - 50, x0, y0)], crs=32650)
    w = words(plan)
    grids, communities = L.grid_layers(plan, w)
    for gdf in (odd, grids, communities, L.uncovered_layer(plan), L.station_layer(plan, w),
                L.proposed_layer(plan), L.circle_layer(plan, "#000000", "#ffffff"),
                L.isochrone_layer(plan, w), odd.iloc[:0]):
        expected = L.to_display(gdf).to_geo_dict(na="null", drop_id=True)
        assert _typed(L.feature_collection(gdf)) == _typed(expected)


def test_grid_fills_are_branca_s_ramp_for_every_household_count():
    for lo, hi in [(300, 500), (3000, 5000), (1, 2), (400, 400)]:
        ramp = L.grid_colours(lo, hi)
        counts = np.arange(lo - 2, hi + 3)
        assert L.fill_colours(counts, lo, hi) == [
            L.BELOW if h < lo else L.ABOVE if h > hi else ramp(h)[:7] for h in counts]


def test_clustered_homes_sum_their_parts_and_name_each_grid_once(plan):
    rows = L.home_rows(plan)
    res = plan.homes[plan.homes["households"] > 0]
    xy = gpd.GeoSeries(shapely.points(gp.propose.home_points(res)), crs=res.crs).to_crs(4326)
    frame = pd.DataFrame({"home": res["home_index"].to_numpy(), "lat": xy.y.to_numpy(),
                          "lon": xy.x.to_numpy(), "households": res["households"].to_numpy(int),
                          "grid": res["grid_id"].astype(str).to_numpy()})
    per = frame.groupby("home", sort=False).agg(
        lat=("lat", "first"), lon=("lon", "first"), households=("households", "sum"),
        grid=("grid", lambda s: "/".join(dict.fromkeys(s))))
    assert per["grid"].str.contains("/").any()          # a home divided between grids
    assert rows == [[round(float(a), L.PRECISION), round(float(b), L.PRECISION), int(h), g]
                    for a, b, h, g in zip(per["lat"], per["lon"], per["households"],
                                          per["grid"])]


def test_grid_below_the_range_stands_out_with_its_reason():
    city = small_city([(0, 0), (60, 0), (0, 60), (60, 60), (30, 30)], [50] * 5,
                      stations=[(0, 0)])
    p = gp.plan(city)
    props = overlay(p.map(lang="en"), "Grids (households)").data["features"][0]["properties"]
    assert props["households"] == 250
    assert props["_fill"] == L.BELOW and props["_flag"] == 1
    assert props["status"] == "below 300"
    assert "no set of grids of 300–500" in props["notes"]


def test_station_serves_the_households_nearest_to_it_within_the_radius():
    # stations at x = 0 and 1,000 m; a shop at 2,050 m is the only candidate for a new one
    city = small_city([(0, 0), (100, 0), (900, 0), (2000, 0), (2050, 0)],
                      [100, 100, 100, 100, 0], kind=["residential"] * 4 + ["commercial"],
                      stations=[(0, 0), (1000, 0)])
    p = gp.plan(city)
    st = L.station_layer(p, words(p))
    assert st["served_households"].tolist() == [200, 100]     # the home at 2,000 m: nobody's
    assert st["served_homes"].tolist() == [2, 1]
    assert st["name"].tolist() == ["station 1", "station 2"]
    pr = L.proposed_layer(p)
    assert pr["new_households"].tolist() == [100]
    feats = overlay(p.map(lang="en"), "Stations").data["features"]
    assert [f["properties"]["served_households"] for f in feats] == [200, 100]


def test_labels_follow_the_language(plan):
    zh, en = plan.map(lang="zh"), plan.map(lang="en")
    assert overlay(zh, "网格（户数）").layer_name == "网格（户数）"
    assert overlay(en, "Grids (households)")
    tip = [c for c in overlay(zh, "网格（户数）")._children.values()
           if isinstance(c, folium.GeoJsonTooltip)][0]
    assert "户数" in tip.aliases and "Households" not in tip.aliases
    assert labels("zh").keys() == labels("en").keys()
    with pytest.raises(gp.InputError, match="lang = 'fr'"):
        plan.map(lang="fr")


def test_summary_panel_quotes_the_plan_and_its_staffing(plan, html):
    s = plan.summary
    rows = dict(summary_rows(s, words(plan)))
    lo, hi = s.staffing.community_workers
    assert rows["Community workers (one per 300–400 households)"] == f"{lo:,}–{hi:,}"
    assert rows["Grid workers (one per grid)"] == f"{len(plan.grids):,}"
    assert rows["Households"] == f"{int(plan.grids['households'].sum()):,}"
    assert rows["Households within 500 m (straight)"] == \
        f"{100 * s.coverage.straight_share:.1f}%"
    for value in rows.values():                        # the page carries them, JSON-escaped
        assert json.dumps(value)[1:-1] in html


def test_tianditu_needs_a_key_and_is_not_shifted(plan, monkeypatch):
    monkeypatch.delenv("GRIDPLAN_TIANDITU_KEY", raising=False)
    with pytest.raises(gp.InputError, match="GRIDPLAN_TIANDITU_KEY"):
        plan.map(basemap="tianditu")
    assert "tianditu.gov.cn" not in plan.map(lang="en").get_root().render()
    monkeypatch.setenv("GRIDPLAN_TIANDITU_KEY", "k3y")
    m = plan.map(lang="en", basemap="tianditu")
    page = m.get_root().render()
    assert "tk=k3y" in page and "LAYER=vec" in page and "LAYER=eva" in page
    tianditu = overlay(m, "Tianditu")
    assert tianditu.show and not overlay(m, "OpenStreetMap").show
    review = [c for c in m._children.values() if type(c).__name__ == "_Review"][0]
    assert [b.layer_name for b in review.gcj_bases] == ["AMap (Gaode, GCJ-02)"]   # AMap only


def test_amap_first_opens_on_amap(plan):
    m = plan.map(lang="en", basemap="amap")
    assert overlay(m, "AMap (Gaode, GCJ-02)").show and not overlay(m, "OpenStreetMap").show
    with pytest.raises(gp.InputError, match="basemap = 'baidu'"):
        plan.map(basemap="baidu")


def test_display_grids_keep_shared_edges_and_rounded_coordinates(plan):
    grids, communities = L.grid_layers(plan, words(plan), simplify_m=5.0)
    areas = shapely.area(grids.geometry.values)
    union = shapely.union_all(grids.geometry.values).area
    assert areas.sum() - union < 1.0                 # neighbours do not overlap
    assert union == pytest.approx(shapely.union_all(plan.grids.geometry.values).area, rel=0.01)
    assert communities.geometry.area.sum() == pytest.approx(areas.sum(), rel=1e-6)
    before = shapely.get_num_coordinates(plan.grids.geometry.values).sum()
    assert shapely.get_num_coordinates(grids.geometry.values).sum() < before
    xy = shapely.get_coordinates(L.to_display(grids, precision=5).geometry.values)
    assert np.allclose(xy, np.round(xy, 5), rtol=0, atol=1e-12)


def test_display_simplification_mends_grids_whose_shared_edges_do_not_match():
    # the shared edge x = 100 has a vertex at (100, 50) on one side only
    left = shapely.Polygon([(0, 0), (100, 0), (100, 50), (100, 100), (0, 100), (3, 50)])
    right = shapely.Polygon([(100, 0), (200, 0), (200, 100), (100, 100)])
    assert not shapely.coverage_is_valid([left, right])
    out = L.simplify_coverage([left, right], 5.0)
    assert len(out) == 2 and shapely.coverage_is_valid(out)
    assert shapely.get_num_coordinates(out[0]) < shapely.get_num_coordinates(left)  # (3, 50) went
    assert shapely.area(out).sum() == pytest.approx(shapely.union_all(out).area)


def test_neighbouring_grids_give_their_buildings_different_colours(plan):
    grids, _ = L.grid_layers(plan, words(plan))
    geoms = grids.geometry.values
    a, b = shapely.STRtree(geoms).query(geoms, predicate="touches")
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[a]),
                                                 shapely.boundary(geoms[b]))) > 1.0
    colour = grids["_colour"].to_numpy()
    assert shared.any() and (colour[a[shared]] != colour[b[shared]]).all()
    assert set(colour) <= set(G.GRID_PALETTE)


def test_ground_layers_carry_streets_by_rank_water_and_every_building(plan):
    g = G.ground_data(plan)
    city = plan.city
    assert set(g["streets"]["rank"]) == set(city.streets["rank"])
    assert len(g["streets"]["xy"]) >= len(city.streets)
    assert len(g["water"]["xy"]) >= len(city.barriers) and set(g["water"]["kind"]) == {"water"}
    b = g["buildings"]
    assert len(b["xy"]) == plan.homes["home_index"].nunique() == len(set(b["home"]))
    assert sum(b["households"]) == plan.homes["households"].sum()
    flat = np.concatenate([np.asarray(xy) for xy in g["streets"]["xy"] + b["xy"]])
    assert np.allclose(flat, np.round(flat, G.GROUND_PRECISION), rtol=0, atol=1e-9)
    # a shop is no grid's; a home is its grid's (by row of plan.grids)
    kind = plan.homes.drop_duplicates("home_index").set_index("home_index")["households"]
    grid_of = plan.homes[plan.homes["households"] > 0].drop_duplicates("home_index") \
        .set_index("home_index")["grid_id"]
    ids = plan.grids["grid_id"].astype(str).to_numpy()
    for h, row in zip(b["home"], b["grid"]):
        assert (row == -1) == (h not in grid_of.index)
        if row >= 0 and plan.homes.loc[plan.homes["home_index"] == h, "part"].nunique() == 1:
            assert ids[row] == str(grid_of[h])
    assert g["buildings_zoom"] == G.BUILDINGS_ZOOM and kind.size == len(b["xy"])


def test_each_building_is_drawn_as_the_outer_ring_of_its_first_part(plan):
    b = G.ground_data(plan)["buildings"]
    homes = plan.homes.drop_duplicates("home_index")
    polygon = shapely.get_dimensions(homes.geometry.values.to_numpy()) == 2
    assert polygon.all()
    shapes = gpd.GeoSeries(shapely.simplify(homes.geometry.values.to_numpy(),
                                            G.GROUND_SIMPLIFY_M / 2, preserve_topology=True),
                           crs=homes.crs).to_crs(4326)
    assert b["xy"] == [np.round(shapely.get_coordinates(shapely.get_exterior_ring(
        shapely.get_parts(g)[0])), G.GROUND_PRECISION).ravel().tolist() for g in shapes]


def test_an_address_register_is_drawn_as_points_from_a_lower_zoom():
    xy = np.column_stack([np.arange(8) * 120.0, np.zeros(8)])
    p = gp.plan(small_city(xy, np.full(8, 100)))
    g = G.ground_data(p)
    assert all(len(v) == 2 for v in g["buildings"]["xy"])
    assert g["buildings_zoom"] == G.POINTS_ZOOM < G.BUILDINGS_ZOOM


def test_many_stations_hide_their_circles_behind_one_coverage_area(plan):
    n = len(plan.stations) + len(plan.proposed)
    shown = plan.map(lang="en", circles_max_stations=n)
    assert overlay(shown, "500 m circles of stations").show
    assert not overlay(shown, "Within 500 m of any station").show
    hidden = plan.map(lang="en", circles_max_stations=n - 1)
    assert not overlay(hidden, "500 m circles of stations").show
    area = overlay(hidden, "Within 500 m of any station")
    assert area.show and len(area.data["features"]) == 1
    assert f"{len(plan.stations)} stations" in hidden.get_root().render()   # the panel says so
    # the merged area is the union of the circles
    union = shapely.union_all(shapely.buffer(plan.stations.geometry.values, 500))
    assert G.coverage_area(plan).area.iloc[0] == pytest.approx(union.area, rel=0.01)
    assert L.CIRCLES_MAX_STATIONS < 10


def test_review_page_takes_the_maps_basemap_and_language(tmp_path):
    out = tmp_path / "r"
    city = tmp_path / "city.gpkg"
    gp.synth(households=6_000, seed=0).to_gpkg(city)
    r = run("plan", city, "--out", out, "--review", "--basemap", "amap", "--lang", "en")
    assert r.returncode == 0, r.stderr
    page = (out / "review.html").read_text(encoding="utf-8")
    blob = json.loads(page.split('id="gp-data">', 1)[1].split("</script>", 1)[0])
    bases = {b["key"]: b for b in blob["bases"]}
    assert bases["amap"]["show"] and bases["amap"]["gcj02"] and not bases["osm"]["show"]
    assert blob["map_words"]["streets"] == "Streets" and blob["ground"]["streets"]["xy"]
    assert "gridplan.followDatum" in page or "followDatum:" in page     # the map's own script


# --- the other outputs ----------------------------------------------------------------------

def test_plan_gpkg_columns_hold_text_numbers_and_json_only():
    from gridplan.io.write import plain_columns
    gdf = gpd.GeoDataFrame({
        "name": pd.Series(["东区", None, "b"], dtype="str"),
        "notes": pd.Series([["a", "b"], {"k": 1}, np.nan], dtype=object),
        "mixed": pd.Series([1, "x", None], dtype=object),
        "households": [1, 2, 3],
    }, geometry=[shapely.Point(i, 0) for i in range(3)], crs=32650)
    out = plain_columns(gdf)
    assert out["name"].dtype == gdf["name"].dtype
    assert out["name"].iloc[0] == "东区" and pd.isna(out["name"].iloc[1])
    assert out["notes"].tolist()[:2] == ['["a", "b"]', '{"k": 1}']
    assert out["mixed"].tolist()[:2] == ["1", "x"]
    assert out[["notes", "mixed"]].iloc[2].isna().all()
    assert out["households"].tolist() == [1, 2, 3] and gdf["notes"].iloc[0] == ["a", "b"]


def test_a_missing_name_in_a_nullable_text_column_is_written_as_null_not_as_na_text(tmp_path):
    # pandas' "string" dtype holds pd.NA for a missing value, and str(pd.NA) is "<NA>": a
    # name QGIS, the map and the CSVs would show as if it were the compound's
    import sqlite3
    city = gp.synth(households=3000, seed=1)
    names = pd.array([f"小区{i}" for i in range(len(city.homes))], dtype="string")
    names[1] = pd.NA
    city.homes["name"] = names
    p = gp.plan(city, add_stations=0)
    p.save(tmp_path / "plan")
    with sqlite3.connect(tmp_path / "plan" / "plan.gpkg") as db:
        got = dict(db.execute("select home_index, name from homes").fetchall())
    assert got[1] is None and got[0] == "小区0"
    for f in (tmp_path / "plan").iterdir():
        if f.is_file():
            assert "<NA>" not in f.read_bytes().decode("utf-8", "replace"), f.name


def test_plan_gpkg_opens_in_qgis(plan, tmp_path):
    write_plan(plan, tmp_path / "out")
    path = tmp_path / "out" / "plan.gpkg"
    names = [n for n, _ in pyogrio.list_layers(path)]
    assert {"homes", "grids", "communities", "stations", "proposed_stations",
            "uncovered_homes", "special_grids"} <= set(names)
    for name in names:
        info = pyogrio.read_info(path, layer=name)
        assert info["crs"], name
        gdf = gpd.read_file(path, layer=name, engine="pyogrio")
        assert shapely.is_valid(gdf.geometry.values).all(), name
        for col in gdf.columns.drop(gdf.geometry.name):
            kind = gdf[col].dtype.kind
            assert kind in "biufMO" or str(gdf[col].dtype).startswith(("str", "string")), \
                (name, col, gdf[col].dtype)
            if kind == "O":                    # text with nulls, never lists or dicts
                assert all(isinstance(v, str) or pd.isna(v) for v in gdf[col]), (name, col)


def test_geojson_layers_and_tables(plan, tmp_path):
    out = write_plan(plan, tmp_path / "out", tables=True, geojson=True)
    files = sorted(p.name for p in (out / "geojson").iterdir())
    assert files == sorted(f"{n}.geojson" for n in (
        "homes", "grids", "communities", "special_grids", "stations", "proposed_stations",
        "uncovered_homes", "unsnapped_homes"))
    grids = gpd.read_file(out / "geojson" / "grids.geojson")
    assert grids.crs.equals("EPSG:4326") and len(grids) == len(plan.grids)
    assert grids.geometry.total_bounds == pytest.approx(
        plan.grids.to_crs(4326).total_bounds, abs=1e-6)
    assert (out / "grids.csv").read_bytes()[:3] == b"\xef\xbb\xbf"    # BOM: Excel reads UTF-8
    table = pd.read_csv(out / "grids.csv", encoding="utf-8-sig")
    assert table["grid_id"].tolist() == plan.grids["grid_id"].tolist()
    assert table["households"].tolist() == plan.grids["households"].tolist()
    x0, y0, x1, y1 = grids.total_bounds
    assert table["lon"].between(x0, x1).all() and table["lat"].between(y0, y1).all()
    comm = pd.read_csv(out / "communities.csv", encoding="utf-8-sig")
    assert comm["households"].sum() == plan.grids["households"].sum()
    assert {"lon", "lat", "area_m2"} <= set(comm.columns)


def run(*args):
    return subprocess.run([sys.executable, "-m", "gridplan.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_demo_command_takes_the_map_options(tmp_path):
    out = tmp_path / "demo"
    r = run("demo", "--households", "6000", "--out", out, "--lang", "en", "--cdn",
            "--geojson", "--basemap", "amap")
    assert r.returncode == 0, r.stderr
    assert {"plan.gpkg", "summary.json", "map.html", "grids.csv", "communities.csv",
            "geojson", ".gridplan"} == {p.name for p in out.iterdir()}
    page = (out / "map.html").read_text(encoding="utf-8")
    assert f'<script src="{LEAFLET_CDN}">' in page and "Grids (households)" in page
    assert "grids.csv" in r.stdout


def test_tianditu_without_a_key_fails_before_planning(tmp_path):
    env_free = {k: v for k, v in os.environ.items() if k != "GRIDPLAN_TIANDITU_KEY"}
    out = tmp_path / "x"
    r = subprocess.run([sys.executable, "-m", "gridplan.cli", "demo", "--out", str(out),
                        "--basemap", "tianditu"], capture_output=True, text=True, env=env_free,
                       timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert r.stderr.startswith("gridplan: error:") and "GRIDPLAN_TIANDITU_KEY" in r.stderr
    assert not out.exists()


def test_vendored_assets_ship_with_their_licences():
    from importlib.resources import files
    static = files("gridplan") / "static"
    for path in ("leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/LICENSE",
                 "leaflet/images/layers.png", "leaflet.markercluster/leaflet.markercluster.js",
                 "leaflet.markercluster/MIT-LICENCE.txt", "gridplan/review_map.js"):
        assert static.joinpath(*path.split("/")).is_file(), path
    meta = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "static/**/*" in meta["tool"]["setuptools"]["package-data"]["gridplan"]


@pytest.mark.slow
def test_a_million_household_map_stays_under_15_mb(tmp_path):
    p = gp.plan(gp.synth(households=1_000_000, seed=0))
    path = tmp_path / "map.html"
    p.map().save(str(path))
    assert path.stat().st_size < 15e6
    page = path.read_text(encoding="utf-8")
    assert page.count('"grid_id"') >= len(p.grids)       # every grid is in it
