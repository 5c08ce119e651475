"""The article files below the given folders, and reading one into a document with what the index records of it."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from zhsearch.search import Document

from .article import MAX_FILE_BYTES, SkipArticle, parse_article
from .catalog import Signature, signature
from .clean import cleaning_warnings
from .recurring import paragraph_keys
from .sites import archive_folders, root_name, site_name
from .workers import exit_if_orphaned

# Files that every repository has and no blog publishes as a post.
REPOSITORY_FILES = frozenset({"readme", "license", "licence", "changelog", "contributing", "code_of_conduct", "security"})
ARTICLE_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".html", ".htm"})
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".zhsearch", "__pycache__"})


@dataclass(frozen=True)
class FileOutcome:
    path: str
    status: str  # "skipped" | "recovered" | "flagged" (indexed, but over-cleaned or with template remnants)
    reason: str

    @property
    def kind(self) -> str:
        """The reason without its file-specific detail (``unparseable date ignored: '…'``)."""
        return self.reason.partition(": ")[0]

    def to_json(self) -> str:
        return json.dumps({"path": self.path, "status": self.status, "reason": self.reason}, ensure_ascii=False)


@dataclass(frozen=True)
class SourceFile:
    path: str  # the file (as found below the folder given)
    doc_id: str
    root: str = ""  # the name of the folder given (a file given alone: of its folder)

    @property
    def file(self) -> Path:
        return Path(self.path)


def discover(paths: Sequence[Path]) -> Iterator[SourceFile]:
    """Every article file below ``paths`` with its id (POSIX path relative to its root,
    prefixed by the root folder's name when several roots are given), in path order.

    Plain strings, not ``Path`` objects: an update looks at 100,000 files in a few seconds.
    """
    prefix_roots = len(paths) > 1
    for root in paths:
        root = Path(root)
        if root.is_file():
            yield SourceFile(str(root), root.name, root.absolute().parent.name)
            continue
        base = str(root)
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
            folder = os.path.relpath(dirpath, base)
            folder = "" if folder == os.curdir else folder.replace(os.sep, "/") + "/"
            for name in filenames:
                if os.path.splitext(name)[1].lower() in ARTICLE_SUFFIXES:
                    found.append(folder + name)
        found.sort(key=lambda rel: rel.split("/"))  # the order of Path objects: part by part
        name = root.resolve().name
        prefix = f"{name}/" if prefix_roots else ""
        for rel in found:
            yield SourceFile(os.path.join(base, rel), prefix + rel, name)


def candidates(paths: Sequence[Path]) -> Iterator[tuple[SourceFile, str | None]]:
    """Every discovered file with the reason it is skipped without being read (None: read it).

    The first file of an id wins; README, LICENSE and the like are not articles.
    """
    seen: set[str] = set()
    for source in discover(paths):
        if source.doc_id in seen:
            yield source, "duplicate id"
            continue
        seen.add(source.doc_id)
        if os.path.splitext(os.path.basename(source.path))[0].casefold() in REPOSITORY_FILES:
            yield source, "not an article: repository file"
            continue
        yield source, None


@dataclass(frozen=True)
class SourceRecord:
    """One article file read: the raw document (before learned boilerplate is removed) or why not."""

    doc_id: str
    path: str  # the file's absolute path (for the stat cache)
    signature: Signature | None  # its stat before reading; None when it could not be read
    sha1: str  # of its bytes ("" when it could not be read)
    document: Document | None
    keys: frozenset[bytes] = frozenset()  # the document's paragraph digests (the census counts them)
    outcomes: tuple[FileOutcome, ...] = field(default=())

    @property
    def skip_reason(self) -> str | None:
        return next((o.reason for o in self.outcomes if o.status == "skipped"), None)


def file_sha1(path: str) -> tuple[Signature, str]:
    """The stat signature of a file and the SHA-1 of its bytes (OSError when unreadable)."""
    with open(path, "rb") as fh:
        sig = signature(os.fstat(fh.fileno()))
        return sig, hashlib.sha1(fh.read()).hexdigest()


def read_source(source: SourceFile) -> SourceRecord:
    """Read, hash and parse one article file; never raises for a bad article (it is skipped)."""
    path = os.path.abspath(source.path)
    try:
        with open(source.path, "rb") as fh:
            sig = signature(os.fstat(fh.fileno()))
            if sig[0] > MAX_FILE_BYTES:
                return _skipped(source, sig, "", f"file too large ({sig[0]} bytes)")
            data = fh.read()
    except OSError as exc:
        return _skipped(source, None, "", f"unreadable: {exc.strerror or exc}")
    sha1 = hashlib.sha1(data).hexdigest()
    try:
        parsed = parse_article(
            data,
            doc_id=source.doc_id,
            path=PurePosixPath(source.doc_id),
            site=site_name(source.file, source.doc_id),
            folders=archive_folders(source.doc_id, source.root or root_name(source.file, source.doc_id)),
        )
    except SkipArticle as exc:
        return _skipped(source, sig, sha1, str(exc))
    except Exception as exc:  # one broken article never stops a build
        return _skipped(source, sig, sha1, f"cannot parse: {type(exc).__name__}: {exc}")
    outcomes = tuple(FileOutcome(source.doc_id, "recovered", reason) for reason in parsed.recovered) + tuple(
        FileOutcome(source.doc_id, "flagged", warning)
        for warning in cleaning_warnings(parsed.document.text, parsed.visible_chars, parsed.removed)
    )
    return SourceRecord(source.doc_id, path, sig, sha1, parsed.document, paragraph_keys(parsed.document), outcomes)


def _skipped(source: SourceFile, sig: Signature | None, sha1: str, reason: str) -> SourceRecord:
    outcome = FileOutcome(source.doc_id, "skipped", reason)
    return SourceRecord(source.doc_id, os.path.abspath(source.path), sig, sha1, None, frozenset(), (outcome,))


def read_batch(task: tuple[int | None, Sequence[SourceFile]]) -> list[SourceRecord]:
    """Worker task: read a batch of files."""
    parent, sources = task
    records = []
    for source in sources:
        exit_if_orphaned(parent)
        records.append(read_source(source))
    return records
