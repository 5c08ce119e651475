"""The results page applies the query API's filters, sort and facets, and links them."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from zhsearch.indexer import build_index
from zhsearch.search import open_index
from zhsearch.web import create_app

DEMO = Path(__file__).resolve().parents[1] / "demo"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    location = tmp_path_factory.mktemp("demo") / "index"
    build_index([DEMO], location)
    index = open_index(location)
    yield create_app({"INDEX": index}).test_client()
    index.close()


def _hits(html: str) -> int:
    return html.count('class="hit"')


def _links(html: str, css: str) -> list[str]:
    return [unescape(h) for h in re.findall(rf'<a class="{css}" href="([^"]+)"', html)]


def test_facet_sidebar_counts_and_links_filter(client: FlaskClient) -> None:
    html = client.get("/search", query_string={"q": "碳中和"}).get_data(as_text=True)
    total = int(re.search(r"找到 <strong>(\d+)</strong>", html).group(1))  # type: ignore[union-attr]
    facet = re.search(r'<a href="([^"]*source=[^"]+)">([^<]+)</a> <span class="count">(\d+)</span>', html)
    assert facet is not None
    href, name, count = unescape(facet.group(1)), facet.group(2), int(facet.group(3))
    assert parse_qs(urlsplit(href).query)["source"] == [name]
    filtered = client.get(href).get_data(as_text=True)
    assert _hits(filtered) == min(count, 10) and count <= total
    assert f"来源：{name} ✕" in filtered
    # The chip removes the filter again.
    (chip,) = _links(filtered, "chip")
    assert "source" not in parse_qs(urlsplit(chip).query)


def test_filters_without_a_query_list_articles(client: FlaskClient) -> None:
    html = client.get("/search", query_string={"source": "联合早报"}).get_data(as_text=True)
    assert _hits(html) >= 3
    assert set(re.findall(r'<span class="source">([^<]+)</span>', html)) == {"联合早报"}


def test_sort_newest_orders_by_date(client: FlaskClient) -> None:
    html = client.get("/search", query_string={"q": "央行", "sort": "newest"}).get_data(as_text=True)
    dates = re.findall(r'<time datetime="([^"]+)">', html)
    assert len(dates) >= 2 and dates == sorted(dates, reverse=True)
    assert '<strong aria-current="true">最新</strong>' in html


def test_bad_sort_is_a_400_page_not_a_crash(client: FlaskClient) -> None:
    response = client.get("/search", query_string={"q": "央行", "sort": "sideways"})
    assert response.status_code == 400
    assert "sort" in response.get_data(as_text=True)


def test_pinyin_query_gets_a_did_you_mean_link(client: FlaskClient) -> None:
    html = client.get("/search", query_string={"q": "tanzhonghe"}).get_data(as_text=True)
    assert "您是不是要找" in html and ">碳中和</a>" in html
