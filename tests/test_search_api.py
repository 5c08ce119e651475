"""The Python API of ``search/``: typed frozen results, exact totals, paging, the query language."""

from __future__ import annotations

import dataclasses
import gc
import html
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhsearch.search import (
    Document,
    DocumentNotFoundError,
    Hit,
    IndexNotFoundError,
    InvalidArgumentError,
    SearchIndex,
    SearchPage,
)

from conftest import (
    AI,
    ARTICLES,
    ATT,
    BASKETBALL,
    BOILERPLATE,
    CARBON,
    FULLWIDTH,
    HOSTILE,
    IPHONE,
    NO_DATE,
    PERCENT,
    REPORTER,
    TAIWAN,
    TITLE_ONLY,
    TYPHOON,
)

# Every "<" in a snippet or title_html must open or close a <mark>: nothing else is markup.
STRAY_MARKUP = re.compile(r"<(?!/?mark>)")
# A "&" that does not start a character reference, or a raw quote: not HTML-escaped.
UNESCAPED = re.compile(r"&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)|\"|'")


def ids(page: SearchPage) -> set[str]:
    return {h.id for h in page.hits}


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def assert_html_safe(html: str) -> None:
    assert STRAY_MARKUP.search(html) is None, html
    without_tags = re.sub(r"</?mark>", "", html)
    assert ">" not in without_tags, html
    assert UNESCAPED.search(without_tags) is None, html


# -- result objects ---------------------------------------------------------------------------


def test_results_are_frozen_dataclasses(index: SearchIndex) -> None:
    page = index.search("碳达峰")
    assert isinstance(page, SearchPage)
    assert isinstance(page.hits, tuple)
    hit = page.hits[0]
    assert isinstance(hit, Hit)
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.total = 99  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.title = "changed"  # type: ignore[misc]
    doc = index.document(CARBON)
    assert isinstance(doc, Document)
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.text = ""  # type: ignore[misc]


def test_results_outlive_the_searcher(index: SearchIndex) -> None:
    page = index.search("记者", limit=3)
    index.refresh()
    # Plain values, no live Whoosh objects: usable after the searcher closed.
    assert all(isinstance(h.score, float) and h.score > 0 for h in page.hits)
    assert page.to_dict()["total"] == page.total


def test_hit_dates_are_iso_8601_utc(index: SearchIndex) -> None:
    hit = index.search("碳达峰").hits[0]
    assert hit.id == CARBON
    assert hit.date == "2021-05-10T02:00:00+00:00"
    assert datetime.fromisoformat(hit.date).tzinfo is not None
    doc = index.document(CARBON)
    assert doc.date == datetime(2021, 5, 10, 2, 0, tzinfo=timezone.utc)


# -- totals and paging ------------------------------------------------------------------------


def test_total_is_exact(index: SearchIndex) -> None:
    page = index.search("记者", limit=2)
    assert page.total == len(REPORTER)
    assert len(page.hits) == 2
    assert page.pages == 5


def test_pages_partition_the_results(index: SearchIndex) -> None:
    seen: list[str] = []
    for n in (1, 2, 3):
        page = index.search("记者", page=n, limit=4)
        assert page.page == n and page.limit == 4 and page.total == len(REPORTER)
        seen.extend(h.id for h in page.hits)
    assert len(seen) == len(set(seen)) == len(REPORTER)
    assert set(seen) == REPORTER


def test_page_two_continues_page_one(index: SearchIndex) -> None:
    both = [h.id for h in index.search("记者", limit=6).hits]
    first = [h.id for h in index.search("记者", page=1, limit=3).hits]
    second = [h.id for h in index.search("记者", page=2, limit=3).hits]
    assert first + second == both


def test_page_past_the_end_is_empty_with_the_same_total(index: SearchIndex) -> None:
    page = index.search("记者", page=50, limit=10)
    assert page.hits == ()
    assert page.total == len(REPORTER)
    assert page.page == 50


def test_empty_query_lists_everything_newest_first(index: SearchIndex) -> None:
    page = index.search("", limit=100)
    assert page.total == len(ARTICLES) == len(index)
    dates = [h.date for h in page.hits if h.date is not None]
    assert dates == sorted(dates, reverse=True)
    assert len(dates) == len(ARTICLES) - 1


def test_article_without_metadata_has_nulls(index: SearchIndex) -> None:
    hit = index.search("烟火气").hits[0]
    assert hit.id == NO_DATE
    assert (hit.date, hit.source, hit.url) == (None, None, None)
    assert index.document(NO_DATE).to_dict()["date"] is None


