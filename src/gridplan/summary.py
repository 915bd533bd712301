"""A plan's results as types, and summary.json written from them and read back into them."""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from .columns import (COVERED_15MIN, COVERED_RADIUS, COVERED_RADIUS_WALK, HOME_INDEX, HOUSEHOLDS,
                      HOUSEHOLDS_SOURCE, PART, UNITS, WALK_M)
from .coverage.measure import summary_share
from .errors import InputError
# the partition makes its notes as these types, and summary.json holds them as they are;
# named here too, beside the other results
from .notes import CompoundCut, Moved, Note, Unresolved  # noqa: F401

PACKAGES = ("gridplan", "geopandas", "shapely", "pyproj", "pyogrio", "osmnx", "pyrosm", "momepy",
            "scipy", "numpy", "pandas", "scikit-learn", "folium")

#: Field metadata: the key is left out of summary.json when the value is None (as it was
#: written before these types: a key that only some plans have).
OMIT_NONE = {"omit_none": True}
#: Field metadata of a siting figure only a solved model has: left out when no model ran.
SOLVED = {"solved": True}
#: Field metadata of a batch region's figure: left out of the record of a region that did
#: not complete (its ``status`` is not 'complete').
COMPLETE = {"complete": True}


# --- the one place a result becomes JSON, and JSON a result ---------------------------------

def to_json(result) -> dict:
    """A result (any type of this module) as the plain dict summary.json holds, its keys in
    the order of the fields.

    Parameters
    ----------
    result : Summary, SiteSummary, SitingSummary, Unresolved, Moved, Note, ...

    Returns
    -------
    dict
        Lists for tuples, dicts for nested results; other values as they are (the JSON
        encoder, :func:`gridplan.io.write.write_json`, turns NumPy numbers into JSON).
    """
    return _plain(result)


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        status = getattr(value, "status", "")
        out = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if (v is None and f.metadata.get("omit_none")) or (
                    f.metadata.get("solved") and status is None) or (
                    f.metadata.get("complete") and status != "complete"):
                continue
            out[f.name] = _plain(v)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def from_json(cls, data: dict):
    """A result of type ``cls`` from the plain dict summary.json holds (the inverse of
    :func:`to_json`); keys it does not know are ignored, keys it lacks take the field's
    default, and a key without a default that is missing is an InputError naming it.

    Parameters
    ----------
    cls : type
        One of this module's result types.
    data : dict

    Returns
    -------
    cls

    Raises
    ------
    InputError
        For a key the type needs that ``data`` lacks, or a value of the wrong shape (an
        object or a list where the type has none), naming its keys from the top.
    """
    return _from_json(cls, data, cls.__name__)


def _from_json(cls, data, path: str):
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object, not {type(data).__name__} ({_WRITTEN})")
    hints = _hints(cls)
    kw = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kw[f.name] = _typed(hints[f.name], data[f.name], f"{path}.{f.name}")
        elif f.default is dataclasses.MISSING:
            where = cls.__name__ + ("" if path == cls.__name__ else f" ({path})")
            raise InputError(f"no {f.name!r} in {where}: {_WRITTEN}")
    return cls(**kw)


_WRITTEN = "expected a summary.json written by this version of gridplan"


