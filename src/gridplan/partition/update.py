"""The annual update: keep last year's grid and community ids, move as few homes as possible."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph

from ..columns import COMMUNITY_ID, GRID_ID
from ..errors import InputError
from .bounded import BoundedSplitter


@dataclass
class Update:
    """Grids of this year as unit sets, with the ids they keep or get."""

    parts: list
    grid_ids: list
    community_ids: list
    old_label: np.ndarray      # per unit: index into the old grids, the grid its centre was in
    notes: dict = None         # part index -> why it is still out of range (exact repair)
    weight: np.ndarray = None  # units' households after floor cuts moved (exact repair)


def read_keep(path, crs) -> gpd.GeoDataFrame:
    """Last year's ``grids`` layer (grid_id, community_id, geometry) from a plan.gpkg."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file: expected last year's plan.gpkg", file=path)
    try:
        grids = gpd.read_file(path, layer="grids", engine="pyogrio")
    except Exception as e:
        raise InputError(f"no readable layer 'grids' ({str(e).splitlines()[0]}): expected "
                         f"last year's plan.gpkg", file=path, layer="grids") from None
    for col in (GRID_ID, COMMUNITY_ID):
        if col not in grids.columns:
            raise InputError(f"no '{col}' column: expected a plan.gpkg written by gridplan",
                             file=path, layer="grids")
    if len(grids) == 0:
        raise InputError("no grids: expected last year's grids", file=path, layer="grids")
    if grids.crs is None:
        raise InputError("no CRS: expected a plan.gpkg written by gridplan", file=path,
                         layer="grids")
    return grids[[GRID_ID, COMMUNITY_ID, "geometry"]].to_crs(crs).reset_index(drop=True)


def label_units(old: gpd.GeoDataFrame, uxy: np.ndarray) -> np.ndarray:
    """The old grid each unit centre lies in (the nearest one for a centre outside them all)."""
    pts = shapely.points(uxy)
    tree = shapely.STRtree(old.geometry.values)
    near = tree.query_nearest(pts, return_distance=False, all_matches=False)
    label = np.empty(len(uxy), dtype=np.int64)
    label[near[0]] = near[1]
    return label


def _next_number(existing: list, community: str) -> int:
    nums = [int(m.group(1)) for g in existing
            if (m := re.fullmatch(re.escape(community) + r"-(\d+)", str(g)))]
    return max(nums, default=0) + 1


def update_parts(old: gpd.GeoDataFrame, adj, w: np.ndarray, uxy: np.ndarray, config,
                 loose=None) -> Update:
    """Start from last year's grids, split what fell apart, repair what left the bounds, and
    give each grid the id of the old grid whose households it holds most of."""
    label = label_units(old, uxy)
    parts = []
    for g in np.unique(label):
        nodes = np.flatnonzero(label == g)
        sub = adj[nodes][:, nodes]
        n, lab = csgraph.connected_components(sub, directed=False)
        parts.extend(nodes[lab == i] for i in range(n))
    splitter = BoundedSplitter(adj, w, uxy, config.min_households, config.max_households,
                               repair_time_s=config.repair_time_s, loose=loose,
                               repair_nodes=config.repair_nodes)
    repaired = splitter.repair(parts)
    parts = repaired.parts
    w = repaired.weight

    # ids: each old grid goes to the new part holding most of its households
    score = []
    for pi, p in enumerate(parts):
        share = pd.Series(w[p]).groupby(label[p]).sum()
        score.extend((int(s), pi, int(g)) for g, s in share.items())
    score.sort(reverse=True)
    owner, taken = {}, set()
    for s, pi, g in score:
        if pi in owner or g in taken:
            continue
        owner[pi] = g
        taken.add(g)
    old_ids = old[GRID_ID].astype(str).tolist()
    old_comm = old[COMMUNITY_ID].astype(str).tolist()
    ids, comms, used = [], [], list(old_ids)
    for pi, p in enumerate(parts):
        if pi in owner:
            ids.append(old_ids[owner[pi]])
            comms.append(old_comm[owner[pi]])
            continue
        share = pd.Series(w[p]).groupby(label[p]).sum()
        comm = old_comm[int(share.idxmax())]
        new = f"{comm}-{_next_number(used, comm):02d}"
        used.append(new)
        ids.append(new)
        comms.append(comm)
    return Update(parts=parts, grid_ids=ids, community_ids=comms, old_label=label,
                  notes=repaired.notes, weight=w)
