"""Reading archives of articles (front matter dialects, HTML cleaning, dates, sources) into an index."""

from .article import ParsedArticle, SkipArticle, parse_article, read_article
from .build import (
    FileOutcome,
    IndexReport,
    NothingIndexedError,
    Progress,
    StrictBuildError,
    build_index,
    discover,
    parse_archive,
)
from .clean import clean_body
from .fingerprint import hamming, simhash
from .update import CheckReport, UpdateReport, check_index, update_index

__all__ = [
    "CheckReport",
    "FileOutcome",
    "IndexReport",
    "NothingIndexedError",
    "ParsedArticle",
    "Progress",
    "SkipArticle",
    "StrictBuildError",
    "UpdateReport",
    "build_index",
    "check_index",
    "clean_body",
    "discover",
    "hamming",
    "parse_archive",
    "parse_article",
    "read_article",
    "simhash",
    "update_index",
]
