"""Writing documents into a new index generation with the schema and analyzer of ``search/``.

A generation is written by one :class:`IndexWriter` (holding the index's writer lock), either from
scratch or, for updates, as a copy of the live generation that shares its segment files. Segments
are written by :class:`search.embedded.segments.SegmentBuilder`, in this process or in worker processes
that write into :attr:`IndexWriter.directory`; the writer lists them in Whoosh's table of
contents, saves the tables derived from it (:mod:`search.embedded.tables`) and publishes the generation
atomically (see :mod:`search.embedded.store`).
"""

from __future__ import annotations

import contextlib
import math
import shutil
from collections.abc import Iterable, Iterator, Sequence
from datetime import timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, clean_files
from whoosh.reading import SegmentReader, TermNotFound

from ..text.analysis import ANALYZER_VERSION, AnalyzerConfig
from ..results.document import Document, stored_document
from ..results.duplicates import MANIFEST_KEY, manifest_threshold
from ..errors import IndexIncompatibleError
from .merge import merge_segments
from .schema import build_schema
from .segments import INDEX_NAME, SegmentBuilder
from .store import (
    current_generation,
    link_generation,
    new_build_dir,
    publish,
    read_manifest,
    write_atomic,
    writer_lock,
)
from .tables import save_tables

SEGMENT_CHARS = 1_500_000  # characters of title and text per segment (its writer needs ~125 MB per million;
# with 2 jobs, three processes stay under 1 GB together)
MERGE_FACTOR = 4  # an update merges this many small segments of one size class into one


def document_fields(doc: Document) -> dict[str, Any]:
    """The Whoosh field values of one document."""
    date = doc.date.astimezone(timezone.utc).replace(tzinfo=None) if doc.date else None
    fields: dict[str, Any] = {
        "id": doc.id,
        "path": doc.path,
        "title": doc.title,
        "text": doc.text,
        "title_chars": doc.title,
        "text_chars": doc.text,
        "title_pairs": doc.title,
        "text_pairs": doc.text,
        "url": doc.url,
        "source": doc.source or "",
        "author": doc.author,
        "categories": ",".join(c.replace(",", " ") for c in doc.categories),
        "tags": ",".join(t.replace(",", " ") for t in doc.tags),
        "content_hash": doc.content_hash,
        "simhash": doc.simhash,
    }
    if date is not None:
        fields["date"] = date
        fields["month"] = date.strftime("%Y-%m")
    return fields


def document_chars(doc: Document) -> int:
    """The size that decides where segments end: characters of title and text."""
    return len(doc.title) + len(doc.text)


def partition(documents: Sequence[Document], *, limit: int = SEGMENT_CHARS) -> list[slice]:
    """Consecutive slices of ``documents`` of about ``limit`` characters each: a build's segments.

    It depends only on the documents, so an index is split the same way whatever the number of
    processes writing it.
    """
    return partition_sizes([document_chars(doc) for doc in documents], limit=limit)


def partition_sizes(sizes: Sequence[int], *, limit: int = SEGMENT_CHARS) -> list[slice]:
    """:func:`partition` of documents of these sizes (:func:`document_chars`), in order."""
    slices: list[slice] = []
    start = size = 0
    for i, chars in enumerate(sizes):
        size += chars
        if size >= limit:
            slices.append(slice(start, i + 1))
            start, size = i + 1, 0
    if start < len(sizes):
        slices.append(slice(start, len(sizes)))
    return slices


def write_segment(directory: Path, config: AnalyzerConfig, documents: Iterable[Document]) -> Any:
    """Write ``documents`` as one new segment into the index being built in ``directory``; the
    segment (None when there are no documents) is then handed to :meth:`IndexWriter.add_segment`."""
    builder = SegmentBuilder(directory, build_schema(config))
    try:
        for doc in documents:
            builder.add(document_fields(doc))
        return builder.finish()
    except BaseException:
        builder.cancel()
        raise


