"""``zhsearch update`` and ``zhsearch check``: add, change, delete, rename, no-op, learned boilerplate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import zhsearch.indexer.catalog
import zhsearch.indexer.update
from zhsearch.indexer import build_index, check_index, update_index
from zhsearch.search import open_index
from zhsearch.search.errors import IndexIncompatibleError
from zhsearch.search.embedded.store import CURRENT, MANIFEST, current_generation
from zhsearch.search.embedded.writer import live_segments
from zhsearch.cli import cli

from lifecycle_corpus import APP_PROMO, HOTLINE, article, snapshot, version_a, version_b, write_corpus

PROMOTED = ["南岸晚报/001.md", "南岸晚报/004.md", "南岸晚报/007.md", "南岸晚报/010.md"]


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    return result


@pytest.fixture()
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    write_corpus(folder, version_a())
    return folder


@pytest.fixture()
def location(tmp_path: Path, archive: Path) -> Path:
    build_index([archive], tmp_path / "index")
    return tmp_path / "index"


def test_update_reports_what_it_added_changed_removed_and_renamed(
    runner: CliRunner, archive: Path, location: Path
) -> None:
    with open_index(location) as index:
        discovered = len(index.config.new_words)  # by the build: an update keeps them
    write_corpus(archive, version_b())
    result = ok(runner.invoke(cli, ["update", str(archive), "--index", str(location), "-j", "1"]))
    assert result.stdout.splitlines() == [
        "added: 东方晨报/036.md",
        "added: 北川财经/038.md",
        "added: 南岸晚报/037.md",
        "changed: 北川财经/002.md",
        "changed: 北川财经/005.md",
        "removed: 北川财经/008.md",
        "removed: 北川财经/011.md",
        "renamed: 东方晨报/003.md -> 东方晨报/renamed-003.md",
        *(f"re-cleaned: {doc_id}" for doc_id in PROMOTED),
        "38 files seen: 3 added, 2 changed, 2 removed, 1 renamed, 31 unchanged",
        "  boilerplate learned: 2 recurring paragraphs; 4 unchanged articles cleaned again",
        *[f"  new words: kept the {discovered} found by the last full build "
          "(an update does not look for new ones: zhsearch index does)"] * (discovered > 0),
    ]
    assert result.stderr == ""
    with open_index(location) as index:
        ids = {d.id for d in index.documents()}
        assert len(ids) == 37
        assert {"东方晨报/036.md", "东方晨报/renamed-003.md"} <= ids
        assert not {"北川财经/008.md", "东方晨报/003.md"} & ids
        assert "更正" in index.document("北川财经/002.md").text
        assert index.matching_ids("更正") == {"北川财经/002.md", "北川财经/005.md"}


def test_update_converges_to_what_a_clean_build_writes(tmp_path: Path, archive: Path, location: Path) -> None:
    for version in (version_b(), version_a(), version_b()):
        write_corpus(archive, version)
        report = update_index([archive], location)
        assert report.published
        clean = tmp_path / f"clean-{len(version)}"
        build_index([archive], clean)
        assert snapshot(location) == snapshot(clean)
        for name in ("files.json", "paragraphs.json"):
            assert (current_generation(location) / name).read_text() == (current_generation(clean) / name).read_text()
    assert len(list(live_segments(location))) >= 2  # the update added a segment, it did not rebuild


def test_unchanged_articles_are_cleaned_again_when_their_outlets_boilerplate_changes(
    archive: Path, location: Path
) -> None:
    with open_index(location) as index:
        assert all(APP_PROMO in index.document(doc_id).text for doc_id in PROMOTED)  # 4 articles: not learned
        assert HOTLINE not in index.document("东方晨报/000.md").text  # 12 of 12: learned
    write_corpus(archive, version_b())  # a fifth article with the promotion
    report = update_index([archive], location)
    assert report.recleaned == PROMOTED
    with open_index(location) as index:
        assert not any(APP_PROMO in index.document(doc_id).text for doc_id in PROMOTED)
        assert index.matching_ids("客户端") == set()
    write_corpus(archive, version_a())
    assert update_index([archive], location).recleaned == PROMOTED
    with open_index(location) as index:
        assert index.matching_ids("客户端") == set(PROMOTED)


def test_nothing_changed_writes_no_generation(runner: CliRunner, archive: Path, location: Path) -> None:
    pointer = (location / CURRENT).read_text()
    result = ok(runner.invoke(cli, ["update", str(archive), "--index", str(location)]))
    assert result.stdout == "Nothing to update: 37 files seen, all unchanged.\n"
    assert (location / CURRENT).read_text() == pointer
    assert ok(runner.invoke(cli, ["update", str(archive), "--index", str(location), "-q"])).stdout == ""


def test_unchanged_files_are_recognized_by_stat_without_being_read(
    archive: Path, location: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zhsearch.indexer.catalog, "RACY_SECONDS", -3600)  # trust even just-written files' times
    update_index([archive], location)  # records every file's stat

    def no_reading(path: Path) -> None:
        raise AssertionError(f"{path} was read")

    monkeypatch.setattr(zhsearch.indexer.update, "file_sha1", no_reading)
    cache = location / "stat-cache.json"
    written = cache.stat().st_mtime_ns
    assert update_index([archive], location).published is False
    assert cache.stat().st_mtime_ns == written  # nothing changed, nothing written
    # A touched file is read and hashed, and found unchanged by its content.
    monkeypatch.undo()
    (archive / "东方晨报/000.md").touch()
    report = update_index([archive], location)
    assert (report.published, report.unchanged) == (False, 36)


def test_a_file_that_stops_being_an_article_is_removed_and_reported(
    runner: CliRunner, archive: Path, location: Path
) -> None:
    (archive / "南岸晚报/001.md").write_text("---\nlayout: post\n---\n", encoding="utf-8")
    result = ok(runner.invoke(cli, ["update", str(archive), "--index", str(location)]))
    assert result.stdout.splitlines() == [
        "removed: 南岸晚报/001.md",
        "37 files seen: 1 removed, 35 unchanged",
        "  skipped 1: no title and no text",
    ]
    (archive / "南岸晚报/001.md").write_text(article(1, "南岸晚报", extra=(APP_PROMO,)), encoding="utf-8")
    result = ok(runner.invoke(cli, ["update", str(archive), "--index", str(location)]))
    assert result.stdout.splitlines()[0] == "added: 南岸晚报/001.md"


def test_update_without_paths_reads_the_folders_the_index_was_built_from(
    runner: CliRunner, archive: Path, location: Path
) -> None:
    write_corpus(archive, version_b())
    result = ok(runner.invoke(cli, ["update", "--index", str(location)]))
    assert "3 added, 2 changed, 2 removed, 1 renamed" in result.stdout
    manifest = json.loads((current_generation(location) / MANIFEST).read_text())
    assert manifest["roots"] == [str(archive.resolve())]


def test_check_lists_new_stale_deleted_and_renamed_files(runner: CliRunner, archive: Path, location: Path) -> None:
    result = ok(runner.invoke(cli, ["check", str(archive), "--index", str(location)]))
    assert result.stdout == "The index is up to date (37 files checked).\n"
    write_corpus(archive, version_b())
    pointer = (location / CURRENT).read_text()
    result = runner.invoke(cli, ["check", "--index", str(location)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "new: 东方晨报/036.md",
        "new: 北川财经/038.md",
        "new: 南岸晚报/037.md",
        "changed: 北川财经/002.md",
        "changed: 北川财经/005.md",
        "deleted: 北川财经/008.md",
        "deleted: 北川财经/011.md",
        "renamed: 东方晨报/003.md -> 东方晨报/renamed-003.md",
        "8 files differ from the index: 3 new, 2 changed, 2 deleted, 1 renamed (38 files checked).",
    ]
    assert result.stderr == "Hint: run zhsearch update to apply them\n"
    assert (location / CURRENT).read_text() == pointer  # check writes nothing
    data = json.loads(runner.invoke(cli, ["check", "--json", "--index", str(location)]).stdout)
    assert data["up_to_date"] is False
    assert data["renamed"] == [{"from": "东方晨报/003.md", "to": "东方晨报/renamed-003.md"}]
    update_index([archive], location)
    assert check_index([archive], location).up_to_date


def test_update_of_an_index_without_a_file_catalog_asks_for_a_rebuild(
    runner: CliRunner, archive: Path, location: Path
) -> None:
    (current_generation(location) / "files.json").unlink()
    result = runner.invoke(cli, ["update", str(archive), "--index", str(location)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the index at {location} does not record the files it was built from\n"
        "Hint: run zhsearch index to rebuild\n"
    )
    with pytest.raises(IndexIncompatibleError):
        check_index([archive], location)


def test_update_of_an_index_of_another_schema_asks_for_a_rebuild(
    runner: CliRunner, archive: Path, location: Path
) -> None:
    manifest_path = current_generation(location) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["schema_version"] = 999
    manifest["zhsearch_version"] = "9.9"
    manifest_path.write_text(json.dumps(manifest))
    for command in (["update", str(archive)], ["check", str(archive)], ["stats"]):
        result = runner.invoke(cli, [*command, "--index", str(location)])
        assert result.exit_code == 1, command
        assert result.stderr.endswith("Hint: run zhsearch index to rebuild\n"), command
        assert "written by zhsearch 9.9 with schema 999" in result.stderr
        assert "Traceback" not in result.stderr


def test_update_of_an_index_of_schema_2_asks_for_a_rebuild_while_searches_still_run(
    runner: CliRunner, archive: Path, location: Path
) -> None:
    manifest_path = current_generation(location) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["schema_version"] = 2
    manifest["zhsearch_version"] = "0.1.0"
    manifest_path.write_text(json.dumps(manifest))
    result = runner.invoke(cli, ["update", str(archive), "--index", str(location)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the index at {location} was written by zhsearch 0.1.0 with schema 2, which this zhsearch "
        "searches but cannot update (it writes schema 3)\nHint: run zhsearch index to rebuild\n"
    )
    for command in (["stats"], ["check", str(archive)]):
        assert runner.invoke(cli, [*command, "--index", str(location)]).exit_code == 0, command


def test_update_of_a_missing_index_or_folder_fails(
    runner: CliRunner, archive: Path, location: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nothing-here"
    result = runner.invoke(cli, ["update", str(archive), "--index", str(missing)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: no zhsearch index at {missing}\nHint: build one with: zhsearch index PATH --index DIR\n"
    result = runner.invoke(cli, ["update", "--index", str(missing)])
    assert result.stderr == f"Error: no zhsearch index at {missing}\nHint: build one with: zhsearch index PATH --index DIR\n"
    result = runner.invoke(cli, ["update", str(missing), "--index", str(location)])
    assert result.stderr == f"Error: no such file or folder: {missing}\nHint: check the path\n"


def test_many_small_updates_keep_few_segments_and_the_same_documents(tmp_path: Path, archive: Path, location: Path) -> None:
    files = version_a()
    for n in range(100, 124):
        files[f"北川财经/{n}.md"] = article(n, "北川财经")
        write_corpus(archive, files)
        update_index([archive], location)
    segments = list(live_segments(location))
    assert len(segments) <= 8
    build_index([archive], tmp_path / "clean")
    assert snapshot(location) == snapshot(tmp_path / "clean")


def test_stats_show_the_last_update_and_the_analyzer(runner: CliRunner, archive: Path, location: Path) -> None:
    write_corpus(archive, version_b())
    update_index([archive], location)
    lines = ok(runner.invoke(cli, ["stats", "--index", str(location)])).stdout.splitlines()
    assert lines[0] == "documents: 37"
    assert lines[5].startswith("last update: 20")
    assert lines[6] == "analyzer: version 3, jieba HMM on, traditional to simplified on, 0 user words"
    assert lines[7] == "boilerplate learned: 2 recurring paragraphs"
    assert lines[8] == "segments: 2"
    assert lines[9] == f"folders: {archive.resolve()}"
    data = json.loads(ok(runner.invoke(cli, ["stats", "--json", "--index", str(location)])).stdout)
    assert data["updated_at"] >= data["built_at"]
    assert (data["segments"], data["roots"]) == (2, [str(archive.resolve())])


def test_update_of_an_index_whose_articles_were_cleaned_by_another_version_asks_for_a_rebuild(
    runner: CliRunner, archive: Path, location: Path
) -> None:
    manifest_path = current_generation(location) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["cleaning_version"] = 0
    manifest["zhsearch_version"] = "0.0.9"
    manifest_path.write_text(json.dumps(manifest))
    result = runner.invoke(cli, ["update", str(archive), "--index", str(location)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the index at {location} was written by zhsearch 0.0.9, which read and cleaned articles differently\n"
        "Hint: run zhsearch index to rebuild\n"
    )


def test_a_title_suffix_learned_by_an_update_retitles_the_unchanged_articles(tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    topics = ["老街的早点铺", "河堤上的风筝", "夜市里的修表匠", "旧书摊的账本", "渡口的最后一班船"]

    def write(i: int) -> None:
        (folder / f"{i}.md").write_text(
            f"---\ntitle: \"{topics[i]} | 溪桥笔记\"\n---\n<p>第{i}篇的正文。</p>\n", encoding="utf-8"
        )

    for i in range(4):
        write(i)
    location = tmp_path / "index"
    build_index([folder], location)
    with open_index(location) as index:
        assert index.document("0.md").title == "老街的早点铺 | 溪桥笔记"  # 4 titles: not learned
    write(4)
    report = update_index([folder], location)
    assert (report.added, report.recleaned) == (["4.md"], ["0.md", "1.md", "2.md", "3.md"])
    build_index([folder], tmp_path / "clean")
    with open_index(location) as index, open_index(tmp_path / "clean") as clean:
        assert [index.document(f"{i}.md").title for i in range(5)] == topics
        assert [clean.document(f"{i}.md").title for i in range(5)] == topics
    (folder / "4.md").unlink()
    assert update_index([folder], location).recleaned == ["0.md", "1.md", "2.md", "3.md"]
    with open_index(location) as index:
        assert index.document("0.md").title == "老街的早点铺 | 溪桥笔记"
