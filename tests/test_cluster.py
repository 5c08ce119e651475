"""The Xapian cluster backend: a real 3-shard loopback cluster answers as the embedded index does."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhsearch.indexer.build import parse_archive
from zhsearch.search import Document, DocumentSink, IndexWriter, InvalidArgumentError, SearchBackend, SearchPage, open_index
from zhsearch.search.errors import DocumentNotFoundError, IndexLockedError, ZhsearchError

from conftest import CARBON, CORPUS, IPHONE, REPORTER, TAIWAN, serving

try:
    import xapian  # noqa: F401
    MISSING = "" if shutil.which("xapian-tcpsrv") else "xapian-tcpsrv is not installed (apt-get install xapian-tools)"
except ImportError:
    MISSING = "the Xapian bindings are not installed (pip install 'zhsearch[cluster]')"
if MISSING and os.environ.get("CI") == "true":  # .ci/run installs both: in CI these tests run
    pytest.fail(MISSING, pytrace=False)
if MISSING:
    pytest.skip(MISSING, allow_module_level=True)

from zhsearch.search import open_cluster  # noqa: E402
from zhsearch.search.xapian_cluster import ClusterConfig, ClusterConfigError, ClusterWriter, ShardUnavailableError, write_all  # noqa: E402
from zhsearch.search.xapian_cluster import servers  # noqa: E402
from zhsearch.search.xapian_cluster.terms import shard_of  # noqa: E402
from zhsearch.cli import cli  # noqa: E402

BASE = 0x0123_4567_89AB_CDEF
LONG_ID = "archive/" + "很长的文件名" * 30 + ".md"  # 548 bytes: longer than a Xapian term


def _doc(doc_id: str, title: str, text: str, *, content_hash: str = "", simhash: int = 0,
         source: str | None = None, day: int = 1, tags: tuple[str, ...] = ()) -> Document:
    return Document(id=doc_id, path=doc_id, title=title, text=text, content_hash=content_hash, simhash=simhash,
                    source=source, tags=tags, date=datetime(2021, 3, day, tzinfo=timezone.utc))


# Written for these tests: exact and near copies (one inserted character in a text long enough for
# a 5-character-shingle Jaccard above the default 0.8), a run of words to relax, an id too long for a term.
EXTRA = [
    _doc("copies/zb", "疫苗接种开始", "全国疫苗接种今天开始，记者在接种点看到市民排队。医护人员提醒市民接种后在现场留观三十分钟，回家后多喝水、注意休息，如有不适及时就医。", content_hash="h1",
         simhash=BASE, source="联合早报", day=1, tags=("疫苗",)),
    _doc("copies/sina", "疫苗接种开始", "全国疫苗接种今天开始，记者在接种点看到市民排队。医护人员提醒市民接种后在现场留观三十分钟，回家后多喝水、注意休息，如有不适及时就医。", content_hash="h1",
         simhash=BASE, source="新浪财经", day=2, tags=("疫苗",)),
    _doc("copies/near", "疫苗接种开始了", "全国疫苗接种今天开始了，记者在接种点看到市民排队。医护人员提醒市民接种后在现场留观三十分钟，回家后多喝水、注意休息，如有不适及时就医。", content_hash="h2",
         simhash=BASE ^ 0b111, source="中央社", day=3),
    _doc("copies/far", "疫苗供应紧张", "疫苗供应依然紧张，多地接种点暂停预约。", content_hash="h3",
         simhash=BASE ^ 0xF0F0_0000, day=4),
    _doc(LONG_ID, "长文件名的港口新闻", "港口吞吐量创下新高，集装箱码头昼夜作业。", source="港口日报", day=9),
]

QUERIES = [
    "记者", "达峰", "碳中和", "碳达峰碳中和", '"碳中和"', "2030年", "年前", '"持续 成长"', "资讯", "臺灣",
    "iPhone14", "5G", "COVID-19", "AT&T", "ＡＢＣ１２３", "abc123", "记者 -新华社", "记者 NOT 人工智能",
    "记者 source:联合早报", "记者 -source:联合早报", "category:科技", "tag:科技 记者", "date:2021 记者",
    "date:2021-10-01..2021-10-31", "since:2022 记者", "until:2020-12-31", "(央行 OR 台风) 记者", "title:快讯",
    "疫苗", "疫苗 接种", '"接种 开始了"', "港口", "香港国安法实施后的影响", "芯片短缺影响汽车生产",
    "央行开展逆回购操作维护市场流动性", "毫米波", '"毫米波"', "-记者", "不存在的词语", "烟火气",
    "街角的早点铺和修鞋摊同样是城市记忆的一部分规划部门应当在拆与留之间找到平衡",
    # questions: re-ranked from the first hits' stored text (their words together, early; a date)
    "碳中和目标什么时候实现", "台风登陆时间", "记者采访了哪些市民",
]


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    docs, _ = parse_archive([CORPUS])
    return docs + EXTRA


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, documents: list[Document]) -> Iterator[SearchBackend]:
    location = tmp_path_factory.mktemp("embedded") / "index"
    with IndexWriter(location) as writer:
        for doc in documents:
            writer.add(doc)
    with open_index(location) as index:
        yield index


@pytest.fixture(scope="module")
def cluster_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Three writable xapian-tcpsrv shards on free loopback ports, stopped by their pids afterwards."""
    directory = tmp_path_factory.mktemp("cluster")
    servers.start(directory, 3)
    try:
        yield directory
    finally:
        pids = servers.stop(directory)
        assert len(pids) == 3


@pytest.fixture(scope="module")
def cluster(cluster_dir: Path, documents: list[Document]) -> Iterator[SearchBackend]:
    config = ClusterConfig.load(cluster_dir / "cluster.toml")
    write_all(config, documents)
    with open_cluster(cluster_dir / "cluster.toml") as index:
        yield index


@pytest.fixture(params=["embedded", "cluster"])
def backend(request: pytest.FixtureRequest) -> SearchBackend:
    """Each backend in turn, holding the same documents: the shared behaviour tests run on both."""
    index: SearchBackend = request.getfixturevalue(request.param)
    return index


def _every_hit(index: SearchBackend, query: str, **options: object) -> list[tuple[str, tuple[str, ...]]]:
    page = index.search(query, limit=100, **options)  # type: ignore[arg-type]
    return [(h.id, tuple(d.id for d in h.duplicates)) for h in page.hits]


# -- the same answers --------------------------------------------------------------------------------


@pytest.mark.parametrize("query", QUERIES)
def test_both_backends_find_the_same_documents(embedded: SearchBackend, cluster: SearchBackend, query: str) -> None:
    assert cluster.matching_ids(query) == embedded.matching_ids(query)
    for dedup in (True, False):
        ours, theirs = cluster.search(query, limit=100, dedup=dedup), embedded.search(query, limit=100, dedup=dedup)
        assert (ours.total, ours.total_counting) == (theirs.total, theirs.total_counting)
        assert ours.facets == theirs.facets
        assert sorted(_every_hit(cluster, query, dedup=dedup)) == sorted(_every_hit(embedded, query, dedup=dedup))
        assert ours.warnings == theirs.warnings  # a long query's note of the words it used included


