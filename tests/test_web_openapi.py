"""/api/openapi.json describes every endpoint and parameter, and every real response matches it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from zhsearch.indexer import build_index
from zhsearch.search import SearchIndex
from zhsearch.web import create_app

from conftest import CARBON, CORPUS, HOSTILE, NO_DATE, TAIWAN

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture()
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    return response.get_json()


def check(spec: dict[str, Any], template: str, response: Any, method: str = "get") -> Any:
    """Validate ``response`` against what the document says ``template`` answers with its status."""
    operation = spec["paths"][template].get(method) or spec["paths"][template]["get"]
    status = str(response.status_code)
    assert status in operation["responses"], f"{template} answered {status}, which the document does not list"
    described = operation["responses"][status]["content"]
    assert response.content_type in described
    schema = {**described[response.content_type]["schema"], "components": spec["components"]}
    body = response.get_json()
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(body)
    return body


def _path(template: str, doc_id: str = CARBON) -> str:
    return template.replace("{id}", quote(doc_id))


# Requests covering every endpoint, each documented parameter and each status an endpoint can give.
EXCHANGES: list[tuple[str, str, dict[str, Any], int]] = [
    ("/api/search", CARBON, {"q": "台湾"}, 200),
    ("/api/search", CARBON, {}, 200),
    ("/api/search", CARBON, {"q": "记者", "page": 2, "limit": 3, "sort": "newest", "dedup": "false"}, 200),
    ("/api/search", CARBON, {"q": "记者", "source": ["中央社", "联合早报"], "category": "科技", "tag": "安全"}, 200),
    ("/api/search", CARBON, {"q": "记者", "since": "2020-09", "until": "2021-12-31", "sort": "oldest"}, 200),
    ("/api/search", CARBON, {"q": "记者", "month": "2021-05", "explain": "1"}, 200),
    ("/api/search", CARBON, {"q": "tanzhonghe 不存在的词语"}, 200),
    ("/api/search", CARBON, {"q": '"碳达峰 (OR', "since": "yesterday", "month": "2021-13"}, 200),
    ("/api/search", CARBON, {"q": "<script>alert(1)</script>"}, 200),
    ("/api/search", CARBON, {"q": "记者", "page": 100}, 200),
    ("/api/search", CARBON, {"page": 0}, 400),
    ("/api/search", CARBON, {"limit": "many"}, 400),
    ("/api/search", CARBON, {"sort": "sideways"}, 400),
    ("/api/search", CARBON, {"q": "x" * 501}, 400),
    ("/api/doc/{id}", CARBON, {}, 200),
    ("/api/doc/{id}", HOSTILE, {}, 200),
    ("/api/doc/{id}", NO_DATE, {}, 200),
    ("/api/doc/{id}", "nope.md", {}, 404),
    ("/api/doc/{id}", "../../etc/passwd", {}, 404),
    ("/api/similar/{id}", CARBON, {}, 200),
    ("/api/similar/{id}", TAIWAN, {"limit": 2}, 200),
    ("/api/similar/{id}", CARBON, {"limit": 0}, 400),
    ("/api/similar/{id}", "nope.md", {}, 404),
    ("/api/suggest", CARBON, {"q": "记"}, 200),
    ("/api/suggest", CARBON, {"q": "香港 台", "limit": 3}, 200),
    ("/api/suggest", CARBON, {}, 200),
    ("/api/suggest", CARBON, {"q": "记", "limit": 21}, 400),
    ("/api/suggest", CARBON, {"q": "记" * 501}, 400),
    ("/healthz", CARBON, {}, 200),
    ("/api/openapi.json", CARBON, {}, 200),
]


@pytest.mark.parametrize("template, doc_id, params, status", EXCHANGES)
def test_every_response_matches_the_document(
    client: FlaskClient, spec: dict[str, Any], template: str, doc_id: str, params: dict[str, Any], status: int
) -> None:
    response = client.get(_path(template, doc_id) + "?" + urlencode(params, doseq=True))
    assert response.status_code == status
    check(spec, template, response)


def test_the_exchanges_cover_every_operation_and_documented_status(spec: dict[str, Any]) -> None:
    covered = {(t, str(s)) for t, _, _, s in EXCHANGES} | {(t, "405") for t in spec["paths"]}
    covered |= {("/api/search", "503"), ("/healthz", "503")}  # test_unreadable_index_is_a_503
    documented = {(t, s) for t, item in spec["paths"].items() for s in item["get"]["responses"]}
    # 503 is documented for every endpoint, shown on two; the other endpoints reach the index the same way.
    missing = {(t, s) for t, s in documented - covered if s != "503"}
    assert missing == set()


@pytest.mark.parametrize("template", ["/api/search", "/api/doc/{id}", "/api/similar/{id}", "/api/suggest", "/healthz",
                                      "/api/openapi.json"])
def test_other_methods_are_a_documented_405(client: FlaskClient, spec: dict[str, Any], template: str) -> None:
    response = client.put(_path(template))
    assert response.status_code == 405
    body = check(spec, template, response)
    assert body["error"]["code"] == "method_not_allowed"


def test_unreadable_index_is_a_503(tmp_path: Path) -> None:
    location = tmp_path / "index"
    build_index([CORPUS / "jekyll"], location)
    with SearchIndex.open(location) as index:
        client = create_app({"INDEX": index, "TESTING": True}).test_client()
        spec = client.get("/api/openapi.json").get_json()
        shutil.rmtree(location)
        for path, template in (("/api/search?q=x", "/api/search"), ("/healthz", "/healthz")):
            response = client.get(path)
            assert response.status_code == 503
            body = check(spec, template, response)
            assert body["error"]["code"] == "index_unavailable"
            assert str(location) in body["error"]["message"]
        page = client.get("/search?q=x")
        assert page.status_code == 503
        assert "索引暂时无法读取" in page.get_data(as_text=True)


def test_a_crash_is_a_json_500_without_details(index: SearchIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app({"INDEX": index})  # not TESTING: errors are handled as in production
    assert app.debug is False

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(index, "search", crash)
    monkeypatch.setattr(app.logger, "disabled", True)
    response = app.test_client().get("/api/search?q=x")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_server_error"
    assert "secret" not in response.get_data(as_text=True)
    page = app.test_client().get("/search?q=x")
    assert page.status_code == 500
    assert "secret" not in page.get_data(as_text=True) and "Traceback" not in page.get_data(as_text=True)


def _rule_template(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?\w+>", "{id}", rule)


def test_every_api_route_is_documented_and_nothing_else(app: Flask, spec: dict[str, Any]) -> None:
    routes = {_rule_template(r.rule) for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert routes == set(spec["paths"])


def test_the_document_is_well_formed(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1.")
    assert {"title", "version"} <= set(spec["info"])
    Draft202012Validator.check_schema({**spec["components"]["schemas"]["SearchPage"], "components": spec["components"]})
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    ids = []
    for template, item in spec["paths"].items():
        assert set(item) == ({"get", "post"} if template == "/api/search" else {"get"})
        operation = item["get"]
        ids.append(operation["operationId"])
        assert operation["summary"] and operation["responses"]
        names = []
        for parameter in operation.get("parameters", []):
            assert {"name", "in", "schema", "description"} <= set(parameter)
            assert parameter["in"] in ("query", "path")
            Draft202012Validator.check_schema(parameter["schema"])
            names.append(parameter["name"])
        assert len(names) == len(set(names))
        assert set(re.findall(r"\{(\w+)\}", template)) == {
            p["name"] for p in operation.get("parameters", []) if p["in"] == "path"
        }
        for status, response in operation["responses"].items():
            assert re.fullmatch(r"[1-5]\d\d", status)
            assert response["description"]
    assert len(ids) == len(set(ids))
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', repr(spec).replace("'", '"'))
    assert refs and set(refs) <= set(spec["components"]["schemas"])


def _bounded_parameters(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (template, parameter)
        for template, item in spec["paths"].items()
        for parameter in item["get"].get("parameters", [])
        if parameter["in"] == "query" and {"maximum", "maxLength", "enum"} & set(parameter["schema"])
    ]


def test_documented_limits_are_the_enforced_ones(client: FlaskClient, spec: dict[str, Any]) -> None:
    bounded = _bounded_parameters(spec)
    assert {(t, p["name"]) for t, p in bounded} >= {
        ("/api/search", "q"), ("/api/search", "page"), ("/api/search", "limit"), ("/api/search", "sort"),
        ("/api/similar/{id}", "limit"), ("/api/suggest", "q"), ("/api/suggest", "limit"),
    }
    for template, parameter in bounded:
        schema, name = parameter["schema"], parameter["name"]
        if "maximum" in schema:
            good, bad = [schema["minimum"], schema["maximum"]], [schema["minimum"] - 1, schema["maximum"] + 1]
        elif "maxLength" in schema:
            good, bad = ["记" * schema["maxLength"]], ["记" * (schema["maxLength"] + 1)]
        else:
            good, bad = schema["enum"], ["sideways"]
        for value in good:
            response = client.get(_path(template) + "?" + urlencode({name: value}))
            assert response.status_code == 200, (template, name, value)
        for value in bad:
            response = client.get(_path(template) + "?" + urlencode({name: value}))
            assert response.status_code == 400, (template, name, value)
            message = response.get_json()["error"]["message"]
            assert name in message or "query" in message, message


def test_readme_documents_every_endpoint(spec: dict[str, Any]) -> None:
    api = README.split("## HTTP API", 1)[1].split("\n## ", 1)[0]
    for template in spec["paths"]:
        assert f"`GET {template.replace('{id}', '<id>')}" in api, template
