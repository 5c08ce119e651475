"""A pasted paragraph's phrase bonus is checked by positions only where it can still reach the page,
and the pages are exactly those of checking it everywhere."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from zhsearch.search import Document, IndexWriter, SearchIndex
from zhsearch.search.embedded import evaluate
from zhsearch.search.embedded.evaluate import Evaluator

QUERY = "央行宣布下调利率，银行业绩增长明显，经济前景逐步改善，市场信心开始恢复。"
WORDS = ["央行", "宣布", "下调", "利率", "银行", "业绩", "增长", "明显", "经济", "前景", "逐步", "改善", "市场", "信心",
         "开始", "恢复"]
FILLERS = 150  # more than the 100 first documents the clause bonus reads


def _docs() -> list[Document]:
    backwards = "，".join(reversed(WORDS))  # every word, no two neighbours of the query next to each other
    docs = [Document(id=f"f{n}", path=f"f{n}.md", title=f"报道{n}", text=f"{backwards}。第{n}号。") for n in range(FILLERS)]
    # Two neighbouring words of the query, the other way round: candidates of a phrase that cannot rank.
    docs += [Document(id=f"w{n}", path=f"w{n}.md", title=f"简讯{n}",
                      text=f"{WORDS[n % 15 + 1]}，{WORDS[n % 15]}。足球比赛第{n}轮周末举行，主队获胜，球迷庆祝。")
             for n in range(300)]
    docs += [Document(id=f"o{n}", path=f"o{n}.md", title=f"体育{n}", text=f"足球比赛第{n}轮周末举行，主队获胜。")
             for n in range(400)]
    # The query's words in its order (its phrases), in a longer text: its words alone rank it below
    # every filler, so only its phrase bonus brings it into the documents the clause bonus reads.
    docs.append(Document(id="target", path="target.md", title="旧闻",
                         text="".join(WORDS) + "。" + "足球比赛周末举行，主队获胜，球迷庆祝。" * 3))
    return docs


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    location = tmp_path_factory.mktemp("bounded") / "index"
    with IndexWriter(location) as writer:
        for doc in _docs():
            writer.add(doc)
    with SearchIndex.open(location) as opened:
        yield opened


def _exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every phrase checked in every document that has its words (what the old evaluation did)."""
    monkeypatch.setattr(Evaluator, "ranked", lambda self, query, within=None: self.run(query, within))


def _page(index: SearchIndex, query: str, **options: Any) -> tuple[Any, ...]:
    page = index.search(query, **options)
    return ([(h.id, h.score, h.snippet, h.duplicates) for h in page.hits], page.total, page.facets, page.warnings)


def test_a_document_only_its_phrase_bonus_brings_to_the_page_comes_first(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = index.search(QUERY)
    assert page.hits[0].id == "target"
    bounded = [_page(index, QUERY, limit=limit, page=n, dedup=dedup)
               for limit, n, dedup in ((10, 1, True), (100, 1, False), (100, 2, False))]
    with monkeypatch.context() as patch:
        _exact(patch)
        assert [_page(index, QUERY, limit=limit, page=n, dedup=dedup)
                for limit, n, dedup in ((10, 1, True), (100, 1, False), (100, 2, False))] == bounded
    # Without the phrase bonus it is not among the first 100 (a pruning that checked phrases only
    # in the first documents by their words' scores would lose it).
    monkeypatch.setattr(index, "long_options", dataclasses.replace(index.long_options, proximity_boost=0.0))
    assert "target" not in [h.id for h in index.search(QUERY, limit=100, dedup=False).hits]


def test_positions_are_checked_only_in_documents_that_can_reach_the_page(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: set[int] = set()
    real = Evaluator._with_positions

    def recorded(self: Evaluator, fieldname: str, words: list[Any], candidates: np.ndarray, sizes: list[int]) -> Any:
        checked.update(candidates.tolist())
        return real(self, fieldname, words, candidates, sizes)

    monkeypatch.setattr(Evaluator, "_with_positions", recorded)
    with index._searcher() as searcher:
        weak = {searcher.document_number(id=f"w{n}") for n in range(300)}
        target = searcher.document_number(id="target")
    assert index.search(QUERY).hits[0].id == "target"
    assert target in checked
    assert not checked & weak  # their words' scores and both words' whole scores stay below the page
    with monkeypatch.context() as patch:
        _exact(patch)
        checked.clear()
        index.search(QUERY)
        assert weak <= checked  # each is a phrase's candidate


def _random_docs(rng: random.Random) -> list[Document]:
    vocabulary = ["疫苗", "经济", "香港", "选举", "央行", "芯片", "贸易", "口罩", "利率", "银行", "市场", "股票",
                  "能源", "气候", "教育", "医院", "法院", "警方", "城市", "农村"]
    filler = ["足球", "比赛", "天气", "旅游", "电影", "音乐", "美食", "交通"]
    docs = []
    for n in range(400):
        words = [rng.choice(vocabulary if rng.random() < 0.4 else filler) for _ in range(rng.randint(3, 30))]
        text = "".join(w + ("，" if rng.random() < 0.2 else "") for w in words) + "。"
        if rng.random() < 0.1 and docs:  # copies, for the duplicate groups
            text = docs[rng.randrange(len(docs))].text
        day = rng.choice([None, *range(1, 29)])
        docs.append(Document(id=f"r{n}", path=f"r{n}.md", title="".join(rng.sample(vocabulary, 2)), text=text,
                             source=rng.choice(["甲报", "乙报"]),
                             date=datetime(2021, 5, day, tzinfo=timezone.utc) if day else None))
    return docs


def test_random_pasted_texts_give_the_pages_of_checking_every_phrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(1307)
    docs = _random_docs(rng)
    with IndexWriter(tmp_path / "index") as writer:
        for doc in docs:
            writer.add(doc)
    queries = []
    for _ in range(40):
        a, b = rng.sample(docs, 2)
        queries.append(a.text[: rng.randint(10, 60)] + b.text[: rng.randint(25, 80)])
    options = [{}, {"page": 2, "limit": 5}, {"limit": 50}, {"dedup": False}, {"sort": "newest"},
               {"source": "甲报"}, {"limit": 1}]
    settled: list[int] = []
    real = evaluate.Bounded.settle

    def counted(self: evaluate.Bounded, rows: np.ndarray) -> None:
        settled.append(len(rows))
        real(self, rows)

    with SearchIndex.open(tmp_path / "index") as index:
        monkeypatch.setattr(evaluate.Bounded, "settle", counted)
        bounded = [_page(index, q, **o) for q in queries for o in options]
        assert settled  # the bounded ranking ran
        with monkeypatch.context() as patch:
            _exact(patch)
            assert [_page(index, q, **o) for q in queries for o in options] == bounded
    assert sum(1 for p in bounded if p[1]) > 200
