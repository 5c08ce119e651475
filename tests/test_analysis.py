"""The analyzer contract: ordinal positions, offsets into the original text, pickling, recall."""

from __future__ import annotations

import pickle
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh import query as wq

from zhsearch.search import AnalyzerConfig, Document, IndexWriter, SearchIndex
from zhsearch.search.text.analysis import (
    BOUNDARY,
    CHAR_TOKEN,
    CharTokenizer,
    PairTokenizer,
    WordTokenizer,
    _segmenter,
    char_analyzer,
    jieba_word_spans,
    load_dictionary,
    pair_analyzer,
    pair_term,
    word_analyzer,
)
from zhsearch.search.text.normalize import fold, normalize, script_variants
from zhsearch.search.embedded.schema import build_schema
from zhsearch.search.embedded.store import current_generation

ANALYZERS = [pytest.param(word_analyzer(), id="words"), pytest.param(char_analyzer(), id="chars")]


def tokens(analyzer, text: str) -> list[tuple[str, int, int, int]]:
    """(text, pos, startchar, endchar) of every token; Whoosh reuses one Token object."""
    return [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer(text, positions=True, chars=True)]


# -- the token contract on known text ---------------------------------------------------------


@pytest.mark.parametrize("analyzer", ANALYZERS)
@pytest.mark.parametrize(
    "text",
    [
        "中国力争于2030年前实现碳达峰",
        "臺灣資訊服務業者今天表示",
        "ＡＢＣ１２３公司发布年度财报",
        "苹果iPhone14全系支持5G，受COVID-19影响",
        "零\u200b宽\ufeff字符",
    ],
)
def test_positions_are_ordinal_and_offsets_slice_the_original(analyzer, text: str) -> None:
    found = tokens(analyzer, text)
    assert found, "no tokens at all"
    assert [pos for _, pos, _, _ in found] == list(range(len(found)))
    for token_text, _, start, end in found:
        assert 0 <= start < end <= len(text)
        assert fold(text[start:end]) == token_text


def test_traditional_words_are_simplified_but_point_at_the_traditional_source() -> None:
    text = "臺灣資訊產業"
    found = tokens(word_analyzer(), text)
    assert [t for t, *_ in found] == ["台湾", "资讯", "产业"]
    assert [text[s:e] for _, _, s, e in found] == ["臺灣", "資訊", "產業"]


def test_full_width_run_is_one_token_covering_the_full_width_source() -> None:
    text = "ＡＢＣ１２３公司"
    found = tokens(char_analyzer(), text)
    assert found[0] == ("abc123", 0, 0, 6)
    assert text[found[0][2] : found[0][3]] == "ＡＢＣ１２３"
    assert [t for t, *_ in found[1:]] == ["公", "司"]


def test_offsets_and_positions_start_where_asked() -> None:
    found = [(t.pos, t.startchar) for t in word_analyzer()("北京", positions=True, chars=True, start_pos=5, start_char=100)]
    assert found == [(5, 100)]


def test_punctuation_and_spaces_make_no_tokens() -> None:
    assert tokens(word_analyzer(), "，。！？  ——《》") == []
    assert tokens(char_analyzer(), "，。！？  ——《》") == []


def test_user_words_change_segmentation() -> None:
    text = "他说黑格比很强"
    plain = [t.text for t in word_analyzer()(text)]
    custom = [t.text for t in word_analyzer(AnalyzerConfig(user_words=("黑格比 100 nr",)))(text)]
    assert "黑格比" not in plain
    assert "黑格比" in custom


# -- pickling ---------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [AnalyzerConfig(), AnalyzerConfig(user_words=("碳达峰",), hmm=False)])
@pytest.mark.parametrize("factory", [word_analyzer, char_analyzer])
def test_analyzers_pickle_and_tokenize_the_same_after(factory, config: AnalyzerConfig) -> None:
    analyzer = factory(config)
    clone = pickle.loads(pickle.dumps(analyzer))
    assert clone == analyzer
    assert clone is not analyzer
    text = "臺灣各地制定碳达峰行动方案，iPhone14"
    assert tokens(clone, text) == tokens(analyzer, text)


