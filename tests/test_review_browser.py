"""review.html in a real browser (Debian's headless Chromium, driven by Playwright, every
request but file: refused): select a grid, move homes with the mouse, watch both counts, see
refusals, export the session, apply it with the command, and import it again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pytest
import shapely

import gridplan as gp
from gridplan.io.datum import wgs84_to_gcj02
from gridplan.outputs.review import review_graph, write_review

from .browser import TILE_HOSTS, browser, real_errors, require_chromium  # noqa: F401
from .conftest import small_city
from .test_review_edit import candidate_moves, first

require_chromium()


def run(*args):
    return subprocess.run([sys.executable, "-m", "gridplan.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The district as a GeoPackage (the command plans it again), and the review page of
    its plan in ``out/review.html``."""
    root = tmp_path_factory.mktemp("review")
    gp.synth(households=6_000, seed=3).to_gpkg(root / "city.gpkg")
    (root / "out").mkdir()
    return root


@pytest.fixture(scope="module")
def plan(files):
    p = gp.plan(gp.load(files / "city.gpkg"))
    write_review(p, files / "out" / "review.html", lang="en")
    return p


@pytest.fixture(scope="module")
def graph(plan):
    return review_graph(plan)


@pytest.fixture(scope="module")
def moves(graph):
    """Each single move of a home to a grid it touches, with gridplan's verdict (None: kept)."""
    return candidate_moves(graph, 300, 500)


pick = first


class Visit:
    """review.html opened with every request that is not a file refused."""

    def __init__(self, browser, path: Path, context=None):
        self.own = context is None
        self.context = context or browser.new_context(viewport={"width": 1280, "height": 860},
                                                      accept_downloads=True)
        self.refused, self.console, self.errors = [], [], []
        if self.own:
            self.context.route(lambda url: not url.startswith(("file:", "data:", "blob:")),
                               lambda route: (self.refused.append(route.request.url),
                                              route.abort()))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append(m))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_function("window.gridplanEdit !== undefined", timeout=30_000)

    def real_errors(self) -> list[str]:
        """Console errors other than basemap tiles that could not load."""
        return real_errors(self.console, self.errors)

    def click_grid(self, grid_id: str):
        """Click the grid's polygon on the map where nothing lies above it."""
        spot = self.page.evaluate("""(id) => {
            const path = document.querySelector(`path.gp-edit-grid[data-grid="${id}"]`);
            const box = path.getBoundingClientRect();
            for (let k = 1; k < 24; k++) for (let j = 1; j < 24; j++) {
                const x = box.left + box.width * j / 24, y = box.top + box.height * k / 24;
                if (document.elementFromPoint(x, y) === path) return {x, y};
            }
            return null;
        }""", grid_id)
        assert spot is not None, f"grid {grid_id} cannot be clicked"
        self.page.mouse.click(spot["x"], spot["y"])

    def click_home(self, unit: int):
        spot = self.page.evaluate("""(i) => {
            const path = document.querySelector(`path.gp-edit-home[data-unit="${i}"]`);
            const b = path.getBoundingClientRect();
            const x = b.left + b.width / 2, y = b.top + b.height / 2;
            return document.elementFromPoint(x, y) === path ? {x, y} : null;
        }""", unit)
        assert spot is not None, f"home {unit} cannot be clicked"
        self.page.mouse.click(spot["x"], spot["y"])

    def count(self, grid_id: str) -> tuple[int, bool]:
        """The household count on the map's label of a grid (shown or, where it would
        overlap another, hidden), and whether it is red."""
        label = self.page.locator(f'.gp-count[data-grid="{grid_id}"]')
        return int(label.text_content().split("·")[1]), "gp-out" in label.get_attribute("class")

    def panel(self, field: str) -> str:
        return self.page.inner_text(f"#gp-{field}")

    def close(self):
        (self.context.close if self.own else self.page.close)()


@pytest.fixture
def visit(browser, files, plan):
    v = Visit(browser, files / "out" / "review.html")
    yield v
    v.close()


def test_page_opens_offline_with_every_grid_and_home(visit, plan, graph):
    page = visit.page
    assert page.locator("path.gp-edit-grid").count() == len(plan.grids)
    assert page.locator("path.gp-edit-home").count() == len(graph.rows)
    for g, n in zip(plan.grids["grid_id"], plan.grids["households"]):
        assert visit.count(g) == (n, False)
    assert page.evaluate("gridplanEdit.data.meta.key") == graph.key
    assert visit.real_errors() == []
    hosts = {urlsplit(u).hostname for u in visit.refused}
    assert all(h.endswith(TILE_HOSTS) for h in hosts), hosts


