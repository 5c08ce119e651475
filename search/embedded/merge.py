"""Merging finished segments into one segment without analysing their text again.

A build writes a segment per ~1.5 million characters (see :mod:`search.embedded.writer`); many segments
make the index bigger (each term's dictionary entry and posting header once per segment) and
queries slower. :func:`merge_segments` joins them after the fact, streaming: per field, a k-way
merge of the segments' sorted term dictionaries; for each term its postings are read from each
segment in order, renumbered (the documents of segment *k* follow those of segments 0..k-1,
deleted documents are dropped) and written again as a packed list (:mod:`search.embedded.postings`;
a term in one segment is copied, only its block ids moved), from packed, W3 (older indexes) or
inlined postings alike; the terms to merge are read a batch at a time and merged together on
arrays (:mod:`search.embedded.mergebatch`), the term-by-term code below taking the kinds it leaves
and the largest terms. The per-document files (stored fields, field lengths, columns) are copied
document by document. So the merged segment holds what one :class:`~search.embedded.segments.SegmentBuilder`
fed the same documents in the same order writes (``tests/test_lifecycle_merge.py``).

Memory holds a batch's postings (at most ``_BATCH_POSTINGS``; a larger term alone) and one byte
per document and length field, not a segment.
"""

from __future__ import annotations

import heapq
import io
import pickle
import secrets
import struct
import zlib
from array import array
from itertools import accumulate
from collections.abc import Iterator, Sequence
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, W3Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length

import numpy as np

from .inversion import small_pickle
from .mergebatch import merge_short_terms
from .termdict import _docnum_opcode
from .postings import (V_COMPACT, V_FREQ, V_NONE, V_PICKLE, W_FLOATS, W_ONES, W_SCALED, PackedList, Postings,
                       concatenate, decode, encode, encode_lists, from_lists, shift_list, small_lists)
from .postings import _MAX_WIDTH, _compact
from .segments import _BLOCK, _CODEC, _TERMINFO, INDEX_NAME, PACKED_CODEC, _length_byte, _PostingsFile

_BLOCK_SIZE = struct.Struct("!i")  # a posting block's length; negative for a term's last block
_EXTENT = struct.Struct("!qi")  # where a term's postings are in the .pst file (after its statistics)


class _Lengths:
    """A field's length per merged document, as the encoder asks for it (``get``: None when 0)."""

    __slots__ = ("_bytes",)

    def __init__(self, size: int) -> None:
        self._bytes = bytearray(size)

    def get(self, docnum: int) -> int | None:
        return byte_to_length(self._bytes[docnum]) or None

    def __bool__(self) -> bool:
        return any(self._bytes)