@pytest.mark.parametrize("query", QUERIES)
def test_every_hit_scores_what_the_embedded_index_gives_it(embedded: SearchBackend, cluster: SearchBackend,
                                                           query: str) -> None:
    # The terms' impacts (wdf) and IDF scales make Xapian compute Whoosh's BM25F: the same score
    # for every document, to the rounding of the impacts (relaxed runs and long queries included).
    ours = {h.id: h.score for h in cluster.search(query, limit=100, dedup=False).hits}
    theirs = {h.id: h.score for h in embedded.search(query, limit=100, dedup=False).hits}
    assert ours.keys() == theirs.keys()
    for doc_id, score in theirs.items():
        assert ours[doc_id] == pytest.approx(score, rel=2e-3, abs=1e-3), doc_id


def test_a_long_query_chooses_the_same_words(embedded: SearchBackend, cluster: SearchBackend) -> None:
    long = [q for q in QUERIES if any(w.startswith(LONG_QUERY_NOTE) for w in embedded.search(q).warnings)]
    assert long  # the shared queries hold a pasted sentence
    for query in long:
        ours, theirs = cluster.search(query, limit=100), embedded.search(query, limit=100)
        assert ours.warnings == theirs.warnings
        assert [h.id for h in ours.hits] == [h.id for h in theirs.hits]


LONG_QUERY_NOTE = "the query is long, so it was searched as"


PASSAGE = "老城区的街巷正在改造，居民希望保留梧桐树和石板路，规划部门承诺先征求意见。"
FILLER = "本报讯，今年以来全市经济运行总体平稳，消费市场逐步回暖，多个重点项目按计划推进。" * 6
PASSAGE_DOCUMENTS = [  # the passage's source, long; an article with its words in the title and two of its three clauses
    _doc("passage/source", "城市更新的一份记录", FILLER + PASSAGE + FILLER, day=1),
    _doc("passage/rival", "老城区街巷改造：保留梧桐树和石板路",
         "老城区的街巷正在改造，居民希望保留梧桐树和石板路。梧桐树和石板路是老城区街巷的记忆。", day=2),
    _doc("passage/market", "梧桐树下的集市", "周末的集市在梧桐树下开张，居民排队购买蔬菜。", day=3),
    _doc("passage/plan", "规划部门征求意见", "规划部门就新区道路方案征求意见，居民可在网上留言。", day=4),
]


def test_a_pasted_passage_ranks_its_source_first_as_in_the_embedded_index(tmp_path: Path) -> None:
    # The article holding every clause gets the best score of the words' ranking on top (twice:
    # the whole text is in it as one run), on the cluster as in the embedded index: without that
    # bonus the rival's title words put it first.
    with IndexWriter(tmp_path / "index") as writer:
        for doc in PASSAGE_DOCUMENTS:
            writer.add(doc)
    config = servers.start(tmp_path / "c", 2)
    try:
        write_all(config, PASSAGE_DOCUMENTS)
        with open_index(tmp_path / "index") as embedded, open_cluster(config.location) as cluster:  # type: ignore[arg-type]
            ours, theirs = cluster.search(PASSAGE), embedded.search(PASSAGE)
            assert any(w.startswith(LONG_QUERY_NOTE) for w in theirs.warnings)
            assert [h.id for h in theirs.hits] == ["passage/source", "passage/rival", "passage/plan", "passage/market"]
            assert [h.id for h in ours.hits] == [h.id for h in theirs.hits]
            for mine, expected in zip(ours.hits, theirs.hits):
                assert mine.score == pytest.approx(expected.score, rel=2e-3, abs=1e-3), mine.id
    finally:
        servers.stop(tmp_path / "c")


def test_words_together_and_early_rank_first_as_in_the_embedded_index(tmp_path: Path) -> None:
    # The first hits re-scored from their stored text (search/queries/evidence.py), on the cluster
    # as in the embedded index: without it the cluster keeps BM25's order (scattered, late first).
    import test_query_evidence as evidence

    with IndexWriter(tmp_path / "index") as writer:
        for doc in evidence.DOCS:
            writer.add(doc)
    config = servers.start(tmp_path / "c", 2)
    try:
        write_all(config, evidence.DOCS)
        with open_index(tmp_path / "index") as embedded, open_cluster(config.location) as cluster:  # type: ignore[arg-type]
            for query, first in (("女王的国葬在哪里举行", ["together", "scattered"]), ("博物馆展出文物", ["early", "late"])):
                ours, theirs = cluster.search(query, dedup=False), embedded.search(query, dedup=False)
                assert [h.id for h in ours.hits][:2] == first == [h.id for h in theirs.hits][:2], query
                for mine, expected in zip(ours.hits, theirs.hits):
                    assert mine.score == pytest.approx(expected.score, rel=2e-3, abs=1e-3), (query, mine.id)
    finally:
        servers.stop(tmp_path / "c")


@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("query", ["记者", "", "疫苗", "source:联合早报", "科技 OR 疫苗"])
def test_sorted_by_date_the_order_is_the_same(embedded: SearchBackend, cluster: SearchBackend, query: str,
                                               sort: str) -> None:
    assert _every_hit(cluster, query, sort=sort) == _every_hit(embedded, query, sort=sort)


@pytest.mark.parametrize("query", ["碳中和", "iPhone14", "台风", "逆回购", "人工智能", "港口"])
def test_the_best_hit_is_the_same_where_the_ranking_agrees(embedded: SearchBackend, cluster: SearchBackend,
                                                           query: str) -> None:
    assert cluster.search(query, limit=1).hits[0].id == embedded.search(query, limit=1).hits[0].id


def test_snippets_and_highlights_come_from_the_shared_code(embedded: SearchBackend, cluster: SearchBackend) -> None:
    ours = {h.id: (h.title_html, h.snippet) for h in cluster.search("碳中和 记者", limit=100).hits}
    theirs = {h.id: (h.title_html, h.snippet) for h in embedded.search("碳中和 记者", limit=100).hits}
    assert ours == theirs and "<mark>碳中和</mark>" in ours[CARBON][1]


def test_the_same_parameters_filter_the_same_way(embedded: SearchBackend, cluster: SearchBackend) -> None:
    options = {"source": ["联合早报", "中央社"], "since": "2021-01", "until": "2021-12-31", "category": "联合早报"}
    assert _every_hit(cluster, "记者", **options) == _every_hit(embedded, "记者", **options)
    assert [h.id for h in cluster.search("记者", **options).hits] == [CARBON]  # type: ignore[arg-type]


