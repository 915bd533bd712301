"""Readers and writers: OSM PBF/XML, GeoPackage/GeoJSON/Shapefile/GeoParquet/CSV, Chinese datums."""

from __future__ import annotations

from pathlib import Path

import pyogrio

from ..city import City, assume_crs, make_city, repair_geometries
from ..config import PlanConfig
from ..errors import InputError
from .datum import COORDS, to_wgs84
from .files import read_csv, read_layer, read_layers
from .osm import read_osm

GEO_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".parquet", ".geoparquet", ".fgb")
OSM_SUFFIXES = (".pbf", ".osm", ".bz2")


def load(path, *, coords: str = "wgs84", config: PlanConfig | None = None,
         stations=None, network=None) -> City:
    """Read a city from a file.

    Parameters
    ----------
    path : str or Path
        ``.osm.pbf`` or ``.osm`` / ``.osm.bz2`` (OSM buildings, streets, water, stations);
        ``.gpkg`` with layers homes (required), streets, water, stations, boundary;
        a single-layer GeoJSON / Shapefile / GeoParquet of homes; or a CSV with
        ``lon,lat,households`` (other columns kept).
    coords : {'wgs84', 'gcj02', 'bd09'}
        The datum of lon/lat input. GCJ-02 (AMap, Tencent) and BD-09 (Baidu) are shifted to
        WGS84 at load.
    config : PlanConfig, optional
        CRS and household-estimation knobs.
    stations : str or Path, optional
        A file of station points that replaces the input's own stations.
    network : str or Path, optional
        A file of streets (``.osm``, ``.osm.pbf`` or lines) that replaces the input's streets.

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
    if coords not in COORDS:
        raise InputError(f"coords = {coords!r}: expected one of " + ", ".join(COORDS))
    path = Path(path)
    layers = _read_any(path, config)
    if stations is not None:
        layers["stations"] = _read_extra(Path(stations), config, "stations")
    if network is not None:
        layers["streets"] = _read_extra(Path(network), config, "streets")
    if "homes" not in layers or layers["homes"] is None or len(layers["homes"]) == 0:
        raise InputError("no homes: expected at least one residential building or address point",
                         file=path, layer=None if path.suffix.lower() == ".csv" else "homes")
    layers = {k: (to_wgs84(v, coords, file=path, layer=k) if k != "boundary" or v is not None
                  else v) for k, v in layers.items() if v is not None}
    names = {k: k for k in layers} if path.suffix.lower() == ".gpkg" else {}
    return make_city(layers.pop("homes"), layers.get("streets"), layers.get("water"),
                     layers.get("stations"), layers.get("boundary"), config=config,
                     source=str(path), file=str(path), layers=names)


def read_points(path, *, crs, coords: str = "wgs84", layer: str = "candidates",
                config: PlanConfig | None = None):
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

    Returns
    -------
    GeoDataFrame
        One point per input row, in ``crs``, the input's columns kept; ``source_row``
        counts rows from 1 as the file does.
    """
    path = Path(path)
    if coords not in COORDS:
        raise InputError(f"coords = {coords!r}: expected one of " + ", ".join(COORDS))
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
            gdf = read_layer(path, layer)
        else:
            gdf = _read_any(path, config or PlanConfig())["homes"]
    else:
        gdf = _read_any(path, config or PlanConfig()).get("homes")
    if gdf is None or len(gdf) == 0:
        raise InputError("no rows: expected at least one point", **where)
    gdf = assume_crs(gdf, where)
    gdf, _ = repair_geometries(gdf, where)
    gdf = to_wgs84(gdf, coords, file=path, layer=where["layer"]).to_crs(crs)
    gdf = gdf.reset_index(drop=True)
    gdf["source_row"] = range(1, len(gdf) + 1)
    gdf["geometry"] = gdf.geometry.representative_point()
    return gdf.set_geometry("geometry")


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError("no such file: expected an OSM, GeoPackage, GeoJSON, Shapefile, "
                         "GeoParquet or CSV file", file=path)
    if path.is_dir():
        raise InputError("is a folder: expected a file", file=path)
    if path.stat().st_size == 0:
        raise InputError("empty file: expected data", file=path)


def _read_any(path: Path, config: PlanConfig) -> dict:
    _check_file(path)
    name = path.name.lower()
    if name.endswith(".csv"):
        return {"homes": read_csv(path)}
    if name.endswith(OSM_SUFFIXES):
        return read_osm(path, config)
    if name.endswith(GEO_SUFFIXES):
        return read_layers(path)
    raise InputError("unknown file type: expected .osm.pbf, .osm, .osm.bz2, .gpkg, .geojson, "
                     ".shp, .parquet or .csv", file=path)


def _read_extra(path: Path, config: PlanConfig, what: str):
    layers = _read_any(path, config)
    if what == "streets" and "streets" in layers:
        return layers["streets"]
    if what == "stations" and "stations" in layers and path.suffix.lower() == ".gpkg":
        return layers["stations"]
    return layers.get("homes")