def test_selecting_a_grid_shows_its_figures_and_its_neighbours(visit, plan):
    grids = plan.grids.set_index("grid_id")
    geoms = grids.geometry
    # neighbours from the grids' own polygons: a shared boundary, not a corner
    near = {g: {o for o in grids.index if o != g and shapely.length(shapely.intersection(
        geoms[g].boundary, geoms[o].boundary)) > 0.5} for g in grids.index}
    gid = max(near, key=lambda g: len(near[g]))
    visit.click_grid(gid)
    row = grids.loc[gid]
    assert visit.panel("selected-title") == f"Grid {gid}"
    assert int(visit.panel("grid-households")) == row["households"]
    assert int(visit.panel("grid-homes")) == row["homes"]
    assert float(visit.panel("grid-pp")) == pytest.approx(row["polsby_popper"], abs=1.5e-3)
    assert visit.panel("grid-radius") == f"{100 * row['share_radius']:.1f}%"
    chips = visit.page.eval_on_selector_all("#gp-neighbours .gp-grid-chip",
                                            "els => els.map(e => e.dataset.grid)")
    assert set(chips) == near[gid]
    lit = visit.page.eval_on_selector_all(
        "path.gp-edit-grid", "els => els.filter(e => e.getAttribute('stroke-dasharray'))"
                             ".map(e => e.dataset.grid)")
    assert set(lit) == near[gid]


def test_moving_a_home_updates_both_counts_as_gridplan_computes_them(visit, plan, moves):
    i, m, _ = pick(moves, lambda why: why is None)
    grids = plan.grids.set_index("grid_id")
    visit.click_home(i)
    assert visit.page.locator(f'#gp-targets [data-grid="{m.to_grid}"]').count() == 1
    visit.click_grid(m.to_grid)
    assert visit.panel("message").startswith("Moved ")
    page = {g: visit.count(g)[0] for g in grids.index}
    hh = int(plan.homes.set_index(["home_index", "part"]).loc[(m.home_index, m.part),
                                                              "households"])
    assert page[m.from_grid] == grids.loc[m.from_grid, "households"] - hh
    assert page[m.to_grid] == grids.loc[m.to_grid, "households"] + hh
    assert visit.page.locator("path.gp-moved-cell").count() == 1
    # gridplan, given the page's session, gets the same grids
    edited = plan.apply_edits(visit.page.evaluate("gridplanEdit.collection()"))
    assert edited.summary.edits.applied == 1
    after = edited.grids.set_index("grid_id")
    assert page == after["households"].to_dict()
    for g in (m.from_grid, m.to_grid):
        visit.page.evaluate(f"gridplanEdit.selectGrid('{g}')")
        assert int(visit.panel("grid-households")) == after.loc[g, "households"]
        assert int(visit.panel("grid-homes")) == after.loc[g, "homes"]
        assert float(visit.panel("grid-pp")) == pytest.approx(after.loc[g, "polsby_popper"],
                                                              abs=1.5e-3)
        assert visit.panel("grid-radius") == f"{100 * after.loc[g, 'share_radius']:.1f}%"
    assert visit.real_errors() == []


def test_a_move_that_would_split_a_grid_is_refused_on_the_page(visit, plan, moves):
    i, m, why = pick(moves, lambda why: why and "split" in why)
    visit.click_home(i)
    visit.click_grid(m.to_grid)
    assert visit.panel("message") == f"Refused: {why}."       # gridplan's own words
    for g, n in zip(plan.grids["grid_id"], plan.grids["households"]):
        assert visit.count(g)[0] == n
    assert visit.page.evaluate("gridplanEdit.session().moves") == 0
    assert visit.page.locator("path.gp-moved-cell").count() == 0


def test_a_move_to_a_grid_the_home_does_not_touch_is_refused(visit, plan, graph):
    rows, nbrs = graph.rows, graph.neighbours()
    i = int(np.argmax(rows["households"].to_numpy() < 100))
    touching = {graph.grid_ids[g] for g in rows["grid"].to_numpy()[nbrs[i]]}
    far = next(g for g in plan.grids["grid_id"]
               if g not in touching and g != graph.grid_ids[rows["grid"].iat[i]])
    visit.click_home(i)
    visit.click_grid(far)
    assert visit.panel("message").startswith("Refused: ")
    assert f"does not touch grid {far}" in visit.panel("message")
    assert visit.page.evaluate("gridplanEdit.session().moves") == 0