def test_pickled_analyzer_holds_no_segmenter() -> None:
    analyzer = word_analyzer()
    list(analyzer("触发 jieba 的加载"))
    # The jieba dictionary is megabytes; the pickle must carry configuration only.
    assert len(pickle.dumps(analyzer)) < 2000


def test_schema_pickles() -> None:
    schema = build_schema(AnalyzerConfig(user_words=("碳达峰",)))
    clone = pickle.loads(pickle.dumps(schema))
    assert clone.names() == schema.names()
    assert clone["text"].analyzer == schema["text"].analyzer
    assert clone["text_chars"].analyzer == schema["text_chars"].analyzer
    assert isinstance(clone["title"].analyzer, WordTokenizer)
    assert isinstance(clone["title_chars"].analyzer, CharTokenizer)


# -- create -> reopen -> search ---------------------------------------------------------------

AI_TEXT = "人工智能技术推动产业发展"


def _write(location: Path, docs: list[Document], config: AnalyzerConfig = AnalyzerConfig()) -> None:
    with IndexWriter(location, config=config) as writer:
        for doc in docs:
            writer.add(doc)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    location = tmp_path_factory.mktemp("analysis") / "index"
    _write(
        location,
        [
            Document(id="ai", path="ai.md", title="制造业升级", text=AI_TEXT),
            Document(id="tw", path="tw.md", title="臺灣資訊", text="臺灣資訊服務業者今天表示"),
            Document(id="other", path="other.md", title="发展与技术", text="技术发展需要人工与智能"),
        ],
        AnalyzerConfig(user_words=("资讯服务",)),
    )
    return location


def test_create_reopen_search_round_trip(small_index: Path) -> None:
    with SearchIndex.open(small_index) as first:
        assert {h.id for h in first.search("人工智能").hits} == {"ai"}
    # A second, independent open unpickles the schema (and its analyzers) again.
    with SearchIndex.open(small_index) as again:
        assert {h.id for h in again.search("人工智能").hits} == {"ai"}
        assert {h.id for h in again.search("台湾资讯").hits} == {"tw"}
        assert again.config.user_words == ("资讯服务",)


def test_stored_schema_carries_the_configured_analyzer(small_index: Path) -> None:
    ix = whoosh_index.open_dir(str(current_generation(small_index)))
    try:
        analyzer = ix.schema["text"].analyzer
        assert isinstance(analyzer, WordTokenizer)
        assert analyzer.config.user_words == ("资讯服务",)
    finally:
        ix.close()


def test_phrase_query_on_the_word_field_needs_adjacent_words(small_index: Path) -> None:
    words = [t.text for t in word_analyzer()(AI_TEXT)]
    assert len(words) >= 4
    ix = whoosh_index.open_dir(str(current_generation(small_index)))
    try:
        with ix.searcher() as searcher:
            adjacent = searcher.search(wq.Phrase("text", words[1:3]))
            assert [hit["id"] for hit in adjacent] == ["ai"]
            # Char-offset positions would make adjacent multi-character words look apart.
            first_two = searcher.search(wq.Phrase("text", words[0:2]))
            assert [hit["id"] for hit in first_two] == ["ai"]
            gap = searcher.search(wq.Phrase("text", [words[0], words[2]]))
            assert len(gap) == 0
            backwards = searcher.search(wq.Phrase("text", [words[1], words[0]]))
            assert len(backwards) == 0
    finally:
        ix.close()


# -- properties -------------------------------------------------------------------------------

any_text = st.text(
    alphabet=st.characters(exclude_categories=()),  # surrogates, controls, unassigned: all of it
    max_size=60,
)
emoji_and_cjk = st.text(
    alphabet=st.sampled_from(list("😀👍🏽🇨🇳中文臺灣ＡＢＣ１２３abc 　,.，。\u200b\ufeff\u0301ﬁ㍻") + ["\U00020000"]),
    max_size=40,
)
# Text whose every character folds to exactly one character (no ligatures or ㍻-style squares).
plain_text = st.text(
    alphabet=st.sampled_from(list("中国碳达峰臺灣資訊產業ＡＢＣ１２３abcXYZ059 　,.，。!？-\u200b")),
    max_size=40,
)


