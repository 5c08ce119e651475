"""The shared analyzer's output as Xapian terms: one prefix per zhsearch field, positions kept.

A document gets exactly the terms the Whoosh schema gives it (jieba words, characters, pairs of
characters, filter keywords), so a query finds the same documents in either backend.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

import xapian

from ..analysis import AnalyzerConfig, CharTokenizer, PairTokenizer, WordTokenizer
from ..document import Document
from ..schema import TITLE_BOOST

# Every prefix has two letters, so no prefix is the start of another one's term.
PREFIXES = {
    "title": "WT", "text": "WX",  # jieba words (ranking; positions for phrases of words)
    "title_chars": "CT", "text_chars": "CX",  # single characters (recall of one-character terms)
    "title_pairs": "PT", "text_pairs": "PX",  # pairs of characters with boundaries (recall, positions)
    "source": "XS", "categories": "XC", "tags": "XT", "month": "XM",  # filters: boolean terms
}
FIELD_BOOSTS = {"title": TITLE_BOOST}
GROUP_PREFIX = "XG"  # the duplicate group a document belongs to (boolean)
GENERATION_PREFIX = "XV"  # the build a document belongs to: searches read the live one only
SLOT_PREFIX = "XK"  # generation + id hash: the one document of an id in one build (replaced, deleted)
ID_PREFIX = "Q"  # Q + sha1 of the id: ids of any length (Xapian terms end at 245 bytes)
ID_TEXT_PREFIX = "XI"  # the id itself, cut to fit a term: for ids typed by their start
MAX_TERM_BYTES = 245

# Value slots
DATE, NEWEST, OLDEST, SOURCE, MONTH, GROUP, ORDINAL = range(7)
CATEGORY_SLOTS = tuple(range(10, 26))  # a document's distinct categories and tags, for facet counts
_NO_DATE_LOW = "0" * 20
_NO_DATE_HIGH = "~" * 20
_ORDINAL_WIDTH = 12


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


class TermMaker:
    """Builds the Xapian document of a zhsearch document with the tokenizers of ``config``."""

    def __init__(self, config: AnalyzerConfig) -> None:
        self.config = config
        self._words = WordTokenizer(config)
        self._chars = CharTokenizer(config)
        self._pairs = PairTokenizer(config)

    def document(self, doc: Document, *, ordinal: int, group: str = "", generation: int = 1) -> xapian.Document:
        xdoc = xapian.Document()
        xdoc.set_data(to_data(doc, ordinal, group))
        xdoc.add_boolean_term(id_term(doc.id))
        xdoc.add_boolean_term(generation_term(generation))
        xdoc.add_boolean_term(slot_term(doc.id, generation))
        xdoc.add_boolean_term(id_text_term(doc.id))
        for name, text in (("title", doc.title), ("text", doc.text)):
            self._positional(xdoc, PREFIXES[name], self._words, text)
            self._positional(xdoc, PREFIXES[f"{name}_pairs"], self._pairs, text)
            prefix = PREFIXES[f"{name}_chars"]
            for token in self._chars(text):
                if fits(prefix + token.text):
                    xdoc.add_term(prefix + token.text)
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

    @staticmethod
    def _positional(xdoc: xapian.Document, prefix: str, tokenizer: Any, text: str) -> None:
        for token in tokenizer(text, positions=True):
            term = prefix + token.text
            if fits(term):  # Whoosh keeps longer ones; such a term (a 240-byte "word") is never typed
                xdoc.add_posting(term, token.pos + 1)
