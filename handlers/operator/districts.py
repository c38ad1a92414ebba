"""A district's settings from the chat: each button asks for the new value (the census toggles)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.i18n import N_
from bot.keyboards import operator as kb
from bot.keyboards.operator import Op, OpCb, OpSet
from bot.rules.clock import Clock
from handlers.common import NotMenu, target
from handlers.operator.menu import district_text
from storage import census, districts
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)

ASK = {
    districts.Key.TIMEZONE: N_("Send the time zone, e.g. Asia/Almaty (all of Kazakhstan is UTC+5)."),
    districts.Key.QUIET: N_("Send the quiet hours, e.g. 22:00-08:00, or «off». Announcements wait for their end."),
    districts.Key.REVIEW_DAYS: N_("Send the review deadline of initiatives in working days (1 to 40; the law: 15)."),
    districts.Key.THRESHOLD: N_("Send how many supports put an initiative on the agenda of the next gathering."),
    districts.Key.APPROVAL: N_(
        "Send the number of recipients above which an announcement needs a second staff member's or the chair's "
        "approval (0: every announcement)."
    ),
}


class Setting(StatesGroup):
    value = State()  # data: rd, key


async def _settings_screen(message: Message, db: Database, rural_district_id: int, lang: str) -> None:
    found = await districts.get(db, rural_district_id)
    census = bool(found and found.census)
    await message.answer(
        await district_text(db, rural_district_id, lang), reply_markup=kb.settings_keyboard(rural_district_id, census)
    )


@router.callback_query(OpCb.filter(F.act == Op.SETTINGS))
async def show_settings(
    query: CallbackQuery, callback_data: OpCb, db: Database, person: Person, state: FSMContext
) -> None:
    """The settings of one district, a button each."""
    await state.clear()
    await query.answer()
    await _settings_screen(target(query), db, callback_data.rd, person.language)


@router.callback_query(OpSet.filter())
async def pick_setting(
    query: CallbackQuery, callback_data: OpSet, db: Database, person: Person, state: FSMContext, clock: Clock
) -> None:
    """The census is switched at once; the others ask for their value."""
    await query.answer()
    key = districts.Key(callback_data.key)
    if key is districts.Key.CENSUS:
        found = await districts.get(db, callback_data.rd)
        on = not (found and found.census)
        await census.set_census_required(db, Actor.operator(person), callback_data.rd, on)
        await _settings_screen(target(query), db, callback_data.rd, person.language)
        return
    await state.set_state(Setting.value)
    await state.update_data(rd=callback_data.rd, key=key.value)
    await target(query).answer(_(ASK[key]) + "\n" + _("/cancel: leave it as it is."))


@router.message(Setting.value, NotMenu())
async def got_value(message: Message, db: Database, person: Person, state: FSMContext, clock: Clock) -> None:
    """Set it (a wrong value is answered with what is expected, and asked again)."""
    data = await state.get_data()
    await districts.change(
        db, Actor.operator(person), int(data["rd"]), data["key"], message.text or "", now=clock.now()
    )
    await state.clear()
    await message.answer(_("Done."))
    await _settings_screen(message, db, int(data["rd"]), person.language)
