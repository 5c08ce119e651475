"""bench/relevance.py: its scoring agrees with hand-computed figures, the baseline ranks by BM25,
and passages indexed through ``zhsearch index`` map back to their ids."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from zhsearch.search import SearchIndex
from test_bench_generate import bench_module

pytest.importorskip("ranx", reason="bench/relevance.py scores with ranx (pip install -e '.[bench]')")
relevance = bench_module("relevance")


def test_scores_agree_with_a_hand_computed_case() -> None:
    qrels = {"q1": {"a": 1, "c": 1}, "q2": {"b": 1}, "q3": {"a": 1}}
    run = {"q1": {"a": 3.0, "b": 2.0, "c": 1.0}, "q2": {"a": 2.0, "b": 1.0}, "q3": {}}
    means, per_query = relevance.score(qrels, run)
    q1 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))  # relevant at ranks 1 and 3 of 2 relevant
    q2 = (1 / math.log2(3)) / 1  # the only relevant one at rank 2
    assert per_query["ndcg@10"] == pytest.approx({"q1": q1, "q2": q2, "q3": 0.0})
    assert means["ndcg@10"] == pytest.approx((q1 + q2) / 3)
    assert means["mrr@10"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert means["recall@100"] == pytest.approx((1 + 1 + 0) / 3)
    assert relevance.zero_hit_rate(run, qrels) == pytest.approx(1 / 3)


def test_a_query_missing_from_the_run_scores_zero() -> None:
    means, _ = relevance.score({"q1": {"a": 1}, "q2": {"b": 1}}, {"q1": {"a": 1.0}})
    assert means["ndcg@10"] == pytest.approx(0.5)


def test_bigram_baseline_ranks_by_bm25() -> None:
    baseline = relevance.BigramBM25({"a": "碳中和目标", "b": "目标明确", "c": "天气晴朗"})
    assert list(baseline.search("碳中和")) == ["a"]
    assert list(baseline.search("目标")) == ["b", "a"]  # same tf, the shorter passage first
    assert baseline.search("台风") == {}
    assert relevance.bigrams("Ab 碳中") == ["ab", "b碳", "碳中"]


def test_passages_indexed_by_zhsearch_map_back_to_their_ids(tmp_path: Path) -> None:
    passages = {"0a1b2c3d4e5f": "碳中和目标在二〇六〇年前实现。", "ffeeddccbbaa": "今天天气晴朗，适合出行。"}
    relevance.build(passages, tmp_path / "index", jobs=1)
    with SearchIndex.open(tmp_path / "index") as index:
        assert len(index) == 2
        run, details = relevance.run_zhsearch(index, {"q1": "碳中和", "q2": "天气"})
    assert list(run["q1"]) == ["0a1b2c3d4e5f"] and list(run["q2"]) == ["ffeeddccbbaa"]
    assert details["q1"]["total"] == 1 and details["q1"]["seconds"] > 0


def test_the_questions_split_in_halves_by_the_parity_of_their_number() -> None:
    split = relevance.halves(["ref0", "ref1", "int12", "int7", "q"])
    assert split == {"even": ["ref0", "int12", "q"], "odd": ["ref1", "int7"]}
