"""The HTML pages: home with the search box, results, and the article view."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from flask.typing import ResponseReturnValue

from search.errors import DocumentNotFoundError, InvalidArgumentError

from .common import get_index, search_params

bp = Blueprint("pages", __name__)


@bp.app_template_filter("http_url")
def http_url(url: str | None) -> str | None:
    """Only http(s) links are ever rendered as links."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


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


@bp.get("/search")
def results() -> ResponseReturnValue:
    try:
        params = search_params()
    except InvalidArgumentError as exc:
        return render_template("error.html", status=400, message=str(exc), q=request.args.get("q", "")[:500]), 400
    active = [(name, value) for name in FILTERS for value in request.args.getlist(name) if value]
    if not params.q.strip() and not active:
        return home()
    started = time.perf_counter()
    try:
        page = get_index().search(params.q, **params.options())
    except InvalidArgumentError as exc:
        return render_template("error.html", status=400, message=str(exc), q=params.q), 400
    elapsed_ms = (time.perf_counter() - started) * 1000
    return render_template("results.html", q=params.q, page=page, elapsed_ms=elapsed_ms, active=active,
                           sort=params.sort)


@bp.get("/doc/<path:doc_id>")
def document(doc_id: str) -> ResponseReturnValue:
    q = request.args.get("q", "")[:500]
    try:
        doc = get_index().document(doc_id)
    except DocumentNotFoundError as exc:
        return render_template("error.html", status=404, message=str(exc), q=q), 404
    index = get_index()
    paragraphs = [index.highlight(p, q) for p in doc.text.split("\n\n")]
    return render_template("doc.html", doc=doc, q=q, title_html=index.highlight(doc.title, q), paragraphs=paragraphs)
