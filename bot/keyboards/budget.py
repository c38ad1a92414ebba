"""The budget: callback data, source and programme labels, keyboards (resident and staff)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import N_
from bot.keyboards.admin import AdminMenu, back_to_admin
from bot.keyboards.common import back_button, cancel_button, inline, menu_button
from bot.keyboards.documents import Doc, DocAct
from bot.rules.documents import REVENUE_SOURCES, SPENDING_PROGRAMMES

# code -> label msgid; a line with its own name (code NULL) shows that name instead.
LINE_LABELS = {
    "property_tax": N_("Property tax"),
    "land_tax": N_("Land tax"),
    "vehicle_tax": N_("Vehicle tax"),
    "water_use": N_("Water use payments"),
    "licence_fees": N_("Licence fees"),
    "outdoor_ads": N_("Outdoor advertising fees"),
    "other_own": N_("Other own revenues"),
    "transfers": N_("Transfers from above"),
    "office": N_("Akim's office upkeep"),
    "lighting": N_("Street lighting"),
    "improvement": N_("Improvement and greening"),
    "sanitation": N_("Sanitation and cleaning"),
    "roads": N_("Roads"),
    "water_supply": N_("Water supply"),
    "culture_sport": N_("Culture and sport"),
    "transport": N_("School transport"),
    "initiatives": N_("Local community projects"),
}
assert set(REVENUE_SOURCES) | set(SPENDING_PROGRAMMES) <= set(LINE_LABELS)


def line_label(code: str | None, name_kk: str, name_ru: str, lang: str) -> str:
    if code and code in LINE_LABELS:
        return _(LINE_LABELS[code])
    first, second = (name_ru, name_kk) if lang == "ru" else (name_kk, name_ru)
    return first.strip() or second.strip()


class Bud(CallbackData, prefix="bud"):
    """A year's budget (0: the newest with figures); ``chart`` sends the picture."""

    year: int
    chart: bool = False


def budget_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("💰 Budget"), callback_data=Bud(year=0).pack())


def budget_keyboard(
    year: int, years: list[int], citizen_doc: int | None, back: str, *, chart: bool = True
) -> InlineKeyboardMarkup:
    rows = []
    if citizen_doc is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("📄 Citizen budget"), callback_data=Doc(act=DocAct.OPEN, id=citizen_doc).pack()
                )
            ]
        )
    if chart:
        rows.append([InlineKeyboardButton(text=_("📊 Chart"), callback_data=Bud(year=year, chart=True).pack())])
    others = [InlineKeyboardButton(text=str(y), callback_data=Bud(year=y).pack()) for y in years if y != year]
    if others:
        rows.append(others[:4])
    rows.append([back_button(back), menu_button()])
    return inline(rows)


# -- staff ------------------------------------------------------------------------------------


class BAct(StrEnum):
    YEAR = "y"
    REVENUE = "r"
    SPENDING = "s"
    LINE = "l"
    OTHER = "o"
    TARGET = "t"


class AdmBud(CallbackData, prefix="admbud"):
    act: BAct
    year: int
    code: str = ""


def admin_years(years: list[int]) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(text=str(y), callback_data=AdmBud(act=BAct.YEAR, year=y).pack()) for y in years]]
    rows.append([back_to_admin()])
    return inline(rows)


def admin_budget(year: int, *, can_set_target: bool) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(text=_("➕ Revenue"), callback_data=AdmBud(act=BAct.REVENUE, year=year).pack()),
            InlineKeyboardButton(text=_("➕ Spending"), callback_data=AdmBud(act=BAct.SPENDING, year=year).pack()),
        ],
    ]
    if can_set_target:
        rows.append(
            [InlineKeyboardButton(text=_("🎯 Target"), callback_data=AdmBud(act=BAct.TARGET, year=year).pack())]
        )
    rows.append([InlineKeyboardButton(text=_("👁 As residents see it"), callback_data=Bud(year=year).pack())])
    rows.append([InlineKeyboardButton(text=_("⬅️ Back"), callback_data=AdminMenu(section="budget").pack())])
    return inline(rows)


def admin_codes(year: int, codes: tuple[str, ...], *, other: bool) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=_(LINE_LABELS[c]), callback_data=AdmBud(act=BAct.LINE, year=year, code=c).pack())]
        for c in codes
    ]
    if other:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("✏️ Another programme"), callback_data=AdmBud(act=BAct.OTHER, year=year).pack()
                )
            ]
        )
    rows.append(
        [InlineKeyboardButton(text=_("⬅️ Back"), callback_data=AdmBud(act=BAct.YEAR, year=year).pack()), cancel_button()]
    )
    return inline(rows)


def admin_cancel(year: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [
                InlineKeyboardButton(text=_("⬅️ Back"), callback_data=AdmBud(act=BAct.YEAR, year=year).pack()),
                cancel_button(),
            ]
        ]
    )
