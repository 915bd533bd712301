"""Scenarios side by side: the key figures of several plans in one table, and two on one map."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .errors import InputError

#: The figures compared, in order: (column, its value in a plan's Summary).
FIGURES = (
    ("grids", lambda s: s.grids.count),
    ("grids_in_range", lambda s: s.grids.within_bounds_share),
    ("range", lambda s: s.grids.bounds),
    ("communities", lambda s: s.communities.count),
    ("communities_in_range", lambda s: s.communities.within_bounds_share),
    ("polsby_popper_mean", lambda s: s.grids.polsby_popper_mean),
    ("households_cv", lambda s: s.grids.households_cv),
    ("share_radius", lambda s: s.coverage.straight_share),
    ("share_radius_walk", lambda s: s.coverage.walk_share),
    ("share_15min", lambda s: s.coverage.walk_15min_share),
    ("stations", lambda s: s.coverage.stations),
    ("new_stations", lambda s: s.siting.proposed),
    ("grid_workers", lambda s: s.staffing.grid_workers),
    ("community_workers", lambda s: s.staffing.community_workers),
)


@dataclass
class Comparison:
    """The result of :func:`compare`.

    Attributes
    ----------
    table : DataFrame
        One row per plan (indexed by its name), one column per figure: grids and the share
        within the range, communities, mean Polsby-Popper, household CV, coverage shares,
        stations and new stations, staffing.
    plans : dict
        The plans, by name.
    """

    table: pd.DataFrame
    plans: dict

    def map(self, left: str | None = None, right: str | None = None, **kwargs):
        """Two plans side by side on synchronised review maps, the first two by default.
        Keyword arguments go to :func:`gridplan.outputs.map.dual_map` (``lang``, ...)."""
        from .outputs.map.side_by_side import dual_map
        names = list(self.plans)
        left = left or names[0]
        right = right or (names[1] if len(names) > 1 else names[0])
        for n in (left, right):
            if n not in self.plans:
                raise InputError(f"no plan named {n!r}: expected one of " + ", ".join(names))
        return dual_map(self.plans[left], self.plans[right], left, right, **kwargs)

    def _repr_html_(self) -> str:
        return self.table.to_html(float_format=lambda v: f"{v:.3f}")

    def __repr__(self) -> str:
        return f"Comparison of {', '.join(self.plans)}\n{self.table.to_string()}"


def compare(plans: dict) -> Comparison:
    """The key figures of several plans side by side.

    Parameters
    ----------
    plans : dict of str to Plan
        Named scenarios, e.g. ``{"300-500": a, "300-400": b}``.

    Returns
    -------
    Comparison
        ``.table`` is a DataFrame with one row per plan; ``.map()`` shows two plans side by
        side.

    Examples
    --------
    >>> import gridplan as gp
    >>> city = gp.synth(households=6_000, seed=1)
    >>> a = gp.plan(city)
    >>> c = gp.compare({"300-500": a, "300-400": a.replan(max_households=400)})
    >>> list(c.table.index)
    ['300-500', '300-400']
    """
    from .plan import Plan
    if not isinstance(plans, dict) or not plans:
        raise InputError("expected a dict of named plans, e.g. {'300-500': a, '300-400': b}")
    rows = {}
    for name, p in plans.items():
        if not isinstance(p, Plan):
            raise InputError(f"{name!r} is a {type(p).__name__}: expected a Plan")
        s = p.summary
        row = {}
        for col, figure in FIGURES:
            v = figure(s)
            row[col] = "–".join(map(str, v)) if isinstance(v, tuple) else v
        row["seconds"] = round(sum(p.seconds.values()), 3)
        rows[str(name)] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "plan"
    return Comparison(table=table, plans=dict(plans))
