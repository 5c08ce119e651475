"""Request plumbing shared by the page and API blueprints: the index, parameters, limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from flask import current_app, request
from werkzeug.datastructures import MultiDict

from zhsearch.search import SearchIndex
from zhsearch.search.queries.complete import Completer
from zhsearch.search.errors import InvalidArgumentError

# Every "code" of an API error (the OpenAPI document lists these).
ERROR_CODES = ("invalid_argument", "not_found", "method_not_allowed", "index_unavailable", "bad_request",
               "request_too_large", "internal_server_error")


def error_code(status: int, name: str) -> str:
    """The documented code of an HTTP error: its name when that is one (``Not Found``), else its kind."""
    code = name.lower().replace(" ", "_")
    if code in ERROR_CODES:
        return code
    if status in (413, 414, 431):
        return "request_too_large"
    return "bad_request" if status < 500 else "internal_server_error"


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def get_index() -> SearchIndex:
    """The app's index, switched to a newer generation if one was published since."""
    index: SearchIndex = current_app.extensions["zhsearch.index"]
    index.refresh()
    return index


def get_completer() -> Completer:
    """The app's completions, for the same index as :func:`get_index`."""
    get_index()
    completer: Completer = current_app.extensions["zhsearch.completer"]
    return completer


@dataclass(frozen=True)
class SearchParams:
    q: str
    page: int
    limit: int
    explain: bool = False
    source: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    month: str | None = None
    sort: str = "relevance"
    dedup: bool = True

    def options(self) -> dict[str, Any]:
        """The keyword options of :meth:`search.SearchIndex.search` these parameters ask for."""
        return {
            "page": self.page,
            "limit": self.limit,
            "explain": self.explain,
            "source": self.source,
            "category": self.category,
            "tag": self.tag,
            "since": self.since,
            "until": self.until,
            "month": self.month,
            "sort": self.sort,
            "dedup": self.dedup,
        }


def int_param(name: str, default: int, low: int, high: int, args: Mapping[str, str] | None = None) -> int:
    raw = (request.args if args is None else args).get(name, "")
    if raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidArgumentError(f"{name} must be a whole number, not {raw[:40]!r}") from None
    if not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be between {low} and {high}, not {value}")
    return value


def query_param(args: Mapping[str, str] | None = None, *, limit: int | None = None, hint: bool = False) -> str:
    """The ``q`` parameter, at most ``limit`` (MAX_QUERY_LENGTH) characters long; with ``hint``, the
    error says that longer text goes in the body of a POST."""
    limit = current_app.config["MAX_QUERY_LENGTH"] if limit is None else limit
    q = (request.args if args is None else args).get("q", "")
    if len(q) > limit:
        if hint:
            raise InvalidArgumentError(
                f"the query is longer than {limit} characters: send it as POST /api/search with a JSON body")
        raise InvalidArgumentError(f"the query is longer than {limit} characters")
    return q.replace("\x00", "")


def search_params(args: MultiDict[str, str] | None = None, *, max_query: int | None = None,
                  hint: bool = False) -> SearchParams:
    """The search parameters of this request (or of ``args``: a POST body's), validated against the
    app's limits."""
    cfg = current_app.config
    args = request.args if args is None else args
    return SearchParams(
        q=query_param(args, limit=max_query, hint=hint),
        page=int_param("page", 1, 1, cfg["MAX_PAGE"], args),
        limit=int_param("limit", cfg["DEFAULT_LIMIT"], 1, cfg["MAX_LIMIT"], args),
        explain=_flag("explain", False, args),
        source=_list_param("source", args),
        category=_list_param("category", args),
        tag=_list_param("tag", args),
        since=args.get("since", "")[:40] or None,
        until=args.get("until", "")[:40] or None,
        month=args.get("month", "")[:40] or None,
        sort=args.get("sort", "") or "relevance",
        dedup=_flag("dedup", True, args),
    )


BODY_FIELDS = tuple(f.name for f in fields(SearchParams))


def body_params(body: Any) -> MultiDict[str, str]:
    """A JSON body's search fields as query parameters: the same names, values and checks as GET's."""
    if not isinstance(body, dict):
        raise InvalidArgumentError(
            f"the request body must be a JSON object of the search fields ({', '.join(BODY_FIELDS)})")
    args: MultiDict[str, str] = MultiDict()
    for name, value in body.items():
        if name not in BODY_FIELDS:
            raise InvalidArgumentError(
                f"unknown field {str(name)[:40]!r} in the request body; the fields are {', '.join(BODY_FIELDS)}")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                args.add(name, "true" if item else "false")
            elif isinstance(item, (str, int)) and (name != "q" or isinstance(item, str)):
                args.add(name, str(item))
            elif item is not None:
                raise InvalidArgumentError(f"the field {name} must be a string, a whole number, true or false, "
                                           "or a list of strings")
    if len(args.getlist("q")) > 1:
        raise InvalidArgumentError("the field q must be one string")
    return args


def _flag(name: str, default: bool, args: Mapping[str, str]) -> bool:
    raw = args.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def _list_param(name: str, args: MultiDict[str, str]) -> tuple[str, ...]:
    """A repeatable parameter (``?source=a&source=b``); empty values are dropped."""
    return tuple(v[:200] for v in args.getlist(name) if v.strip())[:20]
