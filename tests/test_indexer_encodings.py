"""Bytes in every encoding and line ending real archives use, written from Python strings."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from zhsearch.indexer import SkipArticle, parse_article
from zhsearch.indexer.article import ParsedArticle

HEADER = "---\ntitle: '{title}'\ndate: 2021-05-01T08:00:00+08:00\nauthor: 中央社\n---\n"


def article(title: str, body: str) -> str:
    return HEADER.format(title=title) + body


def parse(data: bytes) -> ParsedArticle:
    return parse_article(data, doc_id="a.md", path=PurePosixPath("a.md"))


@pytest.mark.parametrize(
    ("encoding", "title", "body", "recovered"),
    [
        ("utf-8", "简体标题", "<p>经济数据好于预期。</p>\n", []),
        ("utf-8-sig", "带BOM的标题", "<p>经济数据好于预期。</p>\n", []),
        ("gb18030", "国内生产总值增长", "<p>国家统计局公布，一季度国内生产总值同比增长。</p>\n", ["decoded as gb18030"]),
        ("gbk", "居民消费价格温和上涨", "<p>居民消费价格指数同比上涨，涨幅较上月回落。</p>\n", ["decoded as gb18030"]),
        ("big5", "臺灣經濟成長", "<p>主計總處公布，臺灣第一季經濟成長率優於預期。</p>\n", ["decoded as big5"]),
    ],
)
def test_encodings_are_detected(encoding: str, title: str, body: str, recovered: list[str], tmp_path: Path) -> None:
    parsed = parse(article(title, body).encode(encoding))
    assert parsed.document.title == title
    assert parsed.document.text == body.removeprefix("<p>").removesuffix("</p>\n")
    assert parsed.recovered == recovered


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_bare_cr(newline: str) -> None:
    text = article("换行", "第一段。\n\n第二段。\n").replace("\n", newline)
    doc = parse(text.encode("utf-8")).document
    assert doc.title == "换行"
    assert doc.source == "中央社"
    assert doc.text == "第一段。\n\n第二段。"


def test_zero_width_bom_inside_text_control_characters_and_brace_entities() -> None:
    body = "<p>零\u200b宽\ufeff字符\u200d与控制\x08字符。</p><p>&#123;花括号&#125; 与 &amp; 号。</p>\n"
    doc = parse(article("字符", body).encode("utf-8")).document
    assert doc.text == "零宽字符与控制字符。\n\n{花括号} 与 & 号。"


def test_control_characters_in_front_matter_are_removed_and_reported() -> None:
    parsed = parse(article("标题\x03里有\x1c控制字符", "<p>正文。</p>\n").encode("utf-8"))
    assert parsed.document.title == "标题里有控制字符"
    assert parsed.recovered == ["control characters removed from front matter"]


def test_binary_file_is_skipped() -> None:
    with pytest.raises(SkipArticle, match=r"^binary file \(contains NUL bytes\)$"):
        parse(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_file_without_title_or_text_is_skipped() -> None:
    with pytest.raises(SkipArticle, match="^no title and no text$"):
        parse("<!-- nothing here -->\n\n".encode("utf-8"))
