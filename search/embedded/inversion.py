"""Inverting a segment's analyzed fields as whole arrays (numpy), then writing their posting blocks.

A :class:`FieldTokens` collects one field's terms for every document of a segment as term ids in
document and position order. :meth:`FieldTokens.invert` sorts them by term once (a stable sort
keeps documents and positions in order), groups them into postings, delta-encodes document
numbers and positions, and computes every posting block's statistics (weights, lengths, counts)
in numpy, for all the terms at once. :func:`write_field` then only assembles each block's bytes:
the W3 codec's pickled (ids, weights, values) tuple, as :class:`search.embedded.segments._PostingsFile`
writes it, so the files stay the ones Whoosh writes (see ``tests/test_lifecycle_segments.py``).
"""

from __future__ import annotations

import functools
import io
import pickle
import re
import struct
import zlib
from array import array
from collections.abc import Callable, Sequence
from pickle import dumps
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import pack_int, pack_long
from whoosh.util.numeric import length_to_byte

from ..text.analysis import _CJK, BOUNDARY, pair_term
from .postings import V_COMPACT, V_FREQ, W_SCALED, encode, encode_lists, from_lists
from .termdict import InfoColumns

BLOCK = 128  # postings per block: the W3 codec's _blocklimit
TERM_BATCH = 1 << 14  # terms whose infos write_field holds at a time
_FREQ = struct.Struct("!I")  # pack_uint
_TERMINFO = struct.Struct("!BfIBBfII")  # W3TermInfo's layout
_length_byte = functools.lru_cache(maxsize=1024)(length_to_byte)


class FieldTokens:
    """One analyzed field's terms in a segment, as term ids per document (document order)."""

    __slots__ = ("vocabulary", "ids", "docnums", "counts", "_next")

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}  # term -> id (ids have gaps: see add)
        self.ids = array("q")  # each token's term id, documents one after the other
        self.docnums = array("i")  # the documents with tokens, in the order added
        self.counts = array("i")  # their token counts
        self._next = 0

    def add(self, docnum: int, terms: Sequence[str]) -> None:
        """Append one document's terms (in position order). Documents come in increasing order."""
        n = len(terms)
        # A new term takes the id of its first token's slot: one C-level pass, ids unique but sparse.
        self.ids.extend(map(self.vocabulary.setdefault, terms, range(self._next, self._next + n)))
        self._next += n
        self.docnums.append(docnum)
        self.counts.append(n)

    def invert(self, *, positions: bool, compact: bool = False) -> Inverted:
        """The field's postings grouped by term, terms in sorted order (with ``compact``, the
        positions are :class:`search.embedded.schema.CompactPositions` values rather than ``Positions``')."""
        terms = sorted(self.vocabulary)
        vocabulary = self.vocabulary
        rank = np.empty(self._next, dtype=np.int32)
        rank[np.fromiter((vocabulary[t] for t in terms), dtype=np.int64, count=len(terms))] = np.arange(
            len(terms), dtype=np.int32)
        ranks = rank[np.frombuffer(self.ids, dtype=np.int64)]
        return _invert(terms, ranks, np.frombuffer(self.docnums, dtype=np.int32),
                       np.frombuffer(self.counts, dtype=np.int32), positions=positions, compact=compact)


class KeyedTokens:
    """One character or pair field's tokens in a segment, as integer keys (see :class:`CharKeys`)
    computed with numpy from each text's code points, rather than a term string at a time."""

    __slots__ = ("keys", "docnums", "counts", "term")

    def __init__(self, term: Callable[[int], str]) -> None:
        self.term = term  # a key's term
        self.keys: list[np.ndarray] = []
        self.docnums = array("i")
        self.counts = array("i")

    def add(self, docnum: int, keys: np.ndarray) -> None:
        """Append one document's token keys (in position order). Documents come in increasing order."""
        self.keys.append(keys)
        self.docnums.append(docnum)
        self.counts.append(len(keys))

    def invert(self, *, positions: bool, compact: bool = False) -> Inverted:
        """The field's postings grouped by term, terms in sorted order (``compact``: as
        :meth:`FieldTokens.invert`)."""
        unique, inverse = np.unique(np.concatenate(self.keys), return_inverse=True)
        self.keys.clear()
        names = [self.term(k) for k in unique.tolist()]
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(names), dtype=np.int32)
        rank[np.array(order, dtype=np.int64)] = np.arange(len(names), dtype=np.int32)
        return _invert([names[i] for i in order], rank[inverse.reshape(-1)],
                       np.frombuffer(self.docnums, dtype=np.int32), np.frombuffer(self.counts, dtype=np.int32),
                       positions=positions, compact=compact)


