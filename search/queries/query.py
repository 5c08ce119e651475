"""Lenient query parsing: user text to a Whoosh query, the strings to highlight, and warnings.

Syntax: space-separated terms are ANDed; ``OR`` between two terms makes either enough;
``-term`` or ``NOT term`` excludes; ``"…"`` is an exact phrase. Every term must occur as a
contiguous string of the (normalized) title or text, which the character fields guarantee;
word-level matches in the jieba fields add to the score, so whole words rank first.
A malformed query is never an error: what cannot be used is reported in ``warnings``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from whoosh import query as wq

from ..text.analysis import _CJK, AnalyzerConfig, CharTokenizer, PairTokenizer, WordTokenizer
from ..text.normalize import script_variants

MAX_QUERY_CHARS = 20000  # long pasted text: see search/queries/longquery.py
LONG_QUERY_CHARS = 30  # longer than this, or more terms than LONG_QUERY_TERMS, without operators:
LONG_QUERY_TERMS = 6  # a pasted paragraph, searched as a ranked match of any of its words
# Pasted prose keeps its quotes and brackets (“…”, (HKGCPF)) without meaning them as operators: a
# long text with a clause or sentence mark outside quotes, or longer than this, is prose.
LONG_PROSE_CHARS = 80
_PROSE_MARK = re.compile(r"[，。；！？、]")
_QUOTED = re.compile(r'"[^"]*"')
MAX_ANY_TERMS = 64
_OPERATOR = re.compile(r'["()]|(?:^|\s)(?:OR|NOT)(?:\s|$)|(?:^|\s)-[^\W_"(]|[A-Za-z]+[:：]\S')
# -term excludes when a letter, digit, ideograph or quote follows; "----709" is text, not "-".
_EXCLUSION = re.compile(r'-[^\W_"]|-"')
WORD_BOOST = 4.0
CHAR_BOOST = 0.25
VARIANT_BOOST = 0.3  # spellings from the other script's phrase table rank below the typed one
# An unquoted run of several words: the documents where they stand together rank first.
RUN_BOOST = 1.0  # the whole run (each piece between punctuation) as typed, contiguous
NEIGHBOUR_BOOST = 0.5  # two neighbouring words of the run, contiguous
# A word of letters and digits glued together (gpt4, iphone12, g20): written so in some texts
# and as two words (GPT-4, iPhone 12) in others, where the glued token is not a whole word.
_GLUED = re.compile(r"(?=[^\W_]*[^\W\d_])(?=[^\W_]*\d)[^\W_]+", re.ASCII)
_GLUED_PART = re.compile(r"[^\W\d_]+|\d+", re.ASCII)
RELAX_BELOW = 10  # fewer hits than this with every word required: require fewer of them, step by step
# Question words and particles: a run never requires them (they still count in the run as typed).
QUESTION_WORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 么 嘛 是 在 有 和 与 及 或 把 被 对 将 就 也 都 还 又 而 之 其 这 那 个 几 哪 谁 "
    "啥 于 以 为 从 向 到 给 让 等 着 过 得 地 时候 请问 哪些 哪个 哪里 哪儿 哪家 哪年 哪天 什么 什么样 什么时候 "
    "怎么 怎么样 怎样 如何 为何 为什么 多少 多久 多大 几个 几次 是否 是不是 有没有 有多少 有哪些 是什么 "
    "是多少 是谁 何时 何地 关于 一下 具体 分别 主要 时间 日期 地点".split()
)
# Words that ask by their form: 哪 with a measure word or noun (哪部, 哪位, 哪国, 哪届; not 哪吒),
# 多 with an adjective (多长, 多远, 多高). Like the words above, a run never requires them.
_QUESTION_FORM = re.compile(r"哪[部位国个家种支队所座届年月天里些条件场次类样名款首本]|多[长远高重快深宽厚大久少]")


def is_question_word(word: str) -> bool:
    """A question word or particle: a run never requires it (it still counts in the run as typed)."""
    return word in QUESTION_WORDS or _QUESTION_FORM.fullmatch(word) is not None

# A field term (``source:联合早报``, ``title:"…"``), a phrase, a parenthesis, or a bare term.
_TOKEN = re.compile(r'-?[A-Za-z]+[:：](?:"[^"]*"?|[^\s()]*)|-?"[^"]*"?|-?\(|\)|[^\s()]+')
_FIELD_TERM = re.compile(r"(-?)([A-Za-z]+)[:：](.*)", re.S)
FILTER_FIELDS = ("source", "category", "tag", "date", "since", "until")
_FILTER_WORD = re.compile(r"(?:^|(?<=\s))-?(?:" + "|".join(FILTER_FIELDS) + r")[:：]\S+", re.I)
TERM_FIELDS = ("title",)
_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
_HAS_CJK = re.compile(f"[{_CJK}]").search
DATE_HELP = "use YYYY, YYYY-MM or YYYY-MM-DD, or FROM..TO"


def parse_period(text: str) -> tuple[datetime, datetime] | None:
    """The [start, end) of a year, month or day written as YYYY, YYYY-MM or YYYY-MM-DD."""
    m = _DATE.fullmatch(text.strip())
    if m is None:
        return None
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if month is None:
            return datetime(year, 1, 1), datetime(year + 1, 1, 1)
        start = datetime(year, int(month), int(day) if day else 1)
        if day:
            return start, start + timedelta(days=1)
        return start, datetime(year + 1, 1, 1) if start.month == 12 else datetime(year, start.month + 1, 1)
    except (ValueError, OverflowError):  # not a date, or its end is past the year 9999
        return None


def parse_range(text: str) -> tuple[datetime | None, datetime | None] | None:
    """``date:`` values: a period, or ``FROM..TO`` with either end open; None when malformed."""
    if ".." not in text:
        return parse_period(text)
    lo, _, hi = text.partition("..")
    start = parse_period(lo) if lo.strip() else None
    end = parse_period(hi) if hi.strip() else None
    if (lo.strip() and start is None) or (hi.strip() and end is None) or (start is None and end is None):
        return None
    return (start[0] if start else None), (end[1] if end else None)


@dataclass
class Filters:
    """Restrictions on which documents count, from field terms or from API parameters.

    Within one list any value is enough (a document has one source); lists are ANDed together.
    Dates are naive UTC; ``until`` is exclusive.
    """

    sources: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # matches categories or tags
    tags: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    excluded: list[wq.Query] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sources or self.categories or self.tags or self.since or self.until or self.excluded)

    def restrict_dates(self, since: datetime | None, until: datetime | None) -> None:
        if since is not None:
            self.since = since if self.since is None else max(self.since, since)
        if until is not None:
            self.until = until if self.until is None else min(self.until, until)

    def query(self) -> wq.Query | None:
        """The documents allowed (None: all of them)."""
        parts: list[wq.Query] = []
        if self.sources:
            parts.append(wq.Or([wq.Term("source", s) for s in self.sources]))
        if self.categories:
            parts.append(wq.Or([wq.Term(f, c) for c in self.categories for f in ("categories", "tags")]))
        if self.tags:
            parts.append(wq.Or([wq.Term("tags", t) for t in self.tags]))
        if self.since is not None or self.until is not None:
            parts.append(wq.DateRange("date", self.since, self.until, endexcl=True))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def mask(self) -> wq.Query | None:
        """The documents excluded (``-source:…``)."""
        if not self.excluded:
            return None
        return self.excluded[0] if len(self.excluded) == 1 else wq.Or(self.excluded)


class AtLeast(wq.CompoundQuery):  # type: ignore[misc]
    """Documents matching at least ``minimum`` of the subqueries (a minimum-should-match).

    A document's score is the sum of the scores of the subqueries it matches times the share of
    them it matches (``matched / len(subqueries)``), so documents with more of the words rank
    first. The array evaluator computes it natively; Whoosh's matchers through :meth:`_matcher`.
    """

    JOINT = " ATLEAST "

    def __init__(self, subqueries: list[wq.Query], minimum: int, boost: float = 1.0) -> None:
        super().__init__(subqueries, boost=boost)
        self.minimum = minimum

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and getattr(other, "minimum", None) == self.minimum

    def __hash__(self) -> int:
        return hash((super().__hash__(), self.minimum))

    def __repr__(self) -> str:
        return f"AtLeast({self.subqueries!r}, {self.minimum})"

    def normalize(self) -> wq.Query:
        return AtLeast([q.normalize() for q in self.subqueries], self.minimum, boost=self.boost)

    def _matcher(self, subs: list[wq.Query], searcher: Any, context: Any) -> Any:
        from whoosh.matching import ListMatcher, NullMatcher

        totals: dict[int, float] = {}
        counts: dict[int, int] = {}
        for q in subs:
            m = q.matcher(searcher, context)
            while m.is_active():
                docnum = m.id()
                totals[docnum] = totals.get(docnum, 0.0) + m.score()
                counts[docnum] = counts.get(docnum, 0) + 1
                m.next()
        share = len(subs)
        ids = sorted(d for d, n in counts.items() if n >= self.minimum)
        if not ids:
            return NullMatcher()
        scores = [totals[d] * (counts[d] / share) * self.boost for d in ids]
        return ListMatcher(ids, weights=scores)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        return self._matcher(self.subqueries, searcher, context)


@dataclass
class Clause:
    """One term, phrase or parenthesized group of the query, as analyzed."""

    text: str
    negated: bool = False
    phrase: bool = False
    title_only: bool = False  # ``title:…``
    group: list[Clause] | None = None  # the clauses inside ``( … )``
    variants: list[str] = field(default_factory=list)  # normalized spellings searched
    words: list[list[str]] = field(default_factory=list)  # jieba words per variant (ranking)
    chars: list[list[str]] = field(default_factory=list)  # character tokens per variant (recall)
    recall_fields: list[str] = field(default_factory=list)  # the fields the character tokens are read from
    query: wq.Query | None = None
    # An unquoted run of several words (``香港国安法实施``): each word required, contiguity ranked.
    units: list[str] = field(default_factory=list)  # the words a document must contain
    pieces: list[list[str]] = field(default_factory=list)  # the run's words between punctuation, in order
    dropped: list[int] = field(default_factory=list)  # indices of units no document contains (relaxed)
    minimum: int | None = None  # relaxed: how many of the other units a document must contain
    # What ranks a run's documents up without being required; added once at the top of the query
    # (Whoosh's matchers drop optional scores of an AndMaybe nested in an intersection).
    bonus: wq.Query | None = None
    # Built once per run, reused by each relaxation step: each unit's query, the contiguity bonuses.
    unit_queries: list[wq.Query | None] | None = field(default=None, repr=False)
    together: list[wq.Query] | None = field(default=None, repr=False)

    @property
    def kept(self) -> int:
        """How many units are still counted (not dropped)."""
        return len(self.units) - len(self.dropped)

    @property
    def required_count(self) -> int:
        """How many of the kept units a document must contain."""
        return self.kept if self.minimum is None else self.minimum

    @property
    def relaxable(self) -> bool:
        """An unquoted run that can require fewer of its words."""
        return self.required_count > 1

    def explain(self) -> dict[str, Any]:
        kind = "group" if self.group is not None else "phrase" if self.phrase else "words" if self.units else "term"
        info = {
            "text": self.text,
            "kind": kind,
            "excluded": self.negated,
            "variants": list(self.variants),
            "words": {"fields": ["title"] if self.title_only else ["title", "text"], "tokens": self.words},
            "characters": {"fields": self.recall_fields, "tokens": self.chars},
        }
        if self.units:
            info["required"] = [u for i, u in enumerate(self.units) if i not in self.dropped]
            info["dropped"] = [self.units[i] for i in self.dropped]
            info["minimum"] = self.required_count  # of the required words, how many a hit must have
        return info


@dataclass
class ParsedQuery:
    """What :meth:`QueryBuilder.parse` made of the user's text."""

    query: wq.Query
    needles: list[str] = field(default_factory=list)  # normalized strings to highlight
    warnings: list[str] = field(default_factory=list)
    empty: bool = False  # no search terms: every document (within the filters) matches
    groups: list[list[Clause]] = field(default_factory=list)  # OR-groups, ANDed together
    filters: Filters = field(default_factory=Filters)
    any_term: bool = False  # a long text searched as a ranked match of any of its words

    def runs(self) -> list[Clause]:
        """The top-level unquoted runs of several words that every hit must match."""
        return [g[0] for g in self.groups if len(g) == 1 and not g[0].negated and g[0].units]


