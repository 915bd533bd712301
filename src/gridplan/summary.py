"""summary.json's figures of a plan, as a plain dict."""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from .coverage.measure import household_share, share_figure
from .io.write import output_crs

PACKAGES = ("gridplan", "geopandas", "shapely", "pyproj", "pyogrio", "osmnx", "pyrosm", "momepy",
            "scipy", "numpy", "pandas", "scikit-learn", "folium")


@functools.lru_cache(maxsize=1)
def _installed() -> tuple:
    out = []
    for p in PACKAGES:
        try:
            out.append((p, version(p)))
        except PackageNotFoundError:
            out.append((p, None))
    return tuple(out)


def versions() -> dict:
    """The versions of gridplan and the libraries behind its figures (None: not installed),
    read once per process."""
    return dict(_installed())


def _share(mask, weight) -> float | None:
    return share_figure(household_share(weight, mask))


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
    out = {
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
    if plan.edits is not None:      # a plan with a review's edits applied says what they were
        out["edits"] = plan.edits
    return out


def _output_crs_name(plan) -> str | None:
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
