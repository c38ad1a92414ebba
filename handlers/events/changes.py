"""Staff: the calendar of the district, one event's card, moving it and cancelling it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.keyboards import events as kb
from bot.keyboards.admin import AdminMenu
from bot.rules.clock import Clock
from handlers.common import target
from handlers.events.texts import (
    ask_start_text,
    changeable,
    district,
    event_for,
    not_text,
    read_start,
    short_label,
    show_admin_card,
)
from storage import events as store
from storage.audit import Actor
from storage.db import Database
from storage.events import Event
from storage.people import Person

router = Router(name=__name__)


class MoveForm(StatesGroup):
    start = State()


@router.callback_query(AdminMenu.filter(F.section == "events"))
async def admin_events(query: CallbackQuery, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The staff's calendar: upcoming events, the latest past ones, and a new one."""
    await state.clear()
    await query.answer()
    rd = await district(db, person.rural_district_id)
    now = clock.now()
    coming = await store.upcoming(db, rd.id, now)
    done = await store.past(db, rd.id, now, limit=5)
    lang = person.language
    lines = [_("<b>Events</b>: {rural_district}").format(rural_district=rd.name(lang))]
    if not coming:
        lines.append(_("No events are planned."))
    if done:
        missing = sum(1 for e in done if not e.has_protocol)
        if missing:
            lines.append(_("Past events without a protocol: {count}").format(count=missing))
    items = [(e.id, short_label(e, rd.timezone, lang)) for e in coming]
    items += [(e.id, ("📄 " if e.has_protocol else "📎 ") + short_label(e, rd.timezone, lang)) for e in done]
    await target(query).answer("\n".join(lines), reply_markup=kb.admin_events(items))


@router.callback_query(kb.AdmEv.filter(F.act == kb.AdmAct.OPEN))
async def admin_open(
    query: CallbackQuery, callback_data: kb.AdmEv, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """One event for staff: details, answers per village, and what can be done with it."""
    await state.clear()
    event = await event_for(db, callback_data.id, person)
    await query.answer()
    await show_admin_card(target(query), db, event, clock.now(), person.language)


@router.callback_query(kb.AdmEv.filter(F.act == kb.AdmAct.MOVE))
async def move_event(
    query: CallbackQuery, callback_data: kb.AdmEv, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Ask for the new start."""
    event = await changeable(db, callback_data.id, person, clock.now())
    await query.answer()
    rd = await district(db, event.rural_district_id)
    await state.set_state(MoveForm.start)
    await state.update_data(event_id=event.id)
    await target(query).answer(ask_start_text(rd, clock.now()), reply_markup=kb.cancel_only())


def moved_text(event: Event, tz: str) -> str:
    return _("🕒 <b>The time has changed</b>\n{kind}: {title}\nNew time: {when}\n📍 {place}").format(
        **kb.fields(event, tz)
    )


@router.message(MoveForm.start, F.text)
async def move_to(message: Message, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext) -> None:
    """Move the event: reminders follow the new time, the invited and those who answered are told."""
    now = clock.now()
    event = await changeable(db, int((await state.get_data()).get("event_id") or 0), person, now)
    at = await read_start(message, person, db, clock)
    if at is None:
        return
    moved = await store.move(db, Actor.of(person), event.id, at, now=now, render=kb.notice(i18n, moved_text))
    await state.clear()
    await message.answer(_("Moved. The invited will be told."))
    await show_admin_card(message, db, moved, now, person.language)


router.message.register(not_text, MoveForm.start)


@router.callback_query(kb.AdmEv.filter(F.act == kb.AdmAct.CANCEL))
async def cancel_event(
    query: CallbackQuery, callback_data: kb.AdmEv, person: Person, db: Database, clock: Clock
) -> None:
    """Ask before cancelling."""
    event = await changeable(db, callback_data.id, person, clock.now())
    await query.answer()
    await target(query).answer(
        _("Cancel «{title}»? The invited will be told and no reminders will be sent.").format(
            title=escape(event.title(person.language))
        ),
        reply_markup=kb.confirm_cancel(event.id),
    )


def cancelled_text(event: Event, tz: str) -> str:
    return _("❌ <b>Cancelled</b>\n{kind}: {title}\n{when}\nIt will not take place.").format(**kb.fields(event, tz))


@router.callback_query(kb.AdmEv.filter(F.act == kb.AdmAct.CANCEL_YES))
async def cancel_confirmed(
    query: CallbackQuery, callback_data: kb.AdmEv, person: Person, db: Database, clock: Clock, i18n: I18n
) -> None:
    """Cancel: its reminders are cancelled, the invited and those who answered are told."""
    now = clock.now()
    event = await changeable(db, callback_data.id, person, now)
    await store.cancel(db, Actor.of(person), event.id, now=now, render=kb.notice(i18n, cancelled_text))
    await query.answer()
    await target(query).answer(_("Cancelled. The invited will be told."))
