"""Opening an index and answering queries: the public programmatic API of zhsearch."""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from whoosh import index as whoosh_index
from whoosh import scoring, sorting
from whoosh.index import IndexError as WhooshIndexError

from .analysis import ANALYZER_VERSION, AnalyzerConfig
from .document import Document, Hit, IndexStats, SearchPage
from .errors import DocumentNotFoundError, IndexIncompatibleError, InvalidArgumentError
from .query import ParsedQuery, QueryBuilder
from .snippets import highlight, snippet
from .store import CURRENT, current_generation, disk_size, read_manifest

MAX_LIMIT = 100
MAX_PAGE = 1000


def _document(stored: dict[str, Any]) -> Document:
    date = stored.get("date")
    if isinstance(date, datetime):
        date = date.replace(tzinfo=timezone.utc)
    return Document(
        id=stored["id"],
        path=stored.get("path") or "",
        title=stored.get("title") or "",
        text=stored.get("text") or "",
        url=stored.get("url"),
        source=stored.get("source") or None,
        author=stored.get("author"),
        categories=tuple(c for c in (stored.get("categories") or "").split(",") if c),
        tags=tuple(t for t in (stored.get("tags") or "").split(",") if t),
        date=date,
        content_hash=stored.get("content_hash") or "",
        simhash=int(stored.get("simhash") or 0),
    )


