"""`gridplan batch`: regions found and split without losing a home, each region's folder
published whole, re-runs that redo only what changed, and failures that stay local."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import gridplan as gp
from gridplan import InputError
from gridplan.batch import Region, discover_regions, load_region, run_batch
from gridplan.batch.manifest import (MARKER, Manifest, clean_regions_folder, is_current,
                                     publish_folder, read_marker, settings_hash)
from gridplan.batch.regions import assign_to_boundaries
from gridplan.batch.task import plan_region
from gridplan.city import City
from gridplan.summary import BatchSummary, HouseholdsCheck, ManifestEntry, RegionRecord

SIZES = {"north": (3000, 11), "south": (3600, 12)}


def synth_file(path: Path, households: int, seed: int) -> Path:
    gp.synth(households=households, seed=seed).to_gpkg(path)
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Two district files and one that is not a GeoPackage at all."""
    d = tmp_path_factory.mktemp("inputs")
    files = {name: synth_file(d / f"{name}.gpkg", hh, seed) for name, (hh, seed) in SIZES.items()}
    files["broken"] = d / "broken.gpkg"
    files["broken"].write_bytes(b"GPKG? no: these bytes are not a database\n" * 50)
    return files


@pytest.fixture(scope="module")
def split_city():
    """A district whose homes are cut in two by a vertical line at the median x."""
    city = gp.synth(households=6000, seed=5)
    x = city.homes.geometry.centroid.x.to_numpy()
    return city, float(np.median(x))


@pytest.fixture(scope="module")
def dask_scheduler():
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=50) as cluster:
        yield cluster.scheduler_address


# --- finding regions -----------------------------------------------------------------------

def test_each_file_is_a_region_named_after_it(inputs):
    regions = discover_regions([inputs["north"], inputs["south"]])
    assert [r.name for r in regions] == ["north", "south"]
    assert all(r.split is None for r in regions)


def _two_regions(tmp_path, split_city):
    """The split city in one GeoPackage whose homes have a ``region`` column (west, east):
    its path, and those homes."""
    city, mid = split_city
    homes = city.homes.copy()
    homes["region"] = np.where(homes.geometry.centroid.x < mid, "west", "east")
    path = tmp_path / "two.gpkg"
    City(homes=homes, streets=city.streets, barriers=city.barriers, stations=city.stations,
         boundary=city.boundary).to_gpkg(path)
    return path, homes


def test_region_column_splits_a_file_and_every_household_lands_in_one_region(tmp_path,
                                                                             split_city):
    city = split_city[0]
    path, homes = _two_regions(tmp_path, split_city)
    regions = discover_regions([path])
    assert [(r.name, r.split) for r in regions] == [("east", "column"), ("west", "column")]
    loaded = {r.name: load_region(r) for r in regions}
    assert sum(c.households for c in loaded.values()) == city.households
    for name, c in loaded.items():
        assert set(c.homes["region"]) == {name}
        assert len(c.streets) > 0       # the streets around the region come along


def test_boundary_polygons_split_a_file_and_a_home_on_the_shared_edge_counts_once(tmp_path,
                                                                                   split_city):
    city, mid = split_city
    x0, y0, x1, y1 = city.boundary.bounds
    path = tmp_path / "two.gpkg"
    city.to_gpkg(path)
    gpd.GeoDataFrame({"name": ["west", "east"]},
                     geometry=[shapely.box(x0, y0, mid, y1), shapely.box(mid, y0, x1, y1)],
                     crs=city.crs).to_file(path, layer="boundary", driver="GPKG", mode="w")
    regions = discover_regions([path])
    assert [(r.name, r.split) for r in regions] == [("west", "boundary"), ("east", "boundary")]
    west, east = (load_region(r) for r in regions)
    assert west.households + east.households == city.households
    assert west.households > 0 and east.households > 0
    edge = shapely.points([[mid, (y0 + y1) / 2]])
    polys = np.array([shapely.box(x0, y0, mid, y1), shapely.box(mid, y0, x1, y1)])
    assert assign_to_boundaries(edge, polys).tolist() == [0]