def test_a_run_relaxes_in_the_same_steps(embedded: SearchBackend, cluster: SearchBackend) -> None:
    query = "芯片短缺影响汽车生产"
    ours, theirs = cluster.search(query, limit=100, explain=True), embedded.search(query, limit=100, explain=True)
    assert ours.warnings == theirs.warnings and any("同时含有全部词语" in w for w in ours.warnings)
    assert [c["matches"] for c in ours.explain["clauses"]] == [c["matches"] for c in theirs.explain["clauses"]]  # type: ignore[index]


@pytest.mark.parametrize(("words", "required"), [(4, 2), (6, 4), (7, 7), (10, 3), (14, 9), (20, 14)])
def test_a_relaxed_run_matches_the_documents_with_enough_of_its_words(words: int, required: int) -> None:
    """An AtLeast (a relaxed run: at least ``required`` of its words) matches exactly the documents
    holding that many of them, however many words the run has (before: an OR of the C(n, k) ANDs,
    and a run of 14 words needing 9, C(14, 9) = 2002, could not be translated at all)."""
    import random

    from whoosh import query as wq

    from zhsearch.search.queries.query import AtLeast
    from zhsearch.search.xapian_cluster.query import translate
    from zhsearch.search.xapian_cluster.terms import PREFIXES

    draw = random.Random(words * 100 + required)
    vocabulary = [f"w{i}" for i in range(words)]
    db = xapian.WritableDatabase("", xapian.DB_BACKEND_INMEMORY)
    held = []
    for _ in range(400):
        chosen = {w for w in vocabulary if draw.random() < draw.choice((0.3, 0.6, 0.9))}
        doc = xapian.Document()
        for word in chosen:
            doc.add_term(PREFIXES["text"] + word)
        held.append((db.add_document(doc), len(chosen)))
    query = translate(AtLeast([wq.Term("text", w) for w in vocabulary], required))
    enquire = xapian.Enquire(db)
    enquire.set_query(query)
    found = {m.docid for m in enquire.get_mset(0, db.get_doccount())}
    assert found == {docid for docid, count in held if count >= required}
    assert 0 < len(found) < len(held)  # (the draw holds documents on both sides)


def test_a_pasted_passage_is_ranked_by_one_evaluation_of_its_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The clauses' bonus goes to documents of the words' own ranking: the ranking shown is the
    words' query OR the bonus, each word's posting list read once (before: the words' query a
    second time as the filter of that OR), with the embedded index's hits and scores."""
    with IndexWriter(tmp_path / "index") as writer:
        for doc in PASSAGE_DOCUMENTS:
            writer.add(doc)
    with open_index(tmp_path / "index") as embedded:
        expected = embedded.search(PASSAGE)
    config = servers.start(tmp_path / "c", 2)
    try:
        write_all(config, PASSAGE_DOCUMENTS)
        with open_cluster(config.location) as cluster:  # type: ignore[arg-type]
            sent = _one_search(cluster, monkeypatch)
    finally:
        servers.stop(tmp_path / "c")
    page, asked = sent
    assert [h.id for h in page.hits] == [h.id for h in expected.hits] == ["passage/source", "passage/rival", "passage/plan", "passage/market"]
    assert page.total == expected.total and page.warnings == expected.warnings
    for mine, theirs in zip(page.hits, expected.hits):
        assert mine.score == pytest.approx(theirs.score, rel=2e-3, abs=1e-3), mine.id
    words = next(q for n, q in asked if n == 100)  # the words' ranking the clauses are looked for in
    shown = next(q for n, q in asked if n == 10)
    for word in (t for t in words if t.startswith(b"WX")):  # (the words of the text)
        assert _leaves(shown, word) == _leaves(words, word) > 0, word


def _one_search(cluster: SearchBackend, monkeypatch: pytest.MonkeyPatch) -> tuple[SearchPage, list[tuple[int, xapian.Query]]]:
    """The page of the pasted passage, and the queries sent for it with how many matches each asked for."""
    sent: list[tuple[int, xapian.Query]] = []

    class Recorded(xapian.Enquire):  # type: ignore[misc]
        def set_query(self, asked: xapian.Query, *rest: object) -> None:
            self.asked = asked
            super().set_query(asked, *rest)

        def get_mset(self, first: int, maxitems: int, checkatleast: int = 0, *rest: object) -> object:
            sent.append((maxitems, self.asked))
            return super().get_mset(first, maxitems, checkatleast, *rest)

    monkeypatch.setattr(xapian, "Enquire", Recorded)
    page = cluster.search(PASSAGE)
    monkeypatch.undo()
    return page, sent


def _leaves(query: xapian.Query, term: bytes) -> int:
    """How many times ``term`` stands in the tree of ``query``."""
    if query.get_num_subqueries() == 0:  # a leaf: a term (or a value range, everything, nothing)
        return int(list(query) == [term])
    return sum(_leaves(query.get_subquery(i), term) for i in range(query.get_num_subqueries()))


def _exact_counts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ``check_at_least`` of every match the searcher asks the shards for, from now on."""
    asked: list[int] = []

    class Counted(xapian.Enquire):  # type: ignore[misc]
        def get_mset(self, first: int, maxitems: int, checkatleast: int = 0, *rest: object) -> object:
            asked.append(checkatleast)
            return super().get_mset(first, maxitems, checkatleast, *rest)

    monkeypatch.setattr(xapian, "Enquire", Counted)
    return asked


def test_a_relaxed_run_counts_every_match_only_for_its_rankings(embedded: SearchBackend, cluster: SearchBackend,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Relaxing asks whether a word matches nothing and whether fewer than RELAX_BELOW match: the
    terms' statistics and the first matches answer; only the first and the relaxed ranking count
    every match (their totals are shown)."""
    query = "芯片短缺影响汽车生产"
    expected = embedded.search(query)
    everything = len(cluster)
    asked = _exact_counts(monkeypatch)
    page = cluster.search(query)
    assert page.warnings == expected.warnings and any("同时含有全部词语" in w for w in page.warnings)
    assert page.total == expected.total and [h.id for h in page.hits] == [h.id for h in expected.hits]
    assert sum(1 for n in asked if n >= everything) == 2  # (before: one more for each word and each step)


@pytest.mark.parametrize("query", ["tanzhonghe", "疫描 接种"])
def test_a_suggestion_is_checked_without_counting_every_match(embedded: SearchBackend, cluster: SearchBackend,
                                                             monkeypatch: pytest.MonkeyPatch, query: str) -> None:
    """A spelling is suggested when it finds more than the query: its match stops one past the
    query's total; only the query's own ranking counts every match."""
    expected = embedded.search(query)
    everything = len(cluster)
    asked = _exact_counts(monkeypatch)
    page = cluster.search(query)
    assert page.suggestions == expected.suggestions and page.suggestions and page.total == expected.total
    assert sum(1 for n in asked if n >= everything) == 1  # (before: one more for each spelling tried)


