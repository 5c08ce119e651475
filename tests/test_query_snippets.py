"""Snippet rules: sentence-bounded fragments, whole words, merged marks, the densest fragment."""

from __future__ import annotations

import itertools
import re
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from zhsearch.search.results import snippets
from zhsearch.search.results.snippets import ELLIPSIS, SNIPPET_MAX, highlight, mark, match_spans, snippet
from zhsearch.search.text.normalize import Normalized, normalize


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


def test_distinct_matches_count_before_repeated_ones() -> None:
    text = "第一句提到碳中和，碳中和，碳中和。" + FILLER * 3 + "。" + "第三句提到碳中和也提到目标。" + FILLER * 3 + "。"
    assert "第三句提到<mark>碳中和</mark>也提到<mark>目标</mark>" in snippet(text, ["碳中和", "目标"])


def test_matches_differing_in_case_are_one_distinct_match() -> None:
    text = "第一句提到COVID，covid，Covid。" + FILLER * 3 + "。" + "第三句提到covid也提到目标。" + FILLER * 3 + "。"
    assert "第三句提到<mark>covid</mark>也提到<mark>目标</mark>" in snippet(text, ["covid", "目标"])


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


# -- the fast paths give what the plain definitions give -------------------------------------------

def _reference_sentences(text: str) -> list[tuple[int, int]]:
    """Sentences as _SENTENCE_END.finditer over the whole text cuts them."""
    bounds, start = [], 0
    for m in snippets._SENTENCE_END.finditer(text):
        if m.end() > start:
            bounds.append((start, m.end()))
        start = m.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return [(s, e) for s, e in bounds if text[s:e].strip()]


def _reference_densest(text: str, sentences: list[tuple[int, int]], spans: list[tuple[int, int]],
                       bounds: object = None) -> int:
    """Every sentence scored by the matches overlapping it, the best kept (``bounds`` unused)."""
    scores = []
    for i, (s, e) in enumerate(sentences):
        inside = [text[a:b].casefold() for a, b in spans if b > s and a < e]
        scores.append((len(set(inside)), len(inside), -i))
    return max(range(len(sentences)), key=scores.__getitem__)


def _reference_mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """Each character of the window escaped alone, runs of marked characters wrapped."""
    end = len(text) if end is None else end
    marked = [any(a <= i < b for a, b in spans) for i in range(start, end)]
    out = []
    for inside, run in itertools.groupby(zip(marked, text[start:end]), key=lambda pair: pair[0]):
        chars = "".join(str(escape(ch)) for _, ch in run)
        out.append(f"<mark>{chars}</mark>" if inside else chars)
    return "".join(out)


def _identity_offsets(norm: Normalized) -> Normalized:
    """The same normalization with its identity offsets written out (the general path)."""
    if norm.offsets is not None:
        return norm
    return Normalized(norm.text, norm.source, tuple(range(len(norm.source))))


_TEXT_CHARS = st.one_of(
    st.sampled_from(["碳中和", "目标", "國際", "ABC", "。碳中和，碳中和，碳中和。", "。碳中和，目标。",
                     "。ABC，abc，Abc。"]),  # sentences that compete
    st.sampled_from("碳中和目标达峰國際經濟经济发展宣布了一些的文字"),
    st.sampled_from("。！？；…!?;.\n \n\n，、：”）\"'#&<"),
    st.sampled_from("abcABＣ12３"),
    st.sampled_from("\u200b\ufb01"),  # special characters: normalized offsets that are not the identity
)
_NEEDLES = st.lists(st.sampled_from(["碳中和", "目标", "达峰", "国际", "经济", "abc", "12", "碳中和，目标", "的", "。"]),
                    max_size=4)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_TEXT_CHARS, max_size=60).map("".join), max_size=12).map("".join), _NEEDLES,
       st.integers(min_value=1, max_value=8))
def test_snippets_equal_those_of_the_plain_definitions(text: str, needles: list[str], repeat: int) -> None:
    """Candidate sentence ends, the sentences overlapping a match, the window's marks and identity
    offsets give the snippet and highlight that the whole-text definitions give."""
    text *= repeat  # long texts too: the code point array fold, long sentences cut between words
    fast = snippet(text, needles), highlight(text, needles)
    assert snippets._sentences(text) == _reference_sentences(text)
    norm = normalize(text)
    assert match_spans(norm, needles) == match_spans(_identity_offsets(norm), needles)
    with mock.patch.multiple(snippets, _sentences=_reference_sentences, _densest=_reference_densest,
                             mark=_reference_mark):
        assert (snippet(text, needles), highlight(text, needles)) == fast


