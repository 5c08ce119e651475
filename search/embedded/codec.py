"""zhsearch's Whoosh codec: the W3 codec with the term dictionary of :mod:`search.embedded.termdict`
and the packed posting lists of :mod:`search.embedded.postings`.

Whoosh opens a segment through the codec object pickled with it in the table of contents
(``W3Segment._codec``), so a segment written with :class:`ZhCodec` is read by every Whoosh reader,
searcher and matcher through the methods overridden here; the rest (postings, stored fields,
columns) is the W3 codec's. Segments written with the plain ``W3Codec`` (older indexes) keep
opening through it; and this codec reads a W3 hash dictionary too (it looks at the file's magic).

Overridden here: the term dictionary (``terms_reader``; ``field_writer``, Whoosh's own segment
writer; ``dictionary_writer`` for the segment writers of :mod:`search.embedded.segments` and
:mod:`search.embedded.merge`) and the posting lists (``postings_reader``). The segment writers of
zhsearch write packed lists; Whoosh's own writer, given this codec, writes W3 posting blocks,
which ``postings_reader`` recognises by their magic (a packed list never starts with it: its
first byte is a flags byte whose value ``W`` no list has).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from whoosh.codec import base
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3TermInfo, W3TermsReader
from whoosh.compat import bytes_type
from whoosh.reading import TermNotFound
from whoosh.system import _SHORT_SIZE, pack_ushort, unpack_ushort

from .termdict import TermDict, TermDictWriter, is_term_dict

_WEIGHT = struct.Struct("!f")  # a W3 term info's total weight (after its flags byte)


class ZhCodec(W3Codec):
    """``W3Codec`` writing and reading the compact term dictionary (see the module)."""

    def dictionary_writer(self, dbfile: Any) -> TermDictWriter:
        """The writer of a segment's ``.trm`` file (``start_field``, ``add``, ``add_many``, ``close``)."""
        return TermDictWriter(dbfile)

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return ZhFieldWriter(self, storage, segment)

    def terms_reader(self, storage: Any, segment: Any) -> base.TermsReader:
        tiname = segment.make_filename(self.TERMS_EXT)
        tilen = storage.file_length(tiname)
        tifile = storage.open_file(tiname)
        postfile = segment.open_file(storage, self.POSTS_EXT)
        if is_term_dict(tifile, tilen):
            return ZhTermsReader(self, tifile, tilen, postfile)
        return W3TermsReader(self, tifile, tilen, postfile)

    # -- postings (search.embedded.postings) -------------------------------------------------

    PACKED_POSTINGS = True  # what merge.py and evaluate.py test for

    def postings_reader(self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves the length a 1-tuple
            (length,) = length
        if dbfile.get(offset, 4) == WHOOSH3_HEADER_MAGIC:  # written by Whoosh's own writer
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        from .postings import PackedMatcher

        return PackedMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class ZhFieldWriter(W3FieldWriter):
    """Whoosh's field writer with the compact dictionary in place of its hash file."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        self._codec = codec
        self._storage = storage
        self._segment = segment
        self._fieldname = None
        self._fieldid = None
        self._btext = None
        self._fieldobj = None
        self._format = None
        self._tindex = TermDictWriter(self._create_file(W3Codec.TERMS_EXT))
        self._fieldmap = self._tindex.extras["fieldmap"]
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False


class ZhTermsReader(base.TermsReader):
    """``W3TermsReader``'s interface over a :class:`~search.embedded.termdict.TermDict`.

    ``_fieldmap`` and ``_postfile`` are there as in ``W3TermsReader`` (the merge reads them);
    :meth:`raw_items` gives a field's (term, term info bytes) in order.
    """

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any) -> None:
        self._codec = codec
        self._dbfile = dbfile
        self._tindex = TermDict(dbfile, length)
        self._fieldmap = self._tindex.fieldmap
        self._postfile = postfile
        self._fieldunmap: list[str | None] = [None] * (max(self._fieldmap.values(), default=-1) + 1)
        for fieldname, num in self._fieldmap.items():
            self._fieldunmap[num] = fieldname

    def _keycoder(self, fieldname: str, tbytes: bytes) -> bytes:
        assert isinstance(tbytes, bytes_type), "tbytes=%r" % tbytes
        return pack_ushort(self._fieldmap.get(fieldname, 65535)) + tbytes

    def _keydecoder(self, keybytes: bytes) -> tuple[str | None, bytes]:
        fieldid = unpack_ushort(keybytes[:_SHORT_SIZE])[0]
        return self._fieldunmap[fieldid], keybytes[_SHORT_SIZE:]

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return self._keycoder(*term) in self._tindex

    def indexed_field_names(self) -> Any:
        return self._fieldmap.keys()

    def cursor(self, fieldname: str, fieldobj: Any) -> ZhFieldCursor:
        return ZhFieldCursor(self, fieldname, fieldobj)

    def terms(self) -> Iterator[tuple[str | None, bytes]]:
        return map(self._keydecoder, self._tindex.keys_from(b""))

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[str | None, bytes]]:
        return map(self._keydecoder, self._tindex.keys_from(self._keycoder(fieldname, prefix)))

    def items(self) -> Iterator[tuple[tuple[str | None, bytes], W3TermInfo]]:
        return ((self._keydecoder(k), W3TermInfo.from_bytes(v)) for k, v in self._tindex.items_from(b""))

    def items_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[tuple[str | None, bytes], W3TermInfo]]:
        return ((self._keydecoder(k), W3TermInfo.from_bytes(v))
                for k, v in self._tindex.items_from(self._keycoder(fieldname, prefix)))

    def raw_items(self, fieldname: str) -> Iterator[tuple[bytes, bytes]]:
        """The field's (term, W3 term info bytes as a W3 dictionary stores them), in order."""
        fieldid = self._fieldmap.get(fieldname)
        if fieldid is None:
            return
        prefix = pack_ushort(fieldid)
        for key, info in self._tindex.items_from(prefix):
            if key[:2] != prefix:
                return
            yield key[2:], info

    def term_info(self, fieldname: str, tbytes: bytes) -> W3TermInfo:
        info = self._tindex.get(self._keycoder(fieldname, tbytes))
        if info is None:
            raise TermNotFound("No term %s:%r" % (fieldname, tbytes))
        return W3TermInfo.from_bytes(info)

    # As W3TermsReader's, these raise KeyError for a missing term (SegmentReader returns 0 then).

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        return float(_WEIGHT.unpack_from(self._tindex[self._keycoder(fieldname, tbytes)], 1)[0])

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        return int.from_bytes(self._tindex[self._keycoder(fieldname, tbytes)][5:9], "big")

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        terminfo = self.term_info(fieldname, tbytes)
        return self._codec.postings_reader(self._postfile, terminfo, format_, term=(fieldname, tbytes), scorer=scorer)

    def close(self) -> None:
        self._tindex.close()
        self._postfile.close()


class ZhFieldCursor(base.FieldCursor):
    """``W3FieldCursor`` over the compact dictionary: one field's terms in order from a term."""

    def __init__(self, reader: ZhTermsReader, fieldname: str, fieldobj: Any) -> None:
        self._reader = reader
        self._fieldname = fieldname
        self._fieldobj = fieldobj
        self._prefix = reader._keycoder(fieldname, b"")
        self.first()

    def _start(self, tbytes: bytes) -> Any:
        self._entries = self._reader._tindex.items_from(self._prefix + tbytes)
        return self.next()

    def first(self) -> Any:
        return self._start(b"")

    def find(self, term: Any) -> Any:
        if not isinstance(term, bytes_type):
            term = self._fieldobj.to_bytes(term)
        return self._start(term)

    def next(self) -> Any:
        entry = next(self._entries, None) if self._entries is not None else None
        if entry is not None and entry[0][:2] == self._prefix:
            self._text = self._fieldobj.from_bytes(entry[0][2:])
            self._info = entry[1]
            return self._text
        self._entries = None
        self._text = self._info = None
        return None

    def text(self) -> Any:
        return self._text

    def term_info(self) -> W3TermInfo | None:
        return None if self._info is None else W3TermInfo.from_bytes(self._info)

    def is_valid(self) -> bool:
        return self._text is not None
