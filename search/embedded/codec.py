"""zhsearch's Whoosh codec: the W3 codec with posting lists of its own.

Whoosh opens a segment through the codec object pickled with it (``W3Segment._codec``), so a
segment written with :class:`ZhCodec` is read by every Whoosh reader, its posting lists through
:meth:`ZhCodec.postings_reader`; segments written with ``W3Codec`` (older indexes) keep reading
W3 blocks.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import W3Codec


class ZhCodec(W3Codec):
    """``W3Codec`` whose posting lists (the ``.pst`` file) are packed blocks
    (:mod:`search.embedded.postings`); postings inlined in the term info are the W3 codec's."""

    # -- postings (search.embedded.postings) -------------------------------------------------

    PACKED_POSTINGS = True  # what merge.py and evaluate.py test for

    def postings_reader(self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        from .postings import PackedMatcher

        offset, length = terminfo.extent()
        if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves the length a 1-tuple
            (length,) = length
        return PackedMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        raise NotImplementedError("ZhCodec segments are written by search.embedded.segments.SegmentBuilder")
