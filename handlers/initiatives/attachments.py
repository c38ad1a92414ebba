"""The form's optional steps: photos (an album too), the location, a voice message."""

from __future__ import annotations

import asyncio
import weakref

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards.common import main_menu
from bot.keyboards.initiatives import DraftAct, DraftCb, location_keyboard, location_labels, step_keyboard
from bot.rules import initiatives as rules
from handlers.common import Has, show_menu, target
from handlers.initiatives.form import Form, ask
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)

# An album arrives as several messages at once, and polling handles updates concurrently: the
# draft's photo list is read and written under one lock per chat so no photo is lost.
_album_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()


@router.message(StateFilter(Form.photos), Has("photo"))
async def got_photo(message: Message, state: FSMContext) -> None:
    """A photo (or one of an album): kept up to the limit; the rest of an album is refused once."""
    assert message.photo and message.from_user
    lock = _album_locks.get(message.chat.id)
    if lock is None:
        lock = _album_locks[message.chat.id] = asyncio.Lock()
    async with lock:
        data = await state.get_data()
        photos: list[str] = data.get("photos", [])
        told: list[str] = data.get("told", [])
        group = message.media_group_id
        first_of_group = group is not None and group not in told
        if len(photos) >= rules.MAX_PHOTOS:
            if group is None or group not in data.get("refused", []):
                await state.update_data(refused=[*data.get("refused", []), group] if group else data.get("refused", []))
                await message.answer(
                    _(
                        "At most {limit} photos: the first {limit} are kept, this and any further ones were not "
                        "added. Press «Next»."
                    ).format(limit=rules.MAX_PHOTOS),
                    reply_markup=step_keyboard(next_label=_("➡️ Next")),
                )
            return
        photos.append(message.photo[-1].file_id)
        await state.update_data(photos=photos, told=[*told, group] if first_of_group else told)
    if group is None or first_of_group:
        await message.answer(
            _("📷 Photo received. Send more (up to {limit} in all) or press «Next».").format(limit=rules.MAX_PHOTOS),
            reply_markup=step_keyboard(next_label=_("➡️ Next")),
        )


@router.message(StateFilter(Form.photos))
async def not_a_photo(message: Message) -> None:
    """A file, sticker or text where photos are expected."""
    if message.document and (message.document.mime_type or "").startswith("image/"):
        text = _("Please send the picture as a photo, not as a file.")
    else:
        text = _("Please send photos, or press «Skip» / «Next».")
    await message.answer(text, reply_markup=step_keyboard(next_label=_("➡️ Next")))


@router.callback_query(DraftCb.filter(F.act == DraftAct.NEXT), StateFilter(Form.photos))
async def photos_done(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """On to the location."""
    await query.answer()
    await ask(target(query), Form.location, person, db, state)


@router.message(StateFilter(Form.location), Has("location"))
async def got_location(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The place, from Telegram's location button."""
    assert message.location
    await state.update_data(lat=message.location.latitude, lon=message.location.longitude)
    await message.answer(_("📍 Location received."), reply_markup=main_menu(person))
    await ask(message, Form.voice, person, db, state)


@router.message(StateFilter(Form.location))
async def location_buttons(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The reply-keyboard buttons of the location step (it cannot carry inline ones)."""
    labels = location_labels()
    if message.text == labels["skip"]:
        await state.update_data(lat=None, lon=None)
        await message.answer(_("Without a location."), reply_markup=main_menu(person))
        await ask(message, Form.voice, person, db, state)
    elif message.text == labels["back"]:
        await message.answer("⬅️", reply_markup=main_menu(person))
        await ask(message, Form.photos, person, db, state)
    elif message.text == labels["cancel"]:
        await state.clear()
        await show_menu(message, person, _("Cancelled. Main menu: please choose a section."))
    else:
        await message.answer(_("Please press «📍 Send location», or «Skip»."), reply_markup=location_keyboard())


@router.message(StateFilter(Form.voice), Has("voice"))
async def got_voice(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """A voice message: many people prefer speaking to typing."""
    assert message.voice
    await state.update_data(voice=message.voice.file_id)
    await message.answer(_("🎤 Voice message received."))
    await ask(message, Form.village, person, db, state)


@router.message(StateFilter(Form.voice))
async def not_a_voice(message: Message) -> None:
    """Anything else where a voice message is expected."""
    await message.answer(
        _("Please record a voice message, or press «Skip»."), reply_markup=step_keyboard(next_label=_("⏭ Skip"))
    )


@router.callback_query(DraftCb.filter(F.act == DraftAct.NEXT), StateFilter(Form.voice))
async def voice_skipped(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """No voice message."""
    await query.answer()
    await ask(target(query), Form.village, person, db, state)