def test_counts_turn_red_outside_the_range_and_back_on_undo(visit, plan, moves):
    i, m, why = pick(moves, lambda why: why and "above the most" in why)
    visit.click_home(i)
    assert "gp-out" in visit.page.locator(
        f'#gp-targets [data-grid="{m.to_grid}"]').get_attribute("class")   # said beforehand
    visit.click_grid(m.to_grid)
    n, red = visit.count(m.to_grid)
    assert red and n > 500
    assert why == f"grid {m.to_grid} would end with {n} households, above the most a grid " \
                  f"may hold (500)"
    assert m.to_grid in visit.panel("out-of-range")
    visit.page.click("#gp-undo")
    assert visit.count(m.to_grid) == (plan.grids.set_index("grid_id").loc[m.to_grid,
                                                                         "households"], False)
    assert visit.page.locator("#gp-out-of-range").count() == 0


@pytest.fixture(scope="module")
def session(browser, files, plan, moves):
    """A session done with the mouse and keyboard, exported through the download link."""
    i, m, _ = pick(moves, lambda why: why is None)
    v = Visit(browser, files / "out" / "review.html")
    page = v.page
    page.fill("#gp-author", "Wang Fang")
    v.click_home(i)
    page.fill("#gp-comment-text", "residents use the gate on the east side")
    page.click("#gp-comment-add")
    v.click_grid(m.to_grid)
    assert page.evaluate("gridplanEdit.session().moves") == 1
    page.evaluate(f"gridplanEdit.selectGrid('{m.to_grid}')")
    page.fill("#gp-comment-text", "shares a gate with building 12")
    page.click("#gp-comment-add")
    counts = {g["grid_id"]: g["households"] for g in page.evaluate("gridplanEdit.stats()")}
    with page.expect_download() as dl:
        page.click("#gp-export")
    path = files / "edits.geojson"
    dl.value.save_as(path)
    assert dl.value.suggested_filename == "edits.geojson"
    assert v.real_errors() == []
    yield {"move": m, "counts": counts, "path": path, "visit": v}
    v.close()


def test_exported_edits_applied_by_the_command_give_the_page_counts(session, files, graph):
    m = session["move"]
    data = json.loads(session["path"].read_text(encoding="utf-8"))
    kinds = [f["properties"]["type"] for f in data["features"]]
    assert sorted(kinds) == ["comment", "comment", "move"]
    (mv,) = [f for f in data["features"] if f["properties"]["type"] == "move"]
    assert {k: mv["properties"][k] for k in ("home_index", "part", "from_grid", "to_grid")} \
        == {"home_index": m.home_index, "part": m.part, "from_grid": m.from_grid,
            "to_grid": m.to_grid}
    assert mv["properties"]["author"] == "Wang Fang" and mv["properties"]["time"]
    assert mv["geometry"]["type"] == "Point"
    assert data["gridplan"]["plan"] == graph.key

    out = files / "edited"
    r = run("plan", files / "city.gpkg", "--edits", session["path"], "--review", "--lang", "en",
            "--out", out)
    assert r.returncode == 0, r.stderr
    assert "edits: 1 moves applied" in r.stdout and "0 refused, 2 comments" in r.stdout
    assert "review.html" in r.stdout and (out / "review.html").is_file()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["edits"]["applied"] == 1 and summary["edits"]["refused"] == []
    assert "note" not in summary["edits"]                      # the same plan as the page's
    grids = gpd.read_file(out / "plan.gpkg", layer="grids").set_index("grid_id")
    assert grids["households"].to_dict() == session["counts"]
    assert grids.loc[m.to_grid, "comments"].startswith("shares a gate with building 12 "
                                                       "(Wang Fang, ")
    homes = gpd.read_file(out / "plan.gpkg", layer="homes")
    noted = homes[homes["comments"].notna()]
    assert list(noted["home_index"]) == [m.home_index]
    assert noted["comments"].iat[0].startswith("residents use the gate on the east side")


def test_importing_the_edits_continues_the_session(session, browser, files):
    # a new page in the same browser profile: the author's name is remembered
    v = Visit(browser, files / "out" / "review.html", context=session["visit"].context)
    try:
        page = v.page
        assert page.input_value("#gp-author") == "Wang Fang"
        assert page.evaluate("gridplanEdit.session()") == {"moves": 0, "comments": 0}
        page.set_input_files("#gp-import", str(session["path"]))
        page.wait_for_function("gridplanEdit.session().moves === 1")
        assert page.evaluate("gridplanEdit.session()") == {"moves": 1, "comments": 2}
        assert v.panel("session-counts") == "1 moves, 2 comments"
        counts = {g["grid_id"]: g["households"] for g in page.evaluate("gridplanEdit.stats()")}
        assert counts == session["counts"]
        assert page.locator("path.gp-moved-cell").count() == 1
        assert v.real_errors() == []
    finally:
        v.close()


