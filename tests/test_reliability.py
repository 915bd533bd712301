"""Issue 16: gridplan never destroys a user's files, never crashes on input it can be given, and
never changes a number silently."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse import csgraph

import gridplan as gp
from gridplan import InputError
from gridplan.city import make_city
from gridplan.cli import cli
from gridplan.config import PlanConfig
from gridplan.outputs.review import review_graph
from gridplan.outputs.review.edits import Move
# _distance is the rules' own measure of how far a count lies outside the range: the
# property test checks the moves against that very measure, not a copy of it
from gridplan.outputs.review.rules import Moves, _distance, check_moves
from gridplan.summary import AppliedMove, RefusedEdit

from .test_cli import assert_one_line_error, run, small_csv

MARKER = ".gridplan"        # gridplan.outputs.folder.MARKER, spelled out: these tests ran before it


def tree(folder: Path) -> dict:
    """Every file under ``folder`` with its bytes: what "untouched" means."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def users_folder(tmp_path: Path) -> Path:
    """A planner's data folder: the input, notes, and a subfolder."""
    data = tmp_path / "data"
    data.mkdir()
    small_csv(data)
    (data / "notes.txt").write_text("最后一次核对 2026-03", encoding="utf-8")
    (data / "old").mkdir()
    (data / "old" / "2025.xlsx").write_bytes(b"PK\x03\x04 not really")
    return data


class _Result:
    """A CliRunner result read like a subprocess's (returncode, stdout, stderr)."""

    def __init__(self, r):
        self.returncode, self.stdout, self.stderr = r.exit_code, r.stdout, r.stderr


def invoke(*args):
    """The command in this process (fast); exit code, stdout and stderr apart."""
    r = CliRunner().invoke(cli, [str(a) for a in args])
    return r


# --- --out: data loss first -------------------------------------------------------------------

def test_plan_into_the_folder_of_its_input_refuses_and_leaves_every_file(tmp_path):
    data = users_folder(tmp_path)
    before = tree(data)
    r = run("plan", data / "homes.csv", "--out", data)
    assert_one_line_error(r, "data", "homes.csv", "--force")
    assert tree(data) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]     # nothing beside it


def test_a_folder_of_someone_elses_files_is_refused_and_names_one_of_them(tmp_path):
    out = tmp_path / "desktop"
    out.mkdir()
    (out / "报告.docx").write_bytes(b"x")
    before = tree(out)
    r = invoke("plan", small_csv(tmp_path), "--out", out)
    assert r.exit_code == 2 and "gridplan did not write" in r.stderr and "报告.docx" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert tree(out) == before


def test_force_writes_beside_the_users_files_and_replaces_only_its_own(tmp_path):
    data = users_folder(tmp_path)
    before = tree(data)
    r = invoke("plan", data / "homes.csv", "--out", data, "--force", "--geojson")
    assert r.exit_code == 0, r.output
    # no stations: the distance to one is unbounded, written as null (GeoJSON has no
    # Infinity), not dropped from the features
    feats = json.loads((data / "geojson" / "homes.geojson").read_text())["features"]
    assert feats and all(f["properties"]["dist_m"] is None for f in feats)
    after = tree(data)
    assert {k: after[k] for k in before} == before          # the user's files as they were
    marker = json.loads((data / MARKER).read_text())
    assert set(marker["files"]) == {"plan.gpkg", "summary.json", "map.html", "grids.csv",
                                    "communities.csv", "geojson"}
    # again, without geojson: gridplan's old geojson/ goes, the user's files stay
    r = invoke("plan", data / "homes.csv", "--out", data, "--force", "--max-households", "450")
    assert r.exit_code == 0, r.output
    assert not (data / "geojson").exists()
    assert json.loads((data / "summary.json").read_text())["config"]["max_households"] == 450
    assert {k: tree(data)[k] for k in before} == before
    assert not [p for p in data.iterdir() if p.name.startswith(".gridplan.")]   # no temp left


def test_force_never_replaces_a_file_gridplan_did_not_write(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"mine": true}')
    before = tree(out)
    r = invoke("plan", small_csv(tmp_path), "--out", out, "--force")
    assert r.exit_code == 2 and "summary.json" in r.stderr and "did not write" in r.stderr
    assert tree(out) == before and sorted(p.name for p in out.iterdir()) == ["summary.json"]


