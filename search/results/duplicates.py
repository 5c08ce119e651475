"""Groups of duplicate articles: texts whose 5-character shingles overlap by a Jaccard threshold.

Candidates come from MinHash signatures (``datasketch``) banded for locality-sensitive hashing,
each candidate pair is checked with the exact Jaccard similarity of the two shingle sets, and
the groups are cut by complete linkage: every member of a group is within the threshold of every
other, so a chain A~B~C never joins A to a C that differs from it.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..text.normalize import fold

SHINGLE = 5  # characters per shingle: a few edits break few of them, and unrelated texts share few
NUM_PERM = 64  # MinHash permutations
DEFAULT_THRESHOLD = 0.8  # Jaccard similarity of the shingle sets from which two texts are copies
MIN_THRESHOLD = 0.5  # below it most texts are LSH candidates of each other, and not copies
LSH_MISS = 0.001  # the chance, at most, that a pair exactly at the threshold is never a candidate
TABLE_VERSION = 2  # 1: content hash or SimHash within 3 bits (a table without the version suffix)
MANIFEST_KEY = "duplicate_threshold"
CARRY_VERSION = 1  # how Carried.to_bytes lays out its arrays
CARRY_FILE = "duplicate_signatures.npz"  # beside each generation: what its update reuses
MAX_SHINGLE_BYTES = 64 * 2**20  # shingles of candidate texts kept while the pairs are measured
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


class Carried:
    """What the duplicate detection of an earlier generation computed, by content, for the next one.

    ``units`` maps a document's content hash (the indexer's SHA-1 of its folded text, 20 bytes)
    to its text's unit key (the SHA-1 of the folded text without spaces) and MinHash signature;
    ``pairs`` holds every LSH candidate pair of that generation's units (unit keys, sorted) with
    its exact Jaccard similarity. Both are functions of the texts alone (for one shingle size,
    permutation count and banding), so a later generation reuses them for the texts it still has:
    only new texts are shingled, hashed and compared.
    """

    def __init__(
        self,
        units: Mapping[bytes, tuple[bytes, np.ndarray]] | None = None,
        pairs: Mapping[tuple[bytes, bytes], float] | None = None,
        *,
        bands: tuple[int, int] | None = None,
    ) -> None:
        self.units = dict(units or {})
        self.pairs = dict(pairs or {})
        self.bands = bands  # the (bands, rows) the pairs are the candidates of; None: no pairs
        self.keys = {key for key, _ in self.units.values()} if bands is not None else set()

    def to_bytes(self) -> bytes:
        """The carry as an ``.npz`` of plain arrays (no pickle), to save beside its generation."""
        rows = sorted(self.units.items())
        first: dict[bytes, int] = {}
        for i, (_, (key, _)) in enumerate(rows):
            first.setdefault(key, i)
        pairs = sorted((p, j) for p, j in self.pairs.items() if p[0] in first and p[1] in first)
        bands, per_band = self.bands or (0, 0)
        out = io.BytesIO()
        np.savez(
            out,
            scheme=np.array([CARRY_VERSION, SHINGLE, NUM_PERM, bands, per_band], dtype=np.int64),
            hashes=np.frombuffer(b"".join(h for h, _ in rows), dtype=np.uint8).reshape(-1, 20),
            units=np.frombuffer(b"".join(k for _, (k, _) in rows), dtype=np.uint8).reshape(-1, 20),
            signatures=np.array([s for _, (_, s) in rows], dtype=np.uint32).reshape(-1, NUM_PERM),
            pairs=np.array([[first[a], first[b]] for (a, b), _ in pairs], dtype=np.int64).reshape(-1, 2),
            jaccard=np.array([j for _, j in pairs], dtype=np.float64),
        )
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Carried:
        """A carry saved by :meth:`to_bytes`; ValueError when it is damaged or computed otherwise."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                scheme = arrays["scheme"].tolist()
                hashes, units = arrays["hashes"], arrays["units"]
                signatures, pairs, jaccards = arrays["signatures"], arrays["pairs"], arrays["jaccard"]
        except (OSError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"not a saved carry: {exc}") from exc
        if scheme[:3] != [CARRY_VERSION, SHINGLE, NUM_PERM]:
            raise ValueError("computed with other shingles or signatures")
        if not (hashes.shape == units.shape == (len(signatures), 20) and signatures.shape[1:] == (NUM_PERM,)
                and pairs.shape == (len(jaccards), 2) and (pairs.size == 0 or 0 <= pairs.min() <= pairs.max() < len(units))):
            raise ValueError("arrays of the wrong shapes")
        keys = [bytes(k) for k in units]
        carried = {bytes(h): (k, s.astype(np.uint64)) for h, k, s in zip(hashes, keys, signatures)}
        pairs_by_key = {(keys[a], keys[b]): float(j) for (a, b), j in zip(pairs.tolist(), jaccards.tolist())}
        bands = (int(scheme[3]), int(scheme[4])) if scheme[3] else None
        return cls(carried, pairs_by_key, bands=bands)


