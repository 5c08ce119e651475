"""Lenient query parsing: user text to a Whoosh query, the strings to highlight, and warnings.

Syntax: space-separated terms are ANDed; ``OR`` between two terms makes either enough;
``-term`` or ``NOT term`` excludes; ``"…"`` is an exact phrase. Every term must occur as a
contiguous string of the (normalized) title or text, which the character fields guarantee;
word-level matches in the jieba fields add to the score, so whole words rank first.
A malformed query is never an error: what cannot be used is reported in ``warnings``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as wq

from .analysis import AnalyzerConfig, CharTokenizer, WordTokenizer
from .normalize import fold

MAX_QUERY_CHARS = 1000
WORD_BOOST = 4.0
CHAR_BOOST = 0.25

_TOKEN = re.compile(r'"[^"]*"?|\S+')


@dataclass
class ParsedQuery:
    """What :func:`parse_query` made of the user's text."""

    query: wq.Query
    needles: list[str] = field(default_factory=list)  # normalized strings to highlight
    warnings: list[str] = field(default_factory=list)
    empty: bool = False


@dataclass
class _Clause:
    text: str
    negated: bool = False
    phrase: bool = False


class QueryBuilder:
    """Turns user text into Whoosh queries with the index's own analyzer configuration."""

    def __init__(self, config: AnalyzerConfig) -> None:
        self.config = config
        self._words = WordTokenizer(config)
        self._chars = CharTokenizer(config)

    def term_query(self, text: str) -> wq.Query | None:
        """Documents containing ``text`` contiguously (after normalization), words ranked up."""
        chars = [t.text for t in self._chars(text)]
        if not chars:
            return None
        recall = wq.Or([_sequence(fieldname, chars) for fieldname in ("title_chars", "text_chars")])
        recall.boost = CHAR_BOOST
        words = [t.text for t in self._words(text)]
        if not words:
            return recall
        ranking = wq.Or([_sequence(fieldname, words) for fieldname in ("title", "text")])
        ranking.boost = WORD_BOOST
        return wq.AndMaybe(recall, ranking)

    def parse(self, text: str) -> ParsedQuery:
        warnings: list[str] = []
        if len(text) > MAX_QUERY_CHARS:
            warnings.append(f"the query was cut to its first {MAX_QUERY_CHARS} characters")
            text = text[:MAX_QUERY_CHARS]
        groups: list[list[_Clause]] = []  # OR-groups, ANDed together
        join_next = False
        negate_next = False
        for raw in _TOKEN.findall(text):
            if raw == "OR":
                join_next = bool(groups)
                continue
            if raw == "NOT":
                negate_next = True
                continue
            clause = _Clause(raw)
            if raw.startswith("-") and len(raw) > 1:
                clause = _Clause(raw[1:], negated=True)
            if clause.text.startswith('"'):
                if not clause.text.endswith('"') or len(clause.text) == 1:
                    warnings.append("an unclosed quote was closed at the end of the query")
                clause = _Clause(clause.text.strip('"'), negated=clause.negated, phrase=True)
            clause.negated = clause.negated or negate_next
            negate_next = False
            if join_next and not clause.negated and not groups[-1][0].negated:
                groups[-1].append(clause)
            else:
                groups.append([clause])
            join_next = False
        if join_next or negate_next:
            warnings.append("a trailing OR/NOT had nothing after it and was ignored")

        required: list[wq.Query] = []
        excluded: list[wq.Query] = []
        needles: list[str] = []
        for group in groups:
            alternatives: list[wq.Query] = []
            for clause in group:
                q = self.term_query(clause.text)
                if q is None:
                    if clause.text.strip():
                        warnings.append(f"ignored “{clause.text}”: it has no letters, digits or characters")
                    continue
                alternatives.append(q)
                if not clause.negated:
                    needles.extend(n for n in fold(clause.text, simplify=self.config.simplify).split() if n)
            if not alternatives:
                continue
            combined = alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)
            (excluded if group[0].negated else required).append(combined)

        if not required:
            if excluded:
                warnings.append("a query of only exclusions matches everything else")
            base: wq.Query = wq.Every()
            empty = not excluded
        else:
            base = required[0] if len(required) == 1 else wq.And(required)
            empty = False
        if excluded:
            base = wq.AndNot(base, wq.Or(excluded))
        return ParsedQuery(base, needles=needles, warnings=warnings, empty=empty)


def _sequence(fieldname: str, tokens: list[str]) -> wq.Query:
    if len(tokens) == 1:
        return wq.Term(fieldname, tokens[0])
    return wq.Phrase(fieldname, tokens)
