"""Indexing speed: a full build next to the ceiling measured in the same run (jieba alone).

Builds a fresh index of PATH… with ``--jobs`` processes (``zhsearch index``'s code), then reads
the cleaned titles and texts back from it and segments them with jieba alone, in this one
process, with the index's analyzer settings: that is the ceiling. Prints documents/s and cleaned
MB/s (UTF-8) of the build, the ceiling, their ratio, the time of each phase and the peak
resident memory of the main process and of the largest worker.

    python bench/indexing.py ../shared/corpus/waimei-2020q3 ../shared/corpus/rsshub-hexo \\
        ../shared/corpus/samples --index /tmp/bench-index --jobs 2

Targets (issue 8): with 1 job at least 0.8× the ceiling, with 2 jobs on 2 cores at least 1.6×,
peak memory under 1 GB. ``--profile FILE`` runs the build under cProfile (use with ``--jobs 1``:
workers are not profiled) and prints the functions that take the most time; ``--breakdown N``
instead times each step of a one-process build of the first N articles, in CPU seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from zhsearch.indexer import build_index
from zhsearch.indexer.workers import default_jobs
from zhsearch.search import open_index
from zhsearch.search.text.analysis import _cached_word_spans, _segmenter
from zhsearch.search.embedded.store import current_generation, disk_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--index", type=Path, required=True, help="where to build (replaced)")
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--profile", type=Path, help="write a cProfile of the build here")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--breakdown", type=int, metavar="N",
                        help="instead: CPU seconds of each step of a one-process build of the first N articles")
    args = parser.parse_args()
    if args.breakdown:
        breakdown(args.paths, args.index, args.breakdown)
        return

    shutil.rmtree(args.index, ignore_errors=True)
    phases: dict[str, list[float]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        phases.setdefault(stage, [now, now])[1] = now

    profiler = cProfile.Profile() if args.profile else None
    cpu_started = _cpu()
    build_started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = build_index(args.paths, args.index, jobs=args.jobs, progress=progress)
    if profiler:
        profiler.disable()
    build = time.perf_counter() - build_started
    build_cpu = _cpu() - cpu_started
    peak_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    with open_index(args.index) as index:
        texts = [text for doc in index.documents() for text in (doc.title, doc.text)]
        config = index.config
    documents = len(texts) // 2
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    segmenter = _segmenter(config.hmm, config.user_words)
    segmenter.lcut("预热")  # the dictionary is loaded before timing
    started, cpu_started = time.perf_counter(), time.process_time()
    for text in texts:
        for _ in segmenter.cut(text, HMM=config.hmm):
            pass
    ceiling = time.perf_counter() - started
    ceiling_cpu = time.process_time() - cpu_started

    ratio = (megabytes / build) / (megabytes / ceiling)
    target = 0.8 * args.jobs
    figures: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {default_jobs()} cores, Python {platform.python_version()}",
        "jobs": args.jobs,
        "files_seen": report.seen,
        "documents": documents,
        "cleaned_mb": round(megabytes, 1),
        "build_s": round(build, 1),
        "reading_s": round(phases["reading"][1] - build_started, 1),
        "indexing_s": round(phases["indexing"][1] - phases["reading"][1], 1),
        # New-word discovery: in the main process between reading and writing, the workers idle.
        "discovery_s": round(report.discovery.seconds, 1) if report.discovery else 0.0,
        "docs_per_s": round(documents / build, 1),
        "cleaned_mb_per_s": round(megabytes / build, 3),
        "build_cpu_s": round(build_cpu, 1),
        "ceiling_s": round(ceiling, 1),
        "ceiling_cpu_s": round(ceiling_cpu, 1),
        "load_average": os.getloadavg()[0],
        "ceiling_mb_per_s": round(megabytes / ceiling, 3),
        "ratio": round(ratio, 2),
        "target_ratio": target,
        "peak_rss_main_mb": round(peak_main),
        "peak_rss_worker_mb": round(peak_worker),
        "index_mb": round(disk_size(current_generation(args.index)) / 1e6, 1),
    }
    print(f"build with {args.jobs} job(s): {documents:,} documents, {megabytes:.1f} MB of cleaned text "
          f"in {build:.1f} s (reading {figures['reading_s']} s, indexing {figures['indexing_s']} s, "
          f"of which new-word discovery in the main process {figures['discovery_s']} s)")
    print(f"  {documents / build:,.1f} documents/s, {megabytes / build:.3f} MB/s")
    print(f"ceiling, jieba alone in one process: {ceiling:.1f} s, {megabytes / ceiling:.3f} MB/s")
    print(f"ratio build/ceiling: {ratio:.2f}× (target ≥ {target:.1f}×: {'met' if ratio >= target else 'NOT met'})")
    print(f"CPU time: build {build_cpu:.1f} s in all processes, ceiling {ceiling_cpu:.1f} s "
          f"(CPU ratio {ceiling_cpu / build_cpu:.2f}; load average {os.getloadavg()[0]:.1f} on {default_jobs()} cores: "
          "other processes make wall-clock ratios lower than the machine allows)")
    print(f"peak RSS: main {peak_main:.0f} MB, largest worker {peak_worker:.0f} MB"
          + (f" (all processes at most {peak_main + args.jobs * peak_worker:.0f} MB)" if args.jobs > 1 else ""))
    print(f"index on disk: {figures['index_mb']} MB")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if profiler and args.profile:
        profiler.dump_stats(str(args.profile))
        pstats.Stats(str(args.profile), stream=sys.stdout).sort_stats("tottime").print_stats(25)


def breakdown(paths: list[Path], directory: Path, limit: int) -> None:
    """Time each step of indexing the first ``limit`` articles, one after the other, in CPU seconds."""
    from itertools import islice

    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    from zhsearch.indexer.build import clean
    from zhsearch.indexer.recurring import RecurringParagraphs, outlet_key
    from zhsearch.indexer.sources import candidates, read_source
    from zhsearch.search import AnalyzerConfig
    from zhsearch.search.text.normalize import normalize
    from zhsearch.search.embedded.schema import build_schema
    from zhsearch.search.embedded.segments import INDEX_NAME, SegmentBuilder
    from zhsearch.search.embedded.writer import document_fields

    steps: dict[str, float] = {}

    def step(name: str, work: Any) -> Any:
        started = time.process_time()
        result = work()
        steps[name] = time.process_time() - started
        return result

    sources = [s for s, reason in islice(candidates(paths), limit) if reason is None]
    records = step("read, decode, parse, clean", lambda: [read_source(s) for s in sources])
    learner = RecurringParagraphs()
    for record in records:
        if record.document is not None:
            learner.count(outlet_key(record.document), record.keys)
    learned = learner.learn()
    documents = step("learn and remove boilerplate",
                     lambda: [clean(r.document, learned)[0] for r in records if r.document is not None])
    schema = build_schema(AnalyzerConfig())
    values = [v for d in documents for v in (d.title, d.text)]
    segmenter = _segmenter(True, ())
    segmenter.lcut("预热")
    step("ceiling: jieba alone on the cleaned text", lambda: [list(segmenter.cut(v)) for v in values])
    texts = step("normalize", lambda: [normalize(v).text for v in values])
    for name, field in (("jieba words", "text"), ("character tokens", "text_chars"), ("character pairs", "text_pairs")):
        analyzer = schema[field].analyzer
        step(name, lambda: [[t for _, _, t in analyzer.pieces(v)] for v in texts])
    _cached_word_spans.cache_clear()  # the build below starts with no remembered jieba blocks, as a real one
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    TOC.create(FileStorage(str(directory)), schema, INDEX_NAME)
    builder = SegmentBuilder(directory, schema)
    step("SegmentBuilder.add: all the analysis above, inversion, stored fields",
         lambda: [builder.add(document_fields(d)) for d in documents])
    step("SegmentBuilder.finish: posting blocks and term dictionary", builder.finish)
    megabytes = sum(len(v.encode("utf-8")) for v in values) / 1e6
    print(f"{len(documents):,} documents, {megabytes:.1f} MB of cleaned text, {builder.posting_count:,} postings")
    for name, seconds in steps.items():
        print(f"{seconds:7.1f} s  {name}")
    total = steps["read, decode, parse, clean"] + steps["learn and remove boilerplate"] + sum(
        v for k, v in steps.items() if k.startswith("SegmentBuilder"))
    ceiling = steps["ceiling: jieba alone on the cleaned text"]
    print(f"{total:7.1f} s  a one-process build (ratio to the ceiling {ceiling / total:.2f})")
    # Issue 18 item 3: what the word tokenizer adds around jieba (normalization, offset mapping, the
    # block cache), on the same text: its whole path, less jieba alone, as a share of jieba alone.
    overhead = steps["normalize"] + steps["jieba words"] - ceiling
    print(f"tokenizer overhead around jieba: {overhead:+.1f} s, {overhead / ceiling:+.0%} of jieba alone (target < 15%)")


def _cpu() -> float:
    """User and system CPU seconds of this process and its finished children (the workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
