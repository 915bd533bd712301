"""Walk network, distances to stations, isochrones, station siting and coverage shares."""

from ._paths import Snap
from .distance import snap_to_network, straight_distances, walk_distances
from .isochrones import walk_isochrones
from .measure import coverage_shares, household_share, share_figure
from .network import WalkNetwork, build_walk_network
from .siting import SitingResult, site_from_matrix, site_stations
from .sets import coverage_sets

__all__ = ["Snap", "SitingResult", "WalkNetwork", "build_walk_network", "coverage_sets",
           "coverage_shares", "household_share", "share_figure", "site_from_matrix",
           "site_stations", "snap_to_network", "straight_distances", "walk_distances",
           "walk_isochrones"]
