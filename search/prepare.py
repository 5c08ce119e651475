"""Per-generation tables (duplicate groups, statistics, completions) computed before they are asked for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .engine import SearchIndex

_CHILD = "import sys; from search.prepare import prepare; prepare(sys.argv[1])"


def prepare(location: Path | str) -> None:
    """Compute the live generation's tables and save them beside it (see :meth:`SearchIndex.stats`)."""
    with SearchIndex.open(location) as index:
        index.search("中国", limit=1)  # duplicate groups
        index.stats()
        index.completion_table()


def prepare_apart(index: SearchIndex, *, timeout: float = 600) -> bool:
    """:func:`prepare` in a child process, unless the tables were saved already; True when they are now.

    A server computing them in a thread would hold the interpreter lock for seconds while its
    first requests wait; a child process leaves this one free to answer them.
    """
    if index.has_saved_tables():
        return True
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(index.location)], timeout=timeout,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and index.has_saved_tables()
