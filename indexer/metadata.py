"""Article metadata from front matter, body and file name: title, date, source, url, lists."""

from __future__ import annotations

import functools
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
# Where the article was first published comes first: an archive's own ``url`` is often a mirror's.
URL_FIELDS = (
    "original_url", "original_link", "original", "source_url", "source_link", "origin", "from",
    "canonical", "canonical_url", "link", "url", "permalink",
)
SOURCE_FIELDS = ("source", "outlet", "publisher", "site", "site_name", "media")
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
    "ft.com": "金融时报",
    "nikkei.com": "日经中文网",
    "wsj.com": "华尔街日报",
    "bloomberg.com": "彭博",
    "apnews.com": "美联社",
    "voanews.com": "美国之音",
    "udn.com": "联合报",
    "ltn.com.tw": "自由时报",
    "chinatimes.com": "中国时报",
    "storm.mg": "风传媒",
    "twreporter.org": "报导者",
    "pts.org.tw": "公视",
    "cw.com.tw": "天下杂志",
    "ettoday.net": "ETtoday",
    "theinitium.com": "端传媒",
    "hk01.com": "香港01",
    "mingpao.com": "明报",
    "scmp.com": "南华早报",
    "rthk.hk": "香港电台",
    "hkej.com": "信报",
    "inmediahk.net": "香港独立媒体",
    "thestandnews.com": "立场新闻",
    "appledaily.com": "苹果日报",
    "on.cc": "东网",
    "wenweipo.com": "文汇报",
    "takungpao.com": "大公报",
    "stheadline.com": "星岛日报",
    "dwnews.com": "多维新闻",
    "chinanews.com": "中新网",
    "chinanews.com.cn": "中新网",
    "cctv.com": "央视网",
    "gmw.cn": "光明网",
    "chinadaily.com.cn": "中国日报",
    "huanqiu.com": "环球网",
    "globaltimes.cn": "环球时报",
    "yicai.com": "第一财经",
    "jiemian.com": "界面新闻",
    "bjnews.com.cn": "新京报",
    "infzm.com": "南方周末",
    "36kr.com": "36氪",
    "163.com": "网易",
    "sohu.com": "搜狐",
    "ifeng.com": "凤凰网",
    "news.qq.com": "腾讯新闻",
    "zhihu.com": "知乎",
}

# Other names of the outlets above, as bylines and feeds write them (compared after folding
# traditional to simplified, case and punctuation): each becomes the outlet's one name.
OUTLET_ALIASES = {
    "中央社CNA": "中央社", "(臺)中央社CNA": "中央社", "中央通讯社": "中央社",
    "法国国际广播电台": "法广", "RFI": "法广", "RFI华语": "法广",
    "RTI 中央廣播電臺": "中央廣播電臺", "RTI": "中央廣播電臺", "央廣": "中央廣播電臺",
    "自由亚洲电台": "RFA", "自由亞洲電台": "RFA",
    "VOA": "美国之音", "美国之音中文网": "美国之音",
    "DW": "德国之声", "德国之声中文网": "德国之声",
    "联合早报网": "联合早报", "zaobao.com": "联合早报",
    "路透社": "路透", "路透中文网": "路透", "Reuters": "路透",
    "纽约时报中文网": "纽约时报", "The New York Times": "纽约时报",
    "BBC News 中文": "BBC", "BBC中文网": "BBC", "BBC中文": "BBC",
    "经济学人en": "经济学人", "The Economist": "经济学人",
    "Financial Times": "金融时报",
}