def test_force_never_replaces_an_input(tmp_path):
    out = tmp_path / "out"
    assert invoke("plan", small_csv(tmp_path), "--out", out).exit_code == 0
    before = tree(out)
    r = invoke("plan", out / "plan.gpkg", "--out", out, "--force")
    assert r.exit_code == 2 and "input" in r.stderr, r.stderr
    assert tree(out) == before


def test_gridplans_own_folder_is_replaced_whole_and_a_note_added_to_it_stops_that(tmp_path):
    out = tmp_path / "out"
    homes = small_csv(tmp_path)
    assert invoke("plan", homes, "--out", out, "--geojson").exit_code == 0
    assert (out / "geojson").is_dir() and (out / MARKER).is_file()
    assert invoke("plan", homes, "--out", out).exit_code == 0
    assert not (out / "geojson").exists()                    # replaced, not merged
    (out / "notes.txt").write_text("keep me")
    r = invoke("plan", homes, "--out", out)
    assert r.exit_code == 2 and "notes.txt" in r.stderr
    assert (out / "notes.txt").read_text() == "keep me"


def test_every_file_of_a_plan_is_on_disk_before_the_folder_is_swapped_in(tmp_path, monkeypatch):
    # GDAL writes plan.gpkg with SQLite's syncs off: the folder's swap must sync each file first
    synced, real_fsync, real_rename = [], os.fsync, os.rename
    swapped = []

    def fsync(fd):
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        return real_fsync(fd)

    def rename(a, b):
        swapped.append(set(synced))
        return real_rename(a, b)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", rename)
    out = tmp_path / "out"
    r = invoke("plan", small_csv(tmp_path), "--out", out, "--geojson")
    assert r.exit_code == 0, r.stderr
    written = {p.name for p in out.iterdir()}
    assert {"plan.gpkg", "summary.json", "map.html", "geojson"} <= written
    assert swapped and written <= swapped[0]
    assert {p.name for p in (out / "geojson").iterdir()} <= swapped[0]


def test_an_empty_folder_is_written_into_and_kept(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    ino = out.stat().st_ino
    assert invoke("plan", small_csv(tmp_path), "--out", out).exit_code == 0
    assert out.stat().st_ino == ino and (out / "plan.gpkg").is_file()


def test_an_output_folder_of_an_older_gridplan_without_the_marker_is_still_its_own(tmp_path):
    out = tmp_path / "maps"
    out.mkdir()
    for name in ("plan.gpkg", "map.html", "grids.csv", "communities.csv"):
        (out / name).write_text("old")
    (out / "summary.json").write_text('{"versions": {"gridplan": "0.0.9"}}')
    assert invoke("plan", small_csv(tmp_path), "--out", out).exit_code == 0
    assert (out / MARKER).is_file() and (out / "plan.gpkg").read_bytes() != b"old"


def test_out_dot_is_refused_before_planning(tmp_path):
    (tmp_path / "mine.txt").write_text("x")
    (tmp_path / "in").mkdir()
    homes = small_csv(tmp_path / "in")
    r = run("plan", homes, "--out", ".", cwd=tmp_path)
    assert_one_line_error(r, "--force")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "mine.txt"]


