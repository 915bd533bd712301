"""A plan's results are types: summary.json is written from them and reads back into them."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gridplan as gp
from gridplan.partition.frames import cut_notes
from gridplan.summary import (CompoundCut, FailedRegion, ManifestEntry, Moved, Note,
                              RegionRecord, SiteSummary, SitingSummary, Summary, Unresolved,
                              from_json, to_json)


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


def test_the_partitions_notes_are_the_plans_and_the_summarys_own_types(small_plan):
    u = small_plan.partition.unresolved
    assert isinstance(u, Unresolved) and u is small_plan.unresolved
    assert u.grids and all(isinstance(n, Note) and isinstance(n.ids, tuple) for n in u.grids)
    assert small_plan.summary.grids.unresolved == u.grids
    back = Summary.from_json(json.loads(json.dumps(small_plan.summary.to_json())))
    assert back.grids.unresolved == u.grids and back.communities.unresolved == u.communities


def test_a_cut_compound_is_a_type_and_a_grid_note_and_reads_back_from_summary_json():
    cut = CompoundCut(compound="虎踞关", households=420, grids=("G01", "G02"), by="building")
    note, = cut_notes((cut,))
    assert note.ids == ("G01", "G02") and note.households == 420
    assert "compound 虎踞关 (420 households) cut by building between grids G01, G02" in note.reason
    assert to_json(cut) == {"compound": "虎踞关", "households": 420, "grids": ["G01", "G02"],
                            "by": "building"}
    assert from_json(CompoundCut, to_json(cut)) == cut


def test_an_annual_update_says_what_moved_as_a_type(small_plan):
    again = gp.plan(small_plan.city, max_households=400, keep=small_plan)
    assert again.moved == Moved(homes=0, households=0, grids_kept=len(small_plan.grids),
                                grids_new=0, grids_retired=0)
    assert again.summary.grids.moved == again.moved and again.partition.moved is again.moved
    assert again.summary.to_json()["grids"]["moved"]["grids_kept"] == len(small_plan.grids)
    assert small_plan.moved is None


# --- a batch's records ----------------------------------------------------------------------

IDENTITY = dict(name="north", input="/data/north.gpkg", key=None, input_hash="i" * 64,
                config_hash="c" * 64, gridplan="0.1.0")
FIGURES = dict(households_input=3000, households=3000, homes=114, grids=7,
               grids_within_bounds_share=1.0, grids_unresolved=1, communities=1,
               communities_within_bounds_share=1.0, straight_share=0.77, walk_share=None,
               walk_15min_share=None, uncovered_households=690, proposed_stations=1)


def test_a_complete_regions_marker_keeps_every_figure_in_order_even_an_unmeasured_walk():
    r = RegionRecord(**IDENTITY, worker_pid=15821, status="complete", error=None, **FIGURES,
                     seconds=1.395, finished="2026-11-29T17:56:35+0000", folder="regions/north")
    d = r.to_json()
    assert list(d) == [*IDENTITY, "worker_pid", "status", "error", *FIGURES, "seconds",
                       "finished", "folder"]           # no 'reused': the marker has none
    assert d["walk_share"] is None and d["error"] is None
    assert RegionRecord.from_json(json.loads(json.dumps(d))) == r
    reused = RegionRecord.from_json({**d, "reused": True})
    assert reused.reused and list(reused.to_json())[-1] == "reused"


def test_a_failed_regions_record_holds_its_error_and_no_figures():
    r = RegionRecord(**IDENTITY, worker_pid=7, status="failed", error="broken.gpkg: not a "
                     "readable geo file", seconds=0.002, reused=False)
    d = r.to_json()
    assert list(d) == [*IDENTITY, "worker_pid", "status", "error", "seconds", "reused"]
    assert RegionRecord.from_json(d) == r and not r.complete
    lost = RegionRecord(**IDENTITY, status="failed", error="the worker died")   # never returned
    assert "worker_pid" not in lost.to_json() and "seconds" not in lost.to_json()


@settings(max_examples=60, deadline=None)
@given(st.builds(RegionRecord, name=st.text(min_size=1), input=st.text(),
                 key=st.none() | st.text(), input_hash=st.text(), config_hash=st.text(),
                 gridplan=st.text(),
                 worker_pid=st.none() | st.integers(1, 2**22),
                 status=st.sampled_from(["complete", "failed"]), error=st.none() | st.text(),
                 households=st.integers(0, 10**7),
                 walk_share=st.none() | st.floats(0, 1), seconds=st.floats(0, 1e5),
                 reused=st.none() | st.booleans()))
def test_any_region_record_reads_back_from_its_json_as_written(r):
    d = json.loads(json.dumps(r.to_json()))
    back = RegionRecord.from_json(d)
    assert back.to_json() == d
    if r.complete:
        assert back == r          # a failed region's figures are not written, so not read


def test_a_region_record_ignores_a_key_it_does_not_know_like_every_summary_type():
    d = RegionRecord(**IDENTITY, status="failed", error="x").to_json()
    assert RegionRecord.from_json({**d, "written_by_a_newer_gridplan": 1}).to_json() == d
    d.pop("input_hash")
    with pytest.raises(gp.InputError, match="no 'input_hash' in RegionRecord"):
        RegionRecord.from_json(d)


def test_a_value_of_the_wrong_shape_is_refused_naming_its_keys_not_a_traceback():
    plan = gp.plan(gp.synth(households=3_000, seed=1))
    d = plan.summary.to_json()
    with pytest.raises(gp.InputError, match=r"Summary\.grids\.bounds: expected a list"):
        gp.Summary.from_json({**d, "grids": {**d["grids"], "bounds": 7}})
    with pytest.raises(gp.InputError, match=r"Summary\.grids: expected an object"):
        gp.Summary.from_json({**d, "grids": 5})
    with pytest.raises(gp.InputError, match="RegionRecord: expected an object"):
        RegionRecord.from_json([1, 2])


def test_a_manifest_entry_and_a_failed_region_read_back_as_written():
    e = ManifestEntry(input="/data/a.gpkg", key="a", input_hash="i", config_hash="c",
                      gridplan="0.1.0", status="pending", error=None, households=None,
                      seconds=None)
    assert list(to_json(e)) == ["input", "key", "input_hash", "config_hash", "gridplan",
                                "status", "error", "households", "seconds"]
    assert ManifestEntry.from_json(to_json(e)) == e
    f = FailedRegion(name="broken", input="/data/broken.gpkg", error="not a geo file")
    assert from_json(FailedRegion, to_json(f)) == f