def _check_contract(analyzer, text: str, *, exact: bool) -> None:
    previous_pos = -1
    previous_start = 0
    for token_text, pos, start, end in tokens(analyzer, text):
        assert token_text
        assert pos == previous_pos + 1
        previous_pos = pos
        assert previous_start <= start < end <= len(text)
        previous_start = start
        source = fold(text[start:end])
        if exact:
            assert source == token_text
        else:
            # One source character may fold to several (ﬁ -> fi, ㍻ -> 平成): the slice covers it.
            assert token_text in source


@pytest.mark.parametrize("analyzer", ANALYZERS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(any_text, emoji_and_cjk))
def test_analyzer_never_raises_and_offsets_cover_tokens(analyzer, text: str) -> None:
    _check_contract(analyzer, text, exact=False)


@pytest.mark.parametrize("analyzer", ANALYZERS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=plain_text)
def test_offsets_slice_back_to_exactly_the_token(analyzer, text: str) -> None:
    _check_contract(analyzer, text, exact=True)


# A fixed set of generated documents: building an index per example would be far too slow.
_POOL = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严臺灣資訊產業"


def _generated_documents(n: int = 40, seed: int = 20240601) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_POOL) for _ in range(rng.randint(20, 80))) for _ in range(n)]


GENERATED = _generated_documents()


@pytest.fixture(scope="module")
def generated_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    location = tmp_path_factory.mktemp("generated") / "index"
    _write(location, [Document(id=f"g{i}", path=f"g{i}.md", title=f"文{i}", text=t) for i, t in enumerate(GENERATED)])
    opened = SearchIndex.open(location)
    yield opened
    opened.close()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_substring_of_a_document_finds_it(generated_index: SearchIndex, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(GENERATED) - 1), label="document")
    text = GENERATED[i]
    length = data.draw(st.integers(1, 8), label="length")
    start = data.draw(st.integers(0, len(text) - length), label="start")
    needle = text[start : start + length]
    page = generated_index.search(needle, limit=100)
    assert f"g{i}" in {h.id for h in page.hits}, needle
    assert page.total == len(page.hits)


