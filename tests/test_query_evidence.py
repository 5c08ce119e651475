"""A run's words close together and in the lead rank a document up (search/queries/evidence.py)."""

from __future__ import annotations

import pytest

from zhsearch.search.embedded.engine import SearchIndex
from zhsearch.search.queries.evidence import CLOSE_SLACK, CLOSE_WEIGHT, LEAD_CHARS, LEAD_WEIGHT, closeness, evidence
from zhsearch.search.results.document import Document

PAD = "市民在广场上观看直播，街头巷尾议论纷纷，交通管制从早上开始。"  # 30 characters, none of the words
# The same three words once each, in texts of the same length: SCATTERED names them paragraphs
# apart (and 女王的, as the question has it), TOGETHER says them in one sentence.
SCATTERED = Document(
    id="scattered", path="scattered.md", title="英国新闻",
    text="女王的一生受到关注。" + PAD * 3 + "国葬的安排已经公布。" + PAD * 2 + "仪式下周举行。",
)
TOGETHER = Document(
    id="together", path="together.md", title="英国新闻", text="国葬将为女王在下周一举行。" + PAD * 5 + "各界人士表示哀悼。",
)
# The same sentence at the end (LATE, indexed first) and at the start (EARLY) of the same text.
LATE = Document(id="late", path="late.md", title="城市简讯", text=PAD * 4 + "新馆开放，博物馆展出文物。")
EARLY = Document(id="early", path="early.md", title="城市简讯", text="新馆开放，博物馆展出文物。" + PAD * 4)
FILLER = [
    Document(id=f"f{i}", path=f"f{i}.md", title=f"简讯{i}", text=f"第{i}条简讯：天气晴朗，{PAD}") for i in range(12)
]
DOCS = [SCATTERED, TOGETHER, LATE, EARLY, *FILLER]  # indexed by conftest's docs_index


def ranked(index: SearchIndex, query: str) -> list[tuple[str, float]]:
    return [(h.id, h.score) for h in index.search(query, limit=10, dedup=False).hits]


def test_a_question_ranks_the_text_saying_its_words_together_first(docs_index: SearchIndex) -> None:
    # Before: SCATTERED first (it also holds 女王的 as typed, and BM25 counts words wherever they stand).
    assert [d for d, _ in ranked(docs_index, "女王的国葬在哪里举行")][:2] == ["together", "scattered"]


def test_words_in_the_lead_rank_first(docs_index: SearchIndex) -> None:
    # Before: a tie, LATE first by index order.
    assert [d for d, _ in ranked(docs_index, "博物馆展出文物")][:2] == ["early", "late"]


def test_one_word_and_quoted_text_are_not_reranked(docs_index: SearchIndex) -> None:
    # No run of several words: the scores tie as before and index order decides.
    for query in ("博物馆", '"博物馆展出"'):
        (first, a), (second, b) = ranked(docs_index, query)[:2]
        assert (first, second) == ("late", "early") and a == b, query
    newest = docs_index.search("博物馆展出文物", limit=10, dedup=False, sort="newest")
    assert {h.id for h in newest.hits} == {"early", "late"} and all(h.score == 0.0 for h in newest.hits)


def test_closeness_is_the_shortest_window_against_the_words_length() -> None:
    words = ["女王", "国葬", "举行"]
    assert closeness("国葬将为女王在下周一举行。", words) == 1.0  # 13 characters ≤ 6 + CLOSE_SLACK
    far = "女王" + "，" * 94 + "国葬举行"  # a window of 100 characters
    assert closeness(far, words) == pytest.approx((6 + CLOSE_SLACK) / 100)
    # The shortest window wins wherever it is; two of three words count two thirds.
    assert closeness("女王" + "，" * 200 + "女王国葬", words) == pytest.approx(2 / 3)
    assert closeness("只有女王", words) == 0.0 and closeness("", words) == 0.0


def test_evidence_adds_the_lead_share_and_the_closeness() -> None:
    words = ["博物馆", "文物"]
    assert evidence("博物馆展出文物", words) == pytest.approx(LEAD_WEIGHT + CLOSE_WEIGHT)
    late = "，" * LEAD_CHARS + "博物馆展出文物"
    assert evidence(late, words) == pytest.approx(CLOSE_WEIGHT)
    assert evidence("博物馆" + "，" * LEAD_CHARS + "文物", words) == pytest.approx(
        LEAD_WEIGHT / 2 + CLOSE_WEIGHT * (5 + CLOSE_SLACK) / (LEAD_CHARS + 5))
    assert evidence("天气晴朗", words) == 0.0 and evidence("博物馆", []) == 0.0
