"""Whole-array query evaluation: Whoosh's matches and BM25F scores, computed per term with numpy.

Whoosh's matchers advance one document at a time in Python, so a common word that matches
10,000 articles costs 10,000 rounds of ``next``/``score`` calls per query clause. Here each
term's postings are read once per index generation into arrays (docnums and weights), and a
query tree is evaluated with array operations: union and intersection of sorted docnums
(through a mask over all docnums where they are dense), and BM25F scores summed exactly as
Whoosh's Union/Intersection/AndMaybe matchers sum them. Phrases check positions only for
documents that have every word (and are still candidates); a term's positions are decoded
in bulk and kept per generation (from the first time it is asked for when the candidates
are a large part of its documents, else from the second).

Query types this module does not know raise :class:`Unsupported`; callers then use Whoosh's
own matchers, which give the same results more slowly.
"""

from __future__ import annotations

import itertools
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, TypeVar

import numpy as np
from whoosh import formats
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import byte_to_length
from whoosh.reading import TermNotFound
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.qcore import _NullQuery
from whoosh.scoring import BM25F

from ..queries.longquery import Listed
from ..queries.query import AtLeast
from .postings import PackedMatcher, compact_positions
from .schema import CompactPositions

MAX_CACHED_TERMS = 65536  # the byte limits below are what bound the memory
MAX_CACHED_FILTERS = 64
MAX_CACHED_BYTES = 512 * 2**20  # term score arrays kept per index generation (the query set needs ~300 MB at 300k articles)
MAX_CACHED_POSITION_BYTES = 512 * 2**20  # decoded term positions kept per index generation
MAX_CACHED_PART_BYTES = 64 * 2**20  # phrase words' scores in some of their documents (covered docnums, docnums, scores)
MAX_CACHED_DIRECTORY_BYTES = 64 * 2**20  # W3 block directories (16 bytes a block of up to 128 postings)
DENSE = 16  # docnum arrays longer than 1/16 of the docnums they span: masks rather than sorting
PARTIAL_POSITIONS = 64  # candidates under 1/64 of a term's documents, first time: decode only theirs
_IDS = np.int64
_V = TypeVar("_V")


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


class Bounded:
    """A query's matches whose scores are exact only where ``settled``: elsewhere ``scores`` is a
    lower bound and ``upper`` an upper bound (the ranking settles the documents it needs).

    What :meth:`Evaluator.ranked` returns for ``AndMaybe(a, b)`` when ``b`` is a bonus of phrases:
    ``a`` exactly, ``b`` bounded by its phrases without their positions (the documents that have
    every word of a phrase, scored as the phrase would score them, a superset with the same
    scores). :meth:`settle` computes the exact scores of given rows with the same operations, in
    the same order, as the whole query's evaluation would (so the same floats).
    """

    def __init__(self, ids: np.ndarray, scores: np.ndarray, upper: np.ndarray, settled: np.ndarray,
                 exact: Callable[[np.ndarray], np.ndarray]) -> None:
        self.ids = ids
        self.scores = scores
        self.upper = upper
        self.settled = settled
        self._exact = exact  # rows -> their exact scores

    def __len__(self) -> int:
        return len(self.ids)

    def settle(self, rows: np.ndarray) -> None:
        """Make the scores of these rows (indices into ``ids``) exact."""
        rows = rows[~self.settled[rows]]
        if not len(rows):
            return
        exact = self._exact(rows)
        self.scores[rows] = exact
        self.upper[rows] = exact
        self.settled[rows] = True

    def matches(self) -> Matches:
        """Every score exact."""
        self.settle(np.flatnonzero(~self.settled))
        return Matches(self.ids, self.scores)

    def plus(self, extra: Matches) -> Bounded:
        """``AndMaybe`` of these matches and exact ``extra`` scores (a subset of ``ids``)."""
        if not len(extra):
            return self
        at = np.searchsorted(self.ids, extra.ids)
        has = np.zeros(len(self.ids), dtype=bool)
        has[at] = True
        add = np.zeros(len(self.ids), dtype=np.float64)
        add[at] = extra.scores
        scores = self.scores.copy()
        scores[at] += extra.scores
        upper = self.upper.copy()
        upper[at] += extra.scores

        def exact(rows: np.ndarray) -> np.ndarray:
            self.settle(rows)
            found: np.ndarray = self.scores[rows].copy()
            where = has[rows]
            found[where] += add[rows][where]
            return found

        return Bounded(self.ids, scores, upper, self.settled.copy(), exact)


