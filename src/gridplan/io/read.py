"""Reading a city, or a file of points, from any file gridplan knows."""

from __future__ import annotations

from pathlib import Path

import pyogrio

from ..city import City, assume_crs, make_city, repair_geometries
from ..config import PlanConfig
from ..errors import InputError
from .charsets import check_encoding
from .columns import canonical_columns, parse_columns
from .datum import COORDS, to_wgs84
from .files import TABLE_SUFFIXES, read_layer, read_layers, read_table
from .osm import read_osm

GEO_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".parquet", ".geoparquet", ".fgb")
OSM_SUFFIXES = (".pbf", ".osm", ".bz2")


def load(path, *, coords: str = "wgs84", config: PlanConfig | None = None,
         stations=None, network=None, stations_coords: str | None = None,
         encoding: str | None = None, columns=None, sheet: str | None = None) -> City:
    """Read a city from a file.

    Parameters
    ----------
    path : str or Path
        ``.osm.pbf`` or ``.osm`` / ``.osm.bz2`` (OSM buildings, streets, water, stations);
        ``.gpkg`` with layers homes (required), streets, water, stations, boundary;
        a single-layer GeoJSON / Shapefile / GeoParquet of homes; or a table (CSV or
        tab-separated text, Excel ``.xlsx`` / ``.xls``, Parquet) with lon/lat and households
        columns (other columns kept). Columns are recognised in Chinese or English
        (:data:`gridplan.io.columns.ALIASES`: 经度, 纬度, 户数, 楼栋数, 小区名称, ...).
    coords : {'wgs84', 'gcj02', 'bd09'}
        The datum of lon/lat input. GCJ-02 (AMap, Tencent) and BD-09 (Baidu) are shifted to
        WGS84 at load; points outside China are refused for them.
    config : PlanConfig, optional
        CRS and household-estimation knobs.
    stations : str or Path, optional
        A file of station points that replaces the input's own stations.
    network : str or Path, optional
        A file of streets (``.osm``, ``.osm.pbf`` or lines) that replaces the input's streets.
    stations_coords : {'wgs84', 'gcj02', 'bd09'}, optional
        The datum of the ``stations`` file when it differs from ``coords``.
    encoding : str, optional
        The text encoding of CSV and shapefile input; by default detected (a ``.cpg`` or
        byte-order mark, else UTF-8, else GB18030).
    columns : dict or str, optional
        ``{"lon": "X", "households": "Z"}`` or ``"lon=X,households=Z"``: the homes' columns
        to use, where the names are not recognised.
    sheet : str, optional
        The Excel sheet of the homes (default: the first).

    Returns
    -------
    City
        All layers in one metric CRS (local UTM unless ``config.crs`` says otherwise).

    Raises
    ------
    InputError
        When a file is missing or unreadable, or a value is not what is expected.
    """
    config = config or PlanConfig()
    stations_coords = stations_coords or coords
    for name, value in (("coords", coords), ("stations_coords", stations_coords)):
        if value not in COORDS:
            raise InputError(f"{name} = {value!r}: expected one of " + ", ".join(COORDS))
    if isinstance(columns, str):
        columns = parse_columns(columns)
    check_encoding(encoding)
    path = Path(path)
    layers = read_any(path, config, encoding=encoding, columns=columns, sheet=sheet)
    if "homes" not in layers or layers["homes"] is None or len(layers["homes"]) == 0:
        raise InputError("no homes: expected at least one residential building or address point",
                         file=path, layer="homes" if path.suffix.lower() == ".gpkg" else None)
    gpkg = path.suffix.lower() == ".gpkg"
    layers = {k: to_wgs84(v, coords, file=path, layer=k if gpkg else None)
              for k, v in layers.items() if v is not None}
    for extra, what, datum, name in ((stations, "stations", stations_coords, "stations_coords"),
                                     (network, "streets", coords, "coords")):
        if extra is None:
            continue
        gdf = _read_extra(Path(extra), config, what, encoding)
        layers[what] = None if gdf is None else to_wgs84(gdf, datum, file=extra, name=name)
    layers = {k: v for k, v in layers.items() if v is not None}
    names = {k: k for k in layers} if gpkg else {}
    return make_city(layers.pop("homes"), layers.get("streets"), layers.get("water"),
                     layers.get("stations"), layers.get("boundary"), config=config,
                     source=str(path), file=str(path), layers=names)


