"""Completions as the user types: search.queries.complete, and GET /api/suggest over it."""

from __future__ import annotations

import time
from types import SimpleNamespace
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from flask.testing import FlaskClient

from zhsearch.indexer import build_index
from zhsearch.search import AnalyzerConfig, SearchIndex
from zhsearch.search.text.analysis import is_dictionary_word
from zhsearch.search.queries.complete import MAX_TITLES, Completer, Completion, CompletionTable
from zhsearch.web import create_app

from conftest import BOILERPLATE, CORPUS, REPORTER

WORDS = [
    ("碳中和", 40), ("碳达峰", 25), ("碳排放", 25), ("碳", 90), ("碳酸饮料", 1), ("香港", 300), ("国安法", 50),
    ("国际", 120), ("国家", 200), ("iphone14", 3), ("台湾", 70), ("或", 500), ("ornament", 2),
]
TITLES = [
    ("a.md", "碳中和路线图公布", datetime(2021, 5, 1)),
    ("b.md", "多省碳中和新进展", datetime(2022, 1, 1)),
    ("c.md", "香港国安法实施一周年", datetime(2021, 6, 30)),
    ("d.md", "臺灣資訊業者看好明年景氣", datetime(2021, 12, 14)),
    ("e.md", "碳中和：企业怎么做", None),
    ("f.md", "   ", datetime(2021, 1, 1)),
]


@pytest.fixture(scope="module")
def table() -> CompletionTable:
    return CompletionTable(WORDS, TITLES)


def _texts(completions: list[Completion]) -> list[str]:
    return [c.text for c in completions]


def test_words_complete_the_prefix_most_frequent_first(table: CompletionTable) -> None:
    words = [c for c in table.complete("碳") if c.kind == "word"]
    assert _texts(words) == ["碳中和", "碳排放", "碳达峰"]  # ties by spelling; 碳 alone and rare words left out
    assert [c.documents for c in words] == [40, 25, 25]
    assert all(c.id is None for c in words)


def test_titles_follow_the_words_those_starting_with_the_input_first_then_newest(table: CompletionTable) -> None:
    completions = table.complete("碳中和")
    assert [(c.kind, c.text) for c in completions] == [
        ("word", "碳中和"),
        ("title", "碳中和路线图公布"),
        ("title", "碳中和：企业怎么做"),  # undated: after the dated one that also starts with it
        ("title", "多省碳中和新进展"),
    ]
    assert [c.id for c in completions[1:]] == ["a.md", "e.md", "b.md"]


def test_the_words_typed_before_the_last_are_kept(table: CompletionTable) -> None:
    assert _texts(table.complete("香港 国", limit=4)) == ["香港 国家", "香港 国际", "香港 国安法", "香港国安法实施一周年"]
    assert _texts(table.complete("-国安", limit=1)) == ["-国安法"]
    assert _texts(table.complete('"香港', limit=1)) == ['"香港']
    assert _texts(table.complete("香港\u3000国安", limit=1)) == ["香港\u3000国安法"]  # an IME's full-width space


def test_titles_contain_every_word_typed(table: CompletionTable) -> None:
    assert _texts(table.complete("香港 国安法 ")) == ["香港国安法实施一周年"]  # a trailing space: titles only


def test_matching_folds_script_width_and_case(table: CompletionTable) -> None:
    assert table.complete("臺")[0].text == "台湾"
    assert "臺灣資訊業者看好明年景氣" in _texts(table.complete("台湾"))
    assert _texts(table.complete("ＩＰＨＯＮＥ")) == ["iphone14"]


@pytest.mark.parametrize("typed", ["", "   ", "碳" * 101, "source:联", "香港 OR", "NOT"])
def test_nothing_to_complete(table: CompletionTable, typed: str) -> None:
    assert [c for c in table.complete(typed) if c.kind == "word"] == []


def test_limits(table: CompletionTable) -> None:
    assert table.complete("碳", limit=0) == []
    assert table.complete("碳", limit=-3) == []
    assert len(table.complete("碳", limit=2)) == 2
    assert sum(c.kind == "title" for c in table.complete("碳", limit=20)) == MAX_TITLES
    assert sum(c.kind == "title" for c in table.complete("碳中和路线", limit=20)) == 1


def test_dictionary_words_come_before_the_words_only_the_hmm_found(table: CompletionTable) -> None:
    fragments = {"碳中和"}  # as if jieba's dictionary lacked it
    words = [c for c in table.complete("碳", known=lambda w: w not in fragments) if c.kind == "word"]
    assert _texts(words) == ["碳排放", "碳达峰", "碳中和"]  # still offered, after the dictionary's words
    one = table.complete("碳", limit=2, known=lambda w: w not in fragments)
    assert [(c.kind, c.text) for c in one] == [("word", "碳排放"), ("title", "碳中和路线图公布")]


