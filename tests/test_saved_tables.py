"""Per-generation tables (statistics, completions, suggestion vocabulary, duplicate groups, word
frequencies): written with the generation, read back unchanged, and never computed by a query."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.reading import MultiReader

import zhsearch.search.queries.complete
import zhsearch.search.results.duplicates
import zhsearch.search.queries.suggest
import zhsearch.search.embedded.tables
from zhsearch.indexer import build_index, update_index
from zhsearch.search import SearchIndex
from zhsearch.search.queries.complete import CompletionTable, _document_frequencies
from zhsearch.search.embedded.prepare import prepare_apart
from zhsearch.search.embedded.store import current_generation
from zhsearch.search.queries.longquery import WordFrequencies
from zhsearch.search.queries.suggest import Vocabulary
from zhsearch.search.embedded.tables import KINDS, load_table
from zhsearch.cli import cli

from conftest import CORPUS

TYPED = ["碳", "碳中", "香港 国", "记", "央行开展", "快讯", "iphone", "臺灣", "台湾", "a", "中国 ", "-碳"]
# Queries with fewer than three hits, most with a suggestion in the fixture corpus.
FEW_HITS = ["tanzhonghe", "jizhe", "renminbi", "yi miao", "碳中河", "记者 渣", "人民币回率", "xyz", "臺灣資迅"]


@pytest.fixture()
def location(tmp_path: Path) -> Path:
    build_index([CORPUS], tmp_path / "index", segment_chars=500)  # several segments
    return tmp_path / "index"


@pytest.fixture()
def no_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every function that computes a table from the index fails the test when called."""
    forbid_computing(monkeypatch)


def forbid_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    def computed(*args: object, **kwargs: object) -> None:
        raise AssertionError("a table was computed")

    monkeypatch.setattr(zhsearch.search.queries.suggest.Vocabulary, "from_reader", classmethod(computed))
    monkeypatch.setattr(zhsearch.search.queries.suggest, "_pinyin_map", computed)
    monkeypatch.setattr(zhsearch.search.queries.complete, "word_documents", computed)
    monkeypatch.setattr(zhsearch.search.queries.complete, "_document_frequencies", computed)
    monkeypatch.setattr(zhsearch.search.queries.complete.CompletionTable, "from_reader", classmethod(computed))
    monkeypatch.setattr(zhsearch.search.results.duplicates.DuplicateGroups, "from_reader", classmethod(computed))
    monkeypatch.setattr(zhsearch.search.embedded.tables, "compute_tables", computed)
    monkeypatch.setattr(zhsearch.search.embedded.tables, "word_documents", computed)


def _saved(location: Path, kind: str) -> Path:
    (path,) = current_generation(location).glob(f"{kind}-*.{KINDS[kind]}")
    return path


def _reader_table(location: Path, simplify: bool) -> CompletionTable:
    """The table as the Completer computed it before it was saved: from a reader of its own."""
    ix = whoosh_index.open_dir(str(current_generation(location)))
    try:
        with ix.reader() as reader:
            return CompletionTable.from_reader(reader, simplify=simplify)
    finally:
        ix.close()


def _computed_vocabulary(location: Path) -> Vocabulary:
    """The vocabulary as searches computed it before it was saved: the whole reader's terms."""
    ix = whoosh_index.open_dir(str(current_generation(location)))
    try:
        with ix.reader() as reader:
            counts: dict[str, int] = {}
            for fieldname in ("title", "text"):
                for term, info in reader.iter_field(fieldname):
                    word = term.decode("utf-8")
                    counts[word] = max(counts.get(word, 0), int(info.doc_frequency()))
    finally:
        ix.close()
    return Vocabulary(counts.items())


def _same_tables(a: CompletionTable, b: CompletionTable) -> None:
    assert (a.simplify, a._words, a._documents, a._titles) == (b.simplify, b._words, b._documents, b._titles)
    for typed in TYPED:
        for limit in (1, 4, 8, 20):
            assert a.complete(typed, limit=limit) == b.complete(typed, limit=limit)


def test_word_counts_per_segment_equal_the_whole_readers(location: Path) -> None:
    ix = whoosh_index.open_dir(str(current_generation(location)))
    try:
        with ix.reader() as reader:
            assert len(reader.leaf_readers()) > 2
            for fieldname in ("title", "text"):
                whole = {term.decode("utf-8"): info.doc_frequency() for term, info in reader.iter_field(fieldname)}
                assert _document_frequencies(reader, fieldname) == whole
    finally:
        ix.close()


