"""Bytes to text: BOMs, UTF-8, GB18030/GBK and Big5, with the recoveries reported."""

from __future__ import annotations

import codecs
from dataclasses import dataclass


class NotTextError(ValueError):
    """The file is binary or in no encoding we can read with confidence."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def decode(data: bytes) -> Decoded:
    """Decode an article file; raises NotTextError for binary or undecidable content."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding)
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:8192]:
        raise NotTextError("binary file (contains NUL bytes)")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    candidates = []
    for encoding in ("gb18030", "big5"):
        try:
            candidates.append((data.decode(encoding), encoding))
        except UnicodeDecodeError:
            continue
    if len(candidates) == 1:
        text, encoding = candidates[0]
        return Decoded(text, encoding)
    if candidates:
        # Both decode: prefer the one whose characters are common Chinese text.
        from charset_normalizer import from_bytes

        best = from_bytes(data, cp_isolation=["gb18030", "big5"]).best()
        if best is not None and best.encoding in {"gb18030", "big5"}:
            return Decoded(str(best), best.encoding)
        return Decoded(*candidates[0])
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.chaos > 0.2:
        raise NotTextError("not valid UTF-8, GB18030 or Big5 text")
    return Decoded(str(best), best.encoding)
