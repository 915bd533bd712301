"""City: the input bundle (homes, streets, barriers, stations, boundary) in one metric CRS."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .columns import HOUSEHOLDS, HOUSEHOLDS_SOURCE, KIND, NAME
from .config import PlanConfig
from .errors import InputError
from .estimate import estimate_households

RANKS = ("arterial", "secondary", "local", "path")

#: OSM ``highway`` value -> street rank. Motorways are barriers, not streets (see BARRIER_HIGHWAYS).
RANK_OF_HIGHWAY = {
    **dict.fromkeys(["trunk", "trunk_link", "primary", "primary_link"], "arterial"),
    **dict.fromkeys(["secondary", "secondary_link", "tertiary", "tertiary_link"], "secondary"),
    **dict.fromkeys(["residential", "unclassified", "living_street", "service", "road"], "local"),
    **dict.fromkeys(["footway", "path", "pedestrian", "steps", "cycleway", "track", "corridor",
                     "bridleway", "elevator", "trail"], "path"),
}
BARRIER_HIGHWAYS = ("motorway", "motorway_link")


@dataclass
class City:
    """The input of a plan, validated and projected to one metric CRS.

    Attributes
    ----------
    homes : GeoDataFrame
        One row per building (Polygon) or address point (Point) with ``households`` (int >= 0)
        and ``households_source`` ('given' or 'estimated'); input columns kept.
    streets : GeoDataFrame
        LineStrings with ``rank`` in arterial / secondary / local / path.
    barriers : GeoDataFrame
        Hard barriers (rivers, lakes, rail, motorways) with ``kind``: the input's ``water``
        layer.
    stations : GeoDataFrame
        Existing service stations (Points) with ``kind``.
    boundary : shapely Polygon
        The study area.
    source : str
        Where the city came from (a path, or 'synth(...)').
    repaired_geometries : int
        Invalid input geometries repaired at load.
    """

    homes: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    barriers: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    boundary: shapely.Geometry
    source: str = ""
    repaired_geometries: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def crs(self):
        """The metric CRS every layer is in (local UTM unless ``PlanConfig.crs`` says)."""
        return self.homes.crs

    @property
    def households(self) -> int:
        """All households in the city's homes."""
        return int(self.homes[HOUSEHOLDS].sum())

    def __repr__(self) -> str:
        return (f"City({self.source!r}: {len(self.homes):,} homes, {self.households:,} households, "
                f"{len(self.streets):,} streets, {len(self.barriers):,} barriers, "
                f"{len(self.stations):,} stations, crs={self.crs.to_string() if self.crs else None})")

    def to_gpkg(self, path) -> None:
        """Write the layers homes, streets, water (the barriers), stations, boundary to a GeoPackage."""
        layers = {"homes": self.homes, "streets": self.streets, "water": self.barriers,
                  "stations": self.stations,
                  "boundary": gpd.GeoDataFrame({NAME: ["boundary"]}, geometry=[self.boundary],
                                               crs=self.crs)}
        for name, gdf in layers.items():
            if "osm_nodes" in gdf.columns:  # node ids per vertex (OSM input) as text
                gdf = gdf.assign(osm_nodes=[" ".join(map(str, x)) if x is not None else None
                                            for x in gdf["osm_nodes"]])
            gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def _empty(crs, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({k: pd.Series(dtype=v) for k, v in cols.items()},
                            geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def assume_crs(gdf: gpd.GeoDataFrame, where: dict) -> gpd.GeoDataFrame:
    if gdf.crs is not None:
        return gdf
    x0, y0, x1, y1 = gdf.total_bounds if len(gdf) else (0, 0, 0, 0)
    if -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90:
        return gdf.set_crs(4326)
    raise InputError("no coordinate reference system, and coordinates are not lon/lat: "
                     "expected a file with a CRS", **where)


def repair_geometries(gdf: gpd.GeoDataFrame, where: dict) -> tuple[gpd.GeoDataFrame, int]:
    geom = gdf.geometry.values
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    if missing.any():
        row = int(np.flatnonzero(missing)[0]) + 1
        raise InputError("empty or missing geometry: expected a point, line or polygon",
                         row=row, **where)
    bad = ~shapely.is_valid(geom)
    if bad.any():
        gdf = gdf.copy()
        fixed = shapely.make_valid(geom[bad], method="structure", keep_collapsed=False)
        gone = shapely.is_empty(fixed)
        if gone.any():
            row = int(np.flatnonzero(bad)[np.flatnonzero(gone)[0]]) + 1
            raise InputError("a polygon with no area (its outline collapses to a line): "
                             "expected a valid footprint", row=row, **where)
        gdf.loc[bad, gdf.geometry.name] = fixed
    return gdf, int(bad.sum())


def _check_households(homes: gpd.GeoDataFrame, where: dict, config: PlanConfig) -> pd.Series:
    """The ``households`` column as floats (NaN where missing), or InputError at the first bad
    row: text, infinity, a negative or fractional count, or more than one home may hold."""
    raw = homes[HOUSEHOLDS]
    values = pd.to_numeric(raw, errors="coerce")
    where = {**where, "column": HOUSEHOLDS}
    bad_text = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad_text.any():
        i = int(np.flatnonzero(bad_text.to_numpy())[0])
        raise InputError(f"expected a whole number of households >= 0, got {raw.iloc[i]!r}",
                         row=i + 1, **where)
    v = values.to_numpy(dtype=float)
    inf = np.isinf(v)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise InputError("expected a whole number of households, got infinity", row=i + 1, **where)
    neg = v < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise InputError(f"expected a whole number of households >= 0, got {raw.iloc[i]}",
                         row=i + 1, **where)
    frac = np.isfinite(v) & (np.abs(v - np.round(v)) > 1e-9)
    if frac.any():
        i = int(np.flatnonzero(frac)[0])
        raise InputError(f"expected a whole number of households, got {raw.iloc[i]}",
                         row=i + 1, **where)
    _check_caps(v, raw, where, config)
    return pd.Series(v, index=homes.index)


def _check_caps(v: np.ndarray, shown, where: dict, config: PlanConfig,
                estimated: np.ndarray | None = None) -> None:
    """InputError for a home above ``max_households_per_home`` or a district above
    ``max_households_district``: such numbers are typos or units mixed up, never a plan."""
    cap = config.max_households_per_home
    big = np.isfinite(v) & (v > cap)
    if big.any():
        i = int(np.flatnonzero(big)[0])
        how = " (estimated from its footprint)" if estimated is not None and estimated[i] else ""
        raise InputError(f"{shown.iloc[i] if shown is not None else int(v[i])} households in "
                         f"one home{how}: expected at most {cap:,} "
                         "(--max-households-per-home)", row=i + 1,
                         **{**where, "column": HOUSEHOLDS})
    total = float(np.nansum(v))
    if total > config.max_households_district:
        raise InputError(f"{total:,.0f} households in all: expected at most "
                         f"{config.max_households_district:,} in one district "
                         "(max_households_district)", **{**where, "column": HOUSEHOLDS})


#: How far (in zone widths, and in degrees of latitude) the centre must lie inside one UTM
#: zone's band for :func:`utm_crs` to name the zone itself.
_UTM_MARGIN = 1e-6


def utm_crs(gdf: gpd.GeoDataFrame):
    """The WGS 84 UTM CRS of ``gdf``: the one ``gdf.estimate_utm_crs()`` chooses.

    geopandas searches PROJ's database for the zones whose area holds the centre of the
    bounds (0.07 s, a twentieth of a plan). Those areas are the 6-degree bands, 0-84 N and
    80 S-0, so a centre clearly inside one band is that zone; on or near an edge (where
    areas overlap or end) geopandas is asked. The centre is found as geopandas finds it.
    """
    from pyproj import CRS, Transformer
    if gdf.crs is None:
        return gdf.estimate_utm_crs()        # geopandas' own error
    minx, miny, maxx, maxy = gdf.total_bounds
    if gdf.crs.is_geographic:
        x, y = np.mean([minx, maxx]), np.mean([miny, maxy])
    else:
        minx, miny, maxx, maxy = Transformer.from_crs(
            gdf.crs, "EPSG:4326", always_xy=True).transform_bounds(minx, miny, maxx, maxy)
        y = np.mean([miny, maxy])
        if minx > maxx:                      # across the antimeridian
            x = ((np.mean([minx, maxx + 360]) + 180) % 360) - 180
        else:
            x = np.mean([minx, maxx])
    band = (x + 180) / 6
    if (-180 < x < 180 and abs(band - np.round(band)) > _UTM_MARGIN
            and (_UTM_MARGIN < y < 84 - _UTM_MARGIN or -80 + _UTM_MARGIN < y < -_UTM_MARGIN)):
        return CRS.from_epsg((32600 if y > 0 else 32700) + int(np.floor(band)) + 1)
    return gdf.estimate_utm_crs()


def hull(geoms) -> shapely.Geometry:
    """The convex hull of the union of ``geoms``, as ``union_all().convex_hull`` gives it.

    Points (address points, compound points) have no union to work out: their hull is taken
    straight from their coordinates, the same polygon GEOS gives after the union. Shapes go
    through the union: where footprints overlap along the district's edge it nodes crossing
    points that can lie a hair outside the straight hull, and keeps them as vertices. A hull
    that is not a polygon (points in a line) comes from the union too (GEOS may start that
    line at the other end), as do points with heights.
    """
    geoms = np.asarray(geoms, dtype=object)
    if (shapely.get_type_id(geoms) == 0).all() and not shapely.has_z(geoms).any():
        quick = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(geoms)))
        if quick.geom_type == "Polygon":
            return quick
    return shapely.union_all(geoms).convex_hull


