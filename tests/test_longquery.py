"""Long pasted queries: words chosen by qtf × IDF, qtf in the score, clauses, and every way in."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from zhsearch.search import Document, IndexWriter, SearchIndex
from zhsearch.search.text.analysis import AnalyzerConfig
from zhsearch.search.queries import longquery
from zhsearch.search.queries.longquery import LongQuery, LongQueryBuilder, LongQueryOptions, is_numeric, saturated, without_spaces
from zhsearch.search.text.normalize import fold
from zhsearch.web import create_app
from zhsearch.cli import cli


class Counts:
    """Archive statistics from a table of document frequencies."""

    def __init__(self, frequencies: dict[str, int], documents: int) -> None:
        self.frequencies, self.documents = frequencies, documents

    def frequency(self, word: str) -> int:
        return self.frequencies.get(word, 0)


BUILDER = LongQueryBuilder(AnalyzerConfig())


def test_words_are_chosen_by_weight_not_by_position() -> None:
    # The case: a long background first, the words that matter at the end.
    background = [f"背景词{n}" for n in range(80)]
    tokens = background + ["殴打", "骨折", "轻伤"]
    frequencies = {w: 200 for w in background} | {"殴打": 3, "骨折": 4, "轻伤": 2}
    used, left_out, _, total = BUILDER.choose(tokens, Counts(frequencies, 1000), LongQueryOptions(max_terms=64))
    assert {"殴打", "骨折", "轻伤"} <= {c.word for c in used}
    assert len(used) == 64 and total == 83
    assert len(left_out) == 19 and all(c.word.startswith("背景词") for c in left_out)


def test_numbers_dates_single_characters_and_common_words_weigh_less_or_nothing() -> None:
    tokens = ["2020年", "7月31日", "3.5%", "二〇二〇年", "的", "在", "进行", "骨折", "会议"]
    frequencies = {"2020年": 5, "7月31日": 5, "3.5%": 5, "二〇二〇年": 5, "进行": 600, "骨折": 5, "会议": 50,
                   "的": 990, "在": 980}
    used, _, singles, _ = BUILDER.choose(tokens, Counts(frequencies, 1000), LongQueryOptions())
    weight = {c.word: c.weight for c in used}
    assert "进行" not in weight  # in 60% of the documents
    assert set(singles) == {"的", "在"} and not {"的", "在"} & set(weight)
    for number in ("2020年", "7月31日", "3.5%", "二〇二〇年"):
        assert is_numeric(number)
        assert weight[number] < weight["骨折"] / 4  # as rare as 骨折, a fifth of its weight
    assert not is_numeric("会议") and not is_numeric("G20")


def test_a_word_said_more_often_weighs_more_but_saturates() -> None:
    tokens = ["骨折"] * 5 + ["轻伤"]
    used, _, _, _ = BUILDER.choose(tokens, Counts({"骨折": 5, "轻伤": 5}, 1000), LongQueryOptions())
    boost = {c.word: c.boost for c in used}
    assert boost["轻伤"] == 1.0
    k3 = LongQueryOptions().qtf_saturation
    assert 1.5 < boost["骨折"] == saturated(5, k3) < k3 + 1


def test_a_tiny_archive_does_not_call_every_word_common() -> None:
    used, _, _, _ = BUILDER.choose(["骨折", "轻伤"], Counts({"骨折": 2, "轻伤": 1}, 3), LongQueryOptions())
    assert {c.word for c in used} == {"骨折", "轻伤"}


FILLER = "本报讯，记者从有关部门获悉，今年以来各地持续推进相关工作，取得了积极进展。"
DOCS = [
    Document(id="injury", path="injury.md", title="邻里纠纷引发伤害案",
             text="村民因宅基地纠纷发生争执，一方将另一方殴打致骨折，经鉴定为轻伤二级。" + FILLER),
    Document(id="land", path="land.md", title="宅基地纠纷调解",
             text="两户村民因宅基地边界发生纠纷，村委会多次调解，双方达成协议。" + FILLER),
    Document(id="harbour", path="harbour.md", title="港口吞吐量增长", text="港口集装箱吞吐量同比增长。" + FILLER),
    Document(id="apple", path="apple.md", title="苹果", text="果园里的苹果熟了，果农忙着采摘苹果。" + FILLER),
    Document(id="pear", path="pear.md", title="梨子", text="果园里的梨子熟了，果农忙着采摘梨子。" + FILLER),
    Document(id="shuffled", path="shuffled.md", title="调解记录",
             text="经鉴定为轻伤二级。一方将另一方殴打致骨折。村民因宅基地纠纷发生争执。" + FILLER),
]


def _written(where: Path, docs: list[Document]) -> Path:
    with IndexWriter(where) as writer:
        for doc in docs:
            writer.add(doc)
    return where


@pytest.fixture(scope="module")
def location(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _written(tmp_path_factory.mktemp("longquery") / "index", DOCS)


@pytest.fixture()
def index(location: Path) -> Iterator[SearchIndex]:
    with SearchIndex.open(location) as opened:
        yield opened


def test_the_count_of_a_word_in_the_query_counts_in_the_score(index: SearchIndex) -> None:
    # 苹果 and 梨子 are equally rare and equally frequent in their articles: the query's counts decide.
    query = "关于果园的情况：苹果、苹果、苹果，还有梨子，大家都关心今年的收成怎么样"
    assert [h.id for h in index.search(query).hits][:2] == ["apple", "pear"]
    query = "关于果园的情况：梨子、梨子、梨子，还有苹果，大家都关心今年的收成怎么样"
    assert [h.id for h in index.search(query).hits][:2] == ["pear", "apple"]


def test_the_article_a_passage_comes_from_ranks_above_its_words_in_another_order(index: SearchIndex) -> None:
    passage = "村民因宅基地纠纷发生争执，一方将另一方殴打致骨折，经鉴定为轻伤二级。"
    assert [h.id for h in index.search(passage).hits][:2] == ["injury", "shuffled"]
    index.long_options = replace(index.long_options, clause_boost=0.0, proximity_boost=0.0)
    without = index.search(passage).hits  # the same words: the clauses are what tells them apart
    assert {without[0].id, without[1].id} == {"injury", "shuffled"}
    assert abs(without[0].score - without[1].score) < abs(index.search(passage).hits[0].score) * 0.05


def test_the_warnings_say_how_many_words_were_used_and_name_the_heaviest_left_out(index: SearchIndex) -> None:
    index.long_options = replace(index.long_options, max_terms=3)
    page = index.search("村委会多次调解宅基地边界纠纷，双方达成协议，港口集装箱吞吐量增长，果农采摘")
    assert page.warnings[0].startswith("the query is long, so it was searched as any of its 3 most informative words (of ")
    assert page.warnings[1].startswith("the most informative words left out of the long query: “")
    assert len(page.warnings) == 2


def test_a_long_query_of_words_the_archive_lacks_says_so(index: SearchIndex) -> None:
    page = index.search("火星探测器着陆乌托邦平原，祝融号巡视探测，科学家期待成果，航天员出舱太空行走")
    assert page.total == 0
    assert "none of the query's words is in the archive" in page.warnings


TEN_THOUSAND = ("村民因宅基地纠纷发生争执，一方将另一方殴打致骨折，经鉴定为轻伤二级。" * 300)[:10000]


def test_python_accepts_ten_thousand_characters(index: SearchIndex) -> None:
    page = index.search(TEN_THOUSAND)
    assert not any("cut" in w for w in page.warnings)
    assert page.hits[0].id == "injury"


def test_the_cli_accepts_ten_thousand_characters(runner: CliRunner, location: Path) -> None:
    result = runner.invoke(cli, ["search", "--json", "--index", str(location), TEN_THOUSAND])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["hits"][0]["id"] == "injury"
    result = runner.invoke(cli, ["search", "--index", str(location), TEN_THOUSAND])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()[0]) < 200  # the query is not echoed in full


@pytest.fixture()
def client(index: SearchIndex):  # type: ignore[no-untyped-def]
    return create_app({"INDEX": index, "TESTING": True}).test_client()


def test_http_post_takes_the_text_in_a_json_body(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/search", json={"q": TEN_THOUSAND, "limit": 2, "dedup": False, "source": []})
    assert response.status_code == 200
    body = response.get_json()
    assert body["hits"][0]["id"] == "injury" and body["limit"] == 2
    assert body["warnings"][0].startswith("the query is long, so it was searched as any of its ")


def test_http_get_points_overlong_text_to_post(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/search", query_string={"q": TEN_THOUSAND[:501]}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "invalid_argument",
        "message": "the query is longer than 500 characters: send it as POST /api/search with a JSON body",
    }


@pytest.mark.parametrize("body, message", [
    (b"not json", "the request body is not JSON: send a JSON object of the search fields"),
    (b"[1, 2]", "the request body must be a JSON object of the search fields (q, page, limit, explain, "
                "source, category, tag, since, until, month, sort, dedup)"),
    (b'{"query": "x"}', "unknown field 'query' in the request body; the fields are q, page, limit, explain, "
                        "source, category, tag, since, until, month, sort, dedup"),
    (b'{"q": 5}', "the field q must be a string, a whole number, true or false, or a list of strings"),
    (b'{"q": ["a", "b"]}', "the field q must be one string"),
    (b'{"q": "x", "limit": 1000}', "limit must be between 1 and 50, not 1000"),
    (json.dumps({"q": "记" * 20001}).encode(), "the query is longer than 20000 characters"),
])
def test_a_bad_post_body_is_a_clear_400(client, body: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/search", data=body, content_type="application/json",
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "invalid_argument", "message": message}


def test_similar_articles_are_found_by_the_long_query_machinery(index: SearchIndex) -> None:
    hits = index.similar("injury", limit=3)
    assert hits[0].id == "shuffled"  # the same words
    assert "injury" not in {h.id for h in hits}


def test_explain_and_the_whoosh_matchers_read_the_clause_bonus(location: Path) -> None:
    passage = "村民因宅基地纠纷发生争执，一方将另一方殴打致骨折，经鉴定为轻伤二级。"
    with SearchIndex.open(location) as arrays, SearchIndex.open(location) as matchers:
        matchers.vectorized = False
        fast, slow = arrays.search(passage, explain=True), matchers.search(passage)
        assert [h.id for h in fast.hits] == [h.id for h in slow.hits]
        assert [round(h.score, 6) for h in fast.hits] == [round(h.score, 6) for h in slow.hits]
        assert fast.explain is not None and fast.explain["clauses"][0]["matches"] == fast.total


def test_feedback_adds_the_first_documents_words_when_asked() -> None:
    # RM3 (measured and left off by default, see BENCHMARKS.md): words of the first documents join the query.
    statistics = Counts({"骨折": 5, "轻伤": 5, "鉴定": 8, "医院": 9}, 1000)
    options = LongQueryOptions(feedback_terms=2)
    long = BUILDER.build("骨折与轻伤的认定标准，骨折程度如何判断", statistics, options)
    assert long is not None and "鉴定" not in str(long.query)
    expanded = BUILDER.expand(long, "骨折与轻伤的认定标准，骨折程度如何判断",
                              [("经医院鉴定为轻伤，骨折", 10.0), ("医院鉴定", 9.0)], statistics, options)
    assert "鉴定" in str(expanded.query) and "医院" in str(expanded.query)
    assert BUILDER.expand(long, "…", [], statistics, options) is long


SHIPPING = ("港口集装箱吞吐量连续三个月回升，航运公司陆续恢复停航的班轮航线，"
            "运价指数较上月上涨一成，船东预计旺季运力依然紧张，码头工人加班装卸货物")
COPIES = [
    # The passage's article: the passage, and a long report around it.
    Document(id="source", path="source.md", title="港口观察",
             text="记者走访沿海码头。" + SHIPPING + "。" + "".join(
                 f"第{n}号泊位的调度员说，今年的排班表改了又改，夜班的人手总是不够用。" for n in range(30))),
    # A shorter report with most of its clauses, one of them rewritten.
    Document(id="partial", path="partial.md", title="航运回暖",
             text=SHIPPING.replace("码头工人加班装卸货物", "仓储企业扩建冷库") + "。"),
    Document(id="other", path="other.md", title="码头工人", text="码头工人加班装卸货物，港口吞吐量创新高。"),
    # Every clause of the passage, punctuated and paragraphed otherwise, in a short note.
    Document(id="repunctuated", path="repunctuated.md", title="简讯",
             text=SHIPPING.replace("，航运公司", "。\n\n航运公司").replace("，船东", "；船东") + "。"),
]


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _written(tmp_path_factory.mktemp("copies") / "index", COPIES)


def test_the_article_with_the_whole_passage_ranks_above_a_shorter_one_with_most_of_it(copies: Path) -> None:
    with SearchIndex.open(copies) as index:
        assert [h.id for h in index.search(SHIPPING, dedup=False).hits][:3] == ["source", "repunctuated", "partial"]
        index.long_options = replace(index.long_options, complete_boost=0.0, verbatim_boost=0.0)
        # by its clauses alone a shorter one wins: its words weigh more in fewer characters
        assert index.search(SHIPPING, dedup=False).hits[0].id != "source"


def test_the_whole_passage_as_one_run_ranks_above_its_clauses_punctuated_otherwise(copies: Path) -> None:
    with SearchIndex.open(copies) as index:
        index.long_options = replace(index.long_options, verbatim_boost=0.0)
        assert [h.id for h in index.search(SHIPPING, dedup=False).hits][:2] == ["repunctuated", "source"]


def test_a_description_no_article_holds_word_for_word_is_ranked_by_its_words(copies: Path) -> None:
    description = "集装箱运价指数上涨与航运公司恢复航线，船东对旺季运力的判断，以及冷库扩建的情况和调度排班的问题"
    with SearchIndex.open(copies) as index:
        ranked = [(h.id, round(h.score, 6)) for h in index.search(description, dedup=False).hits]
        index.long_options = replace(index.long_options, clause_boost=0.0)
        assert [(h.id, round(h.score, 6)) for h in index.search(description, dedup=False).hits] == ranked


def test_exact_script_clauses_prefer_the_copy_in_the_query_script() -> None:
    long = LongQueryBuilder(AnalyzerConfig()).build(
        "港口集裝箱吞吐量連續回升，航運公司恢復班輪航線", Counts({"港口": 3, "航运": 3, "回升": 3}, 1000),
        LongQueryOptions(exact_boost=0.5))
    assert long is not None
    simplified = long.clause_bonus("", "港口集装箱吞吐量连续回升，航运公司恢复班轮航线", simplify=True)
    traditional = long.clause_bonus("", "港口集裝箱吞吐量連續回升，航運公司恢復班輪航線", simplify=True)
    assert traditional > simplified > 0


def test_without_spaces_removes_what_the_whitespace_pattern_removes() -> None:
    """Every code point: str.split() and the pattern's \\s agree on what whitespace is."""
    every = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)
    assert without_spaces(every) == re.sub(r"\s+", "", every)
    assert without_spaces(" 碳中和\u3000目标\n\t达峰\u2028 ") == "碳中和目标达峰"


