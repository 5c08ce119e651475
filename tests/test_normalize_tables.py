"""The fold tables built quickly (blocks skipped, Han characters converted as met) equal the
tables built one character at a time."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from zhsearch.search.text import normalize as n


@functools.cache
def _reference_tables() -> tuple[dict[int, str], str]:
    """Every BMP character looked at alone, as the fold is defined."""
    table: dict[int, str] = {}
    special: list[str] = []
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        folded = unicodedata.normalize("NFKC", ch).casefold()
        if ch in n.INVISIBLE or unicodedata.combining(ch) or (folded != ch and len(folded) != 1):
            special.append(ch)
        elif folded != ch:
            table[cp] = folded
    escaped = "".join(re.escape(c) for c in special)
    return table, "[" + escaped + "\ud800-\udfff\U00010000-\U0010ffff]"


def test_fold_tables_equal_the_character_by_character_tables() -> None:
    table, pattern = n._tables()
    expected_table, expected_pattern = _reference_tables()
    assert table == expected_table
    assert pattern.pattern == expected_pattern


def test_simplified_table_is_opencc_on_each_han_character_alone() -> None:
    chars = [chr(cp) for lo, hi in n._HAN_RANGES for cp in range(lo, hi)]
    converted = n._opencc("t2s").convert("\n".join(chars)).split("\n")
    assert len(converted) == len(chars)
    expected = "".join(b if len(b) == 1 else a for a, b in zip(chars, converted))
    assert n._to_simplified("".join(chars)) == expected


def test_simplified_table_leaves_other_characters_alone() -> None:
    text = "abc ＡＢＣ 123 ， 。\n\U0001f600 ﬁ"
    assert n._to_simplified(text) == text
    assert n._to_simplified("測試臺灣軟體") == "测试台湾软体"


@functools.cache
def _reference_simplified() -> dict[int, str]:
    chars = [chr(cp) for lo, hi in n._HAN_RANGES for cp in range(lo, hi)]
    converted = n._opencc("t2s").convert("\n".join(chars)).split("\n")
    return {ord(a): b for a, b in zip(chars, converted) if a != b and len(b) == 1}


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
       | st.text(alphabet=st.characters(min_codepoint=0x3400, max_codepoint=0x9FFF), max_size=40))
def test_simplified_fold_of_any_text_is_the_whole_table_fold(text: str) -> None:
    assert n._to_simplified(text) == text.translate(_reference_simplified())


# Long texts mixing what folds (traditional Han, full-width forms, capitals, compatibility
# characters) with what does not, none of them special (those take the slow path).
_LONG_TEXT_CHARS = st.one_of(
    st.sampled_from("國際體經濟發與臺灣們這個說為會後來時開關東車馬鳥龍學習醫藥"),
    st.sampled_from("中国经济发展台湾香港新冠碳中和，。、；：「」“”（）《》"),
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),  # full-width ASCII
    st.characters(min_codepoint=0x41, max_codepoint=0x7A),
    st.characters(min_codepoint=0x2000, max_codepoint=0x33FF).filter(  # punctuation, letterlike, CJK compatibility
        lambda c: n._tables()[1].search(c) is None),
    st.characters(min_codepoint=0x3400, max_codepoint=0x9FFF),
    st.sampled_from(" \n\t\u3000"),
)


def _reference_normalize(text: str, simplify: bool) -> tuple[str, tuple[int, ...]]:
    """The fold as defined, one character at a time: the text and each character's source index."""
    table, pattern = _reference_tables()
    special = re.compile(pattern)
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if special.fullmatch(ch):
            if ch in n.INVISIBLE or 0xD800 <= ord(ch) <= 0xDFFF:
                continue
            folded = unicodedata.normalize("NFKC", ch).casefold()
        else:
            folded = table.get(ord(ch), ch)
        if simplify:
            folded = folded.translate(_reference_simplified())
        chars.append(folded)
        offsets.extend([i] * len(folded))
    return "".join(chars), tuple(offsets)


def _offsets(normalized: n.Normalized) -> tuple[int, ...]:
    return tuple(range(len(normalized.source))) if normalized.offsets is None else normalized.offsets


_SPECIAL_CHARS = st.sampled_from("\u200b\u00ad\ufb01\u0301\u2460\u3300\U0001f600\U00020000\u2f00\u00bd")


@given(st.lists(_LONG_TEXT_CHARS, min_size=n._ARRAY_FOLD_FROM, max_size=2 * n._ARRAY_FOLD_FROM).map("".join),
       st.lists(st.tuples(st.integers(min_value=0), _SPECIAL_CHARS), max_size=4), st.booleans())
def test_long_texts_normalize_by_code_point_array_as_folded_one_character_at_a_time(
    text: str, inserted: list[tuple[int, str]], simplify: bool
) -> None:
    """Both paths of a long text, plain (the array alone) and with special characters (long runs by
    array between them), give the fold and the offsets of the character-by-character definition."""
    for at, ch in inserted:
        at %= len(text) + 1
        text = text[:at] + ch + text[at:]
    expected, offsets = _reference_normalize(text, simplify)
    normalized = n.normalize(text, simplify=simplify)
    assert normalized.text == expected
    assert _offsets(normalized) == offsets
    assert normalized.offsets is None or inserted
    assert n.fold(text, simplify=simplify) == expected


@given(st.lists(_LONG_TEXT_CHARS, max_size=n._ARRAY_FOLD_FROM).map("".join),
       st.lists(st.tuples(st.integers(min_value=0), _SPECIAL_CHARS), max_size=3), st.booleans())
def test_short_texts_normalize_as_folded_one_character_at_a_time(
    text: str, inserted: list[tuple[int, str]], simplify: bool
) -> None:
    for at, ch in inserted:
        at %= len(text) + 1
        text = text[:at] + ch + text[at:]
    expected, offsets = _reference_normalize(text, simplify)
    normalized = n.normalize(text, simplify=simplify)
    assert (normalized.text, _offsets(normalized)) == (expected, offsets)
    assert n.fold(text, simplify=simplify) == expected


class _CountingFold:
    def __init__(self, inner: n._ArrayFold) -> None:
        self.inner = inner
        self.folded: list[int] = []

    def fold(self, text: str) -> str:
        self.folded.append(len(text))
        return self.inner.fold(text)


def test_normalize_of_a_long_text_folds_by_the_code_point_array(monkeypatch: Any) -> None:
    """normalize() of a long stored text (what snippets fold) takes fold()'s array, plain or with
    special characters between long runs; a short text does not (str.translate is faster there)."""
    counting = _CountingFold(n._array_fold(True))
    monkeypatch.setattr(n, "_array_fold", lambda simplify: counting)
    plain = "國際經濟與臺灣ＡＢＣ" * 30
    assert n.normalize(plain).text == "国际经济与台湾abc" * 30
    assert counting.folded == [len(plain)]
    with_special = plain + "\u200b" + plain
    normalized = n.normalize(with_special)
    assert normalized.text == "国际经济与台湾abc" * 60
    assert normalized.offsets == (*range(len(plain)), *range(len(plain) + 1, len(with_special)))
    assert counting.folded == [len(plain)] * 3
    assert n.normalize("國際經濟").text == "国际经济"
    assert counting.folded == [len(plain)] * 3


def test_the_array_fold_is_taken_for_long_plain_texts() -> None:
    text = "國際經濟與臺灣ＡＢＣ" * 100
    assert n._tables()[1].search(text) is None
    assert n._array_fold(True).fold(text) == n.normalize(text).text == "国际经济与台湾abc" * 100
