"""Where an index lives on disk: generations, the CURRENT pointer, the manifest and the writer lock.

Layout of an index directory ``DIR``::

    DIR/CURRENT          name of the live generation (replaced atomically)
    DIR/gen-<stamp>/     a complete Whoosh index plus manifest.json
    DIR/.build-<stamp>/  a build in progress (removed by the next writer if abandoned)
    DIR/write.lock       the writer lock: the pid of the process writing

Readers only ever follow CURRENT to a finished generation, so a crashed or running build never
affects them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import IndexIncompatibleError, IndexLockedError, IndexNotFoundError
from .schema import SCHEMA_VERSION

MANIFEST = "manifest.json"
CURRENT = "CURRENT"
LOCK = "write.lock"
FORMAT = "zhsearch-index"


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


def read_manifest(generation: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexIncompatibleError(f"unreadable index manifest in {generation}: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexIncompatibleError(
            f"the index at {generation.parent} was written by zhsearch "
            f"{manifest.get('zhsearch_version', '?')} with schema {manifest.get('schema_version')!r}; "
            f"this zhsearch reads schema {SCHEMA_VERSION}"
        )
    return dict(manifest)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def writer_lock(location: Path) -> Iterator[None]:
    """Hold the index's single-writer lock; a lock left by a dead process is taken over."""
    location.mkdir(parents=True, exist_ok=True)
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
                raise IndexLockedError(
                    f"the index at {location} is being written by process {pid}",
                    hint="wait for it to finish, or stop that process",
                ) from None
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


def new_build_dir(location: Path) -> Path:
    """A fresh directory for a build, after removing builds abandoned by dead writers."""
    for leftover in location.glob(".build-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    build = location / f".build-{stamp}-{os.getpid()}"
    build.mkdir(parents=True)
    return build


def publish(location: Path, build: Path, manifest: dict[str, Any]) -> Path:
    """Turn a finished build into the live generation, atomically, and prune old ones."""
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "zhsearch_version": zhsearch_version(),
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **manifest,
    }
    _write_atomic(build / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    generation = location / ("gen-" + build.name.removeprefix(".build-"))
    os.replace(build, generation)
    _fsync_dir(location)
    previous = None
    try:
        previous = current_generation(location)
    except (IndexNotFoundError, IndexIncompatibleError):
        pass
    _write_atomic(location / CURRENT, generation.name + "\n")
    # Keep the previous generation for readers that still have it open; drop anything older.
    for old in location.glob("gen-*"):
        if old not in (generation, previous):
            shutil.rmtree(old, ignore_errors=True)
    return generation


def _write_atomic(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
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
