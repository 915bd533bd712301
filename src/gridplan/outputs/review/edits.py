"""Read an ``edits.geojson`` exported from ``review.html``: moves and comments, checked field by
field (a bad file is an InputError naming the feature and the field)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import InputError

#: The ``type`` of each kind of edit.
KINDS = ("move", "comment")
#: What a comment may be attached to.
TARGETS = ("grid", "home")


@dataclass(frozen=True)
class Move:
    """Move a home (or a building part) of the reviewed plan to another grid.

    ``edit`` is the feature's number in the file, counting from 1.
    """

    edit: int
    home_index: int
    part: int
    from_grid: str
    to_grid: str
    author: str = ""
    time: str = ""


@dataclass(frozen=True)
class Comment:
    """A note on a grid (``grid_id``) or on a home (``home_index``, ``part``)."""

    edit: int
    target: str
    text: str
    grid_id: str | None = None
    home_index: int | None = None
    part: int | None = None
    author: str = ""
    time: str = ""

    def label(self) -> str:
        """The comment as one line for a table: ``text (author, time)``."""
        who = ", ".join(v for v in (self.author, self.time) if v)
        return f"{self.text} ({who})" if who else self.text


@dataclass
class Edits:
    """The edits of a review session, in the order they were made.

    Attributes
    ----------
    moves, comments : list
    plan_key : str or None
        The key of the plan the review page was made from (``ReviewGraph.key``).
    source : str
        The file they came from (or ``"edits"`` for a dict).
    """

    moves: list[Move] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    plan_key: str | None = None
    source: str = "edits"


def read_edits(source, *, max_mb: float | None = None, max_count: int | None = None) -> Edits:
    """Moves and comments from an edits file (or the same FeatureCollection as a dict).

    Parameters
    ----------
    source : str, Path or dict
        ``edits.geojson`` as exported by ``review.html``: a GeoJSON FeatureCollection whose
        features have ``properties.type`` ``"move"`` (``home_index``, ``part``, ``from_grid``,
        ``to_grid``) or ``"comment"`` (``target`` ``"grid"`` with ``grid_id``, or ``"home"``
        with ``home_index`` and ``part``; ``text``), each with optional ``author`` and ``time``.
    max_mb, max_count : optional
        The largest file (MB) and the most features read; default
        ``PlanConfig.edits_max_mb`` and ``PlanConfig.edits_max_count``.

    Returns
    -------
    Edits

    Raises
    ------
    InputError
        When the file is missing, not JSON or not a FeatureCollection, or a feature lacks a
        field or holds a wrong value: the error names the file, the feature (``row``, from 1)
        and the field (``column``).
    """
    from ...config import PlanConfig
    max_mb = PlanConfig.edits_max_mb if max_mb is None else max_mb
    max_count = PlanConfig.edits_max_count if max_count is None else max_count
    if isinstance(source, dict):
        data, name = source, "edits"
    else:
        path = Path(source)
        name = str(path)
        if not path.is_file():
            raise InputError("no such file: expected an edits.geojson exported from "
                             "review.html", file=path)
        size = path.stat().st_size
        if size > max_mb * 1e6:
            raise InputError(f"{size / 1e6:,.1f} MB: expected an edits file of at most "
                             f"{max_mb:g} MB (edits_max_mb)", file=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except RecursionError:
            raise InputError("nested too deeply: expected a GeoJSON FeatureCollection of "
                             "edits", file=path) from None
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text: expected an edits.geojson exported from "
                             "review.html", file=path) from None
        except json.JSONDecodeError as e:
            raise InputError(f"not JSON ({e.msg}, line {e.lineno}): expected a GeoJSON "
                             f"FeatureCollection of edits", file=path) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        got = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"type = {got!r}: expected a GeoJSON FeatureCollection of edits",
                         file=name, column="type")
    features = data.get("features")
    if not isinstance(features, list):
        raise InputError("expected a list of features", file=name, column="features")
    if len(features) > max_count:
        raise InputError(f"{len(features):,} features: expected at most {max_count:,} edits "
                         "(edits_max_count)", file=name, column="features")
    meta = data.get("gridplan") if isinstance(data.get("gridplan"), dict) else {}
    out = Edits(plan_key=meta.get("plan") if isinstance(meta.get("plan"), str) else None,
                source=name)
    for i, feat in enumerate(features, start=1):
        edit = _edit(feat, i, name)
        (out.moves if isinstance(edit, Move) else out.comments).append(edit)
    return out


def _edit(feat, i: int, file: str) -> Move | Comment:
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        raise InputError("expected a GeoJSON Feature", file=file, row=i, column="type")
    props = feat.get("properties")
    if not isinstance(props, dict):
        raise InputError("expected an object of properties", file=file, row=i,
                         column="properties")
    field_ = _Fields(props, i, file)
    kind = field_.text("type")
    if kind not in KINDS:
        raise InputError(f"type = {kind!r}: expected one of " + ", ".join(map(repr, KINDS)),
                         file=file, row=i, column="type")
    who = {"author": field_.text("author", required=False),
           "time": field_.text("time", required=False)}
    if kind == "move":
        return Move(edit=i, home_index=field_.whole("home_index"), part=field_.whole("part"),
                    from_grid=field_.text("from_grid"), to_grid=field_.text("to_grid"), **who)
    target = field_.text("target")
    if target not in TARGETS:
        raise InputError(f"target = {target!r}: expected one of " + ", ".join(map(repr, TARGETS)),
                         file=file, row=i, column="target")
    text = field_.text("text")
    if target == "grid":
        return Comment(edit=i, target=target, text=text, grid_id=field_.text("grid_id"), **who)
    return Comment(edit=i, target=target, text=text, home_index=field_.whole("home_index"),
                   part=field_.whole("part"), **who)


class _Fields:
    """Typed reads of one feature's properties, each failing with the field's name."""

    def __init__(self, props: dict, row: int, file: str):
        self.props, self.row, self.file = props, row, file

    def _fail(self, name: str, what: str):
        raise InputError(what, file=self.file, row=self.row, column=name)

    def text(self, name: str, required: bool = True) -> str:
        v = self.props.get(name)
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                self._fail(name, "missing: expected text")
            return ""
        if not isinstance(v, str):
            self._fail(name, f"expected text, got {json.dumps(v)}")
        return v.strip()

    def whole(self, name: str) -> int:
        v = self.props.get(name)
        if v is None:
            self._fail(name, "missing: expected a whole number >= 0")
        if (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
                or v != int(v) or v < 0):
            self._fail(name, f"expected a whole number >= 0, got {json.dumps(v)}")
        return int(v)
