"""What an index knows about the files it was built from, so that an update reads only what changed.

Two files are stored with each generation (written with it, so they always describe it):

- ``files.json``: every article file by id: the SHA-1 of its bytes, and the content hash of the
  document indexed from it, or why it was skipped.
- ``paragraphs.json``: every indexed article's outlet and the digests of its paragraphs before
  learned boilerplate was removed: the census the boilerplate is learned from (see
  :mod:`indexer.recurring`). With it an update recomputes what a full build would learn without
  reading the unchanged articles.

Next to the generations, ``stat-cache.json`` maps a file's path and ``stat`` (size, times, inode) to
the SHA-1 of its bytes, so that unchanged files are recognized without being read. It is only a
cache: a missing or stale entry makes zhsearch read and hash the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhsearch.search.errors import IndexIncompatibleError
from zhsearch.search.embedded.store import write_atomic

from .recurring import RecurringParagraphs

FILES = "files.json"
PARAGRAPHS = "paragraphs.json"
STAT_CACHE = "stat-cache.json"
CATALOG_VERSION = 1
# Bump when reading or cleaning turns a file into a different document (or learns differently):
# an update would otherwise mix documents cleaned by two versions.
CLEANING_VERSION = 4
RACY_SECONDS = 2  # a file modified this recently may change again within its mtime's resolution
_KEY_BYTES = 8


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One article file as the index last saw it."""

    sha1: str  # of the file's bytes
    content_hash: str | None = None  # of the indexed document; None when the file was skipped
    reason: str | None = None  # why it was skipped

    @property
    def indexed(self) -> bool:
        return self.content_hash is not None


@dataclass(frozen=True, slots=True)
class CensusEntry:
    """An indexed article's outlet and paragraph digests (before boilerplate removal)."""

    outlet: str
    keys: frozenset[bytes]


@dataclass
class Catalog:
    """The article files of one generation, and the census of their paragraphs."""

    roots: list[str] = field(default_factory=list)
    files: dict[str, FileEntry] = field(default_factory=dict)
    census: dict[str, CensusEntry] = field(default_factory=dict)

    def files_json(self) -> str:
        files = {i: [e.sha1, e.content_hash, e.reason] for i, e in sorted(self.files.items())}
        return json.dumps({"version": CATALOG_VERSION, "roots": self.roots, "files": files}, ensure_ascii=False)

    def paragraphs_json(self) -> str:
        documents = {i: [e.outlet, b"".join(sorted(e.keys)).hex()] for i, e in sorted(self.census.items())}
        return json.dumps({"version": CATALOG_VERSION, "documents": documents}, ensure_ascii=False)

    def learner(self) -> RecurringParagraphs:
        """The census of every indexed article, ready to learn from (or to update)."""
        learner = RecurringParagraphs()
        for entry in self.census.values():
            learner.count(entry.outlet, entry.keys)
        return learner

    @classmethod
    def load(cls, generation: Path, *, census: bool = True) -> Catalog:
        """The catalog of a generation; IndexIncompatibleError when it has none (an older index)."""
        try:
            files_data = json.loads((generation / FILES).read_text(encoding="utf-8"))
            if files_data.get("version") != CATALOG_VERSION:
                raise ValueError(f"catalog version {files_data.get('version')!r}")
            catalog = cls(
                roots=list(files_data.get("roots", [])),
                files={i: FileEntry(*entry) for i, entry in files_data["files"].items()},
            )
            if census:
                paragraphs = json.loads((generation / PARAGRAPHS).read_text(encoding="utf-8"))
                catalog.census = {
                    i: CensusEntry(outlet, _split_keys(keys)) for i, (outlet, keys) in paragraphs["documents"].items()
                }
        except FileNotFoundError:
            raise IndexIncompatibleError(
                f"the index at {generation.parent} does not record the files it was built from"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexIncompatibleError(f"unreadable file catalog in {generation}: {exc}") from None
        return catalog


def _split_keys(hexed: str) -> frozenset[bytes]:
    raw = bytes.fromhex(hexed)
    return frozenset(raw[i : i + _KEY_BYTES] for i in range(0, len(raw), _KEY_BYTES))


Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def signature(st: os.stat_result) -> Signature:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class StatCache:
    """File path and stat signature -> SHA-1 of the file's bytes, for files seen unchanged."""

    def __init__(self, entries: dict[str, list[Any]] | None = None) -> None:
        self._entries: dict[str, list[Any]] = entries or {}
        self.changed = entries is None  # a new cache is written even when empty

    def __len__(self) -> int:
        return len(self._entries)

    def sha1(self, path: str, sig: Signature) -> str | None:
        """The recorded hash when the file's signature is the one recorded with it."""
        entry = self._entries.get(path)
        if entry is not None and tuple(entry[:4]) == sig:
            return str(entry[4])
        return None

    def record(self, path: str, sig: Signature, sha1: str, *, now_ns: int) -> None:
        """Remember a file's hash, unless it changed too recently for its mtime to be trusted."""
        entry = [*sig, sha1]
        if sig[1] < now_ns - RACY_SECONDS * 1_000_000_000 and sig[2] < now_ns - RACY_SECONDS * 1_000_000_000:
            if self._entries.get(path) != entry:
                self._entries[path] = entry
                self.changed = True
        elif self._entries.pop(path, None) is not None:
            self.changed = True

    def keep_only(self, paths: Iterable[str]) -> None:
        """Forget the files not in ``paths`` (deleted, or outside the indexed folders)."""
        wanted = set(paths)
        kept = {p: e for p, e in self._entries.items() if p in wanted}
        if len(kept) != len(self._entries):
            self._entries, self.changed = kept, True

    @classmethod
    def load(cls, location: Path) -> StatCache:
        try:
            data = json.loads((location / STAT_CACHE).read_text(encoding="utf-8"))
            if data.get("version") == CATALOG_VERSION and isinstance(data.get("files"), dict):
                return cls(data["files"])
        except (OSError, ValueError, AttributeError):
            pass
        return cls()

    def save(self, location: Path) -> None:
        """Write the cache if it changed since it was loaded."""
        if not self.changed:
            return
        self.changed = False
        write_atomic(
            location / STAT_CACHE,
            json.dumps({"version": CATALOG_VERSION, "files": self._entries}, ensure_ascii=False),
        )
