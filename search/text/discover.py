"""Words the archive knows that jieba's dictionary lacks, found in the archive's own text.

A new word such as 碳中和 (which jieba cuts 碳中/和) is a run of ideographs that recurs in many
articles (frequency), whose characters occur together far more often than chance (cohesion: the
smallest pointwise mutual information over the ways to split it in two) and which stands in
varied company on both sides (the entropy of the characters just before and just after it: a
piece of a longer word, such as 碳中 of 碳中和, is nearly always followed by the same character).
Every n-gram of 2 to :data:`MAX_LENGTH` ideographs is counted in one pass per length with numpy
(an n-gram is counted only when its first and its last n - 1 characters were frequent, so the
counts stay small), normalized as the analyzer normalizes (so the words are what the tokenizer
sees). The text is read once, into an unnamed temporary file, and each pass reads it back a chunk
of :data:`CHUNK_CHARS` characters at a time, so the memory a discovery takes does not grow with
the archive (the frequent n-grams' tables do, more slowly than the text). Kept
are the candidates above every threshold that are not already in jieba's dictionary (or the user
dictionary), that do not start or end as a phrase does (with a particle, an adverb, a measure
word …: :data:`START_EXCLUDED`, :data:`END_EXCLUDED`), that are not numerals or dates, and that
jieba could not already cut into dictionary words of two characters or more (中国政府 is 中国 +
政府, a phrase, not a new word). The thresholds were set on the 23k articles of ../shared/corpus
(see BENCHMARKS.md): 碳中和 and 碳达峰 are found there, with the names and coinages of the news.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

R = TypeVar("R")

MAX_LENGTH = 6
MIN_COUNT = 8  # occurrences in the archive
MIN_DOCUMENTS = 3  # articles it occurs in: a name repeated in one article is not the archive's word
MIN_COHESION = 5.0  # natural log of how many times more often than chance (e^5 ≈ 150), at the weakest split
MIN_ENTROPY = 1.5  # nats, of the characters before it and of those after it
MAX_WORDS = 20_000  # kept, most documents first
CHUNK_CHARS = 1 << 20  # characters of text a pass over the archive holds at once
MAX_TALLY = 1 << 19  # distinct n-grams summed at once; more are summed in parts, by key
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
    """The frequent n-grams of one length (ascending keys: each one's index is its gram id)."""

    keys: np.ndarray  # (index of its first n - 1 characters in the level below) * alphabet + its last character
    counts: np.ndarray
    documents: np.ndarray  # the number of documents each occurs in


class _Overflow(Exception):
    """A tally grew past its limit: count again in more parts."""


class _Tally:
    """Sums of values by int64 key over many additions, in about the memory of the distinct keys.

    Additions wait in a list until they are as long as the sums so far (so each key is merged a
    logarithmic number of times); ``limit`` distinct keys raise :class:`_Overflow`.
    """

    def __init__(self, columns: int, limit: int | None = None) -> None:
        self.keys = np.empty(0, dtype=np.int64)
        self.values = [np.empty(0, dtype=np.int64) for _ in range(columns)]
        self.limit = limit
        self._pending: list[tuple[np.ndarray, tuple[np.ndarray, ...]]] = []
        self._pending_size = 0

    def add(self, keys: np.ndarray, *values: np.ndarray) -> None:
        self._pending.append((keys, values))
        self._pending_size += len(keys)
        if self._pending_size >= max(len(self.keys), CHUNK_CHARS):
            self._merge()

    def _merge(self) -> None:
        if not self._pending:
            return
        keys = np.concatenate([self.keys] + [k for k, _ in self._pending])
        values = [np.concatenate([self.values[i]] + [v[i] for _, v in self._pending]) for i in range(len(self.values))]
        self._pending, self._pending_size = [], 0
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]])) if len(keys) else np.empty(0, np.int64)
        self.keys = keys[starts]
        self.values = [np.add.reduceat(v[order], starts) if len(starts) else v[:0] for v in values]
        if self.limit is not None and len(self.keys) > self.limit:
            raise _Overflow

    def result(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """The distinct keys, ascending, and the sums of each column for them."""
        self._merge()
        return self.keys, self.values


class _Watch:
    """The candidates of one level whose neighbours are counted (for their entropies) during a
    pass: the distinct neighbours of each chunk are recorded in temporary files and summed in
    parts (by candidate) after the pass, so that they too take bounded memory."""

    def __init__(self, n: int, level: _Level, grams: np.ndarray, alphabet: int, directory: Path | None) -> None:
        self.n = n
        self.grams = grams  # indexes into the level, ascending
        self.total = level.counts[grams].astype(np.float64)
        self.index = np.full(len(level.keys), -1, dtype=np.int64)
        self.index[grams] = np.arange(len(grams))
        self.alphabet = alphabet
        self.boundaries = [np.zeros(len(self.grams), dtype=np.int64) for _ in range(2)]
        self.pairs = [_Records(directory), _Records(directory)]

    def close(self) -> None:
        for records in self.pairs:
            records.close()

    def observe(self, ids: np.ndarray, positions: np.ndarray, grams: np.ndarray) -> None:
        """Count the neighbours of the occurrences (``positions``, ``grams``) of this level's n-grams in ``ids``."""
        which = self.index[grams]
        chosen = which >= 0
        which, positions = which[chosen], positions[chosen]
        for side, offset in enumerate((-1, self.n)):
            neighbour = ids[positions + offset]  # a boundary before the first and after the last
            boundary = neighbour == 0
            self.boundaries[side] += np.bincount(which[boundary], minlength=len(self.grams))
            pairs = which[~boundary] * self.alphabet + neighbour[~boundary]
            keys, counts = np.unique(pairs, return_counts=True)
            self.pairs[side].write(keys, counts.astype(np.int64))

    def entropy(self, side: int) -> np.ndarray:
        """The entropy (nats) of the neighbours on one side (0: before, 1: after) of each candidate.

        A boundary (an edge of a text, punctuation, a letter) is counted as a different
        neighbour each time: it is the strongest sign that a word ends there.
        """
        total = self.total
        # Each boundary occurrence has probability 1/N: it adds (1/N) ln N.
        entropy = self.boundaries[side] * np.log(total) / total

        def terms(pair_keys: np.ndarray, pair_counts: np.ndarray) -> np.ndarray:
            gram_of_pair = pair_keys // self.alphabet
            p = pair_counts / total[gram_of_pair]
            return np.bincount(gram_of_pair, weights=-p * np.log(p), minlength=len(self.grams))

        # Each candidate's neighbours are all in one part (in key order): the same sums as in one.
        summed = np.zeros(len(self.grams))
        # (a part holds at least one candidate's neighbours: at most the alphabet)
        limit = max(MAX_TALLY, self.alphabet)
        for part in _by_parts(self.pairs[side], (0, 1), lambda keys: keys // self.alphabet, terms, limit):
            summed += part
        entropy += summed
        return entropy


def _by_parts(records: _Records, columns: tuple[int, ...], group: Callable[[np.ndarray], np.ndarray],
              reduce: Callable[..., R], limit: int | None = None) -> list[R]:
    """``reduce(keys, sums...)`` of the sums by key (column 0) of the other columns over every
    chunk recorded, in as many parts as keep each under ``limit`` (:data:`MAX_TALLY`) keys (the
    keys of one ``group`` in the same part), one reduction per part."""
    parts = 1
    while True:
        try:
            reduced = []
            for part in range(parts):
                tally = _Tally(len(columns) - 1, limit or MAX_TALLY)
                for chunk in range(len(records)):
                    keys, *values = records.read(chunk, *columns)
                    if parts > 1:
                        mine = group(keys) % parts == part
                        keys, values = keys[mine], [v[mine] for v in values]
                    tally.add(keys, *values)
                keys, sums = tally.result()
                reduced.append(reduce(keys, *sums))
            return reduced
        except _Overflow:
            parts *= 2


class _Text:
    """The documents as character ids (0 stands for anything but a frequent ideograph), kept in an
    unnamed temporary file and read back in chunks of whole documents, so that every pass over
    them holds about :data:`CHUNK_CHARS` characters at once, whatever the size of the archive.

    The file holds code points (0 for whatever is not an ideograph, a run of them as one 0, and a
    0 after each document: documents never join); the ids are looked up from them as they are
    read, once the characters' frequencies are known.
    """

    def __init__(self, texts: Iterable[str], min_count: int, directory: Path | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=directory, prefix="zhsearch-discovery-")
        self._chunks: list[tuple[int, int, int, np.ndarray]] = []  # (offset, length, first document, lengths)
        self._directory = directory
        self._records: _Records | None = None  # what the last pass recorded of each chunk
        self.documents = 0
        self.size = 0  # ideographs read
        frequency = np.zeros(_RANGES[-1][1] + 1, dtype=np.int64)
        try:
            highest = self._read(texts, frequency)
        except BaseException:
            self.close()
            raise
        frequency = frequency[: highest + 1]  # as long as a bincount of the whole text
        frequency[0] = 0
        # A character rarer than min_count is in no frequent n-gram: it is a boundary too.
        self.alphabet = np.concatenate([[0], np.flatnonzero(frequency >= min_count)]).astype(np.uint32)
        self._lookup = np.zeros(len(frequency), dtype=np.int32)
        self._lookup[self.alphabet] = np.arange(len(self.alphabet), dtype=np.int32)
        counts = frequency[self.alphabet]
        present = np.flatnonzero(counts >= max(min_count, 1))
        self.first = _Level(present.astype(np.int64), counts[present], np.zeros(len(present), dtype=np.int64))

    def _read(self, texts: Iterable[str], frequency: np.ndarray) -> int:
        """Write the texts to the file, a chunk at a time, counting their characters; the highest code point."""
        batch: list[str] = []
        chars = highest = 0
        for text in texts:
            batch.append(text)
            chars += len(text) + 1
            if chars >= CHUNK_CHARS:
                highest = max(highest, self._write(batch, frequency))
                batch, chars = [], 0
        if batch:
            highest = max(highest, self._write(batch, frequency))
        return highest

    def _write(self, batch: list[str], frequency: np.ndarray) -> int:
        """Append a batch of texts to the file; the highest code point in them."""
        joined = "\x00".join(batch) + "\x00"
        codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        codes = np.where(_ideograph_mask(codes), codes, np.uint32(0))
        keep = codes != 0
        self.size += int(np.count_nonzero(keep))
        keep[1:] |= keep[:-1].copy()  # a 0 after an ideograph stays; the 0s after it go
        document = np.repeat(np.arange(len(batch), dtype=np.int32), [len(t) + 1 for t in batch])
        lengths = np.bincount(document[keep], minlength=len(batch)).astype(np.int64)
        kept = codes[keep]
        offset = self._file.tell() // 4
        self._file.write(kept.tobytes())
        self._chunks.append((offset, len(kept), self.documents, lengths))
        self.documents += len(batch)
        frequency += np.bincount(kept, minlength=len(frequency))
        return int(kept.max()) if len(kept) else 0

    def close(self) -> None:
        self._file.close()
        if self._records is not None:
            self._records.close()

    def __enter__(self) -> _Text:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _chunk(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The ids of chunk ``i`` (after a leading boundary) and the document of each position."""
        offset, length, first, lengths = self._chunks[i]
        self._file.seek(offset * 4)
        codes = np.frombuffer(self._file.read(length * 4), dtype=np.uint32)
        ids = np.concatenate([np.zeros(1, dtype=np.int32), self._lookup[codes]])
        document = np.repeat(np.arange(first, first + len(lengths), dtype=np.int32), lengths)
        return ids, np.concatenate([np.full(1, first, dtype=np.int32), document])

    def _occurrences(self, i: int, ids: np.ndarray, grams: _Grams) -> tuple[np.ndarray, np.ndarray]:
        """Where a frequent n-gram of the last level counted starts in chunk ``i``, ascending, and
        which (its index in that level): from the records of the last pass (n > 1)."""
        if self._records is None:  # single characters
            positions = np.flatnonzero(ids)
            if len(grams.keys[0]) == len(grams.alphabet) - 1:  # every id is one (min_count >= 1)
                gram = ids[positions].astype(np.int64) - 1
            else:
                gram = _find(grams.keys[0], ids[positions].astype(np.int64))
        else:
            positions, inverse, keys = self._records.read(i, 0, 1, 2)
            gram = _find(grams.keys[-1], keys)[inverse]  # the keys are sorted: a quick search
        found = gram >= 0
        return positions[found].astype(np.int64), gram[found]

    def level(self, grams: _Grams, n: int, min_count: int, watch: _Watch | None = None) -> _Level:
        """The n-grams, of ideographs only, that occur at least ``min_count`` times (the levels
        below n in ``grams``), counting the neighbours for ``watch`` (of level n - 1) on the way.

        One pass over the text: an n-gram is counted where its first n - 1 characters and its
        last n - 1 characters are both frequent (every occurrence of a frequent one is), one
        stable sort per chunk giving the counts and, as the occurrences of one n-gram stay in
        text order, the number of documents of each. Each chunk's occurrences and distinct
        n-grams are recorded in a temporary file, for the next pass (which reads the frequent
        n-grams' occurrences from it) and for the sums over the chunks, done in as many parts
        (by key) as keep each part's distinct n-grams under :data:`MAX_TALLY`.
        """
        size = len(grams.alphabet)
        records = _Records(self._directory)
        try:
            for i in range(len(self._chunks)):
                ids, document = self._chunk(i)
                positions, gram = self._occurrences(i, ids, grams)
                if watch is not None:
                    watch.observe(ids, positions, gram)
                dense = np.full(len(ids), -1, dtype=np.int64)
                dense[positions] = gram
                valid = dense[positions + 1] >= 0  # its last n - 1 characters are a frequent (n - 1)-gram
                del dense
                positions = positions[valid]
                keys = gram[valid] * size + ids[positions + (n - 1)]
                order, ordered = _stable_order(keys)
                change = np.empty(len(ordered), dtype=bool)
                change[:1] = True
                np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
                starts = np.flatnonzero(change)
                docs = document[positions[order]]
                new_document = change.copy()
                new_document[1:] |= docs[1:] != docs[:-1]
                counts = np.diff(np.append(starts, len(change)))
                documents = np.add.reduceat(new_document.astype(np.int64), starts) if len(starts) else counts
                inverse = np.empty(len(order), dtype=np.int32)
                inverse[order] = np.cumsum(change, dtype=np.int32) - 1
                index = np.int32 if len(ids) < 2**31 else np.int64
                records.write(positions.astype(index), inverse, ordered[starts], counts, documents)
        except BaseException:
            records.close()
            raise
        if self._records is not None:
            self._records.close()
        self._records = records

        def frequent(keys: np.ndarray, counts: np.ndarray, documents: np.ndarray) -> tuple[np.ndarray, ...]:
            kept = counts >= min_count
            return keys[kept], counts[kept], documents[kept]

        found = _by_parts(records, (2, 3, 4), lambda keys: keys, frequent)
        keys = np.concatenate([k for k, _, _ in found])
        order = np.argsort(keys)
        return _Level(keys[order], np.concatenate([c for _, c, _ in found])[order],
                      np.concatenate([d for _, _, d in found])[order])

    def neighbours(self, grams: _Grams, watch: _Watch) -> None:
        """Count the neighbours for ``watch`` alone (of the last level counted)."""
        for i in range(len(self._chunks)):
            ids, _ = self._chunk(i)
            watch.observe(ids, *self._occurrences(i, ids, grams))


class _Records:
    """Arrays recorded per chunk in an unnamed temporary file, read back by chunk."""

    def __init__(self, directory: Path | None) -> None:
        self._file = tempfile.TemporaryFile(dir=directory, prefix="zhsearch-discovery-")
        self._index: list[list[tuple[int, int, np.dtype[Any]]]] = []  # per chunk: (offset, length, dtype) of each

    def __len__(self) -> int:
        return len(self._index)

    def write(self, *arrays: np.ndarray) -> None:
        entry = []
        for array in arrays:
            entry.append((self._file.tell(), len(array), array.dtype))
            self._file.write(np.ascontiguousarray(array).tobytes())
        self._index.append(entry)

    def read(self, chunk: int, *which: int) -> list[np.ndarray]:
        out = []
        for k in which:
            offset, length, dtype = self._index[chunk][k]
            self._file.seek(offset)
            out.append(np.frombuffer(self._file.read(length * dtype.itemsize), dtype=dtype))
        return out

    def close(self) -> None:
        self._file.close()


def _stable_order(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.argsort(keys, kind="stable")`` and the keys in that order (non-negative int64 keys):
    with one sort of each key and its position packed in an int64 when they fit, several times
    faster than a stable argsort."""
    bits = max(1, int(len(keys)).bit_length())
    if len(keys) == 0 or int(keys.max()) >= 1 << (63 - bits):
        order = np.argsort(keys, kind="stable")
        return order, keys[order]
    packed = np.sort((keys << bits) | np.arange(len(keys), dtype=np.int64))
    return packed & ((1 << bits) - 1), packed >> bits


def _find(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The index of each wanted key in ``keys`` (ascending), -1 where it is not there."""
    index = np.searchsorted(keys, wanted)
    if len(keys) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    clipped = np.minimum(index, len(keys) - 1)
    return np.where(keys[clipped] == wanted, clipped, -1)


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
    directory: Path | None = None,
) -> list[NewWord]:
    """The new words of ``texts`` (already normalized), most documents first.

    ``known(word)`` says whether the segmenter's dictionary already has a word: those are left
    out, and so are candidates that it could cut whole into known words of two or more characters.
    The texts are read once, into a temporary file in ``directory`` (the system's temporary
    directory by default) that has no name and goes when the discovery ends, however it ends.
    """
    t = thresholds
    with _Text(texts, t.min_count, directory) as text:
        if text.size == 0:
            return []
        grams = _Grams([text.first.keys], [text.first.counts], text.alphabet)
        total = float(text.size)
        found: dict[str, NewWord] = {}
        pending: tuple[_Watch, _Level, np.ndarray, np.ndarray] | None = None
        try:
            for n in range(2, t.max_length + 1):
                level = text.level(grams, n, t.min_count, pending[0] if pending else None)
                if pending:
                    _keep(found, grams, *pending, t, known)
                    pending = None
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
                # Their neighbours are counted during the next level's pass over the text.
                pending = (_Watch(n, level, passing, len(text.alphabet), directory), level, characters, cohesion)
            if pending:
                text.neighbours(grams, pending[0])
                _keep(found, grams, *pending, t, known)
        finally:
            if pending:
                pending[0].close()
    kept = [w for w in sorted(found.values(), key=lambda w: len(w.word)) if not _compound(w.word, known, found)]
    kept.sort(key=lambda w: (-w.documents, -w.count, w.word))
    return kept[: t.max_words]


def _keep(found: dict[str, NewWord], grams: _Grams, watch: _Watch, level: _Level, characters: np.ndarray,
          cohesion: np.ndarray, t: Thresholds, known: Callable[[str], bool]) -> None:
    """Add the cohesive candidates of one level whose neighbours vary enough on both sides."""
    left, right = watch.entropy(0), watch.entropy(1)
    watch.close()
    varied = np.flatnonzero((left >= t.min_entropy) & (right >= t.min_entropy))
    for i, word in zip(varied.tolist(), grams.text(characters[varied])):
        if plausible(word) and not known(word):
            g = watch.grams[i]
            found[word] = NewWord(word, int(level.counts[g]), int(level.documents[g]), float(cohesion[i]),
                                  float(left[i]), float(right[i]))


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
    directory: Path | None = None,
) -> Discovery:
    """:func:`discover_words` of ``texts``, with how much was read and how long it took."""
    started = time.perf_counter()
    counted = _Counted(texts)
    words = discover_words(counted, known, thresholds=thresholds, directory=directory)
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
