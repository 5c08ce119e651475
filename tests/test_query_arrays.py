"""The evaluator's array shortcuts give exactly what the plain way gives: positions, phrases, unions, top hits."""

from __future__ import annotations

import pickle
import random
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import formats
from whoosh import query as wq
from whoosh.system import pack_uint

from zhsearch.indexer.build import build_index
from zhsearch.search import Document, SearchIndex
from zhsearch.search.embedded import engine, evaluate
from zhsearch.search.embedded.evaluate import Evaluator, Matches, PostingTable, TermPositions
from zhsearch.search.embedded.schema import CompactPositions

DEMO = Path(__file__).resolve().parent.parent / "demo"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "corpus"

position_lists = st.lists(
    st.one_of(st.integers(0, 300), st.integers(0, 70_000), st.integers(0, 2**33)), min_size=1, max_size=40
).map(lambda xs: sorted(set(xs)))


@settings(max_examples=200, deadline=None)
@given(lists=st.lists(position_lists, min_size=0, max_size=30), long_one=st.booleans(), cut=st.booleans())
def test_bulk_decoding_gives_whoosh_positions(lists: list[list[int]], long_one: bool, cut: bool) -> None:
    if long_one:  # pickle writes lists of over 1,000 items in batches
        lists = lists + [list(range(3, 7000, 3))]
    encoder = formats.Positions()
    values = [encoder.encode(p) for p in lists]
    if cut:  # Whoosh's decoder accepts values stored without the pickle's final STOP
        values = [v[:-1] for v in values]
    starts, positions = evaluate._decode_positions(encoder, values)
    expected = [encoder.decode_positions(v) for v in values]
    assert starts.tolist() == np.cumsum([0] + [len(p) for p in expected]).tolist()
    assert positions.tolist() == [p for row in expected for p in row]


@settings(max_examples=200, deadline=None)
@given(lists=st.lists(position_lists, min_size=1, max_size=30))
def test_compact_positions_round_trip_and_decode_in_bulk_as_whooshs(lists: list[list[int]]) -> None:
    compact, whoosh = CompactPositions(field_boost=2.5), formats.Positions(field_boost=2.5)
    values = [compact.encode(p) for p in lists]
    assert [type(v) for v in values] == [int if len(p) == 1 else tuple for p in lists]
    for v, p in zip(values, lists):
        theirs = whoosh.encode(p)
        assert compact.decode_positions(v) == whoosh.decode_positions(theirs) == p
        assert compact.decode_frequency(v) == whoosh.decode_frequency(theirs) == len(p)
        assert compact.decode_weight(v) == whoosh.decode_weight(theirs)
        assert pickle.loads(pickle.dumps(v, 2)) == v
    starts, positions = evaluate._decode_positions(compact, values)
    assert starts.tolist() == np.cumsum([0] + [len(p) for p in lists]).tolist()
    assert positions.tolist() == [q for p in lists for q in p]
    assert compact.decode_positions(compact.combine(values[:2])) == sorted({q for p in lists[:2] for q in p})


def test_values_pickled_otherwise_are_decoded_value_by_value() -> None:
    encoder = formats.Positions()
    values = [encoder.encode([2, 9]), pack_uint(3) + pickle.dumps([1, 4, 4], 4), encoder.encode([7])]
    starts, positions = evaluate._decode_positions(encoder, values)
    assert starts.tolist() == [0, 2, 5, 6] and positions.tolist() == [2, 9, 1, 5, 9, 7]
    assert evaluate._decode_pickled_deltas(values) is None
    wrong_count = [pack_uint(5) + encoder.encode([2, 9])[4:]]
    assert evaluate._decode_pickled_deltas(wrong_count) is None


def test_other_formats_are_decoded_value_by_value() -> None:
    encoder = formats.Characters()
    values = [encoder.encode([(1, 0, 2), (5, 8, 9)]), encoder.encode([(0, 0, 1)])]
    starts, positions = evaluate._decode_positions(encoder, values)
    assert starts.tolist() == [0, 2, 3] and positions.tolist() == [1, 5, 0]


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(position_lists, min_size=0, max_size=25), data=st.data())
def test_positions_among_candidates(rows: list[list[int]], data: st.DataObject) -> None:
    ids = np.array(sorted(data.draw(st.sets(st.integers(0, 200), min_size=len(rows), max_size=len(rows)))), dtype=np.int64)
    starts = np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)
    term = TermPositions(ids, starts, np.array([p for r in rows for p in r], dtype=np.int64))
    candidates = np.array(sorted(data.draw(st.sets(st.integers(0, 200)))), dtype=np.int64)
    docs, positions = term.among(candidates).pairs()
    wanted = set(candidates.tolist())
    expected = [(int(d), p) for d, r in zip(ids, rows) if int(d) in wanted for p in r]
    assert list(zip(docs.tolist(), positions.tolist())) == expected


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    location = tmp_path_factory.mktemp("arrays") / "index"
    build_index([DEMO, FIXTURES], location)
    with SearchIndex.open(location) as opened:
        yield opened


