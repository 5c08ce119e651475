"""Questions that ask when or how much: the texts stating a date or an amount rank first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zhsearch.search.text.analysis import AnalyzerConfig
from zhsearch.search.results.document import Document
from zhsearch.search.embedded.engine import SearchIndex
from zhsearch.search.queries.intent import AMOUNT, TIME, answer_kind, states_answer
from zhsearch.search.queries.query import QueryBuilder, is_question_word
from zhsearch.search.embedded.writer import IndexWriter

# Both on the games' opening; only DATED says when. TALK repeats the words, so it ranks first by
# the words alone.
TALK = Document(
    id="talk", path="talk.md", title="筹备进展",
    text="运动会开幕在即，运动会开幕的筹备进入尾声。",
)
DATED = Document(id="dated", path="dated.md", title="赛事新闻", text="本届运动会开幕定于8月12日，各队报到。")
# Both on the bridge; only MEASURED says how long.
BRIDGE_TALK = Document(
    id="bridge-talk", path="bridge-talk.md", title="大桥通车",
    text="跨海大桥通车，跨海大桥成为地标，市民纷纷前往跨海大桥参观。",
)
MEASURED = Document(id="measured", path="measured.md", title="工程", text="这座跨海大桥全长55公里，今天正式通车。")
FILLER = [
    Document(id=f"f{i}", path=f"f{i}.md", title=f"简讯{i}", text=f"第{i}条简讯：城市交通和天气。")
    for i in range(12)
]
DOCS = [TALK, DATED, BRIDGE_TALK, MEASURED, *FILLER]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    location = tmp_path_factory.mktemp("intent") / "index"
    with IndexWriter(location) as writer:
        for doc in DOCS:
            writer.add(doc)
    opened = SearchIndex.open(location)
    yield opened
    opened.close()


def ids(index: SearchIndex, query: str) -> list[str]:
    return [h.id for h in index.search(query, limit=10, dedup=False).hits]


def test_the_words_alone_rank_the_repetitive_text_first(index: SearchIndex) -> None:
    # No question: the ranking is by the words (the premise of the tests below).
    assert ids(index, "运动会开幕")[:2] == ["talk", "dated"]
    assert ids(index, "跨海大桥通车")[:2] == ["bridge-talk", "measured"]


def test_a_when_question_ranks_the_text_with_a_date_first(index: SearchIndex) -> None:
    for query in ("运动会开幕时间", "运动会什么时候开幕", "运动会哪天开幕"):
        assert ids(index, query)[:2] == ["dated", "talk"], query


def test_a_how_much_question_ranks_the_text_with_an_amount_first(index: SearchIndex) -> None:
    for query in ("跨海大桥有多长", "跨海大桥通车多少公里"):
        assert ids(index, query)[:2] == ["measured", "bridge-talk"], query


def test_the_answer_only_reorders_and_every_hit_is_marked(index: SearchIndex) -> None:
    asked = index.search("运动会开幕时间", limit=10, dedup=False)
    assert {h.id for h in asked.hits} == {"talk", "dated"}
    assert all("<mark>" in h.snippet or "<mark>" in h.title_html for h in asked.hits)
    # Sorted by date, nothing is re-ranked: the order is the index's.
    newest = index.search("运动会开幕时间", limit=10, dedup=False, sort="newest")
    assert {h.id for h in newest.hits} == {"talk", "dated"}


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("布林肯访华时间", TIME), ("奥运会什么时候开幕", TIME), ("新机场哪年启用", TIME), ("发售日期", TIME),
        ("高考报名人数有多少", AMOUNT), ("大桥有多长", AMOUNT), ("获得几枚金牌", AMOUNT),
        ("特朗普新冠检测阳性", None), ("哪吒票房", None), ('"开幕时间"', None), ("碳中和", None),
    ],
)
def test_what_a_question_asks_for(query: str, kind: str | None) -> None:
    assert answer_kind(query) == kind


def test_what_states_a_date_or_an_amount() -> None:
    assert states_answer(TIME, "", "将于8月12日开幕")
    assert states_answer(TIME, "2022-03-08 发布", "")
    assert states_answer(TIME, "三月八日举行")
    assert not states_answer(TIME, "2022年的运动会", "开幕在即")  # a bare year is not a date
    assert states_answer(AMOUNT, "全长55公里")
    assert states_answer(AMOUNT, "增长8.1%")
    assert not states_answer(AMOUNT, "2022年的运动会")  # a year is not an amount


def test_question_words_by_their_form_are_never_required() -> None:
    builder = QueryBuilder(AnalyzerConfig())
    for word in ("哪部", "哪位", "哪国", "多长", "多远", "时间", "日期", "地点"):
        assert is_question_word(word), word
    for word in ("哪吒", "多元", "电影", "时代"):
        assert not is_question_word(word), word
    units = builder.parse("哪部电影获得最佳影片").runs()[0].units
    assert "电影" in units and "哪部" not in units
    assert "时间" not in builder.parse("布林肯访华时间").runs()[0].units
