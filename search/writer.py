"""Writing documents into a new index generation with the schema and analyzer of ``search/``."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from whoosh import index as whoosh_index

from .analysis import AnalyzerConfig
from .document import Document
from .schema import build_schema
from .store import new_build_dir, publish, writer_lock


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


class IndexWriter:
    """Build a complete new generation of the index at ``location``; publish it on commit.

    Use as a context manager: leaving the block normally publishes the new generation
    atomically; an exception discards the build and leaves the live index untouched.
    """

    def __init__(
        self,
        location: Path,
        *,
        config: AnalyzerConfig = AnalyzerConfig(),
        memory_mb: int = 256,
        manifest: dict[str, Any] | None = None,
    ) -> None:
        self.location = Path(location)
        self.config = config
        self.memory_mb = memory_mb
        self.manifest = dict(manifest or {})
        self.count = 0
        self._lock = writer_lock(self.location)
        self._build: Path | None = None
        self._writer: Any = None

    def __enter__(self) -> IndexWriter:
        self._lock.__enter__()
        try:
            self._build = new_build_dir(self.location)
            ix = whoosh_index.create_in(str(self._build), build_schema(self.config))
            self._writer = ix.writer(limitmb=self.memory_mb)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def add(self, doc: Document) -> None:
        self._writer.add_document(**document_fields(doc))
        self.count += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._build is not None
        try:
            if exc_type is None:
                self._writer.commit()
                publish(
                    self.location,
                    self._build,
                    {
                        "documents": self.count,
                        "analyzer": self.config.to_json(),
                        "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        **self.manifest,
                    },
                )
            else:
                try:
                    self._writer.cancel()
                finally:
                    shutil.rmtree(self._build, ignore_errors=True)
        finally:
            self._lock.__exit__(None, None, None)
