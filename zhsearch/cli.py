"""The ``zhsearch`` command line: each command parses flags, calls one library function, prints."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from zhsearch.search.errors import ZhsearchError

DEFAULT_INDEX = ".zhsearch/index"
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)

index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_INDEX,
    envvar="ZHSEARCH_INDEX",
    show_default=True,
    show_envvar=True,
    help="Index directory.",
)


def _fail(exc: ZhsearchError) -> NoReturn:
    message = f"Error: {exc}"
    if exc.hint:
        message += f"\nHint: {exc.hint}"
    click.echo(message, err=True)
    sys.exit(1)


cluster_option = click.option(
    "--cluster", "cluster_file", type=click.Path(dir_okay=False, path_type=Path),
    help="Use the Xapian cluster this cluster file names instead of --index (see zhsearch cluster up).",
)
require_all_option = click.option(
    "--require-all-shards", is_flag=True,
    help="With --cluster: fail when a shard is unreachable, instead of answering from the others.",
)


def _open(index_dir: Path, cluster_file: Path | None = None, *, require_all_shards: bool = False) -> Any:
    from zhsearch.search import open_cluster, open_index

    try:
        if cluster_file is not None:
            return open_cluster(cluster_file, require_all_shards=require_all_shards)
        return open_index(index_dir)
    except ZhsearchError as exc:
        _fail(exc)


def _terminal(snippet_html: str, color: bool) -> str:
    """A snippet for the terminal: marks as bold yellow (or [brackets] without colour)."""
    parts = _MARK.split(snippet_html)
    out = []
    for i, part in enumerate(parts):
        text = html.unescape(part)
        if i % 2:  # inside <mark>
            text = click.style(text, fg="yellow", bold=True) if color else f"[{text}]"
        out.append(text)
    return "".join(out)


_WITHOUT = {"vocabulary": "no pinyin or spelling suggestions", "duplicates": "copies of an article are not collapsed"}


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


class QueryCommand(click.Command):
    """A command whose QUERY is every word from the first one on, ``-辉瑞`` and ``-source:X`` included.

    Options go before the query; ``--`` ends them when the query's first word looks like one.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options = self._options(ctx)
        start = 0
        while start < len(args) and args[start] != "--":
            option = options.get(args[start].split("=", 1)[0])
            if option is None:
                break  # the first query word, even when it starts with "-"
            start += 1
            if "=" not in args[start - 1] and not option.is_flag and not option.count:
                start += 1  # the option's value
        head, query = args[:start], args[start:]
        if query[:1] == ["--"]:
            query = query[1:]
        else:  # an option typed after the query is searched for: say so
            ctx.meta[MISPLACED] = [w for w in query if w.startswith("--") and w.split("=", 1)[0] in options]
        return super().parse_args(ctx, [*head, "--", *query])

    def _options(self, ctx: click.Context) -> dict[str, click.Option]:
        return {name: param for param in self.get_params(ctx) if isinstance(param, click.Option)
                for name in (*param.opts, *param.secondary_opts)}


MISPLACED = "zhsearch.misplaced_options"
FORMATS = ("text", "json", "csv", "jsonl")
ROW_FORMATS = ("csv", "jsonl")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zhsearch")
def cli() -> None:
    """Full-text search for archives of Chinese news articles (Hexo/Jekyll Markdown)."""


jobs_option = click.option(
    "-j", "--jobs", type=click.IntRange(1, 256), default=None,
    help="Processes reading, cleaning and analyzing articles  [default: the number of cores]",
)
quiet_option = click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (no progress either).")


