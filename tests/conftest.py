"""Fixtures that mirror the layers: a corpus we wrote, its index, the Flask app, the CLI runner."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from zhsearch.indexer import IndexReport, build_index
from zhsearch.search import IndexWriter, SearchIndex, open_index
from zhsearch.web import create_app

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = FIXTURES / "corpus"
SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

# Ids of the fixture articles (POSIX paths relative to tests/fixtures/corpus).
CARBON = "jekyll/2021-05-10/2021-05-10-碳达峰碳中和路线图.md"
TAIWAN = "hexo/中央社/臺灣資訊業展望.md"
IPHONE = "jekyll/2022-09-08/2022-09-08-iphone14.md"
FULLWIDTH = "hexo/fullwidth.md"
HOSTILE = "jekyll/2021-07-01/2021-07-01-hostile.md"
BOILERPLATE = "hexo/新浪财经/央行开展逆回购操作.md"
TITLE_ONLY = "jekyll/2021-08-15/2021-08-15-title-only.md"
TYPHOON = "jekyll/2020-08-03/2020-08-03-台风登陆.md"
YUAN = "jekyll/2020-09-20/2020-09-20-人民币汇率.md"
AI = "jekyll/2021-10-12/2021-10-12-人工智能.md"
BASKETBALL = "hexo/体育/篮球 联赛.md"  # a space in the file name
ATT = "hexo/att-verizon.md"
NO_DATE = "hexo/无日期评论.md"  # no date, author, source or url anywhere
PERCENT = "hexo/利润增长50%#快讯.md"  # "%" and "#" must be percent-encoded in URLs

ARTICLES = frozenset(
    {
        CARBON, TAIWAN, IPHONE, FULLWIDTH, HOSTILE, BOILERPLATE, TITLE_ONLY, TYPHOON, YUAN, AI, BASKETBALL, ATT,
        NO_DATE, PERCENT,
    }
)
SKIPPED = {"notes.md": "no title and no text", "binary.md": "binary file (contains NUL bytes)"}
# The articles whose text says 记者 (記者 in the traditional one).
REPORTER = frozenset({CARBON, TAIWAN, IPHONE, FULLWIDTH, BOILERPLATE, TYPHOON, YUAN, AI, BASKETBALL})


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, IndexReport]:
    """The fixture corpus indexed once per session: (index directory, build report)."""
    location = tmp_path_factory.mktemp("fixture-index") / "index"
    report = build_index([CORPUS], location)
    return location, report


@pytest.fixture(scope="session")
def index_dir(built_index: tuple[Path, IndexReport]) -> Path:
    return built_index[0]


# Articles whose fields a spreadsheet would run as formulas: title → author (the outlet).
FORMULAS = {
    "=HYPERLINK(\"https://evil.example/\",\"公式点我\")": "=cmd|' /C calc'!A0",
    "+86 公式电话": "@SUM(1+1)",
    "-2 公式降价": "公式日报",
    "@公式 提及": "-公式周刊",
    "公式 a=b 普通标题": "公式晚报",
}


@pytest.fixture(scope="session")
def formula_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the :data:`FORMULAS` articles, each saying 公式 in its text."""
    root = tmp_path_factory.mktemp("formulas")
    corpus = root / "corpus"
    corpus.mkdir()
    for n, (title, author) in enumerate(FORMULAS.items()):
        front = f"---\ntitle: '{title.replace(chr(39), chr(39) * 2)}'\nauthor: '{author.replace(chr(39), chr(39) * 2)}'\n"
        front += f"date: 2022-01-0{n + 1}\n---\n"
        (corpus / f"formula-{n}.md").write_text(front + f"=1+1 开头的正文，第{n}篇公式测试文章，a=b 在中间。\n", encoding="utf-8")
    build_index([corpus], root / "index")
    return root / "index"


@pytest.fixture(scope="session")
def index(index_dir: Path) -> Iterator[SearchIndex]:
    with SearchIndex.open(index_dir) as opened:
        yield opened


@pytest.fixture()
def app(index: SearchIndex) -> Flask:
    app = create_app({"INDEX": index, "TESTING": True})
    return app


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(autouse=True)
def state_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI remembers the last search's hits under $XDG_STATE_HOME: never the developer's own."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


@pytest.fixture()
def runner() -> CliRunner:
    # The CLI reads ZHSEARCH_INDEX: make sure the developer's environment never leaks in.
    return CliRunner(env={"ZHSEARCH_INDEX": None})


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """The real archives in ../shared/corpus; skips the test when they are not there."""
    if not (SHARED_CORPUS / "samples").is_dir():
        pytest.skip(f"the shared corpus is not available at {SHARED_CORPUS}")
    return SHARED_CORPUS


@pytest.fixture(scope="module")
def docs_index_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the requesting test module's ``DOCS`` (a list of search.Document)."""
    location = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "index"
    with IndexWriter(location) as writer:
        for doc in request.module.DOCS:
            writer.add(doc)
    return location


@pytest.fixture(scope="module")
def docs_index(docs_index_dir: Path) -> Iterator[SearchIndex]:
    """The index of the module's ``DOCS``, opened."""
    with open_index(docs_index_dir) as opened:
        yield opened


@contextlib.contextmanager
def serving(location: Path, workdir: Path, *, option: str = "--index") -> Iterator[str]:
    """`zhsearch serve` of the index at ``location`` (``option="--cluster"``: the cluster file) on a free
    port: its base URL, until the block ends."""
    log = workdir / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "zhsearch", "serve", option, str(location), "--port", "0", "--threads", "4"],
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not (found := re.search(r"on (http://127\.0\.0\.1:\d+)/", log.read_text(errors="replace"))):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"zhsearch serve did not start: {log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield found.group(1)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a server this test started, by its own pid: terminate, then kill if it does not exit."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
