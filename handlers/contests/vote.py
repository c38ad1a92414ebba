"""The resident votes: one more tap to confirm, consent, her own Kazakhstan mobile number, the vote.

With an approval ballot (the contest's K > 1) she first chooses up to K projects on «My ballot»
(kept in the conversation's state), then confirms them all at once. Only her last vote counts, and
it stays changeable in private until voting closes; the confirmation is sent with
``protect_content``, so it cannot be forwarded as proof of a vote to whoever paid for it.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.i18n import N_
from bot.keyboards import contests as kb
from bot.keyboards.common import main_menu
from bot.keyboards.contests import Act, ContestCb
from bot.rules import contests as rules
from bot.rules import phones
from bot.rules.clock import Clock
from bot.rules.errors import DomainError, NotFound
from handlers.common import Has, consent_given, show_menu, target
from handlers.contests.texts import safety
from storage import contests
from storage.contests import Contest
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)
LAST_VOTE = N_("Only your last vote counts: you can change it in private until voting closes.")


class VoteFlow(StatesGroup):
    phone = State()  # waiting for the contact; data: contest, project, choices


def _key(contest_id: int) -> str:
    return f"ballot{contest_id}"


async def _chosen(state: FSMContext, contest_id: int) -> list[int]:
    return [int(p) for p in (await state.get_data()).get(_key(contest_id), [])]


async def _refusal(db: Database, contest: Contest, person: Person, clock: Clock) -> str | None:
    """Why this person cannot vote in the contest now (as a msgid), before anything is asked of them."""
    refusal = rules.may_vote(contest.phase(clock.now()), set(await contests.covered(db, contest.id)), person.village_id)
    if refusal is None and phones.is_mobile(person.phone) and not await contests.on_census(db, contest, person.phone):
        refusal = rules.Refusal.NOT_ON_CENSUS
    return None if refusal is None else contests.REFUSALS[refusal]


@router.callback_query(ContestCb.filter(F.act == Act.BALLOT))
async def show_ballot(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, state: FSMContext, bot: Bot
) -> None:
    """An approval ballot: the projects, each chosen or not, up to K; the last ballot cast counts."""
    contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
    await query.answer()
    chosen = set(await _chosen(state, contest.id)) or set((await contests.my_choices(db, contest.id, person.id))[0])
    await state.update_data({_key(contest.id): sorted(chosen)})
    await _ballot(target(query), contest, person, db, chosen, bot)


async def _ballot(message: Message, contest: Contest, person: Person, db: Database, chosen: set[int], bot: Bot) -> None:
    projects = await contests.projects(db, contest.id)
    text = "\n".join(
        [
            _("🗳 <b>My ballot: {title}</b>").format(title=escape(contest.title(person.language))),
            _("Choose up to {k} projects, then vote. Chosen: {count}.").format(
                k=contest.max_choices, count=len(chosen)
            ),
            _(LAST_VOTE),
            "",
            await safety(bot),
        ]
    )
    items = [(p.id, p.title(person.language)) for p in projects]
    await message.answer(text, reply_markup=kb.ballot_keyboard(contest.id, items, chosen))


@router.callback_query(ContestCb.filter(F.act == Act.TOGGLE))
async def toggle(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, state: FSMContext, bot: Bot
) -> None:
    """Choose or unchoose one project of the ballot (at most K chosen)."""
    contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
    await contests.project(db, contest.id, callback_data.project)
    chosen = set(await _chosen(state, contest.id))
    if callback_data.project in chosen:
        chosen.discard(callback_data.project)
    elif len(chosen) >= contest.max_choices:
        await query.answer(_("You can choose at most {k} projects.").format(k=contest.max_choices), show_alert=True)
        return
    else:
        chosen.add(callback_data.project)
    await query.answer()
    await state.update_data({_key(contest.id): sorted(chosen)})
    await _ballot(target(query), contest, person, db, chosen, bot)


@router.callback_query(ContestCb.filter(F.act == Act.ASK))
async def ask_vote(
    query: CallbackQuery,
    callback_data: ContestCb,
    person: Person,
    db: Database,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
) -> None:
    """The confirmation before a vote: one more tap, so a vote is never cast by a slip of the finger."""
    contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
    lang = person.language
    if callback_data.project:
        titles = [(await contests.project(db, contest.id, callback_data.project)).title(lang)]
    else:  # an approval ballot: the projects chosen on it
        chosen = await _chosen(state, contest.id)
        if not chosen or len(chosen) > contest.max_choices:
            raise NotFound(N_("This choice is no longer available."))
        titles = [(await contests.project(db, contest.id, p)).title(lang) for p in chosen]
    refused = await _refusal(db, contest, person, clock)
    if refused is not None:
        await query.answer()
        await target(query).answer(_(refused), reply_markup=kb.after_vote_keyboard(contest.id))
        return
    if not await consent_given(query, person, db, state, resume=callback_data.pack()):
        return
    await query.answer()
    mine, _annulled = await contests.my_choices(db, contest.id, person.id)
    names = "», «".join(escape(t) for t in titles)
    text = _("Vote for «{project}»?").format(project=names)
    if mine:
        text += "\n" + _("This replaces your earlier vote in this contest.")
    text += "\n" + _(LAST_VOTE) + "\n\n" + await safety(bot)
    await target(query).answer(text, reply_markup=kb.confirm_keyboard(contest.id, callback_data.project))


async def _cast(
    message: Message,
    person: Person,
    db: Database,
    clock: Clock,
    contest_id: int,
    project_id: int,
    phone: str,
    choices: list[int] | None,
    state: FSMContext | None = None,
) -> None:
    """The vote, and its answer; with ``state``, the number was just shared: it is kept, and the
    conversation ends, in the vote's transaction."""
    outcome, project = await contests.cast_vote(
        db,
        contest_id=contest_id,
        project_id=project_id or (choices or [0])[0],
        person_id=person.id,
        rural_district_id=person.rural_district_id or 0,
        village_id=person.village_id,
        phone=phone,
        now=clock.now(),
        choices=choices,
        new_phone=state is not None,
        then=state.clear if state is not None else None,
    )
    title = escape(project.title(person.language))
    if choices and len(choices) > 1:
        projects = {p.id: p for p in await contests.projects(db, contest_id)}
        title = "», «".join(escape(projects[p].title(person.language)) for p in choices if p in projects)
    if outcome == "new":
        text = _("✅ Your vote for «{project}» is counted. You can change it until voting closes.")
    elif outcome == "changed":
        text = _("✅ Your vote is changed: now «{project}». You can change it until voting closes.")
    else:
        text = _("Your vote for «{project}» is already counted.")
    markup = main_menu(person) if state is not None else kb.after_vote_keyboard(contest_id)
    # protect_content: the confirmation cannot be forwarded or saved as proof for a vote buyer
    await message.answer(text.format(project=title), reply_markup=markup, protect_content=True)