def test_a_compound_moves_whole_on_the_page(browser, tmp_path):
    gx, gy = np.meshgrid(np.arange(12) * 50.0, np.arange(12) * 50.0)
    hh = np.full(144, 30)
    comp = np.array([None] * 144, dtype=object)
    comp[[5, 6, 17, 18]] = "K1"
    hh[[5, 6, 17, 18]] = 10
    p = gp.plan(small_city(np.column_stack([gx.ravel(), gy.ravel()]), hh, compound=comp,
                           stations=[(300, 300)]))
    g = review_graph(p)
    k1 = np.flatnonzero(g.rows["compound"].to_numpy() == "K1")
    path = write_review(p, tmp_path / "review.html", lang="en")
    v = Visit(browser, path)
    try:
        v.click_home(int(k1[0]))
        assert "moves as one" in v.page.inner_text("#gp-selection")
        target = v.page.eval_on_selector_all("#gp-targets .gp-move-to:not(.gp-out)",
                                             "els => els.map(e => e.dataset.grid)")[0]
        src = g.grid_ids[g.rows["grid"].iat[k1[0]]]
        before = {x: v.count(x)[0] for x in (src, target)}
        v.click_grid(target)
        assert "and its compound K1 (4 homes)" in v.panel("message")
        assert v.count(src)[0] == before[src] - 40 and v.count(target)[0] == before[target] + 40
        moved = [v.page.evaluate(f"gridplanEdit.gridOf({h}, 0)")
                 for h in g.rows["home_index"].to_numpy()[k1]]
        assert moved == [target] * 4
        assert v.page.locator("path.gp-moved-cell").count() == 4
        e = p.apply_edits(v.page.evaluate("gridplanEdit.collection()"))
        assert e.summary.edits.homes_moved == 4
        assert e.grids.set_index("grid_id")["households"].to_dict() == {
            x["grid_id"]: x["households"] for x in v.page.evaluate("gridplanEdit.stats()")}
        assert v.real_errors() == []
    finally:
        v.close()


def _labels(page) -> list[dict]:
    """The grid labels the page shows, with their boxes on screen."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.gp-count'))
        .filter(e => getComputedStyle(e).visibility !== 'hidden')
        .map(e => { const r = e.getBoundingClientRect();
                    return {grid: e.dataset.grid, l: r.left, r: r.right,
                            t: r.top, b: r.bottom}; })""")


def _overlapping(boxes) -> list:
    return [(a["grid"], b["grid"]) for k, a in enumerate(boxes) for b in boxes[k + 1:]
            if a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]]


def test_grid_labels_never_overlap_and_the_selected_one_always_shows(visit, plan):
    page = visit.page
    for zoom_out in (0, 1.5, 3):
        page.evaluate(f"""() => {{ const m = gridplanEdit.map;
            m.setZoom(m.getBoundsZoom(gridplanEdit.layers.grids.getBounds()) - {zoom_out},
                      {{animate: false}}); }}""")
        shown = _labels(page)
        assert shown and _overlapping(shown) == [], zoom_out
    # zoomed out this far, 16 labels cannot all fit: some wait for room
    assert len(shown) < len(plan.grids)
    last = sorted(plan.grids["grid_id"])[-1]
    page.evaluate(f"gridplanEdit.selectGrid('{last}')")
    shown = _labels(page)
    assert last in {b["grid"] for b in shown} and _overlapping(shown) == []
    assert visit.real_errors() == []


def _metres(a, b):
    lat = np.radians((a[1] + b[1]) / 2)
    return float(np.hypot((a[0] - b[0]) * 111_320 * np.cos(lat), (a[1] - b[1]) * 110_574))


