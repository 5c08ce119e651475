"""Groups of duplicate articles: the same content hash, or simhashes at most 3 bits apart."""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable
from typing import Any

import numpy as np

SIMHASH_DISTANCE = 3
_BLOCKS = 4  # 64 bits in 4 blocks of 16: hashes ≤ 3 bits apart share at least one block exactly
_MAX_BUCKET = 512  # a degenerate block value shared by more hashes is not compared pairwise


class DuplicateGroups:
    """For one index generation: which documents are copies of which (by docnum).

    Built once from the stored ``content_hash`` and ``simhash`` of every document; a simhash
    of 0 means unknown and never matches. Only documents with at least one copy are listed.
    """

    def __init__(self, fingerprints: Iterable[tuple[int, str, int]]) -> None:
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            root = x
            while parent.get(root, root) != root:
                root = parent[root]
            while parent.get(x, x) != root:
                parent[x], x = root, parent[x]
            return root

        def union(a: int, b: int) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        by_hash: dict[str, int] = {}
        by_simhash: dict[int, int] = {}
        for docnum, content_hash, simhash in fingerprints:
            if content_hash:
                if content_hash in by_hash:
                    union(by_hash[content_hash], docnum)
                else:
                    by_hash[content_hash] = docnum
            if simhash:
                if simhash in by_simhash:
                    union(by_simhash[simhash], docnum)
                else:
                    by_simhash[simhash] = docnum
        buckets: dict[tuple[int, int], list[int]] = {}
        for value in by_simhash:
            for block in range(_BLOCKS):
                buckets.setdefault((block, (value >> (16 * block)) & 0xFFFF), []).append(value)
        for values in buckets.values():
            if len(values) < 2 or len(values) > _MAX_BUCKET:
                continue
            for i, a in enumerate(values):
                for b in values[i + 1 :]:
                    if (a ^ b).bit_count() <= SIMHASH_DISTANCE:
                        union(by_simhash[a], by_simhash[b])
        self._set_roots({docnum: find(docnum) for docnum in list(parent)})

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
    def from_reader(cls, reader: Any) -> DuplicateGroups:
        return cls(fingerprint(docnum, stored) for docnum, stored in reader.iter_docs())

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


def fingerprint(docnum: int, stored: dict[str, Any]) -> tuple[int, str, int]:
    """(docnum, content hash, simhash) of a stored document, as :class:`DuplicateGroups` takes them."""
    try:
        simhash = int(stored.get("simhash") or 0)
    except (TypeError, ValueError):
        simhash = 0
    return docnum, str(stored.get("content_hash") or ""), simhash
