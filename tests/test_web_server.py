"""HTTP as clients send it, through `zhsearch serve` over a raw socket: raw UTF-8, and JSON errors only."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from conftest import CARBON, serving


@pytest.fixture(scope="module")
def server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with serving(index_dir, tmp_path_factory.mktemp("server")) as base:
        address = urlsplit(base)
        yield address.hostname or "", address.port or 0


def exchange(server: tuple[str, int], request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as it is and read the whole answer: (status, headers, body)."""
    with socket.create_connection(server, timeout=30) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def get(server: tuple[str, int], target: bytes, extra: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    return exchange(server, b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + extra + b"\r\n")


def test_raw_utf8_in_the_query_string_answers_results(server: tuple[str, int]) -> None:
    status, headers, body = get(server, "/api/search?q=碳达峰".encode())
    assert status == 200
    assert headers["content-type"] == "application/json"
    data = json.loads(body)
    assert data["query"] == "碳达峰"
    assert [h["id"] for h in data["hits"]] == [CARBON]


def test_raw_utf8_is_read_as_its_percent_encoding(server: tuple[str, int]) -> None:
    raw = get(server, "/api/search?q=记者&source=联合早报".encode())
    encoded = get(server, b"/api/search?q=%E8%AE%B0%E8%80%85&source=%E8%81%94%E5%90%88%E6%97%A9%E6%8A%A5")
    assert raw[0] == encoded[0] == 200
    assert json.loads(raw[2]) == json.loads(encoded[2])
    assert json.loads(raw[2])["hits"] != []


def test_raw_utf8_in_the_path_and_on_the_page(server: tuple[str, int]) -> None:
    status, _, body = get(server, f"/api/doc/{CARBON}".encode())
    assert status == 200
    assert json.loads(body)["id"] == CARBON
    status, headers, body = get(server, "/search?q=碳达峰".encode())
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "多省公布" in body.decode()


def test_bytes_that_are_not_utf8_are_no_error(server: tuple[str, int]) -> None:
    status, _, body = get(server, "/api/search?q=碳达峰".encode("gb18030"))
    assert status == 200
    assert json.loads(body)["total"] == 0


@pytest.mark.parametrize("request_bytes, status, code", [
    (b"GET /api/nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404, "not_found"),
    (b"PUT /api/search?q=x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 405,
     "method_not_allowed"),
    (b"GET /api/search?limit=99 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400, "invalid_argument"),
    # Answered by waitress itself, before the app sees the request:
    (b"GET /api/search?q=x HTTP/1.1\r\nHost: x\r\nno header here\r\n\r\n", 400, "bad_request"),
])
def test_every_api_error_is_the_json_error(server: tuple[str, int], request_bytes: bytes, status: int,
                                           code: str) -> None:
    answer_status, headers, body = exchange(server, request_bytes)
    assert answer_status == status
    assert headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)


def test_a_malformed_request_outside_the_api_stays_waitress_text(server: tuple[str, int]) -> None:
    status, headers, _ = exchange(server, b"GET /search?q=x HTTP/1.1\r\nHost: x\r\nno header here\r\n\r\n")
    assert status == 400
    assert headers["content-type"].startswith("text/plain")


def test_the_flask_client_takes_raw_utf8_too(client: FlaskClient) -> None:
    response = client.get("/api/search?q=碳达峰")
    assert response.status_code == 200
    assert [h["id"] for h in response.get_json()["hits"]] == [CARBON]
