"""Writing files: the one atomic file writer, the one JSON encoder, layers as QGIS reads them."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from pathlib import Path

import numpy as np
import pandas as pd


def json_value(v):
    """A value the ``json`` module cannot write, as one it can (the ``default=`` of every JSON
    gridplan writes): NumPy booleans and numbers as plain ones, a NaN as null, arrays and
    Series as lists, anything else as its text."""
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.ndarray, pd.Series)):
        return v.tolist()
    return str(v)


@contextlib.contextmanager
def atomic_file(path, *, prefix: str | None = None, suffix: str = ".tmp"):
    """Write ``path`` whole or not at all: yields a temporary path in the same folder (not yet
    made, so GDAL or the caller creates it), then flushes it to disk and renames it onto
    ``path``; on any error (Ctrl-C included) the temporary file goes and ``path`` is untouched.

    Parameters
    ----------
    path : str or Path
        The file to write.
    prefix, suffix : str
        Of the temporary name (default ``.<name>.<random>.tmp``): folder checks know these
        names as gridplan's own.

    Yields
    ------
    Path
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=prefix or f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    tmp.unlink()
    try:
        yield tmp
        if tmp.is_file():
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(data, path, *, atomic: bool = False) -> None:
    """``data`` as indented UTF-8 JSON (through :func:`json_value`), through a temporary file
    when ``atomic`` (a file others may read while it is rewritten)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=json_value)
    if not atomic:
        Path(path).write_text(text, encoding="utf-8")
        return
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def plain_columns(gdf):
    """``gdf`` with columns QGIS reads: no lists, dicts or mixed objects (lists and dicts as
    JSON text, other objects as text, missing ones as null); booleans and numbers kept.

    Parameters
    ----------
    gdf : GeoDataFrame

    Returns
    -------
    GeoDataFrame
        A copy.
    """
    gdf = gdf.copy()
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        s = gdf[col]
        if isinstance(s.dtype, pd.StringDtype) and s.dtype.na_value is not pd.NA:
            continue        # text and NaN already: what mapping each value would give back
        if s.dtype == object or str(s.dtype).startswith(("string", "str")):
            gdf[col] = s.astype(object).map(_plain_value)
    return gdf


def _plain_value(v):
    """A cell as QGIS reads it: lists and dicts as JSON text, a missing value (None, NaN,
    pandas' NA and NaT) as null, other objects as text."""
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    if v is None or (np.ndim(v) == 0 and pd.isna(v)):
        return None     # str(pd.NA) would write the text "<NA>"
    return str(v)


#: GDAL's setting of SQLite's ``PRAGMA synchronous`` for GeoPackages it writes.
_SYNC = "OGR_SQLITE_SYNCHRONOUS"
_SYNC_LOCK = threading.Lock()


def write_gpkg(layers: dict, path, crs, out_crs=None) -> None:
    """Each GeoDataFrame of ``layers`` as a GeoPackage layer QGIS opens (CRS set, plain
    column types), in ``out_crs`` when given.

    SQLite's fsync after each of GDAL's transactions is off while the layers are written
    (half of the time for a 2,000-home plan): the file is new, no one reads it meanwhile,
    and one cut short is thrown away whole (a plan's files are written in a temporary
    folder that replaces the output folder when all are written), so the syncs keep
    nothing safe.
    """
    from pyogrio import get_gdal_config_option, set_gdal_config_options
    # the setting is the process'; two plans saved in threads at once must not restore
    # each other's OFF as the setting to keep
    with _SYNC_LOCK:
        was = get_gdal_config_option(_SYNC)
        set_gdal_config_options({_SYNC: "OFF"})
        try:
            for name, gdf in layers.items():
                if gdf.crs is None:
                    gdf = gdf.set_crs(crs)
                if out_crs is not None and not gdf.crs.equals(out_crs):
                    gdf = gdf.to_crs(out_crs)
                plain_columns(gdf).to_file(path, layer=name, driver="GPKG", engine="pyogrio")
        finally:
            set_gdal_config_options({_SYNC: was})


def output_crs(city, config):
    """The CRS plan.gpkg is written in: ``config.output_crs`` (``--crs``), else the homes'
    own CRS when it is projected (a CGCS2000 Gauss-Krüger zone, so the layers line up with
    the city's GIS), else the plan's metric CRS."""
    import pyproj
    if config.output_crs is not None:
        return pyproj.CRS.from_user_input(config.output_crs)
    given = city.meta.get("input_crs")
    if given is not None and pyproj.CRS.from_user_input(given).is_projected:
        return pyproj.CRS.from_user_input(given)
    return city.crs