class ProgressDisplay:
    """Progress of a long command on stderr: a live line on a terminal, else a log line now and then."""

    UNITS = {"reading": "files", "indexing": "documents"}

    def __init__(self, stream: Any = None, *, tty: bool | None = None, every: float = 10.0,
                 clock: Any = None) -> None:
        import time

        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every = every if not self.tty else 0.1
        self.clock = clock or time.monotonic
        self._stage = ""
        self._started = 0.0
        self._shown = 0.0
        self._width = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        if stage != self._stage:
            self._end_line()
            self._stage, self._started, self._shown = stage, now, now
        finished = done >= total
        if now - self._shown < self.every and not (self.tty and finished):
            return
        self._shown = now
        line = self.line(stage, done, total, now - self._started)
        if self.tty:
            self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
            if finished:
                self._end_line()
        else:
            self.stream.write(f"zhsearch: {line}\n")
        self.stream.flush()

    def line(self, stage: str, done: int, total: int, elapsed: float) -> str:
        """``reading 1,200/23,618 files [##------] 412 files/s, ETA 0:44``."""
        unit = self.UNITS.get(stage, "items")
        rate = done / elapsed if elapsed > 0 else 0.0
        text = f"{stage} {done:,}/{total:,} {unit}"
        if self.tty:
            filled = int(20 * done / total) if total else 20
            text += " [" + "#" * filled + "-" * (20 - filled) + "]"
        if rate > 0:
            left = (total - done) / rate
            text += f" {rate:,.0f} {unit}/s, ETA {int(left // 60)}:{int(left % 60):02d}"
        return text

    def _end_line(self) -> None:
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()
        self._width = 0

    def close(self) -> None:
        self._end_line()


def _progress(quiet: bool) -> ProgressDisplay | None:
    return None if quiet else ProgressDisplay()


def _jobs(jobs: int | None) -> int:
    from zhsearch.indexer.workers import default_jobs

    return jobs or default_jobs()


@cli.command("index")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write one JSON line per skipped or recovered file to this file.")
@click.option("--strict", is_flag=True,
              help="Fail if any file was skipped, before anything is published: the live index stays as it was.")
