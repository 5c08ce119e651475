"""Recall and phrase precision of zhsearch against a brute-force scan of the same texts.

Samples substrings of the indexed (cleaned) texts — 1–8 Chinese characters, whole Latin words,
and quoted phrases of several tokens — searches each through the public API, and compares the
hits with a scan of every document's normalized title and text. Prints recall and precision;
both must be 100%.

    python bench/recall.py --index DIR [--samples 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time

from search import open_index
from search.analysis import CHAR_TOKEN
from search.normalize import fold, script_variants

CJK_RUN = re.compile(r"[\u3400-\u9fff]{1,}")
SEP = "\x01"


def token_string(text: str) -> str:
    """The normalized text as its character-token sequence, separated so matches align."""
    return SEP + SEP.join(m.group() for m in CHAR_TOKEN.finditer(fold(text))) + SEP


def expected(query: str, docs: dict[str, str]) -> set[str]:
    needles = [token_string(v) for v in script_variants(query)]
    return {doc_id for doc_id, tokens in docs.items() if any(n in tokens for n in needles)}


def sample_queries(rng: random.Random, texts: list[str], n: int) -> list[tuple[str, str]]:
    queries: list[tuple[str, str]] = []
    while len(queries) < n:
        text = rng.choice(texts)
        kind = rng.random()
        if kind < 0.6:
            runs = CJK_RUN.findall(text)
            if not runs:
                continue
            run = rng.choice(runs)
            length = rng.randint(1, min(8, len(run)))
            start = rng.randrange(len(run) - length + 1)
            queries.append(("chars", run[start : start + length]))
        elif kind < 0.75:
            words = re.findall(r"[A-Za-z][A-Za-z0-9]{1,}|\d{2,}", text)
            if words:
                queries.append(("latin", rng.choice(words)))
        else:
            if len(text) < 20:
                continue
            start = rng.randrange(len(text) - 12)
            snippet = text[start : start + rng.randint(4, 12)].replace('"', "")
            if len(CHAR_TOKEN.findall(fold(snippet))) >= 2:
                queries.append(("phrase", f'"{snippet}"'))
    return queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open_index(args.index) as index:
        started = time.perf_counter()
        originals = {d.id: (d.title, d.text) for d in index.documents()}
        docs = {i: token_string(t) + token_string(x) for i, (t, x) in originals.items()}
        texts = [x or t for t, x in originals.values()]
        print(f"{len(docs)} documents loaded in {time.perf_counter() - started:.1f}s")
        queries = sample_queries(rng, texts, args.samples)
        missed = extra = found = wanted = 0
        by_kind: dict[str, list[int]] = {}
        for kind, query in queries:
            want = expected(query.strip('"'), docs)
            got = index.matching_ids(query)
            miss, wrong = len(want - got), len(got - want)
            missed += miss
            extra += wrong
            found += len(got & want)
            wanted += len(want)
            stats = by_kind.setdefault(kind, [0, 0, 0])
            stats[0] += 1
            stats[1] += miss
            stats[2] += wrong
            if miss or wrong:
                print(f"  MISMATCH {kind} {query!r}: {miss} missed, {wrong} unexpected", file=sys.stderr)
        recall = found / wanted if wanted else 1.0
        precision = found / (found + extra) if found + extra else 1.0
        for kind, (n, miss, wrong) in sorted(by_kind.items()):
            print(f"{kind:7s} {n:5d} queries, {miss} documents missed, {wrong} unexpected")
        print(f"queries: {len(queries)}  expected hits: {wanted}  recall: {recall:.4%}  precision: {precision:.4%}")
        return 0 if missed == 0 and extra == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
