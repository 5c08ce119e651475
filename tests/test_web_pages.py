"""The pages beyond the hit list: the timeline, the date range, zero results, the article view, home."""

from __future__ import annotations

import re
import struct
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from flask.testing import FlaskClient

from zhsearch.web.timeline import HEIGHT, MIN_BAR, WIDTH, timeline

from conftest import ARTICLES, CARBON, HOSTILE, TAIWAN, TITLE_ONLY, TYPHOON


def _query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(unescape(href)).query)


def _body(client: FlaskClient, path: str, **params: object) -> str:
    response = client.get(path + ("?" + urlencode(params, doseq=True) if params else ""))
    assert response.status_code == 200
    return response.get_data(as_text=True)


# -- the timeline ------------------------------------------------------------------------------


def test_timeline_has_a_bar_for_every_month_between_the_first_and_the_last() -> None:
    chart = timeline({"2021-11": 4, "2022-02": 1, "2021-12": 0})
    assert chart is not None
    assert [b.month for b in chart.bars] == ["2021-11", "2021-12", "2022-01", "2022-02"]
    assert [b.count for b in chart.bars] == [4, 0, 0, 1]
    assert (chart.first, chart.last, chart.peak) == ("2021-11", "2022-02", 4)
    tallest, empty, _, smallest = chart.bars
    assert (tallest.bar_y, tallest.bar_height) == (0, HEIGHT)
    assert empty.bar_height == 0
    assert smallest.bar_height == HEIGHT / 4 and smallest.bar_y == HEIGHT - HEIGHT / 4
    assert chart.bars[-1].x + chart.bars[-1].slot == pytest.approx(WIDTH)
    assert all(b.bar_x >= b.x and b.bar_x + b.bar_width <= b.x + b.slot + 0.01 for b in chart.bars)


def test_timeline_small_counts_stay_visible() -> None:
    chart = timeline({"2020-01": 1000, "2020-02": 1})
    assert chart is not None and chart.bars[1].bar_height == MIN_BAR


@pytest.mark.parametrize("counts", [{}, {"2021-01": 0}, {"undated": 3, "2021-13": 2, "21-01": 1}])
def test_no_timeline_without_months(counts: dict[str, int]) -> None:
    assert timeline(counts) is None


def test_results_page_draws_the_timeline_with_a_link_per_month(client: FlaskClient) -> None:
    body = _body(client, "/search", q="记者")
    svg = re.search(r'<figure class="timeline">.*?</figure>', body, re.S)
    assert svg is not None
    links = re.findall(r'<a href="([^"]+)" class="bar" aria-label="(\d{4}-\d\d)：(\d+) 篇">', svg.group(0))
    months = {"2020-08": 1, "2020-09": 1, "2021-05": 1, "2021-10": 3, "2021-12": 1, "2022-03": 1, "2022-09": 1}
    assert {m: int(n) for _, m, n in links} == months
    for href, month, _ in links:
        assert _query(href) == {"q": ["记者"], "month": [month]}
    assert svg.group(0).count("<rect class=\"hitbox\"") == len(months)  # empty months have no link
    axis = re.findall(r'<span class="(\w+)">([^<]*)</span>', svg.group(0).split('<p class="axis">')[1])
    assert axis == [("first", "2020-08：1 篇"), ("peak", "最多 2021-10：3 篇"), ("last", "2022-09：1 篇")]
    assert 'preserveAspectRatio="none"' in svg.group(0)  # the bars fill the width the labels span


def test_clicking_a_month_filters_and_the_timeline_keeps_the_other_months(client: FlaskClient) -> None:
    body = _body(client, "/search", q="记者", month="2021-10")
    assert body.count('class="hit"') == 3
    assert set(re.findall(r'<time datetime="(\d{4}-\d\d)', body)) == {"2021-10"}
    assert 'class="bar active" aria-label="2021-10：3 篇"' in body
    assert 'class="bar" aria-label="2020-08：1 篇"' in body  # another month can be picked
    other = re.search(r'<a href="([^"]+)" class="bar" aria-label="2020-08', body).group(1)  # type: ignore[union-attr]
    assert _query(other)["month"] == ["2020-08"]


