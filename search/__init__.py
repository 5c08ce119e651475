"""zhsearch's core library: schema, analyzer, query parsing, ranking, snippets and typed results."""

from pathlib import Path

from .analysis import AnalyzerConfig
from .backend import DocumentSink, SearchBackend
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
    "open_cluster",
    "open_index",
    "SearchBackend",
    "DocumentSink",
]


def open_cluster(location: str | Path, *, require_all_shards: bool = False) -> SearchBackend:
    """Open the Xapian cluster named by the cluster file at ``location`` (see README, Past one machine)."""
    try:
        from .xapian_cluster import open_cluster as _open_cluster
    except ImportError as exc:
        raise ZhsearchError(f"the Xapian bindings are not installed ({exc})",
                            hint="pip install 'zhsearch[cluster]'") from None
    return _open_cluster(location, require_all_shards=require_all_shards)
