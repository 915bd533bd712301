"""Assemble the review map of a plan with folium."""

from __future__ import annotations

import json
from html import escape

import folium
import folium.plugins
from branca.element import Element
from folium.template import Template
from folium.utilities import JsCode

from ...columns import DIST_M, NAME, PROPOSED_RANK, SPECIAL_GRID_ID, UNITS, WALK_M
from . import ground as G
from . import layers as L
from . import panels as P
from .assets import RawHtml, install_assets
from . import basemaps as B
from ...partition.columns import (COMMUNITY_ID, GRID_ID, GRIDS, HOMES, HOUSEHOLDS,
                                  POLSBY_POPPER, SHARE_15MIN, SHARE_RADIUS, SHARE_RADIUS_WALK,
                                  STATION_IN_REACH)
from ..words import check_lang, map_labels

#: The pane of the map's fills (grids, special grids, walk circles, coverage area).
FILL_PANE = "gpFill"
DEFAULT_LANG = "zh"
DEFAULT_BASEMAP = "osm"


class _Review(folium.MacroElement):
    """Calls ``gridplan.review`` once every layer exists: panels, highlight, the datum shift."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        gridplan.review({{ this._parent.get_name() }}, {{ this.config|tojson }}, {
        {%- for key, layer in this.overlays.items() %}
            {{ key|tojson }}: {{ layer.get_name() }},
        {%- endfor %}
        }, [{% for b in this.gcj_bases %}{{ b.get_name() }}, {% endfor %}],
        {{ this.control.get_name() if this.control else 'null' }});
        {% endmacro %}
    """)

    def __init__(self, config: dict, overlays: dict, gcj_bases: list, control=None):
        super().__init__()
        self._name = "GridplanReview"
        self.config, self.overlays, self.gcj_bases = config, overlays, gcj_bases
        self.control = control

    def render(self, **kwargs):
        # branca compiles each element's script again as a template, and this one carries
        # the ground data (every building): it goes in as the text that compiling would
        # render (Jinja drops one final newline), without the compile
        macros = self._template.module.__dict__
        if "header" in macros or "html" in macros:     # a template this render does not know
            return super().render(**kwargs)
        self.get_root().script.add_child(_as_rendered(macros["script"](self, kwargs)),
                                         name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


def _as_rendered(text: str) -> RawHtml:
    """``text`` as branca's ``Element(text)`` renders it when it holds no template syntax
    (Jinja drops one final newline), without compiling it."""
    return RawHtml(text[:-1] if text.endswith("\n") else text)


class _GeoJson(folium.GeoJson):
    """folium's GeoJson layer, its script put into the page as rendered: branca compiles
    each element's rendered script again as a Jinja template, and this one is the layer's
    whole GeoJSON (a few hundred kB on a district: 0.05 s of lexing)."""

    _NO_SCRIPT = Template("{% macro script(this, kwargs) %}{% endmacro %}")

    def render(self, **kwargs):
        own = self._template
        macros = own.module.__dict__
        if "header" in macros or "html" in macros:     # a template this render does not know
            return super().render(**kwargs)
        # folium's own steps (styles, the add-to-map call, tooltip and popup), with an empty
        # script holding the layer's place among the page's scripts
        root = self.get_root()
        parts = (root.header, root.html, root.script)
        before = [set(p._children) for p in parts]
        self._template = self._NO_SCRIPT
        try:
            super().render(**kwargs)
        finally:
            self._template = own
        if not isinstance(root.script._children.get(self.get_name()), Element):
            # branca filed the script under another name: the text would land after the
            # tooltip's call on the layer (a script error on the page). folium renders it all.
            for p, had in zip(parts, before):
                for key in set(p._children) - had:
                    del p._children[key]
            return super().render(**kwargs)
        # GeoJson.render calls branca's render without arguments: the script sees no kwargs
        root.script.add_child(_as_rendered(macros["script"](self, {})), name=self.get_name())


def _js(call: str, options: dict) -> JsCode:
    return JsCode(f"gridplan.{call}({json.dumps(options)})")


def _escaped(fc: dict) -> dict:
    """Escape text properties: tooltips put them into HTML (station names come from input)."""
    for f in fc["features"]:
        p = f["properties"]
        for k, v in p.items():
            if isinstance(v, str) and not k.startswith("_"):
                p[k] = escape(v)
    return fc


def _geojson(gdf, name: str, words: dict, tip: list[str], pop: list[str] | None = None,
             precision: int = L.PRECISION, **options) -> _GeoJson:
    popup = (folium.GeoJsonPopup(fields=pop, aliases=[words[f] for f in pop], localize=False,
                                 max_width=420) if pop else None)
    tooltip = (folium.GeoJsonTooltip(fields=tip, aliases=[words[f] for f in tip], sticky=True)
               if tip else None)
    return _GeoJson(
        _escaped(L.feature_collection(gdf, precision)), name=name, tooltip=tooltip,
        popup=popup, **options)


def plan_map(plan, *, lang: str = DEFAULT_LANG, basemap: str = DEFAULT_BASEMAP,
             cdn: bool = False, tianditu_key: str | None = None, isochrones: bool = True,
             homes: bool = True, simplify_m: float = L.SIMPLIFY_M,
             precision: int = L.PRECISION, ground: bool = True,
             circles_max_stations: int = L.CIRCLES_MAX_STATIONS) -> folium.Map:
    """The review map of a plan: a single self-contained page planners can work from.

    Toggleable layers: grids coloured by households against the range (out-of-range grids
    in red or purple, unresolved grids with a dashed orange outline), special grids,
    communities as outlines, stations with their radius circles, walk isochrones, proposed
    stations, homes beyond the radius, and every home clustered at low zoom. Tooltips and
    popups quote each grid's and station's figures; a legend and a summary panel (with the
    staffing the plan implies) sit in the corners.

    Parameters
    ----------
    plan : Plan
    lang : {'zh', 'en'}
        Language of every label.
    basemap : {'osm', 'amap', 'tianditu'}
        The basemap shown when the page opens; the others stay selectable. On AMap (drawn
        in GCJ-02) the page shifts every overlay to GCJ-02 so it lines up; OpenStreetMap and
        Tianditu (CGCS2000, within centimetres of WGS84) need no shift.
    cdn : bool
        Link Leaflet and its marker-cluster plugin from a CDN (a lighter file that needs the
        internet) instead of inlining them (works offline, e.g. from a USB stick).
    tianditu_key : str, optional
        Tianditu key (``tk``); default the ``GRIDPLAN_TIANDITU_KEY`` environment variable.
        Without one, Tianditu is left out and the summary panel says how to add it.
    isochrones : bool
        Add each station's walk circle (``plan.isochrones``, computed on first use).
    homes : bool
        Add every home as a clustered point layer (hidden at first).
    simplify_m : float
        Tolerance for simplifying polygons for display, in metres (grids are simplified as
        one coverage, so neighbours keep shared edges).
    precision : int
        Decimal places of lon/lat in the page (6 is about 0.1 m).
    ground : bool
        Draw the streets (by rank), water and rail, and the buildings coloured by their
        grid (from street zoom), from the plan's city; no tiles needed.
    circles_max_stations : int
        With more stations than this, their radius circles start hidden and one merged
        area within the radius of any station is shown instead.

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        For an unknown ``lang`` or ``basemap``, or Tianditu without a key.
    """
    lang = check_lang(lang)
    key = B.tianditu_key(tianditu_key)
    B.check_basemap(basemap, key)
    cfg = plan.config
    lo, hi = cfg.min_households, cfg.max_households
    words = map_labels(lang, radius=f"{cfg.radius_m:g}", minutes=cfg.walk_minutes, lo=lo, hi=hi,
                   clo=cfg.community_min, chi=cfg.community_max)
    walk = bool(len(plan.homes)) and bool(plan.homes[WALK_M].notna().any())

    grids, communities = L.grid_layers(plan, words, simplify_m)
    x0, y0, x1, y1 = L.to_display(grids, precision).total_bounds
    # quarter zoom steps: the district fills the view instead of falling to the zoom below
    m = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], zoom_start=14, tiles=None,
                   control_scale=True, zoom_snap=0.25)
    # the district clear of the layer control and the legend on the right
    # without the zoom animation: the page opens on the district, not on its way there (a
    # reader, or a browser test, pointing at a grid during the animation would miss it)
    fit = folium.map.FitBounds([[y0, x0], [y1, x1]], padding_top_left=(10, 10),
                               padding_bottom_right=(300, 10))
    fit.options["animate"] = False
    fit.add_to(m)
    # fills lie under the ground layers (streets, water, buildings: panes 385-395), the
    # outlines and points above them in Leaflet's overlay pane (400)
    folium.map.CustomPane(FILL_PANE, z_index=380, pointer_events=True).add_to(m)
    m.get_root().header.add_child(Element(f"<title>{escape(words['title'])}</title>"),
                                  name="title")
    bases = B.basemaps(words, shown=basemap, lang=lang, key=key)
    for b in bases:
        b.layer.add_to(m)

    overlays: dict[str, folium.map.Layer] = {}
    radius = cfg.radius_m
    if isochrones:
        iso = L.isochrone_layer(plan, words, simplify_m)
        if len(iso):
            overlays["isochrones"] = _geojson(
                iso, words["layer_isochrones"], words, ["station", "walk_minutes"],
                precision=precision, show=False, pane=FILL_PANE,
                style={"color": P.ISOCHRONE, "weight": 1, "fillColor": P.ISOCHRONE,
                       "fillOpacity": 0.15, "className": "gp-isochrone"})
    grid_tip = [GRID_ID, COMMUNITY_ID, HOUSEHOLDS, HOMES, POLSBY_POPPER,
                SHARE_RADIUS, *([SHARE_15MIN] if walk else []), STATION_IN_REACH]
    grid_pop = grid_tip[:4] + ["status"] + grid_tip[4:6] + (
        [SHARE_RADIUS_WALK, SHARE_15MIN] if walk else []) + [STATION_IN_REACH, "notes"]
    overlays["grids"] = _geojson(
        grids, words["layer_grids"], words, grid_tip, grid_pop, precision=precision,
        pane=FILL_PANE,
        style=_js("gridStyle", {"line": "#4d4d4d", "weight": 0.8, "fillOpacity": 0.45,
                                "flag": L.UNRESOLVED, "flagWeight": 3}))
    if len(plan.special_grids):
        overlays["special_grids"] = _geojson(
            L.special_layer(plan, simplify_m), words["layer_special"], words,
            [SPECIAL_GRID_ID, COMMUNITY_ID, UNITS], precision=precision, pane=FILL_PANE,
            style={"color": "#525252", "weight": 1, "fillColor": P.SPECIAL,
                   "fillOpacity": 0.25, "dashArray": "2 3", "className": "gp-special"})
    overlays["communities"] = _geojson(
        communities, words["layer_communities"], words,
        [COMMUNITY_ID, HOUSEHOLDS, GRIDS, HOMES, SHARE_RADIUS,
         *([SHARE_15MIN] if walk else [])],
        [COMMUNITY_ID, HOUSEHOLDS, GRIDS, HOMES, "status", SHARE_RADIUS,
         *([SHARE_15MIN] if walk else []), "notes"], precision=precision,
        style=_js("communityStyle", {"line": P.COMMUNITY, "weight": 2.5, "flag": L.BELOW}))
    many = len(plan.stations) + len(plan.proposed) > circles_max_stations
    circles = L.circle_layer(plan, P.STATION, P.PROPOSED)
    if len(circles):
        overlays["circles"] = _geojson(
            circles, words["layer_circles"], words, [], precision=precision, show=not many,
            point_to_layer=_js("radiusCircle", {"radius": radius, "className": "gp-radius"}))
    if len(plan.stations):
        area = G.coverage_area(plan)
        overlays["coverage"] = _geojson(
            area, words["layer_coverage"], words, [], precision=precision,
            show=many, pane=FILL_PANE, interactive=False,
            style={"color": P.STATION, "weight": 1.5, "fillColor": P.STATION,
                   "fillOpacity": 0.05, "className": "gp-coverage"})
        overlays["stations"] = _geojson(
            L.station_layer(plan, words), words["layer_stations"], words,
            [NAME, "served_households", "served_homes"], precision=precision,
            point_to_layer=_js("stationMarker", {"radius": None, "color": P.STATION,
                                                 "dot": 6, "dash": None,
                                                 "className": "gp-station"}))
    if len(plan.proposed):
        overlays["proposed"] = _geojson(
            L.proposed_layer(plan), words["layer_proposed"], words,
            [PROPOSED_RANK, "new_households", "reach_households"], precision=precision,
            point_to_layer=_js("stationMarker", {"radius": None, "color": P.PROPOSED,
                                                 "dot": 6, "dash": "6 6",
                                                 "className": "gp-proposed"}))
    if len(plan.uncovered):
        # with no station at all every home is beyond the radius: that layer says nothing
        overlays["uncovered"] = _geojson(
            L.uncovered_layer(plan), words["layer_uncovered"], words,
            [HOUSEHOLDS, DIST_M, GRID_ID], precision=precision,
            show=bool(len(plan.stations)),
            point_to_layer=_js("dot", {"radius": 3, "color": "#ffffff", "weight": 0.8,
                                       "fillColor": P.UNCOVERED, "fillOpacity": 0.95,
                                       "className": "gp-uncovered"}))
    hidden = []
    if homes:
        rows = L.home_rows(plan, precision)
        if rows:
            hover = json.dumps({"households": words["households"], "grid_id": words["grid_id"]},
                               ensure_ascii=False)
            overlays["homes"] = folium.plugins.FastMarkerCluster(
                rows, name=words["layer_homes"],
                callback=f"function (row) {{ return gridplan.homeMarker(row, {hover}); }}",
                # not chunked: the layer is taken off the map on load, and a chunk still
                # queued then would reach for the map it left (an error at 1M households)
                disableClusteringAtZoom=17, showCoverageOnHover=False, chunkedLoading=False,
                maxClusterRadius=60)
            hidden.append("homes")   # FastMarkerCluster always adds itself; hidden on load
    for layer in overlays.values():
        layer.add_to(m)
    control = folium.LayerControl(collapsed=False, position="topright").add_to(m)

    notes = []
    if many:
        notes.append(words["note_circles"].format(n=len(plan.stations), radius=f"{radius:g}"))
    if not key:
        notes.append(words["note_tianditu"])
    notes.append(words["note_gcj"])
    config = {
        "summary": P.summary_html(plan.summary, words, notes),
        "hidden": hidden, "highlight": "grids", "lang": lang,
        "tianditu": bool(key),
    }
    parts = set()
    if ground:
        config["ground"] = gd = G.ground_data(plan)
        config["colours"] = list(grids["_colour"])
        config["noGrid"] = G.NO_GRID
        config["words"] = {k: words[k] for k in ("streets", "water", "buildings")}
        parts = {k for k in ("streets", "water", "buildings") if gd[k]["xy"]}
        if gd["water"]["xy"]:
            parts |= {f"water_{k}" for k in gd["water"]["kind"]}
    config["legend"] = P.legend_html(words, lo, hi, isochrones="isochrones" in overlays,
                                     special="special_grids" in overlays,
                                     coverage="coverage" in overlays, ground=parts,
                                     present=set(overlays) | ({"unresolved"} if
                                                              grids["_flag"].any() else set()))
    _Review(config, overlays, [b.layer for b in bases if b.gcj02], control).add_to(m)
    install_assets(m, *[layer for layer in overlays.values()
                        if hasattr(layer, "default_js")], cdn=cdn)
    return m
