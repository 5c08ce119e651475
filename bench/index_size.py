"""Where an index's bytes go: per file kind and per field, against the cleaned text (title + text).

Reads the live generation of an index (read-only) and prints

- the bytes of each file kind (term dictionaries ``.trm``, postings ``.pst``, stored fields,
  field-length columns, other columns, zhsearch's own tables);
- per field: dictionary entries and their bytes (each entry's record plus its share of the
  hash table and key index), postings bytes (posting blocks, or postings inlined in the entry),
  postings and single-document terms, and the distinct terms across segments (every other entry
  is a duplicate dictionary entry, one per further segment the term is in);
- for the fields with positions, the share of their posting bytes that the positions take
  (estimated on a seeded sample of terms: each block written again with frequencies instead of
  positions, compressed by the same rule);
- the cleaned text's UTF-8 bytes (from the stored fields), the ratio of the index to it, and the
  stored fields' size under other compressions.

With ``--same-as OTHER`` it also checks that two indexes of the same documents (written in two
formats) answer alike: every query of ``bench/queries.txt`` and the exact titles of ``--titles``
articles drawn with ``--seed``, first 20 hits each (duplicates not collapsed, then collapsed):
the same total, facets, hit ids, scores, snippets and title highlights.

    python bench/index_size.py --index DIR [--sample 0.02] [--seed 18] [--json FILE]
    python bench/index_size.py --index DIR --same-as OTHER [--titles 300] [--mix 30]   # --mix: tail.py's random kinds

``--merged-copy NEW`` first writes a copy of the index whose segments are merged into one, as
``zhsearch index`` merges them (:func:`search.embedded.merge.merge_segments`, no text analysed
again; the copy's other files are hard links to the original's, which stays as it was), prints
the merge's time and peak memory, then measures the copy.

    python bench/index_size.py --index DIR --merged-copy /tmp/merged
"""

from __future__ import annotations

import argparse
import io
import json
import pickle
import random
import struct
import sys
import zlib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.filedb.filetables import _dir_entry, _lengths

from zhsearch.search.embedded.postings import PackedList
from zhsearch.search.embedded.store import current_generation, disk_size

_TERMINFO = struct.Struct("!BfIBBfII")
_EXTENT = struct.Struct("!qi")
_BLOCK_SIZE = struct.Struct("!i")
_HEADER = 4 + 1 + 4 + 4  # HSH3, hash type, two unused ints
MIB = 2**20


def file_kind(name: str) -> str:
    if name.endswith(".trm"):
        return "term dictionaries (.trm)"
    if name.endswith(".pst"):
        return "postings (.pst)"
    if name.endswith("._stored.col"):
        return "stored fields (._stored.col)"
    if name.endswith("_len.col"):
        return "field lengths (._*_len.col)"
    if name.endswith(".col"):
        return "sortable columns (id, source, date, month)"
    if name.endswith((".toc", ".seg")):
        return "table of contents / compound segments"
    return "zhsearch tables (completions, duplicates, catalog, paragraphs...)"


def compact_dictionary(path: Path) -> tuple[list[tuple[bytes, bytes, int, int]], dict[str, int], int]:
    """A zhsearch ``.trm`` file's (key, term info, key bytes, info bytes) entries, its field map and
    the bytes beyond the entries (block heads, block index)."""
    from whoosh.filedb.structfile import StructFile

    from zhsearch.search.embedded.termdict import TermDict

    size = path.stat().st_size
    with path.open("rb") as f:
        terms = TermDict(StructFile(f), size)
        entries = list(terms.sized_items())
        fieldmap = dict(terms.fieldmap)
        terms.close()
    return entries, fieldmap, size - sum(k + v for _, _, k, v in entries)


def dictionary(path: Path) -> tuple[list[tuple[bytes, bytes]], dict[str, int], int]:
    """A ``.trm`` file's (key, term info) records, its field map and the bytes beyond the records."""
    data = path.read_bytes()
    if data[:4] != b"HSH3":
        raise SystemExit(f"{path}: not a Whoosh term dictionary")
    extras_length = struct.unpack("!i", data[-4:])[0]
    extras_at = len(data) - 4 - extras_length
    extras = pickle.loads(data[extras_at:])
    directory_at = extras_at - 256 * _dir_entry.size
    end_of_records = _dir_entry.unpack_from(data, directory_at)[0]
    records: list[tuple[bytes, bytes]] = []
    at = _HEADER
    unpack = _lengths.unpack_from
    while at < end_of_records:
        key_length, value_length = unpack(data, at)
        at += 8
        records.append((data[at : at + key_length], data[at + key_length : at + key_length + value_length]))
        at += key_length + value_length
    return records, extras["fieldmap"], len(data) - (end_of_records - _HEADER)