@click.option("--user-dict", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A jieba user dictionary (one word per line: word [freq] [tag]).")
@click.option("--merge/--no-merge", default=None,
              help="Merge the new index's segments into one before it goes live (the default): about half "
                   "the size on disk, queries as fast, for a serial pass after the analysis. --no-merge keeps "
                   "the segments.")
@click.option("--duplicate-threshold", type=float, default=0.8, show_default=True,
              help="How alike two texts must be to count as copies of one article (the Jaccard similarity "
                   "of their 5-character shingles, 0.5 to 1); kept by later updates.")
@click.option("--no-new-words", "new_words", flag_value=False, default=True,
              help="Do not look for the words the archive knows that jieba's dictionary lacks.")
@click.option("--rank-new-words", is_flag=True,
              help="Also cut the ranking fields with the discovered words (off: they complete queries only).")
@jobs_option
@quiet_option
@cluster_option
def index_command(paths: tuple[Path, ...], index_dir: Path, report_file: Path | None, strict: bool,
                  user_dict: Path | None, merge: bool | None, duplicate_threshold: float, new_words: bool,
                  rank_new_words: bool, jobs: int | None, quiet: bool, cluster_file: Path | None) -> None:
    """Index every article (.md, .markdown, .html) below PATHS into a fresh index.

    The new index is built next to the live one and replaces it only when complete; a running
    `zhsearch serve` keeps answering from the old one until then. Only one process writes an
    index at a time.
    """
    from zhsearch.indexer import NothingIndexedError, StrictBuildError, build_index
    from zhsearch.search import AnalyzerConfig

    if rank_new_words and not new_words:
        _fail(ZhsearchError("--rank-new-words needs the new words that --no-new-words turns off",
                            hint="give one of the two"))
    if cluster_file is not None:
        if user_dict is not None or merge is not None:
            raise click.UsageError("with --cluster, the analyzer (user_dict, user_words) is set in the cluster "
                                   "file's [analyzer] and there are no segments to --merge or not")
        _index_cluster(paths, cluster_file, report_file, strict, quiet)
        return
    config = AnalyzerConfig(rank_new_words=rank_new_words)
    if user_dict is not None:
        config = AnalyzerConfig.with_user_dict(user_dict.read_text(encoding="utf-8"), rank_new_words=rank_new_words)
    progress = _progress(quiet)
    try:
        report = build_index(list(paths), index_dir, config=config, jobs=_jobs(jobs), progress=progress,
                             merge=merge is not False, strict=strict, duplicate_threshold=duplicate_threshold,
                             new_words=new_words)
    except (NothingIndexedError, StrictBuildError) as exc:
        partial = getattr(exc, "report", None)
        if progress:
            progress.close()
        if partial is not None and report_file is not None:
            _write_report(report_file, partial)
        if partial is not None and not quiet:
            click.echo(partial.summary(), err=True)
        _fail(exc)
    except ZhsearchError as exc:
        if progress:
            progress.close()
        _fail(exc)
    if progress:
        progress.close()
    if report_file is not None:
        _write_report(report_file, report)
    if not quiet:
        click.echo(report.summary())
        click.echo(f"Index written to {index_dir}")


def _index_cluster(paths: tuple[Path, ...], cluster_file: Path, report_file: Path | None, strict: bool,
                   quiet: bool) -> None:
    """``zhsearch index --cluster``: the archive parsed here, its documents written to the shards."""
    from zhsearch.indexer import NothingIndexedError, StrictBuildError
    from zhsearch.indexer.build import check_paths, parse_archive
    from zhsearch.search.xapian_cluster import ClusterConfig, write_all

    try:
        config = ClusterConfig.load(cluster_file)
        check_paths(list(paths))
        documents, report = parse_archive(list(paths), progress=_progress(quiet))
        if not documents:
            raise NothingIndexedError(f"no article could be indexed from {', '.join(str(p) for p in paths)}")
        if strict and report.skipped:
            raise StrictBuildError(f"{sum(report.skipped.values())} files were skipped (--strict)")
        write_all(config, documents, roots=[str(p.resolve()) for p in paths])
    except ZhsearchError as exc:
        _fail(exc)
    if report_file is not None:
        _write_report(report_file, report)
    if not quiet:
        click.echo(report.summary())
        click.echo(f"Index written to the cluster {cluster_file} ({len(config.writable)} shards)")


def _cluster_changes(paths: tuple[Path, ...], cluster_file: Path, *, apply: bool, quiet: bool) -> Any:
    """``update``/``check --cluster``: the archive parsed again and compared with what the shards hold
    (by content: every file is read); with ``apply``, the differences written."""
    from zhsearch.indexer.build import check_paths, parse_archive
    from zhsearch.search.xapian_cluster import ClusterConfig
    from zhsearch.search.xapian_cluster.writer import check, recorded_roots, sync

    try:
        config = ClusterConfig.load(cluster_file)
        roots = [Path(p) for p in paths] or [Path(p) for p in recorded_roots(config)]
        if not roots:
            raise ZhsearchError(f"the cluster {cluster_file} records no folders", hint="give the PATHS to read")
        check_paths(roots)
        documents, _ = parse_archive(roots, progress=_progress(quiet))
        if apply:
            return sync(config, documents, roots=[str(p.resolve()) for p in roots])
        return check(config, documents)
    except ZhsearchError as exc:
        _fail(exc)


def _write_report(report_file: Path, report: Any) -> None:
    report_file.write_text("".join(o.to_json() + "\n" for o in report.outcomes), encoding="utf-8")


def _recorded_paths(index_dir: Path, paths: tuple[Path, ...]) -> list[Path]:
    """PATHS, or the folders the index was last built or updated from."""
    if paths:
        return list(paths)
    from zhsearch.search.embedded.store import current_generation, read_manifest

    try:
        roots = read_manifest(current_generation(index_dir)).get("roots") or []
    except ZhsearchError as exc:
        _fail(exc)
    if not roots:
        _fail(ZhsearchError(f"the index at {index_dir} does not record the folders it was built from",
                            hint="give the PATHS to read"))
    return [Path(r) for r in roots]


@cli.command("update")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@jobs_option
@quiet_option
@cluster_option
def update_command(paths: tuple[Path, ...], index_dir: Path, jobs: int | None, quiet: bool,
                   cluster_file: Path | None) -> None:
    """Add new articles below PATHS, index changed ones again and remove deleted ones.

    PATHS default to the folders the index was built from. Files whose size and times did not
    change are not read; the others are compared by content. Searches keep being answered while
    the update runs, and see all of it or none of it.
    """
    from zhsearch.indexer import update_index

    if cluster_file is not None:
        changes = _cluster_changes(paths, cluster_file, apply=True, quiet=quiet)
        if not quiet:
            for line in changes.lines():
                click.echo(line)
            click.echo(changes.summary())
        return
    progress = _progress(quiet)
    try:
        report = update_index(_recorded_paths(index_dir, paths), index_dir, jobs=_jobs(jobs), progress=progress)
    except ZhsearchError as exc:
        if progress:
            progress.close()
        _fail(exc)
    if progress:
        progress.close()
    if not quiet:
        for line in report.lines():
            click.echo(line)
        click.echo(report.summary())


@cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@cluster_option
def check_command(paths: tuple[Path, ...], index_dir: Path, as_json: bool, cluster_file: Path | None) -> None:
    """List the files below PATHS that are missing from the index or stale in it.

    PATHS default to the folders the index was built from. Exits with 1 when the index is not
    up to date (run zhsearch update), 0 when it is.
    """
    from zhsearch.indexer import check_index

    if cluster_file is not None:
        report = _cluster_changes(paths, cluster_file, apply=False, quiet=True)
    else:
        try:
            report = check_index(_recorded_paths(index_dir, paths), index_dir)
        except ZhsearchError as exc:
            _fail(exc)
    if as_json:
        _dump({"up_to_date": report.up_to_date, "files": report.seen, "new": report.new,
               "changed": report.changed, "deleted": report.deleted,
               "renamed": [{"from": old, "to": new} for old, new in report.renamed]})
    else:
        for line in report.lines():
            click.echo(line)
        click.echo(report.summary())
    if not report.up_to_date:
        if not as_json:
            click.echo(f"Hint: run zhsearch update{' --cluster' if cluster_file else ''} to apply them", err=True)
        sys.exit(1)


@cli.command("search", cls=QueryCommand)
@click.argument("query", nargs=-1)
@index_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100), help="Hits per page.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 1000), help="Page number.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document of the HTTP API (--format json).")
@click.option("--format", "output", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: numbered hits; json: the HTTP API's document; csv, jsonl: one row per hit "
                   "(id, title, source, date, url, snippet).")
