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
    counts = np.zeros((n_groups, len(CROSSING_CLASSES)), dtype=np.int64)
    if len(graph.crossed_edge):
        ga, gb = cell_group[graph.a], cell_group[graph.b]
        e = graph.crossed_edge
        keep = (ga == gb)[e]
        col = np.full(len(CLASSES), -1)
        col[[CLASSES.index(c) for c in CROSSING_CLASSES]] = np.arange(len(CROSSING_CLASSES))
        group, line, cls = ga[e[keep]], graph.crossed_line[keep], col[graph.crossed_class[keep]]
        counted = cls >= 0
        group, line, cls = group[counted], line[counted], cls[counted]
        # each (group, line, class) once, however many of the group's links cross the line
        c, lines = len(CROSSING_CLASSES), int(line.max(initial=0)) + 1
        key = np.unique((group * lines + line) * c + cls)
        np.add.at(counts, (key // (lines * c), key % c), 1)
    return pd.DataFrame(counts, index=np.arange(n_groups),
                        columns=[f"crosses_{c}" for c in CROSSING_CLASSES])
