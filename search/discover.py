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
dictionary), that do not start or end with a particle (的, 了, 在 …), that are not numerals, and
that jieba could not already cut into dictionary words of two characters or more (中国政府 is
中国 + 政府, a phrase, not a new word).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAX_LENGTH = 6
MIN_COUNT = 8  # occurrences in the archive
MIN_DOCUMENTS = 3  # articles it occurs in: a name repeated in one article is not the archive's word
MIN_COHESION = 3.0  # natural log of how many times more often than chance, at the weakest split
MIN_ENTROPY = 1.0  # nats, of the characters before it and of those after it
MAX_WORDS = 20_000  # kept, most documents first
# One-character function words that a word neither starts nor ends with (和 is left out: 碳中和, 共和).
EDGE_PARTICLES = frozenset("的了着过是在于与及并或而且也都就还又才被把将对从向为以之其这那此该每各个们吗呢吧啊")
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
    def from_json(cls, data: list[object]) -> NewWord:
        word, count, documents, cohesion, left, right = data
        return cls(str(word), int(count), int(documents), float(cohesion), float(left), float(right))  # type: ignore[arg-type]


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

    positions: np.ndarray  # start of each occurrence of a frequent n-gram (int64)
    grams: np.ndarray  # which frequent n-gram occurs there (index into keys)
    keys: np.ndarray  # sorted: (id of its first n - 1 characters) * alphabet + id of its last
    counts: np.ndarray


