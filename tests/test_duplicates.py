"""Near-duplicate groups: copies with small edits collapse, same-topic articles and chains do not."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
import numpy as np
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from zhsearch.indexer import build_index, update_index
from zhsearch.search import open_index
from zhsearch.search.results import duplicates
from zhsearch.search.results.duplicates import (
    DEFAULT_THRESHOLD,
    Carried,
    DuplicateFinder,
    DuplicateGroups,
    band_pairs,
    check_threshold,
    jaccard,
    lsh_bands,
    text_shingles,
)
from zhsearch.search.errors import InvalidArgumentError
from zhsearch.search.embedded.store import MANIFEST, current_generation
from zhsearch.cli import cli

SEEDS = st.integers(0, 2**32)


def _ideographs(rng: random.Random, size: int) -> str:
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(size))


def _sentences(seed: int, count: int) -> list[str]:
    """Sentences of random ideographs: no two share a 5-character run by accident."""
    rng = random.Random(seed)
    return [_ideographs(rng, rng.randint(15, 30)) + "。" for _ in range(count)]


@st.composite
def copies(draw: st.DrawFn) -> tuple[str, str]:
    """An article and a copy with at most three edits (deleted, inserted or replaced runs of
    text: an editor's line, a changed figure, a dropped clause) of at most 5% of it in all."""
    article = "".join(_sentences(draw(SEEDS), draw(st.integers(15, 40))))
    rng = random.Random(draw(SEEDS))
    budget = len(article) // 20
    copy = article
    for _ in range(draw(st.integers(0, 3))):
        size = draw(st.integers(0, budget))
        budget -= size
        at = draw(st.integers(0, len(copy) - size))
        kind = draw(st.sampled_from(["delete", "insert", "replace"]))
        new = _ideographs(rng, size) if kind != "delete" else ""
        copy = copy[:at] + new + copy[at + (0 if kind == "insert" else size):]
    return article, copy


@settings(max_examples=60, deadline=None)
@given(copies(), st.sampled_from(["", "\n（编辑：李华）", "\n\n"]))
def test_a_copy_with_small_edits_collapses_with_its_article(pair: tuple[str, str], footer: str) -> None:
    article, copy = pair
    groups = DuplicateGroups([(0, article), (1, copy + footer)])
    assert groups.group(1) == 0 and groups.members == {0: (0, 1)}


@settings(max_examples=40, deadline=None)
@given(st.lists(SEEDS, min_size=2, max_size=2, unique=True), SEEDS, st.integers(3, 12))
def test_different_articles_on_one_topic_stay_apart(seeds: list[int], topic_seed: int, phrases: int) -> None:
    """Two articles that share the topic's names, places and figures (a quarter of their text
    or more) but are written differently."""
    rng = random.Random(topic_seed)
    topic = [_ideographs(rng, rng.randint(4, 8)) for _ in range(phrases)]
    texts = ["".join(s[:-1] + rng.choice(topic) + "。" for s in _sentences(seed, 20)) for seed in seeds]
    groups = DuplicateGroups(enumerate(texts))
    assert groups.members == {}


def test_two_reports_of_one_event_are_not_copies() -> None:
    first = (
        "中国人民银行今天宣布，决定于本月十五日下调金融机构存款准备金率零点五个百分点，释放长期资金约一万亿元。"
        "央行有关负责人表示，此次降准是货币政策的常规操作，稳健的货币政策取向没有改变。"
        "分析人士认为，降准有助于降低银行资金成本，从而引导贷款利率下行，支持中小企业。"
    )
    second = (
        "央行宣布降准零点五个百分点，释放长期资金约一万亿元，市场此前已有预期。"
        "多位经济学家认为，在原材料价格上涨、中小企业经营承压的背景下，降准能够缓解企业融资难题。"
        "也有观点指出，稳健的货币政策取向没有改变，后续是否进一步宽松仍要看经济数据。"
    )
    assert jaccard(text_shingles(first), text_shingles(second)) < 0.2
    assert DuplicateGroups([(0, first), (1, second)]).members == {}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 39), st.integers(0, 39)), max_size=12))
