"""The production HTTP server: waitress, reading requests as clients send them."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import create_server
from waitress.task import ErrorTask

from .common import error_body, error_code

_NOT_ASCII = re.compile(rb"[\x80-\xff]")


class RequestParser(HTTPRequestParser):
    """Reads raw UTF-8 in the request line (``curl ".../api/search?q=碳中和"``) as the percent-encoded
    bytes a browser would send, where waitress answers ``400 Bad URI``."""

    def parse_header(self, header_plus: bytes) -> None:
        line, end, rest = header_plus.partition(b"\r\n")
        line = _NOT_ASCII.sub(lambda byte: b"%%%02X" % byte.group()[0], line)
        super().parse_header(line + end + rest)


class APIErrorTask(ErrorTask):
    """Errors waitress answers itself (a malformed request, headers too large) are the API's JSON
    error under /api/, like every other API error."""

    def execute(self) -> None:
        target = getattr(self.request, "first_line", b"").split(b" ")[1:2]
        if not target or not target[0].startswith((b"/api/", b"/healthz")):
            super().execute()
            return
        error = self.request.error
        body = json.dumps(error_body(error_code(error.code, error.reason), error.body), ensure_ascii=False).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class Channel(HTTPChannel):
    parser_class = RequestParser
    error_task_class = APIErrorTask


def make_server(app: Any, listener: socket.socket, *, threads: int) -> Any:
    """A waitress server answering ``app`` on the bound ``listener``."""
    server = create_server(app, sockets=[listener], threads=threads, ident="zhsearch")
    server.channel_class = Channel  # create_server takes no channel class; each connection reads this
    return server
