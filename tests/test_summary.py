"""A plan's results are types: summary.json is written from them and reads back into them."""

from __future__ import annotations

import json

import pytest

import gridplan as gp
from gridplan.summary import Moved, Note, SiteSummary, SitingSummary, Summary, Unresolved


@pytest.fixture(scope="module")
def small_plan():
    return gp.plan(gp.synth(households=6_000, seed=1), max_households=400)


def test_summary_json_reads_back_into_the_same_summary(small_plan, tmp_path):
    small_plan.save(tmp_path / "out")
    text = (tmp_path / "out" / "summary.json").read_text(encoding="utf-8")
    back = Summary.from_json(json.loads(text))
    s = small_plan.summary
    assert back.grids == s.grids and back.coverage == s.coverage and back.siting == s.siting
    assert back.to_json() == json.loads(text)
    assert isinstance(back.grids.bounds, tuple) and back.grids.bounds == (300, 400)


def test_summary_json_keeps_its_keys_in_the_order_planners_know(small_plan):
    d = small_plan.summary.to_json()
    assert list(d)[:6] == ["source", "crs", "output_crs", "households", "homes",
                           "homes_split_into_parts"]
    assert list(d["grids"])[-4:] == ["unresolved", "compounds_cut", "moved", "method"]
    assert "edits" not in d                     # only a plan with a review's edits has them
    assert d["grids"]["moved"] is None          # planned from scratch


def test_the_plans_siting_is_the_summarys_siting(small_plan):
    s = small_plan.siting
    assert isinstance(s, SitingSummary) and s == small_plan.summary.siting
    assert s.proposed == len(small_plan.proposed)
    assert s.covered_households <= s.coverable_households
    assert isinstance(s.status, str)            # a model ran, so its status is written
    assert {"unreachable_grids", "bound", "status"} <= set(small_plan.summary.to_json()["siting"])


def test_a_siting_without_candidate_sites_writes_no_solver_figures():
    city = gp.synth(households=3_000, seed=2)
    s = gp.site(city, candidates=city.stations.iloc[:0])
    assert s.summary.siting.method == "no candidate sites" and s.summary.siting.status is None
    d = s.summary.to_json()
    assert not {"unreachable_grids", "bound", "status", "cost"} & set(d["siting"])
    assert list(d["siting"])[-3:] == ["gap", "method", "seconds"]
    assert SiteSummary.from_json(d) == s.summary


def test_a_summary_missing_a_figure_is_refused_naming_it(small_plan):
    d = small_plan.summary.to_json()
    del d["coverage"]["walk_share"]
    with pytest.raises(gp.InputError, match="no 'walk_share' in CoverageFigures"):
        Summary.from_json(d)


def test_unresolved_notes_are_typed_with_their_reason_and_ids():
    u = Unresolved.from_notes({"grids": [{"reason": "spans a river", "ids": ["G1"],
                                          "households": 420}], "communities": []})
    assert u.grids == (Note(reason="spans a river", ids=("G1",), households=420),)
    assert u.communities == ()


def test_a_partition_note_with_a_key_the_summary_would_drop_is_an_error():
    with pytest.raises(ValueError, match="add the new key to summary.Note"):
        Unresolved.from_notes({"grids": [{"reason": "spans a river", "ids": ["G1"],
                                          "households": 420, "proven": True}]})


def test_an_annual_update_says_what_moved_as_a_type(small_plan):
    again = gp.plan(small_plan.city, max_households=400, keep=small_plan)
    assert again.moved == Moved(homes=0, households=0, grids_kept=len(small_plan.grids),
                                grids_new=0, grids_retired=0)
    assert again.summary.grids.moved == again.moved
    assert again.summary.to_json()["grids"]["moved"]["grids_kept"] == len(small_plan.grids)
    assert small_plan.moved is None
