"""Field terms, filters, sorting, facets and pagination of SearchIndex.search over a small corpus."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from zhsearch.search import Document, IndexWriter, InvalidArgumentError, SearchIndex, open_index
from zhsearch.web import create_app
from zhsearch.cli import cli


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


DOCS = [
    Document(id="zb1", path="zb1", title="新加坡推动碳中和", text="联合早报报道，新加坡政府公布碳中和计划。",
             source="联合早报", categories=("国际",), tags=("环境",), date=_at("2020-08-03T08:00")),
    Document(id="zb2", path="zb2", title="电动车销量上升", text="新加坡电动车销量上升，有助碳中和。",
             source="联合早报", categories=("财经",), tags=("环境", "汽车"), date=_at("2020-09-15T09:00")),
    Document(id="sn1", path="sn1", title="央行碳中和债券", text="新浪财经消息，央行支持碳中和债券发行。",
             source="新浪财经", categories=("财经",), date=_at("2021-04-02T10:00")),
    Document(id="sn2", path="sn2", title="股市收盘", text="沪指收涨，新能源板块领涨，碳中和概念活跃。",
             source="新浪财经", categories=("财经",), tags=("股市",), date=_at("2021-04-20T07:00")),
    Document(id="cna", path="cna", title="臺灣推動碳中和", text="中央社報導，臺灣公布淨零路徑，碳中和目標明確。",
             source="中央社", categories=("兩岸",), date=_at("2020-08-31T23:30")),
    Document(id="nod", path="nod", title="碳中和随笔", text="一篇没有日期也没有来源的碳中和随笔。"),
]


def ids(page: object) -> set[str]:
    return {h.id for h in page.hits}  # type: ignore[attr-defined]


# -- query-language field terms -------------------------------------------------------------------


def test_source_term_restricts_the_results(docs_index: SearchIndex) -> None:
    page = docs_index.search("碳中和 source:联合早报")
    assert ids(page) == {"zb1", "zb2"} and page.total == 2 and page.warnings == ()


def test_source_term_with_a_fullwidth_colon(docs_index: SearchIndex) -> None:
    assert ids(docs_index.search("碳中和 source：新浪财经")) == {"sn1", "sn2"}


def test_two_source_terms_mean_either(docs_index: SearchIndex) -> None:
    assert ids(docs_index.search("碳中和 source:联合早报 source:中央社")) == {"zb1", "zb2", "cna"}


def test_excluded_source(docs_index: SearchIndex) -> None:
    assert ids(docs_index.search("碳中和 -source:新浪财经")) == {"zb1", "zb2", "cna", "nod"}


def test_category_term_matches_categories_and_tags(docs_index: SearchIndex) -> None:
    assert ids(docs_index.search("碳中和 category:财经")) == {"zb2", "sn1", "sn2"}
    assert ids(docs_index.search("碳中和 category:环境")) == {"zb1", "zb2"}


def test_tag_term_matches_tags_only(docs_index: SearchIndex) -> None:
    assert ids(docs_index.search("碳中和 tag:环境")) == {"zb1", "zb2"}
    page = docs_index.search("碳中和 tag:财经")  # a filter that allows no document at all
    assert ids(page) == set() and page.total == 0 and page.facets["source"] == {}
    assert docs_index.search("碳中和 tag:财经", sort="newest", dedup=False).total == 0


def test_title_term_restricts_a_term_to_the_title(docs_index: SearchIndex) -> None:
    assert ids(docs_index.search("新加坡")) == {"zb1", "zb2"}
    assert ids(docs_index.search("title:新加坡")) == {"zb1"}
    assert ids(docs_index.search('title:"电动车销量"')) == {"zb2"}


def test_title_term_finds_traditional_titles(docs_index: SearchIndex) -> None:
    assert ids(docs_index.search("title:台湾")) == {"cna"}


def test_a_filter_alone_lists_its_documents_newest_first(docs_index: SearchIndex) -> None:
    page = docs_index.search("source:联合早报")
    assert [h.id for h in page.hits] == ["zb2", "zb1"] and page.warnings == ()


def test_unknown_field_names_are_plain_terms(docs_index: SearchIndex) -> None:
    # Searched as the words foo and 碳中和: no article has foo, so none has both.
    assert docs_index.matching_ids("foo:碳中和") == set()
    page = docs_index.search('"foo:碳中和"', explain=True)
    assert page.explain is not None and [c["text"] for c in page.explain["clauses"]] == ["foo:碳中和"]
    assert page.total == 0 and page.warnings == ()


@pytest.mark.parametrize("name", ["source", "title", "date"])
def test_field_term_without_a_value_is_a_warning(docs_index: SearchIndex, name: str) -> None:
    page = docs_index.search(f"碳中和 {name}:")
    assert page.total == 6
    assert page.warnings == (f"ignored “{name}:”: it has no value",)


# -- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("碳中和 date:2020-08", {"zb1", "cna"}),
        ("碳中和 date:2020", {"zb1", "zb2", "cna"}),
        ("碳中和 date:2020-08-31", {"cna"}),
        ("碳中和 date:2020-08-01..2020-09-15", {"zb1", "zb2", "cna"}),
        ("碳中和 date:2020-09..", {"zb2", "sn1", "sn2"}),
        ("碳中和 date:..2020-08", {"zb1", "cna"}),
        ("碳中和 since:2021-04-02", {"sn1", "sn2"}),
        ("碳中和 until:2020-09-14", {"zb1", "cna"}),
        ("碳中和 since:2020-09 until:2021-04-10", {"zb2", "sn1"}),
    ],
)
def test_date_terms(docs_index: SearchIndex, query: str, expected: set[str]) -> None:
    page = docs_index.search(query)
    assert ids(page) == expected and page.warnings == ()


@pytest.mark.parametrize("value", ["2020-13", "2020-02-30", "yesterday", "2020-08..soon", ".."])
def test_malformed_dates_are_warnings_and_the_filter_is_ignored(docs_index: SearchIndex, value: str) -> None:
    page = docs_index.search(f"碳中和 date:{value}")
    assert page.total == 6
    assert page.warnings == (f"ignored “date:{value}”: not a date (use YYYY, YYYY-MM or YYYY-MM-DD, or FROM..TO)",)


# -- API parameters ------------------------------------------------------------------------------


def test_api_filters_match_the_field_terms(docs_index: SearchIndex) -> None:
    assert ids(docs_index.search("碳中和", source="联合早报")) == {"zb1", "zb2"}
    assert ids(docs_index.search("碳中和", source=["联合早报", "中央社"])) == {"zb1", "zb2", "cna"}
    assert ids(docs_index.search("碳中和", category="财经", tag="股市")) == {"sn2"}
    assert ids(docs_index.search("碳中和", since=date(2021, 4, 2))) == {"sn1", "sn2"}
    assert ids(docs_index.search("碳中和", until="2020-08-31")) == {"zb1", "cna"}
    assert ids(docs_index.search("碳中和", since="2020-09", until=date(2021, 4, 2))) == {"zb2", "sn1"}
    assert ids(docs_index.search("碳中和", month="2021-04")) == {"sn1", "sn2"}


def test_api_filters_combine_with_field_terms(docs_index: SearchIndex) -> None:
    assert ids(docs_index.search("碳中和 source:新浪财经", since="2021-04-10")) == {"sn2"}


def test_malformed_api_dates_are_warnings(docs_index: SearchIndex) -> None:
    page = docs_index.search("碳中和", since="2020-13", month="2021")
    assert page.total == 6
    assert len(page.warnings) == 2 and all(w.startswith("ignored ") for w in page.warnings)


def test_an_empty_date_range_warns(docs_index: SearchIndex) -> None:
    page = docs_index.search("碳中和", since="2021", until="2020")
    assert page.total == 0
    assert page.warnings == ("the date range is empty: nothing can match it",)


def test_unknown_sort_is_an_invalid_argument(docs_index: SearchIndex) -> None:
    with pytest.raises(InvalidArgumentError, match="sort must be one of relevance, newest, oldest"):
        docs_index.search("碳中和", sort="random")


# -- sorting and pagination ----------------------------------------------------------------------


def test_sort_newest_and_oldest_put_undated_documents_last(docs_index: SearchIndex) -> None:
    newest = [h.id for h in docs_index.search("碳中和", sort="newest").hits]
    oldest = [h.id for h in docs_index.search("碳中和", sort="oldest").hits]
    assert newest == ["sn2", "sn1", "zb2", "cna", "zb1", "nod"]
    assert oldest == ["zb1", "cna", "zb2", "sn1", "sn2", "nod"]


def test_pages_partition_the_results_exactly(docs_index: SearchIndex) -> None:
    for sort in ("relevance", "newest", "oldest"):
        whole = [h.id for h in docs_index.search("碳中和", sort=sort, limit=6).hits]
        paged = [h.id for p in (1, 2, 3) for h in docs_index.search("碳中和", sort=sort, limit=2, page=p).hits]
        assert paged == whole and len(set(paged)) == 6
        assert docs_index.search("碳中和", sort=sort, limit=2, page=4).hits == ()
        assert docs_index.search("碳中和", sort=sort, limit=2, page=4).total == 6


def test_ties_are_broken_by_index_order(tmp_path: Path) -> None:
    # Identical documents score identically: the order must be stable and the same on every page.
    with IndexWriter(tmp_path) as writer:
        for n in range(7):
            writer.add(Document(id=f"d{n}", path=f"d{n}", title="同一标题", text="完全相同的正文。"))
    with open_index(tmp_path) as docs_index:
        first = [h.id for p in (1, 2, 3, 4) for h in docs_index.search("正文", limit=2, page=p).hits]
        again = [h.id for p in (1, 2, 3, 4) for h in docs_index.search("正文", limit=2, page=p).hits]
        assert first == again == [f"d{n}" for n in range(7)]
        assert [h.id for h in docs_index.search("正文", limit=7, sort="newest").hits] == first


# -- facets --------------------------------------------------------------------------------------


def test_facets_count_the_whole_result_set(docs_index: SearchIndex) -> None:
    page = docs_index.search("碳中和", limit=1)
    assert len(page.hits) == 1
    assert page.facets == {
        "source": {"新浪财经": 2, "联合早报": 2, "中央社": 1},
        "category": {"财经": 3, "环境": 2, "兩岸": 1, "国际": 1, "汽车": 1, "股市": 1},
        "month": {"2020-08": 2, "2020-09": 1, "2021-04": 2},
    }
    assert list(page.facets["source"].values()) == [2, 2, 1]


def test_facet_drill_down_recomputes_the_other_facets(docs_index: SearchIndex) -> None:
    page = docs_index.search("碳中和", source="联合早报")
    assert page.facets["source"] == {"联合早报": 2}
    assert page.facets["month"] == {"2020-08": 1, "2020-09": 1}
    assert page.facets["category"] == {"环境": 2, "国际": 1, "汽车": 1, "财经": 1}
    page = docs_index.search("碳中和", month="2020-08")
    assert page.facets["source"] == {"中央社": 1, "联合早报": 1}


def test_facets_can_be_skipped(docs_index: SearchIndex) -> None:
    assert docs_index.search("碳中和", facets=False).facets == {}


def test_no_hits_no_facet_values(docs_index: SearchIndex) -> None:
    assert docs_index.search("不存在的词语组合xyz").facets == {"source": {}, "category": {}, "month": {}}


# -- CLI and HTTP --------------------------------------------------------------------------------


def test_cli_filter_flags(docs_index_dir: Path) -> None:
    runner = CliRunner(env={"ZHSEARCH_INDEX": None})
    result = runner.invoke(cli, ["search", "--index", str(docs_index_dir), "--source", "联合早报",
                                 "--since", "2020-09", "--sort", "newest", "--json", "碳中和"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert [h["id"] for h in data["hits"]] == ["zb2"]
    bad = runner.invoke(cli, ["search", "--index", str(docs_index_dir), "--sort", "random", "碳中和"])
    assert bad.exit_code == 2


@pytest.fixture()
def client(docs_index: SearchIndex) -> FlaskClient:
    return create_app({"INDEX": docs_index, "TESTING": True}).test_client()


def test_http_filter_parameters(client: FlaskClient) -> None:
    data = client.get("/api/search", query_string={"q": "碳中和", "source": ["联合早报", "中央社"],
                                                   "until": "2020-08-31", "sort": "oldest"}).get_json()
    assert [h["id"] for h in data["hits"]] == ["zb1", "cna"]
    assert data["facets"]["month"] == {"2020-08": 2}
    data = client.get("/api/search?q=碳中和&month=2021-04&category=财经&tag=股市").get_json()
    assert [h["id"] for h in data["hits"]] == ["sn2"]


def test_http_bad_sort_is_a_400_and_bad_dates_are_warnings(client: FlaskClient) -> None:
    response = client.get("/api/search?q=碳中和&sort=random")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_argument"
    data = client.get("/api/search?q=碳中和&since=2020-13").get_json()
    assert data["total"] == 6 and len(data["warnings"]) == 1


def test_matching_ids_apply_field_terms(docs_index: SearchIndex) -> None:
    assert docs_index.matching_ids("碳中和 source:联合早报") == {"zb1", "zb2"}
    assert docs_index.matching_ids("碳中和 tag:财经") == set()
