"""New stations for a city: candidate sites, the siting run, and the proposals ranked by what
each adds."""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from .city import City
from .columns import (GRID_ID, HOME_INDEX, HOUSEHOLDS, HOUSEHOLDS_ADDED, HOUSEHOLDS_IN_REACH,
                      KIND, NAME, PROPOSED_RANK)
from .config import PlanConfig
from .errors import InputError
from .summary import SitingSummary


@dataclass
class Proposal:
    """What :func:`propose_stations` found.

    Attributes
    ----------
    stations : GeoDataFrame
        The proposed stations in rank order, the candidates' own columns kept, plus
        ``proposed_rank`` (1 adds the most), ``households_added`` (households it reaches that
        no existing or higher-ranked station reaches) and ``households_in_reach``.
    covered : ndarray of bool
        Per row of the homes given: within reach of an existing or proposed station.
    covered_before : ndarray of bool
        Per row of the homes given: within reach of an existing station.
    summary : SitingSummary
        The ``siting`` part of ``summary.json``.
    """

    stations: gpd.GeoDataFrame
    covered: np.ndarray
    covered_before: np.ndarray
    summary: SitingSummary


def home_points(homes: gpd.GeoDataFrame) -> np.ndarray:
    """One point per home row: its representative point (a part uses its building's)."""
    return shapely.get_coordinates(shapely.point_on_surface(homes.geometry.values))


def default_candidates(city: City, homes: gpd.GeoDataFrame, network) -> gpd.GeoDataFrame:
    """Candidate sites when none are given: street intersections (three or more ways meet)
    and non-residential buildings (shops, offices, schools: rooms a station can rent)."""
    pts, kind = [], []
    if network is not None and len(network.xy):
        deg = np.diff(network.csr.indptr)
        inter = network.xy[deg >= 3]
        pts.append(inter)
        kind += ["intersection"] * len(inter)
    nonres = homes[homes[HOUSEHOLDS] <= 0]
    if len(nonres):
        xy = home_points(nonres)
        pts.append(xy)
        kind += ["building"] * len(xy)
    if not kind:
        return home_sites(homes, city.crs)
    return gpd.GeoDataFrame({KIND: kind}, geometry=shapely.points(np.vstack(pts)),
                            crs=city.crs)


#: ``kind`` of a candidate site that is a home itself: a station embedded in a compound.
HOME_SITE = "home"


def home_sites(homes: gpd.GeoDataFrame, crs) -> gpd.GeoDataFrame:
    """The homes with households as candidate sites (a station embedded in the compound, as
    published plans place them): the candidates left when there are no streets and no
    other buildings, e.g. a register of compound points. A home split into parts is one
    site; its ``name`` is kept."""
    h = homes[homes[HOUSEHOLDS] > 0]
    if HOME_INDEX in h.columns:
        h = h.drop_duplicates(HOME_INDEX)
    data = {KIND: [HOME_SITE] * len(h)}
    if NAME in h.columns:
        data[NAME] = h[NAME].to_numpy()
    return gpd.GeoDataFrame(data, geometry=shapely.points(home_points(h)), crs=crs)


