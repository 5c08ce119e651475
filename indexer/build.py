"""Building an index from folders of articles, with a report of what was skipped and why."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from search import AnalyzerConfig, IndexWriter
from search.errors import ZhsearchError

from search import Document

from .article import SkipArticle, finish_document, read_article
from .recurring import RecurringParagraphs

# Files that every repository has and no blog publishes as a post.
REPOSITORY_FILES = frozenset({"readme", "license", "licence", "changelog", "contributing", "code_of_conduct", "security"})
ARTICLE_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".html", ".htm"})
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".zhsearch", "__pycache__"})


class NothingIndexedError(ZhsearchError):
    """No article could be indexed from the given paths."""

    hint = "check the paths: zhsearch reads .md, .markdown and .html files"


@dataclass(frozen=True)
class FileOutcome:
    path: str
    status: str  # "skipped" | "recovered"
    reason: str

    @property
    def kind(self) -> str:
        """The reason without its file-specific detail (``unparseable date ignored: '…'``)."""
        return self.reason.partition(": ")[0]

    def to_json(self) -> str:
        return json.dumps({"path": self.path, "status": self.status, "reason": self.reason}, ensure_ascii=False)


@dataclass
class IndexReport:
    """What an index build saw, indexed, skipped and recovered."""

    seen: int = 0
    indexed: int = 0
    outcomes: list[FileOutcome] = field(default_factory=list)
    learned_paragraphs: int = 0  # distinct recurring paragraphs learned as boilerplate
    dropped_paragraphs: int = 0  # their occurrences removed from the indexed texts

    @property
    def skipped(self) -> Counter[str]:
        """Skipped files by kind of reason."""
        return Counter(o.kind for o in self.outcomes if o.status == "skipped")

    @property
    def recovered(self) -> Counter[str]:
        """Recoveries by kind (one file may count under several kinds)."""
        return Counter(o.kind for o in self.outcomes if o.status == "recovered")

    def summary(self) -> str:
        lines = [f"{self.seen} files seen, {self.indexed} indexed, {sum(self.skipped.values())} skipped"]
        for reason, n in self.skipped.most_common():
            lines.append(f"  skipped {n}: {reason}")
        for reason, n in self.recovered.most_common():
            lines.append(f"  recovered {n}: {reason}")
        if self.learned_paragraphs:
            lines.append(
                f"  boilerplate learned: {self.learned_paragraphs} recurring paragraphs, "
                f"{self.dropped_paragraphs} occurrences removed"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class SourceFile:
    file: Path
    doc_id: str


def discover(paths: Sequence[Path]) -> Iterator[SourceFile]:
    """Every article file below ``paths`` with its id (POSIX path relative to its root,
    prefixed by the root folder's name when several roots are given)."""
    prefix_roots = len(paths) > 1
    for root in paths:
        root = Path(root)
        if root.is_file():
            yield SourceFile(root, root.name)
            continue
        found: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
            for name in filenames:
                if Path(name).suffix.lower() in ARTICLE_SUFFIXES:
                    found.append(Path(dirpath) / name)
        for file in sorted(found):
            rel = file.relative_to(root).as_posix()
            yield SourceFile(file, f"{root.resolve().name}/{rel}" if prefix_roots else rel)


def parse_archive(
    paths: Sequence[Path],
    *,
    learn_boilerplate: bool = True,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Document], IndexReport]:
    """Parse every article below ``paths``: the documents, cleaned, and the report.

    With ``learn_boilerplate`` a paragraph that recurs in many articles of one outlet is learned
    while parsing and removed afterwards (see ``indexer.recurring``); the parsed documents are kept
    in memory between the two passes, so each file is read once.
    """
    report = IndexReport()
    seen_ids: set[str] = set()
    learner = RecurringParagraphs()
    documents: list[Document] = []
    for source in discover(paths):
        report.seen += 1
        if progress:
            progress(report.seen)
        if source.doc_id in seen_ids:
            report.outcomes.append(FileOutcome(source.doc_id, "skipped", "duplicate id"))
            continue
        seen_ids.add(source.doc_id)
        if source.file.stem.casefold() in REPOSITORY_FILES:
            report.outcomes.append(FileOutcome(source.doc_id, "skipped", "not an article: repository file"))
            continue
        try:
            parsed = read_article(source.file, source.doc_id)
        except SkipArticle as exc:
            report.outcomes.append(FileOutcome(source.doc_id, "skipped", str(exc)))
            continue
        except Exception as exc:  # one broken article never stops a build
            report.outcomes.append(
                FileOutcome(source.doc_id, "skipped", f"cannot parse: {type(exc).__name__}: {exc}")
            )
            continue
        for reason in parsed.recovered:
            report.outcomes.append(FileOutcome(source.doc_id, "recovered", reason))
        learner.observe(parsed.document)
        documents.append(parsed.document)
    report.indexed = len(documents)
    if learn_boilerplate:
        learned = learner.learn()
        report.learned_paragraphs = learned.size
        for i, document in enumerate(documents):
            stripped, dropped = learned.strip(document)
            if dropped:
                documents[i] = finish_document(stripped)
                report.dropped_paragraphs += dropped
    return documents, report


def build_index(
    paths: Sequence[Path],
    location: Path,
    *,
    config: AnalyzerConfig = AnalyzerConfig(),
    progress: Callable[[int], None] | None = None,
    learn_boilerplate: bool = True,
) -> IndexReport:
    """Index every article below ``paths`` into a new generation of the index at ``location``.

    The live index is replaced only when the build completes; raises NothingIndexedError when
    no file could be indexed (the live index is then left as it was).
    """
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise NothingIndexedError(f"no such file or folder: {', '.join(missing)}", hint="check the path")
    documents, report = parse_archive(paths, learn_boilerplate=learn_boilerplate, progress=progress)
    if not documents:
        exc = NothingIndexedError(
            f"no article could be indexed from {', '.join(str(p) for p in paths)} ({report.seen} files seen)"
        )
        exc.report = report  # type: ignore[attr-defined]
        raise exc
    with IndexWriter(location, config=config) as writer:
        for document in documents:
            writer.add(document)
    return report
