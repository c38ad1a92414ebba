"""The admin menu. Every admin callback's prefix starts with ``adm``: a forged one from a
resident is recognised, refused and logged by the fallback router."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import N_
from bot.keyboards.common import inline, menu_button

ADMIN_PREFIX = "adm"

# section key -> label msgid; each feature's admin router handles AdminMenu(section=key)
SECTIONS = {
    "initiatives": N_("💡 Initiatives"),
    "contests": N_("🗳 Contests"),
    "events": N_("📅 Events"),
    "representatives": N_("👥 Representatives"),
    "documents": N_("📄 Documents"),
    "budget": N_("💰 Budget"),
    "broadcasts": N_("📣 Announcements"),
}


class AdminMenu(CallbackData, prefix="adm"):
    section: str


def admin_keyboard() -> InlineKeyboardMarkup:
    keys = list(SECTIONS)
    rows = [
        [InlineKeyboardButton(text=_(SECTIONS[k]), callback_data=AdminMenu(section=k).pack()) for k in keys[i : i + 2]]
        for i in range(0, len(keys), 2)
    ]
    rows.append([menu_button()])
    return inline(rows)


def back_to_admin() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅️ Admin"), callback_data=AdminMenu(section="home").pack())
