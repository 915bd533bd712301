"""The ground under a plan, as both review pages draw it: streets by rank, water and rail,
and buildings coloured by the grid that holds them; compact, in rounded WGS84."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...columns import GRID_ID, HOME_INDEX, HOUSEHOLDS, KIND
from ...propose import home_points

#: Simplification of streets, barriers and footprints for display, metres.
GROUND_SIMPLIFY_M = 1.0
#: Decimal places of lon/lat for the ground layers: 5 is about 1 m, plenty at street zoom.
GROUND_PRECISION = 5
#: Zoom from which local streets and paths are drawn (below it only arterial and secondary).
MINOR_STREETS_ZOOM = 14
#: Zoom from which buildings are drawn: below it a footprint is a few pixels.
BUILDINGS_ZOOM = 15
#: Zoom from which the address points of a register (no footprints) are drawn.
POINTS_ZOOM = 12
#: Colours that tell a building's grid from its neighbours' (ColorBrewer Dark2 and Paired,
#: strong enough to read on a pale grid fill; no pure red, which means "below the range").
GRID_PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                "#a6761d", "#1f78b4", "#6a3d9a", "#b15928")
#: Fill of a building no grid holds (shops, offices: households 0).
NO_GRID = "#9e9e9e"


def neighbour_colours(geoms, palette=GRID_PALETTE) -> list[str]:
    """A colour per polygon, different from every polygon it touches where the palette
    allows (greedy, most neighbours first).

    Parameters
    ----------
    geoms : array of Polygon
        Polygons that tile an area (grids).
    palette : sequence of str

    Returns
    -------
    list of str
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if not n:
        return []
    # a hair of buffer: display grids meet along shared edges that rounding may part
    a, b = shapely.STRtree(geoms).query(shapely.buffer(geoms, 0.5), predicate="intersects")
    keep = a != b
    near = [[] for _ in range(n)]
    for i, j in zip(a[keep], b[keep]):
        near[i].append(j)
    colour = np.full(n, -1)
    for i in sorted(range(n), key=lambda i: -len(near[i])):
        used = {colour[j] for j in near[i]}
        free = [c for c in range(len(palette)) if c not in used]
        colour[i] = free[0] if free else i % len(palette)
    return [palette[c] for c in colour]


def _flat(geom, precision: int) -> list:
    """A line or a polygon's outer ring as one flat list ``[lon, lat, lon, lat, ...]``."""
    xy = shapely.get_coordinates(geom)
    return np.round(xy, precision).ravel().tolist()


def _first_outer_rings(geoms: np.ndarray, precision: int) -> list[list]:
    """The outer ring of each shape's first part as a flat list (as ``_flat`` gives it), from
    one coordinate array for all shapes."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    first = np.unique(owner, return_index=True)[1]
    if len(first) != len(geoms):       # an empty shape: its own way, as before
        return [_flat(shapely.get_exterior_ring(shapely.get_parts(g)[0]), precision)
                for g in geoms]
    rings = shapely.get_exterior_ring(parts[first])
    flat = np.round(shapely.get_coordinates(rings), precision).ravel().tolist()
    ends = (2 * np.cumsum(shapely.get_num_coordinates(rings))).tolist()
    return [flat[a:b] for a, b in zip([0, *ends[:-1]], ends)]


def _display(gdf: gpd.GeoDataFrame, simplify_m: float) -> np.ndarray:
    geoms = gdf.geometry.values.to_numpy()
    if simplify_m > 0:
        geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    return np.asarray(gpd.GeoSeries(geoms, crs=gdf.crs).to_crs(4326).values, dtype=object)


def _lines(geoms: np.ndarray, values, precision: int) -> tuple[list, list]:
    """Every line part (polygons give their rings) as a flat list, with its row's value."""
    out, val = [], []
    for g, v in zip(geoms, values):
        if g is None or shapely.is_empty(g):
            continue
        parts = shapely.get_parts(g)
        for p in parts:
            if p.geom_type == "Polygon":
                rings = [p.exterior, *p.interiors]
            else:
                rings = [p]
            for r in rings:
                flat = _flat(r, precision)
                if len(flat) >= 4:
                    out.append(flat)
                    val.append(v)
    return out, val


