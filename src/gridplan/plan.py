"""Plan: partition and coverage for one City, and the results a planner reviews."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .city import City
from .columns import (ACCESS_M, COMMUNITY_ID, COVERED_15MIN, COVERED_RADIUS, COVERED_RADIUS_WALK,
                      DIST_M, GRID_ID, HOME_INDEX, HOUSEHOLDS, KIND, PROPOSED_RANK, WALK_M)
from .config import PlanConfig
from .coverage.measure import SHARE_DECIMALS, household_share
from .errors import InputError
from .notes import Moved, Unresolved
from .partition import Partition, partition
from .partition import columns as C
from .progress import steps
from .propose import home_points, propose_stations
from .summary import EditsReport, SitingSummary, Summary, summarize


#: Settings the partition depends on; a re-plan that changes none of them keeps the grids.
PARTITION_FIELDS = ("min_households", "max_households", "community_min", "community_max",
                    "special_grid_units", "part_households", "split_by_entrance", "seed",
                    "boundary_cost")
#: Settings the distances to stations depend on.
COVERAGE_FIELDS = ("radius_m", "walk_minutes", "walk_speed_kmh", "snap_max_m", "snap_prefer_m",
                   "snap_fragment_m")
#: Settings used when a city is loaded; a re-plan cannot change them.
LOAD_FIELDS = ("dwelling_m2", "floor_height_m", "default_levels", "residential_share",
               "station_tags", "crs")


@dataclass
class Coverage:
    """Distances from each home of the city (one per input row) to its nearest station.

    Attributes
    ----------
    dist_m, walk_m : ndarray
        Per row of ``city.homes``; walk_m is NaN beyond the longer of ``radius_m`` and the
        walk circle, more than
        ``snap_max_m`` from a street, or when there is no network.
    method : str
    network : object
        The walk network (reused by re-plans).
    access_m : ndarray or None
        Per row of ``city.homes``: the straight walk onto the street the home attaches to;
        NaN for a home farther than ``snap_max_m`` from every street. None without streets.
    """

    dist_m: np.ndarray
    walk_m: np.ndarray
    method: str
    network: object = None
    access_m: np.ndarray | None = None


@dataclass
class Plan:
    """The result of :func:`plan`: grids, communities, coverage and proposed stations.

    Attributes
    ----------
    city : City
    config : PlanConfig
    grids, communities, special_grids, homes, stations, proposed : GeoDataFrame
    uncovered : GeoDataFrame
        Homes with no station within the radius (straight line).
    unsnapped : GeoDataFrame
        Homes farther than ``snap_max_m`` from every street (no walk distance).
    summary : Summary
        The figures written as ``summary.json`` (``summary.to_json()``).
    siting : SitingSummary
        The figures of the siting run (``summary.siting``).
    unresolved : Unresolved
        Every rule a grid or community could not keep, with its reason.
    moved : Moved or None
        For an annual update (``keep=``): the homes and grids that changed; None otherwise.
    edits : EditsReport or None
        For a plan with a review's edits applied (:meth:`apply_edits`): the moves applied,
        the edits refused with their reason, the comments attached; also ``summary.edits``.
        None otherwise.
    """

    city: City
    config: PlanConfig
    partition: Partition
    coverage: Coverage
    proposed: gpd.GeoDataFrame
    siting: SitingSummary
    seconds: dict = field(default_factory=dict)
    candidates: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _isochrones: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)
    edits: EditsReport | None = field(default=None, repr=False)

    @property
    def homes(self) -> gpd.GeoDataFrame:
        """One row per home or building part: input columns, ``grid_id``,
        ``community_id``, ``dist_m``, ``walk_m`` and whether it is covered."""
        return self.partition.homes

    @property
    def grids(self) -> gpd.GeoDataFrame:
        """One polygon per grid: households, homes, ``in_range``, ``polsby_popper``, what
        its boundary crosses, coverage shares and ``station_in_reach``."""
        return self.partition.grids

    @property
    def communities(self) -> gpd.GeoDataFrame:
        """One polygon per community (a union of whole grids) with its figures."""
        return self.partition.communities

    @property
    def special_grids(self) -> gpd.GeoDataFrame:
        """Groups of non-residential buildings (shops, offices) with their own grid worker."""
        return self.partition.special_grids

    @property
    def stations(self) -> gpd.GeoDataFrame:
        """The existing stations (and any added with :meth:`with_stations`)."""
        return self.city.stations

    @property
    def uncovered(self) -> gpd.GeoDataFrame:
        """Homes with households and no station within ``radius_m`` in a straight line."""
        h = self.homes
        return h[(h[HOUSEHOLDS] > 0) & ~h[COVERED_RADIUS]]

    @property
    def unsnapped(self) -> gpd.GeoDataFrame:
        """Homes farther than ``snap_max_m`` from every street: they have no walk distance
        (homes beyond the extent of the streets file, usually)."""
        h = self.homes
        if ACCESS_M not in h.columns or self.coverage.access_m is None:
            return h.iloc[:0]
        return h[h[ACCESS_M].isna()]

    @property
    def isochrones(self) -> gpd.GeoDataFrame:
        """Walk-circle polygons per station (buffered reachable streets), computed on first use."""
        if self._isochrones is None:
            from . import coverage as cov
            net = self.coverage.network
            st = self.stations
            if net is None or not len(st):
                self._isochrones = gpd.GeoDataFrame(geometry=[], crs=self.city.crs)
            else:
                xy = shapely.get_coordinates(st.geometry.values)
                iso = cov.walk_isochrones(net, xy, self.config.walk_m,
                                          max_access_m=self.config.snap_max_m)
                self._isochrones = iso if iso.crs else iso.set_crs(self.city.crs)
        return self._isochrones

    @property
    def unresolved(self) -> Unresolved:
        """Every rule a grid or community could not keep, with its reason and ids."""
        return self.partition.unresolved

    @property
    def moved(self) -> Moved | None:
        """For an annual update (``keep=``): homes and households now in a grid of another
        id, grid ids kept, new and retired; None for a plan made from scratch."""
        return self.partition.moved

    @property
    def summary(self) -> Summary:
        """The plan's figures, written as ``summary.json`` (``summary.to_json()``)."""
        return summarize(self)

    def map(self, **kwargs):
        """The review map as a ``folium.Map`` (see :func:`gridplan.outputs.map.plan_map`)."""
        from .outputs.map import plan_map
        return plan_map(self, **kwargs)

    def save(self, out, *, force: bool = False) -> None:
        """Write ``plan.gpkg``, ``summary.json`` and ``map.html`` to the folder ``out``,
        atomically: the folder appears complete or not at all. A folder holding files
        gridplan did not write is refused unless ``force`` (then only gridplan's own files
        are replaced)."""
        from .outputs.save import write_plan
        write_plan(self, out, force=force)

    def apply_edits(self, path) -> "Plan":
        """This plan with the moves and comments of a review session (``edits.geojson``
        from ``review.html``); moves that break a hard rule are refused and reported in
        ``summary.edits``. See :func:`gridplan.outputs.review.apply_edits`."""
        from .outputs.review import apply_edits
        return apply_edits(self, path)

    def replan(self, config: PlanConfig | None = None, **knobs) -> "Plan":
        """The same city planned with other settings, reusing what they do not change.

        Grids are cut again only when a partition setting changes (the household ranges,
        ``part_households``, ``seed``, ...), and then the Voronoi cells, their graph and the
        special grids of non-residential buildings are reused; distances are measured again only when ``radius_m``, the walk or
        ``snap_max_m`` change, and then on the same walk network; siting always runs.

        Parameters
        ----------
        config : PlanConfig, optional
            Start from this config instead of the plan's own.
        **knobs
            PlanConfig fields to change (``max_households=400``, ``add_stations=3``).

        Returns
        -------
        Plan
            A new plan; this one is unchanged.

        Raises
        ------
        InputError
            For a setting used when the city is loaded (``dwelling_m2``, ``crs``, ...):
            load the city again with it.
        """
        new = (config or self.config).replace(**knobs)
        changed = {f for f in new.to_dict() if getattr(new, f) != getattr(self.config, f)}
        load = sorted(changed & set(LOAD_FIELDS))
        if load:
            raise InputError(f"{load[0]} is used when the city is loaded: expected "
                             f"gridplan.load(..., config=PlanConfig({load[0]}=...)) and a new plan")
        part = None if changed & set(PARTITION_FIELDS) else self.partition
        cov = None if changed & set(COVERAGE_FIELDS) else self.coverage
        if part is not None:
            part = _copy_partition(part)
        return _build(self.city, new, part=part, cov=cov, candidates=self.candidates,
                      cache=self._cache)

    def with_stations(self, stations, **knobs) -> "Plan":
        """This plan with more stations: distances are measured to the new ones only, the
        grids are kept, and siting runs again for what is still uncovered.

        Parameters
        ----------
        stations : GeoDataFrame, GeoSeries, array of shape (n, 2), or "proposed"
            The stations to add: shapes with a CRS (any; points are taken on the surface of
            polygons), x/y in the city's CRS, or ``"proposed"`` for this plan's proposed
            stations.
        **knobs
            PlanConfig fields to change at the same time (siting settings only).

        Returns
        -------
        Plan
            A new plan whose ``stations`` hold the old and the new ones (``kind`` says
            which); this one is unchanged.
        """
        import dataclasses
        extra = _as_stations(stations, self)
        if knobs:
            bad = sorted(set(knobs) & set(PARTITION_FIELDS + COVERAGE_FIELDS + LOAD_FIELDS))
            if bad:
                raise InputError(f"{bad[0]} cannot change while adding stations: expected "
                                 f"plan.replan({bad[0]}=...) first")
        config = self.config.replace(**knobs)
        st = pd.concat([self.city.stations, extra], ignore_index=True)
        city = dataclasses.replace(self.city, stations=gpd.GeoDataFrame(st, crs=self.city.crs))
        cov = measure_coverage(city, config, self.coverage.network,
                               stations_xy=shapely.get_coordinates(extra.geometry.values),
                               previous=self.coverage)
        return _build(city, config, part=_copy_partition(self.partition), cov=cov,
                      candidates=self.candidates, cache=self._cache)

    def _repr_html_(self) -> str:
        """A notebook cell shows the key figures and the map."""
        s = self.summary
        g, c, cov = s.grids, s.communities, s.coverage
        rows = [("grids", f"{g.count:,} ({g.within_bounds_share:.1%} within "
                          f"{g.bounds[0]}–{g.bounds[1]})"),
                ("communities", f"{c.count:,} ({c.within_bounds_share:.1%} within "
                                f"{c.bounds[0]}–{c.bounds[1]})"),
                ("households", f"{s.households:,} in {s.homes:,} homes"),
                ("compactness", f"mean Polsby-Popper {g.polsby_popper_mean:.3f}"),
                (f"within {cov.radius_m:.0f} m", f"{cov.straight_share:.1%} straight"
                 + (f", {cov.walk_share:.1%} on foot" if cov.walk_share is not None
                    else "")),
                ("proposed stations", str(s.siting.proposed))]
        table = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>"
                        for k, v in rows)
        try:
            m = self.map()._repr_html_()
        except Exception as e:  # a table is still worth showing
            m = f"<p>(no map: {type(e).__name__}: {e})</p>"
        return f"<table>{table}</table>{m}"

    def __repr__(self) -> str:
        g = self.grids
        e = self.edits
        return (f"Plan({len(g):,} grids, {len(self.communities):,} communities, "
                f"{int(g[HOUSEHOLDS].sum()):,} households, "
                f"{g['in_range'].mean():.1%} of grids in {self.config.min_households}–"
                f"{self.config.max_households}"
                + ("" if e is None else
                   f", edits: {e.applied} moves applied, "
                   f"{len(e.refused)} refused, {e.comments} comments")
                + ")")


