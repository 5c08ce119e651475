"""The cluster's derived tables: the search box's completions and the suggestions' vocabulary.

The embedded index saves them beside each generation (:mod:`search.embedded.tables`); a cluster saves the
same tables, computed from its own vocabulary (the jieba words of titles and texts with Xapian's
document counts over every shard) and its documents' titles, in a metadata key of each writable
shard, so that every client of the cluster reads them. Each is saved with the generation and the
content revision it describes (``LIVE_KEY``, ``CONTENT_KEY``: counts the commits that changed
documents): after an update that changed something it is stale, and written again by the update
itself (or by :meth:`ClusterIndex.save_tables`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import xapian

from ..queries.complete import CompletionTable
from ..results.document import Document
from ..queries.suggest import Vocabulary
from ..embedded.tables import DAMAGED, dump_table, read_table
from .terms import PREFIXES
from .writer import CONTENT_KEY, LIVE_KEY

KINDS = ("completions", "vocabulary")  # the embedded index's others (stats, duplicates) a cluster computes live
TABLE_KEY = "zhsearch.table."  # + kind: "<signature>\n" + the table as search.embedded.tables dumps it


def signature(db: xapian.Database) -> str:
    """What a table describes: the live generation and the content revision of the (first) shard."""
    return f"{db.get_metadata(LIVE_KEY).decode() or 0}:{db.get_metadata(CONTENT_KEY).decode() or 0}"


def load(db: xapian.Database, kind: str, wanted: str) -> Any | None:
    """The table ``kind`` saved for the signature ``wanted``; None when missing, stale or damaged."""
    raw = db.get_metadata(TABLE_KEY + kind)
    head, _, body = raw.partition(b"\n")
    if head.decode("utf-8", errors="replace") != wanted:
        return None
    try:
        return read_table(kind, body)
    except DAMAGED:
        return None


def word_documents(db: xapian.Database) -> dict[str, int]:
    """Each title or text word with the documents containing it (the larger of the two), over
    every shard: :func:`search.queries.complete.word_documents`, in the same order (title words sorted,
    then the text words not in a title; Xapian's terms sort by their UTF-8 bytes, as Python's strings)."""
    documents: dict[str, int] = {}
    for name in ("title", "text"):
        prefix = PREFIXES[name]
        for item in db.allterms(prefix):
            word = item.term.decode("utf-8")[len(prefix):]
            documents[word] = max(documents.get(word, 0), int(item.termfreq))
    return documents


def compute(db: xapian.Database, documents: Iterable[Document], kinds: Iterable[str], *,
            simplify: bool) -> dict[str, Any]:
    """The tables ``kinds`` of the cluster read by ``db`` whose live documents are ``documents``."""
    kinds = set(kinds)
    words = word_documents(db)
    tables: dict[str, Any] = {}
    if "completions" in kinds:
        titles = [(doc.id, doc.title, doc.date) for doc in documents]
        tables["completions"] = CompletionTable(words.items(), titles, simplify=simplify)
    if "vocabulary" in kinds:
        vocabulary = Vocabulary(words.items())
        vocabulary.pinyin()  # saved with it, so that no query imports pypinyin
        tables["vocabulary"] = vocabulary
    return tables


def save(shards: Sequence[xapian.WritableDatabase], tables: dict[str, Any], described: str) -> list[str]:
    """Write ``tables`` (for the signature ``described``) into every writable shard; the kinds written."""
    for db in shards:
        for kind, table in tables.items():
            db.set_metadata(TABLE_KEY + kind, described.encode("utf-8") + b"\n" + dump_table(kind, table))
        db.commit()
    return sorted(tables)
