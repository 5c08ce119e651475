"""Opening an index and answering queries: the public programmatic API of zhsearch."""

from __future__ import annotations

import functools
import os
import pickle
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass, replace
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import numpy as np
from whoosh import query as wq
from whoosh import collectors, scoring, sorting
from whoosh.index import IndexError as WhooshIndexError

from ..legacy import open_whoosh_dir
from ..text.analysis import ANALYZER_VERSION, AnalyzerConfig
from ..text.discover import DictionaryWord, dictionary_words, read_discovery
from ..text.normalize import Normalized, fold
from ..queries.complete import CompletionTable
from ..results.document import Document, Duplicate, Hit, IndexStats, SearchPage
from ..results.document import stored_document as _document
from ..results.duplicates import DuplicateGroups, manifest_threshold
from .evaluate import Bounded, Evaluator, PostingTable, Unsupported, _Recent, first_indices, members
from ..errors import DocumentNotFoundError, IndexIncompatibleError, InvalidArgumentError
from ..results.facets import FacetIndex
from ..queries.evidence import EVIDENCE_DEPTH, TEXT_CHARS, evidence
from ..queries.intent import ANSWER_DEPTH, ANSWER_FACTOR, answer_kind, states_answer
from ..queries.longquery import (
    ArchiveStatistics, Listed, LongQueryBuilder, LongQueryOptions, clause_texts, similar_text,
)
from ..queries.query import DATE_HELP, RELAX_BELOW, ParsedQuery, QueryBuilder, parse_period
from ..results.snippets import SnippetText, highlight, snippet, snippet_text
from ..queries.suggest import MAX_SUGGESTIONS, Vocabulary, candidates
from .store import CURRENT, current_generation, disk_size, read_manifest
from .tables import KINDS, file_signature, load_table, save_tables, table_path

MAX_LIMIT = 100
MAX_PAGE = 1000
SORTS = ("relevance", "newest", "oldest")
_NO_DATE = 2**63
MAX_KEPT_TEXTS = 65536  # documents' clause or snippet texts kept per index read (the byte limit below bounds them)
MAX_KEPT_TEXT_BYTES = 64 * 2**20  # of each kind; the strs' own sizes (~2 bytes a character of Chinese text)
_HEADER_BYTES = 400  # a kept hit's or copy's object, its other fields and its entry, about
SIMILAR_OPTIONS = LongQueryOptions(max_terms=32, clause_boost=0.0, proximity_boost=0.0)  # its key words only
_Key = TypeVar("_Key")  # a document as a backend names it (a docnum, an id)
SUGGEST_BELOW = 3  # fewer hits than this: the page suggests other queries
MIN_HEAD = 64  # matches ordered at least, before the rest are known to come after the page


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _untracked(value: Any) -> tuple[Any, ...]:
    """A frozen dataclass as the tuple of its fields' values, a dataclass among them as its own such
    tuple: what :class:`SearchIndex` keeps per document.

    A document's kept fields are strs, numbers, None, dates, numpy arrays and tuples of them, none
    of which the garbage collector tracks, and it stops tracking a tuple of such objects when a
    collection sees it (a tuple of such tuples at the next, at worst); an instance of a dataclass
    it tracks for as long as it lives. Kept as tuples, the tens of thousands of documents kept per
    index read add nothing to what each full collection walks: on a 2-core machine such a
    collection costs about a microsecond an object, and it fell inside a query (see BENCHMARKS.md,
    "Garbage-collection pauses"). :data:`_KEPT_AS` makes the dataclasses again."""
    return tuple(_untracked(v) if is_dataclass(v) else v for v in map(functools.partial(getattr, value),
                                                                     _field_names(type(value))))


# The kept tuples of each kind as what they were (:func:`_untracked`); clause texts are strs already.
_KEPT_AS: dict[str, Callable[[Any], Any]] = {
    "clauses": lambda texts: texts,
    "snippets": lambda p: SnippetText(p[0], Normalized(*p[1]), *p[2:]),
    "hits": lambda p: Document(*p),
    "duplicates": lambda p: Duplicate(*p),
}


