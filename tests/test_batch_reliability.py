"""`gridplan batch` survives a killed worker and a killed batch: every region present exactly
once, finished regions not redone, and the merged result the same as a clean run's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest

import gridplan as gp
from gridplan.batch import run_batch
from gridplan.batch.manifest import MARKER

pytestmark = pytest.mark.slow

DISTRICTS = {f"d{i}": (3000 + 500 * i, 20 + i) for i in range(6)}


@pytest.fixture(scope="module")
def districts(tmp_path_factory):
    d = tmp_path_factory.mktemp("districts")
    paths = []
    for name, (hh, seed) in DISTRICTS.items():
        gp.synth(households=hh, seed=seed).to_gpkg(d / f"{name}.gpkg")
        paths.append(d / f"{name}.gpkg")
    return paths


def merged(out: Path) -> dict:
    """What must not differ between two runs of the same batch."""
    homes = gpd.read_file(out / "plan.gpkg", layer="homes")
    grids = gpd.read_file(out / "plan.gpkg", layer="grids")
    return {
        "households": homes.groupby("region")["households"].sum().to_dict(),
        "grids": grids.groupby("region").size().to_dict(),
        "grid_ids": {r: sorted(g["grid_id"]) for r, g in grids.groupby("region")},
        "grid_households": dict(zip(grids["grid_id"], grids["households"])),
    }


def assert_every_region_once(out: Path):
    homes = gpd.read_file(out / "plan.gpkg", layer="homes")
    grids = gpd.read_file(out / "plan.gpkg", layer="grids")
    assert homes.groupby("region")["households"].sum().to_dict() == {
        n: hh for n, (hh, _) in DISTRICTS.items()}
    assert grids["grid_id"].is_unique
    assert sorted(p.name for p in (out / "regions").iterdir()) == sorted(DISTRICTS)
    assert all((out / "regions" / n / MARKER).exists() for n in DISTRICTS)


def test_killing_a_worker_mid_batch_loses_and_doubles_nothing(tmp_path, districts):
    from distributed import Client, LocalCluster
    killed, in_flight = [], []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=50) as cluster, \
            Client(cluster) as client:

        def kill_a_busy_worker(result):
            if killed:
                return
            busy = {w: keys for w, keys in client.processing().items() if keys}
            assert busy, "no worker is planning a region: the test would prove nothing"
            worker, keys = next(iter(busy.items()))
            pid = client.run(os.getpid, workers=[worker])[worker]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            in_flight.extend(k.split("-")[2] for k in keys)

        result = run_batch(districts, tmp_path / "out", scheduler=cluster.scheduler_address,
                           on_region=kill_a_busy_worker)
    assert killed and in_flight and result.ok, result.failed
    by_name = {r.name: r for r in result.regions}
    for name in in_flight:          # planned again, by another worker process
        assert by_name[name].complete
        assert by_name[name].worker_pid != killed[0]
    assert result.summary.totals.households_check.ok
    assert_every_region_once(tmp_path / "out")


def _batch_cmd(out: Path, districts, workers: int):
    return [sys.executable, "-m", "gridplan.cli", "batch", *map(str, districts), "--out",
            str(out), "--workers", str(workers)]


def test_killing_the_batch_then_rerunning_redoes_only_the_unfinished(tmp_path, districts):
    out = tmp_path / "out"
    proc = subprocess.Popen(_batch_cmd(out, districts, 1), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not list((out / "regions").glob(f"*/{MARKER}")):
            assert proc.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)       # the batch, its cluster and its workers
        proc.wait()
    finished = {p.parent.name: p.stat().st_mtime_ns
                for p in (out / "regions").glob(f"*/{MARKER}")}
    assert 0 < len(finished) < len(DISTRICTS)
    assert not (out / "summary.json").exists()

    r = subprocess.run(_batch_cmd(out, districts, 2), capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    reused = {x["name"] for x in summary["regions"] if x["reused"]}
    assert reused == set(finished)
    for name, mtime in finished.items():
        assert (out / "regions" / name / MARKER).stat().st_mtime_ns == mtime
    assert not [p for p in (out / "regions").iterdir() if p.name.startswith(".")]
    assert_every_region_once(out)

    clean = tmp_path / "clean"
    run_batch(districts, clean, workers=2)
    assert merged(out) == merged(clean)
    assert summary["totals"]["households"] == sum(hh for hh, _ in DISTRICTS.values())
