"""First contact: greeting, language, rural district and village, consent; and /language."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.commands import set_chat_commands
from bot.i18n import N_
from bot.keyboards.common import Consent, Lang, Level, Pick, language_keyboard, places_keyboard
from bot.rules.clock import Clock, to_db
from bot.rules.errors import NotFound
from handlers.common import after_consent, greet, send_consent, show_menu, target
from storage import consent, people, places
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


@router.message(CommandStart())
async def start(message: Message, person: Person, state: FSMContext) -> None:
    """/start: from the beginning, or back to the menu for someone already set up."""
    await state.clear()
    if person.onboarded:
        await show_menu(message, person, _("Welcome back! Main menu: please choose a section."))
        return
    await greet(message, person)


@router.message(Command("language"))
async def language_command(message: Message, person: Person) -> None:
    """/language: offer both languages."""
    await message.answer(_("Please choose your language."), reply_markup=language_keyboard())


@router.callback_query(Lang.filter(F.code.in_({"kk", "ru"})))
async def choose_language(
    query: CallbackQuery,
    callback_data: Lang,
    person: Person,
    db: Database,
    bot: Bot,
    i18n: I18n,
    bot_district: int | None = None,
) -> None:
    """Store the language; answer in it from now on, Telegram's command menu included."""
    await people.set_language(db, person.id, callback_data.code)
    person = await people.reload(db, person)
    await query.answer()
    await set_chat_commands(bot, i18n, query.from_user.id, person.language)
    elsewhere = bot_district not in (None, person.rural_district_id) and not person.is_operator
    with i18n.use_locale(person.language):
        if person.onboarded and not elsewhere:
            await show_menu(target(query), person, _("The language is changed. Main menu: please choose a section."))
        else:
            await ask_place(target(query), db, person, bot_district)


async def ask_place(message: Message, db: Database, person: Person, bot_district: int | None = None) -> None:
    """The next place to choose: region → district → rural district → village, skipping single choices.
    A district's own bot (``bot_district``) offers only that district's villages."""
    lang = person.language
    if bot_district is not None and person.rural_district_id != bot_district:
        await _set_rural_district(message, db, person, bot_district)
        return
    if person.rural_district_id is None:
        regions = await places.regions(db)
        if not regions:
            await message.answer(_("The bot is not set up yet: no rural district has been added. Please try later."))
            return
        if len(regions) > 1:
            await message.answer(
                _("Please choose your region."), reply_markup=places_keyboard(Level.REGION, regions, lang)
            )
            return
        await _ask_inside(message, db, person, Level.REGION, regions[0].id)
        return
    villages = await places.villages(db, person.rural_district_id)
    if not villages:
        await message.answer(_("No villages have been added for your rural district yet. Please try later."))
        return
    await message.answer(_("Please choose your village."), reply_markup=places_keyboard(Level.VILLAGE, villages, lang))


# A place picked at this level -> the places inside it: how they are read, the level they are
# picked at, the question.
_INSIDE = {
    Level.REGION: (places.districts, Level.DISTRICT, N_("Please choose your district.")),
    Level.DISTRICT: (places.rural_districts_of, Level.RURAL_DISTRICT, N_("Please choose your rural district.")),
}


async def _ask_inside(message: Message, db: Database, person: Person, level: Level, place_id: int) -> None:
    """The places inside the one picked at ``level``: asked for when there are several, taken when
    there is one."""
    read, inner, question = _INSIDE[level]
    options = await read(db, place_id)
    if not options:
        raise NotFound(N_("This choice is no longer available. Please start again with /start."))
    if len(options) > 1:
        await message.answer(_(question), reply_markup=places_keyboard(inner, options, person.language))
    elif inner is Level.RURAL_DISTRICT:
        await _set_rural_district(message, db, person, options[0].id)
    else:
        await _ask_inside(message, db, person, inner, options[0].id)


async def _set_rural_district(message: Message, db: Database, person: Person, rural_district_id: int) -> None:
    if await places.rural_district(db, rural_district_id) is None:
        raise NotFound(N_("This choice is no longer available. Please start again with /start."))
    await people.set_place(db, person.id, rural_district_id, None)
    await ask_place(message, db, await people.reload(db, person))


@router.callback_query(Pick.filter())
async def pick_place(
    query: CallbackQuery,
    callback_data: Pick,
    person: Person,
    db: Database,
    clock: Clock,
    bot_district: int | None = None,
) -> None:
    """One step down the list of places; the village completes the choice (on a district's own bot,
    only in its district: a forged press for another is refused)."""
    await query.answer()
    message = target(query)
    if bot_district is not None and (
        callback_data.level is not Level.VILLAGE or person.rural_district_id != bot_district
    ):
        raise NotFound(N_("This choice is no longer available. Please start again with /start."))
    if callback_data.level in _INSIDE:
        await _ask_inside(message, db, person, callback_data.level, callback_data.id)
    elif callback_data.level is Level.RURAL_DISTRICT:
        await _set_rural_district(message, db, person, callback_data.id)
    else:
        if (
            person.rural_district_id is None
            or await places.village_in(db, person.rural_district_id, callback_data.id) is None
        ):
            raise NotFound(N_("This choice is no longer available. Please start again with /start."))
        was_onboarded = person.onboarded
        await people.set_place(db, person.id, person.rural_district_id, callback_data.id)
        person = await people.reload(db, person)
        current = await consent.current(db)
        if was_onboarded or person.consented(current.version) or person.consent_declined:
            await show_menu(message, person, _("Saved. Main menu: please choose a section."))
        else:
            await send_consent(message, db, person)


@router.callback_query(Consent.filter())
async def answer_consent(
    query: CallbackQuery,
    callback_data: Consent,
    person: Person,
    db: Database,
    clock: Clock,
    state: FSMContext,
    bot_district: int | None = None,
) -> None:
    """Agree: keep what needs consent. Decline: keep nothing more, documents and events stay open."""
    await query.answer()
    current = await consent.current(db)
    await people.set_consent(db, person.id, current.version if callback_data.agree else None, now=to_db(clock.now()))
    person = await people.reload(db, person)
    if not person.onboarded:
        await ask_place(target(query), db, person, bot_district)
        return
    if callback_data.agree:
        await after_consent(target(query), person, state)
    else:
        await state.update_data(resume=None)
        await show_menu(
            target(query),
            person,
            _(
                "Understood: we keep nothing more about you. You can still read documents and events. "
                "Submitting, voting and answering invitations will ask for consent again."
            ),
        )
