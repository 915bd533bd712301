"""Plan: partition and coverage for one City, and the results a planner reviews."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .city import City
from .config import PlanConfig
from .errors import InputError
from .partition import Partition, partition
from .progress import steps


@dataclass
class Coverage:
    """Distances from homes to stations and what they add up to.

    Attributes
    ----------
    dist_m, walk_m : ndarray
        Per home row of the partition's homes (parts included); walk_m is NaN beyond the
        walk limit, more than ``snap_max_m`` from a street, or when there is no network.
    method : str
    network : object
        The walk network (reused by re-plans).
    """

    dist_m: np.ndarray
    walk_m: np.ndarray
    method: str
    network: object = None


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
    summary : dict
        The same figures as ``summary.json``.
    """

    city: City
    config: PlanConfig
    partition: Partition
    coverage: Coverage
    proposed: gpd.GeoDataFrame
    siting: dict
    seconds: dict = field(default_factory=dict)
    _isochrones: gpd.GeoDataFrame | None = field(default=None, repr=False)

    @property
    def homes(self) -> gpd.GeoDataFrame:
        return self.partition.homes

    @property
    def grids(self) -> gpd.GeoDataFrame:
        return self.partition.grids

    @property
    def communities(self) -> gpd.GeoDataFrame:
        return self.partition.communities

    @property
    def special_grids(self) -> gpd.GeoDataFrame:
        return self.partition.special_grids

    @property
    def stations(self) -> gpd.GeoDataFrame:
        return self.city.stations

    @property
    def uncovered(self) -> gpd.GeoDataFrame:
        h = self.homes
        return h[(h["households"] > 0) & ~h["covered_radius"]]

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
                iso = cov.walk_isochrones(net, xy, self.config.walk_m)
                self._isochrones = iso if iso.crs else iso.set_crs(self.city.crs)
        return self._isochrones

    @property
    def summary(self) -> dict:
        from .report import summarize
        return summarize(self)

    def map(self, **kwargs):
        """The review map as a ``folium.Map`` (see :func:`gridplan.maps.plan_map`)."""
        from .maps import plan_map
        return plan_map(self, **kwargs)

    def save(self, out) -> None:
        """Write ``plan.gpkg``, ``summary.json`` and ``map.html`` to the folder ``out``,
        atomically: the folder appears complete or not at all."""
        from .report import write_plan
        write_plan(self, out)

    def __repr__(self) -> str:
        g = self.grids
        return (f"Plan({len(g):,} grids, {len(self.communities):,} communities, "
                f"{int(g['households'].sum()):,} households, "
                f"{g['in_range'].mean():.1%} of grids in {self.config.min_households}–"
                f"{self.config.max_households})")


def home_points(homes: gpd.GeoDataFrame) -> np.ndarray:
    """One point per home row: its representative point (a part uses its building's)."""
    return shapely.get_coordinates(shapely.point_on_surface(homes.geometry.values))


def measure_coverage(homes: gpd.GeoDataFrame, city: City, config: PlanConfig,
                     network=None) -> Coverage:
    """Straight and walk distances from every home to its nearest station."""
    from . import coverage as cov
    xy = home_points(homes)
    st = (shapely.get_coordinates(city.stations.geometry.values) if len(city.stations)
          else np.zeros((0, 2)))
    dist, _ = cov.straight_distances(xy, st)
    limit = max(config.walk_m, config.radius_m)
    if network is None and len(city.streets):
        network = cov.build_walk_network(city.streets)
    if network is not None and len(st):
        walk, _ = cov.walk_distances(network, xy, st, limit, max_access_m=config.snap_max_m)
        method = "straight line (KD-tree) and walk along the streets layer (multi-source Dijkstra)"
    else:
        walk = np.full(len(xy), np.nan)
        method = ("straight line only: " + ("no stations" if not len(st) else "no streets"))
    return Coverage(dist_m=np.asarray(dist, dtype=float), walk_m=np.asarray(walk, dtype=float),
                    method=method, network=network)


def _candidates(city: City, homes: gpd.GeoDataFrame, network) -> gpd.GeoDataFrame:
    """Candidate sites for new stations: street intersections and non-residential buildings."""
    pts, kind = [], []
    if network is not None and len(network.xy):
        deg = np.diff(network.csr.indptr)
        inter = network.xy[deg >= 3]
        pts.append(inter)
        kind += ["intersection"] * len(inter)
    nonres = homes[(homes["households"] <= 0)]
    if len(nonres):
        xy = home_points(nonres)
        pts.append(xy)
        kind += ["building"] * len(xy)
    if not pts:
        return gpd.GeoDataFrame({"kind": []}, geometry=[], crs=city.crs)
    xy = np.vstack(pts)
    return gpd.GeoDataFrame({"kind": kind}, geometry=shapely.points(xy), crs=city.crs)


