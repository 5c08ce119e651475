"""bench/duplicates.py: its precision and recall agree with hand-counted pairs, and its edits
move a copy away from its article as the rate grows."""

from __future__ import annotations

import random

import numpy as np

from zhsearch.search.results.duplicates import DuplicateGroups, jaccard, text_shingles
from test_bench_generate import bench_module

duplicates = bench_module("duplicates")


def test_precision_and_recall_of_hand_counted_pairs() -> None:
    groups = DuplicateGroups.from_array(np.array([[0, 0], [1, 0], [2, 0], [4, 4], [5, 4]]))
    Pair = duplicates.Pair
    pairs = [
        Pair("edited", 0, 1, 0.9),  # a copy, collapsed
        Pair("edited", 0, 2, 0.7),  # not a copy, collapsed: wrong
        Pair("edited", 3, 4, 0.85),  # a copy, missed
        Pair("same topic", 4, 5, 0.95),  # a copy, collapsed
        Pair("same topic", 3, 6, 0.1),  # apart, and rightly
    ]
    figures = duplicates.score(pairs, groups, 0.8)
    assert (figures["true"], figures["false"], figures["missed"]) == (2, 1, 1)
    assert figures["precision"] == 2 / 3 and figures["recall"] == 2 / 3


def test_edits_grow_with_the_rate() -> None:
    rng = random.Random(3)
    text = "".join("".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(20)) + "。" for _ in range(60))
    donors = ["".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(20)) + "。" for _ in range(20)]
    similarity = [
        jaccard(text_shingles(text), text_shingles(duplicates.edit(text, rate, random.Random(5), donors)))
        for rate in (0.0, 0.05, 0.2, 0.5)
    ]
    assert similarity[0] > 0.97  # at most an editor's line added
    assert similarity == sorted(similarity, reverse=True) and similarity[-1] < 0.5
