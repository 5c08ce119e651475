"""Groups of duplicate articles: texts whose 5-character shingles overlap by a Jaccard threshold.

Candidates come from MinHash signatures banded for locality-sensitive hashing (``datasketch``),
each candidate pair is checked with the exact Jaccard similarity of the two shingle sets, and
the groups are cut by complete linkage: every member of a group is within the threshold of every
other, so a chain A~B~C never joins A to a C that differs from it.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import numpy as np

from .errors import InvalidArgumentError
from .normalize import fold

SHINGLE = 5  # characters per shingle: a few edits break few of them, and unrelated texts share few
NUM_PERM = 64  # MinHash permutations
DEFAULT_THRESHOLD = 0.8  # Jaccard similarity of the shingle sets from which two texts are copies
MIN_THRESHOLD = 0.5  # below it most texts are LSH candidates of each other, and not copies
LSH_MISS = 0.001  # the chance, at most, that a pair exactly at the threshold is never a candidate
TABLE_VERSION = 2  # 1: content hash or SimHash within 3 bits (a table without the version suffix)
MANIFEST_KEY = "duplicate_threshold"
_WHITESPACE = re.compile(r"\s+")
_MULTIPLIERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def check_threshold(value: float) -> float:
    """``value`` as a duplicate threshold, or InvalidArgumentError saying what is allowed."""
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        threshold = float("nan")
    if not MIN_THRESHOLD <= threshold <= 1.0:  # also false for NaN
        raise InvalidArgumentError(
            f"the duplicate threshold must be between {MIN_THRESHOLD} and 1 (the Jaccard similarity of "
            f"two texts' {SHINGLE}-character shingles), not {value!r}",
            hint=f"the default is {DEFAULT_THRESHOLD}; 1 collapses only identical texts",
        )
    return threshold


def manifest_threshold(manifest: Mapping[str, Any]) -> float:
    """The duplicate threshold an index manifest records (the default for an older index)."""
    try:
        return check_threshold(manifest.get(MANIFEST_KEY, DEFAULT_THRESHOLD))
    except InvalidArgumentError:
        return DEFAULT_THRESHOLD


def _mix(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer: every input bit affects every output bit."""
    h = h ^ (h >> np.uint64(30))
    h = h * _MIX1
    h = h ^ (h >> np.uint64(27))
    h = h * _MIX2
    return h ^ (h >> np.uint64(31))


