"""Whole-array query evaluation: Whoosh's matches and BM25F scores, computed per term with numpy.

Whoosh's matchers advance one document at a time in Python, so a common word that matches
10,000 articles costs 10,000 rounds of ``next``/``score`` calls per query clause. Here each
term's postings are read once per index generation into arrays (docnums and weights), and a
query tree is evaluated with array operations: union and intersection of sorted docnums,
and BM25F scores summed exactly as Whoosh's Union/Intersection/AndMaybe matchers sum them.
Phrases check positions only for documents that have every word (and are still candidates).

Query types this module does not know raise :class:`Unsupported`; callers then use Whoosh's
own matchers, which give the same results more slowly.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import byte_to_length
from whoosh.reading import TermNotFound
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.qcore import _NullQuery
from whoosh.scoring import BM25F

MAX_CACHED_TERMS = 4096
MAX_CACHED_FILTERS = 64
MAX_CACHED_BYTES = 128 * 2**20  # term score arrays kept per index generation
_IDS = np.int64


class Unsupported(Exception):
    """A query this evaluator does not handle: evaluate it with Whoosh's matchers instead."""


@dataclass(frozen=True)
class Matches:
    """The documents a query matches (sorted global docnums) and their scores, aligned."""

    ids: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


EMPTY = Matches(np.empty(0, _IDS), np.empty(0, np.float64))


class PostingTable:
    """For one index generation: live documents, field lengths and term postings as arrays.

    Shared by every thread; the arrays are read through the caller's own searcher (Whoosh
    readers are not safe to share between threads), and the most recently used terms' scores
    are kept, up to ``max_terms`` terms and ``max_bytes`` bytes.
    """

    def __init__(
        self, searcher: Any, *, max_terms: int = MAX_CACHED_TERMS, max_bytes: int = MAX_CACHED_BYTES
    ) -> None:
        self.doc_count = int(searcher.doc_count_all())
        self.offsets = [offset for _, offset in searcher.leaf_searchers()]
        live = np.ones(self.doc_count, dtype=bool)
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            if reader.has_deletions():
                for docnum in range(reader.doc_count_all()):
                    if reader.is_deleted(docnum):
                        live[offset + docnum] = False
        self.live = live
        self.all_live = bool(live.all())
        self.max_terms = max_terms
        self.max_bytes = max_bytes
        self._cached_bytes = 0
        self._lock = threading.Lock()
        self._lengths: dict[str, np.ndarray] = {}
        self._dates: np.ndarray | None = None
        self._filters: OrderedDict[str, np.ndarray] = OrderedDict()
        self._scores: OrderedDict[tuple[str, Any], tuple[np.ndarray, np.ndarray]] = OrderedDict()

    # -- arrays read once -------------------------------------------------------------------

    def postings(self, searcher: Any, fieldname: str, text: Any) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, weights) of a term over every live document, read from disk; empty when absent."""
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            if (fieldname, text) not in reader:
                continue
            seg_ids, seg_weights = _read_postings(reader.postings(fieldname, text))
            ids.append(seg_ids + offset)
            weights.append(seg_weights)
        if ids:
            all_ids = np.concatenate(ids)
            all_weights = np.concatenate(weights)
            if not self.all_live:
                keep = self.live[all_ids]
                all_ids, all_weights = all_ids[keep], all_weights[keep]
        else:
            all_ids, all_weights = EMPTY.ids, EMPTY.scores
        return all_ids, all_weights

    def term(self, evaluator: Evaluator, fieldname: str, text: Any) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, scores) of a term, computed once per generation while it stays cached."""
        key = (fieldname, text)
        with self._lock:
            found = self._scores.get(key)
            if found is not None:
                self._scores.move_to_end(key)
                return found
        found = evaluator.term_scores(fieldname, text)
        with self._lock:
            if key not in self._scores:
                self._scores[key] = found
                self._cached_bytes += found[0].nbytes + found[1].nbytes
            while len(self._scores) > 1 and (
                len(self._scores) > self.max_terms or self._cached_bytes > self.max_bytes
            ):
                _, (ids, scores) = self._scores.popitem(last=False)
                self._cached_bytes -= ids.nbytes + scores.nbytes
        return found

    def lengths(self, searcher: Any, fieldname: str) -> np.ndarray:
        """Every document's length in ``fieldname`` as Whoosh stores it (a one-byte approximation)."""
        found = self._lengths.get(fieldname)
        if found is None:
            found = np.zeros(self.doc_count, dtype=np.float64)
            for sub, offset in searcher.leaf_searchers():
                reader = sub.reader()
                count = reader.doc_count_all()
                column = _length_bytes(reader, fieldname)
                if column is not None and len(column) == count:
                    found[offset : offset + count] = _BYTE_LENGTHS[column]
                    continue
                for docnum in range(count):
                    found[offset + docnum] = reader.doc_field_length(docnum, fieldname, 1) or 0
            self._lengths[fieldname] = found
        return found

    def dates(self, searcher: Any) -> np.ndarray:
        """Every document's ``date`` column value; 0 for undated documents."""
        if self._dates is None:
            found = np.zeros(self.doc_count, dtype=np.uint64)
            for sub, offset in searcher.leaf_searchers():
                reader = sub.reader()
                if not reader.has_column("date"):
                    continue
                column = reader.column_reader("date", translate=False)
                values = np.array([int(v or 0) for v in column], dtype=np.uint64)
                found[offset : offset + len(values)] = values
            found[found >= np.uint64(2**63)] = 0  # Whoosh fills a missing date with the largest uint64
            self._dates = found
        return self._dates

    def filter_ids(self, evaluator: Evaluator, query: Any) -> np.ndarray:
        """The documents a filter or mask query allows, unscored; the last few are remembered."""
        key = repr(query)
        with self._lock:
            found = self._filters.get(key)
            if found is not None:
                self._filters.move_to_end(key)
                return found
        found = evaluator.docnums(query)
        with self._lock:
            self._filters[key] = found
            while len(self._filters) > MAX_CACHED_FILTERS:
                self._filters.popitem(last=False)
        return found

    def all_ids(self) -> np.ndarray:
        return np.flatnonzero(self.live).astype(_IDS)


