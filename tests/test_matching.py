"""Script variants, stop words inside phrases, and --explain / explain=1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhsearch.search import Document, IndexWriter, SearchIndex, open_index
from zhsearch.search.text.normalize import fold, script_variants
from zhsearch.web import create_app
from zhsearch.cli import cli

DOCS = [
    Document(id="tw", path="tw.md", title="軟體產業", text="臺灣的軟體業者擴大資訊服務。我們瞭解客戶需求。"),
    Document(id="cn", path="cn.md", title="软件产业", text="大陆的软件企业发展资讯服务。我们了解客户需求。"),
    Document(id="goal", path="goal.md", title="目标", text="中国力争实现碳中和的目标。"),
]


@pytest.mark.parametrize(
    "query",
    ["軟體", "软件", "臺灣", "台湾", "資訊", "资讯", "瞭解", "了解"],
)
def test_traditional_and_simplified_spellings_find_each_other(docs_index: SearchIndex, query: str) -> None:
    expected = {"tw", "cn"} if query not in ("臺灣", "台湾") else {"tw"}
    assert docs_index.matching_ids(query) == expected


def test_the_typed_spelling_ranks_first(docs_index: SearchIndex) -> None:
    assert [h.id for h in docs_index.search("软件").hits][0] == "cn"
    assert [h.id for h in docs_index.search("軟體").hits][0] == "tw"


def test_highlight_marks_the_original_spelling(docs_index: SearchIndex) -> None:
    hit = next(h for h in docs_index.search("软件").hits if h.id == "tw")
    assert "<mark>軟體</mark>" in hit.snippet and "<mark>軟體</mark>" in hit.title_html


def test_character_fold_is_context_free() -> None:
    # 乾 folds the same alone and inside 乾隆, so a substring's fold is a substring of the fold.
    assert fold("乾") in fold("乾隆皇帝")
    assert script_variants("資訊")[0] == "资讯"


def test_function_words_do_not_break_phrases_or_recall(docs_index: SearchIndex) -> None:
    assert docs_index.matching_ids('"碳中和的目标"') == {"goal"}
    assert docs_index.matching_ids("的") == {"tw", "cn", "goal"}


def test_explain_in_the_api_names_what_matched_nothing(docs_index: SearchIndex) -> None:
    page = docs_index.search("软件 火星", explain=True)
    assert page.total == 0
    assert page.explain is not None
    assert page.explain["unmatched"] == ["火星"]
    first = page.explain["clauses"][0]
    assert first["matches"] == 2 and first["variants"] == ["软件", "软体"]
    assert first["characters"]["tokens"][0] == ["软", "件"]
    assert "explain" not in docs_index.search("软件").to_dict()


def test_explain_over_http(docs_index_dir: Path) -> None:
    with open_index(docs_index_dir) as opened:
        client = create_app({"INDEX": opened}).test_client()
        body = client.get("/api/search", query_string={"q": "软件 火星", "explain": "1"}).get_json()
    assert body["explain"]["unmatched"] == ["火星"]


def test_explain_on_the_command_line(docs_index_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "--explain", "--index", str(docs_index_dir), "软件", "火星"])
    assert result.exit_code == 0
    assert "  term '火星': 0 documents" in result.stdout
    assert "  matched nothing: 火星" in result.stdout
    as_json = CliRunner().invoke(cli, ["search", "--explain", "--json", "--index", str(docs_index_dir), "软件"])
    assert json.loads(as_json.stdout)["explain"]["clauses"][0]["matches"] == 2


# -- the exact-match definition: punctuation, spaces and line breaks separate (issue 13) -------

PUNCTUATED = [
    Document(id="comma", path="comma.md", title="会议纪要", text="我们表示支持，林先生随后发言。"),
    Document(id="joined", path="joined.md", title="会议记录", text="我们支持林先生的提议。"),
    Document(id="goal-comma", path="gc.md", title="碳中和，目标", text="全文见附件。"),
    Document(id="goal-space", path="gs.md", title="报道", text="关于碳中和 目标的讨论。"),
    Document(id="goal-period", path="gp.md", title="报道", text="要实现碳中和。\n\n目标是2060年。"),
    Document(id="goal-joined", path="gj.md", title="报道", text="这是碳中和目标的一部分。"),
    Document(id="goal-quoted", path="gq.md", title="「碳中和」进展", text="各地推进（碳中和）工作。"),
    Document(id="covid", path="covid.md", title="COVID–19 疫情", text="covid 19 的影响，以及 COVID-19x 检测。"),
    Document(id="edges", path="edges.md", title="北京支持", text="林业局发布通知。"),
]


@pytest.fixture(scope="module")
def punctuated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    location = tmp_path_factory.mktemp("punctuated") / "index"
    with IndexWriter(location) as writer:
        for doc in PUNCTUATED:
            writer.add(doc)
    with open_index(location) as opened:
        yield opened


def test_a_quoted_term_does_not_match_across_punctuation(punctuated: SearchIndex) -> None:
    assert punctuated.matching_ids('"持林"') == {"joined"}
    assert punctuated.matching_ids('"支持林"') == {"joined"}


def test_a_phrase_with_punctuation_matches_any_run_of_separators_there(punctuated: SearchIndex) -> None:
    # Any punctuation, space or line break (one or several) satisfies the query's comma; none does not.
    assert punctuated.matching_ids('"碳中和，目标"') == {"goal-comma", "goal-space", "goal-period"}
    assert punctuated.matching_ids('"碳中和。目标"') == {"goal-comma", "goal-space", "goal-period"}
    assert punctuated.matching_ids('"碳中和目标"') == {"goal-joined"}


def test_a_space_between_han_characters_in_a_text_separates(punctuated: SearchIndex) -> None:
    # 碳中和 目标 in goal-space: 和目 is not found there, nor is 碳中和目标.
    assert punctuated.matching_ids('"和目"') == {"goal-joined"}
    assert punctuated.matching_ids('"碳中和目标"') == {"goal-joined"}


def test_a_space_in_a_quoted_phrase_matches_any_separator_or_none(punctuated: SearchIndex) -> None:
    # People put spaces between the words of a query: "碳中和 目标" also finds 碳中和目标.
    every = {"goal-comma", "goal-space", "goal-period", "goal-joined"}
    assert punctuated.matching_ids('"碳中和 目标"') == every
    assert punctuated.matching_ids('"和 目"') == every
    assert punctuated.matching_ids('"碳中和  目标"') == every
    # Punctuation in the query is a separator, a space between Latin words too (covid19 is one word).
    assert punctuated.matching_ids('"碳中和 ，目标"') == every - {"goal-joined"}
    assert punctuated.matching_ids('"covid 19"') == {"covid"}


def test_punctuation_at_the_ends_of_a_phrase_is_ignored(punctuated: SearchIndex) -> None:
    everywhere = {"goal-comma", "goal-space", "goal-period", "goal-joined", "goal-quoted"}
    for query in ('"“碳中和”"', '"(碳中和"', '"碳中和。"', '"碳中和"'):
        assert punctuated.matching_ids(query) == everywhere, query


def test_single_characters_separated_by_punctuation_stay_exact(punctuated: SearchIndex) -> None:
    assert punctuated.matching_ids('"持，林"') == {"comma"}
    assert punctuated.matching_ids('"，林"') == punctuated.matching_ids("林") == {"comma", "joined", "edges"}


def test_latin_words_and_numbers_match_whole_across_any_separator(punctuated: SearchIndex) -> None:
    assert punctuated.matching_ids("COVID-19") == {"covid"}
    assert punctuated.matching_ids('"covid 19"') == {"covid"}
    assert punctuated.matching_ids('"19x"') == {"covid"}
    assert punctuated.matching_ids('"9x"') == set()


def test_no_phrase_spans_the_end_of_the_title_and_the_start_of_the_text(punctuated: SearchIndex) -> None:
    # The title 北京支持 ends where the text 林业局… starts: two fields, each with its own ends.
    assert punctuated.matching_ids('"支持"') == {"comma", "joined", "edges"}
    assert punctuated.matching_ids('"持林"') == {"joined"}
    assert punctuated.matching_ids('"京支持林业"') == set()


@pytest.mark.parametrize(
    "query", ['"碳中和，目标"', '"“碳中和”"', '"(碳中和"', '"碳中和 目标"', '"和 目"', "COVID-19", '"持林"']
)
def test_every_hit_of_a_punctuated_phrase_is_marked(punctuated: SearchIndex, query: str) -> None:
    page = punctuated.search(query, dedup=False)
    assert page.hits, query
    for hit in page.hits:
        assert "<mark>" in hit.snippet or "<mark>" in hit.title_html, (query, hit.id, hit.snippet)


def test_a_punctuated_phrase_is_marked_where_it_matched(punctuated: SearchIndex) -> None:
    hits = {h.id: h for h in punctuated.search('"碳中和，目标"', dedup=False).hits}
    assert hits["goal-comma"].title_html == "<mark>碳中和，目标</mark>"
    assert "<mark>碳中和 目标</mark>" in hits["goal-space"].snippet
    assert "<mark>碳中和。 目标</mark>" in hits["goal-period"].snippet  # the snippet folds the line breaks
    quoted = {h.id: h for h in punctuated.search('"“碳中和”"', dedup=False).hits}
    assert quoted["goal-quoted"].title_html == "「<mark>碳中和</mark>」进展"