@functools.lru_cache(maxsize=None)
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _typed(hint, value, path: str):
    """``value`` read from JSON as the type ``hint`` says: nested results, tuples for lists
    (``path``: its keys from the top, for an error)."""
    if value is None:
        return None
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _typed(inner[0], value, path) if len(inner) == 1 else value
    if dataclasses.is_dataclass(hint):
        return _from_json(hint, value, path)
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, (list, tuple)):
            raise InputError(f"{path}: expected a list, not {type(value).__name__} "
                             f"({_WRITTEN})")
        item = args[0] if args else typing.Any
        if len(args) == 1 or (len(args) == 2 and args[1] is Ellipsis):
            return tuple(_typed(item, v, f"{path}[{i}]") for i, v in enumerate(value))
        return tuple(_typed(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    return value


# --- the types ---------------------------------------------------------------------------

class _Json:
    """``to_json`` and ``from_json`` for the results summary.json files hold whole."""

    def to_json(self) -> dict:
        """The contents of summary.json (see :func:`to_json`)."""
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict):
        """The result from the contents of a summary.json (see :func:`from_json`)."""
        return from_json(cls, data)


@dataclass(frozen=True)
class AppliedMove:
    """One move of a review session that gridplan applied.

    Attributes
    ----------
    edit : int
        Its number in the edits file.
    home_index, part : int
        The home (row of the input's homes) and its part (0 for a whole home).
    from_grid, to_grid : str
    homes, households : int
        What moved: a home of a compound that fits in one grid takes its compound along.
    compound : str or None
    """

    edit: int
    home_index: int
    part: int
    from_grid: str
    to_grid: str
    homes: int
    households: int
    compound: str | None


@dataclass(frozen=True)
class RefusedEdit:
    """One edit of a review session that gridplan did not apply, and why.

    Attributes
    ----------
    edit : int
        Its number in the edits file.
    type : str
        'move' or 'comment'.
    home_index, part, from_grid, to_grid : optional
        For a move: the home, its part and the two grids it named.
    target : str or None
        For a comment: what it was left on.
    reason : str
        In gridplan's words.
    """

    edit: int
    type: str
    home_index: int | None = field(default=None, metadata=OMIT_NONE)
    part: int | None = field(default=None, metadata=OMIT_NONE)
    from_grid: str | None = field(default=None, metadata=OMIT_NONE)
    to_grid: str | None = field(default=None, metadata=OMIT_NONE)
    target: str | None = field(default=None, metadata=OMIT_NONE)
    reason: str = ""


@dataclass(frozen=True)
class EditsReport:
    """What a review session's edits came to (``Plan.edits``, summary.json's ``edits``).

    Attributes
    ----------
    file : str
        The edits file.
    applied : int
        Moves applied.
    refused : tuple of RefusedEdit
        Moves and comments not applied, in the file's order.
    comments : int
        Comments attached to grids and homes.
    homes_moved, households_moved : int
    moves : tuple of AppliedMove
    note : str or None
        Set when the edits were made on another plan.
    previous : EditsReport or None
        The report of the edits applied before these (a session applied to an edited plan).
    """

    file: str
    applied: int
    refused: tuple[RefusedEdit, ...]
    comments: int
    homes_moved: int
    households_moved: int
    moves: tuple[AppliedMove, ...]
    note: str | None = field(default=None, metadata=OMIT_NONE)
    previous: EditsReport | None = field(default=None, metadata=OMIT_NONE)

    @classmethod
    def from_checks(cls, file, applied: list[AppliedMove], refused: list[RefusedEdit],
                    comments: int, note: str | None = None,
                    previous: EditsReport | None = None):
        """From the review rules' applied and refused edits, the totals counted."""
        moves = tuple(applied)
        return cls(file=file, applied=len(moves), refused=tuple(refused), comments=comments,
                   homes_moved=int(sum(m.homes for m in moves)),
                   households_moved=int(sum(m.households for m in moves)),
                   moves=moves, note=note, previous=previous)


@dataclass(frozen=True)
class SitingSummary:
    """The figures of one siting run (``siting`` in summary.json), of a plan or of
    :func:`gridplan.site`.

    Attributes
    ----------
    metric : {'straight', 'walk'}
    radius_m : float
    candidates : int
        Candidate sites considered.
    add : int or None
        ``add_stations``: None for the fewest that reach every coverable household.
    one_station_per_grid : bool
    target_coverage : float or None
    candidate_sites : {'given', 'homes', 'streets and buildings'}
    proposed : int
        New stations proposed.
    covered_households, coverable_households, uncoverable_households : int
        Reached by an existing or proposed station; reachable by some candidate or station;
        reachable by none.
    unreachable_grids : tuple of str or None
        With ``one_station_per_grid``: grids no candidate reaches. None when no model ran
        (no candidate sites).
    cost : float or None
        The proposed stations' total cost, when candidates have a ``cost``.
    gap : float or None
        The solver's relative optimality gap; None when unknown.
    bound : float or None
        The solver's bound; None when unknown.
    method : str
    status : str or None
        The solver's status; None when no model ran (no candidate sites): then
        ``unreachable_grids``, ``bound`` and ``status`` are not in summary.json.
    seconds : float
    """

    metric: str
    radius_m: float
    candidates: int
    add: int | None
    one_station_per_grid: bool
    target_coverage: float | None
    candidate_sites: str
    proposed: int
    covered_households: int
    coverable_households: int
    uncoverable_households: int
    unreachable_grids: tuple[str, ...] | None = field(default=None, metadata=SOLVED)
    cost: float | None = field(default=None, metadata=OMIT_NONE)
    gap: float | None = None
    bound: float | None = field(default=None, metadata=SOLVED)
    method: str = ""
    status: str | None = field(default=None, metadata=SOLVED)
    seconds: float = 0.0


@dataclass(frozen=True)
class GridFigures:
    """The grids of a plan (``grids`` in summary.json).

    Attributes
    ----------
    count : int
    households_min, households_max : int
    households_mean : float
    households_cv : float
        Coefficient of variation of households per grid.
    within_bounds_share : float
        Share of grids within ``bounds``.
    bounds : tuple of int
        ``(min_households, max_households)``.
    polsby_popper_mean : float
    grids_crossing : dict of str to int
        Per kind of line (arterial, ..., water): grids whose boundary crosses one.
    unresolved : tuple of Note
    compounds_cut : tuple of CompoundCut
        Compounds cut by building (``--allow-compound-split``).
    moved : Moved or None
        For an annual update (``keep=``); None otherwise.
    method : str
    """

    count: int
    households_min: int
    households_max: int
    households_mean: float
    households_cv: float
    within_bounds_share: float
    bounds: tuple[int, int]
    polsby_popper_mean: float
    grids_crossing: dict
    unresolved: tuple[Note, ...]
    compounds_cut: tuple[CompoundCut, ...]
    moved: Moved | None
    method: str


@dataclass(frozen=True)
class SpecialGridFigures:
    """Groups of non-residential buildings with their own grid worker.

    Attributes
    ----------
    count : int
    units : int
        Buildings in them.
    """

    count: int
    units: int


@dataclass(frozen=True)
class CommunityFigures:
    """The communities of a plan (``communities`` in summary.json).

    Attributes
    ----------
    count, households_min, households_max : int
    within_bounds_share : float
    bounds : tuple of int
        ``(community_min, community_max)``.
    unresolved : tuple of Note
    """

    count: int
    households_min: int
    households_max: int
    within_bounds_share: float
    bounds: tuple[int, int]
    unresolved: tuple[Note, ...]


@dataclass(frozen=True)
class CoverageFigures:
    """How well stations reach the households (``coverage`` in summary.json). A share is
    household-weighted; None when there is nothing to weigh or no walk was measured.

    Attributes
    ----------
    stations : int
    radius_m : float
    straight_share, walk_share : float or None
        Within ``radius_m`` in a straight line, on foot.
    walk_not_measured : str or None
        Why there are no walks ('no stations', 'no streets', 'no home near a street').
    walk_15min_m : float
        The walk circle in metres.
    walk_15min_share : float or None
    grids_without_station_in_reach : int
    uncovered_households : int
        Beyond ``radius_m`` in a straight line.
    unsnapped_homes, unsnapped_households : int or None
        Farther than ``snap_max_m`` from every street; None without streets.
    method : str
    """

    stations: int
    radius_m: float
    straight_share: float | None
    walk_share: float | None
    walk_not_measured: str | None
    walk_15min_m: float
    walk_15min_share: float | None
    grids_without_station_in_reach: int
    uncovered_households: int
    unsnapped_homes: int | None
    unsnapped_households: int | None
    method: str


@dataclass(frozen=True)
class Staffing:
    """Workers the plan needs.

    Attributes
    ----------
    grid_workers : int
        One per grid.
    community_workers : tuple of int
        The range, one per 400 to one per 300 households.
    """

    grid_workers: int
    community_workers: tuple[int, int]


@dataclass(frozen=True)
class InputFigures:
    """What reading the input changed.

    Attributes
    ----------
    repaired_geometries : int
    households_estimated : int
        Homes whose households were estimated from footprint and levels.
    """

    repaired_geometries: int
    households_estimated: int


@dataclass(frozen=True)
class Summary(_Json):
    """The figures of a plan: :attr:`gridplan.Plan.summary`, written as ``summary.json``
    (:meth:`to_json`) and read back from it (:meth:`from_json`).

    Attributes
    ----------
    source : str
    crs, output_crs : str or None
        The CRS the plan was computed in; the CRS of plan.gpkg.
    households, homes, homes_split_into_parts : int
    grids : GridFigures
    special_grids : SpecialGridFigures
    communities : CommunityFigures
    coverage : CoverageFigures
    siting : SitingSummary
    staffing : Staffing
    input : InputFigures
    config : dict
        Every setting (:meth:`gridplan.PlanConfig.to_dict`).
    versions : dict
        gridplan and the libraries behind the figures.
    seconds : dict
        Per stage.
    edits : EditsReport or None
        For a plan with a review's edits applied: what they came to
        (:attr:`gridplan.Plan.edits`); not in summary.json otherwise.

    Examples
    --------
    >>> import gridplan as gp
    >>> s = gp.plan(gp.synth(households=6_000, seed=1)).summary
    >>> s.grids.count == s.staffing.grid_workers, s.to_json()["grids"]["count"] == s.grids.count
    (True, True)
    """

    source: str | None
    crs: str | None
    output_crs: str | None
    households: int
    homes: int
    homes_split_into_parts: int
    grids: GridFigures
    special_grids: SpecialGridFigures
    communities: CommunityFigures
    coverage: CoverageFigures
    siting: SitingSummary
    staffing: Staffing
    input: InputFigures
    config: dict
    versions: dict
    seconds: dict
    edits: EditsReport | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True)