def _invert(terms: list[str], ranks: np.ndarray, docnums: np.ndarray, counts: np.ndarray, *,
            positions: bool, compact: bool = False) -> Inverted:
    """Postings from each token's term rank (``terms[rank]``), documents one after the other
    (``docnums``, each with ``counts`` tokens), tokens in position order."""
    order = np.argsort(ranks, kind="stable")  # by term; documents and positions stay in order
    ranks = ranks[order]
    docs = np.repeat(docnums, counts)[order]
    total = len(ranks)
    # A posting starts where the term or the document changes.
    starts = np.ones(total, dtype=bool)
    starts[1:] = (ranks[1:] != ranks[:-1]) | (docs[1:] != docs[:-1])
    posting_starts = np.flatnonzero(starts)
    freqs = np.diff(np.append(posting_starts, total))
    values: list[bytes] | None = None
    if positions:
        firsts = np.cumsum(counts) - counts
        pos = (np.arange(total, dtype=np.int64) - np.repeat(firsts, counts))[order]
        deltas = np.empty_like(pos)
        deltas[0:1] = pos[0:1]
        deltas[1:] = pos[1:] - pos[:-1]
        deltas[posting_starts] = pos[posting_starts]
        values = (_compact_values if compact else _position_values)(freqs, posting_starts, pos, deltas)
    posting_terms = ranks[posting_starts]
    term_starts = np.flatnonzero(np.append(True, posting_terms[1:] != posting_terms[:-1]))
    return Inverted(terms, term_starts, docs[posting_starts], freqs, values, deltas if positions and compact else None)


# Character classes of CharKeys: not a token character, a CJK character (a token alone), a
# character of a run of other letters and digits (the run is one token).
_SEPARATOR, _CJK_CHAR, _RUN_CHAR = 0, 1, 2
_RUN_BASE = 0x110000  # keys below are a CJK character's code point; a run's key is this + its number
_PAIR_SHIFT = 23  # a pair's key: its first element's key << _PAIR_SHIFT | its second's
_BOUNDARY_KEY = (1 << _PAIR_SHIFT) - 1  # the boundary's key as an element of a pair
_MAX_RUNS = _BOUNDARY_KEY - _RUN_BASE  # distinct letter/digit runs a segment may number