class _Source:
    """One segment being merged: its reader and how its document numbers change."""

    def __init__(self, storage: Any, schema: Any, segment: Any, offset: int) -> None:
        self.reader = SegmentReader(storage, schema, segment)
        self.segment = segment
        self.count = segment.doc_count_all()
        # Old docnum -> new docnum, or None when the segment has no deletions (a plain offset).
        self.renumber: array[int] | None = None
        live = self.count
        if segment.has_deletions():
            self.renumber = array("q", [-1]) * self.count
            n = offset
            for docnum in range(self.count):
                if not segment.is_deleted(docnum):
                    self.renumber[docnum] = n
                    n += 1
            live = n - offset
        self.offset = offset
        self.live = live
        self.packed = bool(getattr(segment.codec(), "PACKED_POSTINGS", False))

    def live_docnums(self) -> Iterator[int]:
        return (d for d in range(self.count) if not self.segment.is_deleted(d))

    def terms(self, fieldname: str, rank: int) -> Iterator[tuple[bytes, int, bytes]]:
        """The field's terms in this segment, in order, as (term, ``rank``, term info bytes)."""
        for term, info in raw_terms(self.reader, fieldname):
            yield term, rank, info

    def raw_postings(self, info: bytes) -> bytes | None:
        """The term's posting list as stored (None for postings inlined in the term info)."""
        if info[0]:
            return None
        offset, length = _EXTENT.unpack_from(info, _TERMINFO.size)
        raw = self.reader._terms._postfile.get(offset, length)
        if not self.packed and raw[:4] != WHOOSH3_HEADER_MAGIC:
            raise ValueError(f"segment {self.segment.segment_id()}: no posting list at {offset}")
        return raw

    def arrays(self, info: bytes, fixed: int | None) -> Postings | None:
        """The term's postings in this segment, renumbered (deleted documents dropped); None
        when none is left."""
        raw = self.raw_postings(info)
        if raw is None:
            ids, weights, values = pickle.loads(info[_TERMINFO.size :])
            # No weights: each is 1.0; no values: b"" (see search.embedded.inversion.inlined_term_info).
            found = from_lists(ids, list(weights) or [1.0] * len(ids), list(values) or [b""] * len(ids), fixed)
        elif self.packed:
            found = decode(raw)
        else:
            found = _w3_postings(raw, fixed)
        if self.renumber is None:
            return found.shifted(self.offset)
        new = np.frombuffer(self.renumber, dtype=np.int64)[found.ids]
        rows = np.flatnonzero(new >= 0)
        if not len(rows):
            return None
        kept = found.select(rows)
        kept.ids = new[rows]
        return kept

    def lists(self, info: bytes, fixed: int | None) -> _Lists | None:
        """:meth:`arrays` in Python lists, for a term whose postings here are inlined or one packed
        block (most terms in several segments): None when the numpy path must take them (other
        kinds of postings); a :class:`_Lists` of no postings when none is left."""
        raw = self.raw_postings(info)
        if raw is None:
            found = _inlined_lists(info, fixed)
            if found is None:
                return None
        else:
            if not self.packed:
                return None
            packed = PackedList(raw)
            if packed.nblocks != 1 or packed.wkind == W_FLOATS or packed.vkind == V_PICKLE:
                return None
            ids, freqs, flat = small_lists(packed)
            wkind, scale = packed.wkind, packed.scale
            if wkind == W_ONES:
                weights = [1.0] * len(ids)
            elif wkind == W_SCALED:
                weights = [_f32(f * scale) for f in freqs]  # type: ignore[union-attr]
            else:
                weights = [_f32(float(f)) for f in freqs]  # type: ignore[union-attr]
            found = _Lists(ids, weights, freqs, flat, wkind, packed.vkind, scale)
        if self.renumber is None:
            offset = self.offset
            found.ids = [i + offset for i in found.ids]
            return found
        renumber = self.renumber
        new = [renumber[i] for i in found.ids]
        if min(new) >= 0:
            found.ids = new
            return found
        keep = [k for k, i in enumerate(new) if i >= 0]
        if found.flat is not None:
            starts = [0, *accumulate(found.freqs)]  # type: ignore[arg-type]
            flat = found.flat
            found.flat = [x for k in keep for x in flat[starts[k] : starts[k + 1]]]
        found.ids = [new[k] for k in keep]
        found.weights = [found.weights[k] for k in keep]
        if found.freqs is not None:
            found.freqs = [found.freqs[k] for k in keep]
        return found

    def close(self) -> None:
        self.reader.close()


class _Lists:
    """One term's postings in one segment as Python lists (see :class:`~search.embedded.postings.Postings`)."""

    __slots__ = ("ids", "weights", "freqs", "flat", "wkind", "vkind", "scale")

    def __init__(self, ids: list[int], weights: list[float], freqs: list[int] | None, flat: list[int] | None,
                 wkind: int, vkind: int, scale: float) -> None:
        self.ids, self.weights, self.freqs, self.flat = ids, weights, freqs, flat
        self.wkind, self.vkind, self.scale = wkind, vkind, scale


_FLOAT32 = struct.Struct("f")


_ROUNDED: dict[float, float] = {}  # few distinct weights (frequency x boost): each rounded once


def _f32(value: float) -> float:
    """``value`` rounded to float32, as numpy's ``astype(np.float32)``."""
    rounded = _ROUNDED.get(value)
    if rounded is None:
        rounded = _FLOAT32.unpack(_FLOAT32.pack(value))[0]
        if len(_ROUNDED) < 65536:
            _ROUNDED[value] = rounded
    return rounded


