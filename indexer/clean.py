"""Article bodies (HTML, Markdown or both) to clean plain text: paragraphs, no boilerplate."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag


_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EPOCH = re.compile(r"<!--\s*(\d{12,13})\s*-->")
_PREAMBLE = re.compile(r"\A\s*\[(?P<title>[^\]\n]*)\]\((?P<url>[^)\s]*)\)[ \t]*\n[-=]{3,}[ \t]*\n")
_PRE_STRIP = re.compile(r"<!--.*?-->|<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_DROP_TAGS = frozenset(["script", "style", "noscript", "iframe", "form", "button", "svg", "template", "object", "embed", "input", "select", "textarea", "video", "audio", "canvas", "map", "head", "title", "meta", "link"])
_BLOCK_TAGS = frozenset(["p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "caption", "figcaption", "blockquote", "pre", "section", "article", "header", "footer", "dd", "dt", "table", "ul", "ol", "figure", "hr", "center"])
# Markdown residue inside text nodes.
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\((?:[^)\s]*)(?:\s+\"[^\"\n]*\")?\)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_MD_RULE_LINE = re.compile(r"^[ \t]{0,3}([-*_])([ \t]*\1){2,}[ \t]*$", re.M)
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
# A URL is ASCII: the Chinese text glued to its end is not part of it.
_BARE_URL = re.compile(r"(?<![A-Za-z0-9/@.])https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+")
_URL_TRAILER = re.compile(r"[.,;:!?'*]+$")
_EMPTY_BRACKETS = re.compile(r"[ \t]*[（(][ \t]*[)）]")  # what "(https://…)" leaves
# Hugo shortcodes ({{< figure src="…" caption="…" >}}, {{% note %}}…{{% /note %}}) and the
# WordPress ones an export leaves ([caption …]…[/caption], [embed]…[/embed], [gallery …]).
_HUGO_SHORTCODE = re.compile(r"\{\{([<%])(.*?)\1?[>%]\}\}", re.S)
_SHORTCODE_TEXT = re.compile(r"""\b(caption|title|alt)\s*=\s*(?:"([^"]*)"|'([^']*)'|“([^”]*)”)""")
_WP_EMBED = re.compile(r"\[embed\b[^\]]*\].*?\[/embed\]", re.S | re.I)
_WP_SHORTCODE = re.compile(r"\[/?(?:caption|wp_caption|gallery|video|audio|playlist|embed)\b[^\]\n]*\]", re.I)
_HAN_OR_FULLWIDTH = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_NEWLINE_BETWEEN_HAN = re.compile(f"(?<=[{_HAN_OR_FULLWIDTH}])[ \t]*\n\\s*(?=[{_HAN_OR_FULLWIDTH}])")
_NEWLINE = re.compile(r"[ \t]*\n\s*")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_ANY_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_CJK_PUNCT = re.compile(r"[ \t\u00a0\u3000]+([，。；：！？、）」』】》])")
_LINK_BLOCKS = frozenset(["li", "dt", "dd", "p", "ul", "ol", "div", "section", "aside", "nav", "td", "h1", "h2", "h3", "h4", "h5", "h6", "body"])
_JOINED_BLOCKS = frozenset(["p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "caption", "figcaption", "dt", "dd"])
_LINE_BLOCK_NAMES = _BLOCK_TAGS | _JOINED_BLOCKS
FOOTER_MAX_CHARS = 400
LINK_LIST_SHARE = 0.8
LINK_LISTS_MIN_KEPT = 0.2  # link lists are dropped only if a fifth of the text is left: a list of headlines is the post
LINE_RULE_MAX_CHARS = 100  # a longer paragraph loses only the sentence a line rule matches
# Marks a subheading's line while the body is cut into paragraphs (a private-use character and the
# level); the text keeps subheadings as ``## …`` paragraphs (see ``search.results.document.heading_level``).
_HEADING_SENTINEL = "\ue000"
_HEADING_LINE = re.compile(f"\\A{_HEADING_SENTINEL}([2-4])\\s*")
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_SUBHEADING_CANDIDATES = frozenset([*_HEADING_TAGS, "p"])
_FIRST_HEADING_TAGS = frozenset(["h1", "h2"])
_LINE_BREAKS = frozenset(["br", "img"])
_BOLD_TAGS = frozenset(["strong", "b"])
_LINKS = frozenset(["a"])
BOLD_HEADING_MAX_CHARS = 30  # a paragraph all in bold and this short, without a sentence's end, is a subheading
_SENTENCE_END = "。！？.!?；;，,：:、…"
_SENTENCE = re.compile(r"[^。！？!?]*(?:[。！？!?]+[”」』）)]*|$)")


# What a paragraph rule of ``data/boilerplate.txt`` is called where zhsearch says what it removed.
PARAGRAPH_RULES = {"line": "phrase rule", "credit": "image credit", "bio": "author bio"}


@dataclass(frozen=True)
class Removal:
    """One block the cleaner removed from an article: which rule, what it matched, the text."""

    rule: str  # class rule, phrase rule, image credit, author bio, tail rule, footer, link list, ...
    detail: str  # the class or id name, the matched words, ...
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "detail": self.detail, "text": self.text}


@dataclass(frozen=True)
class Rules:
    """The boilerplate rules of ``data/boilerplate.txt``, compiled."""

    line: tuple[re.Pattern[str], ...]  # the paragraph rules (line, credit and bio)
    line_required: tuple[frozenset[str] | None, ...]  # each one's required_chars
    line_names: tuple[str, ...]  # what each of them is called (``PARAGRAPH_RULES``)
    tail: tuple[re.Pattern[str], ...]
    css: re.Pattern[str]
    any_line: re.Pattern[str]  # finds what some pattern of ``line`` finds
    any_tail: re.Pattern[str]  # finds what some pattern of ``tail`` finds


@functools.cache
def rules() -> Rules:
    text = resources.files(__package__).joinpath("data/boilerplate.txt").read_text(encoding="utf-8")
    found: dict[str, list[str]] = {"tail": [], "class": [], **{kind: [] for kind in PARAGRAPH_RULES}}
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        kind, _, pattern = raw.partition(":")
        found[kind.strip()].append(pattern.strip())
    line = tuple(re.compile(p, re.I) for kind in PARAGRAPH_RULES for p in found[kind])
    return Rules(
        line=line,
        line_required=tuple(map(required_chars, line)),
        line_names=tuple(name for kind, name in PARAGRAPH_RULES.items() for _ in found[kind]),
        tail=tuple(re.compile(p, re.I) for p in found["tail"]),
        css=_any_of(found["class"]),
        any_line=_any_of([p for kind in PARAGRAPH_RULES for p in found[kind]]),
        any_tail=_any_of(found["tail"]),
    )


def required_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Characters of which every match of ``pattern`` holds at least one, else None (none known).

    Read from the pattern's parse tree (``re._parser``, what ``re.compile`` itself parses): a
    literal character, a class of literal characters, or the union of those of every alternative
    of a branch, taken from an element every match must go through (a repeat of at least one);
    the smallest such set of the pattern's sequence. Characters that have a case are left out when
    the pattern ignores case (other characters match only themselves then, as ``re`` compiles
    them). So a text holding none of the characters cannot match: a cheap test before the search.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python before 3.11
        import sre_parse as _parser
    return _required_in(_parser.parse(pattern.pattern, pattern.flags), bool(pattern.flags & re.I))


def _required_in(sequence: Iterable[Any], ignore_case: bool) -> frozenset[str] | None:
    """``required_chars`` of a parsed sequence (``(opcode, argument)`` items)."""
    import _sre

    from re import _constants as c  # type: ignore[attr-defined]

    def literal(code: int) -> frozenset[str] | None:
        return None if ignore_case and _sre.unicode_iscased(code) else frozenset(chr(code))

    best: frozenset[str] | None = None
    for op, av in sequence:
        found: frozenset[str] | None = None
        if op is c.LITERAL:
            found = literal(av)
        elif op is c.IN:
            chars: set[str] = set()
            for item_op, item in av:
                one = literal(item) if item_op is c.LITERAL else None
                if one is None:  # a negation, a category, a range: not enumerated
                    chars = set()
                    break
                chars |= one
            found = frozenset(chars) or None
        elif op is c.SUBPATTERN:
            _, add_flags, del_flags, inner = av
            found = _required_in(inner, bool((ignore_case or add_flags & re.I) and not del_flags & re.I))
        elif op is c.ATOMIC_GROUP:
            found = _required_in(av, ignore_case)
        elif op is c.BRANCH:
            union: set[str] = set()
            for alternative in av[1]:
                one = _required_in(alternative, ignore_case)
                if one is None:
                    union = set()
                    break
                union |= one
            found = frozenset(union) or None
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)):
            low, _, inner = av
            found = _required_in(inner, ignore_case) if low >= 1 else None
        # anything else (anchors, lookarounds, any character, back references) consumes no known character
        if found is not None and (best is None or len(found) < len(best)):
            best = found
    return best


