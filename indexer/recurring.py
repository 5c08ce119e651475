"""Boilerplate learned at index time: paragraphs that recur verbatim across many articles of one outlet.

A first pass shows every parsed document to a :class:`RecurringParagraphs` counter; its
:meth:`~RecurringParagraphs.learn` result then drops, in a second pass, each paragraph seen in at
least ``min(30, max(min_articles, share * articles of that outlet))`` articles of the same outlet. Counting
keeps only 8-byte digests, so it stays small and fast on large archives.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace

from search import Document

PARAGRAPH_SEPARATOR = "\n\n"
MIN_ARTICLES = 5
SHARE = 0.02
MAX_ARTICLES = 30  # verbatim in 30 articles of one outlet is boilerplate, however big the outlet
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def paragraph_key(paragraph: str) -> bytes:
    """The digest two paragraphs share when they differ only in spacing, case or the numbers in
    them (so dated footers like ``29/07/2020 - 15:05`` or ``（編輯：…）1091220`` count as one)."""
    normalized = _DIGITS.sub("0", _SPACE.sub(" ", paragraph).strip().casefold())
    return hashlib.blake2b(normalized.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def outlet_key(document: Document) -> str:
    """The group in which paragraphs are counted: the outlet, or '' when it is unknown."""
    return document.source or ""


@dataclass(frozen=True)
class LearnedBoilerplate:
    """The recurring paragraphs of each outlet, by digest."""

    by_outlet: dict[str, frozenset[bytes]]

    @property
    def size(self) -> int:
        return sum(len(keys) for keys in self.by_outlet.values())

    def strip(self, document: Document) -> tuple[Document, int]:
        """The document without its outlet's recurring paragraphs, and how many were dropped.

        The returned document's fingerprints are stale when paragraphs were dropped: the caller
        recomputes them (see ``indexer.article.finish_document``).
        """
        keys = self.by_outlet.get(outlet_key(document))
        if not keys or not document.text:
            return document, 0
        paragraphs = document.text.split(PARAGRAPH_SEPARATOR)
        kept = [p for p in paragraphs if paragraph_key(p) not in keys]
        dropped = len(paragraphs) - len(kept)
        if not dropped:
            return document, 0
        return replace(document, text=PARAGRAPH_SEPARATOR.join(kept)), dropped

    def changed_keys(self, other: LearnedBoilerplate) -> dict[str, frozenset[bytes]]:
        """Per outlet, the paragraphs learned by exactly one of ``self`` and ``other``."""
        changed: dict[str, frozenset[bytes]] = {}
        for outlet in self.by_outlet.keys() | other.by_outlet.keys():
            keys = self.by_outlet.get(outlet, frozenset()) ^ other.by_outlet.get(outlet, frozenset())
            if keys:
                changed[outlet] = keys
        return changed


def paragraph_keys(document: Document) -> frozenset[bytes]:
    """The distinct paragraph digests of a document's text (what the census counts)."""
    if not document.text:
        return frozenset()
    return frozenset(paragraph_key(p) for p in document.text.split(PARAGRAPH_SEPARATOR))


class RecurringParagraphs:
    """Counts, per outlet, in how many articles each paragraph occurs.

    The counts can go down as well as up (:meth:`forget`), so an update can keep the census of
    the articles of an index current without reading the unchanged ones again.
    """

    def __init__(self, *, min_articles: int = MIN_ARTICLES, share: float = SHARE) -> None:
        self.min_articles = min_articles
        self.share = share
        self._articles: Counter[str] = Counter()
        self._paragraphs: defaultdict[str, Counter[bytes]] = defaultdict(Counter)

    def observe(self, document: Document) -> None:
        self.count(outlet_key(document), paragraph_keys(document))

    def count(self, outlet: str, keys: frozenset[bytes]) -> None:
        """Count one article of ``outlet`` whose paragraphs have these digests."""
        self._articles[outlet] += 1
        self._paragraphs[outlet].update(keys)

    def forget(self, outlet: str, keys: frozenset[bytes]) -> None:
        """Undo :meth:`count` for an article that changed or is gone."""
        self._articles[outlet] -= 1
        counts = self._paragraphs[outlet]
        counts.subtract(keys)
        for key in keys:
            if counts[key] <= 0:
                del counts[key]

    def threshold(self, outlet: str) -> int:
        return min(MAX_ARTICLES, max(self.min_articles, math.ceil(self.share * self._articles[outlet])))

    def learn(self) -> LearnedBoilerplate:
        learned: dict[str, frozenset[bytes]] = {}
        for outlet, counts in self._paragraphs.items():
            if self._articles[outlet] <= 0:
                continue
            limit = self.threshold(outlet)
            keys = frozenset(key for key, n in counts.items() if n >= limit)
            if keys:
                learned[outlet] = keys
        return LearnedBoilerplate(learned)
