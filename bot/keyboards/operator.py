"""The operator's screens in the chat: the menu, a district's card, its staff, its settings, the
audit trail. Operator buttons start with ``admop``: a forged one from anyone else is refused and
logged by the fallback router (every prefix starting with ``adm`` is)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    KeyboardButtonRequestUsers,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _

from bot.i18n import N_
from bot.keyboards.common import inline, menu_button, request_keyboard
from storage.places import Place


class Op(StrEnum):
    MENU = "m"
    DISTRICTS = "ds"
    DISTRICT = "d"
    STAFF = "st"
    ADD_STAFF = "as"
    REMOVE = "rm"
    REMOVE_OK = "rmok"
    SETTINGS = "se"
    HOLD = "h"
    RELEASE = "r"
    STATUS = "s"


class OpCb(CallbackData, prefix="admop1"):
    act: Op
    rd: int = 0
    person: int = 0


class OpSet(CallbackData, prefix="admop1s"):
    """Change one setting of a district (``key`` of ``storage.districts.Key``)."""

    rd: int
    key: str


SETTING_LABELS = {
    "timezone": N_("🕒 Time zone"),
    "quiet": N_("🌙 Quiet hours"),
    "review_days": N_("📆 Review deadline"),
    "threshold": N_("👍 Support threshold"),
    "census": N_("📋 Census on/off"),
    "approval": N_("✅ Two-person approval"),
}


def menu_keyboard(held: bool) -> InlineKeyboardMarkup:
    hold = (
        InlineKeyboardButton(text=_("▶️ Resume sending"), callback_data=OpCb(act=Op.RELEASE).pack())
        if held
        else InlineKeyboardButton(text=_("⏸ Stop all sending"), callback_data=OpCb(act=Op.HOLD).pack())
    )
    return inline(
        [
            [InlineKeyboardButton(text=_("🏘 Rural districts"), callback_data=OpCb(act=Op.DISTRICTS).pack())],
            [InlineKeyboardButton(text=_("📊 Status"), callback_data=OpCb(act=Op.STATUS).pack()), hold],
            [InlineKeyboardButton(text=_("📜 Audit log"), callback_data=AuditCb(act=AuditAct.PAGE).pack())],
            [menu_button()],
        ]
    )


def back_to_menu() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅️ Operator"), callback_data=OpCb(act=Op.MENU).pack())


def districts_keyboard(items: list[Place], lang: str) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=p.name(lang), callback_data=OpCb(act=Op.DISTRICT, rd=p.id).pack())] for p in items
    ]
    rows.append([back_to_menu()])
    return inline(rows)


def district_keyboard(rd: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [
                InlineKeyboardButton(text=_("👥 Staff"), callback_data=OpCb(act=Op.STAFF, rd=rd).pack()),
                InlineKeyboardButton(text=_("⚙️ Settings"), callback_data=OpCb(act=Op.SETTINGS, rd=rd).pack()),
            ],
            [InlineKeyboardButton(text=_("⬅️ Rural districts"), callback_data=OpCb(act=Op.DISTRICTS).pack())],
        ]
    )


def staff_keyboard(rd: int, staff: list[tuple[int, int]]) -> InlineKeyboardMarkup:
    """(person id, Telegram id) of each staff member: a button to remove them."""
    rows = [[InlineKeyboardButton(text=_("➕ Add staff"), callback_data=OpCb(act=Op.ADD_STAFF, rd=rd).pack())]]
    rows += [
        [
            InlineKeyboardButton(
                text=_("➖ Remove {id}").format(id=telegram_id),
                callback_data=OpCb(act=Op.REMOVE, rd=rd, person=person_id).pack(),
            )
        ]
        for person_id, telegram_id in staff
    ]
    rows.append([InlineKeyboardButton(text=_("⬅️ Back"), callback_data=OpCb(act=Op.DISTRICT, rd=rd).pack())])
    return inline(rows)


def confirm_remove_keyboard(rd: int, person_id: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [
                InlineKeyboardButton(
                    text=_("Yes, remove"), callback_data=OpCb(act=Op.REMOVE_OK, rd=rd, person=person_id).pack()
                ),
                InlineKeyboardButton(text=_("No"), callback_data=OpCb(act=Op.STAFF, rd=rd).pack()),
            ]
        ]
    )


def pick_user_keyboard(rd: int) -> ReplyKeyboardMarkup:
    """Telegram's user picker: the chosen account comes back as ``users_shared`` (``request_id`` = the district)."""
    picker = KeyboardButtonRequestUsers(request_id=rd, user_is_bot=False, max_quantity=1)
    return request_keyboard(KeyboardButton(text=_("👤 Choose the person"), request_users=picker))


