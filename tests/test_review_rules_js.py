"""review.html's rules in JavaScript (static/review/rules.js, state.js, files.js) run in V8
without a browser, against gridplan.outputs.review.rules on the same moves of real review
graphs: applied or refused, for the same reason, with the same household counts after each
move, and the same grids left outside the range."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridplan as gp
from gridplan.outputs.map.assets import static_text
from gridplan.outputs.review import Move, review_graph
from gridplan.outputs.review.page import OWN_JS, review_data
from gridplan.outputs.review.rules import check_moves
from gridplan.outputs.words import WORDS
from gridplan.summary import AppliedMove, RefusedEdit

mini_racer = pytest.importorskip("py_mini_racer",
                                 reason="mini-racer is not installed: pip install -e '.[test]'")

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
#: The page's scripts that need no browser, in the page's order.
NO_DOM = [p for p in OWN_JS if p.rsplit("/", 1)[-1] in ("rules.js", "state.js", "files.js")]
#: A range no count leaves: the rules move by move, the end-of-session range check aside.
NO_RANGE = (0, 10**9)
#: gridplan's reason for a refused move, by the page's name for the rule.
PY_RULES = [
    ("unknown_home", r"^no home \d+( part \d+)? with households in this plan$"),
    ("unknown_grid", r"^no grid .+ in this plan$"),
    ("same_grid", r" would move from grid .+ to itself$"),
    ("from_mismatch", r" is in grid .+, not .+ \((moved with its compound by edit \d+|edits "
                      r"made on another plan\?)\)$"),
    ("not_touch", r" does not touch grid .+: a home moves only to a grid next to it$"),
    ("empties", r"would leave grid .+ with no homes$"),
    ("splits", r"would split grid .+ into \d+ pieces$"),
    ("splits_more", r"would cut grid .+ into \d+ pieces, not \d+$"),
]

#: How far the page's compactness may lie from gridplan's. The page takes a grid's perimeter
#: from its cells' perimeters less the edges they share in the review graph, which counts
#: no edge under partition.cells.MIN_SHARED_M (0.5 m: a corner); a compound register cut into
#: parts at one point has many such edges (the 60 Jinan compounds: up to 0.0036).
PP_TOLERANCE = {"synth": 1.5e-3, "jinan": 5e-3}

# Replay edits as the page's import does, then redo the moves it kept one by one for the
# counts after each; `steer` is a second session the cases are drawn against.
DRIVER = r"""
var R = gridplanReviewPage.rules(D), s = gridplanReviewPage.session(R);
var steer = gridplanReviewPage.session(R);
function replay(fc) {
  var out = gridplanReviewPage.files.replay(R, s, fc);
  var again = gridplanReviewPage.session(R), counts = [];
  s.moves.forEach(function (m) {
    again.move(m.unit, m.to, {});
    counts.push(again.S.map(function (x) { return x.households; }));
  });
  return {refused: out.refused, moves: out.moves, counts: counts, stats: s.S,
          worse: s.worse().map(function (g) { return R.grids.id[g]; }),
          collection: gridplanReviewPage.files.collection(R, s, '')};
}
function singles(list) {
  return list.map(function (p) {
    var out = gridplanReviewPage.files.replay(R, s, {type: 'FeatureCollection', features: [
      {type: 'Feature', geometry: null, properties: p}]});
    return {refused: out.refused, counts: s.S.map(function (x) { return x.households; })};
  });
}
function steerReset() { steer.reset(); return true; }
function steerState(i) {
  return {grid: steer.rowGrid[i], targets: R.targets(steer.rowGrid, i)};
}
function steerMove(i, dst) { return steer.move(i, dst, {}).ok; }
"""


def page_rules(plan, lang: str = "en"):
    """V8 holding the page's rules, session and edits code over the page's data of ``plan``."""
    js = mini_racer.MiniRacer()
    for path in NO_DOM:
        js.eval(static_text(path))
    data = review_data(plan, lang=lang, ground=False)
    js.eval("var D = " + json.dumps(data, ensure_ascii=False) + ";")
    js.eval(DRIVER)
    return js


def rule_of(reason: str) -> str:
    """The page's name for the rule behind one of gridplan's refusals."""
    hits = [name for name, pattern in PY_RULES if re.search(pattern, reason)]
    assert len(hits) == 1, reason
    return hits[0]


def collection(moves: list[Move]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None,
         "properties": {"type": "move", "home_index": m.home_index, "part": m.part,
                        "from_grid": m.from_grid, "to_grid": m.to_grid}} for m in moves]}


def start_counts(graph) -> np.ndarray:
    return np.bincount(graph.rows["grid"], weights=graph.rows["households"],
                       minlength=len(graph.grid_ids)).astype(int)


def counts_after_each(graph, applied: list[AppliedMove]) -> list[list[int]]:
    """The households of every grid after each move gridplan applied."""
    pos = {g: k for k, g in enumerate(graph.grid_ids)}
    count, out = start_counts(graph), []
    for a in applied:
        count[pos[a.from_grid]] -= a.households
        count[pos[a.to_grid]] += a.households
        out.append(count.tolist())
    return out


def assert_same_refusal(page: dict, py: RefusedEdit) -> None:
    assert page["edit"] == py.edit
    assert page["rule"] == rule_of(py.reason), (page, py)
    # word for word: the page and gridplan take the reason from one table (outputs.words)
    assert page["reason"] == py.reason


def assert_page_agrees(js, graph, moves: list[Move], lo: int, hi: int) -> dict:
    """The page and gridplan replay ``moves`` alike; the page's replay."""
    page = js.call("replay", collection(moves))
    py = check_moves(graph, moves, *NO_RANGE)
    assert [r["edit"] for r in page["refused"]] == [r.edit for r in py.refused]
    for a, b in zip(page["refused"], py.refused):
        assert_same_refusal(a, b)
    assert page["moves"] == len(py.applied)
    assert page["counts"] == counts_after_each(graph, py.applied)
    kept = [f["properties"] for f in page["collection"]["features"]]
    assert [(k["home_index"], k["part"], k["to_grid"], k["households"]) for k in kept] == \
        [(a.home_index, a.part, a.to_grid, a.households) for a in py.applied]
    # the range at the end of the session: the page lists the grids gridplan will refuse a
    # move for (the last move that took one there)
    ranged = check_moves(graph, moves, lo, hi)
    out = [re.match(r"grid (\S+) would end with \d+ households", r.reason)
           for r in ranged.refused]
    named = {m.group(1) for m in out if m}
    assert bool(page["worse"]) == bool(named)
    assert not named or named & set(page["worse"])
    return page


