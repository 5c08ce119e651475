"""Article metadata from front matter, body and file name: title, date, source, url, lists."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

# Naive timestamps in Chinese news feeds are local time in China unless they say otherwise.
DEFAULT_TZ = timezone(timedelta(hours=8))

DATE_FIELDS = ("date", "published", "pubDate", "pubdate", "publish_date", "created", "created_at", "time")
# Only when nothing says when the article was published (after the epoch comment and the file name).
UPDATED_FIELDS = ("updated", "last_updated", "lastmod", "modified", "updated_at")
URL_FIELDS = ("from", "link", "url", "source_url", "original", "original_url", "origin", "canonical", "permalink")
SOURCE_FIELDS = ("source", "outlet", "publisher", "site", "media")
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})[-_/.]?(\d{2})[-_/.]?(\d{2})(?!\d)")
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")

# The outlet behind well-known news domains (a fallback when the front matter names none).
DOMAIN_SOURCES = {
    "zaobao.com": "联合早报",
    "zaobao.com.sg": "联合早报",
    "cna.com.tw": "中央社",
    "focustaiwan.tw": "中央社",
    "rfi.fr": "法广",
    "reuters.com": "路透",
    "epochtimes.com": "大纪元",
    "voachinese.com": "美国之音",
    "dw.com": "德国之声",
    "bbc.com": "BBC",
    "bbc.co.uk": "BBC",
    "rfa.org": "RFA",
    "solidot.org": "Solidot",
    "economist.com": "经济学人",
    "sina.com.cn": "新浪财经",
    "cls.cn": "财联社",
    "nbd.com.cn": "每经网",
    "stcn.com": "证券时报网",
    "cs.com.cn": "中证网",
    "nytimes.com": "纽约时报",
    "ftchinese.com": "FT中文网",
    "thepaper.cn": "澎湃新闻",
    "caixin.com": "财新",
    "xinhuanet.com": "新华社",
    "people.com.cn": "人民网",
    "rti.org.tw": "中央廣播電臺",
    "chinadigitaltimes.net": "中国数字时代",
    "bitterwinter.org": "寒冬",
    "ntdtv.com": "新唐人",
}


def as_text(value: Any) -> str | None:
    """A scalar front matter value as stripped text; None for empty or non-scalars."""
    if value is None or isinstance(value, (list, dict, bool)):
        return None
    text = str(value).strip()
    return text or None


def as_list(value: Any) -> tuple[str, ...]:
    """``[a, b]``, ``a, b`` or ``a`` as a tuple of distinct non-empty strings."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else re.split(r"[,，、]", str(value))
    out: list[str] = []
    for item in items:
        if isinstance(item, (list, dict)):
            continue
        text = str(item).strip()
        if text and text not in out:
            out.append(text)
    return tuple(out)


def parse_date(value: Any, *, default_tz: timezone = DEFAULT_TZ) -> datetime | None:
    """A front matter date (datetime, date, ISO, RFC 2822 or common formats) as aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=timezone.utc)
    else:
        text = str(value).strip()
        if not text or text.lower() in {"invalid date", "null", "none", "nan"}:
            return None
        dt_or_none = _parse_text_date(text)
        if dt_or_none is None:
            return None
        if isinstance(dt_or_none, date) and not isinstance(dt_or_none, datetime):
            return datetime.combine(dt_or_none, time(0), tzinfo=timezone.utc)
        dt = dt_or_none
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    if not 1970 <= dt.year <= 2200:
        return None
    return dt.astimezone(timezone.utc)


def _parse_text_date(text: str) -> datetime | date | None:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text.replace(" +", "+"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.date() if "%H" not in fmt else parsed
    return None


def date_from_epoch_ms(ms: int | None) -> datetime | None:
    if ms is None:
        return None
    try:
        dt = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return dt if 1990 <= dt.year <= 2200 else None


def date_from_path(path: PurePosixPath) -> datetime | None:
    """``2020-08-05-slug.md`` or a ``2020-08-05/`` (or ``2020/08/05/``) folder."""
    candidates = [path.name, *(p for p in reversed(path.parent.parts))]
    joined = "/".join(path.parent.parts[-3:])
    candidates.append(joined)
    for text in candidates:
        m = _NAME_DATE.search(text)
        if not m:
            continue
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
        if 1990 <= day.year <= 2200:
            return datetime.combine(day, time(0), tzinfo=timezone.utc)
    return None


def http_url(value: Any) -> str | None:
    text = as_text(value)
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return text
    return None


def known_outlet(url: str | None) -> str | None:
    """The outlet behind a well-known news domain (``cn.reuters.com`` -> 路透), else None."""
    if not url:
        return None
    labels = (urlsplit(url).hostname or "").lower().split(".")
    for i in range(len(labels) - 1):
        known = DOMAIN_SOURCES.get(".".join(labels[i:]))
        if known:
            return known
    return None


def source_from_url(url: str | None) -> str | None:
    """The known outlet of the URL's domain, else its host name without ``www.``."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    if not host:
        return None
    return known_outlet(url) or host.removeprefix("www.")