def _page(index: SearchIndex, text: str) -> list[tuple[str, float, str]]:
    return [(h.id, h.score, h.snippet) for h in index.search(text, dedup=False).hits]


def test_a_long_query_asked_again_reads_no_stored_article_for_its_clause_bonus(copies: Path) -> None:
    """The clauses are compared with each document's texts kept from the first time (main read and
    folded the hundred first documents again for every query), and the page's hits are kept too (a
    page asked again read each of its articles again); the page is the same."""
    with SearchIndex.open(copies) as index:
        first = _page(index, SHIPPING)
        with index._searcher() as searcher:
            reads: list[int] = []
            stored_fields = searcher.stored_fields
            searcher.stored_fields = lambda docnum: reads.append(docnum) or stored_fields(docnum)
            try:
                again = _page(index, SHIPPING)
                page_reads = len(reads)
                reads.clear()
                index.search(SHIPPING, dedup=False, limit=1)
            finally:
                del searcher.stored_fields
        assert again == first
        assert page_reads == 0  # neither the clause bonus nor the page's hits read anything
        assert reads == []



def test_the_kept_clause_texts_are_those_of_the_generation_searched(tmp_path: Path) -> None:
    """A new generation numbers its documents anew: texts kept for the old one are never compared
    with the new one's documents (the page after the rebuild is that of a freshly opened index)."""
    location = tmp_path / "index"
    _written(location, COPIES)
    moved = [replace(COPIES[1], text="记者走访沿海码头。" + SHIPPING + "。"),
             replace(COPIES[0], text=COPIES[0].text.replace(SHIPPING, "航运公司的报告"))] + COPIES[2:]
    with SearchIndex.open(location) as index:
        before = _page(index, SHIPPING)
        assert before[0][0] == "source"
        _written(location, moved)  # a rebuild: "partial" now has the whole passage, "source" none of it
        assert index.refresh()
        after = _page(index, SHIPPING)
    with SearchIndex.open(location) as fresh:
        assert after == _page(fresh, SHIPPING)
    assert after[0][0] == "partial" and after != before


