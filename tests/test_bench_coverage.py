"""The coverage benchmark's small mode runs end to end and its peers agree with gridplan."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "coverage_vs_peers.py"


@pytest.mark.slow
def test_coverage_benchmark_small_mode(tmp_path):
    for name in ("spopt", "pulp", "psutil", "networkx"):
        pytest.importorskip(name)
    out = tmp_path / "small.json"
    run = subprocess.run([sys.executable, str(SCRIPT), "--small", "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    res = json.loads(out.read_text())
    assert res["small"] is True
    assert len(res["walk"]) >= 2
    for net in res["walk"]:
        by = {r["method"].split(" ")[0] + " " + r["method"].split(" ")[1]: r
              for r in net["results"]}
        assert all("error" not in r for r in net["results"]), net["results"]
        for r in net["results"]:
            if r["method"].startswith("networkx"):
                assert r["reach_mismatch_nodes"] == 0
                assert r["nodes_in_reach"] > 0
                if not isinstance(r["max_abs_diff_m"], str):
                    assert r["max_abs_diff_m"] < 1e-6
        assert by["gridplan walk_distances"]["stations_run"] == net["stations"]
    (inst,) = res["siting"]
    assert {r["problem"] for r in inst["results"]} == {"LSCP", "MCLP"}
    for r in inst["results"]:
        assert "error" not in r and "skipped" not in r, r
        if r["method"].startswith("gridplan"):
            assert r["equal_or_better_than_spopt"] is True
            assert r["proven_optimal"] is True
    assert "| network |" in run.stdout and "| instance |" in run.stdout
