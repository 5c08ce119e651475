"""The ``zhsearch`` command line through click's CliRunner: exit codes and exact messages."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from zhsearch.search import SearchIndex
from zhsearch.search.embedded.store import writer_lock
from zhsearch.cli import cli

from conftest import ARTICLES, CARBON, CORPUS, FULLWIDTH, HOSTILE, REPORTER, SKIPPED, TAIWAN, TITLE_ONLY

HIT_KEYS = {"id", "path", "title", "url", "source", "date", "score", "snippet"}
DOC_KEYS = {"id", "path", "title", "url", "source", "author", "categories", "tags", "date", "text"}
MISSING_INDEX_HINT = "Hint: build one with: zhsearch index PATH --index DIR\n"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    return result


def as_json(result: Result) -> object:
    return json.loads(ok(result).stdout)


# -- index ------------------------------------------------------------------------------------


def test_index_prints_a_summary_and_reports_skipped_files(runner: CliRunner, tmp_path: Path) -> None:
    location = tmp_path / "idx"
    result = ok(runner.invoke(cli, ["index", str(CORPUS), "--index", str(location)]))
    lines = result.stdout.splitlines()
    assert lines[:3] + lines[-2:] == [
        f"{len(ARTICLES) + len(SKIPPED)} files seen, {len(ARTICLES)} indexed, {len(SKIPPED)} skipped",
        "  skipped 1: binary file (contains NUL bytes)",
        "  skipped 1: no title and no text",
        f"  undated: 1 of {len(ARTICLES)} documents ({1 / len(ARTICLES):.1%})",
        f"Index written to {location}",
    ]
    assert result.stderr == ""
    with SearchIndex.open(location) as index:
        documents = list(index.documents())
        assert {d.id for d in documents} == ARTICLES
    # the ten biggest outlets, with their counts (every outlet of the corpus has one article)
    outlets = {d.source or "(none)" for d in documents}
    assert lines[3].startswith("  outlets: ") and lines[3].endswith(f" and {len(outlets) - 10} more")
    named = lines[3].removeprefix("  outlets: ").rpartition(" and ")[0].split(", ")
    assert len(named) == 10 and {n.rpartition(" ")[0] for n in named} <= outlets
    assert {n.rpartition(" ")[2] for n in named} == {"1"}


def test_index_report_is_one_json_line_per_skipped_file(runner: CliRunner, tmp_path: Path) -> None:
    report = tmp_path / "report.jsonl"
    ok(runner.invoke(cli, ["index", str(CORPUS), "--index", str(tmp_path / "idx"), "--report", str(report), "-q"]))
    lines = report.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert {r["path"]: r["reason"] for r in records} == SKIPPED
    assert {r["status"] for r in records} == {"skipped"}


def test_index_quiet_prints_nothing(runner: CliRunner, tmp_path: Path) -> None:
    result = ok(runner.invoke(cli, ["index", str(CORPUS), "--index", str(tmp_path / "idx"), "--quiet"]))
    assert result.stdout == ""
    assert result.stderr == ""


def test_index_publishes_one_segment_unless_no_merge(runner: CliRunner, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from zhsearch.indexer import build
    from zhsearch.search.embedded.writer import live_segments

    monkeypatch.setitem(build.build_index.__kwdefaults__, "segment_chars", 200)  # several segments
    for name, options in (("parts", ["--no-merge"]), ("default", []), ("merged", ["--merge"])):
        ok(runner.invoke(cli, ["index", str(CORPUS), "--index", str(tmp_path / name), "--quiet", *options]))
    assert len(list(live_segments(tmp_path / "parts"))) > 1
    assert len(list(live_segments(tmp_path / "default"))) == 1  # the default build is merged
    assert len(list(live_segments(tmp_path / "merged"))) == 1
    with SearchIndex.open(tmp_path / "parts") as parts, SearchIndex.open(tmp_path / "default") as merged:
        assert len(parts) == len(merged)
        for query in ("香港", "记者", "title:碳中和"):
            assert [(h.id, h.score) for h in merged.search(query).hits] == [(h.id, h.score) for h in parts.search(query).hits]


def test_index_into_a_cluster_takes_no_merge_option(runner: CliRunner, tmp_path: Path) -> None:
    for option in ("--merge", "--no-merge"):
        result = runner.invoke(cli, ["index", str(CORPUS), "--cluster", str(tmp_path / "cluster.toml"), option])
        assert result.exit_code == 2
        assert "no segments to --merge or not" in result.output + result.stderr


STRICT_ERROR = (f"Error: {len(SKIPPED)} files were skipped (--strict)\n"
                "Hint: the live index was left as it was; --report FILE lists the skipped files\n")


def test_index_strict_fails_when_files_were_skipped(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["index", str(CORPUS), "--index", str(tmp_path / "idx"), "--strict", "-q"])
    assert result.exit_code == 1
    assert result.stderr == STRICT_ERROR
    assert not (tmp_path / "idx" / "CURRENT").exists()  # nothing was published


def test_index_strict_failure_leaves_the_previous_index_live(runner: CliRunner, tmp_path: Path) -> None:
    location, report = tmp_path / "idx", tmp_path / "report.jsonl"
    ok(runner.invoke(cli, ["index", str(CORPUS / "hexo"), "--index", str(location), "-q"]))
    with SearchIndex.open(location) as index:
        ids = {d.id for d in index.documents()}
    before = as_json(runner.invoke(cli, ["search", "--format", "json", "--index", str(location), "记者"]))
    assert before["total"] > 0  # type: ignore[index]
    result = runner.invoke(cli, ["index", str(CORPUS), "--index", str(location), "--strict", "--report", str(report)])
    assert result.exit_code == 1
    assert "Index written" not in result.stdout + result.stderr
    assert result.stderr.endswith(STRICT_ERROR)
    assert result.stderr.startswith(f"{len(ARTICLES) + len(SKIPPED)} files seen, ")  # the summary, on stderr
    assert {json.loads(line)["path"] for line in report.read_text(encoding="utf-8").splitlines()} >= set(SKIPPED)
    after = as_json(runner.invoke(cli, ["search", "--format", "json", "--index", str(location), "记者"]))
    assert after == before
    with SearchIndex.open(location) as index:
        assert {d.id for d in index.documents()} == ids  # still the hexo folder's articles only


def test_index_with_several_roots_prefixes_ids(runner: CliRunner, tmp_path: Path) -> None:
    location = tmp_path / "idx"
    ok(runner.invoke(cli, ["index", str(CORPUS / "hexo"), str(CORPUS / "jekyll"), "--index", str(location), "-q"]))
    with SearchIndex.open(location) as index:
        found = {d.id for d in index.documents()}
    assert found == {a for a in ARTICLES if a.startswith(("hexo/", "jekyll/"))}
    assert TAIWAN in found


def test_index_of_a_missing_path_fails(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = runner.invoke(cli, ["index", str(missing), "--index", str(tmp_path / "idx")])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: no such file or folder: {missing}\nHint: check the path\n"
    assert not (tmp_path / "idx" / "CURRENT").exists()


def test_index_of_nothing_indexable_fails_and_keeps_the_old_index(runner: CliRunner, tmp_path: Path) -> None:
    location = tmp_path / "idx"
    ok(runner.invoke(cli, ["index", str(CORPUS / "hexo"), "--index", str(location), "-q"]))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.md").write_text("---\nlayout: post\n---\n", encoding="utf-8")
    result = runner.invoke(cli, ["index", str(empty), "--index", str(location)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "1 files seen, 0 indexed, 1 skipped",
        "  skipped 1: no title and no text",
        f"Error: no article could be indexed from {empty} (1 files seen)",
        "Hint: check the paths: zhsearch reads .md, .markdown and .html files",
    ]
    with SearchIndex.open(location) as index:
        assert "中央社/臺灣資訊業展望.md" in {d.id for d in index.documents()}


def test_index_while_another_process_writes_fails(runner: CliRunner, tmp_path: Path) -> None:
    location = tmp_path / "idx"
    with writer_lock(location):  # a live writer: this process
        result = runner.invoke(cli, ["index", str(CORPUS / "hexo"), "--index", str(location)])
        assert (location / "write.lock").read_text(encoding="utf-8") == str(os.getpid())
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: the index at {location} is being written by process {os.getpid()}\n"
        "Hint: wait for it to finish, or stop that process\n"
    )
    assert not (location / "CURRENT").exists()


def test_index_with_a_user_dictionary(runner: CliRunner, tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("黑格比 100 nr\n", encoding="utf-8")
    location = tmp_path / "idx"
    ok(runner.invoke(cli, ["index", str(CORPUS / "jekyll"), "--index", str(location), "--user-dict", str(words), "-q"]))
    with SearchIndex.open(location) as index:
        assert index.config.user_words == ("黑格比 100 nr",)
        assert index.search("黑格比").total == 1


# -- search -----------------------------------------------------------------------------------


def test_search_prints_ranked_hits(runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["search", "--index", str(index_dir), "碳达峰"]))
    lines = result.stdout.splitlines()
    assert lines[0].endswith(" for '碳达峰', page 1 of 1")
    assert lines[1] == ""
    assert lines[2] == "1. 多省公布[碳达峰]碳中和路线图  [联合早报 · 2021-05-10]"
    assert lines[3].startswith("   本报记者从多个省份了解到，各地正在制定力争2030年前实现[碳达峰]的行动方案")
    assert lines[4] == f"   id: {CARBON}"
    assert result.stderr == ""


def test_search_header_counts_results_and_pages(runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["search", "--limit", "4", "--page", "2", "--index", str(index_dir), "记者"]))
    lines = result.stdout.splitlines()
    assert lines[0] == f"{len(REPORTER)} results for '记者', page 2 of 3"
    numbered = [line for line in lines if re.match(r"\d+\. ", line)]
    assert [line.split(".")[0] for line in numbered] == ["5", "6", "7", "8"]
    assert sum(line.startswith("   id: ") for line in lines) == 4


def test_search_header_for_one_result_is_singular(runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["search", "--index", str(index_dir), "碳达峰"]))
    assert result.stdout.splitlines()[0] == "1 result for '碳达峰', page 1 of 1"


def test_search_escaped_text_is_unescaped_for_the_terminal(runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["search", "--index", str(index_dir), "onerror"]))
    assert "1. <script>alert(1)</script> 网络安全演练暴露漏洞  [安全 · 2021-07-01]" in result.stdout
    assert "<img src=x [onerror]=alert(1)>" in result.stdout
    assert "&lt;" not in result.stdout


def test_search_with_no_results(runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["search", "--index", str(index_dir), "鸵鸟麒麟"]))
    assert result.stdout == "No results for '鸵鸟麒麟'.\n"


def test_search_warnings_go_to_stderr(runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["search", "--index", str(index_dir), "碳达峰", "OR"]))
    assert result.stderr == "Note: a trailing OR/NOT had nothing after it and was ignored\n"
    assert f"id: {CARBON}" in result.stdout


def test_search_json_is_the_api_document(runner: CliRunner, index_dir: Path) -> None:
    data = as_json(runner.invoke(cli, ["search", "--json", "--index", str(index_dir), "台湾"]))
    assert isinstance(data, dict)
    assert set(data) == {"query", "total", "total_counting", "page", "limit", "hits", "facets", "facet_counting",
                         "warnings", "suggestions"}
    assert (data["query"], data["total"], data["page"], data["limit"]) == ("台湾", 1, 1, 10)
    assert data["facets"] == {"source": {"中央社": 1}, "category": {"中央社": 1, "產經": 1}, "month": {"2021-12": 1}}
    assert data["warnings"] == []
    (hit,) = data["hits"]
    assert HIT_KEYS <= set(hit) <= HIT_KEYS | {"title_html", "duplicates"}
    assert hit["id"] == hit["path"] == TAIWAN
    assert hit["title"] == "臺灣資訊業者看好明年景氣"
    assert hit["source"] == "中央社"
    assert hit["url"] is None
    assert hit["date"] == "2021-12-14T08:30:00+00:00"
    assert isinstance(hit["score"], float) and hit["score"] > 0
    assert "<mark>臺灣</mark>" in hit["snippet"]


def test_search_json_dates_are_iso_or_null(runner: CliRunner, index_dir: Path) -> None:
    data = as_json(runner.invoke(cli, ["search", "--json", "--limit", "100", "--index", str(index_dir)]))
    assert data["total"] == len(ARTICLES)
    for hit in data["hits"]:
        assert hit["date"] is None or datetime.fromisoformat(hit["date"]).tzinfo is not None


def test_search_json_paging(runner: CliRunner, index_dir: Path) -> None:
    args = ["search", "--json", "--index", str(index_dir), "--limit", "4"]
    pages = [as_json(runner.invoke(cli, [*args, "--page", str(n), "记者"])) for n in (1, 2, 3, 4)]
    assert [len(p["hits"]) for p in pages] == [4, 4, 1, 0]
    assert {p["total"] for p in pages} == {len(REPORTER)}
    assert {h["id"] for p in pages for h in p["hits"]} == REPORTER


@pytest.mark.parametrize("option", [["--limit", "0"], ["--limit", "101"], ["--page", "0"], ["--page", "x"]])
def test_search_rejects_bad_paging_as_usage_error(runner: CliRunner, index_dir: Path, option: list[str]) -> None:
    result = runner.invoke(cli, ["search", "--index", str(index_dir), *option, "记者"])
    assert result.exit_code == 2
    assert f"Invalid value for '{option[0]}'" in result.stderr


# -- show, stats, export ----------------------------------------------------------------------


def test_show_prints_the_article(runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["show", FULLWIDTH, "--index", str(index_dir)]))
    assert result.stdout == (
        "ＡＢＣ１２３公司发布年度财报\n"
        "source: 财经观察\n"
        "date: 2022-03-07T03:00:00+00:00\n"
        "author: 财经观察\n"
        "categories: 财经\n"
        f"id: {FULLWIDTH}\n"
        "\n"
        "本报记者获悉，ＡＢＣ１２３公司今天公布年度财报，净利润同比增长百分之十二。\n"
        "\n"
        "公司管理层表示，明年将继续扩大海外市场。\n"
    )


def test_show_json(runner: CliRunner, index_dir: Path) -> None:
    data = as_json(runner.invoke(cli, ["show", CARBON, "--json", "--index", str(index_dir)]))
    assert set(data) == DOC_KEYS
    assert data["id"] == data["path"] == CARBON
    assert data["url"] == "https://www.zaobao.com/realtime/china/story20210510-0000001"
    assert data["tags"] == ["联合早报"] and data["categories"] == ["联合早报"]
    assert data["date"] == "2021-05-10T02:00:00+00:00"
    paragraphs = data["text"].split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("本报记者从多个省份了解到")
    assert all(p and p == p.strip() and "\n" not in p for p in paragraphs)


def test_show_json_of_the_hostile_article_keeps_only_http_links(runner: CliRunner, index_dir: Path) -> None:
    data = as_json(runner.invoke(cli, ["show", HOSTILE, "--json", "--index", str(index_dir)]))
    assert data["title"] == "<script>alert(1)</script> 网络安全演练暴露漏洞"
    assert data["url"] is None
    assert "<img src=x onerror=alert(1)>" in data["text"]


def test_show_title_only_article(runner: CliRunner, index_dir: Path) -> None:
    data = as_json(runner.invoke(cli, ["show", TITLE_ONLY, "--json", "--index", str(index_dir)]))
    assert data["text"] == ""


def test_show_unknown_id_fails(runner: CliRunner, index_dir: Path) -> None:
    result = runner.invoke(cli, ["show", "nope.md", "--index", str(index_dir)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: no document with id 'nope.md' in the index\n")


@pytest.mark.parametrize("doc_id", ["../../etc/passwd", "/etc/passwd", str(CORPUS / "notes.md"), "hexo/../notes.md"])
def test_show_never_opens_paths(runner: CliRunner, index_dir: Path, doc_id: str) -> None:
    result = runner.invoke(cli, ["show", doc_id, "--index", str(index_dir)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: no document with id {doc_id!r} in the index\n")


def test_stats_json(runner: CliRunner, index_dir: Path) -> None:
    data = as_json(runner.invoke(cli, ["stats", "--json", "--index", str(index_dir)]))
    assert data["documents"] == len(ARTICLES)
    assert data["first_date"] == "2020-08-03T20:30:00+00:00"
    assert data["last_date"] == "2022-09-08T01:15:00+00:00"
    assert sum(data["sources"].values()) == len(ARTICLES)


def test_stats_text(runner: CliRunner, index_dir: Path) -> None:
    lines = ok(runner.invoke(cli, ["stats", "--index", str(index_dir)])).stdout.splitlines()
    assert lines[0] == f"documents: {len(ARTICLES)}"
    assert lines[2] == "dates: 2020-08-03T20:30:00+00:00 .. 2022-09-08T01:15:00+00:00"
    assert lines[4].startswith("sources: ")


def test_export_writes_every_document_in_show_json_form(runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["export", "--index", str(index_dir)]))
    lines = result.stdout.splitlines()
    assert len(lines) == len(ARTICLES)
    docs = {d["id"]: d for d in map(json.loads, lines)}
    assert set(docs) == ARTICLES
    for doc_id in (CARBON, TAIWAN, TITLE_ONLY):
        shown = as_json(runner.invoke(cli, ["show", doc_id, "--json", "--index", str(index_dir)]))
        assert docs[doc_id] == shown


# -- the index location and errors -------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["search", "碳达峰"], ["search", "--json", "x"], ["show", CARBON], ["stats"], ["stats", "--json"], ["export"]]
)
def test_missing_index_is_an_error_with_a_hint(runner: CliRunner, tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "no-index"
    result = runner.invoke(cli, [command[0], "--index", str(missing), *command[1:]])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: no zhsearch index at {missing}\n{MISSING_INDEX_HINT}"


def test_default_index_location_is_relative(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["stats"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: no zhsearch index at .zhsearch/index\n{MISSING_INDEX_HINT}"


def test_zhsearch_index_environment_variable(runner: CliRunner, index_dir: Path, tmp_path: Path) -> None:
    data = as_json(runner.invoke(cli, ["stats", "--json"], env={"ZHSEARCH_INDEX": str(index_dir)}))
    assert data["documents"] == len(ARTICLES)
    hits = as_json(runner.invoke(cli, ["search", "--json", "台湾"], env={"ZHSEARCH_INDEX": str(index_dir)}))["hits"]
    assert [h["id"] for h in hits] == [TAIWAN]
    # The flag wins over the environment.
    missing = tmp_path / "elsewhere"
    result = runner.invoke(cli, ["stats", "--index", str(missing)], env={"ZHSEARCH_INDEX": str(index_dir)})
    assert result.exit_code == 1
    assert str(missing) in result.stderr


def test_index_command_writes_where_the_environment_says(runner: CliRunner, tmp_path: Path) -> None:
    location = tmp_path / "from-env"
    ok(runner.invoke(cli, ["index", str(CORPUS / "hexo"), "-q"], env={"ZHSEARCH_INDEX": str(location)}))
    assert (location / "CURRENT").is_file()


def test_damaged_index_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    location = tmp_path / "idx"
    location.mkdir()
    (location / "CURRENT").write_text("gen-missing\n", encoding="utf-8")
    result = runner.invoke(cli, ["stats", "--index", str(location)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the index at {location} is damaged (CURRENT names 'gen-missing')\n"
        "Hint: run zhsearch index to rebuild\n"
    )


# -- help ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command, options",
    [
        ("index", ["--index", "--report", "--strict", "--user-dict", "--quiet", "PATHS"]),
        ("search", ["--index", "--limit", "--page", "--json", "QUERY"]),
        ("show", ["--index", "--json", "DOC_ID"]),
        ("stats", ["--index", "--json"]),
        ("export", ["--index"]),
        ("serve", ["--index", "--host", "--port", "--threads"]),
    ],
)
def test_help_of_each_command_mentions_its_options(runner: CliRunner, command: str, options: list[str]) -> None:
    result = ok(runner.invoke(cli, [command, "--help"]))
    assert result.stdout.startswith(f"Usage: cli {command} [OPTIONS]")
    for option in options:
        assert option in result.stdout
    assert "ZHSEARCH_INDEX" in result.stdout


def test_group_help_lists_every_command(runner: CliRunner) -> None:
    result = ok(runner.invoke(cli, ["--help"]))
    for command in ("index", "search", "show", "stats", "export", "serve"):
        assert f"  {command} " in result.stdout


def test_version(runner: CliRunner) -> None:
    result = ok(runner.invoke(cli, ["--version"]))
    assert result.stdout.startswith("cli, version ")


def test_unknown_command(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.stderr
