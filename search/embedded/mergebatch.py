"""Terms in several segments merged many at once: their parts decoded, renumbered, joined and packed with numpy.

Most terms a merge must merge (not copy) are in several segments with a few postings in each (on
2,805 news articles in 4 segments: 151,000 of the 155,000 such terms, 10 postings each on
average), so merging them one by one in Python (``merge._Source.lists``, ``merge._joined``,
``postings.encode_lists``) is mostly per-posting interpreter work. :func:`merge_short_terms` takes
a batch of terms and does the same work on all their postings as arrays: the bit-packed streams of
every part (an inlined posting, or a packed list of one block or several, each block a part of its
own) are unpacked in one pass, renumbered, joined, and the merged lists packed block by block in
one pass again; the lists of one block are put together (header fields and payload) on arrays too.
Only the term infos' sums and the directories of lists of several blocks are made in Python.

Copying a part's packed blocks instead is possible only where a merged block is one of a part's
blocks (the part starts at a multiple of 128 postings in the merged list): on that sample 4% of
the postings merged (19% when 2 segments are merged), and packing is a tenth of the merge's time,
so this module packs everything again, at numpy's cost.

It writes the bytes the term-by-term path writes (``tests/test_postings.py`` and
``tests/test_lifecycle_merge.py`` compare them on random terms and segments): every kind decision
(weights all one, frequency x scale, the frequency base, the stream widths) is taken as
``merge._joined`` and ``encode_lists`` take it. A term it does not handle (W3 postings, floats or
pickled values, weights of mixed kinds no scale explains, one live posting, numbers too wide to
pack) is answered None and left to the term-by-term path.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
from whoosh.util.varints import varint

from .postings import (BLOCK, V_COMPACT, V_FREQ, V_NONE, V_PICKLE, W_FLOATS, W_INTS, W_ONES, W_SCALED, _FBASE,
                       _HAS_SCALE, _MAX_WIDTH, _MULTI, _SCALE, PackedList, _directory_dtype, _has_freqs, _pack,
                       _unpack)
from .segments import _TERMINFO
from .termdict import read_varint

# 2**k for k = 0..62: a number's bit length is how many of them it reaches.
_POWERS = np.left_shift(np.int64(1), np.arange(63, dtype=np.int64))


def _bit_lengths(values: np.ndarray) -> np.ndarray:
    """``int.bit_length`` of each (non-negative) value."""
    return np.searchsorted(_POWERS, values, side="right").astype(np.int64)


class _Parts:
    """The parts of a batch of terms, gathered term by term (a term's parts in segment order)."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []  # gathered a part at a time; the columns below made from them
        self.term: list[int] = []  # the term each part belongs to (its index in the batch)
        self.source: list[int] = []
        self.count: list[int] = []
        self.wkind: list[int] = []
        self.vkind: list[int] = []
        self.scale: list[float] = []
        self.packed: list[bool] = []
        self.first: list[int] = []  # packed: the first document number
        self.fbase: list[int] = []
        self.widths: list[tuple[int, int, int]] = []
        self.payload: list[int] = []  # packed: the payload's bit offset in the batch's buffer
        self.raws: list[bytes] = []
        self.at = 0  # bytes in raws
        # inlined parts: (part, ids, weights, freqs, flat)
        self.inlined: list[tuple[int, list[int], list[float], list[int] | None, list[int] | None]] = []


def _packed_blocks(raw: bytes) -> tuple[int, int, float, int, list[tuple[int, int, tuple[int, ...], int]]] | None:
    """A packed list's kinds, scale, frequency base and blocks (count, first id, stream widths,
    payload start) as its header and directory give them; None: kinds left to the term-by-term path."""
    flags = raw[0]
    wkind, vkind = flags & 3, flags >> 2 & 3
    if wkind == W_FLOATS or vkind == V_PICKLE:
        return None
    fbase = 1 if flags & _FBASE else 0
    if flags & _MULTI:
        packed = PackedList(raw)
        blocks = [(count, first, tuple(widths) + (0, 0), start) for count, first, widths, start
                  in zip(packed.counts, packed.firsts, packed.widths, packed.payload_starts)]
        return wkind, vkind, packed.scale, fbase, blocks
    n, pos = read_varint(raw, 1)
    scale = 1.0
    if flags & _HAS_SCALE:
        (scale,) = _SCALE.unpack_from(raw, pos)
        pos += _SCALE.size
    first, pos = read_varint(raw, pos)
    _, pos = read_varint(raw, pos)  # the span: the ids give it back
    pos += 2  # length bytes: the merged documents' are looked up again
    has_freqs = _has_freqs(wkind, vkind)
    if has_freqs:
        _, pos = read_varint(raw, pos)
    nstreams = 1 + has_freqs + (vkind == V_COMPACT)
    return wkind, vkind, scale, fbase, [(n, first, tuple(raw[pos : pos + nstreams]) + (0, 0), pos + nstreams)]


def _inlined_part(info: bytes, fixed: int | None) -> tuple[Any, ...] | None:
    """``merge._inlined_lists`` of a term's inlined postings as (ids, weights, freqs, flat, weights
    kind, values kind, scale), its one posting read here without its general loops."""
    from .merge import _f32, _inlined_lists

    ids, stored, values = pickle.loads(info[_TERMINFO.size :])
    if len(ids) != 1:
        found = _inlined_lists(info, fixed)
        return None if found is None else (found.ids, found.weights, found.freqs, found.flat, found.wkind,
                                           found.vkind, found.scale)
    weight = _f32(stored[0]) if stored else 1.0
    value = values[0] if values else b""
    kind = type(value)
    freqs: list[int] | None = None
    flat: list[int] | None = None
    if fixed == 0:
        vkind = V_NONE
    elif fixed == 4 and kind is bytes and len(value) == 4:
        vkind = V_FREQ
        freqs = [int.from_bytes(value, "big")]
    elif (fixed is None or fixed < 0) and kind is int:
        if value < 0 or value.bit_length() > _MAX_WIDTH:
            return None
        vkind, freqs, flat = V_COMPACT, [1], [value]
    elif (fixed is None or fixed < 0) and kind is tuple and len(value) != 1 and all(type(x) is int for x in value):
        if value and (min(value) < 0 or max(value).bit_length() > _MAX_WIDTH):
            return None
        vkind, freqs, flat = V_COMPACT, [len(value)], list(value)
    else:
        return None
    if weight == 1.0:
        return list(ids), [weight], freqs, flat, W_ONES, vkind, 1.0
    if freqs is None or freqs[0] <= 0:
        return None
    scale = weight / freqs[0]
    if _f32(freqs[0] * scale) != weight:
        return None
    return list(ids), [weight], freqs, flat, W_SCALED, vkind, scale


def merge_short_terms(sources: list[Any], terms: list[list[tuple[int, bytes]]], fixed: int | None,
                      length_bytes: bytearray | None) -> list[Any]:
    """For each term (its (segment rank, term info bytes) parts), the merged packed list and the
    start of its term info (:data:`segments._TERMINFO` packed; the extent follows), b"" when the
    term is only in deleted documents, or None when the term-by-term path must merge it.

    ``sources`` are the merge's :class:`merge._Source` objects; ``length_bytes``, the merged
    documents' length bytes of the field (None: the field has no lengths)."""
    from .merge import _LENGTH_CODES

    results: list[Any] = [None] * len(terms)
    parts = _Parts()
    rows = parts.rows  # (term, source, count, kinds, scale, packed, first id, frequency base, widths, payload)
    for t, found in enumerate(terms):
        mark = len(parts.rows), len(parts.inlined), len(parts.raws), parts.at
        ok = True
        for rank, info in found:
            source = sources[rank]
            raw = source.raw_postings(info)
            if raw is None:
                found_part = _inlined_part(info, fixed)
                if found_part is None:
                    ok = False
                    break
                ids, weights, freqs, flat, wkind, vkind, scale = found_part
                parts.inlined.append((len(parts.rows), ids, weights, freqs, flat))
                rows.append((t, rank, len(ids), wkind, vkind, scale, False, 0, 0, (0, 0, 0), 0))
                continue
            found_blocks = _packed_blocks(raw) if source.packed else None
            if found_blocks is None:
                ok = False
                break
            wkind, vkind, scale, fbase, blocks = found_blocks
            for n, first, widths, start in blocks:  # each block a part of its own (its first id absolute)
                rows.append((t, rank, n, wkind, vkind, scale, True, first, fbase, widths[:3], (parts.at + start) * 8))
            parts.raws.append(raw)
            parts.at += len(raw)
        if not ok:  # undo this term's parts
            nparts, ninlined, nraws, at = mark
            del parts.rows[nparts:]
            del parts.inlined[ninlined:]
            del parts.raws[nraws:]
            parts.at = at
    if not parts.rows:
        return results
    (parts.term, parts.source, parts.count, parts.wkind, parts.vkind, parts.scale, parts.packed, parts.first,
     parts.fbase, parts.widths, parts.payload) = map(list, zip(*parts.rows))
    _merge(sources, parts, fixed, length_bytes, _LENGTH_CODES, results)
    return results


def _merge(sources: list[Any], parts: _Parts, fixed: int | None, length_bytes: bytearray | None,
           length_codes: np.ndarray, results: list[Any]) -> None:
    nparts = len(parts.term)
    count = np.array(parts.count, dtype=np.int64)
    pstart = np.cumsum(count) - count  # each part's first posting
    total = int(count.sum())
    packed = np.array(parts.packed, dtype=bool)
    vkind = np.array(parts.vkind, dtype=np.int64)
    wkind = np.array(parts.wkind, dtype=np.int64)
    widths = np.array(parts.widths, dtype=np.int64).reshape(nparts, 3)
    payload = np.array(parts.payload, dtype=np.int64)
    buffer = np.frombuffer(b"".join(parts.raws) + bytes(8), dtype=np.uint8)
    part_of = np.repeat(np.arange(nparts), count)
    index = np.arange(total, dtype=np.int64) - pstart[part_of]  # a posting's place in its part
    has_freqs = (vkind == V_FREQ) | (vkind == V_COMPACT) | (wkind == W_INTS)
    compact = vkind == V_COMPACT

    # Document numbers: each part's first, then its deltas + 1, summed part by part.
    increments = np.zeros(total, dtype=np.int64)
    rows = np.flatnonzero(packed[part_of] & (index > 0))
    p = part_of[rows]
    wid = widths[p, 0]
    increments[rows] = _unpack(buffer, wid, payload[p] + (index[rows] - 1) * wid) + 1
    heads = pstart[packed]
    increments[heads] = np.array(parts.first, dtype=np.int64)[packed]
    # Frequencies (0 where a part has none).
    freqs = np.zeros(total, dtype=np.int64)
    rows = np.flatnonzero((packed & has_freqs)[part_of])
    p = part_of[rows]
    wf = widths[p, 1]
    after_ids = payload + (count - 1) * widths[:, 0]
    freqs[rows] = _unpack(buffer, wf, after_ids[p] + index[rows] * wf) + np.array(parts.fbase, dtype=np.int64)[p]
    inlined_ids: list[int] = []
    inlined_rows: list[int] = []
    inlined_freqs: list[int] = []
    inlined_weights: list[float] = []
    for k, ids, weights, part_freqs, _ in parts.inlined:
        start = int(pstart[k])
        inlined_rows += range(start, start + len(ids))
        inlined_ids += [ids[0]] + [b - a for a, b in zip(ids, ids[1:])]
        inlined_weights += weights
        inlined_freqs += part_freqs if part_freqs is not None else [0] * len(ids)
    inlined_at = np.array(inlined_rows, dtype=np.int64)
    increments[inlined_at] = inlined_ids
    freqs[inlined_at] = inlined_freqs
    running = np.cumsum(increments)
    old_ids = running - np.repeat(running[pstart] - increments[pstart], count)

    # Positions: packed parts' streams, then the inlined parts' numbers.
    npositions = np.where(compact[part_of], freqs, 0)
    part_positions = np.bincount(part_of, weights=npositions, minlength=nparts).astype(np.int64)
    posstart = np.cumsum(part_positions) - part_positions
    nflat = int(part_positions.sum())
    flat = np.zeros(nflat, dtype=np.int64)
    if nflat:
        pos_part = np.repeat(np.arange(nparts), part_positions)
        pos_index = np.arange(nflat, dtype=np.int64) - posstart[pos_part]
        rows = np.flatnonzero(packed[pos_part])
        p = pos_part[rows]
        wp = widths[p, 2]
        after_freqs = after_ids + count * widths[:, 1]
        flat[rows] = _unpack(buffer, wp, after_freqs[p] + pos_index[rows] * wp)
        inlined_flat: list[int] = []
        inlined_flat_rows: list[int] = []
        for k, _, _, _, part_flat in parts.inlined:
            if part_flat:
                start = int(posstart[k])
                inlined_flat_rows += range(start, start + len(part_flat))
                inlined_flat += part_flat
        flat[np.array(inlined_flat_rows, dtype=np.int64)] = inlined_flat

    # Weights as the parts' kinds give them (float32).
    scale = np.array(parts.scale, dtype=np.float64)
    weights = np.ones(total, dtype=np.float32)
    kind = wkind[part_of]
    rows = np.flatnonzero(kind == W_SCALED)
    weights[rows] = (freqs[rows].astype(np.float64) * scale[part_of[rows]]).astype(np.float32)
    rows = np.flatnonzero(kind == W_INTS)
    weights[rows] = freqs[rows].astype(np.float32)
    weights[inlined_at] = inlined_weights

    # Renumbered: a segment's offset, or its table where it has deleted documents.
    source_of = np.array(parts.source, dtype=np.int64)
    new_ids = old_ids + np.array([sources[s].offset for s in parts.source], dtype=np.int64)[part_of]
    deleting = [s for s in set(parts.source) if sources[s].renumber is not None]
    if deleting:
        posting_source = source_of[part_of]
        for s in deleting:
            rows = np.flatnonzero(posting_source == s)
            new_ids[rows] = np.frombuffer(sources[s].renumber, dtype=np.int64)[old_ids[rows]]
        keep = new_ids >= 0
        flat = flat[np.repeat(keep, npositions)]
        new_ids, freqs, weights, part_of = new_ids[keep], freqs[keep], weights[keep], part_of[keep]
        npositions = npositions[keep]
    part_live = np.bincount(part_of, minlength=nparts)
    term_of_part = np.array(parts.term, dtype=np.int64)
    nterms = len(results)
    term_of = term_of_part[part_of]
    live = np.bincount(term_of, minlength=nterms)
    tstart = np.cumsum(live) - live
    positions_of_term = np.bincount(term_of, weights=npositions, minlength=nterms).astype(np.int64)
    fstart = np.cumsum(positions_of_term) - positions_of_term

    # Each term's kinds, as merge._joined and encode_lists decide them.
    nonempty = np.flatnonzero(live > 0)
    all_ones = np.zeros(nterms, dtype=bool)
    if len(nonempty):
        all_ones[nonempty] = np.logical_and.reduceat(weights == 1.0, tstart[nonempty])
    # The kinds of a term's live parts: all the same, or (frequencies or positions) a scale to find.
    live_parts = np.flatnonzero(part_live > 0)
    for t in np.setdiff1d(term_of_part, term_of_part[live_parts]).tolist():
        results[t] = b""  # only in deleted documents
    if not len(live_parts):
        return
    lp_term = term_of_part[live_parts]
    group = np.flatnonzero(np.concatenate(([True], lp_term[1:] != lp_term[:-1])))
    sizes = np.diff(np.append(group, len(live_parts)))
    first_lp = live_parts[group]  # each term's first live part
    group_terms = lp_term[group]
    same = np.repeat(first_lp, sizes)
    same_v = np.logical_and.reduceat(vkind[live_parts] == vkind[same], group)
    same_w = np.logical_and.reduceat((wkind[live_parts] == wkind[same]) & (scale[live_parts] == scale[same]), group)
    scaled_parts = live_parts[wkind[live_parts] == W_SCALED]
    scaled_terms, at = np.unique(term_of_part[scaled_parts], return_index=True)
    first_scale = np.full(nterms, np.nan)
    first_scale[scaled_terms] = scale[scaled_parts[at]]
    wk, vk, sc = wkind[first_lp], vkind[first_lp], scale[first_lp]
    ones = all_ones[group_terms]
    candidate = same_v & (live[group_terms] >= 2)
    counted = (vk == V_FREQ) | (vk == V_COMPACT)
    plain = candidate & (same_w | (counted & ones))  # encode_lists: weights all 1.0 are W_ONES
    wk = np.where(ones, W_ONES, wk)
    sc = np.where(same_w, sc, 1.0)
    decided: dict[int, tuple[int, int, float]] = dict(zip(group_terms[plain].tolist(), zip(
        wk[plain].tolist(), vk[plain].tolist(), sc[plain].tolist())))
    scaling = candidate & ~same_w & counted & ~ones
    mixed = group_terms[scaling].tolist()
    mixed_scale = first_scale[group_terms[scaling]].tolist()
    if mixed:
        _scale_mixed(mixed, mixed_scale, vk[scaling].tolist(), tstart, live, freqs, weights, decided)
    if not decided:
        return
    _pack_terms(decided, tstart, live, fstart, positions_of_term, new_ids, freqs, weights, flat, length_bytes,
                length_codes, results)


def _scale_mixed(mixed: list[int], candidates: list[float], vkinds: list[int], tstart: np.ndarray,
                 live: np.ndarray, freqs: np.ndarray, weights: np.ndarray,
                 decided: dict[int, tuple[int, int, float]]) -> None:
    """``merge._weights_kind`` of the terms whose parts' weights are of different kinds: frequency x
    the first scaled part's scale, or else x the first posting's weight / frequency."""
    terms = np.array(mixed, dtype=np.int64)
    starts, counts = tstart[terms], live[terms]
    rows = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()), dtype=np.int64)
    term_freqs = freqs[rows].astype(np.float64)
    term_weights = weights[rows]
    heads = np.cumsum(counts) - counts
    first = np.asarray(candidates, dtype=np.float64)
    positive = np.flatnonzero(freqs[rows] > 0)
    at = np.searchsorted(positive, heads)
    found = at < len(positive)
    some = np.where(found, positive[np.minimum(at, max(len(positive) - 1, 0))] if len(positive) else 0, 0)
    found &= some < heads + counts
    second = np.where(found, term_weights[some].astype(np.float64) / np.where(found, term_freqs[some], 1.0), np.nan)
    fits = []
    for candidate in (first, second):
        scaled = (term_freqs * np.repeat(candidate, counts)).astype(np.float32)
        fits.append(np.logical_and.reduceat(scaled == term_weights, heads) & ~np.isnan(candidate))
    for j, t in enumerate(mixed):
        if fits[0][j]:
            decided[t] = (W_SCALED, vkinds[j], float(first[j]))
        elif fits[1][j]:
            decided[t] = (W_SCALED, vkinds[j], float(second[j]))


