"""zhsearch's term dictionary (search.embedded.termdict) and the codec that reads it (search.embedded.codec)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3TermInfo
from whoosh.filedb.filestore import FileStorage
from whoosh.query import Prefix, Term

from zhsearch.search import AnalyzerConfig, Document, IndexWriter, open_index
from zhsearch.search.embedded import inversion, segments, termdict
from zhsearch.search.embedded.codec import ZhCodec, ZhTermsReader
from zhsearch.search.embedded.merge import merge_segments, raw_terms
from zhsearch.search.embedded.schema import build_schema
from zhsearch.search.embedded.store import current_generation
from zhsearch.search.embedded.writer import document_fields
from zhsearch.search.queries.complete import _document_frequencies

from test_lifecycle_segments import QUERIES, _documents, term_entries

_TERMINFO = struct.Struct("!BfIBBfII")


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    return _documents()


# -- the format: any (key, term info bytes) entries read back as written ------------------------

_u32 = st.integers(0, 2**32 - 1)
_f32 = st.one_of(st.integers(0, 2**20).map(float), st.floats(width=32, allow_nan=False),
                 st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e30]))


@st.composite
def _infos(draw: Any) -> bytes:
    """W3 term infos as the writers make them (posting addresses, inlined postings of every value
    kind the segment writer inlines) and odd ones (any tail, any bytes)."""
    kind = draw(st.sampled_from(["extent", "inlined", "tail", "raw"]))
    if kind == "raw":
        return draw(st.binary(max_size=40))
    first = draw(_u32)
    last = draw(st.one_of(st.just(first), _u32))
    count = 1 if kind == "inlined" else draw(st.one_of(st.just(1), _u32))
    weight, max_weight = draw(_f32), draw(st.one_of(st.just(None), _f32))
    lengths = draw(st.tuples(st.integers(0, 255), st.integers(0, 255)))
    flags = {"extent": 0, "inlined": 1, "tail": draw(st.integers(0, 255))}[kind]
    if kind == "inlined":
        last = first
    head = _TERMINFO.pack(flags, weight, count, *lengths, weight if max_weight is None else max_weight, first, last)
    if kind == "extent":
        return head + struct.pack("!qi", draw(st.integers(0, 2**40)), draw(st.integers(0, 2**31 - 1)))
    if kind == "tail":
        return head + draw(st.binary(max_size=30))
    (stored,) = struct.unpack("!f", head[1:5])
    value = draw(st.one_of(
        st.just(()), st.just((None,)), st.tuples(st.integers(0, 2**40)),
        st.tuples(st.lists(st.integers(0, 2**20), max_size=5).map(tuple)), st.tuples(st.binary(max_size=20)),
        st.tuples(st.integers(-5, -1)),  # not a compact form: kept as it is
    ))
    return head + termdict._small_pickle(((first,), () if stored == 1.0 else (stored,), value))


_keys = st.lists(
    st.one_of(st.binary(max_size=8), st.text(max_size=6).map(lambda t: b"\x00\x01" + t.encode("utf-8")),
              st.binary(min_size=250, max_size=70_000)),
    unique=True, max_size=60,
).map(sorted)


def _write(path: Path, entries: list[tuple[bytes, bytes]], block: int) -> termdict.TermDict:
    storage = FileStorage(str(path.parent))
    writer = termdict.TermDictWriter(storage.create_file(path.name), block=block)
    writer.fieldmap.update({"a": 0})
    half = len(entries) // 2
    for key, value in entries[:half]:
        writer.add(key, value)
    writer.add_many([k for k, _ in entries[half:]], [v for _, v in entries[half:]])
    writer.close()
    return termdict.TermDict(storage.open_file(path.name), storage.file_length(path.name))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(keys=_keys, data=st.data(), block=st.sampled_from([1, 2, 3, 64]))
def test_every_entry_reads_back_as_written(tmp_path: Path, keys: list[bytes], data: Any, block: int) -> None:
    entries = [(key, data.draw(_infos())) for key in keys]
    terms = _write(tmp_path / "x.trm", entries, block)
    try:
        assert len(terms) == len(entries)
        assert terms.fieldmap == {"a": 0}
        assert list(terms.items_from(b"")) == entries
        for key, value in entries:
            assert terms.get(key) == value and key in terms
            assert terms[key] == value
        missing = data.draw(st.lists(st.binary(max_size=9), max_size=10))
        for key in missing:
            if key not in dict(entries):
                assert terms.get(key) is None and key not in terms
                with pytest.raises(KeyError):
                    terms[key]
            # iteration from any key: every entry from the first key >= it, in order
            assert list(terms.items_from(key)) == [e for e in entries if e[0] >= key]
            assert list(terms.keys_from(key)) == [k for k, _ in entries if k >= key]
        assert sum(k + v for _, _, k, v in terms.sized_items()) <= (tmp_path / "x.trm").stat().st_size
    finally:
        terms.close()


def test_keys_must_increase(tmp_path: Path) -> None:
    writer = termdict.TermDictWriter(FileStorage(str(tmp_path)).create_file("x.trm"))
    writer.add(b"b", b"")
    with pytest.raises(ValueError):
        writer.add(b"b", b"")
    with pytest.raises(ValueError):
        writer.add_many([b"c", b"a"], [b"", b""])
    writer.close()


def test_the_inlined_postings_the_segment_writer_writes_take_their_compact_form() -> None:
    """A one-posting term's value (a position, a tuple of deltas, bytes) is stored alone: its
    document and weight are the statistics'."""
    from zhsearch.search.embedded.inversion import inlined_term_info

    for value in (7, (3, 4, 1), b"\x00\x00\x00\x02", None):
        info = inlined_term_info(123_456, 2.0, 2.0, 9, value)
        out = bytearray()
        termdict.encode_info(info, 0, out)
        assert out[0] & 3 == termdict._INLINED_BODY
        assert len(out) < len(info) - 20
        assert termdict.decode_info(bytes(out), 0, 0) == info


