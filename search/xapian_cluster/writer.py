"""Writing documents to the cluster: each one to the shard its id hashes to, over Xapian's protocol."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

import xapian

from ..analysis import ANALYZER_VERSION
from ..document import Document
from ..duplicates import DuplicateGroups
from ..errors import ZhsearchError
from ..store import writer_lock
from .config import ClusterConfig
from .connect import ShardUnavailableError, open_writable
from .terms import ID_PREFIX, TermMaker, group_key, id_term, shard_of

ANALYZER_KEY = "zhsearch.analyzer"
BUILT_KEY = "zhsearch.built_at"
COMMITS_KEY = "zhsearch.commits"  # how many commits zhsearch made: the revision `cluster status` shows


class ClusterWriter:
    """Writes to every writable shard of a cluster; holds the cluster's writer lock while open.

    ``add`` and ``delete`` route by a stable hash of the id; ``commit`` commits each shard.
    """

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.terms = TermMaker(config.analyzer)
        self._stack = ExitStack()
        if config.location is not None:
            self._stack.enter_context(writer_lock(_lock_dir(config.location)))
        self.shards = config.writable
        try:
            self.databases = [open_writable(shard) for shard in self.shards]
        except ZhsearchError:
            self._stack.close()
            raise
        self._ordinal = max((_int(db.get_metadata("zhsearch.next_ordinal")) for db in self.databases), default=0)

    def add(self, document: Document, *, group: str = "") -> None:
        shard = shard_of(document.id, len(self.databases))
        xdoc = self.terms.document(document, ordinal=self._ordinal, group=group)
        self._ordinal += 1
        self._call(shard, lambda db: db.replace_document(id_term(document.id), xdoc))

    def delete(self, doc_id: str) -> None:
        shard = shard_of(doc_id, len(self.databases))
        self._call(shard, lambda db: db.delete_document(id_term(doc_id)))

    def ids(self) -> Iterator[tuple[int, str]]:
        """(shard, id term) of every document stored now."""
        for n, db in enumerate(self.databases):
            for item in db.allterms(ID_PREFIX):
                yield n, item.term.decode("utf-8")

    def commit(self) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for n, db in enumerate(self.databases):
            def finish(db: xapian.WritableDatabase) -> None:
                db.set_metadata(ANALYZER_KEY, json.dumps(self.config.analyzer.to_json(), ensure_ascii=False))
                db.set_metadata(BUILT_KEY, now)
                db.set_metadata(COMMITS_KEY, str(_int(db.get_metadata(COMMITS_KEY)) + 1))
                db.set_metadata("zhsearch.next_ordinal", str(self._ordinal))
                db.commit()
            self._call(n, finish)

    def _call(self, shard: int, action: object) -> None:
        try:
            action(self.databases[shard])  # type: ignore[operator]
        except xapian.NetworkError as exc:
            raise ShardUnavailableError(f"shard {self.shards[shard].address} stopped answering: {exc}") from None

    def close(self) -> None:
        for db in getattr(self, "databases", []):
            try:
                db.close()
            except xapian.Error:
                pass  # a shard gone away: nothing uncommitted of it becomes visible
        self._stack.close()

    def __enter__(self) -> ClusterWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def write_all(config: ClusterConfig, documents: Sequence[Document]) -> int:
    """Make the cluster hold exactly ``documents`` (a full build): added or replaced, and every
    other document removed; duplicate groups are computed over all of them. The count written."""
    groups = DuplicateGroups((n, d.content_hash, d.simhash) for n, d in enumerate(documents))
    keys = {n: group_key(documents[root].id) for n, root in groups.root.items()}
    wanted = {id_term(d.id) for d in documents}
    with ClusterWriter(config) as writer:
        stale = [(shard, term) for shard, term in writer.ids() if term not in wanted]
        for shard, term in stale:
            writer._call(shard, lambda db, term=term: db.delete_document(term))  # type: ignore[misc]
        writer._ordinal = 0  # a build numbers its documents from the start: the embedded index's order
        for n, doc in enumerate(documents):
            writer.add(doc, group=keys.get(n, ""))
        writer.commit()
    return len(documents)


def analyzer_version(db: xapian.Database) -> int | None:
    """The analyzer version the cluster was written with (None: never written by zhsearch)."""
    raw = db.get_metadata(ANALYZER_KEY)
    if not raw:
        return None
    try:
        return int(json.loads(raw).get("version", 0))
    except (ValueError, AttributeError):
        return 0


def _int(raw: bytes | str) -> int:
    try:
        return int(raw or 0)
    except ValueError:
        return 0


def _lock_dir(location: Path) -> Path:
    return location.parent / f".{location.name}.writer"


__all__ = ["ANALYZER_VERSION", "ClusterWriter", "analyzer_version", "write_all"]
