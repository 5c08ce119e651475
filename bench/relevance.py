"""Relevance on the RGB-zh news questions: zhsearch next to a character-bigram BM25, in one run.

Reads ``../shared/relevance/rgb-zh`` (``corpus.jsonl`` passages, ``queries.tsv``, TREC
``qrels.tsv``). Each passage is written as a small Markdown file (front matter with the neutral
title ``-``; the file name is the passage id, so a hit's id ``<passage id>.md`` maps back) into a
temporary folder, indexed with ``zhsearch index`` (or an index kept with ``--index DIR`` is
reused; ``--rebuild`` writes it again), and every query goes through
``SearchIndex.search(query, limit=100, dedup=False, facets=False)`` in file order, timed one by one
(the first queries include the process's cold caches). In the same run a plain BM25 (k1 0.9,
b 0.4) over overlapping character pairs of the lower-cased text, whitespace removed, ranks the whole
passage set. Both runs are scored with ``ranx``: nDCG@10, MRR@10, recall@100, plus the share of
queries with no hit and the latency, and zhsearch's nDCG@10 on each half of the questions (ids
ending in an even or an odd number: tune on one half, check on the other). ``--worst N`` lists zhsearch's worst queries with its
warnings; ``--json FILE`` writes every figure. Nothing of the set's text is written outside the
temporary folder and the index.

    python bench/relevance.py [--data DIR] [--index DIR [--rebuild]] [--worst 20] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).parent))
from http_load import zhsearch_command  # noqa: E402
from queries import summary  # noqa: E402

from zhsearch.search import IndexNotFoundError, SearchIndex  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "relevance" / "rgb-zh"
METRICS = ("ndcg@10", "mrr@10", "recall@100")
DEPTH = 100  # hits per query: what recall@100 needs
TARGETS = {"ndcg@10": 0.60, "zero_hit_rate": 0.01}  # issue 13
SUFFIX = ".md"


# -- the data set ------------------------------------------------------------------------------

def load_corpus(path: Path) -> dict[str, str]:
    """Passage id → text of a ``corpus.jsonl``."""
    passages: dict[str, str] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                record = json.loads(line)
                passages[str(record["id"])] = str(record["text"])
    return passages


def load_queries(path: Path) -> dict[str, str]:
    """Query id → text of a ``qid<TAB>query`` file, in file order."""
    queries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            qid, text = line.split("\t", 1)
            queries[qid] = text.strip()
    return queries


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Query id → {passage id: grade} of a TREC qrels file (``qid 0 docid grade``)."""
    qrels: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 4:
            qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return qrels


# -- zhsearch ----------------------------------------------------------------------------------

def write_archive(passages: Mapping[str, str], folder: Path) -> None:
    """One Markdown file per passage, named by its id, with a title that matches no query."""
    folder.mkdir(parents=True, exist_ok=True)
    for pid, text in passages.items():
        (folder / f"{pid}{SUFFIX}").write_text(f'---\ntitle: "-"\n---\n\n{text}\n', encoding="utf-8")


def build(passages: Mapping[str, str], index: Path, *, jobs: int) -> str:
    """Index the passages with ``zhsearch index``; its summary output."""
    with tempfile.TemporaryDirectory(prefix="rgb-zh-") as tmp:
        write_archive(passages, Path(tmp) / "rgb-zh")
        cmd = [*zhsearch_command(), "index", str(Path(tmp) / "rgb-zh"), "--index", str(index),
               "--jobs", str(jobs), "--quiet"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr[-500:]}")
    return (done.stdout + done.stderr).strip()


def passage_id(hit_id: str) -> str:
    return hit_id[: -len(SUFFIX)] if hit_id.endswith(SUFFIX) else hit_id


def run_zhsearch(index: SearchIndex, queries: Mapping[str, str]) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """The ranked passages of every query (score = depth − rank, so ranx keeps zhsearch's order)
    and, per query, its total, warnings and latency."""
    run: dict[str, dict[str, float]] = {}
    details: dict[str, Any] = {}
    for qid, text in queries.items():
        started = time.perf_counter()
        page = index.search(text, limit=DEPTH, dedup=False, facets=False)
        elapsed = time.perf_counter() - started
        ranked: dict[str, float] = {}
        for rank, hit in enumerate(page.hits):
            ranked.setdefault(passage_id(hit.id), float(DEPTH - rank))
        run[qid] = ranked
        details[qid] = {"total": page.total, "warnings": list(page.warnings), "seconds": elapsed}
    return run, details


# -- the baseline ------------------------------------------------------------------------------

