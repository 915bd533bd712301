"""The words of the review page, in Chinese and English (messages in English read as
gridplan's own reasons in ``summary.json``)."""

from __future__ import annotations

from ...errors import InputError

LANGS = ("zh", "en")

_EN = {
    "title": "gridplan review: move homes between grids",
    "plan": "{grids} grids of {lo}–{hi} households, {households} households",
    "author": "Your name",
    "author_hint": "kept in this browser, written into every edit",
    "help": "Click a grid to see it and its neighbours. Click a home (dot) to select it, then "
            "click a neighbouring grid (dashed outline) to move it there. Counts update at once "
            "and turn red outside {lo}–{hi}; a move that would split a grid is refused.",
    "grid": "Grid {grid}",
    "community": "Community",
    "households": "Households",
    "homes": "Homes",
    "compactness": "Compactness (Polsby-Popper)",
    "within_radius": "Within {radius} m",
    "within_walk": "Within a {minutes}-min walk",
    "neighbours": "Neighbouring grids",
    "members": "Homes in this grid",
    "home": "home {home}",
    "home_part": "home {home} part {part}",
    "home_title": "Home {home}",
    "home_part_title": "Home {home}, part {part}",
    "name": "Name",
    "compound": "Compound",
    "compound_whole": "{compound} ({n} homes, {households} households; moves as one)",
    "in_grid": "Grid",
    "covered": "Station within {radius} m",
    "yes": "yes",
    "no": "no",
    "move_to": "Move to a neighbouring grid (click it on the map, or here):",
    "no_targets": "It touches no other grid.",
    "comments": "Comments",
    "comment_placeholder": "e.g. shares a gate with building 12",
    "add_comment": "Add comment",
    "session": "This session",
    "session_counts": "{moves} moves, {comments} comments",
    "undo": "Undo last move",
    "export": "Export edits.geojson",
    "import": "Import edits to continue",
    "out_of_range": "Grids outside {lo}–{hi} (gridplan will refuse the last move that took "
                    "each there):",
    "nothing_selected": "Nothing selected.",
    "moved": "Moved {what} from {src} ({a} → {b} households) to {dst} ({c} → {d}).",
    "undone": "Undid the move of {what} from {src} to {dst}.",
    "refused": "Refused: {why}.",
    "compound_what": "{home} and its compound {compound} ({n} homes)",
    "not_touch": "{what} does not touch grid {grid}: a home moves only to a grid next to it",
    "empties": "moving {what} would leave grid {grid} with no homes",
    "splits": "moving {what} would split grid {grid} into {n} pieces",
    "splits_more": "moving {what} would cut grid {grid} into {n} pieces, not {m}",
    "same_grid": "{what} is already in grid {grid}",
    "exported": "Exported {moves} moves and {comments} comments to edits.geojson.",
    "imported": "Imported {moves} moves ({refused} refused) and {comments} comments; the "
                "session before the import was replaced.",
    "import_failed": "Could not read {file}: {why}.",
    "unknown_home": "no {what} in this page",
    "unknown_grid": "no grid {grid} in this page",
    "from_mismatch": "{what} is in grid {now}, not {grid}",
    "commented": "Comment added to {target}.",
    "empty_comment": "Write a comment first.",
}

_ZH = {
    "title": "gridplan 网格审核：在网格之间调整楼栋",
    "plan": "{grids} 个网格（每格 {lo}–{hi} 户），共 {households} 户",
    "author": "审核人",
    "author_hint": "保存在本浏览器中，写入每条修改",
    "help": "点击网格查看其信息和相邻网格。点击楼栋（圆点）选中它，再点击相邻网格（虚线轮廓）即可移入。"
            "户数即时更新，超出 {lo}–{hi} 时变红；会把网格分成两块的调整将被拒绝。",
    "grid": "网格 {grid}",
    "community": "社区",
    "households": "户数",
    "homes": "楼栋",
    "compactness": "紧凑度（Polsby-Popper）",
    "within_radius": "{radius} 米内",
    "within_walk": "步行 {minutes} 分钟内",
    "neighbours": "相邻网格",
    "members": "本网格的楼栋",
    "home": "楼栋 {home}",
    "home_part": "楼栋 {home} 第 {part} 部分",
    "home_title": "楼栋 {home}",
    "home_part_title": "楼栋 {home}，第 {part} 部分",
    "name": "名称",
    "compound": "小区",
    "compound_whole": "{compound}（{n} 栋，{households} 户；整体调整）",
    "in_grid": "所在网格",
    "covered": "{radius} 米内有站点",
    "yes": "是",
    "no": "否",
    "move_to": "移入相邻网格（在地图上点击，或点这里）：",
    "no_targets": "它不与其他网格相邻。",
    "comments": "备注",
    "comment_placeholder": "例如：与 12 号楼共用一个大门",
    "add_comment": "添加备注",
    "session": "本次审核",
    "session_counts": "{moves} 次调整，{comments} 条备注",
    "undo": "撤销上一次调整",
    "export": "导出 edits.geojson",
    "import": "导入修改继续审核",
    "out_of_range": "超出 {lo}–{hi} 户的网格（gridplan 将拒绝使其超出的最后一次调整）：",
    "nothing_selected": "未选中任何对象。",
    "moved": "已将{what}从 {src}（{a} → {b} 户）移入 {dst}（{c} → {d} 户）。",
    "undone": "已撤销{what}从 {src} 到 {dst} 的调整。",
    "refused": "已拒绝：{why}。",
    "compound_what": "{home}及其所在小区 {compound}（{n} 栋）",
    "not_touch": "{what}与网格 {grid} 不相邻：楼栋只能移入相邻网格",
    "empties": "移走{what}后网格 {grid} 将没有楼栋",
    "splits": "移走{what}会把网格 {grid} 分成 {n} 块",
    "splits_more": "移走{what}会把网格 {grid} 分成 {n} 块，而不是 {m} 块",
    "same_grid": "{what}已在网格 {grid} 中",
    "exported": "已导出 {moves} 次调整和 {comments} 条备注到 edits.geojson。",
    "imported": "已导入 {moves} 次调整（拒绝 {refused} 次）和 {comments} 条备注；导入前的审核记录已被替换。",
    "import_failed": "无法读取 {file}：{why}。",
    "unknown_home": "本页没有{what}",
    "unknown_grid": "本页没有网格 {grid}",
    "from_mismatch": "{what}在网格 {now} 中，而不是 {grid}",
    "commented": "已为{target}添加备注。",
    "empty_comment": "请先填写备注。",
}

WORDS = {"en": _EN, "zh": _ZH}


def words(lang: str) -> dict:
    """The page's words in ``lang``.

    Raises
    ------
    InputError
        For a language other than ``zh`` or ``en``.
    """
    if lang not in WORDS:
        raise InputError(f"lang = {lang!r}: expected one of " + ", ".join(LANGS))
    return dict(WORDS[lang])
