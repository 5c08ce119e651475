"""Front matter: YAML (Hexo, Jekyll, Hugo), TOML (Hugo, Zola), JSON (Hugo) and Pelican headers,
recovered line by line when they are broken."""

from __future__ import annotations

import json
import re
import tomllib
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
_TOML_OPEN = re.compile(r"\A(?:[ \t\ufeff]*\n)*\ufeff?\+\+\+[ \t]*\n")
_TOML_CLOSE = re.compile(r"^\+\+\+[ \t]*$", re.M)
_TOML_KEY_LINE = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=\s*(.*?)\s*$")
_TOML_TABLE = re.compile(r"^\s*\[+\s*([\w.-]+)\s*\]+\s*$")
_JSON_OPEN = re.compile(r"\A(?:[ \t\ufeff]*\n)*\ufeff?(?=\{[ \t]*\n\s*\")")  # "{" alone on the first line
# Pelican's Markdown header: "Title: …", "Date: …" lines, up to the first blank line.
_PELICAN_FIRST = re.compile(r"\A(?:[ \t\ufeff]*\n)*\ufeff?(?=(?:title|date)[ \t]*:[ \t]*\S)", re.I)
_PELICAN_LINE = re.compile(r"^([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*?)\s*$")
# Tables whose keys a Zola or Hugo page means as its own: [taxonomies] tags, [extra]/[params] author.
NESTED_FIELDS = ("taxonomies", "extra", "params")


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
    for other in (_toml_front_matter, _json_front_matter, _pelican_header):
        found = other(text)
        if found is not None:
            return found
    return _yaml_front_matter(text)


def _toml_front_matter(text: str) -> FrontMatter | None:
    """Hugo's and Zola's ``+++`` TOML header (None when there is none)."""
    opening = _TOML_OPEN.match(text)
    if not opening:
        return None
    closing = _TOML_CLOSE.search(text, opening.end())
    if not closing:
        return FrontMatter({}, text, ["front matter never closed; read as body"])
    header = _CONTROL.sub("", text[opening.end() : closing.start()])
    body = text[closing.end() :].lstrip("\n")
    try:
        return FrontMatter(_lift_nested(tomllib.loads(header)), body, [], True)
    except tomllib.TOMLDecodeError:
        fields = _toml_line_by_line(header)
    if not fields:
        return FrontMatter({}, body, [], True, unreadable=True)
    return FrontMatter(fields, body, ["invalid TOML front matter read line by line"], True)


def _toml_line_by_line(header: str) -> dict[str, Any]:
    """``key = value`` lines (a value as YAML reads it: a quoted string, a list, a date …)."""
    fields: dict[str, Any] = {}
    table = ""
    for line in header.splitlines():
        section = _TOML_TABLE.match(line)
        if section:
            table = section.group(1)
            continue
        key = _TOML_KEY_LINE.match(line)
        if key and (not table or table in NESTED_FIELDS) and key.group(1) not in fields:
            fields[key.group(1)] = _scalar(key.group(2)) if key.group(2) else None
    return fields


def _json_front_matter(text: str) -> FrontMatter | None:
    """Hugo's JSON header: an object at the very start, the body after it (None when there is none)."""
    opening = _JSON_OPEN.match(text)
    if not opening:
        return None
    try:
        fields, end = json.JSONDecoder().raw_decode(text, opening.end())
    except ValueError:
        return None  # not a header: a body that starts with a brace
    if not isinstance(fields, dict) or not re.match(r"[ \t]*(\n|\Z)", text[end:]):
        return None
    return FrontMatter(_lift_nested(fields), text[end:].lstrip("\n"), [], True)


def _pelican_header(text: str) -> FrontMatter | None:
    """Pelican's Markdown metadata: ``Title:``/``Date:``/``Tags:`` lines up to the first blank line."""
    opening = _PELICAN_FIRST.match(text)
    if not opening:
        return None
    fields: dict[str, Any] = {}
    lines = text[opening.end() :].split("\n")
    for number, line in enumerate(lines):
        if not line.strip():
            return FrontMatter(_lift_nested(fields), "\n".join(lines[number + 1 :]).lstrip("\n"), [], True)
        found = _PELICAN_LINE.match(line)
        if found:
            fields[found.group(1).lower()] = found.group(2)
        elif line[:1] in " \t" and fields:  # a continued value
            last = next(reversed(fields))
            fields[last] = f"{fields[last]} {line.strip()}"
        else:
            return None  # not a header after all: the text itself starts with "Title:"
    return FrontMatter(_lift_nested(fields), "", [], True)


def _lift_nested(fields: dict[str, Any]) -> dict[str, Any]:
    """Zola's ``[taxonomies]`` and Hugo's or Zola's ``[params]``/``[extra]`` keys as the page's own
    (a key the page sets itself wins); Pelican's and Zola's ``authors`` list gives ``author``."""
    out = {str(k): v for k, v in fields.items()}
    for table in NESTED_FIELDS:
        nested = out.get(table)
        if isinstance(nested, dict):
            for key, value in nested.items():
                out.setdefault(str(key), value)
    authors = out.get("authors")
    if "author" not in out and authors:
        out["author"] = authors[0] if isinstance(authors, list) else re.split(r"[,，、]", str(authors))[0].strip()
    return out


def _yaml_front_matter(text: str) -> FrontMatter:
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
