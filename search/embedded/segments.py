"""Writing one Whoosh segment fast: in-memory inversion, then the W3 codec's files written term by term.

Whoosh's own ``SegmentWriter`` sends every posting through a pool that pickles it to a run file,
sorts, reads it back and merges runs; for this schema (words, characters and character pairs:
about one posting per character of text) that is most of an index build. A
:class:`SegmentBuilder` keeps a segment's postings in memory, grouped by term, and writes each
term's blocks in one go. The files it writes are the ones Whoosh writes for the same documents
(the per-document files through Whoosh's own writer, the postings byte for byte: see
``tests/test_segments.py``), so every Whoosh reader reads them unchanged.

A segment is the unit of parallel work: builders in several processes can write segments into
one directory; the caller lists them in a table of contents (see :mod:`search.embedded.writer`).
"""

from __future__ import annotations

import functools
import secrets

import numpy as np
from operator import sub
from hashlib import md5 as _md5
import struct
from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from whoosh import fields as whoosh_fields
from whoosh import formats
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3Segment
from whoosh.compat import dumps
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import _lengths as _RECORD_LENGTHS
from whoosh.filedb.filetables import _pointer as _POINTER
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from ..text.analysis import (
    _ONE_CJK,
    BOUNDARY,
    CHAR_TOKEN,
    TOKEN_OR_SEPARATOR,
    CharTokenizer,
    PairTokenizer,
    WordTokenizer,
    _NormalizingTokenizer,
    pair_term,
)
from .inversion import (CharKeys, FieldTokens, KeyedTokens, block_header, block_weights, compress_block, inlined_term_info,
                        small_pickle, write_field)
from ..text.normalize import Normalized, normalize
from .codec import ZhCodec
from .postings import encode, from_lists
from .schema import CompactPositions

INDEX_NAME = "MAIN"  # Whoosh's default index name: the files are MAIN_<segment id>.seg
_CODEC = W3Codec()  # the codec of a like_whoosh segment, and the per-document files' writer
PACKED_CODEC = ZhCodec()  # the codec of the segments written here: compact dictionary, packed posting lists
_BLOCK = _CODEC._blocklimit  # postings per block (128)
_COMPRESSION = _CODEC._compression  # zlib level of the block data (3)
COMPRESS_FROM = 128  # posting block pickles shorter than this are stored uncompressed
# A posting block's data tuple is pickled with protocol 3 (Whoosh's writer uses 2; its reader's
# ``loads`` reads any): protocol 2 writes each bytes value (a position list) as a call of
# ``_codecs.encode`` on a latin-1 str, 2.5x longer and 3x slower to write than protocol 3's bytes.
BLOCK_PICKLE = 3
_TERMINFO = struct.Struct("!BfIBBfII")  # W3TermInfo's layout


def _fast_format(field: Any) -> str | None:
    """'positions', 'compact' (CompactPositions) or 'frequency' when the field's postings can be
    computed here, else None."""
    analyzer = getattr(field, "analyzer", None)
    if not isinstance(analyzer, _NormalizingTokenizer) or not isinstance(field, whoosh_fields.TEXT):
        return None
    if type(field.format) is CompactPositions:
        return "compact"
    if type(field.format) is formats.Positions:
        return "positions"
    if type(field.format) is formats.Frequency:
        return "frequency"
    return None


class _FieldPlan:
    """How one schema field is written: its analyzer path, boost, scorability and column."""

    __slots__ = ("name", "field", "fast", "boost", "scorable", "stored", "column", "simplify")

    def __init__(self, name: str, field: Any) -> None:
        self.name = name
        self.field = field
        self.fast = _fast_format(field) if field.indexed else None
        self.boost = float(field.format.field_boost) if field.indexed else 1.0
        self.scorable = bool(field.scorable)
        self.stored = bool(field.stored)
        self.column = field.column_type
        self.simplify = field.analyzer.config.simplify if self.fast else True


