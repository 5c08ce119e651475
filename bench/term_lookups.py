"""Term lookups in two indexes of the same documents (e.g. a W3 hash dictionary against zhsearch's
compact one), interleaved: microseconds per ``term_info`` of a field's terms.

The terms are drawn (``--seed``) from the first index's first segment, plus as many absent terms
(a drawn term with "x" appended). Each round looks every term up in A, B, A, B; the compact
dictionary's block cache is emptied before each round, so its first pass is cold (blocks read and
decoded) and its second finds the blocks decoded.

    python bench/term_lookups.py A B [--field text_pairs] [--terms 3000] [--rounds 3] [--seed 1]

``--whole`` instead times whole passes, twice each: ``raw_terms`` over every field of A and of B
(CPU seconds), and writing all of B's entries (in batches of 16,384) with the W3 hash writer and
with zhsearch's dictionary writer, to a temporary directory.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from zhsearch.search.embedded.merge import raw_terms
from zhsearch.search.embedded.store import current_generation
from zhsearch.search.legacy import open_whoosh_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--field", default="text_pairs")
    parser.add_argument("--terms", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--whole", action="store_true", help="time whole reads and writes instead")
    args = parser.parse_args()
    if args.whole:
        return whole(args.a, args.b)
    readers = {str(p): open_whoosh_dir(current_generation(p)).reader() for p in (args.a, args.b)}
    leaves = {name: reader.leaf_readers()[0][0] for name, reader in readers.items()}
    terms = [t for t, _ in raw_terms(leaves[str(args.a)], args.field)]
    rng = random.Random(args.seed)
    drawn = rng.sample(terms, min(args.terms, len(terms)))
    drawn += [t + b"x" for t in rng.sample(terms, min(args.terms // 10, len(terms)))]
    times: dict[str, list[float]] = {name: [] for name in readers}
    for _ in range(args.rounds):
        for leaf in leaves.values():
            cache = getattr(getattr(leaf._terms, "_tindex", None), "_cache", None)
            if cache is not None:
                cache.clear()
        for name in [*leaves, *leaves]:
            lookup = leaves[name]._terms.term_info
            started = time.perf_counter()
            for term in drawn:
                try:
                    lookup(args.field, term)
                except Exception:  # noqa: BLE001 - an absent term
                    pass
            times[name].append((time.perf_counter() - started) / len(drawn) * 1e6)
    for name, figures in times.items():
        kind = type(leaves[name]._terms).__name__
        print(f"{name} ({kind}): µs per lookup, by pass: {' '.join(f'{t:.1f}' for t in figures)}")
    for reader in readers.values():
        reader.close()
    return 0


def whole(a: Path, b: Path) -> int:
    import tempfile

    from whoosh.filedb.filestore import FileStorage

    from zhsearch.search.embedded.segments import _TermIndexWriter
    from zhsearch.search.embedded.termdict import TermDictWriter

    entries: list[tuple[bytes, bytes]] = []
    for _ in range(2):
        for location in (a, b):
            reader = open_whoosh_dir(current_generation(location)).reader()
            leaf = reader.leaf_readers()[0][0]
            started = time.process_time()
            got = [(f, t, i) for f in sorted(leaf._terms._fieldmap) for t, i in raw_terms(leaf, f)]
            print(f"{location} ({type(leaf._terms).__name__}): raw_terms over every field, {len(got):,} entries, "
                  f"{time.process_time() - started:.2f} s CPU")
            if location == b:
                fieldmap = leaf._terms._fieldmap
                entries = [(fieldmap[f].to_bytes(2, "big") + t, i) for f, t, i in got]
            reader.close()
    keys, values = [k for k, _ in entries], [v for _, v in entries]
    with tempfile.TemporaryDirectory() as tmp:
        storage = FileStorage(tmp)
        for _ in range(2):
            for name, writer_class in (("W3 hash writer", _TermIndexWriter), ("compact writer", TermDictWriter)):
                started = time.process_time()
                writer = writer_class(storage.create_file(name.split()[0] + ".trm"))
                for i in range(0, len(keys), 1 << 14):
                    writer.add_many(keys[i : i + (1 << 14)], values[i : i + (1 << 14)])
                writer.close()
                print(f"{name}: {len(keys):,} entries in {time.process_time() - started:.2f} s CPU, "
                      f"{storage.file_length(name.split()[0] + '.trm'):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
