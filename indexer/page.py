"""Saved full HTML pages: their metadata from ``<head>`` and ``<time>``, and the article element only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, Tag

from .clean import article_holder

_FULL_PAGE = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]", re.I)
_SITE_SUFFIX = re.compile(r"\s*[-–—|｜_·]\s*(\S.{0,39}?)\s*")
_PAGE_PARTS = ("nav", "footer", "aside")  # menus, footers and sidebars, inside the article or not
# Each field of a page, from the first of these that it has: (how it is found, what inspect calls it).
_META: dict[str, tuple[tuple[dict[str, str], str], ...]] = {
    "title": (({"property": "og:title"}, "<meta property=og:title>"), ({"name": "twitter:title"}, "<meta name=twitter:title>")),
    "date": (
        ({"property": "article:published_time"}, "<meta property=article:published_time>"),
        ({"itemprop": "datePublished"}, "itemprop=datePublished"),
        ({"name": "pubdate"}, "<meta name=pubdate>"),
        ({"name": "publishdate"}, "<meta name=publishdate>"),
        ({"name": "date"}, "<meta name=date>"),
        ({"name": "dc.date.issued"}, "<meta name=DC.date.issued>"),
    ),
    "updated": (({"property": "article:modified_time"}, "<meta property=article:modified_time>"),),
    "url": (({"property": "og:url"}, "<meta property=og:url>"),),
    "site_name": (({"property": "og:site_name"}, "<meta property=og:site_name>"),),
    "author": (({"name": "author"}, "<meta name=author>"), ({"property": "article:author"}, "<meta property=article:author>")),
}


@dataclass
class HtmlPage:
    """What a saved page says about its article, and the markup of the article alone."""

    fields: dict[str, Any]
    origins: dict[str, str]  # field -> where in the page it was found
    content: str


def is_full_page(text: str) -> bool:
    return bool(_FULL_PAGE.search(text[:4000]))


def read_page(text: str) -> HtmlPage:
    """The metadata of a saved page (``og:*``, ``article:*``, ``<title>``, canonical link,
    ``<time datetime>``) and its article element (or its body without nav, header, footer, aside)."""
    soup = BeautifulSoup(text, "lxml")
    fields: dict[str, Any] = {}
    origins: dict[str, str] = {}
    canonical = soup.find("link", rel="canonical", href=True)
    if isinstance(canonical, Tag):
        fields["canonical"], origins["canonical"] = str(canonical["href"]).strip(), "html: <link rel=canonical>"
    for key, ways in _META.items():
        for attrs, name in ways:
            value = _meta(soup, attrs)
            if value:
                fields[key], origins[key] = value, f"html: {name}"
                break
    if "title" not in fields and soup.title and soup.title.get_text(strip=True):
        _title_element(soup, soup.title.get_text(" ", strip=True), fields, origins)
    for part in soup.find_all(_PAGE_PARTS):
        if not part.decomposed:
            part.decompose()
    for part in soup.find_all("header"):  # the site's header; an article's own (title, byline) stays
        if not part.find_parent(["article", "main"]):
            part.decompose()
    holder = article_holder(soup)
    if "date" not in fields:
        stamp = (holder or soup).find("time", datetime=True)
        if isinstance(stamp, Tag):
            fields["date"], origins["date"] = str(stamp["datetime"]).strip(), "html: <time datetime>"
            line = stamp.parent
            if isinstance(line, Tag) and line.get_text(strip=True) == stamp.get_text(strip=True):
                line.decompose()  # a dateline (8月20日) is metadata, not text
    tags = [v for v in (_content(m) for m in soup.find_all("meta", property="article:tag")) if v]
    if tags:
        fields["tags"], origins["tags"] = tags, "html: <meta property=article:tag>"
    if holder is None:
        holder = soup.body or soup
    return HtmlPage(fields, origins, holder.decode_contents() if holder.name in ("body", "[document]") else str(holder))


def _title_element(soup: BeautifulSoup, title: str, fields: dict[str, Any], origins: dict[str, str]) -> None:
    """``<title>河滩湿地公园开放 | 北岸观察</title>`` over ``<h2>河滩湿地公园开放</h2>``: the title is the
    heading, the rest the site's name."""
    fields["title"], origins["title"] = title, "html: <title>"
    heading = soup.find(["h1", "h2"])
    text = heading.get_text(" ", strip=True) if isinstance(heading, Tag) else ""
    suffix = _SITE_SUFFIX.fullmatch(title[len(text) :]) if text and title.startswith(text) else None
    if suffix:
        fields["title"], origins["title"] = text, "html: <title>, without the site's name (as the first heading)"
        if "site_name" not in fields:
            fields["site_name"], origins["site_name"] = suffix.group(1), "html: the site's name after the <title>"


def _meta(soup: BeautifulSoup, attrs: dict[str, str]) -> str | None:
    (key, value), = attrs.items()
    found = soup.find("meta", attrs={key: re.compile(f"^{re.escape(value)}$", re.I)})
    if found is None:
        found = soup.find(True, attrs={key: re.compile(f"^{re.escape(value)}$", re.I), "datetime": True})  # type: ignore[call-overload]
        return str(found["datetime"]).strip() if isinstance(found, Tag) else None
    return _content(found)


def _content(tag: Any) -> str | None:
    value = tag.get("content") if isinstance(tag, Tag) else None
    return str(value).strip() or None if value else None