def make_city(homes: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None = None,
              barriers: gpd.GeoDataFrame | None = None, stations: gpd.GeoDataFrame | None = None,
              boundary=None, *, config: PlanConfig | None = None, source: str = "",
              file: str | None = None, layers: dict | None = None) -> City:
    """Validate the input layers, fill in households, and project everything to one metric CRS.

    Parameters
    ----------
    homes : GeoDataFrame
        Buildings or address points. ``households`` is required for points; for polygons a
        missing column or missing values are estimated from footprint and levels.
    streets, barriers, stations : GeoDataFrame, optional
        ``barriers``: rivers, lakes, rail and motorways (the input's ``water`` layer).
    boundary : shapely geometry or GeoDataFrame, optional
        The study area; by default the homes' convex hull buffered by 100 m.
    config : PlanConfig, optional
        The CRS and household-estimation knobs.
    source, file : str
        Where the data came from, for ``City.source`` and error messages.
    layers : dict, optional
        Layer names for error messages (``{"homes": "homes"}``); None for single-layer files.

    Returns
    -------
    City

    Raises
    ------
    InputError
        On the first problem, naming file, layer, column and row.
    """
    config = config or PlanConfig()
    layers = layers or {}
    where = {"file": file, "layer": layers.get("homes")}
    if homes is None or len(homes) == 0:
        raise InputError("no homes: expected at least one row", **where)
    homes = assume_crs(homes, where)
    homes, repaired = repair_geometries(homes, where)
    kinds = set(homes.geom_type.unique())
    allowed = {"Point", "Polygon", "MultiPolygon"}
    if not kinds <= allowed:
        raise InputError(f"homes of type {sorted(kinds - allowed)[0]}: expected points or polygons",
                         **where)

    input_crs = homes.crs
    try:
        crs = config.crs or utm_crs(homes)
    except RuntimeError:        # geopandas: no UTM zone's area holds the homes' centre
        south, north = homes.to_crs(4326).total_bounds[[1, 3]]
        raise InputError(f"homes at latitude {south:.2f} to {north:.2f}: expected homes "
                         "within UTM's 80 S to 84 N, or a metric CRS in PlanConfig(crs=...)",
                         **where) from None
    homes = homes.to_crs(crs)
    is_area = homes.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if HOUSEHOLDS in homes.columns:
        given = _check_households(homes, where, config)
    elif is_area.all():
        given = pd.Series(np.nan, index=homes.index)
    else:
        raise InputError("no 'households' column: expected households per address point",
                         **where)
    missing = given.isna().to_numpy()
    if (missing & ~is_area).any():
        i = int(np.flatnonzero(missing & ~is_area)[0])
        raise InputError("missing households for an address point: expected a whole number >= 0",
                         column=HOUSEHOLDS, row=i + 1, **where)
    if missing.any() and HOUSEHOLDS in homes.columns and not config.estimate_missing:
        # a count left empty beside given ones is never replaced by a guess unasked
        i = int(np.flatnonzero(missing)[0])
        raise InputError("missing households: expected a whole number >= 0, or "
                         "--estimate-missing to estimate empty counts from the footprint",
                         column=HOUSEHOLDS, row=i + 1, **where)
    homes = homes.copy()
    if missing.any():
        est = estimate_households(homes[missing], config)
        given[missing] = est.to_numpy()
        _check_caps(given.to_numpy(), None, where, config, estimated=missing)
    homes[HOUSEHOLDS] = given.round().astype("int64")
    homes[HOUSEHOLDS_SOURCE] = np.where(missing, "estimated", "given")
    homes = homes.reset_index(drop=True)

    def layer(gdf, name, **cols):
        if gdf is None or len(gdf) == 0:
            return _empty(crs, **cols)
        w = {"file": file, "layer": layers.get(name)}
        gdf = assume_crs(gdf, w)
        gdf, n = repair_geometries(gdf, w)
        nonlocal repaired
        repaired += n
        return gdf.to_crs(crs).reset_index(drop=True)

    streets = layer(streets, "streets", rank="object")
    lines = streets.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()
    if not lines.all():
        # a walk needs lines: a layer of points would quietly drop every walk distance
        i = int(np.flatnonzero(~lines)[0])
        raise InputError(f"a {streets.geom_type.iloc[i]} among the streets: expected lines "
                         "(LineString) to walk along", file=file, layer=layers.get("streets"),
                         row=i + 1)
    if "rank" not in streets.columns:
        if "highway" in streets.columns:
            streets["rank"] = streets["highway"].astype(str).map(RANK_OF_HIGHWAY).fillna("local")
        else:
            streets["rank"] = "local"
    bad_rank = ~streets["rank"].isin(RANKS)
    if bad_rank.any():
        i = int(np.flatnonzero(bad_rank.to_numpy())[0])
        raise InputError(f"street rank {streets['rank'].iloc[i]!r}: expected one of "
                         + ", ".join(RANKS), file=file, layer=layers.get("streets"),
                         column="rank", row=i + 1)
    barriers = layer(barriers, "water", kind="object")
    if KIND not in barriers.columns:
        barriers[KIND] = "water"
    stations = layer(stations, "stations", kind="object")
    if len(stations):
        stations["geometry"] = stations.geometry.representative_point()
        stations = stations.set_geometry("geometry")
    if KIND not in stations.columns:
        stations[KIND] = "station"

    if boundary is None:
        boundary = hull(homes.geometry.values).buffer(100.0)
    else:
        if not isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
            boundary = gpd.GeoSeries([boundary], crs=input_crs)  # a bare shape: homes' CRS
        if isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
            w = {"file": file, "layer": layers.get("boundary")}
            b = assume_crs(boundary if isinstance(boundary, gpd.GeoDataFrame)
                            else gpd.GeoDataFrame(geometry=boundary), w)
            boundary = shapely.make_valid(b.to_crs(crs).union_all())
        boundary = boundary.buffer(0)
        outside = ~shapely.covered_by(homes.geometry.values, boundary.buffer(1.0))
        if outside.all():
            raise InputError("the boundary contains none of the homes: expected the study area "
                             "around them (same coordinates?)", file=file,
                             layer=layers.get("boundary"))
        if outside.any():
            boundary = shapely.union(boundary, homes.geometry[outside].union_all().buffer(20.0))
    return City(homes=homes, streets=streets, barriers=barriers, stations=stations,
                boundary=boundary, source=source or (file or ""), repaired_geometries=repaired,
                meta={"input_crs": input_crs})
