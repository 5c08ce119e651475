"""One language per page: the locale a request asks for (Flask-Babel), and search's messages in it."""

from __future__ import annotations

import re
from functools import cache

from babel import Locale, UnknownLocaleError
from flask import Flask, Response, request
from flask_babel import Babel, get_locale, gettext
from markupsafe import Markup

DEFAULT_LOCALE = "zh_Hans"  # the language the templates are written in


def N_(message: str) -> str:
    """Marks a message for the catalogs (pybabel extract -k N_) without translating it yet."""
    return message


# The warnings search/ writes, as templates: a warning that matches one is shown translated.
WARNINGS = (
    N_("the query was cut to its first %(count)s characters"),
    N_("OR at the start of the query was ignored"),
    N_("an unmatched “)” was ignored"),
    N_("ignored “%(field)s:”: it has no value"),
    N_("an unclosed quote was closed at the end of the query"),
    N_("an unclosed “(” was closed at the end of the query"),
    N_("a trailing OR/NOT had nothing after it and was ignored"),
    N_("nothing in the query could be searched"),
    N_("a query of only exclusions matches everything else"),
    N_("the query is long, so it was searched as any of its %(count)s most informative words (of %(total)s), "
       "best matches first"),
    N_("the most informative words left out of the long query: %(words)s"),
    N_("none of the query's words is in the archive"),
    N_("an empty “( )” was ignored"),
    N_("ignored “%(text)s”: it has no letters, digits or characters"),
    N_("an empty phrase was ignored"),
    N_("a group of only exclusions was ignored"),
    N_("ignored “%(term)s”: not a date (use YYYY, YYYY-MM or YYYY-MM-DD, or FROM..TO)"),
    N_("ignored “-%(term)s”: dates cannot be excluded"),
    N_("ignored %(name)s=%(value)s: not a date (use YYYY, YYYY-MM or YYYY-MM-DD, or FROM..TO)"),
    N_("the date range is empty: nothing can match it"),
    N_("同时含有全部词语的结果太少，已不再要求%(words)s（含有它们的结果仍排在前面）"),
    N_("同时含有全部词语的结果太少，只要求含有%(words)s中的至少 %(count)s 个（含有更多词语的结果排在前面）"),
    N_("同时含有全部词语的结果太少，已不再要求%(dropped)s，只要求含有%(words)s中的至少 %(count)s 个（含有更多词语的结果排在前面）"),
)
# The error messages of search/ and of the web layer's parameters, as templates.
ERRORS = (
    N_("%(name)s must be between %(low)s and %(high)s, not %(value)s"),
    N_("%(name)s must be a whole number, not %(value)s"),
    N_("%(name)s must be one of %(choices)s, not %(value)s"),
    N_("the query is longer than %(count)s characters: send it as POST /api/search with a JSON body"),
    N_("the query is longer than %(count)s characters"),
    N_("the request body is not JSON: send a JSON object of the search fields"),
    N_("the request body must be a JSON object of the search fields (%(fields)s)"),
    N_("unknown field %(name)s in the request body; the fields are %(fields)s"),
    N_("the field %(name)s must be a string, a whole number, true or false, or a list of strings"),
    N_("the field q must be one string"),
    N_(METHODS_ONLY := "this address answers %(methods)s requests only"),
    N_("no document with id %(id)s in the index"),
)
# What an HTTP error says, by status, instead of werkzeug's English description.
HTTP_ERRORS = {
    404: N_("nothing is at this address"),
    405: N_("this address does not answer this method"),
    500: N_("the server failed to answer; the error is logged"),
}


def page_locale() -> str:
    """The first language of Accept-Language that zhsearch speaks: zh_Hant for zh-Hant, zh-TW,
    zh-HK and zh-MO, zh_Hans for any other Chinese, en for English; zh_Hans otherwise."""
    for tag, _quality in request.accept_languages:
        try:
            asked = Locale.parse(tag, sep="-")
        except (ValueError, TypeError, UnknownLocaleError):
            continue
        if asked.language == "zh":
            return "zh_Hant" if asked.script == "Hant" else "zh_Hans"
        if asked.language == "en":
            return "en"
    return DEFAULT_LOCALE


def page_lang() -> str:
    """The page's lang attribute (BCP 47): zh-Hans, zh-Hant or en."""
    return str(get_locale() or DEFAULT_LOCALE).replace("_", "-")


def suggest_labels() -> Markup:
    """The words suggest.js writes, in the page's language: data attributes of the search box."""
    return Markup('data-list-label="{}" data-article-label="{}" data-count-suffix="{}"').format(
        gettext("搜索建议"), gettext("文章"), gettext(" 篇"))


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)))


def translate_message(message: str) -> str:
    """A warning or error message of search/ in the request's language (as written when no
    template matches it)."""
    for template in (*WARNINGS, *ERRORS):
        found = _pattern(template).fullmatch(message)
        if found:
            return gettext(template, **found.groupdict())
    return message


def http_error_message(status: int, description: str) -> str:
    """What an HTTP error of this status says, in the request's language."""
    return gettext(HTTP_ERRORS[status]) if status in HTTP_ERRORS else translate_message(description)


def method_error_message(methods: object) -> str:
    """A 405's message: the methods the address does answer (HEAD and OPTIONS go without saying)."""
    named = [m for m in sorted(methods or ()) if m not in ("HEAD", "OPTIONS")]  # type: ignore[call-overload]
    if not named:
        return gettext(HTTP_ERRORS[405])
    return gettext(METHODS_ONLY, methods="/".join(named))


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    Babel(app, locale_selector=page_locale)
    app.add_template_global(page_lang)
    app.add_template_global(suggest_labels)
    app.add_template_filter(translate_message, "translated")

    @app.after_request
    def _vary(response: Response) -> Response:
        response.vary.add("Accept-Language")
        return response