@click.option("--all", "every", is_flag=True, help="Every hit, not one page (with --format csv or jsonl).")
@click.option("--explain", is_flag=True, help="Show how the query was analyzed and what each part matched.")
@click.option("--source", "sources", multiple=True, help="Only articles from this source (repeatable: any of them).")
@click.option("--category", "categories", multiple=True, help="Only articles with this category or tag (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Only articles with this tag (repeatable).")
@click.option("--since", help="Only articles dated on or after this day (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", help="Only articles dated on or before this day (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance",
              show_default=True, help="Order of the hits.")
@click.option("--no-dedup", "no_dedup", is_flag=True, help="List every copy of an article as its own hit.")
@cluster_option
@require_all_option
@click.pass_context
def search_command(ctx: click.Context, query: tuple[str, ...], index_dir: Path, limit: int, page: int,
                   as_json: bool, output: str, every: bool, explain: bool, sources: tuple[str, ...],
                   categories: tuple[str, ...], tags: tuple[str, ...], since: str | None, until: str | None,
                   sort: str, no_dedup: bool, cluster_file: Path | None, require_all_shards: bool) -> None:
    """Search the index and print ranked hits with highlighted snippets.

    QUERY is every word after the options, as typed: terms (AND), OR, -term or NOT term,
    "exact phrase", ( grouping ), title:term, source:NAME, -source:NAME, category:NAME,
    tag:NAME, date:2020-08, date:FROM..TO, since:DATE, until:DATE. Options go before the
    query; put -- before a query that starts with one of them.

    \b
    Examples:
      zhsearch search 疫苗 -辉瑞
      zhsearch search --limit 5 美国 -source:联合早报
      zhsearch search --format csv --all 碳中和 > 碳中和.csv
      zhsearch show 3          (the third hit printed)
    """
    from zhsearch.search.embedded.engine import SUGGEST_BELOW

    if as_json:
        if output not in ("text", "json"):
            raise click.UsageError(f"--json and --format {output} ask for two formats", ctx)
        output = "json"
    if every and output not in ROW_FORMATS:
        raise click.UsageError("--all needs --format csv or --format jsonl", ctx)
    for word in ctx.meta.get(MISPLACED, []):
        click.echo(f"Note: {word!r} is read as query text: options go before the query", err=True)
    text = " ".join(query)
    options: dict[str, Any] = {"source": sources, "category": categories, "tag": tags, "since": since,
                               "until": until, "sort": sort, "dedup": not no_dedup}
    index = _open(index_dir, cluster_file, require_all_shards=require_all_shards)
    index_dir = cluster_file or index_dir  # what the numbers of the hits printed belong to
    try:
        if every:
            from zhsearch.web.export import all_hits, export_lines

            for line in export_lines(all_hits(index, text, **options), output):
                click.echo(line, nl=False)
            return
        result = index.search(text, page=page, limit=limit, explain=explain, facets=output == "json", **options)
        used = (() if no_dedup else ("duplicates",)) + (("vocabulary",) if result.total < SUGGEST_BELOW else ())
        missing = index.missing_tables(used)  # tables are never computed for one search: say what was left out
    except ZhsearchError as exc:
        _fail(exc)
    finally:
        index.close()
    for kind in missing:
        click.echo(f"Note: {_WITHOUT[kind]}: the index has no saved {kind} table (zhsearch update saves it)", err=True)
    if output == "json":
        _dump(result.to_dict())
        return
    if output in ROW_FORMATS:
        from zhsearch.web.export import export_lines

        for line in export_lines(result.hits, output):
            click.echo(line, nl=False)
        return
    color = sys.stdout.isatty()
    shown = text if len(text) <= 60 else text[:60] + "…"  # a pasted article is not echoed in full
    if result.explain is not None:
        _print_explain(result.explain)
    for warning in result.warnings:
        click.echo(f"Note: {warning}", err=True)
    if result.total == 0:
        click.echo(f"No results for {shown!r}.")
        if result.suggestions:
            click.echo("Try: " + ", ".join(result.suggestions))
        return
    noun = "result" if result.total == 1 else "results"
    if not result.hits:
        click.echo(f"Page {result.page} is past the end: {result.total} {noun} for {shown!r} fit on {result.pages} page(s).")
        return
    click.echo(f"{result.total} {noun} for {shown!r}, page {result.page} of {result.pages}\n")
    numbered = dict(enumerate((hit.id for hit in result.hits), start=(result.page - 1) * result.limit + 1))
    for n, hit in zip(numbered, result.hits):
        meta = " · ".join(x for x in (hit.source, hit.date[:10] if hit.date else None) if x)
        click.echo(f"{n}. {_terminal(hit.title_html, color)}" + (f"  [{meta}]" if meta else ""))
        if hit.snippet:
            click.echo(f"   {_terminal(hit.snippet, color)}")
        click.echo(f"   id: {hit.id}")
        for copy in hit.duplicates:
            where = " · ".join(x for x in (copy.source, copy.date[:10] if copy.date else None) if x)
            click.echo(f"   also: {copy.id}" + (f"  [{where}]" if where else ""))
        click.echo("")
    LastSearch(index_dir).save(numbered)