def test_a_run_relaxes_over_the_live_documents_while_a_rebuild_is_pending(tmp_path: Path) -> None:
    """The terms' statistics count every document of the shards: while a rebuild's documents are
    not yet published, a word only they hold is still one no live document contains."""
    config = servers.start(tmp_path / "c", 3)
    old = [_doc("a/1", "芯片短缺", "芯片短缺持续，多家厂商减产。"), _doc("a/2", "芯片价格", "芯片价格上涨。")]
    new = old + [_doc("b/1", "汽车生产受影响", "芯片短缺影响汽车生产，车厂停工。", day=2)]
    query = "芯片短缺影响汽车生产"
    try:
        write_all(config, old)
        with open_cluster(config.location) as index:  # type: ignore[arg-type]
            before = index.search(query)
            assert any("同时含有全部词语" in w for w in before.warnings)
            with ClusterWriter(config) as writer:
                writer.start_generation()
                for doc in new:
                    writer.add(doc)
                writer.commit()
                pending = index.search(query)
                assert (pending.warnings, pending.total, [h.id for h in pending.hits]) == (
                    before.warnings, before.total, [h.id for h in before.hits])
                writer.publish()
            after = index.search(query)
            assert after.hits[0].id == "b/1" and after.warnings != before.warnings
    finally:
        servers.stop(tmp_path / "c")


