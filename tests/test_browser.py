"""End to end in a real browser: Playwright drives Debian's headless Chromium against `zhsearch serve`.

Screenshots (desktop and 360 px wide) are saved in ``test-artifacts/browser/``; with
``ZHSEARCH_UPDATE_SCREENSHOT=1`` the results page is also copied to
``docs/screenshot-results.png`` (desktop) and ``docs/screenshot-results-360px.png``, the pictures the README shows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from zhsearch.indexer import build_index

from conftest import CORPUS, HOSTILE, serving

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
README_SCREENSHOT = ROOT / "docs" / "screenshot-results.png"
README_PHONE_SCREENSHOT = ROOT / "docs" / "screenshot-results-360px.png"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
QUERY = "市场"  # 15 demo articles: two pages of ten


def require_chromium(path: Path, ci: str | None) -> Path:
    """``path`` if Chromium is there; else skip the test, or fail it in CI (``CI=true``)."""
    if not path.is_file():
        reason = f"Chromium is not installed at {path} (apt-get install -y chromium; .ci/run does it)"
        if (ci or "").lower() == "true":
            pytest.fail(f"{reason}: CI must run the browser tests")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium(CHROMIUM, os.environ.get("CI"))


def test_without_chromium_the_browser_tests_skip_locally_and_fail_in_ci(tmp_path: Path) -> None:
    missing = tmp_path / "chromium"
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed at"):
        require_chromium(missing, None)
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        require_chromium(missing, "true")
    missing.touch()
    assert require_chromium(missing, "true") == missing


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`zhsearch serve` on a free port over the demo archive plus the hostile fixture article."""
    tmp = tmp_path_factory.mktemp("browser")
    location = tmp / "index"
    build_index([DEMO, CORPUS / Path(HOSTILE).parent], location)
    with serving(location, tmp) as base:
        # Load the analyzer and the caches first, so that the screenshots show a warm server's timings.
        for path in ("/search?q=%E5%B8%82%E5%9C%BA", "/api/suggest?q=%E5%B8%82"):
            with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310 - the local server
                assert response.status == 200
        yield base


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watch:
    """What a page did that it must not: console errors (CSP violations), script errors, dialogs,
    requests leaving the test server."""

    origin: str
    problems: list[str] = field(default_factory=list)

    def attach(self, page: object) -> None:
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))  # type: ignore[attr-defined]
        page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))  # type: ignore[attr-defined]
        page.on("request", lambda r: r.url.startswith(self.origin) or self.problems.append(f"offsite: {r.url}"))  # type: ignore[attr-defined]
        page.on("response", lambda r: r.status < 400 or self.problems.append(f"{r.status}: {r.url}"))  # type: ignore[attr-defined]


@pytest.fixture()
def open_page(browser: object, server: str) -> Iterator:
    """A function opening a fresh page at a viewport size; checks the page misbehaved nowhere."""
    contexts = []
    watch = Watch(server)

    def opener(viewport: dict[str, int] = DESKTOP, *, javascript: bool = True):
        context = browser.new_context(viewport=viewport, locale="zh-CN", java_script_enabled=javascript)  # type: ignore[attr-defined]
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        watch.attach(page)
        return page

    yield opener
    for context in contexts:
        context.close()
    assert watch.problems == []