def _pair_phrases(index: SearchIndex) -> list[wq.Phrase]:
    phrases = []
    for doc in list(index.documents())[:40]:
        text = "".join(c for c in doc.title if "\u4e00" <= c <= "\u9fff")
        for size in (3, 4, 6):
            piece = text[:size]
            if len(piece) == size:
                phrases.append(wq.Phrase("text_pairs", [piece[i : i + 2] for i in range(size - 1)]))
    return phrases


@pytest.mark.parametrize("partial", [0, 64, 10**9])
def test_phrases_match_whoosh_whether_positions_are_cached_or_read_per_candidate(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch, partial: int
) -> None:
    # 0: only the candidates' positions are ever read, kept with the documents they cover and
    # completed by the next phrases' candidates; 10**9: a term's are always read in full and cached.
    monkeypatch.setattr(evaluate, "PARTIAL_POSITIONS", partial)
    phrases = _pair_phrases(index)
    assert len(phrases) > 50
    with index._searcher() as searcher:
        table = PostingTable(searcher)
        Evaluator(searcher, table).run(phrases[0])
        assert (len(table._positions) > 0) == (partial > 0)
        if partial in (0, 10**9):
            assert (len(table._in_part) > 0) == (partial == 0)
        for _ in range(3):
            for phrase in phrases:
                found = Evaluator(searcher, table).run(phrase)
                expected = sorted(searcher.docs_for_query(phrase))
                assert found.ids.tolist() == expected, phrase
                whoosh = {hit.docnum: hit.score for hit in searcher.search(phrase, limit=None)}
                assert np.allclose(found.scores, [whoosh[d] for d in expected], rtol=1e-9, atol=0)
        assert (len(table._positions) > 0) == (partial > 0)


def test_the_position_cache_stays_within_its_budget(index: SearchIndex) -> None:
    with index._searcher() as searcher:
        table = PostingTable(searcher, max_position_bytes=2000)
        for phrase in _pair_phrases(index)[:30]:
            Evaluator(searcher, table).run(phrase)
        kept = table._positions
        assert kept.cached_bytes == sum(p.nbytes for p in kept.values())
        assert kept.cached_bytes <= 2000 or len(kept) == 1


docnum_sets = st.sets(st.integers(0, 400), max_size=120).map(lambda xs: np.array(sorted(xs), dtype=np.int64))


@settings(max_examples=300, deadline=None)
@given(ids=docnum_sets, among=docnum_sets)
def test_members_by_mask_and_by_search_agree(ids: np.ndarray, among: np.ndarray) -> None:
    expected = [x in set(among.tolist()) for x in ids.tolist()]
    for dense in (0, 10**9):  # never, always a mask
        evaluate.DENSE = dense
        try:
            assert evaluate.members(ids, among).tolist() == expected
        finally:
            evaluate.DENSE = 16


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.tuples(docnum_sets, st.integers(0, 2**32)), max_size=5))
def test_dense_and_sorted_unions_are_bit_identical(parts: list[tuple[np.ndarray, int]]) -> None:
    matches = []
    for ids, seed in parts:
        scores = np.random.default_rng(seed).uniform(0.01, 30.0, len(ids))
        matches.append(Matches(ids, scores))
    found = []
    for dense in (0, 10**9):
        evaluate.DENSE = dense
        try:
            found.append(evaluate._union(matches, 401))
        finally:
            evaluate.DENSE = 16
    (sorted_ids, sorted_scores), (dense_ids, dense_scores) = [(m.ids, m.scores) for m in found]
    assert dense_ids.tolist() == sorted_ids.tolist()
    assert dense_scores.tobytes() == sorted_scores.tobytes()  # the same sums, to the last bit


@settings(max_examples=300, deadline=None)
@given(
    keys=st.lists(st.one_of(st.integers(0, 6), st.integers(0, 2**64 - 1)), max_size=150),
    count=st.integers(0, 160),
    as_float=st.booleans(),
)
def test_the_head_of_the_order_is_the_head_of_the_full_sort(keys: list[int], count: int, as_float: bool) -> None:
    key = np.array([-float(k % 7) for k in keys]) if as_float else np.array(keys, dtype=np.uint64)
    ids = np.arange(len(keys), dtype=np.int64) * 3
    full = np.lexsort((ids, key))
    assert engine._first(key, ids, count).tolist() == full[:count].tolist()


def _corpus() -> list[Document]:
    # Many ties (identical texts score alike), copies (shared content hashes), undated articles.
    rng = random.Random(11)
    words = ["疫苗", "经济", "香港", "选举", "央行", "芯片", "贸易", "口罩"]
    texts = [f"{a}与{b}的新闻，{c}{a}。" for a, b, c in (rng.sample(words, 3) for _ in range(12))]
    docs = []
    for n in range(240):
        k = rng.randrange(len(texts))
        day = rng.choice([None, None, *range(1, 29)])
        docs.append(Document(
            id=f"d{n}", path=f"d{n}.md", title=texts[k][:4], text=texts[k],
            content_hash=f"h{k}" if rng.random() < 0.9 else "", simhash=0,
            date=datetime(2021, 5, day, tzinfo=timezone.utc) if day else None,
        ))
    return docs