class DuplicateFinder:
    """Finds the copies among documents added one at a time (see :class:`DuplicateGroups`).

    The shingles of each text are kept until :meth:`groups`, unless ``text_of`` is given: then
    only the MinHash signatures are, and the texts of candidate pairs are read again through it.
    With ``carried`` (what :meth:`carry` gave for an earlier generation, which needs ``text_of``),
    the signatures of texts it knows by their content hash are reused, and only the pairs with a
    text it did not have are looked for and measured: the groups are the same as without it.
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        text_of: Callable[[int], str] | None = None,
        carried: Carried | None = None,
    ) -> None:
        # Imported here: datasketch pulls in scipy (0.3 s), which a search never needs.
        from datasketch import MinHash  # noqa: PLC0415

        self.threshold = check_threshold(threshold)
        self._text_of = text_of
        self._bands = lsh_bands(self.threshold)
        if carried is not None and text_of is None:
            raise ValueError("a carry needs text_of: the texts of the pairs it does not know are read again")
        self._carried = carried if carried is not None else Carried()
        if self._carried.bands != self._bands:  # other candidates: its pairs tell nothing
            self._carried = Carried(self._carried.units)
        self._units: dict[bytes, list[int]] = {}  # the documents of each normalized text (exact copies)
        self._signatures: dict[bytes, np.ndarray] = {}  # by unit key
        self._hashes: dict[bytes, bytes] = {}  # content hash -> unit key, for the next carry
        self._shingles: dict[bytes, np.ndarray] = {}  # by unit key
        self._shingle_bytes = 0  # of the shingles read again through text_of
        self._empty = MinHash(num_perm=NUM_PERM, hashfunc=int)  # the values are hashes already
        self._pairs: dict[tuple[bytes, bytes], float] | None = None  # the candidates, once found
        self.computed = 0  # texts shingled and hashed (not known from the carry)

    def add(self, docnum: int, text: str, *, content_hash: str = "") -> None:
        """Add a document; ``content_hash`` (hex SHA-1 of its folded text) finds it in the carry."""
        digest = _digest(content_hash)
        known = self._carried.units.get(digest) if digest is not None else None
        if known is not None:
            key, signature = known
        else:
            folded = fold(text)
            hashes = shingle_hashes(folded)
            if hashes.size == 0:
                return  # an empty text is never a copy
            key = hashlib.sha1(_WHITESPACE.sub("", folded).encode("utf-8", "surrogatepass")).digest()
            signature = self._signature(hashes) if key not in self._signatures else self._signatures[key]
            self.computed += 1
            if self._text_of is None:
                self._shingles[key] = hashes
        if digest is not None:
            self._hashes[digest] = key
        if key in self._units:
            self._units[key].append(docnum)
            return
        self._units[key] = [docnum]
        self._signatures[key] = signature

    def _signature(self, hashes: np.ndarray) -> np.ndarray:
        minhash = self._empty.copy()
        minhash.update_batch((hashes >> np.uint64(32)).tolist())  # 32-bit values for the default scheme
        return np.asarray(minhash.hashvalues, dtype=np.uint64)

    def _shingles_of(self, key: bytes) -> np.ndarray:
        """A unit's shingles; those read again through ``text_of`` are kept while they take at
        most :data:`MAX_SHINGLE_BYTES` (the least recently used go first: read again if needed)."""
        found = self._shingles.get(key)
        if self._text_of is None:
            assert found is not None
            return found
        if found is not None:
            self._shingles[key] = self._shingles.pop(key)  # the most recently used last
            return found
        found = text_shingles(self._text_of(self._units[key][0]))
        self._shingles[key] = found
        self._shingle_bytes += found.nbytes
        while self._shingle_bytes > MAX_SHINGLE_BYTES and len(self._shingles) > 1:
            oldest = next(iter(self._shingles))
            self._shingle_bytes -= self._shingles.pop(oldest).nbytes
        return found

    def _candidates(self) -> set[tuple[bytes, bytes]]:
        """Every pair of units that share a band of their signatures (LSH candidates), unit keys sorted.

        The pairs of two texts of the carry's generation are its pairs; a few new texts are
        compared with every signature band by band, many are grouped by each band (:func:`band_pairs`)."""
        old = self._carried.keys
        new = [key for key in self._units if key not in old]
        found = {pair for pair in self._carried.pairs if pair[0] in self._units and pair[1] in self._units}
        if not new:
            return found
        bands, rows = self._bands
        if old and len(new) * 8 <= len(self._units):
            keys = list(self._units)
            matrix = np.stack([self._signatures[k] for k in keys])[:, : bands * rows].reshape(len(keys), bands, rows)
            for key in new:
                probe = self._signatures[key][: bands * rows].reshape(bands, rows)
                for i in np.flatnonzero((matrix == probe).all(axis=2).any(axis=1)).tolist():
                    if keys[i] != key:
                        found.add(_pair(key, keys[i]))
            return found
        found.update(band_pairs(list(self._signatures), self._signatures, bands, rows))
        return found

    def roots(self) -> dict[int, int]:
        """The group (smallest docnum) of every document added that has a copy."""
        scores: dict[tuple[bytes, bytes], float] = {}

        def similarity(a: bytes, b: bytes) -> float:
            pair = _pair(a, b)
            if pair not in scores:
                scores[pair] = jaccard(self._shingles_of(pair[0]), self._shingles_of(pair[1]))
            return scores[pair]

        candidates = sorted(self._candidates())
        scores.update((pair, self._carried.pairs[pair]) for pair in candidates if pair in self._carried.pairs)
        self._pairs = {pair: similarity(*pair) for pair in candidates}
        similar = {pair: j for pair, j in self._pairs.items() if j >= self.threshold}
        roots: dict[int, int] = {}
        for cluster in _complete_linkage(similar, similarity, self.threshold):
            docs = [d for unit in cluster for d in self._units[unit]]
            for d in docs:
                roots[d] = min(docs)
        for docs in self._units.values():
            if len(docs) > 1 and docs[0] not in roots:
                for d in docs:
                    roots[d] = min(docs)
        return roots

    def groups(self) -> DuplicateGroups:
        groups = DuplicateGroups.__new__(DuplicateGroups)
        groups._set_roots(self.roots())
        return groups

    def carry(self) -> Carried:
        """What the next generation can reuse (after :meth:`roots` or :meth:`groups`): the signatures
        of the texts added with a content hash and the candidate pairs of their units."""
        if self._pairs is None:
            self.roots()
        assert self._pairs is not None
        units = {digest: (key, self._signatures[key]) for digest, key in self._hashes.items()}
        keys = {key for key, _ in units.values()}
        pairs = {p: j for p, j in self._pairs.items() if p[0] in keys and p[1] in keys}
        return Carried(units, pairs, bands=self._bands)


def band_pairs(keys: list[bytes], signatures: Mapping[bytes, np.ndarray], bands: int, rows: int) -> set[tuple[bytes, bytes]]:
    """Every pair of ``keys`` whose signatures are equal in at least one of ``bands`` bands of
    ``rows`` values (the candidates of locality-sensitive hashing, unit keys sorted).

    The pairs ``datasketch``'s ``MinHashLSH`` finds with these bands, without its hash tables
    (about 5 kB per signature): each band is one ``rows``-wide column block of the signatures,
    sorted so that equal rows are neighbours; only runs of equal rows make pairs.
    """
    found: set[tuple[bytes, bytes]] = set()
    if len(keys) < 2:
        return found
    for band in range(bands):
        values = np.stack([signatures[key][band * rows : (band + 1) * rows] for key in keys])
        order = np.lexsort(values.T[::-1])
        ordered = values[order]
        same = (ordered[1:] == ordered[:-1]).all(axis=1)
        if not same.any():
            continue
        # runs of equal rows: from a row unlike the one before to the next such row
        starts = np.flatnonzero(np.concatenate(([True], ~same)))
        ends = np.concatenate((starts[1:], [len(order)]))
        for start, end in zip(starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist()):
            run = [keys[i] for i in order[start:end].tolist()]
            found.update(_pair(a, b) for i, a in enumerate(run) for b in run[i + 1 :])
    return found


def _digest(content_hash: str) -> bytes | None:
    """The 20 bytes of a hex SHA-1, or None when it is not one."""
    if len(content_hash) != 40:
        return None
    try:
        return bytes.fromhex(content_hash)
    except ValueError:
        return None


def _pair(a: bytes, b: bytes) -> tuple[bytes, bytes]:
    return (a, b) if a < b else (b, a)


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
    similar: dict[tuple[bytes, bytes], float], similarity: Callable[[bytes, bytes], float], threshold: float
) -> list[list[bytes]]:
    """Clusters of units (by unit key) in which every pair is within ``threshold``: the most
    similar pairs first (ties by their keys, so the clusters depend on the texts alone, not on
    the order they were indexed in), two clusters joined only when each member of one is within
    it of each of the other (pairs that were not LSH candidates are measured too)."""
    cluster: dict[bytes, list[bytes]] = {}
    for a, b in sorted(similar, key=lambda pair: (-similar[pair], pair)):
        first, second = cluster.setdefault(a, [a]), cluster.setdefault(b, [b])
        if first is second:
            continue
        if all(similarity(x, y) >= threshold for x in first for y in second):
            first.extend(second)
            for unit in second:
                cluster[unit] = first
    seen: set[int] = set()
    clusters: list[list[bytes]] = []
    for members in cluster.values():
        if id(members) not in seen:
            seen.add(id(members))
            clusters.append(sorted(members))
    return clusters
