"""Building an index from folders of articles, with a report of what was skipped and why.

A build reads every article (in worker processes with ``jobs`` > 1), learns the boilerplate of
each outlet from all of them, then writes the cleaned documents as segments of a new generation,
again in parallel. The documents are cut into segments by size alone and the segments listed in
order, so the index is the same whatever the number of jobs. The generation also records the
files it was built from (see :mod:`indexer.catalog`) for ``zhsearch update``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zhsearch.search import AnalyzerConfig, Document, IndexWriter
from zhsearch.search.results.duplicates import DEFAULT_THRESHOLD, MANIFEST_KEY, check_threshold
from zhsearch.search.text.analysis import is_dictionary_word, load_dictionary
from zhsearch.search.text.discover import NEW_WORDS_FILE, Discovery, find_new_words
from zhsearch.search.errors import ZhsearchError
from zhsearch.search.text.normalize import fold
from zhsearch.search.embedded.writer import SEGMENT_CHARS, document_chars, partition_sizes, write_segment

from .article import finish_document
from .catalog import CATALOG_VERSION, CLEANING_VERSION, FILES, PARAGRAPHS, Catalog, FileEntry, StatCache
from .recurring import LearnedBoilerplate, ParagraphCensus, RecurringParagraphs, outlet_key
from .sources import (
    ARTICLE_SUFFIXES,
    REPOSITORY_FILES,
    FileOutcome,
    SourceFile,
    SourceRecord,
    candidates,
    discover,
    read_batch,
    read_source,
)
from .spill import DocumentSpill, Strings
from .workers import WorkerPool, exit_if_orphaned

__all__ = [
    "ARTICLE_SUFFIXES",
    "REPOSITORY_FILES",
    "FileOutcome",
    "IndexReport",
    "NothingIndexedError",
    "Progress",
    "SourceFile",
    "build_index",
    "discover",
    "parse_archive",
]

# Called as progress(stage, done, total) while a command works: stage is "reading" or "indexing".
Progress = Callable[[str, int, int], None]
READ_BATCH = 32  # files per reading task
TOP_OUTLETS = 10  # outlets the summary names


class NothingIndexedError(ZhsearchError):
    """No article could be indexed from the given paths."""

    hint = "check the paths: zhsearch reads .md, .markdown and .html files"


class StrictBuildError(ZhsearchError):
    """A strict build skipped files: nothing was published, the live index is left as it was."""

    hint = "the live index was left as it was; --report FILE lists the skipped files"


@dataclass
class IndexReport:
    """What an index build saw, indexed, skipped and recovered."""

    seen: int = 0
    indexed: int = 0
    outcomes: list[FileOutcome] = field(default_factory=list)
    learned_paragraphs: int = 0  # distinct recurring paragraphs learned as boilerplate
    learned_suffixes: int = 0  # distinct title suffixes learned (site names ending the titles of one source)
    dropped_paragraphs: int = 0  # their occurrences removed from the indexed texts
    outlets: Counter[str] = field(default_factory=Counter)  # indexed documents per outlet ('' for none)
    undated: int = 0  # indexed documents without a date
    discovery: Discovery | None = None  # the new words found in the documents (None: not looked for)

    @property
    def skipped(self) -> Counter[str]:
        """Skipped files by kind of reason."""
        return Counter(o.kind for o in self.outcomes if o.status == "skipped")

    @property
    def recovered(self) -> Counter[str]:
        """Recoveries by kind (one file may count under several kinds)."""
        return Counter(o.kind for o in self.outcomes if o.status == "recovered")

    @property
    def flagged(self) -> Counter[str]:
        """Indexed documents that look misread, by kind: ``over-cleaned``, ``template remnant``."""
        return Counter(o.kind for o in self.outcomes if o.status == "flagged")

    def count(self, document: Document) -> None:
        """Count an indexed document's outlet and whether it has a date."""
        self.outlets[document.source or ""] += 1
        self.undated += document.date is None

    def summary(self) -> str:
        lines = [f"{self.seen} files seen, {self.indexed} indexed, {sum(self.skipped.values())} skipped"]
        for reason, n in self.skipped.most_common():
            lines.append(f"  skipped {n}: {reason}")
        for reason, n in self.recovered.most_common():
            lines.append(f"  recovered {n}: {reason}")
        for reason, n in self.flagged.most_common():
            lines.append(f"  flagged {n}: {reason} (see --report)")
        if self.outlets:
            top = ", ".join(f"{outlet or '(none)'} {n}" for outlet, n in self.outlets.most_common(TOP_OUTLETS))
            more = len(self.outlets) - TOP_OUTLETS
            lines.append(f"  outlets: {top}" + (f" and {more} more" if more > 0 else ""))
        if self.indexed:
            lines.append(f"  undated: {self.undated} of {self.indexed} documents ({self.undated / self.indexed:.1%})")
        if self.learned_paragraphs:
            lines.append(
                f"  boilerplate learned: {self.learned_paragraphs} recurring paragraphs, "
                f"{self.dropped_paragraphs} occurrences removed"
            )
        if self.learned_suffixes:
            lines.append(f"  title suffixes learned: {self.learned_suffixes} (site names removed from titles)")
        if self.discovery is not None and self.discovery.words:
            lines.append(
                f"  new words: {len(self.discovery.words)} found in the archive that jieba's dictionary lacks "
                f"({self.discovery.seconds:.1f} s; zhsearch stats --words lists them)"
            )
        return "\n".join(lines)


