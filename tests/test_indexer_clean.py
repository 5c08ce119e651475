"""The body cleaner on small HTML, Markdown and mixed bodies: exact text out."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhsearch.indexer import clean_body
from zhsearch.indexer.clean import (
    _BLOCK_TAGS,
    _SENTENCE,
    LINE_RULE_MAX_CHARS,
    Removal,
    _drop_boilerplate,
    _first_tag,
    _laid_out_text,
    _line_rule_matches,
    _parent_named,
    _strings,
    _tags,
    _tidy,
    required_chars,
    rules,
)


def test_comment_wrapping_html_is_dropped_with_everything_inside() -> None:
    body = "<p>正文一。</p><!--article_adlist[<p>广告语</p><div>再来一段</div>]--><p>正文二。</p>"
    assert clean_body(body).text == "正文一。\n\n正文二。"


def test_style_script_and_ad_slots() -> None:
    body = (
        "<style>.x{border:1px solid red}</style><script>var a = 1;</script>"
        '<p>正文。</p><div id="dfp-ad-midarticle">广告位</div><div class="adslot_1">广告</div>'
        '<div class="share-bar"><a href="#">微博</a><a href="#">微信</a></div>'
    )
    assert clean_body(body).text == "正文。"


def test_boilerplate_lines() -> None:
    body = "\n".join(
        f"<p>{line}</p>"
        for line in [
            "原標題：某舊標題",
            "正文第一段。",
            "扫描二维码，关注我们",
            "正文第二段，結尾有編輯代碼。（編輯：林小華）1091220",
            "责任编辑：张三",
            "記者：乙 責編：丙 網編：丁",
            "（完）",
            "延伸閱讀：另一篇報導",
            "封面图片来源：某图库",
        ]
    )
    assert clean_body(body).text == "正文第一段。\n\n正文第二段，結尾有編輯代碼。"


def test_repeated_title_heading_after_a_date_line_is_dropped() -> None:
    body = "<p>Wed, 23 Sep 2020 22:32:44 GMT</p><h2>标题重复</h2><p>正文。</p>"
    cleaned = clean_body(body, title="标题重复")
    assert cleaned.text == "正文。"
    assert cleaned.heading == "标题重复"


def test_same_paragraph_twice_in_one_article_is_kept_once() -> None:
    body = "<p>甲段。</p><p>乙段。</p><p>甲段。</p><p>乙段。</p>"
    assert clean_body(body).text == "甲段。\n\n乙段。"


def test_mixed_markdown_and_html() -> None:
    # The Markdown is rendered as in a Markdown file (a first h1/h2 would be taken as the title).
    body = (
        "### 小标题\n\n<p>一段 **加粗** 的 HTML。</p>\n\n"
        "[链接文字](https://example.com/a) 和 ![图](https://example.com/b.png) 之间的文字\n\n"
        "<div>结尾。</div>\n\n---\n\n转载请注明出处\n"
    )
    assert clean_body(body).text == "### 小标题\n\n一段 加粗 的 HTML。\n\n链接文字 和 之间的文字\n\n结尾。"


def test_long_text_after_a_rule_is_kept_and_the_heading_becomes_the_title() -> None:
    cleaned = clean_body("# 标题\n\n第一部分。\n\n***\n\n" + "第二部分很长。" * 80 + "\n")
    assert cleaned.heading == "标题"
    assert cleaned.text == "第一部分。\n\n" + "第二部分很长。" * 80


def test_full_width_indentation_and_no_break_spaces() -> None:
    assert clean_body("<p>\u3000\u3000全角缩进\u00a0与空格。</p>").text == "全角缩进 与空格。"


def test_plain_text_body_without_html() -> None:
    assert clean_body("第一行文字。\n\n第二行文字。\n").text == "第一行文字。\n\n第二行文字。"


@pytest.mark.parametrize(
    "line",
    ["2020-09-17T06:00:26Z", "27/08/2020 - 16:35", "Aug 7th 2020", "19 分钟前", "2020年9月17日 06:00", "获取更多RSS："],
)
def test_date_stamp_and_feed_lines_are_dropped(line: str) -> None:
    assert clean_body(f"<p>{line}</p><p>正文。</p>").text == "正文。"


def test_epoch_comment_and_preamble_are_read() -> None:
    cleaned = clean_body("<!--1618674240000-->\n[题目](https://example.com/x)\n------\n\n<p>正文。</p>")
    assert (cleaned.epoch_ms, cleaned.preamble_title, cleaned.preamble_url) == (
        1618674240000,
        "题目",
        "https://example.com/x",
    )
    assert cleaned.text == "正文。"


def test_table_rows_become_lines_in_html_and_markdown() -> None:
    html_table = "<table>\n<tr>\n<td>华东</td>\n<td>5.1%</td>\n</tr>\n<tr><td>华南</td><td>4.8%</td></tr>\n</table>"
    assert clean_body(html_table).text == "华东 5.1%\n\n华南 4.8%"
    markdown_table = "| 地区 | 增速 |\n| --- | --- |\n| 华东 | 5.1% |\n"
    assert clean_body(markdown_table).text == "地区 增速\n\n华东 5.1%"


def test_entities_are_decoded_once_so_escaped_markup_stays_literal() -> None:
    from zhsearch.indexer.clean import clean_body

    assert clean_body("<p>写作 &amp;lt;b&amp;gt; 表示 &lt;b&gt;，花括号 &#123;x&#125;</p>").text == "写作 &lt;b&gt; 表示 <b>，花括号 {x}"


# -- the combined boilerplate patterns decide as the patterns one by one ------------------------

_PARAGRAPH_PIECES = [
    "正文第一段。", "责任编辑：张三", "（原标题：某标题）", "扫描二维码关注", "2020-07-17", "（完）",
    "延伸阅读：别的文章", "（编辑：李四）1091220", "Read more", "... more", "版权所有", "© 2020",
    "本文仅代表作者观点", "（本文仅代表作者观点）", " ", "Copyright 2020", "记者", "：", "订阅电子报",
    "不构成投资建议", "3分钟前", "July 17, 2020", "abc", "\n",
]


def _drop_boilerplate_one_pattern_at_a_time(paragraphs: list[str], removed: list[str]) -> list[str]:
    """The cleaner's boilerplate pass as written before the patterns were combined."""
    kept: list[str] = []
    seen: set[str] = set()
    for para in paragraphs:
        if len(para) <= LINE_RULE_MAX_CHARS and any(p.search(para) for p in rules().line):
            removed.append(para)
            continue
        sentences = _SENTENCE.findall(para)  # else the sentences a pattern matches go alone
        matched = [s for s in sentences if s.strip() and any(p.search(s.strip()) for p in rules().line)]
        if matched:
            removed.extend(s.strip() for s in matched)
            para = "".join(s for s in sentences if s not in matched).strip()
        for pattern in rules().tail:
            cut = pattern.sub("", para).rstrip()
            if cut != para:
                removed.append(para[len(cut) :].strip())
                para = cut
        if not para or not re.search(r"[^\W_]", para):
            continue
        if para in seen:
            continue
        seen.add(para)
        kept.append(para)
    return kept


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PARAGRAPH_PIECES), min_size=1, max_size=5).map("".join), max_size=8))
def test_combined_boilerplate_patterns_drop_and_cut_the_same(joined: list[str]) -> None:
    paragraphs = [_tidy(p) for p in joined if _tidy(p)]
    removed: list[Removal] = []
    expected_removed: list[str] = []
    assert _drop_boilerplate(paragraphs, removed) == _drop_boilerplate_one_pattern_at_a_time(paragraphs, expected_removed)
    assert [r.text for r in removed if r.rule != "repeated paragraph"] == expected_removed