def _inlined_lists(info: bytes, fixed: int | None) -> _Lists | None:
    """``from_lists`` of a term's inlined postings, in Python; None for the kinds it leaves to numpy."""
    ids, stored, values = pickle.loads(info[_TERMINFO.size :])
    n = len(ids)
    weights = [_f32(w) for w in stored] or [1.0] * n
    values = list(values) or [b""] * n
    freqs: list[int] | None = None
    flat: list[int] | None = None
    if fixed == 0:
        vkind = V_NONE
    elif fixed == 4 and n and all(type(v) is bytes and len(v) == 4 for v in values):
        vkind = V_FREQ
        freqs = [int.from_bytes(v, "big") for v in values]
    elif (fixed is None or fixed < 0) and n and _compact(values):
        vkind = V_COMPACT
        freqs = [1 if type(v) is int else len(v) for v in values]
        flat = []
        for v in values:
            if type(v) is int:
                flat.append(v)
            else:
                flat += v
        if flat and (min(flat) < 0 or max(flat).bit_length() > _MAX_WIDTH):
            return None
    else:
        return None
    kind = _weights_kind(weights, freqs, None)
    if kind is None:
        return None
    return _Lists(list(ids), weights, freqs, flat, kind[0], vkind, kind[1])


def _weights_kind(weights: list[float], freqs: list[int] | None, scale: float | None) -> tuple[int, float] | None:
    """``postings._weights_kind`` in Python (None: W_INTS or W_FLOATS, left to numpy)."""
    if all(w == 1.0 for w in weights):
        return W_ONES, 1.0
    if freqs is None:
        return None
    candidates = [] if scale is None else [float(scale)]
    some = next((k for k, f in enumerate(freqs) if f > 0), None)
    if some is not None:
        candidates.append(weights[some] / freqs[some])
    for candidate in candidates:
        if all(_f32(f * candidate) == w for f, w in zip(freqs, weights)):
            return W_SCALED, candidate
    return None


