"""Every module of the package imports by its dotted name both ways, ``import a.b.c as m`` and
``from a.b import c``, though public functions share names with modules (``gridplan.plan``,
``gridplan.partition``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Run in a fresh interpreter, so the order the modules load in is the one given, not what
# the other tests left in sys.modules. Prints what went wrong, one line each.
SCRIPT = r"""
import importlib, json, sys, types
names, first = json.loads(sys.argv[1]), sys.argv[2]
bad = []
for name in names:
    parent, _, leaf = name.rpartition(".")
    forms = {"as": f"import {name} as m", "from": f"from {parent} import {leaf} as m"}
    for form in sorted(forms, key=lambda f: f != first):
        space = {}
        try:
            exec(forms[form], space)
        except Exception as e:
            bad.append(f"{forms[form]}: {type(e).__name__}: {e}")
            continue
        got, module = space["m"], sys.modules.get(name)
        gp = sys.modules["gridplan"]
        # a module named as a public function (gridplan.plan): the package's name is the
        # function, both ways
        want = (getattr(gp, leaf) if parent == "gridplan" and leaf in gp.PUBLIC
                and leaf not in gp.MODULES else module)
        if got is not want:
            bad.append(f"{forms[form]}: got {got!r}, expected {want!r}")
print(json.dumps(bad))
"""


def module_names() -> list[str]:
    """Every module and package under src/gridplan by its dotted name."""
    out = []
    for f in sorted((SRC / "gridplan").rglob("*.py")):
        parts = list(f.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) > 1:
            out.append(".".join(parts))
    return out


@pytest.mark.parametrize("first", ["as", "from"])
def test_every_module_imports_by_its_dotted_name_both_ways(first):
    names = module_names()
    assert {"gridplan.partition.exact", "gridplan.outputs.review.rules",
            "gridplan.plan"} <= set(names)
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(names), first],
                          capture_output=True, text=True, cwd=SRC.parent,
                          env={**os.environ, "PYTHONPATH": str(SRC)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_public_partition_is_the_function_after_its_subpackage_is_imported():
    import gridplan as gp
    import gridplan.partition.exact as ex
    from gridplan.partition import divide, exact

    assert ex is exact and ex.__name__ == "gridplan.partition.exact"
    assert gp.partition is divide.partition and callable(gp.partition)
    assert gp.plan.__module__ == "gridplan.plan" and callable(gp.plan)
