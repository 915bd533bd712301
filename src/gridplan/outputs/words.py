"""Every word the outputs show (map, review page), in Chinese and English, each once."""

from __future__ import annotations

from ..errors import InputError

LANGS = ("zh", "en")

#: Each word once: key → (Chinese, English). ``{radius}``, ``{minutes}``, ``{lo}``, ``{hi}``,
#: ``{clo}``, ``{chi}`` and the like are filled where the word is shown (the map fills them
#: here, the review page in its script). One concept, one key: the map and the page name
#: their words in :data:`MAP` and :data:`PAGE`.
WORDS = {
    # what a plan is made of
    "grid_id": ("网格", "Grid"),
    "community_id": ("社区", "Community"),
    "communities": ("社区", "Communities"),
    "grids": ("网格数", "Grids"),
    "special_grid": ("专属网格", "Special grid"),
    "households": ("户数", "Households"),
    "homes": ("楼栋", "Homes"),
    "units": ("楼栋数", "Buildings"),
    "compound": ("小区", "Compound"),
    "station": ("服务站", "Station"),
    "stations": ("服务站", "Stations"),
    "proposed_stations": ("建议新增服务站", "Proposed stations"),
    "proposed_station": ("建议新增服务站", "Proposed station"),
    # figures
    "compactness": ("紧凑度（Polsby-Popper）", "Compactness (Polsby-Popper)"),
    "share_radius": ("{radius} 米内覆盖率", "Within {radius} m"),
    "share_radius_walk": ("步行 {radius} 米内覆盖率", "Within {radius} m on foot"),
    "share_15min": ("{minutes} 分钟步行覆盖率", "Within a {minutes}-min walk"),
    "station_in_reach": ("{radius} 米内有服务站", "Station within {radius} m"),
    "coverage_area": ("任一服务站 {radius} 米范围", "Within {radius} m of any station"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # the map: title, layers, base maps
    "map_title": ("gridplan 网格规划审阅图", "gridplan review map"),
    "layer_grids": ("网格（户数）", "Grids (households)"),
    "layer_special": ("专属网格（商铺、办公）", "Special grids (shops, offices)"),
    "layer_isochrones": ("服务站 {minutes} 分钟步行圈", "{minutes}-minute walk from stations"),
    "layer_uncovered": ("{radius} 米外的住宅", "Homes beyond {radius} m"),
    "layer_homes": ("住宅（聚合）", "Homes (clustered)"),
    "layer_circles": ("服务站 {radius} 米圆", "{radius} m circles of stations"),
    "streets": ("道路", "Streets"),
    "water": ("水系与铁路", "Water and rail"),
    "buildings": ("楼栋（按所属网格着色）", "Buildings (colour of their grid)"),
    "base_osm": ("OpenStreetMap", "OpenStreetMap"),
    "base_amap": ("高德地图（GCJ-02）", "AMap (Gaode, GCJ-02)"),
    "base_tianditu": ("天地图", "Tianditu"),
    # the map's popups
    "status": ("户数与范围", "Households vs range"),
    "notes": ("未解决", "Unresolved"),
    "served_households": ("服务户数（最近站，{radius} 米内）",
                          "Households served (nearest, within {radius} m)"),
    "served_homes": ("服务楼栋", "Homes served"),
    "proposed_rank": ("建议服务站序号", "Proposed station #"),
    "new_households": ("新增覆盖户数", "Households it would newly reach"),
    "reach_households": ("覆盖范围内户数", "Households within its reach"),
    "dist_m": ("距最近服务站（米）", "To nearest station (m)"),
    "walk_m": ("步行至最近服务站（米）", "Walk to nearest station (m)"),
    "walk_minutes": ("步行（分钟）", "Walk (minutes)"),
    "in_range": ("在范围内", "in range"),
    "below": ("低于 {lo}", "below {lo}"),
    "above": ("高于 {hi}", "above {hi}"),
    "unnamed_station": ("服务站 {n}", "station {n}"),
    # the map's legend
    "legend": ("图例", "Legend"),
    "legend_in_range": ("网格户数 {lo}–{hi}", "Grid households within {lo}–{hi}"),
    "legend_below": ("网格不足 {lo} 户", "Grid below {lo} households"),
    "legend_above": ("网格超过 {hi} 户", "Grid above {hi} households"),
    "legend_unresolved": ("未解决的网格（见弹窗）", "Unresolved grid (see its popup)"),
    "legend_community": ("社区边界", "Community boundary"),
    "legend_station": ("服务站（{radius} 米圆见图层控件）",
                       "Station (its {radius} m circle in the layer control)"),
    "legend_uncovered": ("{radius} 米外的住宅", "Home beyond {radius} m"),
    "legend_isochrone": ("{minutes} 分钟步行圈", "{minutes}-minute walk"),
    "legend_arterial": ("主干道 / 次干道", "Arterial / secondary street"),
    "legend_local": ("支路（放大后显示）", "Local street (from street zoom)"),
    "legend_path": ("步行道", "Path"),
    "legend_water": ("河流、湖泊", "River, lake"),
    "legend_rail": ("铁路", "Railway"),
    "legend_buildings": ("楼栋，颜色同所属网格（放大后显示）",
                         "Building, in its grid's colour (from street zoom)"),
    "note_circles": ("共 {n} 个服务站：各站 {radius} 米圆默认关闭（可在图层控件中打开）；"
                     "阴影为任一服务站 {radius} 米范围。",
                     "{n} stations: their {radius} m circles are off at first (layer control); "
                     "the shaded area is the ground within {radius} m of any station."),
    # the map's summary panel
    "summary": ("规划概况", "Plan summary"),
    "s_grids_in_range": ("户数在 {lo}–{hi} 的网格", "Grids within {lo}–{hi}"),
    "s_communities_in_range": ("户数在 {clo}–{chi} 的社区", "Communities within {clo}–{chi}"),
    "s_unresolved": ("未解决事项（网格 / 社区）", "Unresolved notes (grids / communities)"),
    "s_cover_straight": ("{radius} 米内户数（直线）", "Households within {radius} m (straight)"),
    "s_cover_walk": ("步行 {radius} 米内户数", "Households within {radius} m on foot"),
    "s_cover_15": ("{minutes} 分钟步行圈内户数", "Households within a {minutes}-minute walk"),
    "s_uncovered": ("{radius} 米外户数", "Households beyond {radius} m"),
    "s_staff_grid": ("网格员（每网格一名）", "Grid workers (one per grid)"),
    "s_staff_community": ("社区工作者（每 300–400 户一名）",
                          "Community workers (one per 300–400 households)"),
    "s_not_measured": ("未计算（无道路数据）", "not measured (no streets)"),
    "s_not_measured_no_stations": ("未计算（无服务站）", "not measured (no stations)"),
    "note_tianditu": ("未提供天地图：请将天地图密钥设为环境变量 GRIDPLAN_TIANDITU_KEY。",
                      "Tianditu is not offered: set GRIDPLAN_TIANDITU_KEY to a Tianditu key."),
    "note_gcj": ("切换到高德地图时，图层会转换为 GCJ-02 坐标以便对齐。",
                 "On AMap the overlays are shifted to GCJ-02 so they line up."),
    # the review page
    "review_title": ("gridplan 网格审核：在网格之间调整楼栋",
                     "gridplan review: move homes between grids"),
    "plan": ("{grids} 个网格（每格 {lo}–{hi} 户），共 {households} 户",
             "{grids} grids of {lo}–{hi} households, {households} households"),
    "author": ("审核人", "Your name"),
    "author_hint": ("保存在本浏览器中，写入每条修改", "kept in this browser, written into every edit"),
    "help": ("点击网格查看其信息和相邻网格。点击楼栋（圆点）选中它，再点击相邻网格（虚线轮廓）即可移入。"
             "户数即时更新，超出 {lo}–{hi} 时变红；会把网格分成两块的调整将被拒绝。",
             "Click a grid to see it and its neighbours. Click a home (dot) to select it, then "
             "click a neighbouring grid (dashed outline) to move it there. Counts update at "
             "once and turn red outside {lo}–{hi}; a move that would split a grid is refused."),
    "grid": ("网格 {grid}", "Grid {grid}"),
    "neighbours": ("相邻网格", "Neighbouring grids"),
    "members": ("本网格的楼栋", "Homes in this grid"),
    "home": ("楼栋 {home}", "home {home}"),
    "home_part": ("楼栋 {home} 第 {part} 部分", "home {home} part {part}"),
    "home_title": ("楼栋 {home}", "Home {home}"),
    "home_part_title": ("楼栋 {home}，第 {part} 部分", "Home {home}, part {part}"),
    "name": ("名称", "Name"),
    "compound_whole": ("{compound}（{n} 栋，{households} 户；整体调整）",
                       "{compound} ({n} homes, {households} households; moves as one)"),
    "in_grid": ("所在网格", "Grid"),
    "move_to": ("移入相邻网格（在地图上点击，或点这里）：",
                "Move to a neighbouring grid (click it on the map, or here):"),
    "no_targets": ("它不与其他网格相邻。", "It touches no other grid."),
    "comments": ("备注", "Comments"),
    "comment_placeholder": ("例如：与 12 号楼共用一个大门", "e.g. shares a gate with building 12"),
    "add_comment": ("添加备注", "Add comment"),
    "session": ("本次审核", "This session"),
    "session_counts": ("{moves} 次调整，{comments} 条备注", "{moves} moves, {comments} comments"),
    "undo": ("撤销上一次调整", "Undo last move"),
    "export": ("导出 edits.geojson", "Export edits.geojson"),
    "import": ("导入修改继续审核", "Import edits to continue"),
    "out_of_range": ("超出 {lo}–{hi} 户的网格（gridplan 将拒绝使其超出的最后一次调整）：",
                     "Grids outside {lo}–{hi} (gridplan will refuse the last move that took "
                     "each there):"),
    "nothing_selected": ("未选中任何对象。", "Nothing selected."),
    "moved": ("已将{what}从 {src}（{a} → {b} 户）移入 {dst}（{c} → {d} 户）。",
              "Moved {what} from {src} ({a} → {b} households) to {dst} ({c} → {d})."),
    "undone": ("已撤销{what}从 {src} 到 {dst} 的调整。", "Undid the move of {what} from {src} to {dst}."),
    "refused": ("已拒绝：{why}。", "Refused: {why}."),
    "compound_what": ("{home}及其所在小区 {compound}（{n} 栋）",
                      "{home} and its compound {compound} ({n} homes)"),
    "not_touch": ("{what}与网格 {grid} 不相邻：楼栋只能移入相邻网格",
                  "{what} does not touch grid {grid}: a home moves only to a grid next to it"),
    "empties": ("移走{what}后网格 {grid} 将没有楼栋",
                "moving {what} would leave grid {grid} with no homes"),
    "splits": ("移走{what}会把网格 {grid} 分成 {n} 块",
               "moving {what} would split grid {grid} into {n} pieces"),
    "splits_more": ("移走{what}会把网格 {grid} 分成 {n} 块，而不是 {m} 块",
                    "moving {what} would cut grid {grid} into {n} pieces, not {m}"),
    "same_grid": ("{what}的原网格和目标网格都是 {grid}", "{what} would move from grid {grid} to itself"),
    "exported": ("已导出 {moves} 次调整和 {comments} 条备注到 edits.geojson。",
                 "Exported {moves} moves and {comments} comments to edits.geojson."),
    "imported": ("已导入 {moves} 次调整（拒绝 {refused} 次）和 {comments} 条备注；导入前的审核记录已被替换。",
                 "Imported {moves} moves ({refused} refused) and {comments} comments; the "
                 "session before the import was replaced."),
    "import_failed": ("无法读取 {file}：{why}。", "Could not read {file}: {why}."),
    "unknown_home": ("本规划中没有有住户的{what}", "no {what} with households in this plan"),
    "unknown_grid": ("本规划中没有网格 {grid}", "no grid {grid} in this plan"),
    "from_mismatch": ("{what}在网格 {now} 中，而不是 {grid}（{why}）",
                      "{what} is in grid {now}, not {grid} ({why})"),
    "moved_by_edit": ("已随所在小区由第 {edit} 条修改移走", "moved with its compound by edit {edit}"),
    "other_plan": ("这些修改是否来自另一个规划？", "edits made on another plan?"),
    "commented": ("已为{target}添加备注。", "Comment added to {target}."),
    "empty_comment": ("请先填写备注。", "Write a comment first."),
}


def _names(*entries) -> dict[str, str]:
    """Name → word key, from names that are word keys themselves or (name, key) pairs."""
    return dict(e if isinstance(e, tuple) else (e, e) for e in entries)


#: The map's words by the names the map code asks for (a column's name for its popup label).
MAP = _names(
    ("title", "map_title"), "layer_grids", "layer_special", ("layer_communities", "communities"),
    ("layer_stations", "stations"), "layer_isochrones", ("layer_proposed", "proposed_stations"),
    "layer_uncovered", "layer_homes", "layer_circles", ("layer_coverage", "coverage_area"),
    "streets", "water", "buildings", "base_osm", "base_amap", "base_tianditu",
    "grid_id", "community_id", ("special_grid_id", "special_grid"), "households", "homes",
    "grids", "units", ("polsby_popper", "compactness"), "share_radius", "share_radius_walk",
    "share_15min", "station_in_reach", "status", "notes", ("name", "station"),
    "served_households", "served_homes", "proposed_rank", "new_households",
    "reach_households", "dist_m", "walk_m", "walk_minutes", "station", "yes", "no",
    "in_range", "below", "above", "unnamed_station",
    "legend", "legend_in_range", "legend_below", "legend_above", "legend_unresolved",
    "legend_community", "legend_station", ("legend_proposed", "proposed_station"),
    "legend_uncovered", "legend_isochrone", ("legend_special", "special_grid"),
    ("legend_coverage", "coverage_area"), "legend_arterial", "legend_local", "legend_path",
    "legend_water", "legend_rail", "legend_buildings", "note_circles",
    "summary", ("s_households", "households"), ("s_homes", "homes"), ("s_grids", "grids"),
    "s_grids_in_range", ("s_communities", "communities"), "s_communities_in_range",
    "s_unresolved", ("s_stations", "stations"), "s_cover_straight", "s_cover_walk",
    "s_cover_15", "s_uncovered", ("s_proposed", "proposed_stations"), "s_staff_grid",
    "s_staff_community", "s_not_measured", "s_not_measured_no_stations", "note_tianditu",
    "note_gcj",
)

#: The review page's words by the names its script reads (``review.js``), in the page's
#: order.
PAGE = _names(
    ("title", "review_title"), "plan", "author", "author_hint", "help", "grid",
    ("community", "community_id"), "households", "homes", "compactness",
    ("within_radius", "share_radius"), ("within_walk", "share_15min"), "neighbours",
    "members", "home", "home_part", "home_title", "home_part_title", "name", "compound",
    "compound_whole", "in_grid", ("covered", "station_in_reach"), "yes", "no", "move_to",
    "no_targets", "comments", "comment_placeholder", "add_comment", "session",
    "session_counts", "undo", "export", "import", "out_of_range", "nothing_selected", "moved",
    "undone", "refused", "compound_what", "not_touch", "empties", "splits", "splits_more",
    "same_grid", "exported", "imported", "import_failed", "unknown_home", "unknown_grid",
    "from_mismatch", "moved_by_edit", "other_plan", "commented", "empty_comment",
)


#: The words of a refused move (and the names in them): gridplan's reasons in summary.json are
#: their English, :func:`reason`, so the page and gridplan refuse a move in the same words.
REFUSALS = ("home", "home_part", "compound_what", "unknown_home", "unknown_grid", "same_grid",
            "from_mismatch", "moved_by_edit", "other_plan", "not_touch", "empties", "splits",
            "splits_more")


def reason(key: str, **values) -> str:
    """The English of the word ``key`` (one of :data:`REFUSALS`) with ``values`` filled in:
    why gridplan refuses a reviewer's move, as the review page says it in English.

    Parameters
    ----------
    key : str
    **values
        The placeholders of the word (``what``, ``grid``, ``n`` ...).
    """
    return WORDS[key][LANGS.index("en")].format(**values)


def check_lang(lang: str) -> str:
    """``lang`` itself when the outputs speak it.

    Raises
    ------
    InputError
        When ``lang`` is not one of :data:`LANGS`.
    """
    if lang not in LANGS:
        raise InputError(f"lang = {lang!r}: expected one of " + ", ".join(LANGS))
    return lang


def _text(names: dict, lang: str) -> dict[str, str]:
    i = LANGS.index(check_lang(lang))
    return {name: WORDS[key][i] for name, key in names.items()}


def map_labels(lang: str, **values) -> dict[str, str]:
    """Every label of the map in ``lang``, with ``{radius}``, ``{lo}`` … filled from ``values``.

    Parameters
    ----------
    lang : {'zh', 'en'}
    **values
        The numbers the labels quote: radius, minutes, lo and hi (grid bounds), clo and chi
        (community bounds); a float is written short (15.0 as 15).

    Returns
    -------
    dict
        Label name (:data:`MAP`) to text.
    """
    values = {k: f"{v:g}" if isinstance(v, float) else v for k, v in values.items()}
    out = {}
    for name, text in _text(MAP, lang).items():
        try:
            out[name] = text.format(**values)
        except (KeyError, IndexError):    # a label that quotes a number not given here
            out[name] = text
    return out


def page_words(lang: str) -> dict[str, str]:
    """The review page's words in ``lang`` by the names its script reads (:data:`PAGE`),
    placeholders left for the page to fill.

    Raises
    ------
    InputError
        For a language other than ``zh`` or ``en``.
    """
    return _text(PAGE, lang)