def _pack_terms(decided: dict[int, tuple[int, int, float]], tstart: np.ndarray, live: np.ndarray,
                fstart: np.ndarray, nflat: np.ndarray, ids: np.ndarray, freqs: np.ndarray, weights: np.ndarray,
                flat: np.ndarray, length_bytes: bytearray | None, length_codes: np.ndarray, results: list[Any]) -> None:
    """Each decided term's packed list and its term info (``encode_lists`` and
    ``_MergedPostingsFile._term_info`` of the same postings), block by block of 128 postings."""
    terms = np.array(sorted(decided), dtype=np.int64)
    kinds = [decided[t] for t in terms.tolist()]
    wk = np.array([k[0] for k in kinds], dtype=np.int64)
    vk = np.array([k[1] for k in kinds], dtype=np.int64)
    with_freqs = (vk == V_FREQ) | (vk == V_COMPACT) | (wk == W_INTS)
    compact = vk == V_COMPACT
    n = live[terms]
    heads = np.cumsum(n) - n
    total = int(n.sum())
    rows = np.repeat(tstart[terms] - heads, n) + np.arange(total, dtype=np.int64)
    term_of = np.repeat(np.arange(len(terms)), n)
    term_ids = ids[rows]
    term_freqs = freqs[rows]
    term_weights = weights[rows]
    index = np.arange(total, dtype=np.int64) - heads[term_of]  # a posting's place in its term
    # Blocks of 128 postings: each term's, one after the other.
    nblocks = (n + BLOCK - 1) // BLOCK
    bbase = np.cumsum(nblocks) - nblocks
    block_of = bbase[term_of] + index // BLOCK
    bcount = np.bincount(block_of, minlength=int(nblocks.sum()))
    bhead = np.cumsum(bcount) - bcount
    bterm = np.repeat(np.arange(len(terms)), nblocks)
    bindex = np.arange(total, dtype=np.int64) - bhead[block_of]  # a posting's place in its block
    # Streams and their widths.
    deltas = np.empty(total, dtype=np.int64)
    deltas[1:] = term_ids[1:] - term_ids[:-1] - 1
    deltas[bhead] = 0
    fmin = np.minimum.reduceat(term_freqs, heads)
    fmax = np.maximum.reduceat(term_freqs, heads)
    fbase = np.where(with_freqs & (fmin >= 1), 1, 0)
    wd = _bit_lengths(np.maximum.reduceat(deltas, bhead))
    bfmax = np.maximum.reduceat(term_freqs, bhead)
    wf = np.where(with_freqs[bterm], _bit_lengths(np.maximum(bfmax - fbase[bterm], 0)), 0)
    nf = nflat[terms]
    fheads = np.cumsum(nf) - nf
    frows = np.repeat(fstart[terms] - fheads, nf) + np.arange(int(nf.sum()), dtype=np.int64)
    term_flat = flat[frows]
    bnf = np.bincount(block_of, weights=np.where(compact[term_of], term_freqs, 0),
                      minlength=len(bcount)).astype(np.int64)
    bfhead = np.cumsum(bnf) - bnf
    wp = np.zeros(len(bcount), dtype=np.int64)
    has_flat = np.flatnonzero(compact[bterm] & (bnf > 0))
    if len(has_flat):
        wp[has_flat] = _bit_lengths(np.maximum.reduceat(term_flat, bfhead[has_flat]))
    # Lists the term-by-term path refuses (and raises for) are left to it.
    widest = np.maximum.reduceat(np.maximum(np.maximum(wd, wf), wp), bbase)
    bad = ((np.minimum.reduceat(deltas, heads) < 0) | (term_ids[heads] < 0) | (term_ids[heads + n - 1] >= 2**32)
           | (widest > _MAX_WIDTH) | (with_freqs & ((fmin < 0) | (fmax >= 2**32))))
    if len(term_flat):
        has_positions = np.flatnonzero(nf > 0)
        bad[has_positions] |= np.minimum.reduceat(term_flat, fheads[has_positions]) < 0
    bits = (bcount - 1) * wd + np.where(with_freqs[bterm], bcount * wf, 0) + np.where(compact[bterm], bnf * wp, 0)
    nbytes = (bits + 7) // 8
    byte_start = np.cumsum(nbytes) - nbytes
    bit_start = byte_start * 8
    # Every number of every stream, at its bit: deltas, frequencies - base, positions.
    ok = ~bad
    d_rows = np.flatnonzero((bindex > 0) & ok[term_of])
    d_block = block_of[d_rows]
    f_rows = np.flatnonzero(with_freqs[term_of] & ok[term_of])
    f_block = block_of[f_rows]
    flat_block = np.repeat(np.arange(len(bcount)), bnf)
    p_rows = np.flatnonzero(compact[bterm[flat_block]] & ok[bterm[flat_block]])
    p_block = flat_block[p_rows]
    f_at = bit_start + (bcount - 1) * wd
    p_at = f_at + np.where(with_freqs[bterm], bcount * wf, 0)
    numbers = np.concatenate((deltas[d_rows], term_freqs[f_rows] - fbase[term_of[f_rows]], term_flat[p_rows]))
    number_widths = np.concatenate((wd[d_block], wf[f_block], wp[p_block]))
    bitstarts = np.concatenate((bit_start[d_block] + (bindex[d_rows] - 1) * wd[d_block],
                                f_at[f_block] + bindex[f_rows] * wf[f_block],
                                p_at[p_block] + (p_rows - bfhead[p_block]) * wp[p_block]))
    payloads = _pack(numbers, number_widths, bitstarts, int(nbytes.sum())).tobytes()
    # Length bytes: the smallest present and the largest, of each block and of each term.
    if length_bytes is not None:
        codes = length_codes[np.frombuffer(length_bytes, dtype=np.uint8)[term_ids]]
    else:
        codes = np.zeros(total, dtype=np.int64)
    none = 1 << 20
    bminlen = np.minimum.reduceat(np.where(codes > 0, codes, none), bhead)
    bmaxlen = np.maximum.reduceat(codes, bhead)
    minlen = np.minimum.reduceat(bminlen, bbase)
    minlen = np.where(minlen == none, 0, minlen)
    maxlen = np.maximum.reduceat(bmaxlen, bbase)
    bminlen = np.where(bminlen == none, 0, bminlen)
    # The lists of one block, headers and payloads, put together on arrays.
    sc = np.array([k[2] for k in kinds], dtype=np.float64)
    scaled = (wk == W_SCALED) & (sc != 1.0)
    single = np.flatnonzero((nblocks == 1) & ok)
    sb = bbase[single]  # their block
    flags = (wk | vk << 2 | np.where(with_freqs & (fbase == 1), _FBASE, 0) | np.where(scaled, _HAS_SCALE, 0))[single]
    one = np.ones(len(single), dtype=np.int64)
    at = np.arange(len(single), dtype=np.int64)
    sf = with_freqs[single]
    stream_widths = np.stack((wd[sb], wf[sb], wp[sb]), axis=1).ravel()
    fields = [(flags, at, one), _varints(n[single]),
              (np.asarray(sc[single], dtype=">f8").view(np.uint8), 8 * at, np.where(scaled[single], 8, 0)),
              _varints(term_ids[heads][single]), _varints((term_ids[heads + n - 1] - term_ids[heads])[single]),
              (bminlen[sb], at, one), (bmaxlen[sb], at, one), _varints(bfmax[sb], sf),
              (stream_widths, 3 * at, 1 + sf + compact[single]),
              (np.frombuffer(payloads, dtype=np.uint8), byte_start[sb], nbytes[sb])]
    lists, list_ends = _joined_fields(fields)
    list_ends_list = list_ends.tolist()
    list_of = np.full(len(terms), -1, dtype=np.int64)
    list_of[single] = np.arange(len(single))
    list_of_list = list_of.tolist()
    # Per term, in Python: its statistics (and a list of several blocks: its header and directory).
    weight_list = term_weights.tolist()
    firsts = term_ids[heads].tolist()
    lasts = term_ids[heads + n - 1].tolist()
    columns = zip(terms.tolist(), bad.tolist(), n.tolist(), heads.tolist(), bbase.tolist(), nblocks.tolist(),
                  with_freqs.tolist(), compact.tolist(), fbase.tolist(), minlen.tolist(), maxlen.tolist(), kinds,
                  firsts, lasts, list_of_list)
    byte_starts, byte_counts = byte_start.tolist(), nbytes.tolist()
    for t, refused, count, h, b, nb, freq_stream, positions, base, low, high, (wkind, vkind, scale), first, last, \
            k in columns:
        if refused:
            continue
        term_weights_list = weight_list[h : h + count]
        total_weight: float = 0
        for low_posting in range(0, count, BLOCK):
            total_weight += sum(term_weights_list[low_posting : low_posting + BLOCK])
        max_weight = max(term_weights_list)
        info = _TERMINFO.pack(False, total_weight, count, low, high, float(max_weight) if max_weight > 0 else 0,
                              first, last)
        if k >= 0:
            results[t] = (lists[list_ends_list[k - 1] if k else 0 : list_ends_list[k]], info)
            continue
        flags = wkind | vkind << 2 | _MULTI
        if freq_stream and base:
            flags |= _FBASE
        is_scaled = wkind == W_SCALED and scale != 1.0
        if is_scaled:
            flags |= _HAS_SCALE
        head = bytearray((flags,))
        head += varint(count)
        if is_scaled:
            head += _SCALE.pack(scale)
        blocks = slice(b, b + nb)
        directory = np.zeros(nb, dtype=_directory_dtype(wkind, vkind))
        directory["last"] = term_ids[bhead[blocks] + bcount[blocks] - 1]
        directory["first"] = term_ids[bhead[blocks]]
        directory["end"] = byte_start[blocks] + nbytes[blocks] - byte_start[b]
        directory["minlen"] = bminlen[blocks]
        directory["maxlen"] = bmaxlen[blocks]
        directory["wid"] = wd[blocks]
        if freq_stream:
            directory["maxfreq"] = bfmax[blocks]
            directory["wf"] = wf[blocks]
            if positions:
                directory["wp"] = wp[blocks]
        head += directory.tobytes()
        results[t] = (bytes(head) + payloads[byte_starts[b] : byte_starts[b + nb - 1] + byte_counts[b + nb - 1]], info)