def test_every_member_of_a_group_is_within_the_threshold_of_every_other(edits: list[tuple[int, int, int]]) -> None:
    """Versions of one article, each replacing some sentences of another: whatever the chains, a
    group never holds two texts less alike than the threshold."""
    versions = [_sentences(1, 40)]
    spare = iter(_sentences(2, 500))
    for parent, start, length in edits:
        version = list(versions[parent % len(versions)])
        for i in range(start, min(start + length % 6, len(version))):
            version[i] = next(spare)
        versions.append(version)
    texts = ["".join(v) for v in versions]
    groups = DuplicateGroups(enumerate(texts))
    for members in groups.members.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                assert jaccard(text_shingles(texts[a]), text_shingles(texts[b])) >= DEFAULT_THRESHOLD
    assert all(groups.group(d) == groups.group(0) for d in range(len(texts)) if texts[d] == texts[0])


def test_complete_linkage_does_not_chain_different_stories() -> None:
    base = _sentences(3, 20)
    spare = _sentences(4, 4)
    a = "".join(base)
    b = "".join(spare[:2] + base[2:])  # two sentences replaced
    c = "".join(spare[:2] + base[2:18] + spare[2:])  # and two more, at the other end
    similarity = {(x, y): jaccard(text_shingles(p), text_shingles(q)) for x, p in enumerate((a, b, c))
                  for y, q in enumerate((a, b, c))}
    assert similarity[0, 1] >= 0.8 and similarity[1, 2] >= 0.8 and similarity[0, 2] < 0.8
    groups = DuplicateGroups([(0, a), (1, b), (2, c)])
    assert groups.group(0) != groups.group(2)
    assert list(groups.members.values()) in ([(0, 1)], [(1, 2)])


def _chain_of_equal_links() -> tuple[str, str, str]:
    """b, and a and c that each replace one run of b of the same length, far apart: a~b and b~c
    are exactly as alike, a and c not alike enough."""
    base = "".join(_sentences(11, 14))
    rng = random.Random(12)
    a = base[:20] + _ideographs(rng, 30) + base[50:]
    c = base[:-80] + _ideographs(rng, 30) + base[-50:]
    return a, base, c


def test_groups_do_not_depend_on_the_order_texts_come_in() -> None:
    a, b, c = _chain_of_equal_links()
    similarity = {p: jaccard(text_shingles(x), text_shingles(y)) for p, (x, y) in {"ab": (a, b), "bc": (b, c), "ac": (a, c)}.items()}
    assert similarity["ab"] == similarity["bc"] >= 0.8 > similarity["ac"]  # a tie for the first link
    texts = {"a": a, "b": b, "c": c}
    seen = []
    for order in ("abc", "cba", "bac", "bca"):
        groups = DuplicateGroups(enumerate(texts[name] for name in order))
        seen.append(sorted(sorted(order[d] for d in members) for members in groups.members.values()))
    assert seen[1:] == seen[:1] * 3 and len(seen[0]) == 1