class SearchIndex:
    """A zhsearch index opened for reading; thread-safe; follows new generations on refresh.

    >>> with SearchIndex.open(".zhsearch/index") as index:   # doctest: +SKIP
    ...     page = index.search("碳中和", limit=5)
    """

    def __init__(self, location: Path | str) -> None:
        self.location = Path(location)
        self._lock = threading.Lock()
        self._generation: Path | None = None
        self._pointer_stat: tuple[int, int] | None = None
        self._ix: Any = None
        self.manifest: dict[str, Any] = {}
        self._stats_cache: tuple[Path | None, IndexStats] | None = None
        self.config = AnalyzerConfig()
        self._builder = QueryBuilder(self.config)
        self._load()

    @classmethod
    def open(cls, location: Path | str) -> SearchIndex:
        """Open the index at ``location``; raises IndexNotFoundError / IndexIncompatibleError."""
        return cls(location)

    def _pointer_signature(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.location / CURRENT)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def _load(self) -> None:
        signature = self._pointer_signature()
        generation = current_generation(self.location)
        manifest = read_manifest(generation)
        config = AnalyzerConfig.from_json(manifest.get("analyzer", {}))
        if config.version != ANALYZER_VERSION:
            raise IndexIncompatibleError(
                f"the index at {self.location} uses analyzer version {config.version}; "
                f"this zhsearch uses {ANALYZER_VERSION}"
            )
        try:
            ix = whoosh_index.open_dir(str(generation))
        except (WhooshIndexError, pickle.UnpicklingError, AttributeError, ImportError, EOFError) as exc:
            raise IndexIncompatibleError(f"cannot open the index at {self.location}: {exc}") from None
        old = self._ix
        self._ix, self._generation, self.manifest = ix, generation, manifest
        self._pointer_stat = signature
        if config != self.config:
            self.config = config
            self._builder = QueryBuilder(config)
        if old is not None:
            old.close()

    def refresh(self) -> bool:
        """Switch to a newer generation if one was published; True when it switched."""
        if self._pointer_signature() == self._pointer_stat:
            return False
        with self._lock:
            if self._pointer_signature() == self._pointer_stat:
                return False
            self._load()
            return True

    def close(self) -> None:
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- queries -----------------------------------------------------------------------------

    def search(self, query: str, *, page: int = 1, limit: int = 10, explain: bool = False) -> SearchPage:
        """One page of ranked hits for ``query``; a page past the end is empty, never an error.

        With ``explain``, the page says how the query was analyzed and how many documents each
        of its parts matches on its own (so a zero-hit query shows which part matched nothing).
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidArgumentError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        if not 1 <= page <= MAX_PAGE:
            raise InvalidArgumentError(f"page must be between 1 and {MAX_PAGE}, not {page}")
        parsed = self._builder.parse(query)
        simplify = self.config.simplify
        with self._ix.searcher(weighting=scoring.BM25F()) as searcher:
            if parsed.empty:
                results = searcher.search(
                    parsed.query, limit=page * limit, sortedby=sorting.FieldFacet("date", reverse=True)
                )
            else:
                results = searcher.search(parsed.query, limit=page * limit)
            total = len(results)
            explanation = _explain(parsed, searcher, total) if explain else None
            hits = []
            for hit in results[(page - 1) * limit : page * limit]:
                doc = _document(hit.fields())
                hits.append(
                    Hit(
                        id=doc.id,
                        path=doc.path,
                        title=doc.title,
                        title_html=highlight(doc.title, parsed.needles, simplify=simplify),
                        url=doc.url,
                        source=doc.source,
                        date=doc.date_iso,
                        score=float(hit.score or 0.0),
                        snippet=snippet(doc.text, parsed.needles, simplify=simplify),
                    )
                )
        return SearchPage(
            query=query,
            total=total,
            page=page,
            limit=limit,
            hits=tuple(hits),
            facets={},
            warnings=tuple(parsed.warnings),
            explain=explanation,
        )

    def matching_ids(self, query: str) -> set[str]:
        """The ids of every document ``query`` matches, unranked (for checks and tools)."""
        parsed = self._builder.parse(query)
        with self._ix.searcher() as searcher:
            results = searcher.search(parsed.query, limit=None, scored=False)
            return {hit["id"] for hit in results}

    def document(self, doc_id: str) -> Document:
        """The cleaned document with this id; DocumentNotFoundError when there is none."""
        with self._ix.searcher() as searcher:
            stored = searcher.document(id=doc_id)
        if stored is None:
            raise DocumentNotFoundError(f"no document with id {doc_id!r} in the index")
        return _document(stored)

    def documents(self) -> Iterator[Document]:
        """Every indexed document, in index order."""
        with self._ix.searcher() as searcher:
            for stored in searcher.all_stored_fields():
                yield _document(stored)

    def __len__(self) -> int:
        return int(self._ix.doc_count())

    def highlight(self, text: str, query: str) -> str:
        """``text`` HTML-escaped with the matches of ``query`` marked (for full article views)."""
        return highlight(text, self._builder.parse(query).needles, simplify=self.config.simplify)

    def stats(self) -> IndexStats:
        """Statistics of the live generation (computed once per generation)."""
        cached = self._stats_cache
        if cached is not None and cached[0] == self._generation:
            return cached[1]
        stats = self._compute_stats()
        self._stats_cache = (self._generation, stats)
        return stats

    def _compute_stats(self) -> IndexStats:
        sources: dict[str, int] = {}
        first: datetime | None = None
        last: datetime | None = None
        for doc in self.documents():
            key = doc.source or ""
            sources[key] = sources.get(key, 0) + 1
            if doc.date:
                first = doc.date if first is None or doc.date < first else first
                last = doc.date if last is None or doc.date > last else last
        assert self._generation is not None
        return IndexStats(
            documents=len(self),
            size_bytes=disk_size(self._generation),
            sources=dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
            first_date=first.isoformat() if first else None,
            last_date=last.isoformat() if last else None,
            built_at=self.manifest.get("built_at"),
            zhsearch_version=str(self.manifest.get("zhsearch_version", "")),
            analyzer=self.config.to_json(),
        )


def _explain(parsed: ParsedQuery, searcher: Any, total: int) -> dict[str, Any]:
    clauses = []
    for group in parsed.groups:
        for clause in group:
            info = clause.explain()
            info["matches"] = sum(1 for _ in clause.query.docs(searcher)) if clause.query is not None else 0
            info["any_of_group"] = len(group) > 1
            clauses.append(info)
    unmatched = [c["text"] for c in clauses if c["matches"] == 0 and not c["excluded"]]
    return {
        "clauses": clauses,
        "unmatched": unmatched,
        "total": total,
        "whoosh_query": str(parsed.query),
    }


def open_index(location: Path | str) -> SearchIndex:
    """Open the zhsearch index at ``location`` for searching."""
    return SearchIndex.open(location)
