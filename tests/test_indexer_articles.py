"""One fixture article per dialect and quirk: the parsed fields and the exact cleaned text."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from zhsearch.indexer import SkipArticle, read_article
from zhsearch.indexer.article import ParsedArticle

ARTICLES = Path(__file__).resolve().parent / "fixtures" / "articles"


def parse(rel: str) -> ParsedArticle:
    return read_article(ARTICLES / rel, rel)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)


def test_hexo_block_lists_rfc2822_date_and_sina_boilerplate() -> None:
    parsed = parse("hexo/sina-style.md")
    doc = parsed.document
    assert parsed.recovered == []
    assert doc.title == "光伏企业扩产提速 多地新项目集中开工"
    assert doc.date == utc(2021, 9, 2, 6, 8, 6)
    assert doc.categories == ("金融", "新浪财经", "新浪财经－国內")
    assert doc.author == doc.source == "新浪财经"
    assert doc.url is None
    # 原标题, the commented-out ad list, the QR/app block, its <style> and 责任编辑 are gone;
    # the paragraph repeated in the body is kept once.
    assert doc.text == (
        "本报记者 李明 9月2日，多个光伏制造项目在西部省份集中开工。\n\n"
        "业内人士表示，上游硅料价格回落为扩产创造了条件。"
    )


def test_jekyll_preamble_epoch_ads_editor_code_related_links_and_feed_footer() -> None:
    doc = parse("jekyll/2021-04-17/2021-04-17-海上风电.md").document
    assert doc.title == "海上风电装机容量再创新高"
    assert doc.date == datetime(2021, 4, 17, 2, 56, 40, 156000, tzinfo=timezone.utc)
    assert doc.url == "https://www.zaobao.com/realtime/china/story20210417-0000001"
    assert doc.source == "联合早报"
    assert doc.tags == doc.categories == ("联合早报",)
    assert doc.text == (
        "沿海省份今年一季度新增海上风电装机容量超过去年全年。\n\n"
        "分析人士认为，补贴退坡前的抢装潮仍在延续。\n\n"
        "有企业表示，{大型化}机组可降低单位成本。\n\n"
        "业内预计明年装机增速将放缓。"
    )


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("variants/offset-date.md", utc(2020, 8, 5, 2, 30)),  # "+0800" respected
        ("variants/bare-date.md", utc(2020, 8, 5)),
        ("variants/flow-lists.md", utc(2020, 9, 1, 23, 30)),
        ("variants/all-quoted.md", utc(2021, 6, 1, 4, 0)),  # date: "" -> last_updated
        ("broken/unescaped-quote.md", utc(2021, 3, 1, 0, 0)),  # naive: China time
        ("plain/2020-08-05-无头文章.md", utc(2020, 8, 5)),  # from the file name
        ("plain/2020-09-01/preamble.md", utc(2020, 9, 1)),  # the epoch comment
        ("plain/undated.md", None),  # never the file's mtime
    ],
)
def test_dates_are_aware_utc(rel: str, expected: datetime | None) -> None:
    date = parse(rel).document.date
    assert date == expected
    assert date is None or date.utcoffset() is not None


def test_date_from_a_date_folder(tmp_path: Path) -> None:
    folder = tmp_path / "2020-07-31"
    folder.mkdir()
    (folder / "post.md").write_text("# 标题\n\n正文。\n", encoding="utf-8")
    assert read_article(folder / "post.md", "2020-07-31/post.md").document.date == utc(2020, 7, 31)


def test_every_value_quoted_singular_category_string_tags_and_original_url() -> None:
    doc = parse("variants/all-quoted.md").document
    assert doc.title == "每个值都加引号"
    assert doc.categories == ("财经",)
    assert doc.tags == ("央行", "利率")
    assert doc.url == "https://finance.example.cn/2021/0601/rate.html"
    assert doc.source == "finance.example.cn"  # an unknown outlet: the URL's host
    assert doc.text == "央行宣布维持贷款市场报价利率不变。"


def test_flow_lists_and_url_field() -> None:
    doc = parse("variants/flow-lists.md").document
    assert doc.tags == ("科技", "芯片")
    assert doc.categories == ("美国之音",)
    assert doc.url == "https://www.voachinese.com/a/chips-20200901/1.html"
    assert doc.source == "美国之音"


@pytest.mark.parametrize(
    ("rel", "source", "author"),
    [
        ("variants/bare-date.md", "中央社", "陈记者"),  # a person as author: the URL's outlet wins
        ("variants/offset-date.md", "法广", None),  # source_url of a known domain
        ("variants/english.md", "经济学人", "经济学人en"),
        ("variants/telegraph.md", "财联社", "财联社"),
        ("broken/unescaped-quote.md", "澎湃新闻", "澎湃新闻"),  # a known outlet as author
        ("plain/2020-09-01/preamble.md", "中央廣播電臺", None),  # the preamble link's domain
        ("plain/undated.md", "plain", None),  # nothing but the folder names it
    ],
)
def test_source_precedence(rel: str, source: str | None, author: str | None) -> None:
    doc = parse(rel).document
    assert (doc.source, doc.author) == (source, author)


def test_no_front_matter_markdown_title_from_heading_and_markdown_reduced_to_text() -> None:
    doc = parse("plain/2020-08-05-无头文章.md").document
    assert doc.title == "城市夜经济调查"
    # Emphasis, images, link targets and bare URLs go; the footer after the rule goes.
    assert doc.text == (
        "记者 张三 报道：夜市重新开放后，客流明显回升。\n\n"
        "商户表示，营业额比去年同期增长两成。更多数据见。\n\n"
        "## 一位摊主的账本\n\n"
        "每晚出摊六小时\n\n"
        "租金每月三千元"
    )


def test_no_front_matter_preamble_gives_title_and_url() -> None:
    doc = parse("plain/2020-09-01/preamble.md").document
    assert doc.title == "台风过境 多地停课"
    assert doc.url == "https://www.rti.org.tw/news/view/id/1"
    assert doc.text == "台风今晨登陆，沿海多地宣布停课一天。"


def test_unescaped_quotes_recovered_line_by_line() -> None:
    parsed = parse("broken/unescaped-quote.md")
    assert parsed.document.title == '他说"不"的理由'
    assert parsed.recovered == ["invalid YAML front matter read line by line"]


def test_invalid_backslash_escape_recovered_line_by_line() -> None:
    parsed = parse("broken/backslash.md")
    assert parsed.document.title == "路径 C:\\new\\data 的问题"
    assert parsed.document.tags == ("科技", "软件")
    assert parsed.document.date == utc(2021, 3, 2)
    assert parsed.recovered == ["invalid YAML front matter read line by line"]


def test_backslash_that_yaml_would_turn_into_a_tab_is_kept_literally() -> None:
    parsed = parse("broken/backslash-escapes.md")
    assert parsed.document.title == "C:\\new\\table"
    assert parsed.recovered == ["backslash in front matter read literally"]


def test_unreadable_front_matter_is_skipped_with_a_reason() -> None:
    with pytest.raises(SkipArticle, match="^unreadable front matter$"):
        parse("broken/unreadable.md")


def test_title_only_post_is_indexed_by_title() -> None:
    doc = parse("variants/title-only.md").document
    assert (doc.title, doc.text, doc.source) == ("只有标题的快讯", "", "财联社")
    assert doc.date == utc(2021, 11, 27, 3, 22, 46)


def test_telegraph_title_lead_in_is_dropped() -> None:
    doc = parse("variants/telegraph.md").document
    assert doc.text == "财联社11月27日电，沪指收涨0.8%，新能源板块午后走强。"


def test_english_article_and_date_line_dropped() -> None:
    doc = parse("variants/english.md").document
    assert doc.title == "Ports reopen as storm passes"
    assert doc.text == (
        "SHIPPING lines resumed calls at southern ports on Saturday.\n\n"
        "Freight rates, however, stayed high.\n\n"
        "This article appeared in the Asia section of the print edition."
    )


def test_lists_tables_captions_kept_image_only_blocks_link_lists_and_date_lines_dropped() -> None:
    doc = parse("variants/structure.md").document
    assert doc.text == (
        "第一段。\n\n"
        "要点一：降低成本\n\n"
        "要点二：提高效率\n\n"
        "地区 增速\n\n"
        "华东 5.1%\n\n"
        "图为新建的生产线。\n\n"
        "文中链接示例保留为文字。"
    )


def test_fingerprints_are_filled() -> None:
    doc = parse("hexo/sina-style.md").document
    assert len(doc.content_hash) == 40
    assert 0 < doc.simhash < 2**64
