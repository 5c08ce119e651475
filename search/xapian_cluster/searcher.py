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
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import xapian
from whoosh import query as wq

from ..queries.complete import CompletionTable
from ..text.discover import DictionaryWord, dictionary_words
from ..results.document import Document, Duplicate, Hit, IndexStats, SearchPage
from ..embedded.engine import (MAX_LIMIT, SIMILAR_OPTIONS, SUGGEST_BELOW, check_page, prepare_query, relax_runs,
                               rerank_bonus, rerank_depth)
from ..errors import DocumentNotFoundError, IndexLockedError, InvalidArgumentError
from ..results.facets import ordered
from ..queries.longquery import ArchiveStatistics, LongQueryBuilder, LongQueryOptions, similar_text
from ..queries.query import RELAX_BELOW, AtLeast, ParsedQuery, QueryBuilder
from ..results.snippets import highlight, snippet
from ..queries.suggest import MAX_SUGGESTIONS, candidates
from ..embedded.store import disk_size
from .config import ClusterConfig
from . import tables
from .connect import ShardUnavailableError, open_cluster_db, open_writable
from .query import FILTER_FIELDS, Bonus, UntranslatableQuery, Weights, scored_terms, translate
from .terms import (CATEGORY_SLOTS, DATE, GROUP, GROUP_PREFIX, ID_TEXT_PREFIX, IMPACT_SCALE, MONTH, NEWEST,
                    OLDEST, ORDINAL, PREFIXES, SOURCE, fit, fits, from_data, generation_term, id_term, idf)
from .writer import BUILT_KEY, LIVE_KEY, ROOTS_KEY, check_analyzer, check_weights

Q = xapian.Query
IMPACTS = xapian.TfIdfWeight("nnn")  # a term weighs its wdf (its impact, see terms) times its query scale
EXPORT_BATCH = 1000
_T = TypeVar("_T")


@dataclass
class _Found:
    mset: Any
    total: int  # documents, or groups of copies
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class ClusterStatistics(ArchiveStatistics):
    """How many documents hold a word, over the cluster (what :class:`search.queries.longquery.ArchiveStatistics`
    reads from a Whoosh searcher): the words given are looked up at once, in Xapian's statistics of one query."""

    def __init__(self, db: xapian.Database, words: Iterable[str], known: dict[str, int] | None = None,
                 also: Iterable[str] = ()) -> None:
        # (not super()'s: it reads a Whoosh searcher; ``also``: other terms to read in the same query)
        self._db = db
        self.documents = int(db.get_doccount())
        self._frequencies = known if known is not None else {}
        frequencies(db, {p + w for w in words for p in (PREFIXES["title"], PREFIXES["text"]) if fits(p + w)} | set(also),
                    self._frequencies)

    def frequency(self, word: str) -> int:
        found = 0
        for prefix in (PREFIXES["title"], PREFIXES["text"]):
            term = prefix + word
            if not fits(term):
                continue
            count = self._frequencies.get(term)
            if count is None:
                count = self._frequencies[term] = int(self._db.get_termfreq(term))
            found = max(found, count)
        return found


