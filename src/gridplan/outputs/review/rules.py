"""The hard rules a reviewer's moves must keep: a home moves only to a grid it touches, with
its whole compound, never splitting or emptying the grid it leaves, and every grid ends the
session within the household range (or no farther from it than it started)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...columns import COMPOUND, HOME_INDEX, HOUSEHOLDS, PART
from ...summary import AppliedMove, RefusedEdit
from ..words import reason
from .edits import Move
from .graph import ReviewGraph


@dataclass
class Moves:
    """Moves checked against the rules.

    Attributes
    ----------
    row_grid : ndarray of int
        The grid of every unit (``ReviewGraph.rows``) after the applied moves.
    applied : list of AppliedMove
        In the order applied (a whole compound moves with any of its homes).
    refused : list of RefusedEdit
        In the order of the moves, each with its reason.
    """

    row_grid: np.ndarray
    applied: list[AppliedMove]
    refused: list[RefusedEdit]


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
    start = np.bincount(graph.rows["grid"].to_numpy(), weights=graph.rows[HOUSEHOLDS],
                        minlength=len(graph.grid_ids))
    out_of_range: dict[int, str] = {}
    session = _Session(graph, moves)
    while True:
        result = session.replay(out_of_range)
        count = np.bincount(result.row_grid, weights=graph.rows[HOUSEHOLDS],
                            minlength=len(graph.grid_ids))
        worse = np.flatnonzero(_distance(count, lo, hi) > _distance(start, lo, hi))
        if not len(worse):
            return result
        # the last applied move into and out of each grid, found in one pass
        last_in, last_out = {}, {}
        for a in result.applied:
            last_in[a.to_grid] = a
            last_out[a.from_grid] = a
        latest = None
        for g in worse:
            gid = graph.grid_ids[g]
            over = count[g] > hi
            a = (last_in if over else last_out).get(gid)
            if a is not None and (latest is None or a.edit > latest[0].edit):
                side = (f"above the most a grid may hold ({hi})" if over
                        else f"below the fewest a grid may hold ({lo})")
                latest = (a, f"grid {gid} would end with {int(count[g])} households, {side}")
        if latest is None:          # cannot happen: only moves change a count
            return result
        out_of_range[latest[0].edit] = latest[1]


#: Moves between two saved states of a session: refusing a move replays the session from the
#: last state saved before it, so a long session is not replayed from its start each time.
CHECKPOINT_EVERY = 2_000


class _Session:
    """The moves of a session replayed against the grids, in time linear in the moves: each
    move touches only the units of the two grids it changes."""

    def __init__(self, graph: ReviewGraph, moves: list[Move]):
        rows = graph.rows
        self.graph, self.moves = graph, moves
        self.grid0 = rows["grid"].to_numpy().astype(np.int64)
        self.hh = rows[HOUSEHOLDS].to_numpy()
        self.compound = rows[COMPOUND].to_numpy(dtype=object)
        self.unit = {(h, p): i for i, (h, p) in enumerate(zip(rows[HOME_INDEX].tolist(),
                                                              rows[PART].tolist()))}
        self.grid = {g: i for i, g in enumerate(graph.grid_ids)}
        self.nbrs = [a.tolist() for a in graph.neighbours()]
        self.members = [m.tolist() for m in graph.members()]
        self.position = {m.edit: k for k, m in enumerate(moves)}
        self.saved: list[tuple] = []       # (position, row_grid, moved_by, applied, refused)
        self.applied: list[AppliedMove] = []
        self.refused: list[RefusedEdit] = []
        self.known: dict[int, str] = {}    # the refusals the saved states were made under

    def replay(self, refuse: dict[int, str]) -> Moves:
        new = [self.position.get(e, 0) for e in refuse if e not in self.known]
        # edit numbers are unique in a file; when a list repeats one, replay from the start
        first = (min(new, default=len(self.moves)) if len(self.position) == len(self.moves)
                 else 0)
        self.saved = [c for c in self.saved if c[0] <= first]
        if self.saved:
            pos, row_grid, moved_by, n_applied, n_refused = self.saved[-1]
            row_grid, moved_by = row_grid.copy(), dict(moved_by)
            del self.applied[n_applied:], self.refused[n_refused:]
        else:
            pos, row_grid, moved_by = 0, self.grid0.copy(), {}
            self.applied, self.refused, self.saved = [], [], []
        self.known = dict(refuse)
        in_grid: dict[int, set] = {}
        for i, g in enumerate(row_grid.tolist()):
            in_grid.setdefault(g, set()).add(i)
        pieces: dict[int, int] = {}
        for k in range(pos, len(self.moves)):
            if k % CHECKPOINT_EVERY == 0 and (not self.saved or self.saved[-1][0] < k):
                self.saved.append((k, row_grid.copy(), dict(moved_by), len(self.applied),
                                   len(self.refused)))
            self._one(self.moves[k], refuse, row_grid, moved_by, in_grid, pieces)
        return Moves(row_grid=row_grid, applied=list(self.applied), refused=list(self.refused))

    def _pieces(self, nodes: set) -> int:
        """Connected pieces of the units ``nodes``."""
        left, n = set(nodes), 0
        while left:
            n += 1
            stack = [left.pop()]
            while stack:
                for j in self.nbrs[stack.pop()]:
                    if j in left:
                        left.remove(j)
                        stack.append(j)
        return n

    def _one(self, m: Move, refuse, row_grid, moved_by, in_grid, pieces) -> None:
        ids = self.graph.grid_ids
        why = refuse.get(m.edit)
        i = self.unit.get((m.home_index, m.part))
        src, dst = self.grid.get(m.from_grid), self.grid.get(m.to_grid)
        name = (reason("home_part", home=m.home_index, part=m.part) if m.part
                else reason("home", home=m.home_index))
        compound = group = what = None
        if why is None and i is not None:
            group = self.members[i]
            compound = self.compound[i] if len(group) > 1 else None
            what = (reason("compound_what", home=name, compound=compound, n=len(group))
                    if compound else name)
        if why is None:
            if i is None:
                why = reason("unknown_home", what=name)
            elif dst is None:
                why = reason("unknown_grid", grid=m.to_grid)
            elif src is None:
                why = reason("unknown_grid", grid=m.from_grid)
            elif src == dst:
                why = reason("same_grid", what=what, grid=m.from_grid)
            elif row_grid[i] != src:
                why = reason("from_mismatch", what=name, now=ids[row_grid[i]], grid=m.from_grid,
                             why=reason("moved_by_edit", edit=moved_by[i]) if i in moved_by
                             else reason("other_plan"))
        if why is None:
            touches = any(row_grid[j] == dst for k in group for j in self.nbrs[k])
            left = in_grid.get(src, set()).difference(group)
            if not touches:
                why = reason("not_touch", what=what, grid=m.to_grid)
            elif not left:
                why = reason("empties", what=what, grid=m.from_grid)
            else:
                before = pieces.get(src)
                if before is None:
                    before = pieces[src] = self._pieces(in_grid[src])
                after = self._pieces(left)
                if after > before:
                    why = (reason("splits", what=what, grid=m.from_grid, n=after) if before == 1
                           else reason("splits_more", what=what, grid=m.from_grid, n=after,
                                       m=before))
        if why is not None:
            self.refused.append(RefusedEdit(edit=m.edit, type="move", home_index=m.home_index,
                                            part=m.part, from_grid=m.from_grid,
                                            to_grid=m.to_grid, reason=why))
            return
        row_grid[group] = dst
        in_grid[src] = left
        in_grid.setdefault(dst, set()).update(group)
        pieces[src] = after
        pieces.pop(dst, None)
        moved_by.update({int(j): m.edit for j in group})
        self.applied.append(AppliedMove(edit=m.edit, home_index=m.home_index, part=m.part,
                                        from_grid=m.from_grid, to_grid=m.to_grid,
                                        homes=len(group),
                                        households=int(self.hh[group].sum()),
                                        compound=compound))
