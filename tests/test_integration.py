"""The whole pipeline over real archives in ../shared/corpus (skipped when they are absent)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from flask.testing import FlaskClient

from zhsearch.indexer import IndexReport, build_index
from zhsearch.search import SearchIndex
from zhsearch.web import create_app

pytestmark = pytest.mark.corpus

WAIMEI_FILES = 300


@pytest.fixture(scope="module")
def real_index(
    shared_corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SearchIndex, IndexReport, list[str]]]:
    """The two seed samples plus the first 300 waimei files, linked (not copied) into a tmp tree."""
    waimei = shared_corpus / "waimei-2020q3"
    if not waimei.is_dir():
        pytest.skip(f"the waimei archive is not available at {waimei}")
    root = tmp_path_factory.mktemp("real")
    files = sorted(p for p in waimei.rglob("*.md") if p.is_file())[:WAIMEI_FILES]
    linked = root / "waimei-2020q3"
    for file in files:
        target = linked / file.relative_to(waimei)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(file)
    location = root / "index"
    report = build_index([shared_corpus / "samples", linked], location)
    ids = [f"waimei-2020q3/{f.relative_to(waimei).as_posix()}" for f in files]
    index = SearchIndex.open(location)
    yield index, report, ids
    index.close()


def test_build_sees_every_file(real_index) -> None:
    index, report, _ = real_index
    assert report.seen == WAIMEI_FILES + 2
    assert report.indexed == len(index)
    assert report.indexed >= 0.95 * report.seen, report.summary()


def test_carbon_neutrality_finds_both_samples(real_index) -> None:
    index, _, _ = real_index
    found = {h.id for h in index.search("碳中和", limit=100).hits}
    assert {"samples/sina-hexo-seed.md", "samples/zaobao-jekyll-seed.md"} <= found


def test_samples_are_cleaned(real_index) -> None:
    index, _, _ = real_index
    sina = index.document("samples/sina-hexo-seed.md")
    assert sina.title == "韩正同美国总统气候问题特使克里举行视频会见"
    assert sina.source == "新浪财经"
    for residue in ("责任编辑", "原标题", "&#123;", "appendQr", "尽在新浪财经APP"):
        assert residue not in sina.text
    zaobao = index.document("samples/zaobao-jekyll-seed.md")
    assert zaobao.url == "https://www.zaobao.com/realtime/china/story20210417-1140067"
    assert zaobao.source == "联合早报"
    assert zaobao.date is not None and zaobao.date.year == 2021


@pytest.mark.parametrize("position", [0, 57, 123, 199, 251, 299])
def test_a_title_finds_its_article_in_the_top_three(real_index, position: int) -> None:
    index, report, ids = real_index
    doc_id = ids[position]
    skipped = {o.path for o in report.outcomes if o.status == "skipped"}
    if doc_id in skipped:
        pytest.skip(f"{doc_id} was skipped by the indexer")
    title = index.document(doc_id).title
    top = [h.id for h in index.search(title, limit=3).hits]
    assert doc_id in top, (title, top)


@pytest.mark.parametrize("query", ["碳中和", "香港", "美国 OR 中国", '"国家安全法', "-中国", "COVID-19", "臺灣", "the", "！"])
def test_app_never_answers_5xx(real_index, query: str) -> None:
    index, _, ids = real_index
    client: FlaskClient = create_app({"INDEX": index, "TESTING": True}).test_client()
    for path in ("/search?", "/api/search?"):
        response = client.get(path + urlencode({"q": query}))
        assert response.status_code == 200, (path, query)
    first = client.get("/api/search?" + urlencode({"q": query, "limit": 3})).get_json()
    for hit in first["hits"]:
        assert client.get("/doc/" + quote(hit["id"]) + "?" + urlencode({"q": query})).status_code == 200
        assert client.get("/api/doc/" + quote(hit["id"])).status_code == 200