@functools.cache
def _char_classes() -> np.ndarray:
    """Each code point's class, as ``CHAR_TOKEN`` and ``SEPARATOR`` of :mod:`search.text.analysis` see it."""
    every = "".join(map(chr, range(0x110000)))
    classes = np.zeros(0x110000, dtype=np.uint8)
    for cls, pattern in ((_RUN_CHAR, f"[^\\W_{_CJK}]"), (_CJK_CHAR, f"(?=\\w)[{_CJK}]")):
        marked = np.frombuffer(re.sub(pattern, "\0", every).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        hits = marked == 0
        hits[0] = False  # U+0000 itself is a separator
        classes[hits] = cls
    return classes


class CharKeys:
    """Integer keys of the character tokens and the character pairs of normalized texts.

    A CJK character's key is its code point; a run of other letters and digits gets a number of
    its own (in this object, the first time it is seen); a pair's key joins its two elements' keys
    (the boundary has one too). :meth:`term` turns a key back into the analyzer's term. The tokens
    are those of ``CharTokenizer`` and ``PairTokenizer`` (tests compare them on every text).
    """

    def __init__(self) -> None:
        self._classes = _char_classes()
        self._runs: dict[str, int] = {}
        self._run_names: list[str] = []
        self._last: tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None

    def _tokens(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each token's key, start and end (the last text's kept: a text's characters and then
        its pairs are asked for one after the other)."""
        last = self._last
        if last is not None and last[0] is text:
            return last[1]
        found = self._tokens_of(text)
        self._last = (text, found)
        return found

    def _tokens_of(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        classes = self._classes[points]
        cjk = classes == _CJK_CHAR
        run = classes == _RUN_CHAR
        if not run.any():
            starts = np.flatnonzero(cjk)
            return points[starts].astype(np.int64), starts, starts + 1
        run_starts = run.copy()
        run_starts[1:] &= ~run[:-1]
        run_ends = run.copy()
        run_ends[:-1] &= ~run[1:]
        starts = np.flatnonzero(cjk | run_starts)
        keys = points[starts].astype(np.int64)
        ends = starts + 1
        at_runs = np.flatnonzero(run[starts])
        run_stops = np.flatnonzero(run_ends) + 1
        ends[at_runs] = run_stops
        runs = self._runs
        names = self._run_names
        for i, start, end in zip(at_runs.tolist(), starts[at_runs].tolist(), run_stops.tolist()):
            name = text[start:end]
            number = runs.get(name)
            if number is None:
                number = runs[name] = len(names)
                if number >= _MAX_RUNS:
                    raise ValueError("too many distinct letter and digit runs for one segment")
                names.append(name)
            keys[i] = _RUN_BASE + number
        return keys, starts, ends

    def chars(self, text: str) -> np.ndarray:
        """The keys of ``CharTokenizer``'s terms of ``text``."""
        return self._tokens(text)[0]

    def pairs(self, text: str) -> np.ndarray:
        """The keys of ``PairTokenizer``'s terms of ``text``: for each token, the pair of a boundary
        before it (at the start, or after separators) and it, then its pair with what follows
        (the next token, or a boundary)."""
        keys, starts, ends = self._tokens(text)
        n = len(keys)
        if not n:
            return keys
        joined = np.empty(n, dtype=bool)  # token i is followed by token i + 1 with no separator
        joined[:-1] = ends[:-1] == starts[1:]
        joined[-1] = False
        after = np.where(joined, np.append(keys[1:], 0), _BOUNDARY_KEY)
        slots = np.empty((n, 2), dtype=np.int64)
        slots[:, 0] = (_BOUNDARY_KEY << _PAIR_SHIFT) | keys
        slots[:, 1] = (keys << _PAIR_SHIFT) | after
        before = np.empty(n, dtype=bool)
        before[0] = True
        before[1:] = ~joined[:-1]
        keep = np.empty((n, 2), dtype=bool)
        keep[:, 0] = before
        keep[:, 1] = True
        return slots[keep]

    def _element(self, key: int) -> str:
        if key == _BOUNDARY_KEY:
            return BOUNDARY
        return chr(key) if key < _RUN_BASE else self._run_names[key - _RUN_BASE]

    def char_term(self, key: int) -> str:
        return self._element(key)

    def pair_term(self, key: int) -> str:
        return pair_term(self._element(key >> _PAIR_SHIFT), self._element(key & _BOUNDARY_KEY))


def _position_values(freqs: np.ndarray, starts: np.ndarray, pos: np.ndarray, deltas: np.ndarray) -> list[bytes]:
    """Each posting's ``Positions.encode`` bytes: its frequency, then its pickled position deltas."""
    one = _one_position
    values: list[bytes] = [one(p) for p in pos[starts].tolist()]
    several = np.flatnonzero(freqs > 1)
    if len(several):
        flat = deltas.tolist()
        pack = _FREQ.pack
        for i, s, f in zip(several.tolist(), starts[several].tolist(), freqs[several].tolist()):
            values[i] = pack(f) + dumps(flat[s : s + f], 2)
    return values


def _compact_values(freqs: np.ndarray, starts: np.ndarray, pos: np.ndarray, deltas: np.ndarray) -> list[Any]:
    """Each posting's ``CompactPositions.encode`` value: its position, or the tuple of its deltas."""
    values: list[Any] = pos[starts].tolist()
    several = np.flatnonzero(freqs > 1)
    if len(several):
        flat = deltas.tolist()
        for i, s, f in zip(several.tolist(), starts[several].tolist(), freqs[several].tolist()):
            values[i] = tuple(flat[s : s + f])
    return values


class Inverted:
    """A field's postings in term order: terms, where each term's postings start, and per posting
    its document number, frequency and (positions fields) encoded value; for CompactPositions
    fields also ``numbers``, every posting's CompactPositions numbers (its position, or its
    position deltas) one after the other."""

    __slots__ = ("terms", "term_starts", "docs", "freqs", "values", "numbers")

    def __init__(self, terms: list[str], term_starts: np.ndarray, docs: np.ndarray, freqs: np.ndarray,
                 values: list[bytes] | None, numbers: np.ndarray | None = None) -> None:
        self.terms = terms
        self.term_starts = term_starts
        self.docs = docs
        self.freqs = freqs
        self.values = values
        self.numbers = numbers


def small_pickle(obj: Any, protocol: int) -> bytes:
    """``pickle.dumps(obj, protocol)`` without its PROTO opcode and memo (BINPUT) opcodes: 2 bytes
    less per pickle and per tuple in it (a posting block's tuples, a position tuple in each of its
    values). Any unpickler reads it back as the same object (an object that occurs twice is written
    twice: none does in the blocks written here)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol)
    pickler.fast = True  # no memo
    pickler.dump(obj)
    return out.getvalue()[2:]


def block_header(count: int, last: int, max_weight: float, compression: int, min_length: int,
                 max_length: int) -> bytes:
    """A posting block's pickled info tuple as written here: ``small_pickle``, and a whole-number
    maximum weight as an integer (2 or 3 bytes instead of 9; it compares and scores the same)."""
    if max_weight.is_integer() and abs(max_weight) < 2**31:
        max_weight = int(max_weight)
    return small_pickle((count, last, max_weight, compression, min_length, max_length), 2)


def block_weights(stored_weights: Sequence[float], *, whole_as_int: bool = True) -> Any:
    """A posting block's weights as its pickle holds them: None when every one is 1.0 (the reader's
    default), the one number when they are all equal, whole numbers below 2**31 as ints (shorter
    pickles; ``whole_as_int=False`` keeps Whoosh's floats), else the tuple."""
    lightest, heaviest = min(stored_weights), max(stored_weights)
    if lightest == 1.0 and heaviest == 1.0:
        return None
    if lightest == heaviest:
        return stored_weights[0]
    if whole_as_int and heaviest < 2**31 and all(w.is_integer() for w in stored_weights):
        return tuple(map(int, stored_weights))
    return tuple(stored_weights)


def compress_block(data: bytes, *, like_whoosh: bool, compress_from: int, level: int) -> tuple[bytes, int]:
    """A posting block's pickled data as written, and the compression level its header records:
    every block compressed as Whoosh's writer does (``like_whoosh``), else only blocks of
    ``compress_from`` bytes or more, with a small window (the reader's zlib.decompress reads both)."""
    if like_whoosh:
        return zlib.compress(data, level), level
    if len(data) >= compress_from:
        packer = zlib.compressobj(level, zlib.DEFLATED, 12, 4)
        return packer.compress(data) + packer.flush(), level
    return data, 0


def write_field(
    inverted: Inverted,
    *,
    boost: float,
    doc_lengths: np.ndarray,
    write: Callable[[bytes], Any],
    offset: int,
    add_terms: Callable[[list[bytes], list[bytes]], None],
    prefix: bytes,
    like_whoosh: bool,
    compress_from: int,
    compression: int,
    block_pickle: int,
    packed: bool = False,
    add_columns: Callable[[list[bytes], InfoColumns], None] | None = None,
) -> int:
    """Write every term's posting blocks (``write``, the ``.pst`` file from ``offset``) and its term
    infos (``add_terms``, keys ``prefix`` + term, all at once). Returns the new offset.

    Block data is pickled with protocol ``block_pickle`` (2, Whoosh's, with ``like_whoosh``).
    ``doc_lengths`` holds each document's stored field length (0 when Whoosh keeps none).
    A positions field has ``inverted.values``; a frequency field stores its frequencies as the
    fixed-size values (4 bytes, big-endian). With ``packed`` the lists are
    :mod:`search.embedded.postings`' packed blocks (a :class:`search.embedded.codec.ZhCodec`
    segment) rather than W3 blocks; inlined postings and term infos are the same. With
    ``add_columns`` too, the term infos of packed lists go to it as columns
    (:class:`search.embedded.termdict.InfoColumns`, the same infos) instead of ``add_terms``.
    """
    postings = len(inverted.docs)
    if not postings:
        return offset
    term_starts = inverted.term_starts
    per_term = np.diff(np.append(term_starts, postings))
    blocks_per_term = (per_term + BLOCK - 1) // BLOCK
    # Block starts: each term's start, then every BLOCK postings.
    first_block = np.cumsum(blocks_per_term) - blocks_per_term
    within = np.arange(int(blocks_per_term.sum())) - np.repeat(first_block, blocks_per_term)
    block_starts = np.repeat(term_starts, blocks_per_term) + within * BLOCK
    block_ends = np.minimum(block_starts + BLOCK, np.repeat(term_starts + per_term, blocks_per_term))

    docs = inverted.docs.astype(np.int64)
    weights = inverted.freqs.astype(np.float64) * boost if boost != 1.0 else inverted.freqs.astype(np.float64)
    stored = weights.astype(np.float32).astype(np.float64)  # Whoosh keeps a block's weights as float32
    block_max = np.maximum.reduceat(weights, block_starts)
    lightest = np.minimum.reduceat(stored, block_starts)
    heaviest = np.maximum.reduceat(stored, block_starts)
    lengths = doc_lengths[docs]
    none = np.iinfo(np.int64).max
    block_min_length = np.minimum.reduceat(np.where(lengths > 0, lengths, none), block_starts)
    block_max_length = np.maximum.reduceat(lengths, block_starts)
    term_weight = np.add.reduceat(stored, term_starts)
    term_max_weight = np.maximum.reduceat(weights, term_starts)
    term_min_length = np.minimum.reduceat(np.where(lengths > 0, lengths, none), term_starts)
    term_max_length = np.maximum.reduceat(lengths, term_starts)
    id_deltas = np.empty_like(docs)
    id_deltas[0] = docs[0]
    id_deltas[1:] = docs[1:] - docs[:-1]
    id_deltas[block_starts] = docs[block_starts]

    byte = _length_byte
    min_bytes = [0 if v == none else byte(v) for v in block_min_length.tolist()]
    max_bytes = [byte(v) for v in block_max_length.tolist()]
    values = inverted.values
    if values is None:
        fixed_values = inverted.freqs.astype(">u4").tobytes()
    elif like_whoosh:
        # distinct objects, pickled each time as Whoosh does (CompactPositions values are already)
        values = [bytes(bytearray(v)) if type(v) is bytes else v for v in values]
    flat_ids = id_deltas.tolist()
    flat_stored = stored.tolist()
    # A block whose weights are all whole numbers (frequencies, boost 1) keeps them as integers,
    # which its pickle stores in 2 bytes each instead of 9; they score the same.
    integral = (np.minimum.reduceat((stored == np.floor(stored)) & (stored < 2**31), block_starts).tolist()
                if not like_whoosh else [False] * len(block_starts))
    flat_whole = stored.astype(np.int64).tolist() if any(integral) else flat_stored
    all_docs = docs.tolist()
    block_ends_list = block_ends.tolist()
    block_max_list = block_max.tolist()
    lightest_list = lightest.tolist()
    heaviest_list = heaviest.tolist()
    starts_list = block_starts.tolist()
    term_block = first_block.tolist()
    term_blocks = blocks_per_term.tolist()
    term_counts = per_term.tolist()
    term_weights = term_weight.tolist()
    term_max_weights = term_max_weight.tolist()
    term_min_lengths = [0 if v == none else byte(v) for v in term_min_length.tolist()]
    term_max_lengths = [byte(v) for v in term_max_length.tolist()]
    term_firsts = term_starts.tolist()
    pack_info = _TERMINFO.pack
    magic = WHOOSH3_HEADER_MAGIC
    protocol = 2 if like_whoosh else block_pickle
    pickled = dumps if like_whoosh else small_pickle

    if packed:
        length_codes = _length_codes(lengths)
        flat_freqs = inverted.freqs.tolist()
        numbers = inverted.numbers
        flat_numbers = numbers.tolist() if numbers is not None else None
        number_starts = (np.cumsum(inverted.freqs) - inverted.freqs).tolist() if numbers is not None else None
        stored32 = stored.astype(np.float32)
        vkind = V_FREQ if values is None else V_COMPACT if numbers is not None else None

    def packed_list(low: int, high: int) -> bytes:
        if vkind is None:  # another positions format: its values pickled
            return encode(from_lists(all_docs[low:high], stored32[low:high], values[low:high], None, scale=boost),
                          length_codes[low:high])
        flat = None
        if flat_numbers is not None:
            flat = flat_numbers[number_starts[low] : number_starts[high - 1] + flat_freqs[high - 1]]
        return encode_lists(all_docs[low:high], stored32[low:high], flat_freqs[low:high], flat, None, W_SCALED, vkind,
                            boost, length_codes[low:high])

    def write_blocks(several: list[int], lo: int, infos: list[bytes], offset: int) -> int:
        """Write the posting blocks of the terms ``several``; term ``t``'s info goes to ``infos[t - lo]``."""
        for t in several:
            start = offset
            if packed:
                low = term_firsts[t]
                block = packed_list(low, low + term_counts[t])
                write(block)
                offset += len(block)
                count = term_counts[t]
                infos[t - lo] = (pack_info(False, term_weights[t], count, term_min_lengths[t], term_max_lengths[t],
                                           term_max_weights[t], all_docs[low], all_docs[low + count - 1])
                                 + pack_long(start) + pack_int(len(block)))
                continue
            chunks = [magic]
            first, nblocks = term_block[t], term_blocks[t]
            for b in range(first, first + nblocks):
                low, high = starts_list[b], block_ends_list[b]
                lo_w, hi_w = lightest_list[b], heaviest_list[b]
                if lo_w == 1.0 and hi_w == 1.0:
                    mini_weights: Any = None
                elif lo_w == hi_w:
                    mini_weights = lo_w
                else:
                    mini_weights = tuple((flat_whole if integral[b] else flat_stored)[low:high])
                mini_ids = tuple(flat_ids[low:high])
                mini_values = tuple(values[low:high]) if values is not None else fixed_values[low * 4 : high * 4]
                data, level = compress_block(pickled((mini_ids, mini_weights, mini_values), protocol),
                                             like_whoosh=like_whoosh, compress_from=compress_from, level=compression)
                header = (high - low, all_docs[high - 1], block_max_list[b], level, min_bytes[b], max_bytes[b])
                info = dumps(header, 2) if like_whoosh else block_header(*header)
                size = len(info) + len(data)
                chunks += (pack_int(-size if b == first + nblocks - 1 else size), info, data)
            block = b"".join(chunks)
            write(block)
            offset += len(block)
            count = term_counts[t]
            low = term_firsts[t]
            infos[t - lo] = (pack_info(False, term_weights[t], count, term_min_lengths[t], term_max_lengths[t],
                                       term_max_weights[t], all_docs[low], all_docs[low + count - 1])
                             + pack_long(start) + pack_int(len(block)))
        return offset

    single = np.zeros(len(inverted.terms), dtype=bool) if like_whoosh else per_term == 1
    one_values = (values if values is not None else fixed_values).__getitem__
    width = 4 if values is None else 0
    for lo in range(0, len(inverted.terms), TERM_BATCH):  # a batch of terms at a time: bounded memory
        hi = min(lo + TERM_BATCH, len(inverted.terms))
        keys = [prefix + term.encode("utf-8") for term in inverted.terms[lo:hi]]
        if packed and add_columns is not None:
            offset = _add_columns(keys, lo, hi, single, term_starts, per_term, term_weight, term_max_weight,
                                  term_min_lengths, term_max_lengths, docs, one_values, width, packed_list,
                                  write, offset, add_columns)
            continue
        infos: list[bytes] = [b""] * len(keys)
        # A term with one posting: inlined in its term info.
        ones = lo + np.flatnonzero(single[lo:hi])
        firsts = term_starts[ones]
        for t, info in zip(ones.tolist(), inlined_term_infos(
                docs[firsts], stored[firsts], term_max_weight[ones],
                np.array([term_min_lengths[t] for t in ones.tolist()], dtype=np.uint8),
                [one_values(slice(low * 4, low * 4 + 4)) if width else one_values(low) for low in firsts.tolist()])):
            infos[t - lo] = info
        offset = write_blocks((lo + np.flatnonzero(~single[lo:hi])).tolist(), lo, infos, offset)
        add_terms(keys, infos)
    return offset


def _add_columns(keys: list[bytes], lo: int, hi: int, single: np.ndarray, term_starts: np.ndarray,
                 per_term: np.ndarray, term_weight: np.ndarray, term_max_weight: np.ndarray,
                 term_min_lengths: list[int], term_max_lengths: list[int], docs: np.ndarray,
                 one_values: Callable[[Any], Any], width: int, packed_list: Callable[[int, int], bytes],
                 write: Callable[[bytes], Any], offset: int,
                 add_columns: Callable[[list[bytes], InfoColumns], None]) -> int:
    """``write_field``'s batch of terms ``lo:hi`` (packed lists): each list written, then the
    batch's term infos given to ``add_columns`` as columns. Returns the new offset."""
    inlined = single[lo:hi]
    firsts = term_starts[lo:hi]
    counts = per_term[lo:hi]
    offsets = np.zeros(hi - lo, dtype=np.int64)
    sizes = np.zeros(hi - lo, dtype=np.int64)
    for t, low, count in zip(np.flatnonzero(~inlined).tolist(), firsts[~inlined].tolist(), counts[~inlined].tolist()):
        block = packed_list(low, low + count)
        write(block)
        offsets[t] = offset
        sizes[t] = len(block)
        offset += len(block)
    values: list[Any] = [None] * (hi - lo)
    for t, low in zip(np.flatnonzero(inlined).tolist(), firsts[inlined].tolist()):
        value = one_values(slice(low * 4, low * 4 + 4)) if width else one_values(low)
        values[t] = () if type(value) is bytes and not value else (value,)  # as inlined_term_info pickles it
    min_lengths = np.array(term_min_lengths[lo:hi], dtype=np.int64)
    add_columns(keys, InfoColumns(inlined, term_weight[lo:hi], term_max_weight[lo:hi], counts, min_lengths,
                                  np.where(inlined, min_lengths, np.array(term_max_lengths[lo:hi], dtype=np.int64)),
                                  docs[firsts], docs[firsts + counts - 1], offsets, sizes, values))
    return offset


def _length_codes(lengths: np.ndarray) -> list[int]:
    """Each posting's document length as its length byte (0 for none)."""
    if not len(lengths):
        return []
    distinct, inverse = np.unique(lengths, return_inverse=True)
    codes = np.array([_length_byte(v) if v > 0 else 0 for v in distinct.tolist()], dtype=np.int64)
    return codes[inverse.reshape(-1)].tolist()  # type: ignore[no-any-return]


def inlined_term_info(docnum: int, stored_weight: float, max_weight: float, length_byte: int, value: Any) -> bytes:
    """The ``W3TermInfo`` bytes of a term with one posting, the posting inlined in it.

    Whoosh's reader reads inlined postings (``W3TermInfo.is_inlined``) without the posting
    file; its own writer never inlines (its ``inlinelimit`` is 1). Inlined, a term in one document
    takes its term info and a pickle of ~20 bytes instead of a block (magic, size, block info and
    data: ~60 bytes) and the block's address (12 bytes). A weight of 1.0 is left out (an empty
    weights tuple reads as 1.0); ``value`` is the posting's value (None for a format without
    values, which a block reads back as None too).
    """
    weights = () if stored_weight == 1.0 else (stored_weight,)
    return _TERMINFO.pack(True, stored_weight, 1, length_byte, length_byte, max_weight, docnum, docnum) + small_pickle(
        ((docnum,), weights, () if type(value) is bytes and not value else (value,)), 2)  # b"": as Whoosh inlines


# W3TermInfo's layout as a numpy record (_TERMINFO: "!BfIBBfII", 23 bytes).
_TERMINFO_RECORD = np.dtype([("inlined", "u1"), ("weight", ">f4"), ("count", ">u4"), ("min_length", "u1"),
                             ("max_length", "u1"), ("max_weight", ">f4"), ("first", ">u4"), ("last", ">u4")])
_INLINED_IDS = b"\x85"  # (docnum,): TUPLE1 (small_pickle: no PROTO, no memo)
_INLINED_REST_FROM = 2 + len(_INLINED_IDS)  # after (0,) pickled: BININT1 0, TUPLE1


def inlined_term_infos(docnums: np.ndarray, stored_weights: np.ndarray, max_weights: np.ndarray,
                       length_bytes: np.ndarray, values: Sequence[Any]) -> list[bytes]:
    """``inlined_term_info`` of each term with one posting, their fixed-size heads packed by numpy
    and their pickles put together from pieces: the document number's opcode, then the pickle of
    the weights and the value, which does not depend on the document number (an int is never
    memoized), made once for each distinct (weights, value)."""
    n = len(docnums)
    if not n:
        return []
    heads = np.empty(n, dtype=_TERMINFO_RECORD)
    heads["inlined"] = 1
    heads["weight"] = stored_weights
    heads["count"] = 1
    heads["min_length"] = length_bytes
    heads["max_length"] = length_bytes
    heads["max_weight"] = max_weights
    heads["first"] = docnums
    heads["last"] = docnums
    packed = heads.tobytes()
    size = _TERMINFO_RECORD.itemsize
    opcodes: dict[int, bytes] = {}
    rests: dict[tuple[Any, ...], bytes] = {}
    infos = []
    for i, (docnum, weight, value) in enumerate(zip(docnums.tolist(), stored_weights.tolist(), values)):
        code = opcodes.get(docnum)
        if code is None:
            code = opcodes[docnum] = dumps(docnum, 2)[2:-1]  # BININT1, BININT2 or BININT and its bytes
        key = (weight, type(value), value)
        rest = rests.get(key)
        if rest is None:
            weights = () if weight == 1.0 else (weight,)
            rest = rests[key] = small_pickle(((0,), weights, () if type(value) is bytes and not value else (value,)),
                                             2)[_INLINED_REST_FROM:]
        infos.append(packed[i * size : (i + 1) * size] + code + _INLINED_IDS + rest)
    return infos


@functools.lru_cache(maxsize=1 << 16)
def _one_position(pos: int) -> bytes:
    """``Positions.encode([pos])``: the value of a term that occurs once in a text."""
    return _FREQ.pack(1) + dumps([pos], 2)
