"""The Whoosh schema: the one definition of which fields an index holds and how they are analyzed."""

from __future__ import annotations

from whoosh import fields

from .analysis import AnalyzerConfig, char_analyzer, pair_analyzer, word_analyzer

SCHEMA_VERSION = 2  # the fields; how their text becomes terms is analysis.ANALYZER_VERSION
TITLE_BOOST = 2.5


def build_schema(config: AnalyzerConfig) -> fields.Schema:
    """The schema for ``config``; words rank, characters and their pairs guarantee substring recall.

    A one-character query reads ``*_chars``; a longer one is a phrase over ``*_pairs``, so only
    the pair fields need positions.
    """
    words = word_analyzer(config)
    chars = char_analyzer(config)
    pairs = pair_analyzer(config)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        path=fields.STORED(),
        title=fields.TEXT(analyzer=words, stored=True, field_boost=TITLE_BOOST, phrase=True),
        text=fields.TEXT(analyzer=words, stored=True, phrase=True),
        title_chars=fields.TEXT(analyzer=chars, phrase=False),
        text_chars=fields.TEXT(analyzer=chars, phrase=False),
        title_pairs=fields.TEXT(analyzer=pairs, phrase=True),
        text_pairs=fields.TEXT(analyzer=pairs, phrase=True),
        url=fields.STORED(),
        source=fields.ID(stored=True, sortable=True),
        author=fields.STORED(),
        categories=fields.KEYWORD(stored=True, commas=True, scorable=False),
        tags=fields.KEYWORD(stored=True, commas=True, scorable=False),
        date=fields.DATETIME(stored=True, sortable=True),
        month=fields.ID(stored=False, sortable=True),
        content_hash=fields.ID(stored=True),
        simhash=fields.STORED(),
    )
