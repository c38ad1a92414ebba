"""What several routers share: scope filters, the main menu, the consent gate, a file someone sent."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import BaseFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.i18n import LANGUAGES, N_
from bot.keyboards.common import MENU_LABELS, consent_keyboard, continue_keyboard, language_keyboard, main_menu
from storage import consent, operations, places
from storage.db import Database
from storage.people import Person

log = logging.getLogger(__name__)


class NotMenu(BaseFilter):
    """Text that is not a main-menu label, so a menu button pressed mid-flow still opens its section."""

    async def __call__(self, message: Message, i18n: I18n) -> bool:
        if message.text is None:
            return True
        labels = {i18n.gettext(msgid, locale=lang) for msgid in MENU_LABELS.values() for lang in LANGUAGES}
        return message.text not in labels


class ChatType(BaseFilter):
    """Private chat or not. An async filter on purpose: aiogram runs a magic filter (``F.chat.type``)
    through ``asyncio.to_thread``, a thread hop on every update that reaches it."""

    def __init__(self, *, private: bool) -> None:
        self.private = private

    async def __call__(self, event: TelegramObject, event_chat: Chat | None = None) -> bool:
        return (event_chat is not None and event_chat.type == "private") == self.private


class Has(BaseFilter):
    """A message with any of these parts: ``Has("photo")``, ``Has("text", "voice")``. The async form of
    ``F.photo`` or ``F.text | F.voice``, which aiogram 3.31 runs through ``asyncio.to_thread``."""

    def __init__(self, *parts: str) -> None:
        self.parts = parts

    async def __call__(self, message: Message) -> bool:
        return any(getattr(message, part, None) for part in self.parts)


class TextStarts(BaseFilter):
    """Text that starts with ``prefix`` (with ``negate``: any message whose text does not):
    ``F.text.startswith(prefix)`` (``~…``) without the thread hop."""

    def __init__(self, prefix: str, *, negate: bool = False) -> None:
        self.prefix, self.negate = prefix, negate

    async def __call__(self, message: Message) -> bool:
        return (message.text is not None and message.text.startswith(self.prefix)) != self.negate


class DataStarts(BaseFilter):
    """A button whose data starts with ``prefix``: ``F.data.startswith(prefix)`` without the thread hop."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    async def __call__(self, query: CallbackQuery) -> bool:
        return query.data is not None and query.data.startswith(self.prefix)


class Onboarded(BaseFilter):
    """The person has a language, a rural district and a village."""

    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        return person is not None and person.onboarded


class IsStaff(BaseFilter):
    """Staff of the person's rural district, or an operator. Set once on each admin router."""

    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        return person is not None and person.onboarded and person.is_staff


class IsOperator(BaseFilter):
    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        return person is not None and person.is_operator


def target(event: Message | CallbackQuery) -> Message:
    """The message to answer: the message itself, or the one a button was pressed under."""
    if isinstance(event, CallbackQuery):
        assert isinstance(event.message, Message)
        return event.message
    return event


async def sent_file(message: Message, bot: Bot, file_id: str, limit: int = -1) -> bytes | None:
    """The bytes of a file the person sent (at most ``limit``), or None once they are told that
    Telegram did not give it back."""
    try:
        content = await bot.download(file_id)
    except TelegramBadRequest:
        log.warning("could not download file %s", file_id)
        await message.answer(_("Telegram did not give the file back. Please send it again."))
        return None
    return content.read(limit) if content is not None else b""


async def greet(message: Message, person: Person) -> None:
    """The first screen: a greeting in the person's language and the two languages."""
    await message.answer(
        _(
            "Сәлеметсіз бе! Здравствуйте!\n\n"
            "This bot connects you with the local self-government of your rural district: "
            "civic initiatives, project contests, gatherings and meetings, the akim's reports and documents.\n\n"
            "Please choose your language."
        ),
        reply_markup=language_keyboard(),
    )


