"""The main menu, navigation, language, consent and place pickers; shared by every feature.

Reply-keyboard labels are matched in every language (``MenuButton``), so a person whose old
keyboard is in the other language is still understood.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from enum import StrEnum
from functools import lru_cache, wraps
from typing import Any, TypeVar

from aiogram.filters import BaseFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import LANGUAGES, N_
from storage.people import Person
from storage.places import Place

# The main menu: (key, label msgid). The key names the feature.
MENU_LABELS = {
    "initiatives": N_("💡 Initiatives"),
    "contests": N_("🗳 Contests"),
    "events": N_("📅 Events"),
    "documents": N_("📄 Documents"),
    "settings": N_("⚙️ Settings"),
    "admin": N_("🛠 Admin"),
}
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский"}


M = TypeVar("M")


def per_language(build: Callable[..., M]) -> Callable[..., M]:
    """A keyboard built once for each language and each set of (hashable, positional) arguments.
    aiogram's types are frozen, so the same object serves every press: the screens with many
    buttons (the documents' home, a list of contests) no longer validate each button every time."""

    @lru_cache(maxsize=2048)
    def cached(_lang: str, *args: Hashable) -> M:
        return build(*args)

    @wraps(build)
    def keyboard(*args: Hashable) -> M:
        try:
            lang = get_i18n().current_locale
        except LookupError:  # no language in this context: nothing to key the texts on
            return build(*args)
        return cached(lang, *args)

    return keyboard


class MenuButton(BaseFilter):
    """Matches a main-menu label in any language."""

    def __init__(self, key: str) -> None:
        self.msgid = MENU_LABELS[key]

    async def __call__(self, message: Message, i18n: I18n) -> bool:
        if not message.text:
            return False
        return any(message.text == i18n.gettext(self.msgid, locale=lang) for lang in LANGUAGES)


def menu_label(key: str) -> str:
    """A main-menu label in the current language."""
    msgid = MENU_LABELS[key]
    return _(msgid)


def main_menu(person: Person | None) -> ReplyKeyboardMarkup:
    """Big buttons, always there: two per row, Admin only for staff and operators."""
    return _main_menu(person is not None and person.is_staff)


@per_language
def _main_menu(staff: bool) -> ReplyKeyboardMarkup:
    keys = [["initiatives", "contests"], ["events", "documents"], ["settings"]]
    if staff:
        keys[2].append("admin")
    rows = [[KeyboardButton(text=menu_label(key)) for key in row] for row in keys]
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)


class Nav(CallbackData, prefix="nav"):
    """Go to the main menu (``to="menu"``) or cancel the flow (``to="cancel"``)."""

    to: str


@lru_cache(maxsize=8192)
def data_button(text: str, callback_data: str) -> InlineKeyboardButton:
    """A button that sends ``callback_data``. aiogram's types are frozen, so one object serves every
    keyboard that shows the same button (the menu, «Back», a list's items), validated once."""
    return InlineKeyboardButton(text=text, callback_data=callback_data)


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """A button that sends this callback data (packed here)."""
    return data_button(text, data.pack())


_MENU, _CANCEL = Nav(to="menu").pack(), Nav(to="cancel").pack()


def menu_button() -> InlineKeyboardButton:
    return data_button(_("🏠 Main menu"), _MENU)


def cancel_button() -> InlineKeyboardButton:
    return data_button(_("✖️ Cancel"), _CANCEL)


def back_button(callback_data: str) -> InlineKeyboardButton:
    return data_button(_("⬅️ Back"), callback_data)


def inline(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def with_back(rows: list[list[InlineKeyboardButton]], back: str) -> InlineKeyboardMarkup:
    """The rows, then «⬅️ Back» (to the callback data ``back``) and «🏠 Main menu» side by side."""
    return inline([*rows, [back_button(back), menu_button()]])


class Lang(CallbackData, prefix="lang"):
    code: str


def language_keyboard() -> InlineKeyboardMarkup:
    return inline(
        [
            [
                InlineKeyboardButton(text=name, callback_data=Lang(code=code).pack())
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )


class Consent(CallbackData, prefix="cons"):
    agree: bool


def consent_keyboard() -> InlineKeyboardMarkup:
    return inline(
        [
            [InlineKeyboardButton(text=_("✅ I agree"), callback_data=Consent(agree=True).pack())],
            [InlineKeyboardButton(text=_("I decline"), callback_data=Consent(agree=False).pack())],
        ]
    )


class Level(StrEnum):
    REGION = "r"
    DISTRICT = "d"
    RURAL_DISTRICT = "rd"
    VILLAGE = "v"


class Pick(CallbackData, prefix="pick"):
    level: Level
    id: int


def places_keyboard(level: Level, places: list[Place], lang: str, back: str | None = None) -> InlineKeyboardMarkup:
    """One place per row: names can be long, and big buttons are easier to hit."""
    rows = [[InlineKeyboardButton(text=p.name(lang), callback_data=Pick(level=level, id=p.id).pack())] for p in places]
    if back:
        rows.append([back_button(back)])
    return inline(rows)


def request_keyboard(request: KeyboardButton) -> ReplyKeyboardMarkup:
    """Telegram's request buttons (a contact, a user) work only on a reply keyboard: this one, with
    «✖️ Cancel» under it, hidden once used."""
    return ReplyKeyboardMarkup(
        keyboard=[[request], [KeyboardButton(text=_("✖️ Cancel"))]], resize_keyboard=True, one_time_keyboard=True
    )


def continue_keyboard(resume: str) -> InlineKeyboardMarkup:
    return inline([[InlineKeyboardButton(text=_("▶️ Continue"), callback_data=resume)], [menu_button()]])


def yes_no(yes: Any, no: Any) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(text=_("Yes"), callback_data=yes),
        InlineKeyboardButton(text=_("No"), callback_data=no),
    ]
