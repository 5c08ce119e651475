"""A search in other forms through the Flask client: its Atom feed and every hit as CSV or JSON lines."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient

from zhsearch.search import SearchIndex
from zhsearch.web import create_app
from zhsearch.web.export import all_hits

from conftest import ARTICLES, CARBON, FORMULAS, HOSTILE, NO_DATE, REPORTER

FIELDS = ["id", "title", "source", "date", "url", "snippet"]


# -- the feed ------------------------------------------------------------------------------------


def parsed_feed(client: FlaskClient, url: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return feed


def test_the_feed_is_atom_of_the_newest_matching_articles(client: FlaskClient, index: SearchIndex) -> None:
    feed = parsed_feed(client, "/feed?q=记者")
    newest = [h for h in index.search("记者", sort="newest", limit=50).hits if h.date]
    assert [unquote(e.id) for e in feed.entries] == [f"http://localhost/doc/{h.id}" for h in newest]
    assert [e.link for e in feed.entries] == [e.id for e in feed.entries]
    assert len(feed.entries) == len(newest) == len(REPORTER)
    assert feed.feed.title == "“记者”的最新文章 - zhsearch"
    assert feed.feed.updated == newest[0].date


def test_a_feed_entry_has_title_links_date_outlet_and_snippet(client: FlaskClient) -> None:
    (entry,) = parsed_feed(client, "/feed?q=碳达峰").entries
    assert entry.title == "多省公布碳达峰碳中和路线图"
    links = {link.rel: link.href for link in entry.links}
    assert client.get(urlsplit(links["alternate"]).path).status_code == 200
    assert urlsplit(links["alternate"]).path.startswith("/doc/jekyll/2021-05-10/")
    assert links["related"] == "https://www.zaobao.com/realtime/china/story20210510-0000001"
    assert entry.published == entry.updated == "2021-05-10T02:00:00+00:00"
    assert entry.author == "联合早报"
    assert [t.term for t in entry.tags] == ["联合早报"]
    assert entry.summary_detail.type == "text/html"  # the snippet's marks (feedparser's sanitizer drops them)
    assert entry.summary.startswith("本报记者从多个省份了解到，各地正在制定力争2030年前实现碳达峰的行动方案")
    assert "&lt;mark&gt;碳达峰&lt;/mark&gt;" in client.get("/feed?q=碳达峰").get_data(as_text=True)


def test_the_feed_follows_filters_and_leaves_out_undated_articles(client: FlaskClient, index: SearchIndex) -> None:
    feed = parsed_feed(client, "/feed?q=&source=联合早报")
    assert {e.author for e in feed.entries} == {"联合早报"}
    everything = parsed_feed(client, "/feed?q=")
    dated = [h for h in index.search("", limit=50).hits if h.date]
    assert len(everything.entries) == len(dated) < len(ARTICLES)
    assert f"http://localhost/doc/{NO_DATE}" not in {unquote(e.id) for e in everything.entries}


def test_the_feed_escapes_article_text(client: FlaskClient) -> None:
    response = client.get("/feed?q=onerror")
    assert b"<script>" not in response.data and b"<img" not in response.data
    (entry,) = feedparser.parse(response.data).entries
    assert entry.title == "<script>alert(1)</script> 网络安全演练暴露漏洞"
    assert "related" not in {link.rel for link in entry.links}  # its url is not http(s)


def test_the_feed_entries_are_limited(index: SearchIndex) -> None:
    client = create_app({"INDEX": index, "TESTING": True, "FEED_ENTRIES": 3}).test_client()
    assert len(parsed_feed(client, "/feed?q=记者").entries) == 3


def test_a_bad_feed_parameter_is_a_400_page(client: FlaskClient) -> None:
    response = client.get("/feed?q=" + "x" * 501)
    assert response.status_code == 400
    assert "请求有误" in response.get_data(as_text=True)


def test_the_results_page_links_its_feed_and_exports(client: FlaskClient) -> None:
    body = client.get("/search?q=记者&source=联合早报&page=1").get_data(as_text=True)
    feed_link = '<link rel="alternate" type="application/atom+xml" href="/feed?q=%E8%AE%B0%E8%80%85&amp;source=%E8%81%94%E5%90%88%E6%97%A9%E6%8A%A5"'
    assert feed_link in body
    assert 'href="/export.csv?q=%E8%AE%B0%E8%80%85&amp;source=%E8%81%94%E5%90%88%E6%97%A9%E6%8A%A5" download>导出 CSV</a>' in body
    assert 'href="/export.jsonl?q=%E8%AE%B0%E8%80%85&amp;source=%E8%81%94%E5%90%88%E6%97%A9%E6%8A%A5" download>导出 JSONL</a>' in body


# -- exports ---------------------------------------------------------------------------------------


def rows(client: FlaskClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=zhsearch.csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffid,title,source,date,url,snippet\r\n")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_csv_export_is_every_hit_not_one_page(client: FlaskClient, index: SearchIndex) -> None:
    exported = rows(client, "/export.csv?q=记者&limit=2&page=3")
    assert [r["id"] for r in exported] == [h.id for h in index.search("记者", limit=50).hits]
    assert {r["id"] for r in exported} == REPORTER
    carbon = next(r for r in exported if r["id"] == CARBON)
    assert (carbon["title"], carbon["source"], carbon["date"], carbon["url"]) == (
        "多省公布碳达峰碳中和路线图", "联合早报", "2021-05-10T02:00:00+00:00",
        "https://www.zaobao.com/realtime/china/story20210510-0000001")
    assert "记者" in carbon["snippet"] and "<mark>" not in carbon["snippet"]


def test_exports_keep_filters_and_order(client: FlaskClient, index: SearchIndex) -> None:
    exported = rows(client, "/export.csv?q=记者&sort=oldest&source=联合早报&source=中央社")
    expected = index.search("记者", sort="oldest", source=["联合早报", "中央社"], limit=50).hits
    assert [r["id"] for r in exported] == [h.id for h in expected] != []


def test_csv_export_cells_are_never_formulas(formula_index_dir: Path) -> None:
    with SearchIndex.open(formula_index_dir) as index:
        client = create_app({"INDEX": index, "TESTING": True}).test_client()
        exported = rows(client, "/export.csv?q=公式")
        lines = client.get("/export.jsonl?q=公式").get_data(as_text=True).splitlines()
    assert {(r["title"], r["source"]) for r in exported} == {
        ("'" + t if t[0] in "=+-@" else t, "'" + s if s[0] in "=+-@" else s) for t, s in FORMULAS.items()
    }
    assert ("'=HYPERLINK(\"https://evil.example/\",\"公式点我\")", "'=cmd|' /C calc'!A0") in {
        (r["title"], r["source"]) for r in exported
    }
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in exported for cell in r.values())
    assert {json.loads(line)["title"] for line in lines} == set(FORMULAS)  # JSON lines keep the text as it is


def test_jsonl_export_is_one_record_per_hit(client: FlaskClient) -> None:
    response = client.get("/export.jsonl?q=onerror")
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    (record,) = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert list(record) == FIELDS
    assert record["id"] == HOSTILE
    assert record["title"] == "<script>alert(1)</script> 网络安全演练暴露漏洞"


def test_a_bad_export_parameter_is_a_400_before_anything_is_sent(client: FlaskClient) -> None:
    response = client.get("/export.jsonl?q=记者&sort=random")
    assert response.status_code == 400
    assert "sort 只能是 relevance, newest, oldest 之一，不能是 &#39;random&#39;" in response.get_data(as_text=True)


class CountingIndex:
    """An index that counts the pages of hits it is asked for."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.pages: list[int] = []

    def search(self, query: str, **options: object):  # type: ignore[no-untyped-def]
        self.pages.append(int(options["page"]))  # type: ignore[call-overload]
        return self.index.search(query, **options)  # type: ignore[arg-type]

    def refresh(self) -> bool:
        return False


