"""Words the archive knows that jieba's dictionary lacks, found in the archive's own text.

A new word such as 碳中和 (which jieba cuts 碳中/和) is a run of ideographs that recurs in many
articles (frequency), whose characters occur together far more often than chance (cohesion: the
smallest pointwise mutual information over the ways to split it in two) and which stands in
varied company on both sides (the entropy of the characters just before and just after it: a
piece of a longer word, such as 碳中 of 碳中和, is nearly always followed by the same character).
Every n-gram of 2 to :data:`MAX_LENGTH` ideographs is counted in one pass per length with numpy
(an n-gram is counted only when its first n - 1 characters were frequent, so the counts stay
small), normalized as the analyzer normalizes (so the words are what the tokenizer sees). Kept
are the candidates above every threshold that are not already in jieba's dictionary (or the user
dictionary), that do not start or end as a phrase does (with a particle, an adverb, a measure
word …: :data:`START_EXCLUDED`, :data:`END_EXCLUDED`), that are not numerals or dates, and that
jieba could not already cut into dictionary words of two characters or more (中国政府 is 中国 +
政府, a phrase, not a new word). The thresholds were set on the 23k articles of ../shared/corpus
(see BENCHMARKS.md): 碳中和 and 碳达峰 are found there, with the names and coinages of the news.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAX_LENGTH = 6
MIN_COUNT = 8  # occurrences in the archive
MIN_DOCUMENTS = 3  # articles it occurs in: a name repeated in one article is not the archive's word
MIN_COHESION = 5.0  # natural log of how many times more often than chance (e^5 ≈ 150), at the weakest split
MIN_ENTROPY = 1.5  # nats, of the characters before it and of those after it
MAX_WORDS = 20_000  # kept, most documents first
# Characters a word does not start with: particles, pronouns, adverbs, prepositions, measure words
# and date units, after which a run is a phrase (很容易, 据路透社, 座城市, 月中旬), and the last
# character of organisations' names (市副市长, 委书记).
START_EXCLUDED = frozenset(
    "的了着过是在于与及并或而且也都就还又才再更很最太越较仅刚曾已正将会能可要想该应得让使被把对向从自"
    "为以因如若据由经当至比受约近只连打找站出这那此该每各其另有没不未他她它我你您咱"
    "第个座句届名岁年月日号亿万项艘架枚篇辆例宗起位场次"
    "条款吨件兆级姓上下罚判看请喊兼倒兑"
    "局署州系委司厅省县市军院部队"
)
# Characters a word does not end with: particles, positions and times (情况下, 问题上, 采访时),
# prepositions, numerals and the commonest surnames (a title before a name: 立委陈).
END_EXCLUDED = frozenset(
    "的了着过吗呢吧啊么是在与及或等也都就还又才再更很最被把将对从向为以之其给"
    "下上内外中里时前后来去到逾约几多余第每各该此这那于较近至像你我他她它们"
    "陈张王李林黄刘吴杨赵周徐孙朱胡郭何罗郑梁谢许韩冯邓曹彭曾萧蔡蒋苏吕沈姚卢崔钟谭廖邱薛"
)
NUMERALS = frozenset("〇零一二三四五六七八九十百千万亿两几")
DATE_UNITS = frozenset("年月日号时分秒点")

# Ideographs: the unified block, extension A, the compatibility block and the supplementary planes.
_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))


@dataclass(frozen=True, slots=True)
class NewWord:
    """A discovered word with the evidence for it."""

    word: str
    count: int  # occurrences in the text read
    documents: int  # documents it occurs in
    cohesion: float  # ln of P(word) / (P(left) P(right)) at the weakest split into two
    left_entropy: float  # nats, of the characters just before it (a text's edge counts as a new one)
    right_entropy: float

    def to_json(self) -> list[object]:
        return [self.word, self.count, self.documents, round(self.cohesion, 2),
                round(self.left_entropy, 2), round(self.right_entropy, 2)]

    @classmethod
    def from_json(cls, data: list[Any]) -> NewWord:
        word, count, documents, cohesion, left, right = data
        return cls(str(word), int(count), int(documents), float(cohesion), float(left), float(right))


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What a candidate must reach to be kept (see the module's docstring)."""

    min_count: int = MIN_COUNT
    min_documents: int = MIN_DOCUMENTS
    min_cohesion: float = MIN_COHESION
    min_entropy: float = MIN_ENTROPY
    max_length: int = MAX_LENGTH
    max_words: int = MAX_WORDS


