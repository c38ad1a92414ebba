"""The operator's commands in the bot: the same set-up as the ``bot.py`` subcommands.

Arguments are separated by ``|``, e.g. ``/add_village 3 | Жаңаауыл | Жанаауыл``.
"""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.i18n import N_
from bot.rules.errors import DomainError
from handlers.common import IsOperator
from storage import operator
from storage.audit import OPERATOR_KIND, Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)
router.message.filter(IsOperator())


def _args(command: CommandObject, count: int) -> list[str]:
    parts = [p.strip() for p in (command.args or "").split("|")]
    if len(parts) != count or not all(parts):
        raise DomainError(N_("Wrong arguments. /operator shows how to write this command."))
    return parts


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise DomainError(N_("Wrong arguments. /operator shows how to write this command.")) from None


def _actor(person: Person) -> Actor:
    """The operator in the chat (an operator who is also staff somewhere sets up as the operator)."""
    return Actor(OPERATOR_KIND, person.id, person.telegram_id)


@router.message(Command("operator"))
async def operator_help(message: Message, db: Database) -> None:
    """What the operator can do here, and the places with their ids."""
    await message.answer(
        _(
            "<b>Operator</b>\n"
            "/add_region name kk | name ru\n"
            "/add_district region id | name kk | name ru\n"
            "/add_rural_district district id | kind | name kk | name ru\n"
            "   (kind: rural_district, village or settlement)\n"
            "/add_village rural district id | name kk | name ru\n"
            "/add_staff rural district id | Telegram id\n"
            "/remove_staff rural district id | Telegram id\n"
            "/set_consent: a new consent text (you will be asked for kk and ru)\n\n"
            "{tree}"
        ).format(tree=f"<pre>{html.escape(await operator.places_tree(db))}</pre>")
    )


@router.message(Command("add_region"))
async def add_region(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Add a region."""
    kk, ru = _args(command, 2)
    new_id = await operator.add_region(db, _actor(person), kk, ru)
    await message.answer(_("Added, id {id}.").format(id=new_id))


@router.message(Command("add_district"))
async def add_district(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Add a district (аудан) to a region."""
    region, kk, ru = _args(command, 3)
    new_id = await operator.add_district(db, _actor(person), _int(region), kk, ru)
    await message.answer(_("Added, id {id}.").format(id=new_id))


@router.message(Command("add_rural_district"))
async def add_rural_district(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Add a rural district to a district."""
    district, kind, kk, ru = _args(command, 4)
    new_id = await operator.add_rural_district(db, _actor(person), _int(district), kk, ru, kind=kind)
    await message.answer(_("Added, id {id}.").format(id=new_id))


@router.message(Command("add_village"))
async def add_village(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Add a village to a rural district."""
    rd, kk, ru = _args(command, 3)
    new_id = await operator.add_village(db, _actor(person), _int(rd), kk, ru)
    await message.answer(_("Added, id {id}.").format(id=new_id))


@router.message(Command("add_staff"))
async def add_staff(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Make a Telegram account staff of a rural district."""
    rd, telegram_id = _args(command, 2)
    await operator.add_staff(db, _actor(person), _int(rd), _int(telegram_id))
    await message.answer(_("Done. They will see the Admin button after /start."))


@router.message(Command("remove_staff"))
async def remove_staff(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Take the staff role away."""
    rd, telegram_id = _args(command, 2)
    removed = await operator.remove_staff(db, _actor(person), _int(rd), _int(telegram_id))
    await message.answer(_("Done.") if removed else _("Nothing to change."))


class ConsentText(StatesGroup):
    kk = State()
    ru = State()


@router.message(Command("set_consent"))
async def set_consent(message: Message, state: FSMContext) -> None:
    """A new consent text, in two messages: Kazakh, then Russian."""
    await state.set_state(ConsentText.kk)
    await message.answer(
        _("Send the consent text in Kazakh. {owner} in the text stands for the akim's office. /cancel stops.")
    )


@router.message(ConsentText.kk, F.text, ~F.text.startswith("/"))
async def consent_text_kk(message: Message, state: FSMContext) -> None:
    """The Kazakh text; now the Russian one."""
    await state.update_data(kk=message.html_text)
    await state.set_state(ConsentText.ru)
    await message.answer(_("Now send the same text in Russian."))


@router.message(ConsentText.ru, F.text, ~F.text.startswith("/"))
async def consent_text_ru(message: Message, state: FSMContext, person: Person, db: Database) -> None:
    """Publish the new version; everyone is asked again."""
    data = await state.get_data()
    version = await operator.set_consent_text(db, _actor(person), data["kk"], message.html_text)
    await state.clear()
    await message.answer(_("Consent text version {version} is published.").format(version=version))
