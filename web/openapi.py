"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhsearch.search.embedded.store import zhsearch_version

from .common import ERROR_CODES

_NULLABLE_STRING = {"type": ["string", "null"]}
_DATE = {"type": ["string", "null"], "format": "date-time", "description": "ISO 8601 in UTC; null when the article has no date"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _query(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema, **extra}


def _strings(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description + " (the first 20, each cut at 200 characters)"}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def openapi_document(config: Mapping[str, Any]) -> dict[str, Any]:
    """The API's description, with the limits this app enforces (``MAX_LIMIT``, ``MAX_PAGE``…)."""
    id_parameter = {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "the article's id: its path relative to the indexed folder, percent-encoded",
        "schema": {"type": "string", "minLength": 1},
    }
    limit = _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": config["MAX_LIMIT"], "default": config["DEFAULT_LIMIT"]},
        "results per page",
    )
    errors = {
        "400": _error("a parameter is malformed or out of its range (`invalid_argument`)"),
        "405": _error("the address does not answer this method: every one answers GET, /api/search also POST "
                      "(`method_not_allowed`)"),
        "503": _error("the index cannot be read (`index_unavailable`)"),
    }
    search_parameters = [
        _query(
            "q",
            {"type": "string", "maxLength": config["MAX_QUERY_LENGTH"], "default": ""},
            "the query: words (AND), `OR`, `-word` / `NOT`, `\"a phrase\"`, parentheses, "
            "`title:`, `source:`, `category:`, `tag:`, `date:`, `since:`, `until:`; empty lists every article, newest first",
        ),
        _query("page", {"type": "integer", "minimum": 1, "maximum": config["MAX_PAGE"], "default": 1}, "page number"),
        limit,
        _query("source", _strings("outlets (any of them)"), "keep only these outlets; repeat for several", explode=True),
        _query("category", _strings("categories or tags (any)"), "keep only these categories or tags; repeatable", explode=True),
        _query("tag", _strings("tags (any)"), "keep only these tags; repeatable", explode=True),
        _query("since", {"type": "string"}, "first day included: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; "
               "anything else is ignored with a warning"),
        _query("until", {"type": "string"}, "last day included, same forms as `since`"),
        _query("month", {"type": "string"}, "one month, `YYYY-MM`"),
        _query("sort", {"type": "string", "enum": ["relevance", "newest", "oldest"], "default": "relevance"}, "order of the hits"),
        _query("dedup", {"type": "boolean", "default": True}, "collapse copies of one article into one hit "
               "(`false`, `0`, `no` or `off` turns it off)"),
        _query("explain", {"type": "boolean", "default": False}, "add `explain`: how the query was analyzed"),
    ]
    many = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    search_body = {
        "type": "object",
        "additionalProperties": False,
        "description": "the fields of GET /api/search's parameters, with their meanings and limits; `q` up to "
        f"{config['MAX_BODY_QUERY_LENGTH']} characters (a pasted article or paragraph)",
        "properties": {
            "q": {"type": "string", "maxLength": config["MAX_BODY_QUERY_LENGTH"], "default": ""},
            "page": {"type": ["integer", "string"], "default": 1},
            "limit": {"type": ["integer", "string"], "default": config["DEFAULT_LIMIT"]},
            "source": many,
            "category": many,
            "tag": many,
            "since": {"type": "string"},
            "until": {"type": "string"},
            "month": {"type": "string"},
            "sort": {"type": "string", "enum": ["relevance", "newest", "oldest"], "default": "relevance"},
            "dedup": {"type": ["boolean", "string"], "default": True},
            "explain": {"type": ["boolean", "string"], "default": False},
        },
    }
    schemas = {
        "SearchRequest": search_body,
        "Error": _object(
            {
                "error": _object(
                    {
                        "code": {
                            "type": "string",
                            "enum": list(ERROR_CODES),
                        },
                        "message": {"type": "string"},
                    }
                )
            },
            "every error, with a 4xx or 5xx status",
        ),
        "Duplicate": _object(
            {"id": {"type": "string"}, "title": {"type": "string"}, "source": _NULLABLE_STRING, "date": _DATE},
            "another copy of a hit's article",
        ),
        "Hit": _object(
            {
                "id": {"type": "string"},
                "path": {"type": "string"},
                "title": {"type": "string", "description": "plain text (escape it before showing it as HTML)"},
                "title_html": {"type": "string", "description": "HTML-safe: escaped, matches in `<mark>`"},
                "url": {"type": ["string", "null"], "description": "the original article (http or https), or null"},
                "source": _NULLABLE_STRING,
                "date": _DATE,
                "score": {"type": "number", "description": "BM25F relevance; 0 when sorted by date"},
                "snippet": {"type": "string", "description": "HTML-safe: escaped, matches in `<mark>`"},
                "duplicates": {"type": "array", "items": _ref("Duplicate")},
            },
            "one ranked result",
        ),
        "Counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}},
        "SearchPage": {
            **_object(
                {
                    "query": {"type": "string"},
                    "total": {"type": "integer", "minimum": 0, "description": "matches (groups of copies with dedup)"},
                    "total_counting": {"type": "string", "enum": ["groups", "documents"]},
                    "page": {"type": "integer", "minimum": 1},
                    "limit": {"type": "integer", "minimum": 1},
                    "hits": {"type": "array", "items": _ref("Hit")},
                    "facets": {
                        "type": "object",
                        "properties": {"source": _ref("Counts"), "category": _ref("Counts"), "month": _ref("Counts")},
                        "additionalProperties": False,
                        "description": "documents per outlet, category/tag and month (`YYYY-MM`) over every match",
                    },
                    "facet_counting": {"const": "documents"},
                    "warnings": {"type": "array", "items": {"type": "string"}, "description": "what was ignored and why"},
                    "suggestions": {"type": "array", "items": {"type": "string"}, "description": "queries that find more"},
                    "explain": {"type": "object", "description": "with `explain=1`: the analyzed query"},
                },
                "one page of results",
            ),
            "required": ["query", "total", "total_counting", "page", "limit", "hits", "facets", "facet_counting",
                         "warnings", "suggestions"],
        },
        "Document": _object(
            {
                "id": {"type": "string"},
                "path": {"type": "string"},
                "title": {"type": "string"},
                "url": {"type": ["string", "null"]},
                "source": _NULLABLE_STRING,
                "author": _NULLABLE_STRING,
                "categories": {"type": "array", "items": {"type": "string"}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "date": _DATE,
                "text": {"type": "string", "description": "the cleaned text, paragraphs separated by a blank line"},
            },
            "one cleaned article (plain text: escape it before showing it as HTML)",
        ),
        "Similar": _object({"id": {"type": "string"}, "hits": {"type": "array", "items": _ref("Hit")}}),
        "Completion": _object(
            {
                "text": {"type": "string", "description": "the query with its last word completed, or a title"},
                "kind": {"type": "string", "enum": ["word", "title"]},
                "documents": {"type": "integer", "minimum": 1, "description": "articles with the word"},
                "id": {"type": ["string", "null"], "description": "the article of a title completion"},
            }
        ),
        "Completions": _object(
            {"query": {"type": "string"}, "completions": {"type": "array", "items": _ref("Completion")}}
        ),
        "Health": _object({"status": {"const": "ok"}, "documents": {"type": "integer", "minimum": 0}}),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "zhsearch",
            "version": zhsearch_version(),
            "description": "Full-text search over an archive of Chinese news articles. Every response is JSON; "
            'errors are `{"error": {"code", "message"}}` with a 4xx or 5xx status.',
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "ranked hits with snippets, facets, warnings and suggestions",
                    "parameters": search_parameters,
                    "responses": {
                        "200": _json(_ref("SearchPage"), "one page of results"),
                        **errors,
                        "400": _error("a parameter is malformed or out of its range, or `q` is longer than "
                                      f"{config['MAX_QUERY_LENGTH']} characters: send longer text with POST "
                                      "(`invalid_argument`)"),
                    },
                },
                "post": {
                    "operationId": "searchPosted",
                    "summary": "the same search, its fields in a JSON body: for text too long for a URL",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("SearchRequest")}}},
                    "responses": {
                        "200": _json(_ref("SearchPage"), "one page of results"),
                        **errors,
                        "400": _error("the body is not a JSON object of the search fields, or a field is malformed "
                                      "or out of its range (`invalid_argument`)"),
                    },
                },
            },
            "/api/doc/{id}": {
                "get": {
                    "operationId": "document",
                    "summary": "one cleaned article",
                    "parameters": [id_parameter],
                    "responses": {
                        "200": _json(_ref("Document"), "the article"),
                        "404": _error("no article has this id (`not_found`)"),
                        "405": errors["405"],
                        "503": errors["503"],
                    },
                }
            },
            "/api/similar/{id}": {
                "get": {
                    "operationId": "similar",
                    "summary": "the articles most like this one (itself and its copies left out)",
                    "parameters": [id_parameter, limit],
                    "responses": {
                        "200": _json(_ref("Similar"), "the similar articles, most similar first"),
                        "404": _error("no article has this id (`not_found`)"),
                        **errors,
                    },
                }
            },
            "/api/suggest": {
                "get": {
                    "operationId": "suggest",
                    "summary": "completions of a partly typed query: frequent words, then titles",
                    "parameters": [
                        _query("q", {"type": "string", "maxLength": config["MAX_QUERY_LENGTH"], "default": ""},
                               "what has been typed so far"),
                        _query(
                            "limit",
                            {"type": "integer", "minimum": 1, "maximum": config["MAX_COMPLETIONS"],
                             "default": config["DEFAULT_COMPLETIONS"]},
                            "most completions returned",
                        ),
                    ],
                    "responses": {"200": _json(_ref("Completions"), "the completions, best first"), **errors},
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "liveness: the index is open and readable",
                    "responses": {
                        "200": _json(_ref("Health"), "the server can answer queries"),
                        "405": errors["405"],
                        "503": errors["503"],
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "this document",
                    "responses": {
                        "200": _json({"type": "object", "required": ["openapi", "paths"]}, "the OpenAPI 3.1 document"),
                        "405": errors["405"],
                    },
                }
            },
        },
        "components": {"schemas": schemas},
    }
