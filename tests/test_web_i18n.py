"""One language per page: Accept-Language chooses simplified, traditional Chinese or English, warnings included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from zhsearch.search import SearchIndex
from zhsearch.web.i18n import ERRORS, HTTP_ERRORS, WARNINGS, translate_message

from conftest import CARBON

TRANSLATIONS = Path(__file__).resolve().parents[1] / "web" / "translations"
HAN = re.compile("[\u3400-\u9fff]")
# Queries and options that make search/ warn, one warning of each kind at least.
WARNING_SEARCHES = [
    ("OR 记者", {}), ("记者)", {}), ("source:", {}), ('记者 "', {}), ("(记者", {}), ("记者 OR", {}), ("！！", {}),
    ("-记者", {}), ("今天 记者 在 北京 看到 球馆 座无虚席 主队 险胜 对手", {}), ("记者 ()", {}), ('记者 ""', {}),
    ("记者 (-香港)", {}), ("date:2020-13", {}), ("-date:2021", {}), ("记者北京火星", {}),
    ("记者", {"since": "bad"}), ("记者", {"since": "2022", "until": "2020"}),
]


def page(client: FlaskClient, url: str, language: str) -> BeautifulSoup:
    response = client.get(url, headers={"Accept-Language": language})
    assert response.status_code == 200
    assert "Accept-Language" in response.headers["Vary"]
    return BeautifulSoup(response.get_data(as_text=True), "lxml")


@pytest.mark.parametrize("language, lang, skip", [
    ("zh-CN,zh;q=0.9", "zh-Hans", "跳到内容"),
    ("zh", "zh-Hans", "跳到内容"),
    ("zh-TW", "zh-Hant", "跳到內容"),
    ("zh-HK,en;q=0.5", "zh-Hant", "跳到內容"),
    ("zh-Hant", "zh-Hant", "跳到內容"),
    ("en-GB,en;q=0.8", "en", "Skip to content"),
    ("fr-FR,de;q=0.9", "zh-Hans", "跳到内容"),
    ("", "zh-Hans", "跳到内容"),
    ("fr,en;q=0.5,zh-TW;q=0.1", "en", "Skip to content"),
    ("x-klingon-??,zh-MO", "zh-Hant", "跳到內容"),
])
def test_accept_language_chooses_the_page_language(client: FlaskClient, language: str, lang: str, skip: str) -> None:
    for url in ("/", "/search?q=记者", f"/doc/{CARBON}", "/api/docs"):
        soup = page(client, url, language)
        assert soup.html["lang"] == lang
        assert soup.select_one("a.skip").get_text() == skip


def test_the_english_results_page_has_no_chinese_of_its_own(client: FlaskClient) -> None:
    soup = page(client, "/search?q=记者", "en")
    for hit in soup.select("li.hit, aside.facets li, .active-filters"):  # article text and facet values stay
        hit.decompose()
    soup.select_one("#q")["value"] = ""
    text = soup.get_text(" ")
    assert HAN.findall(text.replace("记者", "")) == [], text
    assert "results (" in soup.select_one(".summary").get_text()
    assert soup.select_one(".takeaway").get_text(" ", strip=True) == "Export CSV Export JSONL Follow (Atom)"


def test_the_traditional_page_is_traditional(client: FlaskClient) -> None:
    soup = page(client, "/search?q=记者", "zh-TW")
    assert soup.select_one(".summary").get_text().startswith("找到 9 條結果")
    assert soup.select_one("aside.facets summary").get_text() == "篩選：日期、來源、分類、月份"
    assert soup.select_one("#q")["data-count-suffix"] == " 篇"
    assert page(client, "/search?q=记者", "en").select_one("#q")["data-article-label"] == "article"


@pytest.mark.parametrize("query, options", WARNING_SEARCHES)
def test_every_warning_search_gives_is_in_the_page_language(index: SearchIndex, app: Flask, query: str,
                                                            options: dict[str, str]) -> None:
    warnings = index.search(query, **options).warnings
    assert warnings

    def own_words(shown: str) -> str:
        """What the message says itself: without the query, the options and the words it quotes."""
        shown = re.sub(r"“[^”]*”(、“[^”]*”)*", "", shown.replace(query, ""))
        for name, value in options.items():
            shown = shown.replace(f"{name}={value!r}", "")
        return shown

    for language, script in (("zh_Hans", "zh-CN"), ("zh_Hant", "zh-TW")):
        with app.test_request_context(headers={"Accept-Language": script}):
            for warning in warnings:
                shown = translate_message(warning)
                assert HAN.search(shown) and not re.search("[a-z]{4}", own_words(shown)), (language, shown)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for warning in warnings:
            assert not HAN.search(own_words(translate_message(warning))), warning


def test_the_results_page_shows_the_warnings_translated(client: FlaskClient) -> None:
    shown = [p.get_text() for p in page(client, "/search?q=记者 OR", "zh-CN").select("p.warning")]
    assert shown == ["末尾的 OR/NOT 后面没有词，已忽略"]
    shown = [p.get_text() for p in page(client, "/search?q=记者北京火星", "en").select("p.warning")]
    assert shown == ["too few articles contain every word: “火星” no longer required, at least 1 of "
                     "“记者”、“北京” (articles with more of them come first)"]


def test_a_warning_no_template_knows_is_shown_as_written(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert translate_message("something new") == "something new"


def test_article_text_in_a_translated_message_is_escaped(client: FlaskClient) -> None:
    body = client.get("/search?q=<b>鸵鸟</b>", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "No articles found for “&lt;b&gt;鸵鸟&lt;/b&gt;”." in body
    assert "<b>鸵鸟" not in body


# -- the catalogs ------------------------------------------------------------------------------------


def catalog_ids(catalog: object) -> set[str]:
    return {m.id for m in catalog if m.id}  # type: ignore[attr-defined]


def test_the_template_lists_every_message_of_the_web_layer() -> None:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    extracted = {message for _, _, message, _, _ in extract_from_dir(
        TRANSLATIONS.parent, method_map, keywords={"_": None, "gettext": None, "N_": None})}
    with open(TRANSLATIONS / "messages.pot", "rb") as pot:
        assert catalog_ids(read_po(pot)) == extracted  # run the pybabel extract line of babel.cfg


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
def test_each_catalog_is_complete_and_compiled(locale: str) -> None:
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with open(TRANSLATIONS / "messages.pot", "rb") as pot, open(folder / "messages.po", "rb") as po, \
            open(folder / "messages.mo", "rb") as mo:
        template, source, compiled = read_po(pot), read_po(po), read_mo(mo)
    assert catalog_ids(source) == catalog_ids(template)
    english = {w for w in (*WARNINGS, *ERRORS, *HTTP_ERRORS.values()) if not HAN.search(w)}  # the others are written in Chinese
    for message in source:
        if not message.id:
            continue
        needed = {"zh_Hans": message.id in english, "zh_Hant": True, "en": message.id not in english}[locale]
        assert bool(message.string) == needed, (locale, message.id)
        assert (compiled.get(message.id).string if compiled.get(message.id) else "") == message.string  # pybabel compile


# -- the JSON API: English codes, messages in the request's language ---------------------------------------


@pytest.mark.parametrize("url, status, code, messages", [
    ("/api/search?q=x&limit=51", 400, "invalid_argument",
     {"zh-CN": "limit 必须在 1 到 50 之间，不能是 51", "zh-TW": "limit 必須在 1 到 50 之間，不能是 51",
      "en": "limit must be between 1 and 50, not 51"}),
    ("/api/search?q=x&page=abc", 400, "invalid_argument",
     {"zh-CN": "page 必须是整数，不能是 'abc'", "en": "page must be a whole number, not 'abc'"}),
    ("/api/search?q=x&sort=up", 400, "invalid_argument",
     {"zh-CN": "sort 只能是 relevance, newest, oldest 之一，不能是 'up'"}),
    ("/api/doc/nope.md", 404, "not_found",
     {"zh-CN": "索引里没有编号为 'nope.md' 的文章", "en": "no document with id 'nope.md' in the index"}),
    ("/api/nothing-here", 404, "not_found", {"zh-CN": "这个地址什么也没有", "en": "nothing is at this address"}),
])
def test_api_errors_keep_their_code_and_speak_the_request_language(client: FlaskClient, url: str, status: int,
                                                                    code: str, messages: dict[str, str]) -> None:
    for language, message in messages.items():
        response = client.get(url, headers={"Accept-Language": language})
        assert response.status_code == status
        assert response.get_json() == {"error": {"code": code, "message": message}}


def test_a_method_not_allowed_speaks_the_request_language(client: FlaskClient) -> None:
    response = client.put("/api/search?q=x", headers={"Accept-Language": "zh-TW"})
    assert response.get_json() == {"error": {"code": "method_not_allowed", "message": "這個地址只接受 GET/POST 請求"}}


def test_the_error_page_speaks_the_page_language(client: FlaskClient) -> None:
    soup = page_of_error(client, "/doc/nope.md", "en")
    assert soup.h1.get_text() == "Page not found"
    assert "no document with id 'nope.md' in the index" in soup.get_text()
    assert "这个地址什么也没有" in page_of_error(client, "/nothing", "zh").get_text()


def page_of_error(client: FlaskClient, url: str, language: str) -> BeautifulSoup:
    response = client.get(url, headers={"Accept-Language": language})
    assert response.status_code == 404
    return BeautifulSoup(response.get_data(as_text=True), "lxml")