def measure_coverage(city: City, config: PlanConfig, network=None, *,
                     stations_xy=None, previous: Coverage | None = None) -> Coverage:
    """Straight and walk distances from every home of the city to its nearest station.

    Parameters
    ----------
    city : City
    config : PlanConfig
        ``radius_m``, ``walk_m`` (walks are measured up to the longer of the two) and
        ``snap_max_m``.
    network : WalkNetwork, optional
        Built from ``city.streets`` when not given.
    stations_xy : ndarray, optional
        Measure to these stations only (default: all of ``city.stations``).
    previous : Coverage, optional
        Distances to other stations, measured with the same settings: the result is the
        nearer of the two (how stations are added without measuring the old ones again).
    """
    from . import coverage as cov
    xy = home_points(city.homes)
    st = (shapely.get_coordinates(city.stations.geometry.values) if stations_xy is None
          else np.asarray(stations_xy, dtype=float).reshape(-1, 2))
    dist, _ = cov.straight_distances(xy, st)
    limit = max(config.walk_m, config.radius_m)
    if network is None and len(city.streets):
        network = cov.build_walk_network(city.streets, config=config)
    access = home_snap = None
    if network is not None:
        network = _snapping(network, config)
        home_snap = cov.snap_to_network(network, xy, max_m=config.snap_max_m)
        access = np.where(np.isfinite(home_snap.access_m), home_snap.access_m, np.nan)
    if network is not None and len(st):
        walk, _ = cov.walk_distances(network, xy, st, limit, max_access_m=config.snap_max_m,
                                     home_snap=home_snap)
    else:
        walk = np.full(len(xy), np.nan)
    if previous is not None:
        dist, walk = np.fmin(previous.dist_m, dist), np.fmin(previous.walk_m, walk)
    has_st = len(st) or (previous is not None and np.isfinite(previous.dist_m).any())
    if network is not None and has_st:
        method = "straight line (KD-tree) and walk along the streets layer (multi-source Dijkstra)"
    else:
        method = "straight line only: " + ("no stations" if not has_st else "no streets")
    return Coverage(dist_m=np.asarray(dist, dtype=float), walk_m=np.asarray(walk, dtype=float),
                    method=method, network=network, access_m=access)


