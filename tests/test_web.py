"""The Flask app: every route, JSON errors, security headers, escaping, ids in URLs, and serve."""

from __future__ import annotations

import html
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from zhsearch.indexer import build_index
from zhsearch.search import IndexNotFoundError, SearchIndex
from zhsearch.web import create_app
from zhsearch.cli import cli

from conftest import ARTICLES, CORPUS, BASKETBALL, CARBON, HOSTILE, NO_DATE, PERCENT, REPORTER, TAIWAN, TITLE_ONLY, stop

HIT_KEYS = {"id", "path", "title", "url", "source", "date", "score", "snippet"}
DOC_KEYS = {"id", "path", "title", "url", "source", "author", "categories", "tags", "date", "text"}
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")
ENGLISH = {"Accept-Language": "en"}  # error messages are in the request's language


def doc_url(prefix: str, doc_id: str) -> str:
    return prefix + quote(doc_id)


def assert_json_error(response, status: int, code: str, message: str | None = None) -> None:
    assert response.status_code == status
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    if message is not None:
        assert body["error"]["message"] == message


# -- the JSON API -----------------------------------------------------------------------------


def test_api_search_document(client: FlaskClient) -> None:
    response = client.get("/api/search?" + urlencode({"q": "台湾"}))
    assert response.status_code == 200
    assert response.content_type == "application/json"
    data = response.get_json()
    assert set(data) == {"query", "total", "total_counting", "page", "limit", "hits", "facets", "facet_counting",
                         "warnings", "suggestions"}
    assert (data["query"], data["total"], data["page"], data["limit"]) == ("台湾", 1, 1, 10)
    (hit,) = data["hits"]
    assert HIT_KEYS <= set(hit) <= HIT_KEYS | {"title_html", "duplicates"}
    assert hit["id"] == TAIWAN
    assert "<mark>臺灣</mark>" in hit["snippet"]


def test_api_search_paging(client: FlaskClient) -> None:
    pages = [client.get("/api/search?" + urlencode({"q": "记者", "page": n, "limit": 4})).get_json() for n in (1, 2, 3, 4)]
    assert [len(p["hits"]) for p in pages] == [4, 4, 1, 0]
    assert {p["total"] for p in pages} == {len(REPORTER)}
    assert [p["page"] for p in pages] == [1, 2, 3, 4]
    assert {h["id"] for p in pages for h in p["hits"]} == REPORTER


def test_api_search_without_a_query_lists_everything(client: FlaskClient) -> None:
    data = client.get("/api/search?limit=50").get_json()
    assert data["total"] == len(ARTICLES)
    assert {h["id"] for h in data["hits"]} == ARTICLES


def test_api_search_warnings(client: FlaskClient) -> None:
    data = client.get("/api/search?" + urlencode({"q": '"碳达峰'})).get_json()
    assert data["warnings"] == ["an unclosed quote was closed at the end of the query"]
    assert [h["id"] for h in data["hits"]] == [CARBON]


@pytest.mark.parametrize(
    "query, message",
    [
        ({"page": "0"}, "page must be between 1 and 100, not 0"),
        ({"page": "101"}, "page must be between 1 and 100, not 101"),
        ({"page": "abc"}, "page must be a whole number, not 'abc'"),
        ({"page": "1.5"}, "page must be a whole number, not '1.5'"),
        ({"limit": "0"}, "limit must be between 1 and 50, not 0"),
        ({"limit": "51"}, "limit must be between 1 and 50, not 51"),
        ({"limit": "-3"}, "limit must be between 1 and 50, not -3"),
        ({"limit": "ten"}, "limit must be a whole number, not 'ten'"),
        ({"q": "记" * 501}, "the query is longer than 500 characters: send it as POST /api/search with a JSON body"),
    ],
)
def test_api_search_bad_parameters_are_400(client: FlaskClient, query: dict[str, str], message: str) -> None:
    response = client.get("/api/search?" + urlencode({"q": "记者", **query}), headers=ENGLISH)
    assert_json_error(response, 400, "invalid_argument", message)


def test_api_doc(client: FlaskClient) -> None:
    response = client.get(doc_url("/api/doc/", CARBON))
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == DOC_KEYS
    assert data["id"] == CARBON
    assert data["text"].split("\n\n")[0].startswith("本报记者从多个省份了解到")


