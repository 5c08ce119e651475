"""Long pasted queries and similar articles: the words chosen by information, weighted by their count.

A pasted paragraph is searched as a ranked match of any of its words. Which words, and how much
each counts, is decided here: every distinct jieba word gets the weight qtf × IDF (its count in
the query, saturated, times its rarity in the archive); numbers and dates count a fifth, single
characters and words in a large share of the archive are left out, and the ``max_terms``
heaviest words are searched, each boosted by its saturated count. The query's clauses (the
pieces between punctuation) found word for word in one of the first documents of that ranking
add to its score, whatever the document's length (:meth:`LongQuery.clause_bonus`), so the
article a passage was copied from ranks above articles that merely share its words; one that
holds every clause (the passage itself, up to punctuation and script) gets the best score of the
words' ranking on top, so it ranks above every article that does not, and one that holds the
whole text as one run (punctuation included) gets that again, above copies whose clauses are
the same but punctuated or paragraphed otherwise. Clauses found as written, in the query's own
script, add a little more (between a simplified and a traditional copy of one story). A text
that no article holds word for word gets no bonus at all: its words alone rank it.
"""

from __future__ import annotations

import bisect
import functools
import io
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from typing import Any

import ahocorasick
import numpy as np
from whoosh import query as wq
from whoosh.matching import ListMatcher, NullMatcher

from ..text.analysis import _CJK, AnalyzerConfig, WordTokenizer
from ..text.normalize import fold
from .query import QUESTION_WORDS

WORD_FIELDS = ("title", "text")
LEFT_OUT_LISTED = 8  # the heaviest words left out, named in the warning
MANY_CLAUSES = 32  # from this many clauses on, a body is looked through once for all of them
_CJK_CHAR = re.compile(f"[{_CJK}]")
# Digits, with what writes numbers, dates and times around them (2020年7月31日, 3.5%, 12:30).
_NUMERIC = re.compile(r"[\d０-９.,，:：%％/\-－~～·年月日号时分秒点]+")
_CHINESE_DATE = re.compile(r"[〇零一二三四五六七八九十百两]+[年月日号]")
_CLAUSE_SPLIT = re.compile(r"[，。；！？、,.;!?:：“”\"'‘’（）()《》〈〉【】\[\]「」『』…—]+")


@dataclass(frozen=True)
class LongQueryOptions:
    """How long queries are searched; the defaults are the measured best (see BENCHMARKS.md)."""

    max_terms: int = 64  # words searched, the heaviest by qtf × IDF
    qtf_saturation: float = 1.2  # k3 of BM25's query-term factor (k3 + 1)·qtf / (k3 + qtf)
    number_factor: float = 0.2  # numbers and dates: their weight times this
    common_share: float = 0.3  # words in more than this share of the documents are left out…
    common_min_documents: int = 50  # …once the archive has this many documents to tell
    clause_boost: float = 1.0  # every clause found word for word: the words' whole weight times this
    complete_boost: float = 1.0  # all of them found (the passage itself, up to punctuation): the best
    # score of the words' ranking times this more, so that it ranks above every article without them all
    verbatim_boost: float = 1.0  # …and the whole text as one run (up to spaces and script): that much more again
    exact_boost: float = 0.5  # the clauses found as written, before folding scripts, their share times this
    min_clause_chars: int = 4  # shorter clauses are not searched as such
    max_clauses: int = 64  # the longest clauses, at most this many
    clause_depth: int = 100  # the first documents of the words' ranking looked through for the clauses
    proximity_boost: float = 0.5  # two neighbouring query words next to each other in the text (0: off)
    feedback_terms: int = 0  # RM3: words added from the first documents (0: off)
    feedback_documents: int = 10
    feedback_weight: float = 0.5  # the original query's share of the expanded query model


@dataclass(frozen=True)
class Choice:
    """One distinct word of a long query: how often it occurs and what it weighs."""

    word: str
    count: int
    weight: float  # qtf × IDF × its kind's factor: the order of choice
    boost: float  # what its terms are boosted by in the query (the saturated count × the factor)


