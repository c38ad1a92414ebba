"""Composing an announcement: its text (one, or one per language), who gets it, and the preview."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import LANGUAGES, N_
from bot.keyboards.broadcasts import (
    Act,
    Bc,
    audience_keyboard,
    events_keyboard,
    languages_keyboard,
    text_keyboard,
    villages_keyboard,
)
from bot.rules.clock import Clock, to_db
from bot.rules.errors import NotFound
from bot.sender import send_rendered
from handlers.broadcasts.draft import Compose, draft, recipients
from handlers.broadcasts.send import show_summary
from handlers.broadcasts.texts import district, resident_texts, visible_length
from handlers.common import target
from storage import broadcasts, places
from storage.db import Database
from storage.outbox import OutMessage
from storage.people import Person

router = Router(name=__name__)

TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский"}
AUDIENCES = {Act.ALL: "all", Act.REPRESENTATIVES: "representatives", Act.EVENT: "event"}  # chosen with one press


@router.callback_query(Bc.filter(F.act == Act.NEW))
async def new(query: CallbackQuery, state: FSMContext) -> None:
    """A new announcement: one text for both languages, or one per language."""
    await state.clear()
    await query.answer()
    await target(query).answer(
        _("<b>New announcement</b>\nWill you write one text for everyone, or a Kazakh and a Russian version?"),
        reply_markup=languages_keyboard(),
    )


@router.callback_query(Bc.filter(F.act.in_({Act.ONE_TEXT, Act.TWO_TEXTS})))
async def choose_languages(query: CallbackQuery, callback_data: Bc, state: FSMContext) -> None:
    """Ask for the (first) text."""
    await query.answer()
    if callback_data.act == Act.ONE_TEXT:
        await state.set_state(Compose.text_one)
        prompt = _(
            "Send the announcement: a text, or a photo or a document with a caption. Everyone gets it as you write it."
        )
    else:
        await state.set_state(Compose.text_kk)
        prompt = _("Send the announcement in Kazakh: a text, or a photo or a document with a caption.")
    await target(query).answer(prompt, reply_markup=text_keyboard())


def _content(message: Message) -> tuple[str, str | None, str | None] | None:
    """(HTML text, media type, file id) of a staff message, or None for anything else."""
    if message.photo:
        return (message.html_text if message.caption else ""), "photo", message.photo[-1].file_id
    if message.document:
        return (message.html_text if message.caption else ""), "document", message.document.file_id
    if message.text:
        return message.html_text, None, None
    return None


async def _too_long(db: Database, person: Person, i18n: I18n, kk: str, ru: str, media: bool) -> str | None:
    """Why Telegram would refuse this text (with the heading, in the longer language), or None."""
    rd = await district(db, person)
    limit = CAPTION_LIMIT if media else TEXT_LIMIT
    longest = max(visible_length(t) for t in resident_texts(i18n, rd, kk, ru).values())
    if longest <= limit:
        return None
    return _(
        "The announcement is too long: {length} characters with the heading, at most {limit}. "
        "Please shorten it and send it again."
    ).format(length=longest, limit=limit)


@router.message(Compose.text_one)
@router.message(Compose.text_kk)
async def got_text(message: Message, db: Database, person: Person, i18n: I18n, clock: Clock, state: FSMContext) -> None:
    """The text (and media) of the announcement, or its Kazakh version."""
    content = _content(message)
    if content is None or (not content[0].strip() and content[2] is None):
        await message.answer(_("Please send a text, a photo or a document."), reply_markup=text_keyboard())
        return
    text, media_type, media_ref = content
    problem = await _too_long(db, person, i18n, text, text, media_type is not None)
    if problem:
        await message.answer(problem, reply_markup=text_keyboard())
        return
    await state.update_data(bc_kk=text, bc_ru="", bc_media_type=media_type, bc_media_ref=media_ref, bc_urgent=False)
    if await state.get_state() == Compose.text_kk.state:
        await state.set_state(Compose.text_ru)
        await message.answer(
            _("Now the same announcement in Russian, as text. The photo or document, if any, goes with it."),
            reply_markup=text_keyboard(),
        )
        return
    await ask_audience(message, db, person, clock, state, _("Who should get it?"))


@router.message(Compose.text_ru)
async def got_text_ru(
    message: Message, db: Database, person: Person, i18n: I18n, clock: Clock, state: FSMContext
) -> None:
    """The Russian version."""
    data = draft(await state.get_data())
    if not message.text or not message.text.strip():
        await message.answer(_("Please send the Russian text."), reply_markup=text_keyboard())
        return
    problem = await _too_long(db, person, i18n, data["bc_kk"], message.html_text, data["bc_media_type"] is not None)
    if problem:
        await message.answer(problem, reply_markup=text_keyboard())
        return
    await state.update_data(bc_ru=message.html_text)
    await ask_audience(message, db, person, clock, state, _("Who should get it?"))


async def ask_audience(
    message: Message, db: Database, person: Person, clock: Clock, state: FSMContext, question: str
) -> None:
    """The audiences to choose from (event invitees only when there is an event to choose)."""
    assert person.rural_district_id is not None
    await state.set_state(Compose.audience)
    events = await broadcasts.events_to_choose(db, person.rural_district_id, to_db(clock.now()))
    await message.answer(question, reply_markup=audience_keyboard(events=bool(events)))


@router.callback_query(Bc.filter(F.act.in_(AUDIENCES)))
async def choose_audience(
    query: CallbackQuery,
    callback_data: Bc,
    db: Database,
    person: Person,
    i18n: I18n,
    clock: Clock,
    bot: Bot,
    state: FSMContext,
) -> None:
    """The whole district, the representatives, or the invitees of an event of the staff member's own district."""
    draft(await state.get_data())
    assert person.rural_district_id is not None
    ids: list[int] = []
    if callback_data.act == Act.EVENT:
        events = await broadcasts.events_to_choose(db, person.rural_district_id, to_db(clock.now()))
        if callback_data.id not in {e[0] for e in events}:
            raise NotFound(N_("This event was not found."))
        ids = [callback_data.id]
    await query.answer()
    await state.update_data(bc_audience=AUDIENCES[callback_data.act], bc_ids=ids)
    await preview(target(query), db, person, i18n, clock, bot, state)


