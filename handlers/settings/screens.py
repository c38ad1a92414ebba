"""Settings: language, village, notifications and consent (withdrawn with one tap); «My data» is
``handlers/settings/data.py``."""

from __future__ import annotations

from enum import StrEnum

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards.common import Level, MenuButton, inline, language_keyboard, menu_button, places_keyboard
from bot.rules.clock import Clock, to_db
from handlers.common import send_consent, show_menu, target
from storage import consent, people, places
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


class Act(StrEnum):
    LANGUAGE = "lang"
    VILLAGE = "vil"
    ANNOUNCEMENTS = "ann"
    REMINDERS = "rem"
    CONSENT = "cons"
    WITHDRAW = "wd"
    MY_DATA = "data"


class SettingsCb(CallbackData, prefix="set"):
    act: Act


def settings_keyboard(person: Person, consented: bool) -> InlineKeyboardMarkup:
    on, off = "🔔", "🔕"
    rows = [
        [InlineKeyboardButton(text=_("🌐 Language"), callback_data=SettingsCb(act=Act.LANGUAGE).pack())],
        [InlineKeyboardButton(text=_("🏡 My village"), callback_data=SettingsCb(act=Act.VILLAGE).pack())],
        [
            InlineKeyboardButton(
                text=(on if person.notify_announcements else off) + " " + _("Announcements"),
                callback_data=SettingsCb(act=Act.ANNOUNCEMENTS).pack(),
            )
        ],
        [
            InlineKeyboardButton(
                text=(on if person.notify_reminders else off) + " " + _("Event reminders"),
                callback_data=SettingsCb(act=Act.REMINDERS).pack(),
            )
        ],
        [
            InlineKeyboardButton(
                text=_("Withdraw consent") if consented else _("Give consent"),
                callback_data=SettingsCb(act=Act.WITHDRAW if consented else Act.CONSENT).pack(),
            )
        ],
        [InlineKeyboardButton(text=_("🗂 My data"), callback_data=SettingsCb(act=Act.MY_DATA).pack())],
        [menu_button()],
    ]
    return inline(rows)


async def settings_text(db: Database, person: Person) -> tuple[str, bool]:
    current = await consent.current(db)
    rd = await places.rural_district(db, person.rural_district_id)
    village = await places.village(db, person.village_id)
    consented = person.consented(current.version)
    text = _(
        "<b>Settings</b>\n"
        "Language: {language}\n"
        "Rural district: {rural_district}\n"
        "Village: {village}\n"
        "Consent to keep personal data: {consent}"
    ).format(
        language="Қазақша" if person.language == "kk" else "Русский",
        rural_district=rd.name(person.language) if rd else "—",
        village=village.name(person.language) if village else "—",
        consent=_("given") if consented else _("not given"),
    )
    return text, consented


@router.message(MenuButton("settings"))
async def show_settings(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The settings screen."""
    await state.clear()
    text, consented = await settings_text(db, person)
    await message.answer(text, reply_markup=settings_keyboard(person, consented))


@router.callback_query(SettingsCb.filter(F.act != Act.MY_DATA))
async def change_setting(
    query: CallbackQuery, callback_data: SettingsCb, person: Person, db: Database, clock: Clock
) -> None:
    """One tap changes one setting; the screen is redrawn with the new values."""
    await query.answer()
    message = target(query)
    act = callback_data.act
    if act is Act.LANGUAGE:
        await message.answer(_("Please choose your language."), reply_markup=language_keyboard())
        return
    if act is Act.VILLAGE:
        assert person.rural_district_id is not None
        options = await places.villages(db, person.rural_district_id)
        await message.answer(
            _("Please choose your village."), reply_markup=places_keyboard(Level.VILLAGE, options, person.language)
        )
        return
    if act is Act.CONSENT:
        await send_consent(message, db, person)
        return
    if act is Act.WITHDRAW:
        await people.set_consent(db, person.id, None, now=to_db(clock.now()))
        person = await people.reload(db, person)
        await show_menu(message, person, _("Consent withdrawn. Your name and phone number are deleted."))
        return
    await people.set_notifications(
        db,
        person.id,
        announcements=person.notify_announcements ^ (act is Act.ANNOUNCEMENTS),
        reminders=person.notify_reminders ^ (act is Act.REMINDERS),
    )
    person = await people.reload(db, person)
    text, consented = await settings_text(db, person)
    await message.edit_text(text, reply_markup=settings_keyboard(person, consented))