def test_an_export_in_many_batches_is_the_embedded_index_s(embedded: SearchBackend, cluster: SearchBackend,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # The first batch's documents are fetched at once; the later batches' one at a time (Xapian
    # 1.4.22's MSet.fetch() of a batch that does not start at the first match crashes)
    from zhsearch.search.xapian_cluster import searcher

    monkeypatch.setattr(searcher, "EXPORT_BATCH", 4)
    assert list(cluster.documents()) == list(embedded.documents())


def test_documents_statistics_and_export_agree(embedded: SearchBackend, cluster: SearchBackend) -> None:
    assert len(cluster) == len(embedded)
    assert list(cluster.documents()) == list(embedded.documents())
    assert cluster.document(TAIWAN) == embedded.document(TAIWAN)
    ours, theirs = cluster.stats(), embedded.stats()
    assert (ours.documents, ours.sources, ours.first_date, ours.last_date) == (
        theirs.documents, theirs.sources, theirs.first_date, theirs.last_date)
    assert cluster.ids_starting_with("copies/") == embedded.ids_starting_with("copies/")


# -- shared behaviour: each backend on its own -------------------------------------------------------


def test_both_are_backends(backend: SearchBackend) -> None:
    assert isinstance(backend, SearchBackend)


def test_a_substring_finds_every_article_that_contains_it(backend: SearchBackend) -> None:
    assert backend.matching_ids("记者") == set(REPORTER) | {"copies/zb", "copies/sina", "copies/near"}
    assert backend.matching_ids("达峰") == {CARBON}


def test_punctuation_in_a_phrase_stands_for_a_separator(backend: SearchBackend) -> None:
    assert backend.matching_ids('"开始，记者"') == {"copies/zb", "copies/sina"}
    assert backend.matching_ids('"开始记者"') == set()


def test_exclusions_and_filters(backend: SearchBackend) -> None:
    assert CARBON not in backend.matching_ids("记者 -source:联合早报")
    assert backend.matching_ids("疫苗 -接种开始") == {"copies/far"}
    assert backend.matching_ids("tag:疫苗") == {"copies/zb", "copies/sina"}


def test_copies_collapse_into_one_hit(backend: SearchBackend) -> None:
    page = backend.search("疫苗", sort="oldest")
    assert [h.id for h in page.hits] == ["copies/zb", "copies/far"] and page.total == 2
    assert [d.id for d in page.hits[0].duplicates] == ["copies/sina", "copies/near"]
    assert backend.search("疫苗", dedup=False).total == 4


def test_facets_count_documents_over_every_match(backend: SearchBackend) -> None:
    facets = backend.search("疫苗", limit=1).facets
    assert facets["source"] == {"中央社": 1, "新浪财经": 1, "联合早报": 1}
    assert facets["category"] == {"疫苗": 2} and facets["month"] == {"2021-03": 4}


def test_bad_arguments_are_clear_errors(backend: SearchBackend) -> None:
    with pytest.raises(InvalidArgumentError, match="limit must be between 1 and 100"):
        backend.search("记者", limit=0)
    with pytest.raises(DocumentNotFoundError, match="no document with id 'nope'"):
        backend.document("nope")
    assert backend.search("记者", page=50).hits == ()


def test_an_id_longer_than_a_xapian_term_is_kept_whole(backend: SearchBackend) -> None:
    assert len(LONG_ID.encode()) > 245
    assert backend.document(LONG_ID).title == "长文件名的港口新闻"
    assert [h.id for h in backend.search("港口").hits] == [LONG_ID]
    assert backend.ids_starting_with("archive/很长") == [LONG_ID]


def test_similar_leaves_out_the_article_and_its_copies(backend: SearchBackend) -> None:
    ids = [h.id for h in backend.similar("copies/zb")]
    assert "copies/zb" not in ids and "copies/sina" not in ids and "copies/near" not in ids
    assert ids and ids[0] == "copies/far"


@pytest.mark.parametrize("doc_id", ["copies/zb", TAIWAN, CARBON])
def test_similar_chooses_the_key_words_as_the_embedded_index(embedded: SearchBackend, cluster: SearchBackend,
                                                             doc_id: str) -> None:
    ours, theirs = cluster.similar(doc_id, limit=20), embedded.similar(doc_id, limit=20)
    assert [h.id for h in ours] == [h.id for h in theirs] and ours
    assert [h.score for h in ours] == pytest.approx([h.score for h in theirs], rel=2e-3)


@pytest.mark.parametrize("query", ["tanzhonghe", "tai feng", "疫描 接种", "软件", "台风 記者", "记者",
                                   "tanzhonghe source:新华社"])
def test_suggestions_are_the_embedded_index_s(embedded: SearchBackend, cluster: SearchBackend, query: str) -> None:
    assert cluster.search(query).suggestions == embedded.search(query).suggestions


def test_a_pinyin_query_suggests_the_word(backend: SearchBackend) -> None:
    page = backend.search("tanzhonghe")
    assert page.total == 0 and page.suggestions[0] == "碳中和"
    assert backend.search("疫描 接种").suggestions[0] == "疫苗 接种"


@pytest.mark.parametrize("typed", ["碳", "疫苗", "台", "港口 ", "iph"])
def test_completions_are_the_embedded_index_s(embedded: SearchBackend, cluster: SearchBackend, typed: str) -> None:
    assert cluster.completion_table().complete(typed, limit=20) == embedded.completion_table().complete(typed, limit=20)


def test_completions_offer_words_and_titles(backend: SearchBackend) -> None:
    found = backend.completion_table().complete("疫苗", limit=20)
    assert ("word", "疫苗") in {(c.kind, c.text) for c in found}
    assert {c.text for c in found if c.kind == "title"} >= {"疫苗接种开始", "疫苗供应紧张"}
    assert backend.missing_tables() == ()


def test_missing_tables_are_said_and_saved_again(tmp_path: Path, documents: list[Document]) -> None:
    import xapian

    from zhsearch.search.embedded.prepare import prepare_apart

    directory = tmp_path / "c"
    config = servers.start(directory, 2)
    try:
        write_all(config, documents)
        for shard in config.writable:  # as a cluster written before the tables were saved
            db = xapian.remote_open_writable(shard.host, shard.port)
            db.set_metadata("zhsearch.table.vocabulary", "")
            db.set_metadata("zhsearch.table.completions", "")
            db.commit()
            db.close()
        with open_cluster(directory / "cluster.toml") as index:
            told: list[str] = []
            index.table_missing = told.append
            assert index.missing_tables() == ("completions", "vocabulary") and told == ["completions", "vocabulary"]
            page = index.search("tanzhonghe")
            assert page.total == 0 and page.suggestions == ()  # without the vocabulary, nothing to suggest
            assert index.completion_table().complete("碳") == [] and told == ["completions", "vocabulary"]  # told once
            assert prepare_apart(index)  # the server's warm-up: computed in a child process
            assert index.missing_tables() == () and index.save_tables() == []
            assert index.search("tanzhonghe").suggestions[0] == "碳中和"
            assert index.completion_table().complete("碳")
    finally:
        servers.stop(directory)


# -- the cluster itself ------------------------------------------------------------------------------


def test_documents_are_spread_over_the_shards_by_a_stable_hash(cluster_dir: Path, documents: list[Document]) -> None:
    assert shard_of("2021/2021-05-10-碳中和.md", 3) == shard_of("2021/2021-05-10-碳中和.md", 3)
    found = servers.status(ClusterConfig.load(cluster_dir / "cluster.toml"))
    expected = [sum(1 for d in documents if shard_of(d.id, 3) == n) for n in range(3)]
    assert [s.documents for s in found] == expected and all(expected)
    assert all(s.reachable and s.revision == 1 for s in found)


def test_a_writer_adds_and_deletes_by_id(tmp_path: Path) -> None:
    config = servers.start(tmp_path / "c", 2)
    try:
        sink: DocumentSink
        with ClusterWriter(config) as sink:
            sink.add(_doc("a", "港口新闻", "港口吞吐量增长。"))
            sink.add(_doc("b", "港口新闻二", "港口集装箱增长。"))
            sink.commit()
        with open_cluster(config.location) as index:  # type: ignore[arg-type]
            assert index.matching_ids("港口") == {"a", "b"}
            with ClusterWriter(config) as sink:
                sink.delete("a")
                sink.commit()
            assert index.matching_ids("港口") == {"b"}  # a search sees the last commit
    finally:
        servers.stop(tmp_path / "c")


def _shard_contents(config: ClusterConfig) -> list[list[tuple[object, ...]]]:
    """Every document of each shard as Xapian holds it: data, terms with wdf and positions, values."""
    found = []
    for shard in config.writable:
        db = xapian.remote_open(shard.host, shard.port)
        found.append([(
            (doc := db.get_document(p.docid)).get_data(),
            [(t.term, t.wdf, list(t.positer)) for t in doc.termlist()],
            [(v.num, v.value) for v in doc.values()],
        ) for p in db.postlist("")])
        db.close()
    return found


def test_shards_written_side_by_side_hold_what_one_at_a_time_writes(tmp_path: Path, documents: list[Document]) -> None:
    # ClusterWriter.write: each shard's documents analyzed and written by a process of its own
    from zhsearch.search import AnalyzerConfig
    from zhsearch.search.xapian_cluster.terms import TermMaker

    terms = TermMaker(AnalyzerConfig())
    terms.measure(documents, len(documents))
    writes = [(doc, n, "g" if n % 5 == 0 else "") for n, doc in enumerate(documents)]
    contents = []
    for name in ("apart", "together"):
        config = servers.start(tmp_path / name, 3)
        try:
            with ClusterWriter(config, terms=terms) as writer:
                writer.add(writes[0][0], ordinal=0)
                writer.commit()
                if name == "apart":
                    writer.delete(writes[0][0].id)
                    for doc, ordinal, group in writes[1:]:
                        writer.add(doc, ordinal=ordinal, group=group)
                else:
                    writer.write(writes[1:], [writes[0][0].id])
                writer.commit()
            contents.append(_shard_contents(config))
            with open_cluster(config.location) as index:  # type: ignore[arg-type]
                assert len(index) == len(documents) - 1
                with pytest.raises(DocumentNotFoundError):
                    index.document(writes[0][0].id)
            assert [s.revision for s in servers.status(config)] == [2, 2, 2]  # the workers' commits are not counted
        finally:
            servers.stop(tmp_path / name)
    assert contents[0] == contents[1] and all(contents[1])


def test_one_writer_at_a_time(cluster_dir: Path) -> None:
    config = ClusterConfig.load(cluster_dir / "cluster.toml")
    with ClusterWriter(config):
        with pytest.raises(IndexLockedError):
            ClusterWriter(config)


def test_a_shard_down_answers_from_the_others_and_says_so(tmp_path: Path, documents: list[Document]) -> None:
    directory = tmp_path / "c"
    config = servers.start(directory, 3)
    try:
        write_all(config, documents)
        victim = servers.recorded(directory)[0]
        lost = {d.id for d in documents if shard_of(d.id, 3) == 0}
        os.killpg(int(victim["pid"]), signal.SIGTERM)  # type: ignore[call-overload]
        _wait_gone(int(victim["pid"]))  # type: ignore[call-overload]
        with open_cluster(directory / "cluster.toml") as index:
            page = index.search("记者", limit=100, dedup=False)
            assert {h.id for h in page.hits} == {i for i in index.matching_ids("记者")}
            assert page.total == len((set(REPORTER) | {"copies/zb", "copies/sina", "copies/near"}) - lost)
            assert page.warnings[:2] == (
                f"shard {victim['host']}:{victim['port']} is unreachable: Couldn't connect",
                "results come from 2 of the 3 shards: documents on the others are missing",
            )
        with pytest.raises(ShardUnavailableError, match=f"shard 127.0.0.1:{victim['port']} is unreachable"):
            open_cluster(directory / "cluster.toml", require_all_shards=True)
        runner = CliRunner()
        strict = runner.invoke(cli, ["search", "--require-all-shards", "--cluster", str(directory / "cluster.toml"), "记者"])
        assert strict.exit_code == 1
        assert strict.output.splitlines()[0] == f"Error: shard 127.0.0.1:{victim['port']} is unreachable: Couldn't connect"
        status = runner.invoke(cli, ["cluster", "status", str(directory / "cluster.toml")])
        assert status.exit_code == 1 and "UNREACHABLE" in status.output
        assert status.output.splitlines()[-1] == f"{len(documents) - len(lost)} documents on 2 of 3 shards"
    finally:
        servers.stop(directory)


def test_the_web_page_shows_the_missing_shard(tmp_path: Path, documents: list[Document]) -> None:
    from zhsearch.web import create_app

    directory = tmp_path / "c"
    config = servers.start(directory, 2)
    try:
        write_all(config, documents)
        with open_cluster(directory / "cluster.toml") as index:
            client = create_app({"INDEX": index, "TESTING": True}).test_client()
            assert "记者" in client.get("/search?q=记者").get_data(as_text=True)
            victim = servers.recorded(directory)[1]
            os.killpg(int(victim["pid"]), signal.SIGTERM)  # type: ignore[call-overload]
            _wait_gone(int(victim["pid"]))  # type: ignore[call-overload]
            html = client.get("/search?q=记者").get_data(as_text=True)
            assert f"shard 127.0.0.1:{victim['port']} is unreachable" in html
            data = client.get("/api/search?q=记者").get_json()
            assert data["warnings"][1] == "results come from 1 of the 2 shards: documents on the others are missing"
        with pytest.raises(ShardUnavailableError, match=f"shard 127.0.0.1:{victim['port']} is unreachable"):
            ClusterWriter(config)  # writing needs every shard
        from zhsearch.search.xapian_cluster.connect import open_writable

        open_writable(config.writable[0]).close()  # the failed writer released the first shard's write lock
    finally:
        servers.stop(directory)


def test_compact_gives_back_a_rebuild_s_space_and_serves_the_same_answers(tmp_path: Path, documents: list[Document]) -> None:
    directory = tmp_path / "c"
    config = servers.start(directory, 2)
    try:
        write_all(config, documents)
        write_all(config, documents)  # a rebuild: the first generation's documents are deleted, their space kept
        file = directory / "cluster.toml"

        def answers() -> list[tuple[int, list[tuple[str, tuple[str, ...]]]]]:
            with open_cluster(file) as index:
                return [(index.search(q, limit=100).total, _every_hit(index, q)) for q in QUERIES[:12]]

        before, old = answers(), servers.recorded(directory)
        sizes = [servers.disk_size(Path(str(e["path"]))) for e in old]
        with ClusterWriter(config):  # a writer holds the lock: compacting waits for nobody, it refuses
            with pytest.raises(IndexLockedError):
                servers.compact(directory)
        result = CliRunner().invoke(cli, ["cluster", "compact", "--dir", str(directory)])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1].startswith("2 shards compacted: ")
        new = servers.recorded(directory)
        assert [(e["host"], e["port"], e["path"]) for e in new] == [(e["host"], e["port"], e["path"]) for e in old]
        assert {e["pid"] for e in new}.isdisjoint(e["pid"] for e in old)
        assert sorted(servers.running(directory)) == sorted(int(e["pid"]) for e in new)  # type: ignore[call-overload]
        assert not any(_alive_pid(int(e["pid"])) for e in old)  # type: ignore[call-overload]
        after = [servers.disk_size(Path(str(e["path"]))) for e in new]
        assert all(a < b for a, b in zip(after, sizes)), (sizes, after)
        assert not list(directory.glob("shard-*.compact")) and not list(directory.glob("shard-*.old"))
        assert answers() == before
        write_all(config, documents[:5])  # still writable after the swap
        with open_cluster(file) as index:
            assert len(index) == 5
    finally:
        servers.stop(directory)
    failed = CliRunner().invoke(cli, ["cluster", "compact", "--dir", str(directory)])
    assert failed.exit_code == 1 and failed.output.startswith(f"Error: no cluster is running from {directory}")


