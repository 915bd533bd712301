"""The work of one region, run on a Dask worker: load, plan, write the folder atomically,
and return a few figures (never the GeoDataFrames)."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

from ..config import PlanConfig
from ..errors import InputError
from ..io.write import write_json
from ..summary import RegionRecord, Summary
from .manifest import MARKER, REGIONS, publish_folder
from .regions import Region, load_region


class _NotATerminal(io.TextIOBase):
    """The worker's stderr, passed through, but not a terminal: a region's own progress bars
    stay quiet while the batch shows one bar over regions."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return False


def region_figures(summary: Summary) -> dict:
    """The figures of one region's summary that a batch summary lists (and its completion
    marker records), as RegionRecord's fields."""
    g, c, cov = summary.grids, summary.communities, summary.coverage
    return {
        "households": summary.households,
        "homes": summary.homes,
        "grids": g.count,
        "grids_within_bounds_share": g.within_bounds_share,
        "grids_unresolved": len(g.unresolved),
        "communities": c.count,
        "communities_within_bounds_share": c.within_bounds_share,
        "straight_share": cov.straight_share,
        "walk_share": cov.walk_share,
        "walk_15min_share": cov.walk_15min_share,
        "uncovered_households": cov.uncovered_households,
        "proposed_stations": summary.siting.proposed,
    }


def plan_region(region: Region, out: str, config: PlanConfig, coords: str, input_hash: str,
                config_hash: str, version: str) -> RegionRecord:
    """Plan one region and publish ``out/regions/<name>/`` whole, its marker written last.

    Parameters
    ----------
    region : Region
    out : str
        The batch folder (shared by the workers and the client).
    config : PlanConfig
    coords : str
        Datum of lon/lat input.
    input_hash, config_hash, version : str
        Recorded in the marker, so a re-run knows what this folder was planned from.

    Returns
    -------
    RegionRecord
        'complete' with the region's figures, or 'failed' with its ``error`` (one line,
        for bad input).

    Raises
    ------
    Exception
        Anything but InputError, so Dask may retry it; bad input is returned as a failure
        because running it again cannot help.
    """
    t = time.perf_counter()
    base = dict(name=region.name, input=str(region.path), key=region.key,
                input_hash=input_hash, config_hash=config_hash, gridplan=version,
                worker_pid=os.getpid())
    regions_dir = Path(out) / REGIONS
    stage = regions_dir / f".{region.name}.{uuid.uuid4().hex}.stage"
    try:
        with contextlib.redirect_stderr(_NotATerminal(sys.stderr)):
            return _plan_and_publish(region, regions_dir, stage, config, coords, base, t)
    except InputError as e:
        return RegionRecord(**base, status="failed", error=e.line(),
                            seconds=round(time.perf_counter() - t, 3))
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def _plan_and_publish(region: Region, regions_dir: Path, stage: Path, config: PlanConfig,
                      coords: str, base: dict, t: float) -> RegionRecord:
    from ..plan import plan
    city = load_region(region, coords=coords, config=config)
    households_input = city.households
    p = plan(city, config)
    summary = p.summary
    if summary.households != households_input:
        raise RuntimeError(f"planned {summary.households} households of "
                           f"{households_input} read: households lost or doubled")
    p.save(stage)
    result = RegionRecord(**base, status="complete", error=None,
                          households_input=households_input, **region_figures(summary),
                          seconds=round(time.perf_counter() - t, 3),
                          finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                          folder=f"{REGIONS}/{region.name}")
    write_json(result.to_json(), stage / MARKER, atomic=True)
    publish_folder(stage, regions_dir / region.name)
    return result
