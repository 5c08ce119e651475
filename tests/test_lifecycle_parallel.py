"""Parallel work: builds and updates with several jobs write exactly what one job writes."""

from __future__ import annotations

import shutil
from pathlib import Path

from zhsearch.indexer import build_index, update_index
from zhsearch.search import open_index
from zhsearch.search.embedded.store import current_generation
from zhsearch.search.embedded.writer import live_segments

from conftest import CORPUS
from lifecycle_corpus import snapshot, version_a, version_b, write_corpus

QUERIES = ["记者", "港口吞吐量", "台湾", "iPhone", '"碳中和 目标"', "江城 OR 海港", "source:东方晨报"]
SMALL_SEGMENTS = 1200  # characters: several segments even for this small archive


def _archive(folder: Path, version: dict[str, str]) -> Path:
    write_corpus(folder / "generated", version)
    if not (folder / "fixtures").exists():
        shutil.copytree(CORPUS, folder / "fixtures")
    return folder


def _same(one: Path, two: Path) -> None:
    assert [s[1:] for s in live_segments(one)] == [s[1:] for s in live_segments(two)]
    assert snapshot(one) == snapshot(two)
    for name in ("files.json", "paragraphs.json"):
        assert (current_generation(one) / name).read_text() == (current_generation(two) / name).read_text()
    with open_index(one) as first, open_index(two) as second:
        assert [d.id for d in first.documents()] == [d.id for d in second.documents()]  # same order too
        for query in QUERIES:
            a, b = first.search(query, limit=50), second.search(query, limit=50)
            assert [(h.id, h.score) for h in a.hits] == [(h.id, h.score) for h in b.hits], query


def test_a_build_with_two_jobs_is_the_build_with_one(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "posts", version_a())
    one = build_index([archive], tmp_path / "one", jobs=1, segment_chars=SMALL_SEGMENTS)
    two = build_index([archive], tmp_path / "two", jobs=2, segment_chars=SMALL_SEGMENTS)
    assert one.summary() == two.summary()
    assert len(list(live_segments(tmp_path / "one"))) >= 4  # several segments (written by two processes for "two")
    _same(tmp_path / "one", tmp_path / "two")


def test_a_merged_build_with_two_jobs_is_the_merged_build_with_one(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "posts", version_a())
    build_index([archive], tmp_path / "one", jobs=1, segment_chars=SMALL_SEGMENTS, merge=True)
    build_index([archive], tmp_path / "two", jobs=2, segment_chars=SMALL_SEGMENTS, merge=True)
    assert len(list(live_segments(tmp_path / "one"))) == 1
    _same(tmp_path / "one", tmp_path / "two")


def test_an_update_with_two_jobs_is_the_update_with_one(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "posts", version_a())
    for name in ("one", "two"):
        build_index([archive], tmp_path / name, segment_chars=SMALL_SEGMENTS)
    write_corpus(archive / "generated", version_b())
    one = update_index([archive], tmp_path / "one", jobs=1, segment_chars=SMALL_SEGMENTS)
    two = update_index([archive], tmp_path / "two", jobs=2, segment_chars=SMALL_SEGMENTS)
    assert one.lines() == two.lines()
    assert len(one.recleaned) == 4
    _same(tmp_path / "one", tmp_path / "two")
