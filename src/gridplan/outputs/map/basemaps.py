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

from ...errors import InputError

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


def basemap_specs(words: dict, *, shown: str, lang: str, key: str | None) -> list[dict]:
    """The base layers to offer as plain data (what both review pages build their tile
    layers from), ``shown`` switched on; Tianditu only when there is a key.

    Parameters
    ----------
    words : dict
        Labels from :func:`gridplan.outputs.words.map_labels`.
    shown : {'osm', 'amap', 'tianditu'}
    lang : {'zh', 'en'}
        Tianditu's annotation layer follows it.
    key : str or None
        Tianditu key.

    Returns
    -------
    list of dict
        ``key``, ``name``, ``gcj02``, ``show`` and either ``url``, ``attr``, ``subdomains``,
        ``max_zoom`` or ``parts`` (a list of such tile layers shown together).
    """
    osm = xyz.OpenStreetMap.Mapnik
    out = [
        {"key": "osm", "name": words["base_osm"], "url": osm.build_url(),
         "attr": osm.html_attribution, "subdomains": "abc", "max_zoom": 19, "gcj02": False},
        {"key": "amap", "name": words["base_amap"], "url": _AMAP_URL, "attr": _AMAP_ATTR,
         "subdomains": "1234", "max_zoom": 18, "gcj02": True},
    ]
    if key:
        out.append({"key": "tianditu", "name": words["base_tianditu"], "gcj02": False,
                    "parts": [{"url": _TIANDITU_URL.format(layer=layer, key=key),
                               "attr": _TIANDITU_ATTR, "subdomains": "01234567",
                               "max_zoom": 18, "name": f"tianditu_{layer}"}
                              for layer in ("vec", "cva" if lang == "zh" else "eva")]})
    for s in out:
        s["show"] = s["key"] == shown
    return out


def basemaps(words: dict, *, shown: str, lang: str, key: str | None) -> list[Basemap]:
    """The base layers to offer as folium layers (see :func:`basemap_specs`).

    Returns
    -------
    list of Basemap
    """
    out = []
    for s in basemap_specs(words, shown=shown, lang=lang, key=key):
        if "parts" in s:
            layer = folium.FeatureGroup(name=s["name"], overlay=False, show=s["show"])
            for p in s["parts"]:
                folium.TileLayer(p["url"], attr=p["attr"], name=p["name"],
                                 subdomains=p["subdomains"], max_zoom=p["max_zoom"],
                                 control=False).add_to(layer)
        else:
            layer = folium.TileLayer(s["url"], attr=s["attr"], name=s["name"],
                                     subdomains=s["subdomains"], max_zoom=s["max_zoom"],
                                     show=s["show"])
        out.append(Basemap(s["key"], layer, gcj02=s["gcj02"]))
    return out
