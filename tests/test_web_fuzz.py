"""Random and hostile queries and parameters on every endpoint: never a 5xx, never unescaped markup."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from zhsearch.search import SearchIndex
from zhsearch.web import create_app

from conftest import ARTICLES, BASKETBALL, CARBON, HOSTILE, PERCENT

EXAMPLES = 175  # per test: 6 tests, 1050 random cases (1225 requests)
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

ATTACKS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "</title><script>alert(1)</script>",
    "{{7*7}}",
    "{% raw %}",
    "&lt;script&gt;",
    "&#x3C;script&#x3E;",
    "%3Cscript%3E",
    "\u202e\u200b\ufeff",
    "\x00",
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "ｓｃｒｉｐｔ",
    '"',
    "'",
    "(",
    ")",
    "-",
    "OR",
    "NOT",
    "AND",
    "title:",
    "source:",
    "date:2020-13",
    "date:2021-01-01..2020-01-01",
    "since:9999",
    "*",
    "?",
    "~",
    "\\",
    "臺灣",
    "碳中和",
    "记者",
    "tanzhonghe",
    "onerror",
    "网络安全",
    "记" * 499,
    "x" * 501,
]
DOC_IDS = [*sorted(ARTICLES), "nope.md", "", "/", "../../etc/passwd", "%2e%2e/conftest.py", "jekyll/../notes.md"]

words = st.one_of(st.sampled_from(ATTACKS), st.text(max_size=12))
queries = st.lists(words, max_size=6).map(" ".join)
values = st.one_of(st.sampled_from(ATTACKS), st.text(max_size=20), st.integers(-10**6, 10**6).map(str))
numbers = st.one_of(
    st.integers(-5, 120).map(str), st.sampled_from(["", " 3 ", "1.5", "1e3", "２", "0x10", "-0", "9" * 30]), values
)
flags = st.sampled_from(["", "1", "0", "true", "false", "yes", "no", "on", "off", "TRUE", "maybe"])
dates = st.one_of(st.sampled_from(["2021", "2021-05", "2021-05-10", "2021-5-1", "2020-13", "0000-00", "9999-12-31"]), values)
search_parameters = st.fixed_dictionaries(
    {},
    optional={
        "q": queries,
        "page": numbers,
        "limit": numbers,
        "source": st.lists(st.one_of(st.sampled_from(["中央社", "联合早报", "新浪财经"]), values), max_size=3),
        "category": st.lists(values, max_size=3),
        "tag": st.lists(values, max_size=3),
        "since": dates,
        "until": dates,
        "month": dates,
        "sort": st.one_of(st.sampled_from(["relevance", "newest", "oldest"]), values),
        "dedup": flags,
        "explain": flags,
    },
)
doc_ids = st.one_of(st.sampled_from(DOC_IDS), st.text(min_size=1, max_size=30), st.sampled_from(ATTACKS))

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "link", "script", "body", "a", "span", "header", "form", "label", "input",
    "button", "main", "footer", "section", "h1", "h2", "h3", "p", "strong", "nav", "ol", "ul", "li", "time", "mark",
    "aside", "div", "figure", "figcaption", "svg", "rect", "article", "code", "details", "summary",
}
OWN_SCRIPTS = {"/static/suggest.js", "/static/facets.js"}


class MarkupCheck(HTMLParser):
    """Every tag, attribute and link of a page: only the ones our templates write."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"unexpected <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and value is not None:
                if not value.startswith(("/", "#", "?", "http://", "https://")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            src = dict(attrs).get("src")
            if src not in OWN_SCRIPTS:
                self.problems.append(f"<script src={src!r}>")
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script {data[:40]!r}")


def assert_safe_html(html: str) -> None:
    check = MarkupCheck()
    check.feed(html)
    check.close()
    assert check.problems == []


def assert_only_marks(fragment: str) -> None:
    """An HTML-safe field (snippet, title_html): text, entities and <mark> only."""
    check = MarkupCheck()
    check.feed(fragment)
    check.close()
    assert check.problems == []
    assert fragment.replace("<mark>", "").replace("</mark>", "").count("<") == 0


@pytest.fixture(scope="module")
def fuzz_client(index: SearchIndex) -> Iterator[FlaskClient]:
    # TESTING: an exception in a view fails the test with its traceback instead of becoming a 500.
    yield create_app({"INDEX": index, "TESTING": True}).test_client()


class ResponseSchemas:
    """The OpenAPI document's response schemas, by endpoint and status."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.validators = {
            (template, int(status)): Draft202012Validator(
                {**response["content"]["application/json"]["schema"], "components": spec["components"]}
            )
            for template, item in spec["paths"].items()
            for status, response in item["get"]["responses"].items()
        }

    def validate(self, template: str, status: int, body: Any) -> None:
        assert (template, status) in self.validators, f"{template} answered {status}, which is not documented"
        self.validators[template, status].validate(body)

    def __repr__(self) -> str:  # Hypothesis prints the arguments of a failing example
        return "ResponseSchemas(/api/openapi.json)"


@pytest.fixture(scope="module")
def schemas(fuzz_client: FlaskClient) -> ResponseSchemas:
    return ResponseSchemas(fuzz_client.get("/api/openapi.json").get_json())


def _get(client: FlaskClient, path: str, params: dict[str, Any]) -> Any:
    response = client.get(path + ("?" + urlencode(params, doseq=True) if params else ""))
    response.get_data()
    response.close()  # a static file is streamed from an open file
    assert response.status_code < 500, (path, params, response.get_data(as_text=True)[:500])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    return response


def _check_json(response: Any, schemas: ResponseSchemas, template: str) -> dict[str, Any]:
    assert response.content_type == "application/json"
    body = json.loads(response.get_data(as_text=True))
    schemas.validate(template, response.status_code, body)
    for hit in body.get("hits", []):
        assert_only_marks(hit["snippet"])
        assert_only_marks(hit["title_html"])
    return body


def _check_page(response: Any) -> None:
    assert response.content_type == "text/html; charset=utf-8"
    assert_safe_html(response.get_data(as_text=True))


@SETTINGS
@given(params=search_parameters)
def test_fuzz_api_search(fuzz_client: FlaskClient, schemas: ResponseSchemas, params: dict[str, Any]) -> None:
    _check_json(_get(fuzz_client, "/api/search", params), schemas, "/api/search")


@SETTINGS
@given(params=search_parameters)
def test_fuzz_results_page(fuzz_client: FlaskClient, params: dict[str, Any]) -> None:
    _check_page(_get(fuzz_client, "/search", params))


@SETTINGS
@given(params=st.fixed_dictionaries({}, optional={"q": queries, "limit": numbers}))
def test_fuzz_api_suggest(fuzz_client: FlaskClient, schemas: ResponseSchemas, params: dict[str, Any]) -> None:
    body = _check_json(_get(fuzz_client, "/api/suggest", params), schemas, "/api/suggest")
    for completion in body.get("completions", []):
        assert completion["kind"] in ("word", "title")


@SETTINGS
@given(doc_id=doc_ids, params=st.fixed_dictionaries({}, optional={"limit": numbers, "q": queries}))
def test_fuzz_api_doc_and_similar(
    fuzz_client: FlaskClient, schemas: ResponseSchemas, doc_id: str, params: dict[str, Any]
) -> None:
    for template in ("/api/doc/{id}", "/api/similar/{id}"):
        response = _get(fuzz_client, template.replace("{id}", quote(doc_id, safe="/")), params)
        if response.status_code == 308:  # werkzeug merges "//" with a redirect
            continue
        _check_json(response, schemas, template)


@SETTINGS
@given(doc_id=doc_ids, q=queries)
def test_fuzz_article_page(fuzz_client: FlaskClient, doc_id: str, q: str) -> None:
    response = _get(fuzz_client, "/doc/" + quote(doc_id, safe="/"), {"q": q})
    if response.status_code != 308:
        _check_page(response)


@SETTINGS
@given(path=st.sampled_from(["/", "/healthz", "/api/openapi.json", "/static/style.css", "/nothing", "/api/nothing"]),
       params=search_parameters)
def test_fuzz_other_routes(fuzz_client: FlaskClient, path: str, params: dict[str, Any]) -> None:
    response = _get(fuzz_client, path, params)
    if response.content_type.startswith("text/html"):
        _check_page(response)
    elif path.startswith(("/api/", "/healthz")):
        assert response.content_type == "application/json"


@pytest.mark.parametrize(
    "params",
    [{"until": "9999-12-31"}, {"until": "9999-12"}, {"month": "9999-12"}, {"q": "date:9999-12"},
     {"q": "记者 date:0001-01..9999-12-31"}, {"since": "0000-01"}, {"q": "date:0001-01-01"}],
)
def test_dates_at_the_ends_of_the_calendar_are_not_errors(fuzz_client: FlaskClient, params: dict[str, str]) -> None:
    for path in ("/api/search", "/search"):
        assert _get(fuzz_client, path, params).status_code == 200


@pytest.mark.parametrize("doc_id", [CARBON, HOSTILE, BASKETBALL, PERCENT])
@pytest.mark.parametrize("q", ATTACKS[:8])
def test_hostile_queries_on_article_pages(fuzz_client: FlaskClient, doc_id: str, q: str) -> None:
    response = _get(fuzz_client, "/doc/" + quote(doc_id), {"q": q})
    assert response.status_code == 200
    _check_page(response)


def test_markup_check_catches_what_it_must() -> None:
    for bad in ('<img src=x onerror=alert(1)>', "<script>alert(1)</script>", '<a href="javascript:alert(1)">x</a>',
                '<a href=" javascript:x">x</a>', '<p style="x">', "<iframe src=/>"):
        check = MarkupCheck()
        check.feed(bad)
        assert check.problems, bad
    with pytest.raises(AssertionError):
        assert_only_marks("a <b>b</b>")
