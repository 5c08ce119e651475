"""The cost of ``zhsearch update`` when a few articles change, and how much of it is duplicates.

Copies an index and the archive it was built from into --work (the originals are only read),
brings the copy up to date once with nothing changed (so that the file scan's stat cache knows
the copied files), then twice changes --changed random articles (a sentence added to the end of
each; seeded, the seed is printed) and times ``update_index``:

1. without what the live generation's duplicate detection left (its carry file removed): every
   text is shingled and hashed again, as before the carry;
2. with it: only the changed texts are;

--repeat times each, alternating (an update's own segment merges vary from one to the next).

For each it prints the wall time of the whole update and the CPU time spent in duplicate
detection (shingling, MinHash, candidate pairs, Jaccard checks, grouping), and checks that the
groups saved equal those computed afresh from the new generation's documents.

    python bench/update_cost.py --index /tmp/main-23k --archive ../shared/corpus --work /tmp/update-bench
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from pathlib import Path

import zhsearch.search.results.duplicates as duplicates
import zhsearch.search.embedded.writer
from zhsearch.indexer import update_index
from zhsearch.search import open_index
from zhsearch.search.results.duplicates import CARRY_FILE, DuplicateGroups
from zhsearch.search.embedded.store import current_generation


class _Clock:
    """CPU seconds spent in the duplicate finder's methods."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, owner: object, name: str) -> None:
        method = getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> object:
            t0 = time.process_time()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - t0

        setattr(owner, name, timed)


def _change(archive: Path, count: int, rng: random.Random) -> list[Path]:
    files = sorted(p for p in archive.rglob("*.md") if p.name.lower() != "readme.md")
    chosen = rng.sample(files, count)
    for path in chosen:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        path.write_text(text + f"\n\n本文于{rng.randint(1, 28)}日更新，补充了第{rng.randint(2, 9)}段的说明。\n",
                        encoding="utf-8", errors="surrogateescape")
    return chosen


def _check(location: Path) -> int:
    """The number of groups saved, after checking they equal the groups computed afresh."""
    with open_index(location) as index:
        with index._ix.searcher() as searcher:  # noqa: SLF001
            saved = index._duplicates(searcher)  # noqa: SLF001 - the table the queries read
        reader = index._ix.reader()  # noqa: SLF001
        try:
            fresh = DuplicateGroups.from_reader(reader, threshold=index.manifest.get("duplicate_threshold", 0.8))
        finally:
            reader.close()
    assert saved is not None and saved.members == fresh.members, "the update's groups differ from a full computation"
    return len(saved.members)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="an index built with zhsearch index (only read)")
    parser.add_argument("--archive", type=Path, required=True, help="the folder it was built from (only read)")
    parser.add_argument("--work", type=Path, required=True, help="where the copies go (replaced)")
    parser.add_argument("--changed", type=int, default=10, help="articles changed before each update")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="updates of each kind, alternating")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    rng = random.Random(seed)
    shutil.rmtree(args.work, ignore_errors=True)
    location, archive = args.work / "index", args.work / args.archive.resolve().name
    t0 = time.perf_counter()
    shutil.copytree(args.index, location)
    shutil.copytree(args.archive, archive)
    print(f"seed {seed}; copied the index and the archive in {time.perf_counter() - t0:.1f} s; "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    clock, tables = _Clock(), _Clock()
    for name in ("add", "roots", "carry"):
        clock.wrap(duplicates.DuplicateFinder, name)
    tables.wrap(zhsearch.search.embedded.writer, "save_tables")  # every table of the new generation
    t0 = time.perf_counter()
    update_index([archive], location, jobs=args.jobs)  # nothing changed: the stat cache learns the copies
    print(f"update with nothing changed: {time.perf_counter() - t0:.1f} s", flush=True)
    kinds = (("without the carry (every text hashed)", False), ("with the carry", True))
    for label, carried in kinds * args.repeat:
        _change(archive, args.changed, rng)
        live = current_generation(location)
        if not carried:
            (live / CARRY_FILE).unlink(missing_ok=True)
        has_carry = (live / CARRY_FILE).exists()
        clock.seconds = tables.seconds = 0.0
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        report = update_index([archive], location, jobs=args.jobs)
        wall = time.perf_counter() - t0
        spent, all_tables = clock.seconds, tables.seconds
        groups = _check(location)
        print(f"{args.changed} articles changed, {label}{'' if has_carry == carried else ' [carry missing!]'}: "
              f"update {wall:.1f} s wall, the new generation's tables {all_tables:.1f} s CPU, of which "
              f"duplicate detection {spent:.1f} s; "
              f"{groups} groups, equal to a full computation; published {report.published}; load {load:.1f}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
