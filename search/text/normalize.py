"""Text normalization shared by indexing and querying, with a map back to original offsets.

Normalization folds what a reader treats as the same text: NFKC (full-width and half-width
forms), case, zero-width characters, and traditional to simplified Chinese (OpenCC ``t2s``,
applied to each character alone so that the fold never depends on context).
Every normalized character remembers the index of the original character it came from, so
matches found in normalized text highlight the original text exactly.
"""

from __future__ import annotations

import functools
import re
import sys
from array import array
import unicodedata
from dataclasses import dataclass
from collections.abc import Iterator
from typing import Any

# Characters that carry no text: removed before anything else looks at the string.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalized text plus, for each of its characters, the index of the source character."""

    text: str
    source: str
    offsets: tuple[int, ...] | None  # None means identity: text[i] came from source[i]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalized slice [start, end) to the smallest covering original slice."""
        if self.offsets is None:
            return start, end
        if start >= end:
            pos = self.offsets[start] if start < len(self.offsets) else len(self.source)
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1


@functools.cache
def _tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """One-to-one BMP folds as a str.translate table, and a pattern for everything else."""
    table: dict[int, str] = {}
    special: list[str] = []
    for ch in _changing_characters():
        folded = unicodedata.normalize("NFKC", ch).casefold()
        if ch in INVISIBLE or unicodedata.combining(ch) or (folded != ch and len(folded) != 1):
            special.append(ch)
        elif folded != ch:
            table[ord(ch)] = folded
    escaped = "".join(re.escape(c) for c in special)
    # Anything outside the BMP, lone surrogates, and the characters found above take the slow path.
    pattern = re.compile("[" + escaped + "\ud800-\udfff\U00010000-\U0010ffff]")
    return table, pattern


_BLOCK = 64
_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"


def _changing_characters() -> Iterator[str]:
    """The BMP characters (surrogates aside) that the fold may change, in code point order.

    A block of characters that is NFKC-normalized, casefolds to itself and holds no combining
    or invisible character folds to itself character by character too, so only the other
    blocks are looked at one character at a time (the loop over every character costs a
    tenth of a second, paid by every one-shot search).
    """
    bmp = array("I", [*range(0xD800), *range(0xE000, 0x10000)]).tobytes().decode(_UTF32)
    invisible = set(INVISIBLE)
    for start in range(0, len(bmp), _BLOCK):
        block = bmp[start : start + _BLOCK]
        if (
            unicodedata.is_normalized("NFKC", block)
            and block.casefold() == block
            and not any(map(unicodedata.combining, block))
            and invisible.isdisjoint(block)
        ):
            continue
        yield from block


_HAN_RANGES = ((0x3400, 0xA000), (0xF900, 0xFB00), (0x20000, 0x2A6E0), (0x2F800, 0x2FA20))


class _SimplifiedTable(dict[int, str]):
    """OpenCC's traditional-to-simplified mapping of each Han character taken alone, filled in as
    characters are met (a str.translate table: an unchanged character maps to itself).

    Folding character by character keeps the fold context-free: a substring of a text folds
    to a substring of the text's fold, which is what guarantees substring recall. Phrase-level
    conversions (軟體/软件) are searched as query variants instead, see :func:`script_variants`.
    Converting every Han character up front cost a tenth of a second of every one-shot search.
    """

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        folded = ch
        if any(lo <= cp < hi for lo, hi in _HAN_RANGES):
            converted = _opencc("t2s").convert(ch)
            if len(converted) == 1:
                folded = converted
        self[cp] = folded
        return folded


@functools.cache
def _simplified_table() -> _SimplifiedTable:
    return _SimplifiedTable()


def _to_simplified(text: str) -> str:
    return text.translate(_simplified_table())


@functools.cache
def _opencc(config: str) -> Any:
    import opencc  # imported lazily: loading its dictionaries costs time at startup

    return opencc.OpenCC(config)


def _fold_special(text: str, special: re.Pattern[str], simplify: bool, offsets: list[int] | None) -> str:
    """The fold of a text with special characters; the runs between them fold as :func:`_fold_run`.
    With ``offsets``, the source index of each folded character is appended to it."""
    parts: list[str] = []
    pos = 0
    for m in special.finditer(text):
        if m.start() > pos:
            parts.append(_fold_run(text[pos : m.start()], simplify))
            if offsets is not None:
                offsets.extend(range(pos, m.start()))
        ch = m.group()
        pos = m.end()
        if ch in INVISIBLE or 0xD800 <= ord(ch) <= 0xDFFF:
            continue  # invisible, or a lone surrogate: not text
        folded = unicodedata.normalize("NFKC", ch).casefold()
        parts.append(_to_simplified(folded) if simplify else folded)
        if offsets is not None:
            offsets.extend([m.start()] * len(folded))
    if pos < len(text):
        parts.append(_fold_run(text[pos:], simplify))
        if offsets is not None:
            offsets.extend(range(pos, len(text)))
    return "".join(parts)