class SiteSummary(_Json):
    """The figures of :func:`gridplan.site`: :attr:`gridplan.Siting.summary`, written as
    its ``summary.json``.

    Attributes
    ----------
    source : str
    households : int
    crs, output_crs : str or None
    homes, stations : int
    share_before, share_after : float or None
        Households within reach of an existing station; of an existing or proposed one.
    siting : SitingSummary
    config, versions, seconds : dict
    """

    source: str | None
    households: int
    crs: str | None
    output_crs: str | None
    homes: int
    stations: int
    share_before: float | None
    share_after: float | None
    siting: SitingSummary
    config: dict
    versions: dict
    seconds: dict


@dataclass(frozen=True)
class HouseholdsCheck:
    """Every household of a batch read, planned and merged exactly once.

    Attributes
    ----------
    input, planned, merged : int
        Households read from the complete regions' inputs, in their plans, in the merged
        homes layer.
    ok : bool
        All three equal.
    """

    input: int
    planned: int
    merged: int
    ok: bool


@dataclass(frozen=True)
class BatchTotals:
    """The figures of a whole batch, from its merged layers (``totals`` in its summary.json).
    A share is None when there is nothing to weigh.

    Attributes
    ----------
    regions, complete, failed : int
    households, homes, grids, communities : int
        Of the complete regions.
    grids_within_bounds_share, communities_within_bounds_share : float or None
    straight_share : float or None
    walk_share, walk_15min_share : float or None
        Over the regions where walks were measured.
    walk_households : int
        Households of those regions.
    uncovered_households, proposed_stations : int
    households_check : HouseholdsCheck
    """

    regions: int
    complete: int
    failed: int
    households: int
    homes: int
    grids: int
    grids_within_bounds_share: float | None
    communities: int
    communities_within_bounds_share: float | None
    straight_share: float | None
    walk_share: float | None
    walk_15min_share: float | None
    walk_households: int
    uncovered_households: int
    proposed_stations: int
    households_check: HouseholdsCheck


