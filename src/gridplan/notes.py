"""What a partition could not keep and what it changed, as the types summary.json holds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    """One rule a grid or community could not keep (or, for a cut compound, kept only by
    permission): what happened, to which ids, with how many households.

    Attributes
    ----------
    reason : str
        In gridplan's words, for the planner.
    ids : tuple of str
        The grid or community ids concerned.
    households : int
    """

    reason: str
    ids: tuple[str, ...]
    households: int


@dataclass(frozen=True)
class Unresolved:
    """Every rule the partition could not keep, never hidden: ``grids.unresolved`` and
    ``communities.unresolved`` in summary.json, the dashed outlines on the map.

    Attributes
    ----------
    grids, communities : tuple of Note
    """

    grids: tuple[Note, ...] = ()
    communities: tuple[Note, ...] = ()


@dataclass(frozen=True)
class CompoundCut:
    """A compound that fits in one grid but was cut by building between grids
    (``--allow-compound-split``): ``grids.compounds_cut`` in summary.json.

    Attributes
    ----------
    compound : str
        Its name (or the name of its home, or ``home row N``, when it has none).
    households : int
    grids : tuple of str
        The grids that hold a piece of it.
    by : str
        What it was cut along: 'building'.
    """

    compound: str
    households: int
    grids: tuple[str, ...]
    by: str


@dataclass(frozen=True)
class Moved:
    """What an annual update (``keep=``) changed against last year's grids.

    Attributes
    ----------
    homes, households : int
        Homes (and their households) now in a grid of another id.
    grids_kept, grids_new, grids_retired : int
        Grid ids kept, new ids, and last year's ids no longer used.
    """

    homes: int
    households: int
    grids_kept: int
    grids_new: int
    grids_retired: int
