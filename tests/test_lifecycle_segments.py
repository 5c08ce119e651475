"""The fast segment writer writes what Whoosh's own writer writes: same bytes, same postings, same hits."""

from __future__ import annotations

import pickletools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import formats
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from zhsearch.indexer import parse_archive
from zhsearch.search import AnalyzerConfig, Document, IndexWriter, open_index
from zhsearch.search.text.analysis import char_analyzer, pair_analyzer, word_analyzer
from zhsearch.search.embedded.inversion import CharKeys
from zhsearch.search.text.normalize import normalize
from zhsearch.search.embedded.schema import CompactPositions, build_schema
from zhsearch.search.embedded.segments import INDEX_NAME, SegmentBuilder, analyzed_terms
from zhsearch.search.embedded.store import new_build_dir, publish, writer_lock
from zhsearch.search.embedded.writer import document_fields, partition, stored_document

from conftest import CORPUS

QUERIES = ["记者", "碳达峰", "台湾", "iPhone", "香港 国安法", '"碳中和 目标"', "title:港口", "观察", "港口 OR 稻田",
           "江城 -地铁", "第7号", "source:东方晨报"]


def _documents() -> list[Document]:
    """The fixture corpus, 150 generated articles (so common terms need several posting blocks),
    and awkward ones: empty text, Latin only, traditional script, a 5,000-character text."""
    fixture, _ = parse_archive([CORPUS])
    generated = [
        Document(
            id=f"gen/{n:03d}.md", path=f"gen/{n:03d}.md", title=f"江城港口观察之{n}",
            text=f"记者{n}日获悉，江城港口吞吐量同比增长{n % 9}个百分点。\n\n第{n}号码头正在扩建，港口工人说港口很忙。",
            source=("东方晨报", "南岸晚报")[n % 2], categories=("港口", f"第{n % 4}类"), content_hash=f"h{n}",
            simhash=n * 7919,
        )
        for n in range(150)
    ]
    awkward = [
        Document(id="empty.md", path="empty.md", title="只有标题", text=""),
        Document(id="latin.md", path="latin.md", title="iPhone 14 Pro", text="COVID-19 5G iPhone14 iphone 14"),
        Document(id="trad.md", path="trad.md", title="臺灣資訊業", text="軟體產業 臺灣 資訊 記者"),
        Document(id="long.md", path="long.md", title="长文", text="观察" * 2500),
    ]
    return fixture + generated + awkward


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    return _documents()


def _whoosh_segment(directory: Path, docs: list[Document]) -> Any:
    """A segment written by Whoosh's own writer, which takes only bytes values: positions as
    Whoosh's ``Positions`` (the schema's CompactPositions values are integers)."""
    ix = whoosh_index.create_in(str(directory), build_schema(AnalyzerConfig(), positions=formats.Positions))
    writer = ix.writer()
    for doc in docs:
        writer.add_document(**document_fields(doc))
    writer.commit(merge=False)
    (segment,) = ix._read_toc().segments
    return segment


def _fast_segment(directory: Path, docs: list[Document], *, positions: Any = CompactPositions, **options: Any) -> Any:
    schema = build_schema(AnalyzerConfig(), positions=positions)
    TOC.create(FileStorage(str(directory)), schema, INDEX_NAME)
    builder = SegmentBuilder(directory, schema, **options)
    for doc in docs:
        builder.add(document_fields(doc))
    segment = builder.finish()
    TOC(schema, [segment], 1).write(FileStorage(str(directory)), INDEX_NAME)
    return segment


def _files(directory: Path, segment: Any) -> dict[str, bytes]:
    """The files of a segment by extension (the parts of its compound file when it has one)."""
    storage = FileStorage(str(directory))
    if segment.is_compound():
        storage = segment.open_compound_file(storage)
        names = list(storage.list())
    else:
        names = segment.list_files(storage)
    parts = {}
    for name in names:
        with storage.open_file(name) as f:
            parts[name.split(".", 1)[1]] = f.read()
    storage.close()
    return parts


def _postings(directory: Path) -> list[tuple[Any, ...]]:
    """Every term with its statistics and every posting with its block's statistics."""
    with whoosh_index.open_dir(str(directory)).reader() as reader:
        return term_entries(reader, blocks=True)