def candidate_costs(candidates: gpd.GeoDataFrame) -> np.ndarray | None:
    """The ``cost`` column of candidate sites as numbers >= 0 (a free room in a public
    building against a rented one), or None when there is none (every site costs 1).
    InputError names the row when a cost is missing, negative or not a number."""
    if "cost" not in candidates.columns:
        return None
    import pandas as pd
    raw = candidates["cost"]
    cost = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(cost) | (cost < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        row = (int(candidates["source_row"].iloc[k]) if "source_row" in candidates.columns
               else k + 1)
        raise InputError(f"{raw.iloc[k]!r}: expected a site cost >= 0 (a number)",
                         layer="candidates", column="cost", row=row)
    return cost


def walk_network_for(city: City, network=None, config: PlanConfig | None = None):
    """The walk network siting on foot needs: ``network`` if given, else built from the
    city's streets; InputError when there are none."""
    if network is not None:
        return network
    if not len(city.streets):
        raise InputError("siting_metric = 'walk' needs streets: expected an input with a "
                         "streets layer, or a --network file")
    from .coverage import build_walk_network
    return build_walk_network(city.streets, config=config)


def propose_stations(homes: gpd.GeoDataFrame, city: City, config: PlanConfig, network=None,
                     candidates: gpd.GeoDataFrame | None = None) -> Proposal:
    """New stations that close the coverage gap, existing stations kept.

    By default the fewest candidates that reach every household a candidate can reach
    (set covering, LSCP). With ``config.add_stations = N``: the N that reach the most
    households (maximal covering, MCLP). With ``config.target_coverage``: the fewest of the
    set-covering stations, best first, that reach that share. With
    ``config.one_station_per_grid``: also every grid gets a station within reach of one of
    its homes (``homes`` then needs a ``grid_id`` column). Reach is ``config.radius_m``,
    straight or on foot (``config.siting_metric``).

    Parameters
    ----------
    homes : GeoDataFrame
        Homes with ``households`` (rows with none are not demand).
    city : City
        Its stations stay.
    config : PlanConfig
    network : WalkNetwork, optional
        The walk network (built from the city's streets when needed and not given).
    candidates : GeoDataFrame, optional
        Possible sites (points in the city's CRS); by default street intersections and
        non-residential buildings.

    Returns
    -------
    Proposal
    """
    from . import coverage as cov
    t = time.perf_counter()
    walk = config.siting_metric == "walk"
    net = walk_network_for(city, network, config) if walk else network
    res = homes[HOUSEHOLDS].to_numpy() > 0
    xy = home_points(homes)
    w = homes[HOUSEHOLDS].to_numpy(dtype=float) * res
    groups = None
    if config.one_station_per_grid:
        if GRID_ID not in homes.columns:
            raise InputError("one_station_per_grid needs grids: expected homes with grid_id")
        groups = np.where(res, homes[GRID_ID].to_numpy(dtype=object), None)
    cand = candidates if candidates is not None else default_candidates(city, homes, net)
    from_homes = candidates is None and len(cand) and (cand[KIND] == HOME_SITE).all()
    costs = candidate_costs(cand)
    existing = shapely.get_coordinates(city.stations.geometry.values)
    reach_net = net if walk else None
    info = dict(metric=config.siting_metric, radius_m=config.radius_m,
                candidates=int(len(cand)), add=config.add_stations,
                one_station_per_grid=config.one_station_per_grid,
                target_coverage=config.target_coverage,
                candidate_sites=("given" if candidates is not None
                                 else "homes" if from_homes else "streets and buildings"))
    if not len(cand):
        done = _reached(xy, existing, config.radius_m, reach_net)
        stations = cand.iloc[:0].assign(proposed_rank=[], households_added=[],
                                        households_in_reach=[])
        return Proposal(stations, done, covered_before=done, summary=SitingSummary(
            **info, proposed=0, covered_households=int(w[done].sum()),
            coverable_households=int(w[done].sum()),
            uncoverable_households=int(w[~done].sum()), gap=None,
            method="no candidate sites", seconds=round(time.perf_counter() - t, 3)))
    cxy = shapely.get_coordinates(cand.geometry.values)
    r = cov.site_stations(xy, w, cxy, radius_m=config.radius_m,
                          existing_xy=existing if len(existing) else None,
                          add=config.add_stations, net=reach_net, groups=groups, costs=costs,
                          time_limit_s=config.siting_time_limit_s, seed=config.seed)
    chosen = np.asarray(r.chosen, dtype=int)
    done = r.reached_before
    sets = r.reach[:, chosen].tocsc()
    order, added, must = _rank(sets, w, done, groups)
    if config.target_coverage is not None and config.add_stations is None:
        base, target = w[done].sum(), config.target_coverage * w.sum()
        keep = 0
        if base < target:
            share = base + np.cumsum(added)
            keep = min(int(np.searchsorted(share, target - 1e-9)) + 1, len(order))
        keep = max(keep, must)
        order, added = order[:keep], added[:keep]
    proposed = cand.iloc[chosen[order]].copy()
    proposed[PROPOSED_RANK] = np.arange(1, len(order) + 1)
    proposed[HOUSEHOLDS_ADDED] = np.round(added).astype("int64")
    proposed[HOUSEHOLDS_IN_REACH] = np.array(
        [w[sets.indices[sets.indptr[k]:sets.indptr[k + 1]]].sum() for k in order]
    ).round().astype("int64")
    covered = done.copy()
    for k in order:
        covered[sets.indices[sets.indptr[k]:sets.indptr[k + 1]]] = True
    gap = float(r.gap) if r.gap is not None and np.isfinite(r.gap) else None
    summary = SitingSummary(
        **info, proposed=int(len(order)), covered_households=int(round(w[covered].sum())),
        coverable_households=int(round(r.coverable_households)),
        uncoverable_households=int(round(w[np.asarray(r.uncoverable, int)].sum())),
        unreachable_grids=tuple(str(g) for g in r.unreachable_groups),
        cost=None if costs is None else float(costs[chosen[order]].sum()),
        gap=gap, bound=None if not np.isfinite(r.bound) else float(r.bound),
        method=("maximal covering, " if config.add_stations is not None
                else "set covering, ") + r.method,
        status=r.status, seconds=round(time.perf_counter() - t, 3))
    return Proposal(proposed.reset_index(drop=True), covered, covered_before=done,
                    summary=summary)


def _reached(xy, sites, radius_m, net) -> np.ndarray:
    """Homes within reach of any of ``sites``."""
    from .coverage import coverage_sets
    if not len(sites):
        return np.zeros(len(xy), bool)
    return np.diff(coverage_sets(xy, sites, radius_m, net=net).indptr) > 0


def _rank(sets, w, done, grid):
    """Order stations best first: those that reach grids no station reaches yet come first
    (when ``grid`` is given; None marks homes of no grid), then by the households each adds.
    Lazy greedy: a score only falls as stations are placed, so a stale score is an upper
    bound. Returns the order, the households each adds in that order, and how many
    stations the grids need."""
    covered = done.copy()
    seen = set() if grid is None else {g for g in grid[done] if g is not None}
    big = w.sum() + 1.0

    def rows(k):
        return sets.indices[sets.indptr[k]:sets.indptr[k + 1]]

    def score(k):
        r = rows(k)
        gain = w[r[~covered[r]]].sum()
        fresh = 0 if grid is None else len({g for g in grid[r] if g is not None} - seen)
        return fresh * big + gain, gain, fresh

    heap = [(-score(k)[0], k) for k in range(sets.shape[1])]
    heapq.heapify(heap)
    order, added, must = [], [], 0
    while heap:
        _, k = heapq.heappop(heap)
        s, gain, fresh = score(k)
        if heap and s < -heap[0][0]:
            heapq.heappush(heap, (-s, k))
            continue
        order.append(k)
        added.append(gain)
        covered[rows(k)] = True
        if fresh:
            must = len(order)
            seen |= {g for g in grid[rows(k)] if g is not None}
    return np.asarray(order, dtype=int), np.asarray(added, dtype=float), must