class LastSearch:
    """The hits the last ``zhsearch search`` printed, by number, so that ``zhsearch show 3`` can find them.

    Kept in ``$XDG_STATE_HOME/zhsearch/last-search.json`` (``~/.local/state/zhsearch``), with the
    index they came from: a number never names a hit of another index.
    """

    def __init__(self, index_dir: Path) -> None:
        import os

        state = os.environ.get("XDG_STATE_HOME", "")
        root = Path(state) if os.path.isabs(state) else Path.home() / ".local" / "state"
        self.path = root / "zhsearch" / "last-search.json"
        self.index = str(index_dir.resolve())

    def save(self, numbered: dict[int, str]) -> None:
        import os

        record = {"index": self.index, "hits": {str(n): doc_id for n, doc_id in numbered.items()}}
        partial = self.path.with_name(f".last-search.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError:
            pass  # no writable state directory: the numbers are not remembered, the search still printed

    def hits(self) -> dict[str, str]:
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(record, dict) or record.get("index") != self.index or not isinstance(record.get("hits"), dict):
            return {}
        return record["hits"]


def _resolve_id(index: Any, index_dir: Path, given: str) -> str:
    """The id ``given`` names: an id, the number of a hit the last search printed, or the start of one id."""
    from zhsearch.search.errors import DocumentNotFoundError

    try:
        return index.document(given).id
    except DocumentNotFoundError:
        pass
    numbered = LastSearch(index_dir).hits() if given.isdigit() else {}
    if given in numbered:
        return numbered[given]
    matches = index.ids_starting_with(given) if given else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = "".join(f"\n  {m}" for m in matches[:SHOWN_MATCHES])
        if len(matches) > SHOWN_MATCHES:
            listed += f"\n  … and {len(matches) - SHOWN_MATCHES} more"
        _fail(ZhsearchError(f"{given!r} is the start of {len(matches)} ids:{listed}", hint="type more of the id"))
    if given.isdigit():
        _fail(DocumentNotFoundError(f"no document with id {given!r} in the index, and the last search printed no hit {given}",
                                    hint="hit numbers are those zhsearch search printed last, for this index"))
    raise DocumentNotFoundError(f"no document with id {given!r} in the index")


SHOWN_MATCHES = 10


@cli.command("similar")
@click.argument("doc_id")
@index_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100), help="How many articles.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document of /api/similar/ID.")
@cluster_option
def similar_command(doc_id: str, index_dir: Path, limit: int, as_json: bool, cluster_file: Path | None) -> None:
    """Print the articles most like the one with this ID (by its key words).

    ID may be the start of an id, or the number of a hit the last search printed.
    """
    index = _open(index_dir, cluster_file)
    index_dir = cluster_file or index_dir
    try:
        doc_id = _resolve_id(index, index_dir, doc_id)
        hits = index.similar(doc_id, limit=limit)
    except ZhsearchError as exc:
        _fail(exc)
    finally:
        index.close()
    if as_json:
        _dump({"id": doc_id, "hits": [h.to_dict() for h in hits]})
        return
    if not hits:
        click.echo(f"No articles like {doc_id!r}.")
        return
    color = sys.stdout.isatty()
    for n, hit in enumerate(hits, start=1):
        meta = " · ".join(x for x in (hit.source, hit.date[:10] if hit.date else None) if x)
        click.echo(f"{n}. {_terminal(hit.title_html, color)}" + (f"  [{meta}]" if meta else ""))
        click.echo(f"   id: {hit.id}")


