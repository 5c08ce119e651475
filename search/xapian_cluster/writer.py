"""Writing documents to the cluster: each one to the shard its id hashes to, over Xapian's protocol."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

import xapian

from ..text.analysis import ANALYZER_VERSION, AnalyzerConfig
from ..results.document import Document
from ..results.duplicates import DuplicateGroups
from ..errors import IndexIncompatibleError, ZhsearchError
from ..embedded.store import writer_lock
from .config import ClusterConfig, Shard
from .connect import ShardUnavailableError, open_cluster_db, open_shard, open_writable
from .terms import WEIGHTS_FORMAT, TermMaker, generation_term, group_key, shard_of, slot_term, to_data

Write = tuple[Document, int, str]  # a document to write, its ordinal and its duplicate group

ANALYZER_KEY = "zhsearch.analyzer"
BUILT_KEY = "zhsearch.built_at"
ROOTS_KEY = "zhsearch.roots"
LIVE_KEY = "zhsearch.live"  # the generation searches read (on every shard; readers take the first shard's)
BUILDING_KEY = "zhsearch.building"  # a rebuild's generation until it goes live: left over if it crashed
COMMITS_KEY = "zhsearch.commits"  # how many commits zhsearch made: the revision `cluster status` shows
CONTENT_KEY = "zhsearch.content"  # how many commits changed documents: what the saved tables describe
AVERAGES_KEY = "zhsearch.field_averages"  # the field-length averages the terms' impacts were computed with
WEIGHTS_KEY = "zhsearch.weights"  # what a term's wdf means (terms.WEIGHTS_FORMAT)


COMMIT_EVERY = 5000  # documents written between commits (of every shard at once): see ClusterWriter._written


class ClusterWriter:
    """Writes to every writable shard of a cluster; holds the cluster's writer lock while open.

    ``add`` and ``delete`` route by a stable hash of the id; ``commit`` commits each shard.
    """

    def __init__(self, config: ClusterConfig, *, connect: bool = True, terms: TermMaker | None = None) -> None:
        self.config = config
        self._stack = ExitStack()
        if config.location is not None:
            self._stack.enter_context(writer_lock(lock_dir(config.location)))
        self.shards = config.writable
        self.databases: list[xapian.WritableDatabase] = []
        self.roots: list[str] | None = None  # the folders the documents come from, recorded at commit
        self._changed = False  # documents written or deleted since the last commit
        self._pending = 0  # documents written or deleted since the last commit
        if connect:
            self.connect(terms)

    def connect(self, terms: TermMaker | None = None) -> None:
        """Open the write connection to every shard (the writer lock is held already). A server
        drops a connection idle for a minute (``xapian-tcpsrv --idle-timeout``): what takes long
        without writing (planning, measuring) comes before this."""
        try:
            for shard in self.shards:
                self.databases.append(open_writable(shard))
        except ZhsearchError:
            self.disconnect()  # the shards opened so far: their write locks are released at once
            self._stack.close()
            raise
        self._ordinal = max((_int(db.get_metadata("zhsearch.next_ordinal")) for db in self.databases), default=0)
        self.terms = terms or TermMaker(self.config.analyzer, _averages(self.databases[0]))
        self.live = _int(self.databases[0].get_metadata(LIVE_KEY))
        self._pending = 0
        # What add and delete write to: the live generation (an update), or a new one (a rebuild).
        self.generation = self.live or 1

    def disconnect(self) -> None:
        """Close the write connections (what was not committed is dropped); the lock stays held."""
        for db in self.databases:
            try:
                db.close()
            except xapian.Error:
                pass  # a shard gone away: nothing uncommitted of it becomes visible
        self.databases = []

    def add(self, document: Document, *, group: str = "", ordinal: int | None = None) -> None:
        """Write ``document`` into :attr:`generation` (replacing the one with its id there);
        ``ordinal`` is its place in index order (by default, after every document written so far)."""
        shard = shard_of(document.id, len(self.databases))
        if ordinal is None:
            ordinal = self._ordinal
        xdoc = self.terms.document(document, ordinal=ordinal, group=group, generation=self.generation)
        self._ordinal = max(self._ordinal, ordinal + 1)
        term = slot_term(document.id, self.generation)
        self._call(shard, lambda db: db.replace_document(term, xdoc))
        self._written(shard)

    def delete(self, doc_id: str) -> None:
        shard = shard_of(doc_id, len(self.databases))
        term = slot_term(doc_id, self.generation)
        self._call(shard, lambda db: db.delete_document(term))
        self._written(shard)

    def _written(self, shard: int) -> None:
        """Every COMMIT_EVERY documents, every shard commits (at once): ``xapian-tcpsrv`` drops a
        connection idle for a minute, and a shard flushing ten thousand documents on its own
        (Xapian's threshold) would keep the others waiting longer than that. (A rebuild's
        generation stays invisible until it is published; an update's changes become visible
        shard by shard, as they do anyway.)"""
        self._changed = True
        self._pending += 1
        if self._pending >= COMMIT_EVERY:
            self._pending = 0
            self._each(lambda db: db.commit())

    def _each(self, action: Callable[[xapian.WritableDatabase], None]) -> None:
        """``action`` on every shard's connection, all at once (each in a thread: a long commit of
        one never leaves the others' connections idle)."""
        if len(self.databases) == 1:
            self._call(0, action)
            return
        with ThreadPoolExecutor(max_workers=len(self.databases)) as pool:
            for done in [pool.submit(self._call, n, action) for n in range(len(self.databases))]:
                done.result()

    def write(self, writes: Sequence[Write], deletes: Sequence[str] = ()) -> None:
        """:meth:`delete` each id of ``deletes``, then :meth:`add` each of ``writes``; with more
        than one shard to write, each shard's share is analyzed and written by a process of its
        own (over its own connection to the shard), all at once: the analysis (jieba, characters,
        pairs) and each server's indexing run side by side instead of one document at a time.
        What is written is the same. The workers commit their shard's documents (a rebuild's stay
        invisible until it is published; an update's become visible shard by shard, as they do
        anyway) and count a change of content there, so that the tables saved for the documents
        before are stale even if this writer never commits; the rest of the metadata is the
        writer's, at :meth:`commit`."""
        shares: list[tuple[list[Write], list[str]]] = [([], []) for _ in self.databases]
        for doc_id in deletes:
            shares[shard_of(doc_id, len(self.databases))][1].append(doc_id)
        for item in writes:
            shares[shard_of(item[0].id, len(self.databases))][0].append(item)
        busy = [n for n, (adds, removes) in enumerate(shares) if adds or removes]
        if len(busy) < 2:
            for doc_id in deletes:
                self.delete(doc_id)
            for doc, ordinal, group in writes:
                self.add(doc, group=group, ordinal=ordinal)
            return
        # What this writer has not committed (a rebuild's start) first: the workers' connections
        # replace this writer's for the time they write (a shard takes one writer at a time).
        self._each(lambda db: db.commit())
        self.disconnect()
        tasks = [_ShardTask(self.shards[n], self.terms.config, self.terms.averages, self.generation,
                            shares[n][0], shares[n][1], os.getpid()) for n in busy]
        try:
            with _context().Pool(len(tasks), initializer=_start_worker) as pool:
                failures = [failure for failure in pool.map(_write_shard, tasks, chunksize=1) if failure]
        finally:
            self._reconnect()
        if failures:
            raise ShardUnavailableError(failures[0])
        self._changed = True
        self._ordinal = max(self._ordinal, *(ordinal + 1 for _, ordinal, _ in writes)) if writes else self._ordinal

    def _reconnect(self) -> None:
        try:
            for shard in self.shards:
                self.databases.append(open_writable(shard))
        except ZhsearchError:
            self.disconnect()
            raise

    def start_generation(self) -> None:
        """Write into a new generation from now on, invisible to searches until :meth:`publish`;
        what a crashed rebuild left of its own is removed first."""
        for n, db in enumerate(self.databases):
            left = _int(db.get_metadata(BUILDING_KEY))
            if left and left != self.live:
                self._call(n, lambda db, left=left: db.delete_document(generation_term(left)))  # type: ignore[misc]
        self.generation = max(self.live, *(_int(db.get_metadata(BUILDING_KEY)) for db in self.databases)) + 1
        for n in range(len(self.databases)):
            self._call(n, lambda db: db.set_metadata(BUILDING_KEY, str(self.generation)))

    def publish(self) -> None:
        """Make the new generation the one searches read, in one step, then remove the old one.

        Every shard is committed first; then the live generation is switched on the shards from
        the last to the first, and searches read it from the first: they move to the new
        documents on all shards at the moment the first shard commits."""
        self.commit()
        old = self.live
        for n in reversed(range(len(self.databases))):
            def switch(db: xapian.WritableDatabase) -> None:
                db.set_metadata(LIVE_KEY, str(self.generation))
                db.commit()
            self._call(n, switch)
        self.live = self.generation

        def drop(db: xapian.WritableDatabase) -> None:
            if old:
                db.delete_document(generation_term(old))
            db.set_metadata(BUILDING_KEY, "")
            db.commit()

        self._each(drop)

    def commit(self) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        changed, self._changed = self._changed, False
        self._pending = 0

        def finish(db: xapian.WritableDatabase) -> None:
            db.set_metadata(ANALYZER_KEY, json.dumps(self.config.analyzer.to_json(), ensure_ascii=False))
            db.set_metadata(BUILT_KEY, now)
            db.set_metadata(COMMITS_KEY, str(_int(db.get_metadata(COMMITS_KEY)) + 1))
            if changed:
                db.set_metadata(CONTENT_KEY, str(_int(db.get_metadata(CONTENT_KEY)) + 1))
            db.set_metadata("zhsearch.next_ordinal", str(self._ordinal))
            db.set_metadata(AVERAGES_KEY, json.dumps(self.terms.averages))
            db.set_metadata(WEIGHTS_KEY, WEIGHTS_FORMAT)
            if not self.live:  # the first build: nothing to switch from
                db.set_metadata(LIVE_KEY, str(self.generation))
            if self.roots is not None:
                db.set_metadata(ROOTS_KEY, json.dumps(self.roots, ensure_ascii=False))
            db.commit()

        self._each(finish)

    def _call(self, shard: int, action: object) -> None:
        try:
            action(self.databases[shard])  # type: ignore[operator]
        except xapian.NetworkError as exc:
            raise ShardUnavailableError(f"shard {self.shards[shard].address} stopped answering: {exc}") from None

    def close(self) -> None:
        self.disconnect()
        self._stack.close()

    def __enter__(self) -> ClusterWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@dataclass(frozen=True)