@pytest.mark.parametrize("doc_id", [TAIWAN, BASKETBALL, TITLE_ONLY, PERCENT, NO_DATE])
def test_api_doc_with_non_ascii_ids_percent_encoded(client: FlaskClient, doc_id: str) -> None:
    response = client.get(doc_url("/api/doc/", doc_id))
    assert response.status_code == 200
    assert response.get_json()["id"] == doc_id


def test_api_doc_unknown_is_404(client: FlaskClient) -> None:
    response = client.get("/api/doc/nope.md", headers=ENGLISH)
    assert_json_error(response, 404, "not_found", "no document with id 'nope.md' in the index")


@pytest.mark.parametrize(
    "path",
    [
        "/api/doc/../../etc/passwd",
        "/api/doc/%2e%2e/%2e%2e/etc/passwd",
        "/api/doc/..%2F..%2Fetc%2Fpasswd",
        "/api/doc//etc/passwd",
        "/api/doc/jekyll/../notes.md",
        "/api/doc/../conftest.py",
        "/api/doc/notes.md",
    ],
)
def test_api_doc_ids_are_never_paths(client: FlaskClient, path: str) -> None:
    response = client.get(path, follow_redirects=True)  # werkzeug merges "//" with a redirect
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    body = response.get_data(as_text=True)
    assert "root:" not in body and "import" not in body


@pytest.mark.parametrize("path", ["/doc/../../etc/passwd", "/doc/%2e%2e/%2e%2e/etc/passwd", "/doc/../conftest.py"])
def test_doc_page_ids_are_never_paths(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "root:" not in body and "import pytest" not in body


def test_unknown_api_path_is_a_json_404(client: FlaskClient) -> None:
    assert_json_error(client.get("/api/nothing-here"), 404, "not_found")


def test_wrong_method_on_the_api_is_a_json_405(client: FlaskClient) -> None:
    response = client.put("/api/search?q=x", headers=ENGLISH)
    assert_json_error(response, 405, "method_not_allowed", "this address answers GET/POST requests only")
    response = client.post("/api/doc/x", headers=ENGLISH)
    assert_json_error(response, 405, "method_not_allowed", "this address answers GET requests only")


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "documents": len(ARTICLES)}


def test_api_search_equals_cli_json(client: FlaskClient, runner: CliRunner, index_dir: Path) -> None:
    for query, extra in [("台湾", []), ("记者 -台风", ["--limit", "3", "--page", "2"]), ('"碳达峰', []), ("", [])]:
        cli_result = runner.invoke(cli, ["search", "--json", "--index", str(index_dir), *extra, "--", query])
        assert cli_result.exit_code == 0, cli_result.stderr
        params = {"q": query}
        if extra:
            params.update(limit=extra[1], page=extra[3])
        api = client.get("/api/search?" + urlencode(params)).get_json()
        assert api == json.loads(cli_result.stdout)


def test_api_doc_equals_cli_show_json(client: FlaskClient, runner: CliRunner, index_dir: Path) -> None:
    for doc_id in (TAIWAN, HOSTILE, BASKETBALL):
        shown = runner.invoke(cli, ["show", doc_id, "--json", "--index", str(index_dir)])
        assert shown.exit_code == 0
        assert client.get(doc_url("/api/doc/", doc_id)).get_json() == json.loads(shown.stdout)


# -- the HTML pages ---------------------------------------------------------------------------