async def show_menu(message: Message, person: Person, text: str | None = None) -> None:
    await message.answer(text or _("Main menu. Please choose a section."), reply_markup=main_menu(person))


# The built-in consent text. Changing it (or the retention it names) makes a new version at the next
# start (``bot.app.prepare``), and everyone is asked again. It says what «My data» does: the two
# must agree (handlers/settings/data.py).
BUILT_IN_CONSENT = N_(
    "<b>Consent to the processing of personal data</b>\n\n"
    "To run the bot we keep your Telegram ID, your language, your rural district and village.\n\n"
    "With your consent we also keep what you give us: your name and phone number, the texts, photos and "
    "voice messages of your initiatives and questions, your votes, supports and answers to invitations. "
    "They are used only to review your initiatives, count votes and remind you of events.\n\n"
    "The owner and operator of the personal data database: {owner}. Your data are kept while you use the "
    "bot, and deleted when you have not written to it for {period}. In Settings → My data you see "
    "everything kept and can delete it at once: supports stay counted without your name, a vote stays as "
    "an anonymous ballot, a published initiative stays as «by a resident» without photos. The census of "
    "the akim's office is its own register and does not change. Withdrawing consent deletes your name "
    "and phone number. Messages travel through Telegram's servers abroad.\n\n"
    "Law of the Republic of Kazakhstan No. 94-V of 21 May 2013 «On personal data and their protection»."
)
RETENTION_DAYS = "retention_idle_days"  # service_state: the retention the consent text names (bot.app.prepare)


async def data_owner(db: Database, person: Person) -> str:
    """The akim's office of the person's rural district: the owner and operator of the database."""
    rd = await places.rural_district(db, person.rural_district_id)
    lang = person.language
    owner = (rd.office_ru if lang == "ru" else rd.office_kk) if rd else None
    if rd and not owner:
        owner = _("the akim's office of {name}").format(name=rd.name(lang))
    return owner or _("the akim's office of your rural district")


async def consent_text(db: Database, person: Person) -> str:
    """The deployment's consent text, naming the akim's office of the person's rural district."""
    current = await consent.current(db)
    owner = await data_owner(db, person)
    custom = current.text_ru if person.language == "ru" else current.text_kk
    if custom:
        return custom.replace("{owner}", owner)
    found = await operations.get_state(db, RETENTION_DAYS)
    return _(BUILT_IN_CONSENT).format(
        owner=owner, period=retention_period(int(found[0]) if found and found[0] else 1095)
    )


def retention_period(days: int) -> str:
    """«3 years», or «400 days» when it is not a whole number of years."""
    years, rest = divmod(days, 365)
    if years and not rest:
        return ngettext("{n} year", "{n} years", years).format(n=years)
    return ngettext("{n} day", "{n} days", days).format(n=days)


async def send_consent(message: Message, db: Database, person: Person) -> None:
    await message.answer(await consent_text(db, person), reply_markup=consent_keyboard())


async def consent_given(
    event: Message | CallbackQuery, person: Person, db: Database, state: FSMContext, resume: str | None = None
) -> bool:
    """True when the person's consent is current; otherwise ask for it and remember where to resume."""
    if person.consented():
        return True
    if isinstance(event, CallbackQuery):
        await event.answer()
    await state.update_data(resume=resume)
    await target(event).answer(_("This needs your consent to keep personal data. Please read and choose."))
    await send_consent(target(event), db, person)
    return False


async def after_consent(message: Message, person: Person, state: FSMContext) -> None:
    """Where the person goes once they agreed: back to what they were doing, or the menu."""
    data = await state.get_data()
    resume = data.get("resume")
    if resume:
        await state.update_data(resume=None)
        await message.answer(_("Thank you. You can continue now."), reply_markup=continue_keyboard(resume))
    await show_menu(message, person, _("Thank you. Main menu: please choose a section."))