def test_few_hits_on_a_fresh_index_read_the_saved_vocabulary(location: Path, no_computing: None) -> None:
    with SearchIndex.open(location) as index:
        pages = {q: index.search(q) for q in FEW_HITS}
        assert index.missing_tables() == ()
        index.completion_table()
        index.stats()
    assert all(page.total < 3 for page in pages.values())
    assert pages["tanzhonghe"].suggestions == ("碳中和",)
    assert pages["jizhe"].suggestions == ("记者",)


def test_tables_written_by_update_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive, location = tmp_path / "archive", tmp_path / "updated"
    for path in CORPUS.rglob("*.md"):
        target = archive / path.relative_to(CORPUS)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    build_index([archive], location)
    before = current_generation(location)
    (archive / "新闻.md").write_text("---\ntitle: 碳中和新进展\n---\n各地推进碳中和，记者获悉。\n", encoding="utf-8")
    assert update_index([archive], location).published
    assert current_generation(location) != before
    assert {path.name.split("-")[0] for path in current_generation(location).glob("*-*.*")} == set(KINDS)
    forbid_computing(monkeypatch)
    with SearchIndex.open(location) as index:
        assert index.search("tanzhonghe").suggestions == ("碳中和",)
        assert "新闻.md" in {hit.id for hit in index.search("碳中和").hits}
        assert index.missing_tables() == ()
        assert index.stats().documents == 15


def test_suggestions_from_the_saved_vocabulary_are_those_of_the_computed_one(location: Path) -> None:
    computed = _computed_vocabulary(location)
    saved = load_table(_saved(location, "vocabulary"), "vocabulary")
    assert list(saved.frequency.items()) == list(computed.frequency.items())
    assert saved.pinyin() == computed.pinyin()
    with SearchIndex.open(location) as index:
        from_saved = [index.search(q).suggestions for q in FEW_HITS]
    with SearchIndex.open(location) as index:
        index.search("记者")
        index._saved["vocabulary"] = (index._generation, computed)
        from_computed = [index.search(q).suggestions for q in FEW_HITS]
    assert from_saved == from_computed
    assert sum(1 for s in from_saved if s) >= 4


@pytest.mark.parametrize("damage", [None, b"", b"{not json", b'{"words": ["a"], "documents": [], "pinyin": []}',
                                    '{"words": ["碳中和"], "documents": [3], "pinyin": [["tan", "碳"]]}'.encode(),
                                    b"[1, 2]"])
def test_a_missing_or_damaged_vocabulary_is_not_computed_by_a_search(
    location: Path, damage: bytes | None, no_computing: None
) -> None:
    saved = _saved(location, "vocabulary")
    if damage is None:
        saved.unlink()
    else:
        saved.write_bytes(damage)
    heard: list[str] = []
    with SearchIndex.open(location) as index:
        index.table_missing = heard.append
        page = index.search("tanzhonghe")
        again = index.search("jizhe")
        assert index.missing_tables() == ("vocabulary",)
    assert (page.total, page.suggestions, again.suggestions) == (0, (), ())
    assert heard == ["vocabulary"]  # once per generation, however many queries find it missing