def _print_explain(explain: dict[str, Any]) -> None:
    click.echo("Query analysis:")
    for clause in explain["clauses"]:
        kind = ("excluded " if clause["excluded"] else "") + clause["kind"]
        click.echo(f"  {kind} {clause['text']!r}: {clause['matches']} documents")
        for variant, words, chars in zip(clause["variants"], clause["words"]["tokens"], clause["characters"]["tokens"]):
            click.echo(f"    as {variant!r}: words {' '.join(words) or '-'} in title/text; "
                       f"characters {' '.join(chars)} in {'/'.join(clause['characters']['fields'])}")
    if explain["unmatched"]:
        click.echo("  matched nothing: " + ", ".join(explain["unmatched"]))
    click.echo("")


@cli.command("show")
@click.argument("doc_id")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the document as JSON.")
@cluster_option
def show_command(doc_id: str, index_dir: Path, as_json: bool, cluster_file: Path | None) -> None:
    """Print one cleaned article by its ID.

    ID may be the start of an id, or the number of a hit the last search printed (zhsearch show 3).
    """
    index = _open(index_dir, cluster_file)
    index_dir = cluster_file or index_dir
    try:
        doc = index.document(_resolve_id(index, index_dir, doc_id))
    except ZhsearchError as exc:
        _fail(exc)
    finally:
        index.close()
    if as_json:
        _dump(doc.to_dict())
        return
    click.echo(doc.title)
    meta = [("source", doc.source), ("date", doc.date_iso), ("url", doc.url), ("author", doc.author),
            ("categories", ", ".join(doc.categories)), ("tags", ", ".join(doc.tags)), ("id", doc.id)]
    for key, value in meta:
        if value:
            click.echo(f"{key}: {value}")
    click.echo("")
    click.echo(doc.text)


@cli.command("inspect")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document per file, in a list.")
def inspect_command(files: tuple[Path, ...], as_json: bool) -> None:
    """Show what zhsearch reads from FILE…: each field and where it came from, the cleaned text,
    and every block the cleaner removed with the rule that removed it."""
    from zhsearch.indexer.inspection import inspect_files

    found = inspect_files(list(files))
    if as_json:
        _dump([item.to_dict() for item in found])
        return
    for number, item in enumerate(found):
        if number:
            click.echo("")
        click.echo(f"== {item.path}")
        if item.skipped:
            click.echo(f"skipped: {item.skipped}")
            continue
        for key, value in item.fields.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            origin = item.origins.get(key)
            click.echo(f"{key}: {shown or '-'}" + (f"  [{origin}]" if origin and shown else ""))
        for line in item.recovered:
            click.echo(f"recovered: {line}")
        for line in item.warnings:
            click.echo(f"warning: {line}")
        kept = len("".join(item.text.split()))
        click.echo(f"kept {kept} of {item.visible_chars} visible characters")
        click.echo("-- text")
        click.echo(item.text)
        click.echo(f"-- removed ({len(item.removed)})")
        for removal in item.removed:
            detail = f" {removal.detail}" if removal.detail and removal.detail != removal.text else ""
            click.echo(f"[{removal.rule}]{detail}: {removal.text}")