@pytest.mark.parametrize("out", ["/proc/gridplan-x", "/proc/gridplan-x/y"])
def test_an_out_that_cannot_be_made_is_one_line_before_any_work(tmp_path, monkeypatch, out):
    def no_work(*a, **k):
        raise AssertionError("the input was read before --out was checked")
    monkeypatch.setattr("gridplan.io.load", no_work)
    r = invoke("plan", small_csv(tmp_path), "--out", out)
    assert r.exit_code == 2 and "cannot write there" in r.stderr, r.output
    r = invoke("demo", "--out", out, "--households", "3000")
    assert r.exit_code == 2 and "cannot write there" in r.stderr and r.stdout == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_an_out_in_a_folder_without_write_permission_is_one_line(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        r = run("plan", small_csv(tmp_path), "--out", locked / "out")
        assert_one_line_error(r, "cannot write there")
    finally:
        locked.chmod(0o755)


def test_site_refuses_a_users_folder_too(tmp_path):
    data = users_folder(tmp_path)
    before = tree(data)
    r = invoke("site", data / "homes.csv", "--out", data)
    assert r.exit_code == 2 and "--force" in r.stderr
    assert tree(data) == before


def test_batch_refuses_a_users_folder_and_accepts_it_with_force(tmp_path):
    data = users_folder(tmp_path)
    before = tree(data)
    r = invoke("batch", data / "homes.csv", "--out", data, "--workers", "1")
    assert r.exit_code == 2 and "--force" in r.stderr, r.output
    assert tree(data) == before
    (data / "summary.json").write_text("{}")          # a name the batch writes: never replaced
    before = tree(data)
    r = invoke("batch", data / "homes.csv", "--out", data, "--force", "--workers", "1")
    assert r.exit_code == 2 and "summary.json" in r.stderr, r.output
    assert tree(data) == before


# --- half-made things ---------------------------------------------------------------------------

def test_sigterm_while_writing_leaves_no_temporary_folder(tmp_path):
    # the signal is sent once the temporary folder is seen; on a loaded machine the run may
    # have swapped it in by then and be on its way out (exit 0, the folder whole): a few tries
    # to catch it writing, and either way nothing half-made is left
    stopped = 0
    for attempt in range(4):
        here = tmp_path / str(attempt)
        here.mkdir()
        out = here / "out"
        p = subprocess.Popen([sys.executable, "-m", "gridplan.cli", "demo", "--households",
                              "20000", "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and p.poll() is None:
            if any(q.name.startswith(".out.gridplan.") for q in here.iterdir()):
                break
            time.sleep(0.005)
        assert p.poll() is None, "the demo ended before it wrote"
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        assert b"Traceback" not in err
        if p.returncode == 0:                          # too late: the plan was whole already
            assert [q.name for q in here.iterdir()] == ["out"]
            assert (out / "plan.gpkg").is_file() and (out / MARKER).is_file()
            continue
        assert p.returncode == 128 + signal.SIGTERM, err
        assert list(here.iterdir()) == []
        stopped += 1
        break
    assert stopped == 1, "the signal never came while the plan was being written"


def test_folders_a_killed_run_left_are_removed_by_the_next(tmp_path):
    # _host: the test forges the temporary names another gridplan run on this host makes
    from gridplan.outputs.folder import _host, clean_stale
    out = tmp_path / "out"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".out.gridplan.{_host()}.{dead}.0badc0de.tmp"
    old_kind = tmp_path / ".out.k3j_x9a2.tmp"              # mkdtemp's, before the marker
    live = tmp_path / f".out.gridplan.{_host()}.{os.getpid()}.0badc0de.tmp"
    notmine = tmp_path / ".out.abcdefgh.tmp"
    for d in (stale, old_kind, live, notmine):
        d.mkdir()
    (old_kind / "plan.gpkg").write_text("half")
    (notmine / "thesis.tex").write_text("mine")
    assert invoke("plan", small_csv(tmp_path), "--out", out).exit_code == 0
    left = {p.name for p in tmp_path.iterdir()}
    assert stale.name not in left and old_kind.name not in left
    assert {live.name, notmine.name, "out", "homes.csv"} == left
    assert clean_stale(out) == []


# --- knobs ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (["--radius-m", "inf"], "radius_m = inf: expected a finite number"),
    (["--radius-m", "nan"], "radius_m = nan"),
    (["--seed", "-1"], "seed = -1"),
    (["--walk-minutes", "-5"], "walk_minutes = -5.0"),
    (["--time-limit-s", "1e400"], "siting_time_limit_s = inf"),
    (["--max-households-per-home", "0"], "max_households_per_home = 0"),
])
def test_a_knob_that_cannot_be_right_is_one_line_naming_it(tmp_path, args, needle):
    out = tmp_path / "out"
    r = invoke("plan", small_csv(tmp_path), "--out", out, *args)
    assert r.exit_code == 2 and needle in r.stderr, r.output
    assert len(r.stderr.strip().splitlines()) == 1 and not out.exists()


def test_every_knob_is_checked_by_its_type_so_new_ones_are_too():
    import typing
    hints = typing.get_type_hints(PlanConfig)
    for f in dataclasses.fields(PlanConfig):
        t = hints[f.name]
        base = {a for a in typing.get_args(t) if a is not type(None)} or {t}
        bad = ([float("inf"), float("nan"), -1.0, "1"] if float in base
               else [-1, 2**63, 1.5, True] if int in base
               else [1, "yes"] if bool in base
               else [{"x": float("inf")}] if dict in base and f.name != "station_tags"
               else [])
        for v in bad:
            with pytest.raises(InputError, match=f.name):
                PlanConfig().replace(**{f.name: v})


def test_summary_json_holds_no_infinity(tmp_path):
    out = tmp_path / "out"
    assert invoke("plan", small_csv(tmp_path), "--out", out).exit_code == 0
    text = (out / "summary.json").read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in summary.json"))


# --- households that cannot be right ------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [
    ("1e12", "1e12"), (str(2**62), str(2**62)), (str(2**63), str(2**63)),
    ("inf", "infinity"), ("-5", "-5"), ("2.5", "2.5"), ("100001", "100001"),
])
def test_a_household_count_that_cannot_be_right_names_file_row_and_value(tmp_path, value, shown):
    rows = [f"117.00{i},36.6,{v},b{i}" for i, v in enumerate(["80", "90", value])]
    homes = small_csv(tmp_path, rows)
    # in this process for speed; infinity, whose warning numpy printed, in a real one too
    r = run("plan", homes, "--out", tmp_path / "out") if value == "inf" else \
        _Result(invoke("plan", homes, "--out", tmp_path / "out"))
    assert_one_line_error(r, "homes.csv", "column 'households'", "row 3", shown)
    assert "Warning" not in r.stderr and not (tmp_path / "out").exists()