class SearchIndex:
    """A zhsearch index opened for reading; thread-safe; follows new generations on refresh.

    >>> with SearchIndex.open(".zhsearch/index") as index:   # doctest: +SKIP
    ...     page = index.search("碳中和", limit=5)
    """

    def __init__(self, location: Path | str) -> None:
        self.location = Path(location)
        self._lock = threading.Lock()
        self._local = threading.local()  # each thread's open searcher of the live generation
        self._open_searchers: list[Any] = []
        self._generation: Path | None = None
        self._pointer_stat: tuple[int, int] | None = None
        self._ix: Any = None
        self.manifest: dict[str, Any] = {}
        self._stats_cache: tuple[Path | None, IndexStats] | None = None
        self._facet_cache: tuple[Any, FacetIndex] | None = None  # (the index read, its facets)
        self._table_cache: tuple[Any, PostingTable] | None = None
        self._kept_texts: dict[str, tuple[Any, _Recent[Any]]] = {}  # kind -> (the index read, texts per document)
        self._saved: dict[str, tuple[Path | None, Any]] = {}  # kind -> (generation, its saved table)
        self._unsaved: dict[str, tuple[Path, Any]] = {}  # kind -> (file, its signature): missing or damaged
        self._saved_lock = threading.Lock()
        # Called (from the request's thread) the first time a generation's table is found missing or
        # damaged; the server uses it to have the table computed in the background.
        self.table_missing: Callable[[str], None] | None = None
        self.vectorized = True  # evaluate with posting arrays where possible (False: Whoosh's matchers only)
        self.config = AnalyzerConfig()
        self._builder = QueryBuilder(self.config)
        self._long = LongQueryBuilder(self.config)
        self.long_options = LongQueryOptions()  # how long pasted queries are searched
        self._load()

    @classmethod
    def open(cls, location: Path | str) -> SearchIndex:
        """Open the index at ``location``; raises IndexNotFoundError / IndexIncompatibleError."""
        return cls(location)

    def _pointer_signature(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.location / CURRENT)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def _load(self) -> None:
        signature = self._pointer_signature()
        generation = current_generation(self.location)
        manifest = read_manifest(generation)
        config = AnalyzerConfig.from_json(manifest.get("analyzer", {}))
        if config.version != ANALYZER_VERSION:
            raise IndexIncompatibleError(
                f"the index at {self.location} uses analyzer version {config.version}; "
                f"this zhsearch uses {ANALYZER_VERSION}"
            )
        try:
            ix = open_whoosh_dir(generation)
        except (WhooshIndexError, pickle.UnpicklingError, AttributeError, ImportError, EOFError) as exc:
            raise IndexIncompatibleError(f"cannot open the index at {self.location}: {exc}") from None
        old = self._ix
        self._ix, self._generation, self.manifest = ix, generation, manifest
        self._pointer_stat = signature
        if config != self.config:
            self.config = config
            self._builder = QueryBuilder(config)
            self._long = LongQueryBuilder(config)
        if old is not None:
            old.close()

    def refresh(self) -> bool:
        """Switch to a newer generation if one was published; True when it switched."""
        if self._pointer_signature() == self._pointer_stat:
            return False
        with self._lock:
            if self._pointer_signature() == self._pointer_stat:
                return False
            self._load()
            return True

    @contextmanager
    def _searcher(self) -> Iterator[Any]:
        """This thread's searcher of the live generation, opened once and then reused.

        Opening a Whoosh reader costs tens of milliseconds, more than most queries; a searcher
        is not shared between threads, and a new generation gets new searchers.
        """
        ix = self._ix
        local = self._local
        searcher = getattr(local, "searcher", None)
        if searcher is None or local.ix is not ix:
            if searcher is not None:
                self._discard(searcher)
            searcher = ix.searcher(weighting=scoring.BM25F())
            local.searcher, local.ix = searcher, ix
            with self._lock:
                self._open_searchers.append(searcher)
        yield searcher

    def _discard(self, searcher: Any) -> None:
        with self._lock:
            if searcher in self._open_searchers:
                self._open_searchers.remove(searcher)
        searcher.close()

    def close(self) -> None:
        with self._lock:
            searchers, self._open_searchers = self._open_searchers, []
        for searcher in searchers:
            searcher.close()
        self._local = threading.local()
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- queries -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        page: int = 1,
        limit: int = 10,
        explain: bool = False,
        source: str | Sequence[str] | None = None,
        category: str | Sequence[str] | None = None,
        tag: str | Sequence[str] | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        month: str | None = None,
        sort: str = "relevance",
        facets: bool = True,
        dedup: bool = True,
    ) -> SearchPage:
        """One page of ranked hits for ``query``; a page past the end is empty, never an error.

        ``source``, ``category`` (categories or tags), ``tag``: any of the values; ``since`` and
        ``until`` (inclusive; a ``date``, or ``YYYY[-MM[-DD]]``), ``month`` (``YYYY-MM``) restrict
        the results as the query's ``source:``/``date:`` terms do; malformed dates become warnings.
        ``sort`` is ``relevance`` (ties by index order), ``newest`` or ``oldest`` (undated last).
        ``facets`` counts sources, categories and months over every match (documents, not groups).
        With ``dedup`` (the default), copies of one article (texts whose 5-character shingles have
        a Jaccard similarity of at least the index's duplicate threshold) are one hit listing the
        others in ``duplicates``, and ``total`` counts such groups (``total_counting == "groups"``).
        With ``explain``, the page says how the query was analyzed and how many documents each
        of its parts matches on its own (so a zero-hit query shows which part matched nothing).
        """
        check_page(page=page, limit=limit, sort=sort)
        parsed, warnings = prepare_query(self._builder, query, source=source, category=category, tag=tag,
                                         since=since, until=until, month=month)
        filters = parsed.filters
        simplify = self.config.simplify
        if sort == "relevance" and parsed.empty:
            sort = "newest"  # nothing to rank by
        with self._searcher() as searcher:
            options: dict[str, Any] = {"filter": filters.query(), "mask": filters.mask()}
            groups = self._duplicates(searcher) if dedup else None
            options["memo"] = {}  # subquery results shared by the relaxation steps and the ranking
            options["read"] = {}  # docnum -> stored fields already read (by the re-ranking), for the hits
            if parsed.any_term:
                options["bound"] = True  # phrase bonuses checked only where they can reach the page
                self._plan_long(searcher, parsed, options, groups, warnings)
            ranking = self._rank(searcher, parsed.query, options, sort, groups, page * limit)
            if ranking.total < RELAX_BELOW and parsed.runs():
                ranking = self._relax(searcher, parsed, options, sort, groups, page * limit, ranking, warnings)
            if sort == "relevance" and not parsed.any_term and not parsed.empty and ranking.total:
                ranking = self._rerank(searcher, parsed, options, groups, page * limit, ranking, query)
            total = ranking.total
            counts = self._facets(searcher).counts(ranking.matched) if facets else {}
            explanation = _explain(parsed, searcher, total) if explain else None
            tips = self._suggest(searcher, query, parsed, options, total) if total < SUGGEST_BELOW and query.strip() else ()
            hits = []
            start = (page - 1) * limit
            for docnum, score in zip(ranking.docnums[start:], ranking.scores[start:]):
                doc, read = self._hit_texts(searcher, docnum, options["read"])
                copies = groups.others(docnum, ranking.matched) if groups is not None else []
                hits.append(
                    Hit(
                        id=doc.id,
                        path=doc.path,
                        title=doc.title,
                        title_html=highlight(doc.title, parsed.needles, simplify=simplify),
                        url=doc.url,
                        source=doc.source,
                        date=doc.date_iso,
                        score=score if sort == "relevance" else 0.0,
                        snippet=snippet(read.text, parsed.needles, simplify=simplify, read=read),
                        duplicates=tuple(self._duplicate_of(searcher, d) for d in copies),
                    )
                )
        return SearchPage(
            query=query,
            total=total,
            page=page,
            limit=limit,
            hits=tuple(hits),
            facets=counts,
            warnings=tuple(warnings),
            explain=explanation,
            total_counting="documents" if groups is None else "groups",
            suggestions=tips,
        )

    def _rank(
        self, searcher: Any, query: Any, options: dict[str, Any], sort: str, groups: DuplicateGroups | None,
        want: int,
    ) -> _Ranking:
        """The first ``want`` hits (group leaders when ``groups``), the total and every match."""
        if self.vectorized:
            try:
                return self._rank_arrays(searcher, query, options, sort, groups, want)
            except Unsupported:
                pass
        options = {k: v for k, v in options.items() if k not in ("memo", "read", "bound")}
        return self._rank_whoosh(searcher, query, options, sort, groups, want)

    def _plan_long(
        self, searcher: Any, parsed: ParsedQuery, options: dict[str, Any], groups: DuplicateGroups | None,
        warnings: list[str],
    ) -> None:
        """A long text's query: its words chosen by weight (:mod:`search.queries.longquery`), expanded
        from the first documents when the options ask for feedback; says which words were used."""
        clause = parsed.groups[0][0]
        statistics = self._statistics(searcher)
        long = self._long.build(clause.text, statistics, self.long_options)
        if long is None:
            parsed.query = wq.NullQuery
            warnings.append("none of the query's words is in the archive")
            return
        if self.long_options.feedback_terms > 0:
            first = self._rank(searcher, long.query, options, "relevance", groups,
                               self.long_options.feedback_documents)
            texts = [(searcher.stored_fields(d).get("text", ""), s) for d, s in zip(first.docnums, first.scores)]
            long = self._long.expand(long, clause.text, texts, statistics, self.long_options)
        if long.clauses:  # the clauses found word for word in the first documents of the words' ranking
            first = self._rank(searcher, long.query, options, "relevance", None, self.long_options.clause_depth)
            bonus = {}
            for docnum in first.docnums:
                found = long.clause_bonus_of(*self._clause_texts(searcher, docnum), simplify=self.config.simplify,
                                             best=first.scores[0])
                if found:
                    bonus[docnum] = found
            long = long.with_bonus(bonus)
        long.adopt(parsed, warnings)

    def _relax(
        self, searcher: Any, parsed: ParsedQuery, options: dict[str, Any], sort: str,
        groups: DuplicateGroups | None, want: int, ranking: _Ranking, warnings: list[str],
    ) -> _Ranking:
        """Too few hits with every word of the query's runs required: require fewer words, one step
        at a time, until there are enough: first no word that no document contains, then any
        n − 1 of the n words, n − 2, … (documents with more of them rank first)."""
        everything: dict[str, Any] = {"filter": None, "mask": None, "memo": options.get("memo")}
        if relax_runs(
            self._builder, parsed, ranking.total, warnings,
            # the documents a word's query matches, over the index
            frequency=lambda unit: self._rank(searcher, unit, everything, "relevance", None, 1).total,
            # counting needs only what is required: the ranking bonuses are read once, at the end
            count=lambda required: self._rank(searcher, required, options, "relevance", groups, 1).total,
        ):
            ranking = self._rank(searcher, parsed.query, options, sort, groups, want)
        return ranking

    def _rerank(
        self, searcher: Any, parsed: ParsedQuery, options: dict[str, Any], groups: DuplicateGroups | None,
        want: int, ranking: _Ranking, query: str,
    ) -> _Ranking:
        """The first documents by relevance re-scored from their stored title and text
        (:func:`rerank_bonus`); the other matches keep their order."""
        depth = rerank_depth(parsed, query)
        if not depth:
            return ranking
        first = self._rank(searcher, parsed.query, options, "relevance", None, depth)
        kept = options.setdefault("read", {})

        def fields(docnum: int) -> dict[str, Any]:
            if docnum not in kept:
                kept[docnum] = searcher.stored_fields(docnum)
            return kept[docnum]

        stored = (fields(d) for d in first.docnums)
        read = ((d, s, f.get("title", ""), f.get("text", "")) for d, s, f in zip(first.docnums, first.scores, stored))
        bonus = rerank_bonus(parsed, query, read, simplify=self.config.simplify)
        if not bonus:
            return ranking
        parsed.query = wq.AndMaybe(parsed.query, Listed(bonus))
        return self._rank(searcher, parsed.query, options, "relevance", groups, want)

    def _rank_arrays(
        self, searcher: Any, query: Any, options: dict[str, Any], sort: str, groups: DuplicateGroups | None,
        want: int,
    ) -> _Ranking:
        table = self._table(searcher)
        evaluator = Evaluator(searcher, table, memo=options.get("memo"))
        within = None if options["filter"] is None else table.filter_ids(evaluator, options["filter"])
        found = evaluator.ranked(query, within) if options.get("bound") else evaluator.run(query, within)
        if isinstance(found, Bounded) and sort != "relevance":
            found = found.matches()  # the order does not follow the scores: no bound helps
        ids = found.ids
        rows = None  # the rows of ``found`` left by the mask (None: all)
        if options["mask"] is not None and len(ids):
            keep = ~members(ids, table.filter_ids(evaluator, options["mask"]))
            rows = np.flatnonzero(keep)
            ids = ids[rows]
        collapse = groups is not None and bool(groups.members)
        while True:
            scores = found.scores if rows is None else found.scores[rows]
            leaders = self._leaders(searcher, table, ids, scores, sort, groups if collapse else None, want)
            if not isinstance(found, Bounded) or not len(leaders):
                break
            # Every document that might still rank at or above the last leader gets its exact score;
            # once none is left unsettled, this order's head is the exact order's head.
            bar = scores[leaders[-1]]
            upper = found.upper if rows is None else found.upper[rows]
            settled = found.settled if rows is None else found.settled[rows]
            unsure = np.flatnonzero(~settled & ((upper >= bar) | (bar != bar)))
            if not len(unsure):
                break
            found.settle(unsure if rows is None else rows[unsure])
        if collapse:
            assert groups is not None
            seen = np.zeros(table.doc_count, dtype=bool)
            seen[groups.roots(ids)] = True
            total = int(np.count_nonzero(seen))
        else:
            total = len(ids)
        return _Ranking(
            docnums=ids[leaders].tolist(),
            scores=[float(x) for x in scores[leaders]],
            matched=ids,
            total=total,
        )

    @staticmethod
    def _leaders(searcher: Any, table: PostingTable, ids: np.ndarray, scores: np.ndarray, sort: str,
                 groups: DuplicateGroups | None, want: int) -> np.ndarray:
        """The indices of the first ``want`` matches in order (of the first of each group of copies
        with ``groups``), best first."""
        if sort == "relevance":
            key = -scores  # best first, ties in index order as Whoosh does
        else:
            dates = table.dates(searcher)[ids]
            key = np.iinfo(np.uint64).max - dates if sort == "newest" else dates.copy()
            key[dates == 0] = np.iinfo(np.uint64).max  # undated last (a dated key is never the largest)
        count = min(len(ids), max(2 * want, MIN_HEAD))
        while True:
            order = _first(key, ids, count)
            if groups is None:
                return order[:want]
            first = first_indices(groups.roots(ids[order]))
            # the first occurrences of groups in a prefix of the order are its first leaders
            if len(first) >= want or count == len(ids):
                first.sort()
                leaders: np.ndarray = order[first[:want]]
                return leaders
            count = min(len(ids), count * 4)

    def _rank_whoosh(
        self, searcher: Any, query: Any, options: dict[str, Any], sort: str, groups: DuplicateGroups | None,
        want: int,
    ) -> _Ranking:
        """The same ranking through Whoosh's own matchers (for queries the arrays cannot run)."""
        if sort != "relevance":
            options = {**options, "sortedby": _DateKey(newest=sort == "newest")}
        fetch = want if groups is None or not groups.members else want * 3
        while True:
            results = _run(searcher, query, fetch, **options)
            ranked = list(results)
            if groups is None:
                break
            leaders: dict[int, Any] = {}
            for hit in ranked:
                leaders.setdefault(groups.group(hit.docnum), hit)
            ranked = list(leaders.values())
            if len(ranked) >= want or len(results.top_n) < fetch:
                break
            fetch *= 4
        docset = results.docs()
        ranked = ranked[:want]
        return _Ranking(
            docnums=[hit.docnum for hit in ranked],
            scores=[float(hit.score or 0.0) if sort == "relevance" else 0.0 for hit in ranked],
            matched=np.fromiter(sorted(docset), dtype=np.int64, count=len(docset)),
            total=len(docset) if groups is None else groups.count(docset),
        )

    def _table(self, searcher: Any) -> PostingTable:
        """The posting arrays of the live generation, read as queries need them."""
        # Keyed by the index the searcher reads, not the live generation: a refresh in another
        # thread may publish a new generation while this searcher still reads the old one.
        owner = self._local.ix
        cached = self._table_cache
        if cached is None or cached[0] is not owner:
            cached = (owner, PostingTable(searcher))
            self._table_cache = cached
        return cached[1]

    def _kept(self, kind: str, docnum: int) -> tuple[_Recent[Any], tuple[int, bool], Any]:
        """The texts of ``kind`` kept per document for the index this thread reads (a new
        generation numbers its documents anew: it starts with none), the key of ``docnum``, and
        what is kept for it (None when nothing is; kept as :func:`_untracked` made it)."""
        owner = self._local.ix
        cached = self._kept_texts.get(kind)
        if cached is None or cached[0] is not owner:
            cached = (owner, _Recent(MAX_KEPT_TEXTS, MAX_KEPT_TEXT_BYTES))
            self._kept_texts[kind] = cached
        key = (int(docnum), self.config.simplify)
        found = cached[1].get(key)
        return cached[1], key, None if found is None else _KEPT_AS[kind](found)

    def _clause_texts(self, searcher: Any, docnum: int) -> tuple[str, str]:
        """A document's :func:`~search.queries.longquery.clause_texts`, kept (the most recently used,
        up to :data:`MAX_KEPT_TEXT_BYTES`): the first documents of pasted texts on one subject are
        often the same, and reading and folding a long article costs more than comparing every
        clause with it."""
        kept, key, texts = self._kept("clauses", docnum)
        if texts is None:
            stored = searcher.stored_fields(docnum)
            texts = clause_texts(stored.get("title", ""), stored.get("text", ""), simplify=self.config.simplify)
            kept.put(key, texts, sys.getsizeof(texts[0]) + sys.getsizeof(texts[1]))
        return texts

    def _snippet_text(self, docnum: int, text: str) -> SnippetText:
        """:func:`~search.results.snippets.snippet_text` of a document's ``text``, kept as the clause
        texts are (a long article's fold and sentences are the same for every query)."""
        kept, key, read = self._kept("snippets", docnum)
        if read is None:
            read = snippet_text(text, simplify=self.config.simplify)
            kept.put(key, _untracked(read), read.nbytes)
        return read

    def _hit_texts(self, searcher: Any, docnum: int, read: dict[int, Any]) -> tuple[Document, SnippetText]:
        """A hit's document without its text, and its :meth:`_snippet_text`, both kept: a page asked
        again reads (decompresses) none of its articles, however long. ``read``: docnum -> stored
        fields already read for this query."""
        kept, key, doc = self._kept("hits", docnum)
        if doc is not None:
            _, _, text = self._kept("snippets", docnum)
            if text is not None:
                return doc, text
        stored = read.get(docnum)
        full = _document(stored if stored is not None else searcher.stored_fields(docnum))
        if doc is None:
            doc = replace(full, text="")
            kept.put(key, _untracked(doc),
                     _HEADER_BYTES + sum(map(sys.getsizeof, (doc.id, doc.path, doc.title, doc.url or ""))))
        return doc, self._snippet_text(docnum, full.text)

    def _duplicate_of(self, searcher: Any, docnum: int) -> Duplicate:
        """A hit's copy as the page names it, kept as the hits' documents are."""
        kept, key, found = self._kept("duplicates", docnum)
        if found is None:
            found = _duplicate(searcher.stored_fields(docnum))
            kept.put(key, _untracked(found), _HEADER_BYTES + sys.getsizeof(found.id) + sys.getsizeof(found.title))
        return found

    def _facets(self, searcher: Any) -> FacetIndex:
        """The facet postings of the live generation, read on first use."""
        owner = self._local.ix
        cached = self._facet_cache
        if cached is None or cached[0] is not owner:
            cached = (owner, FacetIndex(searcher.reader()))
            self._facet_cache = cached
        return cached[1]

    def similar(self, doc_id: str, *, limit: int = 10) -> tuple[Hit, ...]:
        """Articles about the same thing as ``doc_id``: a ranked match of its key words.

        The key words are chosen as a long query's are (:mod:`search.queries.longquery`: qtf × IDF over
        the title, twice, and the text); the article itself and its exact or near copies are left out.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidArgumentError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        with self._searcher() as searcher:
            docnum = searcher.document_number(id=doc_id)
            if docnum is None:
                raise DocumentNotFoundError(f"no document with id {doc_id!r} in the index")
            doc = _document(searcher.stored_fields(docnum))
            groups = self._duplicates(searcher)
            left_out = {docnum}
            if groups is not None:
                left_out.update(groups.others(docnum, frozenset(groups.members.get(groups.group(docnum), ()))))
            long = self._long.build(similar_text(doc.title, doc.text), self._statistics(searcher), SIMILAR_OPTIONS)
            if long is None:
                return ()
            ranking = self._rank(searcher, long.query, {"filter": None, "mask": None}, "relevance", None,
                                 limit + len(left_out))
            needles = long.needles
            simplify = self.config.simplify
            hits = []
            for docnum, score in zip(ranking.docnums, ranking.scores):
                if docnum in left_out:
                    continue
                found = _document(searcher.stored_fields(docnum))
                hits.append(
                    Hit(
                        id=found.id,
                        path=found.path,
                        title=found.title,
                        title_html=highlight(found.title, needles, simplify=simplify),
                        url=found.url,
                        source=found.source,
                        date=found.date_iso,
                        score=score,
                        snippet=snippet(found.text, needles, simplify=simplify),
                    )
                )
            return tuple(hits[:limit])

    def _suggest(
        self, searcher: Any, query: str, parsed: ParsedQuery, options: dict[str, Any], total: int
    ) -> tuple[str, ...]:
        """Other spellings (pinyin, close words, the other script) that find more, same filters.

        Pinyin readings and close words come from the generation's saved vocabulary, and are
        left out while it is missing (see :meth:`missing_tables`).
        """
        vocabulary: Vocabulary | None = self._saved_table("vocabulary", searcher.reader())
        found: list[str] = []
        for candidate in candidates(query, parsed, vocabulary, simplify=self.config.simplify):
            if len(found) == MAX_SUGGESTIONS:
                break
            q = self._builder.parse(candidate).query
            more = self._rank(searcher, q, {"filter": options.get("filter"), "mask": options.get("mask")},
                              "relevance", None, 1)
            if len(more.matched) > total:
                found.append(candidate)
        return tuple(found)

    def _statistics(self, searcher: Any) -> ArchiveStatistics:
        """How many documents hold a word: from the generation's saved table, through Whoosh's term
        tables while it is missing (the same counts)."""
        return ArchiveStatistics(searcher, self._saved_table("frequencies", searcher.reader()))

    def _duplicates(self, searcher: Any) -> DuplicateGroups | None:
        """The duplicate groups of the live generation; None while they are not saved (no collapsing)."""
        groups: DuplicateGroups | None = self._saved_table("duplicates", searcher.reader())
        return groups

    def _saved_table(self, kind: str, reader: Any) -> Any:
        """The live generation's table ``kind`` (see :mod:`search.embedded.tables`), read from its file once.

        Never computed here: while the file is missing or damaged this is None (and
        :attr:`table_missing` hears of it once); a file replaced since is read again.
        """
        generation = self._generation
        cached = self._saved.get(kind)
        if cached is not None and cached[0] == generation:
            return cached[1]
        path = self._saved_file(kind, reader)
        signature = file_signature(path)
        if self._unsaved.get(kind) == (path, signature):
            return None  # still missing, or the same damaged file
        with self._saved_lock:
            cached = self._saved.get(kind)
            if cached is not None and cached[0] == generation:
                return cached[1]
            table = load_table(path, kind)
            if table is not None:
                self._saved[kind] = (generation, table)
                self._unsaved.pop(kind, None)
                return table
            first = self._unsaved.get(kind, (None,))[0] != path
            self._unsaved[kind] = (path, signature)
        if first and self.table_missing is not None:
            self.table_missing(kind)
        return None

    def _saved_file(self, kind: str, reader: Any) -> Path:
        """Where the table ``kind`` of the live generation is saved (named after its segments)."""
        assert self._generation is not None
        return table_path(self._generation, kind, self._ix, reader)

    def missing_tables(self, kinds: Iterable[str] = KINDS) -> tuple[str, ...]:
        """Which of the live generation's tables ``kinds`` are missing or damaged (the others are read
        now, so that no query waits for them)."""
        with self._searcher() as searcher:
            reader = searcher.reader()
            return tuple(kind for kind in kinds if self._saved_table(kind, reader) is None)

    def has_saved_tables(self) -> bool:
        """Whether every table of the live generation was saved (at index time, or by an earlier process)."""
        return not self.missing_tables()

    def save_tables(self) -> list[str]:
        """Compute the live generation's missing or damaged tables and save them beside it; the kinds
        written. Seconds on a large index: for ``zhsearch update`` and the server's warm-up child,
        never for a query."""
        assert self._generation is not None
        return save_tables(self._generation, simplify=self.config.simplify,
                           duplicate_threshold=manifest_threshold(self.manifest))

    def dictionary_words(self) -> list[DictionaryWord]:
        """The words the analyzer adds to jieba's dictionary: the user dictionary's, then the
        words discovered in the archive when it was indexed."""
        assert self._generation is not None
        config = self.config
        return dictionary_words(config.user_word_list(), config.new_words, read_discovery(self._generation))

    def completion_table(self) -> CompletionTable:
        """The words and titles that complete what is typed in the search box, for the live generation
        (empty while its saved table is missing)."""
        with self._searcher() as searcher:
            table: CompletionTable | None = self._saved_table("completions", searcher.reader())
        return table if table is not None else CompletionTable((), (), simplify=self.config.simplify)

    def matching_ids(self, query: str) -> set[str]:
        """The ids of every document ``query`` matches, unranked (for checks and tools)."""
        parsed = self._builder.parse(query)
        options = {"filter": parsed.filters.query(), "mask": parsed.filters.mask()}
        with self._searcher() as searcher:
            ranking = self._rank(searcher, parsed.query, options, "relevance", None, 1)
            return {searcher.stored_fields(int(docnum))["id"] for docnum in ranking.matched}

    def document(self, doc_id: str) -> Document:
        """The cleaned document with this id; DocumentNotFoundError when there is none."""
        with self._searcher() as searcher:
            stored = searcher.document(id=doc_id)
        if stored is None:
            raise DocumentNotFoundError(f"no document with id {doc_id!r} in the index")
        return _document(stored)

    def ids_starting_with(self, prefix: str) -> list[str]:
        """The ids of live documents that start with ``prefix``, sorted (short ids typed at a CLI)."""
        with self._searcher() as searcher:
            words = searcher.reader().expand_prefix("id", prefix)
            ids = [w.decode("utf-8") if isinstance(w, bytes) else w for w in words]
            return sorted(i for i in ids if searcher.document_number(id=i) is not None)

    def documents(self) -> Iterator[Document]:
        """Every indexed document, in index order."""
        with self._ix.searcher() as searcher:  # its own: the caller may search while iterating
            for stored in searcher.all_stored_fields():
                yield _document(stored)

    def __len__(self) -> int:
        return int(self._ix.doc_count())

    def highlight(self, text: str, query: str) -> str:
        """``text`` HTML-escaped with the matches of ``query`` marked (for full article views)."""
        return highlight(text, self._builder.parse(query).needles, simplify=self.config.simplify)

    def stats(self) -> IndexStats:
        """Statistics of the live generation, from the table saved beside it (while that is missing,
        sources and dates are left empty)."""
        cached = self._stats_cache
        if cached is not None and cached[0] == self._generation:
            return cached[1]
        generation = self._generation
        assert generation is not None
        with self._searcher() as searcher:
            counted = self._saved_table("stats", searcher.reader())
        stats = IndexStats(
            documents=len(self),
            size_bytes=disk_size(generation),
            sources=counted["sources"] if counted else {},
            first_date=counted["first_date"] if counted else None,
            last_date=counted["last_date"] if counted else None,
            built_at=self.manifest.get("built_at"),
            zhsearch_version=str(self.manifest.get("zhsearch_version", "")),
            analyzer=self.config.to_json(),
        )
        if counted is not None:
            self._stats_cache = (generation, stats)
        return stats


def relax_runs(builder: QueryBuilder, parsed: ParsedQuery, total: int, warnings: list[str], *,
               frequency: Callable[[Any], int], count: Callable[[Any], int]) -> bool:
    """Require fewer words of the query's runs, a step at a time, while fewer than RELAX_BELOW
    documents match (every backend): ``frequency(unit)`` is how many documents one word's query
    matches, ``count(required)`` how many the query of what is still required does. True when
    ``parsed.query`` was relaxed (the warnings then say how); the caller ranks it again."""
    counts: dict[int, int] = {}

    def counted(unit: Any) -> int:
        if unit is None:
            return 0
        if id(unit) not in counts:  # the clause keeps its words' queries alive: ids stay theirs
            counts[id(unit)] = frequency(unit)
        return counts[id(unit)]

    relaxed = False
    while total < RELAX_BELOW and builder.relax(parsed, counted):
        relaxed = True
        required = builder.assemble(parsed.groups, bonuses=False)
        total = 0 if required is None else count(required)
    if relaxed:
        warnings.extend(_relaxed_warning(c) for c in parsed.runs() if c.dropped or c.minimum is not None)
    return relaxed


def rerank_depth(parsed: ParsedQuery, query: str) -> int:
    """How many of the first documents by relevance :func:`rerank_bonus` reads (0: none), every
    backend: ANSWER_DEPTH for a question asking when or how much, EVIDENCE_DEPTH for a run of words."""
    if parsed.any_term or parsed.empty:
        return 0
    asks = ANSWER_DEPTH if answer_kind(query) is not None else 0
    return max(asks, EVIDENCE_DEPTH if any(run.units for run in parsed.runs()) else 0)


def rerank_bonus(parsed: ParsedQuery, query: str, first: Iterable[tuple[_Key, float, str, str]], *,
                 simplify: bool) -> dict[_Key, float]:
    """What to add to the scores of the first documents by relevance (``(key, score, title, text)``,
    best first), every backend: a run's words close together and in the lead
    (:mod:`search.queries.evidence`) multiply a score by up to 2; for a question asking when or how
    much (:mod:`search.queries.intent`), a stated date (an amount) by ANSWER_FACTOR."""
    kind = answer_kind(query)
    words = [w for run in parsed.runs() for w in run.units]
    bonus: dict[_Key, float] = {}
    for rank, (key, score, title, text) in enumerate(first):
        if score <= 0:
            continue
        factor = 1.0
        if kind is not None and rank < ANSWER_DEPTH and states_answer(kind, title, text):
            factor = ANSWER_FACTOR
        if words and rank < EVIDENCE_DEPTH:
            factor *= 1.0 + evidence(fold(f"{title}\n{text[:TEXT_CHARS]}", simplify=simplify), words)
        if factor > 1.0:
            bonus[key] = score * (factor - 1.0)
    return bonus


def check_page(*, page: int, limit: int, sort: str) -> None:
    """InvalidArgumentError unless the page, limit and sort of a search are allowed (every backend)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgumentError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if not 1 <= page <= MAX_PAGE:
        raise InvalidArgumentError(f"page must be between 1 and {MAX_PAGE}, not {page}")
    if sort not in SORTS:
        raise InvalidArgumentError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")


