"""One writer, many readers: the writer lock fails fast naming its holder, dies with it, never blocks readers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhsearch.indexer import build_index
from zhsearch.search import open_index
from zhsearch.search.embedded.store import LOCK, lock_holder, writer_lock
from zhsearch.cli import cli

from conftest import CORPUS

HOLD_THE_LOCK = """
import sys, time
from pathlib import Path
from zhsearch.search.embedded.store import writer_lock
with writer_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(120)
"""


@pytest.fixture()
def location(tmp_path: Path) -> Path:
    build_index([CORPUS / "hexo"], tmp_path / "index")
    return tmp_path / "index"


@pytest.fixture()
def holder(location: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the index's writer lock."""
    process = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, str(location)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline() == "locked\n"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()
    process.stdout.close()


@pytest.mark.parametrize("command", [["index", str(CORPUS / "hexo")], ["update", str(CORPUS / "hexo")]])
def test_a_second_writer_fails_fast_naming_the_running_process(
    runner: CliRunner, location: Path, holder: subprocess.Popen[str], command: list[str]
) -> None:
    result = runner.invoke(cli, [*command, "--index", str(location)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: the index at {location} is being written by process {holder.pid}\n"
        "Hint: wait for it to finish, or stop that process\n"
    )
    assert lock_holder(location) == holder.pid


def test_the_lock_of_a_killed_writer_is_recovered(location: Path, holder: subprocess.Popen[str]) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (location / LOCK).read_text() == str(holder.pid)  # left behind by the dead process ...
    assert lock_holder(location) is None  # ... but held by no one
    build_index([CORPUS / "jekyll"], location)
    assert not (location / LOCK).exists()
    with open_index(location) as index:
        assert index.search("台风").total == 1


def test_readers_never_wait_for_the_writer(location: Path, holder: subprocess.Popen[str]) -> None:
    with open_index(location) as index:
        assert index.search("记者").total > 0
        assert index.refresh() is False


def test_the_lock_is_taken_once_and_released(tmp_path: Path) -> None:
    with writer_lock(tmp_path):
        assert lock_holder(tmp_path) == os.getpid()
        assert (tmp_path / LOCK).read_text() == str(os.getpid())
    assert lock_holder(tmp_path) is None
    assert not (tmp_path / LOCK).exists()
