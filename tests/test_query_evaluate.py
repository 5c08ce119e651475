"""The array evaluator gives exactly what Whoosh's own matchers give: same hits, order, totals, facets."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from zhsearch.indexer.build import build_index
from zhsearch.search import IndexWriter, SearchIndex
from zhsearch.search.embedded.store import current_generation
from zhsearch.search.results.document import Document
from zhsearch.search.text.normalize import fold, script_variants

DEMO = Path(__file__).resolve().parent.parent / "demo"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "corpus"

QUERIES = [
    "碳中和", "碳", "中国", "的", "香港 国安法", "国安法", "港區國安法", "疫苗 OR 疫情", "央行 -降准",
    "央行 NOT 降准", '"碳市场"', '"美联储加息"', "(疫苗 OR 芯片) 台湾", "title:央行", "title:碳中和 企业",
    "source:新浪财经", "source:新浪财经 央行", "-source:新浪财经 央行", "category:财经", "tag:碳中和",
    "date:2021", "date:2021-07..2021-12", "since:2022 until:2022-06", "iPhone", "iphone14", "5G", "LPR",
    "A股", "0.5个百分点", "新冠", "臺灣", "台湾", "軟體", "AI", "carbon", "China carbon neutrality",
    "美联储宣布加息75个基点 为近三十年来最大单次加息幅度", "", "OR", "-碳", '""', "哈哈哈哈",
    "新能源车企冲刺年度目标", "工信部 5G 基站", "央行开展7000亿元MLF操作",
    "央行降准碳中和", "疫苗央行碳市场",  # relaxed runs: at least 2 of their 4 words (AtLeast)
    # pasted text (search/queries/longquery.py): weighted words, clauses found word for word (ConstantScoreQuery)
    "中国人民银行宣布下调贷款市场报价利率，分析人士认为此举将支持实体经济，碳中和目标下企业融资成本降低。",
]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SearchIndex, SearchIndex]]:
    location = tmp_path_factory.mktemp("evaluate") / "index"
    build_index([DEMO, FIXTURES], location)
    with SearchIndex.open(location) as arrays, SearchIndex.open(location) as matchers:
        matchers.vectorized = False
        yield arrays, matchers


def assert_same_page(arrays: SearchIndex, matchers: SearchIndex, query: str, **options: object) -> None:
    fast = arrays.search(query, **options)  # type: ignore[arg-type]
    slow = matchers.search(query, **options)  # type: ignore[arg-type]
    assert [h.id for h in fast.hits] == [h.id for h in slow.hits], (query, options)
    assert fast.total == slow.total and fast.facets == slow.facets and fast.warnings == slow.warnings
    for a, b in zip(fast.hits, slow.hits):
        assert math.isclose(a.score, b.score, rel_tol=1e-9, abs_tol=1e-12), (query, a.id)
        assert (a.snippet, a.title_html, a.duplicates) == (b.snippet, b.title_html, b.duplicates)


@pytest.mark.parametrize("query", QUERIES)
def test_arrays_and_matchers_agree(indexes: tuple[SearchIndex, SearchIndex], query: str) -> None:
    arrays, matchers = indexes
    assert_same_page(arrays, matchers, query, limit=20)


@pytest.mark.parametrize(
    "options",
    [
        {"sort": "newest"}, {"sort": "oldest"}, {"dedup": False}, {"page": 2, "limit": 5}, {"page": 50},
        {"source": "新浪财经"}, {"since": "2021-01-01", "until": "2021-12-31"}, {"month": "2021-07"},
        {"category": "财经", "sort": "newest", "dedup": False},
    ],
)
@pytest.mark.parametrize("query", ["", "碳中和", "央行 OR 疫苗", "中国"])
def test_arrays_and_matchers_agree_with_options(
    indexes: tuple[SearchIndex, SearchIndex], query: str, options: dict[str, object]
) -> None:
    arrays, matchers = indexes
    assert_same_page(arrays, matchers, query, **options)


def _vocabulary() -> list[str]:
    words: list[str] = []
    for path in sorted(DEMO.rglob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("title:"):
                words.extend(w for w in line[6:].strip(" '\"").split() if w)
    return words


VOCABULARY = _vocabulary()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_queries_agree(indexes: tuple[SearchIndex, SearchIndex], data: st.DataObject) -> None:
    arrays, matchers = indexes
    parts = []
    for _ in range(data.draw(st.integers(1, 4), label="terms")):
        word = data.draw(st.sampled_from(VOCABULARY), label="word")
        start = data.draw(st.integers(0, max(0, len(word) - 1)), label="start")
        piece = word[start : start + data.draw(st.integers(1, 6), label="length")]
        # Exclusions are left out: Whoosh's AndNot matcher sometimes keeps excluded documents
        # (see test_exclusions_remove_exactly_the_documents_containing_the_term).
        prefix = data.draw(st.sampled_from(["", "", "", "OR ", "title:", '"']), label="operator")
        parts.append(prefix + piece + ('"' if prefix == '"' else ""))
    assert_same_page(arrays, matchers, " ".join(parts), limit=10)


def _contains(doc: Document, needle: str) -> bool:
    # Punctuation and spaces separate: 业开 does not occur in "企业，开放".
    pieces = [piece for value in (doc.title, doc.text) for piece in re.split(r"[\W_]+", fold(value))]
    return any(v in piece for v in script_variants(needle) for piece in pieces)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_exclusions_remove_exactly_the_documents_containing_the_term(
    indexes: tuple[SearchIndex, SearchIndex], data: st.DataObject
) -> None:
    arrays, _ = indexes
    words = []
    for label in ("kept", "excluded"):
        word = data.draw(st.sampled_from(VOCABULARY), label=label)
        start = data.draw(st.integers(0, max(0, len(word) - 1)), label=f"{label} start")
        words.append(word[start : start + data.draw(st.integers(1, 3), label=f"{label} length")])
    kept, excluded = words
    # Letter and digit runs match whole (1 does not find 10): the brute force below is for ideographs.
    assume(all(re.fullmatch(r"[\u4e00-\u9fff]+", w) for w in words))
    expected = {d.id for d in arrays.documents() if _contains(d, kept) and not _contains(d, excluded)}
    assert arrays.matching_ids(f'"{kept}" -{excluded}') == expected
    page = arrays.search(f'-{excluded} "{kept}"', limit=100, dedup=False)
    assert {h.id for h in page.hits} == expected and page.total == len(expected)


def test_whoosh_keeps_an_excluded_document_the_arrays_drop(indexes: tuple[SearchIndex, SearchIndex]) -> None:
    # Whoosh's own matchers keep the article about 国内首个海上风电 although it contains 全.
    arrays, matchers = indexes
    expected = {d.id for d in arrays.documents() if _contains(d, "国内") and not _contains(d, "全")}
    assert arrays.matching_ids("国内 -全") == expected
    assert {h.id for h in arrays.search("国内 -全", dedup=False).hits} == expected


def test_several_segments_and_deleted_documents_agree(tmp_path: Path) -> None:
    # An index that grew by later commits and lost documents: docnums span segments, some dead.
    location = tmp_path / "index"
    build_index([DEMO], location)
    rng = random.Random(7)
    with SearchIndex.open(location) as opened:
        originals = list(opened.documents())
    # zhsearch's own writer (Whoosh's takes no CompactPositions values): each update adds a segment.
    for round_ in range(2):
        with IndexWriter(location, update=True) as writer:
            for doc in rng.sample(originals, 8):
                writer.add(Document(
                    id=f"{doc.id}-copy{round_}", path=doc.path, title=doc.title + " 追踪报道", text=doc.text[::-1],
                    source=doc.source, date=doc.date, categories=doc.categories,
                ))
    with IndexWriter(location, update=True) as writer:
        for doc in rng.sample(originals, 6):
            assert writer.delete(doc.id) == 1
    ix = whoosh_index.open_dir(str(current_generation(location)))
    with ix.reader() as reader:  # closed here: its segment files are separate open files
        assert len(reader.leaf_readers()) >= 3 and reader.has_deletions()
    with SearchIndex.open(location) as arrays, SearchIndex.open(location) as matchers:
        matchers.vectorized = False
        for query in ["碳中和", "追踪报道", "中国 OR 香港", "央行", "的", '"国安法"', "source:新浪财经 央行"]:
            for options in ({}, {"sort": "newest"}, {"dedup": False}):
                assert_same_page(arrays, matchers, query, limit=30, **options)


def test_the_array_path_is_taken(indexes: tuple[SearchIndex, SearchIndex]) -> None:
    # Guard against the evaluator silently falling back to Whoosh for ordinary queries.
    from zhsearch.search.embedded import engine

    arrays, _ = indexes
    calls: list[str] = []
    original = engine.SearchIndex._rank_whoosh

    def spy(self: SearchIndex, *args: object, **kwargs: object) -> object:
        calls.append("whoosh")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    engine.SearchIndex._rank_whoosh = spy  # type: ignore[method-assign]
    try:
        for query in ["碳中和", "香港 国安法", '"碳市场"', "央行 -降准", "(疫苗 OR 芯片) 台湾", "", "source:新浪财经",
                      QUERIES[-1]]:
            arrays.search(query)
    finally:
        engine.SearchIndex._rank_whoosh = original  # type: ignore[method-assign]
    assert calls == []


def test_similar_articles_agree(indexes: tuple[SearchIndex, SearchIndex]) -> None:
    arrays, matchers = indexes
    ids = [d.id for d in arrays.documents()][:12]
    for doc_id in ids:
        fast, slow = arrays.similar(doc_id, limit=5), matchers.similar(doc_id, limit=5)
        assert [h.id for h in fast] == [h.id for h in slow], doc_id
        assert all(math.isclose(a.score, b.score, rel_tol=1e-9) for a, b in zip(fast, slow))


def test_the_term_cache_stays_within_its_budget(indexes: tuple[SearchIndex, SearchIndex]) -> None:
    from zhsearch.search.embedded.evaluate import Evaluator, PostingTable

    arrays, _ = indexes
    with arrays._searcher() as searcher:
        table = PostingTable(searcher, max_terms=1000, max_bytes=4096)
        evaluator = Evaluator(searcher, table)
        for word in ["中国", "的", "央行", "碳", "疫苗", "香港", "美国", "市场"]:
            first = table.term(evaluator, "text_chars" if len(word) == 1 else "text_pairs", word)
            again = table.term(evaluator, "text_chars" if len(word) == 1 else "text_pairs", word)
            assert first[0] is again[0]  # the second lookup is the cached arrays
        assert table._scores.cached_bytes <= 4096 or len(table._scores) == 1
        assert table._scores.cached_bytes == sum(i.nbytes + s.nbytes for i, s in table._scores.values())
