"""The evaluator's array shortcuts give exactly what the plain way gives: positions, phrases, unions, top hits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import formats
from whoosh import query as wq

from indexer.build import build_index
from search import SearchIndex, evaluate
from search.evaluate import Evaluator, PostingTable, TermPositions

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


@pytest.mark.parametrize("partial", [0, 8, 10**9])
def test_phrases_match_whoosh_whether_positions_are_cached_or_read_per_candidate(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch, partial: int
) -> None:
    # 0: only the candidates' positions are read; 10**9: a term's are always read in full and cached.
    monkeypatch.setattr(evaluate, "PARTIAL_POSITIONS", partial)
    phrases = _pair_phrases(index)
    assert len(phrases) > 50
    with index._searcher() as searcher:
        table = PostingTable(searcher)
        for phrase in phrases + phrases:  # the second time from the cache
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