@cli.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.option("--words", "list_words", is_flag=True,
              help="List the words added to jieba's dictionary instead: the user dictionary's and "
                   "those discovered in the archive, with the source of each.")
@cluster_option
def stats_command(index_dir: Path, as_json: bool, list_words: bool, cluster_file: Path | None) -> None:
    """Show what the index holds."""
    index = _open(index_dir, cluster_file)
    try:
        if list_words:
            words = index.dictionary_words()
        else:
            if index.missing_tables(("stats",)):
                index.save_tables()  # an index written by an older zhsearch: this process saves them
            stats = index.stats()
            manifest = dict(index.manifest)
    except ZhsearchError as exc:
        _fail(exc)
    finally:
        index.close()
    if list_words:
        _print_words(words, as_json)
        return
    lifecycle = {
        "updated_at": manifest.get("updated_at", stats.built_at),
        "segments": manifest.get("segments"),
        "roots": manifest.get("roots", []),
        "boilerplate_paragraphs": manifest.get("boilerplate", {}).get("paragraphs"),
    }
    if as_json:
        _dump({**stats.to_dict(), **lifecycle})
        return
    click.echo(f"documents: {stats.documents}")
    click.echo(f"size on disk: {stats.size_bytes / 1e6:.1f} MB")
    click.echo(f"dates: {stats.first_date or '?'} .. {stats.last_date or '?'}")
    click.echo(f"built: {stats.built_at}")
    click.echo("sources: " + ", ".join(f"{k or '(none)'} {v}" for k, v in stats.sources.items()))
    click.echo(f"last update: {lifecycle['updated_at']}")
    analyzer = stats.analyzer
    click.echo(f"analyzer: version {analyzer.get('version')}, jieba HMM {'on' if analyzer.get('hmm') else 'off'}, "
               f"traditional to simplified {'on' if analyzer.get('simplify') else 'off'}, "
               f"{len(analyzer.get('user_words', []))} user words"
               + (f", {len(analyzer['new_words'])} discovered words (stats --words lists them)"
                  if analyzer.get("new_words") else "")
               + (", ranking with them" if analyzer.get("rank_new_words") else ""))
    if lifecycle["boilerplate_paragraphs"] is not None:
        click.echo(f"boilerplate learned: {lifecycle['boilerplate_paragraphs']} recurring paragraphs")
    if lifecycle["segments"] is not None:
        click.echo(f"segments: {lifecycle['segments']}")
    if lifecycle["roots"]:
        click.echo("folders: " + ", ".join(lifecycle["roots"]))


def _print_words(words: list[Any], as_json: bool) -> None:
    """``stats --words``: one word a line with its source (and documents when it was discovered)."""
    if as_json:
        _dump([w.to_dict() for w in words])
        return
    if not words:
        click.echo("no words added to jieba's dictionary: no user dictionary, and none discovered")
        return
    for w in words:
        click.echo(f"{w.word}\t{w.source}" + (f"\t{w.documents} documents" if w.documents is not None else ""))


@cli.command("export")
@index_option
@cluster_option
def export_command(index_dir: Path, cluster_file: Path | None) -> None:
    """Write every indexed document as one JSON line (the form of show --json)."""
    index = _open(index_dir, cluster_file)
    try:
        for doc in index.documents():
            click.echo(json.dumps(doc.to_dict(), ensure_ascii=False))
    except ZhsearchError as exc:
        _fail(exc)
    finally:
        index.close()


