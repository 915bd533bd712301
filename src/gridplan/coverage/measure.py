"""The household-weighted coverage share: the one computation behind every coverage figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError

#: Decimal places of a share in summary.json, the layers and the tables.
SHARE_DECIMALS = 4


def household_share(households, covered, groups=None, n_groups: int | None = None):
    """Covered households / all households, overall or per group.

    An empty group (no households) has no share: NaN here, an empty cell (NULL) in plan.gpkg
    and the CSV tables, and null in summary.json (:func:`share_figure`); never 0.

    Parameters
    ----------
    households : array-like of shape (n,)
        Households per home (whole numbers, so the sums are exact in any order).
    covered : array-like of bool, shape (n,)
        Whether each home is covered (``walk_m <= 1000``; NaN distances compare False).
    groups : array-like of int, shape (n,), optional
        The group of each home as a position 0 … ``n_groups`` - 1 (a frame's row).
    n_groups : int, optional
        How many groups (groups without homes get NaN); default: the largest position + 1.

    Returns
    -------
    float or ndarray
        One share, or one per group (shape ``(n_groups,)``).

    Raises
    ------
    InputError
        When ``covered`` (or ``groups``) does not give one value per home.
    """
    hh = np.asarray(households, dtype=float).reshape(-1)
    cov = np.asarray(covered, dtype=bool).reshape(-1)
    if cov.shape != hh.shape:
        raise InputError(f"covered_mask has {cov.size} values: expected one per home "
                         f"({hh.size})")
    if groups is None:
        total = hh.sum()
        return float(hh[cov].sum() / total) if total > 0 else float("nan")
    g = np.asarray(groups, dtype=np.intp).reshape(-1)
    if g.shape != hh.shape:
        raise InputError(f"groups has {g.size} values: expected one per home ({hh.size})")
    total = np.bincount(g, weights=hh, minlength=n_groups or 0)
    got = np.bincount(g, weights=hh * cov, minlength=n_groups or 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, got / total, np.nan)


def summary_share(households, covered) -> float | None:
    """:func:`household_share` overall as summary.json writes it (:func:`share_figure`)."""
    return share_figure(household_share(households, covered))


def share_figure(share) -> float | None:
    """A share as summary.json writes it: rounded to :data:`SHARE_DECIMALS` places, None
    (null) for a group without households."""
    share = float(share)
    return None if np.isnan(share) else round(share, SHARE_DECIMALS)


def coverage_shares(households, covered_mask, groups=None) -> float | pd.Series:
    """The household-weighted share of homes covered, overall or per group
    (:func:`household_share` by group id).

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
