"""Shift lon/lat between WGS84 and the Chinese GCJ-02 (AMap, Tencent) and BD-09 (Baidu) datums."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ..errors import InputError

COORDS = ("wgs84", "gcj02", "bd09")

# The published GCJ-02 constants: Krasovsky 1940 semi-major axis and eccentricity squared.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
# The inverses are solved by fixed-point iteration; the shift's Jacobian is within 1e-3 of
# identity, so each step gains about three digits and a few steps reach float precision.
_MAX_STEPS = 30
_TOLERANCE_DEG = 1e-12


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon.astype(float, copy=True), lat.astype(float, copy=True)


def out_of_china(lon, lat) -> np.ndarray:
    """True where a point lies outside the rough box of China, where GCJ-02 does not shift.

    Parameters
    ----------
    lon, lat : array_like
        Degrees.

    Returns
    -------
    ndarray of bool
    """
    lon, lat = _arrays(lon, lat)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset in degrees at a WGS84 point (zero outside China)."""
    x, y = lon - 105.0, lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 to GCJ-02 (AMap, Tencent). Points outside China are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 degrees.

    Returns
    -------
    lon, lat : ndarray
        GCJ-02 degrees.
    """
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to WGS84, by iterating the forward shift to convergence (round trip << 1 mm).

    The common one-step inverse (``2 * gcj - shift(gcj)``) is off by up to a couple of metres;
    this one is exact to float precision. Points outside China are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees.

    Returns
    -------
    lon, lat : ndarray
        WGS84 degrees.
    """
    glon, glat = _arrays(lon, lat)
    outside = out_of_china(glon, glat)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(_MAX_STEPS):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon -= elon
        wlat -= elat
        err = np.maximum(np.abs(elon), np.abs(elat))
        if not np.any(err[np.isfinite(err)] > _TOLERANCE_DEG):
            break
    return np.where(outside, glon, wlon), np.where(outside, glat, wlat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees.

    Returns
    -------
    lon, lat : ndarray
        BD-09 degrees.
    """
    lon, lat = _arrays(lon, lat)
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 (Baidu) to GCJ-02.

    Starts from Baidu's published closed-form inverse (off by up to about 1 m, because it
    evaluates the wobble terms at the BD-09 point) and refines it against the forward shift.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees.

    Returns
    -------
    lon, lat : ndarray
        GCJ-02 degrees.
    """
    blon, blat = _arrays(lon, lat)
    x, y = blon - 0.0065, blat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    glon, glat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(_MAX_STEPS):
        flon, flat = gcj02_to_bd09(glon, glat)
        elon, elat = flon - blon, flat - blat
        glon -= elon
        glat -= elat
        err = np.maximum(np.abs(elon), np.abs(elat))
        if not np.any(err[np.isfinite(err)] > _TOLERANCE_DEG):
            break
    return glon, glat


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 (Baidu) to WGS84, through GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees.

    Returns
    -------
    lon, lat : ndarray
        WGS84 degrees.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 to BD-09 (Baidu), through GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 degrees.

    Returns
    -------
    lon, lat : ndarray
        BD-09 degrees.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_LABEL = {"gcj02": "GCJ-02", "bd09": "BD-09"}


def _refuse_outside_china(gdf: gpd.GeoDataFrame, coords: str, name: str, file, layer) -> None:
    """GCJ-02 and BD-09 exist only inside China; shifting a point elsewhere would move it
    by up to a kilometre without cause, so such input is refused, naming the first row."""
    geom = gdf.geometry.values.to_numpy()
    xy, index = shapely.get_coordinates(geom, return_index=True)
    outside = out_of_china(xy[:, 0], xy[:, 1])
    if outside.any():
        k = int(np.flatnonzero(outside)[0])
        raise InputError(f"{name} = {coords!r}, but the point ({xy[k, 0]:.6f}, {xy[k, 1]:.6f}) "
                         f"is outside China, where {_LABEL[coords]} does not apply: expected {name} = "
                         "'wgs84' for this file", file=file, layer=layer, row=int(index[k]) + 1)


def to_wgs84(gdf: gpd.GeoDataFrame, coords: str, *, file=None,
             layer: str | None = None, name: str = "coords") -> gpd.GeoDataFrame:
    """Shift every coordinate of every geometry from ``coords`` to WGS84 lon/lat.

    Parameters
    ----------
    gdf : GeoDataFrame
        Points, lines or polygons in lon/lat (a missing CRS is taken as EPSG:4326).
    coords : {'wgs84', 'gcj02', 'bd09'}
        The datum the lon/lat are in.
    file, layer : optional
        Where the layer came from, for error messages.
    name : str
        The option ``coords`` came from (``stations_coords``), for error messages.

    Returns
    -------
    GeoDataFrame
        ``gdf`` itself for 'wgs84'; otherwise a shifted copy in EPSG:4326.

    Raises
    ------
    InputError
        When ``coords`` is unknown, or is a Chinese datum and the layer is not in lon/lat,
        or has a point outside China (where the Chinese datums do not apply).
    """
    if coords not in COORDS:
        raise InputError(f"{name} = {coords!r}: expected one of " + ", ".join(COORDS),
                         file=file, layer=layer)
    if coords == "wgs84":
        return gdf
    if gdf.crs is None:
        x0, y0, x1, y1 = gdf.total_bounds if len(gdf) else (0.0, 0.0, 0.0, 0.0)
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise InputError(f"{name} = {coords!r} needs lon/lat input, but the layer has no "
                             "CRS and its coordinates are not lon/lat", file=file, layer=layer)
        gdf = gdf.set_crs(4326)
    elif not gdf.crs.is_geographic:
        raise InputError(f"{name} = {coords!r} needs lon/lat input, but the layer is in "
                         f"{gdf.crs.to_string()}", file=file, layer=layer)
    elif not gdf.crs.equals(4326):
        gdf = gdf.to_crs(4326)
    _refuse_outside_china(gdf, coords, name, file, layer)
    shift = _TO_WGS84[coords]

    def moved(xy: np.ndarray) -> np.ndarray:
        out = xy.copy()  # a z column, when there is one, stays as it is
        out[:, 0], out[:, 1] = shift(xy[:, 0], xy[:, 1])
        return out

    out = gdf.copy()
    # include_z=None keeps 2D geometries 2D and 3D ones 3D (one call for each group).
    geom = shapely.transform(gdf.geometry.values.to_numpy(), moved, include_z=None)
    out[gdf.geometry.name] = gpd.GeoSeries(geom, index=gdf.index, crs=4326)
    return out.set_crs(4326, allow_override=True)
