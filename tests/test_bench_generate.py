"""The benchmark inputs: the archive generator writes articles zhsearch reads, the query set parses."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from zhsearch.indexer import discover, read_article

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "corpus"


def bench_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    return bench_module("generate")


def test_generated_articles_parse_in_both_formats(generate: ModuleType, tmp_path: Path) -> None:
    pool = generate.build_pool([FIXTURES], progress=False)
    written = generate.generate(pool, tmp_path / "out", 40, seed=7)
    assert written["jekyll"] > 0 and written["hexo"] > 0
    files = list(discover([tmp_path / "out"]))
    assert len(files) == 40
    formats = {"jekyll": 0, "hexo": 0}
    for source in files:
        doc = read_article(source.file, source.doc_id).document
        assert doc.title and doc.text
        formats[generate.source_format(source.file)] += 1
    assert formats == written


def test_generator_is_deterministic(generate: ModuleType, tmp_path: Path) -> None:
    pool = generate.build_pool([FIXTURES], progress=False)
    generate.generate(pool, tmp_path / "a", 15, seed=3)
    generate.generate(pool, tmp_path / "b", 15, seed=3)
    a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*.md")}
    b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.md")}
    assert a == b and len(a) == 15


def test_generated_text_is_made_of_source_sentences(generate: ModuleType, tmp_path: Path) -> None:
    pool = generate.build_pool([FIXTURES], progress=False)
    known = {s for outlet in pool["outlets"].values() for s in outlet["sentences"]}
    generate.generate(pool, tmp_path / "out", 10, seed=5)
    for source in discover([tmp_path / "out"]):
        text = read_article(source.file, source.doc_id).document.text
        for paragraph in text.split("\n\n"):
            assert all(s in known for s in generate.sentences(paragraph)), paragraph


def test_query_set_parses_with_every_category() -> None:
    pairs = bench_module("queries").load_queries()
    categories = {c for c, _ in pairs}
    assert categories == {
        "common", "rare", "and2", "and3", "phrase", "single", "latin", "filters", "facets", "paragraph",
    }
    assert len({q for _, q in pairs}) == len(pairs)
    assert all(len(q) > 30 for c, q in pairs if c == "paragraph")
