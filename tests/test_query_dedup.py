"""Copies of one article (the same text, or nearly: shingles ≥ 80% alike) collapse into one hit."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from zhsearch.search import Document, Duplicate, SearchIndex
from zhsearch.search.results.duplicates import DuplicateGroups
from zhsearch.web import create_app
from zhsearch.cli import cli

STORY = (
    "全国新冠疫苗接种工作今天正式开始，首批接种对象为医务人员、冷链从业人员和口岸工作人员。"
    "卫生部门表示，各地已设立接种点三千多个，接种前需要预约并如实填写健康状况。"
    "专家提醒，接种后应留观三十分钟，如出现发热等不适症状应及时就医。"
    "据介绍，疫苗费用由医保基金和财政共同负担，个人无需付费。"
)
NEAR = STORY.replace("三千多个", "三千余个") + "（编辑：王明）"  # another outlet's copy: one edit, an editor's line


def _doc(doc_id: str, title: str, text: str, *, source: str | None = None, day: int = 1,
         fingerprinted: bool = True) -> Document:
    return Document(id=doc_id, path=doc_id, title=title, text=text, source=source,
                    content_hash=hashlib.sha1(text.encode()).hexdigest() if fingerprinted else "",
                    date=datetime(2021, 3, day, tzinfo=timezone.utc))


DOCS = [
    _doc("zb", "疫苗接种开始", STORY, source="联合早报", day=1),
    _doc("sina", "疫苗接种开始", STORY, source="新浪财经", day=2),
    _doc("near", "疫苗接种开始了", NEAR, source="中央社", day=3),
    _doc("far", "疫苗供应紧张", "多地疫苗供应依然紧张，部分接种点暂停预约，下一批疫苗预计月底运到。", day=4),
    _doc("other", "疫苗出口", "疫苗出口数量增加。", day=5),
    _doc("unknown1", "疫苗研发", "疫苗研发取得进展。", day=6, fingerprinted=False),
    _doc("unknown2", "疫苗研发", "疫苗研发取得进展。", day=7, fingerprinted=False),  # no content hash: never a copy
]


def test_exact_and_near_copies_collapse_into_one_hit(docs_index: SearchIndex) -> None:
    page = docs_index.search("疫苗", sort="oldest")
    assert [h.id for h in page.hits] == ["zb", "far", "other", "unknown1", "unknown2"]
    assert page.total == 5 and page.total_counting == "groups"
    assert page.hits[0].duplicates == (
        Duplicate(id="sina", title="疫苗接种开始", source="新浪财经", date="2021-03-02T00:00:00+00:00"),
        Duplicate(id="near", title="疫苗接种开始了", source="中央社", date="2021-03-03T00:00:00+00:00"),
    )
    assert all(h.duplicates == () for h in page.hits[1:])


def test_a_page_asked_again_reads_neither_its_hits_nor_their_copies(docs_index: SearchIndex) -> None:
    """A page's hits (title, address, snippet text) and the copies named under them are kept per
    document as a long query's clause texts are: asked again, the page reads no stored document
    (main decompressed each of them, whatever its length, for every page); the page is the same."""
    first = docs_index.search("疫苗", sort="oldest").to_dict()
    assert first["hits"][0]["duplicates"]
    with docs_index._searcher() as searcher:
        reads: list[int] = []
        stored_fields = searcher.stored_fields
        searcher.stored_fields = lambda docnum: reads.append(docnum) or stored_fields(docnum)
        try:
            again = docs_index.search("疫苗", sort="oldest").to_dict()
        finally:
            searcher.stored_fields = stored_fields  # the module's index is shared: as it was
    assert again == first
    assert reads == []


def test_the_best_ranked_copy_leads_its_group(docs_index: SearchIndex) -> None:
    page = docs_index.search("疫苗", sort="newest")
    leader = next(h for h in page.hits if h.duplicates)
    assert leader.id == "near"
    assert [d.id for d in leader.duplicates] == ["zb", "sina"]


def test_only_copies_that_match_are_listed(docs_index: SearchIndex) -> None:
    page = docs_index.search('接种 "开始了"')
    assert [h.id for h in page.hits] == ["near"] and page.hits[0].duplicates == ()


def test_facets_still_count_documents(docs_index: SearchIndex) -> None:
    page = docs_index.search("疫苗")
    assert page.facets["source"] == {"中央社": 1, "新浪财经": 1, "联合早报": 1}
    assert page.to_dict()["facet_counting"] == "documents"


def test_dedup_off_lists_every_copy(docs_index: SearchIndex) -> None:
    page = docs_index.search("疫苗", dedup=False, sort="oldest")
    assert [h.id for h in page.hits] == [d.id for d in DOCS]
    assert page.total == 7 and page.total_counting == "documents"
    assert all(h.duplicates == () for h in page.hits)


def test_pages_of_groups(docs_index: SearchIndex) -> None:
    pages = [docs_index.search("疫苗", sort="oldest", limit=2, page=p) for p in (1, 2, 3, 4)]
    assert [[h.id for h in p.hits] for p in pages] == [["zb", "far"], ["other", "unknown1"], ["unknown2"], []]
    assert {p.total for p in pages} == {5} and pages[0].pages == 3


def test_json_form(docs_index: SearchIndex) -> None:
    data = docs_index.search("疫苗", sort="oldest", limit=1).to_dict()
    assert data["total_counting"] == "groups"
    assert data["hits"][0]["duplicates"] == [
        {"id": "sina", "title": "疫苗接种开始", "source": "新浪财经", "date": "2021-03-02T00:00:00+00:00"},
        {"id": "near", "title": "疫苗接种开始了", "source": "中央社", "date": "2021-03-03T00:00:00+00:00"},
    ]


def test_cli_no_dedup(docs_index_dir: Path) -> None:
    runner = CliRunner(env={"ZHSEARCH_INDEX": None})
    args = ["search", "--index", str(docs_index_dir), "--sort", "oldest"]
    grouped = runner.invoke(cli, [*args, "疫苗"])
    assert grouped.exit_code == 0
    assert "5 results for '疫苗'" in grouped.stdout
    assert "   also: sina  [新浪财经 · 2021-03-02]" in grouped.stdout
    flat = runner.invoke(cli, [*args, "--no-dedup", "--json", "疫苗"])
    assert json.loads(flat.stdout)["total"] == 7


def test_http_dedup_parameter(docs_index: SearchIndex) -> None:
    client = create_app({"INDEX": docs_index, "TESTING": True}).test_client()
    assert client.get("/api/search?q=疫苗").get_json()["total"] == 5
    data = client.get("/api/search?q=疫苗&dedup=false").get_json()
    assert (data["total"], data["total_counting"]) == (7, "documents")


def test_groups_from_texts() -> None:
    groups = DuplicateGroups([(0, STORY), (1, STORY + "\n\n"), (2, NEAR), (3, "疫苗出口数量增加。"), (4, ""), (5, "")])
    assert groups.group(1) == 0 and groups.group(2) == 0 and groups.group(3) == 3
    assert groups.group(5) == 5  # empty texts are never copies
    assert groups.count(range(6)) == 4
    assert groups.others(0, {0, 1, 3}) == [1]


def test_duplicate_groups_are_saved_beside_the_generation(docs_index_dir: Path) -> None:
    from zhsearch.search.embedded.store import current_generation

    caches = list(current_generation(docs_index_dir).glob("duplicates-*-v2.npy"))
    assert len(caches) == 1  # written with the generation
    with SearchIndex.open(docs_index_dir) as first:
        computed = first.search("", dedup=True)
        reader = first._ix.reader()
        try:
            groups = DuplicateGroups.from_reader(reader).members
        finally:
            reader.close()
    assert groups and DuplicateGroups.from_array(np.load(caches[0])).members == groups
    good = caches[0].read_bytes()
    caches[0].write_bytes(b"not an array")  # a damaged table is not trusted, nor computed by a search
    with SearchIndex.open(docs_index_dir) as second:
        uncollapsed = second.search("", dedup=True)
        assert second.missing_tables() == ("duplicates",)
        assert second.save_tables() == ["duplicates"]
        loaded = second.search("", dedup=True)  # the file replaced since is read again
    assert uncollapsed.total_counting == "documents" and all(not h.duplicates for h in uncollapsed.hits)
    assert [(h.id, h.duplicates) for h in loaded.hits] == [(h.id, h.duplicates) for h in computed.hits]
    assert loaded.total == computed.total and loaded.total_counting == "groups"
    assert caches[0].read_bytes() == good
