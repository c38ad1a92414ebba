"""The budget: callback data, source and programme labels, keyboards (resident and staff)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import N_
from bot.keyboards.admin import AdminMenu, back_to_admin
from bot.keyboards.common import cancel_button, inline, with_back
from bot.keyboards.documents import Doc, DocAct
from bot.rules.documents import REVENUE_SOURCES, SPENDING_PROGRAMMES
from bot.web.links import web_row


class Code(StrEnum):
    """A known revenue source or spending programme (``bot.rules.documents``), as callback data carries it."""

    PROPERTY_TAX = "property_tax"
    LAND_TAX = "land_tax"
    VEHICLE_TAX = "vehicle_tax"
    WATER_USE = "water_use"
    LICENCE_FEES = "licence_fees"
    OUTDOOR_ADS = "outdoor_ads"
    OTHER_OWN = "other_own"
    TRANSFERS = "transfers"
    OFFICE = "office"
    LIGHTING = "lighting"
    IMPROVEMENT = "improvement"
    SANITATION = "sanitation"
    ROADS = "roads"
    WATER_SUPPLY = "water_supply"
    CULTURE_SPORT = "culture_sport"
    TRANSPORT = "transport"
    INITIATIVES = "initiatives"


# code -> label msgid; a line with its own name (code NULL) shows that name instead.
LINE_LABELS = {
    Code.PROPERTY_TAX: N_("Property tax"),
    Code.LAND_TAX: N_("Land tax"),
    Code.VEHICLE_TAX: N_("Vehicle tax"),
    Code.WATER_USE: N_("Water use payments"),
    Code.LICENCE_FEES: N_("Licence fees"),
    Code.OUTDOOR_ADS: N_("Outdoor advertising fees"),
    Code.OTHER_OWN: N_("Other own revenues"),
    Code.TRANSFERS: N_("Transfers from above"),
    Code.OFFICE: N_("Akim's office upkeep"),
    Code.LIGHTING: N_("Street lighting"),
    Code.IMPROVEMENT: N_("Improvement and greening"),
    Code.SANITATION: N_("Sanitation and cleaning"),
    Code.ROADS: N_("Roads"),
    Code.WATER_SUPPLY: N_("Water supply"),
    Code.CULTURE_SPORT: N_("Culture and sport"),
    Code.TRANSPORT: N_("School transport"),
    Code.INITIATIVES: N_("Local community projects"),
}
assert set(Code) == set(REVENUE_SOURCES) | set(SPENDING_PROGRAMMES) == set(LINE_LABELS)


def line_label(code: str | None, name_kk: str, name_ru: str, lang: str) -> str:
    if code and code in LINE_LABELS:
        return _(LINE_LABELS[Code(code)])
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
    rows += web_row("budget", year) if year else []
    return with_back(rows, back)


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
    code: Code | None = None


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
        [
            InlineKeyboardButton(
                text=_(LINE_LABELS[Code(c)]), callback_data=AdmBud(act=BAct.LINE, year=year, code=Code(c)).pack()
            )
        ]
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
