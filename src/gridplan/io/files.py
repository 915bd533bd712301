"""Readers for GeoPackage, GeoJSON, Shapefile, GeoParquet and CSV inputs."""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from ..errors import InputError
from .charsets import decode_bytes, redecode_latin1, sniff_delimiter
from .columns import ALIASES, MEANING, canonical_columns, parse_counts

LAYERS = ("homes", "streets", "water", "stations", "boundary")
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods")


def read_layer(path: Path, layer: str | None = None, *,
               encoding: str | None = None) -> gpd.GeoDataFrame:
    """One layer of a geo file; InputError naming file and layer when it cannot be read.

    A shapefile's text is read in the encoding its ``.cpg`` names; without one (older ArcGIS
    and SuperMap exports, which GDAL would read as ISO-8859-1) or with ``encoding``, the
    bytes are decoded as :func:`~gridplan.io.charsets.redecode_latin1` does.
    """
    shp = Path(path).suffix.lower() == ".shp"
    raw = shp and (encoding is not None or not _sidecar(Path(path), ".cpg"))
    try:
        try:
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio",
                                **({"encoding": "ISO-8859-1"} if raw else {}))
        except UnicodeDecodeError:
            if not shp or raw:
                raise
            # a field name cut mid-character at 10 bytes: read the bytes and decode them here
            raw = True
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio", encoding="ISO-8859-1")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as e:
        raise InputError(f"not a readable geo file ({str(e).splitlines()[0]})", file=path,
                         layer=layer) from None
    except Exception as e:  # a broken file can raise from deep inside GDAL or Arrow
        raise InputError(f"not a readable geo file ({type(e).__name__}: {e})", file=path,
                         layer=layer) from None
    if raw:
        gdf, _ = redecode_latin1(gdf, file=path, layer=layer, encoding=encoding)
    return gdf


def _sidecar(path: Path, suffix: str) -> bool:
    """Whether a shapefile has a sidecar file (``.cpg``, ``.CPG``) beside it."""
    return any(p.suffix.lower() == suffix and p.stem == path.stem
               for p in path.parent.glob(path.stem + ".*"))


def read_layers(path: Path, *, encoding: str | None = None,
                columns: dict | None = None) -> dict:
    """The layers of a geo file as ``{name: GeoDataFrame}``; a single-layer file is ``homes``.

    The homes' and stations' columns are renamed to the canonical names
    (:func:`~gridplan.io.columns.canonical_columns`; ``columns`` for the homes); a layer
    without geometry is read as a table of lon/lat points.
    """
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        try:
            layers = {"homes": gpd.read_parquet(path)}
        except ValueError as e:
            if "geo" not in str(e).lower():
                raise InputError(f"not a readable GeoParquet file ({type(e).__name__}: {e})",
                                 file=path) from None
            return {"homes": read_table(path, columns=columns)}   # a plain table: lon/lat
        except Exception as e:
            raise InputError(f"not a readable GeoParquet file ({type(e).__name__}: {e})",
                             file=path) from None
        return _canonical(layers, path, columns, {})
    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as e:
        raise InputError(f"not a readable geo file ({str(e).splitlines()[0]})",
                         file=path) from None
    if not names:
        raise InputError("no layers: expected a layer 'homes'", file=path)
    if len(names) == 1:
        return _canonical({"homes": read_layer(path, names[0], encoding=encoding)}, path,
                          columns, {})
    if "homes" not in names:
        raise InputError("no layer 'homes': expected layers " + ", ".join(LAYERS)
                         + f" (found {', '.join(names)})", file=path)
    layers = {n: read_layer(path, n, encoding=encoding) for n in LAYERS if n in names}
    return _canonical(layers, path, columns, {n: n for n in layers})


def _has_geometry(df) -> bool:
    try:
        return isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df.columns
    except AttributeError:    # a GeoDataFrame whose geometry column is not set
        return False


def _canonical(layers: dict, path: Path, columns, names: dict) -> dict:
    """Homes and stations with canonical column names; a layer without geometry as points."""
    for key in ("homes", "stations"):
        gdf = layers.get(key)
        if gdf is None:
            continue
        cols = columns if key == "homes" else None
        where = {"file": path, "layer": names.get(key)}
        if not _has_geometry(gdf):
            layers[key] = table_points(pd.DataFrame(gdf), columns=cols, **where)
            continue
        gdf = canonical_columns(gdf, columns=cols, coordinates=False, **where)
        layers[key] = parse_counts(gdf, **where)
    return layers