def clean(document: Document, learned: LearnedBoilerplate) -> tuple[Document, int]:
    """The document as indexed: without its outlet's learned boilerplate (fingerprints redone)
    and learned title suffix."""
    stripped, dropped = learned.strip(document)
    return (finish_document(stripped), dropped) if dropped else (stripped, 0)


def read_sources(
    pool: WorkerPool, sources: Sequence[SourceFile], progress: Progress | None = None
) -> Iterator[SourceRecord]:
    """Read ``sources`` (in the pool's workers), in order."""
    batches = [sources[i : i + READ_BATCH] for i in range(0, len(sources), READ_BATCH)]
    done = 0
    for records in pool.map(read_batch, [(pool.parent, batch) for batch in batches]):
        yield from records
        done += len(records)
        if progress:
            progress("reading", done, len(sources))


# A segment of at least this many documents loads jieba's whole dictionary before cutting them
# (``search.text.analysis.load_dictionary``): the mapped one's lookups then cost about as much again.
LOAD_DICTIONARY_DOCUMENTS = 200


def write_part(task: tuple[int | None, Path, AnalyzerConfig, list[Document], LearnedBoilerplate]) -> tuple[Any, int, list[str]]:
    """Worker task: clean documents and write them as one segment; (segment, paragraphs dropped,
    content hash of each document)."""
    parent, directory, config, documents, learned = task
    dropped = 0
    hashes: list[str] = []

    def cleaned() -> Iterator[Document]:
        nonlocal dropped
        for document in documents:
            exit_if_orphaned(parent)
            document, n = clean(document, learned)
            dropped += n
            hashes.append(document.content_hash)
            yield document

    if len(documents) >= LOAD_DICTIONARY_DOCUMENTS:  # not for the few documents of an update
        load_dictionary(config)
    segment = write_segment(directory, config, cleaned())
    return segment, dropped, hashes


def write_documents(
    pool: WorkerPool,
    writer: IndexWriter,
    documents: Sequence[Document] | DocumentSpill,
    learned: LearnedBoilerplate,
    progress: Progress | None = None,
) -> tuple[int, list[str]]:
    """Write ``documents`` (cleaned of ``learned``) as new segments of ``writer``'s generation, in
    the pool's workers; (paragraphs dropped, content hash of each document).

    Each segment's documents are taken (from a :class:`DocumentSpill`, read from its file) when
    the pool is ready for them, so only the segments being written are in memory.
    """
    sizes = documents.sizes if isinstance(documents, DocumentSpill) else [document_chars(d) for d in documents]
    tasks = (
        (pool.parent, writer.directory, writer.config, list(documents[part]), learned)
        for part in partition_sizes(sizes, limit=writer.segment_chars)
    )
    dropped = 0
    hashes: list[str] = []
    for segment, n, part_hashes in pool.map(write_part, tasks):
        writer.add_segment(segment)
        dropped += n
        hashes.extend(part_hashes)
        if progress:
            progress("indexing", len(hashes), len(documents))
    return dropped, hashes


def _take(records: Iterable[SourceRecord], report: IndexReport, learner: RecurringParagraphs) -> list[SourceRecord]:
    """The records of indexed documents, counted in ``report`` and ``learner``."""
    kept = []
    for record in records:
        report.outcomes.extend(record.outcomes)
        if record.document is not None:
            report.count(record.document)
            learner.count(outlet_key(record.document), record.keys)
            kept.append(record)
    return kept