def prepare_query(
    builder: QueryBuilder, query: str, *, source: str | Sequence[str] | None = None,
    category: str | Sequence[str] | None = None, tag: str | Sequence[str] | None = None,
    since: date | str | None = None, until: date | str | None = None, month: str | None = None,
) -> tuple[ParsedQuery, list[str]]:
    """The parsed query with the search's filter parameters added, and its warnings (every backend)."""
    parsed = builder.parse(query)
    warnings = list(parsed.warnings)
    filters = parsed.filters
    _extend(filters.sources, source)
    _extend(filters.categories, category)
    _extend(filters.tags, tag)
    for name, value, bound in (("since", since, 0), ("until", until, 1), ("month", month, -1)):
        if value is None or value == "":
            continue
        span = _date_bound(value)
        if span is None or (bound == -1 and (not isinstance(value, str) or len(value.strip()) != 7)):
            warnings.append(f"ignored {name}={str(value)[:40]!r}: not a date ({DATE_HELP})")
            continue
        if bound == -1:
            filters.restrict_dates(span[0], span[1])
        else:
            filters.restrict_dates(span[0] if bound == 0 else None, span[1] if bound == 1 else None)
    if filters.since is not None and filters.until is not None and filters.since >= filters.until:
        warnings.append("the date range is empty: nothing can match it")
    return parsed, warnings