@router.callback_query(ContestCb.filter(F.act == Act.VOTE))
async def vote(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """The vote: needs consent and the person's own Kazakhstan mobile number; the query re-checks the rest."""
    resume = ContestCb(act=Act.ASK, contest=callback_data.contest, project=callback_data.project).pack()
    if not await consent_given(query, person, db, state, resume=resume):
        return
    choices = None if callback_data.project else await _chosen(state, callback_data.contest)
    if choices is not None and not choices:
        raise NotFound(N_("This choice is no longer available."))
    if not phones.is_mobile(person.phone):
        # the contest and project are checked before asking for the number, and again when voting
        contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
        for project_id in choices or [callback_data.project]:
            await contests.project(db, contest.id, project_id)
        await query.answer()
        await state.set_state(VoteFlow.phone)
        await state.update_data(contest=callback_data.contest, project=callback_data.project, choices=choices)
        await target(query).answer(
            _(
                "To vote, please share your phone number with the button below. One phone number votes "
                "once per contest. The number is kept with your consent and never shown to anyone."
            ),
            reply_markup=kb.contact_keyboard(),
        )
        return
    await query.answer()
    assert person.phone is not None
    await _cast(target(query), person, db, clock, callback_data.contest, callback_data.project, person.phone, choices)


@router.message(StateFilter(VoteFlow.phone), Has("contact"))
async def got_contact(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The shared contact: only the person's own, and only a Kazakhstan mobile number."""
    contact = message.contact
    assert contact is not None and message.from_user is not None
    if contact.user_id != message.from_user.id:
        await message.answer(
            _("This is someone else's contact. Please press the button below to share your own number."),
            reply_markup=kb.contact_keyboard(),
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
        await _cast(
            message,
            person,
            db,
            clock,
            int(data["contest"]),
            int(data["project"]),
            phone,
            data.get("choices"),
            state,
        )
    except DomainError:
        await state.clear()  # the vote is refused (and nothing of it kept): the conversation ends all the same
        raise


@router.message(StateFilter(VoteFlow.phone))
async def not_a_contact(message: Message, person: Person, i18n: I18n, state: FSMContext) -> None:
    """Typed text instead of the contact button (the number must come from Telegram, not be typed)."""
    if message.text in {i18n.gettext("✖️ Cancel", locale=lang) for lang in ("kk", "ru")}:
        await state.clear()
        await show_menu(message, person, _("Cancelled. Your vote was not cast."))
        return
    await message.answer(
        _("Please press the «📱 Share my phone number» button below; a typed number cannot be checked."),
        reply_markup=kb.contact_keyboard(),
    )
