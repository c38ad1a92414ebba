"""The staff draft a contest in eight steps: titles and descriptions in both languages, the villages
it covers, the money of each source, the voting window; then its projects (``projects.py``)."""

from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_datetime
from bot.i18n import N_
from bot.keyboards import contests as kb
from bot.keyboards.contests import SOURCE_LABELS, AdmAct, AdminContestCb, FormAct, FormCb
from bot.rules import contests as rules
from bot.rules.clock import Clock
from bot.rules.errors import NotFound
from handlers.common import target
from handlers.contests.projects import start_project
from handlers.contests.steps import DESCRIPTION_MAX, TITLE_MAX, Step, take
from storage import contests, places
from storage.audit import Actor
from storage.db import Database
from storage.people import Person
from storage.places import timezone

router = Router(name=__name__)


class NewContest(StatesGroup):
    title_kk = State()
    title_ru = State()
    description_kk = State()
    description_ru = State()
    villages = State()
    money = State()
    opens = State()
    closes = State()


_TITLE_TOO_LONG = N_("Please send the title as text, at most {limit} characters.")
_DESCRIPTION_TOO_LONG = N_("Please send the description as text, at most {limit} characters.")
_STEPS = {
    NewContest.title_kk.state: Step(
        "title_kk",
        TITLE_MAX,
        _TITLE_TOO_LONG,
        NewContest.title_ru,
        N_("Step 2 of 8. Send the title <b>in Russian</b>. If you skip it, the Kazakh title is shown to everyone."),
    ),
    NewContest.title_ru.state: Step(
        "title_ru",
        TITLE_MAX,
        _TITLE_TOO_LONG,
        NewContest.description_kk,
        N_("Step 3 of 8. Send a short description <b>in Kazakh</b>, or skip."),
    ),
    NewContest.description_kk.state: Step(
        "description_kk",
        DESCRIPTION_MAX,
        _DESCRIPTION_TOO_LONG,
        NewContest.description_ru,
        N_("Step 4 of 8. Send a short description <b>in Russian</b>, or skip."),
    ),
    NewContest.description_ru.state: Step(
        "description_ru", DESCRIPTION_MAX, _DESCRIPTION_TOO_LONG, NewContest.villages
    ),
}
_TEXTS = StateFilter(*(NewContest.title_kk, NewContest.title_ru, NewContest.description_kk, NewContest.description_ru))
_NO_TITLE = N_("A contest needs a title in at least one language. Please send it.")


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.NEW))
async def new_contest(query: CallbackQuery, state: FSMContext) -> None:
    """Start the guided creation: the title in Kazakh first."""
    await query.answer()
    await state.clear()
    await state.set_state(NewContest.title_kk)
    await target(query).answer(
        _(
            "<b>New contest</b>, step 1 of 8.\nSend the title <b>in Kazakh</b>. If you skip it, "
            "the Russian title is shown to everyone."
        ),
        reply_markup=kb.skip_keyboard(),
    )


