"""PlanConfig: every tunable number of a plan, with its unit and its default from DOMAIN.md."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

#: Levels assumed for an OSM building with neither ``building:levels`` nor ``height``.
DEFAULT_LEVELS = {
    "apartments": 6, "residential": 6, "dormitory": 5, "house": 2, "detached": 2,
    "semidetached_house": 2, "terrace": 2, "bungalow": 1, "yes": 3,
}
#: Share of a building's floor area that is homes, by building type; types not named hold no homes.
RESIDENTIAL_SHARE = {
    "apartments": 1.0, "residential": 1.0, "dormitory": 1.0, "house": 1.0, "detached": 1.0,
    "semidetached_house": 1.0, "terrace": 1.0, "bungalow": 1.0, "yes": 0.5,
}
#: What a grid boundary costs per metre when it runs along each kind of line, relative to cutting
#: through a block (1.0). Cheap along barriers, so cuts follow streets and rivers; negative for
#: water, so a grid that spans a river costs more than one that stops at it; steep between two
#: entrances of one building, so a building is shared only when whole buildings cannot balance.
BOUNDARY_COST = {
    "building": 10.0, "block": 1.0, "path": 0.6, "local": 0.35, "secondary": 0.15, "arterial": 0.05, "water": -0.5,
}
#: OSM tags that mark an existing service station.
STATION_TAGS = {
    "amenity": ["community_centre", "social_facility", "townhall"],
    "office": ["government"],
}


@dataclass(frozen=True)
class PlanConfig:
    """Every knob of a plan. Units are in the names; defaults come from real plans (DOMAIN.md).

    Parameters
    ----------
    min_households, max_households : int
        Households per grid (300–500 in most published plans).
    community_min, community_max : int
        Households per community (3,000–5,000).
    radius_m : float
        Straight-line service radius of a station (500 m).
    walk_minutes, walk_speed_kmh : float
        The walk circle: 15 minutes at 4 km/h is 1,000 m (GB 50180-2018).
    target_coverage : float or None
        When set, propose new stations until this household share is within ``radius_m``.
    add_stations : int or None
        When set, propose exactly this many new stations, the ones that reach the most
        households (maximal covering); None proposes the fewest that reach every household
        a candidate site can reach (set covering).
    siting_metric : {'straight', 'walk'}
        Whether a proposed station reaches a home within ``radius_m`` in a straight line or
        on foot along the streets.
    one_station_per_grid : bool
        Also require every grid to have a station within ``radius_m`` of one of its homes.
    special_grid_units : int
        Non-residential buildings (shops, offices) per special grid (about 40).
    part_households : int
        Largest part a building or compound point above ``max_households`` is cut into
        (by entrance or floor); smaller parts give the partition room to balance grids.
    split_by_entrance : bool
        Let a grid boundary pass between the entrances (单元) of a building that has an
        ``entrances`` column > 1, when whole buildings cannot make grids within the bounds.
    dwelling_m2, floor_height_m : float
        Mean gross floor area of one household, and storey height, to estimate households.
    snap_max_m : float
        A home or station farther than this from every street has no walk distance.
    building_part_min_households : int
        Smallest part a compound above ``max_households`` is cut into by building.
    building_households_tolerance : float
        Share of a building's estimated households (an even share of its compound's) the
        partition may move to or from it.
    repair_time_s : float
        Wall-clock cap on re-solving out-of-range grids exactly with the grids around them
        (0 skips the exact repair). A safety net: the repair's work is bounded by counts
        (``repair_nodes`` and fixed block sizes), so a plan is the same on any machine unless
        this cap runs out; a grid it leaves out of range says so in its reason.
    allow_compound_split : bool
        Let a compound that fits in one grid be cut by building when that is the only way
        to bring the grids around it into range; every cut is listed.
    repair_nodes : int
        Branch-and-bound nodes one exact re-solve of a neighbourhood may explore: the
        repair's deterministic work budget.
    seed : int
        Seed for every random choice; the same seed gives the same plan.
    crs : str or None
        Metric CRS for all geometry work; None picks the local UTM zone.
    max_households_per_home, max_households_district : int
        Above these (100,000 households in one home, 10^8 in one district) a count is taken
        for a typo and refused, naming the row.
    estimate_missing : bool
        Estimate counts left empty in a ``households`` column from the footprint; without
        it an empty count is refused (a missing column is always estimated for footprints).
    edits_max_mb, edits_max_count : float, int
        The largest edits file (MB) and the most features in it that ``--edits`` reads.
    output_crs : str or None
        CRS of the layers written to plan.gpkg (``--crs EPSG:4549``); None writes them in
        the homes' own CRS when that is projected (a CGCS2000 Gauss-Krüger zone, say), else
        in ``crs``. Maps and GeoJSON are always WGS84.
    snap_prefer_m : float
        Homes and stations attach to a ground-level street of the main network even when a
        bridge, tunnel, elevated road or street fragment is up to this many metres nearer.
    snap_fragment_m : float
        A connected piece of the walk network with less street than this, in metres, is a
        fragment (a few ways cut off by the edge of the street file, a private yard).

    Every field is checked by its type when a config is made: whole numbers within
    :data:`INT_RANGE`, finite real numbers within :data:`FLOAT_RANGE` (a field may narrow
    either with ``field(metadata={"range": (lo, hi)})``), booleans, text, and tables of
    finite numbers.
    """

    min_households: int = 300
    max_households: int = 500
    community_min: int = 3000
    community_max: int = 5000
    radius_m: float = 500.0
    walk_minutes: float = 15.0
    walk_speed_kmh: float = 4.0
    target_coverage: float | None = None
    add_stations: int | None = None
    siting_metric: str = "straight"
    one_station_per_grid: bool = False
    special_grid_units: int = 40
    part_households: int = 250
    split_by_entrance: bool = True
    dwelling_m2: float = 90.0
    floor_height_m: float = 3.0
    snap_max_m: float = 500.0
    siting_time_limit_s: float = 60.0
    seed: int = 0
    crs: str | None = None
    default_levels: dict = field(default_factory=lambda: dict(DEFAULT_LEVELS))
    residential_share: dict = field(default_factory=lambda: dict(RESIDENTIAL_SHARE))
    boundary_cost: dict = field(default_factory=lambda: dict(BOUNDARY_COST))
    station_tags: dict = field(default_factory=lambda: {k: list(v) for k, v in STATION_TAGS.items()})
    # issue 16: numbers that cannot be right are refused, not planned
    max_households_per_home: int = 100_000      # households in one home (building or point)
    max_households_district: int = 100_000_000  # households in one city or batch region
    estimate_missing: bool = False              # estimate empty counts of a households column
    edits_max_mb: float = 100.0                 # size of an edits.geojson, MB
    edits_max_count: int = 500_000              # features (moves and comments) in one
    # issue 13: the CRS plan.gpkg is written in (an EPSG code or any pyproj CRS string);
    # None: the homes' own CRS when projected, else ``crs``.
    output_crs: str | None = None
    # issue 14: snapping to streets a pedestrian can step onto from the ground
    snap_prefer_m: float = 100.0  # metres
    snap_fragment_m: float = 500.0  # metres of street in a connected piece
    # issue 15, partition on real registers:
    # households: smallest part a compound above the grid maximum is cut into by building
    # (buildings are grouped up to this size, so 300 villas do not make 300 units)
    building_part_min_households: int = 40
    # share: a compound register gives only households and buildings, so each building's
    # households are an even share, an estimate; the partition may move this share of it
    building_households_tolerance: float = 0.5
    # seconds: wall-clock safety cap of the exact re-solve of out-of-range grids with their
    # neighbours (its work is bounded by repair_nodes, so a plan does not depend on the clock)
    repair_time_s: float = 60.0
    # let a compound that fits in one grid be cut by building when nothing else brings the
    # grids around it into range (every cut is listed)
    allow_compound_split: bool = False
    # branch-and-bound nodes per exact re-solve of a neighbourhood (HiGHS): the repair's
    # deterministic work budget, the same on any machine
    repair_nodes: int = 200

    def __post_init__(self):
        self.validate()

    @property
    def walk_m(self) -> float:
        """The walk distance of the walk circle, in metres."""
        return self.walk_minutes * self.walk_speed_kmh * 1000.0 / 60.0

    def validate(self) -> None:
        """Raise InputError naming the parameter when a value cannot make a plan.

        Every field is first checked by its type (:func:`check_field`), so a knob added
        later is checked too; then the rules between knobs.
        """
        def need(ok, name, expected):
            if not ok:
                raise InputError(f"{name} = {getattr(self, name)!r}: expected {expected}")
        hints = _hints()
        for f in dataclasses.fields(self):
            check_field(f.name, getattr(self, f.name), hints[f.name], f.metadata.get("range"))
        for name in ("min_households", "max_households", "community_min", "community_max",
                     "special_grid_units", "part_households"):
            v = getattr(self, name)
            need(isinstance(v, int) and not isinstance(v, bool) and v > 0, name, "a whole number > 0")
        if self.min_households > self.max_households:
            raise InputError(
                f"min_households = {self.min_households} is above max_households = "
                f"{self.max_households}: expected min <= max")
        if self.community_min > self.community_max:
            raise InputError(
                f"community_min = {self.community_min} is above community_max = "
                f"{self.community_max}: expected min <= max")
        if self.community_max < self.max_households:
            raise InputError(
                f"community_max = {self.community_max} is below max_households = "
                f"{self.max_households}: expected a community to hold at least one grid")
        for name in ("radius_m", "walk_minutes", "walk_speed_kmh", "dwelling_m2", "floor_height_m",
                     "snap_max_m", "siting_time_limit_s"):
            v = getattr(self, name)
            need(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0, name,
                 "a number > 0")
        if self.add_stations is not None:
            v = self.add_stations
            need(isinstance(v, int) and not isinstance(v, bool) and v >= 0, "add_stations",
                 "a whole number >= 0, or None")
        for name in ("snap_prefer_m", "snap_fragment_m"):
            v = getattr(self, name)
            need(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0, name,
                 "a number >= 0")
        need(self.siting_metric in ("straight", "walk"), "siting_metric", "'straight' or 'walk'")
        need(isinstance(self.one_station_per_grid, bool), "one_station_per_grid", "true or false")
        if self.target_coverage is not None:
            need(0 < self.target_coverage <= 1, "target_coverage", "a share in (0, 1]")
        need(self.max_households_per_home >= 1, "max_households_per_home", "a whole number >= 1")
        need(self.max_households_district >= 1, "max_households_district", "a whole number >= 1")
        if self.crs is not None:
            import pyproj
            try:
                crs = pyproj.CRS.from_user_input(self.crs)
            except pyproj.exceptions.CRSError:
                crs = None
            need(crs is not None and crs.is_projected, "crs",
                 "a projected CRS in metres, such as 'EPSG:32650'")
        if self.output_crs is not None:
            import pyproj
            try:
                pyproj.CRS.from_user_input(self.output_crs)
            except (pyproj.exceptions.CRSError, TypeError):
                need(False, "output_crs", "a CRS such as EPSG:4549 (CGCS2000 / 3-degree "
                     "Gauss-Krüger CM 120E) or EPSG:4490")
        v = self.building_part_min_households
        need(isinstance(v, int) and not isinstance(v, bool) and v > 0,
             "building_part_min_households", "a whole number > 0")
        v = self.building_households_tolerance
        need(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 1,
             "building_households_tolerance", "a share from 0 to below 1")
        v = self.repair_time_s
        need(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0,
             "repair_time_s", "a number of seconds >= 0")
        need(isinstance(self.allow_compound_split, bool), "allow_compound_split", "true or false")
        v = self.repair_nodes
        need(isinstance(v, int) and not isinstance(v, bool) and v > 0,
             "repair_nodes", "a whole number > 0")

    def replace(self, **changes) -> "PlanConfig":
        """A copy with some knobs changed; unknown names raise InputError."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise InputError(f"unknown setting {sorted(unknown)[0]!r}: expected one of "
                             + ", ".join(f.name for f in dataclasses.fields(self)))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Every setting as plain values (what ``summary.json`` records under ``config``)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_toml(cls, path: str | Path, **overrides) -> "PlanConfig":
        """Read knobs from a TOML file (top level or a ``[plan]`` table), then apply overrides."""
        path = Path(path)
        if not path.is_file():
            raise InputError("no such file: expected a TOML file of plan settings", file=path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise InputError(f"not valid TOML ({e})", file=path) from None
        data = data.get("plan", data)
        try:
            return cls().replace(**{**data, **overrides})
        except InputError as e:
            raise e.at(file=path) from None
        except TypeError as e:
            raise InputError(f"bad setting ({e})", file=path) from None


#: The range every whole-number knob must lie in unless its field says otherwise
#: (``field(metadata={"range": (lo, hi)})``): no knob counts below zero, and 2**31 is far above
#: any count of households, stations or seconds, and below what int32 arrays hold.
INT_RANGE = (0, 2**31 - 1)
#: The same for real-number knobs (metres, minutes, shares, seconds): finite and not negative.
FLOAT_RANGE = (0.0, float("inf"))


def _hints() -> dict:
    import typing
    global _HINTS
    if _HINTS is None:
        _HINTS = typing.get_type_hints(PlanConfig)
    return _HINTS


_HINTS = None


def check_field(name: str, value, hint, bounds=None) -> None:
    """Raise InputError unless ``value`` suits a knob typed ``hint``: a whole number (not a
    bool) in ``bounds`` or :data:`INT_RANGE`, a finite real number in ``bounds`` or
    :data:`FLOAT_RANGE`, a bool, a text, or a table of finite numbers; ``X | None`` also
    takes None."""
    import math
    import numbers
    import types
    import typing
    args = typing.get_args(hint) if isinstance(hint, types.UnionType) else ()
    if args:
        if value is None and type(None) in args:
            return
        hint = next(a for a in args if a is not type(None))
    where = f"{name} = {value!r}"
    if hint is bool:
        if not isinstance(value, bool):
            raise InputError(f"{where}: expected true or false")
    elif hint is int:
        lo, hi = bounds or INT_RANGE
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise InputError(f"{where}: expected a whole number >= {lo}")
        if value < lo:
            raise InputError(f"{where}: expected a whole number >= {lo}")
        if value > hi:
            raise InputError(f"{where}: expected a whole number <= {hi:,}")
    elif hint is float:
        lo, hi = bounds or FLOAT_RANGE
        if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                or not math.isfinite(value)):
            raise InputError(f"{where}: expected a finite number")
        if not lo <= value <= hi:
            raise InputError(f"{where}: expected a number >= {lo:g}" if hi == float("inf")
                             else f"{where}: expected a number from {lo:g} to {hi:g}")
    elif hint is str:
        if not isinstance(value, str):
            raise InputError(f"{where}: expected text")
    elif hint is dict:
        if not isinstance(value, dict):
            raise InputError(f"{where}: expected a table of names and values")
        for k, v in value.items():
            if isinstance(v, (list, tuple, str)):
                continue            # OSM tag lists
            if (isinstance(v, bool) or not isinstance(v, numbers.Real)
                    or not math.isfinite(v)):
                raise InputError(f"{name}[{k!r}] = {v!r}: expected a finite number")
