"""examples/what_if.ipynb: the committed notebook is current and shows its outputs, and it
runs from top to bottom in a fresh kernel."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _builder():
    spec = importlib.util.spec_from_file_location("build_what_if",
                                                  EXAMPLES / "build_what_if.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _outputs(nb, kind):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == kind]


def test_the_committed_notebook_is_current_and_shows_its_outputs():
    build = _builder()
    committed = nbformat.read(build.NOTEBOOK, as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in build.notebook().cells], \
        "examples/what_if.ipynb is stale: run .venv/bin/python examples/build_what_if.py"
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert all(c.outputs for c in code)
    assert not _outputs(committed, "error")
    html = [o for o in _outputs(committed, "display_data") + _outputs(committed, "execute_result")
            if "text/html" in o.data]
    assert any("leaflet" in o.data["text/html"].lower() for o in html)


def test_the_notebook_runs_in_a_fresh_kernel(tmp_path):
    build = _builder()
    nb = build.execute(build.notebook(), str(tmp_path))
    assert not _outputs(nb, "error")
    text = "\n".join(o.text for o in _outputs(nb, "stream"))
    assert "100.0% of grids in 300–400" in text
    table = next(o.data["text/plain"] for o in _outputs(nb, "execute_result")
                 if "300-400" in o.data.get("text/plain", "") and "grids_in_range" in
                 o.data.get("text/plain", ""))
    assert "all proposed built" in table
    assert {p.name for p in (tmp_path / "out" / "what_if_300_400").iterdir()} >= {
        "plan.gpkg", "summary.json", "map.html"}
