"""Every text a person sees exists in both catalogs, with the msgid's placeholders and plural forms."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from bot.i18n import (
    KEYWORDS,
    LANGUAGES,
    LOCALES_DIR,
    ROOT,
    SOURCE_DIRS,
    extract_messages,
    feature_of,
    unused_and_missing,
)

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
LATIN_LOOKALIKES = re.compile(r"[a-zA-Z]*[а-яәғқңөұүһіА-ЯӘҒҚҢӨҰҮҺІ]+[aceiopxyABCEHKMOPTX]+[а-яәғқңөұүһі]*")


def test_every_msgid_in_the_code_is_in_both_catalogs() -> None:
    _unused, missing = unused_and_missing()
    assert missing == {lang: set() for lang in LANGUAGES}


def test_catalog_entries_are_translated_with_the_same_placeholders_and_plural_forms() -> None:
    problems = []
    for lang in LANGUAGES:
        for po in sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")):
            with po.open("rb") as f:
                catalog = read_po(f, locale=lang)
            for message in catalog:
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
                strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
                where = f"{po.name}:{message.lineno} {ids[0][:40]!r}"
                if message.fuzzy:
                    problems.append(f"{lang} {where}: fuzzy")
                if not all(strings):
                    problems.append(f"{lang} {where}: untranslated")
                    continue
                if len(ids) > 1 and len(strings) != catalog.num_plurals:
                    problems.append(f"{lang} {where}: {len(strings)} plural forms, needs {catalog.num_plurals}")
                expected = [set(PLACEHOLDER.findall(i)) for i in ids]
                for s in strings:
                    if set(PLACEHOLDER.findall(s)) not in expected:
                        problems.append(f"{lang} {where}: placeholders differ")
                if lang == "kk" and any(LATIN_LOOKALIKES.fullmatch(w) for s in strings for w in s.split()):
                    problems.append(f"{lang} {where}: a Latin letter inside a Cyrillic word")
    assert problems == []


def _features_using_each_msgid() -> dict[str, set[str]]:
    uses: dict[str, set[str]] = {}
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = str(path.relative_to(ROOT))
            for _line, message, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
                msgid = message if isinstance(message, str) else message[0]
                uses.setdefault(msgid, set()).add(feature_of(source))
    return uses


def test_each_text_lives_in_the_catalog_of_the_feature_that_uses_it() -> None:
    """``handlers/contests/vote.py``, ``storage/contests.py`` → ``contests.po``; a text several
    features share may live in ``core.po``."""
    catalog_of = {}
    for po in sorted((LOCALES_DIR / "kk" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for message in read_po(f, locale="kk"):
                if message.id:
                    catalog_of[message.id if isinstance(message.id, str) else message.id[0]] = po.stem
    misplaced = [
        f"{catalog_of.get(msgid)}.po holds {msgid[:50]!r}, used by {sorted(features)}"
        for msgid, features in _features_using_each_msgid().items()
        if catalog_of.get(msgid) not in features and not (len(features) > 1 and catalog_of.get(msgid) == "core")
    ]
    assert misplaced == []


def test_a_flow_module_of_a_feature_package_maps_to_the_features_catalog() -> None:
    assert feature_of("handlers/contests/vote.py") == "contests"
    assert feature_of("handlers/contests/__init__.py") == "contests"
    assert feature_of("storage/contests.py") == "contests"
    assert feature_of("bot/keyboards/contests.py") == "contests"
    assert feature_of("handlers/common.py") == "core"


def test_kazakh_is_plural_with_two_forms_and_russian_with_three() -> None:
    for lang, forms in (("kk", 2), ("ru", 3)):
        po = LOCALES_DIR / lang / "LC_MESSAGES" / "core.po"
        with po.open("rb") as f:
            assert read_po(f, locale=lang).num_plurals == forms


# --- the glossary's rules (docs/glossary-rules.toml) ------------------------------------------------

RULES_FILE = LOCALES_DIR.parent / "docs" / "glossary-rules.toml"


@dataclass(frozen=True)
class Entry:
    """One msgid of one language's catalog: its msgstr (every plural form) and where it is."""

    lang: str
    where: str
    msgid: str
    plural: bool
    strings: tuple[str, ...]


def catalog_entries() -> list[Entry]:
    entries = []
    for lang in LANGUAGES:
        for po in sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")):
            with po.open("rb") as f:
                for message in read_po(f, locale=lang):
                    if not message.id:
                        continue
                    plural = isinstance(message.id, tuple | list)
                    msgid = str(message.id[0] if plural else message.id)
                    raw: Any = message.string
                    strings = tuple(str(s) for s in (raw if plural else (raw,)))
                    entries.append(Entry(lang, f"{lang}/{po.name}:{message.lineno}", msgid, plural, strings))
    return entries


def glossary_rules() -> dict[str, Any]:
    with RULES_FILE.open("rb") as f:
        return tomllib.load(f)


def _excepted(rule: dict[str, Any]) -> set[str]:
    return {e["msgid"] for e in rule.get("exceptions", ())}


def forbidden_forms(entries: Iterable[Entry], rules: dict[str, Any]) -> list[str]:
    """Msgstrs that use a form the glossary forbids (where the rule applies and no exception names the msgid)."""
    problems = []
    for rule in rules["forbidden"]:
        forms = re.compile(rule["forms"], re.IGNORECASE)
        scope = re.compile(rule["msgids"]) if "msgids" in rule else None
        excepted = _excepted(rule)
        for entry in entries:
            if entry.lang != rule["lang"] or entry.msgid in excepted or (scope and not scope.search(entry.msgid)):
                continue
            for s in entry.strings:
                if found := forms.search(s):
                    problems.append(f"{entry.where} {entry.msgid[:50]!r}: «{found.group(0)}», use {rule['use']}")
    return problems