def propose_stations(homes: gpd.GeoDataFrame, city: City, config: PlanConfig, network,
                     candidates: gpd.GeoDataFrame | None = None):
    """New stations that close the straight-line radius gap: the fewest that cover every
    household a candidate can reach, or, with ``config.target_coverage``, the fewest that
    reach that share."""
    from . import coverage as cov
    res = homes[homes["households"] > 0]
    xy = home_points(res)
    w = res["households"].to_numpy(dtype=float)
    cand = candidates if candidates is not None else _candidates(city, homes, network)
    existing = (shapely.get_coordinates(city.stations.geometry.values) if len(city.stations)
                else None)
    t = time.perf_counter()
    cxy = shapely.get_coordinates(cand.geometry.values) if len(cand) else np.zeros((0, 2))
    if not len(cxy):
        empty = gpd.GeoDataFrame({"kind": []}, geometry=[], crs=city.crs)
        return empty, {"proposed": 0, "covered_households": None, "coverable_households": None,
                       "method": "no candidate sites", "seconds": 0.0}
    r = cov.site_stations(xy, w, cxy, radius_m=config.radius_m, existing_xy=existing,
                          time_limit_s=config.siting_time_limit_s, seed=config.seed)
    chosen = np.asarray(r.chosen, dtype=int)
    if config.target_coverage is not None and len(chosen):
        # the fewest of the set-cover stations, added greedily, that reach the target share
        chosen = _prefix_to_target(xy, w, existing, cxy, chosen, config)
    proposed = cand.iloc[chosen].copy()
    proposed["proposed_rank"] = np.arange(1, len(proposed) + 1)
    sites = [a for a in (existing, cxy[chosen]) if a is not None and len(a)]
    covered = 0.0
    if sites:
        from scipy.spatial import cKDTree
        d, _ = cKDTree(np.vstack(sites)).query(xy)
        covered = w[d <= config.radius_m].sum()
    info = {"proposed": int(len(chosen)), "covered_households": int(round(covered)),
            "coverable_households": int(round(r.coverable_households)),
            "uncoverable_households": int(round(w[np.asarray(r.uncoverable, dtype=int)].sum()))
            if len(r.uncoverable) else 0,
            "gap": float(r.gap) if r.gap is not None and np.isfinite(r.gap) else None,
            "method": f"set covering, {r.method}", "candidates": int(len(cand)),
            "seconds": round(time.perf_counter() - t, 3)}
    return proposed.reset_index(drop=True), info


def _prefix_to_target(xy, w, existing, cxy, chosen, config):
    from scipy.spatial import cKDTree
    covered = np.zeros(len(xy), dtype=bool)
    if existing is not None and len(existing):
        d, _ = cKDTree(existing).query(xy)
        covered |= d <= config.radius_m
    target = config.target_coverage * w.sum()
    tree = cKDTree(xy)
    sets = [np.asarray(tree.query_ball_point(cxy[c], config.radius_m), dtype=int) for c in chosen]
    out, remaining = [], list(range(len(chosen)))
    while w[covered].sum() < target and remaining:
        gains = [w[sets[i][~covered[sets[i]]]].sum() for i in remaining]
        best = remaining.pop(int(np.argmax(gains)))
        covered[sets[best]] = True
        out.append(chosen[best])
    return np.asarray(out, dtype=int)


def plan(city: City, config: PlanConfig | None = None, *, keep=None, **knobs) -> Plan:
    """Plan a city: communities and grids within the household bounds, coverage of the
    stations, and the new stations that close the gap.

    Parameters
    ----------
    city : City
        From :func:`gridplan.load` or :func:`gridplan.synth`.
    config : PlanConfig, optional
    keep : Plan, str, Path or GeoDataFrame, optional
        Last year's plan (a Plan, its plan.gpkg, or its grids): grid and community ids are
        kept and as few homes as possible move; ``summary["grids"]["moved"]`` says how many.
    **knobs
        Any PlanConfig field, overriding ``config`` (``max_households=400``).

    Returns
    -------
    Plan
    """
    config = (config or PlanConfig()).replace(**knobs) if knobs else (config or PlanConfig())
    if not isinstance(city, City):
        raise InputError(f"expected a City (from gridplan.load or gridplan.synth), got "
                         f"{type(city).__name__}")
    seconds = {}
    with steps(["partition", "coverage", "siting"]) as step:
        t = time.perf_counter()
        part = partition(city, config, keep=_keep_grids(keep, city))
        seconds["partition"] = round(time.perf_counter() - t, 3)
        step()
        t = time.perf_counter()
        cov = measure_coverage(part.homes, city, config)
        homes = part.homes
        homes["dist_m"] = np.round(cov.dist_m, 1)
        homes["walk_m"] = np.round(cov.walk_m, 1)
        homes["covered_radius"] = cov.dist_m <= config.radius_m
        homes["covered_radius_walk"] = cov.walk_m <= config.radius_m
        homes["covered_15min"] = cov.walk_m <= config.walk_m
        _grid_coverage(part, config)
        seconds["coverage"] = round(time.perf_counter() - t, 3)
        step()
        t = time.perf_counter()
        proposed, siting = propose_stations(homes, city, config, cov.network)
        seconds["siting"] = round(time.perf_counter() - t, 3)
        step()
    return Plan(city=city, config=config, partition=part, coverage=cov, proposed=proposed,
                siting=siting, seconds=seconds)


def _keep_grids(keep, city: City):
    if keep is None:
        return None
    if isinstance(keep, Plan):
        return keep.grids[["grid_id", "community_id", "geometry"]].to_crs(city.crs)
    if isinstance(keep, gpd.GeoDataFrame):
        return keep[["grid_id", "community_id", "geometry"]].to_crs(city.crs)
    from .partition.update import read_keep
    return read_keep(keep, city.crs)


def _grid_coverage(part: Partition, config: PlanConfig) -> None:
    """Household-weighted coverage shares per grid and per community, and whether a grid has
    a station within the radius of any of its homes."""
    h = part.homes[part.homes["households"] > 0]
    w = h["households"].astype(float)
    for key, frame in (("grid_id", part.grids), ("community_id", part.communities)):
        tot = w.groupby(h[key]).sum()
        for col, name in (("covered_radius", "share_radius"),
                          ("covered_radius_walk", "share_radius_walk"),
                          ("covered_15min", "share_15min")):
            share = (w * h[col]).groupby(h[key]).sum() / tot
            frame[name] = frame[key].map(share).fillna(0.0).round(4).to_numpy()
    near = h.groupby("grid_id")["dist_m"].min() <= config.radius_m
    part.grids["station_in_reach"] = part.grids["grid_id"].map(near).fillna(False).to_numpy()
