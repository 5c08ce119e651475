"""Packed posting lists: document deltas, frequencies and positions as bit-packed blocks.

The W3 codec stores a term's postings as blocks of 128, each a pickled (ids, weights, values)
tuple compressed with zlib behind a pickled header: about 6.7 bytes a posting on the shared
corpus. This module's lists store the same postings as bit-packed integers (what tantivy and
Lucene write): per block of 128, the document deltas, the frequencies and the positions each
take the bits their largest number needs. :class:`search.embedded.codec.ZhCodec` reads them
through :class:`PackedMatcher` (a ``W3LeafMatcher`` whose blocks come from here), so Whoosh
searches a segment of these lists as it searches its own; evaluate.py decodes whole lists with
:func:`decode` in a few numpy operations.

A list (the bytes the term info's extent points at)::

    flags (1 byte: weights kind, values kind, frequency base, several blocks, a scale follows)
    n (varint: postings)
    scale (8 bytes, big-endian double; only when the weights are frequency x scale, scale != 1)
    one block:      first id, last id - first id, maximum frequency (varints), min and max
                    length bytes, the stream widths (1 byte each)
    several blocks: a directory record per block (numpy dtype, big-endian: last id, first id,
                    end of its payload, min and max length bytes, maximum frequency or weight,
                    the stream widths)
    the blocks' payloads, each starting on a byte: id deltas - 1 (n - 1 numbers), frequencies
    - base (n), positions (the frequencies' sum), then raw float weights, then pickled values

Weights: all 1.0 (``W_ONES``); the float32 of frequency x scale (``W_SCALED``, the analyzed
fields: scale is the field boost; verified when written); whole numbers carried as the
frequency stream (``W_INTS``); raw float32 (``W_FLOATS``). Values: none (``V_NONE``, a format
without values), a 4-byte big-endian frequency (``V_FREQ``, Whoosh's ``Frequency``), the
:class:`search.embedded.schema.CompactPositions` value (``V_COMPACT``: a position, or the tuple
of position deltas; its numbers are the positions stream), or anything else pickled
(``V_PICKLE``). A block's maximum weight is its maximum frequency x scale, as the segment
writer computes it for the W3 header, so block qualities, weights and values read back as from
the W3 blocks.
"""

from __future__ import annotations

import pickle
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.util.numeric import byte_to_length
from whoosh.util.varints import varint

from .termdict import read_varint

BLOCK = 128
W_ONES, W_SCALED, W_INTS, W_FLOATS = 0, 1, 2, 3
V_NONE, V_FREQ, V_COMPACT, V_PICKLE = 0, 1, 2, 3
_FBASE = 16  # the frequency stream holds frequency - 1
_MULTI = 32  # several blocks: a directory
_HAS_SCALE = 64  # W_SCALED with scale != 1.0: 8 bytes follow n
_SCALE = struct.Struct(">d")
_MAX_WIDTH = 40  # numbers wider than this are not packed (values: V_PICKLE; ids: refused)


@dataclass
class Postings:
    """One term's postings as arrays: what a list encodes and :func:`decode` gives back.

    ``ids`` (int64, increasing), ``weights`` (float32 as stored), ``freqs`` (int64 per posting,
    or None), ``positions`` (int64, the CompactPositions numbers of every posting one after the
    other, or None), ``values`` (a list, for ``V_PICKLE``), the kinds, and ``scale``.
    """

    ids: np.ndarray
    weights: np.ndarray
    freqs: np.ndarray | None
    positions: np.ndarray | None
    values: list[Any] | None
    wkind: int
    vkind: int
    scale: float = 1.0
    exact_weights: np.ndarray | None = None  # W_FLOATS: the weights as given, whose block maxima are kept

    def shifted(self, shift: int) -> Postings:
        return Postings(self.ids + shift, self.weights, self.freqs, self.positions, self.values, self.wkind,
                        self.vkind, self.scale, self.exact_weights)

    def value_list(self, fixed: int | None) -> list[Any]:
        """Each posting's value as the W3 matcher gives it (``fixed``: the format's value size)."""
        return _values(self.vkind, self.freqs, self.positions, self.values, len(self.ids), fixed)

    def select(self, rows: np.ndarray) -> Postings:
        """The postings at ``rows`` (sorted indices)."""
        freqs = None if self.freqs is None else self.freqs[rows]
        positions = None
        if self.positions is not None and self.freqs is not None:
            starts = np.cumsum(self.freqs) - self.freqs
            counts = self.freqs[rows]
            firsts = np.cumsum(counts) - counts
            gather = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(starts[rows] - firsts, counts)
            positions = self.positions[gather]
        values = None if self.values is None else [self.values[i] for i in rows.tolist()]
        return Postings(self.ids[rows], self.weights[rows], freqs, positions, values, self.wkind, self.vkind,
                        self.scale)