@given(st.lists(st.sampled_from("碳中和<&\n 。"), max_size=80).map("".join), st.data())
def test_mark_marks_the_spans_inside_its_window_only(text: str, data: st.DataObject) -> None:
    """Spans before, across, inside and after the window: each marked where it meets the window."""
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=12)))
    spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
    spans = [span for i, span in enumerate(spans) if i == 0 or span[0] > spans[i - 1][1]]  # as match_spans merges
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert mark(text, spans, start, end) == _reference_mark(text, spans, start, end)
    assert mark(text, spans) == _reference_mark(text, spans)


def test_mark_of_a_window_inside_a_span_and_between_spans() -> None:
    spans = [(0, 2), (4, 9), (12, 14)]
    text = "碳中和目标<达峰>国际经济发展"
    assert mark(text, spans, 5, 8) == "<mark>&lt;达峰</mark>"  # inside one span, both ends cut
    assert mark(text, spans, 9, 12) == "国际经"  # between two spans
    assert mark(text, spans, 1, 13) == "<mark>中</mark>和目<mark>标&lt;达峰&gt;</mark>国际经<mark>济</mark>"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(_TEXT_CHARS, max_size=60).map("".join), max_size=12).map("".join), _NEEDLES,
       st.integers(min_value=1, max_value=8), st.booleans(), st.booleans())
def test_a_kept_snippet_text_gives_the_snippet_of_the_text(
    text: str, needles: list[str], repeat: int, heading: bool, simplify: bool
) -> None:
    """:func:`snippet` of a text read once by :func:`snippet_text` (kept by a caller for every query)
    is the snippet of the text itself, subheading marks and folded characters included."""
    text = ("## 小标题\n" if heading else "") + text * repeat
    read = snippets.snippet_text(text, simplify=simplify)
    assert snippet(text, needles, simplify=simplify, read=read) == snippet(text, needles, simplify=simplify)
    assert snippet(text, needles[1:], simplify=simplify, read=read) == snippet(text, needles[1:], simplify=simplify)


# -- one pass for all needles finds what one pass per needle found ------------------------------------

def _per_needle_matches(needle: str, text: str) -> list[tuple[int, int]]:
    """Where ``needle`` occurs in ``text``, as match_spans found it before the one-pass search (the
    oracle: its core found by str.find, overlaps included, or its pattern; then Latin/digit ends
    whole runs; then the needle's own lead and trail punctuation where the text has it)."""
    core, pattern = snippets._needle_pattern(needle)
    if not core:
        return []
    check_start = snippets._IS_WORDCHAR(core[0]) is not None
    check_end = snippets._IS_WORDCHAR(core[-1]) is not None
    start = needle.find(core)
    lead, trail = needle[:start].lstrip(), needle[start + len(core) :].rstrip()
    if pattern is not None:
        found = [m.span(1) for m in pattern.finditer(text)]
    else:
        found, at = [], text.find(core)
        while at != -1:
            found.append((at, at + len(core)))
            at = text.find(core, at + 1)
    if check_start or check_end:
        found = [(at, end) for at, end in found
                 if not (check_start and at > 0 and snippets._IS_WORDCHAR(text[at - 1]))
                 and not (check_end and end < len(text) and snippets._IS_WORDCHAR(text[end]))]
    if lead or trail:
        found = [(at - next((n for n in range(len(lead), 0, -1) if text[max(0, at - n) : at] == lead[-n:]), 0),
                  end + next((n for n in range(len(trail), 0, -1) if text[end : end + n] == trail[:n]), 0))
                 for at, end in found]
    return found


def _per_needle_match_spans(norm: Normalized, needles: list[str]) -> list[tuple[int, int]]:
    return _merged([norm.original_span(s, e) for n in {n for n in needles if n} for s, e in _per_needle_matches(n, norm.text)])


