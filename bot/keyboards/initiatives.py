"""Buttons of civic initiatives: the resident's guided form, lists and cards, and the staff's queue.

Every field is typed (ints, enums): a forged or stale value fails to unpack and reaches the
fallback's polite answer. No initiative button is queued in the outbox (status notices carry
none); one that is must get a versioned prefix (``ini1``), as it outlives a release.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from bot.formatting import format_day
from bot.i18n import N_
from bot.keyboards.admin import back_to_admin
from bot.keyboards.common import back_button, cancel_button, inline, menu_button, with_back
from bot.rules.initiatives import Status, Topic
from storage.initiatives import Initiative, Setting
from storage.places import Place

TOPIC_LABELS = {
    Topic.GREENING: N_("🌳 Greening"),
    Topic.ROADS: N_("💡 Roads and lighting"),
    Topic.WATER: N_("🚰 Water"),
    Topic.WASTE: N_("🗑 Waste"),
    Topic.SPORTS: N_("⚽ Sports and play"),
    Topic.OTHER: N_("📝 Other"),
}
STATUS_LABELS = {
    Status.SUBMITTED: N_("submitted"),
    Status.REVIEW: N_("under review"),
    Status.ACCEPTED: N_("accepted"),
    Status.REJECTED: N_("rejected"),
    Status.IN_PROGRESS: N_("in progress"),
    Status.DONE: N_("done"),
    Status.EXTENDED: N_("review extended"),
    Status.FORWARDED: N_("forwarded"),
    Status.MERGED: N_("merged"),
    Status.HIDDEN: N_("hidden"),
}
# What the staff's status buttons say: the action, not the state.
STATUS_ACTIONS = {
    Status.REVIEW: N_("🔎 Start review"),
    Status.ACCEPTED: N_("✅ Accept"),
    Status.IN_PROGRESS: N_("🛠 In progress"),
    Status.DONE: N_("🏁 Done"),
    Status.EXTENDED: N_("⏳ Extend"),
    Status.FORWARDED: N_("↪️ Forward"),
    Status.REJECTED: N_("❌ Reject"),
}


class QueueFilter(StrEnum):
    OPEN = "open"
    WORK = "work"
    CLOSED = "closed"


# The staff's queue filters: a label and the statuses it shows.
FILTERS: dict[QueueFilter, tuple[str, tuple[Status, ...]]] = {
    QueueFilter.OPEN: (N_("⏳ Awaiting"), (Status.SUBMITTED, Status.REVIEW, Status.EXTENDED)),
    QueueFilter.WORK: (N_("🛠 Accepted"), (Status.ACCEPTED, Status.IN_PROGRESS)),
    QueueFilter.CLOSED: (
        N_("📁 Closed"),
        (Status.DONE, Status.REJECTED, Status.FORWARDED, Status.MERGED, Status.HIDDEN),
    ),
}


def status_label(status: str) -> str:
    return _(STATUS_LABELS[Status(status)])


def topic_label(topic: str) -> str:
    return _(TOPIC_LABELS[Topic(topic)] if topic in TOPIC_LABELS else TOPIC_LABELS[Topic.OTHER])


def short(text: str, limit: int = 24) -> str:
    """A title cut to fit on a button."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- the resident ---------------------------------------------------------------------------


class IniAct(StrEnum):
    HOME = "h"
    NEW = "n"
    MINE = "m"
    BROWSE = "b"
    OPEN = "o"
    SUPPORT = "s"


class Sort(StrEnum):
    NEWEST = "n"
    SUPPORT = "s"  # most supported first


class Src(StrEnum):
    """Where a card was opened from, for its Back button."""

    MINE = "m"
    BROWSE = "b"  # the district's list


class Ini(CallbackData, prefix="ini"):
    act: IniAct
    id: int = 0
    page: int = 0
    sort: Sort = Sort.NEWEST
    src: Src = Src.MINE


class DraftAct(StrEnum):
    TOPIC = "t"
    BACK = "b"
    NEXT = "n"
    SUBMIT = "s"


class DraftCb(CallbackData, prefix="ind"):
    act: DraftAct
    topic: Topic | None = None  # with TOPIC: the one chosen


class VillageCb(CallbackData, prefix="indv"):
    """The village an initiative is about (checked against the person's district)."""

    id: int


def home_keyboard() -> InlineKeyboardMarkup:
    return inline(
        [
            [InlineKeyboardButton(text=_("➕ New initiative"), callback_data=Ini(act=IniAct.NEW).pack())],
            [InlineKeyboardButton(text=_("📋 My initiatives"), callback_data=Ini(act=IniAct.MINE).pack())],
            [InlineKeyboardButton(text=_("👥 In my district"), callback_data=Ini(act=IniAct.BROWSE).pack())],
            [menu_button()],
        ]
    )


