"""The hard rules a reviewer's moves must keep: a home moves only to a grid it touches, with
its whole compound, never splitting or emptying the grid it leaves, and every grid ends the
session within the household range (or no farther from it than it started)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from .edits import Move
from .graph import ReviewGraph


@dataclass
class Moves:
    """Moves checked against the rules.

    Attributes
    ----------
    row_grid : ndarray of int
        The grid of every unit (``ReviewGraph.rows``) after the applied moves.
    applied : list of dict
        ``edit``, ``home_index``, ``part``, ``from_grid``, ``to_grid``, ``homes`` and
        ``households`` that moved (a whole compound moves with any of its homes),
        ``compound``.
    refused : list of dict
        ``edit``, ``type``, ``home_index``, ``part``, ``from_grid``, ``to_grid`` and the
        ``reason``.
    """

    row_grid: np.ndarray
    applied: list
    refused: list


def _distance(count: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """How far a household count lies outside [lo, hi] (0 within)."""
    return np.maximum(np.maximum(lo - count, count - hi), 0)


def check_moves(graph: ReviewGraph, moves: list[Move], lo: int, hi: int) -> Moves:
    """Apply ``moves`` in order where they keep the rules, and say why the others do not.

    Each move is checked against the grids as the moves before it left them: the home (or
    part) and both grids must exist, the home must be in ``from_grid`` and touch
    ``to_grid``, and the grid it leaves must stay in as many pieces as it was, with a home
    left. A home of a compound that fits in one grid takes its whole compound along. The
    household range is checked at the end of the session, as on the review page, where a
    count may leave the range for a while (a swap is two moves): when a grid ends outside
    [lo, hi] and farther from it than it started, the last move that took it there is
    refused and the session is checked again.

    Parameters
    ----------
    graph : ReviewGraph
    moves : list of Move
    lo, hi : int
        The household range of a grid.

    Returns
    -------
    Moves
    """
    start = np.bincount(graph.rows["grid"].to_numpy(), weights=graph.rows["households"],
                        minlength=len(graph.grid_ids))
    out_of_range: dict[int, str] = {}
    while True:
        result = _replay(graph, moves, out_of_range)
        count = np.bincount(result.row_grid, weights=graph.rows["households"],
                            minlength=len(graph.grid_ids))
        worse = np.flatnonzero(_distance(count, lo, hi) > _distance(start, lo, hi))
        if not len(worse):
            return result
        latest = None
        for g in worse:
            gid = graph.grid_ids[g]
            over = count[g] > hi
            for a in reversed(result.applied):
                if a["to_grid" if over else "from_grid"] == gid:
                    if latest is None or a["edit"] > latest[0]["edit"]:
                        side = (f"above the most a grid may hold ({hi})" if over
                                else f"below the fewest a grid may hold ({lo})")
                        latest = (a, f"grid {gid} would end with {int(count[g])} households, "
                                     f"{side}")
                    break
        if latest is None:          # cannot happen: only moves change a count
            return result
        out_of_range[latest[0]["edit"]] = latest[1]


def _replay(graph: ReviewGraph, moves: list[Move], refuse: dict[int, str]) -> Moves:
    rows = graph.rows
    row_grid = rows["grid"].to_numpy().copy()
    hh = rows["households"].to_numpy()
    unit = {(h, p): i for i, (h, p) in enumerate(zip(rows["home_index"], rows["part"]))}
    grid = {g: i for i, g in enumerate(graph.grid_ids)}
    nbrs, members = graph.neighbours(), graph.members()
    n = len(rows)
    adj = sparse.csr_matrix((np.ones(len(graph.pairs)), (graph.pairs["a"], graph.pairs["b"])),
                            shape=(n, n))
    adj = (adj + adj.T).tocsr()
    moved_by: dict[int, int] = {}
    applied, refused = [], []
    for m in moves:
        why = refuse.get(m.edit)
        i = unit.get((m.home_index, m.part))
        src, dst = grid.get(m.from_grid), grid.get(m.to_grid)
        name = f"home {m.home_index}" + (f" part {m.part}" if m.part else "")
        if why is None:
            if i is None:
                why = f"no {name} with households in this plan"
            elif dst is None:
                why = f"no grid {m.to_grid} in this plan"
            elif src is None:
                why = f"no grid {m.from_grid} in this plan"
            elif src == dst:
                why = f"{name} would move from grid {m.from_grid} to itself"
            elif row_grid[i] != src:
                now = graph.grid_ids[row_grid[i]]
                why = (f"{name} is in grid {now}, not {m.from_grid}"
                       + (f" (moved with its compound by edit {moved_by[i]})"
                          if i in moved_by else " (edits made on another plan?)"))
        if why is None:
            group = members[i]
            compound = rows["compound"].iat[i] if len(group) > 1 else None
            what = f"{name}" + (f" and its compound {compound} ({len(group)} homes)"
                                if compound else "")
            touches = any((row_grid[nbrs[j]] == dst).any() for j in group)
            left = np.setdiff1d(np.flatnonzero(row_grid == src), group)
            if not touches:
                why = f"{what} does not touch grid {m.to_grid}: a home moves only to a grid next to it"
            elif not len(left):
                why = f"moving {what} would leave grid {m.from_grid} with no homes"
            else:
                before = _pieces(adj, np.flatnonzero(row_grid == src))
                after = _pieces(adj, left)
                if after > before:
                    why = (f"moving {what} would split grid {m.from_grid} into {after} pieces"
                           if before == 1 else
                           f"moving {what} would cut grid {m.from_grid} into {after} pieces, "
                           f"not {before}")
        if why is not None:
            refused.append({"edit": m.edit, "type": "move", "home_index": m.home_index,
                            "part": m.part, "from_grid": m.from_grid, "to_grid": m.to_grid,
                            "reason": why})
            continue
        row_grid[group] = dst
        moved_by.update({int(j): m.edit for j in group})
        applied.append({"edit": m.edit, "home_index": m.home_index, "part": m.part,
                        "from_grid": m.from_grid, "to_grid": m.to_grid,
                        "homes": int(rows["home_index"].to_numpy()[group].size),
                        "households": int(hh[group].sum()), "compound": compound})
    return Moves(row_grid=row_grid, applied=applied, refused=refused)


def _pieces(adj: sparse.csr_matrix, nodes: np.ndarray) -> int:
    """Connected pieces of the units ``nodes``."""
    if len(nodes) <= 1:
        return len(nodes)
    return csgraph.connected_components(adj[nodes][:, nodes], directed=False)[0]
