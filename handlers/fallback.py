"""Catch-alls, included last: anything no feature understood gets a polite answer and the menu."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards.admin import ADMIN_PREFIX
from handlers.common import DataStarts, TextStarts, greet, show_menu, target
from storage import audit
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.callback_query(DataStarts(ADMIN_PREFIX))
async def refuse_admin(query: CallbackQuery, person: Person | None, db: Database) -> None:
    """An admin button no admin screen took: from someone who is not staff here (refused politely,
    logged), or a staff member's button from before a release (out of date)."""
    await query.answer()
    if person is not None and person.onboarded and person.is_staff:
        message = _("This button is out of date. Here is the main menu.")
    else:
        log.warning("refused admin callback %r from user %s", query.data, query.from_user.id)
        rural_district_id = person.rural_district_id if person else None
        await audit.refused(db, telegram_id=query.from_user.id, rural_district_id=rural_district_id, data=query.data)
        message = _("This action is only for the staff of the akim's office.")
    if person is not None and person.onboarded:
        await show_menu(target(query), person, message)
    else:
        await target(query).answer(message)


@router.message(TextStarts("/"))
async def unknown_command(message: Message, person: Person, state: FSMContext) -> None:
    """A command the bot does not know."""
    if not person.onboarded:
        await greet(message, person)
        return
    await show_menu(message, person, _("I do not know this command. /menu opens the main menu."))


@router.message()
async def not_understood(message: Message, person: Person, state: FSMContext) -> None:
    """Text, stickers, photos… where none was expected."""
    if not person.onboarded:
        await greet(message, person)
        return
    if await state.get_state() is not None:
        await message.answer(_("Please use the buttons of the current step, or /cancel to stop it."))
        return
    await show_menu(message, person, _("Sorry, I did not understand. Please use the buttons below."))


@router.callback_query()
async def stale_button(query: CallbackQuery, person: Person, state: FSMContext) -> None:
    """A button from an old message, or data the bot does not know. A step in progress is kept
    (a draft is not thrown away for a stale button); otherwise the main menu."""
    await query.answer()
    if not person.onboarded:
        await greet(target(query), person)
        return
    if await state.get_state() is not None:
        await target(query).answer(_("Please use the buttons of the current step, or /cancel to stop it."))
        return
    await show_menu(target(query), person, _("This button is out of date. Here is the main menu."))