def concatenate(parts: list[Postings], fixed: int | None) -> Postings:
    """Several lists' postings one after the other (documents already in increasing order);
    ``fixed`` is the format's value size."""
    if len(parts) == 1:
        return parts[0]
    ids = np.concatenate([p.ids for p in parts])
    weights = np.concatenate([p.weights for p in parts])
    vkinds = {p.vkind for p in parts}
    vkind = parts[0].vkind
    if len(vkinds) > 1 or vkind == V_PICKLE:
        values = [v for p in parts for v in p.value_list(fixed)]
        return from_lists(ids, weights, values, fixed, scale=_scale_of(parts))
    if len({(p.wkind, p.scale) for p in parts}) == 1 and parts[0].wkind != W_FLOATS:
        first = parts[0]
        freqs = None if first.freqs is None else np.concatenate([p.freqs for p in parts])  # type: ignore[misc]
        positions = None if first.positions is None else np.concatenate([p.positions for p in parts])  # type: ignore[misc]
        return Postings(ids, weights, freqs, positions, None, first.wkind, vkind, first.scale)
    freqs = None
    positions = None
    if vkind in (V_FREQ, V_COMPACT):
        freqs = np.concatenate([p.freqs for p in parts])  # type: ignore[misc]
        if vkind == V_COMPACT:
            positions = np.concatenate([p.positions for p in parts])  # type: ignore[misc]
    wkind, scale = _weights_kind(weights, freqs, _scale_of(parts))
    if wkind == W_INTS:
        freqs = weights.astype(np.int64)
    exact = None
    if wkind == W_FLOATS:
        exact = np.concatenate([p.exact_weights if p.exact_weights is not None else p.weights.astype(np.float64)
                                for p in parts])
    return Postings(ids, weights, freqs, positions, None, wkind, vkind, scale, exact)


def _scale_of(parts: list[Postings]) -> float | None:
    return next((p.scale for p in parts if p.wkind == W_SCALED), None)


def from_lists(ids: Any, weights: Any, values: Any, fixed: int | None, *, scale: float | None = None) -> Postings:
    """:class:`Postings` of a term's postings as the W3 blocks hold them: document numbers,
    stored weights and values (``fixed``: the format's value size, None or < 0 for variable).
    ``scale`` is the weights' expected frequency factor (the field boost), tried first."""
    id_array = np.asarray(ids, dtype=np.int64)
    n = len(id_array)
    stored = np.asarray(weights, dtype=np.float32)
    freqs: np.ndarray | None = None
    positions: np.ndarray | None = None
    kept: list[Any] | None = None
    if fixed == 0:
        vkind = V_NONE
    elif fixed == 4 and n and all(type(v) is bytes and len(v) == 4 for v in values):
        vkind = V_FREQ
        freqs = np.frombuffer(b"".join(values), dtype=">u4").astype(np.int64)
    elif (fixed is None or fixed < 0) and n and _compact(values):
        vkind = V_COMPACT
        freqs = np.fromiter((1 if type(v) is int else len(v) for v in values), dtype=np.int64, count=n)
        flat: list[int] = []
        for v in values:
            if type(v) is int:
                flat.append(v)
            else:
                flat += v
        positions = np.array(flat, dtype=np.int64)
        if len(positions) and (positions.min() < 0 or int(positions.max()).bit_length() > _MAX_WIDTH):
            vkind, freqs, positions, kept = V_PICKLE, None, None, list(values)
    else:
        vkind = V_PICKLE
        kept = list(values)
    wkind, scale = _weights_kind(stored, freqs, scale)
    if wkind == W_INTS:
        freqs = stored.astype(np.int64)
    exact = np.asarray(weights, dtype=np.float64) if wkind == W_FLOATS else None
    return Postings(id_array, stored, freqs, positions, kept, wkind, vkind, scale, exact)