def test_combined_boilerplate_patterns_find_what_one_of_them_finds() -> None:
    texts = _PARAGRAPH_PIECES + ["正文。（完）", "正文第一段。责任编辑：张三"]
    for patterns, combined in ((rules().line, rules().any_line), (rules().tail, rules().any_tail)):
        for text in texts:
            assert bool(combined.search(text)) == any(p.search(text) for p in patterns), text
    assert rules().any_tail.search("正文。（完）")
    assert not rules().any_line.search("正文第一段。")


# -- subheadings: kept as "## …" paragraphs (issue 17) ------------------------------------


def test_subheadings_are_kept_as_headings_with_their_level() -> None:
    body = (
        "<p>导语。</p><h2>背景</h2><p>正文一。</p><h3>细节 <em>一</em></h3><p>正文二。</p>"
        "<h5>小注</h5><p>正文三。</p>"
    )
    assert clean_body(body, title="标题").text.split("\n\n") == [
        "导语。", "## 背景", "正文一。", "### 细节 一", "正文二。", "#### 小注", "正文三。"
    ]


def test_a_short_all_bold_paragraph_is_a_subheading_and_a_bold_label_is_not() -> None:
    body = (
        "<p><strong>一、会议要点</strong></p><p>正文。</p>"
        "<p><b><span>怎么去</span></b></p>"
        "<p><strong>记者：</strong>陈晓</p>"  # a label leading text
        "<p><strong>这一整句加粗的话说完了。</strong></p>"  # a sentence, not a heading
        f"<p><strong>{'很长的加粗文字' * 6}</strong></p>"
    )
    assert clean_body(body, title="标题").text.split("\n\n") == [
        "### 一、会议要点", "正文。", "### 怎么去", "记者：陈晓", "这一整句加粗的话说完了。", "很长的加粗文字" * 6
    ]