def test_a_home_outside_every_boundary_is_an_input_error(tmp_path, split_city):
    city, mid = split_city
    x0, y0, x1, y1 = city.boundary.bounds
    path = tmp_path / "gap.gpkg"
    city.to_gpkg(path)
    gpd.GeoDataFrame({"name": ["west", "east"]},
                     geometry=[shapely.box(x0, y0, mid - 300, y1), shapely.box(mid, y0, x1, y1)],
                     crs=city.crs).to_file(path, layer="boundary", driver="GPKG", mode="w")
    with pytest.raises(InputError, match="outside every boundary polygon"):
        discover_regions([path])


def test_bad_households_in_a_split_region_names_the_row_of_the_whole_file(tmp_path, split_city):
    city, mid = split_city
    homes = city.homes.copy()
    homes["region"] = np.where(homes.geometry.centroid.x < mid, "west", "east")
    row = int(np.flatnonzero(homes["region"].to_numpy() == "east")[3])
    homes["households"] = homes["households"].astype(object)
    homes.loc[row, "households"] = "many"
    path = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame(homes, crs=city.crs).to_file(path, layer="homes", driver="GPKG")
    east = next(r for r in discover_regions([path]) if r.name == "east")
    with pytest.raises(InputError) as e:
        load_region(east)
    assert (e.value.column, e.value.row) == ("households", row + 1)


@pytest.mark.parametrize("names, message", [
    (["ok", "../escape"], "region name '../escape'"),
    (["a", "A"], "two regions named 'a' and 'A'"),
    (["", "b"], "no region"),
])
def test_region_names_must_be_safe_unique_folder_names(tmp_path, names, message):
    pts = shapely.points([[116.40 + 0.001 * i, 39.90] for i in range(len(names))])
    path = tmp_path / "homes.gpkg"
    gpd.GeoDataFrame({"households": [100] * len(names), "region": names}, geometry=pts,
                     crs=4326).to_file(path, layer="homes", driver="GPKG")
    with pytest.raises(InputError, match=message.replace(".", r"\.")):
        discover_regions([path])


# --- one region on a worker, without Dask --------------------------------------------------

def test_a_region_is_published_whole_with_its_marker_written_last(tmp_path, inputs):
    region = Region("north", inputs["north"])
    res = plan_region(region, str(tmp_path), gp.PlanConfig(), "wgs84", "in", "cfg", "v")
    folder = tmp_path / "regions" / "north"
    assert res.complete and res.households == SIZES["north"][0]
    assert sorted(p.name for p in folder.iterdir()) == [".gridplan", MARKER, "map.html",
                                                        "plan.gpkg", "summary.json"]
    marker = read_marker(folder)
    assert is_current(marker, "in", "cfg", "v") and not is_current(marker, "in2", "cfg", "v")
    assert os.stat(folder / MARKER).st_mtime_ns >= os.stat(folder / "plan.gpkg").st_mtime_ns
    assert [p.name for p in (tmp_path / "regions").iterdir()] == ["north"]   # no temp left
    assert len(json.dumps(res.to_json())) < 2000        # a few figures travel back, not the plan


def test_bad_input_comes_back_as_a_failure_line_and_writes_nothing(tmp_path, inputs):
    res = plan_region(Region("broken", inputs["broken"]), str(tmp_path), gp.PlanConfig(),
                      "wgs84", "in", "cfg", "v")
    assert res.status == "failed" and "broken.gpkg" in res.error
    assert list(tmp_path.rglob("*")) == []


def test_a_marker_of_another_version_is_kept_but_never_reused(tmp_path):
    marker = RegionRecord(name="a", input="a.gpkg", key=None, input_hash="in", config_hash="cfg",
                          gridplan="v0", status="complete", error=None).to_json()
    for name, data in (("newer", {**marker, "a_newer_figure": 1}),
                       ("older", {k: v for k, v in marker.items() if k != "input_hash"})):
        (tmp_path / name).mkdir()
        (tmp_path / name / ".gridplan").write_text('{"files": ["complete.json"]}')
        (tmp_path / name / MARKER).write_text(json.dumps(data))
    assert read_marker(tmp_path / "newer").gridplan == "v0"    # a key it does not know: ignored
    assert not is_current(read_marker(tmp_path / "newer"), "in", "cfg", "v1")
    assert read_marker(tmp_path / "older") is None             # planned again, but
    clean_regions_folder(tmp_path, ["newer", "older"])         # whole, so never removed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["newer", "older"]