def test_a_carry_gives_the_groups_that_computing_afresh_gives() -> None:
    """Generations of an archive whose texts come, change and go: the groups found with what the
    generation before left are those found from scratch, and only new texts are hashed."""
    rng = random.Random(21)
    stories = [_sentences(100 + i, 40) for i in range(60)]
    spare = iter(_sentences(99, 2000))

    def version(story: int) -> str:
        sentences = list(stories[story])
        for _ in range(rng.randint(0, 2)):
            sentences[rng.randrange(len(sentences))] = next(spare)
        return "".join(sentences)

    archive = {f"{s}-{n}": version(s) for s in range(60) for n in range(rng.randint(1, 4) if s < 6 else 1)}
    carried = None
    before: set[str] = set()
    for step in range(8):
        ids = sorted(archive, key=lambda _: rng.random())  # a generation numbers documents its own way
        text = {docnum: archive[i] for docnum, i in enumerate(ids)}
        fresh = DuplicateFinder(text_of=text.__getitem__)
        finder = DuplicateFinder(text_of=text.__getitem__, carried=carried)
        for docnum, body in text.items():
            digest = hashlib.sha1(body.encode("utf-8")).hexdigest()
            fresh.add(docnum, body, content_hash=digest)
            finder.add(docnum, body, content_hash=digest)
        assert finder.roots() == fresh.roots()
        assert len(set(fresh.roots().values())) >= 3, "the archive has copies"
        if carried is not None:
            assert finder.computed == sum(1 for body in text.values() if body not in before)
        carried = Carried.from_bytes(finder.carry().to_bytes())
        before = set(text.values())
        for i in rng.sample(sorted(archive), 30 if step == 4 else 3):  # edited, some far enough to leave their group
            archive[i] = version(int(i.split("-")[0])) if rng.random() < 0.5 else "".join(_sentences(rng.randrange(10**6), 20))
        story = rng.randrange(6)
        archive[f"{story}-new{step}"] = version(story)
        del archive[rng.choice(sorted(archive))]


def test_a_damaged_carry_is_refused() -> None:
    finder = DuplicateFinder(text_of=lambda d: "")
    finder.add(0, "".join(_sentences(1, 5)), content_hash="0" * 40)
    data = finder.carry().to_bytes()
    assert Carried.from_bytes(data).units.keys() == {bytes(20)}
    for damaged in (data[:50], b"not a zip", data.replace(b"scheme", b"schema")):
        with pytest.raises(ValueError):
            Carried.from_bytes(damaged)


def test_a_higher_threshold_keeps_only_closer_copies() -> None:
    article = "".join(_sentences(5, 20))
    copy = article[:-40] + "".join(_sentences(6, 2))
    alike = jaccard(text_shingles(article), text_shingles(copy))
    assert 0.8 <= alike < 0.95
    assert DuplicateGroups([(0, article), (1, copy)]).members == {0: (0, 1)}
    assert DuplicateGroups([(0, article), (1, copy)], threshold=0.95).members == {}
    assert DuplicateGroups([(0, article), (1, article), (2, copy)], threshold=1).members == {0: (0, 1)}


def test_pairs_at_the_threshold_are_lsh_candidates_almost_always() -> None:
    for threshold in (0.5, 0.8, 0.9, 1.0):
        bands, rows = lsh_bands(threshold)
        assert bands * rows <= 64 and (1 - threshold**rows) ** bands <= 0.001


@pytest.mark.parametrize("value", [0.3, 1.5, float("nan"), "high"])
def test_threshold_out_of_range(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="the duplicate threshold must be between 0.5 and 1"):
        check_threshold(value)  # type: ignore[arg-type]


# -- an index, its updates and the CLI --------------------------------------------------------

STORY = _sentences(7, 16)
OTHER = _sentences(8, 16)


def _post(title: str, sentences: list[str], outlet: str) -> str:
    body = "".join(f"<p>{s}</p>" for s in sentences)
    return f"---\ntitle: '{title}'\ndate: 2021-04-01 08:00:00 +0800\nauthor: {outlet}\n---\n{body}\n"


def _groups(location: Path) -> list[list[str]]:
    """The groups of copies of the live generation, by article id, as saved with it."""
    with open_index(location) as index:
        page = index.search("", limit=100, sort="oldest")
        found = sorted(sorted([h.id, *(d.id for d in h.duplicates)]) for h in page.hits if h.duplicates)
        reader = index._ix.reader()
        try:
            fresh = DuplicateGroups.from_reader(reader, threshold=index.manifest.get("duplicate_threshold", 0.8))
            ids = {d: reader.stored_fields(d)["id"] for d in fresh.root}
        finally:
            reader.close()
    assert found == sorted(sorted(ids[d] for d in m) for m in fresh.members.values())  # saved = computed afresh
    return found


