"""Generators other than Hexo and Jekyll (issue 14): Hugo TOML and JSON front matter, Zola, Pelican
headers and saved full HTML pages. Every fixture below ``fixtures/archives/generators`` was written
for these tests, in the forms those generators document."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from zhsearch.indexer import SkipArticle, parse_article, read_article
from zhsearch.indexer.frontmatter import split_front_matter
from zhsearch.search import Document

GENERATORS = Path(__file__).resolve().parent / "fixtures" / "archives" / "generators"


def read(rel: str) -> Document:
    return read_article(GENERATORS / rel, rel).document


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[misc]


def test_hugo_toml_front_matter_with_params_and_shortcodes() -> None:
    doc = read("hugo/toml-bridge.md")
    assert (doc.title, doc.date, doc.author, doc.categories, doc.tags) == (
        "跨江大桥主塔封顶", utc(2022, 6, 18, 8, 40), "沈一帆", ("城市",), ("交通", "基建")
    )
    assert (doc.url, doc.source) == ("https://www.example-news.com/city/bridge-tower", "example-news.com")  # from [params]
    assert doc.text.split("\n\n") == [
        "大桥北主塔今天下午浇筑完最后一方混凝土，塔高一百九十八米。",
        "封顶后的北主塔",
        "大桥预计后年通车。",
        "施工方说，南主塔将在九月封顶，随后开始挂索。",
    ]


def test_hugo_json_front_matter() -> None:
    doc = read("hugo/json-library.md")
    assert (doc.title, doc.date, doc.source, doc.author, doc.tags) == (
        "社区图书馆延长夜间开放", utc(2022, 3, 9, 12), "河畔周报", "邵晴", ("文化",)
    )
    assert doc.text.startswith("从下周一起") and "{" not in doc.text


def test_broken_toml_is_read_line_by_line_and_an_impossible_date_recovered() -> None:
    parsed = read_article(GENERATORS / "hugo/toml-bad-date.md", "hugo/toml-bad-date.md")
    assert parsed.recovered == ["invalid TOML front matter read line by line", "unparseable date ignored: '2022-02-30'"]
    assert (parsed.document.title, parsed.document.date, parsed.document.tags) == ("春季植树活动", None, ("环保",))


def test_zola_taxonomies_extra_and_the_sites_config_toml() -> None:
    root = GENERATORS / "zola" / "content"
    doc = read_article(root / "blog" / "night-ferry.md", "blog/night-ferry.md").document
    assert (doc.title, doc.date, doc.author, doc.categories, doc.tags, doc.source) == (
        "北岸渡轮增开夜班", utc(2022, 7, 1, 13, 15), "梁可", ("民生",), ("交通", "渡轮"), "北岸观察"
    )


def test_pelican_header_lines() -> None:
    doc = read("pelican/market-hours.md")
    assert (doc.title, doc.date, doc.author, doc.categories, doc.tags) == (
        "早市恢复营业 摊位重新抽签", utc(2022, 5, 2, 23, 30), "韩露", ("民生",), ("市场", "摊位")
    )
    assert doc.text.split("\n\n") == [
        "停业整修两个月的东门早市今天恢复营业，一百二十个摊位重新抽签分配。",
        "市场管理处说，新摊位都装上了遮雨棚和排水沟，地面也换成了防滑砖。",
    ]


def test_a_saved_page_gives_its_head_metadata_and_only_its_article() -> None:
    doc = read("pages/saved-page.html")
    assert (doc.title, doc.date, doc.source, doc.author, doc.tags) == (
        "老城区燃气管道改造完成过半", utc(2022, 4, 12, 0, 30), "山城晚报", "严冬", ("燃气", "旧城改造")
    )
    assert doc.url == "https://www.shancheng-evening.example.com/news/gas-pipes"
    # no menus, sidebar, related links or footer; the heading repeating the title goes
    assert doc.text.split("\n\n") == [
        "记者从市燃气集团获悉，老城区十八个小区的燃气管道改造已经完成十个，剩下的八个将在年底前完工。",
        "改造把使用了三十多年的铸铁管换成了聚乙烯管，并在每户厨房加装了自动切断阀。",
        "施工期间，各小区将提前三天张贴停气通知。",
    ]


def test_a_plain_saved_page_takes_title_site_and_date_from_title_and_time() -> None:
    doc = read("pages/plain-page.html")
    assert (doc.title, doc.source, doc.date) == ("河滩湿地公园开放", "北岸观察", utc(2022, 8, 20, 1))
    assert doc.text.split("\n\n") == [
        "占地四十公顷的河滩湿地公园今天开放，园内设有三条观鸟步道。",
        "公园每天早上六点到晚上九点开放，不收门票。",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "{{< figure src=\"a.jpg\" caption=\"江边\" >}}\n\n正文第一段。\n",  # a shortcode, not JSON
        "{\"一\": 1} 是一个 JSON 对象的写法。\n",  # a brace that is text
        "Title: 这一行是正文的开头\n紧接着的第二行不是头信息\n",  # "Title:" that is text
    ],
)
def test_text_that_only_looks_like_a_header_is_body(text: str) -> None:
    fm = split_front_matter(text)
    assert (fm.present, fm.fields, fm.body) == (False, {}, text)


def test_an_unreadable_toml_header_is_skipped_with_its_reason() -> None:
    with pytest.raises(SkipArticle, match="^unreadable front matter$"):
        parse_article("+++\n[[[ 不是 TOML\n+++\n正文。\n".encode(), doc_id="x.md", path=Path("x.md"))  # type: ignore[arg-type]