def _snapping(network, config: PlanConfig):
    """The network with the config's snapping preferences (a copy when they differ)."""
    import dataclasses
    prefs = {"snap_prefer_m": float(config.snap_prefer_m),
             "fragment_m": float(config.snap_fragment_m)}
    if all(getattr(network, k) == v for k, v in prefs.items()):
        return network
    return dataclasses.replace(network, **prefs)


def plan(city: City, config: PlanConfig | None = None, *, keep=None, candidates=None,
         **knobs) -> Plan:
    """Plan a city: grids and communities within the household bounds, coverage of the
    stations, and the new stations that close the gap.

    Parameters
    ----------
    city : City
        From :func:`gridplan.load` or :func:`gridplan.synth`.
    config : PlanConfig, optional
        Every setting; the defaults follow published plans (300–500 households a grid,
        3,000–5,000 a community, 500 m, a 15-minute walk at 4 km/h).
    keep : Plan, str, Path or GeoDataFrame, optional
        Last year's plan (a Plan, its plan.gpkg, or its grids): grid and community ids are
        kept and as few homes as possible move; ``plan.moved`` says how many.
    candidates : GeoDataFrame, optional
        Sites where a new station may go (points in the city's CRS, e.g. from
        :func:`gridplan.io.read_points`); by default street intersections and
        non-residential buildings.
    **knobs
        Any PlanConfig field, overriding ``config`` (``max_households=400``).

    Returns
    -------
    Plan
        With ``grids``, ``communities``, ``homes``, ``stations``, ``proposed``, ``summary``;
        ``replan(**knobs)`` and ``with_stations(points)`` try variants quickly.

    Raises
    ------
    InputError
        For a setting that cannot make a plan, naming it.

    Examples
    --------
    >>> import gridplan as gp
    >>> city = gp.synth(households=6_000, seed=1)
    >>> p = gp.plan(city, max_households=400)
    >>> bool(p.grids["households"].between(300, 400).all())
    True
    """
    config = (config or PlanConfig()).replace(**knobs) if knobs else (config or PlanConfig())
    if not isinstance(city, City):
        raise InputError(f"expected a City (from gridplan.load or gridplan.synth), got "
                         f"{type(city).__name__}")
    return _build(city, config, keep=_keep_grids(keep, city), candidates=candidates)