def test_review_page_on_amap_shifts_every_layer_as_the_map_does(browser, plan, files, graph,
                                                                moves):
    """review.html --basemap amap: grids, homes, labels, streets and buildings drawn in
    GCJ-02 (as gridplan.io.datum computes it), the data and the exported edits in WGS84."""
    path = write_review(plan, files / "out" / "review_amap.html", lang="en", basemap="amap")
    v = Visit(browser, path)
    try:
        page = v.page
        assert page.evaluate("gridplanEdit.datum.datum") == "gcj02"
        assert page.get_by_label("AMap (Gaode, GCJ-02)").is_checked()
        for name in ("Streets", "Water and rail", "Buildings (colour of their grid)"):
            assert page.get_by_label(name).is_checked()
        page.evaluate("gridplanEdit.layers.buildings.gpBuild()")    # first drawn on AMap
        probe = """() => Object.fromEntries(Object.entries(gridplanEdit.layers).map(([k, g]) => {
            const l = g.getLayers()[0];
            if (!l) return [k, null];
            const now = l.getLatLngs ? l.getLatLngs().flat(3)[0] : l.getLatLng();
            const w = l._gpWgs84 && (l.getLatLngs ? l._gpWgs84.flat(3)[0] : l._gpWgs84);
            return [k, {now: [now.lng, now.lat], wgs: w ? [w.lng, w.lat] : null}]; }))"""
        got = page.evaluate(probe)
        assert {"grids", "homes", "labels", "streets", "water", "buildings"} <= set(got)
        for name, v_ in got.items():
            if v_ is None:
                continue
            lon, lat = wgs84_to_gcj02(*v_["wgs"])
            assert _metres(v_["now"], (float(lon), float(lat))) < 0.01, name
            assert 100 < _metres(v_["now"], v_["wgs"]) < 1_000, name
        hosts = {urlsplit(u).hostname for u in v.refused}
        assert hosts and all(h.endswith("is.autonavi.com") for h in hosts), hosts
        # a move made on AMap is exported at the home's WGS84 point, as gridplan reads it
        i, m, _ = pick(moves, lambda why: why is None)
        assert page.evaluate(f"gridplanEdit.move({m.home_index}, {m.part}, '{m.to_grid}')")["ok"]
        feature = page.evaluate("gridplanEdit.collection()")["features"][0]
        xy = gpd.GeoSeries(shapely.points(graph.rows[["x", "y"]].to_numpy()[i]),
                           crs=plan.homes.crs).to_crs(4326).iloc[0]
        assert _metres(feature["geometry"]["coordinates"], (xy.x, xy.y)) < 0.2
        page.get_by_label("OpenStreetMap").check()
        page.wait_for_function("gridplanEdit.datum.datum === 'wgs84'")
        back = page.evaluate(probe)
        for name, v_ in back.items():
            if v_ is not None:
                assert v_["now"] == pytest.approx(v_["wgs"], abs=1e-12), name
        assert v.real_errors() == []
    finally:
        v.close()


def test_review_page_draws_the_maps_streets_and_buildings(visit, plan, moves, graph):
    page = visit.page
    page.evaluate("gridplanEdit.map.setZoom(17, {animate: false})")
    assert page.locator("path.gp-street").count() > 0
    assert page.locator("path.gp-water").count() >= len(plan.city.barriers)
    assert page.locator("path.gp-building").count() == plan.homes["home_index"].nunique()
    # a building takes the colour of its grid on the page, and follows it when it moves
    fills = page.evaluate("""() => {
        const b = gridplanEdit.layers.buildings.getLayers();
        return b.map(l => l._path.getAttribute('fill')); }""")
    colour = dict(zip(page.evaluate("gridplanEdit.data.grids.id"),
                      page.evaluate("gridplanEdit.data.grids.colour")))
    res = plan.homes[plan.homes["households"] > 0]
    main = (res.sort_values("households", ascending=False, kind="stable")
            .drop_duplicates("home_index").set_index("home_index")["grid_id"].astype(str))
    homes = page.evaluate("gridplanEdit.data.ground.buildings.home")
    assert fills == [colour[main[h]] if h in main.index else "#9e9e9e" for h in homes]
    assert "#9e9e9e" in fills and len(set(fills)) > 2      # shops grey, homes in grid colours
    # a home of one part, moved: its building takes the colour of the grid it went to
    parts = graph.rows.groupby("home_index").size()
    together = np.bincount(graph.group)
    _, m, _ = next(c for c in moves if c[2] is None and parts[c[1].home_index] == 1
                   and together[graph.group[c[0]]] == 1)
    assert page.evaluate(f"gridplanEdit.move({m.home_index}, 0, '{m.to_grid}')")["ok"]
    k = homes.index(m.home_index)
    after = page.evaluate(f"gridplanEdit.layers.buildings.getLayers()[{k}]._path"
                          ".getAttribute('fill')")
    assert fills[k] == colour[m.from_grid] and after == colour[m.to_grid]
