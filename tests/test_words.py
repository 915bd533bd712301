"""One zh/en words table for the outputs: each word once, the map and the review page saying
the same thing the same way, in the language asked for."""

from __future__ import annotations

import re
import string

import pytest

import gridplan as gp
from gridplan.outputs.words import (LANGS, MAP, PAGE, REFUSALS, WORDS, check_lang, map_labels,
                                    page_words, reason)


def _fields(text: str) -> set:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_each_word_is_in_the_table_once():
    pairs = list(WORDS.values())
    twice = {p for p in pairs if pairs.count(p) > 1}
    assert not twice, f"the same word under two keys: {twice}"


def test_every_word_says_the_same_numbers_in_chinese_and_english():
    for key, (zh, en) in WORDS.items():
        assert _fields(zh) == _fields(en), key
        # the page fills {name} in its script: no format specs, which only Python reads
        assert not re.search(r"\{\w+[:!]", zh + en), key


def test_the_map_and_the_review_page_take_a_shared_concept_from_one_word():
    for lang in LANGS:
        page, labels = page_words(lang), map_labels(lang)
        assert page["within_radius"] == labels["share_radius"]
        assert page["within_walk"] == labels["share_15min"]
        assert page["covered"] == labels["station_in_reach"]
        assert page["compactness"] == labels["polsby_popper"]
        assert page["households"] == labels["households"] == labels["s_households"]
        assert labels["layer_coverage"] == labels["legend_coverage"]
    assert set(MAP.values()) | set(PAGE.values()) == set(WORDS), "a word nobody shows"


def test_map_labels_fill_the_plans_numbers():
    labels = map_labels("zh", radius="500", minutes=15.0, lo=300, hi=500)
    assert labels["share_15min"] == "15 分钟步行覆盖率"          # 15.0 written as 15
    assert labels["legend_in_range"] == "网格户数 300–500"
    assert map_labels("en", minutes=7.5)["legend_isochrone"] == "7.5-minute walk"


def test_an_unknown_language_is_refused_with_the_languages_there_are():
    assert check_lang("en") == "en"
    with pytest.raises(gp.InputError, match="lang = 'fr': expected one of zh, en"):
        page_words("fr")
    with pytest.raises(gp.InputError, match="lang = 'fr'"):
        map_labels("fr")


def test_gridplan_refuses_a_move_in_the_pages_english_words():
    # every word of a refusal reaches the page, whose script fills the same placeholders
    assert set(REFUSALS) <= set(PAGE.values())
    assert reason("from_mismatch", what=reason("home", home=7), now="C01-02", grid="C01-03",
                  why=reason("moved_by_edit", edit=4)) == \
        "home 7 is in grid C01-02, not C01-03 (moved with its compound by edit 4)"
    assert reason("unknown_grid", grid="Z99-01") == page_words("en")["unknown_grid"].format(
        grid="Z99-01")
