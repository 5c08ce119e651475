"""Script variants, stop words inside phrases, and --explain / explain=1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from search import Document, SearchIndex, open_index
from search.normalize import fold, script_variants
from web import create_app
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
    result = CliRunner().invoke(cli, ["search", "软件", "火星", "--explain", "--index", str(docs_index_dir)])
    assert result.exit_code == 0
    assert "  term '火星': 0 documents" in result.stdout
    assert "  matched nothing: 火星" in result.stdout
    as_json = CliRunner().invoke(cli, ["search", "软件", "--explain", "--json", "--index", str(docs_index_dir)])
    assert json.loads(as_json.stdout)["explain"]["clauses"][0]["matches"] == 2