@dataclass(frozen=True, kw_only=True)
class RegionRecord(_Json):
    """What became of one region of a batch: its completion marker ``complete.json`` (written
    by the worker, without ``reused``), and one of ``regions`` in the batch's summary.json.

    Attributes
    ----------
    name, input : str
        The region's folder name and input file.
    key : str or None
        The ``region`` value or boundary name that picks its homes from a split file.
    input_hash, config_hash, gridplan : str
        What it was planned from: a re-run reuses the folder only when all three match.
    worker_pid : int or None
        The worker process that planned it; None when the task never returned.
    status : {'complete', 'failed'}
    error : str or None
        One line, for a region that failed.
    households_input, households, homes, grids, grids_unresolved, communities : int or None
        Households read, and the plan's figures. These, the shares, the stations,
        ``finished`` and ``folder`` are in the record only when ``status`` is 'complete'.
    grids_within_bounds_share, communities_within_bounds_share : float or None
    straight_share, walk_share, walk_15min_share : float or None
    uncovered_households, proposed_stations : int or None
    seconds : float or None
        Loading, planning and writing the region; None when the task never returned.
    finished : str or None
        When its folder was complete (local time, ISO 8601).
    folder : str or None
        Its folder, relative to the batch folder.
    reused : bool or None
        Whether a run found the folder complete and current instead of planning it; None
        in the marker itself.
    """

    name: str
    input: str
    key: str | None
    input_hash: str
    config_hash: str
    gridplan: str
    worker_pid: int | None = field(default=None, metadata=OMIT_NONE)
    status: str
    error: str | None
    households_input: int | None = field(default=None, metadata=COMPLETE)
    households: int | None = field(default=None, metadata=COMPLETE)
    homes: int | None = field(default=None, metadata=COMPLETE)
    grids: int | None = field(default=None, metadata=COMPLETE)
    grids_within_bounds_share: float | None = field(default=None, metadata=COMPLETE)
    grids_unresolved: int | None = field(default=None, metadata=COMPLETE)
    communities: int | None = field(default=None, metadata=COMPLETE)
    communities_within_bounds_share: float | None = field(default=None, metadata=COMPLETE)
    straight_share: float | None = field(default=None, metadata=COMPLETE)
    walk_share: float | None = field(default=None, metadata=COMPLETE)
    walk_15min_share: float | None = field(default=None, metadata=COMPLETE)
    uncovered_households: int | None = field(default=None, metadata=COMPLETE)
    proposed_stations: int | None = field(default=None, metadata=COMPLETE)
    seconds: float | None = field(default=None, metadata=OMIT_NONE)
    finished: str | None = field(default=None, metadata=COMPLETE)
    folder: str | None = field(default=None, metadata=COMPLETE)
    reused: bool | None = field(default=None, metadata=OMIT_NONE)

    @property
    def complete(self) -> bool:
        """Whether the region was planned and its folder published whole."""
        return self.status == "complete"


