"""Other queries to try when one finds little: the other script, a close word, a pinyin reading."""

from __future__ import annotations

import functools
import heapq
import re
from collections.abc import Iterable
from typing import Any

from .analysis import _CJK

VOCABULARY_SIZE = 30000  # the most frequent title/text words considered
MAX_SUGGESTIONS = 3
_HAN = re.compile(f"[{_CJK}]")
_PINYIN = re.compile(r"[A-Za-z]+(?:[ '][A-Za-z]+)*")


class Vocabulary:
    """The frequent words of one index generation, with lookups by spelling and by pinyin."""

    def __init__(self, frequencies: Iterable[tuple[str, int]]) -> None:
        top = heapq.nlargest(VOCABULARY_SIZE, frequencies, key=lambda wf: wf[1])
        self.frequency: dict[str, int] = dict(top)
        self._deletions: dict[str, list[str]] = {}
        for word in self.frequency:
            if len(word) < 2 or not _HAN.search(word):
                continue
            for key in _deletion_keys(word):
                self._deletions.setdefault(key, []).append(word)
        self._pinyin: dict[str, str] | None = None

    @classmethod
    def from_reader(cls, reader: Any) -> Vocabulary:
        counts: dict[str, int] = {}
        for fieldname in ("title", "text"):
            for term, info in reader.iter_field(fieldname):
                word = term.decode("utf-8") if isinstance(term, bytes) else str(term)
                counts[word] = max(counts.get(word, 0), int(info.doc_frequency()))
        return cls(counts.items())

    def close_word(self, word: str) -> str | None:
        """The most frequent vocabulary word one character away from ``word`` (CJK words only)."""
        if len(word) < 2 or not _HAN.search(word):
            return None
        candidates = {c for key in _deletion_keys(word) for c in self._deletions.get(key, ())}
        candidates.discard(word)
        found = [c for c in candidates if _within_one_edit(word, c)]
        # A replaced character is likelier than a missing or an extra one.
        return max(found, key=lambda c: (len(c) == len(word), self.frequency[c], c)) if found else None

    def from_pinyin(self, text: str) -> str | None:
        """The most frequent word whose toneless pinyin is ``text`` (``tanzhonghe`` → 碳中和)."""
        if not _PINYIN.fullmatch(text.strip()):
            return None
        key = re.sub(r"[ ']", "", text.strip().lower())
        if len(key) < 2:
            return None
        if self._pinyin is None:
            self._pinyin = _pinyin_map(self.frequency)
        return _segment_pinyin(key, self._pinyin)


@functools.cache
def _converter(config: str) -> Any:
    import opencc  # imported lazily: loading its dictionaries costs time

    return opencc.OpenCC(config)


def other_script(query: str) -> str | None:
    """``query`` in simplified characters if it is written in traditional ones, else in traditional."""
    if not _HAN.search(query):
        return None
    for config in ("t2s", "s2twp"):
        try:
            converted = str(_converter(config).convert(query))
        except (UnicodeError, RuntimeError):
            continue
        if converted != query:
            return converted
    return None


def _pinyin_map(frequency: dict[str, int]) -> dict[str, str]:
    from pypinyin import Style, lazy_pinyin  # imported lazily: its dictionaries are large

    best: dict[str, str] = {}
    for word, freq in sorted(frequency.items(), key=lambda wf: (-wf[1], wf[0])):
        if not all(_HAN.match(ch) for ch in word):
            continue
        key = "".join(lazy_pinyin(word, style=Style.NORMAL))
        best.setdefault(key, word)
    return best


def _segment_pinyin(key: str, words: dict[str, str]) -> str | None:
    """``key`` read as the fewest vocabulary words (``tanzhonghe`` → 碳 + 中和), or None."""
    best: list[list[str] | None] = [None] * (len(key) + 1)
    best[0] = []
    for end in range(1, len(key) + 1):
        for start in range(max(0, end - 30), end):
            head = best[start]
            word = words.get(key[start:end])
            if head is not None and word is not None:
                candidate = [*head, word]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    found = best[len(key)]
    # A reading made only of single characters is a guess, not a word.
    if not found or all(len(w) == 1 for w in found) and len(found) > 1:
        return None
    return "".join(found)


def _deletion_keys(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def _within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def suggestions(query: str, terms: list[str], vocabulary: Vocabulary) -> list[str]:
    """Whole queries to try instead of ``query`` (a pinyin reading, close words), none equal to it.

    ``terms`` are the query's plain terms (as typed) that may be misspelt or typed in pinyin.
    """
    out: list[str] = []

    def add(candidate: str) -> None:
        if candidate and candidate != query and candidate not in out:
            out.append(candidate)

    whole = vocabulary.from_pinyin(query)
    if whole is not None:
        add(whole)
    for term in terms:
        replacement = vocabulary.close_word(term) or vocabulary.from_pinyin(term)
        if replacement is not None:
            add(query.replace(term, replacement, 1))
    return out