def bigrams(text: str) -> list[str]:
    """Overlapping character pairs of the lower-cased text without whitespace."""
    chars = "".join(text.lower().split())
    return [chars[i : i + 2] for i in range(len(chars) - 1)]


class BigramBM25:
    """BM25 (Lucene's idf, ``log(1 + (N − df + 0.5) / (df + 0.5))``) over character bigrams."""

    def __init__(self, passages: Mapping[str, str], *, k1: float = 0.9, b: float = 0.4) -> None:
        self.ids = list(passages)
        self.vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        lengths = np.zeros(len(self.ids))
        for row, pid in enumerate(self.ids):
            grams = Counter(bigrams(passages[pid]))
            lengths[row] = sum(grams.values())
            for gram, count in grams.items():
                rows.append(row)
                cols.append(self.vocabulary.setdefault(gram, len(self.vocabulary)))
                counts.append(count)
        tf = sparse.csr_matrix((np.array(counts, dtype=float), (rows, cols)),
                               shape=(len(self.ids), len(self.vocabulary)))
        df = np.bincount(tf.indices, minlength=len(self.vocabulary))
        idf = np.log1p((len(self.ids) - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1e-9))
        weights = tf.copy()
        weights.data = tf.data * (k1 + 1) / (tf.data + np.repeat(norm, np.diff(tf.indptr)))
        self.weights = sparse.csc_matrix(weights.multiply(idf[np.newaxis, :]))

    def search(self, query: str, limit: int = DEPTH) -> dict[str, float]:
        """The ``limit`` best passages with a positive score (each query bigram counts as often as it occurs)."""
        grams = Counter(g for g in bigrams(query) if g in self.vocabulary)
        if not grams:
            return {}
        columns = [self.vocabulary[g] for g in grams]
        scores = self.weights[:, columns] @ np.array([grams[g] for g in grams], dtype=float)
        scores = np.asarray(scores).ravel()
        top = np.argpartition(-scores, min(limit, len(scores) - 1))[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return {self.ids[i]: float(scores[i]) for i in top if scores[i] > 0}


# -- scoring -----------------------------------------------------------------------------------

def score(qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Mapping[str, float]],
          metrics: Sequence[str] = METRICS) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Mean and per-query figures of ``metrics`` (ranx) over every query of ``qrels``; a query
    missing from ``run`` counts as answered with nothing."""
    from ranx import Qrels, Run, evaluate  # noqa: PLC0415 (numba compiles on first import)

    full_run = {qid: dict(run.get(qid, {})) for qid in qrels}
    ranx_run = Run(full_run)
    means = evaluate(Qrels({q: dict(d) for q, d in qrels.items()}), ranx_run, list(metrics))
    if isinstance(means, float):  # ranx returns a bare float for a single metric
        means = {metrics[0]: means}
    per_query = {m: {q: float(v) for q, v in ranx_run.scores[m].items()} for m in metrics}
    return {m: float(v) for m, v in means.items()}, per_query


def halves(qids: Iterable[str]) -> dict[str, list[str]]:
    """The question ids split by the parity of the number they end with (``ref12``: even)."""
    split: dict[str, list[str]] = {"even": [], "odd": []}
    for qid in qids:
        digits = qid[len(qid.rstrip("0123456789")):]
        split["odd" if digits and int(digits) % 2 else "even"].append(qid)
    return split


def zero_hit_rate(run: Mapping[str, Mapping[str, float]], qids: Iterable[str]) -> float:
    qids = list(qids)
    return sum(1 for q in qids if not run.get(q)) / len(qids) if qids else 0.0


# -- the report --------------------------------------------------------------------------------

def table(rows: Mapping[str, Mapping[str, Any]]) -> str:
    header = f"{'':16s}{'nDCG@10':>9s}{'MRR@10':>9s}{'R@100':>9s}{'zero-hit':>10s}{'p50 ms':>9s}{'p99 ms':>9s}"
    lines = [header]
    for name, figures in rows.items():
        lines.append(
            f"{name:16s}{figures['ndcg@10']:9.3f}{figures['mrr@10']:9.3f}{figures['recall@100']:9.3f}"
            f"{figures['zero_hit_rate']:10.1%}{figures['latency_ms']['p50']:9.1f}{figures['latency_ms']['p99']:9.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help=f"the rgb-zh folder (default {DATA})")
    parser.add_argument("--index", type=Path, help="keep the passages' index here and reuse it (default: a temporary one)")
    parser.add_argument("--rebuild", action="store_true", help="index the passages again even if --index exists")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="zhsearch index --jobs")
    parser.add_argument("--worst", type=int, default=0, metavar="N", help="list zhsearch's N worst queries")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every figure as JSON")
    args = parser.parse_args(argv)

    passages = load_corpus(args.data / "corpus.jsonl")
    queries = load_queries(args.data / "queries.tsv")
    qrels = load_qrels(args.data / "qrels.tsv")
    queries = {q: t for q, t in queries.items() if q in qrels}
    print(f"rgb-zh: {len(passages)} passages, {len(queries)} queries with judgements")

    temporary = None if args.index else Path(tempfile.mkdtemp(prefix="zhsearch-rgb-"))
    location = args.index or temporary / "index"  # type: ignore[operator]
    try:
        reuse = False
        if args.index and not args.rebuild:
            try:
                with SearchIndex.open(location) as existing:
                    reuse = len(existing) > 0
            except IndexNotFoundError:
                reuse = False
        build_seconds = None
        if reuse:
            print(f"reusing the index at {location} (--rebuild to write it again)")
        else:
            started = time.perf_counter()
            output = build(passages, location, jobs=args.jobs)
            build_seconds = time.perf_counter() - started
            print(f"indexed in {build_seconds:.0f} s" + (f": {output.splitlines()[-1]}" if output else ""))

        with SearchIndex.open(location) as index:
            documents = len(index)
            if documents != len(passages):
                print(f"note: the index holds {documents} documents for {len(passages)} passages")
            zh_run, details = run_zhsearch(index, queries)

        started = time.perf_counter()
        baseline = BigramBM25(passages)
        baseline_build = time.perf_counter() - started
        bm25_run: dict[str, dict[str, float]] = {}
        bm25_seconds: list[float] = []
        for qid, text in queries.items():
            t0 = time.perf_counter()
            bm25_run[qid] = baseline.search(text)
            bm25_seconds.append(time.perf_counter() - t0)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)

    zh_means, zh_per_query = score(qrels, zh_run)
    bm25_means, _ = score(qrels, bm25_run)
    rows: dict[str, dict[str, Any]] = {
        "zhsearch": {**zh_means, "zero_hit_rate": zero_hit_rate(zh_run, queries),
                     "latency_ms": summary([d["seconds"] for d in details.values()])},
        "bigram BM25": {**bm25_means, "zero_hit_rate": zero_hit_rate(bm25_run, queries),
                        "latency_ms": summary(bm25_seconds)},
    }
    print()
    print(table(rows))
    zh = rows["zhsearch"]
    split = {name: sum(zh_per_query["ndcg@10"][q] for q in qids) / len(qids)
             for name, qids in halves(queries).items() if qids}
    print("zhsearch nDCG@10 by half: " + ", ".join(f"{name} ids {value:.3f}" for name, value in split.items()))
    print(f"\ntargets (issue 13): nDCG@10 ≥ {TARGETS['ndcg@10']:.2f}: "
          f"{'met' if zh['ndcg@10'] >= TARGETS['ndcg@10'] else 'NOT MET'} ({zh['ndcg@10']:.3f}); "
          f"zero-hit ≤ {TARGETS['zero_hit_rate']:.0%}: "
          f"{'met' if zh['zero_hit_rate'] <= TARGETS['zero_hit_rate'] else 'NOT MET'} ({zh['zero_hit_rate']:.1%})")
    print(f"zhsearch latency max {zh['latency_ms']['max']:.0f} ms (the first queries include the cold caches); "
          f"bigram BM25 built in {baseline_build:.1f} s")

    worst = []
    if args.worst:
        order = sorted(queries, key=lambda q: (zh_per_query["ndcg@10"][q], -details[q]["total"], q))
        print(f"\nzhsearch's {args.worst} worst queries (nDCG@10, hits, warnings):")
        for qid in order[: args.worst]:
            entry = {"qid": qid, "query": queries[qid], "ndcg@10": zh_per_query["ndcg@10"][qid],
                     "total": details[qid]["total"], "warnings": details[qid]["warnings"]}
            worst.append(entry)
            warnings = "; ".join(entry["warnings"]) or "-"
            print(f"  {qid:7s} {entry['ndcg@10']:.3f} {entry['total']:6d}  {queries[qid]}  [{warnings}]")

    if args.json:
        figures = {
            "data": str(args.data), "passages": len(passages), "queries": len(queries),
            "index": str(args.index) if args.index else None, "reused_index": reuse,
            "build_seconds": build_seconds, "systems": rows, "ndcg@10_by_half": split, "targets": TARGETS, "worst": worst,
            "per_query": {q: {"ndcg@10": zh_per_query["ndcg@10"][q], "total": details[q]["total"],
                              "warnings": details[q]["warnings"], "ms": details[q]["seconds"] * 1000}
                          for q in queries},
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        }
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