def _back_cancel() -> list[InlineKeyboardButton]:
    return [back_button(DraftCb(act=DraftAct.BACK).pack()), cancel_button()]


def topics_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=_(TOPIC_LABELS[t]), callback_data=DraftCb(act=DraftAct.TOPIC, topic=t).pack())
        for t in Topic
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([cancel_button()])
    return inline(rows)


def step_keyboard(*, next_label: str | None = None) -> InlineKeyboardMarkup:
    """Back and Cancel, and a Next (or Skip) button for the optional steps."""
    rows = []
    if next_label:
        rows.append([InlineKeyboardButton(text=next_label, callback_data=DraftCb(act=DraftAct.NEXT).pack())])
    rows.append(_back_cancel())
    return inline(rows)


def location_labels() -> dict[str, str]:
    return {"skip": _("⏭ Skip"), "back": _("⬅️ Back"), "cancel": _("✖️ Cancel")}


def location_keyboard() -> ReplyKeyboardMarkup:
    """Telegram's location button lives only on a reply keyboard."""
    labels = location_labels()
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📍 Send location"), request_location=True)],
            [KeyboardButton(text=labels["skip"])],
            [KeyboardButton(text=labels["back"]), KeyboardButton(text=labels["cancel"])],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def villages_keyboard(villages: list[Place], lang: str) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(text=v.name(lang), callback_data=VillageCb(id=v.id).pack())] for v in villages]
    rows.append(_back_cancel())
    return inline(rows)


def preview_keyboard() -> InlineKeyboardMarkup:
    return inline(
        [
            [InlineKeyboardButton(text=_("✅ Submit"), callback_data=DraftCb(act=DraftAct.SUBMIT).pack())],
            _back_cancel(),
        ]
    )


def list_keyboard(
    items: list[Initiative], *, act: IniAct, page: int, pages: int, sort: Sort = Sort.NEWEST
) -> InlineKeyboardMarkup:
    """One initiative a row, a pager, and for the district's list the order to sort by."""
    src = Src.BROWSE if act == IniAct.BROWSE else Src.MINE
    rows = [
        [
            InlineKeyboardButton(
                text=f"№{i.number} {short(i.title)}",
                callback_data=Ini(act=IniAct.OPEN, id=i.id, page=page, sort=sort, src=src).pack(),
            )
        ]
        for i in items
    ]
    pager = []
    if page > 0:
        pager.append(InlineKeyboardButton(text="◀️", callback_data=Ini(act=act, page=page - 1, sort=sort).pack()))
    if page + 1 < pages:
        pager.append(InlineKeyboardButton(text="▶️", callback_data=Ini(act=act, page=page + 1, sort=sort).pack()))
    if pager:
        rows.append(pager)
    if act == IniAct.BROWSE:
        other = Sort.SUPPORT if sort == Sort.NEWEST else Sort.NEWEST
        label = _("🔥 Most supported") if other == Sort.SUPPORT else _("🆕 Newest")
        rows.append([InlineKeyboardButton(text=label, callback_data=Ini(act=act, sort=other).pack())])
    return with_back(rows, Ini(act=IniAct.HOME).pack())


def card_keyboard(
    initiative: Initiative, *, src: Src, page: int, sort: Sort, can_support: bool
) -> InlineKeyboardMarkup:
    rows = []
    if can_support:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("👍 Support"),
                    callback_data=Ini(act=IniAct.SUPPORT, id=initiative.id, page=page, sort=sort, src=src).pack(),
                )
            ]
        )
    back = Ini(act=IniAct.BROWSE if src == Src.BROWSE else IniAct.MINE, page=page, sort=sort).pack()
    return with_back(rows, back)


# --- the staff ---------------------------------------------------------------------------------


class AdmAct(StrEnum):
    OPEN = "o"
    NO_ANSWER = "na"
    EXPORT = "csv"
    DIGEST = "dig"


class AdmIni(CallbackData, prefix="admi"):
    act: AdmAct
    id: int = 0


class AdmQueue(CallbackData, prefix="admiq"):
    """The staff's queue: which statuses, which village (0: all), which page."""

    flt: QueueFilter = QueueFilter.OPEN
    v: int = 0
    p: Annotated[int, Field(ge=0)] = 0


class AdmStatus(CallbackData, prefix="admis"):
    """A status to set (hiding and merging too): what it needs is asked next."""

    id: int
    to: Status


class AdmDate(CallbackData, prefix="admid"):
    """The new last day of an extended review, as ``date.toordinal()``."""

    id: int
    day: Annotated[int, Field(ge=1, le=date.max.toordinal())]

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.day)