# --- the plans ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synth_plan():
    return gp.plan(gp.synth(households=6_000, seed=3))


@pytest.fixture(scope="module")
def jinan_plan(tmp_path_factory):
    """The 60 compounds of 历下's register nearest its middle: compounds cut into parts."""
    path = REALDATA / "jinan_lixia_compounds_bd09.csv"
    if not path.is_file():
        pytest.skip("real data not available")
    df = pd.read_csv(path)
    mid = df[["lon", "lat"]].median()
    far = np.hypot((df["lon"] - mid["lon"]) * np.cos(np.radians(mid["lat"])),
                   df["lat"] - mid["lat"])
    sub = tmp_path_factory.mktemp("jinan") / "lixia_middle.csv"
    df.iloc[np.argsort(far.to_numpy(), kind="stable")[:60]].to_csv(sub, index=False)
    return gp.plan(gp.load(sub, coords="bd09"))


class Reviewed(tuple):
    """A plan, its review graph and the page's rules over it (short in hypothesis' reports)."""

    def __repr__(self):
        return f"<review of {len(self[0].grids)} grids>"


@pytest.fixture(scope="module", params=["synth", "jinan"])
def reviewed(request):
    plan = request.getfixturevalue(f"{request.param}_plan")
    out = Reviewed((plan, review_graph(plan), page_rules(plan)))
    out.name = request.param
    return out


# --- the tests ----------------------------------------------------------------------------

