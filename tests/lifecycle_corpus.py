"""Generated archives for the index lifecycle tests (articles we made up), and index snapshots.

``version_a()`` and ``version_b()`` are the same archive before and after a day of changes:
articles added, edited, deleted and renamed, and a paragraph that becomes boilerplate of one
outlet (it reaches the learning threshold of 5 articles), so that updating from one to the other
must clean unchanged articles again.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from zhsearch.search.embedded.store import current_generation

OUTLETS = ("东方晨报", "南岸晚报", "北川财经")
PLACES = ("江城", "海港", "山前", "河西", "湖东", "云岭", "石桥", "松林")
SUBJECTS = ("港口吞吐量", "夏粮收成", "地铁新线", "电动汽车销量", "旅游人数", "电价调整", "高校招生", "防汛准备")
HOTLINE = "本报热线每日开放，欢迎读者来电提供新闻线索。"  # in every 东方晨报 article: learned
APP_PROMO = "下载南岸晚报客户端，随时随地阅读本地新闻。"  # 南岸晚报: in 4 articles (A), 5 (B)


def article(n: int, outlet: str, *, extra: tuple[str, ...] = (), edit: str = "") -> str:
    place = PLACES[n % len(PLACES)]
    subject = SUBJECTS[(n * 3) % len(SUBJECTS)]
    day = 1 + n % 28
    paragraphs = [
        f"{place}市有关部门{day}日通报，今年以来{subject}同比变化{n % 17 + 3}个百分点。",
        f"记者在{place}走访发现，{subject}的变化已经影响到第{n}号街区居民的日常生活。{edit}",
        f"专家认为，{place}需要在未来{n % 5 + 2}年内继续关注{subject}，并公开更多数据。",
        *extra,
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"---\ntitle: '{place}{subject}观察之{n}'\ndate: 2021-04-{day:02d} 08:00:00 +0800\n"
        f"author: {outlet}\ncategories: [ {outlet} ]\n---\n{body}\n"
    )


def version_a() -> dict[str, str]:
    files: dict[str, str] = {}
    for n in range(36):
        outlet = OUTLETS[n % 3]
        extra: tuple[str, ...] = ()
        if outlet == OUTLETS[0]:
            extra = (HOTLINE,)
        elif outlet == OUTLETS[1] and n < 12:
            extra = (APP_PROMO,)  # n = 1, 4, 7, 10: four articles, one short of being learned
        files[f"{outlet}/{n:03d}.md"] = article(n, outlet, extra=extra)
    files["README.md"] = "# 这是仓库说明，不是文章\n"
    return files


def version_b() -> dict[str, str]:
    files = version_a()
    for n in (36, 37, 38):  # added
        outlet = OUTLETS[n % 3]
        extra = (HOTLINE,) if outlet == OUTLETS[0] else (APP_PROMO,) if outlet == OUTLETS[1] else ()
        files[f"{outlet}/{n:03d}.md"] = article(n, outlet, extra=extra)
    for n in (2, 5):  # changed
        outlet = OUTLETS[n % 3]
        files[f"{outlet}/{n:03d}.md"] = article(n, outlet, edit="更正：此前报道的数字有误。")
    for n in (8, 11):  # deleted
        del files[f"{OUTLETS[n % 3]}/{n:03d}.md"]
    files[f"{OUTLETS[0]}/renamed-003.md"] = files.pop(f"{OUTLETS[0]}/003.md")
    return files


def write_corpus(folder: Path, files: dict[str, str]) -> None:
    """Make ``folder`` hold exactly ``files`` (unchanged files are left alone)."""
    folder.mkdir(parents=True, exist_ok=True)
    for existing in [p for p in folder.rglob("*") if p.is_file()]:
        rel = existing.relative_to(folder).as_posix()
        if rel not in files:
            existing.unlink()
    for rel, text in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")


def copy_corpus(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)


Snapshot = dict[str, Any]


def snapshot(location: Path) -> Snapshot:
    """Everything the live generation says about each document, by id: stored fields, field
    lengths and every posting (term, weight, value), independent of document numbers."""
    ix = whoosh_index.open_dir(str(current_generation(location)))
    with ix.reader() as reader:
        ids = {}
        docs: dict[str, Any] = {}
        for docnum, stored in reader.iter_docs():
            ids[docnum] = stored["id"]
            # (0 and None both mean empty: which one depends on the other documents of the segment)
            lengths = tuple(
                (name, reader.doc_field_length(docnum, name) or 0) for name in sorted(reader.schema.scorable_names())
            )
            docs[stored["id"]] = {"stored": stored, "lengths": lengths}
        postings: defaultdict[str, set[tuple[Any, ...]]] = defaultdict(set)
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            while matcher.is_active():
                postings[ids[matcher.id()]].add((fieldname, text, matcher.weight(), matcher.value()))
                matcher.next()
    for doc_id, found in postings.items():
        docs[doc_id]["postings"] = frozenset(found)
    return docs
