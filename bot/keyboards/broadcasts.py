"""Announcements: the staff's callback data, keyboards and the progress message."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.formatting import format_datetime
from bot.keyboards.admin import back_to_admin
from bot.keyboards.common import inline
from bot.rules.clock import from_db
from storage.broadcasts import Broadcast, Counts
from storage.places import Place


class Act(StrEnum):
    HOME = "home"
    NEW = "new"
    ONE_TEXT = "one"
    TWO_TEXTS = "two"
    ALL = "all"
    VILLAGES = "vils"
    VILLAGE = "vil"  # id: the village to add or remove
    VILLAGES_DONE = "vok"
    REPRESENTATIVES = "rep"
    EVENTS = "evs"
    EVENT = "ev"  # id: the event
    URGENT = "urg"
    NOW = "now"
    LATER = "later"
    TOMORROW = "tmr"
    CONFIRM = "ok"
    BACK = "back"  # from the confirmation back to the summary
    SHOW = "show"  # id: the broadcast
    REFRESH = "rf"  # id: the broadcast
    STOP = "stop"  # id: the broadcast
    STOP_YES = "stopy"  # id: the broadcast
    ABORT = "x"


class Bc(CallbackData, prefix="admbc1"):
    """Every announcement button; the prefix starts with ``adm``, so residents are refused.

    Versioned (``1``): the progress message stays in the staff's chat and the sender edits its
    buttons long after it was sent, so they outlive a release. A change to these fields is a new
    version; the old one is answered by ``Unversioned``'s handler.
    """

    act: Act
    id: int = 0


class Unversioned(CallbackData, prefix="admbc"):
    """The buttons of before the version (``admbc:stop:5``), still on old progress messages."""

    act: str  # any action of then: the button is only answered as out of date
    id: int = 0


def button(text: str, act: Act, id: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=Bc(act=act, id=id).pack())


def abort_button() -> InlineKeyboardButton:
    return button(_("✖️ Cancel"), Act.ABORT)


def home_keyboard(items: list[Broadcast]) -> InlineKeyboardMarkup:
    rows = [[button(_("✍️ New announcement"), Act.NEW)]]
    rows += [[button(_("📣 No. {id}").format(id=item.id), Act.SHOW, item.id)] for item in items]
    rows.append([back_to_admin()])
    return inline(rows)


def languages_keyboard() -> InlineKeyboardMarkup:
    return inline(
        [
            [button(_("One text for both"), Act.ONE_TEXT)],
            [button(_("Kazakh and Russian"), Act.TWO_TEXTS)],
            [abort_button()],
        ]
    )


def text_keyboard() -> InlineKeyboardMarkup:
    return inline([[abort_button()]])


def audience_keyboard(*, events: bool) -> InlineKeyboardMarkup:
    rows = [
        [button(_("🏘 Whole district"), Act.ALL)],
        [button(_("🏡 Villages…"), Act.VILLAGES)],
        [button(_("👥 Representatives"), Act.REPRESENTATIVES)],
    ]
    if events:
        rows.append([button(_("📅 Event invitees"), Act.EVENTS)])
    rows.append([abort_button()])
    return inline(rows)


def villages_keyboard(villages: list[Place], chosen: set[int], lang: str) -> InlineKeyboardMarkup:
    rows = [[button(("✅ " if v.id in chosen else "▫️ ") + v.name(lang), Act.VILLAGE, v.id)] for v in villages]
    rows.append([button(_("Done"), Act.VILLAGES_DONE)])
    rows.append([abort_button()])
    return inline(rows)


def events_keyboard(events: list[tuple[int, str, str, str]], lang: str, tz: str) -> InlineKeyboardMarkup:
    rows = []
    for event_id, title_kk, title_ru, starts_at in events:
        title = (title_ru if lang == "ru" else title_kk) or title_kk or title_ru
        when = format_datetime(from_db(starts_at), tz, lang)
        label = f"{title[:30]} · {when}"
        rows.append([button(label, Act.EVENT, event_id)])
    rows.append([abort_button()])
    return inline(rows)


def summary_keyboard(*, urgent: bool) -> InlineKeyboardMarkup:
    return inline(
        [
            [button(_("📤 Send now"), Act.NOW), button(_("🕒 Send later"), Act.LATER)],
            [button(_("🚨 Urgent: yes") if urgent else _("🔔 Urgent: no"), Act.URGENT)],
            [abort_button()],
        ]
    )


def schedule_keyboard() -> InlineKeyboardMarkup:
    return inline([[button(_("Tomorrow 09:00"), Act.TOMORROW)], [abort_button()]])


def confirm_keyboard() -> InlineKeyboardMarkup:
    return inline([[button(_("✅ Confirm"), Act.CONFIRM)], [button(_("⬅️ Back"), Act.BACK)], [abort_button()]])


def stop_keyboard(broadcast_id: int) -> InlineKeyboardMarkup:
    return inline([[button(_("⛔ Yes, stop it"), Act.STOP_YES, broadcast_id), button(_("No"), Act.SHOW, broadcast_id)]])


def progress_view(item: Broadcast, counts: Counts, tz: str, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    """The live progress of a broadcast, in the current language, with Cancel while anything is left."""
    lines = [_("📣 <b>Announcement No. {id}</b>").format(id=item.id)]
    send_at = from_db(item.send_at)
    if item.cancelled_at:
        lines.append(_("Stopped: what was not sent will not go out."))
    elif counts.open == 0:
        lines.append(_("Done: nothing left to send."))
    elif send_at > now:
        lines.append(_("Scheduled for {when}.").format(when=format_datetime(send_at, tz, item.progress_lang)))
    else:
        lines.append(_("Sending…"))
    lines += [
        _("Recipients: {n}").format(n=item.recipients),
        _("✅ Sent: {n}").format(n=counts.sent),
        _("⏳ Waiting: {n}").format(n=counts.pending),
        _("⚠️ Failed: {n}").format(n=counts.failed),
        _("🚫 Unreachable: {n}").format(n=counts.unreachable),
    ]
    if counts.skipped:
        lines.append(_("🔕 Turned announcements off: {n}").format(n=counts.skipped))
    if counts.cancelled:
        lines.append(_("✖️ Not sent (stopped): {n}").format(n=counts.cancelled))
    rows = []
    if counts.open and not item.cancelled_at:
        rows.append([button(_("🔄 Refresh"), Act.REFRESH, item.id), button(_("⛔ Stop"), Act.STOP, item.id)])
    rows.append([button(_("⬅️ Announcements"), Act.HOME)])
    return "\n".join(lines), inline(rows)


class ApproveCb(CallbackData, prefix="bcap1"):
    """Approve (or reject) a held announcement. Not ``adm``: the chair of the meeting, a resident,
    decides too; the right is read from the roles in storage, never from the button."""

    id: int
    yes: bool


def approval_buttons(broadcast_id: int) -> list[list[dict[str, str]]]:
    """The buttons under the request to approve (stored as JSON with the outbox message)."""
    return [
        [
            {"text": _("✅ Approve"), "callback_data": ApproveCb(id=broadcast_id, yes=True).pack()},
            {"text": _("❌ Reject"), "callback_data": ApproveCb(id=broadcast_id, yes=False).pack()},
        ]
    ]