class PostingTable:
    """For one index generation: live documents, field lengths and term postings as arrays.

    Shared by every thread; the arrays are read through the caller's own searcher (Whoosh
    readers are not safe to share between threads), and the most recently used terms' scores
    are kept, up to ``max_terms`` terms and ``max_bytes`` bytes (their decoded positions, for
    phrases, up to ``max_position_bytes``).
    """

    def __init__(
        self, searcher: Any, *, max_terms: int = MAX_CACHED_TERMS, max_bytes: int = MAX_CACHED_BYTES,
        max_position_bytes: int = MAX_CACHED_POSITION_BYTES,
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
        self._lengths: dict[str, np.ndarray] = {}
        self._dates: np.ndarray | None = None
        self._filters: _Recent[np.ndarray] = _Recent(MAX_CACHED_FILTERS)
        self._scores: _Recent[tuple[np.ndarray, np.ndarray]] = _Recent(max_terms, max_bytes)
        self._positions: _Recent[TermPositions] = _Recent(max_terms, max_position_bytes)
        self._in_part: _Recent[tuple[np.ndarray, TermPositions]] = _Recent(max_terms, max_position_bytes)
        self._scores_in_part: _Recent[tuple[np.ndarray, np.ndarray, np.ndarray]] = _Recent(max_terms, MAX_CACHED_PART_BYTES)
        # W3 posting lists' block directories (offsets, last docnums), by (leaf, field, term)
        self._directories: _Recent[tuple[np.ndarray, np.ndarray]] = _Recent(max_terms, MAX_CACHED_DIRECTORY_BYTES)

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

    def postings_among(self, searcher: Any, fieldname: str, text: Any, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, weights) of a term in the sorted ``wanted`` live documents only, reading
        only the blocks that may hold them (the same values :meth:`postings` gives there)."""
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        leaves = list(searcher.leaf_searchers())
        bounds = [offset for _, offset in leaves] + [searcher.doc_count_all()]
        for n, (sub, offset) in enumerate(leaves):
            local = wanted[(wanted >= offset) & (wanted < bounds[n + 1])] - offset
            if not len(local):
                continue
            reader = sub.reader()
            if (fieldname, text) not in reader:
                continue
            def directory(matcher: Any, key: Any = (n, fieldname, text)) -> tuple[np.ndarray, np.ndarray]:
                found = self._directories.get(key)
                if found is None:
                    found = w3_directory(matcher)
                    self._directories.put(key, found, found[0].nbytes + found[1].nbytes)
                return found

            seg_ids, seg_weights = _read_postings_among(reader.postings(fieldname, text), local, directory)
            ids.append(seg_ids + offset)
            weights.append(seg_weights)
        if not ids:
            return EMPTY.ids, EMPTY.scores
        all_ids = np.concatenate(ids)
        all_weights = np.concatenate(weights)
        if not self.all_live:
            keep = self.live[all_ids]
            all_ids, all_weights = all_ids[keep], all_weights[keep]
        return all_ids, all_weights

    def term_among(
        self, evaluator: Evaluator, fieldname: str, text: Any, within: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, scores) of a term in the sorted ``within`` only: its postings there are
        read and scored, and kept with the documents they cover (as :meth:`positions` keeps a
        term's positions in part), so the same documents asked again are not read again."""
        key = (fieldname, text)
        part = self._scores_in_part.get(key)
        if part is None:
            covered, ids, scores = EMPTY.ids, EMPTY.ids, EMPTY.scores
            missing = within
        else:
            covered, ids, scores = part
            missing = within[~members(within, covered)]
        if len(missing):
            new_ids, new_scores = evaluator._scored(fieldname, text, *self.postings_among(evaluator.searcher, fieldname, text, missing))
            covered = distinct(np.concatenate((covered, missing))).astype(_IDS, copy=False)
            if len(new_ids):
                all_ids = np.concatenate((ids, new_ids))
                order = np.argsort(all_ids, kind="stable")
                ids, scores = all_ids[order], np.concatenate((scores, new_scores))[order]
            self._scores_in_part.put(key, (covered, ids, scores), covered.nbytes + ids.nbytes + scores.nbytes)
        keep = members(ids, within)
        return ids[keep], scores[keep]

    def cached_term(self, fieldname: str, text: Any) -> tuple[np.ndarray, np.ndarray] | None:
        """(docnums, scores) of a term if they are kept, else None (nothing is read)."""
        return self._scores.get((fieldname, text))

    def term(self, evaluator: Evaluator, fieldname: str, text: Any) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, scores) of a term, computed once per generation while it stays cached."""
        key = (fieldname, text)
        found = self._scores.get(key)
        if found is None:
            found = evaluator.term_scores(fieldname, text)
            self._scores.put(key, found, found[0].nbytes + found[1].nbytes)
        return found

    def positions(
        self, searcher: Any, fieldname: str, text: bytes, candidates: np.ndarray, documents: int
    ) -> TermPositions:
        """Where a term occurs in (at least) the ``candidates``, live documents that all have it.

        While the documents asked about stay a small part (1/PARTIAL_POSITIONS) of the term's
        ``documents``, only theirs are decoded, and kept with the set they cover: a phrase asked
        again is answered from them, a new one reads only the documents not yet covered. Once
        the documents asked about reach that part, the term's positions are decoded for every
        document and kept for the generation.
        """
        key = (fieldname, text)
        found = self._positions.get(key)
        if found is not None:
            return found
        part = self._in_part.get(key)
        covered = EMPTY.ids if part is None else part[0]
        missing = candidates if part is None else candidates[~members(candidates, covered)]
        if part is not None and not len(missing):
            return part[1]
        if (len(covered) + len(missing)) * PARTIAL_POSITIONS >= documents:
            found = _read_positions(searcher, fieldname, text, None)
            if not self.all_live:
                found = found.among(found.ids[self.live[found.ids]])
            self._positions.put(key, found, found.nbytes)
            self._in_part.discard(key)
            return found
        found = _read_positions(searcher, fieldname, text, missing)
        if part is not None:
            found = part[1].merged(found)
            covered = distinct(np.concatenate((covered, missing))).astype(_IDS, copy=False)
        else:
            covered = missing
        self._in_part.put(key, (covered, found), found.nbytes + covered.nbytes)
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
        found = self._filters.get(key)
        if found is None:
            found = evaluator.docnums(query)
            self._filters.put(key, found, found.nbytes)
        return found

    def all_ids(self) -> np.ndarray:
        return np.flatnonzero(self.live).astype(_IDS)


class _Recent(Generic[_V]):
    """The most recently used values by key, up to ``max_entries`` entries and ``max_bytes`` bytes
    (the newest entry is kept even when it alone is larger); safe to share between threads."""

    def __init__(self, max_entries: int, max_bytes: int | None = None) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.cached_bytes = 0
        self._lock = threading.Lock()
        self._values: OrderedDict[Any, tuple[_V, int]] = OrderedDict()

    def get(self, key: Any) -> _V | None:
        with self._lock:
            found = self._values.get(key)
            if found is None:
                return None
            self._values.move_to_end(key)
            return found[0]

    def discard(self, key: Any) -> None:
        with self._lock:
            found = self._values.pop(key, None)
            if found is not None:
                self.cached_bytes -= found[1]

    def put(self, key: Any, value: _V, nbytes: int) -> None:
        with self._lock:
            old = self._values.pop(key, None)
            if old is not None:  # replaced (a term's positions read in part, completed)
                self.cached_bytes -= old[1]
            self._values[key] = (value, nbytes)
            self.cached_bytes += nbytes
            while len(self._values) > 1 and (
                len(self._values) > self.max_entries
                or (self.max_bytes is not None and self.cached_bytes > self.max_bytes)
            ):
                _, (_, size) = self._values.popitem(last=False)
                self.cached_bytes -= size

    def __len__(self) -> int:
        return len(self._values)

    def values(self) -> list[_V]:
        with self._lock:
            return [value for value, _ in self._values.values()]


@dataclass(frozen=True)
class TermPositions:
    """Where a term occurs: its documents (sorted global docnums) and each one's positions,
    ``positions[starts[i]:starts[i + 1]]`` for ``ids[i]``."""

    ids: np.ndarray
    starts: np.ndarray
    positions: np.ndarray

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.starts.nbytes + self.positions.nbytes)

    def among(self, candidates: np.ndarray) -> TermPositions:
        """The same term restricted to the sorted ``candidates`` it occurs in."""
        rows = np.searchsorted(self.ids, candidates[members(candidates, self.ids)])
        counts = self.starts[rows + 1] - self.starts[rows]
        starts = np.zeros(len(rows) + 1, dtype=_IDS)
        np.cumsum(counts, out=starts[1:])
        gather = np.arange(int(starts[-1]), dtype=_IDS) + np.repeat(self.starts[rows] - starts[:-1], counts)
        return TermPositions(self.ids[rows], starts, self.positions[gather])

    def merged(self, other: TermPositions) -> TermPositions:
        """This term's documents and ``other``'s (none in common), in docnum order."""
        if not len(other.ids):
            return self
        if not len(self.ids):
            return other
        ids = np.concatenate((self.ids, other.ids))
        counts = np.concatenate((np.diff(self.starts), np.diff(other.starts)))
        firsts = np.concatenate((self.starts[:-1], other.starts[:-1] + len(self.positions)))
        positions = np.concatenate((self.positions, other.positions))
        order = np.argsort(ids, kind="stable")
        counts = counts[order]
        starts = np.zeros(len(ids) + 1, dtype=_IDS)
        np.cumsum(counts, out=starts[1:])
        gather = np.arange(int(starts[-1]), dtype=_IDS) + np.repeat(firsts[order] - starts[:-1], counts)
        return TermPositions(ids[order], starts, positions[gather])

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(document, position) of every occurrence, in document then position order."""
        return np.repeat(self.ids, np.diff(self.starts)), self.positions.astype(_IDS)


