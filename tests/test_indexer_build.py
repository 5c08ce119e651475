"""Whole-archive parsing: the report, learned boilerplate, and a real index build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zhsearch.indexer import FileOutcome, IndexReport, NothingIndexedError, build_index, parse_archive
from zhsearch.indexer.recurring import RecurringParagraphs, paragraph_key
from zhsearch.search import Document, SearchIndex

FOOTER = "本台节目每周一至周五晚间播出，欢迎收看。"
STORIES = ["港口吞吐量回升", "新能源车销量创新高", "夏粮再获丰收", "暴雨致多地停课", "央行下调准备金率", "芯片出口受限"]


def write_outlet(folder: Path, outlet: str, count: int, *, footer: str = FOOTER) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, story in enumerate(STORIES[:count]):
        (folder / f"2021-06-0{i + 1}-{i}.md").write_text(
            f"---\ntitle: '{story}'\nauthor: {outlet}\ncategories: [ {outlet} ]\n---\n"
            f"<p>{story}，这是第{i + 1}篇报道的正文。</p><p>{footer}</p>\n",
            encoding="utf-8",
        )


def test_paragraph_recurring_in_many_articles_of_one_outlet_is_learned_and_dropped(tmp_path: Path) -> None:
    write_outlet(tmp_path / "a", "甲台", 6)
    write_outlet(tmp_path / "b", "乙报", 4)  # fewer articles than the threshold: nothing learned
    documents, report = parse_archive([tmp_path])
    texts = {d.title: d.text for d in documents if d.source == "甲台"}
    assert texts["港口吞吐量回升"] == "港口吞吐量回升，这是第1篇报道的正文。"
    assert sum(FOOTER in d.text for d in documents if d.source == "乙报") == 4
    assert (report.learned_paragraphs, report.dropped_paragraphs) == (1, 6)
    assert "boilerplate learned: 1 recurring paragraphs, 6 occurrences removed" in report.summary()


def test_learning_can_be_switched_off_and_fingerprints_follow_the_text(tmp_path: Path) -> None:
    write_outlet(tmp_path, "甲台", 6)
    kept, _ = parse_archive([tmp_path], learn_boilerplate=False)
    learned, _ = parse_archive([tmp_path])
    assert all(FOOTER in d.text for d in kept)
    for before, after in zip(kept, learned, strict=True):
        assert before.content_hash != after.content_hash
        assert before.simhash != after.simhash


def test_threshold_is_at_least_five_and_two_percent_of_the_outlet() -> None:
    learner = RecurringParagraphs()
    for i in range(400):
        learner.observe(Document(id=str(i), path=str(i), title="t", text=f"第{i}篇\n\n{FOOTER}", source="甲台"))
    assert learner.threshold("甲台") == 8
    assert learner.threshold("没见过") == 5
    # The numbers of a date stamp do not make it a different paragraph (dated footers); other
    # numbers do, and a short numbered line like 第1篇 is never learned.
    assert paragraph_key("（編輯：林）1091220") == paragraph_key("（編輯：林）1100101")
    assert paragraph_key("第1篇") != paragraph_key("第2篇")
    # learned for the outlet, and for the folder of its files (a fifth of whose articles have it)
    assert learner.learn().by_outlet == {"甲台": frozenset({paragraph_key(FOOTER)}), "folder:.": frozenset({paragraph_key(FOOTER)})}


def test_report_skips_and_recoveries_by_kind(tmp_path: Path) -> None:
    (tmp_path / "ok.md").write_text("---\ntitle: 正常\ndate: Invalid Date\n---\n正文。\n", encoding="utf-8")
    (tmp_path / "bad-yaml.md").write_text('---\ntitle: "他说"好""\n---\n正文。\n', encoding="utf-8")
    (tmp_path / "binary.md").write_bytes(b"\x00\x01\x02")
    (tmp_path / "empty.md").write_text("\n\n", encoding="utf-8")
    (tmp_path / "unreadable.md").write_text("---\n只是一句话\n---\n正文。\n", encoding="utf-8")
    (tmp_path / "big5.md").write_bytes("---\ntitle: 臺灣\n---\n<p>經濟成長。</p>\n".encode("big5"))
    documents, report = parse_archive([tmp_path])
    assert (report.seen, report.indexed, len(documents)) == (6, 3, 3)
    assert report.skipped == {"binary file (contains NUL bytes)": 1, "no title and no text": 1, "unreadable front matter": 1}
    assert report.recovered == {
        "unparseable date ignored": 1,
        "invalid YAML front matter read line by line": 1,
        "decoded as big5": 1,
    }
    lines = [json.loads(o.to_json()) for o in report.outcomes]
    assert {"path": "ok.md", "status": "recovered", "reason": "unparseable date ignored: 'Invalid Date'"} in lines
    assert {"path": "binary.md", "status": "skipped", "reason": "binary file (contains NUL bytes)"} in lines
    assert report.summary().splitlines()[0] == "6 files seen, 3 indexed, 3 skipped"
    assert "  recovered 1: unparseable date ignored" in report.summary().splitlines()


def test_outcome_kind_drops_the_detail() -> None:
    assert FileOutcome("a.md", "skipped", "cannot parse: ValueError: boom").kind == "cannot parse"
    assert IndexReport().summary() == "0 files seen, 0 indexed, 0 skipped"


def test_build_index_writes_learned_clean_documents(tmp_path: Path) -> None:
    write_outlet(tmp_path / "articles", "甲台", 6)
    report = build_index([tmp_path / "articles"], tmp_path / "index")
    assert report.indexed == 6
    with SearchIndex(tmp_path / "index") as index:
        page = index.search("欢迎收看")
        assert page.total == 0
        assert index.search("吞吐量").total == 1


def test_build_index_with_nothing_to_index_raises_with_the_report(tmp_path: Path) -> None:
    (tmp_path / "binary.md").write_bytes(b"\x00")
    with pytest.raises(NothingIndexedError) as info:
        build_index([tmp_path], tmp_path / "index")
    assert info.value.report.skipped == {"binary file (contains NUL bytes)": 1}  # type: ignore[attr-defined]
