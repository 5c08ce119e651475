"""Completions for the search box as the user types: frequent words and article titles."""

from __future__ import annotations

import bisect
import heapq
import json
import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..text.analysis import is_dictionary_word
from ..text.normalize import fold

if TYPE_CHECKING:
    from ..embedded.engine import SearchIndex

MAX_COMPLETIONS = 20
MAX_TITLES = 3  # titles kept among the completions (at most half of them) when words fill the rest
MIN_WORD_DOCUMENTS = 2  # a word found in one article only is more likely noise than a query
MAX_TYPED = 100  # longer input is not being typed, it was pasted: nothing to complete
# Words looked at per completion wanted, among which the dictionary's words go first.
CANDIDATES_PER_COMPLETION = 4
_WORDLIKE = re.compile(r"[^\W_]")
_LEADING_OPERATORS = '-+"(（“'
_DOC_FREQUENCY = struct.Struct("!I")  # in a Whoosh 3 term info (flags B, weight f, documents I, ...)
_DOC_FREQUENCY_AT = 5


@dataclass(frozen=True, slots=True)
class Completion:
    """One completion: a query to search (``kind == "word"``) or an article (``"title"``)."""

    text: str  # the whole query with its last word completed, or the article's title
    kind: str  # "word" or "title"
    documents: int  # articles containing the word (1 for a title)
    id: str | None = None  # the article, for a title

    def to_dict(self) -> dict[str, Any]:
        """The form of one entry of ``GET /api/suggest``."""
        return {"text": self.text, "kind": self.kind, "documents": self.documents, "id": self.id}


@dataclass(frozen=True, slots=True)
class _Title:
    folded: str
    title: str
    id: str
    newest_first: float  # minus the POSIX time; undated articles sort last


