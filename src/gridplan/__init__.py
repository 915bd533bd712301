"""gridplan: grids of 300–500 households nested in communities, and how well stations reach them.

>>> import gridplan as gp
>>> city = gp.synth(households=60_000, seed=1)   # or gp.load("district.gpkg")
>>> plan = gp.plan(city, max_households=400)
>>> plan.grids, plan.summary
"""

from .city import City
from .config import PlanConfig
from .errors import InputError
from .io import load
from .partition import Partition, partition
from .compare import Comparison, compare
from .coverage import site_from_matrix
from .plan import Plan, plan
from .site import Siting, site
from . import propose
from .synth import synth

__all__ = ["City", "Comparison", "InputError", "Partition", "Plan", "PlanConfig", "Siting",
           "compare", "load", "partition", "plan", "propose", "site", "site_from_matrix", "synth"]
__version__ = "0.1.0"