async def _ask_villages(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    await state.set_state(NewContest.villages)
    data = await state.get_data()
    villages = await places.villages(db, person.rural_district_id or 0)
    await message.answer(
        _("Step 5 of 8. Which villages does the contest cover? Their residents vote."),
        reply_markup=kb.villages_keyboard(villages, set(data.get("villages", [])), person.language),
    )


async def _ask_money(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    money: dict[str, int] = data.get("money", {})
    source = next(s for s in rules.SOURCES if s not in money)
    await state.set_state(NewContest.money)
    await message.answer(
        _(
            "Step 6 of 8. Money from the source «{source}», in whole tenge (for example 1 500 000). "
            "Send 0 if there is none."
        ).format(source=_(SOURCE_LABELS[source])),
        reply_markup=kb.cancel_keyboard(),
    )


async def _ask_opens(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    await state.set_state(NewContest.opens)
    rd = await places.rural_district(db, person.rural_district_id)
    await message.answer(
        _(
            "Step 7 of 8. When does voting open? Send the date and time like 01.12.2026 09:00 "
            "(local time of {rural_district}), or press «Right away»."
        ).format(rural_district=escape(rd.name(person.language) if rd else "")),
        reply_markup=kb.opens_keyboard(),
    )


async def _ask_closes(message: Message, state: FSMContext) -> None:
    await state.set_state(NewContest.closes)
    await message.answer(
        _("Step 8 of 8. When does voting close? Send the date and time like 15.12.2026 20:00."),
        reply_markup=kb.cancel_keyboard(),
    )


@router.message(_TEXTS)
async def contest_text(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The title or the description in one language."""
    step = await take(message, state, _STEPS, _NO_TITLE)
    if step is not None and step.following == NewContest.villages:
        await _ask_villages(message, person, db, state)


@router.callback_query(_TEXTS, FormCb.filter(F.act == FormAct.SKIP))
async def contest_skip(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """Leave this language empty: the other one is shown to everyone."""
    await query.answer()
    step = await take(target(query), state, _STEPS, _NO_TITLE, skipped=True)
    if step is not None and step.following == NewContest.villages:
        await _ask_villages(target(query), person, db, state)


@router.callback_query(NewContest.villages, FormCb.filter())
async def contest_villages(
    query: CallbackQuery, callback_data: FormCb, person: Person, db: Database, state: FSMContext
) -> None:
    """Toggle villages; «All villages»; «Done»."""
    villages = await places.villages(db, person.rural_district_id or 0)
    own = {v.id for v in villages}
    selected = set((await state.get_data()).get("villages", []))
    if callback_data.act is FormAct.VILLAGE:
        if callback_data.village not in own:
            raise NotFound(N_("This village is not in your rural district."))
        selected ^= {callback_data.village}
    elif callback_data.act is FormAct.ALL:
        selected = set(own)
    elif callback_data.act is FormAct.DONE:
        if not selected:
            await query.answer(_("Please choose at least one village."), show_alert=True)
            return
        await query.answer()
        await _ask_money(target(query), state)
        return
    await state.update_data(villages=sorted(selected))
    await query.answer()
    await target(query).edit_reply_markup(reply_markup=kb.villages_keyboard(villages, selected, person.language))


@router.message(NewContest.money)
async def contest_money(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The money of one source, then the next."""
    amount = rules.parse_money(message.text)
    if amount is None:
        await message.answer(
            _("Please send a whole number of tenge, for example 1 500 000, or 0."), reply_markup=kb.cancel_keyboard()
        )
        return
    data = await state.get_data()
    money: dict[str, int] = data.get("money", {})
    source = next(s for s in rules.SOURCES if s not in money)
    money[source] = amount
    if len(money) < len(rules.SOURCES):
        await state.update_data(money=money)
        await _ask_money(message, state)
        return
    if sum(money.values()) == 0:
        await state.update_data(money={})
        await message.answer(_("The contest needs money from at least one source. Let us enter the amounts again."))
        await _ask_money(message, state)
        return
    await state.update_data(money=money)
    await _ask_opens(message, person, db, state)


@router.callback_query(NewContest.opens, FormCb.filter(F.act == FormAct.NOW))
async def contest_opens_now(query: CallbackQuery, state: FSMContext) -> None:
    """Voting opens as soon as the contest is published."""
    await query.answer()
    await state.update_data(opens_at=None)
    await _ask_closes(target(query), state)


@router.message(NewContest.opens)
async def contest_opens(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The opening time, in the rural district's zone."""
    opens_at = rules.parse_local(message.text, await timezone(db, person.rural_district_id))
    if opens_at is None:
        await message.answer(
            _("Please send the date and time like 01.12.2026 09:00."), reply_markup=kb.opens_keyboard()
        )
        return
    await state.update_data(opens_at=opens_at.isoformat())
    await _ask_closes(message, state)


@router.message(NewContest.closes)
async def contest_closes(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The closing time; then the draft is saved and the first project is asked for."""
    tz = await timezone(db, person.rural_district_id)
    closes_at = rules.parse_local(message.text, tz)
    if closes_at is None:
        await message.answer(
            _("Please send the date and time like 15.12.2026 20:00."), reply_markup=kb.cancel_keyboard()
        )
        return
    data = await state.get_data()
    now = clock.now()
    opens_at = datetime.fromisoformat(data["opens_at"]) if data.get("opens_at") else now
    problem = rules.window_problem(opens_at, closes_at, now)
    if problem is not None:
        text = (
            _("Voting must close after it opens ({opens}). Please send another time.")
            if problem == "closes_before_opens"
            else _("This time has already passed. Please send a time in the future.")
        )
        await message.answer(
            text.format(opens=format_datetime(opens_at, tz, person.language)), reply_markup=kb.cancel_keyboard()
        )
        return
    contest_id = await contests.create(
        db,
        Actor.of(person),
        rural_district_id=person.rural_district_id or 0,
        titles=(data.get("title_kk", ""), data.get("title_ru", "")),
        descriptions=(data.get("description_kk", ""), data.get("description_ru", "")),
        village_ids=data["villages"],
        money=data["money"],
        opens_at=opens_at,
        closes_at=closes_at,
    )
    await state.clear()
    await message.answer(_("The draft contest is saved. Now the projects residents choose from."))
    await start_project(message, state, contest_id)
