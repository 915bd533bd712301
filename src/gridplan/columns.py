"""The column names of the homes and stations tables, each spelled once (units in the names)."""

# No imports: every layer reads these, from io up to the outputs. The grid and community
# tables' own columns are in gridplan.partition.columns, an input's aliases in gridplan.io.columns.

# --- homes as the City holds them (one row per building or address point) ----------------
#: Households living in it (a whole number >= 0).
HOUSEHOLDS = "households"
#: residential, commercial or mixed (homes); the kind of station, ``added`` for one a user adds
#: (stations); water, rail … (barriers).
KIND = "kind"
#: The 小区 it belongs to, or missing.
COMPOUND = "compound"
#: Floors above ground.
LEVELS = "levels"
#: 单元: entrances (stairwells) of a building, the pieces a tower is split along.
ENTRANCES = "entrances"
#: Its name (homes, stations), or missing.
NAME = "name"
#: Where its households came from: ``given`` (the input) or ``estimated``.
HOUSEHOLDS_SOURCE = "households_source"

# --- what the partition adds (one row per home or part of a home) -------------------------
#: The home's row in the City's homes (a part keeps its building's).
HOME_INDEX = "home_index"
#: 0 for a whole home; 1 … PART_OF for the pieces of a home split across grids.
PART = "part"
#: How many parts its home was split into (1 for a whole home).
PART_OF = "part_of"
#: What a home was split along: ``entrance``, ``building`` or ``floor`` (empty for a whole home).
SPLIT_BY = "split_by"
#: The grid and the community it lies in (the grid tables' ids).
GRID_ID = "grid_id"
COMMUNITY_ID = "community_id"
#: The special grid (shops, offices) it belongs to, or missing.
SPECIAL_GRID_ID = "special_grid_id"
#: Whether its compound, one that fits in a grid, ended in more than one.
COMPOUND_CUT = "compound_cut"

# --- what the plan's coverage adds -----------------------------------------------------------
#: Straight-line distance to the nearest station, metres.
DIST_M = "dist_m"
#: Walk to the nearest station along the streets, metres (missing beyond reach).
WALK_M = "walk_m"
#: The straight walk onto the street the home attaches to, metres (missing: no street near).
ACCESS_M = "access_m"
#: A station within radius_m in a straight line.
COVERED_RADIUS = "covered_radius"
#: A station within radius_m on foot.
COVERED_RADIUS_WALK = "covered_radius_walk"
#: A station within walk_minutes on foot.
COVERED_15MIN = "covered_15min"

# --- what a review adds (homes and grids) ---------------------------------------------------
#: The reviewers' comments, one per line.
COMMENTS = "comments"

# --- proposed stations and special grids -----------------------------------------------------
#: The order a proposed station was chosen in, from 1.
PROPOSED_RANK = "proposed_rank"
#: Households a proposed station reaches that no station before it did.
HOUSEHOLDS_ADDED = "households_added"
#: Households within a proposed station's reach.
HOUSEHOLDS_IN_REACH = "households_in_reach"
#: Buildings in a special grid.
UNITS = "units"
