"""Packed posting lists (search.embedded.postings) and the codec that reads them (search.embedded.codec).

Round trips of random lists through the writer and Whoosh's matcher interface; a segment of
packed lists searched by Whoosh itself as a W3 segment of the same documents is; W3 segments
(older indexes) next to packed ones; merges of either into packed lists.
"""

from __future__ import annotations

import pickle
from array import array
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import formats
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC
from whoosh.util.numeric import byte_to_length

from zhsearch.search import AnalyzerConfig, Document
from zhsearch.search.embedded.codec import ZhCodec
from zhsearch.search.embedded.evaluate import Evaluator, PostingTable, _read_positions, w3_directory
from zhsearch.search.embedded.inversion import inlined_term_info
from zhsearch.search.embedded.merge import _Lengths, _MergedPostingsFile, _Source, _write_small, merge_segments
from zhsearch.search.embedded.postings import (BLOCK, PackedList, PackedMatcher, concatenate, decode, encode,
                                               from_lists, shift_list)
from zhsearch.search.embedded.schema import CompactPositions, build_schema
from zhsearch.search.embedded.segments import INDEX_NAME, SegmentBuilder
from zhsearch.search.embedded.writer import document_fields

from test_lifecycle_segments import _documents, _files, term_entries


class _File:
    """The part of Whoosh's StructFile a matcher reads through."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def get(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


@st.composite
def _lists(draw: Any) -> tuple[list[int], list[Any], list[float], Any, float, list[int]]:
    """A term's postings: increasing document numbers (1 to 400, gaps up to 2**31), values of a
    format (CompactPositions, frequencies, none), weights, the format, its boost, length bytes."""
    n = draw(st.one_of(st.integers(1, 3), st.integers(126, 131), st.integers(1, 400)))
    gap = draw(st.sampled_from([1, 3, 1000, 2**20, 2**31 // max(n, 1)]))
    gaps = draw(st.lists(st.integers(1, gap), min_size=n, max_size=n))
    ids = list(np.cumsum([draw(st.integers(0, 5))] + gaps[1:]).tolist())
    kind = draw(st.sampled_from(["compact", "frequency", "existence", "weighted"]))
    boost = draw(st.sampled_from([1.0, 2.5, 0.3]))
    top = draw(st.sampled_from([3, 200, 70_000, 2**31 - 1]))
    values: list[Any] = []
    if kind == "compact":
        format_: Any = CompactPositions(field_boost=boost)
        for _ in ids:
            count = draw(st.sampled_from([1, 1, 2, 7, 300]))
            found = sorted(set(draw(st.lists(st.integers(0, top), min_size=count, max_size=count))))
            values.append(format_.encode(found))
        weights = [format_.decode_frequency(v) * boost for v in values]
    elif kind == "frequency":
        format_ = formats.Frequency(field_boost=boost)
        freqs = draw(st.lists(st.integers(1, top), min_size=n, max_size=n))
        values = [f.to_bytes(4, "big") for f in freqs]
        weights = [f * boost for f in freqs]
    else:
        format_ = formats.Existence(field_boost=boost)
        values = [None] * n
        weights = ([1.0] * n if kind == "existence"
                   else draw(st.lists(st.floats(0.5, 1e6, width=32), min_size=n, max_size=n)))
    lengths = draw(st.lists(st.integers(0, 255), min_size=n, max_size=n))
    return ids, values, weights, format_, boost, lengths


def _as_stored(weights: list[float]) -> list[float]:
    return np.asarray(weights, dtype=np.float32).astype(np.float64).tolist()


@settings(max_examples=80, deadline=None)
@given(_lists(), st.data())
def test_random_lists_read_back_through_the_matcher_and_the_bulk_decoder(found: Any, data: Any) -> None:
    ids, values, weights, format_, boost, lengths = found
    fixed = format_.fixed_value_size()
    raw = encode(from_lists(ids, weights, values, fixed, scale=boost), lengths)
    prefix = b"\0" * 7  # the list anywhere in its file
    matcher = PackedMatcher(_File(prefix + raw + b"\1" * 5), len(prefix), len(raw), format_)
    seen = []
    while matcher.is_active():
        block = len(seen) // BLOCK
        rows = slice(block * BLOCK, block * BLOCK + BLOCK)
        present = [b for b in lengths[rows] if b]
        assert matcher.block_min_id() == ids[rows][0] and matcher.block_max_id() == ids[rows][-1]
        assert matcher.block_max_weight() == max(max(weights[rows]), 0)
        assert matcher.block_min_length() == byte_to_length(min(present) if present else 0)
        assert matcher.block_max_length() == byte_to_length(max(lengths[rows]))
        seen.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    expected_values = [None] * len(ids) if fixed == 0 else values
    assert seen == list(zip(ids, _as_stored(weights), expected_values))
    assert all(type(i) is int for i, _, _ in seen)
    # Bulk decoding gives the same arrays; a moved list only moves its documents.
    bulk = decode(raw)
    assert bulk.ids.tolist() == ids and bulk.weights.astype(np.float64).tolist() == _as_stored(weights)
    assert decode(shift_list(raw, 12345)).ids.tolist() == [i + 12345 for i in ids]
    # skip_to lands on the first document at or after the target, from any point.
    matcher.reset()
    for target in sorted(data.draw(st.lists(st.integers(0, ids[-1] + 2), max_size=5))):
        if not matcher.is_active():
            break
        matcher.skip_to(target)
        later = [i for i in ids if i >= target]
        assert (matcher.id() if matcher.is_active() else None) == (later[0] if later else None)
    assert not matcher.supports_block_quality()  # no scorer: as W3's matcher


def test_a_list_of_one_block_and_of_many_blocks_round_trip_with_huge_gaps_and_many_positions() -> None:
    format_ = CompactPositions()
    for ids in ([2**32 - 1], [0, 2**31, 2**32 - 2], list(range(0, 300 * 7919, 7919))):
        values = [format_.encode(range(0, 50_000, 7)) if i % 2 else 5 for i in range(len(ids))]
        weights = [format_.decode_frequency(v) * 1.0 for v in values]
        raw = encode(from_lists(ids, weights, values, None), [0] * len(ids))
        packed = PackedList(raw)
        assert packed.nblocks == (len(ids) + BLOCK - 1) // BLOCK
        assert decode(raw).value_list(None) == values
        matcher = PackedMatcher(_File(raw), 0, len(raw), format_)
        assert list(matcher.all_ids()) == ids
    with pytest.raises(ValueError):
        encode(from_lists([3, 3], [1.0, 1.0], [None, None], 0), [0, 0])  # documents must increase


def test_values_it_cannot_pack_are_kept_pickled() -> None:
    """Whoosh's Positions bytes, tuples of one number, anything else: pickled, read back as given."""
    for values in ([b"\0\0\0\1abc", b"", b"x"], [(4,), 5, (1, 2)], ["a", None, 2.5]):
        raw = encode(from_lists([1, 5, 9], [1.0, 2.0, 1.5], values, None), [1, 2, 3])
        assert decode(raw).value_list(None) == values
        matcher = PackedMatcher(_File(raw), 0, len(raw), formats.Positions())
        seen = []
        while matcher.is_active():
            seen.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        assert seen == list(zip([1, 5, 9], [1.0, 2.0, 1.5], values))