# -- segments written with ZhCodec, read by Whoosh -------------------------------------------------


def _segment(directory: Path, docs: list[Document], *, w3: bool = False) -> Any:
    """One SegmentBuilder segment of ``docs`` (with ``w3``, in the W3 format of older indexes: a W3
    hash dictionary, W3 posting blocks and the W3 codec in the table of contents)."""
    directory.mkdir()
    schema = build_schema(AnalyzerConfig())
    storage = FileStorage(str(directory))
    whoosh_index.TOC.create(storage, schema, segments.INDEX_NAME)
    builder = segments.SegmentBuilder(directory, schema, like_whoosh=w3)
    for doc in docs:
        builder.add(document_fields(doc))
    segment = builder.finish()
    whoosh_index.TOC(schema, [segment], 1).write(storage, segments.INDEX_NAME)
    return segment


def _statistics(entry: tuple[bytes, bytes]) -> tuple[Any, ...]:
    term, raw = entry
    info = W3TermInfo.from_bytes(raw)
    return term, info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight()


def _trm(directory: Path) -> Path:
    (path,) = directory.glob("*.trm")
    return path


def test_a_default_segment_has_the_compact_dictionary_and_whoosh_reads_the_same_terms(
    tmp_path: Path, documents: list[Document]
) -> None:
    new = _segment(tmp_path / "new", documents)
    _segment(tmp_path / "w3", documents, w3=True)
    assert type(new._codec) is ZhCodec
    assert _trm(tmp_path / "new").read_bytes()[:4] == termdict.MAGIC
    assert _trm(tmp_path / "w3").read_bytes()[:4] == b"HSH3"
    assert _trm(tmp_path / "new").stat().st_size * 3 < _trm(tmp_path / "w3").stat().st_size
    ours, theirs = whoosh_index.open_dir(str(tmp_path / "new")), whoosh_index.open_dir(str(tmp_path / "w3"))
    with ours.reader() as a, theirs.reader() as b:
        assert isinstance(a._terms, ZhTermsReader)
        entries = term_entries(a, blocks=True)
        assert len(entries) > 3000 and entries == term_entries(b, blocks=True)
        names = sorted(b.indexed_field_names())
        assert sorted(a.indexed_field_names()) == names
        for name in names:
            # the same statistics (where the postings are differs: inlined or packed lists, W3 blocks)
            assert list(map(_statistics, raw_terms(a, name))) == list(map(_statistics, raw_terms(b, name)))
            assert list(a.lexicon(name)) == list(b.lexicon(name))
        assert list(raw_terms(a, "no such field")) == []
        for name in ("text", "title"):
            assert _document_frequencies(a, name) == _document_frequencies(b, name)
        for name, prefix in (("text", "港"), ("title", "江"), ("id", "gen/0"), ("text_pairs", "")):
            assert list(a.expand_prefix(name, prefix)) == list(b.expand_prefix(name, prefix))
            assert list(a.terms_from(name, prefix)) == list(b.terms_from(name, prefix))
            assert [(t, i.doc_frequency()) for t, i in a.iter_from(name, prefix)] == [
                (t, i.doc_frequency()) for t, i in b.iter_from(name, prefix)]
        assert list(a.all_terms()) == list(b.all_terms())
        for fieldname, text in (("text", "港"), ("text_pairs", "港口"), ("text", "鼯"), ("nosuch", "x")):
            assert ((fieldname, text) in a) == ((fieldname, text) in b)
            if fieldname in a.schema:
                assert a.frequency(fieldname, text) == b.frequency(fieldname, text)
                assert a.doc_frequency(fieldname, text) == b.doc_frequency(fieldname, text)
        # a cursor: from the start, from a term, past the field's end
        ca, cb = a.cursor("title"), b.cursor("title")
        seen = []
        while ca.is_valid():
            assert ca.text() == cb.text() and ca.term_info().doc_frequency() == cb.term_info().doc_frequency()
            seen.append(ca.text())
            ca.next(), cb.next()
        assert len(seen) > 50 and not cb.is_valid() and ca.term_info() is None
        assert ca.find("港") == cb.find("港") and ca.first() == cb.first()
        with ours.searcher() as sa, theirs.searcher() as sb:
            for query in (Term("text_pairs", "港口"), Term("text", "港"), Prefix("title", "江"),
                          Term("text", "鼯")):
                ha, hb = sa.search(query, limit=None), sb.search(query, limit=None)
                assert [(h.docnum, h.score) for h in ha] == [(h.docnum, h.score) for h in hb]


