"""Every public name explains itself, and the examples in the docstrings run."""

from __future__ import annotations

import doctest
import inspect

import pytest

import gridplan as gp


def _public():
    for name in gp.__all__:
        obj = getattr(gp, name)
        yield name, obj
        if inspect.isclass(obj):
            for m, v in vars(obj).items():
                if not m.startswith("_") and (callable(v) or isinstance(v, property)):
                    yield f"{name}.{m}", v.fget if isinstance(v, property) else v


@pytest.mark.parametrize("name, obj", list(_public()), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_every_public_name_has_a_docstring(name, obj):
    assert inspect.getdoc(obj), f"{name} has no docstring"


@pytest.mark.parametrize("module", ["gridplan.plan", "gridplan.site", "gridplan.compare",
                                    "gridplan.coverage.siting", "gridplan.summary"])
def test_docstring_examples_run(module):
    import importlib
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