def frequencies(db: xapian.Database, terms: Iterable[str], known: dict[str, int]) -> dict[str, int]:
    """``known`` with the document frequencies of those of ``terms`` it lacks, over every shard,
    from Xapian's statistics of one query of them all (one exchange with each shard)."""
    missing = sorted(set(terms) - known.keys())
    if missing:
        enquire = xapian.Enquire(db)
        enquire.set_query(Q(Q.OP_OR, [Q(t) for t in missing]))
        stats = enquire.get_mset(0, 0)
        known.update((t, int(stats.get_termfreq(t))) for t in missing)
    return known


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
        self._tables: dict[str, tuple[str, Any]] = {}  # kind -> (the signature it describes, the table)
        self._unsaved: dict[str, str] = {}  # kind -> the signature it was found missing for
        self.vectorized = False
        self._builder = QueryBuilder(self.config)
        self._long = LongQueryBuilder(self.config)
        self.long_options = LongQueryOptions()  # how long pasted queries are searched
        self._local = threading.local()
        db, _ = self._database()
        check_analyzer(db, cluster)
        check_weights(db, cluster)
        roots = db.get_metadata(ROOTS_KEY)
        self.manifest["roots"] = json.loads(roots) if roots else []

    @classmethod
    def open(cls, location: Path | str, *, require_all_shards: bool = False) -> ClusterIndex:
        return cls(ClusterConfig.load(location), require_all_shards=require_all_shards)

    # -- connections ---------------------------------------------------------------------------

    def _database(self) -> tuple[xapian.Database, list[str]]:
        """This thread's database over the shards, current (reopened: it sees the last commits)."""
        local = self._local
        local.frequencies = {}  # the terms' document frequencies read so far: the statistics of this reopening
        local.live = None  # the live generation's query, read once for each reopening
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

    def _known(self) -> dict[str, int]:
        """The document frequencies this thread read since it last (re)opened the shards."""
        known: dict[str, int] | None = getattr(self._local, "frequencies", None)
        if known is None:
            known = self._local.frequencies = {}
        return known

    def _live(self, db: xapian.Database) -> xapian.Query:
        """The documents of the live generation (a rebuild's new documents stay out until it is complete);
        read from the first shard, which a rebuild switches last (once after each reopening: a
        search sees one generation from its start to its end)."""
        live: xapian.Query | None = getattr(self._local, "live", None)
        if live is None:
            self._local.live_term = generation_term(int(db.get_metadata(LIVE_KEY) or 0))
            live = self._local.live = Q(self._local.live_term)
        return live

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
        """As :meth:`search.embedded.engine.SearchIndex.search`, over every reachable shard."""
        check_page(page=page, limit=limit, sort=sort)
        parsed, warnings = prepare_query(self._builder, query, source=source, category=category, tag=tag,
                                         since=since, until=until, month=month)
        if sort == "relevance" and parsed.empty:
            sort = "newest"

        def run(db: xapian.Database, shard_warnings: list[str]) -> SearchPage:
            notes = shard_warnings + list(warnings)
            restrict = self._restriction(parsed, self._live(db))
            if parsed.any_term:
                self._plan_long(db, parsed, restrict, dedup, notes)
            found = self._find(db, restrict(self._ranked(db, parsed.query, sort)), sort, dedup, page * limit, facets)
            if found.total < RELAX_BELOW and parsed.runs():
                found = self._relax(db, parsed, restrict, sort, dedup, page * limit, facets, found, notes)
            if sort == "relevance" and found.total:
                found = self._rerank(db, parsed, query, restrict, dedup, page * limit, found)
            hits = []
            matched = restrict(translate(parsed.query)) if dedup else None
            shown = _stored(found.mset)[(page - 1) * limit:]
            copies = self._copies(db, matched, [match for match, _ in shown]) if matched is not None else {}
            for match, data in shown:
                doc, _ = from_data(data)
                hits.append(self._hit(doc, parsed.needles, match.weight if sort == "relevance" else 0.0,
                                      copies.get(match.docid, ())))
            tips = (self._suggest(db, query, parsed, restrict, found.total)
                    if found.total < SUGGEST_BELOW and query.strip() else ())
            return SearchPage(
                query=query, total=found.total, page=page, limit=limit, hits=tuple(hits), facets=found.facets,
                warnings=tuple(notes), explain=self._explain(db, parsed, found.total) if explain else None,
                total_counting="groups" if dedup else "documents", suggestions=tips,
            )

        return self._with_db(run)

    def _plan_long(self, db: xapian.Database, parsed: ParsedQuery, restrict: Callable[[xapian.Query], xapian.Query],
                   dedup: bool, warnings: list[str]) -> None:
        """A long text's query, as the embedded index plans it (:meth:`SearchIndex._plan_long`): its
        words chosen by qtf × IDF over the cluster's statistics, expanded from the first documents
        when the options ask for feedback, and the clauses found word for word in the first
        documents of the words' ranking added to those documents' scores."""
        clause = parsed.groups[0][0]
        self._live(db)
        statistics = ClusterStatistics(db, self._long.tokens(clause.text), self._known(), [self._local.live_term])
        options = self.long_options
        long = self._long.build(clause.text, statistics, options)
        if long is None:
            parsed.query = wq.NullQuery
            warnings.append("none of the query's words is in the archive")
            return
        if options.feedback_terms > 0:
            first = self._find(db, restrict(self._ranked(db, long.query)), "relevance", dedup,
                               options.feedback_documents, False, counted=False)
            texts = [(from_data(data)[0].text, m.weight) for m, data in _stored(first.mset)]
            long = self._long.expand(long, clause.text, texts, statistics, options)
        if long.clauses:
            first = self._find(db, restrict(self._ranked(db, long.query)), "relevance", False, options.clause_depth,
                               False, counted=False)
            bonus = {}
            matches = _stored(first.mset)
            # The best score of the words' ranking: a match's weight is the embedded index's score
            # (see .terms), and a Bonus adds its scores as they are, as Listed does there.
            best = matches[0][0].weight if matches else 0.0
            for match, data in matches:  # (matches of the query the bonus is added to: Bonus.matching)
                doc, _ = from_data(data)
                found = long.clause_bonus(doc.title, doc.text, simplify=self.config.simplify, best=best)
                if found:
                    bonus[doc.id] = found
            if bonus:
                long = replace(long, query=wq.AndMaybe(long.query, Bonus(bonus, matching=True)))
        long.adopt(parsed, warnings)

    def _rerank(self, db: xapian.Database, parsed: ParsedQuery, query: str,
                restrict: Callable[[xapian.Query], xapian.Query], dedup: bool, want: int, found: _Found) -> _Found:
        """The first documents by relevance re-scored from their stored title and text, as the
        embedded index does (:func:`search.embedded.engine.rerank_bonus`)."""
        depth = rerank_depth(parsed, query)
        if not depth:
            return found
        first = self._find(db, restrict(self._ranked(db, parsed.query)), "relevance", False, depth, False,
                           counted=False)
        read = ((doc.id, match.weight, doc.title, doc.text)
                for match, doc in ((m, from_data(data)[0]) for m, data in _stored(first.mset)))
        bonus = rerank_bonus(parsed, query, read, simplify=self.config.simplify)
        if not bonus:
            return found
        parsed.query = wq.AndMaybe(parsed.query, Bonus(bonus))
        # The same matches: only the first hits are asked for again, the total and facets kept.
        again = self._find(db, restrict(self._ranked(db, parsed.query)), "relevance", dedup, want, False, counted=False)
        return replace(found, mset=again.mset)

    def _weights(self, db: xapian.Database, node: Any) -> Weights:
        """Each scored term of ``node`` weighted by Whoosh's IDF over the cluster (the document
        frequencies from Xapian's statistics of the shards: one round trip to each)."""
        self._live(db)  # (with the live generation's term: a relaxation reads it too, see _relax)
        known = frequencies(db, [*scored_terms(node), self._local.live_term], self._known())
        documents = max(int(db.get_doccount()), 1)

        def weight(term: str) -> float:
            found = known.get(term)
            if found is None:
                found = known[term] = int(db.get_termfreq(term))
            return idf(found, documents) / IMPACT_SCALE

        return weight

    def _ranked(self, db: xapian.Database, node: Any, sort: str = "relevance") -> xapian.Query:
        """``node`` translated to be ranked as the embedded index ranks it (plain when sorted by date)."""
        return translate(node, self._weights(db, node)) if sort == "relevance" else translate(node)

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
              facets: bool, *, counted: bool = True) -> _Found:
        """The first ``want`` hits (group leaders with ``dedup``), the exact total, the facets.
        Not ``counted``: the hits only (the same ones), the total an estimate, no facets; the
        shards then skip the documents that cannot reach the first ``want``."""
        enquire = xapian.Enquire(db)
        enquire.set_query(query)
        enquire.set_weighting_scheme(IMPACTS)
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
        everything = db.get_doccount() if counted or facets else 0  # checked in full: the totals and the facets are exact
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
        """As the embedded index relaxes a run: require fewer of its words until there are enough.

        ``relax_runs`` only asks whether a word's query matches nothing (``frequency(unit) == 0``)
        and whether what is still required matches fewer than RELAX_BELOW (groups of) documents:
        a word's answer comes from the terms' statistics when they decide it (one query of all
        the run's terms, usually read already for the ranking's weights), else from the first
        match; a count stops at RELAX_BELOW groups. The page's total is the ranking's, exact."""
        self._live(db)
        live_term: str = self._local.live_term
        known = self._known()
        units = [u for clause in parsed.runs() for u in clause.unit_queries or () if u is not None]
        terms = {t for u in units for t in _leaf_terms(u)}
        frequencies(db, terms | {live_term}, known)
        # Term statistics count every document of the shards: the live ones only while no
        # rebuild (a generation not yet published) adds others.
        statistics = known if known[live_term] == int(db.get_doccount()) else None

        def frequency(unit: Any) -> int:
            """0 when no live document matches ``unit``, else at least 1 (the exact count is not needed)."""
            matches = _matches(unit, statistics) if statistics is not None else None
            if matches is None:
                return self._at_least(db, self._in_live(db, translate(unit)), False, 1)
            return int(matches)

        if relax_runs(self._builder, parsed, found.total, warnings, frequency=frequency,
                      count=lambda required: self._at_least(db, restrict(translate(required)), dedup, RELAX_BELOW)):
            found = self._find(db, restrict(self._ranked(db, parsed.query, sort)), sort, dedup, want, facets)
        return found

    def _at_least(self, db: xapian.Database, query: xapian.Query, dedup: bool, enough: int) -> int:
        """How many documents (groups of copies with ``dedup``) ``query`` matches, exact below
        ``enough``; ``enough`` when there are that many or more. The first ``enough`` matches of
        an unweighted match: the shards stop there, and copies are collapsed over every shard."""
        enquire = xapian.Enquire(db)
        enquire.set_query(query)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        enquire.set_docid_order(xapian.Enquire.ASCENDING)
        if dedup:
            enquire.set_collapse_key(GROUP)
        return min(int(enquire.get_mset(0, enough).size()), enough)

    def _copies(self, db: xapian.Database, query: xapian.Query, leaders: Sequence[Any]) -> dict[int, tuple[Duplicate, ...]]:
        """The other matching copies of each group leader (by docid), in index order: the copies
        of every group asked for at once."""
        keys = {m.docid: m.collapse_key.decode("utf-8") for m in leaders if m.collapse_key}
        if not keys:  # (collapse_count is only a lower bound: it may be 0 for a group with copies)
            return {}
        groups = Q(Q.OP_OR, [Q(GROUP_PREFIX + key) for key in sorted(set(keys.values()))])
        enquire = xapian.Enquire(db)
        enquire.set_query(Q(Q.OP_FILTER, query, groups))
        enquire.set_sort_by_value(ORDINAL, False)
        members: dict[str, list[tuple[int, Duplicate]]] = {}
        for other, data in _stored(enquire.get_mset(0, db.get_doccount())):
            doc, record = from_data(data)
            copy = Duplicate(id=doc.id, title=doc.title, source=doc.source, date=doc.date_iso)
            members.setdefault(str(record.get("group") or ""), []).append((other.docid, copy))
        return {docid: tuple(copy for other, copy in members.get(key, ()) if other != docid)
                for docid, key in keys.items()}

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
            return {from_data(data)[0].id for _, data in _stored(found.mset)}

        return self._with_db(run)

    def similar(self, doc_id: str, *, limit: int = 10) -> tuple[Hit, ...]:
        """Articles about the same thing, as :meth:`SearchIndex.similar` finds them: the key words
        of the article chosen as a long query's are (qtf × IDF over its title, twice, and its text),
        ranked; the article and its copies left out."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidArgumentError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")

        def run(db: xapian.Database, _: list[str]) -> tuple[Hit, ...]:
            doc, record = self._lookup(db, doc_id)[1:]
            text = similar_text(doc.title, doc.text)
            long = self._long.build(text, ClusterStatistics(db, self._long.tokens(text), self._known()), SIMILAR_OPTIONS)
            if long is None:
                return ()
            left_out = Q(id_term(doc_id))
            if record.get("group"):
                left_out = Q(Q.OP_OR, left_out, Q(GROUP_PREFIX + record["group"]))
            enquire = xapian.Enquire(db)
            enquire.set_weighting_scheme(IMPACTS)
            enquire.set_query(self._in_live(db, Q(Q.OP_AND_NOT, self._ranked(db, long.query), left_out)))
            enquire.set_sort_by_relevance_then_value(ORDINAL, False)
            needles = long.needles
            return tuple(self._hit(from_data(data)[0], needles, m.weight)
                         for m, data in _stored(enquire.get_mset(0, limit)))

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
                return [from_data(data)[0] for _, data in _stored(enquire.get_mset(offset, EXPORT_BATCH))]

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

    # -- derived tables: completions and the suggestions' vocabulary (see .tables) ---------------

    def _table(self, db: xapian.Database, kind: str) -> Any | None:
        """The live generation's table ``kind``, read from the shards once; None while it is missing
        (and :attr:`table_missing` hears of it once)."""
        wanted = tables.signature(db)
        cached = self._tables.get(kind)
        if cached is not None and cached[0] == wanted:
            return cached[1]
        found = tables.load(db, kind, wanted)
        if found is None:
            if self._unsaved.get(kind) != wanted:
                self._unsaved[kind] = wanted
                if self.table_missing is not None:
                    self.table_missing(kind)
            return None
        self._tables[kind] = (wanted, found)
        return found

    def missing_tables(self, kinds: Iterable[str] = tables.KINDS) -> tuple[str, ...]:
        """Which of the tables ``kinds`` the cluster has not saved for its live documents (those it
        computes at each search, the embedded index's statistics and duplicate groups, are never missing)."""
        wanted = [kind for kind in kinds if kind in tables.KINDS]
        return self._with_db(lambda db, _: tuple(kind for kind in wanted if self._table(db, kind) is None))

    def has_saved_tables(self) -> bool:
        return not self.missing_tables()

    def save_tables(self) -> list[str]:
        """Compute the missing tables and save them in every writable shard; the kinds written
        (none while a shard is down or being written: ``index``/``update --cluster`` save them too).
        Computed first, then written: a server drops a write connection idle for a minute."""
        db, _ = self._database()
        described = tables.signature(db)
        missing = [kind for kind in tables.KINDS if tables.load(db, kind, described) is None]
        if not missing:
            return []
        computed = tables.compute(db, self.documents(), missing, simplify=self.config.simplify)
        shards: list[xapian.WritableDatabase] = []
        try:
            for shard in self.cluster.writable:
                shards.append(open_writable(shard))
            if tables.signature(shards[0]) != described:
                return []  # written meanwhile: the tables computed describe other documents
            return tables.save(shards, computed, described)
        except (IndexLockedError, ShardUnavailableError, xapian.Error):
            return []
        finally:
            for writable in shards:
                try:
                    writable.close()
                except xapian.Error:
                    pass

    def completion_table(self) -> CompletionTable:
        """The words and titles that complete what is typed in the search box (empty while missing)."""
        found = self._with_db(lambda db, _: self._table(db, "completions"))
        return found if found is not None else CompletionTable((), (), simplify=self.config.simplify)

    def _suggest(self, db: xapian.Database, query: str, parsed: ParsedQuery,
                 restrict: Callable[[xapian.Query], xapian.Query], total: int) -> tuple[str, ...]:
        """Other spellings that find more, with the same filters (as the embedded index suggests them)."""
        vocabulary = self._table(db, "vocabulary")
        found: list[str] = []
        for candidate in candidates(query, parsed, vocabulary, simplify=self.config.simplify):
            if len(found) == MAX_SUGGESTIONS:
                break
            # (more than ``total``: a match stopped at total + 1 tells, see _at_least)
            if self._at_least(db, restrict(translate(self._builder.parse(candidate).query)), False, total + 1) > total:
                found.append(candidate)
        return tuple(found)


def _leaf_terms(node: Any) -> Iterator[str]:
    """The prefixed terms of a query's words and phrases (those :func:`_matches` reads the statistics of)."""
    if isinstance(node, wq.Term) and node.fieldname not in FILTER_FIELDS and node.fieldname in PREFIXES:
        yield PREFIXES[node.fieldname] + node.text
    elif isinstance(node, wq.Phrase) and node.fieldname in PREFIXES:
        yield from (PREFIXES[node.fieldname] + w for w in node.words)
    elif isinstance(node, (wq.AndMaybe, wq.AndNot)):
        yield from _leaf_terms(node.a)
    elif isinstance(node, wq.CompoundQuery):
        for sub in node.subqueries:
            yield from _leaf_terms(sub)


def _matches(node: Any, known: dict[str, int]) -> bool | None:
    """Whether any document matches ``node`` (as :func:`.query.translate` translates it), read from
    the terms' document frequencies ``known`` (over documents that all count); None when they
    cannot tell (words each found, but maybe not together)."""
    if isinstance(node, wq.Term) or (isinstance(node, wq.Phrase) and len(node.words) == 1):
        if node.fieldname in FILTER_FIELDS or node.fieldname not in PREFIXES:
            return None
        term = PREFIXES[node.fieldname] + (node.text if isinstance(node, wq.Term) else node.words[0])
        if not fits(term):
            return False  # translated as MatchNothing
        found = known.get(term)
        return None if found is None else found > 0
    if isinstance(node, wq.Phrase):
        words = [PREFIXES[node.fieldname] + w for w in node.words] if node.fieldname in PREFIXES else []
        if any(not fits(t) or known.get(t) == 0 for t in words):
            return False
        return None
    if isinstance(node, wq.AndMaybe):
        return _matches(node.a, known)
    if isinstance(node, AtLeast):
        return None
    if isinstance(node, (wq.And, wq.AndNot)):
        subs = [node.a] if isinstance(node, wq.AndNot) else list(node.subqueries)
        if any(_matches(sub, known) is False for sub in subs):
            return False
        return None
    if isinstance(node, wq.Or):
        found = [_matches(sub, known) for sub in node.subqueries]
        if any(f is True for f in found):
            return True
        return False if found and all(f is False for f in found) else None
    return None


def _stored(mset: Any) -> list[tuple[Any, bytes]]:
    """Each match of ``mset`` with its document's stored data, the documents asked of the shards
    all at once (``MSet.fetch``: the requests go out together and the answers come back in a
    row, rather than one exchange with a shard for each document), every answer read before the
    connections are used for anything else. Only for an MSet from the first match: over remote
    shards, Xapian 1.4.22's fetch() of one that starts further down crashes (a segmentation
    fault); those documents are read one at a time."""
    if mset.get_firstitem() == 0:
        mset.fetch()
    return [(match, match.document.get_data()) for match in mset]


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
