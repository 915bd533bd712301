"""Batch planning of many districts on Dask distributed: resumable, nothing lost or doubled.

>>> from gridplan.batch import run_batch
>>> result = run_batch(["a.gpkg", "b.gpkg"], "out/", workers=2)   # doctest: +SKIP
>>> result.summary.totals.households, result.failed               # doctest: +SKIP

Modules: ``regions`` (which regions, and reading one), ``manifest`` (what is done, atomic
writes), ``task`` (one region on a worker), ``runner`` (the Dask fan-out), ``merge`` (one
plan.gpkg and summary.json for the batch).
"""

from .regions import Region, discover_regions, load_region
from .runner import BatchResult, run_batch

__all__ = ["BatchResult", "Region", "discover_regions", "load_region", "run_batch"]
