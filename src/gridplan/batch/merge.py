"""One ``plan.gpkg`` and one ``summary.json`` for a whole batch, from its regions' folders."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ..columns import COVERED_15MIN, COVERED_RADIUS, COVERED_RADIUS_WALK, HOUSEHOLDS
from ..coverage.measure import summary_share
from ..partition.columns import IN_RANGE
from ..io.write import atomic_file, plain_columns, write_json
from ..summary import (BatchSummary, BatchTotals, FailedRegion, HouseholdsCheck, RegionRecord,
                       versions)
from .manifest import REGIONS

#: Layers merged from every region, with the id columns that get the region's name in front.
MERGED_LAYERS = {
    "homes": ("grid_id", "community_id", "special_grid_id"),
    "grids": ("grid_id", "community_id"),
    "communities": ("community_id",),
    "special_grids": ("special_grid_id", "community_id"),
    "proposed_stations": (),
}
GEOMETRY_TYPES = {"proposed_stations": "Point"}
#: Merged layers are in lon/lat: the regions of a province may lie in different UTM zones.
MERGED_CRS = "EPSG:4326"


def _region_layer(out: Path, name: str, layer: str) -> gpd.GeoDataFrame | None:
    path = out / REGIONS / name / "plan.gpkg"
    if layer not in [str(n) for n in pyogrio.list_layers(path)[:, 0]]:
        return None
    gdf = pyogrio.read_dataframe(path, layer=layer)
    if not len(gdf):
        return None
    gdf = gdf.to_crs(MERGED_CRS)
    for col in MERGED_LAYERS[layer]:
        if col in gdf.columns:
            local = gdf[col].astype("string")
            gdf[f"local_{col}"] = local
            gdf[col] = (name + ":" + local).where(local.notna() & (local != ""), None)
    gdf = gdf.drop(columns="region", errors="ignore")   # a split file's column: the same name
    gdf.insert(0, "region", name)
    return gdf


def merge_layers(out: Path, names: list[str], path: Path) -> tuple[dict, ...]:
    """Write the regions' layers one after another into ``path`` (a new GeoPackage), each
    row tagged with its ``region`` and ids made unique as ``<region>:<id>`` (the region's
    own id kept in ``local_<id>``).

    Returns
    -------
    rows : dict
        Rows written per layer.
    homes, grids, communities : GeoDataFrame
        The merged layers, for the totals.
    """
    rows, kept = {}, {}
    for layer in MERGED_LAYERS:
        parts = [g for n in names if (g := _region_layer(out, n, layer)) is not None]
        if parts:
            gdf = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=MERGED_CRS)
        else:
            gdf = gpd.GeoDataFrame({"region": pd.Series(dtype="string")},
                                   geometry=gpd.GeoSeries([], crs=MERGED_CRS), crs=MERGED_CRS)
        plain_columns(gdf).to_file(path, layer=layer, driver="GPKG", engine="pyogrio",
                            geometry_type=GEOMETRY_TYPES.get(layer, "Unknown")
                            if not len(gdf) else None)
        rows[layer] = int(len(gdf))
        if layer in ("homes", "grids", "communities"):
            kept[layer] = gdf
    return rows, kept["homes"], kept["grids"], kept["communities"]


def _share(hh: pd.Series, mask: pd.Series) -> float | None:
    return summary_share(hh, mask.astype(bool))  # a merged layer's column may be 0/1


def batch_totals(results: list[RegionRecord], homes, grids, communities) -> BatchTotals:
    """Figures of the whole batch from the merged layers; checks that every household read
    is planned and merged exactly once."""
    done = [r for r in results if r.complete]
    res = homes[homes[HOUSEHOLDS] > 0] if len(homes) else homes
    hh = res[HOUSEHOLDS].astype(float) if len(res) else pd.Series(dtype=float)
    with_walk = {r.name for r in done if r.walk_share is not None}
    walk = res[res["region"].isin(with_walk)] if len(res) else res
    households_input = int(sum(r.households_input for r in done))
    households_planned = int(sum(r.households for r in done))
    households_merged = int(homes[HOUSEHOLDS].sum()) if len(homes) else 0
    return BatchTotals(
        regions=len(results),
        complete=len(done),
        failed=len(results) - len(done),
        households=households_merged,
        homes=int(sum(r.homes for r in done)),
        grids=int(len(grids)),
        grids_within_bounds_share=round(float(grids[IN_RANGE].astype(bool).mean()), 4)
        if len(grids) else None,
        communities=int(len(communities)),
        communities_within_bounds_share=(
            round(float(communities[IN_RANGE].astype(bool).mean()), 4)
            if len(communities) else None),
        straight_share=_share(hh, res[COVERED_RADIUS]) if len(res) else None,
        walk_share=_share(walk[HOUSEHOLDS].astype(float), walk[COVERED_RADIUS_WALK])
        if len(walk) else None,
        walk_15min_share=_share(walk[HOUSEHOLDS].astype(float), walk[COVERED_15MIN])
        if len(walk) else None,
        walk_households=int(walk[HOUSEHOLDS].sum()) if len(walk) else 0,
        uncovered_households=int(sum(r.uncovered_households for r in done)),
        proposed_stations=int(sum(r.proposed_stations for r in done)),
        households_check=HouseholdsCheck(
            input=households_input, planned=households_planned, merged=households_merged,
            ok=households_input == households_planned == households_merged),
    )


def merge_batch(out: Path, results: list[RegionRecord], extra: dict) -> BatchSummary:
    """Write ``out/plan.gpkg`` (complete regions only) and ``out/summary.json``, each through a
    temporary name. Returns the summary (a BatchSummary).

    Parameters
    ----------
    out : Path
        The batch folder.
    results : list of RegionRecord
        One per region, in order, as :func:`gridplan.batch.task.plan_region` returns them.
    extra : dict
        The rest of the summary: config, coords, config_hash, scheduler,
        tasks_done_seconds, region_seconds.
    """
    out = Path(out)
    names = [r.name for r in results if r.complete]
    target = out / "plan.gpkg"
    if names:
        with atomic_file(target, prefix=".plan.", suffix=".gpkg") as tmp:
            rows, homes, grids, communities = merge_layers(out, names, tmp)
    else:
        target.unlink(missing_ok=True)       # an older merge would not match this summary
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in
                              (HOUSEHOLDS, IN_RANGE, COVERED_RADIUS, "region")})
        rows, homes, grids, communities = {}, empty, empty, empty
    summary = BatchSummary(
        totals=batch_totals(results, homes, grids, communities),
        failed=tuple(FailedRegion(name=r.name, input=r.input, error=r.error)
                     for r in results if not r.complete),
        regions=tuple(results),
        merged_layers=rows,
        **extra,
        versions=versions(),
    )
    write_json(summary.to_json(), out / "summary.json", atomic=True)
    return summary