NUMBER_BEFORE_WORD = re.compile(
    r"\{(\w+)(?:[:!][^}]*)?\}(?:</?\w[^>]*>)*[ \u00a0]+(?:<\w[^>]*>)*([а-яё][а-яё-]*)", re.IGNORECASE
)


def numbers_before_nouns(entries: Iterable[Entry], rules: dict[str, Any]) -> list[str]:
    """Russian msgstrs of plain gettext msgids with a number placeholder right before a noun («{n} жителей»)."""
    plurals = rules["plurals"]
    not_numbers, not_nouns = set(plurals["not_numbers"]), set(plurals["not_nouns"])
    excepted = _excepted(plurals)
    problems = []
    for entry in entries:
        if entry.lang != "ru" or entry.plural or entry.msgid in excepted:
            continue
        for name, word in NUMBER_BEFORE_WORD.findall(entry.strings[0]):
            if name not in not_numbers and word.lower() not in not_nouns:
                problems.append(f"{entry.where} {entry.msgid[:50]!r}: «{{{name}}} {word}» needs ngettext")
    return problems


def too_long(entries: Iterable[Entry], rules: dict[str, Any]) -> list[str]:
    """Msgstrs longer than a phone screen holds comfortably."""
    limit, excepted = rules["length"]["max"], _excepted(rules["length"])
    return [
        f"{e.where} {e.msgid[:50]!r}: {len(s)} characters, at most {limit}"
        for e in entries
        if e.msgid not in excepted
        for s in e.strings
        if len(s) > limit
    ]


def test_no_msgstr_uses_a_form_the_glossary_forbids() -> None:
    assert forbidden_forms(catalog_entries(), glossary_rules()) == []


def test_no_russian_number_placeholder_stands_before_a_noun_outside_ngettext() -> None:
    assert numbers_before_nouns(catalog_entries(), glossary_rules()) == []


def test_every_message_template_fits_a_phone_screen() -> None:
    assert too_long(catalog_entries(), glossary_rules()) == []


def test_every_exception_of_the_glossary_rules_names_a_msgid_of_the_code() -> None:
    rules = glossary_rules()
    code = {k if isinstance(k, str) else k[0] for k in extract_messages()}
    ruled = [*rules["forbidden"], rules["plurals"], rules["length"]]
    named = [e["msgid"] for r in ruled for e in r.get("exceptions", ())]
    assert named and [m for m in named if m not in code] == []
    assert all(e["status"] in {"reviewed", "pending code change"} for e in rules["plurals"]["exceptions"])


def _planted(lang: str, msgid: str, msgstr: str, *, plural: bool = False) -> list[Entry]:
    return [Entry(lang, f"{lang}/planted.po:1", msgid, plural, (msgstr,) * (2 if plural else 1))]


@pytest.mark.parametrize(
    ("check", "bad", "fine"),
    [
        pytest.param(
            forbidden_forms,
            [
                *_planted("kk", "Ask the akim's office.", "Әкімдікке хабарласыңыз."),
                *_planted("ru", "Grazing places", "Пастбища"),
                *_planted("kk", "(online {online}, offline {offline})", "(онлайн {online}, офлайн {offline})"),
                *_planted("kk", "❌ Cancel event", "❌ Іс-шараны тоқтату"),
                *_planted("kk", "Please choose at least one village.", "Кемінде бір елді мекенді таңдаңыз."),
                *_planted("ru", "Villages: {names}", "Населённые пункты: {names}"),
                *_planted("kk", "📝 Drafts ({count})", "📝 Жобалар ({count})"),
                *_planted("ru", "📍 Send location", "📍 Отправить место"),
            ],
            [
                *_planted("kk", "Online votes", "Онлайн дауыстар"),  # a reviewed exception: a CSV column for staff
                *_planted("kk", "⛔ Stop", "⛔ Тоқтату"),  # stopping an announcement is not cancelling
                *_planted("kk", "Projects can only be added while the contest is a draft.", "Жобаларды қосуға болады."),
            ],
            id="a forbidden form",
        ),
        pytest.param(
            numbers_before_nouns,
            [
                *_planted("ru", "Voted {votes} of {registered}.", "Проголосовали {votes} из {registered} жителей."),
                *_planted("ru", "Too long: {length} characters.", "Слишком длинное: {length} символов."),
                *_planted("ru", "{count} left", "Осталось <b>{count}</b> <b>мест</b>"),
            ],
            [
                *_planted(
                    "ru", "Please send the reason as text, at most {limit} characters.", "Не длиннее {limit} знаков."
                ),
                *_planted("ru", "{count} resident", "{count} жителей", plural=True),  # ngettext
                *_planted("ru", "Residents: {count}", "Жителей: {count}"),
                *_planted("ru", "Step {n} of 7", "Шаг {n} из 7, {limit} фото, {year} год"),
                *_planted("kk", "Voted {votes} of {registered}.", "{registered} тұрғын"),  # no agreement in Kazakh
            ],
            id="a number before a noun",
        ),
    ],
)
def test_a_planted_mistake_is_caught_and_a_reviewed_exception_is_not(
    check: Callable[[list[Entry], dict[str, Any]], list[Any]], bad: list[Entry], fine: list[Entry]
) -> None:
    rules = glossary_rules()
    assert len(check(bad, rules)) == len(bad)
    assert check(fine, rules) == []


def test_a_planted_long_template_is_caught_and_the_consent_text_is_not() -> None:
    rules = glossary_rules()
    (consent,) = rules["length"]["exceptions"]
    assert len(too_long(_planted("kk", "Help", "Мәтін. " * 150), rules)) == 1
    assert too_long(_planted("kk", consent["msgid"], "Мәтін. " * 150), rules) == []