@router.callback_query(Bc.filter(F.act == Act.VILLAGES))
async def choose_villages(query: CallbackQuery, db: Database, person: Person, state: FSMContext) -> None:
    """Pick one or more villages."""
    draft(await state.get_data())
    await query.answer()
    await state.update_data(bc_audience="villages", bc_ids=[])
    villages = await places.villages(db, person.rural_district_id or 0)
    await target(query).answer(
        _("Choose the villages, then press Done."), reply_markup=villages_keyboard(villages, set(), person.language)
    )


@router.callback_query(Bc.filter(F.act == Act.VILLAGE))
async def toggle_village(
    query: CallbackQuery, callback_data: Bc, db: Database, person: Person, state: FSMContext
) -> None:
    """Add or remove a village (only one of the staff member's own district)."""
    data = draft(await state.get_data())
    assert person.rural_district_id is not None
    if await places.village_in(db, person.rural_district_id, callback_data.id) is None:
        raise NotFound(N_("This village is not in your rural district."))
    chosen = set(data.get("bc_ids") or [])
    chosen ^= {callback_data.id}
    await state.update_data(bc_audience="villages", bc_ids=sorted(chosen))
    await query.answer()
    villages = await places.villages(db, person.rural_district_id)
    with contextlib.suppress(TelegramBadRequest):  # the keyboard is unchanged
        await target(query).edit_reply_markup(reply_markup=villages_keyboard(villages, chosen, person.language))


@router.callback_query(Bc.filter(F.act == Act.VILLAGES_DONE))
async def villages_done(
    query: CallbackQuery, db: Database, person: Person, i18n: I18n, clock: Clock, bot: Bot, state: FSMContext
) -> None:
    """The villages are chosen."""
    data = draft(await state.get_data())
    if data.get("bc_audience") != "villages" or not data.get("bc_ids"):
        await query.answer(_("Choose at least one village."), show_alert=True)
        return
    await query.answer()
    await preview(target(query), db, person, i18n, clock, bot, state)


@router.callback_query(Bc.filter(F.act == Act.EVENTS))
async def choose_event(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """The people invited to one of the district's events."""
    draft(await state.get_data())
    assert person.rural_district_id is not None
    await query.answer()
    events = await broadcasts.events_to_choose(db, person.rural_district_id, to_db(clock.now()))
    rd = await district(db, person)
    await target(query).answer(
        _("Choose the event."), reply_markup=events_keyboard(events, person.language, rd.timezone)
    )


async def preview(
    message: Message, db: Database, person: Person, i18n: I18n, clock: Clock, bot: Bot, state: FSMContext
) -> None:
    """Exactly what residents get, in each language they read; then who and when."""
    data = draft(await state.get_data())
    rd = await district(db, person)
    chosen = await recipients(db, person, data)
    if not chosen:
        await ask_audience(
            message,
            db,
            person,
            clock,
            state,
            _("Nobody in this audience gets announcements. Please choose another audience."),
        )
        return
    texts = resident_texts(i18n, rd, data["bc_kk"], data["bc_ru"])
    shown = OutMessage(0, rd.id, "announcement", texts, None, data.get("bc_media_type"), data.get("bc_media_ref"))
    by_language = await broadcasts.languages_of(db, chosen)
    for lang in LANGUAGES:
        if not by_language.get(lang):
            continue
        await message.answer(
            _("👁 Preview: residents who read {language} ({n}) get this:").format(
                language=LANGUAGE_NAMES[lang], n=by_language[lang]
            )
        )
        await send_rendered(bot, message.chat.id, shown, lang)
    await show_summary(message, db, person, clock, state)