def test_every_single_move_is_refused_or_applied_as_gridplan_does(reviewed):
    plan, graph, js = reviewed
    rows, nbrs, ids = graph.rows, graph.neighbours(), graph.grid_ids
    grid = rows["grid"].to_numpy()
    moves = []
    for i in range(len(rows)):
        touching = sorted(set(grid[nbrs[i]]) - {grid[i]})
        away = [g for g in range(len(ids)) if g != grid[i] and g not in touching][:1]
        for dst in touching + away + [grid[i]]:
            moves.append(Move(1, int(rows["home_index"].iat[i]), int(rows["part"].iat[i]),
                              ids[grid[i]], ids[dst]))
    page = js.call("singles", [collection([m])["features"][0]["properties"] for m in moves])
    rules = set()
    start = start_counts(graph).tolist()
    for m, got in zip(moves, page):
        py = check_moves(graph, [m], *NO_RANGE)
        assert len(got["refused"]) == len(py.refused), m
        if py.refused:
            assert_same_refusal(got["refused"][0], py.refused[0])
            rules.add(got["refused"][0]["rule"])
            assert got["counts"] == start
        else:
            assert [got["counts"]] == counts_after_each(graph, py.applied)
    # the cases reach the rules that matter: a refusal for not touching, for the own grid,
    # and for splitting or emptying a grid
    assert {"not_touch", "same_grid"} <= rules and rules & {"splits", "splits_more", "empties"}


def test_a_move_the_plan_does_not_know_is_refused_in_the_same_words_on_the_page(reviewed):
    """The refusals checked before the rules (an unknown home or grid, the own grid, a home
    no longer in the grid an edit says) read the same on the page as in gridplan, in English
    and, on a Chinese page, in the Chinese of the same table."""
    plan, graph, js = reviewed
    rows, ids = graph.rows, graph.grid_ids
    grid, nbrs = rows["grid"].to_numpy(), graph.neighbours()
    ok = next(Move(6, int(rows["home_index"].iat[i]), int(rows["part"].iat[i]), ids[grid[i]],
                   ids[g])
              for i in range(len(rows)) for g in sorted(set(grid[nbrs[i]]) - {grid[i]})
              if check_moves(graph, [Move(6, int(rows["home_index"].iat[i]),
                                          int(rows["part"].iat[i]), ids[grid[i]], ids[g])],
                             *NO_RANGE).applied)
    h, p, src, dst = ok.home_index, ok.part, ok.from_grid, ok.to_grid
    other = next(g for g in ids if g not in (src, dst))
    moves = [Move(1, 10**7, 0, src, dst), Move(2, h, p, src, "no-such-grid"),
             Move(3, h, p, "no-such-grid", dst), Move(4, h, p, src, src),
             Move(5, h, p, other, dst), ok, Move(7, h, p, src, dst)]
    page = js.call("replay", collection(moves))
    py = check_moves(graph, moves, *NO_RANGE)
    assert [r["rule"] for r in page["refused"]] == ["unknown_home", "unknown_grid",
                                                    "unknown_grid", "same_grid",
                                                    "from_mismatch", "from_mismatch"]
    assert [r["reason"] for r in page["refused"]] == [r.reason for r in py.refused]
    assert py.refused[4].reason.endswith("(edits made on another plan?)")
    assert py.refused[5].reason.endswith("(moved with its compound by edit 6)")
    zh = page_rules(plan, lang="zh").call("replay", collection(moves))["refused"]
    assert zh[0]["reason"] == WORDS["unknown_home"][0].format(what=f"楼栋 {10**7}")
    assert zh[1]["reason"] == WORDS["unknown_grid"][0].format(grid="no-such-grid")
    assert zh[4]["reason"].endswith("（" + WORDS["other_plan"][0] + "）")
    assert zh[5]["reason"].endswith("（" + WORDS["moved_by_edit"][0].format(edit=6) + "）")
    assert not any("{" in r["reason"] for r in zh + page["refused"])


