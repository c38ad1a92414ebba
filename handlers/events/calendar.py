"""Residents: the calendar of their district, one event, their answer, the .ics file and the protocol."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.i18n import N_
from bot.keyboards import events as kb
from bot.keyboards.common import MenuButton
from bot.keyboards.events import when_text
from bot.rules import events as rules
from bot.rules.clock import Clock
from bot.rules.errors import NotFound
from bot.texts.events import calendar_item
from handlers.common import consent_given, target
from handlers.events.texts import card_text, cut, district, event_for, short_label, village_names
from storage import events as store
from storage.db import Database
from storage.events import Event
from storage.people import CHAIR, Person

router = Router(name=__name__)


async def _show_list(message: Message, person: Person, db: Database, clock: Clock, *, past: bool) -> None:
    rd = await district(db, person.rural_district_id)
    lang = person.language
    found = await (store.past if past else store.upcoming)(db, rd.id, clock.now())
    if past:
        head = _("<b>Past gatherings and meetings</b>: {rural_district}").format(rural_district=rd.name(lang))
        empty = _("No events have taken place yet.")
    else:
        head = _("<b>Upcoming gatherings and meetings</b>: {rural_district}").format(rural_district=rd.name(lang))
        empty = _("No events are planned yet. We will let you know when one is.")
    lines = [head]
    for event in found:
        line = f"• {kb.kind_name(event.kind)} · {when_text(event, rd.timezone, lang)} · {escape(event.title(lang))}"
        if past and event.has_protocol:
            line += " · 📄"
        lines.append(line)
    if not found:
        lines.append(empty)
    else:
        lines.append(_("Press an event to see the details."))
    items = [(e.id, short_label(e, rd.timezone, lang)) for e in found]
    await message.answer(cut("\n".join(lines)), reply_markup=kb.events_list(items, past=past))


@router.message(MenuButton("events"))
async def events_menu(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The upcoming events of the person's district, soonest first."""
    await state.clear()
    await _show_list(message, person, db, clock, past=False)


@router.callback_query(kb.Ev.filter(F.act.in_({kb.EvAct.UPCOMING, kb.EvAct.PAST})))
async def events_list(query: CallbackQuery, callback_data: kb.Ev, person: Person, db: Database, clock: Clock) -> None:
    """Upcoming or past events."""
    await query.answer()
    await _show_list(target(query), person, db, clock, past=callback_data.act is kb.EvAct.PAST)


async def resident_card(db: Database, person: Person, event: Event, now: datetime) -> tuple[str, Any]:
    """The text and buttons of an event for a resident: their role, their answer, the protocol."""
    rd = await district(db, event.rural_district_id)
    text = card_text(event, rd.timezone, await village_names(db, event, person.language))
    rep_village = await store.representative_village(db, event.rural_district_id, person.id)
    role = rules.role_of(
        event.kind,
        village_id=person.village_id,
        event_villages=event.village_ids,
        representative_of=rep_village,
        is_chair=person.has_role(CHAIR, event.rural_district_id),
    )
    begun = rules.is_past(event.starts_at, now)
    answer = await store.answer_of(db, event.id, person.id)
    extra = []
    if not begun and not event.cancelled:
        if role is rules.Role.INVITED:
            extra.append(_("✉️ You are invited."))
        elif event.kind == rules.Kind.MEETING:
            extra.append(_("Only members of the meeting take part in it; you can attend as a listener."))
        else:
            extra.append(_("You can attend as a listener."))
        if answer == "yes":
            extra.append(_("Your answer: I'll come."))
        elif answer == "no":
            extra.append(_("Your answer: I can't come."))
    if begun and not event.cancelled:
        if event.protocol_text:
            extra.append(_("<b>Protocol</b>") + "\n" + escape(event.protocol_text))
        elif not event.has_protocol:
            extra.append(_("The protocol has not been published yet."))
        if event.report_text:
            extra.append(_("<b>Akim's report</b>") + "\n" + escape(event.report_text))
    if extra:
        text += "\n\n" + "\n\n".join(extra)
    markup = kb.event_card(
        event.id,
        can_answer=rules.can_rsvp(event.starts_at, event.cancelled, now),
        answer=answer,
        calendar=not begun and not event.cancelled,
        protocol_file=begun and bool(event.protocol_file_id),
        report_file=begun and bool(event.report_file_id),
        past=begun,
    )
    return cut(text), markup


@router.callback_query(kb.Ev.filter(F.act == kb.EvAct.OPEN))
async def open_event(query: CallbackQuery, callback_data: kb.Ev, person: Person, db: Database, clock: Clock) -> None:
    """One event: when, where, the agenda, and the buttons to answer."""
    event = await event_for(db, callback_data.id, person)
    await query.answer()
    text, markup = await resident_card(db, person, event, clock.now())
    await target(query).answer(text, reply_markup=markup)


@router.callback_query(kb.Ev.filter(F.act.in_({kb.EvAct.YES, kb.EvAct.NO})))
async def answer_event(
    query: CallbackQuery, callback_data: kb.Ev, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """«I'll come» / «I can't come»: kept with consent, changeable until the event begins."""
    event = await event_for(db, callback_data.id, person)
    now = clock.now()
    taking = rules.can_rsvp(event.starts_at, event.cancelled, now)
    if taking and not await consent_given(query, person, db, state, resume=callback_data.pack()):
        return
    answer = "yes" if callback_data.act is kb.EvAct.YES else "no"
    if not taking or not await store.rsvp(db, event.id, person.id, event.rural_district_id, answer, now=now):
        await query.answer()
        await target(query).answer(_("This event has already begun or was cancelled: answers are no longer taken."))
        return
    await query.answer(
        _("Thank you, your answer is saved.") if answer == "yes" else _("Thank you for letting us know.")
    )
    text, markup = await resident_card(db, person, event, now)
    await target(query).answer(text, reply_markup=markup)


@router.callback_query(kb.Ev.filter(F.act == kb.EvAct.ICS))
async def calendar_file(
    query: CallbackQuery, callback_data: kb.Ev, person: Person, db: Database, clock: Clock, bot: Bot
) -> None:
    """The event as an .ics file for the phone's calendar."""
    event = await event_for(db, callback_data.id, person)
    await query.answer()
    content = rules.ics(calendar_item(event, person.language), stamp=clock.now())
    await bot.send_document(
        target(query).chat.id,
        BufferedInputFile(content.encode("utf-8"), filename=f"event-{event.id}.ics"),
        caption=_("Open the file to add the event to your phone's calendar."),
    )


@router.callback_query(kb.Ev.filter(F.act.in_({kb.EvAct.PROTOCOL, kb.EvAct.REPORT})))
async def event_file(query: CallbackQuery, callback_data: kb.Ev, person: Person, db: Database, bot: Bot) -> None:
    """The protocol's or the akim's report's document."""
    event = await event_for(db, callback_data.id, person)
    file_id = event.protocol_file_id if callback_data.act is kb.EvAct.PROTOCOL else event.report_file_id
    if not file_id:
        raise NotFound(N_("This document has not been published yet."))
    await query.answer()
    caption = (
        _("Protocol: {title}") if callback_data.act is kb.EvAct.PROTOCOL else _("Akim's report: {title}")
    ).format(title=escape(event.title(person.language)))
    await bot.send_document(target(query).chat.id, file_id, caption=cut(caption, 1000))
