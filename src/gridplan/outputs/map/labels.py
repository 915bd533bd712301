"""The words of the review map, in Chinese and English."""

from __future__ import annotations

from ...errors import InputError

LANGS = ("zh", "en")

_EN = {
    "title": "gridplan review map",
    # layers
    "layer_grids": "Grids (households)",
    "layer_special": "Special grids (shops, offices)",
    "layer_communities": "Communities",
    "layer_stations": "Stations",
    "layer_isochrones": "{minutes:g}-minute walk from stations",
    "layer_proposed": "Proposed stations",
    "layer_uncovered": "Homes beyond {radius} m",
    "layer_homes": "Homes (clustered)",
    "layer_circles": "{radius} m circles of stations",
    "layer_coverage": "Within {radius} m of any station",
    "streets": "Streets",
    "water": "Water and rail",
    "buildings": "Buildings (colour of their grid)",
    "base_osm": "OpenStreetMap",
    "base_amap": "AMap (Gaode, GCJ-02)",
    "base_tianditu": "Tianditu",
    # fields
    "grid_id": "Grid",
    "community_id": "Community",
    "special_grid_id": "Special grid",
    "households": "Households",
    "homes": "Homes",
    "grids": "Grids",
    "units": "Buildings",
    "polsby_popper": "Polsby-Popper",
    "share_radius": "Within {radius} m",
    "share_radius_walk": "Within {radius} m on foot",
    "share_15min": "Within a {minutes:g}-min walk",
    "station_in_reach": "Station within {radius} m",
    "status": "Households vs range",
    "notes": "Unresolved",
    "name": "Station",
    "served_households": "Households served (nearest, within {radius} m)",
    "served_homes": "Homes served",
    "proposed_rank": "Proposed station #",
    "new_households": "Households it would newly reach",
    "reach_households": "Households within its reach",
    "dist_m": "To nearest station (m)",
    "walk_m": "Walk to nearest station (m)",
    "walk_minutes": "Walk (minutes)",
    "station": "Station",
    # values
    "yes": "yes",
    "no": "no",
    "in_range": "in range",
    "below": "below {lo}",
    "above": "above {hi}",
    "unnamed_station": "station {n}",
    # legend
    "legend": "Legend",
    "legend_in_range": "Grid households within {lo}–{hi}",
    "legend_below": "Grid below {lo} households",
    "legend_above": "Grid above {hi} households",
    "legend_unresolved": "Unresolved grid (see its popup)",
    "legend_community": "Community boundary",
    "legend_station": "Station (its {radius} m circle in the layer control)",
    "legend_proposed": "Proposed station",
    "legend_uncovered": "Home beyond {radius} m",
    "legend_isochrone": "{minutes:g}-minute walk",
    "legend_special": "Special grid",
    "legend_coverage": "Within {radius} m of a station",
    "legend_arterial": "Arterial / secondary street",
    "legend_local": "Local street (from street zoom)",
    "legend_path": "Path",
    "legend_water": "River, lake",
    "legend_rail": "Railway",
    "legend_buildings": "Building, in its grid's colour (from street zoom)",
    "note_circles": "{n} stations: their {radius} m circles are off at first (layer control); "
                    "the shaded area is the ground within {radius} m of any station.",
    # summary
    "summary": "Plan summary",
    "s_households": "Households",
    "s_homes": "Homes",
    "s_grids": "Grids",
    "s_grids_in_range": "Grids within {lo}–{hi}",
    "s_communities": "Communities",
    "s_communities_in_range": "Communities within {clo}–{chi}",
    "s_unresolved": "Unresolved notes (grids / communities)",
    "s_stations": "Stations",
    "s_cover_straight": "Households within {radius} m (straight)",
    "s_cover_walk": "Households within {radius} m on foot",
    "s_cover_15": "Households within a {minutes:g}-minute walk",
    "s_uncovered": "Households beyond {radius} m",
    "s_proposed": "Proposed new stations",
    "s_staff_grid": "Grid workers (one per grid)",
    "s_staff_community": "Community workers (one per 300–400 households)",
    "s_not_measured": "not measured (no streets)",
    "s_not_measured_no_stations": "not measured (no stations)",
    "note_tianditu": "Tianditu is not offered: set GRIDPLAN_TIANDITU_KEY to a Tianditu key.",
    "note_gcj": "On AMap the overlays are shifted to GCJ-02 so they line up.",
}

