"""Estimate households of a building from its footprint, levels and type."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from .columns import LEVELS
from .config import PlanConfig

_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def _parse_number(values: pd.Series) -> pd.Series:
    """First number in each value ('5', '5.5', '12 m', '3;4'), NaN when there is none."""
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return np.nan
        if isinstance(v, (int, float, np.integer, np.floating)):
            return float(v)
        m = _NUMBER.search(str(v))
        return float(m.group().replace(",", ".")) if m else np.nan
    return values.map(one).astype(float)


def estimate_levels(buildings: gpd.GeoDataFrame, config: PlanConfig) -> pd.Series:
    """Storeys per building: ``building:levels`` (or ``levels``), else ``height`` / storey
    height, else the default for the building type."""
    n = len(buildings)
    levels = pd.Series(np.nan, index=buildings.index)
    for col in ("building:levels", LEVELS):
        if col in buildings.columns:
            levels = levels.fillna(_parse_number(buildings[col]).where(lambda s: s > 0))
    if "height" in buildings.columns:
        h = _parse_number(buildings["height"]) / config.floor_height_m
        levels = levels.fillna(np.maximum(np.round(h), 1.0).where(h > 0))
    kind = _building_type(buildings)
    default = kind.map(config.default_levels).astype(float).fillna(1.0)
    return levels.fillna(default) if n else levels


def _building_type(buildings: gpd.GeoDataFrame) -> pd.Series:
    if "building" in buildings.columns:
        return buildings["building"].fillna("yes").astype(str).str.lower()
    return pd.Series("residential", index=buildings.index)


def estimate_households(buildings: gpd.GeoDataFrame, config: PlanConfig) -> pd.Series:
    """Households = footprint area × levels × residential share ÷ mean dwelling size.

    Parameters
    ----------
    buildings : GeoDataFrame
        Footprints in a metric CRS; optional ``building``, ``building:levels``, ``height``.
    config : PlanConfig
        ``dwelling_m2``, ``floor_height_m``, ``default_levels``, ``residential_share``.

    Returns
    -------
    Series of int
        Aligned on ``buildings.index``; 0 for types that hold no homes (offices, shops, ...).
    """
    if len(buildings) == 0:
        return pd.Series([], dtype="int64", index=buildings.index)
    area = buildings.geometry.area.to_numpy()
    levels = estimate_levels(buildings, config).to_numpy()
    share = _building_type(buildings).map(config.residential_share).astype(float).fillna(0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        hh = np.round(area * levels * share.to_numpy() / config.dwelling_m2)
    # absurd heights or levels ('9' * 400) give absurd counts: kept huge, never wrapped
    # around by the cast, so the household caps refuse them (make_city)
    hh = np.clip(np.nan_to_num(hh, nan=0.0, posinf=2.0**62), 0, 2.0**62)
    return pd.Series(hh.astype("int64"), index=buildings.index)
