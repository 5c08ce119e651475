"""One file to one :class:`search.Document`: decode, split front matter, clean, pick metadata."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path, PurePosixPath

from zhsearch.search import Document
from zhsearch.search.text.normalize import fold

from .clean import Removal, clean_body
from .decode import NotTextError, decode
from .fingerprint import simhash
from .frontmatter import split_front_matter
from .page import is_full_page, read_page
from .metadata import (
    DATE_FIELDS,
    DEFAULT_TZ,
    SOURCE_FIELDS,
    UPDATED_FIELDS,
    URL_FIELDS,
    as_list,
    as_text,
    date_from_epoch_ms,
    date_from_path,
    folder_outlet,
    http_url,
    is_generic,
    is_platform,
    known_outlet,
    name_key,
    outlet_name,
    parse_date,
    source_from_url,
    split_title_suffix,
    unwrap_archive_url,
)
from .sites import archive_folders, root_name, site_name

MAX_FILE_BYTES = 50 * 1024 * 1024
_NAME_DATE_PREFIX = re.compile(r"\A\d{4}-\d{2}-\d{2}[-_ ]*")


class SkipArticle(Exception):
    """This file is not an article zhsearch can index; the message says why."""


@dataclass
class ParsedArticle:
    document: Document
    recovered: list[str] = field(default_factory=list)
    # Where each metadata field came from ("front matter: original_url", "file name", ...).
    origins: dict[str, str] = field(default_factory=dict)
    removed: list[Removal] = field(default_factory=list)  # what the cleaner removed, and by which rule
    visible_chars: int = 0  # of the body before cleaning (see ``CleanBody.visible_chars``)


def read_article(file: Path, doc_id: str, *, root: str | None = None) -> ParsedArticle:
    """Read and clean one article file; raises SkipArticle with the reason when it is not one.

    ``doc_id`` is the file's path below the archive root (the site's config is looked for there
    and above); ``root`` the root folder's name when ``doc_id`` starts with it."""
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SkipArticle(f"file too large ({size} bytes)")
        data = file.read_bytes()
    except OSError as exc:
        raise SkipArticle(f"unreadable: {exc.strerror or exc}") from None
    return parse_article(
        data,
        doc_id=doc_id,
        path=PurePosixPath(doc_id),
        site=site_name(file, doc_id),
        folders=archive_folders(doc_id, root if root is not None else root_name(file, doc_id)),
    )


def parse_article(
    data: bytes, *, doc_id: str, path: PurePosixPath, site: str | None = None, folders: tuple[str, ...] = ()
) -> ParsedArticle:
    """Turn the bytes of one article file into a Document; raises SkipArticle when it is not one.

    ``site`` is the name the archive's generator config gives the site, ``folders`` the names of
    the folders from the archive root down to the file (see ``indexer.sites``)."""
    try:
        decoded = decode(data)
    except NotTextError as exc:
        raise SkipArticle(str(exc)) from None
    recovered: list[str] = []
    if decoded.encoding not in ("utf-8", "utf-8-sig"):
        recovered.append(f"decoded as {decoded.encoding}")
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    fm = split_front_matter(text)
    if fm.unreadable:
        raise SkipArticle("unreadable front matter")
    recovered.extend(fm.recovered)
    meta, markup, found_in = fm.fields, fm.body, {}
    if not fm.present and is_full_page(fm.body):  # a saved page: its <head> is the front matter
        page = read_page(fm.body)
        meta, markup, found_in = page.fields, page.content, page.origins
    origins: dict[str, str] = {}
    title = as_text(meta.get("title"))
    body = clean_body(markup, title=title)

    for value, origin in (
        (title, "front matter: title"),
        (body.preamble_title, "body: [title](url) link above the text"),
        (body.heading, "body: first heading"),
    ):
        if value:
            title, origins["title"] = value, origin
            break
    if not title and body.text:
        title, origins["title"] = _title_from_file_name(path), "file name"
    if not title and not body.text:
        raise SkipArticle("no title and no text")
    assert title is not None

    not_article = not_an_article(title, body.text)
    if not_article:
        raise SkipArticle(f"not an article: {not_article}")

    url = _choose_url(meta, body.preamble_url, origins)
    date = _choose_date(meta, body.epoch_ms, path, recovered, origins)
    categories = _list_field(meta, ("categories", "category"), "categories", origins)
    tags = _list_field(meta, ("tags", "tag"), "tags", origins)
    author = as_text(meta.get("author"))
    if author:
        origins["author"] = "front matter: author"
    source, origins["source"] = source_and_origin(meta, author, url, categories, tags, site=site, folders=folders)
    if not source:
        del origins["source"]
    document = Document(
        id=doc_id,
        path=str(path),
        title=title_without_site(" ".join(_unescaped(title).split()), source),
        text=body.text,
        url=url,
        source=source,
        author=author,
        categories=categories,
        tags=tags,
        date=date,
    )
    for name, origin in origins.items():  # "front matter: og:title" is "html: <meta property=og:title>"
        key = origin.removeprefix("front matter: ").split(" ", 1)[0]
        if origin.startswith("front matter: ") and key in found_in:
            origins[name] = found_in[key] + origin.removeprefix(f"front matter: {key}")
    return ParsedArticle(finish_document(document), recovered, origins, body.removed, body.visible_chars)