def parse_archive(
    paths: Sequence[Path],
    *,
    learn_boilerplate: bool = True,
    progress: Progress | None = None,
) -> tuple[list[Document], IndexReport]:
    """Parse every article below ``paths`` in this process: the documents, cleaned, and the report.

    With ``learn_boilerplate`` a paragraph that recurs in many articles of one outlet is learned
    while parsing and removed afterwards (see ``indexer.recurring``).
    """
    report = IndexReport()
    learner = RecurringParagraphs()
    sources = _articles(paths, report)
    with WorkerPool(1) as pool:
        kept = _take(read_sources(pool, sources, progress), report, learner)
    report.indexed = len(kept)
    learned = learner.learn() if learn_boilerplate else LearnedBoilerplate({})
    report.learned_paragraphs, report.learned_suffixes = learned.size, learned.title_suffixes
    documents = []
    for record in kept:
        assert record.document is not None
        document, dropped = clean(record.document, learned)
        report.dropped_paragraphs += dropped
        documents.append(document)
    return documents, report


def check_paths(paths: Sequence[Path]) -> None:
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise NothingIndexedError(f"no such file or folder: {', '.join(missing)}", hint="check the path")


def build_index(
    paths: Sequence[Path],
    location: Path,
    *,
    config: AnalyzerConfig = AnalyzerConfig(),
    jobs: int = 1,
    progress: Progress | None = None,
    learn_boilerplate: bool = True,
    segment_chars: int = SEGMENT_CHARS,
    merge: bool = False,
    strict: bool = False,
    duplicate_threshold: float = DEFAULT_THRESHOLD,
    new_words: bool = True,
) -> IndexReport:
    """Index every article below ``paths`` into a new generation of the index at ``location``.

    ``jobs`` processes read, clean and analyze; the index is the same for any number (segments
    end every ``segment_chars`` characters of text, whatever the number of jobs). The live
    index is replaced only when the build completes (with ``merge``, its segments merged into one
    first: see :class:`search.embedded.writer.IndexWriter`); raises NothingIndexedError when no file
    could be indexed (the live index is then left as it was), IndexLockedError when another
    process is writing the index. With ``strict``, a skipped file raises StrictBuildError once
    every file is read, before anything is written (the live index is then left as it was too).
    Texts at least ``duplicate_threshold`` alike are copies (see :mod:`search.results.duplicates`; it is
    recorded in the manifest, so updates keep it); InvalidArgumentError when it is out of range.
    With ``new_words``, the words jieba's dictionary lacks are discovered in the documents (see
    :mod:`search.text.discover`) and recorded in the index's analyzer (``config.new_words``).
    """
    threshold = check_threshold(duplicate_threshold)
    paths = [Path(p) for p in paths]
    check_paths(paths)
    started = time.time_ns()
    report = IndexReport()
    catalog = Catalog(roots=[str(p.resolve()) for p in paths])
    cache = StatCache()
    with WorkerPool(jobs) as pool, IndexWriter(location, config=config, segment_chars=segment_chars, join=merge) as writer, \
            DocumentSpill(writer.directory) as documents:
        sources = _articles(paths, report)
        # each document's id, SHA-1, outlet and paragraph digests, compact (a list of tuples of
        # str and frozenset took ~4 kB a document)
        ids, sha1s, census = Strings(), Strings(), ParagraphCensus()
        for record in read_sources(pool, sources, progress):
            if record.signature is not None and record.sha1:
                cache.record(record.path, record.signature, record.sha1, now_ns=started)
            report.outcomes.extend(record.outcomes)
            if record.document is None:
                catalog.files[record.doc_id] = FileEntry(record.sha1, None, record.skip_reason)
                continue
            outlet = outlet_key(record.document)
            report.count(record.document)
            census.count(outlet, record.keys)
            documents.append(record.document)  # to disk: the build never holds every document
            ids.append(record.doc_id)
            sha1s.append(record.sha1)
        report.indexed = len(ids)
        if not ids:
            exc = NothingIndexedError(
                f"no article could be indexed from {', '.join(str(p) for p in paths)} ({report.seen} files seen)"
            )
            exc.report = report  # type: ignore[attr-defined]
            raise exc
        if strict and report.skipped:
            failure = StrictBuildError(f"{sum(report.skipped.values())} files were skipped (--strict)")
            failure.report = report  # type: ignore[attr-defined]
            raise failure
        learned = census.learn() if learn_boilerplate else LearnedBoilerplate({})
        report.learned_paragraphs, report.learned_suffixes = learned.size, learned.title_suffixes
        if new_words:
            report.discovery = discover_new_words(documents, learned, writer.config, directory=writer.directory)
            writer.reconfigure(replace(writer.config, new_words=tuple(w.word for w in report.discovery.words)))
            writer.attach(NEW_WORDS_FILE, report.discovery.to_json())
        report.dropped_paragraphs, hashes = write_documents(pool, writer, documents, learned, progress)
        writer.attach(FILES, files_json(catalog, ids, sha1s, hashes))
        del hashes
        writer.attach(PARAGRAPHS, census_json(ids, census))
        writer.manifest.update(_manifest(catalog, learned, learn_boilerplate))
        writer.manifest[MANIFEST_KEY] = threshold
    cache.save(Path(location))
    return report


