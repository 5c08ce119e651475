"""zhsearch's term dictionary (the ``.trm`` file of a :class:`search.embedded.codec.ZhCodec` segment).

Whoosh's W3 dictionary is a hash file: each entry a record of two 4-byte lengths, the key (a
2-byte field number and the term) and a fixed 23-byte ``W3TermInfo`` with a 12-byte posting
address or an inlined posting's pickle, then two 12-byte hash slots and a key position per
entry: about 82 bytes an entry, a third of a merged index. Here the same (key, term info bytes)
entries are stored in key order, in blocks of ``BLOCK`` entries:

- keys front-coded (the length shared with the previous key, then the rest), in columns;
- statistics as varints (whole-number weights, document counts, first document and the last's
  distance from it; equal values written once), the posting address as its distance from the
  block's first address and its length, and an inlined one-posting list as its value alone (the
  document and weight are the statistics');
- after the blocks, the first key and the file offset of each block: the only part read on
  opening, kept in memory; a lookup finds its block by bisection, then the run of ``RESTART``
  keys holding it (each run starts with a whole key), decodes that run's keys (kept with the
  block in a bounded cache, :class:`TermDict`) and only the one entry's statistics.

The entries read back are the W3 term info bytes exactly (a value that the compact forms cannot
give back exactly is stored as it is), so :meth:`TermDict.items_from` gives the merge and the
frequency tables what they read from a W3 dictionary, and ``W3TermInfo.from_bytes`` gives every
Whoosh reader the same statistics and postings.

File: ``MAGIC``, the blocks, the block index (a pickle: field map, entry count, first keys'
lengths and bytes, block offsets), its offset (8 bytes, big-endian) and ``MAGIC`` again.
"""

from __future__ import annotations

import functools
import io
import pickle
import struct
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

import numpy as np
from whoosh.system import pack_ushort
from whoosh.util.varints import varint

MAGIC = b"ZTD1"
BLOCK = 64  # entries per block
RESTART = 16  # a whole key every RESTART entries of a block (the others share a prefix with the previous key)
CACHED_BLOCKS = 4096  # decoded blocks kept per open dictionary
_TRAILER = struct.Struct(">q4s")
_TERMINFO = struct.Struct("!BfIBBfII")  # W3TermInfo's layout
_HEAD = _TERMINFO.size
_HEAD_BYTES = struct.Struct("!B4sIBB4sII")  # the same, its two floats as they are stored
_EXTENT = struct.Struct("!qi")
_F32 = struct.Struct("!f")

# An entry's kind byte: the body in bits 0-1, then which statistics take their short forms.
_EXTENT_BODY, _INLINED_BODY, _TAIL_BODY, _RAW_BODY = 0, 1, 2, 3
_WHOLE_WEIGHT = 4  # total weight: a varint (else its 4 float bytes)
_SAME_MAX = 8  # maximum weight: the total weight's bytes (omitted)
_WHOLE_MAX = 16  # maximum weight: a varint
_SAME_LENGTHS = 32  # shortest and longest length bytes equal: one byte
_ONE_ID = 64  # last document = first (omitted)
_ONE_DOC = 128  # document count 1 (omitted)

# An inlined posting's value: (), (int >= 0,), (tuple of ints >= 0,), (bytes,), (None,).
_NO_VALUE, _INT_VALUE, _INTS_VALUE, _BYTES_VALUE, _NONE_VALUE = range(5)


