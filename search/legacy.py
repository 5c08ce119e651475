"""Indexes written before zhsearch became one installed package.

Until version 0.1 the subpackages installed as top-level packages (``search``, ``indexer``,
``web``), and Whoosh pickles the schema's classes by module name, so an older index names
``search.analysis…``. Opening one maps exactly the names its pickle asks for onto the
``zhsearch.*`` modules, on demand: a process that never opens an old index never sees the old
names.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import Index

OLD_PACKAGES = ("search", "indexer", "web")


def alias_old_module(name: str) -> bool:
    """Make the old module ``name`` (``search.analysis``) an alias of ``zhsearch.search.analysis``.

    False when ``name`` is not one of the old packages' modules (nothing to alias)."""
    parts = name.split(".")
    if parts[0] not in OLD_PACKAGES:
        return False
    for end in range(1, len(parts) + 1):
        old = ".".join(parts[:end])
        if old not in sys.modules:
            try:
                sys.modules[old] = importlib.import_module(f"zhsearch.{old}")
            except ModuleNotFoundError:
                return False
    return True


def open_whoosh_dir(generation: Path) -> Index:
    """``whoosh.index.open_dir``, also for an index whose schema names the old packages."""
    while True:
        try:
            return whoosh_index.open_dir(str(generation))
        except ModuleNotFoundError as exc:
            if not (exc.name and exc.name not in sys.modules and alias_old_module(exc.name)):
                raise
