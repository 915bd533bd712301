"""gridplan: grids of 300–500 households nested in communities, and how well stations reach them.

>>> import gridplan as gp
>>> city = gp.synth(households=60_000, seed=1)   # or gp.load("district.gpkg")
>>> plan = gp.plan(city, max_households=400)
>>> plan.grids, plan.summary
"""

import sys
import types
from importlib import import_module

__version__ = "0.1.0"

#: Each public name and the module it lives in. They load on first use, so ``import gridplan``
#: (and the command's start) does not pay for geopandas, SciPy and folium up front.
PUBLIC = {
    "City": "city", "Comparison": "compare", "InputError": "errors", "Partition": "partition",
    "Plan": "plan", "PlanConfig": "config", "Siting": "site", "compare": "compare",
    "load": "io", "partition": "partition", "plan": "plan", "propose": "propose",
    "site": "site", "site_from_matrix": "coverage", "synth": "synth",
    "Summary": "summary",
}
#: Public names that are modules themselves.
MODULES = {"propose"}
__all__ = sorted(PUBLIC)


class _Package(types.ModuleType):
    """The package, whose public functions keep their names when a module of the same name
    (``gridplan.plan``, ``gridplan.site``, ...) is imported: ``gp.plan`` is always the
    function, as it was when this file imported them all."""

    def __getattr__(self, name):
        if name not in PUBLIC:
            raise AttributeError(f"module 'gridplan' has no attribute {name!r}")
        module = import_module(f"{__name__}.{PUBLIC[name]}")
        value = module if name in MODULES else getattr(module, name)
        if PUBLIC[name] == name and hasattr(module, "__path__") and name not in MODULES:
            _Shadowed.carry(module, value)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name, value):
        # the import system binds a submodule on its package; a public function of that
        # name wins (it is bound now or on first use)
        if name in PUBLIC and name not in MODULES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(PUBLIC))


class _Shadowed(types.ModuleType):
    """A subpackage whose name a public function takes (``gridplan.partition``): its
    submodules are bound on that function too, because ``import gridplan.partition.exact as
    ex`` looks each name up on the one before it (gridplan, then partition, then exact), and
    there ``partition`` is the function. ``from gridplan.partition import exact`` goes through
    the subpackage and needs none of this."""

    @staticmethod
    def carry(package: types.ModuleType, function) -> None:
        """Bind the submodules ``package`` has now on ``function``, and those it gets later."""
        for key, value in list(vars(package).items()):
            _Shadowed._bind(package, function, key, value)
        object.__setattr__(package, "_function", function)
        package.__class__ = _Shadowed

    @staticmethod
    def _bind(package, function, key, value) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{package.__name__}.{key}":
            setattr(function, key, value)

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        # the import system binds a newly imported submodule here
        _Shadowed._bind(self, self._function, name, value)


sys.modules[__name__].__class__ = _Package
