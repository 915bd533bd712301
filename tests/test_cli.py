"""The `gridplan` command: one clear line and exit code 2 for bad input, nothing half-written,
and the three outputs for good input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "beijing_dongcheng_sample.csv"


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gridplan.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=600)


def small_csv(tmp_path, rows=None, header="lon,lat,households,name"):
    rows = rows if rows is not None else [
        f"{117.0 + 0.0006 * (i % 10)},{36.6 + 0.0006 * (i // 10)},{60 + (i * 37) % 90},b{i}"
        for i in range(60)]
    p = tmp_path / "homes.csv"
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return p


def assert_one_line_error(r, *needles):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    err = r.stderr.strip()
    assert "Traceback" not in r.stderr
    assert len(err.splitlines()) == 1, err
    for n in needles:
        assert n in err, (n, err)


@pytest.mark.parametrize("rows, needles", [
    (["117.0,36.6,-3,x"], ["homes.csv", "column 'households'", "row 1", "-3"]),
    (["117.0,36.6,12,x", "117.001,36.6,lots,y"], ["column 'households'", "row 2", "lots"]),
    (["117.0,36.6,12.5,x"], ["row 1", "whole number"]),
    (["117.0,36.6,,x"], ["column 'households'", "row 1", "missing"]),
    (["190.0,36.6,12,x"], ["column 'lon'", "row 1", "-180 to 180"]),
    (["117.0,95,12,x"], ["column 'lat'", "row 1"]),
    ([], ["homes.csv", "header only"]),
])
def test_bad_csv_gives_one_line_and_exit_2(tmp_path, rows, needles):
    out = tmp_path / "out"
    r = run("plan", small_csv(tmp_path, rows), "--out", out)
    assert_one_line_error(r, *needles)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_missing_file(tmp_path):
    r = run("plan", tmp_path / "nope.gpkg", "--out", tmp_path / "out")
    assert_one_line_error(r, "nope.gpkg", "no such file")


def test_not_a_geo_file(tmp_path):
    p = tmp_path / "x.gpkg"
    p.write_text("hello, I am text")
    r = run("plan", p, "--out", tmp_path / "out")
    assert_one_line_error(r, "x.gpkg", "not a readable")


def test_empty_file(tmp_path):
    p = tmp_path / "homes.csv"
    p.write_text("")
    r = run("plan", p, "--out", tmp_path / "out")
    assert_one_line_error(r, "homes.csv", "empty")


def test_no_households_column(tmp_path):
    r = run("plan", small_csv(tmp_path, ["117.0,36.6,x"], header="lon,lat,name"),
            "--out", tmp_path / "out")
    assert_one_line_error(r, "households")


def test_min_above_max(tmp_path):
    r = run("plan", small_csv(tmp_path), "--min-households", "600", "--out", tmp_path / "out")
    assert_one_line_error(r, "min_households = 600", "max_households = 500")


def test_bad_config_file(tmp_path):
    cfg = tmp_path / "plan.toml"
    cfg.write_text("[plan]\nmax_households = 'many'\n")
    r = run("plan", small_csv(tmp_path), "--config", cfg, "--out", tmp_path / "out")
    assert_one_line_error(r, "plan.toml", "max_households")


def test_failed_run_leaves_an_existing_output_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"old": true}')
    r = run("plan", small_csv(tmp_path, ["117.0,36.6,-1,x"]), "--out", out)
    assert r.returncode == 2
    assert json.loads((out / "summary.json").read_text()) == {"old": True}


def test_plan_writes_its_outputs_and_keeps_input_columns(tmp_path):
    out = tmp_path / "out"
    r = run("plan", small_csv(tmp_path), "--out", out, "--max-households", "450")
    assert r.returncode == 0, r.stderr
    assert "%|" not in r.stderr and "step" not in r.stderr   # no progress bar off a terminal
    assert {p.name for p in out.iterdir()} == {"plan.gpkg", "summary.json", "map.html",
                                               "grids.csv", "communities.csv", ".gridplan"}
    s = json.loads((out / "summary.json").read_text())
    homes = gpd.read_file(out / "plan.gpkg", layer="homes")
    assert s["households"] == homes["households"].sum() == sum(60 + (i * 37) % 90 for i in range(60))
    assert set(homes["name"]) == {f"b{i}" for i in range(60)}
    assert s["config"]["max_households"] == 450
    for key in ("grids", "communities", "coverage", "siting", "config", "versions", "seconds"):
        assert key in s
    layers = set(pyogrio.list_layers(out / "plan.gpkg")[:, 0])
    assert {"homes", "grids", "communities", "stations", "proposed_stations"} <= layers
    grids = gpd.read_file(out / "plan.gpkg", layer="grids")
    assert grids.crs is not None and grids.is_valid.all()
    assert grids["households"].sum() == s["households"]


def test_beijing_compounds_in_bd09_plan_from_the_command_line(tmp_path):
    out = tmp_path / "bj"
    r = run("plan", SAMPLE, "--coords", "bd09", "--out", out)
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["crs"] == "EPSG:32650"
    assert s["homes"] == 512
    # most compounds exceed a grid and are split into parts, never losing a household
    assert s["homes_split_into_parts"] > 250
    homes = gpd.read_file(out / "plan.gpkg", layer="homes")
    assert homes.groupby("ID")["households"].sum().sum() == s["households"]


SHANGHAI = ROOT.parent / "shared" / "realdata" / "shanghai_huangpu_roads.osm"


@pytest.mark.skipif(not SHANGHAI.exists(), reason="../shared/realdata is not beside the checkout")
def test_homes_with_a_real_street_network_and_a_stations_file(tmp_path):
    import numpy as np
    rng = np.random.default_rng(5)
    lon = rng.uniform(121.465, 121.482, 80)
    lat = rng.uniform(31.223, 31.238, 80)
    homes = small_csv(tmp_path, [f"{a:.6f},{b:.6f},{h},h{i}" for i, (a, b, h) in
                                 enumerate(zip(lon, lat, rng.integers(40, 160, 80)))])
    stations = tmp_path / "stations.csv"
    stations.write_text("lon,lat,name\n121.470,31.228,east\n121.478,31.234,west\n")
    out = tmp_path / "sh"
    r = run("plan", homes, "--network", SHANGHAI, "--stations", stations, "--out", out)
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["coverage"]["stations"] == 2
    assert s["crs"] == "EPSG:32651"
    # walking along Shanghai's streets is reported, and never beats the straight line
    assert s["coverage"]["walk_share"] is not None
    assert s["coverage"]["walk_share"] <= s["coverage"]["straight_share"]
    h = gpd.read_file(out / "plan.gpkg", layer="homes")
    walk = h["walk_m"].to_numpy(dtype=float)
    ok = np.isfinite(walk)
    assert ok.sum() > 40 and (walk[ok] >= h["dist_m"].to_numpy()[ok] - 0.1).all()
