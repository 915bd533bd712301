"""The walk network: streets joined where they really meet, as a sparse graph of metres."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

#: Street ends closer than this are one node (coordinates digitised twice, datum rounding).
MERGE_M = 0.1
#: The streets column of OSM node ids, one per vertex (set by :mod:`gridplan.io.osm`).
NODES = "osm_nodes"
_FALSE = {"", "no", "false", "0", "none", "nan"}
_QUERY_CHUNK = 200_000


@dataclass(eq=False)
class WalkNetwork:
    """Streets as an undirected graph of straight segments, lengths in metres.

    Attributes
    ----------
    xy : ndarray of shape (n, 2)
        Node coordinates in the streets' metric CRS.
    csr : scipy.sparse.csr_matrix of shape (n, n)
        Symmetric edge lengths in metres (one entry per direction, no self-loops).
    edges : GeoDataFrame
        One straight two-point LineString per edge, drawn from ``u`` to ``v``, with
        ``u``, ``v`` (node ids), ``length_m``, ``rank`` (of the street it came from),
        ``street`` (index label of that street), ``component`` and ``level`` (0 on the
        ground; see :func:`build_walk_network`).
    seg : ndarray of shape (k, 4)
        ``x0, y0, x1, y1`` of each edge (the same lines as ``edges``), for vectorised snapping.
    component : ndarray of shape (n,)
        Connected component of each node; 0 is the largest. Every component is kept.
    crs : pyproj.CRS or None
    snap_prefer_m : float
        How much farther (metres) a ground-level street of a large component may be than a
        bridge, tunnel, elevated road or fragment and still be the one a point attaches to.
    fragment_m : float
        Components with less street than this (metres) are fragments (never the largest).
    topology : str
        How the streets were joined: ``'osm nodes'``, ``'crossings'`` or ``'shared vertices'``.
    """

    xy: np.ndarray
    csr: sp.csr_matrix
    edges: gpd.GeoDataFrame
    seg: np.ndarray
    component: np.ndarray
    crs: object = None
    snap_prefer_m: float = 100.0
    fragment_m: float = 500.0
    topology: str = "crossings"
    _tree: shapely.STRtree | None = field(default=None, init=False, repr=False)
    _node_tree: cKDTree | None = field(default=None, init=False, repr=False)
    _snap_trees: tuple | None = field(default=None, init=False, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.xy)

    @property
    def n_edges(self) -> int:
        return len(self.seg)

    @property
    def is_empty(self) -> bool:
        """True when there are no streets: walk coverage is then unavailable."""
        return self.n_edges == 0

    @property
    def tree(self) -> shapely.STRtree:
        """An STRtree over the edge lines (built on first use)."""
        if self._tree is None:
            self._tree = shapely.STRtree(np.asarray(self.edges.geometry.values))
        return self._tree

    @property
    def node_tree(self) -> cKDTree:
        """A KD-tree over the node coordinates (built on first use)."""
        if self._node_tree is None:
            self._node_tree = cKDTree(self.xy)
        return self._node_tree

    def preferred(self) -> np.ndarray:
        """Per edge: whether a pedestrian steps onto it from the ground (``level`` 0) and it
        belongs to a large component (at least ``fragment_m`` of street, or the largest)."""
        if self.is_empty:
            return np.zeros(0, bool)
        comp = self.edges["component"].to_numpy()
        street_m = np.bincount(comp, weights=self.seg_length())
        large = street_m >= min(self.fragment_m, street_m.max())
        level = self.edges["level"].to_numpy() if "level" in self.edges else 0.0
        return large[comp] & (level == 0)

    @property
    def snap_trees(self) -> tuple:
        """``(edges, STRtree)`` for the preferred edges and for the others (built on first use)."""
        if self._snap_trees is None:
            pref = self.preferred()
            lines = np.asarray(self.edges.geometry.values)
            self._snap_trees = tuple((idx, shapely.STRtree(lines[idx])) for idx in
                                     (np.flatnonzero(pref), np.flatnonzero(~pref)))
        return self._snap_trees

    def __repr__(self) -> str:
        n_comp = int(self.component.max()) + 1 if len(self.component) else 0
        return (f"WalkNetwork({self.n_nodes:,} nodes, {self.n_edges:,} edges, "
                f"{self.seg_length().sum() / 1000:,.1f} km, {n_comp:,} components)")

    def seg_length(self) -> np.ndarray:
        """Edge lengths in metres, aligned with ``seg`` and ``edges``."""
        return self.edges["length_m"].to_numpy()


def build_walk_network(streets: gpd.GeoDataFrame | None, *, join_crossings: bool | None = None,
                       merge_m: float = MERGE_M, config=None) -> WalkNetwork:
    """Join the streets where they meet and build the walk graph.

    Every vertex of every line becomes a node, so each edge is one straight segment. Which
    lines meet depends on the input:

    - OSM ways (an ``osm_nodes`` column of node ids per vertex, as :func:`gridplan.io.load`
      reads ``.osm`` / ``.pbf`` files) meet only at shared node ids, the rule OSMnx, OSRM
      and Valhalla follow: a bridge or elevated road drawn across a street without a shared
      node does not meet it, whatever its tags.
    - Lines without topology (road centrelines from a GIS) are cut where they cross or
      touch, crossings on the same level only: the ``layer`` column when there is one, else
      +1 for ``bridge`` and -1 for ``tunnel``, else 0. Ends within ``merge_m`` of each other
      become one node; lengths are measured on the unmoved coordinates.

    Parameters
    ----------
    streets : GeoDataFrame or None
        LineStrings / MultiLineStrings in a metric CRS, optionally with ``rank``, level tags
        and ``osm_nodes``.
    join_crossings : bool, optional
        None (default) picks the rule from the input as above. True cuts crossings even
        when node ids are given; False joins lines only at shared node ids, or for lines
        without them at shared vertices.
    merge_m : float
        Ends closer than this (metres) are merged into one node (lines without node ids).
    config : PlanConfig, optional
        ``snap_prefer_m`` and ``snap_fragment_m``: how points attach to the network.

    Returns
    -------
    WalkNetwork
        Empty (no nodes) for an empty or missing streets layer. Streets people may not walk
        (see :func:`walkable`) are left out. ``edges`` carries each edge's ``level``.
    """
    crs = None if streets is None else streets.crs
    prefs = {} if config is None else {"snap_prefer_m": float(config.snap_prefer_m),
                                       "fragment_m": float(config.snap_fragment_m)}
    if streets is not None and len(streets):
        streets = streets[walkable(streets)]
    if streets is None or len(streets) == 0:
        return _empty(crs, prefs)
    has_ids = NODES in streets.columns
    if join_crossings is None:
        join_crossings = not has_ids
    if has_ids and not join_crossings:
        topology = "osm nodes"
        seg, src, u, v = _osm_segments(streets)
        if len(seg) == 0:
            return _empty(crs, prefs)
        xy, u, v = _node_ids(seg, u, v)
    else:
        topology = "crossings" if join_crossings else "shared vertices"
        seg, src = _segments(np.asarray(streets.geometry.values))
        if join_crossings and len(seg):
            seg, src = _cut(seg, src, _levels(streets)[src], merge_m / 2)
        if len(seg) == 0:
            return _empty(crs, prefs)
        xy, u, v = _nodes(seg, merge_m)
    length = np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])

    keep = u != v
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    key = lo.astype(np.int64) * len(xy) + hi
    order = np.lexsort((length, key, ~keep))  # loops last; the shortest of parallel edges first
    first = np.ones(len(order), bool)
    first[1:] = key[order][1:] != key[order][:-1]
    pick = order[first & keep[order]]
    pick.sort()
    seg, src, u, v, length = seg[pick], src[pick], u[pick], v[pick], length[pick]

    used, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    xy, u, v = xy[used], inv[: len(u)], inv[len(u):]
    n = len(xy)
    csr = sp.csr_matrix((np.concatenate([length, length]),
                         (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n))
    _, labels = connected_components(csr, directed=False)
    by_size = np.argsort(-np.bincount(labels), kind="stable")
    relabel = np.empty_like(by_size)
    relabel[by_size] = np.arange(len(by_size))
    component = relabel[labels]

    cols = {"u": u, "v": v, "length_m": length}
    if "rank" in streets.columns:
        cols["rank"] = streets["rank"].to_numpy()[src]
    cols["street"] = streets.index.to_numpy()[src]
    cols["component"] = component[u]
    cols["level"] = _levels(streets)[src]
    edges = gpd.GeoDataFrame(cols, geometry=shapely.linestrings(seg.reshape(-1, 2, 2)), crs=crs)
    return WalkNetwork(xy=xy, csr=csr, edges=edges, seg=seg, component=component, crs=crs,
                       topology=topology, **prefs)


def _osm_segments(streets: gpd.GeoDataFrame):
    """Segments of OSM ways with the node id at each end. A line whose ids do not match its
    vertices (a way cut into parts) falls back to keys by coordinate: it meets the others
    at vertices with the same coordinates."""
    geoms = np.asarray(streets.geometry.values)
    # ids written as text by City.to_gpkg are read back as text
    ids = streets[NODES].map(lambda x: np.array(x.split(), dtype=np.int64)
                             if isinstance(x, str) else x).to_numpy()
    n_ids = np.fromiter((len(x) if isinstance(x, (np.ndarray, list, tuple)) else -1
                         for x in ids), dtype=np.int64, count=len(ids))
    ok = (shapely.get_type_id(geoms) == 1) & (n_ids == shapely.get_num_coordinates(geoms))
    rows = np.flatnonzero(ok)
    coords, idx = shapely.get_coordinates(geoms[rows], return_index=True)
    node = (np.concatenate([np.asarray(x, dtype=np.int64) for x in ids[rows]]) if len(rows)
            else np.zeros(0, np.int64))
    same = idx[1:] == idx[:-1]
    seg = np.hstack([coords[:-1][same], coords[1:][same]])
    src, u, v = rows[idx[:-1][same]], node[:-1][same], node[1:][same]
    rest = np.flatnonzero(~ok)
    if len(rest):
        seg2, src2 = _segments(geoms[rest])
        ends = np.concatenate([seg2[:, :2], seg2[:, 2:]])
        z_id = coords[:, 0] + 1j * coords[:, 1]
        z_id, first = np.unique(z_id, return_index=True)
        z = ends[:, 0] + 1j * ends[:, 1]
        at = np.minimum(np.searchsorted(z_id, z), max(len(z_id) - 1, 0))
        hit = (z_id[at] == z) if len(z_id) else np.zeros(len(z), bool)
        _, fresh = np.unique(z, return_inverse=True)
        # keys below every OSM id: vertices no way shares by id
        key = np.where(hit, node[first[at]] if len(z_id) else 0,
                       min(node.min(initial=0), 0) - 1 - fresh.reshape(-1))
        k = len(seg2)
        seg = np.concatenate([seg, seg2])
        src = np.concatenate([src, rest[src2]])
        u, v = np.concatenate([u, key[:k]]), np.concatenate([v, key[k:]])
    return seg, src, u, v


def _node_ids(seg, u, v):
    """Node coordinates and each segment's end nodes, one node per node id."""
    keys, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    ends = np.concatenate([seg[:, :2], seg[:, 2:]])
    xy = np.zeros((len(keys), 2))
    xy[inv] = ends
    k = len(seg)
    return xy, inv[:k], inv[k:]