def test_the_cap_on_one_home_is_a_knob(tmp_path):
    rows = [f"117.00{i},36.6,{v},b{i}" for i, v in enumerate([300, 350, 400])]
    homes = small_csv(tmp_path, rows)
    r = invoke("plan", homes, "--out", tmp_path / "a", "--max-households-per-home", "350")
    assert r.exit_code == 2 and "row 3" in r.stderr and "at most 350" in r.stderr
    r = invoke("plan", homes, "--out", tmp_path / "b", "--max-households-per-home", "400")
    assert r.exit_code == 0, r.output


def test_a_district_above_the_district_cap_is_refused():
    homes = gpd.GeoDataFrame({"households": [60_000, 50_000]},
                             geometry=shapely.points([(0, 0), (100, 0)]), crs="EPSG:32650")
    cfg = PlanConfig(crs="EPSG:32650", max_households_district=100_000)
    with pytest.raises(InputError, match=r"110,000 households in all: expected at most 100,000"):
        make_city(homes, config=cfg)


def homes_gpkg(path: Path, households, streets=None) -> Path:
    x0, y0 = 116.43, 39.94
    polys = [shapely.box(x0 + 0.0012 * i, y0, x0 + 0.0012 * i + 0.0006, y0 + 0.0005)
             for i in range(len(households))]
    gpd.GeoDataFrame({"households": households, "building": ["apartments"] * len(polys),
                      "building:levels": ["6"] * len(polys)},
                     geometry=polys, crs=4326).to_file(path, layer="homes", engine="pyogrio")
    if streets is not None:
        streets.to_file(path, layer="streets", engine="pyogrio")
    return path


@pytest.mark.parametrize("households, needle", [
    ([120.0, 1e12, 80.0], "row 2"),
    (np.array([120, 2**62, 80], dtype="int64"), str(2**62)),
])
def test_absurd_counts_in_a_geopackage_are_one_line(tmp_path, households, needle):
    r = run("plan", homes_gpkg(tmp_path / "city.gpkg", households), "--out", tmp_path / "out")
    assert_one_line_error(r, "city.gpkg", "layer 'homes'", "column 'households'", needle)


def test_an_empty_count_in_a_geopackage_is_refused_unless_estimating_is_asked(tmp_path):
    path = homes_gpkg(tmp_path / "city.gpkg", [320.0, None, 300.0])
    r = invoke("plan", path, "--out", tmp_path / "a")
    assert r.exit_code == 2 and "row 2" in r.stderr and "--estimate-missing" in r.stderr
    out = tmp_path / "b"
    r = invoke("plan", path, "--out", out, "--estimate-missing")
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text())
    assert s["input"]["households_estimated"] == 1
    homes = gpd.read_file(out / "plan.gpkg", layer="homes")
    by_home = homes.groupby("home_index")["households_source"].first()
    assert by_home.tolist() == ["given", "estimated", "given"]