def test_whooshs_own_writer_writes_the_compact_dictionary_with_zhcodec(tmp_path: Path) -> None:
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(id=ID(stored=True), body=TEXT)
    hits = []
    for name, codec in (("w3", W3Codec()), ("zh", ZhCodec())):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), schema)
        writer = ix.writer(codec=codec, compound=False)
        for n in range(300):
            writer.add_document(id=str(n), body=f"alpha beta{n % 7} gamma{n} " + "delta " * (n % 5))
        writer.commit(merge=False)
        with ix.searcher() as searcher:
            hits.append([(h["id"], h.score) for h in searcher.search(Term("body", "beta3") | Term("body", "delta"),
                                                                     limit=None)])
            hits.append(sorted(searcher.reader().lexicon("body")))
    assert _trm(tmp_path / "zh").read_bytes()[:4] == termdict.MAGIC
    assert hits[0] == hits[2] and hits[1] == hits[3] and len(hits[0]) > 100


# -- old indexes -----------------------------------------------------------------------------------


def test_an_index_written_before_the_compact_dictionary_searches_the_same_and_merges_into_it(
    tmp_path: Path, documents: list[Document]
) -> None:
    """An index of main's format (W3 hash dictionaries, the W3 codec pickled in its table of
    contents) opens and answers as an index written now; merging its segments writes the compact
    dictionary, with the same answers."""
    with pytest.MonkeyPatch.context() as patch:  # every segment in the W3 format of older indexes
        patch.setitem(segments.SegmentBuilder.__init__.__kwdefaults__, "like_whoosh", True)
        with IndexWriter(tmp_path / "old", segment_chars=1_000) as writer:
            for doc in documents:
                writer.add(doc)
    with IndexWriter(tmp_path / "new", segment_chars=1_000) as writer:
        for doc in documents:
            writer.add(doc)
    def toc(location: Path) -> Any:
        return whoosh_index.TOC.read(FileStorage(str(current_generation(location))), segments.INDEX_NAME)

    old_segments = toc(tmp_path / "old").segments
    assert len(old_segments) > 1 and all(type(s._codec) is W3Codec for s in old_segments)
    assert all(p.read_bytes()[:4] == b"HSH3" for p in current_generation(tmp_path / "old").glob("*.trm"))
    assert all(type(s._codec) is ZhCodec for s in toc(tmp_path / "new").segments)

    def answers(location: Path) -> list[str]:
        with open_index(location) as ix:
            return [repr((page.total, [(h.id, h.score, h.snippet) for h in page.hits]))
                    for page in (ix.search(q, limit=20) for q in QUERIES)]

    expected = answers(tmp_path / "new")
    assert answers(tmp_path / "old") == expected
    generation = current_generation(tmp_path / "old")
    old = toc(tmp_path / "old")
    merged = merge_segments(generation, old.schema, old.segments)
    assert type(merged._codec) is ZhCodec
    (generation / f"_{segments.INDEX_NAME}_{old.generation}.toc").unlink()
    whoosh_index.TOC(old.schema, [merged], old.generation).write(FileStorage(str(generation)), segments.INDEX_NAME)
    assert answers(tmp_path / "old") == expected