def _fold_run(run: str, simplify: bool) -> str:
    """A run without special characters, folded character by character (one to one: the offsets
    are the identity), by array when it is long enough to gain."""
    if len(run) >= _ARRAY_FOLD_FROM:
        return _array_fold(simplify).fold(run)
    folded = run.translate(_tables()[0])
    return _to_simplified(folded) if simplify else folded


def normalize(text: str, *, simplify: bool = True) -> Normalized:
    """Fold ``text`` for matching; see the module docstring for what is folded."""
    special = _tables()[1]
    if special.search(text) is None:
        return Normalized(_fold_run(text, simplify), text, None)
    offsets: list[int] = []
    folded = _fold_special(text, special, simplify, offsets)
    return Normalized(folded, text, tuple(offsets))


def fold(text: str, *, simplify: bool = True) -> str:
    """The normalized form of ``text`` alone (for query terms and comparisons): ``normalize(text).text``
    without the offsets."""
    special = _tables()[1]
    if special.search(text) is None:
        return _fold_run(text, simplify)
    return _fold_special(text, special, simplify, None)


_ARRAY_FOLD_FROM = 200  # characters: shorter texts fold faster by str.translate


class _ArrayFold:
    """The fold of a long run without special characters as one lookup in a code point array
    (:func:`_fold_run`, for :func:`normalize` and :func:`fold` alike).

    ``str.translate`` looks every character up in a dict; a whole stored article (long queries
    compare their clauses with the first hundred, snippets search it) folds many times faster as
    a numpy array indexed by its code points. Only the code points met so far are in the array,
    each folded by the very tables ``str.translate`` is given for short runs, so both give the
    same text (tests compare them with the character-by-character definition)."""

    def __init__(self, simplify: bool) -> None:
        import numpy as np  # noqa: PLC0415 (only long texts come here)

        self._np = np
        self._simplify = simplify
        self._map = np.arange(0x10000, dtype=np.uint32)  # the fast path holds BMP characters only
        self._known = np.zeros(0x10000, dtype=bool)

    def fold(self, text: str) -> str:
        np = self._np
        points = np.frombuffer(text.encode(_UTF32), dtype=np.uint32)
        unknown = ~self._known[points]  # a gather, not a sort: once warm, every code point is known
        if unknown.any():
            new = np.unique(points[unknown])
            table, _ = _tables()
            simplified = _simplified_table()
            for cp in new.tolist():
                ch = table.get(cp, chr(cp))
                if self._simplify:
                    ch = ch.translate(simplified)
                self._map[cp] = ord(ch)
            self._known[new] = True
        return self._map[points].tobytes().decode(_UTF32)


@functools.cache
def _array_fold(simplify: bool) -> _ArrayFold:
    return _ArrayFold(simplify)


# The round trip through Taiwan phrases catches Taiwan words typed (or folded) in simplified
# characters: 计画 → 計畫 → 计划, 网路 → 網路 → 网络; unquoted runs search such folded words.
VARIANT_CONFIGS = (("t2s",), ("s2twp",), ("tw2sp",), ("s2twp", "tw2sp"))


def script_variants(text: str, *, simplify: bool = True) -> list[str]:
    """Normalized spellings of ``text`` that mean the same across Chinese scripts, primary first.

    Besides the character-level fold, OpenCC's phrase conversions are applied (t2s, the
    Taiwan phrase tables both ways, and the round trip through them), so that 瞭解 and 了解,
    軟體 and 软件, 資訊 and 资讯, 计画 and 计划 find each other.
    """
    primary = fold(text, simplify=simplify)
    if not simplify or not re.search("[\u3400-\u9fff\uf900-\ufaff]", text):
        return [primary]
    from .scriptkeys import may_vary

    if not may_vary(primary):  # no phrase table can change it: the converters are not even loaded
        return [primary]
    variants = [primary]
    for chain in VARIANT_CONFIGS:
        converted = text
        try:
            for config in chain:
                converted = _opencc(config).convert(converted)
        except (UnicodeError, RuntimeError):
            continue
        folded = fold(converted, simplify=simplify)
        if folded not in variants:
            variants.append(folded)
    return variants
