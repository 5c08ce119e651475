"""zhsearch beside SQLite FTS5 and tantivy: same documents, same jieba tokens, same queries.

Reads the cleaned documents of a zhsearch index, tokenizes every title and text once with
zhsearch's own word analyzer (jieba, normalized and folded exactly as zhsearch indexes them), and
builds, from the same documents, in one run:

- zhsearch: a new index written with ``search.IndexWriter`` (its analyzers run inside);
- SQLite FTS5 (Python's ``sqlite3``): the tokens joined by spaces, ``unicode61`` tokenizer;
- tantivy (PyPI ``tantivy``, one writer thread): the tokens joined by spaces, ``whitespace``
  tokenizer.

Each peer's build time is the shared jieba tokenization plus its own insertion and commit.
Then every query of ``bench/queries.txt`` is translated for the peers (words → jieba tokens, a
word of several tokens → phrase, ``"…"`` → phrase, ``-`` → NOT, ``(a OR b)``, ``title:``,
``source:``, ``category:``, ``date:``/``since:``/``until:`` → filters, a long paragraph → any of
its words, a filter-only query → newest first) and timed warm, page one of 10 hits with HTML
snippets (FTS5 ``snippet()``, tantivy ``SnippetGenerator``), the total and source and month facet
counts of every match, as zhsearch returns them. Peers match jieba words only: zhsearch's
substring guarantee (character fields) and duplicate grouping have no counterpart there.
Prints build times and query p50/p95 with their ratios to zhsearch.

    python bench/peers.py --index DIR [--limit N] [--repeat 3] [--work /tmp/zhsearch-peers] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from queries import QUERIES, load_queries, measure, summary  # noqa: E402

LONG_QUERY_CHARS = 30  # zhsearch's rule for a pasted paragraph: more than 30 characters or 6 terms
LONG_QUERY_TERMS = 6
_PART = re.compile(r'\s*(-?)(?:([A-Za-z]+):)?("[^"]*"?|\([^)]*\)?|[^\s()"]+)')
_EPOCH = datetime(1970, 1, 1)


# -- the documents and their tokens ----------------------------------------------------------


@dataclass(frozen=True)
class PeerDoc:
    id: str
    title: str
    text: str
    source: str
    cats: tuple[str, ...]
    ts: int  # seconds since the epoch (UTC), 0 when undated
    month: str


def load_documents(index_dir: str, limit: int | None) -> tuple[list[Any], Any]:
    from zhsearch.search import open_index

    with open_index(index_dir) as index:
        docs = []
        for doc in index.documents():
            docs.append(doc)
            if limit and len(docs) >= limit:
                break
        return docs, index.config


def tokenize_all(docs: list[Any], config: Any) -> tuple[list[PeerDoc], float]:
    """Every title and text as its zhsearch word tokens joined by spaces; the seconds it took."""
    from zhsearch.search.text.analysis import WordTokenizer

    words = WordTokenizer(config)
    list(words("预热"))  # jieba's dictionary loads on first use: not part of the figure
    started = time.perf_counter()
    out = []
    for d in docs:
        date = d.date.astimezone(timezone.utc).replace(tzinfo=None) if d.date else None
        out.append(
            PeerDoc(
                id=d.id,
                title=" ".join(t.text for t in words(d.title)),
                text=" ".join(t.text for t in words(d.text)),
                source=d.source or "",
                cats=tuple(dict.fromkeys((*d.categories, *d.tags))),
                ts=int((date - _EPOCH).total_seconds()) if date else 0,
                month=date.strftime("%Y-%m") if date else "",
            )
        )
    return out, time.perf_counter() - started


# -- the query set, translated -----------------------------------------------------------------


@dataclass
class Clause:
    tokens: list[str]
    title_only: bool = False  # title:…


@dataclass
class PeerQuery:
    must: list[list[Clause]] = field(default_factory=list)  # AND of (OR of clauses)
    must_not: list[Clause] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    not_sources: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    since: int | None = None
    until: int | None = None  # exclusive

    @property
    def has_text(self) -> bool:
        return bool(self.must)


def period(value: str) -> tuple[int, int] | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as [start, end) epoch seconds (UTC)."""
    parts = value.split("-")
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) == 1:
            start, end = datetime(numbers[0], 1, 1), datetime(numbers[0] + 1, 1, 1)
        elif len(numbers) == 2:
            y, m = numbers
            start, end = datetime(y, m, 1), datetime(y + m // 12, m % 12 + 1, 1)
        elif len(numbers) == 3:
            start = datetime(numbers[0], numbers[1], numbers[2])
            end = start + timedelta(days=1)
        else:
            return None
    except ValueError:
        return None
    return int((start - _EPOCH).total_seconds()), int((end - _EPOCH).total_seconds())


def translate(query: str, tokens: Callable[[str], list[str]]) -> PeerQuery:
    """The query set's syntax (see README "Query syntax") as a PeerQuery over jieba tokens."""
    q = PeerQuery()
    operators = any(c in query for c in '"():') or re.search(r"(^|\s)(-|OR\b|NOT\b)", query)
    if not operators and (len(query) > LONG_QUERY_CHARS or len(query.split()) > LONG_QUERY_TERMS):
        q.must.append([Clause([t]) for t in dict.fromkeys(tokens(query))])  # any of its words
        return q
    negate_next = False
    for minus, name, value in _PART.findall(query):
        negated = bool(minus) or negate_next
        negate_next = False
        if not name and value in ("NOT",):
            negate_next = True
            continue
        if not name and value == "OR":
            continue
        name = name.lower()
        if name == "source":
            (q.not_sources if negated else q.sources).append(value)
            continue
        if name in ("category", "tag"):
            q.categories.append(value)
            continue
        if name in ("date", "since", "until"):
            low, _, high = value.partition("..")
            a, b = period(low), period(high or low)
            if a and b:
                if name in ("date", "since"):
                    q.since = a[0]
                if name in ("date", "until"):
                    q.until = b[1]
            continue
        if value.startswith("("):
            alternatives = [p for p in re.split(r"\s+OR\s+", value.strip("()")) if p.strip()]
            group = [Clause(tokens(a.strip('"'))) for a in alternatives]
            group = [c for c in group if c.tokens]
            if group:
                (q.must_not.extend(group) if negated else q.must.append(group))
            continue
        clause = Clause(tokens(value.strip('"')), title_only=name == "title")
        if not clause.tokens:
            continue
        if negated:
            q.must_not.append(clause)
        else:
            q.must.append([clause])
    return q


# -- SQLite FTS5 -------------------------------------------------------------------------------


class Fts5Peer:
    name = "SQLite FTS5"

    def __init__(self, path: Path) -> None:
        self.path = path

    def build(self, docs: list[PeerDoc]) -> None:
        if self.path.exists():
            self.path.unlink()
        db = sqlite3.connect(self.path)
        db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, source UNINDEXED, cats UNINDEXED, ts UNINDEXED, "
            "month UNINDEXED, title, text, tokenize = 'unicode61 remove_diacritics 0')"
        )
        with db:
            db.executemany(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((d.id, d.source, "," + ",".join(d.cats) + ",", d.ts, d.month, d.title, d.text) for d in docs),
            )
        db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        db.commit()
        db.close()

    def open(self) -> None:
        self.db = sqlite3.connect(self.path, check_same_thread=False)

    @staticmethod
    def _clause(c: Clause) -> str:
        phrase = '"' + " ".join(t.replace('"', '""') for t in c.tokens) + '"'
        return f"title : {phrase}" if c.title_only else phrase

    def _match(self, q: PeerQuery) -> str:
        groups = ["(" + " OR ".join(self._clause(c) for c in g) + ")" for g in q.must]
        expr = " AND ".join(groups)
        for c in q.must_not:
            expr = f"({expr}) NOT ({self._clause(c)})"
        return expr

    def search(self, q: PeerQuery) -> tuple[int, list[tuple[str, str]], dict[str, Counter[str]]]:
        where: list[str] = []
        params: list[object] = []
        if q.has_text:
            where.append("docs MATCH ?")
            params.append(self._match(q))
        if q.sources:
            where.append(f"source IN ({','.join('?' * len(q.sources))})")
            params += q.sources
        for s in q.not_sources:
            where.append("source != ?")
            params.append(s)
        if q.categories:
            where.append("(" + " OR ".join("cats LIKE ?" for _ in q.categories) + ")")
            params += [f"%,{c},%" for c in q.categories]
        if q.since is not None:
            where.append("ts >= ?")
            params.append(q.since)
        if q.until is not None:
            where.append("ts < ?")
            params.append(q.until)
        clause = " WHERE " + " AND ".join(where) if where else ""
        order = "bm25(docs, 0, 0, 0, 0, 0, 2.0, 1.0)" if q.has_text else "ts DESC"
        rows = self.db.execute(
            f"SELECT id, title, snippet(docs, 6, '<mark>', '</mark>', '…', 24) FROM docs{clause} "
            f"ORDER BY {order} LIMIT 10",
            params,
        ).fetchall()
        facets: dict[str, Counter[str]] = {"source": Counter(), "month": Counter()}
        total = 0
        for source, month, n in self.db.execute(f"SELECT source, month, count(*) FROM docs{clause} GROUP BY 1, 2", params):
            facets["source"][source] += n
            facets["month"][month] += n
            total += n
        return total, [(r[0], r[2]) for r in rows], facets


