"""The distribution installs one top-level package, ``zhsearch``, while the repository keeps the
subpackages' sources at its top level (search/, indexer/, web/) through ``package-dir``."""

from __future__ import annotations

import importlib
import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import zhsearch
from zhsearch.search import legacy
from zhsearch.search.text.analysis import AnalyzerConfig

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True)
    (found,) = out.glob("zhsearch-*.whl")
    return found


def test_the_wheel_holds_one_top_level_package_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"zhsearch"}
    for needed in ("zhsearch/cli.py", "zhsearch/search/embedded/engine.py", "zhsearch/indexer/clean.py",
                   "zhsearch/web/server.py", "zhsearch/web/templates/base.html", "zhsearch/search/py.typed"):
        assert needed in names, needed
    assert any(n.startswith("zhsearch/web/static/") for n in names)
    assert any(n.startswith("zhsearch/indexer/data/") and n.endswith(".txt") for n in names)


def test_the_installed_package_runs_without_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True)
    script = (
        "import zhsearch.search, zhsearch.indexer, zhsearch.web.server\n"
        "print(zhsearch.search.__file__)\n"
        "print(zhsearch.web.server.__file__)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}, check=True)
    assert all(Path(where).is_relative_to(target) for where in done.stdout.splitlines())
    installed = {p.name for p in target.iterdir() if not p.name.endswith(".dist-info")}
    assert installed - {"__pycache__", "bin"} == {"zhsearch"}  # no generic top-level names


def test_the_installed_package_indexes_and_searches_away_from_the_checkout(wheel: Path, tmp_path: Path) -> None:
    """The real jobs, run from the wheel alone: a name that only resolves in the checkout (a
    resource looked up under an old top-level package, say) fails here, not in a user's hands."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True)
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def zhsearch(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "zhsearch", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)

    built = zhsearch("index", str(ROOT / "demo"), "--index", "ix", "--quiet", "--jobs", "2")
    assert built.returncode == 0, built.stderr
    assert "skipped" not in built.stdout + built.stderr
    found = zhsearch("search", "--index", "ix", "--json", "碳中和")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] > 0
    # the server's warm-up child computes missing tables in a process of its own: from the wheel too
    for table in (tmp_path / "ix").glob("gen-*/vocabulary-*.json"):
        table.unlink()
    probe = ("import sys; from zhsearch.search import SearchIndex; from zhsearch.search.embedded.prepare import prepare_apart; "
             "index = SearchIndex.open(sys.argv[1]); print(index.missing_tables()); print(prepare_apart(index))")
    warmed = subprocess.run([sys.executable, "-c", probe, "ix"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert warmed.returncode == 0, warmed.stderr
    assert warmed.stdout.split() == ["('vocabulary',)", "True"]


def test_a_checkout_runs_its_own_sources() -> None:
    import zhsearch.search

    assert Path(zhsearch.search.__file__).resolve() == ROOT / "search" / "__init__.py"
    assert str(ROOT) in [str(Path(p).resolve()) for p in zhsearch.__path__]


def test_an_old_index_pickle_names_the_old_packages_and_still_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    old = pickle.dumps(AnalyzerConfig(), 2).replace(b"czhsearch.search.text.analysis\n", b"csearch.analysis\n")
    assert b"csearch.analysis\n" in old  # restructure: keep; protocol 2 names the class's module in the stream, as Whoosh's TOC does
    for name in ("search", "search.analysis"):  # restructure: keep
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert legacy.alias_old_module("search.analysis")  # restructure: keep
    assert type(pickle.loads(old)) is AnalyzerConfig  # the one class, not a second copy of the module


def test_only_the_old_packages_are_aliased() -> None:
    assert legacy.alias_old_module("json.decoder") is False
    assert legacy.alias_old_module("search.no_such_module") is False


def test_opening_an_index_aliases_what_its_schema_asks_for(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    asked: list[str] = []

    def open_dir(location: str) -> str:
        if not asked:
            asked.append(location)
            raise ModuleNotFoundError("No module named 'indexer'", name="indexer.sites")
        return "opened"

    monkeypatch.setattr(legacy.whoosh_index, "open_dir", open_dir)
    monkeypatch.delitem(sys.modules, "indexer", raising=False)
    monkeypatch.delitem(sys.modules, "indexer.sites", raising=False)
    assert legacy.open_whoosh_dir(tmp_path) == "opened"
    assert sys.modules["indexer.sites"] is importlib.import_module("zhsearch.indexer.sites")
