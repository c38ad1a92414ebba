"""The staff: the district's settings of initiatives (review deadline, daily limit, agenda threshold)."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards.initiatives import AdmSettings, answer_keyboard, settings_keyboard
from handlers.common import target
from storage import initiatives as store
from storage.audit import Actor
from storage.db import Database
from storage.initiatives import Setting
from storage.people import Person

router = Router(name=__name__)

RANGES = {Setting.REVIEW_DAYS: (1, 40), Setting.PER_DAY: (1, 50), Setting.THRESHOLD: (1, 100_000)}


class StaffForm(StatesGroup):
    # Named as before the split ("StaffForm:setting"), so a staff member typing a value while the
    # bot is upgraded goes on where they were: states are kept in the database across restarts.
    setting = State()  # the new value of the setting chosen


def _settings_text(cfg: store.DistrictSettings) -> str:
    return _(
        "<b>Initiative settings</b>\nReview deadline, working days: {days}\nInitiatives a person may send in "
        "24 hours: {per_day}\nSupports for the gathering's agenda: {threshold}"
    ).format(days=cfg.review_days, per_day=cfg.per_day, threshold=cfg.threshold)


@router.callback_query(AdmSettings.filter())
async def staff_settings(
    query: CallbackQuery, callback_data: AdmSettings, person: Person, db: Database, state: FSMContext
) -> None:
    """The district's settings, and the one to change."""
    await query.answer()
    assert person.rural_district_id is not None
    if callback_data.key is not None:
        low, high = RANGES[callback_data.key]
        await state.set_state(StaffForm.setting)
        await state.set_data({"setting": callback_data.key.value})
        await target(query).answer(
            _("Send the new value: a number from {low} to {high}.").format(low=low, high=high),
            reply_markup=answer_keyboard(0, optional=False),
        )
        return
    cfg = await store.settings(db, person.rural_district_id)
    await target(query).answer(_settings_text(cfg), reply_markup=settings_keyboard())


@router.message(StaffForm.setting)
async def staff_setting_value(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """A new value, within its range, audited."""
    data = await state.get_data()
    name = Setting(data["setting"])
    low, high = RANGES[name]
    text = (message.text or "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        await message.answer(_("Send the new value: a number from {low} to {high}.").format(low=low, high=high))
        return
    assert person.rural_district_id is not None
    await store.set_setting(db, Actor.of(person), person.rural_district_id, name, int(text))
    await state.clear()
    cfg = await store.settings(db, person.rural_district_id)
    await message.answer(
        _("Saved. A new review deadline applies to initiatives submitted from now on.") + "\n\n" + _settings_text(cfg),
        reply_markup=settings_keyboard(),
    )