def test_a_page_asked_again_finds_its_articles_sentences_once(copies: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snippets of a page asked again read each article's fold and sentences kept from the
    first time (main split every hit's whole text into sentences again for every query)."""
    from zhsearch.search.results import snippets

    calls: list[int] = []
    sentences = snippets._sentences
    monkeypatch.setattr(snippets, "_sentences", lambda text: calls.append(len(text)) or sentences(text))
    with SearchIndex.open(copies) as index:
        first = _page(index, SHIPPING)
        assert len(calls) == len(first)
        calls.clear()
        assert _page(index, "港口 航运 码头") and _page(index, SHIPPING) == first
    assert calls == []


class _Counted(str):
    """A text that counts the strings looked for in it."""

    looked: list[str]

    def __contains__(self, other: object) -> bool:
        self.looked.append(str(other))
        return super().__contains__(str(other))


def test_an_exact_clause_is_not_looked_for_where_its_folded_clause_is_missing() -> None:
    """The fold goes character by character: a text holding a clause as written holds it folded,
    so where the folded clause is missing the written one is not looked for (main looked for every
    written clause in every article); the bonus is that of looking for each."""
    passage = "港口集裝箱吞吐量連續回升，航運公司恢復班輪航線，船東預計旺季運力依然緊張"
    long = LongQueryBuilder(AnalyzerConfig()).build(
        passage, Counts({"港口": 3, "航运": 3, "回升": 3, "船东": 3}, 1000), LongQueryOptions(exact_boost=0.5))
    assert long is not None and len(long.exact) == 3
    for text in ["港口集裝箱吞吐量連續回升，其他", "港口集装箱吞吐量连续回升，航運公司恢復班輪航線", "无关的文字", passage]:
        raw, body = without_spaces(text), without_spaces(fold(text))
        counted = _Counted(raw)
        counted.looked = []
        bonus = long.clause_bonus_of(counted, body, simplify=True, best=2.0)
        reference = replace(long, exact_simplify=None)  # looks for every written clause
        assert bonus == reference.clause_bonus_of(raw, body, simplify=True, best=2.0)
        assert bonus == long.clause_bonus("", text, simplify=True, best=2.0)
        folded = {e: without_spaces(fold(e)) for e, _ in long.exact}
        assert set(counted.looked) == {e for e, f in folded.items() if f in body}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="碳中和目标达峰国际经济", max_size=6), min_size=1, max_size=70, unique=True), st.data())
def test_many_clauses_are_found_in_one_pass_as_one_by_one(clauses: list[str], data: st.DataObject) -> None:
    """Looked for one by one or, when there are many, all in one Aho–Corasick pass over the body
    (clauses inside others, overlapping, repeated, missing, empty), the clauses found and so the
    bonus (the same additions in the same order) are the same."""
    body = "".join(data.draw(st.lists(st.sampled_from(clauses + list("碳中和目标达峰，")), max_size=80)))
    long = LongQuery(wq.NullQuery, (), (), (), 0, tuple((c, 1.0 / (i + 3)) for i, c in enumerate(clauses)),
                     complete=0.7, verbatim=0.3, folded=body[:12])
    bonuses = []
    for many in (0, 10**9):
        with mock.patch.object(longquery, "MANY_CLAUSES", many):
            assert long._clause_hits(body) == [c in body for c in clauses]
            bonuses.append(long.clause_bonus_of(body, body, simplify=True, best=1.7))
    assert bonuses[0] == bonuses[1]
