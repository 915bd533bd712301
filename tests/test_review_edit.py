"""Edits from the review page back in gridplan: reading edits.geojson, the hard rules each move
must keep, the grids rebuilt around the moves, comments in the layers, and the command."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import gridplan as gp
from gridplan import InputError
from gridplan.partition.quality import polsby_popper
from gridplan.outputs.review import read_edits, review_graph, review_page
from gridplan.outputs.review.edits import Move
from gridplan.outputs.review.rules import check_moves
from gridplan.summary import RefusedEdit

from .conftest import small_city


@pytest.fixture(scope="module")
def plan():
    return gp.plan(gp.synth(households=6_000, seed=3))


@pytest.fixture(scope="module")
def graph(plan):
    return review_graph(plan)


@pytest.fixture(scope="module")
def compound_plan():
    """A 12 × 12 lattice of 30-household homes with two small compounds (K1: four homes of
    10, K2: two of 30) that the partition keeps whole."""
    gx, gy = np.meshgrid(np.arange(12) * 50.0, np.arange(12) * 50.0)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    hh = np.full(144, 30)
    comp = np.array([None] * 144, dtype=object)
    comp[[5, 6, 17, 18]] = "K1"
    hh[[5, 6, 17, 18]] = 10
    comp[[66, 67]] = "K2"
    return gp.plan(small_city(xy, hh, compound=comp, stations=[(300, 300)]))


def fc(*props):
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": None, "properties": p} for p in props]}


def move(m: Move) -> dict:
    return {"type": "move", "home_index": m.home_index, "part": m.part,
            "from_grid": m.from_grid, "to_grid": m.to_grid, "author": "Li", "time": "t"}


def candidate_moves(graph, lo=300, hi=500):
    """Every single move of a unit to a grid it touches, with what gridplan says of it."""
    rows, nbrs = graph.rows, graph.neighbours()
    out = []
    for i in range(len(rows)):
        src = rows["grid"].iat[i]
        for dst in sorted(set(rows["grid"].to_numpy()[nbrs[i]]) - {src}):
            m = Move(1, int(rows["home_index"].iat[i]), int(rows["part"].iat[i]),
                     graph.grid_ids[src], graph.grid_ids[dst])
            r = check_moves(graph, [m], lo, hi)
            out.append((i, m, r.refused[0].reason if r.refused else None))
    return out


def first(cands, test):
    hit = [c for c in cands if test(c[2])]
    assert hit, "the fixture plan offers no such move"
    return hit[0]


def test_no_moves_leave_the_plan_as_it_was(plan):
    e = plan.apply_edits(fc())
    assert (e.grids["households"].to_numpy() == plan.grids["households"].to_numpy()).all()
    assert (e.grids["homes"].to_numpy() == plan.grids["homes"].to_numpy()).all()
    assert e.grids.geometry.geom_equals(plan.grids.geometry).all()
    assert (e.homes["grid_id"].to_numpy() == plan.homes["grid_id"].to_numpy()).all()
    assert e.summary.edits.applied == 0 and e.summary.edits.refused == ()
    # the page computes compactness from cells; it agrees with the dissolved grids
    rows, pairs = review_graph(plan).rows, review_graph(plan).pairs
    g = rows["grid"].to_numpy()
    area = np.bincount(g, weights=rows["area_m2"])
    same = g[pairs["a"]] == g[pairs["b"]]
    perim = np.bincount(g, weights=rows["perimeter_m"]) - 2 * np.bincount(
        g[pairs["a"]][same], weights=pairs["shared_m"][same], minlength=len(area))
    assert 4 * np.pi * area / perim**2 == pytest.approx(plan.grids["polsby_popper"], abs=1e-3)


def test_a_session_without_moves_gives_back_the_partitions_own_tables(plan):
    # the review makes its grids with the partition's table maker on the partition's cell
    # graph, so with nothing moved every column and the notes are the partition's, exactly
    e = plan.apply_edits(fc())
    assert review_graph(plan).cells is plan.partition.cell_graph
    cols = [c for c in plan.grids.columns if c != "comments"]
    assert list(e.grids.columns) == list(plan.grids.columns) + ["comments"]
    pd.testing.assert_frame_equal(pd.DataFrame(e.grids[cols]), pd.DataFrame(plan.grids[cols]),
                                  check_exact=True)
    # a community's union may start its ring elsewhere (its grids come in id order), so
    # its compactness may differ in the last bits
    pd.testing.assert_frame_equal(pd.DataFrame(e.communities.drop(columns="geometry")),
                                  pd.DataFrame(plan.communities.drop(columns="geometry")),
                                  check_exact=False, rtol=1e-12)
    assert e.communities.geometry.geom_equals(plan.communities.geometry).all()
    assert e.partition.unresolved == plan.partition.unresolved


def test_a_move_shifts_the_homes_households_and_cell_between_the_two_grids(plan, graph):
    i, m, _ = first(candidate_moves(graph), lambda why: why is None)
    hh = int(graph.rows["households"].iat[i])
    e = plan.apply_edits(fc(move(m)))
    before = plan.grids.set_index("grid_id")
    after = e.grids.set_index("grid_id")
    assert after.loc[m.from_grid, "households"] == before.loc[m.from_grid, "households"] - hh
    assert after.loc[m.to_grid, "households"] == before.loc[m.to_grid, "households"] + hh
    assert after["households"].sum() == before["households"].sum() == 6_000
    others = [g for g in before.index if g not in (m.from_grid, m.to_grid)]
    assert (after.loc[others, "households"] == before.loc[others, "households"]).all()
    def in_grid(homes, grid):          # the home's households in a grid (a part may move)
        h = homes[(homes["home_index"] == m.home_index) & (homes["grid_id"] == grid)]
        return int(h["households"].sum())
    assert in_grid(e.homes, m.to_grid) == in_grid(plan.homes, m.to_grid) + hh
    assert in_grid(e.homes, m.from_grid) == in_grid(plan.homes, m.from_grid) - hh
    # the new shapes: the home's point lies in its new grid, the grids still tile the area
    x, y = graph.rows["x"].iat[i], graph.rows["y"].iat[i]
    assert after.loc[m.to_grid, "geometry"].contains(shapely.Point(x, y))
    assert not after.loc[m.from_grid, "geometry"].contains(shapely.Point(x, y))
    assert e.grids.area.sum() == pytest.approx(plan.grids.area.sum(), rel=1e-9)
    assert shapely.union_all(e.grids.geometry.values).area == pytest.approx(
        e.grids.area.sum(), rel=1e-9)
    assert e.grids["polsby_popper"].to_numpy() == pytest.approx(
        polsby_popper(e.grids.geometry.values))
    comm = e.grids.groupby("community_id")["households"].sum()
    assert (e.communities.set_index("community_id")["households"] == comm).all()
    s = e.summary.edits
    assert s.applied == 1 and s.households_moved == hh and s.refused == ()
    assert s.moves[0].to_grid == m.to_grid
    assert plan.grids.set_index("grid_id").loc[m.from_grid, "households"] == \
        before.loc[m.from_grid, "households"]                  # the old plan is unchanged


def test_a_move_that_would_split_its_grid_is_refused_with_the_reason(plan, graph):
    _, m, why = first(candidate_moves(graph), lambda why: why and "split" in why)
    e = plan.apply_edits(fc(move(m)))
    refused = e.summary.edits.refused
    assert refused == (RefusedEdit(edit=1, type="move", home_index=m.home_index, part=m.part,
                                   from_grid=m.from_grid, to_grid=m.to_grid, reason=why),)
    assert e.summary.to_json()["edits"]["refused"] == [
        {"edit": 1, "type": "move", "home_index": m.home_index, "part": m.part,
         "from_grid": m.from_grid, "to_grid": m.to_grid, "reason": why}]
    assert f"would split grid {m.from_grid} into 2 pieces" in why
    assert (e.grids["households"].to_numpy() == plan.grids["households"].to_numpy()).all()
    # it really would: the grid's other homes fall apart without it (and without the other
    # homes of its compound, which move with it)
    rows = graph.rows
    i = np.flatnonzero(((rows["home_index"] == m.home_index) & (rows["part"] == m.part))
                       .to_numpy())[0]
    keep = np.flatnonzero((rows["grid"].to_numpy() == list(graph.grid_ids).index(m.from_grid))
                          & (graph.group != graph.group[i]))
    cells = plan.partition.cells
    mine = np.isin(graph.cell_row, keep)
    union = shapely.union_all(cells.geometry.values[mine])
    assert shapely.get_num_geometries(union) == 2


def test_a_move_to_a_grid_the_home_does_not_touch_is_refused(plan, graph):
    rows, nbrs = graph.rows, graph.neighbours()
    i = int(np.argmax(rows["households"].to_numpy() < 100))
    touching = set(rows["grid"].to_numpy()[nbrs[i]]) | {rows["grid"].iat[i]}
    far = next(g for g in range(len(graph.grid_ids)) if g not in touching)
    m = Move(1, int(rows["home_index"].iat[i]), int(rows["part"].iat[i]),
             graph.grid_ids[rows["grid"].iat[i]], graph.grid_ids[far])
    e = plan.apply_edits(fc(move(m)))
    (r,) = e.summary.edits.refused
    assert f"does not touch grid {graph.grid_ids[far]}" in r.reason
    assert e.summary.edits.applied == 0


def test_the_range_is_checked_at_the_end_of_the_session(plan, graph):
    _, m, why = first(candidate_moves(graph), lambda why: why and "above the most" in why)
    alone = plan.apply_edits(fc(move(m))).summary.edits
    assert alone.applied == 0 and alone.refused[0].reason == why
    assert why.startswith(f"grid {m.to_grid} would end with ")
    # there and back again: out of range for a while, in range at the end
    back = Move(2, m.home_index, m.part, m.to_grid, m.from_grid)
    both = plan.apply_edits(fc(move(m), move(back)))
    assert both.summary.edits.applied == 2 and both.summary.edits.refused == ()
    assert (both.grids["households"].to_numpy() == plan.grids["households"].to_numpy()).all()


def test_a_swap_whose_first_move_overfills_a_grid_is_kept(compound_plan):
    g = review_graph(compound_plan)
    rows, nbrs = g.rows, g.neighbours()
    k2 = np.flatnonzero(rows["compound"].to_numpy() == "K2")
    src = rows["grid"].iat[k2[0]]
    first_move = None
    for dst in sorted({rows["grid"].iat[j] for i in k2 for j in nbrs[i]} - {src}):
        m = Move(1, int(rows["home_index"].iat[k2[0]]), 0, g.grid_ids[src], g.grid_ids[dst])
        r = check_moves(g, [m], 300, 500)
        if r.refused and "above the most" in r.refused[0].reason:
            first_move = m
            break
    assert first_move is not None
    # then two homes of 30 go back from the overfull grid to the one K2 left
    state = check_moves(g, [first_move], 0, 10**9).row_grid
    dst, src_name = g.grid_ids.tolist().index(first_move.to_grid), first_move.from_grid
    back = []
    for i in np.flatnonzero(state == dst):
        if i in k2 or len(back) == 2:
            continue
        m = Move(2 + len(back), int(rows["home_index"].iat[i]), 0, first_move.to_grid,
                 src_name)
        if check_moves(g, [first_move, *back, m], 0, 10**9).refused == []:
            back.append(m)
    assert len(back) == 2
    e = compound_plan.apply_edits(fc(*map(move, [first_move, *back])))
    assert e.summary.edits.applied == 3, e.summary.edits.refused
    after = e.grids.set_index("grid_id")["households"]
    before = compound_plan.grids.set_index("grid_id")["households"]
    assert after[first_move.to_grid] == before[first_move.to_grid]      # +60 -30 -30
    assert after[src_name] == before[src_name]
    assert e.grids["in_range"].all()


def test_a_home_of_a_compound_takes_the_whole_compound_along(compound_plan):
    g = review_graph(compound_plan)
    rows = g.rows
    k1 = rows[rows["compound"] == "K1"]
    assert len(k1) == 4 and len(set(g.group[k1.index])) == 1
    src = g.grid_ids[k1["grid"].iat[0]]
    cands = [c for c in candidate_moves(g) if c[0] == k1.index[0]]
    _, m, why = first(cands, lambda why: why is None)
    e = compound_plan.apply_edits(fc(move(m)))
    s = e.summary.edits
    assert s.applied == 1 and s.moves[0].compound == "K1"
    assert s.homes_moved == 4 and s.households_moved == 40
    homes = e.homes[e.homes["compound"] == "K1"]
    assert set(homes["grid_id"]) == {m.to_grid}
    after = e.grids.set_index("grid_id")["households"]
    before = compound_plan.grids.set_index("grid_id")["households"]
    assert after[src] == before[src] - 40 and after[m.to_grid] == before[m.to_grid] + 40
    # a second edit for another building of the same compound finds it moved already
    other = Move(2, int(k1["home_index"].iat[1]), 0, src, m.to_grid)
    e2 = compound_plan.apply_edits(fc(move(m), move(other)))
    (r,) = e2.summary.edits.refused
    assert r.edit == 2 and "moved with its compound by edit 1" in r.reason


def test_unknown_homes_and_grids_and_stale_edits_are_refused(plan, graph):
    rows = graph.rows
    h, p, g = int(rows["home_index"].iat[0]), int(rows["part"].iat[0]), \
        graph.grid_ids[rows["grid"].iat[0]]
    other = next(x for x in graph.grid_ids if x != g)
    e = plan.apply_edits(fc(
        {"type": "move", "home_index": 99_999, "part": 0, "from_grid": g, "to_grid": other},
        {"type": "move", "home_index": h, "part": p, "from_grid": g, "to_grid": "Z99-01"},
        {"type": "move", "home_index": h, "part": p, "from_grid": other, "to_grid": g},
        {"type": "comment", "target": "grid", "grid_id": "Z99-01", "text": "?"},
        {"type": "comment", "target": "home", "home_index": 99_999, "part": 0, "text": "?"}))
    reasons = [r.reason for r in e.summary.edits.refused]
    assert [r.edit for r in e.summary.edits.refused] == [1, 2, 3, 4, 5]
    assert reasons[0] == "no home 99999 with households in this plan"
    assert reasons[1] == "no grid Z99-01 in this plan"
    assert reasons[2].startswith(f"home {h}") and f"is in grid {g}, not {other}" in reasons[2]
    assert reasons[3] == "no grid Z99-01 in this plan"
    assert reasons[4] == "no home 99999 in this plan"
    assert e.summary.edits.comments == 0


def test_comments_travel_into_the_grids_and_homes_layers(plan, graph, tmp_path):
    i, m, _ = first(candidate_moves(graph), lambda why: why is None)
    e = plan.apply_edits(fc(
        move(m),
        {"type": "comment", "target": "grid", "grid_id": m.to_grid,
         "text": "shares a gate with building 12", "author": "Wang", "time": "2025-05-01"},
        {"type": "comment", "target": "grid", "grid_id": m.to_grid, "text": "second note"},
        {"type": "comment", "target": "home", "home_index": m.home_index, "part": m.part,
         "text": "residents shop across the road", "author": "Wang"}))
    assert e.summary.edits.comments == 3
    grid = e.grids.set_index("grid_id").loc[m.to_grid, "comments"]
    assert grid == "shares a gate with building 12 (Wang, 2025-05-01)\nsecond note"
    assert e.grids["comments"].notna().sum() == 1
    home = e.homes[e.homes["comments"].notna()]
    assert list(home["home_index"]) == [m.home_index]
    assert home["comments"].iat[0] == "residents shop across the road (Wang)"
    assert home["grid_id"].iat[0] == m.to_grid
    e.save(tmp_path / "out")
    layer = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="grids")
    assert layer.set_index("grid_id").loc[m.to_grid, "comments"] == grid
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["edits"]["applied"] == 1 and summary["edits"]["comments"] == 3


def test_edits_made_on_another_plan_are_noted(plan, graph):
    e = plan.apply_edits({**fc(), "gridplan": {"plan": "0123456789ab"}})
    assert "another plan" in e.summary.edits.note
    assert plan.apply_edits({**fc(), "gridplan": {"plan": graph.key}}).summary.edits.note is None


def test_a_second_session_builds_on_the_first(plan, graph):
    # a part that joins another part of its building would come back as the whole building
    rows = graph.rows
    others = {(h, graph.grid_ids[g]) for h, g in zip(rows["home_index"], rows["grid"])}
    _, m, _ = first([c for c in candidate_moves(graph)
                     if (c[1].home_index, c[1].to_grid) not in others], lambda why: why is None)
    once = plan.apply_edits(fc(move(m)))
    # the second session refers to the first one's homes (a part may be numbered anew)
    h = once.homes
    part = int(h.loc[(h["home_index"] == m.home_index) & (h["grid_id"] == m.to_grid),
                     "part"].iat[0])
    back = Move(1, m.home_index, part, m.to_grid, m.from_grid)
    again = once.apply_edits(fc(move(back)))
    assert again.summary.edits.applied == 1
    assert again.summary.edits.previous.moves[0].to_grid == m.to_grid
    assert (again.grids["households"].to_numpy() == plan.grids["households"].to_numpy()).all()


@pytest.mark.parametrize("content, column, row, what", [
    ("not json {", None, None, "not JSON"),
    ('{"type": "Feature", "properties": {}}', "type", None, "FeatureCollection"),
    ('{"type": "FeatureCollection"}', "features", None, "list of features"),
    (json.dumps(fc({"type": "move", "home_index": 1, "part": 0, "from_grid": "A",
                    "to_grid": "B"}, {"type": "move", "home_index": 1, "part": 0,
                                      "from_grid": "A"})), "to_grid", 2, "missing"),
    (json.dumps(fc({"type": "paint"})), "type", 1, "'paint'"),
    (json.dumps(fc({"type": "move", "home_index": 1, "part": -1, "from_grid": "A",
                    "to_grid": "B"})), "part", 1, "whole number >= 0, got -1"),
    (json.dumps(fc({"type": "move", "home_index": "7", "part": 0, "from_grid": "A",
                    "to_grid": "B"})), "home_index", 1, 'got "7"'),
    (json.dumps(fc({"type": "comment", "target": "grid", "grid_id": "A"})), "text", 1,
     "missing"),
    (json.dumps(fc({"type": "comment", "target": "street", "text": "x"})), "target", 1,
     "'street'"),
    (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature"}]}),
     "properties", 1, "properties"),
])
def test_a_bad_edits_file_names_the_feature_and_the_field(tmp_path, content, column, row, what):
    path = tmp_path / "edits.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_edits(path)
    e = err.value
    assert e.file == str(path) and e.column == column and e.row == row
    assert what in e.what


def test_read_edits_keeps_order_author_and_time(tmp_path):
    path = tmp_path / "edits.geojson"
    path.write_text(json.dumps({**fc(
        {"type": "comment", "target": "home", "home_index": 3, "part": 2, "text": " gate ",
         "author": "Li", "time": "2025-05-01T08:00:00Z"},
        {"type": "move", "home_index": 3, "part": 2, "from_grid": "A", "to_grid": "B"},
        {"type": "move", "home_index": 4, "part": 0.0, "from_grid": "B", "to_grid": "A"}),
        "gridplan": {"plan": "abc"}}), encoding="utf-8")
    e = read_edits(path)
    assert [m.edit for m in e.moves] == [2, 3] and e.moves[1].part == 0
    (c,) = e.comments
    assert (c.edit, c.home_index, c.part, c.text, c.author) == (1, 3, 2, "gate", "Li")
    assert e.plan_key == "abc" and e.source == str(path)


def test_review_page_is_one_self_contained_file(plan, graph):
    html = review_page(plan, lang="en")
    assert "<script src" not in html and "<link" not in html
    assert "https://unpkg" not in html and "cdn.jsdelivr" not in html
    blob = html.split('<script type="application/json" id="gp-data">', 1)[1] \
        .split("</script>", 1)[0]
    data = json.loads(blob)
    assert len(data["units"]["households"]) == int((plan.homes["households"] > 0).sum())
    assert sum(data["units"]["households"]) == 6_000
    assert data["grids"]["id"] == plan.grids["grid_id"].tolist()
    assert len(data["cells"]) == len(data["units"]["home_index"])
    assert data["meta"]["key"] == graph.key and data["meta"]["lo"] == 300
    # neighbouring grids get different fills
    g = np.asarray(data["units"]["grid"])
    a, b = g[data["pairs"]["a"]], g[data["pairs"]["b"]]
    colour = np.asarray(data["grids"]["colour"])
    assert (colour[a[a != b]] != colour[b[a != b]]).all()


def run(*args):
    return subprocess.run([sys.executable, "-m", "gridplan.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def test_command_with_a_bad_edits_file_says_where_and_writes_nothing(tmp_path):
    bad = tmp_path / "edits.geojson"
    bad.write_text(json.dumps(fc({"type": "move", "home_index": 1, "part": 0,
                                  "from_grid": "A"})), encoding="utf-8")
    out = tmp_path / "out"
    r = run("plan", tmp_path / "city.gpkg", "--edits", bad, "--out", out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == (f"gridplan: error: {bad}, column 'to_grid', row 1: missing: "
                                f"expected text")
    assert not out.exists()


def test_names_from_the_input_cannot_break_the_page(plan):
    import dataclasses
    odd = "</script><!-- <b>x</b>"
    p = dataclasses.replace(plan, partition=dataclasses.replace(
        plan.partition, homes=plan.homes.assign(name=odd)))
    html = review_page(p, lang="en")
    # Leaflet, the data, the review map's script and the page's own: no fifth from a name
    assert html.count("</script>") == 4 and odd not in html
    blob = html.split('id="gp-data">', 1)[1].split("</script>", 1)[0]
    assert set(json.loads(blob)["units"]["name"]) == {odd}


def test_communities_keep_their_shops_ground_after_a_review(plan, graph):
    # communities tile the district with their grids and the ground of their shops and
    # offices; a review that moves a home must not shrink them to their grids
    assert len(plan.special_grids), "the fixture needs shops' ground"
    i, m, _ = first(candidate_moves(graph), lambda why: why is None)
    for e in (plan.apply_edits(fc()), plan.apply_edits(fc(move(m)))):
        before = plan.communities.set_index("community_id").geometry
        after = e.communities.set_index("community_id").geometry
        assert after.area.sum() == pytest.approx(before.area.sum(), rel=1e-9)
        assert shapely.union_all(after.values).area == pytest.approx(after.area.sum(), rel=1e-9)
        for g in plan.special_grids.geometry.values:      # shops' ground lies in a community
            assert after.intersection(g).area.sum() == pytest.approx(g.area, rel=1e-6)
    # with no moves the communities are what the partition made
    same = plan.apply_edits(fc()).communities
    assert same.geometry.geom_equals(plan.communities.geometry).all()


def test_a_compound_cut_stays_listed_after_a_review():
    from .test_real_registers import CFG, walled_in
    cfg = CFG.replace(allow_compound_split=True)
    p = gp.plan(walled_in(cfg), cfg)
    assert p.partition.compound_cuts, "the fixture needs a compound cut"
    e = p.apply_edits(fc())
    assert e.partition.compound_cuts == p.partition.compound_cuts
    cut = [u for u in e.summary.grids.unresolved if "cut by building" in u.reason]
    assert len(cut) == len(p.partition.compound_cuts)
    assert (e.grids["compound_cuts"].to_numpy() == p.grids["compound_cuts"].to_numpy()).all()
    assert (e.homes["compound_cut"].to_numpy() == p.homes["compound_cut"].to_numpy()).all()