@pytest.mark.parametrize("kwargs", [{"limit": 0}, {"limit": 101}, {"page": 0}, {"page": 1001}, {"limit": -1}])
def test_out_of_range_paging_raises(index: SearchIndex, kwargs: dict[str, int]) -> None:
    with pytest.raises(InvalidArgumentError, match=r"(limit|page) must be between 1 and \d+, not -?\d+"):
        index.search("记者", **kwargs)


@pytest.mark.parametrize("kwargs", [{"limit": 1}, {"limit": 100}, {"page": 1000}])
def test_paging_bounds_are_inclusive(index: SearchIndex, kwargs: dict[str, int]) -> None:
    assert index.search("记者", **kwargs).total == len(REPORTER)


# -- what finds what --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("达峰", {CARBON}),  # inside a jieba word
        ("碳达峰", {CARBON}),
        ("2030年", {CARBON}),
        ("2030年前", {CARBON}),
        ("台湾", {TAIWAN}),  # simplified finds traditional
        ("臺灣", {TAIWAN}),
        ("资讯", {TAIWAN}),
        ("資訊", {TAIWAN}),
        ("abc123", {FULLWIDTH}),  # half-width finds full-width
        ("ＡＢＣ１２３", {FULLWIDTH}),
        ("ABC123", {FULLWIDTH}),
        ("iphone14", {IPHONE}),
        ("IPHONE14", {IPHONE}),
        ("iPhone14", {IPHONE}),
        ("5G", {IPHONE}),
        ("5g", {IPHONE}),
        ("COVID-19", {IPHONE}),
        ("covid", {IPHONE}),
        ("雹", {TYPHOON}),  # a single character
        ("AT&T", {ATT}),
        ("50%", {PERCENT}),
        ("快讯", {PERCENT, TITLE_ONLY}),
        ("暴雨蓝色预警", {TITLE_ONLY}),  # title only, empty body
        ('"不存在的词语组合"', set()),  # quoted: exact
        ("鸵鸟麒麟", set()),  # words no article has, even one at a time
    ],
)
def test_query_finds_exactly(index: SearchIndex, query: str, expected: set[str]) -> None:
    page = index.search(query, limit=100)
    assert ids(page) == expected
    assert page.total == len(expected)


def test_latin_terms_match_whole_runs_only(index: SearchIndex) -> None:
    # "iphone" is not a token of "iPhone14": the character index keeps letter-digit runs whole.
    assert index.search("iphone").total == 0
    assert index.search("phone14").total == 0


def test_single_character_in_many_documents(index: SearchIndex) -> None:
    page = index.search("者", limit=100)
    assert REPORTER <= ids(page)


def test_or_matches_either(index: SearchIndex) -> None:
    page = index.search("篮球 OR 台风")
    assert ids(page) == {BASKETBALL, TYPHOON}
    assert page.warnings == ()


def test_space_means_and(index: SearchIndex) -> None:
    assert ids(index.search("记者 台风")) == {TYPHOON}
    assert index.search("篮球 台风").total == 0


@pytest.mark.parametrize("query", ["记者 -台风", "记者 NOT 台风"])
def test_exclusion(index: SearchIndex, query: str) -> None:
    page = index.search(query, limit=100)
    assert ids(page) == REPORTER - {TYPHOON}


def test_only_exclusions_match_everything_else_with_a_warning(index: SearchIndex) -> None:
    page = index.search("-记者", limit=100)
    assert ids(page) == ARTICLES - REPORTER
    assert page.warnings == ("a query of only exclusions matches everything else",)


def test_quoted_phrase_needs_adjacent_text(index: SearchIndex) -> None:
    assert ids(index.search("人工 技术")) == {AI}
    assert index.search('"人工 技术"').total == 0
    assert ids(index.search('"人工智能技术"')) == {AI}
    # Punctuation and spaces between the characters of the text do not break a phrase.
    assert ids(index.search('"碳达峰 行动方案"')) == set()
    assert ids(index.search('"2030年前实现碳达峰"')) == {CARBON}


def test_excluded_terms_are_not_highlighted(index: SearchIndex) -> None:
    hit = index.search("记者 -台风 碳达峰").hits[0]
    assert hit.id == CARBON
    assert set(marked(hit.snippet)) == {"记者", "碳达峰"}


# -- malformed queries never raise --------------------------------------------------------------


