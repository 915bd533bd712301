"""The JavaScript and CSS the review map needs: vendored in the package and inlined into
map.html, so the one file works with no network; or, with ``cdn=True``, linked from a CDN.

Vendored from the npm registry (``npm pack``), unmodified, with their licences beside them
in ``gridplan/static/``: Leaflet 1.9.4 (BSD-2-Clause) and Leaflet.markercluster 1.5.3 (MIT).
gridplan's own script and style sheet are always inlined.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import folium
from branca.element import Element


@dataclass(frozen=True)
class Library:
    """A vendored JavaScript library: its files under ``static/`` and their CDN twins."""

    name: str
    version: str
    licence: str
    js: tuple[str, ...]
    css: tuple[str, ...]
    cdn: str                   # base URL of the same version's ``dist/`` folder

    def cdn_links(self) -> tuple[list, list]:
        def url(path):
            return f"{self.cdn}/{path.rsplit('/', 1)[-1]}"
        return ([(f"{self.name}_js_{i}", url(p)) for i, p in enumerate(self.js)],
                [(f"{self.name}_css_{i}", url(p)) for i, p in enumerate(self.css)])


LIBRARIES = (
    Library("leaflet", "1.9.4", "leaflet/LICENSE", ("leaflet/leaflet.js",),
            ("leaflet/leaflet.css",), "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist"),
    Library("leaflet.markercluster", "1.5.3", "leaflet.markercluster/MIT-LICENCE.txt",
            ("leaflet.markercluster/leaflet.markercluster.js",),
            ("leaflet.markercluster/MarkerCluster.css",
             "leaflet.markercluster/MarkerCluster.Default.css"),
            "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist"),
)
OWN_JS = "gridplan/review_map.js"
OWN_CSS = "gridplan/review_map.css"

_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[^'\")]+)\1\)")


def _static(path: str):
    return files("gridplan").joinpath("static", *path.split("/"))


@cache
def _text(path: str) -> str:
    return _static(path).read_text(encoding="utf-8")


def _inline_css(path: str) -> str:
    """A style sheet with its relative images turned into data: URIs."""
    folder = path.rsplit("/", 1)[0]

    def data_uri(m):
        png = _static(f"{folder}/{m.group(2)}").read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
    return _CSS_URL.sub(data_uri, _text(path))


def _script(code: str) -> str:
    if re.search(r"</script|<!--", code, re.IGNORECASE):
        raise ValueError("cannot inline a script that contains '</script' or '<!--'")
    return f"<script>\n{code}\n</script>"


class RawHtml(Element):
    """An element that renders its text as it is (no template: vendored code may hold
    ``{{`` or ``{%``)."""

    def __init__(self, html: str):
        super().__init__()
        self._name = "RawHtml"
        self.html = html

    def render(self, **kwargs) -> str:
        return self.html


def _licence_comment(lib: Library) -> str:
    text = _text(lib.licence).replace("*/", "* /")
    return f"/*! {lib.name} {lib.version}, vendored from the npm registry.\n{text}\n*/"


def static_text(path: str) -> str:
    """The text of a file under ``gridplan/static/``."""
    return _text(path)


def inline_script(code: str) -> str:
    """A ``<script>`` element holding ``code``."""
    return _script(code)


def library_tags(lib: Library) -> list[str]:
    """``<style>`` and ``<script>`` elements that inline a vendored library, its licence
    kept in a comment and its style sheets' images as data: URIs."""
    tags = [f"<style>\n/* {lib.name} {lib.version} */\n{_inline_css(p)}\n</style>"
            for p in lib.css]
    tags += [_script(_licence_comment(lib) + "\n" + _SOURCE_MAP.sub("", _text(p)))
             for p in lib.js]
    return tags


def install_assets(m: folium.Map, *elements, cdn: bool = False) -> None:
    """Give the map the scripts and styles it needs, and no others.

    folium's defaults (Leaflet, jQuery, Bootstrap, Font Awesome, awesome-markers from CDNs) are
    replaced on this map instance only; ``elements`` (plugins such as a marker cluster) lose
    their own CDN links too.

    Parameters
    ----------
    m : folium.Map
    *elements : folium elements with ``default_js`` / ``default_css``
    cdn : bool
        Link Leaflet and the marker-cluster plugin from jsDelivr instead of inlining them.
    """
    for el in elements:
        el.default_js, el.default_css = [], []
    own = [f"<style>\n{_text(OWN_CSS)}\n</style>", _script(_text(OWN_JS))]
    if cdn:
        js, css = [], []
        for lib in LIBRARIES:
            j, c = lib.cdn_links()
            js += j
            css += c
        m.default_js, m.default_css = js, css
        head = own
    else:
        m.default_js, m.default_css = [], []
        head = []
        for lib in LIBRARIES:
            head += library_tags(lib)
        head += own
    # With cdn=True folium appends its links to the header when the map renders, after this
    # element: gridplan's script touches Leaflet only when called, and its rules are specific.
    m.get_root().header.add_child(RawHtml("\n".join(head)), name="gridplan_assets")