def _joined(parts: list[_Lists]) -> _Lists | None:
    """``postings.concatenate`` of lists (None: kinds left to numpy)."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    if len({p.vkind for p in parts}) > 1:
        return None
    ids = [i for p in parts for i in p.ids]
    weights = [w for p in parts for w in p.weights]
    freqs = None if first.freqs is None else [f for p in parts for f in p.freqs]  # type: ignore[union-attr]
    flat = None if first.flat is None else [x for p in parts for x in p.flat]  # type: ignore[union-attr]
    if len({(p.wkind, p.scale) for p in parts}) == 1:
        return _Lists(ids, weights, freqs, flat, first.wkind, first.vkind, first.scale)
    if first.vkind not in (V_FREQ, V_COMPACT):
        return None
    kind = _weights_kind(weights, freqs, next((p.scale for p in parts if p.wkind == W_SCALED), None))
    if kind is None:
        return None
    return _Lists(ids, weights, freqs, flat, kind[0], first.vkind, kind[1])


_RECORD = struct.Struct("!ii")  # a term dictionary record's key and value lengths (filetables._lengths)
_CHUNK = 1 << 20  # bytes of the term dictionary read at a time


def raw_terms(reader: Any, fieldname: str) -> Iterator[tuple[bytes, bytes]]:
    """A segment reader's terms of one field, in order, as (term, term info bytes as stored).

    The records are read from the dictionary file a megabyte at a time and cut here (the hash
    file lays them out in key order before its hash tables), rather than with two reads of the
    file per record through ``OrderedHashReader.items_from``. A segment written with
    :class:`~search.embedded.codec.ZhCodec` gives the same bytes from its own dictionary.
    """
    terms: Any = getattr(reader, "_terms", None)  # None: an empty index's reader
    if hasattr(terms, "raw_items"):  # zhsearch's dictionary (search.embedded.codec.ZhTermsReader)
        yield from terms.raw_items(fieldname)
        return
    fieldid = None if terms is None else terms._fieldmap.get(fieldname)
    if fieldid is None:
        return
    prefix = pack_ushort(fieldid)
    tindex = terms._tindex
    pos = tindex.closest_key_pos(prefix)
    if pos is None:
        return
    end = tindex.endofdata
    dbfile = tindex.dbfile
    unpack = _RECORD.unpack_from
    head = _RECORD.size
    buf = b""
    at = 0  # pos's offset in buf
    while pos < end:
        if at + head > len(buf):
            buf, at = dbfile.get(pos, min(max(_CHUNK, head), end - pos)), 0
        keylen, datalen = unpack(buf, at)
        stop = at + head + keylen + datalen
        if stop > len(buf):
            buf, at = dbfile.get(pos, min(max(_CHUNK, stop - at), end - pos)), 0
            stop = head + keylen + datalen
        key = buf[at + head : at + head + keylen]
        if key[:2] != prefix:
            return
        yield key[2:], buf[at + head + keylen : stop]
        pos += stop - at
        at = stop


def merge_segments(directory: Any, schema: Any, segments: Sequence[Any]) -> W3Segment | None:
    """Write the live documents of ``segments`` (in order) as one new segment in ``directory``.

    Returns the new segment (None when no document is live), to be listed in a table of contents
    in place of ``segments``; their files are left for the caller to remove. On an error the
    new segment's files are removed and the error raised.
    """
    if any(getattr(schema[name], "vector", None) for name in schema.names()):
        raise ValueError("merging segments with term vectors is not supported")
    storage = FileStorage(str(directory))
    sources: list[_Source] = []
    merged = W3Segment(PACKED_CODEC, INDEX_NAME, segid=secrets.token_hex(8))
    try:
        offset = 0
        for segment in segments:
            sources.append(_Source(storage, schema, segment, offset))
            offset += sources[-1].live
        if not offset:
            return None
        lengths = _copy_documents(storage, schema, sources, merged, offset)
        _merge_postings(storage, schema, sources, merged, lengths)
        merged.set_doc_count(offset)
        return merged
    except BaseException:
        for name in merged.list_files(storage):
            try:
                storage.delete_file(name)
            except OSError:
                pass
        raise
    finally:
        for source in sources:
            source.close()


def _copy_documents(storage: Any, schema: Any, sources: list[_Source], merged: W3Segment, total: int) -> dict[str, _Lengths]:
    """Stored fields, length and value columns of every live document; returns the length bytes
    of each scorable field by new document number."""
    perdoc = _CODEC.per_document_writer(storage, merged)
    scorable = [name for name in schema.names() if schema[name].scorable]
    lengths = {name: _Lengths(total) for name in scorable}
    # (column name, column type, for a length column its field and the length bytes to fill)
    columns: list[tuple[str, Any, str | None, bytearray | None]] = [
        (name, schema[name].column_type, None, None) for name in schema.names() if schema[name].column_type
    ]
    columns += [(f"_{name}_len", LENGTHS_COLUMN, name, lengths[name]._bytes) for name in scorable]
    fieldlengths: dict[str, int] = {}
    try:
        docnum = 0
        for source in sources:
            reader = source.reader._perdoc
            stored = reader.column_reader("_stored", STORED_COLUMN)
            present = [(name, column, reader.column_reader(name, column), field, out)
                       for name, column, field, out in columns if reader.has_column(name)]
            for name, total_length in source.segment._fieldlengths.items():
                fieldlengths[name] = fieldlengths.get(name, 0) + total_length
            for old in source.live_docnums():
                perdoc.start_doc(docnum)
                values = stored[old]
                if values:
                    perdoc.add_column_value("_stored", STORED_COLUMN, values)
                for name, column, column_reader, _, out in present:
                    value = column_reader[old]
                    if out is None:
                        perdoc.add_column_value(name, column, value)
                    elif value:
                        out[docnum] = value
                        perdoc.add_column_value(name, column, value)
                perdoc.finish_doc()
                docnum += 1
            if source.renumber is not None:
                # Whoosh's totals keep deleted documents' lengths; take them out (as the length bytes say).
                for old in range(source.count):
                    if source.segment.is_deleted(old):
                        for _, _, column_reader, field, _ in present:
                            if field in fieldlengths:
                                fieldlengths[field] -= byte_to_length(column_reader[old])
    finally:
        perdoc.close()
    merged._fieldlengths = fieldlengths
    return lengths


def _merge_postings(storage: Any, schema: Any, sources: list[_Source], merged: W3Segment, lengths: dict[str, _Lengths]) -> None:
    """The merged term dictionary (``.trm``) and postings (``.pst``)."""
    terms = PACKED_CODEC.dictionary_writer(merged.create_file(storage, W3Codec.TERMS_EXT))
    postings = _MergedPostingsFile(merged.create_file(storage, W3Codec.POSTS_EXT), False)
    try:
        fieldnames = sorted({name for source in sources for name in source.reader._terms._fieldmap})
        for fieldname in fieldnames:
            fixed = schema[fieldname].format.fixed_value_size()
            field_lengths: Any = lengths.get(fieldname) or None
            prefix: bytes | None = None
            streams = [source.terms(fieldname, i) for i, source in enumerate(sources)]
            batch: list[tuple[bytes, list[tuple[int, bytes]]]] = []
            size = 0  # postings of the batch's terms to merge (not copy)
            for group in _grouped(heapq.merge(*streams)):
                batch.append(group)
                found = group[1]
                if len(found) > 1 or sources[found[0][0]].renumber is not None:
                    size += _posting_count(found)
                if len(batch) == _BATCH or size >= _BATCH_POSTINGS:
                    prefix = _write_terms(terms, postings, sources, fieldname, prefix, batch, fixed, field_lengths)
                    batch, size = [], 0
            if batch:
                prefix = _write_terms(terms, postings, sources, fieldname, prefix, batch, fixed, field_lengths)
    finally:
        terms.close()
        postings.close()


_BATCH = 4096  # terms read before the ones among them to merge are merged together (mergebatch)
_BATCH_POSTINGS = 1 << 16  # or fewer terms when they hold this many postings (the batch's arrays are bounded)
_ALONE = 1 << 14  # a term of more postings is merged by itself, block by block (as little memory as one term)
_COUNT = struct.Struct("!I")  # a term info's posting count (after its flags and weight)


def _posting_count(found: list[tuple[int, bytes]]) -> int:
    """The postings of a term's parts, as their term infos count them."""
    return sum(_COUNT.unpack_from(info, 5)[0] for _, info in found)


