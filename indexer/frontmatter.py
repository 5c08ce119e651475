"""Front matter: YAML headers of every dialect, recovered line by line when the YAML is broken."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\u200b-\u200d\u2060]")
_OPEN = re.compile(r"\A(?:[ \t\ufeff]*\n)*\ufeff?---[ \t]*\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s?(.*)$")
_ESCAPED_CONTROL = re.compile(r"[\t\n\r\x08\x0c]")
_LIST_ITEM = re.compile(r"^\s*-\s+(.*)$")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader, except that an impossible date (``2021-02-30``) stays a string."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


@dataclass
class FrontMatter:
    """The header fields (possibly empty), the body after it, and what had to be recovered."""

    fields: dict[str, Any]
    body: str
    recovered: list[str] = field(default_factory=list)
    present: bool = False
    unreadable: bool = False  # a header was there but nothing could be read from it


def split_front_matter(text: str) -> FrontMatter:
    """Split ``text`` into header fields and body; never raises on a malformed header."""
    opening = _OPEN.match(text)
    if not opening:
        return FrontMatter({}, text)
    closing = _CLOSE.search(text, opening.end())
    if not closing:
        return FrontMatter({}, text, ["front matter never closed; read as body"])
    header = text[opening.end() : closing.start()]
    body = text[closing.end() :].lstrip("\n")
    recovered: list[str] = []
    if _CONTROL.search(header):
        header = _CONTROL.sub("", header)
        recovered.append("control characters removed from front matter")
    try:
        loaded = yaml.load(header, Loader=_Loader)  # noqa: S506 (a safe loader)
        fields = {} if loaded is None else loaded
    except (yaml.YAMLError, ValueError, TypeError):
        fields = None
    if isinstance(fields, dict) and (fields or not header.strip()):
        return FrontMatter(_literal_backslashes(fields, header, recovered), body, recovered, True)
    fields = _line_by_line(header)
    if not fields:
        return FrontMatter({}, body, recovered, True, unreadable=True)
    recovered.append("invalid YAML front matter read line by line")
    return FrontMatter(fields, body, recovered, True)


def _literal_backslashes(fields: dict[Any, Any], header: str, recovered: list[str]) -> dict[str, Any]:
    """A one-line value that YAML escapes turned into tabs or newlines (``"C:\\new"``) meant a
    literal backslash: take that value as written."""
    out = {str(k): v for k, v in fields.items()}
    raw: dict[str, Any] | None = None
    for key, value in out.items():
        if isinstance(value, str) and _ESCAPED_CONTROL.search(value):
            raw = raw if raw is not None else _line_by_line(header)
            literal = raw.get(key)
            if isinstance(literal, str) and "\\" in literal:
                out[key] = literal
                recovered.append("backslash in front matter read literally")
    return out


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        inner = value[1:-1]
        return inner.replace("''", "'") if value[0] == "'" else inner.replace('\\"', '"')
    return value


def _scalar(value: str) -> Any:
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        return [_unquote(v) for v in value[1:-1].split(",") if v.strip()]
    try:
        parsed = yaml.load(value, Loader=_Loader)  # noqa: S506 (a safe loader)
    except (yaml.YAMLError, ValueError):
        return _unquote(value)
    if isinstance(parsed, (str, int, float, datetime, date)) or parsed is None:
        return parsed if not isinstance(parsed, str) else _unquote(value)
    return _unquote(value)


def _line_by_line(header: str) -> dict[str, Any]:
    """``key: value`` lines and ``- item`` lists, for headers that YAML refuses."""
    fields: dict[str, Any] = {}
    current: str | None = None
    for line in header.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = _LIST_ITEM.match(line)
        if item and current is not None:
            existing = fields.get(current)
            if not isinstance(existing, list):
                existing = [] if existing in (None, "") else [existing]
            existing.append(_unquote(item.group(1)))
            fields[current] = existing
            continue
        key = _KEY_LINE.match(line)
        if key:
            current = key.group(1)
            fields[current] = _scalar(key.group(2)) if key.group(2).strip() else None
    return fields
