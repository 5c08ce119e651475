"""The queries a ``bench/tail.py --json`` run drew, searched again on other backends, side by side.

Drawing reads every stored article of the index, which at a few hundred thousand articles takes
minutes and gigabytes; a saved draw can be searched on any index or cluster of the same archive
instead (the embedded index and a cluster of it, an index before and after a change). For each
backend, in the order given, in one process: a warm-up round, then ``--repeat`` measured rounds of
``search()`` as the web page calls it (first page of 10, facets, duplicate groups); prints per kind
p50/p99/max and whether every backend gives each query the same total as the first one.

    python bench/replay.py --draw tail.json --index DIR --cluster FILE [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from queries import percentile  # noqa: E402
from tail import Sample, warm_python  # noqa: E402

from zhsearch.search import open_cluster, open_index  # noqa: E402


def load_draw(path: str) -> list[Sample]:
    """The samples a ``tail.py --json`` file recorded (kind, query, target, note)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Sample(s["kind"], s["query"], s.get("target"), s.get("note", "")) for s in data["samples"]]


def summary(samples: list[Sample], times: list[list[float]]) -> dict[str, tuple[float, float, float]]:
    """Per kind, in the draw's order: p50, p99 and max of every measured round, in ms."""
    by_kind: dict[str, list[float]] = {}
    for sample, rounds in zip(samples, times):
        by_kind.setdefault(sample.kind, []).extend(t * 1000 for t in rounds)
    return {kind: (percentile(xs, 50), percentile(xs, 99), max(xs)) for kind, xs in by_kind.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draw", required=True, help="a bench/tail.py --json file")
    parser.add_argument("--index", action="append", default=[], help="an embedded index (repeatable)")
    parser.add_argument("--cluster", action="append", default=[], help="a cluster file (repeatable)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    samples = load_draw(args.draw)
    backends = [("cluster", c, open_cluster) for c in args.cluster] + [("index", i, open_index) for i in args.index]
    if not backends:
        parser.error("give at least one --index or --cluster")
    print(f"{len(samples)} queries from {args.draw}; load average at start {os.getloadavg()[0]:.1f}")
    first: list[int] | None = None
    for label, location, opener in backends:
        with opener(location) as backend:
            times, _ranks, totals, _warmup = warm_python(backend, samples, args.repeat)
        print(f"{label} {location} (load {os.getloadavg()[0]:.1f})")
        for kind, (p50, p99, top) in summary(samples, times).items():
            print(f"  {kind:12s} p50 {p50:8.1f}  p99 {p99:8.1f}  max {top:8.1f} ms")
        if first is None:
            first = totals
        else:
            same = sum(a == b for a, b in zip(first, totals))
            print(f"  same totals as the first backend: {same} of {len(samples)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
