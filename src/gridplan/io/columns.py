"""The one table of column names gridplan recognises (Chinese and English, any case), and the
renaming of an input's columns to the canonical ones."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from ..columns import HOUSEHOLDS, NAME
from ..errors import InputError

#: Canonical column -> the names it is recognised by, case-insensitive, best first. The same
#: table serves every format (CSV, Excel, GeoPackage, Shapefile, GeoJSON, Parquet).
ALIASES = {
    "lon": ("lon", "lng", "longitude", "经度", "x"),
    "lat": ("lat", "latitude", "纬度", "y"),
    HOUSEHOLDS: (HOUSEHOLDS, "户数", "总户数", "房屋总数", "住户数"),
    "buildings": ("buildings", "楼栋数", "楼栋总数"),
    NAME: (NAME, "小区名称", "名称", "小区"),
}
#: What each canonical column is, for messages.
MEANING = {"lon": "the longitude", "lat": "the latitude", HOUSEHOLDS: "the households",
           "buildings": "the number of buildings", NAME: "the name"}
#: Columns that hold counts: text such as "1,234" (thousands separators) is read as 1234.
COUNTS = (HOUSEHOLDS, "buildings")
_GROUPED = re.compile(r"^[+-]?\d{1,3}([,，]\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|inf(inity)?)$", re.I)


def parse_columns(text: str | None) -> dict[str, str]:
    """``--columns lon=X,lat=Y,households=Z`` as ``{"lon": "X", ...}``.

    Raises
    ------
    InputError
        For an entry that is not ``canonical=column`` with a known canonical name.
    """
    if not text:
        return {}
    out = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value or key not in ALIASES:
            raise InputError(f"--columns {text!r}: expected NAME=COLUMN pairs separated by "
                             "commas, NAME one of " + ", ".join(ALIASES))
        out[key] = value
    return out


def canonical_columns(df: pd.DataFrame, *, file=None, layer=None, columns: dict | None = None,
                      coordinates: bool = True) -> pd.DataFrame:
    """``df`` with its recognised columns renamed to the canonical names of :data:`ALIASES`.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
    file, layer : optional
        For error messages.
    columns : dict, optional
        ``{canonical: column}`` chosen by the user (``--columns``); wins over the aliases.
    coordinates : bool
        Also look for lon/lat columns (tables without geometry).

    Returns
    -------
    DataFrame
        The same rows; a canonical column taken from an alias has the alias's values, and
        ``df.attrs["source_columns"]`` maps each canonical name to the column it came from.

    Raises
    ------
    InputError
        When a column named in ``columns`` is missing, or two columns could both be one
        canonical column and their values differ.
    """
    columns = columns or {}
    where = {"file": file, "layer": layer}
    geom = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    names = [c for c in df.columns if c != geom]
    lower = {}
    for c in names:
        lower.setdefault(str(c).strip().lower(), []).append(c)
    rename, source = {}, {}
    for canon, aliases in ALIASES.items():
        if canon in ("lon", "lat") and not coordinates:
            continue
        if canon in columns:
            chosen = columns[canon]
            if chosen not in df.columns:
                raise InputError(f"--columns {canon}={chosen}: no column {chosen!r} (found "
                                 + ", ".join(map(str, names)) + ")", **where)
        else:
            found = [c for a in aliases for c in lower.get(a, [])]
            if not found:
                continue
            chosen = found[0]
            for other in found[1:]:
                _same_or_fail(df, chosen, other, canon, where)
        if chosen != canon:
            rename[chosen] = canon
        source[canon] = str(chosen)
    # a column already called by a canonical name that another column now takes (--columns)
    # keeps its values under a suffixed name, so nothing is lost
    extra = {c: f"{c}_input" for c in rename.values() if c in df.columns and c not in rename}
    out = df.rename(columns={**extra, **rename})
    out.attrs = {**df.attrs, "source_columns": source}
    return out


def _same_or_fail(df, a, b, canon, where) -> None:
    """Two columns that could both be ``canon``: fine when they hold the same values."""
    x, y = df[a], df[b]
    xs, ys = x.astype(str).str.strip(), y.astype(str).str.strip()
    same = np.array(xs == ys, dtype=bool)
    xn = pd.to_numeric(x, errors="coerce").to_numpy(dtype=float)
    yn = pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)
    same = same | (np.isclose(xn, yn, rtol=0, atol=1e-9) & np.isfinite(xn))
    if same.all():
        return
    i = int(np.flatnonzero(~same)[0])
    raise InputError(f"columns {a!r} and {b!r} could both be {MEANING[canon]} and differ "
                     f"({x.iloc[i]!r} and {y.iloc[i]!r}): expected one of them, or "
                     f"--columns {canon}=COLUMN", row=i + 1, **where)


def parse_counts(df: pd.DataFrame, *, file=None, layer=None) -> pd.DataFrame:
    """Count columns (households, buildings) as numbers: text with thousands separators
    ("1,234") becomes 1234, blanks become missing; other text is InputError naming the
    column as the file has it and the row. Whole-number and range checks come later.

    ``buildings`` is checked here too (a whole number >= 0, or missing) and becomes a
    nullable integer column.
    """
    src = df.attrs.get("source_columns", {})
    out = df
    for canon in COUNTS:
        if canon not in df.columns:
            continue
        where = {"file": file, "layer": layer, "column": src.get(canon, canon)}
        raw = df[canon]
        text = raw.dtype == object or str(raw.dtype).startswith(("string", "str"))
        if canon == HOUSEHOLDS and not text:
            continue        # numbers already: checked with every source's counts (City)
        if text and canon == HOUSEHOLDS:
            # checked as numbers where every source's counts are (City): kept as the text the
            # file holds, less its thousands separators, so an error quotes it as written
            values = _numbers(raw, where, canon, as_text=True)
        elif text:
            values = _numbers(raw, where, canon)
        else:
            values = pd.to_numeric(raw, errors="coerce").astype(float)
        if canon == "buildings":
            v = values.to_numpy(dtype=float)
            bad = np.isfinite(v) & ((v < 0) | (np.abs(v - np.round(v)) > 1e-9)) | np.isinf(v)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InputError(f"expected a whole number of buildings >= 0, got "
                                 f"{raw.iloc[i]!r}", row=i + 1, **where)
            values = pd.array(np.where(np.isfinite(v), np.round(v), np.nan),
                              dtype="Float64").astype("Int64")
        if out is df:
            out = df.copy()
        out[canon] = values if canon == "buildings" or text else values.to_numpy(dtype=float)
    return out


def _numbers(raw: pd.Series, where: dict, canon: str, as_text: bool = False) -> pd.Series:
    text = raw.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                   else str(v).strip())
    grouped = text.str.match(_GROUPED)
    plain = text.str.match(_PLAIN)
    bad = ~(grouped | plain | (text == ""))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"expected a whole number of {canon} >= 0, got {raw.iloc[i]!r}",
                         row=i + 1, **where)
    clean = text.where(~grouped, text.str.replace(r"[,，]", "", regex=True))
    if as_text:
        return clean.replace("", np.nan).astype(object)
    return pd.to_numeric(clean.replace("", np.nan), errors="coerce").astype(float)