def _varints(values: np.ndarray, present: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whoosh's ``varint`` (LEB128) of each value (non-negative; none where not ``present``), as
    one byte array, each one's start in it and its length."""
    v = values.astype(np.uint64)
    lengths = np.ones(len(v), dtype=np.int64)
    for k in range(1, 10):
        lengths += v >= np.uint64(1) << np.uint64(7 * k)
    if present is not None:
        lengths = np.where(present, lengths, 0)
    starts = np.cumsum(lengths) - lengths
    total = int(lengths.sum())
    which = np.repeat(np.arange(len(v)), lengths)
    place = np.arange(total, dtype=np.int64) - starts[which]
    out = (v[which] >> (np.uint64(7) * place.astype(np.uint64))) & np.uint64(0x7F)
    out |= np.where(place < lengths[which] - 1, np.uint64(0x80), np.uint64(0))
    return out.astype(np.uint8), starts, lengths


def _joined_fields(fields: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[bytes, np.ndarray]:
    """Records of variable-length fields, each field a (bytes of every record, where each record's
    bytes start, how many) triple: the records' bytes one after the other, and where each ends."""
    sizes = sum(lengths for _, _, lengths in fields)
    ends = np.cumsum(sizes)
    out = np.zeros(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    at = ends - sizes
    for source, starts, lengths in fields:
        count = int(lengths.sum())
        if count:
            which = np.repeat(np.arange(len(lengths)), lengths)
            within = np.arange(count, dtype=np.int64) - (np.cumsum(lengths) - lengths)[which]
            out[at[which] + within] = np.asarray(source, dtype=np.uint8)[starts[which] + within]
        at = at + lengths
    return out.tobytes(), ends