def _choose_url(meta: dict[str, object], preamble_url: str | None, origins: dict[str, str]) -> str | None:
    """The first http(s) URL of ``URL_FIELDS``, else the body's preamble link; unwrapped from a web archive."""
    found = next(((u, f"front matter: {k}") for k in URL_FIELDS if (u := http_url(meta.get(k)))), None)
    if found is None and http_url(preamble_url):
        found = (preamble_url, "body: [title](url) link above the text")  # type: ignore[assignment]
    if found is None:
        return None
    url, origin = found
    unwrapped = unwrap_archive_url(url)
    origins["url"] = origin + (" (unwrapped from a web archive's address)" if unwrapped != url else "")
    return unwrapped


def _list_field(meta: dict[str, object], keys: tuple[str, ...], name: str, origins: dict[str, str]) -> tuple[str, ...]:
    for key in keys:
        found = as_list(meta.get(key))
        if found:
            origins[name] = f"front matter: {key}"
            return found
    return ()


# What archived error pages and blog engines' sample posts say, as their title or first line.
_ERROR_PAGE = re.compile(
    r"\A\W*(temporarily offline|page not found|404( not found)?|error 404|not found|file not found|410 gone"
    r"|403 forbidden|access denied|502 bad gateway|503 service (temporarily )?unavailable|service unavailable"
    r"|this page (is not available|doesn.t exist|cannot be found)|wayback machine( has not archived.*)?"
    r"|页面不存在|頁面不存在|页面未找到|頁面未找到|网页不存在|網頁不存在|找不到(该|該|此)?(页面|頁面|网页|網頁)|(该|該)?(页面|頁面)已(删除|刪除|下线|下線)"
    r"|(抱歉|对不起|對不起)[，,]?(您)?(访问|訪問)的(页面|頁面)不存在)\W*\Z",
    re.I,
)
_SAMPLE_POST = re.compile(r"\A\W*(hello world|welcome to (wordpress|hexo|jekyll|hugo)|test post|测试文章|測試文章)\W*\Z", re.I)
ERROR_PAGE_MAX_CHARS = 600  # a real article about a 404 page is longer than an error page


def not_an_article(title: str, text: str) -> str | None:
    """``error page`` or ``sample post`` when the file is one (its title or first line says so
    and it is short), else None."""
    if len(text) > ERROR_PAGE_MAX_CHARS:
        return None
    first = text.split("\n\n", 1)[0]
    if _ERROR_PAGE.match(title) or _ERROR_PAGE.match(first):
        return "error page"
    if _SAMPLE_POST.match(title) and (not text or re.search(r"(?i)first post|edit or delete|hexo|第一篇", text)):
        return "sample post"
    return None


def title_without_site(title: str, source: str | None) -> str:
    """``… – 法国国际广播电台 - RFI`` or ``… | 联合早报`` without the site names at its end (a suffix
    naming the outlet or a known outlet; one recurring across the archive's titles goes when the
    build has learned it, see ``indexer.recurring``)."""
    own = name_key(source) if source else None
    while True:
        found = split_title_suffix(title)
        if not found:
            return title
        head, site = found
        if not (outlet_name(site) or (own and name_key(site) == own)):
            return title
        title = head


def _unescaped(title: str) -> str:
    """A title is plain text: HTML entities in it decoded, twice escaped too (``&amp;#21328;`` is 卐)."""
    for _ in range(2):
        if "&" not in title:
            break
        title = html.unescape(title)
    return title


def finish_document(document: Document) -> Document:
    """The document with the fingerprints of its (final) text filled in."""
    folded = fold(document.text)
    return replace(
        document,
        content_hash=hashlib.sha1(folded.encode("utf-8", "surrogatepass")).hexdigest(),
        simhash=simhash(folded),
    )


def _title_from_file_name(path: PurePosixPath) -> str:
    """``2020-08-05-some-title.md`` -> ``some-title``."""
    return _NAME_DATE_PREFIX.sub("", path.stem).strip() or path.stem


