"""The legend and the summary panel of the review map, as HTML."""

from __future__ import annotations

from html import escape

from . import layers as L

STATION = "#006d2c"
PROPOSED = "#f16913"
UNCOVERED = "#cb181d"
ISOCHRONE = "#41ab5d"
COMMUNITY = "#111111"
SPECIAL = "#969696"


def _pct(v) -> str | None:
    return None if v is None else f"{100 * v:.1f}%"


def summary_rows(summary, words: dict) -> list[tuple[str, str]]:
    """(label, value) rows of the summary panel, from ``plan.summary`` (a Summary)."""
    g, c, cov = summary.grids, summary.communities, summary.coverage
    staff = summary.staffing
    lo_w, hi_w = staff.community_workers
    none = words["s_not_measured_no_stations" if cov.walk_not_measured == "no stations"
                 else "s_not_measured"]
    return [
        (words["s_households"], f"{summary.households:,}"),
        (words["s_homes"], f"{summary.homes:,}"),
        (words["s_grids"], f"{g.count:,}"),
        (words["s_grids_in_range"], _pct(g.within_bounds_share)),
        (words["s_communities"], f"{c.count:,}"),
        (words["s_communities_in_range"], _pct(c.within_bounds_share)),
        (words["s_unresolved"], f"{len(g.unresolved)} / {len(c.unresolved)}"),
        (words["s_stations"], f"{cov.stations:,}"),
        (words["s_cover_straight"], _pct(cov.straight_share) or none),
        (words["s_cover_walk"], _pct(cov.walk_share) or none),
        (words["s_cover_15"], _pct(cov.walk_15min_share) or none),
        (words["s_uncovered"], f"{cov.uncovered_households:,}"),
        (words["s_proposed"], f"{summary.siting.proposed:,}"),
        (words["s_staff_grid"], f"{staff.grid_workers:,}"),
        (words["s_staff_community"], f"{lo_w:,}–{hi_w:,}" if lo_w != hi_w else f"{lo_w:,}"),
    ]


def summary_html(summary, words: dict, notes: list[str]) -> str:
    """The summary panel: the plan's figures and notes about the basemaps."""
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>"
                   for k, v in summary_rows(summary, words))
    foot = "".join(f"<p class='gp-note'>{escape(n)}</p>" for n in notes)
    # closed at first: open, it would cover part of the district at the default zoom
    return (f"<details class='gp-summary'><summary>{escape(words['summary'])}</summary>"
            f"<table>{rows}</table>{foot}</details>")


def _swatch(style: str) -> str:
    return f"<i class='gp-swatch' style='{style}'></i>"


def legend_html(words: dict, lo: int, hi: int, *, isochrones: bool, special: bool,
                coverage: bool = False, ground: set = frozenset(),
                present: set | None = None) -> str:
    """The legend: what each colour and line means; ``ground`` names the ground layers
    drawn (``streets``, ``buildings``, ``water_water``, ``water_rail``); with ``present``
    (overlay keys: ``stations``, ``proposed``, ``uncovered``, ``unresolved``) only the
    entries of layers the map has."""
    def has(key):
        return present is None or key in present
    ramp = ", ".join(L.IN_RANGE_RAMP)
    items = [
        (f"<span class='gp-tick'>{lo}</span><i class='gp-swatch gp-ramp' "
         f"style='background:linear-gradient(to right, {ramp})'></i>"
         f"<span class='gp-tick'>{hi}</span>", words["legend_in_range"]),
        (_swatch(f"background:{L.BELOW}"), words["legend_below"]),
        (_swatch(f"background:{L.ABOVE}"), words["legend_above"]),
        (_swatch(f"border:3px dashed {L.UNRESOLVED}"), words["legend_unresolved"]),
        (_swatch(f"border:2px solid {COMMUNITY};background:none"), words["legend_community"]),
        (_swatch(f"border:1px solid {STATION};border-radius:50%;background:{STATION}33"),
         words["legend_station"]),
        (_swatch(f"border:2px dashed {PROPOSED};border-radius:50%;background:{PROPOSED}55"),
         words["legend_proposed"]),
        (_swatch(f"background:{UNCOVERED};border-radius:50%;width:8px;height:8px;margin:3px"),
         words["legend_uncovered"]),
    ]
    keys = [None, None, None, "unresolved", None, "stations", "proposed", "uncovered"]
    items = [it for it, k in zip(items, keys) if k is None or has(k)]
    if special:
        items.append((_swatch(f"background:{SPECIAL}"), words["legend_special"]))
    if isochrones:
        items.append((_swatch(f"background:{ISOCHRONE}55;border:1px solid {ISOCHRONE}"),
                      words["legend_isochrone"]))
    if coverage:
        items.append((_swatch(f"background:{STATION}22;border:1.5px solid {STATION}"),
                      words["legend_coverage"]))
    line = "<i class='gp-swatch gp-line' style='{}'></i>"
    if "streets" in ground:
        items += [
            (line.format("height:7px;background:#fff;border:1.5px solid #6b6b6b"),
             words["legend_arterial"]),
            (line.format("height:4px;background:#fff;border:1px solid #bbb"),
             words["legend_local"]),
            (line.format("height:0;border-top:2px dotted #555"), words["legend_path"]),
        ]
    if "water_water" in ground:
        items.append((_swatch("background:#a6cee3;border:1px solid #3b8bc2"),
                      words["legend_water"]))
    if "water_rail" in ground:
        items.append((line.format("height:5px;border:1.5px solid #333;background:repeating-"
                                  "linear-gradient(to right,#333 0 5px,#fff 5px 10px)"),
                      words["legend_rail"]))
    if "buildings" in ground:
        items.append((_swatch("background:linear-gradient(to right,#1b9e77 0 33%,#d95f02 33% "
                              "66%,#7570b3 66%);border:1px solid #333"),
                      words["legend_buildings"]))
    rows = "".join(f"<div>{sw}<span>{escape(text)}</span></div>" for sw, text in items)
    return (f"<details open class='gp-legend'><summary>{escape(words['legend'])}</summary>"
            f"{rows}"
            f"</details>")
