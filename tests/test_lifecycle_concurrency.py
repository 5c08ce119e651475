"""Readers keep answering, from several threads and another process, while an update and a rebuild run."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from zhsearch.indexer import build_index
from zhsearch.search import open_index

from lifecycle_corpus import version_a, version_b, write_corpus

READER = """
import sys, traceback
from pathlib import Path
from zhsearch.search import open_index
location, stop = Path(sys.argv[1]), Path(sys.argv[2])
queries, seen = 0, set()
with open_index(location) as index:
    print("ready", flush=True)
    try:
        while not stop.exists():
            index.refresh()
            assert index.search("记者", limit=5).total > 0
            seen.add(len(index.matching_ids("更正")))
            queries += 1
    except Exception:
        traceback.print_exc()
        sys.exit(1)
print(queries, sorted(seen))
"""
CORRECTED = {"北川财经/002.md", "北川财经/005.md"}  # the articles version B corrects ("更正")


def _zhsearch(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "zhsearch", *args, "-q"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_queries_never_fail_during_an_update_and_a_rebuild_and_then_see_the_new_data(tmp_path: Path) -> None:
    archive, location = tmp_path / "posts", tmp_path / "index"
    write_corpus(archive, version_a())
    build_index([archive], location)
    stop_file = tmp_path / "stop"
    other = subprocess.Popen([sys.executable, "-c", READER, str(location), str(stop_file)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert other.stdout is not None and other.stdout.readline() == "ready\n"

    index = open_index(location)
    errors: list[BaseException] = []
    answered = [0]
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            try:
                index.refresh()  # as the web app does before each request
                assert index.search("港口吞吐量", limit=3).total > 0
                index.matching_ids("更正")
                answered[0] += 1
            except BaseException as exc:  # noqa: BLE001 - collected and reported below
                errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        write_corpus(archive, version_b())
        _zhsearch("update", str(archive), "--index", str(location), "-j", "2")
        index.refresh()
        assert index.matching_ids("更正") == CORRECTED  # the update is visible after its commit

        write_corpus(archive, version_a())
        _zhsearch("index", str(archive), "--index", str(location), "-j", "2")
        index.refresh()
        assert index.matching_ids("更正") == set()  # and so is the rebuild
        time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        stop_file.touch()
        out, err = other.communicate(timeout=60)
        index.close()
    assert errors == []
    assert answered[0] > 20
    assert other.returncode == 0, err
    queries, seen = out.split(" ", 1)
    assert int(queries) > 10
    assert seen.strip() == "[0, 2]"  # it saw the old data and the new
