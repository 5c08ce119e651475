"""Recall and precision of quoted terms against a brute-force scan of the same texts.

Samples strings of the indexed (cleaned) texts — 1–8 Chinese characters, whole Latin words,
phrases of 4–12 characters cut anywhere (punctuation and line breaks included), clauses around
a punctuation mark, and 2–8 Chinese characters with 1–3 spaces put between them — searches each quoted through the public API, and compares the hits
with a scan of every document's normalized title and text under README's definition of a match
("What matching guarantees"), checked here with regular expressions and nothing of the
analyzers: the query's pieces of letters and digits with a run of any separators (anything else:
punctuation, spaces, line breaks) between them, where the query has a space next to a Chinese
character none is needed either (up to four such spaces), the query's leading and trailing
separators ignored, Latin words and numbers whole. Prints recall and precision; both must be 100%. The
Chinese samples are searched unquoted too (words, each required): recall must stay 100%.

    python bench/recall.py --index DIR [--samples 1000] [--seed 1]
    python bench/recall.py --cluster FILE [--samples 1000] [--seed 1]   # the same on a Xapian cluster
"""

from __future__ import annotations

import argparse
import functools
import random
import re
import sys
import time

from zhsearch.search import open_cluster, open_index
from zhsearch.search.text.normalize import fold, script_variants

# Letters of the scripts indexed one character at a time (ideographs, kana, hangul).
STANDALONE = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
PIECE = re.compile(r"[^\W_]+")  # letters and digits; everything else separates
SEPARATORS = r"[\W_]+"
LATIN = f"[^\\W_{STANDALONE}]"  # a letter or digit of a word matched whole
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
SEPARATOR_RUN = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=4096)
def pattern(variant: str) -> tuple[str, re.Pattern[str]] | None:
    """A literal the field must contain, and the regular expression of a match of ``variant``."""
    pieces = list(PIECE.finditer(variant))
    if not pieces:
        return None
    gaps = [variant[a.end() : b.start()] for a, b in zip(pieces, pieces[1:])]
    # Spaces next to a Chinese (CJK) character may also be absent, up to four of them.
    optional = [
        gap.isspace() and bool(re.search(f"[{STANDALONE}]$", a.group()) or re.match(f"[{STANDALONE}]", b.group()))
        for gap, a, b in zip(gaps, pieces, pieces[1:])
    ]
    if sum(optional) > 4:
        optional = [False] * len(gaps)
    body = re.escape(pieces[0].group())
    for piece, maybe in zip(pieces[1:], optional):
        body += (r"[\W_]*" if maybe else SEPARATORS) + re.escape(piece.group())
    if re.match(LATIN, pieces[0].group()):
        body = f"(?<!{LATIN})" + body
    if re.search(f"{LATIN}$", pieces[-1].group()):
        body += f"(?!{LATIN})"
    return max((p.group() for p in pieces), key=len), re.compile(body)


def expected(query: str, fields: dict[str, tuple[str, str]]) -> set[str]:
    """The documents whose normalized title or text holds a spelling of ``query``."""
    checks = [p for p in map(pattern, script_variants(query)) if p is not None]
    return {
        doc_id
        for doc_id, values in fields.items()
        if any(literal in value and regex.search(value) for literal, regex in checks for value in values)
    }