def term_entries(reader: Any, *, blocks: bool) -> list[tuple[Any, ...]]:
    """Every term with its statistics and every posting (with its block's statistics if ``blocks``)."""
    out = []
    for fieldname, text in reader.all_terms():
        info = reader.term_info(fieldname, text)
        matcher = reader.postings(fieldname, text)
        postings: list[tuple[Any, ...]] = []
        while matcher.is_active():
            posting: tuple[Any, ...] = (matcher.id(), matcher.weight(), matcher.value())
            if blocks:
                posting += (matcher.block_max_weight(), matcher.block_min_length(), matcher.block_max_length())
            postings.append(posting)
            matcher.next()
        out.append((fieldname, text, info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                    info.max_weight(), info.min_id(), info.max_id(), postings))
    return out


def test_like_whoosh_the_segment_files_are_byte_for_byte_whooshs(tmp_path: Path, documents: list[Document]) -> None:
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "fast").mkdir()
    theirs = _files(tmp_path / "whoosh", _whoosh_segment(tmp_path / "whoosh", documents))
    ours = _files(tmp_path / "fast", _fast_segment(tmp_path / "fast", documents, positions=formats.Positions,
                                                   like_whoosh=True))
    assert sorted(ours) == sorted(theirs)
    assert {"pst", "trm", "_stored.col", "_text_pairs_len.col"} <= set(ours)
    for part in theirs:
        assert ours[part] == theirs[part], part


def test_by_default_every_posting_and_statistic_reads_back_the_same(tmp_path: Path, documents: list[Document]) -> None:
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "fast").mkdir()
    _whoosh_segment(tmp_path / "whoosh", documents)
    _fast_segment(tmp_path / "fast", documents, positions=formats.Positions)
    theirs, ours = _postings(tmp_path / "whoosh"), _postings(tmp_path / "fast")
    assert len(ours) > 3000
    assert any(len(postings) > 128 for *_, postings in ours)  # terms spanning several blocks
    assert ours == theirs


def test_compact_positions_read_back_as_whooshs_positions(tmp_path: Path, documents: list[Document]) -> None:
    """The default schema's CompactPositions: every term, statistic, posting, frequency and
    position as in the segment Whoosh writes with its Positions; only the stored values differ."""
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "fast").mkdir()
    _whoosh_segment(tmp_path / "whoosh", documents)
    _fast_segment(tmp_path / "fast", documents)
    theirs, ours = _decoded_postings(tmp_path / "whoosh"), _decoded_postings(tmp_path / "fast")
    assert len(ours) > 3000
    assert ours == theirs
    positional = {"title", "text", "title_pairs", "text_pairs"}
    assert {f for f, *_ in ours} >= positional
    with whoosh_index.open_dir(str(tmp_path / "fast")).reader() as reader:
        assert {name for name in positional if type(reader.schema[name].format) is CompactPositions} == positional
        values = [reader.postings("text_pairs", text).value() for text, _ in reader.iter_field("text_pairs")]
        infos = [info for name in positional | {"text_chars", "id"} for _, info in reader.iter_field(name)]
    assert any(type(v) is int for v in values) and any(type(v) is tuple for v in values)
    # A term in one document has its posting in its term info, not in a block of the .pst file.
    assert [i.doc_frequency() == 1 for i in infos] == [i.is_inlined() for i in infos]
    assert any(i.is_inlined() for i in infos) and not all(i.is_inlined() for i in infos)
    (tmp_path / "bytes").mkdir()
    _fast_segment(tmp_path / "bytes", documents, positions=formats.Positions)
    sizes = {name: sum(p.stat().st_size for p in (tmp_path / name).glob("*.[pt][sr][tm]")) for name in ("fast", "bytes")}
    assert sizes["fast"] < 0.85 * sizes["bytes"]  # postings and term dictionary


_PICKLE_OVERHEAD = {"PROTO", "BINPUT", "LONG_BINPUT", "MEMOIZE", "PUT"}


def _opcodes(data: bytes) -> set[str]:
    return {op.name for op, _, _ in pickletools.genops(data)}


