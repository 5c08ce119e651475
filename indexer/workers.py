"""Worker processes for reading and indexing articles: one pool per command, results in input order.

With one job everything runs in the calling process. With more, tasks go to a
``multiprocessing`` pool; results come back in the order the tasks were given, so what is built
never depends on the number of processes or on which finished first. Workers ignore Ctrl-C (the
parent stops them) and exit by themselves when their parent dies, so a killed build leaves no
process behind writing into its abandoned directory.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    random.seed()  # forked workers would otherwise draw the same "random" Whoosh file names


def exit_if_orphaned(parent: int | None) -> None:
    """Called between items of a task: stop at once when the process that started us is gone."""
    if parent is not None and os.getppid() != parent:
        os._exit(1)


class WorkerPool:
    """``jobs`` processes (none for one job) that map a function over tasks, in order.

    The processes start with the first :meth:`map`, so a command that finds nothing to do
    starts none.
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)
        self._pool: Any = None

    @property
    def parent(self) -> int | None:
        """The pid tasks pass to :func:`exit_if_orphaned` (None when they run in this process)."""
        return os.getpid() if self.jobs > 1 else None

    def __enter__(self) -> WorkerPool:
        return self

    def map(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """``function`` applied to each task, results in task order."""
        if self.jobs == 1:
            return map(function, tasks)
        if self._pool is None:
            self._pool = _context().Pool(self.jobs, initializer=_start_worker)
        return self._pool.imap(function, tasks, chunksize=1)  # type: ignore[no-any-return]

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pool is not None:
            if exc_type is None:
                self._pool.close()
            else:
                self._pool.terminate()
            self._pool.join()
            self._pool = None


def _context() -> Any:
    """Fork (fast: workers share the loaded dictionaries) unless threads run: then spawn."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