class AdmPublish(CallbackData, prefix="admip"):
    id: int
    on: bool  # publish for support, or keep private


class AdmSettings(CallbackData, prefix="admic"):
    """The district's settings, or (with ``key``) the one to change."""

    key: Setting | None = None


def queue_keyboard(
    items: list[Initiative],
    *,
    flt: QueueFilter,
    village_id: int,
    villages: list[Place],
    lang: str,
    page: int,
    pages: int,
    digest: bool,
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"№{i.number} {short(i.title)}", callback_data=AdmIni(act=AdmAct.OPEN, id=i.id).pack()
            )
        ]
        for i in items
    ]
    pager = []
    if page > 0:
        pager.append(InlineKeyboardButton(text="◀️", callback_data=AdmQueue(flt=flt, v=village_id, p=page - 1).pack()))
    if page + 1 < pages:
        pager.append(InlineKeyboardButton(text="▶️", callback_data=AdmQueue(flt=flt, v=village_id, p=page + 1).pack()))
    if pager:
        rows.append(pager)
    rows.append(
        [
            InlineKeyboardButton(
                text=("• " if key == flt else "") + _(label),
                callback_data=AdmQueue(flt=key, v=village_id).pack(),
            )
            for key, (label, _statuses) in FILTERS.items()
        ]
    )
    places = [
        InlineKeyboardButton(
            text=("• " if not village_id else "") + _("All villages"),
            callback_data=AdmQueue(flt=flt).pack(),
        )
    ]
    places += [
        InlineKeyboardButton(
            text=("• " if v.id == village_id else "") + v.name(lang),
            callback_data=AdmQueue(flt=flt, v=v.id).pack(),
        )
        for v in villages
    ]
    rows += [places[i : i + 3] for i in range(0, len(places), 3)]
    rows.append(
        [
            InlineKeyboardButton(text=_("📥 CSV"), callback_data=AdmIni(act=AdmAct.EXPORT).pack()),
            InlineKeyboardButton(text=_("⚙️ Settings"), callback_data=AdmSettings().pack()),
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(
                text=_("📰 Notices: daily digest") if digest else _("🔔 Notices: each new"),
                callback_data=AdmIni(act=AdmAct.DIGEST).pack(),
            )
        ]
    )
    rows.append([back_to_admin()])
    return inline(rows)


def staff_card_keyboard(
    initiative: Initiative, next_statuses: list[Status], *, can_merge: bool, can_hide: bool
) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=_(STATUS_ACTIONS[s]), callback_data=AdmStatus(id=initiative.id, to=s).pack())
        for s in next_statuses
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    extra = []
    if can_hide:
        extra.append(
            InlineKeyboardButton(
                text=_("🔒 Keep private") if initiative.published else _("🌐 Publish"),
                callback_data=AdmPublish(id=initiative.id, on=not initiative.published).pack(),
            )
        )
    if can_merge:
        extra.append(
            InlineKeyboardButton(text=_("🔗 Merge"), callback_data=AdmStatus(id=initiative.id, to=Status.MERGED).pack())
        )
    if can_hide:
        extra.append(
            InlineKeyboardButton(text=_("🚫 Hide"), callback_data=AdmStatus(id=initiative.id, to=Status.HIDDEN).pack())
        )
    if extra:
        rows.append(extra)
    rows.append([InlineKeyboardButton(text=_("⬅️ Queue"), callback_data=AdmQueue().pack())])
    return inline(rows)


def dates_keyboard(initiative_id: int, days: list[date], lang: str) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=format_day(d, lang),
                callback_data=AdmDate(id=initiative_id, day=d.toordinal()).pack(),
            )
        ]
        for d in days
    ]
    rows.append([cancel_button()])
    return inline(rows)


def answer_keyboard(initiative_id: int, *, optional: bool) -> InlineKeyboardMarkup:
    rows = []
    if optional:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("Without an answer"), callback_data=AdmIni(act=AdmAct.NO_ANSWER, id=initiative_id).pack()
                )
            ]
        )
    rows.append([cancel_button()])
    return inline(rows)


def settings_keyboard() -> InlineKeyboardMarkup:
    labels = {
        Setting.REVIEW_DAYS: _("Review days"),
        Setting.PER_DAY: _("Per person a day"),
        Setting.THRESHOLD: _("Agenda threshold"),
    }
    return inline(
        [
            *(
                [InlineKeyboardButton(text=label, callback_data=AdmSettings(key=key).pack())]
                for key, label in labels.items()
            ),
            [InlineKeyboardButton(text=_("⬅️ Queue"), callback_data=AdmQueue().pack())],
        ]
    )
