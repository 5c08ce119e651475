"""Where an index lives on disk: generations, the CURRENT pointer, the manifest and the writer lock.

Layout of an index directory ``DIR``::

    DIR/CURRENT          name of the live generation (replaced atomically)
    DIR/gen-<stamp>/     a complete Whoosh index plus manifest.json
    DIR/.build-<stamp>/  a build in progress (removed by the next writer if abandoned)
    DIR/write.lock       the writer lock (an flock; the file names the pid of the process writing)

Readers only ever follow CURRENT to a finished generation, so a crashed or running build never
affects them; they take no lock. A generation is never modified once published: an update
builds a new one that shares the unchanged segment files through hard links.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import IndexIncompatibleError, IndexLockedError, IndexNotFoundError
from .schema import SCHEMA_VERSION

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
CURRENT = "CURRENT"
LOCK = "write.lock"
FORMAT = "zhsearch-index"
# Older schemas whose indexes still open for searching: their segments carry their own formats
# (schema 2 stored positions as Whoosh's Positions, see search.embedded.schema.CompactPositions).
SEARCHABLE_SCHEMA_VERSIONS = (2,)
PRUNE_AFTER = 120.0  # seconds a replaced generation stays on disk for readers that just found it


def zhsearch_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("zhsearch")
    except PackageNotFoundError:
        return "0+unknown"


def current_generation(location: Path) -> Path:
    """The live generation directory of the index at ``location``."""
    pointer = location / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexNotFoundError(f"no zhsearch index at {location}") from None
    except OSError as exc:
        raise IndexNotFoundError(f"cannot read the index at {location}: {exc.strerror}") from None
    generation = location / name
    if not name or "/" in name or not (generation / MANIFEST).is_file():
        raise IndexIncompatibleError(f"the index at {location} is damaged (CURRENT names {name!r})")
    return generation


def read_manifest(generation: Path, *, writing: bool = False) -> dict[str, Any]:
    """The generation's manifest; an index of another schema is an error, except that an index of
    a schema in ``SEARCHABLE_SCHEMA_VERSIONS`` can be searched (not ``writing``) but not updated."""
    try:
        manifest = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexIncompatibleError(f"unreadable index manifest in {generation}: {exc}") from None
    version = manifest.get("schema_version")
    written_by = (f"the index at {generation.parent} was written by zhsearch "
                  f"{manifest.get('zhsearch_version', '?')} with schema {version!r}")
    if manifest.get("format") != FORMAT or (version != SCHEMA_VERSION and version not in SEARCHABLE_SCHEMA_VERSIONS):
        raise IndexIncompatibleError(f"{written_by}; this zhsearch reads schema {SCHEMA_VERSION}")
    if writing and version != SCHEMA_VERSION:
        raise IndexIncompatibleError(f"{written_by}, which this zhsearch searches but cannot update "
                                     f"(it writes schema {SCHEMA_VERSION})")
    return dict(manifest)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _locked_error(location: Path, pid: int) -> IndexLockedError:
    who = f"process {pid}" if pid else "another process"
    return IndexLockedError(
        f"the index at {location} is being written by {who}",
        hint="wait for it to finish, or stop that process",
    )


def _read_pid(fd: int) -> int:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return int(os.read(fd, 32).decode("ascii", "replace").strip() or "0")
    except (OSError, ValueError):
        return 0


@contextmanager
def writer_lock(location: Path) -> Iterator[None]:
    """Hold the index's single-writer lock; fails fast naming the process that holds it.

    The lock is an advisory ``flock`` on ``write.lock``, which also names the holder's pid: the
    kernel releases it when its process ends however it ends, so a lock left by a dead process is
    no lock at all. (Without ``fcntl`` the file's existence is the lock, taken over when the
    process it names is gone.)
    """
    location.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover - Windows
        with _exclusive_file_lock(location):
            yield
        return
    path = location / LOCK
    for _ in range(10):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                os.close(fd)
                raise
            pid = _read_pid(fd)
            os.close(fd)
            raise _locked_error(location, pid) from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed the file as we opened it: lock the new one
    else:
        raise IndexLockedError(f"could not take the writer lock of {location}")
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, str(os.getpid()).encode("ascii"))
        yield
    finally:
        try:
            path.unlink(missing_ok=True)  # while still holding it, so no one locks a removed file
        finally:
            os.close(fd)


@contextmanager
def _exclusive_file_lock(location: Path) -> Iterator[None]:  # pragma: no cover - Windows
    lock = location / LOCK
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or "0")
            except (OSError, ValueError):
                pid = 0
            if pid and _pid_alive(pid):
                raise _locked_error(location, pid) from None
            lock.unlink(missing_ok=True)  # stale: its writer is gone
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        break
    else:
        raise IndexLockedError(f"could not take the writer lock of {location}")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def lock_holder(location: Path) -> int | None:
    """The pid of the process writing the index at ``location``, or None when no one writes it."""
    path = location / LOCK
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        if fcntl is None:  # pragma: no cover - Windows
            pid = _read_pid(fd)
            return pid if pid and _pid_alive(pid) else None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _read_pid(fd) or -1
        return None
    finally:
        os.close(fd)


def remove_leftovers(location: Path) -> None:
    """Remove what writers that died left behind: builds and temporary files (hold the lock)."""
    for leftover in location.glob(".build-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in location.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def new_build_dir(location: Path) -> Path:
    """A fresh directory for a build, after removing what dead writers left (call with the lock held)."""
    remove_leftovers(location)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    build = location / f".build-{stamp}-{os.getpid()}"
    build.mkdir(parents=True)
    return build


def link_generation(source: Path, target: Path, *, prefixes: tuple[str, ...]) -> None:
    """Fill ``target`` with hard links to the files of the generation ``source`` whose names start
    with one of ``prefixes`` (copies where the file system cannot link). Generation files are
    never modified in place (a new version is a new file), so sharing them is safe."""
    for entry in os.scandir(source):
        if not entry.is_file(follow_symlinks=False) or not entry.name.startswith(prefixes):
            continue
        try:
            os.link(entry.path, target / entry.name)
        except OSError:
            shutil.copy2(entry.path, target / entry.name)


def publish(location: Path, build: Path, manifest: dict[str, Any]) -> Path:
    """Turn a finished build into the live generation, atomically, and prune old ones.

    The previous generation is kept (readers may still have it open), and so is any generation
    replaced less than ``PRUNE_AFTER`` seconds ago: a reader that looked up the pointer just
    before the switch can still open the generation it found.
    """
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "zhsearch_version": zhsearch_version(),
        "built_at": now,
        **manifest,
        "updated_at": now,
    }
    write_atomic(build / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    _fsync_files(build)
    generation = location / ("gen-" + build.name.removeprefix(".build-"))
    os.replace(build, generation)
    _fsync_dir(location)
    previous = None
    try:
        previous = current_generation(location)
    except (IndexNotFoundError, IndexIncompatibleError):
        pass
    write_atomic(location / CURRENT, generation.name + "\n")
    prune(location, keep={generation, previous})
    return generation


def prune(location: Path, *, keep: set[Path | None], grace: float | None = None) -> None:
    """Remove generations that are not kept and were replaced more than ``grace`` seconds ago."""
    grace = PRUNE_AFTER if grace is None else grace
    generations = sorted(location.glob("gen-*"))  # names start with their build time: oldest first
    now = time.time()
    for old, newer in zip(generations, generations[1:]):
        if old in keep:
            continue
        try:
            replaced = (newer / MANIFEST).stat().st_mtime
        except OSError:
            replaced = 0.0
        if now - replaced >= grace:
            shutil.rmtree(old, ignore_errors=True)


def write_atomic(path: Path, content: str) -> None:
    """Replace ``path`` with ``content`` atomically (a reader sees the old or the new file, never a part)."""
    write_bytes_atomic(path, content.encode("utf-8"))
    _fsync_dir(path.parent)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary file renamed over it; the temporary file never stays."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.{time.monotonic_ns()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync_files(directory: Path) -> None:
    """Flush a finished build's files to disk before it becomes live (a crash must not publish
    a generation whose data is still only in the page cache)."""
    for entry in os.scandir(directory):
        if entry.is_file(follow_symlinks=False):
            _fsync_dir(Path(entry.path))
    _fsync_dir(directory)


def _fsync_dir(path: Path) -> None:
    """fsync a file or a directory, as far as the platform allows."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def disk_size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
