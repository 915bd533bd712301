"""Walk network, distances to stations, isochrones, station siting and coverage shares."""

from importlib import import_module

#: Each public name and the module it lives in. They load on first use, so the worker
#: processes of siting (``_aside``, ``_local``) do not load geopandas to start.
PUBLIC = {
    "Snap": "_paths", "SitingResult": "siting", "WalkNetwork": "network",
    "build_walk_network": "network", "coverage_sets": "sets",
    "coverage_shares": "measure", "household_share": "measure", "share_figure": "measure",
    "summary_share": "measure",
    "site_from_matrix": "siting", "site_stations": "siting", "snap_to_network": "distance",
    "straight_distances": "distance", "walk_distances": "distance",
    "walk_isochrones": "isochrones",
}
__all__ = sorted(PUBLIC)


def __getattr__(name):
    if name not in PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{PUBLIC[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(PUBLIC))
