"""Sending a composed announcement: the check (who, how many, urgent), now or at a time, Confirm."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.formatting import format_datetime
from bot.keyboards.broadcasts import Act, Bc, confirm_keyboard, schedule_keyboard, summary_keyboard
from bot.rules.clock import Clock, from_db, to_db
from bot.rules.delivery import parse_send_at, quiet_until, tomorrow_morning
from handlers.broadcasts import approval
from handlers.broadcasts.draft import Compose, audience_name, draft, recipients
from handlers.broadcasts.progress import show_progress
from handlers.broadcasts.texts import district, resident_texts
from handlers.common import target
from storage import broadcasts
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)

LATEST_SCHEDULE = timedelta(days=90)


async def show_summary(message: Message, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """Who gets it, how many, and whether it is urgent; Send now or later."""
    data = draft(await state.get_data())
    rd = await district(db, person)
    lines = [
        _("<b>Check the announcement</b>"),
        _("Who: {audience}").format(audience=await audience_name(db, person, data)),
        _("Recipients: {n}").format(n=len(await recipients(db, person, data))),
        _("Urgent: {answer}").format(answer=_("yes") if data.get("bc_urgent") else _("no")),
    ]
    if not data.get("bc_urgent"):
        lines.append(
            _("Not urgent: during quiet hours ({start}–{end}) it waits until the morning.").format(
                start=rd.quiet_start, end=rd.quiet_end
            )
        )
    await message.answer("\n".join(lines), reply_markup=summary_keyboard(urgent=bool(data.get("bc_urgent"))))


@router.callback_query(Bc.filter(F.act == Act.URGENT))
async def toggle_urgent(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """Urgent announcements are not held by quiet hours."""
    data = draft(await state.get_data())
    await query.answer()
    await state.update_data(bc_urgent=not data.get("bc_urgent"))
    await show_summary(target(query), db, person, clock, state)


async def ask_confirmation(
    message: Message, db: Database, person: Person, clock: Clock, state: FSMContext, send_at: datetime | None
) -> None:
    """How many get it and when (held by quiet hours, if so); Confirm."""
    data = draft(await state.get_data())
    rd = await district(db, person)
    n = len(await recipients(db, person, data))
    await state.update_data(bc_send_at=to_db(send_at) if send_at else None)
    await state.set_state(Compose.audience)
    if send_at is None:
        text = ngettext(
            "Send the announcement to {n} person now?", "Send the announcement to {n} people now?", n
        ).format(n=n)
        moment = clock.now()
    else:
        text = ngettext(
            "Send the announcement to {n} person on {when}?", "Send the announcement to {n} people on {when}?", n
        ).format(n=n, when=format_datetime(send_at, rd.timezone, person.language))
        moment = send_at
    held = quiet_until(moment, rd.timezone, rd.quiet_start, rd.quiet_end)
    if held and not data.get("bc_urgent"):
        text += "\n" + _("It falls in quiet hours: residents get it at {when}.").format(
            when=format_datetime(held, rd.timezone, person.language)
        )
    await message.answer(text, reply_markup=confirm_keyboard())


@router.callback_query(Bc.filter(F.act == Act.NOW))
async def send_now(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """Send now: ask to confirm."""
    draft(await state.get_data())
    await query.answer()
    await ask_confirmation(target(query), db, person, clock, state, None)


@router.callback_query(Bc.filter(F.act == Act.BACK))
async def back_to_summary(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """From the confirmation back to the summary."""
    draft(await state.get_data())
    await query.answer()
    await show_summary(target(query), db, person, clock, state)


@router.callback_query(Bc.filter(F.act == Act.LATER))
async def send_later(query: CallbackQuery, db: Database, person: Person, state: FSMContext) -> None:
    """Ask for the time."""
    draft(await state.get_data())
    rd = await district(db, person)
    await query.answer()
    await state.set_state(Compose.when)
    await target(query).answer(
        _("When should it go out? Send the date and time like 26.11 09:00 ({rural_district} time).").format(
            rural_district=rd.name(person.language)
        ),
        reply_markup=schedule_keyboard(),
    )


@router.callback_query(Bc.filter(F.act == Act.TOMORROW))
async def tomorrow(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """Tomorrow at 09:00 in the district's time."""
    draft(await state.get_data())
    rd = await district(db, person)
    await query.answer()
    await ask_confirmation(target(query), db, person, clock, state, tomorrow_morning(clock.now(), rd.timezone))


@router.message(Compose.when)
async def got_time(message: Message, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """A date and time written by hand."""
    draft(await state.get_data())
    rd = await district(db, person)
    at = parse_send_at(message.text or "", clock.now(), rd.timezone)
    if at is None:
        await message.answer(_("Please write the date and time like 26.11 09:00."), reply_markup=schedule_keyboard())
        return
    if at <= clock.now():
        await message.answer(
            _("This time has already passed. Please send a later one."), reply_markup=schedule_keyboard()
        )
        return
    if at > clock.now() + LATEST_SCHEDULE:
        await message.answer(
            _("An announcement can be scheduled at most 90 days ahead."), reply_markup=schedule_keyboard()
        )
        return
    await ask_confirmation(message, db, person, clock, state, at)


@router.callback_query(Bc.filter(F.act == Act.CONFIRM))
async def confirm(
    query: CallbackQuery, db: Database, person: Person, i18n: I18n, clock: Clock, state: FSMContext
) -> None:
    """Queue the announcement for everyone in the audience, then show its live progress."""
    data = draft(await state.get_data())
    rd = await district(db, person)
    now = clock.now()
    send_at = from_db(data["bc_send_at"]) if data.get("bc_send_at") else now
    if send_at < now:  # a time chosen a while ago has passed meanwhile: send now
        send_at = now
    texts = resident_texts(i18n, rd, data["bc_kk"], data["bc_ru"])
    n = len(await recipients(db, person, data))
    item = await broadcasts.create(
        db,
        Actor.of(person),
        rural_district_id=rd.id,
        texts=texts,
        text_kk=data["bc_kk"],
        text_ru=data["bc_ru"],
        media_type=data.get("bc_media_type"),
        media_ref=data.get("bc_media_ref"),
        audience=data["bc_audience"],
        audience_ids_=data.get("bc_ids") or [],
        urgent=bool(data.get("bc_urgent")),
        send_at=to_db(send_at),
        progress_lang=person.language,
        approval_notice=approval.notice(i18n, texts, n),
    )
    await state.clear()
    await query.answer()
    if item.awaiting_approval:
        await target(query).answer(
            _(
                "The announcement is queued, and waits for a second approval: it goes to more residents than the "
                "district's limit, so another staff member or the chair of the meeting must approve it. Nothing is "
                "sent before."
            )
        )
    else:
        await target(query).answer(_("The announcement is queued."))
    await show_progress(target(query), db, item.id, person, clock)