DOCS = _corpus()


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("dedup", [True, False])
def test_pages_are_the_same_with_the_shortcuts_and_with_full_sorts(
    docs_index: SearchIndex, monkeypatch: pytest.MonkeyPatch, sort: str, dedup: bool
) -> None:
    with docs_index._searcher() as searcher:
        assert docs_index._duplicates(searcher).members  # the collapse is exercised
    queries = ["疫苗", "疫苗 OR 经济 OR 香港", "经济 芯片", "新闻", '"的新闻"', "", "贸易 -口罩", "口罩 OR 新闻"]
    matched = 0
    for query in queries:
        for page, limit in ((1, 1), (1, 10), (3, 7), (2, 50), (40, 10)):
            pages = []
            for dense, head in ((10**9, 1), (0, 10**9)):  # shortcuts everywhere; none
                monkeypatch.setattr(evaluate, "DENSE", dense)
                monkeypatch.setattr(engine, "MIN_HEAD", head)
                found = docs_index.search(query, page=page, limit=limit, sort=sort, dedup=dedup)
                pages.append((
                    [(h.id, h.score, h.duplicates) for h in found.hits], found.total, found.facets,
                ))
            assert pages[0] == pages[1], (query, page, limit)
            matched += pages[0][1] > 0
    assert matched >= 20


def test_length_codes_read_at_once_equal_the_column_read_document_by_document(index: SearchIndex) -> None:
    with index._searcher() as searcher:
        checked = 0
        for reader in searcher.reader().leaf_readers():
            reader = reader[0] if isinstance(reader, tuple) else reader
            for fieldname in ("title", "text", "title_chars", "text_chars", "title_pairs", "text_pairs"):
                column = reader._perdoc._cached_reader(evaluate._lenfield(fieldname), evaluate.LENGTHS_COLUMN)
                one_by_one = np.array([int(code or 0) for code in column], dtype=np.uint8)
                at_once = evaluate._length_bytes(reader, fieldname)
                assert at_once is not None and at_once.dtype == np.uint8
                assert at_once.tolist() == one_by_one.tolist()
                assert len(at_once) == reader.doc_count_all() and at_once.any()
                checked += 1
    assert checked >= 6


def _positions_of(occurrences: dict[int, list[int]]) -> TermPositions:
    ids = sorted(occurrences)
    starts = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum([len(occurrences[d]) for d in ids], out=starts[1:])
    flat = [p for d in ids for p in occurrences[d]]
    return TermPositions(np.array(ids, dtype=np.int64), starts, np.array(flat, dtype=np.int64))


@given(
    st.dictionaries(st.integers(0, 200), st.lists(st.integers(0, 500), min_size=1, max_size=5), max_size=30),
    st.randoms(use_true_random=False),
)
def test_positions_read_in_parts_merge_into_what_one_read_gives(
    occurrences: dict[int, list[int]], rng: random.Random
) -> None:
    docs = list(occurrences)
    rng.shuffle(docs)
    cut = rng.randint(0, len(docs))
    first = _positions_of({d: occurrences[d] for d in docs[:cut]})
    second = _positions_of({d: occurrences[d] for d in docs[cut:]})
    whole = _positions_of(occurrences)
    merged = first.merged(second)
    assert merged.ids.tolist() == whole.ids.tolist()
    assert merged.starts.tolist() == whole.starts.tolist()
    assert merged.positions.tolist() == whole.positions.tolist()


def test_a_term_read_in_part_is_completed_by_later_candidates_not_read_again(index: SearchIndex) -> None:
    phrases = [p for p in _pair_phrases(index) if len(p.words) >= 2]
    with index._searcher() as searcher:
        table = PostingTable(searcher)
        word = phrases[0].words[0]
        text = searcher.schema["text_pairs"].to_bytes(word)
        ids = table.term(Evaluator(searcher, table), "text_pairs", text)[0]
        assert len(ids) >= 2
        documents = len(ids) * evaluate.PARTIAL_POSITIONS * 10  # keeps both reads "in part"
        one = table.positions(searcher, "text_pairs", text, ids[:1], documents)
        both = table.positions(searcher, "text_pairs", text, ids[:2], documents)
        again = table.positions(searcher, "text_pairs", text, ids[1:2], documents)
        assert set(one.ids.tolist()) == {int(ids[0])}
        assert set(both.ids.tolist()) == {int(ids[0]), int(ids[1])}
        assert again is both  # answered from the part already read
        assert len(table._positions) == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 60), max_size=80))
def test_distinct_and_first_indices_are_what_np_unique_gives(values: list[int]) -> None:
    array = np.array(values, dtype=np.uint32)
    assert evaluate.distinct(array).tolist() == np.unique(array).tolist()
    assert evaluate.first_indices(array).tolist() == np.unique(array, return_index=True)[1].tolist()
