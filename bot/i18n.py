"""Languages: the catalogs (one ``.po`` per feature, compiled into one ``messages.mo`` per
language), the middleware that picks the person's language, and rendering in every language.

Msgids are English; every one is translated in ``locales/kk`` and ``locales/ru``. Kazakh is the
default. ``python bot.py i18n update`` adds new msgids from the code to the feature's catalog
(``handlers/contests.py`` → ``contests.po``), ``compile`` builds the ``.mo`` files (also done at
start when a ``.po`` is newer), ``check`` fails on anything missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.rules.texts import N_ as N_  # re-exported: handlers and keyboards mark texts with it too

ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"
LANGUAGES = ("kk", "ru")
DEFAULT_LANGUAGE = "kk"
DOMAIN = "messages"
SOURCE_DIRS = ("bot", "handlers", "storage")
KEYWORDS = {"_": None, "__": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2), "N_": None}


def _po_files(locales: Path, lang: str) -> list[Path]:
    return sorted((locales / lang / "LC_MESSAGES").glob("*.po"))


def load_catalog(locales: Path, lang: str) -> Catalog:
    """Every ``.po`` of one language merged into one catalog."""
    merged = Catalog(locale=lang, domain=DOMAIN)
    for po in _po_files(locales, lang):
        with po.open("rb") as f:
            for message in read_po(f, locale=lang):
                if message.id and message.id not in merged:
                    merged[message.id] = message
    return merged


def compile_catalogs(locales: Path = LOCALES_DIR, *, force: bool = False) -> None:
    """Write ``messages.mo`` for each language whose ``.po`` files are newer than it."""
    for lang in LANGUAGES:
        mo = locales / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        sources = _po_files(locales, lang)
        newest = max((p.stat().st_mtime for p in sources), default=0.0)
        if force or not mo.exists() or mo.stat().st_mtime < newest:
            catalog = load_catalog(locales, lang)
            # written beside and moved into place: another process (a test run beside this one,
            # a bot starting) never reads half a file
            part = mo.with_name(f"{mo.name}.{os.getpid()}.part")
            with part.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            os.replace(part, mo)


def build_i18n(locales: Path = LOCALES_DIR) -> I18n:
    compile_catalogs(locales)
    return I18n(path=locales, default_locale=DEFAULT_LANGUAGE, domain=DOMAIN)


def in_all_languages(i18n: I18n, render: Callable[[], Any]) -> dict[str, Any]:
    """``render()`` once per language, with ``_()`` answering in that language."""
    rendered = {}
    with i18n.context():
        for lang in LANGUAGES:
            with i18n.use_locale(lang):
                rendered[lang] = render()
    return rendered


def language_of(user: User | None) -> str:
    """The language to start a new person in: Russian when Telegram says so, else Kazakh."""
    code = (user.language_code or "") if user else ""
    return "ru" if code.split("-")[0].lower() in {"ru", "be", "uk"} else DEFAULT_LANGUAGE


class PersonI18nMiddleware(I18nMiddleware):
    """The stored language of the person (set by ``PersonMiddleware``), else Telegram's hint."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        person = data.get("person")
        if person is not None:
            return str(person.language)
        return language_of(data.get("event_from_user"))


# --- the translation workflow -------------------------------------------------------------


# The public pages' templates (Jinja2, through its own extractor): their texts go to web.po.
TEMPLATES = "bot/web/templates"


def extract_messages(root: Path = ROOT) -> dict[str | tuple[str, str], tuple[str, int]]:
    """Every msgid in the code and the web templates, with the first file and line it appears on."""
    from jinja2.ext import babel_extract

    found: dict[str | tuple[str, str], tuple[str, int]] = {}
    sources: list[tuple[Any, Path]] = [
        ("python", path) for folder in SOURCE_DIRS for path in sorted((root / folder).rglob("*.py"))
    ]
    sources += [(babel_extract, path) for path in sorted((root / TEMPLATES).glob("*.html"))]
    for method, path in sources:
        options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "1"} if method is babel_extract else None
        for lineno, message, _comments, _context in extract_from_file(
            method, str(path), keywords=KEYWORDS, comment_tags=("i18n:",), options=options
        ):
            key = message if isinstance(message, str) else tuple(message[:2])
            found.setdefault(key, (str(path.relative_to(root)), lineno))  # type: ignore[arg-type]
    return found


