"""An operator's command from a staff member: refused politely, with the reason, and logged.
(A resident who types one hears that the bot does not know the command, as for any other.)"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import BaseFilter, Command
from aiogram.types import Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from storage import operator
from storage.db import Database
from storage.people import STAFF, Person


class HasStaffRole(BaseFilter):
    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        return person is not None and any(role == STAFF for _rd, role in person.roles)


router = Router(name=__name__)
router.message.filter(HasStaffRole())
log = logging.getLogger(__name__)

COMMANDS = (
    "operator", "add_region", "add_district", "add_rural_district", "add_village", "add_staff", "remove_staff",
    "add_operator", "remove_operator", "rename", "move_village", "set_office", "district", "backup", "status",
    "set_consent",
)  # fmt: skip


@router.message(Command(*COMMANDS))
async def refuse(message: Message, person: Person, db: Database) -> None:
    """Staff and residents do not set the bot up: only its operators do."""
    command = (message.text or "").split()[0][:40]
    log.warning("refused operator command %s from person %s", command, person.id)
    await operator.refused(db, person.id, person.rural_district_id, command)
    await message.answer(_("This command is only for the bot's operators (OPERATOR_IDS)."))
