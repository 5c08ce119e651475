"""zhsearch's parsed queries (built by ``search.queries.query``) as ``xapian.Query`` objects.

The query language is parsed once, by the shared :class:`search.queries.query.QueryBuilder`; this module
only maps its tree node for node: terms to prefixed terms, phrases to positional phrases, the
boolean operators to Xapian's, date filters to value ranges and boosts to scaled weights.

Ranked (``weights`` given: a term's Whoosh IDF over :data:`.terms.IMPACT_SCALE`), each term is
scaled by its weight and the searcher scores by the wdf (the term's impact, see :mod:`.terms`), so
a document scores what the embedded index's BM25F gives it; the boosts are applied where Whoosh
applies them (not on AndMaybe/AndNot, nor on a compound of one query). Unranked (for counting),
the terms are plain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import xapian
from whoosh import query as wq

from ..queries.query import AtLeast
from .terms import DATE, IMPACT_SCALE, PREFIXES, UNIT_TERM, date_key, fit, fits, id_term

Q = xapian.Query
Weights = Callable[[str], float]  # a scored term's weight (its IDF / IMPACT_SCALE)
FILTER_FIELDS = ("source", "categories", "tags", "month")


class Bonus:
    """Given documents (by id) with given scores added: a re-ranking's bonus, as part of a query
    tree (the cluster's counterpart of :class:`search.queries.longquery.Listed`). ``matching``: each
    of the documents matches the query the bonus is added to (``AndMaybe(query, bonus)``), as the
    first documents of that query's own ranking do; the bonus is then simply OR'ed to it.
    """

    def __init__(self, scores: dict[str, float], *, matching: bool = False) -> None:
        self.scores = dict(scores)
        self.matching = matching
        self.boost = 1.0

    def __repr__(self) -> str:
        return f"Bonus({len(self.scores)} documents)"


class UntranslatableQuery(Exception):
    """A node of the parsed query that this backend has no translation for (a bug: every node the
    query builder makes is translated)."""


def translate(node: Any, weights: Weights | None = None) -> xapian.Query:
    """The Xapian query of one node of a parsed zhsearch query (ranked with ``weights``)."""
    query = _translate(node, weights)
    boost = float(getattr(node, "boost", 1.0) or 1.0)
    if boost != 1.0 and _boosted(node):
        query = Q(Q.OP_SCALE_WEIGHT, query, boost)
    return query


def _boosted(node: Any) -> bool:
    """Whether Whoosh's scores honour the node's boost (see search.embedded.evaluate.Evaluator)."""
    if isinstance(node, (wq.AndMaybe, wq.AndNot)):
        return False
    if isinstance(node, (wq.And, wq.Or)) and not isinstance(node, AtLeast):
        return len(node.subqueries) != 1
    return True


def scored_terms(node: Any) -> Iterator[str]:
    """The prefixed terms of a query tree that rank (whose weights a ranked translation needs)."""
    if isinstance(node, wq.Term):
        if node.fieldname not in FILTER_FIELDS and node.fieldname in PREFIXES:
            yield PREFIXES[node.fieldname] + node.text
    elif isinstance(node, wq.Phrase):
        if node.fieldname in PREFIXES:
            yield from (PREFIXES[node.fieldname] + w for w in node.words)
    elif isinstance(node, (wq.AndMaybe, wq.AndNot)):
        yield from scored_terms(node.a)
        if isinstance(node, wq.AndMaybe):
            yield from scored_terms(node.b)
    elif isinstance(node, wq.CompoundQuery):
        for sub in node.subqueries:
            yield from scored_terms(sub)


def _term(fieldname: str, text: str, weights: Weights | None) -> xapian.Query:
    term = PREFIXES[fieldname] + text
    if not fits(term):
        return Q.MatchNothing  # no document holds a term this long (see terms.TermMaker)
    if weights is None:
        return Q(term)
    return Q(Q.OP_SCALE_WEIGHT, Q(term), weights(term))


def _translate(node: Any, weights: Weights | None) -> xapian.Query:
    if node is wq.NullQuery or isinstance(node, wq.NullQuery.__class__):
        return Q.MatchNothing
    if isinstance(node, wq.Every):  # Whoosh scores every document by the boost
        return Q(Q.OP_SCALE_WEIGHT, Q(UNIT_TERM), 1.0 / IMPACT_SCALE) if weights else Q.MatchAll
    if isinstance(node, Bonus):
        if not node.scores:
            return Q.MatchNothing
        return Q(Q.OP_OR, [Q(Q.OP_FILTER, Q(Q.OP_SCALE_WEIGHT, Q(UNIT_TERM), score / IMPACT_SCALE), Q(id_term(doc_id)))
                           for doc_id, score in node.scores.items()])
    if isinstance(node, wq.Term):
        if node.fieldname in FILTER_FIELDS:
            return Q(Q.OP_SCALE_WEIGHT, Q(fit(PREFIXES[node.fieldname] + node.text)), 0.0)
        return _term(node.fieldname, node.text, weights)
    if isinstance(node, wq.Phrase):
        if len(node.words) == 1:
            return _term(node.fieldname, node.words[0], weights)
        terms = [PREFIXES[node.fieldname] + w for w in node.words]
        if not all(fits(t) for t in terms):
            return Q.MatchNothing
        phrase = Q(Q.OP_PHRASE, [Q(t) for t in terms], len(terms))
        if weights is None:
            return phrase
        # Whoosh scores a phrase as the And of its words: each word its own weight, where they stand together
        return Q(Q.OP_FILTER, Q(Q.OP_AND, [_term(node.fieldname, w, weights) for w in node.words]), phrase)
    if isinstance(node, wq.DateRange):
        return _date_range(node)
    if isinstance(node, AtLeast):
        return _at_least(node, weights)
    if isinstance(node, wq.AndMaybe):
        required, optional = translate(node.a, weights), translate(node.b, weights)
        if weights is None:
            return Q(Q.OP_AND_MAYBE, required, optional)
        # The sum where both match, among the required one's matches. (Not OP_AND_MAYBE: over the
        # 23k archive Xapian 1.4.22 gave it more than the sum of its two sides for a long query.)
        if isinstance(node.b, Bonus) and node.b.matching:
            # (the OR matches what the required side matches: not evaluated a second time as the filter)
            return Q(Q.OP_OR, required, optional)
        return Q(Q.OP_FILTER, Q(Q.OP_OR, required, optional), required)
    if isinstance(node, wq.AndNot):
        return Q(Q.OP_AND_NOT, translate(node.a, weights), translate(node.b, weights))
    if isinstance(node, wq.And):
        return Q(Q.OP_AND, [translate(q, weights) for q in node.subqueries])
    if isinstance(node, wq.Or):
        return Q(Q.OP_OR, [translate(q, weights) for q in node.subqueries])
    raise UntranslatableQuery(f"no Xapian translation for {type(node).__name__}: {node!r}")


def _date_range(node: wq.DateRange) -> xapian.Query:
    """Whoosh's DateRange (naive UTC datetimes, an exclusive end when ``endexcl``) as a value range."""
    low = date_key(node.startdate) if node.startdate is not None else "0" * 20
    if node.enddate is None:
        high = "9" * 20
    else:
        high = date_key(node.enddate)
        if node.endexcl:  # values are whole microseconds: the one before the end is the last in
            high = str(int(high) - 1).rjust(20, "0")
    if node.startexcl and node.startdate is not None:
        low = str(int(low) + 1).rjust(20, "0")
    return Q(Q.OP_SCALE_WEIGHT, Q(Q.OP_VALUE_RANGE, DATE, low, high), 0.0)


def _at_least(node: AtLeast, weights: Weights | None) -> xapian.Query:
    """Documents matching at least ``minimum`` of the subqueries, scored by the ones they match.

    Xapian 1.4 has no minimum-should-match operator: the match set is a boolean filter built of
    ANDs and ORs of the (unweighted) subqueries (see :func:`at_least`), the score as Whoosh's
    (see below).
    """
    if not node.subqueries:
        return Q.MatchNothing
    subs = [translate(q, weights) for q in node.subqueries]
    # Whoosh scores the sum of the matched subqueries times their share (m of n): the OR of the
    # sum filtered by each subquery counts that sum m times.
    scored = Q(Q.OP_OR, subs)
    if weights is not None:
        scored = Q(Q.OP_SCALE_WEIGHT, Q(Q.OP_OR, [Q(Q.OP_FILTER, scored, sub) for sub in subs]), 1 / len(subs))
    k = node.minimum
    if k <= 1:
        return scored
    if k > len(subs):
        return Q.MatchNothing
    return Q(Q.OP_FILTER, scored, at_least(subs, k))


def at_least(subs: list[xapian.Query], k: int) -> xapian.Query:
    """The documents matching at least ``k`` (1 ≤ k ≤ len(subs)) of ``subs``, as a boolean query.

    Split in two halves A and B: at least k of them is, for some j, at least j of A and at least
    k - j of B. Each half is split the same way, so the query grows about as n^log(n) with the n
    subqueries, not as the C(n, k) ANDs of every k of them (14 needing 9: 2002 ANDs of 9, ~58 kB
    serialized, against 1.2 kB split): fewer posting lists for the shards to open and merge, and
    no length beyond which a relaxed run cannot be translated.
    """
    if k == 1:
        return subs[0] if len(subs) == 1 else Q(Q.OP_OR, subs)
    if k == len(subs):
        return Q(Q.OP_AND, subs)
    middle = len(subs) // 2
    first, second = subs[:middle], subs[middle:]
    memo: dict[tuple[int, int], xapian.Query] = {}

    def part(half: int, j: int) -> xapian.Query:
        if (half, j) not in memo:
            memo[half, j] = at_least(first if half == 0 else second, j)
        return memo[half, j]

    either = []
    for j in range(max(0, k - len(second)), min(k, len(first)) + 1):
        if j == 0:
            either.append(part(1, k))
        elif j == k:
            either.append(part(0, k))
        else:
            either.append(Q(Q.OP_AND, part(0, j), part(1, k - j)))
    return either[0] if len(either) == 1 else Q(Q.OP_OR, either)