def _alive_pid(pid: int) -> bool:
    servers._reap(pid)
    return servers._alive(pid)


def _wait_gone(pid: int) -> None:
    for _ in range(200):
        servers._reap(pid)
        if not servers._alive(pid):
            return
        time.sleep(0.02)
    raise AssertionError(f"{pid} still runs")


# -- the command line --------------------------------------------------------------------------------


def test_cluster_up_index_search_down(tmp_path: Path) -> None:
    runner = CliRunner()
    directory = tmp_path / "c"
    up = runner.invoke(cli, ["cluster", "up", "--shards", "2", "--dir", str(directory)])
    assert up.exit_code == 0, up.output
    pids = [int(e["pid"]) for e in json.loads((directory / "servers.json").read_text())]  # type: ignore[call-overload]
    try:
        assert all(servers._alive(pid) for pid in pids) and len(pids) == 2
        again = runner.invoke(cli, ["cluster", "up", "--shards", "2", "--dir", str(directory)])
        assert again.exit_code == 1 and f"Error: a cluster is already running from {directory}" in again.output
        file = str(directory / "cluster.toml")
        built = runner.invoke(cli, ["index", str(CORPUS), "--cluster", file])
        assert built.exit_code == 0, built.output
        assert built.output.splitlines()[-1] == f"Index written to the cluster {file} (2 shards)"
        found = runner.invoke(cli, ["search", "--cluster", file, "--json", "iPhone14"])
        assert [h["id"] for h in json.loads(found.output)["hits"]] == [IPHONE]
        shown = runner.invoke(cli, ["show", "--cluster", file, IPHONE[:20]])
        assert shown.exit_code == 0 and shown.output.startswith("苹果发布iPhone14系列 全系支持5G\n")
        stats = runner.invoke(cli, ["stats", "--cluster", file, "--json"])
        assert json.loads(stats.output)["documents"] == 14
        assert json.loads(stats.output)["roots"] == [str(CORPUS.resolve())]
        words = runner.invoke(cli, ["stats", "--cluster", file, "--words"])
        assert words.exit_code == 0, words.output  # the cluster file's analyzer adds none here
        assert words.output == "no words added to jieba's dictionary: no user dictionary, and none discovered\n"
        exported = runner.invoke(cli, ["export", "--cluster", file])
        assert len(exported.output.splitlines()) == 14
        status = runner.invoke(cli, ["cluster", "status", file])
        assert status.exit_code == 0 and status.output.splitlines()[-1] == "14 documents on 2 of 2 shards"
    finally:
        down = runner.invoke(cli, ["cluster", "down", "--dir", str(directory)])
    assert down.exit_code == 0 and down.output == f"Stopped 2 servers: {pids[0]}, {pids[1]}\n"
    assert not any(servers._alive(pid) for pid in pids)
    assert runner.invoke(cli, ["cluster", "down", "--dir", str(directory)]).output == f"No server of {directory} was running.\n"


def _changesets(config: ClusterConfig) -> list[str]:
    return sorted(f.name for s in config.shards for f in Path(s.path).iterdir() if f.name.startswith("changes"))


