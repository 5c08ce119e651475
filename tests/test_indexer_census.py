"""The per-document data a build keeps while reading (issue 18): compact, and learning exactly
what the dictionary-based :class:`RecurringParagraphs` learns."""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zhsearch.indexer.build as build
from zhsearch.indexer import build_index
from zhsearch.indexer.build import census_json, files_json
from zhsearch.indexer.catalog import PARAGRAPHS, Catalog, CensusEntry, FileEntry
from zhsearch.indexer.recurring import FOLDER, GROUP_SEPARATOR, TITLE_TAG, ParagraphCensus, RecurringParagraphs
from zhsearch.indexer.spill import Strings

from test_indexer_memory import write_archive

GROUPS = ["新华社", "甲台", "host:example.com", "host:b.org", f"{FOLDER}a", f"{FOLDER}a/b", FOLDER + "c"]
# a small pool of digests, so that many recur; some are title suffixes' (first byte TITLE_TAG)
DIGESTS = st.one_of(
    st.integers(0, 40).map(lambda n: bytes([1 + n % 7]) + bytes(6) + bytes([n])),
    st.integers(0, 6).map(lambda n: bytes([TITLE_TAG]) + bytes(6) + bytes([n])),
    st.binary(min_size=8, max_size=8),
)
OUTLETS = st.lists(st.sampled_from(GROUPS), min_size=1, max_size=4).map(GROUP_SEPARATOR.join)
DOCUMENTS = st.lists(st.tuples(OUTLETS, st.frozensets(DIGESTS, max_size=12)), max_size=120)


@settings(max_examples=200, deadline=None)
@given(DOCUMENTS, st.integers(1, 8), st.floats(0.0, 0.5))
def test_the_compact_census_learns_what_the_counters_learn(documents, min_articles: int, share: float) -> None:  # type: ignore[no-untyped-def]
    reference, census = RecurringParagraphs(min_articles=min_articles, share=share), ParagraphCensus()
    for outlet, keys in documents:
        reference.count(outlet, keys)
        census.count(outlet, keys)
    expected, learned = reference.learn(), census.learn(min_articles=min_articles, share=share)
    assert learned.by_outlet == expected.by_outlet
    assert list(learned.by_outlet) == list(expected.by_outlet)  # the same groups, in the same order
    assert list(census.entries()) == documents


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=6), OUTLETS, st.frozensets(DIGESTS, max_size=5)), max_size=40))
def test_the_census_file_is_the_catalogs(documents) -> None:  # type: ignore[no-untyped-def]
    ids, census, catalog = Strings(), ParagraphCensus(), Catalog()
    for doc_id, outlet, keys in documents:
        ids.append(doc_id)
        census.count(outlet, keys)
        catalog.census[doc_id] = CensusEntry(outlet, keys)  # a later document of an id replaces the earlier
    assert list(ids) == [d[0] for d in documents]
    assert census_json(ids, census) == catalog.paragraphs_json()


IDS = st.text(alphabet="ab/中.", min_size=1, max_size=4)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(IDS, st.tuples(st.text(max_size=3), st.text(max_size=5))),
    st.lists(st.tuples(IDS, st.text(max_size=3), st.text(max_size=3)), max_size=40),
    st.lists(st.text(max_size=4), max_size=2),
)
def test_the_files_file_is_the_catalogs(skipped, documents, roots) -> None:  # type: ignore[no-untyped-def]
    catalog = Catalog(roots=roots, files={i: FileEntry(sha1, None, reason) for i, (sha1, reason) in skipped.items()})
    ids, sha1s = Strings(), Strings()
    for doc_id, sha1, _ in documents:
        ids.append(doc_id)
        sha1s.append(sha1)
    written = files_json(catalog, ids, sha1s, [h for _, _, h in documents])
    for doc_id, sha1, content_hash in documents:  # what the build did: a FileEntry a document
        catalog.files[doc_id] = FileEntry(sha1, content_hash)
    assert written == catalog.files_json()


def test_a_census_keeps_about_its_digests_and_strings_per_document() -> None:
    """Bytes kept per document: at most the digests (8 bytes each), the id's and SHA-1's UTF-8 and
    a few offsets (with the arrays' slack), where tuples of str and frozenset took ~3 kB."""
    count, digests = 2_000, 12
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        ids, sha1s, census = Strings(), Strings(), ParagraphCensus()
        for i in range(count):
            doc_id = f"folder-{i % 7}/2021-06-{i:05d}.md"
            ids.append(doc_id)
            sha1s.append(f"{i:040x}")
            census.count(f"甲台{GROUP_SEPARATOR}{FOLDER}folder-{i % 7}", frozenset(i.to_bytes(4) + k.to_bytes(4) for k in range(digests)))
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    exact = digests * 8 + len(doc_id) + 40 + 3 * 8 + 4  # digests, id, SHA-1, three ends and an outlet number
    assert kept / count <= 1.5 * exact + 16


def is_digest_set(o: object) -> bool:
    # type(), not isinstance(): gc.get_objects() may hold a dead weakref proxy, whose isinstance
    # check raises ReferenceError (seen once in a full suite run).
    return type(o) is frozenset and bool(o) and all(isinstance(k, bytes) and len(k) == 8 for k in o)


def test_the_build_keeps_no_object_per_document_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails on a build that keeps each document's id, SHA-1, outlet and digests as Python objects
    (a frozenset of digests each) until the documents are written."""
    seen: dict[int, int] = {}
    discover = build.discover_new_words

    def discovering(documents, *args, **kwargs):  # type: ignore[no-untyped-def]
        gc.collect()
        seen[len(documents)] = sum(map(is_digest_set, gc.get_objects()))
        return discover(documents, *args, **kwargs)

    monkeypatch.setattr(build, "discover_new_words", discovering)
    for count in (20, 120):
        write_archive(tmp_path / f"archive-{count}", count)
        report = build_index([tmp_path / f"archive-{count}"], tmp_path / f"index-{count}", jobs=1, segment_chars=2_000)
        assert report.indexed == count
    assert seen[120] - seen[20] <= 10  # not one more a document read
    generation = next(p for p in (tmp_path / "index-120").iterdir() if (p / PARAGRAPHS).exists())
    census = json.loads((generation / PARAGRAPHS).read_text(encoding="utf-8"))["documents"]
    assert len(census) == 120 and all(len(keys) % 16 == 0 and keys for _, keys in census.values())
