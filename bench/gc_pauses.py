"""Garbage-collection pauses inside warm queries: which collections fall in which queries, and what
they cost.

Draws ``bench/tail.py``'s random mix (``--per-kind`` of each kind, ``--seed`` printed) from the
index in a child process (the sampler's jieba tokenizer and pypinyin's tables, 200,000 lists, would
otherwise stay in the measured process, which a server does not hold), runs one warm-up round and
then ``--rounds`` measured rounds through ``SearchIndex.search`` (as the web page calls it), with a
``gc.callbacks`` hook timing every collection (its generation and duration) and the query it fell
in. Prints, for the warm-up round (each query seen for the first time, as most are by a server)
and for the measured rounds, per generation the count and total/max pause, the query p50/p99/max
with every query and without the queries a full (generation 2) collection fell in, the slowest
queries, and the objects the collector tracks after the warm-up (``gc.get_objects``, by type).

    python bench/gc_pauses.py --index DIR [--seed N] [--per-kind 40] [--rounds 3] [--freeze] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from queries import percentile  # noqa: E402
from tail import draw_apart  # noqa: E402

from zhsearch.search import SearchIndex  # noqa: E402


class Collections:
    """A ``gc.callbacks`` hook: each collection's generation, seconds and the query it fell in."""

    def __init__(self) -> None:
        self.query: int | None = None  # the query running, None between queries
        self.events: list[tuple[int, float, int | None]] = []  # (generation, seconds, query)
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.events.append((info["generation"], time.perf_counter() - self._start, self.query))


def tracked_by_type(top: int = 12) -> tuple[int, list[tuple[str, int]]]:
    """The objects the collector tracks now, and the commonest types among them."""
    objects = gc.get_objects()
    counts = Counter(type(o).__name__ for o in objects)
    return len(objects), counts.most_common(top)


def draw(index: str, seed: int, per_kind: int) -> list[tuple[str, str]]:
    """The queries of tail.py's mix (kind, query), drawn in a child process."""
    return [(s.kind, s.query) for s in draw_apart(index, cluster=False, seed=seed, per_kind=per_kind)]


def report(label: str, hook: Collections, ms: list[float], samples: list[tuple[str, str]]) -> dict[str, Any]:
    """Prints and returns the collections and the query times of one part of the run."""
    print(f"{label}: {len(ms)} queries")
    figures: dict[str, Any] = {"queries": len(ms)}
    for generation in (0, 1, 2):
        pauses = [s * 1e3 for g, s, _ in hook.events if g == generation]
        print(f"  generation {generation}: {len(pauses)} collections, total {sum(pauses):.1f} ms, "
              f"max {max(pauses, default=0.0):.1f} ms")
        figures[f"gen{generation}"] = {"count": len(pauses), "total_ms": sum(pauses), "max_ms": max(pauses, default=0.0)}
    full = {q for g, _, q in hook.events if g == 2 and q is not None}
    without = [m for i, m in enumerate(ms) if i not in full]
    print(f"  queries: p50 {percentile(ms, 50):.1f} ms, p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms; "
          f"without the {len(full)} a full collection fell in: p99 {percentile(without, 99):.1f} ms, "
          f"max {max(without):.1f} ms")
    pause_in: Counter[int] = Counter()
    for _, s, q in hook.events:
        if q is not None:
            pause_in[q] += s * 1e3
    for i in sorted(range(len(ms)), key=ms.__getitem__, reverse=True)[:3]:
        kind, query = samples[i % len(samples)]
        print(f"    {ms[i]:7.1f} ms ({pause_in[i]:.1f} ms collecting)  {kind:12} {query[:30]!r}")
    figures.update(p50=percentile(ms, 50), p99=percentile(ms, 99), max=max(ms), full_in=len(full),
                   p99_without=percentile(without, 99), max_without=max(without))
    return figures


def timed(index: SearchIndex, samples: list[tuple[str, str]], rounds: int) -> tuple[Collections, list[float]]:
    """``rounds`` rounds of the samples, each query timed, each collection noted."""
    hook = Collections()
    gc.callbacks.append(hook)
    ms: list[float] = []
    try:
        for _ in range(rounds):
            for _, query in samples:
                hook.query = len(ms)
                start = time.perf_counter()
                index.search(query)
                ms.append((time.perf_counter() - start) * 1e3)
                hook.query = None
    finally:
        gc.callbacks.remove(hook)
    return hook, ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--per-kind", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--freeze", action="store_true",
                        help="gc.freeze() once the index is open, as `zhsearch serve` does before its first request")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    print(f"seed {seed}, {args.per_kind} per kind, {args.rounds} rounds after a warm-up round"
          + (", gc.freeze() after opening" if args.freeze else ""))
    samples = draw(args.index, seed, args.per_kind)
    with SearchIndex.open(args.index) as index:
        if args.freeze:
            gc.freeze()
        warm_hook, warm_ms = timed(index, samples, 1)
        tracked, types = tracked_by_type()
        print(f"after the warm-up: {tracked} tracked objects; commonest: "
              + ", ".join(f"{name} {count}" for name, count in types[:6]))
        hook, ms = timed(index, samples, args.rounds)
    figures = {"seed": seed, "freeze": args.freeze, "tracked_after_warmup": tracked, "tracked_types": types,
               "warmup": report("warm-up round", warm_hook, warm_ms, samples),
               "measured": report("measured rounds", hook, ms, samples)}
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