def settings_keyboard(rd: int, census: bool) -> InlineKeyboardMarkup:
    rows = []
    keys = list(SETTING_LABELS)
    for i in range(0, len(keys), 2):
        rows.append(
            [
                InlineKeyboardButton(
                    text=_(SETTING_LABELS[k])
                    if k != "census"
                    else (_("📋 Census: on") if census else _("📋 Census: off")),
                    callback_data=OpSet(rd=rd, key=k).pack(),
                )
                for k in keys[i : i + 2]
            ]
        )
    rows.append([InlineKeyboardButton(text=_("⬅️ Back"), callback_data=OpCb(act=Op.DISTRICT, rd=rd).pack())])
    return inline(rows)


def status_keyboard(held: bool) -> InlineKeyboardMarkup:
    return menu_keyboard(held)


# --- the audit trail (the operator and the chair) ------------------------------------------------


class AuditAct(StrEnum):
    PAGE = "p"
    DISTRICT = "d"
    PERSON = "pe"
    KIND = "k"
    DATES = "dt"
    CLEAR = "c"
    CSV = "csv"


class AuditCb(CallbackData, prefix="aud1"):
    """Not ``adm``: the chair, a resident, reads the trail too (each press is checked again)."""

    act: AuditAct
    page: int = 0
    value: str = ""


def audit_keyboard(page: int, pages: int, *, operator: bool) -> InlineKeyboardMarkup:
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(text="◀️", callback_data=AuditCb(act=AuditAct.PAGE, page=page - 1).pack()))
    if page + 1 < pages:
        nav.append(InlineKeyboardButton(text="▶️", callback_data=AuditCb(act=AuditAct.PAGE, page=page + 1).pack()))
    filters = [
        InlineKeyboardButton(text=_("👤 Person"), callback_data=AuditCb(act=AuditAct.PERSON).pack()),
        InlineKeyboardButton(text=_("🏷 Kind"), callback_data=AuditCb(act=AuditAct.KIND).pack()),
        InlineKeyboardButton(text=_("📅 Dates"), callback_data=AuditCb(act=AuditAct.DATES).pack()),
    ]
    if operator:
        filters.insert(
            0, InlineKeyboardButton(text=_("🏘 District"), callback_data=AuditCb(act=AuditAct.DISTRICT).pack())
        )
    rows = [nav] if nav else []
    rows += [filters[:2], filters[2:]]
    rows.append(
        [
            InlineKeyboardButton(text=_("✖️ All entries"), callback_data=AuditCb(act=AuditAct.CLEAR).pack()),
            InlineKeyboardButton(text=_("📥 CSV"), callback_data=AuditCb(act=AuditAct.CSV).pack()),
        ]
    )
    rows.append([menu_button()])
    return inline(rows)


def audit_choices(act: AuditAct, choices: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """(label, value) buttons for a filter, two per row, then Back."""
    buttons = [
        InlineKeyboardButton(text=label, callback_data=AuditCb(act=act, value=value).pack()) for label, value in choices
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(text=_("⬅️ Back"), callback_data=AuditCb(act=AuditAct.PAGE).pack())])
    return inline(rows)
