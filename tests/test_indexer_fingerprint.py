"""SimHash fingerprints: stable, near-duplicates close, different texts far apart."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from zhsearch.indexer import hamming, simhash

TEXT = (
    "国家统计局今天公布，一季度国内生产总值同比增长，增速比上年四季度加快。"
    "分析人士认为，消费和出口共同拉动了经济回升，但房地产投资仍然偏弱。"
    "多家机构预计，二季度经济增速将保持平稳，政策仍有加码空间。"
)
OTHER = (
    "台风今晨在沿海地区登陆，最大风力达到十二级，多地宣布停课停工。"
    "气象部门提醒，未来两天内陆地区仍有强降雨，需防范山洪和地质灾害。"
)


def test_simhash_is_a_stable_64_bit_int() -> None:
    assert simhash(TEXT) == simhash(TEXT)
    assert 0 < simhash(TEXT) < 2**64
    assert simhash("") == 0


def test_whitespace_does_not_change_the_fingerprint() -> None:
    assert simhash(TEXT) == simhash(TEXT.replace("。", "。\n\n "))


def test_near_duplicate_is_close_and_other_text_is_far() -> None:
    edited = TEXT.replace("偏弱", "疲软")
    assert hamming(simhash(TEXT), simhash(edited)) <= 8
    assert hamming(simhash(TEXT), simhash(OTHER)) >= 16


def test_hamming() -> None:
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(2**64 - 1, 0) == 64


@given(st.text(max_size=300))
def test_simhash_never_raises(text: str) -> None:
    assert 0 <= simhash(text) < 2**64
