"""``zhsearch inspect FILE…``: each field with where it came from, the text, every removal and its rule."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from zhsearch.cli import cli

ARCHIVES = Path(__file__).resolve().parent / "fixtures" / "archives"
CREDITS = ARCHIVES / "leftovers" / "credits-and-bio.md"
WAYBACK = ARCHIVES / "wayback-mirror" / "_posts"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    return result


def inspect_json(runner: CliRunner, *files: Path) -> list[dict[str, object]]:
    found = json.loads(ok(runner.invoke(cli, ["inspect", "--json", *map(str, files)])).stdout)
    assert isinstance(found, list)
    return found


def test_inspect_prints_fields_with_origins_the_text_and_each_removal_with_its_rule(runner: CliRunner) -> None:
    out = ok(runner.invoke(cli, ["inspect", str(CREDITS)])).stdout
    assert out.startswith(
        f"== {CREDITS}\n"
        "title: 旧码头改建为滨江公园  [front matter: title]\n"
        "date: 2021-05-18T01:30:00+00:00  [front matter: date]\n"
        "url: -\n"
        "source: 河畔周报  [front matter: source]\n"
        "author: 许文澜  [front matter: author]\n"
        "categories: -\n"
        "tags: -\n"
        "kept 144 of 219 visible characters\n"
        "-- text\n"
        "废弃十多年的三号码头将改建为滨江公园，工程今天开工，预计明年春天开放。\n"
    )
    assert out.endswith(
        "-- removed (6)\n"
        '[class rule] class="author-bio": 许文澜，本报城市版记者，长期关注旧城更新。\n'
        "[image credit]: （图／路透社）\n"
        "[image credit]: 摄影：韩立新\n"
        "[image credit]: Photo: AFP/Getty Images\n"
        "[image credit]: 新华社\n"
        "[author bio]: （作者为城市规划研究院高级工程师）\n"
    )


def test_inspect_json_says_where_url_source_and_dates_came_from(runner: CliRunner) -> None:
    harbor, video, ferry = inspect_json(
        runner, WAYBACK / "2020-09-22-harbor-dredging.md", WAYBACK / "2020-09-24-typhoon-video.md", WAYBACK / "2020-09-23-ferry.md"
    )
    assert harbor["fields"]["url"] == {  # type: ignore[index]
        "value": "https://www.example-news.com/article/harbor-dredging-2020",
        "from": "front matter: url (unwrapped from a web archive's address)",
    }
    assert harbor["fields"]["source"] == {"value": "example-news.com", "from": "url: its host"}  # type: ignore[index]
    assert video["fields"]["source"] == {"value": "海港日报", "from": "config: the site's title"}  # type: ignore[index]
    assert ferry["fields"]["url"]["from"] == "front matter: original_url"  # type: ignore[index]
    assert set(harbor) == {"path", "skipped", "fields", "text", "removed", "recovered", "visible_chars", "warnings"}


def test_inspect_names_title_and_date_from_the_file_name_and_recoveries(runner: CliRunner, tmp_path: Path) -> None:
    plain = tmp_path / "2021-04-02-夜市开张.md"
    plain.write_text("老街夜市今晚重新开张，八十多个摊位营业到午夜。\n", encoding="utf-8")
    bad_date = tmp_path / "bad.md"
    bad_date.write_text("---\ntitle: 春季植树\ndate: 2021-02-30\nlast_updated: 2021-03-01\n---\n植树活动在江边举行。\n", encoding="utf-8")
    first, second = inspect_json(runner, plain, bad_date)
    assert first["fields"]["title"] == {"value": "夜市开张", "from": "file name"}  # type: ignore[index]
    assert first["fields"]["date"] == {"value": "2021-04-02T00:00:00+00:00", "from": "file or folder name"}  # type: ignore[index]
    assert second["recovered"] == ["unparseable date ignored: '2021-02-30'"]
    assert second["fields"]["date"]["from"] == "front matter: last_updated (no publication date)"  # type: ignore[index]


def test_inspect_reports_skipped_files_and_learns_boilerplate_across_the_files(runner: CliRunner, tmp_path: Path) -> None:
    appeal = "如果你喜欢我们的报道，请考虑每月捐助十元，支持独立的地方新闻。"
    files = []
    for i in range(6):
        files.append(tmp_path / f"post-{i}.md")
        files[-1].write_text(f"---\ntitle: 第{i}篇\nsource: 河畔周报\n---\n<p>第{i}篇的正文各不相同，编号{i}。</p><p>{appeal}</p>\n", encoding="utf-8")
    error = tmp_path / "offline.md"
    error.write_text("---\ntitle: Temporarily Offline\n---\n", encoding="utf-8")
    found = inspect_json(runner, *files, error)
    assert [f["text"] for f in found[:6]] == [f"第{i}篇的正文各不相同，编号{i}。" for i in range(6)]
    assert found[0]["removed"] == [
        {"rule": "learned paragraph", "detail": "recurs in many articles of the outlet or site", "text": appeal}
    ]
    assert (found[6]["skipped"], found[6]["fields"]) == ("not an article: error page", {})
    text = ok(runner.invoke(cli, ["inspect", str(error)])).stdout
    assert text == f"== {error}\nskipped: not an article: error page\n"


def test_inspect_warns_about_an_over_cleaned_body(runner: CliRunner, tmp_path: Path) -> None:
    page = tmp_path / "shares.html"
    share = "".join(f'<a href="/s/{i}">分享到第{i}个社交网站上去</a>' for i in range(8))
    page.write_text(f'<h1>新桥合龙</h1><p>新桥今天合龙。</p><div class="share-bar">{share}</div>', encoding="utf-8")
    (found,) = inspect_json(runner, page)
    visible = len("新桥今天合龙。") + 8 * len("分享到第0个社交网站上去")  # the heading went as the repeated title
    assert found["warnings"] == [f"over-cleaned: kept 7 of {visible} visible characters (7%)"]


def test_inspect_without_a_file_or_with_a_missing_one_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["inspect"]).exit_code == 2
    result = runner.invoke(cli, ["inspect", str(tmp_path / "nope.md")])
    assert result.exit_code == 2
    assert f"File '{tmp_path / 'nope.md'}' does not exist." in result.stderr


def test_inspect_names_the_html_elements_a_saved_page_gave(runner: CliRunner) -> None:
    (page,) = inspect_json(runner, ARCHIVES / "generators" / "pages" / "saved-page.html")
    origins = {k: v["from"] for k, v in page["fields"].items()}  # type: ignore[union-attr]
    assert origins == {
        "title": "html: <meta property=og:title>",
        "date": "html: <meta property=article:published_time>",
        "url": "html: <link rel=canonical>",
        "source": "html: <meta property=og:site_name>",
        "author": "html: <meta name=author>",
        "categories": None,
        "tags": "html: <meta property=article:tag>",
    }
