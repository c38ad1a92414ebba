"""Every text a person sees exists in both catalogs, with the msgid's placeholders and plural forms."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALES_DIR, unused_and_missing

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


def test_kazakh_is_plural_with_two_forms_and_russian_with_three() -> None:
    for lang, forms in (("kk", 2), ("ru", 3)):
        po = LOCALES_DIR / lang / "LC_MESSAGES" / "core.po"
        with po.open("rb") as f:
            assert read_po(f, locale=lang).num_plurals == forms