_ZH = {
    "title": "gridplan 网格规划审阅图",
    "layer_grids": "网格（户数）",
    "layer_special": "专属网格（商铺、办公）",
    "layer_communities": "社区",
    "layer_stations": "服务站",
    "layer_isochrones": "服务站 {minutes:g} 分钟步行圈",
    "layer_proposed": "建议新增服务站",
    "layer_uncovered": "{radius} 米外的住宅",
    "layer_homes": "住宅（聚合）",
    "layer_circles": "服务站 {radius} 米圆",
    "layer_coverage": "任一服务站 {radius} 米范围",
    "streets": "道路",
    "water": "水系与铁路",
    "buildings": "楼栋（按所属网格着色）",
    "base_osm": "OpenStreetMap",
    "base_amap": "高德地图（GCJ-02）",
    "base_tianditu": "天地图",
    "grid_id": "网格",
    "community_id": "社区",
    "special_grid_id": "专属网格",
    "households": "户数",
    "homes": "楼栋",
    "grids": "网格数",
    "units": "楼栋数",
    "polsby_popper": "紧凑度（Polsby-Popper）",
    "share_radius": "{radius} 米内覆盖率",
    "share_radius_walk": "步行 {radius} 米内覆盖率",
    "share_15min": "{minutes:g} 分钟步行覆盖率",
    "station_in_reach": "{radius} 米内有服务站",
    "status": "户数与范围",
    "notes": "未解决",
    "name": "服务站",
    "served_households": "服务户数（最近站，{radius} 米内）",
    "served_homes": "服务楼栋",
    "proposed_rank": "建议服务站序号",
    "new_households": "新增覆盖户数",
    "reach_households": "覆盖范围内户数",
    "dist_m": "距最近服务站（米）",
    "walk_m": "步行至最近服务站（米）",
    "walk_minutes": "步行（分钟）",
    "station": "服务站",
    "yes": "是",
    "no": "否",
    "in_range": "在范围内",
    "below": "低于 {lo}",
    "above": "高于 {hi}",
    "unnamed_station": "服务站 {n}",
    "legend": "图例",
    "legend_in_range": "网格户数 {lo}–{hi}",
    "legend_below": "网格不足 {lo} 户",
    "legend_above": "网格超过 {hi} 户",
    "legend_unresolved": "未解决的网格（见弹窗）",
    "legend_community": "社区边界",
    "legend_station": "服务站（{radius} 米圆见图层控件）",
    "legend_proposed": "建议新增服务站",
    "legend_uncovered": "{radius} 米外的住宅",
    "legend_isochrone": "{minutes:g} 分钟步行圈",
    "legend_special": "专属网格",
    "legend_coverage": "服务站 {radius} 米范围",
    "legend_arterial": "主干道 / 次干道",
    "legend_local": "支路（放大后显示）",
    "legend_path": "步行道",
    "legend_water": "河流、湖泊",
    "legend_rail": "铁路",
    "legend_buildings": "楼栋，颜色同所属网格（放大后显示）",
    "note_circles": "共 {n} 个服务站：各站 {radius} 米圆默认关闭（可在图层控件中打开）；"
                    "阴影为任一服务站 {radius} 米范围。",
    "summary": "规划概况",
    "s_households": "户数",
    "s_homes": "楼栋",
    "s_grids": "网格",
    "s_grids_in_range": "户数在 {lo}–{hi} 的网格",
    "s_communities": "社区",
    "s_communities_in_range": "户数在 {clo}–{chi} 的社区",
    "s_unresolved": "未解决事项（网格 / 社区）",
    "s_stations": "服务站",
    "s_cover_straight": "{radius} 米内户数（直线）",
    "s_cover_walk": "步行 {radius} 米内户数",
    "s_cover_15": "{minutes:g} 分钟步行圈内户数",
    "s_uncovered": "{radius} 米外户数",
    "s_proposed": "建议新增服务站",
    "s_staff_grid": "网格员（每网格一名）",
    "s_staff_community": "社区工作者（每 300–400 户一名）",
    "s_not_measured": "未计算（无道路数据）",
    "s_not_measured_no_stations": "未计算（无服务站）",
    "note_tianditu": "未提供天地图：请将天地图密钥设为环境变量 GRIDPLAN_TIANDITU_KEY。",
    "note_gcj": "切换到高德地图时，图层会转换为 GCJ-02 坐标以便对齐。",
}

_TEXT = {"en": _EN, "zh": _ZH}
assert _EN.keys() == _ZH.keys()


def check_lang(lang: str) -> str:
    """``lang`` itself when the map speaks it.

    Raises
    ------
    InputError
        When ``lang`` is not one of :data:`LANGS`.
    """
    if lang not in LANGS:
        raise InputError(f"lang = {lang!r}: expected one of " + ", ".join(LANGS))
    return lang


def labels(lang: str, **values) -> dict[str, str]:
    """Every label of the map in ``lang``, with ``{radius}``, ``{lo}`` … filled from ``values``.

    Parameters
    ----------
    lang : {'zh', 'en'}
    **values
        The numbers the labels quote: radius, minutes, lo and hi (grid bounds), clo and chi
        (community bounds).

    Returns
    -------
    dict
        Label key to text.
    """
    words = _TEXT[check_lang(lang)]
    out = {}
    for key, text in words.items():
        try:
            out[key] = text.format(**values)
        except (KeyError, IndexError):    # a label that quotes a number not given here
            out[key] = text
    return out