def _compact(values: Any) -> bool:
    """Whether every value is a CompactPositions value this format rebuilds: an int, or a tuple
    of ints of any length but 1."""
    for v in values:
        kind = type(v)
        if kind is int:
            continue
        if kind is not tuple or len(v) == 1 or not all(type(x) is int for x in v):
            return False
    return True


def _weights_kind(stored: np.ndarray, freqs: np.ndarray | None, scale: float | None) -> tuple[int, float]:
    if not len(stored) or bool((stored == 1.0).all()):
        return W_ONES, 1.0
    if freqs is not None:
        candidates = [] if scale is None else [float(scale)]
        some = np.flatnonzero(freqs > 0)
        if len(some):
            candidates.append(float(stored[some[0]]) / int(freqs[some[0]]))
        for candidate in candidates:
            if np.array_equal((freqs.astype(np.float64) * candidate).astype(np.float32), stored):
                return W_SCALED, candidate
        return W_FLOATS, 1.0
    whole = stored.astype(np.float64)
    if bool(((whole == np.floor(whole)) & (whole >= 0) & (whole < 2**32)).all()):
        return W_INTS, 1.0
    return W_FLOATS, 1.0


# -- bit packing ------------------------------------------------------------------------------

_OFFSETS8 = np.arange(8, dtype=np.int64)


def _pack(values: np.ndarray, widths: np.ndarray, bitstarts: np.ndarray, nbytes: int) -> np.ndarray:
    """A byte array of ``nbytes`` with each value written MSB first in ``widths`` bits at its
    bit offset (the values' bit ranges are disjoint, so adding their bytes ORs them)."""
    out = np.zeros(nbytes + 8, dtype=np.uint8)
    if len(values):
        keep = widths > 0
        values, widths, bitstarts = values[keep], widths[keep], bitstarts[keep]
        shift = (64 - (bitstarts & 7) - widths).astype(np.uint64)
        words = (values.astype(np.uint64) << shift).astype(">u8").view(np.uint8).reshape(-1, 8)
        where = ((bitstarts >> 3)[:, None] + _OFFSETS8).ravel()
        out += np.bincount(where, weights=words.ravel(), minlength=len(out)).astype(np.uint8)
    return out[:nbytes]


def _unpack(buffer: np.ndarray, widths: np.ndarray, bitstarts: np.ndarray) -> np.ndarray:
    """The numbers at ``bitstarts`` of ``widths`` bits in ``buffer`` (padded with 8 zero bytes)."""
    if not len(widths):
        return np.zeros(0, dtype=np.int64)
    words = buffer[(bitstarts >> 3)[:, None] + _OFFSETS8].view(">u8").reshape(-1).astype(np.uint64)
    shift = (64 - (bitstarts & 7) - widths).astype(np.uint64)
    masks = (np.uint64(1) << widths.astype(np.uint64)) - np.uint64(1)
    return ((words >> (shift & np.uint64(63))) & masks).astype(np.int64)


def _width(values: np.ndarray) -> int:
    return int(values.max()).bit_length() if len(values) else 0


def _directory_dtype(wkind: int, vkind: int) -> np.dtype:
    fields = [("last", ">u4"), ("first", ">u4"), ("end", ">u4"), ("minlen", "u1"), ("maxlen", "u1")]
    if wkind == W_FLOATS:
        fields.append(("maxweight", ">f8"))
    elif _has_freqs(wkind, vkind):
        fields.append(("maxfreq", ">u4"))
    fields.append(("wid", "u1"))
    if _has_freqs(wkind, vkind):
        fields.append(("wf", "u1"))
    if vkind == V_COMPACT:
        fields.append(("wp", "u1"))
    return np.dtype(fields)