def _home_grids(plan) -> pd.Series:
    """The grid (row of ``plan.grids``) of each home: for a building divided between grids,
    the grid with most of its households; -1 for a home without households."""
    h = plan.homes
    row = pd.Series(np.arange(len(plan.grids)), index=plan.grids[GRID_ID].to_numpy())
    g = h[GRID_ID].map(row)
    frame = pd.DataFrame({"home": h[HOME_INDEX].to_numpy(), "grid": g.to_numpy(),
                          "households": h[HOUSEHOLDS].to_numpy(float)})
    # a shop or office (no households) belongs to no residential grid, whatever it stands in
    frame = frame[frame["grid"].notna() & (frame["households"] > 0)]
    best = (frame.sort_values("households", ascending=False, kind="stable")
            .drop_duplicates("home").set_index("home")["grid"].astype(int))
    return best


def ground_data(plan, *, simplify_m: float = GROUND_SIMPLIFY_M,
                precision: int = GROUND_PRECISION) -> dict:
    """What the streets, barriers and buildings layers of a review page draw.

    Parameters
    ----------
    plan : Plan
    simplify_m : float
        Simplification of lines and footprints for display, metres.
    precision : int
        Decimal places of lon/lat.

    Returns
    -------
    dict
        ``streets`` {``rank``: [...], ``xy``: [flat lon/lat list per line]}, ``water``
        {``kind``, ``xy``, ``area`` (1 for a lake or riverbank outline)}, ``buildings``
        {``grid``: row of ``plan.grids`` or -1, ``xy``: a flat ring per footprint, or
        [lon, lat] for an address point, ``households``, ``home`` (``home_index``)}, and the
        zooms ``minor_zoom`` and ``buildings_zoom``.
    """
    city = plan.city
    out = {"minor_zoom": MINOR_STREETS_ZOOM, "buildings_zoom": BUILDINGS_ZOOM}
    st = city.streets
    xy, rank = _lines(_display(st, simplify_m), st["rank"].astype(str).to_numpy(), precision) \
        if len(st) else ([], [])
    out["streets"] = {"rank": rank, "xy": xy}
    wa = city.barriers
    if len(wa):
        kinds = wa[KIND].astype(str).to_numpy()
        area = shapely.get_dimensions(wa.geometry.values.to_numpy()) == 2
        xy, val = _lines(_display(wa, simplify_m), list(zip(kinds, area.astype(int))), precision)
        out["water"] = {"kind": [v[0] for v in val], "area": [int(v[1]) for v in val], "xy": xy}
    else:
        out["water"] = {"kind": [], "area": [], "xy": []}

    # one shape per home (its parts share the footprint), coloured by its main grid
    homes = plan.homes.drop_duplicates(HOME_INDEX)
    grid = _home_grids(plan).reindex(homes[HOME_INDEX].to_numpy()).fillna(-1).astype(int)
    hh = plan.homes.groupby(HOME_INDEX, sort=False)[HOUSEHOLDS].sum()
    households = hh.reindex(homes[HOME_INDEX].to_numpy()).fillna(0).astype(int)
    polygon = shapely.get_dimensions(homes.geometry.values.to_numpy()) == 2
    shapes = []
    if polygon.any():
        disp = _display(homes[polygon], simplify_m / 2)
        # a footprint's outer ring only: courtyards are not worth their bytes at this scale
        shapes = _first_outer_rings(disp, precision)
    pts = gpd.GeoSeries(shapely.points(home_points(homes[~polygon])), crs=homes.crs
                        ).to_crs(4326) if (~polygon).any() else None
    xy = [None] * len(homes)
    pi = np.flatnonzero(polygon)
    for k, i in enumerate(pi):
        xy[i] = shapes[k]
    if pts is not None:
        lonlat = np.round(np.column_stack([pts.x, pts.y]), precision).tolist()
        for k, i in enumerate(np.flatnonzero(~polygon)):
            xy[i] = lonlat[k]
    if not polygon.any():
        out["buildings_zoom"] = POINTS_ZOOM
    out["buildings"] = {"grid": grid.tolist(), "households": households.tolist(),
                        "home": homes[HOME_INDEX].astype(int).tolist(), "xy": xy}
    return out


def coverage_area(plan, simplify_m: float = 5.0) -> gpd.GeoDataFrame:
    """The ground within the radius of any station, as one (multi)polygon."""
    st = plan.stations
    if not len(st):
        return gpd.GeoDataFrame({"stations": []}, geometry=[], crs=plan.homes.crs)
    area = shapely.union_all(shapely.buffer(st.geometry.values.to_numpy(),
                                            plan.config.radius_m, quad_segs=16))
    return gpd.GeoDataFrame({"stations": [len(st)]},
                            geometry=[shapely.simplify(area, simplify_m)], crs=st.crs)