@pytest.mark.parametrize(
    "query, warning",
    [
        ('"碳达峰', "an unclosed quote was closed at the end of the query"),
        ("碳达峰 OR", "a trailing OR/NOT had nothing after it and was ignored"),
        ("碳达峰 NOT", "a trailing OR/NOT had nothing after it and was ignored"),
        ("OR 碳达峰", "OR at the start of the query was ignored"),
        ("碳达峰 ！？。", "ignored “！？。”: it has no letters, digits or characters"),
        ("碳达峰 -", "ignored “-”: it has no letters, digits or characters"),
    ],
)
def test_malformed_query_is_used_leniently_with_a_warning(index: SearchIndex, query: str, warning: str) -> None:
    page = index.search(query)
    assert warning in page.warnings
    assert ids(page) == {CARBON}


@pytest.mark.parametrize("query", ["OR", "NOT", '"', "！？。", "-", "--", "OR OR", "（）", "\x00", "\u200b"])
def test_query_without_terms_never_raises_and_says_why(index: SearchIndex, query: str) -> None:
    page = index.search(query)
    assert page.warnings, f"{query!r} was silently ignored"


def test_empty_phrase_is_reported(index: SearchIndex) -> None:
    page = index.search('""')
    assert page.warnings


def test_overlong_query_is_cut_with_a_warning(index: SearchIndex) -> None:
    page = index.search("碳达峰 " + "记" * 20000)
    # A text this long is searched as any of its words (see tests/test_query_long.py).
    assert page.warnings[0] == "the query was cut to its first 20000 characters"
    assert page.warnings[1].startswith("the query is long, so it was searched as any of its")


@pytest.mark.parametrize("query", ['"a" OR -"b" NOT', "((碳达峰", "碳达峰:", "title:碳达峰", "*", "碳*", "?", "\\", "&&||"])
def test_query_syntax_of_other_engines_never_raises(index: SearchIndex, query: str) -> None:
    page = index.search(query)
    assert page.total >= 0


# -- documents ------------------------------------------------------------------------------


def test_document_by_id(index: SearchIndex) -> None:
    doc = index.document(TAIWAN)
    assert doc.id == doc.path == TAIWAN
    assert doc.title == "臺灣資訊業者看好明年景氣"
    assert doc.source == "中央社"
    assert doc.categories == ("中央社", "產經")
    assert doc.text.split("\n\n")[0].startswith("中央社記者台北14日電 臺灣資訊服務業者")


def test_document_text_is_clean_paragraphs(index: SearchIndex) -> None:
    text = index.document(BOILERPLATE).text
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("新华社记者15日从中国人民银行获悉")
    for residue in ("原标题", "责任编辑", "&#123;", "{", "appendQr", "尽在新浪财经APP", "<", "　"):
        assert residue not in text


def test_title_only_document_has_empty_text(index: SearchIndex) -> None:
    doc = index.document(TITLE_ONLY)
    assert doc.title == "快讯：暴雨蓝色预警解除"
    assert doc.text == ""
    hit = index.search("蓝色预警").hits[0]
    assert hit.snippet == ""
    assert marked(hit.title_html) == ["蓝色预警"]


@pytest.mark.parametrize("doc_id", ["nope.md", "notes.md", "binary.md", "../conftest.py", "", TAIWAN.upper()])
def test_unknown_document_raises(index: SearchIndex, doc_id: str) -> None:
    with pytest.raises(DocumentNotFoundError, match=re.escape(repr(doc_id))):
        index.document(doc_id)


def test_documents_lists_every_indexed_article(index: SearchIndex) -> None:
    assert {d.id for d in index.documents()} == ARTICLES
    assert len(index) == len(ARTICLES)


def test_stats(index: SearchIndex) -> None:
    stats = index.stats()
    assert stats.documents == len(ARTICLES)
    assert sum(stats.sources.values()) == len(ARTICLES)
    assert stats.first_date == "2020-08-03T20:30:00+00:00"
    assert stats.last_date == "2022-09-08T01:15:00+00:00"
    assert stats.to_dict()["documents"] == len(ARTICLES)


def test_open_missing_index_raises(tmp_path) -> None:
    with pytest.raises(IndexNotFoundError, match="no zhsearch index at"):
        SearchIndex.open(tmp_path / "missing")


# -- snippets and highlighting --------------------------------------------------------------


def test_traditional_match_marks_the_original_characters(index: SearchIndex) -> None:
    hit = index.search("台湾").hits[0]
    assert hit.id == TAIWAN
    assert marked(hit.snippet) == ["臺灣"]
    assert marked(hit.title_html) == ["臺灣"]


