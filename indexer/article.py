"""One file to one :class:`search.Document`: decode, split front matter, clean, pick metadata."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from search import Document
from search.normalize import fold

from .clean import clean_body
from .decode import NotTextError, decode
from .frontmatter import split_front_matter
from .metadata import (
    DATE_FIELDS,
    DOMAIN_SOURCES,
    SOURCE_FIELDS,
    URL_FIELDS,
    as_list,
    as_text,
    date_from_epoch_ms,
    date_from_path,
    http_url,
    parse_date,
    source_from_url,
)

MAX_FILE_BYTES = 50 * 1024 * 1024
_KNOWN_OUTLETS = frozenset(DOMAIN_SOURCES.values())


class SkipArticle(Exception):
    """This file is not an article zhsearch can index; the message says why."""


@dataclass
class ParsedArticle:
    document: Document
    recovered: list[str] = field(default_factory=list)


def read_article(file: Path, doc_id: str) -> ParsedArticle:
    """Read and clean one article file; raises SkipArticle with the reason when it is not one."""
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SkipArticle(f"file too large ({size} bytes)")
        data = file.read_bytes()
    except OSError as exc:
        raise SkipArticle(f"unreadable: {exc.strerror or exc}") from None
    return parse_article(data, doc_id=doc_id, path=PurePosixPath(doc_id))


def parse_article(data: bytes, *, doc_id: str, path: PurePosixPath) -> ParsedArticle:
    """Turn the bytes of one article file into a Document."""
    try:
        decoded = decode(data)
    except NotTextError as exc:
        raise SkipArticle(str(exc)) from None
    recovered: list[str] = []
    if decoded.encoding not in ("utf-8", "utf-8-sig"):
        recovered.append(f"decoded as {decoded.encoding}")
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    fm = split_front_matter(text)
    recovered.extend(fm.recovered)
    meta = fm.fields
    title = as_text(meta.get("title"))
    body = clean_body(fm.body, title=title)

    title = title or body.preamble_title or body.heading
    if not title and body.text:
        title = path.stem
    if not title and not body.text:
        raise SkipArticle("no title and no text")
    assert title is not None

    url = next((u for u in (http_url(meta.get(k)) for k in URL_FIELDS) if u), None) or http_url(body.preamble_url)

    date = None
    for key in DATE_FIELDS:
        if key in meta:
            date = parse_date(meta.get(key))
            if date is None and as_text(meta.get(key)):
                recovered.append(f"unparseable date {as_text(meta.get(key))!r} ignored")
            if date is not None:
                break
    date = date or date_from_epoch_ms(body.epoch_ms) or date_from_path(path)

    categories = as_list(meta.get("categories")) or as_list(meta.get("category"))
    tags = as_list(meta.get("tags")) or as_list(meta.get("tag"))
    author = as_text(meta.get("author"))
    source = _choose_source(meta, author, url, categories, tags)

    clean_text = body.text
    return ParsedArticle(
        Document(
            id=doc_id,
            path=str(path),
            title=" ".join(title.split()),
            text=clean_text,
            url=url,
            source=source,
            author=author,
            categories=categories,
            tags=tags,
            date=date,
            content_hash=hashlib.sha1(fold(clean_text).encode("utf-8", "surrogatepass")).hexdigest(),
        ),
        recovered,
    )


def _choose_source(
    meta: dict[str, object], author: str | None, url: str | None, categories: tuple[str, ...], tags: tuple[str, ...]
) -> str | None:
    """Precedence: an explicit source field, the author, a known outlet's domain, a category or
    tag naming a known outlet, the first tag, then the URL's host."""
    for key in SOURCE_FIELDS:
        text = as_text(meta.get(key))
        if text and not http_url(text):
            return text
    if author:
        return author
    from_url = source_from_url(url)
    if from_url in _KNOWN_OUTLETS:
        return from_url
    for name in (*categories, *tags):
        if name in _KNOWN_OUTLETS:
            return name
    if tags:
        return tags[0]
    return from_url