def _varint(n: int, out: bytearray) -> None:
    out += varint(n)  # Whoosh's varint (LEB128, small values cached)


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint (as Whoosh's ``varint`` writes it) at ``pos`` in ``data``, and the position after it."""
    n = data[pos]
    if n < 0x80:
        return n, pos + 1
    n &= 0x7F
    shift = 7
    pos += 1
    while True:
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return n, pos
        shift += 7


def _whole(raw: bytes) -> int | None:
    """The whole number a 4-byte float holds, when it packs back to the same bytes; else None."""
    (value,) = _F32.unpack(raw)
    if value.is_integer() and 0 <= value < 2**32 and _F32.pack(float(int(value))) == raw:
        return int(value)
    return None


@functools.lru_cache(maxsize=1 << 16)
def _docnum_opcode(docnum: int) -> bytes:
    """The pickle opcode of ``docnum`` (BININT1, BININT2 or BININT and its bytes)."""
    return pickle.dumps(docnum, 2)[2:-1]


def _small_pickle(obj: Any) -> bytes:
    """``pickle.dumps(obj, 2)`` without its PROTO and memo opcodes (as
    :func:`search.embedded.inversion.small_pickle` writes the inlined postings)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, 2)
    pickler.fast = True
    pickler.dump(obj)
    return out.getvalue()[2:]


@functools.lru_cache(maxsize=1 << 14)
def _inlined_rest(weight: float, value: tuple[Any, ...]) -> bytes:
    """An inlined posting's pickle after ``(docnum,)``: its weights (none for 1.0), its values."""
    return _small_pickle(((0,), () if weight == 1.0 else (weight,), value))[3:]  # after K\x00 TUPLE1


def _inlined_tail(docnum: int, weight: float, value: tuple[Any, ...]) -> bytes:
    """The pickled (ids, weights, values) of a term's one posting, as the segment writer inlines it."""
    return _docnum_opcode(docnum) + b"\x85" + _inlined_rest(weight, value)


def _value_kind(value: Any) -> int | None:
    """How an inlined postings' values tuple is stored; None: not in a compact form."""
    if type(value) is not tuple or len(value) > 1:
        return None
    if not value:
        return _NO_VALUE
    v = value[0]
    if v is None:
        return _NONE_VALUE
    if type(v) is int:
        return _INT_VALUE if v >= 0 else None
    if type(v) is bytes:
        return _BYTES_VALUE
    if type(v) is tuple and all(type(x) is int and x >= 0 for x in v):
        return _INTS_VALUE
    return None


_NOT_COMPACT = object()
_KNOWN_RESTS: dict[tuple[bytes, bytes], Any] = {}  # (weight bytes, pickle after the id) -> value tuple


def _inlined_value(tail: bytes, docnum: int, weight_bytes: bytes) -> Any:
    """The values tuple of an inlined posting whose pickle ``tail`` is exactly what
    ``_inlined_tail`` writes for it (and whose values have a compact form); else ``_NOT_COMPACT``.
    The pickle after the document number depends only on the weight and the value: each distinct
    one is unpickled and checked once (up to 65,536 kept)."""
    opcode = _docnum_opcode(docnum)
    cut = len(opcode) + 1
    if tail[: cut - 1] != opcode or tail[cut - 1 : cut] != b"\x85":
        return _NOT_COMPACT
    key = (weight_bytes, tail[cut:])
    value = _KNOWN_RESTS.get(key)
    if value is None:
        value = _NOT_COMPACT
        try:
            ids, _, candidate = pickle.loads(tail)
        except Exception:  # noqa: BLE001 - not a pickle of ours: stored as it is
            ids = None
        if (ids == (docnum,) and _value_kind(candidate) is not None
                and _inlined_tail(docnum, _F32.unpack(weight_bytes)[0], candidate) == tail):
            value = candidate
        if len(_KNOWN_RESTS) >= 1 << 16:
            _KNOWN_RESTS.clear()
        _KNOWN_RESTS[key] = value
    return value


@functools.lru_cache(maxsize=1 << 16)
def _whole_bytes(raw: bytes) -> bytes | None:
    """The varint of the whole number a 4-byte float holds (see ``_whole``), or None."""
    whole = _whole(raw)
    return None if whole is None else varint(whole)


def encode_info(info: bytes, base: int, out: bytearray) -> None:
    """Append the compact form of a W3 term info's bytes (``base``: the block's first posting address)."""
    if len(info) < _HEAD or info[0] > 1:
        out.append(_RAW_BODY)
        out += varint(len(info))
        out += info
        return
    flags, _, count, min_length, max_length, _, first, last = _TERMINFO.unpack_from(info)
    if last < first:
        out.append(_RAW_BODY)
        out += varint(len(info))
        out += info
        return
    value: Any = None
    if not flags and len(info) == _HEAD + _EXTENT.size:
        offset, length = _EXTENT.unpack_from(info, _HEAD)
        body = _EXTENT_BODY if length >= 0 else _TAIL_BODY
    elif flags and count == 1 and first == last:
        value = _inlined_value(info[_HEAD:], first, info[1:5])
        body = _TAIL_BODY if value is _NOT_COMPACT else _INLINED_BODY
    else:
        body = _TAIL_BODY
    weight_bytes, max_bytes = info[1:5], info[11:15]
    kind = body
    weight = _whole_bytes(weight_bytes)
    if weight is None:
        weight = weight_bytes
    else:
        kind |= _WHOLE_WEIGHT
    if max_bytes == weight_bytes:
        kind |= _SAME_MAX
        maximum = b""
    else:
        maximum = _whole_bytes(max_bytes)
        if maximum is None:
            maximum = max_bytes
        else:
            kind |= _WHOLE_MAX
    if min_length == max_length:
        kind |= _SAME_LENGTHS
    if last == first:
        kind |= _ONE_ID
    if count == 1:
        kind |= _ONE_DOC
    out.append(kind)
    if body == _TAIL_BODY:
        out.append(flags)
    out += weight
    out += maximum
    if count != 1:
        out += varint(count)
    out.append(min_length)
    if min_length != max_length:
        out.append(max_length)
    out += varint(first)
    if last != first:
        out += varint(last - first)
    if body == _EXTENT_BODY:
        delta = offset - base
        out += varint(delta << 1 if delta >= 0 else ((-delta) << 1) - 1)
        out += varint(length)
    elif body == _INLINED_BODY:
        out += _value_bytes(value, _value_kind(value))  # type: ignore[arg-type]
    else:
        tail = info[_HEAD:]
        out += varint(len(tail))
        out += tail


def _read_float(data: bytes, pos: int, whole: int) -> tuple[bytes, int]:
    """A weight's 4 float bytes, stored as a varint (``whole``) or as they are."""
    if whole:
        n = data[pos]
        if n < 0x80:
            return _SMALL_FLOATS[n], pos + 1
        n, pos = read_varint(data, pos)
        return _F32.pack(float(n)), pos
    return data[pos : pos + 4], pos + 4


_SMALL_FLOATS = tuple(_F32.pack(float(n)) for n in range(0x80))  # the float bytes of a one-byte varint


def decode_info(data: bytes, pos: int, base: int) -> bytes:
    """The W3 term info bytes whose compact form starts at ``data[pos]``."""
    kind = data[pos]
    pos += 1
    body = kind & 3
    if body == _RAW_BODY:
        n, pos = read_varint(data, pos)
        return data[pos : pos + n]
    flags = 0 if body == _EXTENT_BODY else 1
    if body == _TAIL_BODY:
        flags = data[pos]
        pos += 1
    weight_bytes, pos = _read_float(data, pos, kind & _WHOLE_WEIGHT)
    if kind & _SAME_MAX:
        max_bytes = weight_bytes
    else:
        max_bytes, pos = _read_float(data, pos, kind & _WHOLE_MAX)
    if kind & _ONE_DOC:
        count = 1
    else:
        count, pos = read_varint(data, pos)
    min_length = data[pos]
    pos += 1
    if kind & _SAME_LENGTHS:
        max_length = min_length
    else:
        max_length = data[pos]
        pos += 1
    first, pos = read_varint(data, pos)
    if kind & _ONE_ID:
        last = first
    else:
        delta, pos = read_varint(data, pos)
        last = first + delta
    head = _HEAD_BYTES.pack(flags, weight_bytes, count, min_length, max_length, max_bytes, first, last)
    if body == _EXTENT_BODY:
        zigzag, pos = read_varint(data, pos)
        length, pos = read_varint(data, pos)
        offset = base + (zigzag >> 1 if not zigzag & 1 else -((zigzag + 1) >> 1))
        return head + _EXTENT.pack(offset, length)
    if body == _INLINED_BODY:
        vkind = data[pos]
        pos += 1
        value: tuple[Any, ...]
        if vkind == _NO_VALUE:
            value = ()
        elif vkind == _NONE_VALUE:
            value = (None,)
        elif vkind == _INT_VALUE:
            v, pos = read_varint(data, pos)
            value = (v,)
        elif vkind == _INTS_VALUE:
            n, pos = read_varint(data, pos)
            items = []
            for _ in range(n):
                v, pos = read_varint(data, pos)
                items.append(v)
            value = (tuple(items),)
        else:
            n, pos = read_varint(data, pos)
            value = (data[pos : pos + n],)
        return head + _inlined_tail(first, _F32.unpack(weight_bytes)[0], value)
    n, pos = read_varint(data, pos)
    return head + data[pos : pos + n]


def _extent_offset(info: bytes) -> int | None:
    """The posting address of a term info with one (None for inlined or unparsed ones)."""
    if len(info) == _HEAD + _EXTENT.size and info[0] == 0:
        return max(0, int(_EXTENT.unpack_from(info, _HEAD)[0]))
    return None


def _column(values: list[int], width: int) -> bytes:
    return b"".join(v.to_bytes(width, "big") for v in values) if width > 1 else bytes(values)


def _read_column(data: bytes, pos: int, n: int, width: int) -> Any:
    """``n`` unsigned big-endian numbers of ``width`` bytes from ``data[pos]`` (a sequence of ints)."""
    raw = data[pos : pos + n * width]
    if width == 1:
        return raw
    column = array("H" if width == 2 else "I", raw)
    if _LITTLE:
        column.byteswap()
    return column


_LITTLE = array("H", [1]).tobytes()[0] == 1


def _shared_length(previous: bytes, key: bytes) -> int:
    """The length of the two keys' common prefix (from the first byte that differs in their
    big-endian numbers)."""
    limit = min(len(previous), len(key))
    differ = int.from_bytes(previous[:limit], "big") ^ int.from_bytes(key[:limit], "big")
    return limit - (differ.bit_length() + 7) // 8


def encode_block(keys: list[bytes], infos: list[bytes]) -> bytes:
    """One block: entry count, base address, column width, then three columns (each key's length
    shared with the previous key, the length of its rest, its info's length), the keys' rests,
    the infos."""
    base = next((o for o in map(_extent_offset, infos) if o is not None), 0)
    info_part = bytearray()
    sizes: list[int] = []
    for info in infos:
        start = len(info_part)
        encode_info(info, base, info_part)
        sizes.append(len(info_part) - start)
    shared = [_shared_length(previous, key) if i % RESTART else 0
              for i, (previous, key) in enumerate(zip([b"", *keys], keys))]
    rests = [len(key) - n for key, n in zip(keys, shared)]
    largest = max(max(shared), max(rests), max(sizes))
    width = 1 if largest < 1 << 8 else 2 if largest < 1 << 16 else 4
    if largest >= 1 << 32:
        raise ValueError("a term or term info of 4 GiB")
    out = bytearray()
    _varint(len(keys), out)
    _varint(base, out)
    out.append(width)
    out += _column(shared, width)
    out += _column(rests, width)
    out += _column(sizes, width)
    out += b"".join(key[n:] for key, n in zip(keys, shared))
    return bytes(out + info_part)


class _Block:
    """A block's columns, where each entry's info starts, and its keys, decoded a run of
    ``RESTART`` entries at a time (each run starts with a whole key: a lookup bisects the runs'
    first keys, then decodes one run)."""

    __slots__ = ("_runs", "firsts", "starts", "data", "base", "width", "_shared", "_cuts", "n", "_restart")

    def __init__(self, data: bytes, restart: int) -> None:
        self._restart = restart
        n, pos = read_varint(data, 0)
        self.n = n
        self.base, pos = read_varint(data, pos)
        width = data[pos]
        pos += 1
        self._shared = _read_column(data, pos, n, width)
        rests = _read_column(data, pos + n * width, n, width)
        sizes = _read_column(data, pos + 2 * n * width, n, width)
        pos += 3 * n * width
        # Tuples, not lists: a tuple of bytes or ints is one object the garbage collector stops
        # tracking, where a list stays tracked for as long as the block is kept (thousands of
        # blocks, a run list each, that every full collection would walk).
        cuts = self._cuts = tuple(accumulate(rests, initial=pos))
        self.firsts = tuple(data[cuts[i] : cuts[i + 1]] for i in range(0, n, restart))
        self._runs: list[tuple[bytes, ...] | None] = [None] * len(self.firsts)
        self.starts = tuple(accumulate(sizes, initial=cuts[-1]))  # n + 1: the end of the last info
        self.data = data
        self.width = width

    def run(self, r: int) -> tuple[bytes, ...]:
        """The keys of run ``r``."""
        keys = self._runs[r]
        if keys is None:
            low = r * self._restart
            high = min(low + self._restart, self.n)
            cuts, data = self._cuts, self.data
            previous = b""
            keys = self._runs[r] = tuple([previous := previous[:length] + data[start:stop]
                                          for length, start, stop in zip(self._shared[low:high], cuts[low:high],
                                                                         cuts[low + 1 : high + 1])])
        return keys

    def find(self, key: bytes) -> int:
        """The entry number of ``key`` in the block, or -1."""
        r = bisect_right(self.firsts, key) - 1
        if r < 0:
            return -1
        keys = self.run(r)
        i = bisect_left(keys, key)
        return r * self._restart + i if i < len(keys) and keys[i] == key else -1

    def position(self, key: bytes) -> int:
        """The number of the first entry >= ``key``."""
        r = max(0, bisect_right(self.firsts, key) - 1)
        return r * self._restart + bisect_left(self.run(r), key)

    def key(self, i: int) -> bytes:
        return self.run(i // self._restart)[i % self._restart]

    def info(self, i: int) -> bytes:
        return decode_info(self.data, self.starts[i], self.base)


class TermDictWriter:
    """Writes a term dictionary: (key, W3 term info bytes) entries in increasing key order.

    The interface of the segment writers' W3 dictionary writer (``start_field``, ``add``,
    ``add_many``, ``close``) and of Whoosh's ``OrderedHashWriter`` as ``W3FieldWriter`` uses it
    (``extras["fieldmap"]``, ``add``, ``close``).
    """

    def __init__(self, dbfile: Any, block: int = BLOCK) -> None:
        self._dbfile = dbfile
        self._block = block
        dbfile.write(MAGIC)
        self._offset = len(MAGIC)
        self.fieldmap: dict[str, int] = {}
        self.extras: dict[str, Any] = {"fieldmap": self.fieldmap}
        self._keys: list[bytes] = []
        self._values: list[bytes] = []
        self._first_keys = bytearray()
        self._first_ends = array("q")
        self._block_offsets = array("q")
        self._count = 0
        self._last: bytes | None = None

    def start_field(self, fieldname: str) -> bytes:
        """Number the field (in the order fields are written); returns its key prefix."""
        fieldid = self.fieldmap[fieldname] = len(self.fieldmap)
        return pack_ushort(fieldid)

    def add(self, key: bytes, value: bytes) -> None:
        if self._last is not None and key <= self._last:
            raise ValueError(f"keys must increase: {self._last!r}..{key!r}")
        self._last = key
        self._keys.append(key)
        self._values.append(value)
        if len(self._keys) >= self._block:
            self._flush()

    def add_many(self, keys: list[bytes], values: list[bytes]) -> None:
        """``add`` each key and its value, in order."""
        if len(keys) != len(values):
            raise ValueError("as many keys as values")
        if not keys:
            return
        if self._last is not None and keys[0] <= self._last or not all(map(bytes.__lt__, keys, keys[1:])):
            for key, value in zip(keys, values):  # raises at the first key out of order, as add does
                self.add(key, value)
            return
        if len(keys) >= 2 * self._block:
            columns = info_columns(values)
            if columns is not None:  # the usual infos: encoded from columns
                self.add_columns(keys, columns)
                return
        self._last = keys[-1]
        at = 0
        while at < len(keys):
            take = self._block - len(self._keys)
            self._keys += keys[at : at + take]
            self._values += values[at : at + take]
            at += take
            if len(self._keys) >= self._block:
                self._flush()

    def add_columns(self, keys: list[bytes], columns: InfoColumns) -> None:
        """``add_many(keys, [columns.info(i) ...])``, the same file, whole blocks encoded from the
        columns (:func:`encode_columns`)."""
        n = len(keys)
        if n != len(columns):
            raise ValueError("as many keys as term infos")
        if not n:
            return
        if self._last is not None and keys[0] <= self._last or not all(map(bytes.__lt__, keys, keys[1:])):
            for i, key in enumerate(keys):  # raises at the first key out of order, as add does
                self.add(key, columns.info(i))
            return
        self._last = keys[-1]
        at = 0
        if self._keys:  # the block begun: completed entry by entry
            at = min(self._block - len(self._keys), n)
            self._keys += keys[:at]
            self._values += [columns.info(i) for i in range(at)]
            if len(self._keys) >= self._block:
                self._flush()
        whole = at + (n - at) // self._block * self._block
        if whole > at:
            for low, block in zip(range(at, whole, self._block),
                                  encode_columns(keys[at:whole], columns.take(at, whole), self._block)):
                self._write_block(keys[low], self._block, block)
        self._keys += keys[whole:]
        self._values += [columns.info(i) for i in range(whole, n)]

    def _flush(self) -> None:
        keys, values = self._keys, self._values
        if not keys:
            return
        self._write_block(keys[0], len(keys), encode_block(keys, values))
        self._keys, self._values = [], []

    def _write_block(self, first_key: bytes, entries: int, block: bytes) -> None:
        self._first_keys += first_key
        self._first_ends.append(len(self._first_keys))
        self._block_offsets.append(self._offset)
        self._dbfile.write(block)
        self._offset += len(block)
        self._count += entries

    def close(self) -> None:
        self._flush()
        self._block_offsets.append(self._offset)  # the end of the last block
        index = {
            "fieldmap": self.fieldmap,
            "entries": self._count,
            "restart": RESTART,
            "first_ends": self._first_ends.tobytes(),
            "first_keys": bytes(self._first_keys),
            "offsets": self._block_offsets.tobytes(),
            "byteorder": "little" if array("q", [1]).tobytes()[0] == 1 else "big",
        }
        at = self._offset
        self._dbfile.write(pickle.dumps(index, 4))
        self._dbfile.write(_TRAILER.pack(at, MAGIC))
        self._dbfile.close()


def is_term_dict(dbfile: Any, length: int) -> bool:
    """Whether the file is a dictionary of this module (else a W3 hash file)."""
    return length >= len(MAGIC) + _TRAILER.size and dbfile.get(0, len(MAGIC)) == MAGIC


def _int64s(raw: bytes, byteorder: str) -> array[int]:
    values = array("q")
    values.frombytes(raw)
    if byteorder != ("little" if array("q", [1]).tobytes()[0] == 1 else "big"):
        values.byteswap()
    return values


class TermDict:
    """An open term dictionary: lookups by key and ordered iteration from a key.

    Decoded blocks (keys and where their infos start) are kept in a bounded LRU cache of
    ``CACHED_BLOCKS``; the statistics of an entry are decoded when asked for.
    """

    def __init__(self, dbfile: Any, length: int) -> None:
        self._dbfile = dbfile
        at, magic = _TRAILER.unpack(dbfile.get(length - _TRAILER.size, _TRAILER.size))
        if magic != MAGIC or dbfile.get(0, len(MAGIC)) != MAGIC:
            raise ValueError("not a zhsearch term dictionary")
        index = pickle.loads(dbfile.get(at, length - _TRAILER.size - at))
        self.fieldmap: dict[str, int] = index["fieldmap"]
        self.entries: int = index["entries"]
        self._restart: int = index["restart"]
        order = index["byteorder"]
        self._offsets = _int64s(index["offsets"], order)
        ends = _int64s(index["first_ends"], order).tolist()
        blob = index["first_keys"]
        self._first = [blob[a:b] for a, b in zip([0, *ends], ends)]  # each block's first key
        self._cache: OrderedDict[int, _Block] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.entries

    def _block(self, b: int) -> _Block:
        cache = self._cache
        with self._lock:  # searchers are shared between threads
            block = cache.get(b)
            if block is not None:
                cache.move_to_end(b)
                return block
        start = self._offsets[b]
        block = _Block(self._dbfile.get(start, self._offsets[b + 1] - start), self._restart)
        with self._lock:
            cache[b] = block
            if len(cache) > CACHED_BLOCKS:
                cache.popitem(last=False)
        return block

    def _find(self, key: bytes) -> tuple[_Block, int] | None:
        """The block holding ``key`` and its entry number, or None."""
        b = bisect_right(self._first, key) - 1
        if b < 0:
            return None
        block = self._block(b)
        i = block.find(key)
        return None if i < 0 else (block, i)

    def __contains__(self, key: bytes) -> bool:
        return self._find(key) is not None

    def get(self, key: bytes) -> bytes | None:
        """The term info bytes of ``key``, or None."""
        found = self._find(key)
        return None if found is None else found[0].info(found[1])

    def __getitem__(self, key: bytes) -> bytes:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def items_from(self, key: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        """Every (key, term info bytes) from the first key >= ``key`` on, in order."""
        for block, i in self._entries_from(key):
            yield block.key(i), block.info(i)

    def keys_from(self, key: bytes = b"") -> Iterator[bytes]:
        for block, i in self._entries_from(key):
            yield block.key(i)

    def _entries_from(self, key: bytes) -> Iterator[tuple[_Block, int]]:
        nblocks = len(self._first)
        b = max(0, bisect_right(self._first, key) - 1)
        start = None
        while b < nblocks:
            # Blocks read in a sequence are not cached (a whole field's pass would empty the cache).
            block = self._cache.get(b)
            if block is None:
                offset = self._offsets[b]
                block = _Block(self._dbfile.get(offset, self._offsets[b + 1] - offset), self._restart)
            if start is None:
                start = block.position(key)
            for i in range(start, block.n):
                yield block, i
            start = 0
            b += 1

    def sized_items(self) -> Iterator[tuple[bytes, bytes, int, int]]:
        """Every (key, term info bytes, bytes of its key in the file, bytes of its info), in order
        (what the file spends on each entry; bench/index_size.py)."""
        for b in range(len(self._first)):
            offset = self._offsets[b]
            block = _Block(self._dbfile.get(offset, self._offsets[b + 1] - offset), self._restart)
            for i in range(block.n):
                yield block.key(i), block.info(i), 3 * block.width + block._cuts[i + 1] - block._cuts[i], block.starts[i + 1] - block.starts[i]

    def close(self) -> None:
        self._cache.clear()
        self._dbfile.close()


# -- writing entries from columns -------------------------------------------------------------

class InfoColumns:
    """The term infos of a run of entries as columns (numpy arrays, one item per entry), as the
    segment writer has them: a posting address (``offset``, ``length``), or an inlined posting
    (``inlined``; its values tuple in ``values``, None for the others). :meth:`info` gives an
    entry's W3 term info bytes; :func:`encode_columns` encodes whole blocks to the bytes
    :func:`encode_block` writes for those infos."""

    __slots__ = ("inlined", "weight", "max_weight", "count", "min_length", "max_length", "first", "last",
                 "offset", "length", "values")

    def __init__(self, inlined: Any, weight: Any, max_weight: Any, count: Any, min_length: Any, max_length: Any,
                 first: Any, last: Any, offset: Any, length: Any, values: list[Any]) -> None:
        self.inlined = np.asarray(inlined, dtype=bool)
        self.weight = np.asarray(weight, dtype=np.float32)  # the W3 info's floats, as stored
        self.max_weight = np.asarray(max_weight, dtype=np.float32)
        self.count = np.asarray(count, dtype=np.int64)
        self.min_length = np.asarray(min_length, dtype=np.int64)
        self.max_length = np.asarray(max_length, dtype=np.int64)
        self.first = np.asarray(first, dtype=np.int64)
        self.last = np.asarray(last, dtype=np.int64)
        self.offset = np.asarray(offset, dtype=np.int64)
        self.length = np.asarray(length, dtype=np.int64)
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def take(self, low: int, high: int) -> InfoColumns:
        return InfoColumns(*(getattr(self, name)[low:high] for name in self.__slots__))

    def info(self, i: int) -> bytes:
        """Entry ``i``'s W3 term info bytes (as the segment writer packs them)."""
        weight = float(self.weight[i])
        first = int(self.first[i])
        head = _TERMINFO.pack(bool(self.inlined[i]), weight, int(self.count[i]), int(self.min_length[i]),
                              int(self.max_length[i]), float(self.max_weight[i]), first, int(self.last[i]))
        if not self.inlined[i]:
            return head + _EXTENT.pack(int(self.offset[i]), int(self.length[i]))
        return head + _docnum_opcode(first) + b"\x85" + _small_pickle(
            ((0,), () if weight == 1.0 else (weight,), self.values[i]))[3:]


_TERMINFO_RECORD = np.dtype([("flags", "u1"), ("weight", ">f4"), ("count", ">u4"), ("min_length", "u1"),
                             ("max_length", "u1"), ("max_weight", ">f4"), ("first", ">u4"), ("last", ">u4")])


def info_columns(infos: list[bytes]) -> InfoColumns | None:
    """W3 term infos as :class:`InfoColumns` whose :meth:`InfoColumns.info` gives them back
    exactly; None when one has another form (not a posting address nor an inlined posting of a
    compact value written as the segment writer writes it)."""
    n = len(infos)
    if not n:
        return None
    sizes = np.fromiter(map(len, infos), dtype=np.int64, count=n)
    if sizes.min() < _HEAD:
        return None
    heads = np.frombuffer(b"".join([info[:_HEAD] for info in infos]), dtype=_TERMINFO_RECORD)
    inlined = heads["flags"] == 1
    extent = (heads["flags"] == 0) & (sizes == _HEAD + _EXTENT.size)
    if not np.all(extent | (inlined & (heads["count"] == 1) & (heads["first"] == heads["last"]))):
        return None
    if np.any(inlined & (heads["weight"] == 0)):  # (the encoder's caches take 0.0 and -0.0 for one weight)
        return None
    offsets = np.zeros(n, dtype=np.int64)
    lengths = np.zeros(n, dtype=np.int64)
    at = np.flatnonzero(extent)
    if len(at):
        tails = np.frombuffer(b"".join([infos[i][_HEAD:] for i in at.tolist()]), dtype=[("o", ">i8"), ("l", ">i4")])
        offsets[at] = tails["o"]
        lengths[at] = tails["l"]
        if np.any(tails["o"] < 0) or np.any(tails["l"] < 0):
            return None
    values: list[Any] = [None] * n
    for i in np.flatnonzero(inlined).tolist():
        info = infos[i]
        value = _inlined_value(info[_HEAD:], int(heads["first"][i]), info[1:5])
        if value is _NOT_COMPACT:
            return None
        values[i] = value
    return InfoColumns(inlined, heads["weight"], heads["max_weight"], heads["count"], heads["min_length"],
                       heads["max_length"], heads["first"], heads["last"], offsets, lengths, values)


def _varints(values: Any, width: int) -> tuple[Any, Any]:
    """Each value's varint (as ``varint`` writes it) as a row of ``width`` bytes, and its length."""
    v = values.astype(np.uint64)
    rows = np.empty((len(v), width), dtype=np.uint8)
    lengths = np.ones(len(v), dtype=np.int64)
    for k in range(width):
        part = (v >> np.uint64(7 * k)) & np.uint64(0x7F)
        if k + 1 < width:
            more = v >= np.uint64(1 << (7 * (k + 1)))
            lengths += more
            part |= more.astype(np.uint64) << np.uint64(7)
        rows[:, k] = part
    return rows, lengths


def _whole_floats(floats: Any) -> tuple[Any, Any, Any]:
    """Which float32s ``_whole`` takes as whole numbers, each float's 5-byte row (its varint when
    whole, else its 4 big-endian bytes) and the row's length."""
    with np.errstate(invalid="ignore"):
        whole = (np.isfinite(floats) & (floats == np.floor(floats)) & (floats >= 0) & (floats < 2.0**32)
                 & ~np.signbit(floats))
    rows, lengths = _varints(np.where(whole, floats, 0).astype(np.uint64), 5)
    raw = np.zeros((len(floats), 5), dtype=np.uint8)
    raw[:, :4] = floats.astype(">f4").view(np.uint8).reshape(-1, 4)
    return whole, np.where(whole[:, None], rows, raw), np.where(whole, lengths, 4)


_VALUE_BYTES: dict[Any, bytes] = {}  # an inlined values tuple (of a compact kind) -> its kind byte and bytes


def _value_bytes(value: tuple[Any, ...], vkind: int) -> bytes:
    """What ``encode_info`` writes after an inlined entry's statistics for its values tuple."""
    found = _VALUE_BYTES.get(value)
    if found is None:
        out = bytearray((vkind,))
        if vkind == _INT_VALUE:
            out += varint(value[0])
        elif vkind == _INTS_VALUE:
            out += varint(len(value[0]))
            for x in value[0]:
                out += varint(x)
        elif vkind == _BYTES_VALUE:
            out += varint(len(value[0]))
            out += value[0]
        found = bytes(out)
        if len(_VALUE_BYTES) >= 1 << 16:
            _VALUE_BYTES.clear()
        _VALUE_BYTES[value] = found
    return found


def _encodable(columns: InfoColumns) -> bool:
    """Whether every entry has the form :func:`encode_columns` encodes (else ``encode_block`` on
    the W3 bytes): addresses and lengths >= 0, first <= last, an inlined posting's count 1 and its
    one document, lengths as bytes."""
    inl = columns.inlined
    return bool(np.all(columns.first <= columns.last) and np.all(columns.first >= 0)
                and np.all(columns.last < 2**32) and np.all((columns.count >= 0) & (columns.count < 2**32))
                and np.all(~inl | ((columns.count == 1) & (columns.first == columns.last)))
                and np.all(inl | ((columns.offset >= 0) & (columns.length >= 0) & (columns.length < 2**31)))
                and np.all((columns.min_length >= 0) & (columns.min_length < 256))
                and np.all((columns.max_length >= 0) & (columns.max_length < 256)))


def encode_columns(keys: list[bytes], columns: InfoColumns, block: int = BLOCK) -> list[bytes]:
    """The blocks (``block`` entries each, the last maybe fewer) that :func:`encode_block` writes
    for ``keys`` and the W3 term infos ``columns.info(i)``, encoded a column at a time."""
    n = len(keys)
    if not n:
        return []
    if not _encodable(columns):
        return [encode_block(keys[i : i + block], [columns.info(j) for j in range(i, min(i + block, n))])
                for i in range(0, n, block)]
    inl = columns.inlined
    # Inlined values: compact (their kind's bytes) or the pickle after the statistics (tail body).
    suffixes: list[bytes] = [b""] * n
    tail = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(inl).tolist():
        value = columns.values[i]
        vkind = _value_kind(value)
        if vkind is not None:
            suffixes[i] = _value_bytes(value, vkind)
        else:
            tail[i] = True
            info = columns.info(i)
            suffixes[i] = varint(len(info) - _HEAD) + info[_HEAD:]
    body = np.where(inl, np.where(tail, _TAIL_BODY, _INLINED_BODY), _EXTENT_BODY).astype(np.int64)
    weight, max_weight = columns.weight, columns.max_weight
    whole_weight, weight_rows, weight_lengths = _whole_floats(weight)
    whole_max, max_rows, max_lengths = _whole_floats(max_weight)
    same_max = weight.view(np.uint32) == max_weight.view(np.uint32)
    count, first, last = columns.count, columns.first, columns.last
    min_length, max_length = columns.min_length, columns.max_length
    kind = (body | np.where(whole_weight, _WHOLE_WEIGHT, 0) | np.where(same_max, _SAME_MAX, 0)
            | np.where(~same_max & whole_max, _WHOLE_MAX, 0) | np.where(min_length == max_length, _SAME_LENGTHS, 0)
            | np.where(last == first, _ONE_ID, 0) | np.where(count == 1, _ONE_DOC, 0))
    # Each block's base: its first address.
    extent = ~inl
    starts = np.arange(0, n, block)
    firsts_at = np.minimum.reduceat(np.where(extent, np.arange(n), n), starts)
    bases = np.where(firsts_at < n, columns.offset[np.minimum(firsts_at, n - 1)], 0)
    delta = columns.offset - np.repeat(bases, np.diff(np.append(starts, n)))
    zigzag = np.where(delta >= 0, delta << 1, ((-delta) << 1) - 1)
    count_rows, count_lengths = _varints(count, 5)
    first_rows, first_lengths = _varints(first, 5)
    gap_rows, gap_lengths = _varints(last - first, 5)
    zigzag_rows, zigzag_lengths = _varints(np.where(extent, zigzag, 0), 10)
    length_rows, length_lengths = _varints(np.where(extent, columns.length, 0), 5)
    ones = np.ones(n, dtype=np.int64)
    pieces = [
        (kind.astype(np.uint8)[:, None], ones),
        (np.ones((n, 1), dtype=np.uint8), tail.astype(np.int64)),  # a tail body's flags (1: inlined)
        (weight_rows, weight_lengths),
        (max_rows, np.where(same_max, 0, max_lengths)),
        (count_rows, np.where(count != 1, count_lengths, 0)),
        (min_length.astype(np.uint8)[:, None], ones),
        (max_length.astype(np.uint8)[:, None], (min_length != max_length).astype(np.int64)),
        (first_rows, first_lengths),
        (gap_rows, np.where(last != first, gap_lengths, 0)),
        (zigzag_rows, np.where(extent, zigzag_lengths, 0)),
        (length_rows, np.where(extent, length_lengths, 0)),
    ]
    matrix = np.concatenate([rows for rows, _ in pieces], axis=1)
    mask = np.concatenate([np.arange(rows.shape[1])[None, :] < lengths[:, None] for rows, lengths in pieces], axis=1)
    heads = matrix[mask]
    head_lengths = mask.sum(axis=1)
    suffix_lengths = np.fromiter(map(len, suffixes), dtype=np.int64, count=n)
    sizes = head_lengths + suffix_lengths
    info_ends = np.cumsum(sizes)
    info_starts = info_ends - sizes
    infos = np.empty(int(info_ends[-1]), dtype=np.uint8)
    head_ends = np.cumsum(head_lengths)
    infos[np.arange(len(heads)) + np.repeat(info_starts - (head_ends - head_lengths), head_lengths)] = heads
    if suffix_lengths.any():
        suffix_ends = np.cumsum(suffix_lengths)
        flat = np.frombuffer(b"".join(suffixes), dtype=np.uint8)
        infos[np.arange(len(flat)) + np.repeat(info_starts + head_lengths - (suffix_ends - suffix_lengths),
                                               suffix_lengths)] = flat
    # Keys: the length each shares with the previous key of its run of RESTART, and the rests.
    key_lengths = np.fromiter(map(len, keys), dtype=np.int64, count=n)
    shared = np.zeros(n, dtype=np.int64)
    within = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    follows = np.flatnonzero(within % RESTART != 0)
    if len(follows):
        width = int(min(key_lengths.max(), 32))
        padded = np.zeros((n, width + 1), dtype=np.uint8)
        flat_keys = np.frombuffer(b"".join(keys), dtype=np.uint8)
        key_starts = np.cumsum(key_lengths) - key_lengths
        short = np.minimum(key_lengths, width)
        rows = np.repeat(np.arange(n), short)
        cols = np.arange(int(short.sum())) - np.repeat(np.cumsum(short) - short, short)
        padded[rows, cols] = flat_keys[key_starts[rows] + cols]
        differ = padded[follows] != padded[follows - 1]
        differ[:, width] = True
        common = np.minimum(np.argmax(differ, axis=1), np.minimum(key_lengths[follows], key_lengths[follows - 1]))
        shared[follows] = common
        for i in follows[common >= width].tolist():  # longer common prefixes
            shared[i] = _shared_length(keys[i - 1], keys[i])
    rests = key_lengths - shared
    rest_bytes = b"".join([key[s:] for key, s in zip(keys, shared.tolist())])
    rest_ends = np.cumsum(rests).tolist()
    ends = np.append(starts[1:], n)
    largest = np.maximum.reduceat(np.maximum(np.maximum(shared, rests), sizes), starts).tolist()
    infos_bytes = infos.tobytes()
    info_cuts = info_ends.tolist()
    out = []
    for low, high, big in zip(starts.tolist(), ends.tolist(), largest):
        width = 1 if big < 1 << 8 else 2 if big < 1 << 16 else 4
        if big >= 1 << 32:
            raise ValueError("a term or term info of 4 GiB")
        dtype = np.uint8 if width == 1 else ">u2" if width == 2 else ">u4"
        rest_low = rest_ends[low - 1] if low else 0
        info_low = info_cuts[low - 1] if low else 0
        out.append(b"".join((
            varint(high - low), varint(int(bases[low // block])), bytes((width,)),
            shared[low:high].astype(dtype).tobytes(), rests[low:high].astype(dtype).tobytes(),
            sizes[low:high].astype(dtype).tobytes(), rest_bytes[rest_low : rest_ends[high - 1]],
            infos_bytes[info_low : info_cuts[high - 1]])))
    return out
