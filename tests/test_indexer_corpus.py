"""The whole shared corpus through the indexer's parser: no crash, nothing lost, no boilerplate left."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zhsearch.indexer import parse_archive
from zhsearch.search import Document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MARKERS = Path(__file__).resolve().parent / "data" / "boilerplate_markers.txt"
# A header date that means something (not "", not Hexo's "Invalid Date"), an epoch comment, or a
# YYYY-MM-DD in the file or folder name.
_HEADER_DATE = re.compile(r"^date:\s*['\"]?(?!invalid date)[0-9A-Za-z]", re.M | re.I)
_EPOCH = re.compile(r"<!--\s*\d{12,13}\s*-->")
_NAME_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def parsed() -> tuple[list[Document], object]:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    # The full pass: about a minute on one core for 23k files (about 2.7 ms per file).
    return parse_archive([CORPUS])


def markers() -> list[str]:
    lines = MARKERS.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def corpus_files() -> list[str]:
    return sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.md"))


def test_every_file_is_indexed_or_reported(parsed: tuple[list[Document], object]) -> None:
    documents, report = parsed
    reported = {o.path for o in report.outcomes if o.status == "skipped"}  # type: ignore[attr-defined]
    indexed = {d.id for d in documents}
    assert indexed.isdisjoint(reported)
    assert indexed | reported == set(corpus_files())
    assert not any(r.startswith("cannot parse") for r in report.skipped)  # type: ignore[attr-defined]
    assert len(indexed) >= 0.99 * len(corpus_files())


def test_no_boilerplate_marker_survives(parsed: tuple[list[Document], object]) -> None:
    documents, _ = parsed
    found = {
        marker: [d.id for d in documents if marker in d.text or marker in d.title][:3]
        for marker in markers()
    }
    assert {m: ids for m, ids in found.items() if ids} == {}


def test_every_file_with_a_date_gets_one(parsed: tuple[list[Document], object]) -> None:
    documents, _ = parsed
    missing = []
    for doc in documents:
        if doc.date is not None:
            assert doc.date.utcoffset() is not None
            continue
        head = (CORPUS / doc.path).read_bytes()[:4096].decode("utf-8", "replace")
        if _HEADER_DATE.search(head) or _EPOCH.search(head) or _NAME_DATE.search(doc.path):
            missing.append(doc.path)
    assert missing == []


def test_documents_carry_title_source_and_fingerprints(parsed: tuple[list[Document], object]) -> None:
    documents, _ = parsed
    articles = [d for d in documents if d.path != "README.md"]
    assert all(d.title.strip() for d in articles)
    assert all(d.source for d in articles)
    assert all(d.simhash or not d.text for d in articles)
    assert all(len(d.content_hash) == 40 for d in articles)
