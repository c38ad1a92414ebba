"""The admin menu of the akim's staff: the entry to every feature's admin screens.

Every admin router is filtered once with ``IsStaff`` (staff of the person's rural district or
an operator); every query that changes data checks the district again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards.admin import AdminMenu, admin_keyboard
from bot.keyboards.common import MenuButton
from bot.rules.clock import Clock
from handlers.common import IsStaff, target
from storage import places
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)
router.message.filter(IsStaff())
router.callback_query.filter(IsStaff())

# A feature's line on the admin menu (overdue initiatives, villages without a representative…):
# ``handlers.admin_summaries()`` collects them, and the dispatcher hands them in as ``admin_summaries``.
Summary = Callable[[Database, int, Clock], Awaitable[str | None]]


async def admin_text(db: Database, person: Person, clock: Clock, summaries: Sequence[Summary]) -> str:
    assert person.rural_district_id is not None
    rd = await places.rural_district(db, person.rural_district_id)
    lines = [_("<b>Admin</b>: {rural_district}").format(rural_district=rd.name(person.language) if rd else "—")]
    for summary in summaries:
        line = await summary(db, person.rural_district_id, clock)
        if line:
            lines.append(line)
    return "\n".join(lines)


@router.message(MenuButton("admin"))
async def admin_menu(
    message: Message, person: Person, db: Database, clock: Clock, state: FSMContext, admin_summaries: Sequence[Summary]
) -> None:
    """The admin menu, with what needs attention."""
    await state.clear()
    await message.answer(await admin_text(db, person, clock, admin_summaries), reply_markup=admin_keyboard())


@router.callback_query(AdminMenu.filter(F.section == "home"))
async def admin_home(
    query: CallbackQuery,
    person: Person,
    db: Database,
    clock: Clock,
    state: FSMContext,
    admin_summaries: Sequence[Summary],
) -> None:
    """Back to the admin menu."""
    await state.clear()
    await query.answer()
    await target(query).answer(await admin_text(db, person, clock, admin_summaries), reply_markup=admin_keyboard())
