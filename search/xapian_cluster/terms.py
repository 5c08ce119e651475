"""The shared analyzer's output as Xapian terms: one prefix per zhsearch field, positions kept.

A document gets exactly the terms the Whoosh schema gives it (jieba words, characters, pairs of
characters, filter keywords), so a query finds the same documents in either backend.

Ranking is the embedded index's BM25F, computed in two halves. Xapian 1.4 normalises by the
length of the whole document and has no per-field BM25; so each term's wdf is its *impact*, the
document-side part of Whoosh's per-field BM25 (the boosted term frequency saturated against the
field's own length), times :data:`IMPACT_SCALE`; the searcher weights a term by its wdf
(``TfIdfWeight("nnn")``) scaled by Whoosh's IDF of the term, which the query's statistics give
(:mod:`.query`). A document's score is then Whoosh's, to the rounding of the wdf, with the
field-length averages of the last full build (``zhsearch.field_averages``).
"""

from __future__ import annotations

import functools
import math
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import xapian
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length, length_to_byte

from ..text.analysis import AnalyzerConfig, CharTokenizer, PairTokenizer, WordTokenizer
from ..results.document import Document
from ..embedded.schema import TITLE_BOOST
from ..embedded.segments import analyzed_terms
from ..text.normalize import normalize

# Every prefix has two letters, so no prefix is the start of another one's term.
PREFIXES = {
    "title": "WT", "text": "WX",  # jieba words (ranking; positions for phrases of words)
    "title_chars": "CT", "text_chars": "CX",  # single characters (recall of one-character terms)
    "title_pairs": "PT", "text_pairs": "PX",  # pairs of characters with boundaries (recall, positions)
    "source": "XS", "categories": "XC", "tags": "XT", "month": "XM",  # filters: boolean terms
}
FIELD_BOOSTS = {"title": TITLE_BOOST}  # as the schema's field_boost: it multiplies the term frequency
SCORED_FIELDS = ("title", "text", "title_chars", "text_chars", "title_pairs", "text_pairs")
_BM25F = BM25F()  # the embedded index's weighting, with its defaults
K1, B = float(_BM25F.K1), float(_BM25F.B)
IMPACT_SCALE = 1000  # a term's wdf: its BM25 frequency part (0 … K1 + 1) times this, rounded
WEIGHTS_FORMAT = "bm25f-impact-1"  # what a term's wdf means (metadata zhsearch.weights)
GROUP_PREFIX = "XG"  # the duplicate group a document belongs to (boolean)
GENERATION_PREFIX = "XV"  # the build a document belongs to: searches read the live one only
SLOT_PREFIX = "XK"  # generation + id hash: the one document of an id in one build (replaced, deleted)
ID_PREFIX = "Q"  # Q + sha1 of the id: ids of any length (Xapian terms end at 245 bytes)
ID_TEXT_PREFIX = "XI"  # the id itself, cut to fit a term: for ids typed by their start
UNIT_TERM = "XW"  # in every document with a wdf of IMPACT_SCALE: a constant score, scaled (a bonus)
MAX_TERM_BYTES = 245

# Value slots
DATE, NEWEST, OLDEST, SOURCE, MONTH, GROUP, ORDINAL = range(7)
CATEGORY_SLOTS = tuple(range(10, 26))  # a document's distinct categories and tags, for facet counts
_NO_DATE_LOW = "0" * 20
_NO_DATE_HIGH = "~" * 20
_ORDINAL_WIDTH = 12


@functools.lru_cache(maxsize=4096)
def stored_length(length: int) -> int:
    """A field length as Whoosh keeps it (one byte: the scores read this approximation)."""
    return int(byte_to_length(length_to_byte(length)) or 0)


def impact(frequency: int, length: int, average: float, boost: float = 1.0) -> int:
    """The wdf of a term ``frequency`` times in a field of ``length`` tokens (``average`` over the
    archive): Whoosh's BM25F frequency part, ``(K1 + 1)·w / (w + K1·((1 − B) + B·length/average))``
    with ``w = frequency × boost``, times :data:`IMPACT_SCALE`; at least 1 (the term is there)."""
    weight = frequency * boost
    norm = (1 - B) + B * stored_length(length) / (average or 1.0)
    return max(1, round(IMPACT_SCALE * weight * (K1 + 1) / (weight + K1 * norm)))


