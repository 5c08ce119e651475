"""zhsearch's parsed queries (built by ``search.query``) as ``xapian.Query`` objects.

The query language is parsed once, by the shared :class:`search.query.QueryBuilder`; this module
only maps its tree node for node: terms to prefixed terms, phrases to positional phrases, the
boolean operators to Xapian's, date filters to value ranges and boosts to scaled weights.
"""

from __future__ import annotations

import itertools
from typing import Any

import xapian
from whoosh import query as wq

from ..query import AtLeast
from .terms import DATE, FIELD_BOOSTS, PREFIXES, date_key, fit, fits

MAX_COMBINATIONS = 2000  # an AtLeast of n words needing k is an OR of C(n, k) ANDs: at most this many

Q = xapian.Query


class UntranslatableQuery(Exception):
    """A node of the parsed query that this backend has no translation for (a bug: every node the
    query builder makes is translated)."""


def translate(node: Any) -> xapian.Query:
    """The Xapian query of one node of a parsed zhsearch query."""
    boost = float(getattr(node, "boost", 1.0) or 1.0)
    query = _translate(node)
    if boost != 1.0:
        query = Q(Q.OP_SCALE_WEIGHT, query, boost)
    return query


def _term(fieldname: str, text: str) -> xapian.Query:
    term = PREFIXES[fieldname] + text
    if not fits(term):
        return Q.MatchNothing  # no document holds a term this long (see terms.TermMaker)
    query = Q(term)
    boost = FIELD_BOOSTS.get(fieldname)
    return Q(Q.OP_SCALE_WEIGHT, query, boost) if boost else query


def _translate(node: Any) -> xapian.Query:
    if node is wq.NullQuery or isinstance(node, wq.NullQuery.__class__):
        return Q.MatchNothing
    if isinstance(node, wq.Every):
        return Q.MatchAll
    if isinstance(node, wq.Term):
        if node.fieldname in ("source", "categories", "tags", "month"):
            return Q(Q.OP_SCALE_WEIGHT, Q(fit(PREFIXES[node.fieldname] + node.text)), 0.0)
        return _term(node.fieldname, node.text)
    if isinstance(node, wq.Phrase):
        if len(node.words) == 1:
            return _term(node.fieldname, node.words[0])
        terms = [PREFIXES[node.fieldname] + w for w in node.words]
        if not all(fits(t) for t in terms):
            return Q.MatchNothing
        phrase = Q(Q.OP_PHRASE, [Q(t) for t in terms], len(terms))
        boost = FIELD_BOOSTS.get(node.fieldname)
        return Q(Q.OP_SCALE_WEIGHT, phrase, boost) if boost else phrase
    if isinstance(node, wq.DateRange):
        return _date_range(node)
    if isinstance(node, AtLeast):
        return _at_least(node)
    if isinstance(node, wq.AndMaybe):
        return Q(Q.OP_AND_MAYBE, translate(node.a), translate(node.b))
    if isinstance(node, wq.AndNot):
        return Q(Q.OP_AND_NOT, translate(node.a), translate(node.b))
    if isinstance(node, wq.And):
        return Q(Q.OP_AND, [translate(q) for q in node.subqueries])
    if isinstance(node, wq.Or):
        return Q(Q.OP_OR, [translate(q) for q in node.subqueries])
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


def _at_least(node: AtLeast) -> xapian.Query:
    """Documents matching at least ``minimum`` of the subqueries, scored by the ones they match.

    Xapian 1.4 has no minimum-should-match operator: the match set is an OR of the ANDs of every
    ``minimum`` of the subqueries (unweighted), the score that of the OR of all of them.
    """
    subs = [translate(q) for q in node.subqueries]
    scored = Q(Q.OP_OR, subs)
    k = node.minimum
    if k <= 1:
        return scored
    if k > len(subs):
        return Q.MatchNothing
    combos = itertools.combinations(range(len(subs)), k)
    chosen = list(itertools.islice(combos, MAX_COMBINATIONS + 1))
    if len(chosen) > MAX_COMBINATIONS:
        raise UntranslatableQuery(f"{len(subs)} words of which {k} are required: too many combinations")
    required = Q(Q.OP_OR, [Q(Q.OP_AND, [subs[i] for i in combo]) for combo in chosen])
    return Q(Q.OP_FILTER, scored, required)