@pytest.mark.parametrize("needle, text", [("乾", "乾隆皇帝南巡"), ("瞭", "我們瞭解情況")])
def test_substring_of_a_context_converted_phrase_finds_it(tmp_path: Path, needle: str, text: str) -> None:
    _write(tmp_path / "index", [Document(id="d", path="d.md", title="标题", text=text)])
    with SearchIndex.open(tmp_path / "index") as opened:
        assert [h.id for h in opened.search(needle).hits] == ["d"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_term_finds_exactly_the_documents_containing_it(generated_index: SearchIndex, data: st.DataObject) -> None:
    # Substrings of the documents, and strings of pool characters that may occur nowhere.
    if data.draw(st.booleans(), label="from a document"):
        text = GENERATED[data.draw(st.integers(0, len(GENERATED) - 1), label="document")]
        length = data.draw(st.integers(1, 6), label="length")
        start = data.draw(st.integers(0, len(text) - length), label="start")
        needle = text[start : start + length]
    else:
        needle = data.draw(st.text(alphabet=_POOL[:60], min_size=2, max_size=4), label="needle")
    variants = script_variants(needle)
    expected = {
        f"g{i}"
        for i, text in enumerate(GENERATED)
        if any(v in fold(text) or v in fold(f"文{i}") for v in variants)
    }
    assert generated_index.matching_ids(f'"{needle}"') == expected, needle
    # Unquoted, a run of several words finds at least every document that holds it as typed.
    assert generated_index.matching_ids(needle) >= expected, needle


@pytest.mark.parametrize(
    "text, pairs",
    [
        ("中国人", ["|中", "中国", "国人", "人|"]),
        ("中國，人民", ["|中", "中国", "国|", "|人", "人民", "民|"]),  # folded; punctuation separates
        ("支持，林", ["|支", "支持", "持|", "|林", "林|"]),  # no pair 持林
        ("于2030年", ["|于", "于 2030", "2030 年", "年|"]),
        ("iPhone 15", ["|iphone", "iphone|", "|15", "15|"]),  # a space separates
        ("中 国", ["|中", "中|", "|国", "国|"]),  # between ideographs too
        ("「碳中和」\n\n目标。", ["|碳", "碳中", "中和", "和|", "|目", "目标", "标|"]),  # any run is one boundary
        ("ジョン・スミス", ["|ジ", "ジョ", "ョン", "ン|", "|ス", "スミ", "ミス", "ス|"]),  # ・ is punctuation
        ("中", ["|中", "中|"]),
        ("，。 ", []),
        ("", []),
    ],
)
def test_pairs_are_the_bigrams_of_the_tokens_with_boundaries(text: str, pairs: list[str]) -> None:
    found = tokens(pair_analyzer(), text)
    assert [t for t, _, _, _ in found] == pairs
    assert [pos for _, pos, _, _ in found] == list(range(len(found)))
    # A pair spans its two tokens in the original text; a boundary pair spans its token.
    chars = tokens(char_analyzer(), text)
    neighbours = {(a[2], b[3]): pair_term(a[0], b[0]) for a, b in zip(chars, chars[1:])}
    for term, _, start, end in found:
        if term.startswith(BOUNDARY) or term.endswith(BOUNDARY):
            assert fold(text[start:end]) == term.strip(BOUNDARY)
        else:
            assert neighbours[start, end] == term


def test_pair_terms_cannot_collide() -> None:
    # "ab" + "c" and "a" + "bc" are different pairs; two ideographs join without a space.
    assert pair_term("ab", "c") != pair_term("a", "bc")
    assert pair_term("中", "国") == "中国"
    # A boundary is never a token, nor part of one: its pairs are distinct from every other pair.
    assert not CHAR_TOKEN.search(BOUNDARY) and not CHAR_TOKEN.search(" ")
    assert pair_term("中", BOUNDARY) != pair_term(BOUNDARY, "中") != pair_term("中", "中")


@settings(max_examples=150, deadline=None)
@given(text=st.one_of(any_text, emoji_and_cjk))
def test_pair_analyzer_never_raises_and_positions_are_ordinal(text: str) -> None:
    found = tokens(pair_analyzer(), text)
    assert [pos for _, pos, _, _ in found] == list(range(len(found)))
    # Each run of tokens without a separator inside has one pair more than it has tokens.
    chars = list(char_analyzer().spans(normalize(text).text))  # offsets in the normalized text
    runs = sum(1 for i, (start, _) in enumerate(chars) if i == 0 or chars[i - 1][1] != start)
    assert len(found) == len(chars) + runs


@pytest.mark.parametrize(
    "query, terms",
    [
        ("持林", ["持林"]),
        ("碳中和，目标", ["碳中", "中和", "和|", "|目", "目标"]),
        ("碳中和 目标", ["碳中", "中和", "和|", "|目", "目标"]),  # see the phrases below for spaces
        ("“碳中和”", ["碳中", "中和"]),  # the query's own ends are not boundaries
        ("(碳中和", ["碳中", "中和"]),
        ("中，国", ["中|", "|国"]),  # single characters separated by punctuation stay exact
        ("COVID-19", ["covid|", "|19"]),
        ("，林", []),  # one token: a term of the character field instead
        ("林", []),
    ],
)
def test_a_phrase_is_the_pairs_between_its_first_and_last_token(query: str, terms: list[str]) -> None:
    assert PairTokenizer().phrase_terms(query) == terms


@pytest.mark.parametrize(
    "query, phrases",
    [
        ("碳中和，目标", [["碳中", "中和", "和|", "|目", "目标"]]),  # punctuation: a separator
        ("美国 总统", [["美国", "国|", "|总", "总统"], ["美国", "国总", "总统"]]),  # a space: one, or none
        ("于 2030", [["于|", "|2030"], ["于 2030"]]),
        ("iPhone 15", [["iphone|", "|15"]]),  # not between Latin words: iphone15 is another word
        ("林", []),
    ],
)
def test_a_quoted_phrase_is_any_of_its_phrases(query: str, phrases: list[list[str]]) -> None:
    assert PairTokenizer().phrases(query) == phrases


def test_up_to_four_spaces_of_a_phrase_may_be_absent() -> None:
    four = PairTokenizer().phrases("一 二 三 四 五")
    assert len(four) == 16 and ["一二", "二三", "三四", "四五"] in four
    assert PairTokenizer().phrases("一 二 三 四 五 六") == [PairTokenizer().phrase_terms("一 二 三 四 五 六")]


def _brute_force_matches(needle: str, text: str) -> bool:
    """Independent of the analyzers: the needle's letter/digit pieces, separators of any kind and
    length between them (or none where the needle has a space next to a Han character: up to four
    such spaces), Latin and digit runs whole."""
    han = "\u3400-\u4dbf\u4e00-\u9fff"
    pieces = list(re.finditer(r"[^\W_]+", fold(needle)))
    if not pieces:
        return False
    gaps = [fold(needle)[a.end() : b.start()] for a, b in zip(pieces, pieces[1:])]
    optional = [gap.isspace() and bool(re.search(f"[{han}]$", a[0]) or re.match(f"[{han}]", b[0]))
                for gap, a, b in zip(gaps, pieces, pieces[1:])]
    if sum(optional) > 4:
        optional = [False] * len(gaps)
    pattern = re.escape(pieces[0][0])
    for piece, maybe in zip(pieces[1:], optional):
        pattern += (r"[\W_]*" if maybe else r"[\W_]+") + re.escape(piece[0])
    latin = f"[^\\W_{han}]"
    if re.match(latin, pieces[0][0]):
        pattern = f"(?<!{latin})" + pattern
    if re.search(latin + "$", pieces[-1][0]):
        pattern += f"(?!{latin})"
    return re.search(pattern, fold(text)) is not None


_PUNCTUATED_POOL = "支持林先碳中ab1"  # few characters: the same strings recur, with and without separators
_SEPARATORS = ["，", "。", " ", "\n", "、", "「", "」", "(", "-", "…"]


@st.composite
def _punctuated_texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.text(alphabet=_PUNCTUATED_POOL, min_size=1, max_size=4), min_size=1, max_size=5))
    gaps = [draw(st.lists(st.sampled_from(_SEPARATORS), max_size=2)) for _ in parts]
    return "".join(part + "".join(gap) for part, gap in zip(parts, gaps))


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_quoted_queries_find_exactly_the_brute_force_matches(tmp_path_factory: pytest.TempPathFactory,
                                                              data: st.DataObject) -> None:
    texts = data.draw(st.lists(_punctuated_texts(), min_size=3, max_size=8), label="texts")
    location = tmp_path_factory.mktemp("punctuated") / "index"
    docs = [Document(id=f"p{i}", path=f"p{i}.md", title="无关", text=text) for i, text in enumerate(texts)]
    _write(location, docs)
    with SearchIndex.open(location) as index:
        for _ in range(8):
            text = data.draw(st.sampled_from(texts), label="source")
            start = data.draw(st.integers(0, len(text) - 1), label="start")
            needle = text[start : start + data.draw(st.integers(1, 8), label="length")]
            # As cut from the text, without its separators, or with other separators.
            separators = data.draw(st.sampled_from(["as cut", "", "；", " ", "  "]), label="separators")
            if separators != "as cut":
                needle = re.sub(r"[\W_]+", separators, needle)
            needle = needle.replace('"', "")
            assume(re.search(r"[^\W_]", needle))
            expected = {d.id for d in docs if _brute_force_matches(needle, d.text)}
            assert index.matching_ids(f'"{needle}"') == expected, needle


