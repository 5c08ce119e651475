"""The Whoosh schema: the one definition of which fields an index holds and how they are analyzed."""

from __future__ import annotations

from typing import Any

from whoosh import fields, formats

from ..text.analysis import AnalyzerConfig, char_analyzer, pair_analyzer, word_analyzer

# The fields; how their text becomes terms is analysis.ANALYZER_VERSION. 3: positions are
# stored as CompactPositions (2 stored Whoosh's Positions).
SCHEMA_VERSION = 3
TITLE_BOOST = 2.5


class CompactPositions(formats.Positions):
    """Whoosh's ``Positions``, each posting's value kept as plain integers instead of bytes.

    ``Positions`` encodes a posting as its frequency (4 bytes) and the pickled list of position
    deltas, and the W3 codec pickles that bytes object again inside its block: about 30 bytes a
    posting before compression, most of a character-pair index. Here the value is the position
    itself (one occurrence, most postings) or the tuple of position deltas, which the block's
    pickle stores in 2 to 5 bytes a number. Frequencies, weights and positions decode the same
    (the posting's frequency is its number of positions), so hits and scores are unchanged.
    Whoosh's readers decode these values through this class (pickled with the schema); Whoosh's
    own writer accepts only bytes values, so only :class:`search.embedded.segments.SegmentBuilder` writes it.
    """

    def encode(self, poslist: Any) -> Any:
        poslist = list(poslist)
        if len(poslist) == 1:
            return int(poslist[0])
        return tuple(pos - prev for pos, prev in zip(poslist, [0, *poslist[:-1]]))

    def decode_positions(self, value: Any) -> list[int]:
        if isinstance(value, int):
            return [value]
        positions = []
        position = 0
        for delta in value:
            position += delta
            positions.append(position)
        return positions

    def decode_frequency(self, value: Any) -> int:
        return 1 if isinstance(value, int) else len(value)

    def decode_weight(self, value: Any) -> float:
        return self.decode_frequency(value) * self.field_boost

    def combine(self, vs: Any) -> Any:
        found: set[int] = set()
        for v in vs:
            found.update(self.decode_positions(v))
        return self.encode(sorted(found))


def _with_positions(field: fields.TEXT, positions: type[formats.Positions]) -> fields.TEXT:
    """``field`` (a TEXT field with phrase=True) storing its positions as ``positions`` does."""
    if type(field.format) is not positions:
        field.format = positions(field_boost=field.format.field_boost)
    return field


def build_schema(config: AnalyzerConfig, *, positions: type[formats.Positions] = CompactPositions) -> fields.Schema:
    """The schema for ``config``; words rank, characters and their pairs guarantee substring recall.

    A one-character query reads ``*_chars``; a longer one is a phrase over ``*_pairs``, so only
    the pair fields need positions (the word fields' positions serve the long queries' neighbour
    bonuses). ``positions`` is the format of the fields with positions: :class:`CompactPositions`,
    or Whoosh's own ``formats.Positions`` for an index Whoosh's writer can write too (the tests
    that compare the segment writer with Whoosh's).
    """
    words = word_analyzer(config)
    chars = char_analyzer(config)
    pairs = pair_analyzer(config)
    schema = fields.Schema(
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
    for name in ("title", "text", "title_pairs", "text_pairs"):
        _with_positions(schema[name], positions)
    return schema
