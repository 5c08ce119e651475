"""Every hit shows why it matched: a ``<mark>`` in its snippet or title for any query with text.

Random queries of every kind people type, drawn from the texts of a small archive written for
this test: quoted substrings (punctuation included), unquoted runs, the other script's spelling,
Latin words, runs whose words are spread over several articles (relaxed), pasted paragraphs
(long-query mode), and text terms combined with filters and exclusions. Only hits matched through
a filter alone are exempt, and no query here is filter-only.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import opencc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhsearch.search.results.document import Document
from zhsearch.search.embedded.engine import SearchIndex

DOCS = [
    Document(
        id="carbon", path="carbon.md", title="碳中和目标：能源转型提速", source="东方晨报",
        date=datetime(2021, 3, 5, tzinfo=timezone.utc),
        text="国务院提出“碳中和”目标，2060年前实现。\n各地推进碳达峰工作（包括煤电），"
        "新能源汽车销量增长三成。业内人士说，转型需要时间。",
    ),
    Document(
        id="hk", path="hk.md", title="香港国安法实施一周年", source="南岸晚报", date=datetime(2021, 6, 30, tzinfo=timezone.utc),
        text="香港国安法实施后，社会秩序恢复。\n\n评论认为，影响深远；也有人表示担忧。"
        "立法会选举将在年底举行，候选人资格审查更严。",
    ),
    Document(
        id="tw", path="tw.md", title="疫苗計畫公布細節", source="北川財經", date=datetime(2021, 5, 12, tzinfo=timezone.utc),
        text="政府公布疫苗計畫的細節，軟體系統將協助預約。民眾可透過網路登記，"
        "第一階段優先施打醫護人員。",
    ),
    Document(
        id="covid", path="covid.md", title="COVID-19 vaccine rollout 全球接种加速",
        source="东方晨报", date=datetime(2021, 2, 1, tzinfo=timezone.utc),
        text="Pfizer 与 BioNTech 的 mRNA 疫苗已在多国获批。WHO 表示，COVID-19 疫苗接种率"
        "仍不均衡，非洲国家接种率不到 5%。AT&T 等公司提供冷链物流支持。",
    ),
    Document(
        id="beirut", path="beirut.md", title="黎巴嫩贝鲁特港口爆炸", source="南岸晚报",
        date=datetime(2020, 8, 5, tzinfo=timezone.utc),
        text="黎巴嫩首都贝鲁特港口发生剧烈爆炸，死亡人数已升至一百三十五人，"
        "数千人受伤。调查人员认为，仓库中存放的硝酸铵是爆炸原因。",
    ),
    Document(
        id="trump", path="trump.md", title="白宫通报", source="北川财经", date=datetime(2020, 10, 2, tzinfo=timezone.utc),
        text="据报道，特朗普新冠检测阳性，已开始隔离。白宫医生表示，总统状况良好，"
        "将继续履行职责。多名助手接受检测。",
    ),
    Document(
        id="port", path="port.md", title="港口吞吐量增长", source="东方晨报", date=datetime(2021, 1, 15, tzinfo=timezone.utc),
        text="今年以来港口吞吐量同比增长百分之八，集装箱航线增加。"
        "分析人士称，物流需求回升，影响扩大到内陆城市。",
    ),
    Document(
        id="rcep", path="rcep.md", title="RCEP协定生效", source="南岸晚报", date=datetime(2022, 1, 1, tzinfo=timezone.utc),
        text="《区域全面经济伙伴关系协定》（RCEP）正式生效，成员包括东盟十国与中国、日本、"
        "韩国、澳大利亚、新西兰。关税减让将分阶段实施。",
    ),
]
TEXTS = [doc.title + "\n" + doc.text for doc in DOCS]
HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&-]*[A-Za-z0-9]")
_TO_OTHER = {"s2t": opencc.OpenCC("s2t"), "t2s": opencc.OpenCC("t2s")}


@pytest.fixture(scope="module")
def index(docs_index: SearchIndex) -> SearchIndex:  # conftest: the index of this module's DOCS
    return docs_index


@st.composite
def substrings(draw: st.DrawFn, low: int = 2, high: int = 12) -> str:
    text = draw(st.sampled_from(TEXTS))
    length = draw(st.integers(low, min(high, len(text))))
    start = draw(st.integers(0, len(text) - length))
    return text[start : start + length]


@st.composite
def han_runs(draw: st.DrawFn) -> str:
    run = draw(st.sampled_from([r for t in TEXTS for r in HAN_RUN.findall(t)]))
    length = draw(st.integers(2, min(8, len(run))))
    start = draw(st.integers(0, len(run) - length))
    return run[start : start + length]


@st.composite
def other_script(draw: st.DrawFn) -> str:
    run = draw(han_runs())
    return _TO_OTHER[draw(st.sampled_from(sorted(_TO_OTHER)))].convert(run)


@st.composite
def spread_runs(draw: st.DrawFn) -> str:
    """Pieces of two or three articles run together: too few hits contain them all (relaxed)."""
    return "".join(draw(st.lists(han_runs(), min_size=2, max_size=3)))


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    return draw(substrings(low=31, high=120)).replace('"', "")


def quoted(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return strategy.map(lambda s: '"' + s.replace('"', "") + '"')


QUERIES = st.one_of(
    quoted(substrings()),
    han_runs(),
    quoted(han_runs()),
    other_script(),
    quoted(other_script()),
    st.sampled_from(sorted({w for t in TEXTS for w in LATIN_WORD.findall(t)})),
    spread_runs(),
    paragraphs(),
    st.tuples(han_runs(), st.sampled_from(sorted({d.source for d in DOCS if d.source}))).map(
        lambda pair: f"{pair[0]} source:{pair[1]}"
    ),
    st.tuples(han_runs(), han_runs()).map(lambda pair: f"{pair[0]} -{pair[1]}"),
    st.tuples(han_runs(), st.sampled_from(["2020", "2021", "2021-06"])).map(
        lambda pair: f"{pair[0]} date:{pair[1]}"
    ),
)


def _has_text(query: str) -> bool:
    return bool(re.search(r"[^\W_]", query))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES)
def test_every_hit_of_a_query_with_text_has_a_mark(index: SearchIndex, query: str) -> None:
    if not _has_text(query):
        return
    page = index.search(query, limit=len(DOCS), dedup=False)
    for hit in page.hits:
        assert "<mark>" in hit.snippet or "<mark>" in hit.title_html, (query, hit.id, hit.snippet)


@pytest.mark.parametrize(
    "query",
    [
        '"碳中和，目标"',  # punctuation in the phrase, a different mark in the text
        '"“碳中和”"',
        '"(碳中和"',
        "疫苗计划",  # the Taiwan spelling in the text
        "软件系统",
        "covid-19",  # Latin, case folded
        "AT&T",
        "贝鲁特爆炸死亡人数是多少",  # a question: particles are not required
        "港口爆炸香港国安法",  # words of two articles: relaxed
    ],
)
def test_the_hard_cases_are_marked(index: SearchIndex, query: str) -> None:
    page = index.search(query, limit=len(DOCS), dedup=False)
    assert page.hits, query
    for hit in page.hits:
        assert "<mark>" in hit.snippet or "<mark>" in hit.title_html, (query, hit.id, hit.snippet)
