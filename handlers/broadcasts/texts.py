"""What several announcement flows show: the resident's text with its heading, and its length."""

from __future__ import annotations

import html
import re

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.i18n import in_all_languages
from bot.rules.errors import NotFound
from storage import broadcasts, places
from storage.db import Database
from storage.people import Person
from storage.places import RuralDistrict


async def district(db: Database, person: Person) -> RuralDistrict:
    """The staff member's rural district."""
    rd = await places.rural_district(db, person.rural_district_id)
    if rd is None:
        raise NotFound(broadcasts.NOT_FOUND)
    return rd


def visible_length(text: str) -> int:
    """What Telegram counts against its limits: the text without HTML tags, entities decoded."""
    return len(html.unescape(re.sub(r"<[^>]*>", "", text)))


def resident_texts(i18n: I18n, rd: RuralDistrict, text_kk: str, text_ru: str) -> dict[str, str]:
    """The announcement as each language's reader gets it: a heading with the office, then the text."""

    def render() -> str:
        lang = i18n.current_locale
        office = (rd.office_ru if lang == "ru" else rd.office_kk) or _("the akim's office of {name}").format(
            name=rd.name(lang)
        )
        body = (text_ru if lang == "ru" else text_kk) or text_kk or text_ru
        heading = _("📣 <b>Announcement</b>") + "\n" + escape(office)
        return heading + ("\n\n" + body if body else "")

    return in_all_languages(i18n, render)