class _ShardTask:
    """What a worker process writes to one shard (:meth:`ClusterWriter.write`)."""

    shard: Shard
    analyzer: AnalyzerConfig
    averages: dict[str, float]
    generation: int
    writes: list[Write]
    deletes: list[str]
    parent: int  # the writer's pid: a worker whose writer is gone stops


def _write_shard(task: _ShardTask) -> str:
    """Delete and write a shard's share over a connection of this process, committing every
    COMMIT_EVERY documents and at the end (documents only: the metadata is the writer's); what
    went wrong, or "" (a message: exceptions do not all cross processes whole)."""
    try:
        db = open_writable(task.shard)
    except ZhsearchError as exc:
        return str(exc)
    terms = TermMaker(task.analyzer, task.averages)
    try:
        pending = 0
        for doc_id in task.deletes:
            db.delete_document(slot_term(doc_id, task.generation))
        for n, (doc, ordinal, group) in enumerate(task.writes):
            if n % 100 == 0 and os.getppid() != task.parent:
                os._exit(1)  # the writer was killed: leave the rest (a rebuild's generation stays unpublished)
            xdoc = terms.document(doc, ordinal=ordinal, group=group, generation=task.generation)
            db.replace_document(slot_term(doc.id, task.generation), xdoc)
            pending += 1
            if pending >= COMMIT_EVERY:
                db.commit()
                pending = 0
        db.set_metadata(CONTENT_KEY, str(_int(db.get_metadata(CONTENT_KEY)) + 1))
        db.commit()
        return ""
    except xapian.Error as exc:
        return f"shard {task.shard.address} stopped answering: {exc}"
    finally:
        try:
            db.close()
        except xapian.Error:
            pass


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the writer stops its workers