@dataclass
class _Level:
    """The OR-groups of one nesting level while parsing."""

    groups: list[list[Clause]] = field(default_factory=list)
    join_next: bool = False
    negate_next: bool = False


class QueryBuilder:
    """Turns user text into Whoosh queries with the index's own analyzer configuration."""

    def __init__(self, config: AnalyzerConfig) -> None:
        self.config = config
        self._words = WordTokenizer(config)
        self._chars = CharTokenizer(config)
        self._pairs = PairTokenizer(config)

    def analyze(self, clause: Clause) -> Clause:
        """Fill in the clause's variants, tokens and query; ``query`` stays None if unusable."""
        alternatives: list[wq.Query] = []
        prefixes = ("title",) if clause.title_only else ("title", "text")
        word_fields = ("title",) if clause.title_only else ("title", "text")
        for n, variant in enumerate(script_variants(clause.text, simplify=self.config.simplify)):
            # The variant is already normalized; the tokenizers normalize again, idempotently.
            chars = [t.text for t in self._chars(variant)]
            if not chars:
                continue
            words = [t.text for t in self._words(variant)]
            clause.variants.append(variant)
            clause.chars.append(chars)
            clause.words.append(words)
            # Whoosh ignores a boost on AndMaybe itself, so a variant's boost goes on both parts.
            scale = VARIANT_BOOST if n else 1.0
            phrases = self._pairs.phrases(variant)
            recall = _any([_recall(prefix, chars, phrases, clause.recall_fields) for prefix in prefixes])
            recall.boost = CHAR_BOOST * scale
            q: wq.Query = recall
            if words:
                ranking = _any([_sequence(f, words) for f in word_fields])
                ranking.boost = WORD_BOOST * scale
                q = wq.AndMaybe(recall, ranking)
            alternatives.append(q)
        if alternatives:
            clause.query = alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)
        return clause

    def analyze_run(self, clause: Clause) -> Clause:
        """An unquoted term: several words when jieba finds them, each required, contiguity ranked.

        ``香港国安法实施后的影响`` needs 香港, 国安法, 实施, 后 and 影响 (each as a substring, so
        达峰 still finds 碳达峰); question words and particles are never required; the run as
        typed, and each two neighbouring words, rank the documents where they stand together
        first. A run of one word (after the question words) is a term, as before.
        """
        if not _HAS_CJK(clause.text):  # AT&T, COVID-19, 50%: Latin and digits stay one exact term
            return self.analyze(clause)
        variants = script_variants(clause.text, simplify=self.config.simplify)
        text = variants[0] if variants else ""
        pieces: list[list[str]] = []
        end = -1
        for start, stop in self._words.spans(text):
            if start != end or not pieces:
                pieces.append([])
            pieces[-1].append(text[start:stop])
            end = stop
        words = [w for piece in pieces for w in piece]
        units = list(dict.fromkeys(w for w in words if not is_question_word(w))) or list(dict.fromkeys(words))
        if len(units) < 2:
            if len(units) == 1 and len(words) > 1 and units[0] != "".join(words):
                # 香港的 → 香港: the particle is not required; the run as typed still ranks first.
                clause.units, clause.pieces = units, pieces
                return self.build_run(clause)
            return self.analyze(clause)
        clause.units, clause.pieces = units, pieces
        return self.build_run(clause)

    def build_run(self, clause: Clause) -> Clause:
        """(Re)build a run's query from its units, leaving out of the required ones those dropped."""
        if clause.unit_queries is None:
            clause.unit_queries = [self._unit(u, clause.title_only) for u in clause.units]
        if clause.together is None:
            clause.together = []
            for unit in clause.units:  # gpt4: GPT-4 and GPT 4 rank as if typed so
                parts = _glued_parts(unit)
                near = self._contiguous(" ".join(parts), NEIGHBOUR_BOOST, clause.title_only) if parts else None
                if near is not None:
                    clause.together.append(near)
            for piece in clause.pieces:
                if len(piece) < 2:
                    continue
                together = self._contiguous("".join(piece), RUN_BOOST, clause.title_only)
                if together is not None:
                    clause.together.append(together)
                if len(piece) > 2:
                    for first, second in zip(piece, piece[1:]):
                        near = self._contiguous(first + second, NEIGHBOUR_BOOST, clause.title_only)
                        if near is not None:
                            clause.together.append(near)
        required: list[wq.Query] = []
        optional: list[wq.Query] = []
        for i, q in enumerate(clause.unit_queries):
            if q is not None:
                (optional if i in clause.dropped else required).append(q)
        optional.extend(clause.together)
        if not required:  # every unit dropped or unusable: the run cannot be searched
            clause.query = None
            return clause
        if clause.minimum is not None and clause.minimum < len(required):
            clause.query = AtLeast(required, clause.minimum)
        else:
            clause.query = required[0] if len(required) == 1 else wq.And(required)
        clause.bonus = _any(optional) if optional else None
        clause.words = [[w for piece in clause.pieces for w in piece]]
        typed = ["".join(piece) for piece in clause.pieces]
        parts = [p for u in clause.units for p in _glued_parts(u)]
        clause.variants = list(dict.fromkeys([*typed, *clause.units, *parts]))
        return clause

    def _unit(self, unit: str, title_only: bool) -> wq.Query | None:
        """What a run requires for one of its words: the word as a substring; for letters and
        digits glued together (gpt4), either that whole word or each of its parts (GPT-4)."""
        whole = self.analyze(Clause(unit, title_only=title_only)).query
        parts = _glued_parts(unit)
        if whole is None or not parts:
            return whole
        queries = [self.analyze(Clause(p, title_only=title_only)).query for p in parts]
        if any(q is None for q in queries):
            return whole
        # The parts stand for one word: together they score as much as one of them on average.
        return wq.Or([whole, wq.And(queries, boost=1.0 / len(queries))])

    def _contiguous(self, text: str, boost: float, title_only: bool) -> wq.Query | None:
        """Documents whose title (or text) holds ``text`` contiguously (scored, for ranking only)."""
        chars = [t.text for t in self._chars(text)]
        if len(chars) < 2:
            return None
        prefixes = ("title",) if title_only else ("title", "text")
        q = _any([_recall(prefix, chars, self._pairs.phrases(text), []) for prefix in prefixes])
        q.boost = boost
        return q

    def relax(self, parsed: ParsedQuery, frequency: Any) -> bool:
        """Require less of the query's runs, one step; False when nothing is left to relax.

        First the words no document contains (``frequency(query)``: the documents a word's query matches) stop
        counting, all at once; then the single Chinese characters jieba left between the words
        (年, 后, 数: affixes and function words more often than not); then a run requires one word
        fewer of the rest, any of them (a minimum-should-match): the run that still requires the
        largest share of its words first. Each step keeps at least one word. ``parsed.query`` is
        rebuilt; the words no longer counted still rank, and a document with more words ranks higher.
        """
        runs = [clause for clause in parsed.runs() if clause.relaxable]
        if not runs:
            return False
        kept = [[i for i in range(len(c.units)) if i not in c.dropped and c.unit_queries is not None
                 and c.unit_queries[i] is not None] for c in runs]
        def absent(clause: Clause, i: int) -> bool:
            return int(frequency(clause.unit_queries[i] if clause.unit_queries else None)) == 0

        def single(clause: Clause, i: int) -> bool:
            return len(clause.units[i]) == 1 and _HAS_CJK(clause.units[i]) is not None

        for weak in (absent, single):
            for clause, indices in zip(runs, kept):
                if clause.minimum is not None:
                    continue
                drop = [i for i in indices if weak(clause, i)]
                if drop and len(drop) < len(indices):
                    clause.dropped.extend(drop)
                    self._rebuild(parsed, clause)
                    return True
        clause = max(runs, key=lambda c: c.required_count / c.kept)
        clause.minimum = clause.required_count - 1
        self._rebuild(parsed, clause)
        return True

    def _rebuild(self, parsed: ParsedQuery, clause: Clause) -> None:
        self.build_run(clause)
        query = self.assemble(parsed.groups)
        if query is not None:
            parsed.query = query

    def assemble(self, groups: list[list[Clause]], *, bonuses: bool = True) -> wq.Query | None:
        """The query of a level's OR-groups: the required ones ANDed, the excluded ones removed,
        and (with ``bonuses``) the runs' ranking bonuses optional on top."""
        required, excluded = _combine(groups)
        if not required:
            return None
        base = required[0] if len(required) == 1 else wq.And(required)
        if excluded:
            base = wq.AndNot(base, wq.Or(excluded))
        if not bonuses:
            return base
        optional = [c.bonus for g in groups for c in g if c.bonus is not None and not c.negated]
        return wq.AndMaybe(base, _any(optional)) if optional else base

    def words(self, text: str) -> list[str]:
        """The distinct jieba words of ``text``, in order (for any-term and similar queries)."""
        seen: dict[str, None] = {}
        for token in self._words(text):
            seen.setdefault(token.text, None)
        return list(seen)

    def parse(self, text: str) -> ParsedQuery:
        warnings: list[str] = []
        if len(text) > MAX_QUERY_CHARS:
            warnings.append(f"the query was cut to its first {MAX_QUERY_CHARS} characters")
            text = text[:MAX_QUERY_CHARS]
        if _is_long(text):
            return self.parse_any(text, warnings)
        filters = Filters()
        stack: list[_Level] = [_Level()]
        ignored_any = False
        for raw in _TOKEN.findall(text):
            level = stack[-1]
            if raw == "OR":
                level.join_next = bool(level.groups)
                if not level.groups:
                    warnings.append("OR at the start of the query was ignored")
                continue
            if raw == "NOT":
                level.negate_next = True
                continue
            if raw in ("(", "-("):
                level.negate_next = level.negate_next or raw == "-("
                stack.append(_Level())
                continue
            if raw == ")":
                if len(stack) == 1:
                    warnings.append("an unmatched “)” was ignored")
                    continue
                ignored_any = self._close(stack, warnings) or ignored_any
                continue
            clause = Clause(raw)
            if _EXCLUSION.match(raw):
                clause = Clause(raw[1:], negated=True)
            field_term = _FIELD_TERM.fullmatch(clause.text)
            if field_term is not None and field_term.group(2).lower() in FILTER_FIELDS:
                self._filter(field_term.group(2).lower(), field_term.group(3).strip('"'),
                             clause.negated or level.negate_next, filters, warnings)
                level.negate_next = level.join_next = False
                continue
            if field_term is not None and field_term.group(2).lower() in TERM_FIELDS:
                if not field_term.group(3).strip('"').strip():
                    warnings.append(f"ignored “{field_term.group(2)}:”: it has no value")
                    continue
                clause = Clause(field_term.group(3), negated=clause.negated, title_only=True)
            if clause.text.startswith('"'):
                if not clause.text.endswith('"') or len(clause.text) == 1:
                    warnings.append("an unclosed quote was closed at the end of the query")
                clause = Clause(clause.text.strip('"'), negated=clause.negated, phrase=True,
                                title_only=clause.title_only)
            if clause.phrase or clause.negated or level.negate_next:
                self.analyze(clause)  # exact: quoted, and what is excluded
            else:
                self.analyze_run(clause)
            ignored_any = self._add(level, clause, warnings) or ignored_any
        while len(stack) > 1:
            warnings.append("an unclosed “(” was closed at the end of the query")
            ignored_any = self._close(stack, warnings) or ignored_any
        level = stack[0]
        if level.join_next or level.negate_next:
            warnings.append("a trailing OR/NOT had nothing after it and was ignored")
        groups = level.groups
        needles = _needles(groups)
        required, excluded = _combine(groups)

        if not required and not excluded:
            if filters:
                return ParsedQuery(wq.Every(), needles=[], warnings=warnings, empty=True, groups=groups,
                                   filters=filters)
            if ignored_any or level.join_next or level.negate_next or text.strip():
                # Something was typed but nothing of it is searchable: match nothing, say why.
                if not warnings:
                    warnings.append("nothing in the query could be searched")
                return ParsedQuery(wq.NullQuery, needles=[], warnings=warnings, empty=False, groups=groups,
                                   filters=filters)
        if not required:
            if excluded:
                warnings.append("a query of only exclusions matches everything else")
            base: wq.Query = wq.Every()
            empty = not excluded
            if excluded:
                base = wq.AndNot(base, wq.Or(excluded))
        else:
            assembled = self.assemble(groups)
            assert assembled is not None
            base = assembled
            empty = False
        return ParsedQuery(base, needles=needles, warnings=warnings, empty=empty, groups=groups, filters=filters)

    def parse_any(self, text: str, warnings: list[str] | None = None) -> ParsedQuery:
        """A ranked match of any of the jieba words of ``text`` (for pasted paragraphs).

        The engine replaces the query with :mod:`search.queries.longquery`'s (the words chosen by weight,
        which needs the index's statistics) and adds its warnings."""
        warnings = list(warnings or [])
        filters = Filters()
        for found in _FILTER_WORD.finditer(text):  # source:…, date:… keep their meaning in pasted text
            negated, term = found.group().startswith("-"), found.group().lstrip("-")
            name, value = re.split("[:：]", term, maxsplit=1)
            self._filter(name.lower(), value.strip('"'), negated, filters, warnings)
        text = _FILTER_WORD.sub(" ", text)
        words = self.words(text)
        # Single characters are mostly function words: use them only when there is nothing else.
        meaningful = [w for w in words if len(w) > 1 or not re.match(f"[{_CJK}]", w)] or words
        meaningful = meaningful[:MAX_ANY_TERMS]
        if not meaningful:
            warnings.append("nothing in the query could be searched")
            return ParsedQuery(wq.NullQuery, warnings=warnings, filters=filters)
        query: wq.Query = wq.Or([wq.Term(f, w) for w in meaningful for f in ("title", "text")])
        # Single characters do not widen the match but still count towards ranking: they tell
        # 第一期 from 第二期 when a pasted title is all the user has.
        singles = [w for w in words if w not in meaningful][:MAX_ANY_TERMS]
        if singles:
            query = wq.AndMaybe(query, wq.Or([wq.Term("title", w) for w in singles]))
        clause = Clause(text, variants=list(meaningful), words=[meaningful], query=query)
        return ParsedQuery(
            query, needles=list(meaningful), warnings=warnings, groups=[[clause]], any_term=True, filters=filters
        )

    def _add(self, level: _Level, clause: Clause, warnings: list[str]) -> bool:
        """Put an analyzed clause into the current level; True when it had to be ignored."""
        clause.negated = clause.negated or level.negate_next
        level.negate_next = False
        if clause.query is None:
            if clause.group is not None:
                warnings.append("an empty “( )” was ignored")
            elif clause.text.strip():
                warnings.append(f"ignored “{clause.text}”: it has no letters, digits or characters")
            elif clause.phrase:
                warnings.append("an empty phrase was ignored")
            level.join_next = False
            return True
        if level.join_next and not clause.negated and not level.groups[-1][0].negated:
            level.groups[-1].append(clause)
        else:
            level.groups.append([clause])
        level.join_next = False
        return False

    def _close(self, stack: list[_Level], warnings: list[str]) -> bool:
        """End the innermost ``( … )``: it becomes one clause of the level around it."""
        inner = stack.pop()
        required, excluded = _combine(inner.groups)
        clause = Clause("(" + " ".join(c.text for g in inner.groups for c in g) + ")", group=[])
        clause.group = [c for g in inner.groups for c in g]
        if required:
            q: wq.Query = required[0] if len(required) == 1 else wq.And(required)
            clause.query = wq.AndNot(q, wq.Or(excluded)) if excluded else q
        elif excluded:
            warnings.append("a group of only exclusions was ignored")
        bonuses = [c.bonus for c in clause.group if c.bonus is not None and not c.negated]
        clause.bonus = _any(bonuses) if bonuses else None
        for c in clause.group:
            if not c.negated:
                clause.variants.extend(c.variants)
        return self._add(stack[-1], clause, warnings)

    def _filter(self, name: str, value: str, negated: bool, filters: Filters, warnings: list[str]) -> None:
        value = value.strip()
        if not value:
            warnings.append(f"ignored “{name}:”: it has no value")
            return
        if name in ("source", "category", "tag"):
            if negated:
                if name == "source":
                    filters.excluded.append(wq.Term("source", value))
                else:
                    fields_ = ("categories", "tags") if name == "category" else ("tags",)
                    filters.excluded.extend(wq.Term(f, value) for f in fields_)
                return
            target = {"source": filters.sources, "category": filters.categories, "tag": filters.tags}[name]
            if value not in target:
                target.append(value)
            return
        if name == "date":
            span = parse_range(value)
        else:
            period = parse_period(value)
            span = None if period is None else (period[0], None) if name == "since" else (None, period[1])
        if span is None:
            warnings.append(f"ignored “{name}:{value}”: not a date ({DATE_HELP})")
            return
        if negated:
            warnings.append(f"ignored “-{name}:{value}”: dates cannot be excluded")
            return
        filters.restrict_dates(span[0], span[1])