def _empty(crs, prefs) -> WalkNetwork:
    edges = gpd.GeoDataFrame(
        {"u": pd.Series(dtype="int64"), "v": pd.Series(dtype="int64"),
         "length_m": pd.Series(dtype=float), "rank": pd.Series(dtype=object),
         "street": pd.Series(dtype="int64"), "component": pd.Series(dtype="int64"),
         "level": pd.Series(dtype=float)},
        geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    return WalkNetwork(xy=np.zeros((0, 2)), csr=sp.csr_matrix((0, 0)), edges=edges,
                       seg=np.zeros((0, 4)), component=np.zeros(0, dtype=np.int64), crs=crs,
                       **prefs)


def _segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every two-point segment of the lines (polygon rings count as lines), with its row."""
    is_poly = np.isin(shapely.get_type_id(geoms), [3, 6])
    if is_poly.any():
        geoms = geoms.copy()
        geoms[is_poly] = shapely.boundary(geoms[is_poly])
    parts, row = shapely.get_parts(geoms, return_index=True)
    lines = np.isin(shapely.get_type_id(parts), [1, 2])
    parts, row = parts[lines], row[lines]
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[1:] == idx[:-1]
    seg = np.hstack([coords[:-1][same], coords[1:][same]])
    src = row[idx[:-1][same]]
    moves = (seg[:, 0] != seg[:, 2]) | (seg[:, 1] != seg[:, 3])
    return seg[moves], src[moves]


def _tag(streets: gpd.GeoDataFrame, col: str) -> pd.Series:
    """An OSM tag column as stripped lower-case text ('' where missing)."""
    if col not in streets.columns:
        return pd.Series("", index=streets.index)
    s = streets[col]
    return s.where(s.notna(), "").astype(str).str.strip().str.lower()


def walkable(streets: gpd.GeoDataFrame) -> np.ndarray:
    """Which streets people may walk along: not motorways, not ``foot=no``, not
    ``motorroad=yes`` (elevated expressways, 快速路) or ``access=no|private`` unless foot is
    allowed explicitly. Streets without these OSM tags are walkable."""
    foot = _tag(streets, "foot")
    allowed = foot.isin(["yes", "designated", "permissive", "official"])
    barred = (_tag(streets, "highway").isin(["motorway", "motorway_link"])
              | (foot == "no") | (_tag(streets, "motorroad") == "yes")
              | _tag(streets, "access").isin(["no", "private"]))
    return (~barred | allowed).to_numpy()


def _levels(streets: gpd.GeoDataFrame) -> np.ndarray:
    """The level of each street: ``layer`` where given, else +1 bridge / -1 tunnel, else 0."""
    level = np.zeros(len(streets))
    for col, sign in (("bridge", 1.0), ("tunnel", -1.0)):
        # a passage through a building is at street level
        flag = ~_tag(streets, col).isin(_FALSE | {"building_passage"})
        level = np.where(flag.to_numpy(), sign, level)
    if "layer" in streets.columns:
        layer = pd.to_numeric(streets["layer"], errors="coerce").to_numpy(float)
        level = np.where(np.isfinite(layer), layer, level)
    return level


def _on_interior(p, a, b, tol):
    """Whether point p lies within tol of segment a-b away from its ends, and its parameter t."""
    d = b - a
    length2 = (d * d).sum(1)
    t = ((p - a) * d).sum(1) / length2
    off = p - (a + t[:, None] * d)
    length = np.sqrt(length2)
    ok = (np.hypot(off[:, 0], off[:, 1]) <= tol) & (t * length > tol) & ((1 - t) * length > tol)
    return ok, t


def _cross(p, q):
    return p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0]


def _cut(seg, src, level, tol):
    """Cut segments where another one crosses them (same level) or ends on them (any level)."""
    lo = np.minimum(seg[:, :2], seg[:, 2:]) - tol
    hi = np.maximum(seg[:, :2], seg[:, 2:]) + tol
    boxes = shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1])
    tree = shapely.STRtree(boxes)
    cut_seg, cut_t, cut_xy = [], [], []

    def add(s, t, xy):
        cut_seg.append(s)
        cut_t.append(t)
        cut_xy.append(xy)

    for start in range(0, len(seg), _QUERY_CHUNK):
        qi, j = tree.query(boxes[start:start + _QUERY_CHUNK])
        i = qi + start
        m = i < j
        i, j = i[m], j[m]
        a, b, c, d = seg[i, :2], seg[i, 2:], seg[j, :2], seg[j, 2:]
        touch = np.zeros(len(i), bool)
        for p, (s, x0, x1) in ((c, (i, a, b)), (d, (i, a, b)), (a, (j, c, d)), (b, (j, c, d))):
            ok, t = _on_interior(p, x0, x1, tol)
            add(s[ok], t[ok], p[ok])
            touch |= ok
        same = (level[src[i]] == level[src[j]]) & ~touch
        ab, cd = b - a, d - c
        o1, o2 = _cross(ab, c - a), _cross(ab, d - a)
        o3, o4 = _cross(cd, a - c), _cross(cd, b - c)
        x = same & (o1 * o2 < 0) & (o3 * o4 < 0)
        denom = _cross(ab[x], cd[x])
        t = _cross(c[x] - a[x], cd[x]) / denom
        s = _cross(c[x] - a[x], ab[x]) / denom
        p = a[x] + t[:, None] * ab[x]
        add(i[x], t, p)
        add(j[x], s, p)

    k = len(seg)
    sid = np.concatenate([np.arange(k), np.arange(k), *cut_seg])
    tt = np.concatenate([np.zeros(k), np.ones(k), *cut_t])
    pts = np.concatenate([seg[:, :2], seg[:, 2:], *cut_xy])
    order = np.lexsort((tt, sid))
    sid, pts = sid[order], pts[order]
    same = sid[1:] == sid[:-1]
    pieces = np.hstack([pts[:-1][same], pts[1:][same]])
    return pieces, src[sid[:-1][same]]


def _nodes(seg, merge_m):
    """Node coordinates and each segment's end nodes, merging ends within merge_m."""
    k = len(seg)
    ends = np.concatenate([seg[:, :2], seg[:, 2:]])
    uniq, inv = np.unique(ends[:, 0] + 1j * ends[:, 1], return_inverse=True)
    pts = np.column_stack([uniq.real, uniq.imag])
    pairs = cKDTree(pts).query_pairs(merge_m, output_type="ndarray")
    if len(pairs):
        g = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])),
                          shape=(len(pts), len(pts)))
        _, label = connected_components(g, directed=False)
        _, first = np.unique(label, return_index=True)
        pts, inv = pts[first], label[inv]
    inv = inv.reshape(-1)
    return pts, inv[:k], inv[k:]
