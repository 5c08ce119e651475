"""Crash safety: ``kill -9`` at any moment of ``zhsearch index`` or ``zhsearch update`` keeps a working index.

The archive alternates between two versions (articles added, edited, deleted, renamed, and a
paragraph becoming learned boilerplate). Each round starts an index or an update towards the other
version in a child process and kills it with SIGKILL after a random delay; then the index must open
and answer, hold exactly the old or the new state of every document (generations are published
whole, so the whole index is one or the other), and a following update must converge to exactly
what a clean build of the new version holds.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from zhsearch.indexer import build_index, update_index
from zhsearch.search import open_index
from zhsearch.search.embedded.store import current_generation, lock_holder

from lifecycle_corpus import snapshot, version_a, version_b, write_corpus

KILLS = 20


def _start(command: str, archive: Path, location: Path, jobs: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "zhsearch", command, str(archive), "--index", str(location), "-q", "-j", str(jobs)],
        start_new_session=True,  # its own process group: the workers can be killed with it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _gone(group: int, timeout: float) -> bool:
    """Whether every process of ``group`` has exited within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


def test_kill_9_at_random_moments_never_breaks_the_index(tmp_path: Path) -> None:
    versions = [version_a(), version_b()]
    archive, location = tmp_path / "posts", tmp_path / "index"
    clean = []
    for n, version in enumerate(versions):
        write_corpus(archive, version)
        build_index([archive], tmp_path / f"clean-{n}")
        clean.append(snapshot(tmp_path / f"clean-{n}"))
    assert clean[0] != clean[1]

    # How long a whole run takes here, so that the kills fall anywhere inside one.
    durations = {}
    state = 1
    for command in ("index", "update"):
        state = 1 - state
        write_corpus(archive, versions[state])
        started = time.monotonic()
        process = _start(command, archive, location, 2)
        assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
        process.stderr.close() if process.stderr else None
        durations[command] = time.monotonic() - started
    assert snapshot(location) == clean[state]

    rng = random.Random(20261121)
    kills = 0
    outcomes = {"old": 0, "new": 0}
    mid_build = 0  # kills that left a half-written generation behind
    rounds = 0
    while kills < KILLS and rounds < 3 * KILLS:
        rounds += 1
        target = 1 - state
        write_corpus(archive, versions[target])
        command = rng.choice(("index", "update"))
        jobs = rng.choice((1, 2))
        whole_group = rng.random() < 0.75  # else only the main process: its workers must stop by themselves
        process = _start(command, archive, location, jobs)
        time.sleep(rng.uniform(0.05, 0.9) * durations[command])
        if process.poll() is None:
            kills += 1
            os.killpg(process.pid, signal.SIGKILL) if whole_group else os.kill(process.pid, signal.SIGKILL)
            mid_build += bool(list(location.glob(".build-*")))
        process.wait(timeout=120)
        if process.stderr:
            process.stderr.close()
        assert _gone(process.pid, timeout=10), "worker processes outlived their killed parent"

        with open_index(location) as index:
            assert index.search("记者").total > 0
            assert index.search("港口吞吐量").total > 0
        found = snapshot(location)
        assert found in (clean[state], clean[target]), f"round {rounds}: {command} -j {jobs}"
        outcomes["new" if found == clean[target] else "old"] += 1

        report = update_index([archive], location)  # finishes the work (or finds nothing to do)
        assert snapshot(location) == clean[target]
        for name in ("files.json", "paragraphs.json"):  # the catalog too, or the next update goes wrong
            expected = current_generation(tmp_path / f"clean-{target}") / name
            assert (current_generation(location) / name).read_text() == expected.read_text(), name
        assert report.published == (found != clean[target])
        assert not list(location.glob(".build-*"))
        assert lock_holder(location) is None
        state = target

    assert kills >= KILLS
    assert mid_build >= 3 and outcomes["old"] >= 3, (mid_build, outcomes)  # many kills hit a generation being written