def blocks(raw: bytes) -> list[tuple[tuple, bytes]]:
    """A term's posting blocks: (block info, block data as stored)."""
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError("not a W3 posting list")
    out = []
    at = 4
    while True:
        size = _BLOCK_SIZE.unpack_from(raw, at)[0]
        at += 4
        chunk = raw[at : at + abs(size)]
        stream = io.BytesIO(chunk)
        info = pickle.load(stream)
        out.append((info, chunk[stream.tell() :]))
        at += abs(size)
        if size < 0:
            return out


def stored_size(data: bytes, compress_from: int = 128) -> int:
    """The bytes a block's pickled data takes under the segment writer's rule."""
    if len(data) < compress_from:
        return len(data)
    packer = zlib.compressobj(3, zlib.DEFLATED, 12, 4)
    return len(packer.compress(data) + packer.flush())


def _frequency(value: Any) -> int:
    """A posting's frequency: Whoosh's Positions bytes, or a CompactPositions position or tuple."""
    if isinstance(value, bytes):
        return int(struct.unpack_from("!I", value)[0])
    return 1 if isinstance(value, int) else len(value)


def positions_share(raw: bytes) -> tuple[int, int]:
    """(data bytes as stored, data bytes with frequencies in place of positions) of a term's blocks."""
    actual = without = 0
    for info, data in blocks(raw):
        actual += len(data)
        plain = zlib.decompress(data) if info[3] else data
        ids, weights, values = pickle.loads(plain)
        freqs = b"".join(struct.pack("!I", _frequency(v)) for v in values)
        without += stored_size(pickle.dumps((ids, weights, freqs), 2))
    return actual, without


def packed_layout(packed: PackedList, layout: Counter[str]) -> None:
    """Where a packed list's bytes go: its header and directory, the document deltas, the
    frequencies, and the rest of its payloads (positions, padding, raw weights, pickled values)."""
    layout["postings: packed list headers and block directories"] += packed.payload_starts[0]
    for b in range(packed.nblocks):
        count, widths = packed.counts[b], packed.widths[b]
        ids = (count - 1) * widths[0] / 8
        freqs = count * widths[1] / 8 if len(widths) > 1 else 0
        layout["postings: packed document deltas"] += ids
        layout["postings: packed frequencies"] += freqs
        layout["postings: packed positions (and padding, raw weights, pickles)"] += (
            packed.payload_ends[b] - packed.payload_starts[b] - ids - freqs)


