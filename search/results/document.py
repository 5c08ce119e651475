"""The typed objects that cross the boundary of ``search/``: documents, hits and pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

# A document's text is paragraphs separated by a blank line; a subheading is a paragraph that
# starts with two to four "#" and a space (``## 背景``), as in Markdown.
_HEADING = re.compile(r"\A(#{2,4}) (?=\S)")


_HEADING_MARKS = re.compile(r"^#{2,4} (?=\S)", re.M)


def without_heading_marks(text: str) -> str:
    """A document's text with its subheadings' ``## `` marks removed (for snippets)."""
    return _HEADING_MARKS.sub("", text) if "#" in text else text


def heading_level(paragraph: str) -> tuple[int, str]:
    """``## 背景`` -> (2, ``背景``): a subheading's level (2 to 4) and text; (0, paragraph) else."""
    found = _HEADING.match(paragraph)
    return (len(found.group(1)), paragraph[found.end() :]) if found else (0, paragraph)


@dataclass(frozen=True, slots=True)
class Document:
    """One cleaned article, as written to and read back from the index."""

    id: str
    path: str
    title: str
    text: str
    url: str | None = None
    source: str | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    date: datetime | None = None  # timezone-aware, UTC
    content_hash: str = ""
    simhash: int = 0

    @property
    def date_iso(self) -> str | None:
        return self.date.isoformat() if self.date else None

    def to_dict(self) -> dict[str, Any]:
        """The ``zhsearch show --json`` / ``GET /api/doc/<id>`` form."""
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "author": self.author,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "date": self.date_iso,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Another copy of a hit's article (the same text, or nearly: see :mod:`search.results.duplicates`)."""

    id: str
    title: str
    source: str | None
    date: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "source": self.source, "date": self.date}


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked result; ``snippet`` and ``title_html`` are HTML-safe (only ``<mark>`` added)."""

    id: str
    path: str
    title: str
    title_html: str
    url: str | None
    source: str | None
    date: str | None
    score: float
    snippet: str
    duplicates: tuple[Duplicate, ...] = ()  # the copies collapsed into this hit

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "title_html": self.title_html,
            "url": self.url,
            "source": self.source,
            "date": self.date,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "duplicates": [d.to_dict() for d in self.duplicates],
        }


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results with the exact total over the whole result set."""

    query: str
    total: int
    page: int
    limit: int
    hits: tuple[Hit, ...]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    explain: dict[str, Any] | None = None
    suggestions: tuple[str, ...] = ()  # other queries to try when there are few or no hits
    total_counting: str = "documents"  # "groups" when copies of an article count once

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    def to_dict(self) -> dict[str, Any]:
        """The ``zhsearch search --json`` / ``GET /api/search`` document."""
        return {
            "query": self.query,
            "total": self.total,
            "total_counting": self.total_counting,
            "page": self.page,
            "limit": self.limit,
            "hits": [h.to_dict() for h in self.hits],
            "facets": {k: dict(v) for k, v in self.facets.items()},
            "facet_counting": "documents",
            "warnings": list(self.warnings),
            "suggestions": list(self.suggestions),
            **({"explain": self.explain} if self.explain is not None else {}),
        }


@dataclass(frozen=True, slots=True)
class IndexStats:
    """What ``zhsearch stats`` reports."""

    documents: int
    size_bytes: int
    sources: dict[str, int]
    first_date: str | None
    last_date: str | None
    built_at: str | None
    zhsearch_version: str
    analyzer: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "size_bytes": self.size_bytes,
            "sources": dict(self.sources),
            "first_date": self.first_date,
            "last_date": self.last_date,
            "built_at": self.built_at,
            "zhsearch_version": self.zhsearch_version,
            "analyzer": dict(self.analyzer),
        }


def stored_document(stored: dict[str, Any]) -> Document:
    """The document whose ``search.embedded.writer.document_fields`` stored these values (for hits and rewrites)."""
    date = stored.get("date")
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
        date=date.replace(tzinfo=timezone.utc) if isinstance(date, datetime) else None,
        content_hash=stored.get("content_hash") or "",
        simhash=int(stored.get("simhash") or 0),
    )