# -- the writer's faster encoding writes the bytes of the first one -----------------------------

def _reference_encode_info(info: bytes, base: int, out: bytearray) -> None:
    """``termdict.encode_info`` as d33dd8f wrote it, entry by entry (the reference for the bytes)."""
    def whole(raw: bytes) -> int | None:
        (value,) = struct.unpack("!f", raw)
        ok = value.is_integer() and 0 <= value < 2**32 and struct.pack("!f", float(int(value))) == raw
        return int(value) if ok else None

    if len(info) < 23 or info[0] > 1:
        out += bytes((3,)) + termdict.varint(len(info)) + info
        return
    flags, _, count, min_length, max_length, _, first, last = _TERMINFO.unpack_from(info)
    tail = info[23:]
    body, value = 2, None
    if not flags and len(tail) == 12 and struct.unpack("!qi", tail)[1] >= 0:
        body = 0
    elif flags and count == 1 and first == last:
        value = termdict._inlined_value(tail, first, info[1:5])
        if value is not termdict._NOT_COMPACT:
            body = 1
    if last < first:
        out += bytes((3,)) + termdict.varint(len(info)) + info
        return
    weight_bytes, max_bytes = info[1:5], info[11:15]
    kind, whole_weight, whole_max = body, whole(weight_bytes), None
    kind |= 4 if whole_weight is not None else 0
    if max_bytes == weight_bytes:
        kind |= 8
    else:
        whole_max = whole(max_bytes)
        kind |= 16 if whole_max is not None else 0
    kind |= (32 if min_length == max_length else 0) | (64 if last == first else 0) | (128 if count == 1 else 0)
    out.append(kind)
    if body == 2:
        out.append(flags)
    out += weight_bytes if whole_weight is None else termdict.varint(whole_weight)
    if not kind & 8:
        out += max_bytes if whole_max is None else termdict.varint(whole_max)
    if count != 1:
        out += termdict.varint(count)
    out += bytes((min_length,) if min_length == max_length else (min_length, max_length))
    out += termdict.varint(first) + (termdict.varint(last - first) if last != first else b"")
    if body == 0:
        offset, length = struct.unpack("!qi", tail)
        delta = offset - base
        out += termdict.varint(delta << 1 if delta >= 0 else ((-delta) << 1) - 1) + termdict.varint(length)
    elif body == 1:
        vkind = termdict._value_kind(value)
        out.append(vkind)  # type: ignore[arg-type]
        if vkind == termdict._INT_VALUE:
            out += termdict.varint(value[0])  # type: ignore[index]
        elif vkind == termdict._INTS_VALUE:
            out += termdict.varint(len(value[0])) + b"".join(map(termdict.varint, value[0]))  # type: ignore[index]
        elif vkind == termdict._BYTES_VALUE:
            out += termdict.varint(len(value[0])) + value[0]  # type: ignore[index]
    else:
        out += termdict.varint(len(tail)) + tail


