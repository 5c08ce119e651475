"""A search in other forms: its Atom feed (/feed) and every hit as CSV or JSON lines (/export.*)."""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import chain
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from zhsearch.search.errors import InvalidArgumentError, ZhsearchError

from .common import get_index, search_params
from .export import all_hits, export_lines
from .i18n import page_lang
from .pages import http_url

bp = Blueprint("outputs", __name__)

EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


@bp.errorhandler(InvalidArgumentError)
def _invalid(exc: InvalidArgumentError) -> ResponseReturnValue:
    return render_template("error.html", status=400, message=str(exc), q=request.args.get("q", "")[:500]), 400


@bp.errorhandler(ZhsearchError)
def _unavailable(exc: ZhsearchError) -> ResponseReturnValue:
    return render_template("error.html", status=503, message=str(exc)), 503


@bp.app_template_global("same_search")
def same_search(endpoint: str, **extra: Any) -> str:
    """The URL of ``endpoint`` for this page's query and filters (whatever its page)."""
    args = MultiDict(request.args)
    args.pop("page", None)
    args.pop("limit", None)
    query: dict[str, Any] = {**args.to_dict(flat=False), **extra}
    return url_for(endpoint, **query)


class OriginalLink(BaseEntryExtension):
    """An entry's link to the original article, as rel="related": feedgen 1.0 writes the links of
    an entry without their rel (lkiesow/python-feedgen#135), which would make it a second alternate."""

    def __init__(self) -> None:
        self.href: str | None = None

    def extend_atom(self, entry: Any) -> Any:
        if self.href:
            xml_elem("link", entry, href=self.href, rel="related", title=gettext("原文"))
        return entry


@bp.get("/feed")
def feed() -> ResponseReturnValue:
    """The newest articles the query and filters match, as Atom 1.0."""
    params = search_params()
    options = {**params.options(), "page": 1, "limit": current_app.config["FEED_ENTRIES"], "sort": "newest",
               "facets": False, "explain": False}
    page = get_index().search(params.q, **options)
    fg = FeedGenerator()
    fg.register_extension("original", BaseExtension, OriginalLink, atom=True, rss=False)
    fg.id(same_search("outputs.feed", _external=True))
    if params.q.strip():
        fg.title(gettext("“%(q)s”的最新文章 - zhsearch", q=params.q))
    else:
        fg.title(gettext("筛选结果的最新文章 - zhsearch"))
    fg.subtitle(gettext("zhsearch 中最新的相关文章"))
    fg.author({"name": "zhsearch"})
    fg.link(href=same_search("pages.results", _external=True, sort="newest"), rel="alternate", type="text/html")
    fg.link(href=same_search("outputs.feed", _external=True), rel="self", type="application/atom+xml")
    fg.language(page_lang())
    dated = [hit for hit in page.hits if hit.date]  # an undated article is never "new"
    fg.updated(dated[0].date if dated else datetime.now(timezone.utc))
    for hit in dated:
        entry = fg.add_entry(order="append")
        view = url_for("pages.document", doc_id=hit.id, _external=True)
        entry.id(view)
        entry.title(hit.title)
        entry.link(href=view, rel="alternate", type="text/html")
        entry.original.href = http_url(hit.url)
        entry.published(hit.date)
        entry.updated(hit.date)
        entry.author({"name": hit.source or "zhsearch"})
        if hit.source:
            entry.category(term=hit.source, label=hit.source)
        entry.summary(hit.snippet, type="html")
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")


@bp.get("/export.<any(csv, jsonl):kind>")
def export(kind: str) -> ResponseReturnValue:
    """Every hit of the query, streamed one page of hits at a time."""
    params = search_params()
    options = {k: v for k, v in params.options().items() if k not in ("page", "limit", "explain")}
    hits = all_hits(get_index(), params.q, page_size=current_app.config["EXPORT_PAGE_SIZE"], **options)
    lines = export_lines(hits, kind)
    if kind == "csv":
        lines = chain(["\ufeff"], lines)  # spreadsheets read a CSV as UTF-8 only after this mark
    return Response(lines, mimetype=EXPORT_TYPES[kind],
                    headers={"Content-Disposition": f"attachment; filename=zhsearch.{kind}"})