# -- segments -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    return _documents()


def _segments(directory: Path, parts: list[tuple[list[Document], bool]]) -> list[Any]:
    """One segment per (documents, like_whoosh) part, W3 blocks where like_whoosh (an older
    index's segments), listed in one table of contents."""
    directory.mkdir()
    schema = build_schema(AnalyzerConfig())
    storage = FileStorage(str(directory))
    TOC.create(storage, schema, INDEX_NAME)
    segments = []
    for docs, like_whoosh in parts:
        builder = SegmentBuilder(directory, schema, like_whoosh=like_whoosh)
        for doc in docs:
            builder.add(document_fields(doc))
        segments.append(builder.finish())
    TOC(schema, segments, 1).write(storage, INDEX_NAME)
    return segments


_WHOOSH_QUERIES = [wq.Term("text", "港口"), wq.Term("title", "港口"), wq.Term("text_chars", "港"),
                   wq.Phrase("text_pairs", ["港口", "口工"]), wq.Or([wq.Term("text", "记者"), wq.Term("text", "台湾")]),
                   wq.And([wq.Term("text_chars", "港"), wq.Term("source", "东方晨报")]), wq.Term("id", "latin.md")]


def _whoosh_results(directory: Path) -> list[Any]:
    """Whoosh's own matchers (no evaluate.py): hits and scores of each query, the top 5 (block
    quality skipping) and all."""
    out = []
    with whoosh_index.open_dir(str(directory)).searcher() as searcher:
        for query in _WHOOSH_QUERIES:
            for limit in (5, None):
                out.append([(hit["id"], hit.score) for hit in searcher.search(query, limit=limit)])
    return out


