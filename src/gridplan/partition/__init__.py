"""Communities and grids: units, their graph, the bounded splitter, quality figures.

Modules: ``divide`` runs the partition of a city (:func:`partition`) and holds its result
(:class:`Partition`); ``units`` makes the units (compounds, buildings, parts), ``cells`` the
Voronoi cells and their graph, ``barriers`` what a boundary crosses, ``bounded`` and ``exact``
cut the graph into parts within bounds, ``special`` groups non-residential buildings,
``update`` keeps last year's ids, ``quality`` measures the result, ``frames`` makes the grid
and community tables (for the partition and for a review's moves).
"""

from .bounded import BoundedSplitter, divisible
from .divide import METHOD, METHOD_UPDATE, Partition, explain_notes, partition, unit_names
from .frames import Tables, dissolve_cells, grid_tables, unresolved_notes

__all__ = ["METHOD", "METHOD_UPDATE", "BoundedSplitter", "Partition", "Tables",
           "dissolve_cells", "divisible", "explain_notes", "grid_tables", "partition",
           "unit_names", "unresolved_notes"]
