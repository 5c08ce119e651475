"""Suggestions on pages with few or no hits: a close word, a pinyin reading, the other script."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search import AnalyzerConfig, Document, IndexWriter, SearchIndex, open_index
from search.suggest import Vocabulary, other_script

DOCS = [
    Document(id=f"c{n}", path=f"c{n}", title="碳中和目标", text=f"各国承诺实现碳中和，第{n}篇报道。") for n in range(4)
] + [
    Document(id="v", path="v", title="疫苗接种", text="疫苗接种进度加快。"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    location = tmp_path_factory.mktemp("suggest") / "index"
    with IndexWriter(location) as writer:
        for doc in DOCS:
            writer.add(doc)
    with open_index(location) as opened:
        yield opened


def test_pinyin_query_suggests_the_word(index: SearchIndex) -> None:
    page = index.search("tanzhonghe")
    assert page.total == 0
    assert page.suggestions[0] == "碳中和"
    assert page.to_dict()["suggestions"][0] == "碳中和"


def test_pinyin_with_spaces(index: SearchIndex) -> None:
    assert index.search("yi miao").suggestions[0] == "疫苗"


def test_misspelt_word_suggests_a_close_one(index: SearchIndex) -> None:
    page = index.search("疫描 接种")
    assert page.total == 0
    assert page.suggestions[0] == "疫苗 接种"


def test_the_other_script_is_suggested_when_the_index_does_not_fold_scripts(tmp_path: Path) -> None:
    with IndexWriter(tmp_path, config=AnalyzerConfig(simplify=False)) as writer:
        writer.add(Document(id="t", path="t", title="臺灣資訊", text="臺灣資訊業者看好明年景氣。"))
    with open_index(tmp_path) as index:
        page = index.search("台湾资讯")
        assert page.total == 0
        assert page.suggestions == ("臺灣資訊",)


def test_the_other_script_is_not_suggested_when_it_finds_the_same(index: SearchIndex) -> None:
    page = index.search("疫苗 記錄")
    assert page.total == 0 and page.suggestions == ()


def test_enough_hits_no_suggestions(index: SearchIndex) -> None:
    assert index.search("碳中和").suggestions == ()


def test_empty_query_no_suggestions(index: SearchIndex) -> None:
    assert index.search("").suggestions == ()


def test_other_script() -> None:
    assert other_script("臺灣資訊") == "台湾资讯"
    assert other_script("软件") == "軟體"
    assert other_script("iPhone") is None


def test_vocabulary_close_word_prefers_frequent_words() -> None:
    vocabulary = Vocabulary([("碳中和", 10), ("碳中心", 1), ("中和", 5)])
    assert vocabulary.close_word("碳中河") == "碳中和"
    assert vocabulary.close_word("x") is None
    assert vocabulary.from_pinyin("zhonghe") == "中和"
    assert vocabulary.from_pinyin("碳") is None


def test_a_spelling_that_finds_nothing_either_is_not_suggested(index: SearchIndex) -> None:
    page = index.search("疫描 接种", source="没有这个来源")
    assert page.total == 0
    assert "疫苗 接种" not in page.suggestions


def test_cli_prints_suggestions(index: SearchIndex) -> None:
    from click.testing import CliRunner

    from zhsearch.cli import cli

    runner = CliRunner(env={"ZHSEARCH_INDEX": None})
    result = runner.invoke(cli, ["search", "tanzhonghe", "--index", str(index.location)])
    assert result.exit_code == 0
    assert result.stdout == "No results for 'tanzhonghe'.\nTry: 碳中和\n"
