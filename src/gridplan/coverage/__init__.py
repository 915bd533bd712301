"""Walk network, distances to stations, isochrones, station siting and coverage shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ._paths import Snap
from .distance import snap_to_network, straight_distances, walk_distances
from .isochrones import walk_isochrones
from .measure import household_share, share_figure
from .network import WalkNetwork, build_walk_network
from .siting import SitingResult, site_from_matrix, site_stations
from .sets import coverage_sets

__all__ = ["Snap", "SitingResult", "WalkNetwork", "build_walk_network", "coverage_sets",
           "coverage_shares", "household_share", "share_figure", "site_from_matrix", "site_stations", "snap_to_network",
           "straight_distances", "walk_distances", "walk_isochrones"]


def coverage_shares(households, covered_mask, groups=None) -> float | pd.Series:
    """The household-weighted share of homes covered, overall or per group
    (:func:`gridplan.coverage.measure.household_share` by group id).

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
    if groups is None:
        return household_share(households, covered_mask)
    codes, ids = pd.factorize(np.asarray(groups).reshape(-1), sort=True)
    hh = np.asarray(households, dtype=float).reshape(-1)
    if codes.shape != hh.shape:
        raise InputError(f"groups has {codes.size} values: expected one per home ({hh.size})")
    cov = np.asarray(covered_mask, dtype=bool).reshape(-1)
    if cov.shape != hh.shape:
        return household_share(hh, cov)         # the one message for a mask of another length
    known = codes >= 0                          # homes without a group (NaN) count nowhere
    share = household_share(hh[known], cov[known], codes[known], len(ids))
    return pd.Series(share, index=pd.Index(ids, name="group"), name="coverage_share")
