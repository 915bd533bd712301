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
    w = np.asarray(values, dtype=float).reshape(-1)
    if w.shape != (n,):
        raise InputError(f"{name} has {w.size} values: expected one per demand point ({n})")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name} row {row} is {w[row]}: expected a number of households >= 0")
    return w
