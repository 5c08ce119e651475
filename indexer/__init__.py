"""Reading archives of articles (front matter dialects, HTML cleaning, dates, sources) into an index."""

from .article import ParsedArticle, SkipArticle, parse_article, read_article
from .build import FileOutcome, IndexReport, NothingIndexedError, build_index, discover, parse_archive
from .clean import clean_body
from .fingerprint import hamming, simhash

__all__ = [
    "FileOutcome",
    "IndexReport",
    "NothingIndexedError",
    "ParsedArticle",
    "SkipArticle",
    "build_index",
    "clean_body",
    "discover",
    "hamming",
    "parse_archive",
    "parse_article",
    "read_article",
    "simhash",
]
