"""Security headers on every response, and JSON 404s for unknown API paths."""

from __future__ import annotations

from flask import Flask, Response, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .api import error_response
from .common import error_code
from .i18n import http_error_message, method_error_message

CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        if request.path.startswith("/api/") or request.path == "/healthz":
            status = exc.code or 500
            if isinstance(exc, MethodNotAllowed):
                return error_response(status, "method_not_allowed", method_error_message(exc.valid_methods))
            return error_response(status, error_code(status, exc.name or ""), http_error_message(status, exc.description or ""))
        from flask import render_template

        return render_template("error.html", status=exc.code,
                               message=http_error_message(exc.code or 500, exc.description or "")), exc.code or 500