def test_the_cli_leaves_suggestions_out_with_a_note(location: Path, runner: CliRunner, no_computing: None) -> None:
    _saved(location, "vocabulary").write_bytes(b"{damaged")
    result = runner.invoke(cli, ["search", "--index", str(location), "tanzhonghe"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "No results for 'tanzhonghe'.\n"
    assert result.stderr == (
        "Note: no pinyin or spelling suggestions: the index has no saved vocabulary table (zhsearch update saves it)\n"
    )
    _saved(location, "duplicates").unlink()
    result = runner.invoke(cli, ["search", "--index", str(location), "--limit", "1", "记者"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Note: copies of an article are not collapsed: the index has no saved duplicates table "
        "(zhsearch update saves it)\n"
    )


def test_update_with_nothing_to_do_saves_the_missing_tables(location: Path, runner: CliRunner) -> None:
    good = _saved(location, "vocabulary").read_bytes()
    _saved(location, "vocabulary").write_bytes(b"{damaged")
    _saved(location, "stats").unlink()
    result = runner.invoke(cli, ["update", str(CORPUS), "--index", str(location)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "saved the tables the index lacked: stats, vocabulary",
        "Nothing to update: 16 files seen, all unchanged.",
    ]
    assert _saved(location, "vocabulary").read_bytes() == good


def test_the_server_rebuilds_a_damaged_table_in_the_background(location: Path, no_computing: None) -> None:
    from zhsearch.web import create_app

    _saved(location, "vocabulary").write_bytes(b"{damaged")
    with SearchIndex.open(location) as index:
        app = create_app({"INDEX": index, "TESTING": True})
        client = app.test_client()
        first = client.get("/api/search?q=tanzhonghe").get_json()
        assert first["suggestions"] == []  # answered at once, without the table
        assert app.extensions["zhsearch.preparer"].wait(timeout=120)  # computed by a child process meanwhile
        assert client.get("/api/search?q=tanzhonghe").get_json()["suggestions"] == ["碳中和"]
        assert index.missing_tables() == ()


def test_completion_table_saved_with_the_generation_is_the_computed_one(
    location: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _reader_table(location, True)
    forbid_computing(monkeypatch)
    with SearchIndex.open(location) as index:
        saved = index.completion_table()
        assert index.completion_table() is saved
    assert saved._words and saved._titles  # the fixture corpus has both
    _same_tables(saved, reference)


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"simplify": true, "words": ["a"], "documents": []}',
                                    b'{"words": [], "documents": [], "titles": []}', b"[1, 2]"])
def test_a_damaged_completion_table_is_left_out_until_saved_again(location: Path, damage: bytes) -> None:
    with SearchIndex.open(location) as index:
        reference = index.completion_table()
    saved = _saved(location, "completions")
    good = saved.read_bytes()
    saved.write_bytes(damage)
    with SearchIndex.open(location) as index:
        assert index.completion_table().complete("记") == []
        assert index.save_tables() == ["completions"]
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
    for damage in (b"", b"{}", b'{"sources": {"x": "many"}, "first_date": null, "last_date": null}',
                   b'{"sources": {}, "first_date": 3, "last_date": null}'):
        saved.write_bytes(damage)
        with SearchIndex.open(location) as index:
            partial = index.stats()
            assert (partial.documents, partial.sources, partial.first_date) == (computed.documents, {}, None)
            assert index.save_tables() == ["stats"]
            again = index.stats()
        assert again.to_dict() == {**computed.to_dict(), "size_bytes": again.size_bytes}
        assert list(again.sources) == list(computed.sources)


def test_tables_that_cannot_be_saved_leave_searches_answered(location: Path) -> None:
    blocked = [_saved(location, kind) for kind in KINDS]
    for path in blocked:
        path.unlink()
        path.mkdir()  # neither readable as a file nor replaceable by one, even for root
    with SearchIndex.open(location) as index:
        assert index.save_tables() == []
        page = index.search("记者")
        assert page.total > 0 and page.total_counting == "documents"
        assert index.completion_table().complete("记") == []
        assert index.stats().documents == len(index)
        assert set(index.missing_tables()) == set(KINDS)
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


@settings(max_examples=40, deadline=None)
@given(words=st.dictionaries(_WORD, st.integers(0, 500), max_size=30), asked=st.lists(_WORD, min_size=1, max_size=5))
def test_vocabulary_round_trips_through_json(words: dict[str, int], asked: list[str]) -> None:
    vocabulary = Vocabulary(words.items())
    again = Vocabulary.from_json(vocabulary.to_json())
    assert list(again.frequency.items()) == list(vocabulary.frequency.items())
    assert again.pinyin() == vocabulary.pinyin()
    for text in [*asked, "tanzhonghe", "xianggang"]:
        assert again.close_word(text) == vocabulary.close_word(text)
        assert again.from_pinyin(text) == vocabulary.from_pinyin(text)


def test_tables_prepared_in_a_child_process_are_those_written_with_the_index(location: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    build_index([CORPUS], twin, segment_chars=500)
    with SearchIndex.open(twin) as index:
        expected_table, expected_stats = index.completion_table(), index.stats()
    written = {kind: _saved(location, kind).read_bytes() for kind in KINDS}
    for kind in KINDS:
        _saved(location, kind).unlink()  # as an index written by an older zhsearch
    with SearchIndex.open(location) as index:
        assert not index.has_saved_tables()
        assert prepare_apart(index)
        assert index.has_saved_tables()
        saved = {path.name: path.stat().st_mtime_ns for path in current_generation(location).glob("*-*.*")}
        assert {name.split("-")[0] for name in saved} == set(KINDS)
        assert prepare_apart(index)  # already there: nothing is computed again
        assert saved == {path.name: path.stat().st_mtime_ns for path in current_generation(location).glob("*-*.*")}
        _same_tables(index.completion_table(), expected_table)
        stats = index.stats()
    assert {kind: _saved(location, kind).read_bytes() for kind in KINDS} == written
    assert (stats.sources, stats.first_date, stats.last_date) == (
        expected_stats.sources, expected_stats.first_date, expected_stats.last_date)


def test_warm_up_leaves_the_tables_ready(location: Path) -> None:
    from zhsearch.web import create_app, warm_up

    for kind in KINDS:
        _saved(location, kind).unlink()
    with SearchIndex.open(location) as index:
        app = create_app({"INDEX": index, "TESTING": True})
        warm_up(app)
        assert index.has_saved_tables()
        assert {"completions", "stats", "vocabulary", "duplicates"} <= index._saved.keys()
        response = app.test_client().get("/api/suggest?q=%E8%AE%B0")  # 记
        assert [c["text"] for c in response.get_json()["completions"]] == ["记者"]


# -- the documents of each word, for long queries ---------------------------------------------------

def _long_queries(index: SearchIndex) -> list[str]:
    """Pasted paragraphs: the first 60 characters of a few texts (searched as long queries)."""
    texts = [doc.text.replace("\n", "") for doc in index.documents() if len(doc.text) > 80]
    return [text[:60] for text in texts[:5]]


def _pages(index: SearchIndex, queries: list[str]) -> list[tuple[object, ...]]:
    return [(page.total, page.warnings, [(hit.id, hit.score, hit.snippet) for hit in page.hits])
            for page in map(index.search, queries)]


def test_word_frequencies_saved_with_the_generation_are_whooshs(location: Path) -> None:
    """Every title and text word holds the larger of its two fields' document counts, as Whoosh
    counts them over the segments; any other word none."""
    table = load_table(_saved(location, "frequencies"), "frequencies")
    assert table is not None
    ix = whoosh_index.open_dir(str(current_generation(location)))
    try:
        with ix.searcher() as searcher:
            assert len(searcher.reader().leaf_readers()) > 2
            words = {term.decode("utf-8") for f in ("title", "text") for term in searcher.reader().lexicon(f)}
            assert len(table) == len(words)
            for word in [*words, "不在档案里的词", "zzz", "碳中和x"]:
                expected = max(searcher.doc_frequency(f, word) for f in ("title", "text"))
                assert table.get(word) == expected, word
    finally:
        ix.close()


def test_long_queries_weigh_words_by_the_saved_table_not_by_whoosh(
    location: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the table saved, choosing a long query's words looks none up in Whoosh's term tables
    (what is left are the IDFs of the words searched, for their scores); hits, scores and
    snippets are those of the lookups in Whoosh (the table missing)."""
    looked_up: list[tuple[str, str]] = []
    doc_frequency = MultiReader.doc_frequency  # what a searcher of several segments asks

    def counting(self: MultiReader, fieldname: str, text: str) -> int:
        looked_up.append((fieldname, text))
        return int(doc_frequency(self, fieldname, text))

    monkeypatch.setattr(MultiReader, "doc_frequency", counting)
    with SearchIndex.open(location) as index:
        queries = _long_queries(index)
        expected = _pages(index, queries)
    with_table = len(looked_up)
    assert len(queries) == 5 and all(page[0] and "the query is long" in page[1][0] for page in expected)
    _saved(location, "frequencies").unlink()
    heard: list[str] = []
    looked_up.clear()
    with SearchIndex.open(location) as index:
        index.table_missing = heard.append
        assert _pages(index, queries) == expected
    assert heard == ["frequencies"]
    assert with_table < len(looked_up) / 2


@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 not a zip", b"{}"])
def test_a_damaged_frequency_table_leaves_long_queries_to_whoosh(
    location: Path, damage: bytes, no_computing: None
) -> None:
    with SearchIndex.open(location) as index:
        queries = _long_queries(index)
        expected = _pages(index, queries)
    _saved(location, "frequencies").write_bytes(damage)
    with SearchIndex.open(location) as index:
        assert _pages(index, queries) == expected
        assert index.missing_tables() == ("frequencies",)


@settings(max_examples=60, deadline=None)
@given(counts=st.dictionaries(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6),
                              st.integers(1, 2**32 - 1), max_size=40),
       asked=st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6), max_size=8))
def test_word_frequencies_round_trip(counts: dict[str, int], asked: list[str]) -> None:
    table = WordFrequencies.from_counts(counts)
    again = WordFrequencies.from_bytes(table.to_bytes())
    assert len(again) == len(counts)
    for word in [*counts, *asked]:
        assert table.get(word) == again.get(word) == counts.get(word, 0)