class CompletionTable:
    """The completions of one index generation: its words sorted for prefix lookup, its titles."""

    def __init__(
        self,
        words: Iterable[tuple[str, int]],
        titles: Iterable[tuple[str, str, datetime | None]],
        *,
        simplify: bool = True,
    ) -> None:
        """``words``: (normalized word, documents); ``titles``: (id, title, date)."""
        self.simplify = simplify
        kept = sorted((w, n) for w, n in words if n >= MIN_WORD_DOCUMENTS and len(w) > 1 and _WORDLIKE.search(w))
        self._words = [w for w, _ in kept]
        self._documents = [n for _, n in kept]
        self._titles = [
            _Title(fold(title, simplify=simplify), title, doc_id, -date.timestamp() if date else float("inf"))
            for doc_id, title, date in titles
            if title.strip()
        ]

    @classmethod
    def from_reader(cls, reader: Any, *, simplify: bool = True) -> CompletionTable:
        """Read the words of the title and text fields and every stored title from a Whoosh reader."""
        titles = [title_entry(stored) for _, stored in reader.iter_docs()]
        return cls(word_documents(reader).items(), titles, simplify=simplify)

    def to_json(self) -> bytes:
        """The table as JSON, to save beside its index generation."""
        titles = [[t.folded, t.title, t.id, t.newest_first] for t in self._titles]
        data = {"simplify": self.simplify, "words": self._words, "documents": self._documents, "titles": titles}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> CompletionTable:
        """A table saved by :meth:`to_json` (ValueError, KeyError or TypeError when it is damaged)."""
        loaded = json.loads(data)
        table = cls.__new__(cls)
        table.simplify = bool(loaded["simplify"])
        table._words = [str(w) for w in loaded["words"]]
        table._documents = [int(n) for n in loaded["documents"]]
        if len(table._words) != len(table._documents):
            raise ValueError("words and their document counts differ in number")
        table._titles = [_Title(str(f), str(t), str(i), float(n)) for f, t, i, n in loaded["titles"]]
        return table

    def complete(self, typed: str, *, limit: int = 8, known: Callable[[str], bool] | None = None) -> list[Completion]:
        """Up to ``limit`` completions of ``typed``: words first, most frequent first, then titles.

        The last word typed is completed from the index's words (the words before it are kept,
        so ``香港 国`` offers ``香港 国安法``); titles containing every word typed follow,
        those that start with it first, then the newest. Matching folds case, width and script.
        With ``known`` (is a word in the segmenter's dictionary?), the dictionary's words come
        before the words only jieba's HMM found, which are often pieces of a longer word (碳中
        of 碳中和), and such a piece is left out when the longer word is offered. No text is
        offered twice: a title equal to a word, or to a better title, is left out.
        """
        limit = max(0, min(limit, MAX_COMPLETIONS))
        if not typed.strip() or len(typed) > MAX_TYPED or limit == 0:
            return []
        titles = self._titles_matching(typed, min(MAX_TITLES, limit // 2))
        words = self._words_completing(typed, limit - len(titles), known)
        room = limit - len(words)
        if room > len(titles):
            titles = self._titles_matching(typed, room)
        offered = {fold(c.text, simplify=self.simplify) for c in words}
        return words + [t for t in titles if fold(t.text, simplify=self.simplify) not in offered][:room]

    def _words_completing(self, typed: str, limit: int, known: Callable[[str], bool] | None) -> list[Completion]:
        if limit <= 0 or typed != typed.rstrip():
            return []  # a trailing space: the last word is finished
        stripped = typed.split()[-1].lstrip(_LEADING_OPERATORS)  # split() also splits at U+3000
        if ":" in stripped or stripped in ("OR", "AND", "NOT"):
            return []  # a field filter or an operator, not a word
        head = typed[: len(typed) - len(stripped)]
        prefix = fold(stripped, simplify=self.simplify)
        if not prefix:
            return []
        start = bisect.bisect_left(self._words, prefix)
        end = bisect.bisect_left(self._words, prefix + "\U0010ffff", lo=start)
        frequent = (lambda i: (-self._documents[i], self._words[i]))
        best = heapq.nsmallest(limit * (CANDIDATES_PER_COMPLETION if known else 1), range(start, end), key=frequent)
        if known:
            in_dictionary = {i for i in best if known(self._words[i])}
            # A piece jieba's HMM cut off a dictionary word offered beside it (碳中 of 碳中和) is left out.
            best = [i for i in best if i in in_dictionary or not any(
                self._words[j].startswith(self._words[i]) for j in in_dictionary)]
            best = sorted(best, key=lambda i: i not in in_dictionary)[:limit]  # stable: by frequency within each
        return [Completion(text=head + self._words[i], kind="word", documents=self._documents[i]) for i in best]

    def _titles_matching(self, typed: str, limit: int) -> list[Completion]:
        parts = [p for p in fold(typed, simplify=self.simplify).split() if p]
        if limit <= 0 or not parts:
            return []
        whole = " ".join(parts)
        first, rest = parts[0], parts[1:]
        found = [t for t in self._titles if first in t.folded and all(p in t.folded for p in rest)]
        ordered = sorted(found, key=lambda t: (not t.folded.startswith(whole), t.newest_first, t.id))
        best: dict[str, _Title] = {}  # one of each title (syndicated copies share one): its first article
        for t in ordered:
            best.setdefault(t.folded, t)
            if len(best) == limit:
                break
        return [Completion(text=t.title, kind="title", documents=1, id=t.id) for t in best.values()]


def title_entry(stored: dict[str, Any]) -> tuple[str, str, datetime | None]:
    """The (id, title, date) of a stored document, as :class:`CompletionTable` takes its titles."""
    return stored["id"], stored.get("title") or "", stored.get("date")


def word_documents(reader: Any) -> dict[str, int]:
    """Each title or text word with the documents containing it (the larger of the two fields).

    In the order of the reader's own ``iter_field`` over title then text (sorted title words, then
    the text words not in a title), so that ties among equally frequent words break alike.
    """
    documents: dict[str, int] = {}
    for fieldname in ("title", "text"):
        counts = _document_frequencies(reader, fieldname)
        for word in sorted(counts):
            documents[word] = max(documents.get(word, 0), counts[word])
    return documents


def _document_frequencies(reader: Any, fieldname: str) -> dict[str, int]:
    """Each word of a field with the number of documents containing it, summed over the segments.

    Each segment's term table is read in one sequential pass, taking the document count from the
    raw term info (as :mod:`search.embedded.merge` reads it): a multi-segment reader's own ``iter_field``
    looks every term up again in every segment (20 times slower), and decoding whole term infos
    takes more than half of a segment's pass.
    """
    from ..embedded.merge import raw_terms  # the segment-writing modules stay out of a search process

    counts: dict[bytes, int] = {}
    for leaf, _ in reader.leaf_readers():
        for word, info in raw_terms(leaf, fieldname):
            counts[word] = counts.get(word, 0) + _DOC_FREQUENCY.unpack_from(info, _DOC_FREQUENCY_AT)[0]
    return {word.decode("utf-8"): n for word, n in counts.items()}


class Completer:
    """Completions for one open :class:`~search.embedded.engine.SearchIndex`, following its live generation.

    The table is computed when the generation is written and saved beside it (see
    :mod:`search.embedded.tables`); read back once, it answers each keystroke in about a millisecond.
    Thread-safe.
    """

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def complete(self, typed: str, *, limit: int = 8) -> list[Completion]:
        """See :meth:`CompletionTable.complete`; the words of the index's dictionary go first."""
        config = self.index.config
        return self.table().complete(typed, limit=limit, known=lambda word: is_dictionary_word(word, config))

    def table(self) -> CompletionTable:
        """The completion table of the index's live generation."""
        return self.index.completion_table()
