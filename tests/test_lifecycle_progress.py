"""Progress of long commands: a live line on a terminal, log lines otherwise, nothing with --quiet."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhsearch.cli import ProgressDisplay, cli

from conftest import CORPUS


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_on_a_terminal_one_line_shows_count_bar_rate_and_eta() -> None:
    stream, clock = io.StringIO(), Clock()
    show = ProgressDisplay(stream, tty=True, clock=clock)
    show("reading", 0, 100)
    clock.now = 1.0
    show("reading", 50, 100)
    clock.now = 2.0
    show("reading", 100, 100)
    clock.now = 2.5
    show("indexing", 0, 40)
    clock.now = 4.5
    show("indexing", 10, 40)
    show.close()
    assert stream.getvalue() == (
        "\rreading 50/100 files [##########----------] 50 files/s, ETA 0:01"
        "\rreading 100/100 files [####################] 50 files/s, ETA 0:00\n"
        "\rindexing 10/40 documents [#####---------------] 5 documents/s, ETA 0:06\n"
    )


def test_elsewhere_a_plain_line_every_few_seconds() -> None:
    stream, clock = io.StringIO(), Clock()
    show = ProgressDisplay(stream, tty=False, every=10.0, clock=clock)
    for second, done in ((0, 0), (5, 500), (12, 1200), (15, 1500), (23, 2300)):
        clock.now = second
        show("reading", done, 23618)
    show.close()
    assert stream.getvalue() == (
        "zhsearch: reading 1,200/23,618 files 100 files/s, ETA 3:44\n"
        "zhsearch: reading 2,300/23,618 files 100 files/s, ETA 3:33\n"
    )


@pytest.mark.parametrize("command", ["index", "update"])
def test_quiet_prints_no_progress(runner: CliRunner, tmp_path: Path, command: str) -> None:
    location = tmp_path / "index"
    runner.invoke(cli, ["index", str(CORPUS), "--index", str(location), "-q"])
    result = runner.invoke(cli, [command, str(CORPUS), "--index", str(location), "--quiet", "--jobs", "2"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    "command, options",
    [
        ("index", ["--jobs", "--quiet", "number of cores", "PATHS"]),
        ("update", ["--jobs", "--quiet", "--index", "PATHS", "built from"]),
        ("check", ["--index", "--json", "PATHS", "Exits with 1"]),
    ],
)
def test_help_of_the_lifecycle_commands(runner: CliRunner, command: str, options: list[str]) -> None:
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    for option in options:
        assert option in result.stdout
    assert f"  {command} " in runner.invoke(cli, ["--help"]).stdout
