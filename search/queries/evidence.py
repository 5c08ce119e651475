"""Where a document holds the words of a query typed without spaces: close together, and early.

A question or a run of words (``伊丽莎白二世的国葬将在哪里举行``, ``2023年马德里大师赛张之臻成绩``)
is answered by the text that says it in one breath, not by the one that names the same event in
passing: BM25 counts the words wherever they stand. Two signals read the document's stored text,
as a reader skims it:

- **closeness**: the shortest stretch of the text holding as many of the query's distinct words as
  the text has (at least two), against the length of the words themselves: a stretch no longer
  than the words plus ``CLOSE_SLACK`` characters counts fully, a longer one by that ratio; times
  the share of the words found;
- **the lead**: the share of the words found in the first ``LEAD_CHARS`` characters of the title
  and text (a news story states its facts in the headline and the first paragraph).

:func:`evidence` returns ``LEAD_WEIGHT × lead + CLOSE_WEIGHT × closeness`` (0 to 1); the engine
multiplies the score of each of the first ``EVIDENCE_DEPTH`` documents by one plus it. Every
figure was chosen on one half of the RGB-zh questions and checked on the other (BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Sequence

EVIDENCE_DEPTH = 20  # the first documents by relevance whose text is read (RGB-zh: 30 ranks alike, 15 worse)
LEAD_CHARS = 120  # the headline and the first paragraph, about
LEAD_WEIGHT = 0.5
CLOSE_WEIGHT = 0.5
CLOSE_SLACK = 30  # characters between the words that still count as one breath
TEXT_CHARS = 1000  # of a long text, only its start is read (the first paragraphs; a bound on the work)
MAX_PLACES = 200  # and at most this many places of one word


def evidence(text: str, words: Sequence[str]) -> float:
    """How closely and how early ``text`` (folded as the words are: title, a line break, the text)
    holds the distinct ``words``: 0 (none of them) to 1 (all of them, together, in the lead)."""
    distinct = [w for w in dict.fromkeys(words) if w]
    if not distinct:
        return 0.0
    lead = text[:LEAD_CHARS]
    share = sum(1 for w in distinct if w in lead) / len(distinct)
    return LEAD_WEIGHT * share + CLOSE_WEIGHT * closeness(text[:TEXT_CHARS], distinct)


def closeness(text: str, words: Sequence[str]) -> float:
    """``share × min(1, (len(words) + CLOSE_SLACK) / window)`` for the shortest window of ``text``
    holding every one of the distinct ``words`` it contains (0 when it holds fewer than two); a
    window runs from the start of its first word to the end of its last-starting word."""
    places: list[tuple[int, int]] = []  # (start, which word)
    for k, word in enumerate(words):
        start, found = text.find(word), 0
        while start >= 0 and found < MAX_PLACES:
            places.append((start, k))
            start, found = text.find(word, start + 1), found + 1
    present = len({k for _, k in places})
    if present < 2:
        return 0.0
    places.sort()
    counts = [0] * len(words)
    covered = 0
    best = len(text) + 1
    left = 0
    for start, k in places:
        counts[k] += 1
        covered += counts[k] == 1
        while covered == present:
            first, j = places[left]
            best = min(best, start + len(words[k]) - first)
            counts[j] -= 1
            covered -= counts[j] == 0
            left += 1
    span = sum(len(w) for w in words)
    return present / len(words) * min(1.0, (span + CLOSE_SLACK) / max(best, 1))
