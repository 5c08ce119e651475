"""Warm query latency through the Python API: p50/p95/p99 of the committed query set.

Every query of ``bench/queries.txt`` goes through ``SearchIndex.search`` exactly as the web page
calls it (first page of 10, snippets, facets and duplicate grouping on). One warm-up round runs
first (it also builds the per-generation caches: duplicate table, facet postings, suggestion
vocabulary), then ``--repeat`` measured rounds. Prints the percentiles over every measured
call, per category, and the slowest queries by median.

    python bench/queries.py --index DIR [--repeat 5] [--category common] [--json FILE] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

QUERIES = Path(__file__).with_name("queries.txt")


def load_queries(path: Path | str = QUERIES) -> list[tuple[str, str]]:
    """The (category, query) pairs of a query file, in file order."""
    pairs: list[tuple[str, str]] = []
    category = ""
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            category = line[1:-1].strip()
            continue
        if not category:
            raise ValueError(f"{path}:{number}: query before the first [category] line")
        pairs.append((category, line))
    return pairs


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) by linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float]) -> dict[str, float]:
    """Milliseconds: count, p50, p95, p99, mean and max of a list of seconds."""
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "mean": statistics.fmean(ms) if ms else math.nan,
        "max": max(ms) if ms else math.nan,
    }


def measure(
    index: Any, queries: list[tuple[str, str]], *, repeat: int = 5, warmup: int = 1, limit: int = 10
) -> dict[str, Any]:
    """Time every query ``repeat`` times after ``warmup`` rounds; the figures as a JSON-able dict."""
    totals: dict[str, int] = {}
    for _ in range(warmup):
        for _, query in queries:
            totals[query] = index.search(query, limit=limit, facets=True).total
    times: dict[str, list[float]] = {query: [] for _, query in queries}
    cpu: list[float] = []  # this thread's CPU time per call: what the load of a shared machine adds nothing to
    clock, cpu_clock = time.perf_counter, time.thread_time
    for _ in range(repeat):
        for _, query in queries:
            started, cpu_started = clock(), cpu_clock()
            page = index.search(query, limit=limit, facets=True)
            cpu.append(cpu_clock() - cpu_started)
            times[query].append(clock() - started)
            totals[query] = page.total
    every = [t for ts in times.values() for t in ts]
    by_category: dict[str, list[float]] = {}
    for category, query in queries:
        by_category.setdefault(category, []).extend(times[query])
    per_query = [
        {
            "category": category,
            "query": query,
            "total": totals.get(query, 0),
            "median_ms": statistics.median(times[query]) * 1000 if times[query] else math.nan,
            "max_ms": max(times[query]) * 1000 if times[query] else math.nan,
        }
        for category, query in queries
    ]
    return {
        "overall": summary(every),
        "overall_cpu": summary(cpu),
        "categories": {name: summary(values) for name, values in by_category.items()},
        "queries": per_query,
    }


def print_report(figures: dict[str, Any], slowest: int) -> None:
    head = f"{'category':10s} {'n':>5s} {'p50':>9s} {'p95':>9s} {'p99':>9s} {'max':>9s}   (ms, wall clock)"
    print(head)

    def row(name: str, s: dict[str, float]) -> None:
        print(f"{name:10s} {s['n']:5d} {s['p50']:9.1f} {s['p95']:9.1f} {s['p99']:9.1f} {s['max']:9.1f}")

    for name, s in figures["categories"].items():
        row(name, s)
    row("ALL", figures["overall"])
    row("ALL (CPU)", figures["overall_cpu"])
    if slowest:
        print(f"\nslowest {slowest} queries by median:")
        ranked = sorted(figures["queries"], key=lambda q: -q["median_ms"])
        for q in ranked[:slowest]:
            text = q["query"] if len(q["query"]) <= 40 else q["query"][:39] + "…"
            print(f"  {q['median_ms']:9.1f} ms  {q['total']:6d} hits  [{q['category']}] {text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, help="the zhsearch index directory")
    parser.add_argument("--queries", default=str(QUERIES), help="query file (default: bench/queries.txt)")
    parser.add_argument("--repeat", type=int, default=5, help="measured rounds (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up rounds (default 1)")
    parser.add_argument("--category", action="append", help="only this category (repeatable)")
    parser.add_argument("--slowest", type=int, default=10, help="list the N slowest queries")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON ('-' for stdout only)")
    parser.add_argument("--profile", action="store_true", help="cProfile the measured rounds; print top functions")
    args = parser.parse_args()

    queries = load_queries(args.queries)
    if args.category:
        queries = [(c, q) for c, q in queries if c in args.category]
        if not queries:
            parser.error(f"no query in categories {args.category}")

    from zhsearch.search import open_index

    started = time.perf_counter()
    with open_index(args.index) as index:
        opened = time.perf_counter() - started
        documents = len(index)
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            measure(index, queries, repeat=0, warmup=args.warmup)  # warm outside the profile
            profiler.enable()
            figures = measure(index, queries, repeat=args.repeat, warmup=0)
            profiler.disable()
        else:
            figures = measure(index, queries, repeat=args.repeat, warmup=args.warmup)
    figures.update(
        index=str(args.index),
        documents=documents,
        queries_file=str(args.queries),
        repeat=args.repeat,
        warmup=args.warmup,
        open_seconds=opened,
        python=platform.python_version(),
    )
    if args.json == "-":
        json.dump(figures, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    print(f"{documents} documents, {len(queries)} queries × {args.repeat} rounds (after {args.warmup} warm-up)")
    print_report(figures, args.slowest)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if profiler is not None:
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(25)
            print(f"\n--- profile by {order} ---")
            print(out.getvalue().split("\n", 6)[-1] if out.getvalue() else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
