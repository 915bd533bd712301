"""Quality of a partition: compactness, size balance and the barriers each grid crosses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .cells import CLASSES, CellGraph

#: Barrier classes worth counting when a grid spans them.
CROSSING_CLASSES = ("local", "secondary", "arterial", "water")


def polsby_popper(geoms: np.ndarray) -> np.ndarray:
    """4πA / P² for each polygon: 1 for a circle, near 0 for a sliver."""
    area = shapely.area(geoms)
    perim = shapely.length(geoms)
    with np.errstate(divide="ignore", invalid="ignore"):
        pp = 4 * np.pi * area / perim**2
    return np.where(perim > 0, pp, np.nan)


def size_cv(households) -> float:
    """Coefficient of variation of part sizes (0 = all equal)."""
    h = np.asarray(households, dtype=float)
    return float(h.std() / h.mean()) if len(h) and h.mean() > 0 else float("nan")


def crossings(graph: CellGraph, cell_group: np.ndarray, n_groups: int) -> pd.DataFrame:
    """Distinct barrier lines crossed inside each group, per class (``crosses_<class>``).

    A line counts for a group when two of the group's adjacent cells lie on either side of it.
    """
    out = pd.DataFrame(0, index=np.arange(n_groups),
                       columns=[f"crosses_{c}" for c in CROSSING_CLASSES])
    if not len(graph.crossed_edge):
        return out
    ga, gb = cell_group[graph.a], cell_group[graph.b]
    internal = ga == gb
    e = graph.crossed_edge
    keep = internal[e]
    df = pd.DataFrame({"group": ga[e[keep]], "line": graph.crossed_line[keep],
                       "cls": np.asarray(CLASSES)[graph.crossed_class[keep]]})
    df = df[df["cls"].isin(CROSSING_CLASSES)].drop_duplicates()
    counts = df.groupby(["group", "cls"]).size().unstack(fill_value=0)
    for c in counts.columns:
        out.loc[counts.index, f"crosses_{c}"] = counts[c].to_numpy()
    return out
