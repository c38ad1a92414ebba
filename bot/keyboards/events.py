"""Buttons of events: the resident's calendar and answers, the staff's event and representative screens.

Admin callback prefixes start with ``adm`` so that a resident's forged one is refused by the fallback.
The resident's buttons (``Ev``) are also stored in outbox rows, which the sender may send after a
new release: their prefix carries a version (``ev1``). Change the fields, change the version; an
old button then falls to the fallback, which answers that it is out of date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_time, format_weekday_datetime
from bot.i18n import N_, in_all_languages
from bot.keyboards.admin import AdminMenu, back_to_admin
from bot.keyboards.common import button, cancel_button, inline, menu_button
from bot.rules.events import DURATIONS, Kind
from bot.web.links import web_row

KIND_NAMES = {
    Kind.GATHERING: N_("Gathering"),
    Kind.SEPARATE_GATHERING: N_("Separate gathering"),
    Kind.MEETING: N_("Meeting"),
}
# the full names, for the heading of an event
KIND_TITLES = {
    Kind.GATHERING: N_("Gathering of the local community"),
    Kind.SEPARATE_GATHERING: N_("Separate gathering of the local community"),
    Kind.MEETING: N_("Meeting of the local community"),
}


class EvAct(StrEnum):
    UPCOMING = "up"
    PAST = "past"
    OPEN = "open"
    YES = "yes"
    NO = "no"
    ICS = "ics"
    PROTOCOL = "prot"
    REPORT = "rep"


class Ev(CallbackData, prefix="ev1"):
    """A resident's button; versioned, since an invitation's button waits in the outbox (see above)."""

    act: EvAct
    id: int = 0


class AdmAct(StrEnum):
    LIST = "list"
    NEW = "new"
    OPEN = "open"
    MOVE = "move"
    CANCEL = "cancel"
    CANCEL_YES = "cancel_yes"
    PROTOCOL = "prot"
    REPORT = "rep"
    ATTACH_DONE = "att_done"


class AdmEv(CallbackData, prefix="admev"):
    act: AdmAct
    id: int = 0


class NewAct(StrEnum):
    KIND = "kind"
    VILLAGE = "vil"
    VILLAGES_DONE = "vdone"
    SKIP = "skip"
    DURATION = "dur"
    INITIATIVE = "ini"
    AGENDA_DONE = "adone"
    REPORT = "rep"
    PUBLISH = "pub"


class AdmEvNew(CallbackData, prefix="admevn"):
    """A step of a new event: ``kind`` at the first, ``id`` a village, a duration in minutes or an
    initiative, ``yes`` whether the akim's report will be heard."""

    act: NewAct
    id: int = 0
    kind: Kind | None = None
    yes: bool = False


class RepAct(StrEnum):
    ADD = "add"
    OPEN = "open"
    CHAIR = "chair"
    UNCHAIR = "unchair"
    REMOVE = "rm"


class AdmRep(CallbackData, prefix="admrep"):
    act: RepAct
    id: int = 0


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[Kind(kind)])


def kind_title(kind: str) -> str:
    return _(KIND_TITLES[Kind(kind)])


def _short(text: str, size: int = 32) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


# --- texts the screens and the reminders share -------------------------------------------


class Shown(Protocol):
    """What the texts need of an event (``storage.events.Event``)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def place(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...

    def title(self, lang: str) -> str: ...


def current_language() -> str:
    return str(get_i18n().current_locale)


def when_text(event: Shown, tz: str, lang: str) -> str:
    """«сәрсенбі, 10 желтоқсан 2026 ж., 15:00–17:00» in the district's zone."""
    start = format_weekday_datetime(event.starts_at, tz, lang)
    return f"{start}–{format_time(event.ends_at, tz, lang)}"


def fields(event: Shown, tz: str, *, full_kind: bool = False) -> dict[str, str]:
    """What the messages about an event say of it, in the current language: ``{kind}``, ``{title}``
    (escaped), ``{when}`` and ``{place}`` (escaped)."""
    lang = current_language()
    return {
        "kind": kind_title(event.kind) if full_kind else kind_name(event.kind),
        "title": escape(event.title(lang)),
        "when": when_text(event, tz, lang),
        "place": escape(event.place),
    }


