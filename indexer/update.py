"""Bringing an index up to date with its folders: ``zhsearch update`` and ``zhsearch check``.

A file is unchanged when its ``stat`` matches the stat cache, or else when the SHA-1 of its bytes
matches the one the index recorded; only new and changed files are read. An update writes a new
generation that shares the live one's segments: changed and removed documents are deleted, new
and changed ones are written as a new segment, and it is published atomically like a build. So
a crash at any moment leaves the old or the new generation live, and the next update finishes
the work.

Learned boilerplate: the census of every indexed article's paragraphs is stored with the index
(see :mod:`indexer.catalog`). An update takes the census of the files that changed out, puts the
new ones in, and learns again. When that changes what an outlet's boilerplate is, the unchanged
articles of that outlet that contain one of the paragraphs concerned are read and cleaned again,
and rewritten if their text changes. Every document is therefore cleaned with exactly the
boilerplate a full build of the same files would learn: an update converges to a full build.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zhsearch.search import AnalyzerConfig, IndexWriter
from zhsearch.search.results.duplicates import manifest_threshold
from zhsearch.search.text.discover import NEW_WORDS_FILE
from zhsearch.search.errors import IndexIncompatibleError
from zhsearch.search.embedded.store import current_generation, read_manifest, remove_leftovers, writer_lock
from zhsearch.search.embedded.tables import save_tables
from zhsearch.search.embedded.writer import SEGMENT_CHARS

from .build import NothingIndexedError, Progress, check_paths, clean, read_sources, write_documents
from .catalog import (
    CLEANING_VERSION,
    FILES,
    PARAGRAPHS,
    Catalog,
    CensusEntry,
    FileEntry,
    Signature,
    StatCache,
    signature,
)
from .recurring import LearnedBoilerplate, is_title_key, outlet_key
from .sources import FileOutcome, SourceFile, SourceRecord, candidates, file_sha1
from .workers import WorkerPool


@dataclass
class Scan:
    """How the article files below some folders differ from what an index recorded."""

    seen: int = 0
    unchanged: list[SourceFile] = field(default_factory=list)
    new: list[SourceFile] = field(default_factory=list)
    changed: list[SourceFile] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old id, new id): same bytes
    not_read: list[FileOutcome] = field(default_factory=list)  # duplicate ids, repository files
    order: dict[str, int] = field(default_factory=dict)  # id -> position in discovery order
    hashes: dict[str, tuple[Signature | None, str]] = field(default_factory=dict)  # path -> (stat, SHA-1)

    @property
    def differs(self) -> bool:
        return bool(self.new or self.changed or self.deleted)


def scan_files(paths: Sequence[Path], catalog: Catalog, cache: StatCache) -> Scan:
    """Compare the files below ``paths`` with ``catalog``: stat first, then content hash."""
    scan = Scan()
    present: set[str] = set()
    for source, reason in candidates(paths):
        scan.seen += 1
        if reason:
            scan.not_read.append(FileOutcome(source.doc_id, "skipped", reason))
            continue
        present.add(source.doc_id)
        scan.order[source.doc_id] = len(scan.order)
        path = os.path.abspath(source.path)
        sig: Signature | None
        try:
            sig = signature(os.stat(path))
            sha1 = cache.sha1(path, sig) or ""
            if not sha1:
                sig, sha1 = file_sha1(path)
        except OSError:
            sig, sha1 = None, ""  # read (and reported) below
        scan.hashes[path] = (sig, sha1)
        entry = catalog.files.get(source.doc_id)
        if entry is None:
            scan.new.append(source)
        elif entry.sha1 != sha1 or not sha1:
            scan.changed.append(source)
        else:
            scan.unchanged.append(source)
    scan.deleted = [doc_id for doc_id in catalog.files if doc_id not in present]
    by_hash: dict[str, list[str]] = {}
    for doc_id in scan.deleted:
        by_hash.setdefault(catalog.files[doc_id].sha1, []).append(doc_id)
    for source in scan.new:
        olds = by_hash.get(scan.hashes[os.path.abspath(source.path)][1])
        if olds:
            scan.renamed.append((olds.pop(0), source.doc_id))
    return scan


@dataclass
class CheckReport:
    """What ``zhsearch check`` found: the files the index is missing or holds stale."""

    seen: int
    new: list[str]
    changed: list[str]
    deleted: list[str]
    renamed: list[tuple[str, str]]

    @property
    def up_to_date(self) -> bool:
        return not (self.new or self.changed or self.deleted or self.renamed)

    def lines(self) -> list[str]:
        out = [f"new: {i}" for i in self.new]
        out += [f"changed: {i}" for i in self.changed]
        out += [f"deleted: {i}" for i in self.deleted]
        out += [f"renamed: {old} -> {new}" for old, new in self.renamed]
        return out

    def summary(self) -> str:
        if self.up_to_date:
            return f"The index is up to date ({self.seen} files checked)."
        parts = [(len(self.new), "new"), (len(self.changed), "changed"), (len(self.deleted), "deleted"),
                 (len(self.renamed), "renamed")]
        total = sum(n for n, _ in parts)
        listed = ", ".join(f"{n} {what}" for n, what in parts if n)
        return f"{total} files differ from the index: {listed} ({self.seen} files checked)."


def check_index(paths: Sequence[Path], location: Path) -> CheckReport:
    """Which files below ``paths`` are missing from the index at ``location`` or stale in it.

    Reads nothing but the files whose stat changed since the index saw them, and writes nothing.
    """
    paths = [Path(p) for p in paths]
    check_paths(paths)
    live = current_generation(Path(location))
    read_manifest(live)
    catalog = Catalog.load(live, census=False)
    scan = scan_files(paths, catalog, StatCache.load(Path(location)))
    renamed_new = {new for _, new in scan.renamed}
    renamed_old = {old for old, _ in scan.renamed}
    return CheckReport(
        seen=scan.seen,
        new=[s.doc_id for s in scan.new if s.doc_id not in renamed_new],
        changed=[s.doc_id for s in scan.changed],
        deleted=[i for i in scan.deleted if i not in renamed_old],
        renamed=scan.renamed,
    )


@dataclass
class UpdateReport:
    """What ``zhsearch update`` changed in the index."""

    seen: int = 0
    unchanged: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    recleaned: list[str] = field(default_factory=list)  # unchanged files whose learned boilerplate changed
    outcomes: list[FileOutcome] = field(default_factory=list)  # of the files read
    learned_paragraphs: int = 0
    published: bool = False  # False: nothing changed, no new generation
    tables_saved: list[str] = field(default_factory=list)  # tables the live generation lacked, saved now
    new_words_kept: int = 0  # words discovered by the last full build, kept as they were

    @property
    def skipped(self) -> Counter[str]:
        return Counter(o.kind for o in self.outcomes if o.status == "skipped")

    def lines(self) -> list[str]:
        out = [f"added: {i}" for i in self.added]
        out += [f"changed: {i}" for i in self.changed]
        out += [f"removed: {i}" for i in self.removed]
        out += [f"renamed: {old} -> {new}" for old, new in self.renamed]
        out += [f"re-cleaned: {i}" for i in self.recleaned]
        if self.tables_saved:
            out.append(f"saved the tables the index lacked: {', '.join(self.tables_saved)}")
        return out

    def summary(self) -> str:
        if not self.published:
            return f"Nothing to update: {self.seen} files seen, all unchanged."
        counts = [(len(self.added), "added"), (len(self.changed), "changed"), (len(self.removed), "removed"),
                  (len(self.renamed), "renamed")]
        done = ", ".join(f"{n} {what}" for n, what in counts if n) or "no document changed"
        lines = [f"{self.seen} files seen: {done}, {self.unchanged} unchanged"]
        for reason, n in self.skipped.most_common():
            lines.append(f"  skipped {n}: {reason}")
        if self.recleaned:
            lines.append(
                f"  boilerplate learned: {self.learned_paragraphs} recurring paragraphs; "
                f"{len(self.recleaned)} unchanged articles cleaned again"
            )
        if self.new_words_kept:
            lines.append(
                f"  new words: kept the {self.new_words_kept} found by the last full build "
                "(an update does not look for new ones: zhsearch index does)"
            )
        return "\n".join(lines)


def update_index(
    paths: Sequence[Path],
    location: Path,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    segment_chars: int = SEGMENT_CHARS,
) -> UpdateReport:
    """Bring the index at ``location`` up to date with the article files below ``paths``.

    New files are added, changed ones indexed again, deleted ones removed, renamed ones moved to
    their new id; when nothing changed no new generation is written. The result holds the same
    documents as ``build_index`` of the same ``paths`` would (see the module docstring).
    """
    paths = [Path(p) for p in paths]
    location = Path(location)
    check_paths(paths)
    current_generation(location)  # no index: say so before the lock creates its folder
    started = time.time_ns()
    with WorkerPool(jobs) as pool, writer_lock(location):
        remove_leftovers(location)
        live = current_generation(location)
        manifest = read_manifest(live, writing=True)
        if manifest.get("cleaning_version") != CLEANING_VERSION:
            raise IndexIncompatibleError(
                f"the index at {location} was written by zhsearch {manifest.get('zhsearch_version', '?')}, "
                "which read and cleaned articles differently"
            )
        catalog = Catalog.load(live, census=False)
        cache = StatCache.load(location)
        scan = scan_files(paths, catalog, cache)
        report = UpdateReport(seen=scan.seen, unchanged=len(scan.unchanged))
        for path, (sig, sha1) in scan.hashes.items():
            if sig is not None and sha1:
                cache.record(path, sig, sha1, now_ns=started)
        cache.keep_only(scan.hashes)
        if scan.differs:
            catalog = Catalog.load(live)
            learning = bool(manifest.get("boilerplate", {}).get("learning", True))
            with IndexWriter(location, update=True, lock=False, segment_chars=segment_chars) as writer:
                _apply(scan, catalog, writer, pool, report, learning, progress)
                if not any(entry.indexed for entry in catalog.files.values()):
                    raise NothingIndexedError(
                        f"no article is left to index below {', '.join(str(p) for p in paths)}",
                        hint="the index was left as it was",
                    )
                catalog.roots = [str(p.resolve()) for p in paths]
                writer.attach(FILES, catalog.files_json())
                writer.attach(PARAGRAPHS, catalog.paragraphs_json())
                if (live / NEW_WORDS_FILE).exists():  # the analyzer keeps its words: so does their evidence
                    writer.attach(NEW_WORDS_FILE, (live / NEW_WORDS_FILE).read_text(encoding="utf-8"))
                report.new_words_kept = len(writer.config.new_words)
                writer.manifest.update(
                    roots=catalog.roots,
                    cleaning_version=CLEANING_VERSION,
                    boilerplate={"learning": learning, "paragraphs": report.learned_paragraphs},
                )
            report.published = True
        else:  # an index written by an older zhsearch, or a damaged table: nothing else writes them
            simplify = AnalyzerConfig.from_json(manifest.get("analyzer", {})).simplify
            threshold = manifest_threshold(manifest)
            report.tables_saved = save_tables(live, simplify=simplify, duplicate_threshold=threshold)
        cache.save(location)
    return report


def _apply(
    scan: Scan,
    catalog: Catalog,
    writer: IndexWriter,
    pool: WorkerPool,
    report: UpdateReport,
    learning: bool,
    progress: Progress | None,
) -> None:
    """Delete, add and re-clean documents in ``writer`` for ``scan``; ``catalog`` follows."""
    learner = catalog.learner()
    learned_before = learner.learn() if learning else LearnedBoilerplate({})
    was_indexed = {doc_id for doc_id, entry in catalog.files.items() if entry.indexed}

    # Out: the deleted and changed files.
    for doc_id in [*scan.deleted, *(s.doc_id for s in scan.changed)]:
        census = catalog.census.pop(doc_id, None)
        if census is not None:
            learner.forget(census.outlet, census.keys)
        catalog.files.pop(doc_id, None)

    # In: the new and changed files, read.
    to_read = sorted([*scan.new, *scan.changed], key=lambda s: scan.order[s.doc_id])
    records: dict[str, SourceRecord] = {}
    for record in read_sources(pool, to_read, progress):
        report.outcomes.extend(record.outcomes)
        if record.document is None:
            catalog.files[record.doc_id] = FileEntry(record.sha1, None, record.skip_reason)
            continue
        records[record.doc_id] = record
        learner.count(outlet_key(record.document), record.keys)
        catalog.census[record.doc_id] = CensusEntry(outlet_key(record.document), record.keys)

    learned = learner.learn() if learning else LearnedBoilerplate({})
    report.learned_paragraphs = learned.size

    # Again: unchanged articles that contain a paragraph whose learned status changed.
    flipped = learned_before.changed_keys(learned)
    unchanged = {s.doc_id: s for s in scan.unchanged}
    affected = [
        unchanged[doc_id]
        for doc_id, entry in catalog.census.items()
        if doc_id in unchanged and entry.keys & LearnedBoilerplate(flipped).keys_of(entry.outlet)
    ]
    reread: dict[str, SourceRecord] = {}
    for record in read_sources(pool, affected):
        entry = catalog.files[record.doc_id]
        if record.document is not None and record.sha1 == entry.sha1:  # else it changed since: next update
            cleaned, _ = clean(record.document, learned)
            census = catalog.census[record.doc_id]
            retitled = any(is_title_key(k) for k in census.keys & LearnedBoilerplate(flipped).keys_of(census.outlet))
            if cleaned.content_hash != entry.content_hash or retitled:  # a title is not in the content hash
                reread[record.doc_id] = record

    # Write: delete what was indexed for these ids, add the new documents.
    for doc_id in [*scan.deleted, *(s.doc_id for s in scan.changed), *reread]:
        if doc_id in was_indexed:
            writer.delete(doc_id)
    writing = sorted([*records.values(), *reread.values()], key=lambda r: scan.order[r.doc_id])
    documents = [r.document for r in writing if r.document is not None]
    _, hashes = write_documents(pool, writer, documents, learned, progress)
    for record, content_hash in zip(writing, hashes, strict=True):
        catalog.files[record.doc_id] = FileEntry(record.sha1, content_hash)

    report.renamed = [(old, new) for old, new in scan.renamed if new in records and old in was_indexed]
    renamed_old = {old for old, _ in report.renamed}
    renamed_new = {new for _, new in report.renamed}
    report.added = [r.doc_id for r in writing if r.doc_id not in was_indexed and r.doc_id not in renamed_new]
    report.changed = [s.doc_id for s in scan.changed if s.doc_id in was_indexed and s.doc_id in records]
    report.removed = [
        doc_id
        for doc_id in [*scan.deleted, *(s.doc_id for s in scan.changed)]
        if doc_id in was_indexed and doc_id not in records and doc_id not in renamed_old
    ]
    report.recleaned = list(reread)