def _context() -> Any:
    """Fork (fast: the workers share the loaded dictionaries and the documents) unless threads run: then spawn."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


@dataclass
class Changes:
    """What an update of the cluster changes (or, for a check, would change): ids."""

    seen: int
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not (self.added or self.changed or self.removed)

    # The names of the embedded index's check report (indexer.update), so that one printer serves both.
    @property
    def new(self) -> list[str]:
        return self.added

    @property
    def deleted(self) -> list[str]:
        return self.removed

    @property
    def renamed(self) -> list[tuple[str, str]]:
        return []  # a cluster compares documents by id: a renamed file is one removed and one added

    def lines(self) -> list[str]:
        return ([f"added: {i}" for i in self.added] + [f"changed: {i}" for i in self.changed]
                + [f"removed: {i}" for i in self.removed])

    def summary(self) -> str:
        unchanged = self.seen - len(self.added) - len(self.changed)
        return (f"{self.seen} documents: {len(self.added)} added, {len(self.changed)} changed, "
                f"{len(self.removed)} removed, {unchanged} unchanged")


_PLACE = ("ordinal", "group")  # what locates a record in the cluster, as opposed to what it says


def stored_records(databases: Sequence[xapian.Database]) -> dict[str, dict[str, Any]]:
    """The stored record of every document of the live generation of the shards, by id."""
    found: dict[str, dict[str, Any]] = {}
    for db in databases:
        live = _int(databases[0].get_metadata(LIVE_KEY))
        for posting in db.postlist(generation_term(live) if live else ""):
            record = json.loads(db.get_document(posting.docid).get_data())
            found[record["id"]] = record
    return found


def plan(stored: dict[str, dict[str, Any]], documents: Sequence[Document], *,
         renumber: bool, rewrite: bool = False) -> tuple[Changes, list[Write]]:
    """The changes that make the cluster hold exactly ``documents`` and the writes they take:
    (document, ordinal, duplicate group) of each document to write. Duplicate groups are computed
    over all the documents; ``renumber`` (a full build) puts them in the order given, otherwise
    a stored document keeps its place and a new one goes after the others; with ``rewrite``
    (another analyzer) every document is written again."""
    groups = DuplicateGroups((n, d.text) for n, d in enumerate(documents) if d.content_hash)
    keys = {n: group_key(documents[root].id) for n, root in groups.root.items()}
    changes = Changes(seen=len(documents))
    writes: list[Write] = []
    following = max((int(r.get("ordinal", 0)) + 1 for r in stored.values()), default=0)
    wanted = set()
    for n, doc in enumerate(documents):
        wanted.add(doc.id)
        old = stored.get(doc.id)
        if renumber or old is None:
            ordinal = n if renumber else following
            following += 0 if renumber else 1
        else:
            ordinal = int(old.get("ordinal", 0))
        record = json.loads(to_data(doc, ordinal, keys.get(n, "")))
        if old == record and not rewrite:
            continue
        writes.append((doc, ordinal, keys.get(n, "")))
        if old is None:
            changes.added.append(doc.id)
        elif {k: v for k, v in old.items() if k not in _PLACE} != {k: v for k, v in record.items() if k not in _PLACE}:
            changes.changed.append(doc.id)
    changes.removed = sorted(set(stored) - wanted)
    return changes, writes


def sync(config: ClusterConfig, documents: Sequence[Document], *, rebuild: bool = False,
         roots: Sequence[str] | None = None) -> Changes:
    """Make the cluster hold exactly ``documents``: write the new and changed ones, remove the
    others, and leave the unchanged ones alone. Idempotent: a run interrupted midway (a crash, a
    shard gone) is finished by the next one. ``rebuild`` renumbers every document in this order."""
    with ClusterWriter(config, connect=False) as writer:  # the lock first: nobody writes while this reads
        readers = [open_shard(shard) for shard in config.writable]
        try:
            other = any(written_analyzer(db) not in (None, config.analyzer) for db in readers)
            if other and not rebuild:
                for db in readers:
                    check_analyzer(db, config)
            if not rebuild:
                for db in readers:
                    check_weights(db, config)
            stored = stored_records(readers)
            averages = _averages(readers[0])
        finally:
            for db in readers:
                db.close()
        changes, writes = plan(stored, documents, renumber=rebuild, rewrite=rebuild)
        terms = TermMaker(config.analyzer, averages)
        if rebuild or not averages:  # the length averages the impacts are computed against
            terms.measure(documents, len(documents))
        writer.connect(terms)
        writer.roots = list(roots) if roots is not None else None
        if rebuild:  # a new generation, all of it: searches see the old one until it is complete
            writer.start_generation()
            writer.write(writes)
            writer._ordinal = len(documents)
            writer.publish()
        else:
            writer.write(writes, changes.removed)
            writer.commit()
        writer.disconnect()
        _save_tables(config)
    return changes


def _save_tables(config: ClusterConfig) -> list[str]:
    """The cluster's completions and vocabulary, computed and saved unless they are current."""
    from .searcher import ClusterIndex  # reads the cluster as searches do

    try:
        with ClusterIndex(config, require_all_shards=True) as index:
            return index.save_tables()
    except ZhsearchError:  # a shard gone since the write: the tables stay missing (a server computes them)
        return []