def test_full_width_match_marks_the_full_width_characters(index: SearchIndex) -> None:
    hit = index.search("abc123").hits[0]
    assert marked(hit.snippet) == ["ＡＢＣ１２３"]
    assert marked(hit.title_html) == ["ＡＢＣ１２３"]


def test_case_insensitive_match_marks_the_original_case(index: SearchIndex) -> None:
    hit = index.search("IPHONE14").hits[0]
    assert marked(hit.snippet)[0] == "iPhone14"
    assert marked(hit.title_html) == ["iPhone14"]


def test_snippet_escapes_the_article_text(index: SearchIndex) -> None:
    hit = index.search("onerror").hits[0]
    assert hit.id == HOSTILE
    assert "&lt;img src=x <mark>onerror</mark>=alert(1)&gt;" in hit.snippet
    assert_html_safe(hit.snippet)
    assert hit.title_html.startswith("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert_html_safe(hit.title_html)


def test_snippet_escapes_ampersands_and_quotes(index: SearchIndex) -> None:
    hit = index.search("毫米波").hits[0]
    assert hit.id == ATT
    assert "AT&amp;T" in hit.snippet
    assert "&lt; 预期 &amp; 设备" in hit.snippet
    assert "<mark>毫米波</mark>" in hit.snippet
    assert_html_safe(hit.snippet)
    assert_html_safe(hit.title_html)


def test_mark_covers_an_ampersand_match(index: SearchIndex) -> None:
    hit = index.search("AT&T").hits[0]
    assert marked(hit.snippet) == ["AT&amp;T"]


@pytest.mark.parametrize("query", ["记者", "<script>", "alert", "&", '"', "mark", "<mark>", "1", "x"])
def test_every_snippet_is_html_safe(index: SearchIndex, query: str) -> None:
    for hit in index.search(query, limit=100).hits:
        assert_html_safe(hit.snippet)
        assert_html_safe(hit.title_html)


def test_snippet_is_bounded(index: SearchIndex) -> None:
    for hit in index.search("", limit=100).hits:
        assert len(re.sub(r"</?mark>", "", hit.snippet)) <= 170


def test_highlight_of_full_text(index: SearchIndex) -> None:
    html = index.highlight("臺灣 <b>資訊</b> & 台湾", "台湾")
    assert html == "<mark>臺灣</mark> &lt;b&gt;資訊&lt;/b&gt; &amp; <mark>台湾</mark>"


# -- properties ---------------------------------------------------------------------------------


query_text = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=()), max_size=30),
    st.lists(
        st.sampled_from(["记者", "OR", "NOT", "-", '"', "臺灣", "abc123", "ＡＢＣ", "iPhone14", "&", "<", "（", "*", ":", "\\"]),
        max_size=8,
    ).map(" ".join),
)
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(query=query_text)
def test_any_query_string_is_answered(index: SearchIndex, query: str) -> None:
    page = index.search(query, limit=5)
    assert 0 <= len(page.hits) <= 5
    assert page.total >= len(page.hits)
    for hit in page.hits:
        assert_html_safe(hit.snippet)
        assert_html_safe(hit.title_html)


@PROPERTY
@given(text=st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60), query=query_text)
def test_highlight_only_adds_marks(index: SearchIndex, text: str, query: str) -> None:
    highlighted = index.highlight(text, query)
    assert STRAY_MARKUP.search(highlighted) is None
    assert html.unescape(re.sub(r"</?mark>", "", highlighted)) == text


# -- what is kept per document ------------------------------------------------------------------


def test_what_is_kept_per_document_is_not_walked_by_the_garbage_collector(index_dir: Path) -> None:
    # Every full collection walks each object the collector tracks (about a microsecond each);
    # the texts, snippet reads and hits kept for tens of thousands of documents must not add to it.
    with SearchIndex.open(index_dir) as index:
        text = index.document(CARBON).text
        queries = ["碳达峰", "台风", "iPhone", "人工智能 发展", text[:200].replace("\n", "")]
        first = [index.search(q).to_dict() for q in queries]
        assert [index.search(q).to_dict() for q in queries] == first  # the second time from what was kept
        # A collection untracks a tuple it sees holding untracked objects only: a level of nesting
        # each at worst (an entry, its snippet read, the sentences, a sentence's bounds).
        for _ in range(8):
            gc.collect()
        kept = {kind: [entry for entry in recent._values.values()] for kind, (_, recent) in index._kept_texts.items()}
        assert kept["hits"] and kept["snippets"] and kept["clauses"]
        assert {kind: [e for e in entries if gc.is_tracked(e)] for kind, entries in kept.items()} == {k: [] for k in kept}
