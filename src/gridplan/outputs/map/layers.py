"""The plan's layers as the review map shows them: simplified for display, in WGS84 with
rounded coordinates, and carrying the figures their tooltips quote."""

from __future__ import annotations

import branca.colormap as cm
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from ...columns import (COVERED_RADIUS, DIST_M, HOME_INDEX, HOUSEHOLDS_ADDED,
                        HOUSEHOLDS_IN_REACH, NAME, PROPOSED_RANK, SPECIAL_GRID_ID, UNITS, WALK_M)
from ...partition.columns import (COMMUNITY_ID, GRID_ID, GRIDS, HOMES, HOUSEHOLDS,
                                  POLSBY_POPPER, SHARE_15MIN, SHARE_RADIUS, SHARE_RADIUS_WALK,
                                  STATION_IN_REACH)
from .ground import neighbour_colours

#: Polygon simplification for display, metres. Grids are simplified as one coverage, so
#: neighbours keep a shared edge (no slivers, no gaps).
SIMPLIFY_M = 2.0
#: Decimal places of lon/lat in the page: 6 is about 0.1 m.
PRECISION = 6
#: Fill of a grid below / above the household range, and the ramp of one within it.
BELOW, ABOVE = "#d7301f", "#7a0177"
IN_RANGE_RAMP = ("#c6dbef", "#6baed6", "#08519c")
#: Outline of an unresolved grid.
UNRESOLVED = "#ff7f00"
#: Above this many stations the map hides their radius circles at first (they would cover
#: the grids) and shows the merged area within the radius of any station instead.
CIRCLES_MAX_STATIONS = 6


def grid_colours(lo: int, hi: int) -> cm.LinearColormap:
    """The fill ramp of grids within [lo, hi] households."""
    return cm.LinearColormap(list(IN_RANGE_RAMP), vmin=lo, vmax=hi)


def fill_colours(households, lo: int, hi: int) -> list[str]:
    """The fill of each grid, ``#rrggbb``: BELOW or ABOVE outside [lo, hi], else the ramp's
    colour, the same as ``grid_colours(lo, hi)(h)[:7]`` gives, computed for all grids at once
    (branca's interpolation, operation for operation, on its own index and colours)."""
    ramp = grid_colours(lo, hi)
    x = np.asarray(households, dtype=float)
    index = np.asarray(ramp.index, dtype=float)
    colors = np.asarray(ramp.colors, dtype=float)[:, :3]
    i = np.clip((index[None, :] < x[:, None]).sum(axis=1), 1, len(index) - 1)
    left, right = index[i - 1], index[i]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(left < right, (x - left) * 1.0 / (right - left), 1.0)[:, None]
    rgb = (1.0 - p) * colors[i - 1] + p * colors[i]
    rgb = np.where((x >= index[-1])[:, None], colors[-1], rgb)
    rgb = np.where((x <= index[0])[:, None], colors[0], rgb)      # branca tests this first
    hexes = ["#%02x%02x%02x" % tuple(c) for c in (rgb * 255.9999).astype(int).tolist()]
    return [BELOW if h < lo else ABOVE if h > hi else c
            for h, c in zip(x.tolist(), hexes)]


def _share(v) -> str | None:
    return None if v is None or not np.isfinite(v) else f"{100 * v:.1f}%"


def simplify_coverage(geoms, tolerance_m: float) -> np.ndarray:
    """Simplify polygons that tile an area as one coverage, so shared edges stay shared.

    A tiling whose shared edges do not match vertex for vertex is cleaned first
    (``shapely.coverage_clean``, GEOS 3.14); when it still is not a valid coverage, or this
    shapely lacks the coverage functions, each polygon is simplified on its own.
    """
    geoms = np.asarray(geoms, dtype=object)
    if tolerance_m <= 0 or not len(geoms):
        return geoms
    try:
        if not shapely.coverage_is_valid(geoms):
            cleaned = shapely.coverage_clean(geoms)
            if (len(cleaned) != len(geoms) or shapely.is_empty(cleaned).any()
                    or not shapely.coverage_is_valid(cleaned)):
                raise ValueError("not a coverage")
            geoms = cleaned
        return shapely.coverage_simplify(geoms, tolerance_m)
    except (AttributeError, ValueError, shapely.errors.GEOSException):
        return shapely.simplify(geoms, tolerance_m, preserve_topology=True)