@cli.command("serve")
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0: any free port; the address is printed).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Threads answering requests (waitress serves from one process: no worker processes).")
@cluster_option
@require_all_option
def serve_command(index_dir: Path, host: str, port: int, threads: int, cluster_file: Path | None,
                  require_all_shards: bool) -> None:
    """Serve the search page and the JSON API with a production WSGI server (waitress).

    The index is opened once; after `zhsearch index` publishes a new build, the next request
    is answered from it, without a restart.
    """
    import gc
    import socket
    import threading

    from zhsearch.web import create_app, warm_up
    from zhsearch.web.server import make_server

    index = _open(index_dir, cluster_file, require_all_shards=require_all_shards)
    index_dir = cluster_file or index_dir
    app = create_app({"INDEX": index})
    # Bound here rather than by waitress, which leaks its half-built server when binding fails.
    listener: socket.socket | None = None
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as exc:
        if listener is not None:
            listener.close()
        _fail(ZhsearchError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", hint="choose another --port or --host"))
    server = make_server(app, listener, threads=threads)
    bound_host, bound_port = listener.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    click.echo(f"zhsearch: serving {index_dir} ({len(index)} documents) on http://{shown}:{bound_port}/")
    # What exists now (the modules, the app, the opened index) lives as long as the server: out of
    # the collector's generations, no full collection walks it again inside a request (gc.freeze;
    # once, so that what is frozen does not grow with the index generations the server follows).
    gc.freeze()
    # Statistics and completions are read once per index build: read them before the first visitor asks.
    threading.Thread(target=warm_up, args=(app,), name="zhsearch-warm-up", daemon=True).start()
    server.run()


@cli.group("cluster")
def cluster_group() -> None:
    """Run a Xapian cluster on this machine (xapian-tcpsrv shards on loopback) and check one."""


@cluster_group.command("up")
@click.option("--shards", default=3, show_default=True, type=click.IntRange(1, 64), help="How many shards.")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the shard databases, their logs, pids and cluster.toml.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address the servers listen on (xapian-tcpsrv has no authentication: keep it private).")
@click.option("--changesets", default=0, show_default=True, type=click.IntRange(0, None),
              help="Changesets each shard keeps for xapian-replicate replicas (XAPIAN_MAX_CHANGESETS; "
                   "they can take twice the shards' size on disk). 0: none, a replica copies whole databases.")
def cluster_up_command(shards: int, directory: Path, host: str, changesets: int) -> None:
    """Start SHARDS writable xapian-tcpsrv servers and write DIR/cluster.toml."""
    from zhsearch.search.xapian_cluster import servers

    try:
        config = servers.start(directory, shards, host=host, changesets=changesets)
    except ZhsearchError as exc:
        _fail(exc)
    for shard in config.shards:
        click.echo(f"shard {shard.address}: {shard.path}")
    click.echo(f"Cluster file: {directory / servers.CLUSTER_FILE} (stop with: zhsearch cluster down --dir {directory})")


@cluster_group.command("down")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder zhsearch cluster up started the servers from.")
def cluster_down_command(directory: Path) -> None:
    """Stop exactly the servers zhsearch cluster up started from DIR (by their recorded pids)."""
    from zhsearch.search.xapian_cluster import servers

    stopped = servers.stop(directory)
    if not stopped:
        click.echo(f"No server of {directory} was running.")
        return
    click.echo(f"Stopped {len(stopped)} servers: " + ", ".join(str(pid) for pid in stopped))


@cluster_group.command("compact")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder zhsearch cluster up started the servers from.")
def cluster_compact_command(directory: Path) -> None:
    """Compact each shard of the cluster running from DIR, one at a time, and serve it again on its port.

    Holds the cluster's writer lock; a search meanwhile misses a shard only while it is swapped."""
    from zhsearch.search.xapian_cluster import servers

    try:
        done = servers.compact(directory)
    except ZhsearchError as exc:
        _fail(exc)
    for shard in done:
        click.echo(f"{shard.path}: {shard.before / 1e6:.1f} MB -> {shard.after / 1e6:.1f} MB")
    before, after = sum(s.before for s in done), sum(s.after for s in done)
    click.echo(f"{len(done)} shards compacted: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")


@cluster_group.command("status")
@click.argument("cluster_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def cluster_status_command(cluster_file: Path, as_json: bool) -> None:
    """Show each shard's documents, revision and reachability; exit 1 when one is unreachable."""
    from zhsearch.search.xapian_cluster import ClusterConfig
    from zhsearch.search.xapian_cluster.servers import status

    try:
        found = status(ClusterConfig.load(cluster_file))
    except ZhsearchError as exc:
        _fail(exc)
    if as_json:
        _dump([s.to_dict() for s in found])
    else:
        for s in found:
            if s.reachable:
                click.echo(f"{s.shard.address} {s.shard.role}: {s.documents} documents, revision {s.revision}")
            else:
                click.echo(f"{s.shard.address} {s.shard.role}: UNREACHABLE ({s.error})")
        click.echo(f"{sum(s.documents or 0 for s in found)} documents on {sum(s.reachable for s in found)} "
                   f"of {len(found)} shards")
    if not all(s.reachable for s in found):
        sys.exit(1)


def main() -> None:
    cli()
