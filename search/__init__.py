"""zhsearch's core library: schema, analyzer, query parsing, ranking, snippets and typed results."""

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
