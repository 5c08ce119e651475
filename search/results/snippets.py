"""Snippets and highlights built for Chinese: sentence-bounded fragments with exact ``<mark>``s.

Matches are found by searching the normalized text for the normalized query strings, then
mapped back to the original characters, so traditional text, full-width letters and mixed case
highlight exactly where they stand. No segmenter runs here.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
import numpy as np
from markupsafe import escape

from ..text.analysis import _CJK, CHAR_TOKEN, OPTIONAL_SPACES, SEPARATOR, optional_space
from .document import without_heading_marks
from ..text.normalize import Normalized, normalize

SNIPPET_TARGET = 120
SNIPPET_MAX = 160
ELLIPSIS = "…"
_WORD_MARGIN = 8  # characters segmented beyond a window's edges, so edge words are whole
# A sentence ends at 。！？；… (and ！？；), at Western .!?; followed by a space or the end, or at a
# line break; closing quotes and brackets stay with the sentence they close.
_SENTENCE_END = re.compile(r"(?:[。！？；…]+|\.{3}|[.!?;]+(?=\s|$))[”’」』）)\"']*|\n+")
# Every character a sentence end can start with: found by one character class, they are the only
# places _SENTENCE_END is tried (the pattern itself, tried at every character, is four times slower).
_SENTENCE_END_START = re.compile(r"[。！？；….!?;\n]")
_CLAUSE_END = re.compile(r"[，、：,:]\s*|\s+")
_IS_WORDCHAR = re.compile(f"[^\\W_{_CJK}]").fullmatch  # a letter or digit outside CJK
_WHITESPACE = re.compile(r"\s+")
_MANY_SPANS = 16  # from this many matches in a text on, _densest counts them with numpy (measured)


@functools.lru_cache(maxsize=1024)
def _needle_pattern(needle: str) -> tuple[str, re.Pattern[str] | None]:
    """The needle without separators at its ends, and a pattern when separators are inside it.

    As in the index (see :meth:`search.text.analysis.PairTokenizer.phrases`), separators end a
    needle's pieces: ``碳中和，目标`` is 碳中和, any run of separators, 目标; ``美国 总统`` is
    美国, any separators or none, 总统; ``“碳中和”`` is 碳中和.
    """
    tokens = list(CHAR_TOKEN.finditer(needle))
    if not tokens:
        return "", None
    core = needle[tokens[0].start() : tokens[-1].end()]
    gaps = [(a.end(), b.start()) for a, b in zip(tokens, tokens[1:]) if a.end() != b.start()]
    if not gaps:
        return core, None
    optional = [optional_space(needle, start, end) for start, end in gaps]
    if sum(optional) > OPTIONAL_SPACES:
        optional = [False] * len(gaps)
    starts = [tokens[0].start()] + [end for _, end in gaps]
    ends = [start for start, _ in gaps] + [tokens[-1].end()]
    pattern = re.escape(needle[starts[0] : ends[0]])
    for piece_start, piece_end, maybe in zip(starts[1:], ends[1:], optional):
        pattern += ("[\\W_]*" if maybe else SEPARATOR.pattern) + re.escape(needle[piece_start:piece_end])
    return core, re.compile(f"(?=({pattern}))")


@functools.lru_cache(maxsize=1024)
def _needle_rule(needle: str) -> tuple[str, re.Pattern[str] | None, bool, bool, str, str]:
    """(core, pattern, whether its first and last characters must start and end a Latin/digit run,
    the punctuation before and after its core): what :func:`_needle_matches` checks."""
    core, pattern = _needle_pattern(needle)
    if not core:
        return core, pattern, False, False, "", ""
    start = needle.find(core)
    lead, trail = needle[:start].lstrip(), needle[start + len(core) :].rstrip()
    return core, pattern, _IS_WORDCHAR(core[0]) is not None, _IS_WORDCHAR(core[-1]) is not None, lead, trail


def _needle_matches(needle: str, text: str) -> list[tuple[int, int]]:
    """Where ``needle`` occurs in ``text``; Latin/digit ends must be whole runs, as indexed."""
    core, pattern = _needle_pattern(needle)
    if not core:
        return []
    return _needle_spans(needle, list(_occurrences(core, pattern, text)), text)


def _needle_spans(needle: str, found: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """The occurrences ``found`` of ``needle``'s core (or pattern) in ``text`` that match the needle:
    Latin/digit ends whole runs, its own punctuation at its ends marked too where the text has it."""
    _, _, check_start, check_end, lead, trail = _needle_rule(needle)
    if check_start or check_end:
        found = [
            (at, end) for at, end in found
            if not (check_start and at > 0 and _IS_WORDCHAR(text[at - 1]))
            and not (check_end and end < len(text) and _IS_WORDCHAR(text[end]))
        ]
    if lead or trail:
        # The needle's own punctuation at its ends is marked too where the text has it (50%).
        found = [
            (at - next((n for n in range(len(lead), 0, -1) if text[max(0, at - n) : at] == lead[-n:]), 0),
             end + next((n for n in range(len(trail), 0, -1) if text[end : end + n] == trail[:n]), 0))
            for at, end in found
        ]
    return found


def _occurrences(core: str, pattern: re.Pattern[str] | None, text: str) -> Iterator[tuple[int, int]]:
    """Every (overlapping) span of ``text`` matching the needle."""
    if pattern is not None:
        for m in pattern.finditer(text):
            yield m.span(1)
        return
    at = text.find(core)
    while at != -1:
        yield at, at + len(core)
        at = text.find(core, at + 1)


@dataclass(frozen=True, slots=True)
class _Needles:
    """A query's needles made ready for one pass over a text: every needle without separators
    inside is looked for as its core (a plain string), all cores in one Aho–Corasick automaton."""

    cores: tuple[str, ...]  # the distinct cores
    needles: tuple[tuple[str, ...], ...]  # the needles of each core
    # the cores, each found as its length when its needles take every occurrence as it is (no
    # Latin/digit end to check, no punctuation around it), else as -1 - its number; None: no core
    automaton: Any
    checked: bool  # whether some core's occurrences go through its needles' checks
    patterned: tuple[str, ...]  # needles with separators inside: one pattern each

    def matches(self, text: str) -> list[tuple[int, int]]:
        """What :func:`_needle_matches` finds for every needle, one list after another (unsorted)."""
        found: list[tuple[int, int]] = []
        if self.automaton is not None:
            occurrences = list(self.automaton.iter(text))  # (last index, value) of every core, overlaps included
            found = [(end + 1 - value, end + 1) for end, value in occurrences if value > 0]
            if self.checked:
                checked = sorted((-1 - value, end + 1) for end, value in occurrences if value < 0)
                for i, group in itertools.groupby(checked, key=operator.itemgetter(0)):
                    size = len(self.cores[i])
                    spans = [(end - size, end) for _, end in group]
                    for needle in self.needles[i]:
                        found.extend(_needle_spans(needle, spans, text))
        for needle in self.patterned:
            found.extend(_needle_matches(needle, text))
        return found


@functools.lru_cache(maxsize=256)
def _needles(needles: frozenset[str]) -> _Needles:
    by_core: dict[str, list[str]] = {}
    patterned: list[str] = []
    for needle in sorted(needles):
        core, pattern = _needle_pattern(needle)
        if not core:
            continue
        if pattern is not None:
            patterned.append(needle)
        else:
            by_core.setdefault(core, []).append(needle)
    automaton, checked = None, False
    if by_core:
        automaton = ahocorasick.Automaton()
        for i, (core, of_core) in enumerate(by_core.items()):
            as_found = all(_needle_rule(n)[2:] == (False, False, "", "") for n in of_core)
            automaton.add_word(core, len(core) if as_found else -1 - i)
            checked = checked or not as_found
        automaton.make_automaton()
    return _Needles(tuple(by_core), tuple(map(tuple, by_core.values())), automaton, checked, tuple(patterned))


def match_spans(norm: Normalized, needles: Iterable[str]) -> list[tuple[int, int]]:
    """Merged, sorted spans of the original text where any needle occurs (all needles found in
    one pass over the text)."""
    wanted = frozenset(n for n in needles if n)
    if not wanted:
        return []
    spans = _needles(wanted).matches(norm.text)
    if norm.offsets is not None:  # else the normalized text is the original's character for character
        spans = [norm.original_span(start, end) for start, end in spans]
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """HTML-escape ``text[start:end]`` and wrap the spans that fall inside it in ``<mark>``.

    ``spans`` are sorted and do not overlap (as :func:`match_spans` gives them): only those that
    reach into the window are looked at."""
    end = len(text) if end is None else end
    out: list[str] = []
    cursor = start
    first = bisect.bisect_right(spans, (start, len(text) + 1))
    if first and spans[first - 1][1] > start:
        first -= 1  # the span that starts before the window and reaches into it
    for s, e in itertools.islice(spans, first, None):
        if s >= end:
            break
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        out.append(str(escape(text[cursor:s])))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        cursor = e
    out.append(str(escape(text[cursor:end])))
    return "".join(out)


def highlight(text: str, needles: Iterable[str], *, simplify: bool = True) -> str:
    """The whole of ``text`` escaped, with every match marked (for titles)."""
    return mark(text, match_spans(normalize(text, simplify=simplify), needles))


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    match = _SENTENCE_END.match
    for candidate in _SENTENCE_END_START.finditer(text):
        if candidate.start() < start:
            continue  # inside the sentence end just found
        m = match(text, candidate.start())
        if m is None:
            continue
        if m.end() > start:
            bounds.append((start, m.end()))
        start = m.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return [(s, e) for s, e in bounds if text[s:e].strip()]


def _densest(
    text: str, sentences: Sequence[tuple[int, int]], spans: list[tuple[int, int]], bounds: np.ndarray | None = None
) -> int:
    """The sentence with the most distinct matched strings (casefolded), then the most matches, then
    the first; the first sentence when no match is in any. Only the sentences a match overlaps
    are counted (each match finds them by bisection: from the first that ends after it starts to
    the last that starts before it ends), and the distinct strings only of the sentences whose
    matches could still win (a sentence has no more distinct strings than matches). ``bounds`` is
    :func:`_bounds` of the sentences when the caller has it."""
    if not spans:
        return 0
    if len(spans) < _MANY_SPANS:
        ends = [e for _, e in sentences]
        return _densest_of_all(text, sentences, spans, [bisect.bisect_right(ends, a) for a, _ in spans])
    starts, ends = _bounds(sentences) if bounds is None else bounds
    flat = np.fromiter(itertools.chain.from_iterable(spans), dtype=np.int64, count=2 * len(spans))
    firsts_array = np.searchsorted(ends, flat[0::2], side="right")  # bisect_right of each match's start
    afters = np.searchsorted(starts, flat[1::2], side="left")  # the sentences starting before its end
    if not bool(np.all(afters - firsts_array == 1)):
        return _densest_of_all(text, sentences, spans, firsts_array.tolist())
    # Each match inside one sentence: the spans being sorted, a sentence's matches are one run of them.
    counts = np.bincount(firsts_array)
    runs = np.cumsum(counts).tolist()
    found = np.flatnonzero(counts)
    best, best_key = 0, (0, 0, 0)
    for i in found[np.argsort(-counts[found], kind="stable")].tolist():
        count = int(counts[i])
        if count < best_key[0]:
            break  # neither this sentence nor any after it can have as many distinct strings
        key = (len({text[a:b].casefold() for a, b in spans[runs[i] - count : runs[i]]}), count, -i)
        if key > best_key:
            best, best_key = i, key
    return best


def _bounds(sentences: Sequence[tuple[int, int]]) -> np.ndarray:
    """The sentences' starts and ends as two rows of an array (what :func:`_densest` bisects)."""
    flat = np.fromiter(itertools.chain.from_iterable(sentences), dtype=np.int64, count=2 * len(sentences))
    return np.stack([flat[0::2], flat[1::2]])


