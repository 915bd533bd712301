"""The annual update: last year's ids kept, few homes moved, bounds restored."""

from __future__ import annotations

import pytest

import gridplan as gp


@pytest.fixture(scope="module")
def last_year():
    return gp.plan(gp.synth(households=20_000, seed=11))


def test_unchanged_city_keeps_every_grid_and_moves_nothing(last_year):
    p = gp.plan(last_year.city, keep=last_year)
    m = p.moved
    assert m == p.summary.grids.moved
    assert m.homes == 0 and m.households == 0
    assert m.grids_kept == len(last_year.grids) and m.grids_new == 0
    assert set(p.grids["grid_id"]) == set(last_year.grids["grid_id"])
    assert (p.grids.set_index("grid_id")["community_id"]
            == last_year.grids.set_index("grid_id")["community_id"]).all()


def test_growth_in_one_grid_is_repaired_locally_with_ids_kept(last_year):
    city = last_year.city
    homes = city.homes.copy()
    # a new phase fills one grid: its homes grow by 60 %
    target = last_year.homes.loc[last_year.homes["households"] > 0, "grid_id"].iloc[0]
    idx = last_year.homes.loc[last_year.homes["grid_id"] == target, "home_index"].unique()
    homes.loc[idx, "households"] = (homes.loc[idx, "households"] * 1.6).round().astype(int)
    grown = gp.City(homes=homes, streets=city.streets, barriers=city.barriers,
                    stations=city.stations, boundary=city.boundary, source="grown")
    p = gp.plan(grown, keep=last_year)
    m = p.moved
    assert p.grids["in_range"].all()
    assert p.grids["households"].sum() == homes["households"].sum()
    # most grids untouched, and far fewer homes moved than a fresh plan would move
    assert m.grids_kept >= len(last_year.grids) - 3
    assert 0 < m.homes < 0.1 * len(homes)
    # the grown grid keeps its id; its extra households go to neighbours with room or to a
    # new grid, never by dropping a grid
    assert target in set(p.grids["grid_id"]) and m.grids_retired == 0
    assert len(p.grids) >= len(last_year.grids)
    fresh = gp.plan(grown)
    old = last_year.homes.drop_duplicates("home_index").set_index("home_index")["grid_id"]
    moved_fresh = (fresh.homes.drop_duplicates("home_index").set_index("home_index")["grid_id"]
                   != old).sum()
    assert m.homes < moved_fresh


def test_keep_from_the_command_line(tmp_path, last_year):
    import json
    import subprocess
    import sys
    gpkg = tmp_path / "city.gpkg"
    last_year.city.to_gpkg(gpkg)
    last_year.save(tmp_path / "2026")
    r = subprocess.run([sys.executable, "-m", "gridplan.cli", "plan", str(gpkg), "--keep",
                        str(tmp_path / "2026" / "plan.gpkg"), "--out", str(tmp_path / "2027")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "2027" / "summary.json").read_text())
    assert s["grids"]["moved"]["homes"] == 0
    bad = subprocess.run([sys.executable, "-m", "gridplan.cli", "plan", str(gpkg), "--keep",
                          str(gpkg), "--out", str(tmp_path / "x")], capture_output=True,
                         text=True, timeout=600)
    assert bad.returncode == 2 and "layer 'grids'" in bad.stderr
