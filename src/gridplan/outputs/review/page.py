"""``review.html``: one self-contained page (Leaflet and the data inlined, no network) where a
planner selects grids, moves homes between them with live counts, and leaves comments."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ...columns import (COMMUNITY_ID, COMPOUND, COVERED_15MIN, COVERED_RADIUS, HOME_INDEX,
                        HOUSEHOLDS, NAME, PART, WALK_M)
from ...partition import dissolve_cells
from ..map import basemaps as B
from ..map.assets import LIBRARIES, OWN_CSS as MAP_CSS, OWN_JS as MAP_JS, \
    inline_script, library_tags, static_text
from ..map.ground import NO_GRID, ground_data
from ..map.layers import simplify_coverage
from .graph import ReviewGraph, review_graph
from ..words import map_labels, page_words

#: Polygon simplification for display, metres (grids and cells as one coverage each).
SIMPLIFY_M = 1.0
#: Decimal places of lon/lat in the page: 6 is about 0.1 m.
PRECISION = 6
#: Fills that tell neighbouring grids apart (ColorBrewer Set3, reds left out: red means
#: out of range).
PALETTE = ("#8dd3c7", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
           "#d9d9d9", "#bc80bd", "#ccebc5")
#: The vendored Leaflet the review map uses (see ``gridplan/static/README.md``), and the
#: page's own script and style.
LEAFLET = next(lib for lib in LIBRARIES if lib.name == "leaflet")
OWN_CSS = "review/review.css"
#: The page's own scripts, inlined in this order (each uses those before it): the rules and
#: the session need no browser (tests run them in a bare JavaScript engine).
OWN_JS = ("review/rules.js", "review/state.js", "review/files.js", "review/map.js",
          "review/ui.js")

def _display(geoms, crs, precision: int) -> list:
    """Shapes as GeoJSON geometry dicts in WGS84, rounded to ``precision`` decimals."""
    s = gpd.GeoSeries(list(geoms), crs=crs).to_crs(4326)
    rounded = shapely.transform(np.asarray(s.values), lambda xy: np.round(xy, precision))
    return [json.loads(shapely.to_geojson(g)) for g in rounded]


def _colours(graph: ReviewGraph) -> list[str]:
    """A fill per grid, different from each neighbour's where the palette allows (greedy,
    largest neighbourhoods first)."""
    g = graph.rows["grid"].to_numpy()
    ga, gb = g[graph.pairs["a"].to_numpy()], g[graph.pairs["b"].to_numpy()]
    n = len(graph.grid_ids)
    near = [set() for _ in range(n)]
    for a, b in zip(ga, gb):
        if a != b:
            near[a].add(b)
            near[b].add(a)
    colour = [-1] * n
    for i in sorted(range(n), key=lambda i: -len(near[i])):
        used = {colour[j] for j in near[i]}
        free = [c for c in range(len(PALETTE)) if c not in used]
        colour[i] = free[0] if free else i % len(PALETTE)
    return [PALETTE[c] for c in colour]


def review_data(plan, *, lang: str = "zh", basemap: str = "osm",
                tianditu_key: str | None = None, ground: bool = True,
                simplify_m: float = SIMPLIFY_M, precision: int = PRECISION) -> dict:
    """What ``review.html`` carries: grids, movable homes with their cells and neighbours,
    the range and the words.

    Parameters
    ----------
    plan : Plan
    lang : {'zh', 'en'}
    basemap : {'osm', 'amap', 'tianditu'}
        The basemap shown first, as on the review map (on AMap every overlay is shifted to
        GCJ-02); the others stay selectable.
    tianditu_key : str, optional
        Tianditu key; default the ``GRIDPLAN_TIANDITU_KEY`` environment variable.
    ground : bool
        Carry the review map's streets, water and rail, and buildings.
    simplify_m : float
        Simplification of grid and cell outlines for display, metres.
    precision : int
        Decimal places of lon/lat.

    Returns
    -------
    dict
        ``meta``, ``words``, ``grids`` (id, community, colour, label point, shape), ``units``
        (columns per movable home or part: home_index, part, households, grid, lon, lat,
        area_m2, perimeter_m, radius / walk coverage flags, compound, group, name),
        ``cells`` (one shape per unit), ``pairs`` (a, b, shared_m), ``bases`` (basemaps,
        :func:`gridplan.outputs.map.basemaps.basemap_specs`), ``ground``
        (:func:`gridplan.outputs.map.ground.ground_data`, or None) and ``map_words`` (the
        names of those layers).
    """
    cfg = plan.config
    w = page_words(lang)
    key = B.tianditu_key(tianditu_key)
    B.check_basemap(basemap, key)
    mw = map_labels(lang)
    graph = review_graph(plan)
    rows, crs = graph.rows, plan.city.crs
    homes = plan.homes.iloc[rows["homes_row"].to_numpy()]
    grids = plan.grids
    grid_shapes = simplify_coverage(grids.geometry.values, simplify_m)
    label = shapely.point_on_surface(np.asarray(grids.geometry.values))
    unit_cells = simplify_coverage(
        dissolve_cells(np.asarray(plan.partition.cells.geometry.values), graph.cell_row, len(rows)),
        simplify_m)
    pts = gpd.GeoSeries(shapely.points(rows["x"], rows["y"]), crs=crs).to_crs(4326)
    lab = gpd.GeoSeries(label, crs=crs).to_crs(4326)
    walk = bool(np.isfinite(plan.homes[WALK_M]).any()) if WALK_M in plan.homes else False
    name = homes[NAME] if NAME in homes.columns else None

    def text(v):
        return None if v is None or (isinstance(v, float) and np.isnan(v)) or v == "" else str(v)

    return {
        "meta": {"key": graph.key, "source": plan.city.source or "", "lang": lang,
                 "lo": cfg.min_households, "hi": cfg.max_households,
                 "radius_m": cfg.radius_m, "walk_minutes": cfg.walk_minutes, "walk": walk,
                 "households": int(rows[HOUSEHOLDS].sum())},
        "words": w,
        "grids": {
            "id": graph.grid_ids.tolist(),
            "community": grids[COMMUNITY_ID].astype(str).tolist(),
            "colour": _colours(graph),
            "label": np.round(np.column_stack([lab.x, lab.y]), precision).tolist(),
            "shape": _display(grid_shapes, crs, precision),
        },
        "units": {
            "home_index": rows[HOME_INDEX].tolist(),
            "part": rows[PART].tolist(),
            "households": rows[HOUSEHOLDS].tolist(),
            "grid": rows["grid"].tolist(),
            "lon": np.round(pts.x.to_numpy(), precision).tolist(),
            "lat": np.round(pts.y.to_numpy(), precision).tolist(),
            "area_m2": np.round(rows["area_m2"].to_numpy(), 2).tolist(),
            "perimeter_m": np.round(rows["perimeter_m"].to_numpy(), 3).tolist(),
            "radius": homes[COVERED_RADIUS].astype(bool).astype(int).tolist(),
            "walk": homes[COVERED_15MIN].astype(bool).astype(int).tolist(),
            "compound": [text(c) for c in rows[COMPOUND]],
            "group": graph.group.tolist(),
            "name": [text(v) for v in name] if name is not None else [None] * len(rows),
        },
        "cells": _display(unit_cells, crs, precision),
        "pairs": {"a": graph.pairs["a"].tolist(), "b": graph.pairs["b"].tolist(),
                  "shared_m": np.round(graph.pairs["shared_m"].to_numpy(), 3).tolist()},
        "bases": B.basemap_specs(mw, shown=basemap, lang=lang, key=key),
        "ground": ground_data(plan) if ground else None,
        "map_words": {k: mw[k] for k in ("streets", "water", "buildings")},
        "no_grid": NO_GRID,
    }


def review_page(plan, *, lang: str = "zh", basemap: str = "osm",
                tianditu_key: str | None = None, ground: bool = True,
                simplify_m: float = SIMPLIFY_M, precision: int = PRECISION) -> str:
    """``review.html`` of a plan as text: Leaflet, the script, the style and the data inlined,
    so the one file works with no network (basemap tiles are optional).

    In the page a planner selects a grid (households, homes, compactness, coverage, its
    neighbours highlighted), moves a home or building part to a neighbouring grid (both
    counts update at once, red outside the range; a move that would split the grid it leaves,
    or go to a grid it does not touch, is refused; a compound that fits in one grid moves
    whole), comments on grids and homes, and exports the session as ``edits.geojson`` (or
    imports one to continue). :func:`gridplan.outputs.review.apply_edits` brings it back.

    Parameters
    ----------
    plan : Plan
    lang : {'zh', 'en'}
    basemap, tianditu_key, ground, simplify_m, precision
        See :func:`review_data`.

    Returns
    -------
    str

    Raises
    ------
    InputError
        For an unknown ``lang`` or ``basemap``, or Tianditu without a key.
    """
    data = review_data(plan, lang=lang, basemap=basemap, tianditu_key=tianditu_key,
                       ground=ground, simplify_m=simplify_m, precision=precision)
    # "<" as an escape, so no name or comment in the data can end the script element
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    w = data["words"]
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(w['title'])}</title>",
        *library_tags(LEAFLET),
        f"<style>\n{static_text(MAP_CSS)}\n{static_text(OWN_CSS)}\n</style>",
        "</head>",
        "<body>",
        '<div id="gp-map"></div>',
        '<aside id="gp-side"></aside>',
        f'<script type="application/json" id="gp-data">{blob}</script>',
        # the review map's script: base layers, ground layers and the GCJ-02 shift
        inline_script(static_text(MAP_JS)),
        # the page's own, its files in one element, each headed by its name
        inline_script("\n".join(f"/* {path} */\n{static_text(path)}" for path in OWN_JS)),
        "</body>",
        "</html>",
    ])


def write_review(plan, path, *, lang: str = "zh", **options) -> Path:
    """Write ``review.html`` of ``plan`` to ``path`` (see :func:`review_page`)."""
    path = Path(path)
    path.write_text(review_page(plan, lang=lang, **options), encoding="utf-8")
    return path