def read_points(path, *, crs, coords: str = "wgs84", layer: str = "candidates",
                config: PlanConfig | None = None, encoding: str | None = None,
                coords_name: str = "coords"):
    """Points (or shapes, taken at a point on their surface) from a file, with its columns.

    Parameters
    ----------
    path : str or Path
        CSV with ``lon,lat`` columns, or a geo file: a single layer, or a GeoPackage with
        a layer named ``layer``.
    crs : CRS
        The metric CRS to project to (the city's).
    coords : {'wgs84', 'gcj02', 'bd09'}
        The datum of lon/lat input.
    layer : str
        The layer to read from a GeoPackage of several layers.
    encoding : str, optional
        The text encoding of a CSV or shapefile (detected by default).
    coords_name : str
        The option ``coords`` came from, for messages (``candidates_coords``).

    Returns
    -------
    GeoDataFrame
        One point per input row, in ``crs``, the input's columns kept; ``source_row``
        counts rows from 1 as the file does.
    """
    path = Path(path)
    if coords not in COORDS:
        raise InputError(f"{coords_name} = {coords!r}: expected one of " + ", ".join(COORDS))
    _check_file(path)
    where = {"file": path, "layer": None}
    if path.suffix.lower() == ".gpkg":
        try:
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        except Exception as e:
            raise InputError(f"not a readable geo file ({str(e).splitlines()[0]})",
                             file=path) from None
        if len(names) > 1:
            if layer not in names:
                raise InputError(f"no layer {layer!r}: expected one layer, or a layer named "
                                 f"{layer!r} (found {', '.join(names)})", file=path)
            where["layer"] = layer
            gdf = canonical_columns(read_layer(path, layer), coordinates=False, **where)
        else:
            gdf = read_any(path, config or PlanConfig())["homes"]
    else:
        gdf = read_any(path, config or PlanConfig(), encoding=encoding).get("homes")
    if gdf is None or len(gdf) == 0:
        raise InputError("no rows: expected at least one point", **where)
    gdf = assume_crs(gdf, where)
    gdf, _ = repair_geometries(gdf, where)
    gdf = to_wgs84(gdf, coords, file=path, layer=where["layer"], name=coords_name).to_crs(crs)
    gdf = gdf.reset_index(drop=True)
    gdf["source_row"] = range(1, len(gdf) + 1)
    gdf["geometry"] = gdf.geometry.representative_point()
    return gdf.set_geometry("geometry")


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError("no such file: expected an OSM, GeoPackage, GeoJSON, Shapefile, "
                         "GeoParquet, CSV or Excel file", file=path)
    if path.is_dir():
        raise InputError("is a folder: expected a file", file=path)
    if path.stat().st_size == 0:
        raise InputError("empty file: expected data", file=path)


def read_any(path: Path, config: PlanConfig, *, encoding: str | None = None,
             columns: dict | None = None, sheet: str | None = None) -> dict:
    """The layers of any input file, by its type: a table gives ``homes``; an OSM file or a
    GeoPackage its layers (homes, streets, water, stations, boundary, as present); a
    single-layer geo file ``homes``. Lon/lat as read, before any datum shift.

    Raises
    ------
    InputError
        For a missing, empty or unknown file.
    """
    _check_file(path)
    name = path.name.lower()
    if name.endswith(TABLE_SUFFIXES):
        return {"homes": read_table(path, encoding=encoding, columns=columns, sheet=sheet)}
    if name.endswith(OSM_SUFFIXES):
        return read_osm(path, config)
    if name.endswith(GEO_SUFFIXES):
        return read_layers(path, encoding=encoding, columns=columns)
    raise InputError("unknown file type: expected .osm.pbf, .osm, .osm.bz2, .gpkg, .geojson, "
                     ".shp, .parquet, .csv, .txt or .xlsx / .xls", file=path)


def _read_extra(path: Path, config: PlanConfig, what: str, encoding: str | None = None):
    layers = read_any(path, config, encoding=encoding)
    if what == "streets" and "streets" in layers:
        return layers["streets"]
    if what == "stations" and "stations" in layers and path.suffix.lower() == ".gpkg":
        return layers["stations"]
    return layers.get("homes")
