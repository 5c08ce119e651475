"""zhsearch's core library: schema, analyzer, query parsing, ranking, snippets and typed results."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each public name and the module that defines it. They are imported on first use (PEP 562), so
# that a search process never loads the writer, merge and segment modules, nor the writer the
# query code (``python -X importtime -m zhsearch search …`` shows what a one-shot search imports).
_EXPORTS = {
    "AnalyzerConfig": "text.analysis",
    "Document": "results.document",
    "Duplicate": "results.document",
    "Hit": "results.document",
    "IndexStats": "results.document",
    "SearchPage": "results.document",
    "SearchIndex": "embedded.engine",
    "open_index": "embedded.engine",
    "DocumentNotFoundError": "errors",
    "IndexIncompatibleError": "errors",
    "IndexLockedError": "errors",
    "IndexNotFoundError": "errors",
    "InvalidArgumentError": "errors",
    "ZhsearchError": "errors",
    "IndexWriter": "embedded.writer",
    "SearchBackend": "backend",
    "DocumentSink": "backend",
}

__all__ = [
    "AnalyzerConfig",
    "Document",
    "DocumentNotFoundError",
    "Duplicate",
    "Hit",
    "IndexIncompatibleError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexStats",
    "IndexWriter",
    "InvalidArgumentError",
    "SearchIndex",
    "SearchPage",
    "ZhsearchError",
    "open_cluster",
    "open_index",
    "SearchBackend",
    "DocumentSink",
]

if TYPE_CHECKING:
    from pathlib import Path

    from .text.analysis import AnalyzerConfig
    from .backend import DocumentSink, SearchBackend
    from .results.document import Document, Duplicate, Hit, IndexStats, SearchPage
    from .embedded.engine import SearchIndex, open_index
    from .errors import (
        DocumentNotFoundError,
        IndexIncompatibleError,
        IndexLockedError,
        IndexNotFoundError,
        InvalidArgumentError,
        ZhsearchError,
    )
    from .embedded.writer import IndexWriter


def open_cluster(location: str | Path, *, require_all_shards: bool = False) -> SearchBackend:
    """Open the Xapian cluster named by the cluster file at ``location`` (see README, Past one machine)."""
    from .errors import ZhsearchError

    try:
        from .xapian_cluster import open_cluster as _open_cluster
    except ImportError as exc:
        raise ZhsearchError(f"the Xapian bindings are not installed ({exc})",
                            hint="pip install 'zhsearch[cluster]'") from None
    return _open_cluster(location, require_all_shards=require_all_shards)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