def test_shards_keep_changesets_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Kept for xapian-replicate, one per commit, changesets take twice the databases' size: none by
    # default, even with XAPIAN_MAX_CHANGESETS in the caller's environment; the last N when asked.
    monkeypatch.setenv("XAPIAN_MAX_CHANGESETS", "10")
    config = servers.start(tmp_path / "plain", 2)
    try:
        write_all(config, PASSAGE_DOCUMENTS)
        write_all(config, PASSAGE_DOCUMENTS[:2])
        assert _changesets(config) == [] and len(servers.status(config)) == 2
    finally:
        servers.stop(tmp_path / "plain")
    config = servers.start(tmp_path / "kept", 2, changesets=2)
    try:
        write_all(config, PASSAGE_DOCUMENTS)
        write_all(config, PASSAGE_DOCUMENTS[:2])  # more commits than that
        names = _changesets(config)
        assert len(names) == 4 and len(set(names)) == 2  # the last 2 of each shard
    finally:
        servers.stop(tmp_path / "kept")
    with pytest.raises(servers.ClusterServerError, match="0 or more changesets, not -1"):
        servers.start(tmp_path / "bad", 1, changesets=-1)


@pytest.mark.parametrize("options, kept", [([], None), (["--changesets", "5"], b"5")])
def test_cluster_up_changesets(tmp_path: Path, options: list[str], kept: bytes | None) -> None:
    runner = CliRunner()
    directory = tmp_path / "c"
    up = runner.invoke(cli, ["cluster", "up", "--shards", "1", "--dir", str(directory), *options])
    try:
        assert up.exit_code == 0, up.output
        pid = int(servers.recorded(directory)[0]["pid"])  # type: ignore[call-overload]
        environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        found = [v.split(b"=", 1)[1] for v in environment if v.startswith(b"XAPIAN_MAX_CHANGESETS=")]
        assert found == ([kept] if kept else [])
    finally:
        runner.invoke(cli, ["cluster", "down", "--dir", str(directory)])
    bad = runner.invoke(cli, ["cluster", "up", "--dir", str(tmp_path / "d"), "--changesets", "-2"])
    assert bad.exit_code == 2 and not (tmp_path / "d" / "servers.json").exists()


@pytest.mark.parametrize("text, message", [
    ("shards = 3", "lists no [[shards]]"),
    ("[[shards]]\naddress = \"localhost\"", "address must be \"host:port\", not 'localhost'"),
    ("[[shards]]\naddress = \"h:1\"\nrole = \"primary\"", "role must be writable or replica, not 'primary'"),
    ("[[shards]]\naddress = \"h:1\"\nrole = \"replica\"\nreplica_of = \"h:2\"", "has no writable shard"),
    ("[[shards]]\naddress = \"h:1\"\n[[shards]]\naddress = \"h:2\"\nrole = \"replica\"",
     "a replica (and only a replica) names the writable shard it copies in replica_of"),
    ("[[shards]]\naddress = \"h:1\"\n[[shards]]\naddress = \"h:2\"\nrole = \"replica\"\nreplica_of = \"h:3\"",
     "h:2 is a replica of h:3, which is not a writable shard of the cluster"),
    ("[[shards]\n", "is not valid TOML"),
])
def test_a_bad_cluster_file_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "cluster.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ClusterConfigError) as caught:
        ClusterConfig.load(file)
    assert message in str(caught.value)
    result = CliRunner().invoke(cli, ["search", "--cluster", str(file), "记者"])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and message in result.output
    assert "Traceback" not in result.output


def test_a_missing_cluster_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["stats", "--cluster", str(tmp_path / "none.toml")])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"Error: no cluster file at {tmp_path / 'none.toml'}"


def test_the_cluster_file_round_trips(cluster_dir: Path) -> None:
    config = ClusterConfig.load(cluster_dir / "cluster.toml")
    again = ClusterConfig.from_dict(__import__("tomllib").loads(config.to_toml()), location=config.location)
    assert again == config and len(config.writable) == 3


def test_errors_are_zhsearch_errors() -> None:
    assert issubclass(ShardUnavailableError, ZhsearchError) and issubclass(ClusterConfigError, ZhsearchError)


def test_update_and_check_follow_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "posts"
    shutil.copytree(CORPUS, archive)
    directory = tmp_path / "c"
    servers.start(directory, 2)
    runner = CliRunner()
    file = str(directory / "cluster.toml")
    try:
        assert runner.invoke(cli, ["index", str(archive), "--cluster", file]).exit_code == 0
        clean = runner.invoke(cli, ["check", "--cluster", file])
        assert clean.exit_code == 0 and clean.output == "14 documents: 0 added, 0 changed, 0 removed, 14 unchanged\n"
        (archive / "hexo" / "att-verizon.md").unlink()
        carbon = archive / CARBON
        carbon.write_text(carbon.read_text(encoding="utf-8").replace("钢铁", "有色金属"), encoding="utf-8")
        (archive / "hexo" / "港口.md").write_text("---\ntitle: 港口吞吐量创新高\ndate: 2021-06-02\n---\n\n港口集装箱吞吐量创下新高。\n",
                                                 encoding="utf-8")
        stale = runner.invoke(cli, ["check", "--cluster", file])
        assert stale.exit_code == 1
        assert stale.stdout.splitlines() == ["added: hexo/港口.md", f"changed: {CARBON}", "removed: hexo/att-verizon.md",
                                             "14 documents: 1 added, 1 changed, 1 removed, 12 unchanged"]
        assert "Hint: run zhsearch update --cluster to apply them" in stale.stderr
        updated = runner.invoke(cli, ["update", "--cluster", file])  # the folders recorded at index time
        assert updated.exit_code == 0 and updated.stdout.splitlines() == stale.stdout.splitlines()
        assert runner.invoke(cli, ["check", "--cluster", file]).exit_code == 0
        with open_cluster(file) as index:
            assert index.matching_ids("港口") == {"hexo/港口.md"} and index.matching_ids("AT&T") == set()
            assert index.matching_ids("有色金属") == {CARBON}
            assert [d.id for d in index.documents()][-1] == "hexo/港口.md"  # a new document goes last
            # the update saved the tables of what it wrote: the new title completes, the old one is gone
            titles = [c.text for c in index.completion_table().complete("港口") if c.kind == "title"]
            assert titles == ["港口吞吐量创新高"] and index.missing_tables() == ()
            assert not [c for c in index.completion_table().complete("AT&T") if c.kind == "title"]
    finally:
        servers.stop(directory)


def test_an_interrupted_write_converges_on_the_next_update(tmp_path: Path, documents: list[Document]) -> None:
    from zhsearch.search.xapian_cluster.writer import check, sync

    config = servers.start(tmp_path / "c", 3)
    try:
        with ClusterWriter(config) as writer:  # a build killed midway: half written, nothing else
            for doc in documents[::2]:
                writer.add(doc)
            writer.commit()
        assert not check(config, documents).up_to_date
        changes = sync(config, documents)
        assert len(changes.added) == len(documents[1::2]) and not changes.removed
        assert check(config, documents).up_to_date and sync(config, documents).up_to_date
        with open_cluster(config.location) as index:  # type: ignore[arg-type]
            page = index.search("疫苗", sort="oldest")
            assert [h.id for h in page.hits] == ["copies/zb", "copies/far"]  # the groups were recomputed
            assert len(index) == len(documents)
    finally:
        servers.stop(tmp_path / "c")


