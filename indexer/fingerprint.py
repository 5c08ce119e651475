"""Content fingerprints: a 64-bit SimHash over character shingles, and Hamming distance."""

from __future__ import annotations

import numpy as np

from zhsearch.search.results.duplicates import shingle_hashes

SHINGLE = 3
MAX_SHINGLES = 4096  # the distinct shingles kept (the smallest hashes: a stable sample)


def simhash(text: str) -> int:
    """A 64-bit SimHash of ``text``: near-identical texts differ in few bits; 0 for empty text."""
    hashes = shingle_hashes(text, size=SHINGLE, limit=MAX_SHINGLES)
    if hashes.size == 0:
        return 0
    bits = np.unpackbits(hashes.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes = bits.sum(axis=0, dtype=np.int64) * 2 > hashes.size
    return int(np.packbits(votes, bitorder="little").view("<u8")[0])


def hamming(a: int, b: int) -> int:
    """The number of bits in which two 64-bit fingerprints differ."""
    return (a ^ b).bit_count()
