"""bench/tail.py's warm Python rounds again, on the queries a ``tail.py --json`` run drew (drawing
reads every stored article: minutes at 300k), for comparing two trees in one run.

One warm-up round of every sample, then ``--repeat`` measured rounds, all kinds in turn (as
``tail.warm_python``); prints per kind p50/p99/max in ms.

    PYTHONPATH=TREE python bench/tail_again.py --index DIR --queries RUN.json [--repeat 2] [--kinds quoted,substring]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from queries import percentile  # noqa: E402
from tail import Sample, warm_python  # noqa: E402

from zhsearch.search import SearchIndex  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", required=True)
    parser.add_argument("--queries", type=Path, required=True, help="a bench/tail.py --json file")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--kinds", help="kinds to print (comma-separated; all are run)")
    args = parser.parse_args(argv)
    samples = [Sample(kind=s["kind"], query=s["query"]) for s in json.loads(args.queries.read_text())["samples"]]
    with SearchIndex.open(args.index) as index:
        times, _, _, _ = warm_python(index, samples, args.repeat)
    kinds = args.kinds.split(",") if args.kinds else sorted({s.kind for s in samples})
    for kind in kinds:
        ms = sorted(t * 1000 for s, ts in zip(samples, times) if s.kind == kind for t in ts)
        if ms:
            print(f"{kind:12s} n={len(ms):4d} p50 {percentile(ms, 50):7.1f} p99 {percentile(ms, 99):7.1f} max {ms[-1]:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