def _first(key: np.ndarray, ids: np.ndarray, count: int) -> np.ndarray:
    """Indices of the first ``count`` matches ordered by ``key``, then by docnum: the head of
    ``np.lexsort((ids, key))``, without sorting every match when the head is short."""
    if count >= len(ids):
        return np.lexsort((ids, key))
    bound = np.partition(key, count - 1)[count - 1]
    if bound != bound:  # NaN: partition and lexsort order it differently from numbers
        return np.lexsort((ids, key))[:count]
    head = np.flatnonzero(key <= bound)  # every key of the head, ties at the bound included
    return head[np.lexsort((ids[head], key[head]))][:count]


@dataclass(frozen=True)
class _Ranking:
    """What a ranked query yields before the hits are built."""

    docnums: list[int]  # the first hits (group leaders when collapsing copies), best first
    scores: list[float]
    matched: np.ndarray  # every matching document, sorted
    total: int  # documents, or groups of copies


def _extend(values: list[str], extra: str | Sequence[str] | None) -> None:
    if extra is None:
        return
    for value in [extra] if isinstance(extra, str) else extra:
        value = value.strip()
        if value and value not in values:
            values.append(value)


def _date_bound(value: date | str) -> tuple[datetime, datetime] | None:
    """The naive-UTC [start, end) of a date, a datetime (an instant) or ``YYYY[-MM[-DD]]``."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value, value
    if isinstance(value, date):
        start = datetime(value.year, value.month, value.day)
        return start, start + timedelta(days=1)
    return parse_period(str(value))


class _TopCollector(collectors.TopCollector):  # type: ignore[misc]
    """Whoosh's top-N collector that also keeps every matched docnum (for totals and facets).

    Whoosh's own finds them by running the query a second time; keeping them while collecting
    costs a set insertion per match instead.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit, usequality=False, replace=0)  # no shortcuts: see every match

    def _collect(self, global_docnum: int, score: float) -> Any:
        self.docset.add(global_docnum)
        return super()._collect(global_docnum, score)

    def all_ids(self) -> set[int]:
        return set(self.docset)

    def results(self) -> Any:
        results = super().results()
        results.docset = self.docset
        return results


