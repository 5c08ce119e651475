"""Discovering the words an archive knows that the dictionary lacks (search.text.discover)."""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zhsearch.search.text import discover
from zhsearch.search.text.discover import (
    Discovery,
    NewWord,
    Thresholds,
    dictionary_words,
    find_new_words,
    discover_words,
    plausible,
    read_discovery,
)

# A made-up dictionary of two-character words (the synthetic texts are sentences of them).
VOCABULARY = (
    "人 山 水 火 书 车 马 鱼 "  # words of one character: the pairs of two that meet are frequent by chance
    "经济 发展 政府 会议 城市 学校 工人 市场 银行 价格 公司 技术 农民 医院 北京 上海 记者 报道 "
    "地区 国家 今年 去年 项目 投资 居民 交通 教育 文化 科学 网络 消费 能源 环境 企业 产品 服务 "
    "社会 工作 研究 合作 增长 建设 改革 管理 安全 生活 历史 体育 电影 音乐 天气 河流 森林 海洋"
).split()
KNOWN = frozenset(VOCABULARY)
INVENTED = "甄琊蕤"  # three characters no vocabulary word uses, recurring as one word


def known(word: str) -> bool:
    return word in KNOWN


WEIGHTS = [1 / rank for rank in range(1, len(VOCABULARY) + 1)]  # Zipf: a few words are very frequent


def pick(rng: random.Random, words: int) -> list[str]:
    return rng.choices(VOCABULARY, WEIGHTS, k=words)


def sentence(rng: random.Random, words: int) -> str:
    return "".join(pick(rng, words))


def archive(rng: random.Random, documents: int = 40, invented_per_document: int = 1) -> list[str]:
    """Documents of random sentences, the invented word dropped between random words in each."""
    return ["。".join("".join(words) for words in sentences) + "。"
            for sentences in archive_words(rng, documents, invented_per_document)]


def archive_words(rng: random.Random, documents: int, invented_per_document: int) -> list[list[list[str]]]:
    """The words of each sentence of each document of :func:`archive`."""
    archive = []
    for _ in range(documents):
        sentences = [pick(rng, rng.randint(4, 9)) for _ in range(30)]
        for _ in range(invented_per_document):
            words = rng.choice(sentences)
            words.insert(rng.randint(0, len(words)), INVENTED)
        archive.append(sentences)
    return archive


def test_a_word_recurring_in_varied_contexts_is_discovered() -> None:
    words = discover_words(archive(random.Random(1)), known)
    found = {w.word: w for w in words}
    assert INVENTED in found
    invented = found[INVENTED]
    assert invented.count == 40
    assert invented.documents == 40
    assert invented.left_entropy > 2 and invented.right_entropy > 2
    # Its pieces always have the same neighbour on one side: not words.
    assert "甄琊" not in found and "琊蕤" not in found


def test_a_frequent_pair_across_word_boundaries_is_not_a_word() -> None:
    documents = archive_words(random.Random(2), 40, 1)
    texts = ["。".join("".join(words) for words in sentences) for sentences in documents]
    across: Counter[str] = Counter()  # the last character of a word and the first of the next
    for sentences in documents:
        for words in sentences:
            across.update(a[-1] + b[0] for a, b in zip(words, words[1:]) if len(a) == len(b) == 1)
    pair, count = across.most_common(1)[0]
    assert count >= Thresholds().min_count * 3  # frequent enough to be a candidate, in varied company
    assert pair in {w.word for w in discover_words(texts, known, thresholds=Thresholds(min_cohesion=0))}
    found = {w.word for w in discover_words(texts, known)}
    assert pair not in found  # its characters meet no more often than chance
    assert found == {INVENTED}  # nothing else of random text is a word


def test_a_phrase_of_known_words_is_not_a_new_word() -> None:
    rng = random.Random(3)
    texts = [f"{sentence(rng, 5)}经济改革{sentence(rng, 5)}。{sentence(rng, 6)}经济改革{sentence(rng, 3)}" for _ in range(60)]
    found = {w.word for w in discover_words(texts, known)}
    assert "经济改革" not in found  # 经济 + 改革, however cohesive
    assert not found & KNOWN  # the dictionary's own words are never reported


def test_a_word_of_one_document_is_not_the_archives() -> None:
    rng = random.Random(4)
    texts = archive(rng, documents=30, invented_per_document=0)
    texts[0] += "".join(f"{INVENTED}{sentence(rng, 2)}。" for _ in range(40))
    assert INVENTED not in {w.word for w in discover_words(texts, known)}
    assert INVENTED in {w.word for w in discover_words(texts, known, thresholds=Thresholds(min_documents=1))}


