"""The admin menu of the akim's staff: the entry to every feature's admin screens.

Every admin router is filtered once with ``IsStaff`` (staff of the person's rural district or
an operator); every query that changes data checks the district again.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.keyboards.admin import AdminMenu, admin_keyboard
from bot.keyboards.common import MenuButton
from handlers import broadcasts, budget, contests, documents, events, initiatives
from handlers.common import IsStaff, target
from storage import places
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)
router.message.filter(IsStaff())
router.callback_query.filter(IsStaff())

# Lines each feature adds to the admin menu (overdue initiatives, villages without a representative…)
SUMMARIES = (
    initiatives.admin_summary,
    contests.admin_summary,
    events.admin_summary,
    documents.admin_summary,
    budget.admin_summary,
    broadcasts.admin_summary,
)


async def admin_text(db: Database, person: Person, clock: Clock) -> str:
    assert person.rural_district_id is not None
    rd = await places.rural_district(db, person.rural_district_id)
    lines = [_("<b>Admin</b>: {rural_district}").format(rural_district=rd.name(person.language) if rd else "—")]
    for summary in SUMMARIES:
        line = await summary(db, person.rural_district_id, clock)
        if line:
            lines.append(line)
    return "\n".join(lines)


@router.message(MenuButton("admin"))
async def admin_menu(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The admin menu, with what needs attention."""
    await state.clear()
    await message.answer(await admin_text(db, person, clock), reply_markup=admin_keyboard())


@router.callback_query(AdminMenu.filter(F.section == "home"))
async def admin_home(query: CallbackQuery, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """Back to the admin menu."""
    await state.clear()
    await query.answer()
    await target(query).answer(await admin_text(db, person, clock), reply_markup=admin_keyboard())
