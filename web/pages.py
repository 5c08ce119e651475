"""The HTML pages: home with the search box, results, and the article view."""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Blueprint, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from flask.typing import ResponseReturnValue

from zhsearch.search.results.document import heading_level
from zhsearch.search.errors import DocumentNotFoundError, InvalidArgumentError, ZhsearchError
from zhsearch.search.text.normalize import fold

from .common import get_index, search_params
from .timeline import timeline

bp = Blueprint("pages", __name__)
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile("[A-Za-z]{3}")


@bp.app_template_filter("http_url")
def http_url(url: str | None) -> str | None:
    """Only http(s) links are ever rendered as links."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


@bp.app_template_filter("lang")
def lang(text: str) -> str:
    """The lang attribute for ``text``: traditional or simplified Chinese, or English without any Han."""
    if not _HAN.search(text):
        return "en" if _LATIN.search(text) else "zh-Hans"
    return "zh-Hant" if fold(text, simplify=True) != fold(text, simplify=False) else "zh-Hans"


@bp.errorhandler(ZhsearchError)
def _unavailable(exc: ZhsearchError) -> ResponseReturnValue:
    return render_template("error.html", status=503, message=str(exc)), 503


@bp.get("/")
def home() -> ResponseReturnValue:
    index = get_index()
    return render_template("home.html", stats=index.stats())


@bp.app_template_global("url_with")
def url_with(**changes: Any) -> str:
    """This page's URL with some parameters replaced, added (``add_x``) or removed (``drop_x``)."""
    args = MultiDict(request.args)
    for key, value in changes.items():
        if key.startswith("add_"):
            name = key[4:]
            if value not in args.getlist(name):
                args.add(name, value)
        elif key.startswith("drop_"):
            name = key[5:]
            args.setlist(name, [v for v in args.getlist(name) if v != value])
        elif value is None:
            args.pop(key, None)
        else:
            args[key] = value
    if "page" not in changes:
        args.pop("page", None)  # a new filter or order starts again at page one
    query: dict[str, Any] = args.to_dict(flat=False)
    return url_for("pages.results", **query)


FILTERS = ("source", "category", "tag", "month", "since", "until")
SIMILAR_SHOWN = 5


@bp.get("/search")
def results() -> ResponseReturnValue:
    try:
        params = search_params()
    except InvalidArgumentError as exc:
        return render_template("error.html", status=400, message=str(exc), q=request.args.get("q", "")[:500]), 400
    active = [(name, value) for name in FILTERS for value in request.args.getlist(name) if value]
    if not params.q.strip() and not active:
        return home()
    index = get_index()
    started = time.perf_counter()
    try:
        page = index.search(params.q, **params.options())
    except InvalidArgumentError as exc:
        return render_template("error.html", status=400, message=str(exc), q=params.q), 400
    elapsed_ms = (time.perf_counter() - started) * 1000
    overview = {**params.options(), "page": 1, "limit": 1, "dedup": False, "explain": False}
    months = page.facets.get("month", {})
    if params.month:
        # The timeline keeps every month of the query, so that another month can be picked.
        months = index.search(params.q, **{**overview, "month": None}).facets.get("month", {})
    explain = page.explain
    if page.total == 0 and params.q.strip() and explain is None:
        explain = index.search(params.q, **{**overview, "explain": True}).explain
    return render_template("results.html", q=params.q, page=page, elapsed_ms=elapsed_ms, active=active,
                           sort=params.sort, month=params.month, timeline=timeline(months), explain=explain,
                           since=request.args.get("since", "")[:40], until=request.args.get("until", "")[:40])


@bp.get("/doc/<path:doc_id>")
def document(doc_id: str) -> ResponseReturnValue:
    q = request.args.get("q", "")[:500]
    index = get_index()
    try:
        doc = index.document(doc_id)
    except DocumentNotFoundError as exc:
        return render_template("error.html", status=404, message=str(exc), q=q), 404
    # (level, highlighted HTML): a subheading (``## …``) is shown as <h2>-<h4>, the rest as <p>.
    paragraphs = [(level, index.highlight(text, q)) for level, text in map(heading_level, doc.text.split("\n\n")) if text.strip()]
    similar = index.similar(doc_id, limit=SIMILAR_SHOWN)
    return render_template("doc.html", doc=doc, q=q, title_html=index.highlight(doc.title, q), paragraphs=paragraphs,
                           similar=similar)