def _ideograph_mask(codes: np.ndarray) -> np.ndarray:
    mask = np.zeros(codes.shape, dtype=bool)
    for low, high in _RANGES:
        mask |= (codes >= low) & (codes <= high)
    return mask


@dataclass
class _Level:
    """The frequent n-grams of one length: where they occur and what is known about each."""

    positions: np.ndarray  # start of each occurrence of a frequent n-gram, ascending
    grams: np.ndarray  # which frequent n-gram occurs there (an index into keys)
    keys: np.ndarray  # ascending: (index of its first n - 1 characters in the level below) * alphabet + its last character
    counts: np.ndarray
    documents: np.ndarray  # the number of documents each occurs in


class _Text:
    """The documents as one array of character ids (0 stands for anything but a frequent ideograph)."""

    def __init__(self, texts: Iterable[str], min_count: int) -> None:
        parts = [np.zeros(1, dtype=np.uint32)]
        lengths = [1]  # the leading boundary, as a document of its own (no n-gram starts there)
        for text in texts:
            codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            parts.append(codes)
            parts.append(np.zeros(1, dtype=np.uint32))  # documents never join
            lengths.append(len(codes) + 1)
        codes = np.concatenate(parts)
        del parts
        codes[~_ideograph_mask(codes)] = 0
        # A character rarer than min_count is in no frequent n-gram: it is a boundary too.
        frequency = np.bincount(codes)
        frequency[0] = 0
        self.alphabet = np.concatenate([[0], np.flatnonzero(frequency >= min_count)]).astype(np.uint32)
        lookup = np.zeros(len(frequency), dtype=np.int32)
        lookup[self.alphabet] = np.arange(len(self.alphabet), dtype=np.int32)
        self.ids = lookup[codes]
        self.size = int(np.count_nonzero(codes))
        del codes, lookup, frequency
        self.documents = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)  # of each position

    def level(self, previous: _Level | None, n: int, min_count: int) -> _Level:
        """The n-grams, of ideographs only, that occur at least ``min_count`` times.

        One stable sort of the occurrences by n-gram gives the counts and, as the occurrences
        of one n-gram stay in text order, the number of documents of each.
        """
        ids = self.ids
        if previous is None:  # single characters
            positions = np.flatnonzero(ids).astype(np.int32)
            keys_all = ids[positions].astype(np.int64)
        else:
            following = ids[previous.positions + (n - 1)]  # the array ends with a boundary: never past it
            valid = following != 0
            positions = previous.positions[valid]
            keys_all = previous.grams[valid].astype(np.int64) * len(self.alphabet) + following[valid]
        order = np.argsort(keys_all, kind="stable").astype(np.int32)  # int32 halves the peak memory
        ordered = keys_all[order]
        del keys_all
        change = np.empty(len(ordered), dtype=bool)  # where a new n-gram starts, in sorted order
        change[:1] = True
        np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
        starts = np.flatnonzero(change)
        keys = ordered[starts]
        del ordered
        counts = np.diff(np.append(starts, len(change)))
        document = self.documents[positions[order]]
        new_document = change.copy()
        new_document[1:] |= document[1:] != document[:-1]
        del document
        gram_of = (np.cumsum(change, dtype=np.int32) - 1)  # in sorted order
        documents = np.bincount(gram_of, weights=new_document, minlength=len(starts)).astype(np.int64)
        del new_document, change
        frequent = counts >= min_count
        renumber = (np.cumsum(frequent) - 1).astype(np.int32)
        inverse = np.empty(len(order), dtype=np.int32)
        inverse[order] = gram_of
        del order, gram_of
        kept = frequent[inverse]
        return _Level(positions[kept], renumber[inverse[kept]], keys[frequent], counts[frequent], documents[frequent])

    def neighbour_entropy(self, level: _Level, grams: np.ndarray, offset: int) -> np.ndarray:
        """The entropy (nats) of the character at ``offset`` from each occurrence of ``grams``
        (indexes into the level, ascending), one per gram.

        A boundary (an edge of a text, punctuation, a letter) is counted as a different
        neighbour each time: it is the strongest sign that a word ends there.
        """
        index = np.full(len(level.keys), -1, dtype=np.int64)
        index[grams] = np.arange(len(grams))
        which = index[level.grams]
        chosen = which >= 0
        which = which[chosen]
        neighbour = self.ids[level.positions[chosen] + offset]  # a boundary before the first and after the last
        boundary = neighbour == 0
        total = level.counts[grams].astype(np.float64)
        # Each boundary occurrence has probability 1/N: it adds (1/N) ln N.
        entropy = np.bincount(which[boundary], minlength=len(grams)) * np.log(total) / total
        pairs = which[~boundary].astype(np.int64) * len(self.alphabet) + neighbour[~boundary]
        pair_keys, pair_counts = np.unique(pairs, return_counts=True)
        gram_of_pair = pair_keys // len(self.alphabet)
        p = pair_counts / total[gram_of_pair]
        entropy += np.bincount(gram_of_pair, weights=-p * np.log(p), minlength=len(grams))
        return entropy


