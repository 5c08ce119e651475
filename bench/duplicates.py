"""Duplicate collapse: precision and recall of the near-duplicate groups against exact Jaccard.

Pairs are made from the indexed articles (texts of at least --min-chars characters) drawn with
--seed (printed):

- an edited copy of each sampled article: sentences deleted, inserted (from other articles) or
  replaced, and characters inserted, deleted or replaced, each at a rate drawn for the pair
  between 0 and --max-rate, sometimes with an editor's line or a footer added; so the pairs
  span similarities from identical to clearly different;
- the article and its best-ranked other article for its own title (``dedup=False``): another
  article on the same topic, usually not a copy.

Each pair is labelled a copy when the exact Jaccard similarity of its 5-character shingles is at
least --threshold, and counted collapsed when search.results.duplicates puts both texts in one group
(all pairs grouped in one run, as an index is). Prints precision and recall of the collapse,
pairs by similarity, what a 3-bit SimHash radius catches of the same pairs, and (with --whole)
the time to group every article of the index and the groups found.

    python bench/duplicates.py --index /tmp/zhsearch-corpus --pairs 2000 --seed 1
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zhsearch.indexer import hamming, simhash
from zhsearch.search import SearchIndex
from zhsearch.search.results.duplicates import DEFAULT_THRESHOLD, DuplicateGroups, jaccard, text_shingles
from zhsearch.search.text.normalize import fold

_SENTENCE = re.compile(r"(?<=[。！？!?\n])")
EDITOR_LINES = ("（编辑：陈静）", "（责任编辑：张伟）", "本文来源：综合报道", "（完）")


@dataclass(frozen=True)
class Pair:
    kind: str  # "edited" or "same topic"
    first: int  # indexes into the texts
    second: int
    similarity: float  # exact Jaccard of the shingles
    rate: float = 0.0  # the edit rate of an edited copy


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s]


def edit(text: str, rate: float, rng: random.Random, donors: Sequence[str]) -> str:
    """``text`` with sentences and characters edited at ``rate`` (a share of each)."""
    parts = sentences(text)
    edited: list[str] = []
    for part in parts:
        roll = rng.random()
        if roll < rate / 3:
            continue  # deleted
        if roll < 2 * rate / 3:
            edited.append(rng.choice(sentences(rng.choice(donors)) or [part]))  # replaced
            continue
        edited.append(part)
        if roll < rate:
            edited.append(rng.choice(sentences(rng.choice(donors)) or [part]))  # inserted after
    chars = list("".join(edited))
    for _ in range(int(len(chars) * rate / 10)):  # a tenth of the rate in single characters
        at = rng.randrange(len(chars) + 1)
        op = rng.randrange(3)
        if op == 0 or not chars[at:]:
            chars.insert(at, chr(rng.randint(0x4E00, 0x9FA5)))
        elif op == 1:
            del chars[at]
        else:
            chars[at] = chr(rng.randint(0x4E00, 0x9FA5))
    result = "".join(chars)
    if rng.random() < 0.3:
        result += "\n" + rng.choice(EDITOR_LINES)
    return result


def score(pairs: Sequence[Pair], groups: DuplicateGroups, threshold: float) -> dict[str, float]:
    """Precision and recall of ``groups`` on ``pairs`` labelled by their exact similarity."""
    tp = fp = fn = 0
    for pair in pairs:
        copy = pair.similarity >= threshold
        collapsed = groups.group(pair.first) == groups.group(pair.second)
        tp += copy and collapsed
        fp += collapsed and not copy
        fn += copy and not collapsed
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "copies": tp + fn,
        "collapsed": tp + fp,
        "true": tp,
        "false": fp,
        "missed": fn,
    }


def make_pairs(index: SearchIndex, *, count: int, seed: int, max_rate: float, min_chars: int) -> tuple[list[str], list[Pair]]:
    documents = [doc for doc in index.documents() if len(doc.text) >= min_chars]
    rng = random.Random(seed)
    sampled = rng.sample(documents, min(count, len(documents)))
    texts: list[str] = []
    pairs: list[Pair] = []
    for n, doc in enumerate(sampled, 1):
        rate = rng.uniform(0, max_rate)
        copy = edit(doc.text, rate, rng, [d.text for d in rng.sample(documents, 3)])
        texts += [doc.text, copy]
        pairs.append(Pair("edited", len(texts) - 2, len(texts) - 1, _similarity(doc.text, copy), rate))
        page = index.search(doc.title, limit=3, dedup=False, facets=False) if doc.title.strip() else None
        other = next((h for h in page.hits if h.id != doc.id), None) if page else None
        if other is not None:
            text = index.document(other.id).text
            if text and fold(text) != fold(doc.text):
                texts.append(text)
                pairs.append(Pair("same topic", len(texts) - 3, len(texts) - 1, _similarity(doc.text, text)))
        if n % 200 == 0:
            print(f"  {n}/{len(sampled)} articles paired", file=sys.stderr)
    return texts, pairs


def _similarity(a: str, b: str) -> float:
    return jaccard(text_shingles(a), text_shingles(b))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="an index built with zhsearch index")
    parser.add_argument("--pairs", type=int, default=2000, help="articles to draw (one edited copy each, and one "
                        "article on the same topic when the title finds one)")
    parser.add_argument("--seed", type=int, default=None, help="random unless given; printed")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--max-rate", type=float, default=0.2, help="the largest edit rate drawn")
    parser.add_argument("--min-chars", type=int, default=200, help="articles with shorter texts are not drawn")
    parser.add_argument("--whole", action="store_true", help="also group every article of the index, timed")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    print(f"seed {seed}, threshold {args.threshold}")

    with SearchIndex.open(args.index) as index:
        texts, pairs = make_pairs(index, count=args.pairs, seed=seed, max_rate=args.max_rate,
                                  min_chars=args.min_chars)
        started = time.perf_counter()
        groups = DuplicateGroups(enumerate(texts), threshold=args.threshold)
        elapsed = time.perf_counter() - started
        print(f"{len(pairs)} pairs over {len(texts)} texts ({sum(p.kind == 'edited' for p in pairs)} edited copies, "
              f"{sum(p.kind == 'same topic' for p in pairs)} same-topic articles); grouped in {elapsed:.1f} s")
        for kind in ("all", "edited", "same topic"):
            chosen = [p for p in pairs if kind in ("all", p.kind)]
            figures = score(chosen, groups, args.threshold)
            print(f"  {kind:>10}: precision {figures['precision']:.2%}  recall {figures['recall']:.2%}  "
                  f"({figures['copies']} copies by Jaccard, {figures['collapsed']} collapsed: "
                  f"{figures['false']} wrongly, {figures['missed']} copies missed)")
        print("pairs by exact Jaccard: pairs, collapsed, caught by SimHash within 3 bits")
        edges = [0.0, 0.3, 0.5, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0001]
        for low, high in zip(edges, edges[1:]):
            chosen = [p for p in pairs if low <= p.similarity < high]
            collapsed = sum(groups.group(p.first) == groups.group(p.second) for p in chosen)
            near = sum(hamming(simhash(fold(texts[p.first])), simhash(fold(texts[p.second]))) <= 3 for p in chosen)
            print(f"  [{low:.2f}, {min(high, 1.0):.2f}{']' if high > 1 else ')'}: {len(chosen):5d} {collapsed:5d} {near:5d}")
        if args.whole:
            reader = index._ix.reader()
            try:
                started = time.perf_counter()
                whole = DuplicateGroups.from_reader(reader, threshold=args.threshold)
                elapsed = time.perf_counter() - started
                print(f"whole index: {reader.doc_count()} articles grouped in {elapsed:.1f} s: "
                      f"{len(whole.members)} groups holding {len(whole.root)} articles")
            finally:
                reader.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