def test_the_manifest_keeps_earlier_regions_and_updates_a_region_in_place(tmp_path):
    entry = dict(input="a.gpkg", key=None, input_hash="i", config_hash="c", gridplan="v",
                 status="pending", error=None, households=None, seconds=None)
    m = Manifest(tmp_path, "c", "v")
    m.set("a", **entry)
    m.set("b", **{**entry, "input": "b.gpkg"})
    m.save()
    again = Manifest(tmp_path, "c", "v")
    assert again.regions == m.regions and isinstance(again.regions["a"], ManifestEntry)
    again.set("a", status="complete", households=3000, seconds=1.5)
    again.save()
    written = json.loads((tmp_path / "manifest.json").read_text())["regions"]
    assert written["a"] == {**entry, "status": "complete", "households": 3000, "seconds": 1.5}
    assert list(written["a"]) == list(entry) and written["b"]["input"] == "b.gpkg"


def test_publishing_replaces_an_older_folder_in_one_step(tmp_path):
    final, stage = tmp_path / "r", tmp_path / ".r.stage"
    for folder, text in ((final, "old"), (stage, "new")):
        folder.mkdir()
        (folder / "f.txt").write_text(text)
        (folder / MARKER).write_text("{}")
    publish_folder(stage, final)
    assert (final / "f.txt").read_text() == "new" and not stage.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_half_written_folders_are_removed_and_complete_ones_kept(tmp_path):
    (tmp_path / ".a.1234.stage").mkdir()
    (tmp_path / "a").mkdir()                   # gridplan's, no completion marker: never trusted
    (tmp_path / "a" / "plan.gpkg").write_text("half")
    (tmp_path / "a" / ".gridplan").write_text('{"files": ["plan.gpkg"]}')
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / MARKER).write_text("{}")
    (tmp_path / "c").mkdir()                   # not gridplan's: left alone (issue 16)
    (tmp_path / "c" / "notes.txt").write_text("mine")
    clean_regions_folder(tmp_path, ["a", "b", "c"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "c"]
    assert (tmp_path / "c" / "notes.txt").read_text() == "mine"


def test_a_region_folder_gridplan_did_not_make_is_never_replaced(tmp_path):
    final, stage = tmp_path / "r", tmp_path / ".r.stage"
    for folder in (final, stage):
        folder.mkdir()
        (folder / "f.txt").write_text(folder.name)
    with pytest.raises(InputError, match="gridplan did not write"):
        publish_folder(stage, final)
    assert (final / "f.txt").read_text() == "r"


def test_settings_hash_changes_with_any_knob_or_datum():
    base = settings_hash(gp.PlanConfig(), "wgs84")
    assert base == settings_hash(gp.PlanConfig(), "wgs84")
    assert base != settings_hash(gp.PlanConfig(max_households=450), "wgs84")
    assert base != settings_hash(gp.PlanConfig(), "gcj02")


# --- a whole batch on Dask -----------------------------------------------------------------

@pytest.fixture(scope="module")
def first_run(tmp_path_factory, inputs, dask_scheduler):
    out = tmp_path_factory.mktemp("batch")
    seen = []
    result = run_batch([inputs["north"], inputs["south"], inputs["broken"]], out,
                       scheduler=dask_scheduler, on_region=seen.append)
    return out, result, seen


def test_batch_merges_every_household_once_and_reports_the_broken_region(first_run):
    out, result, seen = first_run
    assert [r.name for r in result.regions] == ["north", "south", "broken"]
    assert [r.name for r in result.failed] == ["broken"] and not result.ok
    assert "not a readable geo file" in result.failed[0].error
    assert sorted(r.name for r in seen) == ["broken", "north", "south"]
    homes = gpd.read_file(out / "plan.gpkg", layer="homes")
    grids = gpd.read_file(out / "plan.gpkg", layer="grids")
    expected = sum(hh for hh, _ in SIZES.values())
    assert int(homes["households"].sum()) == expected
    assert homes.groupby("region")["households"].sum().to_dict() == {
        name: hh for name, (hh, _) in SIZES.items()}
    assert grids["grid_id"].is_unique and grids["grid_id"].str.startswith(("north:", "south:")).all()
    assert (grids["grid_id"] == grids["region"] + ":" + grids["local_grid_id"]).all()
    assert int(grids["households"].sum()) == expected
    assert set(homes["grid_id"].dropna()) <= set(grids["grid_id"])
    summary = BatchSummary.from_json(json.loads((out / "summary.json").read_text()))
    t = summary.totals
    assert (t.households, t.complete, t.failed) == (expected, 2, 1)
    assert t.households_check == HouseholdsCheck(input=expected, planned=expected,
                                                 merged=expected, ok=True)
    assert t.grids == len(grids) == sum(r.grids for r in summary.regions[:2])
    assert summary.failed[0].name == "broken"
    manifest = json.loads((out / "manifest.json").read_text())["regions"]
    assert {k: v["status"] for k, v in manifest.items()} == {
        "north": "complete", "south": "complete", "broken": "failed"}


def test_rerun_skips_unchanged_regions_and_redoes_a_changed_one(first_run, inputs,
                                                                 dask_scheduler, tmp_path):
    out, _, _ = first_run
    marker = {n: os.stat(out / "regions" / n / MARKER).st_mtime_ns for n in ("north", "south")}
    changed = synth_file(tmp_path / "south.gpkg", 4200, 99)     # same name, new content
    junk = out / "regions" / ".south.dead.stage"
    junk.mkdir()
    result = run_batch([inputs["north"], changed], out, scheduler=dask_scheduler)
    assert result.ok
    by_name = {r.name: r for r in result.regions}
    assert by_name["north"].reused and not by_name["south"].reused
    assert os.stat(out / "regions" / "north" / MARKER).st_mtime_ns == marker["north"]
    assert os.stat(out / "regions" / "south" / MARKER).st_mtime_ns != marker["south"]
    assert not junk.exists()
    assert result.summary.totals.households == SIZES["north"][0] + 4200


def test_a_split_file_plans_each_region_and_the_merge_keeps_every_household(
        tmp_path, split_city, dask_scheduler):
    city = split_city[0]
    path, homes = _two_regions(tmp_path, split_city)
    result = run_batch([path], tmp_path / "out", scheduler=dask_scheduler)
    assert result.ok
    merged = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="homes")
    assert merged.groupby("region")["households"].sum().to_dict() == \
        homes.groupby("region")["households"].sum().to_dict()
    assert int(merged["households"].sum()) == city.households


