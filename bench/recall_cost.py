"""What the character (recall) fields cost: index size and build time with and without them.

Parses the articles once, then writes the same documents twice — with the full schema, and with
a schema that lacks the recall fields (``*_chars``, ``*_pairs``) — and prints both builds' time and size.

    python bench/recall_cost.py PATH… [--limit 5000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from whoosh import formats
from whoosh import index as whoosh_index

from zhsearch.indexer import SkipArticle, discover, read_article
from zhsearch.search import AnalyzerConfig
from zhsearch.search.embedded.schema import build_schema
from zhsearch.search.embedded.store import disk_size
from zhsearch.search.embedded.writer import document_fields

CHAR_FIELDS = ("title_chars", "text_chars", "title_pairs", "text_pairs")


def build(docs: list, directory: Path, with_chars: bool) -> tuple[float, int]:
    # Whoosh's own writer takes only bytes values: positions as Whoosh's Positions (schema 2's).
    schema = build_schema(AnalyzerConfig(), positions=formats.Positions)
    if not with_chars:
        for name in CHAR_FIELDS:
            schema.remove(name)
    directory.mkdir()
    started = time.perf_counter()
    ix = whoosh_index.create_in(str(directory), schema)
    writer = ix.writer(limitmb=256)
    for doc in docs:
        fields = document_fields(doc)
        if not with_chars:
            for name in CHAR_FIELDS:
                fields.pop(name)
        writer.add_document(**fields)
    writer.commit()
    return time.perf_counter() - started, disk_size(directory)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=5000, help="at most this many files")
    args = parser.parse_args()
    docs = []
    for source in discover(args.paths):
        if len(docs) >= args.limit:
            break
        try:
            docs.append(read_article(source.file, source.doc_id).document)
        except SkipArticle:
            continue
    mb = sum(len(d.text.encode()) + len(d.title.encode()) for d in docs) / 1e6
    print(f"{len(docs)} documents, {mb:.1f} MB of cleaned text")
    tmp = Path(tempfile.mkdtemp(prefix="zhsearch-recall-cost-"))
    try:
        words_t, words_size = build(docs, tmp / "words", with_chars=False)
        full_t, full_size = build(docs, tmp / "full", with_chars=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"words only          : {words_t:7.1f} s  {words_size / 1e6:7.1f} MB")
    print(f"words + characters  : {full_t:7.1f} s  {full_size / 1e6:7.1f} MB")
    print(f"cost of recall field: time x{full_t / words_t:.2f}, size x{full_size / words_size:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