# -- tantivy -------------------------------------------------------------------------------------


class TantivyPeer:
    name = "tantivy"

    def __init__(self, path: Path) -> None:
        import tantivy

        self.t = tantivy
        self.path = path
        b = tantivy.SchemaBuilder()
        b.add_text_field("id", stored=True, tokenizer_name="raw")
        b.add_text_field("title", stored=True, tokenizer_name="whitespace")
        b.add_text_field("text", stored=True, tokenizer_name="whitespace")
        b.add_text_field("source", stored=True, fast=True, tokenizer_name="raw")
        b.add_text_field("month", fast=True, tokenizer_name="raw")
        b.add_text_field("cats", tokenizer_name="raw")
        b.add_integer_field("ts", stored=True, indexed=True, fast=True)
        self.schema = b.build()

    def build(self, docs: list[PeerDoc]) -> None:
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        index = self.t.Index(self.schema, path=str(self.path))
        writer = index.writer(heap_size=200_000_000, num_threads=1)
        for d in docs:
            doc = self.t.Document(id=d.id, title=d.title, text=d.text, source=d.source, month=d.month, ts=d.ts)
            for c in d.cats:
                doc.add_text("cats", c)
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()

    def open(self) -> None:
        self.index = self.t.Index.open(str(self.path))
        self.index.reload()
        self.searcher = self.index.searcher()

    def _clause(self, c: Clause) -> Any:
        Q = self.t.Query
        fields = ["title"] if c.title_only else ["title", "text"]
        parts = []
        for f in fields:
            words: list[str | tuple[int, str]] = list(c.tokens)
            q = Q.term_query(self.schema, f, c.tokens[0]) if len(c.tokens) == 1 else Q.phrase_query(self.schema, f, words)
            parts.append((self.t.Occur.Should, Q.boost_query(q, 2.0) if f == "title" else q))
        return Q.boolean_query(parts)

    def _query(self, q: PeerQuery) -> Any:
        Q, Occur = self.t.Query, self.t.Occur
        parts = []
        for group in q.must:
            alternatives = [(Occur.Should, self._clause(c)) for c in group]
            parts.append((Occur.Must, alternatives[0][1] if len(alternatives) == 1 else Q.boolean_query(alternatives)))
        for c in q.must_not:
            parts.append((Occur.MustNot, self._clause(c)))
        filters = []
        if q.sources:
            filters.append(Q.boolean_query([(Occur.Should, Q.term_query(self.schema, "source", s)) for s in q.sources]))
        if q.categories:
            filters.append(Q.boolean_query([(Occur.Should, Q.term_query(self.schema, "cats", c)) for c in q.categories]))
        if q.since is not None or q.until is not None:
            filters.append(Q.range_query(self.schema, "ts", self.t.FieldType.Integer, q.since, q.until,
                                         include_upper=q.until is None))
        for f in filters:
            parts.append((Occur.Must, Q.const_score_query(f, 0.0)))
        for s in q.not_sources:
            parts.append((Occur.MustNot, Q.term_query(self.schema, "source", s)))
        if not q.has_text and not filters:
            parts.append((Occur.Must, Q.all_query()))
        return Q.boolean_query(parts)

    def search(self, q: PeerQuery) -> tuple[int, list[tuple[str, str]], dict[str, Counter[str]]]:
        query = self._query(q)
        if q.has_text:
            result = self.searcher.search(query, limit=10, count=True)
        else:
            result = self.searcher.search(query, limit=10, count=True, order_by_field="ts")
        hits = []
        if result.hits and q.has_text:
            snippets = self.t.SnippetGenerator.create(self.searcher, query, self.schema, "text")
            snippets.set_max_num_chars(150)
        for _, address in result.hits:
            doc = self.searcher.doc(address)
            html = snippets.snippet_from_doc(doc).to_html() if q.has_text else ""
            hits.append((doc["id"][0], html))
        aggs = self.searcher.aggregate(query, {
            "source": {"terms": {"field": "source", "size": 1000}},
            "month": {"terms": {"field": "month", "size": 1000}},
        })
        facets = {k: Counter({b["key"]: b["doc_count"] for b in v["buckets"]}) for k, v in aggs.items()}
        return int(result.count or 0), hits, facets  # type: ignore[attr-defined]