def check(config: ClusterConfig, documents: Sequence[Document]) -> Changes:
    """What :func:`sync` would change, read without the writer lock (every shard must answer)."""
    _, shards, _ = open_cluster_db(config, require_all=True)
    databases = [open_shard(shard) for shard in shards]
    try:
        return plan(stored_records(databases), documents, renumber=False)[0]
    finally:
        for db in databases:
            db.close()


def write_all(config: ClusterConfig, documents: Sequence[Document], *, roots: Sequence[str] | None = None) -> int:
    """A full build: the cluster holds exactly ``documents``, in this order; the count written."""
    sync(config, documents, rebuild=True, roots=roots)
    return len(documents)


def recorded_roots(config: ClusterConfig) -> list[str]:
    """The folders the cluster was last built or updated from."""
    db, _, _ = open_cluster_db(config, require_all=False)
    try:
        raw = db.get_metadata(ROOTS_KEY)
        return list(json.loads(raw)) if raw else []
    finally:
        db.close()


def written_analyzer(db: xapian.Database) -> AnalyzerConfig | None:
    """The analyzer the cluster was written with (None: never written by zhsearch)."""
    raw = db.get_metadata(ANALYZER_KEY)
    if not raw:
        return None
    try:
        return AnalyzerConfig.from_json(json.loads(raw))
    except (ValueError, AttributeError, TypeError):
        return AnalyzerConfig(version=0)


