"""Readers for GeoPackage, GeoJSON, Shapefile, GeoParquet and CSV inputs."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from ..errors import InputError

LAYERS = ("homes", "streets", "water", "stations", "boundary")
LON_NAMES = ("lon", "lng", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")


def read_layer(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """One layer of a geo file; InputError naming file and layer when it cannot be read."""
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as e:
        raise InputError(f"not a readable geo file ({str(e).splitlines()[0]})", file=path,
                         layer=layer) from None
    except Exception as e:  # a broken file can raise from deep inside GDAL or Arrow
        raise InputError(f"not a readable geo file ({type(e).__name__}: {e})", file=path,
                         layer=layer) from None


def read_layers(path: Path) -> dict:
    """The layers of a geo file as ``{name: GeoDataFrame}``; a single-layer file is ``homes``."""
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        try:
            return {"homes": gpd.read_parquet(path)}
        except Exception as e:
            raise InputError(f"not a readable GeoParquet file ({type(e).__name__}: {e})",
                             file=path) from None
    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as e:
        raise InputError(f"not a readable geo file ({str(e).splitlines()[0]})",
                         file=path) from None
    if not names:
        raise InputError("no layers: expected a layer 'homes'", file=path)
    if len(names) == 1:
        return {"homes": read_layer(path, names[0])}
    if "homes" not in names:
        raise InputError("no layer 'homes': expected layers " + ", ".join(LAYERS)
                         + f" (found {', '.join(names)})", file=path)
    return {n: read_layer(path, n) for n in LAYERS if n in names}


def _pick(columns, names, path, what):
    lower = {str(c).lower(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    raise InputError(f"no {what} column: expected one named " + " or ".join(names[:3]), file=path)


def read_csv(path: Path) -> gpd.GeoDataFrame:
    """Address points from a CSV with ``lon,lat,households`` (other columns kept)."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise InputError("empty file: expected a header lon,lat,households and rows",
                         file=path) from None
    except (UnicodeDecodeError, pd.errors.ParserError) as e:
        raise InputError(f"not a readable CSV ({str(e).splitlines()[0]})", file=path) from None
    if len(df) == 0:
        raise InputError("header only, no rows: expected one row per address point", file=path)
    lon_col = _pick(df.columns, LON_NAMES, path, "longitude")
    lat_col = _pick(df.columns, LAT_NAMES, path, "latitude")
    coords = {}
    for col, lo, hi in ((lon_col, -180, 180), (lat_col, -90, 90)):
        raw = df[col].str.strip()
        v = pd.to_numeric(raw.replace("", np.nan), errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(v) | (v < lo) | (v > hi)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"expected a number from {lo} to {hi}, got {raw.iloc[i]!r}",
                             file=path, column=col, row=i + 1)
        coords[col] = v
    if "households" in df.columns:
        df["households"] = df["households"].replace("", np.nan)
    rest = df.drop(columns=[lon_col, lat_col])
    return gpd.GeoDataFrame(rest, geometry=gpd.points_from_xy(coords[lon_col], coords[lat_col]),
                            crs=4326)
