"""Per-generation tables (see :mod:`search.embedded.tables`) computed off the request path: in a child process,
from a background thread."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from .engine import SearchIndex

_CHILD = "import sys; from zhsearch.search.embedded.prepare import prepare; prepare(sys.argv[1])"


def prepare(location: Path | str) -> None:
    """Compute the live generation's missing or damaged tables and save them beside it (a cluster
    file's: in its shards)."""
    if Path(location).is_file():
        from .. import open_cluster

        with open_cluster(location) as cluster:
            cluster.save_tables()
        return
    with SearchIndex.open(location) as index:
        index.save_tables()


def prepare_apart(index: SearchIndex, *, timeout: float = 600) -> bool:
    """:func:`prepare` in a child process, unless the tables were saved already; True when they are now.

    A server computing them in a thread would hold the interpreter lock for seconds while its
    first requests wait; a child process leaves this one free to answer them.
    """
    if not index.missing_tables():
        return True
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(index.location)], timeout=timeout,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and not index.missing_tables()


class BackgroundPreparer:
    """Runs :func:`prepare_apart` for an index from a thread of its own, one run at a time.

    :meth:`soon` returns at once: a request that finds a table missing asks for it and goes on
    without it. A call while a run is under way makes one more run afterwards (the table may
    belong to a generation published since).
    """

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self._idle = threading.Event()
        self._idle.set()

    def soon(self, kind: str = "") -> None:
        """Have the missing tables computed in the background (``kind``: the table that was missing)."""
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running, self._again = True, False
            self._idle.clear()
        threading.Thread(target=self._run, name="zhsearch-tables", daemon=True).start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no run is under way; False on timeout."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            try:
                prepare_apart(self.index)
            except Exception:  # noqa: BLE001 - a failed run leaves the tables missing, never the server down
                pass
            with self._lock:
                if not self._again:
                    self._running = False
                    self._idle.set()
                    return
                self._again = False
