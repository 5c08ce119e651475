"""A cluster on one machine, for trying it out and for tests: ``xapian-tcpsrv`` shards on loopback.

``start`` creates one database per shard in a folder and starts one writable server for each,
in its own session; it records their pids in ``DIR/servers.json`` and writes ``DIR/cluster.toml``.
``stop`` ends exactly the process groups recorded there, nothing found by name. ``compact``
rewrites each shard's database compactly (``xapian-compact``'s work, through the bindings) and
serves the compact copy on the same port.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import xapian

from ..text.analysis import AnalyzerConfig
from ..errors import ZhsearchError
from .config import ClusterConfig, Shard
from .connect import ShardUnavailableError, open_shard
from ..embedded.store import disk_size, writer_lock
from .writer import COMMITS_KEY, lock_dir

SERVERS = "servers.json"
CLUSTER_FILE = "cluster.toml"
TCPSRV = "xapian-tcpsrv"
START_SECONDS = 10.0
CHANGESETS_VARIABLE = "XAPIAN_MAX_CHANGESETS"  # how many changesets a shard keeps for xapian-replicate (0: none)
# The servers this process started, by pid: kept so that they are waited for (reaped) when stopped.
_children: dict[int, subprocess.Popen[bytes]] = {}


class ClusterServerError(ZhsearchError):
    """The shard servers could not be started or stopped."""


def tcpsrv() -> str:
    found = shutil.which(TCPSRV)
    if found is None:
        raise ClusterServerError(f"{TCPSRV} is not installed",
                                 hint="install Xapian's tools: apt-get install xapian-tools")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def start(directory: Path, shards: int, *, host: str = "127.0.0.1", ports: list[int] | None = None,
          analyzer: AnalyzerConfig = AnalyzerConfig(), changesets: int = 0) -> ClusterConfig:
    """Start ``shards`` writable servers on ``host`` with databases below ``directory``.

    Each shard keeps its last ``changesets`` changesets (``XAPIAN_MAX_CHANGESETS``), so that
    ``xapian-replicate`` copies a replica the changes since its last copy rather than the whole
    database; none by default: they take about twice the database's size again on disk."""
    if shards < 1:
        raise ClusterServerError(f"a cluster needs at least one shard, not {shards}")
    if changesets < 0:
        raise ClusterServerError(f"a shard keeps 0 or more changesets, not {changesets}")
    directory.mkdir(parents=True, exist_ok=True)
    if running(directory):
        raise ClusterServerError(f"a cluster is already running from {directory}",
                                 hint=f"stop it first: zhsearch cluster down --dir {directory}")
    program = tcpsrv()
    started: list[dict[str, object]] = []
    try:
        for n in range(shards):
            path = (directory / f"shard-{n}").resolve()
            xapian.WritableDatabase(str(path), xapian.DB_CREATE_OR_OPEN).close()
            port = ports[n] if ports else free_port(host)
            entry = {"host": host, "port": port, "path": str(path), "changesets": changesets}
            started.append({"pid": _spawn(program, entry, directory / f"shard-{n}.log"), **entry})
            _write_servers(directory, started)
        for entry in started:
            _wait_listening(str(entry["host"]), int(entry["port"]), int(entry["pid"]))  # type: ignore[call-overload]
    except BaseException:
        stop(directory)
        raise
    config = ClusterConfig(
        tuple(Shard(str(e["host"]), int(e["port"]), "writable", str(e["path"])) for e in started),  # type: ignore[call-overload]
        analyzer, directory / CLUSTER_FILE,
    )
    (directory / CLUSTER_FILE).write_text(config.to_toml(), encoding="utf-8")
    return config


def _spawn(program: str, entry: dict[str, object], log_path: Path) -> int:
    """Start one writable server for ``entry`` (host, port, path, changesets) in a session of its own; its pid."""
    log = open(log_path, "ab")
    try:
        process = subprocess.Popen(
            [program, "--writable", "--interface", str(entry["host"]), "--port", str(entry["port"]), str(entry["path"])],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env=_environment(int(entry.get("changesets") or 0)),  # type: ignore[call-overload]
        )
    finally:
        log.close()
    _children[process.pid] = process
    return process.pid


@dataclass(frozen=True)
class Compacted:
    path: str
    before: int  # bytes on disk
    after: int


