"""Content fingerprints: a 64-bit SimHash over character shingles, and Hamming distance."""

from __future__ import annotations

import re

import numpy as np

SHINGLE = 3
MAX_SHINGLES = 4096  # the distinct shingles kept (the smallest hashes: a stable sample)
_WHITESPACE = re.compile(r"\s+")
_MULTIPLIERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _mix(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer: every input bit affects every output bit."""
    h = h ^ (h >> np.uint64(30))
    h = h * _MIX1
    h = h ^ (h >> np.uint64(27))
    h = h * _MIX2
    return h ^ (h >> np.uint64(31))


def shingle_hashes(text: str, *, size: int = SHINGLE) -> np.ndarray:
    """The distinct 64-bit hashes of the ``size``-character shingles of ``text`` (spaces ignored)."""
    squashed = _WHITESPACE.sub("", text)
    codes = np.frombuffer(squashed.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    if codes.size == 0:
        return codes
    if codes.size < size:
        size = int(codes.size)
    n = codes.size - size + 1
    h = np.zeros(n, dtype=np.uint64)
    for i in range(size):
        h = h + codes[i : i + n] * _MULTIPLIERS[i % len(_MULTIPLIERS)]
    return np.unique(_mix(h))[:MAX_SHINGLES]


def simhash(text: str) -> int:
    """A 64-bit SimHash of ``text``: near-identical texts differ in few bits; 0 for empty text."""
    hashes = shingle_hashes(text)
    if hashes.size == 0:
        return 0
    bits = np.unpackbits(hashes.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes = bits.sum(axis=0, dtype=np.int64) * 2 > hashes.size
    return int(np.packbits(votes, bitorder="little").view("<u8")[0])


def hamming(a: int, b: int) -> int:
    """The number of bits in which two 64-bit fingerprints differ."""
    return (a ^ b).bit_count()