def sample_queries(rng: random.Random, texts: list[str], n: int) -> list[tuple[str, str]]:
    queries: list[tuple[str, str]] = []
    while len(queries) < n:
        text = rng.choice(texts)
        kind = rng.random()
        if kind < 0.45:
            runs = CJK_RUN.findall(text)
            if not runs:
                continue
            run = rng.choice(runs)
            length = rng.randint(1, min(8, len(run)))
            start = rng.randrange(len(run) - length + 1)
            queries.append(("chars", run[start : start + length]))
        elif kind < 0.6:
            words = re.findall(r"[A-Za-z][A-Za-z0-9]{1,}|\d{2,}", text)
            if words:
                queries.append(("latin", rng.choice(words)))
        elif kind < 0.75:
            if len(text) < 20:
                continue
            start = rng.randrange(len(text) - 12)
            snippet = text[start : start + rng.randint(4, 12)].replace('"', "")
            if len(PIECE.findall(fold(snippet))) >= 1 and len(fold(snippet).strip()) >= 2:
                queries.append(("phrase", snippet))
        elif kind < 0.9:
            # A clause boundary: a few characters, the punctuation or space there, a few more.
            gaps = [m for m in SEPARATOR_RUN.finditer(text) if 0 < m.start() and m.end() < len(text)]
            if not gaps:
                continue
            gap = rng.choice(gaps)
            before, after = rng.randint(1, 4), rng.randint(1, 4)
            clause = text[max(0, gap.start() - before) : gap.end() + after].replace('"', "")
            if len(PIECE.findall(fold(clause))) >= 2:
                queries.append(("clause", clause))
        else:
            # 2–8 Chinese characters with spaces between words, as people type them.
            runs = [r for r in CJK_RUN.findall(text) if len(r) >= 2]
            if not runs:
                continue
            run = rng.choice(runs)
            length = rng.randint(2, min(8, len(run)))
            start = rng.randrange(len(run) - length + 1)
            chars = list(run[start : start + length])
            for cut in sorted(rng.sample(range(1, length), rng.randint(1, min(3, length - 1))), reverse=True):
                chars.insert(cut, " ")
            queries.append(("spaced", "".join(chars)))
    return queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--index", help="an index built with zhsearch index")
    where.add_argument("--cluster", help="a cluster file (README: Past one machine)")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"seed {args.seed}")
    rng = random.Random(args.seed)
    with (open_cluster(args.cluster) if args.cluster else open_index(args.index)) as index:
        started = time.perf_counter()
        originals = {d.id: (d.title, d.text) for d in index.documents()}
        fields = {i: (fold(t), fold(x)) for i, (t, x) in originals.items()}
        texts = [x or t for t, x in originals.values()]
        print(f"{len(fields)} documents loaded in {time.perf_counter() - started:.1f}s")
        queries = sample_queries(rng, texts, args.samples)
        missed = extra = found = wanted = unquoted_missed = 0
        by_kind: dict[str, list[int]] = {}
        started = time.perf_counter()
        for kind, query in queries:
            want = expected(query, fields)
            got = index.matching_ids(f'"{query}"')
            miss, wrong = len(want - got), len(got - want)
            missed += miss
            extra += wrong
            found += len(got & want)
            wanted += len(want)
            stats = by_kind.setdefault(kind, [0, 0, 0, 0])
            stats[0] += 1
            stats[1] += len(want)
            stats[2] += miss
            stats[3] += wrong
            if miss or wrong:
                print(f"  MISMATCH {kind} {query!r}: {miss} missed, {wrong} unexpected", file=sys.stderr)
            if kind == "chars":
                loose = len(want - index.matching_ids(query))
                unquoted_missed += loose
                if loose:
                    print(f"  UNQUOTED MISS {query!r}: {loose} missed", file=sys.stderr)
        recall = found / wanted if wanted else 1.0
        precision = found / (found + extra) if found + extra else 1.0
        for kind, (n, hits, miss, wrong) in sorted(by_kind.items()):
            print(f"{kind:7s} {n:5d} queries, {hits} expected hits, {miss} documents missed, {wrong} unexpected")
        print(f"chars unquoted: {unquoted_missed} documents missed (words, each required: a superset)")
        print(f"queries: {len(queries)}  expected hits: {wanted}  recall: {recall:.4%}  precision: {precision:.4%}"
              f"  ({time.perf_counter() - started:.0f}s)")
        return 0 if missed == 0 and extra == 0 and unquoted_missed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
