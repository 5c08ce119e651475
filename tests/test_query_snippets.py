"""Snippet rules: sentence-bounded fragments, whole words, merged marks, the densest fragment."""

from __future__ import annotations

import re

import pytest

from zhsearch.search.results.snippets import ELLIPSIS, SNIPPET_MAX, highlight, snippet


def plain(html: str) -> str:
    return re.sub(r"</?mark>", "", html)


FILLER = "这是一段与查询无关的填充文字用来把句子拉长" * 3  # 60 characters, no punctuation


@pytest.mark.parametrize("mark", ["。", "！", "？", "；", "…", "……", "!", "?", ";", "."])
def test_fragments_break_at_each_sentence_mark(mark: str) -> None:
    space = " " if mark in "!?;." else ""
    text = f"{FILLER}{FILLER}{mark}{space}目标句子提到碳中和{mark}{space}{FILLER}{FILLER}{mark}"
    # The matching sentence, grown by the next whole sentence; the one before is left out.
    assert snippet(text, ["碳中和"]) == f"{ELLIPSIS}目标句子提到<mark>碳中和</mark>{mark}{space}{FILLER}{FILLER}{mark}"


def test_a_decimal_point_is_not_a_sentence_end() -> None:
    text = FILLER * 2 + "。" + "利率下调到3.5个百分点，碳中和债券发行增加。" + FILLER * 2 + "。"
    out = snippet(text, ["碳中和"])
    assert plain(out).startswith(ELLIPSIS + "利率下调到3.5个百分点")


def test_a_long_sentence_is_cut_between_words_with_ellipses() -> None:
    text = "中华人民共和国国务院新闻办公室" * 12 + "宣布碳中和路线图" + "中华人民共和国国务院新闻办公室" * 12 + "。"
    out = snippet(text, ["碳中和"])
    body = plain(out)
    assert body.startswith(ELLIPSIS) and body.endswith(ELLIPSIS)
    inner = body.strip(ELLIPSIS)
    assert 80 <= len(inner) <= SNIPPET_MAX
    assert inner.startswith(("中华人民共和国", "国务院", "新闻", "办公室"))
    assert inner.endswith(("中华人民共和国", "国务院", "新闻", "办公室"))
    assert "<mark>碳中和</mark>" in out


def test_a_long_sentence_prefers_a_clause_mark() -> None:
    text = FILLER * 2 + "，一些铺垫的文字说明在这里然后宣布了碳中和路线图" + FILLER * 3 + "。"
    out = snippet(text, ["碳中和"])
    assert out.startswith(ELLIPSIS + "一些铺垫的文字说明在这里然后宣布了<mark>碳中和</mark>")
    assert out.endswith(ELLIPSIS)


def test_adjacent_matches_are_merged_into_one_mark() -> None:
    out = snippet("各国提出碳中和目标。", ["碳中和", "目标"])
    assert out == "各国提出<mark>碳中和目标</mark>。"


def test_the_densest_fragment_is_chosen() -> None:
    text = "第一句只提到碳中和。" + FILLER * 3 + "。" + "第三句提到碳中和也提到目标。" + FILLER * 3 + "。"
    out = snippet(text, ["碳中和", "目标"])
    assert "第三句提到<mark>碳中和</mark>也提到<mark>目标</mark>" in out


def test_short_text_is_whole_without_ellipsis() -> None:
    assert snippet("碳中和。就这些。", ["碳中和"]) == "<mark>碳中和</mark>。就这些。"


def test_fragments_stay_within_bounds() -> None:
    text = "。".join(f"第{n}句话讲的是碳中和与能源转型的关系" for n in range(40)) + "。"
    body = plain(snippet(text, ["碳中和"])).strip(ELLIPSIS)
    assert 80 <= len(body) <= SNIPPET_MAX


def test_traditional_text_is_highlighted_in_its_own_characters() -> None:
    text = "臺灣資訊業者看好明年景氣，軟體出口成長。"
    assert snippet(text, ["台湾", "资讯"]) == "<mark>臺灣資訊</mark>業者看好明年景氣，軟體出口成長。"
    assert highlight("臺灣資訊業展望", ["台湾"]) == "<mark>臺灣</mark>資訊業展望"


def test_titles_are_highlighted_and_escaped() -> None:
    assert highlight("<b>碳中和</b> & 目标", ["碳中和"]) == "&lt;b&gt;<mark>碳中和</mark>&lt;/b&gt; &amp; 目标"


@pytest.mark.parametrize(
    "text, needle, marked",
    [
        ("目标：碳中和，目标明确", "碳中和，目标", "目标：<mark>碳中和，目标</mark>明确"),
        ("碳中和。目标", "碳中和,目标", "<mark>碳中和。目标</mark>"),  # any separator, as indexed
        ("碳中和 —— 目标", "碳中和，目标", "<mark>碳中和 —— 目标</mark>"),
        ("碳中和目标", "碳中和，目标", "碳中和目标"),  # no separator there: not the phrase
        ("「碳中和」", "“碳中和”", "「<mark>碳中和</mark>」"),  # the needle's own punctuation is trimmed
        ("（碳中和）", "(碳中和", "<mark>（碳中和</mark>）"),  # but marked where the text has it too
        ("增长50%，", "50%", "增长<mark>50%</mark>，"),
        ("增长50，", "50%", "增长<mark>50</mark>，"),
        ("受COVID–19影响", "covid-19", "受<mark>COVID–19</mark>影响"),
        ("COVID-19x", "covid-19", "COVID-19x"),  # Latin and digits whole
        ("中，中，中", "中,中", "<mark>中，中，中</mark>"),  # overlapping matches
        ("美国总统，美国 总统", "美国 总统", "<mark>美国总统</mark>，<mark>美国 总统</mark>"),  # a space: or none
        ("iPhone15 iPhone 15", "iphone 15", "iPhone15 <mark>iPhone 15</mark>"),  # not between Latin words
    ],
)
def test_punctuated_needles_are_marked_with_any_separator_between_their_pieces(
    text: str, needle: str, marked: str
) -> None:
    assert highlight(text, [needle]) == marked
    assert snippet(text, [needle]) == marked


def test_latin_words_are_marked_whole_and_case_insensitively() -> None:
    assert highlight("iPhone IPHONE iPhones", ["iphone"]) == "<mark>iPhone</mark> <mark>IPHONE</mark> iPhones"
