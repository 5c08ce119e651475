"""Merging finished segments into one segment without analysing their text again.

A build writes a segment per ~1.5 million characters (see :mod:`search.embedded.writer`); many segments
make the index bigger (each term's dictionary entry and posting header once per segment) and
queries slower. :func:`merge_segments` joins them after the fact, streaming: per field, a k-way
merge of the segments' sorted term dictionaries; for each term its postings are read from each
segment in order, renumbered (the documents of segment *k* follow those of segments 0..k-1,
deleted documents are dropped) and written again in blocks of 128 by the segment writer's own
posting encoder. The per-document files (stored fields, field lengths, columns) are copied
document by document. So the merged segment holds what one :class:`~search.embedded.segments.SegmentBuilder`
fed the same documents in the same order writes (``tests/test_lifecycle_merge.py``).

Memory holds one term's postings and one byte per document and length field, not a segment.
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
from operator import sub
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, W3Segment, W3TermInfo
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length

from .inversion import block_header, block_weights, compress_block, small_pickle
from .segments import (_BLOCK, _CODEC, _COMPRESSION, _TERMINFO, BLOCK_PICKLE, COMPRESS_FROM, INDEX_NAME, _fast_format,
                       _length_byte, _PostingsFile)

_BLOCK_SIZE = struct.Struct("!i")  # a posting block's length; negative for a term's last block
_EXTENT = struct.Struct("!qi")  # where a term's postings are in the .pst file (after its statistics)
# Postings read back carry their stored weight (boost applied): the encoder takes them as given.
_WEIGHTED: Any = SimpleNamespace(boost=1.0, fast=None)
_ONCE = (1).to_bytes(4, "big")  # the value of a term that occurs once in a text starts with frequency 1


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

    def live_docnums(self) -> Iterator[int]:
        return (d for d in range(self.count) if not self.segment.is_deleted(d))

    def terms(self, fieldname: str, rank: int) -> Iterator[tuple[bytes, int, bytes]]:
        """The field's terms in this segment, in order, as (term, ``rank``, term info bytes)."""
        for term, info in raw_terms(self.reader, fieldname):
            yield term, rank, info

    def raw_postings(self, info: bytes) -> bytes | None:
        """The term's posting blocks as stored (None for postings inlined in the term info)."""
        if info[0]:
            return None
        offset, length = _EXTENT.unpack_from(info, _TERMINFO.size)
        raw = self.reader._terms._postfile.get(offset, length)
        if raw[:4] != WHOOSH3_HEADER_MAGIC:
            raise ValueError(f"segment {self.segment.segment_id()}: no posting list at {offset}")
        return raw

    def postings(self, info_bytes: bytes, fixed: int | None, shared: dict[bytes, bytes] | None, out: list[Any]) -> None:
        """Append the term's postings, renumbered, to ``out`` as (docnum, 0, (weight, value)) triples.

        With ``shared``, the values the segment writer shares between postings (a frequency, a
        single position) are shared again, so block pickles store them once, as it writes them.
        """
        raw = self.raw_postings(info_bytes)
        if raw is None:
            inlined_ids, inlined_weights, inlined_values = W3TermInfo.from_bytes(info_bytes).inlined_postings()
            if fixed is not None and fixed > 0:
                inlined_values = b"".join(inlined_values)
            # No weights: each is 1.0 (see search.embedded.inversion.inlined_term_info).
            self._append(list(inlined_ids), list(inlined_weights) or [1.0] * len(inlined_ids), inlined_values, fixed,
                         shared, out)
            return
        pos = 4
        while True:
            (size,) = _BLOCK_SIZE.unpack_from(raw, pos)
            pos += 4
            block = io.BytesIO(raw[pos : pos + abs(size)])
            pos += abs(size)
            count, _, _, compression, _, _ = pickle.load(block)
            data = block.read()
            mini_ids, mini_weights, values = pickle.loads(zlib.decompress(data) if compression else data)
            ids = list(mini_ids)
            for i in range(1, count):
                ids[i] += ids[i - 1]
            if mini_weights is None:
                weights: Sequence[float] = [1.0] * count
            elif isinstance(mini_weights, float):
                weights = [mini_weights] * count
            else:
                weights = mini_weights
            self._append(ids, weights, values, fixed, shared, out)
            if size < 0:
                return

    def _append(
        self, ids: list[int], weights: Sequence[float], values: Any, fixed: int | None,
        shared: dict[bytes, bytes] | None, out: list[Any],
    ) -> None:
        if fixed is None or fixed < 0:
            if values and len(values) != len(ids):
                raise ValueError(f"segment {self.segment.segment_id()}: a posting block lost values")
            if not values:
                values = (b"",) * len(ids)
            elif shared is not None:
                values = [shared.setdefault(v, v) if type(v) is bytes and (v[:4] == _ONCE or len(v) == 4) else v
                          for v in values]
        elif fixed == 0:
            values = (b"",) * len(ids)
        else:
            values = [values[i : i + fixed] for i in range(0, len(values), fixed)]
        renumber = self.renumber
        for docnum, weight, value in zip(ids, weights, values):
            if renumber is None:
                out += (docnum + self.offset, 0, (float(weight), value))
            elif renumber[docnum] >= 0:
                out += (renumber[docnum], 0, (float(weight), value))

    def close(self) -> None:
        self.reader.close()


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
    merged = W3Segment(_CODEC, INDEX_NAME, segid=secrets.token_hex(8))
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
    terms = _CODEC.dictionary_writer(merged.create_file(storage, W3Codec.TERMS_EXT))
    postings = _MergedPostingsFile(merged.create_file(storage, W3Codec.POSTS_EXT), False)
    try:
        fieldnames = sorted({name for source in sources for name in source.reader._terms._fieldmap})
        no_lengths: dict[int, int] = {}
        values_cache: dict[bytes, bytes] = {}  # as many as the positions of the longest text
        for fieldname in fieldnames:
            fixed = schema[fieldname].format.fixed_value_size()
            shared = values_cache if _fast_format(schema[fieldname]) else None
            field_lengths: Any = lengths.get(fieldname) or no_lengths
            prefix: bytes | None = None
            streams = [source.terms(fieldname, i) for i, source in enumerate(sources)]
            for tbytes, found in _grouped(heapq.merge(*streams)):
                info: bytes | None = None
                if len(found) == 1:
                    source, info_bytes = sources[found[0][0]], found[0][1]
                    if source.renumber is None:
                        raw = source.raw_postings(info_bytes)
                        info = (_shifted_inlined(info_bytes, source.offset) if raw is None
                                else postings.copy_term(raw, info_bytes, source.offset))
                else:
                    parts = _concatenated(sources, found, fixed, shared)
                    if parts is not None:
                        info = postings.write_postings(*parts, field_lengths, fixed)
                if info is None:
                    flat: list[Any] = []
                    for i, info_bytes in found:
                        sources[i].postings(info_bytes, fixed, shared, flat)
                    if not flat:
                        continue  # only in deleted documents
                    info = postings.write_term(flat, _WEIGHTED, field_lengths, fixed)
                if prefix is None:
                    prefix = terms.start_field(fieldname)
                terms.add(prefix + tbytes, info)
    finally:
        terms.close()
        postings.close()