def reminder_text(event: Shown, tz: str) -> str:
    """The reminder a day and two hours before, in the current language."""
    return _("⏰ <b>Reminder</b>\n{kind}: {title}\n🕒 {when}\n📍 {place}").format(**fields(event, tz))


E = TypeVar("E", bound=Shown)


def notice(i18n: I18n, text: Callable[[E, str], str]) -> Callable[[E, str], tuple[dict[str, str], dict[str, Any]]]:
    """What storage queues about an event (``storage.events.Render``): ``text(event, time zone)``
    and the button to open the event, each in every language."""

    def render(event: E, tz: str) -> tuple[dict[str, str], dict[str, Any]]:
        texts = in_all_languages(i18n, lambda: text(event, tz))
        return texts, in_all_languages(i18n, lambda: open_event_button(event.id))

    return render


# --- residents ----------------------------------------------------------------------------


def events_list(items: Sequence[tuple[int, str]], *, past: bool) -> InlineKeyboardMarkup:
    """One event a row ("25.11 · Title"), then the other list and the menu."""
    rows = [[button(_short(label), Ev(act=EvAct.OPEN, id=i))] for i, label in items]
    other = button(_("📅 Upcoming"), Ev(act=EvAct.UPCOMING)) if past else button(_("🗂 Past events"), Ev(act=EvAct.PAST))
    rows.append([other])
    rows += web_row("calendar/")
    rows.append([menu_button()])
    return inline(rows)


def event_card(
    event_id: int,
    *,
    can_answer: bool,
    answer: str | None,
    calendar: bool,
    protocol_file: bool,
    report_file: bool,
    past: bool,
) -> InlineKeyboardMarkup:
    rows = []
    if can_answer:
        rows.append(
            [
                button(("☑️ " if answer == "yes" else "") + _("I'll come"), Ev(act=EvAct.YES, id=event_id)),
                button(("☑️ " if answer == "no" else "") + _("I can't come"), Ev(act=EvAct.NO, id=event_id)),
            ]
        )
    if calendar:
        rows.append([button(_("📆 To my calendar"), Ev(act=EvAct.ICS, id=event_id))])
    if protocol_file:
        rows.append([button(_("📄 Protocol"), Ev(act=EvAct.PROTOCOL, id=event_id))])
    if report_file:
        rows.append([button(_("📄 Akim's report"), Ev(act=EvAct.REPORT, id=event_id))])
    rows += web_row(f"calendar/#e{event_id}")
    rows.append([button(_("⬅️ Back"), Ev(act=EvAct.PAST if past else EvAct.UPCOMING)), menu_button()])
    return inline(rows)


def open_event_button(event_id: int) -> list[list[dict[str, str]]]:
    """The button under a notice in the outbox (plain data: it is stored as JSON)."""
    return [[{"text": _("📅 Open the event"), "callback_data": Ev(act=EvAct.OPEN, id=event_id).pack()}]]


# --- staff: events ------------------------------------------------------------------------


def admin_events(items: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [[button(_("➕ New event"), AdmEv(act=AdmAct.NEW))]]
    rows += [[button(_short(label), AdmEv(act=AdmAct.OPEN, id=i))] for i, label in items]
    rows.append([back_to_admin()])
    return inline(rows)


def admin_event_card(event_id: int, *, upcoming: bool, begun: bool, report_hearing: bool) -> InlineKeyboardMarkup:
    rows = []
    if upcoming:
        rows.append(
            [
                button(_("🕒 Move"), AdmEv(act=AdmAct.MOVE, id=event_id)),
                button(_("❌ Cancel event"), AdmEv(act=AdmAct.CANCEL, id=event_id)),
            ]
        )
    if begun:
        rows.append([button(_("📎 Protocol"), AdmEv(act=AdmAct.PROTOCOL, id=event_id))])
        if report_hearing:
            rows.append([button(_("📎 Akim's report"), AdmEv(act=AdmAct.REPORT, id=event_id))])
    rows.append([button(_("⬅️ Back"), AdminMenu(section="events"))])
    return inline(rows)


def confirm_cancel(event_id: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [button(_("Yes, cancel it"), AdmEv(act=AdmAct.CANCEL_YES, id=event_id))],
            [button(_("No, keep it"), AdmEv(act=AdmAct.OPEN, id=event_id))],
        ]
    )