def _run(searcher: Any, query: Any, limit: int, *, filter: Any = None, mask: Any = None,
         sortedby: Any = None) -> Any:
    """``searcher.search`` whose results know every matched docnum without searching twice."""
    child = collectors.SortingCollector(sortedby, limit=limit) if sortedby is not None else _TopCollector(limit)
    collector = collectors.FilterCollector(child, allow=filter, restrict=mask) if filter or mask else child
    searcher.search_with_collector(query, collector)
    return collector.results()


class _DateKey(sorting.FacetType):  # type: ignore[misc]
    """Sort by date (newest or oldest first), undated documents last, ties in index order."""

    def __init__(self, newest: bool) -> None:
        self.newest = newest

    def categorizer(self, global_searcher: Any) -> Any:
        return _DateCategorizer(global_searcher, self.newest)


class _DateCategorizer(sorting.Categorizer):  # type: ignore[misc]
    def __init__(self, global_searcher: Any, newest: bool) -> None:
        self.newest = newest
        self._column: Any = None
        self._offset = 0

    def set_searcher(self, segment_searcher: Any, docoffset: int) -> None:
        reader = segment_searcher.reader()
        self._column = reader.column_reader("date", translate=False) if reader.has_column("date") else None
        self._offset = docoffset

    def key_for(self, matcher: Any, segment_docnum: int) -> tuple[int, int, int]:
        value = self._column[segment_docnum] if self._column is not None else None
        if not value or value >= _NO_DATE:  # Whoosh fills a missing date with the largest uint64
            return (1, 0, self._offset + segment_docnum)
        return (0, -value if self.newest else value, self._offset + segment_docnum)


