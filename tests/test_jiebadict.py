"""The memory-mapped jieba dictionary cuts exactly as jieba's own loaded dictionary does."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhsearch.search.text.jiebadict import DictionaryCacheError, MappedFreq, cache_path, mapped_tokenizer, write_cache

TEXTS = [
    "中华人民共和国国务院今天召开常务会议，研究部署碳达峰碳中和工作。",
    "iPhone 14 Pro 售价 7999 元起，9月16日正式发售；Apple 称 A16 芯片快了 40%。",
    "臺灣資訊業展望：半導體產值預估成長 10.5%",
    "南京市长江大桥于1968年建成通车。他说：“我们要把改革开放进行到底！”",
    "新冠疫苗第三针加强免疫接种工作有序推进……世卫组织（WHO）表示关注",
    "",
    "   \n\t",
    "abc_def-ghi.jkl+mno#pqr&stu%vwx",
    "𠀀𠀁中文扩展B区字符与emoji😀混排",
]


@pytest.fixture(scope="module")
def jieba_own() -> Any:
    """jieba's tokenizer with its dictionary loaded the usual way (the reference)."""
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    seg = jieba.Tokenizer()
    seg.initialize()
    return seg


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> Any:
    seg = mapped_tokenizer(tmp_path_factory.mktemp("jieba-cache"))
    assert isinstance(seg.FREQ, MappedFreq)  # not the fallback: the mapped file is what is tested
    return seg


def _same_cuts(mapped: Any, reference: Any, text: str) -> None:
    for hmm in (True, False):
        assert list(mapped.cut(text, HMM=hmm)) == list(reference.cut(text, HMM=hmm))


@pytest.mark.parametrize("text", TEXTS)
def test_fixed_texts_cut_alike(mapped: Any, jieba_own: Any, text: str) -> None:
    _same_cuts(mapped, jieba_own, text)


def test_the_mapping_holds_every_word_and_prefix(mapped: Any, jieba_own: Any) -> None:
    assert mapped.total == jieba_own.total
    assert len(mapped.FREQ) == len(jieba_own.FREQ)
    for word in list(jieba_own.FREQ)[::997]:
        assert word in mapped.FREQ
        assert mapped.FREQ[word] == jieba_own.FREQ[word]
    assert mapped.FREQ.get("不是词的字符串组合") is None
    assert "不是词的字符串组合" not in mapped.FREQ
    with pytest.raises(KeyError):
        mapped.FREQ["不是词的字符串组合"]


_PIECES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=12),
    st.sampled_from(["中国", "人民", "银行", "疫苗", "北京大学", "研究生", "长江", "大桥", "市长", "发展"]),
    st.text(alphabet="abcXYZ0123456789._-+#&%", min_size=1, max_size=6),
    st.text(alphabet=" ，。、：；！？“”（）\n\t·—…%", min_size=1, max_size=3),
    st.characters(),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_PIECES, max_size=20).map("".join))
def test_generated_strings_cut_alike(mapped: Any, jieba_own: Any, text: str) -> None:
    _same_cuts(mapped, jieba_own, text)


@pytest.mark.corpus
def test_real_articles_cut_alike(mapped: Any, jieba_own: Any, shared_corpus: Path) -> None:
    files = sorted(shared_corpus.rglob("*.md"))[::50][:200]
    assert files
    for file in files:
        _same_cuts(mapped, jieba_own, file.read_text(encoding="utf-8", errors="replace"))


def test_user_words_added_alike(tmp_path: Path, jieba_own: Any) -> None:
    import jieba

    reference = jieba.Tokenizer()
    reference.initialize()
    seg = mapped_tokenizer(tmp_path)
    text = "碳达峰碳中和与国安法，以及新词蓝鲸计划"
    for s in (reference, seg):
        s.add_word("碳中和", 50000)
        s.add_word("蓝鲸计划")  # a frequency jieba suggests from the dictionary
        s.add_word("国安法", 2000, "n")
    _same_cuts(seg, reference, text)
    assert "蓝鲸" in seg.FREQ and seg.FREQ["蓝鲸计划"] == reference.FREQ["蓝鲸计划"]
    assert seg.total == reference.total


def test_cache_is_written_once_and_reused(tmp_path: Path) -> None:
    first = mapped_tokenizer(tmp_path)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".dict"  # no temporary file left behind
    stamp = files[0].stat().st_mtime_ns
    second = mapped_tokenizer(tmp_path)
    assert files[0].stat().st_mtime_ns == stamp
    assert list(second.cut(TEXTS[0])) == list(first.cut(TEXTS[0]))