def _concatenated(
    sources: list[_Source], found: list[tuple[int, bytes]], fixed: int | None, shared: dict[bytes, bytes] | None,
) -> tuple[list[int], list[float], list[Any]] | None:
    """A term's postings in several segments as lists (new document numbers, stored weights,
    values as ``_Source._append`` makes them), read block by block rather than posting by posting;
    None when a part is in a segment with deletions (``write_term`` then)."""
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    for i, info in found:
        source = sources[i]
        if source.renumber is not None:
            return None
        offset = source.offset
        raw = source.raw_postings(info)
        if raw is None:
            one_id, one_weight, one_value = pickle.loads(info[_TERMINFO.size :])
            ids += [d + offset for d in one_id]
            weights += map(float, one_weight) if one_weight else [1.0] * len(one_id)
            if fixed is None or fixed < 0:
                values += one_value if one_value else [b""] * len(one_id)
            elif fixed > 0:
                values += one_value
            continue
        for header, (mini_ids, mini_weights, mini_values), _ in _raw_blocks(raw):
            count = header[0]
            ids += accumulate(mini_ids, initial=offset)
            del ids[-count - 1]  # the initial offset
            if mini_weights is None:
                weights += [1.0] * count
            elif isinstance(mini_weights, float):
                weights += [mini_weights] * count
            else:
                weights += map(float, mini_weights)
            if fixed is None or fixed < 0:
                if mini_values and len(mini_values) != count:
                    raise ValueError(f"segment {source.segment.segment_id()}: a posting block lost values")
                values += mini_values if mini_values else [b""] * count
            elif fixed > 0:
                values += [mini_values[k : k + fixed] for k in range(0, len(mini_values), fixed)]
    if fixed == 0:
        values = [b""] * len(ids)
    elif shared is not None and (fixed is None or fixed < 0):
        values = [shared.setdefault(v, v) if type(v) is bytes and (v[:4] == _ONCE or len(v) == 4) else v
                  for v in values]
    return ids, weights, values


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