def _reference_encode_block(keys: list[bytes], infos: list[bytes]) -> bytes:
    """``termdict.encode_block`` as d33dd8f wrote it (a byte-by-byte shared prefix)."""
    base = next((o for o in map(termdict._extent_offset, infos) if o is not None), 0)
    info_part, shared, sizes, previous = bytearray(), [], [], b""
    for i, (key, info) in enumerate(zip(keys, infos)):
        n = 0
        while i % termdict.RESTART and n < min(len(previous), len(key)) and previous[n] == key[n]:
            n += 1
        shared.append(n)
        start = len(info_part)
        _reference_encode_info(info, base, info_part)
        sizes.append(len(info_part) - start)
        previous = key
    rests = [len(key) - n for key, n in zip(keys, shared)]
    largest = max(max(shared), max(rests), max(sizes))
    width = 1 if largest < 1 << 8 else 2 if largest < 1 << 16 else 4
    columns = b"".join(termdict._column(c, width) for c in (shared, rests, sizes))
    return (termdict.varint(len(keys)) + termdict.varint(base) + bytes((width,)) + columns
            + b"".join(key[n:] for key, n in zip(keys, shared)) + bytes(info_part))


@settings(max_examples=200, deadline=None)
@given(keys=_keys.filter(bool), data=st.data())
def test_a_block_is_encoded_to_the_bytes_of_the_entry_by_entry_encoder(keys: list[bytes], data: Any) -> None:
    infos = [data.draw(_infos()) for _ in keys]
    assert termdict.encode_block(keys, infos) == _reference_encode_block(keys, infos)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=_keys, data=st.data(), block=st.sampled_from([1, 3, 64]))
def test_add_many_writes_the_file_that_adding_one_by_one_writes(tmp_path: Path, keys: list[bytes], data: Any,
                                                                 block: int) -> None:
    entries = [(key, data.draw(_infos())) for key in keys]
    storage = FileStorage(str(tmp_path))
    for name, batches in (("one.trm", [[e] for e in entries]),
                          ("many.trm", [entries[i : i + 7] for i in range(0, len(entries), 7)])):
        writer = termdict.TermDictWriter(storage.create_file(name), block=block)
        for batch in batches:
            writer.add_many([k for k, _ in batch], [v for _, v in batch])
        writer.close()
    assert (tmp_path / "one.trm").read_bytes() == (tmp_path / "many.trm").read_bytes()
    writer = termdict.TermDictWriter(storage.create_file("bad.trm"), block=block)
    writer.add_many([b"b", b"c"], [b"", b""])
    with pytest.raises(ValueError):
        writer.add_many([b"c", b"d"], [b"", b""])  # not after the last key added
    with pytest.raises(ValueError):
        writer.add_many([b"x", b"w"], [b"", b""])
    writer.close()


# -- entries written from columns: the bytes of the entry-by-entry encoder -----------------------

@st.composite
def _columns(draw: Any, n: int) -> termdict.InfoColumns:
    """Term infos of ``n`` entries as the segment writer has them: posting addresses, and inlined
    postings of every value kind it inlines (positions, tuples of deltas, bytes, none) and odd ones."""
    rows = []
    for _ in range(n):
        inlined = draw(st.booleans())
        # (an inlined posting's weight is never zero: the entry-by-entry encoder's caches take
        # 0.0 and -0.0 for the same weight, so its bytes for those depend on what it saw before)
        weight = draw(_f32.filter(lambda w: w != 0.0) if inlined else _f32)
        max_weight = draw(st.one_of(st.just(weight), _f32))
        first = draw(_u32)
        if inlined:
            length = draw(st.integers(0, 255))
            value = draw(st.one_of(
                st.just(()), st.just((None,)), st.tuples(st.integers(0, 2**40)),
                st.tuples(st.lists(st.integers(0, 2**20), max_size=5).map(tuple)), st.tuples(st.binary(max_size=20)),
                st.tuples(st.integers(-5, -1)), st.tuples(st.just(2.5)),  # not a compact form: kept as it is
            ))
            rows.append((True, weight, max_weight, 1, length, length, first, first, 0, 0, value))
        else:
            last = draw(st.one_of(st.just(first), st.integers(first, 2**32 - 1)))
            rows.append((False, weight, max_weight, draw(st.one_of(st.just(1), st.integers(2, 2**32 - 1))),
                         draw(st.integers(0, 255)), draw(st.integers(0, 255)), first, last,
                         draw(st.integers(0, 2**40)), draw(st.integers(0, 2**31 - 1)), None))
    columns = list(zip(*rows)) if rows else [[]] * 11
    return termdict.InfoColumns(*columns[:10], list(columns[10]))