def attach_done() -> InlineKeyboardMarkup:
    return inline([[button(_("✅ Publish it"), AdmEv(act=AdmAct.ATTACH_DONE))], [cancel_button()]])


def kinds() -> InlineKeyboardMarkup:
    return inline([[button(_(KIND_NAMES[k]), AdmEvNew(act=NewAct.KIND, kind=k))] for k in Kind] + [[cancel_button()]])


def villages_pick(villages: Sequence[tuple[int, str]], chosen: Sequence[int], *, many: bool) -> InlineKeyboardMarkup:
    """Toggle villages (a gathering or a meeting), or pick one (a separate gathering)."""
    rows = []
    for vid, name in villages:
        mark = ("✅ " if vid in chosen else "▫️ ") if many else ""
        rows.append([button(mark + name, AdmEvNew(act=NewAct.VILLAGE, id=vid))])
    if many:
        rows.append([button(_("➡️ Next"), AdmEvNew(act=NewAct.VILLAGES_DONE))])
    rows.append([cancel_button()])
    return inline(rows)


def skip() -> InlineKeyboardMarkup:
    return inline([[button(_("⏭ Skip this step"), AdmEvNew(act=NewAct.SKIP))], [cancel_button()]])


def cancel_only() -> InlineKeyboardMarkup:
    return inline([[cancel_button()]])


def durations() -> InlineKeyboardMarkup:
    def label(minutes: int) -> str:
        hours, rest = divmod(minutes, 60)
        if not rest:
            return _("{hours} h").format(hours=hours)
        return _("{hours} h {minutes} min").format(hours=hours, minutes=rest)

    buttons = [button(label(m), AdmEvNew(act=NewAct.DURATION, id=m)) for m in DURATIONS]
    return inline([buttons[:2], buttons[2:], [cancel_button()]])


def agenda(offers: Sequence[tuple[int, str]], taken: Sequence[int], has_items: bool) -> InlineKeyboardMarkup:
    rows = [
        [button(("✅ " if i in taken else "➕ ") + _short(title), AdmEvNew(act=NewAct.INITIATIVE, id=i))]
        for i, title in offers
    ]
    if has_items:
        rows.append([button(_("➡️ Next"), AdmEvNew(act=NewAct.AGENDA_DONE))])
    rows.append([cancel_button()])
    return inline(rows)


def report_question() -> InlineKeyboardMarkup:
    return inline(
        [
            [
                button(_("Yes"), AdmEvNew(act=NewAct.REPORT, yes=True)),
                button(_("No"), AdmEvNew(act=NewAct.REPORT, yes=False)),
            ],
            [cancel_button()],
        ]
    )


def publish() -> InlineKeyboardMarkup:
    return inline([[button(_("✅ Publish it"), AdmEvNew(act=NewAct.PUBLISH))], [cancel_button()]])


# --- staff: representatives ---------------------------------------------------------------


def representatives(items: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [[button(_("➕ Add a representative"), AdmRep(act=RepAct.ADD))]]
    rows += [[button(_short(label), AdmRep(act=RepAct.OPEN, id=pid))] for pid, label in items]
    rows.append([back_to_admin()])
    return inline(rows)


def representative(person_id: int, *, chair: bool) -> InlineKeyboardMarkup:
    toggle = (
        button(_("Not the chair"), AdmRep(act=RepAct.UNCHAIR, id=person_id))
        if chair
        else button(_("⭐ Make chair"), AdmRep(act=RepAct.CHAIR, id=person_id))
    )
    return inline(
        [
            [toggle],
            [button(_("🗑 Remove"), AdmRep(act=RepAct.REMOVE, id=person_id))],
            [button(_("⬅️ Back"), AdminMenu(section="representatives"))],
        ]
    )
