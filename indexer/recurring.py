"""Boilerplate learned at index time: paragraphs that recur verbatim across many articles of one outlet.

A first pass shows every parsed document to a :class:`RecurringParagraphs` counter; its
:meth:`~RecurringParagraphs.learn` result then drops, in a second pass, each paragraph seen in at
least ``min(30, max(min_articles, share * articles of that group))`` articles of the same group.
Each article counts in three groups: its outlet, the host of its URL, and its folder, so a footer
is learned even when the outlet was misread (every post's "source" its author). A paragraph
learned for a folder alone is weaker evidence: it must recur in a fifth of the folder's articles,
and is removed only from the head or tail of an article (a wire story copied by several outlets
of one folder keeps its text). Only paragraphs that can be
boilerplate are counted: not headings, short lines, numbered items or lines that end in a colon.
Counting keeps only 8-byte digests, so it stays small and fast on large archives.

Titles are counted the same way: the site name after the last separator of a title
(``… | 北岸评论``, ``…-某某财经``) is learned for a group when a third of its titles end with it, and
removed from the titles of that group. A title suffix's digest starts with a zero byte (no
paragraph's does), so it is counted, stored and updated with the paragraphs.
"""

from __future__ import annotations

import hashlib
import math
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import numpy as np

from zhsearch.search import Document
from zhsearch.search.results.document import heading_level

from .metadata import name_key, split_title_suffix