def test_whoosh_searches_a_packed_segment_as_the_w3_segment_of_the_same_documents(
    tmp_path: Path, documents: list[Document]
) -> None:
    (packed,) = _segments(tmp_path / "packed", [(documents, False)])
    (old,) = _segments(tmp_path / "w3", [(documents, True)])
    assert type(packed.codec()) is ZhCodec and type(old.codec()) is W3Codec
    ours, theirs = _whoosh_results(tmp_path / "packed"), _whoosh_results(tmp_path / "w3")
    assert ours == theirs
    assert sum(map(len, ours)) > 300
    with whoosh_index.open_dir(str(tmp_path / "packed")).reader() as ours_reader, \
            whoosh_index.open_dir(str(tmp_path / "w3")).reader() as theirs_reader:
        assert term_entries(ours_reader, blocks=True) == term_entries(theirs_reader, blocks=True)
        assert isinstance(ours_reader.postings("text", "港口".encode()), PackedMatcher)
    sizes = {name: (tmp_path / name / f"{s.segment_id()}.pst").stat().st_size
             for name, s in (("packed", packed), ("w3", old))}
    assert sizes["packed"] < 0.8 * sizes["w3"]


def test_the_bulk_reader_reads_packed_and_w3_segments_alike(tmp_path: Path, documents: list[Document]) -> None:
    """evaluate.py's arrays (postings, and positions of all or some documents) of an index of a W3
    segment and a packed one are those of an index of packed segments only."""
    half = len(documents) // 2
    _segments(tmp_path / "mixed", [(documents[:half], True), (documents[half:], False)])
    _segments(tmp_path / "packed", [(documents[:half], False), (documents[half:], False)])
    terms = [("text", "港口"), ("text_pairs", "港口"), ("text_pairs", "口工"), ("title", "观察"), ("text_chars", "港"),
             ("title_pairs", "江城"), ("source", "南岸晚报")]
    found = []
    for name in ("mixed", "packed"):
        with whoosh_index.open_dir(str(tmp_path / name)).searcher() as searcher:
            table = PostingTable(searcher)
            rows = []
            for field, text in terms:
                tbytes = text.encode()
                ids, weights = table.postings(searcher, field, tbytes)
                rows.append((ids.tolist(), weights.tolist()))
                if searcher.schema[field].format.supports("positions"):
                    for candidates in (None, ids[::3]):
                        where = _read_positions(searcher, field, tbytes, candidates)
                        rows.append((where.ids.tolist(), where.starts.tolist(), where.positions.tolist()))
            found.append(rows)
    assert found[0] == found[1]
    assert all(row[0] for row in found[0])