def _has_freqs(wkind: int, vkind: int) -> bool:
    return vkind in (V_FREQ, V_COMPACT) or wkind == W_INTS


# -- writing ----------------------------------------------------------------------------------

def encode(postings: Postings, length_bytes: Any) -> bytes:
    """The packed list of ``postings``; ``length_bytes`` holds each posting's document length
    byte (0: none), for the blocks' minimum and maximum."""
    freqs = None if postings.freqs is None else postings.freqs.tolist()
    flat = None if postings.positions is None else postings.positions.tolist()
    exact = postings.exact_weights if postings.exact_weights is not None else postings.weights
    return encode_lists(postings.ids.tolist(), postings.weights, freqs, flat, postings.values, postings.wkind,
                        postings.vkind, postings.scale, list(length_bytes), exact)


def encode_lists(ids: list[int], weights: np.ndarray, freqs: list[int] | None, flat: list[int] | None,
                 values: list[Any] | None, wkind: int, vkind: int, scale: float, length_bytes: list[int],
                 exact: Any = None) -> bytes:
    """:func:`encode` of a list given as Python lists (the writers' form): document numbers,
    stored weights (float32 array; read only for ``W_FLOATS`` and to see they are all 1.0),
    frequencies, the CompactPositions numbers, pickled values, the kinds and scale, length bytes,
    and for ``W_FLOATS`` the weights whose block maxima the directory keeps."""
    n = len(ids)
    if not n:
        raise ValueError("an empty posting list")
    if ids[0] < 0 or ids[-1] >= 2**32:
        raise ValueError("document numbers out of range")
    if wkind != W_ONES and (all(w == 1.0 for w in weights) if type(weights) is list else bool((weights == 1.0).all())):
        wkind = W_ONES  # one form for the same postings, however they came
    has_freqs = _has_freqs(wkind, vkind)
    fbase = 0
    if has_freqs:
        assert freqs is not None
        low, high = min(freqs), max(freqs)
        if low < 0 or high >= 2**32:
            raise ValueError("frequencies out of range")
        fbase = 1 if low >= 1 else 0
    nblocks = (n + BLOCK - 1) // BLOCK
    flags = wkind | vkind << 2 | (_FBASE if fbase else 0) | (_MULTI if nblocks > 1 else 0)
    if wkind == W_SCALED and scale != 1.0:
        flags |= _HAS_SCALE
    head = bytearray((flags,))
    head += varint(n)
    if flags & _HAS_SCALE:
        head += _SCALE.pack(scale)
    payloads = []
    records = []
    at = 0  # position in flat
    end = 0
    for first in range(0, n, BLOCK):
        last = min(first + BLOCK, n)
        block_ids = ids[first:last]
        deltas = list(map(_gap, block_ids[1:], block_ids))
        streams = [deltas]
        if has_freqs:
            block_freqs = freqs[first:last]  # type: ignore[index]
            streams.append([f - 1 for f in block_freqs] if fbase else block_freqs)
            if vkind == V_COMPACT:
                count = sum(block_freqs)
                streams.append(flat[at : at + count])  # type: ignore[index]
                at += count
        widths = [max(s).bit_length() if s else 0 for s in streams]
        if max(widths) > _MAX_WIDTH:
            raise ValueError("numbers too large to pack")
        if min(deltas, default=0) < 0:
            raise ValueError("document numbers must increase")
        payload = _pack_streams(streams, widths)
        if wkind == W_FLOATS:
            payload += np.asarray(weights[first:last], dtype=">f4").tobytes()
        if vkind == V_PICKLE:
            payload += pickle.dumps(tuple((values or [])[first:last]), 4)
        payloads.append(payload)
        end += len(payload)
        lengths = length_bytes[first:last]
        present = [b for b in lengths if b]
        minlen = min(present) if present else 0
        maxlen = max(lengths)
        if wkind == W_FLOATS:
            top: Any = float(max(exact[first:last]))
        elif has_freqs:
            top = max(freqs[first:last])  # type: ignore[index]
        else:
            top = None
        records.append((block_ids[-1], block_ids[0], end, minlen, maxlen, top, widths))
    if nblocks == 1:
        last_id, first_id, _, minlen, maxlen, top, widths = records[0]
        head += varint(first_id) + varint(last_id - first_id)
        head.append(minlen)
        head.append(maxlen)
        if wkind == W_FLOATS:
            head += _SCALE.pack(top)
        elif has_freqs:
            head += varint(top)
        head += bytes(widths)
        return bytes(head) + payloads[0]
    directory = np.zeros(nblocks, dtype=_directory_dtype(wkind, vkind))
    columns = list(zip(*records))
    for name, column in zip(("last", "first", "end", "minlen", "maxlen"), columns):
        directory[name] = column
    if wkind == W_FLOATS:
        directory["maxweight"] = columns[5]
    elif has_freqs:
        directory["maxfreq"] = columns[5]
    for k, name in enumerate(("wid", "wf", "wp")[: len(records[0][6])]):
        directory[name] = [w[k] for w in columns[6]]
    return bytes(head) + directory.tobytes() + b"".join(payloads)