def read_table(path: Path, *, encoding: str | None = None, columns: dict | None = None,
               sheet: str | None = None) -> gpd.GeoDataFrame:
    """Address points from a table: CSV or tab-separated text in any encoding
    :func:`~gridplan.io.charsets.decode_bytes` detects, Excel (``.xlsx``, ``.xls``; the first
    sheet or ``sheet``), or Parquet without geometry. Columns are recognised by
    :data:`~gridplan.io.columns.ALIASES` (``经度``, ``纬度``, ``户数``, ...) or ``columns``; the
    others are kept."""
    name = path.name.lower()
    layer = None
    excel = name.endswith((".xlsx", ".xlsm", ".xls", ".ods"))
    if sheet is not None and not excel:
        # a sheet asked of a CSV is a mistake about the file, not a detail to drop
        raise InputError(f"--sheet {sheet!r} names an Excel sheet: expected an .xlsx, .xls "
                         f"or .ods file, or no --sheet", file=path)
    if excel:
        df, layer = _read_excel(path, sheet)
    elif name.endswith((".parquet", ".geoparquet")):
        try:
            df = pd.read_parquet(path)
        except Exception as e:
            raise InputError(f"not a readable Parquet file ({type(e).__name__}: {e})",
                             file=path) from None
    else:
        df = _read_text_table(path, encoding)
    if len(df) == 0:
        raise InputError("header only, no rows: expected one row per address point",
                         file=path, layer=layer)
    df.columns = [str(c).strip() for c in df.columns]
    return table_points(df, file=path, layer=layer, columns=columns)


def read_csv(path: Path, encoding: str | None = None, columns: dict | None = None
             ) -> gpd.GeoDataFrame:
    """Address points from a CSV with ``lon,lat,households`` (other columns kept)."""
    return read_table(path, encoding=encoding, columns=columns)


def _read_text_table(path: Path, encoding: str | None) -> pd.DataFrame:
    data = path.read_bytes()
    first = data.split(b"\n", 1)[0]
    delim = max((b",", b"\t", b";"), key=first.count) if first else b","
    text, _ = decode_bytes(data, file=path, encoding=encoding, delimiter=delim)
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                           sep=sniff_delimiter(text))
    except pd.errors.EmptyDataError:
        raise InputError("empty file: expected a header lon,lat,households and rows",
                         file=path) from None
    except pd.errors.ParserError as e:
        raise InputError(f"not a readable CSV ({str(e).splitlines()[0]})", file=path) from None


def _read_excel(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str]:
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as e:  # a broken workbook can fail deep inside the reader
        raise InputError(f"not a readable Excel file ({type(e).__name__}: {e})",
                         file=path) from None
    names = [str(n) for n in book.sheet_names]
    if sheet is not None and sheet not in names:
        raise InputError(f"no sheet {sheet!r}: expected one of " + ", ".join(names), file=path)
    chosen = sheet if sheet is not None else names[0]
    df = book.parse(chosen, dtype=object)
    # empty rows at the end are kept by Excel for their formatting only; empty rows in the
    # middle stay, so row numbers in messages match the sheet's
    filled = np.flatnonzero(df.notna().any(axis=1).to_numpy())
    df = df.iloc[:filled[-1] + 1] if len(filled) else df.iloc[:0]
    return df.reset_index(drop=True), chosen


def table_points(df: pd.DataFrame, *, file=None, layer=None,
                 columns: dict | None = None) -> gpd.GeoDataFrame:
    """Points from a table's lon/lat columns (recognised by their aliases), the other
    columns kept under their canonical names."""
    df = canonical_columns(df, file=file, layer=layer, columns=columns)
    where = {"file": file, "layer": layer}
    for canon in ("lon", "lat"):
        if canon not in df.columns:
            raise InputError(f"no {MEANING[canon].split()[-1]} column: expected one named "
                             + " or ".join(ALIASES[canon]) + f", or --columns {canon}=COLUMN",
                             **where)
    src = df.attrs.get("source_columns", {})
    coords = {}
    for col, lo, hi in (("lon", -180, 180), ("lat", -90, 90)):
        raw = df[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                          else str(v).strip())
        v = pd.to_numeric(raw.replace("", np.nan), errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(v) | (v < lo) | (v > hi)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            hint = (" (metres of a projected CRS such as CGCS2000 Gauss-Krüger are read from "
                    "a GeoPackage or shapefile that carries its CRS, not from a table)"
                    if np.isfinite(v[i]) and abs(v[i]) > 1000 else "")
            raise InputError(f"expected a number from {lo} to {hi}, got {raw.iloc[i]!r}{hint}",
                             column=src.get(col, col), row=i + 1, **where)
        coords[col] = v
    df = parse_counts(df, **where)
    rest = df.drop(columns=["lon", "lat"])
    out = gpd.GeoDataFrame(rest, geometry=gpd.points_from_xy(coords["lon"], coords["lat"]),
                           crs=4326)
    out.attrs = dict(df.attrs)
    return out
