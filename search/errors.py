"""The exceptions zhsearch raises; the CLI and the web layer translate them at the edges."""

from __future__ import annotations


class ZhsearchError(Exception):
    """Base class: every error zhsearch raises on purpose is one of these."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint or self.hint


class IndexNotFoundError(ZhsearchError):
    """No index exists at the given location."""

    hint = "build one with: zhsearch index PATH --index DIR"


class IndexIncompatibleError(ZhsearchError):
    """The index was written by an incompatible version of zhsearch or its analyzer."""

    hint = "run zhsearch index to rebuild"


class IndexLockedError(ZhsearchError):
    """Another process is writing the index."""


class DocumentNotFoundError(ZhsearchError):
    """No document with that id is in the index."""


class InvalidArgumentError(ZhsearchError):
    """A parameter is outside its allowed range (page, limit, query length...)."""
