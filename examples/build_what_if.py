"""Write examples/what_if.ipynb from the cells below and execute it, so the notebook in the
repository always shows real outputs. Run: ``.venv/bin/python examples/build_what_if.py``.
The test suite executes the notebook again (tests/test_example.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "what_if.ipynb"

CELLS = [
    ("md", """# What if? Trying variants of a plan

This notebook walks through the demo district (the one `make demo` plans): plan it, look at
the map, tighten the household range, add stations, and compare the variants side by side.
Everything runs offline; the district is generated from a seed."""),
    ("code", """import time
import gridplan as gp

city = gp.synth(households=60_000, seed=0)   # or gp.load("district.gpkg")
city"""),
    ("md", """## The plan

`gp.plan` cuts grids of 300–500 households, nests them in communities of 3,000–5,000,
measures how far every home is from a station (straight and on foot) and proposes the
fewest new stations that bring every household within 500 m."""),
    ("code", """t = time.perf_counter()
plan = gp.plan(city)
first_s = time.perf_counter() - t
print(plan)
print(f"planned in {first_s:.2f} s")
plan.summary.coverage"""),
    ("code", """plan.grids[["grid_id", "community_id", "households", "homes", "polsby_popper",
            "share_radius", "share_15min", "station_in_reach"]].head()"""),
    ("md", """The review map: grids coloured by households against the range, communities,
stations with their 500 m circles and walk isochrones, homes beyond the radius and the
proposed stations. Every layer can be switched on and off."""),
    ("code", """plan.map()"""),
    ("md", """## A tighter range

Some districts staff one grid worker per 300–400 households. `replan` keeps what does not
depend on the range (the Voronoi cells, the walk network, every distance) and cuts again."""),
    ("code", """t = time.perf_counter()
tight = plan.replan(max_households=400)
print(tight)
print(f"re-planned in {time.perf_counter() - t:.2f} s (the first plan took {first_s:.2f} s)")"""),
    ("md", """## More stations

Take the proposed stations as built: `with_stations` measures distances to the new ones
only. Or ask for the best three new stations (maximal covering) with `add_stations=3`."""),
    ("code", """t = time.perf_counter()
built = plan.with_stations("proposed")
print(f"{len(built.stations)} stations, measured in {time.perf_counter() - t:.2f} s")
three = plan.replan(add_stations=3)
three.proposed[["kind", "proposed_rank", "households_added", "households_in_reach"]]"""),
    ("md", """## Side by side"""),
    ("code", """cmp = gp.compare({"300-500": plan, "300-400": tight, "3 new stations": three,
                  "all proposed built": built})
cmp.table"""),
    ("code", """cmp.map("300-500", "300-400")"""),
    ("md", """## Keep the result

`save` writes `plan.gpkg` (open it in QGIS), `summary.json` and `map.html`, through a
temporary folder so the output is never half-written."""),
    ("code", """tight.save("out/what_if_300_400")
sorted(p.name for p in __import__("pathlib").Path("out/what_if_300_400").iterdir())"""),
]


def notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md"
                else nbformat.v4.new_code_cell(src) for kind, src in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def execute(nb: nbformat.NotebookNode, cwd: str, timeout: int = 600) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel with ``cwd`` as its folder."""
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": cwd}}).execute()
    return nb


if __name__ == "__main__":
    nb = notebook()
    with tempfile.TemporaryDirectory() as tmp:
        execute(nb, tmp)
    nbformat.write(nb, NOTEBOOK)
    print(f"wrote {NOTEBOOK} ({os.path.getsize(NOTEBOOK) / 1e6:.1f} MB)")
