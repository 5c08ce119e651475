"""The words a build discovers in an archive: how long discovery takes, how many, which.

Parses every article below the paths as ``zhsearch index`` does (learned boilerplate removed; not
timed as discovery), then runs the build's discovery (``indexer.build.discover_new_words``) over
the documents and prints the time, the text read, the number of words, whether the words that
must be found are (碳中和 and 碳达峰 by default: issue 15) and the first ``--top`` words, most
documents first, with their evidence. Exits with 1 when a required word is missing.

    python bench/new_words.py ../shared/corpus [--top 200] [--require 碳中和,碳达峰] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zhsearch.indexer.build import discover_new_words, parse_archive  # noqa: E402
from zhsearch.indexer.recurring import LearnedBoilerplate  # noqa: E402
from zhsearch.search import AnalyzerConfig  # noqa: E402

REQUIRED = ("碳中和", "碳达峰")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=50, help="words to print (most documents first)")
    parser.add_argument("--require", default=",".join(REQUIRED), help="comma-separated words that must be found")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures and every word as JSON")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    documents, report = parse_archive(args.paths)
    parsed = time.perf_counter() - started
    print(f"parsed {len(documents):,} documents in {parsed:.1f} s (not part of discovery)")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started_cpu = time.process_time()
    discovery = discover_new_words(documents, LearnedBoilerplate({}), AnalyzerConfig())  # already cleaned
    cpu = time.process_time() - started_cpu
    words = {w.word: w for w in discovery.words}
    print(
        f"discovery: {discovery.seconds:.1f} s wall, {cpu:.1f} s CPU, over {discovery.documents:,} documents, "
        f"{discovery.characters:,} characters; {len(words):,} new words"
    )
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS) {rss_before:,.0f} MB before discovery, {rss_after:,.0f} MB after")
    required = [w for w in args.require.split(",") if w]
    missing = [w for w in required if w not in words]
    for word in required:
        print(f"required {word}: " + (_evidence(words[word]) if word in words else "NOT FOUND"))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores ({platform.processor() or platform.machine()})")
    for rank, found in enumerate(discovery.words[: args.top], 1):
        print(f"{rank:4d} {found.word}\t{_evidence(found)}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "documents": discovery.documents,
                    "characters": discovery.characters,
                    "seconds": discovery.seconds,
                    "cpu_seconds": cpu,
                    "words": [w.to_json() for w in discovery.words],
                    "missing": missing,
                    "load": os.getloadavg()[0],
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
    return 1 if missing else 0


def _evidence(word: object) -> str:
    w = word  # a search.text.discover.NewWord
    return (
        f"{w.count} times in {w.documents} documents, cohesion {w.cohesion:.1f}, "  # type: ignore[attr-defined]
        f"entropy left {w.left_entropy:.2f} right {w.right_entropy:.2f}"  # type: ignore[attr-defined]
    )


if __name__ == "__main__":
    sys.exit(main())
