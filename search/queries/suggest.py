"""Other queries to try when one finds little: the other script, a close word, a pinyin reading."""

from __future__ import annotations

import functools
import heapq
import json
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..text.analysis import _CJK
from .complete import word_documents
from ..text.normalize import fold
from ..text.scriptkeys import may_vary

VOCABULARY_SIZE = 30000  # the most frequent title/text words considered
MAX_SUGGESTIONS = 3
_HAN = re.compile(f"[{_CJK}]")
_PINYIN = re.compile(r"[A-Za-z]+(?:[ '][A-Za-z]+)*")


class Vocabulary:
    """The frequent words of one index generation, with lookups by spelling and by pinyin."""

    def __init__(self, frequencies: Iterable[tuple[str, int]]) -> None:
        top = heapq.nlargest(VOCABULARY_SIZE, frequencies, key=lambda wf: wf[1])
        self.frequency: dict[str, int] = dict(top)
        self._by_length: dict[int, tuple[list[str], np.ndarray]] | None = None  # made on first use
        self._pinyin: dict[str, str] | None = None

    @classmethod
    def from_reader(cls, reader: Any) -> Vocabulary:
        """The vocabulary of a Whoosh reader's title and text words, pinyin readings not yet made."""
        return cls(word_documents(reader).items())

    def to_json(self) -> bytes:
        """The vocabulary with its pinyin readings, to save beside its index generation.

        Words are one string, one word a line (read back in a few milliseconds, where a list of
        30,000 strings takes several times longer); pinyin readings name words by position.
        """
        words = list(self.frequency)
        position = {word: i for i, word in enumerate(words)}
        readings = sorted(self.pinyin().items())
        data = {
            "words": words if any("\n" in w for w in words) else "\n".join(words),
            "documents": list(self.frequency.values()),
            "pinyin": "\n".join(key for key, _ in readings),
            "pinyin_words": [position[word] for _, word in readings],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Vocabulary:
        """A vocabulary saved by :meth:`to_json` (ValueError, KeyError or TypeError when it is damaged)."""
        loaded = json.loads(data)
        words, documents = loaded["words"], loaded["documents"]
        words = (words.split("\n") if words else []) if isinstance(words, str) else words
        keys, positions = loaded["pinyin"], loaded["pinyin_words"]
        keys = keys.split("\n") if keys else []
        if len(words) != len(documents) or len(words) > VOCABULARY_SIZE or len(keys) != len(positions):
            raise ValueError("a damaged vocabulary: lists of different lengths")
        if not all(type(w) is str for w in words) or not all(type(n) is int for n in documents):
            raise TypeError("a damaged vocabulary: words must be strings, counts integers")
        if positions and min(positions) < 0:
            raise ValueError("a damaged vocabulary: a pinyin reading names no word")
        vocabulary = cls.__new__(cls)
        vocabulary.frequency = dict(zip(words, documents))
        vocabulary._by_length = None
        vocabulary._pinyin = dict(zip(keys, [words[i] for i in positions]))  # IndexError, TypeError: damaged
        return vocabulary

    def pinyin(self) -> dict[str, str]:
        """Toneless pinyin → the most frequent all-Han word read so (computed on first use: seconds)."""
        if self._pinyin is None:
            self._pinyin = _pinyin_map(self.frequency)
        return self._pinyin

    def close_word(self, word: str) -> str | None:
        """The most frequent vocabulary word one character away from ``word`` (CJK words only)."""
        if len(word) < 2 or not _HAN.search(word):
            return None
        n, typed = len(word), _codes([word])
        same, same_codes = self._words_of_length(n)
        found = [same[i] for i in np.flatnonzero((same_codes != typed).sum(axis=1) == 1)]  # one replaced
        found += [c for c in (word[:i] + word[i + 1:] for i in range(n)) if c in self.frequency and _eligible(c)]
        longer, longer_codes = self._words_of_length(n + 1)
        if longer:
            extra = np.zeros(len(longer), dtype=bool)
            for i in range(n + 1):
                extra |= (np.delete(longer_codes, i, axis=1) == typed).all(axis=1)
            found += [longer[i] for i in np.flatnonzero(extra)]  # one extra
        # A replaced character is likelier than a missing or an extra one.
        return max(found, key=lambda c: (len(c) == len(word), self.frequency[c], c)) if found else None

    def _words_of_length(self, n: int) -> tuple[list[str], np.ndarray]:
        """The words of ``n`` characters that :meth:`close_word` may offer, and their code points."""
        if self._by_length is None:
            groups: dict[int, list[str]] = {}
            for word in self.frequency:
                if _eligible(word):
                    groups.setdefault(len(word), []).append(word)
            self._by_length = {size: (words, _codes(words)) for size, words in groups.items()}
        return self._by_length.get(n) or ([], np.empty((0, n), dtype="<u4"))

    def from_pinyin(self, text: str) -> str | None:
        """The most frequent word whose toneless pinyin is ``text`` (``tanzhonghe`` → 碳中和)."""
        if not _PINYIN.fullmatch(text.strip()):
            return None
        key = re.sub(r"[ ']", "", text.strip().lower())
        if len(key) < 2:
            return None
        return _segment_pinyin(key, self.pinyin())


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


def _eligible(word: str) -> bool:
    """Whether a word can be a close word: two characters or more, one of them Han."""
    return len(word) >= 2 and _HAN.search(word) is not None


def _codes(words: list[str]) -> np.ndarray:
    """The code points of words of one length, a row per word (one array op per comparison)."""
    size = len(words[0]) if words else 0
    return np.frombuffer("".join(words).encode("utf-32-le", "surrogatepass"), dtype="<u4").reshape(len(words), size)



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


def candidates(query: str, parsed: Any, vocabulary: Vocabulary | None, *, simplify: bool) -> list[str]:
    """What a search that found little may suggest, before each is checked to find more: pinyin
    readings and close words of the parsed query's plain terms (from ``vocabulary``, when saved)
    and the query in the other script (in an index that does not fold scripts, or through a
    phrase table: 软件/軟體). ``parsed`` is the query's :class:`search.queries.query.ParsedQuery`."""
    terms = [] if parsed.any_term else [
        c.text for g in parsed.groups for c in g if not c.negated and c.group is None and not c.phrase
    ]
    found = suggestions(query, terms, vocabulary) if vocabulary is not None else []
    # Otherwise the other script finds nothing more, and its converters are not worth loading.
    alternative = other_script(query) if not simplify or may_vary(fold(query)) else None
    if alternative and alternative not in found:
        found.append(alternative)
    return found