def _densest_of_all(
    text: str, sentences: Sequence[tuple[int, int]], spans: list[tuple[int, int]], firsts: list[int]
) -> int:
    """:func:`_densest` where some match overlaps several sentences or none (``firsts``: the first
    sentence that ends after each match starts)."""
    distinct: dict[int, set[str]] = {}
    matches: dict[int, int] = {}
    for (a, b), i in zip(spans, firsts):
        matched = text[a:b].casefold()
        while i < len(sentences) and sentences[i][0] < b:
            distinct.setdefault(i, set()).add(matched)
            matches[i] = matches.get(i, 0) + 1
            i += 1
    if not matches:
        return 0
    return max(matches, key=lambda i: (len(distinct[i]), matches[i], -i))


@dataclass(frozen=True, slots=True)
class SnippetText:
    """What :func:`snippet` reads in a text whatever the query (a caller may keep it per document:
    a long article's fold and sentences cost more than finding a query's words in them)."""

    text: str  # without its subheadings' marks
    normalized: Normalized
    sentences: tuple[tuple[int, int], ...]
    bounds: np.ndarray = field(compare=False, repr=False)  # _bounds of the sentences

    @property
    def nbytes(self) -> int:
        """About what it holds in memory (its strs, offsets and sentence bounds)."""
        size = sys.getsizeof(self.text) + sys.getsizeof(self.normalized.text)
        if self.normalized.offsets is not None:
            size += sys.getsizeof(self.normalized.offsets) + 28 * len(self.normalized.offsets)
        return size + sys.getsizeof(self.sentences) + 120 * len(self.sentences) + self.bounds.nbytes


