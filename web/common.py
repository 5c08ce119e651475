"""Request plumbing shared by the page and API blueprints: the index, parameters, limits."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

from search import SearchIndex
from search.errors import InvalidArgumentError


def get_index() -> SearchIndex:
    """The app's index, switched to a newer generation if one was published since."""
    index: SearchIndex = current_app.extensions["zhsearch.index"]
    index.refresh()
    return index


@dataclass(frozen=True)
class SearchParams:
    q: str
    page: int
    limit: int
    explain: bool = False


def _int_param(name: str, default: int, low: int, high: int) -> int:
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


def search_params() -> SearchParams:
    """The search parameters of this request, validated against the app's limits."""
    cfg = current_app.config
    q = request.args.get("q", "")
    if len(q) > cfg["MAX_QUERY_LENGTH"]:
        raise InvalidArgumentError(f"the query is longer than {cfg['MAX_QUERY_LENGTH']} characters")
    return SearchParams(
        q=q.replace("\x00", ""),
        page=_int_param("page", 1, 1, cfg["MAX_PAGE"]),
        limit=_int_param("limit", cfg["DEFAULT_LIMIT"], 1, cfg["MAX_LIMIT"]),
        explain=request.args.get("explain", "").lower() in {"1", "true", "yes", "on"},
    )