class _Text:
    """The documents as one array of character ids (0 stands for anything but an ideograph)."""

    def __init__(self, texts: Iterable[str]) -> None:
        parts = [np.zeros(1, dtype=np.uint32)]
        lengths = []
        for text in texts:
            codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            parts.append(codes)
            parts.append(np.zeros(1, dtype=np.uint32))  # documents never join
            lengths.append(len(codes) + 1)
        codes = np.concatenate(parts)
        codes[~_ideograph_mask(codes)] = 0
        self.alphabet, ids = np.unique(codes, return_inverse=True)  # alphabet[0] == 0 (a boundary)
        if self.alphabet[0] != 0:  # no boundary at all cannot happen (one is prepended) but stay exact
            raise AssertionError("the boundary must be the smallest code")
        self.ids = ids.astype(np.int64).reshape(-1)
        # Which document each position belongs to (the leading boundary counts with the first).
        self.documents = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths) if lengths else np.zeros(0, np.int64)
        self.documents = np.concatenate([np.zeros(1, np.int64), self.documents])
        self.size = int((self.ids != 0).sum())

    def level(self, previous: _Level | None, n: int, min_count: int) -> _Level:
        """The n-grams, of ideographs only, that occur at least ``min_count`` times."""
        ids = self.ids
        if previous is None:  # single characters
            positions = np.flatnonzero(ids)
            keys_all = ids[positions]
        else:
            last = previous.positions + (n - 1)
            inside = last < len(ids)
            positions, grams = previous.positions[inside], previous.grams[inside]
            following = ids[last[inside]]
            valid = following != 0
            positions = positions[valid]
            keys_all = grams[valid] * len(self.alphabet) + following[valid]
        keys, inverse, counts = np.unique(keys_all, return_inverse=True, return_counts=True)
        frequent = counts >= min_count
        renumber = np.cumsum(frequent) - 1
        kept = frequent[inverse]
        return _Level(positions[kept], renumber[inverse[kept]], keys[frequent], counts[frequent])

    def neighbour_entropy(self, level: _Level, offset: int) -> np.ndarray:
        """The entropy (nats) of the character at ``offset`` from each occurrence, per n-gram.

        A boundary (an edge of a text, punctuation, a letter) is counted as a different
        neighbour each time: it is the strongest sign that a word ends there.
        """
        where = level.positions + offset
        where = np.clip(where, 0, len(self.ids) - 1)
        neighbour = self.ids[where]
        total = level.counts[level.grams].astype(np.float64)
        boundary = neighbour == 0
        entropy = np.zeros(len(level.keys), dtype=np.float64)
        # Each boundary occurrence: probability 1/N, so it adds (1/N) ln N.
        np.add.at(entropy, level.grams[boundary], np.log(total[boundary]) / total[boundary])
        pairs = level.grams[~boundary] * len(self.alphabet) + neighbour[~boundary]
        pair_keys, pair_counts = np.unique(pairs, return_counts=True)
        gram_of_pair = pair_keys // len(self.alphabet)
        p = pair_counts / level.counts[gram_of_pair]
        np.add.at(entropy, gram_of_pair, -p * np.log(p))
        return entropy

    def document_counts(self, level: _Level) -> np.ndarray:
        pairs = np.unique(level.grams * (int(self.documents[-1]) + 1) + self.documents[level.positions])
        return np.bincount(pairs // (int(self.documents[-1]) + 1), minlength=len(level.keys))


def _strings(levels: list[_Level], alphabet: np.ndarray) -> list[list[str]]:
    """The text of every frequent n-gram, per length."""
    size = len(alphabet)
    chars = [chr(int(c)) for c in alphabet]
    texts: list[list[str]] = [[chars[int(k)] for k in levels[0].keys]]
    for level in levels[1:]:
        shorter = texts[-1]
        prefix, last = np.divmod(level.keys, size)
        texts.append([shorter[p] + chars[c] for p, c in zip(prefix.tolist(), last.tolist())])
    return texts


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
    text = _Text(texts)
    if text.size == 0:
        return []
    t = thresholds
    levels = [text.level(None, 1, t.min_count)]
    stats: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    for n in range(2, t.max_length + 1):
        level = text.level(levels[-1], n, t.min_count)
        levels.append(level)
        if len(level.keys) == 0:
            break
        stats[n] = (
            text.document_counts(level),
            text.neighbour_entropy(level, -1),
            text.neighbour_entropy(level, n),
            level.counts,
        )
    strings = _strings(levels, text.alphabet)
    counts = [dict(zip(s, level.counts.tolist())) for s, level in zip(strings, levels)]
    total = float(text.size)
    found: dict[str, NewWord] = {}
    for n, (documents, left, right, gram_counts) in stats.items():
        passing = np.flatnonzero(
            (documents >= t.min_documents) & (left >= t.min_entropy) & (right >= t.min_entropy)
        )
        for i in passing.tolist():
            word = strings[n - 1][i]
            count = int(gram_counts[i])
            cohesion = min(
                math.log(count * total / (counts[k - 1][word[:k]] * counts[n - k - 1][word[k:]]))
                for k in range(1, n)
            )
            if cohesion < t.min_cohesion or not plausible(word) or known(word):
                continue
            found[word] = NewWord(word, count, int(documents[i]), cohesion, float(left[i]), float(right[i]))
    kept = [w for w in sorted(found.values(), key=lambda w: len(w.word)) if not _compound(w.word, known, found)]
    kept.sort(key=lambda w: (-w.documents, -w.count, w.word))
    return kept[: t.max_words]


def plausible(word: str) -> bool:
    """Whether a candidate can be a word at all: no particle at an edge, not a numeral or a date."""
    if word[0] in EDGE_PARTICLES or word[-1] in EDGE_PARTICLES:
        return False
    if all(c in NUMERALS or c in DATE_UNITS for c in word):
        return False
    return not (word[-1] in DATE_UNITS and word[-2] in NUMERALS)


def _compound(word: str, known: Callable[[str], bool], found: dict[str, NewWord]) -> bool:
    """Whether ``word`` is a run of known or shorter found words, each of two characters or more."""
    n = len(word)
    reachable = [True] + [False] * n
    for end in range(2, n + 1):
        for start in range(0, end - 1):
            if reachable[start] and (end - start < n):
                piece = word[start:end]
                if known(piece) or piece in found:
                    reachable[end] = True
                    break
    return reachable[n]


NEW_WORDS_FILE = "new-words.json"  # the evidence for the discovered words, saved with each generation
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