def test_inlined_postings_are_pickled_without_protocol_or_memo_opcodes_and_lists_are_packed(
    tmp_path: Path, documents: list[Document]
) -> None:
    """2 bytes less per inlined pickle and per tuple in it (``small_pickle``); posting lists are
    packed lists of the right length; the read-back tests above show Whoosh's reader gives the
    same terms and postings."""
    from whoosh.reading import SegmentReader

    from zhsearch.search.embedded.merge import raw_terms
    from zhsearch.search.embedded.postings import PackedList, decode

    (tmp_path / "fast").mkdir()
    segment = _fast_segment(tmp_path / "fast", documents)
    storage = FileStorage(str(tmp_path / "fast"))
    reader = SegmentReader(storage, TOC.read(storage, INDEX_NAME).schema, segment)
    headers = inlined = 0
    integral = set()
    try:
        postfile = reader._terms._postfile
        for name in ("text_pairs", "text", "title", "text_chars", "id", "date"):
            for _, info in raw_terms(reader, name):
                if info[0]:
                    assert not _opcodes(info[23:]) & _PICKLE_OVERHEAD
                    inlined += 1
                    continue
                offset, length = int.from_bytes(info[23:31], "big"), int.from_bytes(info[31:35], "big")
                raw = postfile.get(offset, length)
                packed = PackedList(raw)  # posting lists are packed (search.embedded.postings), not pickled
                assert len(decode(raw).ids) == int.from_bytes(info[5:9], "big")
                headers += packed.nblocks
                integral.update(type(packed.max_weight(b)) for b in range(packed.nblocks))
    finally:
        reader.close()
    assert headers > 300 and inlined > 1000
    assert integral == {float}


def _decoded_postings(directory: Path) -> list[tuple[Any, ...]]:
    """Every term with its statistics and every posting, values decoded by the field's format."""
    out = []
    with whoosh_index.open_dir(str(directory)).reader() as reader:
        for entry in term_entries(reader, blocks=True):
            fieldname, text, *statistics, postings = entry
            format_ = reader.schema[fieldname].format
            if format_.supports("positions"):
                postings = [(docnum, weight, format_.decode_positions(value), format_.decode_frequency(value), *rest)
                            for docnum, weight, value, *rest in postings]
            out.append((fieldname, text, *statistics, postings))
    return out


def _publish_whoosh_generation(location: Path, docs: list[Document]) -> None:
    """A generation written by Whoosh's own writer, published like ours: an index of schema 2,
    whose positions were Whoosh's Positions."""
    with writer_lock(location):
        build = new_build_dir(location)
        _whoosh_segment(build, docs)
        publish(location, build, {"documents": len(docs), "analyzer": AnalyzerConfig().to_json(), "schema_version": 2})


def test_searches_find_the_same_hits_in_the_same_order(tmp_path: Path, documents: list[Document]) -> None:
    _publish_whoosh_generation(tmp_path / "whoosh", documents)
    with IndexWriter(tmp_path / "fast") as writer:
        for doc in documents:
            writer.add(doc)
    with open_index(tmp_path / "whoosh") as theirs, open_index(tmp_path / "fast") as ours:
        assert_same_searches(ours, theirs, QUERIES, limit=20)
        assert ours.search("港口").total == 150


def assert_same_searches(ours: Any, theirs: Any, queries: list[str], *, limit: int) -> None:
    """Each query finds the same hits, in the same order, with the same scores, snippets and facets."""
    for query in queries:
        expected = theirs.search(query, limit=limit, dedup=False)
        found = ours.search(query, limit=limit, dedup=False)
        assert [(h.id, h.score, h.snippet) for h in found.hits] == [
            (h.id, h.score, h.snippet) for h in expected.hits
        ], query
        assert (found.total, found.facets) == (expected.total, expected.facets), query


def test_stored_fields_give_back_the_documents_fields(documents: list[Document]) -> None:
    for doc in documents:
        stored = {k: v for k, v in document_fields(doc).items()
                  if k not in ("title_chars", "text_chars", "title_pairs", "text_pairs", "month") and v is not None}
        assert document_fields(stored_document(stored)) == document_fields(doc)


def test_segments_end_by_size_alone(documents: list[Document]) -> None:
    parts = partition(documents, limit=2000)
    assert len(parts) > 3
    assert [i for part in parts for i in range(part.start, part.stop)] == list(range(len(documents)))
    sizes = [sum(len(d.title) + len(d.text) for d in documents[part]) for part in parts]
    assert all(size >= 2000 for size in sizes[:-1])
    assert partition([], limit=10) == []


