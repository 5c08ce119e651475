"""The article page shows an article's subheadings as headings, escaped (issue 17)."""

from __future__ import annotations

import re
from pathlib import Path

from zhsearch.indexer import build_index
from zhsearch.search import SearchIndex
from zhsearch.web import create_app


def test_the_article_page_renders_subheadings_as_headings(tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "a.md").write_text(
        "---\ntitle: 夜市重开\n---\n<p>夜市今晚重新开放。</p><h2>价格 &lt;b&gt;低于&lt;/b&gt; 五元 &amp; 更多</h2>"
        "<p>小吃价格普遍不变。</p><h3>交通</h3><p>地铁延长运营。</p><p><strong>摊位怎么排</strong></p><p>按抽签。</p>\n",
        encoding="utf-8",
    )
    build_index([folder], tmp_path / "index")
    with SearchIndex.open(tmp_path / "index") as index:
        assert index.document("a.md").text.split("\n\n")[1] == "## 价格 <b>低于</b> 五元 & 更多"
        client = create_app({"INDEX": index, "TESTING": True}).test_client()
        page = client.get("/doc/a.md?q=价格").get_data(as_text=True)
    text = page[page.index('<div class="text">') :]
    found = re.findall(r"<(h[2-4]|p)\b[^>]*>(.*?)</\1>", text[: text.index("</div>")], re.S)
    assert [(tag, re.sub(r"<mark[^>]*>|</mark>", "", html)) for tag, html in found] == [
        ("p", "夜市今晚重新开放。"),
        ("h2", "价格 &lt;b&gt;低于&lt;/b&gt; 五元 &amp; 更多"),
        ("p", "小吃价格普遍不变。"),
        ("h3", "交通"),
        ("p", "地铁延长运营。"),
        ("h3", "摊位怎么排"),
        ("p", "按抽签。"),
    ]
    assert "<mark" in found[1][1] and "##" not in text


def test_a_snippet_shows_no_heading_marks() -> None:
    from zhsearch.search.results.snippets import snippet

    found = snippet("夜市今晚重新开放。\n\n## 交通\n\n地铁延长运营。\n\n### 摊位怎么排\n\n按抽签。", ["交通"])
    assert "#" not in found and "<mark>交通</mark>" in found
    assert snippet("用 C# 写的程序。", ["程序"]).startswith("用 C# 写的")  # a # in the text is text
