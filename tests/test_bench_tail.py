"""bench/tail.py: the random query mix draws every kind, well formed, and the report runs end to end."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from zhsearch.indexer import build_index
from zhsearch.search import SearchIndex
from test_bench_generate import bench_module

tail = bench_module("tail")

# Fictional articles written for this test: long paragraphs with punctuation, titles of several words.
ARTICLES = {
    "2021/港口.md": ("沿海港口集装箱吞吐量创新高",
                     "今年前五个月，沿海港口集装箱吞吐量同比增长百分之十二，创下历史新高。港口管理部门表示，"
                     "航运需求回暖、新航线开通以及自动化码头投入使用，是吞吐量增长的主要原因；分析人士则提醒，"
                     "运价波动和港口拥堵仍可能影响下半年的表现。\n\n"
                     "记者在码头看到，装卸桥昼夜不停地作业，集卡排起长队。一位调度员说，最忙的时候一天要安排上千个班次。"),
    "2021/夏粮.md": ("夏粮收购进度过半 农民增收",
                     "据农业部门统计，截至本周末，主产区夏粮收购进度已经过半，收购价格总体平稳，略高于去年同期。"
                     "多地粮库延长了开放时间，并且提供上门收购服务，方便农民及时售粮；粮食企业也加大了烘干设备的投入，"
                     "减少雨季带来的损失。\n\n"
                     "一位种粮大户算了一笔账：今年小麦亩产提高，价格又好，每亩能多收入两百元左右。"),
    "2020/台风.md": ("台风登陆东南沿海 多地停课停工",
                     "受今年第四号台风影响，东南沿海多地出现强降雨和大风天气，部分地区降雨量超过两百毫米。"
                     "气象台发布橙色预警，提醒市民减少外出，远离海边和低洼地带；交通部门暂停了部分航班和渡轮，"
                     "铁路部门也调整了列车运行图。\n\n"
                     "截至发稿时，当地已经转移安置群众三万多人，暂无人员伤亡的报告。"),
    "2022/芯片.md": ("新能源汽车芯片短缺有所缓解",
                     "汽车行业协会称，随着多家芯片工厂扩产，新能源汽车芯片短缺的情况有所缓解，整车企业的交付周期明显缩短。"
                     "不过，高端芯片仍然依赖进口，行业人士呼吁加大研发投入，完善上下游配套，提高供应链的韧性；"
                     "地方政府也出台了补贴政策，吸引芯片企业落户。\n\n"
                     "一家车企的负责人说，订单排到了明年春天，工厂正在招聘更多的工人。"),
}


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tail-corpus")
    for name, (title, text) in ARTICLES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: {title}\ndate: 2021-06-01\n---\n\n{text}\n", encoding="utf-8")
    location = tmp_path_factory.mktemp("tail-index") / "index"
    build_index([root], location)
    return location


@pytest.fixture(scope="module")
def samples(tiny_index: Path) -> list:  # type: ignore[type-arg]
    with SearchIndex.open(tiny_index) as index:
        articles = list(index.documents())
    return tail.Sampler(articles, random.Random(5), tail.jieba_segmenter()).draw(3)


def test_every_kind_is_drawn(samples: list) -> None:  # type: ignore[type-arg]
    counts = {kind: sum(1 for s in samples if s.kind == kind) for kind in tail.KINDS}
    assert counts == {kind: 3 for kind in tail.KINDS}


def test_each_kind_is_well_formed(samples: list) -> None:  # type: ignore[type-arg]
    titles = {title: f"{name}" for name, (title, _) in ARTICLES.items()}
    texts = {name: text for name, (_, text) in ARTICLES.items()}
    everything = "\n".join(f"{title}\n{text}" for title, text in ARTICLES.values())
    for s in samples:
        if s.kind == "title":
            assert titles[s.query] == s.target
        elif s.kind == "run_together":
            title = ARTICLES[s.target][0]
            assert " " not in s.query and s.query != title and 4 <= len(s.query) <= len(title)
            assert all(c in title for c in s.query)
        elif s.kind == "substring":
            assert 2 <= len(s.query) <= 4 and s.query in texts[s.target]
            assert not any(tail.is_punctuation(c) or c.isspace() for c in s.query)
        elif s.kind == "rare":
            assert tail.is_word(s.query)
            assert 1 <= sum(s.query in f"{t}\n{x}" for t, x in ARTICLES.values()) <= tail.RARE_DOCUMENTS
        elif s.kind == "paragraph":
            assert 80 <= len(s.query) <= 300 and s.query in texts[s.target] and "\n" not in s.query
        elif s.kind == "quoted":
            assert s.query.startswith('"') and s.query.endswith('"')
            inside = s.query[1:-1]
            assert inside in texts[s.target] and sum(map(tail.is_punctuation, inside)) == 1
            assert not tail.is_punctuation(inside[0]) and not tail.is_punctuation(inside[-1])
        elif s.kind == "zero_hit":
            assert s.target is None and s.query not in everything and len(s.query) >= 4
        elif s.kind == "pinyin_typo":
            if s.note.startswith("pinyin"):
                assert re.fullmatch(r"[a-z]+", s.query)
            else:
                word = s.note.removeprefix("typo of ")
                assert len(s.query) == len(word) and sum(a != b for a, b in zip(s.query, word)) == 1
                assert word in ARTICLES[s.target][0]


def test_the_same_seed_draws_the_same_mix(tiny_index: Path, samples: list) -> None:  # type: ignore[type-arg]
    with SearchIndex.open(tiny_index) as index:
        articles = list(index.documents())
    assert tail.Sampler(articles, random.Random(5), tail.jieba_segmenter()).draw(3) == samples


def test_the_draw_in_a_child_process_is_the_draw_in_this_one(tiny_index: Path, samples: list) -> None:  # type: ignore[type-arg]
    """tail.py draws apart (the sampler's tables stay out of the timed process): the same samples,
    targets and notes included."""
    assert tail.draw_apart(str(tiny_index), cluster=False, seed=5, per_kind=3) == samples


def test_report_runs_end_to_end_through_python(
    tiny_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tail.json"
    args = ["--index", str(tiny_index), "--seed", "11", "--per-kind", "2", "--repeat", "1",
            "--cli-per-kind", "0", "--no-http", "--json", str(out)]
    assert tail.main(args) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("seed 11 ") and "run-together title words: article first" in printed
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["seed"] == 11 and set(figures["kinds"]) == set(tail.KINDS)
    assert figures["kinds"]["title"]["top1"] == 1.0
    assert all(f["python_ms"]["n"] == 2 for f in figures["kinds"].values())


def test_a_saved_draw_is_searched_again_on_each_backend(
    tiny_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replay = bench_module("replay")
    out = tmp_path / "tail.json"
    assert tail.main(["--index", str(tiny_index), "--seed", "12", "--per-kind", "2", "--repeat", "1",
                      "--cli-per-kind", "0", "--no-http", "--json", str(out)]) == 0
    recorded = json.loads(out.read_text(encoding="utf-8"))["samples"]
    loaded = replay.load_draw(str(out))
    assert [(s.kind, s.query, s.target) for s in loaded] == [(s["kind"], s["query"], s["target"]) for s in recorded]
    capsys.readouterr()
    assert replay.main(["--draw", str(out), "--index", str(tiny_index), "--index", str(tiny_index), "--repeat", "1"]) == 0
    printed = capsys.readouterr().out
    assert printed.count(f"index {tiny_index}") == 2
    assert all(f"  {kind} " in printed for kind in {s.kind for s in loaded})
    assert f"same totals as the first backend: {len(loaded)} of {len(loaded)}" in printed


def test_a_saved_draw_summary_is_per_kind_over_every_round() -> None:
    replay = bench_module("replay")
    samples = [tail.Sample("quoted", '"甲，乙"'), tail.Sample("rare", "丙"), tail.Sample("quoted", '"丁，戊"')]
    figures = replay.summary(samples, [[0.010, 0.030], [0.002], [0.020, 0.040]])
    assert list(figures) == ["quoted", "rare"]
    assert figures["quoted"][2] == pytest.approx(40.0) and figures["quoted"][0] == pytest.approx(25.0)
    assert figures["rare"] == pytest.approx((2.0, 2.0, 2.0))
