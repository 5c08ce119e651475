"""The site an archive belongs to: its name, from the static-site generator's config file."""

from __future__ import annotations

import functools
import json
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

# The config files of Hexo and Jekyll (_config.yml), Hugo (hugo.* or config.*), Zola (config.toml)
# and Pelican (pelicanconf.py), in the order they are looked for in one folder.
CONFIG_FILES = (
    "_config.yml", "_config.yaml", "hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json",
    "config.toml", "config.yaml", "config.yml", "config.json", "pelicanconf.py",
)
LEVELS_ABOVE_ROOT = 2  # a Hugo site keeps its config two levels above content/posts/
_PELICAN_SITENAME = re.compile(r"^SITENAME\s*=\s*(['\"])(.+?)\1\s*$", re.M)
MAX_CONFIG_BYTES = 1 << 20


def archive_folders(doc_id: str, root_name: str) -> tuple[str, ...]:
    """The names of the folders from the archive root (named ``root_name``) down to the folder of
    the article whose id is ``doc_id`` (an id that starts with the root's name has it once)."""
    folders = PurePosixPath(doc_id).parts[:-1]
    return folders if folders[:1] == (root_name,) else (root_name, *folders)


def root_name(file: Path, doc_id: str) -> str:
    """The name of the archive root of ``file``: the folder ``doc_id`` is the path below."""
    return Path(file).absolute().parents[len(PurePosixPath(doc_id).parts) - 1].name


def site_name(file: Path, doc_id: str) -> str | None:
    """The ``title`` of the nearest generator config in the file's folder, the folders up to the
    archive root (the root is where ``doc_id`` starts), or up to two folders above the root."""
    levels = len(PurePosixPath(doc_id).parts) - 1 + LEVELS_ABOVE_ROOT
    return _site_name_from(str(Path(file).absolute().parent), levels)


@functools.lru_cache(maxsize=4096)
def _site_name_from(folder: str, levels: int) -> str | None:
    here = Path(folder)
    found = _read_title(here)
    if found is not None or levels <= 0 or here.parent == here:
        return found or None
    return _site_name_from(str(here.parent), levels - 1)


def _read_title(folder: Path) -> str | None:
    """The site title in ``folder``'s config ('' when a config says none; None: no config)."""
    for name in CONFIG_FILES:
        path = folder / name
        try:
            if not path.is_file() or path.stat().st_size > MAX_CONFIG_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        return _title(name, text)
    return None


def _title(name: str, text: str) -> str:
    data: Any = None
    try:
        if name.endswith(".toml"):
            data = tomllib.loads(text)
        elif name.endswith(".json"):
            data = json.loads(text)
        elif name.endswith(".py"):
            found = _PELICAN_SITENAME.search(text)
            return found.group(2).strip() if found else ""
        else:
            data = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, tomllib.TOMLDecodeError):
        return ""
    if not isinstance(data, dict):
        return ""
    title = data.get("title")
    if not isinstance(title, str) and isinstance(data.get("languages"), dict):  # Hugo multilingual
        title = next((v.get("title") for v in data["languages"].values() if isinstance(v, dict) and v.get("title")), None)
    return title.strip() if isinstance(title, str) else ""