class IndexWriter:
    """Write a new generation of the index at ``location``; publish it on commit.

    Use as a context manager: leaving the block normally publishes the new generation
    atomically; an exception (or a crash) leaves the live index untouched, and the next writer
    removes what was left. With ``update=True`` the new generation starts as a copy of the live
    one (its segment files shared through hard links, so nothing is copied): :meth:`delete` and
    :meth:`add` then change it, and small segments are merged on commit. The analyzer is then
    the live index's, whatever ``config`` says. ``lock=False`` when the caller already holds the
    index's writer lock (see :func:`search.embedded.store.writer_lock`). With ``join=True`` a new index
    (not an update) whose documents filled several segments is committed as one segment, merged
    from them (:func:`search.embedded.merge.merge_segments`): about half the size on disk, queries as
    fast, for about 40% more build CPU time.
    """

    def __init__(
        self,
        location: Path | str,
        *,
        config: AnalyzerConfig = AnalyzerConfig(),
        manifest: dict[str, Any] | None = None,
        update: bool = False,
        segment_chars: int = SEGMENT_CHARS,
        lock: bool = True,
        join: bool = False,
    ) -> None:
        self.location = Path(location)
        self.config = config
        self.manifest = dict(manifest or {})
        self.update = update
        self.segment_chars = segment_chars
        self.join = join
        self.base_manifest: dict[str, Any] = {}
        self.schema: Any = None
        self.deleted = 0
        self._lock: contextlib.AbstractContextManager[None] = (
            writer_lock(self.location) if lock else contextlib.nullcontext()
        )
        self._build: Path | None = None
        self._storage: Any = None
        self._generation = 0
        self._base: list[Any] = []  # the live generation's segments (update)
        self._live: Path | None = None  # the live generation (update): its tables help compute the new ones
        self._readers: dict[int, Any] = {}
        self._segments: list[Any] = []  # segments written for this generation
        self._builder: SegmentBuilder | None = None
        self._builder_chars = 0

    @property
    def directory(self) -> Path:
        """The directory the new generation is being written in (segments go here)."""
        if self._build is None:
            raise RuntimeError("the writer is not open")
        return self._build

    def __enter__(self) -> IndexWriter:
        self._lock.__enter__()
        try:
            self._build = new_build_dir(self.location)
            self._storage = FileStorage(str(self._build))
            if self.update:
                self._start_from_live()
            else:
                self.schema = build_schema(self.config)
                TOC.create(self._storage, self.schema, INDEX_NAME)
        except BaseException:
            self._abandon()
            raise
        return self

    def _start_from_live(self) -> None:
        live = current_generation(self.location)
        self._live = live
        self.base_manifest = read_manifest(live, writing=True)
        config = AnalyzerConfig.from_json(self.base_manifest.get("analyzer", {}))
        if config.version != ANALYZER_VERSION:
            raise IndexIncompatibleError(
                f"the index at {self.location} uses analyzer version {config.version}; "
                f"this zhsearch uses {ANALYZER_VERSION}"
            )
        self.config = config
        self.schema = build_schema(config)
        assert self._build is not None
        # Only Whoosh's files: the segments and the table of contents. Catalogs and caches are
        # the new generation's own (and caches depend on document numbers, which an update changes).
        link_generation(live, self._build, prefixes=(f"{INDEX_NAME}_", f"_{INDEX_NAME}_"))
        try:
            toc = TOC.read(self._storage, INDEX_NAME, schema=self.schema)
        except Exception as exc:  # noqa: BLE001 - any unreadable table of contents is incompatible
            raise IndexIncompatibleError(f"cannot open the index at {self.location}: {exc}") from None
        self._generation = toc.generation
        self._base = list(toc.segments)

    def reconfigure(self, config: AnalyzerConfig) -> None:
        """Write the new index with ``config`` instead (a new index, before any document is added):
        a build that learns its analyzer's words from the documents it has read."""
        if self.update or self._segments or self._builder is not None:
            raise RuntimeError("the analyzer can only change before a new index's first document")
        self.config = config
        self.schema = build_schema(config)
        TOC.create(self._storage, self.schema, INDEX_NAME)

    # -- documents -----------------------------------------------------------------------------

    def add(self, doc: Document) -> None:
        """Add one document (to a segment written in this process)."""
        if self._builder is None:
            self._builder = SegmentBuilder(self.directory, self.schema)
        self._builder.add(document_fields(doc))
        self._builder_chars += document_chars(doc)
        if self._builder_chars >= self.segment_chars:
            self._flush()

    def _flush(self) -> None:
        if self._builder is not None:
            segment = self._builder.finish()
            self._builder, self._builder_chars = None, 0
            if segment is not None:
                self._segments.append(segment)

    def add_segment(self, segment: Any) -> None:
        """List a segment written into :attr:`directory` (by :func:`write_segment`, maybe in another process)."""
        if segment is not None:
            self._flush()
            self._segments.append(segment)

    def delete(self, doc_id: str) -> int:
        """Delete the live generation's document with this id; how many were deleted (0 or 1)."""
        found = 0
        for i, segment in enumerate(self._base):
            reader = self._readers.get(i)
            if reader is None:
                reader = self._readers[i] = SegmentReader(self._storage, self.schema, segment)
            try:
                docnums = list(reader.postings("id", doc_id).all_ids())
            except TermNotFound:
                continue
            for docnum in docnums:
                if not segment.is_deleted(docnum):
                    segment.delete_document(docnum)
                    found += 1
        self.deleted += found
        return found

    def attach(self, name: str, content: str) -> None:
        """Store a file with the new generation (next to its manifest).

        Written as a new file, never in place: the name may be a hard link to the live generation's.
        """
        write_atomic(self.directory / name, content)

    # -- commit --------------------------------------------------------------------------------

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self._commit()
        finally:
            if self._build is not None and self._build.exists():
                self._abandon()
            else:
                self._lock.__exit__(None, None, None)

    def _commit(self) -> None:
        self._flush()
        self._close_readers()
        segments = [s for s in self._base if s.doc_count() > 0] + self._segments
        assert self._build is not None
        if self.update:
            segments = self._merge(segments)
        elif self.join and len(segments) > 1:
            merged = merge_segments(self._build, self.schema, segments)
            segments = [merged] if merged is not None else []
        generation = self._generation + 1
        TOC(self.schema, segments, generation).write(self._storage, INDEX_NAME)
        clean_files(self._storage, INDEX_NAME, generation, segments)
        shutil.rmtree(self._build / f"{INDEX_NAME}.tmp", ignore_errors=True)
        carried = {k: self.base_manifest[k] for k in ("built_at", MANIFEST_KEY) if k in self.base_manifest}
        threshold = manifest_threshold({**carried, **self.manifest})
        # so that no query computes them
        save_tables(self._build, simplify=self.config.simplify, duplicate_threshold=threshold,
                    previous=self._live)  # an update reuses what the live generation's duplicates left
        publish(
            self.location,
            self._build,
            {
                **carried,
                "documents": sum(s.doc_count() for s in segments),
                "segments": len(segments),
                "analyzer": self.config.to_json(),
                **self.manifest,
            },
        )

    def _merge(self, segments: list[Any]) -> list[Any]:
        """Merge small segments by size class, and rewrite segments that are mostly deletions.

        A segment smaller than half a full one (``segment_chars``) has the class
        ⌊log₄(characters / 1000)⌋; when a class holds ``MERGE_FACTOR`` segments they become one.
        So n small updates rewrite O(n log n) characters in all and leave O(log n) small
        segments, and the segments of a full build are never rewritten for an update (unless
        most of their documents are gone). Merging analyzes the stored documents again, which
        keeps the field-length totals exact (see :meth:`_rewrite`).
        """
        rewrite = [s for s in segments if s.deleted_count() * 2 > s.doc_count_all()]
        kept = [s for s in segments if s not in rewrite]
        if rewrite:
            kept.append(self._rewrite(rewrite))
        while True:
            classes: dict[int, list[Any]] = {}
            for segment in kept:
                size = self._live_chars(segment)
                if segment is not None and size < self.segment_chars // 2:
                    classes.setdefault(int(math.log(max(size, 1000) / 1000, MERGE_FACTOR)), []).append(segment)
            full = sorted(c for c, members in classes.items() if len(members) >= MERGE_FACTOR)
            if not full:
                return [s for s in kept if s is not None]
            group = classes[full[0]]
            kept = [s for s in kept if s not in group]
            kept.append(self._rewrite(group))

    def _live_chars(self, segment: Any) -> int:
        """About how many characters of title and text the segment's live documents hold."""
        if segment is None:
            return 0
        reader = SegmentReader(self._storage, self.schema, segment)
        try:
            chars = sum(reader.field_length(name) for name in ("title_chars", "text_chars") if name in self.schema)
        finally:
            reader.close()
        return chars * segment.doc_count() // max(segment.doc_count_all(), 1)

    def _rewrite(self, segments: list[Any]) -> Any:
        """One new segment holding the live documents of ``segments``, analysed again from their
        stored documents. (:func:`search.embedded.merge.merge_segments` would copy postings instead, but
        it can only estimate the field-length totals once documents are deleted, from their
        one-byte length codes; analysing keeps the totals, and so the scores, exact.)"""
        builder = SegmentBuilder(self.directory, self.schema)
        for segment in segments:
            reader = SegmentReader(self._storage, self.schema, segment)
            try:
                for _, stored in reader.iter_docs():
                    builder.add(document_fields(stored_document(stored)))
            finally:
                reader.close()
        return builder.finish()

    def _close_readers(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    def _abandon(self) -> None:
        try:
            if self._builder is not None:
                self._builder.cancel()
            self._close_readers()
            if self._build is not None:
                shutil.rmtree(self._build, ignore_errors=True)
        finally:
            self._lock.__exit__(None, None, None)


def live_segments(location: Path) -> Iterator[tuple[str, int, int]]:
    """(segment id, documents, deleted documents) of each segment of the live generation."""
    generation = current_generation(location)
    toc = TOC.read(FileStorage(str(generation)), INDEX_NAME)
    for segment in toc.segments:
        yield segment.segment_id(), segment.doc_count(), segment.deleted_count()