def test_home(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert f"共 {len(ARTICLES)} 篇文章" in response.get_data(as_text=True)


def test_results_page(client: FlaskClient) -> None:
    response = client.get("/search?" + urlencode({"q": "台湾"}))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "找到 <strong>1</strong> 条结果" in body
    assert "<mark>臺灣</mark>資訊業者看好明年景氣" in body


def test_results_page_with_no_hits(client: FlaskClient) -> None:
    body = client.get("/search?" + urlencode({"q": "鸵鸟麒麟"})).get_data(as_text=True)
    assert "找到 <strong>0</strong> 条结果" in body
    assert "没有找到与 “鸵鸟麒麟” 相关的文章" in body


@pytest.mark.parametrize("query, doc_id", [("篮球", BASKETBALL), ("50%", PERCENT), ("烟火气", NO_DATE)])
def test_results_page_links_to_documents_that_open(client: FlaskClient, query: str, doc_id: str) -> None:
    body = client.get("/search?" + urlencode({"q": query})).get_data(as_text=True)
    links = re.findall(r'href="(/doc/[^"]+)"', body)
    assert len(links) == 1
    path = links[0].split("?")[0]
    assert re.fullmatch(r"/doc/[A-Za-z0-9/_.%-]+", path), path  # spaces, "#", "%" and CJK encoded
    page = client.get(links[0].replace("&amp;", "&"))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"<mark>{html.escape(query)}</mark>" in body
    assert "<h1>" in body


def test_results_pager(client: FlaskClient) -> None:
    body = client.get("/search?" + urlencode({"q": "记者", "limit": 4, "page": 2})).get_data(as_text=True)
    assert 'rel="prev"' in body and 'rel="next"' in body
    assert '<ol class="hits" start="5">' in body


@pytest.mark.parametrize("query", [{"page": "abc"}, {"page": "0"}, {"limit": "51"}, {"q": "x" * 501}])
def test_results_page_bad_parameters_are_400(client: FlaskClient, query: dict[str, str]) -> None:
    response = client.get("/search?" + urlencode({"q": "记者", **query}))
    assert response.status_code == 400
    assert response.content_type == "text/html; charset=utf-8"
    assert "请求有误" in response.get_data(as_text=True)


def test_doc_page(client: FlaskClient) -> None:
    response = client.get(doc_url("/doc/", TAIWAN) + "?" + urlencode({"q": "台湾"}))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<h1><mark>臺灣</mark>資訊業者看好明年景氣</h1>" in body
    assert body.count("<mark>臺灣</mark>") == 2


def test_doc_page_of_a_title_only_article(client: FlaskClient) -> None:
    body = client.get(doc_url("/doc/", TITLE_ONLY)).get_data(as_text=True)
    assert "（这篇文章只有标题。）" in body


def test_doc_page_links_only_http_urls(client: FlaskClient) -> None:
    body = client.get(doc_url("/doc/", CARBON)).get_data(as_text=True)
    assert 'href="https://www.zaobao.com/realtime/china/story20210510-0000001"' in body


def test_unknown_doc_page_is_404(client: FlaskClient) -> None:
    response = client.get("/doc/nope.md")
    assert response.status_code == 404
    assert "找不到页面" in response.get_data(as_text=True)


def test_unknown_page_is_an_html_404(client: FlaskClient) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert response.content_type == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    "path",
    ["/", "/search?q=x", "/search?page=0", "/doc/nope", "/api/search?q=x", "/api/search?limit=0", "/api/doc/nope", "/healthz", "/nothing"],
)
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    for name in SECURITY_HEADERS:
        assert headers.get(name), name
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]


# -- hostile content --------------------------------------------------------------------------

HOSTILE_MARKUP = ("<script>alert(1)</script>", "<img src=x", "onerror=alert(1)>")


def _assert_no_hostile_markup(body: str) -> None:
    for raw in HOSTILE_MARKUP:
        assert raw not in body
    assert re.search(r"""href\s*=\s*["']?\s*javascript:""", body, re.I) is None
    assert "javascript:" not in body.lower()


@pytest.mark.parametrize("query", ["onerror", "网络安全", "script", "alert", "<script>"])
def test_hostile_article_is_escaped_in_results(client: FlaskClient, query: str) -> None:
    body = client.get("/search?" + urlencode({"q": query})).get_data(as_text=True)
    _assert_no_hostile_markup(body)
    assert f'href="/doc/{quote(HOSTILE)}?' in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in re.sub(r"</?mark>", "", body)


def test_hostile_article_is_escaped_on_its_page(client: FlaskClient) -> None:
    for q in ("", "onerror", "<script>"):
        body = client.get(doc_url("/doc/", HOSTILE) + "?" + urlencode({"q": q})).get_data(as_text=True)
        _assert_no_hostile_markup(body)
        assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; 网络安全演练暴露漏洞 - zhsearch</title>" in body
        assert "&lt;img src=x " in body


def test_hostile_query_is_escaped(client: FlaskClient) -> None:
    query = '"><script>alert(2)</script>'
    for path in ("/search?", "/doc/nope?"):
        body = client.get(path + urlencode({"q": query})).get_data(as_text=True)
        assert "<script>alert(2)" not in body