def test_update_keeps_groups_right_as_copies_come_and_go(tmp_path: Path) -> None:
    archive, location = tmp_path / "posts", tmp_path / "index"
    archive.mkdir()
    (archive / "a.md").write_text(_post("航运观察", STORY, "晨报"), encoding="utf-8")
    (archive / "b.md").write_text(_post("另一篇", OTHER, "晨报"), encoding="utf-8")
    build_index([archive], location)
    assert _groups(location) == []
    edited = STORY[:-1] + ["（本报记者 王明 编辑 李华）"]
    (archive / "c.md").write_text(_post("航运观察：运价回落", edited, "晚报"), encoding="utf-8")
    (archive / "d.md").write_text(_post("航运观察", STORY, "日报"), encoding="utf-8")
    update_index([archive], location)
    assert _groups(location) == [["a.md", "c.md", "d.md"]]
    (archive / "a.md").unlink()
    (archive / "d.md").unlink()
    update_index([archive], location)
    assert _groups(location) == []
    (archive / "d.md").write_text(_post("航运观察", STORY, "日报"), encoding="utf-8")
    update_index([archive], location)
    assert _groups(location) == [["c.md", "d.md"]]


def test_an_update_hashes_only_new_texts_and_groups_as_a_rebuild_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive, location, rebuilt = tmp_path / "posts", tmp_path / "index", tmp_path / "rebuilt"
    archive.mkdir()
    outlets = ["晨报", "晚报", "日报"]
    stories = [_sentences(200 + i, 16) for i in range(12)]
    for i, story in enumerate(stories):
        for n in range(3 if i < 3 else 1):  # three stories carried by three outlets, with an editor's line
            (archive / f"{i}-{n}.md").write_text(_post(f"报道{i}", story + [f"（编辑 {outlets[n]}）"], outlets[n]), encoding="utf-8")
    build_index([archive], location)
    assert _groups(location) == [["0-0.md", "0-1.md", "0-2.md"], ["1-0.md", "1-1.md", "1-2.md"],
                                 ["2-0.md", "2-1.md", "2-2.md"]]
    (archive / "0-1.md").write_text(_post("报道0", stories[0][:8] + OTHER, "晚报"), encoding="utf-8")  # leaves its group
    (archive / "1-2.md").unlink()
    (archive / "5-1.md").write_text(_post("报道5", stories[5], "晚报"), encoding="utf-8")  # joins one
    hashed: list[int] = []
    batch = MinHash.update_batch
    monkeypatch.setattr(MinHash, "update_batch", lambda self, values: (hashed.append(1), batch(self, values))[1])
    update_index([archive], location)
    assert len(hashed) == 2  # the changed text and the new one: every other signature was carried
    monkeypatch.undo()
    build_index([archive], rebuilt)
    expected = [["0-0.md", "0-2.md"], ["1-0.md", "1-1.md"], ["2-0.md", "2-1.md", "2-2.md"], ["5-0.md", "5-1.md"]]
    assert _groups(location) == _groups(rebuilt) == expected


