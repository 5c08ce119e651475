"""The Chinese analyzers: jieba words for ranking, characters and character pairs for recall.

Every tokenizer normalizes first (see :mod:`search.text.normalize`), emit ordinal positions and
character offsets into the *original* text, and keep only configuration on themselves so that
they pickle; the jieba segmenter is built lazily from a module-level cache.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from whoosh.analysis import Token, Tokenizer
from whoosh.analysis.analyzers import Analyzer

from .normalize import normalize

ANALYZER_VERSION = 3  # 3: punctuation, spaces and a field's ends are boundaries in the pair fields

# Ideographs (with extensions and compatibility forms), kana and hangul: one token per character.
_CJK = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
# A character token is one CJK letter (not the kana marks ゛゜゠・) or a run of other letters and digits.
CHAR_TOKEN = re.compile(f"(?=\\w)[{_CJK}]|[^\\W_{_CJK}]+")
# What separates character tokens: a run of anything but letters and digits (punctuation,
# symbols, spaces, line breaks); the token characters are exactly [^\W_].
SEPARATOR = re.compile(r"[\W_]+")
# Each character token, or "" for a run of separators (findall gives the group), in text order.
TOKEN_OR_SEPARATOR = re.compile(f"({CHAR_TOKEN.pattern})|{SEPARATOR.pattern}")
# The boundary symbol B of the pair fields: never part of a token, so its pairs are distinct.
BOUNDARY = "|"
_ONE_CJK = re.compile(f"[{_CJK}]").fullmatch
# A word token must contain at least one letter, digit or ideograph.
_WORDLIKE = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class AnalyzerConfig:
    """Everything that decides how text becomes tokens; stored with the index.

    ``new_words`` are the words discovered in the archive when it was indexed (see
    :mod:`search.text.discover`): always dictionary words for completions and ``zhsearch stats``, and
    words of the ranking fields' segmenter too when ``rank_new_words`` is set.
    """

    version: int = ANALYZER_VERSION
    simplify: bool = True
    hmm: bool = True
    user_words: tuple[str, ...] = field(default=())
    new_words: tuple[str, ...] = field(default=())
    rank_new_words: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["user_words"] = list(self.user_words)
        data["new_words"] = list(self.new_words)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnalyzerConfig:
        return cls(
            version=int(data.get("version", 0)),
            simplify=bool(data.get("simplify", True)),
            hmm=bool(data.get("hmm", True)),
            user_words=tuple(data.get("user_words", ())),
            new_words=tuple(data.get("new_words", ())),
            rank_new_words=bool(data.get("rank_new_words", False)),
        )

    @classmethod
    def with_user_dict(cls, text: str, **options: Any) -> AnalyzerConfig:
        """A config whose user words are the lines of a jieba user dictionary."""
        lines = tuple(line.strip() for line in text.splitlines() if line.strip())
        return cls(user_words=lines, **options)

    @property
    def segmenter_words(self) -> tuple[str, ...]:
        """The lines added to jieba's dictionary for the ranking fields: the user's, then the
        discovered words when they rank."""
        return self.user_words + self.new_words if self.rank_new_words else self.user_words

    def user_word_list(self) -> list[str]:
        """The words of the user dictionary (its lines without frequency or tag)."""
        return [line.split()[0] for line in self.user_words if line.split()]

    def fingerprint(self) -> str:
        return hashlib.sha1(repr(sorted(self.to_json().items())).encode()).hexdigest()[:12]


@functools.lru_cache(maxsize=8)
def _segmenter(hmm: bool, user_words: tuple[str, ...]) -> Any:
    """A private jieba.Tokenizer per configuration (never the shared default one).

    Its dictionary is memory-mapped (see :mod:`search.text.jiebadict`): cutting starts in
    milliseconds instead of after the half-second load of jieba's own dict, with the same words.
    """
    from .jiebadict import mapped_tokenizer

    logging.getLogger("jieba").setLevel(logging.WARNING)
    seg = mapped_tokenizer()
    for line in user_words:
        parts = line.split()
        if not parts:
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        seg.add_word(parts[0], freq, tag)
    return seg


def load_dictionary(config: AnalyzerConfig) -> None:
    """Before cutting many texts with ``config`` in this process: its segmenter's dictionary
    loaded whole at once (see ``MappedTokenizer.load_dictionary``); the words cut are the same."""
    seg = _segmenter(config.hmm, config.segmenter_words)
    if hasattr(seg, "load_dictionary"):  # a mapped tokenizer (not jieba's own, loaded already)
        seg.load_dictionary()


def is_dictionary_word(word: str, config: AnalyzerConfig) -> bool:
    """Whether ``word`` is in the dictionary ``config`` segments with (jieba's and the user words)
    or among the words ``config`` records as found in the archive, rather than a word only jieba's
    HMM cut from some text."""
    if word in _new_words(config.new_words):
        return True
    return bool(_segmenter(config.hmm, config.segmenter_words).FREQ.get(word, 0))


@functools.lru_cache(maxsize=8)
def _new_words(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(words)


@functools.lru_cache(maxsize=4)
def _normalized(value: str, simplify: bool) -> Any:
    """normalize() remembered for the last few values: one text feeds several fields in a row."""
    return normalize(value, simplify=simplify)


class _NormalizingTokenizer(Tokenizer):  # type: ignore[misc]
    """Shared plumbing: normalize, then yield Whoosh tokens from (start, end) spans."""

    def __init__(self, config: AnalyzerConfig = AnalyzerConfig()) -> None:
        self.config = config

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.config == other.config  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.config))

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        raise NotImplementedError

    def pieces(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, term) of each token of the normalized ``text``."""
        for start, end in self.spans(text):
            yield start, end, text[start:end]

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        if not isinstance(value, str):
            value = str(value)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        norm = _normalized(value, self.config.simplify)
        text = norm.text
        pos = start_pos
        for start, end, term in self.pieces(text):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = pos
            if chars:
                s, e = norm.original_span(start, end)
                token.startchar = start_char + s
                token.endchar = start_char + e
            pos += 1
            yield token


class WordTokenizer(_NormalizingTokenizer):
    """jieba's accurate-mode words, one ordinal position each; punctuation and spaces dropped.

    jieba splits a text into blocks (runs of ideographs, letters and digits, and the runs
    between them) and segments each block on its own, so a block always gives the same words:
    the words of recent blocks are remembered (news repeats datelines, names, boilerplate).
    """

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        if not text:
            return iter(())
        return _cached_word_spans(self.config.hmm, self.config.segmenter_words)(text)  # type: ignore[no-any-return]


BLOCK_CACHE_SIZE = 1 << 14  # blocks remembered per configuration (~10 MB; 4x more saved 5% of jieba time for ~30 MB)
_BLOCK_CACHE_LONGEST = 256  # longer blocks are segmented each time: they hardly ever repeat


def jieba_word_spans(seg: Any, hmm: bool, text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the word-like words of jieba's ``cut`` of ``text``, without any cache."""
    return _wordlike_spans(seg.cut(text, HMM=hmm))


def _wordlike_spans(words: Iterable[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of the word-like ones among consecutive ``words``."""
    start = 0
    for word in words:
        end = start + len(word)
        if _WORDLIKE.search(word):
            yield start, end
        start = end


@functools.lru_cache(maxsize=8)
def _cached_word_spans(hmm: bool, user_words: tuple[str, ...]) -> Any:
    """``WordTokenizer.spans`` for one configuration, remembering the words of recent blocks."""
    seg = _segmenter(hmm, user_words)
    import jieba  # after _segmenter, which imports it

    split_blocks = jieba.re_han_default.split  # how jieba's cut splits a text into blocks
    is_han_block = jieba.re_han_default.match
    # What cut calls on each block of ideographs, letters and digits (tests compare with cut itself).
    cut_han_block = seg._Tokenizer__cut_DAG if hmm else seg._Tokenizer__cut_DAG_NO_HMM

    def segment(block: str) -> tuple[tuple[int, int], ...]:
        words = cut_han_block(block) if is_han_block(block) else seg.cut(block, HMM=hmm)
        return tuple(_wordlike_spans(words))

    remembered = functools.lru_cache(maxsize=BLOCK_CACHE_SIZE)(segment)

    def word_spans(text: str) -> Iterator[tuple[int, int]]:
        offset = 0
        for block in split_blocks(text):
            if block:
                for start, end in remembered(block) if len(block) <= _BLOCK_CACHE_LONGEST else segment(block):
                    yield offset + start, offset + end
                offset += len(block)

    word_spans.cache_clear = remembered.cache_clear  # type: ignore[attr-defined]
    word_spans.cache_info = remembered.cache_info  # type: ignore[attr-defined]
    return word_spans


class CharTokenizer(_NormalizingTokenizer):
    """Every CJK character alone, other letter/digit runs whole: substring search by phrases."""

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        for m in CHAR_TOKEN.finditer(text):
            yield m.start(), m.end()


class PairTokenizer(CharTokenizer):
    """The bigrams of a text's character tokens with boundaries, at their first element's position.

    A boundary B stands at the text's start and end and for every run of separators (punctuation,
    symbols, spaces, line breaks) between two tokens: 支持，林 is B 支 持 B 林 B, whose pairs are
    B支 支持 持B B林 林B (two boundaries never pair). A string of n ≥ 2 tokens occurs in a text,
    with no separator inside it, exactly when its n - 1 pairs occur at consecutive positions, so a
    phrase of pairs finds the same documents as a phrase of single characters while reading far
    shorter posting lists (中国 is one term, not 中 next to 国); and no pair spans punctuation
    (持林 is not a pair of 支持，林). A boundary pair spans its token.
    """

    def pieces(self, text: str) -> Iterator[tuple[int, int, str]]:
        previous: tuple[int, int, str] | None = None
        for start, end in self.spans(text):
            term = text[start:end]
            if previous is not None and previous[1] == start:
                yield previous[0], end, pair_term(previous[2], term)
            else:
                if previous is not None:
                    yield previous[0], previous[1], pair_term(previous[2], BOUNDARY)
                yield start, end, pair_term(BOUNDARY, term)
            previous = (start, end, term)
        if previous is not None:
            yield previous[0], previous[1], pair_term(previous[2], BOUNDARY)

    def phrase_terms(self, text: str) -> list[str]:
        """The pair terms a text of ≥ 2 tokens is found by, as a phrase; [] for fewer tokens.

        Separators inside ``text`` are boundaries, so any run of separators matches them; the
        text's own ends are not (a query matches inside longer text), and separators before its
        first or after its last token are ignored.
        """
        return [term for _, _, term in self.pieces(normalize(text, simplify=self.config.simplify).text)][1:-1]

    def phrases(self, text: str) -> list[list[str]]:
        """The phrases of pair terms a quoted ``text`` is found by (any of them); [] for < 2 tokens.

        Like :meth:`phrase_terms`, except that a space next to a CJK character (``美国 总统``,
        ``于 2030``) may also stand for no separator at all: people put spaces between the words of
        a query, and 美国 总统 finds 美国总统 as well as 美国 总统 and 美国，总统. Up to
        ``OPTIONAL_SPACES`` such spaces give one phrase per combination; with more, each is a
        separator. Punctuation in ``text`` always stands for a separator.
        """
        norm = normalize(text, simplify=self.config.simplify).text
        spans = list(self.spans(norm))
        if len(spans) < 2:
            return []
        optional = [
            i for i in range(1, len(spans))
            if optional_space(norm, spans[i - 1][1], spans[i][0])
        ]
        if len(optional) > OPTIONAL_SPACES:
            optional = []
        found: list[list[str]] = []
        for joined in itertools.product((False, True), repeat=len(optional)):
            removed = {i for i, join in zip(optional, joined) if join}
            parts = [norm[spans[0][0] : spans[0][1]]]
            for i in range(1, len(spans)):
                if i not in removed:
                    parts.append(norm[spans[i - 1][1] : spans[i][0]])
                parts.append(norm[spans[i][0] : spans[i][1]])
            found.append(self.phrase_terms("".join(parts)))
        return found


OPTIONAL_SPACES = 4  # at most this many spaces of a quoted phrase may stand for no separator


def optional_space(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]``, between two tokens, is whitespace next to a CJK character."""
    return (
        start < end
        and text[start:end].isspace()
        and (_ONE_CJK(text[start - 1]) is not None or _ONE_CJK(text[end]) is not None)
    )


def pair_term(first: str, second: str) -> str:
    """The pair term of two neighbours: tokens or a token and ``BOUNDARY``.

    Two ideographs join as they are (中国), a token and the boundary too (中|, |ab); otherwise a
    space keeps letter runs apart (ab+c ≠ a+bc). Tokens contain neither a space nor ``BOUNDARY``.
    """
    if first == BOUNDARY or second == BOUNDARY or (_ONE_CJK(first) and _ONE_CJK(second)):
        return first + second
    return f"{first} {second}"


def word_analyzer(config: AnalyzerConfig = AnalyzerConfig()) -> Analyzer:
    """The analyzer of the ranking fields (title, text)."""
    return WordTokenizer(config)


def char_analyzer(config: AnalyzerConfig = AnalyzerConfig()) -> Analyzer:
    """The analyzer of the single-character recall fields (title_chars, text_chars)."""
    return CharTokenizer(config)


def pair_analyzer(config: AnalyzerConfig = AnalyzerConfig()) -> Analyzer:
    """The analyzer of the character-pair recall fields (title_pairs, text_pairs)."""
    return PairTokenizer(config)