def test_a_segment_of_no_documents_writes_nothing(tmp_path: Path) -> None:
    builder = SegmentBuilder(tmp_path, build_schema(AnalyzerConfig()))
    assert builder.finish() is None
    assert not [p for p in tmp_path.iterdir() if p.is_file()]


_TERM_ANALYZERS = [
    pytest.param(factory(config), id=f"{factory.__name__}-{n}")
    for factory in (word_analyzer, char_analyzer, pair_analyzer)
    for n, config in enumerate((AnalyzerConfig(), AnalyzerConfig(hmm=False, simplify=False)))
]


@pytest.mark.parametrize("analyzer", _TERM_ANALYZERS)
@settings(max_examples=150, deadline=None)
@given(text=st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.sampled_from(list("中国碳达峰臺灣ひらがな한국ＡＢＣ１２３abcé5 　,.，。-_\u200b") + ["\U00020000"]),
            max_size=60),
))
def test_the_writers_terms_are_the_analyzers_terms(analyzer: Any, text: str) -> None:
    text = normalize(text).text
    assert analyzed_terms(analyzer, text) == [term for _, _, term in analyzer.pieces(text)]


@pytest.mark.parametrize("analyzer", _TERM_ANALYZERS)
def test_the_writers_terms_are_the_analyzers_terms_on_the_fixture_corpus(analyzer: Any) -> None:
    fixture, _ = parse_archive([CORPUS])
    texts = [normalize(value).text for doc in fixture for value in (doc.title, doc.text)]
    assert sum(len(text) for text in texts) > 1000
    for text in texts:
        assert analyzed_terms(analyzer, text) == [term for _, _, term in analyzer.pieces(text)]


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.sampled_from(list("中国碳达峰臺灣ひらがな゛・한국ＡＢＣ１２３abcé5 　,.，。-_\u200b\ud800") + ["\U00020000"]),
            max_size=60),
))
def test_the_character_and_pair_keys_are_the_analyzers_terms(text: str) -> None:
    keys = CharKeys()
    text = normalize(text).text
    chars, pairs = char_analyzer(), pair_analyzer()
    assert [keys.char_term(k) for k in keys.chars(text).tolist()] == [t for _, _, t in chars.pieces(text)]
    assert [keys.pair_term(k) for k in keys.pairs(text).tolist()] == [t for _, _, t in pairs.pieces(text)]


def test_the_character_and_pair_keys_are_the_analyzers_terms_on_the_fixture_corpus() -> None:
    fixture, _ = parse_archive([CORPUS])
    keys = CharKeys()
    chars, pairs = char_analyzer(), pair_analyzer()
    texts = [normalize(value).text for doc in fixture for value in (doc.title, doc.text)]
    assert any(keys.chars(text).max() >= 0x110000 for text in texts if text)  # letter and digit runs too
    for text in texts:
        assert [keys.char_term(k) for k in keys.chars(text).tolist()] == [t for _, _, t in chars.pieces(text)]
        assert [keys.pair_term(k) for k in keys.pairs(text).tolist()] == [t for _, _, t in pairs.pieces(text)]


# -- the term dictionary (.trm) writer against Whoosh's OrderedHashWriter ----------------------

_TERM_KEYS = st.lists(st.binary(min_size=1, max_size=12), max_size=400, unique=True).map(sorted)