def _is_long(text: str) -> bool:
    stripped = text.strip()
    if not (len(stripped) > LONG_QUERY_CHARS or len(stripped.split()) > LONG_QUERY_TERMS):
        return False
    if not _OPERATOR.search(stripped):
        return True
    return len(stripped) > LONG_PROSE_CHARS or bool(_PROSE_MARK.search(_QUOTED.sub("", stripped)))


def _glued_parts(word: str) -> list[str]:
    """The letter and digit parts of a word that glues them together (gpt4 → gpt, 4); else []."""
    return _GLUED_PART.findall(word) if _GLUED.fullmatch(word) else []


def _needles(groups: list[list[Clause]]) -> list[str]:
    needles: list[str] = []
    for group in groups:
        if group[0].negated:
            continue
        for clause in group:
            needles.extend(v for v in clause.variants if v.strip())  # separators inside: see snippets
    return needles


def _combine(groups: list[list[Clause]]) -> tuple[list[wq.Query], list[wq.Query]]:
    """The required and the excluded queries of a level's OR-groups."""
    required: list[wq.Query] = []
    excluded: list[wq.Query] = []
    for group in groups:
        queries = [c.query for c in group if c.query is not None]
        combined = queries[0] if len(queries) == 1 else wq.Or(queries)
        (excluded if group[0].negated else required).append(combined)
    return required, excluded


def _recall(prefix: str, chars: list[str], phrases: list[list[str]], used: list[str]) -> wq.Query:
    """Documents whose ``prefix`` field holds the character tokens contiguously.

    One token is a term of ``*_chars``; more are any of their ``phrases`` of pairs in ``*_pairs``
    (:meth:`PairTokenizer.phrases`: punctuation between the tokens matches any run of separators,
    and no match spans a separator the query does not have).
    """
    if len(chars) == 1:
        name, alternatives = f"{prefix}_chars", [chars]
    else:
        name, alternatives = f"{prefix}_pairs", phrases
    if name not in used:
        used.append(name)
    return _any([_sequence(name, tokens) for tokens in alternatives])


def _any(queries: list[wq.Query]) -> wq.Query:
    return queries[0] if len(queries) == 1 else wq.Or(queries)


def _sequence(fieldname: str, tokens: list[str]) -> wq.Query:
    if len(tokens) == 1:
        return wq.Term(fieldname, tokens[0])
    return wq.Phrase(fieldname, tokens)