def measure(location: Path, *, sample: float, seed: int) -> dict[str, Any]:
    generation = current_generation(location)
    files = sorted(p for p in generation.iterdir() if p.is_file())
    kinds: Counter[str] = Counter()
    for p in files:
        kinds[file_kind(p.name)] += p.stat().st_size
    total = disk_size(generation)

    rng = random.Random(seed)
    fields: dict[str, Counter[str]] = defaultdict(Counter)
    layout: Counter[str] = Counter()  # where the dictionary's and the postings' bytes go
    distinct: dict[str, set[bytes]] = defaultdict(set)
    sampled: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # actual, without, postings bytes
    segments = [p for p in files if p.suffix == ".trm"]
    for trm in segments:
        compact = trm.read_bytes()[:4] != b"HSH3"
        if compact:  # zhsearch's dictionary (search.embedded.termdict)
            sized, fieldmap, beyond = compact_dictionary(trm)
            records = [(key, value) for key, value, _, _ in sized]
            layout["dictionary (compact): block heads and block index"] += beyond
        else:
            records, fieldmap, beyond = dictionary(trm)
            layout["dictionary: hash tables, key index, field map"] += beyond
            layout["dictionary: record lengths (8 bytes an entry)"] += 8 * len(records)
            layout["dictionary: term statistics (23 bytes an entry)"] += _TERMINFO.size * len(records)
        names = {pack: name for name, pack in ((n, struct.pack("!H", i)) for n, i in fieldmap.items())}
        pst = trm.with_suffix(".pst").read_bytes()
        per_entry = beyond / max(1, len(records))  # hash slots, key index, extras
        for e, (key, value) in enumerate(records):
            name = names[key[:2]]
            f = fields[name]
            info = _TERMINFO.unpack_from(value)
            f["entries"] += 1
            f["postings"] += info[2]
            if info[2] == 1:
                f["single-document entries"] += 1
            distinct[name].add(key[2:])
            if compact:
                _, _, key_size, info_size = sized[e]
                f["dictionary bytes"] += key_size + info_size + per_entry
                layout["dictionary (compact): keys (front-coded, with their lengths)"] += key_size
                layout["dictionary (compact): statistics and inlined postings" if info[0]
                       else "dictionary (compact): statistics and posting addresses"] += info_size
            else:
                f["dictionary bytes"] += 8 + len(key) + len(value) + per_entry
                layout["dictionary: keys (field number, term in UTF-8)"] += len(key)
            if info[0]:  # inlined: the postings are the entry's tail
                if not compact:
                    layout["dictionary: inlined one-posting lists (pickled)"] += len(value) - _TERMINFO.size
                    f["inlined postings bytes"] += len(value) - _TERMINFO.size
                    f["dictionary bytes"] -= len(value) - _TERMINFO.size
                continue
            offset, length = _EXTENT.unpack_from(value, _TERMINFO.size)
            f["postings bytes"] += length
            if not compact:
                layout["dictionary: posting list addresses (12 bytes)"] += len(value) - _TERMINFO.size
            if pst[offset : offset + 4] != WHOOSH3_HEADER_MAGIC:  # a packed list (search.embedded.postings)
                packed_layout(PackedList(pst[offset : offset + length]), layout)
                continue
            term_blocks = blocks(pst[offset : offset + length])
            layout["postings: list magic and block lengths"] += 4 + 4 * len(term_blocks)
            for block_info, data in term_blocks:
                layout["postings: block headers (pickled count, last id, maxima)"] += len(
                    pickle.dumps(block_info, 2))
                layout["postings: block data, zlib" if block_info[3] else "postings: block data, plain"] += len(data)
            if name.endswith(("_pairs",)) or name in ("title", "text"):
                if rng.random() < sample:
                    actual, without = positions_share(pst[offset : offset + length])
                    s = sampled[name]
                    s[0] += actual
                    s[1] += without
                    s[2] += length
    per_field = {}
    for name, f in sorted(fields.items()):
        row = {k: round(v) for k, v in f.items()}
        row["distinct terms"] = len(distinct[name])
        row["duplicate entries"] = f["entries"] - len(distinct[name])
        s = sampled.get(name)
        if s and s[2]:
            row["positions share of postings bytes (sampled)"] = round((s[0] - s[1]) / s[2], 4)
        per_field[name] = row

    text_bytes = 0
    stored = {"zlib-3 per document (as stored)": kinds["stored fields (._stored.col)"]}
    text_only = Counter()
    from zhsearch.search.legacy import open_whoosh_dir
    ix = open_whoosh_dir(generation)
    with ix.reader() as reader:
        for fields_ in reader.all_stored_fields():
            title = (fields_.get("title") or "").encode("utf-8")
            text = (fields_.get("text") or "").encode("utf-8")
            text_bytes += len(title) + len(text)
            plain = pickle.dumps(fields_, -1)
            text_only["pickled, uncompressed"] += len(plain)
            text_only["zlib-9 per document"] += len(zlib.compress(plain, 9))
            text_only["text + title alone, zlib-9"] += len(zlib.compress(title + b"\n" + text, 9))
    ix.close()
    stored.update(text_only)
    return {
        "index": str(generation),
        "total bytes": total,
        "cleaned text bytes": text_bytes,
        "ratio": round(total / text_bytes, 2) if text_bytes else None,
        "segments": len(segments),
        "files": dict(kinds.most_common()),
        "fields": per_field,
        "layout": dict(sorted(layout.items())),
        "stored fields": stored,
        "sample": sample,
        "seed": seed,
    }


def report(m: dict[str, Any]) -> None:
    text = m["cleaned text bytes"]
    print(f"{m['index']}: {m['total bytes'] / MIB:,.1f} MiB in {m['segments']} segments; "
          f"cleaned text (title + text, UTF-8) {text / MIB:,.1f} MiB; ratio {m['ratio']}x")
    print("\nby file kind:")
    for kind, size in m["files"].items():
        print(f"  {kind:<62} {size / MIB:9,.1f} MiB  {size / text:6.2f}x")
    print("\nby field (MiB; x = multiple of the cleaned text):")
    print(f"  {'field':<13} {'entries':>10} {'distinct':>10} {'dup':>10} {'1-doc':>10} {'postings':>11} "
          f"{'dict MiB':>9} {'post MiB':>9} {'inline':>7} {'x':>6} {'pos%':>5}")
    for name, f in m["fields"].items():
        post = f.get("postings bytes", 0)
        dic = f.get("dictionary bytes", 0)
        inline = f.get("inlined postings bytes", 0)
        share = f.get("positions share of postings bytes (sampled)")
        print(f"  {name:<13} {f['entries']:>10,} {f['distinct terms']:>10,} {f['duplicate entries']:>10,} "
              f"{f.get('single-document entries', 0):>10,} {f['postings']:>11,} {dic / MIB:9.1f} {post / MIB:9.1f} "
              f"{inline / MIB:7.1f} {(post + dic + inline) / text:6.2f} {'' if share is None else f'{share:.0%}':>5}")
    print("\nwhere the dictionaries' and postings' bytes go (all fields):")
    for part, size in m["layout"].items():
        print(f"  {part:<62} {size / MIB:9,.1f} MiB  {size / text:6.2f}x")
    print("\nstored fields under other compressions (MiB):")
    for how, size in m["stored fields"].items():
        print(f"  {how:<40} {size / MIB:8.1f}")
    print(f"\n(positions share sampled on {m['sample']:.0%} of the posting lists, seed {m['seed']})")


