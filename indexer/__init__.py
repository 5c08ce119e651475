"""Reading archives of articles (front matter dialects, HTML cleaning, dates, sources) into an index."""

from .article import ParsedArticle, SkipArticle, parse_article, read_article
from .build import IndexReport, NothingIndexedError, build_index, discover
from .clean import clean_body

__all__ = [
    "IndexReport",
    "NothingIndexedError",
    "ParsedArticle",
    "SkipArticle",
    "build_index",
    "clean_body",
    "discover",
    "parse_article",
    "read_article",
]
