"""Merging segments without analysing again: the merged segment holds exactly what its parts held."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import formats
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC
from whoosh.query import Or, Phrase, Term
from whoosh.reading import SegmentReader

from zhsearch.search import AnalyzerConfig, Document, IndexWriter, open_index
from zhsearch.search.embedded.merge import merge_segments
from zhsearch.search.errors import IndexIncompatibleError
from zhsearch.search.embedded.schema import CompactPositions, build_schema
from zhsearch.search.embedded.segments import INDEX_NAME, SegmentBuilder
from zhsearch.search.embedded.store import current_generation
from zhsearch.search.embedded.writer import document_fields, live_segments

from test_lifecycle_segments import (
    QUERIES,
    _documents,
    _files,
    _publish_whoosh_generation,
    assert_same_searches,
    term_entries,
)

SMALL = 1000  # characters per segment: a dozen segments for the fixture documents


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    return _documents()


def _index(location: Path, docs: list[Document], **options: Any) -> Path:
    with IndexWriter(location, segment_chars=SMALL, **options) as writer:
        for doc in docs:
            writer.add(doc)
    return current_generation(location)


def _single_segment(directory: Path, docs: list[Document], *, positions: Any = CompactPositions) -> Any:
    """One SegmentBuilder fed every document: what a merge must write."""
    directory.mkdir()
    schema = build_schema(AnalyzerConfig(), positions=positions)
    TOC.create(FileStorage(str(directory)), schema, INDEX_NAME)
    builder = SegmentBuilder(directory, schema)
    for doc in docs:
        builder.add(document_fields(doc))
    return builder.finish()


def _contents(generation: Path) -> dict[str, Any]:
    """Everything Whoosh's reader API says about an index, by document number."""
    with whoosh_index.open_dir(str(generation)).reader() as reader:
        schema = reader.schema
        terms = term_entries(reader, blocks=False)  # blocks differ: a merged term fills whole blocks
        docs = [
            # (0 and None both mean empty: which one depends on the other documents of the segment)
            (stored, [reader.doc_field_length(docnum, name, 0) or 0 for name in sorted(schema.scorable_names())])
            for docnum, stored in reader.iter_docs()
        ]
        columns: dict[str, list[Any]] = {}
        for name in (n for n in schema.names() if schema[n].column_type):
            # Segment by segment: Whoosh's multi-segment column reader fails on segments without the column.
            for leaf, _ in reader.leaf_readers():
                column = leaf.column_reader(name, translate=False)
                columns.setdefault(name, []).extend(column[docnum] for docnum in range(leaf.doc_count_all()))
        totals = {name: reader.field_length(name) for name in schema.scorable_names()}
        return {"terms": terms, "docs": docs, "columns": columns, "totals": totals,
                "count": (reader.doc_count(), reader.doc_count_all())}


def test_a_build_of_several_segments_is_published_as_one(tmp_path: Path, documents: list[Document]) -> None:
    parts = _index(tmp_path / "parts", documents, join=False)
    joined = _index(tmp_path / "joined", documents, join=True)
    assert len(list(live_segments(tmp_path / "parts"))) >= 8
    assert [s[1:] for s in live_segments(tmp_path / "joined")] == [(len(documents), 0)]
    assert _contents(joined) == _contents(parts)
    assert sorted(p.name for p in joined.iterdir() if p.name.startswith(INDEX_NAME)) == sorted(
        f"{live_segments_id(tmp_path / 'joined')}{ext}" for ext in _extensions(parts)
    )
    assert not (joined / f"{INDEX_NAME}.tmp").exists()


def live_segments_id(location: Path) -> str:
    ((segid, _, _),) = live_segments(location)
    return segid


def _extensions(generation: Path) -> set[str]:
    """The kinds of segment files (.pst, .trm, _id.col...) a generation holds."""
    names = [p.name for p in generation.iterdir() if p.name.startswith(f"{INDEX_NAME}_")]
    return {name[len(INDEX_NAME) + 1 + 16 :] for name in names}


def test_the_merged_segment_is_byte_for_byte_what_one_segment_builder_writes(
    tmp_path: Path, documents: list[Document]
) -> None:
    parts = _index(tmp_path / "parts", documents, join=False)
    schema = build_schema(AnalyzerConfig())
    segments = TOC.read(FileStorage(str(parts)), INDEX_NAME, schema=schema).segments
    merged = merge_segments(parts, schema, segments)
    expected = _single_segment(tmp_path / "one", documents)
    assert merged is not None and merged.doc_count_all() == len(documents)
    ours, theirs = _files(parts, merged), _files(tmp_path / "one", expected)
    assert sorted(ours) == sorted(theirs)
    for part in theirs:
        assert ours[part] == theirs[part], part
    assert dict(merged._fieldlengths) == dict(expected._fieldlengths)


