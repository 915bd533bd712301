"""Regions of a batch: one per input file, or the parts of one file split by a ``region``
column on its homes or by the named polygons of its ``boundary`` layer."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..city import City, make_city
from ..config import PlanConfig
from ..errors import InputError

#: The homes column whose values name the region of each home.
REGION_COLUMN = "region"
#: The boundary layer and its column that name one region per polygon.
BOUNDARY_LAYER, BOUNDARY_NAME = "boundary", "name"
#: What a region name may look like: it becomes a folder name, so letters (any script),
#: digits, '_', '-', '.' and inner spaces; it starts with a letter or digit.
SAFE_NAME = re.compile(r"[^\W_][\w .-]{0,119}", re.UNICODE)
COMPOUND_SUFFIXES = (".osm.pbf", ".osm.bz2")
HASH_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Region:
    """One district of a batch.

    Attributes
    ----------
    name : str
        Folder name of its result, ``DIR/regions/<name>/``.
    path : Path
        The input file.
    split : {None, 'column', 'boundary'}
        None for a whole file; otherwise how ``key`` picks this region's homes.
    key : str or None
        The ``region`` value or the boundary polygon's ``name``.
    """

    name: str
    path: Path
    split: str | None = None
    key: str | None = None


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK_BYTES):
            h.update(chunk)
    return h.hexdigest()


def input_hash(region: Region, file_hash: str) -> str:
    """The identity of a region's input: its file's bytes plus, for a split, how and by what key."""
    if region.split is None:
        return file_hash
    return hashlib.sha256(f"{file_hash}\0{region.split}\0{region.key}".encode()).hexdigest()


def name_of_file(path: Path) -> str:
    name = path.name
    for suffix in COMPOUND_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def check_name(name: str, **where) -> str:
    """``name`` when it is a safe folder name, else InputError."""
    name = str(name)
    if not SAFE_NAME.fullmatch(name) or name != name.strip() or name.endswith("."):
        raise InputError(f"region name {name!r}: expected a folder name of letters, digits, "
                         "'_', '-', '.' or inner spaces (at most 120), starting with a letter "
                         "or digit", **where)
    return name


def _homes_layer(path: Path) -> str | None:
    """The layer that holds the homes, or None when the file has no named layers (CSV)."""
    names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    if len(names) == 1:
        return names[0]
    return "homes" if "homes" in names else None


def _region_values(path: Path) -> tuple[pd.Series, str | None] | None:
    """The ``region`` column of a file's homes (or None when it has none)."""
    if path.suffix.lower() == ".csv":
        head = pd.read_csv(path, dtype=str, nrows=0, encoding="utf-8-sig")
        if REGION_COLUMN not in head.columns:
            return None
        values = pd.read_csv(path, dtype=str, usecols=[REGION_COLUMN], keep_default_na=False,
                             encoding="utf-8-sig")[REGION_COLUMN]
        return values, None
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq
        if REGION_COLUMN not in pq.read_schema(path).names:
            return None
        return pq.read_table(path, columns=[REGION_COLUMN]).to_pandas()[REGION_COLUMN], None
    layer = _homes_layer(path)
    if layer is None:
        return None
    fields = pyogrio.read_info(path, layer=layer)["fields"]
    if REGION_COLUMN not in list(fields):
        return None
    df = pyogrio.read_dataframe(path, layer=layer, columns=[REGION_COLUMN], read_geometry=False)
    return df[REGION_COLUMN], layer


def _boundaries(path: Path) -> gpd.GeoDataFrame | None:
    """The named polygons of a GeoPackage's ``boundary`` layer, when there are two or more."""
    if path.suffix.lower() != ".gpkg":
        return None
    names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    if BOUNDARY_LAYER not in names or "homes" not in names:
        return None
    if BOUNDARY_NAME not in list(pyogrio.read_info(path, layer=BOUNDARY_LAYER)["fields"]):
        return None
    b = pyogrio.read_dataframe(path, layer=BOUNDARY_LAYER)
    return b if len(b) > 1 else None


