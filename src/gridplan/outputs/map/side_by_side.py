"""Two plans on one page, side by side, their views kept in step: each side is the plan's own
offline review map in a same-origin frame, so nothing more is loaded than for one map."""

from __future__ import annotations

import json
from html import escape

from branca.element import Element, Figure

#: Finds the Leaflet map inside each frame and mirrors every move of one on the other.
SYNC_JS = """
(function () {
  function leafletMap(win) {
    for (const k of Object.keys(win)) {
      if (k.startsWith("map_") && win.L && win[k] instanceof win.L.Map) return win[k];
    }
    return null;
  }
  function start() {
    const frames = Array.from(document.querySelectorAll("iframe.gridplan-side"));
    // each map is ready once its own page has set itself up (gridplan.review ran: it fits
    // the view to the plan, which must not undo a view set by the other side)
    const ready = frames.every(f => f.contentWindow && f.contentWindow.gridplanReview);
    const maps = ready ? frames.map(f => leafletMap(f.contentWindow)) : [];
    if (!ready || maps.some(m => !m)) { setTimeout(start, 100); return; }
    let busy = false;
    maps.forEach((m, i) => m.on("moveend zoomend", () => {
      if (busy) return;
      busy = true;
      try {
        maps.forEach((o, j) => {
          if (j !== i) o.setView([m.getCenter().lat, m.getCenter().lng], m.getZoom(),
                                 {animate: false});
        });
      } finally {
        busy = false;
      }
    }));
    window.gridplanSideMaps = maps;
  }
  window.addEventListener("load", start);
})();
"""


class _Html(Element):
    def __init__(self, html: str):
        super().__init__()
        self.html = html

    def render(self, **kwargs) -> str:
        return self.html


def dual_map(left, right, left_name: str = "A", right_name: str = "B", *,
             height_px: int = 640, **map_options) -> Figure:
    """Two plans side by side on synchronised review maps.

    Parameters
    ----------
    left, right : Plan
    left_name, right_name : str
        Titles above each map.
    height_px : int
        Height of the maps in pixels.
    **map_options
        Passed to :func:`gridplan.outputs.map.plan_map` for both (``lang``, ``basemap``, ...).

    Returns
    -------
    branca.element.Figure
        Shows itself in a notebook; ``.save("compare.html")`` writes one offline page.
    """
    sides = []
    for plan, name in ((left, left_name), (right, right_name)):
        page = plan.map(**map_options).get_root().render()
        sides.append(
            f"<div style='flex:1;min-width:0'><h3 style='margin:4px 0;font:600 15px "
            f"sans-serif'>{escape(str(name))}</h3><iframe class='gridplan-side' "
            f"style='width:100%;height:{int(height_px)}px;border:1px solid #999' "
            f"srcdoc=\"{escape(page, quote=True)}\"></iframe></div>")
    fig = Figure()
    body = ("<div style='display:flex;gap:8px'>" + "".join(sides) + "</div>"
            f"<script>{SYNC_JS}</script>")
    fig.html.add_child(_Html(body))
    fig.header.add_child(_Html(f"<title>{escape(json.dumps([left_name, right_name]))}</title>"))
    return fig
