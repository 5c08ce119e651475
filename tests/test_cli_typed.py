"""The CLI takes what people type: queries with -words, short ids, hit numbers, every hit as CSV/JSONL."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from zhsearch.search import SearchIndex
from zhsearch.cli import cli

from conftest import ARTICLES, CARBON, CORPUS, FORMULAS, REPORTER


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    return result


def searched(runner: CliRunner, index_dir: Path, *words: str) -> dict:
    return json.loads(ok(runner.invoke(cli, ["search", "--json", "--limit", "50", "--index", str(index_dir), *words])).stdout)


def printed_ids(stdout: str) -> dict[int, str]:
    """The hit numbers and ids a text listing printed."""
    numbers = [int(m) for m in re.findall(r"^(\d+)\. ", stdout, re.M)]
    ids = re.findall(r"^   id: (.*)$", stdout, re.M)
    assert len(numbers) == len(ids)
    return dict(zip(numbers, ids))


# -- query text as typed ------------------------------------------------------------------------


@pytest.mark.parametrize("words", [["记者", "-碳达峰"], ["记者", "NOT", "碳达峰"], ["-碳达峰", "记者"]])
def test_words_starting_with_a_dash_are_query_text(runner: CliRunner, index_dir: Path, index: SearchIndex,
                                                   words: list[str]) -> None:
    data = searched(runner, index_dir, *words)
    assert data["query"] == " ".join(words)
    assert {h["id"] for h in data["hits"]} == REPORTER - {CARBON}
    assert [h["id"] for h in data["hits"]] == [h.id for h in index.search(" ".join(words), limit=50).hits]


def test_an_excluded_filter_is_query_text(runner: CliRunner, index_dir: Path) -> None:
    everything = searched(runner, index_dir, "记者")
    data = searched(runner, index_dir, "记者", "-source:联合早报")
    assert data["query"] == "记者 -source:联合早报"
    assert "联合早报" in {h["source"] for h in everything["hits"]}
    assert {h["id"] for h in data["hits"]} == {h["id"] for h in everything["hits"] if h["source"] != "联合早报"}


def test_everything_after_the_first_word_is_query_text_and_an_option_there_is_named(
        runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["search", "--index", str(index_dir), "碳达峰", "--json"]))
    assert result.stdout == "No results for '碳达峰 --json'.\n"
    assert result.stderr.startswith("Note: '--json' is read as query text: options go before the query\n")


def test_a_query_that_looks_like_an_option_goes_after_a_double_dash(runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["search", "--json", "--index", str(index_dir), "--", "--limit", "记者"]))
    data = json.loads(result.stdout)
    assert data["query"] == "--limit 记者"
    assert data["limit"] == 10
    assert "read as query text" not in result.stderr


def test_option_values_starting_with_a_dash_are_not_the_query(runner: CliRunner, index_dir: Path) -> None:
    data = json.loads(ok(runner.invoke(cli, ["search", "--json", "--source=联合早报", "--index", str(index_dir),
                                             "--since", "2021", "碳达峰"])).stdout)
    assert data["query"] == "碳达峰"
    assert [h["id"] for h in data["hits"]] == [CARBON]


def test_search_help_shows_an_example_with_an_excluded_word(runner: CliRunner) -> None:
    result = ok(runner.invoke(cli, ["search", "--help"]))
    assert "    zhsearch search 疫苗 -辉瑞\n" in result.stdout
    assert "Options go before the query" in result.stdout


# -- show and similar by hit number or id prefix --------------------------------------------------


def test_show_takes_the_number_of_a_hit_the_last_search_printed(runner: CliRunner, index_dir: Path) -> None:
    listing = printed_ids(ok(runner.invoke(cli, ["search", "--index", str(index_dir), "--limit", "4", "记者"])).stdout)
    assert list(listing) == [1, 2, 3, 4]
    for number, doc_id in listing.items():
        shown = json.loads(ok(runner.invoke(cli, ["show", str(number), "--json", "--index", str(index_dir)])).stdout)
        assert shown["id"] == doc_id


def test_hit_numbers_are_those_printed_on_the_page(runner: CliRunner, index_dir: Path) -> None:
    listing = printed_ids(ok(runner.invoke(cli, ["search", "--index", str(index_dir), "--limit", "4", "--page", "2",
                                                 "记者"])).stdout)
    assert list(listing) == [5, 6, 7, 8]
    shown = ok(runner.invoke(cli, ["show", "6", "--index", str(index_dir)]))
    assert f"id: {listing[6]}\n" in shown.stdout
    missing = runner.invoke(cli, ["show", "1", "--index", str(index_dir)])
    assert missing.exit_code == 1
    assert missing.stderr == ("Error: no document with id '1' in the index, and the last search printed no hit 1\n"
                              "Hint: hit numbers are those zhsearch search printed last, for this index\n")


def test_hit_numbers_belong_to_the_index_they_were_printed_from(runner: CliRunner, index_dir: Path,
                                                                tmp_path: Path) -> None:
    ok(runner.invoke(cli, ["search", "--index", str(index_dir), "记者"]))
    other = tmp_path / "other"
    ok(runner.invoke(cli, ["index", str(CORPUS), "--index", str(other), "-q"]))
    result = runner.invoke(cli, ["show", "1", "--index", str(other)])
    assert result.exit_code == 1
    assert "the last search printed no hit 1" in result.stderr


def test_similar_takes_a_hit_number(runner: CliRunner, index_dir: Path, index: SearchIndex) -> None:
    listing = printed_ids(ok(runner.invoke(cli, ["search", "--index", str(index_dir), "碳达峰"])).stdout)
    data = json.loads(ok(runner.invoke(cli, ["similar", "1", "--json", "--index", str(index_dir)])).stdout)
    assert data["id"] == listing[1] == CARBON
    assert [h["id"] for h in data["hits"]] == [h.id for h in index.similar(CARBON)]


def test_show_takes_a_unique_start_of_an_id(runner: CliRunner, index_dir: Path) -> None:
    shown = json.loads(ok(runner.invoke(cli, ["show", "jekyll/2021-05", "--json", "--index", str(index_dir)])).stdout)
    assert shown["id"] == CARBON


def test_an_ambiguous_start_of_an_id_lists_the_ids_it_matches(runner: CliRunner, index_dir: Path) -> None:
    result = runner.invoke(cli, ["similar", "hexo/", "--index", str(index_dir)])
    assert result.exit_code == 1
    matching = sorted(i for i in ARTICLES if i.startswith("hexo/"))
    assert result.stderr == (f"Error: 'hexo/' is the start of {len(matching)} ids:\n"
                             + "".join(f"  {i}\n" for i in matching) + "Hint: type more of the id\n")


def test_a_long_list_of_matching_ids_is_cut(runner: CliRunner, index_dir: Path) -> None:
    result = runner.invoke(cli, ["show", "", "--index", str(index_dir)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no document with id '' in the index\n")
    result = runner.invoke(cli, ["show", "j", "--index", str(index_dir)])
    jekyll = sorted(i for i in ARTICLES if i.startswith("j"))
    assert len(jekyll) <= 10  # the fixture corpus: every one is listed
    assert result.stderr.count("\n  jekyll/") == len(jekyll)


# -- every hit as CSV or JSON lines -------------------------------------------------------------------


def test_search_all_as_csv_is_every_hit_with_its_fields(runner: CliRunner, index_dir: Path, index: SearchIndex) -> None:
    result = ok(runner.invoke(cli, ["search", "--format", "csv", "--all", "--limit", "2", "--index", str(index_dir),
                                    "记者"]))
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    expected = index.search("记者", limit=50).hits
    assert [r["id"] for r in rows] == [h.id for h in expected]
    assert {r["id"] for r in rows} == REPORTER
    carbon = next(r for r in rows if r["id"] == CARBON)
    assert carbon["title"] == "多省公布碳达峰碳中和路线图"
    assert carbon["source"] == "联合早报"
    assert carbon["date"] == "2021-05-10T02:00:00+00:00"
    assert carbon["url"] == "https://www.zaobao.com/realtime/china/story20210510-0000001"
    assert "记者" in carbon["snippet"] and "<mark>" not in carbon["snippet"]


def test_search_all_as_json_lines_unescapes_the_snippet(runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["search", "--format", "jsonl", "--all", "--index", str(index_dir), "onerror"]))
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    assert set(record) == {"id", "title", "source", "date", "url", "snippet"}
    assert record["title"] == "<script>alert(1)</script> 网络安全演练暴露漏洞"
    assert "onerror" in record["snippet"] and "&lt;" not in record["snippet"] and "<mark>" not in record["snippet"]


def test_search_csv_cells_are_never_formulas(runner: CliRunner, formula_index_dir: Path) -> None:
    for extra in (["--all"], []):
        result = ok(runner.invoke(cli, ["search", "--format", "csv", *extra, "--index", str(formula_index_dir), "公式"]))
        rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
        assert sorted(r["title"] for r in rows) == sorted("'" + t if t[0] in "=+-@" else t for t in FORMULAS)
        assert "'=cmd|' /C calc'!A0" in {r["source"] for r in rows}
        assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())


def test_one_page_as_csv_without_all(runner: CliRunner, index_dir: Path) -> None:
    result = ok(runner.invoke(cli, ["search", "--format", "csv", "--limit", "3", "--index", str(index_dir), "记者"]))
    assert len(list(csv.DictReader(io.StringIO(result.stdout, newline="")))) == 3


@pytest.mark.parametrize("options, message", [
    (["--all"], "Error: --all needs --format csv or --format jsonl"),
    (["--all", "--json"], "Error: --all needs --format csv or --format jsonl"),
    (["--json", "--format", "csv"], "Error: --json and --format csv ask for two formats"),
])
def test_conflicting_formats_are_usage_errors(runner: CliRunner, index_dir: Path, options: list[str],
                                              message: str) -> None:
    result = runner.invoke(cli, ["search", *options, "--index", str(index_dir), "记者"])
    assert result.exit_code == 2
    assert result.stderr.rstrip().endswith(message)