# Hosts that carry other people's articles: platforms, blog hosts, archives, CDNs, feed relays.
# Their host name is never an outlet (on a platform the channel or account is).
PLATFORM_HOSTS = frozenset([
    "youtube.com", "youtu.be", "vimeo.com", "bilibili.com", "matters.news", "matters.town", "medium.com",
    "substack.com", "blogspot.com", "blogger.com", "wordpress.com", "tumblr.com", "github.io", "github.com",
    "gitlab.io", "netlify.app", "vercel.app", "pages.dev", "twitter.com", "x.com", "facebook.com", "t.me",
    "telegra.ph", "weibo.com", "weibo.cn", "mp.weixin.qq.com", "douban.com", "instagram.com", "patreon.com",
    "soundcloud.com", "podcasts.apple.com", "feedburner.com", "feedproxy.google.com", "rsshub.app",
    "docs.google.com", "drive.google.com", "sites.google.com", "archive.org", "archive.ph", "archive.is",
    "archive.today", "archive.li", "archive.md", "archive.vn", "ghostarchive.org", "cloudfront.net",
    "amazonaws.com", "akamaized.net", "cloudflare.com", "jsdelivr.net", "wixsite.com", "weebly.com",
    "mirror.xyz", "govopendata.com", "freewechat.com", "greatfire.org", "pincong.rocks", "telegram.org",
])
# Categories and tags every blog has; never an outlet.
GENERIC_NAMES = frozenset(
    name.casefold()
    for name in [
        "archive", "archives", "sticky", "featured", "uncategorized", "uncategorised", "default", "general",
        "misc", "other", "others", "news", "blog", "post", "posts", "article", "articles", "page", "pages",
        "home", "top", "latest", "notes", "未分类", "默认分类", "默认", "归档", "存档", "置顶", "其他", "其它",
        "新闻", "文章", "博客", "转载", "轉載", "未分類", "歸檔", "默認分類", "精选", "推荐", "要闻", "头条",
        "金融", "财经", "国际", "国内", "中国", "台湾", "香港", "评论", "观点", "专栏", "科技", "时事",
    ]
)
# Folders generators, mirrors and exports keep posts in, and the tools' names: a folder named so
# (or with such a part: ``rsshub-hexo``, ``my-blog``) says nothing of the outlet.
ARCHIVE_FOLDER_WORDS = frozenset([
    "posts", "post", "drafts", "draft", "content", "contents", "source", "sources", "src", "site", "public", "www",
    "md", "markdown", "docs", "doc", "data", "output", "static", "pages", "blog", "blogs", "hexo", "jekyll", "hugo",
    "zola", "pelican", "wordpress", "wp", "rsshub", "rss", "feed", "feeds", "export", "exports", "backup",
    "backups", "mirror", "mirrors", "archive", "archives", "dump", "crawl", "scrape", "github", "repo", "git",
    "tmp", "temp", "test", "tests", "fixtures", "sample", "samples", "corpus", "corpora", "dataset", "datasets",
    "collection", "collections", "downloads", "download", "files", "home", "users", "documents",
    "分类", "栏目", "文章", "归档", "备份",
])
_FOLDER_PARTS = re.compile(r"[-_.\s]+")
_DATED_FOLDER = re.compile(r"(?<!\d)(19|20)\d\d|\A[\d\W_]+\Z")  # 2020-07-17, 2020, 07, waimei-2020q3
_HOST_NAME = re.compile(r"\A[a-z0-9-]+(\.[a-z0-9-]+)+\Z", re.I)
# Web archives put the capture time, optionally a flag (id_, im_, if_ …), then the original URL.
_ARCHIVE_WRAPPER = re.compile(
    r"\Ahttps?://(?:www\.)?(?:web\.archive\.org|wayback\.archive\.org|wayback\.archive-it\.org/\d+|arquivo\.pt/wayback"
    r"|webarchive\.org\.uk/wayback/(?:[a-z]{2}/)?archive|webarchive\.nla\.gov\.au/awa|archive\.(?:ph|is|today|li|md|vn|fo))"
    r"(?:/web)?/(?:\d{4,14}|\d{4}\.\d\d\.\d\d-\d{6}|\*|newest|oldest)(?:[a-z]{2}_)?/+(?P<url>.+)\Z",
    re.I,
)


# A site name after the last separator of a title: " - ", " – ", " | ", "｜", "－", or a bare "-",
# "_" or "——" between non-ASCII characters ("…-新浪财经", "…_网易新闻"; never "COVID-19").
_TITLE_SUFFIX = re.compile(
    r"\s*(?:\s[-–—|]|[|｜－]|\s?[-–—]\s|(?<=[^\x00-\x7f])(?:[-_]|—{1,2})(?=[^\x00-\x7f]))"
    r"\s*(?P<site>[^-–—|｜－_]{1,40}?)\s*\Z"
)
TITLE_MIN_CHARS = 4  # a title keeps its suffix rather than become shorter than this


