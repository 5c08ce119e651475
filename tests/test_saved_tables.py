"""Per-generation tables saved beside the index (completions, statistics) read back unchanged."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from indexer import build_index
from search import SearchIndex
from search.complete import CompletionTable, _document_frequencies
from search.prepare import prepare_apart
from search.store import current_generation

from conftest import CORPUS

TYPED = ["碳", "碳中", "香港 国", "记", "央行开展", "快讯", "iphone", "臺灣", "台湾", "a", "中国 ", "-碳"]


@pytest.fixture()
def location(tmp_path: Path) -> Path:
    build_index([CORPUS], tmp_path / "index")
    return tmp_path / "index"


def _reference_table(location: Path, simplify: bool) -> CompletionTable:
    """The table as the Completer read it before it was saved: from a reader of its own."""
    ix = whoosh_index.open_dir(str(current_generation(location)))
    try:
        with ix.reader() as reader:
            return CompletionTable.from_reader(reader, simplify=simplify)
    finally:
        ix.close()


def test_word_counts_per_segment_equal_the_whole_readers(tmp_path: Path) -> None:
    build_index([CORPUS], tmp_path / "index", segment_chars=500)  # several segments
    ix = whoosh_index.open_dir(str(current_generation(tmp_path / "index")))
    try:
        with ix.reader() as reader:
            assert len(reader.leaf_readers()) > 2
            for fieldname in ("title", "text"):
                whole = {term.decode("utf-8"): info.doc_frequency() for term, info in reader.iter_field(fieldname)}
                assert _document_frequencies(reader, fieldname) == whole
    finally:
        ix.close()


def _same_tables(a: CompletionTable, b: CompletionTable) -> None:
    assert (a.simplify, a._words, a._documents, a._titles) == (b.simplify, b._words, b._documents, b._titles)
    for typed in TYPED:
        for limit in (1, 4, 8, 20):
            assert a.complete(typed, limit=limit) == b.complete(typed, limit=limit)


def _saved(location: Path, kind: str) -> Path:
    (path,) = current_generation(location).glob(f"{kind}-*.json")
    return path


def test_completion_table_computed_saved_and_read_back_alike(location: Path) -> None:
    with SearchIndex.open(location) as index:
        computed = index.completion_table()
        assert index.completion_table() is computed
        reference = _reference_table(location, index.config.simplify)
    _same_tables(computed, reference)
    assert computed._words and computed._titles  # the fixture corpus has both
    with SearchIndex.open(location) as index:
        _same_tables(index.completion_table(), reference)  # this time from the saved file


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"simplify": true, "words": ["a"], "documents": []}',
                                    b'{"words": [], "documents": [], "titles": []}', b"[1, 2]"])
def test_damaged_completion_file_is_computed_again(location: Path, damage: bytes) -> None:
    with SearchIndex.open(location) as index:
        reference = index.completion_table()
    saved = _saved(location, "completions")
    good = saved.read_bytes()
    saved.write_bytes(damage)
    with SearchIndex.open(location) as index:
        _same_tables(index.completion_table(), reference)
    assert saved.read_bytes() == good


def test_statistics_saved_and_read_back_alike(location: Path) -> None:
    with SearchIndex.open(location) as index:
        computed = index.stats()
        sources = {}
        dates = []
        for doc in index.documents():
            sources[doc.source or ""] = sources.get(doc.source or "", 0) + 1
            if doc.date:
                dates.append(doc.date)
    assert computed.sources == dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0])))
    assert list(computed.sources) == list(dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))))
    assert (computed.first_date, computed.last_date) == (min(dates).isoformat(), max(dates).isoformat())
    saved = _saved(location, "stats")
    for damage in (None, b"", b"{}", b'{"sources": {"x": "many"}, "first_date": null, "last_date": null}',
                   b'{"sources": {}, "first_date": 3, "last_date": null}'):
        if damage is not None:
            saved.write_bytes(damage)
        with SearchIndex.open(location) as index:
            again = index.stats()
        assert again.to_dict() == {**computed.to_dict(), "size_bytes": again.size_bytes}
        assert list(again.sources) == list(computed.sources)


def test_tables_that_cannot_be_saved_are_still_answered(location: Path) -> None:
    with SearchIndex.open(location) as index:
        index.completion_table()
        index.stats()
    blocked = [_saved(location, "completions"), _saved(location, "stats")]
    for path in blocked:
        path.unlink()
        path.mkdir()  # neither readable as a file nor replaceable by one, even for root
    with SearchIndex.open(location) as index:
        table = index.completion_table()
        stats = index.stats()
        documents = sum(1 for _ in index.documents())
    _same_tables(table, _reference_table(location, True))
    assert stats.documents == documents
    assert all(path.is_dir() for path in blocked)
    assert not list(current_generation(location).glob(".*.tmp"))


_WORD = st.text(alphabet="碳中和香港国安法台灣臺湾abcXYZ12 ", min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.tuples(_WORD, st.integers(0, 500)), max_size=30),
    titles=st.lists(
        st.tuples(st.text(min_size=1, max_size=8), _WORD,
                  st.one_of(st.none(), st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1),
                                                     timezones=st.just(timezone.utc)))),
        max_size=12),
    typed=st.lists(_WORD, min_size=1, max_size=5),
    simplify=st.booleans(),
)
def test_completion_table_round_trips_through_json(
    words: list[tuple[str, int]], titles: list[tuple[str, str, datetime | None]], typed: list[str], simplify: bool
) -> None:
    table = CompletionTable(words, titles, simplify=simplify)
    again = CompletionTable.from_json(table.to_json())
    assert (again.simplify, again._words, again._documents, again._titles) == (
        table.simplify, table._words, table._documents, table._titles)
    for text in typed:
        assert again.complete(text, limit=8) == table.complete(text, limit=8)


def test_tables_prepared_in_a_child_process_are_those_computed_here(location: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    build_index([CORPUS], twin)
    with SearchIndex.open(twin) as index:
        expected_table, expected_stats = index.completion_table(), index.stats()
    with SearchIndex.open(location) as index:
        assert not index.has_saved_tables()
        assert prepare_apart(index)
        assert index.has_saved_tables()
        saved = {path.name: path.stat().st_mtime_ns for path in current_generation(location).glob("*-*.*")}
        assert {name.split("-")[0] for name in saved} == {"completions", "stats", "duplicates"}
        assert prepare_apart(index)  # already there: nothing is computed again
        assert saved == {path.name: path.stat().st_mtime_ns for path in current_generation(location).glob("*-*.*")}
    with SearchIndex.open(location) as index:
        _same_tables(index.completion_table(), expected_table)
        stats = index.stats()
    assert (stats.sources, stats.first_date, stats.last_date) == (
        expected_stats.sources, expected_stats.first_date, expected_stats.last_date)


def test_warm_up_leaves_the_tables_ready(location: Path) -> None:
    from web import create_app, warm_up

    with SearchIndex.open(location) as index:
        app = create_app({"INDEX": index, "TESTING": True})
        warm_up(app)
        assert index.has_saved_tables()
        assert index._completion_cache is not None and index._stats_cache is not None
        response = app.test_client().get("/api/suggest?q=%E8%AE%B0")  # 记
        assert [c["text"] for c in response.get_json()["completions"]] == ["记者"]
