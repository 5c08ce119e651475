"""What zhsearch reads from article files: each field and where it came from, the text, what was removed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .article import ParsedArticle, SkipArticle, read_article
from .clean import Removal, cleaning_warnings
from .recurring import PARAGRAPH_SEPARATOR, RecurringParagraphs


@dataclass(frozen=True)
class Inspection:
    """One file as zhsearch reads it: the document's fields with their origins, or why it is skipped."""

    path: str
    skipped: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    text: str = ""
    removed: tuple[Removal, ...] = ()
    recovered: tuple[str, ...] = ()
    visible_chars: int = 0
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "skipped": self.skipped,
            "fields": {k: {"value": v, "from": self.origins.get(k)} for k, v in self.fields.items()},
            "text": self.text,
            "removed": [r.to_dict() for r in self.removed],
            "recovered": list(self.recovered),
            "visible_chars": self.visible_chars,
            "warnings": list(self.warnings),
        }


def inspect_files(files: Sequence[Path]) -> list[Inspection]:
    """Read ``files`` as ``zhsearch index`` would, boilerplate learned across them included."""
    parsed: list[tuple[Path, ParsedArticle | str]] = []
    learner = RecurringParagraphs()
    for file in files:
        try:
            article = read_article(file, file.name if file.is_absolute() else file.as_posix(), root=_root(file))
        except SkipArticle as exc:
            parsed.append((file, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 (as a build does: one broken file is reported, never fatal)
            parsed.append((file, f"cannot parse: {type(exc).__name__}: {exc}"))
            continue
        learner.observe(article.document)
        parsed.append((file, article))
    learned = learner.learn()
    return [_inspection(file, article, learned) for file, article in parsed]


def _root(file: Path) -> str | None:
    """The archive root of a file given as ``北岸评论/_posts/a.md``: its first folder, as if that
    folder were indexed (None: the file's own folder)."""
    if file.is_absolute() or len(file.parts) < 2 or file.parts[0] in (".", ".."):
        return None
    return file.parts[0]


def _inspection(file: Path, article: ParsedArticle | str, learned: Any) -> Inspection:
    if isinstance(article, str):
        return Inspection(str(file), skipped=article)
    document, removed, origins = article.document, list(article.removed), dict(article.origins)
    stripped, dropped = learned.strip(document)
    if stripped.title != document.title:
        suffix = document.title[len(stripped.title) :].strip(" -–—|｜－_")
        removed.append(Removal("learned title suffix", "ends many titles of the outlet or site", suffix))
        origins["title"] = f"{origins.get('title', '?')}; learned title suffix: {suffix}"
    if dropped:
        kept = set(stripped.text.split(PARAGRAPH_SEPARATOR))
        removed += [
            Removal("learned paragraph", "recurs in many articles of the outlet or site", p)
            for p in document.text.split(PARAGRAPH_SEPARATOR)
            if p not in kept
        ]
    document = stripped
    fields = {
        "title": document.title,
        "date": document.date.isoformat() if document.date else None,
        "url": document.url,
        "source": document.source,
        "author": document.author,
        "categories": list(document.categories),
        "tags": list(document.tags),
    }
    return Inspection(
        str(file),
        fields=fields,
        origins=origins,
        text=document.text,
        removed=tuple(removed),
        recovered=tuple(article.recovered),
        visible_chars=article.visible_chars,
        warnings=tuple(cleaning_warnings(document.text, article.visible_chars, article.removed)),
    )
