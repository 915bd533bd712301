"""Run a batch: decide what to plan, fan it out on Dask distributed, record it, merge it."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm import tqdm

from ..config import PlanConfig
from ..errors import InputError
from ..outputs.folder import BATCH_NAMES, check_out, prepare_batch_folder
from ..progress import on_terminal
from ..summary import BatchSummary, RegionRecord, to_json
from .manifest import (REGIONS, Manifest, clean_batch_folder, clean_regions_folder, is_current,
                       read_marker, settings_hash)
from .merge import merge_batch
from .regions import Region, discover_regions, file_sha256, input_hash
from .task import plan_region

#: Times Dask re-runs a region whose task raised something other than bad input.
RETRIES = 2
#: Worker deaths a region's task may see before it is reported as failed (Dask's
#: ``distributed.scheduler.allowed-failures``; applies to the LocalCluster this module starts).
WORKER_DEATHS_ALLOWED = 3
#: Seconds between rewrites of manifest.json while regions finish (it is always written at the
#: end; the markers in the region folders are what a re-run trusts).
MANIFEST_EVERY_S = 2.0
#: Seconds to wait for an existing scheduler to answer.
CONNECT_TIMEOUT_S = 30


@dataclass
class BatchResult:
    """What :func:`run_batch` did.

    Attributes
    ----------
    out : Path
    regions : list of RegionRecord
        One per region in input order, with ``reused`` set.
    summary : BatchSummary
        The figures written as ``summary.json``.
    """

    out: Path
    regions: list
    summary: BatchSummary

    @property
    def failed(self) -> list[RegionRecord]:
        """The regions that did not complete, with their ``error``."""
        return [r for r in self.regions if not r.complete]

    @property
    def ok(self) -> bool:
        """Every region complete and every household read, planned and merged once."""
        return not self.failed and self.summary.totals.households_check.ok

    def lines(self) -> list[str]:
        """A short report for the terminal."""
        t = self.summary.totals
        reused = sum(1 for r in self.regions if r.reused)
        share = (f", {t.grids_within_bounds_share:.1%} within bounds"
                 if t.grids_within_bounds_share is not None else "")
        cov = (f"; coverage within the radius {t.straight_share:.1%}"
               if t.straight_share is not None else "")
        check = t.households_check
        return [
            f"{t.complete} of {t.regions} regions complete ({reused} reused, "
            f"{t.complete - reused} planned), {t.failed} failed",
            f"{t.households:,} households in {t.grids:,} grids{share}, "
            f"{t.communities:,} communities{cov}",
            *([] if check.ok else [f"households do not add up: {to_json(check)}"]),
            f"wrote {self.out}/" + ("plan.gpkg, " if t.complete else "")
            + "summary.json, manifest.json, regions/",
        ]


@contextlib.contextmanager
def _lock(out: Path):
    """One batch at a time per folder (the lock goes with the process, however it ends)."""
    f = open(out / ".lock", "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise InputError("another batch is writing to this folder: expected one at a time",
                         file=out) from None
    try:
        yield
    finally:
        fcntl.flock(f, fcntl.LOCK_UN)
        f.close()


@contextlib.contextmanager
def dask_client(workers: int | None, scheduler: str | None):
    """A ``distributed.Client`` on an existing scheduler, or on a LocalCluster of ``workers``
    single-threaded worker processes with no dashboard and quiet logs."""
    import dask
    from distributed import Client, LocalCluster
    quiet = logging.ERROR
    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = stack.enter_context(Client(scheduler, timeout=CONNECT_TIMEOUT_S))
            except (OSError, TimeoutError) as e:
                raise InputError(f"--scheduler {scheduler}: cannot connect ({e})") from None
        else:
            stack.enter_context(dask.config.set(
                {"distributed.scheduler.allowed-failures": WORKER_DEATHS_ALLOWED}))
            cluster = stack.enter_context(LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=quiet))
            client = stack.enter_context(Client(cluster))
        for name in ("distributed", "distributed.client", "distributed.nanny",
                     "distributed.scheduler", "distributed.worker"):
            logging.getLogger(name).setLevel(quiet)
        yield client


def _failure(region: Region, base: dict, error: BaseException) -> RegionRecord:
    from distributed.scheduler import KilledWorker
    if isinstance(error, KilledWorker):
        line = (f"the worker planning it died {WORKER_DEATHS_ALLOWED} times "
                "(out of memory, or killed)")
    else:
        line = f"{type(error).__name__}: {error}".splitlines()[0]
    return RegionRecord(name=region.name, input=str(region.path), key=region.key, **base,
                        status="failed", error=line)


def _task_key(region: Region, out: Path, ihash: str, chash: str) -> str:
    """One key per region, folder and input: a region submitted twice is one task."""
    digest = hashlib.sha256(f"{out}\0{ihash}\0{chash}".encode()).hexdigest()[:16]
    return f"gridplan-region-{region.name}-{digest}"


def run_batch(paths, out, config: PlanConfig | None = None, *, coords: str = "wgs84",
              workers: int | None = None, scheduler: str | None = None,
              on_region=None, errors_to=None, force: bool = False) -> BatchResult:
    """Plan many regions on Dask distributed, resumably, and merge them.

    Each region is planned on a worker, which writes ``out/regions/<name>/`` (plan.gpkg,
    summary.json, map.html and, last, ``complete.json``) under a temporary name and renames it
    into place. A region whose folder is complete and whose input, settings and gridplan
    version are unchanged is not planned again. A region that fails is reported and the
    others go on. Then ``out/plan.gpkg`` and ``out/summary.json`` cover the whole batch.

    Parameters
    ----------
    paths : list of str or Path
        Input files (see :func:`gridplan.batch.regions.discover_regions`).
    out : str or Path
        The batch folder; every worker must see it at the same path.
    config : PlanConfig, optional
    coords : {'wgs84', 'gcj02', 'bd09'}
    workers : int, optional
        Worker processes of the LocalCluster (default: one per core, at most one per region).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) instead of a LocalCluster.
    on_region : callable, optional
        Called with each region's RegionRecord as it finishes (reused ones first).
    errors_to : file, optional
        Where to write one line per failed region as it fails (e.g. ``sys.stderr``).
    force : bool
        Use an ``out`` that holds files gridplan did not write (never replacing them);
        without it such a folder is refused.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        For bad command-line input: see ``discover_regions``, an ``out`` that is a file, a
        scheduler that cannot be reached, or another batch writing to ``out``.
    """
    t0 = time.perf_counter()
    config = config or PlanConfig()
    if workers is not None and scheduler:
        raise InputError("--workers and --scheduler: expected one or the other")
    if workers is not None and workers < 1:
        raise InputError(f"--workers = {workers}: expected a whole number >= 1")
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder: expected a folder for the batch", file=out)
    check_out(out, force=force, inputs=paths, legacy=BATCH_NAMES)
    regions = discover_regions([Path(p).resolve() for p in paths])
    if not regions:
        raise InputError("no regions: expected one or more input files")
    with contextlib.ExitStack() as stack:
        # an existing scheduler is reached before anything is written; a local cluster is
        # started only when some region needs planning
        client = stack.enter_context(dask_client(None, scheduler)) if scheduler else None
        prepare_batch_folder(out, force=force, inputs=paths)
        stack.enter_context(_lock(out))
        return _run_locked(regions, out, config, coords, workers, scheduler, client,
                           on_region, errors_to, t0)


def _run_locked(regions, out, config, coords, workers, scheduler, client, on_region,
                errors_to, t0) -> BatchResult:
    from .. import __version__
    chash = settings_hash(config, coords)
    file_hashes = {p: file_sha256(p) for p in dict.fromkeys(r.path for r in regions)}
    ihash = {r.name: input_hash(r, file_hashes[r.path]) for r in regions}
    manifest = Manifest(out, chash, __version__)
    regions_dir = out / REGIONS
    regions_dir.mkdir(exist_ok=True)
    clean_batch_folder(out)
    clean_regions_folder(regions_dir, [r.name for r in regions])
    results: dict[str, RegionRecord] = {}
    todo = []
    for r in regions:
        marker = read_marker(regions_dir / r.name)
        if is_current(marker, ihash[r.name], chash, __version__):
            results[r.name] = replace(marker, reused=True)
        else:
            todo.append(r)
        done = results.get(r.name)
        manifest.set(r.name, input=str(r.path), key=r.key, input_hash=ihash[r.name],
                     config_hash=chash, gridplan=__version__,
                     status="complete" if done else "pending", error=None,
                     households=done.households if done else None,
                     seconds=done.seconds if done else None)
    manifest.save()
    bar = tqdm(total=len(regions), initial=len(results), unit="region",
               disable=not on_terminal(), desc="regions")
    for r in regions:
        if r.name in results and on_region:
            on_region(results[r.name])
    try:
        if todo:
            n = workers or min(os.cpu_count() or 1, len(todo))
            with (contextlib.nullcontext(client) if client is not None
                  else dask_client(n, None)) as c:
                _plan_all(c, todo, out, config, coords, ihash, chash, __version__,
                          results, manifest, bar, on_region, errors_to)
    finally:
        bar.close()
        manifest.save()
    clean_regions_folder(regions_dir, [])     # temporary folders of tasks that died
    tasks_done_s = time.perf_counter() - t0
    ordered = [results[r.name] for r in regions]
    summary = merge_batch(out, ordered, {
        "config": config.to_dict(), "coords": coords, "config_hash": chash,
        "scheduler": scheduler or f"LocalCluster({workers or 'auto'} workers)",
        "tasks_done_seconds": round(tasks_done_s, 3),    # from the start, merge aside
        "region_seconds": round(sum(r.seconds or 0 for r in ordered if not r.reused), 3),
    })
    return BatchResult(out=out, regions=ordered, summary=summary)


def _plan_all(client, todo, out, config, coords, ihash, chash, version, results, manifest,
              bar, on_region, errors_to) -> None:
    from distributed import as_completed
    futures = {}
    for r in todo:
        fut = client.submit(plan_region, r, str(out), config, coords, ihash[r.name], chash,
                            version, key=_task_key(r, out, ihash[r.name], chash),
                            retries=RETRIES, pure=False)
        futures[fut] = r
    last_save = time.monotonic()
    for fut in as_completed(futures):
        r = futures.pop(fut)
        base = dict(input_hash=ihash[r.name], config_hash=chash, gridplan=version)
        try:
            res = fut.result()
        except Exception as e:          # a task that raised after its retries, or lost workers
            res = _failure(r, base, e)
        fut.release()
        res = replace(res, reused=False)
        results[r.name] = res
        manifest.set(r.name, status=res.status, error=res.error, households=res.households,
                     seconds=res.seconds)
        if not res.complete and errors_to is not None:
            tqdm.write(f"gridplan: region {r.name} failed: {res.error}", file=errors_to)
        bar.update(1)
        if on_region:
            on_region(res)
        if time.monotonic() - last_save > MANIFEST_EVERY_S:
            manifest.save()
            last_save = time.monotonic()