def test_a_replica_answers_for_its_shard_while_that_is_down(tmp_path: Path, documents: list[Document]) -> None:
    import subprocess

    directory = tmp_path / "c"
    config = servers.start(directory, 2)
    replica_process = None
    try:
        write_all(config, documents)
        primary = config.writable[0]
        copy = tmp_path / "replica-0"
        source_port = servers.free_port()  # Xapian's replication, once: the replica is a copy of shard-0
        source = subprocess.Popen(["xapian-replicate-server", "--interface", "127.0.0.1", "--port", str(source_port),
                                   str(directory)], stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            servers._wait_listening("127.0.0.1", source_port, source.pid)
            subprocess.run(["xapian-replicate", "-h", "127.0.0.1", "-p", str(source_port), "-m", "shard-0", "-o",
                            "-q", str(copy)], check=True, timeout=60)
        finally:
            os.killpg(source.pid, signal.SIGTERM)
            source.wait(timeout=30)
        port = servers.free_port()
        replica_process = subprocess.Popen([servers.tcpsrv(), "--interface", "127.0.0.1", "--port", str(port), str(copy)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        servers._wait_listening("127.0.0.1", port, replica_process.pid)
        text = (directory / "cluster.toml").read_text(encoding="utf-8")
        text += f'\n[[shards]]\naddress = "127.0.0.1:{port}"\nrole = "replica"\nreplica_of = "{primary.address}"\n'
        (directory / "cluster.toml").write_text(text, encoding="utf-8")
        with open_cluster(directory / "cluster.toml") as index:
            assert index.search("记者", dedup=False).total == 12  # the replica is not searched twice
        victim = servers.recorded(directory)[0]
        os.killpg(int(victim["pid"]), signal.SIGTERM)  # type: ignore[call-overload]
        _wait_gone(int(victim["pid"]))  # type: ignore[call-overload]
        with open_cluster(directory / "cluster.toml", require_all_shards=True) as index:
            page = index.search("记者", dedup=False)
            assert page.total == 12 and page.warnings == ()
    finally:
        if replica_process is not None:
            os.killpg(replica_process.pid, signal.SIGTERM)
            replica_process.wait()
        servers.stop(directory)


def test_the_readme_walk_through_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    import shlex

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Past one machine", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    commands = [shlex.split(line.split("#", 1)[0]) for line in block.splitlines() if line.strip()]
    assert [c[:2] for c in commands][0] == ["zhsearch", "cluster"] and commands[-1][1:3] == ["cluster", "down"]
    shutil.copytree(Path(__file__).resolve().parents[1] / "demo", tmp_path / "demo")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    try:
        for command in commands:
            if command[1] == "serve":  # serves until stopped: the web tests cover a cluster's pages
                continue
            result = runner.invoke(cli, command[1:])
            assert result.exit_code == 0, (command, result.output)
            if command[1] == "search":
                assert "results for '碳中和'" in result.output
    finally:
        servers.stop(tmp_path / "cluster")
    assert not servers.running(tmp_path / "cluster")


def test_serve_answers_from_the_cluster(cluster: SearchBackend, cluster_dir: Path, tmp_path: Path) -> None:
    import urllib.parse
    import urllib.request

    with serving(cluster_dir / "cluster.toml", tmp_path, option="--cluster") as base:
        with urllib.request.urlopen(f"{base}/api/search?q={urllib.parse.quote('碳中和')}", timeout=30) as answer:
            data = json.loads(answer.read())
        with urllib.request.urlopen(f"{base}/search?q={urllib.parse.quote('碳中和')}", timeout=30) as answer:
            html = answer.read().decode()
    assert [h["id"] for h in data["hits"]] == [h.id for h in cluster.search("碳中和").hits] and data["total"] >= 1
    assert "<mark>碳中和</mark>" in html
    log = (tmp_path / "serve.log").read_text()
    assert f"serving {cluster_dir / 'cluster.toml'} ({len(cluster)} documents)" in log


def test_another_analyzer_asks_for_a_rebuild(tmp_path: Path) -> None:
    from zhsearch.search.errors import IndexIncompatibleError

    directory = tmp_path / "c"
    servers.start(directory, 2)
    runner = CliRunner()
    file = directory / "cluster.toml"
    try:
        assert runner.invoke(cli, ["index", str(CORPUS), "--cluster", str(file)]).exit_code == 0
        file.write_text(file.read_text(encoding="utf-8").replace("hmm = true", "hmm = false"), encoding="utf-8")
        with pytest.raises(IndexIncompatibleError, match=r"the \[analyzer\] of .* is not the one its shards were written with"):
            open_cluster(file)
        for command in (["search", "--cluster", str(file), "记者"], ["update", "--cluster", str(file)]):
            result = runner.invoke(cli, command)
            assert result.exit_code == 1 and "is not the one its shards were written with" in result.output.splitlines()[0]
            assert result.output.splitlines()[1] == "Hint: restore it, or run zhsearch index --cluster to rebuild"
        rebuilt = runner.invoke(cli, ["index", str(CORPUS), "--cluster", str(file)])
        assert rebuilt.exit_code == 0
        with open_cluster(file) as index:
            assert index.config.hmm is False and len(index.matching_ids("记者")) == len(REPORTER)
    finally:
        servers.stop(directory)


def test_a_rebuild_is_seen_all_at_once(tmp_path: Path, documents: list[Document]) -> None:
    config = servers.start(tmp_path / "c", 3)
    old, new = documents[:10], documents[8:]
    try:
        write_all(config, old)
        with open_cluster(config.location) as index:  # type: ignore[arg-type]
            def seen() -> set[str]:
                return {d.id for d in index.documents()}

            assert seen() == {d.id for d in old}
            with ClusterWriter(config) as writer:  # a rebuild that crashes after writing everything
                writer.start_generation()
                for doc in new:
                    writer.add(doc)
                writer.commit()
            assert seen() == {d.id for d in old} and len(index) == 10  # committed, but not live
            assert index.matching_ids("记者") == {d.id for d in old} & REPORTER
            assert index.stats().documents == 10
            with ClusterWriter(config) as writer:  # the next one finishes the work
                writer.start_generation()
                for doc in new:
                    writer.add(doc)
                writer.commit()
                assert seen() == {d.id for d in old}
                writer.publish()
                assert seen() == {d.id for d in new}
            assert len(index) == len(new) and index.document(new[-1].id).id == new[-1].id
        shard_documents = sum(s.documents or 0 for s in servers.status(config))
        assert shard_documents == len(new)  # the old generation and the crashed one are gone
    finally:
        servers.stop(tmp_path / "c")