# -- the block cache of the word tokenizer: the same spans as jieba's cut of the whole text -----

CACHE_CONFIGS = [
    pytest.param(AnalyzerConfig(), id="hmm"),
    pytest.param(AnalyzerConfig(hmm=False), id="no-hmm"),
    pytest.param(AnalyzerConfig(user_words=("黑格比 100 nr", "碳达峰")), id="user-words"),
]


def _assert_cached_spans_are_jieba_spans(config: AnalyzerConfig, text: str) -> None:
    tokenizer = WordTokenizer(config)
    reference = list(jieba_word_spans(_segmenter(config.hmm, config.user_words), config.hmm, text))
    # Twice: the second pass reads every short block from the cache.
    assert list(tokenizer.spans(text)) == reference
    assert list(tokenizer.spans(text)) == reference


@pytest.mark.parametrize("config", CACHE_CONFIGS)
@pytest.mark.parametrize(
    "text",
    [
        "",
        "中国力争于2030年前实现碳达峰。中国力争于2030年前实现碳达峰！",
        "他说黑格比很强\r\n他说黑格比很强 \t 苹果iPhone14全系支持5G，受COVID-19影响",
        "ひらがなとカタカナ、한국어 텍스트, Ελληνικά και кириллица: éà ß",
        "（中央社记者台北7日电）" * 3 + "结束",
        "长" * 300 + "，" + "没有标点的很长一段中文文字" * 30,  # blocks longer than the cache keeps
        "  \n\n  ",
    ],
)
def test_word_block_cache_gives_jieba_spans_on_known_text(config: AnalyzerConfig, text: str) -> None:
    _assert_cached_spans_are_jieba_spans(config, text)


