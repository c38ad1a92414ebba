"""The announcements screen, one announcement's live progress, and stopping it."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.formatting import format_datetime
from bot.keyboards.admin import AdminMenu
from bot.keyboards.broadcasts import Act, Bc, Unversioned, home_keyboard, progress_view, stop_keyboard
from bot.rules.clock import Clock, from_db, to_db
from bot.rules.errors import NotAllowed
from handlers.broadcasts.texts import district
from handlers.common import target
from storage import audit, broadcasts
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


async def show_home(message: Message, db: Database, person: Person, clock: Clock) -> None:
    """The latest announcements with how far each has gone, and New."""
    assert person.rural_district_id is not None
    items = await broadcasts.recent(db, person.rural_district_id)
    rd = await district(db, person)
    lines = [
        _("<b>Announcements</b>"),
        _(
            "Residents who turned announcements off in Settings do not get them. Quiet hours: {start}–{end}; "
            "announcements that are not urgent wait until the morning."
        ).format(start=rd.quiet_start, end=rd.quiet_end),
    ]
    if items:
        lines.append("")
        lines.append(_("Latest:"))
        for item in items:
            counts = await broadcasts.counts(db, item.message_id)
            when = format_datetime(from_db(item.send_at), rd.timezone, person.language)
            lines.append(
                _("No. {id} · {when} · sent {sent} of {total}").format(
                    id=item.id, when=when, sent=counts.sent, total=item.recipients
                )
            )
    await message.answer("\n".join(lines), reply_markup=home_keyboard(items))


@router.callback_query(AdminMenu.filter(F.section == "broadcasts"))
@router.callback_query(Bc.filter(F.act == Act.HOME))
async def home(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """The announcements screen, from the admin menu or back from a step."""
    await state.clear()
    await query.answer()
    await show_home(target(query), db, person, clock)


@router.callback_query(Bc.filter(F.act == Act.ABORT))
async def abort(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """Drop the draft: nothing is sent."""
    await state.clear()
    await query.answer()
    await target(query).answer(_("The announcement was not sent."))
    await show_home(target(query), db, person, clock)


async def show_progress(message: Message, db: Database, broadcast_id: int, person: Person, clock: Clock) -> None:
    """A new progress message; the sender keeps this one up to date from now on."""
    assert person.rural_district_id is not None
    item = await broadcasts.owned(db, person.rural_district_id, broadcast_id)
    rd = await district(db, person)
    counts = await broadcasts.counts(db, item.message_id)
    text, markup = progress_view(replace(item, progress_lang=person.language), counts, rd.timezone, clock.now())
    sent = await message.answer(text, reply_markup=markup)
    if item.finished_at is None:
        await broadcasts.set_progress_message(db, item.id, sent.chat.id, sent.message_id, person.language)


@router.callback_query(Bc.filter(F.act == Act.SHOW))
async def show(
    query: CallbackQuery, callback_data: Bc, db: Database, person: Person, clock: Clock, state: FSMContext
) -> None:
    """One announcement's progress."""
    await state.clear()
    assert person.rural_district_id is not None
    await broadcasts.owned(db, person.rural_district_id, callback_data.id)
    await query.answer()
    await show_progress(target(query), db, callback_data.id, person, clock)


@router.callback_query(Bc.filter(F.act == Act.REFRESH))
async def refresh(query: CallbackQuery, callback_data: Bc, db: Database, person: Person, clock: Clock) -> None:
    """Update the progress message now."""
    assert person.rural_district_id is not None
    item = await broadcasts.owned(db, person.rural_district_id, callback_data.id)
    rd = await district(db, person)
    counts = await broadcasts.counts(db, item.message_id)
    await query.answer()
    text, markup = progress_view(item, counts, rd.timezone, clock.now())
    with contextlib.suppress(TelegramBadRequest):  # nothing changed since the last update
        await target(query).edit_text(text, reply_markup=markup)


@router.callback_query(Bc.filter(F.act == Act.STOP))
async def stop(query: CallbackQuery, callback_data: Bc, db: Database, person: Person) -> None:
    """Ask before stopping."""
    assert person.rural_district_id is not None
    item = await broadcasts.owned(db, person.rural_district_id, callback_data.id)
    counts = await broadcasts.counts(db, item.message_id)
    await query.answer()
    if not counts.open or item.cancelled_at:
        await target(query).answer(_("Nothing is left to stop: everything has been sent."))
        return
    await target(query).answer(
        ngettext(
            "Stop announcement No. {id}? {n} message not yet sent will not go out.",
            "Stop announcement No. {id}? {n} messages not yet sent will not go out.",
            counts.open,
        ).format(id=item.id, n=counts.open),
        reply_markup=stop_keyboard(item.id),
    )


@router.callback_query(Bc.filter(F.act == Act.STOP_YES))
async def stop_confirmed(query: CallbackQuery, callback_data: Bc, db: Database, person: Person, clock: Clock) -> None:
    """Cancel what is not yet sent; what already left stays sent."""
    assert person.rural_district_id is not None
    stopped = await broadcasts.cancel(
        db, Actor.of(person), person.rural_district_id, callback_data.id, to_db(clock.now())
    )
    await query.answer()
    await target(query).answer(
        ngettext("Stopped. {n} message will not go out.", "Stopped. {n} messages will not go out.", stopped).format(
            n=stopped
        )
    )
    await show_progress(target(query), db, callback_data.id, person, clock)


@router.callback_query(Unversioned.filter())
async def out_of_date(query: CallbackQuery) -> None:
    """A button of before the version, on an old progress message: out of date, the main menu.
    A draft being composed is kept: its own buttons go on working."""
    raise NotAllowed(audit.REFUSED)
