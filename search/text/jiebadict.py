"""jieba's prefix dictionary read on demand from a memory-mapped sorted word list, not loaded whole.

jieba's ``Tokenizer.initialize`` unmarshals a dict of about half a million words and prefixes
(0.5–1.5 s) before the first word is cut. :class:`MappedFreq` answers the same lookups by
binary search in a file built once from the same dictionary and kept in the user's cache
directory, so a query-time process starts cutting in milliseconds with identical results.
Words added later (a user dictionary) go to an in-memory overlay, as they would into jieba's dict.
"""

from __future__ import annotations

import functools
import hashlib
import mmap
import os
import struct
import sys
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any, BinaryIO

from ..embedded.store import write_bytes_atomic

_MAGIC = b"zhsearch-jieba-prefix-dict-1\n"
_HEADER = struct.Struct("<32sqq")  # magic (padded), number of entries, jieba's frequency total
_REMEMBERED = 1 << 20  # looked-up keys kept in memory before the memo starts afresh
# Binary searches after which a tokenizer loads the whole dictionary into a dict: about as long
# as the load itself. A query never gets there; a bulk index build does within a few dozen articles.
LOAD_AFTER = 100_000


class DictionaryCacheError(Exception):
    """The cache file is missing, truncated or not ours."""


def cache_directory() -> Path:
    """Where the mapped dictionary lives: ``$XDG_CACHE_HOME/zhsearch`` (``~/.cache/zhsearch``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "zhsearch"


def cache_path(dictionary: Path, directory: Path) -> Path:
    """The cache file of one dictionary file: named after its path, size and modification time."""
    st = dictionary.stat()
    key = f"{dictionary.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode("utf-8", "surrogateescape")
    return directory / f"jieba-{hashlib.sha1(key).hexdigest()[:16]}.dict"


def write_cache(freq: dict[str, int], total: int, path: Path) -> None:
    """Write the sorted words of ``freq`` to ``path`` atomically (a temporary file, then a rename)."""
    words = sorted(word.encode("utf-8") for word in freq)  # UTF-8 byte order is code point order
    offsets = [0] * (len(words) + 1)
    position = 0
    for i, word in enumerate(words):
        offsets[i] = position
        position += len(word)
    offsets[-1] = position
    counts = [freq[word.decode("utf-8")] for word in words]
    header = _HEADER.pack(_MAGIC, len(words), total)
    data = b"".join([header, struct.pack(f"<{len(offsets)}q", *offsets),
                     struct.pack(f"<{len(counts)}q", *counts), *words])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, data)


class MappedFreq(MutableMapping[str, int]):
    """A read-mostly ``str → int`` mapping over a cache file; writes go to an overlay dict.

    It behaves as jieba's ``FREQ`` dict for everything jieba does with it: ``in``, ``[]``,
    ``get`` and setting a word. Looked-up keys are remembered, so a long text costs about one
    binary search per distinct fragment.
    """

    def __init__(self, path: Path) -> None:
        with path.open("rb") as f:
            try:
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError:  # an empty file cannot be mapped
                raise DictionaryCacheError(f"{path} is empty") from None
        try:
            self._open(path)
        except BaseException:
            self._map.close()
            raise
        self._overlay: dict[str, int] = {}
        self._memo: dict[str, int | None] = {}
        self.searches = 0  # binary searches so far

    def _open(self, path: Path) -> None:
        size = len(self._map)
        if size < _HEADER.size:
            raise DictionaryCacheError(f"{path} is truncated")
        magic, count, self.total = _HEADER.unpack_from(self._map, 0)
        if magic.rstrip(b"\0") != _MAGIC or count < 0:
            raise DictionaryCacheError(f"{path} is not a zhsearch dictionary cache")
        start = _HEADER.size
        end = start + 8 * (count + 1) + 8 * count
        if end > size or end + struct.unpack_from("<q", self._map, start + 8 * count)[0] != size:
            raise DictionaryCacheError(f"{path} is truncated")
        view = memoryview(self._map)  # made only once valid: an exported view keeps the map open
        self._offsets = view[start : start + 8 * (count + 1)].cast("q")
        self._counts = view[start + 8 * (count + 1) : end].cast("q")
        self._words = end
        self._count = count

    def _find(self, key: str) -> int | None:
        """The stored frequency of ``key`` (0 for a prefix), or None when it is not a word."""
        try:
            return self._memo[key]
        except KeyError:
            pass
        self.searches += 1
        target = key.encode("utf-8", "surrogatepass")
        offsets, words, data = self._offsets, self._words, self._map
        lo, hi = 0, self._count
        while lo < hi:
            mid = (lo + hi) // 2
            if data[words + offsets[mid] : words + offsets[mid + 1]] < target:
                lo = mid + 1
            else:
                hi = mid
        found = None
        if lo < self._count and data[words + offsets[lo] : words + offsets[lo + 1]] == target:
            found = self._counts[lo]
        if len(self._memo) >= _REMEMBERED:
            self._memo.clear()
        self._memo[key] = found
        return found

    def __getitem__(self, key: str) -> int:
        if key in self._overlay:
            return self._overlay[key]
        found = self._find(key) if isinstance(key, str) else None
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return key in self._overlay or (isinstance(key, str) and self._find(key) is not None)

    def get(self, key: str, default: Any = None) -> Any:
        if key in self._overlay:
            return self._overlay[key]
        found = self._find(key) if isinstance(key, str) else None
        return default if found is None else found

    def __setitem__(self, key: str, value: int) -> None:
        self._overlay[key] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("words cannot be removed from a mapped jieba dictionary")

    def __iter__(self) -> Iterator[str]:
        for i in range(self._count):
            word = bytes(self._map[self._words + self._offsets[i] : self._words + self._offsets[i + 1]])
            text = word.decode("utf-8")
            if text not in self._overlay:
                yield text
        yield from self._overlay

    def to_dict(self) -> dict[str, int]:
        """Every entry in a plain dict, the words set later included (what jieba would have loaded)."""
        data, words, offsets, counts = self._map, self._words, self._offsets, self._counts
        loaded = {
            data[words + offsets[i] : words + offsets[i + 1]].decode("utf-8"): counts[i] for i in range(self._count)
        }
        loaded.update(self._overlay)
        return loaded

    def __len__(self) -> int:
        return self._count + sum(1 for key in self._overlay if self._find(key) is None)


def import_jieba() -> Any:
    """jieba, imported without pkg_resources when nothing else has imported it yet.

    jieba only uses pkg_resources to open its own files and falls back to ``open`` without it;
    importing it costs about 0.1 s, a sixth of a one-shot search.
    """
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba

        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes its import fail
    try:
        import jieba
    finally:
        if sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]
    return jieba


def _read_dictionary(source: BinaryIO) -> tuple[dict[str, int], int]:
    return import_jieba().Tokenizer.gen_pfdict(source)  # type: ignore[no-any-return]


@functools.cache
def _tokenizer_class() -> Any:
    jieba = import_jieba()

    class MappedTokenizer(jieba.Tokenizer):  # type: ignore[misc,name-defined]
        """jieba's tokenizer that swaps its mapped dictionary for a loaded one once it has cut a lot."""

        load_after = LOAD_AFTER

        def get_DAG(self, sentence: str) -> Any:
            freq = self.FREQ
            if isinstance(freq, MappedFreq) and freq.searches > self.load_after:
                self.FREQ = freq.to_dict()
            return super().get_DAG(sentence)

        def load_dictionary(self) -> None:
            """Load the whole dictionary now rather than after ``load_after`` lookups: a process
            that will cut thousands of articles (a bulk build's writer) saves the memo and the
            binary searches of its first few hundred, which cost about as much again as the load."""
            if isinstance(self.FREQ, MappedFreq):
                self.FREQ = self.FREQ.to_dict()

    return MappedTokenizer


def mapped_tokenizer(directory: Path | None = None) -> Any:
    """A private ``jieba.Tokenizer`` of jieba's default dictionary, mapped rather than loaded.

    The cache file is built on first use (about as long as jieba's own first start); when it
    cannot be read or written, the tokenizer loads the dictionary the usual way instead. After
    :data:`LOAD_AFTER` lookups (a bulk build, not a query) it loads the dictionary after all,
    where a dict's lookups are faster than binary searches.
    """
    jieba = import_jieba()
    seg = _tokenizer_class()()
    try:
        source = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)
        path = cache_path(source, directory or cache_directory())
        try:
            freq = MappedFreq(path)
        except (OSError, DictionaryCacheError):
            with source.open("rb") as f:
                words, total = _read_dictionary(f)
            write_cache(words, total, path)
            freq = MappedFreq(path)
    except (OSError, DictionaryCacheError, ValueError):
        seg.initialize()
        return seg
    seg.FREQ, seg.total, seg.initialized = freq, freq.total, True
    return seg
