"""Facet counts (source, category, month) over every document a query matched, not just one page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

FACETS = ("source", "category", "month")
MAX_VALUES = 50  # most frequent sources/categories listed; months are all listed


class FacetIndex:
    """For one index generation, the documents of each facet value, read once from the postings.

    Counting is then one array operation per facet, which stays fast when a common term matches
    thousands of documents and a facet has thousands of values (no stored field is loaded).
    """

    def __init__(self, reader: Any) -> None:
        self.size = int(reader.doc_count_all())
        self.values: dict[str, dict[str, np.ndarray]] = {
            "source": _postings(reader, ("source",)),
            "category": _postings(reader, ("categories", "tags")),
            "month": _postings(reader, ("month",)),
        }
        # Per facet, every (value, document) pair as two flat arrays: counting is one bincount.
        self._names: dict[str, list[str]] = {}
        self._pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, values in self.values.items():
            names = list(values)
            docs = [values[v] for v in names]
            self._names[name] = names
            self._pairs[name] = (
                np.repeat(np.arange(len(names), dtype=np.int64), [len(d) for d in docs]),
                np.concatenate(docs) if docs else np.empty(0, dtype=np.int64),
            )

    def counts(self, docnums: Iterable[int]) -> dict[str, dict[str, int]]:
        """{"source": {value: n}, "category": {...}, "month": {...}}; zero counts left out.

        Sources and categories are ordered by count (then name), months chronologically.
        """
        ids = docnums if isinstance(docnums, np.ndarray) else np.fromiter(docnums, dtype=np.int64)
        matched = np.zeros(self.size, dtype=bool)
        matched[ids] = True
        out: dict[str, dict[str, int]] = {}
        for name, (value_of, docs) in self._pairs.items():
            names = self._names[name]
            tally = np.bincount(value_of[matched[docs]], minlength=len(names))
            out[name] = ordered(name, [(names[i], int(tally[i])) for i in np.flatnonzero(tally)])
        return out


def ordered(name: str, nonzero: list[tuple[str, int]]) -> dict[str, int]:
    """One facet's counts as pages show them (every backend): months chronologically, the other
    facets by count (then value), the first MAX_VALUES of them."""
    if name == "month":
        return dict(sorted(nonzero))
    return dict(sorted(nonzero, key=lambda vn: (-vn[1], vn[0]))[:MAX_VALUES])


def _postings(reader: Any, fieldnames: tuple[str, ...]) -> dict[str, np.ndarray]:
    found: dict[str, set[int]] = {}
    for fieldname in fieldnames:
        if fieldname not in reader.schema:
            continue
        for term in reader.field_terms(fieldname):
            value = term.decode("utf-8") if isinstance(term, bytes) else str(term)
            if not value:
                continue
            ids = found.setdefault(value, set())
            ids.update(reader.postings(fieldname, term).all_ids())
    return {value: np.array(sorted(ids), dtype=np.int64) for value, ids in found.items()}