def _screenshot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    assert path.stat().st_size > 10_000
    return path


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_search_facet_article_pages_and_timeline(open_page, server: str) -> None:
    page = open_page()
    _open_home(page, server)  # the box has the focus (autofocus)

    # Completions appear while typing; the arrow keys walk them.
    page.keyboard.type(QUERY[0], delay=80)
    options = page.locator("#q-completions [role=option]")
    options.first.wait_for()
    assert page.get_attribute("#q", "aria-expanded") == "true"
    assert options.count() >= 2
    assert all(QUERY[0] in t for t in options.locator(".text").all_inner_texts())
    page.keyboard.press("ArrowDown")
    assert options.first.get_attribute("aria-selected") == "true"
    assert page.get_attribute("#q", "aria-activedescendant") == options.first.get_attribute("id")
    _screenshot(page, "completions-desktop.png")
    page.keyboard.press("Escape")
    assert page.locator("#q-completions").is_hidden()

    page.keyboard.type(QUERY[1:], delay=80)
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=*")
    assert page.input_value("#q") == QUERY
    hits = page.locator("li.hit")
    assert hits.count() == 10
    assert "找到 15 条结果" in page.inner_text(".summary")
    marks = page.locator("li.hit mark").all_inner_texts()
    assert marks and set(marks) == {QUERY}
    desktop = _screenshot(page, "results-desktop.png")
    if os.environ.get("ZHSEARCH_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(desktop, README_SCREENSHOT)

    # Page forward.
    page.click("a[rel=next]")
    page.wait_for_url("**page=2*")
    assert page.locator("li.hit").count() == 5
    assert page.get_attribute("ol.hits", "start") == "11"

    # The timeline: clicking a bar keeps only that month.
    bar = page.locator("figure.timeline a.bar").first
    month = bar.get_attribute("aria-label").split("：")[0]
    count = int(re.search(r"：(\d+) 篇", bar.get_attribute("aria-label")).group(1))  # type: ignore[union-attr]
    bar.click()
    page.wait_for_url(f"**month={month}*")
    assert "page" not in _query(page.url)
    assert page.locator("li.hit").count() == count
    assert all(d.startswith(month) for d in page.locator("li.hit time").evaluate_all("ts => ts.map(t => t.dateTime)"))
    assert page.locator("figure.timeline a.bar.active").count() == 1
    page.click("a.chip")  # removing the month filter
    page.wait_for_url(lambda url: "month" not in _query(url))

    # A facet filters, its chip removes it.
    facet = page.locator("aside.facets section").first.locator("li a").first
    name = facet.inner_text()
    expected = int(facet.locator("xpath=following-sibling::span[@class='count']").inner_text())
    facet.click()
    page.wait_for_url("**source=*")
    assert _query(page.url)["source"] == [name]
    assert page.locator("li.hit").count() == min(expected, 10)
    assert set(page.locator("li.hit .source").all_inner_texts()) == {name}
    assert page.locator("a.chip").inner_text().startswith(f"来源：{name}")

    # Open an article: matches highlighted, metadata, similar articles.
    title = page.locator("li.hit h2 a").first
    title_text = title.inner_text()
    title.click()
    page.wait_for_url("**/doc/**")
    assert page.inner_text("article h1") == title_text
    assert set(page.locator("article mark").all_inner_texts()) == {QUERY}
    assert page.inner_text("article .meta .source") == name
    assert page.locator("section.similar li a").count() >= 1
    for href in page.locator("a.orig").evaluate_all("links => links.map(a => a.href)"):
        assert href.startswith(("http://", "https://"))
    page.go_back()
    page.wait_for_url("**source=*")


def test_phone_width_has_no_horizontal_scrolling(open_page, server: str) -> None:
    page = open_page(PHONE)
    page.goto(f"{server}/search?q={QUERY}")
    assert page.locator("li.hit").count() == 10
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The filters are a closed panel above the hits on a phone; it opens to show them.
    hit_top = page.locator("li.hit").first.bounding_box()["y"]
    panel = page.locator("aside.facets details.panel")
    assert panel.bounding_box()["y"] < hit_top
    assert panel.get_attribute("open") is None
    assert page.locator("aside.facets section").first.is_hidden()
    phone = _screenshot(page, "results-360px.png")
    if os.environ.get("ZHSEARCH_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(phone, README_PHONE_SCREENSHOT)
    page.click("aside.facets summary")
    assert page.locator("aside.facets section li a").first.is_visible()
    _screenshot(page, "results-360px-filters.png")
    page.locator("li.hit h2 a").first.click()
    page.wait_for_url("**/doc/**")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _screenshot(page, "article-360px.png")
    page.goto(server + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _screenshot(page, "home-360px.png")


def test_keyboard_navigation_with_visible_focus(open_page, server: str) -> None:
    page = open_page()
    page.goto(f"{server}/search?q={QUERY[0]}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    skip = page.locator("a.skip").bounding_box()
    assert skip is not None and skip["x"] >= 0  # on screen once focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    # Tab through the page: every focused element shows an outline.
    for _ in range(12):
        page.keyboard.press("Tab")
        style = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert style != "none", page.evaluate("document.activeElement.outerHTML")
    # "/" jumps back to the search box, and the arrow keys choose a completion.
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("ArrowDown")  # asks for completions of the query in the box
    page.locator("#q-completions [role=option]").first.wait_for()
    page.keyboard.press("ArrowDown")
    chosen = page.locator("#q-completions [aria-selected=true] .text").inner_text()
    assert chosen != QUERY[0]
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/doc/" in url or _query(url).get("q") == [chosen])
    if "/doc/" in page.url:  # a title completion opens its article
        assert page.inner_text("article h1") == chosen
    else:
        assert page.input_value("#q") == chosen


def test_hostile_articles_run_no_script(open_page, server: str) -> None:
    page = open_page()
    for query in ("网络安全", "跨站脚本", "onerror"):
        page.goto(server + "/")
        page.fill("#q", query)
        page.press("#q", "Enter")
        page.wait_for_url("**/search?q=*")
        assert page.locator("li.hit").count() >= 1
        titles = page.locator("li.hit h2").all_inner_texts()
        assert any("<script>alert(1)</script>" in t for t in titles)  # shown as text
        for link in page.locator("li.hit h2 a").evaluate_all("links => links.map(a => a.href)"):
            page.goto(link)
            assert page.locator("article script, article img").count() == 0
            assert "<script>" in page.inner_text("article h1")
            assert page.locator("a[href^='javascript:' i]").count() == 0
    # Only the app's own script, from a file, is on any page.
    sources = page.locator("script").evaluate_all("scripts => scripts.map(s => s.src)")
    assert sources == [server + "/static/suggest.js"]


def test_everything_works_without_javascript(open_page, server: str) -> None:
    page = open_page(javascript=False)
    page.goto(server + "/")
    page.fill("#q", QUERY)
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator("li.hit").count() == 10
    assert page.locator("#q-completions").count() == 0  # no script, no completions list
    page.locator("figure.timeline a.bar").last.click()
    page.wait_for_url("**month=*")
    page.fill("#since", "2021-06")
    page.fill("#until", "2022-03")
    page.click("form.dates button")
    page.wait_for_url("**until=2022-03*")
    query = _query(page.url)
    assert query["q"] == [QUERY] and query["since"] == ["2021-06"] and "month" not in query
    dates = page.locator("li.hit time").evaluate_all("ts => ts.map(t => t.dateTime)")
    assert dates and all("2021-06" <= d[:7] <= "2022-03" for d in dates)
    page.locator("li.hit h2 a").first.click()
    page.wait_for_url("**/doc/**")
    assert unquote(urlsplit(page.url).path).startswith("/doc/")
    assert page.locator("article mark").count() >= 1


def test_api_docs_page_renders_the_openapi_document_from_the_server(open_page, server: str) -> None:
    page = open_page()
    page.goto(server + "/")
    page.click("footer >> text=API 文档")
    page.wait_for_url("**/api/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert page.inner_text(".swagger-ui .info .title").startswith("zhsearch")
    assert "not supported" not in page.inner_text(".swagger-ui")  # Swagger UI reads the whole document
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/search", "/api/suggest", "/healthz"} <= {p.replace("\u200b", "") for p in paths}
    page.locator(".opblock-summary", has_text="/api/search").first.click()
    page.locator(".parameters [data-param-name='q']").wait_for()
    _screenshot(page, "api-docs-desktop.png")


def test_results_page_exports_and_feed(open_page, server: str) -> None:
    page = open_page()
    page.goto(f"{server}/search?q={QUERY}")
    feed = page.get_attribute("link[rel=alternate][type='application/atom+xml']", "href")
    assert feed is not None and _query(feed) == {"q": [QUERY]}
    with page.expect_download() as download:
        page.click("text=导出 CSV")
    path = download.value.path()
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "id,title,source,date,url,snippet"
    assert len(lines) == 1 + 15  # every hit, not the page of ten
    assert download.value.suggested_filename == "zhsearch.csv"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_timeline_labels_line_up_with_its_bars(open_page, server: str, viewport: dict[str, int]) -> None:
    page = open_page(viewport)
    page.goto(f"{server}/search?q={QUERY}")
    slots = page.locator("figure.timeline a.bar rect.hitbox")
    first, last = slots.first.bounding_box(), slots.last.bounding_box()
    first_label = page.locator("figure.timeline .axis .first").bounding_box()
    last_label = page.locator("figure.timeline .axis .last").bounding_box()
    assert abs(first_label["x"] - first["x"]) <= 1
    assert abs((last_label["x"] + last_label["width"]) - (last["x"] + last["width"])) <= 1
    # The counts are on the page, not only in a tooltip.
    assert re.fullmatch(r"\d{4}-\d\d：\d+ 篇", page.inner_text("figure.timeline .axis .first"))
    assert re.fullmatch(r"最多 \d{4}-\d\d：\d+ 篇", page.inner_text("figure.timeline .axis .peak"))
    if viewport is DESKTOP:  # the sidebar beside the hits, always open
        assert page.locator("aside.facets").bounding_box()["x"] > page.locator("li.hit").first.bounding_box()["x"]
        assert page.locator("aside.facets summary").is_hidden()
        assert page.locator("aside.facets section").first.is_visible()


def _completion_texts(page: object) -> list[str]:
    return page.locator("#q-completions [role=option] .text").all_inner_texts()  # type: ignore[attr-defined,no-any-return]


def _wait_for_routes(page: object, routes: list, count: int) -> None:
    """Let the page's route handlers run until ``count`` requests are held."""
    for _ in range(100):
        if len(routes) >= count:
            return
        page.wait_for_timeout(20)  # type: ignore[attr-defined]
    raise AssertionError(f"{len(routes)} of {count} completion requests were sent")


def _open_home(page: object, server: str) -> None:
    """The search page, once the box has the focus: Chromium may apply autofocus after the load
    event, and keys typed before then go nowhere."""
    page.goto(server + "/")  # type: ignore[attr-defined]
    page.wait_for_function("document.activeElement && document.activeElement.id === 'q'", timeout=5_000)  # type: ignore[attr-defined]


def test_a_late_answer_for_older_text_never_replaces_the_list(open_page, server: str) -> None:
    from playwright.sync_api import Error as PlaywrightError

    page = open_page()
    held: list = []

    def hold_the_first(route: object) -> None:  # 疫's answer comes only after 疫苗's is on screen
        if held:
            route.continue_()  # type: ignore[attr-defined]
        else:
            held.append(route)

    page.route("**/api/suggest?*", hold_the_first)
    cancelled: list[str] = []
    page.on("requestfailed", lambda r: cancelled.append(unquote(r.url)))
    _open_home(page, server)
    page.keyboard.type("疫")
    _wait_for_routes(page, held, 1)
    page.keyboard.type("苗")
    options = page.locator("#q-completions [role=option]")
    options.first.wait_for()
    fresh = _completion_texts(page)
    assert fresh and all("疫苗" in t for t in fresh)
    assert len(set(fresh)) == len(fresh)  # no duplicates
    try:
        held[0].continue_()  # the stale answer arrives now, if the page still wants it
    except PlaywrightError:
        pass  # the page cancelled the request
    page.wait_for_timeout(400)
    assert _completion_texts(page) == fresh
    assert cancelled == [server + "/api/suggest?q=疫"]  # the page cancelled the stale request
    page.keyboard.press("ArrowDown")
    chosen = page.locator("#q-completions [aria-selected=true] .text").inner_text()
    assert chosen == fresh[0]
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/doc/" in url or _query(url).get("q") == [chosen])
    assert "疫苗" in (page.inner_text("article h1") if "/doc/" in page.url else page.input_value("#q"))


def test_a_keystroke_closes_the_list_of_the_older_text_at_once(open_page, server: str) -> None:
    page = open_page()
    _open_home(page, server)
    page.keyboard.type("疫")
    page.locator("#q-completions [role=option]").first.wait_for()
    assert any("疫情" in t for t in _completion_texts(page))
    held: list = []
    page.route("**/api/suggest?*", lambda route: held.append(route))  # 疫苗's list never comes
    page.keyboard.type("苗")
    assert page.locator("#q-completions").is_hidden()
    assert page.get_attribute("#q", "aria-expanded") == "false"
    page.keyboard.press("ArrowDown")  # asks again, picks nothing: no list is on screen
    page.keyboard.press("Enter")  # so Enter searches for what was typed, not 疫情
    page.wait_for_url("**/search?q=*")
    assert _query(page.url)["q"] == ["疫苗"]
    assert page.input_value("#q") == "疫苗"


def test_the_list_shows_each_text_once(open_page, server: str) -> None:
    page = open_page()
    word = {"text": "疫苗", "kind": "word", "documents": 3, "id": None}
    title = {"text": "疫苗试验", "kind": "title", "documents": 1, "id": "a.md"}
    body = json.dumps({"query": "疫", "completions": [word, title, word, dict(title, id="b.md")]})
    page.route("**/api/suggest?*", lambda route: route.fulfill(status=200, content_type="application/json", body=body))
    _open_home(page, server)
    page.keyboard.type("疫")
    page.locator("#q-completions [role=option]").first.wait_for()
    assert _completion_texts(page) == ["疫苗", "疫苗试验"]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # past the last entry: back to the box
    assert page.locator("#q-completions [aria-selected=true]").count() == 0


def test_completions_offer_a_word_found_in_the_archive_whole(open_page, server: str) -> None:
    """jieba's dictionary cuts 碳中和 as 碳中/和; the demo archive's build discovers it (issue 15),
    and the box offers the whole word, never the piece."""
    page = open_page()
    _open_home(page, server)
    page.keyboard.type("碳")
    page.locator("#q-completions [role=option]").first.wait_for()
    texts = _completion_texts(page)
    assert "碳中和" in texts
    assert "碳中" not in texts