PARAGRAPH_SEPARATOR = "\n\n"
MIN_ARTICLES = 5
SHARE = 0.02
MAX_ARTICLES = 30  # verbatim in 30 articles of one outlet is boilerplate, however big the outlet
FOLDER_SHARE = 0.2  # a folder mixes outlets: what recurs in a fifth of its articles is the site's
GROUP_SEPARATOR = "\x1f"
FOLDER = "folder:"
TITLE_SHARE = 0.3  # a site's name ends most titles of the site; a column's name, a few of them
TITLE_TAG = 0  # the first byte of a title suffix's digest (a paragraph's never has it)
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
    digest = hashlib.blake2b(normalized.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return digest if digest[0] != TITLE_TAG else b"\x01" + digest[1:]


def title_suffix_key(suffix: str) -> bytes:
    """The digest of a title's site-name suffix (spellings folded: ``法廣`` and ``法广`` are one)."""
    digest = hashlib.blake2b(name_key(suffix).encode("utf-8", "surrogatepass"), digest_size=7).digest()
    return bytes([TITLE_TAG]) + digest


def is_title_key(key: bytes) -> bool:
    return key[0] == TITLE_TAG


def title_key(document: Document) -> bytes | None:
    """The digest of the suffix after the last separator of the document's title, if it has one."""
    found = split_title_suffix(document.title)
    return title_suffix_key(found[1]) if found else None


def learnable(paragraph: str) -> bool:
    """Whether a paragraph may be learned as boilerplate: not a numbered item or heading, not a
    line ending in a colon (``註釋：``), and not a short line (``国内联播快讯``) unless it reads
    like boilerplate."""
    text = paragraph.strip()
    if not text or text[-1] in "：:" or _NUMBERED.match(text) or heading_level(text)[0]:
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
        return sum(not is_title_key(k) for k in frozenset().union(*self.by_outlet.values()))

    @property
    def title_suffixes(self) -> int:
        """Distinct title suffixes learned."""
        return sum(is_title_key(k) for k in frozenset().union(*self.by_outlet.values()))

    def strip(self, document: Document) -> tuple[Document, int]:
        """The document without its outlet's recurring paragraphs and its title without a learned
        site-name suffix; with how many paragraphs were dropped.

        The returned document's fingerprints are stale when paragraphs were dropped: the caller
        recomputes them (see ``indexer.article.finish_document``).
        """
        key = outlet_key(document)
        keys, at_ends = self.keys_of(key, folders=False), self.keys_of(key)
        title = self.title_without_suffix(document.title, at_ends)
        if title != document.title:
            document = replace(document, title=title)
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

    @staticmethod
    def title_without_suffix(title: str, learned: frozenset[bytes]) -> str:
        """``title`` without its last suffix when that suffix is one of ``learned``."""
        found = split_title_suffix(title)
        return found[0] if found and title_suffix_key(found[1]) in learned else title

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
    """The distinct digests of a document's learnable paragraphs and of its title's suffix (what
    the census counts)."""
    keys = {paragraph_key(p) for p in document.text.split(PARAGRAPH_SEPARATOR) if learnable(p)} if document.text else set()
    suffix = title_key(document)
    if suffix is not None:
        keys.add(suffix)
    return frozenset(keys)


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

    def title_threshold(self, outlet: str) -> int:
        """Titles a suffix must end to be learned: a share of the group's, never capped."""
        return max(self.min_articles, math.ceil(TITLE_SHARE * self._articles[outlet]))

    def learn(self) -> LearnedBoilerplate:
        learned: dict[str, frozenset[bytes]] = {}
        for outlet, counts in self._paragraphs.items():
            if self._articles[outlet] <= 0:
                continue
            limit, titles = self.threshold(outlet), self.title_threshold(outlet)
            keys = frozenset(key for key, n in counts.items() if n >= (titles if is_title_key(key) else limit))
            if keys:
                learned[outlet] = keys
        return LearnedBoilerplate(learned)


_TITLE_LIMIT = 1 << 56  # a digest below this, read as a big-endian integer, starts with TITLE_TAG
_DIGEST = np.dtype(">u8")  # a digest as an integer whose bytes are the digest's


class ParagraphCensus:
    """The outlet and paragraph digests of each document of a build, compact: what
    :class:`RecurringParagraphs` counts, kept as ~8 bytes a digest plus ~12 bytes a document.

    Every document's digests (sorted) go to one growing byte array, its outlet key (interned) to
    an array of numbers; :meth:`learn` counts them at the end, with numpy, and learns exactly
    what a :class:`RecurringParagraphs` shown the same documents learns (same groups, same order).
    """

    def __init__(self) -> None:
        self._keys = bytearray()  # the digests of every document, each document's sorted
        self._ends = array("Q")  # where each document's digests end in _keys (in digests)
        self._outlet_of = array("I")  # each document's outlet key, as its number in _outlets
        self._outlets: dict[str, int] = {}  # outlet key -> number, in order of first appearance
        self._names: list[str] = []  # the outlet keys by number

    def __len__(self) -> int:
        return len(self._ends)

    def count(self, outlet: str, keys: frozenset[bytes]) -> None:
        """Record one document of ``outlet`` (an :func:`outlet_key`) with these digests (8 bytes each)."""
        if any(len(k) != _DIGEST.itemsize for k in keys):
            raise ValueError("paragraph digests are 8 bytes")
        self._keys += b"".join(sorted(keys))
        self._ends.append(len(self._keys) // _DIGEST.itemsize)
        number = self._outlets.setdefault(outlet, len(self._outlets))
        if number == len(self._names):
            self._names.append(outlet)
        self._outlet_of.append(number)

    def outlet(self, i: int) -> str:
        return self._names[self._outlet_of[i]]

    def digests(self, i: int) -> bytes:
        """Document ``i``'s digests, sorted and joined."""
        start = self._ends[i - 1] if i else 0
        return bytes(self._keys[start * _DIGEST.itemsize : self._ends[i] * _DIGEST.itemsize])

    def entries(self) -> Iterator[tuple[str, frozenset[bytes]]]:
        """(outlet key, digests) of each document, in order."""
        for i, number in enumerate(self._outlet_of):
            raw = self.digests(i)
            yield self._names[number], frozenset(raw[j : j + 8] for j in range(0, len(raw), 8))

    def learn(self, *, min_articles: int = MIN_ARTICLES, share: float = SHARE) -> LearnedBoilerplate:
        """What ``RecurringParagraphs(min_articles=…, share=…)`` counting every document learns."""
        rules = RecurringParagraphs(min_articles=min_articles, share=share)
        keys = np.frombuffer(self._keys, dtype=_DIGEST)
        ends = np.frombuffer(self._ends, dtype=np.uint64).astype(np.int64)
        outlet_of = np.frombuffer(self._outlet_of, dtype=np.uint32)
        per_document = np.diff(ends, prepend=0)
        # each digest's outlet; digests sorted by it (stable), so an outlet's are one slice
        by_outlet = np.repeat(outlet_of, per_document)
        order = np.argsort(by_outlet, kind="stable")
        sorted_keys = keys[order]
        del order
        bounds = np.concatenate(([0], np.cumsum(np.bincount(by_outlet, minlength=len(self._outlets)))))
        del by_outlet
        articles_of = np.bincount(outlet_of, minlength=len(self._outlets))
        members: dict[str, list[int]] = {}  # group -> its outlet keys (once per occurrence), groups in order of appearance
        for outlet, number in self._outlets.items():
            for group in groups(outlet):
                members.setdefault(group, []).append(number)
        learned: dict[str, frozenset[bytes]] = {}
        for group, numbers in members.items():
            rules._articles[group] = int(sum(int(articles_of[n]) for n in numbers))
            if rules._articles[group] <= 0:
                continue
            limit, titles = rules.threshold(group), rules.title_threshold(group)
            found = np.concatenate([sorted_keys[bounds[n] : bounds[n + 1]] for n in numbers])
            distinct, counts = np.unique(found, return_counts=True)
            chosen = distinct[counts >= np.where(distinct < _TITLE_LIMIT, titles, limit)]
            if chosen.size:
                raw = chosen.astype(_DIGEST).tobytes()
                learned[group] = frozenset(raw[j : j + 8] for j in range(0, len(raw), 8))
        return LearnedBoilerplate(learned)
