"""Snippet speed: the cost of one snippet and title highlight, next to segmenting the article.

Snippets are built from the stored text by searching the normalized needles (no segmenter runs
over the article; jieba only places a cut inside one over-long sentence). This prints the time
per hit for a sample of indexed articles, each searched for a word of its own title, and the
time jieba takes to segment the same texts, which is what re-analyzing each hit would cost.

    python bench/snippets.py --index /tmp/zhsearch-corpus --sample 1000
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from zhsearch.search import SearchIndex
from zhsearch.search.text.analysis import AnalyzerConfig, WordTokenizer
from zhsearch.search.results.snippets import highlight, snippet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    with SearchIndex.open(args.index) as index:
        docs = [d for d in index.documents() if d.text.strip() and d.title.strip()]
        config = index.config
    rng = random.Random(args.seed)
    docs = rng.sample(docs, min(args.sample, len(docs)))
    words = WordTokenizer(config)
    cases = []
    for doc in docs:
        title_words = [t.text for t in words(doc.title) if len(t.text) > 1] or [doc.title[:2]]
        cases.append((doc, [rng.choice(title_words)]))

    for doc, needles in cases[:20]:  # warm up: OpenCC tables, the jieba dictionary
        snippet(doc.text, needles, simplify=config.simplify)
    snippet_times: list[float] = []
    for doc, needles in cases:
        t0 = time.perf_counter()
        snippet(doc.text, needles, simplify=config.simplify)
        highlight(doc.title, needles, simplify=config.simplify)
        snippet_times.append(time.perf_counter() - t0)

    segmenter = WordTokenizer(AnalyzerConfig(simplify=config.simplify, hmm=config.hmm, user_words=config.user_words))
    jieba_times: list[float] = []
    for doc, _ in cases:
        t0 = time.perf_counter()
        for _token in segmenter(doc.text):
            pass
        jieba_times.append(time.perf_counter() - t0)

    chars = statistics.mean(len(doc.text) for doc, _ in cases)
    snippet_times.sort()
    jieba_times.sort()

    def p95(values: list[float]) -> float:
        return values[int(0.95 * (len(values) - 1))]

    print(f"articles: {len(cases)}, mean length {chars:.0f} characters")
    print(f"snippet + title highlight per hit: median {statistics.median(snippet_times) * 1000:.2f} ms, "
          f"p95 {p95(snippet_times) * 1000:.2f} ms; a page of 10 hits ≈ {10 * statistics.mean(snippet_times) * 1000:.1f} ms")
    print(f"jieba over the same article text:  median {statistics.median(jieba_times) * 1000:.2f} ms, "
          f"p95 {p95(jieba_times) * 1000:.2f} ms")
    print(f"ratio (jieba / snippet, medians): {statistics.median(jieba_times) / statistics.median(snippet_times):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
