"""Boilerplate learned at index time: paragraphs that recur verbatim across many articles of one outlet.

A first pass shows every parsed document to a :class:`RecurringParagraphs` counter; its
:meth:`~RecurringParagraphs.learn` result then drops, in a second pass, each paragraph seen in at
least ``min(30, max(min_articles, share * articles of that group))`` articles of the same group.
Each article counts in three groups: its outlet, the host of its URL, and its folder, so a footer
is learned even when the outlet was misread (every post's "source" its author). A paragraph
learned for a folder alone is weaker evidence: it must recur in a fifth of the folder's articles,
and is removed only from the head or tail of an article (a wire story copied by several outlets
of one folder keeps its text). Only paragraphs that can be
boilerplate are counted: not short lines, numbered items or lines that end in a colon. Counting
keeps only 8-byte digests, so it stays small and fast on large archives.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from search import Document

PARAGRAPH_SEPARATOR = "\n\n"
MIN_ARTICLES = 5
SHARE = 0.02
MAX_ARTICLES = 30  # verbatim in 30 articles of one outlet is boilerplate, however big the outlet
FOLDER_SHARE = 0.2  # a folder mixes outlets: what recurs in a fifth of its articles is the site's
GROUP_SEPARATOR = "\x1f"
FOLDER = "folder:"
MIN_CHARS = 8  # a shorter line is learned only when it reads like boilerplate (订阅, 广告, APP …)
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
# Lines whose numbers are a date, a time or an editor's date code: the numbers change, the line does not.
_DATE_STAMP = re.compile(r"\d{1,4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,4}|\d{1,2}:\d{2}|\d{6,8}\s*$")
_NUMBERED = re.compile(
    r"\A\s*(\d{1,3}|[一二三四五六七八九十百]+|[a-zA-Z])\s*[、.．)）]|\A\s*[（(]\s*(\d{1,3}|[一二三四五六七八九十]+)\s*[)）]"
    r"|\A\s*第\s*[\d一二三四五六七八九十百]+\s*[章节節条條部篇回集期]"
)
_BOILERPLATE_WORDS = re.compile(
    r"订阅|訂閱|关注|關注|广告|廣告|下载|下載|点击|點擊|转载|轉載|分享|版权|版權|原文|来源|來源|app|rss|©|http", re.I
)


def paragraph_key(paragraph: str) -> bytes:
    """The digest two paragraphs share when they differ only in spacing, case, or the numbers of
    a date stamp (so dated footers like ``29/07/2020 - 15:05`` or ``（編輯：…）1091220`` count as one)."""
    normalized = _SPACE.sub(" ", paragraph).strip().casefold()
    if _DATE_STAMP.search(normalized):
        normalized = _DIGITS.sub("0", normalized)
    return hashlib.blake2b(normalized.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def learnable(paragraph: str) -> bool:
    """Whether a paragraph may be learned as boilerplate: not a numbered item or heading, not a
    line ending in a colon (``註釋：``), and not a short line (``国内联播快讯``) unless it reads
    like boilerplate."""
    text = paragraph.strip()
    if not text or text[-1] in "：:" or _NUMBERED.match(text):
        return False
    return len(_SPACE.sub("", text)) >= MIN_CHARS or bool(_BOILERPLATE_WORDS.search(text))


def outlet_key(document: Document) -> str:
    """The groups in which a document's paragraphs are counted, joined by ``GROUP_SEPARATOR``: its
    outlet, its URL's host and the folder of its file."""
    groups = [document.source] if document.source else []
    host = (urlsplit(document.url).hostname or "").lower().removeprefix("www.") if document.url else ""
    if host:
        groups.append(f"host:{host}")
    groups.append(FOLDER + str(PurePosixPath(document.path).parent))
    return GROUP_SEPARATOR.join(groups)


def groups(key: str) -> list[str]:
    """The groups of an :func:`outlet_key`."""
    return key.split(GROUP_SEPARATOR)


@dataclass(frozen=True)
class LearnedBoilerplate:
    """The recurring paragraphs of each outlet, by digest."""

    by_outlet: dict[str, frozenset[bytes]]

    @property
    def size(self) -> int:
        """Distinct paragraphs learned (one learned for an outlet and its host counts once)."""
        return len(frozenset().union(*self.by_outlet.values()))

    def strip(self, document: Document) -> tuple[Document, int]:
        """The document without its outlet's recurring paragraphs, and how many were dropped.

        The returned document's fingerprints are stale when paragraphs were dropped: the caller
        recomputes them (see ``indexer.article.finish_document``).
        """
        key = outlet_key(document)
        keys, at_ends = self.keys_of(key, folders=False), self.keys_of(key)
        if not at_ends or not document.text:
            return document, 0
        paragraphs = document.text.split(PARAGRAPH_SEPARATOR)
        digests = [paragraph_key(p) for p in paragraphs]
        drop = [d in keys for d in digests]
        for order in (range(len(drop)), range(len(drop) - 1, -1, -1)):  # the head, then the tail
            for i in order:
                if digests[i] not in at_ends:
                    break
                drop[i] = True
        kept = [p for p, dropped in zip(paragraphs, drop, strict=True) if not dropped]
        dropped = len(paragraphs) - len(kept)
        if not dropped:
            return document, 0
        return replace(document, text=PARAGRAPH_SEPARATOR.join(kept)), dropped

    def keys_of(self, key: str, *, folders: bool = True) -> frozenset[bytes]:
        """The paragraphs learned for any group of ``key`` (an :func:`outlet_key`); without
        ``folders``, for its outlet and host only."""
        return frozenset().union(
            *(self.by_outlet.get(g, frozenset()) for g in groups(key) if folders or not g.startswith(FOLDER))
        )

    def changed_keys(self, other: LearnedBoilerplate) -> dict[str, frozenset[bytes]]:
        """Per outlet, the paragraphs learned by exactly one of ``self`` and ``other``."""
        changed: dict[str, frozenset[bytes]] = {}
        for outlet in self.by_outlet.keys() | other.by_outlet.keys():
            keys = self.by_outlet.get(outlet, frozenset()) ^ other.by_outlet.get(outlet, frozenset())
            if keys:
                changed[outlet] = keys
        return changed


def paragraph_keys(document: Document) -> frozenset[bytes]:
    """The distinct digests of a document's learnable paragraphs (what the census counts)."""
    if not document.text:
        return frozenset()
    return frozenset(paragraph_key(p) for p in document.text.split(PARAGRAPH_SEPARATOR) if learnable(p))


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
        """Count one article of ``outlet`` (an :func:`outlet_key`) whose paragraphs have these digests."""
        for group in groups(outlet):
            self._articles[group] += 1
            self._paragraphs[group].update(keys)

    def forget(self, outlet: str, keys: frozenset[bytes]) -> None:
        """Undo :meth:`count` for an article that changed or is gone."""
        for group in groups(outlet):
            self._articles[group] -= 1
            counts = self._paragraphs[group]
            counts.subtract(keys)
            for key in keys:
                if counts[key] <= 0:
                    del counts[key]

    def threshold(self, outlet: str) -> int:
        share = FOLDER_SHARE if outlet.startswith(FOLDER) else self.share
        return min(MAX_ARTICLES, max(self.min_articles, math.ceil(share * self._articles[outlet])))

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