def shingle_hashes(text: str, *, size: int = SHINGLE, limit: int | None = None) -> np.ndarray:
    """The distinct 64-bit hashes of the ``size``-character shingles of ``text`` (spaces ignored),
    sorted; with ``limit``, only that many of the smallest (a stable sample)."""
    squashed = _WHITESPACE.sub("", text)
    codes = np.frombuffer(squashed.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    if codes.size == 0:
        return codes
    size = min(size, int(codes.size))
    n = codes.size - size + 1
    h = np.zeros(n, dtype=np.uint64)
    for i in range(size):
        h = h + codes[i : i + n] * _MULTIPLIERS[i % len(_MULTIPLIERS)]
    hashes = np.unique(_mix(h))
    return hashes if limit is None else hashes[:limit]


def text_shingles(text: str) -> np.ndarray:
    """The shingles that decide whether two article texts are copies (of their normalized form)."""
    return shingle_hashes(fold(text))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The exact Jaccard similarity of two sorted arrays of distinct shingle hashes (0 when both are empty)."""
    if a.size == 0 or b.size == 0:
        return 0.0
    shared = np.intersect1d(a, b, assume_unique=True).size
    return shared / (a.size + b.size - shared)


def lsh_bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows): the most rows per band for which a pair at ``threshold`` is missed at most
    :data:`LSH_MISS` of the time (fewer rows would only add candidates to check)."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if bands >= 2 and (1 - threshold**rows) ** bands <= LSH_MISS:
            return bands, rows
    return num_perm, 1


class DuplicateFinder:
    """Finds the copies among documents added one at a time (see :class:`DuplicateGroups`).

    The shingles of each text are kept until :meth:`groups`, unless ``text_of`` is given: then
    only the MinHash signatures are, and the texts of candidate pairs are read again through it.
    """

    def __init__(self, *, threshold: float = DEFAULT_THRESHOLD, text_of: Callable[[int], str] | None = None) -> None:
        # Imported here: datasketch pulls in scipy (0.3 s), which a search never needs.
        from datasketch import MinHash, MinHashLSH  # noqa: PLC0415

        self.threshold = check_threshold(threshold)
        self._text_of = text_of
        self._units: dict[bytes, list[int]] = {}  # the documents of each normalized text (exact copies)
        self._shingles: dict[int, np.ndarray] = {}  # by unit: the first docnum of its text
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=lsh_bands(self.threshold))
        self._empty = MinHash(num_perm=NUM_PERM, hashfunc=int)  # the values are hashes already
        self._candidates: set[tuple[int, int]] = set()

    def add(self, docnum: int, text: str) -> None:
        folded = fold(text)
        hashes = shingle_hashes(folded)
        if hashes.size == 0:
            return  # an empty text is never a copy
        key = hashlib.sha1(_WHITESPACE.sub("", folded).encode("utf-8", "surrogatepass")).digest()
        if key in self._units:
            self._units[key].append(docnum)
            return
        self._units[key] = [docnum]
        signature = self._empty.copy()
        signature.update_batch((hashes >> np.uint64(32)).tolist())  # 32-bit values for the default scheme
        self._candidates.update((min(other, docnum), max(other, docnum)) for other in self._lsh.query(signature))
        self._lsh.insert(docnum, signature)
        if self._text_of is None:
            self._shingles[docnum] = hashes

    def _shingles_of(self, unit: int) -> np.ndarray:
        if unit not in self._shingles:
            assert self._text_of is not None
            self._shingles[unit] = text_shingles(self._text_of(unit))
        return self._shingles[unit]

    def roots(self) -> dict[int, int]:
        """The group (smallest docnum) of every document added that has a copy."""
        scores: dict[tuple[int, int], float] = {}

        def similarity(a: int, b: int) -> float:
            pair = (min(a, b), max(a, b))
            if pair not in scores:
                scores[pair] = jaccard(self._shingles_of(pair[0]), self._shingles_of(pair[1]))
            return scores[pair]

        similar = {pair: j for pair in sorted(self._candidates) if (j := similarity(*pair)) >= self.threshold}
        members = {docs[0]: docs for docs in self._units.values()}
        roots: dict[int, int] = {}
        for cluster in _complete_linkage(similar, similarity, self.threshold):
            docs = [d for unit in cluster for d in members[unit]]
            for d in docs:
                roots[d] = min(docs)
        for docs in members.values():
            if len(docs) > 1 and docs[0] not in roots:
                for d in docs:
                    roots[d] = min(docs)
        return roots

    def groups(self) -> DuplicateGroups:
        groups = DuplicateGroups.__new__(DuplicateGroups)
        groups._set_roots(self.roots())
        return groups


class DuplicateGroups:
    """For one index generation: which documents are copies of which (by docnum).

    Built from ``(docnum, text)`` of every document: documents with the same normalized text
    are copies, and so are texts whose shingle sets have a Jaccard similarity of at least
    ``threshold``, grouped by complete linkage. An empty text is never a copy. Only documents
    with at least one copy are listed.
    """

    def __init__(
        self,
        texts: Iterable[tuple[int, str]],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        text_of: Callable[[int], str] | None = None,
    ) -> None:
        finder = DuplicateFinder(threshold=threshold, text_of=text_of)
        for docnum, text in texts:
            finder.add(docnum, text)
        self._set_roots(finder.roots())

    def _set_roots(self, roots: dict[int, int]) -> None:
        members: dict[int, list[int]] = {}
        for docnum, root in roots.items():
            members.setdefault(root, []).append(docnum)
        self.root: dict[int, int] = {}
        self.members: dict[int, tuple[int, ...]] = {}
        self._root_array: np.ndarray | None = None
        for root, docs in members.items():
            docs = sorted(set(docs) | {root})
            if len(docs) > 1:
                self.members[root] = tuple(docs)
                for d in docs:
                    self.root[d] = root

    def to_array(self) -> np.ndarray:
        """(docnum, group) rows of every document that has copies (for caching on disk)."""
        return np.array(sorted(self.root.items()), dtype=np.int64).reshape(-1, 2)

    @classmethod
    def from_array(cls, rows: np.ndarray) -> DuplicateGroups:
        groups = cls.__new__(cls)
        groups._set_roots({int(d): int(r) for d, r in rows.reshape(-1, 2).tolist()})
        return groups

    def to_bytes(self) -> bytes:
        """The groups as a ``.npy`` array of (docnum, group) rows, to save beside their generation."""
        out = io.BytesIO()
        np.save(out, self.to_array(), allow_pickle=False)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> DuplicateGroups:
        """Groups saved by :meth:`to_bytes` (ValueError when the data is damaged)."""
        rows = np.load(io.BytesIO(data), allow_pickle=False)
        if rows.dtype.kind not in "iu" or rows.ndim != 2 or rows.shape[1] != 2:
            raise ValueError("not an array of (docnum, group) rows")
        return cls.from_array(rows)

    @classmethod
    def from_reader(cls, reader: Any, *, threshold: float = DEFAULT_THRESHOLD) -> DuplicateGroups:
        """The groups of the documents of a Whoosh reader (their stored texts read twice at most).

        A document stored without a content hash (written through the API without the indexer's
        fingerprints, see ``indexer.finish_document``) is never a copy, as before.
        """
        return cls(
            ((docnum, stored_text(stored)) for docnum, stored in reader.iter_docs() if stored.get("content_hash")),
            threshold=threshold,
            text_of=lambda docnum: stored_text(reader.stored_fields(docnum)),
        )

    def group(self, docnum: int) -> int:
        """The group key of a document: the smallest docnum of its copies (itself when alone)."""
        return self.root.get(docnum, docnum)

    def roots(self, docnums: np.ndarray) -> np.ndarray:
        """:meth:`group` of each of an array of docnums."""
        if self._root_array is None:
            size = max(self.root, default=-1) + 1
            table = np.arange(size, dtype=np.int64)
            for docnum, root in self.root.items():
                table[docnum] = root
            self._root_array = table
        table = self._root_array
        result = docnums.astype(np.int64, copy=True)
        inside = result < len(table)
        result[inside] = table[result[inside]]
        return result

    def others(self, docnum: int, among: Collection[int] | np.ndarray) -> list[int]:
        """The copies of ``docnum`` that are in ``among``, in index order."""
        root = self.root.get(docnum)
        if root is None:
            return []
        return [d for d in self.members[root] if d != docnum and d in among]

    def count(self, docnums: Iterable[int]) -> int:
        """How many groups the documents fall into."""
        return len({self.root.get(d, d) for d in docnums})


def stored_text(stored: Mapping[str, Any]) -> str:
    """The text of a stored document that duplicate detection compares (its body, not its title)."""
    return str(stored.get("text") or "")


def _complete_linkage(
    similar: dict[tuple[int, int], float], similarity: Callable[[int, int], float], threshold: float
) -> list[list[int]]:
    """Clusters of units in which every pair is within ``threshold``: the most similar pairs
    first, two clusters joined only when each member of one is within it of each of the other
    (pairs that were not LSH candidates are measured too)."""
    cluster: dict[int, list[int]] = {}
    for a, b in sorted(similar, key=lambda pair: (-similar[pair], pair)):
        first, second = cluster.setdefault(a, [a]), cluster.setdefault(b, [b])
        if first is second:
            continue
        if all(similarity(x, y) >= threshold for x in first for y in second):
            first.extend(second)
            for unit in second:
                cluster[unit] = first
    seen: set[int] = set()
    clusters = []
    for members in cluster.values():
        if id(members) not in seen:
            seen.add(id(members))
            clusters.append(sorted(members))
    return clusters
