"""Searching a Xapian cluster: every reachable shard searched as one database by Xapian itself.

``xapian.Database`` with each shard added through ``xapian.remote_open`` merges the shards'
results with global statistics (BM25 weights as in one database); the collapse key groups
copies of an article, match spies count facets over every match, and the shared snippet code
highlights the stored text. An unreachable shard leaves its documents out and says so in the
page's ``warnings`` (or fails, with ``require_all_shards``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import xapian

from ..complete import CompletionTable
from ..discover import DictionaryWord, dictionary_words
from ..document import Document, Duplicate, Hit, IndexStats, SearchPage
from ..engine import MAX_LIMIT, check_page, prepare_query, relax_runs
from ..errors import DocumentNotFoundError, InvalidArgumentError
from ..facets import ordered
from ..query import RELAX_BELOW, ParsedQuery, QueryBuilder
from ..snippets import highlight, snippet
from ..store import disk_size
from .config import ClusterConfig
from .connect import ShardUnavailableError, open_cluster_db
from .query import UntranslatableQuery, translate
from .terms import (CATEGORY_SLOTS, DATE, GROUP, GROUP_PREFIX, ID_TEXT_PREFIX, MONTH, NEWEST, OLDEST,
                    ORDINAL, PREFIXES, SOURCE, fit, from_data, generation_term, id_term)
from .writer import BUILT_KEY, LIVE_KEY, ROOTS_KEY, check_analyzer

Q = xapian.Query
SIMILAR_TERMS = 12
EXPORT_BATCH = 1000
_T = TypeVar("_T")


@dataclass
class _Found:
    mset: Any
    total: int  # documents, or groups of copies
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class ClusterIndex:
    """A zhsearch index stored on a Xapian cluster, opened for reading; thread-safe.

    >>> with open_cluster("cluster.toml") as index:   # doctest: +SKIP
    ...     page = index.search("碳中和", limit=5)
    """

    def __init__(self, cluster: ClusterConfig, *, require_all_shards: bool = False) -> None:
        self.cluster = cluster
        self.location = cluster.location or Path("cluster.toml")
        self.require_all_shards = require_all_shards
        self.config = cluster.analyzer
        self.manifest: dict[str, Any] = {"roots": [], "shards": [s.address for s in cluster.shards]}
        self.table_missing: Callable[[str], None] | None = None
        self.vectorized = False
        self._builder = QueryBuilder(self.config)
        self._local = threading.local()
        db, _ = self._database()
        check_analyzer(db, cluster)
        roots = db.get_metadata(ROOTS_KEY)
        self.manifest["roots"] = json.loads(roots) if roots else []

    @classmethod
    def open(cls, location: Path | str, *, require_all_shards: bool = False) -> ClusterIndex:
        return cls(ClusterConfig.load(location), require_all_shards=require_all_shards)

    # -- connections ---------------------------------------------------------------------------

    def _database(self) -> tuple[xapian.Database, list[str]]:
        """This thread's database over the shards, current (reopened: it sees the last commits)."""
        local = self._local
        db = getattr(local, "db", None)
        if db is not None and not local.warnings:
            try:
                db.reopen()
                return db, []
            except xapian.Error:
                self._drop()
        db, _, warnings = open_cluster_db(self.cluster, require_all=self.require_all_shards)
        local.db, local.warnings = db, warnings
        return db, list(warnings)

    def _live(self, db: xapian.Database) -> xapian.Query:
        """The documents of the live generation (a rebuild's new documents stay out until it is complete);
        read from the first shard, which a rebuild switches last."""
        raw = db.get_metadata(LIVE_KEY)
        return Q(generation_term(int(raw or 0)))

    def _in_live(self, db: xapian.Database, query: xapian.Query) -> xapian.Query:
        return Q(Q.OP_FILTER, query, self._live(db))

    def _drop(self) -> None:
        db = getattr(self._local, "db", None)
        self._local.db = None
        if db is not None:
            try:
                db.close()
            except xapian.Error:
                pass

    def _with_db(self, action: Callable[[xapian.Database, list[str]], _T]) -> _T:
        """Run ``action`` on the cluster; a shard that stops answering midway: once more without it."""
        for attempt in (1, 2):
            db, warnings = self._database()
            try:
                return action(db, warnings)
            except (xapian.NetworkError, xapian.DatabaseModifiedError) as exc:
                self._drop()
                if attempt == 2:
                    raise ShardUnavailableError(f"the cluster stopped answering: {exc}") from None
        raise AssertionError("unreachable")

    def refresh(self) -> bool:
        return False  # every search reopens the shards: there is nothing to follow

    def close(self) -> None:
        self._drop()

    def __enter__(self) -> ClusterIndex:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __len__(self) -> int:
        return self._with_db(lambda db, _: self._count(db, self._live(db), False))

    # -- queries -------------------------------------------------------------------------------

    def search(
        self, query: str, *, page: int = 1, limit: int = 10, explain: bool = False,
        source: str | Sequence[str] | None = None, category: str | Sequence[str] | None = None,
        tag: str | Sequence[str] | None = None, since: date | str | None = None,
        until: date | str | None = None, month: str | None = None, sort: str = "relevance",
        facets: bool = True, dedup: bool = True,
    ) -> SearchPage:
        """As :meth:`search.engine.SearchIndex.search`, over every reachable shard."""
        check_page(page=page, limit=limit, sort=sort)
        parsed, warnings = prepare_query(self._builder, query, source=source, category=category, tag=tag,
                                         since=since, until=until, month=month)
        if sort == "relevance" and parsed.empty:
            sort = "newest"

        def run(db: xapian.Database, shard_warnings: list[str]) -> SearchPage:
            notes = shard_warnings + list(warnings)
            restrict = self._restriction(parsed, self._live(db))
            found = self._find(db, restrict(translate(parsed.query)), sort, dedup, page * limit, facets)
            if found.total < RELAX_BELOW and parsed.runs():
                found = self._relax(db, parsed, restrict, sort, dedup, page * limit, facets, found, notes)
            hits = []
            for match in list(found.mset)[(page - 1) * limit:]:
                doc, _ = from_data(match.document.get_data())
                copies = self._copies(db, restrict(translate(parsed.query)), match) if dedup else ()
                hits.append(self._hit(doc, parsed.needles, match.weight if sort == "relevance" else 0.0, copies))
            return SearchPage(
                query=query, total=found.total, page=page, limit=limit, hits=tuple(hits), facets=found.facets,
                warnings=tuple(notes), explain=self._explain(db, parsed, found.total) if explain else None,
                total_counting="groups" if dedup else "documents",
            )

        return self._with_db(run)

    def _restriction(self, parsed: ParsedQuery, live: xapian.Query) -> Callable[[xapian.Query], xapian.Query]:
        """The query's filters (``source:``, dates…) and exclusions (``-source:``) applied to a query
        of the ``live`` documents."""
        allowed = parsed.filters.query()
        masked = parsed.filters.mask()
        allow = translate(allowed) if allowed is not None else None
        mask = translate(masked) if masked is not None else None

        def restrict(query: xapian.Query) -> xapian.Query:
            query = Q(Q.OP_FILTER, query, live)
            if allow is not None:
                query = Q(Q.OP_FILTER, query, allow)
            if mask is not None:
                query = Q(Q.OP_AND_NOT, query, mask)
            return query

        return restrict

    def _find(self, db: xapian.Database, query: xapian.Query, sort: str, dedup: bool, want: int,
              facets: bool) -> _Found:
        """The first ``want`` hits (group leaders with ``dedup``), the exact total, the facets."""
        enquire = xapian.Enquire(db)
        enquire.set_query(query)
        enquire.set_weighting_scheme(xapian.BM25Weight())
        if sort == "relevance":
            enquire.set_sort_by_relevance_then_value(ORDINAL, False)  # ties in index order, as Whoosh
        else:
            enquire.set_sort_by_value(NEWEST if sort == "newest" else OLDEST, sort == "newest")
        if dedup:
            enquire.set_collapse_key(GROUP)
        spies: dict[str, list[xapian.ValueCountMatchSpy]] = {}
        if facets:
            spies = {"source": [xapian.ValueCountMatchSpy(SOURCE)], "month": [xapian.ValueCountMatchSpy(MONTH)],
                     "category": [xapian.ValueCountMatchSpy(slot) for slot in CATEGORY_SLOTS]}
            for group in spies.values():
                for spy in group:
                    enquire.add_matchspy(spy)
        everything = db.get_doccount()  # checked in full: the totals and the facets are exact
        mset = enquire.get_mset(0, want, everything)
        counts: dict[str, dict[str, int]] = {}
        for name, group in spies.items():
            tally: dict[str, int] = {}
            for spy in group:
                for item in spy.values():
                    value = item.term.decode("utf-8")
                    tally[value] = tally.get(value, 0) + item.termfreq
            counts[name] = ordered(name, [(v, n) for v, n in tally.items() if v])
        return _Found(mset, int(mset.get_matches_estimated()), counts)

    def _count(self, db: xapian.Database, query: xapian.Query, dedup: bool) -> int:
        return self._find(db, query, "relevance", dedup, 1, False).total

    def _relax(self, db: xapian.Database, parsed: ParsedQuery, restrict: Callable[[xapian.Query], xapian.Query],
               sort: str, dedup: bool, want: int, facets: bool, found: _Found, warnings: list[str]) -> _Found:
        """As the embedded index relaxes a run: require fewer of its words until there are enough."""
        if relax_runs(self._builder, parsed, found.total, warnings,
                      frequency=lambda unit: self._count(db, self._in_live(db, translate(unit)), False),
                      count=lambda required: self._count(db, restrict(translate(required)), dedup)):
            found = self._find(db, restrict(translate(parsed.query)), sort, dedup, want, facets)
        return found

    def _copies(self, db: xapian.Database, query: xapian.Query, match: Any) -> tuple[Duplicate, ...]:
        """The other matching copies of a group leader, in index order."""
        key = match.collapse_key.decode("utf-8") if match.collapse_key else ""
        if not key:  # collapse_count is only a lower bound (it may be 0 for a group with copies)
            return ()
        enquire = xapian.Enquire(db)
        enquire.set_query(Q(Q.OP_FILTER, query, Q(GROUP_PREFIX + key)))
        enquire.set_sort_by_value(ORDINAL, False)
        copies = []
        for other in enquire.get_mset(0, db.get_doccount()):
            if other.docid == match.docid:
                continue
            doc, _ = from_data(other.document.get_data())
            copies.append(Duplicate(id=doc.id, title=doc.title, source=doc.source, date=doc.date_iso))
        return tuple(copies)

    def _hit(self, doc: Document, needles: list[str], score: float, copies: tuple[Duplicate, ...] = ()) -> Hit:
        simplify = self.config.simplify
        return Hit(
            id=doc.id, path=doc.path, title=doc.title, title_html=highlight(doc.title, needles, simplify=simplify),
            url=doc.url, source=doc.source, date=doc.date_iso, score=float(score),
            snippet=snippet(doc.text, needles, simplify=simplify), duplicates=copies,
        )

    def _explain(self, db: xapian.Database, parsed: ParsedQuery, total: int) -> dict[str, Any]:
        clauses = []
        for group in parsed.groups:
            for clause in group:
                info = clause.explain()
                info["matches"] = (self._count(db, self._in_live(db, translate(clause.query)), False)
                                   if clause.query is not None else 0)
                info["any_of_group"] = len(group) > 1
                clauses.append(info)
        unmatched = [c["text"] for c in clauses if c["matches"] == 0 and not c["excluded"]]
        return {"clauses": clauses, "unmatched": unmatched, "total": total,
                "whoosh_query": str(parsed.query), "xapian_query": str(translate(parsed.query))}

    def matching_ids(self, query: str) -> set[str]:
        parsed = self._builder.parse(query)

        def run(db: xapian.Database, _: list[str]) -> set[str]:
            found = self._find(db, self._restriction(parsed, self._live(db))(translate(parsed.query)), "relevance", False,
                               db.get_doccount(), False)
            return {from_data(m.document.get_data())[0].id for m in found.mset}

        return self._with_db(run)

    def similar(self, doc_id: str, *, limit: int = 10) -> tuple[Hit, ...]:
        """Articles about the same thing: the document's most distinctive jieba words (Xapian's
        expansion set of the document), as a ranked query; the article and its copies left out."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidArgumentError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")

        def run(db: xapian.Database, _: list[str]) -> tuple[Hit, ...]:
            docid, doc, record = self._lookup(db, doc_id)
            relevant = xapian.RSet()
            relevant.add_document(docid)
            enquire = xapian.Enquire(db)
            enquire.set_query(Q(id_term(doc_id)))
            words: dict[str, float] = {}
            for prefix in (PREFIXES["title"], PREFIXES["text"]):
                for item in enquire.get_eset(SIMILAR_TERMS, relevant, xapian.ExpandDeciderFilterPrefix(prefix)):
                    word = item.term.decode("utf-8")[len(prefix):]
                    words[word] = max(words.get(word, 0.0), item.weight)
            keys = sorted(words.items(), key=lambda kv: -kv[1])[:SIMILAR_TERMS]
            if not keys:
                return ()
            top = keys[0][1] or 1.0
            query = Q(Q.OP_OR, [Q(Q.OP_SCALE_WEIGHT, Q(p + w), weight / top)
                                for w, weight in keys for p in (PREFIXES["title"], PREFIXES["text"])])
            left_out = Q(id_term(doc_id))
            if record.get("group"):
                left_out = Q(Q.OP_OR, left_out, Q(GROUP_PREFIX + record["group"]))
            enquire.set_query(self._in_live(db, Q(Q.OP_AND_NOT, query, left_out)))
            enquire.set_sort_by_relevance_then_value(ORDINAL, False)
            needles = [w for w, _ in keys]
            return tuple(self._hit(from_data(m.document.get_data())[0], needles, m.weight)
                         for m in enquire.get_mset(0, limit))

        return self._with_db(run)

    def _lookup(self, db: xapian.Database, doc_id: str) -> tuple[int, Document, dict[str, Any]]:
        enquire = xapian.Enquire(db)
        enquire.set_query(self._in_live(db, Q(id_term(doc_id))))
        for match in enquire.get_mset(0, 1):
            doc, record = from_data(match.document.get_data())
            return match.docid, doc, record
        raise DocumentNotFoundError(f"no document with id {doc_id!r} in the index")

    def document(self, doc_id: str) -> Document:
        return self._with_db(lambda db, _: self._lookup(db, doc_id)[1])

    def ids_starting_with(self, prefix: str) -> list[str]:
        def run(db: xapian.Database, _: list[str]) -> list[str]:
            start = fit(ID_TEXT_PREFIX + prefix)
            found: set[str] = set()
            for item in db.allterms(start):
                enquire = xapian.Enquire(db)
                enquire.set_query(self._in_live(db, Q(item.term)))
                for match in enquire.get_mset(0, db.get_doccount()):
                    doc_id = from_data(match.document.get_data())[0].id
                    if doc_id.startswith(prefix):
                        found.add(doc_id)
            return sorted(found)

        return self._with_db(run)

    def documents(self) -> Iterator[Document]:
        """Every document, in the order they were written (a build's order), a batch at a time."""
        offset = 0
        while True:
            def batch(db: xapian.Database, _: list[str]) -> list[Document]:
                enquire = xapian.Enquire(db)
                enquire.set_query(self._live(db))
                enquire.set_sort_by_value(ORDINAL, False)
                return [from_data(m.document.get_data())[0] for m in enquire.get_mset(offset, EXPORT_BATCH)]

            docs = self._with_db(batch)
            yield from docs
            if len(docs) < EXPORT_BATCH:
                return
            offset += len(docs)

    def highlight(self, text: str, query: str) -> str:
        return highlight(text, self._builder.parse(query).needles, simplify=self.config.simplify)

    def dictionary_words(self) -> list[DictionaryWord]:
        """The words the cluster's analyzer adds to jieba's dictionary (its cluster file's user
        words; a cluster discovers none, so none has a document count)."""
        return dictionary_words(self.config.user_word_list(), self.config.new_words, None)

    def stats(self) -> IndexStats:
        def run(db: xapian.Database, _: list[str]) -> IndexStats:
            spy = xapian.ValueCountMatchSpy(SOURCE)
            enquire = xapian.Enquire(db)
            enquire.set_query(self._live(db))
            enquire.add_matchspy(spy)
            total = enquire.get_mset(0, 0, db.get_doccount()).get_matches_estimated()
            sources = {item.term.decode("utf-8"): item.termfreq for item in spy.values()}
            unsourced = total - sum(sources.values())
            if unsourced:
                sources[""] = unsourced
            dates = []
            for newest in (False, True):
                enquire = xapian.Enquire(db)
                enquire.set_query(self._in_live(db, Q(Q.OP_VALUE_GE, DATE, "0")))
                enquire.set_sort_by_value(DATE, newest)
                first = list(enquire.get_mset(0, 1))
                dates.append(from_data(first[0].document.get_data())[0].date_iso if first else None)
            size = sum(disk_size(Path(s.path)) for s in self.cluster.shards if s.path and Path(s.path).exists())
            return IndexStats(
                documents=int(total), size_bytes=size,
                sources=dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
                first_date=dates[0], last_date=dates[1], built_at=db.get_metadata(BUILT_KEY).decode() or None,
                zhsearch_version=_version(), analyzer=self.config.to_json(),
            )

        return self._with_db(run)

    # The embedded index's derived tables (completions, vocabulary…) have no cluster counterpart yet.
    def missing_tables(self, kinds: Iterable[str] = ()) -> tuple[str, ...]:
        return ()

    def has_saved_tables(self) -> bool:
        return True

    def save_tables(self) -> list[str]:
        return []

    def completion_table(self) -> CompletionTable:
        return CompletionTable((), (), simplify=self.config.simplify)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("zhsearch")
    except PackageNotFoundError:
        return ""


def open_cluster(location: Path | str, *, require_all_shards: bool = False) -> ClusterIndex:
    """Open the cluster named by the cluster file at ``location`` for searching."""
    return ClusterIndex.open(location, require_all_shards=require_all_shards)


__all__ = ["ClusterIndex", "UntranslatableQuery", "open_cluster"]