def test_thresholds_decide() -> None:
    texts = archive(random.Random(5), documents=6, invented_per_document=1)  # 6 occurrences
    assert INVENTED not in {w.word for w in discover_words(texts, known)}
    assert INVENTED in {w.word for w in discover_words(texts, known, thresholds=Thresholds(min_count=5, min_entropy=0.5))}


def test_only_ideographs_make_words() -> None:
    rng = random.Random(6)
    texts = [f"{sentence(rng, 4)} COVID19 {sentence(rng, 3)}，２０２０ ab12 {sentence(rng, 4)}。" for _ in range(50)]
    found = discover_words(texts, known)
    assert all(all("\u4e00" <= c <= "\u9fff" for c in w.word) for w in found)
    assert discover_words([], known) == []
    assert discover_words(["", "abc 123", "。，"], known) == []


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("碳中和", True),  # 和 is not a particle at the edge: 中和, 共和
        ("的研究", False),
        ("研究了", False),
        ("在北京", False),
        ("二十三", False),
        ("十一月", False),
        ("三十日", False),
        ("国安法", True),
        ("新冠", True),
    ],
)
def test_plausible_words(word: str, expected: bool) -> None:
    assert plausible(word) is expected


def test_discovery_round_trip_and_damage(tmp_path: Path) -> None:
    found = find_new_words(archive(random.Random(7)), known)
    assert found.documents == 40
    assert found.characters > 40 * 30 * 8
    assert [w.word for w in found.words] == [INVENTED]
    (tmp_path / "new_words.json").write_text(found.to_json(), encoding="utf-8")
    again = read_discovery(tmp_path)
    assert again is not None
    assert again.words == tuple(
        NewWord(w.word, w.count, w.documents, round(w.cohesion, 2), round(w.left_entropy, 2), round(w.right_entropy, 2))
        for w in found.words
    )
    assert again.thresholds == found.thresholds
    (tmp_path / "new_words.json").write_text('{"format": 99}', encoding="utf-8")
    assert read_discovery(tmp_path) is None
    (tmp_path / "new_words.json").write_text("not json", encoding="utf-8")
    assert read_discovery(tmp_path) is None
    assert read_discovery(tmp_path / "missing") is None


def test_the_merged_list_names_each_words_source() -> None:
    discovery = Discovery((NewWord("碳中和", 20, 9, 5.0, 2.0, 2.0),), documents=10, characters=100, seconds=0.1)
    listed = dictionary_words(["区块链", "碳中和"], ["碳中和", "碳达峰"], discovery)
    assert [w.to_dict() for w in listed] == [
        {"word": "区块链", "source": "user", "documents": None},
        {"word": "碳中和", "source": "user", "documents": None},  # the user's own entry wins
        {"word": "碳达峰", "source": "discovered", "documents": None},  # no evidence saved for it
    ]
    assert json.loads(json.dumps([w.to_dict() for w in listed]))[2]["source"] == "discovered"


# -- through the build, the stored analyzer, stats and completions ------------------------------

# Words of jieba's dictionary for the sentences of the articles below (none of them starts with 碳).
SENTENCE_WORDS = "政府 企业 城市 今年 目标 计划 工厂 能源 电力 市场 投资 专家 银行 地方 居民 交通 学校 国际".split()
NEW = "碳中和"  # jieba cuts it 碳中/和 (or 碳/中和): not in its dictionary


def write_articles(folder: Path, rng: random.Random, count: int = 12) -> None:
    """Articles we wrote: sentences of dictionary words, 碳中和 in each, in varied company."""
    for n in range(count):
        sentences = []
        for _ in range(40):
            words = rng.choices(SENTENCE_WORDS, k=rng.randint(3, 6))
            sentences.append("".join(words))
        for _ in range(1):
            i = rng.randrange(len(sentences))
            words = [sentences[i][j : j + 2] for j in range(0, len(sentences[i]), 2)]
            words.insert(rng.randint(0, len(words)), NEW)
            sentences[i] = "".join(words)
        body = "。".join(sentences) + "。"
        (folder / f"article-{n:02d}.md").write_text(
            f"---\ntitle: 第{n}号通报\ndate: 2021-03-{n + 1:02d}\n---\n\n{body}\n", encoding="utf-8"
        )


