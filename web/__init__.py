"""The Flask front end: a thin layer over ``search/`` serving HTML pages and the JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from zhsearch.search import SearchIndex, ZhsearchError
from zhsearch.search.queries.complete import Completer
from zhsearch.search.embedded.prepare import BackgroundPreparer

DEFAULTS: dict[str, Any] = {
    "INDEX": None,  # an open SearchIndex, or
    "INDEX_DIR": ".zhsearch/index",  # where to open one
    "MAX_QUERY_LENGTH": 500,  # q in a URL; longer text goes in the body of POST /api/search
    "MAX_BODY_QUERY_LENGTH": 20000,
    "MAX_LIMIT": 50,
    "DEFAULT_LIMIT": 10,
    "MAX_PAGE": 100,
    "DEFAULT_COMPLETIONS": 8,
    "MAX_COMPLETIONS": 20,
    "FEED_ENTRIES": 20,  # newest articles in a search's Atom feed
    "EXPORT_PAGE_SIZE": 100,  # hits fetched at a time by /export.*: what an export holds in memory
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the WSGI app; the index is opened once here and a searcher is used per request."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if config:
        app.config.from_mapping(config)
    index = app.config["INDEX"]
    if index is None:
        index = SearchIndex.open(app.config["INDEX_DIR"])
    app.extensions["zhsearch.index"] = index
    app.extensions["zhsearch.completer"] = Completer(index)
    # A table found missing or damaged by a request is computed in a child process meanwhile.
    preparer = BackgroundPreparer(index)
    app.extensions["zhsearch.preparer"] = preparer
    index.table_missing = preparer.soon

    from . import api, apidocs, i18n, outputs, pages, security

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(outputs.bp)
    app.register_blueprint(apidocs.bp)
    security.init_app(app)
    i18n.init_app(app)
    return app


def warm_up(app: Flask) -> None:
    """Load what the first requests would otherwise wait for: the analyzer, caches, the saved tables.

    Tables not saved beside the index (an index written by an older zhsearch, a damaged file)
    are computed in a child process, so that this thread does not hold the interpreter lock for
    seconds while requests arrive; until then requests are answered without them.
    """
    index: SearchIndex = app.extensions["zhsearch.index"]
    completer: Completer = app.extensions["zhsearch.completer"]
    preparer: BackgroundPreparer = app.extensions["zhsearch.preparer"]
    try:
        index.search("中国", limit=1)
        if index.missing_tables():  # reads the saved ones
            preparer.soon()
            preparer.wait()
        index.stats()
        completer.table()
    except ZhsearchError:
        pass  # the index went away: requests will report it
