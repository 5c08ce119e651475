"""The documents a build has read, kept on disk between reading and writing.

A build learns the boilerplate and the new words from every document before it writes the
first, so it keeps them all until then. :class:`DocumentSpill` writes each one to an unnamed
temporary file (in the new generation's directory) as it is read, and reads them back in order,
a segment's worth at a time: the build's memory then holds what one step works on, not the
archive. The file has no name, so it goes when it is closed or the process ends, however it ends.
"""

from __future__ import annotations

import pickle
import tempfile
import threading
from array import array
from collections.abc import Iterator
from pathlib import Path

from zhsearch.search import Document
from zhsearch.search.embedded.writer import document_chars

__all__ = ["DocumentSpill", "Strings"]


class DocumentSpill:
    """Documents appended one by one, read back by position (a slice) or all in order."""

    def __init__(self, directory: Path | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=directory, prefix="zhsearch-documents-")
        self._offsets: list[int] = []  # where each document's pickle starts
        self.sizes: list[int] = []  # each document's :func:`document_chars` (where segments end)
        self._lock = threading.Lock()  # the pool reads parts in its own thread

    def append(self, document: Document) -> None:
        with self._lock:
            self._file.seek(0, 2)
            self._offsets.append(self._file.tell())
            pickle.dump(document, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.sizes.append(document_chars(document))

    def __len__(self) -> int:
        return len(self._offsets)

    def __getitem__(self, part: slice) -> list[Document]:
        """The documents of ``part`` (a slice with step 1), read from the file."""
        start, stop, step = part.indices(len(self))
        if step != 1:
            raise ValueError("only consecutive documents can be read")
        if start >= stop:
            return []
        with self._lock:
            self._file.seek(self._offsets[start])
            return [pickle.load(self._file) for _ in range(stop - start)]

    def __iter__(self) -> Iterator[Document]:
        """Every document in order (read a few hundred at a time)."""
        for start in range(0, len(self), READ_AHEAD):
            yield from self[start : start + READ_AHEAD]

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> DocumentSpill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


READ_AHEAD = 256  # documents read from the file at once when iterating


class Strings:
    """A growing list of strings kept as one UTF-8 byte array and the offsets of their ends
    (a few bytes over the text each, where a list of ``str`` costs ~60)."""

    def __init__(self) -> None:
        self._bytes = bytearray()
        self._ends = array("Q")

    def append(self, text: str) -> None:
        self._bytes += text.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._bytes))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> str:
        if i < 0:
            i += len(self)
        start = self._ends[i - 1] if i else 0
        return self._bytes[start : self._ends[i]].decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self)):
            yield self[i]