def text_words(location: Path) -> set[str]:
    """The words of the index's text field (the ranking field)."""
    from whoosh import index as whoosh_index

    from zhsearch.search.embedded.store import current_generation

    ix = whoosh_index.open_dir(str(current_generation(location)))
    try:
        with ix.reader() as reader:
            return {w.decode("utf-8") for w in reader.lexicon("text")}
    finally:
        ix.close()


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("new-words-archive")
    write_articles(folder, random.Random(11))
    return folder


@pytest.fixture(scope="module")
def discovered_index(archive_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from zhsearch.cli import cli

    location = tmp_path_factory.mktemp("new-words") / "index"
    result = CliRunner(env={"ZHSEARCH_INDEX": None}).invoke(cli, ["index", str(archive_dir), "--index", str(location)])
    assert result.exit_code == 0, result.output
    assert re.search(r"^  new words: \d+ found in the archive that jieba's dictionary lacks", result.stdout, re.M)
    return location


def test_the_index_records_its_discovered_words(discovered_index: Path) -> None:
    from zhsearch.search import SearchIndex
    from zhsearch.search.text.analysis import WordTokenizer, is_dictionary_word

    assert NEW not in text_words(discovered_index)
    with SearchIndex.open(discovered_index) as index:
        config = index.config
        assert NEW in config.new_words
        assert not config.rank_new_words
        assert is_dictionary_word(NEW, config)
        assert not is_dictionary_word("碳中", config)
        # Off by default for ranking: the word fields are cut as jieba cuts, without the new words.
        assert NEW not in [t.text for t in WordTokenizer(config)(f"今年{NEW}目标")]
        assert [w.word for w in index.dictionary_words()] == list(config.new_words)


def test_completions_offer_the_whole_discovered_word(discovered_index: Path, archive_dir: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from zhsearch.search import SearchIndex
    from zhsearch.search.queries.complete import Completer
    from zhsearch.cli import cli

    with SearchIndex.open(discovered_index) as index:
        offered = [c.text for c in Completer(index).complete("碳") if c.kind == "word"]
    assert offered[0] == NEW
    assert "碳中" not in offered
    plain = tmp_path / "plain"
    result = CliRunner(env={"ZHSEARCH_INDEX": None}).invoke(
        cli, ["index", str(archive_dir), "--index", str(plain), "--no-new-words"]
    )
    assert result.exit_code == 0, result.output
    with SearchIndex.open(plain) as index:
        assert index.config.new_words == ()
        assert NEW not in [c.text for c in Completer(index).complete("碳")]


def test_stats_words_lists_user_and_discovered_words(archive_dir: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from zhsearch.cli import cli

    runner = CliRunner(env={"ZHSEARCH_INDEX": None})
    location = tmp_path / "index"
    user_dict = tmp_path / "user.txt"
    user_dict.write_text("区块链 10 n\n元宇宙\n", encoding="utf-8")
    result = runner.invoke(cli, ["index", str(archive_dir), "--index", str(location), "--user-dict", str(user_dict)])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(cli, ["stats", "--words", "--index", str(location)])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[:2] == ["区块链\tuser", "元宇宙\tuser"]
    assert f"{NEW}\tdiscovered\t12 documents" in lines[2:]
    data = json.loads(runner.invoke(cli, ["stats", "--words", "--json", "--index", str(location)]).stdout)
    assert {"word": NEW, "source": "discovered", "documents": 12} in data
    assert data[0] == {"word": "区块链", "source": "user", "documents": None}
    stats = runner.invoke(cli, ["stats", "--index", str(location)]).stdout
    assert f"2 user words, {len(data) - 2} discovered words (stats --words lists them)" in stats


def test_no_new_words_and_rank_new_words_together_is_an_error(archive_dir: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from zhsearch.cli import cli

    result = CliRunner(env={"ZHSEARCH_INDEX": None}).invoke(
        cli, ["index", str(archive_dir), "--index", str(tmp_path / "x"), "--no-new-words", "--rank-new-words"]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --rank-new-words needs the new words that --no-new-words turns off\nHint: give one of the two\n"
    )
    assert not (tmp_path / "x").exists()


def test_rank_new_words_cuts_the_word_fields_with_them_at_index_and_query_time(archive_dir: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from zhsearch.search import SearchIndex
    from zhsearch.search.text.analysis import WordTokenizer
    from zhsearch.cli import cli

    location = tmp_path / "ranked"
    result = CliRunner(env={"ZHSEARCH_INDEX": None}).invoke(
        cli, ["index", str(archive_dir), "--index", str(location), "--rank-new-words"]
    )
    assert result.exit_code == 0, result.output
    with SearchIndex.open(location) as index:
        assert index.config.rank_new_words and NEW in index.config.new_words
        assert NEW in [t.text for t in WordTokenizer(index.config)(f"今年{NEW}目标")]
        assert len(index.search(NEW, limit=20).hits) == 12
    assert NEW in text_words(location)


def test_an_update_keeps_the_discovered_words_and_says_so(archive_dir: Path, tmp_path: Path) -> None:
    import shutil

    from click.testing import CliRunner

    from zhsearch.search import SearchIndex
    from zhsearch.search.queries.complete import Completer
    from zhsearch.cli import cli

    folder = tmp_path / "archive"
    shutil.copytree(archive_dir, folder)
    runner = CliRunner(env={"ZHSEARCH_INDEX": None})
    location = tmp_path / "index"
    assert runner.invoke(cli, ["index", str(folder), "--index", str(location)]).exit_code == 0
    with SearchIndex.open(location) as index:
        before = index.config.new_words
    (folder / "later.md").write_text("---\ntitle: 后来的通报\n---\n\n氢能源汽车今年上市。\n", encoding="utf-8")
    result = runner.invoke(cli, ["update", "--index", str(location)])
    assert result.exit_code == 0, result.output
    assert (
        f"  new words: kept the {len(before)} found by the last full build "
        "(an update does not look for new ones: zhsearch index does)"
    ) in result.stdout.splitlines()
    with SearchIndex.open(location) as index:
        assert len(index) == 13
        assert index.config.new_words == before
        assert [c.text for c in Completer(index).complete("碳")][0] == NEW
        assert {w.word: w.documents for w in index.dictionary_words()}[NEW] == 12


@pytest.mark.corpus
def test_the_real_archives_know_carbon_neutrality_and_peaking(shared_corpus: Path, tmp_path: Path) -> None:
    """碳中和 and 碳达峰 come out of ../shared/corpus (its financial archives and samples: the full
    23k-article run is ``bench/new_words.py``, see BENCHMARKS.md)."""
    from zhsearch.indexer import build_index
    from zhsearch.search import SearchIndex
    from zhsearch.search.queries.complete import Completer

    hexo = shared_corpus / "rsshub-hexo"
    if not hexo.is_dir():
        pytest.skip(f"the rsshub-hexo archive is not available at {hexo}")
    location = tmp_path / "index"
    report = build_index([hexo, shared_corpus / "samples"], location)
    assert report.discovery is not None
    found = {w.word: w for w in report.discovery.words}
    assert {"碳中和", "碳达峰"} <= set(found)
    assert all(len(w) >= 2 and plausible(w) for w in found)
    with SearchIndex.open(location) as index:
        assert {"碳中和", "碳达峰"} <= set(index.config.new_words)
        offered = [c.text for c in Completer(index).complete("碳") if c.kind == "word"]
    assert {"碳中和", "碳达峰"} <= set(offered)
    assert "碳中" not in offered


def test_a_piece_of_an_offered_dictionary_word_is_not_offered() -> None:
    from zhsearch.search.queries.complete import CompletionTable

    table = CompletionTable([("碳中", 30), ("碳中和", 20), ("碳排放", 5), ("碳排", 3)], [])
    assert [c.text for c in table.complete("碳")] == ["碳中", "碳中和", "碳排放", "碳排"]  # frequency alone
    offered = table.complete("碳", known=lambda word: word == NEW)
    assert [c.text for c in offered] == ["碳中和", "碳排放", "碳排"]  # 碳中 is a piece of 碳中和
    assert [c.documents for c in offered] == [20, 5, 3]


# -- bounded memory (issue 18): the same words from a pass over the text in chunks ------------------------

def test_discovery_memory_does_not_grow_with_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails on a discovery that holds arrays over the whole text (about 45 bytes a character)."""
    import tracemalloc

    monkeypatch.setattr(discover, "CHUNK_CHARS", 20_000)
    monkeypatch.setattr(discover, "MAX_TALLY", 4096)
    texts = archive(random.Random(3), documents=2000, invented_per_document=2)
    characters = sum(map(len, texts))
    assert characters > 500_000
    tracemalloc.start()
    try:
        discover_words(iter(texts), known)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * characters  # a few MB of tables whatever the size: 6 bytes a character here


def test_discovery_leaves_no_file(tmp_path: Path) -> None:
    def texts():  # type: ignore[no-untyped-def]
        yield from archive(random.Random(5), documents=20)
        assert os.listdir(tmp_path) == []  # its temporary files have no name, even while it runs
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        discover_words(texts(), known, directory=tmp_path)
    assert discover_words(archive(random.Random(5), documents=20), known, directory=tmp_path)
    assert os.listdir(tmp_path) == []


IDEOGRAPHS = "甲乙丙丁戊己庚"


def reference_words(texts: list[str], known, t: Thresholds) -> list[tuple[str, int, int, float, float, float]] | None:  # type: ignore[no-untyped-def]
    """The definition counted naively (runs of frequent ideographs, Counters of n-grams); None
    when a value is too close to a threshold for floating point to decide it the same way."""
    ideograph = lambda c: any(low <= ord(c) <= high for low, high in discover._RANGES)  # noqa: E731
    frequency = Counter(c for text in texts for c in text if ideograph(c))
    total = sum(frequency.values())
    runs = [(d, run) for d, text in enumerate(texts)
            for run in re.split("[^" + "".join(c for c in frequency if frequency[c] >= t.min_count) + "]+", text)
            if run] if any(frequency[c] >= t.min_count for c in frequency) else []
    counts: dict[str, int] = Counter()
    documents: dict[str, set[int]] = {}
    left: dict[str, Counter[str]] = {}
    right: dict[str, Counter[str]] = {}
    edges = (f"edge {i}" for i in itertools.count())
    for d, run in runs:
        for n in range(1, t.max_length + 1):
            for i in range(len(run) - n + 1):
                gram = run[i : i + n]
                counts[gram] += 1
                documents.setdefault(gram, set()).add(d)
                left.setdefault(gram, Counter())[run[i - 1] if i else next(edges)] += 1  # each edge a new neighbour
                right.setdefault(gram, Counter())[run[i + n] if i + n < len(run) else next(edges)] += 1

    def entropy(neighbours: Counter[str], n: int) -> float:
        return sum(-(c / n) * math.log(c / n) for c in neighbours.values())

    found: dict[str, NewWord] = {}
    for gram, count in counts.items():
        if len(gram) < 2 or count < t.min_count or len(documents[gram]) < t.min_documents:
            continue
        cohesion = min(math.log(count * total / (counts[gram[:k]] * counts[gram[k:]])) for k in range(1, len(gram)))
        left_entropy, right_entropy = entropy(left[gram], count), entropy(right[gram], count)
        for value, threshold in ((cohesion, t.min_cohesion), (left_entropy, t.min_entropy), (right_entropy, t.min_entropy)):
            if abs(value - threshold) < 1e-9:
                return None
        if cohesion >= t.min_cohesion and min(left_entropy, right_entropy) >= t.min_entropy:
            if plausible(gram) and not known(gram):
                found[gram] = NewWord(gram, count, len(documents[gram]), cohesion, left_entropy, right_entropy)
    kept = [w for w in sorted(found.values(), key=lambda w: len(w.word)) if not discover._compound(w.word, known, found)]
    kept.sort(key=lambda w: (-w.documents, -w.count, w.word))
    return [(w.word, w.count, w.documents, w.cohesion, w.left_entropy, w.right_entropy) for w in kept[: t.max_words]]


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(st.text(alphabet=IDEOGRAPHS + "。a1 ", max_size=80), max_size=14),
    min_count=st.integers(2, 4),
    min_documents=st.integers(1, 3),
    min_cohesion=st.sampled_from([-1.0, 0.5, 1.0]),
    min_entropy=st.sampled_from([0.3, 0.7]),
    chunk=st.sampled_from([1, 9, 64, 1 << 20]),
    tally=st.sampled_from([1, 5, 1 << 19]),
)
def test_discovery_counts_as_the_definition_in_any_chunks(
    texts: list[str], min_count: int, min_documents: int, min_cohesion: float, min_entropy: float, chunk: int, tally: int
) -> None:
    t = Thresholds(min_count=min_count, min_documents=min_documents, min_cohesion=min_cohesion, min_entropy=min_entropy,
                   max_length=4)
    expected = reference_words(texts, lambda w: w == "甲乙", t)
    assume(expected is not None)
    saved = discover.CHUNK_CHARS, discover.MAX_TALLY
    discover.CHUNK_CHARS, discover.MAX_TALLY = chunk, tally
    try:
        words = discover_words(iter(texts), lambda w: w == "甲乙", thresholds=t)
    finally:
        discover.CHUNK_CHARS, discover.MAX_TALLY = saved
    assert expected is not None
    assert [(w.word, w.count, w.documents) for w in words] == [e[:3] for e in expected]
    for w, e in zip(words, expected):
        assert (w.cohesion, w.left_entropy, w.right_entropy) == pytest.approx(e[3:], rel=1e-9, abs=1e-12)