def test_searches_find_the_same_hits_in_the_same_order_with_the_same_scores(
    tmp_path: Path, documents: list[Document]
) -> None:
    _index(tmp_path / "parts", documents, join=False)
    _index(tmp_path / "joined", documents, join=True)
    with open_index(tmp_path / "parts") as parts, open_index(tmp_path / "joined") as joined:
        assert_same_searches(joined, parts, QUERIES + ["港口 记者", "title:观察", "长文", "iphone"], limit=50)


def test_deleted_documents_are_dropped_and_the_rest_renumbered(tmp_path: Path, documents: list[Document]) -> None:
    parts = _index(tmp_path / "parts", documents, join=False)
    schema = build_schema(AnalyzerConfig())
    storage = FileStorage(str(parts))
    segments = TOC.read(storage, INDEX_NAME, schema=schema).segments
    gone = {0, 3, len(documents) - 1} | set(range(40, 60))  # in several segments, one whole segment at least
    with whoosh_index.open_dir(str(parts)).reader() as reader:
        # What the length bytes say the deleted documents held: the merge takes that out of the totals.
        totals = {name: reader.field_length(name) - sum(reader.doc_field_length(n, name, 0) for n in gone)
                  for name in reader.schema.scorable_names()}
    offset = 0
    for segment in segments:
        for docnum in range(segment.doc_count_all()):
            if offset + docnum in gone:
                segment.delete_document(docnum)
        offset += segment.doc_count_all()
    segments = [s for s in segments if s.doc_count() > 0]
    merged = merge_segments(parts, schema, segments)
    assert merged is not None and not merged.has_deletions()
    live = [doc for n, doc in enumerate(documents) if n not in gone]
    expected = _single_segment(tmp_path / "one", live)
    ours, theirs = _files(parts, merged), _files(tmp_path / "one", expected)
    assert sorted(ours) == sorted(theirs)
    for part in theirs:
        assert ours[part] == theirs[part], part
    assert {name: merged._fieldlengths.get(name, 0) for name in totals} == totals
    for name, total in expected._fieldlengths.items():  # length bytes are within 2% of the lengths
        assert merged._fieldlengths[name] == pytest.approx(total, rel=0.02), name


def test_a_failed_merge_leaves_no_files_behind(tmp_path: Path, documents: list[Document], monkeypatch: Any) -> None:
    parts = _index(tmp_path / "parts", documents, join=False)
    before = sorted(p.name for p in parts.iterdir())
    schema = build_schema(AnalyzerConfig())
    segments = TOC.read(FileStorage(str(parts)), INDEX_NAME, schema=schema).segments
    for write in ("write_postings", "write_lists", "write_block"):  # the numpy, the Python and the batch path
        monkeypatch.setattr(f"zhsearch.search.embedded.merge._MergedPostingsFile.{write}", _disk_full)
    with pytest.raises(OSError, match="disk full"):
        merge_segments(parts, schema, segments)
    assert sorted(p.name for p in parts.iterdir() if p.name != f"{INDEX_NAME}.tmp") == before


def test_a_build_whose_merge_fails_leaves_the_live_index_as_it_was(
    tmp_path: Path, documents: list[Document], monkeypatch: Any
) -> None:
    location = tmp_path / "index"
    live = _index(location, documents[:20])
    for write in ("write_postings", "write_lists", "write_block"):  # the numpy, the Python and the batch path
        monkeypatch.setattr(f"zhsearch.search.embedded.merge._MergedPostingsFile.{write}", _disk_full)
    with pytest.raises(OSError, match="disk full"):
        _index(location, documents, join=True)
    assert current_generation(location) == live
    assert not list(location.glob(".build-*"))
    with open_index(location) as index:
        assert {d.id for d in index.documents()} == {d.id for d in documents[:20]}


def _disk_full(*args: Any) -> None:
    raise OSError("disk full")