def idf(frequency: int, documents: int) -> float:
    """Whoosh's IDF of a term in ``frequency`` of ``documents`` documents (``WeightingModel.idf``)."""
    return math.log(documents / (frequency + 1)) + 1


def date_key(value: datetime) -> str:
    """A date as a value that sorts as it compares (naive UTC, microseconds)."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y%m%d%H%M%S%f").rjust(20, "0")


def id_term(doc_id: str) -> str:
    return ID_PREFIX + hashlib.sha1(doc_id.encode("utf-8")).hexdigest()


def generation_term(generation: int) -> str:
    return f"{GENERATION_PREFIX}{generation}"


def slot_term(doc_id: str, generation: int) -> str:
    return f"{SLOT_PREFIX}{generation}:{id_term(doc_id)[len(ID_PREFIX):]}"


def id_text_term(doc_id: str) -> str:
    return fit(ID_TEXT_PREFIX + doc_id)


def fit(term: str) -> str:
    """``term`` cut (at a character boundary) to the longest Xapian accepts."""
    data = term.encode("utf-8")
    if len(data) <= MAX_TERM_BYTES:
        return term
    return data[:MAX_TERM_BYTES].decode("utf-8", errors="ignore")


def fits(term: str) -> bool:
    return len(term.encode("utf-8")) <= MAX_TERM_BYTES


def shard_of(doc_id: str, shards: int) -> int:
    """The writable shard a document lives on: a stable hash of its id (the same on every machine)."""
    return int.from_bytes(hashlib.sha1(doc_id.encode("utf-8")).digest()[:8], "big") % shards


def group_key(root_id: str) -> str:
    """The collapse key of a duplicate group, named after its first member's id."""
    return hashlib.sha1(root_id.encode("utf-8")).hexdigest()[:16]


def ordinal_value(ordinal: int) -> str:
    return str(ordinal).rjust(_ORDINAL_WIDTH, "0")


def to_data(doc: Document, ordinal: int, group: str) -> str:
    """The stored document (JSON in the Xapian document's data)."""
    record = doc.to_dict()
    record.update(content_hash=doc.content_hash, simhash=doc.simhash, ordinal=ordinal, group=group)
    return json.dumps(record, ensure_ascii=False)


def from_data(data: bytes | str) -> tuple[Document, dict[str, Any]]:
    """The document :func:`to_data` stored, and the record (for its ordinal and group)."""
    record = json.loads(data)
    date = record.get("date")
    doc = Document(
        id=record["id"], path=record.get("path") or "", title=record.get("title") or "",
        text=record.get("text") or "", url=record.get("url"), source=record.get("source") or None,
        author=record.get("author"), categories=tuple(record.get("categories") or ()),
        tags=tuple(record.get("tags") or ()),
        date=datetime.fromisoformat(date) if date else None,
        content_hash=record.get("content_hash") or "", simhash=int(record.get("simhash") or 0),
    )
    return doc, record


AVERAGE_SAMPLE = 2000  # documents whose field lengths give a build's averages (evenly spaced)


