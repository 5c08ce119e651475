"""A build in bounded memory (issue 18): documents kept on disk between reading and writing."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

import zhsearch.indexer.build as build
import zhsearch.indexer.spill as spill
from zhsearch.indexer import build_index
from zhsearch.indexer.spill import DocumentSpill
from zhsearch.search import Document, SearchIndex

WORDS = "港口 吞吐量 回升 新能源 销量 创新高 夏粮 丰收 暴雨 停课 央行 下调 准备金率 芯片 出口 受限".split()


def write_archive(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(12)]
        (folder / f"2021-06-{i % 28 + 1:02d}-{i}.md").write_text(
            f"---\ntitle: '第{i}篇 {words[0]}{words[1]}'\nauthor: 甲台\n---\n"
            f"<p>{''.join(words)}，第{i}篇。</p><p>{''.join(reversed(words))}。</p>\n",
            encoding="utf-8",
        )


def alive_documents() -> int:
    gc.collect()
    return sum(isinstance(o, Document) for o in gc.get_objects())


def names_below(root: Path) -> set[str]:
    return {name for _, dirs, files in os.walk(root) for name in dirs + files}


def test_a_spill_gives_back_its_documents_in_order_and_leaves_no_file(tmp_path: Path) -> None:
    documents = [Document(id=str(i), path=f"{i}.md", title=f"标题{i}", text="正文" * i, tags=("t",)) for i in range(50)]
    with DocumentSpill(tmp_path) as kept:
        for document in documents:
            kept.append(document)
        assert os.listdir(tmp_path) == []  # the file has no name: nothing to leave behind, whatever happens
        assert len(kept) == 50
        assert kept.sizes == [len(d.title) + len(d.text) for d in documents]
        assert list(kept) == documents
        assert kept[10:13] == documents[10:13]
        assert kept[49:60] == documents[49:] and kept[5:5] == []
        with pytest.raises(ValueError):
            kept[::2]
    assert os.listdir(tmp_path) == []


def test_the_build_holds_a_few_documents_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails on a build that keeps every document read (until writing) in memory."""
    write_archive(tmp_path / "archive", 120)
    monkeypatch.setattr(spill, "READ_AHEAD", 4)
    seen: dict[str, int] = {}
    discover, write_segment = build.discover_new_words, build.write_segment

    def discovering(documents, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen["discovery"] = alive_documents()
        return discover(documents, *args, **kwargs)

    def writing(directory, config, documents):  # type: ignore[no-untyped-def]
        seen["writing"] = max(seen.get("writing", 0), alive_documents())
        return write_segment(directory, config, documents)

    monkeypatch.setattr(build, "discover_new_words", discovering)
    monkeypatch.setattr(build, "write_segment", writing)
    before = alive_documents()
    # segments of about 20 documents: the build holds one of them (and what it reads ahead)
    report = build_index([tmp_path / "archive"], tmp_path / "index", jobs=1, segment_chars=2_000)
    assert report.indexed == 120
    assert seen["discovery"] - before <= 4
    assert 0 < seen["writing"] - before <= 40
    with SearchIndex.open(tmp_path / "index") as index:
        assert index.stats().documents == 120


def test_a_spilled_build_is_the_same_index_and_a_failed_one_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_archive(tmp_path / "archive", 60)
    build_index([tmp_path / "archive"], tmp_path / "index", jobs=2, segment_chars=2_000)
    with SearchIndex.open(tmp_path / "index") as index:
        hits = [(h.id, h.title, round(h.score, 6)) for h in index.search("港口", limit=100).hits]
    assert len(hits) > 10
    published = names_below(tmp_path / "index")
    assert not any(name.startswith("zhsearch-") for name in published)

    calls = []
    write_segment = build.write_segment

    def failing(directory, config, documents):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return write_segment(directory, config, documents)

    monkeypatch.setattr(build, "write_segment", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index([tmp_path / "archive"], tmp_path / "index", jobs=1, segment_chars=2_000)
    monkeypatch.undo()
    assert not any(name.startswith("zhsearch-") for name in names_below(tmp_path / "index"))
    with SearchIndex.open(tmp_path / "index") as index:  # the live index as it was
        assert [(h.id, h.title, round(h.score, 6)) for h in index.search("港口", limit=100).hits] == hits