_PIECES = st.one_of(
    st.sampled_from("碳中和目标达峰国际经济发展中国人民美国总统國際經濟發達峰臺灣資訊"),  # Han, folded ones
    st.sampled_from(["碳中和", "中国人", "美国总统", "國際經濟", "abc", "ABC", "iPhone", "Ａｂｃ", "12", "３", "2020",
                     "covid-19", "COVID–19", "50%"]),  # words, Latin, digits, full-width forms
    st.sampled_from("。，、：；“”「」（）()!?;. \n-%"),  # punctuation and spaces
    st.sampled_from("\u200b\ufb01…㈱"),  # characters whose fold is not one to one
)
_OVERLAPPING = ["碳中和", "碳中", "中和", "和目标", "中和目标", "中国", "中国人", "国人", "国际", "国际经济", "经济",
                "abc", "bc", "ab", "12", "2", "2020", "iphone", "“碳中和”", "(碳中和", "碳中和，目标", "美国 总统",
                "中,中", "covid-19", "50%", "。", "，", "fi", "...", "达峰", "台湾"]


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=120).map("".join), st.data(), st.booleans())
def test_one_pass_finds_what_each_needle_found_alone(text: str, data: st.DataObject, simplify: bool) -> None:
    """match_spans' single Aho–Corasick pass over every needle's core gives, on random texts with
    Han, folded and traditional characters, Latin words, digits and punctuation, and needles that
    overlap (one inside another, one's end another's start, the same core with other punctuation
    around it), exactly the spans that looking for each needle alone gave."""
    norm = normalize(text, simplify=simplify)
    needles = data.draw(st.lists(st.sampled_from(_OVERLAPPING), max_size=8))
    if norm.text:  # and pieces of the text itself, so that they occur, their ends inside runs too
        for _ in range(data.draw(st.integers(0, 4))):
            start = data.draw(st.integers(0, len(norm.text) - 1))
            needles.append(norm.text[start : start + data.draw(st.integers(1, 6))])
    found = snippets._needles(frozenset(n for n in needles if n)).matches(norm.text) if any(needles) else []
    assert set(found) == {s for n in {n for n in needles if n} for s in _per_needle_matches(n, norm.text)}
    assert match_spans(norm, needles) == _per_needle_match_spans(norm, needles)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _assert_densest_as_defined(text: str, sentences: list[tuple[int, int]], spans: list[tuple[int, int]]) -> None:
    expected = _reference_densest(text, sentences, spans)
    for many in (0, 10**9):  # counted with numpy, or match by match
        with mock.patch.object(snippets, "_MANY_SPANS", many):
            assert snippets._densest(text, sentences, spans) == expected
            assert snippets._densest(text, sentences, spans, snippets._bounds(sentences)) == expected


@pytest.mark.parametrize("text, needles", [
    ("碳中和，碳中和，碳中和。碳中和的目标。", ["碳中和", "目标"]),  # more matches, fewer distinct ones
    ("abc，ABC，Abc。abc的目标。", ["abc", "目标"]),  # differing in case: one distinct string
])
def test_the_densest_sentence_counts_distinct_strings_first(text: str, needles: list[str]) -> None:
    _assert_densest_as_defined(text, snippets._sentences(text), match_spans(normalize(text), needles))
    assert snippets._densest(text, snippets._sentences(text), match_spans(normalize(text), needles)) == 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["碳中和，", "ABC ", "abc，", "目标", "。", "！", " ", "\n", "  \n", "，", "的"]),
                min_size=1, max_size=150).map("".join), st.data())
def test_the_densest_sentence_is_that_of_the_plain_definition(text: str, data: st.DataObject) -> None:
    """Counted with numpy (many matches, the sentence bounds kept or not) or match by match, the
    densest sentence is the one scoring every sentence by the matches overlapping it gives: matches
    inside one sentence, across several, between sentences, repeated and differing in case."""
    sentences = snippets._sentences(text)
    if not sentences:
        return
    needles = data.draw(st.lists(st.sampled_from(["碳中和", "abc", "目标", "的", "和。目标", "c的"]), max_size=4))
    spans = match_spans(normalize(text), needles)  # repeated strings, in several cases, some across sentences
    for _ in range(data.draw(st.integers(0, 8))):
        if data.draw(st.booleans()):  # inside one sentence
            s, e = sentences[data.draw(st.integers(0, len(sentences) - 1))]
            a = data.draw(st.integers(s, e - 1))
            spans.append((a, data.draw(st.integers(a + 1, e))))
        else:  # anywhere
            a = data.draw(st.integers(0, len(text) - 1))
            spans.append((a, data.draw(st.integers(a + 1, min(len(text), a + 12)))))
    _assert_densest_as_defined(text, sentences, _merged(spans))