def _any_of(patterns: list[str]) -> re.Pattern[str]:
    """One pattern that searches for all of ``patterns`` at once (none: it never matches)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)", re.I)


@dataclass
class CleanBody:
    """What the cleaner found in a body: the text and the metadata hidden in it."""

    text: str
    heading: str | None = None  # the first heading, a title for files without front matter
    preamble_title: str | None = None
    preamble_url: str | None = None
    epoch_ms: int | None = None
    removed: list[Removal] = field(default_factory=list)
    visible_chars: int = 0  # of the body as a page shows it, before any rule removed anything


# Classes a CMS puts on every post to say what it is filed under or what state it is in (WordPress
# post_class(), Drupal node classes): they name the post's taxonomy, never a page part.
_TAXONOMY_CLASS = re.compile(
    r"(category|cat|tag|tags|node|has|status|format|type|term|taxonomy|author(?![-_]?(bio|box|info|card|profile|description|about)\b)|is|wp-block|post-\d|postid|post-template|post-format|post-password)"
    r"([-_]|\d|$)",
    re.I,
)
_NAME_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Where a page's article sits: no boilerplate rule may remove the element that holds it.
_CONTENT_CLASSES = frozenset(
    ["entry-content", "post-content", "article-content", "article-body", "post-body", "entry-body", "story-body",
     "articlebody", "article__body", "post-entry", "single-content", "td-post-content", "field-name-body", "node-content"]
)
PROTECTED_SHARE = 0.4  # a class rule never drops an element holding more of the visible text than this
PROTECTED_MIN_CHARS = 200  # ... unless the element is this short (an ad slot in a two-line post)
PROTECTED_WHOLE_SHARE = 0.8  # ... but one holding nearly all of it is the post, however short, unless it is links


def _name_runs(name: str) -> list[str]:
    """``share-bar`` -> share, share-bar, bar: each run of adjacent name parts, as written."""
    parts = [(m.start(), m.end()) for m in _NAME_PART.finditer(name)]
    return [name[a:e] for i, (a, _) in enumerate(parts) for (_, e) in parts[i:]]


def _boilerplate_name(tag: Tag) -> str | None:
    """The class (``class="share-bar"``) or id (``id="comments"``) of ``tag`` that names a page part
    that is not article text, else None (whole name parts only: ``category-newsletters`` or
    ``node-promoted`` are a post's taxonomy, not a promo)."""
    names = [f'class="{c}"' for c in (tag.get("class") or []) if not _TAXONOMY_CLASS.match(c)]
    ident = tag.get("id")
    if isinstance(ident, str) and ident.strip():
        names.append(f'id="{ident.strip()}"')
    css = rules().css
    for name in names:
        if any(css.fullmatch(run) for run in _name_runs(name.partition('"')[2][:-1])):
            return name
    return None


def _is_boilerplate_element(tag: Tag) -> bool:
    return _boilerplate_name(tag) is not None


def _text_of(tag: Tag) -> str:
    return _SPACES.sub(" ", _ANY_SPACE.sub(" ", tag.get_text(" "))).strip()


def _visible_chars(tag: Tag) -> int:
    return len(_ANY_SPACE.sub("", tag.get_text()))


def article_holder(soup: BeautifulSoup) -> Tag | None:
    """The element that holds the article: the longest ``<article>``, ``<main>``, articleBody or
    entry-content element that no boilerplate class names (a comment is an ``<article>`` too)."""
    found: list[Tag] = []
    for tag in _tags(soup):
        classes = {c.lower() for c in (tag.get("class") or [])}
        if (
            tag.name in ("article", "main")
            or tag.get("role") == "main"
            or tag.get("itemprop") == "articleBody"
            or classes & _CONTENT_CLASSES
        ) and not _is_boilerplate_element(tag):
            found.append(tag)
    return max(found, key=_visible_chars, default=None)


def _tags(root: Tag, names: frozenset[str] | None = None) -> list[Tag]:
    """``root.find_all(True)``, or ``root.find_all(names)``: its tags (of those names) in document
    order, without bs4's per-element filter objects (this module's names have no namespace prefix)."""
    if names is None:
        return [t for t in root.descendants if isinstance(t, Tag)]
    return [t for t in root.descendants if isinstance(t, Tag) and t.name in names]


def _first_tag(root: Tag, names: frozenset[str]) -> Tag | None:
    """``root.find(names)``."""
    return next((t for t in root.descendants if isinstance(t, Tag) and t.name in names), None)


def _strings(elements: Iterable[Any]) -> list[NavigableString]:
    """The strings ``find_all(string=True)`` finds among ``elements``: every non-empty one."""
    return [s for s in elements if isinstance(s, NavigableString) and s]


def _parent_named(element: Any, names: frozenset[str]) -> Tag | None:
    """``element.find_parent(names)``."""
    for parent in element.parents:
        if parent.name in names:
            return parent  # type: ignore[no-any-return]
    return None


def _holds(tag: Tag, inner: Tag | None) -> bool:
    return inner is not None and (inner is tag or any(parent is tag for parent in inner.parents))


def _gone(tag: Tag) -> bool:
    """Whether ``tag`` was decomposed (bs4's ``Tag.decomposed`` searches the tree on every call)."""
    return "_decomposed" in vars(tag)


def _html_to_paragraphs(markup: str, removed: list[Removal]) -> tuple[list[str], tuple[str, str | None], int]:
    """The paragraphs of ``markup``, its first ``<h1>`` or ``<h2>`` (tag name and text) and its
    visible characters (what was removed is added to ``removed``)."""
    soup = BeautifulSoup(_PRE_STRIP.sub(" ", markup), "lxml")
    rules_seen: list[Tag] = []
    links: list[Tag] = []
    for tag in _tags(soup, _DROP_TAGS):
        tag.decompose()
    holder = article_holder(soup)
    visible = _visible_chars(soup)
    for tag in _tags(soup):
        if _gone(tag):
            continue
        name = _boilerplate_name(tag)
        if name and not _protected(tag, holder, visible):
            text = _text_of(tag)
            if text:
                removed.append(Removal("class rule", name, text))
            tag.decompose()
        elif tag.name == "hr":
            rules_seen.append(tag)
        elif tag.name == "a":
            links.append(tag)
    if rules_seen:
        _drop_footer_after(rules_seen[-1], soup, removed)
    _drop_link_lists(links, _visible_chars(soup), removed)
    _join_lines_inside_blocks(soup)
    first_heading = _first_tag(soup, _FIRST_HEADING_TAGS)
    heading = ("", None) if first_heading is None else (first_heading.name, first_heading.get_text(" ", strip=True) or None)
    _mark_subheadings(soup)
    return _split_paragraphs(_laid_out_text(soup)), heading, visible


def _laid_out_text(soup: BeautifulSoup) -> str:
    """The page's text with its layout: what ``soup.get_text()`` gives once images are dropped,
    each ``<br>`` is a line break, each block element stands between blank lines (a table row's
    blank strings are one space each: one line per row, however the cells are laid out) and
    each cell is followed by a space. Read from the tree in one pass, without changing it."""
    kept = soup.interesting_string_types or Tag.MAIN_CONTENT_STRING_TYPES
    out: list[str] = []
    stack: list[Any] = list(reversed(soup.contents))
    while stack:
        node = stack.pop()
        if type(node) is str:  # layout added here (a NavigableString is never exactly a str)
            out.append(node)
        elif isinstance(node, NavigableString):
            if type(node) in kept:
                out.append(node)
        elif isinstance(node, Tag):
            name = node.name
            if name == "img":
                continue
            if name == "br":
                out.append("\n")
                continue
            children: list[Any] = node.contents
            if name == "tr":
                children = [" " if isinstance(c, NavigableString) and not c.strip() else c for c in children]
            if name in _BLOCK_TAGS:
                out.append("\n\n")
                stack.append("\n\n")
            elif name in ("td", "th"):
                stack.append(" ")
            stack.extend(reversed(children))
    return "".join(out)


def _mark_subheadings(soup: BeautifulSoup) -> None:
    """Start each heading's text, and each short paragraph that is all bold, with the heading
    sentinel and its level (``<h1>``/``<h2>`` 2, ``<h3>`` and bold lines 3, smaller ones 4)."""
    for tag in _tags(soup, _SUBHEADING_CANDIDATES):
        if tag.name == "p":
            if not _is_bold_line(tag):
                continue
            level = 3
        else:
            level = min(4, max(2, int(tag.name[1])))
        tag.insert(0, NavigableString(f"{_HEADING_SENTINEL}{level}"))


def _is_bold_line(paragraph: Tag) -> bool:
    """``<p><strong>一、背景</strong></p>``: every letter in bold, short, not a sentence or a label."""
    if not any(d.name in ("strong", "b") for d in paragraph.descendants if isinstance(d, Tag)):
        return False  # the common case, found without bs4's search machinery
    strings = [s for s in _strings(paragraph.descendants) if s.strip()]
    if not strings or _first_tag(paragraph, _LINE_BREAKS) is not None:
        return False
    for string in strings:
        bold = _parent_named(string, _BOLD_TAGS)
        if bold is None or not _holds(paragraph, bold) or bold is paragraph:
            return False
    text = _text_of(paragraph)
    return 0 < len(text) <= BOLD_HEADING_MAX_CHARS and text[-1] not in _SENTENCE_END


def _split_headings(paragraphs: list[str]) -> tuple[list[str], dict[str, int]]:
    """The paragraphs without heading sentinels, and the level of each one that was a heading."""
    plain: list[str] = []
    levels: dict[str, int] = {}
    for para in paragraphs:
        found = _HEADING_LINE.match(para)
        if found:
            para = para[found.end() :].strip()
            if para:
                levels[para] = int(found.group(1))
        if para:
            plain.append(para)
    return plain, levels


def _marked(paragraph: str, levels: dict[str, int]) -> str:
    """A subheading as the text stores it: ``## 背景``."""
    level = levels.get(paragraph, 0)
    return f"{'#' * level} {paragraph}" if level else paragraph


def _protected(tag: Tag, holder: Tag | None, visible: int) -> bool:
    """An element that holds the article, or much of the page's text, is not boilerplate whatever
    its class says (``<div class="comment-wrapper">`` around a whole post)."""
    if _holds(tag, holder):
        return True
    chars = _visible_chars(tag)
    if chars > PROTECTED_WHOLE_SHARE * visible and _link_share(tag)[1] < LINK_LIST_SHARE:
        return True  # nearly the whole page, and not a share bar's links
    return (chars >= PROTECTED_MIN_CHARS and chars > PROTECTED_SHARE * visible)


def _join_lines_inside_blocks(soup: BeautifulSoup) -> None:
    """A newline inside a paragraph, list item, heading or cell is a space (nothing between Han
    characters): there only block elements and ``<br>`` start a paragraph. Text lines straight
    inside a ``<div>`` (a feed's plain text wrapped in one) and ``<pre>`` keep their breaks."""
    for string in [s for s in _strings(soup.descendants) if "\n" in s]:
        if not string.strip():
            continue
        block = _parent_named(string, _LINE_BLOCK_NAMES)
        if block is None or block.name not in _JOINED_BLOCKS:
            continue
        joined = _NEWLINE.sub(" ", _NEWLINE_BETWEEN_HAN.sub("", str(string)))
        string.replace_with(NavigableString(joined))


def _drop_footer_after(rule: Tag, soup: BeautifulSoup, removed: list[Removal]) -> None:
    """A short tail after the last horizontal rule is a feed or site footer, not article text."""
    tail = [s for s in _strings(rule.next_elements) if s.strip()]
    tail_chars = sum(len(s.strip()) for s in tail)
    total_chars = len(_ANY_SPACE.sub("", soup.get_text()))
    if tail_chars <= FOOTER_MAX_CHARS and tail_chars * 3 <= total_chars:
        if tail:
            removed.append(Removal("footer", "after the last <hr>", " ".join(s.strip() for s in tail)))
        for string in tail:
            string.extract()


def _link_share(block: Tag) -> tuple[int, float]:
    """The number of links in ``block`` and the share of its text that is link text."""
    text = len(_ANY_SPACE.sub("", block.get_text()))
    links = _tags(block, _LINKS)
    linked = sum(len(_ANY_SPACE.sub("", a.get_text())) for a in links)
    return len(links), (linked / text if text else 0.0)


def _drop_link_lists(links: list[Tag], visible: int, removed: list[Removal]) -> None:
    """Blocks that are (nearly) all link text: related-article lists, 延伸閱讀 boxes, share bars;
    unless they are the post (a list of headlines): then they stay."""
    checked: set[int] = set()
    blocks: list[Tag] = []
    for link in links:
        if _gone(link):
            continue
        block = link.parent
        while block is not None and block.name not in _LINK_BLOCKS:
            block = block.parent
        if block is None or block.name in ("body", "html", "[document]") or id(block) in checked:
            continue
        if any(_holds(outer, block) for outer in blocks):
            continue
        checked.add(id(block))
        count, share = _link_share(block)
        short = len(block.get_text(strip=True)) <= 40
        if share >= LINK_LIST_SHARE and (count >= 2 or block.name in ("li", "dt", "dd") or short):
            blocks.append(block)
    blocks = [b for b in blocks if not any(o is not b and _holds(o, b) for o in blocks)]
    if sum(_visible_chars(b) for b in blocks) > (1 - LINK_LISTS_MIN_KEPT) * visible:
        return
    for block in blocks:
        removed.append(Removal("link list", f"<{block.name}>, {_link_share(block)[0]} links", _text_of(block)))
        block.decompose()


def _markdown_residue(text: str) -> str:
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    return _EMPTY_BRACKETS.sub("", _BARE_URL.sub(_url_leftover, text))


def _url_leftover(url: re.Match[str]) -> str:
    """What a removed URL leaves: the punctuation that ended the sentence, not the URL."""
    trailer = _URL_TRAILER.search(url.group(0))
    return trailer.group(0).replace("'", "").replace("*", "") if trailer else ""


def _tidy(paragraph: str) -> str:
    """Collapse spaces, and drop those left before CJK punctuation (where a URL was removed)."""
    return _SPACE_BEFORE_CJK_PUNCT.sub(r"\1", _SPACES.sub(" ", paragraph)).strip()


def _split_paragraphs(text: str) -> list[str]:
    paragraphs: list[str] = []
    for chunk in re.split(r"\n", text):
        line = _SPACES.sub(" ", chunk).strip()
        if line:
            paragraphs.append(line)
    return paragraphs


def _markdown_to_html(text: str) -> str:
    """Render Markdown, with any HTML in it passed through; each line break stays a break
    (archives write one paragraph per line), ``---`` lines are rules, never setext headings."""
    return str(_markdown().render(_MD_RULE_LINE.sub("\n\n<hr>\n\n", text)))


@functools.cache
def _markdown() -> Any:
    """The Markdown renderer, made once (making one compiles its rules: 0.4 ms an article)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True, "breaks": True}).enable("table").disable("code")


def _shortcodes(body: str) -> str:
    """Hugo and WordPress shortcodes out; a paired one keeps what it wraps, a figure its caption."""

    def caption(code: re.Match[str]) -> str:
        found = _SHORTCODE_TEXT.search(code.group(2))
        if not found or code.group(2).lstrip().startswith("/"):
            return ""
        return "\n\n<p>" + next(g for g in found.groups()[1:] if g is not None) + "</p>\n\n"

    body = _HUGO_SHORTCODE.sub(caption, body)
    return _WP_SHORTCODE.sub("", _WP_EMBED.sub("", body))


def _paragraph_rule(text: str) -> Removal | None:
    """The paragraph rule that matches ``text`` (its name and the words it matched), else None."""
    r = rules()
    for name, pattern in zip(r.line_names, r.line, strict=True):
        found = pattern.search(text)
        if found:
            return Removal(name, found.group(0).strip()[:40], text)
    return None


def _line_rule_matches(text: str) -> bool:
    """Whether some paragraph rule matches ``text`` (what ``rules().any_line`` finds): the rules one
    by one, since most are anchored (``^…``) and Python's ``re`` tries an anchored pattern at the
    start only, but every alternative of the combined pattern at every position; and a rule only
    when the text holds one of its ``required_chars``."""
    r = rules()
    chars = set(text)
    return any(pattern.search(text) for pattern, required in zip(r.line, r.line_required, strict=True)
               if required is None or not required.isdisjoint(chars))


def _drop_boilerplate(paragraphs: list[str], removed: list[Removal]) -> list[str]:
    kept: list[str] = []
    seen: set[str] = set()
    r = rules()
    for para in paragraphs:
        if len(para) <= LINE_RULE_MAX_CHARS and _line_rule_matches(para):
            removed.append(_paragraph_rule(para) or Removal("phrase rule", "", para))
            continue
        para = _drop_sentences(para, removed)  # a credit sentence inside a paragraph goes alone
        if r.any_tail.search(para):  # else no tail pattern changes the (stripped) paragraph
            for pattern in r.tail:
                cut = pattern.sub("", para).rstrip()
                if cut != para:
                    tail = para[len(cut) :].strip()
                    removed.append(Removal("tail rule", tail[:40], tail))
                    para = cut
        if not para or not re.search(r"[^\W_]", para):
            continue
        if para in seen:
            removed.append(Removal("repeated paragraph", "kept once", para))
            continue  # the same paragraph twice in one article is kept once
        seen.add(para)
        kept.append(para)
    return kept


def _drop_sentences(para: str, removed: list[Removal]) -> str:
    """A paragraph loses only the sentences a line rule matches."""
    kept = []
    dropped = False
    for sentence in _SENTENCE.findall(para):
        found = _paragraph_rule(sentence.strip()) if sentence.strip() and _line_rule_matches(sentence.strip()) else None
        if found:
            removed.append(found)
            dropped = True
        else:
            kept.append(sentence)
    return "".join(kept).strip() if dropped else para


def clean_body(body: str, *, title: str | None = None) -> CleanBody:
    """Clean one article body; ``title`` lets a heading that repeats it be dropped."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    body = _INVISIBLE.sub("", _CONTROL.sub("", body))
    epoch = _EPOCH.search(body)
    epoch_ms = int(epoch.group(1)) if epoch else None
    body = _EPOCH.sub("", body, count=1).lstrip()
    preamble = _PREAMBLE.match(body)
    preamble_title = preamble_url = None
    if preamble:
        preamble_title = preamble.group("title").strip() or None
        preamble_url = preamble.group("url").strip() or None
        body = body[preamble.end() :]
    # Markdown, HTML or both: Markdown renders HTML as it is and Markdown (quotes, tables) as HTML.
    markup = _markdown_to_html(_shortcodes(body))
    removed: list[Removal] = []
    paragraphs, (heading_tag, heading), visible = _html_to_paragraphs(markup, removed)
    # The first heading is the title of a file without one, and a page's <h1> repeats the title;
    # under a title of its own, an article's first <h2> is a subheading.
    repeats = [title, preamble_title] if title and heading_tag == "h2" else [title, heading, preamble_title]
    paragraphs, levels = _split_headings([p for p in (_tidy(_markdown_residue(p)) for p in paragraphs) if p])
    paragraphs = _drop_boilerplate(paragraphs, removed)
    paragraphs = _drop_repeated_title(paragraphs, [t for t in repeats if t], removed)
    return CleanBody(
        text="\n\n".join(_marked(p, levels) for p in paragraphs),
        heading=heading,
        preamble_title=preamble_title,
        preamble_url=preamble_url,
        epoch_ms=epoch_ms,
        removed=removed,
        visible_chars=visible,
    )


_NOT_WORD = re.compile(r"[\W_]+")
_BRACKETED_LEAD = re.compile(r"\A【([^】]{1,120})】\s*")
TITLE_LOOKAHEAD = 3  # a repeated title sits among the first paragraphs (after a date or byline line)


def _squash(text: str) -> str:
    return _NOT_WORD.sub("", text).casefold()


def _same_text(a: str, b: str) -> bool:
    return _squash(a) == _squash(b)


def _drop_repeated_title(paragraphs: list[str], titles: list[str], removed: list[Removal]) -> list[str]:
    """Drop title headings repeated at the top of the body, and a ``【title】`` lead-in (财联社 电报)."""
    keys = {_squash(t) for t in titles} - {""}
    if not keys:
        return paragraphs
    head = [p for p in paragraphs[:TITLE_LOOKAHEAD] if _squash(p) not in keys]
    removed.extend(Removal("repeated title", "", p) for p in paragraphs[:TITLE_LOOKAHEAD] if _squash(p) in keys)
    out = head + paragraphs[TITLE_LOOKAHEAD:]
    if out:
        lead = _BRACKETED_LEAD.match(out[0])
        if lead and _squash(lead.group(1)) in keys and out[0][lead.end() :].strip():
            removed.append(Removal("repeated title", "【…】 lead-in", lead.group(0).strip()))
            out[0] = out[0][lead.end() :]
    return out


# What a template engine or a page leaves in text when the cleaner missed it.
_TEMPLATE_REMNANT = re.compile(
    r"\{\{[<%]?.{0,80}?[>%]?\}\}|\{%.{0,80}?%\}|\[/?(?:caption|wp_caption|embed|gallery|video|audio)\b[^\]\n]{0,80}\]"
    r"|<!--\s*/?wp:|</?(?:p|div|span|br|table|tbody|tr|td|iframe|figure|figcaption|section)\b[^>\n]{0,80}>"
    r"|&(?:nbsp|amp|lt|gt|quot|#\d{2,5});",
    re.I | re.S,
)


def template_remnant(text: str) -> str | None:
    """The first shortcode, template tag, HTML tag or entity left in ``text``, else None."""
    found = _TEMPLATE_REMNANT.search(text)
    return found.group(0)[:60] if found else None


OVER_CLEANED_SHARE = 0.3  # a text under this share of the body's visible characters was over-cleaned
OVER_CLEANED_MIN_CHARS = 100  # ... when the body had at least this many
# Rules that remove a line or a short tail, never an article: what they removed is no sign of
# over-cleaning (a post of pictures whose only text is a feed footer and an 原标题 line).
LINE_RULES = frozenset({*PARAGRAPH_RULES.values(), "tail rule", "footer", "repeated title", "repeated paragraph"})


def cleaning_warnings(text: str, visible_chars: int, removed: Sequence[Removal] = ()) -> list[str]:
    """``over-cleaned: …`` when the text kept under 30% of the body's visible characters (but for
    what line rules removed), ``template remnant: …`` when shortcode, template or HTML syntax is left in it."""
    found = []
    kept = len("".join(text.split()))
    judged = visible_chars - sum(len("".join(r.text.split())) for r in removed if r.rule in LINE_RULES)
    if judged >= OVER_CLEANED_MIN_CHARS and kept < OVER_CLEANED_SHARE * judged:
        found.append(f"over-cleaned: kept {kept} of {judged} visible characters ({kept / judged:.0%})")
    remnant = template_remnant(text)
    if remnant:
        found.append(f"template remnant: {remnant}")
    return found
