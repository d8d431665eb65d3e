"""The dashboard's two languages: English (the default, the text in the templates) and Russian.

A user's language is a setting of theirs (``PATCH /api/v1/me``); before anyone is logged in the
login page speaks the language the browser last used here (the ``fiscalhub_lang`` cookie).
Templates and views write ``_("English text")``; the Russian for it lives in
``hub/dashboard/locale/ru_*.py`` (one catalog per part of the dashboard, merged here), and a
test checks that every text the templates and views use has its translation. Texts may carry
``{name}`` placeholders, filled after translating.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from flask import g, request

LANGUAGES = ("en", "ru")
DEFAULT = "en"
LANG_COOKIE = "fiscalhub_lang"


@lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, str]:
    """English text → its translation, from every ``locale/<language>_*.py`` module."""
    from hub.dashboard import locale
    merged: dict[str, str] = {}
    for info in pkgutil.iter_modules(locale.__path__):
        if info.name.startswith(f"{language}_"):
            merged.update(importlib.import_module(f"{locale.__name__}.{info.name}").MESSAGES)
    return merged


def current_language() -> str:
    me = getattr(g, "me", None)
    if me and me.get("user"):
        return me["user"].get("language") or DEFAULT
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT


def gettext(text: str, **values) -> str:
    language = current_language()
    translated = text if language == DEFAULT else catalog(language).get(text, text)
    return translated.format(**values) if values else translated
