"""Generate a news archive of any size in the real formats by resampling a real one.

Reads a source archive with zhsearch's own reader (the cleaned text, titles and metadata of every
article), splits the texts into sentences, and writes ``--count`` new article files: each takes
the shape of a random source article (outlet, format, author, categories, tags, URL host,
paragraph and sentence counts) and fills it with real sentences: the template's own sentence in
each slot with probability ``--keep`` (default 0.25, so topics stay coherent), otherwise a random
sentence of the same outlet (so the vocabulary, the script, traditional or simplified, and the
sentence lengths of each outlet stay real). Titles are real titles of the same outlet. Dates are
the template's, moved back by up to one source-archive span per multiple of its size, so a larger
archive covers a longer period, as a growing archive does.

Jekyll templates are written as ``jekyll/YYYY-MM-DD/YYYY-MM-DD-title.md`` (``layout: post``, ISO
date, ``from:``, flow lists, the ``<!--epoch-->`` + ``[title](url)`` preamble, one line of HTML);
Hexo templates as ``hexo/<outlet>/<feed>/title.md`` (blank first line, quoted title, block list of
categories, RFC 2822 date, ``<div>`` body). The same ``--seed`` and source give the same files.

    python bench/generate.py SOURCE... --out DIR --count N [--seed 1] [--pool FILE]

The output folder must be outside the repository and empty (or absent). ``--pool FILE`` caches
the parsed source (gzipped JSON), which saves re-reading it for every size.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import random
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

POOL_VERSION = 1
REPO = Path(__file__).resolve().parent.parent
_SENTENCE = re.compile(r"[^。！？!?]*(?:[。！？!?]+[”’\"」』）)]*|$)")
_UNSAFE_NAME = re.compile(r"[\\/:*?\"<>|\x00-\x1f#%]+")
_FLOW_UNSAFE = re.compile(r"[,\[\]{}:#\"']")
_REPOSITORY_FILES = {"readme", "license", "licence", "changelog", "contributing", "code_of_conduct", "security"}


def sentences(paragraph: str) -> list[str]:
    """A paragraph cut after each Chinese or Latin sentence terminator (closing quotes kept)."""
    return [s for s in _SENTENCE.findall(paragraph) if s.strip()]


def source_format(file: Path) -> str:
    head = file.read_bytes()[:400].decode("utf-8", "ignore")
    return "jekyll" if re.search(r"^(layout:|tags: \[|categories: \[)", head, re.M) else "hexo"


def build_pool(roots: list[Path], progress: bool = True) -> dict[str, Any]:
    """The sentences and titles of each outlet and one template per readable source article."""
    from zhsearch.indexer import SkipArticle, discover, read_article

    outlets: dict[str, dict[str, list[str]]] = {}
    sentence_ids: dict[str, dict[str, int]] = {}
    templates: list[dict[str, Any]] = []
    started = time.perf_counter()
    for n, source in enumerate(discover(roots), 1):
        try:
            doc = read_article(source.file, source.doc_id).document
        except SkipArticle:
            continue
        paragraphs = [[s for s in sentences(p)] for p in doc.text.split("\n\n") if p.strip()]
        if not paragraphs or not doc.title:
            continue
        outlet = doc.source or ""
        pool = outlets.setdefault(outlet, {"sentences": [], "titles": []})
        ids = sentence_ids.setdefault(outlet, {})
        shape = []
        for paragraph in paragraphs:
            slots = []
            for s in paragraph:
                if s not in ids:
                    ids[s] = len(pool["sentences"])
                    pool["sentences"].append(s)
                slots.append(ids[s])
            shape.append(slots)
        pool["titles"].append(doc.title)
        templates.append(
            {
                "format": source_format(source.file),
                "outlet": outlet,
                "author": doc.author,
                "url": doc.url,
                "categories": list(doc.categories),
                "tags": list(doc.tags),
                "date": doc.date.isoformat() if doc.date else None,
                "paragraphs": shape,
            }
        )
        if progress and n % 2000 == 0:
            print(f"  read {n} source files ({time.perf_counter() - started:.0f}s)", file=sys.stderr)
    if not templates:
        raise SystemExit(f"no readable article below {', '.join(map(str, roots))}")
    return {"version": POOL_VERSION, "roots": [str(r) for r in roots], "outlets": outlets, "templates": templates}


def load_pool(roots: list[Path], cache: Path | None) -> dict[str, Any]:
    if cache is not None and cache.exists():
        with gzip.open(cache, "rt", encoding="utf-8") as f:
            pool: dict[str, Any] = json.load(f)
        if pool.get("version") == POOL_VERSION and pool.get("roots") == [str(r) for r in roots]:
            return pool
    pool = build_pool(roots)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(cache, "wt", encoding="utf-8", compresslevel=3) as f:
            json.dump(pool, f, ensure_ascii=False)
    return pool


def _flow(values: list[str]) -> str:
    items = [json.dumps(v, ensure_ascii=False) if _FLOW_UNSAFE.search(v) else v for v in values]
    return "[ " + ", ".join(items) + " ]" if items else "[]"


def _file_name(title: str) -> str:
    name = _UNSAFE_NAME.sub(" ", title).strip(" .")[:60] or "untitled"
    # zhsearch skips the files every repository has (README, LICENSE…): a post is never named so
    return f"{name}-post" if name.split(".")[0].lower() in _REPOSITORY_FILES else name


def jekyll_article(title: str, date: datetime | None, t: dict[str, Any], url: str | None, body: list[str]) -> str:
    lines = ["---", "layout: post", f"title: {json.dumps(title, ensure_ascii=False)}"]
    if date is not None:
        lines.append(f"date: {date.strftime('%Y-%m-%dT%H:%M:%S.000Z')}")
    if t["author"]:
        lines.append(f"author: {json.dumps(t['author'], ensure_ascii=False)}")
    if url:
        lines.append(f"from: {url}")
    lines += [f"tags: {_flow(t['tags'])}", f"categories: {_flow(t['categories'])}", "---"]
    preamble = []
    if date is not None:
        preamble.append(f"<!--{int(date.timestamp() * 1000)}-->")
    if url:
        preamble += [f"[{title}]({url})", "------", ""]
    html_body = "<div>\n" + "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in body) + "</div>"
    return "\n".join(lines + preamble + [html_body]) + "\n"


def hexo_article(title: str, date: datetime | None, t: dict[str, Any], image: int, body: list[str]) -> str:
    lines = ["", "---", "title: '" + title.replace("'", "''") + "'"]
    if t["categories"]:
        lines.append("categories: ")
        lines += [f" - {c}" if not _FLOW_UNSAFE.search(c) else f" - {json.dumps(c, ensure_ascii=False)}"
                  for c in t["categories"]]
    if t["tags"]:
        lines.append(f"tags: {_flow(t['tags'])}")
    lines.append(f"headimg: 'https://picsum.photos/400/300?random={image}'")
    if t["author"]:
        lines.append(f"author: {t['author']}" if not _FLOW_UNSAFE.search(t["author"])
                     else f"author: {json.dumps(t['author'], ensure_ascii=False)}")
    lines.append("comments: false")
    lines.append(f"date: {format_datetime(date, usegmt=True) if date else 'Invalid Date'}")
    lines.append(f"thumbnail: 'https://picsum.photos/400/300?random={image}'")
    lines.append("---")
    div = "<div>   \n" + "\n".join(f"<p>　　{html.escape(p, quote=False)}</p>" for p in body) + "\n</div>"
    return "\n".join(lines + ["", div, "            "]) + "\n"


def generate(pool: dict[str, Any], out: Path, count: int, *, seed: int = 1, keep: float = 0.25) -> dict[str, int]:
    """Write ``count`` articles below ``out``; the number written per format."""
    rng = random.Random(seed)
    templates = pool["templates"]
    outlets = pool["outlets"]
    span_days = 92.0 * count / len(templates)  # a larger archive spans a longer period
    used: set[str] = set()
    written = {"jekyll": 0, "hexo": 0}
    for i in range(count):
        t = templates[rng.randrange(len(templates))]
        own = outlets[t["outlet"]]
        sent, titles = own["sentences"], own["titles"]
        body = []
        for slots in t["paragraphs"]:
            body.append("".join(sent[s] if rng.random() < keep else sent[rng.randrange(len(sent))] for s in slots))
        title = titles[rng.randrange(len(titles))]
        date = None
        if t["date"]:
            date = datetime.fromisoformat(t["date"]).astimezone(timezone.utc)
            date -= timedelta(seconds=int(rng.random() * span_days * 86400))
        if t["format"] == "jekyll":
            day = date.strftime("%Y-%m-%d") if date else "undated"
            stem = f"{day}-{_file_name(title)}" if date else _file_name(title)
            folder = out / "jekyll" / day
            url = t["url"]
            if url:
                url = f"{url}{'&' if '?' in url else '?'}zhg={i}"
            text = jekyll_article(title, date, t, url, body)
        else:
            feed = [_file_name(c) for c in t["categories"][1:3]] or [_file_name(t["outlet"] or "posts")]
            folder = out.joinpath("hexo", *feed)
            stem = _file_name(title)
            text = hexo_article(title, date, t, rng.randrange(10000), body)
        name = stem
        while str(folder / name) in used:
            name = f"{stem}-{rng.randrange(10**6)}"
        used.add(str(folder / name))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
        written[t["format"]] += 1
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="+", type=Path, help="folders of real articles to resample")
    parser.add_argument("--out", required=True, type=Path, help="output folder (outside the repository)")
    parser.add_argument("--count", required=True, type=int, help="number of articles to write")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=float, default=0.25, help="share of the template's own sentences")
    parser.add_argument("--pool", type=Path, help="cache of the parsed source (gzipped JSON)")
    args = parser.parse_args()

    out = args.out.resolve()
    if out == REPO or REPO in out.parents:
        parser.error(f"--out must be outside the repository ({REPO})")
    if out.exists() and any(out.iterdir()):
        parser.error(f"--out {out} is not empty")
    started = time.perf_counter()
    pool = load_pool([p.resolve() for p in args.source], args.pool)
    read = time.perf_counter() - started
    written = generate(pool, out, args.count, seed=args.seed, keep=args.keep)
    sentences_total = sum(len(o["sentences"]) for o in pool["outlets"].values())
    print(
        f"{args.count} articles written to {out} ({written['jekyll']} Jekyll, {written['hexo']} Hexo) "
        f"from {len(pool['templates'])} source articles, {sentences_total} distinct sentences, "
        f"{len(pool['outlets'])} outlets; source read in {read:.1f}s, total {time.perf_counter() - started:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
