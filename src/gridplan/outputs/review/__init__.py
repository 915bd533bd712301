"""Interactive review: ``review.html`` lets a planner move homes between grids with live
counts and leave comments, offline; ``edits.geojson`` brings the session back, where the
moves that keep the hard rules are applied and the others are reported.

Modules: ``graph`` finds what may move and what touches what, ``page`` writes the page,
``edits`` reads an edits file, ``rules`` checks moves, ``rebuild`` remakes the grids around
them, ``apply`` puts it together (``Plan.apply_edits``).
"""

from .apply import apply_edits
from .edits import Comment, Edits, Move, read_edits
from .graph import ReviewGraph, review_graph
from .page import review_page, write_review

__all__ = ["Comment", "Edits", "Move", "ReviewGraph", "apply_edits",
           "read_edits", "review_graph", "review_page", "write_review"]