def features(root: Path = ROOT) -> set[str]:
    """The features: a module or a package in ``handlers/`` (``handlers/contests/``, ``handlers/menu.py``),
    and ``web``, the public pages (``bot/web/``)."""
    handlers = root / "handlers"
    modules = {p.stem for p in handlers.glob("*.py")}
    packages = {p.parent.name for p in handlers.glob("*/__init__.py")}
    return ((modules | packages) - {"__init__", "common"}) | {"web"}


def feature_of(source: str, root: Path = ROOT) -> str:
    """The catalog of a text, by where it is written: ``handlers/contests/vote.py``,
    ``storage/contests.py`` and ``bot/keyboards/contests.py`` → ``contests``; ``bot/web/…`` (its
    modules and templates) → ``web``; shared modules → ``core``."""
    path = Path(source)
    known = features(root)
    if path.parts[:2] == ("bot", "web"):
        return "web"
    if len(path.parts) > 2 and path.parts[0] == "handlers" and path.parts[1] in known:
        return path.parts[1]
    return path.stem if path.stem in known else "core"


def update_catalogs(locales: Path = LOCALES_DIR, root: Path = ROOT) -> dict[str, int]:
    """Add msgids found in the code but in no catalog to the feature's ``.po`` (untranslated)."""
    added: dict[str, int] = {}
    extracted = extract_messages(root)
    for lang in LANGUAGES:
        known = load_catalog(locales, lang)
        todo: dict[str, list[tuple[Any, str, int]]] = {}
        for key, (source, lineno) in extracted.items():
            msgid = key if isinstance(key, str) else key[0]
            if msgid in known:
                continue
            todo.setdefault(feature_of(source), []).append((key, source, lineno))
        for feature, items in todo.items():
            path = locales / lang / "LC_MESSAGES" / f"{feature}.po"
            catalog = _read_or_new(path, lang)
            for key, source, lineno in items:
                string: Any = ("",) * catalog.num_plurals if isinstance(key, tuple) else ""
                catalog.add(key, string, locations=[(source, lineno)])
            _write(path, catalog)
            added[f"{lang}/{feature}"] = len(items)
    return added


def unused_and_missing(locales: Path = LOCALES_DIR) -> tuple[set[str], dict[str, set[str]]]:
    """Msgids in catalogs no code uses, and per language msgids the code uses but no catalog has."""
    code = {k if isinstance(k, str) else k[0] for k in extract_messages()}
    missing: dict[str, set[str]] = {}
    unused: set[str] = set()
    for lang in LANGUAGES:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in load_catalog(locales, lang) if m.id}
        missing[lang] = code - ids
        unused |= ids - code
    return unused, missing


def _read_or_new(path: Path, lang: str) -> Catalog:
    if path.exists():
        with path.open("rb") as f:
            return read_po(f, locale=lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    return Catalog(locale=lang, domain=DOMAIN, project="rural-self-government-bot", charset="utf-8")


def _write(path: Path, catalog: Catalog) -> None:
    catalog.fuzzy = False
    with path.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, include_previous=False)


def drop_unused(locales: Path = LOCALES_DIR, ids: Iterable[str] = ()) -> None:
    """Remove msgids no code uses any more from every catalog."""
    gone = set(ids)
    for lang in LANGUAGES:
        for path in _po_files(locales, lang):
            catalog = _read_or_new(path, lang)
            for msgid in [m.id for m in catalog if m.id and (m.id if isinstance(m.id, str) else m.id[0]) in gone]:
                del catalog[msgid]
            _write(path, catalog)


def fill_catalogs(entries: list[dict[str, Any]], locales: Path = LOCALES_DIR) -> int:
    """Set translations: ``[{"msgid": ..., "kk": ..., "ru": ...}]`` (plurals: lists of forms)."""
    by_id = {e["msgid"]: e for e in entries}
    filled = 0
    for lang in LANGUAGES:
        for path in _po_files(locales, lang):
            catalog = _read_or_new(path, lang)
            changed = False
            for message in catalog:
                key = message.id if isinstance(message.id, str) else (message.id[0] if message.id else None)
                if key in by_id and lang in by_id[key]:
                    value = by_id[key][lang]
                    message.string = tuple(value) if isinstance(value, list) else value
                    message.flags.discard("fuzzy")
                    changed = True
                    filled += 1
            if changed:
                _write(path, catalog)
    return filled
