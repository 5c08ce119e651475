"""Which query strings OpenCC's phrase tables can change: the saved keys of ``data/script_keys.txt``."""

from __future__ import annotations

import functools
from pathlib import Path

KEYS_FILE = Path(__file__).parents[1] / "data" / "script_keys.txt"  # written by bench/script_keys.py


@functools.cache
def _keys() -> tuple[frozenset[str], int]:
    """The folded keys, and the length of the longest."""
    text = KEYS_FILE.read_text(encoding="utf-8")  # (importlib.resources costs 30 ms of imports)
    keys = frozenset(line for line in text.splitlines() if line and not line.startswith("#"))
    return keys, max(map(len, keys), default=0)


def may_vary(folded: str) -> bool:
    """Whether a conversion of the text whose fold is ``folded`` can fold to something else.

    False only when no key is a substring of ``folded``, which guarantees that every variant
    :func:`search.text.normalize.script_variants` would compute equals ``folded`` itself.
    """
    keys, longest = _keys()
    return any(
        folded[i : i + n] in keys
        for i in range(len(folded))
        for n in range(1, min(longest, len(folded) - i) + 1)
    )