def test_under_a_title_the_first_h2_is_a_subheading_and_an_h1_repeating_the_title_goes() -> None:
    assert clean_body("<h2>第一节</h2><p>正文。</p>", title="标题").text == "## 第一节\n\n正文。"
    assert clean_body("<h1>标题</h1><h2>第一节</h2><p>正文。</p>", title="标题").text == "## 第一节\n\n正文。"
    untitled = clean_body("<h2>无题之文</h2><p>正文。</p>")  # a file without a title: its heading is the title
    assert (untitled.heading, untitled.text) == ("无题之文", "正文。")


def test_a_heading_is_never_learned_as_boilerplate() -> None:
    from zhsearch.indexer.recurring import learnable

    assert learnable("一段足够长的普通段落，可以被学习。")
    assert not learnable("## 一段足够长的小标题文字也不会被学习")


# -- the cleaner's fast paths against what they replace ------------------------------------------


def _rule_pieces() -> list[str]:
    """Runs of the characters the paragraph rules name, and separators (so that texts match them)."""
    runs = {run for pattern in rules().line for run in re.findall(r"[^\x00-\x7f]+|[A-Za-z]+", pattern.pattern)}
    return sorted(runs) + [" ", "\t", "：", ":", "（", "(", "）", ")", "。", "！", "/", "-", "2020", "12", "x"]


_RULE_TEXT = st.lists(st.sampled_from(_rule_pieces()), max_size=8).map("".join)


def test_required_chars_reads_literals_classes_branches_and_repeats() -> None:
    assert required_chars(re.compile("^\\s*(摄|攝|拍摄)\\s*$")) == frozenset("摄攝拍")
    assert required_chars(re.compile("[（(]x?(完|全文完)")) == frozenset("（(")  # the smaller set of the sequence
    assert required_chars(re.compile("a?(完)?\\d+")) is None  # optional, or a category: nothing known
    assert required_chars(re.compile("下载|[^\\s]")) is None  # one alternative requires nothing
    assert required_chars(re.compile("Share|分享", re.I)) is None  # letters with a case, ignoring case
    assert required_chars(re.compile("Share|分享")) == frozenset("S分")
    assert required_chars(re.compile("(?=图)x*")) is None  # a lookahead consumes nothing