_BYTE_LENGTHS = np.array([byte_to_length(b) or 0 for b in range(256)], dtype=np.float64)


def _length_bytes(reader: Any, fieldname: str) -> np.ndarray | None:
    """A segment's stored field lengths as their one-byte codes, read as one column (or None)."""
    try:
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    except AttributeError:  # another codec: read document by document instead
        return None
    if column is None:
        return None
    try:  # a one-byte numeric column: its bytes are the codes of the first documents, then zeros
        raw = column._dbfile.get(column._basepos, column._count) if column._fixedlen == 1 else None
    except AttributeError:
        raw = None
    if raw is None:
        return np.fromiter((int(b or 0) for b in column), dtype=np.uint8)
    codes = np.zeros(column._doccount, dtype=np.uint8)
    codes[: column._count] = np.frombuffer(raw, dtype=np.uint8)[: column._doccount]
    return codes


def _read_postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """Segment docnums and weights of one term, block by block where the codec allows."""
    if isinstance(matcher, FilterMatcher):  # deletions: the table drops dead documents itself
        matcher = matcher.child
    if isinstance(matcher, PackedMatcher):  # a packed list: decoded whole
        found = matcher._list.decode(positions=False)
        return found.ids, found.weights.astype(np.float64)
    ids: list[Any] = []
    weights: list[Any] = []
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            ids.append(_w3_block_ids(matcher))
            matcher._read_weights()
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


