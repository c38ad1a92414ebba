"""/menu, /cancel and /help: always work, in any state, and leave any flow."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards.common import Nav
from handlers.common import Onboarded, show_menu, target
from storage.people import Person

router = Router(name=__name__)
router.message.filter(Onboarded())
router.callback_query.filter(Onboarded())


@router.message(Command("menu"))
async def menu(message: Message, person: Person, state: FSMContext) -> None:
    """/menu: the main menu, whatever was going on."""
    await state.clear()
    await show_menu(message, person)


@router.message(Command("cancel"))
async def cancel(message: Message, person: Person, state: FSMContext) -> None:
    """/cancel: leave the current step; nothing half-done is kept."""
    had_state = await state.get_state() is not None
    await state.clear()
    await show_menu(message, person, _("Cancelled. Main menu: please choose a section.") if had_state else None)


@router.message(Command("help"))
async def help_command(message: Message, person: Person) -> None:
    """/help: what the bot does and how to move around."""
    await show_menu(
        message,
        person,
        _(
            "Use the buttons at the bottom of the screen.\n"
            "💡 Initiatives: propose something for your village and follow its review.\n"
            "🗳 Contests: vote for local projects.\n"
            "📅 Events: gatherings and meetings, with reminders.\n"
            "📄 Documents: protocols, programmes, the budget and the akim's reports.\n"
            "/menu opens the main menu at any moment, /cancel stops the current step."
        ),
    )


@router.callback_query(Nav.filter(F.to.in_({"menu", "cancel"})))
async def nav(query: CallbackQuery, callback_data: Nav, person: Person, state: FSMContext) -> None:
    """The inline 🏠 and ✖️ buttons."""
    had_state = await state.get_state() is not None
    await state.clear()
    await query.answer()
    cancelled = callback_data.to == "cancel" and had_state
    await show_menu(target(query), person, _("Cancelled. Main menu: please choose a section.") if cancelled else None)