def test_month_facet_replaces_the_month(client: FlaskClient) -> None:
    body = _body(client, "/search", q="记者")
    href = re.search(r'<li><a href="([^"]+)">2021-10</a> <span class="count">3</span></li>', body)
    assert href is not None and _query(href.group(1))["month"] == ["2021-10"]
    chosen = _body(client, "/search", q="记者", month="2021-10")
    assert re.search(r'<li><a class="chosen" href="([^"]+)"[^>]*>2021-10 ✕</a>', chosen)


def test_no_timeline_without_dated_hits(client: FlaskClient) -> None:
    body = _body(client, "/search", q="烟火气")  # the one article without a date
    assert body.count('class="hit"') == 1 and "<svg" not in body


# -- the date range ----------------------------------------------------------------------------


def test_date_range_form_keeps_the_other_parameters(client: FlaskClient) -> None:
    body = _body(client, "/search", q="记者", source=["中央社", "联合早报"], sort="newest", month="2021-10", page=1,
                 since="2021")
    form = re.search(r'<form class="dates".*?</form>', body, re.S)
    assert form is not None
    hidden = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(0))
    assert hidden == [("q", "记者"), ("source", "中央社"), ("source", "联合早报"), ("sort", "newest")]
    assert re.search(r'<input id="since" name="since" value="2021"', form.group(0))
    assert re.search(r'<input id="until" name="until" value=""', form.group(0))


def test_date_range_filters(client: FlaskClient) -> None:
    body = _body(client, "/search", q="记者", since="2021-06", until="2021-12")
    dates = re.findall(r'<time datetime="(\d{4}-\d\d)', body)
    assert sorted(dates) == ["2021-10", "2021-10", "2021-10", "2021-12"]
    assert "起：2021-06 ✕" in body and "止：2021-12 ✕" in body


def test_hostile_values_in_the_date_form_are_escaped(client: FlaskClient) -> None:
    body = _body(client, "/search", q='"><script>alert(1)</script>', since='"><img src=x onerror=alert(1)>')
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in body


# -- zero results ------------------------------------------------------------------------------


def test_zero_results_name_the_words_that_matched_nothing(client: FlaskClient) -> None:
    body = _body(client, "/search", q="碳达峰 量子纠缠")
    assert "找到 <strong>0</strong> 条结果" in body
    assert '这些词没有出现在任何文章里：<strong class="unmatched">量子纠缠</strong>' in body
    assert "<li>“碳达峰” 单独搜索：1 篇</li>" in body
    assert "<li>“量子纠缠” 单独搜索：0 篇</li>" in body


def test_zero_results_when_the_words_never_meet(client: FlaskClient) -> None:
    body = _body(client, "/search", q="台风 篮球")
    assert "unmatched" not in body
    assert "每个词都能找到文章，但没有一篇同时包含所有词" in body


def test_zero_results_because_of_a_filter_offer_to_drop_it(client: FlaskClient) -> None:
    body = _body(client, "/search", q="台风", source="中央社")
    assert "“台风” 能找到 1 篇，但没有一篇符合筛选条件" in body
    link = re.search(r'<a href="([^"]+)">去掉所有筛选条件再搜索</a>', body)
    assert link is not None and _query(link.group(1)) == {"q": ["台风"]}


def test_zero_results_escape_the_query(client: FlaskClient) -> None:
    body = _body(client, "/search", q="<script>alert(1)</script>量子纠缠")
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;" in body


# -- the article view --------------------------------------------------------------------------


def test_article_lists_similar_articles_that_open(client: FlaskClient) -> None:
    body = _body(client, "/doc/" + quote(CARBON), q="碳达峰")
    section = re.search(r'<section class="similar".*?</section>', body, re.S)
    assert section is not None
    links = re.findall(r'<a href="(/doc/[^"]+)">', section.group(0))
    assert links and quote(CARBON) not in [link.split("?")[0] for link in links]
    for link in links:
        assert _query(link) == {"q": ["碳达峰"]}
        assert client.get(unescape(link)).status_code == 200