@settings(max_examples=300, deadline=None)
@given(text=_RULE_TEXT, rule=st.integers(min_value=0, max_value=len(rules().line) - 1))
def test_a_text_without_a_rules_required_characters_never_matches_it(text: str, rule: int) -> None:
    pattern, required = rules().line[rule], rules().line_required[rule]
    if pattern.search(text):
        assert required is None or not required.isdisjoint(text)


@settings(max_examples=300, deadline=None)
@given(text=_RULE_TEXT)
def test_the_line_rule_check_matches_as_every_rule_does(text: str) -> None:
    assert _line_rule_matches(text) == any(pattern.search(text) for pattern in rules().line)


_TAG_NAMES = ["p", "div", "a", "b", "strong", "br", "img", "h1", "h2", "li", "ul", "span", "td", "tr", "table"]


_LEAVES = ["", "正文", " ", "\n", "一\n二", "<!-- c -->", "&amp;", "x"]


@st.composite
def _markup(draw: st.DrawFn, tags: list[str] = _TAG_NAMES, leaves: list[str] = _LEAVES, depth: int = 0) -> str:
    """Random nested markup of ``tags`` around ``leaves``."""
    parts = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        if depth < 4 and draw(st.booleans()):
            name = draw(st.sampled_from(tags))
            parts.append(f"<{name}>{draw(_markup(tags, leaves, depth + 1))}</{name}>")
        else:
            parts.append(draw(st.sampled_from(leaves)))
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(markup=_markup(), names=st.sets(st.sampled_from(_TAG_NAMES), min_size=1, max_size=4))
def test_the_tree_helpers_find_what_bs4s_searches_find(markup: str, names: set[str]) -> None:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    wanted = frozenset(names)
    assert _tags(soup) == list(soup.find_all(True))
    assert _tags(soup, wanted) == list(soup.find_all(sorted(wanted)))
    assert _first_tag(soup, wanted) is soup.find(sorted(wanted))
    assert _strings(soup.descendants) == list(soup.find_all(string=True))
    for string in soup.find_all(string=True):
        assert _parent_named(string, wanted) is string.find_parent(sorted(wanted))
    for tag in soup.find_all(True):
        assert _strings(tag.next_elements) == list(tag.find_all_next(string=True))


def _laid_out_by_changing_the_tree(soup: Any) -> str:
    """What the cleaner did before ``_laid_out_text``: change the tree, then ``get_text()``."""
    from bs4 import NavigableString

    for tag in soup.find_all(True):
        if tag.name == "img":
            tag.decompose()
        elif tag.name == "br":
            tag.replace_with(NavigableString("\n"))
        elif tag.name in _BLOCK_TAGS:
            if tag.name == "tr":
                for gap in [c for c in tag.children if isinstance(c, NavigableString) and not c.strip()]:
                    gap.replace_with(" ")
            tag.insert_before(NavigableString("\n\n"))
            tag.insert_after(NavigableString("\n\n"))
        elif tag.name in ("td", "th"):
            tag.insert_after(NavigableString(" "))
    return str(soup.get_text())


_LAYOUT_TAGS = [*_TAG_NAMES, "th", "rt", "ruby", "hr", "section", "pre", "figcaption"]
@settings(max_examples=300, deadline=None)
@given(markup=_markup(_LAYOUT_TAGS, [*_LEAVES, "\n ", "<![CDATA[x]]>", "<br>", "<img src=a>", "&nbsp;"]))
def test_the_laid_out_text_is_what_changing_the_tree_gave(markup: str) -> None:
    from bs4 import BeautifulSoup

    assert _laid_out_text(BeautifulSoup(markup, "lxml")) == _laid_out_by_changing_the_tree(BeautifulSoup(markup, "lxml"))