def assign_to_boundaries(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """For each point, the position of the first polygon that covers it (-1 for none), so a
    point on a shared edge belongs to exactly one region."""
    out = np.full(len(points), -1, dtype=np.int64)
    if not len(points):
        return out
    tree = shapely.STRtree(polygons)
    pi, gi = tree.query(points, predicate="covered_by")
    if len(pi):
        first = pd.Series(gi).groupby(pi).min()
        out[first.index.to_numpy()] = first.to_numpy()
    return out


def _split_by_column(path: Path, values: pd.Series, layer: str | None) -> list[Region]:
    v = values.astype("string").str.strip()
    missing = v.isna() | (v == "")
    if missing.any():
        i = int(np.flatnonzero(missing.to_numpy())[0])
        raise InputError("no region: expected a region name on every home", file=path,
                         layer=layer, column=REGION_COLUMN, row=i + 1)
    keys = sorted(v.unique())
    first_row = {k: int(np.flatnonzero((v == k).to_numpy())[0]) + 1 for k in keys}
    return [Region(check_name(k, file=path, layer=layer, column=REGION_COLUMN, row=first_row[k]),
                   path, "column", k) for k in keys]


def _split_by_boundary(path: Path, bounds: gpd.GeoDataFrame) -> list[Region]:
    where = {"file": path, "layer": BOUNDARY_LAYER, "column": BOUNDARY_NAME}
    names = bounds[BOUNDARY_NAME]
    for i, n in enumerate(names):
        if n is None or (isinstance(n, float) and np.isnan(n)) or not str(n).strip():
            raise InputError("no name: expected a region name on every boundary polygon",
                             row=i + 1, **where)
        check_name(n, row=i + 1, **where)
    homes = pyogrio.read_dataframe(path, layer="homes", columns=[])
    if bounds.crs is not None and homes.crs is not None and bounds.crs != homes.crs:
        bounds = bounds.to_crs(homes.crs)
    owner = assign_to_boundaries(shapely.point_on_surface(homes.geometry.values),
                                 bounds.geometry.values)
    outside = np.flatnonzero(owner < 0)
    if len(outside):
        raise InputError(f"{len(outside)} homes lie outside every boundary polygon (the first "
                         f"at homes row {outside[0] + 1}): expected every home inside one, so "
                         "none is lost", file=path, layer=BOUNDARY_LAYER)
    return [Region(str(n), path, "boundary", str(n)) for n in names]


def discover_regions(paths) -> list[Region]:
    """The regions of a batch, in order: each file is one region, unless its homes have a
    ``region`` column (one region per value) or it is a GeoPackage whose ``boundary`` layer
    has two or more polygons with a ``name`` (one region per polygon).

    Parameters
    ----------
    paths : list of str or Path
        Input files, as :func:`gridplan.load` reads them.

    Returns
    -------
    list of Region

    Raises
    ------
    InputError
        For a missing file, a region name that is not a safe folder name, two regions of the
        same name, a home with no region, or a home outside every boundary polygon.
        A file that cannot even be opened is one region: planning it reports its error.
    """
    regions: list[Region] = []
    for path in map(Path, paths):
        if not path.is_file():
            raise InputError("no such file: expected an input file of one or more regions",
                             file=path)
        try:
            found = _region_values(path)
            bounds = None if found is not None else _boundaries(path)
        except InputError:
            raise
        except Exception:   # unreadable here: planning it will say why, as this region's error
            found = bounds = None
        if found is not None:
            regions += _split_by_column(path, *found)
        elif bounds is not None:
            regions += _split_by_boundary(path, bounds)
        else:
            regions.append(Region(check_name(name_of_file(path), file=path), path))
    seen: dict[str, Region] = {}
    for r in regions:
        other = seen.get(r.name.casefold())
        if other is not None:
            also = f" and {other.name!r}" if other.name != r.name else ""
            where = f" (the other in {other.path})" if other.path != r.path else ""
            raise InputError(f"two regions named {r.name!r}{also}{where}: expected each "
                             "region name once, case aside", file=r.path)
        seen[r.name.casefold()] = r
    return regions


def _margin_mask(gdf: gpd.GeoDataFrame, area, margin_m: float):
    """``area`` (in ``gdf``'s CRS) grown by ``margin_m`` metres, in ``gdf``'s CRS."""
    crs = gdf.crs or "EPSG:4326"
    s = gpd.GeoSeries([area], crs=crs)
    utm = s.estimate_utm_crs() if s.crs.is_geographic else s.crs
    return s.to_crs(utm).buffer(margin_m).to_crs(crs).iloc[0]


def _read_region_layers(region: Region, config: PlanConfig) -> tuple[dict, np.ndarray]:
    """The layers of a split region (homes filtered, other layers cut to the region grown by
    a walk circle), and the 1-based file rows of its homes."""
    path = region.path
    if path.suffix.lower() != ".gpkg":     # single-layer files hold only homes: read, then filter
        from ..io import read_any
        layers = read_any(path, config)
        homes = layers["homes"]
        rows = np.flatnonzero((homes[REGION_COLUMN].astype("string").str.strip()
                               == region.key).to_numpy())
        layers["homes"] = homes.iloc[rows].reset_index(drop=True)
        return layers, rows + 1
    layer = _homes_layer(path)
    if region.split == "column":
        key = region.key.replace("'", "''")
        homes = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True,
                                       where=f"TRIM(\"{REGION_COLUMN}\") = '{key}'")
        boundary = None
        area = homes.union_all().convex_hull if len(homes) else None
    else:
        bounds = pyogrio.read_dataframe(path, layer=BOUNDARY_LAYER)
        homes_crs = pyogrio.read_info(path, layer=layer)["crs"]
        if homes_crs and bounds.crs is not None and bounds.crs != homes_crs:
            bounds = bounds.to_crs(homes_crs)
        mine = int(np.flatnonzero((bounds[BOUNDARY_NAME].astype(str) == region.key).to_numpy())[0])
        area = bounds.geometry.iloc[mine]
        homes = pyogrio.read_dataframe(path, layer=layer, mask=area, fid_as_index=True)
        owner = assign_to_boundaries(shapely.point_on_surface(homes.geometry.values),
                                     bounds.geometry.values)
        homes = homes[owner == mine]
        boundary = bounds.iloc[[mine]]
    # rows as gridplan.load counts them: positions in the layer's read order, from 1
    fids = pyogrio.read_dataframe(path, layer=layer, columns=[], read_geometry=False,
                                  fid_as_index=True).index.to_numpy()
    order = np.argsort(fids, kind="stable")
    rows = order[np.searchsorted(fids, homes.index.to_numpy(), sorter=order)] + 1
    layers = {"homes": homes.reset_index(drop=True), "boundary": boundary}
    if layer == "homes" and area is not None:
        mask = _margin_mask(homes, area, config.walk_m)
        present = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        for name in ("streets", "water", "stations"):
            if name in present:
                layers[name] = pyogrio.read_dataframe(path, layer=name, mask=mask)
    return layers, rows


