"""More like this: SearchIndex.similar, ``zhsearch similar`` and ``/api/similar/<id>``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhsearch.search import Document, DocumentNotFoundError, InvalidArgumentError, SearchIndex
from zhsearch.web import create_app
from zhsearch.cli import cli

DOCS = [
    Document(id="typhoon1", path="typhoon1", title="台风烟花登陆浙江", text="台风烟花今天在浙江舟山登陆，带来强降雨和大风。",
             content_hash="t1"),
    Document(id="typhoon2", path="typhoon2", title="浙江防御台风烟花", text="浙江启动防台风应急响应，舟山渔船回港避风，强降雨持续。",
             content_hash="t2"),
    Document(id="copy", path="copy", title="台风烟花登陆浙江", text="台风烟花今天在浙江舟山登陆，带来强降雨和大风。",
             content_hash="t1"),
    Document(id="stocks", path="stocks", title="股市收盘上涨", text="沪深股市今天收盘上涨，券商板块领涨。", content_hash="s1"),
    Document(id="rain", path="rain", title="北方强降雨", text="北方多地出现强降雨，气象台发布预警。", content_hash="r1"),
]


def test_similar_ranks_the_same_story_first(docs_index: SearchIndex) -> None:
    hits = docs_index.similar("typhoon1")
    assert hits[0].id == "typhoon2"
    assert hits[-1].id == "stocks"  # shares only 今天


def test_similar_leaves_out_the_article_and_its_copies(docs_index: SearchIndex) -> None:
    assert {"typhoon1", "copy"}.isdisjoint(h.id for h in docs_index.similar("typhoon1"))


def test_similar_limit(docs_index: SearchIndex) -> None:
    assert len(docs_index.similar("typhoon1", limit=1)) == 1
    with pytest.raises(InvalidArgumentError):
        docs_index.similar("typhoon1", limit=0)


def test_similar_unknown_id(docs_index: SearchIndex) -> None:
    with pytest.raises(DocumentNotFoundError, match="no document with id 'nope'"):
        docs_index.similar("nope")


def test_cli_similar(docs_index_dir: Path) -> None:
    runner = CliRunner(env={"ZHSEARCH_INDEX": None})
    result = runner.invoke(cli, ["similar", "typhoon1", "--index", str(docs_index_dir), "--limit", "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == "typhoon1" and [h["id"] for h in data["hits"]] == ["typhoon2"]
    text = runner.invoke(cli, ["similar", "typhoon1", "--index", str(docs_index_dir), "--limit", "1"])
    assert text.stdout.startswith("1. ") and "id: typhoon2" in text.stdout
    missing = runner.invoke(cli, ["similar", "nope", "--index", str(docs_index_dir)])
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: no document with id 'nope'")


def test_http_similar(docs_index: SearchIndex) -> None:
    client = create_app({"INDEX": docs_index, "TESTING": True}).test_client()
    data = client.get("/api/similar/typhoon1?limit=2").get_json()
    assert data["id"] == "typhoon1" and data["hits"][0]["id"] == "typhoon2" and len(data["hits"]) <= 2
    assert client.get("/api/similar/nope").status_code == 404
    assert client.get("/api/similar/typhoon1?limit=0").status_code == 400