def _build(city: City, config: PlanConfig, *, keep=None, candidates=None, part=None,
           cov=None, cache=None) -> Plan:
    """The stages of a plan, each reused when given (re-plans)."""
    seconds = {}
    cache = {} if cache is None else cache
    with steps(["partition", "coverage", "siting"]) as step:
        t = time.perf_counter()
        if part is None:
            part = partition(city, config, keep=keep, cache=cache)
        seconds["partition"] = round(time.perf_counter() - t, 3)
        step()
        t = time.perf_counter()
        if cov is None:
            cov = measure_coverage(city, config, cache.get("network"))
        cache["network"] = cov.network
        homes = _with_distances(part, cov, config)
        seconds["coverage"] = round(time.perf_counter() - t, 3)
        step()
        t = time.perf_counter()
        proposal = propose_stations(homes, city, config, cov.network, candidates)
        seconds["siting"] = round(time.perf_counter() - t, 3)
        step()
    return Plan(city=city, config=config, partition=part, coverage=cov,
                proposed=proposal.stations, siting=proposal.summary, seconds=seconds,
                candidates=candidates, _cache=cache)


def _with_distances(part: Partition, cov: Coverage, config: PlanConfig) -> gpd.GeoDataFrame:
    """Distances on the partition's homes (parts take their building's), and the shares
    per grid and community."""
    homes = part.homes
    idx = homes[HOME_INDEX].to_numpy()
    dist, walk = cov.dist_m[idx], cov.walk_m[idx]
    homes[DIST_M] = np.round(dist, 1)
    homes[WALK_M] = np.round(walk, 1)
    if cov.access_m is not None:
        homes[ACCESS_M] = np.round(cov.access_m[idx], 1)
    homes[COVERED_RADIUS] = dist <= config.radius_m
    homes[COVERED_RADIUS_WALK] = walk <= config.radius_m
    homes[COVERED_15MIN] = walk <= config.walk_m
    _grid_coverage(part, config)
    return homes