def load_region(region: Region, *, coords: str = "wgs84",
                config: PlanConfig | None = None) -> City:
    """Read one region as a City: :func:`gridplan.load` for a whole file, or the region's
    part of a split file.

    Parameters
    ----------
    region : Region
    coords : {'wgs84', 'gcj02', 'bd09'}
        The datum of lon/lat input.
    config : PlanConfig, optional

    Returns
    -------
    City

    Raises
    ------
    InputError
        As :func:`gridplan.load`; rows name the row in the whole file.
    """
    from ..io import load, to_wgs84
    config = config or PlanConfig()
    if region.split is None:
        return load(region.path, coords=coords, config=config)
    path = region.path
    try:
        layers, rows = _read_region_layers(region, config)
    except InputError:
        raise
    except Exception as e:
        raise InputError(f"not a readable geo file ({type(e).__name__}: {e})", file=path) from None
    if not len(layers["homes"]):
        raise InputError(f"no homes in region {region.key!r}: expected at least one", file=path)
    names = {k: k for k in layers} if path.suffix.lower() == ".gpkg" else {}
    layers = {k: to_wgs84(v, coords, file=path, layer=names.get(k)) for k, v in layers.items()
              if v is not None}
    try:
        return make_city(layers.pop("homes"), layers.get("streets"), layers.get("water"),
                         layers.get("stations"), layers.get("boundary"), config=config,
                         source=f"{path}#{region.key}", file=str(path), layers=names)
    except InputError as e:
        if e.row is not None and e.layer in (None, "homes"):
            raise InputError(e.what, file=e.file, layer=e.layer, column=e.column,
                             row=int(rows[e.row - 1])) from None
        raise
