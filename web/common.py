"""Request plumbing shared by the page and API blueprints: the index, parameters, limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, request

from search import SearchIndex
from search.complete import Completer
from search.errors import InvalidArgumentError

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


def int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidArgumentError(f"{name} must be a whole number, not {raw[:40]!r}") from None
    if not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be between {low} and {high}, not {value}")
    return value


def query_param() -> str:
    """The ``q`` parameter, at most MAX_QUERY_LENGTH characters long."""
    limit = current_app.config["MAX_QUERY_LENGTH"]
    q = request.args.get("q", "")
    if len(q) > limit:
        raise InvalidArgumentError(f"the query is longer than {limit} characters")
    return q.replace("\x00", "")


def search_params() -> SearchParams:
    """The search parameters of this request, validated against the app's limits."""
    cfg = current_app.config
    return SearchParams(
        q=query_param(),
        page=int_param("page", 1, 1, cfg["MAX_PAGE"]),
        limit=int_param("limit", cfg["DEFAULT_LIMIT"], 1, cfg["MAX_LIMIT"]),
        explain=_flag("explain", False),
        source=_list_param("source"),
        category=_list_param("category"),
        tag=_list_param("tag"),
        since=request.args.get("since", "")[:40] or None,
        until=request.args.get("until", "")[:40] or None,
        month=request.args.get("month", "")[:40] or None,
        sort=request.args.get("sort", "") or "relevance",
        dedup=_flag("dedup", True),
    )


def _flag(name: str, default: bool) -> bool:
    raw = request.args.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def _list_param(name: str) -> tuple[str, ...]:
    """A repeatable parameter (``?source=a&source=b``); empty values are dropped."""
    return tuple(v[:200] for v in request.args.getlist(name) if v.strip())[:20]