def _read_postings_among(
    matcher: Any, wanted: np.ndarray, directory: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Segment docnums and weights of one term in the sorted segment docnums ``wanted`` only,
    decoding only the blocks that may hold them (a W3 list's blocks found through
    ``directory(matcher)``: its blocks' file offsets and last docnums)."""
    if isinstance(matcher, FilterMatcher):  # deletions: the table drops dead documents itself
        matcher = matcher.child
    if isinstance(matcher, PackedMatcher):
        packed = matcher._list
        lasts = np.asarray(packed.lasts, dtype=_IDS)
        at = np.searchsorted(lasts, wanted)
        blocks = distinct(at[at < len(lasts)]).tolist()
        if not blocks:
            return EMPTY.ids, EMPTY.scores
        found = packed.decode(blocks, positions=False)
        rows = np.flatnonzero(members(found.ids, wanted))
        return found.ids[rows], found.weights[rows].astype(np.float64)
    ids: list[Any] = []
    weights: list[Any] = []
    if isinstance(matcher, W3LeafMatcher) and directory is not None:
        offsets, maxids = directory(matcher)
        at = np.searchsorted(maxids, wanted)  # the one block that may hold each wanted document
        at = at[at < len(maxids)]
        for block_number in distinct(at).tolist():
            matcher._goto(int(offsets[block_number]))
            block = _w3_block_ids(matcher)
            hit = np.flatnonzero(members(block, wanted))
            if len(hit):
                matcher._read_weights()
                ids.append(block[hit])
                weights.append(np.asarray(matcher._weights, dtype=np.float64)[hit])
        if not ids:
            return EMPTY.ids, EMPTY.scores
        return np.concatenate(ids), np.concatenate(weights)
    flat_ids: list[int] = []
    flat_weights: list[float] = []
    for docnum in _skip_through(matcher, wanted):  # another codec: posting by posting
        flat_ids.append(docnum)
        flat_weights.append(matcher.weight())
    return np.array(flat_ids, dtype=_IDS), np.array(flat_weights, dtype=np.float64)


def _skip_through(matcher: Any, wanted: np.ndarray) -> Iterator[int]:
    """Each of ``wanted``'s docnums (ascending) that ``matcher`` holds, the matcher standing on it."""
    for docnum in wanted.tolist():
        if not matcher.is_active():
            return
        matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            yield docnum


def _w3_block_ids(matcher: W3LeafMatcher) -> np.ndarray:
    """The docnums of a W3 matcher's current block (``_read_ids``, its deltas summed by numpy)."""
    if matcher._data is None:
        matcher._read_data()
    raw = matcher._data[0]
    if matcher._byteids:
        return np.asarray(raw, dtype=_IDS)
    return np.cumsum(np.asarray(raw, dtype=_IDS))


def w3_directory(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """(file offset, last docnum) of each block of a W3 posting list, reading only the block
    headers; leaves the matcher at its last block."""
    offsets: list[int] = []
    maxids: list[int] = []
    position = matcher._baseoffset  # a new matcher is at its first block
    while True:
        offsets.append(position)
        maxids.append(matcher._maxid)
        if matcher._lastblock:
            break
        position = matcher._nextoffset
        matcher._goto(position)
    return np.array(offsets, dtype=_IDS), np.array(maxids, dtype=_IDS)


def _read_positions(searcher: Any, fieldname: str, text: bytes, candidates: np.ndarray | None) -> TermPositions:
    """A term's positions in every document that has it (deleted ones too), or only in the
    sorted ``candidates``."""
    format_ = searcher.schema[fieldname].format
    ids: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    positions: list[np.ndarray] = []
    leaves = list(searcher.leaf_searchers())
    bounds = [offset for _, offset in leaves] + [searcher.doc_count_all()]
    for n, (sub, offset) in enumerate(leaves):
        local = None
        if candidates is not None:
            local = candidates[(candidates >= offset) & (candidates < bounds[n + 1])] - offset
            if not len(local):
                continue
        try:
            matcher = sub.reader().postings(fieldname, text)
        except TermNotFound:
            continue
        if isinstance(matcher, FilterMatcher):
            matcher = matcher.child  # the caller drops dead documents
        if isinstance(matcher, PackedMatcher) and type(format_) is CompactPositions:
            seg_ids, seg_counts, seg_positions = _packed_positions(matcher, local)
        else:
            values: list[Any] = []
            seg_ids = _read_values(matcher, local, values)
            starts, seg_positions = _decode_positions(format_, values)
            seg_counts = np.diff(starts)
        ids.append(seg_ids + offset)
        counts.append(seg_counts)
        positions.append(seg_positions)
    if not ids:
        return TermPositions(EMPTY.ids, np.zeros(1, dtype=_IDS), np.empty(0, dtype=np.int32))
    all_counts = np.concatenate(counts)
    starts = np.zeros(len(all_counts) + 1, dtype=_IDS)
    np.cumsum(all_counts, out=starts[1:])
    all_positions = np.concatenate(positions)
    if not len(all_positions) or (all_positions.min() >= 0 and all_positions.max() < 2**31):
        all_positions = all_positions.astype(np.int32)
    return TermPositions(np.concatenate(ids), starts, all_positions)


def _packed_positions(matcher: PackedMatcher, wanted: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segment docnums, position counts and positions of a packed list's postings (only the
    ``wanted`` documents', when given), decoding only the blocks that hold them."""
    packed = matcher._list
    blocks = None
    if wanted is not None:
        lasts = np.asarray(packed.lasts, dtype=_IDS)
        at = np.searchsorted(lasts, wanted)
        blocks = distinct(at[at < len(lasts)]).tolist()
    found = packed.decode(blocks)
    assert found.freqs is not None and found.positions is not None
    absolute = compact_positions(found.freqs, found.positions)
    if wanted is None:
        return found.ids, found.freqs, absolute
    rows = np.flatnonzero(members(found.ids, wanted))
    freqs = found.freqs[rows]
    starts = np.cumsum(found.freqs) - found.freqs
    gather = np.arange(int(freqs.sum()), dtype=_IDS) + np.repeat(starts[rows] - (np.cumsum(freqs) - freqs), freqs)
    return found.ids[rows], freqs, absolute[gather]


def _read_values(matcher: Any, wanted: np.ndarray | None, values: list[bytes]) -> np.ndarray:
    """The segment docnums of a term's postings (only the ``wanted`` ones, when given), their
    raw values appended to ``values`` in the same order."""
    ids: list[np.ndarray] = []
    if isinstance(matcher, W3LeafMatcher):
        done = 0  # wanted documents before this index are behind the current block
        while matcher.is_active() and (wanted is None or done < len(wanted)):
            if wanted is not None and wanted[done] > matcher._maxid:
                matcher._next_block()
                continue
            matcher._read_ids()
            block = np.asarray(matcher._ids, dtype=_IDS)
            if wanted is None:
                hit = np.arange(len(block))
            else:
                upto = int(np.searchsorted(wanted, block[-1], side="right"))
                wanted_here = wanted[done:upto]
                at = np.searchsorted(block, wanted_here)
                hit = at[block[np.minimum(at, len(block) - 1)] == wanted_here]
                done = upto
            if len(hit):
                matcher._read_values()
                if wanted is None:
                    values.extend(matcher._values)
                    ids.append(block)
                else:
                    block_values = matcher._values
                    values.extend([block_values[j] for j in hit.tolist()])
                    ids.append(block[hit])
            matcher._next_block()
    else:  # another codec: posting by posting
        found: list[int] = []
        if wanted is None:
            while matcher.is_active():
                found.append(matcher.id())
                values.append(matcher.value())
                matcher.next()
        else:
            for docnum in _skip_through(matcher, wanted):
                found.append(docnum)
                values.append(matcher.value())
        ids.append(np.array(found, dtype=_IDS))
    return np.concatenate(ids) if ids else EMPTY.ids


def _decode_positions(format_: Any, values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Row starts and concatenated positions of posting values, as ``format_`` decodes them."""
    kind = type(format_)
    found: tuple[np.ndarray, np.ndarray] | None
    if kind is CompactPositions and values:
        found = _decode_compact(values)
    else:
        found = _decode_pickled_deltas(values) if kind is formats.Positions and values else None
    if found is None:  # another format or layout: Whoosh decodes value by value
        decode = format_.decoder("positions")
        lists = [decode(v) for v in values]
        counts = np.fromiter(map(len, lists), dtype=_IDS, count=len(lists))
        positions = np.fromiter(itertools.chain.from_iterable(lists), dtype=_IDS, count=int(counts.sum()))
    else:
        counts, positions = found
    starts = np.zeros(len(values) + 1, dtype=_IDS)
    np.cumsum(counts, out=starts[1:])
    if not len(positions) or (positions.min() >= 0 and positions.max() < 2**31):
        positions = positions.astype(np.int32)
    return starts, positions


def _decode_pickled_deltas(values: list[bytes]) -> tuple[np.ndarray, np.ndarray] | None:
    """(counts, concatenated positions) of Whoosh Positions values, or None if one is laid out
    otherwise than Whoosh writes them.

    Such a value is the count (4 bytes, big-endian) and the pickled (protocol 2) list of
    position deltas, its final STOP sometimes cut. The lists, framed as one list of lists,
    take one ``pickle.loads`` instead of one call (and a Python loop) per value.
    """
    sizes = np.fromiter(map(len, values), dtype=_IDS, count=len(values))
    raw = np.frombuffer(b"".join(values), dtype=np.uint8)
    ends = np.cumsum(sizes)
    begins = ends - sizes
    if not (sizes >= 7).all() or not (raw[begins[:, None] + np.arange(4, 7)] == _PICKLED_LIST).all():
        return None
    header = raw[begins[:, None] + np.arange(4)].astype(_IDS)
    stored = (header[:, 0] << 24) | (header[:, 1] << 16) | (header[:, 2] << 8) | header[:, 3]
    keep = np.ones(len(raw), dtype=bool)
    keep[(begins[:, None] + np.arange(6)).ravel()] = False  # the count and the pickle's protocol
    last = ends - 1
    keep[last[raw[last] == ord(".")]] = False  # a STOP (no list's pickle ends with that byte otherwise)
    try:
        deltas = pickle.loads(b"\x80\x02(" + raw[keep].tobytes() + b"l.")
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError, IndexError, KeyError):
        return None
    counts = np.fromiter(map(len, deltas), dtype=_IDS, count=len(deltas))
    if not np.array_equal(counts, stored):
        return None
    running = np.cumsum(np.fromiter(itertools.chain.from_iterable(deltas), dtype=_IDS, count=int(counts.sum())))
    before = np.concatenate((np.zeros(1, dtype=_IDS), running))[np.cumsum(counts) - counts]
    return counts, running - np.repeat(before, counts)


def _decode_compact(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(counts, concatenated positions) of :class:`search.embedded.schema.CompactPositions` values: a
    position, or a tuple of position deltas."""
    rows = [(v,) if type(v) is int else v for v in values]
    counts = np.fromiter(map(len, rows), dtype=_IDS, count=len(rows))
    running = np.cumsum(np.fromiter(itertools.chain.from_iterable(rows), dtype=_IDS, count=int(counts.sum())))
    before = np.concatenate((np.zeros(1, dtype=_IDS), running))[np.cumsum(counts) - counts]
    return counts, running - np.repeat(before, counts)


_PICKLED_LIST = np.frombuffer(b"\x80\x02]", dtype=np.uint8)  # PROTO 2, EMPTY_LIST


class Evaluator:
    """Evaluates one query tree with one thread's searcher and a generation's posting table."""

    def __init__(self, searcher: Any, table: PostingTable, *, memo: dict[Any, tuple[Any, ...]] | None = None,
                 bounding: bool = False) -> None:
        self.searcher = searcher
        self.table = table
        # Subqueries already run over the whole index (``within`` None) in this search: a relaxed
        # query's steps, its words' frequencies and its final ranking share them.
        self.memo = memo
        self.bounding = bounding  # phrases match every document that has their words (upper bounds)
        weighting = searcher.weighting
        if type(weighting) is not BM25F:
            raise Unsupported(f"scoring model {type(weighting).__name__}")
        self.weighting = weighting
        self.schema = searcher.schema

    def run(self, query: Any, within: np.ndarray | None = None) -> Matches:
        """The documents ``query`` matches (only among ``within`` when given) with their scores."""
        memo = self.memo
        if memo is None:
            return self._run(query, within)
        # By identity (hashing a query tree walks all of it): the query is kept with its result,
        # so its id cannot be another query's while the memo lives.
        seen = memo.get(id(query))
        if seen is not None:  # a document's score never depends on ``within``
            found = seen[1]
            return found if within is None or not len(found) else _restricted(found, within)
        found = self._run(query, within)
        if within is None:
            memo[id(query)] = (query, found)
        return found

    def ranked(self, query: Any, within: np.ndarray | None = None) -> Matches | Bounded:
        """:meth:`run`'s matches, or a :class:`Bounded` for ``AndMaybe(a, b)`` when ``b`` is a bonus of
        phrases (or for such a query with exact bonuses added by more ``AndMaybe``): the positions
        of a phrase are then checked only in the documents the ranking settles."""
        if type(query) is not wq.AndMaybe:
            return self.run(query, within)
        memo = self.memo
        key = ("bounded", id(query), None if within is None else id(within))
        if memo is not None and key in memo:  # kept with the query and ``within``: their ids stay theirs
            found: Matches | Bounded = memo[key][2]
            return found
        if _phrase_bonus(query.b):
            found = self._bounded(query, within)
        else:
            inner = self.ranked(query.a, within)
            if not len(inner):
                return inner
            optional = self.run(query.b, inner.ids)
            found = inner.plus(optional) if isinstance(inner, Bounded) else _add_where_present(inner, optional)
        if memo is not None:
            memo[key] = (query, within, found)
        return found

    def _bounded(self, query: Any, within: np.ndarray | None) -> Matches | Bounded:
        required = self.run(query.a, within)
        if not len(required):
            return required
        bound = Evaluator(self.searcher, self.table, bounding=True).run(query.b, within)
        if len(bound):
            bound = _restricted(bound, required.ids)
        if not len(bound) or bool((bound.scores < 0).any()):  # nothing to prune, or a bound that is none
            return _add_where_present(required, self.run(query.b, required.ids))
        at = np.flatnonzero(members(required.ids, bound.ids))  # where each bound is (all are there)
        upper = required.scores.copy()
        upper[at] += bound.scores
        settled = np.ones(len(required), dtype=bool)
        settled[at] = False  # elsewhere no phrase can match: the lower bound is exact

        def exact(rows: np.ndarray) -> np.ndarray:  # as _add_where_present(required, run(b, required.ids))
            docs = required.ids[rows]
            optional = self.run(query.b, docs)
            found: np.ndarray = required.scores[rows].copy()
            if len(optional):
                found[np.searchsorted(docs, optional.ids)] += optional.scores
            return found

        return Bounded(required.ids, required.scores.copy(), upper, settled, exact)

    def _run(self, query: Any, within: np.ndarray | None) -> Matches:
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
                found = _union([self.run(q, within) for q in subs], self.table.doc_count)
            else:
                found = self._intersection(subs, within)
            return self._boosted(found, query.boost)
        if kind is Listed:
            ids = np.fromiter(query.scores, dtype=_IDS, count=len(query.scores))
            found = Matches(ids, np.fromiter(query.scores.values(), dtype=np.float64, count=len(ids)))
            return found if within is None else _restricted(found, within)
        if kind is AtLeast:
            return self._boosted(self._at_least(query, within), query.boost)
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
            keep = ~members(positive.ids, negative.ids)
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
            if len(within) * DENSE < len(ids):  # a few documents (a ranking's head): look them up
                at = np.searchsorted(ids, within)
                hit = at < len(ids)
                hit[hit] = ids[at[hit]] == within[hit]
                ids, scores = ids[at[hit]], scores[at[hit]]
            else:
                keep = members(ids, within)
                ids, scores = ids[keep], scores[keep]
        if not len(ids):
            return EMPTY
        return Matches(ids, scores)

    def term_scores(self, fieldname: str, text: Any) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, BM25F scores) of one term over the whole index, as Whoosh's BM25FScorer
        computes them, operation for operation."""
        return self._scored(fieldname, text, *self.table.postings(self.searcher, fieldname, text))

    def _scored(self, fieldname: str, text: Any, ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """BM25F scores of a term's postings ``(ids, weights)``, element by element."""
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
        words = query.words
        if not words:
            return EMPTY
        try:
            texts = [field.to_bytes(word) for word in words]
        except ValueError:
            return EMPTY
        sizes = [self._documents(fieldname, text) for text in texts]
        parts: list[Matches] = [EMPTY] * len(words)
        candidates = within
        for i in sorted(range(len(words)), key=sizes.__getitem__):  # the rarest first: the others
            part = self._term_among(fieldname, words[i], texts[i], sizes[i], candidates)  # read in fewer documents
            if not len(part):
                return EMPTY
            parts[i] = part
            candidates = part.ids
        assert candidates is not None
        if len(words) > 1 and not self.bounding:  # bounding: every document with the words may hold the phrase
            candidates = self._with_positions(fieldname, words, candidates, sizes)
        if not len(candidates):
            return EMPTY
        scores = np.zeros(len(candidates), dtype=np.float64)
        for part in parts:  # Whoosh's phrase scores like the And of its words
            scores = scores + part.scores[np.searchsorted(part.ids, candidates)]
        return Matches(candidates, scores)

    def _documents(self, fieldname: str, text: bytes) -> int:
        """How many documents have a term: its live ones when its scores are kept, else as the
        term dictionary counts them (nothing else is read)."""
        kept = self.table.cached_term(fieldname, text)
        if kept is not None:
            return len(kept[0])
        return int(self.searcher.doc_frequency(fieldname, text))

    def _term_among(self, fieldname: str, word: Any, text: bytes, documents: int, within: np.ndarray | None) -> Matches:
        """:meth:`_term` of a phrase word: while ``within`` is a small part (1/PARTIAL_POSITIONS)
        of the term's ``documents`` and its scores are not kept, only the postings of ``within``
        are read and scored (the same scores, kept with the documents they cover), instead of
        the term's whole list."""
        if within is None or len(within) * PARTIAL_POSITIONS >= documents or self.table.cached_term(fieldname, text) is not None:
            return self._term(fieldname, word, within)
        if not len(within):
            return EMPTY
        ids, scores = self.table.term_among(self, fieldname, text, within)
        return Matches(ids, scores) if len(ids) else EMPTY

    def _with_positions(
        self, fieldname: str, words: list[Any], candidates: np.ndarray, sizes: list[int]
    ) -> np.ndarray:
        """The candidates where the words occur at consecutive positions.

        Each word's (document, position - its index in the phrase) pairs are packed into one
        integer; a document matches where all words share a value. The words with the fewest
        documents (``sizes``) go first, so the common ones are read in fewer candidates.
        """
        field = self.schema[fieldname]
        starts: np.ndarray | None = None
        for i in sorted(range(len(words)), key=sizes.__getitem__):
            text = field.to_bytes(words[i])
            documents = self._documents(fieldname, text)
            found = self.table.positions(self.searcher, fieldname, text, candidates, documents)
            docs, positions = found.among(candidates).pairs()
            keys = _distinct_sorted((docs << 32) | (positions - i + (1 << 31)))
            starts = keys if starts is None else _intersection_ids([starts, keys])
            if not len(starts):
                return EMPTY.ids
            candidates = _distinct_sorted(starts >> 32)
        return candidates

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

    def _at_least(self, query: AtLeast, within: np.ndarray | None) -> Matches:
        """Documents of at least ``query.minimum`` subqueries: the sum of their scores, times the
        share of the subqueries matched (as :meth:`AtLeast._matcher` computes it)."""
        subs = query.subqueries
        counts = np.zeros(self.table.doc_count, dtype=np.int64)
        totals = np.zeros(self.table.doc_count, dtype=np.float64)
        for q in subs:
            part = self.run(q, within)
            counts[part.ids] += 1
            totals[part.ids] += part.scores
        ids = np.flatnonzero(counts >= max(query.minimum, 1)).astype(_IDS, copy=False)
        if not len(ids):
            return EMPTY
        return Matches(ids, totals[ids] * (counts[ids] / len(subs)))

    @staticmethod
    def _boosted(found: Matches, boost: float) -> Matches:
        if boost == 1.0 or not len(found):
            return found
        return Matches(found.ids, found.scores * boost)


def _phrase_bonus(query: Any) -> bool:
    """Whether ``query`` checks phrases and its scores only grow with what they match (Or, And,
    terms and phrases, boosts above 0): evaluated with every phrase matching wherever its words
    are, it bounds each document's score from above."""
    found = False
    stack = [query]
    while stack:
        q = stack.pop()
        kind = type(q)
        if kind is Listed:
            continue
        if not getattr(q, "boost", 1.0) > 0:
            return False
        if kind in (wq.Or, wq.And):
            if getattr(q, "scale", None) or getattr(q, "minmatch", 0):
                return False
            stack.extend(q.subqueries)
        elif kind is wq.Phrase:
            found = found or len(q.words) > 1
        elif kind is not wq.Term:
            return False
    return found


def members(ids: np.ndarray, among: np.ndarray) -> np.ndarray:
    """A mask of the sorted ``ids`` that occur in the sorted ``among``: by binary search, or by
    a mask over docnums where ``ids`` are dense (no sort either way)."""
    if not len(among) or not len(ids):
        return np.zeros(len(ids), dtype=bool)
    size = int(max(ids[-1], among[-1])) + 1
    if len(ids) * DENSE >= size:
        present = np.zeros(size, dtype=bool)
        present[among] = True
        found: np.ndarray = present[ids]
        return found
    at = np.searchsorted(among, ids)
    at[at == len(among)] = 0
    result: np.ndarray = among[at] == ids
    return result


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` for values already in ascending order (without sorting them again);
    sorts them when they are not."""
    if len(values) < 2:
        return values
    step = values[1:] != values[:-1]
    if bool((values[1:] >= values[:-1]).all()):
        return values[np.concatenate(([True], step))]
    return distinct(values)


# np.unique imports numpy.ma on its first call (0.1 s of a one-shot search): these avoid it.
def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending (``np.unique(values)``)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def first_indices(values: np.ndarray) -> np.ndarray:
    """The index of each distinct value's first occurrence, by value (``np.unique(values, return_index=True)[1]``)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    if len(ordered) < 2:
        return order
    return order[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def _intersection_ids(arrays: list[np.ndarray]) -> np.ndarray:
    result = arrays[0]
    for other in arrays[1:]:
        result = result[members(result, other)] if len(result) <= len(other) else other[members(other, result)]
    return result


def _union(parts: list[Matches], doc_count: int) -> Matches:
    """Every document of any part; its score the sum of the parts that match it (in part order)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    if sum(len(p) for p in parts) * DENSE >= doc_count:  # one slot per docnum: no sort
        present = np.zeros(doc_count, dtype=bool)
        dense = np.zeros(doc_count, dtype=np.float64)
        for p in parts:
            present[p.ids] = True
            dense[p.ids] += p.scores
        ids = np.flatnonzero(present).astype(_IDS, copy=False)
        return Matches(ids, dense[ids])
    ids = distinct(np.concatenate([p.ids for p in parts]))
    scores = np.zeros(len(ids), dtype=np.float64)
    for p in parts:
        scores[np.searchsorted(ids, p.ids)] += p.scores
    return Matches(ids, scores)


def _restricted(found: Matches, within: np.ndarray) -> Matches:
    keep = members(found.ids, within)
    return Matches(found.ids[keep], found.scores[keep])


def _add_where_present(required: Matches, optional: Matches) -> Matches:
    if not len(optional):
        return required
    scores = required.scores.copy()
    scores[np.searchsorted(required.ids, optional.ids)] += optional.scores
    return Matches(required.ids, scores)