@dataclass(frozen=True)
class ManifestEntry(_Json):
    """One region in a batch's ``manifest.json``: a record for people and tools (whether a
    region is done is decided by its folder's marker, :class:`RegionRecord`).

    Attributes
    ----------
    input : str
    key : str or None
    input_hash, config_hash, gridplan : str
    status : {'complete', 'failed', 'pending'}
    error : str or None
    households : int or None
    seconds : float or None
    """

    input: str
    key: str | None
    input_hash: str
    config_hash: str
    gridplan: str
    status: str
    error: str | None
    households: int | None
    seconds: float | None


@dataclass(frozen=True)
class FailedRegion:
    """A region of a batch that did not complete (``failed`` in its summary.json).

    Attributes
    ----------
    name, input, error : str
    """

    name: str
    input: str
    error: str | None


@dataclass(frozen=True)
class BatchSummary(_Json):
    """What a batch did: :attr:`gridplan.batch.BatchResult.summary`, written as the batch's
    ``summary.json``.

    Attributes
    ----------
    totals : BatchTotals
    failed : tuple of FailedRegion
        Each region that did not complete.
    regions : tuple of RegionRecord
        One per region, in input order, as its completion marker holds it, with ``reused``.
    merged_layers : dict
        Rows per layer of the merged plan.gpkg.
    config : dict
    coords : str
    config_hash, scheduler : str
    tasks_done_seconds : float
        From the start until every region was done, the merge aside.
    region_seconds : float
        The regions planned in this run, summed.
    versions : dict
    """

    totals: BatchTotals
    failed: tuple[FailedRegion, ...]
    regions: tuple[RegionRecord, ...]
    merged_layers: dict
    config: dict
    coords: str
    config_hash: str
    scheduler: str
    tasks_done_seconds: float
    region_seconds: float
    versions: dict


# --- a plan's figures ----------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _installed() -> tuple:
    out = []
    for p in PACKAGES:
        try:
            out.append((p, version(p)))
        except PackageNotFoundError:
            out.append((p, None))
    return tuple(out)


def versions() -> dict:
    """The versions of gridplan and the libraries behind its figures (None: not installed),
    read once per process."""
    return dict(_installed())


def crs_names(city, config) -> tuple[str | None, str | None]:
    """The name of the CRS a plan is computed in, and of the CRS its plan.gpkg is written in."""
    from .io.write import output_crs       # the writers' libraries load when a plan is saved
    out = output_crs(city, config)
    return (city.crs.to_string() if city.crs else None,
            None if out is None else out.to_string())