def compact(directory: Path) -> list[Compacted]:
    """Compact each shard of the cluster ``cluster up`` started from ``directory``, one at a time.

    Holds the cluster's writer lock throughout (no ``index``/``update`` can write meanwhile). Each
    shard is compacted while its server still serves it (Xapian readers see a committed revision),
    then its server is stopped, the compact copy takes the database's place and a new server serves
    it on the same address: searches meanwhile miss that shard for the moment of the swap (and say
    so). A rebuild leaves the replaced generation's space free inside each database; compacting
    gives it back and packs the B-trees full (about half the size after ``index --cluster``)."""
    entries = recorded(directory)
    if not entries or len(running(directory)) != len(entries):
        raise ClusterServerError(f"no cluster is running from {directory}",
                                 hint=f"start it first: zhsearch cluster up --dir {directory}")
    program = tcpsrv()
    done = []
    with writer_lock(lock_dir(directory / CLUSTER_FILE)):
        for n, entry in enumerate(entries):
            path = Path(str(entry["path"]))
            fresh, old = path.with_name(path.name + ".compact"), path.with_name(path.name + ".old")
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
            before = disk_size(path)
            try:
                source = xapian.Database(str(path))
                try:
                    source.compact(str(fresh))
                finally:
                    source.close()
            except xapian.Error as exc:
                shutil.rmtree(fresh, ignore_errors=True)
                raise ClusterServerError(f"could not compact {path}: {exc}") from exc
            _stop_pids([int(entry["pid"])])  # type: ignore[call-overload]
            os.rename(path, old)
            os.rename(fresh, path)
            entry["pid"] = _spawn(program, entry, directory / f"{path.name}.log")
            _write_servers(directory, entries)
            _wait_listening(str(entry["host"]), int(entry["port"]), int(entry["pid"]))  # type: ignore[call-overload]
            shutil.rmtree(old)
            done.append(Compacted(str(path), before, disk_size(path)))
    return done


def _environment(changesets: int) -> dict[str, str]:
    """The servers' environment: this one's, with ``changesets`` kept (none: the variable unset)."""
    env = {k: v for k, v in os.environ.items() if k != CHANGESETS_VARIABLE}
    if changesets:
        env[CHANGESETS_VARIABLE] = str(changesets)
    return env


def _write_servers(directory: Path, entries: list[dict[str, object]]) -> None:
    partial = directory / f".{SERVERS}.tmp"
    partial.write_text(json.dumps(entries, indent=1), encoding="utf-8")
    os.replace(partial, directory / SERVERS)


def _wait_listening(host: str, port: int, pid: int) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise ClusterServerError(f"{TCPSRV} on port {port} exited at once (is the port taken?)")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ClusterServerError(f"{TCPSRV} on port {port} did not start listening in {START_SECONDS:.0f} s")


def recorded(directory: Path) -> list[dict[str, object]]:
    try:
        entries = json.loads((directory / SERVERS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("pid"), int)] if isinstance(entries, list) else []


def running(directory: Path) -> list[int]:
    """The recorded server pids that are still that server."""
    return [int(e["pid"]) for e in recorded(directory) if _ours(int(e["pid"]), str(e.get("path", "")))]  # type: ignore[call-overload]


def stop(directory: Path, *, timeout: float = 5.0) -> list[int]:
    """Stop the servers recorded in ``directory`` (their process groups: the server and the children
    it forked for connections); the pids stopped."""
    ours = [int(e["pid"]) for e in recorded(directory) if _ours(int(e["pid"]), str(e.get("path", "")))]  # type: ignore[call-overload]
    stopped = _stop_pids(ours, timeout=timeout)  # the others are gone, or their pids belong to another program now
    (directory / SERVERS).unlink(missing_ok=True)
    return stopped


def _stop_pids(pids: list[int], *, timeout: float = 5.0) -> list[int]:
    """End the process groups of these server pids (TERM, then KILL after ``timeout``); those signalled."""
    stopped = []
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        stopped.append(pid)
    deadline = time.monotonic() + timeout
    for pid in stopped:
        while time.monotonic() < deadline:
            _reap(pid)
            if not _alive(pid):
                break
            time.sleep(0.02)
        if _alive(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _reap(pid)
    for pid in stopped:  # a connection forked as the server got the signal: still in its group
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return stopped


def _reap(pid: int) -> None:
    child = _children.get(pid)
    if child is not None and child.poll() is not None:  # our own child: waited for, no zombie left
        del _children[pid]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True


def _ours(pid: int, path: str) -> bool:
    """Whether ``pid`` is still the ``xapian-tcpsrv`` serving ``path`` (pids are reused)."""
    if not _alive(pid):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            args = cmdline.read().split(b"\0")
    except OSError:
        return True  # no /proc: trust the record
    return any(a.endswith(TCPSRV.encode()) for a in args[:1]) and (not path or path.encode() in args)


@dataclass(frozen=True)
class ShardStatus:
    shard: Shard
    reachable: bool
    documents: int | None = None
    revision: int | None = None
    error: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"address": self.shard.address, "role": self.shard.role, "reachable": self.reachable,
                "documents": self.documents, "revision": self.revision, "error": self.error or None}


def status(config: ClusterConfig) -> list[ShardStatus]:
    """Each shard's documents and revision (commits by zhsearch), or why it cannot be reached."""
    found = []
    for shard in config.shards:
        try:
            db = open_shard(shard)
            found.append(ShardStatus(shard, True, int(db.get_doccount()), int(db.get_metadata(COMMITS_KEY) or 0)))
            db.close()
        except ShardUnavailableError as exc:
            found.append(ShardStatus(shard, False, error=str(exc)))
        except xapian.Error as exc:
            found.append(ShardStatus(shard, False, error=str(exc)))
    return found