def test_a_streets_layer_of_points_is_one_line(tmp_path):
    pts = gpd.GeoDataFrame({"rank": ["local", "local"]},
                           geometry=shapely.points([(116.431, 39.9402), (116.432, 39.9402)]),
                           crs=4326)
    path = homes_gpkg(tmp_path / "city.gpkg", [320, 300, 310], streets=pts)
    r = invoke("plan", path, "--out", tmp_path / "out")
    assert r.exit_code == 2, r.output
    assert "layer 'streets'" in r.stderr and "Point" in r.stderr and "lines" in r.stderr


# --- edits ------------------------------------------------------------------------------------

def test_an_edits_file_nested_five_thousand_deep_is_one_line(tmp_path):
    deep = tmp_path / "edits.geojson"
    deep.write_text('{"type": "FeatureCollection", "features": ' + "[" * 5000 + "]" * 5000 + "}")
    r = invoke("plan", small_csv(tmp_path), "--edits", deep, "--out", tmp_path / "out")
    assert r.exit_code == 2 and "nested too deeply" in r.stderr, r.output


def test_edits_beyond_the_size_and_count_limits_are_one_line(tmp_path):
    feats = [{"type": "Feature", "geometry": None,
              "properties": {"type": "comment", "target": "grid", "grid_id": "G1", "text": "x"}}
             for _ in range(5)]
    edits = tmp_path / "edits.geojson"
    edits.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    cfg = tmp_path / "plan.toml"
    cfg.write_text("edits_max_count = 4\n")
    r = invoke("plan", small_csv(tmp_path), "--edits", edits, "--config", cfg,
               "--out", tmp_path / "a")
    assert r.exit_code == 2 and "5 features: expected at most 4" in r.stderr, r.output
    cfg.write_text("edits_max_mb = 0.0001\n")
    r = invoke("plan", small_csv(tmp_path), "--edits", edits, "--config", cfg,
               "--out", tmp_path / "b")
    assert r.exit_code == 2 and "edits_max_mb" in r.stderr, r.output


# --- whatever the file holds: a plan with every household, or one line and nothing written ----


EXTREMES = ["1e12", str(2**62), str(2**63), "inf", "-inf", "nan", "-1", "1.5", "", "abc",
            "1e-300", "0", "99999999999999999999999", "１２", "+7", " 12 "]


def good_csv_rows(n=16):
    return [f"{117.0 + 0.0007 * (i % 4):.6f},{36.6 + 0.0007 * (i // 4):.6f},{30 + 7 * i},h{i}"
            for i in range(n)]


def corrupt_csv(data: bytes, draw) -> bytes:
    how = draw(st.sampled_from(["truncate", "flip", "drop", "extreme", "extreme_coord"]))
    if how == "truncate":
        return data[:draw(st.integers(0, len(data)))]
    if how == "flip":
        b = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(b) - 1))
            b[i] = draw(st.integers(0, 255))
        return bytes(b)
    lines = data.decode().splitlines()
    cells = [line.split(",") for line in lines]
    if how == "drop":
        j = draw(st.integers(0, len(cells[0]) - 1))
        return "\n".join(",".join(c[:j] + c[j + 1:]) for c in cells).encode() + b"\n"
    row = draw(st.integers(1, len(cells) - 1))
    col = 2 if how == "extreme" else draw(st.integers(0, 1))
    cells[row][col] = draw(st.sampled_from(EXTREMES))
    return "\n".join(",".join(c) for c in cells).encode() + b"\n"


def expected_households(path: Path) -> int | None:
    """The households the file says it holds, read independently of gridplan."""
    import pandas as pd
    try:
        if path.suffix == ".csv":
            v = pd.read_csv(path, dtype=str, encoding="utf-8-sig")["households"]
        else:
            v = gpd.read_file(path, layer="homes")["households"]
        return int(pd.to_numeric(v).sum())
    except Exception:
        return None