@dataclass(frozen=True)
class LongQuery:
    """What a long text became: the query, the words used and left out, the strings to highlight."""

    query: wq.Query
    used: tuple[Choice, ...]
    left_out: tuple[Choice, ...]  # the words that counted but did not fit, heaviest first
    singles: tuple[str, ...]  # single characters: ranked in titles only, never required
    words_total: int  # distinct searchable words of the text
    clauses: tuple[tuple[str, float], ...] = ()  # (folded clause without spaces, its bonus when found)
    complete: float = 0.0  # what an article with every clause gets, times the best score of the words' ranking
    exact: tuple[tuple[str, float], ...] = ()  # (clause as written without spaces, its bonus when found so)
    verbatim: float = 0.0  # what an article with the whole text (folded, without spaces) gets, times that best score
    folded: str = ""  # the whole text, folded, without spaces
    exact_folded: tuple[str, ...] = ()  # each exact clause folded (without spaces), when known
    exact_simplify: bool | None = None  # how exact_folded was folded

    @property
    def needles(self) -> list[str]:
        return [c.word for c in self.used]

    def clause_bonus(self, title: str, text: str, *, simplify: bool, best: float = 0.0) -> float:
        """What the clauses found word for word in an article add to its score (spaces ignored):
        each found its share, all of them :attr:`complete` × ``best`` (the best score of the words'
        ranking) more, the whole text as one run :attr:`verbatim` × ``best`` more again, and each
        clause found as written (in the query's script) its :attr:`exact` share."""
        return self.clause_bonus_of(*clause_texts(title, text, simplify=simplify), simplify=simplify, best=best)

    def clause_bonus_of(self, raw: str, body: str, *, simplify: bool, best: float = 0.0) -> float:
        """:meth:`clause_bonus` of an article's :func:`clause_texts` (which a caller may keep per document)."""
        hits = self._clause_hits(body)
        found = [bonus for (_, bonus), hit in zip(self.clauses, hits) if hit]
        bonus = sum(found)
        if found and len(found) == len(self.clauses):
            bonus += self.complete * best
            if self.verbatim and self.folded in body:
                bonus += self.verbatim * best
        # an exact clause one of whose needed clauses is not in the folded text is not in the text
        needed = self._exact_needs if simplify == self.exact_simplify else ((),) * len(self.exact)
        return bonus + sum(share for (clause, share), needs in zip(self.exact, needed)
                           if all(hits[i] for i in needs) and clause in raw)

    def _clause_hits(self, body: str) -> list[bool]:
        """Whether each (folded) clause is in ``body``: one ``in`` each, or for many clauses one
        Aho–Corasick pass over the body for all of them (cheaper from about 30 clauses on, measured
        on stored articles of 35,000 characters; fewer are cheaper one by one)."""
        if len(self.clauses) < MANY_CLAUSES:
            return [clause in body for clause, _ in self.clauses]
        automaton = self._clause_automaton
        found = {i for _, i in automaton.iter(body)} if len(automaton) else set()
        return [i in found or not clause for i, (clause, _) in enumerate(self.clauses)]

    @functools.cached_property
    def _clause_automaton(self) -> Any:
        automaton = ahocorasick.Automaton()
        for i, (clause, _) in enumerate(self.clauses):
            if clause:
                automaton.add_word(clause, i)
        automaton.make_automaton()
        return automaton

    @functools.cached_property
    def _exact_needs(self) -> tuple[tuple[int, ...], ...]:
        """For each exact clause, the (folded) clauses inside its fold. The fold goes character by
        character, so a text holding an exact clause holds its fold once folded, and every clause
        inside that: where one of them is missing, the exact clause need not be looked for."""
        if len(self.exact_folded) != len(self.exact):
            return ((),) * len(self.exact)
        return tuple(tuple(i for i, (clause, _) in enumerate(self.clauses) if clause in folded)
                     for folded in self.exact_folded)

    def with_bonus(self, bonus: dict[int, float]) -> LongQuery:
        """This query with ``bonus`` (global docnum -> score) added to those documents' scores."""
        if not bonus:
            return self
        return replace(self, query=wq.AndMaybe(self.query, Listed(bonus)))

    def adopt(self, parsed: Any, warnings: list[str]) -> None:
        """Make this the query of ``parsed`` (a :class:`search.queries.query.ParsedQuery` of a long text),
        its words the strings to highlight, and add what the user is told to ``warnings``."""
        clause = parsed.groups[0][0]
        parsed.query = clause.query = self.query
        parsed.needles = self.needles
        clause.variants = self.needles
        clause.words = [self.needles]
        warnings.extend(self.warnings())

    def warnings(self) -> list[str]:
        """What the user is told: how many words were used, and the heaviest left out."""
        notes = [
            f"the query is long, so it was searched as any of its {len(self.used)} most informative words "
            f"(of {self.words_total}), best matches first"
        ]
        if self.left_out:
            names = "、".join(f"“{c.word}”" for c in self.left_out[:LEFT_OUT_LISTED])
            notes.append(f"the most informative words left out of the long query: {names}")
        return notes


