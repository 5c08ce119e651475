"""Passage known-item search: does a random passage from inside an article find that article first?

Draws articles at random from the index it is given (seeded; the seed is printed), cuts a
passage of a random length between --min-chars and --max-chars at a random place inside each
article's cleaned text, searches it as a pasted query would be (duplicates collapsed, default
ranking) and counts it found when the first hit is the article itself or the duplicate group it
was collapsed into. Also prints the share found in the first ten, the MRR@10, the query
latency, and how many passages occur word for word in some article outside that group (no
ranking can put the right one first for those, except by luck).

    python bench/passage_known_item.py --index /tmp/zhsearch-corpus --sample 1000
    python bench/passage_known_item.py --index /tmp/zhsearch-corpus --set feedback_terms=20
    python bench/passage_known_item.py --cluster /tmp/zhsearch-cluster/cluster.toml --sample 1000

``--set NAME=VALUE`` changes one field of :class:`search.queries.longquery.LongQueryOptions` for the run
(the variants measured in BENCHMARKS.md); ``--bm25 K1=1.5,text_B=0.9`` runs every query with
other BM25F parameters (``B``, ``K1``, and ``<field>_B`` per field). Run against an older checkout
(``PYTHONPATH=that/checkout``) it measures that checkout's ranking.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from zhsearch.search import SearchIndex

try:
    from zhsearch.search.queries.longquery import LongQueryOptions
except ImportError:  # a checkout from before long queries were chosen by weight: its own ranking
    LongQueryOptions = None  # type: ignore[assignment,misc]


def passages(texts: list[tuple[str, str]], count: int, low: int, high: int, rng: random.Random) -> list[tuple[str, str]]:
    """``count`` (article id, passage) pairs: random articles with at least ``low`` characters of
    text, a random length in [low, high] (at most the text's), a random start."""
    usable = [(doc_id, text) for doc_id, text in texts if len(text.strip()) >= low]
    drawn = []
    for doc_id, text in rng.sample(usable, min(count, len(usable))):
        size = rng.randint(low, min(high, len(text)))
        start = rng.randint(0, len(text) - size)
        drawn.append((doc_id, text[start : start + size]))
    return drawn


def parse_setting(raw: str) -> tuple[str, object]:
    name, _, value = raw.partition("=")
    fields = {f.name: f for f in dataclasses.fields(LongQueryOptions)}
    if name not in fields:
        raise SystemExit(f"--set: no option {name!r}; options: {', '.join(fields)}")
    default = getattr(LongQueryOptions(), name)
    kind = type(default) if default is not None else float
    if kind is bool:
        return name, value.lower() in {"1", "true", "yes", "on"}
    return name, kind(value)


def _open_cluster(location: Path) -> Any:
    from zhsearch.search import open_cluster

    return open_cluster(location)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--index", type=Path, help="an index built with zhsearch index")
    where.add_argument("--cluster", type=Path, help="a cluster file: the same on a Xapian cluster")
    parser.add_argument("--sample", type=int, default=1000, help="passages drawn")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: drawn, and printed)")
    parser.add_argument("--min-chars", type=int, default=80)
    parser.add_argument("--max-chars", type=int, default=300)
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="a long-query option for this run (repeatable)")
    parser.add_argument("--bm25", default="", metavar="NAME=VALUE,…", help="BM25F parameters for this run")
    parser.add_argument("--misses", type=Path, help="write every miss as a JSON line to this file")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    settings = dict(parse_setting(s) for s in args.settings)
    if args.bm25:
        from whoosh import scoring

        import zhsearch.search.embedded.engine
        parameters = {k: float(v) for k, v in (p.split("=") for p in args.bm25.split(","))}
        zhsearch.search.embedded.engine.scoring = _Scoring(lambda: scoring.BM25F(**parameters))  # type: ignore[assignment]

    if args.cluster and args.bm25:
        raise SystemExit("--bm25 changes the embedded index's weighting only (the cluster's is in its terms)")
    with (_open_cluster(args.cluster) if args.cluster else SearchIndex.open(args.index)) as index:
        if LongQueryOptions is not None:
            index.long_options = dataclasses.replace(index.long_options, **settings)  # type: ignore[arg-type]
        texts = [(doc.id, doc.text) for doc in index.documents()]
        drawn = passages(texts, args.sample, args.min_chars, args.max_chars, random.Random(seed))
        archive = "\x00".join(text for _, text in texts)
        starts, at = {}, 0
        for doc_id, text in texts:
            starts[at] = doc_id
            at += len(text) + 1
        offsets = sorted(starts)
        print(f"seed {seed}; {len(drawn)} passages of {args.min_chars}-{args.max_chars} characters from "
              f"{len(texts)} articles; options {getattr(index, 'long_options', 'none (this checkout has none)')}"
              + (f"; BM25F {args.bm25}" if args.bm25 else ""), flush=True)
        found = in_ten = ambiguous = ambiguous_found = 0
        reciprocal = 0.0
        latencies: list[float] = []
        misses: list[dict[str, object]] = []
        for n, (doc_id, passage) in enumerate(drawn, 1):
            t0 = time.perf_counter()
            page = index.search(passage, limit=10, facets=False)
            latencies.append(time.perf_counter() - t0)
            rank = next((r for r, hit in enumerate(page.hits, 1)
                         if hit.id == doc_id or any(d.id == doc_id for d in hit.duplicates)), None)
            group = {doc_id} | ({d.id for d in page.hits[rank - 1].duplicates} if rank else set())
            elsewhere = _holders(archive, passage, offsets, starts) - group
            ambiguous += bool(elsewhere)
            if rank == 1:
                found += 1
                ambiguous_found += bool(elsewhere)
            else:
                first = page.hits[0] if page.hits else None
                misses.append({"id": doc_id, "rank": rank, "first": first.id if first else None,
                               "passage": passage, "also_in": sorted(elsewhere)[:5]})
            in_ten += rank is not None
            reciprocal += 1 / rank if rank else 0.0
            if n % 200 == 0:
                print(f"  {n}/{len(drawn)}: {found / n:.2%} found first", file=sys.stderr, flush=True)

    total = len(drawn)
    latencies.sort()
    print(f"found first: {found}/{total} = {found / total:.2%}; in the first 10: {in_ten / total:.2%}; "
          f"MRR@10 {reciprocal / total:.4f}")
    print(f"passages also found word for word outside the article's group: {ambiguous} "
          f"({ambiguous_found} of them found first anyway)")
    print(f"query latency: median {statistics.median(latencies) * 1000:.1f} ms, "
          f"p95 {latencies[int(0.95 * (total - 1))] * 1000:.1f} ms")
    if args.misses:
        with args.misses.open("w", encoding="utf-8") as out:
            for miss in misses:
                out.write(json.dumps(miss, ensure_ascii=False) + "\n")
    return 0


class _Scoring:
    """Whoosh's scoring module as search.embedded.engine sees it, with another BM25F."""

    def __init__(self, bm25f: object) -> None:
        from whoosh import scoring

        self._module, self.BM25F = scoring, bm25f

    def __getattr__(self, name: str) -> object:
        return getattr(self._module, name)


def _holders(archive: str, passage: str, offsets: list[int], starts: dict[int, str]) -> set[str]:
    """The ids of the articles whose text contains ``passage`` word for word."""
    import bisect

    found: set[str] = set()
    at = archive.find(passage)
    while at != -1 and len(found) < 20:
        found.add(starts[offsets[bisect.bisect_right(offsets, at) - 1]])
        at = archive.find(passage, at + 1)
    return found


if __name__ == "__main__":
    sys.exit(main())