def test_postings_of_some_documents_are_those_of_all_documents_there(tmp_path: Path, documents: list[Document]) -> None:
    """A phrase word's postings read in some documents only (the blocks that may hold them, W3
    blocks found through their directory) are the whole list's postings in those documents."""
    half = len(documents) // 2
    _segments(tmp_path / "mixed", [(documents[:half], True), (documents[half:], False)])
    _segments(tmp_path / "w3", [(documents, True)])
    terms = [("text", "港口"), ("text_pairs", "港口"), ("text_chars", "港"), ("text_chars", "的"), ("title", "观察"),
             ("source", "南岸晚报"), ("text", "不在索引里的词")]
    many_blocks = 0
    for name in ("mixed", "w3"):
        with whoosh_index.open_dir(str(tmp_path / name)).searcher() as searcher:
            table = PostingTable(searcher)
            rng = np.random.default_rng(5)
            for field, text in terms:
                tbytes = text.encode()
                ids, weights = table.postings(searcher, field, tbytes)
                for sub, _ in searcher.leaf_searchers():
                    if (field, tbytes) in sub.reader() and type(sub.reader().codec()) is W3Codec:
                        offsets, maxids = w3_directory(sub.reader().postings(field, tbytes))
                        assert len(offsets) == len(maxids) and (np.diff(maxids) > 0).all()
                        many_blocks += len(offsets) > 1
                everything = np.arange(searcher.doc_count_all(), dtype=np.int64)
                for wanted in (everything, ids, ids[::3], ids[-1:], np.sort(rng.choice(everything, 7, replace=False)),
                               everything[: len(everything) // 3], np.empty(0, dtype=np.int64)):
                    got_ids, got_weights = table.postings_among(searcher, field, tbytes, wanted)
                    keep = np.isin(ids, wanted)
                    assert got_ids.tolist() == ids[keep].tolist() and got_weights.tolist() == weights[keep].tolist()
                    assert got_weights.dtype == weights.dtype
    assert many_blocks  # a list of several W3 blocks was read block by block


def test_a_phrase_reads_a_common_words_postings_only_where_the_rare_word_is(
    tmp_path: Path, documents: list[Document]
) -> None:
    """A phrase of a rare word and a common one: the common word's whole list is not read (nor
    kept), its postings only in the rare word's documents; the same matches and scores."""
    _segments(tmp_path / "w3", [(documents, True)])
    with whoosh_index.open_dir(str(tmp_path / "w3")).searcher() as searcher:
        vocabulary = [(t, searcher.doc_frequency("text", t)) for t in searcher.lexicon("text")]
        common, most = max(vocabulary, key=lambda item: item[1])
        rare = [t for t, n in vocabulary if n * 64 < most]
        matched = 0
        for word in rare[:300]:
            query = wq.Phrase("text", [word.decode(), common.decode()])
            table = PostingTable(searcher)
            found = Evaluator(searcher, table).run(query)
            assert ("text", common) not in table._scores._values

            def unread(*args: Any) -> Any:
                raise AssertionError("read again")

            table.postings_among = unread  # type: ignore[method-assign]
            again = Evaluator(searcher, table).run(query)  # the same documents: kept from the first time
            assert again.ids.tolist() == found.ids.tolist() and again.scores.tolist() == found.scores.tolist()
            whole = PostingTable(searcher)
            whole.term(Evaluator(searcher, whole), "text", common)  # the whole list kept: read from it
            expected = Evaluator(searcher, whole).run(query)
            assert found.ids.tolist() == expected.ids.tolist() and found.scores.tolist() == expected.scores.tolist()
            matched += len(found)
        assert matched


def test_merging_w3_and_packed_segments_writes_what_one_builder_writes(tmp_path: Path, documents: list[Document]) -> None:
    """An older index's W3 segments merged with packed ones (an update of an old index) and packed
    segments merged: the same files as one SegmentBuilder of all the documents."""
    third = len(documents) // 3
    (expected,) = _segments(tmp_path / "one", [(documents, False)])
    for name, old in (("mixed", True), ("packed", False)):
        parts = [(documents[:third], old), (documents[third : 2 * third], False), (documents[2 * third :], old)]
        segments = _segments(tmp_path / name, parts)
        merged = merge_segments(tmp_path / name, build_schema(AnalyzerConfig()), segments)
        assert merged is not None and type(merged.codec()) is ZhCodec
        ours, theirs = _files(tmp_path / name, merged), _files(tmp_path / "one", expected)
        assert ours["pst"] == theirs["pst"], name
        assert ours["trm"] == theirs["trm"], name


def test_a_merge_with_deletions_keeps_the_live_postings(tmp_path: Path, documents: list[Document]) -> None:
    half = len(documents) // 2
    segments = _segments(tmp_path / "parts", [(documents[:half], False), (documents[half:], True)])
    gone = set(range(0, half, 3)) | {half + d for d in range(1, len(documents) - half, 4)}
    for docnum in gone:
        segment = segments[0] if docnum < half else segments[1]
        segment.delete_document(docnum if docnum < half else docnum - half)
    live = [doc for n, doc in enumerate(documents) if n not in gone]
    merged = merge_segments(tmp_path / "parts", build_schema(AnalyzerConfig()), segments)
    storage = FileStorage(str(tmp_path / "parts"))
    TOC(build_schema(AnalyzerConfig()), [merged], 2).write(storage, INDEX_NAME)
    _segments(tmp_path / "live", [(live, True)])
    with whoosh_index.open_dir(str(tmp_path / "parts")).reader() as ours, \
            whoosh_index.open_dir(str(tmp_path / "live")).reader() as theirs:
        assert term_entries(ours, blocks=False) == term_entries(theirs, blocks=False)


def test_the_codec_pickles_with_the_segment() -> None:
    """Whoosh finds a segment's codec in the pickled table of contents."""
    from whoosh.codec.whoosh3 import W3Segment

    from zhsearch.search.embedded.segments import PACKED_CODEC

    segment = pickle.loads(pickle.dumps(W3Segment(PACKED_CODEC, INDEX_NAME, segid="0123456789abcdef")))
    assert type(segment.codec()) is ZhCodec


class _StoredSource(_Source):
    """A merge source whose terms' postings are given (term info -> packed list bytes)."""

    def __init__(self, lists: dict[bytes, bytes], offset: int, renumber: Any) -> None:
        self._lists, self.offset, self.renumber, self.packed = lists, offset, renumber, True

    def raw_postings(self, info: bytes) -> bytes | None:
        return None if info[0] else self._lists[info]


class _Sink:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, raw: bytes) -> None:
        self.data += raw

    def tell(self) -> int:
        return len(self.data)


@settings(max_examples=120, deadline=None)
@given(_lists(), st.data())
def test_the_python_merge_of_short_lists_writes_what_the_numpy_merge_writes(found: Any, data: Any) -> None:
    """A term in several segments, each part a packed list of one block or an inlined posting,
    some documents deleted: ``_write_small`` (Python lists) writes the bytes and term info the
    numpy path (``arrays``, ``concatenate``, ``write_postings``) writes, or leaves the term to it."""
    ids, values, weights, format_, _, length_bytes = found
    ids = list(accumulate([ids[0]] + [min(after - before, 1000) for before, after in zip(ids, ids[1:])]))
    fixed = format_.fixed_value_size()
    cuts = sorted(set(data.draw(st.lists(st.integers(1, len(ids) - 1), max_size=3)))) if len(ids) > 1 else []
    lengths = _Lengths(ids[-1] + 1)
    for docnum, byte in zip(ids, length_bytes):
        lengths._bytes[docnum] = byte
    sources, entries = [], []
    for rank, (low, high) in enumerate(zip([0, *cuts], [*cuts, len(ids)])):
        base = ids[low]
        part = [i - base for i in ids[low:high]]
        if len(part) == 1:
            info = inlined_term_info(part[0], _as_stored(weights[low:high])[0], 0, 0,
                                     values[low] if fixed != 0 else None)
            stored = {}
        else:
            raw = encode(from_lists(part, weights[low:high], values[low:high], fixed), [0] * len(part))
            info = bytes(23) + bytes([rank])
            stored = {info: raw}
        renumber = None
        if data.draw(st.booleans()):
            renumber = array("q", [base + i if data.draw(st.integers(0, 3)) else -1 for i in range(part[-1] + 1)])
        sources.append(_StoredSource(stored, base, renumber))
        entries.append((rank, info))
    python, numpy_ = _MergedPostingsFile(_Sink(), False), _MergedPostingsFile(_Sink(), False)
    small = _write_small(python, sources, entries, fixed, lengths)
    parts = [p for i, info in entries if (p := sources[i].arrays(info, fixed)) is not None]
    if small is None:
        return  # kinds the Python path leaves to numpy
    if not parts:
        assert small == b""
        return
    assert small == numpy_.write_postings(concatenate(parts, fixed), lengths, fixed)
    assert python._dbfile.data == numpy_._dbfile.data


@settings(max_examples=150, deadline=None)
@given(st.lists(_lists(), min_size=1, max_size=6), st.data())
def test_short_terms_merged_together_write_what_merging_them_one_by_one_writes(terms: Any, data: Any) -> None:
    """A batch of terms, each in several segments (parts of 1 to ~130 postings: inlined, one
    block or several, documents deleted or not): ``merge_short_terms`` gives each term it takes
    the packed list and term info the term-by-term merge writes, and leaves the others to it."""
    from zhsearch.search.embedded.merge import _merge_term
    from zhsearch.search.embedded.mergebatch import merge_short_terms

    format_ = terms[0][3]
    fixed = format_.fixed_value_size()
    terms = [(list(accumulate([ids[0]] + [min(b - a, 1000) for a, b in zip(ids, ids[1:])])), *rest)
             for ids, *rest in terms if type(rest[2]) is type(format_)]  # one field: one format
    nsources = data.draw(st.integers(1, 4))
    span = 0
    splits = []
    for ids, *_ in terms:
        cuts = sorted(set(data.draw(st.lists(st.integers(0, len(ids)), max_size=nsources - 1))))
        splits.append(list(zip([0, *cuts], [*cuts, len(ids)])) + [(len(ids), len(ids))] * (nsources - 1 - len(cuts)))
        span = max(span, ids[-1] + 1)
    # A term's part k is a slice of its postings, in segment k (of span documents each).
    deleting = [data.draw(st.booleans()) for _ in range(nsources)]
    lengths = _Lengths(span * nsources)
    for k in range(span * nsources):
        lengths._bytes[k] = data.draw(st.integers(0, 255)) if k < 64 else (k * 37) % 256
    sources: list[_StoredSource] = []
    offset = 0
    for k in range(nsources):
        renumber = None
        live = span
        if deleting[k]:
            gone = set(data.draw(st.lists(st.integers(0, span - 1), max_size=span)))
            renumber = array("q", [-1]) * span
            n = offset
            for d in range(span):
                if d not in gone:
                    renumber[d] = n
                    n += 1
            live = n - offset
        sources.append(_StoredSource({}, offset, renumber))
        offset += live
    batch = []
    for t, ((ids, values, weights, _, _, _), ranges) in enumerate(zip(terms, splits)):
        found = []
        for k, (low, high) in enumerate(ranges):
            if low == high:
                continue
            part = ids[low:high]
            if high - low == 1:
                info = inlined_term_info(part[0], _as_stored(weights[low:high])[0], 0, 0,
                                         values[low] if fixed != 0 else None)
            else:
                raw = encode(from_lists(part, weights[low:high], values[low:high], fixed), [0] * len(part))
                info = bytes(22) + bytes([t, k])
                sources[k]._lists[info] = raw
            found.append((k, info))
        if found:
            batch.append(found)
    merged = merge_short_terms(sources, batch, fixed, lengths._bytes)
    assert len(merged) == len(batch)
    ours, theirs = _MergedPostingsFile(_Sink(), False), _MergedPostingsFile(_Sink(), False)
    for found, short in zip(batch, merged):
        expected = _merge_term(theirs, sources, found, fixed, lengths)
        if short is None:
            _merge_term(ours, sources, found, fixed, lengths)
            continue
        if not short:
            assert expected == b""
            continue
        assert ours.write_block(*short) == expected
    assert ours._dbfile.data == theirs._dbfile.data


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 2**20), st.integers(0, 2**20), st.sampled_from([1.0, 2.5, 0.3, 7.0]),
       st.one_of(st.none(), st.just(b""), st.integers(0, 2**40), st.tuples(st.integers(0, 9), st.integers(0, 2**33)),
                 st.binary(min_size=4, max_size=4)), st.integers(0, 255))
def test_an_inlined_posting_moved_is_the_term_info_written_for_its_new_document(
    docnum: int, shift: int, weight: float, value: Any, length: int,
) -> None:
    """``_shifted_inlined`` (which rewrites the pickle's document number in place) gives the bytes
    ``inlined_term_info`` writes for the moved document (pins the pickle path's bytes too)."""
    from zhsearch.search.embedded.merge import _shifted_inlined

    stored = _as_stored([weight])[0]
    info = inlined_term_info(docnum, stored, weight, length, value)
    assert _shifted_inlined(info, shift) == inlined_term_info(docnum + shift, stored, weight, length, value)
