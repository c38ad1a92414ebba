"""The operator's set-up by command, the same as the ``bot.py`` subcommands.

Arguments are separated by ``|``, e.g. ``/add_village 3 | Жаңаауыл | Жанаауыл``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.formatting import escape
from bot.i18n import N_
from bot.rules.clock import Clock
from bot.rules.errors import DomainError
from storage import backups, districts, operator
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)
WRONG = N_("Wrong arguments. /operator shows how to write this command.")


def _args(command: CommandObject, count: int) -> list[str]:
    parts = [p.strip() for p in (command.args or "").split("|")]
    if len(parts) != count or not all(parts):
        raise DomainError(WRONG)
    return parts


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise DomainError(WRONG) from None


def _actor(person: Person) -> Actor:
    """The operator in the chat (an operator who is also staff somewhere sets up as the operator)."""
    return Actor.operator(person)


@router.message(Command("add_region"))
async def add_region(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Add a region."""
    kk, ru = _args(command, 2)
    new_id = await operator.add_region(db, _actor(person), kk, ru)
    await message.answer(_("Added, id {id}.").format(id=new_id))


# the places added by «parent id | Kazakh name | Russian name»
_ADD_UNDER = {"add_district": operator.add_district, "add_village": operator.add_village}


@router.message(Command(*_ADD_UNDER))
async def add_under(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Add a district (аудан) to a region, or a village to a rural district."""
    parent, kk, ru = _args(command, 3)
    new_id = await _ADD_UNDER[command.command](db, _actor(person), _int(parent), kk, ru)
    await message.answer(_("Added, id {id}.").format(id=new_id))


@router.message(Command("add_rural_district"))
async def add_rural_district(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Add a rural district to a district."""
    district, kind, kk, ru = _args(command, 4)
    new_id = await operator.add_rural_district(db, _actor(person), _int(district), kk, ru, kind=kind)
    await message.answer(_("Added, id {id}.").format(id=new_id))


@router.message(Command("add_staff"))
async def add_staff(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Make a Telegram account staff of a rural district."""
    rd, telegram_id = _args(command, 2)
    await operator.add_staff(db, _actor(person), _int(rd), operator.parse_telegram_id(telegram_id))
    await message.answer(_("Done. They will see the Admin button after /start."))


@router.message(Command("remove_staff"))
async def remove_staff(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Take the staff role away (never from the district's last staff member)."""
    rd, telegram_id = _args(command, 2)
    removed = await operator.remove_staff(db, _actor(person), _int(rd), operator.parse_telegram_id(telegram_id))
    await message.answer(_("Done.") if removed else _("Nothing to change."))


@router.message(Command("add_operator"))
async def add_operator(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Make a Telegram account an operator."""
    (telegram_id,) = _args(command, 1)
    await operator.add_operator(db, _actor(person), operator.parse_telegram_id(telegram_id))
    await message.answer(_("Done. They are an operator from their next message."))


@router.message(Command("remove_operator"))
async def remove_operator(
    message: Message, command: CommandObject, person: Person, db: Database, settings: Settings
) -> None:
    """Take an operator away (never the last one, nor one of OPERATOR_IDS)."""
    (telegram_id,) = _args(command, 1)
    removed = await operator.remove_operator(
        db, _actor(person), operator.parse_telegram_id(telegram_id), settings.operator_ids
    )
    await message.answer(_("Done.") if removed else _("Nothing to change."))


@router.message(Command("rename"))
async def rename(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """New names of a region, district, rural district or village, in both languages."""
    kind, row_id, kk, ru = _args(command, 4)
    await operator.rename(db, _actor(person), kind, _int(row_id), kk, ru)
    await message.answer(_("Done."))


@router.message(Command("move_village"))
async def move_village(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """Move a village, with its residents and representatives, to another rural district."""
    village, rd = _args(command, 2)
    moved = await operator.move_village(db, _actor(person), _int(village), _int(rd))
    await message.answer(_("Moved. Residents moved with it: {n}.").format(n=moved))


@router.message(Command("set_office"))
async def set_office(message: Message, command: CommandObject, person: Person, db: Database) -> None:
    """The akim's office, named in the consent text as the owner and operator of the database."""
    rd, kk, ru = _args(command, 3)
    await operator.set_office(db, _actor(person), _int(rd), kk, ru)
    await message.answer(_("Done."))


@router.message(Command("district"))
async def set_district(message: Message, command: CommandObject, person: Person, db: Database, clock: Clock) -> None:
    """One setting of a district: timezone, quiet, review_days, threshold, census, approval."""
    rd, key, value = _args(command, 3)
    if key not in set(districts.Key):
        raise DomainError(WRONG)
    await districts.change(db, _actor(person), _int(rd), key, value, now=clock.now())
    await message.answer(_("Done."))


@router.message(Command("backup"))
async def backup(
    message: Message, command: CommandObject, person: Person, db: Database, settings: Settings, clock: Clock
) -> None:
    """A backup now, to the path given (or into BACKUP_DIR); the bot goes on meanwhile."""
    _actor(person)
    now = clock.now()
    raw = (command.args or "").strip()
    if raw:
        target = Path(raw)
    elif settings.backup_dir is not None:
        target = settings.backup_dir / backups.daily_name(now).replace("backup-", "manual-")
    else:
        raise DomainError(WRONG)
    await message.answer(_("Making the backup…"))
    made = await asyncio.to_thread(backups.backup, db.path, target, now=now)
    await message.answer(
        _("Backup written: {path} ({size} KB, files: {files}); the integrity check passed.").format(
            path=escape(str(made.path)), size=made.bytes // 1024, files=made.files
        )
    )


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