_BYTE_LENGTHS = np.array([byte_to_length(b) or 0 for b in range(256)], dtype=np.float64)


def _length_bytes(reader: Any, fieldname: str) -> np.ndarray | None:
    """A segment's stored field lengths as their one-byte codes, read as one column (or None)."""
    try:
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    except AttributeError:  # another codec: read document by document instead
        return None
    if column is None:
        return None
    return np.fromiter((int(b or 0) for b in column), dtype=np.uint8)


def _read_postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """Segment docnums and weights of one term, block by block where the codec allows."""
    if isinstance(matcher, FilterMatcher):  # deletions: the table drops dead documents itself
        matcher = matcher.child
    ids: list[Any] = []
    weights: list[Any] = []
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=_IDS))
            weights.append(np.asarray(matcher._weights, dtype=np.float64))
            matcher._next_block()
        if not ids:
            return EMPTY.ids, EMPTY.scores
        return np.concatenate(ids), np.concatenate(weights)
    flat_ids: list[int] = []
    flat_weights: list[float] = []
    while matcher.is_active():
        flat_ids.append(matcher.id())
        flat_weights.append(matcher.weight())
        matcher.next()
    return np.array(flat_ids, dtype=_IDS), np.array(flat_weights, dtype=np.float64)


class Evaluator:
    """Evaluates one query tree with one thread's searcher and a generation's posting table."""

    def __init__(self, searcher: Any, table: PostingTable) -> None:
        self.searcher = searcher
        self.table = table
        weighting = searcher.weighting
        if type(weighting) is not BM25F:
            raise Unsupported(f"scoring model {type(weighting).__name__}")
        self.weighting = weighting
        self.schema = searcher.schema

    def run(self, query: Any, within: np.ndarray | None = None) -> Matches:
        """The documents ``query`` matches (only among ``within`` when given) with their scores."""
        if isinstance(query, _NullQuery):
            return EMPTY
        kind = type(query)
        if kind is wq.Every and query.fieldname in (None, "", "*"):  # Whoosh scores every document by the boost
            ids = self.table.all_ids()
            if within is not None:
                ids = _intersection_ids([ids, within])
            return Matches(ids, np.full(len(ids), float(query.boost)))
        if kind is wq.Term:
            return self._boosted(self._term(query.fieldname, query.text, within), query.boost)
        if kind is wq.Phrase:
            return self._boosted(self._phrase(query, within), query.boost)
        if kind in (wq.Or, wq.And):
            if getattr(query, "scale", None) or getattr(query, "minmatch", 0):
                raise Unsupported("scaled or minimum-match Or")
            subs = query.subqueries
            if not subs:
                return EMPTY
            if len(subs) == 1:  # Whoosh drops the compound (and its boost) around one query
                return self.run(subs[0], within)
            if kind is wq.Or:
                found = _union([self.run(q, within) for q in subs])
            else:
                found = self._intersection(subs, within)
            return self._boosted(found, query.boost)
        if kind is wq.AndMaybe:  # Whoosh applies no boost to binary queries
            required = self.run(query.a, within)
            if not len(required):
                return required
            optional = self.run(query.b, required.ids)
            return _add_where_present(required, optional)
        if kind is wq.AndNot:
            positive = self.run(query.a, within)
            if not len(positive):
                return positive
            negative = self.run(query.b, positive.ids)
            keep = ~_members(positive.ids, negative.ids)
            return Matches(positive.ids[keep], positive.scores[keep])
        raise Unsupported(kind.__name__)

    def docnums(self, query: Any) -> np.ndarray:
        """The documents ``query`` matches, unscored, through Whoosh (for filters and masks)."""
        found = np.fromiter(self.searcher.docs_for_query(query), dtype=_IDS)
        found.sort()
        return found

    # -- leaves -----------------------------------------------------------------------------

    def _term(self, fieldname: str, text: Any, within: np.ndarray | None) -> Matches:
        if fieldname not in self.schema:
            return EMPTY
        try:
            text = self.schema[fieldname].to_bytes(text)
        except ValueError:
            return EMPTY
        ids, scores = self.table.term(self, fieldname, text)
        if within is not None and len(ids):
            keep = _members(ids, within)
            ids, scores = ids[keep], scores[keep]
        if not len(ids):
            return EMPTY
        return Matches(ids, scores)

    def term_scores(self, fieldname: str, text: Any) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, BM25F scores) of one term over the whole index, as Whoosh's BM25FScorer
        computes them, operation for operation."""
        ids, weights = self.table.postings(self.searcher, fieldname, text)
        if not len(ids):
            return EMPTY.ids, EMPTY.scores
        if not self.schema[fieldname].scorable:
            raise Unsupported(f"scores of the unscorable field {fieldname}")
        w = self.weighting
        B = w._field_B.get(fieldname, w.B)
        K1 = w.K1
        idf = self.searcher.idf(fieldname, text)
        avgfl = self.searcher.avg_field_length(fieldname) or 1
        fl = self.table.lengths(self.searcher, fieldname)[ids]
        scores: np.ndarray = idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))
        return ids, scores

    def _phrase(self, query: Any, within: np.ndarray | None) -> Matches:
        if query.slop != 1:
            raise Unsupported("phrase with slop")
        fieldname = query.fieldname
        if fieldname not in self.schema:
            return EMPTY
        field = self.schema[fieldname]
        if not field.format or not field.format.supports("positions"):
            raise Unsupported(f"phrase on {fieldname}, which has no positions")
        parts = [self._term(fieldname, word, within) for word in query.words]
        if not parts or any(not len(p) for p in parts):
            return EMPTY
        candidates = _intersection_ids([p.ids for p in parts])
        if len(query.words) > 1 and len(candidates):
            candidates = self._with_positions(fieldname, query.words, candidates)
        if not len(candidates):
            return EMPTY
        scores = np.zeros(len(candidates), dtype=np.float64)
        for part in parts:  # Whoosh's phrase scores like the And of its words
            scores = scores + part.scores[np.searchsorted(part.ids, candidates)]
        return Matches(candidates, scores)

    def _with_positions(self, fieldname: str, words: list[Any], candidates: np.ndarray) -> np.ndarray:
        """The candidates where the words occur at consecutive positions.

        Each word's (document, position - its index in the phrase) pairs are packed into one
        integer; a document matches where all words share a value.
        """
        field = self.schema[fieldname]
        starts: np.ndarray | None = None
        for i, word in enumerate(words):
            docs, positions = self._positions(fieldname, field.to_bytes(word), candidates)
            keys = np.unique((docs << 32) | (positions - i + (1 << 31)))
            starts = keys if starts is None else _intersection_ids([starts, keys])
            if not len(starts):
                return EMPTY.ids
            candidates = np.unique(starts >> 32)
        return candidates

    def _positions(self, fieldname: str, text: bytes, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(document, position) of every occurrence of a term in the candidate documents."""
        docs: list[int] = []
        positions: list[int] = []
        leaves = list(self.searcher.leaf_searchers())
        bounds = [offset for _, offset in leaves] + [self.table.doc_count]
        for n, (sub, offset) in enumerate(leaves):
            local = candidates[(candidates >= offset) & (candidates < bounds[n + 1])] - offset
            if not len(local):
                continue
            try:
                matcher = sub.reader().postings(fieldname, text)
            except TermNotFound:
                continue
            if isinstance(matcher, FilterMatcher):
                matcher = matcher.child  # candidates are live documents already
            if isinstance(matcher, W3LeafMatcher):
                decode = matcher.format.decoder("positions")
                done = 0  # candidates before this index are behind the current block
                while matcher.is_active() and done < len(local):
                    if local[done] > matcher._maxid:
                        matcher._next_block()
                        continue
                    matcher._read_ids()
                    block = np.asarray(matcher._ids, dtype=_IDS)
                    upto = int(np.searchsorted(local, block[-1], side="right"))
                    wanted = local[done:upto]
                    at = np.searchsorted(block, wanted)
                    hit = at[block[np.minimum(at, len(block) - 1)] == wanted]
                    if len(hit):
                        matcher._read_values()
                        for j in hit.tolist():
                            found = decode(matcher._values[j])
                            docs.extend([offset + int(block[j])] * len(found))
                            positions.extend(found)
                    done = upto
                    matcher._next_block()
            else:
                for docnum in local.tolist():
                    if not matcher.is_active():
                        break
                    matcher.skip_to(docnum)
                    if matcher.is_active() and matcher.id() == docnum:
                        found = matcher.value_as("positions")
                        docs.extend([offset + docnum] * len(found))
                        positions.extend(found)
        return np.array(docs, dtype=_IDS), np.array(positions, dtype=_IDS)

    # -- combinations -----------------------------------------------------------------------

    def _intersection(self, subs: list[Any], within: np.ndarray | None) -> Matches:
        found: list[Matches] = []
        for q in subs:
            part = self.run(q, within)
            if not len(part):
                return EMPTY
            found.append(part)
            within = part.ids if within is None else _intersection_ids([within, part.ids])
        ids = _intersection_ids([m.ids for m in found])
        scores = np.zeros(len(ids), dtype=np.float64)
        for m in found:
            scores = scores + m.scores[np.searchsorted(m.ids, ids)]
        return Matches(ids, scores)

    @staticmethod
    def _boosted(found: Matches, boost: float) -> Matches:
        if boost == 1.0 or not len(found):
            return found
        return Matches(found.ids, found.scores * boost)


def _members(ids: np.ndarray, among: np.ndarray) -> np.ndarray:
    """A mask of the sorted ``ids`` that occur in the sorted ``among`` (binary search, no sort)."""
    if not len(among):
        return np.zeros(len(ids), dtype=bool)
    at = np.searchsorted(among, ids)
    at[at == len(among)] = 0
    result: np.ndarray = among[at] == ids
    return result


def _intersection_ids(arrays: list[np.ndarray]) -> np.ndarray:
    result = arrays[0]
    for other in arrays[1:]:
        result = result[_members(result, other)] if len(result) <= len(other) else other[_members(other, result)]
    return result


def _union(parts: list[Matches]) -> Matches:
    """Every document of any part; its score the sum of the parts that match it."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    ids = np.unique(np.concatenate([p.ids for p in parts]))
    scores = np.zeros(len(ids), dtype=np.float64)
    for p in parts:
        scores[np.searchsorted(ids, p.ids)] += p.scores
    return Matches(ids, scores)


def _add_where_present(required: Matches, optional: Matches) -> Matches:
    if not len(optional):
        return required
    scores = required.scores.copy()
    scores[np.searchsorted(required.ids, optional.ids)] += optional.scores
    return Matches(required.ids, scores)