def test_is_dictionary_word() -> None:
    assert is_dictionary_word("疫苗", AnalyzerConfig())
    assert not is_dictionary_word("碳中", AnalyzerConfig())  # a piece jieba's HMM cuts from 碳中和
    assert not is_dictionary_word("碳中和", AnalyzerConfig())
    assert is_dictionary_word("碳中和", AnalyzerConfig(user_words=("碳中和 10 n",)))
    recording = SimpleNamespace(hmm=True, user_words=(), new_words=("碳中和",))  # an analyzer recording new words
    assert is_dictionary_word("碳中和", recording)  # type: ignore[arg-type]


def test_no_text_is_offered_twice() -> None:
    titles = [
        ("a.md", "疫苗价格掀论战", datetime(2021, 5, 1)),
        ("b.md", "疫苗價格掀論戰", datetime(2021, 5, 2)),  # the same title in the other script, newer
        ("c.md", "疫苗价格掀论战", datetime(2021, 4, 1)),  # a syndicated copy
        ("d.md", "疫苗", datetime(2021, 4, 1)),  # a title that is a word offered too
        ("e.md", "疫苗试验", None),
    ]
    completions = CompletionTable([("疫苗", 9)], titles).complete("疫苗", limit=8)
    assert [(c.kind, c.text, c.id) for c in completions] == [
        ("word", "疫苗", None),
        ("title", "疫苗價格掀論戰", "b.md"),  # the newest of the three copies
        ("title", "疫苗试验", "e.md"),
    ]
    assert len(CompletionTable([], titles).complete("疫苗", limit=2)) == 2  # duplicates do not take the room


def test_completion_to_dict() -> None:
    assert Completion("碳中和", "word", 3).to_dict() == {"text": "碳中和", "kind": "word", "documents": 3, "id": None}


def test_table_from_an_index(index: SearchIndex) -> None:
    completer = Completer(index)
    assert _texts(completer.complete("记")) == ["记者"]
    (title,) = completer.complete("央行开展")
    assert (title.kind, title.id) == ("title", BOILERPLATE)
    assert completer.table() is completer.table()  # read once per generation


def test_completer_follows_a_new_build(tmp_path: Path) -> None:
    location = tmp_path / "index"
    build_index([CORPUS / "jekyll"], location)
    with SearchIndex.open(location) as index:
        completer = Completer(index)
        assert completer.complete("篮球") == []
        time.sleep(0.01)
        build_index([CORPUS / "hexo"], location)
        index.refresh()
        assert _texts(completer.complete("篮球")) == ["职业篮球联赛新赛季开幕"]


# -- GET /api/suggest --------------------------------------------------------------------------


def test_api_suggest(client: FlaskClient) -> None:
    response = client.get("/api/suggest?" + urlencode({"q": "记"}))
    assert response.status_code == 200
    data = response.get_json()
    assert data["query"] == "记"
    (completion,) = data["completions"]
    assert (completion["text"], completion["kind"], completion["id"]) == ("记者", "word", None)
    assert 2 <= completion["documents"] <= len(REPORTER)  # articles where jieba made 记者 a word of its own


def test_api_suggest_titles_open_as_documents(client: FlaskClient) -> None:
    data = client.get("/api/suggest?" + urlencode({"q": "快讯"})).get_json()
    titles = [c for c in data["completions"] if c["kind"] == "title"]
    assert len(titles) == 2
    for completion in titles:
        document = client.get("/api/doc/" + quote(completion["id"])).get_json()
        assert document["title"] == completion["text"]


def test_api_suggest_limit(client: FlaskClient) -> None:
    assert len(client.get("/api/suggest?" + urlencode({"q": "快讯", "limit": 1})).get_json()["completions"]) == 1
    response = client.get("/api/suggest?" + urlencode({"q": "快讯", "limit": 21}), headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "limit must be between 1 and 20, not 21"


def test_api_suggest_without_input(client: FlaskClient) -> None:
    assert client.get("/api/suggest").get_json() == {"query": "", "completions": []}


def test_api_suggest_follows_a_rebuilt_index(tmp_path: Path) -> None:
    location = tmp_path / "index"
    build_index([CORPUS / "jekyll"], location)
    with SearchIndex.open(location) as index:
        client = create_app({"INDEX": index, "TESTING": True}).test_client()
        assert client.get("/api/suggest?q=篮球").get_json()["completions"] == []
        time.sleep(0.01)
        build_index([CORPUS / "hexo"], location)
        (completion,) = client.get("/api/suggest?q=篮球").get_json()["completions"]
        assert completion["text"] == "职业篮球联赛新赛季开幕"


def test_pages_load_the_completion_script_and_tell_it_where_to_ask(client: FlaskClient) -> None:
    for path in ("/", "/search?q=记者"):
        body = client.get(path).get_data(as_text=True)
        assert '<script src="/static/suggest.js" defer></script>' in body
        assert 'data-suggest="/api/suggest" data-doc="/doc/"' in body
    script = client.get("/static/suggest.js")
    assert script.status_code == 200
    assert script.content_type.startswith(("text/javascript", "application/javascript"))
    source = script.get_data(as_text=True)
    script.close()
    assert "innerHTML" not in source  # completions are inserted as text, never as markup
    assert "textContent" in source
