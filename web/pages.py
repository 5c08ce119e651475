"""The HTML pages: home with the search box, results, and the article view."""

from __future__ import annotations

import time

from flask import Blueprint, render_template, request
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


@bp.get("/search")
def results() -> ResponseReturnValue:
    try:
        params = search_params()
    except InvalidArgumentError as exc:
        return render_template("error.html", status=400, message=str(exc), q=request.args.get("q", "")[:500]), 400
    if not params.q.strip():
        return home()
    started = time.perf_counter()
    page = get_index().search(params.q, page=params.page, limit=params.limit)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return render_template("results.html", q=params.q, page=page, elapsed_ms=elapsed_ms)


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
