"""What the flows of events share: the event's card, the staff's card, finding an event, reading a start."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_utc_offset, local
from bot.keyboards import events as kb
from bot.keyboards.events import current_language as _lang
from bot.keyboards.events import when_text
from bot.rules import events as rules
from bot.rules.clock import Clock
from bot.rules.errors import NotAllowed, NotFound
from storage import events as store
from storage import places
from storage.db import Database
from storage.events import Event
from storage.people import Person

MAX_TEXT = 3900  # a card stays under Telegram's 4096 characters with room for the markup


def cut(text: str, size: int = MAX_TEXT) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def short_label(event: Event, tz: str, lang: str) -> str:
    """A list button: «10.12 15:00 · Title»."""
    moment = local(event.starts_at, tz)
    return f"{moment:%d.%m %H:%M} · {event.title(lang)}"


def card_text(event: Event, tz: str, village_names: Sequence[str]) -> str:
    """The event as a message: kind, title, time, place, villages, agenda (in the current language)."""
    lang = _lang()
    lines = [f"📅 <b>{kb.kind_title(event.kind)}</b>", f"<b>{escape(event.title(lang))}</b>"]
    if event.cancelled:
        lines.append(_("❌ Cancelled: it will not take place."))
    lines.append("🕒 " + when_text(event, tz, lang))
    lines.append("📍 " + escape(event.place))
    if village_names:
        lines.append(_("Villages: {names}").format(names=escape(", ".join(village_names))))
    if event.report_hearing:
        lines.append(_("The akim's report will be heard."))
    if event.agenda:
        lines.append("")
        lines.append(_("<b>Agenda</b>"))
        lines += [f"{i}. {escape(item)}" for i, item in enumerate(event.agenda, 1)]
    return "\n".join(lines)


async def district(db: Database, rural_district_id: int | None) -> places.RuralDistrict:
    rd = await places.rural_district(db, rural_district_id)
    if rd is None:
        raise NotFound(store.GONE)
    return rd


async def village_names(db: Database, event: Event, lang: str) -> list[str]:
    names = []
    for vid in event.village_ids:
        village = await places.village(db, vid)
        if village:
            names.append(village.name(lang))
    return names


async def event_for(db: Database, event_id: int, person: Person) -> Event:
    """The event if it is of the person's district; a forged or stale id is NotFound."""
    assert person.rural_district_id is not None
    event = await store.get(db, event_id, person.rural_district_id)
    if event is None:
        raise NotFound(store.GONE)
    return event


async def changeable(db: Database, event_id: int, person: Person, now: datetime) -> Event:
    """The person's district's event that has neither begun nor been cancelled."""
    event = await event_for(db, event_id, person)
    if event.cancelled or rules.is_past(event.starts_at, now):
        raise NotAllowed(store.UNCHANGEABLE)
    return event


async def admin_card(db: Database, event: Event, now: datetime, lang: str) -> str:
    """The staff's card: the event, who is invited, the answers per village, the protocol."""
    rd = await district(db, event.rural_district_id)
    text = card_text(event, rd.timezone, await village_names(db, event, lang))
    invited = len(await store.invitees(db, event.id))
    lines = [text, "", _("Invited: {count}").format(count=invited)]
    answers = await store.answers_by_village(db, event.id)
    if answers:
        lines.append(_("<b>Answers by village</b> (will come / cannot come):"))
        lines += [f"• {escape(a.name(lang))}: {a.yes} / {a.no}" for a in answers]
        lines.append(
            _("In all: {yes} will come, {no} cannot.").format(
                yes=sum(a.yes for a in answers), no=sum(a.no for a in answers)
            )
        )
    else:
        lines.append(_("No answers yet."))
    if rules.is_past(event.starts_at, now) and not event.cancelled:
        lines.append(_("Protocol: published.") if event.has_protocol else _("Protocol: not attached yet."))
        if event.report_hearing:
            lines.append(_("Akim's report: published.") if event.has_report else _("Akim's report: not attached yet."))
    return cut("\n".join(lines))


async def show_admin_card(message: Message, db: Database, event: Event, now: datetime, lang: str) -> None:
    begun = rules.is_past(event.starts_at, now)
    await message.answer(
        await admin_card(db, event, now, lang),
        reply_markup=kb.admin_event_card(
            event.id,
            upcoming=not begun and not event.cancelled,
            begun=begun and not event.cancelled,
            report_hearing=event.report_hearing,
        ),
    )


def ask_start_text(rd: places.RuralDistrict, now: datetime) -> str:
    example = local(now + timedelta(days=7), rd.timezone).replace(hour=15, minute=0)
    return _("When does it start? Send the date and time in the district's time ({tz}), e.g. {example}.").format(
        tz=format_utc_offset(rd.timezone, now), example=f"{example:%d.%m.%Y %H:%M}"
    )


async def read_start(message: Message, person: Person, db: Database, clock: Clock) -> datetime | None:
    """The start typed by staff, in the district's zone; None (and a hint) when it is not a future moment."""
    rd = await district(db, person.rural_district_id)
    at = rules.parse_local(message.text or "", rd.timezone)
    if at is None:
        await message.answer(
            _("I could not read this date. ") + ask_start_text(rd, clock.now()), reply_markup=kb.cancel_only()
        )
        return None
    if rules.is_past(at, clock.now()):
        await message.answer(
            _("This moment has already passed. ") + ask_start_text(rd, clock.now()), reply_markup=kb.cancel_only()
        )
        return None
    return at


async def not_text(message: Message) -> None:
    """A sticker, photo or voice where a text (or a document) was asked for."""
    await message.answer(_("Please send text, or press ✖️ Cancel."), reply_markup=kb.cancel_only())
