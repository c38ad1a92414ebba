"""The polling table: staff record each voter who takes a paper ballot, by their phone number, one
after another. The register is the bot's own: a number that voted in the bot is refused with the
time it voted, a number already recorded is refused, and with a census only its numbers get a
ballot. The choice itself goes into the box; the protocol's totals are checked against this count."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.i18n import N_
from bot.keyboards.contests import AdmAct, AdminContestCb, table_keyboard
from bot.rules import phones
from bot.rules.clock import Clock
from bot.rules.contests import Phase
from bot.rules.errors import DomainError
from handlers.common import NotMenu, target
from storage import contests
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


class Table(StatesGroup):
    phone = State()  # data: contest


def masked(phone: str) -> str:
    """«+7 701 *** 45 67»: enough for the table to see which number it was."""
    return f"{phone[:2]} {phone[2:5]} *** {phone[8:10]} {phone[10:]}"


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.TABLE))
async def open_table(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Start the polling table mode of an open contest."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    if contest.phase(clock.now()) is not Phase.OPEN:
        raise DomainError(N_("Offline votes can be entered only before the contest closes."))
    await query.answer()
    await state.set_state(Table.phone)
    await state.set_data({"contest": contest.id})
    recorded = await contests.paper_voters(db, contest.id)
    await target(query).answer(
        _(
            "🗳 <b>Polling table: {title}</b>\n"
            "Send the phone number of each voter who takes a paper ballot, one message each, for example "
            "8 701 123 45 67. A number that voted in the bot, or is already recorded, is refused. "
            "Recorded so far: {count}."
        ).format(title=escape(contest.title(person.language)), count=recorded),
        reply_markup=table_keyboard(contest.id),
    )


@router.message(Table.phone, NotMenu())
async def table_phone(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """One voter: recorded, or refused with why (and when the number voted in the bot)."""
    contest_id = int((await state.get_data())["contest"])
    phone = phones.mobile(message.text)
    if phone is None:
        await message.answer(
            _("Please send a Kazakhstan mobile number, for example 8 701 123 45 67."),
            reply_markup=table_keyboard(contest_id),
        )
        return
    try:
        result = await contests.record_paper_voter(
            db, Actor.of(person), contest_id=contest_id, phone=phone, now=clock.now()
        )
    except DomainError as error:
        await message.answer(
            "❌ " + masked(phone) + "\n" + _(error.msgid).format(**error.values),
            reply_markup=table_keyboard(contest_id),
        )
        return
    await message.answer(
        _("✅ {phone}: give a paper ballot. Paper voters recorded: {count}.").format(
            phone=masked(phone), count=result.count
        ),
        reply_markup=table_keyboard(contest_id),
    )