def split_title_suffix(title: str) -> tuple[str, str] | None:
    """``标题 | 北岸评论`` -> (``标题``, ``北岸评论``): the title and the name after its last
    separator; None without one, when the name has no letter or the title would be too short."""
    found = _TITLE_SUFFIX.search(title)
    if not found or not re.search(r"[^\W\d_]", found.group("site")):
        return None
    head = title[: found.start()].rstrip()
    return (head, found.group("site")) if len(head) >= TITLE_MIN_CHARS else None


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


def unwrap_archive_url(url: str) -> str:
    """``https://web.archive.org/web/20200922234926id_/https://example.com/a`` -> the archived URL
    (and the same for archive.today, Archive-It, arquivo.pt and national web archives)."""
    while True:
        wrapped = _ARCHIVE_WRAPPER.match(url)
        if not wrapped:
            return url
        inner = wrapped.group("url")
        scheme = re.match(r"(?i)(https?):/*", inner)
        url = f"{scheme.group(1).lower()}://{inner[scheme.end():]}" if scheme else f"http://{inner}"


def _host_labels(url: str | None) -> list[str]:
    return (urlsplit(url).hostname or "").lower().split(".") if url else []


def _host_in(labels: list[str], hosts: frozenset[str] | dict[str, str]) -> str | None:
    """The longest suffix of the host (``cn.reuters.com``, ``reuters.com``) that ``hosts`` has."""
    for i in range(len(labels) - 1):
        suffix = ".".join(labels[i:])
        if suffix in hosts:
            return suffix
    return None


def is_platform(url: str | None) -> bool:
    """Whether the URL's host is a platform, blog host, archive, CDN or mirror (never an outlet)."""
    labels = _host_labels(url)
    return _host_in(labels, PLATFORM_HOSTS) is not None or "mirror" in labels[:-1]


def outlet_name(name: str | None) -> str | None:
    """The one name of a known outlet that ``name`` spells (``法廣``, ``(臺)中央社CNA`` …), else None."""
    if not name:
        return None
    return _outlet_names().get(name_key(name))


def name_key(name: str) -> str:
    """What two spellings of one name share: simplified, case-folded, without spaces or punctuation."""
    from zhsearch.search.text.normalize import fold

    return re.sub(r"[\W_]+", "", fold(name))


@functools.cache
def _outlet_names() -> dict[str, str]:
    names = {name_key(n): n for n in DOMAIN_SOURCES.values()}
    names.update({name_key(alias): canonical for alias, canonical in OUTLET_ALIASES.items()})
    return names


def is_generic(name: str) -> bool:
    return name.strip().casefold() in GENERIC_NAMES


def known_outlet(url: str | None) -> str | None:
    """The outlet behind a well-known news domain (``cn.reuters.com`` -> 路透), else None."""
    found = _host_in(_host_labels(url), DOMAIN_SOURCES)
    return DOMAIN_SOURCES[found] if found else None


def source_from_url(url: str | None) -> str | None:
    """The known outlet of the URL's domain, else its host name without ``www.`` (None for a
    platform, archive or mirror host)."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    if not host:
        return None
    return known_outlet(url) or (None if is_platform(url) else host.removeprefix("www."))


def folder_outlet(folders: tuple[str, ...] | list[str]) -> str | None:
    """The outlet a folder names: the first of ``folders`` (from the archive root down to the
    article's folder) that is not dated, generic, a single character or a generator's, mirror's or
    tool's folder (``_posts``, ``content``, ``rsshub-hexo``, ``2020-07-17``); a host name folder
    (``www.example-news.com``) as its URL would be."""
    for name in folders:
        name = name.strip()
        if _HOST_NAME.match(name):
            host = source_from_url(f"http://{name}")
            if host:
                return host
            continue
        bare = name.strip("_.")
        parts = {part.casefold() for part in _FOLDER_PARTS.split(bare) if part}
        if len(bare) < 2 or is_generic(bare) or _DATED_FOLDER.search(bare) or parts & ARCHIVE_FOLDER_WORDS:
            continue
        return outlet_name(bare) or bare
    return None
