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
from typing import Any

from whoosh import query as wq

from .analysis import AnalyzerConfig, CharTokenizer, WordTokenizer
from .normalize import script_variants

MAX_QUERY_CHARS = 1000
WORD_BOOST = 4.0
CHAR_BOOST = 0.25
VARIANT_BOOST = 0.6  # spellings from the other script's phrase table rank below the typed one

_TOKEN = re.compile(r'"[^"]*"?|\S+')


@dataclass
class Clause:
    """One term or phrase of the query, as analyzed."""

    text: str
    negated: bool = False
    phrase: bool = False
    variants: list[str] = field(default_factory=list)  # normalized spellings searched
    words: list[list[str]] = field(default_factory=list)  # jieba words per variant (ranking)
    chars: list[list[str]] = field(default_factory=list)  # character tokens per variant (recall)
    query: wq.Query | None = None

    def explain(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "kind": "phrase" if self.phrase else "term",
            "excluded": self.negated,
            "variants": list(self.variants),
            "words": {"fields": ["title", "text"], "tokens": self.words},
            "characters": {"fields": ["title_chars", "text_chars"], "tokens": self.chars},
        }


@dataclass
class ParsedQuery:
    """What :meth:`QueryBuilder.parse` made of the user's text."""

    query: wq.Query
    needles: list[str] = field(default_factory=list)  # normalized strings to highlight
    warnings: list[str] = field(default_factory=list)
    empty: bool = False
    groups: list[list[Clause]] = field(default_factory=list)  # OR-groups, ANDed together


class QueryBuilder:
    """Turns user text into Whoosh queries with the index's own analyzer configuration."""

    def __init__(self, config: AnalyzerConfig) -> None:
        self.config = config
        self._words = WordTokenizer(config)
        self._chars = CharTokenizer(config)

    def analyze(self, clause: Clause) -> Clause:
        """Fill in the clause's variants, tokens and query; ``query`` stays None if unusable."""
        alternatives: list[wq.Query] = []
        for n, variant in enumerate(script_variants(clause.text, simplify=self.config.simplify)):
            # The variant is already normalized; the tokenizers normalize again, idempotently.
            chars = [t.text for t in self._chars(variant)]
            if not chars:
                continue
            words = [t.text for t in self._words(variant)]
            clause.variants.append(variant)
            clause.chars.append(chars)
            clause.words.append(words)
            recall = wq.Or([_sequence(f, chars) for f in ("title_chars", "text_chars")])
            recall.boost = CHAR_BOOST
            q: wq.Query = recall
            if words:
                ranking = wq.Or([_sequence(f, words) for f in ("title", "text")])
                ranking.boost = WORD_BOOST
                q = wq.AndMaybe(recall, ranking)
            if n:
                q = q.with_boost(VARIANT_BOOST) if hasattr(q, "with_boost") else q
            alternatives.append(q)
        if alternatives:
            clause.query = alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)
        return clause

    def term_query(self, text: str) -> wq.Query | None:
        """Documents containing ``text`` contiguously (after normalization), words ranked up."""
        return self.analyze(Clause(text)).query

    def parse(self, text: str) -> ParsedQuery:
        warnings: list[str] = []
        if len(text) > MAX_QUERY_CHARS:
            warnings.append(f"the query was cut to its first {MAX_QUERY_CHARS} characters")
            text = text[:MAX_QUERY_CHARS]
        groups: list[list[Clause]] = []
        join_next = False
        negate_next = False
        ignored_any = False
        for raw in _TOKEN.findall(text):
            if raw == "OR":
                join_next = bool(groups)
                if not groups:
                    warnings.append("OR at the start of the query was ignored")
                continue
            if raw == "NOT":
                negate_next = True
                continue
            clause = Clause(raw)
            if raw.startswith("-") and len(raw) > 1:
                clause = Clause(raw[1:], negated=True)
            if clause.text.startswith('"'):
                if not clause.text.endswith('"') or len(clause.text) == 1:
                    warnings.append("an unclosed quote was closed at the end of the query")
                clause = Clause(clause.text.strip('"'), negated=clause.negated, phrase=True)
            clause.negated = clause.negated or negate_next
            negate_next = False
            self.analyze(clause)
            ignored_any = ignored_any or clause.query is None
            if clause.query is None:
                if clause.text.strip():
                    warnings.append(f"ignored “{clause.text}”: it has no letters, digits or characters")
                elif clause.phrase:
                    warnings.append("an empty phrase was ignored")
                join_next = False
                continue
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
            queries = [c.query for c in group if c.query is not None]
            combined = queries[0] if len(queries) == 1 else wq.Or(queries)
            (excluded if group[0].negated else required).append(combined)
            if not group[0].negated:
                for clause in group:
                    needles.extend(n for v in clause.variants for n in v.split() if n)

        if not required and not excluded and (ignored_any or join_next or negate_next or text.strip()):
            # Something was typed but nothing of it is searchable: match nothing, say why.
            if not warnings:
                warnings.append("nothing in the query could be searched")
            return ParsedQuery(wq.NullQuery, needles=[], warnings=warnings, empty=False, groups=groups)
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
        return ParsedQuery(base, needles=needles, warnings=warnings, empty=empty, groups=groups)


def _sequence(fieldname: str, tokens: list[str]) -> wq.Query:
    if len(tokens) == 1:
        return wq.Term(fieldname, tokens[0])
    return wq.Phrase(fieldname, tokens)