def _choose_date(
    meta: dict[str, object], epoch_ms: int | None, path: PurePosixPath, recovered: list[str], origins: dict[str, str]
) -> datetime | None:
    """Precedence: a front matter publication date, the ``<!--epoch-ms-->`` comment, a date in the
    file or folder name, then ``updated``/``last_updated``. Never the file's mtime. An impossible
    or unreadable date is ignored (and reported); a bare date takes its time from an update
    stamp of the same day."""
    for key in DATE_FIELDS:
        value = as_text(meta.get(key))
        if value is None:
            continue
        parsed = _lenient_date(meta.get(key))
        if parsed is not None:
            origins["date"] = f"front matter: {key}"
            return _same_day_time(meta, meta.get(key), parsed, origins)
        recovered.append(f"unparseable date ignored: {value!r}")
    for found, origin in (
        (date_from_epoch_ms(epoch_ms), "body: <!--epoch ms--> comment"),
        (date_from_path(path), "file or folder name"),
        *((_lenient_date(meta.get(key)), f"front matter: {key} (no publication date)") for key in UPDATED_FIELDS),
    ):
        if found is not None:
            origins["date"] = origin
            return found
    return None


def _lenient_date(value: object) -> datetime | None:
    try:
        return parse_date(value)
    except (ValueError, OverflowError, TypeError):  # a date no calendar has: ignored, never a skip
        return None


_BARE_DATE = re.compile(r"\A\d{4}-\d{1,2}-\d{1,2}\Z")


def _same_day_time(meta: dict[str, object], raw: object, found: datetime, origins: dict[str, str]) -> datetime:
    """``date: 2021-03-05`` with ``last_updated: 2021-03-05 14:20`` is 2021-03-05 14:20 (China time
    unless it says otherwise): a bare date only says which day."""
    if not _is_bare_date(raw):
        return found
    for key in UPDATED_FIELDS:
        value = meta.get(key)
        if value is None or _is_bare_date(value):
            continue
        updated = _lenient_date(value)
        if updated is not None and _day_written(value, updated) == found.date():
            origins["date"] += f", its time from {key} (same day)"
            return updated
    return found


def _is_bare_date(value: object) -> bool:
    return (isinstance(value, date) and not isinstance(value, datetime)) or (
        isinstance(value, str) and bool(_BARE_DATE.match(value.strip()))
    )


def _day_written(value: object, parsed: datetime) -> date:
    """The calendar day a stamp names in its own time zone (China's when it gives none)."""
    if isinstance(value, datetime):
        return value.date()
    try:
        return datetime.fromisoformat(str(value).strip().replace(" +", "+").replace("Z", "+00:00")).date()
    except ValueError:
        return parsed.astimezone(DEFAULT_TZ).date()


def source_and_origin(
    meta: dict[str, object],
    author: str | None,
    url: str | None,
    categories: tuple[str, ...],
    tags: tuple[str, ...],
    *,
    site: str | None = None,
    folders: tuple[str, ...] = (),
) -> tuple[str | None, str]:
    """The outlet, by precedence (README, "Source"): an explicit ``source``/``outlet``/``publisher``/
    ``site``/``media`` field; a known outlet named by the author, a category or a tag; the known
    outlet of the URL's domain; the URL's host unless it is a platform, archive or mirror; the site's
    name from the generator config; on a platform, the channel or account (the author); the name of
    a folder of the archive (see ``folder_outlet``); the author; the first category or tag.
    Generic names (``Archive``, ``sticky``, ``Uncategorized`` …) are never the outlet.
    Returns the outlet and where it came from."""
    for key in SOURCE_FIELDS:
        text = as_text(meta.get(key))
        if text and not http_url(text) and not is_generic(text):
            return outlet_name(text) or text, f"front matter: {key}"
    fields = [(author, "author"), *((c, "categories") for c in categories), *((t, "tags") for t in tags)]
    named = [(name, key) for name, key in fields if name and not is_generic(name)]
    for name, key in named:
        known = outlet_name(name)
        if known:
            return known, f"front matter: {key} (a known outlet)"
    if known_outlet(url):
        return known_outlet(url), "url: a known outlet's host"
    if source_from_url(url):
        return source_from_url(url), "url: its host"
    if site:
        return site, "config: the site's title"
    if author and not is_generic(author) and is_platform(url):
        return author, "front matter: author (the account on a platform)"
    folder = folder_outlet(folders)
    if folder:
        return folder, "folder name"
    return next(((n, f"front matter: {key}") for n, key in named), (None, ""))