@dataclass
class _Grams:
    """The frequent n-grams of every length up to some n (index 0: single characters)."""

    keys: list[np.ndarray]
    counts: list[np.ndarray]
    alphabet: np.ndarray

    def characters(self, n: int, grams: np.ndarray) -> np.ndarray:
        """The alphabet ids of the characters of some n-grams: one row each."""
        size = len(self.alphabet)
        out = np.zeros((len(grams), n), dtype=np.int64)
        current = grams
        for j in range(n - 1, 0, -1):
            current, out[:, j] = np.divmod(self.keys[j][current], size)
        out[:, 0] = self.keys[0][current]
        return out

    def count(self, characters: np.ndarray) -> np.ndarray:
        """The counts of the n-grams whose characters are the rows (each a frequent n-gram)."""
        gram = np.searchsorted(self.keys[0], characters[:, 0])
        for j in range(1, characters.shape[1]):
            gram = np.searchsorted(self.keys[j], gram * len(self.alphabet) + characters[:, j])
        return self.counts[characters.shape[1] - 1][gram]

    def text(self, characters: np.ndarray) -> list[str]:
        chars = self.alphabet[characters]
        return ["".join(map(chr, row)) for row in chars.tolist()]


def discover_words(
    texts: Iterable[str],
    known: Callable[[str], bool],
    *,
    thresholds: Thresholds = Thresholds(),
) -> list[NewWord]:
    """The new words of ``texts`` (already normalized), most documents first.

    ``known(word)`` says whether the segmenter's dictionary already has a word: those are left
    out, and so are candidates that it could cut whole into known words of two or more characters.
    """
    t = thresholds
    text = _Text(texts, t.min_count)
    if text.size == 0:
        return []
    level = text.level(None, 1, t.min_count)
    grams = _Grams([level.keys], [level.counts], text.alphabet)
    total = float(text.size)
    found: dict[str, NewWord] = {}
    for n in range(2, t.max_length + 1):
        level = text.level(level, n, t.min_count)
        grams.keys.append(level.keys)
        grams.counts.append(level.counts)
        if len(level.keys) == 0:
            break
        # The cheap tests first (documents, then cohesion), the entropies for the few left.
        passing = np.flatnonzero(level.documents >= t.min_documents)
        characters = grams.characters(n, passing)
        count = level.counts[passing]
        cohesion = np.full(len(passing), np.inf)
        for k in range(1, n):  # the weakest split into characters[:k] + characters[k:]
            chance = grams.count(characters[:, :k]).astype(np.float64) * grams.count(characters[:, k:])
            cohesion = np.minimum(cohesion, np.log(count * total / chance))
        cohesive = np.flatnonzero(cohesion >= t.min_cohesion)
        passing, characters, cohesion = passing[cohesive], characters[cohesive], cohesion[cohesive]
        left = text.neighbour_entropy(level, passing, -1)
        right = text.neighbour_entropy(level, passing, n)
        varied = np.flatnonzero((left >= t.min_entropy) & (right >= t.min_entropy))
        for i, word in zip(varied.tolist(), grams.text(characters[varied])):
            if plausible(word) and not known(word):
                g = passing[i]
                found[word] = NewWord(word, int(level.counts[g]), int(level.documents[g]), float(cohesion[i]),
                                      float(left[i]), float(right[i]))
    kept = [w for w in sorted(found.values(), key=lambda w: len(w.word)) if not _compound(w.word, known, found)]
    kept.sort(key=lambda w: (-w.documents, -w.count, w.word))
    return kept[: t.max_words]


