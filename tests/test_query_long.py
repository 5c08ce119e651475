"""A pasted paragraph is searched as a ranked match of any of its words, with a warning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from zhsearch.search import Document, IndexWriter, SearchIndex, open_index

DOCS = [
    Document(id="rate", path="rate", title="央行下调利率", text="中国人民银行宣布下调贷款市场报价利率，以支持实体经济。"),
    Document(id="bank", path="bank", title="银行业绩", text="多家银行公布季度业绩，净利润增长。"),
    Document(id="sport", path="sport", title="足球联赛", text="周末足球联赛继续进行，主队获胜。"),
]
PARAGRAPH = "中国人民银行周一宣布下调贷款市场报价利率，分析人士认为此举将支持实体经济并降低企业融资成本，净利润或受影响。"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    location = tmp_path_factory.mktemp("long") / "index"
    with IndexWriter(location) as writer:
        for doc in DOCS:
            writer.add(doc)
    with open_index(location) as opened:
        yield opened


def test_pasted_paragraph_matches_any_word_ranked(index: SearchIndex) -> None:
    page = index.search(PARAGRAPH)
    assert [h.id for h in page.hits][0] == "rate"
    assert {h.id for h in page.hits} == {"rate", "bank"}  # bank shares 净利润 only
    assert len(page.warnings) == 1
    assert page.warnings[0].startswith("the query is long, so it was searched as any of its ")
    assert "<mark>" in page.hits[0].snippet


def test_many_short_terms_also_switch(index: SearchIndex) -> None:
    page = index.search("足球 利率 银行 业绩 联赛 主队 周末")
    assert {h.id for h in page.hits} == {"rate", "bank", "sport"}
    assert page.warnings[0].startswith("the query is long")


@pytest.mark.parametrize(
    "query",
    [
        "央行 利率",  # short: AND
        "足球 利率 银行 业绩 联赛 主队 OR 周末",  # operators keep the query language
        '"中国人民银行周一宣布下调贷款市场报价利率，分析人士认为此举将支持实体经济"',
        "中国人民银行周一宣布下调贷款市场报价利率分析人士认为此举将支持 source:新华社",
    ],
)
def test_short_queries_and_queries_with_operators_do_not_switch(index: SearchIndex, query: str) -> None:
    page = index.search(query)
    assert not any(w.startswith("the query is long") for w in page.warnings)


def test_a_long_query_of_punctuation_finds_nothing(index: SearchIndex) -> None:
    page = index.search("，。！？" * 10)
    assert page.total == 0
    assert page.warnings == ("nothing in the query could be searched",)


def test_a_pasted_title_of_a_numbered_series_finds_its_own_part(tmp_path: Path) -> None:
    title = "维权网：某地区在押人员月度报告（2020年7月31日）第58期（共966人）（{}）"
    docs = [Document(id=n, path=f"{n}.md", title=title.format(n), text=f"报告正文第{n}部分，列出名单与案情。")
            for n in "一二三四五"]
    with IndexWriter(tmp_path / "index") as writer:
        for doc in docs:
            writer.add(doc)
    with SearchIndex.open(tmp_path / "index") as index:
        for doc in docs:
            page = index.search(doc.title, limit=1)
            assert page.hits[0].id == doc.id
            assert any("long" in w for w in page.warnings)  # it is searched as a long query


def test_a_title_with_a_run_of_dashes_is_not_an_exclusion(tmp_path: Path) -> None:
    title = "两岸观察 一家律师事务所的遭遇 ----709案件回顾"
    with IndexWriter(tmp_path / "index") as writer:
        writer.add(Document(id="d", path="d.md", title=title, text="案件回顾的正文。"))
        writer.add(Document(id="e", path="e.md", title="另一篇文章", text="律师事务所的日常。"))
    with SearchIndex.open(tmp_path / "index") as index:
        assert [h.id for h in index.search(title).hits][:1] == ["d"]
        assert index.matching_ids("律师事务所 -日常") == {"d"}  # a real exclusion still excludes


PASTED_WITH_MARKS = (
    "中国人民银行(PBOC)周一宣布下调贷款市场报价利率，分析人士说\"此举将支持实体经济\"，"
    "并降低企业融资成本。"
)


def test_pasted_prose_with_brackets_and_quotes_is_still_a_pasted_paragraph(index: SearchIndex) -> None:
    # Brackets and ASCII quotes in pasted news text are not operators: a clause mark outside the
    # quotes says the text is prose, so it is searched as any of its words (not 20 required runs).
    page = index.search(PASTED_WITH_MARKS)
    assert page.warnings and page.warnings[0].startswith("the query is long")
    assert page.hits[0].id == "rate"


def test_a_very_long_text_is_prose_even_without_clause_marks(index: SearchIndex) -> None:
    text = "中国人民银行(PBOC) 周一宣布下调贷款市场报价利率 分析人士认为此举将支持实体经济 " * 3
    assert len(text) > 80
    page = index.search(text)
    assert page.warnings[0].startswith("the query is long")


def test_filters_keep_their_meaning_in_pasted_text(tmp_path: Path) -> None:
    location = tmp_path / "index"
    with IndexWriter(location) as writer:
        writer.add(Document(id="a", path="a", title="利率", text=DOCS[0].text, source="甲报"))
        writer.add(Document(id="b", path="b", title="利率", text=DOCS[0].text, source="乙报"))
    with open_index(location) as opened:
        both = {h.id for h in opened.search(PASTED_WITH_MARKS, dedup=False).hits}
        only = opened.search(PASTED_WITH_MARKS + " source:乙报", dedup=False)
        without = opened.search(PASTED_WITH_MARKS + " -source:乙报", dedup=False)
    assert both == {"a", "b"}
    assert [h.id for h in only.hits] == ["b"]
    assert [h.id for h in without.hits] == ["a"]
