"""What a one-shot search loads: never the index-writing modules, and OpenCC's phrase tables only
for a query they can change (both checked in a fresh process, through ``sys.modules``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zhsearch.search.results.document import Document
from zhsearch.search.embedded.writer import IndexWriter

ROOT = Path(__file__).resolve().parents[1]
WRITING = ("zhsearch.search.embedded.writer", "zhsearch.search.embedded.merge", "zhsearch.search.embedded.segments", "zhsearch.search.embedded.inversion", "indexer")
PHRASE_CONFIGS = {"s2twp", "tw2sp"}
# Only finding copies (an index build) needs them; datasketch imports scipy, half a second of CPU.
BUILD_ONLY = ("datasketch", "scipy")

# Run in the child: record every OpenCC converter built, run the CLI's search, report.
PROBE = """
import json, sys
import opencc
built = []
class Recording(opencc.OpenCC):
    def __init__(self, config, *args, **kwargs):
        built.append(config.removesuffix(".json"))
        super().__init__(config, *args, **kwargs)
opencc.OpenCC = Recording
from zhsearch.cli import cli
try:
    cli(["search", "--index", sys.argv[1], "--", sys.argv[2]])
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "modules": sorted(sys.modules), "converters": built}))
"""


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    location = tmp_path_factory.mktemp("process") / "index"
    with IndexWriter(location) as writer:
        writer.add(Document(id="a", path="a.md", title="疫苗试验", text="新冠疫苗进入第三期试验，结果阳性。"))
        writer.add(Document(id="b", path="b.md", title="软件更新", text="多家公司发布软件更新，修补漏洞。"))
    return location


def probe(index_dir: Path, query: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, str(index_dir), query], capture_output=True,
                          text=True, env=env, check=True, timeout=120)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] in (0, None), done.stderr
    return result


def test_a_search_process_never_imports_the_index_writing_modules(index_dir: Path) -> None:
    modules = probe(index_dir, "疫苗试验")["modules"]
    assert isinstance(modules, list)
    assert "zhsearch.search.embedded.engine" in modules  # the probe did search
    loaded = [m for m in modules if m.startswith(WRITING)]
    assert loaded == []


def test_a_search_process_never_imports_what_only_finding_copies_needs(index_dir: Path) -> None:
    modules = probe(index_dir, "疫苗试验")["modules"]
    assert isinstance(modules, list)
    assert "zhsearch.search.results.duplicates" in modules  # the search did read the copies' table
    assert [m for m in modules if m.split(".")[0] in BUILD_ONLY] == []


def test_a_query_no_phrase_table_changes_loads_no_phrase_converter(index_dir: Path) -> None:
    assert not PHRASE_CONFIGS & set(probe(index_dir, "疫苗试验")["converters"])  # type: ignore[arg-type]


def test_a_query_a_phrase_table_changes_still_gets_its_variants(index_dir: Path) -> None:
    assert PHRASE_CONFIGS <= set(probe(index_dir, "軟體更新")["converters"])  # type: ignore[arg-type]