def check_one_run(homes: Path, root: Path, call) -> None:
    """Run the CLI on ``homes`` into a folder gridplan wrote before, and check the contract."""
    out = root / "out"
    out.mkdir(exist_ok=True)
    (out / "summary.json").write_text('{"households": -1, "versions": {"gridplan": "old"}}')
    (out / MARKER).write_text('{"files": ["summary.json"]}')
    before = tree(out)
    code, stderr = call(["plan", str(homes), "--out", str(out)])
    if code == 0:
        s = json.loads((out / "summary.json").read_text())
        layer = gpd.read_file(out / "plan.gpkg", layer="homes")
        assert s["households"] == int(layer["households"].sum())
        assert s["households"] == int(gpd.read_file(out / "plan.gpkg", layer="grids")
                                      ["households"].sum()) or s["grids"]["count"] == 0
        want = expected_households(homes)
        if want is not None:
            assert s["households"] == want
    else:
        assert code == 2, (code, stderr)
        assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
        assert tree(out) == before
    assert not [p for p in root.iterdir() if ".gridplan." in p.name]


def in_process(args):
    r = CliRunner().invoke(cli, args)
    if r.exit_code not in (0, 2) and r.exception is not None:
        raise r.exception
    return r.exit_code, r.stderr


def in_subprocess(args):
    r = subprocess.run([sys.executable, "-m", "gridplan.cli", *args], capture_output=True,
                       text=True, timeout=600)
    return r.returncode, r.stderr


def csv_property(call):
    @given(st.data())
    def prop(data):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            good = ("\n".join(["lon,lat,households,name", *good_csv_rows()]) + "\n").encode()
            homes = root / "homes.csv"
            homes.write_bytes(corrupt_csv(good, data.draw))
            check_one_run(homes, root, call)
    return prop


def gpkg_property(call):
    @given(st.data())
    def prop(data):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            homes = root / "city.gpkg"
            hh = [float(30 + 7 * i) for i in range(12)]
            how = data.draw(st.sampled_from(["extreme", "drop", "truncate", "flip", "null"]))
            if how == "extreme":
                hh[data.draw(st.integers(0, 11))] = data.draw(st.sampled_from(
                    [1e12, 2.0**62, float("inf"), -1.0, 1.5, 1e-300, 0.0]))
            if how == "null":
                hh[data.draw(st.integers(0, 11))] = None
            homes_gpkg(homes, hh)
            if how == "drop":
                g = gpd.read_file(homes, layer="homes")
                col = data.draw(st.sampled_from(["households", "building", "building:levels"]))
                homes.unlink()
                g.drop(columns=[col]).to_file(homes, layer="homes", engine="pyogrio")
            elif how in ("truncate", "flip"):
                b = bytearray(homes.read_bytes())
                if how == "truncate":
                    b = b[:data.draw(st.integers(0, len(b)))]
                else:
                    for _ in range(data.draw(st.integers(1, 8))):
                        b[data.draw(st.integers(0, len(b) - 1))] = data.draw(st.integers(0, 255))
                homes.write_bytes(bytes(b))
            check_one_run(homes, root, call)
    return prop


