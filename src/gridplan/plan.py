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
from .propose import home_points, propose_stations


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


def plan(city: City, config: PlanConfig | None = None, *, keep=None, candidates=None,
         **knobs) -> Plan:
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
    candidates : GeoDataFrame, optional
        Sites where a new station may go (points in the city's CRS, e.g. from
        :func:`gridplan.io.read_points`); by default street intersections and
        non-residential buildings.
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
        proposal = propose_stations(homes, city, config, cov.network, candidates)
        seconds["siting"] = round(time.perf_counter() - t, 3)
        step()
    return Plan(city=city, config=config, partition=part, coverage=cov,
                proposed=proposal.stations, siting=proposal.summary, seconds=seconds)


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
