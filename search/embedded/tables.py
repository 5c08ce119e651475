"""The tables derived once from an index generation and saved beside it: statistics, completions,
suggestion vocabulary, duplicate groups, the documents of each word (long queries weigh words by them).

The writer computes them before it publishes a generation (one pass over the stored documents,
one over the words of each segment), and every process that opens the generation reads them
back in milliseconds. A generation that lacks one (written by an older zhsearch, or a damaged
file) gets it from :func:`save_tables`: ``zhsearch update``, the server's warm-up child, never a
query. Files are JSON, ``.npy`` or ``.npz`` read without pickle, named after the segments' generation and
document count, so a table never describes other segments than the ones beside it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..legacy import open_whoosh_dir
from ..queries.complete import CompletionTable, title_entry, word_documents
from ..queries.longquery import WordFrequencies
from ..text.discover import read_discovery
from ..results.duplicates import (
    CARRY_FILE,
    DEFAULT_THRESHOLD,
    TABLE_VERSION,
    Carried,
    DuplicateFinder,
    DuplicateGroups,
    stored_text,
)
from .store import write_bytes_atomic
from ..queries.suggest import Vocabulary

KINDS: dict[str, str] = {"stats": "json", "completions": "json", "vocabulary": "json", "duplicates": "npy",
                         "frequencies": "npz"}
VERSIONS: dict[str, int] = {"duplicates": TABLE_VERSION}  # a table computed differently than before is new
DAMAGED = (OSError, ValueError, KeyError, TypeError, IndexError)  # what reading a missing or damaged table raises


def table_path(directory: Path, kind: str, ix: Any, reader: Any) -> Path:
    """Where the table ``kind`` of the Whoosh index ``ix`` (open in ``directory``) is saved."""
    version = f"-v{VERSIONS[kind]}" if kind in VERSIONS else ""
    return directory / f"{kind}-{ix.latest_generation()}-{reader.doc_count_all()}{version}.{KINDS[kind]}"


def read_table(kind: str, data: bytes) -> Any:
    """A table saved by :func:`dump_table`; raises one of :data:`DAMAGED` when it is damaged."""
    if kind == "stats":
        return _read_counts(data)
    if kind == "completions":
        return CompletionTable.from_json(data)
    if kind == "vocabulary":
        return Vocabulary.from_json(data)
    if kind == "duplicates":
        return DuplicateGroups.from_bytes(data)
    if kind == "frequencies":
        return WordFrequencies.from_bytes(data)
    raise KeyError(kind)


def load_table(path: Path, kind: str) -> Any | None:
    """The table saved at ``path``, or None when it is missing or damaged."""
    try:
        return read_table(kind, path.read_bytes())
    except DAMAGED:
        return None


def dump_table(kind: str, table: Any) -> bytes:
    if kind == "stats":
        return json.dumps(table, ensure_ascii=False).encode("utf-8")
    if kind in ("duplicates", "frequencies"):
        return bytes(table.to_bytes())
    return bytes(table.to_json())


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """What tells a table file replaced since it was last read (None: no file)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ino, st.st_size)


def compute_tables(
    reader: Any,
    kinds: Iterable[str],
    *,
    simplify: bool,
    duplicate_threshold: float = DEFAULT_THRESHOLD,
    new_words: Mapping[str, int] | None = None,
    carried: Carried | None = None,
) -> dict[str, Any]:
    """The tables ``kinds`` of a Whoosh reader's documents (seconds on a large index).

    ``new_words`` (word → documents) are the words discovered in the archive: completions offer
    them whole even when the ranking fields cut them in pieces. ``carried`` is what the duplicate
    detection of an earlier generation left (:class:`search.results.duplicates.Carried`): the texts it
    knows are not shingled again. With the duplicates comes the carry for the next generation,
    under :data:`CARRY_FILE`.
    """
    kinds = set(kinds)
    titles: list[tuple[str, str, datetime | None]] = []
    finder = DuplicateFinder(threshold=duplicate_threshold, text_of=lambda d: stored_text(reader.stored_fields(d)),
                             carried=carried)
    counts = _DocumentCounts()
    if kinds & {"completions", "duplicates", "stats"}:
        for docnum, stored in reader.iter_docs():  # one pass: a stored document costs more than its use
            if "completions" in kinds:
                titles.append(title_entry(stored))
            if "duplicates" in kinds and stored.get("content_hash"):  # see DuplicateGroups.from_reader
                finder.add(docnum, stored_text(stored), content_hash=stored["content_hash"])
            if "stats" in kinds:
                counts.add(stored)
    words = word_documents(reader) if kinds & {"completions", "vocabulary", "frequencies"} else {}
    tables: dict[str, Any] = {}
    if "stats" in kinds:
        tables["stats"] = counts.result()
    if "completions" in kinds:
        completing = dict(words)
        for word, documents in (new_words or {}).items():
            completing[word] = max(completing.get(word, 0), documents)
        tables["completions"] = CompletionTable(completing.items(), titles, simplify=simplify)
    if "vocabulary" in kinds:
        vocabulary = Vocabulary(words.items())
        vocabulary.pinyin()  # saved with it, so that no query imports pypinyin
        tables["vocabulary"] = vocabulary
    if "frequencies" in kinds:
        tables["frequencies"] = WordFrequencies.from_counts(words)
    if "duplicates" in kinds:
        tables["duplicates"] = finder.groups()
        tables[CARRY_FILE] = finder.carry()
    return tables


