"""Checks of the coverage functions' arguments, raising InputError that names the parameter."""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def as_xy(values, name: str) -> np.ndarray:
    """``values`` as a float array of shape (n, 2), finite, or InputError naming ``name``."""
    if hasattr(values, "geometry") and hasattr(values, "crs"):  # a GeoDataFrame / GeoSeries
        import shapely
        values = shapely.get_coordinates(shapely.centroid(np.asarray(values.geometry.values)))
    xy = np.asarray(values, dtype=float)
    if xy.size == 0:
        return np.zeros((0, 2))
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise InputError(f"{name} has shape {xy.shape}: expected (n, 2) x/y coordinates in metres")
    if not np.isfinite(xy).all():
        row = int(np.flatnonzero(~np.isfinite(xy).all(axis=1))[0])
        raise InputError(f"{name} row {row} is {xy[row].tolist()}: expected finite coordinates")
    return xy


def positive(value, name: str, *, allow_zero: bool = False) -> float:
    """``value`` as a float > 0 (or >= 0), or InputError naming ``name``."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise InputError(f"{name} = {value!r}: expected a number {'>=' if allow_zero else '>'} 0")
    return float(value)


def weights(values, n: int, name: str) -> np.ndarray:
    """``values`` as n floats >= 0, or InputError naming ``name``."""
    return _nonnegative(values, n, name, "demand point", "a number of households >= 0")


def costs(values, m: int, name: str = "costs") -> np.ndarray:
    """``values`` as m finite costs >= 0 (ones when None), or InputError naming ``name``."""
    if values is None:
        return np.ones(m)
    return _nonnegative(values, m, name, "site", "a finite cost >= 0")


def _nonnegative(values, n: int, name: str, per: str, expected: str) -> np.ndarray:
    """``values`` as n finite floats >= 0, or InputError naming ``name`` and the first bad row."""
    try:
        v = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(f"{name} is not numeric: expected one value per {per}, "
                         f"{expected}") from None
    if v.shape != (n,):
        raise InputError(f"{name} has {v.size} values: expected one per {per} ({n})")
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name} row {row} is {v[row]}: expected {expected}")
    return v


def reach_matrix(reach, name: str = "reach"):
    """``reach`` as a canonical boolean CSR matrix (homes x sites), or InputError: it must
    be two-dimensional and hold only 0 and 1."""
    import scipy.sparse as sp
    if not sp.issparse(reach):
        try:
            reach = np.asarray(reach, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"{name} is not numeric: expected a homes x sites 0/1 "
                             "matrix") from None
        if reach.ndim != 2:
            raise InputError(f"{name} has shape {reach.shape}: expected a homes x sites "
                             "0/1 matrix (2 dimensions)")
    elif reach.ndim != 2:
        raise InputError(f"{name} has shape {reach.shape}: expected a homes x sites 0/1 matrix")
    a = sp.csr_matrix(reach, dtype=float)
    a.sum_duplicates()
    bad = (a.data != 0) & (a.data != 1)
    if bad.any():
        rows = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
        k = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name} row {rows[k]} column {a.indices[k]} is {a.data[k]}: "
                         "expected 0 or 1 (site reaches home or not)")
    a.eliminate_zeros()
    return a.astype(bool)


def site_mask(values, m: int, name: str = "existing") -> np.ndarray:
    """``values`` as m booleans (all False when None), or InputError naming ``name``."""
    if values is None:
        return np.zeros(m, bool)
    v = np.asarray(values).reshape(-1)
    if v.shape != (m,) or not (v.dtype == bool or np.isin(v, (0, 1)).all()):
        raise InputError(f"{name} has {v.size} values of type {v.dtype}: expected one "
                         f"True/False per site ({m})")
    return v.astype(bool)