def plausible(word: str) -> bool:
    """Whether a candidate can be a word at all: not a phrase by its first or last character
    (see :data:`START_EXCLUDED`, :data:`END_EXCLUDED`) or by a 的 or 了 inside, not a numeral or a date."""
    if word[0] in START_EXCLUDED or word[-1] in END_EXCLUDED or "的" in word or "了" in word:
        return False
    if all(c in NUMERALS or c in DATE_UNITS for c in word):
        return False
    return not (word[-1] in DATE_UNITS and word[-2] in NUMERALS)


def _compound(word: str, known: Callable[[str], bool], found: dict[str, NewWord]) -> bool:
    """Whether ``word`` is a phrase of words: it can be cut into pieces among which two or more
    are known or shorter found words of two characters or more (中国政府, 前总统李登辉 = 前 +
    总统 + 李登辉), the other pieces single characters. 碳中和 (碳 + 中和) has only one."""
    n = len(word)
    most = [0] + [-1] * n  # most[i]: the most words of ≥ 2 characters in a cut of word[:i]
    for end in range(1, n + 1):
        most[end] = most[end - 1]  # the last piece a single character
        for start in range(0, end - 1):
            if end - start < n and most[start] + 1 > most[end]:
                piece = word[start:end]
                if piece in found or known(piece):
                    most[end] = most[start] + 1
    return most[n] >= 2


NEW_WORDS_FILE = "new_words.json"  # the evidence for the discovered words, saved with each generation
FORMAT = 1


@dataclass(frozen=True, slots=True)
class Discovery:
    """What one discovery found and over how much text (saved as :data:`NEW_WORDS_FILE`)."""

    words: tuple[NewWord, ...]
    documents: int  # documents read
    characters: int  # ideographs read
    seconds: float
    thresholds: Thresholds = Thresholds()

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "documents": self.documents,
            "characters": self.characters,
            "seconds": round(self.seconds, 2),
            "thresholds": asdict(self.thresholds),
            "words": [w.to_json() for w in self.words],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Discovery:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        return cls(
            words=tuple(NewWord.from_json(w) for w in data["words"]),
            documents=int(data["documents"]),
            characters=int(data["characters"]),
            seconds=float(data["seconds"]),
            thresholds=Thresholds(**data.get("thresholds", {})),
        )


def read_discovery(directory: Path) -> Discovery | None:
    """The discovery saved in an index generation's ``directory``; None when there is none (or it is damaged)."""
    try:
        return Discovery.from_json((directory / NEW_WORDS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def find_new_words(
    texts: Iterable[str],
    known: Callable[[str], bool],
    *,
    thresholds: Thresholds = Thresholds(),
) -> Discovery:
    """:func:`discover_words` of ``texts``, with how much was read and how long it took."""
    started = time.perf_counter()
    counted = _Counted(texts)
    words = discover_words(counted, known, thresholds=thresholds)
    return Discovery(tuple(words), counted.documents, counted.characters, time.perf_counter() - started, thresholds)


class _Counted:
    """An iterable of texts that counts what went through it."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.texts = texts
        self.documents = 0
        self.characters = 0

    def __iter__(self) -> Iterator[str]:
        for text in self.texts:
            self.documents += 1
            self.characters += len(text)
            yield text


@dataclass(frozen=True, slots=True)
class DictionaryWord:
    """One word the analyzer adds to jieba's dictionary, with where it comes from."""

    word: str
    source: str  # "discovered" or "user"
    documents: int | None  # documents it occurred in when it was discovered (None for a user word)

    def to_dict(self) -> dict[str, Any]:
        return {"word": self.word, "source": self.source, "documents": self.documents}


def dictionary_words(
    user_words: Iterable[str], new_words: Iterable[str], discovery: Discovery | None
) -> list[DictionaryWord]:
    """The merged list: the user's words (in their order), then the discovered ``new_words`` (in
    theirs: most documents first), each with its documents when ``discovery`` has them."""
    documents = {w.word: w.documents for w in discovery.words} if discovery else {}
    listed = [DictionaryWord(word, "user", None) for word in user_words]
    seen = {w.word for w in listed}
    for word in new_words:
        if word not in seen:
            seen.add(word)
            listed.append(DictionaryWord(word, "discovered", documents.get(word)))
    return listed
