"""The dependency arrows of STYLE.md: search ← indexer, search ← web, and the CLI over all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "search": set(),
    "indexer": {"search"},
    "web": {"search"},
    "zhsearch": {"search", "indexer", "web"},
}


def _package_of(module: str) -> str:
    """``zhsearch.search.queries.query`` → ``search`` (the folder), ``zhsearch.cli`` → ``zhsearch``."""
    parts = module.split(".")
    if parts[0] == "zhsearch" and len(parts) > 1 and parts[1] in ALLOWED:
        return parts[1]
    return parts[0]


def _imports(package: str) -> set[str]:
    found: set[str] = set()
    for file in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(_package_of(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(_package_of(node.module))
    return found & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    assert _imports(package) - {package} <= ALLOWED[package]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_ships_py_typed(package: str) -> None:
    assert (ROOT / package / "py.typed").is_file()
