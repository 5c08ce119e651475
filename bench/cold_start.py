"""Cold start: ``zhsearch serve`` until its first answered query, and a one-shot ``zhsearch search``.

Each run is a new process (interpreter start, imports, jieba's dictionary, opening the index,
the first query with its per-generation caches); the operating system's file cache is warm
after the first run, as it is on a machine that serves the index. ``serve``: from spawning the
process to the complete answer of ``GET /api/search?q=QUERY`` (polled every 10 ms until the port
accepts). ``search``: wall time of ``zhsearch search QUERY --index DIR`` to its exit.
Prints every run and the median.

    python bench/cold_start.py --index DIR [--runs 5] [--query 疫苗] [--json FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from http_load import free_port, search_path, start_server, stop_server, zhsearch_command  # noqa: E402


def serve_to_first_answer(index: str, query: str, timeout: float = 120) -> float:
    """Seconds from spawning ``zhsearch serve`` to the full 200 answer of one search."""
    port = free_port()
    started = time.perf_counter()
    proc = start_server(index, port, threads=8)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"zhsearch serve exited with status {proc.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                conn.request("GET", search_path(query))
                response = conn.getresponse()
                body = response.read()
                conn.close()
            except ConnectionRefusedError:
                if time.perf_counter() - started > timeout:
                    raise TimeoutError(f"no answer after {timeout:.0f}s") from None
                time.sleep(0.01)
                continue
            elapsed = time.perf_counter() - started
            if response.status != 200 or "hits" not in json.loads(body):
                raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
            return elapsed
    finally:
        stop_server(proc)


def one_shot_search(index: str, query: str) -> float:
    """Seconds of ``zhsearch search QUERY --index DIR`` from spawn to exit."""
    cmd = [*zhsearch_command(), "search", query, "--index", index]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode()[:300]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, help="the zhsearch index directory")
    parser.add_argument("--runs", type=int, default=5, help="runs of each (default 5)")
    parser.add_argument("--query", default="疫苗", help="the query (default 疫苗)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()

    figures: dict[str, object] = {"index": args.index, "query": args.query, "runs": args.runs}
    targets = {"serve": 2.0, "search": 1.5}
    for name, measure in (("serve", serve_to_first_answer), ("search", one_shot_search)):
        times = [measure(args.index, args.query) for _ in range(args.runs)]
        median = statistics.median(times)
        verdict = "meets" if median <= targets[name] else "misses"
        label = "zhsearch serve → first answer" if name == "serve" else "one-shot zhsearch search"
        print(f"{label:30s} median {median:6.2f}s  ({verdict} ≤ {targets[name]} s)  runs: "
              + " ".join(f"{t:.2f}" for t in times))
        figures[name] = {"median_s": median, "runs_s": times, "target_s": targets[name]}
    figures["cpus"] = os.cpu_count()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