def save_tables(
    directory: Path,
    *,
    simplify: bool,
    duplicate_threshold: float = DEFAULT_THRESHOLD,
    kinds: Iterable[str] = KINDS,
    previous: Path | None = None,
) -> list[str]:
    """Compute the tables ``kinds`` of the Whoosh index in ``directory`` that are missing or damaged
    there, and save them beside it; the kinds written (a best effort: nothing on a read-only disk).
    ``duplicate_threshold`` is the one the index's manifest records. ``previous`` is the generation
    this one was updated from: the duplicate detection reuses what it left (see :func:`load_carry`)."""
    ix = open_whoosh_dir(directory)  # an index written under the old module names too
    try:
        with ix.reader() as reader:
            paths = {kind: table_path(directory, kind, ix, reader) for kind in kinds}
            missing = [kind for kind, path in paths.items() if load_table(path, kind) is None]
            discovery = read_discovery(directory) if "completions" in missing else None
            new_words = {w.word: w.documents for w in discovery.words} if discovery else None
            tables = (
                compute_tables(reader, missing, simplify=simplify, duplicate_threshold=duplicate_threshold,
                               new_words=new_words, carried=load_carry(previous or directory))
                if missing
                else {}
            )
    finally:
        ix.close()
    carry = tables.pop(CARRY_FILE, None)
    if carry is not None:
        with contextlib.suppress(OSError):  # a cache: the next update computes more without it
            write_bytes_atomic(directory / CARRY_FILE, carry.to_bytes())
    written = []
    for kind, table in tables.items():
        try:
            write_bytes_atomic(paths[kind], dump_table(kind, table))
        except OSError:
            continue
        written.append(kind)
    return written


def load_carry(directory: Path) -> Carried | None:
    """What the duplicate detection of the generation in ``directory`` left for the next one
    (None when it left nothing, or something damaged: then every text is shingled again)."""
    try:
        return Carried.from_bytes((directory / CARRY_FILE).read_bytes())
    except (OSError, ValueError):
        return None


class _DocumentCounts:
    """Documents per source and the first and last dates (the statistics table)."""

    def __init__(self) -> None:
        self.sources: dict[str, int] = {}
        self.first: datetime | None = None
        self.last: datetime | None = None

    def add(self, stored: dict[str, Any]) -> None:
        key = stored.get("source") or ""
        self.sources[key] = self.sources.get(key, 0) + 1
        date = stored.get("date")
        if isinstance(date, datetime):
            date = date.replace(tzinfo=timezone.utc)  # stored as naive UTC (see search.embedded.writer.stored_document)
            self.first = date if self.first is None or date < self.first else self.first
            self.last = date if self.last is None or date > self.last else self.last

    def result(self) -> dict[str, Any]:
        return {
            "sources": dict(sorted(self.sources.items(), key=lambda kv: (-kv[1], kv[0]))),
            "first_date": self.first.isoformat() if self.first else None,
            "last_date": self.last.isoformat() if self.last else None,
        }


def _read_counts(data: bytes) -> dict[str, Any]:
    loaded = json.loads(data)
    dates = [loaded["first_date"], loaded["last_date"]]
    if not all(d is None or isinstance(d, str) for d in dates):
        raise TypeError("dates must be strings")
    sources = {str(k): int(v) for k, v in loaded["sources"].items()}
    return {"sources": sources, "first_date": dates[0], "last_date": dates[1]}