class WordFrequencies:
    """How many documents of one index generation hold each title or text word (the larger of the two
    fields: what :class:`ArchiveStatistics` asks Whoosh for), saved beside the generation.

    Whoosh looks a word up in the term table of every segment, for each of the two fields (a
    long query's forty words, 1,400 lookups on 17 segments: 40% of its time); this table answers
    by bisection in the words' sorted UTF-8 bytes, kept as they were read (no dict of every word
    is built: it reads back in milliseconds whatever the vocabulary).
    """

    def __init__(self, words: bytes, ends: np.ndarray, documents: np.ndarray) -> None:
        self._words = words  # the sorted UTF-8 words, one after another
        self._ends = ends  # where each ends in them
        self._documents = documents
        self._keys = _SortedWords(words, ends)

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> WordFrequencies:
        encoded = sorted((word.encode("utf-8"), n) for word, n in counts.items())
        lengths = np.fromiter((len(w) for w, _ in encoded), dtype=np.uint64, count=len(encoded))
        documents = np.fromiter((n for _, n in encoded), dtype=np.uint32, count=len(encoded))
        return cls(b"".join(w for w, _ in encoded), np.cumsum(lengths, dtype=np.uint64), documents)

    def to_bytes(self) -> bytes:
        """The table as an ``.npz`` of plain arrays (no pickle)."""
        out = io.BytesIO()
        np.savez(out, words=np.frombuffer(self._words, dtype=np.uint8), ends=self._ends.astype("<u8"),
                 documents=self._documents.astype("<u4"))
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> WordFrequencies:
        """A table saved by :meth:`to_bytes`; ValueError when it is damaged."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                words, ends, documents = arrays["words"], arrays["ends"], arrays["documents"]
        except (OSError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"not a saved table of word frequencies: {exc}") from exc
        if not (words.dtype == np.uint8 and ends.dtype.kind == documents.dtype.kind == "u"
                and words.ndim == ends.ndim == documents.ndim == 1 and len(ends) == len(documents)):
            raise ValueError("arrays of the wrong kinds or shapes")
        ends = ends.astype(np.uint64)
        if len(ends) and (int(ends[-1]) != len(words) or ends[0] == 0 or bool((ends[1:] <= ends[:-1]).any())):
            raise ValueError("word ends out of order")
        return cls(words.tobytes(), ends, documents.astype(np.uint32))

    def __len__(self) -> int:
        return len(self._documents)

    def get(self, word: str) -> int:
        """The documents holding ``word`` (0 when none does)."""
        key = word.encode("utf-8")
        keys = self._keys
        at = bisect.bisect_left(keys, key)
        return int(self._documents[at]) if at < len(keys) and keys[at] == key else 0


class _SortedWords(Sequence[bytes]):
    """The words of a :class:`WordFrequencies` as a sequence, each sliced out when bisection asks."""

    def __init__(self, words: bytes, ends: np.ndarray) -> None:
        self._words = words
        self._ends = ends

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> bytes:  # type: ignore[override]
        end = int(self._ends[i])
        return self._words[int(self._ends[i - 1]) if i else 0 : end]


class ArchiveStatistics:
    """How many documents hold a word: from the generation's saved :class:`WordFrequencies` when given,
    else through the Whoosh searcher (its own field statistics: the same counts, looked up in
    every segment)."""

    def __init__(self, searcher: object, frequencies: WordFrequencies | None = None) -> None:
        self._searcher = searcher
        self._table = frequencies
        self.documents = int(searcher.doc_count())  # type: ignore[attr-defined]

    def frequency(self, word: str) -> int:
        if self._table is not None:
            return self._table.get(word)
        return int(max(self._searcher.doc_frequency(f, word) for f in WORD_FIELDS))  # type: ignore[attr-defined]


def clause_texts(title: str, text: str, *, simplify: bool) -> tuple[str, str]:
    """What :meth:`LongQuery.clause_bonus` compares the clauses with: an article's title and text
    without spaces, as written and folded (the same for every long query)."""
    raw = without_spaces(f"{title}\n{text}")
    return raw, without_spaces(fold(raw, simplify=simplify))


def without_spaces(text: str) -> str:
    """``text`` without its whitespace (what ``re.sub(r"\\s+", "", text)`` leaves, several times faster
    on a stored article: str.split() and the pattern's ``\\s`` are the same characters)."""
    return "".join(text.split())


def is_numeric(word: str) -> bool:
    """Numbers, dates and times: 2020, 3.5%, 7月31日, 二〇二〇年."""
    if _NUMERIC.fullmatch(word):
        return any(ch.isdigit() for ch in word)
    return bool(_CHINESE_DATE.fullmatch(word))


def _single(word: str) -> bool:
    return len(word) == 1


def saturated(count: int, k3: float) -> float:
    """BM25's query-term-frequency factor: 1 for one occurrence, approaching k3 + 1."""
    return (k3 + 1) * count / (k3 + count)


def idf(frequency: int, documents: int) -> float:
    """BM25's (Robertson–Spärck Jones) IDF, never negative."""
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


class LongQueryBuilder:
    """Turns a long text into a :class:`LongQuery` with the index's own analyzer."""

    def __init__(self, config: AnalyzerConfig) -> None:
        self.config = config
        self._words = WordTokenizer(config)

    def tokens(self, text: str) -> list[str]:
        return [t.text for t in self._words(text)]

    def choose(
        self, tokens: Sequence[str], statistics: ArchiveStatistics, options: LongQueryOptions
    ) -> tuple[list[Choice], list[Choice], list[str], int]:
        """(words used, words left out, single characters, searchable words) of a text's tokens."""
        counts = Counter(tokens)
        documents = max(statistics.documents, 1)
        choices: list[Choice] = []
        singles: list[str] = []
        for word, count in counts.items():  # first occurrence order: ties keep the text's order
            if _single(word) or word in QUESTION_WORDS:
                if _CJK_CHAR.match(word):
                    singles.append(word)
                continue
            frequency = statistics.frequency(word)
            if not frequency:
                continue  # no document has it: it cannot match or rank
            if documents >= options.common_min_documents and frequency > options.common_share * documents:
                continue
            factor = options.number_factor if is_numeric(word) else 1.0
            boost = saturated(count, options.qtf_saturation) * factor
            choices.append(Choice(word, count, boost * idf(frequency, documents), boost))
        total = len(choices)
        ranked = sorted(choices, key=lambda c: -c.weight)
        used, left_out = ranked[: options.max_terms], ranked[options.max_terms :]
        position = {c.word: i for i, c in enumerate(choices)}
        used.sort(key=lambda c: position[c.word])
        return used, left_out, singles, total

    def build(self, text: str, statistics: ArchiveStatistics, options: LongQueryOptions) -> LongQuery | None:
        """The long query of ``text``; None when none of its words is in the archive."""
        tokens = self.tokens(text)
        used, left_out, singles, total = self.choose(tokens, statistics, options)
        if not used:
            if not singles:
                return None
            # nothing else to search by: the single characters the archive has
            used = [Choice(w, 1, 1.0, 1.0) for w in dict.fromkeys(singles) if statistics.frequency(w)]
            singles = []
            if not used:
                return None
        query = self.assemble(text, tokens, used, singles, options)
        clauses = self.clauses(text, used, options)
        whole = sum(c.weight for c in used)
        exact = self.exact_clauses(text, whole, options)
        return LongQuery(query, tuple(used), tuple(left_out), tuple(dict.fromkeys(singles)), max(total, len(used)),
                         clauses, complete=options.complete_boost if clauses else 0.0,
                         exact=exact,
                         exact_folded=tuple(without_spaces(fold(e, simplify=self.config.simplify)) for e, _ in exact),
                         exact_simplify=self.config.simplify,
                         verbatim=options.verbatim_boost if clauses else 0.0,
                         folded=without_spaces(fold(text, simplify=self.config.simplify)) if clauses else "")

    def assemble(
        self, text: str, tokens: Sequence[str], used: Sequence[Choice], singles: Sequence[str],
        options: LongQueryOptions,
    ) -> wq.Query:
        """Any of the words (each boosted), and the optional bonuses: clauses found word for word,
        neighbouring words next to each other, single characters in titles."""
        query: wq.Query = wq.Or([wq.Term(f, c.word, boost=c.boost) for c in used for f in WORD_FIELDS])
        bonuses: list[wq.Query] = []
        if options.proximity_boost > 0:
            chosen = {c.word for c in used}
            neighbours = list(dict.fromkeys(
                (a, b) for a, b in zip(tokens, tokens[1:]) if a in chosen and b in chosen and a != b))
            if neighbours:
                bonuses.append(wq.Or([wq.Phrase("text", [a, b]) for a, b in neighbours],
                                     boost=options.proximity_boost))
        if singles:
            bonuses.append(wq.Or([wq.Term("title", w) for w in dict.fromkeys(singles)]))
        if bonuses:
            query = wq.AndMaybe(query, bonuses[0] if len(bonuses) == 1 else wq.Or(bonuses))
        return query

    def clauses(self, text: str, used: Sequence[Choice], options: LongQueryOptions) -> tuple[tuple[str, float], ...]:
        """The text's longest clauses (pieces between punctuation, folded, spaces removed), each with
        its bonus: its share of the clauses' characters of the words' whole weight, times clause_boost
        (an article with every clause gets about what its words could give it)."""
        if options.clause_boost <= 0:
            return ()
        return _shares(fold(text, simplify=self.config.simplify), options.clause_boost * sum(c.weight for c in used),
                       options)

    def exact_clauses(self, text: str, whole: float, options: LongQueryOptions) -> tuple[tuple[str, float], ...]:
        """The text's longest clauses as written (spaces removed, not folded), each with its share of
        the words' whole weight times exact_boost: what an article in the query's own script adds."""
        if options.exact_boost <= 0 or options.clause_boost <= 0:
            return ()
        return _shares(text, options.exact_boost * whole, options)

    def expand(
        self, long: LongQuery, text: str, documents: Iterable[tuple[str, float]], statistics: ArchiveStatistics,
        options: LongQueryOptions,
    ) -> LongQuery:
        """RM3: the query model mixed with the words of the first documents (``(text, score)``),
        weighted by their share of each document times the document's share of the scores."""
        top = list(documents)
        if not top or options.feedback_terms <= 0:
            return long
        best = max(score for _, score in top)
        relevance = [math.exp(score - best) for _, score in top]
        norm = sum(relevance)
        feedback: dict[str, float] = {}
        for (body, _), weight in zip(top, relevance):
            words = [w for w in self.tokens(body) if not _single(w) and w not in QUESTION_WORDS]
            if not words:
                continue
            for word, count in Counter(words).items():
                feedback[word] = feedback.get(word, 0.0) + weight / norm * count / len(words)
        original = {c.word: c.weight for c in long.used}
        total = sum(original.values()) or 1.0
        mixed: dict[str, float] = {w: options.feedback_weight * v / total for w, v in original.items()}
        documents_count = max(statistics.documents, 1)
        added = 0
        for word, share in sorted(feedback.items(), key=lambda item: -item[1]):
            if added >= options.feedback_terms:
                break
            if word in original:
                mixed[word] += (1 - options.feedback_weight) * share
                continue
            frequency = statistics.frequency(word)
            if is_numeric(word) or not frequency or frequency > options.common_share * documents_count:
                continue
            mixed[word] = (1 - options.feedback_weight) * share
            added += 1
        top_boost = max(c.boost for c in long.used)
        top_mixed = max(mixed.values())
        used = [Choice(w, 0, v, top_boost * v / top_mixed) for w, v in mixed.items()]
        query = self.assemble(text, self.tokens(text), used, long.singles, options)
        return replace(long, query=query)


def _shares(text: str, whole: float, options: LongQueryOptions) -> tuple[tuple[str, float], ...]:
    """The longest clauses of ``text`` (spaces removed), each with its share of ``whole`` by length."""
    pieces = [without_spaces(p) for p in _CLAUSE_SPLIT.split(text)]
    pieces = [p for p in dict.fromkeys(pieces) if len(p) >= options.min_clause_chars]
    pieces = sorted(pieces, key=len, reverse=True)[: options.max_clauses]
    size = sum(len(p) for p in pieces)
    return tuple((p, whole * len(p) / size) for p in pieces)


def similar_text(title: str, text: str) -> str:
    """What :meth:`SearchIndex.similar` searches for an article: its title (twice: it says what the
    article is about) and its text."""
    return f"{title}\n{title}\n{text}"


class Listed(wq.Query):  # type: ignore[misc]
    """Given documents (global docnums) with given scores: a re-ranking's bonus as a query.

    The array evaluator reads ``scores`` directly; Whoosh's matchers get each segment's share.
    """

    def __init__(self, scores: dict[int, float]) -> None:
        self.scores = dict(sorted(scores.items()))

    def __eq__(self, other: object) -> bool:
        return type(other) is Listed and other.scores == self.scores

    def __hash__(self) -> int:
        return hash(tuple(self.scores.items()))

    def __repr__(self) -> str:
        return f"Listed({len(self.scores)} documents)"

    def __str__(self) -> str:
        return repr(self)

    def normalize(self) -> wq.Query:
        return self

    def estimate_size(self, reader: Any) -> int:
        return len(self.scores)

    def docs(self, searcher: Any) -> Any:
        return iter(self.scores)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        offset = next((o for s, o in searcher.get_parent().leaf_searchers() if s is searcher), 0)
        size = searcher.doc_count_all()
        local = [(d - offset, v) for d, v in self.scores.items() if offset <= d < offset + size]
        if not local:
            return NullMatcher()
        return ListMatcher([d for d, _ in local], weights=[v for _, v in local])