def _by_id(ids: Strings) -> list[int]:
    """The positions of ``ids`` in the order of the ids, the last of each id only (as in a dict)."""
    order = sorted(range(len(ids)), key=ids.__getitem__)
    return [i for at, i in enumerate(order) if at + 1 == len(order) or ids[order[at + 1]] != ids[i]]


def _entry(doc_id: str, value: list[Any]) -> str:
    return f"{json.dumps(doc_id, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"


def census_json(ids: Strings, census: ParagraphCensus) -> str:
    """``paragraphs.json`` of the documents ``ids`` whose outlets and digests ``census`` holds (in
    the same order): the text :meth:`Catalog.paragraphs_json` writes for the same census, built
    without a ``CensusEntry`` per document."""
    parts = [_entry(ids[i], [census.outlet(i), census.digests(i).hex()]) for i in _by_id(ids)]
    return f'{{"version": {CATALOG_VERSION}, "documents": {{{", ".join(parts)}}}}}'


def files_json(catalog: Catalog, ids: Strings, sha1s: Strings, hashes: Sequence[str]) -> str:
    """``files.json`` of ``catalog.files`` (the skipped files) and of the documents ``ids`` (with
    their SHA-1s and content hashes, in the same order; a document replaces a skipped file of
    its id): the text :meth:`Catalog.files_json` writes once the documents are added to
    ``catalog.files``, built without a ``FileEntry`` per document."""
    if len(hashes) != len(ids):
        raise ValueError(f"{len(hashes)} content hashes for {len(ids)} documents")
    documents = _by_id(ids)
    indexed = {ids[i] for i in documents} if catalog.files else set()
    skipped = sorted((i, e) for i, e in catalog.files.items() if i not in indexed)
    parts, at = [], 0
    for i in documents:
        doc_id = ids[i]
        while at < len(skipped) and skipped[at][0] < doc_id:
            parts.append(_entry(skipped[at][0], [skipped[at][1].sha1, skipped[at][1].content_hash, skipped[at][1].reason]))
            at += 1
        parts.append(_entry(doc_id, [sha1s[i], hashes[i], None]))
    parts.extend(_entry(i, [e.sha1, e.content_hash, e.reason]) for i, e in skipped[at:])
    roots = json.dumps(catalog.roots, ensure_ascii=False)
    return f'{{"version": {CATALOG_VERSION}, "roots": {roots}, "files": {{{", ".join(parts)}}}}}'


def discover_new_words(
    documents: Iterable[Document], learned: LearnedBoilerplate, config: AnalyzerConfig, *, directory: Path | None = None
) -> Discovery:
    """The new words of the documents' titles and texts as they are indexed (without their
    learned boilerplate, normalized as ``config`` normalizes); its temporary file goes in ``directory``."""

    def texts() -> Iterator[str]:
        for document in documents:
            stripped, _ = learned.strip(document)
            yield fold(f"{stripped.title}\n{stripped.text}", simplify=config.simplify)

    return find_new_words(texts(), lambda word: is_dictionary_word(word, config), directory=directory)


def _manifest(catalog: Catalog, learned: LearnedBoilerplate, learn_boilerplate: bool) -> dict[str, Any]:
    return {
        "roots": catalog.roots,
        "cleaning_version": CLEANING_VERSION,
        "boilerplate": {"learning": learn_boilerplate, "paragraphs": learned.size},
    }


__all__ += ["clean", "read_source", "write_documents", "read_sources", "check_paths"]


def _articles(paths: Sequence[Path], report: IndexReport) -> list[SourceFile]:
    """The files below ``paths`` worth reading; the others are counted and reported as skipped."""
    sources: list[SourceFile] = []
    for source, reason in candidates(paths):
        report.seen += 1
        if reason:
            report.outcomes.append(FileOutcome(source.doc_id, "skipped", reason))
        else:
            sources.append(source)
    return sources