def dissolve_communities(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Community outlines as unions of their grids: a fast coverage union when the grids tile
    exactly, a general union when they do not (e.g. after per-polygon simplification)."""
    frame = grids[[COMMUNITY_ID, "geometry"]]
    try:
        return frame.dissolve(COMMUNITY_ID, method="coverage")
    except shapely.errors.GEOSException:
        return frame.dissolve(COMMUNITY_ID)


def to_display(gdf: gpd.GeoDataFrame, precision: int = PRECISION) -> gpd.GeoDataFrame:
    """``gdf`` in WGS84 lon/lat rounded to ``precision`` decimals."""
    out = gdf.to_crs(4326)
    geoms = shapely.transform(out.geometry.values.to_numpy(), lambda xy: np.round(xy, precision))
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=4326))


def _geometries(geoms: np.ndarray) -> list:
    """The GeoJSON geometry of each shape, as ``shapely.geometry.mapping`` gives it (None
    for a missing or empty one): points and polygons from one coordinate array, not shape by
    shape (a district's thousands of homes), other kinds by ``mapping``."""
    out = [None] * len(geoms)
    full = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kind = shapely.get_type_id(geoms)
    flat = ~shapely.has_z(geoms)
    point = np.flatnonzero(full & flat & (kind == shapely.GeometryType.POINT))
    if len(point):
        for i, xy in zip(point, shapely.get_coordinates(geoms[point]).tolist()):
            out[i] = {"type": "Point", "coordinates": tuple(xy)}
    poly = np.flatnonzero(full & flat & (kind == shapely.GeometryType.POLYGON))
    if len(poly):
        # every ring, exterior first, as its polygon's coordinates list them
        rings, owner = shapely.get_rings(geoms[poly], return_index=True)
        xy = [tuple(c) for c in shapely.get_coordinates(rings).tolist()]
        ends = np.cumsum(shapely.get_num_coordinates(rings)).tolist()
        starts = [0, *ends[:-1]]
        coords: list[list] = [[] for _ in poly]
        for k, a, b in zip(owner.tolist(), starts, ends):
            coords[k].append(tuple(xy[a:b]))
        for i, c in zip(poly, coords):
            out[i] = {"type": "Polygon", "coordinates": tuple(c)}
    for i in np.flatnonzero(full):
        if out[i] is None:
            out[i] = mapping(geoms[i])
    return out


def feature_collection(gdf: gpd.GeoDataFrame, precision: int = PRECISION) -> dict:
    """A GeoJSON dict of ``gdf`` in rounded WGS84; NaN becomes null.

    The same dict as ``GeoDataFrame.to_geo_dict(na="null", drop_id=True)``, built a column
    and a geometry type at a time instead of row by row.
    """
    d = to_display(gdf, precision)
    cols = [c for c in d.columns if c != d.geometry.name]
    values = []
    for c in cols:
        s = d[c]
        v = s.astype(object).to_numpy(copy=True)
        v[pd.isna(s).to_numpy()] = None
        values.append(v.tolist())
    rows = zip(*values) if cols else ([] for _ in range(len(d)))
    features = [{"type": "Feature", "properties": dict(zip(cols, row)), "geometry": g}
                for row, g in zip(rows, _geometries(d.geometry.values.to_numpy()))]
    return {"type": "FeatureCollection", "features": features}


def _flagged_grids(plan) -> dict[str, list[str]]:
    notes: dict[str, list[str]] = {}
    for note in plan.unresolved.grids:
        for gid in note.ids:
            notes.setdefault(str(gid), []).append(note.reason)
    return notes


def grid_layers(plan, words: dict, simplify_m: float = SIMPLIFY_M
                ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Grids and communities for display, in the plan's CRS, with tooltip columns.

    Communities are dissolved from the simplified grids, so their outlines run exactly along
    grid edges.

    Returns
    -------
    grids, communities : GeoDataFrame
        Grids carry ``_fill`` (fill colour) and ``_flag`` (1 for an unresolved grid).
    """
    cfg = plan.config
    lo, hi = cfg.min_households, cfg.max_households
    g = plan.grids
    notes = _flagged_grids(plan)
    hh = g[HOUSEHOLDS].to_numpy()
    walk = bool(np.isfinite(plan.homes[WALK_M]).any())
    grids = gpd.GeoDataFrame({
        GRID_ID: g[GRID_ID].astype(str),
        COMMUNITY_ID: g[COMMUNITY_ID].astype(str),
        HOUSEHOLDS: hh.astype(int),
        HOMES: g[HOMES].astype(int),
        POLSBY_POPPER: g[POLSBY_POPPER].astype(float).round(2),
        SHARE_RADIUS: g[SHARE_RADIUS].map(_share),
        SHARE_RADIUS_WALK: g[SHARE_RADIUS_WALK].map(_share) if walk else None,
        SHARE_15MIN: g[SHARE_15MIN].map(_share) if walk else None,
        STATION_IN_REACH: np.where(g[STATION_IN_REACH].astype(bool), words["yes"],
                                   words["no"]),
        "status": np.where(hh < lo, words["below"],
                           np.where(hh > hi, words["above"], words["in_range"])),
        "notes": [" · ".join(notes.get(str(i), [])) or None for i in g[GRID_ID]],
        "_fill": fill_colours(hh, lo, hi),
        "_flag": [int(str(i) in notes) for i in g[GRID_ID]],
    }, geometry=simplify_coverage(g.geometry.values, simplify_m), crs=g.crs, index=g.index)
    # the colour its buildings wear: different from each neighbouring grid's
    grids["_colour"] = neighbour_colours(grids.geometry.values)

    c = plan.communities
    outlines = dissolve_communities(grids)
    clo, chi = cfg.community_min, cfg.community_max
    ch = c[HOUSEHOLDS].to_numpy()
    cnotes: dict[str, list[str]] = {}
    for note in plan.unresolved.communities:
        for cid in note.ids:
            cnotes.setdefault(str(cid), []).append(note.reason)
    comm = pd.DataFrame({
        COMMUNITY_ID: c[COMMUNITY_ID].astype(str),
        HOUSEHOLDS: ch.astype(int),
        GRIDS: c[GRIDS].astype(int),
        HOMES: c[HOMES].astype(int),
        SHARE_RADIUS: c[SHARE_RADIUS].map(_share),
        SHARE_15MIN: c[SHARE_15MIN].map(_share) if walk else None,
        "status": np.where(ch < clo, f"< {clo}", np.where(ch > chi, f"> {chi}",
                                                          words["in_range"])),
        "notes": [" · ".join(cnotes.get(str(i), [])) or None for i in c[COMMUNITY_ID]],
        "_flag": [int(str(i) in cnotes) for i in c[COMMUNITY_ID]],
    })
    geom = comm[COMMUNITY_ID].map(outlines.geometry)
    missing = geom.isna().to_numpy()
    if missing.any():                        # a community with no grid: draw its own shape
        geom[missing] = simplify_coverage(c.geometry.values[missing], simplify_m)
    communities = gpd.GeoDataFrame(comm, geometry=list(geom), crs=g.crs)
    return grids, communities


def special_layer(plan, simplify_m: float = SIMPLIFY_M) -> gpd.GeoDataFrame:
    """Special grids (shops, offices) for display."""
    s = plan.special_grids
    return gpd.GeoDataFrame({
        SPECIAL_GRID_ID: s[SPECIAL_GRID_ID].astype(str),
        COMMUNITY_ID: s[COMMUNITY_ID].astype(str),
        UNITS: s[UNITS].astype(int),
    }, geometry=shapely.simplify(s.geometry.values, simplify_m, preserve_topology=True),
        crs=s.crs)


def _residential_points(plan) -> tuple[pd.DataFrame, np.ndarray]:
    from ...propose import home_points
    res = plan.homes[plan.homes[HOUSEHOLDS] > 0]
    return res, (home_points(res) if len(res) else np.zeros((0, 2)))


def station_names(plan, words: dict) -> list[str]:
    """Each station's name, or "station n" when it has none."""
    st = plan.stations
    names = st[NAME] if NAME in st.columns else pd.Series([None] * len(st), index=st.index)
    return [str(v) if isinstance(v, str) and v.strip() else words["unnamed_station"].format(n=i + 1)
            for i, v in enumerate(names)]


def station_layer(plan, words: dict) -> gpd.GeoDataFrame:
    """Stations with the households and homes each serves: those whose nearest station it is,
    within the radius (straight line)."""
    from scipy.spatial import cKDTree   # scipy.spatial: loaded when a map has stations
    st = plan.stations
    res, xy = _residential_points(plan)
    served = np.zeros(len(st))
    homes = np.zeros(len(st), dtype=int)
    if len(st) and len(xy):
        d, j = cKDTree(shapely.get_coordinates(st.geometry.values)).query(xy)
        ok = d <= plan.config.radius_m
        served = np.bincount(j[ok], weights=res[HOUSEHOLDS].to_numpy(float)[ok],
                             minlength=len(st))
        homes = (pd.Series(res[HOME_INDEX].to_numpy()[ok]).groupby(j[ok]).nunique()
                 .reindex(range(len(st)), fill_value=0).to_numpy())
    return gpd.GeoDataFrame({
        NAME: station_names(plan, words),
        "served_households": np.round(served).astype(int),
        "served_homes": homes.astype(int),
    }, geometry=list(st.geometry.values), crs=st.crs)


def circle_layer(plan, station: str, proposed: str) -> gpd.GeoDataFrame:
    """The radius circle of every station (solid) and proposed station (dashed), as points
    with ``_colour`` and ``_dash``."""
    st, pr = plan.stations, plan.proposed
    geoms = [*st.geometry.values, *pr.geometry.values]
    return gpd.GeoDataFrame({
        "_colour": [station] * len(st) + [proposed] * len(pr),
        "_dash": [None] * len(st) + ["6 6"] * len(pr),
    }, geometry=geoms, crs=plan.homes.crs)


def proposed_layer(plan) -> gpd.GeoDataFrame:
    """Proposed stations with the households each would newly reach, as the siting ranked
    them (``households_added``: reached by no existing or higher-ranked station) and, when
    the plan gives it, all the households within its reach."""
    pr = plan.proposed
    if HOUSEHOLDS_ADDED in pr.columns:
        new = pr[HOUSEHOLDS_ADDED].to_numpy(float)
    else:           # nearest proposed station, within the radius, of each uncovered household
        from scipy.spatial import cKDTree
        res, xy = _residential_points(plan)
        new = np.zeros(len(pr))
        if len(pr) and len(xy):
            out = ~res[COVERED_RADIUS].to_numpy(bool)
            d, j = cKDTree(shapely.get_coordinates(pr.geometry.values)).query(xy[out])
            ok = d <= plan.config.radius_m
            new = np.bincount(j[ok], weights=res[HOUSEHOLDS].to_numpy(float)[out][ok],
                              minlength=len(pr))
    reach = (pr[HOUSEHOLDS_IN_REACH].to_numpy(float) if HOUSEHOLDS_IN_REACH in pr.columns
             else np.full(len(pr), np.nan))
    return gpd.GeoDataFrame({
        PROPOSED_RANK: pr[PROPOSED_RANK].astype(int).to_numpy() if len(pr) else [],
        "new_households": np.round(new).astype(int),
        "reach_households": [None if not np.isfinite(v) else int(round(v)) for v in reach],
    }, geometry=list(pr.geometry.values), crs=pr.crs)


def uncovered_layer(plan) -> gpd.GeoDataFrame:
    """Homes beyond the radius of every station, as points."""
    u = plan.uncovered
    from ...propose import home_points
    xy = home_points(u) if len(u) else np.zeros((0, 2))
    return gpd.GeoDataFrame({
        HOUSEHOLDS: u[HOUSEHOLDS].astype(int).to_numpy(),
        DIST_M: [int(round(d)) if np.isfinite(d) else None for d in u[DIST_M].to_numpy(float)],
        GRID_ID: u[GRID_ID].astype(str).to_numpy(),
    }, geometry=shapely.points(xy), crs=plan.homes.crs)


def isochrone_layer(plan, words: dict, simplify_m: float = SIMPLIFY_M) -> gpd.GeoDataFrame:
    """Each station's walk circle (computed by ``plan.isochrones`` on first use)."""
    iso = plan.isochrones
    if not len(iso):
        return gpd.GeoDataFrame({"station": [], "walk_minutes": []}, geometry=[],
                                crs=plan.homes.crs)
    names = station_names(plan, words)
    keep = ~shapely.is_empty(iso.geometry.values)
    iso = iso[keep]
    return gpd.GeoDataFrame({
        "station": [names[int(i)] for i in iso["station"]],
        "walk_minutes": np.full(len(iso), plan.config.walk_minutes),
    }, geometry=shapely.simplify(iso.geometry.values, simplify_m, preserve_topology=True),
        crs=iso.crs)


def home_rows(plan, precision: int = PRECISION) -> list[list]:
    """One row ``[lat, lon, households, grid ids]`` per residential home (its parts summed),
    for the clustered homes layer."""
    res, xy = _residential_points(plan)
    if not len(res):
        return []
    lon, lat = gpd.GeoSeries(shapely.points(xy), crs=res.crs).to_crs(4326).pipe(
        lambda s: (s.x.to_numpy(), s.y.to_numpy()))
    # per home in order of first appearance: the first part's point, the parts' households
    # summed, their grids once each in order (homes and their points are never missing:
    # the input refuses empty geometries)
    code = pd.factorize(res[HOME_INDEX].to_numpy(), sort=False)[0]
    first = np.unique(code, return_index=True)[1]
    lat, lon = lat[first], lon[first]
    households = np.bincount(code, weights=res[HOUSEHOLDS].to_numpy(int)).astype(np.int64)
    grids_of: list[dict] = [{} for _ in first]
    for c, g in zip(code.tolist(), res[GRID_ID].astype(str).tolist()):
        grids_of[c][g] = None
    grids = ["/".join(gs) for gs in grids_of]
    return [[round(a, precision), round(b, precision), h, g]
            for a, b, h, g in zip(lat.tolist(), lon.tolist(), households.tolist(), grids)]
