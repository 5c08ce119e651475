"""Loopback load on the real server: requests/s, latency percentiles and errors under N clients.

Starts ``zhsearch serve`` (waitress) on a free 127.0.0.1 port, waits for ``/healthz``, sends
every query of ``bench/queries.txt`` once to warm the server's caches, then runs ``--clients``
threads for ``--duration`` seconds. Each client keeps one HTTP/1.1 connection open and cycles
through the query set from its own starting point, GET ``/api/search?q=…`` (page 1 of 10,
snippets and facets as the API always returns them). Any status other than 200, a body that is
not the JSON page, or a connection failure counts as an error. The server is stopped at the end.

    python bench/http_load.py --index DIR [--clients 8] [--duration 30] [--threads 8] [--json FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from queries import QUERIES, load_queries, summary  # noqa: E402


def zhsearch_command() -> list[str]:
    """The ``zhsearch`` of this interpreter's environment (falls back to ``python -m zhsearch``)."""
    beside = Path(sys.executable).with_name("zhsearch")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("zhsearch")
    return [found] if found else [sys.executable, "-m", "zhsearch"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def location_args(index: str) -> list[str]:
    """``--index DIR``, or ``--cluster FILE`` for a cluster file (README: Past one machine)."""
    return ["--cluster", index] if os.path.isfile(index) else ["--index", index]


def start_server(index: str, port: int, threads: int, log: Any = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    cmd = [*zhsearch_command(), "serve", *location_args(index), "--host", "127.0.0.1", "--port", str(port),
           "--threads", str(threads)]
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get(port: int, path: str) -> int:
    """One GET on a fresh connection; the status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return int(response.status)
    finally:
        conn.close()


def wait_until(port: int, path: str, proc: subprocess.Popen[bytes], timeout: float) -> float:
    """Poll GET ``path`` until it answers 200; seconds waited. Raises if the server dies."""
    started = time.perf_counter()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"zhsearch serve exited with status {proc.returncode}")
        try:
            if get(port, path) == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"no answer on port {port} after {timeout:.0f}s")
        time.sleep(0.01)


def peak_rss_mb(pid: int) -> float | None:
    """The peak resident memory of a process (Linux ``VmHWM``), or None where it cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def search_path(query: str) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": query})


class Client(threading.Thread):
    """One keep-alive connection sending the query set round-robin until the deadline."""

    def __init__(self, port: int, paths: list[str], start: int, deadline: float) -> None:
        super().__init__(daemon=True)
        self.port, self.paths, self.next, self.deadline = port, paths, start, deadline
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        conn: http.client.HTTPConnection | None = None
        clock = time.perf_counter
        while clock() < self.deadline:
            path = self.paths[self.next % len(self.paths)]
            self.next += 1
            started = clock()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                elapsed = clock() - started
                if response.status != 200:
                    self.errors.append(f"HTTP {response.status} for {path}")
                elif "hits" not in json.loads(body):
                    self.errors.append(f"no hits in the answer to {path}")
                else:
                    self.latencies.append(elapsed)
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc} for {path}")
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()


def run_load(port: int, queries: list[str], clients: int, duration: float) -> dict[str, Any]:
    paths = [search_path(q) for q in queries]
    step = max(1, len(paths) // clients)
    started = time.perf_counter()
    workers = [Client(port, paths, i * step, started + duration) for i in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    latencies = [t for w in workers for t in w.latencies]
    errors = [e for w in workers for e in w.errors]
    return {
        "clients": clients,
        "duration_s": elapsed,
        "requests": len(latencies) + len(errors),
        "ok": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "requests_per_s": (len(latencies) + len(errors)) / elapsed,
        "latency_ms": summary(latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, help="the zhsearch index directory")
    parser.add_argument("--queries", default=str(QUERIES), help="query file (default: bench/queries.txt)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load (default 30)")
    parser.add_argument("--threads", type=int, default=8, help="server worker threads (default 8)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--server-log", help="write the server's output to this file")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()

    queries = [q for _, q in load_queries(args.queries)]
    port = args.port or free_port()
    log: Any = open(args.server_log, "wb") if args.server_log else subprocess.DEVNULL  # noqa: SIM115
    proc = start_server(args.index, port, args.threads, log)
    try:
        ready = wait_until(port, "/healthz", proc, timeout=300)
        started = time.perf_counter()
        for q in queries:  # warm-up: per-generation caches, first-use paths
            status = get(port, search_path(q))
            if status != 200:
                print(f"warm-up: HTTP {status} for {q!r}", file=sys.stderr)
        warm = time.perf_counter() - started
        print(f"server pid {proc.pid} on 127.0.0.1:{port}: ready in {ready:.2f}s, "
              f"warm-up of {len(queries)} queries {warm:.1f}s")
        figures = run_load(port, queries, args.clients, args.duration)
        figures["server_peak_rss_mb"] = peak_rss_mb(proc.pid)
    finally:
        stop_server(proc)
        if log is not subprocess.DEVNULL:
            log.close()
    lat = figures["latency_ms"]
    print(f"{args.clients} clients × {figures['duration_s']:.1f}s, server threads {args.threads}: "
          f"{figures['requests']} requests, {figures['requests_per_s']:.1f} req/s, "
          f"errors {figures['errors']}")
    print(f"latency ms: p50 {lat['p50']:.1f}  p95 {lat['p95']:.1f}  p99 {lat['p99']:.1f}  max {lat['max']:.1f}")
    if figures["server_peak_rss_mb"] is not None:
        print(f"server peak resident memory: {figures['server_peak_rss_mb']:.0f} MB")
    for sample in figures["error_samples"]:
        print(f"  error: {sample}", file=sys.stderr)
    figures.update(index=args.index, server_threads=args.threads, queries=len(queries), cpus=os.cpu_count())
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0 if figures["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
