"""bench/cleaning.py: every fixture article reads as its hand-written expectation says, and the scoring can tell when not."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any

import pytest

from zhsearch.search import Document
from test_bench_generate import bench_module

cleaning = bench_module("cleaning")
EXPECTATIONS = cleaning.load_expectations()
GENERATORS = ("hexo", "北岸评论", "jekyll-wayback", "hugo", "zola", "pelican", "wordpress", "mixed", "pages")


@pytest.fixture(scope="module")
def figures() -> Any:
    return cleaning.score_fixtures()


def test_there_are_forty_articles_across_the_generators() -> None:
    sites = Counter(e.doc_id.split("/", 1)[0] for e in EXPECTATIONS)
    assert sum(sites.values()) >= 40
    assert all(sites[g] >= 3 for g in GENERATORS), sites
    assert all(e.note for e in EXPECTATIONS)  # each says which hard case it is


@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=lambda e: e.doc_id)
def test_each_article_reads_as_expected(figures: Any, expectation: Any) -> None:
    (score,) = [a for a in figures.articles if a.doc_id == expectation.doc_id]
    assert score.wrong == {}
    assert (score.missing, score.extra) == ([], [])


def test_the_totals_are_perfect_and_nothing_is_left_over(figures: Any) -> None:
    assert (figures.precision, figures.recall) == (1.0, 1.0)
    assert all(figures.field_accuracy(name)[0] == figures.field_accuracy(name)[1] for name in cleaning.FIELDS)
    archive = figures.archive
    assert archive.empty == [] and archive.over_cleaned == [] and archive.template_flagged == []
    assert (archive.remnants.template, archive.remnants.url, archive.remnants.html) == ([], [], [])
    assert "web.archive.org" not in archive.outlets and "youtube.com" not in archive.outlets


def _document(text: str, **fields: Any) -> Document:
    return Document(id="a.md", path="a.md", title=fields.pop("title", "标题"), text=text, **fields)


def test_the_scoring_counts_missing_extra_and_wrong_fields() -> None:
    expectation = cleaning.Expectation(
        doc_id="a.md", title="标题", outlet="甲报", date="2021-03-05", paragraphs=("第一段。", "第二段。")
    )
    found = _document("第一段。\n\n订阅我们的电子报", source="乙报", date=datetime(2021, 3, 5, 6, tzinfo=timezone.utc))
    score = cleaning.score_article(expectation, found, None)
    assert (score.matched, score.produced, score.expected) == (1, 2, 2)
    assert score.missing == ["第二段。"] and score.extra == ["订阅我们的电子报"]
    assert score.wrong == {"outlet": ("甲报", "乙报")}  # a bare day compares the day only
    assert not score.holds


def test_the_scoring_tells_a_wrong_skip_and_a_wrong_date() -> None:
    skipped = cleaning.Expectation(doc_id="a.md", skipped="not an article: error page")
    assert cleaning.score_article(skipped, _document("正文"), None).wrong == {
        "skipped": ("not an article: error page", "(indexed)")
    }
    dated = cleaning.Expectation(doc_id="a.md", title="标题", date="2021-03-05T14:20:00+08:00", paragraphs=("正文",))
    score = cleaning.score_article(dated, _document("正文", date=datetime(2021, 3, 5, 14, 20, tzinfo=timezone.utc)), None)
    assert list(score.wrong) == ["date"]
    assert cleaning.score_article(dated, None, "no title and no text").missing == ["正文"]


def test_remnants_are_found_by_kind() -> None:
    remnants = cleaning.Remnants()
    remnants.add(_document("正文 {{< youtube abc >}}"))
    remnants.add(_document("正文<p>见 https://example.com/a"))
    assert [d for d, _ in remnants.template] == ["a.md"]
    assert [d for d, _ in remnants.html] == ["a.md"] and [d for d, _ in remnants.url] == ["a.md"]


def test_the_report_runs_and_says_when_the_corpus_is_absent(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cleaning.main(["--corpus", str(tmp_path / "none"), "--json", str(tmp_path / "out.json")]) == 0
    out = capsys.readouterr().out
    assert f"articles exactly as expected: {len(EXPECTATIONS)}/{len(EXPECTATIONS)}" in out
    assert "not found, skipped (give --corpus DIR)" in out
    assert (tmp_path / "out.json").is_file()

