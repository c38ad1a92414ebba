"""The staff enter offline votes (paper ballots, a show of hands at a gathering): a number per
project from the signed protocol, then the protocol's photo; only then are the votes added."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.formatting import escape
from bot.i18n import N_
from bot.keyboards.contests import AdmAct, AdminContestCb, cancel_keyboard
from bot.rules.clock import Clock
from bot.rules.contests import Phase
from bot.rules.errors import DomainError
from handlers.common import target
from handlers.contests.running import show_card
from storage import contests
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


class Offline(StatesGroup):
    votes = State()
    photo = State()


async def _ask_offline(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    data = await state.get_data()
    projects = await contests.projects(db, int(data["contest"]))
    index = len(data.get("tally", {}))
    project = projects[index]
    await message.answer(
        _(
            "Offline votes, project {number} of {count}: «{title}». Send the number of votes from the signed "
            "protocol (0 if none)."
        ).format(number=index + 1, count=len(projects), title=escape(project.title(person.language))),
        reply_markup=cancel_keyboard(),
    )


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.OFFLINE))
async def start_offline(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Votes cast on paper or by show of hands: a number per project, then the protocol's photo."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    if contest.status != "published" or contest.phase(clock.now()) is Phase.CLOSED:
        raise DomainError(N_("Offline votes can be entered only before the contest closes."))
    await query.answer()
    await state.set_state(Offline.votes)
    await state.set_data({"contest": contest.id, "tally": {}})
    await _ask_offline(target(query), person, db, state)


@router.message(Offline.votes)
async def offline_votes(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The number of one project; then the next, then the photo."""
    text = (message.text or "").strip()
    if not text.isdigit() or len(text) > 7:
        await message.answer(
            _("Please send a whole number of votes, for example 25, or 0."), reply_markup=cancel_keyboard()
        )
        return
    data = await state.get_data()
    projects = await contests.projects(db, int(data["contest"]))
    tally: dict[str, int] = data.get("tally", {})
    tally[str(projects[len(tally)].id)] = int(text)
    await state.update_data(tally=tally)
    if len(tally) < len(projects):
        await _ask_offline(message, person, db, state)
        return
    await state.set_state(Offline.photo)
    await message.answer(
        _("Now send a photo of the signed protocol. The votes are added only with it."), reply_markup=cancel_keyboard()
    )


@router.message(Offline.photo, F.photo)
async def offline_photo(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The photo of the protocol: the votes are added, with an audit entry."""
    assert message.photo
    data = await state.get_data()
    await state.clear()
    tally = {int(k): v for k, v in data["tally"].items()}
    await contests.record_offline(
        db,
        Actor.of(person),
        contest_id=int(data["contest"]),
        tally=tally,
        photo_file_id=message.photo[-1].file_id,
        now=clock.now(),
    )
    total = sum(tally.values())
    await message.answer(
        ngettext(
            "Saved: {count} offline vote added from the protocol.",
            "Saved: {count} offline votes added from the protocol.",
            total,
        ).format(count=total)
    )
    await show_card(message, person, db, clock, int(data["contest"]))


@router.message(Offline.photo)
async def offline_not_photo(message: Message) -> None:
    """Something other than the protocol's photo."""
    await message.answer(_("Please send a photo of the signed protocol."), reply_markup=cancel_keyboard())