@pytest.mark.parametrize("damage", [b"", b"garbage", None])
def test_damaged_cache_is_rebuilt(tmp_path: Path, jieba_own: Any, damage: bytes | None) -> None:
    mapped_tokenizer(tmp_path)
    (cache,) = tmp_path.iterdir()
    data = cache.read_bytes()
    cache.write_bytes(damage if damage is not None else data[: len(data) // 2])  # None: truncated
    with pytest.raises(DictionaryCacheError):
        MappedFreq(cache)
    seg = mapped_tokenizer(tmp_path)
    assert isinstance(seg.FREQ, MappedFreq)
    assert cache.read_bytes() == data
    _same_cuts(seg, jieba_own, TEXTS[1])


def test_unwritable_cache_falls_back_to_loading(tmp_path: Path, jieba_own: Any) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    seg = mapped_tokenizer(blocker / "cache")
    assert isinstance(seg.FREQ, dict)
    _same_cuts(seg, jieba_own, TEXTS[0])


def test_write_cache_leaves_no_partial_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "words.dict"
    import struct

    with pytest.raises(struct.error):
        write_cache({"中国": 5, "中": "zero"}, 5, target)  # type: ignore[dict-item]
    assert list(tmp_path.iterdir()) == []


def test_cache_name_follows_the_dictionary_file(tmp_path: Path) -> None:
    dictionary = tmp_path / "dict.txt"
    dictionary.write_text("中国 10 ns\n", encoding="utf-8")
    before = cache_path(dictionary, tmp_path)
    dictionary.write_text("中国 10 ns\n人民 5 n\n", encoding="utf-8")
    assert cache_path(dictionary, tmp_path) != before


def test_jieba_imported_without_pkg_resources_cuts_alike(tmp_path: Path, jieba_own: Any) -> None:
    import json
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from zhsearch.search.text.jiebadict import mapped_tokenizer\n"
        "mapped_tokenizer(Path(sys.argv[1]))\n"
        "jieba = sys.modules['jieba']\n"
        "own = jieba.Tokenizer()\n"
        "own.initialize()\n"
        "print(json.dumps(['pkg_resources' in sys.modules, list(own.cut(sys.argv[2]))]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path), TEXTS[0]],
                          capture_output=True, text=True, check=True)
    imported, words = json.loads(done.stdout)
    assert imported is False
    assert words == list(jieba_own.cut(TEXTS[0]))


def _with_a_user_word(tmp_path: Path) -> tuple[Any, Any]:
    """jieba's own tokenizer and a mapped one, each told the same user word."""
    import jieba

    reference = jieba.Tokenizer()
    reference.initialize()
    seg = mapped_tokenizer(tmp_path)
    for s in (reference, seg):
        s.add_word("蓝鲸计划", 3000)
    return reference, seg


def test_a_busy_tokenizer_loads_the_dictionary_and_cuts_alike(tmp_path: Path, jieba_own: Any) -> None:
    reference, seg = _with_a_user_word(tmp_path)
    before = [list(seg.cut(text)) for text in TEXTS]
    assert isinstance(seg.FREQ, MappedFreq)
    seg.load_after = seg.FREQ.searches + 50
    fresh = "。".join(chr(0x5000 + i) + chr(0x6000 + i) for i in range(100))  # 100 sentences, new fragments
    assert list(seg.cut(fresh)) == list(reference.cut(fresh))
    assert type(seg.FREQ) is dict
    assert seg.FREQ == reference.FREQ
    assert [list(seg.cut(text)) for text in TEXTS] == before == [list(reference.cut(text)) for text in TEXTS]
    _same_cuts(seg, reference, "蓝鲸计划在南京市长江大桥启动")


def test_a_tokenizer_told_to_load_its_dictionary_holds_jiebas_and_cuts_alike(tmp_path: Path, jieba_own: Any) -> None:
    reference, seg = _with_a_user_word(tmp_path)
    assert isinstance(seg.FREQ, MappedFreq)
    searches = seg.FREQ.searches
    seg.load_dictionary()  # at once, not after load_after binary searches
    assert searches < seg.load_after
    assert type(seg.FREQ) is dict
    assert seg.FREQ == reference.FREQ  # the user word and its prefixes included
    assert seg.total == reference.total
    loaded = seg.FREQ
    seg.load_dictionary()  # loaded already: nothing to do
    assert seg.FREQ is loaded
    for text in [*TEXTS, "蓝鲸计划在南京市长江大桥启动"]:
        _same_cuts(seg, reference, text)
