"""The review map of a plan (``Plan.map()``); built by :mod:`gridplan.review_map`."""

from __future__ import annotations

from .review_map import plan_map

__all__ = ["plan_map"]