def _write_terms(terms: Any, postings: _MergedPostingsFile, sources: list[_Source], fieldname: str,
                 prefix: bytes | None, batch: list[tuple[bytes, list[tuple[int, bytes]]]], fixed: int | None,
                 field_lengths: _Lengths | None) -> bytes | None:
    """Write a run of the field's terms in order (``batch``: each term and its parts); returns the
    field's dictionary prefix (None while no term is written). A term in one segment without
    deletions is copied; the others are merged together
    (:func:`search.embedded.mergebatch.merge_short_terms`), but for the kinds it leaves and terms of
    more than ``_ALONE`` postings: one by one."""
    copies: list[tuple[_Source, bytes, bytes | None] | None] = []
    others = []
    for _, found in batch:
        copy = None
        if len(found) == 1 and sources[found[0][0]].renumber is None:
            source, info_bytes = sources[found[0][0]], found[0][1]
            raw = source.raw_postings(info_bytes)
            if raw is None or source.packed:
                copy = (source, info_bytes, raw)
        if copy is None and _posting_count(found) <= _ALONE:
            others.append(found)
        copies.append(copy)
    merged = iter(merge_short_terms(sources, others, fixed, None if field_lengths is None else field_lengths._bytes)
                  if others else ())
    keys: list[bytes] = []
    infos: list[bytes] = []
    for (tbytes, found), copy in zip(batch, copies):
        if copy is not None:
            source, info_bytes, raw = copy
            if raw is None:
                info = _shifted_inlined(info_bytes, source.offset)
            else:
                info = postings.copy_term(raw, info_bytes, source.offset)
        else:
            short = next(merged) if _posting_count(found) <= _ALONE else None
            if short is None:
                info = _merge_term(postings, sources, found, fixed, field_lengths)
            elif short:
                info = postings.write_block(*short)
            else:
                info = b""
            if not info:
                continue  # only in deleted documents
        if prefix is None:
            prefix = terms.start_field(fieldname)
        keys.append(prefix + tbytes)
        infos.append(info)
    terms.add_many(keys, infos)  # the batch's entries at once (encoded from columns)
    return prefix


