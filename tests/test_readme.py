"""The README is executable: its commands are the ones CI runs and its Python example works."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from zhsearch.indexer import build_index
from zhsearch.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [b.strip() for b in re.findall(r"```sh\n(.*?)```", quick_start, re.S)]
    assert len(commands) == 2
    serve, test = commands
    assert "zhsearch index demo" in serve and serve.endswith("zhsearch serve")
    assert test.endswith("python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()


def test_every_command_the_readme_shows_exists() -> None:
    usage = next(b for b in _blocks("sh") if "zhsearch search" in b and "zhsearch serve" in b)
    shown = set(re.findall(r"^zhsearch (\w+)", usage, re.M))
    assert shown <= set(cli.commands), shown - set(cli.commands)
    assert {"index", "search", "show", "stats", "export", "serve"} <= shown


def test_python_example_runs_against_the_demo_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = build_index([ROOT / "demo"], tmp_path / ".zhsearch" / "index")
    assert report.indexed >= 30
    monkeypatch.chdir(tmp_path)
    (example,) = _blocks("python")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example, "README.md", "exec"), {})
    printed = out.getvalue()
    total = int(re.match(r"(\d+) articles", printed).group(1))  # type: ignore[union-attr]
    assert total >= 3
    assert "<mark>碳中和</mark>" in printed


def test_demo_archive_has_both_formats() -> None:
    files = [p for p in (ROOT / "demo").rglob("*.md") if p.name != "README.md"]
    assert 30 <= len(files) <= 60
    heads = [p.read_text(encoding="utf-8")[:200] for p in files]
    assert sum(h.startswith("\n---") for h in heads) >= 10  # Hexo: a blank line before ---
    assert sum("layout: post" in h for h in heads) >= 10  # Jekyll