def test_an_export_streams_one_page_of_hits_at_a_time(app: Flask, index: SearchIndex) -> None:
    counting = CountingIndex(index)
    app.config["EXPORT_PAGE_SIZE"] = 2
    app.extensions["zhsearch.index"] = counting
    response = app.test_client().get("/export.jsonl?q=记者", buffered=False)
    assert response.is_streamed
    chunks = iter(response.response)
    first = [next(chunks), next(chunks)]
    assert counting.pages == [1]  # two hits sent, one page fetched
    rest = list(chunks)
    response.close()
    assert len(first) + len(rest) == len(REPORTER)
    assert counting.pages == [1, 2, 3, 4, 5]  # nine hits, two at a time


@pytest.mark.parametrize("page_size", [1, 4, 100])
def test_all_hits_fetches_pages_until_the_last(index: SearchIndex, page_size: int) -> None:
    counting = CountingIndex(index)
    ids = [h.id for h in all_hits(counting, "记者", page_size=page_size)]  # type: ignore[arg-type]
    assert ids == [h.id for h in index.search("记者", limit=50).hits]
    assert counting.pages == list(range(1, -(-len(REPORTER) // page_size) + 1))


# -- the API documentation page ----------------------------------------------------------------------


def test_api_docs_is_swagger_ui_served_by_the_app(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'data-openapi="/api/openapi.json"' in body
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', body)
    assert "/api/docs/static/swagger-ui-bundle.js" in assets and "/api/docs/static/swagger-ui.css" in assets
    for asset in assets:
        with client.get(asset) as served:  # a file response: closed here
            assert served.status_code == 200, asset
    assert "http" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', body))  # nothing from another site
    assert client.get("/api/docs/static/nothing.js").get_json()["error"]["code"] == "not_found"


def test_every_page_footer_links_the_api_docs(client: FlaskClient) -> None:
    for url in ("/", "/search?q=记者", f"/doc/{CARBON}"):
        assert '<a href="/api/docs">API 文档</a>' in client.get(url).get_data(as_text=True)


def test_the_feed_of_a_sorted_search_is_still_the_newest(client: FlaskClient, index: SearchIndex) -> None:
    feed = parsed_feed(client, "/feed?q=记者&sort=oldest")
    assert urlsplit(feed.feed.link).query.endswith("&sort=newest")
    assert unquote(feed.entries[0].id).endswith(index.search("记者", sort="newest").hits[0].id)