class SegmentBuilder:
    """Writes documents into one new segment of the Whoosh index in ``directory``.

    ``add`` takes the field values Whoosh's ``add_document`` takes (see
    :func:`search.embedded.writer.document_fields`); ``finish`` writes the segment's files and returns
    the segment, to be listed in a table of contents. Documents are numbered from 0 in the order
    they are added.
    """

    def __init__(self, directory: Path | str, schema: Any, *, like_whoosh: bool = False) -> None:
        self.schema = schema
        self.like_whoosh = like_whoosh
        self.storage = FileStorage(str(directory))
        self.segment = W3Segment(_CODEC if like_whoosh else PACKED_CODEC, INDEX_NAME, segid=secrets.token_hex(8))
        self._perdoc = _CODEC.per_document_writer(self.storage, self.segment)
        self._plans = {name: _FieldPlan(name, schema[name]) for name in schema.names()}
        # field name -> term (str for analyzed text fields, bytes otherwise) -> [docnum, freq, value, ...]
        self._postings: dict[str, dict[Any, list[Any]]] = {}
        # field name -> the terms of its documents, for the fields analyzed here (see _FieldPlan.fast)
        self._tokens: dict[str, FieldTokens | KeyedTokens] = {}
        self._keys = CharKeys()  # the character and pair fields' terms as integer keys
        # field name -> docnum -> the field length Whoosh's length column gives back (omitted when 0)
        self._lengths: dict[str, dict[int, int]] = {}
        self.doc_count = 0
        self.posting_count = 0
        self._finished = False

    def add(self, values: Mapping[str, Any]) -> None:
        """Add one document (its field values by name; ``None`` values are left out, as Whoosh does)."""
        docnum = self.doc_count
        perdoc = self._perdoc
        perdoc.start_doc(docnum)
        normalized: dict[tuple[str, bool], Normalized] = {}
        try:
            for name in sorted(n for n in values if not n.startswith("_")):
                value = values[name]
                if value is None:
                    continue
                plan = self._plans.get(name)
                if plan is None:
                    raise whoosh_fields.UnknownFieldError(f"No field named {name!r} in {self.schema}")
                length = 0
                if plan.fast is not None:
                    key = (value, plan.simplify)
                    norm = normalized.get(key)
                    if norm is None:
                        norm = normalized[key] = normalize(value, simplify=plan.simplify)
                    length = self._invert(plan, norm.text, docnum)
                elif plan.field.indexed:
                    length = self._invert_with_whoosh(plan, value, docnum)
                if length and plan.scorable:
                    lbyte = length_to_byte(length)
                    if lbyte:
                        self._lengths.setdefault(name, {})[docnum] = byte_to_length(lbyte)
                perdoc.add_field(name, plan.field, value if plan.stored else None, length if plan.scorable else 0)
                if plan.column:
                    perdoc.add_column_value(name, plan.column, plan.field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self.doc_count += 1

    def _invert(self, plan: _FieldPlan, text: str, docnum: int) -> int:
        """Index ``text`` (already normalized) into ``plan``'s field; returns its token count.

        The terms are only collected here (character and pair terms as integer keys, see
        :class:`search.embedded.inversion.CharKeys`); :meth:`finish` inverts the whole segment's at once."""
        kind = type(plan.field.analyzer)
        if kind is CharTokenizer or kind is PairTokenizer:
            keys = self._keys.chars(text) if kind is CharTokenizer else self._keys.pairs(text)
            if len(keys):
                tokens = self._tokens.get(plan.name)
                if tokens is None:
                    term = self._keys.char_term if kind is CharTokenizer else self._keys.pair_term
                    tokens = self._tokens[plan.name] = KeyedTokens(term)
                tokens.add(docnum, keys)  # type: ignore[arg-type]
            return len(keys)
        terms = analyzed_terms(plan.field.analyzer, text)
        if terms:
            tokens = self._tokens.get(plan.name)
            if tokens is None:
                tokens = self._tokens[plan.name] = FieldTokens()
            tokens.add(docnum, terms)  # type: ignore[arg-type]
        return len(terms)

    def _invert_with_whoosh(self, plan: _FieldPlan, value: Any, docnum: int) -> int:
        """Index a field Whoosh's own ``field.index`` analyzes (ids, keywords, dates)."""
        table = self._postings.setdefault(plan.name, {})
        length = 0
        for tbytes, freq, weight, vbytes in plan.field.index(value):
            length += freq
            postings = table.get(tbytes)
            entry = (docnum, freq, (float(weight), vbytes))
            if postings is None:
                table[tbytes] = list(entry)
            else:
                postings += entry
            self.posting_count += 1
        return length

    def finish(self) -> W3Segment | None:
        """Write the segment's files; None when no document was added.

        The files stay separate (no compound ``.seg`` file): Whoosh reads a part of a compound file
        by copying it into memory, once per searcher, so every searcher of a compound index costs
        about the index's size in RAM. Separate files are read in place.
        """
        if self._finished:
            raise RuntimeError("this segment is already finished")
        self._finished = True
        self._perdoc.close()
        if not self.doc_count:
            self._delete_files()
            return None
        trm = self.segment.create_file(self.storage, W3Codec.TERMS_EXT)
        terms = _TermIndexWriter(trm) if self.like_whoosh else PACKED_CODEC.dictionary_writer(trm)
        postings = _PostingsFile(self.segment.create_file(self.storage, W3Codec.POSTS_EXT), self.like_whoosh)
        for fieldname in sorted({n for n, table in self._postings.items() if table} | set(self._tokens)):
            prefix = terms.start_field(fieldname)
            plan = self._plans[fieldname]
            lengths = self._lengths.get(fieldname, {})
            tokens = self._tokens.pop(fieldname, None)
            if tokens is not None:
                inverted = tokens.invert(positions=plan.fast != "frequency", compact=plan.fast == "compact")
                self.posting_count += len(inverted.docs)
                doc_lengths = np.zeros(self.doc_count, dtype=np.int64)
                if lengths:
                    doc_lengths[np.fromiter(lengths, dtype=np.int64)] = np.fromiter(lengths.values(), dtype=np.int64)
                postings._offset = write_field(
                    inverted, boost=plan.boost, doc_lengths=doc_lengths, write=postings._write,
                    offset=postings._offset, add_terms=terms.add_many, prefix=prefix, like_whoosh=self.like_whoosh,
                    compress_from=COMPRESS_FROM, compression=_COMPRESSION, block_pickle=BLOCK_PICKLE,
                    packed=not self.like_whoosh, add_columns=None if self.like_whoosh else terms.add_columns,
                )
                continue
            table = self._postings.pop(fieldname)
            fixed = plan.field.format.fixed_value_size()
            for term in sorted(table):
                tbytes = term.encode("utf-8") if isinstance(term, str) else term
                terms.add(prefix + tbytes, postings.write_term(table[term], plan, lengths, fixed))
        terms.close()
        postings.close()
        self.segment.set_doc_count(self.doc_count)
        self._lengths.clear()
        return self.segment

    def _delete_files(self) -> None:
        for name in self.segment.list_files(self.storage):
            try:
                self.storage.delete_file(name)
            except OSError:
                pass

    def cancel(self) -> None:
        """Drop the segment's files."""
        if not self._finished:
            self._finished = True
            try:
                self._perdoc.close()
            except Exception:  # noqa: BLE001 - the files are deleted anyway
                pass
        self._delete_files()


def analyzed_terms(analyzer: _NormalizingTokenizer, text: str) -> list[str]:
    """The terms of ``analyzer.pieces(text)`` (``text`` normalized), without their offsets.

    Characters and pairs come from one ``findall`` here rather than a token at a time.
    """
    kind = type(analyzer)
    if kind is CharTokenizer:
        return CHAR_TOKEN.findall(text)  # type: ignore[no-any-return]
    if kind is PairTokenizer:
        # The tokens with "" for each boundary: the ends, and every run of separators.
        sequence = TOKEN_OR_SEPARATOR.findall(text)
        if len(sequence) < 2 and not any(sequence):
            return []
        if sequence[0]:
            sequence.insert(0, "")
        if sequence[-1]:
            sequence.append("")
        ideographs = {char for char in set(sequence) if char and _ONE_CJK(char)}
        return [
            first + second if first in ideographs and second in ideographs
            else BOUNDARY + second if not first
            else first + BOUNDARY if not second
            else pair_term(first, second)
            for first, second in zip(sequence, sequence[1:])
        ]
    if kind is WordTokenizer:
        return [text[start:end] for start, end in analyzer.spans(text)]
    return [term for _, _, term in analyzer.pieces(text)]


def _deltas(poslist: list[int]) -> list[int]:
    out = [poslist[0]]
    previous = poslist[0]
    for pos in poslist[1:]:
        out.append(pos - previous)
        previous = pos
    return out


_FREQ_BYTES = [pack_uint(n) for n in range(256)]
# The lengths a segment stores are byte_to_length values (256 at most): look their byte up once each.
_length_byte = functools.lru_cache(maxsize=1024)(length_to_byte)


@functools.lru_cache(maxsize=1 << 16)
def _one_position(pos: int) -> bytes:
    """``Positions.encode([pos])``: the value of a term that occurs once in a text."""
    return pack_uint(1) + dumps([pos], 2)


def _packed_freq(freq: int) -> bytes:
    return _FREQ_BYTES[freq] if freq < 256 else pack_uint(freq)


class _PostingsFile:
    """The ``.pst`` file: each term's postings in blocks of 128, as ``W3PostingsWriter`` writes them.

    Two differences, both within the format (each block's header says how its data is stored and
    Whoosh's reader honours it): block data shorter than ``COMPRESS_FROM`` bytes is stored as is,
    since zlib only makes such small pickles longer and slower to read; and the rest is
    compressed with a 4 KiB window (blocks are a few KiB at most), because ``zlib.compress``
    allocates and clears a 256 KiB state per call, which made compression most of the writing
    time. A third: block data is pickled with ``BLOCK_PICKLE`` (protocol 3), not Whoosh's 2. With
    ``like_whoosh`` every block is pickled and compressed as Whoosh does it (the same bytes).
    """

    def __init__(self, dbfile: Any, like_whoosh: bool) -> None:
        self._dbfile = dbfile
        self._write = dbfile.write
        self._offset = dbfile.tell()
        self._like_whoosh = like_whoosh

    def write_term(self, flat: list[Any], plan: _FieldPlan, lengths: dict[int, int], fixed: int | None) -> bytes:
        """Write one term's posting blocks; returns its ``W3TermInfo`` bytes.

        ``flat`` holds (docnum, freq, value) triples in docnum order; for fields Whoosh analyzes
        the value is a (weight, bytes) pair.
        """
        start = self._offset
        boost = plan.boost
        analyzed = plan.fast is not None
        if len(flat) == 3 and not self._like_whoosh:
            return self._write_one(flat, boost, analyzed, lengths, fixed)
        if not self._like_whoosh:
            return self._write_packed(flat, boost, analyzed, lengths, fixed)
        chunks = [WHOOSH3_HEADER_MAGIC]
        total_weight: float = 0
        max_weight: float = 0
        min_length: int | None = None
        max_length = 0
        count = len(flat) // 3
        for first in range(0, count, _BLOCK):
            last = min(first + _BLOCK, count)
            low, high = first * 3, last * 3
            ids = flat[low:high:3]
            if analyzed:
                freqs = flat[low + 1 : high : 3]
                weights = freqs if boost == 1.0 else [freq * boost for freq in freqs]
                values = flat[low + 2 : high : 3]
            else:
                pairs = flat[low + 2 : high : 3]
                weights = [w for w, _ in pairs]
                values = [v for _, v in pairs if v != b""]  # a CompactPositions value may be 0
            # Whoosh keeps a block's weights as float32 and its maximum as given.
            stored_weights = array("f", weights)
            block_max: float = max(weights)
            block_max = float(block_max) if block_max > 0 else 0
            if lengths:
                block_lengths = list(filter(None, map(lengths.get, ids)))
                block_min = min(block_lengths) if block_lengths else None
                block_max_length = max(block_lengths) if block_lengths else 0
            else:
                block_min, block_max_length = None, 0

            total_weight += sum(stored_weights)
            if block_min is not None:
                min_length = block_min if min_length is None else min(min_length, block_min)
            if block_max_length > max_length:
                max_length = block_max_length
            if block_max > max_weight:
                max_weight = block_max

            mini_weights = block_weights(stored_weights, whole_as_int=not self._like_whoosh)
            mini_ids = (ids[0],) if len(ids) == 1 else (ids[0], *map(sub, ids[1:], ids))
            if fixed is None or fixed < 0:
                # Equal values are shared objects here, which pickle writes once; Whoosh's are not.
                mini_values: Any = (tuple(bytes(bytearray(v)) if type(v) is bytes else v for v in values)
                                    if self._like_whoosh else tuple(values))
            elif fixed == 0:
                mini_values = None
            else:
                mini_values = b"".join(values)
            block_data = (mini_ids, mini_weights, mini_values)
            data, compression = compress_block(
                dumps(block_data, 2) if self._like_whoosh else small_pickle(block_data, BLOCK_PICKLE),
                like_whoosh=self._like_whoosh, compress_from=COMPRESS_FROM, level=_COMPRESSION)
            header = (len(ids), ids[-1], block_max, compression, _length_byte(block_min), _length_byte(block_max_length))
            info = dumps(header, 2) if self._like_whoosh else block_header(*header)
            size = len(info) + len(data)
            chunks += (pack_int(-size if last == count else size), info, data)
        block = b"".join(chunks)
        self._write(block)
        self._offset += len(block)
        return _TERMINFO.pack(
            False,
            total_weight,
            count,
            0 if min_length is None else _length_byte(min_length),
            _length_byte(max_length),
            max_weight,
            flat[0],
            flat[(count - 1) * 3],
        ) + pack_long(start) + pack_int(len(block))

    def _write_packed(self, flat: list[Any], boost: float, analyzed: bool, lengths: dict[int, int],
                      fixed: int | None) -> bytes:
        """``write_term`` as a packed list (:mod:`search.embedded.postings`): the same term info."""
        ids = flat[0::3]
        if analyzed:
            freqs = flat[1::3]
            weights = freqs if boost == 1.0 else [freq * boost for freq in freqs]
            values = flat[2::3]
        else:
            pairs = flat[2::3]
            weights = [w for w, _ in pairs]
            values = [v for _, v in pairs]
        return self.write_packed(ids, weights, values, lengths.get if lengths else None, fixed, boost)

    def write_packed(self, ids: list[int], weights: list[float], values: list[Any], length_of: Any,
                     fixed: int | None, boost: float | None) -> bytes:
        """Write one term's postings (document numbers, weights as given, values) as a packed
        list; ``length_of`` gives a document's field length (None: none). Returns the term info,
        as ``write_term`` computes it for W3 blocks."""
        start = self._offset
        postings = from_lists(ids, weights, values, fixed, scale=boost)
        count = len(ids)
        lengths = [length_of(d) or 0 for d in ids] if length_of is not None else [0] * count
        codes = [_length_byte(v) if v else 0 for v in lengths]
        block = encode(postings, codes)
        self._write(block)
        self._offset += len(block)
        # The term's statistics as write_term sums them, block by block.
        stored = postings.weights.tolist()
        total_weight: float = 0
        max_weight: float = 0
        for low in range(0, count, _BLOCK):
            total_weight += sum(stored[low : low + _BLOCK])
            block_max = max(weights[low : low + _BLOCK])
            block_max = float(block_max) if block_max > 0 else 0
            max_weight = max(max_weight, block_max)
        present = [v for v in lengths if v]
        return _TERMINFO.pack(
            False, total_weight, count, _length_byte(min(present)) if present else 0,
            _length_byte(max(lengths)), max_weight, ids[0], ids[-1],
        ) + pack_long(start) + pack_int(len(block))

    def _write_one(self, flat: list[Any], boost: float, analyzed: bool, lengths: dict[int, int], fixed: int | None) -> bytes:
        """``write_term`` for a term in one document (most terms): its posting inlined in the term
        info, as :func:`search.embedded.inversion.write_field` writes it."""
        docnum, freq, value = flat
        if analyzed:
            weight = freq * boost
        else:
            weight, value = value
        if fixed == 0:
            value = None  # no value, read back as None as from a block
        if not weight > 0:
            weight = 0
        length = lengths.get(docnum) if lengths else None
        return inlined_term_info(docnum, _float32(weight), weight, _length_byte(length), value)

    def close(self) -> None:
        self._dbfile.close()


_FLOAT32 = struct.Struct("f")


def _float32(value: float) -> float:
    """``value`` as Whoosh keeps it in a weights ``array('f')``."""
    return float(_FLOAT32.unpack(_FLOAT32.pack(value))[0])


class _TermIndexWriter:
    """The ``.trm`` file: Whoosh's ``OrderedHashWriter`` output (CDB-like hash of term -> term info).

    Written as that class writes it (the same bytes), with the work done on arrays: terms are
    buffered and written in batches (each batch's records assembled by numpy), and the hash table
    is built at :meth:`close` from the keys' hashes and positions.
    """

    BATCH = 1 << 14  # terms buffered before their records are written

    def __init__(self, dbfile: Any) -> None:
        self._dbfile = dbfile
        self._start = dbfile.tell()
        header = b"HSH3" + bytes([0]) + pack_int(0) + pack_int(0)  # magic, hash type (md5), two unused ints
        dbfile.write(header)
        self._offset = self._start + len(header)
        self._keys: list[bytes] = []
        self._values: list[bytes] = []
        self._positions: list[np.ndarray] = []
        self._hashes: list[np.ndarray] = []
        self.fieldmap: dict[str, int] = {}
        self._last = b""

    def start_field(self, fieldname: str) -> bytes:
        """Number the field (in the order fields are written); returns its key prefix."""
        fieldid = self.fieldmap[fieldname] = len(self.fieldmap)
        return pack_ushort(fieldid)

    def add(self, key: bytes, value: bytes) -> None:
        if key <= self._last:
            raise ValueError(f"keys must increase: {self._last!r}..{key!r}")
        self._last = key
        self._keys.append(key)
        self._values.append(value)
        if len(self._keys) >= self.BATCH:
            self._flush()

    def add_many(self, keys: list[bytes], values: list[bytes]) -> None:
        """``add`` each key and its value, in order."""
        if len(keys) != len(values):
            raise ValueError("as many keys as values")
        if not keys:
            return
        if keys[0] <= self._last or not all(map(bytes.__lt__, keys, keys[1:])):
            previous = [self._last, *keys]
            bad = next(i for i, key in enumerate(keys) if key <= previous[i])
            raise ValueError(f"keys must increase: {previous[bad]!r}..{keys[bad]!r}")
        self._last = keys[-1]
        self._keys += keys
        self._values += values
        if len(self._keys) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        """Write the buffered terms' records (key and value lengths, key, value)."""
        keys, values = self._keys, self._values
        if not keys:
            return
        digests = b"".join([_md5(key, usedforsecurity=False).digest() for key in keys])
        self._hashes.append(np.frombuffer(digests, dtype=">u4").reshape(-1, 4)[:, 3].astype(np.uint32))
        key_lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        value_lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        sizes = _RECORD_LENGTHS.size + key_lengths + value_lengths
        ends = np.cumsum(sizes)
        starts = ends - sizes
        self._positions.append(self._offset + starts)
        lengths = np.empty((len(keys), 2), dtype=">i4")
        lengths[:, 0] = key_lengths
        lengths[:, 1] = value_lengths
        packed = lengths.tobytes()
        width = _RECORD_LENGTHS.size
        parts: list[bytes] = [b""] * (3 * len(keys))
        parts[0::3] = [packed[i : i + width] for i in range(0, len(packed), width)]
        parts[1::3] = keys
        parts[2::3] = values
        records = b"".join(parts)
        self._dbfile.write(records)
        self._offset += len(records)
        self._keys, self._values = [], []

    def close(self) -> None:
        self._flush()
        dbfile = self._dbfile
        hashes = np.concatenate(self._hashes) if self._hashes else np.zeros(0, dtype=np.uint32)
        positions = np.concatenate(self._positions) if self._positions else np.zeros(0, dtype=np.int64)
        # 256 tables (by the hash's low byte) of twice as many slots as entries, filled in key order
        # with linear probing from slot (hash >> 8) % slots, as OrderedHashWriter fills them.
        buckets = (hashes & 255).astype(np.int64)
        order = np.argsort(buckets, kind="stable")
        counts = np.bincount(buckets, minlength=256)
        slots = 2 * counts
        table_starts = np.cumsum(slots) - slots
        homes = ((hashes[order] >> 8).astype(np.int64) % np.repeat(slots, counts)).tolist()
        placed = np.empty(len(order), dtype=np.int64)  # each entry's slot in the concatenated tables
        taken: set[int] = set()
        i = 0
        for count, numslots, base in zip(counts.tolist(), slots.tolist(), table_starts.tolist()):
            taken.clear()
            for _ in range(count):
                slot = homes[i]
                while slot in taken:
                    slot = slot + 1 if slot + 1 < numslots else 0
                taken.add(slot)
                placed[i] = base + slot
                i += 1
        table = np.zeros(int(slots.sum()), dtype=[("hash", ">u4"), ("position", ">i8")])
        table["hash"][placed] = hashes[order]
        table["position"][placed] = positions[order]
        dbfile.write(table.tobytes())
        directory = np.empty(256, dtype=[("position", ">i8"), ("slots", ">i4")])
        directory["position"] = self._offset + table_starts * _POINTER.size
        directory["slots"] = slots
        self._offset += len(table) * _POINTER.size
        dbfile.write(directory.tobytes())
        self._offset += directory.nbytes
        # Extras as OrderedHashWriter writes them: the field map, then the key positions' array
        # (a GrowableArray: "H", widened to the type its largest value needs).
        largest = int(positions[-1]) if len(positions) else 0
        typecode = "H" if largest < 2**16 else "i" if largest < 2**31 else "I" if largest < 2**32 else "q"
        extras = {"fieldmap": self.fieldmap, "indextype": typecode, "indexlen": len(positions)}
        expos = dbfile.tell()
        dbfile.write(dumps(extras, -1))
        dbfile.write(positions.astype(">" + {"H": "u2", "i": "i4", "I": "u4", "q": "i8"}[typecode]).tobytes())
        dbfile.write_int(dbfile.tell() - expos)
        dbfile.close()

