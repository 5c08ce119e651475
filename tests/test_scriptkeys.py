"""The saved script keys: a query without any of them has no script variant."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from zhsearch.search.text import normalize
from zhsearch.search.text.scriptkeys import KEYS_FILE, _keys, may_vary

ROOT = Path(__file__).resolve().parents[1]


def all_variants(text: str) -> list[str]:
    """What :func:`search.text.normalize.script_variants` computes, without the key check."""
    variants = [normalize.fold(text)]
    for chain in normalize.VARIANT_CONFIGS:
        converted = text
        for config in chain:
            converted = normalize._opencc(config).convert(converted)
        folded = normalize.fold(converted)
        if folded not in variants:
            variants.append(folded)
    return variants


# Characters of every kind: plain simplified, traditional, the keys' own characters, Latin.
_KEY_CHARS = sorted({c for key in _keys()[0] for c in key})
ALPHABET = st.sampled_from(list("特朗普新冠检测阳性香港国安法实施后影响软件资讯信息计画网路著着么麼體體臺台") + _KEY_CHARS[:400])


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, min_size=1, max_size=12))
def test_a_text_without_keys_has_no_other_variant(text: str) -> None:
    if not may_vary(normalize.fold(text)):
        assert all_variants(text) == [normalize.fold(text)]
        assert normalize.script_variants(text) == [normalize.fold(text)]


def test_known_phrase_conversions_are_keys() -> None:
    for text in ("软件", "資訊", "计画", "网路", "信息"):
        assert may_vary(normalize.fold(text)), text
        assert len(normalize.script_variants(text)) > 1, text


def test_a_common_simplified_query_is_not_a_key() -> None:
    assert not may_vary(normalize.fold("特朗普新冠检测阳性"))
    assert normalize.script_variants("特朗普新冠检测阳性") == ["特朗普新冠检测阳性"]


def test_the_saved_keys_are_what_the_installed_opencc_gives(tmp_path: Path) -> None:
    out = tmp_path / KEYS_FILE.name
    subprocess.run([sys.executable, str(ROOT / "bench" / "script_keys.py"), "--out", str(out)], check=True,
                   capture_output=True, timeout=300)
    assert out.read_text(encoding="utf-8") == KEYS_FILE.read_text(encoding="utf-8")
