"""Unquoted Chinese without spaces: jieba words, each required, contiguity ranked, relaxed when too few."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhsearch.search.text.analysis import AnalyzerConfig
from zhsearch.search.results.document import Document
from zhsearch.search.embedded.engine import SearchIndex
from zhsearch.search.text.normalize import fold, script_variants
from zhsearch.search.queries.query import QUESTION_WORDS, RELAX_BELOW, QueryBuilder
from zhsearch.search.embedded.writer import IndexWriter

EXACT = Document(id="exact", path="exact.md", title="白宫通报", text="据报道，特朗普新冠检测阳性，已开始隔离。")
SCATTERED = Document(
    id="scattered", path="scattered.md", title="疫情通报",
    text="特朗普出席活动。另据消息，多名助手接受新冠检测，其中一人结果阳性。",
)
PARTIAL = Document(id="partial", path="partial.md", title="检测", text="新冠检测点增加，结果多为阴性。")
# 达峰 inside 碳达峰, 目标 far away: a run's words are substrings, not jieba words.
CARBON = Document(id="carbon", path="carbon.md", title="能源", text="各地推进碳达峰工作。会议还提出了新的目标。")
HONGKONG = Document(id="hk", path="hk.md", title="香港国安法实施一周年", text="香港国安法实施后，社会秩序恢复，影响积极。")
HK_OTHER = Document(id="hk2", path="hk2.md", title="香港新闻", text="香港举行活动。国安法相关讨论持续，影响深远。")
FILLER = [
    Document(id=f"f{i}", path=f"f{i}.md", title=f"港口{i}号", text=f"港口吞吐量第{i}次增长，经济影响扩大。")
    for i in range(12)
]
DOCS = [EXACT, SCATTERED, PARTIAL, CARBON, HONGKONG, HK_OTHER, *FILLER]


def opened(location: Path, docs: list[Document]) -> Iterator[SearchIndex]:
    with IndexWriter(location) as writer:
        for doc in docs:
            writer.add(doc)
    index = SearchIndex.open(location)
    yield index
    index.close()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    yield from opened(tmp_path_factory.mktemp("runs") / "index", DOCS)


def ids(index: SearchIndex, query: str) -> list[str]:
    return [h.id for h in index.search(query, limit=100, dedup=False).hits]


def test_a_run_without_spaces_finds_its_words_anywhere(index: SearchIndex) -> None:
    assert index.matching_ids("特朗普新冠检测阳性") == {"exact", "scattered"}  # PARTIAL lacks 特朗普 and 阳性
    # Two hits are too few: relaxed, PARTIAL (2 of the 4 words) follows them.
    assert ids(index, "特朗普新冠检测阳性")[:3] == ["exact", "scattered", "partial"]


def test_the_run_as_typed_ranks_first(index: SearchIndex) -> None:
    assert ids(index, "特朗普新冠检测阳性")[0] == "exact"
    assert ids(index, "香港国安法实施")[0] == "hk"


def test_each_word_keeps_the_substring_guarantee(index: SearchIndex) -> None:
    # 达峰 is found inside 碳达峰, and 目标 in another sentence.
    assert "carbon" in ids(index, "达峰目标")


def test_question_words_and_particles_never_make_a_query_fail(index: SearchIndex) -> None:
    for query in ("香港国安法的影响是什么", "香港国安法有哪些影响吗", "国安法实施了吗"):
        assert "hk" in index.matching_ids(query), query  # strict: no relaxation needed to find it
        page = index.search(query, limit=100, dedup=False, explain=True)
        assert page.hits[0].id == "hk", query
        assert page.explain is not None
        required = page.explain["clauses"][0]["required"] + page.explain["clauses"][0]["dropped"]
        assert not set(required) & QUESTION_WORDS, query


def test_quoted_text_stays_exact(index: SearchIndex) -> None:
    assert ids(index, '"特朗普新冠检测阳性"') == ["exact"]
    assert index.matching_ids('"新冠检测阳性"') == {"exact"}


def test_an_excluded_run_is_exact(index: SearchIndex) -> None:
    # -香港国安法 removes the articles holding the string, not those with 香港 and 国安法 apart.
    assert set(ids(index, "香港 -香港国安法")) == {"hk2"}


def test_latin_terms_are_not_split(index: SearchIndex) -> None:
    parsed = QueryBuilder(AnalyzerConfig()).parse("COVID-19")
    assert all(not c.units for g in parsed.groups for c in g)


def test_too_few_hits_relax_the_least_informative_word_and_say_so(index: SearchIndex) -> None:
    # No article has 南极; 港口 and 经济 are in many: 南极 is dropped first.
    page = index.search("港口经济南极", limit=100, dedup=False)
    assert page.total >= RELAX_BELOW
    assert any("南极" in w and "不再要求" in w for w in page.warnings), page.warnings
    strict = index.matching_ids("港口经济南极")
    assert strict == set()


def test_relaxing_requires_any_fewer_words_not_only_the_rarest(index: SearchIndex) -> None:
    # No article has all of 港口, 经济 and 检测. Dropping the frequent words one by one would end
    # requiring only the rare 检测 (3 articles, none about ports); requiring any 2 of the 3 words
    # keeps the 12 articles with 港口 and 经济.
    page = index.search("港口经济检测", limit=100, dedup=False, explain=True)
    assert {f.id for f in FILLER} <= {h.id for h in page.hits}
    assert any("至少 2 个" in w for w in page.warnings), page.warnings
    assert page.explain is not None and page.explain["clauses"][0]["minimum"] == 2


def test_relaxing_stops_counting_single_characters_before_words(index: SearchIndex) -> None:
    # 阳 (a character jieba leaves alone here) is in two articles, neither about ports: it stops
    # counting before 港口 or 经济 may be missing.
    page = index.search("港口经济阳", limit=100, dedup=False, explain=True)
    assert page.explain is not None
    clause = page.explain["clauses"][0]
    assert (clause["dropped"], clause["required"], clause["minimum"]) == (["阳"], ["港口", "经济"], 2), clause
    assert {h.id for h in page.hits} == {f.id for f in FILLER}


def test_relaxed_hits_with_more_words_rank_first(index: SearchIndex) -> None:
    # Only two articles have 新冠 and 检测 and 阳性; relaxed, they still lead.
    page = index.search("新冠检测阳性疫苗", limit=100, dedup=False)
    assert page.warnings, "疫苗 is in no article: the run must have been relaxed"
    assert {h.id for h in page.hits[:2]} == {"exact", "scattered"}


def test_no_relaxation_when_enough_documents_have_every_word(index: SearchIndex) -> None:
    page = index.search("港口吞吐量增长", limit=100, dedup=False)
    assert page.warnings == () and page.total == len(FILLER)


def test_explain_lists_required_and_dropped_words(index: SearchIndex) -> None:
    page = index.search("港口经济南极", explain=True, dedup=False)
    assert page.explain is not None
    clause = page.explain["clauses"][0]
    assert clause["kind"] == "words" and "南极" in clause["dropped"] and "南极" not in clause["required"]


WORDS = ["特朗普", "新冠", "检测", "阳性", "香港", "国安法", "实施", "港口", "经济", "影响", "的", "了", "吗", "碳", "达峰"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
def test_every_strict_hit_holds_every_required_word(index: SearchIndex, words: list[str]) -> None:
    query = "".join(words)
    parsed = QueryBuilder(AnalyzerConfig()).parse(query)
    runs = parsed.runs()
    found = index.matching_ids(query)
    texts = {d.id: fold(d.title) + "\n" + fold(d.text) for d in DOCS}
    if runs:
        units = runs[0].units
        assert units and not (set(units) <= QUESTION_WORDS and len(units) < len(set(words)))
        expected = {
            i for i, text in texts.items()
            if all(any(v in text for v in script_variants(u)) for u in units)
        }
        assert found == expected, (query, units)
    # Whatever the segmentation, an article holding the query as typed is always found.
    assert {i for i, text in texts.items() if fold(query) in text} <= found


def test_a_run_finds_taiwan_phrase_spellings_like_its_quoted_form(tmp_path: Path) -> None:
    # 計畫 folds to 计画 character by character; the mainland word is 计划. The quoted form
    # always found both; each word of an unquoted run must too (the run's words are folded).
    docs = [
        Document(id="cn", path="cn.md", title="接种", text="国家疫苗计划今年扩大。"),
        Document(id="tw", path="tw.md", title="接種", text="政府公布疫苗計畫的細節。"),
    ]
    location = tmp_path / "index"
    with IndexWriter(location) as writer:
        for doc in docs:
            writer.add(doc)
    with SearchIndex.open(location) as index:
        quoted = index.matching_ids('"疫苗計畫"')
        assert quoted == {"cn", "tw"}
        for query in ("疫苗計畫", "疫苗计画", "计画疫苗"):
            assert index.matching_ids(query) >= quoted, query


# Letters and digits glued to Chinese: one article writes the model apart, one glued, one has
# both parts far apart, and one only the letters.
GLUED = [
    Document(id="apart", path="apart.md", title="新品", text="苹果公司今天发布 iPhone 12，售价上调。"),
    Document(id="glued", path="glued.md", title="新机", text="据悉iPhone12发布会定于十月。"),
    Document(id="scattered", path="scattered.md", title="手机", text="iPhone 销量下滑。12 家门店发布通知。"),
    Document(id="letters", path="letters.md", title="旧机", text="iPhone 发布多年。"),
    Document(id="summit", path="summit.md", title="峰会", text="G-20 峰会闭幕，各国发布声明。"),
]


@pytest.fixture(scope="module")
def glued_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    yield from opened(tmp_path_factory.mktemp("glued") / "index", GLUED)


def test_letters_and_digits_glued_to_chinese_find_the_parts_written_apart(glued_index: SearchIndex) -> None:
    assert glued_index.matching_ids("iPhone12发布") == {"apart", "glued", "scattered"}
    assert glued_index.matching_ids("G20峰会") == {"summit"}


def test_glued_parts_standing_together_rank_above_scattered_ones(glued_index: SearchIndex) -> None:
    ranked = [h.id for h in glued_index.search("iPhone12发布", limit=10, dedup=False).hits]
    assert set(ranked[:2]) == {"apart", "glued"}
    assert ranked[2] == "scattered"


def test_every_hit_of_a_glued_query_is_highlighted(glued_index: SearchIndex) -> None:
    page = glued_index.search("iPhone12发布", limit=10, dedup=False)
    assert page.hits
    for hit in page.hits:
        assert "<mark>" in hit.snippet + hit.title_html, hit.id