@st.composite
def _steps(draw, n_units: int):
    kinds = st.sampled_from(["touching", "touching", "touching", "any", "own", "stale",
                             "unknown"])
    return [(draw(st.integers(0, n_units - 1)), draw(kinds), draw(st.integers(0, 10**6)))
            for _ in range(draw(st.integers(1, 14)))]


def draw_session(js, graph, steps) -> list[Move]:
    """Moves from hypothesis' steps, mostly to a grid the home touches at that point of the
    session (found with the page's own session), some of them wrong on purpose."""
    rows, ids = graph.rows, graph.grid_ids
    js.call("steerReset")
    moves = []
    for edit, (i, kind, pick) in enumerate(steps, start=1):
        now = js.call("steerState", i)
        src, near = now["grid"], now["targets"]
        home, part = int(rows["home_index"].iat[i]), int(rows["part"].iat[i])
        dst = {"touching": near[pick % len(near)] if near else src,
               "any": pick % len(ids), "own": src,
               "stale": near[pick % len(near)] if near else pick % len(ids)}.get(kind, src)
        frm = (pick // 7) % len(ids) if kind == "stale" else src
        move = Move(edit, home, part, ids[frm], ids[dst])
        if kind == "unknown":
            move = [Move(edit, 10**7, 0, ids[src], ids[dst]),
                    Move(edit, home, part, ids[src], "no-such-grid"),
                    Move(edit, home, part, "no-such-grid", ids[dst])][pick % 3]
        elif frm == src:
            js.call("steerMove", i, int(dst))
        moves.append(move)
    return moves


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_session_of_moves_replays_on_the_page_as_gridplan_applies_it(reviewed, data):
    plan, graph, js = reviewed
    steps = data.draw(_steps(len(graph.rows)))
    moves = draw_session(js, graph, steps)
    assert_page_agrees(js, graph, moves, plan.config.min_households,
                       plan.config.max_households)


def test_a_long_session_that_splits_and_empties_grids_agrees_move_for_move(reviewed):
    """Every unit in turn to the first grid it touches then, three rounds: many moves kept,
    many refused for splitting a grid, and counts far out of the range."""
    plan, graph, js = reviewed
    rng = np.random.default_rng(5)
    steps = [(int(i), "touching", int(rng.integers(0, 10**6)))
             for _ in range(3) for i in rng.permutation(len(graph.rows))]
    moves = draw_session(js, graph, steps)
    page = assert_page_agrees(js, graph, moves, plan.config.min_households,
                              plan.config.max_households)
    rules = {r["rule"] for r in page["refused"]}
    assert page["moves"] > len(graph.rows) // 4 and rules & {"splits", "splits_more"}
    assert page["worse"]


def test_the_pages_grid_figures_are_gridplans_before_and_after_a_session(reviewed):
    plan, graph, js = reviewed
    # moves kept one by one while no grid ends outside the range, so gridplan applies them all
    steps, page = [], None
    for i in range(0, len(graph.rows), 3):
        trial = js.call("replay", collection(draw_session(js, graph, steps + [(i, "touching", 0)])))
        if not trial["refused"] and not trial["worse"]:
            steps, page = steps + [(i, "touching", 0)], trial
    assert page is not None
    before = js.call("replay", collection([]))
    edited = plan.apply_edits(page["collection"])
    assert edited.summary.edits.applied == page["moves"] > 0
    for stats, grids in ((before["stats"], plan.grids), (page["stats"], edited.grids)):
        assert [s["households"] for s in stats] == grids["households"].tolist()
        assert [s["homes"] for s in stats] == grids["homes"].tolist()
        assert [s["polsby_popper"] for s in stats] == pytest.approx(
            grids["polsby_popper"].tolist(), abs=PP_TOLERANCE[reviewed.name])
        # the grids table keeps shares to 4 decimals
        assert [s["share_radius"] for s in stats] == pytest.approx(
            grids["share_radius"].tolist(), abs=5.1e-5)
        assert [s["share_walk"] for s in stats] == pytest.approx(
            grids["share_15min"].tolist(), abs=5.1e-5)