FAST = settings(max_examples=12, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MORE = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_a_corrupted_csv_plans_every_household_or_is_one_line_and_writes_nothing():
    FAST(csv_property(in_process))()


def test_a_corrupted_geopackage_plans_every_household_or_is_one_line_and_writes_nothing():
    FAST(gpkg_property(in_process))()


@pytest.mark.slow
def test_many_corrupted_csvs_and_geopackages_keep_the_contract():
    MORE(csv_property(in_process))()
    MORE(gpkg_property(in_process))()


@pytest.mark.slow
def test_corrupted_inputs_keep_the_contract_as_a_real_process():
    settings(MORE, max_examples=15)(csv_property(in_subprocess))()
    settings(MORE, max_examples=15)(gpkg_property(in_subprocess))()


# --- edits in linear time, with the rules as before -----------------------------------------


def reference_check_moves(graph, moves: list[Move], lo: int, hi: int) -> Moves:
    """The rules as gridplan applied them before issue 16 (replayed from the start)."""
    start = np.bincount(graph.rows["grid"].to_numpy(), weights=graph.rows["households"],
                        minlength=len(graph.grid_ids))
    out_of_range: dict[int, str] = {}
    while True:
        result = _reference_replay(graph, moves, out_of_range)
        count = np.bincount(result.row_grid, weights=graph.rows["households"],
                            minlength=len(graph.grid_ids))
        worse = np.flatnonzero(_distance(count, lo, hi) > _distance(start, lo, hi))
        if not len(worse):
            return result
        latest = None
        for g in worse:
            gid = graph.grid_ids[g]
            over = count[g] > hi
            for a in reversed(result.applied):
                if getattr(a, "to_grid" if over else "from_grid") == gid:
                    if latest is None or a.edit > latest[0].edit:
                        side = (f"above the most a grid may hold ({hi})" if over
                                else f"below the fewest a grid may hold ({lo})")
                        latest = (a, f"grid {gid} would end with {int(count[g])} households, "
                                     f"{side}")
                    break
        if latest is None:          # cannot happen: only moves change a count
            return result
        out_of_range[latest[0].edit] = latest[1]


def _reference_replay(graph, moves: list[Move], refuse: dict[int, str]) -> Moves:
    rows = graph.rows
    row_grid = rows["grid"].to_numpy().copy()
    hh = rows["households"].to_numpy()
    unit = {(h, p): i for i, (h, p) in enumerate(zip(rows["home_index"], rows["part"]))}
    grid = {g: i for i, g in enumerate(graph.grid_ids)}
    nbrs, members = graph.neighbours(), graph.members()
    n = len(rows)
    adj = sparse.csr_matrix((np.ones(len(graph.pairs)), (graph.pairs["a"], graph.pairs["b"])),
                            shape=(n, n))
    adj = (adj + adj.T).tocsr()
    moved_by: dict[int, int] = {}
    applied, refused = [], []
    for m in moves:
        why = refuse.get(m.edit)
        i = unit.get((m.home_index, m.part))
        src, dst = grid.get(m.from_grid), grid.get(m.to_grid)
        name = f"home {m.home_index}" + (f" part {m.part}" if m.part else "")
        if why is None:
            if i is None:
                why = f"no {name} with households in this plan"
            elif dst is None:
                why = f"no grid {m.to_grid} in this plan"
            elif src is None:
                why = f"no grid {m.from_grid} in this plan"
            elif src == dst:
                own = members[i]
                what = name + (f" and its compound {rows['compound'].iat[i]} ({len(own)} homes)"
                               if len(own) > 1 else "")
                why = f"{what} would move from grid {m.from_grid} to itself"
            elif row_grid[i] != src:
                now = graph.grid_ids[row_grid[i]]
                why = (f"{name} is in grid {now}, not {m.from_grid}"
                       + (f" (moved with its compound by edit {moved_by[i]})"
                          if i in moved_by else " (edits made on another plan?)"))
        if why is None:
            group = members[i]
            compound = rows["compound"].iat[i] if len(group) > 1 else None
            what = f"{name}" + (f" and its compound {compound} ({len(group)} homes)"
                                if compound else "")
            touches = any((row_grid[nbrs[j]] == dst).any() for j in group)
            left = np.setdiff1d(np.flatnonzero(row_grid == src), group)
            if not touches:
                why = f"{what} does not touch grid {m.to_grid}: a home moves only to a grid next to it"
            elif not len(left):
                why = f"moving {what} would leave grid {m.from_grid} with no homes"
            else:
                before = _reference_pieces(adj, np.flatnonzero(row_grid == src))
                after = _reference_pieces(adj, left)
                if after > before:
                    why = (f"moving {what} would split grid {m.from_grid} into {after} pieces"
                           if before == 1 else
                           f"moving {what} would cut grid {m.from_grid} into {after} pieces, "
                           f"not {before}")
        if why is not None:
            refused.append({"edit": m.edit, "type": "move", "home_index": m.home_index,
                            "part": m.part, "from_grid": m.from_grid, "to_grid": m.to_grid,
                            "reason": why})
            continue
        row_grid[group] = dst
        moved_by.update({int(j): m.edit for j in group})
        applied.append({"edit": m.edit, "home_index": m.home_index, "part": m.part,
                        "from_grid": m.from_grid, "to_grid": m.to_grid,
                        "homes": int(rows["home_index"].to_numpy()[group].size),
                        "households": int(hh[group].sum()), "compound": compound})
    return Moves(row_grid=row_grid, applied=[AppliedMove(**a) for a in applied],
                 refused=[RefusedEdit(**r) for r in refused])


def _reference_pieces(adj: sparse.csr_matrix, nodes: np.ndarray) -> int:
    """Connected pieces of the units ``nodes``."""
    if len(nodes) <= 1:
        return len(nodes)
    return csgraph.connected_components(adj[nodes][:, nodes], directed=False)[0]


@pytest.fixture(scope="module")
def review():
    plan = gp.plan(gp.synth(households=6_000, seed=3))
    return review_graph(plan)


def neighbour_moves(g, rng, n, edit0=1):
    """``n`` moves of random units to a random touching grid, as if the grids had not changed
    (so later ones are often refused: a session of real mistakes)."""
    rows, nbrs = g.rows, g.neighbours()
    grid = rows["grid"].to_numpy()
    out = []
    while len(out) < n:
        i = int(rng.integers(len(rows)))
        dst = sorted(set(grid[nbrs[i]].tolist()) - {grid[i]})
        if not dst:
            continue
        src = grid[i] if rng.random() < 0.8 else int(rng.integers(len(g.grid_ids)))
        out.append(Move(edit0 + len(out), int(rows["home_index"].iat[i]),
                        int(rows["part"].iat[i]), g.grid_ids[src],
                        g.grid_ids[int(rng.choice(dst))]))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_moves_are_refused_and_applied_exactly_as_before_the_linear_replay(review, seed,
                                                                          monkeypatch):
    import gridplan.outputs.review.rules as rules
    monkeypatch.setattr(rules, "CHECKPOINT_EVERY", 7)     # many saved states, many resumes
    rng = np.random.default_rng(seed)
    moves = neighbour_moves(review, rng, 120)
    new = check_moves(review, moves, 300, 500)
    old = reference_check_moves(review, moves, 300, 500)
    assert (new.row_grid == old.row_grid).all()
    assert new.applied == old.applied and new.refused == old.refused
    assert any("would end with" in r.reason for r in new.refused) or seed


def back_and_forth(g, n):
    """``n`` moves of one home to a neighbouring grid and back, all keeping the rules."""
    rows, nbrs, mem = g.rows, g.neighbours(), g.members()
    grid = rows["grid"].to_numpy()
    for i in range(len(rows)):
        if len(mem[i]) > 1:
            continue
        for dst in sorted(set(grid[nbrs[i]].tolist()) - {grid[i]}):
            a = (int(rows["home_index"].iat[i]), int(rows["part"].iat[i]))
            there = (g.grid_ids[grid[i]], g.grid_ids[dst])
            pair = [Move(1, *a, *there), Move(2, *a, *there[::-1])]
            if not check_moves(g, pair, 0, 10**9).refused:
                return [Move(k + 1, *a, *(there if k % 2 == 0 else there[::-1]))
                        for k in range(n)]
    raise AssertionError("no home moves to a neighbour and back")


def test_twenty_thousand_moves_are_checked_in_seconds(review):
    t = time.perf_counter()
    r = check_moves(review, back_and_forth(review, 20_000), 300, 500)
    assert len(r.applied) == 20_000 and time.perf_counter() - t < 30


@pytest.mark.slow
def test_two_hundred_thousand_moves_in_an_edits_file_are_applied(tmp_path):
    plan = gp.plan(gp.synth(households=6_000, seed=3))
    g = review_graph(plan)
    moves = back_and_forth(g, 200_000)
    feats = [{"type": "Feature", "geometry": None,
              "properties": {"type": "move", "home_index": m.home_index, "part": m.part,
                             "from_grid": m.from_grid, "to_grid": m.to_grid}} for m in moves]
    path = tmp_path / "edits.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    t = time.perf_counter()
    e = plan.apply_edits(path)
    assert e.summary.edits.applied == 200_000 and time.perf_counter() - t < 180
    assert e.summary.households == plan.summary.households


def test_a_district_of_a_typo_sized_demo_is_one_line_not_days_of_work(tmp_path):
    r = invoke("demo", "--households", "99999999999", "--out", tmp_path / "d")
    assert r.exit_code == 2 and "at most 100,000,000" in r.stderr, r.output
    assert not (tmp_path / "d").exists()


def test_an_out_that_is_a_link_is_written_through_and_stays_a_link(tmp_path):
    real = tmp_path / "real"
    homes = small_csv(tmp_path)
    assert invoke("plan", homes, "--out", real).exit_code == 0
    link = tmp_path / "latest"
    link.symlink_to(real)
    assert invoke("plan", homes, "--out", link, "--max-households", "450").exit_code == 0
    assert link.is_symlink()
    assert json.loads((real / "summary.json").read_text())["config"]["max_households"] == 450
    assert sorted(p.name for p in tmp_path.iterdir()) == ["homes.csv", "latest", "real"]
