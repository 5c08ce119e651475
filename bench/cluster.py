"""The Xapian cluster against the embedded index: build, size, warm query latency, same answers, a shard down.

Starts ``--shards`` loopback ``xapian-tcpsrv`` shards in ``--dir`` (``zhsearch cluster up``'s
code), writes the embedded index's own documents to them (``zhsearch index --cluster``'s writer,
so both hold exactly the same cleaned articles; parsing and cleaning, the same for both backends,
are not timed), then runs ``bench/queries.txt`` through both backends (first page of 10, snippets,
facets, duplicate grouping: one warm-up round, then ``--repeat`` rounds): p50/p95/p99, and for
every query whether totals, facet counts and the hits' ids agree. Last, one shard is stopped and
the query set runs again: latency, and what the answers say. The servers are stopped at the end.

    python bench/cluster.py --index DIR [--shards 3] [--dir /tmp/zhsearch-cluster] [--repeat 3] [--keep]

With ``--keep`` the shard-down part is left out and the servers keep running (for
``bench/known_item.py --cluster DIR/cluster.toml``); stop them with ``zhsearch cluster down --dir DIR``.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from queries import QUERIES, load_queries, measure  # noqa: E402


def groups(page: Any) -> set[frozenset[str]]:
    """The hits of a page as duplicate groups (which copy leads a group depends on the ranking)."""
    return {frozenset([h.id, *(d.id for d in h.duplicates)]) for h in page.hits}


def differences(cluster: Any, embedded: Any, queries: list[tuple[str, str]]) -> list[str]:
    """The queries whose answers differ: total, facets, or (when they fit on 100 hits) the hits,
    as duplicate groups."""
    found = []
    for _, query in queries:
        ours, theirs = cluster.search(query, limit=100), embedded.search(query, limit=100)
        what = []
        if ours.total != theirs.total:
            what.append(f"total {ours.total} ≠ {theirs.total}")
        if ours.facets != theirs.facets:
            what.append("facets")
        if theirs.total <= 100 and groups(ours) != groups(theirs):
            what.append("hits")
        elif theirs.total <= 100 and {h.id for h in ours.hits} != {h.id for h in theirs.hits}:
            what.append("another copy leads a group")
        if what:
            found.append(f"{query}: {', '.join(what)}")
    return found


def top_agreement(cluster: Any, embedded: Any, queries: list[tuple[str, str]]) -> float:
    """The share of queries with hits whose first hit is the same in both backends."""
    same = counted = 0
    for _, query in queries:
        ours, theirs = cluster.search(query, limit=1), embedded.search(query, limit=1)
        if theirs.hits:
            counted += 1
            same += bool(ours.hits) and ours.hits[0].id == theirs.hits[0].id
    return same / counted if counted else float("nan")


def _children_cpu() -> float:
    """CPU seconds of this process's children that have ended (the writer's worker processes)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def row(name: str, figures: dict[str, float]) -> str:
    return f"{name:28s} p50 {figures['p50']:7.1f}  p95 {figures['p95']:7.1f}  p99 {figures['p99']:7.1f}  max {figures['max']:7.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, help="an embedded zhsearch index (its documents are written to the cluster)")
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--dir", default="/tmp/zhsearch-cluster", help="folder for the shards (emptied first)")
    parser.add_argument("--queries", default=str(QUERIES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the cluster running, every shard up")
    parser.add_argument("--reuse", action="store_true", help="search the cluster a --keep run left in --dir (no writing)")
    args = parser.parse_args()

    import shutil

    from zhsearch.search import open_cluster, open_index
    from zhsearch.search.embedded.store import disk_size
    from zhsearch.search.xapian_cluster import ClusterConfig, servers, write_all

    directory = Path(args.dir)
    reuse = args.reuse and bool(servers.running(directory))
    if directory.exists() and not reuse:
        servers.stop(directory)
        shutil.rmtree(directory)
    queries = load_queries(args.queries)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average at start {os.getloadavg()[0]:.1f}")
    if not reuse:
        servers.start(directory, args.shards)
    try:
        config = ClusterConfig.load(directory / "cluster.toml")
        with open_index(args.index) as embedded:
            if not reuse:
                documents = list(embedded.documents())
                started, cpu = time.perf_counter(), time.process_time() + _children_cpu()
                write_all(config, documents)
                built, built_cpu = time.perf_counter() - started, time.process_time() + _children_cpu() - cpu
                size = sum(disk_size(Path(s.path)) for s in config.shards if s.path)
                print(f"{len(documents)} documents on {len(config.shards)} shards: written in {built:.1f} s "
                      f"({built_cpu:.1f} s CPU in the writer and its worker processes), {size / 1e6:.0f} MB on disk "
                      f"(embedded index: {embedded.stats().size_bytes / 1e6:.0f} MB)")
            with open_cluster(directory / "cluster.toml") as cluster:
                differ = differences(cluster, embedded, queries)
                same = len(queries) - sum(not line.endswith("another copy leads a group") for line in differ)
                print(f"same answers (total, facets, hits as duplicate groups): {same} of {len(queries)} queries")
                for line in differ:
                    print(f"  differs: {line}")
                print(f"same first hit: {top_agreement(cluster, embedded, queries):.0%} of the queries with hits")
                ours = measure(cluster, queries, repeat=args.repeat)
                theirs = measure(embedded, queries, repeat=args.repeat)
                print(row("cluster, warm", ours["overall"]))
                print(row("embedded, warm", theirs["overall"]))
                if args.keep:
                    print(f"cluster kept: {directory / 'cluster.toml'} (zhsearch cluster down --dir {directory})")
                    return 0
                victim = servers.recorded(directory)[-1]
                os.killpg(int(victim["pid"]), signal.SIGTERM)  # type: ignore[call-overload]
                time.sleep(0.5)
                down = measure(cluster, queries, repeat=args.repeat)
                print(row(f"cluster, 1 of {args.shards} shards down", down["overall"]))
                page = cluster.search("中国", limit=1)
                print(f"  中国 with a shard down: total {page.total}, warnings {list(page.warnings)}")
    finally:
        if not args.keep:
            servers.stop(directory)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