def test_the_threshold_is_recorded_and_kept_by_updates(tmp_path: Path, runner: CliRunner) -> None:
    archive, location = tmp_path / "posts", tmp_path / "index"
    archive.mkdir()
    (archive / "a.md").write_text(_post("航运观察", STORY, "晨报"), encoding="utf-8")
    result = runner.invoke(cli, ["index", str(archive), "--index", str(location), "--duplicate-threshold", "0.99",
                                 "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((current_generation(location) / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["duplicate_threshold"] == 0.99
    (archive / "c.md").write_text(_post("航运观察", STORY[:-1] + ["（编辑 李华）"], "晚报"), encoding="utf-8")
    update_index([archive], location)
    manifest = json.loads((current_generation(location) / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["duplicate_threshold"] == 0.99
    assert _groups(location) == []  # about 0.9 alike: copies at 0.8, not at 0.99


@pytest.mark.parametrize("value", ["0.3", "1.2"])
def test_cli_rejects_a_threshold_out_of_range(tmp_path: Path, runner: CliRunner, value: str) -> None:
    archive = tmp_path / "posts"
    archive.mkdir()
    (archive / "a.md").write_text(_post("航运观察", STORY, "晨报"), encoding="utf-8")
    result = runner.invoke(cli, ["index", str(archive), "--index", str(tmp_path / "index"),
                                 "--duplicate-threshold", value, "-q"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the duplicate threshold must be between 0.5 and 1 (the Jaccard similarity of two texts' "
        f"5-character shingles), not {float(value)!r}\n"
        "Hint: the default is 0.8; 1 collapses only identical texts\n"
    )
    assert not (tmp_path / "index").exists()


@settings(max_examples=25, deadline=None)
@given(SEEDS, st.integers(2, 60), st.sampled_from([(16, 4), (32, 2), (10, 6), (2, 32)]))
def test_band_pairs_are_the_candidates_of_datasketch_lsh(seed: int, count: int, banding: tuple[int, int]) -> None:
    """Random signatures with values copied between them (whole bands or single values): the
    pairs sharing a band are exactly those ``datasketch``'s ``MinHashLSH`` returns."""
    from datasketch import MinHashLSH

    rng = random.Random(seed)
    empty = MinHash(num_perm=64, hashfunc=int)
    signatures = {bytes([i]) * 20: np.array([rng.randrange(4) for _ in range(64)], dtype=np.uint64)
                  for i in range(count)}
    keys = list(signatures)
    for _ in range(rng.randrange(count)):  # copies of bands and of values between signatures
        a, b = rng.choice(keys), rng.choice(keys)
        band = rng.randrange(banding[0]) * banding[1]
        signatures[a][band : band + banding[1]] = signatures[b][band : band + banding[1]]
    lsh = MinHashLSH(num_perm=64, params=banding)
    expected = set()
    for key in keys:
        minhash = MinHash(num_perm=64, hashvalues=signatures[key], permutations=empty.permutations, scheme=empty.scheme)
        expected.update((key, other) if key < other else (other, key) for other in lsh.query(minhash))
        lsh.insert(key, minhash)
    assert band_pairs(keys, signatures, *banding) == expected


def test_finding_copies_builds_no_lsh_hash_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The candidates come from sorting the signatures' bands, not from ``MinHashLSH`` (whose hash
    tables took about 5 kB per text, the largest part of an index build's last step)."""
    import datasketch

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("MinHashLSH built")

    monkeypatch.setattr(datasketch, "MinHashLSH", refused)
    base = "".join(_sentences(5, 30))
    texts = [base, base[:-20] + "又一句话。", "".join(_sentences(6, 30))]
    assert DuplicateGroups(enumerate(texts)).members == {0: (0, 1)}


def test_shingles_read_again_are_kept_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts read again (``text_of``) to measure the candidate pairs: their shingles are kept up
    to MAX_SHINGLE_BYTES (then read once more when needed), and the groups are the same."""
    stories = [_sentences(200 + i, 30) for i in range(12)]
    texts = []
    for story in stories:  # each story, and two copies with one sentence changed
        texts += ["".join(story), "".join(story[:-1]) + "另一句。", "".join(story[1:])]

    def groups(bound: int) -> tuple[dict[int, int], int]:
        monkeypatch.setattr(duplicates, "MAX_SHINGLE_BYTES", bound)
        finder = DuplicateFinder(text_of=texts.__getitem__)
        for docnum, text in enumerate(texts):
            finder.add(docnum, text)
        roots = finder.roots()
        return roots, sum(s.nbytes for s in finder._shingles.values())

    unbounded, _ = groups(2**40)
    one_text = text_shingles(texts[0]).nbytes
    bounded, kept = groups(2 * one_text)
    assert bounded == unbounded and len(set(unbounded.values())) == 12
    assert kept <= 2 * one_text + max(text_shingles(t).nbytes for t in texts)
