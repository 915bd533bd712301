"""Basemaps of the review map and the datum each one is drawn in.

OpenStreetMap and Tianditu tiles are in WGS84 terms (Tianditu uses CGCS2000, which agrees
with WGS84 to within centimetres), so overlays sit on them as they are. AMap (Gaode) tiles
are drawn in GCJ-02, 300–600 m off in China; the page shifts every overlay to GCJ-02 while an
AMap basemap is shown (see ``static/gridplan/review_map.js``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import folium
import xyzservices.providers as xyz

from ..errors import InputError

BASEMAPS = ("osm", "amap", "tianditu")
#: Environment variable that holds a Tianditu key (``tk``); Tianditu serves no tiles without one.
TIANDITU_KEY_ENV = "GRIDPLAN_TIANDITU_KEY"

_AMAP_URL = ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=7"
             "&x={x}&y={y}&z={z}")
_AMAP_ATTR = '&copy; <a href="https://www.amap.com/">AMap / Gaode</a>'
# Web-Mercator ("_w") WMTS tiles: the vector base and its annotation (Chinese cva, English eva).
_TIANDITU_URL = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                 "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                 "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")
_TIANDITU_ATTR = '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>'


@dataclass(frozen=True)
class Basemap:
    """One selectable basemap: its folium layer, whether it is drawn in GCJ-02, and its key."""

    key: str
    layer: folium.map.Layer
    gcj02: bool


def check_basemap(basemap: str, tianditu_key: str | None) -> str:
    """``basemap`` itself when the map can show it.

    Raises
    ------
    InputError
        For an unknown basemap, or Tianditu without a key.
    """
    if basemap not in BASEMAPS:
        raise InputError(f"basemap = {basemap!r}: expected one of " + ", ".join(BASEMAPS))
    if basemap == "tianditu" and not tianditu_key:
        raise InputError(f"basemap = 'tianditu' needs a Tianditu key: set the environment "
                         f"variable {TIANDITU_KEY_ENV} to one")
    return basemap


def tianditu_key(given: str | None = None) -> str | None:
    """The Tianditu key: ``given``, else the ``GRIDPLAN_TIANDITU_KEY`` environment variable."""
    return given or os.environ.get(TIANDITU_KEY_ENV) or None


def basemaps(words: dict, *, shown: str, lang: str, key: str | None) -> list[Basemap]:
    """The base layers to offer, ``shown`` switched on; Tianditu only when there is a key.

    Parameters
    ----------
    words : dict
        Labels from :func:`gridplan.review_map.labels.labels`.
    shown : {'osm', 'amap', 'tianditu'}
    lang : {'zh', 'en'}
        Tianditu's annotation layer follows it.
    key : str or None
        Tianditu key.

    Returns
    -------
    list of Basemap
    """
    osm = xyz.OpenStreetMap.Mapnik
    out = [
        Basemap("osm", folium.TileLayer(osm.build_url(), attr=osm.html_attribution,
                                        name=words["base_osm"], max_zoom=19,
                                        show=shown == "osm"), gcj02=False),
        Basemap("amap", folium.TileLayer(_AMAP_URL, attr=_AMAP_ATTR, name=words["base_amap"],
                                         subdomains="1234", max_zoom=18,
                                         show=shown == "amap"), gcj02=True),
    ]
    if key:
        group = folium.FeatureGroup(name=words["base_tianditu"], overlay=False,
                                    show=shown == "tianditu")
        for layer in ("vec", "cva" if lang == "zh" else "eva"):
            folium.TileLayer(_TIANDITU_URL.format(layer=layer, key=key), attr=_TIANDITU_ATTR,
                             name=f"tianditu_{layer}", subdomains="01234567", max_zoom=18,
                             control=False).add_to(group)
        out.append(Basemap("tianditu", group, gcj02=False))
    return out
