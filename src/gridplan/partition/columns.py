"""The columns of the grid and community tables: names (units in them), order and dtypes."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..columns import COMMENTS, COMMUNITY_ID, GRID_ID, HOUSEHOLDS
from .quality import CROSSING_CLASSES


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes
    ----------
    name : str
        As written in plan.gpkg, grids.csv and communities.csv (a unit in the name where
        the number has one: ``households``, ``homes``, ``share_…`` a fraction 0–1).
    dtype : str
        The dtype the plan holds it in, as pandas names it (``str`` for ids, ``object`` for
        text that may be missing, ``geometry`` for shapes).
    meaning : str
    """

    name: str
    dtype: str
    meaning: str


# grid_id, community_id, households and comments are the homes table's names too
# (gridplan.columns); the others are the grid and community tables' own
HOMES = "homes"
GRIDS = "grids"
GEOMETRY = "geometry"
IN_RANGE = "in_range"
POLSBY_POPPER = "polsby_popper"
PARTS = "parts"
COMPOUND_CUTS = "compound_cuts"
SHARE_RADIUS = "share_radius"
SHARE_RADIUS_WALK = "share_radius_walk"
SHARE_15MIN = "share_15min"
STATION_IN_REACH = "station_in_reach"
#: ``crosses_<class>`` for each barrier class a grid may span.
CROSSES = tuple(f"crosses_{c}" for c in CROSSING_CLASSES)
CROSSES_WATER = CROSSES[CROSSING_CLASSES.index("water")]

#: The grid table as the partition makes it, in order.
GRID_COLUMNS = (
    Column(GRID_ID, "str", "C03-07: its community's id, then its rank in reading order"),
    Column(COMMUNITY_ID, "str", "the community it lies in"),
    Column(HOUSEHOLDS, "int64", "households of its homes and parts"),
    Column(HOMES, "int64", "distinct homes with households in it (a cut building counts once)"),
    Column(GEOMETRY, "geometry", "the union of its homes' cells"),
    Column(IN_RANGE, "bool", "households within min_households–max_households"),
    Column(POLSBY_POPPER, "float64", "compactness 4πA/P²: 1 for a circle"),
    *(Column(name, "int64", f"distinct {c} lines its own cells lie on both sides of")
      for name, c in zip(CROSSES, CROSSING_CLASSES)),
    Column(PARTS, "int32", "pieces of its polygon"),
    Column(COMPOUND_CUTS, "int64", "cut compounds it holds a piece of"),
)
#: The columns the plan's coverage adds to the grid table, in order.
GRID_COVERAGE_COLUMNS = (
    Column(SHARE_RADIUS, "float64", "share of households within radius_m of a station, straight"),
    Column(SHARE_RADIUS_WALK, "float64", "the same on foot"),
    Column(SHARE_15MIN, "float64", "share of households within walk_minutes on foot"),
    Column(STATION_IN_REACH, "bool", "a station within radius_m of one of its homes"),
)
#: The column a review's comments go in (grids and homes), last.
COMMENTS_COLUMN = Column(COMMENTS, "object", "the reviewers' comments, one per line")

#: The grid table as plan.gpkg and grids.csv hold it, in order.
GRID_TABLE = GRID_COLUMNS + GRID_COVERAGE_COLUMNS + (COMMENTS_COLUMN,)

#: The community table as the partition makes it, in order.
COMMUNITY_COLUMNS = (
    Column(COMMUNITY_ID, "str", "C03: rank in reading order"),
    Column(HOUSEHOLDS, "int64", "households of its grids"),
    Column(GRIDS, "int64", "grids in it"),
    Column(HOMES, "int64", "distinct homes with households in it"),
    Column(GEOMETRY, "geometry", "the union of its grids and of its shops' and offices' ground"),
    Column(IN_RANGE, "bool", "households within community_min–community_max"),
    Column(POLSBY_POPPER, "float64", "compactness 4πA/P²"),
)
#: The columns the plan's coverage adds to the community table, in order.
COMMUNITY_COVERAGE_COLUMNS = GRID_COVERAGE_COLUMNS[:3]
#: The community table as plan.gpkg and communities.csv hold it, in order.
COMMUNITY_TABLE = COMMUNITY_COLUMNS + COMMUNITY_COVERAGE_COLUMNS


def names(columns) -> list[str]:
    """The names of ``columns``, in order."""
    return [c.name for c in columns]


def in_order(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """``frame`` with the ``columns`` it has first, in their order, then any others as they
    come (a copy only when the order changes).

    Parameters
    ----------
    frame : DataFrame
    columns : sequence of Column
    """
    first = [c for c in names(columns) if c in frame.columns]
    order = first + [c for c in frame.columns if c not in first]
    return frame if order == list(frame.columns) else frame[order]
