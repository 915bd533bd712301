"""Walk network, distances to stations, isochrones, station siting and coverage shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._paths import Snap
from .distance import snap_to_network, straight_distances, walk_distances
from .isochrones import walk_isochrones
from .network import WalkNetwork, build_walk_network
from .siting import SitingResult, site_from_matrix, site_stations
from .sets import coverage_sets

__all__ = ["Snap", "SitingResult", "WalkNetwork", "build_walk_network", "coverage_sets",
           "coverage_shares", "site_from_matrix", "site_stations", "snap_to_network",
           "straight_distances", "walk_distances", "walk_isochrones"]


def coverage_shares(households, covered_mask, groups=None) -> float | pd.Series:
    """The household-weighted share of homes covered, overall or per group.

    Parameters
    ----------
    households : array-like or Series of shape (n,)
        Households per home.
    covered_mask : array-like of bool, shape (n,)
        Whether each home is covered (e.g. ``walk_m <= 1000``; NaN distances compare False).
    groups : array-like or Series of shape (n,), optional
        A group id per home (grid, community). All three are matched by position.

    Returns
    -------
    float or Series
        Covered households / all households; NaN where a group has no households. Per
        group: a Series named ``coverage_share`` indexed by group id (sorted).
    """
    hh = np.asarray(households, dtype=float).reshape(-1)
    cov = np.asarray(covered_mask, dtype=bool).reshape(-1)
    if cov.shape != hh.shape:
        from ..errors import InputError
        raise InputError(f"covered_mask has {cov.size} values: expected one per home "
                         f"({hh.size})")
    if groups is None:
        total = hh.sum()
        return float(hh[cov].sum() / total) if total > 0 else float("nan")
    frame = pd.DataFrame({"group": np.asarray(groups), "all": hh, "covered": hh * cov})
    sums = frame.groupby("group", sort=True)[["all", "covered"]].sum()
    share = sums["covered"] / sums["all"].where(sums["all"] > 0)
    return share.rename("coverage_share")
