"""The resident votes: one more tap to confirm, consent, her own Kazakhstan mobile number, the vote."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.keyboards.common import main_menu
from bot.keyboards.contests import Act, ContestCb, after_vote_keyboard, confirm_keyboard, contact_keyboard
from bot.rules import contests as rules
from bot.rules import phones
from bot.rules.clock import Clock
from bot.rules.errors import DomainError
from handlers.common import consent_given, show_menu, target
from storage import contests
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


class VoteFlow(StatesGroup):
    phone = State()  # waiting for the contact; data: contest, project


@router.callback_query(ContestCb.filter(F.act == Act.ASK))
async def ask_vote(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """The confirmation before a vote: one more tap, so a vote is never cast by a slip of the finger."""
    contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
    project = await contests.project(db, contest.id, callback_data.project)
    refusal = rules.may_vote(contest.phase(clock.now()), set(await contests.covered(db, contest.id)), person.village_id)
    if refusal is not None:
        await query.answer()
        await target(query).answer(_(contests.REFUSALS[refusal]), reply_markup=after_vote_keyboard(contest.id))
        return
    if not await consent_given(query, person, db, state, resume=callback_data.pack()):
        return
    await query.answer()
    lang = person.language
    mine = await contests.my_vote(db, contest.id, person.id)
    text = _("Vote for «{project}»?").format(project=escape(project.title(lang)))
    if mine is not None:
        text += "\n" + _("This replaces your earlier vote in this contest.")
    text += "\n" + _("You can change your vote until voting closes.")
    await target(query).answer(text, reply_markup=confirm_keyboard(contest.id, project.id))


async def _cast(
    message: Message,
    person: Person,
    db: Database,
    clock: Clock,
    contest_id: int,
    project_id: int,
    phone: str,
    state: FSMContext | None = None,
) -> None:
    """The vote, and its answer; with ``state``, the number was just shared: it is kept, and the
    conversation ends, in the vote's transaction."""
    outcome, project = await contests.cast_vote(
        db,
        contest_id=contest_id,
        project_id=project_id,
        person_id=person.id,
        rural_district_id=person.rural_district_id or 0,
        village_id=person.village_id,
        phone=phone,
        now=clock.now(),
        new_phone=state is not None,
        then=state.clear if state is not None else None,
    )
    title = escape(project.title(person.language))
    if outcome == "new":
        text = _("✅ Your vote for «{project}» is counted. You can change it until voting closes.")
    elif outcome == "changed":
        text = _("✅ Your vote is changed: now «{project}». You can change it until voting closes.")
    else:
        text = _("Your vote for «{project}» is already counted.")
    markup = main_menu(person) if state is not None else after_vote_keyboard(contest_id)
    await message.answer(text.format(project=title), reply_markup=markup)


@router.callback_query(ContestCb.filter(F.act == Act.VOTE))
async def vote(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """The vote: needs consent and the person's own Kazakhstan mobile number; the query re-checks the rest."""
    resume = ContestCb(act=Act.ASK, contest=callback_data.contest, project=callback_data.project).pack()
    if not await consent_given(query, person, db, state, resume=resume):
        return
    if not phones.is_mobile(person.phone):
        # the contest and project are checked before asking for the number, and again when voting
        contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
        await contests.project(db, contest.id, callback_data.project)
        await query.answer()
        await state.set_state(VoteFlow.phone)
        await state.update_data(contest=callback_data.contest, project=callback_data.project)
        await target(query).answer(
            _(
                "To vote, please share your phone number with the button below. One phone number votes "
                "once per contest. The number is kept with your consent and never shown to anyone."
            ),
            reply_markup=contact_keyboard(),
        )
        return
    await query.answer()
    assert person.phone is not None
    await _cast(target(query), person, db, clock, callback_data.contest, callback_data.project, person.phone)


@router.message(VoteFlow.phone, F.contact)
async def got_contact(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The shared contact: only the person's own, and only a Kazakhstan mobile number."""
    contact = message.contact
    assert contact is not None and message.from_user is not None
    if contact.user_id != message.from_user.id:
        await message.answer(
            _("This is someone else's contact. Please press the button below to share your own number."),
            reply_markup=contact_keyboard(),
        )
        return
    phone = phones.mobile(contact.phone_number)
    if phone is None:
        await state.clear()
        await show_menu(
            message, person, _("Voting needs a Kazakhstan mobile number (+7 7XX …). This number cannot be used.")
        )
        return
    data = await state.get_data()
    try:
        await _cast(message, person, db, clock, int(data["contest"]), int(data["project"]), phone, state)
    except DomainError:
        await state.clear()  # the vote is refused (and nothing of it kept): the conversation ends all the same
        raise


@router.message(VoteFlow.phone)
async def not_a_contact(message: Message, person: Person, i18n: I18n, state: FSMContext) -> None:
    """Typed text instead of the contact button (the number must come from Telegram, not be typed)."""
    if message.text in {i18n.gettext("✖️ Cancel", locale=lang) for lang in ("kk", "ru")}:
        await state.clear()
        await show_menu(message, person, _("Cancelled. Your vote was not cast."))
        return
    await message.answer(
        _("Please press the «📱 Share my phone number» button below; a typed number cannot be checked."),
        reply_markup=contact_keyboard(),
    )