def test_an_index_of_the_previous_schema_still_opens_and_merges_but_asks_for_a_rebuild_to_update(
    tmp_path: Path, documents: list[Document]
) -> None:
    """Schema 2 (Whoosh's compound segments, positions as Whoosh's Positions bytes) still searches
    like a new index; updating it would mix two encodings of positions, so it asks for a rebuild."""
    location = tmp_path / "old"
    _publish_whoosh_generation(location, documents)
    with IndexWriter(tmp_path / "new") as writer:
        for doc in documents:
            writer.add(doc)
    with open_index(location) as old, open_index(tmp_path / "new") as new:
        assert_same_searches(new, old, QUERIES, limit=20)
    with pytest.raises(IndexIncompatibleError, match="with schema 2, which this zhsearch searches but cannot update"):
        with IndexWriter(location, update=True):
            pass
    schema = build_schema(AnalyzerConfig(), positions=formats.Positions)
    generation = current_generation(location)
    segments = TOC.read(FileStorage(str(generation)), INDEX_NAME, schema=schema).segments
    assert segments[0].is_compound()
    merged = merge_segments(generation, schema, segments)
    expected = _single_segment(tmp_path / "one", documents, positions=formats.Positions)
    # Blocks copied as Whoosh compressed them: the same postings, not the same bytes.
    readers = [SegmentReader(FileStorage(str(d)), schema, seg) for d, seg in ((generation, merged), (tmp_path / "one", expected))]
    ours, theirs = ([term_entries(r, blocks=False), list(r.all_stored_fields())] for r in readers)
    for reader in readers:
        reader.close()
    assert len(ours[0]) > 3000
    assert ours == theirs


_WORDS = ["港口", "记者", "台湾", "观察", "碳中和", "iPhone", "江城", "吞吐量", "稻田", "地铁", "5G", "臺灣"]


@st.composite
def _articles(draw: Any) -> list[Document]:
    count = draw(st.integers(2, 12))
    docs = []
    for n in range(count):
        text = draw(st.lists(st.one_of(st.sampled_from(_WORDS), st.text(min_size=1, max_size=6)), max_size=30))
        title = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4))
        docs.append(Document(id=f"h/{n}.md", path=f"h/{n}.md", title="".join(title), text="，".join(text),
                             source=draw(st.sampled_from(["东方晨报", "南岸晚报", None]))))
    return docs


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=_articles(), size=st.integers(20, 200))
def test_any_documents_merge_into_what_their_segments_held(tmp_path_factory: Any, docs: list[Document], size: int) -> None:
    root = tmp_path_factory.mktemp("merge")
    for name, join in (("parts", False), ("joined", True)):
        with IndexWriter(root / name, segment_chars=size, join=join) as writer:
            for doc in docs:
                writer.add(doc)
    assert _contents(current_generation(root / "joined")) == _contents(current_generation(root / "parts"))
    with open_index(root / "parts") as parts, open_index(root / "joined") as joined:
        for query in ["港口", "记者 台湾", '"江城 吞吐量"', "source:东方晨报", "o"]:
            expected = parts.search(query, limit=20, dedup=False)
            found = joined.search(query, limit=20, dedup=False)
            assert [(h.id, h.score) for h in found.hits] == [(h.id, h.score) for h in expected.hits], query


def test_raw_terms_reads_each_field_as_whoosh_reads_it_whatever_the_chunk(
    tmp_path: Path, documents: list[Document], monkeypatch: Any,
) -> None:
    from zhsearch.search.embedded import merge

    generation = _index(tmp_path / "one", documents, join=True)
    toc = TOC.read(FileStorage(str(generation)), INDEX_NAME)
    reader = SegmentReader(FileStorage(str(generation)), toc.schema, toc.segments[0])
    try:
        tindex = reader._terms._tindex
        expected = {}
        for name, fieldid in reader._terms._fieldmap.items():
            prefix = fieldid.to_bytes(2, "big")
            expected[name] = [(key[2:], value) for key, value in tindex.items_from(prefix) if key[:2] == prefix]
        assert sum(map(len, expected.values())) > 3000
        # chunks shorter than one record, records cut at every place, and the default
        for chunk in (1, 7, 100, 4096, merge._CHUNK):
            monkeypatch.setattr(merge, "_CHUNK", chunk)
            assert {name: list(merge.raw_terms(reader, name)) for name in expected} == expected, chunk
        assert list(merge.raw_terms(reader, "no such field")) == []
    finally:
        reader.close()


_FEW = ["港口", "记者", "台湾", "观察", "稻田", "5G"]  # words most documents share: terms of ~128 postings