def test_cli_batch_exits_1_when_a_region_fails_and_names_it_on_stderr(tmp_path, inputs,
                                                                       dask_scheduler):
    r = subprocess.run([sys.executable, "-m", "gridplan.cli", "batch", str(inputs["north"]),
                        str(inputs["broken"]), "--out", str(tmp_path / "out"),
                        "--scheduler", dask_scheduler],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stderr
    assert "gridplan: region broken failed:" in r.stderr and "Traceback" not in r.stderr
    assert "1 of 2 regions complete" in r.stdout
    assert (tmp_path / "out" / "regions" / "north" / MARKER).exists()


@pytest.mark.parametrize("args, needle", [
    (["--workers", "0"], "--workers"),
    (["--workers", "1", "--scheduler", "tcp://127.0.0.1:1"], "--workers and --scheduler"),
    (["--max-households", "200", "--min-households", "300"], "min_households = 300"),
])
def test_cli_batch_bad_options_exit_2_and_write_nothing(tmp_path, inputs, args, needle):
    from click.testing import CliRunner
    from gridplan.cli import cli
    r = CliRunner().invoke(cli, ["batch", str(inputs["north"]), "--out", str(tmp_path / "out"),
                                 *args])
    assert r.exit_code == 2 and needle in r.output, r.output
    assert not (tmp_path / "out").exists()
