"""The JSON API: search, documents, similar articles, completions, health and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from zhsearch.search.errors import DocumentNotFoundError, InvalidArgumentError, ZhsearchError

from .common import (body_params, error_body, error_code, get_completer, get_index, int_param, query_param,
                     search_params)
from .i18n import http_error_message, method_error_message, translate_message
from .openapi import openapi_document

bp = Blueprint("api", __name__)


def error_response(status: int, code: str, message: str) -> ResponseReturnValue:
    return jsonify(error_body(code, message)), status


@bp.errorhandler(InvalidArgumentError)
def _invalid(exc: InvalidArgumentError) -> ResponseReturnValue:
    return error_response(400, "invalid_argument", translate_message(str(exc)))


@bp.errorhandler(DocumentNotFoundError)
def _not_found(exc: DocumentNotFoundError) -> ResponseReturnValue:
    return error_response(404, "not_found", translate_message(str(exc)))


@bp.errorhandler(ZhsearchError)
def _other(exc: ZhsearchError) -> ResponseReturnValue:
    return error_response(503, "index_unavailable", str(exc))


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    if isinstance(exc, MethodNotAllowed):
        return error_response(status, "method_not_allowed", method_error_message(exc.valid_methods))
    return error_response(status, error_code(status, exc.name or ""), http_error_message(status, exc.description or ""))


@bp.get("/api/search")
def search() -> ResponseReturnValue:
    params = search_params(hint=True)
    page = get_index().search(params.q, **params.options())
    return jsonify(page.to_dict())


@bp.post("/api/search")
def search_posted() -> ResponseReturnValue:
    """The same search with its fields in a JSON body: for text too long for a URL."""
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise InvalidArgumentError("the request body is not JSON: send a JSON object of the search fields")
    params = search_params(body_params(body), max_query=current_app.config["MAX_BODY_QUERY_LENGTH"])
    page = get_index().search(params.q, **params.options())
    return jsonify(page.to_dict())


@bp.get("/api/doc/<path:doc_id>")
def document(doc_id: str) -> ResponseReturnValue:
    return jsonify(get_index().document(doc_id).to_dict())


@bp.get("/api/similar/<path:doc_id>")
def similar(doc_id: str) -> ResponseReturnValue:
    limit = int_param("limit", current_app.config["DEFAULT_LIMIT"], 1, current_app.config["MAX_LIMIT"])
    hits = get_index().similar(doc_id, limit=limit)
    return jsonify({"id": doc_id, "hits": [h.to_dict() for h in hits]})


@bp.get("/api/suggest")
def suggest() -> ResponseReturnValue:
    cfg = current_app.config
    q = query_param()
    limit = int_param("limit", cfg["DEFAULT_COMPLETIONS"], 1, cfg["MAX_COMPLETIONS"])
    completions = get_completer().complete(q, limit=limit)
    return jsonify({"query": q, "completions": [c.to_dict() for c in completions]})


@bp.get("/api/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document(current_app.config))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    index = get_index()
    body: dict[str, Any] = {"status": "ok", "documents": len(index)}
    return jsonify(body)