def check_analyzer(db: xapian.Database, config: ClusterConfig) -> None:
    """IndexIncompatibleError unless the shards were written with this zhsearch's analyzer and the
    cluster file's settings (a query analyzed otherwise would not find what the documents hold)."""
    written = written_analyzer(db)
    if written is None:
        return
    where = config.location or "the cluster"
    if written.version != ANALYZER_VERSION:
        raise IndexIncompatibleError(f"the cluster {where} was written with analyzer version {written.version}; "
                                     f"this zhsearch uses {ANALYZER_VERSION}", hint="run zhsearch index --cluster to rebuild")
    if written != config.analyzer:
        raise IndexIncompatibleError(f"the [analyzer] of {where} is not the one its shards were written with",
                                     hint="restore it, or run zhsearch index --cluster to rebuild")


def _averages(db: xapian.Database) -> dict[str, float] | None:
    raw = db.get_metadata(AVERAGES_KEY)
    try:
        found = json.loads(raw) if raw else None
    except ValueError:
        return None
    return {str(k): float(v) for k, v in found.items()} if isinstance(found, dict) else None


def check_weights(db: xapian.Database, config: ClusterConfig) -> None:
    """IndexIncompatibleError when the shards hold documents whose wdf is not what this zhsearch
    ranks by (written before the impacts: a search would rank them wrongly)."""
    written = db.get_metadata(WEIGHTS_KEY).decode()
    if written == WEIGHTS_FORMAT or not db.get_metadata(ANALYZER_KEY):
        return
    where = config.location or "the cluster"
    raise IndexIncompatibleError(f"the cluster {where} was written by an older zhsearch "
                                 f"(term weights {written or 'plain frequencies'}, this one ranks by {WEIGHTS_FORMAT})",
                                 hint="run zhsearch index --cluster to rebuild")


def _int(raw: bytes | str) -> int:
    try:
        return int(raw or 0)
    except ValueError:
        return 0


def lock_dir(location: Path) -> Path:
    """The folder of the writer lock of the cluster file at ``location``."""
    return location.parent / f".{location.name}.writer"


__all__ = ["ANALYZER_VERSION", "Changes", "ClusterWriter", "check", "check_analyzer", "check_weights", "sync",
           "write_all"]