def _trm_bytes(tmp_path: Path, name: str, keys: list[bytes], values: list[bytes], *, whoosh: bool,
               batch: int = 1 << 16, many: bool = False) -> bytes:
    from whoosh.filedb.filetables import OrderedHashWriter

    from zhsearch.search.embedded.segments import _TermIndexWriter

    storage = FileStorage(str(tmp_path))
    dbfile = storage.create_file(name)
    if whoosh:
        writer = OrderedHashWriter(dbfile)
        writer.extras["fieldmap"] = {"text": 0}
        for key, value in zip(keys, values):
            writer.add(key, value)
    else:
        writer = _TermIndexWriter(dbfile)
        writer.BATCH = batch
        writer.start_field("text")
        if many:
            writer.add_many(keys[: len(keys) // 2], values[: len(keys) // 2])
            writer.add_many(keys[len(keys) // 2 :], values[len(keys) // 2 :])
        else:
            for key, value in zip(keys, values):
                writer.add(key, value)
    writer.close()
    return (tmp_path / name).read_bytes()


@settings(max_examples=60, deadline=None)
@given(keys=_TERM_KEYS, data=st.data(), batch=st.integers(min_value=1, max_value=64), many=st.booleans())
def test_the_term_dictionary_is_byte_for_byte_whooshs(tmp_path_factory: Any, keys: list[bytes], data: Any,
                                                      batch: int, many: bool) -> None:
    values = [data.draw(st.binary(max_size=30)) for _ in keys]
    tmp_path = tmp_path_factory.mktemp("trm")
    ours = _trm_bytes(tmp_path, "ours.trm", keys, values, whoosh=False, batch=batch, many=many)
    assert ours == _trm_bytes(tmp_path, "whoosh.trm", keys, values, whoosh=True)


def test_the_term_dictionary_of_many_long_records_is_whooshs(tmp_path: Path) -> None:
    """Key positions past 65,535 widen Whoosh's index array from "H" to "i"; colliding hash slots."""
    keys = [b"%06d" % n for n in range(5000)]
    values = [bytes(n % 50) for n in range(5000)]
    ours = _trm_bytes(tmp_path, "ours.trm", keys, values, whoosh=False, batch=777, many=True)
    assert ours == _trm_bytes(tmp_path, "whoosh.trm", keys, values, whoosh=True)


def test_the_term_dictionary_refuses_keys_out_of_order(tmp_path: Path) -> None:
    from zhsearch.search.embedded.segments import _TermIndexWriter

    writer = _TermIndexWriter(FileStorage(str(tmp_path)).create_file("x.trm"))
    writer.add_many([b"a", b"c"], [b"1", b"2"])
    with pytest.raises(ValueError, match="keys must increase"):
        writer.add_many([b"d", b"b"], [b"3", b"4"])
    with pytest.raises(ValueError, match="keys must increase"):
        writer.add(b"c", b"5")
    writer.close()


_INLINED_VALUE = st.one_of(
    st.integers(min_value=0, max_value=2**31 - 1),
    st.lists(st.integers(min_value=0, max_value=70000), min_size=2, max_size=5).map(tuple),
    st.binary(max_size=8),
)


@settings(max_examples=200, deadline=None)
@given(postings=st.lists(st.tuples(st.integers(min_value=0, max_value=2**31 - 1),
                                   st.sampled_from([1.0, 2.0, 2.5, 3.0, 7.5, 0.1]),
                                   st.floats(min_value=0, max_value=1e6, allow_nan=False),
                                   st.integers(min_value=0, max_value=255), _INLINED_VALUE), max_size=30))
def test_inlined_term_infos_are_inlined_term_info_of_each(postings: list[tuple[int, float, float, int, Any]]) -> None:
    import numpy as np

    from zhsearch.search.embedded.inversion import inlined_term_info, inlined_term_infos

    docnums = np.array([p[0] for p in postings], dtype=np.int64)
    stored = np.array([p[1] for p in postings], dtype=np.float64)
    max_weights = np.array([p[2] for p in postings], dtype=np.float64)
    length_bytes = np.array([p[3] for p in postings], dtype=np.uint8)
    values = [p[4] for p in postings]
    assert inlined_term_infos(docnums, stored, max_weights, length_bytes, values) == [
        inlined_term_info(*p[:4], p[4]) for p in postings]


def test_a_texts_character_and_pair_keys_come_from_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The characters and then the pairs of the same text: its tokens found once, the same keys as apart."""
    keys = CharKeys()
    passes: list[str] = []
    real = keys._tokens_of
    monkeypatch.setattr(keys, "_tokens_of", lambda text: passes.append(text) or real(text))
    text = normalize("iPhone 14 上市，COVID-19 疫情").text
    chars, pairs = keys.chars(text), keys.pairs(text)
    assert passes == [text]
    fresh = CharKeys()
    assert chars.tolist() == fresh.chars(text).tolist() and pairs.tolist() == CharKeys().pairs(text).tolist()
    keys.chars(text + "。")
    assert len(passes) == 2
