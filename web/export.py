"""Every hit of a query as CSV or JSON lines, fetched page after page: /export.* and ``search --all``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from markupsafe import Markup

from zhsearch.search import Hit, SearchIndex
from zhsearch.search.embedded.engine import MAX_LIMIT, MAX_PAGE

FIELDS = ("id", "title", "source", "date", "url", "snippet")
# A cell starting with one of these is a formula to a spreadsheet (OWASP's CSV injection rule).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def all_hits(index: SearchIndex, query: str, *, page_size: int = MAX_LIMIT, **options: Any) -> Iterator[Hit]:
    """Every hit of ``query`` (at most MAX_PAGE pages of ``page_size``), one page in memory at a time.

    The first page is searched now, so that a bad argument is an error before anything is sent.
    """
    wanted = {**options, "limit": page_size, "facets": False, "explain": False}
    first = index.search(query, **wanted, page=1)

    def pages() -> Iterator[Hit]:
        page = first
        while True:
            yield from page.hits
            if page.page >= min(page.pages, MAX_PAGE):
                return
            page = index.search(query, **wanted, page=page.page + 1)

    return pages()


def record(hit: Hit) -> dict[str, str | None]:
    """The exported fields of a hit, the snippet as plain text."""
    return {"id": hit.id, "title": hit.title, "source": hit.source, "date": hit.date, "url": hit.url,
            "snippet": Markup(hit.snippet).striptags()}


def inert_cell(value: str | None) -> str | None:
    """``value`` as a spreadsheet shows it and never runs it: a leading ``'`` before a formula start."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(hits: Iterable[Hit]) -> Iterator[str]:
    """A header line, then one CSV line per hit, no cell a formula (see :func:`inert_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIELDS)
    for hit in hits:
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(inert_cell(value) for value in record(hit).values())
    yield buffer.getvalue()


def jsonl_lines(hits: Iterable[Hit]) -> Iterator[str]:
    for hit in hits:
        yield json.dumps(record(hit), ensure_ascii=False) + "\n"


def export_lines(hits: Iterable[Hit], kind: str) -> Iterator[str]:
    """``hits`` as ``csv`` or ``jsonl`` text, line by line."""
    return csv_lines(hits) if kind == "csv" else jsonl_lines(hits)