def snippet_text(text: str, *, simplify: bool = True) -> SnippetText:
    """``text`` as :func:`snippet` reads it."""
    text = without_heading_marks(text)
    sentences = tuple(_sentences(text))
    return SnippetText(text, normalize(text, simplify=simplify), sentences, _bounds(sentences))


def snippet(text: str, needles: Iterable[str], *, simplify: bool = True, read: SnippetText | None = None) -> str:
    """The densest sentence-bounded fragment of ``text`` (about 80–160 characters), marked;
    ``read`` is :func:`snippet_text` of ``text`` with the same ``simplify`` when the caller kept it."""
    needles = list(needles)
    sentences: Sequence[tuple[int, int]]
    bounds = None
    if read is not None:
        text, sentences, bounds = read.text, read.sentences, read.bounds
        spans = match_spans(read.normalized, needles) if needles else []
    else:
        text = without_heading_marks(text)
        spans = match_spans(normalize(text, simplify=simplify), needles) if needles else []
        sentences = _sentences(text)
    if not sentences:
        return ""
    best = _densest(text, sentences, spans, bounds)
    start, end = sentences[best]
    lo, hi = best, best
    # Grow by whole sentences, forwards first, while the fragment stays short.
    while end - start < SNIPPET_TARGET * 2 // 3:
        if hi + 1 < len(sentences) and sentences[hi + 1][1] - start <= SNIPPET_MAX:
            hi += 1
            end = sentences[hi][1]
        elif lo > 0 and end - sentences[lo - 1][0] <= SNIPPET_MAX:
            lo -= 1
            start = sentences[lo][0]
        else:
            break
    if end - start > SNIPPET_MAX:
        # One long sentence: a window around its first match (or its start), cut between words.
        first = next((a for a, b in spans if start <= a < end), start)
        lo = max(start, min(first - SNIPPET_TARGET // 3, end - SNIPPET_MAX))
        hi = min(end, lo + SNIPPET_MAX)
        lo, hi = _word_window(text, spans, start, end, lo, hi, simplify=simplify)
        start, end = lo, hi
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    body = _WHITESPACE.sub(" ", mark(text, spans, start, end))
    prefix = ELLIPSIS if text[:start].strip() else ""
    suffix = ELLIPSIS if text[end:].strip() else ""
    return prefix + body + suffix


def _word_window(
    text: str, spans: list[tuple[int, int]], s_start: int, s_end: int, lo: int, hi: int, *, simplify: bool
) -> tuple[int, int]:
    """Move the window [lo, hi) of the sentence [s_start, s_end) to cut points between words.

    A clause mark (，、： or a space) near an edge is preferred; otherwise a jieba word boundary;
    a match is never cut.
    """
    for s, e in spans:
        if s < lo < e:
            lo = s
        if s < hi < e:
            hi = e
    inside: set[int] = set()
    # Segment only the window and a few characters around it, never the whole sentence.
    w_start, w_end = max(s_start, lo - _WORD_MARGIN), min(s_end, hi + _WORD_MARGIN)
    for s, e in _word_spans(text[w_start:w_end], simplify):
        inside.update(range(w_start + s + 1, w_start + e))
    for s, e in spans:
        inside.update(range(s + 1, e))
    clauses = [m.end() + s_start for m in _CLAUSE_END.finditer(text[s_start:s_end])]
    near_lo = [c for c in clauses if lo <= c <= lo + SNIPPET_TARGET // 4 and c not in inside]
    if lo > s_start:
        if near_lo:
            lo = near_lo[0]
        else:
            while lo < hi and lo in inside:
                lo += 1
    near_hi = [c for c in clauses if hi - SNIPPET_TARGET // 4 <= c <= hi and c > lo and c not in inside]
    if hi < s_end:
        if near_hi:
            hi = near_hi[-1]
        else:
            while hi > lo and hi in inside:
                hi -= 1
    return lo, hi


def _word_spans(sentence: str, simplify: bool) -> list[tuple[int, int]]:
    from ..text.analysis import AnalyzerConfig, WordTokenizer

    tokenizer = WordTokenizer(AnalyzerConfig(simplify=simplify))
    return [(t.startchar, t.endchar) for t in tokenizer(sentence, chars=True)]