_BLOCKS = st.sampled_from(
    ["中国", "碳达峰", "臺灣資訊", "北京7日电", "iPhone14", "COVID-19", "黑格比", "，", "。", " ", "\r\n",
     "（", "）", "的", "ひら", "한국", "é", "5G", "a_b", "x.y", "-", "他说很强"]
)


@pytest.mark.parametrize("config", CACHE_CONFIGS)
@settings(max_examples=150, deadline=None)
@given(text=st.one_of(any_text, plain_text, st.lists(_BLOCKS, max_size=30).map("".join)))
def test_word_block_cache_gives_jieba_spans_on_any_text(config: AnalyzerConfig, text: str) -> None:
    _assert_cached_spans_are_jieba_spans(config, normalize(text).text)
    _assert_cached_spans_are_jieba_spans(config, text)


def test_word_block_cache_gives_jieba_spans_on_real_articles(shared_corpus: Path) -> None:
    from zhsearch.indexer.sources import candidates, read_source

    paths = [shared_corpus / "waimei-2020q3", shared_corpus / "rsshub-hexo"]
    sources = [source for source, reason in candidates(paths) if reason is None]
    sample = random.Random(8).sample(sources, 150)
    checked = 0
    for source in sample:
        document = read_source(source).document
        if document is None:
            continue
        for value in (document.title, document.text):
            _assert_cached_spans_are_jieba_spans(AnalyzerConfig(), normalize(value).text)
        checked += 1
    assert checked > 100


def test_load_dictionary_loads_the_segmenter_of_the_config_and_words_stay_the_same() -> None:
    from zhsearch.search.text.jiebadict import MappedFreq

    config = AnalyzerConfig(user_words=("鲸歌计划书 3000",))  # a segmenter of its own (not shared with other tests)
    seg = _segmenter(config.hmm, config.segmenter_words)
    texts = ["鲸歌计划书在南京市长江大桥发布", "中华人民共和国国务院今天召开常务会议。", "iPhone 14 Pro 售价 7999 元"]
    before = [list(jieba_word_spans(seg, hmm, text)) for hmm in (True, False) for text in texts]
    if not isinstance(seg.FREQ, MappedFreq):
        pytest.skip("jieba's dictionary cache could not be mapped here")
    load_dictionary(config)
    assert type(seg.FREQ) is dict and seg.FREQ["鲸歌计划书"] == 3000
    assert [list(jieba_word_spans(seg, hmm, text)) for hmm in (True, False) for text in texts] == before