def _gap(after: int, before: int) -> int:
    return after - before - 1


_NUMPY_FROM = 512  # streams of more numbers than this are packed by numpy


def _pack_streams(streams: list[list[int]], widths: list[int]) -> bytes:
    """The streams' numbers MSB first, each stream in its width, one after the other, padded
    to a byte."""
    total = sum(len(s) * w for s, w in zip(streams, widths))
    if sum(map(len, streams)) > _NUMPY_FROM:
        numbers = np.array([x for s in streams for x in s], dtype=np.int64)
        width_of = np.repeat(np.array(widths, dtype=np.int64), [len(s) for s in streams])
        bitstarts = np.cumsum(width_of) - width_of
        return _pack(numbers, width_of, bitstarts, (total + 7) // 8).tobytes()
    acc = 0
    for stream, width in zip(streams, widths):
        if width:
            for x in stream:
                acc = acc << width | x
    nbytes = (total + 7) // 8
    return (acc << (nbytes * 8 - total)).to_bytes(nbytes, "big")


def shift_list(raw: bytes, shift: int) -> bytes:
    """A packed list with every document number moved by ``shift`` (its payloads unchanged:
    only each block's first and last ids are absolute)."""
    if not shift:
        return raw
    flags = raw[0]
    n, pos = read_varint(raw, 1)
    if flags & _HAS_SCALE:
        pos += _SCALE.size
    if not flags & _MULTI:
        first, after = read_varint(raw, pos)
        return raw[:pos] + varint(first + shift) + raw[after:]
    dtype = _directory_dtype(flags & 3, flags >> 2 & 3)
    nblocks = (n + BLOCK - 1) // BLOCK
    directory = np.frombuffer(raw, dtype=dtype, count=nblocks, offset=pos).copy()
    if int(directory["last"][-1]) + shift >= 2**32:
        raise ValueError("document numbers out of range")
    directory["last"] += shift
    directory["first"] += shift
    return raw[:pos] + directory.tobytes() + raw[pos + directory.nbytes :]


# -- reading ----------------------------------------------------------------------------------

class PackedList:
    """A packed list's header and block directory, parsed; :meth:`decode` reads its blocks."""

    __slots__ = ("raw", "buffer", "n", "wkind", "vkind", "fbase", "scale", "nblocks", "counts", "lasts", "firsts",
                 "minlens", "maxlens", "maxweights", "payload_starts", "payload_ends", "widths")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.buffer: np.ndarray | None = None
        flags = raw[0]
        self.wkind, self.vkind = flags & 3, flags >> 2 & 3
        self.fbase = 1 if flags & _FBASE else 0
        n, pos = read_varint(raw, 1)
        self.n = n
        self.scale = 1.0
        if flags & _HAS_SCALE:
            (self.scale,) = _SCALE.unpack_from(raw, pos)
            pos += _SCALE.size
        has_freqs = _has_freqs(self.wkind, self.vkind)
        nstreams = 1 + has_freqs + (self.vkind == V_COMPACT)
        self.nblocks = nblocks = (n + BLOCK - 1) // BLOCK
        if not flags & _MULTI:
            first, pos = read_varint(raw, pos)
            span, pos = read_varint(raw, pos)
            self.firsts = [first]
            self.lasts = [first + span]
            self.minlens = [raw[pos]]
            self.maxlens = [raw[pos + 1]]
            pos += 2
            if self.wkind == W_FLOATS:
                maxweight = _SCALE.unpack_from(raw, pos)[0]
                pos += _SCALE.size
            elif has_freqs:
                maxfreq, pos = read_varint(raw, pos)
                maxweight = maxfreq * self.scale
            else:
                maxweight = 1.0
            self.maxweights = [maxweight]
            self.widths = [list(raw[pos : pos + nstreams])]
            pos += nstreams
            self.counts = [n]
            self.payload_starts = [pos]
            self.payload_ends = [len(raw)]
            return
        dtype = _directory_dtype(self.wkind, self.vkind)
        directory = np.frombuffer(raw, dtype=dtype, count=nblocks, offset=pos)
        base = pos + directory.nbytes
        self.lasts = directory["last"].tolist()
        self.firsts = directory["first"].tolist()
        ends = directory["end"].astype(np.int64) + base
        self.payload_ends = ends.tolist()
        self.payload_starts = [base, *self.payload_ends[:-1]]
        self.minlens = directory["minlen"].tolist()
        self.maxlens = directory["maxlen"].tolist()
        if self.wkind == W_FLOATS:
            self.maxweights = directory["maxweight"].tolist()
        elif has_freqs:
            scale = self.scale
            self.maxweights = [f * scale for f in directory["maxfreq"].tolist()]
        else:
            self.maxweights = [1.0] * nblocks
        names = ["wid"] + (["wf"] if has_freqs else []) + (["wp"] if self.vkind == V_COMPACT else [])
        self.widths = np.stack([directory[name].astype(np.int64) for name in names], axis=1).tolist()
        self.counts = [BLOCK] * (nblocks - 1) + [n - BLOCK * (nblocks - 1)]

    def max_weight(self, block: int) -> float:
        """The block's maximum weight as the W3 header holds it (0 when not positive)."""
        weight = self.maxweights[block]
        return float(weight) if weight > 0 else 0

    def decode(self, blocks: Any = None, *, positions: bool = True) -> Postings:
        """The postings of ``blocks`` (block numbers in order; all when None), their positions
        only with ``positions``."""
        if self.nblocks == 1 and self.n <= _PYTHON_UPTO and self.wkind != W_FLOATS and self.vkind != V_PICKLE:
            return _small(self, positions)
        if self.buffer is None:
            self.buffer = np.frombuffer(self.raw + bytes(8), dtype=np.uint8)
        buffer = self.buffer
        if blocks is None:
            blocks = range(self.nblocks)
        blocks = list(blocks)
        nb = len(blocks)
        counts = np.array([self.counts[b] for b in blocks], dtype=np.int64)
        starts8 = np.array([self.payload_starts[b] for b in blocks], dtype=np.int64) * 8
        widths = np.array([self.widths[b] for b in blocks], dtype=np.int64).reshape(nb, -1)
        firsts = np.array([self.firsts[b] for b in blocks], dtype=np.int64)
        total = int(counts.sum())
        # ids: each block's first, then its deltas + 1
        nd = counts - 1
        block_of = np.repeat(np.arange(nb), nd)
        index = np.arange(int(nd.sum()), dtype=np.int64) - np.repeat(np.cumsum(nd) - nd, nd)
        wid = widths[:, 0]
        increments = np.zeros(total, dtype=np.int64)
        head = np.cumsum(counts) - counts
        not_head = np.ones(total, dtype=bool)
        not_head[head] = False
        increments[not_head] = _unpack(buffer, wid[block_of], starts8[block_of] + index * wid[block_of]) + 1
        increments[head] = firsts
        running = np.cumsum(increments)
        ids = running - np.repeat(running[head] - firsts, counts)
        after = starts8 + nd * wid
        freqs = None
        flat = None
        column = 1
        if _has_freqs(self.wkind, self.vkind):
            wf = widths[:, column]
            column += 1
            block_of = np.repeat(np.arange(nb), counts)
            index = np.arange(total, dtype=np.int64) - np.repeat(head, counts)
            freqs = _unpack(buffer, wf[block_of], after[block_of] + index * wf[block_of]) + self.fbase
            after = after + counts * wf
            if self.vkind == V_COMPACT and positions:
                wp = widths[:, column]
                sums = np.add.reduceat(freqs, head) if total else np.zeros(nb, dtype=np.int64)
                block_of = np.repeat(np.arange(nb), sums)
                index = np.arange(int(sums.sum()), dtype=np.int64) - np.repeat(np.cumsum(sums) - sums, sums)
                flat = _unpack(buffer, wp[block_of], after[block_of] + index * wp[block_of])
                after = after + sums * wp
        if self.wkind == W_ONES:
            weights = np.ones(total, dtype=np.float32)
        elif self.wkind == W_SCALED:
            weights = (freqs.astype(np.float64) * self.scale).astype(np.float32)  # type: ignore[union-attr]
        elif self.wkind == W_INTS:
            weights = freqs.astype(np.float32)  # type: ignore[union-attr]
        else:
            weights = np.empty(total, dtype=np.float32)
        values = None
        if self.wkind == W_FLOATS or self.vkind == V_PICKLE:
            packed_ends = (after + 7) // 8
            values = [] if self.vkind == V_PICKLE else None
            for k, b in enumerate(blocks):
                at = int(packed_ends[k])
                count = self.counts[b]
                if self.wkind == W_FLOATS:
                    weights[head[k] : head[k] + count] = np.frombuffer(self.raw, dtype=">f4", count=count, offset=at)
                    at += 4 * count
                if values is not None:
                    values += pickle.loads(self.raw[at : self.payload_ends[b]])
        return Postings(ids, weights, freqs, flat, values, self.wkind, self.vkind, self.scale)


_PYTHON_UPTO = 48  # lists of one block of at most this many postings are decoded without numpy's overhead


def _taken(acc: int, bits: int, at: int, count: int, width: int) -> list[int]:
    """``count`` numbers of ``width`` bits from bit ``at`` (MSB first) of the ``bits``-bit ``acc``."""
    if not width:
        return [0] * count
    mask = (1 << width) - 1
    shift = bits - at - width
    out = []
    for _ in range(count):
        out.append(acc >> shift & mask)
        shift -= width
    return out


def small_lists(self: PackedList, positions: bool = True) -> tuple[list[int], list[int] | None, list[int] | None]:
    """The document numbers, frequencies (None: the kinds have none) and CompactPositions
    numbers (None: none, or not ``positions``) of a list of one block, as Python lists."""
    raw, start = self.raw, self.payload_starts[0]
    payload = raw[start : self.payload_ends[0]]
    acc, bits = int.from_bytes(payload, "big"), 8 * len(payload)
    n, widths = self.n, self.widths[0]
    ids = [self.firsts[0]]
    for delta in _taken(acc, bits, 0, n - 1, widths[0]):
        ids.append(ids[-1] + delta + 1)
    at = (n - 1) * widths[0]
    freqs = flat = None
    if _has_freqs(self.wkind, self.vkind):
        fbase = self.fbase
        freqs = [f + fbase for f in _taken(acc, bits, at, n, widths[1])]
        at += n * widths[1]
        if self.vkind == V_COMPACT and positions:
            flat = _taken(acc, bits, at, sum(freqs), widths[2])
    return ids, freqs, flat


def _small(self: PackedList, positions: bool) -> Postings:
    """``PackedList.decode`` of a short list of one block, in Python."""
    ids, freqs, flat = small_lists(self, positions)
    n = len(ids)
    freq_array = None if freqs is None else np.array(freqs, dtype=np.int64)
    if self.wkind == W_ONES:
        weights = np.ones(n, dtype=np.float32)
    elif self.wkind == W_SCALED:
        weights = (freq_array.astype(np.float64) * self.scale).astype(np.float32)  # type: ignore[union-attr]
    else:
        weights = freq_array.astype(np.float32)  # type: ignore[union-attr]
    return Postings(np.array(ids, dtype=np.int64), weights, freq_array, None if flat is None else np.array(flat, dtype=np.int64),
                    None, self.wkind, self.vkind, self.scale)


def decode(raw: bytes, *, positions: bool = True) -> Postings:
    """Every posting of a packed list."""
    return PackedList(raw).decode(positions=positions)


def _values(vkind: int, freqs: np.ndarray | None, flat: np.ndarray | None, kept: list[Any] | None, n: int,
            fixed: int | None) -> list[Any]:
    if vkind == V_PICKLE:
        return list(kept or [])
    if vkind == V_NONE or fixed == 0:
        return [None] * n if fixed == 0 else [b""] * n
    assert freqs is not None
    if vkind == V_FREQ:
        raw = freqs.astype(">u4").tobytes()
        return [raw[i : i + 4] for i in range(0, 4 * n, 4)]
    assert flat is not None
    numbers = flat.tolist()
    out: list[Any] = []
    at = 0
    for f in freqs.tolist():
        out.append(numbers[at] if f == 1 else tuple(numbers[at : at + f]))
        at += f
    return out


def compact_positions(freqs: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """The absolute positions of CompactPositions numbers (each posting's first absolute, the
    rest deltas), posting after posting."""
    running = np.cumsum(flat)
    before = np.concatenate((np.zeros(1, dtype=np.int64), running))[np.cumsum(freqs) - freqs]
    return running - np.repeat(before, freqs)


# -- Whoosh's matcher over a packed list --------------------------------------------------------

class PackedMatcher(W3LeafMatcher):
    """``W3LeafMatcher`` over a packed list: the same block interface (``_goto``, ``_next_block``,
    ``_read_ids``/``_weights``/``_values``, the block statistics), its blocks decoded here."""

    def __init__(self, postfile: Any, startoffset: int, length: int, format_: Any, term: Any = None,
                 scorer: Any = None) -> None:
        self._postfile = postfile
        self._startoffset = startoffset
        self._length = length
        self.format = format_
        self._term = term
        self._byteids = None
        self.scorer = scorer
        self._fixedsize = format_.fixed_value_size()
        self._list = PackedList(postfile.get(startoffset, length))
        self.reset()

    def _read_header(self) -> None:  # W3's magic: none here
        return None

    def reset(self) -> None:
        self._lastblock = False
        self._atend = False
        self._goto(0)

    def _goto(self, position: int) -> None:
        """Go to block ``position`` (a block number here, a file offset in W3)."""
        packed = self._list
        self._block = position
        self._data = None
        self._ids = None
        self._weights = None
        self._values = None
        self._i = 0
        self._lastblock = position == packed.nblocks - 1
        self._blocklength = packed.counts[position]
        self._maxid = packed.lasts[position]
        self._maxweight = packed.max_weight(position)
        self._compression = 0
        self._minlength = byte_to_length(packed.minlens[position])
        self._maxlength = byte_to_length(packed.maxlens[position])

    def _next_block(self) -> None:
        if self._atend:
            raise Exception("No next block")
        if self._lastblock:
            self._atend = True
        else:
            self._goto(self._block + 1)

    def _read_data(self) -> None:
        self._data = self._list.decode([self._block])

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = self._data.ids.tolist()

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        self._weights = self._data.weights.tolist()

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        self._values = self._data.value_list(self._fixedsize)

    def block_min_id(self) -> int:
        return int(self._list.firsts[self._block])

    def copy(self) -> PackedMatcher:
        found = PackedMatcher.__new__(PackedMatcher)
        found.__dict__.update(self.__dict__)
        return found