@st.composite
def _segment_sizes(draw: Any) -> list[list[Document]]:
    """2 to 4 segments' documents, each segment 1, 2 or about a posting block (127 to 129) of
    short documents over a small vocabulary (so many terms fill a block in each segment)."""
    segments = []
    n = 0
    words = st.one_of(st.sampled_from(_FEW), st.sampled_from(_WORDS), st.text("港口记者台湾湾区", min_size=1, max_size=3))
    seed = draw(st.lists(words, min_size=1, max_size=12))
    extra = draw(st.lists(words, min_size=1, max_size=40))
    for _ in range(draw(st.integers(2, 4))):
        docs = []
        for k in range(draw(st.sampled_from([1, 2, 127, 128, 129]))):
            # Each document a rotation of the drawn words, some left out (terms in most documents),
            # and one of the extra words (terms in a few).
            text = [w for j, w in enumerate(seed[n % len(seed):] + seed[: n % len(seed)]) if (j * 7 + n) % 5]
            text.append(extra[n % len(extra)])
            docs.append(Document(id=f"s/{n}.md", path=f"s/{n}.md", title=seed[n % len(seed)],
                                 text="".join(text) or "港", source=["东方晨报", "南岸晚报"][n % 2]))
            n += 1
        segments.append(docs)
    return segments


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=_segment_sizes(), data=st.data())
def test_short_terms_merged_together_write_the_bytes_of_the_term_by_term_merge(
    tmp_path_factory: Any, monkeypatch: Any, parts: list[list[Document]], data: Any,
) -> None:
    """Segments of about a block of documents each, some documents deleted: the merged segment's
    files (short terms merged in batches, ``mergebatch``) are byte for byte the files of the
    term-by-term merge, and Whoosh reads from them what one builder of the live documents holds."""
    from zhsearch.search.embedded import merge

    root = tmp_path_factory.mktemp("batch")
    schema = build_schema(AnalyzerConfig())
    directory = root / "parts"
    directory.mkdir()
    storage = FileStorage(str(directory))
    TOC.create(storage, schema, INDEX_NAME)
    segments = []
    live = []
    for docs in parts:
        builder = SegmentBuilder(directory, schema)
        for doc in docs:
            builder.add(document_fields(doc))
        segment = builder.finish()
        gone = set(data.draw(st.lists(st.integers(0, len(docs) - 1), max_size=3)))
        if len(gone) < len(docs):
            for docnum in gone:
                segment.delete_document(docnum)
        else:
            gone = set()
        live += [doc for k, doc in enumerate(docs) if k not in gone]
        segments.append(segment)
    with monkeypatch.context() as patch:  # smaller batches and more terms merged alone, sometimes
        patch.setattr(merge, "_ALONE", data.draw(st.sampled_from([merge._ALONE, 100])))
        patch.setattr(merge, "_BATCH_POSTINGS", data.draw(st.sampled_from([merge._BATCH_POSTINGS, 300])))
        batched = merge_segments(directory, schema, segments)
    with monkeypatch.context() as patch:  # (the fixture is shared by the examples: undone here)
        patch.setattr(merge, "merge_short_terms", lambda sources, terms, *_: [None] * len(terms))
        one_by_one = merge_segments(directory, schema, segments)
    assert batched is not None and one_by_one is not None
    ours, theirs = _files(directory, batched), _files(directory, one_by_one)
    assert sorted(ours) == sorted(theirs)
    for part in theirs:
        assert ours[part] == theirs[part], part
    TOC(schema, [batched], 2).write(storage, INDEX_NAME)
    expected = _single_segment(root / "live", live)
    TOC(schema, [expected], 1).write(FileStorage(str(root / "live")), INDEX_NAME)
    with whoosh_index.open_dir(str(directory)).reader() as reader, \
            whoosh_index.open_dir(str(root / "live")).reader() as single:
        assert term_entries(reader, blocks=False) == term_entries(single, blocks=False)
    with whoosh_index.open_dir(str(directory)).searcher() as ours, \
            whoosh_index.open_dir(str(root / "live")).searcher() as theirs:
        for query in (Term("text", _FEW[0]), Term("text_chars", "港"), Phrase("text_pairs", ["港口", "口记"]),
                      Or([Term("text", w) for w in _FEW])):
            found, expected = ours.search(query, limit=None), theirs.search(query, limit=None)
            if len(live) == sum(map(len, parts)):
                assert [(h.docnum, h.score) for h in found] == [(h.docnum, h.score) for h in expected], query
            else:  # a merge's field length totals leave out deleted documents by their length bytes only
                assert sorted(h.docnum for h in found) == sorted(h.docnum for h in expected), query