def _copy_partition(part: Partition) -> Partition:
    """A partition whose frames a new plan may annotate without touching the old plan's."""
    import dataclasses
    return dataclasses.replace(part, homes=part.homes.copy(), grids=part.grids.copy(),
                               communities=part.communities.copy())


def _as_stations(stations, plan: Plan) -> gpd.GeoDataFrame:
    """Stations to add, as points in the city's CRS with ``kind = 'added'``."""
    crs = plan.city.crs
    if isinstance(stations, str):
        if stations != "proposed":
            raise InputError(f"stations = {stations!r}: expected 'proposed', points or shapes")
        gdf = plan.proposed.copy()
    elif isinstance(stations, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if stations.crs is None:
            raise InputError("stations have no CRS: expected shapes with a CRS, or x/y in "
                             "the city's CRS as an array")
        gdf = gpd.GeoDataFrame(geometry=stations.geometry if isinstance(
            stations, gpd.GeoDataFrame) else stations).to_crs(crs)
        if isinstance(stations, gpd.GeoDataFrame):
            gdf = gpd.GeoDataFrame(stations.drop(columns=stations.geometry.name),
                                   geometry=gdf.geometry.values, crs=crs)
    else:
        xy = np.asarray(stations, dtype=float)
        if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
            raise InputError(f"stations of shape {xy.shape}: expected x/y pairs, shape (n, 2)")
        gdf = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=crs)
    geom = gdf.geometry.values
    if (shapely.is_missing(geom) | shapely.is_empty(geom)).any():
        raise InputError("a station with an empty geometry: expected a point or shape")
    gdf = gdf.set_geometry(shapely.point_on_surface(geom), crs=crs)
    gdf[KIND] = "added"
    return gdf.drop(columns=[c for c in (PROPOSED_RANK,) if c in gdf.columns])


def _keep_grids(keep, city: City):
    if keep is None:
        return None
    if isinstance(keep, Plan):
        return keep.grids[[GRID_ID, COMMUNITY_ID, "geometry"]].to_crs(city.crs)
    if isinstance(keep, gpd.GeoDataFrame):
        return keep[[GRID_ID, COMMUNITY_ID, "geometry"]].to_crs(city.crs)
    from .partition.update import read_keep
    return read_keep(keep, city.crs)


def _grid_coverage(part: Partition, config: PlanConfig) -> None:
    """Household-weighted coverage shares per grid and per community (NaN for one without
    households), and whether a grid has a station within the radius of any of its homes."""
    h = part.homes
    w = h[HOUSEHOLDS].to_numpy().astype(float)
    covered = {name: h[col].to_numpy(dtype=bool) for col, name in (
        (COVERED_RADIUS, C.SHARE_RADIUS), (COVERED_RADIUS_WALK, C.SHARE_RADIUS_WALK),
        (COVERED_15MIN, C.SHARE_15MIN))}
    for key, frame in ((C.GRID_ID, part.grids), (C.COMMUNITY_ID, part.communities)):
        row = pd.Index(frame[key]).get_indexer(h[key])   # the frame's row of each home
        ok = (w > 0) & (row >= 0)                        # homes with households count
        for name, c in covered.items():
            share = household_share(w[ok], c[ok], row[ok], len(frame))
            frame[name] = np.round(share, SHARE_DECIMALS)
        if key == C.GRID_ID:
            nearest = np.full(len(frame), np.inf)
            np.fmin.at(nearest, row[ok], h[DIST_M].to_numpy()[ok])
            frame[C.STATION_IN_REACH] = nearest <= config.radius_m
