"""Operators of the query language, parentheses included, on a small corpus of our own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zhsearch.search import Document, IndexWriter, SearchIndex, open_index

DOCS = [
    Document(id="a", path="a", title="苹果发布新手机", text="苹果公司今天发布新手机，价格上涨。"),
    Document(id="b", path="b", title="香蕉价格下跌", text="香蕉批发价格连续下跌。"),
    Document(id="c", path="c", title="苹果和香蕉", text="水果市场里苹果和香蕉都很畅销。"),
    Document(id="d", path="d", title="汽车销量", text="新能源汽车销量创新高，价格稳定。"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    location = tmp_path_factory.mktemp("syntax") / "index"
    with IndexWriter(location) as writer:
        for doc in DOCS:
            writer.add(doc)
    with open_index(location) as opened:
        yield opened


def found(index: SearchIndex, query: str) -> set[str]:
    return {h.id for h in index.search(query).hits}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("苹果 香蕉", {"c"}),
        ("苹果 OR 汽车", {"a", "c", "d"}),
        ("苹果 -香蕉", {"a"}),
        ("苹果 NOT 香蕉", {"a"}),
        ('"苹果和香蕉"', {"c"}),
        ("(苹果 OR 汽车) 价格", {"a", "d"}),
        ("(苹果 手机) OR 汽车", {"a", "d"}),
        ("价格 -(苹果 OR 香蕉)", {"d"}),
        ("价格 (香蕉 OR (汽车 销量))", {"b", "d"}),
    ],
)
def test_operators(index: SearchIndex, query: str, expected: set[str]) -> None:
    page = index.search(query)
    assert {h.id for h in page.hits} == expected
    assert page.warnings == ()


def test_unclosed_parenthesis_is_closed_with_a_warning(index: SearchIndex) -> None:
    page = index.search("价格 (苹果 OR 汽车")
    assert {h.id for h in page.hits} == {"a", "d"}
    assert page.warnings == ("an unclosed “(” was closed at the end of the query",)


def test_unmatched_closing_parenthesis_is_ignored(index: SearchIndex) -> None:
    page = index.search("苹果) 香蕉")
    assert {h.id for h in page.hits} == {"c"}
    assert page.warnings == ("an unmatched “)” was ignored",)


def test_empty_parentheses_are_ignored(index: SearchIndex) -> None:
    page = index.search("苹果 ()")
    assert {h.id for h in page.hits} == {"a", "c"}
    assert page.warnings == ("an empty “( )” was ignored",)


def test_terms_in_a_group_are_highlighted(index: SearchIndex) -> None:
    page = index.search("(手机 OR 汽车) 价格")
    hit = next(h for h in page.hits if h.id == "a")
    assert "<mark>手机</mark>" in hit.title_html
    assert "<mark>价格</mark>" in hit.snippet


def test_explain_shows_groups(index: SearchIndex) -> None:
    page = index.search("(手机 OR 汽车) 价格", explain=True)
    assert page.explain is not None
    kinds = [(c["text"], c["kind"]) for c in page.explain["clauses"]]
    assert kinds == [("(手机 汽车)", "group"), ("价格", "term")]


def test_excluded_phrase_with_a_space(index: SearchIndex) -> None:
    assert found(index, '价格 -"苹果 公司"') == {"b", "d"}
    # The space also stands for any separator: a's 手机，价格 is excluded too.
    assert found(index, '价格 -"手机 价格"') == {"b", "d"}
