"""Index generations, versioning, the writer lock and user dictionaries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhsearch.search import AnalyzerConfig, Document, IndexWriter, open_index
from zhsearch.search.errors import IndexIncompatibleError, IndexLockedError, IndexNotFoundError
from zhsearch.search.embedded.store import CURRENT, LOCK, MANIFEST, current_generation, writer_lock
from zhsearch.cli import cli


def _doc(doc_id: str, title: str, text: str) -> Document:
    return Document(id=doc_id, path=doc_id, title=title, text=text)


def _build(location: Path, docs: list[Document], config: AnalyzerConfig = AnalyzerConfig()) -> None:
    with IndexWriter(location, config=config) as writer:
        for doc in docs:
            writer.add(doc)


def test_missing_index_is_reported(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="no zhsearch index at"):
        open_index(tmp_path / "nowhere")


def test_failed_build_leaves_the_live_index_untouched(tmp_path: Path) -> None:
    _build(tmp_path, [_doc("a", "旧的文章", "第一版的内容")])
    with pytest.raises(RuntimeError):
        with IndexWriter(tmp_path) as writer:
            writer.add(_doc("b", "新的文章", "第二版的内容"))
            raise RuntimeError("the build breaks half way")
    with open_index(tmp_path) as index:
        assert index.matching_ids("内容") == {"a"}
    assert not list(tmp_path.glob(".build-*"))


def test_rebuild_publishes_a_new_generation_and_readers_follow_it(tmp_path: Path) -> None:
    _build(tmp_path, [_doc("a", "旧的文章", "第一版")])
    index = open_index(tmp_path)
    first = current_generation(tmp_path)
    _build(tmp_path, [_doc("b", "新的文章", "第二版")])
    assert current_generation(tmp_path) != first
    assert index.matching_ids("文章") == {"a"}  # still on the generation it opened
    assert index.refresh() is True
    assert index.matching_ids("文章") == {"b"}
    assert index.refresh() is False
    index.close()


def test_index_from_a_newer_schema_asks_for_a_rebuild(tmp_path: Path) -> None:
    _build(tmp_path, [_doc("a", "标题", "正文")])
    manifest_path = current_generation(tmp_path) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["schema_version"] = 999
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexIncompatibleError) as info:
        open_index(tmp_path)
    assert info.value.hint == "run zhsearch index to rebuild"


def test_index_from_another_analyzer_version_asks_for_a_rebuild(tmp_path: Path) -> None:
    _build(tmp_path, [_doc("a", "标题", "正文")])
    manifest_path = current_generation(tmp_path) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["analyzer"]["version"] = 0
    manifest_path.write_text(json.dumps(manifest))
    result = CliRunner().invoke(cli, ["search", "--index", str(tmp_path), "标题"])
    assert result.exit_code == 1
    assert "uses analyzer version 0" in result.stderr
    assert "Hint: run zhsearch index to rebuild" in result.stderr


def test_damaged_pointer_is_a_clear_error(tmp_path: Path) -> None:
    _build(tmp_path, [_doc("a", "标题", "正文")])
    (tmp_path / CURRENT).write_text("gen-missing\n")
    with pytest.raises(IndexIncompatibleError, match="damaged"):
        open_index(tmp_path)


def test_second_writer_fails_fast_naming_the_first(tmp_path: Path) -> None:
    with writer_lock(tmp_path):
        with pytest.raises(IndexLockedError, match=f"process {os.getpid()}"):
            with writer_lock(tmp_path):
                pass
    assert not (tmp_path / LOCK).exists()


def test_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / LOCK).write_text(dead.stdout.strip())
    _build(tmp_path, [_doc("a", "标题", "正文")])
    with open_index(tmp_path) as index:
        assert len(index) == 1


def test_user_dictionary_is_recorded_and_used_at_query_time(tmp_path: Path) -> None:
    articles = tmp_path / "posts"
    articles.mkdir()
    (articles / "a.md").write_text("---\ntitle: 量子纠缠通信取得进展\n---\n研究团队展示了量子纠缠通信的新方法。\n", encoding="utf-8")
    user_dict = tmp_path / "words.txt"
    user_dict.write_text("量子纠缠通信 100 n\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    result = CliRunner().invoke(cli, ["index", str(articles), "--index", str(index_dir), "--user-dict", str(user_dict)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((current_generation(index_dir) / MANIFEST).read_text())
    assert manifest["analyzer"]["user_words"] == ["量子纠缠通信 100 n"]
    with open_index(index_dir) as index:
        assert index.config.user_words == ("量子纠缠通信 100 n",)
        page = index.search("量子纠缠通信", explain=True)
        assert page.total == 1
        assert page.explain is not None
        assert page.explain["clauses"][0]["words"]["tokens"][0] == ["量子纠缠通信"]
