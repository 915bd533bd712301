"""The files of a plan (plan.gpkg, summary.json, map.html, tables, review page), written
together into one folder, atomically."""

from __future__ import annotations

from pathlib import Path

from .tables import plan_layers, write_geojson, write_tables
from ..io.write import output_crs, write_gpkg, write_json
from .folder import atomic_folder


def write_layers(plan, path: Path) -> None:
    """The layers of ``plan`` (:func:`gridplan.outputs.tables.plan_layers`) as the GeoPackage
    ``path``, in the output CRS."""
    write_gpkg(plan_layers(plan), path, plan.city.crs, output_crs(plan.city, plan.config))


def write_plan(plan, out, *, map_options: dict | None = None, tables: bool = False,
               geojson: bool = False, review: bool = False, force: bool = False,
               inputs=()) -> Path:
    """Write plan.gpkg, summary.json and map.html into ``out`` through a temporary folder,
    so ``out`` is never left half-written; with ``tables`` also grids.csv and
    communities.csv, with ``geojson`` also ``geojson/<layer>.geojson`` (WGS84), with
    ``review`` also ``review.html`` (:func:`gridplan.outputs.review.write_review`).

    ``map_options`` go to :func:`gridplan.outputs.map.plan_map` (lang, basemap, cdn, …).
    ``out`` must be new, empty or gridplan's own; ``force`` writes beside other files,
    replacing only gridplan's (see :func:`gridplan.outputs.folder.atomic_folder`); ``inputs`` are
    never replaced.
    """
    from .map import plan_map        # folium: loaded when a map is written
    with atomic_folder(out, force=force, inputs=inputs) as tmp:
        write_layers(plan, tmp / "plan.gpkg")
        write_json(plan.summary.to_json(), tmp / "summary.json")
        plan_map(plan, **(map_options or {})).save(str(tmp / "map.html"))
        if tables:
            write_tables(plan, tmp)
        if geojson:
            write_geojson(plan, tmp / "geojson")
        if review:
            from .review import write_review
            opts = map_options or {}
            write_review(plan, tmp / "review.html", lang=opts.get("lang", "zh"),
                         basemap=opts.get("basemap", "osm"),
                         tianditu_key=opts.get("tianditu_key"))
    return Path(out)