def test_article_metadata_and_lang(client: FlaskClient) -> None:
    body = _body(client, "/doc/" + quote(TAIWAN))
    assert '<article class="doc" lang="zh-Hant">' in body
    assert '<a class="source" href="/search?source=%E4%B8%AD%E5%A4%AE%E7%A4%BE">中央社</a>' in body
    assert "<code>" + TAIWAN + "</code>" in body
    assert body.count(">中央社</a>") == 2  # the source, and the category (once, though also a tag)
    simplified = _body(client, "/doc/" + quote(TYPHOON))
    assert '<article class="doc" lang="zh-Hans">' in simplified


def test_title_only_article_says_so(client: FlaskClient) -> None:
    assert "（这篇文章只有标题。）" in _body(client, "/doc/" + quote(TITLE_ONLY))


def test_hostile_article_title_is_text_in_similar_lists(client: FlaskClient) -> None:
    for doc_id in ARTICLES - {HOSTILE}:
        body = _body(client, "/doc/" + quote(doc_id))
        assert "<script>alert(1)" not in body


def test_hits_carry_a_lang_attribute(client: FlaskClient) -> None:
    body = _body(client, "/search", q="台湾")
    assert '<li class="hit" lang="zh-Hant">' in body


# -- home --------------------------------------------------------------------------------------


def test_home_has_a_labelled_autofocused_box_the_index_and_examples(client: FlaskClient) -> None:
    body = _body(client, "/")
    assert '<label for="q">关键词</label>' in body
    assert re.search(r'<input id="q" name="q" type="search" autofocus', body)
    assert f"共 {len(ARTICLES)} 篇文章，2020-08-03 至 2022-09-08，来自 13 个来源。" in body
    examples = re.findall(r'<a href="(/search\?q=[^"]+)">', body)
    assert len(examples) >= 5
    for href in examples:
        assert client.get(unescape(href)).status_code == 200
    assert re.search(r'<a href="/search\?source=[^"]+">中央社</a>', body)


def test_no_inline_scripts_or_styles_and_no_external_resources(client: FlaskClient) -> None:
    for path in ("/", "/search?q=记者", "/doc/" + quote(CARBON), "/search?q=量子纠缠", "/nothing"):
        body = client.get(path).get_data(as_text=True)
        scripts = re.findall(r"<script[^>]*>", body)
        assert '<script src="/static/suggest.js" defer>' in scripts
        assert all(re.fullmatch(r'<script src="/static/[\w-]+\.js" defer>', tag) for tag in scripts), scripts
        assert " style=" not in body and "<style" not in body
        for url in re.findall(r'(?:src|href)="([^"]+)"', body):
            assert url.startswith(("/", "#", "?")) or re.search(r'class="orig" href="' + re.escape(url), body), url


def test_readme_shows_the_results_page_screenshot() -> None:
    root = Path(__file__).resolve().parents[1]
    assert "](docs/screenshot-results.png)" in (root / "README.md").read_text(encoding="utf-8")
    png = (root / "docs" / "screenshot-results.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 900)  # taken by tests/test_browser.py at the desktop size


def test_the_timeline_of_one_month_has_one_label(client: FlaskClient) -> None:
    body = _body(client, "/search", q="碳达峰")
    axis = body.split('<p class="axis">')[1].split("</p>")[0]
    assert re.findall(r'<span class="(\w+)">([^<]*)</span>', axis) == [("first", "2021-05：1 篇")]


def test_the_filters_come_first_in_a_panel(client: FlaskClient) -> None:
    body = _body(client, "/search", q="记者")
    assert body.index('<aside class="facets"') < body.index('<ol class="hits"')
    assert '<details class="panel" id="facets" open>\n<summary>筛选：日期、来源、分类、月份</summary>' in body