def _merge_term(postings: _MergedPostingsFile, sources: list[_Source], found: list[tuple[int, bytes]],
                fixed: int | None, field_lengths: _Lengths | None) -> bytes:
    """One term's postings in several segments (or in one with deletions) merged and written;
    returns its term info (b"": only in deleted documents)."""
    info = _write_small(postings, sources, found, fixed, field_lengths)
    if info is None:
        parts = [part for i, info_bytes in found if (part := sources[i].arrays(info_bytes, fixed)) is not None]
        if not parts:
            return b""  # only in deleted documents
        info = postings.write_postings(concatenate(parts, fixed), field_lengths, fixed)
    return info


def _grouped(entries: Iterator[tuple[bytes, int, bytes]]) -> Iterator[tuple[bytes, list[tuple[int, bytes]]]]:
    """(term, [(segment rank, term info bytes), ...]) from the merged (term, rank, info) stream."""
    current: bytes | None = None
    found: list[tuple[int, bytes]] = []
    for tbytes, rank, info in entries:
        if tbytes != current:
            if found:
                yield current, found  # type: ignore[misc]
            current, found = tbytes, []
        found.append((rank, info))
    if found:
        yield current, found  # type: ignore[misc]


def _write_small(postings: _MergedPostingsFile, sources: list[_Source], found: list[tuple[int, bytes]],
                 fixed: int | None, field_lengths: _Lengths | None) -> bytes | None:
    """The term info of a term's postings merged and written in Python lists (None: left to the
    numpy path; b"" when the term is only in deleted documents)."""
    parts = []
    for i, info_bytes in found:
        part = sources[i].lists(info_bytes, fixed)
        if part is None:
            return None
        if part.ids:
            parts.append(part)
    if not parts:
        return b""
    joined = _joined(parts)
    if joined is None:
        return None
    return postings.write_lists(joined, field_lengths, fixed)


class _MergedPostingsFile(_PostingsFile):
    """The segment writer's postings file, which can also take a term's postings as arrays or
    its packed list from one segment."""

    def write_postings(self, postings: Postings, lengths: _Lengths | None, fixed: int | None) -> bytes:
        """Write one term's postings (renumbered, in order); returns its term info, as the segment
        writer computes it (a term in one document inlined in it). ``lengths``: the merged
        documents' length bytes, or None."""
        ids = postings.ids.tolist()
        weights = postings.weights.tolist()
        count = len(ids)
        if count == 1:
            value = postings.value_list(fixed)[0]
            return self._write_one([ids[0], 0, (weights[0], value)], 1.0, False, lengths or {}, fixed)
        start = self._offset
        codes = (_LENGTH_CODES[np.frombuffer(lengths._bytes, dtype=np.uint8)[postings.ids]].tolist()
                 if lengths is not None else [0] * count)
        block = encode(postings, codes)
        self._write(block)
        self._offset += len(block)
        return self._term_info(ids, weights, codes, start, len(block))

    def write_lists(self, found: _Lists, lengths: _Lengths | None, fixed: int | None) -> bytes:
        """:meth:`write_postings` of postings in Python lists: the same bytes."""
        ids, weights, freqs, flat = found.ids, found.weights, found.freqs, found.flat
        count = len(ids)
        if count == 1:
            if fixed == 0 or found.vkind == V_NONE:
                value: Any = None if fixed == 0 else b""
            elif found.vkind == V_FREQ:
                value = freqs[0].to_bytes(4, "big")  # type: ignore[index]
            else:
                value = flat[0] if freqs[0] == 1 else tuple(flat)  # type: ignore[index]
            return self._write_one([ids[0], 0, (weights[0], value)], 1.0, False, lengths or {}, fixed)
        start = self._offset
        if lengths is not None:
            length_bytes, codes_of = lengths._bytes, _LENGTH_CODE_LIST
            codes = [codes_of[length_bytes[i]] for i in ids]
        else:
            codes = [0] * count
        block = encode_lists(ids, weights, freqs, flat, None, found.wkind, found.vkind, found.scale, codes)
        self._write(block)
        self._offset += len(block)
        return self._term_info(ids, weights, codes, start, len(block))

    def _term_info(self, ids: list[int], weights: list[float], codes: list[int], start: int, length: int) -> bytes:
        total_weight: float = 0
        for low in range(0, len(ids), _BLOCK):
            total_weight += sum(weights[low : low + _BLOCK])
        max_weight = max(weights)
        present = [c for c in codes if c]
        return _TERMINFO.pack(False, total_weight, len(ids), min(present) if present else 0, max(codes),
                              float(max_weight) if max_weight > 0 else 0, ids[0], ids[-1]
                              ) + pack_long(start) + pack_int(length)

    def write_block(self, block: bytes, info_head: bytes) -> bytes:
        """Write a term's packed list ``block``; returns its term info (``info_head``, the packed
        statistics, then where the list is)."""
        start = self._offset
        self._write(block)
        self._offset += len(block)
        return info_head + pack_long(start) + pack_int(len(block))

    def copy_term(self, raw: bytes, info: bytes, shift: int) -> bytes:
        """Write a term's packed list ``raw`` with its document numbers moved by ``shift``;
        returns its term info (the bytes ``write_postings`` writes for the same postings)."""
        raw = shift_list(raw, shift)
        fields = list(_TERMINFO.unpack_from(info))
        fields[6] += shift
        fields[7] += shift
        start = self._offset
        self._write(raw)
        self._offset += len(raw)
        return _TERMINFO.pack(*fields) + pack_long(start) + pack_int(len(raw))