def same_answers(location: Path, other: Path, *, titles: int, seed: int, mix: int = 0) -> int:
    """Compare the answers of two indexes; prints the differences, returns their number.

    The queries: bench/queries.txt, ``titles`` exact titles and, with ``mix``, that many queries
    of each kind of bench/tail.py's random mix (its Sampler, seeded with ``seed``). Two answers are
    the same when their reprs (total, facets, hit ids, scores, snippets, title highlights,
    collapsed copies) are equal byte for byte."""
    sys.path.insert(0, str(Path(__file__).parent))
    from queries import load_queries

    from zhsearch.search import open_index

    differences = checked = 0
    with open_index(location) as ours, open_index(other) as theirs:
        articles = list(ours.documents())
        ids = sorted(d.id for d in articles)
        drawn = random.Random(seed).sample(ids, min(titles, len(ids)))
        queries = [q for _, q in load_queries()] + [ours.document(i).title for i in drawn]
        if mix:
            from tail import Sampler, jieba_segmenter

            queries += [s.query for s in Sampler(articles, random.Random(seed), jieba_segmenter()).draw(mix)]
        del articles
        for query in queries:
            for dedup in (False, True):
                a = ours.search(query, limit=20, dedup=dedup)
                b = theirs.search(query, limit=20, dedup=dedup)
                checked += 1
                key = lambda page: (page.total, page.facets, [(h.id, h.score, h.snippet, h.title_html,  # noqa: E731
                                                                [d.id for d in h.duplicates]) for h in page.hits])
                if repr(key(a)) != repr(key(b)):
                    differences += 1
                    print(f"DIFFERENT: {query!r} (dedup={dedup}): {a.total} vs {b.total} hits")
    print(f"{checked} searches ({len(queries)} queries, with and without duplicates collapsed), "
          f"{differences} different; titles drawn with seed {seed}")
    return differences


def merged_copy(location: Path, target: Path) -> Path:
    """A copy of the index at ``location`` in ``target``, its segments merged into one."""
    import os
    import resource
    import shutil
    import time

    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC, clean_files

    from zhsearch.search.embedded.merge import merge_segments
    from zhsearch.search.embedded.segments import INDEX_NAME

    generation = current_generation(location)
    if target.exists():
        shutil.rmtree(target)
    copy = target / generation.name
    copy.mkdir(parents=True)
    for entry in generation.iterdir():
        os.link(entry, copy / entry.name)
    (target / "CURRENT").write_text(generation.name + "\n", encoding="utf-8")
    storage = FileStorage(str(copy))
    toc = TOC.read(storage, INDEX_NAME)
    started, cpu = time.perf_counter(), time.process_time()
    merged = merge_segments(copy, toc.schema, toc.segments)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    # The same generation number: the saved tables (duplicates, completions) are named by it.
    (copy / f"_{INDEX_NAME}_{toc.generation}.toc").unlink()  # a link: the original keeps its own
    TOC(toc.schema, [merged], toc.generation).write(storage, INDEX_NAME)
    clean_files(storage, INDEX_NAME, toc.generation, [merged])
    shutil.rmtree(copy / f"{INDEX_NAME}.tmp", ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"merged {len(toc.segments)} segments into one in {wall:.1f} s wall, {cpu:.1f} s CPU; "
          f"peak RSS of this process {peak:.0f} MiB")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--sample", type=float, default=0.02, help="share of posting lists decoded for the positions share")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--same-as", type=Path, help="only check that this index answers as --index does")
    parser.add_argument("--titles", type=int, default=300, help="with --same-as: articles searched by title")
    parser.add_argument("--mix", type=int, default=0, help="with --same-as: queries of each kind of bench/tail.py's mix")
    parser.add_argument("--merged-copy", type=Path, metavar="NEW", help="measure a merged copy written to NEW")
    args = parser.parse_args()
    if args.merged_copy:
        args.index = merged_copy(args.index, args.merged_copy)
    if args.same_as:
        return 1 if same_answers(args.index, args.same_as, titles=args.titles, seed=args.seed, mix=args.mix) else 0
    m = measure(args.index, sample=args.sample, seed=args.seed)
    report(m)
    if args.json:
        args.json.write_text(json.dumps(m, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
