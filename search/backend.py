"""The narrow interface every storage backend implements: the embedded Whoosh index and a Xapian cluster.

Analysis, the query language, snippets and the result types are shared (``search.text.analysis``,
``search.queries.query``, ``search.results.snippets``, ``search.results.document``): a backend only stores the terms the
shared analyzer makes and answers the parsed query. The CLI and the web layer call nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, Protocol, runtime_checkable

from .text.analysis import AnalyzerConfig
from .queries.complete import CompletionTable
from .results.document import Document, Hit, IndexStats, SearchPage


@runtime_checkable
class SearchBackend(Protocol):
    """An opened index (embedded or cluster) as the CLI, the web layer and Python callers use it."""

    config: AnalyzerConfig
    manifest: dict[str, Any]

    def search(
        self, query: str, *, page: int = 1, limit: int = 10, explain: bool = False,
        source: str | Sequence[str] | None = None, category: str | Sequence[str] | None = None,
        tag: str | Sequence[str] | None = None, since: date | str | None = None,
        until: date | str | None = None, month: str | None = None, sort: str = "relevance",
        facets: bool = True, dedup: bool = True,
    ) -> SearchPage:
        """One page of ranked hits, with exact totals and facet counts over every match."""

    def similar(self, doc_id: str, *, limit: int = 10) -> tuple[Hit, ...]:
        """Articles about the same thing as ``doc_id``."""

    def matching_ids(self, query: str) -> set[str]:
        """Every document id ``query`` matches (strict, before relaxation)."""

    def document(self, doc_id: str) -> Document:
        """One stored document; DocumentNotFoundError when there is none."""

    def documents(self) -> Iterator[Document]:
        """Every stored document, in index order."""

    def ids_starting_with(self, prefix: str) -> list[str]:
        """The ids that start with ``prefix``, sorted."""

    def highlight(self, text: str, query: str) -> str:
        """``text`` HTML-escaped with the matches of ``query`` marked."""

    def stats(self) -> IndexStats:
        """Documents, size, sources, dates."""

    def refresh(self) -> bool:
        """Follow a newly published generation; True when the index read changed."""

    def missing_tables(self, kinds: Any = ...) -> tuple[str, ...]:
        """The derived tables a backend could not read (searches then go without them)."""

    def save_tables(self) -> list[str]:
        """Compute and save the missing derived tables; the kinds written."""

    def completion_table(self) -> CompletionTable:
        """Words and titles that complete what is typed in the search box."""

    def close(self) -> None:
        """Release files and connections."""

    def __enter__(self) -> Any:
        """``with`` an opened backend: closed at the end of the block."""

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Close."""

    def __len__(self) -> int:
        """The number of documents."""


class DocumentSink(Protocol):
    """Where a build or an update writes: documents in, by id out, then one commit."""

    def add(self, document: Document) -> None:
        """Write (or replace) the document with this id."""

    def delete(self, doc_id: str) -> None:
        """Remove the document with this id, if any."""

    def commit(self) -> None:
        """Make every change so far visible to searches."""
