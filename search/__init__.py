"""zhsearch's core library: schema, analyzer, query parsing, ranking, snippets and typed results."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each public name and the module that defines it. They are imported on first use (PEP 562), so
# that a search process never loads the writer, merge and segment modules, nor the writer the
# query code (``python -X importtime -m zhsearch search …`` shows what a one-shot search imports).
_EXPORTS = {
    "AnalyzerConfig": "analysis",
    "Document": "document",
    "Duplicate": "document",
    "Hit": "document",
    "IndexStats": "document",
    "SearchPage": "document",
    "SearchIndex": "engine",
    "open_index": "engine",
    "DocumentNotFoundError": "errors",
    "IndexIncompatibleError": "errors",
    "IndexLockedError": "errors",
    "IndexNotFoundError": "errors",
    "InvalidArgumentError": "errors",
    "ZhsearchError": "errors",
    "IndexWriter": "writer",
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
    "open_index",
]

if TYPE_CHECKING:
    from .analysis import AnalyzerConfig
    from .document import Document, Duplicate, Hit, IndexStats, SearchPage
    from .engine import SearchIndex, open_index
    from .errors import (
        DocumentNotFoundError,
        IndexIncompatibleError,
        IndexLockedError,
        IndexNotFoundError,
        InvalidArgumentError,
        ZhsearchError,
    )
    from .writer import IndexWriter


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