def test_hostile_article_in_json(client: FlaskClient) -> None:
    response = client.get("/api/search?" + urlencode({"q": "onerror"}))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    (hit,) = response.get_json()["hits"]
    assert hit["title"] == "<script>alert(1)</script> 网络安全演练暴露漏洞"  # data, not markup
    assert hit["title_html"].startswith("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "&lt;img src=x <mark>onerror</mark>=alert(1)&gt;" in hit["snippet"]
    assert hit["url"] is None
    doc = client.get(doc_url("/api/doc/", HOSTILE)).get_json()
    assert doc["url"] is None
    assert "javascript:" not in json.dumps(doc)


# -- the index behind the app ------------------------------------------------------------------


def test_create_app_opens_the_index_dir(index_dir: Path) -> None:
    client = create_app({"INDEX_DIR": str(index_dir), "TESTING": True}).test_client()
    assert client.get("/healthz").get_json()["documents"] == len(ARTICLES)


def test_create_app_without_an_index_raises(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="no zhsearch index at"):
        create_app({"INDEX_DIR": str(tmp_path / "missing")})


def test_app_follows_a_rebuilt_index_without_restart(tmp_path: Path) -> None:
    location = tmp_path / "index"
    build_index([CORPUS / "jekyll"], location)
    with SearchIndex.open(location) as index:
        client = create_app({"INDEX": index, "TESTING": True}).test_client()
        assert client.get("/api/search?" + urlencode({"q": "篮球"})).get_json()["total"] == 0
        time.sleep(0.01)  # a distinct mtime for the CURRENT pointer
        build_index([CORPUS / "hexo"], location)
        data = client.get("/api/search?" + urlencode({"q": "篮球"})).get_json()
        assert [h["id"] for h in data["hits"]] == ["体育/篮球 联赛.md"]
        assert client.get("/api/doc/" + quote("2020-08-03/2020-08-03-台风登陆.md")).status_code == 404
        # Rebuilt twice more: the generation the app first opened is long gone.
        build_index([CORPUS / "jekyll"], location)
        build_index([CORPUS / "hexo"], location)
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/search?" + urlencode({"q": "篮球"})).get_json()["total"] == 1


# -- a real server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 5.0):
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - a local test server


def test_serve_answers_over_http_with_waitress(index_dir: Path, tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "zhsearch", "serve", "--index", str(index_dir), "--port", str(port), "--threads", "2"],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if server.poll() is not None:
                pytest.fail(f"zhsearch serve exited with {server.returncode}: {log.read_text(errors='replace')}")
            try:
                with _get(base + "/healthz", timeout=2) as response:
                    assert response.status == 200
                    assert json.load(response) == {"status": "ok", "documents": len(ARTICLES)}
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"no answer on {base}/healthz within 20 s: {log.read_text(errors='replace')}")
                time.sleep(0.2)
        with _get(base + "/api/search?" + urlencode({"q": "台湾"})) as response:
            assert response.status == 200
            server_header = response.headers.get("Server", "")
            assert "waitress" in server_header or "zhsearch" in server_header
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            data = json.load(response)
        assert [h["id"] for h in data["hits"]] == [TAIWAN]
        with pytest.raises(urllib.error.HTTPError) as error:
            _get(base + "/api/doc/../../etc/passwd")
        assert error.value.code == 404
        error.value.close()
    finally:
        stop(server)
    assert "zhsearch: serving" in log.read_text(encoding="utf-8", errors="replace")


def test_serve_on_a_busy_port_is_a_one_line_error(runner: CliRunner, index_dir: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(cli, ["serve", "--index", str(index_dir), "--port", str(port)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\nHint: choose another --port or --host\n"
    )


def test_serve_freezes_what_exists_before_its_first_request(runner: CliRunner, index_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # The modules, the app and the opened index live as long as the server: frozen (gc.freeze),
    # no full collection inside a request walks them again.
    import gc

    import zhsearch.web
    import zhsearch.web.server

    frozen: list[int] = []

    class Server:
        def __init__(self, listener: socket.socket) -> None:
            self.listener = listener

        def run(self) -> None:
            frozen.append(gc.get_freeze_count())
            self.listener.close()

    monkeypatch.setattr(zhsearch.web.server, "make_server", lambda app, listener, threads: Server(listener))
    monkeypatch.setattr(zhsearch.web, "warm_up", lambda app: None)
    gc.unfreeze()
    try:
        result = runner.invoke(cli, ["serve", "--index", str(index_dir), "--port", "0"])
    finally:
        gc.unfreeze()
    assert result.exit_code == 0, result.output
    assert frozen and frozen[0] > 0
