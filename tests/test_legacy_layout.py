"""Indexes written before search/ had folders (its modules were flat) or before zhsearch was one
package (``search`` at the top level) still open and search: Whoosh pickles the schema's classes
by module path, and search/legacy.py maps the old paths onto today's modules."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from zhsearch.search import Document, IndexIncompatibleError, IndexWriter, legacy, open_index
from zhsearch.search.embedded.segments import INDEX_NAME
from zhsearch.search.embedded.store import current_generation
from zhsearch.search.embedded.tables import save_tables

# The two older spellings of a module path: {} is the module's name in the flat search/.
LAYOUTS = {"flat search/": "zhsearch.search.{}", "top-level search": "search.{}"}


@pytest.fixture(autouse=True)
def no_old_names_left(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Take the aliases a test made out of sys.modules again, so that no other test sees them.

    Also hides an editable install of another checkout, whose finder would answer an old name
    with that checkout's own (older) file instead of raising ModuleNotFoundError."""
    monkeypatch.setattr(sys, "meta_path", [finder for finder in sys.meta_path
                                           if not str(getattr(finder, "__module__", "")).startswith("__editable__")])
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if legacy.current_name(name) is not None:
            del sys.modules[name]


def _old_index(location: Path, layout: str) -> bytes:
    """An index of two articles whose table of contents names the moved modules by ``layout``;
    returns the TOC file's bytes."""
    with IndexWriter(location) as writer:
        writer.add(Document(id="a", path="a.md", title="碳中和的路线图", text="各地公布碳中和的时间表。"))
        writer.add(Document(id="b", path="b.md", title="菜市场的早晨", text="摊主六点开门。"))
    generation = current_generation(location)
    storage = FileStorage(str(generation))
    toc = TOC.read(storage, INDEX_NAME)
    (toc_file,) = generation.glob(f"_{INDEX_NAME}_*.toc")
    toc_file.unlink()  # written again below, under the same generation
    with pytest.MonkeyPatch.context() as mp:  # the classes as the old code defined them
        if layout.startswith("search."):
            mp.setitem(sys.modules, "search", importlib.import_module("zhsearch.search"))
        for short, package in legacy.MOVED.items():
            module = importlib.import_module(f"zhsearch.search.{package}.{short}")
            old = layout.format(short)
            mp.setitem(sys.modules, old, module)
            for value in list(vars(module).values()):
                if isinstance(value, (type, types.FunctionType)) and value.__module__ == module.__name__:
                    mp.setattr(value, "__module__", old)
        toc.write(storage, INDEX_NAME)
    return toc_file.read_bytes()


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_an_index_naming_the_pre_folder_modules_opens_and_searches(tmp_path: Path, layout: str) -> None:
    toc = _old_index(tmp_path, layout)
    assert f"c{layout.format('analysis')}\n".encode() in toc  # the schema's analyzers, by their old path
    assert b"zhsearch.search.text" not in toc
    assert layout.format("analysis") not in sys.modules
    with open_index(tmp_path) as index:
        page = index.search("碳中和")
        assert [hit.id for hit in page.hits] == ["a"]
        assert index.matching_ids("开门") == {"b"}
    assert sys.modules[layout.format("analysis")] is importlib.import_module("zhsearch.search.text.analysis")


def test_without_the_aliases_such_an_index_would_not_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _old_index(tmp_path, LAYOUTS["flat search/"])
    monkeypatch.setattr(legacy, "alias_old_module", lambda name: False)
    with pytest.raises(IndexIncompatibleError, match="No module named 'zhsearch.search.analysis'"):  # restructure: keep
        open_index(tmp_path)


@pytest.mark.parametrize(("old", "new"), [
    ("zhsearch.search.analysis", "zhsearch.search.text.analysis"),  # restructure: keep
    ("zhsearch.search.engine", "zhsearch.search.embedded.engine"),  # restructure: keep
    ("search.duplicates", "zhsearch.search.results.duplicates"),  # restructure: keep
    ("search", "zhsearch.search"),
    ("search.errors", "zhsearch.search.errors"),
    ("indexer.sites", "zhsearch.indexer.sites"),
    ("zhsearch.search.text.analysis", None),
    ("zhsearch.search.errors", None),
    ("json.decoder", None),
])
def test_old_names_map_onto_todays_modules(old: str, new: str | None) -> None:
    assert legacy.current_name(old) == new


def test_the_map_of_moved_modules_matches_the_tree() -> None:
    root = Path(legacy.__file__).parent
    for short, package in legacy.MOVED.items():
        assert (root / package / f"{short}.py").is_file(), short
        assert not (root / f"{short}.py").exists(), short



def test_the_tables_of_such_an_index_are_computed_again(tmp_path: Path) -> None:
    """The table code opens an old index under its old names by itself (a process that never
    searched it first, as ``zhsearch.search.embedded.tables.save_tables`` may be called)."""
    _old_index(tmp_path, LAYOUTS["flat search/"])
    generation = current_generation(tmp_path)
    for table in generation.glob("vocabulary-*.json"):
        table.unlink()
    assert LAYOUTS["flat search/"].format("analysis") not in sys.modules
    assert save_tables(generation, simplify=True, kinds=("vocabulary",)) == ["vocabulary"]
    assert list(generation.glob("vocabulary-*.json"))
