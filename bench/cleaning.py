"""Cleaning benchmark: fixture articles against hand-written expectations, and signs of misreading on a real archive.

The fixtures (``tests/fixtures/cleaning``) are small sites of articles written for this benchmark,
one folder per generator (Hexo, Jekyll, Hugo, Zola, Pelican, WordPress exports, Markdown mixed with
HTML, saved pages). Next to each article ``NAME.md`` (or ``.html``) its expectation ``NAME.md.toml``
says what a reader sees: ``title``, ``url``, ``outlet``, ``date`` (ISO; a bare day compares the day
only; ``""`` for none) and ``paragraphs``, or ``skipped`` (the start of the reason it is skipped).
Every folder is read as one archive by ``indexer.parse_archive``, learned boilerplate included.

Reported for the fixtures: paragraph precision and recall (a paragraph counts when it is exactly an
expected one, spaces aside), the share of articles whose title, url, outlet and date are right, the
skips, and for both the fixtures and ``--corpus`` (``../shared/corpus`` unless given; skipped with a
message when absent): empty and over-cleaned documents, template, URL and HTML remnants, and the
outlet distribution. ``--sample N`` lists N flagged corpus documents drawn with ``--seed``.

    python bench/cleaning.py [--fixtures DIR] [--corpus DIR] [--sample N] [--seed N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import tomllib
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from zhsearch.indexer import parse_archive
from zhsearch.indexer.build import ARTICLE_SUFFIXES, IndexReport, clean
from zhsearch.indexer.clean import template_remnant
from zhsearch.indexer.metadata import DEFAULT_TZ
from zhsearch.indexer.recurring import FOLDER, LearnedBoilerplate, RecurringParagraphs
from zhsearch.search import Document

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "cleaning"
CORPUS = ROOT.parent / "shared" / "corpus"
FIELDS = ("title", "url", "outlet", "date")
_URL = re.compile(r"https?://|www\.[a-z0-9-]+\.[a-z]", re.I)


@dataclass(frozen=True)
class Expectation:
    """What a reader sees in one fixture article (``skipped``: it is no article, and why)."""

    doc_id: str  # the article's path below its site folder, prefixed by the folder's name
    title: str = ""
    url: str = ""
    outlet: str = ""
    date: str = ""
    paragraphs: tuple[str, ...] = ()
    skipped: str = ""
    note: str = ""  # which hard case the article is


def load_expectations(root: Path = FIXTURES) -> list[Expectation]:
    """The expectation of every fixture article below ``root`` (``NAME.md.toml`` next to ``NAME.md``)."""
    found = []
    for path in sorted(root.rglob("*.toml")):
        article = path.with_suffix("")
        if article.suffix.lower() not in ARTICLE_SUFFIXES:
            continue  # a site's config.toml
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        data["paragraphs"] = tuple(data.get("paragraphs", ()))
        found.append(Expectation(doc_id=article.relative_to(root).as_posix(), **data))
    return found


@dataclass
class Remnants:
    """Documents whose text still holds template syntax, URLs or HTML, with an example of each."""

    template: list[tuple[str, str]] = field(default_factory=list)
    url: list[tuple[str, str]] = field(default_factory=list)
    html: list[tuple[str, str]] = field(default_factory=list)

    def add(self, document: Document) -> None:
        remnant = template_remnant(document.text) or template_remnant(document.title)
        if remnant:
            kind = self.html if remnant[0] in "<&" else self.template
            kind.append((document.id, remnant))
        url = _URL.search(document.text) or _URL.search(document.title)
        if url:
            context = (document.text or document.title)[max(0, url.start() - 20) : url.end() + 30]
            self.url.append((document.id, context))


@dataclass
class ArchiveFigures:
    """What can be measured on any archive without expectations."""

    seen: int = 0
    indexed: int = 0
    empty: list[str] = field(default_factory=list)
    over_cleaned: list[tuple[str, str]] = field(default_factory=list)
    template_flagged: list[tuple[str, str]] = field(default_factory=list)
    remnants: Remnants = field(default_factory=Remnants)
    outlets: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    learned: int = 0  # distinct paragraphs learned as boilerplate
    removed: int = 0  # their occurrences removed
    suffixes: int = 0  # distinct title suffixes learned
    retitled: int = 0  # titles that lost a learned suffix
    seconds: float = 0.0


def archive_figures(
    documents: list[Document], report: IndexReport, seconds: float = 0.0, *, retitled: int = 0
) -> ArchiveFigures:
    figures = ArchiveFigures(seen=report.seen, indexed=len(documents), outlets=report.outlets, seconds=seconds)
    figures.retitled = retitled
    figures.learned, figures.removed = report.learned_paragraphs, report.dropped_paragraphs
    figures.suffixes = report.learned_suffixes
    figures.skipped = Counter(o.reason for o in report.outcomes if o.status == "skipped")
    for outcome in report.outcomes:
        if outcome.status == "flagged" and outcome.kind == "over-cleaned":
            figures.over_cleaned.append((outcome.path, outcome.reason))
        elif outcome.status == "flagged":
            figures.template_flagged.append((outcome.path, outcome.reason))
    for document in documents:
        if not document.text.strip():
            figures.empty.append(document.id)
        figures.remnants.add(document)
    return figures


def read_archives(roots: list[Path]) -> tuple[list[Document], IndexReport, float, Counter[str]]:
    """Each root read as its own archive (its boilerplate learned from it alone, as
    ``parse_archive`` learns it), then put together; with the seconds it took, what was
    learned (``paragraphs``) and removed (``removed``) for a folder alone, and how many titles
    lost a learned suffix (``retitled``)."""
    documents: list[Document] = []
    together = IndexReport()
    folders: Counter[str] = Counter()
    started = time.perf_counter()
    for root in roots:
        raw, report = parse_archive([root], learn_boilerplate=False)
        prefix = f"{root.name}/"
        documents.extend(_prefixed(d, prefix) for d in _strip_learned(raw, together, folders))
        together.seen += report.seen
        together.indexed += report.indexed
        together.outlets.update(report.outlets)
        together.outcomes.extend(type(o)(prefix + o.path, o.status, o.reason) for o in report.outcomes)
    return documents, together, time.perf_counter() - started, folders


def _strip_learned(documents: list[Document], report: IndexReport, folders: Counter[str]) -> list[Document]:
    """``documents`` without their learned boilerplate; counts in ``report`` what was learned and
    removed, and in ``folders`` what was learned or removed for a folder alone."""
    learner = RecurringParagraphs()
    for document in documents:
        learner.observe(document)
    learned = learner.learn()
    without_folders = LearnedBoilerplate({k: v for k, v in learned.by_outlet.items() if not k.startswith(FOLDER)})
    report.learned_paragraphs += learned.size
    report.learned_suffixes += learned.title_suffixes
    folders["paragraphs"] += learned.size - without_folders.size
    kept = []
    for document in documents:
        stripped, dropped = clean(document, learned)
        report.dropped_paragraphs += dropped
        folders["retitled"] += stripped.title != document.title
        folders["removed"] += dropped - without_folders.strip(document)[1]
        kept.append(stripped)
    return kept


def _prefixed(document: Document, prefix: str) -> Document:
    return replace(document, id=prefix + document.id)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def _date_matches(expected: str, found: datetime | None) -> bool:
    if not expected:
        return found is None
    if found is None:
        return False
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", expected):  # a bare day: the day the article names
        return found.date() == date.fromisoformat(expected) or found.astimezone(DEFAULT_TZ).date() == date.fromisoformat(expected)
    return found == datetime.fromisoformat(expected)


@dataclass
class ArticleScore:
    """One fixture article against its expectation."""

    doc_id: str
    note: str
    matched: int = 0  # paragraphs that are expected ones
    produced: int = 0
    expected: int = 0
    missing: list[str] = field(default_factory=list)  # expected paragraphs not produced
    extra: list[str] = field(default_factory=list)  # produced paragraphs not expected
    wrong: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (expected, found)

    @property
    def holds(self) -> bool:
        return not self.missing and not self.extra and not self.wrong


def score_article(expectation: Expectation, document: Document | None, skip_reason: str | None) -> ArticleScore:
    score = ArticleScore(expectation.doc_id, expectation.note)
    if expectation.skipped:
        if not (skip_reason or "").startswith(expectation.skipped):
            score.wrong["skipped"] = (expectation.skipped, skip_reason or "(indexed)")
        return score
    if document is None:
        score.wrong["skipped"] = ("(indexed)", skip_reason or "(not found)")
        score.expected = len(expectation.paragraphs)
        score.missing = list(expectation.paragraphs)
        return score
    want = Counter(" ".join(p.split()) for p in expectation.paragraphs)
    got = Counter(_paragraphs(document.text))
    common = want & got
    score.matched, score.produced, score.expected = sum(common.values()), sum(got.values()), sum(want.values())
    score.missing = list((want - got).elements())
    score.extra = list((got - want).elements())
    found = {"title": document.title, "url": document.url or "", "outlet": document.source or ""}
    for name in ("title", "url", "outlet"):
        if getattr(expectation, name) != found[name]:
            score.wrong[name] = (getattr(expectation, name), found[name])
    if not _date_matches(expectation.date, document.date):
        score.wrong["date"] = (expectation.date, document.date.isoformat() if document.date else "")
    return score


@dataclass
class FixtureFigures:
    articles: list[ArticleScore]
    archive: ArchiveFigures
    expected_skips: int = 0  # articles the expectations say are no articles

    @property
    def precision(self) -> float:
        produced = sum(a.produced for a in self.articles)
        return sum(a.matched for a in self.articles) / produced if produced else 1.0

    @property
    def recall(self) -> float:
        expected = sum(a.expected for a in self.articles)
        return sum(a.matched for a in self.articles) / expected if expected else 1.0

    def field_accuracy(self, name: str) -> tuple[int, int]:
        """(right, out of) over the articles that are indexed as expected to be."""
        judged = [a for a in self.articles if "skipped" not in a.wrong and a.expected]
        return sum(name not in a.wrong for a in judged), len(judged)


def score_fixtures(root: Path = FIXTURES) -> FixtureFigures:
    """Read every site folder below ``root`` and score each article against its expectation."""
    expectations = load_expectations(root)
    sites = sorted({root / e.doc_id.split("/", 1)[0] for e in expectations})
    documents, report, seconds, folders = read_archives(sites)
    by_id = {d.id: d for d in documents}
    skips = {o.path: o.reason for o in report.outcomes if o.status == "skipped"}
    articles = [score_article(e, by_id.get(e.doc_id), skips.get(e.doc_id)) for e in expectations]
    figures = archive_figures(documents, report, seconds, retitled=folders["retitled"])
    return FixtureFigures(articles, figures, sum(bool(e.skipped) for e in expectations))


def _corpus_roots(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("."))


def _print_archive(figures: ArchiveFigures, *, examples: int = 5) -> None:
    n = figures.indexed or 1
    print(f"  files seen {figures.seen}, indexed {figures.indexed}, read in {figures.seconds:.1f} s")
    for reason, count in figures.skipped.most_common(8):
        print(f"  skipped {count}: {reason}")
    print(f"  boilerplate learned: {figures.learned} paragraphs, {figures.removed} occurrences removed")
    print(f"  title suffixes learned: {figures.suffixes}, removed from {figures.retitled} titles")
    rows = [
        ("empty documents", [(d, "") for d in figures.empty]),
        ("over-cleaned (kept < 30% of the visible text)", figures.over_cleaned),
        ("flagged template remnant", figures.template_flagged),
        ("template remnants (shortcodes, {% %}, [caption], wp: comments)", figures.remnants.template),
        ("HTML remnants (tags, entities)", figures.remnants.html),
        ("URL remnants", figures.remnants.url),
    ]
    for label, found in rows:
        print(f"  {label}: {len(found)} ({len(found) / n:.2%})")
        for doc_id, detail in found[:examples]:
            print(f"      {doc_id}  {detail!r}" if detail else f"      {doc_id}")
    top = ", ".join(f"{o or '(none)'} {c}" for o, c in figures.outlets.most_common(15))
    print(f"  outlets ({len(figures.outlets)}): {top}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--sample", type=int, default=10, help="flagged corpus documents to list")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    fixtures = score_fixtures(args.fixtures)
    print(f"fixtures: {len(fixtures.articles)} articles in {args.fixtures}")
    by_site = Counter(a.doc_id.split("/", 1)[0] for a in fixtures.articles)
    print("  " + ", ".join(f"{site} {n}" for site, n in sorted(by_site.items())))
    print(f"  paragraph precision {fixtures.precision:.3f}, recall {fixtures.recall:.3f}")
    for name in FIELDS:
        right, total = fixtures.field_accuracy(name)
        print(f"  {name}: {right}/{total} right")
    wrongly = sum("skipped" in a.wrong for a in fixtures.articles)
    print(f"  expected skips: {fixtures.expected_skips}; wrongly skipped or indexed: {wrongly}")
    failing = [a for a in fixtures.articles if not a.holds]
    print(f"  articles exactly as expected: {len(fixtures.articles) - len(failing)}/{len(fixtures.articles)}")
    for article in failing:
        print(f"    {article.doc_id} ({article.note})")
        for name, (want, got) in article.wrong.items():
            print(f"      {name}: expected {want!r}, got {got!r}")
        for para in article.missing:
            print(f"      missing: {para[:80]!r}")
        for para in article.extra:
            print(f"      extra:   {para[:80]!r}")
    _print_archive(fixtures.archive)

    result: dict[str, Any] = {
        "fixtures": {
            "articles": len(fixtures.articles),
            "precision": fixtures.precision,
            "recall": fixtures.recall,
            "fields": {name: fixtures.field_accuracy(name) for name in FIELDS},
            "failing": [asdict(a) for a in failing],
        }
    }
    if not args.corpus.is_dir():
        print(f"\ncorpus: {args.corpus} not found, skipped (give --corpus DIR)")
    else:
        roots = _corpus_roots(args.corpus)
        print(f"\ncorpus: {args.corpus} ({', '.join(r.name for r in roots)}, each read as one archive)")
        documents, report, seconds, folders = read_archives(roots)
        figures = archive_figures(documents, report, seconds, retitled=folders["retitled"])
        _print_archive(figures)
        print(f"  of which learned for a folder alone: {folders['paragraphs']} paragraphs, "
              f"{folders['removed']} occurrences removed")
        seed = args.seed if args.seed is not None else random.randrange(1 << 30)
        flagged = figures.over_cleaned + figures.template_flagged
        sample = random.Random(seed).sample(flagged, min(args.sample, len(flagged)))
        print(f"  flagged sample (--seed {seed}):")
        for doc_id, reason in sample:
            print(f"      {doc_id}  {reason}")
        result["corpus"] = {
            "seen": figures.seen,
            "indexed": figures.indexed,
            "empty": len(figures.empty),
            "over_cleaned": len(figures.over_cleaned),
            "template_flagged": len(figures.template_flagged),
            "learned": figures.learned,
            "removed": figures.removed,
            "title_suffixes": figures.suffixes,
            "retitled": figures.retitled,
            "learned_for_folders": dict(folders),
            "remnants": {k: len(v) for k, v in asdict(figures.remnants).items()},
            "outlets": dict(figures.outlets.most_common()),
            "seed": seed,
        }
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