class _MergedPostingsFile(_PostingsFile):
    """The segment writer's postings file, which can also take a term's blocks from one segment."""

    def write_postings(self, ids: list[int], weights: list[float], values: list[Any], lengths: Any,
                       fixed: int | None) -> bytes:
        """``write_term`` for two or more postings given as lists (document numbers in order, stored
        weights, values): the same bytes, with no list of triples and the lengths looked up in
        ``lengths``' bytes (a :class:`_Lengths`, or empty)."""
        start = self._offset
        count = len(ids)
        length_bytes = lengths._bytes if lengths else None
        chunks = [WHOOSH3_HEADER_MAGIC]
        total_weight: float = 0
        max_weight: float = 0
        min_byte = 256  # the smallest non-zero length byte
        max_byte = 0
        for low in range(0, count, _BLOCK):
            high = min(low + _BLOCK, count)
            block_ids = ids[low:high]
            given = weights[low:high]
            stored_weights = array("f", given)
            block_max: float = max(given)
            block_max = float(block_max) if block_max > 0 else 0
            block_min_byte, block_max_byte = 256, 0
            if length_bytes is not None:
                found = bytes(map(length_bytes.__getitem__, block_ids)).replace(b"\0", b"")
                if found:
                    block_min_byte, block_max_byte = min(found), max(found)
            total_weight += sum(stored_weights)
            min_byte = min(min_byte, block_min_byte)
            max_byte = max(max_byte, block_max_byte)
            if block_max > max_weight:
                max_weight = block_max
            mini_weights = block_weights(stored_weights)
            mini_ids = (block_ids[0], *map(sub, block_ids[1:], block_ids))
            if fixed is None or fixed < 0:
                mini_values: Any = tuple(v for v in values[low:high] if v != b"")
            elif fixed == 0:
                mini_values = None
            else:
                mini_values = b"".join(values[low:high])
            data, compression = compress_block(small_pickle((mini_ids, mini_weights, mini_values), BLOCK_PICKLE),
                                               like_whoosh=False, compress_from=COMPRESS_FROM, level=_COMPRESSION)
            header = block_header(high - low, block_ids[-1], block_max, compression, _byte_of(block_min_byte),
                                  _byte_of(block_max_byte))
            size = len(header) + len(data)
            chunks += (pack_int(-size if high == count else size), header, data)
        block = b"".join(chunks)
        self._write(block)
        self._offset += len(block)
        return _TERMINFO.pack(False, total_weight, count, _byte_of(min_byte), _byte_of(max_byte), max_weight,
                              ids[0], ids[-1]) + pack_long(start) + pack_int(len(block))

    def copy_term(self, raw: bytes, info: bytes, shift: int) -> bytes:
        """Write a term's posting blocks ``raw`` with its document numbers moved by ``shift``;
        returns its term info. The same bytes as ``write_term`` writes for the same postings when
        ``raw`` was written by it: a block whose pickle reaches ``COMPRESS_FROM`` is compressed."""
        if shift:
            raw = _shifted_blocks(raw, shift)
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


def _shifted_inlined(info: bytes, shift: int) -> bytes:
    """The term info of a term whose one posting is inlined in ``info``, its document number moved
    by ``shift``: what :func:`search.embedded.inversion.inlined_term_info` writes for it."""
    if not shift:
        return info
    fields = _TERMINFO.unpack_from(info)
    ids, weights, values = pickle.loads(info[_TERMINFO.size :])
    return _TERMINFO.pack(*fields[:6], fields[6] + shift, fields[7] + shift) + small_pickle(
        (tuple(i + shift for i in ids), weights, values), 2)


def _shifted_blocks(raw: bytes, shift: int) -> bytes:
    """Posting blocks with every document number moved by ``shift`` (a block's first id is
    absolute, the others are deltas; its header holds the last id)."""
    chunks = [raw[:4]]
    for header_in, (mini_ids, mini_weights, values), final in _raw_blocks(raw):
        count, last, max_weight, _, min_length, max_length = header_in
        data, compression = compress_block(
            small_pickle(((mini_ids[0] + shift, *mini_ids[1:]), mini_weights, values), BLOCK_PICKLE),
            like_whoosh=False, compress_from=COMPRESS_FROM, level=_COMPRESSION)
        header = block_header(count, last + shift, float(max_weight), compression, min_length, max_length)
        length = len(header) + len(data)
        chunks += (pack_int(-length if final else length), header, data)
    return b"".join(chunks)


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
