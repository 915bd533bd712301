"""summary.json and the files of a plan, written atomically."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .outfolder import atomic_folder  # noqa: F401  (where it has always been imported from)

PACKAGES = ("gridplan", "geopandas", "shapely", "pyproj", "pyogrio", "osmnx", "pyrosm", "momepy",
            "scipy", "numpy", "pandas", "scikit-learn", "folium")


def versions() -> dict:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = None
    return out


def _share(mask, weight) -> float | None:
    w = np.asarray(weight, dtype=float)
    m = np.asarray(mask, dtype=bool)
    return round(float(w[m].sum() / w.sum()), 4) if w.sum() > 0 else None


def summarize(plan) -> dict:
    """The figures of a plan as a plain dict (the contents of ``summary.json``)."""
    from .partition.quality import size_cv
    cfg = plan.config
    g, c, h = plan.grids, plan.communities, plan.homes
    res = h[h["households"] > 0]
    w = res["households"]
    has_walk = bool(np.isfinite(res["walk_m"]).any()) if len(res) else False
    cross = {col.replace("crosses_", ""): int((g[col] > 0).sum())
             for col in g.columns if col.startswith("crosses_")}
    return {
        "source": plan.city.source,
        "crs": plan.city.crs.to_string() if plan.city.crs else None,
        "output_crs": _output_crs_name(plan),
        "households": int(h["households"].sum()),
        "homes": int(h["home_index"].nunique()),
        "homes_split_into_parts": int((h["part"] > 0).groupby(h["home_index"]).any().sum()),
        "grids": {
            "count": int(len(g)),
            "households_min": int(g["households"].min()),
            "households_max": int(g["households"].max()),
            "households_mean": round(float(g["households"].mean()), 1),
            "households_cv": round(size_cv(g["households"]), 4),
            "within_bounds_share": round(float(g["in_range"].mean()), 4),
            "bounds": [cfg.min_households, cfg.max_households],
            "polsby_popper_mean": round(float(g["polsby_popper"].mean()), 4),
            "grids_crossing": cross,
            "unresolved": plan.partition.unresolved["grids"],
            "compounds_cut": plan.partition.compound_cuts,
            "moved": plan.partition.moved,
            "method": plan.partition.method,
        },
        "special_grids": {"count": int(len(plan.special_grids)),
                          "units": int(plan.special_grids["units"].sum())
                          if len(plan.special_grids) else 0},
        "communities": {
            "count": int(len(c)),
            "households_min": int(c["households"].min()),
            "households_max": int(c["households"].max()),
            "within_bounds_share": round(float(c["in_range"].mean()), 4),
            "bounds": [cfg.community_min, cfg.community_max],
            "unresolved": plan.partition.unresolved["communities"],
        },
        "coverage": {
            "stations": int(len(plan.stations)),
            "radius_m": cfg.radius_m,
            "straight_share": _share(res["covered_radius"], w),
            "walk_share": _share(res["covered_radius_walk"], w) if has_walk else None,
            # why walks are missing: the map and the command say which input was lacking
            "walk_not_measured": None if has_walk else (
                "no stations" if not len(plan.stations) else
                "no streets" if plan.coverage.network is None else "no home near a street"),
            "walk_15min_m": round(cfg.walk_m, 1),
            "walk_15min_share": _share(res["covered_15min"], w) if has_walk else None,
            "grids_without_station_in_reach": int((~g["station_in_reach"]).sum()),
            "uncovered_households": int(w[~res["covered_radius"]].sum()),
            **_unsnapped(plan),
            "method": plan.coverage.method,
        },
        "siting": plan.siting,
        "staffing": {
            "grid_workers": int(len(g)),
            "community_workers": [int(np.ceil(h["households"].sum() / 400)),
                                  int(np.ceil(h["households"].sum() / 300))],
        },
        "input": {"repaired_geometries": int(plan.city.repaired_geometries),
                  "households_estimated": int((plan.city.homes["households_source"]
                                               == "estimated").sum())},
        "config": plan.config.to_dict(),
        "versions": versions(),
        "seconds": plan.seconds,
    }


def _output_crs_name(plan) -> str | None:
    from .export import output_crs
    crs = output_crs(plan.city, plan.config)
    return None if crs is None else crs.to_string()
def _unsnapped(plan) -> dict:
    """Homes farther than ``snap_max_m`` from every street (no walk distance); None when
    there are no streets."""
    if plan.coverage.access_m is None:
        return {"unsnapped_homes": None, "unsnapped_households": None}
    u = plan.unsnapped
    return {"unsnapped_homes": int(u["home_index"].nunique()),
            "unsnapped_households": int(u["households"].sum())}


def _plain(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns QGIS reads: no lists, dicts or mixed objects; booleans and numbers kept."""
    gdf = gdf.copy()
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        s = gdf[col]
        if s.dtype == object or str(s.dtype).startswith(("string", "str")):
            gdf[col] = s.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                             else (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict))
                                   else str(v)))
    return gdf


def write_layers(plan, path: Path) -> None:
    from .export import output_crs, plan_layers
    write_gpkg(plan_layers(plan), path, plan.city.crs, output_crs(plan.city, plan.config))


def write_gpkg(layers: dict, path: Path, crs, out_crs=None) -> None:
    """Each GeoDataFrame of ``layers`` as a GeoPackage layer QGIS opens (CRS set, plain
    column types), in ``out_crs`` when given."""
    for name, gdf in layers.items():
        if gdf.crs is None:
            gdf = gdf.set_crs(crs)
        if out_crs is not None and not gdf.crs.equals(out_crs):
            gdf = gdf.to_crs(out_crs)
        _plain(gdf).to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def write_json(data: dict, path: Path) -> None:
    """``data`` as indented UTF-8 JSON (numpy numbers as plain ones, NaN as null)."""
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default),
                          encoding="utf-8")


def write_plan(plan, out, *, map_options: dict | None = None, tables: bool = False,
               geojson: bool = False, review: bool = False, force: bool = False,
               inputs=()) -> Path:
    """Write plan.gpkg, summary.json and map.html into ``out`` through a temporary folder,
    so ``out`` is never left half-written; with ``tables`` also grids.csv and
    communities.csv, with ``geojson`` also ``geojson/<layer>.geojson`` (WGS84), with
    ``review`` also ``review.html`` (:func:`gridplan.review_edit.write_review`).

    ``map_options`` go to :func:`gridplan.review_map.plan_map` (lang, basemap, cdn, …).
    ``out`` must be new, empty or gridplan's own; ``force`` writes beside other files,
    replacing only gridplan's (see :func:`gridplan.outfolder.atomic_folder`); ``inputs`` are
    never replaced.
    """
    from .export import write_geojson, write_tables
    with atomic_folder(out, force=force, inputs=inputs) as tmp:
        write_layers(plan, tmp / "plan.gpkg")
        write_json(plan.summary, tmp / "summary.json")
        plan.map(**(map_options or {})).save(str(tmp / "map.html"))
        if tables:
            write_tables(plan, tmp)
        if geojson:
            write_geojson(plan, tmp / "geojson")
        if review:
            from .review_edit import write_review
            opts = map_options or {}
            write_review(plan, tmp / "review.html", lang=opts.get("lang", "zh"),
                         basemap=opts.get("basemap", "osm"),
                         tianditu_key=opts.get("tianditu_key"))
    return Path(out)


def _json_default(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (np.ndarray, pd.Series)):
        return v.tolist()
    return str(v)
