"""Known-item search: does an article's exact title find that article first?

For every indexed article whose title no other article shares, search the title (as a user
would paste it: duplicates collapsed, default ranking) and count it found when the first hit is
the article itself or the duplicate group the article was collapsed into. Prints the rate, the
query latency, and the misses.

    python bench/known_item.py --index /tmp/zhsearch-corpus            # every unique title
    python bench/known_item.py --index /tmp/zhsearch-corpus --sample 2000
    python bench/known_item.py --cluster /tmp/zhsearch-cluster/cluster.toml --sample 2000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from zhsearch.search import SearchIndex, open_cluster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--index", type=Path, help="an index built with zhsearch index")
    where.add_argument("--cluster", type=Path, help="a cluster file: the same on a Xapian cluster")
    parser.add_argument("--sample", type=int, default=0, help="check this many random titles (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--misses", type=Path, help="write every miss as a JSON line to this file")
    args = parser.parse_args(argv)

    with (open_cluster(args.cluster) if args.cluster else SearchIndex.open(args.index)) as index:
        documents = [(doc.id, doc.title) for doc in index.documents()]
        counts = Counter(title for _, title in documents)
        unique = [(doc_id, title) for doc_id, title in documents if title.strip() and counts[title] == 1]
        if args.sample and args.sample < len(unique):
            unique = random.Random(args.seed).sample(unique, args.sample)
        found = 0
        latencies: list[float] = []
        misses: list[dict[str, object]] = []
        long_titles = long_found = 0
        started = time.perf_counter()
        for n, (doc_id, title) in enumerate(unique, 1):
            t0 = time.perf_counter()
            page = index.search(title, limit=1, facets=False)
            latencies.append(time.perf_counter() - t0)
            first = page.hits[0] if page.hits else None
            ok = first is not None and (first.id == doc_id or any(d.id == doc_id for d in first.duplicates))
            is_long = any(w.startswith("the query is long") for w in page.warnings)
            long_titles += is_long
            if ok:
                found += 1
                long_found += is_long
            else:
                misses.append({"id": doc_id, "title": title, "first": first.id if first else None,
                               "first_title": first.title if first else None, "long": is_long})
            if n % 2000 == 0:
                print(f"  {n}/{len(unique)} checked, {found / n:.2%} found first", file=sys.stderr)
        elapsed = time.perf_counter() - started

    total = len(unique)
    latencies.sort()
    print(f"articles: {len(documents)}; unique titles checked: {total}")
    print(f"found first: {found}/{total} = {found / total:.2%}")
    if long_titles:
        print(f"  titles searched as long queries (any-term): {long_titles}, found first {long_found / long_titles:.2%}")
    print(f"query latency: median {statistics.median(latencies) * 1000:.1f} ms, "
          f"p95 {latencies[int(0.95 * (total - 1))] * 1000:.1f} ms; {elapsed:.0f} s in all")
    for miss in misses[:15]:
        print(f"  missed {miss['title']!r} -> first {miss['first_title']!r}")
    if args.misses:
        with args.misses.open("w", encoding="utf-8") as out:
            for miss in misses:
                out.write(json.dumps(miss, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