class TermMaker:
    """Builds the Xapian document of a zhsearch document with the tokenizers of ``config``;
    ``averages`` are the field-length averages its impacts are computed against."""

    def __init__(self, config: AnalyzerConfig, averages: dict[str, float] | None = None) -> None:
        self.config = config
        self._words = WordTokenizer(config)
        self._chars = CharTokenizer(config)
        self._pairs = PairTokenizer(config)
        self.averages = dict(averages or {})

    def lengths(self, doc: Document) -> dict[str, int]:
        """The document's length in each scored field, in tokens (as Whoosh counts them)."""
        found = {}
        for name, text in (("title", doc.title), ("text", doc.text)):
            words, chars, pairs = self._tokens(text)
            found[name], found[f"{name}_chars"], found[f"{name}_pairs"] = len(words), len(chars), len(pairs)
        return found

    def _tokens(self, text: str) -> tuple[list[str], list[str], list[str]]:
        """The terms of ``text``'s words, characters and pairs, in order (the n-th at position n):
        what the three tokenizers yield, read at once from the normalized text, without a token
        object for each (as the embedded index's writer reads them)."""
        norm = normalize(text, simplify=self.config.simplify).text
        return (analyzed_terms(self._words, norm), analyzed_terms(self._chars, norm),
                analyzed_terms(self._pairs, norm))

    def measure(self, documents: Iterable[Document], count: int) -> dict[str, float]:
        """Field-length averages of ``documents`` (``count`` of them), from at most
        :data:`AVERAGE_SAMPLE` evenly spaced ones; set as :attr:`averages` and returned."""
        step = max(1, -(-count // AVERAGE_SAMPLE))
        totals: Counter[str] = Counter()
        measured = 0
        for n, doc in enumerate(documents):
            if n % step == 0:
                totals.update(self.lengths(doc))
                measured += 1
        self.averages = {name: totals[name] / measured if measured else 1.0 for name in SCORED_FIELDS}
        return self.averages

    def document(self, doc: Document, *, ordinal: int, group: str = "", generation: int = 1) -> xapian.Document:
        xdoc = xapian.Document()
        xdoc.set_data(to_data(doc, ordinal, group))
        xdoc.add_boolean_term(id_term(doc.id))
        xdoc.add_boolean_term(generation_term(generation))
        xdoc.add_boolean_term(slot_term(doc.id, generation))
        xdoc.add_boolean_term(id_text_term(doc.id))
        xdoc.add_term(UNIT_TERM, IMPACT_SCALE)
        for name, text in (("title", doc.title), ("text", doc.text)):
            words, chars, pairs = self._tokens(text)
            self._positional(xdoc, name, words, FIELD_BOOSTS.get(name, 1.0))
            self._positional(xdoc, f"{name}_pairs", pairs)
            field = f"{name}_chars"
            counts = Counter(chars)
            length = len(chars)
            prefix = PREFIXES[field]
            for term, frequency in counts.items():
                if fits(prefix + term):
                    xdoc.add_term(prefix + term, impact(frequency, length, self.averages.get(field, 1.0)))
        if doc.source:
            xdoc.add_boolean_term(fit(PREFIXES["source"] + doc.source))
            xdoc.add_value(SOURCE, doc.source)
        facet_values: dict[str, None] = {}
        for name, values in (("categories", doc.categories), ("tags", doc.tags)):
            for value in values:
                value = value.replace(",", " ").strip()  # as the Whoosh KEYWORD field reads them
                if value:
                    xdoc.add_boolean_term(fit(PREFIXES[name] + value))
                    facet_values.setdefault(value, None)
        for slot, value in zip(CATEGORY_SLOTS, facet_values):
            xdoc.add_value(slot, value)
        order = ordinal_value(ordinal)
        xdoc.add_value(ORDINAL, order)
        if doc.date is not None:
            key = date_key(doc.date)
            month = key[:4] + "-" + key[4:6]
            xdoc.add_value(DATE, key)
            xdoc.add_value(MONTH, month)
            xdoc.add_boolean_term(PREFIXES["month"] + month)
            xdoc.add_value(NEWEST, key + ordinal_value(10**_ORDINAL_WIDTH - 1 - ordinal))
            xdoc.add_value(OLDEST, key + order)
        else:
            xdoc.add_value(NEWEST, _NO_DATE_LOW + ordinal_value(10**_ORDINAL_WIDTH - 1 - ordinal))
            xdoc.add_value(OLDEST, _NO_DATE_HIGH + order)
        if group:
            xdoc.add_value(GROUP, group)
            xdoc.add_boolean_term(GROUP_PREFIX + group)
        return xdoc

    def _positional(self, xdoc: xapian.Document, field: str, terms: list[str], boost: float = 1.0) -> None:
        """A positional field's ``terms`` (the n-th at position n + 1, for phrases), each with
        its impact as its wdf."""
        positions: dict[str, list[int]] = {}
        for position, text in enumerate(terms, 1):
            where = positions.get(text)
            if where is None:
                positions[text] = [position]
            else:
                where.append(position)
        prefix = PREFIXES[field]
        average = self.averages.get(field, 1.0)
        length = len(terms)
        add_posting = xdoc.add_posting
        for text, where in positions.items():
            term = prefix + text
            if not fits(term):  # Whoosh keeps longer ones; such a term (a 240-byte "word") is never typed
                continue
            for position in where:
                add_posting(term, position, 0)
            xdoc.add_term(term, impact(len(where), length, average, boost))
