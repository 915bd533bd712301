"""The review map of a plan: a layered folium page that works offline, lines up on Chinese
basemaps, and quotes the plan's figures.

Modules: ``build`` assembles the map, ``layers`` prepares each layer's data for display,
``panels`` writes the legend and summary, ``basemaps`` offers the tiles and their datums,
``ground`` gives the streets, water and buildings both review pages draw,
``assets`` inlines the vendored Leaflet; the words come from :mod:`gridplan.outputs.words`.
"""

from .basemaps import BASEMAPS, TIANDITU_KEY_ENV
from .build import DEFAULT_BASEMAP, DEFAULT_LANG, plan_map
from ..words import LANGS

__all__ = ["BASEMAPS", "DEFAULT_BASEMAP", "DEFAULT_LANG", "LANGS", "TIANDITU_KEY_ENV",
           "plan_map"]
