"""Apply a review session to a plan: the moves that keep the rules become fixed assignments,
the others are reported with their reason, and comments travel into the layers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ...columns import COMMENTS, GRID_ID, HOME_INDEX, HOUSEHOLDS, PART
from .edits import Edits, read_edits
from .graph import ReviewGraph, review_graph
from .rebuild import edited_partition
from .rules import check_moves
from ...summary import EditsReport, RefusedEdit
from ..words import reason


def apply_edits(plan, source):
    """``plan`` with the moves and comments of a review session.

    Moves are checked in order against the hard rules (see
    :func:`gridplan.outputs.review.rules.check_moves`): the home and both grids exist, the home
    touches the grid it joins and takes its whole compound along, the grid it leaves stays in
    one piece, and every grid ends within the household range (or no farther from it than it
    started). Moves that keep them are fixed; grids and communities are rebuilt around them
    (shape, households, compactness, crossings), coverage shares are measured again on the
    same distances, and siting runs again. Comments go into a ``comments`` column of
    ``grids`` and ``homes``.

    Parameters
    ----------
    plan : gridplan.Plan
        The plan the review page was made from (the same input and settings give the same
        plan, so ``gridplan plan INPUT --edits FILE`` works on a fresh run).
    source : str, Path, dict or Edits
        ``edits.geojson`` exported from ``review.html`` (see
        :func:`gridplan.outputs.review.read_edits`), or what it returned.

    Returns
    -------
    Plan
        A new plan; ``plan`` is unchanged. Its ``edits`` (also ``summary.edits``) say
        what was applied and what was refused, and why.

    Raises
    ------
    InputError
        For a file that is not an edits FeatureCollection, naming the feature and the field.
    """
    edits = source if isinstance(source, Edits) else read_edits(
        source, max_mb=plan.config.edits_max_mb, max_count=plan.config.edits_max_count)
    graph = review_graph(plan)
    cfg = plan.config
    moves = check_moves(graph, edits.moves, cfg.min_households, cfg.max_households)
    part = edited_partition(plan, graph, moves.row_grid, len(moves.applied))
    new = dataclasses.replace(plan, partition=part).replan()
    # comments go in last, so the layers' columns come in the order a plan's have them
    refused, attached = _attach_comments(new.partition, graph, moves.row_grid, plan, edits)
    note = None
    if edits.plan_key and edits.plan_key != graph.key:
        note = (f"the edits were made on another plan (key {edits.plan_key}, this "
                f"plan {graph.key}): each move was checked against this one")
    report = EditsReport.from_checks(edits.source, moves.applied,
                                     sorted(moves.refused + refused, key=lambda r: r.edit),
                                     attached, note=note, previous=plan.edits)
    return dataclasses.replace(new, edits=report)


def _attach_comments(part, graph: ReviewGraph, row_grid: np.ndarray, plan,
                     edits: Edits) -> tuple[list[RefusedEdit], int]:
    """Put the comments into ``grids.comments`` and ``homes.comments`` (one per line); the
    ones whose grid or home is not in the plan come back as refused."""
    grid_notes: dict[str, list[str]] = {}
    home_notes: dict[tuple, list[str]] = {}
    refused = []
    rows = graph.rows
    unit = {(h, p): i for i, (h, p) in enumerate(zip(rows[HOME_INDEX], rows[PART]))}
    grids = set(graph.grid_ids)
    old = plan.homes
    empty = {(h, p) for h, p, n in zip(old[HOME_INDEX], old[PART], old[HOUSEHOLDS])
             if n <= 0}
    for c in edits.comments:
        if c.target == "grid":
            if c.grid_id in grids:
                grid_notes.setdefault(c.grid_id, []).append(c.label())
                continue
            why = reason("unknown_grid", grid=c.grid_id)
        else:
            key = (c.home_index, c.part)
            if key in unit:          # the home's row after the moves: its home in its grid
                i = unit[key]
                home_notes.setdefault((c.home_index, graph.grid_ids[row_grid[i]]), []) \
                    .append(c.label())
                continue
            if key in empty:
                home_notes.setdefault((c.home_index, None), []).append(c.label())
                continue
            why = f"no home {c.home_index}" + (f" part {c.part}" if c.part else "") + \
                " in this plan"
        refused.append(RefusedEdit(edit=c.edit, type="comment", target=c.target, reason=why))
    part.grids[COMMENTS] = part.grids[GRID_ID].astype(str).map(
        {k: "\n".join(v) for k, v in grid_notes.items()}).astype(object).where(
        lambda s: s.notna(), None)
    h = part.homes
    res = h[HOUSEHOLDS].to_numpy() > 0
    keys = [(hi, g if r else None) for hi, g, r in zip(h[HOME_INDEX], h[GRID_ID], res)]
    part.homes[COMMENTS] = pd.Series(
        ["\n".join(home_notes[k]) if k in home_notes else None for k in keys],
        index=h.index, dtype=object)
    return refused, len(edits.comments) - len(refused)
