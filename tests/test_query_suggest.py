"""Suggestions on pages with few or no hits: a close word, a pinyin reading, the other script."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhsearch.search import AnalyzerConfig, Document, IndexWriter, SearchIndex, open_index
from zhsearch.search.queries.suggest import Vocabulary, other_script

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
    result = runner.invoke(cli, ["search", "--index", str(index.location), "tanzhonghe"])
    assert result.exit_code == 0
    assert result.stdout == "No results for 'tanzhonghe'.\nTry: 碳中和\n"


def _close_word_by_deletions(frequency: dict[str, int], word: str) -> str | None:
    """close_word as it was written first: candidates that share a one-deletion key, then checked."""
    def keys(w: str) -> set[str]:
        return {w, *(w[:i] + w[i + 1:] for i in range(len(w)))}

    def one_edit(a: str, b: str) -> bool:
        if abs(len(a) - len(b)) > 1:
            return False
        if len(a) == len(b):
            return sum(x != y for x, y in zip(a, b)) == 1
        short, long_ = (a, b) if len(a) < len(b) else (b, a)
        return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))

    han = re.compile("[\u4e00-\u9fff]")
    if len(word) < 2 or not han.search(word):
        return None
    index: dict[str, list[str]] = {}
    for w in frequency:
        if len(w) >= 2 and han.search(w):
            for key in keys(w):
                index.setdefault(key, []).append(w)
    candidates = {c for key in keys(word) for c in index.get(key, ())} - {word}
    found = [c for c in candidates if one_edit(word, c)]
    return max(found, key=lambda c: (len(c) == len(word), frequency[c], c)) if found else None


_SPELLING = st.text(alphabet="碳中和河合香港国安法a1", min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(words=st.dictionaries(_SPELLING, st.integers(1, 50), max_size=40), typed=st.lists(_SPELLING, min_size=1, max_size=6))
def test_close_word_is_the_one_a_deletion_index_finds(words: dict[str, int], typed: list[str]) -> None:
    vocabulary = Vocabulary(words.items())
    for word in [*typed, *list(words)[:5]]:
        assert vocabulary.close_word(word) == _close_word_by_deletions(vocabulary.frequency, word)
