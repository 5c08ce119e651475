"""Indexes written by older layouts of zhsearch: the module names their pickles ask for.

Whoosh pickles the schema's classes by module name, so an index names the modules that defined
its analyzers when it was written. Two older layouts are still read:

- until version 0.1 the subpackages installed as top-level packages (``search``, ``indexer``,
  ``web``), so an older index names ``search.analysis…``;
- until the folders of ``search/`` (see README, Layout) its modules were flat, so an index names
  ``zhsearch.search.analysis…`` where the module is now ``zhsearch.search.text.analysis``.

Opening one maps exactly the names its pickle asks for onto today's modules, on demand: a process
that never opens an old index never sees the old names.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.structfile import StructFile
from whoosh.index import Index

OLD_PACKAGES = ("search", "indexer", "web")

# search/'s modules before it had folders → the subpackage each moved to
MOVED = {
    "normalize": "text", "analysis": "text", "jiebadict": "text", "discover": "text", "scriptkeys": "text",
    "query": "queries", "longquery": "queries", "suggest": "queries", "complete": "queries",
    "document": "results", "snippets": "results", "facets": "results", "duplicates": "results",
    "engine": "embedded", "store": "embedded", "writer": "embedded", "segments": "embedded",
    "inversion": "embedded", "merge": "embedded", "tables": "embedded", "schema": "embedded",
    "evaluate": "embedded", "prepare": "embedded",
}


def current_name(name: str) -> str | None:
    """Today's module for the old name ``name``; None when ``name`` is not an old layout's."""
    parts = name.split(".")
    if parts[0] in OLD_PACKAGES:
        parts = ["zhsearch", *parts]
    elif parts[:1] != ["zhsearch"]:
        return None
    if parts[1:2] == ["search"] and len(parts) > 2 and parts[2] in MOVED:
        parts = [*parts[:2], MOVED[parts[2]], *parts[2:]]
    moved = ".".join(parts)
    return moved if moved != name else None


def alias_old_module(name: str) -> bool:
    """Make the old module ``name`` (``search.analysis``, ``zhsearch.search.analysis``) an alias of
    today's (``zhsearch.search.text.analysis``), with its old parents.

    False when ``name`` is not an old layout's module (nothing to alias)."""
    parts = name.split(".")
    if current_name(name) is None:
        return False
    for end in range(1, len(parts) + 1):
        old = ".".join(parts[:end])
        if old in sys.modules:
            continue
        new = current_name(old)
        if new is None:
            return False  # an ancestor that exists under its own name (zhsearch) yet lacks old
        try:
            sys.modules[old] = importlib.import_module(new)
        except ModuleNotFoundError:
            return False
    return True


def open_whoosh_dir(generation: Path) -> Index:
    """``whoosh.index.open_dir``, also for an index whose schema names older modules."""
    while True:
        try:
            return whoosh_index.open_dir(str(generation))
        except ModuleNotFoundError as exc:
            _close_files(exc)
            if not (exc.name and exc.name not in sys.modules and alias_old_module(exc.name)):
                raise


def _close_files(exc: BaseException) -> None:
    """Close the files Whoosh left open when unpickling its table of contents failed."""
    tb = exc.__traceback__
    while tb is not None:
        for value in tb.tb_frame.f_locals.values():
            if isinstance(value, StructFile):
                value.close()
        tb = tb.tb_next