def summarize(plan) -> Summary:
    """The figures of a plan (the contents of ``summary.json``, through :meth:`Summary.to_json`).

    Parameters
    ----------
    plan : Plan

    Returns
    -------
    Summary
    """
    from .partition import columns as C
    from .partition.quality import size_cv
    cfg = plan.config
    g, c, h = plan.grids, plan.communities, plan.homes
    res = h[h[HOUSEHOLDS] > 0]
    w = res[HOUSEHOLDS]
    has_walk = bool(np.isfinite(res[WALK_M]).any()) if len(res) else False
    cross = {col.replace("crosses_", ""): int((g[col] > 0).sum())
             for col in g.columns if col.startswith("crosses_")}
    unresolved = plan.unresolved
    crs, out_crs = crs_names(plan.city, cfg)
    unsnapped = (None, None)
    if plan.coverage.access_m is not None:      # None without streets
        u = plan.unsnapped
        unsnapped = (int(u[HOME_INDEX].nunique()), int(u[HOUSEHOLDS].sum()))
    total = h[HOUSEHOLDS].sum()
    return Summary(
        source=plan.city.source,
        crs=crs,
        output_crs=out_crs,
        households=int(total),
        homes=int(h[HOME_INDEX].nunique()),
        homes_split_into_parts=int((h[PART] > 0).groupby(h[HOME_INDEX]).any().sum()),
        grids=GridFigures(
            count=int(len(g)),
            households_min=int(g[HOUSEHOLDS].min()),
            households_max=int(g[HOUSEHOLDS].max()),
            households_mean=round(float(g[HOUSEHOLDS].mean()), 1),
            households_cv=round(size_cv(g[HOUSEHOLDS]), 4),
            within_bounds_share=round(float(g[C.IN_RANGE].mean()), 4),
            bounds=(cfg.min_households, cfg.max_households),
            polsby_popper_mean=round(float(g[C.POLSBY_POPPER].mean()), 4),
            grids_crossing=cross,
            unresolved=unresolved.grids,
            compounds_cut=plan.partition.compound_cuts,
            moved=plan.moved,
            method=plan.partition.method),
        special_grids=SpecialGridFigures(
            count=int(len(plan.special_grids)),
            units=int(plan.special_grids[UNITS].sum()) if len(plan.special_grids) else 0),
        communities=CommunityFigures(
            count=int(len(c)),
            households_min=int(c[HOUSEHOLDS].min()),
            households_max=int(c[HOUSEHOLDS].max()),
            within_bounds_share=round(float(c[C.IN_RANGE].mean()), 4),
            bounds=(cfg.community_min, cfg.community_max),
            unresolved=unresolved.communities),
        coverage=CoverageFigures(
            stations=int(len(plan.stations)),
            radius_m=cfg.radius_m,
            straight_share=summary_share(w, res[COVERED_RADIUS]),
            walk_share=summary_share(w, res[COVERED_RADIUS_WALK]) if has_walk else None,
            # why walks are missing: the map and the command say which input was lacking
            walk_not_measured=None if has_walk else (
                "no stations" if not len(plan.stations) else
                "no streets" if plan.coverage.network is None else "no home near a street"),
            walk_15min_m=round(cfg.walk_m, 1),
            walk_15min_share=summary_share(w, res[COVERED_15MIN]) if has_walk else None,
            grids_without_station_in_reach=int((~g[C.STATION_IN_REACH]).sum()),
            uncovered_households=int(w[~res[COVERED_RADIUS]].sum()),
            unsnapped_homes=unsnapped[0],
            unsnapped_households=unsnapped[1],
            method=plan.coverage.method),
        siting=plan.siting,
        staffing=Staffing(grid_workers=int(len(g)),
                          community_workers=(int(np.ceil(total / 400)),
                                             int(np.ceil(total / 300)))),
        input=InputFigures(
            repaired_geometries=int(plan.city.repaired_geometries),
            households_estimated=int((plan.city.homes[HOUSEHOLDS_SOURCE]
                                      == "estimated").sum())),
        config=cfg.to_dict(),
        versions=versions(),
        seconds=plan.seconds,
        edits=plan.edits,       # a plan with a review's edits applied says what they were
    )
