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
        vkind = _value_kind(value)
        out.append(vkind)  # type: ignore[arg-type]
        if vkind == _INT_VALUE:
            out += varint(value[0])
        elif vkind == _INTS_VALUE:
            out += varint(len(value[0]))
            for x in value[0]:
                out += varint(x)
        elif vkind == _BYTES_VALUE:
            out += varint(len(value[0]))
            out += value[0]
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
        self._last = keys[-1]
        at = 0
        while at < len(keys):
            take = self._block - len(self._keys)
            self._keys += keys[at : at + take]
            self._values += values[at : at + take]
            at += take
            if len(self._keys) >= self._block:
                self._flush()

    def _flush(self) -> None:
        keys, values = self._keys, self._values
        if not keys:
            return
        block = encode_block(keys, values)
        self._first_keys += keys[0]
        self._first_ends.append(len(self._first_keys))
        self._block_offsets.append(self._offset)
        self._dbfile.write(block)
        self._offset += len(block)
        self._count += len(keys)
        self._keys, self._values = [], []

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