@settings(max_examples=200, deadline=None)
@given(keys=_keys.filter(bool), data=st.data(), block=st.sampled_from([1, 3, 64]))
def test_blocks_encoded_from_columns_are_the_entry_by_entry_encoders_bytes(keys: list[bytes], data: Any,
                                                                          block: int) -> None:
    columns = data.draw(_columns(len(keys)))
    infos = [columns.info(i) for i in range(len(keys))]
    for i, info in enumerate(infos):  # the W3 term infos the segment writer writes
        value = columns.values[i]
        if columns.inlined[i] and value != (b"",):  # (the writer inlines b"" as no value)
            assert info == inversion.inlined_term_info(
                int(columns.first[i]), float(columns.weight[i]), float(columns.max_weight[i]),
                int(columns.min_length[i]), value[0] if value else b"")
    expected = [_reference_encode_block(keys[i : i + block], infos[i : i + block]) for i in range(0, len(keys), block)]
    assert termdict.encode_columns(keys, columns, block) == expected


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=_keys, data=st.data(), block=st.sampled_from([1, 3, 64]))
def test_add_columns_writes_the_file_that_adding_one_by_one_writes(tmp_path: Path, keys: list[bytes], data: Any,
                                                                   block: int) -> None:
    columns = data.draw(_columns(len(keys)))
    infos = [columns.info(i) for i in range(len(keys))]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(keys)), max_size=4)))
    storage = FileStorage(str(tmp_path))
    writer = termdict.TermDictWriter(storage.create_file("one.trm"), block=block)
    for key, info in zip(keys, infos):
        writer.add(key, info)
    writer.close()
    writer = termdict.TermDictWriter(storage.create_file("columns.trm"), block=block)
    for k, (low, high) in enumerate(zip([0, *cuts], [*cuts, len(keys)])):
        if k % 2:  # batches of W3 bytes between batches of columns
            writer.add_many(keys[low:high], infos[low:high])
        else:
            writer.add_columns(keys[low:high], columns.take(low, high))
    writer.close()
    assert (tmp_path / "one.trm").read_bytes() == (tmp_path / "columns.trm").read_bytes()
    if len(keys) >= 2:
        writer = termdict.TermDictWriter(storage.create_file("bad.trm"), block=block)
        with pytest.raises(ValueError):
            writer.add_columns(keys[::-1], columns)  # out of order
        writer.close()


def test_a_segments_dictionary_written_from_columns_is_the_one_written_from_term_info_bytes(
        tmp_path: Path, documents: list[Document], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file of a segment (the dictionary too) is the one its builder writes when each term's
    info is packed as W3 bytes and encoded entry by entry (``write_field`` without ``add_columns``)."""
    from test_lifecycle_segments import _fast_segment, _files

    docs = documents + documents[: len(documents) // 2]  # terms in one document (inlined) and in several
    (tmp_path / "new").mkdir()
    (tmp_path / "old").mkdir()
    new = _files(tmp_path / "new", _fast_segment(tmp_path / "new", docs))
    calls = []
    write_field = segments.write_field

    def by_bytes(*args: Any, add_columns: Any = None, **options: Any) -> int:
        calls.append(add_columns)
        return write_field(*args, **options)

    monkeypatch.setattr(segments, "write_field", by_bytes)
    old = _files(tmp_path / "old", _fast_segment(tmp_path / "old", docs))
    assert calls and all(c is not None for c in calls)
    assert new.keys() == old.keys() and "trm" in new
    for ext in new:
        assert new[ext] == old[ext], ext