# -- the run -------------------------------------------------------------------------------------


def time_queries(search: Callable[[Any], Any], queries: list[tuple[str, Any]], repeat: int) -> dict[str, Any]:
    matches = sum(search(q)[0] for _, q in queries)  # warm-up
    times: list[float] = []
    cpu: list[float] = []
    clock, cpu_clock = time.perf_counter, time.thread_time
    for _ in range(repeat):
        for _, q in queries:
            started, cpu_started = clock(), cpu_clock()
            search(q)
            cpu.append(cpu_clock() - cpu_started)
            times.append(clock() - started)
    return {**summary(times), "matches": matches, "cpu": summary(cpu)}


def build_zhsearch(docs: list[Any], location: Path, config: Any) -> float:
    from zhsearch.search import IndexWriter

    if location.exists():
        shutil.rmtree(location)
    started = time.perf_counter()
    with IndexWriter(location, config=config) as writer:
        for d in docs:
            writer.add(d)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, help="the zhsearch index whose documents are used")
    parser.add_argument("--limit", type=int, help="only the first N documents")
    parser.add_argument("--queries", default=str(QUERIES))
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds of the query set (default 3)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/zhsearch-peers"), help="where the indexes go")
    parser.add_argument("--reuse-zhsearch", action="store_true",
                        help="query --index itself instead of rebuilding it (no build ratio)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()

    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    docs, config = load_documents(args.index, args.limit)
    print(f"{len(docs)} documents read from {args.index} in {time.perf_counter() - started:.1f}s", flush=True)
    peer_docs, tokenize_s = tokenize_all(docs, config)
    chars = sum(len(d.title) + len(d.text) for d in docs)
    print(f"jieba tokens of every title and text (zhsearch's WordTokenizer): {tokenize_s:.1f}s "
          f"for {chars / 1e6:.1f} M characters", flush=True)

    figures: dict[str, Any] = {"documents": len(docs), "tokenize_s": tokenize_s, "python": platform.python_version()}
    if args.reuse_zhsearch:
        zh_location, zh_build = Path(args.index), None
    else:
        zh_location = args.work / "zhsearch"
        zh_build = build_zhsearch(docs, zh_location, config)
        print(f"zhsearch build: {zh_build:.1f}s", flush=True)
    del docs

    peers: list[Any] = [Fts5Peer(args.work / "fts5.sqlite"), TantivyPeer(args.work / "tantivy")]
    builds: dict[str, float] = {}
    for peer in peers:
        t0 = time.perf_counter()
        peer.build(peer_docs)
        builds[peer.name] = tokenize_s + time.perf_counter() - t0
        print(f"{peer.name} build: {builds[peer.name]:.1f}s (tokenizing {tokenize_s:.1f}s + "
              f"{builds[peer.name] - tokenize_s:.1f}s)", flush=True)
    del peer_docs

    from zhsearch.search import open_index
    from zhsearch.search.text.analysis import WordTokenizer

    words = WordTokenizer(config)

    def tokens(text: str) -> list[str]:
        return [t.text for t in words(text)]

    query_set = load_queries(args.queries)
    translated = [(c, translate(q, tokens)) for c, q in query_set]
    with open_index(zh_location) as index:
        zh_figures = measure(index, query_set, repeat=args.repeat)
    zh = {**zh_figures["overall"], "matches": sum(q["total"] for q in zh_figures["queries"]),
          "cpu": zh_figures["overall_cpu"]}
    latency = {"zhsearch": zh}
    for peer in peers:
        peer.open()
        latency[peer.name] = time_queries(peer.search, translated, args.repeat)

    print(f"\n{len(query_set)} queries × {args.repeat} rounds, warm; page of 10 with snippets, total, facets")
    print(f"{'engine':12s} {'build s':>8s} {'× zh':>6s} {'p50 ms':>8s} {'p95 ms':>8s} {'× zh p95':>8s} {'matches':>9s}"
          f" {'CPU p95':>8s} {'× zh':>6s}")
    for name in ("zhsearch", *(p.name for p in peers)):
        build = zh_build if name == "zhsearch" else builds[name]
        ratio_b = f"{build / zh_build:6.3f}" if build is not None and zh_build else "     -"
        lat = latency[name]
        print(f"{name:12s} {build if build is not None else float('nan'):8.1f} {ratio_b} {lat['p50']:8.2f} "
              f"{lat['p95']:8.2f} {lat['p95'] / zh['p95']:8.3f} {lat['matches']:9d}"
              f" {lat['cpu']['p95']:8.2f} {lat['cpu']['p95'] / zh['cpu']['p95']:6.3f}")
    print("CPU p95: this thread's CPU time per query (without waiting for a core on a shared machine)")
    print("matches: sum over the query set of each engine's total (zhsearch counts duplicate groups; the peers\n"
          "match jieba words only, so they miss what zhsearch finds inside words and through single characters)")
    figures.update(
        build_s={"zhsearch": zh_build, **builds},
        query_ms=latency,
        ratios={
            name: {
                "build": (builds[name] / zh_build) if zh_build else None,
                "query_p95": latency[name]["p95"] / zh["p95"],
                "query_cpu_p95": latency[name]["cpu"]["p95"] / zh["cpu"]["p95"],
            }
            for name in builds
        },
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