def _duplicate(stored: dict[str, Any]) -> Duplicate:
    doc = _document(stored)
    return Duplicate(id=doc.id, title=doc.title, source=doc.source, date=doc.date_iso)


def _explain(parsed: ParsedQuery, searcher: Any, total: int) -> dict[str, Any]:
    clauses = []
    for group in parsed.groups:
        for clause in group:
            info = clause.explain()
            info["matches"] = sum(1 for _ in clause.query.docs(searcher)) if clause.query is not None else 0
            info["any_of_group"] = len(group) > 1
            clauses.append(info)
    unmatched = [c["text"] for c in clauses if c["matches"] == 0 and not c["excluded"]]
    return {
        "clauses": clauses,
        "unmatched": unmatched,
        "total": total,
        "whoosh_query": str(parsed.query),
    }


def _relaxed_warning(clause: Any) -> str:
    """What a relaxed run still requires, in the words of the page (Chinese; web/i18n.py has the
    same three templates for its translations)."""
    dropped = "、".join(f"“{clause.units[i]}”" for i in clause.dropped)
    if clause.minimum is None or clause.minimum >= clause.kept:
        return f"同时含有全部词语的结果太少，已不再要求{dropped}（含有它们的结果仍排在前面）"
    kept = "、".join(f"“{u}”" for i, u in enumerate(clause.units) if i not in clause.dropped)
    if not clause.dropped:
        return f"同时含有全部词语的结果太少，只要求含有{kept}中的至少 {clause.minimum} 个（含有更多词语的结果排在前面）"
    return (f"同时含有全部词语的结果太少，已不再要求{dropped}，只要求含有{kept}中的至少 {clause.minimum} 个"
            "（含有更多词语的结果排在前面）")


def open_index(location: Path | str) -> SearchIndex:
    """Open the zhsearch index at ``location`` for searching."""
    return SearchIndex.open(location)