def _byte_of(length_byte: int) -> int:
    """The length byte ``write_term`` records for a smallest or largest length byte found (256:
    none found), as ``_length_byte(byte_to_length(b))``."""
    return 0 if length_byte in (0, 256) else _length_byte(byte_to_length(length_byte))


# A length byte as write_postings records it for a block's minimum or maximum.
_LENGTH_CODE_LIST = [_byte_of(b) for b in range(256)]
_LENGTH_CODES = np.array(_LENGTH_CODE_LIST, dtype=np.int64)


def _shifted_inlined(info: bytes, shift: int) -> bytes:
    """The term info of a term whose one posting is inlined in ``info``, its document number moved
    by ``shift``: what :func:`search.embedded.inversion.inlined_term_info` writes for it."""
    if not shift:
        return info
    fields = _TERMINFO.unpack_from(info)
    tail = info[_TERMINFO.size :]
    docnum = fields[6]
    opcode = _docnum_opcode(docnum)
    if fields[7] == docnum and tail.startswith(opcode + b"\x85"):
        # ((docnum,), weights, values): only the document number's opcode changes (no memo).
        return (_TERMINFO.pack(*fields[:6], docnum + shift, docnum + shift) + _docnum_opcode(docnum + shift)
                + tail[len(opcode) :])
    ids, weights, values = pickle.loads(tail)
    return _TERMINFO.pack(*fields[:6], fields[6] + shift, fields[7] + shift) + small_pickle(
        (tuple(i + shift for i in ids), weights, values), 2)


def _w3_postings(raw: bytes, fixed: int | None) -> Postings:
    """The postings of a term's W3 blocks (a segment of an older index)."""
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    for header, (mini_ids, mini_weights, mini_values), _ in _raw_blocks(raw):
        count = header[0]
        start = len(ids)
        ids += accumulate(mini_ids)
        if mini_weights is None:
            weights += [1.0] * count
        elif isinstance(mini_weights, (int, float)):
            weights += [float(mini_weights)] * count
        else:
            weights += map(float, mini_weights)
        if fixed is None or fixed < 0:
            values += mini_values if mini_values else [b""] * count
        elif fixed == 0:
            values += [None] * count
        else:
            values += [mini_values[k : k + fixed] for k in range(0, len(mini_values), fixed)]
        if len(values) != start + count:
            raise ValueError("a posting block lost values")
    return from_lists(ids, weights, values, fixed)


def _raw_blocks(raw: bytes) -> Iterator[tuple[tuple[Any, ...], tuple[Any, Any, Any], bool]]:
    """The posting blocks of a term's raw postings (magic, then blocks, the last one's size
    negative): each block's header tuple, its unpickled (ids, weights, values), and whether it is
    the last."""
    pos = 4
    while True:
        (size,) = _BLOCK_SIZE.unpack_from(raw, pos)
        block = io.BytesIO(raw[pos + 4 : pos + 4 + abs(size)])
        pos += 4 + abs(size)
        header = pickle.load(block)
        data = block.read()
        yield header, pickle.loads(zlib.decompress(data) if header[3] else data), size < 0
        if size < 0:
            return
